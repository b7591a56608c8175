//! `verify`: re-hash installed plugins against the lock and receipts; exit 1 on a difference.
//! Locked versions yanked in their registry are warned about (a failure with `--deny-yanked`).

use super::output::out;
use super::{platform_arg, Ctx};
use crate::cli::ConfigArg;
use crate::config::Environment;
use crate::error::{Error, Result};
use crate::model::fsutil::shown;
use crate::status;
use crate::ui;

pub struct VerifyOpts {
    pub offline: bool,
    pub deny_yanked: bool,
    pub allow_expired: bool,
}

pub async fn run(
    c: &ConfigArg,
    platform: Option<&str>,
    o: &VerifyOpts,
    env: &Environment,
) -> Result<()> {
    let ctx = Ctx::new(c, o.offline, o.allow_expired, env)?;
    let manifest = &ctx.manifest;
    let platform = platform_arg(platform)?;
    let mut v = status::verify(manifest, &platform)?;
    // Plugin files nobody installed: not a failure (they are the user's), but worth a word.
    for p in &v.unmanaged {
        ui::warn(&format!(
            "{} was not installed by optimus (not verified)",
            shown(p)
        ));
    }
    let yanks = status::yanks::check_project(manifest, &ctx.registries, &platform).await?;
    for (name, e) in &yanks.unchecked {
        let line =
            format!("unchecked {name} (cannot tell whether its locked version is yanked: {e})");
        if o.deny_yanked {
            v.problems.push(line);
        } else {
            ui::warn(&line);
        }
    }
    for y in &yanks.yanked {
        let line = format!(
            "yanked    {} (run `optimus plugin update {}`)",
            y.describe(),
            y.name
        );
        if o.deny_yanked {
            v.problems.push(line);
        } else {
            ui::warn(&line);
        }
    }
    let dir = &manifest.plugin_dir;
    if v.problems.is_empty() {
        let note = match yanks.yanked.len() {
            0 => String::new(),
            n => format!("; {n} locked version(s) yanked in the registry (see above)"),
        };
        ui::summary(&format!(
            "verified {} file(s) in {}: all match the lock and receipts{note}",
            v.checked,
            shown(dir)
        ));
        return Ok(());
    }
    for p in &v.problems {
        out(p);
    }
    Err(Error::runtime(format!(
        "verify found {} problem(s) in {}: `optimus plugin install` restores the locked files{}",
        v.problems.len(),
        shown(dir),
        if yanks.yanked.is_empty() {
            ""
        } else {
            "; `optimus plugin update` moves off yanked versions"
        }
    )))
}
