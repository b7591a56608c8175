//! `mirror`: copy what the lock needs into a directory that installs can use without the origin.

use super::args;
use super::ctx::{Ctx, Opening};
use crate::cli::MirrorArgs;
use crate::config::Environment;
use crate::error::Result;
use crate::install::mirror::Mirror;
use crate::model::size::human_size;
use crate::store::guard::Protected;
use crate::ui::Ui;

pub async fn mirror(a: &MirrorArgs, env: &Environment, ui: &Ui) -> Result<()> {
    let platforms = args::platforms(&a.platform)?;
    let opening = Opening {
        allow_expired: a.allow_expired,
        ..Opening::default()
    };
    let ctx = Ctx::open(&a.config, opening, env, ui)?;
    let m = Mirror {
        manifest: &ctx.manifest,
        fetcher: &ctx.fetcher,
        registries: &ctx.registries,
        platforms: &platforms,
        jobs: a.jobs,
        protected: &Protected {
            config_dir: Some(ctx.manifest.dir.clone()),
            home: env.home.clone(),
        },
    };
    let output = &a.output;
    let r = m.build(output).await?;
    for s in &r.skipped {
        ui.warn(&format!("not mirrored: {s}"));
    }
    ui.summary(&format!(
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
