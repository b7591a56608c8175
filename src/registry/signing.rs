//! minisign keys and signatures (the `minisign` crate signs; `minisign-verify` verifies):
//! the one place an index signature is checked ([`verify_signature`]).
//! Keys and signatures interoperate with the reference `minisign` tool both ways.

use crate::error::{Error, Result};
use crate::model::keys::{key_id_of, payload_line};
use std::path::{Path, PathBuf};

pub struct SigningKey {
    sk: minisign::SecretKey,
    pk: minisign::PublicKey,
}

impl SigningKey {
    /// Loads a secret key file (ours or `minisign -G`'s); an encrypted one needs a password.
    pub fn load(path: &Path, password: Option<String>) -> Result<SigningKey> {
        let refused = |problem: String| Error::Key {
            file: path.to_path_buf(),
            problem,
        };
        let text = std::fs::read_to_string(path).map_err(|e| refused(e.to_string()))?;
        check_secret_key_file(path, &text)?;
        let bad = |e: minisign::PError| refused(format!("not a usable minisign secret key: {e}"));
        let sk = match unencrypted_key(&text) {
            Some(raw) => {
                let sk = minisign::SecretKey::from_bytes(&raw).map_err(bad)?;
                // Our keys carry the blake2b checksum; `minisign -G -W` leaves it zeroed.
                let chk = &raw[raw.len() - 32..];
                let checked = || -> Result<bool> {
                    let boxed = minisign::SecretKeyBox::from_string(&text).map_err(bad)?;
                    Ok(boxed.into_unencrypted_secret_key().is_ok())
                };
                if chk.iter().any(|&b| b != 0) && !checked()? {
                    return Err(refused(
                        "the secret key is corrupted (checksum mismatch)".into(),
                    ));
                }
                sk
            }
            None => {
                let pw = password.ok_or_else(|| {
                    refused(
                        "the secret key is encrypted: pass --password-env VAR with the password in $VAR"
                            .into(),
                    )
                })?;
                minisign::SecretKeyBox::from_string(&text)
                    .map_err(bad)?
                    .into_secret_key(Some(pw))
                    .map_err(bad)?
            }
        };
        let pk = minisign::PublicKey::from_secret_key(&sk).map_err(bad)?;
        Ok(SigningKey { sk, pk })
    }

    pub fn public_key_base64(&self) -> String {
        self.pk.to_base64()
    }

    /// Signs `data`; `file` goes into the trusted comment as minisign does.
    pub fn sign(&self, data: &[u8], file: &str) -> Result<String> {
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let trusted = format!("timestamp:{ts}\tfile:{file}\thashed");
        let sig = minisign::sign(
            Some(&self.pk),
            &self.sk,
            std::io::Cursor::new(data),
            Some(&trusted),
            Some("signature from optimus-plugins"),
        )
        .map_err(|e| Error::Signature {
            what: format!("signing {file}"),
            problem: e.to_string(),
            mismatch: false,
        })?;
        Ok(sig.to_string())
    }
}

/// The raw bytes of a secret key file whose key is not encrypted (KDF algorithm `\0\0`).
/// Refuses a file that is no minisign secret key at all (the public key, most likely), naming
/// what it is and the file to pass instead.
fn check_secret_key_file(path: &Path, text: &str) -> Result<()> {
    use base64::Engine;
    let raw =
        payload_line(text).and_then(|l| base64::engine::general_purpose::STANDARD.decode(l).ok());
    match raw.map(|r| r.len()) {
        Some(158) => Ok(()),
        Some(42) => {
            let key = path.with_extension("key");
            let hint = match key.is_file() {
                true => format!("pass --secret-key {}", key.display()),
                false => "pass the PREFIX.key that `optimus-plugins keygen --output PREFIX` wrote beside it".to_string(),
            };
            Err(Error::Key {
                file: path.to_path_buf(),
                problem: format!(
                    "this is a minisign public key (the one clients pin), not a secret key: {hint}"
                ),
            })
        }
        _ => Err(Error::Key {
            file: path.to_path_buf(),
            problem: "not a minisign secret key; pass the PREFIX.key that `optimus-plugins keygen --output PREFIX` (or `minisign -G`) wrote".into(),
        }),
    }
}

