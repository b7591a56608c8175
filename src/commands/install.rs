//! `install`, `sync`, `lock` and `update`: resolve, lock, install, and say what changed.

use super::output::{diff_versions, summary};
use super::{fetch_context, platform_arg, Ctx};
use crate::cli::ConfigArg;
use crate::config::{self, Environment, Manifest};
use crate::error::{Error, Result};
use crate::install::bundle::{check_bundle_path, write_yaml_bundle};
use crate::install::project::{Project, Request};
use crate::install::sync_host::sync_from_host;
use crate::install::{forget_created_dir, Outcome};
use crate::model::fsutil::{self, shown};
use crate::model::limits::DEFAULT_MAX_UNPACKED;
use crate::model::link_mode::LinkMode;
use crate::model::names::did_you_mean;
use crate::model::platform::Platform;
use crate::model::redact;
use crate::ui;
use crate::upstream::{self, target::Target};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// The project of `ctx`; `--link-mode` (when given) overrides the environment and the config.
fn project<'a>(ctx: &'a Ctx, link_mode: Option<&str>) -> Result<Project<'a>> {
    Ok(Project {
        manifest: &ctx.manifest,
        fetcher: &ctx.fetcher,
        registries: &ctx.registries,
        link_mode: match link_mode {
            Some(m) => LinkMode::parse(m, "--link-mode")?,
            None => ctx.manifest.link_mode,
        },
    })
}

/// The flags `install` and `sync` share.
pub struct InstallOpts {
    pub locked: bool,
    /// As `locked`, and no registry index is read.
    pub frozen: bool,
    pub link_mode: Option<String>,
    pub offline: bool,
    pub jobs: usize,
    pub allow_expired: bool,
    /// `--deny-yanked`: fail when a locked version is yanked.
    pub deny_yanked: bool,
    /// `--target`, in place of the config's `plugins.target`.
    pub target: Option<Target>,
}

/// Under the project and plugin-dir locks: resolve what the lock lacks, install for
/// `platform` (yaml plugins only for `sync`), then write the lock.
async fn install_locked(
    ctx: &Ctx,
    o: &InstallOpts,
    platform: &Platform,
    yaml_only: bool,
) -> Result<Outcome> {
    let p = project(ctx, o.link_mode.as_deref())?;
    let dir = &ctx.manifest.plugin_dir;
    let created = !dir.exists();
    if created {
        // Interrupted, a first install leaves no plugin directory behind either.
        let d = dir.clone();
        crate::model::interrupt::at_interrupt(move || forget_created_dir(&d));
    }
    let _guard = p.exclusive()?;
    let req = Request {
        platforms: std::slice::from_ref(platform),
        refresh: &BTreeSet::new(),
        locked: o.locked,
        frozen: o.frozen,
        jobs: o.jobs,
        deny_yanked: o.deny_yanked,
    };
    let out = p.install(&req, yaml_only).await;
    if out.is_err() && created {
        forget_created_dir(dir);
    }
    let out = out?.1;
    if !out.installed.is_empty() || !out.removed.is_empty() {
        warn_startup(&ctx.manifest, platform);
    }
    Ok(out)
}

/// The target's startup over the plugin dir as it now is (the discovery pass `list` and
/// `validate` use): each error that would stop that Optimus, as a warning.
fn warn_startup(m: &Manifest, platform: &Platform) {
    let dirs = [m.plugin_dir.clone()];
    for e in upstream::startup(m.target.rules(), &dirs, Some(platform)).errors {
        ui::warn(&format!(
            "Optimus ({}) would not start with {} as it is: {e} (`optimus-plugins list` shows every file it would load)",
            m.target,
            shown(&m.plugin_dir)
        ));
    }
}

pub async fn install(
    config: &ConfigArg,
    o: &InstallOpts,
    platform: Option<&str>,
    yaml_bundle: Option<PathBuf>,
    env: &Environment,
) -> Result<()> {
    let platform = platform_arg(platform)?;
    let ctx = Ctx::for_target(config, o.offline, o.allow_expired, o.target, env)?;
    if let Some(zip) = &yaml_bundle {
        check_bundle_path(zip)?;
    }
    let out = install_locked(&ctx, o, &platform, false).await?;
    let mut extra = String::new();
    if let Some(zip) = yaml_bundle {
        let n = write_yaml_bundle(&ctx.manifest.plugin_dir, &zip)?;
        extra = format!("; wrote {n} yaml plugin(s) to {}", zip.display());
    }
    ui::summary(&format!("{}{extra}", summary(&out, &ctx.manifest)));
    Ok(())
}

pub async fn sync(
    config: &ConfigArg,
    o: &InstallOpts,
    host: Option<&str>,
    env: &Environment,
) -> Result<()> {
    let (offline, target) = (o.offline, o.target);
    if host.is_some() && o.frozen {
        return Err(Error::config(
            "--frozen installs a lock; `sync --host` takes what an Optimus server serves and has none: drop one of them",
        ));
    }
    if let Some(host) = host {
        return sync_host(config, host, offline, target, env).await;
    }
    // A client config (`host: localhost:9100`, no plugin section): sync from that server, as
    // `optimus plugin sync -c optimus.yaml` does.
    if config.config.exists() && !config::has_plugin_section(&config.config) {
        if let Some(host) = config::client_host(&config.config)? {
            return sync_host(config, &host, offline, target, env).await;
        }
        return Err(Error::config(format!(
            "{}: neither a `plugins:` section nor a `host:` (the Optimus server to sync from); add one, or pass --host",
            config.config.display()
        )));
    }
    let ctx = Ctx::for_target(config, offline, o.allow_expired, target, env)?;
    let out = install_locked(&ctx, o, &Platform::host(), true).await?;
    ui::summary(&summary(&out, &ctx.manifest));
    Ok(())
}

