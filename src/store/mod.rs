//! The machine-wide store: the content-addressed cache and its file formats, the one verified
//! fetch path into it, advisory locks, and how cached files are linked into projects.

pub mod cache;
pub mod fetch;
pub mod journal;
pub mod link;
pub mod lock;
pub mod memo;
pub mod unpacked;

pub use cache::Cache;