fn unencrypted_key(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let line = payload_line(text)?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(line)
        .ok()?;
    (raw.len() == 158 && raw[2..4] == [0, 0]).then_some(raw)
}

/// Writes `PREFIX.key` (mode 0600) and `PREFIX.pub`; returns their paths and the public key.
pub fn keygen(
    prefix: &Path,
    password: Option<String>,
    force: bool,
) -> Result<(PathBuf, PathBuf, String)> {
    let key_path = PathBuf::from(format!("{}.key", prefix.display()));
    let pub_path = PathBuf::from(format!("{}.pub", prefix.display()));
    if !force {
        for p in [&key_path, &pub_path] {
            if p.exists() {
                return Err(Error::Usage {
                    arg: format!("--output {}", prefix.display()),
                    problem: format!(
                        "{} already exists; pass --force to overwrite it",
                        p.display()
                    ),
                });
            }
        }
    }
    let fail = |e: minisign::PError| Error::Signature {
        what: "generating a key pair".into(),
        problem: e.to_string(),
        mismatch: false,
    };
    let kp = match password {
        Some(pw) => minisign::KeyPair::generate_encrypted_keypair(Some(pw)).map_err(fail)?,
        None => minisign::KeyPair::generate_unencrypted_keypair().map_err(fail)?,
    };
    let sk_text = kp.sk.to_box(None).map_err(fail)?.to_string();
    let pk_text = kp.pk.to_box().map_err(fail)?.to_string();
    if let Some(parent) = key_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::path("creating", parent, e))?;
    }
    crate::model::fsutil::write_atomic_mode(&key_path, sk_text.as_bytes(), 0o600)?;
    crate::model::fsutil::write_atomic(&pub_path, pk_text.as_bytes())?;
    Ok((key_path, pub_path, kp.pk.to_base64()))
}

/// Why a signature does not verify with the pinned keys.
#[derive(Debug)]
pub enum Unverified {
    /// Not a minisign signature.
    Malformed(String),
    /// Made by a pinned key over other bytes (a publisher racing the read, or tampering).
    Mismatch,
    /// Made by a key that is not pinned: its id, and the pinned keys' ids.
    NotPinned {
        signed_by: String,
        pinned: Vec<String>,
    },
}

impl Unverified {
    /// The error about the signed document `what`.
    pub fn error(self, what: &str) -> Error {
        let (problem, mismatch) = match self {
            Unverified::Malformed(e) => (format!("malformed signature: {e}"), false),
            Unverified::Mismatch => (
                "bad signature: the signature does not match the file's contents (tampered?)"
                    .to_string(),
                true,
            ),
            Unverified::NotPinned { signed_by, pinned } => (
                format!(
                    "bad signature: signed by key {signed_by}, which is not pinned (pinned: {})",
                    pinned.join(", ")
                ),
                false,
            ),
        };
        Error::Signature {
            what: what.to_string(),
            problem,
            mismatch,
        }
    }
}

/// Checks `data` against a minisign signature with any of the pinned keys.
pub fn check_signature(data: &[u8], sig_text: &str, keys: &[String]) -> Result<(), Unverified> {
    let sig = minisign_verify::Signature::decode(sig_text)
        .map_err(|e| Unverified::Malformed(e.to_string()))?;
    for k in keys {
        let Ok(pk) = minisign_verify::PublicKey::from_base64(k) else {
            continue;
        };
        if pk.verify(data, &sig, false).is_ok() {
            return Ok(());
        }
    }
    let signed_by = sig_text
        .lines()
        .nth(1)
        .and_then(key_id_of)
        .unwrap_or_else(|| "?".into());
    let pinned: Vec<String> = keys.iter().filter_map(|k| key_id_of(k)).collect();
    if pinned.contains(&signed_by) {
        return Err(Unverified::Mismatch);
    }
    Err(Unverified::NotPinned { signed_by, pinned })
}

