//! The commands a message tells the user to run are the ones that work for them: with the
//! `-c` they passed, for the platform they meant; and a directory they cannot write gets a fix,
//! not a bare "Permission denied".

use super::World;
use crate::common::*;

/// `proj/server.yaml`: the same plugins, in `.plugins-server` (its own lock: server.lock).
fn server(w: &World) {
    let cfg = w.sb.read("proj/optimus.yaml").replace(
        "plugins:\n  providers:",
        "plugins:\n  dir: .plugins-server\n  providers:",
    );
    w.sb.write("proj/server.yaml", cfg);
}

#[test]
fn outdated_and_mirror_hints_keep_the_config_that_was_passed() {
    let w = World::installed();
    server(&w);
    // No lock yet for server.yaml: mirror says how to make one, for this config.
    w.mistake(
        &["mirror", "-c", "server.yaml", "--output", "m"],
        2,
        &["run `optimus-plugins lock -c server.yaml` first"],
        &[],
    );
    w.run(&["install", "-c", "server.yaml", "--platform", PLAT])
        .ok();
    w.reg.publish_yaml(&w.sb, "neo", "1.1.0").ok();
    let before = w.snapshot();
    w.run(&["outdated", "-c", "server.yaml"])
        .expect(0, &["run `optimus-plugins update neo -c server.yaml`"]);
    w.unchanged_since(&before, &["cache"]);
    w.run(&["mirror", "-c", "server.yaml", "--output", "m"])
        .expect(
            0,
            &["`optimus-plugins install --offline --mirror m -c server.yaml`"],
        );
    // The default config needs no -c.
    let r = w
        .run(&["outdated"])
        .expect(0, &["run `optimus-plugins update neo`"]);
    assert!(!r.stdout.contains("-c"), "{}", r.stdout);
    // And verify's fixes, for a file gone missing.
    std::fs::remove_file(w.p("proj/.plugins-server/optimus-plugin-neo.yaml")).unwrap();
    w.run(&["verify", "-c", "server.yaml", "--platform", PLAT])
        .expect(1, &["`optimus-plugins install -c server.yaml` restores"]);
    w.mistake(
        &["verify", "-c", "nolock.yaml"],
        2,
        &["config file nolock.yaml not found"],
        &[],
    );
}

#[test]
fn verify_before_any_install_says_what_to_run_for_this_config() {
    let w = World::new();
    server(&w);
    w.mistake(
        &["verify", "-c", "server.yaml"],
        1,
        &[
            "server.lock: no lockfile to verify against",
            "run `optimus-plugins install -c server.yaml`",
        ],
        &[],
    );
}

#[test]
fn lock_for_another_platform_says_what_becomes_of_this_one() {
    // The note is about this machine's platform; the suites lock linux_amd64.
    if !(cfg!(target_os = "linux") && cfg!(target_arch = "x86_64")) {
        eprintln!("skipping: this test needs a linux_amd64 host");
        return;
    }
    let w = World::new();
    w.reg
        .publish_task(&w.sb, "bq2bq", "0.3.3", &[PLAT, "darwin_arm64"])
        .ok();
    w.run(&["lock", "--platform", "darwin_arm64"]).expect(
        0,
        &[
            "this machine's platform linux_amd64 is not locked",
            "add --platform linux_amd64",
        ],
    );
    w.run(&["lock"]).ok();
    w.run(&["lock", "--platform", "darwin_arm64"]).expect(
        0,
        &["linux_amd64 stays locked", "for darwin_arm64, linux_amd64"],
    );
}

/// Runs `chattr` on a path (root, a file system that supports it); false when it cannot.
fn chattr(flag: &str, path: &std::path::Path) -> bool {
    std::process::Command::new("chattr")
        .arg(flag)
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn a_plugin_directory_this_user_cannot_write_gets_a_fix() {
    let w = World::new();
    let dir = w.p("proj/.plugins");
    std::fs::create_dir_all(&dir).unwrap();
    // As root, a mode does not stop writes: an immutable directory does (its lock file
    // cannot be created in it).
    if !chattr("+i", &dir) {
        missing("chattr +i (root on ext4/xfs/btrfs/tmpfs) to make a read-only plugin directory");
        return;
    }
    let before = w.snapshot();
    let r = w.run(&["install", "--platform", PLAT]);
    let after = before.retake();
    chattr("-i", &dir);
    r.expect(
        1,
        &[
            ".plugins/.lock",
            "is immutable",
            ".plugins",
            "make the directory writable",
            "OPTIMUS_PLUGIN_DIR",
        ],
    );
    let diff = after.diff_from(&before, &[]);
    assert!(diff.is_empty(), "{diff:?}");
}
