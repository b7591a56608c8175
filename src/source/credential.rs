//! `credential_process`: a program that prints a provider's token, in the shape of cargo's
//! `cargo:token-from-stdout` provider. It runs without a shell, with stdin closed and
//! `OPTIMUS_PROVIDER_NAME` / `OPTIMUS_PROVIDER_URL` set; it exits 0 and prints the token
//! (surrounding whitespace trimmed). A bare token goes out as `Authorization: Bearer TOKEN`;
//! output of the form `SCHEME CREDENTIALS` (`Basic dXNlcjpwdw==`, `Token abc`) is sent as
//! the header's value as printed. The token is registered as a secret before anything else
//! is done with it.

use crate::error::{Error, Result};
use crate::model::redact;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long the program may take.
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs the program and returns the `Authorization` header value it yields.
pub(super) fn authorization(provider: &str, url: &str, argv: &[String]) -> Result<String> {
    let program = argv.first().map(String::as_str).unwrap_or_default();
    let fail = |msg: String| {
        Error::runtime(redact::scrub(&format!(
            "provider {provider}: credential_process `{program}` {msg}"
        )))
    };
    let mut child = Command::new(program)
        .args(&argv[1..])
        .env("OPTIMUS_PROVIDER_NAME", provider)
        .env("OPTIMUS_PROVIDER_URL", url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("could not be started: {e}")))?;
    let pipe = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(r) = r {
                let _ = r.take(1 << 20).read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = pipe(
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let err = pipe(
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if started.elapsed() < DEADLINE => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Ok(None) => {
                // Only this child, by its PID.
                let _ = child.kill();
                let _ = child.wait();
                return Err(fail(format!(
                    "did not finish within {} s",
                    DEADLINE.as_secs()
                )));
            }
            Err(e) => return Err(fail(format!("could not be waited for: {e}"))),
        }
    };
    let stdout = String::from_utf8_lossy(&out.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
    // Whatever it printed may hold the token: registered before any message is built.
    let token = stdout.trim();
    redact::register(token);
    if let Some((_, cred)) = token.split_once(' ') {
        redact::register(cred.trim());
    }
    let stderr = stderr.trim();
    let said = if stderr.is_empty() {
        String::new()
    } else {
        let lines: Vec<&str> = stderr.lines().collect();
        let shown: Vec<String> = lines[lines.len().saturating_sub(20)..]
            .iter()
            .map(|l| format!("  {}", redact::printable(&redact::scrub(l))))
            .collect();
        format!(", saying:\n{}", shown.join("\n"))
    };
    if !status.success() {
        let code = status
            .code()
            .map(|c| format!("exited with status {c}"))
            .unwrap_or_else(|| "was killed by a signal".into());
        return Err(fail(format!("{code}{said}")));
    }
    if token.is_empty() {
        return Err(fail(format!("printed no token on stdout{said}")));
    }
    if token.contains(['\n', '\r']) {
        return Err(fail(
            "printed more than one line on stdout (expected the token alone)".into(),
        ));
    }
    let value = match token.split_once(' ') {
        Some((scheme, cred))
            if !cred.trim().is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-') =>
        {
            format!("{scheme} {}", cred.trim())
        }
        Some(_) => {
            return Err(fail(
                "printed a token with spaces that is not `SCHEME CREDENTIALS`".into(),
            ))
        }
        None => format!("Bearer {token}"),
    };
    if reqwest::header::HeaderValue::from_str(&value).is_err() {
        return Err(fail(
            "printed a token that cannot go in an http header (control characters?)".into(),
        ));
    }
    redact::register(&value);
    Ok(value)
}
