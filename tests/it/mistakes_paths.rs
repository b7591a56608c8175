//! Destructive targets a tired user types (issue 17 item 1, issue 20 items 5 and 10):
//! `mirror --output` and `cache clean`/`prune` (through `OPTIMUS_CACHE_DIR`) pointed at the
//! project, the home directory, `/`, a file, a symlink to the project, a folder of someone's
//! files. Each is refused with exit 2 and a message naming the directory, before anything is
//! written: the trees are as they were. What optimus made (a mirror, a cache, also one an
//! older version made without a marker) is still replaced or emptied.
//!
//! `/` is only ever tried in a way that cannot destroy anything even if the guard were broken:
//! `cache clean --dry-run`, inside a mount namespace where `/` is read-only when the machine
//! allows one (`unshare -m`, root), and `mirror --output /`, which cannot rename `/`.

use crate::common::*;
use std::path::Path;
use std::process::Command;

/// A project `proj/` locked against a directory registry (`neo` yaml, `bq2bq` binary), with
/// a notes file of the user's, and someone's folder `thesis/` beside it.
fn project(sb: &Sandbox) -> Registry {
    let reg = neo_bq2bq_registry(sb, "registry");
    sb.write(
        "proj/optimus.yaml",
        registry_config(
            "../registry",
            &reg.public_key,
            &[("neo", "*"), ("bq2bq", "*")],
        ),
    );
    sb.write("proj/notes.md", "my notes\n");
    sb.plugin(&["lock", "-c", "proj/optimus.yaml", "--platform", PLAT])
        .ok();
    sb.write("thesis/chapter1.md", "It was a dark and stormy night.\n");
    sb.write("thesis/figures/plot.png", b"\x89PNG...");
    sb.write("home/.bashrc", "export PS1='$ '\n");
    reg
}

fn mirror_to(sb: &Sandbox, out: &str) -> Run {
    sb.plugin(&["mirror", "-c", "proj/optimus.yaml", "--output", out])
}

/// Every tree a mistake could reach.
fn everything(sb: &Sandbox) -> Snapshot {
    Snapshot::take(&[sb.path()])
}

#[test]
fn mirror_output_at_the_project_is_refused_and_the_project_kept() {
    let sb = Sandbox::new();
    project(&sb);
    let before = everything(&sb);
    let proj = sb.p("proj").display().to_string();
    mirror_to(&sb, &proj).expect(
        2,
        &[
            &proj,
            "the directory of the config",
            "nothing was changed",
            "--output",
        ],
    );
    before.assert_unchanged(&[]);
    // Also as `.` from inside the project (the working directory), and as its parent.
    let r = sb.run_in(
        &sb.p("proj"),
        &["plugin", "mirror", "-c", "optimus.yaml", "--output", "."],
        &[],
    );
    r.expect(2, &[&proj, "nothing was changed"]);
    mirror_to(&sb, &sb.path().display().to_string())
        .expect(2, &["an ancestor of", "nothing was changed"]);
    before.assert_unchanged(&[]);
}

#[test]
fn mirror_output_at_home_a_file_a_symlink_or_someones_folder_is_refused() {
    let sb = Sandbox::new();
    project(&sb);
    std::os::unix::fs::symlink(sb.p("proj"), sb.p("link-to-proj")).unwrap();
    sb.write("report.pdf", b"%PDF-1.4");
    let before = everything(&sb);
    let home = sb.p("home").display().to_string();
    mirror_to(&sb, &home).expect(2, &[&home, "your home directory", "nothing was changed"]);
    let file = sb.p("report.pdf").display().to_string();
    mirror_to(&sb, &file).expect(2, &[&file, "a file, not a directory"]);
    let link = sb.p("link-to-proj").display().to_string();
    mirror_to(&sb, &link).expect(2, &[&link, "symbolic link"]);
    let thesis = sb.p("thesis").display().to_string();
    mirror_to(&sb, &thesis).expect(
        2,
        &[
            &thesis,
            "`chapter1.md`",
            "not an optimus mirror",
            ".optimus-mirror",
        ],
    );
    before.assert_unchanged(&[]);
    // A folder inside the project: the plugin directory is not a mirror either.
    sb.plugin(&["install", "-c", "proj/optimus.yaml", "--platform", PLAT])
        .ok();
    let before = everything(&sb);
    let plugins = sb.p("proj/.plugins").display().to_string();
    mirror_to(&sb, &plugins).expect(2, &[&plugins, "not an optimus mirror"]);
    before.assert_unchanged(&[]);
}

