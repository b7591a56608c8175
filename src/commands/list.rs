//! `list`: the plugin dir's plugins with their status, and what Optimus would load.

use super::output::{out, print_table};
use super::platform_arg;
use crate::cli::ConfigArg;
use crate::config::{self, Environment};
use crate::error::Result;
use crate::model::fsutil::shown;
use crate::model::target::Target;
use crate::status;
use crate::ui;
use std::path::Path;

pub fn run(
    c: &ConfigArg,
    json: bool,
    platform: Option<&str>,
    target: Option<Target>,
    env: &Environment,
) -> Result<()> {
    let mut manifest = config::load(&c.config, env)?;
    if let Some(t) = target {
        manifest.target = t;
    }
    let target = manifest.target;
    let platform = platform_arg(platform)?;
    let cwd = std::env::current_dir().unwrap_or_default();
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let listing = status::list(
        &manifest,
        &platform,
        &cwd,
        env.home.as_deref(),
        exe_dir.as_deref(),
    )?;
    let discovered = &listing.discovery.discovered;
    if json {
        // The schema is documented in docs/cli.md; bump schema_version on breaking changes.
        let v = serde_json::json!({
            "schema_version": 1,
            "config": manifest.path,
            "plugin_dir": manifest.plugin_dir,
            "platform": platform.to_string(),
            "target": target,
            "plugin_dir_searched": listing.plugin_dir_searched,
            "plugins": listing.plugins,
            "discovery_dirs": listing.discovery.dirs,
            "discovered": discovered,
            "startup_errors": listing.discovery.startup_errors,
        });
        out(&serde_json::to_string_pretty(&v).expect("json"));
        return Ok(());
    }
    if listing.plugins.is_empty() {
        ui::note(&format!(
            "no plugins installed in {}: declare some in {} and run `{}`",
            shown(&manifest.plugin_dir),
            shown(&manifest.path),
            manifest.command("install")
        ));
    } else {
        out(&format!(
            "Installed here, in {}:",
            shown(&manifest.plugin_dir)
        ));
        let rows: Vec<Vec<String>> = listing
            .plugins
            .iter()
            .map(|m| {
                vec![
                    m.name.clone(),
                    m.version.clone().unwrap_or_else(|| "-".into()),
                    m.plugin_type.clone().unwrap_or_else(|| "-".into()),
                    m.kind.clone(),
                    m.platform.clone(),
                    m.provider.clone().unwrap_or_else(|| "-".into()),
                    m.status.clone(),
                ]
            })
            .collect();
        print_table(
            &[
                "NAME", "VERSION", "TYPE", "KIND", "PLATFORM", "PROVIDER", "STATUS",
            ],
            &rows,
        );
        for m in listing.plugins.iter().filter(|m| m.status != "ok") {
            if let Some(d) = &m.detail {
                if m.status != "unmanaged" || ui::verbose() {
                    ui::note(&format!("{} ({}): {d}", m.name, m.status));
                }
            }
        }
    }
    if !listing.plugin_dir_searched {
        ui::warn(&format!(
            "Optimus ({target}) does not look in {}: the plugins installed there are not loaded (it searches {})",
            shown(&manifest.plugin_dir),
            listing
                .discovery
                .dirs
                .iter()
                .map(|d| shown(d))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if !discovered.is_empty() {
        out("");
        out(&format!(
            "Optimus ({target}) would load (its directories in order, first found wins):"
        ));
        let rows: Vec<Vec<String>> = discovered
            .iter()
            .map(|d| {
                vec![
                    format!("  {}", d.name),
                    d.kind.clone(),
                    if d.used { "yes" } else { "no" }.to_string(),
                    shown(&d.path),
                    match (&d.note, d.versions.is_empty()) {
                        (Some(n), _) => n.clone(),
                        (None, false) => format!("versions: {}", d.versions.join(", ")),
                        (None, true) => String::new(),
                    },
                ]
            })
            .collect();
        print_table(&["  NAME", "KIND", "USED", "FILE", "NOTE"], &rows);
    }
    for e in &listing.discovery.startup_errors {
        ui::warn(&format!(
            "Optimus ({target}) would not start: unable to create server: {e}"
        ));
    }
    let bad = listing
        .plugins
        .iter()
        .filter(|m| m.status != "ok" && m.status != "unmanaged")
        .count();
    let used = discovered.iter().filter(|d| d.used).count();
    let shadowed = discovered
        .iter()
        .filter(|d| d.shadowed_by.is_some())
        .count();
    ui::summary(&format!(
        "{} plugin(s) in {}{}; Optimus would load {used}{}",
        listing.plugins.len(),
        shown(&manifest.plugin_dir),
        if bad > 0 {
            format!(
                ", {bad} {} attention (`{}` fixes {})",
                if bad == 1 { "needs" } else { "need" },
                manifest.command("install"),
                if bad == 1 { "it" } else { "them" }
            )
        } else if listing.plugins.is_empty() {
            String::new()
        } else {
            ", all ok".to_string()
        },
        if shadowed > 0 {
            format!(" ({shadowed} hidden)")
        } else {
            String::new()
        }
    ));
    Ok(())
}
