//! Mistakes about the registry and its trust: a plugin name it does not have, a requirement
//! nothing meets, a missing or wrong key, a registry that is not there or cannot be reached, a
//! platform it has nothing for, and a lock edited by hand.
//!
//! A lock that still fits its declarations is installed without reading any index (a no-op
//! install touches no registry), so the mistakes in a registry's `url:` or keys show when an
//! index is read: `update` here, which re-resolves every plugin.

use super::World;
use crate::common::*;

#[test]
fn a_typo_in_a_plugin_name_names_the_config_line_and_the_near_name() {
    let w = World::installed();
    w.edit("proj/optimus.yaml", "name: bq2bq", "name: bq2qb");
    w.mistake(
        &["install", "--platform", PLAT],
        1,
        &[
            "optimus.yaml:11: plugin bq2qb: not in registry reg",
            "did you mean `bq2bq`?",
        ],
        &[],
    );
}

#[test]
fn a_requirement_nothing_meets_lists_the_versions_and_says_what_to_change() {
    let w = World::installed();
    w.edit("proj/optimus.yaml", "\"^1\"", "\"^9\"");
    w.mistake(
        &["install", "--platform", PLAT],
        1,
        &[
            "optimus.yaml:8: plugin neo",
            "no version satisfies ^9 (available: 1.0.0)",
            "change its `version:` requirement",
        ],
        &[],
    );
}

#[test]
fn a_missing_key_is_a_configuration_error_naming_where_to_pin_it() {
    let w = World::installed();
    let key = w.reg.public_key.clone();
    w.edit(
        "proj/optimus.yaml",
        &format!("      public_keys: [\"{key}\"]\n"),
        "",
    );
    w.mistake(
        &["update"],
        2,
        &[
            "registry reg (optimus.yaml:3): no `public_keys` pinned",
            "keygen",
            "allow_unsigned: true",
        ],
        &[],
    );
}

#[test]
fn a_wrong_key_says_which_key_signed_and_where_to_pin() {
    let w = World::installed();
    let (_, other) = keygen(&w.sb, "other");
    let before = w.snapshot();
    w.edit("proj/optimus.yaml", &w.reg.public_key.clone(), &other);
    let r = w.run(&["update"]).expect(
        1,
        &[
            "which is not pinned",
            "check the new key id with its publisher",
            "`public_keys` (optimus.yaml:3)",
        ],
    );
    assert!(!r.stderr.contains("delete"), "{}", r.stderr);
    w.unchanged_since(&before, &["proj/optimus.yaml"]);
    // A key that is no minisign key at all: a configuration error at its line.
    w.edit("proj/optimus.yaml", &other, "RWQnotakey");
    w.mistake(
        &["update"],
        2,
        &["optimus.yaml:3: provider reg", "not a minisign public key"],
        &[],
    );
}

#[test]
fn a_registry_directory_that_is_not_there_is_not_called_unsigned_or_empty() {
    let w = World::installed();
    w.edit("proj/optimus.yaml", "url: ../registry", "url: ../registy");
    let r = w.mistake(
        &["update"],
        2,
        &[
            "registry reg: the directory",
            "registy does not exist",
            "`url:` of provider reg at optimus.yaml:3",
            "optimus-plugins publish --registry",
        ],
        &[],
    );
    assert!(!r.stderr.contains("timestamp"), "{}", r.stderr);
    assert!(!r.stderr.contains("not in registry"), "{}", r.stderr);
}

#[test]
fn verify_where_the_registry_cannot_be_seen_gives_no_advice_to_delete_state() {
    let w = World::installed();
    // An air gap: the project was installed, the registry is not reachable from here.
    std::fs::rename(w.p("registry"), w.p("registry.away")).unwrap();
    for args in [
        &["verify", "--platform", PLAT][..],
        &["verify", "--platform", PLAT, "--offline"][..],
    ] {
        let r = w.mistake(
            args,
            0,
            &[
                "verified 2 file(s)",
                "does not exist",
                "--offline --mirror DIR",
            ],
            &[],
        );
        assert!(!r.stderr.contains("delete"), "{}", r.stderr);
    }
    w.mistake(
        &["verify", "--platform", PLAT, "--deny-yanked"],
        1,
        &["unchecked", "does not exist"],
        &[],
    );
}

#[test]
fn an_unreachable_registry_says_what_to_check_and_how_to_work_without_it() {
    let w = World::installed();
    let url = format!("http://127.0.0.1:{}/", free_port());
    w.edit(
        "proj/optimus.yaml",
        "url: ../registry",
        &format!("url: {url}"),
    );
    w.mistake(
        &["update"],
        1,
        &[
            "connection failed",
            "registry reg cannot be reached",
            "`url:` (optimus.yaml:3)",
            "--offline",
        ],
        &[],
    );
}

#[test]
fn a_platform_the_registry_has_nothing_for_lists_what_it_has() {
    let w = World::installed();
    w.mistake(
        &["install", "--platform", "windows_arm64"],
        1,
        &[
            "optimus.yaml:11: plugin bq2bq",
            "has artifacts for linux_amd64, windows_arm64",
            "newest matching 0.3.2 has: linux_amd64",
        ],
        &[],
    );
}

#[test]
fn a_lock_edited_by_hand_is_refused_at_its_line_with_the_way_back() {
    let w = World::installed();
    let lock = w.sb.read("proj/optimus.lock");
    let sha = lock
        .lines()
        .find_map(|l| l.strip_prefix("sha256 = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_string();
    let line_of =
        |text: &str, needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let cases: Vec<(String, i32, Vec<String>)> = vec![
        // Not TOML any more.
        (
            lock.replacen("version = \"1.0.0\"", "version = 1.0.0\"", 1),
            2,
            vec![
                "optimus.lock:".into(),
                "restore it from version control".into(),
            ],
        ),
        // A checksum shortened by a slip of the editor.
        (
            lock.replacen(&sha, &sha[..60], 1),
            2,
            vec![
                format!("optimus.lock:{}: plugin", line_of(&lock, &sha)),
                "malformed sha256".into(),
                "optimus-plugins lock".into(),
            ],
        ),
        // A field optimus never writes.
        (
            lock.replacen("size = ", "sise = ", 1),
            2,
            vec![format!(
                "optimus.lock:{}: unknown field `sise`",
                line_of(&lock, "size = ")
            )],
        ),
        // Written by a newer optimus.
        (
            lock.replacen("version = 1\n", "version = 2\n", 1),
            2,
            vec![
                "unsupported lockfile version 2".into(),
                "upgrade optimus".into(),
            ],
        ),
    ];
    for (text, code, fragments) in cases {
        w.sb.write("proj/optimus.lock", &text);
        let before = w.snapshot();
        let frags: Vec<&str> = fragments.iter().map(String::as_str).collect();
        w.run(&["install", "--platform", PLAT]).expect(code, &frags);
        w.run(&["verify", "--platform", PLAT]).expect(code, &frags);
        w.unchanged_since(&before, &[]);
    }
    // Another (well-formed) checksum: the signed index says otherwise.
    let other = "0".repeat(64);
    w.sb.write("proj/optimus.lock", lock.replacen(&sha, &other, 1));
    std::fs::remove_dir_all(w.p("proj/.plugins")).unwrap();
    // (The cache may record that the lock's new text was parsed, and when an unpacked file it
    // holds was last used: its own bookkeeping, nothing a user sees.)
    w.mistake(
        &["install", "--platform", PLAT],
        1,
        &[
            "does not match the signed index of registry reg",
            "restore the lockfile from version control",
            "optimus-plugins update",
        ],
        &["cache/memo", "cache/unpacked"],
    );
}
