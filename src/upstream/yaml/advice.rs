//! Our words beside upstream's: what a decoding error or a failed required-field check means
//! for this file (`explain`, `required_hint`), and advice on what the target loads without
//! checking (`advice`: the file's name, hook types, question names, regexps, lengths, config
//! and asset names), with the typo finder.

use super::decode::{self, ErrKind};
use super::tree::{Entry, Node};
use super::Problem;
use crate::model::names::yaml_file_name;
use crate::upstream::target::{GoStruct, GoType, Rules, TARGETS};
use std::collections::BTreeSet;

/// The known key nearest to `unknown`, if it is close enough to be a typo.
pub(super) fn nearest<'a>(unknown: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let u = unknown.to_lowercase();
    known
        .map(|k| (strsim::damerau_levenshtein(&u, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min()
        .map(|(_, k)| k)
}

fn int_of(n: &Node) -> Option<i64> {
    match n {
        Node::Scalar {
            value, plain: true, ..
        } => super::resolve::parse_int(&value.replace('_', "")),
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

/// Our reading of one decoding error.
pub(super) fn explain(e: &decode::DecodeError, rules: &Rules) -> String {
    let key = e.key.as_deref().unwrap_or("");
    match e.kind {
        ErrKind::Repeated => format!("`{key}` is given twice"),
        ErrKind::WrongType if key.is_empty() => {
            "the document has the wrong shape: a yaml plugin is a mapping of keys to values".into()
        }
        ErrKind::WrongType => {
            let want = e.want;
            format!(
                "`{key}` has the wrong shape for {}: expected {want}",
                rules.name
            )
        }
        ErrKind::Unknown => {
            let elsewhere: Vec<&str> = TARGETS
                .iter()
                .map(|t| t.rules())
                .filter(|r| r.name != rules.name && e.go_type == rules.schema.go_name)
                .filter(|r| r.schema.fields.iter().any(|(k, _)| *k == key))
                .map(|r| r.name)
                .collect();
            if !elsewhere.is_empty() {
                format!(
                    "`{key}` is a key of the {} spec, not of {} ({})",
                    elsewhere.join(" and "),
                    rules.name,
                    rules.releases
                )
            } else {
                let fields = field_names(rules, e.go_type);
                match nearest(key, fields.iter().copied()) {
                    Some(k) => format!("unknown key `{key}`: did you mean `{k}`?"),
                    None => format!("unknown key `{key}`: expected one of {}", fields.join(", ")),
                }
            }
        }
    }
}

fn field_names(rules: &Rules, go_type: &str) -> Vec<&'static str> {
    fn walk(s: &'static GoStruct, name: &str, depth: usize) -> Option<Vec<&'static str>> {
        if s.go_name == name {
            return Some(s.fields.iter().map(|(k, _)| *k).collect());
        }
        if depth > 4 {
            return None;
        }
        for (_, t) in s.fields {
            let mut t = t;
            while let GoType::Seq(_, e) | GoType::Map(_, _, e) = t {
                t = *e;
            }
            if let GoType::Struct(inner) = t {
                if let Some(f) = walk(inner, name, depth + 1) {
                    return Some(f);
                }
            }
        }
        None
    }
    walk(rules.schema, go_type, 0).unwrap_or_default()
}

pub(super) fn required_hint(message: &str, present: bool, rules: &Rules) -> String {
    let r = rules
        .required
        .iter()
        .find(|r| r.message == message)
        .expect("message from the table");
    let path = r.path.join(".");
    match &r.check {
        crate::upstream::target::Check::OneOf(set) => format!(
            "`{path}` must be exactly one of {} (lower case)",
            set.join(", ")
        ),
        crate::upstream::target::Check::HasKey(k) => format!("`{path}` needs a `{k}` entry"),
        crate::upstream::target::Check::NonZero => {
            format!("`{path}` must be a number other than 0")
        }
        crate::upstream::target::Check::NonEmpty if present => format!("`{path}` is empty"),
        crate::upstream::target::Check::NonEmpty => format!("`{path}` is missing"),
    }
}

/// What the target loads but is probably not meant: the file's name, `name` against it,
/// hook types, question details.
pub(super) fn advice(root: Option<&Node>, file_name: &str, rules: &Rules) -> Vec<Problem> {
    let mut c = Checker {
        out: Vec::new(),
        suggested: BTreeSet::new(),
    };
    let Some(root) = root else { return c.out };
    let name_entry = root.get("name");
    let name = name_entry.and_then(|e| e.value.text()).unwrap_or("");
    let pos = name_entry.map_or((1, 1), |e| (e.line, e.col));
    if !rules.is_yaml_file(file_name) {
        c.at(
            pos,
            format!(
                "{} loads this plugin, but only finds it when the file is named {}{}",
                rules.name,
                rules.yaml_prefix,
                &yaml_file_name(name)[rules.yaml_prefix.len()..]
            ),
        );
    } else {
        let from_file =
            &file_name[rules.yaml_prefix.len()..file_name.len() - rules.yaml_suffix.len()];
        if from_file != name {
            c.at(
                pos,
                format!(
                    "`name` is {name:?} but the file name says {from_file:?}: Optimus goes by `name`; rename the file to {} to avoid confusion",
                    yaml_file_name(name)
                ),
            );
        }
    }
    if rules.has_hook_type {
        if let Some(e) = root.get("hooktype") {
            if let Some(h) = e.value.text() {
                if !h.is_empty() && !matches!(h, "pre" | "post" | "fail") {
                    c.at(
                        e.value.pos(),
                        format!("`hooktype` is {h:?}: Optimus files hooks under pre, post or fail and silently drops any other value"),
                    );
                }
            }
        }
    }
    if rules.has_plugin_type {
        let mut names = BTreeSet::new();
        if let Some(e) = root.get("questions") {
            c.questions(&e.value, "questions", &mut names);
        }
        c.unique_names(root.get("defaultconfig"), "defaultconfig");
        c.unique_names(root.get("defaultassets"), "defaultassets");
    }
    let mut out = c.out;
    out.sort_by_key(|p| (p.line, p.column));
    out.dedup();
    out
}
