//! The evaluator: compiled clauses + bound params + jurisdiction + state + one event in, an
//! [`Outcome`] out. Pure and deterministic: no clock, no I/O, no floats, no randomness, no
//! panics — the same inputs give the same outcome, byte for byte, on every machine.
//!
//! Semantics of one evaluation ([`evaluate`]):
//!
//! * Only rules whose `on` kind is the event's kind run, clauses in the given order and rules
//!   in source order; the outcome lists everything in that order.
//! * `facts` is the state's facts with this event recorded: `facts.<event.kind>` is the event.
//! * Every rule sees the terms as they were **before** the event: rules cannot observe each
//!   other's `set`s, so their order never changes the result.
//! * A rule that reads a fact that has not happened or a term that is not set does not fire;
//!   the trace says which one. Reads happen left to right and `and` / `or` short-circuit, so
//!   a read on the side not taken never counts.
//! * Arithmetic is checked: overflow, division by zero, a currency mismatch or a timestamp
//!   outside the years 1–9999 stop that rule with an [`EvalError`] carrying the span; its
//!   effects are dropped (a rule's effects apply all together or not at all) and the error is
//!   recorded in the outcome. Other rules are unaffected.
//! * Two rules that set the same term from one event — or one activates a clause another
//!   deactivates — are a [`Conflict`]: none of the conflicting writes is applied, and the
//!   outcome reports every writer with its value. Callers treat a conflict (and an error) as
//!   a reason for human review.
//!
//! For hot loops, [`Evaluator::eval_rule`] evaluates one rule into a reusable effect buffer
//! without building an outcome.

mod fast;
mod machine;
mod num;
mod ops;
mod render;
mod tally;
mod worked;

use crate::ir::{Action, ClauseId, CompiledClause, TransferKind};
use crate::span::Span;
use crate::value::{Currency, Money, TypeMismatch, Value};
use machine::{Env, Halt, Res};
use ops::Val;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

pub use render::explain;
pub use tally::{Aggregated, Sum, Tally};
pub use worked::{work_transfers, Figure, FigureUnit, Read, Worked, WorkedAmount};

/// Something that happened: a kind, an event time (Unix seconds, UTC) and typed fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: String,
    pub at: i64,
    pub fields: BTreeMap<String, Value>,
}

/// What rules read besides the event: the order's terms and the latest event of each kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub terms: BTreeMap<String, Value>,
    pub facts: BTreeMap<String, Event>,
    /// The `once` rules that have fired for this order, by clause name and rule index: they
    /// do not fire again. Callers record a rule here when its effects are applied
    /// ([`State::record_once`]), so a replay of the same history agrees.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub once_fired: BTreeSet<(String, u32)>,
    /// Per kind some clause aggregates over (`count`, `sum`), what every recorded fact of it
    /// adds up to ([`State::tally`]); empty for programs without aggregates.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tallies: BTreeMap<String, Tally>,
}

impl State {
    /// Records that rule `rule` of `clause` fired with its effects applied, if it is a `once`
    /// rule (other rules leave no trace in the state).
    pub fn record_once(&mut self, clause: &CompiledClause, rule: u32) -> bool {
        let once = clause
            .ir
            .rules
            .get(rule as usize)
            .is_some_and(|found| found.once);
        if once {
            self.once_fired.insert((clause.name.clone(), rule));
        }
        once
    }

    /// Whether `once` rule `rule` of clause `clause` has already fired.
    pub fn fired_once(&self, clause: &str, rule: u32) -> bool {
        self.once_fired
            .iter()
            .any(|(name, index)| name == clause && *index == rule)
    }
}

/// A compiled clause with the params an order bound (see [`bind_params`]).
#[derive(Clone, Copy, Debug)]
pub struct BoundClause<'a> {
    pub clause: &'a CompiledClause,
    pub params: &'a BTreeMap<String, Value>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BindError {
    #[error("clause `{clause}` has no param `{param}`")]
    Unknown { clause: String, param: String },
    #[error("clause `{clause}` needs a value for param `{param}`, which has no default")]
    Missing { clause: String, param: String },
    #[error("param `{param}` of clause `{clause}`: {error}")]
    Type {
        clause: String,
        param: String,
        error: Box<TypeMismatch>,
    },
}

