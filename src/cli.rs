//! The command line (clap). `optimus-plugins <verb>`.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

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

#[derive(Args, Debug, Clone)]
pub struct ConfigArg {
    /// The config file holding the `plugins:` section.
    #[arg(
        short = 'c',
        long = "config",
        default_value = "optimus.yaml",
        value_name = "FILE"
    )]
    pub config: PathBuf,
}

/// A mirror written by `mirror --output`, tried first for every provider it holds.
#[derive(Args, Debug, Clone)]
pub struct MirrorArg {
    /// A directory written by `mirror --output` (also OPTIMUS_MIRROR_DIR): its
    /// <provider>/ copies are tried first, and verified like any mirror.
    #[arg(long = "mirror", value_name = "DIR")]
    pub mirror: Option<PathBuf>,
}

/// Which Optimus: `raystack` (v0.6-rc.9 .. v0.7, the default), `raystack-0.5` or `goto`.
#[derive(Args, Debug, Clone, Default)]
pub struct TargetArg {
    /// The Optimus whose rules apply: raystack (default), raystack-0.5 or goto; overrides
    /// `plugins.target` in the config.
    #[arg(long = "target", value_name = "T")]
    pub target: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Resolve what the lock lacks, update the lock, then fetch, verify and install.
    #[command(
        after_help = "Examples:\n  optimus-plugins install\n  optimus-plugins install -c server.yaml --locked\n  optimus-plugins install --platform linux_arm64 --jobs 16\n  optimus-plugins install --yaml-bundle dist/plugins.zip"
    )]
    Install {
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        flags: InstallFlags,
        /// Target platform (<os>_<arch>), default: this machine's.
        #[arg(long, value_name = "P")]
        platform: Option<String>,
        /// Also write the zip of installed yaml plugins that an Optimus server serves.
        #[arg(long, value_name = "ZIP")]
        yaml_bundle: Option<PathBuf>,
    },
    /// Install yaml plugins only (the client side), from the config or from an Optimus server.
    #[command(
        after_help = "Examples:\n  optimus-plugins sync\n  optimus-plugins sync --host http://optimus.example:9100"
    )]
    Sync {
        #[command(flatten)]
        config: ConfigArg,
        #[command(flatten)]
        flags: InstallFlags,
        /// Fetch the yaml bundle the Optimus server at URL serves at /plugins (default: the
        /// config's `host:`, as Optimus's own `optimus plugin sync` reads it).
        #[arg(long, value_name = "URL")]
        host: Option<String>,
    },
    /// Resolve and write optimus.lock without installing.
    #[command(
        after_help = "Examples:\n  optimus-plugins lock\n  optimus-plugins lock --platform linux_amd64 --platform darwin_arm64"
    )]
    Lock {
        #[command(flatten)]
        config: ConfigArg,
        /// Platforms to lock (repeatable); added to those already locked.
        #[arg(long, value_name = "P")]
        platform: Vec<String>,
        /// Parallel index fetches.
        #[arg(long, short = 'j', value_name = "N", default_value_t = 8)]
        jobs: usize,
        /// Accept a registry whose timestamp.toml has expired (warns: new versions and yanks may be hidden).
        #[arg(long)]
        allow_expired: bool,
    },
    /// Copy everything the lock needs (signed indexes unchanged, artifacts) into a directory
    /// that serves as a mirror without the network: `install --offline --mirror DIR`.
    #[command(
        after_help = "Examples:\n  optimus-plugins mirror --output /media/usb/optimus-mirror\n  optimus-plugins mirror --output mirror --platform linux_amd64\n  optimus-plugins install --offline --mirror mirror"
    )]
    Mirror {
        #[command(flatten)]
        config: ConfigArg,
        /// The directory to write (replaced as a whole once the new copy has been verified).
        #[arg(long, short = 'o', value_name = "DIR")]
        output: PathBuf,
        /// Platforms whose artifacts to copy (repeatable; yaml plugins always); default: every
        /// platform in the lock.
        #[arg(long, value_name = "P")]
        platform: Vec<String>,
        /// Parallel downloads.
        #[arg(long, short = 'j', value_name = "N", default_value_t = 8)]
        jobs: usize,
        /// Accept a registry whose timestamp.toml has expired (warns: new versions and yanks may be hidden).
        #[arg(long)]
        allow_expired: bool,
    },
    /// Re-resolve the named plugins (all if none), ignoring their locked versions, and install.
    #[command(
        after_help = "Examples:\n  optimus-plugins update\n  optimus-plugins update bq2bq\n  optimus-plugins update neo --no-install"
    )]
    Update {
        #[command(flatten)]
        config: ConfigArg,
        /// Plugins to update (default: all declared).
        #[arg(value_name = "NAME")]
        names: Vec<String>,
        /// Only update the lock.
        #[arg(long)]
        no_install: bool,
        /// Refused: `update` re-resolves against the registry index, which --frozen forbids.
        #[arg(long, hide = true)]
        frozen: bool,
        #[command(flatten)]
        link: LinkArg,
        /// Parallel downloads.
        #[arg(long, short = 'j', value_name = "N", default_value_t = 8)]
        jobs: usize,
        /// Accept a registry whose timestamp.toml has expired (warns: new versions and yanks may be hidden).
        #[arg(long)]
        allow_expired: bool,
    },
    /// Show installed plugins and what Optimus would discover.
    #[command(
        after_help = "Statuses: ok, missing, modified, outdated (differs from the lock), unmanaged (not installed by optimus-plugins).\n\nExamples:\n  optimus-plugins list\n  optimus-plugins list --json | jq '.plugins[] | select(.status != \"ok\")'\n  optimus-plugins list --optimus /usr/local/bin/optimus"
    )]
    List {
        #[command(flatten)]
        config: ConfigArg,
        /// Print JSON (schema in docs/cli.md) instead of tables.
        #[arg(long)]
        json: bool,
        /// Platform whose binaries to look for (<os>_<arch>), default: this machine's.
        #[arg(long, value_name = "P")]
        platform: Option<String>,
        #[command(flatten)]
        target: TargetArg,
        /// The Optimus CLI (the Go `optimus`) whose directory Optimus searches (also
        /// OPTIMUS_BIN), default: the first `optimus` on PATH that is not this tool.
        #[arg(long, value_name = "PATH")]
        optimus: Option<PathBuf>,
    },
    /// Re-hash installed plugins against the lock and receipts; exit 1 on any difference.
    #[command(
        after_help = "Exit status: 0 when every installed file matches, 1 when any is modified, missing, extra or outdated,\nwhen an image tag locked for a goto yaml plugin now names another digest (tag moved), or (with\n--deny-yanked) when a locked version is yanked. A yanked locked version is otherwise a warning that\nnames the reason; the registries' indexes are read for it (from the cache with --offline).\n\nExamples:\n  optimus-plugins verify\n  optimus-plugins verify -c server.yaml --platform linux_amd64\n  optimus-plugins verify --offline\n  optimus-plugins verify --deny-yanked"
    )]
    Verify {
        #[command(flatten)]
        config: ConfigArg,
        /// Platform whose installed files to verify, default: this machine's.
        #[arg(long, value_name = "P")]
        platform: Option<String>,
        /// No network: yanks from the indexes in the cache only, image tags not asked (files only).
        #[arg(long)]
        offline: bool,
        /// A locked version that is yanked (or whose index cannot be read) is a failure, not a warning.
        #[arg(long)]
        deny_yanked: bool,
        /// Accept a registry whose timestamp.toml has expired (warns: new versions and yanks may be hidden).
        #[arg(long)]
        allow_expired: bool,
    },
    /// Uninstall plugins and drop them from the lock.
    #[command(
        after_help = "Files optimus-plugins did not install are never touched. Delete the plugin from optimus.yaml too,\nor the next install brings it back.\n\nExamples:\n  optimus-plugins remove neo\n  optimus-plugins remove neo predator"
    )]
    Remove {
        #[command(flatten)]
        config: ConfigArg,
        /// Plugins to remove.
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
    },
    /// Locked version vs newest matching and newest overall.
    #[command(
        after_help = "Examples:\n  optimus-plugins outdated\n  optimus-plugins outdated --json"
    )]
    Outdated {
        #[command(flatten)]
        config: ConfigArg,
        /// Print JSON (schema in docs/cli.md) instead of a table.
        #[arg(long)]
        json: bool,
        /// Accept a registry whose timestamp.toml has expired (warns: new versions and yanks may be hidden).
        #[arg(long)]
        allow_expired: bool,
    },
    /// Check yaml plugins exactly as the target Optimus loads them.
    #[command(
        after_help = "Errors are what the target Optimus refuses (its own message is printed too); warnings are\nadvice on files it loads. Exit status: 1 when any file would be refused.\n\nExamples:\n  optimus-plugins validate\n  optimus-plugins validate -c server.yaml\n  optimus-plugins validate --path ./plugins --target raystack-0.5\n  optimus-plugins validate --path neo.yaml --target goto --jobs ./jobs"
    )]
    Validate {
        /// The config whose `plugins.target` and plugin dir apply (default: optimus.yaml, when
        /// there is one).
        #[arg(short = 'c', long = "config", value_name = "FILE")]
        config: Option<PathBuf>,
        /// A yaml plugin file (any name ending in .yaml), or a directory (default: the
        /// config's plugin dir, else .plugins).
        #[arg(long, value_name = "DIR_OR_FILE")]
        path: Option<PathBuf>,
        #[command(flatten)]
        target: TargetArg,
        /// goto: check each job's `task.version` under DIR against its plugin's plugin_versions.
        #[arg(long, value_name = "DIR")]
        jobs: Option<PathBuf>,
    },
    /// Add a version to a static registry and sign its index.
    #[command(
        after_help = "Examples:\n  optimus-plugins publish --registry ./registry-index --secret-key keys/registry.key \\\n      --type task neo 1.0.0 optimus-plugin-neo.yaml\n  optimus-plugins publish --registry s3://plugins/registry --secret-key k.key \\\n      bq2bq 0.3.2 optimus-bq2bq_linux_amd64.tar.gz darwin_arm64=build/bq2bq-mac.zip"
    )]
    Publish {
        #[command(flatten)]
        registry: RegistryArgs,
        /// Plugin type, required for a new plugin unless a yaml artifact says it.
        #[arg(long = "type", value_name = "task|hook")]
        plugin_type: Option<String>,
        /// One-line description, stored in the index.
        #[arg(long)]
        description: Option<String>,
        /// Plugin name.
        name: String,
        /// Version to publish (semver).
        version: String,
        /// PATH (platform from the file name) or PLATFORM=PATH.
        #[arg(required = true)]
        artifacts: Vec<String>,
        /// Publish binaries without the plugin's yaml (only Optimus before v0.5 loads a binary
        /// plugin alone; later ones refuse to start with one, so publish refuses it by default).
        #[arg(long)]
        binary_only: bool,
        /// The Optimus a yaml artifact must load in (default: any of them).
        #[command(flatten)]
        target: TargetArg,
    },
    /// Mark a published version yanked (or not, with --undo) and re-sign the index.
    #[command(
        after_help = "Clients no longer pick a yanked version; a lock that holds it still installs, and `outdated`,\n`verify` and `install --deny-yanked` report it with the reason.\n\nExamples:\n  optimus-plugins yank --registry ./registry-index --secret-key k.key neo 1.0.0 --reason \"CVE-2024-1234: use 1.0.1\"\n  optimus-plugins yank --registry ./registry-index --secret-key k.key neo 1.0.0 --undo"
    )]
    Yank {
        #[command(flatten)]
        registry: RegistryArgs,
        /// Plugin name.
        name: String,
        /// Version to yank.
        version: String,
        /// Un-yank instead (drops the reason).
        #[arg(long, conflicts_with = "reason")]
        undo: bool,
        /// Why (one line, at most 200 characters), signed into the index and shown to users.
        #[arg(long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Re-sign the registry's timestamp.toml with a new expiry (run it daily from cron).
    #[command(
        after_help = "Clients refuse a registry whose timestamp.toml has expired (a frozen copy could hide new\nversions and yanks), so re-sign it well before --expires-in runs out, e.g. daily from cron:\n  17 3 * * * optimus-plugins refresh --registry s3://plugins/registry --secret-key /etc/optimus/registry.key\n\nExamples:\n  optimus-plugins refresh --registry ./registry-index --secret-key keys/registry.key\n  optimus-plugins refresh --registry s3://plugins/registry --secret-key k.key --expires-in 36h"
    )]
    Refresh {
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Write a minisign key pair PREFIX.key and PREFIX.pub.
    #[command(
        after_help = "Examples:\n  optimus-plugins keygen --output keys/registry\n  REGISTRY_PW=... optimus-plugins keygen --output keys/registry --password-env REGISTRY_PW"
    )]
    Keygen {
        /// Writes PREFIX.key (secret) and PREFIX.pub.
        #[arg(long, value_name = "PREFIX")]
        output: PathBuf,
        /// Encrypt the secret key with the password in this environment variable.
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
        /// Overwrite existing key files.
        #[arg(long)]
        force: bool,
    },
    /// Sign files with a key from `keygen` (FILE.minisig beside each; the release's SHA256SUMS).
    #[command(
        after_help = "The signatures are minisign's, as the registry's: check one with the reference tool,\n  minisign -Vm SHA256SUMS -p release.pub\n\nExamples:\n  optimus-plugins sign --secret-key keys/release.key dist/SHA256SUMS\n  PW=... optimus-plugins sign --secret-key keys/release.key --password-env PW dist/SHA256SUMS"
    )]
    Sign {
        /// minisign secret key file (written by `keygen`, or `minisign -G`).
        #[arg(long, value_name = "K")]
        secret_key: PathBuf,
        /// Environment variable holding the secret key's password.
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
        /// The files to sign.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
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
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

/// The flags `install` and `sync` share.
#[derive(Args, Debug, Clone)]
pub struct InstallFlags {
    /// Fail if the lock does not already satisfy the declarations.
    #[arg(long)]
    pub locked: bool,
    /// Install exactly the lock: never read a registry index (not even to check the lock
    /// against it); fail if the lock lacks a plugin or the platform. Implies --locked.
    #[arg(long)]
    pub frozen: bool,
    /// Use no network: the lock and the cache must hold everything.
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub link: LinkArg,
    /// Parallel downloads.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 8)]
    pub jobs: usize,
    /// Accept a registry whose timestamp.toml has expired (warns: new versions and yanks may be hidden).
    #[arg(long)]
    pub allow_expired: bool,
    /// Fail (exit 1, nothing installed) if a locked version is yanked in its registry; reads
    /// every locked plugin's index, even when all is installed (for CI).
    #[arg(long)]
    pub deny_yanked: bool,
    #[command(flatten)]
    pub target: TargetArg,
    #[command(flatten)]
    pub mirror: MirrorArg,
}

/// `--link-mode` (install, sync, update).
#[derive(Args, Debug, Clone, Default)]
pub struct LinkArg {
    /// How cached files are placed in the plugin dir: hardlink (default), copy or reflink;
    /// overrides OPTIMUS_LINK_MODE and plugins.link_mode. Falls back to a copy, with a warning.
    #[arg(long, value_name = "MODE")]
    pub link_mode: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum CacheCommand {
    /// Print the cache directory (OPTIMUS_CACHE_DIR, else $XDG_CACHE_HOME/optimus, else ~/.cache/optimus).
    Dir,
    /// Print the size of each area of the cache.
    Size,
    /// Remove what no recorded project references, then (--max-size) the least recently used.
    Prune {
        /// After pruning, remove the least recently used entries until the cache is at most
        /// SIZE (500M, 2G, or bytes).
        #[arg(long, value_name = "SIZE")]
        max_size: Option<String>,
        /// Keep only what is cheap to save and restore in CI: drop unpacked files, their
        /// records and parsed-document memos; keep artifacts and index documents.
        #[arg(long)]
        ci: bool,
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove everything, or with NAME what the recorded projects say belongs to that plugin.
    Clean {
        /// A plugin name.
        #[arg(value_name = "NAME")]
        name: Option<String>,
        /// Say what would be removed, remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Args, Debug, Clone)]
pub struct RegistryArgs {
    /// Registry root: a directory, file://, s3://, gs:// or az:// URL.
    #[arg(long, value_name = "R")]
    pub registry: String,
    /// minisign secret key file.
    #[arg(long, value_name = "K")]
    pub secret_key: PathBuf,
    /// Environment variable holding the secret key's password.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Re-sign an existing index not signed by this key (key rotation).
    #[arg(long)]
    pub resign: bool,
    /// How long the registry's re-signed timestamp.toml stays valid (e.g. 36h, 14d).
    #[arg(long, value_name = "DURATION", default_value = crate::registry::timestamp::DEFAULT_EXPIRES_IN)]
    pub expires_in: String,
    /// The address clients use for this registry (recorded in config.toml and shown in the
    /// optimus.yaml snippets of the registry's index.html).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
}
