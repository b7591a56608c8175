//! Issue 12, items 2 and 3: `cache dir|size|prune|clean`, link modes and their fallbacks, and
//! `install --frozen`. Real registries served over the loopback HTTP server, real processes,
//! a real second file system (tmpfs) for the cross-device fallback.

use crate::common::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

fn index_requests(server: &HttpServer) -> Vec<String> {
    server
        .log()
        .iter()
        .map(|r| r.path.clone())
        .filter(|p| !p.contains("/artifacts/"))
        .collect()
}

/// The sha256 names of the files under `<cache>/<area>/sha256/`.
fn cached(sb: &Sandbox, area: &str) -> Vec<String> {
    let mut v: Vec<String> = files_under(&sb.p(&format!("cache/{area}")))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn sha_in_lock(sb: &Sandbox, lock: &str, plugin: &str) -> String {
    let text = sb.read(lock);
    let lock: toml::Table = text.parse().unwrap();
    let p = lock["plugin"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"].as_str() == Some(plugin))
        .unwrap();
    p["artifact"][0]["sha256"].as_str().unwrap().to_string()
}

fn binary(sb: &Sandbox, dir: &str, name: &str) -> PathBuf {
    sb.p(&format!("{dir}/.plugins/optimus-{name}_{PLAT}"))
}

#[cfg(unix)]
fn nlink(p: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).unwrap().nlink()
}

fn set_mtime(p: &Path, t: SystemTime) {
    std::fs::File::open(p).unwrap().set_modified(t).unwrap();
}

// ---------------------------------------------------------------------------------------------
// --frozen

#[test]
fn frozen_install_reads_no_index_and_still_downloads_artifacts() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    let cfg = served_project(&sb, "one", &server, &reg, &["alpha", "neo"]);
    sb.install(&cfg).ok();
    // A clone of the project on a machine with an empty cache (a CI runner).
    let two = served_project(&sb, "two", &server, &reg, &["alpha", "neo"]);
    std::fs::copy(sb.p("one/optimus.lock"), sb.p("two/optimus.lock")).unwrap();
    let fresh = sb.p("cache-runner").display().to_string();
    server.clear_log();
    sb.on_linux_with(
        "install",
        &two,
        &["--frozen"],
        &[("OPTIMUS_CACHE_DIR", &fresh)],
    )
    .expect(0, &["installed 2"]);
    assert_eq!(
        index_requests(&server),
        Vec::<String>::new(),
        "--frozen read an index"
    );
    assert_eq!(artifact_requests(&server), 2, "{:?}", server.log());
    sb.on_linux("verify", &two).ok();
    // The same with --locked checks the lock against the signed index: the index is read
    // (what --frozen gives up).
    let three = served_project(&sb, "three", &server, &reg, &["alpha", "neo"]);
    std::fs::copy(sb.p("one/optimus.lock"), sb.p("three/optimus.lock")).unwrap();
    let fresh = sb.p("cache-runner-2").display().to_string();
    server.clear_log();
    sb.on_linux_with(
        "install",
        &three,
        &["--locked"],
        &[("OPTIMUS_CACHE_DIR", &fresh)],
    )
    .ok();
    assert!(!index_requests(&server).is_empty());
}

