//! Golden renderings of the readable timeline (`pactum-verify BUNDLE --lang …`) in English,
//! Chinese and German: the example order (the demo's story) and a bundle written at model
//! version 5, before word labels existed, which must go on rendering. `UPDATE_EXPECT=1`
//! refreshes `tests/data/timeline/*.expect`; read a change sentence by sentence before
//! committing it.

mod common;

use common::check_expect;
use verifier::bundle::build::example;
use verifier::bundle::{verify_bundle, Report, TrustFile, VerifyOptions};
use verifier::timeline::{render_report, Lang};

fn example_report() -> Report {
    let example = example().unwrap();
    verify_bundle(&example.bytes, &example.trust, &VerifyOptions::default())
        .unwrap_or_else(|error| panic!("{error}"))
}

fn model_v5_report() -> Report {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/model-v5");
    let bytes = std::fs::read(data.join("example.bundle")).unwrap();
    let trust = TrustFile::parse(&std::fs::read_to_string(data.join("trust.json")).unwrap())
        .unwrap()
        .trust()
        .unwrap();
    verify_bundle(&bytes, &trust, &VerifyOptions::default())
        .unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn the_example_timeline_reads_in_every_language() {
    let report = example_report();
    for lang in Lang::ALL {
        let text = render_report(&report, lang);
        check_expect(
            &format!("tests/data/timeline/example.{}.expect", lang.code()),
            &text,
        );
    }
}

#[test]
fn a_bundle_written_before_word_labels_still_renders() {
    let report = model_v5_report();
    for lang in Lang::ALL {
        let text = render_report(&report, lang);
        check_expect(
            &format!("tests/data/timeline/model-v5.{}.expect", lang.code()),
            &text,
        );
    }
}

/// Phrases of the English timeline that once leaked into the Chinese and German ones.
const ENGLISH: &[&str] = &[
    "revise waybill",
    "delivery date extended",
    "signed by",
    "attested by",
    "first seen",
    "decode",
    "replay",
    "circuit breaker",
    "entries",
    "signatures",
    " owes ",
    "notify",
    "(pay)",
    "(compensate)",
    "seller",
    "buyer",
    "carrier",
    "(s)",
];

#[test]
fn no_english_is_left_in_chinese_or_german() {
    for report in [example_report(), model_v5_report()] {
        for lang in [Lang::Zh, Lang::De] {
            let text = render_report(&report, lang);
            for phrase in ENGLISH {
                // Clause names are identifiers (`late_delivery_penalty`), not words.
                let leaked = text
                    .lines()
                    .filter(|line| line.contains(phrase))
                    .find(|line| !identifier_only(line, phrase));
                assert!(
                    leaked.is_none(),
                    "{phrase:?} left in {}: {leaked:?}",
                    lang.code()
                );
            }
        }
    }
}

/// Whether every occurrence of `phrase` in `line` is inside an identifier (`a_b`, `x.y`).
fn identifier_only(line: &str, phrase: &str) -> bool {
    line.match_indices(phrase).all(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + phrase.len()..].chars().next();
        let joined = |c: Option<char>| c.is_some_and(|c| c == '_' || c == '.' || c == '/');
        joined(before) || joined(after)
    })
}

/// The trail page shows a notification as the clause's labels translate it, like the CLI, and
/// its entry count with the noun in the right number.
#[test]
fn the_trail_page_shows_notifications_in_the_readers_language() {
    let example = example().unwrap();
    let result = verify_bundle(&example.bytes, &example.trust, &VerifyOptions::default());
    assert!(result.is_ok(), "{result:?}");
    for (lang, message) in [
        (Lang::En, "revise waybill: air freight"),
        (Lang::Zh, "请修改运单：改为空运"),
        (Lang::De, "Frachtbrief ändern: Luftfracht"),
    ] {
        let view = verifier::trail::view(&example.bytes, &example.trust, &result, lang, usize::MAX);
        let json = verifier::trail::view_json(&view).to_string();
        assert!(json.contains(message), "{lang:?}: {json}");
        let count = match lang {
            Lang::En => "10 entries",
            Lang::Zh => "10条记录",
            Lang::De => "10 Einträge",
        };
        assert!(
            json.contains(&format!("\"entries_text\":\"{count}\"")),
            "{lang:?}: {json}"
        );
        if lang != Lang::En {
            assert!(!json.contains("revise waybill"), "{lang:?}: {json}");
        }
    }
}

#[test]
fn the_trail_page_words_a_breaker_trip_as_the_cli_timeline_does() {
    let example = example().unwrap();
    let result = verify_bundle(&example.bytes, &example.trust, &VerifyOptions::default());
    let Ok(report) = &result else {
        panic!("{result:?}")
    };
    for (lang, limit) in [
        (
            Lang::En,
            "this amendment would exceed the limit of 3 automatic amendments within 1 day",
        ),
        (Lang::Zh, "本次变更将超过1天内3次自动变更的上限"),
        (
            Lang::De,
            "Diese Änderung würde die Grenze von 3 automatischen Änderungen innerhalb von 1 Tag überschreiten",
        ),
    ] {
        let cli = verifier::timeline::render_report(report, lang);
        assert!(cli.contains(limit), "{lang:?}: {cli}");
        let view = verifier::trail::view(&example.bytes, &example.trust, &result, lang, usize::MAX);
        let json = verifier::trail::view_json(&view).to_string();
        assert!(json.contains(limit), "{lang:?}: {json}");
    }
}

