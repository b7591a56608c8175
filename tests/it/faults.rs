//! The fault suite (issue 17): a failed or interrupted command changes nothing the user can
//! see. A read-only project directory, a plugin directory on a full file system, an
//! unreadable cache, SIGINT and SIGTERM at 20 seeded points of an install of 16 artifacts, a
//! server that accepts and never answers. After each: a snapshot of the project and the cache
//! taken before equals the one after (the cache may only gain verified entries), `verify`
//! passes or says what to run, and no temp file is left.
//!
//! The read-only directory (`chattr +i`), the small file system (`mount -t tmpfs`) and the
//! unreadable cache (run as `nobody` through `setpriv`, since root reads anything) need root:
//! without it they fail under CI and skip loudly otherwise (`common::missing`).

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A project `proj/` with `neo` (yaml) and `bq2bq` (binary) installed from a directory
/// registry, which also holds `extra` (binary): declaring it makes the next install change
/// the lock and fetch an artifact.
fn neo_bq2bq_installed(sb: &Sandbox) -> Registry {
    let reg = neo_bq2bq_registry(sb, "registry");
    reg.publish_task(sb, "extra", "1.0.0", &[PLAT]).ok();
    installed_project(sb, &reg, &["neo", "bq2bq"]);
    reg
}

fn config(reg: &Registry, names: &[&str]) -> String {
    let plugins: Vec<(&str, &str)> = names.iter().map(|n| (*n, "*")).collect();
    registry_config("../registry", &reg.public_key, &plugins)
}

/// Every temp file under `root`: staging files anywhere, and anything in a cache's `tmp/`.
fn temp_files(root: &Path) -> Vec<PathBuf> {
    Snapshot::take(&[root])
        .paths()
        .map(Path::to_path_buf)
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with(".optimus-tmp-")
                || name.starts_with(".optimus-mirror-")
                || p.parent().is_some_and(|d| {
                    d.ends_with("tmp") && d.parent().is_some_and(|c| c.join(".lock").exists())
                })
        })
        .collect()
}

#[track_caller]
fn no_temp_files(roots: &[&Path]) {
    for r in roots {
        let left = temp_files(r);
        assert!(left.is_empty(), "temp files left: {left:?}");
    }
}

/// After a failed install in `proj`: nothing changed but verified entries added to the cache,
/// and no temp file left in either.
#[track_caller]
fn only_the_cache_grew(sb: &Sandbox, before: &Snapshot) {
    let diff = before.retake().diff_from(before, &[&sb.p("cache")]);
    assert!(diff.is_empty(), "{diff:?}");
    cache_only_grew(before, &sb.p("cache"));
    no_temp_files(&[&sb.p("proj"), &sb.p("cache")]);
}

/// The cache (one of the snapshot's roots) changed only by gaining or refreshing verified
/// entries (downloads, indexes, records of projects): nothing removed, nothing in `tmp/`.
#[track_caller]
fn cache_only_grew(before: &Snapshot, cache: &Path) {
    let grow = [
        "artifacts",
        "files",
        "unpacked",
        "index",
        "memo",
        "projects",
        "timestamps",
    ];
    let diff = before.retake().diff_from(before, &[]);
    let bad: Vec<&String> = diff
        .iter()
        .filter(|l| {
            let path = Path::new(l[2..].split(": ").next().unwrap());
            path.starts_with(cache)
                && (l.starts_with('-') || !grow.iter().any(|a| path.starts_with(cache.join(a))))
        })
        .collect();
    assert!(bad.is_empty(), "unexpected changes:\n  {bad:?}");
}

/// `chattr +i` (as root) or `chmod a-w` (as a user) on a directory, undone on drop.
struct ReadOnly(PathBuf, bool);

