//! `cache dir|size|prune|clean`: the machine-wide cache, shown, measured and trimmed.

use crate::cli::CacheCommand;
use crate::config::Environment;
use crate::error::Result;
use crate::install::cache_care::{self, Removal};
use crate::model::size::{human_size, parse_size};
use crate::store::guard::Protected;
use crate::store::prune::PruneOptions;
use crate::store::Cache;
use crate::ui::Ui;

pub fn run(c: CacheCommand, env: &Environment, ui: &Ui) -> Result<()> {
    let cache = Cache::new(env.cache_dir.clone());
    match c {
        CacheCommand::Dir => {
            ui.summary(&cache.root.display().to_string());
            Ok(())
        }
        CacheCommand::Size => {
            size(&cache, ui);
            Ok(())
        }
        CacheCommand::Prune {
            max_size,
            ci,
            dry_run,
        } => {
            let max_size = max_size
                .as_deref()
                .map(|s| parse_size(s, "--max-size"))
                .transpose()?;
            prune(&cache, PruneOptions { max_size, ci }, dry_run, env, ui)
        }
        CacheCommand::Clean { name, dry_run } => clean(&cache, name.as_deref(), dry_run, env, ui),
    }
}

fn size(cache: &Cache, ui: &Ui) {
    let (totals, shared) = cache_care::sizes(cache);
    for (area, n, bytes) in &totals {
        ui.out(&format!(
            "{:<10} {:>10}  {:>6} entr{}  {}",
            area.name(),
            human_size(*bytes),
            n,
            if *n == 1 { "y" } else { "ies" },
            area.about()
        ));
    }
    let total: u64 = totals.iter().map(|t| t.2).sum();
    let shared = match shared {
        0 => String::new(),
        n => format!(
            " ({} of unpacked files also linked into projects)",
            human_size(n)
        ),
    };
    ui.summary(&format!(
        "cache {}: {}{shared}",
        cache.root.display(),
        human_size(total)
    ));
}

fn prune(cache: &Cache, o: PruneOptions, dry_run: bool, env: &Environment, ui: &Ui) -> Result<()> {
    let r = cache_care::prune(cache, o, dry_run, &protected(env), ui)?;
    for l in &r.forgotten {
        ui.note(&format!(
            "forgot the project of {} (its lock is gone)",
            l.display()
        ));
    }
    let what = format!("kept what {} project(s) use", r.projects);
    report(&r, dry_run, &what, ui);
    Ok(())
}

fn clean(
    cache: &Cache,
    name: Option<&str>,
    dry_run: bool,
    env: &Environment,
    ui: &Ui,
) -> Result<()> {
    let r = cache_care::clean(cache, name, dry_run, &protected(env), ui)?;
    let what = match name {
        Some(n) if r.removed.iter().all(|t| t.1 == 0) => format!(
            "no cache entry of {n} is recorded by {} project(s)",
            r.projects
        ),
        Some(n) => format!("the entries of {n}"),
        None => "everything".to_string(),
    };
    report(&r, dry_run, &what, ui);
    Ok(())
}

/// What no cache command may empty besides what is not a cache: the home directory (and `/`,
/// the working directory, their ancestors: `store::guard`).
fn protected(env: &Environment) -> Protected {
    Protected {
        config_dir: None,
        home: env.home.clone(),
    }
}

fn report(r: &Removal, dry_run: bool, what: &str, ui: &Ui) {
    for s in &r.skipped {
        ui.warn(&format!(
            "skipped {}: not a directory (a symbolic link?); the cache never follows one out of itself",
            s.display()
        ));
    }
    let mut parts = Vec::new();
    for (area, n, bytes) in r.removed.iter().filter(|t| t.1 > 0) {
        parts.push(format!("{n} {} ({})", area.name(), human_size(*bytes)));
        ui.debug(&format!("{}: {n} entries, {bytes} bytes", area.name()));
    }
    let removed: u64 = r.removed.iter().map(|t| t.2).sum();
    let linked = match r.shared {
        0 => String::new(),
        n => format!(
            "; {} of it is still linked into projects and is freed when they let go",
            human_size(n)
        ),
    };
    let parts = match parts.is_empty() {
        true => String::new(),
        false => format!(" [{}]", parts.join(", ")),
    };
    ui.summary(&format!(
        "{} {}{parts}: {} -> {} ({what}){linked}",
        if dry_run { "would remove" } else { "removed" },
        human_size(removed),
        human_size(r.before),
        human_size(r.after),
    ));
}
