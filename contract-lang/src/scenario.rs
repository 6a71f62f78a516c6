//! Scenario files: data that says what a set of clauses must do on a timed sequence of events,
//! and the runner that checks it (`pactum-clause test`, and the library's CI test).
//!
//! A scenario file is TOML (see `docs/language.md`, "Scenario files"):
//!
//! ```toml
//! clauses = ["../clauses/air_freight_fallback.clause"]   # relative to this file
//! jurisdiction = "DE"
//! [terms]
//! transport_mode = "sea"                                  # values in the language's syntax
//! delivery_due = "2026-03-01T00:00:00Z"
//! [[scenario]]
//! name = "one hour late"
//! [[scenario.events]]
//! kind = "shipment.delivered"
//! at = "2026-03-01T01:00:00Z"
//! fields = { received_by = "DC" }
//! expect.effects = ["pay seller -> buyer 150.00 EUR"]
//! ```
//!
//! The runner is pure: it reads clause files through the `load` callback it is given, so the
//! same code runs on the embedded library and on files on disk.

mod doc;
mod effects;
mod programs;
mod session;
mod values;

use std::collections::BTreeSet;

use serde::Serialize;

pub use doc::{EventDoc, ExpectDoc, FileDoc, ScenarioDoc, StateDoc};
pub use effects::Effect;
pub use programs::Programs;
pub use session::Session;
pub use values::{from_source, from_toml};

use crate::compile::SourceInput;
use crate::eval::Outcome;

/// Reads a clause file named by a path already joined with the scenario file's directory.
pub type Loader<'a> = dyn Fn(&str) -> Result<String, String> + 'a;

/// The result of one scenario file.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    pub file: String,
    /// Set when the file itself could not be read as a scenario file.
    pub error: Option<String>,
    pub scenarios: Vec<ScenarioReport>,
}

impl FileReport {
    pub fn passed(&self) -> usize {
        self.scenarios.iter().filter(|s| s.passed()).count()
    }

