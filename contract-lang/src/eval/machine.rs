//! The expression evaluator: walks IR over borrowed state. The kinds rules use all the time
//! are handled in [`Env::eval`], the rest in [`Env::eval_rare`]; values and operators live in
//! [`super::ops`].

use super::ops::{absolute, arith, compare, negate, round, type_error, Fault, Val};
use super::{EvalError, EvalErrorKind, Event};
use crate::ir::{Builtin, ClauseIr, CompareOp, EventRef, Expr, ExprKind};
use crate::value::{EnumValue, Value};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Deepest chain of predicate calls; the checker only allows calls to earlier predicates, so
/// this bounds IR that did not come from the checker.
const MAX_PREDICATE_DEPTH: u32 = 64;

/// Why an expression stopped: a read of something that has not happened (the rule does not
/// fire), or an error. Boxed in [`Res`] so results stay two registers wide.
#[derive(Debug)]
pub(crate) enum Halt<'a> {
    MissingTerm { term: &'a String, site: u32 },
    MissingFact { kind: &'a String, site: u32 },
    Error(EvalError),
}

pub(crate) type Res<'a, T> = Result<T, Box<Halt<'a>>>;

fn fail<'a, T>(kind: EvalErrorKind, site: u32) -> Res<'a, T> {
    Err(Box::new(Halt::Error(EvalError {
        kind,
        site,
        span: None,
    })))
}

/// Turns an operator's fault into a halt at `site`.
fn at<'a, T>(result: Result<T, Fault>, site: u32) -> Res<'a, T> {
    result.or_else(|kind| fail(*kind, site))
}

/// Everything an expression can read.
#[derive(Clone, Copy)]
pub(crate) struct Env<'p, 'a> {
    pub ir: &'a ClauseIr,
    /// Bound params, in the IR's order.
    pub params: &'p [&'a Value],
    pub jurisdiction: &'a str,
    pub terms: &'a BTreeMap<String, Value>,
    pub facts: &'a BTreeMap<String, Event>,
    /// Aggregates over the facts, the event being evaluated included.
    pub tallies: &'a BTreeMap<String, super::Tally>,
    pub event: &'a Event,
    /// The argument of the predicate being evaluated.
    pub arg: Option<&'a Event>,
    pub depth: u32,
}

