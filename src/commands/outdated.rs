//! `outdated`: locked version vs newest matching and newest overall.

use super::output::{out, print_table};
use super::Ctx;
use crate::cli::ConfigArg;
use crate::config::Environment;
use crate::error::{Error, Result};
use crate::model::fsutil::shown;
use crate::status;
use crate::ui;

pub async fn run(c: &ConfigArg, json: bool, allow_expired: bool, env: &Environment) -> Result<()> {
    let ctx = Ctx::new(c, false, allow_expired, env)?;
    super::warn_unfinished(&ctx.manifest);
    let rows: Vec<serde_json::Value> = status::outdated(&ctx.manifest, &ctx.registries)
        .await?
        .into_iter()
        .map(|r| serde_json::to_value(r).expect("json"))
        .collect();
    let images = status::check_images(&ctx.manifest, &ctx.fetcher.transport).await?;
    let unchecked: Vec<String> = images.iter().filter_map(|i| i.error.clone()).collect();
    let unchecked = unchecked.into_iter().reduce(|a, b| format!("{a}\n{b}"));
    if json {
        out(&serde_json::to_string_pretty(
            &serde_json::json!({ "schema_version": 1, "plugins": rows, "images": images }),
        )
        .expect("json"));
        return unchecked.map_or(Ok(()), |e| Err(Error::runtime(e)));
    }
    let moved: Vec<Vec<String>> = images
        .iter()
        .filter(|i| i.moved || ui::verbose())
        .map(|i| {
            let now = i.current.clone().unwrap_or_else(|| "?".into());
            vec![
                i.plugin.clone(),
                i.version.clone(),
                i.reference.clone(),
                i.locked.clone(),
                now,
            ]
        })
        .collect();
    if !moved.is_empty() {
        print_table(&["PLUGIN", "VERSION", "IMAGE", "LOCKED", "NOW"], &moved);
    }
    let moved = images.iter().filter(|i| i.moved).count();
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
    if moved > 0 {
        ui::warn(&format!(
            "{moved} locked image tag(s) moved since `lock`: `{}` locks the new digest",
            ctx.manifest.command("update NAME")
        ));
    }
    if let Some(e) = unchecked {
        return Err(Error::runtime(e));
    }
    ui::summary(
        &if updatable.is_empty() && newer_major == 0 && yanked.is_empty() && moved == 0 {
            format!("all {total} registry plugin(s) are on their latest version")
        } else {
            let mut parts = Vec::new();
            if !yanked.is_empty() {
                parts.push(format!("{} locked version(s) yanked", yanked.len()));
            }
            if !updatable.is_empty() {
                parts.push(format!(
                    "{} can be updated within their requirement: run `{}`",
                    updatable.len(),
                    ctx.manifest
                        .command(&format!("update {}", updatable.join(" ")))
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
            if moved > 0 {
                parts.push(format!("{moved} locked image tag(s) moved"));
            }
            format!("{total} registry plugin(s): {}", parts.join("; "))
        },
    );
    Ok(())
}
