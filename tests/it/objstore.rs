//! Registries in buckets, against real emulators started here on free 127.0.0.1 ports:
//! moto (S3), azurite (Azure Blob) and fake-gcs-server (GCS). Each test starts its own
//! emulator as a child process and kills exactly that PID when it ends (a Drop guard); see
//! common/emulators.rs for where they are found and when a missing one skips the test.

use crate::common::*;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Helpers.

fn with_env(sb: &Sandbox, env: &[(String, String)], args: &[&str]) -> Run {
    let e: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut a = vec!["plugin"];
    a.extend_from_slice(args);
    sb.run_env(&a, &e)
}

/// `optimus-plugins publish --registry R --secret-key K <args>... <artifacts>...` with `env`.
fn publish_cmd(
    sb: &Sandbox,
    env: &[(String, String)],
    registry: &str,
    key: &Path,
    args: &[&str],
    artifacts: &[&Path],
) -> Command {
    let mut c = sb.command(&["plugin", "publish", "--registry", registry, "--secret-key"]);
    c.arg(key)
        .args(args)
        .args(artifacts)
        .envs(env.iter().map(|(k, v)| (k, v)));
    c
}

/// Checks an index read straight from the emulator (not through the binary under test) with
/// the reference `minisign` tool.
fn check_signature_with_minisign(sb: &Sandbox, index: &[u8], sig: &[u8], public_key: &str) {
    let Some(minisign) = minisign() else { return };
    let f = sb.write("check/index.toml", index);
    sb.write("check/index.toml.minisig", sig);
    let out = Command::new(minisign)
        .args(["-V", "-m"])
        .arg(&f)
        .args(["-P", public_key])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "minisign rejects the index signature: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn bucket_config(provider: &str, keys: &str, plugin: &str, version: &str) -> String {
    format!(
        "plugins:\n  providers:\n{provider}      public_keys: [\"{keys}\"]\n  plugins:\n    - name: {plugin}\n      provider: reg\n      version: \"{version}\"\n"
    )
}

