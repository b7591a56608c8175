//! One named test per class of issue 19's table (and issue 17's yaml messages): a file of that
//! class, and go-yaml's own verdict on it (read from tests/go-oracle once, written down here),
//! which ours must equal.

use crate::common::{Sandbox, Snapshot};
use optimus_plugins::upstream::target::Target::{self, Goto, Raystack, Raystack05};
use optimus_plugins::upstream::yaml::{check_bytes, Verdict};

const R: &str = "name: neo\nplugintype: task\npluginversion: 0.1.0\nimage: r.io/neo:1\nentrypoint:\n  script: run\n";
const R5: &str = "name: neo\nplugintype: task\npluginversion: 0.1.0\nimage: r.io/neo:1\n";
const G: &str = "version: 2\nname: neo\nplugin_versions:\n  default:\n    image: r.io/neo\n    tag: \"1.0\"\n    entrypoint:\n      script: run\n";

/// Our verdict on `bytes` must be go-yaml's: `None` loads, `Some(text)` is refused with it.
fn go_says(target: Target, bytes: impl AsRef<[u8]>, want: Option<&str>) -> Verdict {
    let v = check_bytes(bytes.as_ref(), "optimus-plugin-neo.yaml", target);
    assert_eq!(
        v.refusal.as_deref(),
        want,
        "[{target}] {:?}",
        String::from_utf8_lossy(bytes.as_ref())
    );
    v
}

