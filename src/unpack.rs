//! Unpacking artifacts safely.
//!
//! The archive's tree is never written out. Every entry is inspected and the whole artifact is
//! refused if any entry is absolute, contains `..`, is a link pointing outside the archive, or
//! is a device or fifo; limits on total unpacked size, entry count and compression ratio stop
//! bombs while reading. Only the chosen files are streamed — into staging files that this
//! module names itself, inside the plugin directory — and hashed on the way.

use crate::config::Limits;
use crate::error::{Error, Result};
use crate::format::Format;
use crate::fsutil::{hex_digest, staging_path};
use crate::platform::{parse_artifact_file_name, yaml_file_name, Platform};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Binary,
    Yaml,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Binary => "binary",
            Kind::Yaml => "yaml",
        }
    }
}

/// What to take from an artifact.
#[derive(Clone, Debug)]
pub enum Want {
    /// One plugin: the `bin` entry, else the one file named by the convention (spec §4).
    One { name: String, bin: Option<String> },
    /// Every conventional entry for the platform, and every yaml plugin (spec §3 artifacts).
    Bundle,
}

/// A staged file, verified and ready to be renamed to `file_name`.
#[derive(Debug)]
pub struct Staged {
    pub plugin: String,
    pub kind: Kind,
    pub file_name: String,
    pub staged: PathBuf,
    pub sha256: String,
    pub size: u64,
}

/// How an entry is taken (see `Unpacker::wants`).
enum Take {
    Candidate(usize),
    Bundle(String, Kind, String),
}

/// What an archive yielded so far: binary candidates with their priority, or bundle entries.
#[derive(Default)]
struct Picks {
    chosen: Vec<(usize, String, Staged)>,
    bundle: Vec<Staged>,
}

/// Removes its staged files unless disarmed.
struct Cleanup(Vec<PathBuf>);
impl Drop for Cleanup {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

pub struct Unpacker<'a> {
    pub limits: &'a Limits,
    pub platform: &'a Platform,
    /// Where staging files go: the plugin directory (so the final rename is atomic).
    pub stage_dir: &'a Path,
    /// Names the artifact in errors.
    pub what: &'a str,
    /// Skip binaries (client-side sync).
    pub yaml_only: bool,
}

fn archive_err(what: &str, msg: impl std::fmt::Display) -> Error {
    Error::runtime(format!("{what}: {msg}"))
}

