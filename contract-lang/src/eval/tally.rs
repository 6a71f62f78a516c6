//! Aggregates over the facts of a kind: `count(facts.KIND)` and `sum(facts.KIND.FIELD)`.
//!
//! The state keeps, per kind some clause aggregates over, how many facts of that kind were
//! recorded and the running sum of each summed field ([`Tally`]), so it stays bounded however
//! long the history grows. Callers record every fact with [`State::tally`] **before**
//! evaluating it (the same moment they make it `facts.KIND`), so an aggregate includes the
//! event being evaluated, and a fact re-evaluated later (held during a pause) is not counted
//! twice. Sums are checked: an overflow or a second currency makes that sum fail, and a rule
//! reading it stops with an evaluation error rather than seeing a wrong total.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::ops::{arith, Val};
use super::{EvalErrorKind, Event, State};
use crate::ir::{ArithOp, ClauseIr, Expr, ExprKind, Program};
use crate::value::Value;

/// What the state remembers of every fact of one kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// How many facts of the kind were recorded.
    pub count: u64,
    /// Field → the sum of that field over every recorded fact, or why it has none.
    pub sums: BTreeMap<String, Sum>,
}

/// A running sum, or the reason it could not be kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sum {
    Value(Value),
    Failed(String),
}

/// Per event kind, the fields some clause sums (possibly none: the kind is only counted).
pub type Aggregated = BTreeMap<String, BTreeSet<String>>;

impl State {
    /// Records `event` in the tallies of the kinds `aggregated` names (others are not kept).
    pub fn tally(&mut self, event: &Event, aggregated: &Aggregated) {
        let Some(fields) = aggregated.get(&event.kind) else {
            return;
        };
        let tally = self.tallies.entry(event.kind.clone()).or_default();
        tally.count = tally.count.saturating_add(1);
        for field in fields {
            let Some(value) = event.fields.get(field) else {
                continue;
            };
            let next = match tally.sums.get(field) {
                None => Sum::Value(value.clone()),
                Some(Sum::Failed(reason)) => Sum::Failed(reason.clone()),
                Some(Sum::Value(total)) => match add(total, value) {
                    Ok(sum) => Sum::Value(sum),
                    Err(error) => Sum::Failed(error.to_string()),
                },
            };
            tally.sums.insert(field.clone(), next);
        }
    }
}

/// `a + b` for the summable values (numbers, amounts, durations, quantities), checked; a sum
/// of quantities is in the smallest unit it met (`1 t` then `1 kg` sum to `1001 kg`).
fn add(a: &Value, b: &Value) -> Result<Value, EvalErrorKind> {
    let load = |value: &Value| match value {
        Value::Int(i) => Ok(Val::Int(*i)),
        Value::Decimal(d) => Ok(Val::decimal(*d)),
        Value::Money(m) => Ok(Val::money(*m)),
        Value::Duration(d) => Ok(Val::Dur(*d)),
        Value::Quantity(q) => Ok(Val::quantity(*q)),
        other => Err(EvalErrorKind::Type {
            expected: "a number, an amount, a duration or a quantity".into(),
            found: other.kind_name().to_string(),
        }),
    };
    let sum = arith(ArithOp::Add, load(a)?, load(b)?).map_err(|fault| *fault)?;
    // Sums of plain values never need the IR's enums.
    sum.to_value(&EMPTY_IR)
}

static EMPTY_IR: std::sync::LazyLock<ClauseIr> = std::sync::LazyLock::new(|| ClauseIr {
    version: crate::ir::IR_VERSION,
    name: String::new(),
    titles: BTreeMap::new(),
    enums: Vec::new(),
    terms: BTreeMap::new(),
    events: BTreeMap::new(),
    params: Vec::new(),
    predicates: Vec::new(),
    rules: Vec::new(),
    labels: Default::default(),
});

impl ClauseIr {
    /// The kinds and fields this clause aggregates over (`count`, `sum`).
    pub fn aggregated(&self, into: &mut Aggregated) {
        fn walk(expr: &Expr, into: &mut Aggregated) {
            match &expr.kind {
                ExprKind::Count { kind } => {
                    into.entry(kind.clone()).or_default();
                }
                ExprKind::Sum { kind, field } => {
                    into.entry(kind.clone()).or_default().insert(field.clone());
                }
                _ => {}
            }
            for child in expr.children() {
                walk(child, into);
            }
        }
        for predicate in &self.predicates {
            walk(&predicate.body, into);
        }
        for rule in &self.rules {
            let heads = rule.option.iter().map(|option| &option.until);
            for expr in heads.chain(&rule.when) {
                walk(expr, into);
            }
            for action in &rule.actions {
                if let Some(expr) = action.expr() {
                    walk(expr, into);
                }
            }
        }
    }
}

impl Program {
    /// What every clause of the program aggregates over: the tallies an order keeps.
    pub fn aggregated(&self) -> Aggregated {
        let mut into = Aggregated::new();
        for clause in &self.clauses {
            clause.ir.aggregated(&mut into);
        }
        into
    }
}
