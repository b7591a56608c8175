//! The Optimus server's init container (issue 18), built and run for real: the image from
//! `Containerfile` with Debian's buildah (`--isolation chroot`, FROM scratch, the static binary
//! release.sh built), its init step run as deploy/k8s/optimus-server.yaml says (args, env from
//! the Secret, the ConfigMap mounted read-only with kubelet's `..data` symlinks, emptyDirs for
//! the plugins and the cache), then the ConfigMap changed and the step run again as a pod
//! restart does. And the manifests pass `kubernetes-validate`.

use crate::common::*;
use serde_norway::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn buildah() -> Option<&'static str> {
    if Command::new("buildah").arg("--version").output().is_ok() {
        return Some("buildah");
    }
    missing("buildah is not installed: run scripts/test-deps.sh (apt-get install buildah)");
    None
}

/// Runs buildah; its stdout, or a panic with everything it said.
fn buildah_ok(args: &[&str]) -> String {
    let out = Command::new("buildah").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "buildah {args:?}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// An image and the working containers made from it, removed on drop.
struct Image {
    name: String,
    containers: Vec<String>,
}

impl Image {
    fn from(&mut self) -> String {
        let c = buildah_ok(&["from", "--pull-never", &self.name]);
        self.containers.push(c.clone());
        c
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        for c in &self.containers {
            let _ = Command::new("buildah").args(["rm", c]).output();
        }
        let _ = Command::new("buildah").args(["rmi", &self.name]).output();
    }
}

/// The init container of the Deployment in deploy/k8s/optimus-server.yaml, and the pod's
/// volumes.
fn init_container() -> (Value, Value) {
    let text = std::fs::read_to_string(repo().join("deploy/k8s/optimus-server.yaml")).unwrap();
    let d: Value = serde_norway::from_str(&text).unwrap();
    let spec = d["spec"]["template"]["spec"].clone();
    let init = spec["initContainers"][0].clone();
    (init, spec)
}

/// The ConfigMap's `optimus.yaml`, with its example registry URL replaced by `url`.
fn configmap_yaml(url: &str) -> String {
    let text = std::fs::read_to_string(repo().join("deploy/k8s/plugins-config.yaml")).unwrap();
    let cm: Value = serde_norway::from_str(&text).unwrap();
    let yaml = cm["data"]["optimus.yaml"].as_str().unwrap();
    assert!(yaml.contains("https://plugins.example.com/registry/"));
    yaml.replace("https://plugins.example.com/registry/", url)
}

/// Lays out `dir` as kubelet mounts a ConfigMap: the files in a timestamped folder, `..data`
/// pointing at it (swapped atomically on a change), and each key a symlink through `..data`.
fn write_configmap(dir: &Path, version: &str, files: &[(&str, &str)]) {
    let data = dir.join(format!("..{version}"));
    std::fs::create_dir_all(&data).unwrap();
    for (name, text) in files {
        std::fs::write(data.join(name), text).unwrap();
        let link = dir.join(name);
        if std::fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink(format!("..data/{name}"), &link).unwrap();
        }
    }
    let tmp = dir.join("..data_tmp");
    std::os::unix::fs::symlink(format!("..{version}"), &tmp).unwrap();
    std::fs::rename(&tmp, dir.join("..data")).unwrap();
}

fn world_writable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(p).unwrap();
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).unwrap();
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    v.sort();
    v
}

