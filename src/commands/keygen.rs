//! `keygen`, `sign` and `completions`.

use super::args;
use crate::cli::{KeygenArgs, SignArgs};
use crate::error::{Error, Result};
use crate::model::keys::key_id_of;
use crate::registry::signing::{self, SigningKey};
use crate::ui::Ui;
use std::path::PathBuf;

pub fn keygen(a: &KeygenArgs, ui: &Ui) -> Result<()> {
    let password = a
        .password_env
        .as_deref()
        .map(args::password_env)
        .transpose()?;
    let (key, pubf, pk) = signing::keygen(&a.output, password, a.force)?;
    ui.note(&format!(
        "pin this key in optimus.yaml under the registry provider:\n  public_keys: [\"{pk}\"]"
    ));
    ui.summary(&format!("wrote {} and {}", key.display(), pubf.display()));
    Ok(())
}

/// Writes `FILE.minisig` beside each file: a minisign signature of its exact bytes, made with
/// the same key type and code as the registry's index signatures (a release's `SHA256SUMS`
/// is verified with `minisign -Vm SHA256SUMS -p KEY.pub`).
pub fn sign(a: &SignArgs, ui: &Ui) -> Result<()> {
    let password = a
        .password_env
        .as_deref()
        .map(args::password_env)
        .transpose()?;
    // Every file must be there before the key (maybe encrypted: slow) is opened.
    if let Some(f) = a.files.iter().find(|f| !f.is_file()) {
        return Err(Error::usage(
            "sign",
            format!(
                "{} is not a file; name the files to sign (e.g. dist/SHA256SUMS)",
                f.display()
            ),
        ));
    }
    let key = SigningKey::load(&a.secret_key, password)?;
    for f in &a.files {
        let data = std::fs::read(f).map_err(|e| Error::path("reading", f, e))?;
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sig = key.sign(&data, &name)?;
        let out = PathBuf::from(format!("{}.minisig", f.display()));
        crate::model::fsutil::write_atomic(&out, sig.as_bytes())?;
        ui.note(&format!("wrote {}", out.display()));
    }
    let id = key_id_of(&key.public_key_base64()).unwrap_or_default();
    ui.summary(&format!("signed {} file(s) with key {id}", a.files.len()));
    Ok(())
}

/// Completions for `cmd` (the command tree of the form this was invoked under), named `bin`.
/// Printed to stdout only: a file is written by the shell redirection the user types.
pub fn completions(shell: clap_complete::Shell, cmd: &mut clap::Command, bin: &str) -> Result<()> {
    clap_complete::generate(shell, cmd, bin, &mut std::io::stdout());
    Ok(())
}
