//! go-yaml's scalar resolution (`resolve.go` of yaml.v2 2.4.0 and yaml.v3 3.0.1): which tag a
//! plain scalar gets and the Go value it stands for, with Go's own number and timestamp
//! parsing (`strconv.ParseInt(s, 0, 64)`, `ParseUint`, `ParseFloat`, `time.Parse`).
//! Tags are handled in their short form (`!!int`); yaml.v2 compares long forms, which map
//! one to one.

use super::GoFail;

pub(super) const NULL: &str = "!!null";
pub(super) const BOOL: &str = "!!bool";
pub(super) const STR: &str = "!!str";
pub(super) const INT: &str = "!!int";
pub(super) const FLOAT: &str = "!!float";
pub(super) const TIMESTAMP: &str = "!!timestamp";
pub(super) const SEQ: &str = "!!seq";
pub(super) const MAP: &str = "!!map";
pub(super) const BINARY: &str = "!!binary";
pub(super) const MERGE: &str = "!!merge";

const LONG_PREFIX: &str = "tag:yaml.org,2002:";

/// A resolved scalar: the Go value `resolve` returns.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    /// A `time.Time` (its source text).
    Time,
    Str(String),
}

/// `shortTag`: `tag:yaml.org,2002:x` → `!!x`.
pub(super) fn short_tag(tag: &str) -> String {
    match tag.strip_prefix(LONG_PREFIX) {
        Some(rest) => format!("!!{rest}"),
        None => tag.to_string(),
    }
}

fn resolvable(tag: &str) -> bool {
    matches!(tag, "" | STR | BOOL | INT | FLOAT | NULL | TIMESTAMP)
}

fn in_map(s: &str, yaml11: bool) -> Option<(&'static str, Resolved)> {
    let r = match s {
        "true" | "True" | "TRUE" => (BOOL, Resolved::Bool(true)),
        "false" | "False" | "FALSE" => (BOOL, Resolved::Bool(false)),
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" if yaml11 => {
            (BOOL, Resolved::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" if yaml11 => {
            (BOOL, Resolved::Bool(false))
        }
        "" | "~" | "null" | "Null" | "NULL" => (NULL, Resolved::Null),
        ".nan" | ".NaN" | ".NAN" => (FLOAT, Resolved::Float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            (FLOAT, Resolved::Float(f64::INFINITY))
        }
        "-.inf" | "-.Inf" | "-.INF" => (FLOAT, Resolved::Float(f64::NEG_INFINITY)),
        "<<" => (MERGE, Resolved::Str("<<".into())),
        _ => return None,
    };
    Some(r)
}

/// `resolve(tag, in)` with a short tag; `yaml11` selects yaml.v2's table (YAML 1.1 booleans).
/// A tag the value does not fit is go-yaml's `failf` (`cannot decode !!str `x` as a !!int`).
pub(super) fn resolve(tag: &str, value: &str, yaml11: bool) -> Result<(String, Resolved), GoFail> {
    let tag = short_tag(tag);
    if !resolvable(&tag) {
        return Ok((tag, Resolved::Str(value.to_string())));
    }
    let (rtag, out) = plain(&tag, value, yaml11);
    if tag.is_empty() || tag == rtag || tag == STR || tag == BINARY {
        return Ok((rtag.to_string(), out));
    }
    if tag == FLOAT && rtag == INT {
        if let Resolved::Int(v) = out {
            return Ok((FLOAT.into(), Resolved::Float(v as f64)));
        }
    }
    Err(GoFail::f(format!(
        "cannot decode {} `{value}` as a {}",
        short_tag(rtag),
        short_tag(&tag)
    )))
}

fn plain(tag: &str, value: &str, yaml11: bool) -> (&'static str, Resolved) {
    let hint = match value.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => 0,
    };
    if hint == 0 || tag == STR || tag == BINARY {
        return (STR, Resolved::Str(value.to_string()));
    }
    if let Some(r) = in_map(value, yaml11) {
        return r;
    }
    match hint {
        b'.' => {
            if let Some(f) = parse_float(value) {
                return (FLOAT, Resolved::Float(f));
            }
        }
        b'D' | b'S' => {
            if (tag.is_empty() || tag == TIMESTAMP) && is_timestamp(value) {
                return (TIMESTAMP, Resolved::Time);
            }
            let plain: String = value.chars().filter(|c| *c != '_').collect();
            if let Some(i) = parse_int(&plain) {
                return (INT, Resolved::Int(i));
            }
            if let Some(u) = parse_uint(&plain) {
                return (INT, Resolved::Uint(u));
            }
            if yaml_style_float(&plain) {
                if let Some(f) = parse_float(&plain) {
                    return (FLOAT, Resolved::Float(f));
                }
            }
            let radix = |p: &str| plain.strip_prefix(p);
            let prefixed = [
                ("0b", 2, false),
                ("-0b", 2, true),
                ("0o", 8, false),
                ("-0o", 8, true),
            ];
            for (p, base, neg) in prefixed {
                if p.ends_with('o') && yaml11 {
                    continue; // yaml.v2 has no 0o case of its own (ParseInt took 0o above).
                }
                if let Some(d) = radix(p) {
                    if neg {
                        if let Some(i) = digits(d, base).and_then(i64_neg) {
                            return (INT, Resolved::Int(i));
                        }
                    } else if let Some(u) = digits(d, base) {
                        return (INT, to_int(u));
                    }
                    break;
                }
            }
        }
        _ => {}
    }
    (STR, Resolved::Str(value.to_string()))
}

