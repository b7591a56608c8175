//! Yaml plugins (`optimus-plugin-<name>.yaml`, spec §7): the schema, strict parsing and the
//! checks of `validate`, each problem reported with its file and line.

use crate::platform::yaml_file_name;
use std::collections::BTreeSet;
use std::path::Path;

/// One problem found in a yaml plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

/// A parsed yaml node with the position (1-based line and column) where it starts.
#[derive(Debug, Clone)]
enum Node {
    Scalar {
        value: String,
        plain: bool,
        line: usize,
        col: usize,
    },
    Map {
        entries: Vec<Entry>,
        line: usize,
        col: usize,
    },
    Seq {
        items: Vec<Node>,
        line: usize,
        col: usize,
    },
    Alias {
        line: usize,
        col: usize,
    },
}

#[derive(Debug, Clone)]
struct Entry {
    key: String,
    line: usize,
    col: usize,
    value: Node,
}

impl Node {
    fn pos(&self) -> (usize, usize) {
        match self {
            Node::Scalar { line, col, .. }
            | Node::Map { line, col, .. }
            | Node::Seq { line, col, .. }
            | Node::Alias { line, col } => (*line, *col),
        }
    }
    fn is_null(&self) -> bool {
        matches!(self, Node::Scalar { value, plain: true, .. }
            if matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }
    fn what(&self) -> String {
        match self {
            Node::Scalar { value, .. } => format!("{value:?}"),
            Node::Map { .. } => "a mapping".into(),
            Node::Seq { .. } => "a list".into(),
            Node::Alias { .. } => "an alias".into(),
        }
    }
    fn get(&self, key: &str) -> Option<&Entry> {
        match self {
            Node::Map { entries, .. } => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }
    /// A non-null scalar's text.
    fn text(&self) -> Option<&str> {
        match self {
            Node::Scalar { value, .. } if !self.is_null() => Some(value),
            _ => None,
        }
    }
}

/// Builds the first document's tree from yaml-rust2's marked events.
fn parse_tree(text: &str) -> Result<Option<Node>, Problem> {
    use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
    use yaml_rust2::scanner::{Marker, TScalarStyle};
    enum Frame {
        Map {
            entries: Vec<Entry>,
            key: Option<(String, usize, usize)>,
            line: usize,
            col: usize,
            bad_key: bool,
        },
        Seq {
            items: Vec<Node>,
            line: usize,
            col: usize,
        },
    }
    #[derive(Default)]
    struct Rx {
        stack: Vec<Frame>,
        docs: usize,
        root: Option<Node>,
        problems: Vec<Problem>,
    }
    impl Rx {
        fn push_node(&mut self, node: Node) {
            match self.stack.last_mut() {
                None => {
                    if self.root.is_none() {
                        self.root = Some(node);
                    }
                }
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map {
                    entries,
                    key,
                    bad_key,
                    ..
                }) => match key.take() {
                    Some((k, line, col)) => entries.push(Entry {
                        key: k,
                        line,
                        col,
                        value: node,
                    }),
                    None => match node {
                        Node::Scalar {
                            value, line, col, ..
                        } => *key = Some((value, line, col)),
                        other => {
                            // A complex key: report it, then skip its value.
                            let (line, col) = other.pos();
                            *bad_key = true;
                            *key = Some((String::new(), line, col));
                        }
                    },
                },
            }
        }
    }
    impl MarkedEventReceiver for Rx {
        fn on_event(&mut self, ev: Event, mark: Marker) {
            let (line, col) = (mark.line(), mark.col() + 1);
            match ev {
                Event::DocumentStart => self.docs += 1,
                Event::Scalar(value, style, ..) => self.push_node(Node::Scalar {
                    value,
                    plain: style == TScalarStyle::Plain,
                    line,
                    col,
                }),
                Event::Alias(_) => self.push_node(Node::Alias { line, col }),
                Event::MappingStart(..) => self.stack.push(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    line,
                    col,
                    bad_key: false,
                }),
                Event::SequenceStart(..) => self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    line,
                    col,
                }),
                Event::MappingEnd | Event::SequenceEnd => {
                    let node = match self.stack.pop() {
                        Some(Frame::Map {
                            entries,
                            line,
                            col,
                            bad_key,
                            ..
                        }) => {
                            if bad_key {
                                self.problems.push(Problem {
                                    line: Some(line),
                                    column: Some(col),
                                    message: "a key must be a plain string".into(),
                                });
                            }
                            // yaml-rust2 marks a block mapping's start after its first
                            // key; its first key is where a reader sees it start.
                            let (line, col) =
                                entries.first().map_or((line, col), |e| (e.line, e.col));
                            Node::Map { entries, line, col }
                        }
                        Some(Frame::Seq { items, line, col }) => Node::Seq { items, line, col },
                        None => return,
                    };
                    self.push_node(node);
                }
                _ => {}
            }
        }
    }
    let mut rx = Rx::default();
    if let Err(e) = Parser::new_from_str(text).load(&mut rx, true) {
        return Err(Problem {
            line: Some(e.marker().line()),
            column: Some(e.marker().col() + 1),
            message: format!("invalid YAML: {}", e.info()),
        });
    }
    if rx.docs > 1 {
        return Err(Problem {
            line: None,
            column: None,
            message: format!(
                "the file holds {} YAML documents; a yaml plugin is exactly one",
                rx.docs
            ),
        });
    }
    if let Some(p) = rx.problems.into_iter().next() {
        return Err(p);
    }
    Ok(rx.root)
}