async fn sync_host(
    c: &ConfigArg,
    host: &str,
    offline: bool,
    target: Option<Target>,
    env: &Environment,
) -> Result<()> {
    if offline {
        return Err(Error::config(
            "syncing from a host needs the network; drop --offline",
        ));
    }
    // The plugin dir and target come from the config's plugin section when there is one,
    // else `.plugins` here (where `optimus plugin sync` writes).
    let (dir, config_target) = if c.config.exists() && config::has_plugin_section(&c.config) {
        let m = config::load(&c.config, env)?;
        (m.plugin_dir, m.target)
    } else {
        (
            env.plugin_dir.clone().unwrap_or_else(|| ".plugins".into()),
            Target::default(),
        )
    };
    let target = target.unwrap_or(config_target);
    if !target.rules().has_sync {
        ui::warn(&format!(
            "{target} Optimus has no `plugin sync` and serves no /plugins; syncing anyway, checking each plugin as {target} loads it"
        ));
    }
    let dir = fsutil::absolute(&dir);
    let (fetcher, _) = fetch_context(env, false, DEFAULT_MAX_UNPACKED);
    let out = sync_from_host(host, &dir, &fetcher, target)
        .await
        .map_err(|e| match e.is_config() {
            true => e,
            false => e.noted(format!(
                "nothing was changed in {}; check that {} is an Optimus server (it serves its yaml plugins at /plugins)",
                shown(&dir),
                redact::url_for_display(host)
            )),
        })?;
    ui::summary(&format!(
        "synced {} yaml plugin(s) from {} into {}{}",
        out.names.len(),
        out.host,
        shown(&dir),
        if out.removed == 0 {
            String::new()
        } else {
            format!("; removed {}", out.removed)
        }
    ));
    Ok(())
}

pub async fn lock(
    config: &ConfigArg,
    platform: &[String],
    jobs: usize,
    allow_expired: bool,
    env: &Environment,
) -> Result<()> {
    let mut platforms = platform
        .iter()
        .map(|p| super::platform_flag(p))
        .collect::<Result<Vec<_>>>()?;
    let ctx = Ctx::new(config, false, allow_expired, env)?;
    let asked = !platforms.is_empty();
    if platforms.is_empty() {
        platforms.push(Platform::host());
    }
    let p = project(&ctx, None)?;
    let _guard = p.lock_project()?;
    let req = Request {
        platforms: &platforms,
        refresh: &BTreeSet::new(),
        locked: false,
        frozen: false,
        jobs,
        deny_yanked: false,
    };
    let lock = p.lock(&req).await?.lock;
    let mut all = lock.platforms();
    all.extend(platforms.iter().cloned());
    all.sort();
    all.dedup();
    // `--platform` names the platforms to add: say what becomes of this machine's.
    let host = Platform::host();
    if asked && !platforms.contains(&host) {
        if lock.platforms().contains(&host) {
            ui::note(&format!(
                "this machine's platform {host} stays locked too (it was locked before)"
            ));
        } else if lock.plugins.iter().any(|l| !l.covers(&host)) {
            ui::note(&format!(
                "this machine's platform {host} is not locked: add --platform {host} to lock it too (an install here would add it)"
            ));
        }
    }
    let plats = all
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    ui::summary(&format!(
        "locked {} plugin(s) for {} in {}",
        lock.plugins.len(),
        if plats.is_empty() {
            "any platform".to_string()
        } else {
            plats
        },
        shown(&ctx.manifest.lock_path())
    ));
    Ok(())
}

/// The flags of `update`.
pub struct UpdateOpts {
    pub names: Vec<String>,
    pub no_install: bool,
    pub jobs: usize,
    pub allow_expired: bool,
    pub link_mode: Option<String>,
}

pub async fn update(config: &ConfigArg, o: UpdateOpts, env: &Environment) -> Result<()> {
    let UpdateOpts {
        names,
        no_install,
        jobs,
        allow_expired,
        ..
    } = o;
    let ctx = Ctx::new(config, false, allow_expired, env)?;
    for n in &names {
        if ctx.manifest.declaration(n).is_none() {
            let declared = ctx.manifest.plugins.iter().map(|d| d.name.as_str());
            return Err(Error::config(format!(
                "{n} is not declared in {}{}",
                ctx.manifest.path.display(),
                did_you_mean(n, declared)
            )));
        }
    }
    let refresh: BTreeSet<String> = if names.is_empty() {
        ctx.manifest
            .plugins
            .iter()
            .map(|d| d.name.clone())
            .collect()
    } else {
        names.into_iter().collect()
    };
    let platform = Platform::host();
    let p = project(&ctx, o.link_mode.as_deref())?;
    let _guard = p.exclusive()?;
    let req = Request {
        platforms: std::slice::from_ref(&platform),
        refresh: &refresh,
        locked: false,
        frozen: false,
        jobs,
        deny_yanked: false,
    };
    if no_install {
        let r = p.lock(&req).await?;
        let changes = diff_versions(r.previous.as_ref(), &r.lock);
        ui::summary(&format!("updated the lock: {changes}"));
        return Ok(());
    }
    let (r, out) = p.install(&req, false).await?;
    let changes = diff_versions(r.previous.as_ref(), &r.lock);
    ui::summary(&format!("{changes}; {}", summary(&out, &ctx.manifest)));
    Ok(())
}
