//! go-yaml's parser (parserc.go, the same state machine in yaml.v2 and yaml.v3 but for
//! comments), over libyaml's tokens: it takes only `%YAML 1.1` (libyaml 0.2.5 also takes 1.2),
//! and yaml.v3 keeps two tokens of lookahead beyond the one it parses
//! (`yaml_parser_fetch_more_tokens`), so a scanner error up to two tokens ahead (in a second
//! document, say) stops it where yaml.v2 and libyaml would not have read yet.

use super::events::{Event, Failure, Kind, Mark, Scanner, Style, Tk, Token};
use super::quirks;
use std::collections::VecDeque;

mod flow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    StreamStart,
    ImplicitDocumentStart,
    DocumentStart,
    DocumentContent,
    DocumentEnd,
    BlockNode,
    BlockSequenceFirstEntry,
    BlockSequenceEntry,
    IndentlessSequenceEntry,
    BlockMappingFirstKey,
    BlockMappingKey,
    BlockMappingValue,
    FlowSequenceFirstEntry,
    FlowSequenceEntry,
    FlowSequenceEntryMappingKey,
    FlowSequenceEntryMappingValue,
    FlowSequenceEntryMappingEnd,
    FlowMappingFirstKey,
    FlowMappingKey,
    FlowMappingValue,
    FlowMappingEmptyValue,
    End,
}

type R<T> = Result<T, Failure>;

pub(super) struct Parser {
    scanner: Scanner,
    /// Tokens fetched and not yet skipped: the head is the one being parsed.
    queue: VecDeque<Token>,
    lookahead: usize,
    state: State,
    states: Vec<State>,
    marks: Vec<Mark>,
    tag_directives: Vec<(String, String)>,
    done: bool,
    flow_depth: usize,
    block_depth: usize,
}

fn parser_error(problem: &str, at: Mark, context: Option<Mark>) -> Failure {
    Failure {
        scanner: false,
        reader: false,
        offset: 0,
        problem: problem.to_string(),
        problem_line: at.line,
        problem_column: at.column,
        problem_index: at.index,
        context_line: context.map_or(0, |c| c.line),
        context: None,
    }
}

fn event(kind: Kind, at: Mark) -> Event {
    Event {
        kind,
        line: at.line,
        column: at.column,
    }
}

fn empty_scalar(at: Mark) -> Event {
    event(
        Kind::Scalar {
            anchor: None,
            tag: String::new(),
            value: String::new(),
            plain_implicit: true,
            style: Style::Plain,
        },
        at,
    )
}

impl Parser {
    /// `v3`: yaml.v3's two tokens of lookahead.
    pub(super) fn new(bytes: Vec<u8>, v3: bool) -> Parser {
        Parser {
            scanner: {
                let (bytes, swaps) = quirks::go_compatible(bytes);
                Scanner::new(bytes, swaps)
            },
            queue: VecDeque::new(),
            lookahead: if v3 { 2 } else { 0 },
            state: State::StreamStart,
            states: Vec::new(),
            marks: Vec::new(),
            tag_directives: Vec::new(),
            done: false,
            flow_depth: 0,
            block_depth: 0,
        }
    }

    fn peek(&mut self) -> R<&Token> {
        while self.queue.len() <= self.lookahead
            && !self.queue.back().is_some_and(|t| t.kind == Tk::StreamEnd)
            || self.queue.is_empty()
        {
            let t = self.scanner.next_token()?;
            self.depth_check(&t)?;
            self.queue.push_back(t);
        }
        Ok(self.queue.front().unwrap())
    }

    fn peek_kind(&mut self) -> R<Tk> {
        Ok(self.peek()?.kind)
    }

    fn skip(&mut self) {
        self.queue.pop_front();
    }

    fn pop_state(&mut self) {
        self.state = self.states.pop().unwrap_or(State::End);
    }

