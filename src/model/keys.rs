//! The text of minisign key and signature files: their payload line and key id.

/// The base64 payload of a minisign key or signature file: its first line that is not empty
/// and not the untrusted comment (a bare base64 key is its own payload).
pub fn payload_line(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
}

/// The minisign key id of a public key or signature (bytes 2..10, shown as minisign does).
pub fn key_id_of(b64_line: &str) -> Option<String> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64_line.trim())
        .ok()?;
    let id: [u8; 8] = raw.get(2..10)?.try_into().ok()?;
    Some(format!("{:016X}", u64::from_le_bytes(id)))
}

/// Whether a public key (base64, or a whole `.pub` file's text) is a minisign public key;
/// returns its payload line.
pub fn public_key(text: &str) -> Option<&str> {
    let key = payload_line(text)?;
    minisign_verify::PublicKey::from_base64(key).ok()?;
    Some(key)
}
