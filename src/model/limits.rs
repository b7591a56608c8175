//! Limits on what an archive may expand to.

pub const DEFAULT_MAX_UNPACKED: u64 = 1 << 30;
pub const DEFAULT_MAX_ENTRIES: u64 = 10_000;
pub const DEFAULT_MAX_RATIO: u64 = 200;

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
