//! The zip of installed yaml plugins that an Optimus server serves to clients at `/plugins`.

use crate::error::{Error, Result};
use crate::model::artifact::ArtifactKind;
use crate::model::fsutil;
use crate::receipts::{Receipt, Receipts};
use std::fs;
use std::path::Path;

/// Refuses an `--yaml-bundle` path that holds something else than a bundle this command wrote
/// (a zip of `optimus-plugin-*.yaml` files only): overwriting it would destroy a file optimus
/// did not make (`optimus.yaml`, say). Call it before installing.
pub fn check_bundle_path(out: &Path) -> Result<()> {
    let Ok(meta) = fs::symlink_metadata(out) else {
        return Ok(());
    };
    let ours = meta.is_file()
        && fs::File::open(out)
            .ok()
            .and_then(|f| zip::ZipArchive::new(f).ok())
            .is_some_and(|z| {
                z.file_names().all(|n| {
                    n.as_ref().is_ok_and(|n| {
                        crate::model::names::yaml_plugin_name(n).is_some() && !n.contains('/')
                    })
                })
            });
    if ours {
        return Ok(());
    }
    Err(Error::NotOurs {
        path: out.to_path_buf(),
        problem: "it exists and is not a plugin bundle optimus wrote (a zip of optimus-plugin-*.yaml files), so --yaml-bundle does not overwrite it; nothing was changed: pass a new path, or move that file away".into(),
    })
}

/// Writes the zip of installed yaml plugins that an Optimus server serves at `/plugins`.
pub fn write_yaml_bundle(dir: &Path, out: &Path) -> Result<usize> {
    check_bundle_path(out)?;
    let receipts = Receipts::read(dir)?;
    let mut files: Vec<&Receipt> = receipts
        .files
        .iter()
        .filter(|r| r.kind == ArtifactKind::Yaml)
        .collect();
    files.sort_by(|a, b| a.file.cmp(&b.file));
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(|e| Error::path("creating", parent, e))?;
    let (tmp, f) = fsutil::create_temp_file(parent, fsutil::STAGING_PREFIX, 0o644)
        .map_err(|e| fsutil::write_error("writing", out, e))?;
    let res = (|| -> Result<()> {
        let mut zip = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default())
            .unix_permissions(0o644);
        for r in &files {
            let path = dir.join(&r.file);
            let data = fs::read(&path).map_err(|e| Error::path("reading", &path, e))?;
            zip.start_file(r.file.as_str(), opts)
                .map_err(|e| Error::path("writing", out, std::io::Error::other(e)))?;
            std::io::Write::write_all(&mut zip, &data)
                .map_err(|e| Error::path("writing", out, e))?;
        }
        let f = zip
            .finish()
            .map_err(|e| Error::path("writing", out, std::io::Error::other(e)))?;
        f.sync_all().map_err(|e| Error::path("syncing", out, e))?;
        fs::rename(&tmp, out).map_err(|e| Error::path("writing", out, e))
    })();
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    res.map(|_| files.len())
}
