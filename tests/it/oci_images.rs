//! goto v2 yaml plugins run `plugin_versions.*.image:tag`: `lock` records the digest each tag
//! names, read from a real registry (Debian's docker-registry on loopback, images pushed here
//! through its HTTP API), and `verify` / `outdated` report a tag that moved since. Bearer auth
//! against the same registry, with a token server run by the test.

use crate::common::oci::{openssl_available, sha256, Registry, TokenServer};
use crate::common::Sandbox;

const REPO: &str = "neo/exec";

fn goto_yaml(host: &str, pinned: &str) -> String {
    format!(
        "version: 2\nname: neo\ndescription: near earth objects\nplugin_versions:\n  default:\n    image: {host}/{REPO}\n    tag: \"1.0\"\n    entrypoint:\n      script: run\n  \"1.1\":\n    tag: \"1.1\"\n  pinned:\n    tag: \"1.0@{pinned}\"\n"
    )
}

fn project(sb: &Sandbox, yaml: &str, extra: &str) {
    sb.write("proj/src/optimus-plugin-neo.yaml", yaml);
    sb.write(
        "proj/optimus.yaml",
        format!(
            "plugins:\n  target: goto\n{extra}  artifacts:\n    - ./src/optimus-plugin-neo.yaml\n"
        ),
    );
}

