//! Locked container images (goto v2 yaml plugins) against what their tags name now: a tag that
//! moved since `lock` runs other bytes than were locked. Used by `verify` and `outdated`.

use crate::config::Manifest;
use crate::error::Result;
use crate::lockfile::Lockfile;
use crate::model::image::ImageRef;
use crate::source::Transport;
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

/// Every image the lock holds, looked up again (one request per distinct reference).
pub async fn check_images(manifest: &Manifest, transport: &Transport) -> Result<Vec<ImageCheck>> {
    let Some(lock) = Lockfile::read_for(manifest)? else {
        return Ok(Vec::new());
    };
    let mut now: BTreeMap<String, std::result::Result<String, String>> = BTreeMap::new();
    let mut out = Vec::new();
    for p in &lock.plugins {
        for i in &p.images {
            if !now.contains_key(&i.reference) {
                let r = match ImageRef::parse(&i.reference) {
                    Ok(image) => transport
                        .image_digest(&image, manifest.image_registry(&image.registry))
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                now.insert(i.reference.clone(), r);
            }
            let (current, error) = match &now[&i.reference] {
                Ok(d) => (Some(d.clone()), None),
                Err(e) => (None, Some(e.clone())),
            };
            out.push(ImageCheck {
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
