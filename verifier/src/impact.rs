//! Impact of a clause change on an order's history (`pactum-verify diff OLD NEW --history
//! BUNDLE`): the verified history replayed with NEW in place of the clause the order runs,
//! every recorded fact fed again, and each entry whose outcome would have come out differently
//! listed before → after. Pure: the caller verified the bundle and reads the files.
//!
//! The replay is counterfactual: the facts are the recorded ones, in the recorded order; the
//! parties' own steps (reviews, agreements, a close) are replayed when the new history still
//! allows them and otherwise noted and skipped, since their signatures bind them to the
//! history that really happened.

use std::collections::HashSet;
use std::sync::Arc;

use serde::Serialize;

use crate::bundle::{Report, Source};
use crate::model::{Digest, Outcome, Step};
use crate::state::{rules, Machine, State};
use crate::timeline::{outcome_differences, outcome_summary};

/// Why the analysis could not run.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ImpactError {
    #[error("NEW declares no clause")]
    NoClause,
    #[error("the order does not run clause `{0}`")]
    NotInOrder(String),
    #[error("the order runs another version of clause `{clause}` than OLD (the order's is {order}, OLD's is {old})")]
    NotOld {
        clause: String,
        order: Digest,
        old: Digest,
    },
    #[error("with NEW in place of the order's clause file, the sources do not compile: {0}")]
    Compile(String),
    #[error("the contract does not run under NEW: {0}")]
    Setup(String),
    #[error("the genesis cannot be replayed: {0}")]
    Genesis(String),
}

/// One entry whose outcome differs under NEW.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryImpact {
    pub seq: u64,
    /// `event`, `review`, `agreement` or `close`.
    pub kind: String,
    /// The event's kind, for a fact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    pub at: i64,
    /// Every effect that differs: what the entry recorded, and what it would have recorded
    /// under NEW.
    pub changes: Vec<EffectChange>,
}

/// One effect of an entry, as recorded and as it would have been under NEW (`(nothing)` on
/// the side that has none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EffectChange {
    pub before: String,
    pub after: String,
}

/// The history under NEW.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Impact {
    /// Facts replayed.
    pub facts: usize,
    pub entries: Vec<EntryImpact>,
}

impl Impact {
    /// Whether any past entry would have come out differently (the CLI's exit 1).
    pub fn differs(&self) -> bool {
        !self.entries.is_empty()
    }
}

/// What `diff OLD NEW --history BUNDLE` reports, whichever CLI asks (`pactum-verify diff`,
/// `pactum-clause diff --history`): the clause-level changes, compiled against the bundle's
/// own vocabulary, and the verified history replayed under NEW.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryDiff {
    pub clauses: Vec<contract_lang::diff::ClauseDiff>,
    pub impact: Impact,
    /// The order's business reference, for the report's heading.
    pub order_ref: String,
}

/// Why `diff … --history` could not run.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum HistoryDiffError {
    #[error("the bundle does not verify: {0}")]
    Invalid(String),
    #[error("the bundle cannot be read: {0}")]
    Unreadable(String),
    #[error("the bundle has no sources")]
    NoSources,
    #[error("{which}: {error}")]
    Compile { which: &'static str, error: String },
    #[error(transparent)]
    Impact(#[from] ImpactError),
}

impl HistoryDiff {
    /// Whether any past entry would have come out differently.
    pub fn differs(&self) -> bool {
        self.impact.differs()
    }

    /// The report for people: the clause changes, then the history.
    pub fn render(&self) -> String {
        render(&self.clauses, &self.impact, &self.order_ref)
    }

    /// The history part alone, for a caller that shows the clause changes its own way.
    pub fn render_history(&self) -> String {
        render_history(&self.impact, &self.order_ref)
    }

    /// The report as JSON: `clauses`, `history` (facts replayed, entries that differ) and
    /// `differs`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "clauses": self.clauses,
            "history": self.impact,
            "differs": self.differs(),
        })
    }
}

/// Verifies `bundle` against `trust`, compares OLD and NEW as compiled IR, and replays the
/// verified history with NEW in OLD's place (see [`history`]).
pub fn diff_history(
    old: &Source,
    new: &Source,
    bundle: &[u8],
    trust: &crate::bundle::Trust,
) -> Result<HistoryDiff, HistoryDiffError> {
    use crate::bundle::{verify_bundle, Bundle, VerifyOptions};
    let report = verify_bundle(bundle, trust, &VerifyOptions::default())
        .map_err(|error| HistoryDiffError::Invalid(error.to_string()))?;
    let (header, _) =
        Bundle::parse(bundle).map_err(|error| HistoryDiffError::Unreadable(error.to_string()))?;
    let input = |source: &Source| contract_lang::compile::SourceInput {
        name: source.name.clone(),
        text: source.text.clone(),
    };
    let vocabulary = header
        .sources
        .first()
        .map(input)
        .ok_or(HistoryDiffError::NoSources)?;
    let side = |source: &Source, which: &'static str| {
        contract_lang::diff::Side::compile(&vocabulary, &[input(source)])
            .map_err(|error| HistoryDiffError::Compile { which, error })
    };
    let clauses = contract_lang::diff::clause_changes(&side(old, "OLD")?, &side(new, "NEW")?);
    let impact = history(&report, &header.sources, old, new)?;
    Ok(HistoryDiff {
        clauses,
        impact,
        order_ref: report.contract.order_ref.clone(),
    })
}

