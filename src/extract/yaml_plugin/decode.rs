//! What a target Optimus does with a yaml plugin's text: a port of its yaml library's decoding
//! (gopkg.in/yaml.v2 `UnmarshalStrict` or yaml.v3 `Unmarshal`) into the target's Go types,
//! then its required-field checks in order. Errors carry upstream's exact text
//! (docs/upstream-rules.md §2) and the line and column they are about.

use super::tree::{Entry, Node};
use crate::upstream::target::{Check, Decoder, GoStruct, GoType, Rules};

/// One decoding error: upstream's line text (`line N: ...`) and where it points.
#[derive(Debug, Clone)]
pub(super) struct DecodeError {
    pub(super) line: usize,
    pub(super) col: usize,
    /// Upstream's text without the `line N: ` prefix.
    pub(super) text: String,
    /// The key it is about, for our explanation.
    pub(super) key: Option<String>,
    pub(super) kind: ErrKind,
    pub(super) go_type: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ErrKind {
    Unknown,
    Repeated,
    WrongType,
}

/// The scalar's YAML tag as the target's resolver sees it (`!!str`, `!!int`...).
fn scalar_tag(value: &str, plain: bool, dec: Decoder) -> &'static str {
    if !plain {
        return "!!str";
    }
    if matches!(value, "" | "~" | "null" | "Null" | "NULL") {
        return "!!null";
    }
    if bool_of(value, dec).is_some() {
        return "!!bool";
    }
    if int_of(value).is_some() {
        return "!!int";
    }
    if is_float(value) {
        return "!!float";
    }
    "!!str"
}

/// A plain scalar's boolean value under the decoder's resolver.
fn bool_of(v: &str, dec: Decoder) -> Option<bool> {
    match v {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ if dec == Decoder::YamlV2Strict => yaml11_bool(v),
        _ => None,
    }
}

fn yaml11_bool(v: &str) -> Option<bool> {
    match v {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// A plain scalar's integer value (decimal, 0x, 0o, 0b; `_` separators).
pub(super) fn int_of(v: &str) -> Option<i64> {
    let s = v.replace('_', "");
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r.to_string()),
        None => (false, s.strip_prefix('+').unwrap_or(&s).to_string()),
    };
    let n = if let Some(h) = s.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = s.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else if let Some(b) = s.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()?
    } else if !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()) {
        s.parse().ok()?
    } else {
        return None;
    };
    Some(if neg { -n } else { n })
}

fn is_float(v: &str) -> bool {
    matches!(
        v,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "-.inf" | ".nan" | ".NaN" | ".NAN"
    ) || (v.bytes().any(|c| c.is_ascii_digit())
        && v.bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-' | b'_'))
        && v.replace('_', "").parse::<f64>().is_ok())
}

struct Decoding {
    dec: Decoder,
    errors: Vec<DecodeError>,
}

impl Decoding {
    /// `cannot unmarshal <tag> <value> into <type>` (yaml.v2 `terror`, same in v3).
    fn terror(&mut self, node: &Node, go_type: &'static str, key: Option<&str>) {
        let (tag, value) = match node {
            Node::Map { .. } => ("!!map", String::new()),
            Node::Seq { .. } => ("!!seq", String::new()),
            Node::Scalar { value, plain, .. } => {
                let b = value.as_bytes();
                let shown = if b.len() > 10 {
                    format!(" `{}...`", String::from_utf8_lossy(&b[..7]))
                } else {
                    format!(" `{value}`")
                };
                (scalar_tag(value, *plain, self.dec), shown)
            }
            Node::Alias { .. } => return,
        };
        let (line, col) = node.pos();
        self.errors.push(DecodeError {
            line,
            col,
            text: format!("cannot unmarshal {tag}{value} into {go_type}"),
            key: key.map(str::to_string),
            kind: ErrKind::WrongType,
            go_type,
        });
    }

    /// yaml.v3 refuses a mapping with a repeated key before decoding any of it.
    fn v3_unique(&mut self, entries: &[Entry]) -> bool {
        if self.dec != Decoder::YamlV3 {
            return true;
        }
        let before = self.errors.len();
        for (i, a) in entries.iter().enumerate() {
            for b in &entries[i + 1..] {
                if a.key == b.key {
                    self.errors.push(DecodeError {
                        line: b.line,
                        col: b.col,
                        text: format!("mapping key {:?} already defined at line {}", b.key, a.line),
                        key: Some(b.key.clone()),
                        kind: ErrKind::Repeated,
                        go_type: "",
                    });
                }
            }
        }
        self.errors.len() == before
    }

