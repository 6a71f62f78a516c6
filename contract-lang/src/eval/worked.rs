//! How a transfer's amount was computed: the amount's expression worked through with the
//! values it read (`34 whole hours × 150.00 EUR = 5100.00 EUR; the lesser of 5100.00 EUR and
//! 20000.00 EUR`). Derived again from the IR and the same inputs as the evaluation, never
//! stored: an explanation changes no encoding, no entry and no clause id.
//!
//! [`work_transfers`] re-evaluates each transferred amount's sub-expressions with the
//! evaluator itself (so the figures are the ones that were paid), and [`crate::render::worked`]
//! turns the result into text in each language.

use super::machine::Env;
use super::num::ExactUnit;
use super::ops::Val;
use super::{BoundClause, Evaluator, Event, Outcome, RuleRef, State};
use crate::ir::{Action, ArithOp, Builtin, ClauseIr, Expr, ExprKind, RoundingMode};
use crate::value::{Currency, Money, Value};

/// An amount's expression with the value each part had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Worked {
    /// A value read as it is: a literal, a parameter, a term or an event's field.
    Read { value: Value, from: Read },
    /// `hours(d)`, `started_days(d)`, …: how many units a duration counts.
    Count { func: Builtin, count: i64 },
    /// An arithmetic operation and its result.
    Arith {
        op: ArithOp,
        lhs: Box<Worked>,
        rhs: Box<Worked>,
        result: Figure,
    },
    /// `min(…)` or `max(…)`: the candidates and the one chosen.
    Choose {
        max: bool,
        args: Vec<Worked>,
        result: Figure,
    },
    /// `round(x, mode)`.
    Round {
        mode: RoundingMode,
        inner: Box<Worked>,
        result: Figure,
    },
    /// `to(UNIT, q)`: a quantity converted to another unit of its dimension.
    Convert {
        unit: crate::value::Unit,
        inner: Box<Worked>,
        result: Figure,
    },
    /// Any other computation (a condition, a jurisdiction's arm, an aggregate), by its result.
    Other(Figure),
}

/// Where a [`Worked::Read`] value came from, so that a rendering can name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Read {
    Literal,
    Param(String),
    Term(String),
    Field(String),
}

/// A value in the middle of a computation: an ordinary value, or an exact unrounded one
/// (`num / den` of the unit, as a rate times a price gives before `round`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Figure {
    Value(Value),
    Exact {
        num: i128,
        den: i128,
        unit: FigureUnit,
    },
}

/// What an exact figure counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FigureUnit {
    Number,
    /// Minor units of the currency.
    Money(Currency),
    /// Seconds.
    Duration,
}

impl Worked {
    /// The value this part computed.
    pub fn result(&self) -> Figure {
        match self {
            Worked::Read { value, .. } => Figure::Value(value.clone()),
            Worked::Count { count, .. } => Figure::Value(Value::Int(*count)),
            Worked::Arith { result, .. }
            | Worked::Choose { result, .. }
            | Worked::Round { result, .. }
            | Worked::Convert { result, .. }
            | Worked::Other(result) => result.clone(),
        }
    }
}

/// One transfer of an outcome with how its amount was computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkedAmount {
    pub source: RuleRef,
    pub amount: Money,
    pub worked: Worked,
}

