//! Signatures interoperate with the reference `minisign` tool (Debian's package), both ways.

use crate::common::*;
use std::process::Command;

#[test]
fn reference_minisign_verifies_our_signatures() {
    let Some(ms) = minisign() else { return };
    let sb = Sandbox::new();
    let reg = Registry::new(&sb, "registry");
    reg.publish_yaml(&sb, "neo", "1.0.0").ok();
    let out = Command::new(ms)
        .args(["-V", "-p"])
        .arg(sb.p("keys/registry.pub"))
        .arg("-m")
        .arg(reg.root.join("index/neo.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "minisign -V failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("file:neo.toml"));
    // And a tampered index fails the reference tool too.
    let idx = reg.root.join("index/neo.toml");
    let text = std::fs::read_to_string(&idx)
        .unwrap()
        .replace("1.0.0", "6.6.6");
    std::fs::write(&idx, text).unwrap();
    let out = Command::new(ms)
        .args(["-V", "-p"])
        .arg(sb.p("keys/registry.pub"))
        .arg("-m")
        .arg(&idx)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn we_publish_with_and_verify_keys_made_by_reference_minisign() {
    let Some(ms) = minisign() else { return };
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.p("keys")).unwrap();
    let st = Command::new(ms)
        .args(["-G", "-W", "-p"])
        .arg(sb.p("keys/ref.pub"))
        .arg("-s")
        .arg(sb.p("keys/ref.key"))
        .status()
        .unwrap();
    assert!(st.success());
    let pubkey = sb.read("keys/ref.pub").lines().nth(1).unwrap().to_string();
    let reg = Registry {
        root: sb.p("registry"),
        key: sb.p("keys/ref.key"),
        public_key: pubkey.clone(),
    };
    reg.publish_yaml(&sb, "neo", "1.0.0").ok();

    // Re-sign the index with the reference tool itself: the client must accept it.
    let idx = reg.root.join("index/neo.toml");
    std::fs::remove_file(reg.root.join("index/neo.toml.minisig")).unwrap();
    let st = Command::new(ms)
        .args(["-S", "-s"])
        .arg(sb.p("keys/ref.key"))
        .arg("-m")
        .arg(&idx)
        .status()
        .unwrap();
    assert!(st.success());
    assert!(sb
        .read("registry/index/neo.toml.minisig")
        .contains("trusted comment"));
    sb.write(
        "proj/optimus.yaml",
        registry_config("../registry", &pubkey, &[("neo", "*")]),
    );
    sb.plugin(&["install", "-c", "proj/optimus.yaml"]).ok();
    assert!(sb
        .read("proj/.plugins/optimus-plugin-neo.yaml")
        .contains("name: neo"));
}

#[test]
fn encrypted_keys_need_the_password() {
    let sb = Sandbox::new();
    let prefix = sb.p("keys/enc");
    let r = sb.run_env(
        &[
            "plugin",
            "keygen",
            "--output",
            prefix.to_str().unwrap(),
            "--password-env",
            "PW",
        ],
        &[("PW", "correct horse")],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    let yaml = make_yaml(&sb, "neo", "1.0.0");
    let base = [
        "plugin",
        "publish",
        "--registry",
        "reg",
        "--secret-key",
        "keys/enc.key",
    ];
    let mut args: Vec<&str> = base.to_vec();
    args.extend(["neo", "1.0.0", yaml.to_str().unwrap()]);
    sb.run(&args).expect(2, &["encrypted", "--password-env"]);
    let mut with_pw = base.to_vec();
    with_pw.extend([
        "--password-env",
        "PW",
        "neo",
        "1.0.0",
        yaml.to_str().unwrap(),
    ]);
    sb.run_env(&with_pw, &[("PW", "correct horse")]).ok();
    let r = sb.run_env(&with_pw, &[("PW", "wrong")]);
    assert_eq!(r.code, 2, "{}", r.all());
}

#[cfg(unix)]
#[test]
fn keygen_force_writes_a_private_key_even_over_a_readable_file() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let key = sb.write("keys/k.key", "old");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let prefix = sb.p("keys/k");
    sb.plugin(&["keygen", "--output", prefix.to_str().unwrap()])
        .expect(2, &["--force"]);
    assert_eq!(sb.read("keys/k.key"), "old", "refused without --force");
    sb.plugin(&["keygen", "--output", prefix.to_str().unwrap(), "--force"])
        .ok();
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(sb.read("keys/k.key").contains("secret key"));
}
