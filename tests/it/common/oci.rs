//! A real container registry for the tests: Debian's `docker-registry` (distribution 2.8),
//! started on a free 127.0.0.1 port with filesystem storage in the sandbox and killed by its PID
//! on drop; images pushed to it through the HTTP API (blob uploads, then a manifest); and, for
//! bearer auth, a token server run here (a thread) that signs RS256 JWTs with a key whose
//! self-signed certificate the registry trusts (`rootcertbundle`). Keys, certificates and
//! signatures are made by the `openssl` CLI.
//!
//! The registry is `OPTIMUS_TEST_DOCKER_REGISTRY`, else `/usr/bin/docker-registry` (apt-get
//! install docker-registry, see scripts/test-deps.sh). Missing: skip loudly, or fail under CI.

use super::{free_port, missing, Sandbox};
use base64::Engine;
use sha2::Digest;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const SERVICE: &str = "optimus-test-registry";
const ISSUER: &str = "optimus-test-issuer";

pub fn sha256(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(b)))
}

/// One HTTP/1.1 exchange: status, headers (names lower-cased) and body.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..end]).to_string();
    let mut lines = head.lines();
    let code = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let hdrs = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (code, hdrs, raw[end..].to_vec())
}

fn header<'a>(h: &'a [(String, String)], k: &str) -> Option<&'a str> {
    h.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

/// Makes a token for the given scopes.
type Minter = Box<dyn Fn(&[String]) -> String>;

/// The registry process, killed (SIGKILL, by its PID) and reaped on drop.
pub struct Registry {
    child: Child,
    pub port: u16,
    /// Makes push tokens, when the registry wants bearer tokens.
    minter: Option<Minter>,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn registry_binary() -> Option<PathBuf> {
    let p = std::env::var_os("OPTIMUS_TEST_DOCKER_REGISTRY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/docker-registry"));
    if p.is_file() {
        Some(p)
    } else {
        missing(&format!(
            "docker-registry not found at {} (apt-get install docker-registry, or run scripts/test-deps.sh; OPTIMUS_TEST_DOCKER_REGISTRY overrides)",
            p.display()
        ));
        None
    }
}

pub fn openssl_available() -> bool {
    if Command::new("openssl").arg("version").output().is_ok() {
        return true;
    }
    missing("openssl not found (apt-get install openssl)");
    false
}