/// How each transfer of `outcome` was computed, for the same `clauses`, `jurisdiction`,
/// `state` and `event` it was evaluated with. A transfer whose rule cannot be found (or whose
/// amount no longer evaluates to what was paid) is left out rather than explained wrongly.
pub fn work_transfers(
    clauses: &[BoundClause<'_>],
    jurisdiction: &str,
    state: &State,
    event: &Event,
    outcome: &Outcome,
) -> Vec<WorkedAmount> {
    let mut worked = Vec::new();
    for (index, transfer) in outcome.transfers.iter().enumerate() {
        // The n-th transfer of a rule comes from its n-th transfer action: actions are
        // unconditional and run in order.
        let nth = outcome.transfers[..index]
            .iter()
            .filter(|earlier| earlier.source == transfer.source)
            .count();
        let explained = clauses
            .iter()
            .find(|bound| bound.clause.name == transfer.source.clause)
            .and_then(|bound| {
                work_transfer(*bound, jurisdiction, state, event, &transfer.source, nth)
            });
        if let Some(explained) = explained {
            if explained.result() == Figure::Value(Value::Money(transfer.amount)) {
                worked.push(WorkedAmount {
                    source: transfer.source.clone(),
                    amount: transfer.amount,
                    worked: explained,
                });
            }
        }
    }
    worked
}

fn work_transfer(
    bound: BoundClause<'_>,
    jurisdiction: &str,
    state: &State,
    event: &Event,
    source: &RuleRef,
    nth: usize,
) -> Option<Worked> {
    let evaluator = Evaluator::new(bound, jurisdiction).ok()?;
    let rule = bound.clause.ir.rules.get(source.rule as usize)?;
    let amount = rule
        .actions
        .iter()
        .filter_map(|action| match action {
            Action::Transfer { amount, .. } => Some(amount),
            _ => None,
        })
        .nth(nth)?;
    let env = evaluator.env(state, event);
    work(&env, amount)
}

/// Works `expr` through: its value, and the values of the parts worth showing.
fn work<'a>(env: &Env<'_, 'a>, expr: &'a Expr) -> Option<Worked> {
    let result = figure(env.eval(expr).ok()?, env.ir)?;
    let read = |from: Read| match &result {
        Figure::Value(value) => Some(Worked::Read {
            value: value.clone(),
            from,
        }),
        Figure::Exact { .. } => Some(Worked::Other(result.clone())),
    };
    match &expr.kind {
        ExprKind::Const(_) | ExprKind::Period { .. } => read(Read::Literal),
        ExprKind::Param(index) => {
            let name = env.ir.params.get(*index as usize)?.name.clone();
            read(Read::Param(name))
        }
        ExprKind::Term(name) => read(Read::Term(name.clone())),
        ExprKind::EventField { field, .. } => read(Read::Field(field.clone())),
        // An int used as a decimal is the same figure.
        ExprKind::ToDecimal(inner) => work(env, inner),
        ExprKind::Arith { op, lhs, rhs } => Some(Worked::Arith {
            op: *op,
            lhs: Box::new(work(env, lhs)?),
            rhs: Box::new(work(env, rhs)?),
            result,
        }),
        ExprKind::Call { func, args } => work_call(env, *func, args, result),
        _ => Some(Worked::Other(result)),
    }
}

fn work_call<'a>(
    env: &Env<'_, 'a>,
    func: Builtin,
    args: &'a [Expr],
    result: Figure,
) -> Option<Worked> {
    match func {
        Builtin::Min | Builtin::Max => Some(Worked::Choose {
            max: func == Builtin::Max,
            args: args
                .iter()
                .map(|arg| work(env, arg))
                .collect::<Option<Vec<_>>>()?,
            result,
        }),
        Builtin::Round(mode) => Some(Worked::Round {
            mode,
            inner: Box::new(work(env, args.first()?)?),
            result,
        }),
        Builtin::Days
        | Builtin::Hours
        | Builtin::Minutes
        | Builtin::Seconds
        | Builtin::CeilDays
        | Builtin::CeilHours => match result {
            Figure::Value(Value::Int(count)) => Some(Worked::Count { func, count }),
            _ => None,
        },
        Builtin::ConvertTo(unit) => Some(Worked::Convert {
            unit,
            inner: Box::new(work(env, args.first()?)?),
            result,
        }),
        Builtin::Abs => Some(Worked::Other(result)),
    }
}

fn figure(value: Val<'_>, ir: &ClauseIr) -> Option<Figure> {
    match value {
        Val::Exact(exact) => Some(Figure::Exact {
            num: exact.num,
            den: exact.den,
            unit: match exact.unit {
                ExactUnit::Number => FigureUnit::Number,
                ExactUnit::Money(currency) => FigureUnit::Money(currency),
                ExactUnit::Duration => FigureUnit::Duration,
            },
        }),
        other => other.to_value(ir).ok().map(Figure::Value),
    }
}
