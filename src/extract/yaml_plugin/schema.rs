//! The yaml plugin schema (spec §7) as data, and the checker that walks a document against it.

use super::tree::{Entry, Node};
use super::Problem;
use std::collections::BTreeSet;

/// What a field holds.
#[derive(Clone, Copy)]
pub(super) enum Kind {
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
pub(super) const PLUGIN_FIELDS: &[(&str, Kind)] = &[
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

pub(super) struct Checker {
    pub(super) out: Vec<Problem>,
    /// Keys suggested for typos ("did you mean"): not reported again as missing.
    pub(super) suggested: BTreeSet<String>,
}

impl Checker {
    pub(super) fn at(&mut self, pos: (usize, usize), message: String) {
        self.out.push(Problem {
            line: Some(pos.0),
            column: Some(pos.1),
            message,
        });
    }

    /// Checks a node against its kind: unknown keys, wrong shapes, wrong scalar types.
    pub(super) fn shape(&mut self, node: &Node, kind: Kind, path: &str) {
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
    pub(super) fn questions(&mut self, list: &Node, path: &str, names: &mut BTreeSet<String>) {
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

    pub(super) fn unique_names(&mut self, list: Option<&Entry>, field: &str) {
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
