//! Index freshness (`timestamp.toml`, TUF's timestamp and snapshot roles kept in minisign):
//! rollback, freeze and mixed snapshots are refused; versions are identities.

use crate::common::*;
use std::process::Command;

/// A registry in `<sandbox>/registry` with the yaml plugin `neo` 1.0.0 (published with
/// `extra` publish flags) and a project `p/` that takes any `neo` 1.x from it.
fn setup(sb: &Sandbox, extra: &[&str]) -> Registry {
    let reg = Registry::new(sb, "registry");
    let yaml = make_yaml(sb, "neo", "1.0.0");
    reg.publish(sb, extra, "neo", "1.0.0", &[&yaml]).ok();
    sb.write(
        "p/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("neo", "^1")]),
    );
    reg
}

fn publish_fix(sb: &Sandbox, reg: &Registry) {
    reg.publish_yaml(sb, "neo", "1.0.1").ok();
}

/// Replaces the registry directory with `from`.
fn restore(reg: &Registry, from: &std::path::Path) {
    std::fs::remove_dir_all(&reg.root).unwrap();
    copy_dir(from, &reg.root);
}

#[track_caller]
fn installed_neo(sb: &Sandbox, dir: &str) -> String {
    let text = sb.read(&format!("{dir}/.plugins/optimus-plugin-neo.yaml"));
    text.lines()
        .find_map(|l| l.strip_prefix("pluginversion: "))
        .unwrap()
        .to_string()
}

#[track_caller]
fn refused(r: Run, want: &[&str]) -> Run {
    assert_clean_failure(&r);
    for w in want {
        assert!(r.stderr.contains(w), "{w:?} not in:\n{}", r.stderr);
    }
    r
}

#[test]
fn a_client_that_saw_the_fix_refuses_the_registry_rolled_back() {
    let sb = Sandbox::new();
    let reg = setup(&sb, &[]);
    copy_dir(&reg.root, &sb.p("old-registry"));
    publish_fix(&sb, &reg);
    sb.install("p/optimus.yaml").ok();
    assert_eq!(installed_neo(&sb, "p"), "1.0.1");

    restore(&reg, &sb.p("old-registry"));
    for verb in ["update", "outdated"] {
        let r = sb.plugin(&[verb, "-c", "p/optimus.yaml"]);
        refused(
            r,
            &[
                "version 1 is older than version 2, which this machine has already accepted",
                "rollback",
            ],
        );
    }
    assert_eq!(installed_neo(&sb, "p"), "1.0.1");
    assert!(sb.read("p/optimus.lock").contains("1.0.1"));

    // The floor is this machine's memory: a fresh cache accepts the old (unexpired) snapshot.
    let fresh = sb.p("fresh-cache").display().to_string();
    sb.write(
        "q/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("neo", "^1")]),
    );
    sb.run_env(
        &["plugin", "lock", "-c", "q/optimus.yaml"],
        &[("OPTIMUS_CACHE_DIR", &fresh)],
    )
    .ok();
}

#[test]
fn an_expired_snapshot_is_refused_even_by_a_fresh_client() {
    let sb = Sandbox::new();
    let started = std::time::Instant::now();
    let reg = setup(&sb, &["--expires-in", "3s"]);
    // Client A locks and installs while the snapshot is fresh.
    sb.install("p/optimus.yaml").ok();
    copy_dir(&reg.root, &sb.p("old-registry"));
    publish_fix(&sb, &reg);
    restore(&reg, &sb.p("old-registry"));
    std::thread::sleep(std::time::Duration::from_secs(4).saturating_sub(started.elapsed()));

    // Client B, with a new cache, has no floor: the expiry alone refuses the frozen copy.
    let fresh = sb.p("fresh-cache").display().to_string();
    let env = [("OPTIMUS_CACHE_DIR", fresh.as_str())];
    sb.write(
        "q/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("neo", "^1")]),
    );
    let r = sb.on_linux_with("install", "q/optimus.yaml", &[], &env);
    refused(
        r,
        &[
            "timestamp.toml",
            "expired at",
            "optimus-plugins refresh",
            "--allow-expired",
        ],
    );
    assert!(!sb.p("q/.plugins/optimus-plugin-neo.yaml").exists());

    // A complete lock still installs offline: its hashes authorise the bytes.
    std::fs::remove_dir_all(sb.p("p/.plugins")).unwrap();
    sb.on_linux_with("install", "p/optimus.yaml", &["--offline"], &[])
        .ok();
    assert_eq!(installed_neo(&sb, "p"), "1.0.0");

    // --allow-expired is accepted by every resolving command, and is loud.
    let verbs: &[&[&str]] = &[
        &["install", "-c", "q/optimus.yaml", "--platform", PLAT],
        &["lock", "-c", "q/optimus.yaml"],
        &["update", "-c", "q/optimus.yaml"],
        &["sync", "-c", "q/optimus.yaml"],
        &["outdated", "-c", "q/optimus.yaml"],
    ];
    for args in verbs {
        // Without a lock every verb reads the index.
        let _ = std::fs::remove_file(sb.p("q/optimus.lock"));
        let mut a = vec!["plugin"];
        a.extend_from_slice(args);
        a.push("--allow-expired");
        sb.run_env(&a, &env)
            .expect(0, &["warning", "--allow-expired: using timestamp.toml"]);
    }
    assert_eq!(installed_neo(&sb, "q"), "1.0.0");

    // The publisher re-signs: clients accept it again without the flag.
    reg.run(&sb, "refresh", &[]).ok();
    let r = sb
        .on_linux_with("install", "q/optimus.yaml", &[], &env)
        .ok();
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
}