#[test]
fn the_init_container_installs_the_configmap_and_reinstalls_on_a_change() {
    if buildah().is_none() {
        return;
    }
    let dist = release_dist();
    let sb = Sandbox::new();
    // The registry, behind a token, on 127.0.0.1 (no name to resolve).
    let reg = neo_bq2bq_registry(&sb, "registry");
    reg.publish_yaml(&sb, "predator", "0.2.0").ok();
    let server = HttpServer::start(&reg.root);
    server.require_auth("Bearer s3cret");
    let secrets = [
        ("REGISTRY_PUBLIC_KEY", reg.public_key.as_str()),
        ("PLUGINS_TOKEN", "s3cret"),
    ];

    // The build context: what Containerfile copies, nothing else.
    let ctx = sb.p("context");
    std::fs::create_dir_all(ctx.join("dist")).unwrap();
    std::fs::create_dir_all(ctx.join("deploy/image")).unwrap();
    for f in ["plugins_linux-amd64", "ca-certificates.crt"] {
        std::fs::copy(dist.dir.join(f), ctx.join("dist").join(f))
            .unwrap_or_else(|e| panic!("dist/{f}: {e}"));
    }
    std::fs::copy(
        repo().join("deploy/image/nsswitch.conf"),
        ctx.join("deploy/image/nsswitch.conf"),
    )
    .unwrap();
    std::fs::copy(repo().join("Containerfile"), ctx.join("Containerfile")).unwrap();
    let mut image = Image {
        name: format!("localhost/optimus-plugins-test:{}", std::process::id()),
        containers: vec![],
    };
    buildah_ok(&[
        "bud",
        "--isolation",
        "chroot",
        "--pull-never",
        "-q",
        "-t",
        &image.name,
        "-f",
        ctx.join("Containerfile").to_str().unwrap(),
        ctx.to_str().unwrap(),
    ]);
    let c = image.from();
    // Nothing in the image but the binary, the CA bundle and nsswitch.conf.
    let root = PathBuf::from(buildah_ok(&["mount", &c]));
    let files: Vec<String> = Snapshot::take(&[&root])
        .paths()
        .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    buildah_ok(&["umount", &c]);
    assert_eq!(
        files,
        [
            "",
            "etc",
            "etc/nsswitch.conf",
            "etc/ssl",
            "etc/ssl/certs",
            "etc/ssl/certs/ca-certificates.crt",
            "optimus-plugins"
        ],
        "the image's files and folders"
    );

    // The operator's side: lock the ConfigMap's optimus.yaml against the registry.
    let first = configmap_yaml(&server.url(""));
    sb.write("repo/optimus.yaml", &first);
    sb.run_env(
        &["lock", "-c", "repo/optimus.yaml", "--platform", PLAT],
        &secrets,
    )
    .ok();
    let cm = sb.p("configmap");
    write_configmap(
        &cm,
        "2026_12_07_10_00_00.1",
        &[
            ("optimus.yaml", &first),
            ("optimus.lock", &sb.read("repo/optimus.lock")),
        ],
    );
    // The emptyDirs, writable by the pod's fsGroup as kubelet makes them.
    let plugins = sb.p("emptydir-plugins");
    let cache = sb.p("emptydir-cache");
    world_writable(&plugins);
    world_writable(&cache);

    // The init step as the Deployment has it.
    let (init, spec) = init_container();
    let args: Vec<String> = init["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert!(
        args.iter().any(|a| a == "--frozen" || a == "--locked"),
        "{args:?}"
    );
    let volume_kind = |name: &str| {
        let v = spec["volumes"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|v| v["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("volume {name}"));
        if v.get("configMap").is_some() {
            "configMap"
        } else if v.get("emptyDir").is_some() {
            "emptyDir"
        } else {
            "other"
        }
    };
    let run_init = |plugin_dir: &Path| -> Run {
        let mut cmd = Command::new("buildah");
        cmd.args(["run", "--isolation", "chroot"]);
        for m in init["volumeMounts"].as_sequence().unwrap() {
            let (name, at) = (
                m["name"].as_str().unwrap(),
                m["mountPath"].as_str().unwrap(),
            );
            let ro = m["readOnly"].as_bool() == Some(true);
            let host = match (volume_kind(name), name) {
                ("configMap", _) => cm.clone(),
                ("emptyDir", n) if n.contains("cache") => cache.clone(),
                ("emptyDir", _) => plugin_dir.to_path_buf(),
                other => panic!("a volume the test does not know: {other:?}"),
            };
            cmd.arg("-v").arg(format!(
                "{}:{at}{}",
                host.display(),
                if ro { ":ro" } else { "" }
            ));
        }
        for e in init["env"].as_sequence().unwrap() {
            let name = e["name"].as_str().unwrap();
            let value = match e["value"].as_str() {
                Some(v) => v.to_string(),
                None => {
                    assert_eq!(
                        e["valueFrom"]["secretKeyRef"]["name"].as_str(),
                        Some("optimus-plugins")
                    );
                    secrets
                        .iter()
                        .find(|(k, _)| *k == name)
                        .unwrap()
                        .1
                        .to_string()
                }
            };
            cmd.arg("-e").arg(format!("{name}={value}"));
        }
        cmd.arg(&c).arg("--").arg("/optimus-plugins").args(&args);
        Run::from(cmd.output().unwrap())
    };

    // Pod start: the lock's plugins, and no registry index read (--frozen).
    server.clear_log();
    run_init(&plugins).expect(0, &["installed 2"]);
    assert_eq!(
        listing(&plugins),
        ["optimus-bq2bq_linux_amd64", "optimus-plugin-neo.yaml"]
    );
    assert!(
        server.log().iter().all(|r| !r.path.contains("/index/")),
        "--frozen reads no index: {:?}",
        server.log()
    );
    assert!(server
        .log()
        .iter()
        .all(|r| r.headers.values().any(|v| v == "Bearer s3cret")));
    // The server container mounts the same emptyDir where Optimus looks first.
    let optimus = &spec["containers"][0];
    let mount = optimus["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|m| m["name"] == init["volumeMounts"][1]["name"])
        .expect("the server mounts the plugin volume");
    assert_eq!(mount["mountPath"].as_str(), Some("/app/.plugins"));

    // The ConfigMap changes (bq2bq out, predator in; the lock written again), kubelet swaps
    // `..data`, the pod restarts: the init step runs again on the same emptyDir.
    let second = first.replace(
        "    - name: bq2bq\n      provider: odpf\n      version: \"^0.3\"\n",
        "    - name: predator\n      provider: odpf\n",
    );
    assert_ne!(first, second);
    sb.write("repo/optimus.yaml", &second);
    sb.run_env(
        &["lock", "-c", "repo/optimus.yaml", "--platform", PLAT],
        &secrets,
    )
    .ok();
    write_configmap(
        &cm,
        "2026_12_08_10_00_00.2",
        &[
            ("optimus.yaml", &second),
            ("optimus.lock", &sb.read("repo/optimus.lock")),
        ],
    );
    let before = Snapshot::take(&[&cm]);
    run_init(&plugins).expect(0, &["predator"]);
    assert_eq!(
        listing(&plugins),
        ["optimus-plugin-neo.yaml", "optimus-plugin-predator.yaml"],
        "bq2bq removed, predator installed"
    );
    // A new pod (a fresh emptyDir) gets the same set; the ConfigMap is never written.
    let fresh = sb.p("emptydir-plugins-2");
    world_writable(&fresh);
    run_init(&fresh).ok();
    assert_eq!(
        listing(&fresh),
        ["optimus-plugin-neo.yaml", "optimus-plugin-predator.yaml"]
    );
    before.assert_unchanged(&[]);
    // A wrong token fails the init container (the pod does not start with missing plugins).
    server.require_auth("Bearer other");
    let again = sb.p("emptydir-plugins-3");
    world_writable(&again);
    std::fs::remove_dir_all(&cache).unwrap();
    world_writable(&cache);
    let r = run_init(&again);
    assert_ne!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(listing(&again).is_empty());
}

#[test]
fn the_kubernetes_manifests_validate() {
    let tool = repo().join(".ci/venv/bin/kubernetes-validate");
    if !tool.exists() {
        missing("kubernetes-validate is not installed: run scripts/test-deps.sh (pip, .ci/venv)");
        return;
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("deploy/k8s"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    let out = Command::new(&tool)
        .arg("--strict")
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
