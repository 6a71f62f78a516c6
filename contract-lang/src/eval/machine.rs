//! The expression evaluator: walks IR over borrowed state, without allocating on the common
//! paths (scalars are copied, text, lists and records are borrowed from the IR or the state).
//!
//! Operators dispatch on the runtime kinds of their operands. The checker has already typed
//! every expression, so a kind mismatch here means the caller passed data that does not fit
//! the vocabulary (an unchecked event or term); it is reported as an evaluation error, never a
//! panic.

use super::num::{self, ArithError, Exact, ExactUnit};
use super::{EvalError, EvalErrorKind, Event};
use crate::ir::{ArithOp, Builtin, ClauseIr, CompareOp, EventRef, Expr, ExprKind, RoundingMode};
use crate::value::{Decimal, EnumValue, Money, Value, MAX_TIMESTAMP, MIN_TIMESTAMP};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Deepest chain of predicate calls; the checker only allows calls to earlier predicates, so
/// this bounds IR that did not come from the checker.
const MAX_PREDICATE_DEPTH: u32 = 64;

/// A value during evaluation: 24 bytes, so moving it between nodes is cheap. Scalars are
/// held by value; text, lists and records are borrowed from the IR or the state; the rare
/// unrounded quantities and list literals are boxed.
#[derive(Clone, Debug)]
pub(crate) enum Val<'a> {
    Bool(bool),
    Int(i64),
    Dec(Decimal),
    Money(Money),
    Dur(i64),
    Ts(i64),
    Exact(Box<Exact>),
    Text(&'a str),
    /// An enum value: the enum's name and the variant's position in the IR's declaration.
    Enum {
        ty: &'a str,
        ordinal: u32,
    },
    /// Values of a list from the state or the IR, converted item by item when read.
    DataList(&'a [Value]),
    /// A list literal evaluated now.
    BuiltList(Box<Vec<Val<'a>>>),
    Record(&'a BTreeMap<String, Value>),
}

impl Val<'_> {
    fn kind_name(&self) -> &'static str {
        match self {
            Val::Bool(_) => "bool",
            Val::Int(_) => "int",
            Val::Dec(_) => "decimal",
            Val::Money(_) => "money",
            Val::Dur(_) => "duration",
            Val::Ts(_) => "timestamp",
            Val::Exact(_) => "an unrounded quantity",
            Val::Text(_) => "text",
            Val::Enum { .. } => "an enum value",
            Val::DataList(_) | Val::BuiltList(_) => "list",
            Val::Record(_) => "record",
        }
    }

    /// The value as an owned [`Value`]; unrounded quantities never get here (the checker makes
    /// them pass through `round`).
    pub fn to_value(&self, ir: &ClauseIr) -> Result<Value, EvalErrorKind> {
        Ok(match self {
            Val::Bool(b) => Value::Bool(*b),
            Val::Int(i) => Value::Int(*i),
            Val::Dec(d) => Value::Decimal(*d),
            Val::Money(m) => Value::Money(*m),
            Val::Dur(d) => Value::Duration(*d),
            Val::Ts(t) => Value::Timestamp(*t),
            Val::Text(text) => Value::Text((*text).to_string()),
            Val::Enum { ty, ordinal } => {
                let variant = ir
                    .enum_variants(ty)
                    .and_then(|variants| variants.get(*ordinal as usize))
                    .ok_or_else(|| {
                        EvalErrorKind::Malformed(format!("enum `{ty}` is not listed"))
                    })?;
                Value::Enum(EnumValue {
                    ty: (*ty).to_string(),
                    variant: variant.clone(),
                })
            }
            Val::DataList(items) => Value::List(items.to_vec()),
            Val::BuiltList(items) => Value::List(
                items
                    .iter()
                    .map(|item| item.to_value(ir))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Val::Record(fields) => Value::Record((*fields).clone()),
            Val::Exact(_) => {
                return Err(EvalErrorKind::Malformed(
                    "an unrounded quantity was used as a value".into(),
                ))
            }
        })
    }
}

/// Why an expression stopped: a read of something that has not happened (the rule does not
/// fire), or an error.
#[derive(Debug)]
pub(crate) enum Halt<'a> {
    MissingTerm { term: &'a String, site: u32 },
    MissingFact { kind: &'a String, site: u32 },
    Error(Box<EvalError>),
}

pub(crate) type Res<'a, T> = Result<T, Halt<'a>>;

fn fail<'a, T>(kind: EvalErrorKind, site: u32) -> Res<'a, T> {
    Err(Halt::Error(Box::new(EvalError {
        kind,
        site,
        span: None,
    })))
}

fn arith_error(error: ArithError, op: &str) -> EvalErrorKind {
    match error {
        ArithError::Overflow => EvalErrorKind::Overflow { op: op.to_string() },
        ArithError::DivisionByZero => EvalErrorKind::DivisionByZero,
        ArithError::Precision => EvalErrorKind::Precision,
    }
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
            Value::Decimal(d) => Val::Dec(*d),
            Value::Money(m) => Val::Money(*m),
            Value::Duration(d) => Val::Dur(*d),
            Value::Timestamp(t) => Val::Ts(*t),
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
                        None => Err(Halt::MissingFact { kind, site }),
                    }
                }
            }
        }
    }

    pub fn bool(&self, expr: &'a Expr) -> Res<'a, bool> {
        match self.eval(expr)? {
            Val::Bool(b) => Ok(b),
            other => fail(type_error("bool", &other), expr.site),
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
            ExprKind::Param(index) => match self.params.get(*index as usize) {
                Some(value) => self.load(value, site),
                None => fail(
                    EvalErrorKind::Malformed(format!("param {index} is not bound")),
                    site,
                ),
            },
            ExprKind::Term(name) => match self.terms.get(name) {
                Some(value) => self.load(value, site),
                None => Err(Halt::MissingTerm { term: name, site }),
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
                    _ => compare(&lhs, &rhs).or_else(|kind| fail(kind, site))?,
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
                arith(*op, lhs, rhs).or_else(|kind| fail(kind, site))
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
                other => fail(type_error("record", &other), site),
            },
            ExprKind::List(items) => Ok(Val::BuiltList(Box::new(
                items
                    .iter()
                    .map(|item| self.eval(item))
                    .collect::<Res<'a, Vec<_>>>()?,
            ))),
            ExprKind::ToDecimal(inner) => match self.eval(inner)? {
                Val::Int(i) => Ok(Val::Dec(Decimal::from_int(i))),
                other => fail(type_error("int", &other), site),
            },
            ExprKind::Neg(inner) => {
                let value = self.eval(inner)?;
                negate(value).or_else(|kind| fail(kind, site))
            }
            ExprKind::In { item, list } => {
                let item = self.eval(item)?;
                let list = self.eval(list)?;
                self.contains(&list, &item, site).map(Val::Bool)
            }
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
            other => fail(type_error("list", other), site),
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
                    let order = compare(&best, &candidate).or_else(|kind| fail(kind, site))?;
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
            Builtin::Abs => absolute(first).or_else(|kind| fail(kind, site)),
            Builtin::Round(mode) => round(first, mode).or_else(|kind| fail(kind, site)),
            Builtin::Days
            | Builtin::Hours
            | Builtin::Minutes
            | Builtin::Seconds
            | Builtin::CeilDays
            | Builtin::CeilHours => {
                let seconds = match first {
                    Val::Dur(seconds) => seconds,
                    other => return fail(type_error("duration", &other), site),
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
            _ => compare(a, b)
                .map(Ordering::is_eq)
                .or_else(|kind| fail(kind, site)),
        }
    }

    fn items(&self, list: &Val<'a>, site: u32) -> Res<'a, Vec<Val<'a>>> {
        match list {
            Val::DataList(values) => values.iter().map(|value| self.load(value, site)).collect(),
            Val::BuiltList(values) => Ok(values.as_ref().clone()),
            other => fail(type_error("list", other), site),
        }
    }
}

fn type_error(expected: &str, found: &Val<'_>) -> EvalErrorKind {
    EvalErrorKind::Type {
        expected: expected.to_string(),
        found: found.kind_name().to_string(),
    }
}

/// A quantity as an exact rational, for mixed and unrounded arithmetic.
fn exact(value: &Val<'_>) -> Option<Exact> {
    Some(match value {
        Val::Int(i) => Exact::whole(*i, ExactUnit::Number),
        Val::Dec(d) => Exact::from_decimal(*d),
        Val::Money(m) => Exact::whole(m.minor, ExactUnit::Money(m.currency)),
        Val::Dur(d) => Exact::whole(*d, ExactUnit::Duration),
        Val::Exact(e) => **e,
        _ => return None,
    })
}

fn same_unit(a: ExactUnit, b: ExactUnit) -> Result<ExactUnit, EvalErrorKind> {
    match (a, b) {
        (ExactUnit::Money(x), ExactUnit::Money(y)) if x != y => {
            Err(EvalErrorKind::CurrencyMismatch { left: x, right: y })
        }
        _ if a == b => Ok(a),
        _ => Err(EvalErrorKind::Type {
            expected: "quantities of one kind".into(),
            found: "different kinds".into(),
        }),
    }
}

fn timestamp(seconds: Option<i64>) -> Result<Val<'static>, EvalErrorKind> {
    match seconds {
        Some(t) if (MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(&t) => Ok(Val::Ts(t)),
        _ => Err(EvalErrorKind::TimestampRange),
    }
}

fn money(left: Money, right: Money) -> Result<Money, EvalErrorKind> {
    if left.currency != right.currency {
        return Err(EvalErrorKind::CurrencyMismatch {
            left: left.currency,
            right: right.currency,
        });
    }
    Ok(left)
}

fn overflow(op: ArithOp) -> EvalErrorKind {
    EvalErrorKind::Overflow {
        op: op.symbol().to_string(),
    }
}

pub(crate) fn arith<'a>(op: ArithOp, a: Val<'a>, b: Val<'a>) -> Result<Val<'a>, EvalErrorKind> {
    use ArithOp::{Add, Div, Mul, Sub};
    let checked = |value: Option<i64>| value.ok_or_else(|| overflow(op));
    // Whole-number fast paths first: these are what rules compute most.
    match (op, &a, &b) {
        (Add, Val::Int(x), Val::Int(y)) => return Ok(Val::Int(checked(x.checked_add(*y))?)),
        (Sub, Val::Int(x), Val::Int(y)) => return Ok(Val::Int(checked(x.checked_sub(*y))?)),
        (Mul, Val::Int(x), Val::Int(y)) => return Ok(Val::Int(checked(x.checked_mul(*y))?)),
        (Add | Sub, Val::Money(x), Val::Money(y)) => {
            let base = money(*x, *y)?;
            let minor = if op == Add {
                x.minor.checked_add(y.minor)
            } else {
                x.minor.checked_sub(y.minor)
            };
            return Ok(Val::Money(Money {
                minor: checked(minor)?,
                ..base
            }));
        }
        (Mul, Val::Money(m), Val::Int(n)) | (Mul, Val::Int(n), Val::Money(m)) => {
            return Ok(Val::Money(Money {
                minor: checked(m.minor.checked_mul(*n))?,
                currency: m.currency,
            }))
        }
        (Add, Val::Dur(x), Val::Dur(y)) => return Ok(Val::Dur(checked(x.checked_add(*y))?)),
        (Sub, Val::Dur(x), Val::Dur(y)) => return Ok(Val::Dur(checked(x.checked_sub(*y))?)),
        (Mul, Val::Dur(d), Val::Int(n)) | (Mul, Val::Int(n), Val::Dur(d)) => {
            return Ok(Val::Dur(checked(d.checked_mul(*n))?))
        }
        (Add, Val::Ts(t), Val::Dur(d)) | (Add, Val::Dur(d), Val::Ts(t)) => {
            return timestamp(t.checked_add(*d))
        }
        (Sub, Val::Ts(t), Val::Dur(d)) => return timestamp(t.checked_sub(*d)),
        (Sub, Val::Ts(x), Val::Ts(y)) => return Ok(Val::Dur(checked(x.checked_sub(*y))?)),
        (Add | Sub | Mul, Val::Int(_) | Val::Dec(_), Val::Int(_) | Val::Dec(_)) => {
            let as_decimal = |v: &Val<'_>| match v {
                Val::Int(i) => Decimal::from_int(*i),
                Val::Dec(d) => *d,
                _ => Decimal::from_int(0),
            };
            let (x, y) = (as_decimal(&a), as_decimal(&b));
            let result = match op {
                Add => num::decimal_add(x, y),
                Sub => num::decimal_sub(x, y),
                _ => num::decimal_mul(x, y),
            };
            return result
                .map(Val::Dec)
                .map_err(|e| arith_error(e, op.symbol()));
        }
        _ => {}
    }
    // Everything else is exact rational arithmetic with units.
    let (Some(x), Some(y)) = (exact(&a), exact(&b)) else {
        return Err(EvalErrorKind::Type {
            expected: format!("operands for `{}`", op.symbol()),
            found: format!("{} and {}", a.kind_name(), b.kind_name()),
        });
    };
    let unit = match op {
        Add | Sub => same_unit(x.unit, y.unit)?,
        Mul => match (x.unit, y.unit) {
            (unit, ExactUnit::Number) | (ExactUnit::Number, unit) => unit,
            _ => {
                return Err(EvalErrorKind::Type {
                    expected: "a number factor".into(),
                    found: "two quantities with units".into(),
                })
            }
        },
        Div => match (x.unit, y.unit) {
            (unit, ExactUnit::Number) => unit,
            (left, right) => {
                same_unit(left, right)?;
                ExactUnit::Number
            }
        },
    };
    let result = match op {
        Add => x.add(y, unit),
        Sub => y.neg().and_then(|negated| x.add(negated, unit)),
        Mul => x.mul(y, unit),
        Div => x.div(y, unit),
    };
    result
        .map(|exact| Val::Exact(Box::new(exact)))
        .map_err(|e| arith_error(e, op.symbol()))
}

pub(crate) fn compare(a: &Val<'_>, b: &Val<'_>) -> Result<Ordering, EvalErrorKind> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) | (Val::Dur(x), Val::Dur(y)) | (Val::Ts(x), Val::Ts(y)) => {
            Ok(x.cmp(y))
        }
        (Val::Money(x), Val::Money(y)) => money(*x, *y).map(|_| x.minor.cmp(&y.minor)),
        (Val::Dec(x), Val::Dec(y)) => Ok(x.cmp_value(*y)),
        (Val::Int(x), Val::Dec(y)) => Ok(Decimal::from_int(*x).cmp_value(*y)),
        (Val::Dec(x), Val::Int(y)) => Ok(x.cmp_value(Decimal::from_int(*y))),
        (
            Val::Enum {
                ty: tx, ordinal: x, ..
            },
            Val::Enum {
                ty: ty_,
                ordinal: y,
                ..
            },
        ) if tx == ty_ => Ok(x.cmp(y)),
        (Val::Text(x), Val::Text(y)) => Ok(x.cmp(y)),
        (Val::Bool(x), Val::Bool(y)) => Ok(x.cmp(y)),
        _ => match (exact(a), exact(b)) {
            (Some(x), Some(y)) => {
                same_unit(x.unit, y.unit)?;
                x.cmp_value(y).map_err(|e| arith_error(e, "compare"))
            }
            _ => Err(EvalErrorKind::Type {
                expected: format!("a value comparable with {}", a.kind_name()),
                found: b.kind_name().to_string(),
            }),
        },
    }
}

