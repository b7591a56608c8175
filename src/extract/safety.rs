//! Archive safety: entry paths, link targets (alone and through each other), and the
//! counters that stop bombs by size, entry count and compression ratio.

use crate::error::{Error, Result};
use std::io::{self, Read};

pub(crate) fn archive_err(what: &str, msg: impl std::fmt::Display) -> Error {
    Error::Archive {
        artifact: what.to_string(),
        message: msg.to_string(),
    }
}

/// Splits an entry path on `/` and `\` and refuses absolute paths and `..`.
pub(super) fn check_entry_path(what: &str, raw: &str) -> Result<()> {
    let bad = |why: &str| {
        Err(archive_err(
            what,
            format!("refusing archive entry {raw:?}: {why}"),
        ))
    };
    if raw.starts_with('/') || raw.starts_with('\\') {
        return bad("absolute path");
    }
    if raw.len() >= 2 && raw.as_bytes()[1] == b':' {
        return bad("absolute (drive) path");
    }
    if raw.contains('\0') {
        return bad("NUL in name");
    }
    if raw.split(['/', '\\']).any(|c| c == "..") {
        return bad("path contains `..`");
    }
    Ok(())
}

/// A link target must stay inside the archive, judged from the link's own directory.
pub(super) fn check_link_target(what: &str, entry: &str, target: &str) -> Result<()> {
    let bad = || {
        Err(archive_err(
            what,
            format!("refusing link {entry:?} -> {target:?}: it points outside the archive"),
        ))
    };
    if target.starts_with('/')
        || target.starts_with('\\')
        || (target.len() >= 2 && target.as_bytes()[1] == b':')
    {
        return bad();
    }
    let mut depth: i64 = entry
        .split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != ".")
        .count() as i64
        - 1;
    for c in target.split(['/', '\\']) {
        match c {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return bad();
                }
            }
            _ => depth += 1,
        }
    }
    Ok(())
}

/// Every non-directory entry name seen so far, normalised (`./a` and `a` are one name): an
/// archive naming one file twice is refused, since tools disagree on which copy wins.
#[derive(Default)]
pub(super) struct Names(std::collections::HashSet<String>);

impl Names {
    pub(super) fn check(&mut self, what: &str, raw: &str) -> Result<()> {
        let norm = components(raw).collect::<Vec<_>>().join("/");
        if self.0.insert(norm) {
            Ok(())
        } else {
            Err(archive_err(
                what,
                format!("refusing archive: entry {raw:?} appears twice (duplicate name)"),
            ))
        }
    }
}

/// The components of an in-archive path, without empty and `.` parts.
fn components(path: &str) -> impl Iterator<Item = &str> {
    path.split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != ".")
}

/// Judges every symlink of the archive together: each one is resolved through the others
/// (`d/up -> ..` then `escape -> d/up/..` leaves the root although each alone looks inside).
/// Links are never written out, so this is defence in depth: an archive whose links would
/// escape if unpacked by another tool is refused whole.
pub(super) fn check_links(what: &str, links: &[(String, String)]) -> Result<()> {
    if links.is_empty() {
        return Ok(());
    }
    let map: std::collections::HashMap<String, &str> = links
        .iter()
        .map(|(e, t)| (components(e).collect::<Vec<_>>().join("/"), t.as_str()))
        .collect();
    for (entry, target) in links {
        let bad = |why: &str| {
            Err(archive_err(
                what,
                format!("refusing link {entry:?} -> {target:?}: {why}"),
            ))
        };
        let mut stack: Vec<&str> = components(entry).collect();
        stack.pop();
        let mut todo: std::collections::VecDeque<&str> = components(target).collect();
        let mut hops = 0;
        while let Some(c) = todo.pop_front() {
            if c == ".." {
                if stack.pop().is_none() {
                    return bad("it points outside the archive (through other links)");
                }
                continue;
            }
            stack.push(c);
            if let Some(t) = map.get(&stack.join("/")) {
                hops += 1;
                if hops > 64 {
                    return bad("too many levels of links (a loop?)");
                }
                stack.pop();
                if t.starts_with('/') || t.starts_with('\\') {
                    return bad("it points outside the archive (through other links)");
                }
                for part in components(t).collect::<Vec<_>>().into_iter().rev() {
                    todo.push_front(part);
                }
            }
        }
    }
    Ok(())
}

pub(super) fn base_name(path: &str) -> &str {
    path.trim_end_matches(['/', '\\'])
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
}

