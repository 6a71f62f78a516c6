//! `pactum-verify page`: the evolution-trail page as one self-contained HTML file — the
//! verifier compiled to WebAssembly, its JavaScript, the style sheet, the bundle and the trust
//! file, all inlined, so that it works from `file://`, offline, and verifies in the browser with
//! the same Rust code as the command line.
//!
//! The WebAssembly module and wasm-bindgen's glue are committed under `verifier/page/pkg`
//! (rebuilt and checked by `.ci/build-page-wasm`), so building this needs neither the wasm
//! target nor wasm-bindgen-cli.

use base64::Engine as _;
use contract_lang::render::Lang;

const TEMPLATE: &str = include_str!("../page/page.html");
const STYLE: &str = include_str!("../page/page.css");
const SCRIPT: &str = include_str!("../page/page.js");
const GLUE: &str = include_str!("../page/pkg/pactum_verify_wasm.js");
const WASM: &[u8] = include_bytes!("../page/pkg/pactum_verify_wasm_bg.wasm");

/// The page for `bundle`, verified against the trust file `trust` (its text, JSON or TOML),
/// opening in `lang`. The module and a long bundle are inlined deflated and in base64 (the
/// browser inflates them natively), the module before the bundle so that it compiles while the
/// rest of the page is parsed.
pub fn html(bundle: &[u8], trust: &str, lang: Lang) -> String {
    html_with_heads(bundle, trust, lang, &[])
}

/// [`html`], with the addresses of parties' signed heads of the order (`http(s)://…/head`):
/// once the verdict is shown, the page fetches each and says whether the bundle is the latest
/// ("current as of entry #N", "STALE: entries #N to #M are missing", "could not reach …"; a stale
/// bundle's headline then says STALE, not VALID, and `<body data-freshness="stale">`). Only
/// addresses a browser may be pointed at are kept (http or https, no quotes, spaces or
/// semicolons, which the page's Content-Security-Policy could not hold).
///
/// The trust file's own head addresses (its `heads` table, `{order}` standing for the order id)
/// are asked too, for this bundle and for any bundle dropped onto the page: the policy allows
/// their origins as well.
pub fn html_with_heads(bundle: &[u8], trust: &str, lang: Lang, heads: &[String]) -> String {
    let base64 = base64::engine::general_purpose::STANDARD;
    let heads: Vec<&str> = heads
        .iter()
        .map(String::as_str)
        .filter(|url| origin(url).is_some())
        .collect();
    let parsed = crate::bundle::TrustFile::parse(trust);
    // A TOML trust file travels as JSON: the browser then reads it without compiling the TOML
    // parser on the way to the verdict (a trust file dropped onto the page later may be TOML).
    let as_json = match &parsed {
        Ok(file) if !trust.trim_start().starts_with('{') => file.to_json().ok(),
        _ => None,
    };
    let trust = as_json.as_deref().unwrap_or(trust);
    let trusted: Vec<String> = parsed
        .map(|file| file.heads.into_values().collect())
        .unwrap_or_default();
    let mut connect: Vec<&str> = vec!["'self'"];
    for allowed in heads
        .iter()
        .copied()
        .chain(trusted.iter().map(String::as_str))
        .filter_map(origin)
    {
        if !connect.contains(&allowed) {
            connect.push(allowed);
        }
    }
    // What the page says if the browser stops it before its module can say anything.
    let mut data = serde_json::json!({
        "lang": lang.code(),
        "trust": trust,
        "heads": heads,
        "failed": failed_words(),
    });
    let (key, carried) = carried_bundle(bundle);
    data[key] = base64.encode(carried).into();
    fill(
        TEMPLATE,
        &[
            ("LANG", lang.code()),
            ("CONNECT", &connect.join(" ")),
            ("STYLE", STYLE),
            ("WASM", &base64.encode(deflated_wasm())),
            ("GLUE", &inline_script(GLUE)),
            ("SCRIPT", &inline_script(SCRIPT)),
            ("DATA", &inline_json(&data)),
        ],
    )
}

