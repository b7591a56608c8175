//! The words and exit codes of the error variants.

use super::*;
use std::path::Path;

#[test]
fn exit_codes_follow_the_variant() {
    let cfg = Error::in_config(Path::new("o.yaml"), Some("plugin neo".into()), "bad");
    assert_eq!(cfg.to_string(), "o.yaml: plugin neo: bad");
    assert_eq!(cfg.exit_code(), 2);
    let cfg = cfg.with_config_line(Path::new("o.yaml"), Some(7));
    assert_eq!(cfg.to_string(), "o.yaml:7: plugin neo: bad");
    let run = Error::document("index of neo", "not UTF-8");
    assert_eq!(run.exit_code(), 1);
    let both = run.combine(cfg);
    assert_eq!(both.exit_code(), 2);
    assert_eq!(
        both.to_string(),
        "index of neo: not UTF-8\no.yaml:7: plugin neo: bad"
    );
    let noted = Error::document("x", "y").noted("nothing was changed");
    assert_eq!(noted.to_string(), "x: y\nnothing was changed");
    assert_eq!(noted.exit_code(), 1);
    let missing = Error::Registry {
        registry: "odpf".into(),
        url: "/nowhere".into(),
        kind: RegistryKind::Missing,
        problem: "registry odpf: the directory /nowhere does not exist".into(),
    };
    assert_eq!(missing.at("optimus.yaml:3").exit_code(), 2);
}

#[test]
fn the_value_and_download_variants_keep_their_words_and_exit_codes() {
    let bad = Error::invalid("bad URL", "http://[x", "invalid IPv6 address");
    assert_eq!(bad.to_string(), "bad URL http://[x: invalid IPv6 address");
    assert_eq!(bad.exit_code(), 2);
    let host = Error::invalid("bad registry host", "\"a b\"", "");
    assert_eq!(host.to_string(), "bad registry host \"a b\"");
    let missing = Error::ConfigMissing {
        file: "x.yaml".into(),
        hint: " (pass -c FILE)".into(),
    };
    assert_eq!(
        missing.to_string(),
        "config file x.yaml not found (pass -c FILE)"
    );
    assert_eq!(missing.exit_code(), 2);
    let cut = Error::transient("the body ended after 3 of 9 bytes");
    let retried = Error::Retried {
        source: Box::new(cut),
        attempts: 4,
    };
    assert_eq!(
        retried.to_string(),
        "the body ended after 3 of 9 bytes (after 4 attempts)"
    );
    assert_eq!(retried.exit_code(), 1);
    assert!(
        !retried.is_transient(),
        "a retried error is not retried again"
    );
    let html = Error::Download {
        what: "neo".into(),
        url: "http://127.0.0.1:1/neo.tar.gz".into(),
        problem: "is 3 bytes, the index/lock says 9".into(),
    };
    assert_eq!(
        html.to_string(),
        "neo: http://127.0.0.1:1/neo.tar.gz is 3 bytes, the index/lock says 9"
    );
    assert_eq!(html.exit_code(), 1);
    let cred = Error::Credential {
        provider: "reg".into(),
        problem: "exited with status 3".into(),
    };
    assert_eq!(
        cred.to_string(),
        "provider reg: credential_process exited with status 3"
    );
    assert_eq!(Error::Interrupted.exit_code(), 1);
}
