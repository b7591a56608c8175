//! Mirrors (spec §3): tried first, never trusted. Every byte a mirror serves is checked against
//! the signed index (with the pinned keys) or the lock; a bad mirror falls back to the origin.

use crate::common::*;

const ART: &str = "artifacts/bq2bq/0.3.2/optimus-bq2bq_0.3.2_linux_amd64.tar.gz";

/// Origin and mirror servers holding the same registry (`neo` yaml, `bq2bq` binary).
fn setup(sb: &Sandbox) -> (Registry, HttpServer, HttpServer) {
    let reg = neo_bq2bq_registry(sb, "registry");
    copy_dir(&reg.root, &sb.p("mirror"));
    let origin = HttpServer::start(&reg.root);
    let mirror = HttpServer::start(&sb.p("mirror"));
    (reg, origin, mirror)
}

fn config(origin: &str, mirrors: &[String], key: &str) -> String {
    let list: Vec<String> = mirrors.iter().map(|m| format!("\"{m}\"")).collect();
    format!(
        "plugins:\n  providers:\n    - name: reg\n      url: {origin}\n      mirrors: [{}]\n      public_keys: [\"{key}\"]\n  plugins:\n    - name: neo\n      provider: reg\n    - name: bq2bq\n      provider: reg\n",
        list.join(", ")
    )
}

#[track_caller]
fn assert_installed(sb: &Sandbox, dir: &str) {
    assert_eq!(
        sb.read(&format!("{dir}/.plugins/optimus-bq2bq_linux_amd64")),
        script("bq2bq", "0.3.2", "linux_amd64")
    );
    assert!(sb
        .read(&format!("{dir}/.plugins/optimus-plugin-neo.yaml"))
        .contains("pluginversion: 1.0.0"));
}

/// What a first contact through a mirror asks the origin: its signed timestamp (which registry
/// its URL serves, so that a mirror serving another registry signed with the same key is
/// told apart), and nothing else.
#[track_caller]
fn asked_only_which_registry(origin: &HttpServer) {
    let mut paths: Vec<String> = origin.log().into_iter().map(|r| r.path).collect();
    paths.sort();
    assert_eq!(
        paths,
        ["/timestamp.toml", "/timestamp.toml.minisig"],
        "the origin was used beyond the first-contact question"
    );
}

#[test]
fn a_good_mirror_serves_everything() {
    let sb = Sandbox::new();
    let (reg, origin, mirror) = setup(&sb);
    sb.write(
        "p/optimus.yaml",
        config(&origin.url(""), &[mirror.url("")], &reg.public_key),
    );
    let r = sb.install("p/optimus.yaml").ok();
    assert_installed(&sb, "p");
    // No fallback warning. (The fixture's bq2bq binary has no yaml plugin, which raystack
    // refuses at startup: install says so, and that warning is not about mirrors.)
    let warnings: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("warning") && !l.contains("would not start"))
        .collect();
    assert!(warnings.is_empty(), "{}", r.stderr);
    asked_only_which_registry(&origin);
    assert_eq!(mirror.hits(ART), 1);
    // The machine knows the registry now: the next command asks the origin nothing.
    origin.clear_log();
    std::fs::remove_dir_all(sb.p("p/.plugins")).unwrap();
    sb.install("p/optimus.yaml").ok();
    assert_installed(&sb, "p");
    assert_eq!(origin.log().len(), 0, "origin used: {:?}", origin.log());
    // The lock names the origin, not the mirror.
    let lock = sb.read("p/optimus.lock");
    assert!(lock.contains(&origin.url(ART)), "{lock}");
    assert!(!lock.contains(&mirror.url("")), "{lock}");

    // A fresh machine installing from the lock also prefers the mirror.
    std::fs::remove_dir_all(sb.p("cache")).unwrap();
    std::fs::remove_dir_all(sb.p("p/.plugins")).unwrap();
    origin.clear_log();
    sb.install("p/optimus.yaml").ok();
    assert_installed(&sb, "p");
    asked_only_which_registry(&origin);
    assert_eq!(mirror.hits(ART), 2);
}

