//! The commands: thin glue from the CLI to the library.

use crate::cache::Cache;
use crate::cli::{Cli, Command, ConfigArg, RegistryArgs, Top};
use crate::config::{self, Manifest, Source};
use crate::error::{Error, Result};
use crate::fetch::Fetcher;
use crate::install::{self, plugin_dir_display, Installer, Options};
use crate::lockfile::Lockfile;
use crate::platform::Platform;
use crate::receipts::Receipts;
use crate::registry::{PluginType, RegistryClient};
use crate::resolve::Resolver;
use crate::transport::Transport;
use crate::ui;
use std::collections::BTreeSet;
use std::sync::Arc;

pub async fn run(cli: Cli) -> Result<()> {
    ui::set_level(cli.quiet, cli.verbose);
    let Top::Plugin(cmd) = cli.command;
    match cmd {
        Command::Install {
            config,
            locked,
            offline,
            platform,
            jobs,
            yaml_bundle,
        } => {
            let ctx = Ctx::new(&config, offline)?;
            let platform = platform_arg(platform.as_deref())?;
            let lock = ctx
                .lock_for(
                    std::slice::from_ref(&platform),
                    &BTreeSet::new(),
                    locked,
                    jobs,
                )
                .await?;
            let out = ctx.install(&lock, &platform, false, jobs).await?;
            let mut extra = String::new();
            if let Some(zip) = yaml_bundle {
                let n = install::write_yaml_bundle(&ctx.manifest.plugin_dir, &zip)?;
                extra = format!("; wrote {n} yaml plugin(s) to {}", zip.display());
            }
            ui::summary(&format!("{}{extra}", summary(&out, &ctx.manifest)));
            Ok(())
        }
        Command::Sync {
            config,
            locked,
            offline,
            host,
            jobs,
        } => match host {
            Some(host) => sync_host(&config, &host, offline).await,
            None => {
                let ctx = Ctx::new(&config, offline)?;
                let platform = Platform::host();
                let lock = ctx
                    .lock_for(
                        std::slice::from_ref(&platform),
                        &BTreeSet::new(),
                        locked,
                        jobs,
                    )
                    .await?;
                let out = ctx.install(&lock, &platform, true, jobs).await?;
                ui::summary(&summary(&out, &ctx.manifest));
                Ok(())
            }
        },
        Command::Lock {
            config,
            platform,
            jobs,
        } => {
            let ctx = Ctx::new(&config, false)?;
            let mut platforms = platform
                .iter()
                .map(|p| Platform::parse(p))
                .collect::<Result<Vec<_>>>()?;
            if platforms.is_empty() {
                platforms.push(Platform::host());
            }
            let lock = ctx
                .lock_for(&platforms, &BTreeSet::new(), false, jobs)
                .await?;
            let plats = lock
                .platforms()
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            ui::summary(&format!(
                "locked {} plugin(s) for {} in {}",
                lock.plugins.len(),
                if plats.is_empty() {
                    "any platform".to_string()
                } else {
                    plats
                },
                ctx.manifest.lock_path().display()
            ));
            Ok(())
        }
        Command::Update {
            config,
            names,
            no_install,
            jobs,
        } => {
            let ctx = Ctx::new(&config, false)?;
            for n in &names {
                if ctx.manifest.declaration(n).is_none() {
                    return Err(Error::config(format!(
                        "{n} is not declared in {}",
                        ctx.manifest.path.display()
                    )));
                }
            }
            let refresh: BTreeSet<String> = if names.is_empty() {
                ctx.manifest
                    .plugins
                    .iter()
                    .map(|d| d.name.clone())
                    .collect()
            } else {
                names.into_iter().collect()
            };
            let platform = Platform::host();
            let old = Lockfile::read(&ctx.manifest.lock_path())?;
            let lock = ctx
                .lock_for(std::slice::from_ref(&platform), &refresh, false, jobs)
                .await?;
            let changes = diff_versions(old.as_ref(), &lock);
            if no_install {
                ui::summary(&format!("updated the lock: {changes}"));
                return Ok(());
            }
            let out = ctx.install(&lock, &platform, false, jobs).await?;
            ui::summary(&format!("{changes}; {}", summary(&out, &ctx.manifest)));
            Ok(())
        }
        Command::List {
            config,
            json,
            platform,
        } => list(&config, json, platform.as_deref()),
        Command::Verify { config, platform } => verify(&config, platform.as_deref()),
        Command::Remove { config, names } => remove(&config, &names),
        Command::Outdated { config, json } => outdated(&config, json).await,
        Command::Validate { path } => validate(&path),
        Command::Publish {
            registry,
            plugin_type,
            description,
            name,
            version,
            artifacts,
        } => {
            let version = parse_version(&version)?;
            let plugin_type = plugin_type
                .as_deref()
                .map(|t| {
                    PluginType::parse(t)
                        .ok_or_else(|| Error::config(format!("--type {t}: expected task or hook")))
                })
                .transpose()?;
            crate::platform::check_plugin_name(&name)?;
            let args = artifacts
                .iter()
                .map(|a| crate::publish::parse_artifact_arg(a, &name))
                .collect::<Result<Vec<_>>>()?;
            let (transport, key, root) = registry_ctx(&registry)?;
            let p = crate::publish::Publisher {
                transport: &transport,
                root: root.clone(),
                key: &key,
                resign: registry.resign,
            };
            p.publish(&name, &version, &args, plugin_type, description.as_deref())
                .await?;
            ui::summary(&format!(
                "published {name} {version} ({} artifact(s)) to {} and signed its index",
                args.len(),
                crate::redact::url_for_display(&root)
            ));
            Ok(())
        }
        Command::Yank {
            registry,
            name,
            version,
            undo,
        } => {
            let version = parse_version(&version)?;
            let (transport, key, root) = registry_ctx(&registry)?;
            let p = crate::publish::Publisher {
                transport: &transport,
                root: root.clone(),
                key: &key,
                resign: registry.resign,
            };
            p.yank(&name, &version, !undo).await?;
            ui::summary(&format!(
                "{} {name} {version} in {}",
                if undo { "un-yanked" } else { "yanked" },
                crate::redact::url_for_display(&root)
            ));
            Ok(())
        }
        Command::Keygen {
            output,
            password_env,
            force,
        } => {
            let password = password_env.as_deref().map(read_password_env).transpose()?;
            let (key, pubf, pk) = crate::signing::keygen(&output, password, force)?;
            ui::note(&format!("pin this key in optimus.yaml under the registry provider:\n  public_keys: [\"{pk}\"]"));
            ui::summary(&format!("wrote {} and {}", key.display(), pubf.display()));
            Ok(())
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "optimus",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    }
}

fn parse_version(v: &str) -> Result<semver::Version> {
    semver::Version::parse(v.trim_start_matches('v'))
        .map_err(|e| Error::config(format!("bad version {v:?}: {e}")))
}

fn read_password_env(var: &str) -> Result<String> {
    std::env::var(var)
        .map_err(|_| Error::config(format!("--password-env {var}: the variable is not set")))
}

fn platform_arg(p: Option<&str>) -> Result<Platform> {
    p.map(Platform::parse)
        .transpose()
        .map(|p| p.unwrap_or_else(Platform::host))
}

fn registry_ctx(r: &RegistryArgs) -> Result<(Transport, crate::signing::SigningKey, String)> {
    let password = r
        .password_env
        .as_deref()
        .map(read_password_env)
        .transpose()?;
    let key = crate::signing::SigningKey::load(&r.secret_key, password)?;
    let root = crate::publish::registry_root(&r.registry);
    Ok((Transport::new(false)?, key, root))
}

/// What every config-driven command needs.
struct Ctx {
    manifest: Manifest,
    fetcher: Fetcher,
}

impl Ctx {
    fn new(c: &ConfigArg, offline: bool) -> Result<Ctx> {
        let manifest = config::load(&c.config)?;
        let fetcher = Fetcher {
            transport: Arc::new(Transport::new(offline)?),
            cache: Cache::from_env(),
            max_size: manifest.limits.max_unpacked_size,
        };
        Ok(Ctx { manifest, fetcher })
    }

    /// Brings the lock up to date (writing it if it changed) and returns it.
    async fn lock_for(
        &self,
        platforms: &[Platform],
        refresh: &BTreeSet<String>,
        locked: bool,
        jobs: usize,
    ) -> Result<Lockfile> {
        let path = self.manifest.lock_path();
        let old = Lockfile::read(&path)?;
        let resolver = Resolver {
            manifest: &self.manifest,
            fetcher: &self.fetcher,
            jobs,
        };
        let r = resolver
            .resolve(old.as_ref(), platforms, refresh, locked)
            .await?;
        if !locked && r.lock.write(&path)? {
            for n in &r.resolved {
                ui::note(&format!("locked {n}"));
            }
            for n in &r.dropped {
                ui::note(&format!("dropped {n} from the lock (no longer declared)"));
            }
        }
        Ok(r.lock)
    }

    async fn install(
        &self,
        lock: &Lockfile,
        platform: &Platform,
        yaml_only: bool,
        jobs: usize,
    ) -> Result<install::Outcome> {
        let installer = Installer {
            manifest: &self.manifest,
            fetcher: &self.fetcher,
            options: Options {
                platform: platform.clone(),
                yaml_only,
                jobs,
            },
        };
        installer.install(lock).await
    }
}

fn summary(out: &install::Outcome, m: &Manifest) -> String {
    let dir = plugin_dir_display(&m.plugin_dir);
    if out.installed.is_empty() && out.removed.is_empty() {
        return format!(
            "nothing to do: {} plugin(s) up to date in {dir} (no artifact fetched, nothing re-hashed)",
            out.unchanged
        );
    }
    let mut parts = Vec::new();
    if !out.installed.is_empty() {
        parts.push(format!(
            "installed {} ({})",
            out.installed.len(),
            out.installed.join(", ")
        ));
    }
    if out.unchanged > 0 {
        parts.push(format!("{} up to date", out.unchanged));
    }
    if !out.removed.is_empty() {
        parts.push(format!(
            "removed {} ({})",
            out.removed.len(),
            out.removed.join(", ")
        ));
    }
    format!("{} in {dir}", parts.join(", "))
}

fn diff_versions(old: Option<&Lockfile>, new: &Lockfile) -> String {
    let mut changes = Vec::new();
    for p in &new.plugins {
        let before = old
            .and_then(|o| o.get(&p.name))
            .map(|o| o.version_text().to_string());
        match before {
            Some(b) if b != p.version_text() => {
                changes.push(format!("{} {b} -> {}", p.name, p.version_text()))
            }
            None => changes.push(format!("{} {} (new)", p.name, p.version_text())),
            _ => {}
        }
    }
    if changes.is_empty() {
        "no newer versions".to_string()
    } else {
        format!("updated {}", changes.join(", "))
    }
}

fn list(c: &ConfigArg, json: bool, platform: Option<&str>) -> Result<()> {
    let manifest = config::load(&c.config)?;
    let platform = platform_arg(platform)?;
    let lock = Lockfile::read(&manifest.lock_path())?.unwrap_or_default();
    let receipts = Receipts::read(&manifest.plugin_dir)?;
    let managed = crate::status::managed(&manifest.plugin_dir, &lock, &receipts, &platform, true);
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut dirs = vec![manifest.plugin_dir.clone()];
    dirs.extend(crate::status::discovery_dirs(&cwd));
    let mut seen = Vec::new();
    dirs.retain(|d| {
        let n = crate::fsutil::normalize(d);
        let keep = !seen.contains(&n);
        seen.push(n);
        keep
    });
    let managed_paths: Vec<_> = managed.iter().map(|m| m.path.clone()).collect();
    let mut discovered = crate::status::discover(&dirs, &platform, &managed_paths);
    // Files in the plugin dir that look like plugins but were not installed by us.
    let mut all = managed.clone();
    for d in discovered.iter_mut() {
        if d.dir == manifest.plugin_dir && !d.managed {
            all.push(crate::status::Managed {
                name: d.name.clone(),
                version: "-".into(),
                plugin_type: None,
                kind: d.kind.clone(),
                platform: if d.kind == "yaml" {
                    "any".into()
                } else {
                    platform.to_string()
                },
                provider: None,
                status: "unmanaged".into(),
                file: d
                    .path
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                path: d.path.clone(),
                detail: Some("not installed by optimus".into()),
            });
        }
    }
    if json {
        let v = serde_json::json!({
            "plugin_dir": manifest.plugin_dir,
            "platform": platform.to_string(),
            "plugins": all,
            "discovered": discovered,
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("json"));
        return Ok(());
    }
    if all.is_empty() {
        ui::note(&format!("no plugins in {}", manifest.plugin_dir.display()));
    } else {
        println!(
            "{:<20} {:<10} {:<6} {:<7} {:<13} {:<12} STATUS",
            "NAME", "VERSION", "TYPE", "KIND", "PLATFORM", "PROVIDER"
        );
        for m in &all {
            println!(
                "{:<20} {:<10} {:<6} {:<7} {:<13} {:<12} {}",
                m.name,
                m.version,
                m.plugin_type.as_deref().unwrap_or("-"),
                m.kind,
                m.platform,
                m.provider.as_deref().unwrap_or("-"),
                m.status
            );
        }
    }
    if !discovered.is_empty() {
        println!("\nOptimus would discover (first directory wins; yaml beats binary):");
        for d in &discovered {
            let mark = if d.used {
                "*".to_string()
            } else {
                format!(
                    "  (shadowed by {})",
                    d.shadowed_by
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default()
                )
            };
            let mark = if d.used { format!("{mark} used") } else { mark };
            println!(
                "  {:<20} {:<7} {}{}",
                d.name,
                d.kind,
                d.path.display(),
                if d.used { format!("  {mark}") } else { mark }
            );
        }
    }
    let bad = all
        .iter()
        .filter(|m| m.status != "ok" && m.status != "unmanaged")
        .count();
    ui::summary(&format!(
        "{} managed plugin(s) in {}{}; {} discovered",
        managed.len(),
        plugin_dir_display(&manifest.plugin_dir),
        if bad > 0 {
            format!(", {bad} need attention")
        } else {
            String::new()
        },
        discovered.iter().filter(|d| d.used).count()
    ));
    Ok(())
}

fn verify(c: &ConfigArg, platform: Option<&str>) -> Result<()> {
    let manifest = config::load(&c.config)?;
    let platform = platform_arg(platform)?;
    let lock = Lockfile::read(&manifest.lock_path())?.ok_or_else(|| {
        Error::runtime(format!(
            "{}: no lockfile to verify against; run `optimus plugin lock`",
            manifest.lock_path().display()
        ))
    })?;
    let dir = &manifest.plugin_dir;
    let receipts = Receipts::read(dir)?;
    let mut problems = Vec::new();
    let mut checked = 0;
    let plat = platform.to_string();
    for r in receipts
        .files
        .iter()
        .filter(|r| r.platform == plat || r.platform == "any")
    {
        let path = dir.join(&r.file);
        checked += 1;
        match crate::fsutil::sha256_file(&path) {
            Err(_) => problems.push(format!(
                "missing:  {} ({} {})",
                path.display(),
                r.plugin,
                r.version
            )),
            Ok((sha, _)) if sha != r.sha256 => problems.push(format!(
                "modified: {} (expected sha256 {}, found {sha})",
                path.display(),
                r.sha256
            )),
            Ok(_) => {}
        }
        if r.source == "host" {
            continue;
        }
        match lock.get(&r.source) {
            None => problems.push(format!(
                "extra:    {} ({} is installed but not in the lock)",
                path.display(),
                r.source
            )),
            Some(l) => match l.artifact_for(&platform) {
                Some(a) if a.sha256 == r.artifact_sha256 => {}
                _ => problems.push(format!(
                    "outdated: {} (installed {} {}, the lock says {})",
                    path.display(),
                    r.plugin,
                    r.version,
                    l.version_text()
                )),
            },
        }
    }
    for l in &lock.plugins {
        if l.artifact_for(&platform).is_some() {
            let has = receipts
                .files
                .iter()
                .any(|r| r.source == l.name && (r.platform == plat || r.platform == "any"));
            if !has {
                problems.push(format!(
                    "missing:  {} {} (locked, not installed)",
                    l.name,
                    l.version_text()
                ));
            }
        }
    }
    if problems.is_empty() {
        ui::summary(&format!(
            "verified {checked} file(s) in {}: all match the lock and receipts",
            plugin_dir_display(dir)
        ));
        Ok(())
    } else {
        for p in &problems {
            println!("{p}");
        }
        Err(Error::runtime(format!(
            "verify found {} problem(s) in {}",
            problems.len(),
            dir.display()
        )))
    }
}

fn remove(c: &ConfigArg, names: &[String]) -> Result<()> {
    let manifest = config::load(&c.config)?;
    for n in names {
        crate::platform::check_plugin_name(n)?;
    }
    let dir = &manifest.plugin_dir;
    let _guard = install::lock_dir(dir)?;
    let lock_path = manifest.lock_path();
    let mut lock = Lockfile::read(&lock_path)?.unwrap_or_default();
    let mut receipts = Receipts::read(dir)?;
    let mut removed = Vec::new();
    for n in names {
        let files: Vec<_> = receipts
            .files
            .iter()
            .filter(|r| &r.source == n || &r.plugin == n)
            .cloned()
            .collect();
        let in_lock = lock.get(n).is_some();
        if files.is_empty() && !in_lock {
            return Err(Error::config(format!(
                "{n} is neither installed nor locked"
            )));
        }
        for r in &files {
            let path = dir.join(&r.file);
            if path.exists() {
                std::fs::remove_file(&path).map_err(|e| Error::path("removing", &path, e))?;
            }
            receipts.files.retain(|x| x.file != r.file);
        }
        lock.plugins.retain(|p| &p.name != n);
        removed.push(n.clone());
        if manifest.declaration(n).is_some() {
            ui::warn(&format!(
                "{n} is still declared in {}: delete its entry there, or the next install brings it back",
                manifest.path.display()
            ));
        }
    }
    receipts.write(dir)?;
    lock.write(&lock_path)?;
    ui::summary(&format!(
        "removed {} ({})",
        removed.len(),
        removed.join(", ")
    ));
    Ok(())
}

async fn outdated(c: &ConfigArg, json: bool) -> Result<()> {
    let ctx = Ctx::new(c, false)?;
    let lock = Lockfile::read(&ctx.manifest.lock_path())?.unwrap_or_default();
    let mut rows = Vec::new();
    for d in &ctx.manifest.plugins {
        let Source::Registry {
            provider,
            requirement,
            ..
        } = &d.source
        else {
            continue;
        };
        let provider = ctx.manifest.provider(provider)?;
        let client = RegistryClient {
            transport: &ctx.fetcher.transport,
            cache: &ctx.fetcher.cache,
            provider,
        };
        let index = client
            .fetch_index(&d.name)
            .await
            .map_err(|e| e.for_plugin(&d.name))?;
        let platforms = {
            let p = lock.platforms();
            if p.is_empty() {
                vec![Platform::host()]
            } else {
                p
            }
        };
        let wanted = crate::resolve::select(&index, requirement, &platforms, &d.name)
            .ok()
            .map(|(v, _)| v.version.to_string());
        let latest = index
            .versions
            .iter()
            .filter(|v| !v.yanked && v.version.pre.is_empty())
            .map(|v| &v.version)
            .max()
            .map(|v| v.to_string());
        let locked = lock.get(&d.name).map(|l| l.version_text().to_string());
        let is_outdated = locked.as_ref() != latest.as_ref() && latest.is_some();
        rows.push(serde_json::json!({
            "name": d.name, "requirement": requirement.to_string(), "locked": locked,
            "wanted": wanted, "latest": latest, "outdated": is_outdated,
        }));
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "plugins": rows })).expect("json")
        );
        return Ok(());
    }
    let n = rows.iter().filter(|r| r["outdated"] == true).count();
    if !rows.is_empty() {
        println!(
            "{:<20} {:<12} {:<10} {:<10} LATEST",
            "NAME", "REQUIREMENT", "LOCKED", "WANTED"
        );
        for r in &rows {
            let s = |k: &str| r[k].as_str().unwrap_or("-").to_string();
            println!(
                "{:<20} {:<12} {:<10} {:<10} {}",
                s("name"),
                s("requirement"),
                s("locked"),
                s("wanted"),
                s("latest")
            );
        }
    }
    ui::summary(&if n == 0 {
        format!(
            "all {} registry plugin(s) are on their latest version",
            rows.len()
        )
    } else {
        format!("{n} of {} registry plugin(s) have newer versions: `optimus plugin update` takes the newest matching", rows.len())
    });
    Ok(())
}