/// What the page says, in each of its languages, when the browser stops it before its module
/// runs (the module holds every other word): `{"en": {"title", "language", "not_verified",
/// "page_failed", "details"}, …}`.
fn failed_words() -> serde_json::Value {
    Lang::ALL
        .into_iter()
        .map(|lang| {
            let words = crate::trail::labels(lang);
            let said = serde_json::json!({
                "title": words.title,
                "language": words.language,
                "not_verified": words.not_verified,
                "page_failed": words.page_failed,
                "details": words.details,
            });
            (lang.code().to_string(), said)
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// Compression of the bundle: a node makes a page per request, and a long history is mostly
/// signatures and hashes, which no level compresses.
const BUNDLE_LEVEL: u8 = 6;

/// The largest bundle embedded as it is (base64) rather than deflated: the page reads it
/// without `DecompressionStream`, whose stream took ≈ 9 ms of the time from load to the demo's
/// verdict (32 KB), more than parsing its extra base64 costs. A long history is deflated.
const RAW_BUNDLE_LIMIT: usize = 64 * 1024;

/// How the page's data carries `bundle`: under `bundle` as it is, up to [`RAW_BUNDLE_LIMIT`],
/// or under `bundle_deflated` deflated (the key, and the bytes to put in base64).
fn carried_bundle(bundle: &[u8]) -> (&'static str, std::borrow::Cow<'_, [u8]>) {
    if bundle.len() <= RAW_BUNDLE_LIMIT {
        ("bundle", bundle.into())
    } else {
        ("bundle_deflated", deflate(bundle, BUNDLE_LEVEL).into())
    }
}

/// `bytes` as raw DEFLATE (`DecompressionStream("deflate-raw")` in the page).
fn deflate(bytes: &[u8], level: u8) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(bytes, level)
}

/// The WebAssembly module deflated, compressed once per process.
fn deflated_wasm() -> &'static [u8] {
    static DEFLATED: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    DEFLATED.get_or_init(|| deflate(WASM, 9))
}

/// The bundle a page made by [`html`] carries (for tests and tools that check a served page):
/// none if `page` has no readable bundle.
pub fn embedded_bundle(page: &str) -> Option<Vec<u8>> {
    let data = embedded_data(page)?;
    let base64 = base64::engine::general_purpose::STANDARD;
    if let Some(bundle) = data.get("bundle") {
        return base64.decode(bundle.as_str()?).ok();
    }
    let deflated = base64.decode(data.get("bundle_deflated")?.as_str()?).ok()?;
    miniz_oxide::inflate::decompress_to_vec(&deflated).ok()
}

/// The trust file's text a page made by [`html`] carries (JSON, whatever the file given):
/// none if `page` has no readable one.
pub fn embedded_trust(page: &str) -> Option<String> {
    Some(embedded_data(page)?.get("trust")?.as_str()?.to_string())
}

/// The data element of a page made by [`html`], parsed: none if it has no readable one.
fn embedded_data(page: &str) -> Option<serde_json::Value> {
    const OPEN: &str = r#"<script type="application/json" id="pactum-data">"#;
    let start = page.find(OPEN)? + OPEN.len();
    let end = start + page[start..].find("</script>")?;
    serde_json::from_str(&page[start..end]).ok()
}

/// `scheme://host[:port]` of an http(s) address made only of characters a URL and the page's
/// Content-Security-Policy can hold; none otherwise.
fn origin(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let safe =
        |c: char| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | ';' | ',' | '<' | '>' | '\\');
    if !url.chars().all(safe) {
        return None;
    }
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if host_end == 0 || rest[..host_end].contains('@') {
        return None;
    }
    Some(&url[..url.len() - rest.len() + host_end])
}

/// JSON safe inside `<script>`: JSON has no `<` outside strings, and inside one `\u003c` is
/// the same character, so no `</script>` (or `<!--`) can end the element early.
fn inline_json(value: &serde_json::Value) -> String {
    value.to_string().replace('<', "\\u003c")
}

/// Script text safe inside `<script>`: `</script` split so the parser does not end there.
fn inline_script(text: &str) -> String {
    text.replace("</script", "<\\/script")
}

