//! Typed addresses, parsed once: a local path or a URL (`http(s)://`, `s3://`, `gs://`,
//! `az://`). Printing a [`Location`] never shows credentials: user-info and signed query
//! parameters are removed by [`Display`]; the raw form is reached only through
//! [`Location::expose`], for the code that sends the request.

use crate::error::{Error, Result};
use crate::model::{fsutil, redact};
use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    Path(PathBuf),
    Url(url::Url),
}

/// Whether text names a URL rather than a path: the one place that decides it.
pub fn is_url(s: &str) -> bool {
    s.contains("://")
}

/// Whether text is an `http://` or `https://` URL (one a browser may follow as a link).
pub fn is_web_url(s: &str) -> bool {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

impl Location {
    /// Parses a location as written in a config or on the command line: a URL, a `file://`
    /// URL or a path (relative to `dir`, made absolute).
    pub fn parse(s: &str, dir: &Path) -> Result<Location> {
        if let Some(p) = s.strip_prefix("file://") {
            return Ok(Location::Path(fsutil::absolute(&dir.join(p))));
        }
        if is_url(s) {
            return url::Url::parse(s)
                .map(Location::Url)
                .map_err(|e| Error::invalid("bad URL", redact::url_for_display(s), e.to_string()));
        }
        Ok(Location::Path(fsutil::absolute(&dir.join(s))))
    }

    /// `rel` under this location: a path joined to a directory, or appended to a URL's path
    /// with one `/`. An absolute URL in `rel` stands for itself.
    pub fn join(&self, rel: &str) -> Result<Location> {
        if is_url(rel) {
            return Location::parse(rel, Path::new("/"));
        }
        match self {
            Location::Path(p) => Ok(Location::Path(p.join(rel))),
            Location::Url(u) => {
                // `rel` goes onto the path; a query on the root (a signed or token query that
                // every document needs) is kept, and `rel`'s own query added to it.
                let (rel_path, rel_query) = match rel.split_once('?') {
                    Some((p, q)) => (p, Some(q)),
                    None => (rel, None),
                };
                let mut root = u.clone();
                root.set_query(None);
                root.set_fragment(None);
                let joined = format!("{}/{}", root.as_str().trim_end_matches('/'), rel_path);
                let mut out = url::Url::parse(&joined).map_err(|e| {
                    Error::invalid("bad URL", redact::url_for_display(&joined), e.to_string())
                })?;
                let query: Vec<&str> = [u.query(), rel_query]
                    .into_iter()
                    .flatten()
                    .filter(|q| !q.is_empty())
                    .collect();
                if !query.is_empty() {
                    out.set_query(Some(&query.join("&")));
                }
                Ok(Location::Url(out))
            }
        }
    }

    /// An artifact URL as a registry's index gives it, under this registry root. A relative
    /// URL is checked after percent-decoding (`%2e%2e` is `..` to a URL parser) and must stay
    /// inside the root; an absolute one from a remote registry must be http(s) or the
    /// registry's own object store, never `file://` or a local path.
    pub fn join_from_index(&self, rel: &str) -> Result<Location> {
        let refuse = |why: &str| {
            Err(Error::document(
                format!("registry {self}"),
                format!("artifact url {} {why}", redact::location_text(rel)),
            ))
        };
        if !is_url(rel) {
            let decoded = redact::percent_decode(rel);
            if !fsutil::is_safe_relative_path(&decoded) {
                return refuse("leaves the registry root");
            }
            let joined = self.join(rel)?;
            return match (&joined, self) {
                (Location::Url(j), Location::Url(b))
                    if !j.path().starts_with(b.path().trim_end_matches('/')) =>
                {
                    refuse("leaves the registry root")
                }
                _ => Ok(joined),
            };
        }
        let joined = self.join(rel)?;
        match (self, &joined) {
            (Location::Url(_), Location::Path(_)) => {
                refuse("points at a local file, which a remote registry may not name")
            }
            (Location::Url(b), Location::Url(j))
                if !matches!(j.scheme(), "http" | "https")
                    && (j.scheme() != b.scheme() || j.host_str() != b.host_str()) =>
            {
                refuse("is neither http(s) nor in the registry's own object store")
            }
            _ => Ok(joined),
        }
    }

    /// What follows `base` in this location (`None` when it does not start with it): the same
    /// file under a mirror of `base` is `mirror.join(rest)`.
    pub fn strip_base(&self, base: &Location) -> Option<String> {
        if let (Location::Url(me), Location::Url(b)) = (self, base) {
            // The root's query (which [`Location::join`] puts on every document) and user-info
            // are not part of the relative path (the lock holds neither); a document's own
            // query is kept.
            let bare = |u: &url::Url| {
                let mut u = u.clone();
                u.set_query(None);
                u.set_fragment(None);
                let _ = u.set_username("");
                let _ = u.set_password(None);
                u.to_string()
            };
            let rest = bare(me)
                .strip_prefix(bare(b).trim_end_matches('/'))?
                .trim_start_matches('/')
                .to_string();
            // The document's own parameters: those the root does not carry (a locked URL has
            // the root's secret parameters scrubbed, and its plain ones still in it).
            let root: Vec<&str> = b.query().unwrap_or("").split('&').collect();
            let own: Vec<&str> = me
                .query()
                .unwrap_or("")
                .split('&')
                .filter(|p| !p.is_empty() && !root.contains(p))
                .collect();
            return Some(match own.is_empty() {
                true => rest,
                false => format!("{rest}?{}", own.join("&")),
            });
        }
        let (me, base) = (self.expose(), base.expose());
        me.strip_prefix(base.trim_end_matches('/'))
            .map(|r| r.trim_start_matches('/').to_string())
    }

    /// The last segment of the path (a URL's query never counts).
    pub fn file_name(&self) -> String {
        match self {
            Location::Path(p) => p
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            Location::Url(u) => u
                .path_segments()
                .and_then(|mut s| s.next_back())
                .unwrap_or("")
                .to_string(),
        }
    }

    pub fn is_remote(&self) -> bool {
        matches!(self, Location::Url(_))
    }

    /// The raw text, credentials included: only for building a request.
    pub fn expose(&self) -> String {
        match self {
            Location::Path(p) => p.to_string_lossy().into_owned(),
            Location::Url(u) => u.as_str().to_string(),
        }
    }

    /// The location as the key of what this machine keeps about it (a registry's rollback
    /// state, cached documents): no user-info, query or fragment, and no trailing `/`. The one
    /// rule for state files named after a URL: rotating a password or a signed query keeps the
    /// key, and no credential becomes (the hash that is) a file name.
    pub fn identity(&self) -> String {
        match self {
            Location::Path(p) => p.to_string_lossy().trim_end_matches('/').to_string(),
            Location::Url(u) => {
                let mut u = u.clone();
                let _ = u.set_username("");
                let _ = u.set_password(None);
                u.set_query(None);
                u.set_fragment(None);
                u.as_str().trim_end_matches('/').to_string()
            }
        }
    }

    /// The form written to the lock and receipts: a path relative to `config_dir` when inside
    /// it (or its parent), a URL without credentials.
    pub fn portable(&self, config_dir: &Path) -> String {
        match self {
            Location::Path(p) => fsutil::relative_to(p, config_dir),
            Location::Url(u) => redact::url_for_display(u.as_str()),
        }
    }

    /// The inverse of [`Location::portable`].
    pub fn from_portable(s: &str, config_dir: &Path) -> Result<Location> {
        if is_url(s) {
            return Location::parse(s, config_dir);
        }
        Ok(Location::Path(fsutil::normalize(&config_dir.join(s))))
    }
}

/// The http(s) origin of `host[:port]` (`https://host/`, plain `http` when not `secure`): the
/// root of a container registry's API.
pub fn http_origin(host: &str, secure: bool) -> Result<url::Url> {
    let scheme = if secure { "https" } else { "http" };
    let text = format!("{scheme}://{host}/");
    url::Url::parse(&text)
        .ok()
        .filter(|u| u.path() == "/" && u.username().is_empty() && u.query().is_none())
        .ok_or_else(|| Error::invalid("bad registry host", format!("{host:?}"), ""))
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Path(p) => write!(f, "{}", p.display()),
            Location::Url(u) => f.write_str(&redact::url_for_display(u.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_join_portable() {
        let dir = Path::new("/p");
        let l = Location::parse("./reg", dir).unwrap();
        assert_eq!(l, Location::Path("/p/reg".into()));
        assert_eq!(
            l.join("index/x.toml").unwrap().portable(dir),
            "reg/index/x.toml"
        );
        assert_eq!(
            Location::parse("file:///abs/r", dir).unwrap(),
            Location::Path("/abs/r".into())
        );
        let u = Location::parse("https://u:secret@h.example/r/", dir).unwrap();
        let j = u.join("index/x.toml").unwrap();
        assert_eq!(j.expose(), "https://u:secret@h.example/r/index/x.toml");
        assert_eq!(j.to_string(), "https://h.example/r/index/x.toml");
        assert_eq!(j.portable(dir), "https://h.example/r/index/x.toml");
        assert_eq!(j.strip_base(&u).as_deref(), Some("index/x.toml"));
        // A root with a query (a token every document needs): kept on each document, not
        // taken into its path.
        let q = Location::parse("https://h.example/r/?token=aaa", dir).unwrap();
        let jq = q.join("timestamp.toml").unwrap();
        assert_eq!(jq.expose(), "https://h.example/r/timestamp.toml?token=aaa");
        assert_eq!(jq.strip_base(&q).as_deref(), Some("timestamp.toml"));
        let own = q.join("a/x.yaml?v=2").unwrap();
        assert_eq!(own.expose(), "https://h.example/r/a/x.yaml?token=aaa&v=2");
        assert_eq!(own.strip_base(&q).as_deref(), Some("a/x.yaml?v=2"));
        // As a lock holds it: the root's secret scrubbed, its plain parameter kept.
        let mixed = Location::parse("https://h.example/r/?token=aaa&ref=main", dir).unwrap();
        let locked = Location::parse("https://h.example/r/a/x.yaml?ref=main", dir).unwrap();
        let rest = locked.strip_base(&mixed).unwrap();
        assert_eq!(rest, "a/x.yaml");
        assert_eq!(
            mixed.join(&rest).unwrap().expose(),
            "https://h.example/r/a/x.yaml?token=aaa&ref=main"
        );
        let rotated = Location::parse("https://u:other@h.example/r?sig=1", dir).unwrap();
        assert_eq!(u.identity(), "https://h.example/r");
        assert_eq!(rotated.identity(), u.identity());
        let s3 = Location::parse("s3://bucket/pre", dir).unwrap();
        assert_eq!(s3.join("a/b").unwrap().expose(), "s3://bucket/pre/a/b");
        assert_eq!(
            Location::from_portable("reg/a", dir).unwrap(),
            Location::Path("/p/reg/a".into())
        );
        assert!(Location::parse("http://[bad", dir).is_err());
    }

    #[test]
    fn index_urls_stay_in_their_place() {
        let dir = Path::new("/p");
        let https = Location::parse("https://h.example/reg", dir).unwrap();
        let s3 = Location::parse("s3://bucket/reg", dir).unwrap();
        let local = Location::parse("./reg", dir).unwrap();
        for (base, rel, ok) in [
            (&https, "artifacts/a/1/x.tar.gz", true),
            (&https, "https://cdn.example/x.tar.gz", true),
            (&https, "file:///etc/passwd", false),
            (&https, "artifacts/%2e%2e/%2e%2e/x", false),
            (&https, "artifacts/%2E%2E/x", false),
            (&https, "s3://bucket/x", false),
            (&s3, "s3://bucket/reg/x", true),
            (&s3, "s3://other/x", false),
            (&s3, "file:///x", false),
            (&local, "file:///x", true),
            (&local, "artifacts/%2e%2e/x", false),
        ] {
            assert_eq!(base.join_from_index(rel).is_ok(), ok, "{base} + {rel}");
        }
    }
}
