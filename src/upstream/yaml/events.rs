//! libyaml's reader and scanner (the C code go-yaml v2 and v3 were ported from, as translated
//! to Rust by `unsafe-libyaml-norway`), behind a safe iterator of owned tokens; and the events
//! go-yaml's parser (`parser.rs`) makes of them. The only unsafe code of the yaml plugin decoder
//! is here.
//!
//! go-yaml reads its input 512 bytes at a time (`input_raw_buffer_size`, yamlprivateh.go) and
//! checks every character of a chunk as it decodes it (readerc.go). libyaml's buffer is 16 KiB,
//! so the read handler below hands libyaml at most 512 bytes per call, less the bytes of an
//! incomplete character libyaml kept from the previous chunk: a control character is then found
//! at the same moment as go-yaml finds it, before or after the same syntax error.

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::ptr::addr_of_mut;
use unsafe_libyaml_norway as unsafe_libyaml;

/// go-yaml's raw input chunk (yaml.v2 and yaml.v3 yamlprivateh.go: `input_raw_buffer_size`).
const GO_RAW_CHUNK: u64 = 512;
/// libyaml's raw buffer (`INPUT_RAW_BUFFER_SIZE`, unsafe-libyaml-norway api.rs).
const LIBYAML_RAW_BUFFER: u64 = 16384;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug)]
pub(super) enum Kind {
    StreamStart,
    StreamEnd,
    DocumentStart,
    DocumentEnd,
    Alias {
        anchor: String,
    },
    Scalar {
        anchor: Option<String>,
        tag: String,
        value: String,
        plain_implicit: bool,
        style: Style,
    },
    SequenceStart {
        anchor: Option<String>,
        tag: String,
    },
    SequenceEnd,
    MappingStart {
        anchor: Option<String>,
        tag: String,
    },
    MappingEnd,
}

/// One event and where it starts (0-based line and column, as libyaml marks them).
#[derive(Debug)]
pub(super) struct Event {
    pub(super) kind: Kind,
    pub(super) line: usize,
    pub(super) column: usize,
}

/// libyaml's error state after a failed parse call, as go-yaml's `parser.fail` reads it.
#[derive(Debug, Clone)]
pub(super) struct Failure {
    pub(super) scanner: bool,
    /// A reader error (encoding, control character): `offset` is where, in the input.
    pub(super) reader: bool,
    pub(super) offset: usize,
    /// 0-based column and character index of `problem_mark`.
    pub(super) problem_column: usize,
    pub(super) problem_index: usize,
    pub(super) problem: String,
    /// 0-based lines of `problem_mark` and `context_mark`.
    pub(super) problem_line: usize,
    pub(super) context_line: usize,
    /// The construct a scanner error is about (`while scanning a quoted scalar`), 0-based.
    pub(super) context: Option<(usize, usize)>,
}

pub(super) const COLON: char = '\u{FDD1}';
pub(super) const BOM_CHAR: char = '\u{FDD0}';

/// Characters `quirks.rs` swapped for stand-ins, to turn back in token values.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Swaps {
    pub(super) bom: bool,
    pub(super) colon: bool,
}

impl Swaps {
    pub(super) fn restore(&self, s: &mut String) {
        if self.bom && s.contains(BOM_CHAR) {
            *s = s.replace(BOM_CHAR, "\u{FEFF}");
        }
        if self.colon && s.contains(COLON) {
            *s = s.replace(COLON, ":");
        }
    }
}

struct Input {
    bytes: Vec<u8>,
    pos: usize,
}

struct Pinned {
    sys: unsafe_libyaml::yaml_parser_t,
    input: Input,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tk {
    StreamStart,
    StreamEnd,
    VersionDirective,
    TagDirective,
    DocumentStart,
    DocumentEnd,
    BlockSequenceStart,
    BlockMappingStart,
    BlockEnd,
    FlowSequenceStart,
    FlowSequenceEnd,
    FlowMappingStart,
    FlowMappingEnd,
    BlockEntry,
    FlowEntry,
    Key,
    Value,
    Alias,
    Anchor,
    Tag,
    Scalar,
}

/// A position: 0-based line and column, as libyaml and go-yaml mark them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Mark {
    pub(super) line: usize,
    pub(super) column: usize,
    /// Characters before it (after an encoding BOM).
    pub(super) index: usize,
}