impl super::Unpacker<'_> {
    /// Adds an entry's declared size to the running total, refusing it past the limit.
    pub(super) fn add_declared(&self, total: u64, size: u64) -> Result<u64> {
        let total = total.saturating_add(size);
        if total > self.limits.max_unpacked_size {
            return Err(archive_err(
                self.what,
                format!(
                    "unpacked size exceeds the limit of {} bytes (archive bomb?)",
                    self.limits.max_unpacked_size
                ),
            ));
        }
        Ok(total)
    }

    pub(super) fn too_many_entries(&self) -> Error {
        archive_err(
            self.what,
            format!(
                "more than {} entries (archive bomb?)",
                self.limits.max_entries
            ),
        )
    }
}

/// Counts bytes coming out of a reader and fails once past a limit, or once the bytes out
/// outgrow the compressed bytes in by more than `max_ratio` (judged on bytes really read,
/// including entries the tar reader skips, so a bomb stops early and an honest archive with
/// a large entry is never misjudged from its declared sizes).
pub(super) struct Counted<R> {
    pub(super) inner: R,
    pub(super) count: u64,
    pub(super) limit: u64,
    /// Prefix of its messages (the artifact is named by the caller).
    pub(super) what: String,
    /// Compressed bytes read so far, and the ratio allowed (tar.gz only).
    pub(super) ratio: Option<(Meter, u64)>,
}

/// Shared between the layers of a decoder: compressed bytes read, and the first limit tripped
/// (the tar reader hides the io error's text behind its own).
#[derive(Clone, Default)]
pub(super) struct Meter(std::rc::Rc<(std::cell::Cell<u64>, std::cell::RefCell<Option<String>>)>);

impl Meter {
    fn add(&self, n: u64) {
        self.0 .0.set(self.0 .0.get() + n);
    }
    fn compressed(&self) -> u64 {
        self.0 .0.get()
    }
    fn trip(&self, msg: String) -> io::Error {
        self.0 .1.borrow_mut().get_or_insert(msg.clone());
        io::Error::other(msg)
    }
    pub(super) fn tripped(&self) -> Option<String> {
        self.0 .1.borrow().clone()
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if self.count > self.limit {
            let msg = format!(
                "{}unpacked size exceeds the limit of {} bytes (archive bomb?)",
                self.what, self.limit
            );
            return Err(match &self.ratio {
                Some((m, _)) => m.trip(msg),
                None => io::Error::other(msg),
            });
        }
        if let Some((m, max_ratio)) = &self.ratio {
            if self.count > RATIO_FLOOR && self.count / m.compressed().max(1) > *max_ratio {
                return Err(m.trip(format!(
                    "{}compression ratio above {max_ratio}:1 (archive bomb?)",
                    self.what
                )));
            }
        }
        Ok(n)
    }
}

/// Counts compressed bytes read, to judge the compression ratio.
pub(super) struct Tally<R> {
    pub(super) inner: R,
    pub(super) meter: Meter,
}

impl<R: Read> Read for Tally<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter.add(n as u64);
        Ok(n)
    }
}

/// Ratios are judged only past this many unpacked bytes (small files compress wildly).
pub(super) const RATIO_FLOOR: u64 = 16 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths() {
        assert!(check_entry_path("a", "../x").is_err());
        assert!(check_entry_path("a", "a/../../x").is_err());
        assert!(check_entry_path("a", "/etc/passwd").is_err());
        assert!(check_entry_path("a", "..\\x").is_err());
        assert!(check_entry_path("a", "C:\\x").is_err());
        assert!(check_entry_path("a", "./bin/optimus-x").is_ok());
    }

    #[test]
    fn link_targets() {
        assert!(check_link_target("a", "dir/link", "../x").is_ok());
        assert!(check_link_target("a", "dir/link", "../../x").is_err());
        assert!(check_link_target("a", "link", "/etc/passwd").is_err());
        assert!(check_link_target("a", "link", "../.plugins-evil/x").is_err());
    }

    #[test]
    fn link_chains() {
        let l = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        assert!(check_links("a", &l(&[("d/up", ".."), ("escape", "d/up/..")])).is_err());
        assert!(check_links("a", &l(&[("a", "b"), ("b", "a")])).is_err());
        assert!(check_links("a", &l(&[("d/up", ".."), ("x", "d/up/bin/tool")])).is_ok());
        assert!(check_links("a", &l(&[("./bin/self", "../latest"), ("latest", "bin/t")])).is_ok());
    }
}
