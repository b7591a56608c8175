//! Which registry a timestamp is (issue 20 item 9): one key signing prod and staging, a
//! mirror serving staging's files for prod. Once known, on the origin's word, from a pin
//! (`registry_id:`), on a first contact (the origin is asked), with the origin away (the
//! mirror's word, provisional, warned), a mirror without a timestamp, registries from before
//! ids, and two providers sharing a mirror. Real registries made by `publish`, directory and
//! http sources.

use crate::common::*;
use optimus_plugins::registry::signing::SigningKey;

/// Two registries signed with one key: `prod` (hello 1.0.0) and `staging` (hello 9.9.x, and a
/// higher timestamp version).
fn prod_and_staging(sb: &Sandbox) -> Registry {
    let prod = Registry::new(sb, "prod");
    prod.publish_yaml(sb, "hello", "1.0.0").ok();
    let staging = Registry {
        root: sb.p("staging"),
        key: prod.key.clone(),
        public_key: prod.public_key.clone(),
    };
    for v in ["9.9.7", "9.9.8", "9.9.9"] {
        staging.publish_yaml(sb, "hello", v).ok();
    }
    prod
}

fn prod_config(sb: &Sandbox, prod: &Registry, mirror: bool) {
    let mirrors = if mirror {
        "      mirrors: [\"../staging\"]\n"
    } else {
        ""
    };
    sb.write(
        "proj/optimus.yaml",
        registry_config("../prod", &prod.public_key, &[("hello", "*")]).replace(
            "  plugins:\n    - name: hello",
            &format!("{mirrors}  plugins:\n    - name: hello"),
        ),
    );
}

fn installed_version(sb: &Sandbox) -> String {
    sb.read("proj/.plugins/optimus-plugin-hello.yaml")
        .lines()
        .find_map(|l| l.strip_prefix("pluginversion: ").map(str::to_string))
        .unwrap_or_default()
}

/// Item 9: the timestamp is bound to its registry: once this machine knows prod, a mirror
/// serving staging's files (same key, higher version) is refused and skipped, and prod keeps
/// working.
#[test]
fn a_mirror_serving_another_registry_with_the_same_key_is_refused() {
    let sb = Sandbox::new();
    let prod = prod_and_staging(&sb);
    prod_config(&sb, &prod, false);
    sb.install("proj/optimus.yaml").ok();
    assert_eq!(installed_version(&sb), "1.0.0");
    prod_config(&sb, &prod, true);
    sb.plugin(&["update", "-c", "proj/optimus.yaml"])
        .expect(0, &["timestamp of registry `staging`", "`prod`"]);
    sb.install("proj/optimus.yaml").ok();
    assert_eq!(installed_version(&sb), "1.0.0");
    // prod itself is not taken for a rollback.
    prod_config(&sb, &prod, false);
    sb.plugin(&["update", "-c", "proj/optimus.yaml"]).ok();
    assert_eq!(installed_version(&sb), "1.0.0");
}

/// Item 9, first contact: a machine that has never met the registry (an empty cache) and
/// reaches it through a mirror serving another registry signed with the same key asks the
/// origin which registry it is; the mirror is refused and skipped, prod installed. The origin
/// is asked only that, and only once: the next commands ask it nothing.
#[test]
fn a_first_contact_through_a_mirror_serving_another_registry_asks_the_origin() {
    let sb = Sandbox::new();
    let prod = prod_and_staging(&sb);
    prod_config(&sb, &prod, true);
    sb.install("proj/optimus.yaml").expect(
        0,
        &["mirror", "staging", "the origin", "serves registry `prod`"],
    );
    assert_eq!(installed_version(&sb), "1.0.0");
    // Known now: the mirror is refused from the rollback state alone.
    sb.plugin(&["update", "-c", "proj/optimus.yaml"])
        .expect(0, &["timestamp of registry `staging`", "`prod`"]);
    assert_eq!(installed_version(&sb), "1.0.0");
}

/// Item 9, first contact while the origin cannot be asked (down, or a firewalled machine):
/// the mirror's registry is taken provisionally, with a warning that says so; the origin, once
/// reached, is the authority: prod is accepted afterwards, not refused as a rollback, and the
/// mirror is refused from then on.
#[test]
fn the_origin_replaces_a_registry_a_mirror_named_first() {
    let sb = Sandbox::new();
    let prod = prod_and_staging(&sb);
    prod_config(&sb, &prod, true);
    std::fs::rename(sb.p("prod"), sb.p("prod.away")).unwrap();
    sb.install("proj/optimus.yaml").expect(
        0,
        &["could not be asked which registry it is", "provisionally"],
    );
    assert_eq!(installed_version(&sb), "9.9.9");
    std::fs::rename(sb.p("prod.away"), sb.p("prod")).unwrap();
    prod_config(&sb, &prod, false);
    sb.plugin(&["update", "-c", "proj/optimus.yaml"])
        .expect(0, &["the origin serves registry `prod`"]);
    assert_eq!(installed_version(&sb), "1.0.0");
    prod_config(&sb, &prod, true);
    sb.plugin(&["update", "-c", "proj/optimus.yaml"]).ok();
    assert_eq!(installed_version(&sb), "1.0.0");
}

