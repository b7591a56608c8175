//! go-yaml's `parser` (decode.go, yaml.v2 and yaml.v3): the first document of the stream as a
//! tree of nodes, built from libyaml's events the way go-yaml builds it: tags as each version
//! records them, anchors, aliases resolved while parsing (`unknown anchor`), the document end
//! read before decoding starts. Errors carry go-yaml's text without its `yaml: ` prefix.

use super::events::{Failure, Kind as Ev, Style};
use super::parser::Parser;
use super::resolve::{self, short_tag};
use super::GoFail;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Document,
    Mapping,
    Sequence,
    Scalar,
    Alias,
}

#[derive(Debug, Clone)]
pub(super) struct Node {
    pub(super) kind: Kind,
    /// 0-based line and column of the event that starts it.
    pub(super) line: usize,
    pub(super) column: usize,
    /// yaml.v2: the event's tag in short form ("" when none, "!" when non-specific).
    /// yaml.v3: `Node.Tag` as `parser.node` sets it (explicit, default or resolved).
    pub(super) tag: String,
    /// A scalar's value; an alias's anchor name.
    pub(super) value: String,
    /// yaml.v2 `implicit` (libyaml's plain_implicit).
    pub(super) implicit: bool,
    pub(super) style: Style,
    pub(super) children: Vec<usize>,
    /// An alias's target.
    pub(super) alias: Option<usize>,
}

/// The parsed document: nodes in an arena (aliases point back into it), the root at `root`.
#[derive(Debug, Default)]
pub(super) struct Doc {
    pub(super) nodes: Vec<Node>,
    pub(super) root: Option<usize>,
}

impl Doc {
    pub(super) fn get(&self, i: usize) -> &Node {
        &self.nodes[i]
    }
}

/// go-yaml's `parser.fail`: the line it names and the problem.
fn fail_text(f: &Failure, v3: bool) -> String {
    let bump = |l: usize| if f.scanner { l + 1 } else { l };
    let line = if v3 {
        if f.context_line != 0 {
            bump(f.context_line)
        } else if f.problem_line != 0 {
            bump(f.problem_line)
        } else {
            0
        }
    } else if f.problem_line != 0 {
        bump(f.problem_line)
    } else {
        f.context_line
    };
    let problem = if f.problem.is_empty() {
        "unknown problem parsing YAML content"
    } else {
        &f.problem
    };
    if line != 0 {
        format!("line {line}: {problem}")
    } else {
        problem.to_string()
    }
}

struct Builder {
    parser: Parser,
    v3: bool,
    doc: Doc,
    anchors: HashMap<String, usize>,
    peeked: Option<super::events::Event>,
}

impl Builder {
    fn peek(&mut self) -> Result<&super::events::Event, GoFail> {
        if self.peeked.is_none() {
            let ev = self.parser.next_event().map_err(|f| {
                // A scanner error is best shown where its construct starts (the
                // unterminated quote, the key without `:`).
                let at = match (f.reader, f.context) {
                    (true, _) => None,
                    (false, Some((l, c))) if f.scanner => Some((l + 1, c + 1)),
                    _ => Some((f.problem_line + 1, f.problem_column + 1)),
                };
                let offset = f.reader.then_some(f.offset);
                GoFail {
                    msg: format!("yaml: {}", fail_text(&f, self.v3)),
                    at,
                    offset,
                }
            })?;
            self.peeked = Some(ev);
        }
        Ok(self.peeked.as_ref().unwrap())
    }

    fn take(&mut self) -> Result<super::events::Event, GoFail> {
        self.peek()?;
        Ok(self.peeked.take().unwrap())
    }

    fn push(&mut self, n: Node, anchor: Option<String>) -> usize {
        let i = self.doc.nodes.len();
        self.doc.nodes.push(n);
        if let Some(a) = anchor {
            self.anchors.insert(a, i);
        }
        i
    }

    fn node(&self, kind: Kind, line: usize, column: usize) -> Node {
        Node {
            kind,
            line,
            column,
            tag: String::new(),
            value: String::new(),
            implicit: false,
            style: Style::Plain,
            children: Vec::new(),
            alias: None,
        }
    }

