//! What commands print: tables, the summary of an install, version changes. Every line goes
//! through the secret scrubber.

use crate::config::Manifest;
use crate::install::Outcome;
use crate::lockfile::Lockfile;
use crate::model::fsutil::shown;
use crate::model::redact;

pub fn summary(out: &Outcome, m: &Manifest) -> String {
    let dir = shown(&m.plugin_dir);
    if out.installed.is_empty() && out.removed.is_empty() {
        return format!(
            "nothing to do: {} plugin(s) up to date in {dir} (no artifact fetched, nothing re-hashed)",
            out.unchanged
        );
    }
    let mut parts = Vec::new();
    if !out.installed.is_empty() {
        parts.push(format!(
            "installed {} ({})",
            out.installed.len(),
            first_few(&out.installed)
        ));
    }
    if out.unchanged > 0 {
        parts.push(format!("{} up to date", out.unchanged));
    }
    if !out.removed.is_empty() {
        parts.push(format!(
            "removed {} ({})",
            out.removed.len(),
            first_few(&out.removed)
        ));
    }
    format!("{} in {dir}", parts.join(", "))
}

/// Names for a summary line: all of them up to a dozen, else the first ten and a count (a
/// thousand-plugin install is one readable line; `-v` and `list` show everything).
fn first_few(names: &[String]) -> String {
    const SHOWN: usize = 10;
    if names.len() <= SHOWN + 2 {
        return names.join(", ");
    }
    format!(
        "{}, and {} more",
        names[..SHOWN].join(", "),
        names.len() - SHOWN
    )
}

pub fn diff_versions(old: Option<&Lockfile>, new: &Lockfile) -> String {
    let mut changes = Vec::new();
    for p in &new.plugins {
        let before = old
            .and_then(|o| o.get(&p.name))
            .map(|o| o.version_text().to_string());
        match before {
            Some(b) if b != p.version_text() => {
                changes.push(format!("{} {b} -> {}", p.name, p.version_text()))
            }
            None => changes.push(format!("{} {} (new)", p.name, p.version_text())),
            _ => {}
        }
    }
    if changes.is_empty() {
        "no newer versions".to_string()
    } else {
        format!("updated {}", changes.join(", "))
    }
}

/// Writes one line of command output to stdout. A closed pipe (`optimus-plugins list | head`)
/// ends the program quietly instead of panicking.
pub fn out(line: &str) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let line = redact::terminal_safe(&redact::scrub(&crate::ui::as_invoked(line)));
    if let Err(e) = writeln!(o, "{line}").and_then(|_| o.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

/// Prints a table with columns as wide as their widest cell.
pub fn print_table(header: &[&str], rows: &[Vec<String>]) {
    let mut width: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let n = cells.len();
        let mut out_line = String::new();
        for (i, c) in cells.into_iter().enumerate() {
            if i + 1 == n {
                out_line.push_str(&c);
            } else {
                out_line.push_str(&format!("{c:<w$}  ", w = width[i]));
            }
        }
        out(out_line.trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for r in rows {
        line(r.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_cut_to_a_readable_line() {
        let names: Vec<String> = (0..1000).map(|i| format!("b{i} 1.0.0")).collect();
        let line = first_few(&names);
        assert!(line.starts_with("b0 1.0.0, b1 1.0.0"), "{line}");
        assert!(line.ends_with("b9 1.0.0, and 990 more"), "{line}");
        assert_eq!(first_few(&names[..12]).matches(", ").count(), 11);
    }
}
