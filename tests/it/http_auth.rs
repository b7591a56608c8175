//! `http` and registry providers behind authentication (`headers`, `auth`): the requests carry
//! the credentials, and the secret never shows up in output, errors, the lockfile, receipts
//! or the cache, on success or on 401/403.

use crate::common::*;

use std::path::Path;

const TOKEN: &str = "tok-9f8e7d6c5b4a-SECRET";
const USER: &str = "deployer";
const PASSWORD: &str = "pw-Zq81-very-secret";

/// Every file name and every file's text under `dir`, for leak checks.
fn everything_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.push((p.display().to_string(), Vec::new()));
            out.extend(everything_under(&p));
        } else {
            out.push((
                p.display().to_string(),
                std::fs::read(&p).unwrap_or_default(),
            ));
        }
    }
    out
}

#[track_caller]
fn assert_no_leak(sb: &Sandbox, runs: &[&Run], secrets: &[&str]) {
    for s in secrets {
        for r in runs {
            assert!(!r.all().contains(s), "secret {s:?} printed:\n{}", r.all());
        }
        // The whole sandbox: project, lock, receipts, plugins, cache (names and contents).
        for (name, body) in everything_under(sb.path()) {
            assert!(!name.contains(s), "secret {s:?} in a file name: {name}");
            assert!(
                !String::from_utf8_lossy(&body).contains(s),
                "secret {s:?} written into {name}"
            );
        }
    }
}

/// A registry (yaml `neo`, binary `bq2bq`) plus a loose yaml artifact for a direct `http`
/// provider, all served by one server.
fn setup(sb: &Sandbox) -> (Registry, HttpServer) {
    let reg = neo_bq2bq_registry(sb, "registry");
    sb.write(
        "registry/direct/hook1/1.2.0/optimus-plugin-hook1.yaml",
        yaml_plugin("hook1", "1.2.0"),
    );
    let server = HttpServer::start(&reg.root);
    (reg, server)
}

fn config(server: &HttpServer, key: &str, auth_block: &str) -> String {
    format!(
        "plugins:\n  providers:\n    - name: reg\n      type: registry\n      url: {url}\n      public_keys: [\"{key}\"]\n{auth_block}    - name: internal\n      type: http\n      url: {url}direct/\n{auth_block}  plugins:\n    - name: neo\n      provider: reg\n    - name: bq2bq\n      provider: reg\n    - name: hook1\n      provider: internal\n      path: hook1/{{version}}/optimus-plugin-hook1.yaml\n      version: 1.2.0\n",
        url = server.url("")
    )
}

#[test]
fn bearer_header_is_sent_and_never_leaks() {
    let sb = Sandbox::new();
    let (reg, server) = setup(&sb);
    server.require_auth(&format!("Bearer {TOKEN}"));
    sb.write(
        "proj/optimus.yaml",
        config(
            &server,
            &reg.public_key,
            "      headers: { Authorization: \"Bearer ${PLUGINS_TOKEN}\" }\n",
        ),
    );
    let env = [("PLUGINS_TOKEN", TOKEN)];
    let args = [
        "plugin",
        "install",
        "-v",
        "-c",
        "proj/optimus.yaml",
        "--platform",
        "linux_amd64",
    ];
    let r1 = sb.run_env(&args, &env).ok();
    assert_eq!(
        sb.read("proj/.plugins/optimus-bq2bq_linux_amd64"),
        script("bq2bq", "0.3.2", "linux_amd64")
    );
    assert!(sb.p("proj/.plugins/optimus-plugin-hook1.yaml").is_file());
    // Every request carried the header (the server answers 401 otherwise).
    assert!(server
        .log()
        .iter()
        .all(|r| r.headers.get("authorization") == Some(&format!("Bearer {TOKEN}"))));

    // Wrong token: 401 is an exit-1 error naming the URL and hinting at credentials, and
    // neither token is printed.
    std::fs::remove_file(sb.p("proj/optimus.lock")).unwrap();
    let wrong = "tok-wrong-0000-SECRET";
    let r2 = sb
        .run_env(&args, &[("PLUGINS_TOKEN", wrong)])
        .expect(1, &["401", "credentials"]);

    // 403 from the server (right token): same care.
    server.fault("index/neo.toml", vec![Fault::Status(403, None)]);
    let r3 = sb.run_env(&args, &env).expect(1, &["403"]);

    assert_no_leak(&sb, &[&r1, &r2, &r3], &[TOKEN, wrong]);
}

