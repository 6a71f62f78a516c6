//! The evolution-trail page (`pactum-verify page`) in a real browser: headless Chromium
//! (Debian's `/usr/bin/chromium`) driven by Playwright for Python (`tests/browser/trail_page.py`).
//!
//! The demo's three nodes make an order and export its bundle; the test writes pages for it and
//! checks what the browser shows: the demo's bundle valid with all its entries; the bundle with
//! one flipped bit invalid at the step and entry the native verifier names; `--lang zh` and the
//! in-page switch in Chinese (and German) with no English words left; a second bundle dropped
//! onto the page, and one picked with the file chooser, verified in place; the browser remembers
//! what it verified (step 8): a log seen short then grown is VALID, the short one again is a
//! rollback, INVALID at step 8 with both checkpoints. Screenshots of every state are kept in
//! `target/trail-page/`.
//!
//! Without Chromium or Playwright the test prints a notice and passes, unless
//! `PACTUM_REQUIRE_BROWSER=1` (which `.ci/run` sets after installing them).

mod common;

use common::browser::{self, artefacts, browser_missing};
use pactum_node::demo::{self, DemoOptions};
use verifier::bundle::build::{long_example, long_example_at, Example};
use verifier::bundle::{verify_bundle, TrustFile, VerifyOptions};
use verifier::page;
use verifier::timeline::Lang;

/// The bundle with one bit flipped, and the step and entry the native verifier rejects it at.
/// Bits are tried from the end (the last entry's signatures) until one is not a decoding error.
fn flipped(bundle: &[u8], trust: &verifier::bundle::Trust) -> (Vec<u8>, u8, Option<u64>) {
    for back in 1..bundle.len() {
        let mut bytes = bundle.to_vec();
        bytes[bundle.len() - back] ^= 0x01;
        if let Err(error) = verify_bundle(&bytes, trust, &VerifyOptions::default()) {
            if error.step() > 1 {
                return (bytes, error.step(), error.entry());
            }
        }
    }
    panic!("no single flipped bit gave a failure past decoding");
}

/// Bytes of WebAssembly code the browser may compile before the example's verdict. V8
/// compiles each function on the page's thread the first time it is called, so this code is
/// most of the time to the verdict (ARCHITECTURE.md, "What the demo's verdict compiles";
/// `tests/browser/called-code.sh` says which functions they are): code put on the verdict's
/// path fails here, not only in the page's timings.
const VERDICT_CODE_BUDGET: usize = 665_000;

