//! What a new user trips on first (issue 12, item 8): a failed first install leaves nothing
//! behind, and a mistyped plugin name gets a "did you mean".

use crate::common::*;

#[test]
fn a_failed_first_install_leaves_no_plugin_directory() {
    let sb = Sandbox::new();
    let reg = neo_bq2bq_registry(&sb, "registry");
    let root = reg.root.display().to_string();
    sb.write(
        "p/optimus.yaml",
        registry_config(&root, &reg.public_key, &[("bq2bqq", "*")]),
    );
    let r = sb.install("p/optimus.yaml");
    assert_clean_failure(&r);
    assert!(
        !sb.p("p/.plugins").exists(),
        "a failed install left .plugins"
    );
    assert!(!sb.p("p/optimus.lock").exists());

    // A plugin directory that existed before is left as it was (with what is in it).
    sb.write("p/.plugins/keep.txt", "mine");
    assert_clean_failure(&sb.install("p/optimus.yaml"));
    assert_eq!(sb.read("p/.plugins/keep.txt"), "mine");
}

#[test]
fn a_mistyped_plugin_name_gets_a_suggestion() {
    let sb = Sandbox::new();
    let reg = neo_bq2bq_registry(&sb, "registry");
    let root = reg.root.display().to_string();
    // In the config, against a registry directory.
    sb.write(
        "p/optimus.yaml",
        registry_config(&root, &reg.public_key, &[("bq2bqq", "*")]),
    );
    let r = sb.install("p/optimus.yaml");
    assert!(
        r.stderr.contains("plugin bq2bqq: not in registry reg")
            && r.stderr.contains("did you mean `bq2bq`?"),
        "{}",
        r.stderr
    );
    // Over http, the names come from the registry's signed timestamp.
    let server = HttpServer::start(&reg.root);
    sb.write(
        "h/optimus.yaml",
        registry_config(&server.url(""), &reg.public_key, &[("ne0", "*")]),
    );
    let r = sb.install("h/optimus.yaml");
    assert!(r.stderr.contains("did you mean `neo`?"), "{}", r.stderr);
    // Nothing close: no suggestion.
    sb.write(
        "h/optimus.yaml",
        registry_config(&server.url(""), &reg.public_key, &[("transformers", "*")]),
    );
    let r = sb.install("h/optimus.yaml");
    assert!(!r.stderr.contains("did you mean"), "{}", r.stderr);

    // On the command line: update and remove.
    sb.write(
        "p/optimus.yaml",
        registry_config(&root, &reg.public_key, &[("bq2bq", "*"), ("neo", "*")]),
    );
    sb.install("p/optimus.yaml").ok();
    sb.plugin(&["update", "-c", "p/optimus.yaml", "nep"])
        .expect(2, &["did you mean `neo`?"]);
    sb.plugin(&["remove", "-c", "p/optimus.yaml", "bq2bg"])
        .expect(2, &["did you mean `bq2bq`?"]);
}
