//! The first yaml document (the only one Optimus reads) as a plain tree of nodes with their
//! positions, for the advice we add to upstream's verdict (question names, regexps...).

use super::events::Style;
use super::nodes::{Doc, Kind};

/// A parsed yaml node with the position (1-based line and column) where it starts.
#[derive(Debug, Clone)]
pub(super) enum Node {
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
pub(super) struct Entry {
    pub(super) key: String,
    pub(super) line: usize,
    pub(super) col: usize,
    pub(super) value: Node,
}

impl Node {
    pub(super) fn pos(&self) -> (usize, usize) {
        match self {
            Node::Scalar { line, col, .. }
            | Node::Map { line, col, .. }
            | Node::Seq { line, col, .. }
            | Node::Alias { line, col } => (*line, *col),
        }
    }
    pub(super) fn is_null(&self) -> bool {
        matches!(self, Node::Scalar { value, plain: true, .. }
            if matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }
    pub(super) fn get(&self, key: &str) -> Option<&Entry> {
        match self {
            Node::Map { entries, .. } => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }
    /// A non-null scalar's text.
    pub(super) fn text(&self) -> Option<&str> {
        match self {
            Node::Scalar { value, .. } if !self.is_null() => Some(value),
            _ => None,
        }
    }
}

/// The view of a parsed document that our advice reads: aliases replaced by what they point
/// to (a cycle stays an alias), mappings keyed by their scalar keys.
pub(super) fn view(doc: &Doc) -> Option<Node> {
    let root = doc.root?;
    let child = *doc.get(root).children.first()?;
    let mut seen = Vec::new();
    let mut budget = 100_000;
    Some(build(doc, child, &mut seen, &mut budget))
}

/// `budget` bounds the nodes built: aliases can make a small file expand without end.
fn build(doc: &Doc, i: usize, seen: &mut Vec<usize>, budget: &mut usize) -> Node {
    let n = doc.get(i);
    let (line, col) = (n.line + 1, n.column + 1);
    if seen.contains(&i) || *budget == 0 {
        return Node::Alias { line, col };
    }
    *budget -= 1;
    seen.push(i);
    let out = match n.kind {
        Kind::Alias => match n.alias {
            Some(t) => build(doc, t, seen, budget),
            None => Node::Alias { line, col },
        },
        Kind::Scalar | Kind::Document => Node::Scalar {
            value: n.value.clone(),
            plain: n.style == Style::Plain,
            line,
            col,
        },
        Kind::Sequence => Node::Seq {
            items: n
                .children
                .iter()
                .map(|c| build(doc, *c, seen, budget))
                .collect(),
            line,
            col,
        },
        Kind::Mapping => {
            let mut entries = Vec::new();
            for pair in n.children.chunks(2) {
                let [k, v] = pair else { continue };
                let Node::Scalar {
                    value, line, col, ..
                } = build(doc, *k, seen, budget)
                else {
                    continue;
                };
                let value_node = build(doc, *v, seen, budget);
                entries.push(Entry {
                    key: value,
                    line,
                    col,
                    value: value_node,
                });
            }
            Node::Map { entries, line, col }
        }
    };
    seen.pop();
    out
}
