//! `verify`: re-hash installed plugins against the lock and receipts, and ask container
//! registries whether locked image tags moved; exit 1 on a difference. Locked versions yanked
//! in their registry are warned about (a failure with `--deny-yanked`). `--offline`: yanks
//! from the cached indexes only, image tags not asked. The library checks
//! (`status::checkup`); this file prints what it found.

use super::args;
use super::ctx::{Ctx, Opening};
use crate::cli::VerifyArgs;
use crate::config::Environment;
use crate::error::{Error, Result};
use crate::model::fsutil::shown;
use crate::status::{self, CheckupOptions};
use crate::ui::Ui;

pub async fn run(a: &VerifyArgs, env: &Environment, ui: &Ui) -> Result<()> {
    let opening = Opening {
        offline: a.offline,
        allow_expired: a.allow_expired,
        target: None,
    };
    let ctx = Ctx::open(&a.config, opening, env, ui)?;
    let m = &ctx.manifest;
    let platform = args::platform_or_host(a.platform.as_deref())?;
    let o = CheckupOptions {
        offline: a.offline,
        deny_yanked: a.deny_yanked,
    };
    let found = status::checkup(m, &ctx.registries, &ctx.fetcher.transport, &platform, o).await?;
    for w in &found.warnings {
        ui.warn(w);
    }
    let dir = shown(&m.plugin_dir);
    if found.problems.is_empty() {
        ui.summary(&format!(
            "verified {} file(s) in {dir}: all match the lock and receipts{}",
            found.files.checked,
            found.also_checked()
        ));
        return Ok(());
    }
    for p in &found.problems {
        ui.out(p);
    }
    Err(Error::document(
        dir,
        format!(
            "verify found {} problem(s): `{}` restores the locked files{}",
            found.problems.len(),
            m.command("install"),
            found.fixes(m)
        ),
    ))
}
