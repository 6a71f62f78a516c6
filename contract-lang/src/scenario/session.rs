//! An order being simulated: compiled clauses with bound params, a jurisdiction, the state and
//! which clauses are active. Each event is evaluated with the pure evaluator and then applied
//! the way an order applies it: the event becomes the latest fact of its kind; amendments and
//! (de)activations apply only if the outcome has no conflict and no error (otherwise the order
//! would go to human review, and nothing changes).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::doc::EventDoc;
use super::values::from_toml;
use crate::eval::{
    bind_params, check_exercise, evaluate, Aggregated, BoundClause, Event, ExerciseRefusal,
    Outcome, State,
};
use crate::ir::Program;
use crate::value::{Type, Value};
use crate::vocab::Vocabulary;

pub struct Session {
    /// Shared: the scenarios of a file usually run on one compiled program.
    pub program: Arc<Program>,
    pub jurisdiction: String,
    /// Bound params of each clause, in program order.
    pub params: Vec<BTreeMap<String, Value>>,
    pub state: State,
    /// Clauses deactivated by an earlier event.
    pub inactive: BTreeSet<String>,
    /// The kinds and fields the clauses aggregate over, tallied as facts are recorded.
    aggregated: Aggregated,
}

impl Session {
    /// Binds `params` (clause → param → TOML value) and types `terms` against the program.
    pub fn new(
        program: impl Into<Arc<Program>>,
        jurisdiction: String,
        params: &BTreeMap<String, toml::Table>,
        terms: &toml::Table,
    ) -> Result<Session, String> {
        let program = program.into();
        if let Some(unknown) = params.keys().find(|name| program.clause(name).is_none()) {
            return Err(format!(
                "params are given for clause `{unknown}`, which is not part of this scenario"
            ));
        }
        let params = bind_all(&program, params)?;
        let state = initial_state(&program.vocabulary, terms)?;
        Ok(Session {
            aggregated: program.aggregated(),
            program,
            jurisdiction,
            params,
            state,
            inactive: BTreeSet::new(),
        })
    }

    /// Types an event document against the vocabulary.
    pub fn event(&self, doc: &EventDoc) -> Result<Event, String> {
        let vocabulary = &self.program.vocabulary;
        let declared = vocabulary
            .events
            .get(&doc.kind)
            .ok_or_else(|| format!("no event kind `{}` is declared", doc.kind))?;
        let at = match from_toml(&doc.at, &Type::Timestamp, vocabulary)
            .map_err(|error| format!("`at`: {error}"))?
        {
            Value::Timestamp(at) => at,
            _ => return Err("`at` is not a timestamp".to_string()),
        };
        let mut fields = BTreeMap::new();
        for (name, value) in &doc.fields {
            let ty = declared
                .get(name)
                .ok_or_else(|| format!("event `{}` has no field `{name}`", doc.kind))?;
            let value = from_toml(value, ty, vocabulary)
                .map_err(|error| format!("field `{name}`: {error}"))?;
            fields.insert(name.clone(), value);
        }
        let event = Event {
            kind: doc.kind.clone(),
            at,
            fields,
        };
        vocabulary
            .check_event(&event)
            .map_err(|error| error.to_string())?;
        Ok(event)
    }

    fn active(&self) -> Vec<BoundClause<'_>> {
        self.program
            .clauses
            .iter()
            .zip(&self.params)
            .filter(|(clause, _)| !self.inactive.contains(&clause.name))
            .map(|(clause, params)| BoundClause { clause, params })
            .collect()
    }

    /// Counts `event` into the aggregates (`count`, `sum`) before it is evaluated, as an
    /// order records it: an aggregate includes the event being evaluated.
    pub fn tally(&mut self, event: &Event) {
        self.state.tally(event, &self.aggregated);
    }

    /// Evaluates `event` against the active clauses, without changing the session.
    pub fn evaluate(&self, event: &Event) -> Outcome {
        evaluate(&self.active(), &self.jurisdiction, &self.state, event)
    }

    /// Why an order would refuse `event` signed by party `by` (an option's exercise by
    /// another party, after its deadline or twice), as the verifier's state machine does.
    pub fn refusal(&self, event: &Event, by: Option<&str>) -> Option<ExerciseRefusal> {
        check_exercise(&self.active(), &self.jurisdiction, &self.state, event, by).err()
    }

    /// Trace lines for inactive clauses that would otherwise listen to `event`.
    pub fn inactive_notes(&self, event: &Event) -> Vec<String> {
        self.program
            .clauses
            .iter()
            .filter(|clause| self.inactive.contains(&clause.name))
            .filter(|clause| clause.ir.rules.iter().any(|rule| rule.on == event.kind))
            .map(|clause| {
                format!(
                    "{} is inactive (deactivated by an earlier event): not evaluated",
                    clause.name
                )
            })
            .collect()
    }

    /// Records `event` and applies `outcome` (see the module docs).
    pub fn apply(&mut self, event: Event, outcome: &Outcome) {
        if outcome.conflicts.is_empty() && outcome.errors.is_empty() {
            for amendment in &outcome.amendments {
                self.state
                    .terms
                    .insert(amendment.term.clone(), amendment.value.clone());
            }
            for activation in &outcome.activations {
                if activation.active {
                    self.inactive.remove(&activation.clause);
                } else {
                    self.inactive.insert(activation.clause.clone());
                }
            }
            for source in outcome.effect_sources() {
                if let Some(clause) = self.program.clause(&source.clause) {
                    self.state.record_once(clause, source.rule);
                }
            }
        }
        self.state.facts.insert(event.kind.clone(), event);
    }

    /// Parses `source` as a value of term `name`'s type.
    pub fn term_value(&self, name: &str, value: &toml::Value) -> Result<Value, String> {
        let ty = self
            .program
            .vocabulary
            .terms
            .get(name)
            .ok_or_else(|| format!("no term `{name}` is declared in the vocabulary"))?;
        from_toml(value, ty, &self.program.vocabulary)
    }
}

fn bind_all(
    program: &Program,
    params: &BTreeMap<String, toml::Table>,
) -> Result<Vec<BTreeMap<String, Value>>, String> {
    let mut bound = Vec::new();
    for clause in &program.clauses {
        let mut given = BTreeMap::new();
        for (name, value) in params.get(&clause.name).into_iter().flatten() {
            let param = clause
                .ir
                .params
                .iter()
                .find(|param| param.name == *name)
                .ok_or_else(|| format!("clause `{}` has no param `{name}`", clause.name))?;
            let value = from_toml(value, &param.ty, &program.vocabulary)
                .map_err(|error| format!("param `{}.{name}`: {error}", clause.name))?;
            given.insert(name.clone(), value);
        }
        bound.push(bind_params(clause, &given).map_err(|error| error.to_string())?);
    }
    Ok(bound)
}

fn initial_state(vocabulary: &Vocabulary, terms: &toml::Table) -> Result<State, String> {
    let mut state = State::default();
    for (name, value) in terms {
        let ty = vocabulary
            .terms
            .get(name)
            .ok_or_else(|| format!("no term `{name}` is declared in the vocabulary"))?;
        let value =
            from_toml(value, ty, vocabulary).map_err(|error| format!("term `{name}`: {error}"))?;
        state.terms.insert(name.clone(), value);
    }
    vocabulary
        .check_terms(&state.terms)
        .map_err(|error| error.to_string())?;
    Ok(state)
}