/// `template` with each `{{NAME}}` replaced in one pass (a value is never scanned again).
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out =
        String::with_capacity(template.len() + values.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let replaced = after.find("}}").and_then(|end| {
            let name = &after[..end];
            values
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value, &after[end + 2..]))
        });
        match replaced {
            Some((value, tail)) => {
                out.push_str(value);
                rest = tail;
            }
            None => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Size of the embedded WebAssembly module, in bytes.
pub fn wasm_size() -> usize {
    WASM.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attested_text_cannot_close_the_data_script() {
        let data = serde_json::json!({ "trust": "</script><script>alert(1)</script>" });
        let inline = inline_json(&data);
        assert!(!inline.contains("</script"));
        let back: serde_json::Value = serde_json::from_str(&inline).expect("still JSON");
        assert_eq!(back, data);
    }

    /// The page's data element, parsed.
    fn page_data(page: &str) -> serde_json::Value {
        embedded_data(page).expect("the data element, in JSON")
    }

    /// A small bundle (the demo's 32 KB) is read straight from base64: inflating it through
    /// the browser's stream cost the verdict more than its extra bytes cost the parser.
    #[test]
    fn a_small_bundle_travels_as_it_is() {
        let bundle: Vec<u8> = (0..5000u32).flat_map(|i| (i % 7).to_le_bytes()).collect();
        let page = html(&bundle, "{}", Lang::En);
        let data = page_data(&page);
        let base64 = base64::engine::general_purpose::STANDARD;
        assert_eq!(
            data["bundle"].as_str(),
            Some(base64.encode(&bundle).as_str())
        );
        assert_eq!(data.get("bundle_deflated"), None);
        assert_eq!(embedded_bundle(&page), Some(bundle));
    }

    /// A long history is deflated: half the page.
    #[test]
    fn a_large_bundle_travels_deflated() {
        let bundle: Vec<u8> = (0..50_000u32).flat_map(|i| (i % 7).to_le_bytes()).collect();
        assert!(bundle.len() > RAW_BUNDLE_LIMIT);
        let page = html(&bundle, "{}", Lang::En);
        let data = page_data(&page);
        assert_eq!(data.get("bundle"), None);
        let deflated = data["bundle_deflated"]
            .as_str()
            .expect("the deflated bundle");
        assert!(
            deflated.len() < bundle.len() / 2,
            "{} bytes",
            deflated.len()
        );
        assert_eq!(embedded_bundle(&page), Some(bundle));
    }

    #[test]
    fn head_addresses_reach_the_page_and_its_policy_only_when_safe() {
        let heads = [
            "http://127.0.0.1:8080/share/ab/head".to_string(),
            "https://buyer.example/share/cd/head".to_string(),
            "http://evil.example/x; script-src *".to_string(),
            "javascript:alert(1)".to_string(),
            "http://user@host/head".to_string(),
        ];
        let page = html_with_heads(&[0xa0], "{}", Lang::En, &heads);
        assert!(page.contains("connect-src 'self' http://127.0.0.1:8080 https://buyer.example\""));
        assert!(page.contains("https://buyer.example/share/cd/head"));
        for refused in &heads[2..] {
            assert!(!page.contains(refused.as_str()), "{refused}");
        }
    }

    #[test]
    fn the_trust_files_head_origins_are_allowed() {
        let file = crate::bundle::TrustFile {
            log: crate::bundle::build::ExampleLog::example()
                .policy()
                .expect("a policy"),
            parties: Default::default(),
            heads: [
                ("seller", "https://seller.example/h/{order}"),
                ("buyer", "http://x.example/a b"),
                ("carrier", "https://seller.example/other"),
            ]
            .into_iter()
            .map(|(role, url)| (role.to_string(), url.to_string()))
            .collect(),
        };
        let trust = file.to_json().expect("as JSON");
        let page = html_with_heads(&[0xa0], &trust, Lang::En, &[]);
        assert!(page.contains("connect-src 'self' https://seller.example\""));
    }

    #[test]
    fn a_toml_trust_file_travels_as_json() {
        let file = crate::bundle::TrustFile {
            log: crate::bundle::build::ExampleLog::example()
                .policy()
                .expect("a policy"),
            parties: Default::default(),
            heads: Default::default(),
        };
        let toml = file.to_toml().expect("as TOML");
        let page = html(&[0xa0], &toml, Lang::En);
        let carried = embedded_trust(&page).expect("the trust text");
        assert!(carried.trim_start().starts_with('{'), "{carried}");
        assert_eq!(crate::bundle::TrustFile::parse(&carried), Ok(file));
    }

    /// When parsing ends the browser styles and lays out whatever `<body>` holds, before the
    /// verification can start: only the verdict's placeholder is there; the bar and the drop
    /// zone wait, inert, in a `<template>` that the script shows with the verdict.
    #[test]
    fn the_body_holds_only_the_verdict_placeholder_while_the_page_loads() {
        let page = html(&[0xa0], "{}", Lang::En);
        let body = &page[page.find("<body data-verdict").expect("the body")..];
        let shown = &body[..body.find("<template").expect("the inert chrome")];
        let opened: Vec<&str> = shown
            .match_indices('<')
            .filter(|(at, _)| !shown[at + 1..].starts_with(['/', '!']))
            .map(|(at, _)| {
                let tag = &shown[at + 1..];
                &tag[..tag.find([' ', '>']).unwrap_or(tag.len())]
            })
            .collect();
        assert_eq!(opened, ["body", "main", "section", "h1"]);
        let inert = &body[body.find("<template").expect("the template")..];
        for id in ["language", "print", "file", "drop", "page-title"] {
            assert!(
                inert.contains(&format!("id=\"{id}\"")),
                "{id} is in the template"
            );
        }
    }

    #[test]
    fn placeholders_are_filled_once() {
        let out = fill("a {{X}} b {{Y}} {{Z}}", &[("X", "{{Y}}"), ("Y", "y")]);
        assert_eq!(out, "a {{Y}} b y {{Z}}");
    }
}
