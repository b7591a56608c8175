//! `mirror`: copy what the lock needs into a directory that installs can use without the origin.

use super::Ctx;
use crate::cli::ConfigArg;
use crate::config::Environment;
use crate::error::Result;
use crate::install::mirror::Mirror;
use crate::model::size::human_size;
use crate::store::guard::Protected;
use crate::ui;
use std::path::Path;

pub async fn mirror(
    config: &ConfigArg,
    output: &Path,
    platforms: &[String],
    jobs: usize,
    allow_expired: bool,
    env: &Environment,
) -> Result<()> {
    let platforms = platforms
        .iter()
        .map(|p| super::platform_flag(p))
        .collect::<Result<Vec<_>>>()?;
    let ctx = Ctx::new(config, false, allow_expired, env)?;
    let m = Mirror {
        manifest: &ctx.manifest,
        fetcher: &ctx.fetcher,
        registries: &ctx.registries,
        platforms: &platforms,
        jobs,
        protected: &Protected {
            config_dir: Some(ctx.manifest.dir.clone()),
            home: env.home.clone(),
        },
    };
    let r = m.build(output).await?;
    for s in &r.skipped {
        ui::warn(&format!("not mirrored: {s}"));
    }
    ui::summary(&format!(
        "mirrored {} plugin(s) from {} registr{} with {} artifact(s) ({}) into {}, verified against the lock; install from it with `{}`",
        r.plugins,
        r.providers,
        if r.providers == 1 { "y" } else { "ies" },
        r.artifacts,
        human_size(r.bytes),
        output.display(),
        ctx.manifest
            .command(&format!("install --offline --mirror {}", output.display()))
    ));
    Ok(())
}
