//! Air-gapped installs (issue 12, item 1): `mirror --output DIR` copies what the lock needs
//! (the origin's signed documents unchanged, the artifacts) and `install --offline --mirror DIR`
//! installs from it with every server stopped, and inside a network namespace with no network.

use crate::common::*;
use std::path::Path;

const ART: &str = "artifacts/bq2bq/0.3.2/optimus-bq2bq_0.3.2_linux_amd64.tar.gz";
const DARWIN: &str = "darwin_arm64";

/// A registry with `neo` (yaml), `bq2bq` and `dual` (linux + darwin each), served over
/// http, and a project `p/` locked for both platforms.
fn locked_project(sb: &Sandbox) -> (Registry, HttpServer) {
    let reg = Registry::new(sb, "registry");
    reg.publish_yaml(sb, "neo", "1.0.0").ok();
    reg.publish_task(sb, "bq2bq", "0.3.2", &[PLAT, DARWIN]).ok();
    reg.publish_task(sb, "dual", "1.0.0", &[PLAT, DARWIN]).ok();
    let origin = HttpServer::start(&reg.root);
    sb.write(
        "p/optimus.yaml",
        registry_config(
            &origin.url(""),
            &reg.public_key,
            &[("neo", "*"), ("bq2bq", "*"), ("dual", "*")],
        ),
    );
    sb.plugin(&[
        "lock",
        "-c",
        "p/optimus.yaml",
        "--platform",
        PLAT,
        "--platform",
        DARWIN,
    ])
    .ok();
    (reg, origin)
}

fn mirror(sb: &Sandbox, extra: &[&str]) -> Run {
    let out = sb.p("m").display().to_string();
    let mut a = vec!["plugin", "mirror", "-c", "p/optimus.yaml", "--output", &out];
    a.extend_from_slice(extra);
    sb.run(&a)
}

/// A new project `dir/` with p's config and lock, nothing installed, and a cache of its own.
fn fresh_project(sb: &Sandbox, dir: &str) -> String {
    for f in ["optimus.yaml", "optimus.lock"] {
        sb.write(&format!("{dir}/{f}"), sb.read(&format!("p/{f}")));
    }
    sb.p(&format!("{dir}-cache")).display().to_string()
}

