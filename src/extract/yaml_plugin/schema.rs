//! Advice on the parts of a v1 yaml plugin Optimus loads without checking: question names,
//! regexps, lengths, config and asset names; and the typo finder.

use super::tree::{Entry, Node};
use super::Problem;
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
