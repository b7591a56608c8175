//! Holes found by an attack run (issue 11, items 3–6): caches keyed on everything that decides
//! the bytes, one URL policy for what is shown and persisted, archives and transport that
//! refuse what they did not ask for, and state that a crash or a second config cannot corrupt.

use crate::common::*;

/// Appends version `version` to `index/<name>.toml`: a copy of the artifact block of the first
/// version with `extra` lines added, re-signed with the registry's key.
fn add_version_sharing_artifact(reg: &Registry, name: &str, version: &str, extra: &str) {
    let idx = reg.root.join(format!("index/{name}.toml"));
    let text = std::fs::read_to_string(&idx).unwrap();
    let start = text.find("[[version.artifact]]").unwrap();
    let block = text[start..].trim_end();
    let block = block.split("\n[[version]]").next().unwrap();
    let more =
        format!("\n[[version]]\nversion = \"{version}\"\nyanked = false\n\n{block}\n{extra}\n");
    std::fs::write(&idx, format!("{text}{more}")).unwrap();
    reg.resign(name);
}

// ---------------------------------------------------------------------------------------------
// Item 3: the unpacked-file cache keys on everything that decides the bytes.

/// Two versions share one archive but name different `bin`s: a warm cache must not hand the
/// first version's binary to the second, in this project or another.
#[test]
fn unpacked_cache_keys_on_bin() {
    let sb = Sandbox::new();
    let reg = Registry::new(&sb, "registry");
    let archive = sb.p(&format!("build/p/1.0.0/optimus-p_1.0.0_{PLAT}.tar.gz"));
    write_targz(
        &archive,
        &[
            (
                format!("optimus-p_{PLAT}"),
                b"#!/bin/sh\necho one\n".to_vec(),
                0o755,
            ),
            ("alt/tool".into(), b"#!/bin/sh\necho two\n".to_vec(), 0o755),
        ],
    );
    reg.publish(
        &sb,
        &["--type", "task", "--binary-only"],
        "p",
        "1.0.0",
        &[&archive],
    )
    .ok();
    add_version_sharing_artifact(&reg, "p", "1.1.0", "bin = \"alt/tool\"");
    let cfg = |req: &str| registry_config("../registry", &reg.public_key, &[("p", req)]);
    let bin = format!(".plugins/optimus-p_{PLAT}");
    // Same project, upgraded in place; then a fresh project with a warm cache.
    sb.write("one/optimus.yaml", cfg("=1.0.0"));
    sb.install("one/optimus.yaml").ok();
    assert!(sb.read(&format!("one/{bin}")).contains("one"));
    sb.write("one/optimus.yaml", cfg("=1.1.0"));
    sb.install("one/optimus.yaml").ok();
    assert!(
        sb.read(&format!("one/{bin}")).contains("two"),
        "the upgrade kept the first version's binary"
    );
    sb.on_linux("verify", "one/optimus.yaml").ok();
    for (project, req, want) in [("two", "=1.0.0", "one"), ("three", "=1.1.0", "two")] {
        sb.write(&format!("{project}/optimus.yaml"), cfg(req));
        sb.install(&format!("{project}/optimus.yaml")).ok();
        assert!(
            sb.read(&format!("{project}/{bin}")).contains(want),
            "{project} ({req}) got the wrong binary from the cache"
        );
        sb.on_linux("verify", &format!("{project}/optimus.yaml"))
            .ok();
    }
}

// ---------------------------------------------------------------------------------------------
// Item 4: one policy for URLs shown and persisted.

/// What a signed or credentialed URL must never leave behind.
const SECRETS: &[&str] = &["hunter2", "s1gn4ture", "AKIDEXAMPLE", "g00gsig", "sasSIG"];

