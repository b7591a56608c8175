//! `validate --path` against the shipped good and bad yaml plugins (tests/data/yaml), and
//! `install` refusing an invalid yaml plugin.

use crate::common::*;
use std::path::PathBuf;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/yaml")
        .join(rel)
}

/// Every bad file with each problem it must report: (line, message fragment).
/// (line, message fragment); no line for file-level problems.
type Expect = (Option<usize>, &'static str);

const BAD: &[(&str, &[Expect])] = &[
    ("typo", &[(Some(3), "unknown key `plugintyp`; did you mean `plugintype`?")]),
    (
        "mismatch",
        &[(Some(1), "`name` is \"other\" but the file name says \"mismatch\"")],
    ),
    ("badtype", &[(Some(2), "`plugintype` is \"job\": expected task or hook")]),
    ("noimage", &[(Some(1), "`image` is missing")]),
    (
        "questions",
        &[
            (Some(7), "`questions[1].name` is missing"),
            (Some(8), "question name \"START\" is used more than once"),
        ],
    ),
    (
        "regexp",
        &[(Some(7), "`questions[0].regexp` \"^[a-z+$\" does not compile")],
    ),
    (
        "lengths",
        &[
            (Some(7), "`questions[0].minlength` 10 is greater than maxlength 5"),
            (Some(11), "`questions[1].minlength` must be a whole number, found \"ten\""),
            (Some(12), "`questions[1].required` must be true or false"),
        ],
    ),
    (
        "defaults",
        &[
            (Some(7), "defaultconfig name \"SQL_TYPE\" is used more than once"),
            (Some(12), "`defaultassets[1].name` is missing"),
            (Some(13), "defaultassets name \"query.sql\" is used more than once"),
        ],
    ),
    (
        "hook",
        &[
            (Some(3), "`hooktype` is \"during\": expected pre, post or fail"),
            (Some(5), "`entrypoint.script` is missing"),
            (Some(6), "unknown key `entrypoint.shel`; did you mean `shell`?"),
        ],
    ),
    ("syntax", &[(Some(3), "invalid YAML")]),
    (
        "subquestions",
        &[
            (Some(10), "question name \"MODE\" is used more than once"),
            (
                Some(13),
                "unknown key `questions[0].subquestions[0].questions[1].promt`; did you mean `prompt`?",
            ),
        ],
    ),
    (
        "many",
        &[
            (Some(1), "`image` is missing"),
            (Some(3), "`plugintype` is \"transformation\""),
            (Some(6), "unknown key `questions[0].promt`; did you mean `prompt`?"),
            (Some(7), "`questions[0].regexp` \"(unclosed\" does not compile"),
            (Some(8), "question name \"A\" is used more than once"),
            (Some(9), "`questions[1].minlength` 3 is greater than maxlength 2"),
            (Some(13), "defaultconfig name \"X\" is used more than once"),
            (Some(14), "unknown key `colour`; expected one of: name, description"),
        ],
    ),
    ("empty", &[(None, "the file is empty")]),
    (
        "list",
        &[(Some(1), "a yaml plugin must be a mapping of keys to values, found a list")],
    ),
];

#[test]
fn good_plugins_validate() {
    let sb = Sandbox::new();
    let r = sb
        .plugin(&["validate", "--path", data("good").to_str().unwrap()])
        .ok();
    assert_eq!(r.stdout.trim(), "3 yaml plugin(s) valid", "{}", r.stdout);
    // One file at a time too.
    for f in std::fs::read_dir(data("good")).unwrap() {
        let f = f.unwrap().path();
        sb.plugin(&["validate", "--path", f.to_str().unwrap()]).ok();
    }
}

#[test]
fn each_bad_plugin_reports_its_problems_with_lines() {
    let sb = Sandbox::new();
    let on_disk = std::fs::read_dir(data("bad")).unwrap().count();
    assert_eq!(on_disk, BAD.len(), "every bad file has expectations");
    for (name, expected) in BAD {
        let file = data(&format!("bad/optimus-plugin-{name}.yaml"));
        let r = sb
            .plugin(&["validate", "--path", file.to_str().unwrap()])
            .fails(1);
        let lines: Vec<&str> = r.stdout.lines().collect();
        assert_eq!(
            lines.len(),
            expected.len(),
            "{name}: exactly the expected problems\n{}",
            r.stdout
        );
        for (line, msg) in expected.iter() {
            let prefix = match line {
                Some(l) => format!("{}:{l}:", file.display()),
                None => format!("{}: ", file.display()),
            };
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with(&prefix) && l.contains(msg)),
                "{name}: expected `{prefix} ... {msg}` in\n{}",
                r.stdout
            );
        }
        assert!(
            r.stderr
                .contains(&format!("{} problem(s) in 1 of 1", expected.len())),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn a_directory_reports_every_file_and_exits_1() {
    let sb = Sandbox::new();
    let r = sb
        .plugin(&["validate", "--path", data("bad").to_str().unwrap()])
        .fails(1);
    let total: usize = BAD.iter().map(|(_, e)| e.len()).sum();
    assert_eq!(r.stdout.lines().count(), total, "{}", r.stdout);
    assert!(
        r.stderr.contains(&format!(
            "{total} problem(s) in {} of {} yaml plugin(s)",
            BAD.len(),
            BAD.len()
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn missing_path_and_empty_dir_are_usage_errors() {
    let sb = Sandbox::new();
    let r = sb.plugin(&["validate", "--path", "nope"]).fails(2);
    assert!(
        r.stderr.contains("nope: no such file or directory"),
        "{}",
        r.stderr
    );
    std::fs::create_dir_all(sb.p("empty")).unwrap();
    let r = sb.plugin(&["validate", "--path", "empty"]).fails(2);
    assert!(r.stderr.contains("no yaml plugins"), "{}", r.stderr);
}

#[test]
fn install_refuses_an_invalid_yaml_plugin_and_changes_nothing() {
    let sb = Sandbox::new();
    let good = std::fs::read_to_string(data("good/optimus-plugin-neo.yaml")).unwrap();
    sb.write("art/optimus-plugin-neo.yaml", &good);
    sb.write(
        "proj/optimus.yaml",
        "plugins:\n  artifacts:\n    - ../art/optimus-plugin-neo.yaml\n",
    );
    sb.plugin(&["install", "-c", "proj/optimus.yaml"]).ok();
    assert_eq!(sb.read("proj/.plugins/optimus-plugin-neo.yaml"), good);
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
