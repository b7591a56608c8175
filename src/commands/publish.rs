//! `publish`, `yank` and `refresh`: change a static registry, re-sign its index and its
//! `timestamp.toml`.

use super::{parse_version, read_password_env, reporter};
use crate::cli::RegistryArgs;
use crate::config::Environment;
use crate::error::{Error, Result};
use crate::model::location::Location;
use crate::model::names::check_plugin_name;
use crate::model::plugin_type::PluginType;
use crate::registry::publish::{parse_artifact_arg, registry_root, Publisher};
use crate::registry::signing::SigningKey;
use crate::registry::timestamp::parse_expires_in;
use crate::source::Transport;
use crate::ui;

pub struct PublishArgs {
    pub plugin_type: Option<String>,
    pub description: Option<String>,
    pub name: String,
    pub version: String,
    pub artifacts: Vec<String>,
    /// `--binary-only`: no yaml plugin needed beside a binary.
    pub binary_only: bool,
    pub target: Option<crate::upstream::target::Target>,
}

/// The key, the transport and the root a registry command works with.
fn open(r: &RegistryArgs, env: &Environment) -> Result<(Transport, SigningKey, Location)> {
    let password = r
        .password_env
        .as_deref()
        .map(read_password_env)
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
        reporter: reporter(),
        target: None,
        binary_only: false,
        public_url: r.public_url.clone(),
    })
}

pub async fn publish(registry: &RegistryArgs, a: PublishArgs, env: &Environment) -> Result<()> {
    let version = parse_version(&a.version)?;
    let plugin_type = a
        .plugin_type
        .as_deref()
        .map(|t| {
            PluginType::parse(t)
                .ok_or_else(|| Error::config(format!("--type {t}: expected task or hook")))
        })
        .transpose()?;
    check_plugin_name(&a.name)?;
    let args = a
        .artifacts
        .iter()
        .map(|x| parse_artifact_arg(x, &a.name))
        .collect::<Result<Vec<_>>>()?;
    let (transport, key, root) = open(registry, env)?;
    let mut p = publisher(registry, &transport, &key, root.clone(), env)?;
    p.target = a.target;
    p.binary_only = a.binary_only;
    p.publish(
        &a.name,
        &version,
        &args,
        plugin_type,
        a.description.as_deref(),
    )
    .await?;
    ui::summary(&format!(
        "published {} {version} ({} artifact(s)) to {root} and signed its index and timestamp",
        a.name,
        args.len()
    ));
    Ok(())
}

pub async fn yank(
    registry: &RegistryArgs,
    name: &str,
    version: &str,
    undo: bool,
    reason: Option<&str>,
    env: &Environment,
) -> Result<()> {
    let version = parse_version(version)?;
    let (transport, key, root) = open(registry, env)?;
    let p = publisher(registry, &transport, &key, root.clone(), env)?;
    p.yank(name, &version, !undo, reason).await?;
    ui::summary(&format!(
        "{} {name} {version} in {root}{}",
        if undo { "un-yanked" } else { "yanked" },
        reason.map(|r| format!(" ({r})")).unwrap_or_default()
    ));
    Ok(())
}

pub async fn refresh(registry: &RegistryArgs, env: &Environment) -> Result<()> {
    let (transport, key, root) = open(registry, env)?;
    let p = publisher(registry, &transport, &key, root.clone(), env)?;
    let ts = p.refresh().await?;
    ui::summary(&format!(
        "re-signed the timestamp of {root}: version {}, expires {}, {} file(s) listed",
        ts.version,
        ts.expires,
        ts.meta.len()
    ));
    Ok(())
}
