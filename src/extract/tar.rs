//! tar.gz, read as a stream: every entry judged, the wanted ones staged.

use super::safety::{
    archive_err, check_entry_path, check_link_target, check_links, Counted, Meter, Names, Tally,
};
use super::select::Picks;
use super::{Staged, Unpacker, Want};
use crate::error::Result;
use std::io::{self, Read};

impl Unpacker<'_> {
    pub(super) fn unpack_tar(&self, file: &mut dyn Read, want: &Want) -> Result<Vec<Staged>> {
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
        let mut names = Names::default();
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
                return Err(self.too_many_entries());
            }
            let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            check_entry_path(self.what, &path)?;
            let ty = entry.header().entry_type();
            total = self.add_declared(total, entry.size())?;
            use tar::EntryType as T;
            // Sparse files (GNU `S` entries, PAX `GNU.sparse.*` records) unpack to other bytes
            // than they carry: what we would install is not what `tar` would give.
            let pax_sparse = entry.pax_extensions().ok().flatten().is_some_and(|mut p| {
                p.any(|x| x.is_ok_and(|x| x.key_bytes().starts_with(b"GNU.sparse")))
            });
            if ty == T::GNUSparse || pax_sparse {
                return Err(archive_err(
                    self.what,
                    format!("refusing archive entry {path:?}: sparse files are not supported"),
                ));
            }
            if matches!(ty, T::Regular | T::Continuous | T::Symlink | T::Link) {
                names.check(self.what, &path)?;
            }
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
                    self.check_link_entry(want, &path)?;
                    seen_entries.push(format!("{path} (link)"));
                    continue;
                }
                T::Regular | T::Continuous => {}
                other => {
                    return Err(archive_err(self.what, format!("refusing archive entry {path:?}: unsupported type {other:?} (device or fifo)")));
                }
            }
            seen_entries.push(path.clone());
            if let Some(take) = self.wants(want, &path) {
                self.take(want, take, path.clone(), &mut entry, &mut picks)?;
            }
        }
        check_links(self.what, &links)?;
        self.result(want, picks, &seen_entries)
    }
}
