//! Trust in what is written and kept (issue 20): names that stay in their folder (provider
//! names, mirror paths), printing (bidi controls, `${VAR}` paths), the rollback state keyed
//! (which registry it is: `registry_identity`), read-only installed files, a publish that cannot be signed, the
//! owner of a shared plugin directory, whole-set checks of `sync --host`, and the yaml inside
//! a plugin's archive. Real registries, servers and archives.

use crate::common::*;
use std::path::Path;

/// Item 3: a provider name is refused unless it follows the plugin-name rule: `../../victim`
/// cannot make `mirror --output` write outside its output.
#[test]
fn a_provider_name_cannot_lead_a_mirror_out_of_its_output() {
    let sb = Sandbox::new();
    let reg = neo_bq2bq_registry(&sb, "registry");
    for bad in ["../../victim", "a/b", "Prod", ".hidden"] {
        sb.write(
            "proj/work/optimus.yaml",
            registry_config("../../registry", &reg.public_key, &[("neo", "*")])
                .replace("name: reg\n", &format!("name: \"{bad}\"\n"))
                .replace("provider: reg\n", &format!("provider: \"{bad}\"\n")),
        );
        // `lock` first (an older version wrote the lock, then the mirror).
        let _ = sb.on_linux("lock", "proj/work/optimus.yaml");
        let r = sb.plugin(&[
            "mirror",
            "-c",
            "proj/work/optimus.yaml",
            "--output",
            sb.p("proj/out/sub").to_str().unwrap(),
        ]);
        r.expect(2, &["invalid provider name", "^[a-z0-9][a-z0-9_-]{0,63}$"]);
        let written: Vec<_> = Snapshot::take(&[sb.path()])
            .paths()
            .filter(|p| p.ends_with("victim") || p.starts_with(sb.p("proj/out")))
            .map(Path::to_path_buf)
            .collect();
        assert!(written.is_empty(), "{bad}: written: {written:?}");
    }
}

/// Item 6: a right-to-left override in an archive entry name is printed escaped, as control
/// characters are (`evil\u{202e}gpj.exe` would show as `evilexe.jpg`).
#[test]
fn a_bidi_override_in_an_entry_name_is_printed_escaped() {
    let sb = Sandbox::new();
    let file = format!("optimus-a_1.0.0_{PLAT}.tar.gz");
    write_raw_targz(
        &sb.p(&format!("art/{file}")),
        &[RawEntry::file("evil\u{202e}gpj.exe", b"data")],
    );
    sb.write(
        "proj/optimus.yaml",
        format!("plugins:\n  plugins:\n    - name: a\n      path: ../art/{file}\n"),
    );
    let r = sb.install("proj/optimus.yaml");
    assert_clean_failure(&r);
    let all = r.all();
    assert!(
        all.contains("evil\\u{202e}gpj.exe"),
        "the entry is not listed escaped:\n{all}"
    );
    assert!(!all.contains('\u{202e}'), "printed raw:\n{all}");
}

/// Item 7: a plugin directory from `${VAR}` is hidden the same way in text and `--json`.
#[test]
fn a_plugin_dir_from_a_variable_is_hidden_in_text_as_in_json() {
    let sb = Sandbox::new();
    let reg = neo_bq2bq_registry(&sb, "registry");
    sb.write(
        "proj/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("neo", "*")]).replace(
            "plugins:\n  providers:",
            "plugins:\n  dir: ${PD}\n  providers:",
        ),
    );
    let secret = "SECRETDIR-7f3a";
    let pd = sb.p(&format!("proj/{secret}"));
    let env = [("PD", pd.to_str().unwrap())];
    let proj = sb.p("proj");
    let runs = [
        sb.run_in(&proj, &["plugin", "install", "--platform", PLAT], &env),
        sb.run_in(&proj, &["plugin", "list", "--platform", PLAT], &env),
        sb.run_in(
            &proj,
            &["plugin", "list", "--json", "--platform", PLAT],
            &env,
        ),
        sb.run_in(&proj, &["plugin", "verify", "--platform", PLAT], &env),
        sb.run_in(&proj, &["plugin", "install", "--platform", PLAT], &env),
    ];
    assert!(pd.join("optimus-plugin-neo.yaml").is_file());
    for r in &runs {
        assert_eq!(r.code, 0, "{}", r.all());
        assert!(
            !r.all().contains(secret),
            "the value of PD printed:\n{}",
            r.all()
        );
    }
    assert!(runs[0].stdout.contains("***"), "{}", runs[0].stdout);
}