/// One token of libyaml's scanner.
#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) kind: Tk,
    pub(super) start: Mark,
    pub(super) end: Mark,
    /// Scalar value, anchor or alias name, tag or %TAG handle.
    pub(super) value: String,
    /// A tag's suffix, a %TAG prefix.
    pub(super) suffix: String,
    pub(super) style: Style,
    pub(super) version: (i32, i32),
}

/// libyaml's scanner over the input, one token at a time.
pub(super) struct Scanner {
    pin: Box<MaybeUninit<Pinned>>,
    failed: Option<Failure>,
    swaps: Swaps,
}

unsafe fn read_chunk(
    data: *mut std::ffi::c_void,
    buffer: *mut u8,
    size: u64,
    size_read: *mut u64,
) -> i32 {
    let input = unsafe { &mut *(data as *mut Input) };
    // libyaml asks for the room left in its raw buffer: what it did not ask for is the tail of
    // an incomplete character it kept, which go-yaml also keeps in its 512-byte buffer.
    let kept = LIBYAML_RAW_BUFFER.saturating_sub(size);
    let want = GO_RAW_CHUNK.saturating_sub(kept).min(size) as usize;
    let n = want.min(input.bytes.len() - input.pos);
    unsafe {
        std::ptr::copy_nonoverlapping(input.bytes.as_ptr().add(input.pos), buffer, n);
        *size_read = n as u64;
    }
    input.pos += n;
    1
}

fn owned(p: *const u8) -> String {
    if p.is_null() {
        return String::new();
    }
    let s = unsafe { CStr::from_ptr(p as *const std::ffi::c_char) };
    String::from_utf8_lossy(s.to_bytes()).into_owned()
}

fn mark(m: unsafe_libyaml::yaml_mark_t) -> Mark {
    Mark {
        line: m.line as usize,
        column: m.column as usize,
        index: m.index as usize,
    }
}

impl Scanner {
    /// A scanner over `bytes` (any encoding libyaml and go-yaml detect: UTF-8, UTF-16 with a
    /// byte order mark).
    pub(super) fn new(bytes: Vec<u8>, swaps: Swaps) -> Scanner {
        let mut sc = Scanner::raw(bytes);
        sc.swaps = swaps;
        sc
    }

    /// libyaml's scanner over `bytes` as they are.
    pub(super) fn raw(bytes: Vec<u8>) -> Scanner {
        let mut pin: Box<MaybeUninit<Pinned>> = Box::new(MaybeUninit::uninit());
        unsafe {
            let p = pin.as_mut_ptr();
            addr_of_mut!((*p).input).write(Input { bytes, pos: 0 });
            let parser = addr_of_mut!((*p).sys);
            if unsafe_libyaml::yaml_parser_initialize(parser).fail {
                panic!("libyaml could not allocate a parser");
            }
            unsafe_libyaml::yaml_parser_set_input(
                parser,
                read_chunk,
                addr_of_mut!((*p).input).cast(),
            );
        }
        Scanner {
            pin,
            failed: None,
            swaps: Swaps::default(),
        }
    }

    /// The next token, or the scanner's (or reader's) failure, which then stays.
    pub(super) fn next_token(&mut self) -> Result<Token, Failure> {
        if let Some(f) = &self.failed {
            return Err(f.clone());
        }
        let mut tok = MaybeUninit::<unsafe_libyaml::yaml_token_t>::uninit();
        let ok = unsafe {
            let parser = addr_of_mut!((*self.pin.as_mut_ptr()).sys);
            !unsafe_libyaml::yaml_parser_scan(parser, tok.as_mut_ptr()).fail
        };
        if !ok {
            let p = unsafe { &(*self.pin.as_ptr()).sys };
            let f = Failure {
                scanner: p.error == unsafe_libyaml::YAML_SCANNER_ERROR,
                reader: p.error == unsafe_libyaml::YAML_READER_ERROR,
                offset: p.problem_offset as usize,
                problem_column: p.problem_mark.column as usize,
                problem_index: p.problem_mark.index as usize,
                // go-yaml's text has a typo libyaml fixed (scannerc.go).
                problem: owned(p.problem.cast())
                    .replace("expected hexadecimal", "expected hexdecimal"),
                problem_line: p.problem_mark.line as usize,
                context_line: p.context_mark.line as usize,
                context: (!p.context.is_null())
                    .then_some((p.context_mark.line as usize, p.context_mark.column as usize)),
            };
            self.failed = Some(f.clone());
            return Err(f);
        }
        let mut tok = unsafe { tok.assume_init() };
        let mut out = unsafe { convert(&tok) };
        unsafe { unsafe_libyaml::yaml_token_delete(&mut tok) };
        self.swaps.restore(&mut out.value);
        self.swaps.restore(&mut out.suffix);
        Ok(out)
    }
}

