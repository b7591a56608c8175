//! Release artifacts (issue 18): `scripts/release.sh` for this machine's target, checked as a
//! user and Optimus's `extension install` would take them: the asset names, `sha256sum -c
//! SHA256SUMS`, `minisign -Vm SHA256SUMS` with the reference tool, a static binary. And the
//! `sign` verb that makes the signature.

use crate::common::*;
use std::path::Path;
use std::process::Command;

/// Optimus's (Go's) os and arch of this machine: the suffix `extension install` looks for.
fn go_platform() -> (String, String) {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        o => o,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        a => a,
    };
    (os.to_string(), arch.to_string())
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn release_assets_follow_the_extension_convention_and_verify() {
    let Some(minisign) = minisign() else { return };
    let dist = release_dist();
    let (os, arch) = go_platform();
    let suffix = format!("{os}-{arch}");
    let version = env!("CARGO_PKG_VERSION");
    let raw = format!("plugins_{suffix}");
    let tar = format!("optimus-plugins_{version}_{os}_{arch}.tar.gz");
    let files = names(&dist.dir);
    for f in [&raw, &tar, "SHA256SUMS", "SHA256SUMS.minisig"] {
        assert!(files.iter().any(|n| n == f), "{f} missing from {files:?}");
    }
    // Optimus installs the first asset whose name ends in <os>-<arch> and runs it as a raw
    // executable: exactly one may, and it must be the binary.
    let matching: Vec<&String> = files.iter().filter(|n| n.ends_with(&suffix)).collect();
    assert_eq!(matching, vec![&raw], "assets ending in {suffix}");
    // The repository Optimus installs it from must be named optimus-extension-*: its
    // command is the rest, `plugins`, which is no built-in command of Optimus.
    assert_eq!(
        EXTENSION_REPO.strip_prefix("optimus-extension-"),
        Some("plugins")
    );
    let bin = dist.dir.join(&raw);
    let head = std::fs::read(&bin).unwrap();
    assert!(head.starts_with(b"\x7fELF"), "a raw executable");
    let out = Command::new(&bin).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("optimus-plugins {version} (the Optimus plugin manager)\n")
    );
    // Static: no shared library (the image is FROM scratch).
    if os == "linux" {
        let out = Command::new("readelf").arg("-d").arg(&bin).output();
        match out {
            Ok(o) => assert!(
                !String::from_utf8_lossy(&o.stdout).contains("NEEDED"),
                "{}",
                String::from_utf8_lossy(&o.stdout)
            ),
            Err(_) => missing("readelf (binutils) is not installed"),
        }
    }
    // The tar holds the binary, README.md and LICENSE in one folder.
    let out = Command::new("tar")
        .arg("-tzf")
        .arg(dist.dir.join(&tar))
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    let folder = tar.trim_end_matches(".tar.gz");
    for f in ["optimus-plugins", "README.md", "LICENSE"] {
        assert!(
            listing.lines().any(|l| l == format!("{folder}/{f}")),
            "{f} not in {tar}:\n{listing}"
        );
    }
    // Every asset is listed, and the list checks out with sha256sum.
    let sums = std::fs::read_to_string(dist.dir.join("SHA256SUMS")).unwrap();
    for f in [&raw, &tar] {
        assert!(
            sums.contains(&format!("  {f}\n")),
            "{f} not in SHA256SUMS:\n{sums}"
        );
    }
    let out = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&dist.dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // The signature verifies with the reference minisign and the keygen key; a changed
    // SHA256SUMS does not.
    let out = Command::new(minisign)
        .arg("-Vm")
        .arg(dist.dir.join("SHA256SUMS"))
        .arg("-p")
        .arg(&dist.public_key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let sb = Sandbox::new();
    sb.write("SHA256SUMS", format!("{sums}0000  extra\n"));
    std::fs::copy(
        dist.dir.join("SHA256SUMS.minisig"),
        sb.p("SHA256SUMS.minisig"),
    )
    .unwrap();
    let out = Command::new(minisign)
        .arg("-Vm")
        .arg(sb.p("SHA256SUMS"))
        .arg("-p")
        .arg(&dist.public_key)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a changed SHA256SUMS must not verify"
    );
}

/// The released binary, installed where and as Optimus installs an extension, runs the
/// verbs (`optimus plugins --version`, a failing install with its exit code).
#[test]
fn the_released_binary_runs_as_the_extension() {
    let dist = release_dist();
    let (os, arch) = go_platform();
    let sb = Sandbox::new();
    let dir = sb
        .home()
        .join(".optimus/extensions/github.com")
        .join(EXTENSION_OWNER)
        .join(EXTENSION_REPO);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(EXTENSION_TAG);
    std::fs::copy(dist.dir.join(format!("plugins_{os}-{arch}")), &file).unwrap();
    let r = Run::from(sb.command_of(&file, &["--version"]).output().unwrap()).ok();
    assert!(r.stdout.starts_with("optimus-plugins "), "{}", r.stdout);
    let r = Run::from(
        sb.command_of(&file, &["install", "-c", "nope.yaml"])
            .output()
            .unwrap(),
    );
    r.expect(2, &["nope.yaml"]);
    Run::from(
        sb.command_of(&file, &["install", "--help"])
            .output()
            .unwrap(),
    )
    .expect(0, &["Usage: optimus plugins install"]);
}

#[test]
fn sign_writes_signatures_the_reference_minisign_verifies() {
    let Some(minisign) = minisign() else { return };
    let sb = Sandbox::new();
    let (key, _) = keygen(&sb, "release");
    let pubf = key.with_extension("pub");
    sb.write("dist/SHA256SUMS", "abc  plugins_linux-amd64\n");
    sb.write("dist/other", "x");
    sb.run(&[
        "sign",
        "--secret-key",
        key.to_str().unwrap(),
        "dist/SHA256SUMS",
        "dist/other",
    ])
    .expect(0, &["signed 2 file(s) with key"]);
    for f in ["dist/SHA256SUMS", "dist/other"] {
        let out = Command::new(minisign)
            .arg("-Vm")
            .arg(sb.p(f))
            .arg("-p")
            .arg(&pubf)
            .output()
            .unwrap();
        assert!(out.status.success(), "{f}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(&format!(
                "file:{}",
                Path::new(f).file_name().unwrap().to_string_lossy()
            )),
            "{out:?}"
        );
    }
    // An encrypted key with its password; a missing file or password is a usage error that
    // names it, and nothing is written.
    sb.run_env(
        &["keygen", "--output", "enc", "--password-env", "PW"],
        &[("PW", "hunter2")],
    )
    .ok();
    sb.run_env(
        &[
            "sign",
            "--secret-key",
            "enc.key",
            "--password-env",
            "PW",
            "dist/other",
        ],
        &[("PW", "hunter2")],
    )
    .ok();
    let out = Command::new(minisign)
        .args(["-Vm", "dist/other", "-p", "enc.pub"])
        .current_dir(sb.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let before = Snapshot::take(&[sb.p("dist")]);
    sb.run(&["sign", "--secret-key", "enc.key", "dist/other"])
        .expect(2, &["enc.key", "--password-env"]);
    sb.run(&["sign", "--secret-key", key.to_str().unwrap(), "dist/nope"])
        .expect(2, &["dist/nope is not a file"]);
    before.assert_unchanged(&[]);
}
