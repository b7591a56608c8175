//! `validate`: yaml plugins checked exactly as the target Optimus loads them. A directory is
//! read by the target's own discovery pass ([`super::startup`]: that directory only, its file
//! names, its de-duplication, its duplicate-name rule); a file passed by path may have any
//! name but must end in `.yaml`, as upstream's `optimus plugin validate` requires. What the
//! target refuses is an error (with its own message beside ours); advice is a warning.

use super::discover::{check_file, passed_over, startup, PassedOver};
use super::target::{Rules, Target};
use crate::error::{Error, Result};
use crate::upstream::yaml::{Problem, Verdict};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// Problems in one file, at its lines.
#[derive(Debug, Clone)]
pub struct Finding {
    pub file: PathBuf,
    pub severity: Severity,
    pub problems: Vec<Problem>,
    /// For an error: the target's own words (`optimus (<target>) says: ...`).
    pub upstream: Option<String>,
}

/// What `validate` found, in the order it is printed.
#[derive(Debug, Clone)]
pub struct Report {
    pub target: Target,
    pub path: PathBuf,
    pub findings: Vec<Finding>,
    /// Yaml plugin files checked.
    pub checked: usize,
    /// Files (and with `--jobs`, job specs) the target refuses.
    pub refused: usize,
    /// Files it loads with advice.
    pub warned: usize,
}

impl Report {
    /// The summary line, or the error the command ends with: exit 1 when anything is refused,
    /// exit 2 when a directory holds no yaml plugin at all.
    pub fn outcome(&self) -> Result<String> {
        let target = self.target;
        let rules = target.rules();
        if self.checked == 0 {
            return Err(Error::usage(
                self.path.display().to_string(),
                format!(
                    "no yaml plugins ({}*{}) found",
                    rules.yaml_prefix, rules.yaml_suffix
                ),
            ));
        }
        if self.refused > 0 {
            return Err(Error::document(
                self.path.display().to_string(),
                format!(
                    "Optimus ({target}) would refuse {} of {} yaml plugin(s)",
                    self.refused, self.checked
                ),
            ));
        }
        Ok(format!(
            "{} yaml plugin(s) load in Optimus ({target}){}",
            self.checked,
            match self.warned {
                0 => String::new(),
                n => format!("; {n} with warnings"),
            }
        ))
    }

    fn error(&mut self, file: &Path, problems: Vec<Problem>, upstream: Option<String>) {
        self.refused += 1;
        self.push(file, Severity::Error, problems, upstream);
    }

    fn push(
        &mut self,
        file: &Path,
        severity: Severity,
        problems: Vec<Problem>,
        up: Option<String>,
    ) {
        self.findings.push(Finding {
            file: file.to_path_buf(),
            severity,
            problems,
            upstream: up,
        });
    }
}

fn whole_file(message: String) -> Vec<Problem> {
    vec![Problem {
        line: None,
        column: None,
        message,
    }]
}

/// Checks `path` (a yaml plugin file or a directory of them) for `target`; with `jobs`
/// (goto), each job's `task.version` against its plugin's `plugin_versions`.
pub fn validate(path: &Path, target: Target, jobs: Option<&Path>) -> Result<Report> {
    let rules = target.rules();
    if jobs.is_some() && !rules.has_versions {
        return Err(Error::usage(
            "--jobs",
            format!("{target} plugins have no plugin_versions; use --target goto"),
        ));
    }
    let mut report = Report {
        target,
        path: path.to_path_buf(),
        findings: Vec::new(),
        checked: 0,
        refused: 0,
        warned: 0,
    };
    let loaded = if path.is_dir() {
        check_dir(&mut report, path, rules)
    } else if path.is_file() {
        check_one_file(&mut report, path, rules)
    } else {
        return Err(Error::usage(
            path.display().to_string(),
            "no such file or directory",
        ));
    };
    for m in jobs.map_or_else(Vec::new, |j| super::jobs::check(j, &loaded)) {
        report.error(&m.spec, whole_file(m.message), Some(m.said));
    }
    Ok(report)
}

