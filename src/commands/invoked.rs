//! The name the program was invoked under decides the form of its command line:
//!
//! - `optimus` (a symlink in an image that carries this tool instead of the Go binary):
//!   `optimus plugin VERB`, as the design documents write it ([`crate::cli::AsOptimus`]);
//! - run by Optimus as the extension `plugins` (`optimus plugins VERB`): Optimus executes
//!   `~/.optimus/extensions/github.com/OWNER/optimus-extension-plugins/TAG` with the words
//!   after `plugins`, so the verbs come first, as under any other name;
//! - any other name (`optimus-plugins`): `optimus-plugins VERB` ([`crate::cli::Cli`]).
//!
//! Help, usage and the commands quoted in messages are shown in the invoked form.

use crate::cli::{AsOptimus, Cli};
use clap::{CommandFactory, FromArgMatches};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Form {
    /// `NAME VERB`.
    Direct(String),
    /// `optimus plugin VERB`.
    Optimus,
    /// `optimus COMMAND VERB`, run by Optimus as an extension.
    Extension(String),
}

impl Form {
    /// The form for the program path `argv0` (argv[0] as the caller passed it).
    pub fn of(argv0: &Path) -> Form {
        let name = argv0
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let name = name
            .strip_suffix(".exe")
            .or_else(|| name.strip_suffix(".EXE"))
            .unwrap_or(&name)
            .to_string();
        // Optimus installs a release asset as <ExtensionDir>/github.com/OWNER/REPO/TAG and
        // names the command after REPO without `optimus-extension-`, lower-cased
        // (client/extension/provider/github/parse.go).
        let repo = argv0
            .parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if let Some(cmd) = repo.strip_prefix("optimus-extension-") {
            return Form::Extension(cmd.to_string());
        }
        match name.as_str() {
            "optimus" => Form::Optimus,
            "" => Form::Direct("optimus-plugins".into()),
            _ => Form::Direct(name),
        }
    }

    /// How a command is typed in this form, before the verb: `optimus-plugins`,
    /// `optimus plugin`, `optimus plugins`.
    pub fn prefix(&self) -> String {
        match self {
            Form::Direct(name) => name.clone(),
            Form::Optimus => "optimus plugin".into(),
            Form::Extension(cmd) => format!("optimus {cmd}"),
        }
    }

    /// The clap command of this form, its usage and examples in this form.
    pub fn command(&self) -> clap::Command {
        match self {
            // `--version` names the tool, whatever the name it was invoked under.
            Form::Optimus => {
                retell(AsOptimus::command(), &self.prefix()).display_name("optimus-plugins")
            }
            _ => retell(Cli::command(), &self.prefix()).bin_name(self.prefix()),
        }
    }

    /// The name completions are generated for: the one command a shell can complete. Run as
    /// an extension that is `optimus`, which the Go program completes itself, so the
    /// completions are this tool's own (`optimus-plugins`).
    pub fn completion_name(&self) -> String {
        match self {
            Form::Direct(name) => name.clone(),
            Form::Optimus => "optimus".into(),
            Form::Extension(_) => "optimus-plugins".into(),
        }
    }
}

/// The examples (written `optimus-plugins VERB`) of `cmd` and its subcommands in the form
/// `prefix VERB`.
fn retell(cmd: clap::Command, prefix: &str) -> clap::Command {
    if prefix == "optimus-plugins" {
        return cmd;
    }
    let cmd = match cmd.get_after_help().map(|h| h.to_string()) {
        Some(h) => cmd.after_help(h.replace("optimus-plugins ", &format!("{prefix} "))),
        None => cmd,
    };
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    names
        .iter()
        .fold(cmd, |cmd, n| cmd.mut_subcommand(n, |s| retell(s, prefix)))
}

/// Parses the command line in the form `argv[0]` asks for. On a usage error it prints clap's
/// message (with, for an unknown top-level command, where the Optimus CLI is) and exits 2;
/// `--help` and `--version` print and exit 0.
pub fn parse() -> (Cli, Form) {
    let args: Vec<OsString> = std::env::args_os().collect();
    let form = Form::of(Path::new(
        args.first().map(|a| a.as_os_str()).unwrap_or_default(),
    ));
    let matches = form.command().try_get_matches_from(&args);
    let parsed = matches.and_then(|m| match form {
        Form::Optimus => AsOptimus::from_arg_matches(&m).map(Cli::from),
        _ => Cli::from_arg_matches(&m),
    });
    match parsed {
        Ok(cli) => (cli, form),
        Err(e) => {
            if let Some(word) = unknown_top_level(&e, &args) {
                let _ = e.print();
                eprintln!("\n{}", not_optimus_note(&form, &word));
                std::process::exit(2);
            }
            e.exit()
        }
    }
}

