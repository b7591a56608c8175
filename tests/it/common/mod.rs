//! Test harness shared by the integration suites: the real `optimus` binary, temp projects,
//! registries built with `keygen` + `publish`, and a real HTTP/1.1 server on 127.0.0.1 that
//! serves a directory with ETags and can misbehave on purpose.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_optimus"))
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

    /// Runs `optimus <args>` in the sandbox root.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    pub fn run_env(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        self.run_in(self.path(), args, extra)
    }

    pub fn run_in(&self, cwd: &Path, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut c = Command::new(bin());
        c.args(args)
            .current_dir(cwd)
            .env_remove("OPTIMUS_PLUGIN_DIR")
            .env_remove("OPTIMUS_PLUGIN_ARTIFACTS");
        for (k, v) in &self.env {
            c.env(k, v);
        }
        for (k, v) in extra {
            c.env(k, v);
        }
        Run::from(c.output().expect("run optimus"))
    }

    /// `plugin <verb> ...` shorthand.
    pub fn plugin(&self, args: &[&str]) -> Run {
        let mut a = vec!["plugin"];
        a.extend_from_slice(args);
        self.run(&a)
    }
}

/// A signed registry in `<sandbox>/<name>`, built with the real `keygen` and `publish`.
pub struct Registry {
    pub root: PathBuf,
    pub key: PathBuf,
    pub public_key: String,
}

impl Registry {
    pub fn new(sb: &Sandbox, name: &str) -> Registry {
        let root = sb.p(name);
        let prefix = sb.p(&format!("keys/{name}"));
        sb.plugin(&["keygen", "--output", prefix.to_str().unwrap()])
            .ok();
        let pub_text = std::fs::read_to_string(format!("{}.pub", prefix.display())).unwrap();
        Registry {
            root,
            key: PathBuf::from(format!("{}.key", prefix.display())),
            public_key: pub_text.lines().nth(1).unwrap().trim().to_string(),
        }
    }

