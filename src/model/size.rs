//! Sizes as people write them (`500M`, `2G`, `1048576`) and as they read them (`1.5 GiB`).

use crate::error::{Error, Result};

/// Bytes from `N`, `N[K|M|G|T]` (powers of 1024; `KB`, `KiB`, `k`... accepted alike), or a
/// decimal such as `1.5G`. `what` names the flag in the error.
pub fn parse_size(s: &str, what: &str) -> Result<u64> {
    let bad = || {
        Error::invalid(
            what,
            format!("{s:?}"),
            "expected a size such as 500M, 2G or a number of bytes",
        )
    };
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let unit = unit.trim().to_ascii_lowercase();
    let unit = unit.trim_end_matches('b').trim_end_matches('i');
    let mult: u64 = match unit {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        "t" => 1 << 40,
        _ => return Err(bad()),
    };
    if num.is_empty() {
        return Err(bad());
    }
    if let Ok(n) = num.parse::<u64>() {
        return n.checked_mul(mult).ok_or_else(bad);
    }
    let f: f64 = num.parse().map_err(|_| bad())?;
    let v = f * mult as f64;
    if !v.is_finite() || v < 0.0 || v > u64::MAX as f64 {
        return Err(bad());
    }
    Ok(v as u64)
}

/// `512 B`, `3.4 KiB`, `1.5 GiB`.
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    format!("{v:.1} {}", UNITS[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_size("1048576", "--max-size").unwrap(), 1 << 20);
        assert_eq!(parse_size("500M", "--max-size").unwrap(), 500 << 20);
        assert_eq!(parse_size("2G", "--max-size").unwrap(), 2 << 30);
        assert_eq!(parse_size("2gib", "--max-size").unwrap(), 2 << 30);
        assert_eq!(parse_size("10 KB", "--max-size").unwrap(), 10 << 10);
        assert_eq!(parse_size("1.5K", "--max-size").unwrap(), 1536);
        assert_eq!(parse_size("0", "--max-size").unwrap(), 0);
        for bad in ["", "M", "12X", "-1", "1..2G", "99999999999T"] {
            let e = parse_size(bad, "--max-size").unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
            assert!(e.to_string().contains("--max-size"), "{e}");
        }
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(3 << 30), "3.0 GiB");
    }
}
