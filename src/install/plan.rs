//! The plan: a value saying, for one platform, which locked plugins are already installed as
//! locked (skipped without hashing: same artifact, files present with the recorded size and
//! mtime), which have no artifact for the platform, and which must be fetched and unpacked.

use super::Options;
use crate::extract::Want;
use crate::lockfile::{LockedArtifact, LockedPlugin, Lockfile};
use crate::model::artifact::ArtifactKind;
use crate::model::format::Format;
use crate::model::names::yaml_file_name;
use crate::receipts::{Receipt, Receipts};
use crate::store::unpacked::UnpackKey;
use std::collections::HashMap;
use std::path::Path;

/// One locked plugin to fetch and unpack.
pub struct Job<'a> {
    pub plugin: &'a LockedPlugin,
    pub artifact: &'a LockedArtifact,
}

impl Job<'_> {
    pub fn want(&self) -> Want {
        if self.plugin.bundle {
            Want::Bundle
        } else {
            Want::One {
                name: self.plugin.name.clone(),
                bin: self.artifact.bin.clone(),
            }
        }
    }

    /// The unpacked-file cache's key for this job on `platform`.
    pub fn unpack_key<'k>(&'k self, platform: &'k str) -> UnpackKey<'k> {
        UnpackKey {
            artifact_sha: self.artifact.sha256.as_str(),
            format: self.artifact.format,
            bin: self.artifact.bin.as_deref(),
            plugin: &self.plugin.name,
            platform,
        }
    }

    /// The file a non-bundle plugin installs as.
    pub fn expected_file(&self, options: &Options) -> Option<String> {
        if self.plugin.bundle {
            return None;
        }
        Some(if self.artifact.format == Format::Yaml {
            yaml_file_name(&self.plugin.name)
        } else {
            options.platform.binary_file_name(&self.plugin.name)
        })
    }
}

#[derive(Default)]
pub struct Plan<'a> {
    pub fetch: Vec<Job<'a>>,
    /// Installed exactly as locked.
    pub unchanged: usize,
    /// Locked without an artifact for the platform: `name (why)`.
    pub skipped: Vec<String>,
}

impl<'a> Plan<'a> {
    pub fn new(lock: &'a Lockfile, receipts: &Receipts, options: &Options, dir: &Path) -> Plan<'a> {
        let mut plan = Plan::default();
        // Receipts by lock entry, once: a no-op install of a thousand plugins looked each
        // one up in every receipt.
        // Only the platform's own files count (its binaries and the yaml plugins).
        let mut by_source: HashMap<&str, Vec<&Receipt>> = HashMap::new();
        for r in receipts.for_platform(&options.platform) {
            by_source.entry(r.source.as_str()).or_default().push(r);
        }
        for l in &lock.plugins {
            let arts = l.artifacts_for(&options.platform);
            if arts.is_empty() {
                plan.skipped
                    .push(format!("{} (no artifact for {})", l.name, options.platform));
                continue;
            }
            // A binary plugin and its yaml are two artifacts of one entry: one job each, and
            // both fetched when either is not installed as locked.
            let jobs: Vec<Job> = arts
                .into_iter()
                .filter(|a| !options.yaml_only || a.format == Format::Yaml || l.bundle)
                .map(|artifact| Job {
                    plugin: l,
                    artifact,
                })
                .collect();
            if jobs.is_empty() {
                continue;
            }
            let theirs = by_source
                .get(l.name.as_str())
                .map_or(&[][..], |v| v.as_slice());
            if up_to_date(theirs.iter().copied(), &jobs, options, dir) {
                plan.unchanged += 1;
            } else {
                plan.fetch.extend(jobs);
            }
        }
        plan
    }
}

/// Whether the receipts of a lock entry for the platform (and of yaml files, for any) say it
/// is installed as locked: every file came from one of its artifacts and is intact, and every
/// artifact's file is there.
fn up_to_date<'r>(
    receipts: impl Iterator<Item = &'r Receipt>,
    jobs: &[Job<'_>],
    options: &Options,
    dir: &Path,
) -> bool {
    let mine: Vec<&Receipt> = receipts
        .filter(|r| !options.yaml_only || r.kind == ArtifactKind::Yaml)
        .collect();
    if mine.is_empty()
        || mine
            .iter()
            .any(|r| !jobs.iter().any(|j| r.installed_from(j.artifact)) || !r.looks_intact(dir))
    {
        return false;
    }
    jobs.iter().all(|job| match job.expected_file(options) {
        Some(f) => mine.iter().any(|r| r.file == f),
        None => true,
    })
}
