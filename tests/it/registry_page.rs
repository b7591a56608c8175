//! Yank reasons (`yank --reason`), how a yanked locked version is reported (`outdated`,
//! `verify`, `install --deny-yanked`), and the registry's `index.html`: rendered by `publish`,
//! served by a real nginx on 127.0.0.1 and loaded in headless Chromium (both Debian packages;
//! scripts/test-deps.sh installs them), and written to an S3 bucket (moto) as text/html.

use crate::common::*;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REASON: &str = "CVE-2024-0001: remote code execution, use 0.3.1";

/// A registry with bq2bq 0.3.1 and 0.3.2 (linux_amd64), and a project `p/` locked to 0.3.2
/// and installed, its registry served over HTTP by the harness's server.
fn locked_project(sb: &Sandbox) -> (Registry, HttpServer) {
    let reg = Registry::new(sb, "registry");
    reg.publish_task(sb, "bq2bq", "0.3.1", &[PLAT]).ok();
    reg.publish_task(sb, "bq2bq", "0.3.2", &[PLAT]).ok();
    let server = HttpServer::start(&reg.root);
    sb.write(
        "p/optimus.yaml",
        registry_config(&server.url(""), &reg.public_key, &[("bq2bq", "^0.3")]),
    );
    sb.install("p/optimus.yaml").ok();
    assert!(sb.read("p/optimus.lock").contains("version = \"0.3.2\""));
    (reg, server)
}

