//! Archives for the suites to publish or install: ordinary tar.gz and zip files, and raw ones
//! with whatever names, links and entry types a hostile publisher might write.

use std::io::Write;
use std::path::Path;

/// A tar.gz of `(name, bytes, mode)` entries, built with the `tar` crate.
pub fn write_targz(path: &Path, entries: &[(String, Vec<u8>, u32)]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::File::create(path).unwrap();
    let gz = flate2::write::GzEncoder::new(f, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (name, data, mode) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(*mode);
        h.set_cksum();
        tar.append_data(&mut h, name, &data[..]).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

/// A zip of `(name, bytes, mode)` entries.
pub fn write_zip(path: &Path, entries: &[(String, Vec<u8>, u32)]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    for (name, data, mode) in entries {
        let o = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
        z.start_file(name.as_str(), o).unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
}

/// One raw tar entry: whatever name, link target and type byte the test wants, including those
/// the `tar` crate refuses to build (absolute, `..`, devices).
#[derive(Clone, Debug)]
pub struct RawEntry {
    pub name: String,
    pub link: String,
    pub kind: u8,
    pub data: Vec<u8>,
    pub mode: u32,
}

impl RawEntry {
    pub fn file(name: &str, data: &[u8]) -> RawEntry {
        RawEntry {
            name: name.into(),
            link: String::new(),
            kind: b'0',
            data: data.to_vec(),
            mode: 0o755,
        }
    }
    pub fn symlink(name: &str, target: &str) -> RawEntry {
        RawEntry {
            name: name.into(),
            link: target.into(),
            kind: b'2',
            data: Vec::new(),
            mode: 0o777,
        }
    }
    pub fn hardlink(name: &str, target: &str) -> RawEntry {
        RawEntry {
            kind: b'1',
            ..RawEntry::symlink(name, target)
        }
    }
    pub fn special(name: &str, kind: u8) -> RawEntry {
        RawEntry {
            kind,
            ..RawEntry::file(name, b"")
        }
    }
}

fn octal(field: &mut [u8], v: u64) {
    let n = field.len() - 1;
    let s = format!("{:0width$o}", v, width = n);
    field[..n].copy_from_slice(s.as_bytes());
    field[n] = 0;
}

fn raw_header(name: &[u8], link: &[u8], kind: u8, size: u64, mode: u32) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len().min(100)].copy_from_slice(&name[..name.len().min(100)]);
    octal(&mut h[100..108], mode as u64);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 0);
    h[156] = kind;
    h[157..157 + link.len().min(100)].copy_from_slice(&link[..link.len().min(100)]);
    h[257..263].copy_from_slice(b"ustar ");
    h[263..265].copy_from_slice(b" \0");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    let s = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(s.as_bytes());
    h
}

/// Raw (uncompressed) tar bytes; names over 100 bytes use GNU long-name records.
pub fn raw_tar(entries: &[RawEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    let pad = |out: &mut Vec<u8>| {
        while !out.len().is_multiple_of(512) {
            out.push(0);
        }
    };
    for e in entries {
        if e.name.len() > 100 {
            let mut long = e.name.as_bytes().to_vec();
            long.push(0);
            out.extend_from_slice(&raw_header(
                b"././@LongLink",
                b"",
                b'L',
                long.len() as u64,
                0,
            ));
            out.extend_from_slice(&long);
            pad(&mut out);
        }
        out.extend_from_slice(&raw_header(
            e.name.as_bytes(),
            e.link.as_bytes(),
            e.kind,
            e.data.len() as u64,
            e.mode,
        ));
        out.extend_from_slice(&e.data);
        pad(&mut out);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

pub fn write_raw_targz(path: &Path, entries: &[RawEntry]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, gzip(&raw_tar(entries))).unwrap();
}

/// A zip whose entries may be symlinks (`link: Some(target)`) or carry any unix mode; names
/// are written as given (absolute, `..`).
pub fn write_raw_zip(path: &Path, entries: &[(&str, Option<&str>, &[u8], u32)]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    for (name, link, data, mode) in entries {
        let o = zip::write::SimpleFileOptions::default()
            .unix_permissions(*mode)
            .compression_level(Some(1));
        match link {
            Some(t) => z.add_symlink(*name, *t, o).unwrap(),
            None => {
                z.start_file(*name, o).unwrap();
                z.write_all(data).unwrap();
            }
        }
    }
    z.finish().unwrap();
}
