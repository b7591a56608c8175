//! optimus-plugins: a declarative plugin package manager and static signed registry for
//! Optimus.
//!
//! The pipeline, one module per step, data flowing one way:
//! [`config`] (declarations) → [`registry`] (index, signatures) → [`resolve`] → [`lockfile`] →
//! [`fetch`] (sources + [`cache`]) → [`unpack`] (archive safety) → [`install`] (staging,
//! [`receipts`], locking). [`transport`] moves bytes for all of them; [`publish`] and
//! [`signing`] sit beside the registry; [`commands`] is the thin CLI layer.

pub mod cache;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod fetch;
pub mod format;
pub mod fsutil;
pub mod install;
pub mod lockfile;
pub mod platform;
pub mod publish;
pub mod receipts;
pub mod redact;
pub mod registry;
pub mod resolve;
pub mod signing;
pub mod status;
pub mod sync;
pub mod transport;
pub mod ui;
pub mod unpack;
pub mod yaml_plugin;

pub use error::{Error, Result};
