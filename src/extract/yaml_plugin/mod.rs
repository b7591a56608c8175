//! Yaml plugins (`optimus-plugin-<name>.yaml`, spec §7): the schema, strict parsing and the
//! checks of `validate`, each problem reported with its file and line.

use crate::model::names::{is_valid_plugin_name, yaml_file_name, yaml_plugin_name};
use crate::model::plugin_type::PluginType;
use schema::{Checker, Kind, PLUGIN_FIELDS};
use tree::{parse_tree, Node};

mod schema;
mod tree;
use std::collections::BTreeSet;
use std::path::Path;

/// One problem found in a yaml plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

/// Validates a yaml plugin's text; `file_name` is the name it has (or will have) on disk.
/// Every problem is reported (sorted by line), not only the first.
pub fn validate_text(text: &str, file_name: &str) -> Vec<Problem> {
    let root = match parse_tree(text) {
        Ok(Some(r)) => r,
        Ok(None) => {
            return vec![Problem {
                line: None,
                column: None,
                message:
                    "the file is empty; a yaml plugin needs at least name, plugintype and image"
                        .into(),
            }]
        }
        Err(p) => return vec![p],
    };
    let mut c = Checker {
        out: Vec::new(),
        suggested: BTreeSet::new(),
    };
    c.shape(&root, Kind::Map(PLUGIN_FIELDS), "");
    if !matches!(root, Node::Map { .. }) {
        return c.out;
    }
    let top = (1, 1);
    let field = |k: &str| root.get(k);
    let text_of = |k: &str| field(k).and_then(|e| e.value.text());

    let file_plugin = yaml_plugin_name(file_name);
    match (field("name"), text_of("name").map(str::trim)) {
        (None, _) if c.suggested.contains("name") => {}
        (None, _) => c.at(top, "`name` is missing".into()),
        (Some(e), None | Some("")) => c.at((e.line, e.col), "`name` is empty".into()),
        (Some(e), Some(n)) => match file_plugin {
            Some(f) if !n.eq_ignore_ascii_case(f) => c.at(
                (e.line, e.col),
                format!(
                    "`name` is {n:?} but the file name says {f:?}: rename the file to {} or fix the name",
                    yaml_file_name(&n.to_lowercase())
                ),
            ),
            None => c.at(
                (e.line, e.col),
                format!(
                    "the file should be named {} for Optimus to find it",
                    yaml_file_name(&n.to_lowercase())
                ),
            ),
            _ => {
                if !is_valid_plugin_name(&n.to_lowercase()) {
                    c.at(
                        (e.line, e.col),
                        format!("`name` {n:?} is not a valid plugin name (letters, digits, - and _, at most 64)"),
                    );
                }
            }
        },
    }
    match (field("plugintype"), text_of("plugintype")) {
        (None, _) if c.suggested.contains("plugintype") => {}
        (None, _) => c.at(top, "`plugintype` is missing (task or hook)".into()),
        (Some(e), t) => {
            if t.and_then(PluginType::parse).is_none() {
                c.at(
                    e.value.pos(),
                    format!("`plugintype` is {}: expected task or hook", e.value.what()),
                );
            }
        }
    }
    match (field("image"), text_of("image").map(str::trim)) {
        (None, _) if c.suggested.contains("image") => {}
        (None, _) => c.at(
            top,
            "`image` is missing (the docker image that runs the plugin)".into(),
        ),
        (Some(e), None | Some("")) => c.at((e.line, e.col), "`image` is empty".into()),
        _ => {}
    }
    if let Some(e) = field("hooktype") {
        if let Some(h) = e.value.text() {
            if !matches!(h.to_ascii_lowercase().as_str(), "pre" | "post" | "fail") {
                c.at(
                    e.value.pos(),
                    format!("`hooktype` is {h:?}: expected pre, post or fail"),
                );
            }
        }
    }
    if let Some(e) = field("entrypoint") {
        if matches!(e.value, Node::Map { .. })
            && e.value.get("script").and_then(|s| s.value.text()).is_none()
        {
            c.at((e.line, e.col), "`entrypoint.script` is missing".into());
        }
    }
    let mut names = BTreeSet::new();
    if let Some(e) = field("questions") {
        c.questions(&e.value, "questions", &mut names);
    }
    c.unique_names(field("defaultconfig"), "defaultconfig");
    c.unique_names(field("defaultassets"), "defaultassets");
    let mut out = c.out;
    out.sort_by_key(|p| (p.line, p.column));
    out.dedup();
    out
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

/// Validates a staged yaml plugin before it is installed as `file_name` for `plugin`.
pub fn validate_staged(path: &Path, file_name: &str, plugin: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("yaml plugin {plugin} is not readable text: {e}"))?;
    let problems = validate_text(&text, file_name);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "yaml plugin {plugin} does not validate:\n{}",
            format_problems(file_name, &problems)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEO: &str = "name: Neo\ndescription: Near earth object tracker\nplugintype: task\npluginversion: latest\nimage: ghcr.io/kushsharma/optimus-task-neo-executor\nsecretpath: /tmp/.secrets\n\nquestions:\n- name: RANGE_START\n  prompt: Date range start\n  help: YYYY-MM-DD format\n  required: true\n- name: RANGE_END\n  prompt: Date range end\n  help: YYYY-MM-DD format\n  required: true\n";

    #[test]
    fn neo_is_valid() {
        assert_eq!(validate_text(NEO, "optimus-plugin-neo.yaml"), vec![]);
    }

    #[test]
    fn problems_have_lines() {
        let text = NEO
            .replace("- name: RANGE_END", "- name: RANGE_START")
            .replace(
                "required: true\n- name",
                "required: true\n  regexp: \"[\"\n- name",
            );
        let p = validate_text(&text, "optimus-plugin-neo.yaml");
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].line, Some(13), "{p:?}");
        assert!(p[0].message.contains("regexp"));
        assert_eq!(p[1].line, Some(14), "{p:?}");
    }

    #[test]
    fn typo_suggests() {
        let p = validate_text(
            &NEO.replace("plugintype", "plugintyp"),
            "optimus-plugin-neo.yaml",
        );
        assert!(p[0].message.contains("did you mean `plugintype`"), "{p:?}");
        assert_eq!(p[0].line, Some(3));
    }

    #[test]
    fn name_mismatch() {
        let p = validate_text(NEO, "optimus-plugin-other.yaml");
        assert!(p[0].message.contains("file name"), "{p:?}");
    }
}
