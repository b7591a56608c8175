//! Private registries over real TLS: nginx serving a signed registry with a certificate from a
//! CA made in the test (`openssl`), a provider's `ca_file`, `SSL_CERT_FILE`, client
//! certificates checked by nginx (`ssl_verify_client on`), tinyproxy as the `HTTPS_PROXY`
//! (its log shows the CONNECT) with `NO_PROXY` going direct, and a `credential_process` whose
//! token nginx requires and which never shows up in output or files.

use crate::common::*;

/// The variables that would change how the binary connects: removed from every run here, so
/// the caller's environment does not leak into the tests.
const NET_VARS: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

/// `optimus-plugins install -c proj/optimus.yaml --platform linux_amd64` with exactly `env`
/// for the network variables.
fn install(sb: &Sandbox, env: &[(&str, &str)]) -> Run {
    let mut c = sb.command(&[
        "plugin",
        "install",
        "-c",
        "proj/optimus.yaml",
        "--platform",
        PLAT,
    ]);
    for v in NET_VARS {
        c.env_remove(v);
    }
    c.envs(env.iter().copied());
    Run::from(c.output().unwrap())
}

/// A fresh start: no project files, no cache (so every index and artifact is fetched again).
fn reset(sb: &Sandbox) {
    let _ = std::fs::remove_dir_all(sb.p("proj/.plugins"));
    let _ = std::fs::remove_file(sb.p("proj/optimus.lock"));
    let _ = std::fs::remove_dir_all(sb.p("cache"));
}

/// The registry provider `reg` at `url` with `extra` provider lines (6-space indented), and
/// the plugins neo (yaml) and bq2bq (binary).
fn config(url: &str, key: &str, extra: &str) -> String {
    format!(
        "plugins:\n  providers:\n    - name: reg\n      type: registry\n      url: {url}\n      public_keys: [\"{key}\"]\n{extra}  plugins:\n    - name: neo\n      provider: reg\n    - name: bq2bq\n      provider: reg\n"
    )
}

fn installed(sb: &Sandbox) -> bool {
    sb.p("proj/.plugins/optimus-plugin-neo.yaml").is_file()
        && sb.p("proj/.plugins/optimus-bq2bq_linux_amd64").is_file()
}

/// A sandbox with the registry, the PKI and its certificates copied beside the project.
fn setup() -> Option<(Sandbox, Registry, Pki)> {
    let sb = Sandbox::new();
    let reg = neo_bq2bq_registry(&sb, "registry");
    let pki = Pki::new(&sb.p("pki"))?;
    std::fs::create_dir_all(sb.p("proj/certs")).unwrap();
    for f in [
        "ca.pem",
        "other-ca.pem",
        "client.pem",
        "client.key",
        "stranger.pem",
        "stranger.key",
        "server.key",
    ] {
        std::fs::copy(pki.path(f), sb.p(&format!("proj/certs/{f}"))).unwrap();
    }
    Some((sb, reg, pki))
}

#[test]
fn ca_file_trusts_the_private_ca_for_that_provider() {
    let Some((sb, reg, pki)) = setup() else {
        return;
    };
    let Some(nginx) = nginx(&sb.p("nginx"), &reg.root, &pki, Guard::default()) else {
        return;
    };
    let url = nginx.url("");

    // Not trusted: exit 1, naming the provider and pointing at ca_file; nothing installed.
    sb.write("proj/optimus.yaml", config(&url, &reg.public_key, ""));
    install(&sb, &[]).expect(1, &["provider reg", "`ca_file`"]);
    assert!(!installed(&sb));

    // ca_file relative to the config: installs over https.
    sb.write(
        "proj/optimus.yaml",
        config(&url, &reg.public_key, "      ca_file: certs/ca.pem\n"),
    );
    install(&sb, &[]).ok();
    assert!(installed(&sb));
    assert!(
        nginx.log().contains("GET /index/neo.toml"),
        "{}",
        nginx.log()
    );

    // Another CA's file: refused, and the message says the file given is not the right CA.
    reset(&sb);
    sb.write(
        "proj/optimus.yaml",
        config(&url, &reg.public_key, "      ca_file: certs/other-ca.pem\n"),
    );
    install(&sb, &[]).expect(1, &["does not hold the CA"]);
    assert!(!installed(&sb));

    // A missing file and a file that is not PEM: configuration errors naming provider and file.
    for (file, says) in [
        ("certs/nope.pem", "No such file"),
        ("certs/server.key", "not a PEM file"),
    ] {
        sb.write(
            "proj/optimus.yaml",
            config(&url, &reg.public_key, &format!("      ca_file: {file}\n")),
        );
        install(&sb, &[]).expect(
            2,
            &[
                "provider reg: ca_file",
                file.trim_start_matches("certs/"),
                says,
            ],
        );
    }
}

