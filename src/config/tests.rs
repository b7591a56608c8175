//! Unit tests of `optimus.yaml` parsing.

use super::*;

fn p(text: &str) -> Result<Manifest> {
    parse(
        text,
        Path::new("/tmp/proj/optimus.yaml"),
        &Environment::bare("/tmp/cache".into()),
    )
}

#[test]
fn registry_id_is_checked_where_it_is_declared() {
    let key = "RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3";
    let cfg = |extra: &str, kind: &str, keys: &str| {
        format!("plugins:\n  providers:\n    - name: odpf\n      type: {kind}\n      url: ./reg\n      {keys}\n      {extra}\n  plugins:\n    - name: bq2bq\n      provider: odpf\n      version: ^0.3\n")
    };
    let signed = format!("public_keys: [\"{key}\"]");
    let m = p(&cfg(
        "registry_id: 5C56247964D0986F2863D74004BAD0E9",
        "registry",
        &signed,
    ))
    .unwrap();
    assert_eq!(
        m.providers["odpf"].registry_id.as_deref(),
        Some("5c56247964d0986f2863d74004bad0e9")
    );
    for (extra, kind, keys, want) in [
        (
            "registry_id: 5c56",
            "registry",
            signed.as_str(),
            "32 hex digits",
        ),
        (
            "registry_id: 5c56247964d0986f2863d74004bad0e9",
            "registry",
            "allow_unsigned: true",
            "needs `public_keys`",
        ),
        (
            "registry_id: 5c56247964d0986f2863d74004bad0e9",
            "local",
            signed.as_str(),
            "not to type local",
        ),
    ] {
        let e = p(&cfg(extra, kind, keys)).unwrap_err().to_string();
        assert!(
            e.contains("optimus.yaml") && e.contains(want),
            "{want:?} not in {e}"
        );
    }
}

#[test]
fn three_forms() {
    let m = p("plugins:\n  providers:\n    - name: odpf\n      type: registry\n      url: ./reg\n      allow_unsigned: true\n  plugins:\n    - name: bq2bq\n      provider: odpf\n      version: ^0.3\n").unwrap();
    assert_eq!(m.plugins[0].name, "bq2bq");
    assert_eq!(
        m.providers["odpf"].base,
        Location::Path("/tmp/proj/reg".into())
    );
    let m = p("plugins:\n  install_location: out\n  providers:\n    - http:\n        name: web\n        url: http://127.0.0.1:1/\n  list:\n    - plugin:\n        name: neo\n        provider: web\n        path: neo.yaml\n").unwrap();
    assert_eq!(m.plugin_dir, PathBuf::from("/tmp/proj/out"));
    assert!(matches!(m.plugins[0].source, Source::Direct { .. }));
    let m = p("other: 1\nplugin:\n  artifacts:\n    - https://h/optimus-plugin-neo.yaml\n    - ../t/optimus-bq2bq_darwin_arm64\n    - http://h/plugins.zip\n").unwrap();
    let names: Vec<_> = m.plugins.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["neo", "bq2bq", "plugins"]);
}

#[test]
fn unknown_key_names_key_and_line() {
    let e = p("plugins:\n  providers: []\n  plugns: []\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("optimus.yaml:3:"), "{e}");
    assert!(
        e.contains("plugns") && e.contains("did you mean `plugins`"),
        "{e}"
    );
}

#[test]
fn unset_variable_is_named() {
    let e = p("plugins:\n  providers:\n    - name: x\n      type: http\n      url: http://h/\n      headers: {Authorization: \"Bearer ${NOPE_UNSET_VAR}\"}\n").unwrap_err();
    assert!(e.to_string().contains("NOPE_UNSET_VAR"));
    assert_eq!(e.exit_code(), 2);
}

#[test]
fn link_mode_from_the_environment_over_the_config_and_bad_values_named() {
    let cfg = "plugins:\n  link_mode: copy\n  plugins: []\n";
    assert_eq!(p(cfg).unwrap().link_mode, LinkMode::Copy);
    assert_eq!(
        p("plugins:\n  plugins: []\n").unwrap().link_mode,
        LinkMode::Hardlink
    );
    let mut env = Environment::bare("/tmp/cache".into());
    env.link_mode = Some("reflink".into());
    let path = Path::new("/tmp/proj/optimus.yaml");
    assert_eq!(parse(cfg, path, &env).unwrap().link_mode, LinkMode::Reflink);
    env.link_mode = Some("symlink".into());
    let e = parse(cfg, path, &env).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("OPTIMUS_LINK_MODE"), "{e}");
    let e = p("plugins:\n  link_mode: softlink\n").unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string().contains("optimus.yaml: plugins.link_mode")
            && e.to_string().contains("softlink"),
        "{e}"
    );
}

#[test]
fn bad_name_refused() {
    let e = p("plugins:\n  providers:\n    - {name: r, url: ./r}\n  plugins:\n    - {name: ../x, provider: r}\n").unwrap_err();
    assert!(e.to_string().contains("invalid plugin name"));
}

#[test]
fn header_names_and_values_must_be_what_http_carries() {
    let cfg = |headers: &str| {
        format!("plugins:\n  providers:\n    - name: web\n      type: http\n      url: http://127.0.0.1:1/\n      headers: {headers}\n  plugins:\n    - name: neo\n      provider: web\n      path: neo.yaml\n")
    };
    assert!(p(&cfg("{PRIVATE-TOKEN: abc}")).is_ok());
    for (headers, want) in [
        ("{PRIVATE-TOKEN: \"abc\\n\"}", "line break"),
        ("{\"Bad Name\": abc}", "not an HTTP header name"),
    ] {
        let e = p(&cfg(headers)).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        assert!(e.to_string().contains(want), "{want:?} not in {e}");
    }
}
