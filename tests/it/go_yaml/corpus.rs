//! A seeded generator of mutated yaml plugin files: upstream-shaped seeds (tests/data) changed
//! by one or two mutations, each of a class where our decoder and go-yaml once disagreed
//! (issue 19) or that a hand-edited file often shows.

use std::path::Path;

/// splitmix64: small, seeded, the same sequence on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The seeds: every yaml file under tests/data, and three small valid plugins.
pub fn seeds(root: &Path) -> Vec<String> {
    let mut out = vec![
        "name: neo\ndescription: d\nplugintype: task\npluginversion: 1.0.0\nimage: r.io/neo:1\nentrypoint:\n  script: run\nquestions:\n  - name: A\n    prompt: a\n    minlength: 1\n    maxlength: 3\n    required: true\n".to_string(),
        "name: neo\nplugintype: hook\nhooktype: pre\npluginversion: \"0.5\"\nimage: r.io/neo:1\nsecretpath: /tmp/s\ndefaultconfig:\n- name: A\n  value: b\n".to_string(),
        "version: 2\nname: neo\nplugin_versions:\n  default:\n    image: r.io/neo\n    tag: \"1.0\"\n    entrypoint:\n      script: run\n  \"1.1\":\n    tag: 1.1.0\ndefault_config:\n  A: b\n".to_string(),
    ];
    for dir in [
        "tests/data/upstream/cases",
        "tests/data/yaml/good",
        "tests/data/yaml/bad",
        "tests/data/yaml/ok",
    ] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        out.extend(files.iter().map(|p| std::fs::read_to_string(p).unwrap()));
    }
    out
}

const SCALARS: &[&str] = &[
    "3.5",
    ".5",
    "-.inf",
    ".inf",
    ".nan",
    "2.5",
    "_3",
    "1_000",
    "0x1F",
    "0o17",
    "017",
    "09",
    "0b101",
    "-0b11",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "1e3",
    "1e400",
    "-0",
    "+7",
    "0.",
    "2001-01-01",
    "2001-1-2 3:04:05",
    "2001-12-14t21:59:43.10-05:00",
    "2001-02-30",
    "\"3\"",
    "'4'",
    "yes",
    "no",
    "on",
    "Off",
    "y",
    "N",
    "true",
    "False",
    "~",
    "null",
    "Null",
    "",
    "[]",
    "{}",
    "[1, 2]",
    "{a: b}",
    "<<",
    "\"<<\"",
    "!!str 5",
    "!!int 5",
    "!!int five",
    "!!int \"7\"",
    "!!float 3",
    "!!float x",
    "!!bool yes",
    "!!bool true",
    "!!null ~",
    "!!null x",
    "!!str ~",
    "!!binary dGFzaw==",
    "!!binary !!!",
    "!!timestamp 2001-01-01",
    "!!timestamp x",
    "!custom v",
    "! 5",
    "!<tag:yaml.org,2002:int> 6",
    "!!map {}",
    "!!seq []",
    "!!set {a: ~}",
    "|\n  block\n",
    ">-\n  folded\n  text\n",
    "&a x",
    "*missing",
    "abcdefghijklmnop",
    "\"a\\tb\"",
    "'it''s'",
    "é€😀",
    "a: b",
    "- x",
    "@x",
    "`x",
    "%x",
    "x #c",
    "x#y",
    "\"unterminated",
    "[a, b",
    "{a: b",
    "? a",
    "-",
    ":",
    "a\tb",
];

const CONTROL: &[&str] = &[
    "\u{1}", "\u{7}", "\u{8}", "\u{b}", "\u{c}", "\u{1b}", "\u{7f}", "\u{80}", "\u{85}", "\u{9f}",
    "\u{a0}", "\u{2028}", "\u{2029}", "\u{feff}", "\u{fffe}", "\u{ffff}", "\u{0}", "\r", "\r\n",
    "\t",
];

fn lines(t: &str) -> Vec<String> {
    t.lines().map(str::to_string).collect()
}

fn join(l: &[String]) -> String {
    let mut s = l.join("\n");
    s.push('\n');
    s
}

/// Lines of the form `key: value` (with their index and indentation).
fn key_lines(l: &[String]) -> Vec<(usize, usize)> {
    l.iter()
        .enumerate()
        .filter(|(_, s)| {
            let t = s.trim_start_matches([' ', '-']);
            !t.starts_with('#') && t.contains(": ") || t.ends_with(':')
        })
        .map(|(i, s)| (i, s.len() - s.trim_start().len()))
        .collect()
}

fn set_value(l: &mut [String], i: usize, v: &str) {
    if let Some(p) = l[i].find(':') {
        l[i] = format!("{}: {v}", &l[i][..p]);
    }
}

