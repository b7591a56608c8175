//! Keeps secrets out of everything the program prints.
//!
//! Values expanded from `${VAR}` in provider fields and every header value are registered here;
//! every message leaving the program goes through [`scrub`]. URLs have their user-info and
//! signed query strings removed by [`url_for_display`].

use std::sync::{Mutex, OnceLock};

fn secrets() -> &'static Mutex<Vec<String>> {
    static S: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    S.get_or_init(|| Mutex::new(Vec::new()))
}

/// Registers a secret value (ignores short values that would scrub ordinary words).
pub fn register(secret: &str) {
    let secret = secret.trim();
    if secret.len() < 4 {
        return;
    }
    let mut s = secrets().lock().unwrap_or_else(|e| e.into_inner());
    if !s.iter().any(|x| x == secret) {
        s.push(secret.to_string());
        // Longest first so a secret containing another is replaced whole.
        s.sort_by_key(|x| std::cmp::Reverse(x.len()));
    }
}

/// Replaces every registered secret in `text` with `***`.
pub fn scrub(text: &str) -> String {
    let s = secrets().lock().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for secret in s.iter() {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "***");
        }
    }
    out
}

/// Query parameters that carry credentials in signed URLs (S3, GCS, Azure SAS) or tokens.
fn is_secret_param(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("x-amz-")
        || k.starts_with("x-goog-")
        || matches!(
            k.as_str(),
            "sig"
                | "signature"
                | "se"
                | "sp"
                | "sv"
                | "st"
                | "spr"
                | "srt"
                | "ss"
                | "sr"
                | "skoid"
                | "sktid"
                | "token"
                | "access_token"
                | "api_key"
                | "apikey"
                | "key"
                | "password"
                | "googleaccessid"
                | "expires"
                | "awsaccesskeyid"
                | "auth"
        )
}

/// A URL fit for printing and for the lockfile: no user-info, no credential query parameters.
pub fn url_for_display(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.has_host() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            if u.query().is_some() {
                let kept: Vec<(String, String)> = u
                    .query_pairs()
                    .filter(|(k, _)| !is_secret_param(k))
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                if kept.is_empty() {
                    u.set_query(None);
                } else {
                    u.query_pairs_mut().clear().extend_pairs(kept);
                }
            }
            scrub(u.as_str())
        }
        _ => scrub(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_credentials_from_urls() {
        assert_eq!(
            url_for_display("https://u:p@h.example/a?X-Amz-Signature=abc&v=1"),
            "https://h.example/a?v=1"
        );
        assert_eq!(
            url_for_display("https://h.example/a?sig=x"),
            "https://h.example/a"
        );
    }

    #[test]
    fn scrubs_registered() {
        register("s3cr3t-token");
        assert_eq!(scrub("Bearer s3cr3t-token failed"), "Bearer *** failed");
    }
}
