//! `verify` whole: the installed files against the lock and receipts ([`super::verify`]), the
//! locked versions against their registries' yanks ([`super::yanks`]) and the locked image
//! tags against what they name now ([`super::images`]), as the lines the command prints.

use super::images::{check_images, ImageCheck, ImageChecks};
use super::verify::{verify, Verification};
use super::yanks::{check_project, YankCheck};
use crate::config::Manifest;
use crate::error::Result;
use crate::model::fsutil::shown;
use crate::model::platform::Platform;
use crate::registry::Registries;
use crate::source::Transport;

/// What `verify` checks besides the files.
#[derive(Clone, Copy, Debug, Default)]
pub struct CheckupOptions {
    /// No network: yanks from the cached indexes only, image tags not asked.
    pub offline: bool,
    /// A yanked locked version (or one whose index cannot be read) is a problem, not a
    /// warning.
    pub deny_yanked: bool,
}

/// What `verify` found.
#[derive(Debug)]
pub struct Checkup {
    pub files: Verification,
    pub yanks: YankCheck,
    pub images: ImageChecks,
    /// Worth a word, not a failure: files this tool did not install, yanks (without
    /// `--deny-yanked`).
    pub warnings: Vec<String>,
    /// Every difference, one line each: the files' ([`Verification::problems`]), then yanks
    /// (with `--deny-yanked`), then image tags.
    pub problems: Vec<String>,
}

impl Checkup {
    /// What to do about the problems besides `install` (which restores the files).
    pub fn fixes(&self, m: &Manifest) -> String {
        let mut fix = String::new();
        if self.images.images.iter().any(|i| i.moved) {
            fix.push_str(&format!(
                " (a moved tag: `{}` locks its new digest, or pin the old one)",
                m.command("update NAME")
            ));
        }
        if !self.yanks.yanked.is_empty() {
            fix.push_str(&format!(
                "; `{}` moves off yanked versions",
                m.command("update")
            ));
        }
        fix
    }

    /// What was checked besides the files, for the summary of a clean run.
    pub fn also_checked(&self) -> String {
        let mut note = String::new();
        if !self.images.images.is_empty() {
            let n = self.images.images.len();
            note.push_str(&format!("; {n} locked image tag(s) unmoved"));
        }
        if !self.yanks.yanked.is_empty() {
            note.push_str(&format!(
                "; {} locked version(s) yanked in the registry (see above)",
                self.yanks.yanked.len()
            ));
        }
        note
    }
}

/// Verifies the project of `manifest` for `platform`: files, yanks, image tags.
pub async fn checkup(
    manifest: &Manifest,
    registries: &Registries,
    transport: &Transport,
    platform: &Platform,
    o: CheckupOptions,
) -> Result<Checkup> {
    let files = verify(manifest, platform)?;
    // Plugin files nobody installed: not a failure (they are the user's), but worth a word.
    let mut warnings: Vec<String> = files
        .unmanaged
        .iter()
        .map(|p| {
            format!(
                "{} was not installed by optimus-plugins (not verified)",
                shown(p)
            )
        })
        .collect();
    let mut problems = files.problems.clone();
    let yanks = check_project(manifest, registries, platform).await?;
    let unchecked = yanks.unchecked.iter().map(|(name, e)| {
        format!("unchecked {name} (cannot tell whether its locked version is yanked: {e})")
    });
    let yanked = yanks.yanked.iter().map(|y| {
        let update = manifest.command(&format!("update {}", y.name));
        format!("yanked    {} (run `{update}`)", y.describe())
    });
    let lines = unchecked.chain(yanked);
    match o.deny_yanked {
        true => problems.extend(lines),
        false => warnings.extend(lines),
    }
    let images = match o.offline {
        true => ImageChecks::default(),
        false => check_images(manifest, transport).await?,
    };
    problems.extend(images.images.iter().filter_map(ImageCheck::problem));
    Ok(Checkup {
        files,
        yanks,
        images,
        warnings,
        problems,
    })
}
