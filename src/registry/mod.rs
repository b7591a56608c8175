//! Static registries (spec §4, §8): the index documents ([`index`]), reading and verifying them
//! ([`client`]), their freshness (`timestamp.toml`: [`timestamp`], checked by `freshness`; which registry it
//! is: `identity`),
//! minisign keys and signatures ([`signing`]), and publishing ([`publish`]).

pub mod client;
mod export;
pub mod freshness;
mod identity;
pub mod index;
mod memo;
pub mod page;
pub mod publish;
pub mod signing;
pub mod timestamp;

pub use client::{Registries, RegistryClient, VerifiedIndexes, MAX_INDEX_SIZE};
pub use index::{IndexArtifact, IndexVersion, PluginIndex, RegistryConfig};
pub use signing::verify_signature;
