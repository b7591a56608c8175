//! Which entries of an artifact are taken: the one binary of a plugin (its `bin`, else the
//! best of the convention's candidates, spec §4) with the plugin's own yaml
//! (`optimus-plugin-<name>.yaml`) when the archive ships one beside it, or every conventional
//! entry of a bundle.

use super::safety::{archive_err, base_name};
use super::{Staged, Unpacker, Want};
use crate::error::Result;
use crate::model::artifact::ArtifactKind;
use crate::model::names::{binary_candidates, parse_artifact_file_name, yaml_file_name};
use crate::model::redact::printable;
use std::io::Read;

/// How an entry is taken (see `Unpacker::wants`).
pub(super) enum Take {
    Candidate(usize),
    Bundle(String, ArtifactKind, String),
}

/// What an archive yielded so far: binary candidates with their priority, or bundle entries.
#[derive(Default)]
pub(super) struct Picks {
    chosen: Vec<(usize, String, Staged)>,
    bundle: Vec<Staged>,
}

impl Unpacker<'_> {
    fn candidates(&self, name: &str, bin: Option<&str>) -> Vec<String> {
        if let Some(b) = bin {
            return vec![b.trim_start_matches("./").to_string()];
        }
        binary_candidates(name, self.platform)
    }

    /// Which priority (0 best) an entry has for `Want::One`, if any.
    fn priority(&self, cands: &[String], bin: Option<&str>, path: &str) -> Option<usize> {
        let clean = path.trim_start_matches("./");
        if let Some(b) = bin {
            let b = b.trim_start_matches("./");
            return if b.contains('/') {
                (clean == b).then_some(0)
            } else {
                (base_name(clean) == b).then_some(0)
            };
        }
        cands.iter().position(|c| c == base_name(clean))
    }

    /// What a bundle entry installs as, if anything.
    fn bundle_target(&self, path: &str) -> Option<(String, ArtifactKind, String)> {
        let base = base_name(path);
        let named = parse_artifact_file_name(base)?;
        match named.platform {
            None => Some((
                named.name.clone(),
                ArtifactKind::Yaml,
                yaml_file_name(&named.name),
            )),
            Some(p) if p == *self.platform && !self.yaml_only => {
                let file = p.binary_file_name(&named.name);
                // Only the raw binary itself, not a nested archive of it.
                (base == file).then_some((named.name, ArtifactKind::Binary, file))
            }
            Some(_) => None,
        }
    }

    /// Whether an entry is taken: as a candidate of that priority for `Want::One`, or as a
    /// bundle entry installing as (plugin, kind, file name).
    pub(super) fn wants(&self, want: &Want, path: &str) -> Option<Take> {
        match want {
            Want::One { name, bin } => self
                .priority(&self.candidates(name, bin.as_deref()), bin.as_deref(), path)
                .map(Take::Candidate)
                .or_else(|| {
                    // The plugin's yaml beside its binary, as goreleaser archives of Optimus
                    // plugins ship it (raystack v0.7 refuses a binary without one).
                    let yaml = yaml_file_name(name);
                    (base_name(path) == yaml)
                        .then(|| Take::Bundle(name.clone(), ArtifactKind::Yaml, yaml))
                }),
            Want::Bundle => self
                .bundle_target(path)
                .map(|(plugin, kind, file)| Take::Bundle(plugin, kind, file)),
        }
    }

    /// Streams a taken entry into a staging file and records it.
    /// A link entry of the archive: refused where a bundle would take a plugin file by that
    /// name (plugin files must be regular files; skipping it would install the bundle
    /// without that plugin, silently). For one plugin, a link among the candidates is named
    /// in the "no file named" error instead, since a regular candidate may be there too.
    pub(super) fn check_link_entry(&self, want: &Want, path: &str) -> Result<()> {
        if matches!(want, Want::Bundle) && self.wants(want, path).is_some() {
            return Err(archive_err(
                self.what,
                format!(
                    "refusing archive entry {:?}: a link where a plugin file is expected (plugin files must be regular files in the archive)",
                    printable(path)
                ),
            ));
        }
        Ok(())
    }

    pub(super) fn take(
        &self,
        want: &Want,
        take: Take,
        path: String,
        r: &mut dyn Read,
        picks: &mut Picks,
    ) -> Result<()> {
        match (want, take) {
            (Want::One { name, .. }, Take::Candidate(prio)) => {
                let file_name = self.platform.binary_file_name(name);
                let staged = self.stage(r, name.clone(), ArtifactKind::Binary, file_name)?;
                picks.chosen.push((prio, path, staged));
            }
            (_, Take::Bundle(plugin, kind, file_name)) => {
                if picks.bundle.iter().any(|s| s.file_name == file_name) {
                    return Err(archive_err(
                        self.what,
                        format!("two entries install {file_name}"),
                    ));
                }
                picks.bundle.push(self.stage(r, plugin, kind, file_name)?);
            }
            (Want::Bundle, Take::Candidate(_)) => {
                unreachable!("wants() gives candidates only for Want::One")
            }
        }
        Ok(())
    }

    /// The result: the best candidate for `Want::One`, every taken entry for a bundle.
    pub(super) fn result(
        &self,
        want: &Want,
        picks: Picks,
        seen_entries: &[String],
    ) -> Result<Vec<Staged>> {
        match want {
            Want::One { name, bin } => {
                let mut out = self.pick(picks.chosen, name, bin.as_deref(), seen_entries)?;
                if !self.yaml_only {
                    // The companion yaml, if the archive has one (dropped, with its staging
                    // file, for a yaml-only sync: that installs yaml artifacts only).
                    out.extend(picks.bundle);
                }
                Ok(out)
            }
            Want::Bundle => Ok(picks.bundle),
        }
    }

    /// The single best candidate; none or a tie is an error that lists the entries.
    fn pick(
        &self,
        mut chosen: Vec<(usize, String, Staged)>,
        name: &str,
        bin: Option<&str>,
        entries: &[String],
    ) -> Result<Vec<Staged>> {
        if self.yaml_only {
            return Ok(Vec::new());
        }
        let listing = || {
            let mut e: Vec<String> = entries.iter().map(|n| printable(n)).take(50).collect();
            if entries.len() > 50 {
                e.push("...".into());
            }
            if e.is_empty() {
                "(no files)".to_string()
            } else {
                e.join(", ")
            }
        };
        let Some(best) = chosen.iter().map(|c| c.0).min() else {
            let looked = match bin {
                Some(b) => format!("`{}` (the index's bin)", printable(b)),
                None => self.candidates(name, None).join(", "),
            };
            return Err(archive_err(
                self.what,
                format!(
                    "no file named {looked} in the archive; entries: {}",
                    listing()
                ),
            ));
        };
        let ties: Vec<String> = chosen
            .iter()
            .filter(|c| c.0 == best)
            .map(|c| printable(&c.1))
            .collect();
        if ties.len() > 1 {
            return Err(archive_err(
                self.what,
                format!(
                    "several files could be the plugin binary: {}; the publisher should set `bin`",
                    ties.join(", ")
                ),
            ));
        }
        let idx = chosen.iter().position(|c| c.0 == best).expect("present");
        // The losing candidates' staging files go with them.
        let (_, _, staged) = chosen.swap_remove(idx);
        Ok(vec![staged])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::format::Format;
    use crate::model::limits::Limits;
    use crate::model::platform::Platform;

    /// A tar.gz holding `files` (path, content).
    fn targz(files: &[(&str, &str)]) -> Vec<u8> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut tar = ::tar::Builder::new(gz);
        for (path, content) in files {
            let mut h = ::tar::Header::new_gnu();
            h.set_size(content.len() as u64);
            h.set_mode(0o755);
            h.set_cksum();
            tar.append_data(&mut h, path, content.as_bytes()).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap()
    }

    fn take(files: &[(&str, &str)], want: Want) -> Result<Vec<Staged>> {
        let dir = tempfile::tempdir().unwrap();
        let (limits, platform) = (Limits::default(), Platform::parse("linux_amd64").unwrap());
        let u = Unpacker {
            limits: &limits,
            platform: &platform,
            stage_dir: dir.path(),
            what: "artifact x",
            yaml_only: false,
            target: Default::default(),
        };
        let bytes = targz(files);
        let out = u.unpack_reader(&mut bytes.as_slice(), Format::TarGz, &want);
        // Staged files live in the stage dir until placed; read them before it goes.
        out.inspect(|v| {
            for s in v {
                assert!(s.staged.starts_with(dir.path()));
                assert_eq!(std::fs::read(&s.staged).unwrap().len() as u64, s.size);
            }
        })
    }

    fn one(name: &str, bin: Option<&str>) -> Want {
        Want::One {
            name: name.into(),
            bin: bin.map(String::from),
        }
    }

    #[test]
    fn the_conventional_name_beats_the_plain_ones() {
        let files = [
            ("bq2bq", "3"),
            ("bin/optimus-bq2bq", "2"),
            ("optimus-bq2bq_linux_amd64", "1"),
        ];
        let s = take(&files, one("bq2bq", None)).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].file_name, "optimus-bq2bq_linux_amd64");
        assert_eq!(s[0].size, 1);
        let s = take(&files[..2], one("bq2bq", None)).unwrap();
        assert_eq!(s[0].size, 1, "optimus-bq2bq beats bq2bq");
    }

    #[test]
    fn a_binary_comes_with_its_yaml_when_the_archive_has_one() {
        let yaml = "name: bq2bq\ndescription: d\nplugintype: task\npluginversion: 0.3.2\nimage: i\nentrypoint:\n  script: s\n";
        // A goreleaser archive of an Optimus plugin: binary, its yaml, docs.
        let files = [
            ("optimus-bq2bq_linux_amd64", "bin"),
            ("optimus-plugin-bq2bq.yaml", yaml),
            ("optimus-plugin-other.yaml", yaml),
            ("README.md", "r"),
        ];
        let s = take(&files, one("bq2bq", None)).unwrap();
        let mut got: Vec<(&str, ArtifactKind)> =
            s.iter().map(|s| (s.file_name.as_str(), s.kind)).collect();
        got.sort_by_key(|g| g.0);
        assert_eq!(
            got,
            [
                ("optimus-bq2bq_linux_amd64", ArtifactKind::Binary),
                ("optimus-plugin-bq2bq.yaml", ArtifactKind::Yaml)
            ]
        );
        // The companion is checked like any yaml plugin (this one lacks its entrypoint).
        let e = take(
            &[
                ("optimus-bq2bq_linux_amd64", "bin"),
                (
                    "optimus-plugin-bq2bq.yaml",
                    yaml.split("entrypoint").next().unwrap(),
                ),
            ],
            one("bq2bq", None),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("artifact x"), "{e}");
        // Without one, the binary alone, as before.
        assert_eq!(take(&files[..1], one("bq2bq", None)).unwrap().len(), 1);
    }

    #[test]
    fn bin_names_the_entry_and_ties_are_errors() {
        let s = take(
            &[("a/tool", "xy"), ("optimus-t_linux_amd64", "z")],
            one("t", Some("a/tool")),
        )
        .unwrap();
        assert_eq!(
            (s[0].file_name.as_str(), s[0].size),
            ("optimus-t_linux_amd64", 2)
        );
        let e = take(
            &[("a/optimus-t", "1"), ("b/optimus-t", "2")],
            one("t", None),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("several files could be the plugin binary"),
            "{e}"
        );
        let e = take(&[("README.md", "x")], one("t", None))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no file named") && e.contains("README.md"),
            "{e}"
        );
    }

    #[test]
    fn a_bundle_takes_every_conventional_entry_for_the_platform() {
        let files = [
            ("optimus-neo_linux_amd64", "b"),
            ("optimus-neo_darwin_arm64", "other platform"),
            ("LICENSE", "text"),
        ];
        let s = take(&files, Want::Bundle).unwrap();
        let names: Vec<&str> = s.iter().map(|s| s.file_name.as_str()).collect();
        assert_eq!(names, ["optimus-neo_linux_amd64"]);
    }
}
