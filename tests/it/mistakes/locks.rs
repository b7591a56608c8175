//! Two configs in one directory: each owns its lock (`optimus.yaml` → `optimus.lock`,
//! `server.yaml` → `server.lock`), and a lock that was shared before still reads.

use super::World;
use crate::common::*;

/// `proj/server.yaml`: bq2bq alone, in its own plugin dir (as the owner check advises).
fn server_config(w: &World, req: &str) -> String {
    registry_config("../registry", &w.reg.public_key, &[("bq2bq", req)]).replace(
        "plugins:\n  providers:",
        "plugins:\n  dir: .plugins-server\n  providers:",
    )
}

#[test]
fn two_configs_in_one_directory_keep_their_own_locks() {
    let w = World::new();
    w.sb.write("proj/server.yaml", server_config(&w, "*"));
    w.run(&["install", "--platform", PLAT]).ok();
    let client_lock = w.sb.read("proj/optimus.lock");
    // Following the advice to give it its own `dir`, the server config installs beside it...
    let r = w.run(&["install", "-c", "server.yaml", "--platform", PLAT]);
    r.expect(0, &["installed 1 (bq2bq 0.3.2)"]);
    // ...into its own lock, leaving optimus.lock as it was.
    assert_eq!(w.sb.read("proj/optimus.lock"), client_lock);
    let server_lock = w.sb.read("proj/server.lock");
    assert!(server_lock.contains("name = \"bq2bq\""), "{server_lock}");
    assert!(!server_lock.contains("name = \"neo\""), "{server_lock}");
    // Both stay installable as locked, in either order, and nothing changes.
    let before = w.snapshot();
    w.run(&["install", "--locked", "--platform", PLAT])
        .expect(0, &["nothing to do"]);
    w.run(&[
        "install",
        "-c",
        "server.yaml",
        "--locked",
        "--platform",
        PLAT,
    ])
    .expect(0, &["nothing to do"]);
    w.run(&["verify", "-c", "server.yaml", "--platform", PLAT])
        .ok();
    w.run(&["verify", "--platform", PLAT]).ok();
    w.unchanged_since(&before, &["cache"]);
    // `remove` and `lock` for one config touch its lock alone.
    w.run(&["remove", "-c", "server.yaml", "bq2bq"]).ok();
    assert_eq!(w.sb.read("proj/optimus.lock"), client_lock);
    assert!(!w.sb.read("proj/server.lock").contains("bq2bq"));
    w.run(&["lock", "-c", "server.yaml", "--platform", PLAT])
        .expect(0, &["server.lock"]);
    assert_eq!(w.sb.read("proj/optimus.lock"), client_lock);
}

#[test]
fn a_new_config_beside_optimus_yaml_does_not_inherit_its_lock() {
    let w = World::new();
    w.run(&["lock", "--platform", PLAT]).ok();
    w.reg.publish_task(&w.sb, "bq2bq", "0.4.0", &[PLAT]).ok();
    // optimus.lock holds bq2bq 0.3.2; a new server.yaml resolves on its own.
    w.sb.write("proj/server.yaml", server_config(&w, "*"));
    w.run(&["lock", "-c", "server.yaml", "--platform", PLAT])
        .expect(0, &["locked bq2bq 0.4.0", "server.lock"]);
    assert!(w
        .sb
        .read("proj/optimus.lock")
        .contains("version = \"0.3.2\""));
}

#[test]
fn an_old_shared_lock_is_read_then_the_config_gets_its_own() {
    let w = World::new();
    // What an older optimus left: server.yaml alone in its directory, its lock in optimus.lock.
    std::fs::remove_file(w.p("proj/optimus.yaml")).unwrap();
    w.sb.write("proj/server.yaml", server_config(&w, "0.3.2"));
    w.run(&["install", "-c", "server.yaml", "--platform", PLAT])
        .ok();
    std::fs::rename(w.p("proj/server.lock"), w.p("proj/optimus.lock")).unwrap();
    let shared = w.sb.read("proj/optimus.lock");
    // A newer bq2bq must not sneak in: the shared lock is read as this config's.
    w.reg.publish_task(&w.sb, "bq2bq", "0.3.3", &[PLAT]).ok();
    w.edit("proj/server.yaml", "\"0.3.2\"", "\"^0.3\"");
    let before = w.snapshot();
    w.run(&[
        "install",
        "-c",
        "server.yaml",
        "--locked",
        "--platform",
        PLAT,
    ])
    .expect(
        0,
        &[
            "nothing to do",
            "read from optimus.lock",
            "optimus-plugins lock -c server.yaml",
        ],
    );
    w.run(&["verify", "-c", "server.yaml", "--platform", PLAT])
        .ok();
    w.unchanged_since(&before, &["cache"]);
    // Without --locked its own lock is written, with the same version; optimus.lock stays.
    w.run(&["install", "-c", "server.yaml", "--platform", PLAT])
        .expect(0, &["nothing to do", "its lock is now server.lock"]);
    let own = w.sb.read("proj/server.lock");
    assert!(own.contains("version = \"0.3.2\""), "{own}");
    assert_eq!(w.sb.read("proj/optimus.lock"), shared);
    w.run(&[
        "install",
        "-c",
        "server.yaml",
        "--locked",
        "--platform",
        PLAT,
    ])
    .expect(0, &["nothing to do"]);
}

#[test]
fn a_shared_lock_beside_optimus_yaml_counts_for_the_config_that_installed_with_it() {
    let w = World::new();
    w.sb.write("proj/server.yaml", server_config(&w, "^0.3"));
    w.run(&["install", "--platform", PLAT]).ok();
    w.run(&["install", "-c", "server.yaml", "--platform", PLAT])
        .ok();
    // As an older optimus shared it: one optimus.lock holding both configs' plugins.
    std::fs::remove_file(w.p("proj/server.lock")).unwrap();
    let shared = w.sb.read("proj/optimus.lock");
    w.reg.publish_task(&w.sb, "bq2bq", "0.3.3", &[PLAT]).ok();
    // server.yaml installed into .plugins-server (it owns it): its entry comes from the
    // shared lock, neo (optimus.yaml's) is not taken for it.
    let before = w.snapshot();
    w.run(&[
        "install",
        "-c",
        "server.yaml",
        "--locked",
        "--platform",
        PLAT,
    ])
    .expect(0, &["nothing to do", "read from optimus.lock"]);
    w.unchanged_since(&before, &["cache"]);
    w.run(&["lock", "-c", "server.yaml", "--platform", PLAT])
        .ok();
    let own = w.sb.read("proj/server.lock");
    assert!(
        own.contains("version = \"0.3.2\"") && !own.contains("neo"),
        "{own}"
    );
    assert_eq!(w.sb.read("proj/optimus.lock"), shared);
}