/// Binds an order's params to a clause: rejects unknown params and values of the wrong type,
/// fills in defaults, and requires a value for every param without one. An `int` given for a
/// `decimal` param is widened.
pub fn bind_params(
    clause: &CompiledClause,
    given: &BTreeMap<String, Value>,
) -> Result<BTreeMap<String, Value>, BindError> {
    if let Some(unknown) = given
        .keys()
        .find(|name| !clause.ir.params.iter().any(|param| param.name == **name))
    {
        return Err(BindError::Unknown {
            clause: clause.name.clone(),
            param: unknown.clone(),
        });
    }
    let mut bound = BTreeMap::new();
    for param in &clause.ir.params {
        let value = match (given.get(&param.name), &param.default) {
            (Some(Value::Int(i)), _) if param.ty == crate::value::Type::Decimal => {
                Value::Decimal(crate::value::Decimal::from_int(*i))
            }
            (Some(value), _) => value.clone(),
            (None, Some(default)) => default.clone(),
            (None, None) => {
                return Err(BindError::Missing {
                    clause: clause.name.clone(),
                    param: param.name.clone(),
                })
            }
        };
        crate::value::check_value_type(&value, &param.ty, &|name| clause.ir.enum_variants(name))
            .map_err(|error| BindError::Type {
                clause: clause.name.clone(),
                param: param.name.clone(),
                error: Box::new(error),
            })?;
        bound.insert(param.name.clone(), value);
    }
    Ok(bound)
}

