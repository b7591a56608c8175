//! One step for every change to a plugin directory: the staged files' renames, the removals,
//! the new receipts and the new `optimus.lock` are first written as an intent file
//! (`<dir>/.optimus-journal.toml`, atomically: that write is the commit point), then carried
//! out, then the intent file is removed. A run killed after the commit point is completed by
//! the next command that writes there ([`recover`]: install, sync, update, remove, lock); the
//! read-only ones (`verify`, `list`, `outdated`) never complete it, they only say it is there
//! ([`pending`]). A run killed before the commit point changed nothing (its staging files are
//! cleaned up). Every step is idempotent, so completing a half-done journal twice is harmless.
//! Roll-forward rather than roll-back: the old files are gone once a rename replaced them, the
//! new ones are all there.

use crate::error::{Error, Result};
use crate::model::fsutil::{self, STAGING_PREFIX};
use crate::model::interrupt;
use crate::store::guard::plugin_dir_entry;
use crate::store::lock::DirLock;
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};

pub const FILE: &str = ".optimus-journal.toml";

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Journal {
    /// Staging file → installed file, both names inside the directory.
    #[serde(default, rename = "rename")]
    pub renames: Vec<Rename>,
    /// Installed files to delete (names inside the directory).
    #[serde(default)]
    pub remove: Vec<String>,
    /// Whole documents to write last: the receipts, the lockfile.
    #[serde(default, rename = "write")]
    pub writes: Vec<Write>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Write {
    pub path: PathBuf,
    pub text: String,
}

/// What a journal may touch (`store::guard::plugin_dir_entry`): renames from a staging file
/// to an installed plugin file and removals of installed plugin files, all plain names in the
/// directory; and whole documents only at this directory's receipts and, when the command has
/// a config, that config's lock, named as a commit names them (absolute, no `..`). Anything
/// else (an absolute path elsewhere, `.plugins/link/../optimus.lock` through a symlink, a
/// project file in a plugin dir shared with the project) is tampering: refused, and nothing in
/// it is done.
fn check(j: &Journal, path: &Path, dir: &Path, lock: Option<&Path>) -> Result<()> {
    let plain = |n: &str| !n.is_empty() && !n.contains(['/', '\\', '\0']) && n != ".." && n != ".";
    let receipts = fsutil::absolute(&dir.join(".receipts.toml"));
    let lock = lock.map(fsutil::absolute);
    let bad = j
        .renames
        .iter()
        .find(|r| !(plain(&r.from) && r.from.starts_with(STAGING_PREFIX)))
        .map(|r| r.from.clone())
        .or_else(|| {
            j.renames
                .iter()
                .map(|r| &r.to)
                .chain(&j.remove)
                .find(|n| !plugin_dir_entry(n))
                .cloned()
        })
        .or_else(|| {
            j.writes
                .iter()
                .map(|w| &w.path)
                .find(|p| {
                    // As a commit writes them: absolute, without `..` (`lnk/../x` is `x` to
                    // the text, but the directory `lnk` points to, plus `x`, to the system).
                    let dotdot = p.components().any(|c| c == std::path::Component::ParentDir);
                    let p_abs = fsutil::absolute(p);
                    dotdot
                        || !p.is_absolute()
                        || !(same_place(&p_abs, &receipts)
                            || lock.as_ref().is_some_and(|l| same_place(&p_abs, l)))
                })
                .map(|p| p.display().to_string())
        });
    match bad {
        None => Ok(()),
        Some(name) => Err(Error::document(
            path.display().to_string(),
            format!(
                "not a valid journal (tampered?): it names {name:?}, which no commit of {} may touch; nothing in it was done: delete it and run `optimus-plugins install`",
                match &lock {
                    Some(l) => format!("{} with {}", dir.display(), l.display()),
                    None => dir.display().to_string(),
                }
            ),
        )),
    }
}

/// Whether `p` names the file `expected` names: the same text, or the same name in the same
/// real directory (a commit made through `-c link/optimus.yaml`, replayed from the directory
/// the link points to). `p` has no `..` (checked by the caller), so its directory is where the
/// system would write.
fn same_place(p: &Path, expected: &Path) -> bool {
    if p == expected {
        return true;
    }
    let real = |x: &Path| x.parent().and_then(|d| std::fs::canonicalize(d).ok());
    p.file_name() == expected.file_name() && real(p).is_some() && real(p) == real(expected)
}

/// Checks, before anything is staged or committed, that the plugin directory `dir` and the
/// directory of every document (`docs`: the lock, the receipts) can be written, so a commit
/// never stops half-way on a directory it cannot write (a read-only project directory).
pub fn preflight(dir: &Path, docs: &[&Path]) -> Result<()> {
    let mut dirs = vec![(dir.to_path_buf(), "the plugin files".to_string())];
    for d in docs {
        let parent = d.parent().unwrap_or(Path::new(".")).to_path_buf();
        let name = d
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        match dirs.iter_mut().find(|(p, _)| *p == parent) {
            Some((_, what)) => what.push_str(&format!(" and {name}")),
            None => dirs.push((parent, name)),
        }
    }
    for (d, what) in &dirs {
        fsutil::probe_writable(d).map_err(|e| {
            e.noted(format!(
                "({what} would be written there); nothing was changed"
            ))
        })?;
    }
    Ok(())
}

/// The journal of an unfinished commit in `dir`, if there is one (read-only commands report
/// it and leave it to a writing command).
pub fn pending(dir: &Path) -> Option<PathBuf> {
    let path = dir.join(FILE);
    path.is_file().then_some(path)
}

impl Journal {
    pub fn is_empty(&self) -> bool {
        self.renames.is_empty() && self.remove.is_empty() && self.writes.is_empty()
    }

    /// Records the intent (the commit point), carries it out, and forgets it: first checks
    /// that every directory it writes in can be written ([`preflight`]), and runs as one
    /// change with respect to an interrupt (`model::interrupt`). `held`: the lock of the
    /// plugin directory it changes.
    pub fn commit(&self, held: &DirLock) -> Result<()> {
        let dir = held.dir();
        if self.is_empty() {
            return Ok(());
        }
        let docs: Vec<&Path> = self.writes.iter().map(|w| w.path.as_path()).collect();
        preflight(dir, &docs)?;
        let path = dir.join(FILE);
        let text = toml::to_string(self).expect("journal serialises");
        interrupt::change(
            || self.summary(dir),
            || {
                fsutil::write_atomic(&path, text.as_bytes())?;
                self.apply(dir)?;
                fs::remove_file(&path).map_err(|e| Error::path("removing", &path, e))
            },
        )
    }

    /// What the commit did, for the line an interrupt prints.
    fn summary(&self, dir: &Path) -> String {
        let docs: Vec<String> = self
            .writes
            .iter()
            .filter_map(|w| w.path.file_name())
            .map(|f| f.to_string_lossy().into_owned())
            .collect();
        format!(
            "the change to {} was completed ({} file(s) put in place, {} removed{})",
            fsutil::shown(dir),
            self.renames.len(),
            self.remove.len(),
            if docs.is_empty() {
                String::new()
            } else {
                format!(", {} written", docs.join(" and "))
            }
        )
    }

    fn apply(&self, dir: &Path) -> Result<()> {
        for r in &self.renames {
            let (from, to) = (dir.join(&r.from), dir.join(&r.to));
            // Already renamed by an earlier, interrupted run: nothing left to do.
            if from.exists() {
                fs::rename(&from, &to).map_err(|e| Error::path("installing", &to, e))?;
            }
        }
        for n in &self.remove {
            let p = dir.join(n);
            match fs::remove_file(&p) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::path("removing", &p, e))
                }
                _ => {}
            }
        }
        for w in &self.writes {
            fsutil::write_atomic(&w.path, w.text.as_bytes())?;
        }
        Ok(())
    }
}

