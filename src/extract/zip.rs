//! zip, read from a file (its directory is at the end): the central directory judged first,
//! then the wanted entries staged.

use super::safety::{
    archive_err, check_entry_path, check_link_target, check_links, Counted, Names, RATIO_FLOOR,
};
use super::select::Picks;
use super::{Staged, Unpacker, Want};
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

impl Unpacker<'_> {
    pub(super) fn unpack_zip(&self, artifact: &Path, want: &Want) -> Result<Vec<Staged>> {
        let file = File::open(artifact).map_err(|e| Error::path("opening", artifact, e))?;
        let mut zip = zip::ZipArchive::new(io::BufReader::new(file))
            .map_err(|e| archive_err(self.what, format!("not a zip archive: {e}")))?;
        if zip.len() as u64 > self.limits.max_entries {
            return Err(self.too_many_entries());
        }
        // The reader keeps one entry per name: a second one must be refused, not hidden.
        if zip.has_duplicate_names() {
            return Err(archive_err(
                self.what,
                "refusing archive: an entry name appears twice (duplicate name)",
            ));
        }
        // First pass over the central directory: paths, types, declared sizes.
        let mut names = Names::default();
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
            total = self.add_declared(total, f.size())?;
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
            names.check(self.what, &path)?;
            if f.is_symlink() {
                let mut target = String::new();
                (&mut f)
                    .take(4096)
                    .read_to_string(&mut target)
                    .map_err(|e| archive_err(self.what, e))?;
                check_link_target(self.what, &path, &target)?;
                links.push((path.clone(), target));
                self.check_link_entry(want, &path)?;
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
        // The archive as a whole, as a tar.gz stream is judged: many entries that each pass
        // the ratio check alone can still expand a small archive enormously.
        let compressed = std::fs::metadata(artifact).map(|m| m.len()).unwrap_or(0);
        if total > RATIO_FLOOR && total / compressed.max(1) > self.limits.max_ratio {
            return Err(archive_err(
                self.what,
                format!(
                    "its entries expand {compressed} bytes to {total}: compression ratio above {}:1 (archive bomb?)",
                    self.limits.max_ratio
                ),
            ));
        }
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
            self.take(want, take, path, &mut limited, &mut picks)?;
        }
        self.result(want, picks, &seen_entries)
    }
}
