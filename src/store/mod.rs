//! The machine-wide store: the content-addressed cache and its file formats, the one verified
//! fetch path into it, advisory locks, what may be destroyed (`guard`), how cached files are linked into projects, and keeping
//! the cache in check (`projects`, `prune`).

pub mod cache;
pub mod fetch;
pub mod guard;
pub mod journal;
pub mod link;
pub mod lock;
pub mod memo;
pub mod projects;
pub mod prune;
pub mod unpacked;

pub use cache::Cache;
