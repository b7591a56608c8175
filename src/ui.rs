//! Output: warnings and notes on stderr, progress bars on stderr only when it is a terminal
//! (and not `-q`), one summary line on stdout. Every line goes through the secret scrubber.

use crate::model::redact::terminal_safe;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

static LEVEL: AtomicU8 = AtomicU8::new(1); // 0 quiet, 1 normal, 2 verbose

pub fn set_level(quiet: bool, verbose: bool) {
    LEVEL.store(
        if quiet {
            0
        } else if verbose {
            2
        } else {
            1
        },
        Ordering::Relaxed,
    );
}

/// How commands are typed in the invoked form (`optimus plugin`, `optimus plugins`), when not
/// `optimus-plugins`: messages name commands as `optimus-plugins VERB` and are shown so.
static PREFIX: OnceLock<String> = OnceLock::new();

pub fn set_prefix(prefix: &str) {
    if prefix != "optimus-plugins" {
        let _ = PREFIX.set(format!("`{prefix} "));
    }
}

/// `text` with each quoted command (`` `optimus-plugins VERB ...` ``) in the invoked form.
pub fn as_invoked(text: &str) -> std::borrow::Cow<'_, str> {
    match PREFIX.get() {
        Some(p) if text.contains("`optimus-plugins ") => {
            text.replace("`optimus-plugins ", p).into()
        }
        _ => text.into(),
    }
}

pub fn quiet() -> bool {
    LEVEL.load(Ordering::Relaxed) == 0
}

pub fn verbose() -> bool {
    LEVEL.load(Ordering::Relaxed) >= 2
}

fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn paint(code: &str, text: &str) -> String {
    if color() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn eprint_line(line: &str) {
    let line = crate::model::redact::scrub(&as_invoked(line));
    match multi() {
        Some(m) => {
            let _ = m.println(&line);
        }
        None => eprintln!("{line}"),
    }
}

pub fn warn(msg: &str) {
    let msg = &terminal_safe(msg);
    if !quiet() {
        eprint_line(&format!("{} {msg}", paint("33", "warning:")));
    }
}

pub fn note(msg: &str) {
    if !quiet() {
        eprint_line(&terminal_safe(msg));
    }
}

pub fn debug(msg: &str) {
    let msg = &terminal_safe(msg);
    if verbose() {
        eprint_line(&format!("{} {msg}", paint("2", "debug:")));
    }
}

pub fn error(msg: &str) {
    let msg = &terminal_safe(msg);
    eprint_line(&format!("{} {msg}", paint("31", "error:")));
}

/// The one summary line that ends a command, on stdout.
pub fn summary(msg: &str) {
    println!(
        "{}",
        terminal_safe(&crate::model::redact::scrub(&as_invoked(msg)))
    );
}

fn multi() -> Option<&'static MultiProgress> {
    static M: OnceLock<Option<MultiProgress>> = OnceLock::new();
    M.get_or_init(|| {
        let show = !quiet()
            && std::io::stderr().is_terminal()
            && std::env::var_os("OPTIMUS_NO_PROGRESS").is_none();
        show.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10)))
    })
    .as_ref()
}

/// A download bar, or a hidden one when progress is off.
pub fn download_bar(label: &str, len: Option<u64>) -> ProgressBar {
    let Some(m) = multi() else {
        return ProgressBar::hidden();
    };
    // Hidden until it joins the multi-bar: a bar with its own target draws itself once on
    // `set_prefix`, which left stray lines above the live bars.
    let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden());
    let bar = m.insert_from_back(1, bar);
    let style = ProgressStyle::with_template(
        "{prefix:>24.dim} {bar:30} {bytes:>10}/{total_bytes:<10} {bytes_per_sec:>12}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(label.chars().take(24).collect::<String>());
    bar
}

/// The total bar (plugins done out of all).
pub fn total_bar(len: u64) -> ProgressBar {
    let Some(m) = multi() else {
        return ProgressBar::hidden();
    };
    let bar = m.add(ProgressBar::with_draw_target(
        Some(len),
        ProgressDrawTarget::hidden(),
    ));
    bar.set_style(
        ProgressStyle::with_template("{prefix:>24.bold} {bar:30} {pos}/{len} plugins {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix("total");
    bar
}

/// `waiting for HOST (N s)...`: on a terminal only (and not with `-q`); a log or CI output
/// gets the error, which names the host, when the request gives up.
pub fn waiting(host: &str, secs: u64) {
    if !quiet() && std::io::stderr().is_terminal() {
        eprint_line(&terminal_safe(&format!("waiting for {host} ({secs} s)...")));
    }
}

/// The command line's [`Reporter`]: the functions above.
pub struct Terminal;

impl crate::model::report::Reporter for Terminal {
    fn warn(&self, msg: &str) {
        warn(msg)
    }
    fn note(&self, msg: &str) {
        note(msg)
    }
    fn debug(&self, msg: &str) {
        debug(msg)
    }
    fn download_bar(&self, label: &str, len: Option<u64>) -> ProgressBar {
        download_bar(label, len)
    }
    fn total_bar(&self, len: u64) -> ProgressBar {
        total_bar(len)
    }
    fn waiting(&self, host: &str, secs: u64) {
        waiting(host, secs)
    }
}
