//! `pactum-clause explain --event … --state … [FILES…]`: run one event against a state and
//! print the evaluation trace, each reason quoted from the clause source.

use std::path::Path;

use anyhow::{anyhow, Context as _, Result};
use serde::de::DeserializeOwned;
use serde_json::json;

use super::args::ExplainArgs;
use super::check_cmd::compile_and_report;
use super::output::Output;
use super::sources::{self, Source};
use super::Status;
use contract_lang::compile::SourceInput;
use contract_lang::eval::{self, Outcome};
use contract_lang::scenario::{EventDoc, Session, StateDoc};

/// Reads `arg` as a TOML file if such a file exists, else as inline TOML.
fn toml_arg<T: DeserializeOwned>(what: &str, arg: &str) -> Result<T> {
    let path = Path::new(arg);
    let text = if path.is_file() {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?
    } else {
        arg.to_string()
    };
    toml::from_str(&text).map_err(|error| anyhow!("--{what}: {error}"))
}

pub fn run(out: &Output, vocab: Option<&Path>, args: &ExplainArgs) -> Result<Status> {
    let event_doc: EventDoc = toml_arg("event", &args.event)?;
    let state_doc: StateDoc = toml_arg("state", &args.state)?;
    let sources = sources::program(vocab, &args.files)?;
    let (program, diagnostics, _) = compile_and_report(out, &sources);
    let Some(program) = program else {
        if out.json {
            out.print_json(&json!({"command": "explain", "ok": false, "diagnostics": diagnostics}));
        }
        return Ok(Status::Findings);
    };

    let jurisdiction = state_doc.jurisdiction.clone().unwrap_or_default();
    let mut session = Session::new(program, jurisdiction, &state_doc.params, &state_doc.terms)
        .map_err(|error| anyhow!("--state: {error}"))?;
    for (index, fact) in state_doc.facts.iter().enumerate() {
        let fact = session
            .event(fact)
            .map_err(|error| anyhow!("--state: fact {}: {error}", index + 1))?;
        session.tally(&fact);
        session.apply(fact, &Outcome::default());
    }
    session.inactive = state_doc.inactive.iter().cloned().collect();
    let event = session
        .event(&event_doc)
        .map_err(|error| anyhow!("--event: {error}"))?;
    session.tally(&event);
    let outcome = session.evaluate(&event);

    let inputs: Vec<SourceInput> = sources.iter().map(Source::input).collect();
    let trace = eval::explain(&outcome, &session.program, &inputs);
    let notes = session.inactive_notes(&event);
    let status = if outcome.conflicts.is_empty() && outcome.errors.is_empty() {
        Status::Clean
    } else {
        Status::Findings
    };
    if out.json {
        out.print_json(&json!({
            "command": "explain",
            "ok": status == Status::Clean,
            "event": event,
            "jurisdiction": session.jurisdiction,
            "outcome": outcome,
            "effects": outcome.effect_lines(),
            "trace": trace.lines().chain(notes.iter().map(String::as_str)).collect::<Vec<_>>(),
        }));
    } else {
        let at = contract_lang::value::DisplayTimestamp(event.at);
        let jurisdiction = if session.jurisdiction.is_empty() {
            "none"
        } else {
            session.jurisdiction.as_str()
        };
        say!(
            "{}",
            out.bold(&format!(
                "event {} at {at} (jurisdiction {jurisdiction})",
                event.kind
            ))
        );
        say_raw!("{trace}");
        for note in notes {
            say!("{note}");
        }
        let effects = outcome.effect_lines();
        if effects.is_empty() {
            say!("no effects");
        } else {
            say!("{}", out.bold("effects:"));
            for effect in effects {
                say!("  {effect}");
            }
        }
    }
    Ok(status)
}
