//! What a tired user does (issue 17): a wrong `-c`, a typo in a provider or plugin name, a
//! missing or wrong key, a registry that is not there, a wrong platform, a lock edited by hand,
//! two configs in one directory, flags that contradict each other. Every scenario checks three
//! things: the exit code class (2 usage or configuration, 1 run time), that the message names
//! the file / line / flag and says what to do, and that a snapshot of the sandbox (project,
//! cache, registry, keys) taken before equals the one taken after, except what the command
//! promised to change.
//!
//! `cargo test --test it mistakes::` runs them all.

mod config;
mod hints;
mod locks;
mod publish;
mod registry;
mod tools;

use crate::common::*;
use std::path::{Path, PathBuf};

/// A sandbox with a signed registry (`registry/`: the yaml plugin neo 1.0.0 and the binary
/// plugin bq2bq 0.3.2 for linux_amd64, its archive holding its yaml) and a project
/// `proj/optimus.yaml` that declares both.
pub struct World {
    pub sb: Sandbox,
    pub reg: Registry,
}

impl World {
    pub fn new() -> World {
        let sb = Sandbox::new();
        let reg = neo_bq2bq_registry(&sb, "registry");
        sb.write(
            "proj/optimus.yaml",
            registry_config(
                "../registry",
                &reg.public_key,
                &[("neo", "^1"), ("bq2bq", "^0.3")],
            ),
        );
        World { sb, reg }
    }

    /// `World::new`, installed (so the cache and `.plugins` hold something to lose), and
    /// installed again (so the cache holds what a no-op run writes: the parsed-lock memo).
    pub fn installed() -> World {
        let w = World::new();
        w.run(&["install", "--platform", PLAT]).ok();
        w.run(&["install", "--platform", PLAT]).ok();
        w
    }

    pub fn p(&self, rel: &str) -> PathBuf {
        self.sb.p(rel)
    }

    /// Everything in the sandbox: the project, the cache, the registry, the keys.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::take(&[self.sb.path()])
    }

    /// `optimus plugin <args>` in `proj/`.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_in("proj", args)
    }

    /// `optimus plugin <args>` in `<sandbox>/<dir>`.
    pub fn run_in(&self, dir: &str, args: &[&str]) -> Run {
        let mut a = vec!["plugin"];
        a.extend_from_slice(args);
        self.sb.run_in(&self.sb.p(dir), &a, &[])
    }

    /// Runs `args` in `proj/`, expects `code` and every fragment, and a sandbox unchanged
    /// except under `except` (paths relative to the sandbox).
    #[track_caller]
    pub fn mistake(&self, args: &[&str], code: i32, fragments: &[&str], except: &[&str]) -> Run {
        let before = self.snapshot();
        let r = self.run(args).expect(code, fragments);
        self.unchanged_since(&before, except);
        r
    }

    /// Fails unless the sandbox is as `before` (outside `except`) and no staging or temp file
    /// of ours is left anywhere in it.
    #[track_caller]
    pub fn unchanged_since(&self, before: &Snapshot, except: &[&str]) {
        let except: Vec<PathBuf> = except.iter().map(|e| self.p(e)).collect();
        let refs: Vec<&Path> = except.iter().map(PathBuf::as_path).collect();
        before.assert_unchanged(&refs);
        let now = before.retake();
        let temps: Vec<&Path> = now
            .paths()
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(".optimus-tmp-"))
            })
            .collect();
        assert!(temps.is_empty(), "temp files left: {temps:?}");
    }

    /// Replaces `from` by `to` in the file `rel` (an edit by hand).
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.sb.read(rel);
        assert!(
            text.contains(from),
            "{rel} does not contain {from:?}:\n{text}"
        );
        self.sb.write(rel, text.replacen(from, to, 1));
    }
}
