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
    let r = sb.install("p/optimus.yaml").ok();
    assert!(
        r.stdout.contains("installed 1 (bq2bq 0.3.2)"),
        "{}",
        r.stdout
    );
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
    let r = sb.install("p/optimus.yaml").ok();
    assert!(r.stdout.contains("nothing to do"), "{}", r.stdout);
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