/// Completes the change a killed run committed to in the directory `held` locks, if any:
/// `true` when there was one. Called before staging files are cleaned up, from a command that
/// writes (install, sync, update, remove, lock), with the lock of its config (`None`: no
/// config, as for `sync --host`). Read-only commands only look ([`pending`]).
pub fn recover(held: &DirLock, lock: Option<&Path>) -> Result<bool> {
    let dir = held.dir();
    let path = dir.join(FILE);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::path("reading", &path, e)),
    };
    let j: Journal = toml::from_str(&text).map_err(|e| {
        Error::document(
            path.display().to_string(),
            format!(
                "{}; delete it and run `optimus-plugins install`",
                e.message()
            ),
        )
    })?;
    check(&j, &path, dir, lock)?;
    interrupt::change(
        || j.summary(dir),
        || {
            j.apply(dir)?;
            fs::remove_file(&path).map_err(|e| Error::path("removing", &path, e))
        },
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::report::Silent;
    use crate::store::lock::lock_dir;

    /// A run killed after the commit point, halfway through the renames: the next run finds
    /// the journal and completes every step; a second recovery finds nothing to do.
    #[test]
    fn recover_completes_a_half_done_journal() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path();
        let held = lock_dir(dir, &Silent).unwrap();
        let stage = |n: &str, text: &str| {
            let name = format!("{STAGING_PREFIX}{n}");
            fs::write(dir.join(&name), text).unwrap();
            Rename {
                from: name,
                to: format!("optimus-{n}_linux_amd64"),
            }
        };
        fs::write(dir.join("optimus-old_linux_amd64"), "old").unwrap();
        let j = Journal {
            renames: vec![stage("a", "new a"), stage("b", "new b")],
            remove: vec!["optimus-old_linux_amd64".into()],
            writes: vec![
                Write {
                    path: dir.join(".receipts.toml"),
                    text: "receipts".into(),
                },
                Write {
                    path: dir.join("optimus.lock"),
                    text: "lock".into(),
                },
            ],
        };
        fs::write(dir.join(FILE), toml::to_string(&j).unwrap()).unwrap();
        fs::rename(dir.join(&j.renames[0].from), dir.join(&j.renames[0].to)).unwrap();
        assert!(recover(&held, Some(&dir.join("optimus.lock"))).unwrap());
        let read = |n: &str| fs::read_to_string(dir.join(n)).unwrap();
        assert_eq!(read("optimus-a_linux_amd64"), "new a");
        assert_eq!(read("optimus-b_linux_amd64"), "new b");
        assert_eq!(read(".receipts.toml"), "receipts");
        assert_eq!(read("optimus.lock"), "lock");
        assert!(!dir.join("optimus-old_linux_amd64").exists());
        assert!(!dir.join(FILE).exists());
        assert!(!recover(&held, Some(&dir.join("optimus.lock"))).unwrap());
    }

    #[test]
    fn a_tampered_journal_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path();
        let held = lock_dir(dir, &Silent).unwrap();
        let lock = dir.join("optimus.lock");
        fs::write(dir.join("main.go"), "package main").unwrap();
        for bad in [
            "[[rename]]\nfrom = \"../x\"\nto = \"y\"\n".to_string(),
            "[[rename]]\nfrom = \"x\"\nto = \"y\"\n".to_string(),
            format!("[[rename]]\nfrom = \"{STAGING_PREFIX}1\"\nto = \"main.go\"\n"),
            "remove = [\"../../etc/passwd\"]\n".to_string(),
            "remove = [\"main.go\"]\n".to_string(),
            "[[write]]\npath = \"/etc/passwd\"\ntext = \"x\"\n".to_string(),
            "[[write]]\npath = \"/any/abs/x.lock\"\ntext = \"x\"\n".to_string(),
            format!(
                "[[write]]\npath = {:?}\ntext = \"x\"\n",
                dir.join("other.lock")
            ),
        ] {
            fs::write(dir.join(FILE), &bad).unwrap();
            let e = recover(&held, Some(&lock)).unwrap_err().to_string();
            assert!(e.contains("not a valid journal"), "{bad}: {e}");
            assert!(dir.join("main.go").exists());
        }
        // This config's own lock is fine; without a config (sync --host) only the receipts.
        let own = format!("[[write]]\npath = {:?}\ntext = \"x\"\n", lock);
        fs::write(dir.join(FILE), &own).unwrap();
        assert!(recover(&held, None).is_err());
        assert!(recover(&held, Some(&lock)).unwrap());
    }
}