#[test]
fn frozen_fails_naming_the_plugin_the_lock_lacks_and_changes_nothing() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    let cfg = served_project(&sb, "p", &server, &reg, &["alpha"]);
    sb.install(&cfg).ok();
    let lock_before = sb.read("p/optimus.lock");
    // A declaration the lock does not hold.
    served_project(&sb, "p", &server, &reg, &["alpha", "beta"]);
    server.clear_log();
    sb.on_linux_with("install", &cfg, &["--frozen"], &[])
        .expect(2, &["--frozen", "beta", "not in the lock"]);
    // A platform the lock does not hold.
    served_project(&sb, "p", &server, &reg, &["alpha"]);
    sb.run(&[
        "plugin",
        "install",
        "-c",
        &cfg,
        "--frozen",
        "--platform",
        "darwin_arm64",
    ])
    .expect(2, &["alpha", "no artifact for darwin_arm64"]);
    // No lock at all.
    let other = served_project(&sb, "q", &server, &reg, &["gamma"]);
    sb.on_linux_with("install", &other, &["--frozen"], &[])
        .expect(2, &["gamma"]);
    assert!(!sb.p("q/optimus.lock").exists() && !sb.p("q/.plugins/.receipts.toml").exists());
    assert_eq!(server.log().len(), 0, "{:?}", server.log());
    assert_eq!(sb.read("p/optimus.lock"), lock_before);
    assert!(!binary(&sb, "p", "beta").exists());
}

#[test]
fn frozen_sync_installs_yaml_from_the_lock_and_update_refuses_frozen() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    let cfg = served_project(&sb, "p", &server, &reg, &["neo"]);
    sb.run(&["plugin", "lock", "-c", &cfg]).ok();
    server.clear_log();
    sb.run(&["plugin", "sync", "-c", &cfg, "--frozen"]).ok();
    assert!(sb.p("p/.plugins/optimus-plugin-neo.yaml").exists());
    assert_eq!(index_requests(&server), Vec::<String>::new());
    sb.run(&["plugin", "update", "-c", &cfg, "--frozen"])
        .expect(2, &["--frozen"]);
    sb.run(&[
        "plugin",
        "sync",
        "-c",
        &cfg,
        "--frozen",
        "--host",
        &server.url(""),
    ])
    .expect(2, &["--frozen"]);
}

// ---------------------------------------------------------------------------------------------
// Link modes.

#[cfg(unix)]
#[test]
fn link_mode_comes_from_the_flag_then_the_environment_then_the_config() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    let cfg = served_project(&sb, "one", &server, &reg, &["alpha"]);
    sb.install(&cfg).ok();
    let warm = |dir: &str, args: &[&str], env: &[(&str, &str)], config_mode: Option<&str>| {
        let cfg = served_project(&sb, dir, &server, &reg, &["alpha"]);
        if let Some(m) = config_mode {
            let text =
                sb.read(&cfg)
                    .replacen("plugins:\n", &format!("plugins:\n  link_mode: {m}\n"), 1);
            sb.write(&cfg, text);
        }
        std::fs::copy(
            sb.p("one/optimus.lock"),
            sb.p(&format!("{dir}/optimus.lock")),
        )
        .unwrap();
        sb.on_linux_with("install", &cfg, args, env)
            .expect(0, &["installed 1"]);
        assert_eq!(
            std::fs::read_to_string(binary(&sb, dir, "alpha")).unwrap(),
            script("alpha", "1.0.0", PLAT)
        );
        nlink(&binary(&sb, dir, "alpha"))
    };
    // Default: hard-linked from the cache.
    assert!(warm("d", &[], &[], None) >= 2);
    assert_eq!(warm("c", &[], &[], Some("copy")), 1, "config copy");
    assert_eq!(
        warm("e", &[], &[("OPTIMUS_LINK_MODE", "copy")], Some("hardlink")),
        1,
        "env over config"
    );
    assert!(
        warm(
            "f",
            &["--link-mode", "hardlink"],
            &[("OPTIMUS_LINK_MODE", "copy")],
            Some("copy")
        ) >= 2,
        "flag over env"
    );
    assert_eq!(warm("g", &["--link-mode", "copy"], &[], None), 1, "flag");
}

