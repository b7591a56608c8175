//! The library's error type. Each variant says what went wrong and where (the config file and
//! line, the registry and URL, the expected and actual digest...), has one `Display`, and
//! decides the exit code of the contract: 2 for usage and configuration errors (the user
//! fixes a flag, a file or a declaration), 1 for failures at run time (network, checksum,
//! signature, archive, disk). Call sites pick the variant that describes the problem, never
//! an exit code.

use std::path::{Path, PathBuf};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag or argument of the command line: as typed, and what is wrong with it (exit 2).
    #[error("{arg}: {problem}")]
    Usage { arg: String, problem: String },

    /// A config file (`optimus.yaml`): the file, the line when known, the entry it is about
    /// (`provider reg`, `plugin neo`, `plugins[2]`) and the problem with its fix (exit 2).
    #[error("{}{}: {}{problem}", file.display(), line_suffix(*line), entry_prefix(entry))]
    ConfigFile {
        file: PathBuf,
        line: Option<usize>,
        entry: Option<String>,
        problem: String,
    },

    /// A config file that is not there: the path as given, and where one is, or how to make
    /// one (exit 2).
    #[error("config file {} not found{hint}", file.display())]
    ConfigMissing { file: PathBuf, hint: String },

    /// A config file that does not parse (yaml syntax, a field of the wrong shape): the file,
    /// the line and column the parser reports, and the problem with its fix (exit 2).
    #[error("{}:{line}:{column}: {problem}", file.display())]
    ConfigSyntax {
        file: PathBuf,
        line: usize,
        column: usize,
        problem: String,
    },

    /// An environment variable (`HTTPS_PROXY`, `OPTIMUS_JOBS`, a `${VAR}` a config names):
    /// its name and the problem (exit 2).
    #[error("{var}: {problem}")]
    Env { var: String, problem: String },

    /// A change not started because an interrupt (Ctrl-C, SIGTERM) came first (exit 1; the
    /// process exits 130 or 143 as the signal says).
    #[error("interrupted")]
    Interrupted,

    /// A value given by the user (in a config, a flag or a variable) that is not well-formed:
    /// what kind of value (`bad URL`, `invalid plugin name`, `OPTIMUS_MAX_ARTIFACT_SIZE`), the
    /// value as given (secrets removed) and what is wrong with it, when more is to be said
    /// (exit 2).
    #[error("{what} {value}{}", problem_suffix(problem))]
    Invalid {
        what: String,
        value: String,
        problem: String,
    },

    /// A lock file (`optimus.lock`): the file, the line when known, the problem and the way
    /// back (exit 2: the lock is a declaration the user commits).
    #[error("{}{}: {problem}", file.display(), line_suffix(*line))]
    Lock {
        file: PathBuf,
        line: Option<usize>,
        problem: String,
    },

    /// A declared plugin that cannot be resolved as declared: no version meets the
    /// requirement, no artifact for the platform, the lock no longer matches under `--locked`
    /// (exit 2: the declaration or the flags must change).
    #[error("{plugin}: {problem}")]
    Unresolvable { plugin: String, problem: String },

    /// A key or certificate file given on the command line (`--secret-key`, `--public-key`)
    /// or by a provider (`ca_file`, `client_cert`, `client_key`): unreadable, not a key, the
    /// wrong half of a pair, encrypted without a password (exit 2).
    #[error("{}: {problem}", file.display())]
    Key { file: PathBuf, problem: String },

    /// A registry: its name (or root), the URL asked, and what happened. [`RegistryKind`]
    /// decides the exit code: a registry that is not where the config says is a
    /// configuration error, the rest happen at run time.
    #[error("{problem}")]
    Registry {
        registry: String,
        url: String,
        kind: RegistryKind,
        problem: String,
    },

    /// A document served by a registry or written by this tool (an index, `timestamp.toml`,
    /// `config.toml`, the receipts, the journal) that is malformed, inconsistent or tampered
    /// with: which document, and what is wrong (exit 1).
    #[error("{what}: {problem}")]
    Document { what: String, problem: String },

    /// A minisign signature that does not verify with the pinned keys: the signed document,
    /// and why (exit 1). [`Error::is_signature_mismatch`] tells a signature made by a pinned
    /// key over other bytes (a publisher racing the read, or tampering) from a bad or missing
    /// one.
    #[error("{what}: {problem}")]
    Signature {
        what: String,
        problem: String,
        mismatch: bool,
    },

    /// Bytes whose sha256 is not the one the lock or the signed index gives (exit 1).
    #[error("checksum mismatch for {what} from {url}\n  expected sha256: {expected}\n  actual sha256:   {actual}")]
    Checksum {
        what: String,
        url: String,
        expected: String,
        actual: String,
    },

    /// Bytes a source served that are refused before they are hashed: served as an html
    /// page when nothing is pinned yet, a size other than the declared one, more bytes than
    /// expected. What was fetched, from where, and what is wrong (exit 1).
    #[error("{what}: {url} {problem}")]
    Download {
        what: String,
        url: String,
        problem: String,
    },

    /// A transient failure that persisted through every attempt (exit 1: the inner error's).
    #[error("{source} (after {attempts} attempts)")]
    Retried {
        #[source]
        source: Box<Error>,
        attempts: u32,
    },

    /// A provider's `credential_process` that failed (did not start, timed out, exited
    /// non-zero, printed no token): whose, and how, scrubbed of what it printed (exit 1).
    #[error("provider {provider}: credential_process {problem}")]
    Credential { provider: String, problem: String },

    /// An http request that failed for good (after its retries), naming the URL (without
    /// credentials).
    #[error("GET {url}: {message}")]
    Http { url: String, message: String },

    /// A run-time failure worth another try from scratch: a body cut short, longer than its
    /// Content-Length, or stalled (exit 1 if it persists).
    #[error("{0}")]
    Transient(String),

    /// A file-system failure on a path: "reading /x/y: No such file or directory".
    #[error("{verb} {}: {source}", path.display())]
    Io {
        verb: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A write the file system refused (permissions, immutable, read-only, full), with which
    /// directory and what to do (`model::fsutil::write_error`).
    #[error("{verb} {path}: {source}; {hint}")]
    Write {
        verb: String,
        path: String,
        hint: String,
        #[source]
        source: std::io::Error,
    },

    /// An artifact refused while unpacking: unsafe entry, bomb, corrupt archive, no match.
    #[error("{artifact}: {message}")]
    Archive { artifact: String, message: String },

    /// A directory or file this tool refuses to touch because it did not make it (a mirror
    /// output, a cache, a bundle path) or because another config owns it: which one, why, and
    /// what to do (exit 2: the user points the command elsewhere).
    #[error("{}: {problem}", path.display())]
    NotOurs { path: PathBuf, problem: String },

    /// A run-time failure of this run's own work on the plugin directory or a registry it
    /// writes (two sources for one file, a version already published, a concurrent update
    /// that kept winning): what, and what to do (exit 1).
    #[error("{what}: {problem}")]
    Refused { what: String, problem: String },

    /// Wraps an error with the plugin it happened to.
    #[error("plugin {plugin}: {source}")]
    Plugin {
        plugin: String,
        #[source]
        source: Box<Error>,
    },

    /// An error with where it comes from in front (`optimus.yaml:12`, `registry odpf`); the
    /// exit code is the inner error's.
    #[error("{place}: {source}")]
    At {
        place: String,
        #[source]
        source: Box<Error>,
    },

    /// An error with what it means for this command after it (`nothing was changed in
    /// .plugins`, the next step); the exit code is the inner error's.
    #[error("{source}\n{note}")]
    Noted {
        #[source]
        source: Box<Error>,
        note: String,
    },

    /// An error met once and given again to every caller that asks (a provider's https
    /// client or credential program, made once per run): the first one's text and exit code.
    #[error("{0}")]
    Shared(std::sync::Arc<Error>),

    /// Several errors, each kept: one per line; the exit code is the most severe (a
    /// configuration error first, since fixing the declaration comes first).
    #[error("{}", join_lines(.0))]
    Many(Vec<Error>),

    /// A configuration error described only by its text (exit 2). Kept for the few messages
    /// no structured variant fits; `tests/it/architecture.rs` holds their number down.
    #[error("{0}")]
    Config(String),

    /// A run-time error described only by its text (exit 1); as [`Error::Config`].
    #[error("{0}")]
    Runtime(String),
}