    /// yaml.v3 `parser.node`: an explicit tag (not `!`) in short form, else the default
    /// tag, else a plain scalar's resolved tag.
    fn v3_tag(&self, kind: Kind, default: &str, tag: &str, value: &str) -> String {
        if !tag.is_empty() && tag != "!" {
            short_tag(tag)
        } else if !default.is_empty() {
            default.to_string()
        } else if kind == Kind::Scalar {
            resolve::resolve("", value, false)
                .map(|(t, _)| t)
                .unwrap_or_default()
        } else {
            String::new()
        }
    }

    fn parse(&mut self) -> Result<Option<usize>, GoFail> {
        let ev = self.take()?;
        let (line, column) = (ev.line, ev.column);
        let v3 = self.v3;
        let is_seq = matches!(ev.kind, Ev::SequenceStart { .. });
        match ev.kind {
            Ev::Scalar {
                anchor,
                tag,
                value,
                plain_implicit,
                style,
            } => {
                let mut n = self.node(Kind::Scalar, line, column);
                n.tag = if v3 {
                    let default = match style {
                        Style::Plain if value == "<<" => resolve::MERGE,
                        Style::Plain => "",
                        _ => resolve::STR,
                    };
                    self.v3_tag(Kind::Scalar, default, &tag, &value)
                } else {
                    short_tag(&tag)
                };
                n.value = value;
                n.implicit = plain_implicit;
                n.style = style;
                Ok(Some(self.push(n, anchor)))
            }
            Ev::Alias { anchor } => {
                let Some(&target) = self.anchors.get(&anchor) else {
                    return Err(GoFail::f(format!("unknown anchor '{anchor}' referenced")));
                };
                let mut n = self.node(Kind::Alias, line, column);
                n.value = anchor;
                n.alias = Some(target);
                Ok(Some(self.push(n, None)))
            }
            Ev::SequenceStart { anchor, tag } | Ev::MappingStart { anchor, tag } => {
                let (kind, default, close) = if is_seq {
                    (Kind::Sequence, resolve::SEQ, true)
                } else {
                    (Kind::Mapping, resolve::MAP, false)
                };
                let mut n = self.node(kind, line, column);
                // yaml.v2 keeps no tag on a collection node (decode.go `parser.mapping`).
                n.tag = if v3 {
                    self.v3_tag(kind, default, &tag, "")
                } else {
                    String::new()
                };
                // The anchor is known before the children are parsed: an alias inside may
                // point back to its own collection (decoding then fails on the cycle).
                let i = self.push(n, anchor);
                loop {
                    let end = matches!(
                        (close, &self.peek()?.kind),
                        (true, Ev::SequenceEnd) | (false, Ev::MappingEnd)
                    );
                    if end {
                        self.take()?;
                        break;
                    }
                    let child = self.parse()?;
                    self.doc.nodes[i].children.extend(child);
                }
                Ok(Some(i))
            }
            Ev::DocumentStart => {
                let n = self.node(Kind::Document, line, column);
                let i = self.push(n, None);
                let child = self.parse()?;
                self.doc.nodes[i].children.extend(child);
                let end = self.take()?;
                debug_assert!(matches!(end.kind, Ev::DocumentEnd));
                Ok(Some(i))
            }
            _ => Ok(None),
        }
    }
}

/// Parses the first document of `bytes` as go-yaml's `unmarshal` does (an empty input is
/// read as one line break; no document at all gives no root).
pub(super) fn parse(bytes: &[u8], v3: bool) -> Result<Doc, GoFail> {
    let input = if bytes.is_empty() {
        b"\n".to_vec()
    } else {
        bytes.to_vec()
    };
    let mut b = Builder {
        parser: Parser::new(input, v3),
        v3,
        doc: Doc::default(),
        anchors: HashMap::new(),
        peeked: None,
    };
    b.take()?; // STREAM-START
    let root = match b.peek()?.kind {
        Ev::StreamEnd => None,
        _ => b.parse()?,
    };
    b.doc.root = root;
    Ok(b.doc)
}