#[test]
fn a_bad_link_mode_is_a_configuration_error_naming_where_it_came_from() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    let cfg = served_project(&sb, "p", &server, &reg, &["alpha"]);
    sb.on_linux_with("install", &cfg, &["--link-mode", "symlink"], &[])
        .expect(2, &["--link-mode", "symlink"]);
    sb.on_linux_with("install", &cfg, &[], &[("OPTIMUS_LINK_MODE", "cp")])
        .expect(2, &["OPTIMUS_LINK_MODE", "hardlink, copy or reflink"]);
    let text = sb
        .read(&cfg)
        .replacen("plugins:\n", "plugins:\n  link_mode: hard-link\n", 1);
    sb.write(&cfg, text);
    sb.on_linux_with("install", &cfg, &[], &[])
        .expect(2, &["plugins.link_mode", "hard-link"]);
    assert!(!sb.p("p/optimus.lock").exists() && !sb.p("p/.plugins").exists());
}

#[cfg(unix)]
#[test]
fn reflink_places_the_bytes_and_falls_back_to_a_copy_with_one_warning() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    let cfg = served_project(&sb, "one", &server, &reg, &["alpha", "beta", "gamma"]);
    sb.install(&cfg).ok();
    let two = served_project(&sb, "two", &server, &reg, &["alpha", "beta", "gamma"]);
    std::fs::copy(sb.p("one/optimus.lock"), sb.p("two/optimus.lock")).unwrap();
    let r = sb
        .on_linux_with("install", &two, &["--link-mode", "reflink"], &[])
        .ok();
    for n in ["alpha", "beta", "gamma"] {
        let f = binary(&sb, "two", n);
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            script(n, "1.0.0", PLAT)
        );
        // A clone or a copy: never the cache's own inode.
        assert_eq!(nlink(&f), 1, "{n}");
    }
    let warnings = r.stderr.matches("link mode reflink").count();
    let fs_type = std::process::Command::new("stat")
        .args(["-f", "-c", "%T"])
        .arg(sb.path())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    if ["ext2/ext3", "ext4", "tmpfs", "overlayfs"].contains(&fs_type.as_str()) {
        // No copy-on-write here: one warning for three files, naming the mode and why.
        assert_eq!(warnings, 1, "{fs_type}: {}", r.stderr);
        assert!(r.stderr.contains("copying instead"), "{}", r.stderr);
    } else {
        assert!(warnings <= 1, "{fs_type}: {}", r.stderr);
    }
}

/// A tmpfs mounted for the test's life (root only), unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64m", "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[cfg(unix)]
#[test]
fn hard_links_across_file_systems_fall_back_to_copies_with_one_warning() {
    let sb = Sandbox::new();
    let Some(_mnt) = Tmpfs::mount(&sb.p("other-volume")) else {
        missing(
            "cannot mount a tmpfs (needs root and mount(8)): the cross-device fallback is untested",
        );
        return;
    };
    let (reg, server) = served_registry(&sb);
    let cache = sb.p("other-volume/cache").display().to_string();
    let env = [("OPTIMUS_CACHE_DIR", cache.as_str())];
    let cfg = served_project(&sb, "one", &server, &reg, &["alpha", "beta", "gamma"]);
    // The cold install keeps its files in the cache (another volume): a copy, said once.
    let r = sb
        .on_linux_with("install", &cfg, &[], &env)
        .expect(0, &["different file systems"]);
    assert_eq!(
        r.stderr.matches("link mode hardlink").count(),
        1,
        "{}",
        r.stderr
    );
    assert_eq!(cached_in(&sb.p("other-volume/cache/files")), 3);
    // The warm install into another project copies from the cache, with one warning.
    let two = served_project(&sb, "two", &server, &reg, &["alpha", "beta", "gamma"]);
    std::fs::copy(sb.p("one/optimus.lock"), sb.p("two/optimus.lock")).unwrap();
    server.clear_log();
    let r = sb
        .on_linux_with("install", &two, &[], &env)
        .expect(0, &["installed 3"]);
    assert_eq!(server.log().len(), 0, "{:?}", server.log());
    assert_eq!(
        r.stderr.matches("link mode hardlink").count(),
        1,
        "{}",
        r.stderr
    );
    for n in ["alpha", "beta", "gamma"] {
        assert_eq!(nlink(&binary(&sb, "two", n)), 1);
    }
    sb.on_linux_with("verify", &two, &[], &env).ok();
    // Asked for copies, nothing to warn about.
    let three = served_project(&sb, "three", &server, &reg, &["alpha"]);
    std::fs::copy(sb.p("one/optimus.lock"), sb.p("three/optimus.lock")).unwrap();
    let r = sb
        .on_linux_with("install", &three, &["--link-mode", "copy"], &env)
        .ok();
    assert!(!r.stderr.contains("link mode"), "{}", r.stderr);
}

