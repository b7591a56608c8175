//! What a client config (no `plugins:` section) tells `sync`: the Optimus server it names; and
//! how `list` and `validate` read any config, declarations or not.

use super::expand::yaml_error;
use super::raw::{RawSection, RawTop};
use super::{normalize, raw_top, Environment, Manifest};
use crate::error::{Error, Result};
use crate::model::fsutil;
use std::path::Path;

/// The config's text; a directory or a missing file is a usage error that says what to pass.
pub(super) fn read(path: &Path) -> Result<String> {
    super::open::read_config(path)
}

/// Loads `path` for the commands that also serve a project declaring nothing (`list`,
/// `validate`): a config with a plugin section as [`super::load`] does; one without (a client
/// config: `version:`, `host:`), or an empty one, as declaring no plugins, with the plugin
/// dir where `optimus plugin sync` writes (`OPTIMUS_PLUGIN_DIR`, else `.plugins` in the
/// working directory) and the default target. The flag says whether a plugin section exists.
pub fn load_project(path: &Path, env: &Environment) -> Result<(Manifest, bool)> {
    let text = read(path)?;
    match raw_top(&text, path)?.plugins {
        Some(section) => Ok((normalize(&section, &text, path, env)?, true)),
        None => {
            let mut m = normalize(&RawSection::default(), "", path, env)?;
            m.plugin_dir = env
                .plugin_dir
                .clone()
                .unwrap_or_else(|| fsutil::absolute(Path::new(".plugins")));
            Ok((m, false))
        }
    }
}

/// The Optimus server a client config names (`host:`), for `sync`; `None` when the file has
/// no `host`.
pub fn client_host(path: &Path) -> Result<Option<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::path("reading", path, e))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    let top: RawTop = serde_norway::from_str(&text).map_err(|e| yaml_error(path, &text, &e))?;
    Ok(top.host.filter(|h| !h.trim().is_empty()))
}

/// Whether the config has a plugin section (`plugins:` or `plugin:`).
pub fn has_plugin_section(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_norway::from_str::<RawTop>(&t).ok())
        .is_some_and(|t| t.plugins.is_some())
}
