//! What an interrupt (SIGINT, SIGTERM) may leave behind: nothing of this process's own.
//!
//! - Every temp file or directory this process creates (staging files beside a destination,
//!   cache downloads in flight) is [`reserve`]d first: registered, so [`stop`] removes it.
//!   Once stopped, no new one can be reserved.
//! - Every change the user sees (a journal commit, a lock written, a mirror swapped in, cache
//!   entries removed) runs through [`change`]: an interrupt waits for a change in progress to
//!   finish, none starts after it, and what was completed is remembered for the one line the
//!   command prints (`interrupted: nothing was changed`, or what was done).
//!
//! The command layer watches the signals and calls [`stop`]; nothing here prints.

use crate::error::{Error, Result};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

struct Temps {
    stopped: bool,
    /// Every temp path reserved (most are renamed or removed by then: removing is idempotent).
    paths: Vec<PathBuf>,
    /// Reservations whose file is being created right now.
    creating: usize,
}

type Hook = Box<dyn FnOnce() + Send>;

/// The process's one [`State`] (a type of its own so that unit tests can make another).
struct State {
    temps: Mutex<Temps>,
    settled: Condvar,
    /// Held by a change the user sees while it runs, and by [`stop`] for good.
    gate: Mutex<()>,
    done: Mutex<Vec<String>>,
    hooks: Mutex<Vec<Hook>>,
}

static STATE: State = State::new();

thread_local! {
    static IN_CHANGE: Cell<bool> = const { Cell::new(false) };
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A temp path about to be created. Create it, then [`Reserved::keep`] the path; dropping the
/// reservation without keeping it is fine too (the path stays registered either way).
pub struct Reserved {
    path: PathBuf,
    state: &'static State,
}

impl Reserved {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path, now created (or given up on).
    pub fn keep(self) -> PathBuf {
        self.path.clone()
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        let mut t = lock(&self.state.temps);
        t.creating = t.creating.saturating_sub(1);
        self.state.settled.notify_all();
    }
}

/// The error a reservation gets once the process was interrupted.
pub fn interrupted_error() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::Interrupted, "interrupted")
}

impl State {
    const fn new() -> State {
        State {
            temps: Mutex::new(Temps {
                stopped: false,
                paths: Vec::new(),
                creating: 0,
            }),
            settled: Condvar::new(),
            gate: Mutex::new(()),
            done: Mutex::new(Vec::new()),
            hooks: Mutex::new(Vec::new()),
        }
    }

    fn reserve(&'static self, path: PathBuf) -> std::io::Result<Reserved> {
        let mut t = lock(&self.temps);
        if t.stopped {
            return Err(interrupted_error());
        }
        t.paths.push(path.clone());
        t.creating += 1;
        Ok(Reserved { path, state: self })
    }

    fn change<T>(&self, note: impl FnOnce() -> String, f: impl FnOnce() -> Result<T>) -> Result<T> {
        if IN_CHANGE.with(Cell::get) {
            return f();
        }
        let _gate = lock(&self.gate);
        if lock(&self.temps).stopped {
            return Err(Error::Interrupted);
        }
        IN_CHANGE.with(|c| c.set(true));
        let r = f();
        IN_CHANGE.with(|c| c.set(false));
        if r.is_ok() {
            lock(&self.done).push(note());
        }
        r
    }

    fn stop(&self) -> Vec<String> {
        std::mem::forget(lock(&self.gate));
        let paths = {
            let mut t = lock(&self.temps);
            t.stopped = true;
            let deadline = Instant::now() + Duration::from_secs(2);
            while t.creating > 0 {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                t = self
                    .settled
                    .wait_timeout(t, left)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            std::mem::take(&mut t.paths)
        };
        for p in paths.iter().rev() {
            match std::fs::symlink_metadata(p) {
                Ok(m) if m.is_dir() => {
                    let _ = std::fs::remove_dir_all(p);
                }
                Ok(_) => {
                    let _ = std::fs::remove_file(p);
                }
                Err(_) => {}
            }
        }
        for hook in std::mem::take(&mut *lock(&self.hooks)) {
            hook();
        }
        lock(&self.done).clone()
    }
}

/// Registers `path` (a temp file or directory of this process, with a unique name) before it
/// is created; refused once the process is stopping.
pub fn reserve(path: PathBuf) -> std::io::Result<Reserved> {
    STATE.reserve(path)
}

/// Whether an interrupt is being handled (long loops may stop early).
pub fn stopping() -> bool {
    lock(&STATE.temps).stopped
}

/// Runs `f`, a change the user sees, as one piece with respect to interrupts; on success
/// `note()` says what it did (printed if an interrupt follows before the command ends).
pub fn change<T>(note: impl FnOnce() -> String, f: impl FnOnce() -> Result<T>) -> Result<T> {
    STATE.change(note, f)
}

/// Runs `hook` if the process is interrupted (after its temp files are removed): undoing a
/// step that is not a temp file, e.g. a plugin directory made by this run.
pub fn at_interrupt(hook: impl FnOnce() + Send + 'static) {
    lock(&STATE.hooks).push(Box::new(hook));
}

/// Handles an interrupt: waits for a change in progress (and lets none start), refuses new
/// temp files, waits briefly for files being created, removes every temp path of this
/// process, runs the hooks, and returns what was changed (empty: nothing). The caller prints
/// and exits; the gate stays closed until then.
pub fn stop() -> Vec<String> {
    STATE.stop()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_removes_reserved_paths_and_refuses_new_ones_and_changes() {
        let st: &'static State = Box::leak(Box::new(State::new()));
        let d = tempfile::tempdir().unwrap();
        let kept = st.reserve(d.path().join("a")).unwrap().keep();
        std::fs::write(&kept, "partial").unwrap();
        let dir = st.reserve(d.path().join("staging-dir")).unwrap().keep();
        std::fs::create_dir_all(dir.join("x")).unwrap();
        std::fs::write(d.path().join("mine"), "user file").unwrap();
        st.change(|| "wrote the lock".into(), || Ok(())).unwrap();
        assert!(st
            .change(|| "failed".into(), || Err::<(), _>(Error::runtime("x")))
            .is_err());
        let done = st.stop();
        assert_eq!(done, ["wrote the lock"]);
        assert!(!kept.exists() && !dir.exists());
        assert!(d.path().join("mine").exists());
        assert!(st.reserve(d.path().join("b")).is_err());
        assert!(lock(&st.temps).stopped);
    }
}
