//! The walking skeleton end to end: registries built with keygen + publish, installed from a
//! directory and over loopback http.

mod common;
use common::*;

/// A registry with a yaml plugin `neo` (1.0.0, 1.1.0) and a binary plugin `bq2bq`
/// (0.3.1, 0.3.2 for linux_amd64 + darwin_arm64).
fn demo_registry(sb: &Sandbox) -> Registry {
    let reg = Registry::new(sb, "registry");
    for v in ["1.0.0", "1.1.0"] {
        reg.publish(sb, &[], "neo", v, &[&make_yaml(sb, "neo", v)])
            .ok();
    }
    for v in ["0.3.1", "0.3.2"] {
        let a = make_targz(sb, "bq2bq", v, "linux_amd64");
        let b = make_targz(sb, "bq2bq", v, "darwin_arm64");
        reg.publish(sb, &["--type", "task"], "bq2bq", v, &[&a, &b])
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
    let r = sb
        .plugin(&[
            "install",
            "-c",
            "proj/optimus.yaml",
            "--platform",
            "linux_amd64",
        ])
        .ok();
    assert!(r.stdout.contains("installed 2"), "{}", r.stdout);
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
    let r = sb
        .plugin(&[
            "install",
            "-c",
            "proj/optimus.yaml",
            "--platform",
            "linux_amd64",
        ])
        .ok();
    assert!(r.stdout.contains("nothing to do"), "{}", r.stdout);
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
    sb.plugin(&[
        "lock",
        "-c",
        "proj/optimus.yaml",
        "--platform",
        "linux_amd64",
    ])
    .ok();
    let lock = sb.read("proj/optimus.lock");
    assert!(
        lock.contains(&server.url("artifacts/bq2bq/0.3.1/")),
        "{lock}"
    );
    // Re-resolving revalidates the cached index with If-None-Match and gets 304.
    std::fs::remove_file(sb.p("proj/optimus.lock")).unwrap();
    server.clear_log();
    sb.plugin(&[
        "lock",
        "-c",
        "proj/optimus.yaml",
        "--platform",
        "linux_amd64",
    ])
    .ok();
    let idx: Vec<_> = server
        .log()
        .into_iter()
        .filter(|r| r.path.ends_with("index/neo.toml"))
        .collect();
    assert_eq!(idx.len(), 1);
    assert!(idx[0].headers.contains_key("if-none-match"), "{:?}", idx[0]);
    sb.plugin(&[
        "install",
        "-c",
        "proj/optimus.yaml",
        "--platform",
        "linux_amd64",
    ])
    .ok();
    assert_eq!(
        sb.read("proj/.plugins/optimus-bq2bq_linux_amd64"),
        script("bq2bq", "0.3.1", "linux_amd64")
    );
}