    pub fn publish(
        &self,
        sb: &Sandbox,
        extra: &[&str],
        name: &str,
        version: &str,
        artifacts: &[&Path],
    ) -> Run {
        let mut args: Vec<String> = vec![
            "publish".into(),
            "--registry".into(),
            self.root.display().to_string(),
            "--secret-key".into(),
            self.key.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(name.into());
        args.push(version.into());
        args.extend(artifacts.iter().map(|p| p.display().to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        sb.plugin(&refs)
    }
}

/// A yaml plugin's text.
pub fn yaml_plugin(name: &str, version: &str) -> String {
    format!(
        "name: {name}\ndescription: test plugin {name}\nplugintype: task\npluginversion: {version}\nimage: example.org/{name}:{version}\nquestions:\n- name: Q1\n  prompt: first\n"
    )
}

/// Writes `optimus-plugin-<name>.yaml` for a version under `<sandbox>/build/<name>/<version>/`.
pub fn make_yaml(sb: &Sandbox, name: &str, version: &str) -> PathBuf {
    sb.write(
        &format!("build/{name}/{version}/optimus-plugin-{name}.yaml"),
        yaml_plugin(name, version),
    )
}

/// The script body of a test binary plugin.
pub fn script(name: &str, version: &str, platform: &str) -> String {
    format!("#!/bin/sh\necho \"{name} {version} {platform}\"\n")
}

/// Builds `optimus-<name>_<version>_<platform>.tar.gz` holding `optimus-<name>_<platform>` and
/// a README.
pub fn make_targz(sb: &Sandbox, name: &str, version: &str, platform: &str) -> PathBuf {
    let entries = vec![
        (
            format!("optimus-{name}_{platform}"),
            script(name, version, platform).into_bytes(),
            0o755,
        ),
        ("README.md".to_string(), b"readme\n".to_vec(), 0o644),
    ];
    let path = sb.p(&format!(
        "build/{name}/{version}/optimus-{name}_{version}_{platform}.tar.gz"
    ));
    write_targz(&path, &entries);
    path
}

pub fn write_targz(path: &Path, entries: &[(String, Vec<u8>, u32)]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::File::create(path).unwrap();
    let gz = flate2::write::GzEncoder::new(f, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (name, data, mode) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(*mode);
        h.set_cksum();
        tar.append_data(&mut h, name, &data[..]).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

pub fn write_zip(path: &Path, entries: &[(String, Vec<u8>, u32)]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    for (name, data, mode) in entries {
        let o = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
        z.start_file(name.as_str(), o).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
}

pub fn sha256_file(p: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
}

/// A registry provider block for optimus.yaml.
pub fn registry_config(url: &str, key: &str, plugins: &[(&str, &str)]) -> String {
    let mut s = format!(
        "plugins:\n  providers:\n    - name: reg\n      type: registry\n      url: {url}\n      public_keys: [\"{key}\"]\n  plugins:\n"
    );
    for (name, req) in plugins {
        s.push_str(&format!(
            "    - name: {name}\n      provider: reg\n      version: \"{req}\"\n"
        ));
    }
    s
}

// ---------------------------------------------------------------------------------------------
// A real HTTP/1.1 server on 127.0.0.1.

/// How the server answers one request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this status and body (and a Retry-After header if given).
    Status(u16, Option<u64>),
    /// Send the right headers, then only the first N bytes of the body, then close.
    Truncate(usize),
    /// Announce a Content-Length larger than the body by N and close after the body.
    LieLength(usize),
    /// Send headers, then stall for this long before the body.
    Stall(Duration),
    /// Close the connection without answering.
    Drop,
    /// Serve these bytes instead of the file.
    Replace(Vec<u8>),
}

#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
}

#[derive(Default)]
struct State {
    /// path suffix -> faults to apply to the next requests, in order.
    faults: HashMap<String, Vec<Fault>>,
    /// Required `Authorization` header value, if any.
    auth: Option<String>,
    log: Vec<Request>,
}

pub struct HttpServer {
    pub port: u16,
    pub root: PathBuf,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl HttpServer {
    /// Serves `root` on 127.0.0.1 on a free port.
    pub fn start(root: &Path) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp, rt) = (state.clone(), stop.clone(), root.to_path_buf());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if sp.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (st, rt) = (st.clone(), rt.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, &rt, &st);
                });
            }
        });
        HttpServer {
            port,
            root: root.to_path_buf(),
            state,
            stop,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}/{}",
            self.port,
            path.trim_start_matches('/')
        )
    }

    /// Queues faults for requests whose path ends with `suffix`.
    pub fn fault(&self, suffix: &str, faults: Vec<Fault>) {
        self.state
            .lock()
            .unwrap()
            .faults
            .entry(suffix.to_string())
            .or_default()
            .extend(faults);
    }

    pub fn require_auth(&self, value: &str) {
        self.state.lock().unwrap().auth = Some(value.to_string());
    }

    pub fn log(&self) -> Vec<Request> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn clear_log(&self) {
        self.state.lock().unwrap().log.clear();
    }

    pub fn hits(&self, suffix: &str) -> usize {
        self.log()
            .iter()
            .filter(|r| r.path.ends_with(suffix))
            .count()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(mut conn: TcpStream, root: &Path, state: &Mutex<State>) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let raw_path = parts.next().unwrap_or("/").to_string();
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        if let Some(len) = headers
            .get("content-length")
            .and_then(|l| l.parse::<usize>().ok())
        {
            let mut body = vec![0; len];
            reader.read_exact(&mut body)?;
        }
        let path = raw_path.split('?').next().unwrap_or("/").to_string();
        let (fault, auth) = {
            let mut s = state.lock().unwrap();
            s.log.push(Request {
                method: method.clone(),
                path: path.clone(),
                headers: headers.clone(),
            });
            let key = s
                .faults
                .keys()
                .find(|k| path.ends_with(k.as_str()))
                .cloned();
            let fault = key.and_then(|k| {
                let q = s.faults.get_mut(&k).unwrap();
                (!q.is_empty()).then(|| q.remove(0))
            });
            (fault, s.auth.clone())
        };
        if let Some(required) = auth {
            if headers.get("authorization") != Some(&required) {
                respond(&mut conn, 401, &[], b"unauthorized\n")?;
                continue;
            }
        }
        let rel = percent_decode(path.trim_start_matches('/'));
        let file = root.join(&rel);
        let body = match &fault {
            Some(Fault::Replace(b)) => Some(b.clone()),
            _ if rel.split('/').any(|c| c == "..") => None,
            _ => std::fs::read(&file).ok().filter(|_| file.is_file()),
        };
        match fault {
            Some(Fault::Status(code, retry)) => {
                let h: Vec<(String, String)> = retry
                    .map(|r| vec![("Retry-After".into(), r.to_string())])
                    .unwrap_or_default();
                respond(&mut conn, code, &h, b"fault\n")?;
                continue;
            }
            Some(Fault::Drop) => return Ok(()),
            _ => {}
        }
        let Some(body) = body else {
            respond(&mut conn, 404, &[], b"not found\n")?;
            continue;
        };
        let etag = format!("\"{}\"", {
            use sha2::Digest;
            hex::encode(&sha2::Sha256::digest(&body)[..8])
        });
        if headers.get("if-none-match") == Some(&etag) {
            respond(&mut conn, 304, &[("ETag".into(), etag)], b"")?;
            continue;
        }
        let hdrs = vec![("ETag".to_string(), etag)];
        match fault {
            Some(Fault::Truncate(n)) => {
                write_head(&mut conn, 200, &hdrs, body.len())?;
                conn.write_all(&body[..n.min(body.len())])?;
                return Ok(());
            }
            Some(Fault::LieLength(extra)) => {
                write_head(&mut conn, 200, &hdrs, body.len() + extra)?;
                conn.write_all(&body)?;
                return Ok(());
            }
            Some(Fault::Stall(d)) => {
                write_head(&mut conn, 200, &hdrs, body.len())?;
                conn.flush()?;
                std::thread::sleep(d);
                conn.write_all(&body)?;
            }
            _ => {
                if method == "HEAD" {
                    write_head(&mut conn, 200, &hdrs, body.len())?;
                } else {
                    respond(&mut conn, 200, &hdrs, &body)?;
                }
            }
        }
    }
}

