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
use crate::resolve::{Resolution, Resolver};
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
            let platform = platform_arg(platform.as_deref())?;
            let ctx = Ctx::new(&config, offline)?;
            let _guard = ctx.exclusive()?;
            let (_, out) = ctx
                .resolve_and_install(&platform, &BTreeSet::new(), locked, false, jobs)
                .await?;
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
                let _guard = ctx.exclusive()?;
                let (_, out) = ctx
                    .resolve_and_install(&platform, &BTreeSet::new(), locked, true, jobs)
                    .await?;
                ui::summary(&summary(&out, &ctx.manifest));
                Ok(())
            }
        },
        Command::Lock {
            config,
            platform,
            jobs,
        } => {
            let mut platforms = platform
                .iter()
                .map(|p| Platform::parse(p))
                .collect::<Result<Vec<_>>>()?;
            let ctx = Ctx::new(&config, false)?;
            if platforms.is_empty() {
                platforms.push(Platform::host());
            }
            let _guard = install::lock_project(&ctx.manifest.dir)?;
            let lock = ctx
                .lock_for(&platforms, &BTreeSet::new(), false, jobs)
                .await?
                .lock;
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
                show_path(&ctx.manifest.lock_path())
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
            let _guard = ctx.exclusive()?;
            if no_install {
                let r = ctx
                    .lock_for(std::slice::from_ref(&platform), &refresh, false, jobs)
                    .await?;
                let changes = diff_versions(r.previous.as_ref(), &r.lock);
                ui::summary(&format!("updated the lock: {changes}"));
                return Ok(());
            }
            let (r, out) = ctx
                .resolve_and_install(&platform, &refresh, false, false, jobs)
                .await?;
            let changes = diff_versions(r.previous.as_ref(), &r.lock);
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
            indexes: Default::default(),
        };
        Ok(Ctx { manifest, fetcher })
    }

    /// Serialises commands that read-modify-write the lockfile and the plugin directory, from
    /// reading the lock to writing the receipts (a concurrent `remove` cannot slip in between).
    fn exclusive(&self) -> Result<(install::ProjectLock, install::DirLock)> {
        let project = install::lock_project(&self.manifest.dir)?;
        Ok((project, install::lock_dir(&self.manifest.plugin_dir)?))
    }

    /// Brings the lock up to date with the declarations, without writing it.
    async fn resolve_lock(
        &self,
        platforms: &[Platform],
        refresh: &BTreeSet<String>,
        locked: bool,
        jobs: usize,
    ) -> Result<Resolution> {
        let old = Lockfile::read(&self.manifest.lock_path())?;
        let resolver = Resolver {
            manifest: &self.manifest,
            fetcher: &self.fetcher,
            jobs,
        };
        resolver.resolve(old, platforms, refresh, locked).await
    }

    /// Writes the resolved lock if it changed (never under `--locked`).
    fn write_lock(&self, r: &Resolution, locked: bool) -> Result<()> {
        if !locked && r.changed {
            r.lock.write(&self.manifest.lock_path())?;
            for n in &r.resolved {
                ui::note(&format!("locked {n}"));
            }
            for n in &r.dropped {
                ui::note(&format!("dropped {n} from the lock (no longer declared)"));
            }
        }
        Ok(())
    }

    /// Resolves and writes the lock (the `lock` command).
    async fn lock_for(
        &self,
        platforms: &[Platform],
        refresh: &BTreeSet<String>,
        locked: bool,
        jobs: usize,
    ) -> Result<Resolution> {
        let r = self.resolve_lock(platforms, refresh, locked, jobs).await?;
        self.write_lock(&r, locked)?;
        Ok(r)
    }

    /// Resolves, installs, and only then writes the lock: a failed install leaves both the
    /// plugin directory and `optimus.lock` as they were.
    async fn resolve_and_install(
        &self,
        platform: &Platform,
        refresh: &BTreeSet<String>,
        locked: bool,
        yaml_only: bool,
        jobs: usize,
    ) -> Result<(Resolution, install::Outcome)> {
        let r = self
            .resolve_lock(std::slice::from_ref(platform), refresh, locked, jobs)
            .await?;
        let out = self.install(&r.lock, platform, yaml_only, jobs).await?;
        self.write_lock(&r, locked)?;
        Ok((r, out))
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

/// Writes one line of command output to stdout. A closed pipe (`optimus plugin list | head`)
/// ends the program quietly instead of panicking.
fn out(line: &str) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let line = crate::redact::scrub(line);
    if let Err(e) = writeln!(o, "{line}").and_then(|_| o.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

/// A path as the user would type it: relative to the working directory when inside it.
fn show_path(p: &std::path::Path) -> String {
    plugin_dir_display(p)
}

/// Prints a table with columns as wide as their widest cell.
fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut width: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let n = cells.len();
        let mut out_line = String::new();
        for (i, c) in cells.into_iter().enumerate() {
            if i + 1 == n {
                out_line.push_str(&c);
            } else {
                out_line.push_str(&format!("{c:<w$}  ", w = width[i]));
            }
        }
        out(out_line.trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for r in rows {
        line(r.clone());
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
    let discovered = crate::status::discover(&dirs, &platform, &managed_paths);
    // Files in the plugin dir that look like plugins but were not installed by us.
    let mut all = managed.clone();
    for d in &discovered {
        if d.dir == manifest.plugin_dir && !d.managed {
            all.push(crate::status::Managed {
                name: d.name.clone(),
                version: None,
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
                detail: Some(
                    "not installed by optimus: it is never changed or removed by this tool".into(),
                ),
            });
        }
    }
    all.sort_by(|a, b| a.name.cmp(&b.name).then(a.file.cmp(&b.file)));
    if json {
        // The schema is documented in docs/cli.md; bump schema_version on breaking changes.
        let v = serde_json::json!({
            "schema_version": 1,
            "config": manifest.path,
            "plugin_dir": manifest.plugin_dir,
            "platform": platform.to_string(),
            "plugins": all,
            "discovered": discovered,
        });
        out(&serde_json::to_string_pretty(&v).expect("json"));
        return Ok(());
    }
    if all.is_empty() {
        ui::note(&format!(
            "no plugins installed in {}: declare some in {} and run `optimus plugin install`",
            show_path(&manifest.plugin_dir),
            show_path(&manifest.path)
        ));
    } else {
        let rows: Vec<Vec<String>> = all
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
        for m in all.iter().filter(|m| m.status != "ok") {
            if let Some(d) = &m.detail {
                if m.status != "unmanaged" || ui::verbose() {
                    ui::note(&format!("{} ({}): {d}", m.name, m.status));
                }
            }
        }
    }
    if !discovered.is_empty() {
        out("");
        out("Optimus would load (first directory wins; a yaml plugin beats a binary):");
        let rows: Vec<Vec<String>> = discovered
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
                        show_path(&d.path)
                    } else {
                        format!("{} (shadowed)", show_path(&d.path))
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
    let bad = all
        .iter()
        .filter(|m| m.status != "ok" && m.status != "unmanaged")
        .count();
    let used = discovered.iter().filter(|d| d.used).count();
    let shadowed = discovered.len() - used;
    ui::summary(&format!(
        "{} plugin(s) in {}{}; Optimus would load {used}{}",
        all.len(),
        plugin_dir_display(&manifest.plugin_dir),
        if bad > 0 {
            format!(
                ", {bad} {} attention (`optimus plugin install` fixes {})",
                if bad == 1 { "needs" } else { "need" },
                if bad == 1 { "it" } else { "them" }
            )
        } else if all.is_empty() {
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

fn verify(c: &ConfigArg, platform: Option<&str>) -> Result<()> {
    let manifest = config::load(&c.config)?;
    let platform = platform_arg(platform)?;
    let lock = Lockfile::read(&manifest.lock_path())?.ok_or_else(|| {
        Error::runtime(format!(
            "{}: no lockfile to verify against; run `optimus plugin install` (or `lock`) first",
            show_path(&manifest.lock_path())
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
        let shown = show_path(&path);
        checked += 1;
        match crate::fsutil::sha256_file(&path) {
            Err(_) => problems.push(format!(
                "missing   {shown} ({} {} was installed here)",
                r.plugin, r.version
            )),
            Ok((sha, _)) if sha != r.sha256 => problems.push(format!(
                "modified  {shown} (sha256 {sha}, installed as {})",
                r.sha256
            )),
            Ok(_) => {}
        }
        if r.source == "host" {
            continue;
        }
        match lock.get(&r.source) {
            None => problems.push(format!(
                "extra     {shown} ({} is installed but not in the lock)",
                r.source
            )),
            Some(l) => match l.artifact_for(&platform) {
                Some(a) if a.sha256 == r.artifact_sha256 => {}
                _ => problems.push(format!(
                    "outdated  {shown} (installed {} {}, the lock says {})",
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
                    "missing   {} {} (locked for {plat}, not installed)",
                    l.name,
                    l.version_text()
                ));
            }
        }
    }
    // Plugin files nobody installed: not a failure (they are the user's), but worth a word.
    let managed: Vec<_> = receipts.files.iter().map(|r| dir.join(&r.file)).collect();
    for d in crate::status::discover(std::slice::from_ref(dir), &platform, &managed) {
        if !d.managed {
            ui::warn(&format!(
                "{} was not installed by optimus (not verified)",
                show_path(&d.path)
            ));
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
            out(p);
        }
        Err(Error::runtime(format!(
            "verify found {} problem(s) in {}: `optimus plugin install` restores the locked files",
            problems.len(),
            show_path(dir)
        )))
    }
}

fn remove(c: &ConfigArg, names: &[String]) -> Result<()> {
    let manifest = config::load(&c.config)?;
    for n in names {
        crate::platform::check_plugin_name(n)?;
    }
    let dir = &manifest.plugin_dir;
    let _project = install::lock_project(&manifest.dir)?;
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
            let by_hand = [
                crate::platform::yaml_file_name(n),
                Platform::host().binary_file_name(n),
            ]
            .into_iter()
            .map(|f| dir.join(f))
            .find(|p| p.is_file());
            return Err(Error::config(match by_hand {
                Some(p) => format!(
                    "{n} is neither installed nor locked by optimus: {} was put there by hand, so it is left alone (delete it yourself if you want it gone)",
                    show_path(&p)
                ),
                None => format!("{n} is neither installed nor locked"),
            }));
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
        "removed {} from {} and {}",
        removed.join(", "),
        show_path(dir),
        show_path(&lock_path)
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
        let d_provider = provider.clone();
        let provider = ctx.manifest.provider(provider)?;
        let client = RegistryClient::new(&ctx.fetcher, provider);
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
        let update_available = wanted.is_some() && locked != wanted;
        let is_outdated = latest.is_some() && locked != latest;
        rows.push(serde_json::json!({
            "name": d.name,
            "provider": d_provider,
            "requirement": requirement.to_string(),
            "locked": locked,
            "wanted": wanted,
            "latest": latest,
            "update_available": update_available,
            "outdated": is_outdated,
        }));
    }
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
        .filter(|r| r["outdated"] == true || ui::verbose())
        .map(|r| {
            vec![
                s(r, "name"),
                s(r, "requirement"),
                s(r, "locked"),
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
    ui::summary(&if updatable.is_empty() && newer_major == 0 {
        format!("all {total} registry plugin(s) are on their latest version")
    } else {
        let mut parts = Vec::new();
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
                show_path(&ctx.manifest.path)
            ));
        }
        if unlocked > 0 {
            parts.push(format!("{unlocked} not locked yet"));
        }
        format!("{total} registry plugin(s): {}", parts.join("; "))
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
                out(&format!("{}: cannot read: {e}", f.display()));
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
            out(&crate::yaml_plugin::format_problems(
                &f.display().to_string(),
                &problems,
            ));
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
        Err(_) if !c.config.exists() => {
            config::plugin_dir_override().unwrap_or_else(|| ".plugins".into())
        }
        Err(e) => return Err(e),
    };
    let dir = crate::fsutil::absolute(&dir);
    let out = crate::sync::sync_from_host(host, &dir)
        .await
        .map_err(|e| match e.exit_code() {
            1 => Error::runtime(format!(
                "{e}\nnothing was changed in {}; check that {} is an Optimus server (it serves its yaml plugins at /plugins)",
                show_path(&dir),
                crate::redact::url_for_display(host)
            )),
            _ => e,
        })?;
    ui::summary(&out);
    Ok(())
}
