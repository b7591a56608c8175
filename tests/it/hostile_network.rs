//! Flaky and hostile networks (issue #5, part 2), against the loopback server's injected
//! faults: bounded retries with backoff for 5xx, 429 (honouring Retry-After) and resets;
//! timeouts; bodies shorter or longer than their Content-Length, or with the wrong hash, are
//! never installed; redirects are bounded; errors name the URL and never a secret.

use crate::common::*;
use std::time::{Duration, Instant};

const V2: &str = "optimus-good_2.0.0_linux_amd64.tar.gz";

/// `good` 1.0.0 installed over http, 2.0.0 published; the config now asks for 2.0.0.
fn setup() -> (Sandbox, Registry, HttpServer) {
    let sb = Sandbox::new();
    let reg = Registry::new(&sb, "registry");
    for v in ["1.0.0", "2.0.0"] {
        reg.publish_task(&sb, "good", v, &[PLAT]).ok();
    }
    let server = HttpServer::start(&reg.root);
    sb.write(
        "proj/optimus.yaml",
        registry_config(&server.url(""), &reg.public_key, &[("good", "=1.0.0")]),
    );
    sb.install("proj/optimus.yaml").ok();
    sb.write(
        "proj/optimus.yaml",
        registry_config(&server.url(""), &reg.public_key, &[("good", "=2.0.0")]),
    );
    server.clear_log();
    (sb, reg, server)
}

fn installed(sb: &Sandbox) -> String {
    sb.read("proj/.plugins/optimus-good_linux_amd64")
}

/// The failure left version 1 in place and nothing half-written.
#[track_caller]
fn v1_intact(sb: &Sandbox, r: &Run) {
    assert_clean_failure(r);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(installed(sb), script("good", "1.0.0", PLAT));
    assert!(leftovers(&sb.p("proj/.plugins")).is_empty());
    // Nothing unverified reached the cache's content-addressed store either.
    let cached = tree(&sb.p("cache/artifacts"), &[]);
    for (path, bytes) in cached {
        use sha2::Digest;
        let sha = hex::encode(sha2::Sha256::digest(&bytes));
        assert!(
            path.ends_with(&sha),
            "cache entry {path} does not hold its hash"
        );
    }
}

#[test]
fn retries_5xx_then_succeeds() {
    let (sb, _reg, server) = setup();
    server.fault(V2, vec![Fault::Status(503, None), Fault::Status(500, None)]);
    sb.install("proj/optimus.yaml").ok();
    assert_eq!(installed(&sb), script("good", "2.0.0", PLAT));
    assert_eq!(server.hits(V2), 3);
}

#[test]
fn honours_retry_after_on_429() {
    let (sb, _reg, server) = setup();
    server.fault(V2, vec![Fault::Status(429, Some(1))]);
    let t = Instant::now();
    sb.install("proj/optimus.yaml").ok();
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured ({:?})",
        t.elapsed()
    );
    assert_eq!(server.hits(V2), 2);
}

#[test]
fn retries_a_reset_connection() {
    let (sb, _reg, server) = setup();
    server.fault(V2, vec![Fault::Drop, Fault::Drop]);
    sb.install("proj/optimus.yaml").ok();
    assert_eq!(installed(&sb), script("good", "2.0.0", PLAT));
}

#[test]
fn gives_up_after_bounded_retries_naming_the_url() {
    let (sb, _reg, server) = setup();
    server.fault(V2, vec![Fault::Status(500, None); 10]);
    let r = sb
        .install("proj/optimus.yaml")
        .expect(1, &[&server.url("artifacts/good/2.0.0/"), "500"]);
    v1_intact(&sb, &r);
    let hits = server.hits(V2);
    assert!((2..=5).contains(&hits), "unbounded or no retries: {hits}");
}

#[test]
fn does_not_retry_a_404() {
    let (sb, _reg, server) = setup();
    std::fs::remove_file(server.root.join(format!("artifacts/good/2.0.0/{V2}"))).unwrap();
    let r = sb.install("proj/optimus.yaml").expect(1, &["404"]);
    v1_intact(&sb, &r);
    assert_eq!(server.hits(V2), 1);
}

#[test]
fn a_truncated_body_is_never_installed() {
    let (sb, _reg, server) = setup();
    server.fault(V2, vec![Fault::Truncate(40); 10]);
    let r = sb.install("proj/optimus.yaml").expect(1, &[V2]);
    v1_intact(&sb, &r);
}

#[test]
fn a_truncated_body_is_fetched_again_from_scratch() {
    let (sb, _reg, server) = setup();
    server.fault(V2, vec![Fault::Truncate(40)]);
    sb.install("proj/optimus.yaml").ok();
    assert_eq!(installed(&sb), script("good", "2.0.0", PLAT));
    // The retry asked for the whole file, not a range appended to the partial one.
    assert!(server
        .log()
        .iter()
        .filter(|r| r.path.ends_with(V2))
        .all(|r| !r.headers.contains_key("range")));
}

