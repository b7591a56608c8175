//! Yaml plugins (`optimus-plugin-<name>.yaml`, spec §7): the schema, strict parsing and the
//! checks of `validate`, each problem reported with its file and line.

use crate::config::suggest_for_unknown_field;
use crate::platform::yaml_file_name;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YamlPlugin {
    pub name: Option<String>,
    pub description: Option<String>,
    pub plugintype: Option<String>,
    pub pluginversion: Option<serde_norway::Value>,
    pub image: Option<String>,
    pub secretpath: Option<String>,
    #[serde(default)]
    pub questions: Vec<Question>,
    #[serde(default)]
    pub defaultassets: Vec<NameValue>,
    #[serde(default)]
    pub defaultconfig: Vec<NameValue>,
    pub pluginmods: Option<serde_norway::Value>,
    pub apiversion: Option<serde_norway::Value>,
    pub dependson: Option<serde_norway::Value>,
    pub hooktype: Option<String>,
    pub entrypoint: Option<Entrypoint>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub name: Option<String>,
    pub prompt: Option<String>,
    pub help: Option<String>,
    pub default: Option<serde_norway::Value>,
    pub regexp: Option<String>,
    pub validationerror: Option<String>,
    pub minlength: Option<i64>,
    pub maxlength: Option<i64>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub multiselect: Vec<String>,
    #[serde(default)]
    pub subquestions: Vec<SubQuestion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubQuestion {
    pub ifvalue: Option<serde_norway::Value>,
    #[serde(default)]
    pub questions: Vec<Question>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameValue {
    pub name: Option<String>,
    pub value: Option<serde_norway::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entrypoint {
    pub shell: Option<String>,
    pub script: Option<String>,
}

/// One problem found in a yaml plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

/// Maps key paths (`questions[0].name`) to the line they start on.
fn key_lines(text: &str) -> BTreeMap<String, usize> {
    use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
    use yaml_rust2::scanner::Marker;
    enum Frame {
        Map { path: String, key: Option<String> },
        Seq { path: String, index: usize },
    }
    struct Rx {
        stack: Vec<Frame>,
        lines: BTreeMap<String, usize>,
    }
    impl Rx {
        fn child_path(&self) -> Option<String> {
            match self.stack.last()? {
                Frame::Map { path, key: Some(k) } => Some(if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                }),
                Frame::Map { .. } => None,
                Frame::Seq { path, index } => Some(format!("{path}[{index}]")),
            }
        }
        fn value_done(&mut self) {
            match self.stack.last_mut() {
                Some(Frame::Map { key, .. }) => *key = None,
                Some(Frame::Seq { index, .. }) => *index += 1,
                None => {}
            }
        }
    }
    impl MarkedEventReceiver for Rx {
        fn on_event(&mut self, ev: Event, mark: Marker) {
            match ev {
                Event::Scalar(s, ..) => {
                    if let Some(Frame::Map {
                        path,
                        key: key @ None,
                    }) = self.stack.last_mut()
                    {
                        let full = if path.is_empty() {
                            s.clone()
                        } else {
                            format!("{path}.{s}")
                        };
                        self.lines.entry(full).or_insert(mark.line());
                        *key = Some(s);
                    } else {
                        if let Some(p) = self.child_path() {
                            self.lines.entry(p).or_insert(mark.line());
                        }
                        self.value_done();
                    }
                }
                Event::MappingStart(..) | Event::SequenceStart(..) => {
                    let path = match self.stack.last() {
                        None => String::new(),
                        Some(_) => self.child_path().unwrap_or_default(),
                    };
                    self.lines.entry(path.clone()).or_insert(mark.line());
                    self.stack.push(if matches!(ev, Event::MappingStart(..)) {
                        Frame::Map { path, key: None }
                    } else {
                        Frame::Seq { path, index: 0 }
                    });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    self.stack.pop();
                    self.value_done();
                }
                _ => {}
            }
        }
    }
    let mut rx = Rx {
        stack: Vec::new(),
        lines: BTreeMap::new(),
    };
    let _ = Parser::new_from_str(text).load(&mut rx, false);
    rx.lines
}

/// The plugin name a file name declares, if it follows `optimus-plugin-<name>.yaml`.
pub fn name_from_file(file_name: &str) -> Option<&str> {
    file_name
        .strip_prefix("optimus-plugin-")
        .and_then(|r| r.strip_suffix(".yaml").or_else(|| r.strip_suffix(".yml")))
}

/// Validates a yaml plugin's text; `file_name` is the name it has (or will have) on disk.
pub fn validate_text(text: &str, file_name: &str) -> Vec<Problem> {
    let plugin: YamlPlugin = match serde_norway::from_str(text) {
        Ok(p) => p,
        Err(e) => {
            let msg = e.to_string();
            let msg = match msg.find(" at line ") {
                Some(i) => msg[..i].to_string(),
                None => msg,
            };
            return vec![Problem {
                line: e.location().map(|l| l.line()),
                column: e.location().map(|l| l.column()),
                message: suggest_for_unknown_field(&msg),
            }];
        }
    };
    let lines = key_lines(text);
    let mut out = Vec::new();
    let mut add = |path: &str, message: String| {
        let line = lines
            .get(path)
            .or_else(|| {
                // Fall back to the closest enclosing path that has a line.
                let mut p = path.to_string();
                loop {
                    let cut = p.rfind(['.', '['])?;
                    p.truncate(cut);
                    if let Some(l) = lines.get(&p) {
                        return Some(l);
                    }
                }
            })
            .copied();
        out.push(Problem {
            line,
            column: None,
            message,
        });
    };

    let file_plugin = name_from_file(file_name);
    match (&plugin.name, file_plugin) {
        (None, _) => add("", "`name` is missing".into()),
        (Some(n), _) if n.trim().is_empty() => add("name", "`name` is empty".into()),
        (Some(n), Some(f)) if !n.eq_ignore_ascii_case(f) => add(
            "name",
            format!(
                "`name` is {n:?} but the file name says {f:?} (expected {})",
                yaml_file_name(&n.to_lowercase())
            ),
        ),
        (Some(n), None) => add(
            "name",
            format!(
                "the file should be named {} to be found by Optimus",
                yaml_file_name(&n.to_lowercase())
            ),
        ),
        _ => {}
    }
    match plugin.plugintype.as_deref() {
        None => add("", "`plugintype` is missing (task or hook)".into()),
        Some(t) if crate::registry::PluginType::parse(t).is_none() => add(
            "plugintype",
            format!("`plugintype` is {t:?}: expected task or hook"),
        ),
        _ => {}
    }
    if plugin.image.as_deref().is_none_or(|s| s.trim().is_empty()) {
        add(
            if plugin.image.is_some() { "image" } else { "" },
            "`image` is missing".into(),
        );
    }
    if let Some(h) = &plugin.hooktype {
        if !matches!(h.to_ascii_lowercase().as_str(), "pre" | "post" | "fail") {
            add(
                "hooktype",
                format!("`hooktype` is {h:?}: expected pre, post or fail"),
            );
        }
    }

    let mut names = BTreeSet::new();
    fn walk(
        qs: &[Question],
        base: &str,
        names: &mut BTreeSet<String>,
        add: &mut dyn FnMut(&str, String),
    ) {
        for (i, q) in qs.iter().enumerate() {
            let p = format!("{base}[{i}]");
            match q.name.as_deref().map(str::trim) {
                None | Some("") => add(&p, format!("{p}: question `name` is missing")),
                Some(n) => {
                    if !names.insert(n.to_string()) {
                        add(
                            &format!("{p}.name"),
                            format!("question name {n:?} is used more than once"),
                        );
                    }
                }
            }
            if let Some(re) = &q.regexp {
                if let Err(e) = regex::Regex::new(re) {
                    let first = e
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or("")
                        .trim()
                        .to_string();
                    add(
                        &format!("{p}.regexp"),
                        format!("{p}: `regexp` {re:?} does not compile: {first}"),
                    );
                }
            }
            if let (Some(min), Some(max)) = (q.minlength, q.maxlength) {
                if max > 0 && min > max {
                    add(
                        &format!("{p}.minlength"),
                        format!("{p}: minlength {min} is greater than maxlength {max}"),
                    );
                }
            }
            for (k, v) in [("minlength", q.minlength), ("maxlength", q.maxlength)] {
                if v.is_some_and(|v| v < 0) {
                    add(&format!("{p}.{k}"), format!("{p}: {k} is negative"));
                }
            }
            for (j, sq) in q.subquestions.iter().enumerate() {
                walk(
                    &sq.questions,
                    &format!("{p}.subquestions[{j}].questions"),
                    names,
                    add,
                );
            }
        }
    }
    walk(&plugin.questions, "questions", &mut names, &mut add);

    for (field, list) in [
        ("defaultconfig", &plugin.defaultconfig),
        ("defaultassets", &plugin.defaultassets),
    ] {
        let mut seen = BTreeSet::new();
        for (i, nv) in list.iter().enumerate() {
            let p = format!("{field}[{i}]");
            match nv.name.as_deref().map(str::trim) {
                None | Some("") => add(&p, format!("{p}: `name` is missing")),
                Some(n) => {
                    if !seen.insert(n.to_string()) {
                        add(
                            &format!("{p}.name"),
                            format!("{field} name {n:?} is used more than once"),
                        );
                    }
                }
            }
        }
    }
    out.sort_by_key(|p| p.line);
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