/// The word, when `e` is an unknown command in the first place of the command line (`job`,
/// `deploy`, `plugin` under a name that takes verbs).
fn unknown_top_level(e: &clap::Error, args: &[OsString]) -> Option<String> {
    if e.kind() != clap::error::ErrorKind::InvalidSubcommand {
        return None;
    }
    let word = match e.get(clap::error::ContextKind::InvalidSubcommand)? {
        clap::error::ContextValue::String(s) => s.clone(),
        _ => return None,
    };
    let first = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy())
        .find(|a| !a.starts_with('-'))?;
    (first == word).then_some(word)
}

/// What to say after clap's "unrecognized subcommand": this is the plugin manager, and the
/// Optimus CLI is elsewhere.
fn not_optimus_note(form: &Form, word: &str) -> String {
    if word == "plugin" && *form != Form::Optimus {
        let p = form.prefix();
        return format!(
            "note: {p} takes the verbs directly, without `plugin`: `{p} install -c optimus.yaml`"
        );
    }
    let me = match form {
        Form::Optimus => {
            "this `optimus` is optimus-plugins, the Optimus plugin manager (`optimus plugin VERB`)"
                .to_string()
        }
        Form::Direct(name) if name == "optimus-plugins" => {
            "this is optimus-plugins, the Optimus plugin manager".to_string()
        }
        _ => format!(
            "`{}` is optimus-plugins, the Optimus plugin manager",
            form.prefix()
        ),
    };
    let this = std::env::current_exe().ok();
    match real_optimus(this.as_deref()) {
        Some(p) => format!(
            "note: {me}; `{word}` is a command of the Optimus CLI, which is {}: run `{} {word} ...`",
            p.display(),
            p.display()
        ),
        None => format!(
            "note: {me}; `{word}` is a command of the Optimus CLI (the Go program `optimus`), and no other `optimus` is on PATH: install it (https://github.com/raystack/optimus) or put it on PATH"
        ),
    }
}

/// The first `optimus` on PATH that is not this executable (followed through symlinks).
fn real_optimus(this: Option<&Path>) -> Option<PathBuf> {
    let this = this.and_then(|p| p.canonicalize().ok());
    let path = std::env::var_os("PATH")?;
    let exe = if cfg!(windows) {
        "optimus.exe"
    } else {
        "optimus"
    };
    std::env::split_paths(&path)
        .map(|d| d.join(exe))
        .find(|p| is_executable(p) && p.canonicalize().ok() != this)
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_follows_the_invoked_name() {
        let f = |p: &str| Form::of(Path::new(p));
        assert_eq!(
            f("/usr/local/bin/optimus-plugins"),
            Form::Direct("optimus-plugins".into())
        );
        assert_eq!(
            f("target/debug/optimus-plugins"),
            Form::Direct("optimus-plugins".into())
        );
        assert_eq!(f("opm"), Form::Direct("opm".into()));
        assert_eq!(f("/usr/bin/optimus"), Form::Optimus);
        assert_eq!(f("optimus.exe"), Form::Optimus);
        assert_eq!(
            f("/home/u/.optimus/extensions/github.com/acme/optimus-extension-plugins/v0.1.0"),
            Form::Extension("plugins".into())
        );
        assert_eq!(
            f("/home/u/.optimus/extensions/github.com/acme/Optimus-Extension-Plugins/v0.1.0"),
            Form::Extension("plugins".into())
        );
        assert_eq!(Form::Optimus.prefix(), "optimus plugin");
        assert_eq!(
            Form::Extension("plugins".into()).prefix(),
            "optimus plugins"
        );
    }

    #[test]
    fn examples_are_told_in_the_invoked_form() {
        let cmd = Form::Optimus.command();
        let install = cmd
            .find_subcommand("plugin")
            .and_then(|p| p.find_subcommand("install"))
            .unwrap();
        let help = install.get_after_help().unwrap().to_string();
        assert!(
            help.contains("  optimus plugin install -c server.yaml"),
            "{help}"
        );
        let cmd = Form::Direct("optimus-plugins".into()).command();
        let help = cmd
            .find_subcommand("install")
            .unwrap()
            .get_after_help()
            .unwrap()
            .to_string();
        assert!(
            help.contains("  optimus-plugins install -c server.yaml"),
            "{help}"
        );
    }
}
