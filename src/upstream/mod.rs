//! Everything "the target Optimus" does with plugins, in one place (docs/upstream-rules.md):
//! which Optimus ([`target`]: one table of rules per target), where it looks and what it
//! loads at startup ([`startup`], the one discovery pass that `list`, `validate` and
//! `install` share), which `optimus` executable's directory it searches ([`optimus_cli`]),
//! `validate`'s report ([`validate()`]), and how it decodes one yaml plugin ([`yaml`]: go-yaml
//! v2/v3 over libyaml's scanner, with upstream's messages).

mod discover;
mod jobs;
pub mod optimus_cli;
pub mod target;
mod validate;
pub mod yaml;

pub use discover::{
    check_file, discover, discovery_dirs, passed_over, startup, BinaryFile, Discovered, Discovery,
    PassedOver, Startup, YamlFile,
};
pub use validate::{validate, Finding, Report, Severity};
