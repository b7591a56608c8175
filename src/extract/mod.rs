//! Unpacking artifacts safely.
//!
//! The archive's tree is never written out. Every entry is inspected and the whole artifact is
//! refused if any entry is absolute, contains `..`, is a link pointing outside the archive, or
//! is a device or fifo; limits on total unpacked size, entry count and compression ratio stop
//! bombs while reading. Only the chosen files are streamed — into staging files that this
//! module names itself, inside the plugin directory — and hashed on the way.

mod safety;
mod select;
mod tar;
mod zip;

use crate::error::{Error, Result};
use crate::model::digest::{HashingWriter, Sha256};
use crate::model::format::Format;
use crate::model::fsutil::{create_temp_file, write_error, STAGING_PREFIX};
use crate::model::limits::{Limits, MAX_YAML_PLUGIN_SIZE};
use crate::model::names::yaml_file_name;
use crate::model::platform::Platform;
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub(crate) use safety::archive_err;

use crate::model::artifact::ArtifactKind;

/// What to take from an artifact.
#[derive(Clone, Debug)]
pub enum Want {
    /// One plugin: the `bin` entry, else the one file named by the convention (spec §4).
    One { name: String, bin: Option<String> },
    /// Every conventional entry for the platform, and every yaml plugin (spec §3 artifacts).
    Bundle,
}

/// A staged file, verified and ready to be renamed to `file_name` by the journal that commits
/// it. It removes itself when dropped unless [`Staged::release`] handed it to that journal, so
/// no error path leaves one behind.
#[derive(Debug)]
pub struct Staged {
    pub plugin: String,
    pub kind: ArtifactKind,
    pub file_name: String,
    pub staged: PathBuf,
    pub sha256: Sha256,
    pub size: u64,
    placed: bool,
}

impl Staged {
    /// A file already verified elsewhere (linked from the unpacked-file cache) and staged at
    /// `staged` by the caller.
    pub fn linked(
        plugin: String,
        kind: ArtifactKind,
        file_name: String,
        staged: PathBuf,
        sha256: Sha256,
        size: u64,
    ) -> Staged {
        Staged {
            plugin,
            kind,
            file_name,
            staged,
            sha256,
            size,
            placed: false,
        }
    }

    /// Hands the staging file over to a caller that renames it itself (a journal).
    pub fn release(&mut self) {
        self.placed = true;
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.placed {
            let _ = std::fs::remove_file(&self.staged);
        }
    }
}

pub struct Unpacker<'a> {
    pub limits: &'a Limits,
    pub platform: &'a Platform,
    /// Where staging files go: the plugin directory (so the final rename is atomic).
    pub stage_dir: &'a Path,
    /// Names the artifact in errors.
    pub what: &'a str,
    /// Skip binaries (client-side sync).
    pub yaml_only: bool,
    /// The Optimus whose loader a yaml plugin must pass.
    pub target: crate::upstream::target::Target,
}