fn cached_in(dir: &Path) -> usize {
    files_under(dir).len()
}

// ---------------------------------------------------------------------------------------------
// cache dir, size, prune, clean.

#[test]
fn cache_dir_and_size_describe_the_cache() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    let r = sb.plugin(&["cache", "dir"]).ok();
    assert_eq!(r.stdout.trim(), sb.p("cache").display().to_string());
    let cfg = served_project(&sb, "p", &server, &reg, &["alpha", "neo"]);
    sb.install(&cfg).ok();
    let r = sb.plugin(&["cache", "size"]).ok();
    for area in [
        "artifacts",
        "files",
        "unpacked",
        "index",
        "memo",
        "projects",
        "tmp",
    ] {
        assert!(
            r.stdout.lines().any(|l| l.starts_with(area)),
            "{area}: {}",
            r.stdout
        );
    }
    let artifacts = r
        .stdout
        .lines()
        .find(|l| l.starts_with("artifacts"))
        .unwrap();
    assert!(artifacts.contains(" 2 entries"), "{artifacts}");
    assert!(
        r.stdout.contains("also linked into projects"),
        "{}",
        r.stdout
    );
}

#[test]
fn prune_keeps_what_recorded_projects_use_and_forgets_projects_whose_lock_is_gone() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    let one = served_project(&sb, "one", &server, &reg, &["alpha", "neo"]);
    sb.install(&one).ok();
    let two = served_project(&sb, "two", &server, &reg, &["gamma"]);
    sb.install(&two).ok();
    // Installed, then the plugin dir deleted: its lock still keeps it.
    let three = served_project(&sb, "three", &server, &reg, &["beta"]);
    sb.install(&three).ok();
    std::fs::remove_dir_all(sb.p("three/.plugins")).unwrap();
    let (alpha, gamma, beta) = (
        sha_in_lock(&sb, "one/optimus.lock", "alpha"),
        sha_in_lock(&sb, "two/optimus.lock", "gamma"),
        sha_in_lock(&sb, "three/optimus.lock", "beta"),
    );
    assert!(cached(&sb, "artifacts").contains(&gamma));
    // Nothing unreferenced yet: nothing removed.
    sb.plugin(&["cache", "prune"]).expect(0, &["removed 0 B"]);
    std::fs::remove_dir_all(sb.p("two")).unwrap();
    let r = sb.plugin(&["cache", "prune", "--dry-run"]).ok();
    assert!(r.stdout.starts_with("would remove"), "{}", r.stdout);
    assert!(
        cached(&sb, "artifacts").contains(&gamma),
        "dry run removed something"
    );
    sb.plugin(&["cache", "prune"]).expect(
        0,
        &["forgot the project of", "two", "kept what 2 project(s) use"],
    );
    let arts = cached(&sb, "artifacts");
    assert!(!arts.contains(&gamma), "{arts:?}");
    assert!(arts.contains(&alpha) && arts.contains(&beta), "{arts:?}");
    assert_eq!(arts.len(), 3, "{arts:?}");
    // alpha and neo stay unpacked (installed in `one`); beta's unpacked copy is no project's
    // installed file any more, but its record's artifact is locked: it stays too.
    assert_eq!(cached(&sb, "files").len(), 3);
    // What stays still serves a fresh clone of `one` without a request.
    let four = served_project(&sb, "four", &server, &reg, &["alpha", "neo"]);
    std::fs::copy(sb.p("one/optimus.lock"), sb.p("four/optimus.lock")).unwrap();
    server.clear_log();
    sb.on_linux_with("install", &four, &["--offline"], &[]).ok();
    sb.on_linux("verify", &one).ok();
}

