//! optimus-plugins: a declarative plugin package manager and static signed registry for
//! Optimus.
//!
//! Layers, each importing only those below it (checked by `tests/it/architecture.rs`):
//!
//! | layer | owns |
//! |---|---|
//! | [`model`], [`error`] | vocabulary: platforms, names, formats, digests, locations, limits |
//! | [`upstream`] | what the target Optimus does: its rules, its discovery and startup, `validate` |
//! | [`config`] | `optimus.yaml` → a [`config::Manifest`]; the environment, read once |
//! | [`source`] | moving bytes: local files, http(s), object stores; credentials, retries |
//! | [`store`], [`extract`] | the machine cache and its one verified fetch path; safe unpacking |
//! | [`registry`], [`lockfile`], [`receipts`] | signed indexes and publishing; the lock; receipts |
//! | [`resolve`], [`status`] | declarations + lock → new lock; what is installed vs locked |
//! | [`install`] | plan → execute → commit into `.plugins/`; removal; `sync --host` |
//! | [`commands`], [`cli`], [`ui`] | the command line: parse, call the library, print |
//!
//! See `docs/architecture.md` for how an artifact flows from `optimus.yaml` to `.plugins/`.

pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod extract;
pub mod install;
pub mod lockfile;
pub mod model;
pub mod receipts;
pub mod registry;
pub mod resolve;
pub mod source;
pub mod status;
pub mod store;
pub mod ui;
pub mod upstream;

pub use error::{Error, Result};