/// An evaluation error: what went wrong and where (`site` indexes the clause's span table;
/// `span` is filled in when the clause has one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{kind}")]
pub struct EvalError {
    pub kind: EvalErrorKind,
    pub site: u32,
    pub span: Option<Span>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum EvalErrorKind {
    #[error("overflow: the result of `{op}` is outside the range of its type")]
    Overflow { op: String },
    #[error("division by zero")]
    DivisionByZero,
    #[error("cannot combine {left} and {right}: amounts in different currencies")]
    CurrencyMismatch { left: Currency, right: Currency },
    #[error("the resulting timestamp is outside the years 1 to 9999")]
    TimestampRange,
    #[error("the result needs more than 18 decimal places")]
    Precision,
    #[error("expected {expected}, found {found} (the data does not fit the vocabulary)")]
    Type { expected: String, found: String },
    #[error("the `{kind}` event has no field `{field}`")]
    MissingEventField { kind: String, field: String },
    #[error("`{variant}` is not a variant of enum `{ty}`")]
    UnknownVariant { ty: String, variant: String },
    #[error("malformed clause: {0}")]
    Malformed(String),
    /// A payment, refund or compensation whose amount came out below zero: the rule's
    /// effects are dropped rather than paying in the wrong direction.
    #[error("the amount to {action} is negative ({amount}); no party pays a negative amount")]
    NegativeAmount { action: String, amount: Money },
    /// A sum over facts that could not be kept (an overflow, a second currency).
    #[error("the sum of `{field}` over every `{kind}` event cannot be computed: {reason}")]
    Aggregate {
        kind: String,
        field: String,
        reason: String,
    },
    /// Quantities of two dimensions met (data of the wrong unit, since the checker refuses
    /// it in clauses).
    #[error("cannot combine {left} and {right}: quantities of different dimensions")]
    DimensionMismatch {
        left: crate::quantity::Unit,
        right: crate::quantity::Unit,
    },
}

/// Which rule of which clause.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    pub clause: String,
    pub clause_id: ClauseId,
    /// Index of the rule in the clause, from 0 in source order.
    pub rule: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amendment {
    pub source: RuleRef,
    pub term: String,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub source: RuleRef,
    pub kind: TransferKind,
    pub from: String,
    pub to: String,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub source: RuleRef,
    pub party: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activation {
    pub source: RuleRef,
    pub clause: String,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRequest {
    pub source: RuleRef,
    pub reason: String,
}

/// What several rules wrote at once.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictSubject {
    Term(String),
    /// Activated by one rule and deactivated by another.
    Clause(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictingWrite {
    pub source: RuleRef,
    /// The term's proposed value, or for a clause whether it would be active.
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub subject: ConflictSubject,
    /// Every writer, in evaluation order; none of their writes was applied.
    pub writes: Vec<ConflictingWrite>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub source: RuleRef,
    pub error: EvalError,
}

/// What became of one rule that listens to the event's kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleStatus {
    Fired,
    /// The condition was false; `site`/`span` name the first false part of a top-level `and`.
    ConditionFalse {
        site: u32,
        span: Option<Span>,
    },
    /// The rule read a fact of a kind that has not happened yet.
    MissingFact {
        kind: String,
        site: u32,
        span: Option<Span>,
    },
    /// The rule read a term that is not set.
    MissingTerm {
        term: String,
        site: u32,
        span: Option<Span>,
    },
    Failed {
        error: EvalError,
    },
    /// A `once` rule that already fired for this order: it is not evaluated again.
    AlreadyFired,
    /// An option exercised after its deadline (Unix seconds), written at `site`/`span`.
    AfterDeadline {
        deadline: i64,
        site: u32,
        span: Option<Span>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTrace {
    pub source: RuleRef,
    /// The event kind the rule listens to.
    pub on: String,
    pub status: RuleStatus,
}

/// Everything one event caused, in evaluation order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Term changes, without the conflicting ones.
    pub amendments: Vec<Amendment>,
    pub transfers: Vec<Transfer>,
    pub notifications: Vec<Notification>,
    /// Clause (de)activations, without the conflicting ones. Two rules activating the same
    /// clause are both listed: that is agreement, not a conflict.
    pub activations: Vec<Activation>,
    pub reviews: Vec<ReviewRequest>,
    pub conflicts: Vec<Conflict>,
    pub errors: Vec<Failure>,
    /// One entry per rule that listens to the event's kind.
    pub trace: Vec<RuleTrace>,
}

impl Outcome {
    /// The outcome with every span removed, keeping the canonical `site` numbers. Spans depend
    /// on how the source was formatted (and are absent for an IR loaded without its source),
    /// so whatever is hashed or signed should hold this form.
    pub fn without_spans(&self) -> Outcome {
        let mut outcome = self.clone();
        for failure in &mut outcome.errors {
            failure.error.span = None;
        }
        for entry in &mut outcome.trace {
            match &mut entry.status {
                RuleStatus::Fired | RuleStatus::AlreadyFired => {}
                RuleStatus::ConditionFalse { span, .. }
                | RuleStatus::AfterDeadline { span, .. }
                | RuleStatus::MissingFact { span, .. }
                | RuleStatus::MissingTerm { span, .. } => *span = None,
                RuleStatus::Failed { error } => error.span = None,
            }
        }
        outcome
    }

    /// The rules whose effects this outcome lists (each once, in order): what a caller that
    /// applies the effects records with [`State::record_once`].
    pub fn effect_sources(&self) -> Vec<&RuleRef> {
        let sources = self
            .amendments
            .iter()
            .map(|effect| &effect.source)
            .chain(self.transfers.iter().map(|effect| &effect.source))
            .chain(self.notifications.iter().map(|effect| &effect.source))
            .chain(self.activations.iter().map(|effect| &effect.source));
        let mut unique: Vec<&RuleRef> = Vec::new();
        for source in sources {
            if !unique.contains(&source) {
                unique.push(source);
            }
        }
        unique
    }

    /// Whether the event changed or requested nothing at all.
    pub fn is_quiet(&self) -> bool {
        self.amendments.is_empty()
            && self.transfers.is_empty()
            && self.notifications.is_empty()
            && self.activations.is_empty()
            && self.reviews.is_empty()
            && self.conflicts.is_empty()
            && self.errors.is_empty()
    }
}

/// One effect of a fired rule, borrowing from the clause and the state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect<'a> {
    Set {
        term: &'a str,
        value: Value,
    },
    Transfer {
        kind: TransferKind,
        from: &'a str,
        to: &'a str,
        amount: Money,
    },
    Notify {
        party: &'a str,
        message: Cow<'a, str>,
    },
    Activate {
        clause: &'a str,
        active: bool,
    },
    Review {
        reason: &'a str,
    },
}

/// The result of evaluating one rule with [`Evaluator::eval_rule`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleVerdict<'a> {
    /// The rule listens to another kind of event.
    NotListening,
    /// The rule fired; its effects were appended to the buffer.
    Fired,
    ConditionFalse {
        site: u32,
    },
    MissingFact {
        kind: &'a str,
        site: u32,
    },
    MissingTerm {
        term: &'a str,
        site: u32,
    },
    Failed(Box<EvalError>),
    /// An option exercised after its deadline (Unix seconds), written at `site`.
    AfterDeadline {
        deadline: i64,
        site: u32,
    },
}

/// Whether `rule` of clause `clause` listens to `event`: same kind, and for an option, an
/// exercise naming this clause and option.
pub fn listens(clause: &str, rule: &crate::ir::RuleIr, event: &Event) -> bool {
    if rule.on != event.kind {
        return false;
    }
    let Some(option) = &rule.option else {
        return true;
    };
    let names = |field: &str, expected: &str| matches!(event.fields.get(field), Some(Value::Text(text)) if text == expected);
    names(crate::vocab::OPTION_CLAUSE_FIELD, clause)
        && names(crate::vocab::OPTION_NAME_FIELD, &option.name)
}

/// Why an exercise of an option cannot be recorded. Callers refuse such an event (the
/// verifier's state machine, the scenario runner), so an option is only ever exercised by its
/// holder, before its deadline, once.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExerciseRefusal {
    #[error("no clause in force grants an option `{option}` in clause `{clause}`")]
    UnknownOption { clause: String, option: String },
    #[error("option `{option}` of clause `{clause}` is {holder}'s to exercise, but this exercise is signed by {signer}")]
    NotTheHolder {
        clause: String,
        option: String,
        holder: String,
        signer: String,
    },
    #[error("option `{option}` of clause `{clause}` was already exercised")]
    AlreadyExercised { clause: String, option: String },
    #[error("option `{option}` of clause `{clause}` could be exercised until {}, but this exercise is dated {}", crate::value::DisplayTimestamp(*deadline), crate::value::DisplayTimestamp(*at))]
    AfterDeadline {
        clause: String,
        option: String,
        deadline: i64,
        at: i64,
    },
    #[error(
        "the deadline of option `{option}` of clause `{clause}` cannot be computed yet: {reason}"
    )]
    DeadlineUnknown {
        clause: String,
        option: String,
        reason: String,
    },
}