/// What a field holds.
#[derive(Clone, Copy)]
enum Kind {
    /// Any scalar (text, number, bool).
    Scalar,
    Int,
    Bool,
    /// A list of scalars.
    ScalarList,
    /// A list of mappings with these fields.
    MapList(&'static [(&'static str, Kind)]),
    /// A mapping with these fields.
    Map(&'static [(&'static str, Kind)]),
    /// Anything (fields Optimus passes through).
    Any,
}

const NAME_VALUE: &[(&str, Kind)] = &[("name", Kind::Scalar), ("value", Kind::Scalar)];
const SUB_QUESTION_FIELDS: &[(&str, Kind)] = &[
    ("name", Kind::Scalar),
    ("prompt", Kind::Scalar),
    ("help", Kind::Scalar),
    ("default", Kind::Scalar),
    ("multiselect", Kind::ScalarList),
    ("regexp", Kind::Scalar),
    ("validationerror", Kind::Scalar),
    ("minlength", Kind::Int),
    ("maxlength", Kind::Int),
    ("required", Kind::Bool),
];
const SUB_QUESTIONS: &[(&str, Kind)] = &[
    ("ifvalue", Kind::Scalar),
    ("questions", Kind::MapList(SUB_QUESTION_FIELDS)),
];
const QUESTION_FIELDS: &[(&str, Kind)] = &[
    ("name", Kind::Scalar),
    ("prompt", Kind::Scalar),
    ("help", Kind::Scalar),
    ("default", Kind::Scalar),
    ("multiselect", Kind::ScalarList),
    ("regexp", Kind::Scalar),
    ("validationerror", Kind::Scalar),
    ("minlength", Kind::Int),
    ("maxlength", Kind::Int),
    ("required", Kind::Bool),
    ("subquestions", Kind::MapList(SUB_QUESTIONS)),
];
const ENTRYPOINT: &[(&str, Kind)] = &[("shell", Kind::Scalar), ("script", Kind::Scalar)];
/// The yaml plugin schema (spec §7): the design documents' fields plus those later Optimus
/// servers read.
const PLUGIN_FIELDS: &[(&str, Kind)] = &[
    ("name", Kind::Scalar),
    ("description", Kind::Scalar),
    ("plugintype", Kind::Scalar),
    ("pluginversion", Kind::Scalar),
    ("image", Kind::Scalar),
    ("secretpath", Kind::Scalar),
    ("questions", Kind::MapList(QUESTION_FIELDS)),
    ("defaultassets", Kind::MapList(NAME_VALUE)),
    ("defaultconfig", Kind::MapList(NAME_VALUE)),
    ("pluginmods", Kind::ScalarList),
    ("apiversion", Kind::Any),
    ("dependson", Kind::Any),
    ("hooktype", Kind::Scalar),
    ("entrypoint", Kind::Map(ENTRYPOINT)),
];

