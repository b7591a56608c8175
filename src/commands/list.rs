//! `list`: the plugin dir's plugins with their status, and what Optimus would load. The
//! library computes the listing (`status::list`); this file prints it.

use super::args;
use super::ctx::warn_unfinished;
use crate::cli::ListArgs;
use crate::config::{self, Environment, Manifest};
use crate::error::Result;
use crate::model::fsutil::shown;
use crate::model::platform::Platform;
use crate::status::{self, Host, Listing};
use crate::ui::Ui;
use crate::upstream::optimus_cli::{Ask, Found};

pub fn run(a: &ListArgs, env: &Environment, ui: &Ui) -> Result<()> {
    let (mut manifest, declared) = config::load_project(&a.config.config, env)?;
    if let Some(t) = args::target(&a.target)? {
        manifest.target = t;
    }
    warn_unfinished(&manifest, ui);
    let platform = args::platform_or_host(a.platform.as_deref())?;
    let cwd = std::env::current_dir().unwrap_or_default();
    let me = std::env::current_exe().ok();
    let host = Host {
        cwd: &cwd,
        home: env.home.as_deref(),
        optimus: Ask {
            flag: a.optimus.as_deref(),
            env: env.optimus_bin.as_deref(),
            path_var: env.path.as_deref(),
            me: me.as_deref(),
        },
    };
    let listing = status::list(&manifest, declared, &platform, &host)?;
    for w in &listing.optimus_cli.warnings {
        ui.warn(w);
    }
    if a.optimus.is_some() && !listing.searches_exe_dir {
        ui.warn(&format!(
            "--optimus is not used: Optimus ({}) does not search the optimus executable's directory",
            manifest.target
        ));
    }
    if a.json {
        print_json(&manifest, declared, &platform, &listing, ui);
        return Ok(());
    }
    print_installed(&manifest, declared, &listing, ui);
    print_discovery(&manifest, &listing, ui);
    ui.summary(&summary(&manifest, declared, &listing));
    Ok(())
}

/// The schema is documented in docs/cli.md; bump schema_version on breaking changes.
fn print_json(
    manifest: &Manifest,
    declared: bool,
    platform: &Platform,
    listing: &Listing,
    ui: &Ui,
) {
    let optimus_cli = match listing.searches_exe_dir {
        true => serde_json::to_value(&listing.optimus_cli).expect("json"),
        false => serde_json::Value::Null,
    };
    let v = serde_json::json!({
        "schema_version": 1,
        "config": manifest.path,
        "declared": declared,
        "plugin_dir": manifest.plugin_dir,
        "platform": platform.to_string(),
        "target": manifest.target,
        "plugin_dir_searched": listing.plugin_dir_searched,
        "plugins": listing.plugins,
        "optimus_cli": optimus_cli,
        "discovery_dirs": listing.discovery.dirs,
        "discovered": listing.discovery.discovered,
        "startup_errors": listing.discovery.startup_errors,
    });
    ui.out(&serde_json::to_string_pretty(&v).expect("json"));
}

/// The plugins in the plugin dir, with what needs doing.
fn print_installed(manifest: &Manifest, declared: bool, listing: &Listing, ui: &Ui) {
    if !declared {
        ui.note(&format!(
            "{} has no `plugins:` section, so it declares no plugins (add one to install your own; `optimus-plugins sync` fetches an Optimus server's yaml plugins)",
            shown(&manifest.path)
        ));
    }
    if listing.plugins.is_empty() {
        if declared {
            ui.note(&format!(
                "no plugins installed in {}: declare some in {} and run `{}`",
                shown(&manifest.plugin_dir),
                shown(&manifest.path),
                manifest.command("install")
            ));
        }
    } else {
        ui.out(&format!(
            "Installed here, in {}:",
            shown(&manifest.plugin_dir)
        ));
        let rows: Vec<Vec<String>> = listing
            .plugins
            .iter()
            .map(|m| {
                let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
                vec![
                    m.name.clone(),
                    or_dash(&m.version),
                    or_dash(&m.plugin_type),
                    m.kind.to_string(),
                    m.platform.to_string(),
                    or_dash(&m.provider),
                    m.status.clone(),
                ]
            })
            .collect();
        let head = [
            "NAME", "VERSION", "TYPE", "KIND", "PLATFORM", "PROVIDER", "STATUS",
        ];
        ui.table(&head, &rows);
        for m in listing.plugins.iter().filter(|m| m.status != "ok") {
            if let Some(d) = &m.detail {
                if m.status != "unmanaged" || ui.verbose() {
                    ui.note(&format!("{} ({}): {d}", m.name, m.status));
                }
            }
        }
    }
}

