//! Integrity and bad input (issue #5, parts 5 and 6): `verify` names every changed, missing or
//! extra file; a tampered index, a wrong key, a replaced artifact or an edited lock entry is
//! refused and changes nothing; bad input anywhere is exit 1 or 2 with a message naming the
//! file and place, never a panic.

use crate::common::*;

fn setup() -> (Sandbox, Registry) {
    let sb = Sandbox::new();
    let reg = abcy_registry(&sb);
    installed_project(&sb, &reg, &["a", "b", "c", "y"]);
    (sb, reg)
}

/// Project state that a refused operation must leave alone.
fn state(sb: &Sandbox) -> std::collections::BTreeMap<String, Vec<u8>> {
    tree(&sb.p("proj"), &[])
}

#[track_caller]
fn refused_unchanged(
    sb: &Sandbox,
    before: &std::collections::BTreeMap<String, Vec<u8>>,
    r: &Run,
    code: i32,
    expect: &[&str],
) {
    assert_clean_failure(r);
    assert_eq!(r.code, code, "{}", r.all());
    for e in expect {
        assert!(r.all().contains(e), "expected {e:?} in:\n{}", r.all());
    }
    assert_eq!(&state(sb), before, "a refused run changed the project");
}

#[test]
fn verify_names_every_changed_missing_and_extra_file() {
    let (sb, _reg) = setup();
    sb.on_linux("verify", "proj/optimus.yaml").ok();
    let p = |n: &str| sb.p(&format!("proj/.plugins/{n}"));
    // Changed (same size, so only a re-hash can tell), missing, and extra (locked no more).
    let a = p(&format!("optimus-a_{PLAT}"));
    let mut bytes = std::fs::read(&a).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&a, bytes).unwrap();
    std::fs::remove_file(p(&format!("optimus-b_{PLAT}"))).unwrap();
    let lock = sb.read("proj/optimus.lock");
    let start = lock.find("[[plugin]]\nname = \"c\"").unwrap();
    let end = lock[start + 1..]
        .find("[[plugin]]")
        .map(|i| i + start + 1)
        .unwrap();
    sb.write(
        "proj/optimus.lock",
        format!("{}{}", &lock[..start], &lock[end..]),
    );
    let r = sb.on_linux("verify", "proj/optimus.yaml");
    assert_clean_failure(&r);
    assert_eq!(r.code, 1);
    // One line per problem: its label, then the file (by name, relative to the project).
    let line_for = |label: &str, file: &str| {
        r.stdout
            .lines()
            .any(|l| l.starts_with(label) && l.contains(&format!(".plugins/{file}")))
    };
    assert!(
        line_for("modified", &format!("optimus-a_{PLAT}")),
        "{}",
        r.stdout
    );
    assert!(
        line_for("missing", &format!("optimus-b_{PLAT}")),
        "{}",
        r.stdout
    );
    assert!(
        line_for("extra", &format!("optimus-c_{PLAT}")),
        "{}",
        r.stdout
    );
    let _ = &a;
    assert!(!r.stdout.contains("optimus-plugin-y.yaml"), "{}", r.stdout);
    assert!(r.stderr.contains("3 problem(s)"), "{}", r.stderr);
}

#[test]
fn a_tampered_index_is_refused_and_changes_nothing() {
    let (sb, reg) = setup();
    std::fs::remove_file(sb.p("proj/optimus.lock")).unwrap();
    let before = state(&sb);
    let idx = reg.root.join("index/a.toml");
    let text = std::fs::read_to_string(&idx).unwrap();
    std::fs::write(
        &idx,
        text.replace("plugin_type = \"task\"", "plugin_type = \"hook\""),
    )
    .unwrap();
    let r = sb.install("proj/optimus.yaml");
    refused_unchanged(
        &sb,
        &before,
        &r,
        1,
        &["bad signature", "plugin a", "registry reg", "tampered"],
    );
}

#[test]
fn an_index_signed_by_an_unpinned_key_is_refused() {
    let (sb, reg) = setup();
    std::fs::remove_file(sb.p("proj/optimus.lock")).unwrap();
    let before = state(&sb);
    let other = Registry::new(&sb, "other");
    let cfg = sb
        .read("proj/optimus.yaml")
        .replace(&reg.public_key, &other.public_key);
    sb.write("proj/optimus.yaml", &cfg);
    let before_cfg = state(&sb);
    let r = sb.install("proj/optimus.yaml");
    refused_unchanged(&sb, &before_cfg, &r, 1, &["not pinned", "registry reg"]);
    let _ = before;
}

