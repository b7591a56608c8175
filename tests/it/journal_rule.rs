//! The commit journal (issue 20 item 4, issue 17 item 2): it may only name what a commit of
//! this config touches (installed plugin files in the plugin dir, its receipts, this config's
//! lock); anything else is refused as tampering and nothing in it is done. Only a writing
//! command replays it: `verify`, `list` and `outdated` say an unfinished commit is there and
//! that `install` completes it, and change nothing.

use crate::common::*;

const JOURNAL: &str = ".optimus-journal.toml";

/// A project installed from a directory registry (`neo` yaml, `bq2bq` binary); `dir` is the
/// plugin dir line of its config.
fn installed(sb: &Sandbox, dir: &str) -> Registry {
    let reg = neo_bq2bq_registry(sb, "registry");
    let mut cfg = registry_config(
        "../registry",
        &reg.public_key,
        &[("neo", "*"), ("bq2bq", "*")],
    );
    cfg = cfg.replace(
        "plugins:\n  providers:",
        &format!("plugins:\n  dir: {dir}\n  providers:"),
    );
    sb.write("proj/optimus.yaml", cfg);
    sb.install("proj/optimus.yaml").ok();
    reg
}

#[test]
fn a_journal_writing_outside_the_commit_is_refused_by_install_and_never_run_by_verify() {
    let sb = Sandbox::new();
    installed(&sb, ".plugins");
    let victim = sb.write("elsewhere/x.lock", "the user's file\n");
    sb.write(
        &format!("proj/.plugins/{JOURNAL}"),
        format!(
            "[[write]]\npath = {:?}\ntext = \"owned\\n\"\n",
            victim.display().to_string()
        ),
    );
    let before = Snapshot::take(&[sb.p("proj"), sb.p("elsewhere")]);
    // verify (read-only): no replay, says what to run.
    sb.on_linux("verify", "proj/optimus.yaml")
        .expect(1, &["unfinished", JOURNAL, "optimus-plugins install"]);
    sb.on_linux("list", "proj/optimus.yaml")
        .expect(0, &["unfinished change"]);
    sb.plugin(&["outdated", "-c", "proj/optimus.yaml"])
        .expect(0, &["unfinished change"]);
    before.assert_unchanged(&[]);
    // install (writing): refused as tampering, naming the path; nothing done.
    sb.install("proj/optimus.yaml").expect(
        1,
        &[
            "not a valid journal",
            &victim.display().to_string(),
            "delete it",
        ],
    );
    before.assert_unchanged(&[]);
    assert_eq!(sb.read("elsewhere/x.lock"), "the user's file\n");
}

#[test]
fn with_the_plugin_dir_in_the_project_a_journal_cannot_remove_a_project_file() {
    let sb = Sandbox::new();
    installed(&sb, ".");
    sb.write("proj/main.go", "package main\n");
    for journal in [
        "remove = [\"main.go\"]\n".to_string(),
        "remove = [\"optimus.yaml\"]\n".to_string(),
        // A staged file planted beside it, renamed over a project file.
        "[[rename]]\nfrom = \".optimus-tmp-1-0-0\"\nto = \"main.go\"\n".to_string(),
    ] {
        sb.write("proj/.optimus-tmp-1-0-0", "planted\n");
        sb.write(&format!("proj/{JOURNAL}"), &journal);
        let before = Snapshot::take(&[sb.p("proj")]);
        sb.on_linux("verify", "proj/optimus.yaml")
            .expect(1, &["unfinished"]);
        before.assert_unchanged(&[]);
        for r in [
            sb.install("proj/optimus.yaml"),
            sb.plugin(&["remove", "-c", "proj/optimus.yaml", "neo"]),
            sb.plugin(&["lock", "-c", "proj/optimus.yaml"]),
        ] {
            r.expect(1, &["not a valid journal", "tampered"]);
            before.assert_unchanged(&[]);
        }
        assert_eq!(sb.read("proj/main.go"), "package main\n");
    }
}

