//! The binary beside the real Optimus (issue 18): its own name `optimus-plugins` (verbs
//! directly), a symlink named `optimus` (`optimus plugin VERB`, as the design documents write
//! it), and the Optimus extension `plugins` (`optimus plugins VERB`, run as Optimus runs an
//! extension). `--version`, unknown commands and completions under each.

use crate::common::*;

/// A project with neo (yaml) and bq2bq (binary) from a signed registry, in `proj/`.
fn project(sb: &Sandbox) -> Registry {
    let reg = neo_bq2bq_registry(sb, "registry");
    sb.write(
        "proj/optimus.yaml",
        registry_config(
            "../registry",
            &reg.public_key,
            &[("neo", "^1"), ("bq2bq", "*")],
        ),
    );
    reg
}

/// An executable named `optimus` in `dir/` that is not this tool (the Go CLI, as far as a
/// PATH search can tell).
fn fake_optimus(sb: &Sandbox, dir: &str) -> std::path::PathBuf {
    let p = sb.write(
        &format!("{dir}/optimus"),
        "#!/bin/sh\necho 'the real optimus'\n",
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn path_with(dirs: &[std::path::PathBuf]) -> String {
    let mut all: Vec<std::path::PathBuf> = dirs.to_vec();
    all.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(all)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn version_names_the_tool_under_every_name() {
    let sb = Sandbox::new();
    let want = format!(
        "optimus-plugins {} (the Optimus plugin manager)\n",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(sb.run(&["--version"]).ok().stdout, want);
    assert_eq!(sb.as_optimus(&["--version"]).ok().stdout, want);
    assert_eq!(sb.as_extension(&["--version"]).ok().stdout, want);
}

#[test]
fn the_primary_name_takes_the_verbs_and_shows_them_so() {
    let sb = Sandbox::new();
    project(&sb);
    let mut c = std::process::Command::new(bin());
    c.args(["install", "-c", "proj/optimus.yaml", "--platform", PLAT])
        .current_dir(sb.path())
        .envs(sb.env.iter().map(|(k, v)| (k, v)));
    Run::from(c.output().unwrap()).expect(0, &["installed 2"]);
    let help = sb.run(&["install", "--help"]).ok().stdout;
    assert!(help.contains("Usage: optimus-plugins install"), "{help}");
    assert!(
        help.contains("\n  optimus-plugins install -c server.yaml --locked"),
        "{help}"
    );
    // The old `plugin` word is refused with the way to say it now.
    let mut c = std::process::Command::new(bin());
    c.args(["plugin", "list"])
        .current_dir(sb.path())
        .envs(sb.env.iter().map(|(k, v)| (k, v)));
    Run::from(c.output().unwrap()).expect(
        2,
        &[
            "takes the verbs directly, without `plugin`",
            "`optimus-plugins install -c optimus.yaml`",
        ],
    );
    // Messages quote commands as typed under this name.
    sb.write("empty/optimus.yaml", "plugins:\n  plugins: []\n");
    sb.run(&["verify", "-c", "empty/optimus.yaml"])
        .expect(1, &["run `optimus-plugins install -c empty/optimus.yaml`"]);
}

#[test]
fn as_optimus_it_keeps_optimus_plugin_verb() {
    let sb = Sandbox::new();
    project(&sb);
    sb.as_optimus(&[
        "plugin",
        "install",
        "-c",
        "proj/optimus.yaml",
        "--platform",
        PLAT,
    ])
    .expect(0, &["installed 2"]);
    assert!(sb.p("proj/.plugins/optimus-bq2bq_linux_amd64").is_file());
    sb.as_optimus(&[
        "plugin",
        "verify",
        "-c",
        "proj/optimus.yaml",
        "--platform",
        PLAT,
    ])
    .ok();
    let help = sb.as_optimus(&["plugin", "install", "--help"]).ok().stdout;
    assert!(help.contains("Usage: optimus plugin install"), "{help}");
    assert!(
        help.contains("\n  optimus plugin install -c server.yaml --locked"),
        "{help}"
    );
    assert!(!help.contains("optimus-plugins"), "{help}");
    // The verbs alone are not the `optimus` form.
    sb.as_optimus(&["install", "-c", "proj/optimus.yaml"])
        .expect(
            2,
            &[
                "unrecognized subcommand 'install'",
                "Optimus plugin manager",
            ],
        );
    // Commands quoted in messages are in the `optimus plugin` form.
    sb.write("empty/optimus.yaml", "plugins:\n  plugins: []\n");
    let r = sb
        .as_optimus(&["plugin", "verify", "-c", "empty/optimus.yaml"])
        .expect(1, &["run `optimus plugin install -c empty/optimus.yaml`"]);
    assert!(
        !r.stderr.contains("optimus-plugins install"),
        "{}",
        r.stderr
    );
}

/// Run as Optimus runs the extension `plugins`, every command gives the same exit code,
/// stdout and stderr as `optimus-plugins` with the same words (a command quoted in a message
/// is shown as `optimus plugins VERB`): success, a run-time failure (exit 1) and a
/// configuration error (exit 2).
#[test]
fn as_the_optimus_extension_it_runs_unchanged() {
    let sb = Sandbox::new();
    project(&sb);
    let file = sb.install_extension();
    assert!(
        file.ends_with(".optimus/extensions/github.com/raystack/optimus-extension-plugins/v0.1.0")
    );
    sb.as_extension(&["install", "-c", "proj/optimus.yaml", "--platform", PLAT])
        .expect(0, &["installed 2"]);
    assert!(sb.p("proj/.plugins/optimus-plugin-neo.yaml").is_file());
    let same = |args: &[&str]| {
        let a = sb.run(args);
        let b = sb.as_extension(args);
        // Commands quoted in messages are shown as the user types them there.
        let told = |s: &str| s.replace("`optimus plugins ", "`optimus-plugins ");
        assert_eq!(
            (a.code, &a.stdout, &a.stderr),
            (b.code, &told(&b.stdout), &told(&b.stderr)),
            "{args:?}"
        );
        a
    };
    same(&["install", "-c", "proj/optimus.yaml", "--platform", PLAT]).ok();
    same(&["outdated", "-c", "proj/optimus.yaml", "--json"]).ok();
    same(&[
        "-q",
        "verify",
        "-c",
        "proj/optimus.yaml",
        "--platform",
        PLAT,
    ])
    .ok();
    std::fs::write(sb.p("proj/.plugins/optimus-plugin-neo.yaml"), "changed").unwrap();
    let r = same(&["verify", "-c", "proj/optimus.yaml", "--platform", PLAT]).fails(1);
    assert!(
        r.stderr
            .contains("`optimus-plugins install -c proj/optimus.yaml` restores"),
        "{}",
        r.stderr
    );
    let r = sb.as_extension(&["verify", "-c", "proj/optimus.yaml", "--platform", PLAT]);
    assert!(
        r.stderr
            .contains("`optimus plugins install -c proj/optimus.yaml` restores"),
        "{}",
        r.stderr
    );
    same(&["install", "-c", "proj/missing.yaml"]).fails(2);
    same(&[
        "lock",
        "--platform",
        "plan9_amd64",
        "-c",
        "proj/optimus.yaml",
    ])
    .fails(2);
    same(&["--version"]).ok();
    sb.as_extension(&["plugin", "install"]).expect(
        2,
        &["optimus plugins takes the verbs directly, without `plugin`: `optimus plugins install -c optimus.yaml`"],
    );
    // Help and usage show how the user typed it.
    let help = sb.as_extension(&["install", "--help"]).ok().stdout;
    assert!(help.contains("Usage: optimus plugins install"), "{help}");
    assert!(
        help.contains("\n  optimus plugins install -c server.yaml --locked"),
        "{help}"
    );
}

#[test]
fn an_unknown_command_points_to_the_optimus_cli() {
    let sb = Sandbox::new();
    // No other optimus on PATH: say so.
    let bare = "/usr/bin:/bin";
    for word in ["job", "deploy"] {
        let r = sb.run_env(&[word, "list"], &[("PATH", bare)]).expect(
            2,
            &[
                "unrecognized subcommand",
                "this is optimus-plugins, the Optimus plugin manager",
                "no other `optimus` is on PATH",
            ],
        );
        assert!(r.stdout.is_empty(), "{}", r.stdout);
    }
    // The Go CLI elsewhere on PATH: named, with the command to run.
    let real = fake_optimus(&sb, "go-bin");
    let path = path_with(&[sb.p("go-bin")]);
    sb.run_env(&["job", "list"], &[("PATH", &path)]).expect(
        2,
        &[&format!(
            "the Optimus CLI, which is {}: run `{} job ...`",
            real.display(),
            real.display()
        )],
    );
    // As `optimus` (the symlink first on PATH), it skips itself and finds the real one.
    let link_dir = sb.optimus_symlink().parent().unwrap().to_path_buf();
    let mut c = sb.command_of(&sb.optimus_symlink(), &["job", "list"]);
    c.env("PATH", path_with(&[link_dir.clone(), sb.p("go-bin")]));
    Run::from(c.output().unwrap()).expect(
        2,
        &[
            "this `optimus` is optimus-plugins",
            &format!("which is {}", real.display()),
        ],
    );
    // And when it is the only `optimus`, it does not name itself.
    let mut c = sb.command_of(&sb.optimus_symlink(), &["deploy"]);
    c.env("PATH", path_with(&[link_dir]));
    let r = Run::from(c.output().unwrap()).expect(2, &["no other `optimus` is on PATH"]);
    assert!(!r.stderr.contains("optimus-bin"), "{}", r.stderr);
}

/// Completions are printed for the invoked name, to stdout only: nothing is written, so
/// Optimus's own completion file is never replaced.
#[test]
fn completions_are_for_the_invoked_name_and_write_no_file() {
    let sb = Sandbox::new();
    sb.optimus_symlink();
    sb.install_extension();
    let before = Snapshot::take(&[sb.path()]);
    let r = sb.run(&["completions", "bash"]).expect(
        0,
        &[
            "-o default optimus-plugins\n",
            "optimus__plugins__subcmd__install",
        ],
    );
    assert!(
        !r.stdout.contains("subcmd__plugin__subcmd__install"),
        "no `plugin` level"
    );
    let r = sb
        .as_optimus(&["plugin", "completions", "bash"])
        .expect(0, &["-o default optimus\n"]);
    assert!(
        r.stdout
            .contains("optimus__subcmd__plugin__subcmd__install"),
        "`optimus plugin install`"
    );
    sb.as_extension(&["completions", "fish"])
        .expect(0, &["complete -c optimus-plugins"]);
    before.assert_unchanged(&[]);
}
