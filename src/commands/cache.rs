//! `cache dir|size|prune|clean`: the machine-wide cache, shown, measured and trimmed.

use super::output::out;
use super::reporter;
use crate::cli::CacheCommand;
use crate::config::Environment;
use crate::error::Result;
use crate::install::cache_care::{self, Removal};
use crate::model::size::{human_size, parse_size};
use crate::store::guard::Protected;
use crate::store::prune::PruneOptions;
use crate::store::Cache;
use crate::ui;

pub fn run(c: CacheCommand, env: &Environment) -> Result<()> {
    let cache = Cache::new(env.cache_dir.clone());
    match c {
        CacheCommand::Dir => {
            ui::summary(&cache.root.display().to_string());
            Ok(())
        }
        CacheCommand::Size => {
            let (totals, shared) = cache_care::sizes(&cache);
            for (area, n, bytes) in &totals {
                out(&format!(
                    "{:<10} {:>10}  {:>6} entr{}  {}",
                    area.name(),
                    human_size(*bytes),
                    n,
                    if *n == 1 { "y" } else { "ies" },
                    area.about()
                ));
            }
            let total: u64 = totals.iter().map(|t| t.2).sum();
            let shared = if shared > 0 {
                format!(
                    " ({} of unpacked files also linked into projects)",
                    human_size(shared)
                )
            } else {
                String::new()
            };
            ui::summary(&format!(
                "cache {}: {}{shared}",
                cache.root.display(),
                human_size(total)
            ));
            Ok(())
        }
        CacheCommand::Prune {
            max_size,
            ci,
            dry_run,
        } => {
            let o = PruneOptions {
                max_size: max_size
                    .as_deref()
                    .map(|s| parse_size(s, "--max-size"))
                    .transpose()?,
                ci,
            };
            let r = cache_care::prune(&cache, o, dry_run, &protected(env), reporter().as_ref())?;
            for l in &r.forgotten {
                ui::note(&format!(
                    "forgot the project of {} (its lock is gone)",
                    l.display()
                ));
            }
            report(
                &r,
                dry_run,
                &format!("kept what {} project(s) use", r.projects),
            );
            Ok(())
        }
        CacheCommand::Clean { name, dry_run } => {
            let r = cache_care::clean(
                &cache,
                name.as_deref(),
                dry_run,
                &protected(env),
                reporter().as_ref(),
            )?;
            let what = match &name {
                Some(n) if r.removed.iter().all(|t| t.1 == 0) => {
                    format!(
                        "no cache entry of {n} is recorded by {} project(s)",
                        r.projects
                    )
                }
                Some(n) => format!("the entries of {n}"),
                None => "everything".to_string(),
            };
            report(&r, dry_run, &what);
            Ok(())
        }
    }
}

/// What no cache command may empty besides what is not a cache: the home directory (and `/`,
/// the working directory, their ancestors: `store::guard`).
fn protected(env: &Environment) -> Protected {
    Protected {
        config_dir: None,
        home: env.home.clone(),
    }
}

fn report(r: &Removal, dry_run: bool, what: &str) {
    for s in &r.skipped {
        ui::warn(&format!(
            "skipped {}: not a directory (a symbolic link?); the cache never follows one out of itself",
            s.display()
        ));
    }
    let mut parts = Vec::new();
    for (area, n, bytes) in &r.removed {
        if *n > 0 {
            parts.push(format!("{n} {} ({})", area.name(), human_size(*bytes)));
            ui::debug(&format!("{}: {n} entries, {bytes} bytes", area.name()));
        }
    }
    let removed: u64 = r.removed.iter().map(|t| t.2).sum();
    let linked = if r.shared > 0 {
        format!(
            "; {} of it is still linked into projects and is freed when they let go",
            human_size(r.shared)
        )
    } else {
        String::new()
    };
    ui::summary(&format!(
        "{} {}{}: {} -> {} ({what}){linked}",
        if dry_run { "would remove" } else { "removed" },
        human_size(removed),
        if parts.is_empty() {
            String::new()
        } else {
            format!(" [{}]", parts.join(", "))
        },
        human_size(r.before),
        human_size(r.after),
    ));
}
