//! `publish`, `yank` and `refresh`: change a static registry, re-sign its index and its
//! `timestamp.toml`.

use super::args;
use crate::cli::{PublishArgs, RefreshArgs, RegistryArgs, YankArgs};
use crate::config::Environment;
use crate::error::{Error, Result};
use crate::model::location::Location;
use crate::model::names::check_plugin_name;
use crate::model::plugin_type::PluginType;
use crate::registry::publish::{parse_artifact_arg, registry_root, Publisher};
use crate::registry::signing::SigningKey;
use crate::registry::timestamp::parse_expires_in;
use crate::source::Transport;
use crate::ui::Ui;

/// The key, the transport and the root a registry command works with.
fn open(r: &RegistryArgs, env: &Environment) -> Result<(Transport, SigningKey, Location)> {
    let password = r
        .password_env
        .as_deref()
        .map(args::password_env)
        .transpose()?;
    let key = SigningKey::load(&r.secret_key, password)?;
    let root = registry_root(&r.registry)?;
    Ok((Transport::new(false, &env.net), key, root))
}

fn publisher<'a>(
    r: &RegistryArgs,
    transport: &'a Transport,
    key: &'a SigningKey,
    root: Location,
    env: &Environment,
    ui: &Ui,
) -> Result<Publisher<'a>> {
    if let Some(u) = &r.public_url {
        crate::registry::index::check_public_url(u)?;
    }
    Ok(Publisher {
        transport,
        root,
        key,
        resign: r.resign,
        settle: env.publish_settle,
        expires_in: parse_expires_in(&r.expires_in)?,
        reporter: ui.reporter(),
        target: None,
        binary_only: false,
        public_url: r.public_url.clone(),
    })
}

pub async fn publish(a: &PublishArgs, env: &Environment, ui: &Ui) -> Result<()> {
    let target = args::target(&a.target)?;
    let version = args::version(&a.version)?;
    let plugin_type = a
        .plugin_type
        .as_deref()
        .map(|t| {
            PluginType::parse(t)
                .ok_or_else(|| Error::usage(format!("--type {t}"), "expected task or hook"))
        })
        .transpose()?;
    check_plugin_name(&a.name)?;
    let artifacts = a
        .artifacts
        .iter()
        .map(|x| parse_artifact_arg(x, &a.name))
        .collect::<Result<Vec<_>>>()?;
    let (transport, key, root) = open(&a.registry, env)?;
    let mut p = publisher(&a.registry, &transport, &key, root.clone(), env, ui)?;
    p.target = target;
    p.binary_only = a.binary_only;
    let description = a.description.as_deref();
    p.publish(&a.name, &version, &artifacts, plugin_type, description)
        .await?;
    ui.summary(&format!(
        "published {} {version} ({} artifact(s)) to {root} and signed its index and timestamp",
        a.name,
        artifacts.len()
    ));
    Ok(())
}

pub async fn yank(a: &YankArgs, env: &Environment, ui: &Ui) -> Result<()> {
    let version = args::version(&a.version)?;
    let (transport, key, root) = open(&a.registry, env)?;
    let p = publisher(&a.registry, &transport, &key, root.clone(), env, ui)?;
    let reason = a.reason.as_deref();
    p.yank(&a.name, &version, !a.undo, reason).await?;
    ui.summary(&format!(
        "{} {} {version} in {root}{}",
        if a.undo { "un-yanked" } else { "yanked" },
        a.name,
        reason.map(|r| format!(" ({r})")).unwrap_or_default()
    ));
    Ok(())
}

pub async fn refresh(a: &RefreshArgs, env: &Environment, ui: &Ui) -> Result<()> {
    let (transport, key, root) = open(&a.registry, env)?;
    let p = publisher(&a.registry, &transport, &key, root.clone(), env, ui)?;
    let ts = p.refresh().await?;
    ui.summary(&format!(
        "re-signed the timestamp of {root}: version {}, expires {}, {} file(s) listed",
        ts.version,
        ts.expires,
        ts.meta.len()
    ));
    Ok(())
}
