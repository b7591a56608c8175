//! Mistakes in what the user types or writes: `-c`, the config's yaml, names, flags. All are
//! usage or configuration errors (exit 2) that name the file and line (or the flag) and say
//! what to do, and none changes anything.
//!
//! The config every test starts from (`registry_config`):
//!
//! ```text
//!  1 plugins:
//!  2   providers:
//!  3     - name: reg
//!  4       type: registry
//!  5       url: ../registry
//!  6       public_keys: ["..."]
//!  7   plugins:
//!  8     - name: neo
//!  9       provider: reg
//! 10       version: "^1"
//! 11     - name: bq2bq
//! 12       provider: reg
//! 13       version: "^0.3"
//! ```

use super::World;
use crate::common::*;

#[test]
fn c_names_a_directory() {
    let w = World::installed();
    let before = w.snapshot();
    w.run_in(".", &["install", "-c", "proj"]).expect(
        2,
        &["-c proj: that is a directory", "pass -c proj/optimus.yaml"],
    );
    w.run_in(".", &["verify", "-c", "proj/"])
        .expect(2, &["is a directory", "proj/optimus.yaml"]);
    w.unchanged_since(&before, &[]);
}

#[test]
fn c_names_a_file_that_is_not_there() {
    let w = World::installed();
    let before = w.snapshot();
    w.run_in(".", &["install", "-c", "proj/optimus.yml"])
        .expect(
            2,
            &[
                "config file proj/optimus.yml not found",
                "did you mean -c proj/optimus.yaml?",
            ],
        );
    w.run(&["list", "-c", "nothing-like-it.yaml"])
        .expect(2, &["nothing-like-it.yaml not found", "pass -c FILE"]);
    w.unchanged_since(&before, &[]);
}

#[test]
fn running_from_the_wrong_directory_points_at_the_config() {
    let w = World::installed();
    let before = w.snapshot();
    // One level up: the config is below.
    w.run_in(".", &["install"]).expect(
        2,
        &[
            "config file optimus.yaml not found",
            "there is one at proj/optimus.yaml",
            "pass -c proj/optimus.yaml",
        ],
    );
    // Inside the plugin dir: the config is above.
    w.run_in("proj/.plugins", &["verify"]).expect(
        2,
        &["there is one at ../optimus.yaml", "pass -c ../optimus.yaml"],
    );
    w.unchanged_since(&before, &[]);
}

#[test]
fn yaml_mistakes_in_the_config_name_their_line() {
    let w = World::installed();
    let cfg = w.sb.read("proj/optimus.yaml");
    let cases: Vec<(String, Vec<&str>)> = vec![
        // A misspelt key of the plugin section.
        (
            cfg.replace("  plugins:\n    - name: neo", "  plugns:\n    - name: neo"),
            vec!["optimus.yaml:7:", "plugns", "did you mean `plugins`"],
        ),
        // A key written twice is reported where it is repeated, not where its mapping starts.
        (
            cfg.replace(
                "      version: \"^1\"\n",
                "      version: \"^1\"\n      provider: other\n",
            ),
            vec![
                "optimus.yaml:11: `provider` is written twice",
                "first on line 9",
                "keep one",
            ],
        ),
        // A tab where yaml wants spaces.
        (
            cfg.replace(
                "      provider: reg\n      version: \"^1\"",
                "\tprovider: reg\n      version: \"^1\"",
            ),
            vec!["optimus.yaml:9:", "a tab in the indentation", "spaces"],
        ),
    ];
    for (text, fragments) in cases {
        w.sb.write("proj/optimus.yaml", &text);
        let before = w.snapshot();
        w.run(&["install", "--platform", PLAT])
            .expect(2, &fragments);
        w.unchanged_since(&before, &[]);
    }
}

