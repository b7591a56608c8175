//! go-yaml's decoder (decode.go of yaml.v2 2.4.0 and yaml.v3 3.0.1), ported to decode a parsed
//! document into a model of the target's Go structs: the same type errors in the same order
//! (`line N: cannot unmarshal !!str `x` into plugin.Type`), strict fields (yaml.v2
//! `UnmarshalStrict`), unique keys (yaml.v3), merge keys, aliases, numbers into Go ints.
//! `value.rs` holds the Go values and the required-field checks run on them.

use super::events::Style;
use super::nodes::{Doc, Kind};
use super::resolve::{self, resolve, short_tag, Resolved};
use super::value::{
    allowed_alias_ratio, base64_decode, go_f64_to_i64, go_lossy, go_quote, zero, IKey, Val,
};
use super::GoFail;
use crate::upstream::target::{GoStruct, GoType};
use std::collections::HashSet;

mod merge;

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
    /// What the Go type takes, in words (wrong-type errors).
    pub(super) want: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ErrKind {
    Unknown,
    Repeated,
    WrongType,
}

static STRING: GoType = GoType::Str;

type R<T> = Result<T, GoFail>;

pub(super) struct Decoder<'d> {
    doc: &'d Doc,
    v3: bool,
    /// yaml.v2 `UnmarshalStrict` (unknown and repeated fields are errors).
    strict: bool,
    pub(super) errors: Vec<DecodeError>,
    aliases: HashSet<usize>,
    decode_count: usize,
    alias_count: usize,
    alias_depth: usize,
    merged: Option<HashSet<IKey>>,
    key: Option<String>,
}

impl<'d> Decoder<'d> {
    pub(super) fn new(doc: &'d Doc, v3: bool, strict: bool) -> Self {
        Decoder {
            doc,
            v3,
            strict,
            errors: Vec::new(),
            aliases: HashSet::new(),
            decode_count: 0,
            alias_count: 0,
            alias_depth: 0,
            merged: None,
            key: None,
        }
    }

    fn error(&mut self, n: usize, text: String, kind: ErrKind, go_type: &'static str) {
        let node = self.doc.get(n);
        self.errors.push(DecodeError {
            line: node.line + 1,
            col: node.column + 1,
            text,
            key: self.key.clone(),
            kind,
            go_type,
            want: "",
        });
    }

    /// `d.terror`: `cannot unmarshal <tag>[ `value`] into <Go type>`.
    fn terror(&mut self, n: usize, tag: &str, ty: &GoType) {
        let node = self.doc.get(n);
        let tag = short_tag(if node.tag.is_empty() { tag } else { &node.tag });
        let value = if tag != resolve::SEQ && tag != resolve::MAP {
            let b = node.value.as_bytes();
            if b.len() > 10 {
                format!(" `{}...`", go_lossy(&b[..7]))
            } else {
                format!(" `{}`", node.value)
            }
        } else {
            String::new()
        };
        let text = format!("cannot unmarshal {tag}{value} into {}", ty.go_name());
        self.error(n, text, ErrKind::WrongType, ty.go_name());
        if let Some(e) = self.errors.last_mut() {
            e.want = match ty {
                GoType::Str | GoType::NamedStr(_) => "a single value",
                GoType::Int => "a whole number",
                GoType::Bool => "true or false",
                GoType::Seq(..) => "a list",
                GoType::Map(..) | GoType::Struct(_) => "a mapping of keys to values",
            };
        }
    }

    /// yaml.v3 `Node.ShortTag`.
    fn v3_short_tag(&self, n: usize) -> String {
        let node = self.doc.get(n);
        if self.indicated_string(n) {
            return resolve::STR.into();
        }
        if node.tag.is_empty() || node.tag == "!" {
            return match node.kind {
                Kind::Mapping => resolve::MAP.into(),
                Kind::Sequence => resolve::SEQ.into(),
                Kind::Alias => node.alias.map(|a| self.v3_short_tag(a)).unwrap_or_default(),
                Kind::Scalar => resolve("", &node.value, false)
                    .map(|(t, _)| t)
                    .unwrap_or_default(),
                Kind::Document => String::new(),
            };
        }
        short_tag(&node.tag)
    }

    fn indicated_string(&self, n: usize) -> bool {
        let node = self.doc.get(n);
        node.kind == Kind::Scalar
            && (short_tag(&node.tag) == resolve::STR
                || (node.tag.is_empty() || node.tag == "!") && node.style != Style::Plain)
    }

    fn is_merge(&self, n: usize) -> bool {
        let node = self.doc.get(n);
        node.kind == Kind::Scalar
            && node.value == "<<"
            && if self.v3 {
                node.tag.is_empty() || node.tag == "!" || short_tag(&node.tag) == resolve::MERGE
            } else {
                node.implicit || node.tag == resolve::MERGE
            }
    }

