//! Fixtures several suites share: a registry served over http with a project on it, and a
//! project installed from a directory registry.

use super::*;

/// A registry `<sandbox>/registry` with the binary plugins `alpha`, `beta`, `gamma`
/// (linux_amd64) and the yaml plugin `neo`, all 1.0.0, served over http.
pub fn served_registry(sb: &Sandbox) -> (Registry, HttpServer) {
    let reg = Registry::new(sb, "registry");
    for name in ["alpha", "beta", "gamma"] {
        reg.publish_task(sb, name, "1.0.0", &[PLAT]).ok();
    }
    reg.publish_yaml(sb, "neo", "1.0.0").ok();
    let server = HttpServer::start(&reg.root);
    (reg, server)
}

/// `<dir>/optimus.yaml` declaring `names` (version `1`) from `reg` served by `server`; returns
/// the config's path.
pub fn served_project(
    sb: &Sandbox,
    dir: &str,
    server: &HttpServer,
    reg: &Registry,
    names: &[&str],
) -> String {
    let plugins: Vec<(&str, &str)> = names.iter().map(|n| (*n, "1")).collect();
    sb.write(
        &format!("{dir}/optimus.yaml"),
        registry_config(&server.url(""), &reg.public_key, &plugins),
    );
    format!("{dir}/optimus.yaml")
}

/// The artifact downloads `server` saw.
pub fn artifact_requests(server: &HttpServer) -> usize {
    server
        .log()
        .iter()
        .filter(|r| r.path.contains("/artifacts/"))
        .count()
}

/// `proj/optimus.yaml` declaring `names` (any version) from the directory registry `reg`
/// (`<sandbox>/registry`), installed.
pub fn installed_project(sb: &Sandbox, reg: &Registry, names: &[&str]) {
    let plugins: Vec<(&str, &str)> = names.iter().map(|n| (*n, "*")).collect();
    sb.write(
        "proj/optimus.yaml",
        registry_config("../registry", &reg.public_key, &plugins),
    );
    sb.install("proj/optimus.yaml").ok();
}
