//! The library's error type. Every error carries enough context to name the file, plugin or
//! URL it is about, and maps to the exit codes of the contract: 2 for usage/configuration
//! errors, 1 for failures at run time.

use std::path::{Path, PathBuf};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad command line, config file, lock file or declaration (exit 2).
    #[error("{0}")]
    Config(String),
    /// A failure at run time: network, checksum, signature, archive, disk (exit 1).
    #[error("{0}")]
    Runtime(String),
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
    /// An http request that failed for good (after its retries), naming the URL (without
    /// credentials).
    #[error("GET {url}: {message}")]
    Http { url: String, message: String },
    /// An artifact refused while unpacking: unsafe entry, bomb, corrupt archive, no match.
    #[error("{artifact}: {message}")]
    Archive { artifact: String, message: String },
    #[error("checksum mismatch for {what} from {url}\n  expected sha256: {expected}\n  actual sha256:   {actual}")]
    Checksum {
        what: String,
        url: String,
        expected: String,
        actual: String,
    },
    /// A signature made by a pinned key that does not match the file: tampering, or a read that
    /// raced a publisher between writing an index and its signature.
    #[error("{0}")]
    SignatureMismatch(String),
    /// Wraps an error with the plugin it happened to.
    #[error("plugin {plugin}: {source}")]
    Plugin {
        plugin: String,
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    pub fn config(msg: impl Into<String>) -> Self {
        Error::Config(msg.into())
    }
    pub fn runtime(msg: impl Into<String>) -> Self {
        Error::Runtime(msg.into())
    }
    pub fn transient(msg: impl Into<String>) -> Self {
        Error::Transient(msg.into())
    }
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Transient(_) => true,
            Error::Plugin { source, .. } => source.is_transient(),
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

    /// Several errors as one: every message, and the most severe exit code (config beats
    /// runtime, since fixing the declaration comes first).
    pub fn combine(self, other: Error) -> Error {
        let config = self.exit_code() == 2 || other.exit_code() == 2;
        let text = format!("{self}\n{other}");
        if config {
            Error::config(text)
        } else {
            Error::runtime(text)
        }
    }

    /// Exit code of the contract: 2 for usage or configuration errors, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) => 2,
            Error::Plugin { source, .. } => source.exit_code(),
            _ => 1,
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

/// A TOML parse error as `what:line:col: message` (a run-time error; callers re-type it).
pub fn toml_error(what: &str, text: &str, e: &toml::de::Error) -> Error {
    let msg = e.message().to_string();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before
                .rfind('\n')
                .map(|i| before.len() - i)
                .unwrap_or(before.len() + 1);
            Error::runtime(format!("{what}:{line}:{col}: {msg}"))
        }
        None => Error::runtime(format!("{what}: {msg}")),
    }
}