#[test]
fn prune_ci_keeps_artifacts_only_and_an_offline_install_still_works() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    let one = served_project(&sb, "one", &server, &reg, &["alpha", "beta", "neo"]);
    sb.install(&one).ok();
    assert_eq!(cached(&sb, "files").len(), 3);
    sb.plugin(&["cache", "prune", "--ci"])
        .expect(0, &["3 files"]);
    assert!(cached(&sb, "files").is_empty() && cached(&sb, "unpacked").is_empty());
    assert!(cached(&sb, "memo").is_empty());
    assert_eq!(cached(&sb, "artifacts").len(), 3);
    assert!(!cached(&sb, "index").is_empty(), "index documents are kept");
    // The next CI run: a fresh checkout, the saved cache, no network.
    let two = served_project(&sb, "two", &server, &reg, &["alpha", "beta", "neo"]);
    std::fs::copy(sb.p("one/optimus.lock"), sb.p("two/optimus.lock")).unwrap();
    server.clear_log();
    sb.on_linux_with("install", &two, &["--offline", "--frozen"], &[])
        .expect(0, &["installed 3"]);
    assert_eq!(server.log().len(), 0);
    sb.on_linux("verify", &two).ok();
}

#[test]
fn prune_max_size_removes_the_least_recently_used_first() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    let one = served_project(&sb, "one", &server, &reg, &["alpha", "beta"]);
    sb.install(&one).ok();
    // Everything last used long ago...
    let long_ago = SystemTime::now() - Duration::from_secs(30 * 86400);
    // (The unpacked files themselves keep their mtime: it is the one their records and the
    // projects' receipts hold; their last use is their records'.)
    for f in files_under(&sb.p("cache")) {
        if !f.ends_with(".lock") && !f.starts_with(sb.p("cache/files")) {
            set_mtime(&f, long_ago);
        }
    }
    // ...but alpha's unpacked file a day ago...
    let alpha_file = sha256_file(&binary(&sb, "one", "alpha"));
    let day_ago = SystemTime::now() - Duration::from_secs(86400);
    for rec in files_under(&sb.p("cache/unpacked")) {
        if std::fs::read_to_string(&rec)
            .unwrap()
            .starts_with(&alpha_file)
        {
            set_mtime(&rec, day_ago);
        }
    }
    // ...then beta used now by an install into a fresh project (linked from the cache, which
    // marks its unpacked-file record used): beta is the most recently used.
    let two = served_project(&sb, "two", &server, &reg, &["beta"]);
    let lock = sb.read("one/optimus.lock");
    sb.write("two/optimus.lock", &lock);
    sb.on_linux_with("install", &two, &["--offline"], &[]).ok();
    let beta_file = sha256_file(&binary(&sb, "two", "beta"));
    let keep_bytes: u64 = [sb.p(&format!(
        "cache/files/sha256/{}/{beta_file}",
        &beta_file[..2]
    ))]
    .iter()
    .chain(
        files_under(&sb.p("cache/unpacked"))
            .iter()
            .filter(|p| std::fs::read_to_string(p).unwrap().starts_with(&beta_file)),
    )
    .chain(files_under(&sb.p("cache/projects")).iter())
    .map(|p| std::fs::metadata(p).unwrap().len())
    .sum();
    sb.plugin(&["cache", "prune", "--max-size", &keep_bytes.to_string()])
        .ok();
    assert_eq!(cached(&sb, "files"), vec![beta_file.clone()]);
    assert!(cached(&sb, "artifacts").is_empty());
    assert!(cached(&sb, "index").is_empty());
    let r = sb.plugin(&["cache", "size"]).ok();
    assert!(
        r.stdout.contains(&format!("{keep_bytes} B")) || keep_bytes >= 1024,
        "{}",
        r.stdout
    );
    // A bad size is a usage error.
    sb.plugin(&["cache", "prune", "--max-size", "lots"])
        .expect(2, &["--max-size"]);
}