#[test]
fn yank_reason_is_validated_signed_and_dropped_by_undo() {
    let sb = Sandbox::new();
    let reg = Registry::new(&sb, "registry");
    reg.publish_task(&sb, "bq2bq", "0.3.2", &[PLAT]).ok();
    let index = || std::fs::read_to_string(reg.root.join("index/bq2bq.toml")).unwrap();
    let before = index();
    for bad in ["two\nlines", "esc \u{1b}[2J", "   ", &"x".repeat(201)] {
        reg.run(&sb, "yank", &["bq2bq", "0.3.2", "--reason", bad])
            .expect(2, &["--reason"]);
        assert_eq!(index(), before, "a refused reason changes nothing");
    }
    reg.run(&sb, "yank", &["bq2bq", "0.3.2", "--reason", REASON])
        .expect(0, &[REASON]);
    let text = index();
    assert!(text.contains("yanked = true"), "{text}");
    assert!(
        text.contains(&format!("yank_reason = \"{REASON}\"")),
        "{text}"
    );
    // The reason is inside the signed bytes: the reference tool verifies them.
    if let Some(m) = minisign() {
        let pubf = sb.write(
            "keys/check.pub",
            format!("untrusted comment: k\n{}\n", reg.public_key),
        );
        let idx = reg.root.join("index/bq2bq.toml");
        let out = Command::new(m)
            .args(["-V", "-q", "-p"])
            .arg(&pubf)
            .arg("-m")
            .arg(&idx)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let page = std::fs::read_to_string(reg.root.join("index.html")).unwrap();
    assert!(page.contains(REASON), "the page shows the reason");
    reg.run(&sb, "yank", &["bq2bq", "0.3.2", "--undo"]).ok();
    let text = index();
    assert!(
        text.contains("yanked = false") && !text.contains("yank_reason"),
        "{text}"
    );
    assert!(!std::fs::read_to_string(reg.root.join("index.html"))
        .unwrap()
        .contains(REASON));
    reg.run(&sb, "yank", &["bq2bq", "0.3.2", "--undo", "--reason", "x"])
        .fails(2);
}

#[test]
fn outdated_and_verify_report_a_yanked_locked_version_with_its_reason() {
    let sb = Sandbox::new();
    let (reg, _server) = locked_project(&sb);
    reg.run(&sb, "yank", &["bq2bq", "0.3.2", "--reason", REASON])
        .ok();

    sb.plugin(&["outdated", "-c", "p/optimus.yaml"]).expect(
        0,
        &[
            "0.3.2 (yanked)",
            "bq2bq 0.3.2 (locked) is yanked",
            REASON,
            "1 locked version(s) yanked",
        ],
    );
    let r = sb
        .plugin(&["outdated", "-c", "p/optimus.yaml", "--json"])
        .ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let row = &v["plugins"][0];
    assert_eq!(row["yanked"], true, "{row}");
    assert_eq!(row["yank_reason"], REASON, "{row}");
    assert_eq!(row["wanted"], "0.3.1", "{row}");

    // verify: a warning naming the reason (files all match: exit 0) ...
    sb.on_linux("verify", "p/optimus.yaml")
        .expect(0, &["bq2bq 0.3.2 is yanked in registry reg", REASON]);
    // ... from the cached index with --offline ...
    sb.on_linux_with("verify", "p/optimus.yaml", &["--offline"], &[])
        .expect(0, &[REASON]);
    // ... and a failure with --deny-yanked.
    sb.on_linux_with("verify", "p/optimus.yaml", &["--deny-yanked"], &[])
        .expect(1, &["yanked    bq2bq 0.3.2", REASON]);
    // Un-yanked: nothing to say.
    reg.run(&sb, "yank", &["bq2bq", "0.3.2", "--undo"]).ok();
    let r = sb
        .on_linux_with("verify", "p/optimus.yaml", &["--deny-yanked"], &[])
        .ok();
    assert!(!r.stderr.contains("yanked"), "{}", r.stderr);
}

#[test]
fn install_deny_yanked_fails_and_a_plain_noop_install_stays_off_the_network() {
    let sb = Sandbox::new();
    let (reg, server) = locked_project(&sb);
    reg.run(&sb, "yank", &["bq2bq", "0.3.2", "--reason", REASON])
        .ok();
    let installed = sb.read("p/.plugins/optimus-bq2bq_linux_amd64");
    let lock = sb.read("p/optimus.lock");

    // Without the flag: the lock is satisfied, nothing is fetched, no index is read.
    server.clear_log();
    sb.install("p/optimus.yaml").ok();
    assert_eq!(server.log().len(), 0, "a no-op install reads no index");

    // With it: exit 1, naming plugin, version and reason; nothing changed.
    sb.on_linux_with("install", "p/optimus.yaml", &["--deny-yanked"], &[])
        .expect(
            1,
            &[
                "--deny-yanked",
                "bq2bq 0.3.2 is yanked in registry reg",
                REASON,
                "optimus-plugins update bq2bq",
            ],
        );
    assert!(server.hits("index/bq2bq.toml") > 0);
    assert_eq!(sb.read("p/optimus.lock"), lock);
    assert_eq!(sb.read("p/.plugins/optimus-bq2bq_linux_amd64"), installed);
    // A fresh checkout of the same lock is refused before anything is installed.
    std::fs::remove_dir_all(sb.p("p/.plugins")).unwrap();
    sb.on_linux_with("install", "p/optimus.yaml", &["--deny-yanked"], &[])
        .fails(1);
    assert!(!sb.p("p/.plugins/optimus-bq2bq_linux_amd64").exists());
    // The yaml-only `sync` checks only what it installs: bq2bq is a binary plugin.
    sb.plugin(&["sync", "-c", "p/optimus.yaml", "--deny-yanked"])
        .ok();
    // `update` moves off the yanked version; then the flag passes.
    sb.plugin(&["update", "-c", "p/optimus.yaml", "--no-install"])
        .ok();
    assert!(sb.read("p/optimus.lock").contains("version = \"0.3.1\""));
    sb.on_linux_with("install", "p/optimus.yaml", &["--deny-yanked"], &[])
        .ok();
}

// ---------------------------------------------------------------------------------------------
// The page in a browser.

/// Headless Chromium (Debian's `chromium-headless-shell` or `chromium`), or `None` (skip).
fn chromium() -> Option<(PathBuf, bool)> {
    if let Ok(p) = std::env::var("OPTIMUS_TEST_CHROMIUM") {
        return Some((PathBuf::from(p), false));
    }
    for (p, shell) in [
        ("/usr/bin/chromium-headless-shell", true),
        ("/usr/bin/chromium", false),
    ] {
        if Path::new(p).exists() {
            return Some((PathBuf::from(p), shell));
        }
    }
    missing("headless Chromium is not installed: run scripts/test-deps.sh (apt-get install chromium-headless-shell)");
    None
}

/// Runs Chromium headless on `url` with `args`; its stdout (killed by PID after 60 s).
fn browse(sb: &Sandbox, args: &[&str], url: &str) -> String {
    let (bin, shell) = chromium().expect("chromium");
    let mut c = Command::new(bin);
    if !shell {
        c.arg("--headless");
    }
    c.args([
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
    ])
    .arg(format!(
        "--user-data-dir={}",
        sb.p("chromium-profile").display()
    ))
    .args(args)
    .arg(url)
    .env("HOME", sb.p("home"))
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let mut child = c.spawn().expect("start chromium");
    let mut out = String::new();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let _ = stdout.read_to_string(&mut out);
        out
    });
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