/// Verifies `data` against a minisign signature with any of the pinned keys; `what` names the
/// signed document in the error.
pub fn verify_signature(data: &[u8], sig_text: &str, keys: &[String], what: &str) -> Result<()> {
    check_signature(data, sig_text, keys).map_err(|u| u.error(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(dir: &Path, name: &str) -> (SigningKey, String) {
        let (key, _, public) = keygen(&dir.join(name), None, false).unwrap();
        (SigningKey::load(&key, None).unwrap(), public)
    }

    #[test]
    fn signatures_verify_with_a_pinned_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let (a, a_pub) = key(dir.path(), "a");
        let (_, b_pub) = key(dir.path(), "b");
        let data = b"name = \"neo\"\n";
        let sig = a.sign(data, "neo.toml").unwrap();
        // Rotation: any pinned key may have signed.
        verify_signature(data, &sig, &[b_pub.clone(), a_pub.clone()], "index of neo").unwrap();
        let e = verify_signature(b"name = \"evil\"\n", &sig, &[a_pub], "index of neo").unwrap_err();
        assert!(e.is_signature_mismatch(), "{e}");
        let e = verify_signature(data, &sig, &[b_pub], "index of neo")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("index of neo") && e.contains("not pinned"),
            "{e}"
        );
        let e = verify_signature(data, "garbage", &[], "index of neo")
            .unwrap_err()
            .to_string();
        assert!(e.contains("malformed signature"), "{e}");
    }

    #[test]
    fn why_a_signature_fails_is_told_by_its_type() {
        let dir = tempfile::tempdir().unwrap();
        let (a, a_pub) = key(dir.path(), "a");
        let (_, b_pub) = key(dir.path(), "b");
        let sig = a.sign(b"x", "x").unwrap();
        assert!(matches!(
            check_signature(b"y", &sig, std::slice::from_ref(&a_pub)),
            Err(Unverified::Mismatch)
        ));
        assert!(matches!(
            check_signature(b"x", &sig, std::slice::from_ref(&b_pub)),
            Err(Unverified::NotPinned { .. })
        ));
        assert!(matches!(
            check_signature(b"x", "garbage", &[a_pub]),
            Err(Unverified::Malformed(_))
        ));
        // Every signature failure is a run-time error; only the mismatch is worth a re-read.
        let e = Unverified::NotPinned {
            signed_by: "K".into(),
            pinned: vec![],
        }
        .error("index of neo");
        assert!(matches!(
            e,
            Error::Signature {
                mismatch: false,
                ..
            }
        ));
        assert_eq!(e.exit_code(), 1);
    }

    #[test]
    fn a_key_file_that_cannot_sign_is_a_key_error() {
        let dir = tempfile::tempdir().unwrap();
        let (key_file, pub_file, _) = keygen(&dir.path().join("k"), None, false).unwrap();
        for (file, want) in [
            (&pub_file, "this is a minisign public key"),
            (&dir.path().join("nope.key"), "nope.key"),
        ] {
            let e = SigningKey::load(file, None).err().unwrap();
            assert!(matches!(&e, Error::Key { file: f, .. } if f == file), "{e}");
            assert!(e.to_string().contains(want), "{e}");
            assert_eq!(e.exit_code(), 2);
        }
        let e = keygen(&dir.path().join("k"), None, false).err().unwrap();
        assert!(
            e.to_string()
                .contains(&format!("{} already exists", key_file.display())),
            "{e}"
        );
        assert_eq!(e.exit_code(), 2);
    }
}
