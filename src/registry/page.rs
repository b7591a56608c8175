//! `index.html`: a static page describing a registry, written by `publish`, `yank` and
//! `refresh` beside `config.toml`. It lists every plugin (name, type, description), its
//! versions newest first (yanked ones with their reason), each artifact's platform, format,
//! size and sha256, and the `optimus.yaml` snippet that installs the plugin. No JavaScript;
//! every value from an index is HTML-escaped (descriptions and reasons are publisher input).
//! The output depends only on its inputs (no clock), so an unchanged registry gives the same
//! bytes.

use crate::model::location::{is_url, is_web_url};
use crate::model::size::human_size;
use crate::registry::{IndexVersion, PluginIndex};

/// The page's file name at the registry root.
pub const PAGE_FILE: &str = "index.html";
/// Its content type (object stores serve it with this).
pub const PAGE_CONTENT_TYPE: &str = "text/html; charset=utf-8";

/// What the page shows.
pub struct Page<'a> {
    /// The registry's name (`config.toml`).
    pub name: &'a str,
    /// The address clients put in `optimus.yaml` (`url:` of the provider).
    pub url: &'a str,
    /// The minisign public keys clients pin (`public_keys:`).
    pub public_keys: &'a [String],
    /// The signed timestamp's version and expiry, when the registry has one.
    pub snapshot: Option<(u64, &'a str)>,
    /// Verified indexes, in name order.
    pub plugins: &'a [PluginIndex],
    /// Indexes left off the page (they did not verify), with why.
    pub left_out: &'a [String],
}

/// Escapes text for HTML element content and double- or single-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A YAML double-quoted scalar.
fn yaml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A provider name for the snippet: the registry name, reduced to `[a-z0-9_-]`.
fn provider_name(name: &str) -> String {
    let n: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let n = n.trim_matches('-').to_string();
    if n.is_empty() {
        "registry".into()
    } else {
        n
    }
}

/// The version a snippet asks for: the newest that is neither yanked nor a pre-release, else
/// the newest not yanked.
fn suggested(idx: &PluginIndex) -> Option<&IndexVersion> {
    let live = || idx.versions.iter().filter(|v| !v.yanked);
    live()
        .filter(|v| v.version.pre.is_empty())
        .max_by(|a, b| a.version.cmp(&b.version))
        .or_else(|| live().max_by(|a, b| a.version.cmp(&b.version)))
}

