//! go-yaml's merge keys (`d.merge`, decode.go of yaml.v2 and yaml.v3), and the map keys
//! yaml.v3 records while merging.

use super::super::nodes::Kind;
use super::super::resolve::Resolved;
use super::super::value::{IKey, Val};
use super::super::GoFail;
use super::{Decoder, R};
use crate::upstream::target::GoType;
use std::collections::HashSet;

impl Decoder<'_> {
    /// A mapping key decoded into `interface{}` (yaml.v3 `d.merge` records the parent's keys).
    fn iface_key(&mut self, n: usize) -> R<Option<IKey>> {
        let node = self.doc.get(n);
        match node.kind {
            Kind::Alias => match node.alias {
                Some(t) => self.iface_key(t),
                None => Ok(None),
            },
            Kind::Scalar => {
                let (_, r) = self.resolved(n)?;
                Ok(Some(match r {
                    Resolved::Null => IKey::Nil,
                    Resolved::Bool(b) => IKey::Bool(b),
                    Resolved::Int(i) => IKey::Int(i),
                    Resolved::Uint(u) => IKey::Uint(u),
                    Resolved::Float(f) => IKey::Float(f.to_bits()),
                    Resolved::Time => IKey::Time(node.value.clone()),
                    Resolved::Str(s) => IKey::Str(s),
                }))
            }
            Kind::Mapping => {
                if !self.unique_keys(n) {
                    return Ok(None);
                }
                let string_map = self
                    .pairs(n)
                    .iter()
                    .all(|(k, _)| matches!(self.v3_short_tag(*k).as_str(), "!!str" | "!!merge"));
                let t = if string_map {
                    "map[string]interface {}"
                } else {
                    "map[interface {}]interface {}"
                };
                Err(GoFail::panic(t))
            }
            Kind::Sequence => Err(GoFail::panic("[]interface {}")),
            Kind::Document => Ok(None),
        }
    }

    fn want_map() -> GoFail {
        GoFail::f("map merge requires map or sequence of maps as the value".into())
    }

    /// `d.merge`: yaml.v2 merges in place, later sequence items first; yaml.v3 merges after
    /// the mapping's own keys, which win, then earlier items.
    pub(super) fn merge(&mut self, parent: usize, m: usize, ty: &GoType, out: &mut Val) -> R<()> {
        let fresh = self.v3 && self.merged.is_none();
        if fresh {
            let mut set = HashSet::new();
            for (k, _) in self.pairs(parent) {
                if let Some(ik) = self.iface_key(k)? {
                    set.insert(ik);
                }
            }
            self.merged = Some(set);
        }
        let is_map = |d: &Self, i: usize| {
            let node = d.doc.get(i);
            match node.kind {
                Kind::Alias => node
                    .alias
                    .is_some_and(|a| d.doc.get(a).kind == Kind::Mapping),
                k => k == Kind::Mapping,
            }
        };
        let node = self.doc.get(m);
        match node.kind {
            Kind::Mapping | Kind::Alias => {
                if !is_map(self, m) {
                    return Err(Self::want_map());
                }
                self.unmarshal(m, ty, out)?;
            }
            Kind::Sequence => {
                let mut items = node.children.clone();
                if !self.v3 {
                    items.reverse();
                }
                for i in items {
                    if !is_map(self, i) {
                        return Err(Self::want_map());
                    }
                    self.unmarshal(i, ty, out)?;
                }
            }
            _ => return Err(Self::want_map()),
        }
        if fresh {
            self.merged = None;
        }
        Ok(())
    }
}
