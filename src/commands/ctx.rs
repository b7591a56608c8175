//! What every config-driven command opens first: the config's [`Manifest`], and a fetcher and
//! registry readers sharing one transport, cache and reporter (the run's [`Ui`]).

use crate::cli::ConfigArg;
use crate::config::{self, Environment, Manifest};
use crate::error::Result;
use crate::registry::Registries;
use crate::source::Transport;
use crate::store::fetch::Fetcher;
use crate::store::Cache;
use crate::ui::Ui;
use crate::upstream::target::Target;
use std::sync::Arc;

/// A loaded config and what reads and fetches for it.
pub(super) struct Ctx {
    pub manifest: Manifest,
    pub fetcher: Fetcher,
    pub registries: Registries,
}

/// How a command opens its [`Ctx`].
#[derive(Clone, Copy, Default)]
pub(super) struct Opening {
    /// `--offline`: no network.
    pub offline: bool,
    /// `--allow-expired`: accept registries whose `timestamp.toml` has expired (with a
    /// warning).
    pub allow_expired: bool,
    /// `--target`, in place of the config's `plugins.target`.
    pub target: Option<Target>,
}

impl Ctx {
    /// Loads the config (its warnings printed here) and sets up the fetcher and registries.
    pub fn open(c: &ConfigArg, o: Opening, env: &Environment, ui: &Ui) -> Result<Ctx> {
        let mut manifest = config::load(&c.config, env)?;
        if let Some(t) = o.target {
            manifest.target = t;
        }
        for n in &manifest.notes {
            ui.warn(n);
        }
        let (fetcher, mut registries) =
            fetch_context(env, o.offline, manifest.limits.max_unpacked_size, ui);
        registries.freshness.allow_expired = o.allow_expired;
        Ok(Ctx {
            manifest,
            fetcher,
            registries,
        })
    }
}

/// A fetcher and registry readers sharing one transport, cache and reporter.
pub(super) fn fetch_context(
    env: &Environment,
    offline: bool,
    max_size: u64,
    ui: &Ui,
) -> (Fetcher, Registries) {
    let reporter = ui.reporter();
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

/// A read-only command (`list`, `outdated`) that finds a commit an interrupted run left says so
/// and leaves it alone: completing it writes, which is `install`'s job.
pub(super) fn warn_unfinished(manifest: &Manifest, ui: &Ui) {
    if let Some(j) = crate::store::journal::pending(&manifest.plugin_dir) {
        ui.warn(&format!(
            "{} holds an unfinished change (an install, sync or remove was interrupted after it committed): run `optimus-plugins install` to complete it; until then what is shown may be out of date",
            crate::model::fsutil::shown(&j)
        ));
    }
}
