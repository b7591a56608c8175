//! `verify`: re-hash installed plugins against the lock and receipts; exit 1 on a difference.

use super::output::out;
use super::platform_arg;
use crate::cli::ConfigArg;
use crate::config::{self, Environment};
use crate::error::{Error, Result};
use crate::model::fsutil::shown;
use crate::status;
use crate::ui;

pub fn run(c: &ConfigArg, platform: Option<&str>, env: &Environment) -> Result<()> {
    let manifest = config::load(&c.config, env)?;
    let platform = platform_arg(platform)?;
    let v = status::verify(&manifest, &platform)?;
    // Plugin files nobody installed: not a failure (they are the user's), but worth a word.
    for p in &v.unmanaged {
        ui::warn(&format!(
            "{} was not installed by optimus (not verified)",
            shown(p)
        ));
    }
    let dir = &manifest.plugin_dir;
    if v.problems.is_empty() {
        ui::summary(&format!(
            "verified {} file(s) in {}: all match the lock and receipts",
            v.checked,
            shown(dir)
        ));
        return Ok(());
    }
    for p in &v.problems {
        out(p);
    }
    Err(Error::runtime(format!(
        "verify found {} problem(s) in {}: `optimus plugin install` restores the locked files",
        v.problems.len(),
        shown(dir)
    )))
}