fn validate(path: &std::path::Path) -> Result<()> {
    let files: Vec<std::path::PathBuf> = if path.is_dir() {
        let mut v = Vec::new();
        collect_yaml_plugins(path, &mut v, 0)?;
        v.sort();
        if v.is_empty() {
            return Err(Error::config(format!(
                "{}: no yaml plugins (optimus-plugin-*.yaml) found",
                path.display()
            )));
        }
        v
    } else if path.is_file() {
        vec![path.to_path_buf()]
    } else {
        return Err(Error::config(format!(
            "{}: no such file or directory",
            path.display()
        )));
    };
    let mut bad = 0;
    let mut problems_total = 0;
    for f in &files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                println!("{}: cannot read: {e}", f.display());
                bad += 1;
                problems_total += 1;
                continue;
            }
        };
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let problems = crate::yaml_plugin::validate_text(&text, &name);
        if !problems.is_empty() {
            bad += 1;
            problems_total += problems.len();
            println!(
                "{}",
                crate::yaml_plugin::format_problems(&f.display().to_string(), &problems)
            );
        } else {
            ui::debug(&format!("{}: ok", f.display()));
        }
    }
    if bad == 0 {
        ui::summary(&format!("{} yaml plugin(s) valid", files.len()));
        Ok(())
    } else {
        Err(Error::runtime(format!(
            "{problems_total} problem(s) in {bad} of {} yaml plugin(s)",
            files.len()
        )))
    }
}

