//! The command line (clap): the two forms (`optimus-plugins VERB`, `optimus plugin VERB`) and
//! their verbs; each verb's flags and arguments in `args.rs`.

mod args;

pub use args::*;
use clap::{Parser, Subcommand};

/// What `--version` prints after the tool's name.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (the Optimus plugin manager)");

/// What the help says first.
pub const ABOUT: &str =
    "The Optimus plugin manager: install, lock, verify and publish Optimus plugins";

/// The day-to-day commands, shown after the top-level help.
pub const A_DAY: &str = "A day with optimus-plugins:\n  optimus-plugins install              # resolve, lock, fetch and install what optimus.yaml declares\n  optimus-plugins list                 # what is installed and what Optimus would load\n  optimus-plugins outdated             # newer versions in the registry\n  optimus-plugins update neo           # take the newest matching version\n  optimus-plugins verify               # re-hash installed files against optimus.lock\n  optimus-plugins validate --path .    # check yaml plugins you write\n\nCommit optimus.yaml and optimus.lock; not .plugins/. The Optimus CLI itself (jobs,\nresources, the server) is the Go program `optimus`.";

/// `optimus-plugins <verb>`: the form under every name but `optimus`.
#[derive(Parser, Debug)]
#[command(name = "optimus-plugins", version = VERSION, about = ABOUT, after_help = A_DAY)]
pub struct Cli {
    /// Print only errors and the summary line.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more detail.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// `optimus plugin <verb>`: the form when invoked as `optimus` (a symlink in an image that
/// carries this tool instead of the Go binary), as the design documents write the commands.
#[derive(Parser, Debug)]
#[command(name = "optimus", version = VERSION, about = ABOUT)]
pub struct AsOptimus {
    /// Print only errors and the summary line.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Print more detail.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Top,
}

impl From<AsOptimus> for Cli {
    fn from(a: AsOptimus) -> Cli {
        let Top::Plugin(command) = a.command;
        Cli {
            quiet: a.quiet,
            verbose: a.verbose,
            command,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Top {
    /// Manage Optimus plugins.
    #[command(subcommand, after_help = A_DAY)]
    Plugin(Command),
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Resolve what the lock lacks, update the lock, then fetch, verify and install.
    #[command(
        after_help = "Examples:\n  optimus-plugins install\n  optimus-plugins install -c server.yaml --locked\n  optimus-plugins install --platform linux_arm64 --jobs 16\n  optimus-plugins install --yaml-bundle dist/plugins.zip"
    )]
    Install(InstallArgs),
    /// Install yaml plugins only (the client side), from the config or from an Optimus server.
    #[command(
        after_help = "Examples:\n  optimus-plugins sync\n  optimus-plugins sync --host http://optimus.example:9100"
    )]
    Sync(SyncArgs),
    /// Resolve and write optimus.lock without installing.
    #[command(
        after_help = "Examples:\n  optimus-plugins lock\n  optimus-plugins lock --platform linux_amd64 --platform darwin_arm64"
    )]
    Lock(LockArgs),
    /// Copy everything the lock needs (signed indexes unchanged, artifacts) into a directory
    /// that serves as a mirror without the network: `install --offline --mirror DIR`.
    #[command(
        after_help = "Examples:\n  optimus-plugins mirror --output /media/usb/optimus-mirror\n  optimus-plugins mirror --output mirror --platform linux_amd64\n  optimus-plugins install --offline --mirror mirror"
    )]
    Mirror(MirrorArgs),
    /// Re-resolve the named plugins (all if none), ignoring their locked versions, and install.
    #[command(
        after_help = "Examples:\n  optimus-plugins update\n  optimus-plugins update bq2bq\n  optimus-plugins update neo --no-install"
    )]
    Update(UpdateArgs),
    /// Show installed plugins and what Optimus would discover.
    #[command(
        after_help = "Statuses: ok, missing, modified, outdated (differs from the lock), unmanaged (not installed by optimus-plugins).\n\nExamples:\n  optimus-plugins list\n  optimus-plugins list --json | jq '.plugins[] | select(.status != \"ok\")'\n  optimus-plugins list --optimus /usr/local/bin/optimus"
    )]
    List(ListArgs),
    /// Re-hash installed plugins against the lock and receipts; exit 1 on any difference.
    #[command(
        after_help = "Exit status: 0 when every installed file matches, 1 when any is modified, missing, extra or outdated,\nwhen an image tag locked for a goto yaml plugin now names another digest (tag moved), or (with\n--deny-yanked) when a locked version is yanked. A yanked locked version is otherwise a warning that\nnames the reason; the registries' indexes are read for it (from the cache with --offline).\n\nExamples:\n  optimus-plugins verify\n  optimus-plugins verify -c server.yaml --platform linux_amd64\n  optimus-plugins verify --offline\n  optimus-plugins verify --deny-yanked"
    )]
    Verify(VerifyArgs),
    /// Uninstall plugins and drop them from the lock.
    #[command(
        after_help = "Files optimus-plugins did not install are never touched. Delete the plugin from optimus.yaml too,\nor the next install brings it back.\n\nExamples:\n  optimus-plugins remove neo\n  optimus-plugins remove neo predator"
    )]
    Remove(RemoveArgs),
    /// Locked version vs newest matching and newest overall.
    #[command(
        after_help = "Examples:\n  optimus-plugins outdated\n  optimus-plugins outdated --json"
    )]
    Outdated(OutdatedArgs),
    /// Check yaml plugins exactly as the target Optimus loads them.
    #[command(
        after_help = "Errors are what the target Optimus refuses (its own message is printed too); warnings are\nadvice on files it loads. Exit status: 1 when any file would be refused.\n\nExamples:\n  optimus-plugins validate\n  optimus-plugins validate -c server.yaml\n  optimus-plugins validate --path ./plugins --target raystack-0.5\n  optimus-plugins validate --path neo.yaml --target goto --jobs ./jobs"
    )]
    Validate(ValidateArgs),
    /// Add a version to a static registry and sign its index.
    #[command(
        after_help = "Examples:\n  optimus-plugins publish --registry ./registry-index --secret-key keys/registry.key \\\n      --type task neo 1.0.0 optimus-plugin-neo.yaml\n  optimus-plugins publish --registry s3://plugins/registry --secret-key k.key \\\n      bq2bq 0.3.2 optimus-bq2bq_linux_amd64.tar.gz darwin_arm64=build/bq2bq-mac.zip"
    )]
    Publish(PublishArgs),
    /// Mark a published version yanked (or not, with --undo) and re-sign the index.
    #[command(
        after_help = "Clients no longer pick a yanked version; a lock that holds it still installs, and `outdated`,\n`verify` and `install --deny-yanked` report it with the reason.\n\nExamples:\n  optimus-plugins yank --registry ./registry-index --secret-key k.key neo 1.0.0 --reason \"CVE-2024-1234: use 1.0.1\"\n  optimus-plugins yank --registry ./registry-index --secret-key k.key neo 1.0.0 --undo"
    )]
    Yank(YankArgs),
    /// Re-sign the registry's timestamp.toml with a new expiry (run it daily from cron).
    #[command(
        after_help = "Clients refuse a registry whose timestamp.toml has expired (a frozen copy could hide new\nversions and yanks), so re-sign it well before --expires-in runs out, e.g. daily from cron:\n  17 3 * * * optimus-plugins refresh --registry s3://plugins/registry --secret-key /etc/optimus/registry.key\n\nExamples:\n  optimus-plugins refresh --registry ./registry-index --secret-key keys/registry.key\n  optimus-plugins refresh --registry s3://plugins/registry --secret-key k.key --expires-in 36h"
    )]
    Refresh(RefreshArgs),
    /// Write a minisign key pair PREFIX.key and PREFIX.pub.
    #[command(
        after_help = "Examples:\n  optimus-plugins keygen --output keys/registry\n  REGISTRY_PW=... optimus-plugins keygen --output keys/registry --password-env REGISTRY_PW"
    )]
    Keygen(KeygenArgs),
    /// Sign files with a key from `keygen` (FILE.minisig beside each; the release's SHA256SUMS).
    #[command(
        after_help = "The signatures are minisign's, as the registry's: check one with the reference tool,\n  minisign -Vm SHA256SUMS -p release.pub\n\nExamples:\n  optimus-plugins sign --secret-key keys/release.key dist/SHA256SUMS\n  PW=... optimus-plugins sign --secret-key keys/release.key --password-env PW dist/SHA256SUMS"
    )]
    Sign(SignArgs),
    /// Show, measure and trim the machine-wide cache (artifacts, unpacked files, indexes).
    #[command(
        subcommand,
        after_help = "Examples:\n  optimus-plugins cache dir\n  optimus-plugins cache size\n  optimus-plugins cache prune                  # what no recorded project's lock or install uses\n  optimus-plugins cache prune --max-size 2G    # then the least recently used, until it fits\n  optimus-plugins cache prune --ci             # before saving a CI cache: keep artifacts only\n  optimus-plugins cache clean bq2bq"
    )]
    Cache(CacheCommand),
    /// Print shell completions for the name this was invoked under (to stdout; writes no file).
    #[command(
        after_help = "Examples:\n  optimus-plugins completions bash > ~/.local/share/bash-completion/completions/optimus-plugins\n  optimus-plugins completions zsh > \"${fpath[1]}/_optimus-plugins\"\n  optimus-plugins completions fish > ~/.config/fish/completions/optimus-plugins.fish\n\n(Optimus's own completions, `optimus completion SHELL`, are another file: do not write over it.)"
    )]
    Completions(CompletionsArgs),
}
