//! The environment, read once at start-up: every `OPTIMUS_*` override and the cache location.
//! The layers below take these values as arguments; none of them reads the environment.

use crate::model::{fsutil, redact};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Environment {
    /// `OPTIMUS_PLUGIN_DIR` (absolute), when set and not empty.
    pub plugin_dir: Option<PathBuf>,
    /// `OPTIMUS_PLUGIN_ARTIFACTS`, comma-separated.
    pub artifacts: Vec<String>,
    /// `OPTIMUS_MAX_UNPACKED_SIZE`, `OPTIMUS_MAX_ENTRIES`, `OPTIMUS_MAX_RATIO` as written
    /// (checked when a config is loaded, so a bad value names itself there).
    pub max_unpacked_size: Option<String>,
    pub max_entries: Option<String>,
    pub max_ratio: Option<String>,
    /// `OPTIMUS_CACHE_DIR`, else `$XDG_CACHE_HOME/optimus`, else `~/.cache/optimus`.
    pub cache_dir: PathBuf,
    /// `$HOME`, for Optimus's `~/.optimus/plugins` discovery directory.
    pub home: Option<PathBuf>,
    /// `OPTIMUS_BIN`: the Optimus CLI (the Go `optimus`) whose directory `list` counts among
    /// Optimus's discovery directories, as written (not empty).
    pub optimus_bin: Option<PathBuf>,
    /// `PATH`, where `list` looks for that `optimus` when `OPTIMUS_BIN` is not set.
    pub path: Option<std::ffi::OsString>,
    pub net: Net,
    /// `OPTIMUS_LINK_MODE` (`hardlink`, `copy` or `reflink`; checked when a config is loaded).
    pub link_mode: Option<String>,
    /// `OPTIMUS_MIRROR_DIR` (absolute): a directory written by `optimus-plugins mirror`; its
    /// `<provider>/` subdirectories are tried first as mirrors of those providers.
    pub mirror_dir: Option<PathBuf>,
    /// `OPTIMUS_PUBLISH_SETTLE_SECS`: how long a publisher waits on an object-store index
    /// whose signature does not verify yet (default 15 s).
    pub publish_settle: Duration,
    pub terminal: TerminalEnv,
}

/// How the terminal is drawn: `OPTIMUS_NO_PROGRESS` (set: no progress bars) and `NO_COLOR`
/// (set and not empty: no colours).
#[derive(Clone, Debug, Default)]
pub struct TerminalEnv {
    pub no_progress: bool,
    pub no_color: bool,
}

/// Network settings: `OPTIMUS_CONNECT_TIMEOUT`, `OPTIMUS_READ_TIMEOUT` (seconds),
/// `OPTIMUS_DOWNLOAD_MIN_RATE` (bytes per second), `OPTIMUS_RETRY_BASE_MS` and
/// `OPTIMUS_CREDENTIAL_TIMEOUT`.
#[derive(Clone, Debug)]
pub struct Net {
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// The slowest average rate a download may keep: each download has an overall deadline of
    /// connect + read timeout + size / this rate (a server trickling bytes just within the
    /// read timeout cannot hold a run forever).
    pub min_rate: u64,
    pub retry_base: Duration,
    /// `OPTIMUS_CREDENTIAL_TIMEOUT` (seconds, default 60): how long a provider's
    /// `credential_process` may take before it is killed with its process group.
    pub credential_timeout: Duration,
    pub object: ObjectEnv,
    pub proxy: ProxyEnv,
}

/// The proxy variables, as curl reads them (the lower-case spelling first): `https_proxy`
/// for https URLs, `http_proxy` for plain http ones, `all_proxy` for either when its own is
/// not set, and `no_proxy` for the hosts that go direct. Empty values count as unset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    /// (variable name as found, value)
    pub https: Option<(String, String)>,
    pub http: Option<(String, String)>,
    pub all: Option<(String, String)>,
    /// Comma-separated hosts, domains (`.example.com` or `example.com`: also subdomains), IP
    /// addresses, CIDR blocks, or `*`. Loopback addresses are not implied.
    pub no_proxy: Option<String>,
}

impl ProxyEnv {
    /// Refuses a proxy URL whose scheme no client here speaks (`ftp://`, `gopher://`,
    /// `socks5://`...), naming the variable: curl and reqwest would skip it silently and
    /// connect directly, around the proxy the user meant to go through. A value without a
    /// scheme (`proxy:3128`) is an http proxy, as curl reads it.
    pub fn check(&self) -> crate::error::Result<()> {
        for (name, value) in [&self.https, &self.http, &self.all].into_iter().flatten() {
            let Some((scheme, _)) = value.split_once("://") else {
                continue;
            };
            let scheme = scheme.to_ascii_lowercase();
            if scheme != "http" && scheme != "https" {
                return Err(crate::error::Error::Env {
                    var: format!("{name}={}", redact::url_for_display(value)),
                    problem: format!(
                        "proxy scheme `{}` is not supported (give an http:// or https:// proxy URL, or unset {name}); refusing to connect around the proxy",
                        redact::printable(&scheme)
                    ),
                });
            }
        }
        Ok(())
    }

    fn read() -> ProxyEnv {
        let first = |names: [&str; 2]| {
            names
                .into_iter()
                .find_map(|n| nonempty(n).map(|v| (n.to_string(), v.trim().to_string())))
        };
        let proxy = ProxyEnv {
            https: first(["https_proxy", "HTTPS_PROXY"]),
            http: first(["http_proxy", "HTTP_PROXY"]),
            all: first(["all_proxy", "ALL_PROXY"]),
            no_proxy: first(["no_proxy", "NO_PROXY"]).map(|(_, v)| v),
        };
        // A proxy URL may carry a password (`http://user:pass@proxy:3128`).
        for (_, v) in [&proxy.https, &proxy.http, &proxy.all]
            .into_iter()
            .flatten()
        {
            if let Some((userinfo, _)) = v.rsplit_once('@') {
                if let Some((_, pass)) = userinfo.rsplit_once(':') {
                    redact::register(pass);
                }
            }
        }
        proxy
    }
}

