//! Trust on the network surface (issue 20): what a provider's credentials may reach (custom
//! headers, client certificates and private CAs stay with the provider's own origins across a
//! redirect), what reaches the lock (a signed `path:` query), the deadline of metadata
//! downloads, a credential helper that leaves children, and proxies no client here speaks.
//! Real parts only: loopback HTTP servers, nginx with a test PKI, shell helpers.

use crate::common::*;
use std::time::{Duration, Instant};

const TOKEN: &str = "tok-20-PRIVATE-9f8e7d6c";
const PROXY_VARS: [&str; 8] = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];
const API_KEY: &str = "key-20-APIKEY-1a2b3c4d";

/// `www/hook1/optimus-plugin-hook1.yaml` served by one server, and a second server holding the
/// same file (where a redirect may send the request).
fn two_servers(sb: &Sandbox) -> (HttpServer, HttpServer) {
    for root in ["www", "other"] {
        sb.write(
            &format!("{root}/hook1/optimus-plugin-hook1.yaml"),
            yaml_plugin("hook1", "1.2.0"),
        );
    }
    (
        HttpServer::start(&sb.p("www")),
        HttpServer::start(&sb.p("other")),
    )
}

fn direct_config(origin: &str, provider_extra: &str, path: &str) -> String {
    format!(
        "plugins:\n  providers:\n    - name: internal\n      type: http\n      url: {origin}\n{provider_extra}  plugins:\n    - name: hook1\n      provider: internal\n      path: {path}\n      version: 1.2.0\n"
    )
}

/// Item 1: a provider's custom credential headers (`PRIVATE-TOKEN`, `X-Api-Key`), its
/// `Authorization` and a `Cookie` go to its own origin only: a redirect to another host gets
/// none of them.
#[test]
fn custom_credential_headers_do_not_follow_a_redirect_to_another_host() {
    let sb = Sandbox::new();
    let (origin, other) = two_servers(&sb);
    let file = "hook1/optimus-plugin-hook1.yaml";
    origin.fault(
        file,
        (0..4).map(|_| Fault::Redirect(other.url(file))).collect(),
    );
    sb.write(
        "proj/optimus.yaml",
        direct_config(
            &origin.url(""),
            "      headers: { PRIVATE-TOKEN: \"${TOK}\", X-Api-Key: \"${APIKEY}\", Cookie: \"session=${TOK}\", Authorization: \"Bearer ${TOK}\" }\n",
            file,
        ),
    );
    sb.on_linux_with(
        "install",
        "proj/optimus.yaml",
        &[],
        &[("TOK", TOKEN), ("APIKEY", API_KEY)],
    )
    .ok();
    assert!(sb.p("proj/.plugins/optimus-plugin-hook1.yaml").is_file());
    // The origin got the credentials; the host it redirected to got none.
    let first = origin.log();
    assert!(
        first
            .iter()
            .any(|r| r.headers.get("private-token").map(String::as_str) == Some(TOKEN)),
        "{first:?}"
    );
    let log = other.log();
    assert!(!log.is_empty(), "the redirect was not followed");
    for r in &log {
        for h in ["private-token", "x-api-key", "cookie", "authorization"] {
            assert!(
                !r.headers.contains_key(h),
                "{h} crossed the redirect: {r:?}"
            );
        }
        let all = format!("{:?}", r.headers);
        assert!(!all.contains(TOKEN) && !all.contains(API_KEY), "{all}");
    }
}

