//! `credential_process`: a program that prints a provider's token, in the shape of cargo's
//! `cargo:token-from-stdout` provider. It runs without a shell, with stdin closed and
//! `OPTIMUS_PROVIDER_NAME` / `OPTIMUS_PROVIDER_URL` set; it exits 0 and prints the token
//! (surrounding whitespace trimmed). A bare token goes out as `Authorization: Bearer TOKEN`;
//! output of the form `SCHEME CREDENTIALS` (`Basic dXNlcjpwdw==`, `Token abc`) is sent as
//! the header's value as printed. The token is registered as a secret before anything else
//! is done with it.
//!
//! The program runs in a process group of its own and has a deadline (`OPTIMUS_CREDENTIAL_TIMEOUT`,
//! 60 s by default) for printing its token and closing its output: past it, the whole group is
//! killed (a child it left behind included) and reaped. A child left running in the group that
//! keeps the output open after the program exited is killed too (it would hold the install);
//! a helper that means to leave a daemon must detach it (`setsid`, output closed).

use crate::error::{Error, Result};
use crate::model::redact;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long the output of a program that exited may stay open (held by a child it left).
const LINGER: Duration = Duration::from_millis(500);

/// Kills the program's process group (its children with it), by the group id it was started
/// with; then reaps the program.
fn kill_group(child: &mut Child) {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::process::kill_process_group(
            rustix::process::Pid::from_child(child),
            rustix::process::Signal::KILL,
        );
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .status();
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A provider's credential program that failed: whose, and how (exit 1; the text is scrubbed,
/// the program may have printed its token).
pub(super) fn failed(provider: &str, how: &str) -> Error {
    Error::runtime(redact::scrub(&format!(
        "provider {provider}: credential_process {how}"
    )))
}

/// Runs the program and returns the `Authorization` header value it yields.
pub(super) fn authorization(
    provider: &str,
    url: &str,
    argv: &[String],
    deadline: Duration,
) -> Result<String> {
    let program = argv.first().map(String::as_str).unwrap_or_default();
    let fail = |msg: String| failed(provider, &format!("`{program}` {msg}"));
    let mut cmd = Command::new(program);
    cmd.args(&argv[1..])
        .env("OPTIMUS_PROVIDER_NAME", provider)
        .env("OPTIMUS_PROVIDER_URL", url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Its own group: on a timeout the group is killed, children included.
        cmd.process_group(0);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| fail(format!("could not be started: {e}")))?;
    // Each pipe is read on a thread that hands its bytes back once the pipe is closed.
    let (tx, rx) = mpsc::channel::<(usize, Vec<u8>)>();
    let pipe = |which: usize, r: Option<Box<dyn Read + Send>>| {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(r) = r {
                let _ = r.take(1 << 20).read_to_end(&mut buf);
            }
            let _ = tx.send((which, buf));
        });
    };
    pipe(
        0,
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    pipe(
        1,
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn Read + Send>),
    );
    drop(tx);
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if started.elapsed() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Ok(None) => {
                kill_group(&mut child);
                return Err(fail(format!(
                    "did not finish within {} s (OPTIMUS_CREDENTIAL_TIMEOUT); it was stopped with its process group",
                    deadline.as_secs()
                )));
            }
            Err(e) => {
                kill_group(&mut child);
                return Err(fail(format!("could not be waited for: {e}")));
            }
        }
    };
    // The program exited; its output ends when every process holding the pipes closes them.
    // A child it left behind in its group that keeps them open is killed: it cannot be
    // waited for (the token is printed already, or never will be).
    let mut output: [Option<Vec<u8>>; 2] = [None, None];
    let mut killed = false;
    while output.iter().any(Option::is_none) {
        match rx.recv_timeout(LINGER) {
            Ok((which, buf)) => output[which] = Some(buf),
            Err(_) if !killed => {
                kill_group(&mut child);
                killed = true;
            }
            // Held open by a process outside its group: give up on the rest.
            Err(_) => break,
        }
    }
    let [out, err] = output;
    let stdout = String::from_utf8_lossy(&out.unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err.unwrap_or_default()).into_owned();
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
