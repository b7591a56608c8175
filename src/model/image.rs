//! Container image references (`[registry/]repository[:tag][@sha256:digest]`), read as Docker
//! and the OCI distribution reference grammar read them: a first component with a `.` or `:`,
//! or `localhost`, is a registry; otherwise the registry is Docker Hub and a one-component
//! name gets the `library/` prefix.

use crate::error::{Error, Result};
use crate::model::digest::is_sha256_hex;
use crate::model::location;

/// Docker Hub as references name it, and the host its API is served from.
pub const DOCKER_HUB: &str = "docker.io";
pub const DOCKER_HUB_API: &str = "registry-1.docker.io";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// `host[:port]` as written (Docker Hub: `docker.io`).
    pub registry: String,
    /// The repository path inside the registry (`library/alpine`).
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:<hex>` when the reference pins one.
    pub digest: Option<String>,
}

fn bad(text: &str, why: &str) -> Error {
    Error::invalid("bad image reference", format!("{text:?}"), why)
}

fn is_path_component(c: &str) -> bool {
    // [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|x| x.is_ascii_alphanumeric() || matches!(x, b'_' | b'.' | b'-'))
}

fn is_registry(h: &str) -> bool {
    let (host, port) = match h.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || h.starts_with('[') => {
            if host.starts_with('[') || !host.contains(':') {
                (host, Some(port))
            } else {
                (h, None)
            }
        }
        _ => (h, None),
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|x| x.is_ascii_digit()));
    let host_ok = if let Some(v6) = host.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        !v6.is_empty() && v6.bytes().all(|x| x.is_ascii_hexdigit() || x == b':')
    } else {
        !host.is_empty()
            && host.split('.').all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|x| x.is_ascii_alphanumeric() || x == b'-')
            })
    };
    port_ok && host_ok
}

impl ImageRef {
    pub fn parse(text: &str) -> Result<ImageRef> {
        let s = text.trim();
        if s.is_empty() {
            return Err(bad(text, "it is empty"));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((r, d)) => {
                let hex = d
                    .strip_prefix("sha256:")
                    .ok_or_else(|| bad(text, "only sha256 digests are supported after `@`"))?;
                if !is_sha256_hex(hex) {
                    return Err(bad(text, "the digest is not 64 lowercase hex digits"));
                }
                (r, Some(d.to_string()))
            }
            None => (s, None),
        };
        let (name, tag) = match rest.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n, Some(t)),
            _ => (rest, None),
        };
        if let Some(t) = tag {
            if !is_tag(t) {
                return Err(bad(text, &format!("tag {t:?} is not a valid tag")));
            }
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                if !is_registry(first) {
                    return Err(bad(text, &format!("registry {first:?} is not host[:port]")));
                }
                (first.to_string(), path.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        let registry = if registry == "index.docker.io" {
            DOCKER_HUB.to_string()
        } else {
            registry
        };
        if !path.split('/').all(is_path_component) {
            return Err(bad(
                text,
                "the repository must be lowercase letters, digits and separators (`.`, `_`, `-`) between `/`",
            ));
        }
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        if tag.is_none() && digest.is_none() {
            return Err(bad(text, "it names neither a tag nor a digest"));
        }
        Ok(ImageRef {
            registry,
            repository,
            tag: tag.map(String::from),
            digest,
        })
    }

    /// The host serving the registry API.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            DOCKER_HUB_API
        } else {
            &self.registry
        }
    }

    /// Whether the registry is on this machine (then it is spoken to over plain http, as
    /// Docker allows for loopback registries).
    pub fn is_loopback(&self) -> bool {
        let host = match self.registry.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|x| x.is_ascii_digit()) && !h.ends_with(':') => h,
            _ => &self.registry,
        };
        host == "localhost" || host.starts_with("127.") || host == "[::1]"
    }

    /// The registry's API root (`https://host/v2/`; plain http when `plain_http`).
    pub fn api_base(&self, plain_http: bool) -> Result<url::Url> {
        location::http_origin(self.api_host(), !plain_http)?
            .join("/v2/")
            .map_err(|e| Error::invalid("bad registry", &self.registry, e.to_string()))
    }

    /// `/v2/<repository>/manifests/<tag or digest>` under `base`.
    pub fn manifest_url(&self, base: &url::Url) -> Result<url::Url> {
        let r = self
            .digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest");
        base.join(&format!("{}/manifests/{r}", self.repository))
            .map_err(|e| Error::invalid("bad image reference", self.to_string(), e.to_string()))
    }
}

impl std::fmt::Display for ImageRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Whether `s` is `sha256:<64 hex>`.
pub fn is_image_digest(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(is_sha256_hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn p(s: &str) -> (String, String, Option<String>, Option<String>) {
        let r = ImageRef::parse(s).unwrap();
        (r.registry, r.repository, r.tag, r.digest)
    }

    #[test]
    fn references_read_as_docker_reads_them() {
        let t = |s: &str| Some(s.to_string());
        assert_eq!(
            p("alpine:3"),
            ("docker.io".into(), "library/alpine".into(), t("3"), None)
        );
        assert_eq!(
            p("goto/neo:1.0"),
            ("docker.io".into(), "goto/neo".into(), t("1.0"), None)
        );
        assert_eq!(p("index.docker.io/x/y:z").0, "docker.io");
        assert_eq!(
            p("127.0.0.1:5000/a/b:v1.2.3"),
            ("127.0.0.1:5000".into(), "a/b".into(), t("v1.2.3"), None)
        );
        assert_eq!(p("localhost/x:1").0, "localhost");
        assert_eq!(p("ghcr.io/o/n:latest").0, "ghcr.io");
        assert_eq!(p(&format!("ghcr.io/o/n:1@{D}")).3.as_deref(), Some(D));
        assert_eq!(p(&format!("ghcr.io/o/n@{D}")).2, None);
        let r = ImageRef::parse("127.0.0.1:5000/a:1").unwrap();
        assert!(r.is_loopback());
        assert_eq!(
            r.manifest_url(&r.api_base(true).unwrap()).unwrap().as_str(),
            "http://127.0.0.1:5000/v2/a/manifests/1"
        );
        let hub = ImageRef::parse("alpine:3").unwrap();
        assert!(!hub.is_loopback());
        assert_eq!(
            hub.manifest_url(&hub.api_base(false).unwrap())
                .unwrap()
                .as_str(),
            "https://registry-1.docker.io/v2/library/alpine/manifests/3"
        );
        assert_eq!(hub.to_string(), "docker.io/library/alpine:3");
        for bad in [
            "", "Alpine:3", "a:", "a:b/c", "alpine", "a@md5:00", "h:x/y:1", "a//b:1", "a:-x",
            "x/a..b:1",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad}");
        }
    }
}