/// Item 1, the other side of the rule: a redirect to one of the provider's own origins (a
/// mirror it lists) keeps the credentials.
#[test]
fn a_redirect_to_the_providers_own_mirror_keeps_its_credentials() {
    let sb = Sandbox::new();
    let (origin, other) = two_servers(&sb);
    let file = "hook1/optimus-plugin-hook1.yaml";
    origin.fault(file, vec![Fault::Redirect(other.url(file))]);
    // The mirror is the provider's own origin, though nothing there is served under its layout
    // except the redirected file.
    other.fault(file, vec![Fault::Status(404, None)]);
    sb.write(
        "proj/optimus.yaml",
        direct_config(
            &origin.url(""),
            &format!(
                "      mirrors: [\"{}\"]\n      headers: {{ PRIVATE-TOKEN: \"${{TOK}}\" }}\n",
                other.url("")
            ),
            file,
        ),
    );
    sb.on_linux_with("install", "proj/optimus.yaml", &[], &[("TOK", TOKEN)])
        .ok();
    let log = other.log();
    assert!(
        log.iter().filter(|r| r.path.ends_with(file)).all(|r| r
            .headers
            .get("private-token")
            .map(String::as_str)
            == Some(TOKEN)),
        "{log:?}"
    );
}

/// Item 2: a signed query in the `path:` form (SAS, S3, GCS, token) never reaches the committed
/// lock; `${VAR}` stays unexpanded there.
#[test]
fn a_signed_query_in_a_path_stays_out_of_the_lock() {
    let sb = Sandbox::new();
    let (origin, _other) = two_servers(&sb);
    let secrets = [
        "sas-SIG-7d7d7d",
        "amz-SIG-8e8e8e",
        "goog-SIG-9f9f9f",
        "tok-QUERY-0a0a",
        "gitlab-PT-1b1b",
        "azfn-CODE-2c2c",
        "client-SECRET-3d3d",
    ];
    let path = format!(
        "hook1/optimus-plugin-hook1.yaml?sv=2021-08-06&sig={}&X-Amz-Signature={}&X-Goog-Signature={}&token={}&private_token={}&code={}&client_secret={}&v=2&k=${{KEYVAR}}",
        secrets[0], secrets[1], secrets[2], secrets[3], secrets[4], secrets[5], secrets[6]
    );
    sb.write(
        "proj/optimus.yaml",
        direct_config(&origin.url(""), "", &path),
    );
    sb.on_linux_with(
        "install",
        "proj/optimus.yaml",
        &[],
        &[("KEYVAR", "expanded-VALUE-1234")],
    )
    .ok();
    let lock = sb.read("proj/optimus.lock");
    for s in secrets.iter().chain(&["expanded-VALUE-1234", "sv=2021"]) {
        assert!(!lock.contains(s), "{s} written to the lock:\n{lock}");
    }
    assert!(
        lock.contains("source = \"hook1/optimus-plugin-hook1.yaml?v=2&k=${KEYVAR}\""),
        "{lock}"
    );
    // Locking again gives the same bytes (the declaration is compared scrubbed).
    sb.on_linux_with(
        "install",
        "proj/optimus.yaml",
        &["--locked"],
        &[("KEYVAR", "expanded-VALUE-1234")],
    )
    .ok();
    assert_eq!(sb.read("proj/optimus.lock"), lock);
}

/// Item 12: metadata has the deadline artifacts have: a `timestamp.toml` trickled a few bytes
/// at a time (each piece within the read timeout) cannot hold `install`.
#[test]
fn a_trickled_timestamp_meets_the_download_deadline() {
    let sb = Sandbox::new();
    let reg = neo_bq2bq_registry(&sb, "registry");
    let server = HttpServer::start(&reg.root);
    let size = std::fs::metadata(reg.root.join("timestamp.toml"))
        .unwrap()
        .len();
    assert!(size > 150, "{size}");
    // ~size/10 pieces, 0.5 s apart: many seconds in all; the deadline is 1 + 2 + 0 = 3 s.
    server.fault(
        "timestamp.toml",
        (0..8)
            .map(|_| Fault::Trickle(10, Duration::from_millis(500)))
            .collect(),
    );
    sb.write(
        "proj/optimus.yaml",
        registry_config(&server.url(""), &reg.public_key, &[("neo", "*")]),
    );
    let started = Instant::now();
    let r = sb.on_linux_with(
        "install",
        "proj/optimus.yaml",
        &[],
        &[
            ("OPTIMUS_DOWNLOAD_MIN_RATE", "1000"),
            ("OPTIMUS_CONNECT_TIMEOUT", "1"),
            ("OPTIMUS_READ_TIMEOUT", "2"),
        ],
    );
    let took = started.elapsed();
    let r = r.expect(
        1,
        &[
            "timestamp.toml",
            "did not finish within 3 s",
            "OPTIMUS_DOWNLOAD_MIN_RATE",
        ],
    );
    assert!(took < Duration::from_secs(8), "took {took:?}:\n{}", r.all());
    assert!(!sb.p("proj/.plugins/optimus-plugin-neo.yaml").exists());
}

