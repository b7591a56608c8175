//! libyaml's event parser (the C code go-yaml v2 and v3 were ported from, as translated to Rust
//! by `unsafe-libyaml-norway`), behind a safe iterator of owned events. The only unsafe code of
//! the yaml plugin decoder is here.
//!
//! go-yaml reads its input 512 bytes at a time (`input_raw_buffer_size`, yamlprivateh.go) and
//! checks every character of a chunk as it decodes it (readerc.go). libyaml's buffer is 16 KiB,
//! so the read handler below hands libyaml at most 512 bytes per call, less the bytes of an
//! incomplete character libyaml kept from the previous chunk: a control character is then found
//! at the same moment as go-yaml finds it, before or after the same syntax error.

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::ptr::addr_of_mut;
use unsafe_libyaml_norway as sys;

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
    DocumentStart {
        version: Option<(i32, i32)>,
    },
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
    /// 0-based column of `problem_mark`.
    pub(super) problem_column: usize,
    pub(super) problem: String,
    /// 0-based lines of `problem_mark` and `context_mark`.
    pub(super) problem_line: usize,
    pub(super) context_line: usize,
}

struct Input {
    bytes: Vec<u8>,
    pos: usize,
}

struct Pinned {
    sys: sys::yaml_parser_t,
    input: Input,
}

pub(super) struct Parser {
    pin: Box<MaybeUninit<Pinned>>,
    done: bool,
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

fn owned(p: *const u8) -> Option<String> {
    if p.is_null() {
        return None;
    }
    let s = unsafe { CStr::from_ptr(p as *const std::ffi::c_char) };
    Some(String::from_utf8_lossy(s.to_bytes()).into_owned())
}

impl Parser {
    /// A parser over `bytes` (any encoding libyaml and go-yaml detect: UTF-8, UTF-16 with a BOM).
    pub(super) fn new(bytes: Vec<u8>) -> Parser {
        let mut pin: Box<MaybeUninit<Pinned>> = Box::new(MaybeUninit::uninit());
        unsafe {
            let p = pin.as_mut_ptr();
            addr_of_mut!((*p).input).write(Input { bytes, pos: 0 });
            let parser = addr_of_mut!((*p).sys);
            if sys::yaml_parser_initialize(parser).fail {
                panic!("libyaml could not allocate a parser");
            }
            sys::yaml_parser_set_input(parser, read_chunk, addr_of_mut!((*p).input).cast());
        }
        Parser { pin, done: false }
    }

    fn failure(&self) -> Failure {
        let p = unsafe { &(*self.pin.as_ptr()).sys };
        Failure {
            scanner: p.error == sys::YAML_SCANNER_ERROR,
            reader: p.error == sys::YAML_READER_ERROR,
            offset: p.problem_offset as usize,
            problem_column: p.problem_mark.column as usize,
            problem: owned(p.problem.cast()).unwrap_or_default(),
            problem_line: p.problem_mark.line as usize,
            context_line: p.context_mark.line as usize,
        }
    }

    /// The next event, or libyaml's failure (after which there are no more events).
    pub(super) fn next_event(&mut self) -> Result<Event, Failure> {
        if self.done {
            return Err(self.failure());
        }
        let mut ev = MaybeUninit::<sys::yaml_event_t>::uninit();
        let ok = unsafe {
            let parser = addr_of_mut!((*self.pin.as_mut_ptr()).sys);
            !sys::yaml_parser_parse(parser, ev.as_mut_ptr()).fail
        };
        if !ok {
            self.done = true;
            return Err(self.failure());
        }
        let mut ev = unsafe { ev.assume_init() };
        let kind = unsafe { convert(&ev) };
        let out = Event {
            kind,
            line: ev.start_mark.line as usize,
            column: ev.start_mark.column as usize,
        };
        unsafe { sys::yaml_event_delete(&mut ev) };
        if matches!(out.kind, Kind::StreamEnd) {
            self.done = true;
        }
        Ok(out)
    }
}

unsafe fn convert(ev: &sys::yaml_event_t) -> Kind {
    unsafe {
        match ev.type_ {
            sys::YAML_STREAM_START_EVENT => Kind::StreamStart,
            sys::YAML_STREAM_END_EVENT => Kind::StreamEnd,
            sys::YAML_DOCUMENT_START_EVENT => {
                let v = ev.data.document_start.version_directive;
                Kind::DocumentStart {
                    version: (!v.is_null()).then(|| ((*v).major, (*v).minor)),
                }
            }
            sys::YAML_DOCUMENT_END_EVENT => Kind::DocumentEnd,
            sys::YAML_ALIAS_EVENT => Kind::Alias {
                anchor: owned(ev.data.alias.anchor).unwrap_or_default(),
            },
            sys::YAML_SCALAR_EVENT => {
                let s = &ev.data.scalar;
                let bytes = std::slice::from_raw_parts(s.value, s.length as usize);
                Kind::Scalar {
                    anchor: owned(s.anchor),
                    tag: owned(s.tag).unwrap_or_default(),
                    value: String::from_utf8_lossy(bytes).into_owned(),
                    plain_implicit: s.plain_implicit,
                    style: match s.style {
                        sys::YAML_SINGLE_QUOTED_SCALAR_STYLE => Style::SingleQuoted,
                        sys::YAML_DOUBLE_QUOTED_SCALAR_STYLE => Style::DoubleQuoted,
                        sys::YAML_LITERAL_SCALAR_STYLE => Style::Literal,
                        sys::YAML_FOLDED_SCALAR_STYLE => Style::Folded,
                        _ => Style::Plain,
                    },
                }
            }
            sys::YAML_SEQUENCE_START_EVENT => Kind::SequenceStart {
                anchor: owned(ev.data.sequence_start.anchor),
                tag: owned(ev.data.sequence_start.tag).unwrap_or_default(),
            },
            sys::YAML_SEQUENCE_END_EVENT => Kind::SequenceEnd,
            sys::YAML_MAPPING_START_EVENT => Kind::MappingStart {
                anchor: owned(ev.data.mapping_start.anchor),
                tag: owned(ev.data.mapping_start.tag).unwrap_or_default(),
            },
            _ => Kind::MappingEnd,
        }
    }
}

impl Drop for Parser {
    fn drop(&mut self) {
        unsafe { sys::yaml_parser_delete(addr_of_mut!((*self.pin.as_mut_ptr()).sys)) };
    }
}
