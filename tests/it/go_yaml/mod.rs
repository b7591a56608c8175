//! Our yaml plugin decoding against the real go-yaml. `tests/go-oracle` is a small Go program
//! (GOPATH mode, no network) that declares each target's plugin spec types as upstream does
//! and loads a file as that target does, with Debian's golang-gopkg-yaml.v2-dev (2.4.0) and
//! golang-gopkg-yaml.v3-dev (3.0.1), the versions upstream pins. A seeded generator mutates
//! upstream-shaped seeds; every file must get the same verdict from both sides, and a refusal
//! the same text.

mod classes;
mod corpus;

use crate::common::missing;
use optimus_plugins::upstream::target::{Target, TARGETS};
use optimus_plugins::upstream::yaml::check_bytes;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Builds the oracle once per test binary run (Go's cache lives in the target dir); `None`
/// when Go or the go-yaml sources are not installed (a skip, and a failure under CI).
pub fn oracle() -> Option<PathBuf> {
    static BUILT: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let gocode = Path::new("/usr/share/gocode");
            let have_yaml = ["yaml.v2", "yaml.v3"]
                .iter()
                .all(|v| gocode.join("src/gopkg.in").join(v).join("decode.go").is_file());
            let go = ["go", "/usr/lib/go/bin/go"]
                .into_iter()
                .find(|g| Command::new(g).arg("version").output().is_ok_and(|o| o.status.success()));
            let (Some(go), true) = (go, have_yaml) else {
                missing(
                    "Go or go-yaml is not installed: run scripts/test-deps.sh (apt-get install golang-go golang-gopkg-yaml.v2-dev golang-gopkg-yaml.v3-dev)",
                );
                return None;
            };
            let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("go-oracle");
            std::fs::create_dir_all(&tmp).unwrap();
            let bin = tmp.join("oracle");
            let gopath = format!("{}:{}", gocode.display(), repo().join("tests/go-oracle").display());
            let out = Command::new(go)
                .args(["build", "-o"])
                .arg(&bin)
                .arg("oracle")
                .env("GO111MODULE", "off")
                .env("GOPATH", gopath)
                .env("GOFLAGS", "")
                .env("GOCACHE", tmp.join("cache"))
                .env("GOTOOLCHAIN", "local")
                .current_dir(&tmp)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "building tests/go-oracle failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(bin)
        })
        .clone()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoVerdict {
    pub ok: bool,
    pub error: Option<String>,
}

/// Runs the oracle on every (target, file) pair, in one process.
pub fn go_verdicts(oracle: &Path, files: &[(Target, Vec<u8>)]) -> Vec<GoVerdict> {
    let dir = tempfile::tempdir().unwrap();
    let mut list = String::new();
    for (i, (t, bytes)) in files.iter().enumerate() {
        let p = dir.path().join(format!("optimus-plugin-{i}.yaml"));
        std::fs::write(&p, bytes).unwrap();
        list.push_str(&format!("{t}\t{}\n", p.display()));
    }
    let list_path = dir.path().join("list.txt");
    std::fs::write(&list_path, list).unwrap();
    let out = Command::new(oracle).arg(&list_path).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let v: Vec<GoVerdict> = text
        .lines()
        .map(|l| {
            let j: serde_json::Value = serde_json::from_str(l).unwrap();
            GoVerdict {
                ok: j["ok"].as_bool().unwrap(),
                error: j["error"].as_str().map(str::to_string),
            }
        })
        .collect();
    assert_eq!(v.len(), files.len());
    v
}

pub fn ours(target: Target, bytes: &[u8]) -> GoVerdict {
    let v = check_bytes(bytes, "optimus-plugin-neo.yaml", target);
    GoVerdict {
        ok: v.loads(),
        error: v.refusal,
    }
}

/// The corpus: every seed under every target unchanged, then mutations of every class, in
/// turn, until each target has 800 files.
fn corpus() -> Vec<(Target, Vec<u8>, String)> {
    let seeds = corpus::seeds(&repo());
    // Another seed explores another corpus: GO_YAML_SEED=7 cargo test --test it go_yaml
    let seed = std::env::var("GO_YAML_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut rng = corpus::Rng::new(seed);
    let mut out = Vec::new();
    for t in TARGETS {
        for (i, s) in seeds.iter().enumerate() {
            out.push((*t, s.clone().into_bytes(), format!("seed {i}")));
        }
        // Two seeds in three are of the target's own spec, so that many files load.
        let own: Vec<usize> = (0..seeds.len())
            .filter(|i| {
                let s = &seeds[*i];
                match t {
                    Target::Goto => s.contains("plugin_versions"),
                    Target::Raystack => s.contains("entrypoint") && !s.contains("secretpath"),
                    Target::Raystack05 => {
                        !s.contains("entrypoint") && !s.contains("plugin_versions")
                    }
                }
            })
            .collect();
        let mut class = 0;
        while out.iter().filter(|(x, _, _)| x == t).count() < 800 {
            let seed = if rng.below(3) < 2 {
                *rng.pick(&own)
            } else {
                rng.below(seeds.len())
            };
            // One file in four only changes what leaves a plugin loadable.
            let c = if rng.below(4) == 0 {
                corpus::BENIGN
            } else {
                class % corpus::CLASSES
            };
            let mut bytes = corpus::mutate(&mut rng, &seeds[seed], c);
            let mut how = format!("seed {seed}, class {c}");
            // Now and then a second mutation on top of the first.
            if rng.below(4) == 0 {
                if let Ok(text) = String::from_utf8(bytes.clone()) {
                    let c2 = rng.below(corpus::CLASSES);
                    bytes = corpus::mutate(&mut rng, &text, c2);
                    how.push_str(&format!(" + class {c2}"));
                }
            }
            out.push((*t, bytes, how));
            class += 1;
        }
    }
    out
}

#[test]
fn every_mutated_plugin_gets_go_yamls_verdict_and_message() {
    let Some(oracle) = oracle() else { return };
    let started = std::time::Instant::now();
    let corpus = corpus();
    let files: Vec<(Target, Vec<u8>)> = corpus.iter().map(|(t, b, _)| (*t, b.clone())).collect();
    let go = go_verdicts(&oracle, &files);
    let mut disagree = Vec::new();
    for ((t, bytes, how), want) in corpus.iter().zip(&go) {
        let got = ours(*t, bytes);
        if got != *want {
            disagree.push(format!(
                "[{t}] {how}\n  file: {:?}\n  go-yaml: {want:?}\n  ours:    {got:?}",
                String::from_utf8_lossy(bytes)
            ));
        }
    }
    let n = corpus.len();
    let agree = n - disagree.len();
    let refused = go.iter().filter(|v| !v.ok).count();
    // Written to stderr itself, not through eprintln!, so that the test harness shows it.
    let _ = writeln!(
        std::io::stderr(),
        "go-yaml differential: {n} files ({refused} refused by go-yaml), {agree} agree ({:.2} %), {:.1} s",
        100.0 * agree as f64 / n as f64,
        started.elapsed().as_secs_f64()
    );
    assert!(n >= 2000, "{n}");
    assert!(
        disagree.is_empty(),
        "{} disagreements with go-yaml:\n{}",
        disagree.len(),
        disagree
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