#[test]
fn ssl_cert_file_is_honoured() {
    let Some((sb, reg, pki)) = setup() else {
        return;
    };
    let Some(nginx) = nginx(&sb.p("nginx"), &reg.root, &pki, Guard::default()) else {
        return;
    };
    sb.write(
        "proj/optimus.yaml",
        config(&nginx.url(""), &reg.public_key, ""),
    );
    let ca = pki.path("ca.pem");
    install(&sb, &[("SSL_CERT_FILE", ca.to_str().unwrap())]).ok();
    assert!(installed(&sb));
    // SSL_CERT_FILE replaces the system's roots: another CA there is refused.
    reset(&sb);
    let other = pki.path("other-ca.pem");
    install(&sb, &[("SSL_CERT_FILE", other.to_str().unwrap())]).fails(1);
    assert!(!installed(&sb));
}

#[test]
fn client_certificate_is_presented_when_the_server_requires_one() {
    let Some((sb, reg, pki)) = setup() else {
        return;
    };
    let client_ca = pki.path("client-ca.pem");
    let guard = Guard {
        client_ca: Some(&client_ca),
        ..Guard::default()
    };
    let Some(nginx) = nginx(&sb.p("nginx"), &reg.root, &pki, guard) else {
        return;
    };
    let url = nginx.url("");
    let with = |cert: &str, key: &str| {
        config(
            &url,
            &reg.public_key,
            &format!("      ca_file: certs/ca.pem\n      client_cert: certs/{cert}\n      client_key: certs/{key}\n"),
        )
    };

    // Without one: refused, and the message points at client_cert/client_key.
    sb.write(
        "proj/optimus.yaml",
        config(&url, &reg.public_key, "      ca_file: certs/ca.pem\n"),
    );
    install(&sb, &[]).expect(1, &["`client_cert`", "provider reg"]);
    assert!(!installed(&sb));

    // With the client CA's certificate: accepted.
    sb.write("proj/optimus.yaml", with("client.pem", "client.key"));
    install(&sb, &[]).ok();
    assert!(installed(&sb));

    // A certificate nginx does not trust: refused.
    reset(&sb);
    sb.write("proj/optimus.yaml", with("stranger.pem", "stranger.key"));
    install(&sb, &[]).expect(1, &["refused the client certificate"]);
    assert!(!installed(&sb));

    // A key that is not the certificate's, and a certificate without its key: config errors.
    sb.write("proj/optimus.yaml", with("client.pem", "stranger.key"));
    install(&sb, &[]).expect(2, &["client.pem", "stranger.key"]);
    sb.write(
        "proj/optimus.yaml",
        config(
            &url,
            &reg.public_key,
            "      client_cert: certs/client.pem\n",
        ),
    );
    install(&sb, &[]).expect(2, &["`client_cert` needs `client_key`"]);
}

#[test]
fn https_proxy_carries_the_requests_and_no_proxy_goes_direct() {
    let Some((sb, reg, pki)) = setup() else {
        return;
    };
    let Some(nginx) = nginx(&sb.p("nginx"), &reg.root, &pki, Guard::default()) else {
        return;
    };
    let Some(proxy) = tinyproxy(&sb.p("tinyproxy"), nginx.port) else {
        return;
    };
    sb.write(
        "proj/optimus.yaml",
        config(
            &nginx.url(""),
            &reg.public_key,
            "      ca_file: certs/ca.pem\n",
        ),
    );
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port);
    let connect = format!("CONNECT 127.0.0.1:{}", nginx.port);
    let connects = |log: &str| log.matches(&connect).count();

    install(&sb, &[("HTTPS_PROXY", &proxy_url)]).ok();
    assert!(installed(&sb));
    let through = connects(&proxy.log());
    assert!(
        through > 0,
        "no CONNECT in tinyproxy's log:\n{}",
        proxy.log()
    );

    // NO_PROXY lists the host: direct, the proxy sees nothing more.
    reset(&sb);
    install(
        &sb,
        &[
            ("https_proxy", &proxy_url),
            ("NO_PROXY", "localhost,127.0.0.1"),
        ],
    )
    .ok();
    assert!(installed(&sb));
    assert_eq!(connects(&proxy.log()), through, "{}", proxy.log());

    // ALL_PROXY serves https too when HTTPS_PROXY is not set.
    reset(&sb);
    install(&sb, &[("ALL_PROXY", &proxy_url)]).ok();
    assert!(connects(&proxy.log()) > through, "{}", proxy.log());

    // A proxy that is not there: the run fails instead of going around it.
    reset(&sb);
    let dead = format!("http://127.0.0.1:{}", free_port());
    let r = install(&sb, &[("HTTPS_PROXY", &dead)])
        .expect(1, &[&format!("HTTPS_PROXY={dead}"), "is the proxy up"]);
    assert!(!installed(&sb), "{}", r.stderr);
    // And a proxy value that is not a URL is a configuration error naming the variable.
    install(&sb, &[("HTTPS_PROXY", "http://[::1")]).expect(2, &["HTTPS_PROXY"]);
}

const TOKEN: &str = "tok-cred-4242-SECRET-xyz";