/// Replays `report`'s verified history with the clause files `old` (what the order runs) and
/// `new` swapped: each clause `new` declares replaces the order's clause of that name, whose
/// id must be `old`'s.
pub fn history(
    report: &Report,
    sources: &[Source],
    old: &Source,
    new: &Source,
) -> Result<Impact, ImpactError> {
    let names = contract_lang::diff::clause_names(&new.text);
    if names.is_empty() {
        return Err(ImpactError::NoClause);
    }
    let old_ids = compiled_ids(sources, old)?;
    let mut contract = report.contract.clone();
    for name in &names {
        let binding = contract
            .clauses
            .iter()
            .find(|binding| binding.name == *name)
            .ok_or_else(|| ImpactError::NotInOrder(name.clone()))?;
        match old_ids.iter().find(|(clause, _)| clause == name) {
            Some((_, id)) if *id == binding.id => {}
            Some((_, id)) => {
                return Err(ImpactError::NotOld {
                    clause: name.clone(),
                    order: binding.id,
                    old: *id,
                })
            }
            None => return Err(ImpactError::NotInOrder(name.clone())),
        }
    }
    let swapped = swap(sources, &names, new);
    let program =
        rules::compile(&swapped).map_err(|error| ImpactError::Compile(error.to_string()))?;
    for binding in &mut contract.clauses {
        if let Some(clause) = program.clause(&binding.name) {
            binding.id = Digest(clause.id.0);
        }
    }
    let machine = Machine::new(contract, report.order, Arc::new(program), swapped.into())
        .map_err(|error| ImpactError::Setup(error.to_string()))?;
    replay(report, &machine)
}

/// The order's sources with every file declaring one of `names` replaced by `new` (the first
/// one) or dropped (the others).
fn swap(sources: &[Source], names: &[String], new: &Source) -> Vec<Source> {
    let mut swapped = Vec::with_capacity(sources.len());
    let mut placed = false;
    for source in sources {
        let declares = contract_lang::diff::clause_names(&source.text)
            .iter()
            .any(|name| names.contains(name));
        if !declares {
            swapped.push(source.clone());
        } else if !placed {
            placed = true;
            swapped.push(Source {
                name: source.name.clone(),
                text: new.text.clone(),
            });
        }
    }
    swapped
}

/// The ids of the clauses `old` declares, compiled with the order's vocabulary.
fn compiled_ids(sources: &[Source], old: &Source) -> Result<Vec<(String, Digest)>, ImpactError> {
    let names = contract_lang::diff::clause_names(&old.text);
    let program = rules::compile(&swap(sources, &names, old))
        .map_err(|error| ImpactError::Compile(format!("OLD: {error}")))?;
    Ok(names
        .into_iter()
        .filter_map(|name| {
            program
                .clause(&name)
                .map(|clause| (name, Digest(clause.id.0)))
        })
        .collect())
}

fn replay(report: &Report, machine: &Machine) -> Result<Impact, ImpactError> {
    let mut state: State = machine
        .genesis()
        .map_err(|error| ImpactError::Genesis(error.to_string()))?
        .state;
    let mut seen: HashSet<Digest> = HashSet::new();
    let mut impact = Impact::default();
    for entry in report.entries.iter().skip(1) {
        let at = entry
            .body
            .time(report.contract.genesis_at)
            .unwrap_or_default();
        let (kind, event, replayed) = match &entry.body.step {
            Step::Event(step) => {
                impact.facts += 1;
                let event = entry.event.clone();
                let replayed = match &event {
                    Some(event) => machine.apply_checked(&state, &seen, &step.event, event),
                    None => continue,
                };
                ("event", event.map(|event| event.kind), replayed)
            }
            Step::Review(step) => (
                "review",
                None,
                machine.apply_review_checked(&state, &step.review),
            ),
            Step::Close(step) => (
                "close",
                None,
                machine.apply_close_checked(&state, &step.close),
            ),
            Step::Agreement(step) => (
                "agreement",
                None,
                machine.apply_agreement_checked(&state, &step.agreement),
            ),
            Step::Genesis => continue,
        };
        let changes = match replayed {
            Ok(transition) => {
                let changes = differences(&entry.body.step, &transition.body.step);
                if let Some(event) = transition.event {
                    seen.insert(event);
                }
                state = transition.state;
                changes
            }
            Err(error) => vec![EffectChange {
                before: summary(&entry.body.step),
                after: format!("not possible: {error}"),
            }],
        };
        if !changes.is_empty() {
            impact.entries.push(EntryImpact {
                seq: entry.body.seq,
                kind: kind.to_string(),
                event,
                at,
                changes,
            });
        }
    }
    Ok(impact)
}