#[test]
fn a_body_shorter_than_its_content_length_is_never_installed() {
    let (sb, _reg, server) = setup();
    server.fault(V2, vec![Fault::LieLength(100); 10]);
    let r = sb.install("proj/optimus.yaml");
    v1_intact(&sb, &r);
}

#[test]
fn a_replaced_artifact_fails_its_checksum() {
    let (sb, reg, server) = setup();
    // Same length, one byte different: only the hash can tell.
    let mut evil = std::fs::read(reg.root.join(format!("artifacts/good/2.0.0/{V2}"))).unwrap();
    let last = evil.len() - 1;
    evil[last] ^= 0xff;
    server.fault(V2, vec![Fault::Replace(evil.clone()); 10]);
    let r = sb.install("proj/optimus.yaml");
    v1_intact(&sb, &r);
    let expected = sha256_file(&reg.root.join(format!("artifacts/good/2.0.0/{V2}")));
    let actual = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&evil))
    };
    for s in [expected.as_str(), actual.as_str(), "checksum mismatch", V2] {
        assert!(r.stderr.contains(s), "{s} missing in:\n{}", r.stderr);
    }
}

#[test]
fn a_stalled_server_times_out() {
    let (sb, _reg, server) = setup();
    server.fault(V2, vec![Fault::Stall(Duration::from_secs(4)); 10]);
    let t = Instant::now();
    let r = sb
        .on_linux_with(
            "install",
            "proj/optimus.yaml",
            &[],
            &[("OPTIMUS_READ_TIMEOUT", "1")],
        )
        .expect(1, &["timed out"]);
    v1_intact(&sb, &r);
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
}

#[test]
fn a_tampered_index_over_http_is_refused() {
    let (sb, _reg, server) = setup();
    let idx = std::fs::read_to_string(server.root.join("index/good.toml")).unwrap();
    let forged = idx.replace("yanked = false", "yanked = false\n# forged");
    server.fault(
        "index/good.toml",
        vec![Fault::Replace(forged.into_bytes()); 10],
    );
    std::fs::remove_file(sb.p("proj/optimus.lock")).unwrap();
    let r = sb
        .install("proj/optimus.yaml")
        .expect(1, &["bad signature"]);
    v1_intact(&sb, &r);
    assert!(!sb.p("proj/optimus.lock").exists());
}

/// A server that redirects every request to itself.
fn redirect_loop() -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut r = BufReader::new(c.try_clone().unwrap());
                let mut w = c;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                    loop {
                        let mut h = String::new();
                        if r.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                            break;
                        }
                    }
                    let _ = write!(
                        w,
                        "HTTP/1.1 302 Found\r\nLocation: {path}x\r\nContent-Length: 0\r\n\r\n"
                    );
                }
            });
        }
    });
    port
}

#[test]
fn redirects_are_bounded_and_secrets_stay_out_of_errors() {
    let sb = Sandbox::new();
    let port = redirect_loop();
    sb.write(
        "proj/optimus.yaml",
        format!(
            "plugins:\n  providers:\n    - name: web\n      type: http\n      url: http://user:hunter2pass@127.0.0.1:{port}/\n      headers: {{ Authorization: \"Bearer ${{PLUGINS_TOKEN}}\" }}\n  plugins:\n    - name: neo\n      provider: web\n      path: neo/optimus-plugin-neo.yaml?token=s3cr3tquery\n"
        ),
    );
    let t = Instant::now();
    let r = sb
        .run_env(
            &["plugin", "install", "-c", "proj/optimus.yaml"],
            &[("PLUGINS_TOKEN", "tok-abcdef-123456")],
        )
        .expect(1, &["redirect", &format!("127.0.0.1:{port}")]);
    for secret in ["hunter2pass", "tok-abcdef-123456", "s3cr3tquery"] {
        assert!(!r.all().contains(secret), "{secret} leaked:\n{}", r.all());
    }
    assert!(t.elapsed() < Duration::from_secs(20));
    assert!(!sb.p("proj/.plugins/optimus-plugin-neo.yaml").exists());
}

#[test]
fn a_refused_connection_is_retried_then_reported() {
    let sb = Sandbox::new();
    // A port nobody listens on.
    let port = free_port();
    sb.write(
        "proj/optimus.yaml",
        format!("plugins:\n  artifacts:\n    - http://127.0.0.1:{port}/optimus-plugin-neo.yaml\n"),
    );
    sb.plugin(&["install", "-c", "proj/optimus.yaml"])
        .expect(1, &["connection failed", "attempts"]);
}
