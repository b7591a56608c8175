//! goto: a job's `task.version` (and each hook's `version`) must be a key of its plugin's
//! `plugin_versions` (core/job/service/job_service.go `validatePlugin`), for `validate --jobs`.

use crate::upstream::yaml::Verdict;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A job that names a version its plugin does not list.
pub(super) struct Mismatch {
    /// The job spec (`job.yaml`).
    pub spec: PathBuf,
    /// Ours: which job, which plugin file, which versions it lists.
    pub message: String,
    /// The target's own words.
    pub said: String,
}

/// Every job under `dir` that names a version its plugin (one of `plugins`, by name) does
/// not list.
pub(super) fn check(dir: &Path, plugins: &BTreeMap<String, (PathBuf, Verdict)>) -> Vec<Mismatch> {
    let mut out = Vec::new();
    let mut specs = Vec::new();
    collect(dir, &mut specs, 0);
    specs.sort();
    for spec in specs {
        for (what, name, version) in uses(&spec) {
            let Some((file, v)) = plugins.get(&name) else {
                continue;
            };
            if v.versions.contains(&version) {
                continue;
            }
            let message = format!(
                "{what} {name} asks for version {version:?}, which {} does not list in plugin_versions ({})",
                file.display(),
                v.versions.join(", ")
            );
            let said = format!("plugin version [{name}:{version}] is not found");
            out.push(Mismatch {
                spec: spec.clone(),
                message,
                said,
            });
        }
    }
    out
}

/// (task or hook, plugin name, version) for every non-empty version a job spec asks for.
fn uses(spec: &Path) -> Vec<(&'static str, String, String)> {
    let Ok(text) = std::fs::read_to_string(spec) else {
        return Vec::new();
    };
    let Ok(doc) = serde_norway::from_str::<serde_norway::Value>(&text) else {
        return Vec::new();
    };
    let mut nodes = Vec::new();
    if let Some(t) = doc.get("task") {
        nodes.push(("task", t));
    }
    if let Some(serde_norway::Value::Sequence(hooks)) = doc.get("hooks") {
        nodes.extend(hooks.iter().map(|h| ("hook", h)));
    }
    nodes
        .into_iter()
        .filter_map(|(what, u)| {
            let name = u.get("name").and_then(|v| v.as_str()).unwrap_or("");
            let version = match u.get("version") {
                Some(serde_norway::Value::String(s)) => s.clone(),
                Some(serde_norway::Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            (!version.is_empty()).then(|| (what, name.to_string(), version))
        })
        .collect()
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 16 {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out, depth + 1);
        } else if e.file_name() == "job.yaml" {
            out.push(p);
        }
    }
}
