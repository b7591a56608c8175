//! Everything "the target Optimus" does with plugins, in one place (docs/upstream-rules.md):
//! which Optimus ([`target`]: one table of rules per target), where it looks and what it
//! loads at startup ([`startup`], the one discovery pass that `list`, `validate` and
//! `install` share), which `optimus` executable's directory it searches ([`optimus_cli`]),
//! and `validate`'s report ([`validate()`]). The Go-compatible decoding of a yaml plugin is
//! `extract::yaml_plugin` for now; it moves here when the decoding rewrite of issue 19 lands
//! (tests/it/architecture.rs allows exactly that one import until then).

mod discover;
mod jobs;
pub mod optimus_cli;
pub mod target;
mod validate;

pub use discover::{
    check_file, discover, discovery_dirs, passed_over, startup, BinaryFile, Discovered, Discovery,
    PassedOver, Startup, YamlFile,
};
pub use validate::{validate, Finding, Report, Severity};
