//! `validate --path` against the shipped good and bad yaml plugins (tests/data/yaml): what the
//! target Optimus refuses is an error with its own message beside ours; what it loads passes,
//! with warnings for advice. `install` refuses a yaml plugin the target would refuse.

use crate::common::*;
use std::path::PathBuf;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/yaml")
        .join(rel)
}

/// (file, target, upstream's refusal or `None` when it loads, our lines: (line, fragment)).
type Case = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [(Option<usize>, &'static str)],
);

const BAD: &[Case] = &[
    (
        "typo",
        "raystack-0.5",
        Some("yaml: unmarshal errors:\n  line 3: field plugintyp not found in type yaml.PluginSpec"),
        &[(Some(3), "unknown key `plugintyp`: did you mean `plugintype`?")],
    ),
    (
        "mismatch",
        "raystack-0.5",
        None,
        &[(Some(1), "`name` is \"other\" but the file name says \"mismatch\"")],
    ),
    (
        "badtype",
        "raystack-0.5",
        Some("unsupported plugin requested, make sure its correctly installed"),
        &[(Some(2), "`plugintype` must be exactly one of task, hook")],
    ),
    (
        "badtype",
        "raystack",
        Some("entrypoint script cannot be empty"),
        &[(Some(1), "`entrypoint.script` is missing")],
    ),
    (
        "noimage",
        "raystack-0.5",
        Some("plugin image cannot be empty"),
        &[(Some(1), "`image` is missing")],
    ),
    (
        "questions",
        "raystack-0.5",
        None,
        &[
            (Some(7), "`questions[1].name` is missing"),
            (Some(8), "question name \"START\" is used more than once"),
        ],
    ),
    (
        "regexp",
        "raystack-0.5",
        None,
        &[(Some(7), "`questions[0].regexp` \"^[a-z+$\" does not compile")],
    ),
    (
        "lengths",
        "raystack-0.5",
        Some("yaml: unmarshal errors:\n  line 11: cannot unmarshal !!str `ten` into int\n  line 12: cannot unmarshal !!str `yes please` into bool"),
        &[
            (Some(11), "`minlength` has the wrong shape"),
            (Some(12), "`required` has the wrong shape"),
        ],
    ),
    (
        "defaults",
        "raystack-0.5",
        None,
        &[
            (Some(7), "defaultconfig name \"SQL_TYPE\" is used more than once"),
            (Some(12), "`defaultassets[1].name` is missing"),
            (Some(13), "defaultassets name \"query.sql\" is used more than once"),
        ],
    ),
    (
        "hook",
        "raystack",
        Some("yaml: unmarshal errors:\n  line 6: field shel not found in type plugin.Entrypoint"),
        &[(Some(6), "unknown key `shel`: did you mean `shell`?")],
    ),
    (
        "hook",
        "raystack-0.5",
        Some("yaml: unmarshal errors:\n  line 5: field entrypoint not found in type yaml.PluginSpec"),
        &[(Some(5), "`entrypoint` is a key of the raystack spec, not of raystack-0.5")],
    ),
    ("syntax", "raystack", Some("yaml: line 5: found unexpected end of stream"), &[(Some(3), "invalid YAML")]),
    (
        "subquestions",
        "raystack-0.5",
        Some("yaml: unmarshal errors:\n  line 13: field promt not found in type models.PluginQuestion"),
        &[(Some(13), "unknown key `promt`: did you mean `prompt`?")],
    ),
    (
        "many",
        "raystack-0.5",
        Some("yaml: unmarshal errors:\n  line 6: field promt not found in type models.PluginQuestion\n  line 14: field colour not found in type yaml.PluginSpec"),
        &[
            (Some(6), "did you mean `prompt`?"),
            (Some(14), "unknown key `colour`"),
        ],
    ),
    (
        "empty",
        "raystack",
        Some("plugin name cannot be empty"),
        &[(Some(1), "`name` is missing")],
    ),
    (
        "list",
        "raystack",
        Some("yaml: unmarshal errors:\n  line 1: cannot unmarshal !!seq into yaml.PluginSpec"),
        &[(Some(1), "wrong shape")],
    ),
];

#[test]
fn good_plugins_validate() {
    let sb = Sandbox::new();
    for (file, target) in [
        ("bq2bq", "raystack"),
        ("neo", "raystack-0.5"),
        ("predator", "raystack-0.5"),
    ] {
        let f = data(&format!("good/optimus-plugin-{file}.yaml"));
        let r = sb
            .plugin(&[
                "validate",
                "--path",
                f.to_str().unwrap(),
                "--target",
                target,
            ])
            .ok();
        assert!(
            r.stdout
                .contains(&format!("1 yaml plugin(s) load in Optimus ({target})")),
            "{}",
            r.all()
        );
    }
    // neo's `name: Neo` is advice, not an error.
    sb.plugin(&[
        "validate",
        "--path",
        data("good").to_str().unwrap(),
        "--target",
        "raystack-0.5",
    ])
    .expect(1, &["`name` is \"Neo\"", "field entrypoint not found"]);
    // YAML 1.1 booleans, hooktype "", nested subquestions: raystack loads them, no advice.
    let r = sb
        .plugin(&["validate", "--path", data("ok").to_str().unwrap()])
        .ok();
    assert!(!r.all().contains("warning"), "{}", r.all());
}

#[test]
fn each_bad_plugin_gets_the_targets_verdict_with_lines() {
    let sb = Sandbox::new();
    for (name, target, refusal, expected) in BAD {
        let file = data(&format!("bad/optimus-plugin-{name}.yaml"));
        let args = [
            "validate",
            "--path",
            file.to_str().unwrap(),
            "--target",
            target,
        ];
        let r = match refusal {
            Some(_) => sb.plugin(&args).fails(1),
            None => sb.plugin(&args).ok(),
        };
        let severity = if refusal.is_some() {
            "error"
        } else {
            "warning"
        };
        let ours: Vec<&str> = r
            .stdout
            .lines()
            .filter(|l| l.contains(&format!(": {severity}: ")))
            .collect();
        assert_eq!(
            ours.len(),
            expected.len(),
            "{name} [{target}]: exactly the expected lines\n{}",
            r.stdout
        );
        for (line, msg) in expected.iter() {
            let prefix = match line {
                Some(l) => format!("{}:{l}:", file.display()),
                None => format!("{}: ", file.display()),
            };
            assert!(
                ours.iter()
                    .any(|l| l.starts_with(&prefix) && l.contains(msg)),
                "{name} [{target}]: expected `{prefix} ... {msg}` in\n{}",
                r.stdout
            );
        }
        if let Some(said) = refusal {
            let said = said.replace('\n', "\n  ");
            assert!(
                r.stdout
                    .contains(&format!("optimus ({target}) says: {said}")),
                "{name} [{target}]: {}",
                r.stdout
            );
        }
    }
}

#[test]
fn any_file_name_by_path_and_a_dir_by_discovery_rules() {
    let sb = Sandbox::new();
    let text = std::fs::read_to_string(data("ok/optimus-plugin-yes.yaml")).unwrap();
    sb.write("neo.yaml", &text);
    let r = sb.plugin(&["validate", "--path", "neo.yaml"]).ok();
    assert!(
        r.stdout.contains("neo.yaml:3:1: warning:")
            && r.stdout
                .contains("only finds it when the file is named optimus-plugin-yes.yaml"),
        "{}",
        r.stdout
    );
    // A directory: the files Optimus would load; others are named and skipped.
    sb.write(".plugins/optimus-plugin-yes.yaml", &text);
    sb.write(".plugins/optimus-plugin-old.yml", &text);
    sb.write(".plugins/optimus-plugin-dup.yaml", &text);
    let r = sb.plugin(&["validate"]).fails(1);
    assert!(
        r.stdout
            .contains("optimus-plugin-old.yml: warning: not checked"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("optimus (raystack) says: plugin name already in use yes"),
        "{}",
        r.stdout
    );
}

#[test]
fn missing_path_and_empty_dir_are_usage_errors() {
    let sb = Sandbox::new();
    sb.plugin(&["validate", "--path", "nope"])
        .expect(2, &["nope: no such file or directory"]);
    std::fs::create_dir_all(sb.p("empty")).unwrap();
    sb.plugin(&["validate", "--path", "empty"])
        .expect(2, &["no yaml plugins"]);
}

#[test]
fn install_refuses_a_yaml_plugin_the_target_would_refuse_and_changes_nothing() {
    let sb = Sandbox::new();
    let good = std::fs::read_to_string(data("good/optimus-plugin-neo.yaml")).unwrap();
    sb.write("art/optimus-plugin-neo.yaml", &good);
    sb.write(
        "proj/optimus.yaml",
        "plugins:\n  target: raystack-0.5\n  artifacts:\n    - ../art/optimus-plugin-neo.yaml\n",
    );
    sb.plugin(&["install", "-c", "proj/optimus.yaml"]).ok();
    assert_eq!(sb.read("proj/.plugins/optimus-plugin-neo.yaml"), good);
    // The same file for raystack HEAD: its `secretpath` is refused, nothing is installed.
    sb.write(
        "head/optimus.yaml",
        "plugins:\n  artifacts:\n    - ../art/optimus-plugin-neo.yaml\n",
    );
    let r = sb.plugin(&["install", "-c", "head/optimus.yaml", "--target", "raystack"]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(
        r.stderr
            .contains("field secretpath not found in type yaml.PluginSpec"),
        "{}",
        r.stderr
    );
    assert!(!sb.p("head/.plugins/optimus-plugin-neo.yaml").exists());
    // A broken edit of the artifact is refused: the installed file stays as it was.
    sb.write(
        "art/optimus-plugin-neo.yaml",
        good.replace("plugintype: task", "plugintyp: task"),
    );
    std::fs::remove_file(sb.p("proj/optimus.lock")).unwrap();
    let r = sb.plugin(&["install", "-c", "proj/optimus.yaml"]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(
        r.stderr.contains("did you mean `plugintype`?") && r.stderr.contains(":3:"),
        "{}",
        r.stderr
    );
    assert_eq!(sb.read("proj/.plugins/optimus-plugin-neo.yaml"), good);
}

#[test]
fn validate_reads_the_config_like_list() {
    // raystack-0.5's neo (with `secretpath`) in a plugin dir of the config's choosing.
    let sb = Sandbox::new();
    let neo = std::fs::read_to_string(data("good/optimus-plugin-neo.yaml")).unwrap();
    sb.write(
        "proj/optimus.yaml",
        "plugins:\n  target: raystack-0.5\n  dir: vendor/plugins\n  artifacts: []\n",
    );
    sb.write("proj/vendor/plugins/optimus-plugin-neo.yaml", &neo);
    // In the project: optimus.yaml gives the target and the plugin dir.
    sb.run_in(&sb.p("proj"), &["plugin", "validate"], &[])
        .expect(0, &["1 yaml plugin(s) load in Optimus (raystack-0.5)"]);
    // -c FILE from elsewhere.
    sb.plugin(&["validate", "-c", "proj/optimus.yaml"]).expect(
        0,
        &[
            "proj/vendor/plugins/optimus-plugin-neo.yaml:1:1: warning: `name` is \"Neo\"",
            "1 yaml plugin(s) load in Optimus (raystack-0.5)",
        ],
    );
    // --target and --path still override it.
    sb.plugin(&[
        "validate",
        "-c",
        "proj/optimus.yaml",
        "--target",
        "raystack",
    ])
    .expect(
        1,
        &[
            "proj/vendor/plugins/optimus-plugin-neo.yaml:",
            "optimus (raystack) says: yaml: unmarshal errors:",
            "field secretpath not found in type yaml.PluginSpec",
        ],
    );
    sb.write("elsewhere/optimus-plugin-neo.yaml", &neo);
    sb.plugin(&[
        "validate",
        "-c",
        "proj/optimus.yaml",
        "--path",
        "elsewhere/optimus-plugin-neo.yaml",
    ])
    .expect(0, &["load in Optimus (raystack-0.5)"]);
    // A config named but missing, or broken, is a usage error that names it.
    sb.plugin(&["validate", "-c", "nope.yaml"])
        .expect(2, &["config file nope.yaml not found"]);
    sb.write("bad/optimus.yaml", "plugins:\n  targt: goto\n");
    sb.run_in(&sb.p("bad"), &["plugin", "validate"], &[])
        .expect(2, &["optimus.yaml:2:", "targt"]);
    // A client config declares nothing: `.plugins` here, the default target.
    sb.write("client/optimus.yaml", "version: 1\nhost: localhost:9100\n");
    sb.write("client/.plugins/optimus-plugin-neo.yaml", &neo);
    sb.run_in(&sb.p("client"), &["plugin", "validate"], &[])
        .expect(1, &["optimus (raystack) says:", "secretpath"]);
}

#[test]
fn a_yml_file_is_refused_as_upstreams_validate_refuses_it() {
    let sb = Sandbox::new();
    let text = std::fs::read_to_string(data("ok/optimus-plugin-yes.yaml")).unwrap();
    sb.write("neo.yml", &text);
    sb.write("optimus-plugin-yes.yml", &text);
    sb.write("optimus-plugin-yes.YAML", &text);
    let before = Snapshot::take(&[sb.path().join("neo.yml")]);
    let r = sb.plugin(&["validate", "--path", "neo.yml"]).expect(
        1,
        &[
            "neo.yml: error: not a .yaml file: raystack's `optimus plugin validate` refuses a file not ending in `.yaml`, and its discovery never loads one: rename it to optimus-plugin-yes.yaml",
            "  optimus (raystack) says: expecting .yaml file at neo.yml",
            "Optimus (raystack) would refuse 1 of 1 yaml plugin(s)",
        ],
    );
    assert_eq!(r.stdout.matches(": error: ").count(), 1, "{}", r.stdout);
    before.assert_unchanged(&[]);
    sb.plugin(&["validate", "--path", "optimus-plugin-yes.yml"])
        .expect(
            1,
            &[
                "rename it to optimus-plugin-yes.yaml",
                "says: expecting .yaml file at optimus-plugin-yes.yml",
            ],
        );
    // filepath.Ext is case-sensitive.
    sb.plugin(&["validate", "--path", "optimus-plugin-yes.YAML"])
        .expect(1, &["expecting .yaml file at optimus-plugin-yes.YAML"]);
    // goto has no `plugin validate`; its discovery never loads the file either.
    let r = sb
        .plugin(&["validate", "--path", "neo.yml", "--target", "goto"])
        .expect(
            1,
            &["goto's discovery never loads a file not ending in `.yaml`"],
        );
    assert!(!r.stdout.contains("says:"), "{}", r.stdout);
}

#[test]
fn a_directory_is_read_by_the_targets_own_discovery_pass() {
    // `optimus-plugin-big.yaml` hides `optimus-plugin-big_query.yaml` (its name up to the
    // first `_` is in an earlier path): raystack never loads the second one.
    let sb = Sandbox::new();
    let text = std::fs::read_to_string(data("ok/optimus-plugin-yes.yaml")).unwrap();
    sb.write(
        ".plugins/optimus-plugin-big.yaml",
        text.replace("name: yes", "name: big"),
    );
    sb.write(
        ".plugins/optimus-plugin-big_query.yaml",
        text.replace("name: yes", "name: big_query"),
    );
    sb.write(".plugins/optimus-plugin-old.yml", &text);
    sb.plugin(&["validate"]).expect(
        0,
        &[
            ".plugins/optimus-plugin-big_query.yaml: warning: raystack never loads it: discovery drops it because the earlier .plugins/optimus-plugin-big.yaml contains its name up to the first `_`",
            ".plugins/optimus-plugin-old.yml: warning: not checked: raystack never loads it (a yaml plugin is named optimus-plugin-<name>.yaml): rename it to optimus-plugin-old.yaml",
            "2 yaml plugin(s) load in Optimus (raystack); 1 with warnings",
        ],
    );
}