/// A registry's id, from its `config.toml`.
fn registry_id_of(sb: &Sandbox, root: &str) -> String {
    sb.read(&format!("{root}/config.toml"))
        .lines()
        .find_map(|l| l.strip_prefix("id = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("config.toml has an id")
        .to_string()
}

/// The project's config with `registry_id: ID` on the provider.
fn pin(sb: &Sandbox, id: &str) {
    let text = sb.read("proj/optimus.yaml");
    sb.write(
        "proj/optimus.yaml",
        text.replace(
            "      public_keys:",
            &format!("      registry_id: {id}\n      public_keys:"),
        ),
    );
}

/// Item 9, pinned: `publish` says the id of a registry it creates; `registry_id:` refuses the
/// timestamp of another registry from any source, a mirror on a first contact with the origin
/// away included (that install fails and changes nothing), and from the origin itself; a
/// malformed pin is a config error.
#[test]
fn a_pinned_registry_id_refuses_another_registry_from_any_source() {
    let sb = Sandbox::new();
    let solo = Registry::new(&sb, "solo");
    let r = solo.publish_yaml(&sb, "hello", "1.0.0");
    let solo_id = registry_id_of(&sb, "solo");
    r.expect(
        0,
        &["registry `solo` has id", &format!("registry_id: {solo_id}")],
    );

    let prod = prod_and_staging(&sb);
    let (prod_id, staging_id) = (registry_id_of(&sb, "prod"), registry_id_of(&sb, "staging"));
    assert_ne!(prod_id, staging_id);
    prod_config(&sb, &prod, true);
    pin(&sb, &prod_id);
    std::fs::rename(sb.p("prod"), sb.p("prod.away")).unwrap();
    let before = Snapshot::take(&[&sb.p("proj")]);
    let r = sb.install("proj/optimus.yaml");
    assert_ne!(r.code, 0, "{}", r.all());
    for want in [
        "registry `staging`",
        &format!("pins registry id {prod_id}"),
        "registry_id",
    ] {
        assert!(r.all().contains(want), "{want:?} not in:\n{}", r.all());
    }
    before.assert_unchanged(&[]);
    std::fs::rename(sb.p("prod.away"), sb.p("prod")).unwrap();
    sb.install("proj/optimus.yaml").expect(
        0,
        &["mirror", "failed", &format!("pins registry id {prod_id}")],
    );
    assert_eq!(installed_version(&sb), "1.0.0");

    // A pin naming another registry refuses the origin itself.
    prod_config(&sb, &prod, false);
    pin(&sb, &staging_id);
    let r = sb.plugin(&["update", "-c", "proj/optimus.yaml"]);
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("registry `prod`"), "{}", r.all());
    assert_eq!(installed_version(&sb), "1.0.0");

    prod_config(&sb, &prod, false);
    pin(&sb, "not-an-id");
    sb.install("proj/optimus.yaml").expect(
        2,
        &["optimus.yaml", "registry_id", "not-an-id", "32 hex digits"],
    );
}

/// The installed `pluginversion` of `name` in `proj/.plugins`.
fn version_of(sb: &Sandbox, name: &str) -> String {
    sb.read(&format!("proj/.plugins/optimus-plugin-{name}.yaml"))
        .lines()
        .find_map(|l| l.strip_prefix("pluginversion: ").map(str::to_string))
        .unwrap_or_default()
}

/// The project's config: prod as the origin, `mirrors` (paths from `proj/`) first.
fn config_with_mirrors(sb: &Sandbox, prod: &Registry, mirrors: &[&str]) {
    let list: Vec<String> = mirrors.iter().map(|m| format!("\"{m}\"")).collect();
    sb.write(
        "proj/optimus.yaml",
        registry_config("../prod", &prod.public_key, &[("hello", "*")]).replace(
            "  plugins:\n    - name: hello",
            &format!(
                "      mirrors: [{}]\n  plugins:\n    - name: hello",
                list.join(", ")
            ),
        ),
    );
}

/// Makes `reg` a registry from before registry ids: its timestamp names no registry (the
/// next version, re-signed with its key, as an older publisher wrote it).
fn unname(reg: &Registry) {
    let path = reg.root.join("timestamp.toml");
    let mut ts: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    ts.remove("registry");
    let next = ts["version"].as_integer().unwrap() + 1;
    ts.insert("version".into(), next.into());
    let text = toml::to_string(&ts).unwrap();
    let key = SigningKey::load(&reg.key, None).unwrap();
    let sig = key.sign(text.as_bytes(), "timestamp.toml").unwrap();
    std::fs::write(&path, text).unwrap();
    std::fs::write(reg.root.join("timestamp.toml.minisig"), sig).unwrap();
}

fn away(sb: &Sandbox) {
    std::fs::rename(sb.p("prod"), sb.p("prod.away")).unwrap();
}

fn back(sb: &Sandbox) {
    std::fs::rename(sb.p("prod.away"), sb.p("prod")).unwrap();
}

/// A mirror that serves no timestamp is not taken for a registry that has one: on a first
/// contact the origin says it has one, and the mirror is skipped; with a pin, a source without
/// a timestamp is refused outright (the origin away: the install fails, nothing changes).
#[test]
fn a_mirror_without_a_timestamp_is_not_taken_for_the_registry() {
    let sb = Sandbox::new();
    let prod = prod_and_staging(&sb);
    copy_dir(&sb.p("staging"), &sb.p("bare"));
    std::fs::remove_file(sb.p("bare/timestamp.toml")).unwrap();
    std::fs::remove_file(sb.p("bare/timestamp.toml.minisig")).unwrap();
    config_with_mirrors(&sb, &prod, &["../bare"]);
    sb.install("proj/optimus.yaml")
        .expect(0, &["the mirror serves none", "refusing a mirror"]);
    assert_eq!(installed_version(&sb), "1.0.0");

    std::fs::remove_dir_all(sb.p("cache")).unwrap();
    std::fs::remove_dir_all(sb.p("proj")).unwrap();
    config_with_mirrors(&sb, &prod, &["../bare"]);
    pin(&sb, &registry_id_of(&sb, "prod"));
    away(&sb);
    let before = Snapshot::take(&[&sb.p("proj")]);
    let r = sb.install("proj/optimus.yaml");
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(
        r.all().contains("the source serves no timestamp.toml") && r.all().contains("pins"),
        "{}",
        r.all()
    );
    before.assert_unchanged(&[]);
}

/// A registry from before ids (its timestamp names none, on the origin's word) is not taken
/// over by a mirror whose timestamp names a registry: the origin is asked, says none, and
/// the mirror is skipped.
#[test]
fn a_registry_from_before_ids_is_not_replaced_by_a_mirror_naming_one() {
    let sb = Sandbox::new();
    let prod = prod_and_staging(&sb);
    unname(&prod);
    prod_config(&sb, &prod, false);
    sb.install("proj/optimus.yaml").ok();
    prod_config(&sb, &prod, true);
    sb.plugin(&["update", "-c", "proj/optimus.yaml"]).expect(
        0,
        &["registry `staging`", "the origin", "serves no registry"],
    );
    assert_eq!(installed_version(&sb), "1.0.0");
}

/// A registry taken from a mirror while the origin was away stays provisional: every command
/// asks the origin again while a mirror is its only word, and once the origin answers, it
/// replaces the mirror's registry (the mirror is skipped from then on).
#[test]
fn a_mirror_taken_provisionally_is_checked_again_once_the_origin_answers() {
    let sb = Sandbox::new();
    let prod = prod_and_staging(&sb);
    prod_config(&sb, &prod, true);
    away(&sb);
    sb.install("proj/optimus.yaml")
        .expect(0, &["provisionally"]);
    assert_eq!(installed_version(&sb), "9.9.9");
    back(&sb);
    sb.plugin(&["update", "-c", "proj/optimus.yaml"])
        .expect(0, &["the origin serves registry `prod`"]);
    assert_eq!(installed_version(&sb), "1.0.0");
    sb.plugin(&["update", "-c", "proj/optimus.yaml"])
        .expect(0, &["timestamp of registry `staging`"]);
    assert_eq!(installed_version(&sb), "1.0.0");
}

/// An origin from before ids outranks the registry a mirror named while it was away: it is
/// not refused as "another registry" (which would lock this machine out of its own registry).
#[test]
fn an_origin_from_before_ids_replaces_a_registry_a_mirror_named() {
    let sb = Sandbox::new();
    let prod = prod_and_staging(&sb);
    unname(&prod);
    prod_config(&sb, &prod, true);
    away(&sb);
    sb.install("proj/optimus.yaml").ok();
    assert_eq!(installed_version(&sb), "9.9.9");
    back(&sb);
    prod_config(&sb, &prod, false);
    sb.plugin(&["update", "-c", "proj/optimus.yaml"])
        .expect(0, &["the origin serves no registry"]);
    assert_eq!(installed_version(&sb), "1.0.0");
}

/// `--offline` asks nobody, and says so: a mirror's registry is taken provisionally, with the
/// warning that names the pin.
#[test]
fn offline_a_mirror_is_taken_provisionally_with_a_warning() {
    let sb = Sandbox::new();
    let prod = prod_and_staging(&sb);
    prod_config(&sb, &prod, true);
    sb.plugin(&["install", "--offline", "-c", "proj/optimus.yaml"])
        .expect(0, &["--offline", "provisionally", "registry_id:"]);
}

/// Two providers sharing a mirror URL each check its timestamp against their own pin, state
/// and origin: what one accepted is not the other's.
#[test]
fn two_providers_sharing_a_mirror_check_it_each_for_itself() {
    let sb = Sandbox::new();
    let prod = prod_and_staging(&sb);
    let staging = Registry {
        root: sb.p("staging"),
        key: prod.key.clone(),
        public_key: prod.public_key.clone(),
    };
    prod.publish_yaml(&sb, "world", "1.0.0").ok();
    staging.publish_yaml(&sb, "world", "9.9.9").ok();
    copy_dir(&sb.p("staging"), &sb.p("mirror"));
    let key = &prod.public_key;
    let prod_id = registry_id_of(&sb, "prod");
    sb.write(
        "proj/optimus.yaml",
        format!(
            "plugins:\n  providers:\n    - name: stg\n      url: ../staging\n      mirrors: [\"../mirror\"]\n      public_keys: [\"{key}\"]\n    - name: prd\n      url: ../prod\n      mirrors: [\"../mirror\"]\n      registry_id: {prod_id}\n      public_keys: [\"{key}\"]\n  plugins:\n    - name: hello\n      provider: stg\n    - name: world\n      provider: prd\n"
        ),
    );
    sb.plugin(&["install", "-j", "1", "-c", "proj/optimus.yaml"])
        .ok();
    assert_eq!(version_of(&sb, "hello"), "9.9.9");
    assert_eq!(version_of(&sb, "world"), "1.0.0");
}

/// A pin is its config's word, not the origin's: a project pinning staging's id, with
/// staging's files on its mirror, gets what it pinned, and the machine's state (shared by
/// every project using the URL) stays provisional: the next project, without the pin, asks
/// the origin and gets prod.
#[test]
fn a_pin_matched_at_a_mirror_is_not_the_origins_word() {
    let sb = Sandbox::new();
    let prod = prod_and_staging(&sb);
    prod_config(&sb, &prod, true);
    pin(&sb, &registry_id_of(&sb, "staging"));
    sb.install("proj/optimus.yaml").ok();
    assert_eq!(installed_version(&sb), "9.9.9");
    std::fs::remove_dir_all(sb.p("proj")).unwrap();
    prod_config(&sb, &prod, true);
    sb.install("proj/optimus.yaml")
        .expect(0, &["the origin", "serves registry `prod`"]);
    assert_eq!(installed_version(&sb), "1.0.0");
    std::fs::remove_dir_all(sb.p("proj")).unwrap();
    prod_config(&sb, &prod, false);
    sb.install("proj/optimus.yaml").ok();
    assert_eq!(installed_version(&sb), "1.0.0");
}

/// Asked about a mirror, the origin named prod; the same origin serving staging's timestamp
/// later in the same command is refused (its answer may not change within a command).
#[test]
fn an_origin_that_changes_its_answer_within_a_command_is_refused() {
    let sb = Sandbox::new();
    let prod = prod_and_staging(&sb);
    let origin = HttpServer::start(&sb.p("prod"));
    let staging_ts = std::fs::read(sb.p("staging/timestamp.toml")).unwrap();
    let staging_sig = std::fs::read(sb.p("staging/timestamp.toml.minisig")).unwrap();
    // The first answer (to the question) as served, then staging's.
    origin.fault(
        "timestamp.toml",
        vec![Fault::Headers(vec![]), Fault::Replace(staging_ts)],
    );
    origin.fault(
        "timestamp.toml.minisig",
        vec![Fault::Headers(vec![]), Fault::Replace(staging_sig)],
    );
    sb.write(
        "proj/optimus.yaml",
        registry_config(&origin.url(""), &prod.public_key, &[("hello", "*")]).replace(
            "  plugins:\n    - name: hello",
            "      mirrors: [\"../staging\"]\n  plugins:\n    - name: hello",
        ),
    );
    let r = sb.install("proj/optimus.yaml");
    assert_ne!(r.code, 0, "{}", r.all());
    assert!(r.all().contains("changes its answer"), "{}", r.all());
    assert!(!sb.p("proj/.plugins/optimus-plugin-hello.yaml").exists());
}
