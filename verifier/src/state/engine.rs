//! The bridge to the clause language's evaluator: binds a contract's clauses once, evaluates
//! the active ones on an event, and turns the evaluator's outcome into the protocol's effects
//! and review reasons.

use std::collections::BTreeMap;

use contract_lang::eval::{self, BoundClause, ConflictSubject};
use contract_lang::ir::Program;
use contract_lang::value::Value;

use super::{machine::SetupError, Machine, State};
use crate::model::{
    Activation, Amendment, ClauseBinding, Digest, Effects, Event, Notification, Obligation,
    ReviewReason, RuleRef,
};

/// A contract clause bound to its parameters (defaults filled in).
#[derive(Clone, Debug)]
pub(crate) struct Bound {
    pub name: String,
    /// Position of the clause in the program.
    pub index: usize,
    pub params: BTreeMap<String, Value>,
}

/// What evaluating the active clauses on one event produced.
pub(crate) struct Evaluated {
    pub effects: Effects,
    /// Conflicts, `review` actions and evaluation errors: any of them hands the event to review.
    pub reasons: Vec<ReviewReason>,
    /// How each transferred amount was computed, if the machine is explaining.
    pub worked: Vec<eval::WorkedAmount>,
}

/// Finds `binding`'s clause in `program`, checks its id and binds its parameters.
pub(crate) fn bind(program: &Program, binding: &ClauseBinding) -> Result<Bound, SetupError> {
    let index = program
        .clauses
        .iter()
        .position(|clause| clause.name == binding.name)
        .ok_or_else(|| SetupError::UnknownClause(binding.name.clone()))?;
    let clause = &program.clauses[index];
    let compiled = Digest(clause.id.0);
    if compiled != binding.id {
        return Err(SetupError::ClauseIdMismatch {
            name: binding.name.clone(),
            named: binding.id,
            compiled,
        });
    }
    let params =
        eval::bind_params(clause, &binding.params).map_err(|error| SetupError::Params {
            name: binding.name.clone(),
            message: error.to_string(),
        })?;
    Ok(Bound {
        name: binding.name.clone(),
        index,
        params,
    })
}

/// The evaluator's view of an event.
pub(crate) fn to_lang_event(event: &Event) -> eval::Event {
    eval::Event {
        kind: event.kind.clone(),
        at: event.at,
        fields: event.fields.clone(),
    }
}

/// The active clauses, in contract order, bound to their params, under the rules in force.
fn active<'m>(machine: &'m Machine, state: &'m State) -> Vec<BoundClause<'m>> {
    let rules = machine.rules(state);
    let program = rules.program();
    rules
        .bound()
        .iter()
        .filter(|bound| state.active.contains(&bound.name))
        .filter_map(|bound| {
            program.clauses.get(bound.index).map(|clause| BoundClause {
                clause,
                params: &bound.params,
            })
        })
        .collect()
}

/// Refuses an option's exercise signed by `signer` that the active clauses do not allow
/// (see [`eval::check_exercise`]); any other event passes.
pub(crate) fn check_exercise(
    machine: &Machine,
    state: &State,
    event: &eval::Event,
    signer: &str,
) -> Result<(), eval::ExerciseRefusal> {
    eval::check_exercise(
        &active(machine, state),
        &machine.contract().jurisdiction,
        &state.lang,
        event,
        Some(signer),
    )
}

/// Evaluates the active clauses, in contract order, on `event` against `state` (whose facts
/// already record the event).
pub(crate) fn evaluate(machine: &Machine, state: &State, event: &eval::Event) -> Evaluated {
    let active = active(machine, state);
    let jurisdiction = &machine.contract().jurisdiction;
    let outcome = eval::evaluate(&active, jurisdiction, &state.lang, event);
    let worked = if machine.explains() && !outcome.transfers.is_empty() {
        eval::work_transfers(&active, jurisdiction, &state.lang, event, &outcome)
    } else {
        Vec::new()
    };
    convert(outcome, state, worked)
}

fn convert(outcome: eval::Outcome, state: &State, worked: Vec<eval::WorkedAmount>) -> Evaluated {
    let mut reasons = Vec::new();
    for conflict in outcome.conflicts {
        let subject = match conflict.subject {
            ConflictSubject::Term(term) => format!("terms.{term}"),
            ConflictSubject::Clause(clause) => format!("clause {clause}"),
        };
        reasons.push(ReviewReason::Conflict {
            subject,
            writers: conflict
                .writes
                .into_iter()
                .map(|write| RuleRef {
                    clause: write.source.clause,
                    rule: write.source.rule,
                })
                .collect(),
        });
    }
    for request in outcome.reviews {
        reasons.push(ReviewReason::Requested {
            clause: request.source.clause,
            rule: request.source.rule,
            reason: request.reason,
        });
    }
    for failure in outcome.errors {
        reasons.push(ReviewReason::EvaluationError {
            clause: failure.source.clause,
            rule: failure.source.rule,
            message: failure.error.to_string(),
        });
    }
    let effects = Effects {
        amendments: outcome
            .amendments
            .into_iter()
            .map(|amendment| Amendment {
                before: state.lang.terms.get(&amendment.term).cloned(),
                clause: amendment.source.clause,
                rule: amendment.source.rule,
                term: amendment.term,
                after: amendment.value,
            })
            .collect(),
        activations: outcome
            .activations
            .into_iter()
            .map(|activation| Activation {
                clause: activation.source.clause,
                rule: activation.source.rule,
                target: activation.clause,
                active: activation.active,
            })
            .collect(),
        obligations: outcome
            .transfers
            .into_iter()
            .map(|transfer| Obligation {
                clause: transfer.source.clause,
                rule: transfer.source.rule,
                kind: transfer.kind,
                from: transfer.from,
                to: transfer.to,
                amount: transfer.amount,
            })
            .collect(),
        notifications: outcome
            .notifications
            .into_iter()
            .map(|notification| Notification {
                clause: notification.source.clause,
                rule: notification.source.rule,
                party: notification.party,
                message: notification.message,
            })
            .collect(),
    };
    Evaluated {
        effects,
        reasons,
        worked,
    }
}
