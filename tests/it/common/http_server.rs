//! A real HTTP/1.1 server on 127.0.0.1 that serves a directory with ETags and can misbehave on
//! purpose: injected faults, required credentials, and a log of every request.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    /// Serve the file with these extra response headers (`Content-Encoding`, `Content-Type`).
    Headers(Vec<(String, String)>),
    /// Answer `302 Found` with this `Location`.
    Redirect(String),
    /// Send the body N bytes at a time, pausing this long between pieces.
    Trickle(usize, Duration),
}

/// One request as the server saw it (the log).
#[derive(Clone, Debug)]
pub struct Request {
    /// Read by no test yet; shown when a log is printed in a failure message.
    #[allow(dead_code)]
    pub method: String,
    pub path: String,
    /// The query, if the request had one.
    pub query: Option<String>,
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

    /// Drops every queued fault (those a run did not use up).
    pub fn clear_faults(&self) {
        self.state.lock().unwrap().faults.clear();
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
                query: raw_path.split_once('?').map(|(_, q)| q.to_string()),
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
            Some(Fault::Redirect(to)) => {
                respond(&mut conn, 302, &[("Location".into(), to.clone())], b"")?;
                continue;
            }
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
        let mut hdrs = vec![("ETag".to_string(), etag)];
        if let Some(Fault::Headers(extra)) = &fault {
            hdrs.extend(extra.iter().cloned());
        }
        match fault {
            Some(Fault::Trickle(n, pause)) => {
                write_head(&mut conn, 200, &hdrs, body.len())?;
                for piece in body.chunks(n.max(1)) {
                    conn.write_all(piece)?;
                    conn.flush()?;
                    std::thread::sleep(pause);
                }
            }
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
        302 => "Found",
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

/// An Optimus server as `sync --host` sees it: the yaml bundle it serves at `/plugins`, and
/// a client syncing from it.
impl super::Sandbox {
    /// Replaces `<sandbox>/www/plugins` (serve `www/` with [`HttpServer::start`]) with a zip
    /// of these `(entry name, bytes)` entries.
    pub fn write_bundle<N: AsRef<str>, B: AsRef<[u8]>>(&self, entries: &[(N, B)]) {
        let entries: Vec<(String, Vec<u8>, u32)> = entries
            .iter()
            .map(|(n, b)| (n.as_ref().to_string(), b.as_ref().to_vec(), 0o644))
            .collect();
        let _ = std::fs::remove_file(self.p("www/plugins"));
        super::write_zip(&self.p("www/plugins"), &entries);
    }

    /// `optimus plugin sync --host <server>`, run from `<sandbox>/client` (made if missing).
    pub fn sync_host(&self, server: &HttpServer) -> super::Run {
        std::fs::create_dir_all(self.p("client")).unwrap();
        self.run_in(
            &self.p("client"),
            &["plugin", "sync", "--host", &server.url("")],
            &[],
        )
    }
}
