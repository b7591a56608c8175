//! The walking skeleton end to end: registries built with keygen + publish, installed from a
//! directory and over loopback http.

use crate::common::*;

/// A registry with a yaml plugin `neo` (1.0.0, 1.1.0) and a binary plugin `bq2bq`
/// (0.3.1, 0.3.2 for linux_amd64 + darwin_arm64).
fn demo_registry(sb: &Sandbox) -> Registry {
    let reg = Registry::new(sb, "registry");
    for v in ["1.0.0", "1.1.0"] {
        reg.publish_yaml(sb, "neo", v).ok();
    }
    for v in ["0.3.1", "0.3.2"] {
        reg.publish_task(sb, "bq2bq", v, &[PLAT, "darwin_arm64"])
            .ok();
    }
    reg
}

#[test]
fn installs_from_a_directory_registry() {
    let sb = Sandbox::new();
    let reg = demo_registry(&sb);
    sb.write(
        "proj/optimus.yaml",
        registry_config(
            "../registry",
            &reg.public_key,
            &[("neo", "^1.0"), ("bq2bq", "~0.3")],
        ),
    );
    sb.install("proj/optimus.yaml").expect(0, &["installed 2"]);
    let yaml = sb.read("proj/.plugins/optimus-plugin-neo.yaml");
    assert!(yaml.contains("pluginversion: 1.1.0"));
    let bin = sb.read("proj/.plugins/optimus-bq2bq_linux_amd64");
    assert_eq!(bin, script("bq2bq", "0.3.2", "linux_amd64"));
    let lock = sb.read("proj/optimus.lock");
    assert!(lock.contains("version = \"0.3.2\""));
    // The lock's checksums are those of the real artifacts.
    let art = sb.p("registry/artifacts/bq2bq/0.3.2/optimus-bq2bq_0.3.2_linux_amd64.tar.gz");
    assert!(lock.contains(&sha256_file(&art)));
    // A second run is a no-op.
    sb.install("proj/optimus.yaml")
        .expect(0, &["nothing to do"]);
}

#[test]
fn installs_over_loopback_http_with_etag_revalidation() {
    let sb = Sandbox::new();
    let reg = demo_registry(&sb);
    let server = HttpServer::start(&reg.root);
    sb.write(
        "proj/optimus.yaml",
        registry_config(
            &server.url(""),
            &reg.public_key,
            &[("neo", "1"), ("bq2bq", "=0.3.1")],
        ),
    );
    sb.on_linux("lock", "proj/optimus.yaml").ok();
    let lock = sb.read("proj/optimus.lock");
    assert!(
        lock.contains(&server.url("artifacts/bq2bq/0.3.1/")),
        "{lock}"
    );
    // Re-resolving revalidates the cached index with If-None-Match and gets 304.
    std::fs::remove_file(sb.p("proj/optimus.lock")).unwrap();
    server.clear_log();
    sb.on_linux("lock", "proj/optimus.yaml").ok();
    let idx: Vec<_> = server
        .log()
        .into_iter()
        .filter(|r| r.path.ends_with("index/neo.toml"))
        .collect();
    assert_eq!(idx.len(), 1);
    assert!(idx[0].headers.contains_key("if-none-match"), "{:?}", idx[0]);
    sb.install("proj/optimus.yaml").ok();
    assert_eq!(
        sb.read("proj/.plugins/optimus-bq2bq_linux_amd64"),
        script("bq2bq", "0.3.1", "linux_amd64")
    );
}

