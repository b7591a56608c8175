//! The release assets, built once per test run by the real `scripts/release.sh` (for this
//! machine's target) and shared by the suites that check them (release.rs) and put them in
//! an image (container.rs).

use super::bin;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

pub struct Dist {
    /// What release.sh wrote (`plugins_<os>-<arch>`, the tar, SHA256SUMS, its signature).
    pub dir: PathBuf,
    /// The public key SHA256SUMS was signed for (`keygen`'s `.pub`).
    pub public_key: PathBuf,
}

/// The assets `scripts/release.sh` wrote into `OPTIMUS_TEST_DIST` (scripts/test.sh builds them
/// before the suite), else runs it once here (the static release build: minutes from
/// scratch, seconds when target/ has it), signing with a key made by `keygen`, into the
/// test's target directory.
pub fn release_dist() -> &'static Dist {
    static DIST: OnceLock<Dist> = OnceLock::new();
    DIST.get_or_init(|| {
        // scripts/test.sh runs release.sh before the suite and says where (throwaway key).
        if let Some(dir) = std::env::var_os("OPTIMUS_TEST_DIST") {
            let dir = PathBuf::from(dir);
            assert!(
                dir.join("SHA256SUMS").is_file(),
                "OPTIMUS_TEST_DIST={}: no SHA256SUMS there (run scripts/release.sh with DIST set to it)",
                dir.display()
            );
            return Dist {
                public_key: dir.join("throwaway-key.pub"),
                dir,
            };
        }
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("release-test");
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let key = root.join("release");
        let out = Command::new(bin())
            .args(["-q", "keygen", "--force", "--output"])
            .arg(&key)
            .output()
            .unwrap();
        assert!(out.status.success(), "keygen: {out:?}");
        let dir = root.join("dist");
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let start = std::time::Instant::now();
        let out = Command::new("bash")
            .arg(repo.join("scripts/release.sh"))
            .current_dir(&repo)
            .env("DIST", &dir)
            .env("RELEASE_SECRET_KEY", root.join("release.key"))
            .env_remove("RELEASE_PASSWORD_ENV")
            .output()
            .unwrap();
        eprintln!(
            "scripts/release.sh took {:.0} s",
            start.elapsed().as_secs_f64()
        );
        assert!(
            out.status.success(),
            "scripts/release.sh failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Dist {
            dir,
            public_key: root.join("release.pub"),
        }
    })
}
