//! `sync --host URL`: the yaml bundle an Optimus server serves at /plugins, fetched from a real
//! loopback server; junk, errors and invalid plugins change nothing. The bundle itself comes
//! from `install --yaml-bundle`, as a server would write it.

use crate::common::*;
use std::collections::BTreeMap;
use std::path::Path;

/// File name -> content of every file in a directory (receipts included).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.path().is_file() {
                m.insert(
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                );
            }
        }
    }
    m
}

/// A server-side project that installs neo and predator from a registry and writes the bundle
/// into `<sandbox>/www/plugins`, which the loopback server serves.
fn server_bundle(sb: &Sandbox) -> HttpServer {
    let reg = Registry::new(sb, "registry");
    for n in ["neo", "predator"] {
        reg.publish_yaml(sb, n, "1.0.0").ok();
    }
    sb.write(
        "server/optimus.yaml",
        registry_config(
            "../registry",
            &reg.public_key,
            &[("neo", "1"), ("predator", "1")],
        ),
    );
    std::fs::create_dir_all(sb.p("www")).unwrap();
    sb.plugin(&[
        "install",
        "-c",
        "server/optimus.yaml",
        "--yaml-bundle",
        sb.p("www/plugins").to_str().unwrap(),
    ])
    .expect(0, &["wrote 2 yaml plugin(s)"]);
    HttpServer::start(&sb.p("www"))
}

#[test]
fn syncs_the_bundle_written_by_install_yaml_bundle() {
    let sb = Sandbox::new();
    let server = server_bundle(&sb);
    let r = sb
        .sync_host(&server)
        .expect(0, &["synced 2 yaml plugin(s)"]);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert_eq!(server.hits("/plugins"), 1);
    assert_eq!(
        sb.read("client/.plugins/optimus-plugin-neo.yaml"),
        yaml_plugin("neo", "1.0.0")
    );
    assert_eq!(
        sb.read("client/.plugins/optimus-plugin-predator.yaml"),
        yaml_plugin("predator", "1.0.0")
    );
    // The server drops predator: the next sync removes it, and keeps a hand-made plugin.
    sb.write(
        "client/.plugins/optimus-plugin-mine.yaml",
        yaml_plugin("mine", "1"),
    );
    write_zip(
        &sb.p("www/plugins"),
        &[(
            "optimus-plugin-neo.yaml".into(),
            yaml_plugin("neo", "1.1.0").into_bytes(),
            0o644,
        )],
    );
    sb.sync_host(&server).expect(0, &["removed 1"]);
    assert!(!sb
        .p("client/.plugins/optimus-plugin-predator.yaml")
        .exists());
    assert_eq!(
        sb.read("client/.plugins/optimus-plugin-neo.yaml"),
        yaml_plugin("neo", "1.1.0")
    );
    assert!(sb.p("client/.plugins/optimus-plugin-mine.yaml").exists());
}

#[test]
fn bad_downloads_change_nothing() {
    let sb = Sandbox::new();
    let server = server_bundle(&sb);
    sb.sync_host(&server).ok();
    let before = snapshot(&sb.p("client/.plugins"));
    assert_eq!(
        before.len(),
        4,
        "two plugins, the receipts and the lock file: {:?}",
        before.keys()
    );

    let cases: Vec<(&str, Vec<Fault>, &str)> = vec![
        (
            "junk",
            vec![Fault::Replace(b"<html>not a zip</html>".to_vec())],
            "not a zip",
        ),
        ("404", vec![Fault::Status(404, None)], "404"),
        ("500", vec![Fault::Status(500, None); 10], "500"),
        ("truncated", vec![Fault::Truncate(40); 10], "cut short"),
    ];
    for (what, faults, msg) in cases {
        server.fault("/plugins", faults);
        let r = sb.sync_host(&server).expect(1, &[msg]);
        assert!(
            r.stdout.is_empty(),
            "{what}: no summary on failure: {}",
            r.stdout
        );
        assert_eq!(snapshot(&sb.p("client/.plugins")), before, "{what}");
        server.clear_faults();
    }
}

#[test]
fn a_bundle_with_an_invalid_or_foreign_file_changes_nothing() {
    let sb = Sandbox::new();
    let server = server_bundle(&sb);
    sb.sync_host(&server).ok();
    let before = snapshot(&sb.p("client/.plugins"));

    // One good and one invalid plugin: neither is installed.
    write_zip(
        &sb.p("www/plugins"),
        &[
            (
                "optimus-plugin-neo.yaml".into(),
                yaml_plugin("neo", "2.0.0").into_bytes(),
                0o644,
            ),
            (
                "optimus-plugin-bad.yaml".into(),
                b"name: bad\nplugintype: task\nimage: x\npluginversion: \"1\"\nentrypoint:\n  script: run\nquestions:\n- name: A\n  required: \"yes\"\n"
                    .to_vec(),
                0o644,
            ),
        ],
    );
    sb.sync_host(&server).expect(
        1,
        &[
            "optimus-plugin-bad.yaml:9:",
            "cannot unmarshal !!str `yes` into bool",
        ],
    );
    assert_eq!(snapshot(&sb.p("client/.plugins")), before);

    // A binary or stray file in the bundle is refused too.
    write_zip(
        &sb.p("www/plugins"),
        &[
            (
                "optimus-plugin-neo.yaml".into(),
                yaml_plugin("neo", "2.0.0").into_bytes(),
                0o644,
            ),
            (
                "optimus-evil_linux_amd64".into(),
                b"#!/bin/sh\n".to_vec(),
                0o755,
            ),
        ],
    );
    sb.sync_host(&server).expect(1, &["unexpected entry"]);
    assert_eq!(snapshot(&sb.p("client/.plugins")), before);
    // No staging leftovers either.
    let stray: Vec<String> = std::fs::read_dir(sb.p("client/.plugins"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !before.contains_key(n) && n != ".lock")
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn sync_host_refuses_offline_and_unreachable_hosts() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.p("client")).unwrap();
    sb.run_in(
        &sb.p("client"),
        &["plugin", "sync", "--host", "127.0.0.1:9", "--offline"],
        &[],
    )
    .expect(2, &["drop --offline"]);
    let r = sb.run_in(
        &sb.p("client"),
        &["plugin", "sync", "--host", "http://127.0.0.1:9"],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(!sb.p("client/.plugins/optimus-plugin-neo.yaml").exists());
}