#[test]
fn a_mirror_serving_an_old_snapshot_does_not_move_the_client_back() {
    let sb = Sandbox::new();
    let reg = setup(&sb, &[]);
    copy_dir(&reg.root, &sb.p("mirror"));
    publish_fix(&sb, &reg);
    let origin = HttpServer::start(&reg.root);
    let mirror = HttpServer::start(&sb.p("mirror"));
    let config = |mirrors: &str| {
        format!(
            "plugins:\n  providers:\n    - name: reg\n      url: {}\n      mirrors: [{mirrors}]\n      public_keys: [\"{}\"]\n  plugins:\n    - name: neo\n      provider: reg\n      version: \"^1\"\n",
            origin.url(""),
            reg.public_key
        )
    };
    sb.write("p/optimus.yaml", config(""));
    sb.install("p/optimus.yaml").ok();
    assert_eq!(installed_neo(&sb, "p"), "1.0.1");

    sb.write("p/optimus.yaml", config(&format!("\"{}\"", mirror.url(""))));
    sb.plugin(&["update", "-c", "p/optimus.yaml"])
        .expect(0, &["mirror", "older than version 2"]);
    assert_eq!(installed_neo(&sb, "p"), "1.0.1");
    assert!(sb.read("p/optimus.lock").contains("1.0.1"));
    assert_eq!(mirror.hits("index/neo.toml"), 0, "{:?}", mirror.log());
    assert!(origin.hits("index/neo.toml") > 0);
}

#[test]
fn an_index_outside_the_signed_snapshot_is_refused() {
    type Build = fn(&Sandbox) -> Registry;
    let cases: &[(&str, Build, &[&str])] = &[
        (
            // A validly signed index whose bytes the timestamp does not list (a key holder's
            // edit, or a copy mixed from two states of the registry).
            "tampered",
            |sb| {
                let reg = setup(sb, &[]);
                let ts = std::fs::read(reg.root.join("timestamp.toml")).unwrap();
                let sig = std::fs::read(reg.root.join("timestamp.toml.minisig")).unwrap();
                reg.replace_artifact("neo", "1.0.0", "optimus-plugin-neo.yaml", b"evil");
                std::fs::write(reg.root.join("timestamp.toml"), ts).unwrap();
                std::fs::write(reg.root.join("timestamp.toml.minisig"), sig).unwrap();
                reg
            },
            &[
                "index/neo.toml of registry reg",
                "listed in timestamp.toml (version 1)",
            ],
        ),
        (
            // An index served with a timestamp from before it was published.
            "not listed",
            |sb| {
                let reg = Registry::new(sb, "registry");
                reg.publish_yaml(sb, "other", "1.0.0").ok();
                let ts = std::fs::read(reg.root.join("timestamp.toml")).unwrap();
                let sig = std::fs::read(reg.root.join("timestamp.toml.minisig")).unwrap();
                reg.publish_yaml(sb, "neo", "1.0.0").ok();
                std::fs::write(reg.root.join("timestamp.toml"), ts).unwrap();
                std::fs::write(reg.root.join("timestamp.toml.minisig"), sig).unwrap();
                sb.write(
                    "p/optimus.yaml",
                    registry_config("../registry", &reg.public_key, &[("neo", "^1")]),
                );
                reg
            },
            &[
                "index/neo.toml of registry reg",
                "not listed in timestamp.toml (version 1)",
            ],
        ),
    ];
    for (label, build, want) in cases {
        let sb = Sandbox::new();
        build(&sb);
        let r = sb.install("p/optimus.yaml");
        assert!(r.code != 0, "{label}: installed:\n{}", r.stderr);
        refused(r, want);
        assert!(
            !sb.p("p/.plugins/optimus-plugin-neo.yaml").exists(),
            "{label}"
        );
    }
}

#[test]
fn published_versions_carry_no_build_metadata() {
    let sb = Sandbox::new();
    let reg = setup(&sb, &[]);
    let yaml = make_yaml(&sb, "neo", "1.0.1");
    for v in ["1.0.1+evil", "1.0.0+b"] {
        reg.publish(&sb, &[], "neo", v, &[&yaml])
            .expect(2, &["build metadata", "semver precedence"]);
    }
    assert!(!sb.read("registry/index/neo.toml").contains('+'));
}

