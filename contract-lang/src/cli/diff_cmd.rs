//! `pactum-clause diff OLD NEW [--scenarios DIR]`: what a clause change changes, in the IR and
//! in the outcomes of the scenarios (default: the embedded library's). Exit 1 when any
//! scenario's outcome differs.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde_json::json;

use super::output::Output;
use super::sources::{self, Source};
use super::Status;
use contract_lang::compile::SourceInput;
use contract_lang::diff;

pub fn run(
    out: &Output,
    vocab: Option<&Path>,
    old: &Path,
    new: &Path,
    scenarios: Option<&Path>,
) -> Result<Status> {
    let vocabulary = input(sources::vocabulary(vocab)?);
    let old = [input(Source::read(old)?)];
    let new = [input(Source::read(new)?)];
    let report = match scenarios {
        None => {
            let scenarios: Vec<(String, String)> = pactum_clause_library::SCENARIOS
                .iter()
                .map(|(path, text)| (path.to_string(), text.to_string()))
                .collect();
            let load = |path: &str| {
                pactum_clause_library::file(path)
                    .map(str::to_string)
                    .ok_or_else(|| "not a file of the embedded clause library".to_string())
            };
            diff::analyse(&vocabulary, &old, &new, &scenarios, &load)
        }
        Some(dir) => {
            let scenarios = scenario_files(dir)?;
            let load =
                |path: &str| std::fs::read_to_string(path).map_err(|error| error.to_string());
            diff::analyse(&vocabulary, &old, &new, &scenarios, &load)
        }
    }
    .map_err(|error| anyhow::anyhow!("the clauses do not compile: {error}"))?;
    if out.json {
        out.print_json(&json!({
            "command": "diff",
            "outcomes_differ": report.outcomes_differ(),
            "clauses": report.clauses,
            "scenarios_run": report.scenarios_run,
            "outcomes": report.outcomes,
        }));
    } else {
        say_raw!("{}", diff::render(&report));
    }
    Ok(if report.outcomes_differ() {
        Status::Findings
    } else {
        Status::Clean
    })
}

fn input(source: Source) -> SourceInput {
    SourceInput {
        name: source.name,
        text: source.text,
    }
}

/// Every `*.toml` file of `dir`, sorted, with its text.
fn scenario_files(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Ok((path.display().to_string(), text))
        })
        .collect()
}