/// Checks an exercise (an [`crate::vocab::OPTION_EXERCISED`] event) before it is recorded:
/// the option must be granted by one of `clauses` (the clauses in force), `signer` (the role
/// of the party whose key signed it, `None` for a key that is no party's) must be its holder,
/// it must not have been exercised, and the event must be dated no later than the deadline as
/// the state before it computes it. Any other event passes.
pub fn check_exercise(
    clauses: &[BoundClause<'_>],
    jurisdiction: &str,
    state: &State,
    event: &Event,
    signer: Option<&str>,
) -> Result<(), ExerciseRefusal> {
    if event.kind != crate::vocab::OPTION_EXERCISED {
        return Ok(());
    }
    let field = |name: &str| match event.fields.get(name) {
        Some(Value::Text(text)) => text.clone(),
        _ => String::new(),
    };
    let (clause_name, option_name) = (
        field(crate::vocab::OPTION_CLAUSE_FIELD),
        field(crate::vocab::OPTION_NAME_FIELD),
    );
    let granted = clauses.iter().find_map(|bound| {
        let clause = bound.clause;
        (clause.name == clause_name).then_some(())?;
        let index = clause
            .ir
            .rules
            .iter()
            .position(|rule| listens(&clause.name, rule, event))?;
        Some((*bound, index))
    });
    let Some((bound, index)) = granted else {
        return Err(ExerciseRefusal::UnknownOption {
            clause: clause_name,
            option: option_name,
        });
    };
    let Some(option) = bound.clause.ir.rules[index].option.as_ref() else {
        return Ok(());
    };
    let (clause, option_name) = (clause_name, option_name);
    if signer != Some(option.holder.as_str()) {
        return Err(ExerciseRefusal::NotTheHolder {
            clause,
            option: option_name,
            holder: option.holder.clone(),
            signer: signer.unwrap_or("a key that is no party's").to_string(),
        });
    }
    if state.fired_once(&bound.clause.name, index as u32) {
        return Err(ExerciseRefusal::AlreadyExercised {
            clause,
            option: option_name,
        });
    }
    let unknown = |reason: String| ExerciseRefusal::DeadlineUnknown {
        clause: clause.clone(),
        option: option_name.clone(),
        reason,
    };
    let evaluator =
        Evaluator::new(bound, jurisdiction).map_err(|error| unknown(error.to_string()))?;
    let deadline = match evaluator.deadline(option, state, event) {
        Ok(deadline) => deadline,
        Err(verdict) => return Err(unknown(verdict_reason(&verdict))),
    };
    if event.at > deadline {
        return Err(ExerciseRefusal::AfterDeadline {
            clause,
            option: option_name,
            deadline,
            at: event.at,
        });
    }
    Ok(())
}

/// Why a deadline could not be computed, in words.
fn verdict_reason(verdict: &RuleVerdict<'_>) -> String {
    match verdict {
        RuleVerdict::MissingFact { kind, .. } => format!("no `{kind}` event has happened yet"),
        RuleVerdict::MissingTerm { term, .. } => format!("term `{term}` is not set"),
        RuleVerdict::Failed(error) => error.to_string(),
        _ => "it is not a time".to_string(),
    }
}

/// A clause ready to evaluate: params resolved to the IR's order once, so that evaluating a
/// rule allocates nothing beyond what its effects need. [`Evaluator::with_fast_path`] also
/// lowers the rules that allow it to typed trees (see `fast.rs`), for callers that evaluate
/// the same clause many times.
pub struct Evaluator<'a> {
    clause: &'a CompiledClause,
    params: Vec<&'a Value>,
    jurisdiction: &'a str,
    /// Per rule, its lowered form if it has one; empty without the fast path.
    fast: Vec<Option<fast::FastRule<'a>>>,
}