#[test]
fn the_example_verdict_compiles_within_its_code_budget() {
    if browser_missing().is_some() {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let example = verifier::bundle::build::example().expect("the example bundle");
    let trust = TrustFile::from_trust(&example.trust)
        .to_json()
        .expect("the example's trust as JSON");
    let page_path = dir.path().join("example.html");
    std::fs::write(&page_path, page::html(&example.bytes, &trust, Lang::En)).expect("page written");
    let code = browser::code_before_verdict(&page_path, dir.path());
    assert!(
        code <= VERDICT_CODE_BUDGET,
        "the example's verdict compiled {code} bytes of code, more than its budget of \
         {VERDICT_CODE_BUDGET}"
    );
}

#[test]
fn trail_page_in_headless_chromium() {
    if browser_missing().is_some() {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let keep = dir.path().join("demo");
    let report = demo::run(&DemoOptions {
        keep: Some(keep.clone()),
        verbose: false,
        lang: Lang::En,
    })
    .expect("the demo runs");
    let trust_text = std::fs::read_to_string(keep.join("trust.json")).expect("the demo's trust");
    let trust = TrustFile::parse(&trust_text)
        .and_then(|file| file.trust())
        .expect("the demo's trust file parses");
    let entries = report.verified_entries;

    let pages = dir.path().join("pages");
    std::fs::create_dir_all(&pages).expect("pages directory");
    let write = |name: &str, bundle: &[u8], lang: Lang| {
        let path = pages.join(name);
        std::fs::write(&path, page::html(bundle, &trust_text, lang)).expect("page written");
        path
    };
    let valid = write("valid.html", &report.bundle, Lang::En);
    let chinese = write("valid-zh.html", &report.bundle, Lang::Zh);
    let (tampered_bytes, step, entry) = flipped(&report.bundle, &trust);
    let tampered = write("tampered.html", &tampered_bytes, Lang::En);
    let unreadable_trust_page = pages.join("unreadable-trust.html");
    std::fs::write(
        &unreadable_trust_page,
        page::html(&report.bundle, r#"{"log": 1}"#, Lang::En),
    )
    .expect("page written");
    let tampered_bundle = pages.join("tampered.bundle");
    std::fs::write(&tampered_bundle, &tampered_bytes).expect("tampered bundle written");
    let original_bundle = pages.join("original.bundle");
    std::fs::write(&original_bundle, &report.bundle).expect("bundle written");
    // A trust file (it starts with a "log" key) the verifier cannot read.
    let unreadable_trust = pages.join("unreadable-trust.json");
    std::fs::write(&unreadable_trust, r#"{"log": 1}"#).expect("trust file written");
    // The same under a name that a phone's line would break at its hyphen.
    let bad_trust = pages.join("bad-trust.json");
    std::fs::write(&bad_trust, r#"{"log": 1}"#).expect("trust file written");

    // The words a customer reads: a list term as words, a yes/no term as yes or no, event
    // titles capitalised, roles and obligations as `pactum-verify` prints them.
    let valid_expect = serde_json::json!({
        "verdict": "valid", "entries": entries, "timeline": entries, "picture": 1, "every_day_dated": true,
        // A short history is verified at once; a long one paints "Verifying…" first.
        "verifying_shown": false,
        "picture_shows": ["5520.00 EUR"],
        "contains": ["Guangdong and Hong Kong", "Departure", "Arrival forecast", "Weather alert",
                     "the seller owes the buyer 5520.00 EUR (payment)", "buyer, carrier, seller",
                     // Each amount with how it was computed, as the CLI timeline has it.
                     "computed: 36 whole hours × 150.00 EUR/h = 5400.00 EUR",
                     // An attester by its vocabulary label, not its name in the contract.
                     "attested by the weather service"],
        "tables_absent": ["[", "false", "true", "weather-service"],
        "absent": ["seller owes buyer", "(pay)", "attested by the carrier"],
        // The axis: every tick numbered, 02-20's three entries (#3 to #5) under one date.
        "axis": ["#3", "#4", "#5", "2026-02-20"],
    });
    // Every step after the failing one is shown as not reached, step 8 too.
    let invalid_expect = serde_json::json!({
        "verdict": "invalid", "failed_step": step, "failed_entry": entry, "steps": 8,
    });
    let chinese_expect = serde_json::json!({
        "verdict": "valid", "entries": entries, "lang": "zh", "every_day_dated": true, "picture_shows": ["5520.00 EUR"], "contains": ["有效", "验证步骤", "变更时间线", "条记录，由本浏览器使用",
            "Guangdong和Hong Kong", "条款标识：", "否", "计算：36个整小时×150.00 EUR/小时=5400.00 EUR",
            "气象服务机构"],
        "tables_absent": ["[", "false", "weather-service"],
        "no_english": true,
    });
    let german_expect = serde_json::json!({
        "verdict": "valid", "lang": "de", "every_day_dated": true, "picture_shows": ["5520,00 EUR"], "contains": ["GÜLTIG", "Prüfschritte", "Guangdong und Hong Kong", "nein",
            "Berechnung: 36 volle Stunden × 150,00 EUR/Std. = 5400,00 EUR", "bezeugt von Wetterdienst"],
        "tables_absent": ["[", "falsch", "false", "weather-service"],
        "capitalised": true,
    });
    // The page's own trust file cannot be read: said in words, with what to do.
    let own_trust_expect = serde_json::json!({
        "verdict": "error", "heading": "✗ Not verified",
        "contains": ["The trust file in this page is not one Pactum can read (line 1, column 9).",
                     "Ask whoever sent you this page for a new one, or drop the trust file you were given onto this page.",
                     "Evolution trail", "Print", "Verify another bundle", "choose a file"],
        "absent": ["UncheckedPolicy", "invalid type", "Error"],
    });
    // A dropped trust file that cannot be read: a notice, and the verdict shown before stays.
    let dropped_trust_expect = serde_json::json!({
        "verdict": "valid", "notice": "trust.not_trust_file", "heading": "✓ VALID", "timeline": entries, "picture": 1,
        "contains": ["File not used: unreadable-trust.json",
                     "This file is not a trust file Pactum can read (line 1, column 9).",
                     "Ask the party who sent it for the trust file, or verify without it",
                     // The verdict still rests on the page's own trust file.
                     "The trust file embedded in this page"],
        "absent": ["UncheckedPolicy", "invalid type", "Error"],
    });
    // The demo's trust file with its tables in another order ("parties" first): JSON is a
    // trust file whatever its first key.
    let trust_file = pages.join("trust-parties-first.json");
    let trust_json: serde_json::Value =
        serde_json::from_str(&trust_text).expect("the demo's trust file is JSON");
    std::fs::write(
        &trust_file,
        format!(
            r#"{{"parties": {}, "log": {}}}"#,
            trust_json["parties"], trust_json["log"]
        ),
    )
    .expect("trust file written");
    // JSON that is not a trust file.
    let other_json = pages.join("other.json");
    std::fs::write(&other_json, r#"{"note": "not a trust file"}"#).expect("file written");
    // What the verdict rests on names the trust file dropped onto the page, not the page's own.
    let mut verified_with_dropped_trust = valid_expect.clone();
    verified_with_dropped_trust["contains"]
        .as_array_mut()
        .expect("the texts to find")
        .push("The trust file dropped onto this page: trust-parties-first.json".into());
    verified_with_dropped_trust["absent"]
        .as_array_mut()
        .expect("the texts not to find")
        .push("embedded in this page".into());
    let mut spec = serde_json::json!({
        "artefacts": artefacts(),
        "cases": [
            { "name": "demo-valid", "page": valid, "expect": valid_expect, "print": true },
            { "name": "demo-flipped-bit", "page": tampered, "expect": invalid_expect },
            // The page's own trust file is unreadable: nothing is verified, and the page says
            // so in words, in each of its languages (the parser's message folded away); the
            // bar and the drop zone say what they are for, and the trust file the customer was
            // given, dropped onto the page, verifies the bundle.
            { "name": "unreadable-trust", "page": unreadable_trust_page,
              "expect": own_trust_expect.clone(), "actions": [
                { "do": "language", "lang": "zh", "as": "zh", "expect": {
                    "verdict": "error", "heading": "✗ 未验证", "no_english": true,
                    "contains": ["本页面内嵌的信任文件不是本验证程序能读取的信任文件（第1行第9列）。",
                                 "请向发送本页面的一方索取新的页面"] } },
                { "do": "language", "lang": "de", "as": "de", "expect": {
                    "verdict": "error", "heading": "✗ Nicht geprüft",
                    "contains": ["Die in diese Seite eingebettete Vertrauensdatei ist keine, die Pactum lesen kann (Zeile 1, Spalte 9).",
                                 "Datei wählen"] } },
                { "do": "language", "lang": "en", "as": "en", "expect": own_trust_expect },
                { "do": "drop", "file": trust_file, "as": "dropped-trust", "expect": verified_with_dropped_trust },
            ]},
            // A browser that stops the page before its module runs (here: it lacks
            // DecompressionStream): said in the page's language, from the page's own data.
            { "name": "browser-stops-page", "page": chinese, "init_script": "delete window.DecompressionStream;",
              "expect": { "verdict": "error", "heading": "✗ 未验证", "no_english": true,
                          "contains": ["本页面未能完成验证：浏览器中止了它。"] },
              "actions": [
                { "do": "language", "lang": "de", "as": "de", "expect": { "verdict": "error", "heading": "✗ Nicht geprüft",
                  "contains": ["Diese Seite konnte das Bündel nicht prüfen"] } },
            ]},
            // A file the browser cannot read: the verdict shown stays, a notice says so in the
            // reader's language.
            { "name": "file-unreadable", "page": valid,
              "init_script": "File.prototype.arrayBuffer = function () { return Promise.reject(new DOMException('gone', 'NotReadableError')); };",
              "expect": valid_expect, "actions": [
                { "do": "drop", "file": original_bundle, "notice": true, "as": "dropped", "expect": {
                    "verdict": "valid", "notice": "failed", "timeline": entries,
                    "contains": ["This file could not be opened or verified"] } },
                { "do": "language", "lang": "zh", "as": "zh", "expect": {
                    "verdict": "valid", "notice": "failed", "no_english": true,
                    "contains": ["无法打开或验证该文件"] } },
            ]},
            { "name": "demo-lang-zh", "page": chinese, "expect": chinese_expect },
            { "name": "demo-switch", "page": valid, "actions": [
                { "do": "language", "lang": "zh", "as": "zh", "expect": chinese_expect },
                { "do": "language", "lang": "de", "as": "de", "expect": german_expect },
            ]},
            // A phone's 360 px in Chinese and German, then printed in German: every case checks
            // that no word of a table is broken inside and no labels of the picture overlap.
            { "name": "demo-phone", "page": valid, "width": 360, "print": true, "actions": [
                { "do": "language", "lang": "zh", "as": "zh", "expect": chinese_expect },
                { "do": "language", "lang": "de", "as": "de", "expect": german_expect },
                // The notice about a dropped file on a phone: the file's name kept whole.
                { "do": "drop", "file": bad_trust, "notice": true, "as": "de-notice", "expect": {
                    "verdict": "valid", "lang": "de", "notice": "trust.not_trust_file",
                    "contains": ["Datei nicht verwendet: bad-trust.json"] } },
            ]},
            { "name": "demo-second-bundle", "page": valid, "actions": [
                { "do": "drop", "file": tampered_bundle, "as": "dropped-flipped", "expect": invalid_expect },
                { "do": "pick", "file": original_bundle, "as": "picked-original", "expect": valid_expect },
                // An unreadable trust file changes nothing: the verdict shown stays in view, a
                // notice above it says in words (in each language) why the file was not used,
                // and the next file is verified with the trust the page had.
                { "do": "drop", "file": unreadable_trust, "notice": true, "as": "dropped-unreadable-trust",
                  "expect": dropped_trust_expect.clone() },
                { "do": "language", "lang": "zh", "as": "zh-notice", "expect": {
                    "verdict": "valid", "notice": "trust.not_trust_file", "timeline": entries, "no_english": true,
                    "contains": ["未使用的文件：unreadable-trust.json", "该文件不是本验证程序能读取的信任文件（第1行第9列）。",
                                 "请向发送该文件的一方索取信任文件", "有效"] } },
                { "do": "language", "lang": "de", "as": "de-notice", "expect": {
                    "verdict": "valid", "notice": "trust.not_trust_file", "timeline": entries,
                    "contains": ["Datei nicht verwendet: unreadable-trust.json",
                                 "Diese Datei ist keine Vertrauensdatei, die Pactum lesen kann (Zeile 1, Spalte 9).",
                                 "GÜLTIG"] } },
                { "do": "language", "lang": "en", "as": "en-notice", "expect": dropped_trust_expect },
                // JSON that is not a trust file is said to be one the page cannot read, not
                // verified as a bundle.
                { "do": "drop", "file": other_json, "notice": true, "as": "dropped-other-json", "expect": {
                    "verdict": "valid", "notice": "trust.not_trust_file", "timeline": entries,
                    "contains": ["File not used: other.json", "This file is not a trust file Pactum can read"] } },
                { "do": "drop", "file": tampered_bundle, "as": "dropped-flipped-after-error", "expect": invalid_expect },
                { "do": "language", "lang": "de", "as": "de-after-error", "expect": { "verdict": "invalid", "lang": "de", "notice": "" } },
            ]},
        ],
    });
    // Step 8 in the browser: one history of a log verified short, then grown, then short again
    // (rolled back) in the same browser profile, which remembers what it verified.
    // An example's page in English, written to `pages/NAME`.
    let page_of = |example: Example, name: &str| {
        let trust = TrustFile::from_trust(&example.trust)
            .to_json()
            .expect("trust as JSON");
        let path = pages.join(name);
        std::fs::write(&path, page::html(&example.bytes, &trust, Lang::En)).expect("page written");
        path
    };
    let grown = |entries: usize, name: &str| {
        page_of(long_example(entries, 1).expect("a long example"), name)
    };
    // A long history whose days hold very different numbers of entries: 300 the first day,
    // then one a day for eight days, then 300 more. The eight days of one entry sit at nearly
    // one place on the axis, between two long ones: each keeps its date, on a desktop and on
    // a phone.
    let uneven = {
        let at = |i: usize| -> i64 {
            let i = i as i64;
            match i {
                _ if i < 300 => 60 * i,
                _ if i < 308 => 86_400 * (i - 299),
                _ => 86_400 * 9 + 60 * (i - 308),
            }
        };
        page_of(
            long_example_at(609, 1, at).expect("an uneven history"),
            "uneven.html",
        )
    };
    let uneven_expect = serde_json::json!({ "verdict": "valid", "entries": 609, "every_day_dated": true, "verifying_shown": true });
    let short = grown(6, "short.html");
    let long = grown(12, "long.html");
    let memory = serde_json::json!([
        { "name": "memory-first", "page": short,
          "expect": { "verdict": "valid", "entries": 6, "contains": ["First verification of this log in this browser"] } },
        // Its picture has neither a breaker window nor a review: its legend names neither.
        { "name": "memory-grown", "page": long,
          "expect": { "verdict": "valid", "entries": 12, "every_day_dated": true, "picture": 1,
                      "contains": ["The log grew from size 6 to 12"],
                      "absent": ["breaker windows", "dashed lines", "Dashed lines"] } },
        // Explained in words (sizes, what the browser remembered, what the bundle shows); the
        // code and the signed checkpoints folded away, not shown raw.
        { "name": "memory-rolled-back", "page": short, "print": true,
          "expect": { "verdict": "invalid", "failed_step": 8, "evidence": 2,
                      "contains": ["rolled back", "Your browser remembered this log with 12 entries",
                                   "this bundle shows it with only 6"],
                      "absent": ["consistency.Rollback", "log size 12"] },
          "actions": [
            { "do": "language", "lang": "zh", "as": "zh", "expect": { "verdict": "invalid",
              "contains": ["您的浏览器记得此日志之前验证时有12条记录",
                            // A name in Latin letters keeps its space before a key's
                            // fingerprint (none only beside a Chinese character).
                            "pactum.example/log ee01 4c51 d235 b270"],
              "no_english": true } },
            { "do": "language", "lang": "de", "as": "de", "expect": { "verdict": "invalid",
              "contains": ["Ihr Browser hat sich dieses Log mit 12 Einträgen"] } },
          ] },
    ]);
    if let (Some(cases), Some(more)) = (spec["cases"].as_array_mut(), memory.as_array()) {
        cases.extend(more.iter().cloned());
    }
    browser::check(&spec, dir.path());
    // In a profile of its own: its log is the one the memory cases grow and roll back.
    browser::check(
        &serde_json::json!({ "artefacts": artefacts(), "cases": [
            { "name": "uneven-days", "page": uneven, "expect": uneven_expect },
            { "name": "uneven-days-phone", "page": uneven, "width": 360, "expect": uneven_expect },
        ]}),
        dir.path(),
    );

    // When the browser cannot remember (storage refused, full, or a damaged value left in it),
    // the verdict still shows, with a line saying what became of the memory. In a profile of
    // their own: the last case leaves the storage full.
    let refused = "Object.defineProperty(window, 'localStorage', { configurable: true, \
                   get() { throw new DOMException('The operation is insecure.', 'SecurityError'); } });";
    let damaged = "localStorage.setItem('pactum.remembered', '{\"logs\": [damaged');";
    let fill = "(() => { localStorage.clear(); let chunk = 'x'.repeat(1 << 20); \
                for (let i = 0; ; i++) { try { localStorage.setItem('fill' + i, chunk); } \
                catch (_) { if (chunk.length <= 1) break; chunk = chunk.slice(0, (chunk.length >> 4) || 1); } } })();";
    browser::check(
        &serde_json::json!({ "artefacts": artefacts(), "cases": [
            { "name": "memory-storage-off", "page": short, "init_script": refused,
              "expect": { "verdict": "valid", "entries": 6, "memory": "off",
                          "contains": ["This browser does not let the page store anything"],
                          "absent": ["First verification"] } },
            { "name": "memory-damaged", "page": short, "init_script": damaged,
              "expect": { "verdict": "valid", "entries": 6, "memory": "unreadable",
                          "contains": ["was unreadable (damaged) and was set aside",
                                       "First verification of this log"] } },
            { "name": "memory-full", "page": long, "init_script": fill,
              "expect": { "verdict": "valid", "entries": 12, "memory": "full",
                          "contains": ["storage for the page is full"] } },
        ]}),
        dir.path(),
    );
}
