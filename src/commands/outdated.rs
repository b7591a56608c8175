//! `outdated`: locked version vs newest matching and newest overall, and locked image tags
//! that moved. The library makes the report (`status::outdated_report`); this file prints it.

use super::ctx::{warn_unfinished, Ctx, Opening};
use crate::cli::OutdatedArgs;
use crate::config::{Environment, Manifest};
use crate::error::Result;
use crate::model::fsutil::shown;
use crate::status::{self, OutdatedReport};
use crate::ui::Ui;

pub async fn run(a: &OutdatedArgs, env: &Environment, ui: &Ui) -> Result<()> {
    let opening = Opening {
        allow_expired: a.allow_expired,
        ..Opening::default()
    };
    let ctx = Ctx::open(&a.config, opening, env, ui)?;
    warn_unfinished(&ctx.manifest, ui);
    let mut report =
        status::outdated_report(&ctx.manifest, &ctx.registries, &ctx.fetcher.transport).await?;
    if a.json {
        let v = serde_json::json!({
            "schema_version": 1,
            "plugins": report.plugins,
            "images": report.images.images,
        });
        ui.out(&serde_json::to_string_pretty(&v).expect("json"));
        return report.images.failed().map_or(Ok(()), Err);
    }
    print_tables(&report, ui);
    for r in report.yanked() {
        ui.warn(&format!(
            "{} {} (locked) is yanked in registry {}: {}",
            r.name,
            r.locked.as_deref().unwrap_or("-"),
            r.provider,
            r.yank_reason.as_deref().unwrap_or("no reason given")
        ));
    }
    let moved = report.images.moved();
    if moved > 0 {
        ui.warn(&format!(
            "{moved} locked image tag(s) moved since `lock`: `{}` locks the new digest",
            ctx.manifest.command("update NAME")
        ));
    }
    if let Some(e) = report.images.failed() {
        return Err(e);
    }
    ui.summary(&summary(&report, &ctx.manifest));
    Ok(())
}

/// The moved image tags, then the plugins with something to say (all of them with `-v`).
fn print_tables(report: &OutdatedReport, ui: &Ui) {
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    let moved: Vec<Vec<String>> = report
        .images
        .images
        .iter()
        .filter(|i| i.moved || ui.verbose())
        .map(|i| {
            let now = i.current.clone().unwrap_or_else(|| "?".into());
            let (plugin, version) = (i.plugin.clone(), i.version.clone());
            vec![plugin, version, i.reference.clone(), i.locked.clone(), now]
        })
        .collect();
    if !moved.is_empty() {
        ui.table(&["PLUGIN", "VERSION", "IMAGE", "LOCKED", "NOW"], &moved);
    }
    let table: Vec<Vec<String>> = report
        .plugins
        .iter()
        .filter(|r| r.outdated || r.yanked || ui.verbose())
        .map(|r| {
            let mut locked = dash(&r.locked);
            if r.yanked {
                locked.push_str(" (yanked)");
            }
            let requirement = r.requirement.clone();
            vec![
                r.name.clone(),
                requirement,
                locked,
                dash(&r.wanted),
                dash(&r.latest),
            ]
        })
        .collect();
    if !table.is_empty() {
        let head = ["NAME", "REQUIREMENT", "LOCKED", "WANTED", "LATEST"];
        ui.table(&head, &table);
    }
}

fn summary(report: &OutdatedReport, m: &Manifest) -> String {
    let total = report.plugins.len();
    if report.current() {
        return format!("all {total} registry plugin(s) are on their latest version");
    }
    let mut parts = Vec::new();
    let yanked = report.yanked().len();
    if yanked > 0 {
        parts.push(format!("{yanked} locked version(s) yanked"));
    }
    let updatable = report.updatable();
    if !updatable.is_empty() {
        parts.push(format!(
            "{} can be updated within their requirement: run `{}`",
            updatable.len(),
            m.command(&format!("update {}", updatable.join(" ")))
        ));
    }
    let beyond = report.beyond_requirement();
    if beyond > 0 {
        parts.push(format!(
            "{beyond} have newer versions outside their requirement: raise `version` in {}",
            shown(&m.path)
        ));
    }
    match report.unlocked() {
        0 => {}
        n => parts.push(format!("{n} not locked yet")),
    }
    match report.images.moved() {
        0 => {}
        n => parts.push(format!("{n} locked image tag(s) moved")),
    }
    format!("{total} registry plugin(s): {}", parts.join("; "))
}
