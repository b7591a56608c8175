//! `validate`: check yaml plugins exactly as the target Optimus loads them. The library makes
//! the report (`upstream::validate`); this file finds the config and prints the report. What
//! the target refuses is an error (with its own message beside ours); advice is a warning.
//! Both at file:line:col.

use super::args;
use crate::cli::ValidateArgs;
use crate::config::{self, Environment, DEFAULT_CONFIG};
use crate::error::Result;
use crate::model::fsutil::shown;
use crate::ui::Ui;
use crate::upstream::target::Target;
use crate::upstream::yaml::Problem;
use crate::upstream::{self, Severity};
use std::path::{Path, PathBuf};

pub fn run(a: &ValidateArgs, env: &Environment, ui: &Ui) -> Result<()> {
    let (path, target) = what_to_check(a, env, ui)?;
    let report = upstream::validate(&path, target, a.jobs.as_deref())?;
    for f in &report.findings {
        let severity = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        ui.out(&lines(&f.file.display().to_string(), severity, &f.problems));
        if let Some(said) = &f.upstream {
            ui.out(&format!(
                "  optimus ({target}) says: {}",
                said.replace('\n', "\n  ")
            ));
        }
    }
    ui.summary(&report.outcome()?);
    Ok(())
}

/// The path and target, as `list` reads them: `--path`, else the config's plugin dir (else
/// `.plugins`); `--target`, else the config's `plugins.target`. The config is `-c FILE` (it
/// must exist), else `optimus.yaml` when there is one; a client config declares nothing.
fn what_to_check(a: &ValidateArgs, env: &Environment, ui: &Ui) -> Result<(PathBuf, Target)> {
    let target = args::target(&a.target)?;
    let config = match a.config.as_deref() {
        Some(c) => Some(c),
        None => Some(Path::new(DEFAULT_CONFIG)).filter(|c| c.is_file()),
    };
    let manifest = match config {
        Some(c) => Some(config::load_project(c, env)?.0),
        None => None,
    };
    let path = match (a.path.as_deref(), &manifest) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some(m)) => PathBuf::from(shown(&m.plugin_dir)),
        (None, None) => env
            .plugin_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from(".plugins")),
    };
    let target = target.or(manifest.map(|m| m.target)).unwrap_or_default();
    ui.debug(&format!("validating {} for {target}", path.display()));
    Ok((path, target))
}

fn lines(file: &str, severity: &str, problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| match (p.line, p.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}: {severity}: {}", p.message),
            (Some(l), None) => format!("{file}:{l}: {severity}: {}", p.message),
            _ => format!("{file}: {severity}: {}", p.message),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
