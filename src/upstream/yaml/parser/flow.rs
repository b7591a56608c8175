//! go-yaml's parser, continued (parserc.go): directives, flow collections, the depth limit.

use super::super::events::{Event, Failure, Kind, Tk, Token};
use super::{empty_scalar, event, parser_error, Parser, State, R};

impl Parser {
    /// `yaml_parser_process_directives`: only `%YAML 1.1`, each %TAG handle once.
    pub(super) fn directives(&mut self) -> R<Option<(i32, i32)>> {
        let mut version = None;
        let mut t = self.peek()?.clone();
        while matches!(t.kind, Tk::VersionDirective | Tk::TagDirective) {
            if t.kind == Tk::VersionDirective {
                if version.is_some() {
                    return Err(parser_error(
                        "found duplicate %YAML directive",
                        t.start,
                        None,
                    ));
                }
                if t.version != (1, 1) {
                    return Err(parser_error(
                        "found incompatible YAML document",
                        t.start,
                        None,
                    ));
                }
                version = Some(t.version);
            } else {
                if self.tag_directives.iter().any(|(h, _)| *h == t.value) {
                    return Err(parser_error(
                        "found duplicate %TAG directive",
                        t.start,
                        None,
                    ));
                }
                self.tag_directives
                    .push((t.value.clone(), t.suffix.clone()));
            }
            self.skip();
            t = self.peek()?.clone();
        }
        for (h, p) in [("!", "!"), ("!!", "tag:yaml.org,2002:")] {
            if !self.tag_directives.iter().any(|(x, _)| x == h) {
                self.tag_directives.push((h.into(), p.into()));
            }
        }
        Ok(version)
    }

    pub(super) fn flow_sequence_entry(&mut self, first: bool) -> R<Event> {
        if first {
            self.first()?;
        }
        let mut t = self.peek()?.clone();
        if t.kind != Tk::FlowSequenceEnd {
            if !first {
                if t.kind == Tk::FlowEntry {
                    self.skip();
                    t = self.peek()?.clone();
                } else {
                    return Err(self.context_error("did not find expected ',' or ']'", t.start));
                }
            }
            if t.kind == Tk::Key {
                self.state = State::FlowSequenceEntryMappingKey;
                self.skip();
                return Ok(event(
                    Kind::MappingStart {
                        anchor: None,
                        tag: String::new(),
                    },
                    t.start,
                ));
            } else if t.kind != Tk::FlowSequenceEnd {
                self.states.push(State::FlowSequenceEntry);
                return self.node(false, false);
            }
        }
        self.pop_state();
        self.marks.pop();
        self.skip();
        Ok(event(Kind::SequenceEnd, t.start))
    }

    pub(super) fn flow_mapping_key(&mut self, first: bool) -> R<Event> {
        if first {
            self.first()?;
        }
        let mut t = self.peek()?.clone();
        if t.kind != Tk::FlowMappingEnd {
            if !first {
                if t.kind == Tk::FlowEntry {
                    self.skip();
                    t = self.peek()?.clone();
                } else {
                    return Err(self.context_error("did not find expected ',' or '}'", t.start));
                }
            }
            if t.kind == Tk::Key {
                self.skip();
                t = self.peek()?.clone();
                if !matches!(t.kind, Tk::Value | Tk::FlowEntry | Tk::FlowMappingEnd) {
                    self.states.push(State::FlowMappingValue);
                    return self.node(false, false);
                }
                self.state = State::FlowMappingValue;
                return Ok(empty_scalar(t.start));
            } else if t.kind != Tk::FlowMappingEnd {
                self.states.push(State::FlowMappingEmptyValue);
                return self.node(false, false);
            }
        }
        self.pop_state();
        self.marks.pop();
        self.skip();
        Ok(event(Kind::MappingEnd, t.start))
    }

    pub(super) fn flow_mapping_value(&mut self, empty: bool) -> R<Event> {
        let mut t = self.peek()?.clone();
        if empty {
            self.state = State::FlowMappingKey;
            return Ok(empty_scalar(t.start));
        }
        if t.kind == Tk::Value {
            self.skip();
            t = self.peek()?.clone();
            if !matches!(t.kind, Tk::FlowEntry | Tk::FlowMappingEnd) {
                self.states.push(State::FlowMappingKey);
                return self.node(false, false);
            }
        }
        self.state = State::FlowMappingKey;
        Ok(empty_scalar(t.start))
    }

    /// go-yaml's scanner refuses more than 10,000 nested flow collections
    /// (`yaml_parser_increase_flow_level`) or block indentation levels
    /// (`yaml_parser_roll_indent`); libyaml has no limit.
    pub(super) fn depth_check(&mut self, t: &Token) -> R<()> {
        const MAX_DEPTH: usize = 10_000;
        let depth = match t.kind {
            Tk::FlowSequenceStart | Tk::FlowMappingStart => &mut self.flow_depth,
            Tk::BlockSequenceStart | Tk::BlockMappingStart => &mut self.block_depth,
            Tk::FlowSequenceEnd | Tk::FlowMappingEnd => {
                self.flow_depth = self.flow_depth.saturating_sub(1);
                return Ok(());
            }
            Tk::BlockEnd => {
                self.block_depth = self.block_depth.saturating_sub(1);
                return Ok(());
            }
            _ => return Ok(()),
        };
        *depth += 1;
        if *depth <= MAX_DEPTH {
            return Ok(());
        }
        let block = matches!(t.kind, Tk::BlockSequenceStart | Tk::BlockMappingStart);
        Err(Failure {
            scanner: true,
            reader: false,
            offset: 0,
            problem: format!("exceeded max depth of {MAX_DEPTH}"),
            problem_line: t.start.line,
            problem_column: t.start.column,
            problem_index: t.start.index,
            // A block level's context is its key; a flow level's is a fresh (zero) mark.
            context_line: if block { t.start.line } else { 0 },
            context: None,
        })
    }
}
