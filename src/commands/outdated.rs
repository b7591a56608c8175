//! `outdated`: locked version vs newest matching and newest overall.

use super::output::{out, print_table};
use super::Ctx;
use crate::cli::ConfigArg;
use crate::config::Environment;
use crate::error::Result;
use crate::model::fsutil::shown;
use crate::status;
use crate::ui;

pub async fn run(c: &ConfigArg, json: bool, allow_expired: bool, env: &Environment) -> Result<()> {
    let ctx = Ctx::new(c, false, allow_expired, env)?;
    let rows: Vec<serde_json::Value> = status::outdated(&ctx.manifest, &ctx.registries)
        .await?
        .into_iter()
        .map(|r| serde_json::to_value(r).expect("json"))
        .collect();
    if json {
        out(&serde_json::to_string_pretty(
            &serde_json::json!({ "schema_version": 1, "plugins": rows }),
        )
        .expect("json"));
        return Ok(());
    }
    let s = |r: &serde_json::Value, k: &str| r[k].as_str().unwrap_or("-").to_string();
    let table: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| r["outdated"] == true || r["yanked"] == true || ui::verbose())
        .map(|r| {
            let mut locked = s(r, "locked");
            if r["yanked"] == true {
                locked.push_str(" (yanked)");
            }
            vec![
                s(r, "name"),
                s(r, "requirement"),
                locked,
                s(r, "wanted"),
                s(r, "latest"),
            ]
        })
        .collect();
    if !table.is_empty() {
        print_table(
            &["NAME", "REQUIREMENT", "LOCKED", "WANTED", "LATEST"],
            &table,
        );
    }
    let yanked: Vec<&serde_json::Value> = rows.iter().filter(|r| r["yanked"] == true).collect();
    for r in &yanked {
        ui::warn(&format!(
            "{} {} (locked) is yanked in registry {}: {}",
            s(r, "name"),
            s(r, "locked"),
            s(r, "provider"),
            r["yank_reason"].as_str().unwrap_or("no reason given")
        ));
    }
    let updatable: Vec<String> = rows
        .iter()
        .filter(|r| r["update_available"] == true)
        .map(|r| s(r, "name"))
        .collect();
    let beyond = rows
        .iter()
        .filter(|r| r["outdated"] == true && r["wanted"] == r["latest"])
        .count();
    let newer_major = rows.iter().filter(|r| r["outdated"] == true).count() - beyond;
    let unlocked = rows.iter().filter(|r| r["locked"].is_null()).count();
    let total = rows.len();
    ui::summary(
        &if updatable.is_empty() && newer_major == 0 && yanked.is_empty() {
            format!("all {total} registry plugin(s) are on their latest version")
        } else {
            let mut parts = Vec::new();
            if !yanked.is_empty() {
                parts.push(format!("{} locked version(s) yanked", yanked.len()));
            }
            if !updatable.is_empty() {
                parts.push(format!(
                    "{} can be updated within their requirement: run `optimus plugin update {}`",
                    updatable.len(),
                    updatable.join(" ")
                ));
            }
            if newer_major > 0 {
                parts.push(format!(
                "{newer_major} have newer versions outside their requirement: raise `version` in {}",
                shown(&ctx.manifest.path)
            ));
            }
            if unlocked > 0 {
                parts.push(format!("{unlocked} not locked yet"));
            }
            format!("{total} registry plugin(s): {}", parts.join("; "))
        },
    );
    Ok(())
}
