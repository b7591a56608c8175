//! Speaking real Optimus: every case of tests/data/upstream/verdicts.toml gets upstream's
//! verdict (and its exact error text) under each target; discovery's file-name and
//! de-duplication rules; `list --json` against an independent port of upstream's discovery;
//! upstream-shaped configs (tests/data/upstream/configs) doing what upstream does.

use crate::common::*;
use optimus_plugins::model::platform::Platform;
use optimus_plugins::upstream::discover;
use optimus_plugins::upstream::target::{Target, TARGETS};
use optimus_plugins::upstream::yaml::check_text;
use std::path::{Path, PathBuf};

fn upstream_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/upstream")
}

fn verdicts() -> toml::Value {
    let text = std::fs::read_to_string(upstream_dir().join("verdicts.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

/// Upstream's fixtures are not committed (SOURCES.md names them); when a copy is at hand
/// (`OPTIMUS_UPSTREAM_FIXTURES`, default /tmp/up) and its sha256 matches, it is checked too.
fn fixture_text(f: &toml::Value) -> Option<(String, String)> {
    let file = f["file"].as_str().unwrap();
    let stored = f["stored"].as_bool().unwrap();
    let path = if stored {
        upstream_dir().join(file)
    } else {
        let root = std::env::var("OPTIMUS_UPSTREAM_FIXTURES").unwrap_or_else(|_| "/tmp/up".into());
        let p = Path::new(&root).join(file);
        if !p.is_file() || sha256_file(&p) != f["sha256"].as_str().unwrap() {
            return None;
        }
        p
    };
    Some((file.to_string(), std::fs::read_to_string(path).unwrap()))
}

#[test]
fn every_case_gets_upstreams_verdict_under_each_target() {
    let v = verdicts();
    let mut checked = 0;
    let mut failures = Vec::new();
    for f in v["fixture"].as_array().unwrap() {
        let stored = f["stored"].as_bool().unwrap();
        let Some((file, text)) = fixture_text(f) else {
            continue;
        };
        let base = Path::new(&file)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for t in TARGETS {
            let want = &f[t.to_string().as_str()];
            let got = check_text(&text, &base, *t);
            let ok = want["ok"].as_bool().unwrap();
            let expected = want.get("error").and_then(|e| e.as_str());
            if got.refusal.as_deref() != expected || got.loads() != ok {
                failures.push(format!(
                    "{file} [{t}]: expected {expected:?}, got {:?}",
                    got.refusal
                ));
            }
            checked += 1;
        }
        if stored {
            assert!(sha256_file(&upstream_dir().join(&file)) == f["sha256"].as_str().unwrap());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 41 * 3, "{checked}");
}

#[test]
fn validate_prints_upstreams_reason_and_exits_by_its_verdict() {
    let sb = Sandbox::new();
    let v = verdicts();
    for f in v["fixture"].as_array().unwrap() {
        if !f["stored"].as_bool().unwrap() {
            continue;
        }
        let file = upstream_dir().join(f["file"].as_str().unwrap());
        for t in TARGETS {
            let want = &f[t.to_string().as_str()];
            let args = [
                "validate",
                "--path",
                file.to_str().unwrap(),
                "--target",
                &t.to_string(),
            ];
            if want["ok"].as_bool().unwrap() {
                sb.plugin(&args).ok();
            } else {
                let said = want["error"].as_str().unwrap().replace('\n', "\n  ");
                // Theirs, and ours beside it at a line of the file.
                sb.plugin(&args)
                    .expect(1, &[&format!("optimus ({t}) says: {said}"), ": error: "]);
            }
        }
    }
}

#[test]
fn file_name_rules() {
    let v = verdicts();
    let linux = Platform::parse("linux_amd64").unwrap();
    let sb = Sandbox::new();
    for f in v["filename"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        for t in TARGETS {
            assert_eq!(
                t.rules().is_yaml_file(name),
                f["yaml"].as_bool().unwrap(),
                "{name} [{t}]"
            );
        }
        // Binaries, through discovery (raystack runs binaries).
        let dir = sb.p(&format!("bin-{}", name.replace('/', "_")));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), "x").unwrap();
        let d = discover(Target::Raystack.rules(), &[dir], &linux, &[]);
        let is_bin = d.discovered.iter().any(|d| d.kind.as_str() == "binary");
        assert_eq!(
            is_bin,
            f["binary_on_linux_amd64"].as_bool().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn dedup_keeps_what_upstream_keeps() {
    let v = verdicts();
    let linux = Platform::parse("linux_amd64").unwrap();
    for case in v["dedup"].as_array().unwrap() {
        let sb = Sandbox::new();
        let title = case["title"].as_str().unwrap();
        let root = sb.path().to_path_buf();
        let mut dirs = Vec::new();
        for d in case["dirs"].as_array().unwrap() {
            let dir = root.join(d["dir"].as_str().unwrap().trim_start_matches('/'));
            std::fs::create_dir_all(&dir).unwrap();
            for f in d["files"].as_array().unwrap() {
                std::fs::write(dir.join(f.as_str().unwrap()), "name: x\n").unwrap();
            }
            dirs.push(dir);
        }
        let yaml = case["pattern"]["suffix"].as_str().unwrap() == ".yaml";
        let d = discover(Target::Raystack.rules(), &dirs, &linux, &[]);
        let mut kept: Vec<String> = d
            .discovered
            .iter()
            .filter(|d| {
                d.kind.as_str() == if yaml { "yaml" } else { "binary" } && d.shadowed_by.is_none()
            })
            .map(|d| format!("/{}", d.path.strip_prefix(&root).unwrap().display()))
            .collect();
        kept.sort();
        let mut want: Vec<String> = case["kept"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect();
        want.sort();
        assert_eq!(kept, want, "{title}");
    }
}

// ---------------------------------------------------------------------------------------------
// `list --json` against a port of upstream's discoverPluginsGivenFilePattern.

/// plugin/plugin.go (raystack HEAD :49-123): dirs in order, prefix/suffix, stat, dedup by
/// `strings.Contains(storedPath, strings.Split(name, "_")[0])`.
fn upstream_discover(dirs: &[PathBuf], prefix: &str, suffix: &str) -> Vec<PathBuf> {
    let mut stored: Vec<PathBuf> = Vec::new();
    for dir in dirs {
        let Ok(rd) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<String> = rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        'entries: for full in names {
            if !full.starts_with(prefix) || !full.ends_with(suffix) {
                continue;
            }
            let p = dir.join(&full);
            match std::fs::metadata(&p) {
                Ok(m) if !m.is_dir() => {}
                _ => continue,
            }
            if full.split('-').count() < 2 {
                continue;
            }
            let plugin_name = full.split('_').next().unwrap();
            for s in &stored {
                if s.to_string_lossy().contains(plugin_name) {
                    continue 'entries;
                }
            }
            stored.push(p);
        }
    }
    stored
}

fn yaml(name: &str) -> String {
    format!("name: {name}\nplugintype: task\npluginversion: 1.0.0\nimage: example.org/{name}:1.0.0\nentrypoint:\n  script: run\n")
}

#[test]
fn list_json_matches_upstream_discovery() {
    let sb = Sandbox::new();
    // cwd's path holds "optimus-neo": once anything is stored from it, a binary named neo is
    // hidden wherever it is.
    let proj = sb.p("src/optimus-neo");
    sb.write(
        "src/optimus-neo/optimus.yaml",
        "plugins:\n  artifacts: []\n",
    );
    let dot = proj.join(".plugins");
    std::fs::create_dir_all(&dot).unwrap();
    let w = |dir: &Path, f: &str, text: &str| std::fs::write(dir.join(f), text).unwrap();
    w(&dot, "optimus-plugin-neo.yaml", &yaml("neo"));
    w(&dot, "optimus-plugin-neo_v2.yaml", &yaml("neo2")); // hidden: key "optimus-plugin-neo"
    w(&dot, "optimus-plugin-neo4j.yaml", &yaml("neo4j")); // kept: whole name is the key
    w(&dot, "optimus-plugin-bq.yml", &yaml("bq")); // never discovered
    w(&dot, "optimus-plugin-other.yaml", &yaml("neo4j")); // duplicate name: startup error
    w(&dot, "optimus-bq2bq_linux_amd64", "bin"); // binary with no yaml: startup error
    w(&dot, "optimus-neo4j_linux_amd64", "bin"); // merged with neo4j's yaml
    w(&dot, "optimus-neo_linux_amd64", "bin"); // hidden by the cwd path / neo4j
    w(&proj, "optimus-plugin-neo.yaml", &yaml("neo")); // hidden: same name in .plugins
    std::fs::create_dir_all(dot.join("sub")).unwrap();
    w(&dot.join("sub"), "optimus-plugin-deep.yaml", &yaml("deep")); // no recursion
    let home_plugins = sb.p("home/.optimus/plugins");
    std::fs::create_dir_all(&home_plugins).unwrap();
    w(&home_plugins, "optimus-plugin-far.yaml", &yaml("far"));

    let r = sb
        .run_in(
            &proj,
            &["plugin", "list", "--json", "--platform", "linux_amd64"],
            &[],
        )
        .ok();
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let dirs: Vec<PathBuf> = j["discovery_dirs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| PathBuf::from(d.as_str().unwrap()))
        .collect();
    assert_eq!(dirs[0], proj.join(".plugins"));
    assert_eq!(dirs[1], proj);
    for (prefix, suffix, kind) in [
        ("optimus-plugin-", ".yaml", "yaml"),
        ("optimus-", "_linux_amd64", "binary"),
    ] {
        let mut want = upstream_discover(&dirs, prefix, suffix);
        want.sort();
        let mut got: Vec<PathBuf> = j["discovered"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"] == kind && d["shadowed_by"].is_null())
            .map(|d| PathBuf::from(d["path"].as_str().unwrap()))
            .collect();
        got.sort();
        assert_eq!(got, want, "{kind}\n{}", r.stdout);
    }
    let used: Vec<String> = j["discovered"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["used"] == true)
        .map(|d| {
            d["path"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        used,
        [
            "optimus-plugin-neo.yaml",
            "optimus-plugin-neo4j.yaml",
            "optimus-plugin-far.yaml",
            "optimus-neo4j_linux_amd64"
        ],
        "{}",
        r.stdout
    );
    let errors: Vec<&str> = j["startup_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        errors.contains(&"plugin name already in use neo4j"),
        "{errors:?}"
    );
    assert!(
        errors.contains(
            &"PluginRegistry.Add: bq2bq: please provide yaml version of the plugin bq2bq"
        ),
        "{errors:?}"
    );
    // The substring quirk is explained where it hides a file.
    assert!(r.stdout.contains("up to the first `_`"), "{}", r.stdout);
    // The human view says which files are used and why not.
    sb.run_in(&proj, &["plugin", "list", "--platform", "linux_amd64"], &[])
        .expect(0, &["would not start"]);
}

#[test]
fn list_says_when_the_target_does_not_search_the_plugin_dir() {
    let sb = Sandbox::new();
    sb.write(
        "proj/optimus.yaml",
        "plugins:\n  dir: vendor/plugins\n  artifacts: []\n",
    );
    sb.write("proj/vendor/plugins/optimus-plugin-neo.yaml", yaml("neo"));
    sb.run_in(&sb.p("proj"), &["plugin", "list"], &[])
        .expect(0, &["does not look in", "vendor/plugins"]);
    // goto's `plugins.location` is searched first.
    let r = sb
        .run_in(
            &sb.p("proj"),
            &["plugin", "list", "--json", "--target", "goto"],
            &[],
        )
        .ok();
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["plugin_dir_searched"], true, "{}", r.stdout);
}

// ---------------------------------------------------------------------------------------------
// Upstream-shaped configs.

fn config(name: &str) -> String {
    std::fs::read_to_string(upstream_dir().join("configs").join(name)).unwrap()
}

#[test]
fn raystack_server_config_installs_artifacts_in_order_later_wins() {
    let sb = Sandbox::new();
    let first = yaml("neo").replace("1.0.0", "0.1.0");
    let second = yaml("neo");
    sb.write("web/optimus-plugin-neo.yaml", &first);
    let server = HttpServer::start(&sb.p("web"));
    sb.write("transformers/optimus-plugin-neo.yaml", &second);
    sb.write("proj/optimus.yaml", config("raystack-server.yaml"));
    sb.run_in(
        &sb.p("proj"),
        &["plugin", "install"],
        &[("NEO_URL", &server.url("/optimus-plugin-neo.yaml"))],
    )
    .expect(
        0,
        &[
            "listed twice",
            "../transformers/optimus-plugin-neo.yaml",
            "optimus-plugin-neo.yaml",
        ],
    );
    assert_eq!(sb.read("proj/.plugins/optimus-plugin-neo.yaml"), second);
    let lock = sb.read("proj/optimus.lock");
    assert!(
        lock.contains("transformers/optimus-plugin-neo.yaml"),
        "{lock}"
    );
    assert!(!lock.contains("NEO_URL"), "{lock}");
}

#[test]
fn goto_server_config_location_is_the_plugin_dir() {
    let sb = Sandbox::new();
    sb.write("proj/config.yaml", config("goto-server.yaml"));
    sb.write("proj/app/plugins/optimus-plugin-neo.yaml", "version: 2\nname: neo\nplugin_versions:\n  default:\n    image: example.org/neo\n    tag: 1.0.0\n    entrypoint:\n      script: run\n  \"1.1\":\n    tag: 1.1.0\n");
    let r = sb
        .run_in(
            &sb.p("proj"),
            &[
                "plugin",
                "list",
                "-c",
                "config.yaml",
                "--json",
                "--target",
                "goto",
            ],
            &[],
        )
        .ok();
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        j["plugin_dir"].as_str().unwrap().ends_with("app/plugins"),
        "{}",
        r.stdout
    );
    assert!(
        j["discovery_dirs"][0]
            .as_str()
            .unwrap()
            .ends_with("app/plugins"),
        "{}",
        r.stdout
    );
    let neo = &j["discovered"][0];
    assert_eq!(neo["name"], "neo");
    assert_eq!(neo["used"], true);
    assert_eq!(neo["versions"], serde_json::json!(["default", "1.1"]));
    // validate --jobs: a job's task.version must be one of plugin_versions.
    sb.write(
        "proj/jobs/a/job.yaml",
        "name: a\ntask:\n  name: neo\n  version: \"1.1\"\n",
    );
    sb.write(
        "proj/jobs/b/job.yaml",
        "name: b\ntask:\n  name: neo\n  version: \"2.0\"\n",
    );
    let r = sb
        .run_in(
            &sb.p("proj"),
            &[
                "plugin",
                "validate",
                "--path",
                "app/plugins",
                "--target",
                "goto",
                "--jobs",
                "jobs",
            ],
            &[],
        )
        .fails(1);
    assert!(
        r.stdout.contains("plugin version [neo:2.0] is not found") && !r.stdout.contains("jobs/a/"),
        "{}",
        r.stdout
    );
}

#[test]
fn client_config_host_is_synced_like_optimus_plugin_sync() {
    let sb = Sandbox::new();
    write_zip(
        &sb.p("web/plugins"),
        &[(
            "optimus-plugin-neo.yaml".into(),
            yaml("neo").into_bytes(),
            0o644,
        )],
    );
    let server = HttpServer::start(&sb.p("web"));
    let hostport = server
        .url("/")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    // The host's own path is replaced by /plugins, and no scheme means http://.
    let text =
        config("raystack-client.yaml").replace("localhost:9100", &format!("{hostport}/api/v1"));
    sb.write("proj/optimus.yaml", text);
    sb.run_in(&sb.p("proj"), &["plugin", "sync"], &[]).ok();
    assert_eq!(
        sb.read("proj/.plugins/optimus-plugin-neo.yaml"),
        yaml("neo")
    );
    assert!(server.hits("/plugins") >= 1);
    // A plugin the target would refuse is not synced.
    sb.run_in(
        &sb.p("proj"),
        &["plugin", "sync", "--target", "raystack-0.5"],
        &[],
    )
    .expect(1, &["field entrypoint not found"]);
}

#[test]
fn goreleaser_archive_installs_every_entry_whatever_the_project_is_called() {
    let sb = Sandbox::new();
    write_targz(
        &sb.p("dist/optimus-plugins_0.1.0_linux_amd64.tar.gz"),
        &[
            ("optimus-neo_linux_amd64".into(), b"bin".to_vec(), 0o755),
            (
                "optimus-plugin-neo.yaml".into(),
                yaml("neo").into_bytes(),
                0o644,
            ),
            ("LICENSE".into(), b"license".to_vec(), 0o644),
        ],
    );
    sb.write(
        "proj/optimus.yaml",
        "plugin:\n  artifacts:\n    - ../dist/optimus-plugins_0.1.0_linux_amd64.tar.gz\n",
    );
    let r = sb.install("proj/optimus.yaml").ok();
    assert!(
        sb.p("proj/.plugins/optimus-neo_linux_amd64").is_file(),
        "{}",
        r.all()
    );
    assert!(sb.p("proj/.plugins/optimus-plugin-neo.yaml").is_file());
    let lock = sb.read("proj/optimus.lock");
    assert!(!lock.contains("name = \"plugins\""), "{lock}");
    assert!(lock.contains("name = \"optimus-plugins\""), "{lock}");
}

#[test]
fn list_in_a_client_project_shows_what_optimus_would_load_and_that_nothing_is_declared() {
    // A real client config (`version:`, `host:`, no plugin section), synced from its server.
    let sb = Sandbox::new();
    write_zip(
        &sb.p("web/plugins"),
        &[(
            "optimus-plugin-neo.yaml".into(),
            yaml("neo").into_bytes(),
            0o644,
        )],
    );
    let server = HttpServer::start(&sb.p("web"));
    let hostport = server.url("").trim_start_matches("http://").to_string();
    let hostport = hostport.trim_end_matches('/');
    sb.write(
        "proj/optimus.yaml",
        config("raystack-client.yaml").replace("localhost:9100", hostport),
    );
    sb.run_in(&sb.p("proj"), &["plugin", "sync"], &[]).ok();
    // A plugin put there by hand (as upstream's own `plugin sync` would leave one).
    sb.write("proj/.plugins/optimus-plugin-local.yaml", yaml("local"));
    let before = Snapshot::take(&[sb.p("proj")]);
    let r = sb
        .run_in(&sb.p("proj"), &["plugin", "list", "--json"], &[])
        .expect(0, &[]);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["declared"], false, "{}", r.stdout);
    assert_eq!(j["target"], "raystack");
    let status = |name: &str| {
        j["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status("neo").as_deref(), Some("ok"), "{}", r.stdout);
    assert_eq!(
        status("local").as_deref(),
        Some("unmanaged"),
        "{}",
        r.stdout
    );
    let used: Vec<&str> = j["discovered"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["used"] == true)
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(used, ["local", "neo"], "{}", r.stdout);
    sb.run_in(&sb.p("proj"), &["plugin", "list"], &[]).expect(
        0,
        &[
            "optimus.yaml has no `plugins:` section, so it declares no plugins",
            "optimus.yaml declares no plugins; 2 plugin(s) in .plugins",
            "Optimus would load 2",
        ],
    );
    // --target picks the target, as plugins.target would; goto's `plugins.location` is unset.
    let r = sb
        .run_in(
            &sb.p("proj"),
            &["plugin", "list", "--json", "--target", "goto"],
            &[],
        )
        .expect(0, &[]);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["target"], "goto");
    assert_eq!(
        j["discovery_dirs"],
        serde_json::json!([sb.p("proj/.plugins"), sb.p("proj")]),
        "{}",
        r.stdout
    );
    before.assert_unchanged(&[]);
}

#[test]
fn install_warns_when_the_target_would_not_start_with_the_plugin_dir() {
    // Two yaml plugins declaring one `name:` load one by one, but raystack refuses to start
    // with both: the discovery pass `list` and `validate` use says so after the install. (An
    // artifact whose yaml names another plugin is refused, so the second one is a file the
    // user left in the plugin dir.)
    let sb = Sandbox::new();
    sb.write("art/optimus-plugin-neo.yaml", yaml("neo"));
    sb.write("proj/.plugins/optimus-plugin-neo2.yaml", yaml("neo"));
    sb.write(
        "proj/optimus.yaml",
        "plugin:\n  artifacts:\n    - ../art/optimus-plugin-neo.yaml\n",
    );
    let r = sb.install("proj/optimus.yaml").expect(
        0,
        &[
            "warning: Optimus (raystack) would not start with proj/.plugins as it is: plugin name already in use neo",
        ],
    );
    assert!(
        sb.p("proj/.plugins/optimus-plugin-neo2.yaml").is_file(),
        "{}",
        r.all()
    );
    // The same words as `list`'s startup errors.
    sb.run_in(&sb.p("proj"), &["plugin", "list", "--json"], &[])
        .expect(0, &["\"plugin name already in use neo\""]);
}
