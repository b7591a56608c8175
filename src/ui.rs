//! Output: warnings and notes on stderr, progress bars on stderr only when it is a terminal
//! (and not `-q`), command output and one summary line on stdout. Every line goes through the
//! secret scrubber.
//!
//! A [`Ui`] is made once, in `main`, from the flags (`-q`, `-v`), the invoked form and the
//! environment, and handed to the commands; its [`Ui::reporter`] is how the library speaks.
//! Nothing here is global.

use crate::config::Environment;
use crate::model::redact::{scrub, terminal_safe};
use crate::model::report::{Reporter, SharedReporter};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;

/// How much is said: `-q` errors and the summary only, `-v` debug lines too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Quiet,
    Normal,
    Verbose,
}

impl Level {
    pub fn of(quiet: bool, verbose: bool) -> Level {
        match (quiet, verbose) {
            (true, _) => Level::Quiet,
            (false, true) => Level::Verbose,
            (false, false) => Level::Normal,
        }
    }
}

/// The terminal of one run. Cheap to clone (the clones share the progress bars).
#[derive(Clone)]
pub struct Ui {
    inner: Arc<Inner>,
}

struct Inner {
    level: Level,
    /// How commands are typed in the invoked form (`` `optimus plugin ``), when not
    /// `optimus-plugins`: messages name commands as `optimus-plugins VERB` and are shown so.
    prefix: Option<String>,
    /// The progress bars, when shown (stderr a terminal, not `-q`, no `OPTIMUS_NO_PROGRESS`).
    multi: Option<MultiProgress>,
    /// Colours on stderr (a terminal, and no `NO_COLOR`).
    color: bool,
}

impl Ui {
    /// `prefix`: the invoked form's way of typing a command before its verb
    /// (`optimus-plugins`, `optimus plugin`, `optimus plugins`).
    pub fn new(level: Level, prefix: &str, env: &Environment) -> Ui {
        let terminal = std::io::stderr().is_terminal();
        let show = level != Level::Quiet && terminal && !env.terminal.no_progress;
        Ui {
            inner: Arc::new(Inner {
                level,
                prefix: (prefix != "optimus-plugins").then(|| format!("`{prefix} ")),
                multi: show.then(|| {
                    MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10))
                }),
                color: terminal && !env.terminal.no_color,
            }),
        }
    }

    /// The library's view of this terminal (warnings, notes, debug lines, progress).
    pub fn reporter(&self) -> SharedReporter {
        Arc::new(self.clone())
    }

    /// `text` with each quoted command (`` `optimus-plugins VERB ...` ``) in the invoked form.
    pub fn as_invoked<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        match &self.inner.prefix {
            Some(p) if text.contains("`optimus-plugins ") => {
                text.replace("`optimus-plugins ", p).into()
            }
            _ => text.into(),
        }
    }

    pub fn quiet(&self) -> bool {
        self.inner.level == Level::Quiet
    }

    pub fn verbose(&self) -> bool {
        self.inner.level >= Level::Verbose
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.inner.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn eprint_line(&self, line: &str) {
        let line = scrub(&self.as_invoked(line));
        match &self.inner.multi {
            Some(m) => {
                let _ = m.println(&line);
            }
            None => eprintln!("{line}"),
        }
    }

    pub fn warn(&self, msg: &str) {
        if !self.quiet() {
            let msg = terminal_safe(msg);
            self.eprint_line(&format!("{} {msg}", self.paint("33", "warning:")));
        }
    }

    pub fn note(&self, msg: &str) {
        if !self.quiet() {
            self.eprint_line(&terminal_safe(msg));
        }
    }

    pub fn debug(&self, msg: &str) {
        if self.verbose() {
            let msg = terminal_safe(msg);
            self.eprint_line(&format!("{} {msg}", self.paint("2", "debug:")));
        }
    }

    pub fn error(&self, msg: &str) {
        let msg = terminal_safe(msg);
        self.eprint_line(&format!("{} {msg}", self.paint("31", "error:")));
    }

    /// The one summary line that ends a command, on stdout.
    pub fn summary(&self, msg: &str) {
        println!("{}", terminal_safe(&scrub(&self.as_invoked(msg))));
    }

    /// One line of command output on stdout. A closed pipe (`optimus-plugins list | head`)
    /// ends the program quietly instead of panicking.
    pub fn out(&self, line: &str) {
        use std::io::Write;
        let mut o = std::io::stdout().lock();
        let line = terminal_safe(&scrub(&self.as_invoked(line)));
        if let Err(e) = writeln!(o, "{line}").and_then(|_| o.flush()) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }

    /// A table on stdout, its columns as wide as their widest cell.
    pub fn table(&self, header: &[&str], rows: &[Vec<String>]) {
        let mut width: Vec<usize> = header.iter().map(|h| h.len()).collect();
        for r in rows {
            for (i, c) in r.iter().enumerate() {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut out = String::new();
            for (i, c) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    out.push_str(c);
                } else {
                    out.push_str(&format!("{c:<w$}  ", w = width[i]));
                }
            }
            self.out(out.trim_end());
        };
        line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
        for r in rows {
            line(r);
        }
    }

    /// A download bar, or a hidden one when progress is off.
    pub fn download_bar(&self, label: &str, len: Option<u64>) -> ProgressBar {
        let Some(m) = &self.inner.multi else {
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
    pub fn total_bar(&self, len: u64) -> ProgressBar {
        let Some(m) = &self.inner.multi else {
            return ProgressBar::hidden();
        };
        let bar = m.add(ProgressBar::with_draw_target(
            Some(len),
            ProgressDrawTarget::hidden(),
        ));
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>24.bold} {bar:30} {pos}/{len} plugins {elapsed}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix("total");
        bar
    }

    /// `waiting for HOST (N s)...`: on a terminal only (and not with `-q`); a log or CI
    /// output gets the error, which names the host, when the request gives up.
    pub fn waiting(&self, host: &str, secs: u64) {
        if !self.quiet() && std::io::stderr().is_terminal() {
            self.eprint_line(&terminal_safe(&format!("waiting for {host} ({secs} s)...")));
        }
    }
}

/// The command line's [`Reporter`]: the methods above.
impl Reporter for Ui {
    fn warn(&self, msg: &str) {
        Ui::warn(self, msg)
    }
    fn note(&self, msg: &str) {
        Ui::note(self, msg)
    }
    fn debug(&self, msg: &str) {
        Ui::debug(self, msg)
    }
    fn download_bar(&self, label: &str, len: Option<u64>) -> ProgressBar {
        Ui::download_bar(self, label, len)
    }
    fn total_bar(&self, len: u64) -> ProgressBar {
        Ui::total_bar(self, len)
    }
    fn waiting(&self, host: &str, secs: u64) {
        Ui::waiting(self, host, secs)
    }
}
