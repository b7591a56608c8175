//! Which Optimus CLI. raystack's discovery searches "the directory of the optimus executable"
//! (`filepath.Dir(os.Executable())`, plugin/plugin.go; docs/upstream-rules.md §3.1). This tool
//! is not that executable — it may even be installed under the name `optimus` — so that
//! directory is taken from the real one: `--optimus PATH`, else `OPTIMUS_BIN`, else the first
//! `optimus` on `PATH` that is not this tool. When there is none, the directory is left out and
//! the caller says so; nothing is guessed.

use crate::error::{Error, Result};
use crate::model::fsutil;
use serde::Serialize;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// What the caller knows: the flag, the environment, and this tool's own executable.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ask<'a> {
    /// `--optimus PATH`.
    pub flag: Option<&'a Path>,
    /// `OPTIMUS_BIN`.
    pub env: Option<&'a Path>,
    /// `PATH`.
    pub path_var: Option<&'a OsStr>,
    /// This tool (`std::env::current_exe`).
    pub me: Option<&'a Path>,
}

/// The Optimus CLI found, or none; serialised as `list --json`'s `optimus_cli`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Found {
    /// How it was chosen: `--optimus`, `OPTIMUS_BIN` or `PATH`; null when none was found.
    pub source: Option<&'static str>,
    /// The executable, as named there.
    pub path: Option<PathBuf>,
    /// The directory discovery searches for it: the executable's, with links resolved where
    /// Go's `os.Executable` resolves them (Linux reads `/proc/self/exe`).
    pub dir: Option<PathBuf>,
    /// `optimus` files on PATH passed over because they are this tool.
    pub skipped: Vec<PathBuf>,
    /// What the caller should warn about (an `OPTIMUS_BIN` naming this tool).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

const NAME: &str = if cfg!(windows) {
    "optimus.exe"
} else {
    "optimus"
};

/// Finds the Optimus CLI. A flag or `OPTIMUS_BIN` that names no file is a usage error (exit
/// 2); so is a flag naming this tool. `OPTIMUS_BIN` naming this tool is a warning and PATH is
/// searched instead (this repository's scripts used the name for this tool before issue 18).
pub fn find(ask: &Ask) -> Result<Found> {
    let mut found = Found::default();
    let is_me = |p: &Path| ask.me.is_some_and(|me| same_file(p, me));
    if let Some(given) = ask.flag {
        let p = explicit(given, "--optimus")?;
        if is_me(&p) {
            return Err(Error::usage(
                format!("--optimus {}", given.display()),
                "is this tool, not the Optimus CLI: give the path of the Go `optimus` executable, or leave --optimus out to use the first other `optimus` on PATH",
            ));
        }
        return Ok(chosen(found, "--optimus", p));
    }
    if let Some(given) = ask.env {
        let p = explicit(given, "OPTIMUS_BIN")?;
        if !is_me(&p) {
            return Ok(chosen(found, "OPTIMUS_BIN", p));
        }
        found.warnings.push(format!(
            "OPTIMUS_BIN={} is this tool, not the Optimus CLI: ignored, the first other `optimus` on PATH is used (unset it, or point it at the Go `optimus` executable)",
            given.display()
        ));
    }
    for dir in std::env::split_paths(ask.path_var.unwrap_or_default()) {
        // An empty entry is the working directory, as in a shell.
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let cand = fsutil::absolute(&dir.join(NAME));
        if !is_executable(&cand) {
            continue;
        }
        if is_me(&cand) {
            found.skipped.push(cand);
            continue;
        }
        return Ok(chosen(found, "PATH", cand));
    }
    Ok(found)
}

