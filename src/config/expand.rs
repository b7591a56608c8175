//! `${VAR}` expansion and yaml error messages with file:line:col and "did you mean".

use crate::error::{Error, Result};
use crate::model::names::did_you_mean;
use crate::model::redact;
use std::path::Path;

/// Formats a serde_norway error on the config `text` as `file:line:column: message`, with the
/// fix: a repeated key is reported where it is repeated (serde says where its mapping starts),
/// and a tab in the indentation is called a tab.
pub fn yaml_error(file: &Path, text: &str, e: &serde_norway::Error) -> Error {
    let msg = e.to_string();
    let msg = match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    let msg = suggest_for_unknown_field(&msg);
    let Some(l) = e.location() else {
        return Error::in_config(file, None, msg);
    };
    if let Some(key) = msg
        .split("duplicate field `")
        .nth(1)
        .and_then(|r| r.split('`').next())
    {
        if let Some((first, again)) = super::lines::duplicate_key(text, l.line(), key) {
            return Error::ConfigFile {
                file: file.to_path_buf(),
                line: Some(again),
                entry: None,
                problem: format!(
                    "`{key}` is written twice in one mapping (first on line {first}); keep one"
                ),
            };
        }
    }
    let problem = match super::lines::tab_in_indent(text, l.line()) {
        true => format!(
            "a tab in the indentation ({msg}): yaml indents with spaces only; replace the tab with spaces"
        ),
        false => msg,
    };
    Error::ConfigSyntax {
        file: file.to_path_buf(),
        line: l.line(),
        column: l.column(),
        problem,
    }
}

/// Adds "did you mean `x`?" to serde's "unknown field `y`, expected one of ..." messages.
pub fn suggest_for_unknown_field(msg: &str) -> String {
    let Some(rest) = msg
        .strip_prefix("unknown field `")
        .or_else(|| msg.split("unknown field `").nth(1))
    else {
        return msg.to_string();
    };
    let Some(end) = rest.find('`') else {
        return msg.to_string();
    };
    let unknown = &rest[..end];
    let known = rest.split('`').skip(2).step_by(2);
    format!("{msg}{}", did_you_mean(unknown, known))
}

/// Expands `${VAR}` from the environment; an unset variable is an error naming it and `what`.
/// Expanded values are registered as secrets.
pub fn expand_env(value: &str, what: &str, file: &Path) -> Result<String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| {
            Error::in_config(file, Some(what.into()), "unterminated `${` in value")
        })?;
        let var = &after[..end];
        if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(Error::in_config(
                file,
                Some(what.into()),
                format!("invalid variable name `${{{var}}}`"),
            ));
        }
        let val = std::env::var(var).map_err(|_| {
            Error::in_config(
                file,
                Some(what.into()),
                format!("environment variable {var} is not set"),
            )
        })?;
        redact::register(&val);
        out.push_str(&val);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}
