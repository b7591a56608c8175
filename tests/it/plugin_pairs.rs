//! A binary plugin shipped as Optimus plugins are (a goreleaser archive holding
//! `optimus-<name>_<os>_<arch>` and `optimus-plugin-<name>.yaml`, as raystack/transformers
//! releases do): installing it installs both, because Optimus v0.7 refuses to start with a
//! binary plugin that has no yaml of the same name.

use crate::common::*;

fn pair_registry(sb: &Sandbox) -> Registry {
    let reg = Registry::new(sb, "registry");
    let archive = sb.p("build/bq2bq/0.3.2/optimus-bq2bq_0.3.2_linux_amd64.tar.gz");
    write_targz(
        &archive,
        &[
            (
                "optimus-bq2bq_linux_amd64".into(),
                script("bq2bq", "0.3.2", PLAT).into_bytes(),
                0o755,
            ),
            (
                "optimus-plugin-bq2bq.yaml".into(),
                yaml_plugin("bq2bq", "0.3.2").into_bytes(),
                0o644,
            ),
            ("README.md".into(), b"readme\n".to_vec(), 0o644),
        ],
    );
    reg.publish(sb, &["--type", "task"], "bq2bq", "0.3.2", &[&archive])
        .ok();
    reg
}

fn list_json(sb: &Sandbox, dir: &str) -> serde_json::Value {
    let r = sb
        .run_in(
            &sb.p(dir),
            &["plugin", "list", "--json", "--platform", PLAT],
            &[],
        )
        .ok();
    serde_json::from_str(&r.stdout).unwrap()
}

#[test]
fn a_binary_and_its_yaml_install_together_cold_warm_and_after_a_deletion() {
    let sb = Sandbox::new();
    let reg = pair_registry(&sb);
    let root = reg.root.display().to_string();
    let config = registry_config(&root, &reg.public_key, &[("bq2bq", "*")]);
    sb.write("p/optimus.yaml", &config);
    sb.install("p/optimus.yaml")
        .expect(0, &["installed 1 (bq2bq 0.3.2)"]);
    assert_eq!(
        sb.read("p/.plugins/optimus-bq2bq_linux_amd64"),
        script("bq2bq", "0.3.2", PLAT)
    );
    assert_eq!(
        sb.read("p/.plugins/optimus-plugin-bq2bq.yaml"),
        yaml_plugin("bq2bq", "0.3.2")
    );
    // Optimus (raystack v0.7) would start and load bq2bq: no startup error.
    let j = list_json(&sb, "p");
    assert_eq!(j["startup_errors"], serde_json::json!([]), "{j}");
    // A no-op the second time; both files are receipted, so a deleted yaml comes back.
    sb.install("p/optimus.yaml").expect(0, &["nothing to do"]);
    std::fs::remove_file(sb.p("p/.plugins/optimus-plugin-bq2bq.yaml")).unwrap();
    sb.install("p/optimus.yaml").ok();
    assert!(sb.p("p/.plugins/optimus-plugin-bq2bq.yaml").exists());
    sb.plugin(&["verify", "-c", "p/optimus.yaml", "--platform", PLAT])
        .ok();

    // Warm: a fresh project on this machine gets both, from the cached artifact.
    sb.write("q/optimus.yaml", &config);
    std::fs::copy(sb.p("p/optimus.lock"), sb.p("q/optimus.lock")).unwrap();
    sb.install("q/optimus.yaml").ok();
    assert!(sb.p("q/.plugins/optimus-bq2bq_linux_amd64").exists());
    assert_eq!(
        sb.read("q/.plugins/optimus-plugin-bq2bq.yaml"),
        yaml_plugin("bq2bq", "0.3.2")
    );

    // Removing the plugin removes both files.
    sb.plugin(&["remove", "-c", "q/optimus.yaml", "bq2bq"]).ok();
    assert!(!sb.p("q/.plugins/optimus-bq2bq_linux_amd64").exists());
    assert!(!sb.p("q/.plugins/optimus-plugin-bq2bq.yaml").exists());
}

/// `publish big 1.0.0 optimus-big_linux_amd64 optimus-plugin-big.yaml`, as the issue has it:
/// a raw binary and its yaml, two artifacts of one version.
fn binary_and_yaml_registry(sb: &Sandbox) -> Registry {
    let reg = Registry::new(sb, "registry");
    let bin = sb.write(
        "build/big/optimus-big_linux_amd64",
        script("big", "1.0.0", PLAT),
    );
    let yaml = sb.write(
        "build/big/optimus-plugin-big.yaml",
        yaml_plugin("big", "1.0.0"),
    );
    reg.publish(sb, &[], "big", "1.0.0", &[&bin, &yaml])
        .expect(0, &["big 1.0.0 (2 artifact(s))"]);
    reg
}

