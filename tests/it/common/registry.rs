//! Signed registries built with the real `keygen` and `publish`, the plugins published into
//! them, and the configs that use them.

// The one library path the harness uses (re-signing what a hostile publisher edited).
use optimus_plugins::registry::signing::SigningKey;

use super::{sha256_file, write_targz, Run, Sandbox, PLAT};
use std::path::{Path, PathBuf};

/// Runs the real `keygen` with the output prefix `<sandbox>/keys/<name>`: the secret key's
/// path and the public key.
pub fn keygen(sb: &Sandbox, name: &str) -> (PathBuf, String) {
    let prefix = sb.p(&format!("keys/{name}"));
    sb.plugin(&["keygen", "--output", prefix.to_str().unwrap()])
        .ok();
    let pub_text = std::fs::read_to_string(format!("{}.pub", prefix.display())).unwrap();
    (
        PathBuf::from(format!("{}.key", prefix.display())),
        pub_text.lines().nth(1).unwrap().trim().to_string(),
    )
}

/// A signed registry in `<sandbox>/<name>`, built with the real `keygen` and `publish`.
pub struct Registry {
    pub root: PathBuf,
    pub key: PathBuf,
    pub public_key: String,
}

impl Registry {
    pub fn new(sb: &Sandbox, name: &str) -> Registry {
        let (key, public_key) = keygen(sb, name);
        Registry {
            root: sb.p(name),
            key,
            public_key,
        }
    }

    /// `optimus plugin <verb> --registry <root> --secret-key <key> <args>...` (publish, yank).
    pub fn run(&self, sb: &Sandbox, verb: &str, args: &[&str]) -> Run {
        let (root, key) = (
            self.root.display().to_string(),
            self.key.display().to_string(),
        );
        let mut a = vec![verb, "--registry", &root, "--secret-key", &key];
        a.extend_from_slice(args);
        sb.plugin(&a)
    }

    pub fn publish(
        &self,
        sb: &Sandbox,
        extra: &[&str],
        name: &str,
        version: &str,
        artifacts: &[&Path],
    ) -> Run {
        let files: Vec<String> = artifacts.iter().map(|p| p.display().to_string()).collect();
        let mut args = extra.to_vec();
        args.extend([name, version]);
        args.extend(files.iter().map(String::as_str));
        self.run(sb, "publish", &args)
    }

    /// Publishes the yaml plugin `name` at `version` (from [`make_yaml`]).
    pub fn publish_yaml(&self, sb: &Sandbox, name: &str, version: &str) -> Run {
        self.publish(sb, &[], name, version, &[&make_yaml(sb, name, version)])
    }

    /// Publishes the binary task plugin `name` at `version`: one tar.gz (from [`make_targz`])
    /// for each platform, without a yaml plugin (`--binary-only`: the suites test caching,
    /// hostile archives and the like on one file per plugin; `plugin_pairs` tests the pair).
    pub fn publish_task(&self, sb: &Sandbox, name: &str, version: &str, platforms: &[&str]) -> Run {
        let artifacts: Vec<PathBuf> = platforms
            .iter()
            .map(|p| make_targz(sb, name, version, p))
            .collect();
        let refs: Vec<&Path> = artifacts.iter().map(PathBuf::as_path).collect();
        self.publish(
            sb,
            &["--type", "task", "--binary-only"],
            name,
            version,
            &refs,
        )
    }

    /// Re-signs `index/<name>.toml` as it now is, with this registry's key, and lists it in
    /// a re-signed `timestamp.toml` (next version) as a key holder's publish would.
    pub fn resign(&self, name: &str) {
        let path = self.root.join(format!("index/{name}.toml"));
        let data = std::fs::read(&path).unwrap();
        let key = SigningKey::load(&self.key, None).unwrap();
        let sig = key.sign(&data, &format!("{name}.toml")).unwrap();
        std::fs::write(format!("{}.minisig", path.display()), sig).unwrap();
        let ts_path = self.root.join("timestamp.toml");
        let Ok(text) = std::fs::read_to_string(&ts_path) else {
            return;
        };
        let mut ts: toml::Table = text.parse().unwrap();
        let next = ts["version"].as_integer().unwrap() + 1;
        ts.insert("version".into(), next.into());
        let meta = ts.get_mut("meta").unwrap().as_table_mut().unwrap();
        meta.insert(format!("index/{name}.toml"), sha256_file(&path).into());
        let text = toml::to_string(&ts).unwrap();
        let sig = key.sign(text.as_bytes(), "timestamp.toml").unwrap();
        std::fs::write(&ts_path, text).unwrap();
        std::fs::write(self.root.join("timestamp.toml.minisig"), sig).unwrap();
    }

