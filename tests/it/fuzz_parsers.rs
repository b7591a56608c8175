//! Property tests (issue #5, part 7): random and mutated config, index, lock and receipts
//! documents and archives never panic, and extraction never writes outside its stage dir.
//!
//! proptest rather than cargo-fuzz: cargo-fuzz needs a nightly toolchain, which this machine
//! (Rust 1.95 stable) does not have. Cases per property come from PROPTEST_CASES (default 256
//! here, so CI stays fast); raise it for a longer local run:
//! `PROPTEST_CASES=20000 cargo test --test it fuzz_parsers`.
//!
//! The one suite that calls the library directly: every library path it uses is in the `use`
//! lines just below (the harness's only one is at the top of common/registry.rs), so a move of
//! those modules is fixed there and nowhere else.

use optimus_plugins::config::{self, Environment};
use optimus_plugins::extract::{Unpacker, Want};
use optimus_plugins::lockfile::Lockfile;
use optimus_plugins::model::format::Format;
use optimus_plugins::model::limits::Limits;
use optimus_plugins::model::platform::Platform;
use optimus_plugins::receipts::Receipts;
use optimus_plugins::registry::PluginIndex;
use proptest::prelude::*;
use std::io::Write;
use std::path::Path;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn cfg() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

const CONFIG: &str = "plugins:\n  dir: .plugins\n  limits:\n    max_unpacked_size: 1000\n  providers:\n    - name: reg\n      type: registry\n      url: ./registry\n      allow_unsigned: true\n    - name: web\n      type: http\n      url: http://127.0.0.1:9/\n  plugins:\n    - name: bq2bq\n      provider: reg\n      version: \"^0.3\"\n    - plugin:\n        name: neo\n        provider: web\n        path: neo/{version}/optimus-neo_{os}_{arch}.tar.gz\n        version: 1.0.0\n        sha256: { linux_amd64: \"0000000000000000000000000000000000000000000000000000000000000000\" }\n  artifacts:\n    - http://h/optimus-plugin-x.yaml\n    - ../t/optimus-y_darwin_arm64\n";

const INDEX: &str = "name = \"bq2bq\"\ndescription = \"d\"\nplugin_type = \"task\"\n\n[[version]]\nversion = \"0.3.2\"\nyanked = false\n\n[[version.artifact]]\nplatform = \"linux_amd64\"\nformat = \"tar.gz\"\nurl = \"artifacts/bq2bq/0.3.2/x.tar.gz\"\nsha256 = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\nsize = 12\nbin = \"optimus-bq2bq_linux_amd64\"\n";

const LOCK: &str = "# Generated\nversion = 1\n\n[[plugin]]\nname = \"bq2bq\"\nversion = \"0.3.2\"\nprovider = \"odpf\"\nrequirement = \"^0.3\"\nplugin_type = \"task\"\n\n[[plugin.artifact]]\nplatform = \"linux_amd64\"\nformat = \"tar.gz\"\nurl = \"registry-index/artifacts/x.tar.gz\"\nsha256 = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n";

/// Byte-level mutations of a seed: flips, deletions, insertions of interesting tokens.
fn mutated(seed: &'static str) -> impl Strategy<Value = String> {
    let tokens = prop::sample::select(vec![
        "..",
        "/",
        "\\",
        "\"",
        "[",
        "]",
        "{",
        "}",
        ":",
        "\n",
        "- ",
        "=",
        "#",
        "'",
        "${X}",
        "*",
        "\u{0}",
        "\u{feff}",
        "999999999999999999999",
        "-1",
        "[[",
        "]]",
        "&a",
        "*a",
        "!!",
        "name",
        "version",
        "url",
        "sha256",
        "../x",
        "any",
        "zip",
        "yaml",
    ]);
    prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, tokens), 1..6).prop_map(
        move |edits| {
            let mut s = seed.as_bytes().to_vec();
            for (at, op, tok) in edits {
                let i = at.index(s.len() + 1);
                match op {
                    0 => {
                        let end = (i + tok.len()).min(s.len());
                        s.drain(i..end);
                    }
                    1 => s.splice(i..i, tok.bytes()).for_each(drop),
                    _ => {
                        if i < s.len() {
                            s[i] ^= 0x20;
                        }
                    }
                }
            }
            String::from_utf8_lossy(&s).into_owned()
        },
    )
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn config_never_panics(text in prop_oneof![mutated(CONFIG), ".{0,400}"]) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("optimus.yaml");
        if let Err(e) = config::parse(&text, &path, &Environment::bare(std::env::temp_dir())) {
            // Errors name the file.
            prop_assert!(e.to_string().contains("optimus.yaml"), "{e}");
        }
    }

    #[test]
    fn index_never_panics(text in prop_oneof![mutated(INDEX), ".{0,400}"]) {
        if let Ok(idx) = PluginIndex::parse(&text, "bq2bq", "index") {
            prop_assert_eq!(&idx.name, "bq2bq");
            for v in &idx.versions {
                for a in &v.artifacts {
                    prop_assert!(a.url.as_str().contains("://") || !a.url.as_str().split('/').any(|c| c == ".."));
                    prop_assert_eq!(a.sha256.as_str().len(), 64);
                }
            }
        }
    }

    #[test]
    fn lock_never_panics(text in prop_oneof![mutated(LOCK), ".{0,400}"]) {
        match Lockfile::parse(&text, Path::new("optimus.lock")) {
            Ok(lock) => {
                // What parses round-trips.
                let again = Lockfile::parse(&lock.to_text(), Path::new("optimus.lock")).unwrap();
                prop_assert_eq!(again, lock);
            }
            Err(e) => prop_assert_eq!(e.exit_code(), 2),
        }
    }

    #[test]
    fn receipts_never_panic(text in ".{0,300}", tail in mutated("[[file]]\nfile = \"optimus-a_linux_amd64\"\nplugin = \"a\"\nsource = \"a\"\nversion = \"1\"\nplatform = \"linux_amd64\"\nkind = \"binary\"\nartifact_sha256 = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\nsha256 = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\nsize = 1\nmtime_ns = 1\n")) {
        for t in [text, tail] {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join(".receipts.toml"), &t).unwrap();
            if let Ok(r) = Receipts::read(dir.path()) {
                for f in &r.files {
                    prop_assert!(!f.file.contains('/') && !f.file.contains(".."), "{}", f.file);
                }
            }
        }
    }
}

