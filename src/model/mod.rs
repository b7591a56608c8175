//! The vocabulary every layer shares, with no I/O policy of its own: platforms, formats,
//! plugin types, the naming rules of installed files, sha256 digests, limits, typed
//! locations, the secret scrubber and the reporter interface.

pub mod artifact;
pub mod credentials;
pub mod digest;
pub mod format;
pub mod fsutil;
pub mod image;
pub mod interrupt;
pub mod keys;
pub mod limits;
pub mod link_mode;
pub mod location;
pub mod mirror_layout;
pub mod names;
pub mod platform;
pub mod plugin_type;
pub mod redact;
pub mod report;
pub mod size;