#[test]
fn an_unfinished_commit_is_reported_by_verify_and_completed_by_install() {
    let sb = Sandbox::new();
    installed(&sb, ".plugins");
    // What a run killed right after its commit point leaves: a staged file, and the journal
    // that renames it into place and writes the receipts.
    let bin = format!("optimus-bq2bq_{PLAT}");
    let staged = ".optimus-tmp-424242-0-0";
    std::fs::copy(
        sb.p(&format!("proj/.plugins/{bin}")),
        sb.p(&format!("proj/.plugins/{staged}")),
    )
    .unwrap();
    let receipts = sb.read("proj/.plugins/.receipts.toml");
    let mut j = toml::Table::new();
    let entry = |pairs: &[(&str, String)]| {
        let mut t = toml::Table::new();
        for (k, v) in pairs {
            t.insert(k.to_string(), toml::Value::String(v.clone()));
        }
        toml::Value::Array(vec![toml::Value::Table(t)])
    };
    j.insert(
        "rename".into(),
        entry(&[("from", staged.into()), ("to", bin.clone())]),
    );
    let receipts_path = sb.p("proj/.plugins/.receipts.toml").display().to_string();
    j.insert(
        "write".into(),
        entry(&[("path", receipts_path), ("text", receipts)]),
    );
    sb.write(
        &format!("proj/.plugins/{JOURNAL}"),
        toml::to_string(&j).unwrap(),
    );
    let before = Snapshot::take(&[sb.p("proj")]);
    sb.on_linux("verify", "proj/optimus.yaml")
        .expect(1, &["unfinished", "`optimus-plugins install` completes it"]);
    sb.on_linux("list", "proj/optimus.yaml")
        .expect(0, &["unfinished change"]);
    before.assert_unchanged(&[]);
    sb.install("proj/optimus.yaml").ok();
    assert!(!sb.p(&format!("proj/.plugins/{JOURNAL}")).exists());
    assert!(leftovers(&sb.p("proj/.plugins")).is_empty());
    sb.on_linux("verify", "proj/optimus.yaml").ok();
}

/// A path that names the lock through a symlink and `..` (`.plugins/lnk/../optimus.lock` is the
/// lock to the text, the file beside the link's target to the system) is refused as tampering:
/// the victim beside the target keeps its bytes, by install and by `sync --host` alike.
#[cfg(unix)]
#[test]
fn a_journal_path_through_a_symlink_and_dotdot_is_refused() {
    let sb = Sandbox::new();
    installed(&sb, ".plugins");
    sb.write("victim/x/y/keep", "");
    let victim = sb.write("victim/x/optimus.lock", "the user's file\n");
    let receipts_victim = sb.write("victim/x/y/.receipts.toml", "their receipts\n");
    std::os::unix::fs::symlink(sb.p("victim/x/y"), sb.p("proj/.plugins/lnk")).unwrap();
    let through = |name: &str| format!("{}/lnk/../{name}", sb.p("proj/.plugins").display());
    sb.write(
        &format!("proj/.plugins/{JOURNAL}"),
        format!(
            "[[write]]\npath = {:?}\ntext = \"PWNED\\n\"\n[[write]]\npath = {:?}\ntext = \"PWNED\\n\"\n",
            format!("{}/lnk/../../optimus.lock", sb.p("proj/.plugins").display()),
            through(".receipts.toml"),
        ),
    );
    let before = Snapshot::take(&[sb.p("victim")]);
    sb.install("proj/optimus.yaml")
        .expect(1, &["not a valid journal", "lnk/.."]);
    before.assert_unchanged(&[]);
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "the user's file\n"
    );
    assert_eq!(
        std::fs::read_to_string(&receipts_victim).unwrap(),
        "their receipts\n"
    );
}

/// A commit made through a symlinked project path (`-c link/optimus.yaml`) names its lock
/// through the link; replayed from the directory the link points to, it is the same file, not
/// tampering: the next install completes it.
#[cfg(unix)]
#[test]
fn a_journal_written_through_a_symlinked_project_path_is_replayed() {
    let sb = Sandbox::new();
    installed(&sb, ".plugins");
    std::os::unix::fs::symlink(sb.p("proj"), sb.p("link")).unwrap();
    let lock = sb.read("proj/optimus.lock");
    sb.write(
        &format!("proj/.plugins/{JOURNAL}"),
        format!(
            "[[write]]\npath = {:?}\ntext = {:?}\n",
            sb.p("link/optimus.lock").display().to_string(),
            lock
        ),
    );
    sb.install("proj/optimus.yaml").ok();
    assert!(!sb.p(&format!("proj/.plugins/{JOURNAL}")).exists());
    assert_eq!(sb.read("proj/optimus.lock"), lock);
}