fn utf16(s: &str, le: bool) -> Vec<u8> {
    let mut out = if le {
        vec![0xff, 0xfe]
    } else {
        vec![0xfe, 0xff]
    };
    for u in s.encode_utf16() {
        out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

#[test]
fn bom_utf8_accepted() {
    go_says(Raystack, format!("\u{feff}{R}"), None);
    go_says(Goto, format!("\u{feff}{G}"), None);
}

#[test]
fn utf16_bom_decoded() {
    let v = go_says(Raystack, utf16(R, true), None);
    assert_eq!(v.name.as_deref(), Some("neo"));
    go_says(Goto, utf16(G, false), None);
}

#[test]
fn control_chars_refused() {
    let refused = Some("yaml: control characters are not allowed");
    let v = go_says(Raystack, R.replace("neo\n", "ne\u{7}o\n"), refused);
    assert_eq!(
        (v.errors[0].line, v.errors[0].column),
        (Some(1), Some(9)),
        "{v:?}"
    );
    go_says(Goto, format!("{G}# a \u{1b} comment\n"), refused);
    go_says(
        Raystack05,
        format!("{R5}description: a\u{fffe}b\n"),
        refused,
    );
    go_says(Raystack, R.replace("run", "r\u{7f}un"), refused);
}

#[test]
fn nel_and_line_separators_break_lines() {
    go_says(
        Raystack,
        R.replace("plugintype: task\n", "plugintype: task\u{85}"),
        None,
    );
    go_says(Goto, G.replace("name: neo\n", "name: neo\u{2028}"), None);
    // NEL inside a value ends the line: the rest is not a key.
    go_says(
        Goto,
        G.replace("run", "r\u{85}un"),
        Some("yaml: line 9: could not find expected ':'"),
    );
}

#[test]
fn yaml_directive_refused() {
    let incompatible = Some("yaml: found incompatible YAML document");
    go_says(Raystack, format!("%YAML 1.2\n---\n{R}"), incompatible);
    go_says(Goto, format!("%YAML 1.2\n---\n{G}"), incompatible);
    go_says(
        Raystack,
        format!("%FOO bar\n---\n{R}"),
        Some("yaml: found unknown directive name"),
    );
    go_says(Raystack, format!("%YAML 1.1\n---\n{R}"), None);
}

#[test]
fn tab_indentation_refused() {
    let v = go_says(
        Raystack,
        R.replace("pluginversion", "\t\npluginversion"),
        Some("yaml: line 3: found a tab character that violates indentation"),
    );
    // Issue 17: go-yaml's text stays; our hint says what to do.
    assert!(
        v.errors[0].message.contains("found a tab character"),
        "{v:?}"
    );
    assert!(
        v.errors[0].message.contains("indent with spaces, not tabs"),
        "{v:?}"
    );
    go_says(
        Goto,
        G.replace("name: neo\n", "name: neo\n\t# the name\n"),
        Some("yaml: line 2: found a tab character that violates indentation"),
    );
    go_says(
        Raystack,
        format!("{R}dependson:\n-\ta\n"),
        Some("yaml: line 8: found character that cannot start any token"),
    );
    let v = go_says(
        Raystack,
        R.replace("  script", "\tscript"),
        Some("yaml: line 6: found character that cannot start any token"),
    );
    assert!(
        v.errors[0].message.contains("indent with spaces, not tabs"),
        "{v:?}"
    );
    assert_eq!(v.errors[0].line, Some(6), "{v:?}");
}

#[test]
fn tab_separator_and_flow_at_column_0_accepted() {
    go_says(Raystack, R.replace("name: neo", "name:\tneo"), None);
    go_says(Raystack, format!("{R}dependson: [a,\nb]\n"), None);
}

#[test]
fn explicit_tags_decode_or_refuse() {
    let v = go_says(Raystack, R.replace("name: neo", "name: !!str ~"), None);
    assert_eq!(v.name.as_deref(), Some("~"));
    let v = go_says(
        Goto,
        G.replace("name: neo", "name: !!binary dGFzaw=="),
        None,
    );
    assert_eq!(v.name.as_deref(), Some("task"));
    let v = go_says(
        Raystack,
        R.replace("pluginversion: 0.1.0", "pluginversion: !!int foo"),
        Some("yaml: cannot decode !!str `foo` as a !!int"),
    );
    assert_eq!(v.errors[0].line, Some(3), "{v:?}");
    // A !!binary key that is not UTF-8: Go prints each stray byte as U+FFFD.
    go_says(
        Raystack,
        "name: neo\n!!binary 4oI=: x\n",
        Some("yaml: unmarshal errors:\n  line 2: field \u{fffd}\u{fffd} not found in type yaml.PluginSpec"),
    );
    go_says(
        Raystack,
        format!("{R}questions:\n- name: A\n  required: !!bool yes\n"),
        None,
    );
    go_says(
        Raystack,
        R.replace(
            "pluginversion: 0.1.0",
            "pluginversion: !!timestamp 2001-01-01",
        ),
        None,
    );
    go_says(
        Goto,
        G.replace("version: 2", "version: !!str 2"),
        Some("yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `2` into int"),
    );
}

#[test]
fn merge_keys_merge() {
    let v = go_says(
        Raystack,
        "name: neo\nplugintype: task\n<<: {pluginversion: 0.1.0, image: r.io/neo:1}\nentrypoint:\n  script: run\n",
        None,
    );
    assert!(v.loads());
    let v = go_says(
        Goto,
        "x-base: &base\n  image: r.io/neo\n  tag: \"1.0\"\n  entrypoint:\n    script: run\nversion: 2\nname: neo\nplugin_versions:\n  default:\n    <<: *base\n",
        None,
    );
    assert_eq!(
        v.images,
        [("default".to_string(), "r.io/neo:1.0".to_string())]
    );
}

#[test]
fn aliases_resolve() {
    go_says(
        Raystack,
        "name: &n neo\nplugintype: task\npluginversion: *n\nimage: r.io/neo:1\nentrypoint:\n  script: run\n",
        None,
    );
    let v = go_says(
        Goto,
        format!("x: &k name\n{}", G.replace("name: neo", "*k : neo")),
        None,
    );
    assert_eq!(v.name.as_deref(), Some("neo"));
    go_says(
        Raystack,
        format!("{R}dependson: &d [*d]\n"),
        Some("yaml: unmarshal errors:\n  line 7: cannot unmarshal !!seq into string"),
    );
    go_says(
        Raystack,
        format!("{R}description: *nowhere\n"),
        Some("yaml: unknown anchor 'nowhere' referenced"),
    );
}

#[test]
fn numbers_into_go_int_fields() {
    go_says(
        Raystack,
        format!("{R}questions:\n- name: A\n  minlength: 3.5\n"),
        None,
    );
    go_says(
        Goto,
        G.replace("version: 2", "version: .5"),
        Some("plugin spec version is required"),
    );
    go_says(Goto, G.replace("version: 2", "version: -.inf"), None);
    go_says(Goto, G.replace("version: 2", "version: 2.5"), None);
    go_says(
        Raystack,
        format!("{R}questions:\n- name: A\n  minlength: _3\n"),
        Some("yaml: unmarshal errors:\n  line 9: cannot unmarshal !!str `_3` into int"),
    );
    go_says(
        Raystack,
        format!("{R}questions:\n- name: A\n  maxlength: 9223372036854775808\n"),
        Some("yaml: unmarshal errors:\n  line 9: cannot unmarshal !!int `9223372...` into int"),
    );
}

#[test]
fn yaml_v3_corners_as_go_yaml() {
    go_says(Goto, format!("{G}x-ignored:\n  ? [a, b]\n  : c\n"), None);
    go_says(
        Goto,
        format!("{G}: x\n"),
        Some("yaml: line 8: did not find expected key"),
    );
    let long = "k".repeat(1100);
    go_says(
        Goto,
        format!("{G}x-long: {{{long}: v}}\n"),
        Some("yaml: line 8: did not find expected ',' or '}'"),
    );
    // yaml.v3 reads two tokens ahead: into a second document, which yaml.v2 never reads.
    go_says(
        Goto,
        format!("{G}---\n\t\n"),
        Some("yaml: line 10: found character that cannot start any token"),
    );
    go_says(Raystack, format!("{R}---\n\t\n"), None);
}

#[test]
fn go_type_names_in_messages() {
    go_says(
        Raystack,
        format!("{}pluginmods: cli\n", R.replace("plugintype: task", "plugintype: [task]")),
        Some("yaml: unmarshal errors:\n  line 2: cannot unmarshal !!seq into plugin.Type\n  line 7: cannot unmarshal !!str `cli` into []plugin.Mod"),
    );
    go_says(
        Raystack05,
        format!("{}hooktype: [pre]\n", R5.replace("plugintype: task", "plugintype: {a: b}")),
        Some("yaml: unmarshal errors:\n  line 2: cannot unmarshal !!map into models.PluginType\n  line 5: cannot unmarshal !!seq into models.HookType"),
    );
}

#[test]
fn repeated_key_reported_at_its_line() {
    let v = go_says(
        Raystack,
        format!("{R}description: a\ndescription: b\n"),
        Some("yaml: unmarshal errors:\n  line 8: field description already set in type yaml.PluginSpec"),
    );
    assert_eq!(
        (v.errors[0].line, v.errors[0].column),
        (Some(8), Some(1)),
        "{v:?}"
    );
    let v = go_says(
        Goto,
        format!("{G}description: a\ndescription: b\n"),
        Some("yaml: unmarshal errors:\n  line 10: mapping key \"description\" already defined at line 9"),
    );
    assert_eq!(v.errors[0].line, Some(10), "{v:?}");
}

#[test]
fn syntax_errors_carry_go_yamls_text() {
    go_says(
        Raystack,
        "name: neo\nimage: [a, b\n",
        Some("yaml: line 2: did not find expected ',' or ']'"),
    );
    go_says(
        Raystack,
        "name: neo\nimage\nplugintype: task\n",
        Some("yaml: line 3: could not find expected ':'"),
    );
}

#[test]
fn validate_reads_utf16_and_names_the_tab_changing_nothing() {
    let sb = Sandbox::new();
    sb.write("utf16/optimus-plugin-neo.yaml", utf16(R, true));
    sb.write(
        "tab/optimus-plugin-neo.yaml",
        R.replace("  script", "\tscript"),
    );
    let snap = Snapshot::take(&[sb.path()]);
    assert!(snap
        .paths()
        .any(|p| p.ends_with("utf16/optimus-plugin-neo.yaml")));
    sb.plugin(&["validate", "--path", "utf16/optimus-plugin-neo.yaml"])
        .expect(0, &[]);
    sb.plugin(&["validate", "--path", "tab/optimus-plugin-neo.yaml"])
        .expect(
            1,
            &[
                "optimus-plugin-neo.yaml:6:1: error:",
                "found character that cannot start any token",
                "indent with spaces, not tabs",
            ],
        );
    snap.assert_unchanged(&[]);
}

#[test]
fn deep_nesting_as_go_yaml() {
    let deep = |n: usize| format!("{G}x: {}{}\n", "[".repeat(n), "]".repeat(n));
    // 10,000 levels load (and do not overflow our stack); one more is go-yaml's limit.
    go_says(Goto, deep(10_000), None);
    go_says(
        Goto,
        deep(10_001),
        Some("yaml: line 9: exceeded max depth of 10000"),
    );
    go_says(
        Raystack,
        deep(10_001),
        Some("yaml: line 9: exceeded max depth of 10000"),
    );
}
