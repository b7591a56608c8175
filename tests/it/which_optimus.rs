//! `list` finds the real Optimus (issue 18 item 4): "the optimus executable's directory", one
//! of raystack's discovery directories, is the directory of the first `optimus` on PATH that is
//! not this tool (a link named `optimus` to this tool is passed over), or the one `--optimus`
//! or `OPTIMUS_BIN` names; `list` says which one it used, and says so when there is none.

use crate::common::*;
use serde_json::Value;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

fn yaml(name: &str) -> String {
    format!("name: {name}\nplugintype: task\npluginversion: 1.0.0\nimage: example.org/{name}:1.0.0\nentrypoint:\n  script: run\n")
}

/// A stand-in for the Go `optimus`: an executable that is not this tool.
fn fake_optimus(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, "#!/bin/sh\necho 'optimus (the Go CLI)'\n").unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A project, `ours/optimus` (a link to this tool), and `real/optimus` (a fake Optimus CLI
/// whose directory holds a yaml plugin).
fn setup(sb: &Sandbox) {
    sb.write("proj/optimus.yaml", "plugins:\n  artifacts: []\n");
    std::fs::create_dir_all(sb.p("ours")).unwrap();
    symlink(bin(), sb.p("ours/optimus")).unwrap();
    fake_optimus(&sb.p("real/optimus"));
    sb.write("real/optimus-plugin-beside.yaml", yaml("beside"));
}

fn path_of(sb: &Sandbox, dirs: &[&str]) -> String {
    let dirs: Vec<PathBuf> = dirs.iter().map(|d| sb.p(d)).collect();
    std::env::join_paths(dirs)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn list(sb: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut a = vec!["plugin", "list", "--platform", PLAT];
    a.extend_from_slice(args);
    sb.run_in(&sb.p("proj"), &a, env)
}

fn json(r: &Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

fn dirs(j: &Value) -> Vec<PathBuf> {
    j["discovery_dirs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| PathBuf::from(d.as_str().unwrap()))
        .collect()
}

fn canon(p: PathBuf) -> PathBuf {
    std::fs::canonicalize(p).unwrap()
}

#[test]
fn list_uses_the_first_optimus_on_path_that_is_not_this_tool() {
    let sb = Sandbox::new();
    setup(&sb);
    let path = path_of(&sb, &["ours", "real"]);
    let before = Snapshot::take(&[sb.p("proj"), sb.p("real"), sb.p("ours")]);
    let r = list(&sb, &["--json"], &[("PATH", &path)]).expect(0, &[]);
    let j = json(&r);
    let cli = &j["optimus_cli"];
    assert_eq!(cli["source"], "PATH", "{cli}");
    assert_eq!(cli["path"], sb.p("real/optimus").to_str().unwrap(), "{cli}");
    assert_eq!(cli["dir"], canon(sb.p("real")).to_str().unwrap(), "{cli}");
    assert_eq!(
        cli["skipped"],
        serde_json::json!([sb.p("ours/optimus")]),
        "{cli}"
    );
    // Its directory is searched, ours (and this tool's own build directory) not.
    let d = dirs(&j);
    assert!(d.contains(&canon(sb.p("real"))), "{d:?}");
    let own = bin().parent().unwrap().to_path_buf();
    assert!(!d.contains(&sb.p("ours")) && !d.contains(&own), "{d:?}");
    let beside = j["discovered"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "beside")
        .unwrap_or_else(|| panic!("{}", r.stdout));
    assert_eq!(beside["used"], true);
    // The text says which one.
    list(&sb, &[], &[("PATH", &path)]).expect(
        0,
        &[
            &format!(
                "Optimus CLI: {} (the first `optimus` on PATH that is not this tool)",
                sb.p("real/optimus").display()
            ),
            "optimus-plugin-beside.yaml",
            "is searched",
        ],
    );
    before.assert_unchanged(&[]);
}

#[test]
fn a_linked_optimus_counts_by_the_directory_it_links_to() {
    // Go's os.Executable reads /proc/self/exe on Linux: links resolved.
    let sb = Sandbox::new();
    setup(&sb);
    fake_optimus(&sb.p("opt/optimus-0.7/bin/optimus"));
    sb.write("opt/optimus-0.7/bin/optimus-plugin-far.yaml", yaml("far"));
    std::fs::create_dir_all(sb.p("links")).unwrap();
    symlink(sb.p("opt/optimus-0.7/bin/optimus"), sb.p("links/optimus")).unwrap();
    let path = path_of(&sb, &["ours", "links", "real"]);
    let r = list(&sb, &["--json"], &[("PATH", &path)]).expect(0, &["optimus-plugin-far.yaml"]);
    let j = json(&r);
    let real_dir = canon(sb.p("opt/optimus-0.7/bin"));
    assert_eq!(
        j["optimus_cli"]["path"],
        sb.p("links/optimus").to_str().unwrap()
    );
    assert_eq!(j["optimus_cli"]["dir"], real_dir.to_str().unwrap());
    assert!(dirs(&j).contains(&real_dir), "{:?}", dirs(&j));
    assert!(!dirs(&j).contains(&sb.p("links")), "{:?}", dirs(&j));
    list(&sb, &[], &[("PATH", &path)]).expect(0, &["links resolved"]);
}

#[test]
fn optimus_flag_and_environment_say_it_explicitly() {
    let sb = Sandbox::new();
    setup(&sb);
    fake_optimus(&sb.p("other/optimus"));
    let path = path_of(&sb, &["ours", "real"]);
    let other = sb.p("other/optimus");
    let other = other.to_str().unwrap();
    let cli = |args: &[&str], env: &[(&str, &str)]| {
        let mut e = vec![("PATH", path.as_str())];
        e.extend_from_slice(env);
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        json(&list(&sb, &a, &e).expect(0, &[]))["optimus_cli"].clone()
    };
    let c = cli(&["--optimus", other], &[]);
    assert_eq!(
        (c["source"].as_str(), c["path"].as_str()),
        (Some("--optimus"), Some(other))
    );
    let c = cli(&[], &[("OPTIMUS_BIN", other)]);
    assert_eq!(
        (c["source"].as_str(), c["path"].as_str()),
        (Some("OPTIMUS_BIN"), Some(other))
    );
    // The flag over the variable.
    let real = sb.p("real/optimus");
    let c = cli(
        &["--optimus", real.to_str().unwrap()],
        &[("OPTIMUS_BIN", other)],
    );
    assert_eq!(c["source"], "--optimus");
    // A flag naming nothing, or this tool, is a usage error that says what to give.
    list(&sb, &["--optimus", "nowhere/optimus"], &[("PATH", &path)]).expect(
        2,
        &[
            "--optimus nowhere/optimus: no such file",
            "the Go `optimus` executable",
        ],
    );
    let ours = sb.p("ours/optimus");
    list(
        &sb,
        &["--optimus", ours.to_str().unwrap()],
        &[("PATH", &path)],
    )
    .expect(2, &["is this tool, not the Optimus CLI"]);
    // OPTIMUS_BIN naming this tool (as this repository's scripts once used it) is passed over
    // with a warning: the first other `optimus` on PATH is used.
    let me = bin();
    let r = list(
        &sb,
        &["--json"],
        &[("PATH", &path), ("OPTIMUS_BIN", me.to_str().unwrap())],
    )
    .expect(0, &["is this tool, not the Optimus CLI: ignored"]);
    assert_eq!(json(&r)["optimus_cli"]["source"], "PATH");
    list(
        &sb,
        &[],
        &[("PATH", &path), ("OPTIMUS_BIN", "nowhere/optimus")],
    )
    .expect(2, &["OPTIMUS_BIN=nowhere/optimus: no such file"]);
    // goto does not search the executable's directory: the flag is said to be unused.
    let r = list(
        &sb,
        &["--json", "--target", "goto", "--optimus", other],
        &[("PATH", &path)],
    )
    .expect(0, &["--optimus is not used"]);
    assert!(json(&r)["optimus_cli"].is_null(), "{}", r.stdout);
}

#[test]
fn list_says_when_no_optimus_is_found_and_leaves_the_directory_out() {
    let sb = Sandbox::new();
    setup(&sb);
    let path = path_of(&sb, &["ours"]);
    let before = Snapshot::take(&[sb.p("proj")]);
    // The snapshot holds the project (an empty one would make the last check vacuous).
    assert!(before.paths().any(|p| p.ends_with("proj/optimus.yaml")));
    let r = list(&sb, &["--json"], &[("PATH", &path)]).expect(0, &[]);
    let j = json(&r);
    assert!(j["optimus_cli"]["path"].is_null(), "{}", r.stdout);
    assert!(j["optimus_cli"]["dir"].is_null(), "{}", r.stdout);
    let d = dirs(&j);
    let own = bin().parent().unwrap().to_path_buf();
    assert!(!d.contains(&own) && !d.contains(&sb.p("ours")), "{d:?}");
    // raystack's other directories stay, in order.
    assert_eq!(d[0], sb.p("proj/.plugins"));
    assert_eq!(d[1], sb.p("proj"));
    assert_eq!(d[2], sb.p("home/.optimus/plugins"));
    list(&sb, &[], &[("PATH", &path)]).expect(
        0,
        &[
            &format!(
                "Optimus CLI: none found (the only `optimus` on PATH is this tool, {})",
                sb.p("ours/optimus").display()
            ),
            "pass --optimus PATH or set OPTIMUS_BIN",
        ],
    );
    let empty = path_of(&sb, &["nothing-here"]);
    list(&sb, &[], &[("PATH", &empty)])
        .expect(0, &["Optimus CLI: none found (no `optimus` on PATH)"]);
    before.assert_unchanged(&[]);
}
