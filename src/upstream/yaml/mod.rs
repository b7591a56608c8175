//! Yaml plugins: what the target Optimus does with one (its own yaml library's decoding, ported
//! from go-yaml, and its required-field checks, with their exact error text), and our advice
//! beside it, each at its file:line:col.
//!
//! The layers, as in go-yaml: `events.rs` (libyaml's reader, scanner and parser), `nodes.rs`
//! (go-yaml's node tree of the first document), `resolve.rs` (scalar tags and values),
//! `decode.rs` (into a model of the target's Go structs, `value.rs`), then the checks.

use crate::upstream::target::{Decoder as Lib, GoType, Target};
use advice::{advice, explain, required_hint};
use decode::Decoder;
use tree::Node;
use value::{first_failed, zero, Val};

mod advice;
mod decode;
mod events;
mod nodes;
mod parser;
mod quirks;
mod resolve;
mod tree;
mod value;
use std::path::Path;

/// A go-yaml `failf` (or a Go panic while decoding): the whole error text, and where it is.
#[derive(Debug, Clone)]
pub(super) struct GoFail {
    msg: String,
    /// 1-based line and column, when go-yaml's state knows it.
    at: Option<(usize, usize)>,
    /// A byte offset in the input (reader errors).
    offset: Option<usize>,
}

impl GoFail {
    fn f(text: String) -> GoFail {
        GoFail {
            msg: format!("yaml: {text}"),
            at: None,
            offset: None,
        }
    }

    /// A Go runtime panic upstream does not recover from (the program stops with it).
    fn panic(unhashable: &str) -> GoFail {
        GoFail {
            msg: format!("panic: runtime error: hash of unhashable type {unhashable}"),
            at: None,
            offset: None,
        }
    }
}

/// One problem found in a yaml plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

/// What the target Optimus makes of a yaml plugin, and what we would add.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// Upstream's own error, verbatim, when the target refuses to load the file.
    pub refusal: Option<String>,
    /// The refusal, explained at its lines (empty when it loads).
    pub errors: Vec<Problem>,
    /// Advice: the target loads the file, but something is probably not what was meant.
    pub warnings: Vec<Problem>,
    /// `name:` as the target reads it.
    pub name: Option<String>,
    /// `plugintype:` (v1 specs).
    pub plugin_type: Option<String>,
    /// `plugin_versions` keys (goto v2).
    pub versions: Vec<String>,
    /// goto v2, when the file loads: each `plugin_versions` key with the image reference
    /// Optimus runs for it (`Spec.GetImage`: the version's image and tag, each falling back
    /// to the default's, joined by `:`).
    pub images: Vec<(String, String)>,
}

impl Verdict {
    pub fn loads(&self) -> bool {
        self.refusal.is_none()
    }
}

fn problem(pos: (usize, usize), message: String) -> Problem {
    Problem {
        line: Some(pos.0),
        column: Some(pos.1),
        message,
    }
}

/// Checks a yaml plugin's text as the `target` Optimus would load it; `file_name` is the
/// name it has on disk (its discovery rule is advice, not an error: `validate` takes any name).
pub fn check_text(text: &str, file_name: &str, target: Target) -> Verdict {
    check_bytes(text.as_bytes(), file_name, target)
}