impl<'a> Evaluator<'a> {
    /// Fails if `bound.params` lacks a param of the clause (use [`bind_params`] first).
    pub fn new(bound: BoundClause<'a>, jurisdiction: &'a str) -> Result<Evaluator<'a>, BindError> {
        let params = bound
            .clause
            .ir
            .params
            .iter()
            .map(|param| {
                bound
                    .params
                    .get(&param.name)
                    .ok_or_else(|| BindError::Missing {
                        clause: bound.clause.name.clone(),
                        param: param.name.clone(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Evaluator {
            clause: bound.clause,
            params,
            jurisdiction,
            fast: Vec::new(),
        })
    }

    /// Lowers every rule that allows it for the fast path. Outcomes are identical with and
    /// without it; only the time to reach them differs.
    pub fn with_fast_path(mut self) -> Evaluator<'a> {
        let ir = &self.clause.ir;
        self.fast = ir.rules.iter().map(|rule| fast::lower(ir, rule)).collect();
        self
    }

    pub fn clause(&self) -> &'a CompiledClause {
        self.clause
    }

    /// Evaluates rule `rule` against `state` and `event`. If it fires, its effects are
    /// appended to `effects`; otherwise `effects` is left as it was.
    pub fn eval_rule(
        &self,
        rule: usize,
        state: &'a State,
        event: &'a Event,
        effects: &mut Vec<Effect<'a>>,
    ) -> RuleVerdict<'a> {
        let Some(rule_ir) = self.clause.ir.rules.get(rule) else {
            return RuleVerdict::NotListening;
        };
        if !listens(&self.clause.name, rule_ir, event) {
            return RuleVerdict::NotListening;
        }
        if let Some(option) = &rule_ir.option {
            match self.deadline(option, state, event) {
                Ok(deadline) if event.at > deadline => {
                    return RuleVerdict::AfterDeadline {
                        deadline,
                        site: option.until.site,
                    }
                }
                Ok(_) => {}
                Err(verdict) => return verdict,
            }
        }
        let env = self.env(state, event);
        let mark = effects.len();
        if let Some(Some(lowered)) = self.fast.get(rule) {
            let fast_env = fast::FastEnv {
                params: &self.params,
                state,
                event,
            };
            match fast_env.run(lowered, effects) {
                Ok(None) => return RuleVerdict::Fired,
                Ok(Some(site)) => return RuleVerdict::ConditionFalse { site },
                // Anything but a clean result is decided by the general evaluator.
                Err(fast::Bail) => effects.truncate(mark),
            }
        }
        match run_rule(&env, rule_ir, effects) {
            Ok(None) => RuleVerdict::Fired,
            Ok(Some(site)) => RuleVerdict::ConditionFalse { site },
            Err(halt) => {
                effects.truncate(mark);
                match *halt {
                    Halt::MissingFact { kind, site } => RuleVerdict::MissingFact { kind, site },
                    Halt::MissingTerm { term, site } => RuleVerdict::MissingTerm { term, site },
                    Halt::Error(error) => RuleVerdict::Failed(Box::new(error)),
                }
            }
        }
    }
}