fn sha256_text(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// A registry served over http from `<sandbox>/serve`, and a copy of it as it was before a
/// later publish (`<sandbox>/old`): (the registry, the server).
fn served_with_an_old_copy(sb: &Sandbox) -> (Registry, HttpServer) {
    let reg = neo_bq2bq_registry(sb, "registry");
    copy_dir(&reg.root, &sb.p("old"));
    reg.publish_yaml(sb, "neo", "1.1.0").ok();
    copy_dir(&reg.root, &sb.p("serve"));
    let server = HttpServer::start(&sb.p("serve"));
    (reg, server)
}

fn serve_copy(sb: &Sandbox, from: &str) {
    std::fs::remove_dir_all(sb.p("serve")).unwrap();
    copy_dir(&sb.p(from), &sb.p("serve"));
}

/// Item 8: rollback state is keyed by the registry URL without user-info and query: rotating
/// the password in the URL keeps the floor, and no hash of a password-bearing URL names a file.
#[test]
fn rotating_the_password_in_a_registry_url_keeps_rollback_protection() {
    let sb = Sandbox::new();
    let (reg, server) = served_with_an_old_copy(&sb);
    let url = |pass: &str| format!("http://deploy:{pass}@127.0.0.1:{}/", server.port);
    let config = |pass: &str| {
        sb.write(
            "proj/optimus.yaml",
            registry_config(&url(pass), &reg.public_key, &[("neo", "*")]),
        )
    };
    config("pw-ONE-1111");
    sb.install("proj/optimus.yaml").ok();
    // The password changes, and the server now serves the copy from before the last publish.
    serve_copy(&sb, "old");
    std::fs::remove_file(sb.p("proj/optimus.lock")).unwrap();
    config("pw-TWO-2222");
    sb.install("proj/optimus.yaml")
        .expect(1, &["older than version", "refusing a rollback"]);
    // No cache file is named after a URL that holds a password.
    let names: Vec<String> = files_under(&sb.p("cache"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for pass in ["pw-ONE-1111", "pw-TWO-2222"] {
        for path in [
            "",
            "timestamp.toml",
            "index/neo.toml",
            "index/neo.toml.minisig",
        ] {
            let hash = sha256_text(&format!("{}{path}", url(pass)));
            assert!(
                !names.iter().any(|n| n.starts_with(&hash)),
                "a cache file is named by the hash of {}{path}",
                url(pass)
            );
        }
    }
}

/// Item 8, migration: a state file of the old form (the version alone, named by the hash of
/// the whole URL) still sets the floor, and is replaced by the new one.
#[test]
fn an_old_rollback_state_file_still_protects_and_is_replaced() {
    let sb = Sandbox::new();
    let (reg, server) = served_with_an_old_copy(&sb);
    let url = format!("http://deploy:pw-OLD-3333@127.0.0.1:{}/", server.port);
    sb.write(
        "proj/optimus.yaml",
        registry_config(&url, &reg.public_key, &[("neo", "*")]),
    );
    let legacy = sb.p(&format!("cache/timestamps/{}", sha256_text(&url)));
    sb.write(
        legacy.strip_prefix(sb.path()).unwrap().to_str().unwrap(),
        "99\n",
    );
    sb.install("proj/optimus.yaml")
        .expect(1, &["older than version 99", "refusing a rollback"]);
    // A lower floor is accepted, and the file replaced by one named without the password.
    std::fs::write(&legacy, "2\n").unwrap();
    sb.install("proj/optimus.yaml").ok();
    assert!(!legacy.exists(), "the old state file is still there");
    let states = files_under(&sb.p("cache/timestamps"));
    assert_eq!(states.len(), 1, "{states:?}");
    let text = std::fs::read_to_string(&states[0]).unwrap();
    assert!(text.contains("version = 3"), "{text}");
    // And it still protects.
    serve_copy(&sb, "old");
    std::fs::remove_file(sb.p("proj/optimus.lock")).unwrap();
    sb.install("proj/optimus.yaml")
        .expect(1, &["refusing a rollback"]);
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
fn chmod(p: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

/// Item 11: installed files are read-only (binaries 0555, yaml 0444) in every link mode, and so
/// is the cache's copy they may share an inode with; `verify` reports a changed mode with the
/// fix, `install` restores it, and removal and upgrades still work.
#[cfg(unix)]
#[test]
fn installed_files_are_read_only_and_verify_checks_their_mode() {
    let sb = Sandbox::new();
    let reg = neo_bq2bq_registry(&sb, "registry");
    for p in ["a", "b", "c"] {
        sb.write(
            &format!("{p}/optimus.yaml"),
            registry_config(
                "../registry",
                &reg.public_key,
                &[("neo", "*"), ("bq2bq", "*")],
            ),
        );
    }
    let yaml = |p: &str| sb.p(&format!("{p}/.plugins/optimus-plugin-neo.yaml"));
    let bin = |p: &str| sb.p(&format!("{p}/.plugins/optimus-bq2bq_{PLAT}"));
    sb.install("a/optimus.yaml").ok();
    sb.install("b/optimus.yaml").ok();
    sb.on_linux_with(
        "install",
        "c/optimus.yaml",
        &[],
        &[("OPTIMUS_LINK_MODE", "copy")],
    )
    .ok();
    for p in ["a", "b", "c"] {
        assert_eq!(mode(&yaml(p)), 0o444, "{p}");
        assert_eq!(mode(&bin(p)), 0o555, "{p}");
    }
    for f in files_under(&sb.p("cache/files")) {
        assert!(
            mode(&f) & 0o222 == 0,
            "{} is writable: {:o}",
            f.display(),
            mode(&f)
        );
    }
    // A mode changed in a (hard-linked) project: a finding with the fix, in both projects.
    chmod(&yaml("a"), 0o666);
    for p in ["a", "b"] {
        sb.on_linux("verify", &format!("{p}/optimus.yaml")).expect(
            1,
            &[
                "mode",
                "optimus-plugin-neo.yaml",
                "0666",
                "0444",
                "optimus-plugins install",
            ],
        );
    }
    sb.on_linux("list", "b/optimus.yaml")
        .expect(0, &["modified"]);
    // The cache does not hand out the changed copy; install puts the read-only file back.
    sb.install("b/optimus.yaml").ok();
    assert_eq!(mode(&yaml("b")), 0o444);
    sb.on_linux("verify", "b/optimus.yaml").ok();
    sb.install("a/optimus.yaml").ok();
    sb.on_linux("verify", "a/optimus.yaml").ok();
    for f in files_under(&sb.p("cache/files")) {
        assert!(
            mode(&f) & 0o222 == 0,
            "{} is writable: {:o}",
            f.display(),
            mode(&f)
        );
    }
    // An upgrade replaces a read-only file, and removal removes one.
    reg.publish_yaml(&sb, "neo", "1.1.0").ok();
    sb.plugin(&["update", "-c", "a/optimus.yaml"]).ok();
    assert!(sb
        .read("a/.plugins/optimus-plugin-neo.yaml")
        .contains("1.1.0"));
    assert_eq!(mode(&yaml("a")), 0o444);
    sb.plugin(&["remove", "-c", "a/optimus.yaml", "neo"]).ok();
    assert!(!yaml("a").exists());
    sb.on_linux("verify", "a/optimus.yaml").ok();
}

fn set_timestamp_version(reg: &Registry, version: &str) {
    let path = reg.root.join("timestamp.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text: String = text
        .lines()
        .map(|l| {
            if l.starts_with("version = ") {
                format!("version = {version}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(path, text).unwrap();
}

/// Item 15: at the last timestamp version (or with one that cannot be read), `publish`, `yank`
/// and `refresh` refuse before writing anything: no index is rewritten that no timestamp can
/// list.
#[test]
fn a_change_that_cannot_be_signed_writes_nothing() {
    let sb = Sandbox::new();
    let reg = neo_bq2bq_registry(&sb, "registry");
    let neo2 = make_yaml(&sb, "neo", "2.0.0");
    for version in ["9223372036854775807", "18446744073709551615"] {
        set_timestamp_version(&reg, version);
        let snap = Snapshot::take(&[&reg.root]);
        reg.run(&sb, "publish", &["neo", "2.0.0", neo2.to_str().unwrap()])
            .expect(1, &["timestamp.toml", "nothing was changed"]);
        reg.run(&sb, "yank", &["neo", "1.0.0"])
            .expect(1, &["timestamp.toml"]);
        reg.run(&sb, "refresh", &[]).expect(1, &["timestamp.toml"]);
        snap.retake().assert_unchanged(&[]);
    }
}

/// Item 17: a project that reaches a shared plugin directory through a symlink owns it by its
/// real path: a project naming the real directory is another owner and is refused.
#[cfg(unix)]
#[test]
fn a_plugin_dir_reached_through_a_symlink_keeps_its_owner() {
    let sb = Sandbox::new();
    let reg = abcy_registry(&sb);
    std::fs::create_dir_all(sb.p("shared")).unwrap();
    std::fs::create_dir_all(sb.p("a")).unwrap();
    std::os::unix::fs::symlink("../shared", sb.p("a/link")).unwrap();
    sb.write(
        "a/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("a", "*")]).replace(
            "plugins:\n  providers:",
            "plugins:\n  dir: link\n  providers:",
        ),
    );
    sb.write(
        "b/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("b", "*")]).replace(
            "plugins:\n  providers:",
            "plugins:\n  dir: ../shared\n  providers:",
        ),
    );
    sb.install("a/optimus.yaml").ok();
    let a_file = sb.p(&format!("shared/optimus-a_{PLAT}"));
    assert!(a_file.is_file());
    let snap = Snapshot::take(&[sb.p("shared")]);
    sb.install("b/optimus.yaml")
        .expect(2, &["is the plugin directory of", "a/optimus.yaml"]);
    sb.plugin(&["remove", "-c", "b/optimus.yaml", "a"])
        .expect(2, &["is the plugin directory of"]);
    snap.retake().assert_unchanged(&[]);
    // The owner itself still installs through the link.
    sb.install("a/optimus.yaml").ok();
}

/// Item 18: a bundle that installs nothing the server serves (a name this tool cannot install,
/// or no plugin at all) is an error, and removes nothing.
#[test]
fn a_bundle_that_installs_nothing_is_refused_and_removes_nothing() {
    let sb = Sandbox::new();
    sb.write_bundle(&[
        ("optimus-plugin-alpha.yaml", yaml_plugin("alpha", "1.0.0")),
        ("optimus-plugin-beta.yaml", yaml_plugin("beta", "1.0.0")),
    ]);
    let server = HttpServer::start(&sb.p("www"));
    sb.sync_host(&server).expect(0, &["synced 2"]);
    let snap = Snapshot::take(&[sb.p("client/.plugins")]);
    sb.write_bundle(&[("optimus-plugin-Alpha.yaml", yaml_plugin("alpha", "1.0.0"))]);
    sb.sync_host(&server)
        .expect(1, &["optimus-plugin-Alpha.yaml", "nothing was changed"]);
    snap.retake().assert_unchanged(&[]);
    sb.write_bundle::<&str, &[u8]>(&[]);
    sb.sync_host(&server)
        .expect(1, &["no yaml plugin", "nothing was changed"]);
    snap.retake().assert_unchanged(&[]);
}

/// Item 19: `sync --host` runs Optimus's startup checks over the set it would leave (as `list`
/// reports them) before the swap: two yaml plugins with one `name:` are refused.
#[test]
fn a_bundle_that_would_stop_optimus_at_startup_is_refused() {
    let sb = Sandbox::new();
    // A yaml plugin the user put there, under another file name, says `name: alpha`.
    sb.write(
        "client/.plugins/optimus-plugin-mine.yaml",
        yaml_plugin("alpha", "0.1.0"),
    );
    sb.write_bundle(&[("optimus-plugin-beta.yaml", yaml_plugin("beta", "1.0.0"))]);
    let server = HttpServer::start(&sb.p("www"));
    sb.sync_host(&server).ok();
    let snap = Snapshot::take(&[sb.p("client/.plugins")]);
    sb.write_bundle(&[
        ("optimus-plugin-alpha.yaml", yaml_plugin("alpha", "1.0.0")),
        ("optimus-plugin-beta.yaml", yaml_plugin("beta", "1.0.0")),
    ]);
    sb.sync_host(&server).expect(
        1,
        &[
            "would refuse to start",
            "alpha",
            "optimus-plugin-mine.yaml",
            "nothing was changed",
        ],
    );
    snap.retake().assert_unchanged(&[]);
}

/// Item 19, beyond the plugin dir: a yaml plugin in another directory Optimus searches on
/// this machine (`~/.optimus/plugins`) that says `name: alpha` stops it at startup as one in
/// `.plugins` would, once the bundle brings alpha: refused, nothing changed anywhere. Without
/// the clash the same bundle syncs.
#[test]
fn a_bundle_clashing_with_a_plugin_elsewhere_on_the_search_path_is_refused() {
    let sb = Sandbox::new();
    let mine = sb.home().join(".optimus/plugins/optimus-plugin-mine.yaml");
    std::fs::create_dir_all(mine.parent().unwrap()).unwrap();
    std::fs::write(&mine, yaml_plugin("alpha", "0.1.0")).unwrap();
    sb.write_bundle(&[("optimus-plugin-alpha.yaml", yaml_plugin("alpha", "1.0.0"))]);
    let server = HttpServer::start(&sb.p("www"));
    std::fs::create_dir_all(sb.p("client")).unwrap();
    let snap = Snapshot::take(&[sb.p("client"), sb.home()]);
    sb.sync_host(&server).expect(
        1,
        &[
            "would refuse to start",
            "plugin name already in use alpha",
            ".optimus/plugins/optimus-plugin-mine.yaml",
            "nothing was changed",
        ],
    );
    snap.retake().assert_unchanged(&[]);
    std::fs::remove_file(&mine).unwrap();
    sb.sync_host(&server).expect(0, &["synced 1"]);
    assert!(sb.p("client/.plugins/optimus-plugin-alpha.yaml").is_file());
}

/// Item 20: the yaml inside a plugin's archive must name that plugin (Optimus merges a binary
/// with the yaml plugin of its name, exactly): `publish` and `install` refuse it.
#[test]
fn a_plugin_archive_whose_yaml_names_another_plugin_is_refused() {
    let sb = Sandbox::new();
    let file = format!("optimus-hello_1.0.0_{PLAT}.tar.gz");
    let archive = sb.p(&format!("art/{file}"));
    write_targz(
        &archive,
        &[
            (
                format!("optimus-hello_{PLAT}"),
                script("hello", "1.0.0", PLAT).into_bytes(),
                0o755,
            ),
            (
                "optimus-plugin-hello.yaml".to_string(),
                yaml_plugin("yamly", "1.0.0").into_bytes(),
                0o644,
            ),
        ],
    );
    sb.write(
        "proj/optimus.yaml",
        format!("plugins:\n  plugins:\n    - name: hello\n      path: ../art/{file}\n"),
    );
    sb.install("proj/optimus.yaml")
        .expect(1, &["name: yamly", "name: hello"]);
    assert!(!sb
        .p(&format!("proj/.plugins/optimus-hello_{PLAT}"))
        .exists());
    assert!(!sb.p("proj/.plugins/optimus-plugin-hello.yaml").exists());
    let reg = Registry::new(&sb, "registry");
    reg.publish(&sb, &["--type", "task"], "hello", "1.0.0", &[&archive])
        .expect(2, &["name: yamly"]);
    assert!(!reg.root.join("index/hello.toml").exists());
    // A binary is merged with the yaml of exactly its name: `name: Hello` beside the binary
    // of hello would stop Optimus at startup.
    write_targz(
        &archive,
        &[
            (
                format!("optimus-hello_{PLAT}"),
                script("hello", "1.0.0", PLAT).into_bytes(),
                0o755,
            ),
            (
                "optimus-plugin-hello.yaml".to_string(),
                yaml_plugin("Hello", "1.0.0").into_bytes(),
                0o644,
            ),
        ],
    );
    sb.write(
        "proj/optimus.yaml",
        format!(
            "plugins:\n  plugins:\n    - name: hello\n      path: ../art/{file}\n      sha256: {}\n",
            sha256_file(&archive)
        ),
    );
    sb.install("proj/optimus.yaml")
        .expect(1, &["name: Hello", "exactly"]);
    assert!(!sb
        .p(&format!("proj/.plugins/optimus-hello_{PLAT}"))
        .exists());
}

/// A yaml plugin the user wrote by hand, under the name a bundle (or an install) would write:
/// never replaced (so a later sync cannot delete it either). The command is refused, naming the
/// file and the fix, and nothing changes; a file that already holds exactly the bytes to
/// install is taken over.
#[test]
fn a_file_this_tool_did_not_install_is_never_replaced() {
    let sb = Sandbox::new();
    sb.write(
        "client/.plugins/optimus-plugin-alpha.yaml",
        yaml_plugin("alpha", "0.0.1-mine"),
    );
    sb.write_bundle(&[("optimus-plugin-alpha.yaml", yaml_plugin("alpha", "1.0.0"))]);
    let server = HttpServer::start(&sb.p("www"));
    let snap = Snapshot::take(&[sb.p("client")]);
    sb.sync_host(&server).expect(
        2,
        &[
            "optimus-plugin-alpha.yaml",
            "not installed by optimus-plugins",
            "nothing was changed",
        ],
    );
    snap.retake().assert_unchanged(&[]);
    // The same bytes: taken over, and from then on the sync's to replace or remove.
    sb.write(
        "client/.plugins/optimus-plugin-alpha.yaml",
        yaml_plugin("alpha", "1.0.0"),
    );
    sb.sync_host(&server)
        .expect(0, &["taking over", "synced 1"]);

    // install, likewise.
    let reg = neo_bq2bq_registry(&sb, "registry");
    sb.write(
        "proj/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("neo", "*")]),
    );
    sb.write(
        "proj/.plugins/optimus-plugin-neo.yaml",
        "name: neo  # mine\n",
    );
    let snap = Snapshot::take(&[sb.p("proj")]);
    sb.install("proj/optimus.yaml")
        .expect(2, &["optimus-plugin-neo.yaml", "in the way of plugin neo"]);
    snap.retake().assert_unchanged(&[]);
}
