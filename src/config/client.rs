//! What a client config (no `plugins:` section) tells `sync`: the Optimus server it names.

use super::expand::yaml_error;
use super::raw::RawTop;
use crate::error::{Error, Result};
use std::path::Path;

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
