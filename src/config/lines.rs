//! Where things are written in the config, so that every error about a provider, a plugin or
//! an artifact says `optimus.yaml:12:` as parse errors do: the line of each list item under
//! `providers:`, `plugins:` (or `list:`) and `artifacts:`, read from the text (serde gives no
//! positions for values), and the lines of yaml problems serde reports badly (a repeated key
//! is reported at the start of its mapping; a tab is "a character that cannot start any
//! token").

use super::{Declaration, Manifest};
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The lines of a config's providers and plugins (1-based; `None` when it cannot be told, as
/// for a flow-style list or an artifact from `OPTIMUS_PLUGIN_ARTIFACTS`).
#[derive(Clone, Debug, Default)]
pub struct Lines {
    pub providers: BTreeMap<String, Option<usize>>,
    pub plugins: BTreeMap<String, Option<usize>>,
    /// While parsing: the line of each declaration, in order.
    pub(super) declared: Vec<Option<usize>>,
}

impl Lines {
    /// Records provider `name` as declared at `line` (refusing a second one); returns where,
    /// `FILE:LINE`.
    pub(super) fn provider(
        &mut self,
        file: &Path,
        name: &str,
        line: Option<usize>,
    ) -> Result<String> {
        if let Some(first) = self.providers.get(name) {
            return Err(self.twice(file, "provider", name, *first, line));
        }
        self.providers.insert(name.to_string(), line);
        Ok(file_at(file, line))
    }

    /// Records where each declaration is; refuses a name declared twice (in any form).
    pub(super) fn name_plugins(&mut self, file: &Path, plugins: &[Declaration]) -> Result<()> {
        for (d, line) in plugins.iter().zip(&self.declared) {
            if let Some(first) = self.plugins.get(&d.name) {
                return Err(self.twice(file, "plugin", &d.name, *first, *line));
            }
            self.plugins.insert(d.name.clone(), *line);
        }
        Ok(())
    }

    /// `FILE:LINE: <what> `NAME` is declared twice (first on line N): keep one`.
    pub(super) fn twice(
        &self,
        file: &Path,
        what: &str,
        name: &str,
        first: Option<usize>,
        line: Option<usize>,
    ) -> Error {
        let first = first
            .map(|l| format!(" (first on line {l})"))
            .unwrap_or_default();
        Error::in_config(
            file,
            None,
            format!("{what} `{name}` is declared twice{first}: keep one"),
        )
        .with_config_line(file, line)
    }
}

impl Manifest {
    /// `FILE:LINE` where provider `name` is declared (`FILE` when the line is unknown).
    pub fn provider_at(&self, name: &str) -> String {
        self.file_at(self.at.providers.get(name).copied().flatten())
    }

    /// `FILE:LINE` where plugin `name` is declared (`FILE` when the line is unknown).
    pub fn plugin_at(&self, name: &str) -> String {
        self.file_at(self.at.plugins.get(name).copied().flatten())
    }

    fn file_at(&self, line: Option<usize>) -> String {
        file_at(&self.path, line)
    }

    /// An error about plugin `name` of this config, at the line where it is declared:
    /// `FILE:LINE: plugin NAME: problem`.
    pub fn plugin_error(&self, name: &str, problem: impl Into<String>) -> Error {
        // The file as the user would type it, as in `plugin_at`.
        let file = PathBuf::from(crate::model::fsutil::shown(&self.path));
        let line = self.at.plugins.get(name).copied().flatten();
        Error::in_config(&file, Some(format!("plugin {name}")), problem)
            .with_config_line(&file, line)
    }

    /// The command a hint tells the user to run, with `-c FILE` when this config is not the
    /// `optimus.yaml` of the working directory (the one a bare command would read):
    /// `optimus-plugins update neo -c server.yaml`.
    pub fn command(&self, args: &str) -> String {
        let shown = crate::model::fsutil::shown(&self.path);
        match shown == super::DEFAULT_CONFIG {
            true => format!("optimus-plugins {args}"),
            false => format!("optimus-plugins {args} -c {shown}"),
        }
    }
}

/// `FILE:LINE` (`FILE` when the line is unknown), the file as the user would type it.
pub fn file_at(file: &Path, line: Option<usize>) -> String {
    let file = crate::model::fsutil::shown(file);
    match line {
        Some(l) => format!("{file}:{l}"),
        None => file,
    }
}

/// The lists of the plugin section whose items are located.
#[derive(Clone, Copy)]
pub enum List {
    Providers,
    Plugins,
    Artifacts,
}

