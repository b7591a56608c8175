//! Hostile archives (issue #5, part 1): absolute paths, `..`, links and devices pointing
//! outside, size/entry/ratio bombs. Each is installed through a signed registry (one named
//! plugin) and through a direct `artifacts:` entry (a bundle), and must be refused whole:
//! exit 1, a clear message, the previous install byte-identical, nothing written outside the
//! plugin directory, no staging file left behind.

use crate::common::*;
use std::path::Path;

const BIN: &str = "optimus-evil_linux_amd64";

/// What the sandbox looks like, minus what an install may legitimately touch (cache, lock).
fn outside(sb: &Sandbox) -> std::collections::BTreeMap<String, Vec<u8>> {
    tree(
        sb.path(),
        &["cache", "proj/optimus.lock", "proj/.plugins", "home"],
    )
}

/// A project with `good` installed from a signed registry.
fn setup() -> (Sandbox, Registry) {
    let sb = Sandbox::new();
    let reg = Registry::new(&sb, "registry");
    reg.publish_task(&sb, "good", "1.0.0", &[PLAT]).ok();
    installed_project(&sb, &reg, &["good"]);
    (sb, reg)
}

/// Publishes a benign artifact under `artifact`'s file name, then swaps in the hostile bytes
/// and re-signs (what a compromised or careless publisher could serve; `publish` itself
/// refuses such archives).
fn publish_hostile(sb: &Sandbox, reg: &Registry, artifact: &Path) {
    let file = artifact.file_name().unwrap().to_str().unwrap();
    let benign = sb.p(&format!("build/benign/{file}"));
    let entries = vec![(BIN.to_string(), b"#!/bin/sh\n".to_vec(), 0o755)];
    if file.ends_with(".zip") {
        write_zip(&benign, &entries);
    } else {
        write_targz(&benign, &entries);
    }
    reg.publish(
        sb,
        &["--type", "task", "--binary-only"],
        "evil",
        "1.0.0",
        &[&benign],
    )
    .ok();
    reg.replace_artifact("evil", "1.0.0", file, &std::fs::read(artifact).unwrap());
}

enum Via {
    Registry,
    Artifacts,
}

/// Installs `artifact` (a file under build/) next to `good` and checks that nothing changed.
fn refused(
    sb: &Sandbox,
    reg: &Registry,
    via: Via,
    artifact: &Path,
    env: &[(&str, &str)],
    expect: &[&str],
) {
    let before_plugins = tree(&sb.p("proj/.plugins"), &[]);
    match via {
        Via::Registry => {
            publish_hostile(sb, reg, artifact);
            sb.write(
                "proj/optimus.yaml",
                registry_config(
                    "../registry",
                    &reg.public_key,
                    &[("good", "*"), ("evil", "*")],
                ),
            );
        }
        Via::Artifacts => {
            let mut cfg = registry_config("../registry", &reg.public_key, &[("good", "*")]);
            cfg.push_str(&format!("  artifacts:\n    - {}\n", artifact.display()));
            sb.write("proj/optimus.yaml", cfg);
        }
    }
    let before_outside = outside(sb);
    let said: Vec<&str> = expect
        .iter()
        .copied()
        .chain(["nothing was changed"])
        .collect();
    sb.on_linux_with("install", "proj/optimus.yaml", &[], env)
        .expect(1, &said);
    assert_eq!(
        tree(&sb.p("proj/.plugins"), &[]),
        before_plugins,
        "the plugin directory changed for {}",
        artifact.display()
    );
    assert_eq!(
        outside(sb),
        before_outside,
        "a file appeared outside the plugin dir"
    );
    assert!(leftovers(&sb.p("proj/.plugins")).is_empty());
    // Nothing escaped to the places the archives aim at.
    assert!(!sb.p("proj/.plugins-evil").exists());
    assert!(!sb.p("pwned").exists());
    assert!(!Path::new("/tmp/optimus-pwned").exists());
}