fn offline_install_args(sb: &Sandbox, dir: &str) -> Vec<String> {
    [
        "plugin",
        "install",
        "-c",
        &format!("{dir}/optimus.yaml"),
        "--platform",
        PLAT,
        "--offline",
        "--mirror",
        &sb.p("m").display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[track_caller]
fn assert_installed(sb: &Sandbox, dir: &str) {
    assert_eq!(
        sb.read(&format!("{dir}/.plugins/optimus-bq2bq_linux_amd64")),
        script("bq2bq", "0.3.2", PLAT)
    );
    assert_eq!(
        sb.read(&format!("{dir}/.plugins/optimus-dual_linux_amd64")),
        script("dual", "1.0.0", PLAT)
    );
    assert!(sb
        .read(&format!("{dir}/.plugins/optimus-plugin-neo.yaml"))
        .contains("pluginversion: 1.0.0"));
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    std::fs::read(a).unwrap() == std::fs::read(b).unwrap()
}

#[test]
fn a_mirror_installs_with_every_server_stopped() {
    let sb = Sandbox::new();
    let (reg, origin) = locked_project(&sb);
    mirror(&sb, &[]).expect(0, &["mirrored 3 plugin(s)"]);
    // The origin's signed documents, byte for byte (no re-signing: the pinned key still works).
    let m = sb.p("m/reg");
    for doc in [
        "config.toml",
        "timestamp.toml",
        "timestamp.toml.minisig",
        "index/neo.toml",
        "index/neo.toml.minisig",
        "index/dual.toml.minisig",
    ] {
        assert!(same_bytes(&reg.root.join(doc), &m.join(doc)), "{doc}");
    }
    // Every locked platform's artifact, at the path the index names.
    assert!(same_bytes(&reg.root.join(ART), &m.join(ART)));
    for p in [PLAT, DARWIN] {
        let art = format!("artifacts/dual/1.0.0/optimus-dual_1.0.0_{p}.tar.gz");
        assert!(same_bytes(&reg.root.join(&art), &m.join(&art)), "{art}");
    }
    // Nothing of the staging directory is left beside the output.
    let left: Vec<_> = std::fs::read_dir(sb.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("optimus-mirror"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    drop(origin); // every server stopped: any connection attempt would fail
    let cache = fresh_project(&sb, "q");
    let args = offline_install_args(&sb, "q");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    sb.run_env(&args, &[("OPTIMUS_CACHE_DIR", &cache)])
        .expect(0, &["installed 3"]);
    assert_installed(&sb, "q");
    // The lock still names the origin: the mirror is a source, not a new registry.
    assert_eq!(sb.read("q/optimus.lock"), sb.read("p/optimus.lock"));

    // OPTIMUS_MIRROR_DIR does what --mirror does.
    let cache = fresh_project(&sb, "e");
    let m = sb.p("m").display().to_string();
    sb.run_env(
        &[
            "plugin",
            "install",
            "-c",
            "e/optimus.yaml",
            "--platform",
            PLAT,
            "--offline",
        ],
        &[("OPTIMUS_CACHE_DIR", &cache), ("OPTIMUS_MIRROR_DIR", &m)],
    )
    .ok();
    assert_installed(&sb, "e");
}

/// The same install inside a network namespace of its own (no interface but a down
/// loopback): no connection is possible at all. Needs `unshare -n` (root or user namespaces);
/// without it the test says so and relies on the stopped-server test above.
#[test]
fn a_mirror_installs_in_a_network_namespace() {
    let probe = std::process::Command::new("unshare")
        .args(["-n", "true"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("NOTICE: `unshare -n` is not permitted here; the network-namespace variant is not run (the stopped-server test covers the offline install)");
        return;
    }
    let sb = Sandbox::new();
    let (_reg, origin) = locked_project(&sb);
    mirror(&sb, &["--platform", PLAT]).ok();
    let cache = fresh_project(&sb, "n");
    let mut c = std::process::Command::new("unshare");
    c.arg("-n").arg(bin()).current_dir(sb.path());
    let args = offline_install_args(&sb, "n");
    c.args(primary_args(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    c.envs(sb.env.iter().map(|(k, v)| (k, v)));
    c.env("OPTIMUS_CACHE_DIR", &cache);
    Run::from(c.output().unwrap()).expect(0, &["installed 3"]);
    assert_installed(&sb, "n");
    // And the origin really is unreachable from there: the same install without the mirror
    // fails, naming what it could not get.
    drop(origin);
    let cache = fresh_project(&sb, "o");
    let mut c = std::process::Command::new("unshare");
    c.arg("-n")
        .arg(bin())
        .current_dir(sb.path())
        .args(["install", "-c", "o/optimus.yaml", "--platform", PLAT])
        .envs(sb.env.iter().map(|(k, v)| (k, v)))
        .env("OPTIMUS_CACHE_DIR", &cache);
    Run::from(c.output().unwrap()).expect(1, &["127.0.0.1"]);
    assert!(!sb.p("o/.plugins/optimus-bq2bq_linux_amd64").exists());
}

#[test]
fn platforms_are_chosen_and_a_tampered_mirror_installs_nothing() {
    let sb = Sandbox::new();
    let (_reg, origin) = locked_project(&sb);
    mirror(&sb, &["--platform", PLAT]).ok();
    let m = sb.p("m/reg");
    assert!(m
        .join("artifacts/dual/1.0.0/optimus-dual_1.0.0_linux_amd64.tar.gz")
        .exists());
    assert!(!m
        .join("artifacts/dual/1.0.0/optimus-dual_1.0.0_darwin_arm64.tar.gz")
        .exists());
    assert!(m.join("index/neo.toml").exists());
    drop(origin);

    // One byte of bq2bq's archive changed on the mirror: only the lock's sha256 can tell.
    let mut bytes = std::fs::read(m.join(ART)).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(m.join(ART), bytes).unwrap();
    let cache = fresh_project(&sb, "t");
    let args = offline_install_args(&sb, "t");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = sb.run_env(&args, &[("OPTIMUS_CACHE_DIR", &cache)]);
    assert_clean_failure(&r);
    assert!(r.stderr.contains("bq2bq"), "{}", r.stderr);
    assert!(r.stderr.contains("sha256"), "{}", r.stderr);
    let installed: Vec<_> = std::fs::read_dir(sb.p("t/.plugins"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        installed
            .iter()
            .all(|f| f.to_string_lossy().starts_with('.')),
        "something was installed: {installed:?}"
    );
}

#[test]
fn a_lock_the_registry_disagrees_with_leaves_the_old_mirror() {
    let sb = Sandbox::new();
    let (reg, _origin) = locked_project(&sb);
    mirror(&sb, &[]).ok();
    let before = std::fs::read(sb.p("m/reg/index/neo.toml")).unwrap();
    // The lock now names other bytes for neo than the signed index does.
    let neo = sha256_file(&reg.root.join("artifacts/neo/1.0.0/optimus-plugin-neo.yaml"));
    let lock = sb.read("p/optimus.lock").replace(&neo, &"ab".repeat(32));
    sb.write("p/optimus.lock", lock);
    let r = mirror(&sb, &[]);
    assert_clean_failure(&r);
    assert!(r.stderr.contains("neo"), "{}", r.stderr);
    // The previous mirror is untouched, and no staging directory is left.
    assert_eq!(std::fs::read(sb.p("m/reg/index/neo.toml")).unwrap(), before);
    assert!(sb.p("m/reg").join(ART).exists());
    let left = std::fs::read_dir(sb.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("optimus-mirror"))
        .count();
    assert_eq!(left, 0);
}

#[test]
fn mirroring_without_a_lock_says_how_to_make_one() {
    let sb = Sandbox::new();
    let reg = neo_bq2bq_registry(&sb, "registry");
    let origin = HttpServer::start(&reg.root);
    sb.write(
        "p/optimus.yaml",
        registry_config(&origin.url(""), &reg.public_key, &[("neo", "*")]),
    );
    mirror(&sb, &[]).expect(2, &["optimus-plugins lock"]);
    assert!(!sb.p("m").exists());
}

/// An artifact swapped on the origin together with the lock's sha256 (the bytes match the
/// lock, not the signed index): the mirror's read-back refuses it.
#[test]
fn a_swapped_artifact_and_lock_are_caught_by_the_read_back() {
    let sb = Sandbox::new();
    let (reg, _origin) = locked_project(&sb);
    let old = sha256_file(&reg.root.join(ART));
    let mut bytes = std::fs::read(reg.root.join(ART)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01; // same size, other bytes
    std::fs::write(reg.root.join(ART), bytes).unwrap();
    let new = sha256_file(&reg.root.join(ART));
    let lock = sb.read("p/optimus.lock").replace(&old, &new);
    sb.write("p/optimus.lock", lock);
    let r = mirror(&sb, &[]);
    assert_clean_failure(&r);
    assert!(
        r.stderr
            .contains("signed index does not list the lock's sha256"),
        "{}",
        r.stderr
    );
    assert!(!sb.p("m").exists());
}

/// Offline with a mirror on disk, a lock entry is still checked against the mirror's signed
/// index: a lock edited to name other bytes (which the mirror also serves) is refused.
#[test]
fn offline_the_lock_is_still_checked_against_the_mirrors_signed_index() {
    let sb = Sandbox::new();
    let (_reg, origin) = locked_project(&sb);
    mirror(&sb, &["--platform", PLAT]).ok();
    drop(origin);
    let m = sb.p("m/reg");
    // Evil bytes on the mirror at the same path, and a lock edited to match them.
    let old = sha256_file(&m.join(ART));
    let mut bytes = std::fs::read(m.join(ART)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(m.join(ART), bytes).unwrap();
    let cache = fresh_project(&sb, "x");
    let lock = sb
        .read("x/optimus.lock")
        .replace(&old, &sha256_file(&m.join(ART)));
    sb.write("x/optimus.lock", lock);
    let args = offline_install_args(&sb, "x");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = sb.run_env(&args, &[("OPTIMUS_CACHE_DIR", &cache)]);
    assert_clean_failure(&r);
    assert!(r.stderr.contains("bq2bq"), "{}", r.stderr);
    assert!(!sb.p("x/.plugins/optimus-bq2bq_linux_amd64").exists());
}

/// The mirror's files are copies: editing one (it is carried off and may be tampered with
/// there) cannot change the cache's artifact, which installs trust without hashing again.
#[test]
fn a_mirror_shares_no_inode_with_the_cache() {
    use std::os::unix::fs::MetadataExt;
    let sb = Sandbox::new();
    let (_reg, _origin) = locked_project(&sb);
    mirror(&sb, &["--platform", PLAT]).ok();
    let copy = std::fs::metadata(sb.p("m/reg").join(ART)).unwrap();
    assert_eq!(
        copy.nlink(),
        1,
        "the mirror's artifact is hard-linked somewhere"
    );
}

/// An artifact the index names by an absolute URL on another server (a release page, say):
/// the mirror keeps it at `sha256/<hex>`, and an offline install from the mirror finds it
/// there with both servers stopped.
#[test]
fn an_artifact_outside_the_registry_root_is_mirrored_by_its_hash() {
    let sb = Sandbox::new();
    let reg = Registry::new(&sb, "registry");
    reg.publish_task(&sb, "bq2bq", "0.3.2", &[PLAT]).ok();
    let file = "optimus-bq2bq_0.3.2_linux_amd64.tar.gz";
    std::fs::create_dir_all(sb.p("elsewhere")).unwrap();
    std::fs::copy(reg.root.join(ART), sb.p(&format!("elsewhere/{file}"))).unwrap();
    let releases = HttpServer::start(&sb.p("elsewhere"));
    let idx = reg.root.join("index/bq2bq.toml");
    let text = std::fs::read_to_string(&idx)
        .unwrap()
        .replace(ART, &releases.url(file));
    std::fs::write(&idx, text).unwrap();
    reg.resign("bq2bq");
    std::fs::remove_file(reg.root.join(ART)).unwrap();
    let origin = HttpServer::start(&reg.root);
    sb.write(
        "p/optimus.yaml",
        registry_config(&origin.url(""), &reg.public_key, &[("bq2bq", "*")]),
    );
    sb.install("p/optimus.yaml").ok();
    mirror(&sb, &[]).ok();
    let sha = sha256_file(&sb.p(&format!("elsewhere/{file}")));
    assert!(sb.p(&format!("m/reg/sha256/{sha}")).is_file());
    drop((origin, releases));
    let cache = fresh_project(&sb, "q");
    let args = offline_install_args(&sb, "q");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    sb.run_env(&args, &[("OPTIMUS_CACHE_DIR", &cache)]).ok();
    assert_eq!(
        sb.read("q/.plugins/optimus-bq2bq_linux_amd64"),
        script("bq2bq", "0.3.2", PLAT)
    );
}
