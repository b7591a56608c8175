//! The Go values a yaml plugin decodes into (a model of the target's structs), and the target's
//! required-field checks run on them, as upstream runs them on its structs.

use crate::upstream::target::{Check, GoType, Rules};

/// A Go value of one of the plugin spec types.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Val {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<Val>),
    /// A Go map, in the order its keys were first set.
    Map(Vec<(String, Val)>),
    /// A struct's fields, in the order of its `GoStruct::fields`.
    Struct(Vec<Val>),
}

/// A Go map key of type `interface{}` (yaml.v3's record of merged keys): equal only when the
/// dynamic types are equal, as in Go.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum IKey {
    Str(String),
    Named(&'static str, String),
    Int(i64),
    Uint(u64),
    Float(u64),
    Bool(bool),
    Time(String),
    Nil,
}

/// The zero value of a Go type.
pub(super) fn zero(ty: &GoType) -> Val {
    match ty {
        GoType::Str | GoType::NamedStr(_) => Val::Str(String::new()),
        GoType::Int => Val::Int(0),
        GoType::Bool => Val::Bool(false),
        GoType::Seq(..) => Val::List(Vec::new()),
        GoType::Map(..) => Val::Map(Vec::new()),
        GoType::Struct(s) => Val::Struct(s.fields.iter().map(|(_, t)| zero(t)).collect()),
    }
}

impl Val {
    pub(super) fn text(&self) -> &str {
        match self {
            Val::Str(s) => s,
            _ => "",
        }
    }

    /// The value at `path` (struct fields by yaml key, map entries by key) in a value of type
    /// `ty`; the zero value where the path leaves what was decoded.
    pub(super) fn at(&self, ty: &GoType, path: &[&str]) -> Val {
        let Some((first, rest)) = path.split_first() else {
            return self.clone();
        };
        match (self, ty) {
            (Val::Struct(fields), GoType::Struct(s)) => {
                match s.fields.iter().position(|(k, _)| k == first) {
                    Some(i) => fields[i].at(&s.fields[i].1, rest),
                    None => Val::Str(String::new()),
                }
            }
            (Val::Map(entries), GoType::Map(_, _, elem)) => {
                match entries.iter().find(|(k, _)| k == first) {
                    Some((_, v)) => v.at(elem, rest),
                    None => zero(elem).at(elem, rest),
                }
            }
            _ => Val::Str(String::new()),
        }
    }
}

/// The first required-field check the decoded plugin fails: upstream's message and the path
/// of the field it is about.
pub(super) fn first_failed(
    v: &Val,
    rules: &Rules,
) -> Option<(&'static str, &'static [&'static str])> {
    let ty = GoType::Struct(rules.schema);
    for r in rules.required {
        let at = v.at(&ty, r.path);
        let ok = match &r.check {
            Check::NonEmpty => match &at {
                Val::Str(s) => !s.is_empty(),
                Val::List(l) => !l.is_empty(),
                Val::Map(m) => !m.is_empty(),
                _ => true,
            },
            Check::NonZero => !matches!(at, Val::Int(0)),
            Check::HasKey(k) => matches!(&at, Val::Map(m) if m.iter().any(|(x, _)| x == k)),
            Check::OneOf(set) => set.contains(&at.text()),
        };
        if !ok {
            return Some((r.message, r.path));
        }
    }
    None
}

/// Go's `%#v` of a string (`strconv.Quote`): printable characters as they are, the rest
/// escaped.
pub(super) fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if !go_printable(c) => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32))
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32))
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `unicode.IsPrint`, for the characters a yaml scalar can hold: control, format, separator
/// (other than the ASCII space), surrogate and private-use characters are not printable.
fn go_printable(c: char) -> bool {
    let u = c as u32;
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(u,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
        | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0xE000..=0xF8FF | 0xFFFE | 0xFFFF | 0xF0000..=0x10FFFF)
}

pub(super) fn allowed_alias_ratio(count: usize) -> f64 {
    const LOW: usize = 400_000;
    const HIGH: usize = 4_000_000;
    if count <= LOW {
        0.99
    } else if count >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((count - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

/// Go's `int64(f)` on amd64: out of range (and NaN) gives the minimum.
pub(super) fn go_f64_to_i64(f: f64) -> i64 {
    if f.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// Go's `string(bytes)` shown by its JSON encoder and terminals: each invalid byte is U+FFFD.
pub(super) fn go_lossy(b: &[u8]) -> String {
    let mut out = String::new();
    let mut rest = b;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let (ok, bad) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(ok).unwrap());
                out.push('\u{FFFD}');
                rest = &bad[1..];
            }
        }
    }
    out
}

pub(super) fn base64_decode(s: &str) -> Option<String> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine;
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    );
    // encoding/base64 skips line breaks.
    let s: String = s.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    engine.decode(s).ok().map(|b| go_lossy(&b))
}
