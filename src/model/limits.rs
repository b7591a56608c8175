//! Limits on what an archive may expand to.

pub const DEFAULT_MAX_UNPACKED: u64 = 1 << 30;
pub const DEFAULT_MAX_ENTRIES: u64 = 10_000;
pub const DEFAULT_MAX_RATIO: u64 = 200;
/// The largest yaml plugin unpacked from an archive or bundle: a plugin spec is kilobytes (its
/// questions, defaults and entrypoint); megabytes of it are a bomb, which every check that
/// reads the file whole (ours, and Optimus at startup) would hold in memory.
pub const MAX_YAML_PLUGIN_SIZE: u64 = 4 << 20;

#[derive(Clone, Debug)]
pub struct Limits {
    pub max_unpacked_size: u64,
    pub max_entries: u64,
    pub max_ratio: u64,
}

impl Default for Limits {
    /// The documented defaults: 1 GiB unpacked, 10 000 entries, a 200:1 compression ratio.
    fn default() -> Self {
        Limits {
            max_unpacked_size: DEFAULT_MAX_UNPACKED,
            max_entries: DEFAULT_MAX_ENTRIES,
            max_ratio: DEFAULT_MAX_RATIO,
        }
    }
}
