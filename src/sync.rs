//! `sync --host`: the Optimus-server way. Fetch the yaml bundle the server serves at
//! `GET <host>/plugins`, validate every file, then swap the set in: all staged first, then
//! renamed; yaml plugins from an earlier sync that the server no longer serves are removed.
//! A failed, non-200 or invalid download changes nothing.

use crate::cache::Cache;
use crate::config::{Limits, DEFAULT_MAX_UNPACKED};
use crate::error::{Error, Result};
use crate::fetch::Fetcher;
use crate::format::Format;
use crate::install::{clean_stale_staging, lock_dir};
use crate::platform::{Platform, ANY};
use crate::receipts::{mtime_ns, Receipt, Receipts};
use crate::transport::Transport;
use crate::unpack::{Unpacker, Want};
use std::path::Path;
use std::sync::Arc;

pub async fn sync_from_host(host: &str, dir: &Path) -> Result<String> {
    let base = host.trim_end_matches('/');
    let url = if base.contains("://") {
        format!("{base}/plugins")
    } else {
        format!("http://{base}/plugins")
    };
    let transport = Arc::new(Transport::new(false)?);
    let fetcher = Fetcher {
        transport: transport.clone(),
        cache: Cache::from_env(),
        max_size: DEFAULT_MAX_UNPACKED,
        indexes: Default::default(),
    };
    let loc = transport.locate(&url, None)?;
    let art = fetcher.fetch(&[loc], None, None, "plugin bundle").await?;

    let _guard = lock_dir(dir)?;
    clean_stale_staging(dir);
    let limits = Limits::default();
    let what = format!(
        "plugin bundle from {}",
        crate::redact::url_for_display(&url)
    );
    check_bundle_entries(&art.path, &what)?;
    let platform = Platform::host();
    let staged = {
        let (path, dir2, what2) = (art.path.clone(), dir.to_path_buf(), what.clone());
        tokio::task::spawn_blocking(move || {
            Unpacker {
                limits: &limits,
                platform: &platform,
                stage_dir: &dir2,
                what: &what2,
                yaml_only: true,
            }
            .unpack(&path, Format::Zip, &Want::Bundle)
        })
        .await
        .map_err(|e| Error::runtime(e.to_string()))??
    };
    let mut receipts = Receipts::read(dir)?;
    let mut names = Vec::new();
    for s in &staged {
        if let Some(r) = receipts.find(&s.file_name) {
            if r.source != "host" {
                for s in &staged {
                    let _ = std::fs::remove_file(&s.staged);
                }
                return Err(Error::config(format!(
                    "{} is installed from {} by `install`; it cannot also come from {}",
                    s.file_name,
                    r.source,
                    crate::redact::url_for_display(base)
                )));
            }
        }
    }
    for s in staged {
        let dest = dir.join(&s.file_name);
        std::fs::rename(&s.staged, &dest).map_err(|e| Error::path("installing", &dest, e))?;
        let meta = std::fs::metadata(&dest).map_err(|e| Error::path("reading", &dest, e))?;
        receipts.files.retain(|r| r.file != s.file_name);
        receipts.files.push(Receipt {
            file: s.file_name.clone(),
            plugin: s.plugin.clone(),
            source: "host".into(),
            version: "-".into(),
            platform: ANY.into(),
            kind: "yaml".into(),
            provider: Some(crate::redact::url_for_display(base)),
            plugin_type: None,
            artifact_sha256: art.sha256.clone(),
            sha256: s.sha256,
            size: s.size,
            mtime_ns: mtime_ns(&meta),
        });
        names.push(s.plugin);
    }
    // Remove yaml plugins an earlier sync brought that the server no longer serves.
    let gone: Vec<Receipt> = receipts
        .files
        .iter()
        .filter(|r| r.source == "host" && r.artifact_sha256 != art.sha256)
        .cloned()
        .collect();
    for r in &gone {
        let p = dir.join(&r.file);
        if r.looks_intact(dir) || r.rehash_matches(dir).unwrap_or(false) {
            let _ = std::fs::remove_file(&p);
        }
        receipts.files.retain(|x| x.file != r.file);
    }
    receipts.write(dir)?;
    names.sort();
    Ok(format!(
        "synced {} yaml plugin(s) from {} into {}{}",
        names.len(),
        crate::redact::url_for_display(base),
        crate::install::plugin_dir_display(dir),
        if gone.is_empty() {
            String::new()
        } else {
            format!("; removed {}", gone.len())
        }
    ))
}

/// Every file in the bundle must be a yaml plugin (directories aside).
fn check_bundle_entries(path: &Path, what: &str) -> Result<()> {
    let f = std::fs::File::open(path).map_err(|e| Error::path("opening", path, e))?;
    let mut zip = zip::ZipArchive::new(f)
        .map_err(|e| Error::runtime(format!("{what}: not a zip archive: {e}")))?;
    for i in 0..zip.len() {
        let e = zip
            .by_index(i)
            .map_err(|e| Error::runtime(format!("{what}: corrupt archive: {e}")))?;
        if e.is_dir() {
            continue;
        }
        let name = e
            .name()
            .map_err(|e| Error::runtime(format!("{what}: {e}")))?
            .into_owned();
        let base = name.rsplit('/').next().unwrap_or(&name);
        if crate::yaml_plugin::name_from_file(base).is_none() {
            return Err(Error::runtime(format!("{what}: unexpected entry {name:?}: a bundle holds only optimus-plugin-*.yaml files")));
        }
    }
    Ok(())
}
