//! Test harness shared by every suite of the integration-test binary: the real `optimus-plugins`
//! binary run in a sandbox with its own cache and home (this file; run as `optimus` and as an
//! Optimus extension: invoke.rs), registries built with `keygen` +
//! `publish` (registry.rs), archives, hostile ones included (archives.rs), a real HTTP/1.1
//! server on 127.0.0.1 that can misbehave on purpose (http_server.rs), and the object-store
//! emulators (emulators.rs); a container registry and a token server (oci.rs); before/after
//! tree snapshots and `Run::expect`, the one outcome check of the safety suites (snapshot.rs).

mod archives;
mod emulators;
mod fixtures;
mod http_server;
mod invoke;
pub mod oci;
mod private_servers;
mod registry;
mod release;
mod snapshot;

pub use archives::*;
pub use emulators::*;
pub use fixtures::*;
pub use http_server::*;
pub use invoke::*;
pub use private_servers::*;
pub use registry::*;
pub use release::*;
pub use snapshot::*;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The platform the suites install and lock for.
pub const PLAT: &str = "linux_amd64";

/// The binary, `optimus-plugins`.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_optimus-plugins"))
}

/// `args` as `optimus-plugins` takes them: without the leading `plugin` word of the
/// `optimus plugin VERB` form the suites are written in (the first argument that is not a
/// flag), so every suite runs under the primary name.
pub fn primary_args<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut out = args.to_vec();
    if let Some(i) = out.iter().position(|a| !a.starts_with('-')) {
        if out[i] == "plugin" {
            out.remove(i);
        }
    }
    out
}

/// The result of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
    #[track_caller]
    pub fn fails(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A panic exits 101; every failure must be a contract code.
#[track_caller]
pub fn assert_clean_failure(r: &Run) {
    assert!(
        r.code == 1 || r.code == 2,
        "expected exit 1 or 2, got {}\nstdout:\n{}\nstderr:\n{}",
        r.code,
        r.stdout,
        r.stderr
    );
    assert!(
        !r.stderr.contains("panicked"),
        "panic in output:\n{}",
        r.stderr
    );
}

/// A scratch directory with its own cache and home, removed on drop.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("optimus-test-")
            .tempdir()
            .expect("tempdir");
        let cache = dir.path().join("cache");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        Sandbox {
            env: vec![
                ("OPTIMUS_CACHE_DIR".into(), cache.display().to_string()),
                ("HOME".into(), home.display().to_string()),
                ("OPTIMUS_RETRY_BASE_MS".into(), "20".into()),
                ("NO_COLOR".into(), "1".into()),
            ],
            dir,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn p(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let p = self.p(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.p(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
    }

    /// `optimus-plugins <args>` (a leading `plugin` word dropped: [`primary_args`]), not yet
    /// started: in the sandbox root, with the sandbox's environment and none of the caller's
    /// plugin-dir settings. For runs that are spawned, raced or killed.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = self.command_of(&bin(), &primary_args(args));
        c.current_dir(self.path());
        c
    }

    /// `program <args>` with the sandbox's environment, as [`Sandbox::command`] sets it.
    pub fn command_of(&self, program: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(program);
        c.args(args)
            .current_dir(self.path())
            .env_remove("OPTIMUS_PLUGIN_DIR")
            .env_remove("OPTIMUS_PLUGIN_ARTIFACTS")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    /// Runs `optimus-plugins <args>` in the sandbox root (`plugin` dropped, as by [`Sandbox::command`]).
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    pub fn run_env(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        self.run_in(self.path(), args, extra)
    }

    pub fn run_in(&self, cwd: &Path, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut c = self.command(args);
        c.current_dir(cwd).envs(extra.iter().copied());
        Run::from(c.output().expect("run optimus"))
    }

    /// `plugin <verb> ...` shorthand.
    pub fn plugin(&self, args: &[&str]) -> Run {
        let mut a = vec!["plugin"];
        a.extend_from_slice(args);
        self.run(&a)
    }

    /// `optimus plugin <verb> -c <config> --platform linux_amd64`.
    pub fn on_linux(&self, verb: &str, config: &str) -> Run {
        self.on_linux_with(verb, config, &[], &[])
    }

    /// `optimus plugin <verb> -c <config> --platform linux_amd64 <args>...`, with `env` added.
    pub fn on_linux_with(
        &self,
        verb: &str,
        config: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Run {
        let mut a = vec!["plugin", verb, "-c", config, "--platform", PLAT];
        a.extend_from_slice(args);
        self.run_env(&a, env)
    }

    /// `optimus plugin install -c <config> --platform linux_amd64`.
    pub fn install(&self, config: &str) -> Run {
        self.on_linux("install", config)
    }
}

// ---------------------------------------------------------------------------------------------
// Files.

pub fn sha256_file(p: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
}

/// Copies the directory `from` to `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// Every file under `dir` (recursively; none if it does not exist).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.path().is_dir() {
                out.extend(files_under(&e.path()));
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

/// Every regular file under `root` (relative path → bytes), skipping `skip` prefixes.
pub fn tree(root: &Path, skip: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    fn walk(base: &Path, dir: &Path, skip: &[&str], out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            if skip.iter().any(|s| rel.starts_with(s)) {
                continue;
            }
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                walk(base, &p, skip, out);
            } else if ft.is_symlink() {
                out.insert(
                    rel,
                    format!("-> {}", std::fs::read_link(&p).unwrap().display()).into_bytes(),
                );
            } else {
                out.insert(rel, std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    walk(root, root, skip, &mut out);
    out
}

/// Names of staging files left in `dir`.
pub fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".optimus-tmp-"))
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Outside tools.

/// A free port on 127.0.0.1 (nobody listens on it once this returns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A tool or server a test needs is missing: the test skips with a loud message, or fails
/// when `CI` is set.
pub fn missing(msg: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("CI is set and {msg}");
    }
    eprintln!("\n!!!!!!!! SKIPPING: {msg} !!!!!!!!\n");
}

/// The reference `minisign` tool (Debian's package) on PATH; `None` means skip (see
/// [`missing`]).
pub fn minisign() -> Option<&'static str> {
    if Command::new("minisign").arg("-v").output().is_ok() {
        return Some("minisign");
    }
    missing(
        "the reference minisign tool is not installed: run scripts/test-deps.sh (apt-get install minisign)",
    );
    None
}

/// Stops a server a test started: SIGTERM to its PID (nginx's master then stops its workers,
/// which a SIGKILL of the master would leave running), then SIGKILL if it has not exited
/// within 5 s. Only that PID is signalled.
pub fn stop_child(child: &mut std::process::Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_secs(5) {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}
