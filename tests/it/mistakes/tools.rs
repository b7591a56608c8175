//! The test tools stay out of the user's way: `scripts/test-deps.sh` installs with
//! `--no-install-recommends`, never removes a package that is installed, upgrades one only
//! when a new package requires it (named first; `--no-upgrade` refuses even that), and
//! `scripts/walkthrough.py` works in a scratch directory of its own, removed afterwards. Both
//! are run for real, with `apt-get` replaced by a recorder and the walkthrough watched by a
//! Python audit hook that refuses any write outside its scratch directory.

use crate::common::*;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A directory for PATH holding the few tools test-deps.sh runs before apt-get, a `sudo` that
/// runs its arguments, and an `apt-get` that logs each call to `log` and, for `-s`, prints
/// `plan` (what a simulation of the install would do).
fn fake_path(dir: &Path, log: &Path, plan: &str) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["bash", "id", "awk", "sort", "tr", "dirname", "cat"] {
        let found = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| Path::new(d).join(tool))
            .find(|p| p.exists());
        if let Some(p) = found {
            std::os::unix::fs::symlink(p, bin.join(tool)).unwrap();
        }
    }
    let write = |name: &str, body: &str| {
        let p = bin.join(name);
        std::fs::write(&p, body).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    write("sudo", "#!/bin/bash\nexec \"$@\"\n");
    write(
        "apt-get",
        &format!(
            "#!/bin/bash\necho \"apt-get $*\" >> '{}'\ncase \" $* \" in *\" -s \"*) cat <<'EOF'\n{plan}\nEOF\n;; esac\nexit 0\n",
            log.display()
        ),
    );
    bin
}

/// Runs test-deps.sh with the fake PATH (minisign, tinyproxy, docker-registry and the like are
/// then "missing"); returns the run and the apt-get calls.
fn test_deps(plan: &str, args: &[&str]) -> (Run, Vec<String>) {
    let scratch = tempfile::tempdir().unwrap();
    let log = scratch.path().join("apt.log");
    let bin = fake_path(scratch.path(), &log, plan);
    let out = std::process::Command::new(bin.join("bash"))
        .arg(repo().join("scripts/test-deps.sh"))
        .args(args)
        .env_clear()
        .env("PATH", &bin)
        .env("HOME", scratch.path())
        // Past apt-get the script would set up .ci/: stop it there (python3 is not on PATH).
        .output()
        .unwrap();
    let calls = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect();
    (Run::from(out), calls)
}

#[test]
fn test_deps_installs_without_recommends_and_never_upgrades() {
    let upgrade = "Inst libsystemd0 [252.38-1] (252.39-1 Debian:12.15/oldstable [amd64])\nInst minisign (0.11-1 Debian:12.15/oldstable [amd64])";
    let real_install = |calls: &[String]| {
        calls
            .iter()
            .any(|c| c.contains(" install ") && !c.contains(" -s "))
    };
    // With --no-upgrade, an upgrade the new packages need is refused: nothing installed.
    let (r, calls) = test_deps(upgrade, &["--no-upgrade"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("would upgrade or remove installed packages: libsystemd0"),
        "{}",
        r.stderr
    );
    assert!(!real_install(&calls), "{calls:?}");
    // By default it is named before apt-get runs (a fresh image needs such upgrades).
    let (r, calls) = test_deps(upgrade, &[]);
    assert!(
        r.stdout
            .contains("require newer versions of these installed ones")
            && r.stdout.contains("libsystemd0"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    assert!(real_install(&calls), "{calls:?}");
    // A removal is always refused.
    let (r, calls) = test_deps(
        "Remv libsystemd0 [252.38-1]\nInst minisign (0.11-1 Debian:12.15/oldstable [amd64])",
        &[],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("would upgrade or remove installed packages: libsystemd0"),
        "{}",
        r.stderr
    );
    assert!(!real_install(&calls), "{calls:?}");
    // Only new packages: installed, without their recommendations.
    let (_, calls) = test_deps("Inst minisign (0.11-1 Debian:12.15/oldstable [amd64])", &[]);
    let installs: Vec<&String> = calls
        .iter()
        .filter(|c| c.contains(" install ") && !c.contains(" -s "))
        .collect();
    assert_eq!(installs.len(), 1, "{calls:?}");
    assert!(
        installs[0].contains("--no-install-recommends") && installs[0].contains("minisign"),
        "{calls:?}"
    );
}

#[test]
fn the_walkthrough_works_in_a_scratch_directory_it_removes() {
    if std::process::Command::new("python3")
        .arg("-V")
        .output()
        .is_err()
    {
        missing("python3 (scripts/walkthrough.py)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    // Every file-system write or removal, and every program started, outside the scratch
    // directory (and the repository, which `git clone` reads) is refused and reported.
    let hook = r#"
import os, runpy, sys
scratch = os.environ["TMPDIR"]
bad = []
def inside(p):
    p = os.path.abspath(os.fsdecode(p))
    return p == scratch or p.startswith(scratch + os.sep)
def hook(event, args):
    paths = []
    if event == "shutil.rmtree":
        paths = [args[0]]
    elif event in ("os.mkdir", "os.remove", "os.rmdir") and args[-1] in (None, -1):
        # (with a dir_fd: a step of an rmtree already checked)
        paths = [args[0]]
    elif event == "os.symlink":
        paths = [args[1]]
    elif event == "open" and args[1] and any(m in str(args[1]) for m in "wax+"):
        paths = [args[0]]
    elif event == "subprocess.Popen":
        argv = [os.fsdecode(a) for a in (args[1] or [])]
        if argv[:2] == ["git", "clone"]:
            paths = [argv[-1]]
    for p in paths:
        if isinstance(p, (str, bytes)) and not inside(p):
            bad.append(f"{event} {os.fsdecode(p)}")
            raise PermissionError(f"walkthrough test: {event} outside the scratch dir: {p}")
sys.addaudithook(hook)
sys.argv = [sys.argv[1], "--check"]
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except BaseException as e:
    print(f"ended: {type(e).__name__}: {e}")
for b in bad:
    print("FORBIDDEN", b)
"#;
    let r = Run::from(
        std::process::Command::new("python3")
            .arg("-c")
            .arg(hook)
            .arg(repo().join("scripts/walkthrough.py"))
            .current_dir(repo())
            .env("TMPDIR", tmp.path())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("OPTIMUS_BIN", bin())
            .output()
            .unwrap(),
    );
    assert!(!r.stdout.contains("FORBIDDEN"), "{}{}", r.stdout, r.stderr);
    // It ran (the --check verdict itself is scripts/test.sh's business), and left nothing.
    assert!(
        r.all().contains("docs/walkthrough.md") || r.all().contains("@@"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
    assert!(left.is_empty(), "left in the scratch dir: {left:?}");
}