/// nginx serving `root` on 127.0.0.1 (killed by PID on drop).
struct Nginx {
    child: Child,
    port: u16,
}

impl Nginx {
    fn start(sb: &Sandbox, root: &Path) -> Option<Nginx> {
        let bin = ["/usr/sbin/nginx", "/usr/bin/nginx"]
            .into_iter()
            .find(|p| Path::new(p).exists());
        let Some(bin) = bin else {
            missing("nginx is not installed: run scripts/test-deps.sh (apt-get install nginx)");
            return None;
        };
        // The worker runs as nobody: the served tree must be world-readable.
        make_world_readable(root);
        let dir = sb.p("nginx");
        std::fs::create_dir_all(dir.join("logs")).unwrap();
        let port = free_port();
        let conf = format!(
            "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/logs/error.log warn;\nevents {{ worker_connections 64; }}\nhttp {{\n  access_log {d}/logs/access.log;\n  default_type application/octet-stream;\n  types {{ text/html html; text/plain toml minisig; }}\n  charset utf-8;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  server {{\n    listen 127.0.0.1:{port};\n    root {root};\n    index index.html;\n  }}\n}}\n",
            d = dir.display(),
            root = root.display()
        );
        let conf_path = sb.write("nginx/nginx.conf", conf);
        let child = Command::new(bin)
            .arg("-e")
            .arg(dir.join("logs/error.log"))
            .arg("-c")
            .arg(&conf_path)
            .arg("-p")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let n = Nginx { child, port };
        let start = Instant::now();
        while get(port, "/config.toml").is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "nginx did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(n)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        stop_child(&mut self.child);
    }
}

fn make_world_readable(root: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut p = root.to_path_buf();
    // Every directory above must be traversable (the sandbox's tempdir is 0700).
    while let Some(parent) = p.parent() {
        if let Ok(m) = std::fs::metadata(parent) {
            let mode = m.permissions().mode();
            if mode & 0o001 == 0 {
                let _ =
                    std::fs::set_permissions(parent, std::fs::Permissions::from_mode(mode | 0o755));
            }
        }
        p = parent.to_path_buf();
    }
    for f in files_under(root).into_iter().chain([root.to_path_buf()]) {
        let mode = std::fs::metadata(&f).unwrap().permissions().mode();
        std::fs::set_permissions(
            &f,
            std::fs::Permissions::from_mode(mode | 0o444 | if f.is_dir() { 0o111 } else { 0 }),
        )
        .unwrap();
    }
    for e in walk_dirs(root) {
        let mode = std::fs::metadata(&e).unwrap().permissions().mode();
        std::fs::set_permissions(&e, std::fs::Permissions::from_mode(mode | 0o555)).unwrap();
    }
}

fn walk_dirs(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        if let Ok(rd) = std::fs::read_dir(&out[i]) {
            for e in rd.flatten() {
                if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    out.push(e.path());
                }
            }
        }
        i += 1;
    }
    out
}

/// One GET to 127.0.0.1:port: the response head and body (lossy text).
fn get(port: u16, path: &str) -> std::io::Result<(String, String)> {
    get_with(port, path, &[])
}

fn get_with(
    port: u16,
    path: &str,
    headers: &[(String, String)],
) -> std::io::Result<(String, String)> {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    Ok((head.to_string(), body.to_string()))
}

const EVIL: &str = "<script>document.body.innerHTML='PWNED'</script> & <b>bold</b>";

