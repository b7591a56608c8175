//! How a cached file becomes an installed one (and an installed one the cached copy): a hard
//! link (the default, no bytes copied), a copy-on-write clone (`reflink`), or a copy.
//!
//! A mode the file systems cannot honour falls back to a copy: a hard link across devices
//! (the cache on another volume than the project), a clone on a file system without
//! copy-on-write (ext4, tmpfs) or across devices. The first fallback of a run is a warning
//! naming the mode and why; later ones are debug lines.

use crate::model::report::Reporter;
use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub use crate::model::link_mode::LinkMode;

/// A link mode for one run: places files, and warns once when it has to copy instead.
#[derive(Clone, Debug, Default)]
pub struct Linker {
    pub mode: LinkMode,
    warned: Arc<AtomicBool>,
}

impl Linker {
    pub fn new(mode: LinkMode) -> Linker {
        Linker {
            mode,
            warned: Arc::default(),
        }
    }

    /// Makes `to` (which must not exist) a file with the contents of `from`.
    pub fn place(&self, from: &Path, to: &Path, reporter: &dyn Reporter) -> std::io::Result<()> {
        let why = match self.mode {
            LinkMode::Copy => return fs::copy(from, to).map(|_| ()),
            LinkMode::Hardlink => match fs::hard_link(from, to) {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {
                    "they are on different file systems".to_string()
                }
                Err(e) => e.to_string(),
            },
            LinkMode::Reflink => match reflink(from, to) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    let _ = fs::remove_file(to);
                    if e.kind() == std::io::ErrorKind::CrossesDevices {
                        "they are on different file systems".to_string()
                    } else {
                        format!("the file system cannot clone files: {e}")
                    }
                }
            },
        };
        let msg = format!(
            "link mode {}: cannot {} {} to {} ({why}); copying instead (set --link-mode copy, OPTIMUS_LINK_MODE=copy or plugins.link_mode: copy to silence this)",
            self.mode,
            if self.mode == LinkMode::Reflink { "clone" } else { "hard-link" },
            dir_of(from),
            dir_of(to),
        );
        if self.warned.swap(true, Ordering::Relaxed) {
            reporter.debug(&msg);
        } else {
            reporter.warn(&msg);
        }
        fs::copy(from, to).map(|_| ())
    }
}

fn dir_of(p: &Path) -> String {
    p.parent().unwrap_or(p).display().to_string()
}

/// A copy-on-write clone of `from` at `to` (created; same permissions as `from`).
#[cfg(target_os = "linux")]
fn reflink(from: &Path, to: &Path) -> std::io::Result<()> {
    let src = fs::File::open(from)?;
    let dest = fs::File::options().write(true).create_new(true).open(to)?;
    rustix::fs::ioctl_ficlone(&dest, &src)?;
    dest.set_permissions(src.metadata()?.permissions())?;
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn reflink(_from: &Path, _to: &Path) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "clones are made on Linux only",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Record(Mutex<Vec<String>>, Mutex<Vec<String>>);
    impl Reporter for Record {
        fn warn(&self, m: &str) {
            self.0.lock().unwrap().push(m.to_string());
        }
        fn note(&self, _: &str) {}
        fn debug(&self, m: &str) {
            self.1.lock().unwrap().push(m.to_string());
        }
    }

    #[test]
    fn every_mode_places_the_bytes_and_a_fallback_warns_once() {
        let dir = tempfile_dir();
        let from = dir.join("src");
        fs::write(&from, b"plugin").unwrap();
        for mode in [LinkMode::Hardlink, LinkMode::Copy, LinkMode::Reflink] {
            let linker = Linker::new(mode);
            let rec = Record::default();
            for i in 0..3 {
                let to = dir.join(format!("{mode}-{i}"));
                linker.place(&from, &to, &rec).unwrap();
                assert_eq!(fs::read(&to).unwrap(), b"plugin");
            }
            // Hard links and copies need no fallback on one file system; a clone may (ext4):
            // then one warning for the run, and debug lines after it.
            let warned = rec.0.lock().unwrap().clone();
            assert!(warned.len() <= 1, "{warned:?}");
            if let Some(w) = warned.first() {
                assert_eq!(mode, LinkMode::Reflink);
                assert!(
                    w.contains("link mode reflink") && w.contains("copying instead"),
                    "{w}"
                );
                assert_eq!(rec.1.lock().unwrap().len(), 2);
            }
        }
        let _ = fs::remove_dir_all(dir);
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(crate::model::fsutil::unique_name("link-test-"));
        fs::create_dir_all(&d).unwrap();
        d
    }
}