    /// Failed scenarios; a file that could not be read counts as one failure.
    pub fn failed(&self) -> usize {
        self.scenarios.iter().filter(|s| !s.passed()).count() + usize::from(self.error.is_some())
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ScenarioReport {
    pub name: String,
    /// Problems that are not about one event (compilation, setup, `terms_after`).
    pub failures: Vec<String>,
    pub steps: Vec<StepReport>,
}

impl ScenarioReport {
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.steps.iter().all(|step| step.failures.is_empty())
    }
}

/// What one event did, and how that differed from the expectation.
#[derive(Clone, Debug, Serialize)]
pub struct StepReport {
    /// 1-based position of the event in the scenario.
    pub index: usize,
    pub kind: String,
    pub at: String,
    /// Applied effects, in the language's syntax.
    pub effects: Vec<String>,
    pub conflicts: Vec<String>,
    pub errors: Vec<String>,
    /// One line per rule that listens to the event (and per inactive clause that would).
    pub trace: Vec<String>,
    pub failures: Vec<String>,
}

/// Runs every scenario of the file at `path` whose name contains `filter` (all if `None`),
/// on programs compiled by `programs` (which holds the vocabulary and compiles each distinct
/// set of clause files once, across calls).
pub fn run_file(
    path: &str,
    text: &str,
    programs: &mut Programs,
    load: &Loader<'_>,
    filter: Option<&str>,
) -> FileReport {
    let mut report = FileReport {
        file: path.to_string(),
        error: None,
        scenarios: Vec::new(),
    };
    let doc: FileDoc = match toml::from_str(text) {
        Ok(doc) => doc,
        Err(error) => {
            report.error = Some(format!("not a scenario file: {error}"));
            return report;
        }
    };
    if doc.scenario.is_empty() {
        report.error = Some("the file has no [[scenario]]".to_string());
    }
    for scenario in &doc.scenario {
        if filter.is_some_and(|filter| !scenario.name.contains(filter)) {
            continue;
        }
        report
            .scenarios
            .push(run_scenario(path, &doc, scenario, programs, load));
    }
    report
}

fn run_scenario(
    path: &str,
    file: &FileDoc,
    scenario: &ScenarioDoc,
    programs: &mut Programs,
    load: &Loader<'_>,
) -> ScenarioReport {
    let mut report = ScenarioReport {
        name: scenario.name.clone(),
        failures: Vec::new(),
        steps: Vec::new(),
    };
    let mut session = match prepare(path, file, scenario, programs, load) {
        Ok(session) => session,
        Err(error) => {
            report.failures.push(error);
            return report;
        }
    };
    for (index, event_doc) in scenario.events.iter().enumerate() {
        let mut step = StepReport {
            index: index + 1,
            kind: event_doc.kind.clone(),
            at: event_doc.at.to_string().trim_matches('"').to_string(),
            effects: Vec::new(),
            conflicts: Vec::new(),
            errors: Vec::new(),
            trace: Vec::new(),
            failures: Vec::new(),
        };
        let event = match session.event(event_doc) {
            Ok(event) => event,
            Err(error) => {
                step.failures.push(format!("bad event: {error}"));
                report.steps.push(step);
                // Later events would run on a state that no longer matches the scenario.
                return report;
            }
        };
        if let Some(refusal) = session.refusal(&event, event_doc.by.as_deref()) {
            // Refused: nothing is recorded, as an order refuses it.
            step.errors.push(format!("refused: {refusal}"));
            step.failures = check_refusal(&event_doc.expect, &refusal.to_string());
            report.steps.push(step);
            continue;
        }
        session.tally(&event);
        let outcome = session.evaluate(&event);
        describe(&mut step, &outcome);
        step.trace.extend(session.inactive_notes(&event));
        step.failures = check_expectation(&event_doc.expect, &outcome, &step.trace, &session);
        session.apply(event, &outcome);
        report.steps.push(step);
    }
    if let Some(expected_terms) = &scenario.terms_after {
        for (name, expected) in expected_terms {
            match session.term_value(name, expected) {
                Ok(expected) => match session.state.terms.get(name) {
                    Some(actual) if actual.lang_eq(&expected) => {}
                    Some(actual) => report.failures.push(format!(
                        "after the last event: expected terms.{name} = {expected}, found {actual}"
                    )),
                    None => report.failures.push(format!(
                        "after the last event: expected terms.{name} = {expected}, but it is not set"
                    )),
                },
                Err(error) => report.failures.push(format!("terms_after.{name}: {error}")),
            }
        }
    }
    report
}

/// Compiles the scenario's clauses with the vocabulary and sets up the order.
fn prepare(
    path: &str,
    file: &FileDoc,
    scenario: &ScenarioDoc,
    programs: &mut Programs,
    load: &Loader<'_>,
) -> Result<Session, String> {
    let clause_paths = scenario.clauses.as_ref().unwrap_or(&file.clauses);
    let inline = scenario
        .inline_clauses
        .as_ref()
        .unwrap_or(&file.inline_clauses);
    let mut sources = Vec::new();
    for clause_path in clause_paths {
        let joined = join(path, clause_path);
        let text = load(&joined).map_err(|error| format!("cannot read {joined}: {error}"))?;
        sources.push(SourceInput { name: joined, text });
    }
    for (index, text) in inline.iter().enumerate() {
        sources.push(SourceInput {
            name: format!("{path} (inline clause {})", index + 1),
            text: text.clone(),
        });
    }
    if sources.is_empty() {
        return Err("the scenario names no clauses".to_string());
    }
    let program = programs
        .compile(sources)
        .map_err(|rendered| format!("the clauses do not compile:\n{rendered}"))?;
    let jurisdiction = scenario
        .jurisdiction
        .clone()
        .or_else(|| file.jurisdiction.clone())
        .unwrap_or_default();
    if !jurisdiction.is_empty() {
        crate::jurisdiction::validate(&jurisdiction)
            .map_err(|error| format!("jurisdiction `{jurisdiction}`: {error}"))?;
    }
    let mut params = file.params.clone();
    for (clause, overrides) in &scenario.params {
        let merged = doc::merged(params.get(clause).unwrap_or(&toml::Table::new()), overrides);
        params.insert(clause.clone(), merged);
    }
    let terms = doc::merged(&file.terms, &scenario.terms);
    Session::new(program, jurisdiction, &params, &terms)
}

/// `scenarios/x.toml` + `../clauses/y.clause` → `scenarios/../clauses/y.clause`.
pub fn join(scenario_path: &str, relative: &str) -> String {
    if relative.starts_with('/') {
        return relative.to_string();
    }
    match scenario_path.rfind('/') {
        Some(slash) => format!("{}/{relative}", &scenario_path[..slash]),
        None => relative.to_string(),
    }
}

fn describe(step: &mut StepReport, outcome: &Outcome) {
    step.effects = effects::of_outcome(outcome)
        .iter()
        .map(ToString::to_string)
        .collect();
    step.conflicts = outcome.conflicts.iter().map(ToString::to_string).collect();
    step.errors = outcome.errors.iter().map(ToString::to_string).collect();
    step.trace = outcome.trace.iter().map(ToString::to_string).collect();
}

/// A refused event meets its expectation only if it expected that refusal (and nothing else).
fn check_refusal(expect: &ExpectDoc, reason: &str) -> Vec<String> {
    match &expect.refused {
        Some(needle) if reason.to_lowercase().contains(&needle.to_lowercase()) => Vec::new(),
        Some(needle) => vec![format!(
            "expected a refusal mentioning `{needle}`, but it was refused: {reason}"
        )],
        None => vec![format!("unexpected refusal: {reason}")],
    }
}

fn check_expectation(
    expect: &ExpectDoc,
    outcome: &Outcome,
    trace: &[String],
    session: &Session,
) -> Vec<String> {
    let mut failures = Vec::new();
    if let Some(needle) = &expect.refused {
        failures.push(format!(
            "expected a refusal mentioning `{needle}`, but the event was accepted"
        ));
    }
    let mut expected = Vec::new();
    for text in &expect.effects {
        match effects::parse(text, &session.program.vocabulary) {
            Ok(effect) => expected.push(effect),
            Err(error) => failures.push(format!("bad expectation: {error}")),
        }
    }
    failures.extend(effects::compare(&expected, &effects::of_outcome(outcome)));

    let expected_conflicts: BTreeSet<&str> = expect.conflict.iter().map(String::as_str).collect();
    let actual_conflicts: BTreeSet<String> = outcome
        .conflicts
        .iter()
        .map(|conflict| match &conflict.subject {
            crate::eval::ConflictSubject::Term(term) => term.clone(),
            crate::eval::ConflictSubject::Clause(clause) => format!("clause {clause}"),
        })
        .collect();
    let actual_refs: BTreeSet<&str> = actual_conflicts.iter().map(String::as_str).collect();
    if expected_conflicts != actual_refs {
        failures.push(format!(
            "expected conflicts on {:?}, found {:?}",
            expected_conflicts, actual_refs
        ));
    }

    match &expect.error {
        Some(needle) => {
            let needle = needle.to_lowercase();
            if !outcome
                .errors
                .iter()
                .any(|failure| failure.to_string().to_lowercase().contains(&needle))
            {
                failures.push(format!(
                    "expected an evaluation error mentioning `{needle}`"
                ));
            }
        }
        None => failures.extend(
            outcome
                .errors
                .iter()
                .map(|failure| format!("unexpected evaluation {failure}")),
        ),
    }

    for needle in &expect.trace {
        if !trace.iter().any(|line| line.contains(needle.as_str())) {
            failures.push(format!("expected the trace to mention `{needle}`"));
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::join;

    #[test]
    fn clause_paths_are_relative_to_the_scenario_file() {
        assert_eq!(
            join("scenarios/a.toml", "../clauses/b.clause"),
            "scenarios/../clauses/b.clause"
        );
        assert_eq!(join("a.toml", "b.clause"), "b.clause");
        assert_eq!(join("x/a.toml", "/abs/b.clause"), "/abs/b.clause");
    }
}
