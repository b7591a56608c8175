//! The binary under its other names: as `optimus` (a symlink, `optimus plugin VERB`) and as
//! the Optimus extension `plugins` (`optimus plugins VERB`), installed and run the way
//! raystack/optimus's `client/extension` does it.

use super::{bin, Run, Sandbox};
use std::path::PathBuf;

/// The release tag the test extension is "installed" at: Optimus names the file after it.
pub const EXTENSION_TAG: &str = "v0.1.0";
/// The GitHub repository Optimus installs the extension from (`optimus extension install
/// OWNER/REPO`): Optimus only accepts repositories named `optimus-extension-*`, and the
/// command is the rest of the name.
pub const EXTENSION_OWNER: &str = "raystack";
pub const EXTENSION_REPO: &str = "optimus-extension-plugins";

impl Sandbox {
    /// A symlink named `optimus` to the binary (as an image that carries this tool instead of
    /// the Go binary has it), in the sandbox's `optimus-bin/`.
    pub fn optimus_symlink(&self) -> PathBuf {
        let dir = self.p("optimus-bin");
        let link = dir.join("optimus");
        if !link.exists() {
            std::fs::create_dir_all(&dir).unwrap();
            std::os::unix::fs::symlink(bin(), &link).unwrap();
        }
        link
    }

    /// Runs `optimus <args>` through the `optimus` symlink: `args` are the Optimus form,
    /// `plugin VERB ...`.
    pub fn as_optimus(&self, args: &[&str]) -> Run {
        let link = self.optimus_symlink();
        Run::from(self.command_of(&link, args).output().expect("run optimus"))
    }

    /// `$HOME` of the sandbox.
    pub fn home(&self) -> PathBuf {
        let home = self.env.iter().find(|(k, _)| k == "HOME").unwrap();
        PathBuf::from(&home.1)
    }

    /// What `optimus extension install raystack/optimus-extension-plugins` leaves: the release
    /// asset (the raw executable) written to
    /// `~/.optimus/extensions/github.com/OWNER/REPO/TAG` with mode 0755, and the manifest
    /// `~/.optimus/extensions/manifest.yaml` naming the command `plugins` (the repository
    /// name without `optimus-extension-`). Returns the installed file.
    pub fn install_extension(&self) -> PathBuf {
        let ext = self.home().join(".optimus/extensions");
        let dir = ext
            .join("github.com")
            .join(EXTENSION_OWNER)
            .join(EXTENSION_REPO);
        let file = dir.join(EXTENSION_TAG);
        if file.exists() {
            return file;
        }
        std::fs::create_dir_all(&dir).unwrap();
        // Optimus writes the downloaded bytes into a new file: a hard link has the same
        // bytes without copying a large debug binary for every test (a copy where links fail).
        if std::fs::hard_link(bin(), &file).is_err() {
            std::fs::copy(bin(), &file).unwrap();
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        let api = format!("https://api.github.com/repos/{EXTENSION_OWNER}/{EXTENSION_REPO}");
        let manifest = format!(
            "updated_at: 2026-01-01T00:00:00Z\n\
             repository_owners:\n\
             - name: {EXTENSION_OWNER}\n  provider: github\n  projects:\n\
             \x20 - name: {EXTENSION_REPO}\n    command_name: plugins\n    active_tag_name: {EXTENSION_TAG}\n\
             \x20   local_dir_path: {}\n    releases:\n\
             \x20   - tag_name: {EXTENSION_TAG}\n      current_api_path: {api}/releases/tags/{EXTENSION_TAG}\n\
             \x20     upgrade_api_path: {api}/releases/latest\n      metadata: {{}}\n\
             \x20     assets:\n      - name: plugins_linux-amd64\n        url: {api}/releases/assets/1\n",
            dir.display()
        );
        std::fs::write(ext.join("manifest.yaml"), manifest).unwrap();
        file
    }

    /// Runs `optimus plugins <args>` as Optimus does (client/cmd/extension/run.go and
    /// client/extension/default_asset_operator.go): the command `plugins` disables flag
    /// parsing, so `args` are passed on unparsed; the manifest gives the project whose
    /// command name is `plugins`, and its file `local_dir_path/active_tag_name` is executed
    /// with those args (argv[0] is that path), Optimus's stdin, stdout, stderr and
    /// environment. The exit code is the extension's own (Optimus itself then exits 1 on
    /// any failure).
    pub fn as_extension(&self, args: &[&str]) -> Run {
        self.install_extension();
        let ext = self.home().join(".optimus/extensions");
        let text = std::fs::read_to_string(ext.join("manifest.yaml")).unwrap();
        let manifest: serde_norway::Value = serde_norway::from_str(&text).unwrap();
        let project = manifest["repository_owners"]
            .as_sequence()
            .unwrap()
            .iter()
            .flat_map(|o| o["projects"].as_sequence().unwrap().iter())
            .find(|p| p["command_name"].as_str() == Some("plugins"))
            .expect("an extension with command name plugins");
        let file = PathBuf::from(project["local_dir_path"].as_str().unwrap())
            .join(project["active_tag_name"].as_str().unwrap());
        Run::from(
            self.command_of(&file, args)
                .output()
                .expect("run the extension"),
        )
    }
}