/// Every hostile tar case: (label, entries, env, expected message fragments).
type TarCase = (
    String,
    Vec<RawEntry>,
    Vec<(&'static str, String)>,
    Vec<String>,
);

fn tar_cases(sb: &Sandbox) -> Vec<TarCase> {
    let payload = script("evil", "1.0.0", PLAT).into_bytes();
    let ok = RawEntry::file(BIN, &payload);
    let abs = format!("{}/pwned", sb.path().display());
    let long_dotdot = format!("{}/../../../pwned", "d".repeat(120));
    let pax = {
        let rec = "path=../.plugins-evil/x\n";
        let len = rec.len() + 3;
        let mut e = RawEntry::special("pax", b'x');
        e.data = format!("{len} {rec}").into_bytes();
        e
    };
    let big = vec![b'x'; 4096];
    let zeros = vec![0u8; 17 << 20];
    let many: Vec<RawEntry> = (0..12)
        .map(|i| RawEntry::file(&format!("f{i}"), b"x"))
        .chain([ok.clone()])
        .collect();
    let none = Vec::new;
    vec![
        (
            "absolute".into(),
            vec![ok.clone(), RawEntry::file(&abs, b"pwned")],
            none(),
            vec!["absolute path".into()],
        ),
        (
            "dotdot".into(),
            vec![ok.clone(), RawEntry::file("../.plugins-evil/x", b"pwned")],
            none(),
            vec!["`..`".into(), "../.plugins-evil/x".into()],
        ),
        (
            "nested dotdot".into(),
            vec![RawEntry::file("a/../../pwned", b"pwned"), ok.clone()],
            none(),
            vec!["`..`".into()],
        ),
        (
            "gnu long name with dotdot".into(),
            vec![ok.clone(), RawEntry::file(&long_dotdot, b"pwned")],
            none(),
            vec!["`..`".into()],
        ),
        (
            "pax path with dotdot".into(),
            vec![ok.clone(), pax, RawEntry::file("harmless", b"pwned")],
            none(),
            vec!["`..`".into()],
        ),
        (
            "symlink to an absolute path".into(),
            vec![RawEntry::symlink(BIN, "/etc/passwd")],
            none(),
            vec!["points outside".into()],
        ),
        (
            "symlink up and out".into(),
            vec![ok.clone(), RawEntry::symlink("sub/link", "../../pwned")],
            none(),
            vec!["points outside".into()],
        ),
        (
            "symlink chain escaping".into(),
            vec![
                ok.clone(),
                RawEntry::symlink("d/up", ".."),
                RawEntry::symlink("escape", "d/up/.."),
            ],
            none(),
            vec!["points outside".into()],
        ),
        (
            "hardlink outside".into(),
            vec![ok.clone(), RawEntry::hardlink("h", "/etc/passwd")],
            none(),
            vec!["absolute path".into()],
        ),
        (
            "hardlink with dotdot".into(),
            vec![ok.clone(), RawEntry::hardlink("h", "../pwned")],
            none(),
            vec!["`..`".into()],
        ),
        (
            "character device".into(),
            vec![ok.clone(), RawEntry::special("dev", b'3')],
            none(),
            vec!["device or fifo".into()],
        ),
        (
            "block device".into(),
            vec![ok.clone(), RawEntry::special("blk", b'4')],
            none(),
            vec!["device or fifo".into()],
        ),
        (
            "fifo".into(),
            vec![ok.clone(), RawEntry::special("fifo", b'6')],
            none(),
            vec!["device or fifo".into()],
        ),
        (
            "over the size limit".into(),
            vec![ok.clone(), RawEntry::file("big", &big)],
            vec![("OPTIMUS_MAX_UNPACKED_SIZE", "2048".to_string())],
            vec!["exceeds the limit of 2048 bytes".into()],
        ),
        (
            "too many entries".into(),
            many,
            vec![("OPTIMUS_MAX_ENTRIES", "10".to_string())],
            vec!["more than 10 entries".into()],
        ),
        (
            "compression bomb".into(),
            vec![ok.clone(), RawEntry::file("zeros", &zeros)],
            // The test compresses fast (debug build): about 220:1 here.
            vec![("OPTIMUS_MAX_RATIO", "100".to_string())],
            vec!["compression ratio".into()],
        ),
    ]
}

fn tar_case(i: usize) {
    for via in [Via::Registry, Via::Artifacts] {
        let (sb, reg) = setup();
        let (label, entries, env, expect) = tar_cases(&sb).swap_remove(i);
        let file = match via {
            Via::Registry => sb.p(&format!("build/evil/{BIN}.tar.gz")),
            Via::Artifacts => sb.p("build/evil/evilbundle.tar.gz"),
        };
        write_raw_targz(&file, &entries);
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let expect: Vec<&str> = expect.iter().map(String::as_str).collect();
        eprintln!("case: {label}");
        refused(&sb, &reg, via, &file, &env, &expect);
    }
}

/// One test per hostile tarball (they run in parallel), each through a registry and through
/// `artifacts:`.
macro_rules! tar_tests {
    ($($name:ident = $i:expr),* $(,)?) => {
        $(#[test] fn $name() { tar_case($i) })*
        #[test]
        fn every_tar_case_has_a_test() {
            assert_eq!(tar_cases(&Sandbox::new()).len(), [$($i),*].len());
        }
    };
}

tar_tests! {
    tar_absolute = 0,
    tar_dotdot = 1,
    tar_nested_dotdot = 2,
    tar_gnu_long_name_dotdot = 3,
    tar_pax_path_dotdot = 4,
    tar_symlink_absolute = 5,
    tar_symlink_up_and_out = 6,
    tar_symlink_chain_escaping = 7,
    tar_hardlink_absolute = 8,
    tar_hardlink_dotdot = 9,
    tar_char_device = 10,
    tar_block_device = 11,
    tar_fifo = 12,
    tar_size_limit = 13,
    tar_entry_limit = 14,
    tar_compression_bomb = 15,
}

/// Sets the unix mode (file-type bits included) of every central-directory entry named
/// `name`: the zip writer API will not write devices.
fn patch_zip_mode(path: &Path, name: &str, mode: u32) {
    let mut b = std::fs::read(path).unwrap();
    let mut i = 0;
    while i + 46 <= b.len() {
        if b[i..i + 4] == [0x50, 0x4b, 0x01, 0x02] {
            let n = u16::from_le_bytes([b[i + 28], b[i + 29]]) as usize;
            if &b[i + 46..i + 46 + n] == name.as_bytes() {
                b[i + 5] = 3; // made by unix
                b[i + 38..i + 42].copy_from_slice(&(mode << 16).to_le_bytes());
            }
        }
        i += 1;
    }
    std::fs::write(path, b).unwrap();
}

fn zip_case(only: usize) {
    let payload = script("evil", "1.0.0", PLAT).into_bytes();
    let zeros = vec![0u8; 17 << 20];
    type Case<'a> = (
        &'a str,
        Vec<(&'a str, Option<&'a str>, &'a [u8], u32)>,
        Vec<(&'a str, &'a str)>,
        Vec<&'a str>,
        Option<(&'a str, u32)>,
    );
    let cases: Vec<Case> = vec![
        (
            "dotdot (the upstream bug)",
            vec![
                (BIN, None, &payload, 0o755),
                ("../.plugins-evil/x", None, b"pwned", 0o644),
            ],
            vec![],
            vec!["`..`"],
            None,
        ),
        (
            "backslash dotdot",
            vec![
                (BIN, None, &payload, 0o755),
                ("..\\pwned", None, b"x", 0o644),
            ],
            vec![],
            vec!["`..`"],
            None,
        ),
        (
            "absolute",
            vec![
                (BIN, None, &payload, 0o755),
                ("/tmp/optimus-pwned", None, b"x", 0o644),
            ],
            vec![],
            vec!["absolute path"],
            None,
        ),
        (
            "symlink out",
            vec![(BIN, Some("../../../pwned"), b"", 0o777)],
            vec![],
            vec!["points outside"],
            None,
        ),
        (
            "symlink absolute",
            vec![
                (BIN, None, &payload, 0o755),
                ("l", Some("/etc/passwd"), b"", 0o777),
            ],
            vec![],
            vec!["points outside"],
            None,
        ),
        (
            "device",
            vec![(BIN, None, &payload, 0o755), ("dev", None, b"", 0o644)],
            vec![],
            vec!["not a regular file"],
            Some(("dev", 0o020644)),
        ),
        (
            "compression bomb",
            vec![(BIN, None, &payload, 0o755), ("zeros", None, &zeros, 0o644)],
            vec![("OPTIMUS_MAX_RATIO", "100")],
            vec!["compression ratio"],
            None,
        ),
        (
            "over the size limit",
            vec![
                (BIN, None, &payload, 0o755),
                ("big", None, &[7u8; 5000], 0o644),
            ],
            vec![("OPTIMUS_MAX_UNPACKED_SIZE", "4096")],
            vec!["exceeds the limit of 4096 bytes"],
            None,
        ),
        (
            "too many entries",
            vec![
                (BIN, None, &payload, 0o755),
                ("a", None, b"1", 0o644),
                ("b", None, b"1", 0o644),
                ("c", None, b"1", 0o644),
            ],
            vec![("OPTIMUS_MAX_ENTRIES", "3")],
            vec!["more than 3 entries"],
            None,
        ),
    ];
    assert_eq!(cases.len(), 9, "add a test below for each case");
    for (label, entries, env, expect, patch) in cases.iter().skip(only).take(1) {
        for via in [Via::Registry, Via::Artifacts] {
            eprintln!("case: {label}");
            let (sb, reg) = setup();
            let file = match via {
                Via::Registry => sb.p(&format!("build/evil/{BIN}.zip")),
                Via::Artifacts => sb.p("build/evil/evilbundle.zip"),
            };
            write_raw_zip(&file, entries);
            if let Some((name, mode)) = patch {
                patch_zip_mode(&file, name, *mode);
            }
            refused(&sb, &reg, via, &file, env, expect);
        }
    }
}

/// Limits come from the config's `limits:` section too, not only the environment.
#[test]
fn size_limit_from_config() {
    let (sb, reg) = setup();
    let file = sb.p(&format!("build/evil/{BIN}.tar.gz"));
    write_raw_targz(
        &file,
        &[
            RawEntry::file(BIN, b"#!/bin/sh\n"),
            RawEntry::file("pad", &[1u8; 3000]),
        ],
    );
    publish_hostile(&sb, &reg, &file);
    let mut cfg = registry_config(
        "../registry",
        &reg.public_key,
        &[("good", "*"), ("evil", "*")],
    );
    cfg = cfg.replace(
        "plugins:\n  providers:",
        "plugins:\n  limits:\n    max_unpacked_size: 1000\n  providers:",
    );
    sb.write("proj/optimus.yaml", cfg);
    sb.install("proj/optimus.yaml")
        .expect(1, &["exceeds the limit of 1000 bytes"]);
    // Raised again, the same artifact installs.
    let r = sb.on_linux_with(
        "install",
        "proj/optimus.yaml",
        &[],
        &[("OPTIMUS_MAX_UNPACKED_SIZE", "100000")],
    );
    r.ok();
    assert_eq!(sb.read(&format!("proj/.plugins/{BIN}")), "#!/bin/sh\n");
}

/// A benign archive with an inside symlink and a directory installs fine: the checks are not
/// so strict that they refuse ordinary release tarballs.
#[test]
fn benign_links_inside_are_accepted() {
    let (sb, reg) = setup();
    let file = sb.p(&format!("build/evil/{BIN}.tar.gz"));
    write_raw_targz(
        &file,
        &[
            RawEntry::special("bin/", b'5'),
            RawEntry::file(&format!("bin/{BIN}"), b"#!/bin/sh\necho ok\n"),
            RawEntry::symlink("latest", &format!("bin/{BIN}")),
            RawEntry::symlink("bin/self", "../latest"),
        ],
    );
    reg.publish(
        &sb,
        &["--type", "task", "--binary-only"],
        "evil",
        "1.0.0",
        &[&file],
    )
    .ok();
    sb.write(
        "proj/optimus.yaml",
        registry_config(
            "../registry",
            &reg.public_key,
            &[("good", "*"), ("evil", "*")],
        ),
    );
    sb.install("proj/optimus.yaml").ok();
    assert_eq!(
        sb.read(&format!("proj/.plugins/{BIN}")),
        "#!/bin/sh\necho ok\n"
    );
    // The link itself was not materialised anywhere.
    assert!(!sb.p("proj/.plugins/latest").exists());
    assert!(leftovers(&sb.p("proj/.plugins")).is_empty());
}

/// The ratio limit is judged on bytes really decompressed: an honest tarball whose first
/// entry is a large, poorly compressible file (declared 17 MiB before its data is read) is
/// not mistaken for a bomb.
#[test]
fn large_honest_entry_is_not_a_bomb() {
    let (sb, reg) = setup();
    let mut x: u64 = 0x9e3779b97f4a7c15;
    let noise: Vec<u8> = (0..(17u32 << 20))
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 56) as u8
        })
        .collect();
    let file = sb.p(&format!("build/evil/{BIN}.tar.gz"));
    // Stored (level 0) deflate: quick to write in a debug build, and 1:1.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
    std::io::Write::write_all(
        &mut gz,
        &raw_tar(&[
            RawEntry::file("debug-symbols.bin", &noise),
            RawEntry::file(BIN, b"#!/bin/sh\necho big\n"),
        ]),
    )
    .unwrap();
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, gz.finish().unwrap()).unwrap();
    publish_hostile(&sb, &reg, &file);
    sb.write(
        "proj/optimus.yaml",
        registry_config(
            "../registry",
            &reg.public_key,
            &[("good", "*"), ("evil", "*")],
        ),
    );
    sb.install("proj/optimus.yaml").ok();
    assert_eq!(
        sb.read(&format!("proj/.plugins/{BIN}")),
        "#!/bin/sh\necho big\n"
    );
}

#[test]
fn zip_dotdot_the_upstream_bug() {
    zip_case(0)
}
#[test]
fn zip_backslash_dotdot() {
    zip_case(1)
}
#[test]
fn zip_absolute() {
    zip_case(2)
}
#[test]
fn zip_symlink_out() {
    zip_case(3)
}
#[test]
fn zip_symlink_absolute() {
    zip_case(4)
}
#[test]
fn zip_device() {
    zip_case(5)
}
#[test]
fn zip_compression_bomb() {
    zip_case(6)
}
#[test]
fn zip_size_limit() {
    zip_case(7)
}
#[test]
fn zip_entry_limit() {
    zip_case(8)
}
