//! How the library speaks: warnings, notes, debug lines and progress go through a
//! [`Reporter`] handed in by the caller. Only the command layer prints.

use indicatif::ProgressBar;
use std::sync::Arc;

pub trait Reporter: Send + Sync {
    fn warn(&self, msg: &str);
    fn note(&self, msg: &str);
    fn debug(&self, msg: &str);
    /// A bar for one download (hidden when progress is off).
    fn download_bar(&self, _label: &str, _len: Option<u64>) -> ProgressBar {
        ProgressBar::hidden()
    }
    /// The bar of plugins done out of all.
    fn total_bar(&self, _len: u64) -> ProgressBar {
        ProgressBar::hidden()
    }
    /// A request has had no byte from `host` for `secs` seconds (said every 10 s; a terminal
    /// shows it, so a silent server is not mistaken for a hung command).
    fn waiting(&self, _host: &str, _secs: u64) {}
}

pub type SharedReporter = Arc<dyn Reporter>;

/// Says nothing (library callers that want silence: `Arc::new(Silent)`).
pub struct Silent;

impl Reporter for Silent {
    fn warn(&self, _: &str) {}
    fn note(&self, _: &str) {}
    fn debug(&self, _: &str) {}
}