#[test]
fn prune_removes_stale_downloads_in_flight_but_never_young_ones() {
    let sb = Sandbox::new();
    let young = sb.write("cache/tmp/dl-young", b"partial");
    let old = sb.write("cache/tmp/dl-old", b"partial");
    set_mtime(&old, SystemTime::now() - Duration::from_secs(3 * 3600));
    sb.plugin(&["cache", "prune"]).ok();
    assert!(young.exists() && !old.exists());
    sb.plugin(&["cache", "clean"]).ok();
    assert!(young.exists(), "clean removed a download in flight");
}

#[test]
fn clean_removes_one_plugins_entries_or_everything() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    let one = served_project(&sb, "one", &server, &reg, &["alpha", "beta"]);
    sb.install(&one).ok();
    let (alpha, beta) = (
        sha_in_lock(&sb, "one/optimus.lock", "alpha"),
        sha_in_lock(&sb, "one/optimus.lock", "beta"),
    );
    let alpha_file = sha256_file(&binary(&sb, "one", "alpha"));
    sb.plugin(&["cache", "clean", "alpha"])
        .expect(0, &["the entries of alpha"]);
    let arts = cached(&sb, "artifacts");
    assert!(!arts.contains(&alpha) && arts.contains(&beta), "{arts:?}");
    assert!(!cached(&sb, "files").contains(&alpha_file));
    assert_eq!(cached(&sb, "files").len(), 1);
    // The installed file is the project's own (a hard link outlives the cache's name).
    sb.on_linux("verify", &one).ok();
    sb.plugin(&["cache", "clean", "nosuch"])
        .expect(0, &["no cache entry of nosuch"]);
    sb.plugin(&["cache", "clean"]).ok();
    // Left: the lock file, the marker that says this is a cache, and the rollback
    // protection of registries' timestamps.
    let left = files_under(&sb.p("cache"));
    assert!(
        left.iter().all(|f| f.ends_with(".lock")
            || f.ends_with(".optimus-cache")
            || f.starts_with(sb.p("cache/timestamps"))),
        "{left:?}"
    );
    sb.on_linux("verify", &one).ok();
}

#[test]
fn prune_waits_for_an_install_in_progress_and_keeps_what_it_installed() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    let one = served_project(&sb, "one", &server, &reg, &["alpha", "beta"]);
    sb.run(&["plugin", "lock", "-c", &one]).ok();
    // The install holds the cache while its download stalls.
    server.fault(
        "_linux_amd64.tar.gz",
        vec![Fault::Stall(Duration::from_secs(3))],
    );
    let mut install = sb
        .command(&[
            "plugin",
            "install",
            "-c",
            &one,
            "--platform",
            PLAT,
            "-j",
            "1",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = std::time::Instant::now();
    while artifact_requests(&server) == 0 {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the install never downloaded"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let prune = sb.command(&["plugin", "cache", "clean"]).output().unwrap();
    let install_done = install.try_wait().unwrap();
    let install = install.wait_with_output().unwrap();
    let (prune, install) = (Run::from(prune), Run::from(install));
    install.ok();
    let prune = prune.ok();
    assert!(
        install_done.is_some(),
        "clean finished while the install still ran"
    );
    assert!(
        prune
            .stderr
            .contains("waiting for another optimus-plugins process"),
        "{}",
        prune.stderr
    );
    sb.on_linux("verify", &one).ok();
}