impl ReadOnly {
    fn new(dir: &Path) -> ReadOnly {
        let root = is_root();
        let ok = if root {
            Command::new("chattr").arg("+i").arg(dir).status()
        } else {
            Command::new("chmod").arg("a-w").arg(dir).status()
        };
        assert!(
            ok.is_ok_and(|s| s.success()),
            "cannot make {} read-only",
            dir.display()
        );
        ReadOnly(dir.to_path_buf(), root)
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = if self.1 {
            Command::new("chattr").arg("-i").arg(&self.0).status()
        } else {
            Command::new("chmod").arg("u+w").arg(&self.0).status()
        };
    }
}

#[test]
fn a_read_only_project_directory_fails_before_anything_is_placed() {
    if is_root() && Command::new("chattr").arg("--help").output().is_err() {
        missing("chattr (e2fsprogs) is needed to make a directory read-only for root");
        return;
    }
    let sb = Sandbox::new();
    let reg = neo_bq2bq_installed(&sb);
    // The lock must change (a new plugin), and the project directory cannot be written.
    sb.write(
        "proj/optimus.yaml",
        config(&reg, &["neo", "bq2bq", "extra"]),
    );
    let before = Snapshot::take(&[sb.p("proj"), sb.p("cache")]);
    {
        let _ro = ReadOnly::new(&sb.p("proj"));
        let r = sb.install("proj/optimus.yaml").expect(
            1,
            &[
                "cannot create files in proj",
                "optimus.lock",
                "nothing was changed",
                "chmod u+w",
            ],
        );
        eprintln!("read-only project:\n{}", r.stderr);
        only_the_cache_grew(&sb, &before);
        // Read-only commands still work there, and write nothing.
        sb.on_linux("verify", "proj/optimus.yaml").ok();
        sb.on_linux("list", "proj/optimus.yaml").ok();
    }
    sb.on_linux("verify", "proj/optimus.yaml").ok();
    // Made writable, the same install goes through.
    sb.install("proj/optimus.yaml").ok();

    // A first install into a read-only project: the plugin directory cannot even be made.
    let sb = Sandbox::new();
    let reg = neo_bq2bq_registry(&sb, "registry");
    sb.write("fresh/optimus.yaml", config(&reg, &["neo", "bq2bq"]));
    let before = Snapshot::take(&[sb.p("fresh")]);
    {
        let _ro = ReadOnly::new(&sb.p("fresh"));
        sb.install("fresh/optimus.yaml").expect(
            1,
            &[
                "creating plugin directory fresh/.plugins",
                "fresh is immutable",
                "writable",
            ],
        );
        before.assert_unchanged(&[]);
    }
    no_temp_files(&[&sb.p("fresh"), &sb.p("cache")]);
}

/// A 2 MiB tmpfs mounted on a directory, unmounted on drop.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(dir: &Path) -> Option<SmallDisk> {
        std::fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| SmallDisk(dir.to_path_buf()))
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_plugin_directory_changes_nothing_and_says_what_to_free() {
    let sb = Sandbox::new();
    let Some(_disk) = SmallDisk::mount(&sb.p("proj/.plugins")) else {
        missing("mounting a 2 MiB tmpfs needs root (mount -t tmpfs)");
        return;
    };
    let reg = neo_bq2bq_installed(&sb);
    // A plugin of 3 MiB that cannot be compressed: the disk fills up half-way through it.
    let mut body = script("big", "1.0.0", PLAT).into_bytes();
    let mut x: u32 = 17;
    body.extend((0..3 << 20).map(|_| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x as u8
    }));
    let art = sb.p(&format!("build/big/optimus-big_1.0.0_{PLAT}.tar.gz"));
    write_targz(&art, &[(format!("optimus-big_{PLAT}"), body, 0o755)]);
    reg.publish(
        &sb,
        &["--type", "task", "--binary-only"],
        "big",
        "1.0.0",
        &[&art],
    )
    .ok();
    sb.write("proj/optimus.yaml", config(&reg, &["neo", "bq2bq", "big"]));
    let before = Snapshot::take(&[sb.p("proj"), sb.p("cache")]);
    let r = sb.install("proj/optimus.yaml").expect(
        1,
        &[
            "No space left on device",
            "is full",
            "df -h",
            "nothing was changed",
        ],
    );
    eprintln!("full plugin dir:\n{}", r.stderr);
    only_the_cache_grew(&sb, &before);
    sb.on_linux("verify", "proj/optimus.yaml").ok();
}

