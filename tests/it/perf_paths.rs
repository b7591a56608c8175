//! The fast paths of issue #4, checked by behaviour (requests seen by a real loopback server,
//! files on disk), never by timing: no-op and warm installs touch no network, the streaming
//! download + unpack keeps every safety property, the cache serves offline installs.

use crate::common::*;

fn project(sb: &Sandbox, dir: &str, server: &HttpServer, reg: &Registry) {
    served_project(sb, dir, server, reg, &["alpha", "beta", "neo"]);
}

#[test]
fn no_op_install_makes_no_request_and_rewrites_nothing() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    project(&sb, "proj", &server, &reg);
    sb.install("proj/optimus.yaml").ok();
    let receipts = sb.p("proj/.plugins/.receipts.toml");
    let before = std::fs::metadata(&receipts).unwrap().modified().unwrap();
    server.clear_log();
    sb.install("proj/optimus.yaml")
        .expect(0, &["nothing to do: 3 plugin(s)", "nothing re-hashed"]);
    assert_eq!(server.log().len(), 0, "{:?}", server.log());
    let after = std::fs::metadata(&receipts).unwrap().modified().unwrap();
    assert_eq!(before, after, "a no-op must not rewrite the receipts");
}

#[test]
fn warm_install_into_a_fresh_project_links_from_the_cache_without_requests() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    project(&sb, "one", &server, &reg);
    sb.install("one/optimus.yaml").ok();
    // A second project with the same declarations and lock (as after a git clone).
    project(&sb, "two", &server, &reg);
    std::fs::copy(sb.p("one/optimus.lock"), sb.p("two/optimus.lock")).unwrap();
    server.clear_log();
    sb.install("two/optimus.yaml").expect(0, &["installed 3"]);
    assert_eq!(server.log().len(), 0, "{:?}", server.log());
    let bin = sb.p(&format!("two/.plugins/optimus-alpha_{PLAT}"));
    assert_eq!(
        std::fs::read_to_string(&bin).unwrap(),
        script("alpha", "1.0.0", PLAT)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // Hard-linked from the cache of unpacked files: one inode, several names.
        assert!(std::fs::metadata(&bin).unwrap().nlink() >= 2);
    }
    assert!(leftovers(&sb.p("two/.plugins")).is_empty());
}

#[test]
fn offline_install_uses_cached_artifacts_when_unpacked_files_are_gone() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    project(&sb, "one", &server, &reg);
    sb.install("one/optimus.yaml").ok();
    // Only the artifacts stay in the cache: the next install must unpack them again.
    for d in ["files", "unpacked"] {
        std::fs::remove_dir_all(sb.p(&format!("cache/{d}"))).unwrap();
    }
    project(&sb, "two", &server, &reg);
    std::fs::copy(sb.p("one/optimus.lock"), sb.p("two/optimus.lock")).unwrap();
    server.clear_log();
    sb.on_linux_with("install", "two/optimus.yaml", &["--offline"], &[])
        .expect(0, &["installed 3"]);
    assert_eq!(server.log().len(), 0, "{:?}", server.log());
    assert_eq!(
        sb.read(&format!("two/.plugins/optimus-beta_{PLAT}")),
        script("beta", "1.0.0", PLAT)
    );
}

#[test]
fn streamed_artifacts_land_in_the_cache_and_are_not_downloaded_twice() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    project(&sb, "proj", &server, &reg);
    sb.install("proj/optimus.yaml").ok();
    assert_eq!(artifact_requests(&server), 3);
    // Every artifact is in the content-addressed cache under its sha256.
    let lock = sb.read("proj/optimus.lock");
    for line in lock.lines().filter(|l| l.starts_with("sha256 = ")) {
        let sha = line.trim_start_matches("sha256 = ").trim_matches('"');
        let cached = sb.p(&format!("cache/artifacts/sha256/{}/{sha}", &sha[..2]));
        assert_eq!(sha256_file(&cached), sha, "{}", cached.display());
    }
    std::fs::remove_dir_all(sb.p("proj/.plugins")).unwrap();
    std::fs::remove_dir_all(sb.p("cache/files")).unwrap();
    server.clear_log();
    sb.install("proj/optimus.yaml").ok();
    assert_eq!(artifact_requests(&server), 0, "{:?}", server.log());
}

#[test]
fn a_tampered_stream_is_a_checksum_error_and_installs_nothing() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    project(&sb, "proj", &server, &reg);
    sb.on_linux("lock", "proj/optimus.yaml").ok();
    // Same length, one byte changed in the middle: the unpacker sees bad bytes before the
    // hash is known, yet the error must be the checksum, and nothing may be installed.
    let art = reg.root.join(format!(
        "artifacts/alpha/1.0.0/optimus-alpha_1.0.0_{PLAT}.tar.gz"
    ));
    let mut bytes = std::fs::read(&art).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    server.fault(
        &format!("optimus-alpha_1.0.0_{PLAT}.tar.gz"),
        vec![Fault::Replace(bytes)],
    );
    sb.install("proj/optimus.yaml")
        .expect(1, &["checksum mismatch", &sha256_file(&art)]);
    let dir = sb.p("proj/.plugins");
    assert!(!dir.join(format!("optimus-alpha_{PLAT}")).exists());
    assert!(!dir.join(format!("optimus-beta_{PLAT}")).exists());
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
    assert!(!sb
        .p(&format!(
            "cache/artifacts/sha256/{}",
            &sha256_file(&art)[..2]
        ))
        .join(sha256_file(&art))
        .exists());
    // The next try gets the right bytes and installs.
    sb.install("proj/optimus.yaml").ok();
    assert_eq!(
        sb.read(&format!("proj/.plugins/optimus-alpha_{PLAT}")),
        script("alpha", "1.0.0", PLAT)
    );
}

#[test]
fn a_cut_download_leaves_no_partial_file_anywhere() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    project(&sb, "proj", &server, &reg);
    sb.on_linux("lock", "proj/optimus.yaml").ok();
    // Every attempt is cut short (the transport retries; all of them fail).
    server.fault(
        &format!("optimus-beta_1.0.0_{PLAT}.tar.gz"),
        vec![Fault::Truncate(100); 8],
    );
    sb.install("proj/optimus.yaml").fails(1);
    let dir = sb.p("proj/.plugins");
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
    assert!(!dir.join(format!("optimus-beta_{PLAT}")).exists());
    let tmp = sb.p("cache/tmp");
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn concurrent_installs_sharing_one_cache_both_succeed() {
    let sb = Sandbox::new();
    let (reg, server) = served_registry(&sb);
    let dirs = ["p1", "p2", "p3", "p4"];
    for d in dirs {
        project(&sb, d, &server, &reg);
    }
    // Cold cache; four processes download, stream and commit the same artifacts at once.
    let children: Vec<_> = dirs
        .iter()
        .map(|d| {
            let cfg = format!("{d}/optimus.yaml");
            sb.command(&["plugin", "install", "-c", &cfg, "--platform", PLAT])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        Run::from(child.wait_with_output().unwrap()).ok();
    }
    for d in dirs {
        assert_eq!(
            sb.read(&format!("{d}/.plugins/optimus-alpha_{PLAT}")),
            script("alpha", "1.0.0", PLAT)
        );
        assert!(leftovers(&sb.p(&format!("{d}/.plugins"))).is_empty());
    }
    let left: Vec<_> = std::fs::read_dir(sb.p("cache/tmp"))
        .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}
