//! The trail page's Chinese sets no ASCII space beside a Chinese character ("失败步骤9",
//! "10条记录", never "失败步骤 9", "10 条记录"), as the clause renderings and the CLI timeline do
//! (`contract_lang::render::spaces_beside_chinese`): every fixed word, every step's name, the
//! views of a valid bundle and of damaged ones (reasons, explanations, evidence) and the heads'
//! sentences. The page's script joins them with the words' own `space`, `open` and `close`.

use contract_lang::render::spaces_beside_chinese;
use verifier::bundle::build::example;
use verifier::bundle::{verify_bundle, VerifyOptions};
use verifier::trail::{self, Lang};

/// Every line of every string in `value` that sets a space beside a Chinese character.
fn stray_spaces(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => found.extend(
            text.lines()
                .filter(|line| !spaces_beside_chinese(sentence(line)).is_empty())
                .map(str::to_string),
        ),
        serde_json::Value::Array(items) => items.iter().for_each(|item| stray_spaces(item, found)),
        serde_json::Value::Object(fields) => {
            fields.values().for_each(|field| stray_spaces(field, found))
        }
        _ => {}
    }
}

/// A line without its columns: the entry's number and time before a window's change or a
/// mark of the picture ("#3 2026-02-25 00:00:00 UTC 气象预警：…", "#8 审核") are layout, as in
/// the CLI timeline's test, not text.
fn sentence(line: &str) -> &str {
    let Some(numbered) = line.strip_prefix('#') else {
        return line;
    };
    let text = numbered
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start();
    match text.split_once(" UTC ") {
        Some((time, rest)) if time.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => text,
    }
}

fn assert_no_stray_spaces(what: &str, value: &serde_json::Value) {
    let mut found = Vec::new();
    stray_spaces(value, &mut found);
    assert!(found.is_empty(), "{what}:\n{}", found.join("\n"));
}

#[test]
fn the_page_words_and_step_names_set_no_space_beside_a_chinese_character() {
    let labels = serde_json::to_value(trail::labels(Lang::Zh)).expect("labels serialize");
    assert_no_stray_spaces("labels", &labels);
    let names: Vec<&str> = (1..=9)
        .map(|step| trail::step_name(Lang::Zh, step))
        .collect();
    assert_no_stray_spaces("step names", &serde_json::json!(names));
    // The pieces the script puts between words are none where Chinese wants none.
    assert_eq!(
        (
            labels["space"].as_str(),
            labels["open"].as_str(),
            labels["close"].as_str()
        ),
        (Some(""), Some("（"), Some("）"))
    );
}

#[test]
fn a_valid_bundle_s_chinese_page_sets_no_space_beside_a_chinese_character() {
    let example = example().expect("the example bundle");
    let result = verify_bundle(&example.bytes, &example.trust, &VerifyOptions::default());
    let view = trail::view(
        &example.bytes,
        &example.trust,
        &result,
        Lang::Zh,
        usize::MAX,
    );
    assert_eq!(view.verdict, "valid");
    assert_no_stray_spaces("valid view", &trail::view_json(&view));
    let Ok(report) = &result else {
        panic!("{result:?}")
    };
    let heads = [
        trail::unreachable(Lang::Zh, Some(report), Some("buyer")),
        trail::unreachable(Lang::Zh, None, None),
        trail::head_view(Lang::Zh, report, b"not a head").text,
    ];
    assert_no_stray_spaces("heads", &serde_json::json!(heads));
}

/// Damaged bundles (one byte changed at a time across the bundle) fail at many steps for many
/// reasons; each failure's Chinese page is checked.
#[test]
fn a_damaged_bundle_s_chinese_page_sets_no_space_beside_a_chinese_character() {
    let example = example().expect("the example bundle");
    let mut reasons = std::collections::BTreeSet::new();
    for at in (0..example.bytes.len()).step_by(37) {
        let mut bytes = example.bytes.clone();
        bytes[at] ^= 0x01;
        let result = verify_bundle(&bytes, &example.trust, &VerifyOptions::default());
        if result.is_ok() {
            continue;
        }
        let view = trail::verdict(&bytes, &example.trust, &result, Lang::Zh);
        let json = trail::view_json(&view);
        if reasons.insert(json["failure"]["reason"].to_string()) {
            assert_no_stray_spaces(&format!("byte {at} changed"), &json);
        }
    }
    assert!(
        reasons.len() > 3,
        "only {} reasons: {reasons:?}",
        reasons.len()
    );
}