#[test]
fn an_unreadable_cache_fails_naming_it_and_changes_nothing() {
    let sb = Sandbox::new();
    let reg = neo_bq2bq_installed(&sb);
    sb.write(
        "proj/optimus.yaml",
        config(&reg, &["neo", "bq2bq", "extra"]),
    );
    let as_user = |args: &[&str]| -> Command {
        let c = sb.command(args);
        if !is_root() {
            return c;
        }
        // Root reads anything: run as nobody, who owns the sandbox but not the cache.
        let mut w = Command::new("setpriv");
        w.args([
            "--reuid",
            "65534",
            "--regid",
            "65534",
            "--clear-groups",
            "--",
        ])
        .arg(c.get_program())
        .args(c.get_args())
        .current_dir(c.get_current_dir().unwrap());
        for (k, v) in c.get_envs() {
            match v {
                Some(v) => w.env(k, v),
                None => w.env_remove(k),
            };
        }
        w
    };
    if is_root() {
        if Command::new("setpriv").arg("--help").output().is_err() {
            missing("setpriv (util-linux) is needed to run as an unprivileged user");
            return;
        }
        let st = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(sb.path())
            .status()
            .unwrap();
        assert!(st.success());
        Command::new("chown")
            .args(["-R", "0:0"])
            .arg(sb.p("cache"))
            .status()
            .unwrap();
    }
    std::process::Command::new("chmod")
        .args(["0700"])
        .arg(sb.path())
        .status()
        .unwrap();
    let _open = Restore(sb.p("cache"));
    Command::new("chmod")
        .arg("000")
        .arg(sb.p("cache"))
        .status()
        .unwrap();
    let before = Snapshot::take(&[sb.p("proj")]);
    let install = |extra: &[&str]| {
        let mut a = vec![
            "plugin",
            "install",
            "-c",
            "proj/optimus.yaml",
            "--platform",
            PLAT,
        ];
        a.extend_from_slice(extra);
        Run::from(as_user(&a).output().unwrap())
    };
    let r = install(&[]).expect(1, &["cache/.lock", "OPTIMUS_CACHE_DIR"]);
    eprintln!("unreadable cache:\n{}", r.stderr);
    before.assert_unchanged(&[]);
    no_temp_files(&[&sb.p("proj")]);
    // verify needs no cache for the files: it passes (or says what to run).
    let r = Run::from(
        as_user(&[
            "plugin",
            "verify",
            "-c",
            "proj/optimus.yaml",
            "--platform",
            PLAT,
            "--offline",
        ])
        .output()
        .unwrap(),
    );
    eprintln!("verify with an unreadable cache:\n{}", r.all());
    assert!(
        r.code == 0 || r.all().contains("optimus-plugins "),
        "{}",
        r.all()
    );
    before.assert_unchanged(&[]);
}

/// Gives a directory its permissions back (so the sandbox can be removed).
struct Restore(PathBuf);

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = Command::new("chmod").arg("0755").arg(&self.0).status();
    }
}

// ---------------------------------------------------------------------------------------------
// Signals.

/// A small seeded generator (xorshift), so the interrupt points are the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// An incompressible ~32 KiB binary plugin's tar.gz.
fn targz(sb: &Sandbox, name: &str, version: &str, seed: u64) -> PathBuf {
    let mut body = script(name, version, PLAT).into_bytes();
    let mut r = Rng(seed | 1);
    body.extend((0..32 * 1024).map(|_| r.next() as u8));
    let path = sb.p(&format!(
        "build/{name}/{version}/optimus-{name}_{version}_{PLAT}.tar.gz"
    ));
    write_targz(&path, &[(format!("optimus-{name}_{PLAT}"), body, 0o755)]);
    path
}