/// The known key nearest to `unknown`, if it is close enough to be a typo.
fn nearest<'a>(unknown: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let u = unknown.to_lowercase();
    known
        .map(|k| (strsim::damerau_levenshtein(&u, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min()
        .map(|(_, k)| k)
}

fn is_int(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

fn int_of(n: &Node) -> Option<i64> {
    match n {
        Node::Scalar {
            value, plain: true, ..
        } if is_int(value) => value.parse().ok(),
        _ => None,
    }
}

struct Checker {
    out: Vec<Problem>,
    /// Keys suggested for typos ("did you mean"): not reported again as missing.
    suggested: BTreeSet<String>,
}

impl Checker {
    fn at(&mut self, pos: (usize, usize), message: String) {
        self.out.push(Problem {
            line: Some(pos.0),
            column: Some(pos.1),
            message,
        });
    }

    /// Checks a node against its kind: unknown keys, wrong shapes, wrong scalar types.
    fn shape(&mut self, node: &Node, kind: Kind, path: &str) {
        if node.is_null() {
            return; // an empty value is the same as an absent one
        }
        if let Node::Alias { .. } = node {
            return;
        }
        match kind {
            Kind::Any => {}
            Kind::Scalar => {
                if !matches!(node, Node::Scalar { .. }) {
                    self.at(
                        node.pos(),
                        format!("`{path}` must be a single value, found {}", node.what()),
                    );
                }
            }
            Kind::Int => {
                if int_of(node).is_none() {
                    self.at(
                        node.pos(),
                        format!("`{path}` must be a whole number, found {}", node.what()),
                    );
                }
            }
            Kind::Bool => {
                let ok = matches!(node, Node::Scalar { value, plain: true, .. }
                    if matches!(value.as_str(), "true" | "false" | "True" | "False" | "TRUE" | "FALSE"));
                if !ok {
                    self.at(
                        node.pos(),
                        format!("`{path}` must be true or false, found {}", node.what()),
                    );
                }
            }
            Kind::ScalarList => match node {
                Node::Seq { items, .. } => {
                    for (i, it) in items.iter().enumerate() {
                        self.shape(it, Kind::Scalar, &format!("{path}[{i}]"));
                    }
                }
                _ => self.at(
                    node.pos(),
                    format!("`{path}` must be a list, found {}", node.what()),
                ),
            },
            Kind::MapList(fields) => match node {
                Node::Seq { items, .. } => {
                    for (i, it) in items.iter().enumerate() {
                        self.shape(it, Kind::Map(fields), &format!("{path}[{i}]"));
                    }
                }
                _ => self.at(
                    node.pos(),
                    format!("`{path}` must be a list, found {}", node.what()),
                ),
            },
            Kind::Map(fields) => match node {
                Node::Map { entries, .. } => {
                    let mut seen = BTreeSet::new();
                    for e in entries {
                        let pos = (e.line, e.col);
                        if !seen.insert(e.key.as_str()) {
                            self.at(pos, format!("duplicate key `{}`", e.key));
                        }
                        let child = if path.is_empty() {
                            e.key.clone()
                        } else {
                            format!("{path}.{}", e.key)
                        };
                        match fields.iter().find(|(k, _)| *k == e.key) {
                            Some((_, k)) => self.shape(&e.value, *k, &child),
                            None => {
                                let known = fields.iter().map(|(k, _)| *k);
                                let hint = match nearest(&e.key, known.clone()) {
                                    Some(k) => {
                                        self.suggested.insert(if path.is_empty() {
                                            k.to_string()
                                        } else {
                                            format!("{path}.{k}")
                                        });
                                        format!("did you mean `{k}`?")
                                    }
                                    None => format!(
                                        "expected one of: {}",
                                        known.collect::<Vec<_>>().join(", ")
                                    ),
                                };
                                self.at(pos, format!("unknown key `{child}`; {hint}"));
                            }
                        }
                    }
                }
                _ => self.at(
                    node.pos(),
                    format!(
                        "{} must be a mapping of keys to values, found {}",
                        if path.is_empty() {
                            "a yaml plugin".to_string()
                        } else {
                            format!("`{path}`")
                        },
                        node.what()
                    ),
                ),
            },
        }
    }

    /// Question checks: names present and unique (across sub-questions too), regexps compile,
    /// minlength <= maxlength.
    fn questions(&mut self, list: &Node, path: &str, names: &mut BTreeSet<String>) {
        let Node::Seq { items, .. } = list else {
            return;
        };
        for (i, q) in items.iter().enumerate() {
            let p = format!("{path}[{i}]");
            if !matches!(q, Node::Map { .. }) {
                continue;
            }
            match q
                .get("name")
                .and_then(|e| e.value.text().map(|t| (e, t.trim())))
            {
                None if self.suggested.contains(&format!("{p}.name")) => {}
                None | Some((_, "")) => self.at(q.pos(), format!("`{p}.name` is missing")),
                Some((e, n)) => {
                    if !names.insert(n.to_string()) {
                        self.at(
                            (e.line, e.col),
                            format!("question name {n:?} is used more than once"),
                        );
                    }
                }
            }
            if let Some(e) = q.get("regexp") {
                if let Some(re) = e.value.text() {
                    if let Err(err) = regex::Regex::new(re) {
                        let why = err
                            .to_string()
                            .lines()
                            .last()
                            .unwrap_or("")
                            .trim()
                            .to_string();
                        self.at(
                            e.value.pos(),
                            format!("`{p}.regexp` {re:?} does not compile: {why}"),
                        );
                    }
                }
            }
            let min = q
                .get("minlength")
                .and_then(|e| int_of(&e.value).map(|v| (e, v)));
            let max = q
                .get("maxlength")
                .and_then(|e| int_of(&e.value).map(|v| (e, v)));
            for (k, v) in [("minlength", min), ("maxlength", max)] {
                if let Some((e, v)) = v {
                    if v < 0 {
                        self.at((e.line, e.col), format!("`{p}.{k}` is negative ({v})"));
                    }
                }
            }
            // maxlength 0 means "no limit" in Optimus (Go's omitempty).
            if let (Some((e, min)), Some((_, max))) = (min, max) {
                if max > 0 && min > max {
                    self.at(
                        (e.line, e.col),
                        format!("`{p}.minlength` {min} is greater than maxlength {max}"),
                    );
                }
            }
            if let Some(Entry {
                value: Node::Seq { items: subs, .. },
                ..
            }) = q.get("subquestions")
            {
                for (j, sq) in subs.iter().enumerate() {
                    if let Some(e) = sq.get("questions") {
                        self.questions(
                            &e.value,
                            &format!("{p}.subquestions[{j}].questions"),
                            names,
                        );
                    }
                }
            }
        }
    }

    fn unique_names(&mut self, list: Option<&Entry>, field: &str) {
        let Some(Entry {
            value: Node::Seq { items, .. },
            ..
        }) = list
        else {
            return;
        };
        let mut seen = BTreeSet::new();
        for (i, it) in items.iter().enumerate() {
            if !matches!(it, Node::Map { .. }) {
                continue;
            }
            match it
                .get("name")
                .and_then(|e| e.value.text().map(|t| (e, t.trim())))
            {
                None if self.suggested.contains(&format!("{field}[{i}].name")) => {}
                None | Some((_, "")) => {
                    self.at(it.pos(), format!("`{field}[{i}].name` is missing"))
                }
                Some((e, n)) => {
                    if !seen.insert(n.to_string()) {
                        self.at(
                            (e.line, e.col),
                            format!("{field} name {n:?} is used more than once"),
                        );
                    }
                }
            }
        }
    }
}

/// The plugin name a file name declares, if it follows `optimus-plugin-<name>.yaml`.
pub fn name_from_file(file_name: &str) -> Option<&str> {
    file_name
        .strip_prefix("optimus-plugin-")
        .and_then(|r| r.strip_suffix(".yaml").or_else(|| r.strip_suffix(".yml")))
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

    let file_plugin = name_from_file(file_name);
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
                if !crate::platform::is_valid_plugin_name(&n.to_lowercase()) {
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
            if t.and_then(crate::registry::PluginType::parse).is_none() {
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
