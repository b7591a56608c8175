//! Locked container images (goto v2 yaml plugins) against what their tags name now: a tag that
//! moved since `lock` runs other bytes than were locked. Used by `verify` and `outdated`.

use crate::config::Manifest;
use crate::error::{Error, Result};
use crate::lockfile::Lockfile;
use crate::model::image::ImageRef;
use crate::source::{Oci, Transport};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct ImageCheck {
    pub plugin: String,
    /// The `plugin_versions` key.
    pub version: String,
    pub reference: String,
    /// The digest in the lock.
    pub locked: String,
    /// The digest the tag names now (`None` when the registry could not say).
    pub current: Option<String>,
    /// `current` differs from `locked`.
    pub moved: bool,
    /// Why `current` is unknown.
    pub error: Option<String>,
}

impl ImageCheck {
    /// The line `verify` prints for a moved tag or a failed lookup; `None` when it matches.
    pub fn problem(&self) -> Option<String> {
        let at = format!("(plugin {}, plugin_versions.{})", self.plugin, self.version);
        match (&self.current, &self.error) {
            (Some(now), _) if self.moved => Some(format!(
                "tag moved: {} was {}, now {now} {at}",
                self.reference, self.locked
            )),
            (None, Some(e)) => Some(format!("unchecked: {} {at}: {e}", self.reference)),
            _ => None,
        }
    }
}

/// Every image the lock holds, looked up again, and why those that could not be are unknown.
#[derive(Debug, Default)]
pub struct ImageChecks {
    /// One per `plugin_versions` entry with a locked image, in lock order.
    pub images: Vec<ImageCheck>,
    /// One per distinct reference whose registry could not say (each row that names it has
    /// the text in [`ImageCheck::error`]).
    pub failures: Vec<Error>,
}

impl ImageChecks {
    /// Locked tags that now name another digest.
    pub fn moved(&self) -> usize {
        self.images.iter().filter(|i| i.moved).count()
    }

    /// The failures as one error, when there are any.
    pub fn failed(&mut self) -> Option<Error> {
        match std::mem::take(&mut self.failures) {
            f if f.is_empty() => None,
            mut f if f.len() == 1 => f.pop(),
            f => Some(Error::Many(f)),
        }
    }
}

/// Every image the lock holds, looked up again (one request per distinct reference).
pub async fn check_images(manifest: &Manifest, transport: &Transport) -> Result<ImageChecks> {
    let Some(lock) = Lockfile::read_for(manifest)? else {
        return Ok(ImageChecks::default());
    };
    let oci = Oci::new(transport);
    let mut now: BTreeMap<String, std::result::Result<String, String>> = BTreeMap::new();
    let mut out = ImageChecks::default();
    for p in &lock.plugins {
        for i in &p.images {
            if !now.contains_key(&i.reference) {
                let r = match ImageRef::parse(&i.reference) {
                    Ok(image) => {
                        oci.digest(&image, manifest.image_registry(&image.registry))
                            .await
                    }
                    Err(e) => Err(e),
                };
                let r = r.map_err(|e| {
                    let text = e.to_string();
                    out.failures.push(e);
                    text
                });
                now.insert(i.reference.clone(), r);
            }
            let (current, error) = match &now[&i.reference] {
                Ok(d) => (Some(d.clone()), None),
                Err(e) => (None, Some(e.clone())),
            };
            out.images.push(ImageCheck {
                plugin: p.name.clone(),
                version: i.version.clone(),
                reference: i.reference.clone(),
                moved: current.as_ref().is_some_and(|c| *c != i.digest),
                locked: i.digest.clone(),
                current,
                error,
            });
        }
    }
    Ok(out)
}
