//! CLI polish: help with examples for every command, completions, -q, NO_COLOR and one summary
//! line on stdout.

use crate::common::*;

const VERBS: &[&str] = &[
    "install",
    "sync",
    "lock",
    "update",
    "list",
    "verify",
    "remove",
    "outdated",
    "validate",
    "publish",
    "yank",
    "keygen",
    "sign",
    "completions",
];

#[test]
fn every_command_has_help_with_examples() {
    let sb = Sandbox::new();
    for v in VERBS {
        sb.plugin(&[v, "--help"]).expect(
            0,
            &["Examples:\n  optimus-plugins ", "Usage: optimus-plugins "],
        );
    }
    sb.plugin(&["--help"])
        .expect(0, &["Commit optimus.yaml and optimus.lock"]);
}

#[test]
fn completions_for_each_shell() {
    let sb = Sandbox::new();
    for (shell, needle) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef optimus-plugins"),
        ("fish", "complete -c optimus-plugins"),
    ] {
        sb.plugin(&["completions", shell])
            .expect(0, &[needle, "outdated"]);
    }
    sb.plugin(&["completions", "tcsh"])
        .expect(2, &["possible values"]);
}

#[test]
fn one_summary_line_quiet_and_no_color() {
    let sb = Sandbox::new();
    let reg = Registry::new(&sb, "registry");
    reg.publish_yaml(&sb, "neo", "1.0.0").ok();
    sb.write(
        "optimus.yaml",
        registry_config("registry", &reg.public_key, &[("neo", "1")]),
    );
    // Normal: notes on stderr, exactly one line on stdout.
    let r = sb.plugin(&["install"]).expect(0, &["locked neo"]);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert!(
        r.stdout.starts_with("installed 1 (neo 1.0.0) in .plugins"),
        "{}",
        r.stdout
    );
    assert!(!r.all().contains('\x1b'), "NO_COLOR: {:?}", r.all());
    // -q: only the summary.
    std::fs::remove_file(sb.p("optimus.lock")).unwrap();
    let r = sb.run(&["-q", "plugin", "install"]).ok();
    assert_eq!(r.stderr, "", "quiet");
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    // Each command ends with one summary line.
    for args in [
        vec!["lock"],
        vec!["verify"],
        vec!["outdated"],
        vec!["update"],
        vec!["sync"],
        vec!["validate", "--path", ".plugins"],
    ] {
        let r = sb.plugin(&args).ok();
        assert_eq!(r.stdout.lines().count(), 1, "{args:?}: {}", r.stdout);
    }
    // Errors are on stderr with the exit code of the contract, and no colour codes.
    let r = sb.plugin(&["install", "-c", "missing.yaml"]).fails(2);
    assert!(
        r.stderr
            .starts_with("error: config file missing.yaml not found"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
}

#[test]
fn locked_names_the_command_that_fixes_it() {
    let sb = Sandbox::new();
    let reg = Registry::new(&sb, "registry");
    for n in ["neo", "predator"] {
        reg.publish_yaml(&sb, n, "1.0.0").ok();
    }
    sb.write(
        "optimus.yaml",
        registry_config("registry", &reg.public_key, &[("neo", "1")]),
    );
    sb.plugin(&["install"]).ok();
    sb.write(
        "optimus.yaml",
        registry_config(
            "registry",
            &reg.public_key,
            &[("neo", "1"), ("predator", "1")],
        ),
    );
    sb.plugin(&["install", "--locked"]).expect(
        2,
        &[
            "predator: it is not in the lock",
            "run `optimus-plugins lock",
        ],
    );
    assert!(!sb.p(".plugins/optimus-plugin-predator.yaml").exists());
}

#[test]
fn list_output_survives_a_closed_pipe() {
    let sb = Sandbox::new();
    sb.write("optimus.yaml", "plugins:\n  plugins: []\n");
    for i in 0..200 {
        sb.write(
            &format!(".plugins/optimus-plugin-p{i}.yaml"),
            yaml_plugin(&format!("p{i}"), "1"),
        );
    }
    let mut child = sb
        .command(&["plugin", "list", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}
