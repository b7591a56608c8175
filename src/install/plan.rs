//! The plan: a value saying, for one platform, which locked plugins are already installed as
//! locked (skipped without hashing: same artifact, files present with the recorded size and
//! mtime), which have no artifact for the platform, and which must be fetched and unpacked.

use super::Options;
use crate::extract::Want;
use crate::lockfile::{LockedArtifact, LockedPlugin, Lockfile};
use crate::model::format::Format;
use crate::model::names::yaml_file_name;
use crate::model::platform::ANY;
use crate::receipts::{Receipt, Receipts};
use crate::store::unpacked::UnpackKey;
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
            artifact_sha: &self.artifact.sha256,
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
        for l in &lock.plugins {
            let Some(a) = l.artifact_for(&options.platform) else {
                plan.skipped
                    .push(format!("{} (no artifact for {})", l.name, options.platform));
                continue;
            };
            if options.yaml_only && !(a.format == Format::Yaml || l.bundle) {
                continue;
            }
            let job = Job {
                plugin: l,
                artifact: a,
            };
            if up_to_date(receipts, &job, options, dir) {
                plan.unchanged += 1;
            } else {
                plan.fetch.push(job);
            }
        }
        plan
    }
}

/// The receipts of a lock entry for the platform (and of yaml files, for any).
pub fn receipts_of<'r>(receipts: &'r Receipts, source: &str, platform: &str) -> Vec<&'r Receipt> {
    receipts
        .files
        .iter()
        .filter(|r| r.source == source && (r.platform == platform || r.platform == ANY))
        .collect()
}

fn up_to_date(receipts: &Receipts, job: &Job<'_>, options: &Options, dir: &Path) -> bool {
    let mine: Vec<&Receipt> =
        receipts_of(receipts, &job.plugin.name, &options.platform.to_string())
            .into_iter()
            .filter(|r| !options.yaml_only || r.kind == "yaml")
            .collect();
    if mine.is_empty()
        || mine
            .iter()
            .any(|r| !r.installed_from(job.artifact) || !r.looks_intact(dir))
    {
        return false;
    }
    match job.expected_file(options) {
        Some(f) => mine.iter().any(|r| r.file == f),
        None => true,
    }
}