#[test]
fn a_signed_index_for_another_plugin_is_refused() {
    let (sb, reg) = setup();
    std::fs::remove_file(sb.p("proj/optimus.lock")).unwrap();
    let before = state(&sb);
    // Swap b's (validly signed) index and signature in for a's.
    for ext in ["toml", "toml.minisig"] {
        std::fs::copy(
            reg.root.join(format!("index/b.{ext}")),
            reg.root.join(format!("index/a.{ext}")),
        )
        .unwrap();
    }
    let r = sb.install("proj/optimus.yaml");
    refused_unchanged(&sb, &before, &r, 1, &["describes plugin `b`, not `a`"]);
}

#[test]
fn a_replaced_artifact_is_refused() {
    let (sb, reg) = setup();
    // Reinstall from scratch with an empty cache so the artifact is read again.
    std::fs::remove_dir_all(sb.p("cache")).unwrap();
    std::fs::remove_file(sb.p(&format!("proj/.plugins/optimus-a_{PLAT}"))).unwrap();
    let before = state(&sb);
    let art = reg
        .root
        .join(format!("artifacts/a/1.0.0/optimus-a_1.0.0_{PLAT}.tar.gz"));
    let mut bytes = std::fs::read(&art).unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 0xff;
    std::fs::write(&art, bytes).unwrap();
    let r = sb.install("proj/optimus.yaml");
    refused_unchanged(
        &sb,
        &before,
        &r,
        1,
        &[
            "checksum mismatch",
            "expected sha256",
            "actual sha256",
            "optimus-a_1.0.0",
        ],
    );
}

#[test]
fn an_edited_lock_entry_is_refused_even_when_the_artifact_is_cached() {
    let (sb, reg) = setup();
    // Point a's lock entry at c's artifact (same registry, already in the cache).
    let sha_a = sha256_file(
        &reg.root
            .join(format!("artifacts/a/1.0.0/optimus-a_1.0.0_{PLAT}.tar.gz")),
    );
    let sha_c = sha256_file(
        &reg.root
            .join(format!("artifacts/c/1.0.0/optimus-c_1.0.0_{PLAT}.tar.gz")),
    );
    let lock = sb.read("proj/optimus.lock");
    sb.write("proj/optimus.lock", lock.replace(&sha_a, &sha_c));
    std::fs::remove_file(sb.p(&format!("proj/.plugins/optimus-a_{PLAT}"))).unwrap();
    let before = state(&sb);
    let r = sb.install("proj/optimus.yaml");
    refused_unchanged(
        &sb,
        &before,
        &r,
        1,
        &[
            "does not match the signed index",
            &sha_c,
            &sha_a,
            "optimus-plugins update a",
        ],
    );
    // An edited url is refused the same way.
    sb.write(
        "proj/optimus.lock",
        lock.replace(
            &format!("artifacts/a/1.0.0/optimus-a_1.0.0_{PLAT}.tar.gz"),
            &format!("artifacts/c/1.0.0/optimus-c_1.0.0_{PLAT}.tar.gz"),
        ),
    );
    let before = state(&sb);
    let r = sb.install("proj/optimus.yaml");
    refused_unchanged(&sb, &before, &r, 1, &["does not match the signed index"]);
}

