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

/// Query parameters that carry credentials in signed URLs (S3, GCS, Azure SAS), tokens
/// (`private_token`, `access_token`, `jwt`, `session`...), secrets and keys (`client_secret`,
/// `api-key`, Azure Functions' `code`). Words are matched inside names too: a parameter
/// wrongly taken for a secret only goes missing from what is printed and locked.
fn is_secret_param(key: &str) -> bool {
    const WORDS: &[&str] = &[
        "token",
        "secret",
        "passw",
        "signature",
        "credential",
        "session",
        "jwt",
        "apikey",
        "api_key",
        "api-key",
        "accesskey",
        "auth",
    ];
    let k = key.to_ascii_lowercase();
    k.starts_with("x-amz-")
        || k.starts_with("x-goog-")
        || WORDS.iter().any(|w| k.contains(w))
        || matches!(
            k.as_str(),
            "sig"
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
                | "key"
                | "code"
                | "pass"
                | "pwd"
                | "t"
                | "googleaccessid"
                | "expires"
                | "awsaccesskeyid"
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

/// A location as written (maybe a template with `{os}`, maybe not a valid URL yet, maybe a
/// `path:` relative to its provider's URL) made fit for the lockfile and for printing, by text
/// alone so placeholders survive: user-info and credential query parameters removed,
/// registered secrets scrubbed. The one rule for every declared location that is persisted:
/// a relative `path:` keeps no signed query either (it becomes a URL once joined).
pub fn location_text(raw: &str) -> String {
    let (scheme, rest) = match raw.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, raw),
    };
    let (rest, fragment) = match rest.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (rest, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let mut out = match scheme {
        Some(scheme) => {
            let (authority, path) = match rest.find('/') {
                Some(i) => rest.split_at(i),
                None => (rest, ""),
            };
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => rest.to_string(),
    };
    if let Some(q) = query {
        let kept: Vec<&str> = q
            .split('&')
            .filter(|p| !p.is_empty())
            .filter(|p| !is_secret_param(&percent_decode(p.split('=').next().unwrap_or(""))))
            .collect();
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    scrub(&out)
}

/// Characters that reorder the text shown around them (U+202E makes `evil\u{202e}gpj.exe` show
/// as `evilexe.jpg`), and the Unicode line and paragraph separators: escaped when printed, as
/// the C0 controls are, and refused where a publisher writes text (yank reasons).
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// Whether a character is shown escaped: control characters, bidirectional controls and the
/// Unicode line separators.
fn escaped(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Text from an archive or a server made safe to print on one line: control characters
/// (newline, escape, carriage return, ...) and bidirectional controls are shown escaped, so a
/// crafted name cannot draw a fake line, move the cursor or show its characters reordered.
pub fn printable(s: &str) -> String {
    if !s.chars().any(escaped) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if escaped(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A whole message made safe for the terminal: line breaks and tabs kept, every other control
/// character (escape sequences, carriage returns, backspaces) shown escaped. Names inserted
/// into a message go through [`printable`] first, so they cannot break lines either.
pub fn terminal_safe(s: &str) -> String {
    if !s.chars().any(|c| escaped(c) && c != '\n' && c != '\t') {
        return s.to_string();
    }
    s.split('\n')
        .map(|line| {
            line.split('\t')
                .map(printable)
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `%XX` escapes decoded (invalid ones kept as written); the text is read as UTF-8, lossily.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
        // Tokens, secrets and keys under other names (GitLab, Azure Functions, OAuth...).
        assert_eq!(
            url_for_display(
                "https://h.example/a?private_token=P&code=C&client_secret=S&jwt=J&api-key=K&session=X&id_token=I&t=T&pwd=W&pass=Q&accessKey=A&ref=main"
            ),
            "https://h.example/a?ref=main"
        );
    }

    #[test]
    fn location_text_keeps_templates_and_drops_credentials() {
        for (raw, want) in [
            (
                "https://u:p@h.example/x/optimus-a_{os}_{arch}.tar.gz?sv=1&sig=abc&v=2",
                "https://h.example/x/optimus-a_{os}_{arch}.tar.gz?v=2",
            ),
            (
                "https://h.example/a?X-Amz-Credential=k&X-Amz-Signature=s",
                "https://h.example/a",
            ),
            (
                "https://h.example/a?X-Goog-Signature=s#f",
                "https://h.example/a#f",
            ),
            ("https://h.example/a?%73ig=s", "https://h.example/a"),
            (
                "artifacts/x.tar.gz?sv=1&sig=s&X-Amz-Signature=a&X-Goog-Signature=g&token=t&v=2",
                "artifacts/x.tar.gz?v=2",
            ),
            ("neo/${TOKEN}/x.yaml?sig=s", "neo/${TOKEN}/x.yaml"),
            (
                "./local/optimus-a_{os}_{arch}",
                "./local/optimus-a_{os}_{arch}",
            ),
        ] {
            assert_eq!(location_text(raw), want, "{raw}");
        }
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("a\nb\x1b[31m\r"), "a\\nb\\u{1b}[31m\\r");
        assert_eq!(
            terminal_safe("one\ntwo\x1b]0;x\x07"),
            "one\ntwo\\u{1b}]0;x\\u{7}"
        );
        assert_eq!(printable("plain"), "plain");
        assert_eq!(printable("evil\u{202e}gpj.exe"), "evil\\u{202e}gpj.exe");
        assert_eq!(terminal_safe("a\u{2066}b\nc"), "a\\u{2066}b\nc");
    }

    #[test]
    fn scrubs_registered() {
        register("s3cr3t-token");
        assert_eq!(scrub("Bearer s3cr3t-token failed"), "Bearer *** failed");
    }
}