    pub(super) fn unmarshal(&mut self, n: usize, ty: &GoType, out: &mut Val) -> R<bool> {
        self.decode_count += 1;
        if self.alias_depth > 0 {
            self.alias_count += 1;
        }
        if self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count)
        {
            return Err(GoFail::f("document contains excessive aliasing".into()));
        }
        let node = self.doc.get(n);
        let at = (node.line + 1, node.column + 1);
        self.unmarshal_node(n, ty, out).map_err(|mut f| {
            // A fatal error names the innermost node it is about.
            f.at.get_or_insert(at);
            f
        })
    }

    fn unmarshal_node(&mut self, n: usize, ty: &GoType, out: &mut Val) -> R<bool> {
        let node = self.doc.get(n);
        match node.kind {
            Kind::Document => {
                if let [child] = node.children[..] {
                    self.unmarshal(child, ty, out)?;
                    return Ok(true);
                }
                Ok(false)
            }
            Kind::Alias => self.alias(n, ty, out),
            Kind::Scalar => self.scalar(n, ty, out),
            Kind::Mapping => self.mapping(n, ty, out),
            Kind::Sequence => self.sequence(n, ty, out),
        }
    }

    fn alias(&mut self, n: usize, ty: &GoType, out: &mut Val) -> R<bool> {
        if self.aliases.contains(&n) {
            let name = &self.doc.get(n).value;
            return Err(GoFail::f(format!("anchor '{name}' value contains itself")));
        }
        self.aliases.insert(n);
        self.alias_depth += 1;
        let target = self
            .doc
            .get(n)
            .alias
            .expect("aliases are resolved while parsing");
        let good = self.unmarshal(target, ty, out)?;
        self.alias_depth -= 1;
        self.aliases.remove(&n);
        Ok(good)
    }

    /// The scalar's tag and Go value as `d.scalar` computes them.
    fn resolved(&self, n: usize) -> R<(String, Resolved)> {
        let node = self.doc.get(n);
        let plain_str = if self.v3 {
            self.indicated_string(n)
        } else {
            node.tag.is_empty() && !node.implicit
        };
        let (tag, r) = if plain_str {
            (resolve::STR.to_string(), Resolved::Str(node.value.clone()))
        } else {
            resolve(&node.tag, &node.value, !self.v3)?
        };
        if tag == resolve::BINARY {
            let Resolved::Str(s) = &r else {
                unreachable!("!!binary resolves to its text")
            };
            return match base64_decode(s) {
                Some(d) => Ok((tag, Resolved::Str(d))),
                None => Err(GoFail::f(
                    "!!binary value contains invalid base64 data".into(),
                )),
            };
        }
        Ok((tag, r))
    }

    fn scalar(&mut self, n: usize, ty: &GoType, out: &mut Val) -> R<bool> {
        let (tag, r) = self.resolved(n)?;
        if r == Resolved::Null {
            if !self.v3 {
                *out = zero(ty);
                return Ok(true);
            }
            // yaml.v3 `d.null`: only pointers, maps, slices and interfaces are reset.
            return Ok(match ty {
                GoType::Seq(..) | GoType::Map(..) => {
                    *out = zero(ty);
                    true
                }
                _ => false,
            });
        }
        let set = match (ty, &r) {
            (GoType::Str | GoType::NamedStr(_), _) => {
                let text = match (&r, tag == resolve::BINARY) {
                    (Resolved::Str(decoded), true) => decoded.clone(),
                    _ => self.doc.get(n).value.clone(),
                };
                Some(Val::Str(text))
            }
            (GoType::Int, Resolved::Int(i)) => Some(Val::Int(*i)),
            (GoType::Int, Resolved::Uint(u)) if *u <= i64::MAX as u64 => Some(Val::Int(*u as i64)),
            (GoType::Int, Resolved::Float(f)) if *f <= 9_223_372_036_854_775_807.0 => {
                Some(Val::Int(go_f64_to_i64(*f)))
            }
            (GoType::Bool, Resolved::Bool(b)) => Some(Val::Bool(*b)),
            (GoType::Bool, Resolved::Str(s)) if self.v3 => match s.as_str() {
                "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(Val::Bool(true)),
                "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(Val::Bool(false)),
                _ => None,
            },
            _ => None,
        };
        match set {
            Some(v) => {
                *out = v;
                Ok(true)
            }
            None => {
                self.terror(n, &tag, ty);
                Ok(false)
            }
        }
    }

    fn sequence(&mut self, n: usize, ty: &GoType, out: &mut Val) -> R<bool> {
        let GoType::Seq(_, elem) = ty else {
            self.terror(n, resolve::SEQ, ty);
            return Ok(false);
        };
        let mut list = Vec::new();
        for c in self.doc.get(n).children.clone() {
            let mut e = zero(elem);
            if self.unmarshal(c, elem, &mut e)? {
                list.push(e);
            }
        }
        *out = Val::List(list);
        Ok(true)
    }

    fn pairs(&self, n: usize) -> Vec<(usize, usize)> {
        self.doc
            .get(n)
            .children
            .chunks(2)
            .filter_map(|c| match c {
                [k, v] => Some((*k, *v)),
                _ => None,
            })
            .collect()
    }

    fn mapping(&mut self, n: usize, ty: &GoType, out: &mut Val) -> R<bool> {
        if self.v3 && !self.unique_keys(n) {
            return Ok(false);
        }
        match ty {
            GoType::Struct(s) => self.mapping_struct(n, ty, s, out),
            GoType::Map(_, key, elem) => self.mapping_map(n, ty, key, elem, out),
            _ => {
                self.terror(n, resolve::MAP, ty);
                Ok(false)
            }
        }
    }

    /// yaml.v3 `d.uniqueKeys`: every pair of keys of one kind and value is an error.
    fn unique_keys(&mut self, n: usize) -> bool {
        let keys: Vec<usize> = self.pairs(n).into_iter().map(|(k, _)| k).collect();
        let before = self.errors.len();
        for (i, &a) in keys.iter().enumerate() {
            for &b in &keys[i + 1..] {
                let (na, nb) = (self.doc.get(a), self.doc.get(b));
                if na.kind == nb.kind && na.value == nb.value {
                    let text = format!(
                        "mapping key {} already defined at line {}",
                        go_quote(&nb.value),
                        na.line + 1
                    );
                    let key = Some(nb.value.clone());
                    let saved = std::mem::replace(&mut self.key, key);
                    self.error(b, text, ErrKind::Repeated, "");
                    self.key = saved;
                }
            }
        }
        self.errors.len() == before
    }

    fn mapping_struct(
        &mut self,
        n: usize,
        ty: &GoType,
        s: &'static GoStruct,
        out: &mut Val,
    ) -> R<bool> {
        let mut merged = if self.v3 { self.merged.take() } else { None };
        let mut merge_node = None;
        let mut done = vec![false; s.fields.len()];
        let mut name = Val::Str(String::new());
        for (k, v) in self.pairs(n) {
            if self.is_merge(k) {
                if self.v3 {
                    merge_node = Some(v);
                } else {
                    self.merge(n, v, ty, out)?;
                }
                continue;
            }
            if !self.unmarshal(k, &STRING, &mut name)? {
                continue;
            }
            let sname = name.text().to_string();
            if let Some(m) = merged.as_mut() {
                if !m.insert(IKey::Str(sname.clone())) {
                    continue;
                }
            }
            match s.fields.iter().position(|(f, _)| *f == sname) {
                Some(id) => {
                    if self.v3 || self.strict {
                        if done[id] {
                            self.key = Some(sname.clone());
                            let text = format!("field {sname} already set in type {}", s.go_name);
                            self.error(k, text, ErrKind::Repeated, s.go_name);
                            continue;
                        }
                        done[id] = true;
                    }
                    let saved = self.key.replace(sname);
                    let Val::Struct(fields) = out else {
                        unreachable!("a struct decodes into a struct value")
                    };
                    let mut field = std::mem::replace(&mut fields[id], Val::Int(0));
                    let r = self.unmarshal(v, &s.fields[id].1, &mut field);
                    let Val::Struct(fields) = out else {
                        unreachable!()
                    };
                    fields[id] = field;
                    self.key = saved;
                    r?;
                }
                None if self.strict => {
                    self.key = Some(sname.clone());
                    let text = format!("field {sname} not found in type {}", s.go_name);
                    self.error(k, text, ErrKind::Unknown, s.go_name);
                }
                None => {}
            }
        }
        if self.v3 {
            self.merged = merged;
            if let Some(m) = merge_node {
                self.merge(n, m, ty, out)?;
            }
        }
        Ok(true)
    }

    fn mapping_map(
        &mut self,
        n: usize,
        ty: &GoType,
        key_ty: &GoType,
        elem: &'static GoType,
        out: &mut Val,
    ) -> R<bool> {
        let mut merged = self.merged.take();
        let mut merge_node = None;
        let is_new = matches!(out, Val::Map(m) if m.is_empty());
        for (k, v) in self.pairs(n) {
            if self.is_merge(k) {
                merge_node = Some(v);
                continue;
            }
            let mut kv = zero(key_ty);
            if !self.unmarshal(k, key_ty, &mut kv)? {
                continue;
            }
            let key = kv.text().to_string();
            if let Some(m) = merged.as_mut() {
                let ik = match key_ty {
                    GoType::NamedStr(t) => IKey::Named(t, key.clone()),
                    _ => IKey::Str(key.clone()),
                };
                if !m.insert(ik) {
                    continue;
                }
            }
            let mut e = zero(elem);
            let saved = self.key.replace(key.clone());
            let ok = self.unmarshal(v, elem, &mut e);
            self.key = saved;
            let Val::Map(entries) = out else {
                unreachable!("a map decodes into a map value")
            };
            let exists = entries.iter().any(|(x, _)| *x == key);
            if ok? || self.v3_short_tag(v) == resolve::NULL && (is_new || !exists) {
                match entries.iter_mut().find(|(x, _)| *x == key) {
                    Some(slot) => slot.1 = e,
                    None => entries.push((key, e)),
                }
            }
        }
        self.merged = merged;
        if let Some(m) = merge_node {
            self.merge(n, m, ty, out)?;
        }
        Ok(true)
    }
}