#[test]
fn wrong_names_in_the_config_get_their_line_and_a_suggestion() {
    let w = World::installed();
    let cfg = w.sb.read("proj/optimus.yaml");
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            cfg.replacen("provider: reg", "provider: regg", 1),
            vec![
                "optimus.yaml:8: plugin neo: unknown provider `regg`",
                "did you mean `reg`?",
            ],
        ),
        (
            cfg.replace("type: registry", "type: registy"),
            vec![
                "optimus.yaml:3: provider reg: unknown type `registy`",
                "did you mean `registry`?",
            ],
        ),
        (
            cfg.replace("name: neo", "name: Neo!"),
            vec!["optimus.yaml:8:", "invalid plugin name"],
        ),
        (
            cfg.replace("\"^1\"", "\"^1.x.y\""),
            vec![
                "optimus.yaml:8: plugin neo: bad version requirement \"^1.x.y\"",
                "such as \"^1.2\"",
            ],
        ),
        (
            cfg.replace(
                "      public_keys",
                "      headers: {Authorization: \"Bearer ${OPTIMUS_TEST_UNSET_TOKEN}\"}\n      public_keys",
            ),
            vec![
                "optimus.yaml:3: provider reg: headers.Authorization",
                "OPTIMUS_TEST_UNSET_TOKEN is not set",
            ],
        ),
        (
            format!("{cfg}    - name: neo\n      provider: reg\n"),
            vec![
                "optimus.yaml:14: plugin `neo` is declared twice",
                "first on line 8",
            ],
        ),
        (
            cfg.replace(
                "  plugins:\n",
                "    - name: reg\n      type: registry\n      url: ../other\n  plugins:\n",
            ),
            vec![
                "optimus.yaml:7: provider `reg` is declared twice",
                "first on line 3",
            ],
        ),
    ];
    for (text, fragments) in cases {
        w.sb.write("proj/optimus.yaml", &text);
        let before = w.snapshot();
        w.run(&["install", "--platform", PLAT])
            .expect(2, &fragments);
        w.unchanged_since(&before, &[]);
    }
}

#[test]
fn wrong_flags_name_the_flag_and_the_fix() {
    let w = World::installed();
    let before = w.snapshot();
    w.run(&["install", "--locked", "--frozen"]).expect(
        2,
        &[
            "--locked and --frozen together",
            "pass --frozen",
            "or --locked",
        ],
    );
    w.run(&["sync", "--frozen", "--locked"])
        .expect(2, &["--locked and --frozen together"]);
    w.run(&["install", "--platform", "linux_x86_64"]).expect(
        2,
        &["--platform linux_x86_64", "did you mean `linux_amd64`?"],
    );
    w.run(&["lock", "--platform", "macos_arm64"]).expect(
        2,
        &["--platform macos_arm64", "did you mean `darwin_arm64`?"],
    );
    w.run(&["verify", "--platform", "Linux-AMD64"])
        .expect(2, &["did you mean `linux_amd64`?"]);
    w.run(&["install", "--link-mode", "symlink"])
        .expect(2, &["--link-mode", "symlink"]);
    w.run(&["install", "--target", "raystak"])
        .expect(2, &["unknown Optimus target", "raystack"]);
    w.run(&["update", "--frozen"])
        .expect(2, &["install --frozen"]);
    // `install NAME`, as npm or cargo users type it.
    w.run(&["install", "neo"])
        .expect(2, &["unexpected argument 'neo'"]);
    w.run(&["cache", "prune", "--max-size", "5X"])
        .expect(2, &["5X"]);
    w.unchanged_since(&before, &[]);
}

#[test]
fn a_misspelt_name_on_the_command_line_gets_a_suggestion() {
    let w = World::installed();
    let before = w.snapshot();
    w.run(&["remove", "neoo"]).expect(
        2,
        &[
            "neoo is neither installed nor locked",
            "did you mean `neo`?",
        ],
    );
    w.run(&["update", "bq2qb"])
        .expect(2, &["bq2qb is not declared", "did you mean `bq2bq`?"]);
    w.run(&["remove", "../neo"])
        .expect(2, &["invalid plugin name"]);
    w.run_in(".", &["keygen", "--output", "keys/registry"])
        .expect(2, &["keys/registry.key already exists", "--force"]);
    w.unchanged_since(&before, &[]);
}
