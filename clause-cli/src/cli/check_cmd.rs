//! `pactum-clause check [FILES…]`: parse and type-check clauses against the vocabulary.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::json;

use super::output::{diagnostic_json, Output};
use super::sources::{self, Source};
use super::Status;
use contract_lang::compile::{compile_program, SourceInput};
use contract_lang::ir::Program;

/// Compiles `sources` (vocabulary first) and prints every diagnostic (human mode only).
/// Returns the program (`None` after printing why there is none), the diagnostics as JSON and
/// how many there were (warnings come with a program).
pub fn compile_and_report(
    out: &Output,
    sources: &[Source],
) -> (Option<Program>, Vec<serde_json::Value>, usize) {
    let inputs: Vec<SourceInput> = sources.iter().map(Source::input).collect();
    let result = compile_program(&inputs);
    let mut json_diagnostics = Vec::new();
    for found in &result.diagnostics {
        let Some(source) = sources.get(found.file) else {
            continue;
        };
        if out.json {
            json_diagnostics.push(diagnostic_json(source, &found.diagnostic));
        } else {
            say_raw!(
                "{}",
                out.render_diagnostics(source, std::slice::from_ref(&found.diagnostic))
            );
        }
    }
    let found = result.diagnostics.len();
    (result.program, json_diagnostics, found)
}

pub fn run(out: &Output, vocab: Option<&Path>, files: &[PathBuf]) -> Result<Status> {
    let sources = sources::program(vocab, files)?;
    let (program, diagnostics, diagnostics_found) = compile_and_report(out, &sources);
    let clean = program.is_some();
    if out.json {
        let clauses: Vec<serde_json::Value> = program
            .iter()
            .flat_map(|program| &program.clauses)
            .map(|clause| json!({"name": clause.name, "id": clause.id.to_hex()}))
            .collect();
        out.print_json(&json!({
            "command": "check",
            "ok": clean,
            "files": sources.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            "clauses": clauses,
            "diagnostics": diagnostics,
        }));
    } else if let Some(program) = &program {
        let findings = if diagnostics_found == 0 {
            "no findings".to_string()
        } else {
            format!("{diagnostics_found} warning(s) above")
        };
        say!(
            "{} {} file(s), {} clause(s): {findings}",
            out.paint("ok", true),
            sources.len(),
            program.clauses.len()
        );
    } else {
        say!(
            "{} {} file(s) checked: findings above",
            out.paint("error", false),
            sources.len()
        );
    }
    Ok(if clean {
        Status::Clean
    } else {
        Status::Findings
    })
}
