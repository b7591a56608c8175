//! Before/after snapshots of whole trees, and the one assertion the safety suites share: a
//! command exits with the expected code, says what it should, and leaves the trees as they were
//! (except what it promised to change).
//!
//! ```ignore
//! let before = Snapshot::take(&[sb.path().join("proj"), sb.p("cache")]);
//! let r = sb.plugin(&["mirror", "-c", "proj/optimus.yaml", "--output", "proj"]);
//! r.expect(2, &["proj", "not a mirror"]);
//! before.assert_unchanged(&[]);
//! ```

use super::Run;
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What a snapshot records of one path: its kind, and for a file its size, mode, mtime and
/// sha256; for a symlink its target; for a directory its mode (a directory's mtime moves when a
/// temp file is made and removed inside it, which no user sees, so it is not compared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    File {
        size: u64,
        mode: u32,
        mtime_ns: i128,
        sha256: String,
    },
    Dir {
        mode: u32,
    },
    Link {
        target: PathBuf,
    },
    /// Something that could not be read (permission): recorded by its mode, so a change of
    /// mode still shows.
    Unreadable {
        mode: u32,
    },
}

/// Every path under the given roots (the roots included), absolute path → [`Node`]. A root
/// that does not exist is recorded as absent (its later creation is a change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    roots: Vec<PathBuf>,
    nodes: BTreeMap<PathBuf, Node>,
}

impl Snapshot {
    pub fn take<P: AsRef<Path>>(roots: &[P]) -> Snapshot {
        let roots: Vec<PathBuf> = roots.iter().map(|r| r.as_ref().to_path_buf()).collect();
        let mut nodes = BTreeMap::new();
        for r in &roots {
            walk(r, &mut nodes);
        }
        Snapshot { roots, nodes }
    }

    /// The same roots, read again now.
    pub fn retake(&self) -> Snapshot {
        Snapshot::take(&self.roots)
    }

    /// The paths recorded (for tests that look for leftovers).
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.nodes.keys().map(|p| p.as_path())
    }

    /// What differs from `before` to `self`, one line per path: `+ p` added, `- p` removed,
    /// `~ p: what` changed. Paths under any of `except` are left out.
    pub fn diff_from(&self, before: &Snapshot, except: &[&Path]) -> Vec<String> {
        let skip = |p: &Path| except.iter().any(|e| p.starts_with(e));
        let mut out = Vec::new();
        for (p, old) in &before.nodes {
            if skip(p) {
                continue;
            }
            match self.nodes.get(p) {
                None => out.push(format!("- {}", p.display())),
                Some(new) if new != old => {
                    out.push(format!("~ {}: {}", p.display(), describe(old, new)))
                }
                Some(_) => {}
            }
        }
        for p in self.nodes.keys() {
            if !skip(p) && !before.nodes.contains_key(p) {
                out.push(format!("+ {}", p.display()));
            }
        }
        out
    }

    /// Reads the roots again and fails, listing every difference, unless nothing changed
    /// outside `except`.
    #[track_caller]
    pub fn assert_unchanged(&self, except: &[&Path]) {
        let diff = self.retake().diff_from(self, except);
        assert!(
            diff.is_empty(),
            "the tree changed:\n  {}",
            diff.join("\n  ")
        );
    }
}

fn describe(old: &Node, new: &Node) -> String {
    match (old, new) {
        (
            Node::File {
                size: s0,
                mode: m0,
                mtime_ns: t0,
                sha256: h0,
            },
            Node::File {
                size: s1,
                mode: m1,
                mtime_ns: t1,
                sha256: h1,
            },
        ) => {
            let mut what = Vec::new();
            if s0 != s1 {
                what.push(format!("size {s0} -> {s1}"));
            }
            if m0 != m1 {
                what.push(format!("mode {m0:o} -> {m1:o}"));
            }
            if h0 != h1 {
                what.push("content".to_string());
            }
            if t0 != t1 {
                what.push("mtime".to_string());
            }
            what.join(", ")
        }
        _ => format!("{old:?} -> {new:?}"),
    }
}

fn walk(p: &Path, out: &mut BTreeMap<PathBuf, Node>) {
    let Ok(md) = std::fs::symlink_metadata(p) else {
        return;
    };
    let mode = md.mode() & 0o7777;
    let ft = md.file_type();
    if ft.is_symlink() {
        let target = std::fs::read_link(p).unwrap_or_default();
        out.insert(p.to_path_buf(), Node::Link { target });
    } else if ft.is_dir() {
        match std::fs::read_dir(p) {
            Ok(rd) => {
                out.insert(p.to_path_buf(), Node::Dir { mode });
                let mut children: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
                children.sort();
                for c in children {
                    walk(&c, out);
                }
            }
            Err(_) => {
                out.insert(p.to_path_buf(), Node::Unreadable { mode });
            }
        }
    } else {
        let node = match std::fs::read(p) {
            Ok(bytes) => {
                use sha2::Digest;
                Node::File {
                    size: md.len(),
                    mode,
                    mtime_ns: md.mtime() as i128 * 1_000_000_000 + md.mtime_nsec() as i128,
                    sha256: hex::encode(sha2::Sha256::digest(&bytes)),
                }
            }
            Err(_) => Node::Unreadable { mode },
        };
        out.insert(p.to_path_buf(), node);
    }
}

impl Run {
    /// The one check of a command's outcome: its exit code is `code`, and its output (stdout
    /// and stderr together) holds every fragment. Fails with the whole output otherwise.
    #[track_caller]
    pub fn expect(self, code: i32, fragments: &[&str]) -> Run {
        let all = self.all();
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        for f in fragments {
            assert!(
                all.contains(f),
                "expected the output to contain {f:?}\nstdout:\n{}\nstderr:\n{}",
                self.stdout,
                self.stderr
            );
        }
        assert!(
            !self.stderr.contains("panicked"),
            "panic in output:\n{}",
            self.stderr
        );
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_sees_content_mode_and_new_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a"), "1").unwrap();
        let before = Snapshot::take(&[d.path()]);
        assert!(before.retake().diff_from(&before, &[]).is_empty());
        std::fs::write(d.path().join("b"), "2").unwrap();
        let diff = before.retake().diff_from(&before, &[]);
        assert_eq!(diff.len(), 1, "{diff:?}");
        assert!(diff[0].starts_with("+ "));
        std::fs::remove_file(d.path().join("b")).unwrap();
        std::fs::write(d.path().join("a"), "x").unwrap();
        let diff = before.retake().diff_from(&before, &[]);
        assert!(diff[0].contains("content"), "{diff:?}");
        assert!(before
            .retake()
            .diff_from(&before, &[&d.path().join("a")])
            .is_empty());
    }
}