#[test]
fn an_index_with_two_versions_equal_under_precedence_is_refused() {
    let sb = Sandbox::new();
    let reg = setup(&sb, &[]);
    // What a hostile or old publisher can sign: 1.0.0 twice, once with build metadata.
    let idx = reg.root.join("index/neo.toml");
    let text = std::fs::read_to_string(&idx).unwrap();
    let block = &text[text.find("[[version]]").unwrap()..];
    let twin = block.replace("version = \"1.0.0\"", "version = \"1.0.0+b\"");
    std::fs::write(&idx, format!("{text}\n{twin}")).unwrap();
    reg.resign("neo");
    let r = sb.install("p/optimus.yaml");
    refused(
        r,
        &["versions 1.0.0 and 1.0.0+b are equal under semver precedence"],
    );
}

#[test]
fn a_registry_without_a_timestamp_works_with_a_warning_until_one_was_seen() {
    let sb = Sandbox::new();
    let reg = setup(&sb, &[]);
    copy_dir(&reg.root, &sb.p("with-timestamp"));
    for f in ["timestamp.toml", "timestamp.toml.minisig"] {
        std::fs::remove_file(reg.root.join(f)).unwrap();
    }
    sb.install("p/optimus.yaml")
        .expect(0, &["warning", "has no timestamp.toml"]);
    assert_eq!(installed_neo(&sb, "p"), "1.0.0");

    // Once this machine has accepted a timestamp, its removal is a downgrade.
    restore(&reg, &sb.p("with-timestamp"));
    sb.plugin(&["update", "-c", "p/optimus.yaml"]).ok();
    for f in ["timestamp.toml", "timestamp.toml.minisig"] {
        std::fs::remove_file(reg.root.join(f)).unwrap();
    }
    let r = sb.plugin(&["update", "-c", "p/optimus.yaml"]);
    refused(
        r,
        &["serves no timestamp.toml, but this machine has accepted version 1"],
    );
}

#[test]
fn publish_yank_and_refresh_bump_a_signed_timestamp() {
    let sb = Sandbox::new();
    let reg = Registry::new(&sb, "registry");
    let version = || {
        let text = std::fs::read_to_string(reg.root.join("timestamp.toml")).unwrap();
        let doc: toml::Table = text.parse().unwrap();
        doc["version"].as_integer().unwrap()
    };
    type Step = fn(&Sandbox, &Registry) -> Run;
    let steps: &[(&str, Step)] = &[
        ("publish neo", |sb, reg| {
            reg.publish_yaml(sb, "neo", "1.0.0")
        }),
        ("publish bq2bq", |sb, reg| {
            reg.publish_task(sb, "bq2bq", "0.3.2", &[PLAT])
        }),
        ("yank", |sb, reg| reg.run(sb, "yank", &["neo", "1.0.0"])),
        ("refresh", |sb, reg| {
            reg.run(sb, "refresh", &["--expires-in", "36h"])
        }),
        ("un-yank", |sb, reg| {
            reg.run(sb, "yank", &["neo", "1.0.0", "--undo"])
        }),
    ];
    for (i, (label, step)) in steps.iter().enumerate() {
        step(&sb, &reg).ok();
        assert_eq!(version(), i as i64 + 1, "after {label}");
    }
    // One consistent snapshot: config.toml and every index, with their sha256.
    let text = std::fs::read_to_string(reg.root.join("timestamp.toml")).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    let meta = doc["meta"].as_table().unwrap();
    let listed: Vec<&String> = meta.keys().collect();
    assert_eq!(
        listed,
        ["config.toml", "index/bq2bq.toml", "index/neo.toml"]
    );
    for (path, sha) in meta {
        assert_eq!(
            sha.as_str().unwrap(),
            sha256_file(&reg.root.join(path)),
            "{path}"
        );
    }
    let expires = doc["expires"].as_str().unwrap();
    assert!(expires.ends_with('Z') && expires.len() == 20, "{expires}");

    // Bad durations are refused before anything is written.
    for bad in ["soon", "0s"] {
        reg.run(&sb, "refresh", &["--expires-in", bad]).fails(2);
    }
    assert_eq!(version(), 5);
    refused(
        sb.plugin(&[
            "refresh",
            "--registry",
            sb.p("nowhere").to_str().unwrap(),
            "--secret-key",
            reg.key.to_str().unwrap(),
        ]),
        &["not a registry (no config.toml)"],
    );

    // The reference tool verifies the timestamp's signature.
    let Some(ms) = minisign() else { return };
    let out = Command::new(ms)
        .arg("-Vm")
        .arg(reg.root.join("timestamp.toml"))
        .arg("-p")
        .arg(sb.p("keys/registry.pub"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "minisign -V failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("file:timestamp.toml"));
}
