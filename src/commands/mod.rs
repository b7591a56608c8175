//! The commands: one file each, thin glue from the CLI to the library. Each parses its
//! arguments, calls the library, and prints; none holds domain logic.

mod cache;
mod install;
pub mod invoked;
mod keygen;
mod list;
mod mirror;
mod outdated;
mod output;
mod publish;
mod remove;
mod signals;
mod validate;
mod verify;

use crate::cli::{Cli, Command, ConfigArg, InstallFlags, TargetArg};
use crate::config::{self, Environment, Manifest};
use crate::error::{Error, Result};
use crate::model::platform::Platform;
use crate::model::report::SharedReporter;
use crate::registry::Registries;
use crate::source::Transport;
use crate::store::fetch::Fetcher;
use crate::store::Cache;
use crate::ui;
use crate::upstream::target::Target;
use std::sync::Arc;

/// Runs the parsed command; `form` is how it was invoked (for completions).
pub async fn run(cli: Cli, form: invoked::Form, env: Environment) -> Result<()> {
    ui::set_level(cli.quiet, cli.verbose);
    let cmd = cli.command;
    let env = &env;
    match cmd {
        Command::Install {
            config,
            flags,
            platform,
            yaml_bundle,
        } => {
            let (opts, env) = install_opts(&flags, env)?;
            install::install(&config, &opts, platform.as_deref(), yaml_bundle, &env).await
        }
        Command::Sync {
            config,
            flags,
            host,
        } => {
            let (opts, env) = install_opts(&flags, env)?;
            install::sync(&config, &opts, host.as_deref(), &env).await
        }
        Command::Mirror {
            config,
            output,
            platform,
            jobs,
            allow_expired,
        } => mirror::mirror(&config, &output, &platform, jobs, allow_expired, env).await,
        Command::Lock {
            config,
            platform,
            jobs,
            allow_expired,
        } => install::lock(&config, &platform, jobs, allow_expired, env).await,
        Command::Update {
            config,
            names,
            no_install,
            frozen,
            link,
            jobs,
            allow_expired,
        } => {
            if frozen {
                return Err(Error::config(
                    "update re-resolves versions from the registry index, which --frozen forbids; use `optimus-plugins install --frozen` to install the lock as it is",
                ));
            }
            let o = install::UpdateOpts {
                names,
                no_install,
                jobs,
                allow_expired,
                link_mode: link.link_mode,
            };
            install::update(&config, o, env).await
        }
        Command::List {
            config,
            json,
            platform,
            target,
            optimus,
        } => {
            let args = list::ListArgs {
                json,
                platform: platform.as_deref(),
                target: target_arg(&target)?,
                optimus: optimus.as_deref(),
            };
            list::run(&config, &args, env)
        }
        Command::Verify {
            config,
            platform,
            offline,
            deny_yanked,
            allow_expired,
        } => {
            let opts = verify::VerifyOpts {
                offline,
                deny_yanked,
                allow_expired,
            };
            verify::run(&config, platform.as_deref(), &opts, env).await
        }
        Command::Remove { config, names } => remove::run(&config, &names, env),
        Command::Outdated {
            config,
            json,
            allow_expired,
        } => outdated::run(&config, json, allow_expired, env).await,
        Command::Validate {
            config,
            path,
            target,
            jobs,
        } => {
            let args = validate::ValidateArgs {
                config: config.as_deref(),
                path: path.as_deref(),
                target: target_arg(&target)?,
                jobs: jobs.as_deref(),
            };
            validate::run(&args, env)
        }
        Command::Publish {
            registry,
            plugin_type,
            description,
            name,
            version,
            artifacts,
            binary_only,
            target,
        } => {
            let args = publish::PublishArgs {
                plugin_type,
                description,
                name,
                version,
                artifacts,
                binary_only,
                target: target_arg(&target)?,
            };
            publish::publish(&registry, args, env).await
        }
        Command::Yank {
            registry,
            name,
            version,
            undo,
            reason,
        } => publish::yank(&registry, &name, &version, undo, reason.as_deref(), env).await,
        Command::Refresh { registry } => publish::refresh(&registry, env).await,
        Command::Keygen {
            output,
            password_env,
            force,
        } => keygen::keygen(&output, password_env.as_deref(), force),
        Command::Cache(c) => cache::run(c, env),
        Command::Sign {
            secret_key,
            password_env,
            files,
        } => keygen::sign(&secret_key, password_env.as_deref(), &files),
        Command::Completions { shell } => {
            keygen::completions(shell, &mut form.command(), &form.completion_name())
        }
    }
}

