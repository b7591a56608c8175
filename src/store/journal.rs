//! One step for every change to a plugin directory: the staged files' renames, the removals,
//! the new receipts and the new `optimus.lock` are first written as an intent file
//! (`<dir>/.optimus-journal.toml`, atomically: that write is the commit point), then carried
//! out, then the intent file is removed. A run killed after the commit point is completed by
//! the next command that looks at the directory ([`recover`]: install, remove, verify, list);
//! one killed before it changed nothing (its staging files are cleaned up). Every step is
//! idempotent, so completing a half-done journal twice is harmless. Roll-forward rather than
//! roll-back: the old files are gone once a rename replaced them, the new ones are all there.

use crate::error::{Error, Result};
use crate::model::fsutil::{self, STAGING_PREFIX};
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

/// The names a journal may touch: plain names in the directory (no path, no `..`), staging
/// files for the sources of renames, and only receipts and lockfiles for the documents.
fn check(j: &Journal, path: &Path) -> Result<()> {
    let plain = |n: &str| !n.is_empty() && !n.contains(['/', '\\', '\0']) && n != ".." && n != ".";
    let ok = j
        .renames
        .iter()
        .all(|r| plain(&r.from) && plain(&r.to) && r.from.starts_with(STAGING_PREFIX))
        && j.remove.iter().all(|n| plain(n))
        && j.writes.iter().all(|w| {
            w.path.is_absolute()
                && w.path.file_name().is_some_and(|f| {
                    f == ".receipts.toml" || f.to_string_lossy().ends_with(".lock")
                })
        });
    if ok {
        Ok(())
    } else {
        Err(Error::runtime(format!(
            "{}: not a valid journal (tampered?); delete it and run `optimus-plugins install`",
            path.display()
        )))
    }
}

impl Journal {
    pub fn is_empty(&self) -> bool {
        self.renames.is_empty() && self.remove.is_empty() && self.writes.is_empty()
    }

    /// Records the intent (the commit point), carries it out, and forgets it.
    pub fn commit(&self, dir: &Path) -> Result<()> {
        if self.is_empty() {
            return Ok(());
        }
        let path = dir.join(FILE);
        let text = toml::to_string(self).expect("journal serialises");
        fsutil::write_atomic(&path, text.as_bytes())?;
        self.apply(dir)?;
        fs::remove_file(&path).map_err(|e| Error::path("removing", &path, e))
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

/// Completes the change a killed run committed to, if any: `true` when there was one. Call it
/// holding the directory lock, before staging files are cleaned up.
pub fn recover(dir: &Path) -> Result<bool> {
    let path = dir.join(FILE);
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::path("reading", &path, e)),
    };
    let j: Journal = toml::from_str(&text).map_err(|e| {
        Error::runtime(format!(
            "{}: {}; delete it and run `optimus-plugins install`",
            path.display(),
            e.message()
        ))
    })?;
    check(&j, &path)?;
    j.apply(dir)?;
    fs::remove_file(&path).map_err(|e| Error::path("removing", &path, e))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run killed after the commit point, halfway through the renames: the next run finds
    /// the journal and completes every step; a second recovery finds nothing to do.
    #[test]
    fn recover_completes_a_half_done_journal() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path();
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
        assert!(recover(dir).unwrap());
        let read = |n: &str| fs::read_to_string(dir.join(n)).unwrap();
        assert_eq!(read("optimus-a_linux_amd64"), "new a");
        assert_eq!(read("optimus-b_linux_amd64"), "new b");
        assert_eq!(read(".receipts.toml"), "receipts");
        assert_eq!(read("optimus.lock"), "lock");
        assert!(!dir.join("optimus-old_linux_amd64").exists());
        assert!(!dir.join(FILE).exists());
        assert!(!recover(dir).unwrap());
    }

    #[test]
    fn a_tampered_journal_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path();
        for bad in [
            "[[rename]]\nfrom = \"../x\"\nto = \"y\"\n",
            "[[rename]]\nfrom = \"x\"\nto = \"y\"\n",
            "remove = [\"../../etc/passwd\"]\n",
            "[[write]]\npath = \"/etc/passwd\"\ntext = \"x\"\n",
        ] {
            fs::write(dir.join(FILE), bad).unwrap();
            let e = recover(dir).unwrap_err().to_string();
            assert!(e.contains("not a valid journal"), "{bad}: {e}");
        }
    }
}