    fn value(&mut self, node: &Node, ty: &'static GoType, key: Option<&str>) {
        if node.is_null() || matches!(node, Node::Alias { .. }) {
            return;
        }
        match ty {
            GoType::Str => {
                if !matches!(node, Node::Scalar { .. }) {
                    self.terror(node, ty.go_name(), key);
                }
            }
            GoType::Int => {
                let ok = matches!(node, Node::Scalar { value, plain: true, .. }
                    if int_of(value).is_some()
                        || (is_float(value) && value.parse::<f64>().is_ok_and(|f| f.fract() == 0.0)));
                if !ok {
                    self.terror(node, ty.go_name(), key);
                }
            }
            GoType::Bool => {
                // yaml.v3 also takes the YAML 1.1 words when the target is a typed bool.
                let ok = matches!(node, Node::Scalar { value, plain: true, .. }
                    if yaml11_bool(value).is_some());
                if !ok {
                    self.terror(node, ty.go_name(), key);
                }
            }
            GoType::Seq(_, elem) => match node {
                Node::Seq { items, .. } => {
                    for it in items {
                        self.value(it, elem, key);
                    }
                }
                _ => self.terror(node, ty.go_name(), key),
            },
            GoType::Map(_, elem) => match node {
                Node::Map { entries, .. } => {
                    if self.v3_unique(entries) {
                        for e in entries {
                            self.value(&e.value, elem, Some(&e.key));
                        }
                    }
                }
                _ => self.terror(node, ty.go_name(), key),
            },
            GoType::Struct(s) => match node {
                Node::Map { entries, .. } => self.structure(entries, s),
                _ => self.terror(node, ty.go_name(), key),
            },
        }
    }

    fn structure(&mut self, entries: &[Entry], s: &'static GoStruct) {
        if !self.v3_unique(entries) {
            return;
        }
        let mut done: Vec<&str> = Vec::new();
        for e in entries {
            match s.fields.iter().find(|(k, _)| *k == e.key) {
                Some((k, ty)) => {
                    if self.dec == Decoder::YamlV2Strict {
                        if done.contains(k) {
                            self.errors.push(DecodeError {
                                line: e.line,
                                col: e.col,
                                text: format!("field {} already set in type {}", e.key, s.go_name),
                                key: Some(e.key.clone()),
                                kind: ErrKind::Repeated,
                                go_type: s.go_name,
                            });
                            continue;
                        }
                        done.push(*k);
                    }
                    self.value(&e.value, ty, Some(&e.key));
                }
                None if self.dec == Decoder::YamlV2Strict => self.errors.push(DecodeError {
                    line: e.line,
                    col: e.col,
                    text: format!("field {} not found in type {}", e.key, s.go_name),
                    key: Some(e.key.clone()),
                    kind: ErrKind::Unknown,
                    go_type: s.go_name,
                }),
                None => {}
            }
        }
    }
}

/// Decodes the document (`None`: empty) into the target's schema; the errors in upstream's
/// order.
pub(super) fn decode(root: Option<&Node>, rules: &Rules) -> Vec<DecodeError> {
    let mut d = Decoding {
        dec: rules.decoder,
        errors: Vec::new(),
    };
    if let Some(root) = root {
        match root {
            Node::Map { entries, .. } => d.structure(entries, rules.schema),
            n if n.is_null() => {}
            n => d.terror(n, rules.schema.go_name, None),
        }
    }
    d.errors
}

/// Upstream's whole error text for decoding errors.
pub(super) fn unmarshal_message(errors: &[DecodeError]) -> String {
    let lines: Vec<String> = errors
        .iter()
        .map(|e| format!("line {}: {}", e.line, e.text))
        .collect();
    format!("yaml: unmarshal errors:\n  {}", lines.join("\n  "))
}

/// The node at `path` (first occurrence of each key: yaml.v2 skipped later repeats).
pub(super) fn at<'n>(root: Option<&'n Node>, path: &[&str]) -> Option<&'n Entry> {
    let mut node = root?;
    let mut found = None;
    for k in path {
        let e = node.get(k)?;
        found = Some(e);
        node = &e.value;
    }
    found
}

/// The first required-field check that fails: its message and the entry it is about.
pub(super) fn first_failed<'n>(
    root: Option<&'n Node>,
    rules: &Rules,
) -> Option<(&'static str, Option<&'n Entry>)> {
    for r in rules.required {
        let e = at(root, r.path);
        let text = e.and_then(|e| e.value.text()).unwrap_or("");
        let ok = match &r.check {
            Check::NonEmpty => match e.map(|e| &e.value) {
                Some(Node::Map { entries, .. }) => !entries.is_empty(),
                Some(Node::Seq { items, .. }) => !items.is_empty(),
                _ => !text.is_empty(),
            },
            Check::NonZero => {
                int_of(text).is_some_and(|n| n != 0)
                    || text.parse::<f64>().is_ok_and(|f| f as i64 != 0)
            }
            Check::HasKey(k) => e.and_then(|e| e.value.get(k)).is_some(),
            Check::OneOf(set) => set.contains(&text),
        };
        if !ok {
            return Some((r.message, e));
        }
    }
    None
}
