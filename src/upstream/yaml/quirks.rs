//! Where go-yaml's scanner (scannerc.go, yaml.v2 and yaml.v3 alike) and the libyaml it was
//! ported from differ, the input libyaml sees is adjusted so that it scans as go-yaml does.
//! Every change keeps the line of every character, which is all go-yaml's messages show:
//!
//! - In a flow collection, go-yaml ends a plain scalar at `?`, which it then reads as a key
//!   indicator; libyaml reads on. After a scalar in a flow collection go-yaml's parser wants
//!   `,` or the closing bracket, so it fails there with `did not find expected ',' or ']'`
//!   (or `'}'`): such a `?` is handed to libyaml as `[]`, which fails at the same place with
//!   the same text (an empty collection, so that libyaml need not read on to know whether it
//!   is a key; the line's later columns move by one, which no message shows).
//! - In a flow collection, libyaml refuses `:` followed by `,?[]{}` inside a plain scalar
//!   (`found unexpected ':'`); go-yaml keeps the `:` in the scalar. Such a `:` is handed to
//!   libyaml as U+FDD1 and turned back in token values.
//! - libyaml skips a byte order mark at the start of any line; go-yaml's `is_bom` looks at the
//!   start of its buffer, not at the current position, so a BOM starting a later line is text
//!   to go-yaml. It is handed to libyaml as U+FDD0 and turned back.
//!
//! The stand-ins are noncharacters the reader accepts, three bytes long in UTF-8 like U+FEFF;
//! a file that already holds one is left as it is.

use super::events::{Scanner, Swaps, Tk, BOM_CHAR, COLON};

const BOM: &[u8] = b"\xef\xbb\xbf";

fn has_stand_ins(bytes: &[u8]) -> bool {
    let a = BOM_CHAR.to_string();
    let b = COLON.to_string();
    bytes
        .windows(3)
        .any(|w| w == a.as_bytes() || w == b.as_bytes())
}

/// Byte offset in the input of libyaml's `mark.index` (a byte count in this port of libyaml,
/// after an encoding BOM; go-yaml counts characters, which no message shows).
fn offset_of(bytes: &[u8], index: usize) -> Option<usize> {
    let start = if bytes.starts_with(BOM) { 3 } else { 0 };
    Some(start + index).filter(|o| *o <= bytes.len())
}

/// Whether `before` ends with a line break (LF, CR, NEL, LS or PS).
fn after_break(before: &[u8]) -> bool {
    matches!(before.last(), Some(b'\n' | b'\r'))
        || before.ends_with("\u{85}".as_bytes())
        || before.ends_with("\u{2028}".as_bytes())
        || before.ends_with("\u{2029}".as_bytes())
}

fn swap_line_boms(bytes: &mut [u8]) -> bool {
    let first = if bytes.starts_with(BOM) { 3 } else { 0 };
    if bytes[first..].starts_with(BOM) {
        // go-yaml's buffer then starts with a BOM, and it skips the first character of lines
        // (not emulated).
        return false;
    }
    let hits: Vec<usize> = (first + 1..bytes.len().saturating_sub(2))
        .filter(|&i| &bytes[i..i + 3] == BOM && after_break(&bytes[..i]))
        .collect();
    let stand_in = BOM_CHAR.to_string();
    for i in &hits {
        bytes[*i..*i + 3].copy_from_slice(stand_in.as_bytes());
    }
    !hits.is_empty()
}

/// The input as libyaml should see it, and what to turn back.
pub(super) fn go_compatible(bytes: Vec<u8>) -> (Vec<u8>, Swaps) {
    let mut swaps = Swaps::default();
    let le = bytes.starts_with(b"\xff\xfe");
    if le || bytes.starts_with(b"\xfe\xff") {
        // The same changes, made to the text and encoded back (each swaps one character for
        // one of the same UTF-16 length).
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| match c {
                [a, b] if le => u16::from_le_bytes([*a, *b]),
                [a, b] => u16::from_be_bytes([*a, *b]),
                _ => 0xD800, // an odd byte: not decodable, left as it is
            })
            .collect();
        let Ok(text) = String::from_utf16(&units) else {
            return (bytes, swaps);
        };
        let (fixed, swaps) = go_compatible(text.into_bytes());
        let fixed = String::from_utf8(fixed).expect("changes keep UTF-8");
        let mut out = bytes[..2].to_vec();
        for u in fixed.encode_utf16() {
            out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        return (out, swaps);
    }
    if std::str::from_utf8(&bytes).is_err() || has_stand_ins(&bytes) {
        return (bytes, swaps);
    }
    let mut bytes = bytes;
    swaps.bom = swap_line_boms(&mut bytes);
    if !bytes.iter().any(|b| matches!(b, b'[' | b'{')) {
        return (bytes, swaps);
    }
    for _ in 0..64 {
        match flow_fix(&bytes) {
            Some(Fix::Bracket(at)) => {
                bytes[at] = b'[';
                bytes.insert(at + 1, b']');
            }
            Some(Fix::Colon(at)) => {
                bytes.splice(at..at + 1, COLON.to_string().bytes());
                swaps.colon = true;
            }
            None => break,
        }
    }
    (bytes, swaps)
}

enum Fix {
    Bracket(usize),
    Colon(usize),
}

/// The first place where libyaml would scan a flow plain scalar unlike go-yaml.
fn flow_fix(bytes: &[u8]) -> Option<Fix> {
    let mut sc = Scanner::raw(bytes.to_vec());
    let mut depth = 0usize;
    loop {
        let t = match sc.next_token() {
            Ok(t) => t,
            Err(f) if f.problem == "found unexpected ':'" => {
                // At the scalar's start; the `:` is the first one followed by an indicator.
                let from = offset_of(bytes, f.problem_index)?;
                let at = (from..bytes.len().saturating_sub(1)).find(|&i| {
                    bytes[i] == b':'
                        && matches!(bytes[i + 1], b',' | b'?' | b'[' | b']' | b'{' | b'}')
                })?;
                return Some(Fix::Colon(at));
            }
            Err(_) => return None,
        };
        match t.kind {
            Tk::FlowSequenceStart | Tk::FlowMappingStart => depth += 1,
            Tk::FlowSequenceEnd | Tk::FlowMappingEnd => depth = depth.saturating_sub(1),
            Tk::Scalar
                if depth > 0 && t.style == super::events::Style::Plain && t.value.contains('?') =>
            {
                let from = offset_of(bytes, t.start.index)?;
                let to = offset_of(bytes, t.end.index).unwrap_or(bytes.len());
                let at = (from + 1..to).find(|&i| bytes[i] == b'?')?;
                return Some(Fix::Bracket(at));
            }
            Tk::StreamEnd => return None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_scalars_are_handed_over_as_go_yaml_scans_them() {
        let fixed = |s: &str| String::from_utf8(go_compatible(s.as_bytes().to_vec()).0).unwrap();
        assert_eq!(fixed("name: [a?b, c]\n"), "name: [a[]b, c]\n");
        assert_eq!(fixed("name: [a:,b]\n"), "name: [a\u{FDD1},b]\n");
        assert_eq!(fixed("name: [a:?b]\n"), "name: [a\u{FDD1}[]b]\n");
        assert_eq!(
            fixed("a: b\u{2029}\u{feff}c: d\n"),
            "a: b\u{2029}\u{FDD0}c: d\n"
        );
        assert_eq!(fixed("a: b\n\u{feff}c: d\n"), "a: b\n\u{FDD0}c: d\n");
        assert_eq!(fixed("name: a?b\n"), "name: a?b\n");
    }
}
