//! `remove`: uninstall plugins and drop them from the lock.

use super::reporter;
use crate::cli::ConfigArg;
use crate::config::{self, Environment};
use crate::error::Result;
use crate::install::remove::remove;
use crate::model::fsutil::shown;
use crate::ui;

pub fn run(c: &ConfigArg, names: &[String], env: &Environment) -> Result<()> {
    let manifest = config::load(&c.config, env)?;
    let removed = remove(&manifest, names, reporter().as_ref())?;
    for n in &removed.still_declared {
        ui::warn(&format!(
            "{n} is still declared in {}: delete its entry there, or the next install brings it back",
            manifest.path.display()
        ));
    }
    ui::summary(&format!(
        "removed {} from {} and {}",
        removed.names.join(", "),
        shown(&manifest.plugin_dir),
        shown(&manifest.lock_path())
    ));
    Ok(())
}