/// An executable named by `what` (`--optimus` or `OPTIMUS_BIN`), made absolute; a missing
/// file or a directory is a usage error naming it.
fn explicit(given: &Path, what: &str) -> Result<PathBuf> {
    let abs = fsutil::absolute(given);
    let why = match std::fs::metadata(&abs) {
        Err(_) => "no such file",
        Ok(m) if m.is_dir() => "a directory",
        Ok(_) => return Ok(abs),
    };
    let fix = "give the path of the Optimus CLI, the Go `optimus` executable";
    Err(match what {
        "OPTIMUS_BIN" => Error::Env {
            var: format!("OPTIMUS_BIN={}", given.display()),
            problem: format!("{why}: {fix} (or unset OPTIMUS_BIN)"),
        },
        _ => Error::usage(
            format!("{what} {}", given.display()),
            format!("{why}: {fix}"),
        ),
    })
}

fn chosen(mut found: Found, source: &'static str, path: PathBuf) -> Found {
    found.dir = exe_dir(&path);
    found.source = Some(source);
    found.path = Some(path);
    found
}

/// `filepath.Dir(os.Executable())` for the optimus at `path`: on Linux `os.Executable` reads
/// `/proc/self/exe`, where the kernel has resolved every link; elsewhere it is the path used.
fn exe_dir(path: &Path) -> Option<PathBuf> {
    let exe = if cfg!(target_os = "linux") {
        std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
    } else {
        fsutil::normalize(path)
    };
    exe.parent().map(Path::to_path_buf)
}

fn is_executable(p: &Path) -> bool {
    let Ok(m) = std::fs::metadata(p) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        m.is_file() && m.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        m.is_file()
    }
}

/// The same file (links followed): same device and inode, or the same canonical path.
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn exe(p: &Path) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn the_first_optimus_on_path_that_is_not_this_tool() {
        let t = tempfile::tempdir().unwrap();
        let me = t.path().join("tool/optimus-plugins");
        exe(&me);
        std::fs::create_dir_all(t.path().join("a")).unwrap();
        symlink(&me, t.path().join("a/optimus")).unwrap(); // this tool, by a link
        std::fs::create_dir_all(t.path().join("b")).unwrap();
        std::fs::write(t.path().join("b/optimus"), "not executable").unwrap();
        exe(&t.path().join("real/bin/optimus"));
        std::fs::create_dir_all(t.path().join("c")).unwrap();
        symlink(
            t.path().join("real/bin/optimus"),
            t.path().join("c/optimus"),
        )
        .unwrap();
        exe(&t.path().join("d/optimus"));
        let path = std::env::join_paths(["a", "b", "c", "d"].map(|d| t.path().join(d))).unwrap();
        let f = find(&Ask {
            path_var: Some(&path),
            me: Some(&me),
            ..Ask::default()
        })
        .unwrap();
        assert_eq!(f.source, Some("PATH"));
        assert_eq!(
            f.path.as_deref(),
            Some(t.path().join("c/optimus").as_path())
        );
        let real = std::fs::canonicalize(t.path().join("real/bin")).unwrap();
        assert_eq!(f.dir.as_deref(), Some(real.as_path()));
        assert_eq!(f.skipped, [t.path().join("a/optimus")]);
        // Only this tool on PATH: none, and nothing guessed.
        let only = std::env::join_paths([t.path().join("a")]).unwrap();
        let f = find(&Ask {
            path_var: Some(&only),
            me: Some(&me),
            ..Ask::default()
        })
        .unwrap();
        assert!(f.source.is_none() && f.dir.is_none() && f.skipped.len() == 1);
        // The flag over the environment over PATH; this tool named by the environment is
        // passed over with a warning, by the flag refused.
        let d = t.path().join("d/optimus");
        let ask = Ask {
            flag: Some(&d),
            env: Some(&me),
            path_var: Some(&path),
            me: Some(&me),
        };
        assert_eq!(find(&ask).unwrap().source, Some("--optimus"));
        let f = find(&Ask { flag: None, ..ask }).unwrap();
        assert_eq!((f.source, f.warnings.len()), (Some("PATH"), 1));
        let e = find(&Ask {
            flag: Some(&me),
            ..ask
        })
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let nowhere = t.path().join("nowhere/optimus");
        let e = find(&Ask {
            flag: None,
            env: Some(&nowhere),
            ..ask
        })
        .unwrap_err();
        assert!(e.to_string().contains("OPTIMUS_BIN"), "{e}");
    }
}
