//! TOML parse errors as the library reports them: the line and column, and the message.

use super::Error;

/// The line and column of a TOML parse error, and its message.
pub fn toml_position(text: &str, e: &toml::de::Error) -> (Option<(usize, usize)>, String) {
    let msg = e.message().to_string();
    let pos = e.span().map(|span| {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let col = before
            .rfind('\n')
            .map(|i| before.len() - i)
            .unwrap_or(before.len() + 1);
        (line, col)
    });
    (pos, msg)
}

/// A TOML parse error of the document `what` as `what:line:col: message` (a document error;
/// the lock reader makes it a lock error).
pub fn toml_error(what: &str, text: &str, e: &toml::de::Error) -> Error {
    toml_error_fixed(what, text, e, "")
}

/// [`toml_error`] with `fix` after the parser's message (`; delete it and ...`).
pub fn toml_error_fixed(what: &str, text: &str, e: &toml::de::Error, fix: &str) -> Error {
    match toml_position(text, e) {
        (Some((line, col)), msg) => {
            Error::document(format!("{what}:{line}:{col}"), format!("{msg}{fix}"))
        }
        (None, msg) => Error::document(what, format!("{msg}{fix}")),
    }
}
