//! The day after install: `list` (and its JSON) compared with the real files, `update`,
//! `outdated`, `remove` and `verify`, end to end against a registry built with publish.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A registry with neo 1.0.0 (yaml) and bq2bq 0.3.1 (binary); a project using both.
fn project(sb: &Sandbox) -> Registry {
    let reg = Registry::new(sb, "registry");
    reg.publish_yaml(sb, "neo", "1.0.0").ok();
    reg.publish_task(sb, "bq2bq", "0.3.1", &[PLAT]).ok();
    sb.write(
        "proj/optimus.yaml",
        registry_config(
            "../registry",
            &reg.public_key,
            &[("neo", "^1"), ("bq2bq", "~0.3")],
        ),
    );
    reg
}

/// Runs `optimus-plugins <args>` inside the project directory.
fn run(sb: &Sandbox, args: &[&str]) -> Run {
    let mut a = vec!["plugin"];
    a.extend_from_slice(args);
    sb.run_in(&sb.p("proj"), &a, &[])
}

fn json(r: &Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

fn canon(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn entry<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {v:#}"))
}

#[test]
fn list_json_matches_the_files_and_marks_shadowing() {
    let sb = Sandbox::new();
    project(&sb);
    run(&sb, &["install", "--platform", PLAT]).ok();
    // A plugin the user dropped in by hand, and copies Optimus would also find elsewhere.
    sb.write(
        "proj/.plugins/optimus-plugin-mine.yaml",
        yaml_plugin("mine", "1"),
    );
    sb.write(
        "home/.optimus/plugins/optimus-plugin-neo.yaml",
        yaml_plugin("neo", "9"),
    );
    sb.write(
        "home/.optimus/plugins/optimus-mine_linux_amd64",
        "#!/bin/sh\n",
    );
    sb.write("proj/optimus-bq2bq_linux_amd64", "#!/bin/sh\n");

    let r = run(&sb, &["list", "--json", "--platform", PLAT]).ok();
    let v = json(&r);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["platform"], PLAT);
    let dir = PathBuf::from(v["plugin_dir"].as_str().unwrap());
    assert_eq!(canon(&dir), canon(&sb.p("proj/.plugins")));
    let plugins = v["plugins"].as_array().unwrap();
    assert_eq!(plugins.len(), 3, "{v:#}");

    // Every managed entry points at a real file whose content is what the registry served.
    let neo = entry(&v, "neo");
    assert_eq!(neo["version"], "1.0.0");
    assert_eq!(neo["kind"], "yaml");
    assert_eq!(neo["platform"], "any");
    assert_eq!(neo["provider"], "reg");
    assert_eq!(neo["status"], "ok");
    assert_eq!(neo["file"], "optimus-plugin-neo.yaml");
    assert_eq!(
        std::fs::read_to_string(neo["path"].as_str().unwrap()).unwrap(),
        yaml_plugin("neo", "1.0.0")
    );
    let bq = entry(&v, "bq2bq");
    assert_eq!(bq["version"], "0.3.1");
    assert_eq!(bq["plugin_type"], "task");
    assert_eq!(bq["kind"], "binary");
    assert_eq!(bq["platform"], PLAT);
    assert_eq!(bq["status"], "ok");
    assert_eq!(
        std::fs::read_to_string(bq["path"].as_str().unwrap()).unwrap(),
        script("bq2bq", "0.3.1", PLAT)
    );
    let mine = entry(&v, "mine");
    assert_eq!(mine["status"], "unmanaged");
    assert!(mine["version"].is_null());

    // Discovery: every listed file exists; exactly one is used per name; shadowed ones point
    // at it. Sandbox files only (the exec dir and /usr/bin hold whatever they hold).
    let found: Vec<&Value> = v["discovered"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            d["path"]
                .as_str()
                .unwrap()
                .starts_with(sb.path().to_str().unwrap())
        })
        .collect();
    for d in &found {
        assert!(Path::new(d["path"].as_str().unwrap()).is_file(), "{d}");
    }
    let find = |path: PathBuf| {
        *found
            .iter()
            .find(|d| canon(Path::new(d["path"].as_str().unwrap())) == canon(&path))
            .unwrap_or_else(|| panic!("{} not discovered: {v:#}", path.display()))
    };
    // neo: the project's yaml wins (first dir); the one under $HOME is shadowed.
    let used = find(sb.p("proj/.plugins/optimus-plugin-neo.yaml"));
    assert_eq!(used["used"], true);
    assert_eq!(used["managed"], true);
    let shadowed = find(sb.p("home/.optimus/plugins/optimus-plugin-neo.yaml"));
    assert_eq!(shadowed["used"], false);
    assert_eq!(
        canon(Path::new(shadowed["shadowed_by"].as_str().unwrap())),
        canon(&sb.p("proj/.plugins/optimus-plugin-neo.yaml"))
    );
    // bq2bq: .plugins comes before ./ in Optimus's order, and the later copy is hidden. A
    // binary with no yaml plugin of its name stops Optimus (v0.5+) at startup.
    let bq = find(sb.p("proj/.plugins/optimus-bq2bq_linux_amd64"));
    assert_eq!(bq["used"], false);
    assert!(bq["note"]
        .as_str()
        .unwrap()
        .contains("please provide yaml version of the plugin bq2bq"));
    let copy = find(sb.p("proj/optimus-bq2bq_linux_amd64"));
    assert_eq!(
        canon(Path::new(copy["shadowed_by"].as_str().unwrap())),
        canon(&sb.p("proj/.plugins/optimus-bq2bq_linux_amd64"))
    );
    assert!(
        v["startup_errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e
                == "PluginRegistry.Add: bq2bq: please provide yaml version of the plugin bq2bq")
    );
    // mine: the binary under $HOME is merged with the yaml plugin of its name; both are used.
    let yaml = find(sb.p("proj/.plugins/optimus-plugin-mine.yaml"));
    assert_eq!(yaml["used"], true);
    assert_eq!(yaml["managed"], false);
    let bin = find(sb.p("home/.optimus/plugins/optimus-mine_linux_amd64"));
    assert_eq!(bin["used"], true);
    assert!(bin["note"].as_str().unwrap().contains("merged"));

    // The text form: one summary line on stdout at the end.
    let r = run(&sb, &["list", "--platform", PLAT]).expect(0, &["hidden by", "would not start"]);
    let last = r.stdout.lines().last().unwrap();
    assert!(
        last.starts_with("3 plugin(s) in .plugins, all ok; Optimus would load"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_binary_is_merged_with_its_yaml_plugin_from_any_directory() {
    let sb = Sandbox::new();
    project(&sb);
    run(&sb, &["install", "--platform", PLAT]).ok();
    sb.write(
        "home/.optimus/plugins/optimus-plugin-bq2bq.yaml",
        yaml_plugin("bq2bq", "1"),
    );
    let v = json(&run(&sb, &["list", "--json", "--platform", PLAT]).ok());
    let d: Vec<&Value> = v["discovered"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["name"] == "bq2bq")
        .collect();
    assert_eq!(d[0]["kind"], "yaml", "{v:#}");
    assert_eq!(d[0]["used"], true);
    assert_eq!(d[1]["kind"], "binary");
    assert_eq!(d[1]["used"], true, "{v:#}");
    assert!(v["startup_errors"].as_array().unwrap().is_empty(), "{v:#}");
}

#[test]
fn list_statuses_missing_modified_outdated() {
    let sb = Sandbox::new();
    let reg = project(&sb);
    run(&sb, &["install", "--platform", PLAT]).ok();
    std::fs::remove_file(sb.p("proj/.plugins/optimus-bq2bq_linux_amd64")).unwrap();
    sb.write(
        "proj/.plugins/optimus-plugin-neo.yaml",
        "name: neo\n# edited\n",
    );
    let v = json(&run(&sb, &["list", "--json", "--platform", PLAT]).ok());
    assert_eq!(entry(&v, "bq2bq")["status"], "missing");
    assert_eq!(entry(&v, "neo")["status"], "modified");
    assert!(entry(&v, "neo")["detail"]
        .as_str()
        .unwrap()
        .contains("optimus-plugins install"));
    // Restore, then move the lock ahead of the install: outdated.
    run(&sb, &["install", "--platform", PLAT]).ok();
    reg.publish_yaml(&sb, "neo", "1.1.0").ok();
    run(&sb, &["update", "neo", "--no-install"]).ok();
    let v = json(&run(&sb, &["list", "--json", "--platform", PLAT]).ok());
    assert_eq!(entry(&v, "neo")["status"], "outdated", "{v:#}");
    let r = run(&sb, &["list", "--platform", PLAT]).ok();
    assert!(
        r.stdout
            .contains("1 needs attention (`optimus-plugins install` fixes it)"),
        "{}",
        r.stdout
    );
}

#[test]
fn outdated_then_update_picks_up_a_new_version() {
    let sb = Sandbox::new();
    let reg = project(&sb);
    run(&sb, &["install", "--platform", PLAT]).ok();
    let r = run(&sb, &["outdated"]).ok();
    assert_eq!(
        r.stdout.trim(),
        "all 2 registry plugin(s) are on their latest version"
    );
    reg.publish_yaml(&sb, "neo", "1.1.0").ok();
    reg.publish_yaml(&sb, "neo", "2.0.0").ok();
    let v = json(&run(&sb, &["outdated", "--json"]).ok());
    let neo = entry(&v, "neo");
    assert_eq!(neo["locked"], "1.0.0");
    assert_eq!(neo["wanted"], "1.1.0");
    assert_eq!(neo["latest"], "2.0.0");
    assert_eq!(neo["update_available"], true);
    assert_eq!(entry(&v, "bq2bq")["outdated"], false);
    let r = run(&sb, &["outdated"]).expect(0, &["neo ", "run `optimus-plugins update neo`"]);
    assert!(
        !r.stdout.contains("bq2bq "),
        "only outdated rows: {}",
        r.stdout
    );

    let r = run(&sb, &["update", "neo"]).expect(0, &["neo 1.0.0 -> 1.1.0"]);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert_eq!(
        sb.read("proj/.plugins/optimus-plugin-neo.yaml"),
        yaml_plugin("neo", "1.1.0")
    );
    assert!(sb.read("proj/optimus.lock").contains("version = \"1.1.0\""));
    let v = json(&run(&sb, &["outdated", "--json"]).ok());
    assert_eq!(entry(&v, "neo")["update_available"], false);
    assert_eq!(entry(&v, "neo")["outdated"], true);
    // Updating again finds nothing; an undeclared name is a usage error.
    run(&sb, &["update"]).expect(0, &["no newer versions"]);
    run(&sb, &["update", "nope"]).expect(2, &["nope is not declared"]);
}

#[test]
fn remove_uninstalls_and_unlocks_without_touching_unmanaged_files() {
    let sb = Sandbox::new();
    project(&sb);
    run(&sb, &["install", "--platform", PLAT]).ok();
    let mine = sb.write(
        "proj/.plugins/optimus-plugin-mine.yaml",
        yaml_plugin("mine", "1"),
    );
    run(&sb, &["remove", "neo"]).expect(0, &["removed neo", "still declared"]);
    assert!(!sb.p("proj/.plugins/optimus-plugin-neo.yaml").exists());
    assert!(!sb.read("proj/optimus.lock").contains("name = \"neo\""));
    assert!(sb.read("proj/optimus.lock").contains("name = \"bq2bq\""));
    assert!(sb.p("proj/.plugins/optimus-bq2bq_linux_amd64").exists());
    assert_eq!(
        std::fs::read_to_string(&mine).unwrap(),
        yaml_plugin("mine", "1")
    );
    // An unmanaged plugin cannot be removed by name: it is not ours.
    run(&sb, &["remove", "mine"]).expect(2, &["mine is neither installed nor locked"]);
    assert!(mine.exists());
    // A bad name is refused before anything happens.
    run(&sb, &["remove", "../x"]).fails(2);
}

#[test]
fn verify_names_modified_missing_and_extra() {
    let sb = Sandbox::new();
    let reg = project(&sb);
    run(&sb, &["verify"]).expect(1, &["no lockfile"]);
    run(&sb, &["install", "--platform", PLAT]).ok();
    let r = run(&sb, &["verify", "--platform", PLAT]).ok();
    assert!(
        r.stdout.starts_with("verified 2 file(s) in .plugins"),
        "{}",
        r.stdout
    );

    sb.write("proj/.plugins/optimus-plugin-neo.yaml", "tampered\n");
    std::fs::remove_file(sb.p("proj/.plugins/optimus-bq2bq_linux_amd64")).unwrap();
    let r = run(&sb, &["verify", "--platform", PLAT]).expect(1, &["optimus-plugins install"]);
    assert!(
        r.stdout
            .contains("modified  .plugins/optimus-plugin-neo.yaml"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("missing   .plugins/optimus-bq2bq_linux_amd64"),
        "{}",
        r.stdout
    );
    run(&sb, &["install", "--platform", PLAT]).ok();
    run(&sb, &["verify", "--platform", PLAT]).ok();

    // Drop bq2bq from the declarations and re-lock: its installed file is now extra.
    sb.write(
        "proj/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("neo", "^1")]),
    );
    run(&sb, &["lock", "--platform", PLAT]).ok();
    run(&sb, &["verify", "--platform", PLAT]).expect(
        1,
        &["extra     .plugins/optimus-bq2bq_linux_amd64 (bq2bq is installed but not in the lock)"],
    );
}
