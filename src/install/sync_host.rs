//! `sync --host`: the Optimus-server way. Fetch the yaml bundle the server serves at
//! `GET <host>/plugins`, validate every file, then swap the set in: all staged first, then
//! renamed; yaml plugins from an earlier sync that the server no longer serves are removed.
//! A failed, non-200 or invalid download changes nothing.

use super::clean_stale_staging;
use super::commit::{self, Placement};
use super::sync_check;
use crate::error::{Error, Result};
use crate::extract::{archive_err, Unpacker, Want};
use crate::model::artifact::{ArtifactKind, ArtifactPlatform};
use crate::model::format::Format;
use crate::model::fsutil;
use crate::model::limits::Limits;
use crate::model::location::{is_url, is_web_url, Location};
use crate::model::names::yaml_plugin_name;
use crate::model::platform::Platform;
use crate::model::redact;
use crate::receipts::{Receipt, ReceiptSource, Receipts};
use crate::store::fetch::{Expect, Fetcher};
use crate::store::journal::{self, Journal, Write};
use crate::store::lock::lock_dir;
use std::path::Path;

/// What a sync did.
#[derive(Debug)]
pub struct Synced {
    /// The host, printable (no credentials).
    pub host: String,
    pub names: Vec<String>,
    pub removed: usize,
}

/// The bundle's URL as `optimus plugin sync` builds it (client/cmd/plugin/sync.go): the
/// host keeps its scheme, user, port and query but its path is replaced by `/plugins`; a host
/// without a scheme gets `http://`.
pub fn bundle_location(host: &str) -> Result<Location> {
    let host = host.trim();
    let with_scheme = if is_web_url(host) {
        host.to_string()
    } else if is_url(host) {
        return Err(Error::usage(
            format!("host {}", redact::url_for_display(host)),
            "an Optimus server is reached over http:// or https://",
        ));
    } else {
        format!("http://{host}")
    };
    let mut u = url::Url::parse(&with_scheme).map_err(|e| {
        Error::usage(
            format!("host {}", redact::url_for_display(host)),
            e.to_string(),
        )
    })?;
    u.set_path("/plugins");
    Location::parse(u.as_str(), Path::new("/"))
}

