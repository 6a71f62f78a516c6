//! `pactum-clause fmt [--check] FILES…`: rewrite files in the canonical layout.
//!
//! Formatting is idempotent and never changes a clause's meaning (nor its id). With `--check`
//! (or with no FILES, which means the embedded library, which cannot be rewritten) nothing is
//! written: the files that would change are listed and the exit code is 1 if there are any.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use serde_json::json;

use super::output::{diagnostic_json, Output};
use super::sources::{self, Source};
use super::Status;
use contract_lang::fmt;

pub fn run(out: &Output, check: bool, files: &[PathBuf]) -> Result<Status> {
    let check = check || files.is_empty();
    let sources: Vec<Source> = if files.is_empty() {
        let mut all = vec![sources::vocabulary(None)?];
        all.extend(sources::clauses(&[])?);
        all
    } else {
        sources::clauses(files)?
    };

    let mut changed = Vec::new();
    let mut diagnostics = Vec::new();
    let mut unreadable = 0usize;
    for source in &sources {
        match fmt::format_source(&source.text) {
            Ok(formatted) if formatted == source.text => {}
            Ok(formatted) => {
                if !check {
                    if let Some(path) = &source.path {
                        std::fs::write(path, &formatted)
                            .with_context(|| format!("cannot write {}", path.display()))?;
                    }
                }
                changed.push(source.name.clone());
            }
            Err(found) => {
                unreadable += 1;
                if out.json {
                    diagnostics.extend(found.iter().map(|d| diagnostic_json(source, d)));
                } else {
                    say_raw!("{}", out.render_diagnostics(source, &found));
                }
            }
        }
    }

    if out.json {
        out.print_json(&json!({
            "command": "fmt",
            "check": check,
            "changed": changed,
            "diagnostics": diagnostics,
        }));
    } else {
        for name in &changed {
            let verb = if check { "would reformat" } else { "formatted" };
            say!("{verb} {name}");
        }
        let unchanged = sources.len() - changed.len() - unreadable;
        say!(
            "{} file(s) {}, {unchanged} already formatted",
            changed.len(),
            if check { "would change" } else { "reformatted" }
        );
    }
    Ok(if unreadable > 0 || (check && !changed.is_empty()) {
        Status::Findings
    } else {
        Status::Clean
    })
}