/// What the target would load: which Optimus CLI, every discovered file, startup errors.
fn print_discovery(manifest: &Manifest, listing: &Listing, ui: &Ui) {
    let target = manifest.target;
    let dirs = &listing.discovery.dirs;
    if !listing.plugin_dir_searched {
        ui.warn(&format!(
            "Optimus ({target}) does not look in {}: the plugins installed there are not loaded (it searches {})",
            shown(&manifest.plugin_dir),
            dirs.iter().map(|d| shown(d)).collect::<Vec<_>>().join(", ")
        ));
    }
    let discovered = &listing.discovery.discovered;
    if listing.searches_exe_dir || !discovered.is_empty() {
        ui.out("");
    }
    if listing.searches_exe_dir {
        ui.out(&optimus_cli_line(&listing.optimus_cli));
    }
    if !discovered.is_empty() {
        ui.out(&format!(
            "Optimus ({target}) would load (its directories in order, first found wins):"
        ));
        let rows: Vec<Vec<String>> = discovered
            .iter()
            .map(|d| {
                vec![
                    format!("  {}", d.name),
                    d.kind.to_string(),
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
        ui.table(&["  NAME", "KIND", "USED", "FILE", "NOTE"], &rows);
    }
    for e in &listing.discovery.startup_errors {
        ui.warn(&format!(
            "Optimus ({target}) would not start: unable to create server: {e}"
        ));
    }
}

/// Which `optimus` executable's directory counts as Optimus's, or that none was found.
fn optimus_cli_line(f: &Found) -> String {
    let (Some(path), Some(dir), Some(source)) = (&f.path, &f.dir, f.source) else {
        let why = match f.skipped.first() {
            Some(me) => format!("the only `optimus` on PATH is this tool, {}", shown(me)),
            None => "no `optimus` on PATH".to_string(),
        };
        return format!(
            "Optimus CLI: none found ({why}): the optimus executable's directory is not searched; pass --optimus PATH or set OPTIMUS_BIN"
        );
    };
    let how = match source {
        "PATH" => "the first `optimus` on PATH that is not this tool",
        other => other,
    };
    let linked = if path.parent() == Some(dir.as_path()) {
        String::new()
    } else {
        " (links resolved, as Optimus reads its own path)".to_string()
    };
    format!(
        "Optimus CLI: {} ({how}): its directory {}{linked} is searched",
        shown(path),
        shown(dir)
    )
}

fn summary(manifest: &Manifest, declared: bool, listing: &Listing) -> String {
    let bad = listing.needing_install();
    let state = if bad > 0 {
        let (verb, them) = if bad == 1 {
            ("needs", "it")
        } else {
            ("need", "them")
        };
        format!(
            ", {bad} {verb} attention (`{}` fixes {them})",
            manifest.command("install")
        )
    } else if listing.plugins.is_empty() {
        String::new()
    } else {
        ", all ok".to_string()
    };
    let hidden = match listing.hidden() {
        0 => String::new(),
        n => format!(" ({n} hidden)"),
    };
    let nothing = match declared {
        true => String::new(),
        false => format!("{} declares no plugins; ", shown(&manifest.path)),
    };
    format!(
        "{nothing}{} plugin(s) in {}{state}; Optimus would load {}{hidden}",
        listing.plugins.len(),
        shown(&manifest.plugin_dir),
        listing.used()
    )
}