fn to_int(u: u64) -> Resolved {
    if u <= i64::MAX as u64 {
        Resolved::Int(u as i64)
    } else {
        Resolved::Uint(u)
    }
}

fn i64_neg(u: u64) -> Option<i64> {
    if u <= i64::MAX as u64 + 1 {
        Some((-(u as i128)) as i64)
    } else {
        None
    }
}

/// Digits of `base` (no sign, no prefix, at least one) as a u64.
fn digits(s: &str, base: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for c in s.chars() {
        let d = c.to_digit(base)?;
        n = n.checked_mul(base as u64)?.checked_add(d as u64)?;
    }
    Some(n)
}

/// `strconv.ParseUint(s, 0, 64)` without underscores (the caller removed them).
fn parse_uint(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b'0' {
        match b[1].to_ascii_lowercase() {
            b'x' => return digits(&s[2..], 16),
            b'b' => return digits(&s[2..], 2),
            b'o' => return digits(&s[2..], 8),
            _ => return digits(&s[1..], 8),
        }
    }
    digits(s, 10)
}

/// `strconv.ParseInt(s, 0, 64)`.
pub(super) fn parse_int(s: &str) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint(rest)?;
    if neg {
        i64_neg(u)
    } else if u <= i64::MAX as u64 {
        Some(u as i64)
    } else {
        None
    }
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let run = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if run(&mut i) == 0 {
            return false;
        }
    } else {
        if run(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            run(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if run(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// strconv's `underscoreOK`: underscores only between digits (or after a base prefix).
fn underscore_ok(s: &str) -> bool {
    let mut b = s.as_bytes();
    if let Some(b'-' | b'+') = b.first() {
        b = &b[1..];
    }
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() || hex && c.is_ascii_hexdigit() {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// `strconv.ParseFloat(s, 64)` for decimal text (what resolve hands it): out of range is an
/// error, as in Go.
fn parse_float(s: &str) -> Option<f64> {
    if s.contains('_') && !underscore_ok(s) {
        return None;
    }
    let s: String = s.chars().filter(|c| *c != '_').collect();
    if !s
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(f)
}

/// `parseTimestamp`: four digits and `-`, then one of go-yaml's layouts as `time.Parse`
/// reads it.
pub(super) fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let i = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if i != 4 || i == b.len() || b[i] != b'-' {
        return false;
    }
    [Some(b'T'), Some(b't'), Some(b' '), None]
        .iter()
        .any(|sep| go_time(b, *sep))
}

/// `getnum(s, false)`: one or two digits.
fn getnum(b: &[u8]) -> Option<(u32, &[u8])> {
    let d0 = b.first().filter(|c| c.is_ascii_digit())?;
    match b.get(1).filter(|c| c.is_ascii_digit()) {
        Some(d1) => Some(((d0 - b'0') as u32 * 10 + (d1 - b'0') as u32, &b[2..])),
        None => Some(((d0 - b'0') as u32, &b[1..])),
    }
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `time.Parse` with `2006-1-2` and, when `sep` is given, `<sep>15:4:5.999999999` (and
/// `Z07:00` unless the separator is a space).
fn go_time(b: &[u8], sep: Option<u8>) -> bool {
    let year: u32 = std::str::from_utf8(&b[..4]).unwrap().parse().unwrap();
    let Some(rest) = b[4..].strip_prefix(b"-") else {
        return false;
    };
    let Some((month, rest)) = getnum(rest) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(b"-") else {
        return false;
    };
    let Some((day, mut rest)) = getnum(rest) else {
        return false;
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return false;
    }
    let Some(sep) = sep else {
        return rest.is_empty();
    };
    if sep == b' ' {
        // A space in a layout matches one or more spaces.
        if rest.first() != Some(&b' ') {
            return false;
        }
        while rest.first() == Some(&b' ') {
            rest = &rest[1..];
        }
    } else {
        let Some(r) = rest.strip_prefix(&[sep]) else {
            return false;
        };
        rest = r;
    }
    let mut fields = [0u32; 3];
    for (i, f) in fields.iter_mut().enumerate() {
        if i > 0 {
            let Some(r) = rest.strip_prefix(b":") else {
                return false;
            };
            rest = r;
        }
        let Some((n, r)) = getnum(rest) else {
            return false;
        };
        *f = n;
        rest = r;
    }
    if fields[0] >= 24 || fields[1] >= 60 || fields[2] >= 60 {
        return false;
    }
    if rest.len() >= 2 && matches!(rest[0], b'.' | b',') && rest[1].is_ascii_digit() {
        rest = &rest[1..];
        while rest.first().is_some_and(|c| c.is_ascii_digit()) {
            rest = &rest[1..];
        }
    }
    if sep != b' ' {
        if rest.first() == Some(&b'Z') {
            rest = &rest[1..];
        } else {
            if rest.len() < 6 || rest[3] != b':' || !matches!(rest[0], b'+' | b'-') {
                return false;
            }
            let two = |s: &[u8]| s.iter().all(|c| c.is_ascii_digit());
            if !two(&rest[1..3]) || !two(&rest[4..6]) {
                return false;
            }
            rest = &rest[6..];
        }
    }
    rest.is_empty()
}
