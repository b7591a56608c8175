//! The repository's own example: the README's main command and lockfile.example.

use crate::common::*;
use std::path::Path;

/// A copy of examples/ and registry-index/ with the same relative layout.
fn example_checkout(sb: &Sandbox) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_dir(&repo.join("registry-index"), &sb.p("repo/registry-index"));
    std::fs::create_dir_all(sb.p("repo/examples")).unwrap();
    std::fs::copy(
        repo.join("examples/optimus.yaml"),
        sb.p("repo/examples/optimus.yaml"),
    )
    .unwrap();
}

/// What the README documents: `optimus-plugins lock -c examples/optimus.yaml`, on linux_amd64
/// (the platform lockfile.example was made for).
fn lock(sb: &Sandbox) -> Run {
    let args = [
        "plugin",
        "lock",
        "-c",
        "examples/optimus.yaml",
        "--platform",
        "linux_amd64",
    ];
    sb.run_in(&sb.p("repo"), &args, &[])
}

#[test]
fn lockfile_example_is_what_lock_writes() {
    let sb = Sandbox::new();
    example_checkout(&sb);
    lock(&sb).ok();
    let written = sb.read("repo/examples/optimus.lock");
    let expected =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("lockfile.example"))
            .unwrap();
    assert_eq!(
        written, expected,
        "lockfile.example is stale: run scripts/build-demo-registry.sh"
    );
    // Locking twice gives the same bytes.
    lock(&sb).ok();
    assert_eq!(sb.read("repo/examples/optimus.lock"), expected);
}

#[test]
fn the_readme_main_command_installs_the_demo_plugins() {
    let sb = Sandbox::new();
    example_checkout(&sb);
    let repo = sb.p("repo");
    sb.run_in(
        &repo,
        &[
            "plugin",
            "install",
            "-c",
            "examples/optimus.yaml",
            "--platform",
            "linux_amd64",
        ],
        &[],
    )
    .expect(0, &["installed 3"]);
    for f in [
        "optimus-bq2bq_linux_amd64",
        "optimus-plugin-neo.yaml",
        "optimus-plugin-predator.yaml",
    ] {
        assert!(
            repo.join("examples/.plugins").join(f).is_file(),
            "{f} missing"
        );
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(repo.join("examples/.plugins/optimus-bq2bq_linux_amd64"))
            .unwrap()
            .permissions()
            .mode();
        // Installed plugin files are read-only (issue 20).
        assert_eq!(mode & 0o777, 0o555);
        let out =
            std::process::Command::new(repo.join("examples/.plugins/optimus-bq2bq_linux_amd64"))
                .output()
                .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "optimus-bq2bq 0.3.2 (linux_amd64)"
        );
    }
    // darwin artifacts are zips in the demo registry.
    sb.run_in(
        &repo,
        &[
            "plugin",
            "install",
            "-c",
            "examples/optimus.yaml",
            "--platform",
            "darwin_arm64",
        ],
        &[],
    )
    .ok();
    assert!(repo
        .join("examples/.plugins/optimus-bq2bq_darwin_arm64")
        .is_file());
}
