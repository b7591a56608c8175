//! `remove`: uninstall plugins and drop them from the lock.

use crate::cli::RemoveArgs;
use crate::config::{self, Environment};
use crate::error::Result;
use crate::install::remove::remove;
use crate::model::fsutil::shown;
use crate::ui::Ui;

pub fn run(a: &RemoveArgs, env: &Environment, ui: &Ui) -> Result<()> {
    let manifest = config::load(&a.config.config, env)?;
    let removed = remove(&manifest, &a.names, ui)?;
    for n in &removed.still_declared {
        ui.warn(&format!(
            "{n} is still declared in {}: delete its entry there, or the next install brings it back",
            manifest.path.display()
        ));
    }
    ui.summary(&format!(
        "removed {} from {} and {}",
        removed.names.join(", "),
        shown(&manifest.plugin_dir),
        shown(&manifest.lock_path())
    ));
    Ok(())
}