impl<'a> Env<'_, 'a> {
    /// Converts a stored value; an enum value's ordinal is looked up in the IR's enums.
    #[inline]
    fn load(&self, value: &'a Value, site: u32) -> Res<'a, Val<'a>> {
        Ok(match value {
            Value::Bool(b) => Val::Bool(*b),
            Value::Int(i) => Val::Int(*i),
            Value::Decimal(d) => Val::decimal(*d),
            Value::Money(m) => Val::money(*m),
            Value::Duration(d) => Val::Dur(*d),
            Value::Timestamp(t) => Val::Ts(*t),
            Value::Quantity(q) => Val::quantity(*q),
            Value::Rate(rate) => Val::Rate {
                minor: rate.price.minor,
                currency: rate.price.currency,
                per: rate.per,
            },
            Value::Text(text) => Val::Text(text),
            Value::Enum(found) => return self.load_enum(found, site),
            Value::List(items) => Val::DataList(items),
            Value::Record(fields) => Val::Record(fields),
        })
    }

    fn load_enum(&self, found: &'a EnumValue, site: u32) -> Res<'a, Val<'a>> {
        let ordinal = self
            .ir
            .enum_variants(&found.ty)
            .and_then(|variants| variants.iter().position(|v| *v == found.variant));
        match ordinal {
            Some(ordinal) => Ok(Val::Enum {
                ty: &found.ty,
                ordinal: ordinal as u32,
            }),
            None => fail(
                EvalErrorKind::UnknownVariant {
                    ty: found.ty.clone(),
                    variant: found.variant.clone(),
                },
                site,
            ),
        }
    }

    #[inline]
    fn event_of(&self, event: &'a EventRef, site: u32) -> Res<'a, &'a Event> {
        match event {
            EventRef::Current => Ok(self.event),
            EventRef::Arg => match self.arg {
                Some(arg) => Ok(arg),
                None => fail(
                    EvalErrorKind::Malformed("predicate argument out of scope".into()),
                    site,
                ),
            },
            EventRef::Fact(kind) => {
                if *kind == self.event.kind {
                    Ok(self.event)
                } else {
                    match self.facts.get(kind) {
                        Some(fact) => Ok(fact),
                        None => Err(Box::new(Halt::MissingFact { kind, site })),
                    }
                }
            }
        }
    }

    pub fn bool(&self, expr: &'a Expr) -> Res<'a, bool> {
        match self.eval(expr)? {
            Val::Bool(b) => Ok(b),
            other => fail(*type_error("bool", &other), expr.site),
        }
    }

    /// Evaluates a condition; `Ok(None)` if true, `Ok(Some(site))` if false, naming the first
    /// conjunct of a top-level `and` chain that was false.
    pub fn condition(&self, expr: &'a Expr) -> Res<'a, Option<u32>> {
        if let ExprKind::And(lhs, rhs) = &expr.kind {
            if let Some(site) = self.condition(lhs)? {
                return Ok(Some(site));
            }
            return self.condition(rhs);
        }
        Ok((!self.bool(expr)?).then_some(expr.site))
    }

    /// Evaluates an expression. The kinds rules use all the time are handled here; the rest
    /// in [`Env::eval_rare`], which keeps this function's frame small for the recursion.
    pub fn eval(&self, expr: &'a Expr) -> Res<'a, Val<'a>> {
        let site = expr.site;
        match &expr.kind {
            ExprKind::Const(value) => self.load(value, site),
            ExprKind::Period { seconds, .. } => Ok(Val::Dur(*seconds)),
            ExprKind::Param(index) => match self.params.get(*index as usize) {
                Some(value) => self.load(value, site),
                None => fail(
                    EvalErrorKind::Malformed(format!("param {index} is not bound")),
                    site,
                ),
            },
            ExprKind::Term(name) => match self.terms.get(name) {
                Some(value) => self.load(value, site),
                None => Err(Box::new(Halt::MissingTerm { term: name, site })),
            },
            ExprKind::EventAt(event) => Ok(Val::Ts(self.event_of(event, site)?.at)),
            ExprKind::EventField { event, field } => {
                let event = self.event_of(event, site)?;
                match event.fields.get(field) {
                    Some(value) => self.load(value, site),
                    None => fail(
                        EvalErrorKind::MissingEventField {
                            kind: event.kind.clone(),
                            field: field.clone(),
                        },
                        site,
                    ),
                }
            }
            ExprKind::And(lhs, rhs) => Ok(Val::Bool(self.bool(lhs)? && self.bool(rhs)?)),
            ExprKind::Or(lhs, rhs) => Ok(Val::Bool(self.bool(lhs)? || self.bool(rhs)?)),
            ExprKind::Not(inner) => Ok(Val::Bool(!self.bool(inner)?)),
            ExprKind::Compare { op, lhs, rhs } => {
                let lhs = self.eval(lhs)?;
                let rhs = self.eval(rhs)?;
                let order = match op {
                    CompareOp::Eq => return self.equal(&lhs, &rhs, site).map(Val::Bool),
                    CompareOp::Ne => return self.equal(&lhs, &rhs, site).map(|eq| Val::Bool(!eq)),
                    _ => at(compare(&lhs, &rhs), site)?,
                };
                Ok(Val::Bool(match op {
                    CompareOp::Lt => order.is_lt(),
                    CompareOp::Le => order.is_le(),
                    CompareOp::Gt => order.is_gt(),
                    _ => order.is_ge(),
                }))
            }
            ExprKind::Arith { op, lhs, rhs } => {
                let lhs = self.eval(lhs)?;
                let rhs = self.eval(rhs)?;
                at(arith(*op, lhs, rhs), site)
            }
            ExprKind::Call { func, args } => self.call(*func, args, site),
            _ => self.eval_rare(expr),
        }
    }

    #[inline(never)]
    fn eval_rare(&self, expr: &'a Expr) -> Res<'a, Val<'a>> {
        let site = expr.site;
        match &expr.kind {
            ExprKind::Variant { ty, ordinal, .. } => Ok(Val::Enum {
                ty,
                ordinal: *ordinal,
            }),
            ExprKind::RecordField { base, field } => match self.eval(base)? {
                Val::Record(fields) => match fields.get(field) {
                    Some(value) => self.load(value, site),
                    None => fail(
                        EvalErrorKind::Type {
                            expected: format!("a record with field `{field}`"),
                            found: "a record without it".into(),
                        },
                        site,
                    ),
                },
                other => fail(*type_error("record", &other), site),
            },
            ExprKind::List(items) => Ok(Val::BuiltList(Box::new(
                items
                    .iter()
                    .map(|item| self.eval(item))
                    .collect::<Res<'a, Vec<_>>>()?,
            ))),
            ExprKind::ToDecimal(inner) => match self.eval(inner)? {
                Val::Int(i) => Ok(Val::Dec {
                    mantissa: i,
                    scale: 0,
                }),
                other => fail(*type_error("int", &other), site),
            },
            ExprKind::Neg(inner) => {
                let value = self.eval(inner)?;
                at(negate(value), site)
            }
            ExprKind::In { item, list } => {
                let item = self.eval(item)?;
                let list = self.eval(list)?;
                self.contains(&list, &item, site).map(Val::Bool)
            }
            ExprKind::Count { kind } => {
                let count = self.tallies.get(kind).map_or(0, |tally| tally.count);
                i64::try_from(count)
                    .map(Val::Int)
                    .or_else(|_| fail(EvalErrorKind::Overflow { op: "count".into() }, site))
            }
            ExprKind::Sum { kind, field } => {
                match self
                    .tallies
                    .get(kind)
                    .and_then(|tally| tally.sums.get(field))
                {
                    Some(super::Sum::Value(value)) => self.load(value, site),
                    Some(super::Sum::Failed(reason)) => fail(
                        EvalErrorKind::Aggregate {
                            kind: kind.clone(),
                            field: field.clone(),
                            reason: reason.clone(),
                        },
                        site,
                    ),
                    None => Err(Box::new(Halt::MissingFact { kind, site })),
                }
            }
            ExprKind::Happened { kind } => Ok(Val::Bool(
                *kind == self.event.kind || self.facts.contains_key(kind),
            )),
            ExprKind::Predicate { index, arg } => {
                let Some(predicate) = self.ir.predicates.get(*index as usize) else {
                    return fail(
                        EvalErrorKind::Malformed(format!("no predicate {index}")),
                        site,
                    );
                };
                if self.depth >= MAX_PREDICATE_DEPTH {
                    return fail(
                        EvalErrorKind::Malformed("predicates nest too deeply".into()),
                        site,
                    );
                }
                let arg = self.event_of(arg, site)?;
                let inner = Env {
                    arg: Some(arg),
                    depth: self.depth + 1,
                    ..*self
                };
                Ok(Val::Bool(inner.bool(&predicate.body)?))
            }
            ExprKind::Jurisdiction { arms, default } => {
                let arm = arms.get(self.jurisdiction).unwrap_or(default);
                self.eval(arm)
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                if self.bool(cond)? {
                    self.eval(then)
                } else {
                    self.eval(otherwise)
                }
            }
            // Handled by `eval`.
            ExprKind::Const(_)
            | ExprKind::Period { .. }
            | ExprKind::Param(_)
            | ExprKind::Term(_)
            | ExprKind::EventAt(_)
            | ExprKind::EventField { .. }
            | ExprKind::And(..)
            | ExprKind::Or(..)
            | ExprKind::Not(_)
            | ExprKind::Compare { .. }
            | ExprKind::Arith { .. }
            | ExprKind::Call { .. } => self.eval(expr),
        }
    }

    fn contains(&self, list: &Val<'a>, item: &Val<'a>, site: u32) -> Res<'a, bool> {
        match list {
            Val::DataList(values) => {
                for value in values.iter() {
                    if self.equal(item, &self.load(value, site)?, site)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Val::BuiltList(values) => {
                for value in values.iter() {
                    if self.equal(item, value, site)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            other => fail(*type_error("list", other), site),
        }
    }

    fn call(&self, func: Builtin, args: &'a [Expr], site: u32) -> Res<'a, Val<'a>> {
        let Some((first, rest)) = args.split_first() else {
            return fail(EvalErrorKind::Malformed("missing argument".into()), site);
        };
        let first = self.eval(first)?;
        match func {
            Builtin::Min | Builtin::Max => {
                let mut best = first;
                for arg in rest {
                    let candidate = self.eval(arg)?;
                    // `best` first, so a mismatch names the operands in source order.
                    let order = at(compare(&best, &candidate), site)?;
                    let better = if func == Builtin::Min {
                        order.is_gt()
                    } else {
                        order.is_lt()
                    };
                    if better {
                        best = candidate;
                    }
                }
                Ok(best)
            }
            Builtin::Abs => at(absolute(first), site),
            Builtin::ConvertTo(unit) => match first {
                Val::Qty {
                    mantissa,
                    scale,
                    unit: from,
                } => {
                    let quantity = crate::quantity::Quantity {
                        amount: crate::value::Decimal { mantissa, scale },
                        unit: from,
                    };
                    match quantity.convert(unit) {
                        Ok(converted) => Ok(Val::quantity(converted)),
                        Err(error) => fail(*super::ops::quantity_error(error, "to"), site),
                    }
                }
                other => fail(*type_error("quantity", &other), site),
            },
            Builtin::Round(mode) => at(round(first, mode), site),
            Builtin::Days
            | Builtin::Hours
            | Builtin::Minutes
            | Builtin::Seconds
            | Builtin::CeilDays
            | Builtin::CeilHours => {
                let seconds = match first {
                    Val::Dur(seconds) => seconds,
                    other => return fail(*type_error("duration", &other), site),
                };
                let (unit, ceiling) = match func {
                    Builtin::Days => (86_400, false),
                    Builtin::Hours => (3_600, false),
                    Builtin::Minutes => (60, false),
                    Builtin::CeilDays => (86_400, true),
                    Builtin::CeilHours => (3_600, true),
                    _ => (1, false),
                };
                let whole = seconds.div_euclid(unit);
                let started = ceiling && seconds.rem_euclid(unit) != 0;
                // With a unit above 1 second `whole` is far from i64::MAX; with 1 second
                // `started` is never true: the increment cannot overflow.
                Ok(Val::Int(whole + i64::from(started)))
            }
        }
    }

    /// Language equality: numeric across int/decimal/unrounded, structural for lists.
    fn equal(&self, a: &Val<'a>, b: &Val<'a>, site: u32) -> Res<'a, bool> {
        match (a, b) {
            (Val::Bool(x), Val::Bool(y)) => Ok(x == y),
            (Val::Text(x), Val::Text(y)) => Ok(x == y),
            (
                Val::Enum { ty: tx, ordinal: x },
                Val::Enum {
                    ty: ty_,
                    ordinal: y,
                },
            ) => Ok(tx == ty_ && x == y),
            (Val::Record(x), Val::Record(y)) => Ok(x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((kx, vx), (ky, vy))| kx == ky && vx.lang_eq(vy))),
            (Val::DataList(_) | Val::BuiltList(_), Val::DataList(_) | Val::BuiltList(_)) => {
                let left = self.items(a, site)?;
                let right = self.items(b, site)?;
                if left.len() != right.len() {
                    return Ok(false);
                }
                for (x, y) in left.iter().zip(&right) {
                    if !self.equal(x, y, site)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            _ => at(compare(a, b).map(Ordering::is_eq), site),
        }
    }

    fn items(&self, list: &Val<'a>, site: u32) -> Res<'a, Vec<Val<'a>>> {
        match list {
            Val::DataList(values) => values.iter().map(|value| self.load(value, site)).collect(),
            Val::BuiltList(values) => Ok(values.as_ref().clone()),
            other => fail(*type_error("list", other), site),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_fit_two_registers() {
        assert_eq!(std::mem::size_of::<Res<'_, Val<'_>>>(), 16);
    }
}
