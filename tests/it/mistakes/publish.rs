//! A publisher's mistakes: the wrong key file, a binary without its yaml, a version published
//! twice, a file name that says nothing. Refused before anything is uploaded: the registry is
//! as it was.

use super::World;
use crate::common::*;

/// `publish --registry registry --secret-key <key> <args>` in the sandbox root.
fn publish(w: &World, key: &str, args: &[&str]) -> Run {
    let mut a = vec![
        "plugin",
        "publish",
        "--registry",
        "registry",
        "--secret-key",
        key,
    ];
    a.extend_from_slice(args);
    w.sb.run(&a)
}

#[track_caller]
fn refused(w: &World, key: &str, args: &[&str], code: i32, fragments: &[&str]) -> Run {
    let before = w.snapshot();
    let r = publish(w, key, args).expect(code, fragments);
    w.unchanged_since(&before, &[]);
    r
}

fn big(w: &World) -> (String, String) {
    let bin = w.sb.write(
        "build/big/optimus-big_linux_amd64",
        script("big", "1.0.0", PLAT),
    );
    let yaml = w.sb.write(
        "build/big/optimus-plugin-big.yaml",
        yaml_plugin("big", "1.0.0"),
    );
    (bin.display().to_string(), yaml.display().to_string())
}

#[test]
fn publish_with_the_public_key_says_which_file_is_the_secret_one() {
    let w = World::new();
    let (_, yaml) = big(&w);
    refused(
        &w,
        "keys/registry.pub",
        &["big", "1.0.0", &yaml],
        2,
        &[
            "keys/registry.pub: this is a minisign public key",
            "pass --secret-key keys/registry.key",
        ],
    );
    // Some other file: not a key at all (not "encrypted").
    let r = refused(
        &w,
        "proj/optimus.yaml",
        &["big", "1.0.0", &yaml],
        2,
        &["proj/optimus.yaml: not a minisign secret key", "keygen"],
    );
    assert!(!r.stderr.contains("encrypted"), "{}", r.stderr);
    refused(
        &w,
        "keys/nope.key",
        &["big", "1.0.0", &yaml],
        2,
        &["keys/nope.key"],
    );
}

#[test]
fn a_binary_without_its_yaml_is_refused_with_what_to_add() {
    let w = World::new();
    let (bin, yaml) = big(&w);
    refused(
        &w,
        "keys/registry.key",
        &["--type", "task", "big", "1.0.0", &bin],
        2,
        &[
            "optimus-big_linux_amd64 would be published without a yaml plugin",
            "please provide yaml version of the plugin big",
            "add optimus-plugin-big.yaml to this publish",
        ],
    );
    // An archive without the yaml beside its binary: the same.
    let archive = make_targz(&w.sb, "big", "1.0.0", PLAT);
    refused(
        &w,
        "keys/registry.key",
        &["--type", "task", "big", "1.0.0", archive.to_str().unwrap()],
        2,
        &["add optimus-plugin-big.yaml"],
    );
    // goto Optimus runs no binaries at all.
    refused(
        &w,
        "keys/registry.key",
        &["--target", "goto", "--type", "task", "big", "1.0.0", &bin],
        2,
        &[
            "goto Optimus runs no binary plugins",
            "optimus-plugin-big.yaml",
        ],
    );
    // With its yaml it goes through; so does --binary-only, for Optimus before v0.5.
    publish(&w, "keys/registry.key", &["big", "1.0.0", &bin, &yaml])
        .expect(0, &["big 1.0.0 (2 artifact(s))"]);
    publish(
        &w,
        "keys/registry.key",
        &["--type", "task", "--binary-only", "big", "1.0.1", &bin],
    )
    .expect(0, &["big 1.0.1 (1 artifact(s))"]);
}

#[test]
fn publish_takes_the_description_from_the_yaml() {
    let w = World::new();
    let (bin, yaml) = big(&w);
    publish(&w, "keys/registry.key", &["big", "1.0.0", &bin, &yaml]).ok();
    let index = std::fs::read_to_string(w.p("registry/index/big.toml")).unwrap();
    assert!(
        index.contains("description = \"test plugin big\""),
        "{index}"
    );
    // --description wins; an older patch's yaml does not change the plugin's description.
    publish(
        &w,
        "keys/registry.key",
        &["--description", "Big things", "big", "1.1.0", &yaml],
    )
    .ok();
    let old = w.sb.write(
        "build/old/optimus-plugin-big.yaml",
        yaml_plugin("big", "1.0.1").replace("test plugin big", "an old description"),
    );
    publish(
        &w,
        "keys/registry.key",
        &["big", "1.0.1", old.to_str().unwrap()],
    )
    .ok();
    let index = std::fs::read_to_string(w.p("registry/index/big.toml")).unwrap();
    assert!(index.contains("description = \"Big things\""), "{index}");
}

#[test]
fn publishing_a_version_twice_or_with_a_nameless_file_changes_nothing() {
    let w = World::new();
    let neo = make_yaml(&w.sb, "neo", "1.0.0");
    refused(
        &w,
        "keys/registry.key",
        &["neo", "1.0.0", neo.to_str().unwrap()],
        1,
        &["already published", "neo"],
    );
    let odd = w.sb.write("build/plugin.yaml", yaml_plugin("neo", "1.1.0"));
    refused(
        &w,
        "keys/registry.key",
        &["neo", "1.1.0", odd.to_str().unwrap()],
        2,
        &[
            "cannot tell the platform from the file name",
            "optimus-plugin-neo.yaml",
            "PLATFORM=PATH",
        ],
    );
    refused(
        &w,
        "keys/registry.key",
        &["--type", "tusk", "neo", "1.1.0", neo.to_str().unwrap()],
        2,
        &["--type tusk", "task or hook"],
    );
}