/// [`check_text`] for a file's bytes as they are on disk: go-yaml also reads UTF-16 (with a
/// byte order mark) and refuses what is not text.
pub fn check_bytes(bytes: &[u8], file_name: &str, target: Target) -> Verdict {
    // go-yaml's nodes and decoder recurse, and so do ours: up to 10,000 flow and 10,000 block
    // levels (the limits go-yaml's scanner sets) need more stack than a thread has by default.
    const STACK: usize = 256 << 20;
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("yaml-plugin".into())
            .stack_size(STACK)
            .spawn_scoped(s, || check_on_this_stack(bytes, file_name, target))
            .expect("a thread to decode the yaml plugin on")
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

fn check_on_this_stack(bytes: &[u8], file_name: &str, target: Target) -> Verdict {
    let rules = target.rules();
    let v3 = rules.decoder == Lib::YamlV3;
    let refused = |f: GoFail, errors: Vec<Problem>| Verdict {
        refusal: Some(f.msg),
        errors,
        ..Verdict::default()
    };
    let doc = match nodes::parse(bytes, v3) {
        Ok(d) => d,
        Err(f) => {
            let p = syntax_problem(&f, bytes);
            return refused(f, vec![p]);
        }
    };
    let ty = &GoType::Struct(rules.schema);
    let mut val = zero(ty);
    let mut d = Decoder::new(&doc, v3, rules.decoder == Lib::YamlV2Strict);
    if let Some(root) = doc.root {
        if let Err(f) = d.unmarshal(root, ty, &mut val) {
            let pos = f.at.unwrap_or((1, 1));
            let text = f.msg.trim_start_matches("yaml: ");
            let p = problem(pos, format!("{text} (Optimus stops on this)"));
            return refused(f, vec![p]);
        }
    }
    let root = tree::view(&doc);
    let root = root.as_ref();
    let mut v = Verdict::default();
    if !d.errors.is_empty() {
        let lines: Vec<String> = d
            .errors
            .iter()
            .map(|e| format!("line {}: {}", e.line, e.text))
            .collect();
        v.refusal = Some(format!("yaml: unmarshal errors:\n  {}", lines.join("\n  ")));
        for e in &d.errors {
            v.errors.push(problem((e.line, e.col), explain(e, rules)));
        }
        return v;
    }
    let text_at =
        |path: &[&str]| Some(val.at(ty, path).text().to_string()).filter(|s| !s.is_empty());
    v.name = text_at(&["name"]);
    v.plugin_type = text_at(&["plugintype"]);
    if rules.has_versions {
        if let Val::Map(entries) = val.at(ty, &["plugin_versions"]) {
            v.versions = entries.iter().map(|(k, _)| k.clone()).collect();
        }
    }
    if let Some((message, path)) = first_failed(&val, rules) {
        v.refusal = Some(message.to_string());
        let entry = path_entry(root, path);
        let pos = entry.map_or((1, 1), |e| (e.line, e.col));
        v.errors
            .push(problem(pos, required_hint(message, entry.is_some(), rules)));
        return v;
    }
    v.warnings = advice(root, file_name, rules);
    if rules.has_versions {
        v.images = version_images(&val, ty, &v.versions);
    }
    v
}

/// The entry at `path` in our view (the first of repeated keys).
fn path_entry<'n>(root: Option<&'n Node>, path: &[&str]) -> Option<&'n tree::Entry> {
    let mut node = root?;
    let mut found = None;
    for k in path {
        let e = node.get(k)?;
        found = Some(e);
        node = &e.value;
    }
    found
}

/// A syntax or reader error: go-yaml's text, at the place it is about, with our hint.
fn syntax_problem(f: &GoFail, bytes: &[u8]) -> Problem {
    let pos = match (f.at, f.offset) {
        (Some(at), _) => at,
        (None, Some(off)) => {
            let before = &bytes[..off.min(bytes.len())];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let col = before.iter().rev().take_while(|b| **b != b'\n').count() + 1;
            (line, col)
        }
        (None, None) => (1, 1),
    };
    let text = f.msg.trim_start_matches("yaml: ");
    let line_text = std::str::from_utf8(bytes)
        .ok()
        .and_then(|t| t.lines().nth(pos.0.saturating_sub(1)));
    let tab = line_text.is_some_and(|l| l.trim_start_matches(' ').starts_with('\t'))
        || text.contains("tab character");
    let hint = if tab {
        "; indent with spaces, not tabs (YAML does not allow a tab in indentation)"
    } else if text.contains("control characters") {
        "; remove the control character (or save the file as plain UTF-8 text)"
    } else if text.contains("incompatible YAML document") {
        "; Optimus reads YAML 1.1 only: remove the %YAML line"
    } else {
        ""
    };
    problem(pos, format!("invalid YAML: {text}{hint}"))
}

/// `Spec.GetImage` for every `plugin_versions` key.
fn version_images(val: &Val, ty: &GoType, versions: &[String]) -> Vec<(String, String)> {
    let field = |v: &str, k: &str| {
        Some(val.at(ty, &["plugin_versions", v, k]).text().to_string()).filter(|t| !t.is_empty())
    };
    versions
        .iter()
        .map(|v| {
            let image = field(v, "image")
                .or(field("default", "image"))
                .unwrap_or_default();
            let tag = field(v, "tag")
                .or(field("default", "tag"))
                .unwrap_or_default();
            (v.clone(), format!("{image}:{tag}"))
        })
        .collect()
}