impl Registry {
    /// Starts a registry; with `token`, it accepts only bearer tokens from that server.
    pub fn start(sb: &Sandbox, token: Option<&TokenServer>) -> Option<Registry> {
        let bin = registry_binary()?;
        let port = free_port();
        let dir = sb.p(&format!("registry-{port}"));
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let auth = match token {
            Some(t) => format!(
                "auth:\n  token:\n    realm: {}\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
                t.realm(),
                t.cert.display()
            ),
            None => String::new(),
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: optimus-test-secret\n{auth}",
            dir.join("data").display()
        );
        std::fs::write(dir.join("config.yml"), config).unwrap();
        let log = std::fs::File::create(dir.join("registry.log")).unwrap();
        let child = Command::new(&bin)
            .arg("serve")
            .arg(dir.join("config.yml"))
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let reg = Registry {
            child,
            port,
            minter: token.map(|t| Box::new(t.minter()) as Minter),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(dir.join("registry.log")).unwrap_or_default();
                panic!("docker-registry did not come up on port {port}:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(reg)
    }

    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn auth(&self, path: &str) -> Vec<(&str, String)> {
        let repo = path.trim_start_matches("/v2/");
        let repo = repo
            .split_once("/blobs/")
            .or_else(|| repo.split_once("/manifests/"))
            .map_or(repo, |(r, _)| r);
        match &self.minter {
            Some(m) => vec![(
                "Authorization",
                format!("Bearer {}", m(&[format!("repository:{repo}:pull,push")])),
            )],
            None => Vec::new(),
        }
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let auth = self.auth(path);
        let mut h: Vec<(&str, &str)> = auth.iter().map(|(k, v)| (*k, v.as_str())).collect();
        h.extend_from_slice(extra);
        request(self.port, method, path, &h, body)
    }

    /// Uploads a blob (POST an upload, PUT its bytes with the digest); returns the digest.
    pub fn push_blob(&self, repo: &str, data: &[u8]) -> String {
        let digest = sha256(data);
        let (code, h, body) = self.send("POST", &format!("/v2/{repo}/blobs/uploads/"), &[], b"");
        assert_eq!(
            code,
            202,
            "starting an upload: {}",
            String::from_utf8_lossy(&body)
        );
        let loc = header(&h, "location").expect("upload location").to_string();
        let path = match loc.find("/v2/") {
            Some(i) => &loc[i..],
            None => &loc[..],
        };
        let sep = if path.contains('?') { '&' } else { '?' };
        let (code, _, body) = self.send(
            "PUT",
            &format!("{path}{sep}digest={digest}"),
            &[("Content-Type", "application/octet-stream")],
            data,
        );
        assert_eq!(
            code,
            201,
            "finishing an upload: {}",
            String::from_utf8_lossy(&body)
        );
        digest
    }

    /// Pushes an image (a config blob and one layer) under `tag`; `oci` picks the OCI
    /// manifest media type over Docker's v2. Returns the manifest's digest.
    pub fn push_image(&self, repo: &str, tag: &str, layer: &[u8], oci: bool) -> String {
        let config = format!(
            "{{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{{\"type\":\"layers\",\"diff_ids\":[\"{}\"]}}}}",
            sha256(layer)
        );
        let cfg = self.push_blob(repo, config.as_bytes());
        let lay = self.push_blob(repo, layer);
        let (mt, cmt, lmt) = if oci {
            (
                "application/vnd.oci.image.manifest.v1+json",
                "application/vnd.oci.image.config.v1+json",
                "application/vnd.oci.image.layer.v1.tar",
            )
        } else {
            (
                "application/vnd.docker.distribution.manifest.v2+json",
                "application/vnd.docker.container.image.v1+json",
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
            )
        };
        let manifest = format!(
            "{{\"schemaVersion\":2,\"mediaType\":\"{mt}\",\"config\":{{\"mediaType\":\"{cmt}\",\"size\":{},\"digest\":\"{cfg}\"}},\"layers\":[{{\"mediaType\":\"{lmt}\",\"size\":{},\"digest\":\"{lay}\"}}]}}",
            config.len(),
            layer.len()
        );
        let (code, h, body) = self.send(
            "PUT",
            &format!("/v2/{repo}/manifests/{tag}"),
            &[("Content-Type", mt)],
            manifest.as_bytes(),
        );
        assert_eq!(
            code,
            201,
            "pushing a manifest: {}",
            String::from_utf8_lossy(&body)
        );
        let digest = sha256(manifest.as_bytes());
        assert_eq!(header(&h, "docker-content-digest"), Some(digest.as_str()));
        digest
    }
}

/// One request the token server saw: its path and query, and its Authorization header.
#[derive(Clone, Debug)]
pub struct TokenRequest {
    pub target: String,
    pub authorization: Option<String>,
}

/// A token server on a free 127.0.0.1 port (a thread, stopped on drop). It answers
/// `GET /token?service=..&scope=..` with a JWT for the asked scopes, and only to requests with
/// `Authorization: Basic <user:pass>` when `basic` is set.
pub struct TokenServer {
    pub port: u16,
    key: PathBuf,
    pub cert: PathBuf,
    x5c: String,
    pub seen: Arc<Mutex<Vec<TokenRequest>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn b64url(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn sign(key: &Path, input: &[u8]) -> Vec<u8> {
    let mut c = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl dgst");
    c.stdin.take().unwrap().write_all(input).unwrap();
    let out = c.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl dgst -sign failed");
    out.stdout
}

fn query_values(target: &str, key: &str) -> Vec<String> {
    let q = target.split_once('?').map(|(_, q)| q).unwrap_or("");
    url::form_urlencoded::parse(q.as_bytes())
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .collect()
}

impl TokenServer {
    pub fn start(sb: &Sandbox, basic: Option<(&str, &str)>) -> TokenServer {
        let dir = sb.p("token-server");
        std::fs::create_dir_all(&dir).unwrap();
        let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
        let out = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=optimus-test-token",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("openssl req");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let pem = std::fs::read_to_string(&cert).unwrap();
        let x5c: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let want = basic.map(|(u, p)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )
        });
        let mut server = TokenServer {
            port,
            key,
            cert,
            x5c,
            seen: seen.clone(),
            stop: stop.clone(),
            thread: None,
        };
        let minter = server.minter();
        server.thread = Some(std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut first = String::new();
                let _ = reader.read_line(&mut first);
                let mut authorization = None;
                loop {
                    let mut l = String::new();
                    if reader.read_line(&mut l).unwrap_or(0) == 0 || l.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = l.split_once(':') {
                        if k.trim().eq_ignore_ascii_case("authorization") {
                            authorization = Some(v.trim().to_string());
                        }
                    }
                }
                let target = first.split_whitespace().nth(1).unwrap_or("").to_string();
                seen.lock().unwrap().push(TokenRequest {
                    target: target.clone(),
                    authorization: authorization.clone(),
                });
                let (status, body) = if want.is_some() && authorization != want {
                    (
                        "401 Unauthorized",
                        "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}".to_string(),
                    )
                } else {
                    let scopes = query_values(&target, "scope");
                    let token = minter(&scopes);
                    (
                        "200 OK",
                        format!("{{\"token\":\"{token}\",\"expires_in\":300}}"),
                    )
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        }));
        server
    }

    pub fn realm(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    /// A function that makes a token granting the actions of each `repository:NAME:ACTIONS`
    /// scope.
    fn minter(&self) -> impl Fn(&[String]) -> String + Send + 'static {
        let (key, x5c) = (self.key.clone(), self.x5c.clone());
        move |scopes: &[String]| {
            let access: Vec<String> = scopes
                .iter()
                .filter_map(|s| {
                    let mut p = s.splitn(3, ':');
                    let (kind, name, actions) = (p.next()?, p.next()?, p.next()?);
                    let acts: Vec<String> =
                        actions.split(',').map(|a| format!("\"{a}\"")).collect();
                    Some(format!(
                        "{{\"type\":\"{kind}\",\"name\":\"{name}\",\"actions\":[{}]}}",
                        acts.join(",")
                    ))
                })
                .collect();
            jwt(&key, &x5c, &access.join(","))
        }
    }
}

fn jwt(key: &Path, x5c: &str, access: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = format!("{{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5c\":[\"{x5c}\"]}}");
    let claims = format!(
        "{{\"iss\":\"{ISSUER}\",\"sub\":\"tester\",\"aud\":\"{SERVICE}\",\"exp\":{},\"nbf\":{},\"iat\":{},\"jti\":\"{}\",\"access\":[{access}]}}",
        now + 600,
        now - 60,
        now - 60,
        now.wrapping_mul(2654435761) ^ u64::from(std::process::id())
    );
    let input = format!(
        "{}.{}",
        b64url(header.as_bytes()),
        b64url(claims.as_bytes())
    );
    let sig = sign(key, input.as_bytes());
    format!("{input}.{}", b64url(&sig))
}
