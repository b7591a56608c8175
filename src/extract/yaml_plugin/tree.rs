//! The first yaml document (the only one Optimus reads; later ones are never parsed) as a tree of nodes with their positions (from yaml-rust2's marked
//! events), so every problem can name its line and column.

use super::Problem;

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

/// Builds the first document's tree from yaml-rust2's marked events.
pub(super) fn parse_tree(text: &str) -> Result<Option<Node>, Problem> {
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
    if let Err(e) = Parser::new_from_str(text).load(&mut rx, false) {
        return Err(Problem {
            line: Some(e.marker().line()),
            column: Some(e.marker().col() + 1),
            message: format!("invalid YAML: {}", e.info()),
        });
    }
    if let Some(p) = rx.problems.into_iter().next() {
        return Err(p);
    }
    Ok(rx.root)
}