/// Splits an entry path on `/` and `\` and refuses absolute paths and `..`.
fn check_entry_path(what: &str, raw: &str) -> Result<()> {
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
fn check_link_target(what: &str, entry: &str, target: &str) -> Result<()> {
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

/// The components of an in-archive path, without empty and `.` parts.
fn components(path: &str) -> impl Iterator<Item = &str> {
    path.split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != ".")
}

/// Judges every symlink of the archive together: each one is resolved through the others
/// (`d/up -> ..` then `escape -> d/up/..` leaves the root although each alone looks inside).
/// Links are never written out, so this is defence in depth: an archive whose links would
/// escape if unpacked by another tool is refused whole.
fn check_links(what: &str, links: &[(String, String)]) -> Result<()> {
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

fn base_name(path: &str) -> &str {
    path.trim_end_matches(['/', '\\'])
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
}

/// Counts bytes coming out of a reader and fails once past a limit, or once the bytes out
/// outgrow the compressed bytes in by more than `max_ratio` (judged on bytes really read,
/// including entries the tar reader skips, so a bomb stops early and an honest archive with
/// a large entry is never misjudged from its declared sizes).
struct Counted<R> {
    inner: R,
    count: u64,
    limit: u64,
    /// Prefix of its messages (the artifact is named by the caller).
    what: String,
    /// Compressed bytes read so far, and the ratio allowed (tar.gz only).
    ratio: Option<(Meter, u64)>,
}

/// Shared between the layers of a decoder: compressed bytes read, and the first limit tripped
/// (the tar reader hides the io error's text behind its own).
#[derive(Clone, Default)]
struct Meter(std::rc::Rc<(std::cell::Cell<u64>, std::cell::RefCell<Option<String>>)>);

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
    fn tripped(&self) -> Option<String> {
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
struct Tally<R> {
    inner: R,
    meter: Meter,
}

impl<R: Read> Read for Tally<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter.add(n as u64);
        Ok(n)
    }
}

/// Ratios are judged only past this many unpacked bytes (small files compress wildly).
const RATIO_FLOOR: u64 = 16 << 20;

impl Unpacker<'_> {
    fn candidates(&self, name: &str, bin: Option<&str>) -> Vec<String> {
        if let Some(b) = bin {
            return vec![b.trim_start_matches("./").to_string()];
        }
        let exe = self.platform.exe_suffix();
        vec![
            format!("optimus-{name}_{}{exe}", self.platform),
            format!("optimus-{name}{exe}"),
            format!("{name}{exe}"),
        ]
    }

    /// Which priority (0 best) an entry has for `Want::One`, if any.
    fn priority(&self, cands: &[String], bin: Option<&str>, path: &str) -> Option<usize> {
        let clean = path.trim_start_matches("./");
        if let Some(b) = bin {
            let b = b.trim_start_matches("./");
            return if b.contains('/') {
                (clean == b).then_some(0)
            } else {
                (base_name(clean) == b).then_some(0)
            };
        }
        cands.iter().position(|c| c == base_name(clean))
    }

    /// What a bundle entry installs as, if anything.
    fn bundle_target(&self, path: &str) -> Option<(String, Kind, String)> {
        let base = base_name(path);
        let named = parse_artifact_file_name(base)?;
        match named.platform {
            None => Some((named.name.clone(), Kind::Yaml, yaml_file_name(&named.name))),
            Some(p) if p == *self.platform && !self.yaml_only => {
                let file = p.binary_file_name(&named.name);
                // Only the raw binary itself, not a nested archive of it.
                (base == file).then_some((named.name, Kind::Binary, file))
            }
            Some(_) => None,
        }
    }

    /// Streams `r` into a new staging file, hashing it.
    fn stage(&self, r: &mut dyn Read, cleanup: &mut Cleanup) -> Result<(PathBuf, String, u64)> {
        let path = staging_path(self.stage_dir);
        cleanup.0.push(path.clone());
        // create_new: never follow or reuse something already at the name.
        let mut f = File::options()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| Error::path("creating", &path, e))?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 128 * 1024];
        let mut n = 0u64;
        loop {
            let k = r.read(&mut buf).map_err(|e| archive_err(self.what, e))?;
            if k == 0 {
                break;
            }
            h.update(&buf[..k]);
            f.write_all(&buf[..k])
                .map_err(|e| Error::path("writing", &path, e))?;
            n += k as u64;
        }
        f.sync_all().map_err(|e| Error::path("syncing", &path, e))?;
        Ok((path, hex_digest(h), n))
    }

    /// Unpacks `artifact` (already verified) and returns the staged files.
    pub fn unpack(&self, artifact: &Path, format: Format, want: &Want) -> Result<Vec<Staged>> {
        if format != Format::Zip {
            let mut f = File::open(artifact).map_err(|e| Error::path("opening", artifact, e))?;
            return self.unpack_reader(&mut f, format, want);
        }
        let mut cleanup = Cleanup(Vec::new());
        let staged = self.unpack_zip(artifact, want, &mut cleanup)?;
        self.finish(staged, cleanup)
    }

    /// Unpacks a tar.gz, binary or yaml artifact from a stream, in one pass (zip needs a file:
    /// its directory is at the end). The caller verifies the stream's hash before it installs
    /// anything staged here.
    pub fn unpack_reader(
        &self,
        r: &mut dyn Read,
        format: Format,
        want: &Want,
    ) -> Result<Vec<Staged>> {
        let mut cleanup = Cleanup(Vec::new());
        let staged = match format {
            Format::Binary | Format::Yaml => self.unpack_plain(r, format, want, &mut cleanup)?,
            Format::TarGz => self.unpack_tar(r, want, &mut cleanup)?,
            Format::Zip => {
                return Err(archive_err(
                    self.what,
                    "a zip archive cannot be unpacked from a stream",
                ))
            }
        };
        self.finish(staged, cleanup)
    }

    /// Validates yaml plugins and sets modes, then hands the staged files over.
    fn finish(&self, staged: Vec<Staged>, mut cleanup: Cleanup) -> Result<Vec<Staged>> {
        for s in &staged {
            if s.kind == Kind::Yaml {
                crate::yaml_plugin::validate_staged(&s.staged, &s.file_name, &s.plugin)
                    .map_err(|e| archive_err(self.what, e))?;
            }
            set_mode(&s.staged, s.kind)?;
        }
        cleanup.0.clear();
        Ok(staged)
    }

    fn unpack_plain(
        &self,
        r: &mut dyn Read,
        format: Format,
        want: &Want,
        cleanup: &mut Cleanup,
    ) -> Result<Vec<Staged>> {
        let Want::One { name, .. } = want else {
            return Err(archive_err(
                self.what,
                "a bundle must be a zip or tar.gz archive",
            ));
        };
        let kind = if format == Format::Yaml {
            Kind::Yaml
        } else {
            Kind::Binary
        };
        if kind == Kind::Binary && self.yaml_only {
            return Ok(Vec::new());
        }
        let (staged, sha256, size) = self.stage(r, cleanup)?;
        let file_name = match kind {
            Kind::Yaml => yaml_file_name(name),
            Kind::Binary => self.platform.binary_file_name(name),
        };
        Ok(vec![Staged {
            plugin: name.clone(),
            kind,
            file_name,
            staged,
            sha256,
            size,
        }])
    }

    fn unpack_tar(
        &self,
        file: &mut dyn Read,
        want: &Want,
        cleanup: &mut Cleanup,
    ) -> Result<Vec<Staged>> {
        let meter = Meter::default();
        let gz = flate2::read::GzDecoder::new(Tally {
            inner: io::BufReader::new(file),
            meter: meter.clone(),
        });
        let counted = Counted {
            inner: gz,
            count: 0,
            // Headers and padding count too; allow one block per entry on top of the limit.
            limit: self
                .limits
                .max_unpacked_size
                .saturating_add(self.limits.max_entries.saturating_mul(1024)),
            what: String::new(),
            ratio: Some((meter.clone(), self.limits.max_ratio)),
        };
        let mut ar = tar::Archive::new(counted);
        let mut picks = Picks::default();
        let mut seen_entries = Vec::new();
        let mut links = Vec::new();
        let mut total: u64 = 0;
        let entries = ar
            .entries()
            .map_err(|e| archive_err(self.what, format!("not a tar.gz archive: {e}")))?;
        // A limit tripped inside the decoder names itself; otherwise the archive is corrupt.
        let failed = |e: &dyn std::fmt::Display| match meter.tripped() {
            Some(msg) => archive_err(self.what, msg),
            None => archive_err(self.what, format!("corrupt archive: {e}")),
        };
        for (i, entry) in entries.enumerate() {
            let mut entry = entry.map_err(|e| failed(&e))?;
            if i as u64 >= self.limits.max_entries {
                return Err(archive_err(
                    self.what,
                    format!(
                        "more than {} entries (archive bomb?)",
                        self.limits.max_entries
                    ),
                ));
            }
            let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            check_entry_path(self.what, &path)?;
            let ty = entry.header().entry_type();
            total = total.saturating_add(entry.size());
            if total > self.limits.max_unpacked_size {
                return Err(archive_err(
                    self.what,
                    format!(
                        "unpacked size exceeds the limit of {} bytes (archive bomb?)",
                        self.limits.max_unpacked_size
                    ),
                ));
            }
            use tar::EntryType as T;
            match ty {
                T::Directory | T::XGlobalHeader | T::XHeader | T::GNULongName | T::GNULongLink => {
                    continue
                }
                T::Symlink | T::Link => {
                    let target = entry
                        .link_name_bytes()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default();
                    if ty == T::Link {
                        check_entry_path(self.what, &target)?;
                    } else {
                        check_link_target(self.what, &path, &target)?;
                        links.push((path.clone(), target));
                    }
                    seen_entries.push(format!("{path} (link)"));
                    continue;
                }
                T::Regular | T::Continuous | T::GNUSparse => {}
                other => {
                    return Err(archive_err(self.what, format!("refusing archive entry {path:?}: unsupported type {other:?} (device or fifo)")));
                }
            }
            seen_entries.push(path.clone());
            if let Some(take) = self.wants(want, &path) {
                self.take(want, take, path.clone(), &mut entry, &mut picks, cleanup)?;
            }
        }
        check_links(self.what, &links)?;
        self.result(want, picks, &seen_entries)
    }

    fn unpack_zip(
        &self,
        artifact: &Path,
        want: &Want,
        cleanup: &mut Cleanup,
    ) -> Result<Vec<Staged>> {
        let file = File::open(artifact).map_err(|e| Error::path("opening", artifact, e))?;
        let mut zip = zip::ZipArchive::new(io::BufReader::new(file))
            .map_err(|e| archive_err(self.what, format!("not a zip archive: {e}")))?;
        if zip.len() as u64 > self.limits.max_entries {
            return Err(archive_err(
                self.what,
                format!(
                    "more than {} entries (archive bomb?)",
                    self.limits.max_entries
                ),
            ));
        }
        // First pass over the central directory: paths, types, declared sizes.
        let mut total: u64 = 0;
        let mut seen_entries = Vec::new();
        let mut links = Vec::new();
        let mut wanted: Vec<usize> = Vec::new();
        for i in 0..zip.len() {
            let mut f = zip
                .by_index(i)
                .map_err(|e| archive_err(self.what, format!("corrupt archive: {e}")))?;
            let path = f
                .name()
                .map_err(|e| archive_err(self.what, format!("bad entry name: {e}")))?
                .into_owned();
            check_entry_path(self.what, &path)?;
            total = total.saturating_add(f.size());
            if total > self.limits.max_unpacked_size {
                return Err(archive_err(
                    self.what,
                    format!(
                        "unpacked size exceeds the limit of {} bytes (archive bomb?)",
                        self.limits.max_unpacked_size
                    ),
                ));
            }
            if f.size() > RATIO_FLOOR
                && f.size() / f.compressed_size().max(1) > self.limits.max_ratio
            {
                return Err(archive_err(
                    self.what,
                    format!(
                        "entry {path:?}: compression ratio above {}:1 (archive bomb?)",
                        self.limits.max_ratio
                    ),
                ));
            }
            if f.is_dir() {
                continue;
            }
            if f.is_symlink() {
                let mut target = String::new();
                (&mut f)
                    .take(4096)
                    .read_to_string(&mut target)
                    .map_err(|e| archive_err(self.what, e))?;
                check_link_target(self.what, &path, &target)?;
                links.push((path.clone(), target));
                seen_entries.push(format!("{path} (link)"));
                continue;
            }
            if let Some(mode) = f.unix_mode() {
                let kind = mode & 0o170000;
                if kind != 0 && kind != 0o100000 {
                    return Err(archive_err(
                        self.what,
                        format!(
                            "refusing archive entry {path:?}: not a regular file (mode {mode:o})"
                        ),
                    ));
                }
            }
            seen_entries.push(path.clone());
            if self.wants(want, &path).is_some() {
                wanted.push(i);
            }
        }
        check_links(self.what, &links)?;
        let mut picks = Picks::default();
        for i in wanted {
            let f = zip
                .by_index(i)
                .map_err(|e| archive_err(self.what, format!("corrupt archive: {e}")))?;
            let path = f
                .name()
                .map_err(|e| archive_err(self.what, e))?
                .into_owned();
            let take = self.wants(want, &path).expect("selected above");
            let declared = f.size();
            let mut limited = Counted {
                inner: f,
                count: 0,
                limit: declared,
                what: format!("entry {path:?}: "),
                ratio: None,
            };
            self.take(want, take, path, &mut limited, &mut picks, cleanup)?;
        }
        self.result(want, picks, &seen_entries)
    }

    /// Whether an entry is taken: as a candidate of that priority for `Want::One`, or as a
    /// bundle entry installing as (plugin, kind, file name).
    fn wants(&self, want: &Want, path: &str) -> Option<Take> {
        match want {
            Want::One { name, bin } => self
                .priority(&self.candidates(name, bin.as_deref()), bin.as_deref(), path)
                .map(Take::Candidate),
            Want::Bundle => self
                .bundle_target(path)
                .map(|(plugin, kind, file)| Take::Bundle(plugin, kind, file)),
        }
    }

    /// Streams a taken entry into a staging file and records it.
    fn take(
        &self,
        want: &Want,
        take: Take,
        path: String,
        r: &mut dyn Read,
        picks: &mut Picks,
        cleanup: &mut Cleanup,
    ) -> Result<()> {
        match (want, take) {
            (Want::One { name, .. }, Take::Candidate(prio)) => {
                let (staged, sha256, size) = self.stage(r, cleanup)?;
                picks.chosen.push((
                    prio,
                    path,
                    Staged {
                        plugin: name.clone(),
                        kind: Kind::Binary,
                        file_name: self.platform.binary_file_name(name),
                        staged,
                        sha256,
                        size,
                    },
                ));
            }
            (_, Take::Bundle(plugin, kind, file_name)) => {
                if picks.bundle.iter().any(|s| s.file_name == file_name) {
                    return Err(archive_err(
                        self.what,
                        format!("two entries install {file_name}"),
                    ));
                }
                let (staged, sha256, size) = self.stage(r, cleanup)?;
                picks.bundle.push(Staged {
                    plugin,
                    kind,
                    file_name,
                    staged,
                    sha256,
                    size,
                });
            }
            (Want::Bundle, Take::Candidate(_)) => {
                unreachable!("wants() gives candidates only for Want::One")
            }
        }
        Ok(())
    }

    /// The result: the best candidate for `Want::One`, every taken entry for a bundle.
    fn result(&self, want: &Want, picks: Picks, seen_entries: &[String]) -> Result<Vec<Staged>> {
        match want {
            Want::One { name, bin } => self.pick(picks.chosen, name, bin.as_deref(), seen_entries),
            Want::Bundle => Ok(picks.bundle),
        }
    }

    /// The single best candidate; none or a tie is an error that lists the entries.
    fn pick(
        &self,
        mut chosen: Vec<(usize, String, Staged)>,
        name: &str,
        bin: Option<&str>,
        entries: &[String],
    ) -> Result<Vec<Staged>> {
        if self.yaml_only {
            return Ok(Vec::new());
        }
        let listing = || {
            let mut e: Vec<&str> = entries.iter().map(String::as_str).take(50).collect();
            if entries.len() > 50 {
                e.push("...");
            }
            if e.is_empty() {
                "(no files)".to_string()
            } else {
                e.join(", ")
            }
        };
        let Some(best) = chosen.iter().map(|c| c.0).min() else {
            let looked = match bin {
                Some(b) => format!("`{b}` (the index's bin)"),
                None => self.candidates(name, None).join(", "),
            };
            return Err(archive_err(
                self.what,
                format!(
                    "no file named {looked} in the archive; entries: {}",
                    listing()
                ),
            ));
        };
        let ties: Vec<&str> = chosen
            .iter()
            .filter(|c| c.0 == best)
            .map(|c| c.1.as_str())
            .collect();
        if ties.len() > 1 {
            return Err(archive_err(
                self.what,
                format!(
                    "several files could be the plugin binary: {}; the publisher should set `bin`",
                    ties.join(", ")
                ),
            ));
        }
        let idx = chosen.iter().position(|c| c.0 == best).expect("present");
        let (_, _, staged) = chosen.swap_remove(idx);
        // The losing candidates' staging files go now.
        for (_, _, other) in chosen {
            let _ = std::fs::remove_file(&other.staged);
        }
        Ok(vec![staged])
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, kind: Kind) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if kind == Kind::Binary { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::path("setting mode of", path, e))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _kind: Kind) -> Result<()> {
    Ok(())
}

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