    /// What a hostile publisher can do that `publish` refuses: puts `bytes` in place of a
    /// published artifact and signs an index that records their hash and size.
    pub fn replace_artifact(&self, name: &str, version: &str, file: &str, bytes: &[u8]) {
        let art = self.root.join(format!("artifacts/{name}/{version}/{file}"));
        let old_sha = sha256_file(&art);
        let old_len = std::fs::metadata(&art).unwrap().len();
        std::fs::write(&art, bytes).unwrap();
        let new_sha = sha256_file(&art);
        let idx = self.root.join(format!("index/{name}.toml"));
        let text = std::fs::read_to_string(&idx).unwrap();
        assert!(text.contains(&old_sha));
        let text = text.replace(&old_sha, &new_sha).replace(
            &format!("size = {old_len}\n"),
            &format!("size = {}\n", bytes.len()),
        );
        std::fs::write(&idx, text).unwrap();
        self.resign(name);
    }
}

/// A registry `<sandbox>/<name>` with the yaml plugin `neo` 1.0.0 and the binary plugin
/// `bq2bq` 0.3.2 (linux_amd64).
pub fn neo_bq2bq_registry(sb: &Sandbox, name: &str) -> Registry {
    let reg = Registry::new(sb, name);
    reg.publish_yaml(sb, "neo", "1.0.0").ok();
    reg.publish_task(sb, "bq2bq", "0.3.2", &[PLAT]).ok();
    reg
}

/// A registry `<sandbox>/registry` with the binary plugins `a`, `b`, `c` (linux_amd64) and the
/// yaml plugin `y`, all 1.0.0.
pub fn abcy_registry(sb: &Sandbox) -> Registry {
    let reg = Registry::new(sb, "registry");
    for n in ["a", "b", "c"] {
        reg.publish_task(sb, n, "1.0.0", &[PLAT]).ok();
    }
    reg.publish_yaml(sb, "y", "1.0.0").ok();
    reg
}

/// A yaml plugin's text.
pub fn yaml_plugin(name: &str, version: &str) -> String {
    format!(
        "name: {name}\ndescription: test plugin {name}\nplugintype: task\npluginversion: {version}\nimage: example.org/{name}:{version}\nentrypoint:\n  script: run {name}\nquestions:\n- name: Q1\n  prompt: first\n"
    )
}

/// Writes `optimus-plugin-<name>.yaml` for a version under `<sandbox>/build/<name>/<version>/`.
pub fn make_yaml(sb: &Sandbox, name: &str, version: &str) -> PathBuf {
    sb.write(
        &format!("build/{name}/{version}/optimus-plugin-{name}.yaml"),
        yaml_plugin(name, version),
    )
}

/// The script body of a test binary plugin.
pub fn script(name: &str, version: &str, platform: &str) -> String {
    format!("#!/bin/sh\necho \"{name} {version} {platform}\"\n")
}

/// Builds `optimus-<name>_<version>_<platform>.tar.gz` holding `optimus-<name>_<platform>` and
/// a README.
pub fn make_targz(sb: &Sandbox, name: &str, version: &str, platform: &str) -> PathBuf {
    let entries = vec![
        (
            format!("optimus-{name}_{platform}"),
            script(name, version, platform).into_bytes(),
            0o755,
        ),
        ("README.md".to_string(), b"readme\n".to_vec(), 0o644),
    ];
    let path = sb.p(&format!(
        "build/{name}/{version}/optimus-{name}_{version}_{platform}.tar.gz"
    ));
    write_targz(&path, &entries);
    path
}

/// A registry provider block for optimus.yaml.
pub fn registry_config(url: &str, key: &str, plugins: &[(&str, &str)]) -> String {
    let mut s = format!(
        "plugins:\n  providers:\n    - name: reg\n      type: registry\n      url: {url}\n      public_keys: [\"{key}\"]\n  plugins:\n"
    );
    for (name, req) in plugins {
        s.push_str(&format!(
            "    - name: {name}\n      provider: reg\n      version: \"{req}\"\n"
        ));
    }
    s
}
