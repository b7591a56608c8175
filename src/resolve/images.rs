//! goto v2 yaml plugins name container images (`plugin_versions.*.image:tag`), and a tag can
//! move. `lock` records the digest each one names, read from the registry through the OCI
//! distribution API ([`crate::source::Oci::digest`]); `verify` and `outdated`
//! compare them again.

use super::Resolver;
use crate::error::{Error, Result};
use crate::lockfile::{LockedImage, LockedPlugin};
use crate::model::format::Format;
use crate::model::image::ImageRef;
use crate::model::names::yaml_file_name;
use crate::store::fetch::Expect;
use crate::upstream::yaml::check_text;
use futures::StreamExt;
use std::collections::{BTreeMap, BTreeSet};

impl Resolver<'_> {
    /// Whether the target's yaml plugins name images by version (goto v2) and the config
    /// wants them locked.
    pub fn locks_images(&self) -> bool {
        self.manifest.target.rules().has_versions && self.manifest.lock_images
    }

    /// Fills in the image digests of the lock's yaml plugins: for those resolved anew
    /// (`anew`), always; for kept entries, only when they have none yet and the run may change
    /// the lock and use the network (a lock written before images were locked).
    pub(super) async fn lock_images(
        &self,
        plugins: &mut [LockedPlugin],
        anew: &BTreeSet<String>,
        locked: bool,
    ) -> Result<()> {
        if !self.locks_images() {
            return Ok(());
        }
        let offline = self.fetcher.transport.offline;
        let todo: Vec<usize> = plugins
            .iter()
            .enumerate()
            .filter(|(_, p)| p.artifacts.iter().any(|a| a.format == Format::Yaml))
            .filter(|(_, p)| anew.contains(&p.name) || (p.images.is_empty() && !locked && !offline))
            .map(|(i, _)| i)
            .collect();
        let found: Vec<(usize, Result<Vec<LockedImage>>)> =
            futures::stream::iter(todo.into_iter().map(|i| {
                let p = &plugins[i];
                async move { (i, self.images_of(p).await) }
            }))
            .buffer_unordered(self.jobs.max(1))
            .collect()
            .await;
        let mut errors = Vec::new();
        for (i, r) in found {
            match r {
                Ok(images) => plugins[i].images = images,
                Err(e) => errors.push(e.for_plugin(&plugins[i].name)),
            }
        }
        match errors.into_iter().reduce(Error::combine) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The images one locked plugin's yaml artifacts name, each with its digest now.
    async fn images_of(&self, p: &LockedPlugin) -> Result<Vec<LockedImage>> {
        let mut refs: BTreeMap<String, String> = BTreeMap::new();
        for a in p.artifacts.iter().filter(|a| a.format == Format::Yaml) {
            let bytes = self.yaml_bytes(p, a).await?;
            let text = String::from_utf8_lossy(&bytes);
            let v = check_text(&text, &yaml_file_name(&p.name), self.manifest.target);
            if let Some(why) = &v.refusal {
                self.fetcher.reporter.warn(&format!(
                    "{}: Optimus ({}) would not load its yaml plugin ({}), so its images are not locked",
                    p.name,
                    self.manifest.target,
                    why.lines().next().unwrap_or("")
                ));
            }
            refs.extend(v.images);
        }
        let mut digests: BTreeMap<String, String> = BTreeMap::new();
        let mut out = Vec::new();
        for (version, reference) in refs {
            let digest = match digests.get(&reference) {
                Some(d) => d.clone(),
                None => {
                    let d = self.image_digest(&reference).await.map_err(|e| {
                        let at = match &p.version {
                            Some(v) => format!("version {v}, "),
                            None => String::new(),
                        };
                        e.at(format!("{at}plugin_versions.{version}"))
                    })?;
                    digests.insert(reference.clone(), d.clone());
                    d
                }
            };
            out.push(LockedImage {
                version,
                reference,
                digest,
            });
        }
        out.sort();
        Ok(out)
    }

    /// The digest an image reference names now.
    pub async fn image_digest(&self, reference: &str) -> Result<String> {
        let image = ImageRef::parse(reference)?;
        crate::source::Oci::new(&self.fetcher.transport)
            .digest(&image, self.manifest.image_registry(&image.registry))
            .await
    }

    /// A locked yaml artifact's bytes: from the cache, else fetched and checked against its
    /// sha256 (a registry plugin's artifact is not downloaded to resolve it).
    async fn yaml_bytes(
        &self,
        p: &LockedPlugin,
        a: &crate::lockfile::LockedArtifact,
    ) -> Result<Vec<u8>> {
        let artifact = match self.fetcher.cached(a.sha256.as_str()) {
            Some(c) => c,
            None => {
                let provider = p
                    .provider
                    .as_deref()
                    .map(|n| self.manifest.provider(n))
                    .transpose()?;
                let loc = match (&p.source, self.manifest.declaration(&p.name)) {
                    (Some(_), Some(d)) => self.manifest.direct_location(d, None)?,
                    _ => a.url.location(&self.manifest.dir)?,
                };
                let sources = self
                    .fetcher
                    .transport
                    .sources(&loc, provider.map(|p| p.origin()))?;
                let expect = Expect {
                    sha256: Some(a.sha256.as_str()),
                    size: a.size,
                    what: &p.name,
                };
                self.fetcher.fetch(&sources, expect).await?
            }
        };
        std::fs::read(&artifact.path).map_err(|e| Error::path("reading", &artifact.path, e))
    }
}