/// How a replayed step differs from the recorded one: every effect that differs, each side on
/// one line in the clause language's action syntax. Empty when it does not differ.
fn differences(recorded: &Step, replayed: &Step) -> Vec<EffectChange> {
    let changes = |pairs: Vec<(String, String)>| {
        pairs
            .into_iter()
            .map(|(before, after)| EffectChange { before, after })
            .collect::<Vec<_>>()
    };
    match (recorded, replayed) {
        (Step::Event(recorded), Step::Event(replayed)) => {
            changes(outcome_differences(&recorded.outcome, &replayed.outcome))
        }
        (Step::Review(recorded), Step::Review(replayed)) => {
            let mut all = changes(outcome_differences(
                &Outcome::Applied(recorded.applied.clone()),
                &Outcome::Applied(replayed.applied.clone()),
            ));
            // The facts held during the pause, as evaluated after the review.
            let (a, b) = (&recorded.reevaluated, &replayed.reevaluated);
            for i in 0..a.len().max(b.len()) {
                let (x, y) = (a.get(i), b.get(i));
                if x.map(|again| &again.outcome) == y.map(|again| &again.outcome) {
                    continue;
                }
                let seq = x.or(y).map_or(0, |again| again.seq);
                let pairs = match (x, y) {
                    (Some(x), Some(y)) => outcome_differences(&x.outcome, &y.outcome),
                    (x, y) => {
                        let side = |again: Option<&crate::model::Reevaluation>| {
                            again.map_or_else(
                                || "(not evaluated)".to_string(),
                                |again| outcome_summary(&again.outcome),
                            )
                        };
                        vec![(side(x), side(y))]
                    }
                };
                all.extend(pairs.into_iter().map(|(before, after)| EffectChange {
                    before: format!("the fact held at #{seq}: {before}"),
                    after: format!("the fact held at #{seq}: {after}"),
                }));
            }
            all
        }
        _ => Vec::new(),
    }
}

/// What a step did, on one line.
fn summary(step: &Step) -> String {
    match step {
        Step::Event(step) => outcome_summary(&step.outcome),
        Step::Review(_) => "reviewed".to_string(),
        Step::Agreement(_) => "amended by agreement".to_string(),
        Step::Close(_) => "closed".to_string(),
        Step::Genesis => String::new(),
    }
}

/// The analysis for people: what changed in each clause (as `pactum-clause diff` says it),
/// then every past entry of the order that would have come out differently.
pub fn render(
    clauses: &[contract_lang::diff::ClauseDiff],
    impact: &Impact,
    order_ref: &str,
) -> String {
    let mut out = String::new();
    if clauses.is_empty() {
        out.push_str("no clause changed meaning\n");
    }
    for clause in clauses {
        out.push_str(&format!("clause {} {}\n", clause.clause, clause.change));
        for change in &clause.changes {
            out.push_str(&format!("  - {change}\n"));
        }
    }
    out.push('\n');
    out.push_str(&render_history(impact, order_ref));
    out
}

/// The history part of [`render`]: how many facts were replayed, then each entry that differs
/// with every effect that differs, before → after.
pub fn render_history(impact: &Impact, order_ref: &str) -> String {
    use contract_lang::untrusted::escape;
    let mut out = String::new();
    let differ = match impact.entries.len() {
        1 => "1 entry differs".to_string(),
        count => format!("{count} entries differ"),
    };
    out.push_str(&format!(
        "history of order {}: {} facts replayed under NEW; {differ}\n",
        escape(order_ref),
        impact.facts
    ));
    for entry in &impact.entries {
        let what = entry.event.as_deref().unwrap_or(&entry.kind);
        out.push_str(&format!(
            "  #{}  {}  {}\n",
            entry.seq,
            contract_lang::value::DisplayTimestamp(entry.at),
            escape(what),
        ));
        for change in &entry.changes {
            out.push_str(&format!(
                "    before: {}\n    after:  {}\n",
                escape(&change.before),
                escape(&change.after)
            ));
        }
    }
    out
}
