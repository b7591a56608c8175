//! `install` and `sync`: resolve, lock, install, and say what changed; `sync --host` takes
//! the yaml plugins an Optimus server serves.

use super::args;
use super::ctx::{fetch_context, Ctx, Opening};
use super::output::summary;
use crate::cli::{ConfigArg, InstallArgs, InstallFlags, SyncArgs};
use crate::config::{self, Environment, Manifest};
use crate::error::{Error, Result};
use crate::install::bundle::{check_bundle_path, write_yaml_bundle};
use crate::install::project::{Project, Request};
use crate::install::sync_host::sync_from_host;
use crate::install::{NewDir, Outcome};
use crate::model::fsutil::{self, shown};
use crate::model::limits::DEFAULT_MAX_UNPACKED;
use crate::model::link_mode::LinkMode;
use crate::model::platform::Platform;
use crate::model::redact;
use crate::status;
use crate::ui::Ui;
use crate::upstream::optimus_cli::Ask;
use crate::upstream::{self, target::Target};
use std::collections::BTreeSet;

/// The project of `ctx`; `--link-mode` (when given) overrides the environment and the config.
pub(super) fn project<'a>(ctx: &'a Ctx, link_mode: Option<&str>) -> Result<Project<'a>> {
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

/// The flags `install` and `sync` share, checked; and the environment with `--mirror` (when
/// given) in place of `OPTIMUS_MIRROR_DIR`.
fn checked(f: &InstallFlags, env: &Environment) -> Result<(Option<Target>, Environment)> {
    if f.locked && f.frozen {
        return Err(Error::usage(
            "--locked and --frozen together",
            "--frozen already is --locked, and reads no registry index besides; pass --frozen to install the lock exactly as it is without reading any index, or --locked to install it checked against the registries' signed indexes",
        ));
    }
    let mut env = env.clone();
    if let Some(d) = &f.mirror.mirror {
        env.mirror_dir = Some(fsutil::absolute(d));
    }
    Ok((args::target(&f.target)?, env))
}

fn opening(f: &InstallFlags, target: Option<Target>) -> Opening {
    Opening {
        offline: f.offline,
        allow_expired: f.allow_expired,
        target,
    }
}

/// Under the project and plugin-dir locks: resolve what the lock lacks, install for
/// `platform` (yaml plugins only for `sync`), then write the lock.
async fn install_locked(
    ctx: &Ctx,
    f: &InstallFlags,
    platform: &Platform,
    yaml_only: bool,
    ui: &Ui,
) -> Result<Outcome> {
    let p = project(ctx, f.link.link_mode.as_deref())?;
    let req = Request {
        platforms: std::slice::from_ref(platform),
        refresh: &BTreeSet::new(),
        locked: f.locked,
        frozen: f.frozen,
        jobs: f.jobs,
        deny_yanked: f.deny_yanked,
    };
    // A first install that fails (or is interrupted) leaves no plugin directory behind.
    let new_dir = NewDir::watch(&ctx.manifest.plugin_dir);
    let held = p.exclusive()?;
    let out = p.install(held.dir(), &req, yaml_only).await;
    new_dir.forget_if_failed(&out);
    let out = out?.1;
    if !out.installed.is_empty() || !out.removed.is_empty() {
        warn_startup(&ctx.manifest, platform, ui);
    }
    Ok(out)
}

/// The target's startup over the plugin dir as it now is (the discovery pass `list` and
/// `validate` use): each error that would stop that Optimus, as a warning.
fn warn_startup(m: &Manifest, platform: &Platform, ui: &Ui) {
    let dirs = [m.plugin_dir.clone()];
    for e in upstream::startup(m.target.rules(), &dirs, Some(platform)).errors {
        ui.warn(&format!(
            "Optimus ({}) would not start with {} as it is: {e} (`optimus-plugins list` shows every file it would load)",
            m.target,
            shown(&m.plugin_dir)
        ));
    }
}

pub async fn install(a: &InstallArgs, env: &Environment, ui: &Ui) -> Result<()> {
    let (target, env) = checked(&a.flags, env)?;
    let platform = args::platform_or_host(a.platform.as_deref())?;
    let ctx = Ctx::open(&a.config, opening(&a.flags, target), &env, ui)?;
    if let Some(zip) = &a.yaml_bundle {
        check_bundle_path(zip)?;
    }
    let out = install_locked(&ctx, &a.flags, &platform, false, ui).await?;
    let mut extra = String::new();
    if let Some(zip) = &a.yaml_bundle {
        let n = write_yaml_bundle(&ctx.manifest.plugin_dir, zip)?;
        extra = format!("; wrote {n} yaml plugin(s) to {}", zip.display());
    }
    ui.summary(&format!("{}{extra}", summary(&out, &ctx.manifest)));
    Ok(())
}

