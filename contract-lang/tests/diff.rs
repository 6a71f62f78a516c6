//! Golden tests of the impact analysis: every `tests/data/diff/CASE/` holds `old.clause` and
//! `new.clause`; the report of diffing them against the clause library's scenarios is kept in
//! `CASE/expect` (`UPDATE_EXPECT=1 cargo test` rewrites it).

mod common;

use std::path::PathBuf;

use contract_lang::compile::SourceInput;
use contract_lang::diff;
use contract_lang::scenario::Programs;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/diff")
}

fn source(name: &str, text: &str) -> SourceInput {
    SourceInput {
        name: name.to_string(),
        text: text.to_string(),
    }
}

fn library_scenarios() -> Vec<(String, String)> {
    pactum_clause_library::SCENARIOS
        .iter()
        .map(|(path, text)| (path.to_string(), text.to_string()))
        .collect()
}

fn analyse(case: &str) -> diff::Report {
    analyse_scenarios(case, &library_scenarios()).0
}

/// The analysis of `case` against `scenarios`, and how many programs it compiled for them.
fn analyse_scenarios(case: &str, scenarios: &[(String, String)]) -> (diff::Report, usize) {
    let dir = data_dir().join(case);
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let vocabulary = source("vocabulary.clause", pactum_clause_library::VOCABULARY);
    let load = |path: &str| {
        pactum_clause_library::file(path)
            .map(str::to_string)
            .ok_or_else(|| "not in the library".to_string())
    };
    let mut programs = Programs::new(vocabulary);
    let report = diff::analyse(
        &mut programs,
        &[source("old.clause", &read("old.clause"))],
        &[source("new.clause", &read("new.clause"))],
        scenarios,
        &load,
    )
    .unwrap();
    (report, programs.compiles())
}

/// `threshold` changes the air-freight clause: its scenario file's 12 scenarios compile once
/// on each side, and the late-delivery file, which the change does not touch, once for both.
#[test]
fn each_side_compiles_a_scenario_file_s_clauses_once() {
    let files: Vec<(String, String)> = library_scenarios()
        .into_iter()
        .filter(|(path, _)| path.ends_with("/air_freight_fallback.toml"))
        .collect();
    let (report, compiles) = analyse_scenarios("threshold", &files);
    assert_eq!(report.scenarios_run, 12);
    assert!(report.outcomes_differ());
    assert_eq!(compiles, 2, "one compilation per side");

    let files: Vec<(String, String)> = library_scenarios()
        .into_iter()
        .filter(|(path, _)| {
            path.ends_with("/air_freight_fallback.toml")
                || path.ends_with("/late_delivery_penalty.toml")
        })
        .collect();
    let (report, compiles) = analyse_scenarios("threshold", &files);
    assert_eq!(report.scenarios_run, 25);
    assert_eq!(
        compiles, 3,
        "the untouched file's clauses once for both sides"
    );
}

#[test]
fn diff_reports_match_their_golden_files() {
    let mut cases: Vec<String> = std::fs::read_dir(data_dir())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    for case in cases {
        let report = analyse(&case);
        common::expect_file(
            &data_dir().join(&case).join("expect"),
            &diff::render(&report),
        );
    }
}

#[test]
fn a_reformatted_clause_changes_nothing() {
    let report = analyse("reformatted");
    assert!(report.clauses.is_empty(), "{report:?}");
    assert!(!report.outcomes_differ());
    assert!(report.scenarios_run > 50);
}

#[test]
fn making_the_refund_once_changes_the_duplicate_inspection_outcome() {
    let report = analyse("refund_once");
    assert!(report.outcomes_differ());
    let change = report
        .outcomes
        .iter()
        .find(|change| change.scenario == "a second intact inspection does not refund twice")
        .expect("the duplicate inspection scenario changes");
    assert_eq!(change.before, ["refund seller -> buyer 249.90 EUR"]);
    assert!(change.after.is_empty());
}

#[test]
fn a_changed_threshold_is_named_as_one() {
    let report = analyse("threshold");
    let changes = &report.clauses[0].changes;
    assert!(
        changes
            .iter()
            .any(|line| line.contains("threshold `1h` → `2h`")),
        "{changes:?}"
    );
    assert!(
        changes
            .iter()
            .any(|line| line.contains("param cap: default 20000.00 EUR → 15000.00 EUR")),
        "{changes:?}"
    );
}

#[test]
fn a_changed_word_label_is_reported_though_no_clause_id_changes() {
    let report = analyse("relabelled");
    assert!(report.clauses.is_empty(), "{:?}", report.clauses);
    let changed: Vec<(&str, &str)> = report
        .labels
        .iter()
        .map(|label| (label.word.as_str(), label.lang.as_str()))
        .collect();
    assert_eq!(changed, [("term:price", "de"), ("term:price", "zh")]);
    // The clause file's own word dropped, the library vocabulary's reads again.
    assert!(diff::render(&report).contains("term:price (de): \"der Kaufpreis\" → \"der Preis\""));
}