/// Chinese sets no ASCII space beside a Chinese character ("超过 1 天内 3 次", "支付 5100.00
/// EUR", "第 #9 条"); the timeline's columns (an entry's number and time, a fingerprint, a
/// step's mark) are layout, not text.
#[test]
fn the_chinese_timeline_sets_no_space_beside_a_chinese_character() {
    for report in [example_report(), model_v5_report()] {
        let text = render_report(&report, Lang::Zh);
        let stray: Vec<&str> = text
            .lines()
            .filter(|line| !contract_lang::render::spaces_beside_chinese(sentence(line)).is_empty())
            .collect();
        assert!(stray.is_empty(), "{}", stray.join("\n"));
    }
}

/// A timeline line without its columns: the entry's number and time before it, a signature
/// fingerprint or a step's mark after it.
fn sentence(line: &str) -> &str {
    let mut text = line.trim_start();
    if let Some(numbered) = text.strip_prefix('#') {
        let after_number = numbered.trim_start_matches(|c: char| c.is_ascii_digit());
        text = after_number
            .trim_start()
            .split_once(' ')
            .map_or(after_number, |(_time, rest)| rest.trim_start());
    }
    let text = text.trim_end_matches([' ', '✓', '✗']);
    match text.rsplit_once("  [") {
        Some((before, fingerprint)) if fingerprint.ends_with(']') => before,
        _ => text,
    }
}

/// The library's vocabulary labels the demo's oracle (`label attester "weather-service" …`):
/// the timeline and the JSON report name it in the reader's language. The model-v5 bundle was
/// signed with sources that have no such label, so it names the attester as written.
#[test]
fn an_attester_reads_as_the_vocabulary_labels_it_and_as_written_in_older_bundles() {
    let (report, older) = (example_report(), model_v5_report());
    for (lang, label) in [
        (Lang::En, "attested by the weather service;"),
        (Lang::Zh, "气象服务机构；"),
        (Lang::De, "bezeugt von Wetterdienst;"),
    ] {
        let text = render_report(&report, lang);
        assert!(text.contains(label), "{lang:?}: {text}");
        assert!(!text.contains("weather-service"), "{lang:?}: {text}");
        let json = verifier::timeline::report_json(&report, lang);
        let labels: Vec<&str> = json["timeline"]
            .as_array()
            .expect("the timeline")
            .iter()
            .filter_map(|entry| entry["attester_label"].as_str())
            .collect();
        assert!(!labels.is_empty(), "{lang:?}: no attester_label in {json}");
        let older_text = render_report(&older, lang);
        assert!(
            older_text.contains("weather-service"),
            "{lang:?}: {older_text}"
        );
    }
    let json = verifier::timeline::report_json(&older, Lang::Zh).to_string();
    assert!(!json.contains("attester_label"), "{json}");
}

/// An order whose express refund hands a damaged return to review: the review's reason is the
/// clause's own words, said of the rule that asked for it.
fn review_requested_report() -> Report {
    use contract_lang::value::{EnumValue, Value};
    use std::collections::BTreeMap;
    use verifier::bundle::build::{example_bundle, ExampleKeys, ExampleOrder, EXAMPLE_START};
    let keys = ExampleKeys::new();
    let mut order = ExampleOrder::library(&["clauses/express_refund.clause"])
        .expect("library sources")
        .open(&keys)
        .expect("an order");
    let fields = BTreeMap::from([
        (
            "appearance".to_string(),
            Value::Enum(EnumValue {
                ty: "appearance".into(),
                variant: "damaged".into(),
            }),
        ),
        ("accessories_complete".to_string(), Value::Bool(true)),
    ]);
    order
        .event(&keys.seller, "return.inspected", EXAMPLE_START + 60, fields)
        .expect("inspected");
    let example = example_bundle(keys, order).expect("a bundle");
    verify_bundle(&example.bytes, &example.trust, &VerifyOptions::default())
        .unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn a_requested_review_says_which_rule_asked_and_why() {
    let report = review_requested_report();
    for (lang, line) in [
        (
            Lang::En,
            "review requested by «Express refund for intact returns» (express_refund, rule 2): \
             “returned goods are damaged: decide on a partial refund”",
        ),
        (
            Lang::Zh,
            "《完好退货极速退款》（express_refund，第2条规则）要求审核：\
             “退回的货物已损坏：请决定部分退款”",
        ),
        (
            Lang::De,
            "Prüfung verlangt von «Sofortige Erstattung bei einwandfreier Rücksendung» \
             (express_refund, Regel 2): „Rücksendung beschädigt: über eine Teilerstattung \
             entscheiden“",
        ),
    ] {
        let text = render_report(&report, lang);
        assert!(text.lines().any(|l| l.trim() == line), "{lang:?}:\n{text}");
    }
}
