//! `pactum-clause diff OLD NEW [--scenarios DIR] [--history BUNDLE --trust FILE]`: what a
//! clause change changes, in the IR and in the outcomes of the scenarios (default: the embedded
//! library's), and, given an order's bundle, which of its past entries would have come out
//! differently (the verifier's analysis, `verifier::impact::diff_history`, the same one
//! `pactum-verify diff` runs). Exit 1 when any scenario's outcome or past entry differs.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde_json::json;

use super::output::Output;
use super::sources::{self, Source};
use super::Status;
use contract_lang::diff;
use contract_lang::scenario::Programs;

/// What `diff` compares: two clause files, the scenarios to run on both, and an order's
/// bundle with the trust file it is verified against.
pub struct DiffArgs<'a> {
    pub old: &'a Path,
    pub new: &'a Path,
    pub scenarios: Option<&'a Path>,
    pub history: Option<&'a Path>,
    pub trust: Option<&'a Path>,
}

pub fn run(out: &Output, vocab: Option<&Path>, args: &DiffArgs<'_>) -> Result<Status> {
    let (old_file, new_file) = (Source::read(args.old)?, Source::read(args.new)?);
    // The bundle first: a wrong path or an unverifiable bundle fails before any work.
    let history = match (args.history, args.trust) {
        (Some(bundle), Some(trust)) => Some(history(&old_file, &new_file, bundle, trust)?),
        (Some(_), None) => {
            anyhow::bail!("--history needs --trust FILE: the bundle is verified before its history is replayed")
        }
        (None, Some(_)) => anyhow::bail!("--trust is only for --history BUNDLE"),
        (None, None) => None,
    };
    let mut programs = Programs::new(sources::vocabulary(vocab)?.input());
    let (old, new) = ([old_file.input()], [new_file.input()]);
    let scenarios = args.scenarios;
    let report = match scenarios {
        None => {
            let scenarios: Vec<(String, String)> = pactum_clause_library::SCENARIOS
                .iter()
                .map(|(path, text)| (path.to_string(), text.to_string()))
                .collect();
            diff::analyse(
                &mut programs,
                &old,
                &new,
                &scenarios,
                &sources::library_file,
            )
        }
        Some(dir) => {
            let scenarios = scenario_files(dir)?;
            let load =
                |path: &str| std::fs::read_to_string(path).map_err(|error| error.to_string());
            diff::analyse(&mut programs, &old, &new, &scenarios, &load)
        }
    }
    .map_err(|error| anyhow::anyhow!("the clauses do not compile: {error}"))?;
    let history_differs = history.as_ref().is_some_and(|history| history.differs());
    if out.json {
        let mut document = json!({
            "command": "diff",
            "outcomes_differ": report.outcomes_differ(),
            "clauses": report.clauses,
            "scenarios_run": report.scenarios_run,
            "outcomes": report.outcomes,
        });
        if let Some(history) = &history {
            document["history"] = json!(history.impact);
            document["history_differs"] = json!(history_differs);
        }
        out.print_json(&document);
    } else {
        say_raw!("{}", diff::render(&report));
        if let Some(history) = &history {
            say_raw!("\n{}", history.render_history());
        }
    }
    Ok(if report.outcomes_differ() || history_differs {
        Status::Findings
    } else {
        Status::Clean
    })
}

/// The bundle verified against the trust file, then its history replayed with NEW in OLD's
/// place.
fn history(
    old: &Source,
    new: &Source,
    bundle: &Path,
    trust: &Path,
) -> Result<verifier::impact::HistoryDiff> {
    let text = std::fs::read_to_string(trust)
        .with_context(|| format!("cannot read {}", trust.display()))?;
    let trust_policy = verifier::bundle::TrustFile::parse(&text)
        .and_then(|file| file.trust())
        .with_context(|| format!("{}", trust.display()))?;
    let bytes =
        std::fs::read(bundle).with_context(|| format!("cannot read {}", bundle.display()))?;
    let source = |file: &Source| verifier::bundle::Source {
        name: file.name.clone(),
        text: file.text.clone(),
    };
    verifier::impact::diff_history(&source(old), &source(new), &bytes, &trust_policy)
        .with_context(|| format!("{}", bundle.display()))
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