#[test]
fn mirror_output_at_the_root_directory_is_refused() {
    let sb = Sandbox::new();
    project(&sb);
    let before = everything(&sb);
    // `/` has no parent: no build of the old code got past that either, so nothing can be
    // touched; a read-only root makes sure.
    let cmd = sb.command(&[
        "plugin",
        "mirror",
        "-c",
        "proj/optimus.yaml",
        "--output",
        "/",
    ]);
    let r = Run::from(read_only_root(cmd).output().unwrap());
    r.expect(2, &["--output /", "root directory", "nothing was changed"]);
    before.assert_unchanged(&[]);
}

#[test]
fn mirror_output_replaces_only_what_mirror_made() {
    let sb = Sandbox::new();
    project(&sb);
    // New, then empty: both fine.
    mirror_to(&sb, "m").ok();
    assert!(sb.p("m/.optimus-mirror").is_file());
    std::fs::create_dir_all(sb.p("empty")).unwrap();
    mirror_to(&sb, "empty").ok();
    // Its own output again (the marker).
    sb.write("m/reg/stale.txt", "from an older mirror run");
    mirror_to(&sb, "m").ok();
    assert!(!sb.p("m/reg/stale.txt").exists());
    // Without the marker (a mirror an older version wrote, or a folder of real registries,
    // which has the same layout: one registry root per provider): refused, with the fix.
    std::fs::remove_file(sb.p("m/.optimus-mirror")).unwrap();
    let before = everything(&sb);
    let m = sb.p("m").display().to_string();
    mirror_to(&sb, &m).expect(2, &[&m, "not an optimus mirror", "create the marker file"]);
    before.assert_unchanged(&[]);
    // Marked by hand (the fix it gives): replaced.
    sb.write("m/.optimus-mirror", "");
    mirror_to(&sb, "m").ok();
}

/// A folder holding real registries (published, then `index.html` deleted) has the layout of
/// a mirror without its marker: `mirror --output` refuses it, and every registry keeps every
/// file (artifacts the lock does not name included).
#[test]
fn mirror_output_never_replaces_a_folder_of_registries() {
    let sb = Sandbox::new();
    project(&sb);
    for name in ["prod", "staging"] {
        let reg = Registry::new(&sb, &format!("regs/{name}"));
        reg.publish_yaml(&sb, "hello", "1.0.0").ok();
        let _ = std::fs::remove_file(sb.p(&format!("regs/{name}/index.html")));
    }
    let before = everything(&sb);
    let regs = sb.p("regs").display().to_string();
    mirror_to(&sb, &regs).expect(2, &[&regs, "not an optimus mirror"]);
    before.assert_unchanged(&[]);
}

// ---------------------------------------------------------------------------------------------
// The cache.

fn cache_cmd(sb: &Sandbox, cache: &Path, args: &[&str]) -> Run {
    let mut a = vec!["plugin", "cache"];
    a.extend_from_slice(args);
    sb.run_env(&a, &[("OPTIMUS_CACHE_DIR", cache.to_str().unwrap())])
}

#[test]
fn cache_clean_and_prune_refuse_a_folder_that_is_not_a_cache() {
    let sb = Sandbox::new();
    project(&sb);
    // Issue 20 item 10: the areas' names, someone's files in them.
    sb.write("docs/files/report.pdf", b"%PDF-1.4");
    sb.write("docs/artifacts/photo.jpg", b"\xff\xd8\xff");
    std::os::unix::fs::symlink(sb.p("proj"), sb.p("link-to-proj")).unwrap();
    let before = everything(&sb);
    for dir in ["docs", "thesis", "proj", "link-to-proj"] {
        let p = sb.p(dir);
        for args in [
            &["clean"][..],
            &["prune"],
            &["clean", "neo"],
            &["prune", "--ci"],
        ] {
            cache_cmd(&sb, &p, args).expect(
                2,
                &[
                    &p.display().to_string(),
                    "not an optimus cache",
                    "OPTIMUS_CACHE_DIR",
                    "nothing was changed",
                ],
            );
        }
    }
    let home = sb.p("home");
    cache_cmd(&sb, &home, &["clean"]).expect(2, &["your home directory"]);
    let file = sb.p("proj/notes.md");
    cache_cmd(&sb, &file, &["prune"]).expect(2, &["a file, not a directory"]);
    before.assert_unchanged(&[]);
}

