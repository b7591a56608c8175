//! sha256: the one place bytes are hashed and compared with what they should be.
//!
//! [`HashingWriter`] hashes bytes as they pass; [`verify`] compares a digest with the expected
//! one and is the only check that turns a mismatch into an error.

use crate::error::{Error, Result};
use sha2::Digest as _;
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// A sha256 digest, shown as 64 lowercase hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256(String);

impl Sha256 {
    pub fn of_bytes(data: &[u8]) -> Sha256 {
        let mut h = sha2::Sha256::new();
        h.update(data);
        Sha256(hex::encode(h.finalize()))
    }

    /// Streams a file through sha256; returns the digest and the size.
    pub fn of_file(path: &Path) -> Result<(Sha256, u64)> {
        let f = std::fs::File::open(path).map_err(|e| Error::path("opening", path, e))?;
        let mut w = HashingWriter::new(io::sink());
        io::copy(&mut io::BufReader::with_capacity(256 * 1024, f), &mut w)
            .map_err(|e| Error::path("reading", path, e))?;
        let (_, digest, size) = w.finish();
        Ok((digest, size))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// Whether this digest is the expected one (given as hex text).
    pub fn matches(&self, expected: &str) -> bool {
        self.0 == expected
    }
}

impl Sha256 {
    /// Parses 64 lowercase hex digits; the error says what the text is not.
    pub fn parse(s: &str) -> std::result::Result<Sha256, MalformedSha256> {
        if is_sha256_hex(s) {
            Ok(Sha256(s.to_string()))
        } else {
            Err(MalformedSha256(s.to_string()))
        }
    }
}

/// Text that is not a sha256 (64 lowercase hex digits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MalformedSha256(pub String);

impl fmt::Display for MalformedSha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed sha256 {:?}", self.0)
    }
}

impl std::error::Error for MalformedSha256 {}

impl serde::Serialize for Sha256 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Sha256 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Sha256::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `s` is 64 lowercase hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

/// The check every downloaded artifact passes: its digest must be the expected one.
/// `what` names the plugin or artifact, `url` where the bytes came from.
pub fn verify(expected: &str, actual: &Sha256, what: &str, url: &str) -> Result<()> {
    if actual.matches(expected) {
        return Ok(());
    }
    Err(Error::Checksum {
        what: what.to_string(),
        url: url.to_string(),
        expected: expected.to_string(),
        actual: actual.to_string(),
    })
}

/// Whether the file at `path` still has the digest it was recorded with; an error when it
/// cannot be read (missing).
pub fn file_matches(path: &Path, expected: &str) -> Result<bool> {
    Ok(Sha256::of_file(path)?.0.matches(expected))
}

/// Hashes (and counts) every byte written through it.
pub struct HashingWriter<W> {
    inner: W,
    hasher: sha2::Sha256,
    size: u64,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: sha2::Sha256::new(),
            size: 0,
        }
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// The inner writer, the digest and the byte count.
    pub fn finish(self) -> (W, Sha256, u64) {
        (
            self.inner,
            Sha256(hex::encode(self.hasher.finalize())),
            self.size,
        )
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn writer_and_bytes_agree() {
        assert_eq!(Sha256::of_bytes(b"abc").as_str(), ABC);
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(b"ab").unwrap();
        w.write_all(b"c").unwrap();
        let (buf, d, n) = w.finish();
        assert_eq!((buf.as_slice(), d.as_str(), n), (&b"abc"[..], ABC, 3));
    }

    #[test]
    fn verify_names_both_digests() {
        let e = verify(
            &"0".repeat(64),
            &Sha256::of_bytes(b"abc"),
            "neo",
            "http://h/x",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains(ABC) && e.contains(&"0".repeat(64)) && e.contains("http://h/x"));
        assert!(verify(ABC, &Sha256::of_bytes(b"abc"), "neo", "u").is_ok());
        assert!(is_sha256_hex(ABC) && !is_sha256_hex(&ABC.to_uppercase()));
    }
}