/// A direct artifact whose URL carries user-info and signed query parameters: the lock (its
/// `source` and `url`), the receipts and the output keep none of them; format and platform come
/// from the URL's path, and a name-less `artifacts:` entry still finds its plugin name.
#[test]
fn signed_urls_leave_no_secret_and_their_query_decides_nothing() {
    let sb = Sandbox::new();
    let archive = sb.p(&format!("srv/optimus-x_{PLAT}.tar.gz"));
    write_targz(
        &archive,
        &[(
            format!("optimus-x_{PLAT}"),
            b"#!/bin/sh\necho x\n".to_vec(),
            0o755,
        )],
    );
    let server = HttpServer::start(&sb.p("srv"));
    let signed = format!(
        "http://user:hunter2@127.0.0.1:{}/optimus-x_{PLAT}.tar.gz?sv=2024-01-01&sig=sasSIG&X-Amz-Credential=AKIDEXAMPLE&X-Amz-Signature=s1gn4ture&X-Goog-Signature=g00gsig&v=3",
        server.port
    );
    for (project, config) in [
        (
            "named",
            format!("plugins:\n  plugins:\n    - name: x\n      url: \"{signed}\"\n"),
        ),
        (
            "listed",
            format!("plugins:\n  artifacts:\n    - \"{signed}\"\n"),
        ),
    ] {
        sb.write(&format!("{project}/optimus.yaml"), config);
        let r = sb.install(&format!("{project}/optimus.yaml"));
        let r = r.ok();
        let lock = sb.read(&format!("{project}/optimus.lock"));
        let receipts = sb.read(&format!("{project}/.plugins/.receipts.toml"));
        let listed = sb
            .on_linux_with("list", &format!("{project}/optimus.yaml"), &["--json"], &[])
            .ok();
        for s in SECRETS {
            for (what, text) in [
                ("lock", &lock),
                ("receipts", &receipts),
                ("output", &r.all()),
                ("list", &listed.all()),
            ] {
                assert!(!text.contains(s), "{project}: {s:?} in the {what}:\n{text}");
            }
        }
        assert!(lock.contains("format = \"tar.gz\""), "{project}:\n{lock}");
        assert!(
            lock.contains(&format!("platform = \"{PLAT}\"")),
            "{project}:\n{lock}"
        );
        assert!(
            lock.contains("v=3"),
            "{project}: a harmless parameter was lost:\n{lock}"
        );
        assert!(sb
            .p(&format!("{project}/.plugins/optimus-x_{PLAT}"))
            .is_file());
        sb.on_linux("verify", &format!("{project}/optimus.yaml"))
            .ok();
    }
}

/// Sets the url (and sha256, size) of `name`'s first artifact in the registry's index, and
/// re-signs it.
fn point_index_at(reg: &Registry, name: &str, url: &str, bytes: &[u8]) {
    let idx = reg.root.join(format!("index/{name}.toml"));
    let text = std::fs::read_to_string(&idx).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let line = if line.starts_with("url = ") {
            format!("url = \"{url}\"")
        } else if line.starts_with("sha256 = ") {
            use sha2::Digest;
            format!("sha256 = \"{}\"", hex::encode(sha2::Sha256::digest(bytes)))
        } else if line.starts_with("size = ") {
            format!("size = {}", bytes.len())
        } else {
            line.to_string()
        };
        out.push_str(&line);
        out.push('\n');
    }
    std::fs::write(&idx, out).unwrap();
    reg.resign(name);
}