#[test]
fn sigint_and_sigterm_at_20_points_of_an_install_of_16_artifacts() {
    let sb = Sandbox::new();
    let reg = Registry::new(&sb, "registry");
    let names: Vec<String> = (0..16).map(|i| format!("p{i:02}")).collect();
    for (i, n) in names.iter().enumerate() {
        for (j, v) in ["1.0.0", "2.0.0"].iter().enumerate() {
            let a = targz(&sb, n, v, (i * 2 + j) as u64 + 1);
            reg.publish(&sb, &["--type", "task", "--binary-only"], n, v, &[&a])
                .ok();
        }
    }
    let server = HttpServer::start(&reg.root);
    let cfg = |req: &str| {
        let plugins: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), req)).collect();
        registry_config(&server.url(""), &reg.public_key, &plugins)
    };
    let mut rng = Rng(0x5eed_0017);
    let (mut interrupted, mut committed_late, mut finished) = (0, 0, 0);
    for i in 0..20 {
        let (proj, cache) = (sb.p(&format!("p{i}")), sb.p(&format!("c{i}")));
        let cache_env = [("OPTIMUS_CACHE_DIR", cache.to_str().unwrap())];
        let yaml = format!("p{i}/optimus.yaml");
        sb.write(&yaml, cfg("=1.0.0"));
        sb.on_linux_with("install", &yaml, &[], &cache_env).ok();
        sb.write(&yaml, cfg("=2.0.0"));
        server.clear_faults();
        for n in &names {
            server.fault(
                &format!("optimus-{n}_2.0.0_{PLAT}.tar.gz"),
                vec![Fault::Trickle(1024, Duration::from_millis(10))],
            );
        }
        let before = Snapshot::take(&[&proj, &cache]);
        let child = sb
            .command(&[
                "plugin",
                "install",
                "-c",
                &yaml,
                "--platform",
                PLAT,
                "--jobs",
                "4",
            ])
            .envs(cache_env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The trickle makes a run take at least 4 waves x 320 ms: most points fall inside it,
        // some after it (the run finished).
        let delay = 20 + rng.below(1580);
        let sig = if rng.below(2) == 0 { "INT" } else { "TERM" };
        std::thread::sleep(Duration::from_millis(delay));
        // This child only, by its pid.
        Command::new("kill")
            .args(["-s", sig, &child.id().to_string()])
            .status()
            .unwrap();
        let r = Run::from(child.wait_with_output().unwrap());
        eprintln!("point {i}: SIG{sig} after {delay} ms: exit {}", r.code);
        let want = if sig == "INT" { 130 } else { 143 };
        let changed = r.code == 0 || !r.stderr.contains("interrupted: nothing was changed");
        if r.code == 0 {
            finished += 1;
        } else {
            let r = r.expect(want, &["interrupted: "]);
            let line = r
                .stderr
                .lines()
                .find(|l| l.starts_with("interrupted: "))
                .unwrap();
            assert_eq!(
                r.stderr
                    .lines()
                    .filter(|l| l.starts_with("interrupted"))
                    .count(),
                1,
                "{}",
                r.stderr
            );
            if line == "interrupted: nothing was changed" {
                interrupted += 1;
                let diff = before.retake().diff_from(&before, &[&cache]);
                assert!(diff.is_empty(), "point {i}: {diff:?}");
            } else {
                committed_late += 1;
                assert!(
                    line.contains("was completed") && line.ends_with("nothing else was changed"),
                    "{line}"
                );
            }
        }
        cache_only_grew(&before, &cache);
        no_temp_files(&[&proj, &cache]);
        sb.on_linux_with("verify", &yaml, &["--offline"], &cache_env)
            .ok();
        // The lock moved to 2.0.0 exactly when the change was made.
        let lock = sb.read(&format!("p{i}/optimus.lock"));
        assert_eq!(
            lock.contains("version = \"2.0.0\""),
            changed,
            "point {i}: {lock}"
        );
    }
    eprintln!("interrupted before the commit: {interrupted}, after it: {committed_late}, finished: {finished}");
    assert!(
        interrupted >= 10,
        "too few runs were interrupted to mean anything: {interrupted}"
    );
}

