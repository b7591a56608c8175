//! `validate`: check yaml plugins against the schema, every problem at its file:line:col.

use super::output::out;
use crate::error::{Error, Result};
use crate::extract::yaml_plugin;
use crate::model::names::yaml_plugin_name;
use crate::ui;
use std::path::{Path, PathBuf};

pub fn run(path: &Path) -> Result<()> {
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut v = Vec::new();
        collect_yaml_plugins(path, &mut v, 0)?;
        v.sort();
        if v.is_empty() {
            return Err(Error::config(format!(
                "{}: no yaml plugins (optimus-plugin-*.yaml) found",
                path.display()
            )));
        }
        v
    } else if path.is_file() {
        vec![path.to_path_buf()]
    } else {
        return Err(Error::config(format!(
            "{}: no such file or directory",
            path.display()
        )));
    };
    let mut bad = 0;
    let mut problems_total = 0;
    for f in &files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                out(&format!("{}: cannot read: {e}", f.display()));
                bad += 1;
                problems_total += 1;
                continue;
            }
        };
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let problems = yaml_plugin::validate_text(&text, &name);
        if !problems.is_empty() {
            bad += 1;
            problems_total += problems.len();
            out(&yaml_plugin::format_problems(
                &f.display().to_string(),
                &problems,
            ));
        } else {
            ui::debug(&format!("{}: ok", f.display()));
        }
    }
    if bad == 0 {
        ui::summary(&format!("{} yaml plugin(s) valid", files.len()));
        Ok(())
    } else {
        Err(Error::runtime(format!(
            "{problems_total} problem(s) in {bad} of {} yaml plugin(s)",
            files.len()
        )))
    }
}

fn collect_yaml_plugins(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<()> {
    if depth > 8 {
        return Ok(());
    }
    let rd = std::fs::read_dir(dir).map_err(|e| Error::path("reading", dir, e))?;
    for e in rd.flatten() {
        let p = e.path();
        let ft = e
            .file_type()
            .map_err(|err| Error::path("reading", &p, err))?;
        if ft.is_dir() {
            collect_yaml_plugins(&p, out, depth + 1)?;
        } else if ft.is_file() {
            let n = e.file_name().to_string_lossy().into_owned();
            if yaml_plugin_name(&n).is_some() {
                out.push(p);
            }
        }
    }
    Ok(())
}