/// A remote registry's signed index may name only http(s) URLs (or its own object store) and
/// relative URLs that stay inside the root once percent-decoded.
#[test]
fn a_remote_index_cannot_point_at_local_files_or_out_of_its_root() {
    let outside = "#!/bin/sh\necho outside\n".to_string();
    type UrlFor<'a> = &'a dyn Fn(&Sandbox) -> String;
    let cases: &[(&str, UrlFor, &str)] = &[
        (
            "file-url",
            &|sb| format!("file://{}", sb.p("elsewhere/f.tar.gz").display()),
            "local file",
        ),
        (
            "dot-dot-encoded",
            &|_| "artifacts/a/%2e%2e/%2e%2e/%2e%2e/elsewhere/f.tar.gz".into(),
            "leaves the registry root",
        ),
        (
            "dot-dot-upper",
            &|_| "artifacts/%2E%2E/%2E%2E/elsewhere/f.tar.gz".into(),
            "leaves the registry root",
        ),
    ];
    for (label, url, expect) in cases {
        let sb = Sandbox::new();
        let reg = Registry::new(&sb, "registry");
        reg.publish_task(&sb, "a", "1.0.0", &[PLAT]).ok();
        let evil = sb.p("elsewhere/f.tar.gz");
        write_targz(
            &evil,
            &[(
                format!("optimus-a_{PLAT}"),
                outside.clone().into_bytes(),
                0o755,
            )],
        );
        let bytes = std::fs::read(&evil).unwrap();
        point_index_at(&reg, "a", &url(&sb), &bytes);
        // The server serves the sandbox; the registry is its `registry/` folder.
        let server = HttpServer::start(sb.path());
        sb.write(
            "proj/optimus.yaml",
            registry_config(&server.url("registry"), &reg.public_key, &[("a", "*")]),
        );
        let r = sb.install("proj/optimus.yaml");
        assert_clean_failure(&r);
        assert!(
            r.all().contains(expect),
            "{label}: expected {expect:?} in:\n{}",
            r.all()
        );
        assert!(
            !sb.p(&format!("proj/.plugins/optimus-a_{PLAT}")).exists(),
            "{label}: installed from outside the registry"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Item 5: archives and transport.

/// Writes an octal field into a raw tar header and fixes its checksum.
fn patch_tar_header(tar: &mut [u8], header_at: usize, fields: &[(usize, usize, u64)]) {
    let h = &mut tar[header_at..header_at + 512];
    for &(at, len, v) in fields {
        let s = format!("{:0width$o}", v, width = len - 1);
        h[at..at + len - 1].copy_from_slice(s.as_bytes());
        h[at + len - 1] = 0;
    }
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

/// One PAX extended-header record (`<len> <key>=<value>\n`, the length counting itself).
fn pax_record(key: &str, value: &str) -> String {
    let body = format!(" {key}={value}\n");
    let mut n = body.len() + 1;
    while format!("{n}{body}").len() != n {
        n += 1;
    }
    format!("{n}{body}")
}

/// Archives whose meaning differs between tools are refused whole: a zip naming one file
/// twice (the reader keeps one copy, `unzip` another), GNU and PAX sparse tar entries (their
/// bytes are not the file's bytes).
#[test]
fn ambiguous_archives_are_refused() {
    let bin = format!("optimus-a_{PLAT}");
    let zip_dup = |path: &std::path::Path| {
        let decoy = format!("optimus-Z_{PLAT}");
        write_zip(
            path,
            &[
                (bin.clone(), b"#!/bin/sh\necho first\n".to_vec(), 0o755),
                (decoy.clone(), b"#!/bin/sh\necho other\n".to_vec(), 0o755),
            ],
        );
        // Same length, so every offset in the zip stays right.
        let mut out = std::fs::read(path).unwrap();
        let (from, to) = (decoy.as_bytes(), bin.as_bytes());
        let mut i = 0;
        while i + from.len() <= out.len() {
            if &out[i..i + from.len()] == from {
                out[i..i + to.len()].copy_from_slice(to);
            }
            i += 1;
        }
        std::fs::write(path, out).unwrap();
    };
    let gnu_sparse = |path: &std::path::Path| {
        let mut e = RawEntry::file(&bin, b"#!/bin/sh\necho sparse\n");
        e.kind = b'S';
        let n = e.data.len() as u64;
        let mut tar = raw_tar(&[e]);
        // One sparse block (offset 0, all the bytes) and the real size.
        patch_tar_header(&mut tar, 0, &[(386, 12, 0), (398, 12, n), (483, 12, n)]);
        std::fs::write(path, gzip(&tar)).unwrap();
    };
    let pax_sparse = |path: &std::path::Path| {
        let records = [
            pax_record("GNU.sparse.major", "1"),
            pax_record("GNU.sparse.minor", "0"),
            pax_record("GNU.sparse.name", &bin),
            pax_record("GNU.sparse.realsize", "4096"),
        ]
        .concat();
        // A sparse map, then the data; the member carries the plugin's name, so it is chosen.
        let data = b"1\n0\n25\n#!/bin/sh\necho sparse\n";
        let mut header = RawEntry::file("./PaxHeaders/x", records.as_bytes());
        header.kind = b'x';
        write_raw_targz(path, &[header, RawEntry::file(&bin, data)]);
    };
    type Build<'a> = &'a dyn Fn(&std::path::Path);
    let cases: &[(&str, &str, Build, &str)] = &[
        ("zip-duplicate", "zip", &zip_dup, "appears twice"),
        ("gnu-sparse", "tar.gz", &gnu_sparse, "sparse"),
        ("pax-sparse", "tar.gz", &pax_sparse, "sparse"),
    ];
    for (label, ext, build, expect) in cases {
        let sb = Sandbox::new();
        let file = format!("optimus-a_1.0.0_{PLAT}.{ext}");
        std::fs::create_dir_all(sb.p("art")).unwrap();
        build(&sb.p(&format!("art/{file}")));
        sb.write(
            "proj/optimus.yaml",
            format!("plugins:\n  plugins:\n    - name: a\n      path: ../art/{file}\n"),
        );
        let r = sb.install("proj/optimus.yaml");
        assert_clean_failure(&r);
        assert!(
            r.all().contains(expect),
            "{label}: expected {expect:?} in:\n{}",
            r.all()
        );
        assert!(
            !sb.p(&format!("proj/.plugins/{bin}")).exists(),
            "{label}: installed"
        );
    }
}

/// A directory served over http holding the unpinned direct binary `optimus-x_<platform>`, and
/// a project declaring it at `path` on that server.
fn served_binary(sb: &Sandbox, path: &str) -> HttpServer {
    let mut body = b"#!/bin/sh\necho x\n".to_vec();
    body.resize(4000, b'#');
    sb.write(&format!("srv/optimus-x_{PLAT}"), &body);
    let server = HttpServer::start(&sb.p("srv"));
    sb.write(
        "proj/optimus.yaml",
        format!("plugins:\n  artifacts:\n    - \"{}\"\n", server.url(path)),
    );
    server
}

/// What the server says about the bytes, when we did not ask for it, refuses them: a
/// `Content-Encoding` (the bytes are not the file as stored) and, with nothing pinned yet, an
/// HTML page where a binary was expected.
#[test]
fn responses_we_did_not_ask_for_are_refused() {
    let cases: &[(&str, (&str, &str), &str)] = &[
        (
            "gzip",
            ("Content-Encoding", "gzip"),
            "Content-Encoding: gzip",
        ),
        ("br", ("Content-Encoding", "br"), "Content-Encoding: br"),
        (
            "html",
            ("Content-Type", "text/html; charset=utf-8"),
            "text/html",
        ),
    ];
    for (label, (k, v), expect) in cases {
        let sb = Sandbox::new();
        let file = format!("optimus-x_{PLAT}");
        let server = served_binary(&sb, &file);
        server.fault(
            &file,
            vec![Fault::Headers(vec![(k.to_string(), v.to_string())])],
        );
        let r = sb.install("proj/optimus.yaml");
        assert_clean_failure(&r);
        assert!(
            r.all().contains(expect),
            "{label}: expected {expect:?} in:\n{}",
            r.all()
        );
        assert!(
            r.all().contains(&server.url(&file)),
            "{label}: the URL is not named:\n{}",
            r.all()
        );
        assert!(
            !sb.p("proj/optimus.lock").exists(),
            "{label}: locked anyway"
        );
    }
}

/// Every request asks for the bytes as stored (`Accept-Encoding: identity`), and a redirect
/// never carries the previous URL (with its signed query) in a `Referer`.
#[test]
fn requests_ask_for_identity_and_send_no_referer() {
    let sb = Sandbox::new();
    let file = format!("optimus-x_{PLAT}");
    let server = served_binary(&sb, &format!("from/{file}"));
    server.fault(
        &format!("from/{file}"),
        vec![Fault::Redirect(server.url(&file))],
    );
    sb.install("proj/optimus.yaml").ok();
    let log = server.log();
    assert!(log.len() >= 2, "{log:?}");
    for req in &log {
        assert_eq!(
            req.headers.get("accept-encoding").map(String::as_str),
            Some("identity"),
            "{req:?}"
        );
        assert!(!req.headers.contains_key("referer"), "{req:?}");
    }
}

/// A server trickling bytes just within the read timeout cannot hold a download forever: it
/// has a deadline scaled by its size, and the message names the URL and the setting.
#[test]
fn a_trickling_download_meets_its_deadline() {
    let sb = Sandbox::new();
    let file = format!("optimus-x_{PLAT}");
    let server = served_binary(&sb, &file);
    // 4000 bytes at 200 B/s take 20 s; the deadline is 1 + 2 + 4000/1000 = 7 s.
    server.fault(
        &file,
        vec![Fault::Trickle(100, std::time::Duration::from_millis(500))],
    );
    let started = std::time::Instant::now();
    let r = sb.on_linux_with(
        "install",
        "proj/optimus.yaml",
        &[],
        &[
            ("OPTIMUS_DOWNLOAD_MIN_RATE", "1000"),
            ("OPTIMUS_CONNECT_TIMEOUT", "1"),
            ("OPTIMUS_READ_TIMEOUT", "2"),
        ],
    );
    assert_clean_failure(&r);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    for want in [
        "did not finish within 7 s",
        "OPTIMUS_DOWNLOAD_MIN_RATE",
        &server.url(&file),
    ] {
        assert!(r.all().contains(want), "expected {want:?} in:\n{}", r.all());
    }
}

/// A crafted archive entry name cannot draw a fake line or send escape sequences: control
/// characters are printed escaped.
#[test]
fn control_characters_in_names_are_escaped() {
    let sb = Sandbox::new();
    let name = "x\nerror: FAKE LINE\x1b[2K\rREWRITTEN";
    let file = format!("optimus-a_1.0.0_{PLAT}.tar.gz");
    write_raw_targz(
        &sb.p(&format!("art/{file}")),
        &[RawEntry::file(name, b"data")],
    );
    sb.write(
        "proj/optimus.yaml",
        format!("plugins:\n  plugins:\n    - name: a\n      path: ../art/{file}\n"),
    );
    let r = sb.install("proj/optimus.yaml");
    assert_clean_failure(&r);
    let all = r.all();
    assert!(all.contains("FAKE LINE"), "the entry is not listed:\n{all}");
    assert!(
        !all.lines().any(|l| l.starts_with("error: FAKE")),
        "a fake line was drawn:\n{all}"
    );
    assert!(!all.contains('\x1b') && !all.contains('\r'), "{all:?}");
}

// ---------------------------------------------------------------------------------------------
// Item 6: state.

/// A plugin directory belongs to the config that first installed into it: a second config is
/// refused (install and remove) with both named, and the first one's plugins stay.
#[test]
fn a_second_config_cannot_take_over_a_plugin_dir() {
    let sb = Sandbox::new();
    let reg = abcy_registry(&sb);
    sb.write(
        "proj/first.yaml",
        registry_config("../registry", &reg.public_key, &[("a", "*")]),
    );
    sb.write(
        "proj/second.yaml",
        registry_config("../registry", &reg.public_key, &[("b", "*")]),
    );
    sb.install("proj/first.yaml").ok();
    let before = tree(&sb.p("proj/.plugins"), &[]);
    for args in [
        vec![
            "plugin",
            "install",
            "-c",
            "proj/second.yaml",
            "--platform",
            PLAT,
        ],
        vec!["plugin", "remove", "-c", "proj/second.yaml", "a"],
    ] {
        let r = sb.run(&args);
        assert_clean_failure(&r);
        for want in ["first.yaml", "second.yaml", ".plugins"] {
            assert!(
                r.all().contains(want),
                "{args:?}: expected {want:?} in:\n{}",
                r.all()
            );
        }
        assert_eq!(
            tree(&sb.p("proj/.plugins"), &[]),
            before,
            "{args:?} changed the directory"
        );
    }
    sb.on_linux("verify", "proj/first.yaml").ok();
    // The owner itself goes on as before.
    sb.install("proj/first.yaml").ok();
}

/// `${VAR}` values are redacted alike in every command's output, and stay out of the lock even
/// when they are part of a local path.
#[test]
fn env_values_are_redacted_alike_everywhere() {
    let sb = Sandbox::new();
    sb.write(
        "art/privatevalue/optimus-plugin-neo.yaml",
        yaml_plugin("neo", "1.0.0"),
    );
    sb.write(
        "proj/optimus.yaml",
        "plugins:\n  dir: ${PD}\n  artifacts:\n    - ../art/${AV}/optimus-plugin-neo.yaml\n",
    );
    let env = [("PD", "plugdirvalue"), ("AV", "privatevalue")];
    let mut seen = Vec::new();
    for args in [
        vec!["install"],
        vec!["verify"],
        vec!["list", "--json"],
        vec!["list"],
        vec!["remove", "neo"],
    ] {
        let mut a = vec!["plugin"];
        a.extend_from_slice(&args);
        a.extend(["-c", "proj/optimus.yaml"]);
        let r = sb.run_env(&a, &env);
        assert_clean_failure_or_ok(&r);
        if args[0] == "install" {
            let lock = sb.read("proj/optimus.lock");
            assert!(!lock.contains("privatevalue"), "in the lock:\n{lock}");
        }
        for (_, v) in env {
            assert!(!r.all().contains(v), "{args:?} printed {v}:\n{}", r.all());
        }
        seen.push(r.all().contains("***"));
    }
    assert!(
        seen.iter().all(|s| *s),
        "some command did not show ***: {seen:?}"
    );
}

#[track_caller]
fn assert_clean_failure_or_ok(r: &Run) {
    assert!(r.code == 0 || r.code == 1 || r.code == 2, "{}", r.all());
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

/// Files, receipts and lock change as one step: an update that fails after committing to its
/// change (here a rename onto a directory that took the installed file's place) is completed by
/// the next `install` once the obstacle is gone, instead of leaving new files without receipts
/// or lock; `verify` before it says so and writes nothing. (A file in the way that this tool
/// did not install is refused before any commit: `trust_state`.)
#[test]
fn an_interrupted_commit_is_completed_by_the_next_run() {
    let sb = Sandbox::new();
    let reg = abcy_registry(&sb);
    sb.write(
        "proj/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("a", "*"), ("b", "*")]),
    );
    sb.install("proj/optimus.yaml").ok();
    reg.publish_task(&sb, "b", "1.1.0", &[PLAT]).ok();
    let obstacle = sb.p(&format!("proj/.plugins/optimus-b_{PLAT}"));
    let mut perms = std::fs::metadata(&obstacle).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&obstacle, perms).unwrap();
    std::fs::remove_file(&obstacle).unwrap();
    sb.write(&format!("proj/.plugins/optimus-b_{PLAT}/x"), "in the way");
    let r = sb.plugin(&["update", "-c", "proj/optimus.yaml", "b"]);
    assert_clean_failure(&r);
    std::fs::remove_dir_all(&obstacle).unwrap();
    let before = Snapshot::take(&[sb.p("proj")]);
    sb.on_linux("verify", "proj/optimus.yaml")
        .expect(1, &["unfinished", "optimus-plugins install"]);
    before.assert_unchanged(&[]);
    sb.install("proj/optimus.yaml").ok();
    sb.on_linux("verify", "proj/optimus.yaml").ok();
    assert!(sb.read("proj/optimus.lock").contains("version = \"1.1.0\""));
    assert_eq!(
        sb.read(&format!("proj/.plugins/optimus-b_{PLAT}")),
        script("b", "1.1.0", PLAT)
    );
    assert!(leftovers(&sb.p("proj/.plugins")).is_empty());
}

/// `remove` changes files, receipts and lock as one step too: a refused name later on the
/// command line leaves the earlier ones in place, and `verify` still passes.
#[test]
fn a_refused_remove_changes_nothing() {
    let sb = Sandbox::new();
    let reg = abcy_registry(&sb);
    sb.write(
        "proj/optimus.yaml",
        registry_config("../registry", &reg.public_key, &[("a", "*"), ("b", "*")]),
    );
    sb.install("proj/optimus.yaml").ok();
    let before = tree(&sb.p("proj"), &[]);
    let r = sb.plugin(&["remove", "-c", "proj/optimus.yaml", "a", "zzz"]);
    assert_clean_failure(&r);
    assert!(r.all().contains("zzz"), "{}", r.all());
    assert_eq!(
        tree(&sb.p("proj"), &[]),
        before,
        "a refused remove changed the project"
    );
    sb.on_linux("verify", "proj/optimus.yaml").ok();
}