fn negate(value: Val<'_>) -> Result<Val<'_>, EvalErrorKind> {
    let overflow = || EvalErrorKind::Overflow { op: "-".into() };
    Ok(match value {
        Val::Int(i) => Val::Int(i.checked_neg().ok_or_else(overflow)?),
        Val::Dec(d) => Val::Dec(num::decimal_neg(d).map_err(|_| overflow())?),
        Val::Money(m) => Val::Money(Money {
            minor: m.minor.checked_neg().ok_or_else(overflow)?,
            ..m
        }),
        Val::Dur(d) => Val::Dur(d.checked_neg().ok_or_else(overflow)?),
        Val::Exact(e) => Val::Exact(Box::new(e.neg().map_err(|_| overflow())?)),
        other => return Err(type_error("a number", &other)),
    })
}

fn absolute(value: Val<'_>) -> Result<Val<'_>, EvalErrorKind> {
    let overflow = || EvalErrorKind::Overflow { op: "abs".into() };
    Ok(match value {
        Val::Int(i) => Val::Int(i.checked_abs().ok_or_else(overflow)?),
        Val::Dec(d) => Val::Dec(num::decimal_abs(d).map_err(|_| overflow())?),
        Val::Money(m) => Val::Money(Money {
            minor: m.minor.checked_abs().ok_or_else(overflow)?,
            ..m
        }),
        Val::Dur(d) => Val::Dur(d.checked_abs().ok_or_else(overflow)?),
        Val::Exact(e) => Val::Exact(Box::new(if e.num < 0 {
            e.neg().map_err(|_| overflow())?
        } else {
            *e
        })),
        other => return Err(type_error("a number", &other)),
    })
}

fn round(value: Val<'_>, mode: RoundingMode) -> Result<Val<'_>, EvalErrorKind> {
    let rounded = |exact: &Exact| exact.round(mode).map_err(|e| arith_error(e, "round"));
    Ok(match value {
        Val::Int(_) | Val::Money(_) | Val::Dur(_) => value,
        Val::Dec(d) => Val::Int(rounded(&Exact::from_decimal(d))?),
        Val::Exact(e) => match e.unit {
            ExactUnit::Number => Val::Int(rounded(&e)?),
            ExactUnit::Money(currency) => Val::Money(Money {
                minor: rounded(&e)?,
                currency,
            }),
            ExactUnit::Duration => Val::Dur(rounded(&e)?),
        },
        other => return Err(type_error("a number", &other)),
    })
}

/// Text of a notification, borrowed when it is a literal or a stored text.
pub(crate) fn text<'a>(value: Val<'a>) -> Result<Cow<'a, str>, EvalErrorKind> {
    match value {
        Val::Text(text) => Ok(Cow::Borrowed(text)),
        other => Err(type_error("text", &other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stay_small_enough_to_move_cheaply() {
        assert!(std::mem::size_of::<Val<'_>>() <= 24);
        assert!(std::mem::size_of::<Res<'_, Val<'_>>>() <= 32);
    }
}