impl<'a> Evaluator<'a> {
    fn env<'p>(&'p self, state: &'a State, event: &'a Event) -> Env<'p, 'a> {
        Env {
            ir: &self.clause.ir,
            params: &self.params,
            jurisdiction: self.jurisdiction,
            terms: &state.terms,
            facts: &state.facts,
            tallies: &state.tallies,
            event,
            arg: None,
            depth: 0,
        }
    }

    /// An option's deadline (Unix seconds) against `state`, or why it has none yet.
    fn deadline(
        &self,
        option: &'a crate::ir::OptionIr,
        state: &'a State,
        event: &'a Event,
    ) -> Result<i64, RuleVerdict<'a>> {
        let env = self.env(state, event);
        let to_verdict = |halt: Box<Halt<'a>>| match *halt {
            Halt::MissingFact { kind, site } => RuleVerdict::MissingFact { kind, site },
            Halt::MissingTerm { term, site } => RuleVerdict::MissingTerm { term, site },
            Halt::Error(error) => RuleVerdict::Failed(Box::new(error)),
        };
        match env.eval(&option.until).map_err(to_verdict)? {
            Val::Ts(seconds) => Ok(seconds),
            _ => Err(RuleVerdict::Failed(Box::new(EvalError {
                kind: EvalErrorKind::Type {
                    expected: "timestamp".into(),
                    found: "another value".into(),
                },
                site: option.until.site,
                span: None,
            }))),
        }
    }
}

/// Runs a rule: `Ok(None)` if it fired (effects pushed), `Ok(Some(site))` if its condition
/// was false there.
fn run_rule<'a>(
    env: &Env<'_, 'a>,
    rule: &'a crate::ir::RuleIr,
    effects: &mut Vec<Effect<'a>>,
) -> Res<'a, Option<u32>> {
    if let Some(when) = &rule.when {
        if let Some(site) = env.condition(when)? {
            return Ok(Some(site));
        }
    }
    for action in &rule.actions {
        let effect = match action {
            Action::Set { term, value } => {
                let computed = env.eval(value)?;
                Effect::Set {
                    term,
                    value: computed
                        .to_value(env.ir)
                        .map_err(|kind| halt(kind, value.site))?,
                }
            }
            Action::Transfer {
                kind,
                from,
                to,
                amount,
            } => match env.eval(amount)? {
                Val::Money { minor, currency } if minor < 0 => {
                    return Err(halt(
                        EvalErrorKind::NegativeAmount {
                            action: kind.keyword().to_string(),
                            amount: Money { minor, currency },
                        },
                        amount.site,
                    ))
                }
                Val::Money { minor, currency } => Effect::Transfer {
                    kind: *kind,
                    from,
                    to,
                    amount: Money { minor, currency },
                },
                _ => {
                    return Err(halt(
                        EvalErrorKind::Type {
                            expected: "money".into(),
                            found: "another value".into(),
                        },
                        amount.site,
                    ))
                }
            },
            Action::Notify { party, message } => Effect::Notify {
                party,
                message: ops::text(env.eval(message)?).map_err(|kind| halt(*kind, message.site))?,
            },
            Action::Activate { clause } => Effect::Activate {
                clause,
                active: true,
            },
            Action::Deactivate { clause } => Effect::Activate {
                clause,
                active: false,
            },
            Action::Review { reason } => Effect::Review { reason },
        };
        effects.push(effect);
    }
    Ok(None)
}

fn halt<'a>(kind: EvalErrorKind, site: u32) -> Box<Halt<'a>> {
    Box::new(Halt::Error(EvalError {
        kind,
        site,
        span: None,
    }))
}

