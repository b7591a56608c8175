//! Real parts for the private-registry suite, each started here on a free 127.0.0.1 port and
//! killed by its PID when dropped: a test PKI made with the `openssl` CLI (a CA, a server
//! certificate for 127.0.0.1 signed by it, a client CA and a client certificate), nginx serving
//! a directory over TLS (optionally asking for a client certificate and a bearer token), and
//! tinyproxy as a forward proxy. A missing tool skips the test with a loud message, or fails
//! it when `CI` is set (scripts/test-deps.sh installs them).

use super::{free_port, missing, stop_child};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NGINX: &str = "/usr/sbin/nginx";

fn tool(program: &str, args: &[&str], what: &str) -> bool {
    let found = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        missing(&format!(
            "{what} is not installed: run scripts/test-deps.sh (apt-get install {what})"
        ));
    }
    found
}

#[track_caller]
fn run(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Certificates and keys under `dir`, made by `openssl`: `<name>.pem` and `<name>.key`.
pub struct Pki {
    pub dir: PathBuf,
}

impl Pki {
    /// A server CA (`ca`) and its server certificate for 127.0.0.1 and localhost (`server`),
    /// a client CA (`client-ca`) and its client certificate (`client`), and an unrelated CA
    /// (`other-ca`) with a client certificate of its own (`stranger`).
    pub fn new(dir: &Path) -> Option<Pki> {
        if !tool("openssl", &["version"], "openssl") {
            return None;
        }
        std::fs::create_dir_all(dir).unwrap();
        let pki = Pki {
            dir: dir.to_path_buf(),
        };
        pki.ca("ca", "Optimus Test CA");
        pki.leaf(
            "server",
            "ca",
            "serverAuth",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
        );
        pki.ca("client-ca", "Optimus Test Client CA");
        pki.leaf("client", "client-ca", "clientAuth", "");
        pki.ca("other-ca", "Some Other CA");
        pki.leaf("stranger", "other-ca", "clientAuth", "");
        Some(pki)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    fn ca(&self, name: &str, cn: &str) {
        run(
            &self.dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.pem"),
                "-days",
                "2",
                "-subj",
                &format!("/CN={cn}"),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
    }

    fn leaf(&self, name: &str, ca: &str, usage: &str, extra: &str) {
        run(
            &self.dir,
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                &format!("/CN={name}"),
            ],
        );
        let ext = format!(
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage={usage}\n{extra}"
        );
        std::fs::write(self.dir.join(format!("{name}.ext")), ext).unwrap();
        run(
            &self.dir,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                &format!("{ca}.pem"),
                "-CAkey",
                &format!("{ca}.key"),
                "-CAcreateserial",
                "-days",
                "2",
                "-out",
                &format!("{name}.pem"),
                "-extfile",
                &format!("{name}.ext"),
            ],
        );
    }
}

/// A child process killed (SIGKILL, by its PID) and reaped on drop.
pub struct Daemon {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
    log: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        stop_child(&mut self.child);
    }
}

impl Daemon {
    /// What the server logged (nginx's error and access logs, tinyproxy's log).
    pub fn log(&self) -> String {
        let mut s = std::fs::read_to_string(&self.log).unwrap_or_default();
        if let Ok(a) = std::fs::read_to_string(self.dir.join("access.log")) {
            s.push_str(&a);
        }
        s
    }

    fn wait_ready(mut self, what: &str) -> Daemon {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("{what} exited ({status}) before listening:\n{}", self.log());
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return self;
            }
            assert!(
                Instant::now() < deadline,
                "{what} did not listen on {} within 20 s:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}/{path}", self.port)
    }
}

/// How nginx guards the directory it serves.
#[derive(Default)]
pub struct Guard<'a> {
    /// `ssl_verify_client on` against this CA file.
    pub client_ca: Option<&'a Path>,
    /// Every request must carry `Authorization: Bearer <token>` (401 otherwise).
    pub bearer: Option<&'a str>,
}