    /// The next event (`yaml_parser_parse`).
    pub(super) fn next_event(&mut self) -> R<Event> {
        if self.done {
            return Ok(event(Kind::StreamEnd, Mark::default()));
        }
        let ev = match self.state {
            State::StreamStart => {
                let t = self.peek()?.clone();
                if t.kind != Tk::StreamStart {
                    return Err(parser_error(
                        "did not find expected <stream-start>",
                        t.start,
                        None,
                    ));
                }
                self.state = State::ImplicitDocumentStart;
                self.skip();
                event(Kind::StreamStart, t.start)
            }
            State::ImplicitDocumentStart => self.document_start(true)?,
            State::DocumentStart => self.document_start(false)?,
            State::DocumentContent => {
                let t = self.peek()?.clone();
                if matches!(
                    t.kind,
                    Tk::VersionDirective
                        | Tk::TagDirective
                        | Tk::DocumentStart
                        | Tk::DocumentEnd
                        | Tk::StreamEnd
                ) {
                    self.pop_state();
                    empty_scalar(t.start)
                } else {
                    self.node(true, false)?
                }
            }
            State::DocumentEnd => {
                let t = self.peek()?.clone();
                if t.kind == Tk::DocumentEnd {
                    self.skip();
                }
                self.tag_directives.clear();
                self.state = State::DocumentStart;
                event(Kind::DocumentEnd, t.start)
            }
            State::BlockNode => self.node(true, false)?,
            State::BlockSequenceFirstEntry => self.block_sequence_entry(true)?,
            State::BlockSequenceEntry => self.block_sequence_entry(false)?,
            State::IndentlessSequenceEntry => self.indentless_sequence_entry()?,
            State::BlockMappingFirstKey => self.block_mapping_key(true)?,
            State::BlockMappingKey => self.block_mapping_key(false)?,
            State::BlockMappingValue => self.block_mapping_value()?,
            State::FlowSequenceFirstEntry => self.flow_sequence_entry(true)?,
            State::FlowSequenceEntry => self.flow_sequence_entry(false)?,
            State::FlowSequenceEntryMappingKey => {
                let t = self.peek()?.clone();
                if !matches!(t.kind, Tk::Value | Tk::FlowEntry | Tk::FlowSequenceEnd) {
                    self.states.push(State::FlowSequenceEntryMappingValue);
                    self.node(false, false)?
                } else {
                    self.skip();
                    self.state = State::FlowSequenceEntryMappingValue;
                    empty_scalar(t.end)
                }
            }
            State::FlowSequenceEntryMappingValue => {
                let mut t = self.peek()?.clone();
                if t.kind == Tk::Value {
                    self.skip();
                    t = self.peek()?.clone();
                    if !matches!(t.kind, Tk::FlowEntry | Tk::FlowSequenceEnd) {
                        self.states.push(State::FlowSequenceEntryMappingEnd);
                        return self.node(false, false);
                    }
                }
                self.state = State::FlowSequenceEntryMappingEnd;
                empty_scalar(t.start)
            }
            State::FlowSequenceEntryMappingEnd => {
                let t = self.peek()?.clone();
                self.state = State::FlowSequenceEntry;
                event(Kind::MappingEnd, t.start)
            }
            State::FlowMappingFirstKey => self.flow_mapping_key(true)?,
            State::FlowMappingKey => self.flow_mapping_key(false)?,
            State::FlowMappingValue => self.flow_mapping_value(false)?,
            State::FlowMappingEmptyValue => self.flow_mapping_value(true)?,
            State::End => {
                self.done = true;
                event(Kind::StreamEnd, Mark::default())
            }
        };
        Ok(ev)
    }

    fn document_start(&mut self, implicit: bool) -> R<Event> {
        let mut t = self.peek()?.clone();
        if !implicit {
            while t.kind == Tk::DocumentEnd {
                self.skip();
                t = self.peek()?.clone();
            }
        }
        if implicit
            && !matches!(
                t.kind,
                Tk::VersionDirective | Tk::TagDirective | Tk::DocumentStart | Tk::StreamEnd
            )
        {
            self.directives()?;
            self.states.push(State::DocumentEnd);
            self.state = State::BlockNode;
            return Ok(event(Kind::DocumentStart, t.start));
        }
        if t.kind == Tk::StreamEnd {
            self.state = State::End;
            self.skip();
            self.done = true;
            return Ok(event(Kind::StreamEnd, t.start));
        }
        let start = t.start;
        let version = self.directives()?;
        let t = self.peek()?.clone();
        if t.kind != Tk::DocumentStart {
            return Err(parser_error(
                "did not find expected <document start>",
                t.start,
                None,
            ));
        }
        self.states.push(State::DocumentEnd);
        self.state = State::DocumentContent;
        self.skip();
        let _ = version;
        Ok(event(Kind::DocumentStart, start))
    }

