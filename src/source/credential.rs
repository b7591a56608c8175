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
use std::process::{Child, Command, ExitStatus, Stdio};
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
    Error::Credential {
        provider: provider.to_string(),
        problem: redact::scrub(how),
    }
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
    let pipes = read_pipes(&mut child);
    let status = wait(&mut child, deadline).map_err(fail)?;
    let (stdout, stderr) = collect(&mut child, pipes);
    // Whatever it printed may hold the token: registered before any message is built.
    let token = stdout.trim();
    redact::register(token);
    if let Some((_, cred)) = token.split_once(' ') {
        redact::register(cred.trim());
    }
    let said = said(&stderr);
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
    let value = header_value(token).map_err(|why| fail(why.into()))?;
    redact::register(&value);
    Ok(value)
}

/// Reads stdout and stderr each on a thread that hands its bytes back (0: stdout, 1: stderr)
/// once the pipe is closed.
fn read_pipes(child: &mut Child) -> mpsc::Receiver<(usize, Vec<u8>)> {
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
    let stdout = child
        .stdout
        .take()
        .map(|r| Box::new(r) as Box<dyn Read + Send>);
    pipe(0, stdout);
    let stderr = child
        .stderr
        .take()
        .map(|r| Box::new(r) as Box<dyn Read + Send>);
    pipe(1, stderr);
    rx
}

/// Waits for the program to exit within `deadline`; past it, its process group is killed.
fn wait(child: &mut Child, deadline: Duration) -> std::result::Result<ExitStatus, String> {
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(s)) => return Ok(s),
            Ok(None) if started.elapsed() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Ok(None) => {
                kill_group(child);
                return Err(format!(
                    "did not finish within {} s (OPTIMUS_CREDENTIAL_TIMEOUT); it was stopped with its process group",
                    deadline.as_secs()
                ));
            }
            Err(e) => {
                kill_group(child);
                return Err(format!("could not be waited for: {e}"));
            }
        }
    }
}

/// What the program printed (stdout, stderr). Its output ends when every process holding the
/// pipes closes them: a child it left behind in its group that keeps them open is killed (it
/// cannot be waited for: the token is printed already, or never will be).
fn collect(child: &mut Child, rx: mpsc::Receiver<(usize, Vec<u8>)>) -> (String, String) {
    let mut output: [Option<Vec<u8>>; 2] = [None, None];
    let mut killed = false;
    while output.iter().any(Option::is_none) {
        match rx.recv_timeout(LINGER) {
            Ok((which, buf)) => output[which] = Some(buf),
            Err(_) if !killed => {
                kill_group(child);
                killed = true;
            }
            // Held open by a process outside its group: give up on the rest.
            Err(_) => break,
        }
    }
    let [out, err] = output.map(|b| String::from_utf8_lossy(&b.unwrap_or_default()).into_owned());
    (out, err)
}

/// `, saying:` and the last 20 lines of what the program wrote on stderr (scrubbed), if any.
fn said(stderr: &str) -> String {
    let stderr = stderr.trim();
    if stderr.is_empty() {
        return String::new();
    }
    let lines: Vec<&str> = stderr.lines().collect();
    let shown: Vec<String> = lines[lines.len().saturating_sub(20)..]
        .iter()
        .map(|l| format!("  {}", redact::printable(&redact::scrub(l))))
        .collect();
    format!(", saying:\n{}", shown.join("\n"))
}

/// The `Authorization` value for what the program printed: a bare token as `Bearer TOKEN`,
/// `SCHEME CREDENTIALS` as printed; or why it cannot be one.
fn header_value(token: &str) -> std::result::Result<String, &'static str> {
    if token.contains(['\n', '\r']) {
        return Err("printed more than one line on stdout (expected the token alone)");
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
        Some(_) => return Err("printed a token with spaces that is not `SCHEME CREDENTIALS`"),
        None => format!("Bearer {token}"),
    };
    if reqwest::header::HeaderValue::from_str(&value).is_err() {
        return Err("printed a token that cannot go in an http header (control characters?)");
    }
    Ok(value)
}