#[test]
fn cache_clean_at_the_root_directory_is_refused() {
    let sb = Sandbox::new();
    let before = everything(&sb);
    // A dry run removes nothing even if the guard were broken, and the root is read-only
    // where a mount namespace can be made.
    for args in [["clean", "--dry-run"], ["prune", "--dry-run"]] {
        let mut a = vec!["plugin", "cache"];
        a.extend_from_slice(&args);
        let mut cmd = sb.command(&a);
        cmd.env("OPTIMUS_CACHE_DIR", "/");
        let r = Run::from(read_only_root(cmd).output().unwrap());
        r.expect(
            2,
            &["cache directory /", "root directory", "nothing was changed"],
        );
    }
    before.assert_unchanged(&[]);
}

#[test]
fn prune_never_follows_a_symlinked_area_and_old_caches_still_clean() {
    let sb = Sandbox::new();
    let reg = neo_bq2bq_registry(&sb, "registry");
    sb.write(
        "proj/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("neo", "*")]),
    );
    sb.install("proj/optimus.yaml").ok();
    assert!(
        sb.p("cache/.optimus-cache").is_file(),
        "a new cache is marked"
    );
    // An area that is a symlink to someone's files that look like cache entries.
    let hex = "cd".repeat(32);
    let victim = sb.write(&format!("victim/sha256/cd/{hex}"), "not yours");
    std::fs::remove_dir_all(sb.p("cache/artifacts")).unwrap();
    std::os::unix::fs::symlink(sb.p("victim"), sb.p("cache/artifacts")).unwrap();
    let before = Snapshot::take(&[sb.p("victim")]);
    sb.plugin(&["cache", "prune"])
        .expect(0, &["skipped", "artifacts"]);
    sb.plugin(&["cache", "clean"]).ok();
    before.assert_unchanged(&[]);
    assert!(victim.exists());
    // A cache an older optimus made (no marker, its layout) is still a cache: cleaned, and
    // marked from now on. A dry run marks nothing.
    std::fs::remove_file(sb.p("cache/artifacts")).unwrap();
    std::fs::remove_file(sb.p("cache/.optimus-cache")).unwrap();
    sb.install("proj/optimus.yaml").ok();
    sb.plugin(&["cache", "clean", "--dry-run"]).ok();
    assert!(!sb.p("cache/.optimus-cache").exists());
    let r = sb.plugin(&["cache", "clean"]).ok();
    assert!(r.stdout.starts_with("removed "), "{}", r.stdout);
    assert!(sb.p("cache/.optimus-cache").is_file());
    // A cache that does not exist is not made by a clean.
    let none = sb.p("no-cache");
    cache_cmd(&sb, &none, &["prune"]).ok();
    assert!(!none.exists());
}

/// `cmd` run where `/` is read-only (a private mount namespace), when this machine lets a
/// test make one; otherwise `cmd` itself (callers only pass commands that change nothing
/// when they go wrong).
fn read_only_root(cmd: Command) -> Command {
    let probe = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c"])
        .arg("mount --bind / / && mount -o remount,bind,ro / && ! touch /.optimus-ro-probe 2>/dev/null")
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("NOTICE: no read-only mount namespace here (`unshare -m` needs root); the `/` case runs without it, as a dry run or a command that cannot touch `/`");
        return cmd;
    }
    let mut c = Command::new("unshare");
    c.args(["-m", "--propagation", "private", "sh", "-c"])
        .arg("mount --bind / / && mount -o remount,bind,ro / && exec \"$@\"")
        .arg("sh")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    if let Some(d) = cmd.get_current_dir() {
        c.current_dir(d);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c
}

#[test]
fn yaml_bundle_never_overwrites_a_file_optimus_did_not_write() {
    let sb = Sandbox::new();
    project(&sb);
    write_zip(
        &sb.p("thesis.zip"),
        &[("chapter1.md".to_string(), b"draft".to_vec(), 0o644)],
    );
    let before = everything(&sb);
    // The config itself, someone's zip, someone's picture: refused before anything is
    // installed.
    let cfg = sb.p("proj/optimus.yaml").display().to_string();
    let zip = sb.p("thesis.zip").display().to_string();
    let png = sb.p("thesis/figures/plot.png").display().to_string();
    for target in [cfg.as_str(), zip.as_str(), png.as_str()] {
        sb.on_linux_with(
            "install",
            "proj/optimus.yaml",
            &["--yaml-bundle", target],
            &[],
        )
        .expect(
            2,
            &[
                target,
                "not a plugin bundle optimus wrote",
                "nothing was changed",
            ],
        );
    }
    before.assert_unchanged(&[]);
    // Its own bundle, again and again.
    for _ in 0..2 {
        sb.on_linux_with(
            "install",
            "proj/optimus.yaml",
            &["--yaml-bundle", "dist/plugins.zip"],
            &[],
        )
        .expect(0, &["wrote 1 yaml plugin(s)"]);
    }
}