/// The object-store settings we look at ourselves (object_store's builders read the rest of
/// the standard `AWS_*`, `GOOGLE_*`, `AZURE_*` variables).
#[derive(Clone, Debug, Default)]
pub struct ObjectEnv {
    /// `AWS_ENDPOINT_URL`, else `AWS_ENDPOINT`.
    pub aws_endpoint: Option<String>,
    pub aws_region: Option<String>,
    pub aws_default_region: Option<String>,
    pub google_base_url: Option<String>,
}

/// Environment variables holding object-store credentials: registered as secrets so that no
/// message can echo them, whatever an object-store error happens to include.
pub const SECRET_ENV: &[&str] = &[
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_TOKEN",
    "GOOGLE_SERVICE_ACCOUNT_KEY",
    "GOOGLE_BEARER_TOKEN",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_STORAGE_MASTER_KEY",
    "AZURE_STORAGE_SAS_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_TOKEN",
    "AZURE_CLIENT_SECRET",
];

impl Default for Net {
    fn default() -> Self {
        Net {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            min_rate: 16 * 1024,
            retry_base: Duration::from_millis(250),
            credential_timeout: Duration::from_secs(60),
            object: ObjectEnv::default(),
            proxy: ProxyEnv::default(),
        }
    }
}

fn var(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

fn nonempty(key: &str) -> Option<String> {
    var(key).filter(|v| !v.trim().is_empty())
}

fn number(key: &str) -> Option<u64> {
    var(key).and_then(|v| v.parse().ok())
}

impl Environment {
    /// Reads the process environment (once, in `main`).
    pub fn read() -> Environment {
        // No message may echo an object-store credential, whatever an error happens to include.
        for k in SECRET_ENV {
            if let Some(v) = nonempty(k) {
                redact::register(&v);
            }
        }
        let cache_dir = nonempty("OPTIMUS_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| nonempty("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("optimus")))
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache").join("optimus")))
            .unwrap_or_else(|| std::env::temp_dir().join("optimus-cache"));
        let defaults = Net::default();
        Environment {
            plugin_dir: nonempty("OPTIMUS_PLUGIN_DIR").map(|d| fsutil::absolute(Path::new(&d))),
            artifacts: var("OPTIMUS_PLUGIN_ARTIFACTS")
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default(),
            max_unpacked_size: var("OPTIMUS_MAX_UNPACKED_SIZE"),
            max_entries: var("OPTIMUS_MAX_ENTRIES"),
            max_ratio: var("OPTIMUS_MAX_RATIO"),
            cache_dir: fsutil::absolute(&cache_dir),
            home: var("HOME").map(PathBuf::from),
            optimus_bin: nonempty("OPTIMUS_BIN").map(PathBuf::from),
            path: std::env::var_os("PATH"),
            net: Net {
                connect_timeout: number("OPTIMUS_CONNECT_TIMEOUT")
                    .map(Duration::from_secs)
                    .unwrap_or(defaults.connect_timeout),
                read_timeout: number("OPTIMUS_READ_TIMEOUT")
                    .map(Duration::from_secs)
                    .unwrap_or(defaults.read_timeout),
                min_rate: number("OPTIMUS_DOWNLOAD_MIN_RATE")
                    .filter(|r| *r > 0)
                    .unwrap_or(defaults.min_rate),
                retry_base: number("OPTIMUS_RETRY_BASE_MS")
                    .map(Duration::from_millis)
                    .unwrap_or(defaults.retry_base),
                credential_timeout: number("OPTIMUS_CREDENTIAL_TIMEOUT")
                    .filter(|s| *s > 0)
                    .map(Duration::from_secs)
                    .unwrap_or(defaults.credential_timeout),
                object: ObjectEnv {
                    aws_endpoint: nonempty("AWS_ENDPOINT_URL").or(nonempty("AWS_ENDPOINT")),
                    aws_region: nonempty("AWS_REGION"),
                    aws_default_region: nonempty("AWS_DEFAULT_REGION"),
                    google_base_url: nonempty("GOOGLE_BASE_URL"),
                },
                proxy: ProxyEnv::read(),
            },
            link_mode: var("OPTIMUS_LINK_MODE"),
            mirror_dir: nonempty("OPTIMUS_MIRROR_DIR").map(|d| fsutil::absolute(Path::new(&d))),
            publish_settle: Duration::from_secs(
                number("OPTIMUS_PUBLISH_SETTLE_SECS").unwrap_or(15),
            ),
            terminal: TerminalEnv {
                no_progress: std::env::var_os("OPTIMUS_NO_PROGRESS").is_some(),
                no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            },
        }
    }

    /// No overrides, the cache under the temp dir (library callers and tests).
    pub fn bare(cache_dir: PathBuf) -> Environment {
        Environment {
            plugin_dir: None,
            artifacts: Vec::new(),
            max_unpacked_size: None,
            max_entries: None,
            max_ratio: None,
            cache_dir,
            home: None,
            optimus_bin: None,
            path: None,
            net: Net::default(),
            link_mode: None,
            mirror_dir: None,
            publish_settle: Duration::from_secs(15),
            terminal: TerminalEnv::default(),
        }
    }
}