/// What kind of registry failure: decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryKind {
    /// Not where the config says (a directory that does not exist): exit 2.
    Missing,
    /// The config pins no key and does not allow unsigned indexes: exit 2.
    Untrusted,
    /// Cannot be reached, or answered with an error: exit 1.
    Unreachable,
    /// Has no index for the plugin: exit 1 (it may be published later, or be a typo: the
    /// message says which names are near).
    NotListed,
    /// Served something older than this machine has seen, expired, or another registry's
    /// documents: exit 1.
    Stale,
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

fn problem_suffix(problem: &str) -> String {
    match problem {
        "" => String::new(),
        p => format!(": {p}"),
    }
}

fn entry_prefix(entry: &Option<String>) -> String {
    entry.as_ref().map(|e| format!("{e}: ")).unwrap_or_default()
}

fn join_lines(errors: &[Error]) -> String {
    errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Error {
    /// A configuration error described only by its text (budgeted: prefer a structured
    /// variant).
    pub fn config(msg: impl Into<String>) -> Self {
        Error::Config(msg.into())
    }
    /// A run-time error described only by its text (budgeted: prefer a structured variant).
    pub fn runtime(msg: impl Into<String>) -> Self {
        Error::Runtime(msg.into())
    }
    pub fn transient(msg: impl Into<String>) -> Self {
        Error::Transient(msg.into())
    }
    /// A problem with an entry of the config file `file` (no line yet: the config layer adds
    /// it where it knows the entry's line, [`Error::with_config_line`]).
    pub fn in_config(file: &Path, entry: Option<String>, problem: impl Into<String>) -> Self {
        Error::ConfigFile {
            file: file.to_path_buf(),
            line: None,
            entry,
            problem: problem.into(),
        }
    }
    /// A problem with the lock file `file`, at `line` when known.
    pub fn in_lock(file: &Path, line: Option<usize>, problem: impl Into<String>) -> Self {
        Error::Lock {
            file: file.to_path_buf(),
            line,
            problem: problem.into(),
        }
    }
    /// A malformed or inconsistent document (`what` names it: a URL, a path, `index of neo`).
    pub fn document(what: impl Into<String>, problem: impl Into<String>) -> Self {
        Error::Document {
            what: what.into(),
            problem: problem.into(),
        }
    }
    /// A usage error about `arg` (a flag or argument, as typed).
    pub fn usage(arg: impl Into<String>, problem: impl Into<String>) -> Self {
        Error::Usage {
            arg: arg.into(),
            problem: problem.into(),
        }
    }
    /// A malformed value: what kind, the value as given, and what is wrong ("" when the kind
    /// and value say it all).
    pub fn invalid(
        what: impl Into<String>,
        value: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        Error::Invalid {
            what: what.into(),
            value: value.into(),
            problem: problem.into(),
        }
    }
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transient(_) => true,
            Error::Shared(e) => e.is_transient(),
            Error::Plugin { source, .. }
            | Error::At { source, .. }
            | Error::Noted { source, .. } => source.is_transient(),
            _ => false,
        }
    }
    /// A signature made by a pinned key over other bytes than those read (a read racing a
    /// publisher, or tampering): worth one more read.
    pub fn is_signature_mismatch(&self) -> bool {
        match self {
            Error::Signature { mismatch, .. } => *mismatch,
            Error::Shared(e) => e.is_signature_mismatch(),
            Error::Plugin { source, .. }
            | Error::At { source, .. }
            | Error::Noted { source, .. } => source.is_signature_mismatch(),
            _ => false,
        }
    }
    /// An I/O error about a path: "reading /x/y: No such file or directory".
    pub fn path(verb: &str, path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            verb: verb.to_string(),
            path: path.to_path_buf(),
            source,
        }
    }
    pub fn for_plugin(self, plugin: &str) -> Self {
        match self {
            // Do not wrap twice for the same plugin.
            Error::Plugin { plugin: ref p, .. } if p == plugin => self,
            other => Error::Plugin {
                plugin: plugin.to_string(),
                source: Box::new(other),
            },
        }
    }
    /// This error with `place` in front (`optimus.yaml:12: ...`).
    pub fn at(self, place: impl Into<String>) -> Self {
        Error::At {
            place: place.into(),
            source: Box::new(self),
        }
    }
    /// This error with `note` on the line after it.
    pub fn noted(self, note: impl Into<String>) -> Self {
        Error::Noted {
            source: Box::new(self),
            note: note.into(),
        }
    }
    /// An error about the config `file` given the line of the entry it is about; other errors
    /// are left alone.
    pub fn with_config_line(self, file: &Path, at: Option<usize>) -> Self {
        match self {
            Error::ConfigFile {
                file: f,
                line: None,
                entry,
                problem,
            } if f == file => Error::ConfigFile {
                file: f,
                line: at,
                entry,
                problem,
            },
            other => other,
        }
    }

    /// Several errors as one, each kept ([`Error::Many`]).
    pub fn combine(self, other: Error) -> Error {
        match self {
            Error::Many(mut v) => {
                v.push(other);
                Error::Many(v)
            }
            first => Error::Many(vec![first, other]),
        }
    }

    /// Whether the user fixes this by changing a flag, a file or a declaration (exit 2).
    pub fn is_config(&self) -> bool {
        self.exit_code() == 2
    }

    /// Exit code of the contract: 2 for usage or configuration errors, 1 otherwise; decided
    /// by the variant.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage { .. }
            | Error::ConfigFile { .. }
            | Error::ConfigSyntax { .. }
            | Error::Env { .. }
            | Error::Lock { .. }
            | Error::Unresolvable { .. }
            | Error::Key { .. }
            | Error::NotOurs { .. }
            | Error::Invalid { .. }
            | Error::ConfigMissing { .. }
            | Error::Config(_) => 2,
            Error::Registry { kind, .. } => match kind {
                RegistryKind::Missing | RegistryKind::Untrusted => 2,
                _ => 1,
            },
            Error::Plugin { source, .. }
            | Error::At { source, .. }
            | Error::Noted { source, .. }
            | Error::Retried { source, .. } => source.exit_code(),
            Error::Many(v) => v.iter().map(Error::exit_code).max().unwrap_or(1),
            Error::Shared(e) => e.exit_code(),
            Error::Document { .. }
            | Error::Signature { .. }
            | Error::Checksum { .. }
            | Error::Http { .. }
            | Error::Download { .. }
            | Error::Credential { .. }
            | Error::Interrupted
            | Error::Transient(_)
            | Error::Io { .. }
            | Error::Write { .. }
            | Error::Archive { .. }
            | Error::Refused { .. }
            | Error::Runtime(_) => 1,
        }
    }
}

/// Adds the plugin name to errors of a result.
pub trait PluginContext<T> {
    fn plugin(self, name: &str) -> Result<T>;
}

impl<T> PluginContext<T> for Result<T> {
    fn plugin(self, name: &str) -> Result<T> {
        self.map_err(|e| e.for_plugin(name))
    }
}

mod toml_errors;
pub use toml_errors::{toml_error, toml_error_fixed, toml_position};

#[cfg(test)]
mod tests;
