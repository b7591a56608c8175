//! The lines commands print after a change: the summary of an install, version changes (the
//! run's `Ui` prints them, through the secret scrubber).

use crate::config::Manifest;
use crate::install::Outcome;
use crate::lockfile::Lockfile;
use crate::model::fsutil::shown;

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