/// nginx (`daemon off`, master + one worker) serving `root` over TLS on 127.0.0.1 with the
/// PKI's `server` certificate. Its files live in `work`. The worker runs as nobody when the
/// test runs as root: the served tree is made world-readable and its parents traversable.
pub fn nginx(work: &Path, root: &Path, pki: &Pki, guard: Guard) -> Option<Daemon> {
    if !tool(NGINX, &["-v"], "nginx") {
        return None;
    }
    std::fs::create_dir_all(work.join("tmp")).unwrap();
    readable_by_all(root);
    let port = free_port();
    let client = guard.client_ca.map_or(String::new(), |ca| {
        format!(
            "    ssl_client_certificate {};\n    ssl_verify_client on;\n",
            ca.display()
        )
    });
    let auth = guard.bearer.map_or(String::new(), |t| {
        format!("      if ($http_authorization != \"Bearer {t}\") {{ return 401; }}\n")
    });
    let w = work.display();
    let conf = format!(
        "daemon off;\nworker_processes 1;\npid {w}/nginx.pid;\nerror_log {w}/error.log info;\nevents {{ worker_connections 64; }}\nhttp {{\n  access_log {w}/access.log;\n  client_body_temp_path {w}/tmp/body;\n  proxy_temp_path {w}/tmp/proxy;\n  fastcgi_temp_path {w}/tmp/fastcgi;\n  uwsgi_temp_path {w}/tmp/uwsgi;\n  scgi_temp_path {w}/tmp/scgi;\n  default_type application/octet-stream;\n  server {{\n    listen 127.0.0.1:{port} ssl;\n    ssl_certificate {cert};\n    ssl_certificate_key {key};\n{client}    root {root};\n    location / {{\n{auth}    }}\n  }}\n}}\n",
        cert = pki.path("server.pem").display(),
        key = pki.path("server.key").display(),
        root = root.display(),
    );
    let conf_path = work.join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let log = work.join("error.log");
    let child = Command::new(NGINX)
        .args(["-e", log.to_str().unwrap(), "-c"])
        .arg(&conf_path)
        .arg("-p")
        .arg(work)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(work.join("stderr.log")).unwrap())
        .spawn()
        .expect("starting nginx");
    Some(
        Daemon {
            child,
            port,
            dir: work.to_path_buf(),
            log,
        }
        .wait_ready("nginx"),
    )
}

/// tinyproxy in the foreground on a free port, allowing 127.0.0.1 and CONNECT to
/// `connect_port` only. Its log (Info level) shows each CONNECT it served.
pub fn tinyproxy(work: &Path, connect_port: u16) -> Option<Daemon> {
    if !tool("tinyproxy", &["-v"], "tinyproxy") {
        return None;
    }
    std::fs::create_dir_all(work).unwrap();
    let port = free_port();
    let log = work.join("tinyproxy.log");
    let conf = format!(
        "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogFile \"{}\"\nLogLevel Info\nMaxClients 20\nAllow 127.0.0.1\nConnectPort {connect_port}\n",
        log.display()
    );
    let conf_path = work.join("tinyproxy.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let child = Command::new("tinyproxy")
        .arg("-d")
        .arg("-c")
        .arg(&conf_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting tinyproxy");
    Some(
        Daemon {
            child,
            port,
            dir: work.to_path_buf(),
            log,
        }
        .wait_ready("tinyproxy"),
    )
}

/// Makes `root` world-readable and every directory above it traversable (nginx's worker runs
/// as nobody under root).
fn readable_by_all(root: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fn walk(p: &Path) {
        let meta = std::fs::metadata(p).unwrap();
        let mode = meta.permissions().mode();
        let add = if meta.is_dir() { 0o555 } else { 0o444 };
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode | add)).unwrap();
        if meta.is_dir() {
            for e in std::fs::read_dir(p).unwrap().flatten() {
                walk(&e.path());
            }
        }
    }
    walk(root);
    for dir in root.ancestors().skip(1) {
        let mode = std::fs::metadata(dir).unwrap().permissions().mode();
        if mode & 0o001 == 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode | 0o111)).unwrap();
        }
    }
}