/// Formats problems as `file:line: message` lines.
pub fn format_problems(file: &str, problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| match (p.line, p.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}: {}", p.message),
            (Some(l), None) => format!("{file}:{l}: {}", p.message),
            _ => format!("{file}: {}", p.message),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Checks a staged yaml plugin before it is installed as `file_name` for `plugin`: refused
/// when the target Optimus would refuse to load it, or when its `name:` names another plugin
/// (compared ignoring case, as `validate` compares it with the file name: Optimus knows a yaml
/// plugin by its `name:`, so one naming another plugin is a plugin the lock, the receipts and
/// `list` would call by the wrong name). Returns the `name:`; a binary installed beside it
/// must match it exactly ([`check_pair`]).
pub fn validate_staged(
    path: &Path,
    file_name: &str,
    plugin: &str,
    target: Target,
) -> Result<String, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("yaml plugin {plugin} is not readable: {e}"))?;
    let v = check_bytes(&bytes, file_name, target);
    if let Some(r) = &v.refusal {
        return Err(format!(
            "yaml plugin {plugin}: Optimus ({target}) would refuse to load it:\n{}\n  optimus says: {}",
            format_problems(file_name, &v.errors),
            r.replace('\n', "\n  ")
        ));
    }
    match v.name {
        Some(n) if n.eq_ignore_ascii_case(plugin) => Ok(n),
        other => Err(format!(
            "yaml plugin {plugin}: {file_name} says `name: {}`, not `name: {plugin}`: Optimus knows a yaml plugin by its `name:`, so it would load this one as another plugin; the artifact must carry the yaml of {plugin}",
            crate::model::redact::printable(other.as_deref().unwrap_or(""))
        )),
    }
}

/// A binary plugin and the yaml plugin installed with it: Optimus merges them by name,
/// exactly (the binary's name with the yaml's `name:`, a map lookup), and refuses to start
/// when a binary has no yaml plugin of its name (raystack: `please provide yaml version of the
/// plugin <name>`).
pub fn check_pair(plugin: &str, yaml_name: &str, file_name: &str) -> Result<(), String> {
    if yaml_name == plugin {
        return Ok(());
    }
    Err(format!(
        "yaml plugin {plugin}: {file_name} says `name: {}`, but the binary installed with it is plugin {plugin}: Optimus merges them by name, exactly, and would refuse to start (no yaml plugin named {plugin}); the artifact must carry the yaml of {plugin}",
        crate::model::redact::printable(yaml_name)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEO: &str = "name: neo\ndescription: Near earth object tracker\nplugintype: task\npluginversion: latest\nimage: ghcr.io/kushsharma/optimus-task-neo-executor\nsecretpath: /tmp/.secrets\n\nquestions:\n- name: RANGE_START\n  prompt: Date range start\n  help: YYYY-MM-DD format\n  required: yes\n- name: RANGE_END\n  prompt: Date range end\n  help: YYYY-MM-DD format\n  required: true\n";

    #[test]
    fn goto_images_are_built_as_get_image_builds_them() {
        let text = "version: 2\nname: neo\nplugin_versions:\n  default:\n    image: r.example/neo\n    tag: 1.0.0\n    entrypoint:\n      script: run\n  \"1.1\":\n    tag: 1.1.0\n  other:\n    image: r.example/other\n";
        let v = check_text(text, "optimus-plugin-neo.yaml", Target::Goto);
        assert!(v.loads(), "{:?}", v.refusal);
        assert_eq!(
            v.images,
            [
                ("default".to_string(), "r.example/neo:1.0.0".to_string()),
                ("1.1".to_string(), "r.example/neo:1.1.0".to_string()),
                ("other".to_string(), "r.example/other:1.0.0".to_string()),
            ]
        );
    }

    #[test]
    fn neo_loads_in_05_not_in_head() {
        let v = check_text(NEO, "optimus-plugin-neo.yaml", Target::Raystack05);
        assert!(v.loads(), "{v:?}");
        assert!(v.warnings.is_empty(), "{v:?}");
        let v = check_text(NEO, "optimus-plugin-neo.yaml", Target::Raystack);
        assert_eq!(
            v.refusal.as_deref(),
            Some("yaml: unmarshal errors:\n  line 6: field secretpath not found in type yaml.PluginSpec")
        );
        assert_eq!(v.errors[0].line, Some(6));
        assert!(v.errors[0].message.contains("raystack-0.5"), "{v:?}");
    }

    #[test]
    fn advice_is_warnings() {
        let text = NEO
            .replace("- name: RANGE_END", "- name: RANGE_START")
            .replace(
                "required: yes\n- name",
                "required: yes\n  regexp: \"[\"\n- name",
            );
        let v = check_text(&text, "optimus-plugin-other.yaml", Target::Raystack05);
        assert!(v.loads(), "{v:?}");
        assert_eq!(v.warnings.len(), 3, "{v:?}");
        assert!(v.warnings[0].message.contains("file name"));
        assert_eq!(v.warnings[1].line, Some(13), "{v:?}");
        assert!(v.warnings[1].message.contains("regexp"));
    }

    #[test]
    fn typo_suggests() {
        let v = check_text(
            &NEO.replace("plugintype", "plugintyp"),
            "optimus-plugin-neo.yaml",
            Target::Raystack05,
        );
        assert!(
            v.errors[0].message.contains("did you mean `plugintype`"),
            "{v:?}"
        );
        assert_eq!(v.errors[0].line, Some(3));
    }
}
