//! `pactum-clause compile -o OUT [FILES…]` and `pactum-clause id [FILES…]`.
//!
//! `compile` writes the canonical CBOR (RFC 8949 core deterministic encoding, see
//! `pactum-canonical`) of the array of the compiled clauses' IRs, in source order. Each element
//! hashes (SHA-256 of its canonical encoding) to that clause's id, so the file can be checked
//! without trusting whoever wrote it.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde_json::json;

use super::check_cmd::compile_and_report;
use super::output::Output;
use super::sources;
use super::Status;
use contract_lang::ir::ClauseIr;

pub fn compile(
    out: &Output,
    vocab: Option<&Path>,
    files: &[PathBuf],
    output: &Path,
) -> Result<Status> {
    let sources = sources::program(vocab, files)?;
    let (program, diagnostics, _) = compile_and_report(out, &sources);
    let Some(program) = program else {
        if out.json {
            out.print_json(&json!({"command": "compile", "ok": false, "diagnostics": diagnostics}));
        }
        return Ok(Status::Findings);
    };
    let irs: Vec<&ClauseIr> = program.clauses.iter().map(|clause| &clause.ir).collect();
    let bytes = pactum_canonical::to_vec(&irs).context("cannot encode the compiled clauses")?;
    std::fs::write(output, &bytes).with_context(|| format!("cannot write {}", output.display()))?;
    if out.json {
        out.print_json(&json!({
            "command": "compile",
            "ok": true,
            "output": output.display().to_string(),
            "bytes": bytes.len(),
            "clauses": program.clauses.iter()
                .map(|clause| json!({"name": clause.name, "id": clause.id.to_hex()}))
                .collect::<Vec<_>>(),
        }));
    } else {
        say!(
            "wrote {} clause(s), {} bytes of canonical CBOR, to {}",
            program.clauses.len(),
            bytes.len(),
            output.display()
        );
    }
    Ok(Status::Clean)
}

pub fn ids(out: &Output, vocab: Option<&Path>, files: &[PathBuf]) -> Result<Status> {
    let sources = sources::program(vocab, files)?;
    let (program, diagnostics, _) = compile_and_report(out, &sources);
    let Some(program) = program else {
        if out.json {
            out.print_json(&json!({"command": "id", "ok": false, "diagnostics": diagnostics}));
        }
        return Ok(Status::Findings);
    };
    if out.json {
        let ids: Vec<serde_json::Value> = program
            .clauses
            .iter()
            .map(|clause| {
                json!({
                    "name": clause.name,
                    "id": clause.id.to_hex(),
                    "file": sources.get(clause.file).map(|s| s.name.as_str()),
                })
            })
            .collect();
        out.print_json(&json!({"command": "id", "ok": true, "clauses": ids}));
    } else {
        let width = program
            .clauses
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(0);
        for clause in &program.clauses {
            say!("{:width$}  {}", clause.name, clause.id);
        }
    }
    Ok(Status::Clean)
}