#[test]
fn an_interrupt_while_waiting_for_another_install_ends_it_at_once() {
    let sb = Sandbox::new();
    let reg = neo_bq2bq_registry(&sb, "registry");
    let server = HttpServer::start(&reg.root);
    sb.write(
        "proj/optimus.yaml",
        registry_config(&server.url(""), &reg.public_key, &[("bq2bq", "*")]),
    );
    // The first install holds the project while its download stalls.
    server.fault(
        "_linux_amd64.tar.gz",
        vec![Fault::Stall(Duration::from_secs(4))],
    );
    let mut first = Reap(
        sb.command(&[
            "plugin",
            "install",
            "-c",
            "proj/optimus.yaml",
            "--platform",
            PLAT,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap(),
    );
    let t0 = Instant::now();
    while server.hits("_linux_amd64.tar.gz") == 0 {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the first install never downloaded"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = sb
        .command(&[
            "plugin",
            "install",
            "-c",
            "proj/optimus.yaml",
            "--platform",
            PLAT,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let t1 = Instant::now();
    Command::new("kill")
        .args(["-s", "INT", &second.id().to_string()])
        .status()
        .unwrap();
    let r = Run::from(second.wait_with_output().unwrap());
    assert!(t1.elapsed() < Duration::from_secs(2), "{:?}", t1.elapsed());
    r.expect(
        130,
        &[
            "waiting for another optimus-plugins process",
            "interrupted: nothing was changed",
        ],
    );
    assert!(first.0.wait().unwrap().success());
    sb.on_linux("verify", "proj/optimus.yaml").ok();
}

/// What a `kill -9` leaves (a download in the cache's `tmp/`, a staging file in the plugin
/// dir) goes at once: `cache prune` removes temp files whose process is gone however young
/// (issue 17: "after two interrupts cache prune reports tmp 274.2 MiB and removes 0 B"), and
/// the next install its staging files; a live process's temp file stays.
#[test]
fn temp_files_of_a_killed_process_go_at_once_and_a_live_ones_stay() {
    let sb = Sandbox::new();
    let reg = neo_bq2bq_registry(&sb, "registry");
    let server = HttpServer::start(&reg.root);
    sb.write(
        "proj/optimus.yaml",
        registry_config(&server.url(""), &reg.public_key, &[("bq2bq", "*")]),
    );
    sb.plugin(&["lock", "-c", "proj/optimus.yaml", "--platform", PLAT])
        .ok();
    server.fault(
        "_linux_amd64.tar.gz",
        vec![Fault::Trickle(16, Duration::from_millis(200))],
    );
    let mut child = sb
        .command(&[
            "plugin",
            "install",
            "-c",
            "proj/optimus.yaml",
            "--platform",
            PLAT,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while temp_files(&sb.p("cache")).is_empty() || temp_files(&sb.p("proj")).is_empty() {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "no download started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL, this child only
    child.wait().unwrap();
    assert!(!temp_files(&sb.p("cache")).is_empty());
    // A download of a process that is still running (this test's own pid).
    let live = sb.write(
        &format!("cache/tmp/dl-{}-0-0", std::process::id()),
        "in flight",
    );
    sb.plugin(&["cache", "prune"]).expect(0, &[" tmp ("]);
    assert_eq!(temp_files(&sb.p("cache")), vec![live.clone()]);
    server.clear_faults();
    sb.install("proj/optimus.yaml").ok();
    no_temp_files(&[&sb.p("proj")]);
    std::fs::remove_file(live).unwrap();
    sb.on_linux("verify", "proj/optimus.yaml").ok();
}

/// A child that is stopped (by its pid) and reaped when the test ends, passed or not, so it
/// never writes into a removed sandbox.
struct Reap(std::process::Child);

impl Drop for Reap {
    fn drop(&mut self) {
        stop_child(&mut self.0);
    }
}

// ---------------------------------------------------------------------------------------------
// A server that accepts and never answers.

/// Accepts connections on 127.0.0.1; the first `hold` are kept open without a byte sent, the
/// rest closed at once (so the retries that follow end quickly).
struct Silent {
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Silent {
    fn start(hold: usize) -> Silent {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let s = stop.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for c in l.incoming() {
                if s.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                if let Ok(c) = c {
                    if held.len() < hold {
                        held.push(c);
                    }
                }
            }
        });
        Silent { port, stop }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// The installed project plus a provider on the silent server with one plugin declared.
fn silent_project(sb: &Sandbox, port: u16) {
    let reg = neo_bq2bq_installed(sb);
    let mut cfg = config(&reg, &["neo", "bq2bq"]);
    cfg = cfg.replace(
        "  plugins:\n",
        &format!(
            "    - name: quiet\n      type: registry\n      url: http://127.0.0.1:{port}/\n      allow_unsigned: true\n  plugins:\n    - name: late\n      provider: quiet\n"
        ),
    );
    sb.write("proj/optimus.yaml", cfg);
}

#[test]
fn a_server_that_never_answers_ends_at_its_deadline_and_changes_nothing() {
    let sb = Sandbox::new();
    let server = Silent::start(usize::MAX);
    silent_project(&sb, server.port);
    let before = Snapshot::take(&[sb.p("proj"), sb.p("cache")]);
    let t0 = Instant::now();
    let r = sb.on_linux_with(
        "install",
        "proj/optimus.yaml",
        &[],
        &[("OPTIMUS_READ_TIMEOUT", "2")],
    );
    let took = t0.elapsed();
    let host = format!("127.0.0.1:{}", server.port);
    let r = r.expect(
        1,
        &[
            &host,
            "timed out",
            "OPTIMUS_READ_TIMEOUT",
            "after 4 attempts",
        ],
    );
    eprintln!("a silent server ({took:?}):\n{}", r.stderr);
    // Four attempts of 2 s each, and the backoff between them: not minutes.
    assert!(took < Duration::from_secs(20), "took {took:?}");
    only_the_cache_grew(&sb, &before);
    sb.on_linux("verify", "proj/optimus.yaml").ok();
}

#[test]
fn a_terminal_hears_waiting_for_host_after_10_s_without_a_byte() {
    if Command::new("script").arg("--version").output().is_err() {
        missing("`script` (util-linux) is needed to give the command a terminal");
        return;
    }
    let sb = Sandbox::new();
    let server = Silent::start(1);
    silent_project(&sb, server.port);
    let c = sb.command(&[
        "plugin",
        "install",
        "-c",
        "proj/optimus.yaml",
        "--platform",
        PLAT,
    ]);
    let quote = |s: &std::ffi::OsStr| format!("'{}'", s.to_string_lossy().replace('\'', "'\\''"));
    let line: Vec<String> = std::iter::once(c.get_program())
        .chain(c.get_args())
        .map(quote)
        .collect();
    let mut t = Command::new("script");
    t.args([
        "-q",
        "-e",
        "-c",
        &format!("exec {}", line.join(" ")),
        "/dev/null",
    ])
    .current_dir(c.get_current_dir().unwrap())
    .env("OPTIMUS_READ_TIMEOUT", "11")
    .stdin(Stdio::null());
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => t.env(k, v),
            None => t.env_remove(k),
        };
    }
    let t0 = Instant::now();
    let r = Run::from(t.output().unwrap());
    let host = format!("127.0.0.1:{}", server.port);
    assert!(
        r.all().contains(&format!("waiting for {host} (10 s)...")),
        "{}",
        r.all()
    );
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(t0.elapsed() < Duration::from_secs(40));
    // Without a terminal (a log, CI) the line is not printed; the error names the host.
    let r = sb.on_linux_with(
        "install",
        "proj/optimus.yaml",
        &[],
        &[("OPTIMUS_READ_TIMEOUT", "1")],
    );
    assert!(!r.all().contains("waiting for"), "{}", r.all());
}