impl Page<'_> {
    /// The provider block of an `optimus.yaml` snippet.
    fn provider_yaml(&self) -> String {
        let keys: Vec<String> = self.public_keys.iter().map(|k| yaml_str(k)).collect();
        format!(
            "  providers:\n    - name: {}\n      type: registry\n      url: {}\n      public_keys: [{}]\n",
            provider_name(self.name),
            yaml_str(self.url),
            keys.join(", ")
        )
    }

    fn snippet(&self, idx: &PluginIndex) -> String {
        let mut s = format!("plugins:\n{}  plugins:\n", self.provider_yaml());
        s.push_str(&format!(
            "    - name: {}\n      provider: {}\n",
            idx.name,
            provider_name(self.name)
        ));
        if let Some(v) = suggested(idx) {
            s.push_str(&format!(
                "      version: {}\n",
                yaml_str(&v.version.to_string())
            ));
        }
        s
    }

    /// The page's HTML.
    pub fn render(&self) -> String {
        let mut h = String::new();
        let title = format!("{} — Optimus plugin registry", self.name);
        h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        // No script may run here, whatever an index holds.
        h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'\">\n");
        h.push_str(&format!(
            "<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
            escape(&title)
        ));
        h.push_str(&format!("<header>\n<h1>{}</h1>\n", escape(self.name)));
        let versions: usize = self.plugins.iter().map(|p| p.versions.len()).sum();
        h.push_str(&format!(
            "<p class=\"meta\">Optimus plugin registry · {} plugin(s), {versions} version(s)",
            self.plugins.len()
        ));
        if let Some((v, expires)) = self.snapshot {
            h.push_str(&format!(
                " · signed snapshot {v}, valid until {}",
                escape(expires)
            ));
        }
        h.push_str("</p>\n<p>Add the registry to the <code>plugins:</code> section of <code>optimus.yaml</code>, then declare plugins from it and run <code>optimus-plugins install</code>. Indexes are signed with minisign: pin the key below; the page itself is not signed.</p>\n");
        h.push_str(&format!(
            "<pre class=\"snippet\">plugins:\n{}</pre>\n",
            escape(&self.provider_yaml())
        ));
        if !self.plugins.is_empty() {
            h.push_str("<nav><h2>Plugins</h2>\n<ul>\n");
            for p in self.plugins {
                h.push_str(&format!(
                    "<li><a href=\"#plugin-{0}\">{0}</a> <span class=\"type\">{1}</span> {2}</li>\n",
                    escape(&p.name),
                    p.plugin_type,
                    escape(&p.description)
                ));
            }
            h.push_str("</ul>\n</nav>\n");
        }
        for l in self.left_out {
            h.push_str(&format!("<p class=\"warn\">Not shown: {}</p>\n", escape(l)));
        }
        h.push_str("</header>\n<main>\n");
        for p in self.plugins {
            self.plugin_section(&mut h, p);
        }
        h.push_str("</main>\n<footer>Generated by <code>optimus-plugins publish</code> from the signed indexes under <code>index/</code>.</footer>\n</body>\n</html>\n");
        h
    }

    fn plugin_section(&self, h: &mut String, p: &PluginIndex) {
        let name = escape(&p.name);
        h.push_str(&format!(
            "<section class=\"plugin\" id=\"plugin-{name}\">\n<h2>{name} <span class=\"type\">{}</span></h2>\n",
            p.plugin_type
        ));
        if !p.description.is_empty() {
            h.push_str(&format!(
                "<p class=\"desc\">{}</p>\n",
                escape(&p.description)
            ));
        }
        h.push_str(&format!(
            "<p>To install it, in <code>optimus.yaml</code>:</p>\n<pre class=\"snippet\">{}</pre>\n",
            escape(&self.snippet(p))
        ));
        h.push_str("<table>\n<thead><tr><th>Version</th><th>Status</th><th>Platform</th><th>Format</th><th>Size</th><th>sha256</th></tr></thead>\n<tbody>\n");
        let mut versions: Vec<&IndexVersion> = p.versions.iter().collect();
        versions.sort_by(|a, b| b.version.cmp(&a.version));
        for v in versions {
            let status = match (v.yanked, &v.yank_reason) {
                (true, Some(r)) => format!("<strong>yanked</strong>: {}", escape(r)),
                (true, None) => "<strong>yanked</strong>".to_string(),
                (false, _) if !v.version.pre.is_empty() => "pre-release".to_string(),
                (false, _) => "available".to_string(),
            };
            let class = if v.yanked { " class=\"yanked\"" } else { "" };
            let rows = v.artifacts.len().max(1);
            let version = escape(&v.version.to_string());
            h.push_str(&format!(
                "<tr{class} id=\"{name}-{version}\"><td rowspan=\"{rows}\" class=\"version\">{version}</td><td rowspan=\"{rows}\">{status}</td>"
            ));
            if v.artifacts.is_empty() {
                h.push_str("<td colspan=\"4\">no artifacts</td></tr>\n");
            }
            for (i, a) in v.artifacts.iter().enumerate() {
                if i > 0 {
                    h.push_str(&format!("<tr{class}>"));
                }
                let size = a
                    .size
                    .map(|n| format!("<span title=\"{n} bytes\">{}</span>", human_size(n)))
                    .unwrap_or_else(|| "-".into());
                // Relative URLs stay below the page (a leading `./` keeps a `scheme:`-looking
                // name a path); absolute ones are links only when a browser may follow them.
                let url = a.url.as_str();
                let link = if !is_url(url) {
                    Some(format!("./{url}"))
                } else if is_web_url(url) {
                    Some(url.to_string())
                } else {
                    None
                };
                let platform = match link {
                    Some(l) => format!(
                        "<a href=\"{}\">{}</a>",
                        escape(&l),
                        escape(&a.platform.to_string())
                    ),
                    None => escape(&a.platform.to_string()),
                };
                h.push_str(&format!(
                    "<td>{platform}</td><td>{}</td><td class=\"num\">{size}</td><td><code class=\"sha\">{}</code></td></tr>\n",
                    a.format,
                    escape(a.sha256.as_str())
                ));
            }
        }
        h.push_str("</tbody>\n</table>\n</section>\n");
    }
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:75rem;margin:2rem auto;padding:0 1rem;color:#1b1f24;line-height:1.45}h1{margin-bottom:.2rem}.meta{color:#57606a;margin-top:0}code,pre{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:.85rem}pre.snippet{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.6rem .8rem;overflow-x:auto}.type{font-size:.75rem;font-weight:600;background:#ddf4ff;color:#0969da;border-radius:1rem;padding:.05rem .5rem;vertical-align:middle}section.plugin{border-top:1px solid #d0d7de;margin-top:2rem}table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f6f8fa}td.num{text-align:right;white-space:nowrap}tr.yanked td{background:#fff5f5;color:#82071e}.sha{word-break:break-all}.warn{color:#9a6700}.version{font-weight:600;white-space:nowrap}footer{margin-top:3rem;color:#57606a;font-size:.85rem}";