fn utf16(s: &str, le: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let units: Vec<u16> = (if bom { "\u{feff}" } else { "" })
        .encode_utf16()
        .chain(s.encode_utf16())
        .collect();
    for u in units {
        out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    out
}

/// One mutation of class `class` (0..CLASSES).
pub const CLASSES: usize = 24;

/// Changes a plugin that loads keeps loading under (quoting, comments, styles, anchors).
pub const BENIGN: usize = 24;

pub fn mutate(rng: &mut Rng, text: &str, class: usize) -> Vec<u8> {
    let mut l = lines(text);
    if l.is_empty() {
        l.push("name: x".into());
    }
    let n = l.len();
    let mut keys = key_lines(&l);
    if keys.is_empty() {
        keys.push((0, 0));
    }
    let key = *rng.pick(&keys);
    match class {
        // A UTF-8 byte order mark, or UTF-16 with or without one.
        // (A second BOM right after the first is left out: go-yaml then drops the first
        // character of later lines, which we do not copy; docs/upstream-rules.md §2.6.)
        0 => match rng.below(5) {
            0 | 1 => {
                let mut b = b"\xef\xbb\xbf".to_vec();
                b.extend(text.trim_start_matches('\u{feff}').as_bytes());
                b
            }
            2 => utf16(text.trim_start_matches('\u{feff}'), true, true),
            3 => utf16(text.trim_start_matches('\u{feff}'), false, true),
            _ => {
                let mut b = text.as_bytes().to_vec();
                let at = match rng.below(b.len() + 1) {
                    at if at <= 3 => b.len(),
                    at => at,
                };
                b.splice(at..at, b"\xef\xbb\xbf".iter().copied());
                b
            }
        },
        // Control characters, DEL, C1, U+FFFE, and NEL/LS/PS anywhere (comments too).
        1 => {
            let c = *rng.pick(CONTROL);
            match rng.below(3) {
                0 => l[key.0].push_str(c),
                1 => l.insert(rng.below(n + 1), format!("# note{c} here")),
                _ => {
                    let s = &l[key.0];
                    let cut = s
                        .char_indices()
                        .map(|(i, _)| i)
                        .nth(rng.below(s.chars().count() + 1))
                        .unwrap_or(s.len());
                    l[key.0] = format!("{}{c}{}", &s[..cut], &s[cut..]);
                }
            }
            join(&l).into_bytes()
        }
        // Directives: %YAML 1.1 / 1.2 / 2.0, %TAG, unknown ones.
        2 => {
            let d = *rng.pick(&[
                "%YAML 1.1",
                "%YAML 1.2",
                "%YAML 2.0",
                "%YAML 1.1\n%YAML 1.1",
                "%FOO bar",
                "%TAG ! tag:example.com,2000:",
                "%TAG !e! tag:e.com,2000:\n%YAML 1.2",
                "%YAML 1.1 # c",
                "%YAML 1",
                "%YAML  1.1",
            ]);
            let sep = *rng.pick(&["---\n", "--- ", "", "---\n...\n"]);
            format!("{d}\n{sep}{}", join(&l)).into_bytes()
        }
        // Tabs: starting a line (blank, comment, indentation), after `-`, as the separator.
        3 => {
            match rng.below(7) {
                0 => l.insert(rng.below(n + 1), "\t".into()),
                1 => l.insert(rng.below(n + 1), "\t# comment".into()),
                2 => {
                    let s = l[key.0].trim_start().to_string();
                    l[key.0] = format!("\t{s}");
                }
                3 => l[key.0] = l[key.0].replacen(": ", ":\t", 1),
                4 => l[key.0] = l[key.0].replacen("- ", "-\t", 1),
                5 => l[key.0].push('\t'),
                _ => l[key.0] = l[key.0].replacen("  ", "\t", 1),
            }
            join(&l).into_bytes()
        }
        // Flow collections over several lines, continued at column 0.
        4 => {
            let v = *rng.pick(&[
                "[a,\nb]",
                "[\na, b\n]",
                "{a: b,\nc: d}",
                "[a, b,\n ]",
                "[a,\n  b]",
                "[a?b, c]",
                "{a?b: c}",
                "[a:,b]",
                "[a:?b]",
                "[a:]",
                "{a:b}",
                "[? a]",
                "[a, ?b]",
                "[a:b:c]",
                "{a: [b?c]}",
                "[a?]",
                "[x:{y}]",
            ]);
            set_value(&mut l, key.0, v);
            join(&l).into_bytes()
        }
        // Tags and scalar forms in any field.
        5..=7 => {
            set_value(&mut l, key.0, rng.pick::<&str>(SCALARS));
            join(&l).into_bytes()
        }
        // Numbers into Go int fields.
        8 => {
            let field = *rng.pick(&["version", "minlength", "maxlength"]);
            let v = *rng.pick(SCALARS);
            match l
                .iter()
                .position(|s| s.trim_start().starts_with(&format!("{field}:")))
            {
                Some(i) => set_value(&mut l, i, v),
                None if field == "version" => l.insert(0, format!("version: {v}")),
                None => l.push(format!("questions:\n- name: Q\n  {field}: {v}")),
            }
            join(&l).into_bytes()
        }
        // Merge keys: a mapping, an alias, a list of aliases, a scalar.
        9 | 10 => {
            let (i, ind) = key;
            let pad = " ".repeat(ind);
            let merge = *rng.pick(&[
                "<<: {image: m.io/img:1, name: merged}",
                "<<: *base",
                "<<: [*base, {pluginversion: \"2\"}]",
                "<<: x",
                "<<: [x]",
                "\"<<\": {name: q}",
                "!!merge <<: {name: t}",
                "<<: {tag: \"9\", script: s, image: i}",
                "<<: *base\n<<: {name: second}",
            ]);
            let merge = merge.replace('\n', &format!("\n{pad}"));
            l.insert(i.min(n), format!("{pad}{merge}"));
            if merge.contains("*base") {
                l.insert(
                    0,
                    "base: &base {name: based, image: b.io/x:1, pluginversion: \"1\"}".into(),
                );
            }
            join(&l).into_bytes()
        }
        // Aliases: a value, a key, a recursive one, an unknown one.
        11 | 12 => {
            let (i, _) = key;
            match rng.below(5) {
                0 => {
                    l[i] = l[i].replacen(": ", ": &n ", 1);
                    let (j, _) = *rng.pick(&keys.clone());
                    set_value(&mut l, j, "*n");
                }
                1 => {
                    l.insert(0, "x-anchor: &k name".into());
                    l[i] = format!("{}*k : aliased", " ".repeat(key.1));
                }
                2 => set_value(&mut l, i, "&r [*r]"),
                3 => set_value(&mut l, i, "*nowhere"),
                _ => {
                    l.insert(0, "x: &v neo".into());
                    set_value(&mut l, i, "*v");
                }
            }
            join(&l).into_bytes()
        }
        // yaml.v3 corners: complex keys, an empty key, a long flow key, a second document.
        13 => {
            let v = *rng.pick(&[
                "x-ignored:\n  ? [a, b]\n  : c",
                "? complex\n: value",
                ": empty key",
                "x: {? a: b}",
                "[a]: b",
                "{a: b}: c",
            ]);
            l.insert(rng.below(n + 1), v.to_string());
            join(&l).into_bytes()
        }
        14 => {
            let k = "k".repeat(*rng.pick(&[1020, 1023, 1024, 1025, 1100]));
            let v = rng
                .pick(&[
                    format!("{{{k}: v}}"),
                    format!("{k}: v"),
                    format!("[{k}]"),
                    format!("\"{k}\": v"),
                ])
                .clone();
            // ... and nesting at go-yaml's depth limit (now and then: libyaml checks every
            // open simple key on each token, so such a file takes a moment).
            let v = if rng.below(12) == 0 {
                let n = *rng.pick(&[9_999, 10_000, 10_001]);
                format!("{}{}", "[".repeat(n), "]".repeat(n))
            } else {
                v
            };
            l.push(format!("x-long: {v}"));
            join(&l).into_bytes()
        }
        15 => {
            let second = *rng.pick(&[
                "---\n[",
                "--- [",
                "---\nname: other",
                "...\n---\n\t",
                "--- !!int x",
                "---\n{a: b",
                "...\nrubbish: [",
                "---\n%YAML 1.1",
                "...\n%YAML 1.2\n---\na: b",
                "--- |\n bad",
                "---\n*unknown",
                "--- >\n\tx",
                "---\n\u{7}",
            ]);
            format!("{}{second}\n", join(&l)).into_bytes()
        }
        // Repeated keys (same line content, or the same key with another value).
        16 => {
            let (i, _) = key;
            let dup = l[i].clone();
            l.insert((i + 1 + rng.below(3)).min(n), dup);
            join(&l).into_bytes()
        }
        // Indentation changes.
        17 => {
            let i = rng.below(n);
            match rng.below(3) {
                0 => l[i] = format!(" {}", l[i]),
                1 => l[i] = l[i].trim_start().to_string(),
                _ => l[i] = format!("   {}", l[i]),
            }
            join(&l).into_bytes()
        }
        // Punctuation dropped in.
        18 => {
            let i = rng.below(n);
            let c = *rng.pick(&[
                ":", "-", "[", "]", "{", "}", "\"", "'", "#", "&", "*", "!", "|", ">", "%", "@",
                "`", ",", "?", " :", ": ", "- ", "\\",
            ]);
            let s = &l[i];
            let cut = s
                .char_indices()
                .map(|(i, _)| i)
                .nth(rng.below(s.chars().count() + 1))
                .unwrap_or(s.len());
            l[i] = format!("{}{c}{}", &s[..cut], &s[cut..]);
            join(&l).into_bytes()
        }
        // Lines removed, swapped; the file cut short.
        19 => {
            match rng.below(3) {
                0 => {
                    l.remove(rng.below(n));
                }
                1 => {
                    let (a, b) = (rng.below(n), rng.below(n));
                    l.swap(a, b);
                }
                _ => {
                    let t = join(&l);
                    let cut = rng.below(t.len() + 1);
                    return t.as_bytes()[..cut].to_vec();
                }
            }
            join(&l).into_bytes()
        }
        // Keys renamed: typos, case, the other spec's keys.
        20 => {
            let (i, ind) = key;
            let k = *rng.pick(&[
                "nmae",
                "Name",
                "pluginVersion",
                "secretpath",
                "entrypoint",
                "version",
                "plugin_versions",
                "default",
                "tag",
                "script",
                "shell",
                "x-extra",
                "1",
                "true",
                "~",
                "null",
                "\"name\"",
                "'image'",
                "ifvalue",
                "if_value",
                "hooktype",
                "apiversion",
            ]);
            let rest = l[i]
                .split_once(':')
                .map(|(_, r)| r.to_string())
                .unwrap_or_default();
            l[i] = format!("{}{k}:{rest}", " ".repeat(ind));
            join(&l).into_bytes()
        }
        // Line breaks: CRLF, CR, none at the end, blank lines with spaces.
        21 => match rng.below(4) {
            0 => join(&l).replace('\n', "\r\n").into_bytes(),
            1 => join(&l).replace('\n', "\r").into_bytes(),
            2 => l.join("\n").into_bytes(),
            _ => {
                l.insert(rng.below(n + 1), "   ".into());
                join(&l).into_bytes()
            }
        },
        // Block scalars with odd indentation, quoted scalars over lines.
        22 => {
            let v = *rng.pick(&[
                "|\n   a\n  b",
                "|2\n   x",
                "|-\n\tx",
                ">\n\n  x\n",
                "\"a\n  b\"",
                "'a\n\n b'",
                "|+\n  x\n\n",
                "|0\n x",
                "\"\\x41\\u00e9\\q\"",
                "\"\\\n x\"",
            ]);
            set_value(&mut l, key.0, v);
            join(&l).into_bytes()
        }
        // Benign: what a person may write in a plugin that loads.
        BENIGN => {
            let (i, ind) = key;
            match rng.below(9) {
                0 => {
                    let v = l[i]
                        .split_once(": ")
                        .map(|(_, v)| v.to_string())
                        .unwrap_or_default();
                    if !v.is_empty() && !v.contains(['"', '\'', '\\']) {
                        set_value(&mut l, i, &format!("\"{v}\""));
                    }
                }
                1 => l.insert(rng.below(n + 1), format!("{}# a comment", " ".repeat(ind))),
                2 => l.insert(rng.below(n + 1), String::new()),
                3 => l[i].push_str("   # trailing comment"),
                4 => l[i] = l[i].replacen(": ", ":    ", 1),
                5 => return format!("---\n{}...\n", join(&l)).into_bytes(),
                6 => return format!("%YAML 1.1\n---\n{}", join(&l)).into_bytes(),
                7 => {
                    if let Some((k, v)) = l[i].split_once(": ") {
                        if !v.is_empty() && !v.starts_with(['&', '*', '!', '|', '>']) {
                            let (k, v) = (k.to_string(), v.to_string());
                            l[i] = format!("{k}: &a{i} {v}");
                            l.push(format!("x-copy-{i}: *a{i}"));
                        }
                    }
                }
                _ => return join(&l).replace('\n', "\r\n").into_bytes(),
            }
            join(&l).into_bytes()
        }
        // Documents: explicit start, end, an empty file, comments only.
        _ => match rng.below(5) {
            0 => format!("---\n{}", join(&l)).into_bytes(),
            1 => format!("{}...\n", join(&l)).into_bytes(),
            2 => Vec::new(),
            3 => b"# only a comment\n".to_vec(),
            _ => b"---\n".to_vec(),
        },
    }
}
