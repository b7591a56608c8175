//! The architecture, checked: imports run downward only, nothing below the command layer
//! prints, URLs are told from paths in one place, and no source file reaches 500 lines.
//! (docs/architecture.md explains the layers.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module's layer: a module may import only modules of a lower layer.
const LAYERS: &[(&str, u32)] = &[
    ("error", 0),
    ("model", 1),
    ("upstream", 2),
    ("config", 3),
    ("source", 4),
    ("store", 5),
    ("extract", 5),
    ("registry", 6),
    ("lockfile", 6),
    ("receipts", 6),
    ("resolve", 7),
    ("status", 8),
    ("install", 9),
    ("cli", 10),
    ("ui", 10),
    ("commands", 11),
];

fn layer(module: &str) -> u32 {
    LAYERS
        .iter()
        .find(|(m, _)| *m == module)
        .unwrap_or_else(|| panic!("module {module} has no layer in tests/architecture.rs"))
        .1
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// (top-level module of the file, its text) for every source file but lib.rs and main.rs.
fn files() -> Vec<(String, PathBuf, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    sources(&src, &mut all);
    all.sort();
    all.into_iter()
        .filter_map(|p| {
            let rel = p.strip_prefix(&src).unwrap().to_path_buf();
            let first = rel
                .components()
                .next()?
                .as_os_str()
                .to_string_lossy()
                .into_owned();
            let module = first.trim_end_matches(".rs").to_string();
            if module == "lib" || module == "main" {
                return None;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            Some((module, rel, text))
        })
        .collect()
}

/// The code of a file without its `#[cfg(test)]` tail (unit tests may use anything).
fn code(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap()
}

/// Every `crate::<module>` a text names.
fn imports(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + 7..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.push(name);
        }
        rest = after;
    }
    // `use crate::{a, b}` groups
    let mut rest = text;
    while let Some(i) = rest.find("crate::{") {
        let after = &rest[i + 8..];
        let group = &after[..after.find('}').unwrap_or(0)];
        for part in group.split(',') {
            let name: String = part
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
        rest = after;
    }
    out
}

#[test]
fn imports_run_downward_only() {
    let mut upward = Vec::new();
    let mut edges: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (module, rel, text) in files() {
        for target in imports(code(&text)) {
            if target == module || target == "Error" || target == "Result" {
                continue;
            }
            edges
                .entry((module.clone(), target.clone()))
                .or_default()
                .push(rel.display().to_string());
            if layer(&target) >= layer(&module) {
                upward.push(format!("{} imports crate::{target}", rel.display()));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that do not run downward:\n{}",
        upward.join("\n")
    );
    // The layers hold no cycle (implied by the ranks; checked directly too).
    for (a, b) in edges.keys() {
        assert!(
            !edges.contains_key(&(b.clone(), a.clone())),
            "{a} and {b} import each other"
        );
    }
}

#[test]
fn only_the_command_layer_prints() {
    let printing = [
        "println!",
        "eprintln!",
        "print!(",
        "eprint!(",
        "ui::",
        "std::io::stdout",
        "std::io::stderr",
    ];
    let mut found = Vec::new();
    for (module, rel, text) in files() {
        if matches!(module.as_str(), "commands" | "ui" | "cli") {
            continue;
        }
        for p in printing {
            if code(&text).contains(p) {
                found.push(format!("{}: {p}", rel.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "printing below the command layer:\n{}",
        found.join("\n")
    );
}

#[test]
fn urls_are_told_from_paths_in_one_place() {
    let found: Vec<String> = files()
        .into_iter()
        .filter(|(_, rel, text)| {
            rel != Path::new("model/location.rs") && code(text).contains("contains(\"://\")")
        })
        .map(|(_, rel, _)| rel.display().to_string())
        .collect();
    assert!(
        found.is_empty(),
        "`://` tested outside model/location.rs: {found:?}"
    );
}

#[test]
fn no_source_file_reaches_500_lines() {
    let big: Vec<String> = files()
        .into_iter()
        .filter(|(_, _, text)| text.lines().count() >= 500)
        .map(|(_, rel, text)| format!("{} ({} lines)", rel.display(), text.lines().count()))
        .collect();
    assert!(big.is_empty(), "source files of 500 lines or more: {big:?}");
}

#[test]
fn the_environment_is_read_in_one_place() {
    let found: Vec<String> = files()
        .into_iter()
        .filter(|(module, rel, text)| {
            let reads = code(text).contains("std::env::var");
            // config reads it (env.rs once, and `${VAR}` expansion); the command layer reads
            // only what a flag names (--password-env).
            reads && module != "commands" && !rel.starts_with("config")
        })
        .map(|(_, rel, _)| rel.display().to_string())
        .collect();
    assert!(
        found.is_empty(),
        "environment read outside config/: {found:?}"
    );
}

/// The file a module path names (`a/b` → `a/b.rs` or `a/b/mod.rs`), trying the longest prefix
/// of `parts` that exists.
fn file_of(src: &Path, parts: &[String]) -> Option<PathBuf> {
    for n in (1..=parts.len()).rev() {
        let rel: PathBuf = parts[..n].iter().collect();
        for cand in [rel.with_extension("rs"), rel.join("mod.rs")] {
            if src.join(&cand).is_file() {
                return Some(cand);
            }
        }
    }
    None
}

/// The module path of a file: `a/b.rs` and `a/b/mod.rs` → [a, b].
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    if last != "mod.rs" {
        parts.push(last.trim_end_matches(".rs").to_string());
    }
    parts
}

/// The paths (`crate::a::b`, `super::x`) a text names, as module paths from the crate root.
fn file_imports(rel: &Path, text: &str) -> Vec<Vec<String>> {
    let here = module_of(rel);
    let mut out = Vec::new();
    for (prefix, base) in [
        ("crate::", Vec::new()),
        ("super::", here[..here.len().saturating_sub(1)].to_vec()),
    ] {
        let mut rest = text;
        while let Some(i) = rest.find(prefix) {
            let ok_before = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric();
            let after = &rest[i + prefix.len()..];
            rest = after;
            if !ok_before {
                continue;
            }
            let path: Vec<String> = after
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .next()
                .unwrap_or("")
                .split("::")
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            let mut full = base.clone();
            full.extend(path);
            out.push(full);
        }
    }
    out
}

#[test]
fn no_file_level_import_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for (_, rel, text) in files() {
        let here = module_of(&rel);
        for path in file_imports(&rel, code(&text)) {
            let Some(target) = file_of(&src, &path) else {
                continue;
            };
            let there = module_of(&target);
            // A file and the modules that contain it are one unit (`mod.rs` declares its
            // children and they use what it defines).
            if target == rel || here.starts_with(&there) || there.starts_with(&here) {
                continue;
            }
            edges.entry(rel.clone()).or_default().push(target);
        }
    }
    // Depth-first search for a cycle.
    fn visit(
        n: &PathBuf,
        edges: &BTreeMap<PathBuf, Vec<PathBuf>>,
        state: &mut BTreeMap<PathBuf, u8>,
        stack: &mut Vec<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        match state.get(n) {
            Some(1) => {
                let i = stack.iter().position(|s| s == n).unwrap();
                return Some(stack[i..].to_vec());
            }
            Some(2) => return None,
            _ => {}
        }
        state.insert(n.clone(), 1);
        stack.push(n.clone());
        for m in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, edges, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(n.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        let mut stack = Vec::new();
        if let Some(cycle) = visit(n, &edges, &mut state, &mut stack) {
            panic!("import cycle between files: {cycle:?}");
        }
    }
}

/// The free-form error constructors (a message and nothing else) and every error construction
/// in the library's code (tests aside).
fn error_constructions() -> (Vec<String>, usize) {
    let free = [
        "Error::config(",
        "Error::runtime(",
        "Error::Config(",
        "Error::Runtime(",
    ];
    let structured = regex::Regex::new(
        r"Error::(Usage|ConfigFile|ConfigSyntax|Env|Lock|Unresolvable|Key|Registry|Document|Signature|Checksum|Http|Transient|Io|Write|Archive|NotOurs|Refused|Plugin|At|Noted|Many|Invalid|Download|Retried|Credential|ConfigMissing|Interrupted)\b|Error::(path|in_config|in_lock|document|usage|transient|invalid)\(|write_error(_fix)?\(|toml_error\(",
    )
    .unwrap();
    let mut free_sites = Vec::new();
    let mut total = 0;
    for (_, rel, text) in files() {
        if rel == Path::new("error.rs") {
            continue;
        }
        for (n, line) in code(&text).lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            let f = free.iter().map(|p| line.matches(p).count()).sum::<usize>();
            for _ in 0..f {
                free_sites.push(format!("{}:{}", rel.display(), n + 1));
            }
            total += f + structured.find_iter(line).count();
        }
    }
    (free_sites, total)
}

#[test]
fn at_most_one_error_in_ten_is_free_form_text() {
    // An error says what happened and where (file and line, registry and URL, expected and
    // actual digest) in a variant of its own, and the variant decides the exit code: a message
    // alone (`Error::config(String)`, `Error::runtime(String)`) is for what no variant fits.
    let (free, total) = error_constructions();
    assert!(
        free.len() * 10 <= total,
        "{} of {total} error constructions are free-form text (at most one in ten):\n  {}",
        free.len(),
        free.join("\n  ")
    );
}

/// Every `fn` in `text` with its first line and length in lines (to its closing brace at the
/// same indentation).
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        let is_fn = [
            "fn ",
            "pub fn ",
            "pub(crate) fn ",
            "pub(super) fn ",
            "async fn ",
            "pub async fn ",
            "pub(crate) async fn ",
        ]
        .iter()
        .any(|p| t.starts_with(p));
        if !is_fn {
            continue;
        }
        let indent = l.len() - t.len();
        let close = format!("{}}}", " ".repeat(indent));
        if let Some(end) = lines[i..].iter().position(|x| *x == close) {
            let name = t.split('(').next().unwrap_or(t).to_string();
            out.push((name, i + 1, end + 1));
        }
    }
    out
}

#[test]
fn command_functions_stay_short() {
    // `commands/` parses, calls the library and prints: what a command computes belongs to the
    // library, so no function there needs more than 80 lines.
    let mut long = Vec::new();
    for (module, rel, text) in files() {
        if module != "commands" {
            continue;
        }
        for (name, at, len) in functions(code(&text)) {
            if len > 80 {
                long.push(format!("{}:{at} {name} ({len} lines)", rel.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over 80 lines in src/commands/:\n  {}",
        long.join("\n  ")
    );
}

#[test]
fn no_global_mutable_state_but_the_secret_list_and_the_interrupt_registry() {
    // Global mutable state hides who changes what. Two exist on purpose: the secret list
    // (every error path, in any layer, scrubs against it before printing) and the interrupt
    // registry (the signal thread removes this process's temp files through it).
    let allowed = [
        Path::new("model/redact.rs"),
        Path::new("model/interrupt.rs"),
    ];
    let global = regex::Regex::new(
        r"\bstatic\s+(mut\s+)?[A-Z_][A-Z0-9_]*\s*:\s*[^=]*\b(Mutex|RwLock|OnceLock|OnceCell|LazyLock|Lazy|Atomic[A-Za-z0-9]*|Cell|RefCell|UnsafeCell)\b|thread_local!",
    )
    .unwrap();
    let mut found = Vec::new();
    for (_, rel, text) in files() {
        if allowed.contains(&rel.as_path()) {
            continue;
        }
        for (n, line) in code(&text).lines().enumerate() {
            if global.is_match(line) {
                found.push(format!("{}:{}: {}", rel.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "global mutable state:\n  {}",
        found.join("\n  ")
    );
}