#[cfg(test)]
mod tests {
    use super::*;

    fn index(desc: &str, reason: Option<&str>) -> PluginIndex {
        let text = format!(
            "name = \"neo\"\ndescription = {desc:?}\nplugin_type = \"task\"\n[[version]]\nversion = \"1.0.0\"\nyanked = {}\n{}[[version.artifact]]\nplatform = \"any\"\nformat = \"yaml\"\nurl = \"artifacts/neo/1.0.0/optimus-plugin-neo.yaml\"\nsha256 = \"{}\"\nsize = 2048\n[[version]]\nversion = \"1.1.0\"\n",
            reason.is_some(),
            reason.map(|r| format!("yank_reason = {r:?}\n")).unwrap_or_default(),
            "a".repeat(64)
        );
        PluginIndex::parse(&text, "neo", "index").unwrap()
    }

    fn page(plugins: &[PluginIndex]) -> String {
        Page {
            name: "demo",
            url: "../reg",
            public_keys: &["RWQkey".to_string()],
            snapshot: Some((7, "2030-01-01T00:00:00Z")),
            plugins,
            left_out: &[],
        }
        .render()
    }

    #[test]
    fn escapes_publisher_text_and_is_deterministic() {
        let idx = index(
            "<script>alert('x')</script> & \"q\"",
            Some("<img src=x onerror=alert(1)> broken"),
        );
        let h = page(std::slice::from_ref(&idx));
        assert!(!h.contains("<script"), "{h}");
        assert!(!h.contains("<img"), "{h}");
        assert!(h.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"));
        assert!(h.contains("<strong>yanked</strong>: &lt;img src=x onerror=alert(1)&gt; broken"));
        assert_eq!(h, page(&[idx]));
    }

    #[test]
    fn lists_versions_newest_first_with_a_snippet() {
        let h = page(&[index("Near earth", None)]);
        let newer = h.find("id=\"neo-1.1.0\"").unwrap();
        let older = h.find("id=\"neo-1.0.0\"").unwrap();
        assert!(newer < older);
        assert!(h.contains("url: &quot;../reg&quot;"));
        assert!(h.contains("public_keys: [&quot;RWQkey&quot;]"));
        assert!(
            h.contains("    - name: neo\n      provider: demo\n      version: &quot;1.1.0&quot;")
        );
        assert!(h.contains("href=\"./artifacts/neo/1.0.0/optimus-plugin-neo.yaml\""));
        assert!(h.contains("2.0 KiB"));
        assert!(h.contains("signed snapshot 7"));
        assert!(!h.to_ascii_lowercase().contains("<script"));
    }

    #[test]
    fn sizes_and_names() {
        assert_eq!(human_size(10), "10 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(5 << 20), "5.0 MiB");
        assert_eq!(provider_name("My Registry!"), "my-registry");
        assert_eq!(provider_name("***"), "registry");
        assert_eq!(yaml_str("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
