//! Text written by others (attested fields, names, notes, clause titles and messages) cannot
//! rewrite a verification report: `pactum-verify` shows ESC, BEL, CR, U+202E and U+2066 escaped
//! (`\u{1b}`) in every language, and its JSON carries the same values as JSON.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use contract_lang::untrusted::is_unsafe;
use contract_lang::value::Value;
use verifier::bundle::assemble::assemble;
use verifier::bundle::build::{
    example_contract, library_sources, ExampleKeys, ExampleLog, OrderBuilder, EXAMPLE_COSIGN_TIME,
};
use verifier::bundle::{Source, Trust, TrustFile};
use verifier::model::Decision;

/// A line that tries to clear the terminal line, ring, return to the line's start, print a
/// fake verdict, reverse and isolate what follows, and start a line of its own.
const HOSTILE: &str = "\u{1b}[2K\u{7}\rVALID \u{202e}evil\u{2066} x\n#9  fake line";

/// A clause whose title, notification and review reason carry the same characters, written
/// with the language's escapes.
const CLAUSE: &str = r#"clause hostile {
  title en "Title \u{1b}[2K\u{7}\u{d}VALID \u{202e}\u{2066}\n#0 fake"
  title zh "标题 \u{1b}]0;owned\u{7}"
  title de "Titel \u{202e}"

  on shipment.departed
  then notify buyer "message \u{1b}[1A\u{d}VALID\u{2066}\n#1 fake"

  on shipment.delivered
  then review "reason \u{1b}[2J\u{202e}\n#2 fake"
}
"#;

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(value: &str) -> Value {
    Value::Text(value.to_string())
}

/// A verified bundle whose every free-text field is hostile, and its trust file.
fn hostile_bundle(dir: &Path) -> (PathBuf, PathBuf) {
    let keys = ExampleKeys::new();
    let mut sources = library_sources(&[]).unwrap();
    sources.push(Source {
        name: "hostile.clause".into(),
        text: CLAUSE.to_string(),
    });
    let program = verifier::bundle::build::compile_sources(&sources).unwrap();
    let mut contract = example_contract(
        &keys,
        &program,
        &["hostile".to_string()],
        HOSTILE,
        BTreeMap::new(),
        1_768_003_200,
    );
    contract.order_ref = HOSTILE.to_string();
    contract.attesters[0].name = HOSTILE.to_string();
    let mut order = OrderBuilder::new(sources, contract, keys.parties()).unwrap();
    order
        .event(
            &keys.carrier,
            "shipment.departed",
            1_768_003_200,
            BTreeMap::from([("port".to_string(), text(HOSTILE))]),
        )
        .unwrap();
    order
        .event(
            &keys.carrier,
            "shipment.delivered",
            1_768_010_000,
            BTreeMap::from([("received_by".to_string(), text(HOSTILE))]),
        )
        .unwrap();
    order.review(Decision::Discard, HOSTILE).unwrap();

    let mut log = ExampleLog::example();
    let leaves = log.append_entries(order.entries()).unwrap();
    let note = log.checkpoint(EXAMPLE_COSIGN_TIME).unwrap();
    let bundle = assemble(
        &order.parts(),
        &leaves,
        &log.log,
        &note,
        ("seller", &keys.seller),
        &[],
    )
    .unwrap();
    let trust = Trust {
        log: log.policy().unwrap(),
        parties: order.machine().contract().parties.clone(),
    };
    let bundle_path = dir.join("hostile.bundle");
    let trust_path = dir.join("trust.toml");
    std::fs::write(&bundle_path, bundle.to_bytes().unwrap()).unwrap();
    std::fs::write(
        &trust_path,
        TrustFile::from_trust(&trust).to_toml().unwrap(),
    )
    .unwrap();
    (bundle_path, trust_path)
}

fn verify(bundle: &Path, trust: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_pactum-verify"))
        .arg(bundle)
        .arg("--trust")
        .arg(trust)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    String::from_utf8(output.stdout).unwrap()
}

fn raw_characters(output: &str) -> Vec<char> {
    output
        .chars()
        .filter(|&c| c != '\n' && is_unsafe(c))
        .collect()
}

#[test]
fn no_raw_control_or_bidi_character_reaches_the_report() {
    let dir = scratch("untrusted-text");
    let (bundle, trust) = hostile_bundle(&dir);
    for lang in ["en", "zh", "de"] {
        let report = verify(&bundle, &trust, &["--lang", lang]);
        assert_eq!(raw_characters(&report), Vec::<char>::new(), "{report}");
        assert!(report.contains("\\u{1b}[2K\\u{7}\\u{d}VALID \\u{202e}evil\\u{2066}"));
        // Only the real verdict starts a line with it; no value starts a line of its own.
        let verdicts = report
            .lines()
            .filter(|line| line.starts_with("VALID"))
            .count();
        assert_eq!(verdicts, usize::from(lang == "en"), "{report}");
        for fake in ["#9  fake line", "#0 fake", "#1 fake", "#2 fake"] {
            assert!(
                !report
                    .lines()
                    .any(|line| line.trim_start().starts_with(fake)),
                "{fake} starts a line of {report}"
            );
        }
    }
}

#[test]
fn json_reports_carry_the_same_values_escaped_as_json() {
    let dir = scratch("untrusted-json");
    let (bundle, trust) = hostile_bundle(&dir);
    let output = verify(&bundle, &trust, &["--format", "json"]);
    assert_eq!(raw_characters(&output), Vec::<char>::new());
    let report: serde_json::Value = serde_json::from_str(&output).unwrap();
    assert_eq!(report["order_ref"], HOSTILE);
    let note = report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|entry| entry["review"]["note"].as_str())
        .unwrap();
    assert_eq!(note, HOSTILE);
}
