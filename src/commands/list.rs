//! `list`: the plugin dir's plugins with their status, and what Optimus would load.

use super::output::{out, print_table};
use super::platform_arg;
use crate::cli::ConfigArg;
use crate::config::{self, Environment};
use crate::error::Result;
use crate::model::fsutil::shown;
use crate::status;
use crate::ui;

pub fn run(c: &ConfigArg, json: bool, platform: Option<&str>, env: &Environment) -> Result<()> {
    let manifest = config::load(&c.config, env)?;
    let platform = platform_arg(platform)?;
    let cwd = std::env::current_dir().unwrap_or_default();
    let listing = status::list(&manifest, &platform, &cwd, env.home.as_deref())?;
    if json {
        // The schema is documented in docs/cli.md; bump schema_version on breaking changes.
        let v = serde_json::json!({
            "schema_version": 1,
            "config": manifest.path,
            "plugin_dir": manifest.plugin_dir,
            "platform": platform.to_string(),
            "plugins": listing.plugins,
            "discovered": listing.discovered,
        });
        out(&serde_json::to_string_pretty(&v).expect("json"));
        return Ok(());
    }
    if listing.plugins.is_empty() {
        ui::note(&format!(
            "no plugins installed in {}: declare some in {} and run `optimus plugin install`",
            shown(&manifest.plugin_dir),
            shown(&manifest.path)
        ));
    } else {
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
    if !listing.discovered.is_empty() {
        out("");
        out("Optimus would load (first directory wins; a yaml plugin beats a binary):");
        let rows: Vec<Vec<String>> = listing
            .discovered
            .iter()
            .map(|d| {
                vec![
                    if d.used {
                        d.name.clone()
                    } else {
                        String::new()
                    },
                    d.kind.clone(),
                    if d.used {
                        shown(&d.path)
                    } else {
                        format!("{} (shadowed)", shown(&d.path))
                    },
                ]
            })
            .collect();
        let rows: Vec<Vec<String>> = rows
            .into_iter()
            .map(|mut r| {
                r[0] = format!("  {}", r[0]);
                r
            })
            .collect();
        print_table(&["  NAME", "KIND", "FILE"], &rows);
    }
    let bad = listing
        .plugins
        .iter()
        .filter(|m| m.status != "ok" && m.status != "unmanaged")
        .count();
    let used = listing.discovered.iter().filter(|d| d.used).count();
    let shadowed = listing.discovered.len() - used;
    ui::summary(&format!(
        "{} plugin(s) in {}{}; Optimus would load {used}{}",
        listing.plugins.len(),
        shown(&manifest.plugin_dir),
        if bad > 0 {
            format!(
                ", {bad} {} attention (`optimus plugin install` fixes {})",
                if bad == 1 { "needs" } else { "need" },
                if bad == 1 { "it" } else { "them" }
            )
        } else if listing.plugins.is_empty() {
            String::new()
        } else {
            ", all ok".to_string()
        },
        if shadowed > 0 {
            format!(" ({shadowed} shadowed)")
        } else {
            String::new()
        }
    ));
    Ok(())
}
