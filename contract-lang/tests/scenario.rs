//! The scenario runner's reports, golden-tested: every way a scenario can pass or fail has an
//! input in `tests/data/scenario/*.toml` and the expected report in `*.expect`
//! (`UPDATE_EXPECT=1 cargo test` rewrites them).

mod common;

use std::fmt::Write as _;
use std::path::PathBuf;

use contract_lang::compile::SourceInput;
use contract_lang::scenario::{run_file, FileReport, Programs};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/scenario")
}

fn check(name: &str, actual: &str) {
    let path = data_dir().join(name);
    common::expect_file(&path, actual);
}

/// The report as plain text: each scenario's verdict, failures, and per event what happened.
fn describe(report: &FileReport) -> String {
    let mut out = String::new();
    if let Some(error) = &report.error {
        let _ = writeln!(out, "file error: {error}");
    }
    for scenario in &report.scenarios {
        let verdict = if scenario.passed() { "ok" } else { "FAIL" };
        let _ = writeln!(out, "{verdict} {}", scenario.name);
        for failure in &scenario.failures {
            let _ = writeln!(out, "  failure: {failure}");
        }
        for step in &scenario.steps {
            let _ = writeln!(out, "  event {} {} at {}", step.index, step.kind, step.at);
            for line in &step.effects {
                let _ = writeln!(out, "    effect: {line}");
            }
            for line in step.trace.iter().chain(&step.conflicts).chain(&step.errors) {
                let _ = writeln!(out, "    trace: {line}");
            }
            for failure in &step.failures {
                let _ = writeln!(out, "    failure: {failure}");
            }
        }
    }
    let _ = writeln!(
        out,
        "{} passed, {} failed",
        report.passed(),
        report.failed()
    );
    out
}

fn vocabulary() -> SourceInput {
    SourceInput {
        name: "vocabulary.clause".into(),
        text: pactum_clause_library::VOCABULARY.into(),
    }
}

fn run(name: &str) -> FileReport {
    run_with(&mut Programs::new(vocabulary()), name)
}

fn run_with(programs: &mut Programs, name: &str) -> FileReport {
    let dir = data_dir();
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    // Paths are joined with the scenario's own name, so resolve them against the data dir.
    let load =
        |path: &str| std::fs::read_to_string(dir.join(path)).map_err(|error| error.to_string());
    run_file(name, &text, programs, &load, None)
}

#[test]
fn every_failure_is_reported() {
    let report = run("mistakes.toml");
    assert_eq!(report.passed(), 2);
    check("mistakes.expect", &describe(&report));
}

/// `mistakes.toml`'s 13 scenarios name two sets of clause files that are read (`tiny.clause`,
/// and one inline clause that does not compile): each is compiled once, and a second run of
/// the file through the same programs compiles nothing.
#[test]
fn scenarios_that_name_the_same_clause_files_share_one_compilation() {
    let mut programs = Programs::new(vocabulary());
    let first = describe(&run_with(&mut programs, "mistakes.toml"));
    assert_eq!(programs.compiles(), 2);
    let again = describe(&run_with(&mut programs, "mistakes.toml"));
    assert_eq!(programs.compiles(), 2);
    assert_eq!(first, again, "a shared program must not change any outcome");
}

#[test]
fn a_file_that_is_not_a_scenario_file_is_one_failure() {
    let mut programs = Programs::new(vocabulary());
    let load = |_: &str| Err("no files".to_string());
    for text in [
        "not toml at all [",
        "[[scenario]]\nname = 1",
        "typo = 1",
        "",
    ] {
        let report = run_file("x.toml", text, &mut programs, &load, None);
        assert!(report.error.is_some(), "{text:?}");
        assert_eq!(report.failed(), 1);
    }
}