#[test]
fn registry_page_served_by_nginx_renders_in_chromium_without_running_scripts() {
    let sb = Sandbox::new();
    if chromium().is_none() {
        return;
    }
    let reg = Registry::new(&sb, "registry");
    let a = make_targz(&sb, "bq2bq", "0.3.1", PLAT);
    reg.publish(
        &sb,
        &["--type", "task", "--binary-only", "--description", EVIL],
        "bq2bq",
        "0.3.1",
        &[&a],
    )
    .ok();
    reg.publish_task(&sb, "bq2bq", "0.3.2", &[PLAT, "darwin_arm64"])
        .ok();
    reg.publish_yaml(&sb, "neo", "1.0.0").ok();
    reg.run(
        &sb,
        "yank",
        &[
            "bq2bq",
            "0.3.2",
            "--reason",
            "<i>broken</i> on arm64",
            "--public-url",
            "https://plugins.example.org/reg",
        ],
    )
    .ok();
    let Some(nginx) = Nginx::start(&sb, &reg.root) else {
        return;
    };
    let (head, body) = get(nginx.port, "/").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/html"),
        "{head}"
    );
    assert!(
        !body.to_ascii_lowercase().contains("<script"),
        "no script element is served"
    );

    let dom = browse(
        &sb,
        &["--dump-dom"],
        &format!("http://127.0.0.1:{}/", nginx.port),
    );
    // The script did not run (it would have replaced the body) and shows as text.
    assert!(dom.contains("&lt;script&gt;document.body.innerHTML='PWNED'&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"), "{dom}");
    assert!(!dom.contains("<b>bold</b>"), "{dom}");
    for want in [
        "<h1>registry</h1>",
        "id=\"plugin-bq2bq\"",
        "id=\"plugin-neo\"",
        "id=\"bq2bq-0.3.2\"",
        "id=\"bq2bq-0.3.1\"",
        "<strong>yanked</strong>: &lt;i&gt;broken&lt;/i&gt; on arm64",
        "darwin_arm64",
        "tar.gz",
        &sha256_file(&a),
        &reg.public_key,
        "url: \"https://plugins.example.org/reg\"",
        // The snippet asks for the newest version that is not yanked.
        "- name: bq2bq\n      provider: registry\n      version: \"0.3.1\"",
        "- name: neo\n      provider: registry\n      version: \"1.0.0\"",
    ] {
        assert!(dom.contains(want), "{want:?} not in the page:\n{dom}");
    }
    // Newest first.
    assert!(dom.find("id=\"bq2bq-0.3.2\"").unwrap() < dom.find("id=\"bq2bq-0.3.1\"").unwrap());
    // The artifact links resolve on the served registry.
    let href = "artifacts/bq2bq/0.3.1/optimus-bq2bq_0.3.1_linux_amd64.tar.gz";
    assert!(dom.contains(&format!("href=\"./{href}\"")), "{dom}");
    let (head, _) = get(nginx.port, &format!("/{href}")).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");

    // Publishing nothing new gives the same page (deterministic, no clock but the snapshot's).
    let page = std::fs::read_to_string(reg.root.join("index.html")).unwrap();
    let ts = std::fs::read_to_string(reg.root.join("timestamp.toml")).unwrap();
    let expires = ts.lines().find(|l| l.starts_with("expires")).unwrap();
    let expires = expires.split('"').nth(1).unwrap();
    assert!(page.contains(expires));
}

#[test]
fn demo_registry_page_screenshot() {
    let sb = Sandbox::new();
    if chromium().is_none() {
        return;
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let page = repo.join("registry-index/index.html");
    assert!(
        page.exists(),
        "scripts/build-demo-registry.sh writes registry-index/index.html"
    );
    let root = sb.p("demo");
    copy_dir(&repo.join("registry-index"), &root);
    let Some(nginx) = Nginx::start(&sb, &root) else {
        return;
    };
    let shot = sb.p("shot.png");
    browse(
        &sb,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,1600",
        ],
        &format!("http://127.0.0.1:{}/", nginx.port),
    );
    let png = std::fs::read(&shot).expect("chromium wrote a screenshot");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
    // OPTIMUS_UPDATE_SCREENSHOT=1 keeps it as docs/registry-page.png.
    if std::env::var_os("OPTIMUS_UPDATE_SCREENSHOT").is_some() {
        std::fs::write(repo.join("docs/registry-page.png"), &png).unwrap();
    }
}

#[test]
fn s3_registry_page_is_text_html() {
    let sb = Sandbox::new();
    let Some(emu) = moto(&sb) else { return };
    s3_bucket(&emu, "plugins");
    let env = s3_env(&emu);
    let e: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (key, _) = keygen(&sb, "s3");
    let y = make_yaml(&sb, "neo", "1.0.0");
    let key = key.display().to_string();
    let y = y.display().to_string();
    sb.run_env(
        &[
            "plugin",
            "publish",
            "--registry",
            "s3://plugins/reg",
            "--secret-key",
            &key,
            "neo",
            "1.0.0",
            &y,
        ],
        &e,
    )
    .ok();
    sb.run_env(
        &[
            "plugin",
            "yank",
            "--registry",
            "s3://plugins/reg",
            "--secret-key",
            &key,
            "neo",
            "1.0.0",
            "--reason",
            "superseded",
        ],
        &e,
    )
    .ok();
    let (head, body) = get_with(emu.port, "/plugins/reg/index.html", &s3_auth()).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/html; charset=utf-8"),
        "{head}"
    );
    assert!(
        body.contains("<strong>yanked</strong>: superseded"),
        "{body}"
    );
    assert!(body.contains("url: &quot;s3://plugins/reg&quot;"), "{body}");
}
