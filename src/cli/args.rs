//! Each command's flags and arguments (the groups several commands share first).

use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct ConfigArg {
    /// The config file holding the `plugins:` section.
    #[arg(
        short = 'c',
        long = "config",
        default_value = crate::config::DEFAULT_CONFIG,
        value_name = "FILE"
    )]
    pub config: PathBuf,
}

/// A mirror written by `mirror --output`, tried first for every provider it holds.
#[derive(Args, Debug, Clone)]
pub struct MirrorDirArg {
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

/// `install`.
#[derive(Args, Debug)]
pub struct InstallArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub flags: InstallFlags,
    /// Target platform (<os>_<arch>), default: this machine's.
    #[arg(long, value_name = "P")]
    pub platform: Option<String>,
    /// Also write the zip of installed yaml plugins that an Optimus server serves.
    #[arg(long, value_name = "ZIP")]
    pub yaml_bundle: Option<PathBuf>,
}

/// `sync`.
#[derive(Args, Debug)]
pub struct SyncArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    #[command(flatten)]
    pub flags: InstallFlags,
    /// Fetch the yaml bundle the Optimus server at URL serves at /plugins (default: the
    /// config's `host:`, as Optimus's own `optimus plugin sync` reads it).
    #[arg(long, value_name = "URL")]
    pub host: Option<String>,
}

/// `lock`.
#[derive(Args, Debug)]
pub struct LockArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Platforms to lock (repeatable); added to those already locked.
    #[arg(long, value_name = "P")]
    pub platform: Vec<String>,
    /// Parallel index fetches.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 8)]
    pub jobs: usize,
    /// Accept a registry whose timestamp.toml has expired (warns: new versions and yanks may be hidden).
    #[arg(long)]
    pub allow_expired: bool,
}

/// `mirror`.
#[derive(Args, Debug)]
pub struct MirrorArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The directory to write (replaced as a whole once the new copy has been verified).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: PathBuf,
    /// Platforms whose artifacts to copy (repeatable; yaml plugins always); default: every
    /// platform in the lock.
    #[arg(long, value_name = "P")]
    pub platform: Vec<String>,
    /// Parallel downloads.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 8)]
    pub jobs: usize,
    /// Accept a registry whose timestamp.toml has expired (warns: new versions and yanks may be hidden).
    #[arg(long)]
    pub allow_expired: bool,
}

/// `update`.
#[derive(Args, Debug)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Plugins to update (default: all declared).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Only update the lock.
    #[arg(long)]
    pub no_install: bool,
    /// Refused: `update` re-resolves against the registry index, which --frozen forbids.
    #[arg(long, hide = true)]
    pub frozen: bool,
    #[command(flatten)]
    pub link: LinkArg,
    /// Parallel downloads.
    #[arg(long, short = 'j', value_name = "N", default_value_t = 8)]
    pub jobs: usize,
    /// Accept a registry whose timestamp.toml has expired (warns: new versions and yanks may be hidden).
    #[arg(long)]
    pub allow_expired: bool,
}

/// `list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Print JSON (schema in docs/cli.md) instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Platform whose binaries to look for (<os>_<arch>), default: this machine's.
    #[arg(long, value_name = "P")]
    pub platform: Option<String>,
    #[command(flatten)]
    pub target: TargetArg,
    /// The Optimus CLI (the Go `optimus`) whose directory Optimus searches (also
    /// OPTIMUS_BIN), default: the first `optimus` on PATH that is not this tool.
    #[arg(long, value_name = "PATH")]
    pub optimus: Option<PathBuf>,
}

/// `verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Platform whose installed files to verify, default: this machine's.
    #[arg(long, value_name = "P")]
    pub platform: Option<String>,
    /// No network: yanks from the indexes in the cache only, image tags not asked (files only).
    #[arg(long)]
    pub offline: bool,
    /// A locked version that is yanked (or whose index cannot be read) is a failure, not a warning.
    #[arg(long)]
    pub deny_yanked: bool,
    /// Accept a registry whose timestamp.toml has expired (warns: new versions and yanks may be hidden).
    #[arg(long)]
    pub allow_expired: bool,
}

/// `remove`.
#[derive(Args, Debug)]
pub struct RemoveArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Plugins to remove.
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
}

/// `outdated`.
#[derive(Args, Debug)]
pub struct OutdatedArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Print JSON (schema in docs/cli.md) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Accept a registry whose timestamp.toml has expired (warns: new versions and yanks may be hidden).
    #[arg(long)]
    pub allow_expired: bool,
}

/// `validate`.
#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// The config whose `plugins.target` and plugin dir apply (default: optimus.yaml, when
    /// there is one).
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A yaml plugin file (any name ending in .yaml), or a directory (default: the
    /// config's plugin dir, else .plugins).
    #[arg(long, value_name = "DIR_OR_FILE")]
    pub path: Option<PathBuf>,
    #[command(flatten)]
    pub target: TargetArg,
    /// goto: check each job's `task.version` under DIR against its plugin's plugin_versions.
    #[arg(long, value_name = "DIR")]
    pub jobs: Option<PathBuf>,
}

/// `publish`.
#[derive(Args, Debug)]
pub struct PublishArgs {
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Plugin type, required for a new plugin unless a yaml artifact says it.
    #[arg(long = "type", value_name = "task|hook")]
    pub plugin_type: Option<String>,
    /// One-line description, stored in the index.
    #[arg(long)]
    pub description: Option<String>,
    /// Plugin name.
    pub name: String,
    /// Version to publish (semver).
    pub version: String,
    /// PATH (platform from the file name) or PLATFORM=PATH.
    #[arg(required = true)]
    pub artifacts: Vec<String>,
    /// Publish binaries without the plugin's yaml (only Optimus before v0.5 loads a binary
    /// plugin alone; later ones refuse to start with one, so publish refuses it by default).
    #[arg(long)]
    pub binary_only: bool,
    /// The Optimus a yaml artifact must load in (default: any of them).
    #[command(flatten)]
    pub target: TargetArg,
}

/// `yank`.
#[derive(Args, Debug)]
pub struct YankArgs {
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Plugin name.
    pub name: String,
    /// Version to yank.
    pub version: String,
    /// Un-yank instead (drops the reason).
    #[arg(long, conflicts_with = "reason")]
    pub undo: bool,
    /// Why (one line, at most 200 characters), signed into the index and shown to users.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// `refresh`.
#[derive(Args, Debug)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `keygen`.
#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// Writes PREFIX.key (secret) and PREFIX.pub.
    #[arg(long, value_name = "PREFIX")]
    pub output: PathBuf,
    /// Encrypt the secret key with the password in this environment variable.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Overwrite existing key files.
    #[arg(long)]
    pub force: bool,
}

/// `sign`.
#[derive(Args, Debug)]
pub struct SignArgs {
    /// minisign secret key file (written by `keygen`, or `minisign -G`).
    #[arg(long, value_name = "K")]
    pub secret_key: PathBuf,
    /// Environment variable holding the secret key's password.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// The files to sign.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// `completions`.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    pub shell: clap_complete::Shell,
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
    pub mirror: MirrorDirArg,
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