    fn node(&mut self, block: bool, indentless: bool) -> R<Event> {
        let mut t = self.peek()?.clone();
        if t.kind == Tk::Alias {
            self.pop_state();
            self.skip();
            return Ok(event(Kind::Alias { anchor: t.value }, t.start));
        }
        let mut start = t.start;
        let mut anchor = None;
        let mut tag_token: Option<(String, String, Mark)> = None;
        if t.kind == Tk::Anchor {
            anchor = Some(t.value.clone());
            self.skip();
            t = self.peek()?.clone();
            if t.kind == Tk::Tag {
                tag_token = Some((t.value.clone(), t.suffix.clone(), t.start));
                self.skip();
                t = self.peek()?.clone();
            }
        } else if t.kind == Tk::Tag {
            tag_token = Some((t.value.clone(), t.suffix.clone(), t.start));
            start = t.start;
            self.skip();
            t = self.peek()?.clone();
            if t.kind == Tk::Anchor {
                anchor = Some(t.value.clone());
                self.skip();
                t = self.peek()?.clone();
            }
        }
        let mut tag = String::new();
        if let Some((handle, suffix, mark)) = tag_token {
            if handle.is_empty() {
                tag = suffix;
            } else {
                if let Some((_, prefix)) = self.tag_directives.iter().find(|(h, _)| *h == handle) {
                    tag = format!("{prefix}{suffix}");
                }
                if tag.is_empty() {
                    return Err(parser_error(
                        "found undefined tag handle",
                        mark,
                        Some(start),
                    ));
                }
            }
        }
        let collection = |kind: Kind| event(kind, start);
        if indentless && t.kind == Tk::BlockEntry {
            self.state = State::IndentlessSequenceEntry;
            return Ok(collection(Kind::SequenceStart { anchor, tag }));
        }
        match t.kind {
            Tk::Scalar => {
                let plain_implicit = tag.is_empty() && t.style == Style::Plain || tag == "!";
                self.pop_state();
                self.skip();
                Ok(collection(Kind::Scalar {
                    anchor,
                    tag,
                    value: t.value,
                    plain_implicit,
                    style: t.style,
                }))
            }
            Tk::FlowSequenceStart => {
                self.state = State::FlowSequenceFirstEntry;
                Ok(collection(Kind::SequenceStart { anchor, tag }))
            }
            Tk::FlowMappingStart => {
                self.state = State::FlowMappingFirstKey;
                Ok(collection(Kind::MappingStart { anchor, tag }))
            }
            Tk::BlockSequenceStart if block => {
                self.state = State::BlockSequenceFirstEntry;
                Ok(collection(Kind::SequenceStart { anchor, tag }))
            }
            Tk::BlockMappingStart if block => {
                self.state = State::BlockMappingFirstKey;
                Ok(collection(Kind::MappingStart { anchor, tag }))
            }
            _ if anchor.is_some() || !tag.is_empty() => {
                self.pop_state();
                let plain_implicit = tag.is_empty();
                Ok(collection(Kind::Scalar {
                    anchor,
                    tag,
                    value: String::new(),
                    plain_implicit,
                    style: Style::Plain,
                }))
            }
            _ => Err(parser_error(
                "did not find expected node content",
                t.start,
                Some(start),
            )),
        }
    }

    fn first(&mut self) -> R<()> {
        let t = self.peek()?.clone();
        self.marks.push(t.start);
        self.skip();
        Ok(())
    }

    fn context_error(&mut self, problem: &str, at: Mark) -> Failure {
        let context = self.marks.pop();
        parser_error(problem, at, context)
    }

    fn block_sequence_entry(&mut self, first: bool) -> R<Event> {
        if first {
            self.first()?;
        }
        let t = self.peek()?.clone();
        match t.kind {
            Tk::BlockEntry => {
                self.skip();
                let next = self.peek_kind()?;
                if !matches!(next, Tk::BlockEntry | Tk::BlockEnd) {
                    self.states.push(State::BlockSequenceEntry);
                    self.node(true, false)
                } else {
                    self.state = State::BlockSequenceEntry;
                    Ok(empty_scalar(t.end))
                }
            }
            Tk::BlockEnd => {
                self.pop_state();
                self.marks.pop();
                self.skip();
                Ok(event(Kind::SequenceEnd, t.start))
            }
            _ => Err(self.context_error("did not find expected '-' indicator", t.start)),
        }
    }

    fn indentless_sequence_entry(&mut self) -> R<Event> {
        let t = self.peek()?.clone();
        if t.kind == Tk::BlockEntry {
            self.skip();
            let next = self.peek_kind()?;
            if !matches!(next, Tk::BlockEntry | Tk::Key | Tk::Value | Tk::BlockEnd) {
                self.states.push(State::IndentlessSequenceEntry);
                return self.node(true, false);
            }
            self.state = State::IndentlessSequenceEntry;
            return Ok(empty_scalar(t.end));
        }
        self.pop_state();
        Ok(event(Kind::SequenceEnd, t.start))
    }

    fn block_mapping_key(&mut self, first: bool) -> R<Event> {
        if first {
            self.first()?;
        }
        let t = self.peek()?.clone();
        match t.kind {
            Tk::Key => {
                self.skip();
                let next = self.peek_kind()?;
                if !matches!(next, Tk::Key | Tk::Value | Tk::BlockEnd) {
                    self.states.push(State::BlockMappingValue);
                    self.node(true, true)
                } else {
                    self.state = State::BlockMappingValue;
                    Ok(empty_scalar(t.end))
                }
            }
            Tk::BlockEnd => {
                self.pop_state();
                self.marks.pop();
                self.skip();
                Ok(event(Kind::MappingEnd, t.start))
            }
            _ => Err(self.context_error("did not find expected key", t.start)),
        }
    }

    fn block_mapping_value(&mut self) -> R<Event> {
        let t = self.peek()?.clone();
        if t.kind == Tk::Value {
            self.skip();
            let next = self.peek_kind()?;
            if !matches!(next, Tk::Key | Tk::Value | Tk::BlockEnd) {
                self.states.push(State::BlockMappingKey);
                return self.node(true, true);
            }
            self.state = State::BlockMappingKey;
            return Ok(empty_scalar(t.end));
        }
        self.state = State::BlockMappingKey;
        Ok(empty_scalar(t.start))
    }
}
