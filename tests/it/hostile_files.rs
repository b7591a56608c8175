//! What a second attack run on the disk side found (issue 20's classes: paths we write to,
//! bombs, what a failed command leaves): a zip judged entry by entry, a yaml plugin of
//! megabytes, a refused first `sync --host` leaving a plugin directory, a fifo under a
//! plugin's name blocking discovery, and a link in a bundle where a plugin file belongs.

use crate::common::*;
use std::time::{Duration, Instant};

/// An Optimus server serving a bundle of these yaml entries at `/plugins`.
fn serve_bundle(sb: &Sandbox, entries: &[(String, Vec<u8>)]) -> HttpServer {
    sb.write_bundle(entries);
    HttpServer::start(&sb.p("www"))
}

/// A yaml plugin padded to `size` bytes with a comment (compresses ~1000:1).
fn padded_yaml(name: &str, size: usize) -> Vec<u8> {
    let mut y = yaml_plugin(name, "1.0.0").into_bytes();
    y.extend_from_slice(b"# ");
    y.resize(size, b'x');
    y.push(b'\n');
    y
}

/// Twenty entries of 3 MiB, each under every per-entry limit, in a zip of a few hundred KB:
/// judged as a whole (as a tar.gz stream is), it is a bomb. Refused before anything is
/// written, and a first sync leaves no plugin directory.
#[test]
fn a_zip_whose_entries_together_expand_too_far_is_refused() {
    let sb = Sandbox::new();
    let entries: Vec<(String, Vec<u8>)> = (0..20)
        .map(|i| {
            let name = format!("p{i}");
            (
                format!("optimus-plugin-{name}.yaml"),
                padded_yaml(&name, 3 << 20),
            )
        })
        .collect();
    let server = serve_bundle(&sb, &entries);
    let r = sb.sync_host(&server);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all().contains("compression ratio above 200:1"),
        "{}",
        r.all()
    );
    assert!(!sb.p("client/.plugins").exists(), "a plugin dir was left");
}

/// A yaml plugin of megabytes is refused while it is unpacked (a spec is kilobytes; every
/// check reading it whole would hold it in memory).
#[test]
fn a_yaml_plugin_of_megabytes_is_refused() {
    let sb = Sandbox::new();
    let server = serve_bundle(
        &sb,
        &[(
            "optimus-plugin-big.yaml".to_string(),
            padded_yaml("big", 5 << 20),
        )],
    );
    let r = sb.sync_host(&server);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.all().contains("optimus-plugin-big.yaml is over 4 MiB"),
        "{}",
        r.all()
    );
    assert!(!sb.p("client/.plugins").exists(), "a plugin dir was left");
}

/// A refused first sync (here: a bundle that would install nothing) leaves no plugin
/// directory, and no `.lock` in one.
#[test]
fn a_refused_first_sync_leaves_no_plugin_directory() {
    let sb = Sandbox::new();
    let server = serve_bundle(&sb, &[("README".to_string(), b"nothing".to_vec())]);
    let r = sb.sync_host(&server);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(!sb.p("client/.plugins").exists(), "a plugin dir was left");
}

/// A fifo under a yaml plugin's name in a directory Optimus searches is reported, not read:
/// `list` and `sync --host` finish (reading it would block until a writer came).
#[cfg(unix)]
#[test]
fn a_fifo_under_a_plugin_name_blocks_nothing() {
    let sb = Sandbox::new();
    let fifo = sb.home().join(".optimus/plugins/optimus-plugin-pipe.yaml");
    std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let server = serve_bundle(
        &sb,
        &[(
            "optimus-plugin-alpha.yaml".to_string(),
            yaml_plugin("alpha", "1.0.0").into_bytes(),
        )],
    );
    std::fs::create_dir_all(sb.p("client")).unwrap();
    let started = Instant::now();
    let mut child = sb
        .command(&["plugin", "sync", "--host", &server.url("")])
        .current_dir(sb.p("client"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(30) {
            stop_child(&mut child);
            panic!("sync --host blocked on a fifo");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let r = Run::from(child.wait_with_output().unwrap());
    assert_eq!(r.code, 0, "{}", r.all());
    sb.write("client/optimus.yaml", "host: localhost:1\n");
    let r = sb.run_in(&sb.p("client"), &["plugin", "list"], &[]);
    assert!(r.all().contains("not a regular file"), "{}", r.all());
}

/// In a bundle archive (an `artifacts:` entry whose name names no plugin), a link where a
/// plugin file belongs is refused: skipping it installed the bundle without that plugin,
/// silently.
#[test]
fn a_link_where_a_bundle_has_a_plugin_file_is_refused() {
    let sb = Sandbox::new();
    write_raw_targz(
        &sb.p("art/plugins.tar.gz"),
        &[
            RawEntry::file("payload", b"#!/bin/sh\necho zed\n"),
            RawEntry::file(
                "optimus-plugin-zed.yaml",
                yaml_plugin("zed", "1.0.0").as_bytes(),
            ),
            RawEntry::symlink(&format!("optimus-zed_{PLAT}"), "payload"),
        ],
    );
    sb.write(
        "proj/optimus.yaml",
        "plugins:\n  artifacts:\n    - ../art/plugins.tar.gz\n",
    );
    sb.install("proj/optimus.yaml").expect(
        1,
        &[
            &format!("optimus-zed_{PLAT}"),
            "a link where a plugin file is expected",
        ],
    );
    assert!(!sb.p("proj/.plugins").exists());
}
