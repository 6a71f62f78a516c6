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

/// Why an event went to review, one case per reason: the order's clauses (the library's,
/// then inline sources), the fact that goes to review, and the reason's line in the CLI
/// timeline in English, Chinese and German.
struct ReasonCase {
    reason: &'static str,
    library: &'static [&'static str],
    inline: &'static [&'static str],
    fact: fn(&mut verifier::bundle::build::OrderBuilder, &verifier::bundle::build::ExampleKeys),
    lines: [(Lang, &'static str); 3],
    /// What the trail page says of it, in the same languages.
    page: [&'static str; 3],
}

/// Two clauses that move the delivery date on the same departure: a conflict.
const DEPARTURE_PUSHES: [&str; 2] = [
    "clause push_a {
  on shipment.departed
  then set terms.delivery_due = terms.delivery_due + 24h
}",
    "clause push_b {
  on shipment.departed
  then set terms.delivery_due = terms.delivery_due + 48h
}",
];

/// A payment too large for money's minor units: the rule cannot be evaluated.
const OVERFLOW: [&str; 1] = ["clause overflow {
  on shipment.departed
  then pay seller -> buyer terms.price * 9223372036854775807
}"];

fn departed(
    order: &mut verifier::bundle::build::OrderBuilder,
    keys: &verifier::bundle::build::ExampleKeys,
) {
    use contract_lang::value::Value;
    let fields =
        std::collections::BTreeMap::from([("port".to_string(), Value::Text("Shenzhen".into()))]);
    let at = verifier::bundle::build::EXAMPLE_START + 60;
    order
        .event(&keys.carrier, "shipment.departed", at, fields)
        .expect("departed");
}

/// A damaged return, which the express refund hands to review.
fn damaged_return(
    order: &mut verifier::bundle::build::OrderBuilder,
    keys: &verifier::bundle::build::ExampleKeys,
) {
    use contract_lang::value::{EnumValue, Value};
    let fields = std::collections::BTreeMap::from([
        (
            "appearance".to_string(),
            Value::Enum(EnumValue {
                ty: "appearance".into(),
                variant: "damaged".into(),
            }),
        ),
        ("accessories_complete".to_string(), Value::Bool(true)),
    ]);
    let at = verifier::bundle::build::EXAMPLE_START + 60;
    order
        .event(&keys.seller, "return.inspected", at, fields)
        .expect("inspected");
}

const REASONS: [ReasonCase; 3] = [
    ReasonCase {
        reason: "requested",
        library: &["clauses/express_refund.clause"],
        inline: &[],
        fact: damaged_return,
        lines: [
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
        ],
        page: [
            "“returned goods are damaged: decide on a partial refund”",
            "“退回的货物已损坏：请决定部分退款”",
            "„Rücksendung beschädigt: über eine Teilerstattung entscheiden“",
        ],
    },
    ReasonCase {
        reason: "conflict",
        library: &[],
        inline: &DEPARTURE_PUSHES,
        fact: departed,
        lines: [
            (
                Lang::En,
                "conflict on the delivery due date: «push_a» (push_a, rule 1), «push_b» (push_b, rule 1)",
            ),
            (
                Lang::Zh,
                "交货期限存在冲突：《push_a》（push_a，第1条规则）、《push_b》（push_b，第1条规则）",
            ),
            (
                Lang::De,
                "Konflikt um den Liefertermin: «push_a» (push_a, Regel 1), «push_b» (push_b, Regel 1)",
            ),
        ],
        page: [
            "two rules set the delivery due date",
            "两条规则同时设定交货期限",
            "zwei Regeln setzen den Liefertermin",
        ],
    },
    ReasonCase {
        reason: "evaluation error",
        library: &[],
        inline: &OVERFLOW,
        fact: departed,
        lines: [
            (
                Lang::En,
                "evaluation failed in «overflow» (overflow, rule 1): overflow: the result of `*` \
                 is outside the range of its type",
            ),
            (
                Lang::Zh,
                "《overflow》（overflow，第1条规则）计算失败：overflow: the result of `*` is \
                 outside the range of its type",
            ),
            (
                Lang::De,
                "Auswertung fehlgeschlagen in «overflow» (overflow, Regel 1): overflow: the result \
                 of `*` is outside the range of its type",
            ),
        ],
        page: [
            "the rule could not be evaluated",
            "该规则无法求值",
            "die Regel konnte nicht ausgewertet werden",
        ],
    },
];

/// The bundle of `case`'s order after its fact, and its verification.
fn reason_bundle(
    case: &ReasonCase,
) -> (
    verifier::bundle::build::Example,
    Result<Report, verifier::bundle::VerifyError>,
) {
    use contract_lang::value::{Currency, Money, Value};
    use verifier::bundle::build::{example_bundle, ExampleKeys, ExampleOrder, EXAMPLE_START};
    let keys = ExampleKeys::new();
    let mut order = ExampleOrder::library(case.library).expect("library sources");
    for (i, text) in case.inline.iter().enumerate() {
        order = order.source(&format!("inline_{i}.clause"), text);
    }
    let terms = std::collections::BTreeMap::from([
        (
            "delivery_due".to_string(),
            Value::Timestamp(EXAMPLE_START + 30 * 86_400),
        ),
        (
            "price".to_string(),
            Value::Money(Money {
                minor: 1_200_000,
                currency: Currency::parse("EUR").expect("EUR"),
            }),
        ),
    ]);
    let mut order = order.terms(terms).open(&keys).expect("an order");
    (case.fact)(&mut order, &keys);
    let example = example_bundle(keys, order).expect("a bundle");
    let result = verify_bundle(&example.bytes, &example.trust, &VerifyOptions::default());
    (example, result)
}

#[test]
fn each_review_reason_says_where_it_arose_and_what_was_found() {
    for case in &REASONS {
        let (example, result) = reason_bundle(case);
        let Ok(report) = &result else {
            panic!("{}: {result:?}", case.reason)
        };
        for ((lang, line), page) in case.lines.into_iter().zip(case.page) {
            let text = render_report(report, lang);
            assert!(
                text.lines().any(|l| l.trim() == line),
                "{} in {lang:?}:\n{text}",
                case.reason
            );
            let view =
                verifier::trail::view(&example.bytes, &example.trust, &result, lang, usize::MAX);
            let json = verifier::trail::view_json(&view).to_string();
            assert!(json.contains(page), "{} in {lang:?}: {json}", case.reason);
        }
    }
}
