//! `pactum-clause test [SCENARIOS…]`: run scenario files (default: the embedded library's).
//!
//! Human output lists each scenario as `ok` or `FAIL` with what differed, and always ends with
//! the line `N passed, N failed`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::json;

use super::output::Output;
use super::sources;
use super::Status;
use contract_lang::scenario::{self, FileReport};

pub fn run(
    out: &Output,
    vocab: Option<&Path>,
    files: &[PathBuf],
    filter: Option<&str>,
) -> Result<Status> {
    let mut programs = scenario::Programs::new(sources::vocabulary(vocab)?.input());
    let reports = if files.is_empty() {
        let load = sources::library_file;
        pactum_clause_library::SCENARIOS
            .iter()
            .map(|(path, text)| scenario::run_file(path, text, &mut programs, &load, filter))
            .collect::<Vec<_>>()
    } else {
        let load = |path: &str| std::fs::read_to_string(path).map_err(|error| error.to_string());
        let mut reports = Vec::new();
        for path in files {
            let source = sources::Source::read(path)?;
            reports.push(scenario::run_file(
                &source.name,
                &source.text,
                &mut programs,
                &load,
                filter,
            ));
        }
        reports
    };
    Ok(print_reports(out, &reports))
}

/// Prints the reports and the summary line; `Findings` if any scenario failed.
pub fn print_reports(out: &Output, reports: &[FileReport]) -> Status {
    let passed: usize = reports.iter().map(FileReport::passed).sum();
    let failed: usize = reports.iter().map(FileReport::failed).sum();
    if out.json {
        out.print_json(&json!({
            "command": "test",
            "ok": failed == 0,
            "passed": passed,
            "failed": failed,
            "files": reports,
        }));
    } else {
        for report in reports {
            say!("{}", out.bold(&report.file));
            if let Some(error) = &report.error {
                say!("  {} {error}", out.paint("FAIL", false));
            }
            for scenario in &report.scenarios {
                if scenario.passed() {
                    say!("  {}   {}", out.paint("ok", true), scenario.name);
                    continue;
                }
                say!("  {} {}", out.paint("FAIL", false), scenario.name);
                for failure in &scenario.failures {
                    say!("       {}", failure.replace('\n', "\n       "));
                }
                for step in scenario
                    .steps
                    .iter()
                    .filter(|step| !step.failures.is_empty())
                {
                    say!(
                        "       event {} ({} at {}):",
                        step.index,
                        step.kind,
                        step.at
                    );
                    for failure in &step.failures {
                        say!("         - {failure}");
                    }
                    for effect in &step.effects {
                        say!("         effect: {effect}");
                    }
                    for line in step.conflicts.iter().chain(&step.errors).chain(&step.trace) {
                        say!("         trace:  {line}");
                    }
                }
            }
        }
        say!("{passed} passed, {failed} failed");
    }
    if failed == 0 {
        Status::Clean
    } else {
        Status::Findings
    }
}