/// Syncs the yaml plugins `host` serves into `dir`. `search`: where Optimus looks for plugins
/// on this machine ([`crate::status::search_dirs`]): the set as it will be must not stop it
/// at startup there.
pub async fn sync_from_host(
    host: &str,
    dir: &Path,
    search: &[std::path::PathBuf],
    fetcher: &Fetcher,
    target: crate::upstream::target::Target,
) -> Result<Synced> {
    let url = bundle_location(host)?;
    let loc = fetcher.transport.locate(&url, None)?;
    let expect = Expect {
        sha256: None,
        size: None,
        what: "plugin bundle",
    };
    let art = fetcher.fetch(&[loc], expect).await?;

    let reporter = fetcher.reporter.as_ref();
    let held = lock_dir(dir, reporter)?;
    journal::recover(&held, None)?;
    clean_stale_staging(&held);
    let what = format!("plugin bundle from {url}");
    let entries = check_bundle_entries(&art.path, &what)?;
    let staged = {
        let (path, dir2, what2) = (art.path.clone(), dir.to_path_buf(), what.clone());
        tokio::task::spawn_blocking(move || {
            Unpacker {
                limits: &Limits::default(),
                platform: &Platform::host(),
                stage_dir: &dir2,
                what: &what2,
                yaml_only: true,
                target,
            }
            .unpack(&path, Format::Zip, &Want::Bundle)
        })
        .await
        .map_err(|e| Error::Archive {
            artifact: what.clone(),
            message: format!("unpacking panicked: {e}"),
        })??
    };
    sync_check::check_all_staged(&entries, &staged, &what)?;
    let shown_host = redact::url_for_display(host.trim().trim_end_matches('/'));
    let mut receipts = Receipts::read(dir)?;
    for s in &staged {
        if let Some(r) = receipts.find(&s.file_name) {
            if !r.source.is_host() {
                return Err(Error::NotOurs {
                    path: dir.join(&s.file_name),
                    problem: format!(
                        "installed from {} by `install`; it cannot also come from {shown_host}",
                        r.source
                    ),
                });
            }
        }
    }
    let mut names: Vec<String> = staged.iter().map(|s| s.plugin.clone()).collect();
    let placements = staged
        .into_iter()
        .map(|s| Placement {
            receipt: Receipt {
                file: s.file_name.clone(),
                plugin: s.plugin.clone(),
                source: ReceiptSource::Host,
                version: "-".into(),
                platform: ArtifactPlatform::Any,
                kind: ArtifactKind::Yaml,
                provider: Some(shown_host.clone()),
                plugin_type: None,
                artifact_sha256: art.sha256.clone(),
                bin: None,
                sha256: s.sha256.clone(),
                size: s.size,
                mtime_ns: 0,
            },
            staged: s,
        })
        .collect();
    // Files and receipts change as one step (store::journal).
    let mut journal = Journal::default();
    let mut placed =
        commit::journal_placements(dir, &mut receipts, placements, reporter, &mut journal)?;
    // Remove yaml plugins an earlier sync brought that the server no longer serves.
    let gone: Vec<Receipt> = receipts
        .files
        .iter()
        .filter(|r| r.source.is_host() && r.artifact_sha256 != art.sha256)
        .cloned()
        .collect();
    // Before anything changes: the set as it will be must still let Optimus start.
    let incoming: Vec<&crate::extract::Staged> = placed.iter().map(|(s, _)| s).collect();
    sync_check::check_startup(dir, search, &incoming, &gone, target)?;
    commit::journal_removals(dir, &mut receipts, &gone, reporter, &mut journal);
    journal.writes.push(Write {
        path: fsutil::absolute(&Receipts::path(dir)),
        text: receipts.to_text(),
    });
    for (s, _) in &mut placed {
        s.release();
    }
    journal.commit(&held)?;
    names.sort();
    Ok(Synced {
        host: shown_host,
        names,
        removed: gone.len(),
    })
}

/// Every file in the bundle must be a yaml plugin (directories aside); returns their base
/// names.
fn check_bundle_entries(path: &Path, what: &str) -> Result<Vec<String>> {
    let f = std::fs::File::open(path).map_err(|e| Error::path("opening", path, e))?;
    let mut zip = zip::ZipArchive::new(f)
        .map_err(|e| archive_err(what, format!("not a zip archive: {e}")))?;
    let mut bases = Vec::new();
    for i in 0..zip.len() {
        let e = zip
            .by_index(i)
            .map_err(|e| archive_err(what, format!("corrupt archive: {e}")))?;
        if e.is_dir() {
            continue;
        }
        let name = e.name().map_err(|e| archive_err(what, e))?.into_owned();
        let base = name.rsplit('/').next().unwrap_or(&name);
        if yaml_plugin_name(base).is_none() {
            return Err(archive_err(
                what,
                format!(
                    "unexpected entry {name:?}: a bundle holds only optimus-plugin-*.yaml files"
                ),
            ));
        }
        bases.push(base.to_string());
    }
    Ok(bases)
}

#[cfg(test)]
mod tests {
    use super::bundle_location;
    use crate::model::location::Location;

    #[test]
    fn url_like_optimus_plugin_sync() {
        let u = |h: &str| match bundle_location(h).unwrap() {
            Location::Url(u) => u.to_string(),
            other => panic!("{other}"),
        };
        assert_eq!(u("localhost:9100"), "http://localhost:9100/plugins");
        assert_eq!(u("localhost:9100/"), "http://localhost:9100/plugins");
        assert_eq!(
            u("https://optimus.example.io/api/v1?x=1"),
            "https://optimus.example.io/plugins?x=1"
        );
        assert_eq!(u("http://h:1/p"), "http://h:1/plugins");
    }
}