impl Unpacker<'_> {
    /// Unpacks `artifact` (already verified) and returns the staged files.
    pub fn unpack(&self, artifact: &Path, format: Format, want: &Want) -> Result<Vec<Staged>> {
        if format != Format::Zip {
            let mut f = File::open(artifact).map_err(|e| Error::path("opening", artifact, e))?;
            return self.unpack_reader(&mut f, format, want);
        }
        let staged = self.unpack_zip(artifact, want)?;
        self.finish(staged)
    }

    /// Unpacks a tar.gz, binary or yaml artifact from a stream, in one pass (zip needs a file:
    /// its directory is at the end). The caller verifies the stream's hash before it installs
    /// anything staged here.
    pub fn unpack_reader(
        &self,
        r: &mut dyn Read,
        format: Format,
        want: &Want,
    ) -> Result<Vec<Staged>> {
        let staged = match format {
            Format::Binary | Format::Yaml => self.unpack_plain(r, format, want)?,
            Format::TarGz => self.unpack_tar(r, want)?,
            Format::Zip => {
                return Err(archive_err(
                    self.what,
                    "a zip archive cannot be unpacked from a stream",
                ))
            }
        };
        self.finish(staged)
    }

    /// Validates yaml plugins (one shipped with its plugin's binary must carry exactly its
    /// name) and sets modes, then hands the staged files over.
    fn finish(&self, staged: Vec<Staged>) -> Result<Vec<Staged>> {
        for s in &staged {
            if s.kind == ArtifactKind::Yaml {
                let name = crate::upstream::yaml::validate_staged(
                    &s.staged,
                    &s.file_name,
                    &s.plugin,
                    self.target,
                )
                .map_err(|e| archive_err(self.what, e))?;
                let with_binary = staged
                    .iter()
                    .any(|b| b.kind == ArtifactKind::Binary && b.plugin == s.plugin);
                if with_binary {
                    crate::upstream::yaml::check_pair(&s.plugin, &name, &s.file_name)
                        .map_err(|e| archive_err(self.what, e))?;
                }
            }
            set_mode(&s.staged, s.kind)?;
        }
        Ok(staged)
    }

    fn unpack_plain(&self, r: &mut dyn Read, format: Format, want: &Want) -> Result<Vec<Staged>> {
        let Want::One { name, .. } = want else {
            return Err(archive_err(
                self.what,
                "a bundle must be a zip or tar.gz archive",
            ));
        };
        let kind = if format == Format::Yaml {
            ArtifactKind::Yaml
        } else {
            ArtifactKind::Binary
        };
        if kind == ArtifactKind::Binary && self.yaml_only {
            return Ok(Vec::new());
        }
        let file_name = match kind {
            ArtifactKind::Yaml => yaml_file_name(name),
            ArtifactKind::Binary => self.platform.binary_file_name(name),
        };
        Ok(vec![self.stage(r, name.clone(), kind, file_name)?])
    }

    /// Streams `r` into a new staging file in the plugin directory, hashing it.
    fn stage(
        &self,
        r: &mut dyn Read,
        plugin: String,
        kind: ArtifactKind,
        file_name: String,
    ) -> Result<Staged> {
        // create_new: never follow or reuse something already at the name.
        let (path, f) = create_temp_file(self.stage_dir, STAGING_PREFIX, 0o600)
            .map_err(|e| write_error("creating a staging file in", self.stage_dir, e))?;
        // From here on the guard removes the file on any error.
        let mut staged = Staged {
            plugin,
            kind,
            file_name,
            staged: path.clone(),
            sha256: Sha256::of_bytes(b""),
            size: 0,
            placed: false,
        };
        let mut out = HashingWriter::new(f);
        let mut buf = vec![0u8; 128 * 1024];
        let cap = match staged.kind {
            ArtifactKind::Yaml => MAX_YAML_PLUGIN_SIZE,
            ArtifactKind::Binary => u64::MAX,
        };
        let mut written: u64 = 0;
        loop {
            let k = r.read(&mut buf).map_err(|e| archive_err(self.what, e))?;
            if k == 0 {
                break;
            }
            written += k as u64;
            if written > cap {
                return Err(archive_err(
                    self.what,
                    format!(
                        "{} is over {} MiB: refusing a yaml plugin that size (a plugin spec is kilobytes; archive bomb?)",
                        staged.file_name,
                        cap >> 20
                    ),
                ));
            }
            out.write_all(&buf[..k])
                .map_err(|e| write_error("writing", &path, e))?;
        }
        // Not fsynced, as cargo, uv and Terraform do not: a kill cannot tear a file (it is
        // renamed into place whole), and after a power loss a file whose data never reached
        // the disk comes back short (ext4 and xfs write data before the size), which the next
        // install's size check catches and reinstalls; `verify` re-hashes everything. The
        // journal, receipts and lock are fsynced. Syncing each file cost a cold install of
        // 16 x 16 MiB 0.43 s of its 1.0 s.
        let (f, digest, size) = out.finish();
        drop(f);
        staged.sha256 = digest;
        staged.size = size;
        Ok(staged)
    }
}

/// Read-only, as every installed plugin file ([`crate::model::fsutil::installed_mode`]).
fn set_mode(path: &Path, kind: ArtifactKind) -> Result<()> {
    crate::model::fsutil::set_installed_mode(path, kind == ArtifactKind::Binary)
        .map_err(|e| Error::path("setting mode of", path, e))
}