unsafe fn convert(t: &unsafe_libyaml::yaml_token_t) -> Token {
    let mut out = Token {
        kind: Tk::StreamStart,
        start: mark(t.start_mark),
        end: mark(t.end_mark),
        value: String::new(),
        suffix: String::new(),
        style: Style::Plain,
        version: (0, 0),
    };
    unsafe {
        out.kind = match t.type_ {
            unsafe_libyaml::YAML_STREAM_START_TOKEN => Tk::StreamStart,
            unsafe_libyaml::YAML_STREAM_END_TOKEN => Tk::StreamEnd,
            unsafe_libyaml::YAML_VERSION_DIRECTIVE_TOKEN => {
                let v = t.data.version_directive;
                out.version = (v.major, v.minor);
                Tk::VersionDirective
            }
            unsafe_libyaml::YAML_TAG_DIRECTIVE_TOKEN => {
                out.value = owned(t.data.tag_directive.handle);
                out.suffix = owned(t.data.tag_directive.prefix);
                Tk::TagDirective
            }
            unsafe_libyaml::YAML_DOCUMENT_START_TOKEN => Tk::DocumentStart,
            unsafe_libyaml::YAML_DOCUMENT_END_TOKEN => Tk::DocumentEnd,
            unsafe_libyaml::YAML_BLOCK_SEQUENCE_START_TOKEN => Tk::BlockSequenceStart,
            unsafe_libyaml::YAML_BLOCK_MAPPING_START_TOKEN => Tk::BlockMappingStart,
            unsafe_libyaml::YAML_BLOCK_END_TOKEN => Tk::BlockEnd,
            unsafe_libyaml::YAML_FLOW_SEQUENCE_START_TOKEN => Tk::FlowSequenceStart,
            unsafe_libyaml::YAML_FLOW_SEQUENCE_END_TOKEN => Tk::FlowSequenceEnd,
            unsafe_libyaml::YAML_FLOW_MAPPING_START_TOKEN => Tk::FlowMappingStart,
            unsafe_libyaml::YAML_FLOW_MAPPING_END_TOKEN => Tk::FlowMappingEnd,
            unsafe_libyaml::YAML_BLOCK_ENTRY_TOKEN => Tk::BlockEntry,
            unsafe_libyaml::YAML_FLOW_ENTRY_TOKEN => Tk::FlowEntry,
            unsafe_libyaml::YAML_KEY_TOKEN => Tk::Key,
            unsafe_libyaml::YAML_VALUE_TOKEN => Tk::Value,
            unsafe_libyaml::YAML_ALIAS_TOKEN => {
                out.value = owned(t.data.alias.value);
                Tk::Alias
            }
            unsafe_libyaml::YAML_ANCHOR_TOKEN => {
                out.value = owned(t.data.anchor.value);
                Tk::Anchor
            }
            unsafe_libyaml::YAML_TAG_TOKEN => {
                out.value = owned(t.data.tag.handle);
                out.suffix = owned(t.data.tag.suffix);
                Tk::Tag
            }
            _ => {
                let s = &t.data.scalar;
                let bytes = std::slice::from_raw_parts(s.value, s.length as usize);
                out.value = String::from_utf8_lossy(bytes).into_owned();
                out.style = match s.style {
                    unsafe_libyaml::YAML_SINGLE_QUOTED_SCALAR_STYLE => Style::SingleQuoted,
                    unsafe_libyaml::YAML_DOUBLE_QUOTED_SCALAR_STYLE => Style::DoubleQuoted,
                    unsafe_libyaml::YAML_LITERAL_SCALAR_STYLE => Style::Literal,
                    unsafe_libyaml::YAML_FOLDED_SCALAR_STYLE => Style::Folded,
                    _ => Style::Plain,
                };
                Tk::Scalar
            }
        };
    }
    out
}

impl Drop for Scanner {
    fn drop(&mut self) {
        unsafe { unsafe_libyaml::yaml_parser_delete(addr_of_mut!((*self.pin.as_mut_ptr()).sys)) };
    }
}