/// The plugins that load, by `name:`: (file, verdict).
type Loaded = BTreeMap<String, (PathBuf, Verdict)>;

fn check_dir(report: &mut Report, dir: &Path, rules: &Rules) -> Loaded {
    for (p, why) in passed_over(rules, dir) {
        let message = match why {
            PassedOver::Named => format!(
                "not checked: {} never loads it (a yaml plugin is named {}<name>{}): rename it to {}",
                rules.name,
                rules.yaml_prefix,
                rules.yaml_suffix,
                loadable_name(&p, &check_file(&p, rules), rules)
            ),
            PassedOver::Subdirectory => format!(
                "not checked: {} does not look into subdirectories",
                rules.name
            ),
        };
        report.push(&p, Severity::Warning, whole_file(message), None);
    }
    let mut loaded = Loaded::new();
    for f in startup(rules, &[dir.to_path_buf()], None).yaml {
        report.checked += 1;
        if let Some(r) = &f.verdict.refusal {
            report.error(&f.path, f.verdict.errors.clone(), Some(r.clone()));
            continue;
        }
        let mut advice = f.verdict.warnings.clone();
        if let Some(h) = &f.hidden_by {
            advice.extend(whole_file(format!(
                "{} never loads it: discovery drops it because the earlier {} contains its name up to the first `_`",
                rules.name,
                h.display()
            )));
        }
        if !advice.is_empty() {
            report.warned += 1;
            report.push(&f.path, Severity::Warning, advice, None);
        }
        if let Some(first) = &f.name_taken_by {
            let name = f.name();
            report.error(
                &f.path,
                whole_file(format!(
                    "plugin `{name}` is also defined by {}: Optimus refuses to start",
                    first.display()
                )),
                Some(format!("{}{name}", rules.duplicate_name)),
            );
            continue;
        }
        loaded
            .entry(f.name().to_string())
            .or_insert((f.path.clone(), f.verdict));
    }
    loaded
}

fn check_one_file(report: &mut Report, file: &Path, rules: &Rules) -> Loaded {
    report.checked += 1;
    let verdict = check_file(file, rules);
    let mut loaded = Loaded::new();
    // filepath.Ext(p) != ".yaml" (client/cmd/plugin/validate.go), and discovery's suffix.
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = name.rfind('.').map_or("", |i| &name[i..]);
    if ext != ".yaml" {
        let why = match rules.validate_not_yaml {
            Some(_) => format!("{}'s `optimus plugin validate` refuses a file not ending in `.yaml`, and its discovery never loads one", rules.name),
            None => format!("{}'s discovery never loads a file not ending in `.yaml`", rules.name),
        };
        let message = format!(
            "not a .yaml file: {why}: rename it to {}",
            loadable_name(file, &verdict, rules)
        );
        let said = rules
            .validate_not_yaml
            .map(|t| format!("{t}{}", file.display()));
        report.error(file, whole_file(message), said);
        return loaded;
    }
    if let Some(r) = &verdict.refusal {
        report.error(file, verdict.errors.clone(), Some(r.clone()));
        return loaded;
    }
    if !verdict.warnings.is_empty() {
        report.warned += 1;
        report.push(file, Severity::Warning, verdict.warnings.clone(), None);
    }
    let name = verdict.name.clone().unwrap_or_default();
    loaded.insert(name, (file.to_path_buf(), verdict));
    loaded
}

/// The file name the target discovers for the plugin in `file`: `optimus-plugin-neo.yml` →
/// `optimus-plugin-neo.yaml`; `neo.yml` → `optimus-plugin-<its name:>.yaml` (else `-neo.yaml`).
fn loadable_name(file: &Path, verdict: &Verdict, rules: &Rules) -> String {
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = match file_name.rfind('.') {
        Some(i) if i > 0 => &file_name[..i],
        _ => file_name.as_str(),
    };
    let declared = verdict
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.contains(['/', '\\']));
    let name = match (stem.strip_prefix(rules.yaml_prefix), declared) {
        (Some(n), _) => n,
        (None, Some(n)) => n,
        (None, None) => stem,
    };
    format!("{}{name}{}", rules.yaml_prefix, rules.yaml_suffix)
}