#[test]
fn bad_input_anywhere_is_a_clear_error_never_a_panic() {
    let (sb, _reg) = setup();
    let cfg = sb.read("proj/optimus.yaml");
    let lock = sb.read("proj/optimus.lock");
    let receipts = sb.read("proj/.plugins/.receipts.toml");
    let restore = |sb: &Sandbox| {
        sb.write("proj/optimus.yaml", &cfg);
        sb.write("proj/optimus.lock", &lock);
        sb.write("proj/.plugins/.receipts.toml", &receipts);
    };
    type Case = (&'static str, &'static str, String, i32, Vec<&'static str>);
    let cases: Vec<Case> = vec![
        (
            "config: broken yaml",
            "proj/optimus.yaml",
            "plugins:\n  plugins: [\n".into(),
            2,
            vec!["optimus.yaml:3:"],
        ),
        (
            "config: unknown key",
            "proj/optimus.yaml",
            cfg.replace("  plugins:\n", "  plugns:\n  plugins:\n"),
            2,
            vec!["plugns"],
        ),
        (
            "config: bad name",
            "proj/optimus.yaml",
            cfg.replace("name: a\n", "name: ../x\n"),
            2,
            vec!["../x"],
        ),
        (
            "config: bad semver",
            "proj/optimus.yaml",
            cfg.replace("version: \"*\"", "version: \">>1\""),
            2,
            vec![">>1"],
        ),
        (
            "config: unknown provider",
            "proj/optimus.yaml",
            cfg.replace("provider: reg", "provider: nope"),
            2,
            vec!["nope"],
        ),
        (
            "config: bad key",
            "proj/optimus.yaml",
            cfg.replace("public_keys: [\"", "public_keys: [\"AAAA"),
            2,
            vec!["not a minisign public key"],
        ),
        (
            "lock: broken toml",
            "proj/optimus.lock",
            "version = 1\n[[plugin]\n".into(),
            2,
            vec!["optimus.lock", ":2:"],
        ),
        (
            "lock: bad sha",
            "proj/optimus.lock",
            lock.replacen("sha256 = \"", "sha256 = \"zz", 1),
            2,
            vec!["optimus.lock", "sha256"],
        ),
        (
            "lock: bad name",
            "proj/optimus.lock",
            lock.replacen("name = \"a\"", "name = \"../a\"", 1),
            2,
            vec!["optimus.lock", "../a"],
        ),
        (
            "lock: unknown key",
            "proj/optimus.lock",
            lock.replacen("version = 1", "version = 1\nevil = true", 1),
            2,
            vec!["optimus.lock", "evil"],
        ),
        (
            "lock: future version",
            "proj/optimus.lock",
            lock.replacen("version = 1", "version = 9", 1),
            2,
            vec!["optimus.lock", "version 9"],
        ),
        (
            "receipts: path escape",
            "proj/.plugins/.receipts.toml",
            receipts.replacen(
                &format!("file = \"optimus-a_{PLAT}\""),
                "file = \"../../victim\"",
                1,
            ),
            1,
            vec![".receipts.toml", "../../victim"],
        ),
        (
            "receipts: garbage",
            "proj/.plugins/.receipts.toml",
            "\u{0}\u{1}[[[".into(),
            1,
            vec![".receipts.toml"],
        ),
    ];
    let victim = sb.write("victim", "do not delete");
    for (label, file, text, code, expect) in &cases {
        restore(&sb);
        sb.write(file, text);
        for args in [
            vec!["install", "-c", "proj/optimus.yaml", "--platform", PLAT],
            vec!["remove", "-c", "proj/optimus.yaml", "a"],
            vec!["verify", "-c", "proj/optimus.yaml", "--platform", PLAT],
            vec!["list", "-c", "proj/optimus.yaml"],
        ] {
            let r = sb.plugin(&args);
            assert_clean_failure(&r);
            if args[0] == "install" {
                assert_eq!(r.code, *code, "{label}: {}", r.all());
                for e in expect {
                    assert!(
                        r.stderr.contains(e),
                        "{label}: expected {e:?} in:\n{}",
                        r.stderr
                    );
                }
            }
        }
        assert!(
            victim.exists(),
            "{label}: a file outside the plugin dir was deleted"
        );
    }
    restore(&sb);
    // CLI arguments.
    for args in [
        vec!["remove", "-c", "proj/optimus.yaml", "../x"],
        vec![
            "install",
            "-c",
            "proj/optimus.yaml",
            "--platform",
            "plan9_mips",
        ],
        vec!["install", "-c", "proj/optimus.yaml", "--jobs", "many"],
        vec!["install", "-c", "proj/nope.yaml"],
        vec!["update", "-c", "proj/optimus.yaml", "../x"],
        vec![
            "yank",
            "--registry",
            "registry",
            "--secret-key",
            "keys/registry.key",
            "../x",
            "1.0.0",
        ],
        vec![
            "publish",
            "--registry",
            "registry",
            "--secret-key",
            "keys/registry.key",
            "a",
            "not-semver",
            "x",
        ],
        vec!["validate", "--path", "nowhere"],
    ] {
        let r = sb.plugin(&args);
        assert_clean_failure(&r);
    }
    // A signed but malformed index: refused with file and place, nothing installed.
    let reg_idx = sb.p("registry/index/a.toml");
    std::fs::write(
        &reg_idx,
        "name = \"a\"\nplugin_type = \"task\"\n[[version]]\nversion = \"one\"\n",
    )
    .unwrap();
    Registry {
        root: sb.p("registry"),
        key: sb.p("keys/registry.key"),
        public_key: String::new(),
    }
    .resign("a");
    std::fs::remove_file(sb.p("proj/optimus.lock")).unwrap();
    sb.install("proj/optimus.yaml")
        .expect(1, &["index of plugin a", ":4:"]);
}