/// Two `publish` processes race five versions each of one plugin into `registry`; then all
/// ten versions are in the index, its signature verifies, and every one installs.
fn race_and_install(
    sb: &Sandbox,
    env: &[(String, String)],
    registry: &str,
    provider_yaml: &str,
    fetch_raw: &dyn Fn(&str) -> Vec<u8>,
) {
    let (key, public_key) = keygen(sb, "race");
    let versions: Vec<Vec<String>> = vec![
        (0..5).map(|i| format!("1.{i}.0")).collect(),
        (0..5).map(|i| format!("2.{i}.0")).collect(),
    ];
    let mut artifacts = Vec::new();
    for vs in &versions {
        for v in vs {
            artifacts.push((v.clone(), make_yaml(sb, "racer", v)));
        }
    }
    let started = Instant::now();
    let threads: Vec<_> = versions
        .iter()
        .map(|vs| {
            let cmds: Vec<Command> = vs
                .iter()
                .map(|v| {
                    let art = &artifacts.iter().find(|(x, _)| x == v).unwrap().1;
                    publish_cmd(
                        sb,
                        env,
                        registry,
                        &key,
                        &["--type", "task", "racer", v],
                        &[art],
                    )
                })
                .collect();
            std::thread::spawn(move || {
                let mut runs = Vec::new();
                for mut c in cmds {
                    runs.push(Run::from(c.output().unwrap()));
                }
                runs
            })
        })
        .collect();
    let mut conflicts = 0;
    for t in threads {
        for r in t.join().unwrap() {
            conflicts += r
                .ok()
                .stderr
                .matches("another publisher updated it first")
                .count();
        }
    }
    eprintln!(
        "10 racing publishes took {:?}; {conflicts} conditional write(s) lost a race and retried",
        started.elapsed()
    );

    let index = fetch_raw("index/racer.toml");
    let sig = fetch_raw("index/racer.toml.minisig");
    let text = String::from_utf8(index.clone()).unwrap();
    for vs in &versions {
        for v in vs {
            assert!(
                text.contains(&format!("version = \"{v}\"")),
                "{v} lost:\n{text}"
            );
        }
    }
    check_signature_with_minisign(sb, &index, &sig, &public_key);

    // Every version installs from the bucket.
    for vs in &versions {
        for v in vs {
            sb.write(
                "proj/optimus.yaml",
                bucket_config(provider_yaml, &public_key, "racer", &format!("={v}")),
            );
            let _ = std::fs::remove_file(sb.p("proj/optimus.lock"));
            with_env(sb, env, &["install", "-c", "proj/optimus.yaml"]).ok();
            assert!(
                sb.read("proj/.plugins/optimus-plugin-racer.yaml")
                    .contains(&format!("pluginversion: {v}")),
                "{v}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[test]
fn s3_publish_race_install_yank() {
    let sb = Sandbox::new();
    let Some(emu) = moto(&sb) else { return };
    s3_bucket(&emu, "plugins");
    let env = s3_env(&emu);
    let provider = "    - name: reg\n      type: s3\n      bucket: plugins\n      prefix: team/reg\n      endpoint: ${S3_EP}\n      region: us-east-1\n";
    let mut env_ep = env.clone();
    env_ep.push(("S3_EP".into(), emu.base()));
    let port = emu.port;
    race_and_install(&sb, &env_ep, "s3://plugins/team/reg", provider, &|rel| {
        let (code, body) = http(
            port,
            "GET",
            &format!("/plugins/team/reg/{rel}"),
            &s3_auth(),
            b"",
        )
        .unwrap();
        assert_eq!(code, 200, "{rel}");
        body
    });

    // A binary plugin through an s3:// registry URL (creds only from the AWS_* env).
    let (key, public_key) = keygen(&sb, "bin");
    let art = make_targz(&sb, "bq2bq", "0.3.2", "linux_amd64");
    let reg = "s3://plugins/bin-reg";
    let mut c = publish_cmd(
        &sb,
        &env,
        reg,
        &key,
        &["--type", "task", "--binary-only", "bq2bq", "0.3.2"],
        &[&art],
    );
    Run::from(c.output().unwrap()).ok();
    let mut c = publish_cmd(
        &sb,
        &env,
        reg,
        &key,
        &["--type", "task", "--binary-only", "bq2bq", "0.3.2"],
        &[&art],
    );
    Run::from(c.output().unwrap()).expect(1, &["already published"]);
    sb.write(
        "bin/optimus.yaml",
        registry_config(reg, &public_key, &[("bq2bq", "*")]),
    );
    let r = with_env(
        &sb,
        &env,
        &[
            "install",
            "-c",
            "bin/optimus.yaml",
            "--platform",
            "linux_amd64",
        ],
    )
    .ok();
    assert!(!r.all().contains("testing-secret"));
    assert_eq!(
        sb.read("bin/.plugins/optimus-bq2bq_linux_amd64"),
        script("bq2bq", "0.3.2", "linux_amd64")
    );
    assert!(sb
        .read("bin/optimus.lock")
        .contains("s3://plugins/bin-reg/artifacts/bq2bq/0.3.2/"));

    // Yank, then a fresh resolution finds nothing; un-yank and it is back.
    let yank = |undo: bool| {
        let mut a = vec![
            "yank".to_string(),
            "--registry".into(),
            reg.into(),
            "--secret-key".into(),
            key.display().to_string(),
            "bq2bq".into(),
            "0.3.2".into(),
        ];
        if undo {
            a.push("--undo".into());
        }
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        with_env(&sb, &env, &a).ok();
    };
    yank(false);
    let (_, idx) = http(
        emu.port,
        "GET",
        "/plugins/bin-reg/index/bq2bq.toml",
        &s3_auth(),
        b"",
    )
    .unwrap();
    assert!(String::from_utf8_lossy(&idx).contains("yanked = true"));
    std::fs::remove_file(sb.p("bin/optimus.lock")).unwrap();
    with_env(
        &sb,
        &env,
        &[
            "lock",
            "-c",
            "bin/optimus.yaml",
            "--platform",
            "linux_amd64",
        ],
    )
    .fails(1);
    yank(true);
    with_env(
        &sb,
        &env,
        &[
            "lock",
            "-c",
            "bin/optimus.yaml",
            "--platform",
            "linux_amd64",
        ],
    )
    .ok();
}

#[test]
fn s3_publish_refuses_an_index_it_cannot_verify() {
    let sb = Sandbox::new();
    let Some(emu) = moto(&sb) else { return };
    s3_bucket(&emu, "plugins");
    let env = s3_env(&emu);
    let reg = "s3://plugins/r";
    let (key, _) = keygen(&sb, "one");
    let (other, _) = keygen(&sb, "two");
    let v1 = make_yaml(&sb, "neo", "1.0.0");
    let v2 = make_yaml(&sb, "neo", "1.1.0");
    Run::from(
        publish_cmd(&sb, &env, reg, &key, &["neo", "1.0.0"], &[&v1])
            .output()
            .unwrap(),
    )
    .ok();
    // Another key: refused at once, not after waiting for a racing publisher's signature.
    // The settle window is made long (120 s) so "at once" is unmistakable on a loaded machine.
    let mut long_settle = env.clone();
    long_settle.push(("OPTIMUS_PUBLISH_SETTLE_SECS".into(), "120".into()));
    let t = Instant::now();
    Run::from(
        publish_cmd(&sb, &long_settle, reg, &other, &["neo", "1.1.0"], &[&v2])
            .output()
            .unwrap(),
    )
    .expect(1, &["--resign"]);
    assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());
    // Same key, but the index was changed behind the publisher's back: it waits for a
    // signature to catch up (OPTIMUS_PUBLISH_SETTLE_SECS), then refuses.
    let (_, idx) = http(
        emu.port,
        "GET",
        "/plugins/r/index/neo.toml",
        &s3_auth(),
        b"",
    )
    .unwrap();
    let tampered = String::from_utf8(idx).unwrap().replace("task", "hook");
    let (code, _) = http(
        emu.port,
        "PUT",
        "/plugins/r/index/neo.toml",
        &s3_auth(),
        tampered.as_bytes(),
    )
    .unwrap();
    assert_eq!(code, 200);
    let mut env2 = env.clone();
    env2.push(("OPTIMUS_PUBLISH_SETTLE_SECS".into(), "1".into()));
    Run::from(
        publish_cmd(&sb, &env2, reg, &key, &["neo", "1.1.0"], &[&v2])
            .output()
            .unwrap(),
    )
    .expect(1, &["signature"]);
    // --resign accepts it as it is and signs it again.
    Run::from(
        publish_cmd(&sb, &env, reg, &key, &["--resign", "neo", "1.1.0"], &[&v2])
            .output()
            .unwrap(),
    )
    .ok();
}

#[test]
fn azure_publish_race_install() {
    let sb = Sandbox::new();
    let Some(emu) = azurite(&sb) else { return };
    az_container(&emu, "plugins");
    let env = az_env(&emu);
    let provider = "    - name: reg\n      type: azure\n      bucket: plugins\n      prefix: reg\n"
        .to_string();
    let port = emu.port;
    race_and_install(&sb, &env, "az://plugins/reg", &provider, &|rel| {
        // Read back through the emulator with a signed GET would need SharedKey again; the
        // binary cannot be used (it is under test), so sign the GET here as well.
        az_get(port, &format!("plugins/reg/{rel}"))
    });
}

#[test]
fn gcs_install_from_seeded_bucket() {
    let sb = Sandbox::new();
    let Some(emu) = fake_gcs(&sb) else { return };
    gcs_bucket(&emu, "plugins");
    // Build the registry locally with the real publish, then seed the bucket with it.
    let reg = neo_bq2bq_registry(&sb, "local-reg");
    gcs_seed(&emu, "plugins", "odpf", &reg.root);

    // 1. A gs:// registry URL with the GOOGLE_* environment.
    let env = gcs_env(&emu);
    sb.write(
        "p1/optimus.yaml",
        registry_config(
            "gs://plugins/odpf",
            &reg.public_key,
            &[("neo", "*"), ("bq2bq", "*")],
        ),
    );
    with_env(
        &sb,
        &env,
        &[
            "install",
            "-c",
            "p1/optimus.yaml",
            "--platform",
            "linux_amd64",
        ],
    )
    .ok();
    assert_eq!(
        sb.read("p1/.plugins/optimus-bq2bq_linux_amd64"),
        script("bq2bq", "0.3.2", "linux_amd64")
    );
    assert!(sb
        .read("p1/.plugins/optimus-plugin-neo.yaml")
        .contains("1.0.0"));

    // 2. A `type: gcs` provider with bucket/prefix/endpoint from ${VAR}; nothing but the
    //    bearer token from the environment. Index revalidation works on a second run.
    let provider = "    - name: reg\n      type: gcs\n      bucket: ${GCS_BUCKET}\n      prefix: odpf\n      endpoint: ${GCS_EP}\n";
    sb.write(
        "p2/optimus.yaml",
        bucket_config(provider, &reg.public_key, "neo", "^1"),
    );
    let env2 = vec![
        ("GCS_BUCKET".to_string(), "plugins".to_string()),
        ("GCS_EP".to_string(), emu.base()),
        (
            "GOOGLE_BEARER_TOKEN".to_string(),
            "dummy-token-value".to_string(),
        ),
    ];
    with_env(&sb, &env2, &["install", "-c", "p2/optimus.yaml"]).ok();
    assert!(sb
        .read("p2/.plugins/optimus-plugin-neo.yaml")
        .contains("1.0.0"));
    assert!(!sb.read("p2/optimus.lock").contains("dummy-token-value"));

    // 3. A tampered index in the bucket is refused and nothing is installed.
    let (code, _) = http(
        emu.port,
        "POST",
        "/upload/storage/v1/b/plugins/o?uploadType=media&name=odpf%2Findex%2Fneo.toml",
        &[],
        std::fs::read_to_string(reg.root.join("index/neo.toml"))
            .unwrap()
            .replace("task", "hook")
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(code, 200);
    sb.write(
        "p3/optimus.yaml",
        registry_config("gs://plugins/odpf", &reg.public_key, &[("neo", "*")]),
    );
    with_env(&sb, &env, &["install", "-c", "p3/optimus.yaml"]).expect(1, &["signature"]);
    assert!(!sb.p("p3/.plugins/optimus-plugin-neo.yaml").exists());
}

#[test]
fn gcs_service_account_field_is_used_and_never_printed() {
    // The RFC's base64 service-account json: it must be accepted, and neither it nor the
    // private key inside may appear in any output (here the token exchange fails, since no
    // real Google endpoint is reachable from a test; the error must stay clean).
    let sb = Sandbox::new();
    let sa = r#"{"type":"service_account","project_id":"p","private_key_id":"k1","private_key":"-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAsecretsecretsecret\n-----END PRIVATE KEY-----\n","client_email":"svc@p.iam.gserviceaccount.com","client_id":"1","token_uri":"http://127.0.0.1:9/token"}"#;
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(sa);
    let provider = "    - name: reg\n      type: gcs\n      bucket: plugins\n      endpoint: http://127.0.0.1:9\n      service_account: ${GCS_SA_B64}\n";
    let (_, public_key) = keygen(&sb, "sa");
    sb.write(
        "proj/optimus.yaml",
        bucket_config(provider, &public_key, "neo", "*"),
    );
    let r = sb.run_env(
        &["plugin", "lock", "-c", "proj/optimus.yaml"],
        &[("GCS_SA_B64", &b64), ("OPTIMUS_CONNECT_TIMEOUT", "2")],
    );
    assert_ne!(r.code, 0);
    let all = r.all();
    assert!(!all.contains(&b64), "{all}");
    assert!(!all.contains("secretsecretsecret"), "{all}");
}