fn write_head(
    conn: &mut TcpStream,
    code: u16,
    headers: &[(String, String)],
    len: usize,
) -> std::io::Result<()> {
    let reason = match code {
        200 => "OK",
        304 => "Not Modified",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut head = format!("HTTP/1.1 {code} {reason}\r\nContent-Length: {len}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    conn.write_all(head.as_bytes())
}

fn respond(
    conn: &mut TcpStream,
    code: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    write_head(
        conn,
        code,
        headers,
        if code == 304 { 0 } else { body.len() },
    )?;
    if code != 304 {
        conn.write_all(body)?;
    }
    conn.flush()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Hostile-input helpers (tests/hostile_*.rs).

/// One raw tar entry: whatever name, link target and type byte the test wants, including those
/// the `tar` crate refuses to build (absolute, `..`, devices).
#[derive(Clone, Debug)]
pub struct RawEntry {
    pub name: String,
    pub link: String,
    pub kind: u8,
    pub data: Vec<u8>,
    pub mode: u32,
}

impl RawEntry {
    pub fn file(name: &str, data: &[u8]) -> RawEntry {
        RawEntry {
            name: name.into(),
            link: String::new(),
            kind: b'0',
            data: data.to_vec(),
            mode: 0o755,
        }
    }
    pub fn symlink(name: &str, target: &str) -> RawEntry {
        RawEntry {
            name: name.into(),
            link: target.into(),
            kind: b'2',
            data: Vec::new(),
            mode: 0o777,
        }
    }
    pub fn hardlink(name: &str, target: &str) -> RawEntry {
        RawEntry {
            kind: b'1',
            ..RawEntry::symlink(name, target)
        }
    }
    pub fn special(name: &str, kind: u8) -> RawEntry {
        RawEntry {
            kind,
            ..RawEntry::file(name, b"")
        }
    }
}

fn octal(field: &mut [u8], v: u64) {
    let n = field.len() - 1;
    let s = format!("{:0width$o}", v, width = n);
    field[..n].copy_from_slice(s.as_bytes());
    field[n] = 0;
}

fn raw_header(name: &[u8], link: &[u8], kind: u8, size: u64, mode: u32) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
    octal(&mut h[100..108], mode as u64);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 0);
    h[156] = kind;
    h[157..157 + link.len().min(100)].copy_from_slice(&link[..link.len().min(100)]);
    h[257..263].copy_from_slice(b"ustar ");
    h[263..265].copy_from_slice(b" \0");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    h
}

/// Raw (uncompressed) tar bytes; names over 100 bytes use GNU long-name records.
pub fn raw_tar(entries: &[RawEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    let pad = |out: &mut Vec<u8>| {
        while !out.len().is_multiple_of(512) {
            out.push(0);
        }
    };
    for e in entries {
        if e.name.len() > 100 {
            let mut long = e.name.as_bytes().to_vec();
            long.push(0);
            out.extend_from_slice(&raw_header(
                b"././@LongLink",
                b"",
                b'L',
                long.len() as u64,
                0,
            ));
            out.extend_from_slice(&long);
            pad(&mut out);
        }
        out.extend_from_slice(&raw_header(
            e.name.as_bytes(),
            e.link.as_bytes(),
            e.kind,
            e.data.len() as u64,
            e.mode,
        ));
        out.extend_from_slice(&e.data);
        pad(&mut out);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

pub fn write_raw_targz(path: &Path, entries: &[RawEntry]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, gzip(&raw_tar(entries))).unwrap();
}

/// A zip whose entries may be symlinks (`link: Some(target)`) or carry any unix mode; names
/// are written as given (absolute, `..`).
pub fn write_raw_zip(path: &Path, entries: &[(&str, Option<&str>, &[u8], u32)]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    for (name, link, data, mode) in entries {
        let o = zip::write::SimpleFileOptions::default()
            .unix_permissions(*mode)
            .compression_level(Some(1));
        match link {
            Some(t) => z.add_symlink(*name, *t, o).unwrap(),
            None => {
                z.start_file(*name, o).unwrap();
                z.write_all(data).unwrap();
            }
        }
    }
    z.finish().unwrap();
}

/// Every regular file under `root` (relative path → bytes), skipping `skip` prefixes.
pub fn tree(root: &Path, skip: &[&str]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    fn walk(
        base: &Path,
        dir: &Path,
        skip: &[&str],
        out: &mut std::collections::BTreeMap<String, Vec<u8>>,
    ) {
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

impl Registry {
    /// Re-signs `index/<name>.toml` as it now is, with this registry's key.
    pub fn resign(&self, name: &str) {
        let path = self.root.join(format!("index/{name}.toml"));
        let data = std::fs::read(&path).unwrap();
        let key = optimus_plugins::signing::SigningKey::load(&self.key, None).unwrap();
        let sig = key.sign(&data, &format!("{name}.toml")).unwrap();
        std::fs::write(format!("{}.minisig", path.display()), sig).unwrap();
    }

    /// What a hostile publisher can do that `publish` refuses: puts `bytes` in place of a
    /// published artifact and signs an index that records their hash and size.
    pub fn replace_artifact(&self, name: &str, version: &str, file: &str, bytes: &[u8]) {
        let art = self.root.join(format!("artifacts/{name}/{version}/{file}"));
        let old_sha = sha256_file(&art);
        let old_len = std::fs::metadata(&art).unwrap().len();
        std::fs::write(&art, bytes).unwrap();
        let new_sha = sha256_file(&art);
        let idx = self.root.join(format!("index/{name}.toml"));
        let text = std::fs::read_to_string(&idx).unwrap();
        assert!(text.contains(&old_sha));
        let text = text.replace(&old_sha, &new_sha).replace(
            &format!("size = {old_len}\n"),
            &format!("size = {}\n", bytes.len()),
        );
        std::fs::write(&idx, text).unwrap();
        self.resign(name);
    }
}

impl HttpServer {
    /// Drops every queued fault (those a run did not use up).
    pub fn clear_faults(&self) {
        self.state.lock().unwrap().faults.clear();
    }
}
