//! `verify`: re-hash installed plugins against the lock and receipts, and ask container
//! registries whether locked image tags moved; exit 1 on a difference. Locked versions yanked
//! in their registry are warned about (a failure with `--deny-yanked`). `--offline`: yanks
//! from the cached indexes only, image tags not asked.

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
            "{} was not installed by optimus-plugins (not verified)",
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
            "yanked    {} (run `{}`)",
            y.describe(),
            manifest.command(&format!("update {}", y.name))
        );
        if o.deny_yanked {
            v.problems.push(line);
        } else {
            ui::warn(&line);
        }
    }
    let images = if o.offline {
        Vec::new()
    } else {
        status::check_images(manifest, &ctx.fetcher.transport).await?
    };
    v.problems
        .extend(images.iter().filter_map(status::ImageCheck::problem));
    let dir = &manifest.plugin_dir;
    if v.problems.is_empty() {
        let mut note = String::new();
        if !images.is_empty() {
            note.push_str(&format!("; {} locked image tag(s) unmoved", images.len()));
        }
        if !yanks.yanked.is_empty() {
            note.push_str(&format!(
                "; {} locked version(s) yanked in the registry (see above)",
                yanks.yanked.len()
            ));
        }
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
    let mut fix = String::new();
    if images.iter().any(|i| i.moved) {
        fix.push_str(&format!(
            " (a moved tag: `{}` locks its new digest, or pin the old one)",
            manifest.command("update NAME")
        ));
    }
    if !yanks.yanked.is_empty() {
        fix.push_str(&format!(
            "; `{}` moves off yanked versions",
            manifest.command("update")
        ));
    }
    Err(Error::runtime(format!(
        "verify found {} problem(s) in {}: `{}` restores the locked files{fix}",
        v.problems.len(),
        shown(dir),
        manifest.command("install")
    )))
}