/// Evaluates a constant expression (no params, terms, facts or event), as the checker does
/// for param defaults.
pub(crate) fn eval_const(
    expr: &crate::ir::Expr,
    vocabulary: &crate::vocab::Vocabulary,
) -> Result<Value, EvalError> {
    let enums = vocabulary
        .enums
        .iter()
        .map(|(name, variants)| crate::ir::EnumDef {
            name: name.clone(),
            variants: variants.clone(),
        })
        .collect();
    let ir = crate::ir::ClauseIr {
        version: crate::ir::IR_VERSION,
        name: String::new(),
        titles: BTreeMap::new(),
        enums,
        terms: BTreeMap::new(),
        events: BTreeMap::new(),
        params: Vec::new(),
        predicates: Vec::new(),
        rules: Vec::new(),
        labels: Default::default(),
    };
    let state = State::default();
    let event = Event {
        kind: String::new(),
        at: 0,
        fields: BTreeMap::new(),
    };
    let env = Env {
        ir: &ir,
        params: &[],
        jurisdiction: "",
        terms: &state.terms,
        facts: &state.facts,
        tallies: &state.tallies,
        event: &event,
        arg: None,
        depth: 0,
    };
    let to_error = |halt: Box<Halt<'_>>| match *halt {
        Halt::Error(error) => error,
        Halt::MissingTerm { site, .. } | Halt::MissingFact { site, .. } => EvalError {
            kind: EvalErrorKind::Malformed("a constant read the state".into()),
            site,
            span: None,
        },
    };
    let value = env.eval(expr).map_err(to_error)?;
    value.to_value(&ir).map_err(|kind| EvalError {
        kind,
        site: expr.site,
        span: None,
    })
}

