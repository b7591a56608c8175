//! `keygen` and `completions`.

use super::read_password_env;
use crate::cli::Cli;
use crate::error::Result;
use crate::registry::signing;
use crate::ui;
use std::path::Path;

pub fn keygen(output: &Path, password_env: Option<&str>, force: bool) -> Result<()> {
    let password = password_env.map(read_password_env).transpose()?;
    let (key, pubf, pk) = signing::keygen(output, password, force)?;
    ui::note(&format!(
        "pin this key in optimus.yaml under the registry provider:\n  public_keys: [\"{pk}\"]"
    ));
    ui::summary(&format!("wrote {} and {}", key.display(), pubf.display()));
    Ok(())
}

pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    use clap::CommandFactory;
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "optimus",
        &mut std::io::stdout(),
    );
    Ok(())
}
