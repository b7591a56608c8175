//! `lock` and `update`: resolve (again), write the lock, and say what changed.

use super::args;
use super::ctx::{Ctx, Opening};
use super::install::project;
use super::output::{diff_versions, summary};
use crate::cli::{LockArgs, UpdateArgs};
use crate::config::Environment;
use crate::error::{Error, Result};
use crate::install::project::Request;
use crate::model::fsutil::shown;
use crate::model::names::did_you_mean;
use crate::model::platform::Platform;
use crate::ui::Ui;
use std::collections::BTreeSet;

pub async fn lock(a: &LockArgs, env: &Environment, ui: &Ui) -> Result<()> {
    let mut platforms = args::platforms(&a.platform)?;
    let opening = Opening {
        allow_expired: a.allow_expired,
        ..Opening::default()
    };
    let ctx = Ctx::open(&a.config, opening, env, ui)?;
    let asked = !platforms.is_empty();
    if platforms.is_empty() {
        platforms.push(Platform::host());
    }
    let p = project(&ctx, None)?;
    let held = p.lock_project()?;
    let req = Request {
        platforms: &platforms,
        refresh: &BTreeSet::new(),
        locked: false,
        frozen: false,
        jobs: a.jobs,
        deny_yanked: false,
    };
    let lock = p.lock(held.dir(), &req).await?.lock;
    // `--platform` names the platforms to add: say what becomes of this machine's.
    let host = Platform::host();
    if asked && !platforms.contains(&host) {
        if lock.platforms().contains(&host) {
            ui.note(&format!(
                "this machine's platform {host} stays locked too (it was locked before)"
            ));
        } else if lock.plugins.iter().any(|l| !l.covers(&host)) {
            ui.note(&format!(
                "this machine's platform {host} is not locked: add --platform {host} to lock it too (an install here would add it)"
            ));
        }
    }
    let mut all = lock.platforms();
    all.extend(platforms);
    all.sort();
    all.dedup();
    let plats = match all.is_empty() {
        true => "any platform".to_string(),
        false => all
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    };
    ui.summary(&format!(
        "locked {} plugin(s) for {plats} in {}",
        lock.plugins.len(),
        shown(&ctx.manifest.lock_path())
    ));
    Ok(())
}

pub async fn update(a: &UpdateArgs, env: &Environment, ui: &Ui) -> Result<()> {
    if a.frozen {
        return Err(Error::usage(
            "--frozen",
            "update re-resolves versions from the registry index, which --frozen forbids; use `optimus-plugins install --frozen` to install the lock as it is",
        ));
    }
    let opening = Opening {
        allow_expired: a.allow_expired,
        ..Opening::default()
    };
    let ctx = Ctx::open(&a.config, opening, env, ui)?;
    let m = &ctx.manifest;
    for n in &a.names {
        if m.declaration(n).is_none() {
            let declared = m.plugins.iter().map(|d| d.name.as_str());
            return Err(Error::in_config(
                &m.path,
                None,
                format!("{n} is not declared{}", did_you_mean(n, declared)),
            ));
        }
    }
    let refresh: BTreeSet<String> = match a.names.is_empty() {
        true => m.plugins.iter().map(|d| d.name.clone()).collect(),
        false => a.names.iter().cloned().collect(),
    };
    let platform = Platform::host();
    let p = project(&ctx, a.link.link_mode.as_deref())?;
    let held = p.exclusive()?;
    let req = Request {
        platforms: std::slice::from_ref(&platform),
        refresh: &refresh,
        locked: false,
        frozen: false,
        jobs: a.jobs,
        deny_yanked: false,
    };
    if a.no_install {
        let r = p.lock(Some(held.dir()), &req).await?;
        let changes = diff_versions(r.previous.as_ref(), &r.lock);
        ui.summary(&format!("updated the lock: {changes}"));
        return Ok(());
    }
    let (r, out) = p.install(held.dir(), &req, false).await?;
    let changes = diff_versions(r.previous.as_ref(), &r.lock);
    ui.summary(&format!("{changes}; {}", summary(&out, m)));
    Ok(())
}
