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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::artifact::{ArtifactKind, ArtifactPlatform};
    use crate::model::digest::Sha256;
    use crate::model::fsutil::set_installed_mode;
    use crate::model::platform::Platform;
    use crate::receipts::{mtime_ns, ReceiptSource};
    use crate::store::link::{LinkMode, Linker};

    const LOCK: &str = r#"
version = 1

[[plugin]]
name = "pair"
version = "1.0.0"
[[plugin.artifact]]
platform = "any"
format = "yaml"
url = "p.yaml"
sha256 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
[[plugin.artifact]]
platform = "linux_amd64"
format = "binary"
url = "p"
sha256 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

[[plugin]]
name = "neo"
version = "2.0.0"
[[plugin.artifact]]
platform = "any"
format = "yaml"
url = "neo.yaml"
sha256 = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

[[plugin]]
name = "mac"
version = "0.1.0"
[[plugin.artifact]]
platform = "darwin_arm64"
format = "binary"
url = "mac"
sha256 = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
"#;

    /// A sha256 made of one hex digit.
    fn sha(digit: char) -> String {
        digit.to_string().repeat(64)
    }

    fn options(yaml_only: bool) -> Options {
        Options {
            platform: Platform::parse("linux_amd64").unwrap(),
            yaml_only,
            jobs: 1,
            linker: Linker::new(LinkMode::Copy),
            frozen: false,
        }
    }

    /// Puts `file` in `dir` as an install does, and returns its receipt (from the artifact
    /// with sha256 `artifact` of lock entry `source`).
    fn installed(dir: &Path, source: &str, file: &str, artifact: &str) -> Receipt {
        let yaml = file.ends_with(".yaml");
        let path = dir.join(file);
        std::fs::write(&path, source).unwrap();
        set_installed_mode(&path, !yaml).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        Receipt {
            file: file.into(),
            plugin: source.into(),
            source: ReceiptSource::Lock(source.into()),
            version: "-".into(),
            platform: match yaml {
                true => ArtifactPlatform::Any,
                false => ArtifactPlatform::Os(Platform::parse("linux_amd64").unwrap()),
            },
            kind: match yaml {
                true => ArtifactKind::Yaml,
                false => ArtifactKind::Binary,
            },
            provider: None,
            plugin_type: None,
            artifact_sha256: Sha256::parse(artifact).unwrap(),
            bin: None,
            // Not read by a plan (a file is unchanged by size and mtime).
            sha256: Sha256::parse(&sha('f')).unwrap(),
            size: meta.len(),
            mtime_ns: mtime_ns(&meta),
        }
    }

    /// What a plan fetches, as `plugin/platform`.
    fn fetched(plan: &Plan) -> Vec<String> {
        plan.fetch
            .iter()
            .map(|j| format!("{}/{}", j.plugin.name, j.artifact.platform))
            .collect()
    }

    fn lock() -> Lockfile {
        Lockfile::parse(LOCK, Path::new("optimus.lock")).unwrap()
    }

    #[test]
    fn a_fresh_directory_fetches_every_artifact_for_the_platform() {
        let d = tempfile::tempdir().unwrap();
        let lock = lock();
        let plan = Plan::new(&lock, &Receipts::default(), &options(false), d.path());
        assert_eq!(fetched(&plan), ["pair/any", "pair/linux_amd64", "neo/any"]);
        assert_eq!(plan.unchanged, 0);
        assert_eq!(plan.skipped, ["mac (no artifact for linux_amd64)"]);
    }

    #[test]
    fn installed_as_locked_is_skipped_and_half_a_pair_fetches_both() {
        let d = tempfile::tempdir().unwrap();
        let lock = lock();
        let receipts = Receipts {
            version: 1,
            files: vec![
                installed(d.path(), "neo", "optimus-plugin-neo.yaml", &sha('c')),
                // The pair's binary is there, its yaml is not.
                installed(d.path(), "pair", "optimus-pair_linux_amd64", &sha('b')),
            ],
        };
        let plan = Plan::new(&lock, &receipts, &options(false), d.path());
        assert_eq!(fetched(&plan), ["pair/any", "pair/linux_amd64"]);
        assert_eq!(plan.unchanged, 1);
    }

    #[test]
    fn another_artifact_or_a_changed_file_is_fetched_again() {
        let d = tempfile::tempdir().unwrap();
        let lock = lock();
        let mut receipts = Receipts {
            version: 1,
            files: vec![
                // From an older version's yaml.
                installed(d.path(), "neo", "optimus-plugin-neo.yaml", &sha('0')),
                installed(d.path(), "pair", "optimus-plugin-pair.yaml", &sha('a')),
                installed(d.path(), "pair", "optimus-pair_linux_amd64", &sha('b')),
            ],
        };
        let plan = Plan::new(&lock, &receipts, &options(false), d.path());
        assert_eq!(
            (fetched(&plan), plan.unchanged),
            (vec!["neo/any".into()], 1)
        );
        // The binary's size no longer matches its receipt.
        receipts.files[2].size += 1;
        let plan = Plan::new(&lock, &receipts, &options(false), d.path());
        assert_eq!(fetched(&plan), ["pair/any", "pair/linux_amd64", "neo/any"]);
        assert_eq!(plan.unchanged, 0);
    }

    #[test]
    fn yaml_only_looks_at_yaml_artifacts_alone() {
        let d = tempfile::tempdir().unwrap();
        let lock = lock();
        let mut receipts = Receipts {
            version: 1,
            files: vec![installed(
                d.path(),
                "pair",
                "optimus-plugin-pair.yaml",
                &sha('a'),
            )],
        };
        let plan = Plan::new(&lock, &receipts, &options(true), d.path());
        // The pair's missing binary is not `sync`'s business; the binary-only plugin is not
        // either (no job, but skipped as for install).
        assert_eq!(
            (fetched(&plan), plan.unchanged),
            (vec!["neo/any".into()], 1)
        );
        assert_eq!(plan.skipped, ["mac (no artifact for linux_amd64)"]);
        // Nor is a changed binary: its receipt is not looked at.
        let mut binary = installed(d.path(), "pair", "optimus-pair_linux_amd64", &sha('b'));
        binary.size += 1;
        receipts.files.push(binary);
        let plan = Plan::new(&lock, &receipts, &options(true), d.path());
        assert_eq!(
            (fetched(&plan), plan.unchanged),
            (vec!["neo/any".into()], 1)
        );
        // Without --yaml-only it is: the pair is fetched again, yaml and binary.
        let plan = Plan::new(&lock, &receipts, &options(false), d.path());
        assert_eq!(fetched(&plan), ["pair/any", "pair/linux_amd64", "neo/any"]);
    }
}
