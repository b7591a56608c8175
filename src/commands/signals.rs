//! SIGINT and SIGTERM: stop, remove this process's temp files, say in one line what was
//! changed, exit 130 / 143 (128 + the signal, as shells report it).
//!
//! A thread of its own waits for the signals (a runtime of its own, so a command blocked in a
//! lock wait or a long unpack still reacts). On a signal it hands over to
//! [`crate::model::interrupt::stop`], which waits for a change in progress to finish (a journal
//! commit is never cut in half), lets none start, and removes every temp file this process
//! made; what is still running is ended by the exit. Downloads stop with the process.

use crate::model::interrupt;

/// What the line may claim: the install side (install, sync, update, lock, remove, mirror,
/// cache, and the read-only commands) changes nothing outside [`interrupt::change`]; the
/// publishing side (publish, yank, refresh, keygen) writes as it goes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Claims {
    Tracked,
    Untracked,
}

/// Starts watching SIGINT and SIGTERM; returns once they are caught.
#[cfg(unix)]
pub fn watch(claims: Claims) {
    let (ready, wait) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(_) => {
                    let _ = ready.send(());
                    return;
                }
            };
            rt.block_on(async move {
                use tokio::signal::unix::{signal, SignalKind};
                let (Ok(mut int), Ok(mut term)) = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                ) else {
                    let _ = ready.send(());
                    return;
                };
                let _ = ready.send(());
                let code = tokio::select! {
                    _ = int.recv() => 130,
                    _ = term.recv() => 143,
                };
                let done = interrupt::stop();
                eprintln!("{}", line(&done, claims));
                std::process::exit(code);
            });
        });
    if spawned.is_ok() {
        let _ = wait.recv();
    }
}

#[cfg(not(unix))]
pub fn watch(_: Claims) {}

/// The one line an interrupted command prints.
fn line(done: &[String], claims: Claims) -> String {
    match (claims, done) {
        (Claims::Untracked, _) => {
            "interrupted: what was written before the interrupt stays (check it, then run the command again)".to_string()
        }
        (Claims::Tracked, []) => "interrupted: nothing was changed".to_string(),
        (Claims::Tracked, done) => format!(
            "interrupted: {}; nothing else was changed",
            done.join("; ")
        ),
    }
}