#[test]
fn rfc_and_server_config_forms_with_direct_artifacts() {
    let sb = Sandbox::new();
    // An internal web server laid out as neo/<version>/optimus-plugin-neo.yaml, plus a bundle.
    sb.write(
        "web/neo/1.0.0/optimus-plugin-neo.yaml",
        yaml_plugin("neo", "1.0.0"),
    );
    let bundle = sb.p("web/plugins.zip");
    write_zip(
        &bundle,
        &[
            (
                "optimus-plugin-hello.yaml".into(),
                yaml_plugin("hello", "2.0.0").into_bytes(),
                0o644,
            ),
            (
                "bin/optimus-tool_linux_amd64".into(),
                script("tool", "1", "linux_amd64").into_bytes(),
                0o755,
            ),
            (
                "bin/optimus-tool_darwin_arm64".into(),
                script("tool", "1", "darwin_arm64").into_bytes(),
                0o755,
            ),
            ("README.md".into(), b"x".to_vec(), 0o644),
        ],
    );
    sb.write(
        "transformers/optimus-bq2bq_linux_amd64",
        script("bq2bq", "9", "linux_amd64"),
    );
    let server = HttpServer::start(&sb.p("web"));

    // The RFC's spelling: install_location, type-keyed providers, list of `- plugin:`.
    sb.write(
        "rfc/optimus.yaml",
        format!(
            "plugins:\n  install_location: out\n  providers:\n    - http:\n        name: internal\n        url: {}\n  list:\n    - plugin:\n        name: neo\n        provider: internal\n        path: \"{{name}}/{{version}}/optimus-plugin-{{name}}.yaml\"\n        version: 1.0.0\n",
            server.url("")
        ),
    );
    sb.install("rfc/optimus.yaml").ok();
    assert!(sb
        .read("rfc/out/optimus-plugin-neo.yaml")
        .contains("pluginversion: 1.0.0"));
    let lock = sb.read("rfc/optimus.lock");
    assert!(
        lock.contains(&sha256_file(&sb.p("web/neo/1.0.0/optimus-plugin-neo.yaml"))),
        "{lock}"
    );

    // The server's spelling: plugin: artifacts: [...] inside a larger config.
    sb.write(
        "srv/config.yaml",
        format!(
            "serve:\n  port: 9100\nplugin:\n  artifacts:\n    - {}\n    - ../transformers/optimus-bq2bq_linux_amd64\n",
            server.url("plugins.zip")
        ),
    );
    sb.install("srv/config.yaml").expect(0, &["installed"]);
    assert!(sb
        .read("srv/.plugins/optimus-plugin-hello.yaml")
        .contains("hello"));
    assert_eq!(
        sb.read("srv/.plugins/optimus-tool_linux_amd64"),
        script("tool", "1", "linux_amd64")
    );
    assert!(
        !sb.p("srv/.plugins/optimus-tool_darwin_arm64").exists(),
        "other platforms are skipped"
    );
    assert_eq!(
        sb.read("srv/.plugins/optimus-bq2bq_linux_amd64"),
        script("bq2bq", "9", "linux_amd64")
    );
    // Local files are copied, never linked to the source.
    assert!(
        !std::fs::symlink_metadata(sb.p("srv/.plugins/optimus-bq2bq_linux_amd64"))
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // OPTIMUS_PLUGIN_ARTIFACTS adds to the list.
    sb.write("env/config.yaml", "plugin:\n  artifacts: []\n");
    let r = sb.run_env(
        &["plugin", "install", "-c", "env/config.yaml"],
        &[(
            "OPTIMUS_PLUGIN_ARTIFACTS",
            &server.url("neo/1.0.0/optimus-plugin-neo.yaml"),
        )],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(sb.p("env/.plugins/optimus-plugin-neo.yaml").is_file());
}

#[test]
fn sha256_pins_are_enforced() {
    let sb = Sandbox::new();
    sb.write("web/optimus-plugin-neo.yaml", yaml_plugin("neo", "1.0.0"));
    let good = sha256_file(&sb.p("web/optimus-plugin-neo.yaml"));
    let bad = "0".repeat(64);
    for (pin, code) in [(bad.as_str(), 1), (good.as_str(), 0)] {
        sb.write(
            "p/optimus.yaml",
            format!("plugins:\n  providers:\n    - {{name: files, type: local, url: ../web}}\n  plugins:\n    - name: neo\n      provider: files\n      path: optimus-plugin-neo.yaml\n      sha256: \"{pin}\"\n"),
        );
        let r = sb.plugin(&["install", "-c", "p/optimus.yaml"]).fails(code);
        if code == 1 {
            assert!(
                r.stderr.contains("checksum mismatch")
                    && r.stderr.contains(&bad)
                    && r.stderr.contains(&good),
                "{}",
                r.stderr
            );
            assert!(!sb.p("p/.plugins/optimus-plugin-neo.yaml").exists());
        }
    }
}

#[test]
fn env_vars_expand_and_unset_ones_are_named() {
    let sb = Sandbox::new();
    let reg = demo_registry(&sb);
    let cfg = registry_config("${REG_DIR}", &reg.public_key, &[("neo", "*")]);
    sb.write("p/optimus.yaml", &cfg);
    sb.plugin(&["install", "-c", "p/optimus.yaml"])
        .expect(2, &["REG_DIR", "not set"]);
    assert!(
        !sb.p("p/.plugins").exists(),
        "nothing is touched on a config error"
    );
    let r = sb.run_env(
        &["plugin", "install", "-c", "p/optimus.yaml"],
        &[("REG_DIR", reg.root.to_str().unwrap())],
    );
    assert_eq!(r.code, 0, "{}", r.all());
}

#[test]
fn config_errors_name_file_line_and_exit_2() {
    let sb = Sandbox::new();
    let cases: &[(&str, &[&str])] = &[
        ("plugins:\n  providers: [\n", &["optimus.yaml:3:1:"]),
        ("plugins:\n  providers: []\n  plugins: []\n  dirr: x\n", &["optimus.yaml:4:", "dirr", "did you mean `dir`"]),
        ("plugins:\n  plugins:\n    - {name: neo, provider: nope}\n", &["unknown provider `nope`"]),
        ("plugins:\n  providers:\n    - {name: r, url: ./r, allow_unsigned: true}\n  plugins:\n    - {name: neo, provider: r, version: \"not-semver\"}\n", &["neo", "not-semver"]),
        ("plugins:\n  providers:\n    - {name: r, url: ./r, allow_unsigned: true}\n  plugins:\n    - {name: \"../x\", provider: r}\n", &["invalid plugin name", "../x"]),
        ("plugins:\n  providers:\n    - {name: r, type: ftp, url: ./r}\n", &["unknown type `ftp`"]),
        ("something: else\n", &["no `plugins:`"]),
    ];
    for (text, needles) in cases {
        sb.write("c/optimus.yaml", text);
        let r = sb.plugin(&["lock", "-c", "c/optimus.yaml"]).fails(2);
        for n in *needles {
            assert!(
                r.stderr.contains(n),
                "{text:?}: expected {n:?} in {}",
                r.stderr
            );
        }
        assert!(!r.stderr.contains("panicked"));
    }
    sb.plugin(&["install", "-c", "missing.yaml"])
        .expect(2, &["missing.yaml"]);
    sb.plugin(&["install", "--platform", "plan9_mips"])
        .expect(2, &["plan9_mips"]);
}

#[test]
fn lock_is_deterministic_multi_platform_and_re_resolves_only_changed_plugins() {
    let sb = Sandbox::new();
    let reg = demo_registry(&sb);
    sb.write(
        "p/optimus.yaml",
        registry_config(
            "../registry",
            &reg.public_key,
            &[("neo", "=1.0.0"), ("bq2bq", "=0.3.1")],
        ),
    );
    sb.plugin(&[
        "lock",
        "-c",
        "p/optimus.yaml",
        "--platform",
        "linux_amd64",
        "--platform",
        "darwin_arm64",
    ])
    .ok();
    let first = sb.read("p/optimus.lock");
    assert!(first.contains("darwin_arm64") && first.contains("linux_amd64"));
    assert!(
        !first.contains(sb.path().to_str().unwrap()),
        "paths are relative: {first}"
    );
    sb.plugin(&["lock", "-c", "p/optimus.yaml"]).ok();
    assert_eq!(
        sb.read("p/optimus.lock"),
        first,
        "locking again changes nothing and keeps platforms"
    );
    // Relax both requirements but change only neo's so that 1.0.0 no longer fits.
    sb.write(
        "p/optimus.yaml",
        registry_config(
            "../registry",
            &reg.public_key,
            &[("neo", ">=1.1"), ("bq2bq", "^0.3")],
        ),
    );
    sb.plugin(&["lock", "-c", "p/optimus.yaml"]).ok();
    let second = sb.read("p/optimus.lock");
    assert!(second.contains("version = \"1.1.0\""), "{second}");
    assert!(
        second.contains("version = \"0.3.1\""),
        "bq2bq keeps its locked version: {second}"
    );
    assert!(second.contains("requirement = \"^0.3\""));
    // --locked refuses anything to change, and says how to fix it.
    sb.write(
        "p/optimus.yaml",
        registry_config(
            "../registry",
            &reg.public_key,
            &[("neo", ">=1.1"), ("bq2bq", "^0.3"), ("extra", "*")],
        ),
    );
    sb.plugin(&["install", "-c", "p/optimus.yaml", "--locked"])
        .expect(2, &["extra", "optimus-plugins lock"]);
    assert_eq!(
        sb.read("p/optimus.lock"),
        second,
        "--locked never writes the lock"
    );
}

#[test]
fn tampered_index_wrong_key_and_missing_signature_are_refused() {
    let sb = Sandbox::new();
    let reg = demo_registry(&sb);
    let other = Registry::new(&sb, "other");
    sb.write(
        "p/optimus.yaml",
        registry_config(
            "../registry",
            &reg.public_key,
            &[("neo", "*"), ("bq2bq", "*")],
        ),
    );
    sb.install("p/optimus.yaml").ok();
    let before = sb.read("p/.plugins/optimus-plugin-neo.yaml");
    std::fs::remove_file(sb.p("p/optimus.lock")).unwrap();

    // Tampered: a byte of the index changes.
    let idx = reg.root.join("index/neo.toml");
    let orig = std::fs::read_to_string(&idx).unwrap();
    std::fs::write(&idx, orig.replace("1.1.0", "1.1.1")).unwrap();
    sb.install("p/optimus.yaml")
        .expect(1, &["neo", "registry reg", "signature"]);
    assert_eq!(sb.read("p/.plugins/optimus-plugin-neo.yaml"), before);
    std::fs::write(&idx, &orig).unwrap();

    // Wrong key pinned: the signature names a key that is not pinned.
    sb.write(
        "q/optimus.yaml",
        registry_config("../registry", &other.public_key, &[("neo", "*")]),
    );
    sb.plugin(&["install", "-c", "q/optimus.yaml"])
        .expect(1, &["not pinned"]);
    assert!(!sb.p("q/.plugins/optimus-plugin-neo.yaml").exists());

    // Key rotation: pinning both keys works.
    sb.write(
        "q/optimus.yaml",
        format!("plugins:\n  providers:\n    - name: reg\n      url: ../registry\n      public_keys: [\"{}\", \"{}\"]\n  plugins:\n    - {{name: neo, provider: reg}}\n", other.public_key, reg.public_key),
    );
    sb.plugin(&["install", "-c", "q/optimus.yaml"]).ok();

    // Missing signature.
    let sig = reg.root.join("index/neo.toml.minisig");
    let sig_text = std::fs::read(&sig).unwrap();
    std::fs::remove_file(&sig).unwrap();
    std::fs::remove_file(sb.p("q/optimus.lock")).unwrap();
    sb.plugin(&["install", "-c", "q/optimus.yaml"])
        .expect(1, &["missing signature"]);
    std::fs::write(&sig, sig_text).unwrap();

    // An index swapped for another plugin's (validly signed) index.
    std::fs::copy(reg.root.join("index/bq2bq.toml"), &idx).unwrap();
    std::fs::copy(reg.root.join("index/bq2bq.toml.minisig"), &sig).unwrap();
    sb.plugin(&["install", "-c", "q/optimus.yaml"])
        .expect(1, &["not `neo`"]);

    // No keys and no allow_unsigned: a config error. allow_unsigned: a warning.
    sb.write("u/optimus.yaml", "plugins:\n  providers:\n    - {name: reg, url: ../registry}\n  plugins:\n    - {name: bq2bq, provider: reg}\n");
    sb.plugin(&["install", "-c", "u/optimus.yaml"])
        .expect(2, &["allow_unsigned"]);
    sb.write("u/optimus.yaml", "plugins:\n  providers:\n    - {name: reg, url: ../registry, allow_unsigned: true}\n  plugins:\n    - {name: bq2bq, provider: reg}\n");
    sb.install("u/optimus.yaml").expect(0, &["unsigned"]);
}

#[test]
fn replaced_artifacts_and_edited_locks_change_nothing() {
    let sb = Sandbox::new();
    let reg = demo_registry(&sb);
    sb.write(
        "p/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("bq2bq", "=0.3.1")]),
    );
    sb.install("p/optimus.yaml").ok();
    let installed = sb.read("p/.plugins/optimus-bq2bq_linux_amd64");

    // The registry's 0.3.2 artifact is replaced after publishing: checksum mismatch.
    let art = reg
        .root
        .join("artifacts/bq2bq/0.3.2/optimus-bq2bq_0.3.2_linux_amd64.tar.gz");
    let expected = sha256_file(&art);
    let _ = &expected;
    let evil = sb.p("evil.tar.gz");
    write_targz(
        &evil,
        &[(
            "optimus-bq2bq_linux_amd64".into(),
            b"#!/bin/sh\necho pwned\n".to_vec(),
            0o755,
        )],
    );
    std::fs::copy(&evil, &art).unwrap();
    sb.write(
        "p/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("bq2bq", "=0.3.2")]),
    );
    let r = sb
        .install("p/optimus.yaml")
        .expect(1, &["optimus-bq2bq_0.3.2_linux_amd64.tar.gz"]);
    // A different size is caught before hashing; a same-size swap by the hash (both name the URL).
    assert!(
        r.stderr.contains("176") || r.stderr.contains(&expected),
        "{}",
        r.stderr
    );
    assert_eq!(sb.read("p/.plugins/optimus-bq2bq_linux_amd64"), installed);
    assert!(std::fs::read_dir(sb.p("p/.plugins")).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with(".optimus-tmp")));

    // The failed install left the lock as it was (still 0.3.1).
    assert!(sb.read("p/optimus.lock").contains("version = \"0.3.1\""));

    // A lock edited to point at another artifact with its matching hash is refused against
    // the signed index.
    sb.write(
        "p/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("bq2bq", "=0.3.1")]),
    );
    let lock = sb.read("p/optimus.lock");
    let real = sha256_file(
        &reg.root
            .join("artifacts/bq2bq/0.3.1/optimus-bq2bq_0.3.1_linux_amd64.tar.gz"),
    );
    let evil_in_reg = reg.root.join("artifacts/bq2bq/0.3.1/evil.tar.gz");
    std::fs::copy(&evil, &evil_in_reg).unwrap();
    let edited = lock
        .replace("optimus-bq2bq_0.3.1_linux_amd64.tar.gz", "evil.tar.gz")
        .replace(&real, &sha256_file(&evil));
    sb.write("p/optimus.lock", &edited);
    std::fs::remove_dir_all(sb.p("p/.plugins")).unwrap();
    sb.install("p/optimus.yaml")
        .expect(1, &["does not match the signed index"]);
    assert!(!sb.p("p/.plugins/optimus-bq2bq_linux_amd64").exists());
}

#[test]
fn resolution_rules_yanked_prerelease_and_helpful_errors() {
    let sb = Sandbox::new();
    let reg = demo_registry(&sb);
    let a = make_targz(&sb, "bq2bq", "0.4.0-rc.1", "linux_amd64");
    reg.publish(&sb, &["--binary-only"], "bq2bq", "0.4.0-rc.1", &[&a])
        .ok();
    let cfg = |req: &str| registry_config("../registry", &reg.public_key, &[("bq2bq", req)]);
    let lock_version = |sb: &Sandbox| {
        let l = sb.read("p/optimus.lock");
        l.lines()
            .find(|l| l.starts_with("version = \""))
            .unwrap()
            .to_string()
    };
    sb.write("p/optimus.yaml", cfg("*"));
    sb.on_linux("lock", "p/optimus.yaml").ok();
    assert_eq!(
        lock_version(&sb),
        "version = \"0.3.2\"",
        "no pre-release unless asked"
    );
    sb.write("p/optimus.yaml", cfg(">=0.4.0-rc.1"));
    sb.plugin(&["lock", "-c", "p/optimus.yaml"]).ok();
    assert_eq!(lock_version(&sb), "version = \"0.4.0-rc.1\"");

    // A yanked version is not picked, but a lock that has it still installs.
    sb.write("p/optimus.yaml", cfg("^0.3"));
    std::fs::remove_file(sb.p("p/optimus.lock")).unwrap();
    sb.on_linux("lock", "p/optimus.yaml").ok();
    let locked = sb.read("p/optimus.lock");
    reg.run(&sb, "yank", &["bq2bq", "0.3.2"]).ok();
    sb.install("p/optimus.yaml").ok();
    assert_eq!(sb.read("p/optimus.lock"), locked);
    assert_eq!(
        sb.read("p/.plugins/optimus-bq2bq_linux_amd64"),
        script("bq2bq", "0.3.2", "linux_amd64")
    );
    std::fs::remove_file(sb.p("p/optimus.lock")).unwrap();
    sb.plugin(&["lock", "-c", "p/optimus.yaml"]).ok();
    assert_eq!(lock_version(&sb), "version = \"0.3.1\"");

    // Nothing satisfies: the available versions are listed.
    sb.write("p/optimus.yaml", cfg("^9"));
    sb.plugin(&["lock", "-c", "p/optimus.yaml"])
        .expect(1, &["no version satisfies", "0.3.2 (yanked)", "0.3.1"]);
    // No artifact for the platform: the platforms are listed.
    sb.write("p/optimus.yaml", cfg("=0.3.1"));
    sb.plugin(&[
        "lock",
        "-c",
        "p/optimus.yaml",
        "--platform",
        "windows_amd64",
    ])
    .expect(1, &["windows_amd64", "linux_amd64, darwin_arm64"]);
    // Unknown plugin in the registry.
    sb.write(
        "p/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("nosuch", "*")]),
    );
    sb.plugin(&["lock", "-c", "p/optimus.yaml"])
        .expect(1, &["nosuch", "not in registry reg"]);
}

#[test]
fn publish_rules() {
    let sb = Sandbox::new();
    let reg = demo_registry(&sb);
    // Immutable versions.
    reg.publish(&sb, &[], "neo", "1.0.0", &[&make_yaml(&sb, "neo", "1.0.0")])
        .expect(1, &["already published"]);
    // PLATFORM=PATH for a file whose name says nothing.
    let odd = sb.p("build/odd.tgz");
    write_targz(
        &odd,
        &[(
            "optimus-bq2bq".into(),
            script("bq2bq", "0.5.0", "linux_arm64").into_bytes(),
            0o755,
        )],
    );
    let arg = format!("linux_arm64={}", odd.display());
    reg.run(&sb, "publish", &["--binary-only", "bq2bq", "0.5.0", &arg])
        .ok();
    assert!(reg.root.join("artifacts/bq2bq/0.5.0/odd.tgz").is_file());
    // An archive holding another plugin is refused (a goreleaser release name says nothing
    // about the plugins inside; its content does), as is an archive with no plugin binary.
    reg.publish(
        &sb,
        &[],
        "neo",
        "2.0.0",
        &[&make_targz(&sb, "bq2bq", "2.0.0", "linux_amd64")],
    )
    .expect(2, &["no file named", "neo"]);
    let empty = sb.p("build/optimus-neo_linux_amd64.tar.gz");
    write_targz(&empty, &[("README.md".into(), b"x".to_vec(), 0o644)]);
    reg.publish(&sb, &[], "neo", "2.0.0", &[&empty])
        .expect(2, &["no file named"]);
    // A new plugin needs its type unless a yaml artifact says it.
    reg.publish(
        &sb,
        &["--binary-only"],
        "fresh",
        "1.0.0",
        &[&make_targz(&sb, "fresh", "1.0.0", "linux_amd64")],
    )
    .expect(2, &["--type"]);
    // A yaml plugin no Optimus would load is refused with the problem, its line and
    // Optimus's own words.
    let bad = sb.write(
        "build/optimus-plugin-broken.yaml",
        "name: broken\nplugintype: sometimes\n",
    );
    let r = reg.publish(&sb, &[], "broken", "1.0.0", &[&bad]).fails(2);
    assert!(
        r.stderr.contains(":1:1:")
            && r.stderr
                .contains("optimus says: plugin image cannot be empty"),
        "{}",
        r.stderr
    );
    assert!(!reg.root.join("index/broken.toml").exists());
}

#[test]
fn undeclared_plugins_are_removed_but_unmanaged_files_are_not_touched() {
    let sb = Sandbox::new();
    let reg = demo_registry(&sb);
    sb.write(
        "p/optimus.yaml",
        registry_config(
            "../registry",
            &reg.public_key,
            &[("neo", "*"), ("bq2bq", "*")],
        ),
    );
    sb.install("p/optimus.yaml").ok();
    sb.write("p/.plugins/optimus-mine_linux_amd64", "my own plugin");
    sb.write("p/.plugins/notes.txt", "keep me");
    sb.write(
        "p/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("neo", "*")]),
    );
    sb.install("p/optimus.yaml")
        .expect(0, &["removed 1 (bq2bq)"]);
    assert!(!sb.p("p/.plugins/optimus-bq2bq_linux_amd64").exists());
    assert!(!sb.read("p/optimus.lock").contains("bq2bq"));
    assert_eq!(
        sb.read("p/.plugins/optimus-mine_linux_amd64"),
        "my own plugin"
    );
    assert_eq!(sb.read("p/.plugins/notes.txt"), "keep me");
    assert!(sb.p("p/.plugins/optimus-plugin-neo.yaml").exists());
}

#[test]
fn an_empty_plugin_dir_variable_means_the_default() {
    let sb = Sandbox::new();
    let reg = demo_registry(&sb);
    sb.write(
        "p/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("neo", "*")]),
    );
    let r = sb.run_env(
        &["plugin", "install", "-c", "p/optimus.yaml"],
        &[("OPTIMUS_PLUGIN_DIR", "")],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(sb.p("p/.plugins/optimus-plugin-neo.yaml").is_file());
    let other = sb.p("elsewhere");
    let r = sb.run_env(
        &["plugin", "install", "-c", "p/optimus.yaml"],
        &[("OPTIMUS_PLUGIN_DIR", other.to_str().unwrap())],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(other.join("optimus-plugin-neo.yaml").is_file());
}

#[test]
fn an_installed_file_edited_in_place_never_reaches_another_project() {
    let sb = Sandbox::new();
    let reg = demo_registry(&sb);
    let cfg = registry_config("../registry", &reg.public_key, &[("bq2bq", "=0.3.2")]);
    sb.write("one/optimus.yaml", &cfg);
    sb.install("one/optimus.yaml").ok();
    // Edit the installed binary in place, same length (the cache's copy is the same inode
    // when hard-linked, and a size check alone cannot see it).
    std::thread::sleep(std::time::Duration::from_millis(20));
    {
        use std::io::{Seek, Write};
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(sb.p("one/.plugins/optimus-bq2bq_linux_amd64"))
            .unwrap();
        f.seek(std::io::SeekFrom::Start(10)).unwrap();
        f.write_all(b"PWNED").unwrap();
    }
    sb.write("two/optimus.yaml", &cfg);
    std::fs::copy(sb.p("one/optimus.lock"), sb.p("two/optimus.lock")).unwrap();
    let r = sb
        .plugin(&[
            "-v",
            "install",
            "-c",
            "two/optimus.yaml",
            "--platform",
            "linux_amd64",
        ])
        .ok();
    assert_eq!(
        sb.read("two/.plugins/optimus-bq2bq_linux_amd64"),
        script("bq2bq", "0.3.2", "linux_amd64"),
        "{}",
        r.all()
    );
    sb.on_linux("verify", "two/optimus.yaml").ok();
    // And the edited project is restored by its next install.
    sb.install("one/optimus.yaml").ok();
    assert_eq!(
        sb.read("one/.plugins/optimus-bq2bq_linux_amd64"),
        script("bq2bq", "0.3.2", "linux_amd64")
    );
}

#[test]
fn concurrent_lock_and_install_both_land_in_the_lock() {
    let sb = Sandbox::new();
    let reg = demo_registry(&sb);
    sb.write(
        "p/optimus.yaml",
        registry_config(
            "../registry",
            &reg.public_key,
            &[("bq2bq", "*"), ("neo", "*")],
        ),
    );
    for round in 0..4 {
        let _ = std::fs::remove_file(sb.p("p/optimus.lock"));
        let spawn = |args: &[&str]| {
            sb.command(args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let a = spawn(&[
            "plugin",
            "lock",
            "-c",
            "p/optimus.yaml",
            "--platform",
            "darwin_arm64",
        ]);
        let b = spawn(&[
            "plugin",
            "install",
            "-c",
            "p/optimus.yaml",
            "--platform",
            "linux_amd64",
        ]);
        for k in [a, b] {
            let out = k.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let lock = sb.read("p/optimus.lock");
        assert!(
            lock.contains("darwin_arm64") && lock.contains("linux_amd64"),
            "round {round}: an update was lost:\n{lock}"
        );
    }
}