fn collect_yaml_plugins(
    dir: &std::path::Path,
    out: &mut Vec<std::path::PathBuf>,
    depth: usize,
) -> Result<()> {
    if depth > 8 {
        return Ok(());
    }
    let rd = std::fs::read_dir(dir).map_err(|e| Error::path("reading", dir, e))?;
    for e in rd.flatten() {
        let p = e.path();
        let ft = e
            .file_type()
            .map_err(|err| Error::path("reading", &p, err))?;
        if ft.is_dir() {
            collect_yaml_plugins(&p, out, depth + 1)?;
        } else if ft.is_file() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with("optimus-plugin-") && (n.ends_with(".yaml") || n.ends_with(".yml")) {
                out.push(p);
            }
        }
    }
    Ok(())
}

async fn sync_host(c: &ConfigArg, host: &str, offline: bool) -> Result<()> {
    if offline {
        return Err(Error::config("--host needs the network; drop --offline"));
    }
    // The plugin dir comes from the config when there is one, else `.plugins` here.
    let dir = match config::load(&c.config) {
        Ok(m) => m.plugin_dir,
        Err(_) if !c.config.exists() => std::env::var("OPTIMUS_PLUGIN_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| ".plugins".into()),
        Err(e) => return Err(e),
    };
    let dir = crate::fsutil::absolute(&dir);
    let out = crate::sync::sync_from_host(host, &dir).await?;
    ui::summary(&out);
    Ok(())
}