/// Whether a process is gone (or a zombie nobody reaped yet).
fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

/// Stops a process a helper script left (by its PID, recorded by the script itself).
fn stop(pid: &str) {
    if !gone(pid) {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", pid])
            .status();
    }
}

/// Runs `install` in the background with a watchdog: the run, how long it took, and whether
/// the watchdog had to kill it.
fn install_with_watchdog(sb: &Sandbox, env: &[(&str, &str)], limit: Duration) -> (Run, Duration) {
    let started = Instant::now();
    let mut child = sb
        .command(&[
            "plugin",
            "install",
            "-c",
            "proj/optimus.yaml",
            "--platform",
            PLAT,
        ])
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            stop_child(&mut child);
            panic!("install still running after {limit:?}: a credential helper held it");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let took = started.elapsed();
    (Run::from(child.wait_with_output().unwrap()), took)
}

fn helper(sb: &Sandbox, body: &str) {
    let p = sb.write("proj/bin/token.sh", format!("#!/bin/sh\n{body}"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn helper_config(sb: &Sandbox, server: &HttpServer) {
    sb.write(
        "proj/optimus.yaml",
        direct_config(
            &server.url(""),
            "      credential_process: ./bin/token.sh\n",
            "hook1/optimus-plugin-hook1.yaml",
        ),
    );
}

/// Item 13: a credential helper that prints its token but leaves a child holding its output
/// cannot hold `install`; the child is killed with the helper's process group.
#[test]
fn a_credential_helper_that_leaves_a_child_does_not_hold_install() {
    let sb = Sandbox::new();
    let (server, _other) = two_servers(&sb);
    server.require_auth(&format!("Bearer {TOKEN}"));
    let pidfile = sb.p("proj/bin/child.pid");
    helper(
        &sb,
        &format!(
            "sleep 300 &\necho $! > {}\necho {TOKEN}\n",
            pidfile.display()
        ),
    );
    helper_config(&sb, &server);
    let (r, took) = install_with_watchdog(&sb, &[], Duration::from_secs(40));
    let pid = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .to_string();
    let left = !gone(&pid);
    stop(&pid);
    let r = r.ok();
    assert!(
        took < Duration::from_secs(15),
        "took {took:?}:\n{}",
        r.all()
    );
    assert!(sb.p("proj/.plugins/optimus-plugin-hook1.yaml").is_file());
    assert!(!left, "the helper's child {pid} is still running");
}

/// Item 13: a helper that never finishes is stopped at its deadline
/// (`OPTIMUS_CREDENTIAL_TIMEOUT`) with its whole process group, and the run fails saying so.
#[test]
fn a_credential_helper_past_its_deadline_is_killed_with_its_children() {
    let sb = Sandbox::new();
    let (server, _other) = two_servers(&sb);
    server.require_auth(&format!("Bearer {TOKEN}"));
    let pidfile = sb.p("proj/bin/child.pid");
    helper(
        &sb,
        &format!("sleep 300 &\necho $! > {}\nsleep 300\n", pidfile.display()),
    );
    helper_config(&sb, &server);
    let (r, took) = install_with_watchdog(
        &sb,
        &[("OPTIMUS_CREDENTIAL_TIMEOUT", "2")],
        Duration::from_secs(40),
    );
    let pid = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .to_string();
    std::thread::sleep(Duration::from_millis(200));
    let left = !gone(&pid);
    stop(&pid);
    r.expect(
        1,
        &[
            "credential_process",
            "did not finish within 2 s",
            "OPTIMUS_CREDENTIAL_TIMEOUT",
        ],
    );
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert!(!left, "the helper's child {pid} outlived the deadline");
    assert!(server.log().is_empty(), "{:?}", server.log());
}

/// Item 14: a proxy URL with a scheme no client here speaks (`ftp://`, `gopher://`) is refused
/// with exit 2 naming the variable, in either spelling, instead of connecting around it.
#[test]
fn an_unsupported_proxy_scheme_is_refused() {
    let sb = Sandbox::new();
    let (server, _other) = two_servers(&sb);
    sb.write(
        "proj/optimus.yaml",
        direct_config(&server.url(""), "", "hook1/optimus-plugin-hook1.yaml"),
    );
    // Only the variable under test: none inherited from the machine running the tests.
    let install_with = |var: &str, value: &str| {
        let mut c = sb.command(&[
            "plugin",
            "install",
            "-c",
            "proj/optimus.yaml",
            "--platform",
            PLAT,
        ]);
        for v in PROXY_VARS {
            c.env_remove(v);
        }
        Run::from(c.env(var, value).output().unwrap())
    };
    for (var, value) in [
        ("http_proxy", "ftp://127.0.0.1:1/"),
        ("HTTP_PROXY", "FTP://127.0.0.1:1/"),
        ("ALL_PROXY", "ftp://127.0.0.1:1/"),
        ("all_proxy", "gopher://127.0.0.1:1/"),
        ("HTTPS_PROXY", "gopher://127.0.0.1:1/"),
    ] {
        let snap = Snapshot::take(&[sb.p("proj")]);
        install_with(var, value).expect(2, &[var, "is not supported"]);
        snap.retake().assert_unchanged(&[]);
        assert!(
            server.log().is_empty(),
            "{var}: connected directly: {:?}",
            server.log()
        );
    }
    // A supported scheme still goes through (to a proxy that is not there: a connection error
    // naming the variable, exit 1, not a direct connection).
    install_with("http_proxy", &format!("http://127.0.0.1:{}/", free_port()))
        .expect(1, &["http_proxy="]);
    assert!(server.log().is_empty(), "{:?}", server.log());
}

/// Item 16: a provider's private CA and client certificate belong to its own origins: after a
/// redirect to another host, that host is not trusted through the provider's `ca_file`, and
/// it is not shown the client certificate.
#[test]
fn a_private_ca_and_client_certificate_do_not_follow_a_redirect() {
    let sb = Sandbox::new();
    let Some(pki) = Pki::new(&sb.p("proj/certs")) else {
        return;
    };
    let (origin, _other) = two_servers(&sb);
    // The other host: TLS with a certificate of the provider's private CA, asking for a
    // client certificate of the provider's client CA.
    let guard = Guard {
        client_ca: Some(&pki.path("client-ca.pem")),
        ..Guard::default()
    };
    let Some(elsewhere) = nginx(&sb.p("nginx"), &sb.p("other"), &pki, guard) else {
        return;
    };
    let file = "hook1/optimus-plugin-hook1.yaml";
    sb.write(
        "proj/optimus.yaml",
        direct_config(
            &origin.url(""),
            "      ca_file: certs/ca.pem\n      client_cert: certs/client.pem\n      client_key: certs/client.key\n",
            file,
        ),
    );
    // The provider's CA is not trusted on the other host.
    origin.fault(
        file,
        (0..4)
            .map(|_| Fault::Redirect(elsewhere.url(file)))
            .collect(),
    );
    let r = sb.install("proj/optimus.yaml");
    r.expect(1, &["certificate"]);
    assert!(!sb.p("proj/.plugins/optimus-plugin-hook1.yaml").exists());
    // With the CA trusted machine-wide (SSL_CERT_FILE), the TLS session opens, but the
    // provider's client certificate is not presented to the other host.
    origin.clear_faults();
    origin.fault(
        file,
        (0..4)
            .map(|_| Fault::Redirect(elsewhere.url(file)))
            .collect(),
    );
    let ca = pki.path("ca.pem");
    let r = sb.on_linux_with(
        "install",
        "proj/optimus.yaml",
        &[],
        &[("SSL_CERT_FILE", ca.to_str().unwrap())],
    );
    r.expect(1, &["client certificate"]);
    assert!(!sb.p("proj/.plugins/optimus-plugin-hook1.yaml").exists());
    assert!(
        !elsewhere.log().contains(" 200 "),
        "the other host served the file:\n{}",
        elsewhere.log()
    );
}

/// A registry URL with a token query (`?token=...`, a signed query every document needs):
/// each document gets it on its own path (it was joined after the query:
/// `/?token=aaa/timestamp.toml`), and the lock never holds it.
#[test]
fn a_registry_url_with_a_token_query_reaches_every_document() {
    let sb = Sandbox::new();
    let reg = neo_bq2bq_registry(&sb, "registry");
    let server = HttpServer::start(&reg.root);
    let url = format!("{}?token=QTOKEN-1234&ref=main", server.url(""));
    sb.write(
        "proj/optimus.yaml",
        registry_config(&url, &reg.public_key, &[("neo", "*")]),
    );
    sb.install("proj/optimus.yaml").ok();
    assert!(sb.p("proj/.plugins/optimus-plugin-neo.yaml").is_file());
    let log = server.log();
    assert!(log.iter().any(|r| r.path == "/timestamp.toml"), "{log:?}");
    for r in &log {
        assert_eq!(
            r.query.as_deref(),
            Some("token=QTOKEN-1234&ref=main"),
            "{r:?}"
        );
    }
    assert!(!sb.read("proj/optimus.lock").contains("QTOKEN"));
    // From the lock alone (its URL holds `ref=main`, not the token), on a fresh machine.
    std::fs::remove_dir_all(sb.p("cache")).unwrap();
    std::fs::remove_dir_all(sb.p("proj/.plugins")).unwrap();
    server.clear_log();
    sb.on_linux_with("install", "proj/optimus.yaml", &["--frozen"], &[])
        .ok();
    let log = server.log();
    assert!(!log.is_empty());
    for r in &log {
        assert_eq!(
            r.query.as_deref(),
            Some("token=QTOKEN-1234&ref=main"),
            "{r:?}"
        );
    }
}

/// An artifact the signed index names by an absolute URL with a signed query of its own: the
/// lock never holds the query, and an install from the lock on a fresh machine still fetches
/// the URL the signed index gives, query included (the lock's copy lacks it).
#[test]
fn an_index_artifact_url_with_its_own_signed_query_is_fetched_whole_from_the_lock() {
    let sb = Sandbox::new();
    let reg = Registry::new(&sb, "registry");
    reg.publish_yaml(&sb, "hello", "1.0.0").ok();
    let file = "optimus-plugin-hello.yaml";
    std::fs::create_dir_all(sb.p("cdn")).unwrap();
    std::fs::copy(
        reg.root.join(format!("artifacts/hello/1.0.0/{file}")),
        sb.p(&format!("cdn/{file}")),
    )
    .unwrap();
    let cdn = HttpServer::start(&sb.p("cdn"));
    let index = reg.root.join("index/hello.toml");
    let text = std::fs::read_to_string(&index).unwrap().replace(
        &format!("url = \"artifacts/hello/1.0.0/{file}\""),
        &format!("url = \"{}{file}?sig=SIGSECRET-5e5e&t=7\"", cdn.url("")),
    );
    std::fs::write(&index, text).unwrap();
    reg.resign("hello");
    sb.write(
        "proj/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("hello", "*")]),
    );
    sb.install("proj/optimus.yaml").ok();
    assert!(!sb.read("proj/optimus.lock").contains("SIGSECRET"));
    std::fs::remove_dir_all(sb.p("cache")).unwrap();
    std::fs::remove_dir_all(sb.p("proj/.plugins")).unwrap();
    cdn.clear_log();
    sb.install("proj/optimus.yaml").ok();
    let log = cdn.log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0].query.as_deref(), Some("sig=SIGSECRET-5e5e&t=7"));
}