impl List {
    fn keys(self) -> &'static [&'static str] {
        match self {
            List::Providers => &["providers"],
            List::Plugins => &["plugins", "list"],
            List::Artifacts => &["artifacts"],
        }
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn blank(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// The 1-based line of each block-sequence item of `list` inside the plugin section (empty when
/// the list is written in flow style, `[...]`, or is not there).
pub fn item_lines(text: &str, list: List) -> Vec<usize> {
    let lines: Vec<&str> = text.lines().collect();
    // The section's own key (`plugins:`/`plugin:`) sits at the margin; its lists are indented.
    let Some(key_at) = lines.iter().position(|l| {
        indent(l) > 0
            && list.keys().iter().any(|k| {
                l.trim_start()
                    .strip_prefix(k)
                    .is_some_and(|r| r.trim() == ":")
            })
    }) else {
        return Vec::new();
    };
    let key_indent = indent(lines[key_at]);
    let mut out = Vec::new();
    let mut item_indent = None;
    for (i, l) in lines.iter().enumerate().skip(key_at + 1) {
        if blank(l) {
            continue;
        }
        let (d, t) = (indent(l), l.trim_start());
        let is_item = t == "-" || t.starts_with("- ");
        match item_indent {
            None if is_item && d >= key_indent => item_indent = Some(d),
            None => break,
            Some(_) => {}
        }
        let want = item_indent.expect("set above");
        if d < want || (d == want && !is_item) {
            break;
        }
        if d == want {
            out.push(i + 1);
        }
    }
    out
}

/// For `map_err` on a result about the entry of the config `file` written at `line`: its
/// config error gets that line ([`Error::with_config_line`]).
pub fn at_line(file: &Path, line: Option<usize>) -> impl Fn(Error) -> Error + '_ {
    move |e| e.with_config_line(file, line)
}

/// For serde's `duplicate field `K``, reported at the start of its mapping (`line`, 1-based):
/// the lines where `K:` is written twice in that mapping.
pub fn duplicate_key(text: &str, line: usize, key: &str) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let start = line.checked_sub(1)?;
    let first = lines.get(start)?;
    // The mapping's keys sit at the indent of its first key (after a `- ` for a list item).
    let t = first.trim_start();
    let key_indent = indent(first) + if t.starts_with("- ") { 2 } else { 0 };
    let is_key = |i: usize, l: &str| {
        let body = l.trim_start();
        let body = match i == start && body.starts_with("- ") {
            true => &body[2..],
            false => body,
        };
        let body = body.trim_start_matches(['"', '\'']);
        body.strip_prefix(key)
            .is_some_and(|r| r.trim_start_matches(['"', '\'']).starts_with(':'))
    };
    let mut seen = Vec::new();
    for (i, l) in lines.iter().enumerate().skip(start) {
        if blank(l) {
            continue;
        }
        let d = indent(l);
        let item_start = i == start;
        if !item_start && d < key_indent {
            break;
        }
        if (item_start || d == key_indent) && is_key(i, l) {
            seen.push(i + 1);
            if seen.len() == 2 {
                return Some((seen[0], seen[1]));
            }
        }
    }
    None
}

/// Whether `line` (1-based) holds a tab where yaml wants indentation (yaml indents with
/// spaces only).
pub fn tab_in_indent(text: &str, line: usize) -> bool {
    text.lines().nth(line.saturating_sub(1)).is_some_and(|l| {
        let lead: String = l.chars().take_while(|c| c.is_whitespace()).collect();
        lead.contains('\t') || l.trim_end().ends_with(":\t") || l.contains(":\t")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CFG: &str = "version: 1\nplugins:\n  providers:\n    - name: a\n      url: ./a\n\n    # a comment\n    - name: b\n      url: ./b\n  plugins:\n  - name: x\n    provider: a\n  - {name: y, provider: b}\n  artifacts: [http://h/optimus-plugin-z.yaml]\n";

    #[test]
    fn items_of_each_list_are_found_at_their_lines() {
        assert_eq!(item_lines(CFG, List::Providers), [4, 8]);
        assert_eq!(item_lines(CFG, List::Plugins), [11, 13]);
        assert_eq!(item_lines(CFG, List::Artifacts), Vec::<usize>::new());
        assert_eq!(item_lines(CFG, List::Plugins).get(1), Some(&13));
        assert_eq!(item_lines(CFG, List::Plugins).get(2), None);
    }

    #[test]
    fn a_repeated_key_is_found_where_it_is_repeated() {
        let t = "plugins:\n  plugins:\n    - name: big\n      provider: reg\n      version: '1'\n      provider: other\n";
        assert_eq!(duplicate_key(t, 3, "provider"), Some((4, 6)));
        let t = "x: 1\nplugins:\n  dir: a\nplugins:\n  dir: b\n";
        assert_eq!(duplicate_key(t, 1, "plugins"), Some((2, 4)));
        assert_eq!(duplicate_key(t, 1, "nope"), None);
    }

    #[test]
    fn errors_get_the_line() {
        let f = Path::new("/p/optimus.yaml");
        let bad = || Error::in_config(f, Some("plugin x".into()), "bad");
        assert_eq!(
            at_line(f, Some(7))(bad()).to_string(),
            "/p/optimus.yaml:7: plugin x: bad"
        );
        assert_eq!(
            at_line(f, None)(bad()).to_string(),
            "/p/optimus.yaml: plugin x: bad"
        );
        // An error that has its place already, or is about another file, is left alone.
        let parsed = Error::ConfigSyntax {
            file: f.into(),
            line: 3,
            column: 1,
            problem: "bad".into(),
        };
        assert_eq!(
            at_line(f, Some(7))(parsed).to_string(),
            "/p/optimus.yaml:3:1: bad"
        );
        let other = Error::in_config(Path::new("/q/optimus.yaml"), None, "bad");
        assert_eq!(
            at_line(f, Some(7))(other).to_string(),
            "/q/optimus.yaml: bad"
        );
        let twice = Lines::default().twice(f, "plugin", "x", Some(2), Some(5));
        assert_eq!(
            twice.to_string(),
            "/p/optimus.yaml:5: plugin `x` is declared twice (first on line 2): keep one"
        );
        assert_eq!(twice.exit_code(), 2);
    }
}
