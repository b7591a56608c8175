//! `validate`: check yaml plugins exactly as the target Optimus loads them. What it refuses is
//! an error (with its own message beside ours); advice is a warning. Both at file:line:col.

use super::output::out;
use crate::error::{Error, Result};
use crate::extract::yaml_plugin::{self, Problem, Verdict};
use crate::model::target::Target;
use crate::ui;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn run(path: &Path, target: Option<Target>, jobs: Option<&Path>) -> Result<()> {
    let target = target.unwrap_or_default();
    let rules = target.rules();
    let mut warnings: Vec<(PathBuf, Problem)> = Vec::new();
    let files: Vec<PathBuf> = if path.is_dir() {
        // Like discovery: this directory only, the target's file-name pattern.
        let mut v = Vec::new();
        let rd = std::fs::read_dir(path).map_err(|e| Error::path("reading", path, e))?;
        for e in rd.flatten() {
            let p = e.path();
            let n = e.file_name().to_string_lossy().into_owned();
            if p.is_file() && rules.is_yaml_file(&n) {
                v.push(p);
            } else if p.is_file() && (n.ends_with(".yaml") || n.ends_with(".yml")) {
                warnings.push((
                    p,
                    Problem {
                        line: None,
                        column: None,
                        message: format!(
                            "not checked: {} never loads it (a yaml plugin is named {}<name>{})",
                            rules.name, rules.yaml_prefix, rules.yaml_suffix
                        ),
                    },
                ));
            } else if p.is_dir() && has_yaml_plugin(&p, rules) {
                warnings.push((
                    p,
                    Problem {
                        line: None,
                        column: None,
                        message: format!(
                            "not checked: {} does not look into subdirectories",
                            rules.name
                        ),
                    },
                ));
            }
        }
        v.sort();
        if v.is_empty() {
            for (p, w) in &warnings {
                out(&format!("{}: warning: {}", p.display(), w.message));
            }
            return Err(Error::config(format!(
                "{}: no yaml plugins ({}*{}) found",
                path.display(),
                rules.yaml_prefix,
                rules.yaml_suffix
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
    for (p, w) in &warnings {
        out(&format!("{}: warning: {}", p.display(), w.message));
    }
    let mut refused = 0;
    let mut warned = 0;
    let mut loaded: BTreeMap<String, (PathBuf, Verdict)> = BTreeMap::new();
    for f in &files {
        let shown = f.display().to_string();
        let text = match std::fs::read(f) {
            Ok(t) => t,
            Err(e) => {
                out(&format!("{shown}: error: cannot read: {e}"));
                refused += 1;
                continue;
            }
        };
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let v = yaml_plugin::check_bytes(&text, &name, target);
        if let Some(r) = &v.refusal {
            refused += 1;
            out(&lines(&shown, "error", &v.errors));
            out(&format!(
                "  optimus ({target}) says: {}",
                r.replace('\n', "\n  ")
            ));
            continue;
        }
        if !v.warnings.is_empty() {
            warned += 1;
            out(&lines(&shown, "warning", &v.warnings));
        }
        ui::debug(&format!("{shown}: {target} loads it"));
        let pname = v.name.clone().unwrap_or_default();
        // Two files with one `name:` stop Optimus at startup (only files it would load).
        let discovered = rules.is_yaml_file(&name);
        if discovered {
            if let Some((first, _)) = loaded.get(&pname) {
                refused += 1;
                out(&format!(
                    "{shown}: error: plugin `{pname}` is also defined by {}: Optimus refuses to start\n  optimus ({target}) says: {}{pname}",
                    first.display(),
                    rules.duplicate_name
                ));
                continue;
            }
            loaded.insert(pname, (f.clone(), v));
        } else {
            loaded.entry(pname).or_insert((f.clone(), v));
        }
    }
    if let Some(jobs) = jobs {
        refused += check_jobs(jobs, &loaded, target)?;
    }
    if refused == 0 {
        ui::summary(&format!(
            "{} yaml plugin(s) load in Optimus ({target}){}",
            files.len(),
            if warned > 0 {
                format!("; {warned} with warnings")
            } else {
                String::new()
            }
        ));
        Ok(())
    } else {
        Err(Error::runtime(format!(
            "Optimus ({target}) would refuse {refused} of {} yaml plugin(s)",
            files.len()
        )))
    }
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

fn has_yaml_plugin(dir: &Path, rules: &crate::model::target::Rules) -> bool {
    std::fs::read_dir(dir).is_ok_and(|rd| {
        rd.flatten()
            .any(|e| rules.is_yaml_file(&e.file_name().to_string_lossy()))
    })
}

/// goto: a job's `task.version` (and each hook's `version`) must be a key of its plugin's
/// `plugin_versions` (core/job/service/job_service.go `validatePlugin`). Returns the number of
/// jobs refused.
fn check_jobs(
    dir: &Path,
    plugins: &BTreeMap<String, (PathBuf, Verdict)>,
    target: Target,
) -> Result<usize> {
    if !target.rules().has_versions {
        return Err(Error::config(format!(
            "--jobs: {target} plugins have no plugin_versions; use --target goto"
        )));
    }
    let mut specs = Vec::new();
    collect_jobs(dir, &mut specs, 0);
    specs.sort();
    let mut bad = 0;
    for spec in specs {
        let Ok(text) = std::fs::read_to_string(&spec) else {
            continue;
        };
        let Ok(doc) = serde_norway::from_str::<serde_norway::Value>(&text) else {
            continue;
        };
        let mut uses = Vec::new();
        if let Some(t) = doc.get("task") {
            uses.push(("task", t));
        }
        if let Some(serde_norway::Value::Sequence(hooks)) = doc.get("hooks") {
            uses.extend(hooks.iter().map(|h| ("hook", h)));
        }
        for (what, u) in uses {
            let name = u.get("name").and_then(|v| v.as_str()).unwrap_or("");
            let version = match u.get("version") {
                Some(serde_norway::Value::String(s)) => s.clone(),
                Some(serde_norway::Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            if version.is_empty() {
                continue;
            }
            let Some((file, v)) = plugins.get(name) else {
                continue;
            };
            if !v.versions.contains(&version) {
                bad += 1;
                out(&format!(
                    "{}: error: {what} {name} asks for version {version:?}, which {} does not list in plugin_versions ({})\n  optimus ({target}) says: plugin version [{name}:{version}] is not found",
                    spec.display(),
                    file.display(),
                    v.versions.join(", ")
                ));
            }
        }
    }
    Ok(bad)
}

fn collect_jobs(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 16 {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_jobs(&p, out, depth + 1);
        } else if e.file_name() == "job.yaml" {
            out.push(p);
        }
    }
}