#[test]
fn basic_auth_is_sent_and_never_leaks() {
    use base64::Engine;
    let sb = Sandbox::new();
    let (reg, server) = setup(&sb);
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    server.require_auth(&format!("Basic {encoded}"));
    sb.write(
        "proj/optimus.yaml",
        config(
            &server,
            &reg.public_key,
            "      auth: { username: deployer, password: \"${PLUGINS_PASSWORD}\" }\n",
        ),
    );
    let args = [
        "plugin",
        "install",
        "-v",
        "-c",
        "proj/optimus.yaml",
        "--platform",
        "linux_amd64",
    ];
    let r1 = sb.run_env(&args, &[("PLUGINS_PASSWORD", PASSWORD)]).ok();
    assert!(sb.p("proj/.plugins/optimus-plugin-neo.yaml").is_file());
    let r2 = sb
        .run_env(
            &["plugin", "verify", "-c", "proj/optimus.yaml"],
            &[("PLUGINS_PASSWORD", PASSWORD)],
        )
        .ok();

    // Wrong password: 401, nothing leaks (neither password nor either base64 form).
    std::fs::remove_dir_all(sb.p("cache")).unwrap();
    std::fs::remove_file(sb.p("proj/optimus.lock")).unwrap();
    let wrong = "pw-wrong-4444-secret";
    let r3 = sb
        .run_env(&args, &[("PLUGINS_PASSWORD", wrong)])
        .expect(1, &["401"]);
    let wrong_enc = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{wrong}"));
    assert_no_leak(
        &sb,
        &[&r1, &r2, &r3],
        &[PASSWORD, &encoded, wrong, &wrong_enc],
    );
}

#[test]
fn credentials_in_a_url_never_reach_the_lock_or_output() {
    // `https://user:secret@host/` style registry URLs: the user-info is sent, never written.
    let sb = Sandbox::new();
    let (reg, server) = setup(&sb);
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    server.require_auth(&format!("Basic {encoded}"));
    let url = format!(
        "http://{USER}:${{PLUGINS_PASSWORD}}@127.0.0.1:{}/",
        server.port
    );
    sb.write(
        "proj/optimus.yaml",
        registry_config(&url, &reg.public_key, &[("neo", "*")]),
    );
    let r = sb.run_env(
        &["plugin", "install", "-v", "-c", "proj/optimus.yaml"],
        &[("PLUGINS_PASSWORD", PASSWORD)],
    );
    eprintln!("{}", r.all());
    assert_eq!(r.code, 0, "{}", r.all());
    let lock = sb.read("proj/optimus.lock");
    assert!(
        lock.contains(&format!("http://127.0.0.1:{}/artifacts/neo/", server.port)),
        "{lock}"
    );
    assert_no_leak(&sb, &[&r], &[PASSWORD, &encoded]);
}

#[test]
fn credentials_stay_with_the_providers_origin() {
    // A signed index may list an absolute artifact URL on another host: that host must not
    // receive the provider's token.
    let sb = Sandbox::new();
    let (reg, server) = setup(&sb);
    server.require_auth(&format!("Bearer {TOKEN}"));
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
    // Re-sign the edited index with the registry's key.
    reg.run(&sb, "yank", &["--resign", "neo", "1.0.0", "--undo"])
        .ok();
    sb.write(
        "proj/optimus.yaml",
        format!(
            "plugins:\n  providers:\n    - name: reg\n      url: {}\n      public_keys: [\"{}\"]\n      headers: {{ Authorization: \"Bearer ${{PLUGINS_TOKEN}}\" }}\n  plugins:\n    - name: neo\n      provider: reg\n",
            server.url(""),
            reg.public_key
        ),
    );
    let r = sb
        .run_env(
            &["plugin", "install", "-c", "proj/optimus.yaml"],
            &[("PLUGINS_TOKEN", TOKEN)],
        )
        .ok();
    assert!(sb.p("proj/.plugins/optimus-plugin-neo.yaml").is_file());
    assert_eq!(elsewhere.hits("neo.yaml"), 1);
    assert!(
        elsewhere
            .log()
            .iter()
            .all(|r| !r.headers.contains_key("authorization")),
        "{:?}",
        elsewhere.log()
    );
    assert_no_leak(&sb, &[&r], &[TOKEN]);
}
