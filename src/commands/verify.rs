//! `verify`: re-hash installed plugins against the lock and receipts, and ask container
//! registries whether locked image tags moved; exit 1 on a difference.

use super::output::out;
use super::platform_arg;
use crate::cli::ConfigArg;
use crate::config::{self, Environment};
use crate::error::{Error, Result};
use crate::model::fsutil::shown;
use crate::source::Transport;
use crate::status;
use crate::ui;

pub async fn run(
    c: &ConfigArg,
    platform: Option<&str>,
    offline: bool,
    env: &Environment,
) -> Result<()> {
    let manifest = config::load(&c.config, env)?;
    let platform = platform_arg(platform)?;
    let mut v = status::verify(&manifest, &platform)?;
    // Plugin files nobody installed: not a failure (they are the user's), but worth a word.
    for p in &v.unmanaged {
        ui::warn(&format!(
            "{} was not installed by optimus (not verified)",
            shown(p)
        ));
    }
    let images = if offline {
        Vec::new()
    } else {
        status::check_images(&manifest, &Transport::new(false, &env.net)).await?
    };
    v.problems
        .extend(images.iter().filter_map(status::ImageCheck::problem));
    let dir = &manifest.plugin_dir;
    if v.problems.is_empty() {
        let tags = if images.is_empty() {
            String::new()
        } else {
            format!("; {} locked image tag(s) unmoved", images.len())
        };
        ui::summary(&format!(
            "verified {} file(s) in {}: all match the lock and receipts{tags}",
            v.checked,
            shown(dir)
        ));
        return Ok(());
    }
    for p in &v.problems {
        out(p);
    }
    let moved = images.iter().filter(|i| i.moved).count();
    let fix = if moved > 0 {
        " (a moved tag: `optimus plugin update NAME` locks its new digest, or pin the old one)"
    } else {
        ""
    };
    Err(Error::runtime(format!(
        "verify found {} problem(s) in {}: `optimus plugin install` restores the locked files{fix}",
        v.problems.len(),
        shown(dir)
    )))
}