pub async fn sync(a: &SyncArgs, env: &Environment, ui: &Ui) -> Result<()> {
    let (target, env) = checked(&a.flags, env)?;
    if a.host.is_some() && a.flags.frozen {
        return Err(Error::usage(
            "--frozen with --host",
            "--frozen installs a lock; `sync --host` takes what an Optimus server serves and has none: drop one of them",
        ));
    }
    let c = &a.config.config;
    let host = match &a.host {
        Some(h) => Some(h.clone()),
        // A client config (`host: localhost:9100`, no plugin section): sync from that server,
        // as `optimus plugin sync -c optimus.yaml` does.
        None if c.exists() && !config::has_plugin_section(c) => {
            Some(config::client_host(c)?.ok_or_else(|| {
                Error::in_config(
                    c,
                    None,
                    "neither a `plugins:` section nor a `host:` (the Optimus server to sync from); add one, or pass --host",
                )
            })?)
        }
        None => None,
    };
    if let Some(host) = host {
        return sync_host(&a.config, &host, a.flags.offline, target, &env, ui).await;
    }
    let ctx = Ctx::open(&a.config, opening(&a.flags, target), &env, ui)?;
    let out = install_locked(&ctx, &a.flags, &Platform::host(), true, ui).await?;
    ui.summary(&summary(&out, &ctx.manifest));
    Ok(())
}

/// The plugin dir and target `sync --host` writes for: the config's plugin section's when
/// there is one (then true), else `.plugins` here (where `optimus plugin sync` writes).
fn sync_dir(c: &ConfigArg, env: &Environment) -> Result<(std::path::PathBuf, Target, bool)> {
    if c.config.exists() && config::has_plugin_section(&c.config) {
        let m = config::load(&c.config, env)?;
        return Ok((m.plugin_dir, m.target, true));
    }
    let dir = env.plugin_dir.clone().unwrap_or_else(|| ".plugins".into());
    Ok((dir, Target::default(), false))
}

/// Where Optimus run here looks for plugins (as `list` reports it). An `optimus` executable
/// that cannot be found only leaves its directory out: `list` says why.
fn optimus_search_dirs(
    dir: &std::path::Path,
    declared: bool,
    target: Target,
    env: &Environment,
) -> Vec<std::path::PathBuf> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let me = std::env::current_exe().ok();
    let host = status::Host {
        cwd: &cwd,
        home: env.home.as_deref(),
        optimus: Ask {
            flag: None,
            env: env.optimus_bin.as_deref(),
            path_var: env.path.as_deref(),
            me: me.as_deref(),
        },
    };
    let rules = target.rules();
    let optimus_cli = status::optimus_cli_of(rules, &host).unwrap_or_default();
    status::search_dirs(rules, dir, declared, &host, &optimus_cli)
}

async fn sync_host(
    c: &ConfigArg,
    host: &str,
    offline: bool,
    target: Option<Target>,
    env: &Environment,
    ui: &Ui,
) -> Result<()> {
    if offline {
        return Err(Error::usage(
            "--offline",
            "syncing from a host needs the network; drop --offline",
        ));
    }
    let (dir, config_target, declared) = sync_dir(c, env)?;
    let target = target.unwrap_or(config_target);
    if !target.rules().has_sync {
        ui.warn(&format!(
            "{target} Optimus has no `plugin sync` and serves no /plugins; syncing anyway, checking each plugin as {target} loads it"
        ));
    }
    let dir = fsutil::absolute(&dir);
    let search = optimus_search_dirs(&dir, declared, target, env);
    let (fetcher, _) = fetch_context(env, false, DEFAULT_MAX_UNPACKED, ui);
    // A first sync that fails (or is interrupted) leaves no plugin directory behind.
    let new_dir = NewDir::watch(&dir);
    let out = sync_from_host(host, &dir, &search, &fetcher, target).await;
    new_dir.forget_if_failed(&out);
    let out = out.map_err(|e| {
        let unchanged = format!("nothing was changed in {}", shown(&dir));
        match &e {
            _ if e.is_config() => e,
            // The set would stop Optimus here: the server is fine, this machine is not.
            Error::Refused { .. } => e.noted(unchanged),
            _ => e.noted(format!(
                "{unchanged}; check that {} is an Optimus server (it serves its yaml plugins at /plugins)",
                redact::url_for_display(host)
            )),
        }
    })?;
    let removed = match out.removed {
        0 => String::new(),
        n => format!("; removed {n}"),
    };
    ui.summary(&format!(
        "synced {} yaml plugin(s) from {} into {}{removed}",
        out.names.len(),
        out.host,
        shown(&dir),
    ));
    Ok(())
}