/// `(version, reference, digest)` of every `[[plugin.image]]` in the lock.
fn locked_images(sb: &Sandbox) -> Vec<(String, String, String)> {
    let lock: toml::Table = sb.read("proj/optimus.lock").parse().unwrap();
    lock["plugin"].as_array().unwrap()[0]
        .get("image")
        .and_then(|i| i.as_array())
        .map(|a| {
            a.iter()
                .map(|i| {
                    let s = |k: &str| i[k].as_str().unwrap().to_string();
                    (s("version"), s("reference"), s("digest"))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn lock_records_image_digests_and_verify_and_outdated_report_a_moved_tag() {
    let sb = Sandbox::new();
    let Some(reg) = Registry::start(&sb, None) else {
        return;
    };
    let host = reg.host();
    let d10 = reg.push_image(REPO, "1.0", b"layer one", false);
    let d11 = reg.push_image(REPO, "1.1", b"layer one point one", false);
    // A digest pinned in the reference is recorded without asking (nothing is pushed under it).
    let pinned = sha256(b"never pushed");
    project(&sb, &goto_yaml(&host, &pinned), "");
    sb.plugin(&["lock", "-c", "proj/optimus.yaml"]).ok();
    let r10 = format!("{host}/{REPO}:1.0");
    assert_eq!(
        locked_images(&sb),
        [
            ("1.1".into(), format!("{host}/{REPO}:1.1"), d11.clone()),
            ("default".into(), r10.clone(), d10.clone()),
            ("pinned".into(), format!("{r10}@{pinned}"), pinned.clone()),
        ]
    );
    // Deterministic: locking again gives the same bytes.
    let first = sb.read("proj/optimus.lock");
    sb.plugin(&["lock", "-c", "proj/optimus.yaml"]).ok();
    assert_eq!(sb.read("proj/optimus.lock"), first);

    sb.install("proj/optimus.yaml").ok();
    sb.plugin(&["verify", "-c", "proj/optimus.yaml"])
        .expect(0, &["3 locked image tag(s) unmoved"]);

    // The tag moves (an OCI manifest this time).
    let moved = reg.push_image(REPO, "1.0", b"layer one, rebuilt", true);
    assert_ne!(moved, d10);
    let want =
        format!("tag moved: {r10} was {d10}, now {moved} (plugin neo, plugin_versions.default)");
    let r = sb
        .plugin(&["verify", "-c", "proj/optimus.yaml"])
        .expect(1, &[&want]);
    assert!(!r.stdout.contains(":1.1 was"), "{}", r.all());
    // Files only: nothing to report.
    sb.plugin(&["verify", "-c", "proj/optimus.yaml", "--offline"])
        .ok();

    let r = sb
        .plugin(&["outdated", "-c", "proj/optimus.yaml", "--json"])
        .ok();
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let images = j["images"].as_array().unwrap();
    let default = images.iter().find(|i| i["version"] == "default").unwrap();
    assert_eq!(default["moved"], true, "{}", r.stdout);
    assert_eq!(default["locked"], d10.as_str());
    assert_eq!(default["current"], moved.as_str());
    let v11 = images.iter().find(|i| i["version"] == "1.1").unwrap();
    assert_eq!(
        (v11["moved"].clone(), v11["current"].clone()),
        (false.into(), d11.as_str().into())
    );
    sb.plugin(&["outdated", "-c", "proj/optimus.yaml"])
        .expect(0, &[&moved, &r10, "1 locked image tag(s) moved"]);

    // The lock keeps what was locked until the plugin is updated.
    sb.plugin(&["lock", "-c", "proj/optimus.yaml"]).ok();
    assert_eq!(sb.read("proj/optimus.lock"), first);
    sb.plugin(&["update", "-c", "proj/optimus.yaml", "--no-install", "neo"])
        .ok();
    assert!(locked_images(&sb).contains(&("default".into(), r10.clone(), moved.clone())));
    sb.plugin(&["verify", "-c", "proj/optimus.yaml"]).ok();
}

#[test]
fn a_tag_the_registry_does_not_have_fails_the_lock_and_names_everything() {
    let sb = Sandbox::new();
    let Some(reg) = Registry::start(&sb, None) else {
        return;
    };
    let host = reg.host();
    reg.push_image(REPO, "1.0", b"layer", false);
    let yaml = goto_yaml(&host, &sha256(b"x")).replace("tag: \"1.1\"", "tag: \"9.9\"");
    project(&sb, &yaml, "");
    let r = sb.plugin(&["lock", "-c", "proj/optimus.yaml"]).fails(1);
    let e = r.stderr;
    for want in [
        "plugin neo",
        "plugin_versions.1.1",
        &format!("{host}/{REPO}:9.9"),
        &format!("http://{host}/v2/{REPO}/manifests/9.9"),
        "no such tag",
    ] {
        assert!(e.contains(want), "{want:?} not in:\n{e}");
    }
    assert!(!sb.p("proj/optimus.lock").exists());
}

#[test]
fn bearer_tokens_with_credentials_only_for_the_hosts_they_belong_to() {
    let sb = Sandbox::new();
    if !openssl_available() {
        return;
    }
    let tokens = TokenServer::start(&sb, Some(("alice", "s3cr3t-pass")));
    let Some(reg) = Registry::start(&sb, Some(&tokens)) else {
        return;
    };
    let host = reg.host();
    let d10 = reg.push_image(REPO, "1.0", b"layer", false);
    let d11 = reg.push_image(REPO, "1.1", b"layer 2", false);
    let yaml = goto_yaml(&host, &sha256(b"x"));
    let env = [("REG_PASS", "s3cr3t-pass")];
    let run = |sb: &Sandbox| sb.run_env(&["plugin", "lock", "-c", "proj/optimus.yaml"], &env);

    // Anonymous: the token service refuses, and the error says where and what to do.
    project(&sb, &yaml, "");
    run(&sb).expect(
        1,
        &[
            "plugin neo",
            &format!("plugin_versions.1.1: image {host}/{REPO}:1.1"),
            &tokens.realm(),
            "image_registries",
        ],
    );
    assert!(tokens
        .seen
        .lock()
        .unwrap()
        .iter()
        .all(|t| t.authorization.is_none()));

    // Credentials for the registry: the realm is another host (port), so they are not sent.
    let creds = format!(
        "  image_registries:\n    - host: \"{host}\"\n      username: alice\n      password: ${{REG_PASS}}\n"
    );
    project(&sb, &yaml, &creds);
    run(&sb).fails(1);
    assert!(tokens
        .seen
        .lock()
        .unwrap()
        .iter()
        .all(|t| t.authorization.is_none()));
    assert!(!sb.p("proj/optimus.lock").exists());

    // Listed as a token host, the realm gets them, and the lock is written.
    let realm_host = format!("127.0.0.1:{}", tokens.port);
    project(
        &sb,
        &yaml,
        &format!("{creds}      token_hosts: [\"{realm_host}\"]\n"),
    );
    let r = run(&sb).ok();
    let images = locked_images(&sb);
    assert!(
        images.contains(&("default".into(), format!("{host}/{REPO}:1.0"), d10)),
        "{images:?}"
    );
    assert!(
        images.contains(&("1.1".into(), format!("{host}/{REPO}:1.1"), d11)),
        "{images:?}"
    );
    let seen = tokens.seen.lock().unwrap().clone();
    let last = seen.last().unwrap();
    assert!(
        last.authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic ")),
        "{seen:?}"
    );
    assert!(
        last.target.contains("service=optimus-test-registry")
            && last.target.contains("scope=repository%3Aneo%2Fexec%3Apull"),
        "{seen:?}"
    );
    let lock = sb.read("proj/optimus.lock");
    assert!(
        !lock.contains("s3cr3t") && !r.all().contains("s3cr3t"),
        "{lock}"
    );

    // outdated asks again through the same token flow: nothing moved.
    let r = sb
        .run_env(
            &["plugin", "outdated", "-c", "proj/optimus.yaml", "--json"],
            &env,
        )
        .ok();
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let images = j["images"].as_array().unwrap();
    assert_eq!(images.len(), 3, "{}", r.stdout);
    assert!(
        images
            .iter()
            .all(|i| i["moved"] == false && i["error"].is_null()),
        "{}",
        r.stdout
    );
}