/// Evaluates `event` against every rule of `clauses` (see the module docs for the semantics).
pub fn evaluate(
    clauses: &[BoundClause<'_>],
    jurisdiction: &str,
    state: &State,
    event: &Event,
) -> Outcome {
    let evaluators: Vec<_> = clauses
        .iter()
        .map(|bound| (bound.clause, Evaluator::new(*bound, jurisdiction)))
        .collect();
    evaluate_each(
        evaluators
            .iter()
            .map(|(clause, evaluator)| (*clause, evaluator.as_ref())),
        state,
        event,
    )
}

/// [`evaluate`] with evaluators prepared once (for example [`Evaluator::with_fast_path`]),
/// in the order the clauses are to be evaluated. Gives the same outcome as [`evaluate`].
pub fn evaluate_prepared<'a>(
    evaluators: &[Evaluator<'a>],
    state: &'a State,
    event: &'a Event,
) -> Outcome {
    evaluate_each(
        evaluators
            .iter()
            .map(|evaluator| (evaluator.clause, Ok(evaluator))),
        state,
        event,
    )
}

fn evaluate_each<'e, 'a: 'e>(
    evaluators: impl Iterator<Item = (&'a CompiledClause, Result<&'e Evaluator<'a>, &'e BindError>)>,
    state: &'a State,
    event: &'a Event,
) -> Outcome {
    let mut outcome = Outcome::default();
    // Effects of every fired rule, in order, with the rule that produced them.
    let mut fired: Vec<(RuleRef, Vec<Effect<'_>>)> = Vec::new();
    for (clause, evaluator) in evaluators {
        for (index, rule) in clause.ir.rules.iter().enumerate() {
            if !listens(&clause.name, rule, event) {
                continue;
            }
            let source = RuleRef {
                clause: clause.name.clone(),
                clause_id: clause.id,
                rule: index as u32,
            };
            let span_of = |site: u32| clause.spans.site(site);
            if rule.once && state.fired_once(&clause.name, index as u32) {
                outcome.trace.push(RuleTrace {
                    source,
                    on: rule.on.clone(),
                    status: RuleStatus::AlreadyFired,
                });
                continue;
            }
            let mut effects = Vec::new();
            let verdict = match evaluator {
                Ok(evaluator) => evaluator.eval_rule(index, state, event, &mut effects),
                Err(error) => RuleVerdict::Failed(Box::new(EvalError {
                    kind: EvalErrorKind::Malformed(error.to_string()),
                    site: 0,
                    span: Some(clause.spans.clause),
                })),
            };
            let status = match verdict {
                RuleVerdict::NotListening => continue,
                RuleVerdict::Fired => RuleStatus::Fired,
                RuleVerdict::ConditionFalse { site } => RuleStatus::ConditionFalse {
                    site,
                    span: span_of(site),
                },
                RuleVerdict::MissingFact { kind, site } => RuleStatus::MissingFact {
                    kind: kind.to_string(),
                    site,
                    span: span_of(site),
                },
                RuleVerdict::MissingTerm { term, site } => RuleStatus::MissingTerm {
                    term: term.to_string(),
                    site,
                    span: span_of(site),
                },
                RuleVerdict::AfterDeadline { deadline, site } => RuleStatus::AfterDeadline {
                    deadline,
                    site,
                    span: span_of(site),
                },
                RuleVerdict::Failed(mut error) => {
                    if error.span.is_none() {
                        error.span = span_of(error.site);
                    }
                    outcome.errors.push(Failure {
                        source: source.clone(),
                        error: (*error).clone(),
                    });
                    RuleStatus::Failed { error: *error }
                }
            };
            if status == RuleStatus::Fired {
                fired.push((source.clone(), effects));
            }
            outcome.trace.push(RuleTrace {
                source,
                on: rule.on.clone(),
                status,
            });
        }
    }
    collect_effects(fired, &mut outcome);
    outcome
}

/// Sorts fired effects into the outcome, holding back conflicting writes.
fn collect_effects(fired: Vec<(RuleRef, Vec<Effect<'_>>)>, outcome: &mut Outcome) {
    // Who writes what: rule positions per term, and per clause (with the direction).
    let mut term_writers: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut clause_writers: BTreeMap<&str, Vec<(usize, bool)>> = BTreeMap::new();
    for (position, (_, effects)) in fired.iter().enumerate() {
        for effect in effects {
            match effect {
                Effect::Set { term, .. } => term_writers.entry(term).or_default().push(position),
                Effect::Activate { clause, active } => clause_writers
                    .entry(clause)
                    .or_default()
                    .push((position, *active)),
                _ => {}
            }
        }
    }
    let conflicting_terms: Vec<&str> = term_writers
        .iter()
        .filter(|(_, writers)| writers.len() > 1)
        .map(|(term, _)| *term)
        .collect();
    let conflicting_clauses: Vec<&str> = clause_writers
        .iter()
        .filter(|(_, writers)| writers.iter().any(|(_, a)| *a) && writers.iter().any(|(_, a)| !*a))
        .map(|(clause, _)| *clause)
        .collect();
    let mut conflicts: BTreeMap<ConflictSubject, Vec<ConflictingWrite>> = BTreeMap::new();
    for (source, effects) in &fired {
        for effect in effects {
            match effect {
                Effect::Set { term, value } => {
                    if conflicting_terms.contains(term) {
                        conflicts
                            .entry(ConflictSubject::Term(term.to_string()))
                            .or_default()
                            .push(ConflictingWrite {
                                source: source.clone(),
                                value: value.clone(),
                            });
                    } else {
                        outcome.amendments.push(Amendment {
                            source: source.clone(),
                            term: term.to_string(),
                            value: value.clone(),
                        });
                    }
                }
                Effect::Transfer {
                    kind,
                    from,
                    to,
                    amount,
                } => outcome.transfers.push(Transfer {
                    source: source.clone(),
                    kind: *kind,
                    from: from.to_string(),
                    to: to.to_string(),
                    amount: *amount,
                }),
                Effect::Notify { party, message } => outcome.notifications.push(Notification {
                    source: source.clone(),
                    party: party.to_string(),
                    message: message.to_string(),
                }),
                Effect::Activate { clause, active } => {
                    if conflicting_clauses.contains(clause) {
                        conflicts
                            .entry(ConflictSubject::Clause(clause.to_string()))
                            .or_default()
                            .push(ConflictingWrite {
                                source: source.clone(),
                                value: Value::Bool(*active),
                            });
                    } else {
                        outcome.activations.push(Activation {
                            source: source.clone(),
                            clause: clause.to_string(),
                            active: *active,
                        });
                    }
                }
                Effect::Review { reason } => outcome.reviews.push(ReviewRequest {
                    source: source.clone(),
                    reason: reason.to_string(),
                }),
            }
        }
    }
    outcome.conflicts = conflicts
        .into_iter()
        .map(|(subject, writes)| Conflict { subject, writes })
        .collect();
}