#[test]
fn a_tampered_artifact_on_the_mirror_falls_back_to_the_origin() {
    let sb = Sandbox::new();
    let (reg, origin, mirror) = setup(&sb);
    // The mirror's file is the same length with one byte changed: only the hash can tell.
    let mut bytes = std::fs::read(reg.root.join(ART)).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    let evil = sb.write("evil.tar.gz", &bytes);
    std::fs::copy(&evil, sb.p(&format!("mirror/{ART}"))).unwrap();
    sb.write(
        "p/optimus.yaml",
        config(&origin.url(""), &[mirror.url("")], &reg.public_key),
    );
    sb.install("p/optimus.yaml")
        .expect(0, &[&sha256_file(&reg.root.join(ART))]);
    assert_installed(&sb, "p");
    assert_eq!(mirror.hits(ART), 1);
    assert_eq!(origin.hits(ART), 1);
    // The bad bytes never reached the cache under any name.
    for e in files_under(&sb.p("cache")) {
        assert_ne!(
            std::fs::read(&e).unwrap(),
            std::fs::read(&evil).unwrap(),
            "{e:?}"
        );
    }
}

#[test]
fn a_tampered_index_on_the_mirror_falls_back_to_the_origin() {
    let sb = Sandbox::new();
    let (reg, origin, mirror) = setup(&sb);
    // The mirror's index points bq2bq at the attacker's artifact (sha256 and all); its old
    // signature no longer matches.
    let evil = sb.p("mirror/evil/optimus-bq2bq_linux_amd64.tar.gz");
    write_targz(
        &evil,
        &[(
            "optimus-bq2bq_linux_amd64".into(),
            b"#!/bin/sh\necho pwned\n".to_vec(),
            0o755,
        )],
    );
    let idx = sb.p("mirror/index/bq2bq.toml");
    let text = std::fs::read_to_string(&idx).unwrap();
    let real = sha256_file(&reg.root.join(ART));
    let text = text
        .replace(&real, &sha256_file(&evil))
        .replace(ART, "evil/optimus-bq2bq_linux_amd64.tar.gz");
    std::fs::write(&idx, text).unwrap();
    // And the neo index on the mirror is served truncated.
    mirror.fault(
        "index/neo.toml",
        vec![Fault::Replace(b"name = \"neo\"\n".to_vec())],
    );
    sb.write(
        "p/optimus.yaml",
        config(&origin.url(""), &[mirror.url("")], &reg.public_key),
    );
    sb.install("p/optimus.yaml")
        .expect(0, &["mirror", "signature"]);
    assert_installed(&sb, "p");
    assert_eq!(mirror.hits("evil/optimus-bq2bq_linux_amd64.tar.gz"), 0);
    let lock = sb.read("p/optimus.lock");
    assert!(lock.contains(&real) && !lock.contains("evil"), "{lock}");
}

#[test]
fn a_dead_mirror_and_a_directory_mirror() {
    let sb = Sandbox::new();
    let (reg, origin, mirror) = setup(&sb);
    // A mirror that is down: connection refused, then the origin.
    let dead_port = free_port();
    sb.write(
        "p/optimus.yaml",
        config(
            &origin.url(""),
            &[format!("http://127.0.0.1:{dead_port}/")],
            &reg.public_key,
        ),
    );
    sb.install("p/optimus.yaml").ok();
    assert_installed(&sb, "p");
    assert_eq!(origin.hits(ART), 1);

    // A local directory as the mirror (and a 500ing http mirror before it).
    std::fs::remove_dir_all(sb.p("cache")).unwrap();
    origin.clear_log();
    mirror.fault("", vec![Fault::Status(500, None); 50]);
    sb.write(
        "q/optimus.yaml",
        config(
            &origin.url(""),
            &[mirror.url(""), "../mirror".to_string()],
            &reg.public_key,
        ),
    );
    sb.install("q/optimus.yaml").ok();
    assert_installed(&sb, "q");
    asked_only_which_registry(&origin);
}

/// A first contact while the origin does not answer (a firewalled runner with an empty cache):
/// the origin is waited for a few seconds at most, then the mirror's registry is taken
/// provisionally with a warning that says how to pin it.
#[test]
fn a_first_contact_waits_for_a_silent_origin_only_briefly() {
    let sb = Sandbox::new();
    let (reg, origin, mirror) = setup(&sb);
    origin.fault(
        "timestamp.toml",
        vec![Fault::Stall(std::time::Duration::from_secs(60))],
    );
    sb.write(
        "p/optimus.yaml",
        config(&origin.url(""), &[mirror.url("")], &reg.public_key),
    );
    let started = std::time::Instant::now();
    sb.install("p/optimus.yaml").expect(
        0,
        &["no answer within 3 s", "provisionally", "registry_id:"],
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "waited {:?}",
        started.elapsed()
    );
    assert_installed(&sb, "p");
    assert_eq!(origin.hits(ART), 0);
}