/// A credential process that prints TOKEN (without the file holding it whole), records its
/// runs and first argument in `calls.log`.
fn credential_script(sb: &Sandbox, body: &str) {
    let p = sb.write("proj/bin/token.sh", format!("#!/bin/sh\necho \"$1 $OPTIMUS_PROVIDER_NAME\" >> \"$(dirname \"$0\")/calls.log\"\n{body}"));
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn credential_process_supplies_the_token_once_and_it_never_leaks() {
    let Some((sb, reg, pki)) = setup() else {
        return;
    };
    // neo's artifact lives on another origin, which must not receive the token.
    let elsewhere_root = sb.p("elsewhere");
    std::fs::create_dir_all(&elsewhere_root).unwrap();
    std::fs::copy(
        reg.root.join("artifacts/neo/1.0.0/optimus-plugin-neo.yaml"),
        elsewhere_root.join("neo.yaml"),
    )
    .unwrap();
    let elsewhere = HttpServer::start(&elsewhere_root);
    let idx = reg.root.join("index/neo.toml");
    let text = std::fs::read_to_string(&idx).unwrap().replace(
        "url = \"artifacts/neo/1.0.0/optimus-plugin-neo.yaml\"",
        &format!("url = \"{}\"", elsewhere.url("neo.yaml")),
    );
    std::fs::write(&idx, text).unwrap();
    reg.run(&sb, "yank", &["--resign", "neo", "1.0.0", "--undo"])
        .ok();

    let guard = Guard {
        bearer: Some(TOKEN),
        ..Guard::default()
    };
    let Some(nginx) = nginx(&sb.p("nginx"), &reg.root, &pki, guard) else {
        return;
    };
    let url = nginx.url("");
    let with_process = config(
        &url,
        &reg.public_key,
        "      ca_file: certs/ca.pem\n      credential_process: [./bin/token.sh, \"{name}\"]\n",
    );

    // Without credentials: 401.
    sb.write(
        "proj/optimus.yaml",
        config(&url, &reg.public_key, "      ca_file: certs/ca.pem\n"),
    );
    install(&sb, &[]).fails(1);

    // The process's token opens the registry; it ran once for the whole command (several
    // indexes and artifacts), with `{name}` replaced and the provider's name in its env.
    credential_script(&sb, "printf '%s-%s\\n' tok-cred-4242 SECRET-xyz\n");
    sb.write("proj/optimus.yaml", &with_process);
    let ok = install(&sb, &[]).ok();
    assert!(installed(&sb));
    assert_eq!(sb.read("proj/bin/calls.log"), "reg reg\n");
    assert!(
        nginx.log().matches("GET /index/").count() >= 2,
        "{}",
        nginx.log()
    );
    assert_eq!(elsewhere.hits("neo.yaml"), 1);
    assert!(
        elsewhere
            .log()
            .iter()
            .all(|r| !r.headers.contains_key("authorization")),
        "{:?}",
        elsewhere.log()
    );

    // A failing process: exit 1 naming the provider and program, its stderr shown with the
    // token scrubbed; nothing installed.
    reset(&sb);
    credential_script(
        &sb,
        "printf '%s-%s\\n' tok-cred-4242 SECRET-xyz\necho \"vault: token $(printf '%s-%s' tok-cred-4242 SECRET-xyz) expired\" >&2\nexit 3\n",
    );
    let failed = install(&sb, &[]).expect(
        1,
        &[
            "provider reg",
            "token.sh",
            "status 3",
            "vault: token *** expired",
        ],
    );
    assert!(!installed(&sb));

    // No token printed: a clear error.
    credential_script(&sb, "exit 0\n");
    let empty = install(&sb, &[]).expect(1, &["printed no token"]);

    // The wrong token: the 401 hint.
    credential_script(&sb, "echo tok-wrong-0000-SECRET\n");
    let wrong = install(&sb, &[]).expect(1, &["401"]);

    for r in [&ok, &failed, &empty, &wrong] {
        assert!(!r.all().contains(TOKEN), "token printed:\n{}", r.all());
        assert!(!r.all().contains("tok-wrong-0000-SECRET"), "{}", r.all());
    }
    for f in files_under(sb.path()) {
        if f.starts_with(sb.p("nginx")) || f.starts_with(sb.p("tinyproxy")) {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap_or_default()).into_owned();
        assert!(!text.contains(TOKEN), "token written into {}", f.display());
    }
}

#[test]
fn private_settings_are_checked_when_the_config_is_read() {
    let sb = Sandbox::new();
    let cases = [
        (
            "    - name: b\n      type: s3\n      bucket: plugins\n      credential_process: token-helper\n",
            "`credential_process` applies to http(s) providers only",
        ),
        (
            "    - name: b\n      type: registry\n      url: https://example.invalid/\n      headers: { Authorization: \"Bearer x1234\" }\n      credential_process: token-helper\n",
            "either `credential_process` or an Authorization header",
        ),
        (
            "    - name: b\n      type: registry\n      url: https://example.invalid/\n      client_key: k.pem\n",
            "`client_key` needs `client_cert`",
        ),
        (
            "    - name: b\n      type: registry\n      url: https://example.invalid/\n      credential_process: []\n",
            "names no program",
        ),
    ];
    for (provider, says) in cases {
        sb.write(
            "proj/optimus.yaml",
            format!("plugins:\n  providers:\n{provider}  plugins: []\n"),
        );
        install(&sb, &[]).expect(2, &["provider b", says]);
    }
}