#[test]
fn a_binary_and_its_yaml_published_as_one_version_are_locked_and_installed_together() {
    let sb = Sandbox::new();
    let reg = binary_and_yaml_registry(&sb);
    let config = registry_config("../registry", &reg.public_key, &[("big", "1")]);
    sb.write("p/optimus.yaml", &config);
    sb.install("p/optimus.yaml")
        .expect(0, &["installed 1 (big 1.0.0)"]);
    // One lock entry, two artifacts: the yaml (any) and the linux binary.
    let lock: toml::Table = sb.read("p/optimus.lock").parse().unwrap();
    let entries = lock["plugin"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{lock}");
    let platforms: Vec<&str> = entries[0]["artifact"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["platform"].as_str().unwrap())
        .collect();
    assert_eq!(platforms, ["any", PLAT]);
    assert_eq!(
        sb.read("p/.plugins/optimus-big_linux_amd64"),
        script("big", "1.0.0", PLAT)
    );
    assert_eq!(
        sb.read("p/.plugins/optimus-plugin-big.yaml"),
        yaml_plugin("big", "1.0.0")
    );
    let j = list_json(&sb, "p");
    assert_eq!(j["startup_errors"], serde_json::json!([]), "{j}");
    let ok: Vec<&str> = j["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["status"] == "ok")
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(ok, ["binary", "yaml"], "{j}");
    sb.plugin(&["verify", "-c", "p/optimus.yaml", "--platform", PLAT])
        .expect(0, &["verified 2 file(s)"]);
    sb.install("p/optimus.yaml").expect(0, &["nothing to do"]);

    // Either file gone: verify names it, install brings it back.
    std::fs::remove_file(sb.p("p/.plugins/optimus-big_linux_amd64")).unwrap();
    sb.plugin(&["verify", "-c", "p/optimus.yaml", "--platform", PLAT])
        .expect(1, &["missing", "optimus-big_linux_amd64"]);
    sb.install("p/optimus.yaml").expect(0, &["installed 1"]);
    assert!(sb.p("p/.plugins/optimus-big_linux_amd64").is_file());

    // Warm, in a fresh project: both, from the cache.
    sb.write("q/optimus.yaml", &config);
    std::fs::copy(sb.p("p/optimus.lock"), sb.p("q/optimus.lock")).unwrap();
    sb.install("q/optimus.yaml").ok();
    assert!(sb.p("q/.plugins/optimus-big_linux_amd64").is_file());
    assert!(sb.p("q/.plugins/optimus-plugin-big.yaml").is_file());

    // A client's `sync` takes the yaml alone.
    sb.write("c/optimus.yaml", &config);
    std::fs::copy(sb.p("p/optimus.lock"), sb.p("c/optimus.lock")).unwrap();
    sb.plugin(&["sync", "-c", "c/optimus.yaml"]).ok();
    let names: Vec<String> = std::fs::read_dir(sb.p("c/.plugins"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("optimus-"))
        .collect();
    assert_eq!(names, ["optimus-plugin-big.yaml"]);

    // A platform with no binary gets the yaml alone; the lock keeps one entry.
    sb.plugin(&["lock", "-c", "p/optimus.yaml", "--platform", "darwin_arm64"])
        .ok();
    sb.write("d/optimus.yaml", &config);
    std::fs::copy(sb.p("p/optimus.lock"), sb.p("d/optimus.lock")).unwrap();
    sb.plugin(&[
        "install",
        "-c",
        "d/optimus.yaml",
        "--locked",
        "--platform",
        "darwin_arm64",
    ])
    .expect(0, &["installed 1 (big 1.0.0)"]);
    assert!(sb.p("d/.plugins/optimus-plugin-big.yaml").is_file());
    assert!(!sb.p("d/.plugins/optimus-big_darwin_arm64").exists());

    // A mirror carries both artifacts, and installs from it get both.
    sb.plugin(&["mirror", "-c", "p/optimus.yaml", "--output", "m"])
        .expect(0, &["2 artifact(s)"]);
    sb.write("e/optimus.yaml", &config);
    std::fs::copy(sb.p("p/optimus.lock"), sb.p("e/optimus.lock")).unwrap();
    let r = sb.run_env(
        &[
            "plugin",
            "install",
            "-c",
            "e/optimus.yaml",
            "--platform",
            PLAT,
            "--offline",
            "--mirror",
            "m",
        ],
        &[("OPTIMUS_CACHE_DIR", sb.p("cache-e").to_str().unwrap())],
    );
    r.expect(0, &["installed 1 (big 1.0.0)"]);
    assert!(sb.p("e/.plugins/optimus-big_linux_amd64").is_file());
    assert!(sb.p("e/.plugins/optimus-plugin-big.yaml").is_file());
}

#[test]
fn an_archive_shipping_the_yaml_the_version_also_publishes_installs_one_yaml() {
    let sb = Sandbox::new();
    let reg = Registry::new(&sb, "registry");
    let archive = sb.p("build/big/optimus-big_1.0.0_linux_amd64.tar.gz");
    write_targz(
        &archive,
        &[
            (
                "optimus-big_linux_amd64".into(),
                script("big", "1.0.0", PLAT).into_bytes(),
                0o755,
            ),
            (
                "optimus-plugin-big.yaml".into(),
                b"name: big\n# the archive's copy\nplugintype: task\npluginversion: 1.0.0\nimage: x/big:1\nentrypoint:\n  script: run\n".to_vec(),
                0o644,
            ),
        ],
    );
    let yaml = sb.write(
        "build/big/optimus-plugin-big.yaml",
        yaml_plugin("big", "1.0.0"),
    );
    reg.publish(&sb, &[], "big", "1.0.0", &[&archive, &yaml])
        .ok();
    sb.write(
        "p/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("big", "*")]),
    );
    sb.install("p/optimus.yaml").ok();
    // The yaml artifact's bytes, not the archive's copy.
    assert_eq!(
        sb.read("p/.plugins/optimus-plugin-big.yaml"),
        yaml_plugin("big", "1.0.0")
    );
    assert!(sb.p("p/.plugins/optimus-big_linux_amd64").is_file());
    assert!(leftovers(&sb.p("p/.plugins")).is_empty());
    sb.plugin(&["verify", "-c", "p/optimus.yaml", "--platform", PLAT])
        .expect(0, &["verified 2 file(s)"]);
    sb.install("p/optimus.yaml").expect(0, &["nothing to do"]);
}

#[test]
fn a_lock_that_holds_only_the_yaml_of_a_pair_says_the_binary_is_published_too() {
    let sb = Sandbox::new();
    let reg = binary_and_yaml_registry(&sb);
    sb.write(
        "p/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("big", "*")]),
    );
    sb.plugin(&["lock", "-c", "p/optimus.yaml", "--platform", PLAT])
        .ok();
    // What an older optimus locked: the yaml alone.
    let lock = sb.read("p/optimus.lock");
    let cut = lock.rfind("[[plugin.artifact]]").unwrap();
    assert!(lock[cut..].contains(PLAT), "{lock}");
    sb.write("p/optimus.lock", &lock[..cut]);
    sb.install("p/optimus.yaml").expect(
        0,
        &[
            "locked with its yaml alone",
            "also publishes its linux_amd64 binary",
            "optimus-plugins update big",
        ],
    );
    sb.plugin(&["update", "-c", "p/optimus.yaml", "big", "--no-install"])
        .ok();
    sb.install("p/optimus.yaml").ok();
    assert!(sb.p("p/.plugins/optimus-big_linux_amd64").is_file());
}

#[test]
fn a_pair_locked_for_one_platform_is_not_taken_as_yaml_only_on_another() {
    let sb = Sandbox::new();
    let reg = Registry::new(&sb, "registry");
    let mut files = vec![sb.write(
        "build/big/optimus-plugin-big.yaml",
        yaml_plugin("big", "2.0.0"),
    )];
    for p in [PLAT, "darwin_arm64"] {
        files.push(sb.write(
            &format!("build/big/optimus-big_{p}"),
            script("big", "2.0.0", p),
        ));
    }
    let refs: Vec<&std::path::Path> = files.iter().map(|f| f.as_path()).collect();
    reg.publish(&sb, &[], "big", "2.0.0", &refs).ok();
    sb.write(
        "p/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("big", "2")]),
    );
    sb.install("p/optimus.yaml").ok();
    // Locked on linux: darwin is not locked yet (its binary exists), so --locked refuses it...
    let mac = |extra: &[&str]| {
        let mut a = vec![
            "install",
            "-c",
            "p/optimus.yaml",
            "--platform",
            "darwin_arm64",
        ];
        a.extend_from_slice(extra);
        sb.plugin(&a)
    };
    mac(&["--locked"]).expect(2, &["big: the lock has no artifact for darwin_arm64"]);
    // ...and a plain install locks and installs darwin's binary, not the yaml alone.
    mac(&[]).expect(0, &["installed 1 (big 2.0.0)"]);
    assert_eq!(
        sb.read("p/.plugins/optimus-big_darwin_arm64"),
        script("big", "2.0.0", "darwin_arm64")
    );
    // A platform without a binary is recorded as such, and then counts as locked.
    sb.plugin(&["lock", "-c", "p/optimus.yaml", "--platform", "linux_arm64"])
        .ok();
    assert!(sb
        .read("p/optimus.lock")
        .contains("no_binary = [\"linux_arm64\"]"));
    sb.write("q/optimus.yaml", sb.read("p/optimus.yaml"));
    std::fs::copy(sb.p("p/optimus.lock"), sb.p("q/optimus.lock")).unwrap();
    sb.plugin(&[
        "install",
        "-c",
        "q/optimus.yaml",
        "--locked",
        "--platform",
        "linux_arm64",
    ])
    .expect(0, &["installed 1 (big 2.0.0)"]);
    assert!(sb.p("q/.plugins/optimus-plugin-big.yaml").is_file());
    assert!(!sb.p("q/.plugins/optimus-big_linux_arm64").exists());
}