/// A small valid archive of `format` to mutate.
fn seed_archive(format: Format) -> Vec<u8> {
    let entries: Vec<(&str, &[u8])> = vec![
        ("optimus-p_linux_amd64", b"#!/bin/sh\necho p\n"),
        ("docs/README.md", b"readme readme readme"),
        (
            "optimus-plugin-p.yaml",
            b"name: p\nplugintype: task\npluginversion: \"1\"\nimage: x\nentrypoint:\n  script: run\n",
        ),
    ];
    match format {
        Format::Zip => {
            let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            for (n, d) in &entries {
                z.start_file(
                    *n,
                    zip::write::SimpleFileOptions::default().unix_permissions(0o755),
                )
                .unwrap();
                z.write_all(d).unwrap();
            }
            z.add_symlink(
                "link",
                "docs/README.md",
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            z.finish().unwrap().into_inner()
        }
        _ => {
            let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let mut t = tar::Builder::new(gz);
            for (n, d) in &entries {
                let mut h = tar::Header::new_gnu();
                h.set_size(d.len() as u64);
                h.set_mode(0o755);
                h.set_cksum();
                t.append_data(&mut h, n, *d).unwrap();
            }
            t.into_inner().unwrap().finish().unwrap()
        }
    }
}

/// Mutates the *uncompressed* tar stream too (headers, names, types), not only gz bytes.
fn mutate_tar(edits: &[(prop::sample::Index, u8)]) -> Vec<u8> {
    let seed = seed_archive(Format::TarGz);
    let mut gz = flate2::read::GzDecoder::new(&seed[..]);
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut gz, &mut raw).unwrap();
    for (at, b) in edits {
        let i = at.index(raw.len());
        raw[i] = *b;
    }
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&raw).unwrap();
    e.finish().unwrap()
}

fn extract(bytes: &[u8], format: Format, bundle: bool) {
    let root = tempfile::tempdir().unwrap();
    let stage = root.path().join("stage");
    std::fs::create_dir(&stage).unwrap();
    let art = root.path().join("artifact");
    std::fs::write(&art, bytes).unwrap();
    let limits = Limits {
        max_unpacked_size: 1 << 20,
        max_entries: 100,
        max_ratio: 200,
    };
    let platform = Platform::parse("linux_amd64").unwrap();
    let want = if bundle {
        Want::Bundle
    } else {
        Want::One {
            name: "p".into(),
            bin: None,
        }
    };
    let res = Unpacker {
        limits: &limits,
        platform: &platform,
        stage_dir: &stage,
        what: "fuzz",
        yaml_only: false,
        target: Default::default(),
    }
    .unpack(&art, format, &want);
    // Nothing outside the stage dir: the root holds exactly what we put there.
    let mut top: Vec<String> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, vec!["artifact".to_string(), "stage".to_string()]);
    let mut in_stage: Vec<String> = std::fs::read_dir(&stage)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    in_stage.sort();
    match res {
        Ok(staged) => {
            let mut names: Vec<String> = staged
                .iter()
                .map(|s| {
                    assert_eq!(s.staged.parent(), Some(stage.as_path()));
                    s.staged.file_name().unwrap().to_string_lossy().into_owned()
                })
                .collect();
            names.sort();
            assert_eq!(in_stage, names, "unexpected files in the stage dir");
            assert!(names.iter().all(|n| n.starts_with(".optimus-tmp-")));
        }
        Err(e) => {
            assert!(in_stage.is_empty(), "a failed unpack left {in_stage:?}");
            assert!(e.to_string().contains("fuzz"), "{e}");
        }
    }
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn tar_extraction_is_contained(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8), bundle in any::<bool>()) {
        extract(&mutate_tar(&edits), Format::TarGz, bundle);
    }

    #[test]
    fn compressed_bytes_mutations_are_contained(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8), zip in any::<bool>(), bundle in any::<bool>()) {
        let format = if zip { Format::Zip } else { Format::TarGz };
        let mut bytes = seed_archive(format);
        for (at, b) in &edits {
            let i = at.index(bytes.len());
            bytes[i] = *b;
        }
        extract(&bytes, format, bundle);
    }

    #[test]
    fn random_bytes_are_contained(bytes in prop::collection::vec(any::<u8>(), 0..2048), zip in any::<bool>()) {
        extract(&bytes, if zip { Format::Zip } else { Format::TarGz }, true);
    }
}