/// Catches SIGINT and SIGTERM for the rest of the run (see `signals`): call it first thing.
pub fn watch_signals(cli: &Cli) {
    signals::watch(match &cli.command {
        Command::Publish { .. }
        | Command::Yank { .. }
        | Command::Refresh { .. }
        | Command::Keygen { .. } => signals::Claims::Untracked,
        _ => signals::Claims::Tracked,
    });
}

fn parse_version(v: &str) -> Result<semver::Version> {
    semver::Version::parse(v.trim_start_matches('v'))
        .map_err(|e| Error::config(format!("bad version {v:?}: {e}")))
}

fn read_password_env(var: &str) -> Result<String> {
    std::env::var(var)
        .map_err(|_| Error::config(format!("--password-env {var}: the variable is not set")))
}

/// The options `install` and `sync` share, and the environment with `--mirror` (when given)
/// in place of `OPTIMUS_MIRROR_DIR`.
fn install_opts(
    f: &InstallFlags,
    env: &Environment,
) -> Result<(install::InstallOpts, Environment)> {
    if f.locked && f.frozen {
        return Err(Error::config(
            "--locked and --frozen together: --frozen already is --locked, and reads no registry index besides; pass --frozen to install the lock exactly as it is without reading any index, or --locked to install it checked against the registries' signed indexes",
        ));
    }
    let opts = install::InstallOpts {
        locked: f.locked,
        frozen: f.frozen,
        link_mode: f.link.link_mode.clone(),
        offline: f.offline,
        jobs: f.jobs,
        allow_expired: f.allow_expired,
        deny_yanked: f.deny_yanked,
        target: target_arg(&f.target)?,
    };
    let mut env = env.clone();
    if let Some(d) = &f.mirror.mirror {
        env.mirror_dir = Some(crate::model::fsutil::absolute(d));
    }
    Ok((opts, env))
}

fn target_arg(t: &TargetArg) -> Result<Option<Target>> {
    t.target.as_deref().map(Target::parse).transpose()
}

fn platform_arg(p: Option<&str>) -> Result<Platform> {
    p.map(platform_flag)
        .transpose()
        .map(|p| p.unwrap_or_else(Platform::host))
}

/// A read-only command (`list`, `outdated`) that finds a commit an interrupted run left says so
/// and leaves it alone: completing it writes, which is `install`'s job.
fn warn_unfinished(manifest: &Manifest) {
    if let Some(j) = crate::store::journal::pending(&manifest.plugin_dir) {
        ui::warn(&format!(
            "{} holds an unfinished change (an install, sync or remove was interrupted after it committed): run `optimus-plugins install` to complete it; until then what is shown may be out of date",
            crate::model::fsutil::shown(&j)
        ));
    }
}

/// `--platform P`, its errors naming the flag.
fn platform_flag(p: &str) -> Result<Platform> {
    Platform::parse(p).map_err(|e| Error::config(format!("--platform {p}: {e}")))
}

/// The reporter of the command line: warnings and progress on stderr (see [`ui`]).
fn reporter() -> SharedReporter {
    Arc::new(ui::Terminal)
}

/// A fetcher and registry readers sharing one transport, cache and reporter.
fn fetch_context(env: &Environment, offline: bool, max_size: u64) -> (Fetcher, Registries) {
    let reporter = reporter();
    let transport = Arc::new(Transport::new(offline, &env.net).with_reporter(reporter.clone()));
    let cache = Cache::new(env.cache_dir.clone());
    let fetcher = Fetcher {
        transport: transport.clone(),
        cache: cache.clone(),
        max_size,
        reporter: reporter.clone(),
    };
    (fetcher, Registries::new(transport, cache, reporter))
}

/// What every config-driven command needs.
struct Ctx {
    manifest: Manifest,
    fetcher: Fetcher,
    registries: Registries,
}

impl Ctx {
    /// `allow_expired`: accept registries whose `timestamp.toml` has expired (with a warning).
    fn new(c: &ConfigArg, offline: bool, allow_expired: bool, env: &Environment) -> Result<Ctx> {
        Ctx::for_target(c, offline, allow_expired, None, env)
    }

    /// The config's manifest with `--target` (when given) in place of `plugins.target`; the
    /// config's warnings are printed here.
    fn for_target(
        c: &ConfigArg,
        offline: bool,
        allow_expired: bool,
        target: Option<Target>,
        env: &Environment,
    ) -> Result<Ctx> {
        let mut manifest = config::load(&c.config, env)?;
        if let Some(t) = target {
            manifest.target = t;
        }
        for n in &manifest.notes {
            ui::warn(n);
        }
        let (fetcher, mut registries) =
            fetch_context(env, offline, manifest.limits.max_unpacked_size);
        registries.freshness.allow_expired = allow_expired;
        Ok(Ctx {
            manifest,
            fetcher,
            registries,
        })
    }
}
