//! Values during evaluation and the operators on them.
//!
//! [`Val`] is 16 bytes and a `Result<Val, Box<_>>` is too (the box fits the tag's niche), so
//! results travel between nodes in two registers instead of through memory: that is most of
//! what makes rule evaluation fast. Hence the destructured money and decimal variants (a
//! `Money` struct inside a variant would push the payload to 24 bytes), the thin pointers to
//! text and lists, and the boxes around the rare big things (unrounded quantities, list
//! literals, errors).
//!
//! Operators dispatch on the runtime kinds of their operands. The checker has typed every
//! expression, so a kind mismatch means the caller passed data that does not fit the
//! vocabulary; it is an error, never a panic.

use super::num::{self, ArithError, Exact, ExactUnit};
use super::EvalErrorKind;
use crate::ir::{ArithOp, ClauseIr, RoundingMode};
use crate::quantity::{Quantity, QuantityError, Unit};
use crate::value::{Currency, Decimal, EnumValue, Money, Value, MAX_TIMESTAMP, MIN_TIMESTAMP};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// An operator's failure, boxed to keep results small (see the module docs).
pub(crate) type Fault = Box<EvalErrorKind>;

pub(crate) fn fault(kind: EvalErrorKind) -> Fault {
    Box::new(kind)
}

/// A value during evaluation. Scalars by value; text, lists and records borrowed from the IR
/// or the state.
#[derive(Clone, Debug)]
pub(crate) enum Val<'a> {
    Bool(bool),
    Int(i64),
    Dec {
        mantissa: i64,
        scale: u8,
    },
    Money {
        minor: i64,
        currency: Currency,
    },
    Dur(i64),
    Ts(i64),
    /// A quantity with a unit, destructured like decimals to stay 16 bytes.
    Qty {
        mantissa: i64,
        scale: u8,
        unit: Unit,
    },
    /// A price per unit, destructured like money.
    Rate {
        minor: i64,
        currency: Currency,
        per: Unit,
    },
    Exact(Box<Exact>),
    Text(&'a String),
    /// An enum value: the enum's name and the variant's position in the IR's declaration.
    Enum {
        ty: &'a String,
        ordinal: u32,
    },
    /// Values of a list from the state or the IR, converted item by item when read.
    DataList(&'a Vec<Value>),
    /// A list literal evaluated now; boxed so the variant stays one pointer wide.
    #[allow(clippy::box_collection)]
    BuiltList(Box<Vec<Val<'a>>>),
    Record(&'a BTreeMap<String, Value>),
}

impl<'a> Val<'a> {
    pub fn money(money: Money) -> Val<'a> {
        Val::Money {
            minor: money.minor,
            currency: money.currency,
        }
    }

    pub fn decimal(decimal: Decimal) -> Val<'a> {
        Val::Dec {
            mantissa: decimal.mantissa,
            scale: decimal.scale,
        }
    }

    pub fn quantity(quantity: Quantity) -> Val<'a> {
        Val::Qty {
            mantissa: quantity.amount.mantissa,
            scale: quantity.amount.scale,
            unit: quantity.unit,
        }
    }

    /// The quantity, if this is one.
    fn as_quantity(&self) -> Option<Quantity> {
        match self {
            Val::Qty {
                mantissa,
                scale,
                unit,
            } => Some(Quantity {
                amount: Decimal {
                    mantissa: *mantissa,
                    scale: *scale,
                },
                unit: *unit,
            }),
            _ => None,
        }
    }

    /// The decimal value of an int or a decimal.
    fn as_decimal(&self) -> Option<Decimal> {
        match self {
            Val::Int(i) => Some(Decimal::from_int(*i)),
            Val::Dec { mantissa, scale } => Some(Decimal {
                mantissa: *mantissa,
                scale: *scale,
            }),
            _ => None,
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self {
            Val::Bool(_) => "bool",
            Val::Int(_) => "int",
            Val::Dec { .. } => "decimal",
            Val::Money { .. } => "money",
            Val::Dur(_) => "duration",
            Val::Ts(_) => "timestamp",
            Val::Qty { .. } => "quantity",
            Val::Rate { .. } => "rate",
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
            Val::Dec { mantissa, scale } => Value::Decimal(Decimal {
                mantissa: *mantissa,
                scale: *scale,
            }),
            Val::Money { minor, currency } => Value::Money(Money {
                minor: *minor,
                currency: *currency,
            }),
            Val::Dur(d) => Value::Duration(*d),
            Val::Ts(t) => Value::Timestamp(*t),
            Val::Qty { .. } => match self.as_quantity() {
                Some(quantity) => Value::Quantity(quantity),
                None => return Err(EvalErrorKind::Malformed("not a quantity".into())),
            },
            Val::Rate {
                minor,
                currency,
                per,
            } => Value::Rate(crate::value::Rate {
                price: Money {
                    minor: *minor,
                    currency: *currency,
                },
                per: *per,
            }),
            Val::Text(text) => Value::Text((*text).clone()),
            Val::Enum { ty, ordinal } => {
                let variant = ir
                    .enum_variants(ty)
                    .and_then(|variants| variants.get(*ordinal as usize))
                    .ok_or_else(|| {
                        EvalErrorKind::Malformed(format!("enum `{ty}` is not listed"))
                    })?;
                Value::Enum(EnumValue {
                    ty: (*ty).clone(),
                    variant: variant.clone(),
                })
            }
            Val::DataList(items) => Value::List((*items).clone()),
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

pub(crate) fn type_error(expected: &str, found: &Val<'_>) -> Fault {
    fault(EvalErrorKind::Type {
        expected: expected.to_string(),
        found: found.kind_name().to_string(),
    })
}

fn arith_error(error: ArithError, op: &str) -> Fault {
    fault(match error {
        ArithError::Overflow => EvalErrorKind::Overflow { op: op.to_string() },
        ArithError::DivisionByZero => EvalErrorKind::DivisionByZero,
        ArithError::Precision => EvalErrorKind::Precision,
    })
}

/// A quantity as an exact rational, for mixed and unrounded arithmetic.
fn exact(value: &Val<'_>) -> Option<Exact> {
    Some(match value {
        Val::Int(i) => Exact::whole(*i, ExactUnit::Number),
        Val::Dec { mantissa, scale } => Exact::from_decimal(Decimal {
            mantissa: *mantissa,
            scale: *scale,
        }),
        Val::Money { minor, currency } => Exact::whole(*minor, ExactUnit::Money(*currency)),
        Val::Dur(d) => Exact::whole(*d, ExactUnit::Duration),
        Val::Exact(e) => **e,
        _ => return None,
    })
}

fn same_unit(a: ExactUnit, b: ExactUnit) -> Result<ExactUnit, Fault> {
    match (a, b) {
        (ExactUnit::Money(x), ExactUnit::Money(y)) if x != y => {
            Err(fault(EvalErrorKind::CurrencyMismatch { left: x, right: y }))
        }
        _ if a == b => Ok(a),
        _ => Err(fault(EvalErrorKind::Type {
            expected: "quantities of one kind".into(),
            found: "different kinds".into(),
        })),
    }
}

fn timestamp(seconds: Option<i64>) -> Result<Val<'static>, Fault> {
    match seconds {
        Some(t) if (MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(&t) => Ok(Val::Ts(t)),
        _ => Err(fault(EvalErrorKind::TimestampRange)),
    }
}

fn same_currency(left: Currency, right: Currency) -> Result<Currency, Fault> {
    if left != right {
        return Err(fault(EvalErrorKind::CurrencyMismatch { left, right }));
    }
    Ok(left)
}

fn overflow(op: &str) -> Fault {
    fault(EvalErrorKind::Overflow { op: op.to_string() })
}

pub(crate) fn quantity_error(error: QuantityError, op: &str) -> Fault {
    fault(match error {
        QuantityError::Dimension(left, right) => EvalErrorKind::DimensionMismatch { left, right },
        QuantityError::Overflow => EvalErrorKind::Overflow { op: op.to_string() },
        QuantityError::Precision => EvalErrorKind::Precision,
    })
}

/// `+ - *` and `/` on quantities: within a dimension (converted exactly to the smaller unit),
/// scaled by a number, or divided by a quantity into an exact ratio. `None` when neither side
/// is a quantity.
fn quantity_arith<'a>(op: ArithOp, a: &Val<'a>, b: &Val<'a>) -> Option<Result<Val<'a>, Fault>> {
    use ArithOp::{Add, Div, Mul, Sub};
    let result = match (op, a.as_quantity(), b.as_quantity()) {
        (_, None, None) => return None,
        (Add, Some(x), Some(y)) => x.checked_add(y).map(Val::quantity),
        (Sub, Some(x), Some(y)) => x.checked_sub(y).map(Val::quantity),
        (Mul, Some(q), None) | (Mul, None, Some(q)) => {
            let factor = if a.as_quantity().is_some() { b } else { a };
            match factor.as_decimal() {
                Some(factor) => q.scale(factor).map(Val::quantity),
                None => return Some(Err(type_error("a number factor", factor))),
            }
        }
        (Div, Some(x), Some(y)) => {
            return Some(match x.ratio(y) {
                Ok((num, den)) => Exact::new(num, den, ExactUnit::Number)
                    .map(|ratio| Val::Exact(Box::new(ratio)))
                    .map_err(|e| arith_error(e, op.symbol())),
                Err(error) => Err(quantity_error(error, op.symbol())),
            })
        }
        _ => {
            return Some(Err(fault(EvalErrorKind::Type {
                expected: format!("operands for `{}`", op.symbol()),
                found: format!("{} and {}", a.kind_name(), b.kind_name()),
            })))
        }
    };
    Some(result.map_err(|error| quantity_error(error, op.symbol())))
}

/// `rate * quantity` (either way round): the unrounded price of the quantity, converted to
/// the rate's unit exactly. `None` when neither side is a rate.
fn rate_times_quantity<'a>(
    op: ArithOp,
    a: &Val<'a>,
    b: &Val<'a>,
) -> Option<Result<Val<'a>, Fault>> {
    let (rate, other) = match (a, b) {
        (Val::Rate { .. }, other) => (a, other),
        (other, Val::Rate { .. }) => (b, other),
        _ => return None,
    };
    let (
        Val::Rate {
            minor,
            currency,
            per,
        },
        ArithOp::Mul,
        Some(quantity),
    ) = (rate, op, other.as_quantity())
    else {
        return Some(Err(fault(EvalErrorKind::Type {
            expected: "a rate times a quantity".into(),
            found: format!("{} and {}", a.kind_name(), b.kind_name()),
        })));
    };
    let rate = crate::value::Rate {
        price: Money {
            minor: *minor,
            currency: *currency,
        },
        per: *per,
    };
    Some(match rate.times(quantity) {
        Ok((num, den)) => Exact::new(num, den, ExactUnit::Money(*currency))
            .map(|price| Val::Exact(Box::new(price)))
            .map_err(|e| arith_error(e, op.symbol())),
        Err(error) => Err(quantity_error(error, op.symbol())),
    })
}

pub(crate) fn arith<'a>(op: ArithOp, a: Val<'a>, b: Val<'a>) -> Result<Val<'a>, Fault> {
    use ArithOp::{Add, Mul, Sub};
    let checked = |value: Option<i64>| value.ok_or_else(|| overflow(op.symbol()));
    // Whole-number fast paths first: these are what rules compute most.
    match (op, &a, &b) {
        (Add, Val::Int(x), Val::Int(y)) => return Ok(Val::Int(checked(x.checked_add(*y))?)),
        (Sub, Val::Int(x), Val::Int(y)) => return Ok(Val::Int(checked(x.checked_sub(*y))?)),
        (Mul, Val::Int(x), Val::Int(y)) => return Ok(Val::Int(checked(x.checked_mul(*y))?)),
        (
            Add | Sub,
            Val::Money {
                minor: x,
                currency: cx,
            },
            Val::Money {
                minor: y,
                currency: cy,
            },
        ) => {
            let currency = same_currency(*cx, *cy)?;
            let minor = if op == Add {
                x.checked_add(*y)
            } else {
                x.checked_sub(*y)
            };
            return Ok(Val::Money {
                minor: checked(minor)?,
                currency,
            });
        }
        (Mul, Val::Money { minor, currency }, Val::Int(n))
        | (Mul, Val::Int(n), Val::Money { minor, currency }) => {
            return Ok(Val::Money {
                minor: checked(minor.checked_mul(*n))?,
                currency: *currency,
            })
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
        _ => {}
    }
    if let Some(result) = rate_times_quantity(op, &a, &b) {
        return result;
    }
    if let Some(result) = quantity_arith(op, &a, &b) {
        return result;
    }
    if let (Add | Sub | Mul, Some(x), Some(y)) = (op, a.as_decimal(), b.as_decimal()) {
        let result = match op {
            Add => num::decimal_add(x, y),
            Sub => num::decimal_sub(x, y),
            _ => num::decimal_mul(x, y),
        };
        return result
            .map(Val::decimal)
            .map_err(|e| arith_error(e, op.symbol()));
    }
    exact_arith(op, &a, &b)
}

/// Rational arithmetic with units, for everything that is not whole.
fn exact_arith<'a>(op: ArithOp, a: &Val<'a>, b: &Val<'a>) -> Result<Val<'a>, Fault> {
    use ArithOp::{Add, Div, Mul, Sub};
    let (Some(x), Some(y)) = (exact(a), exact(b)) else {
        return Err(fault(EvalErrorKind::Type {
            expected: format!("operands for `{}`", op.symbol()),
            found: format!("{} and {}", a.kind_name(), b.kind_name()),
        }));
    };
    let unit = match op {
        Add | Sub => same_unit(x.unit, y.unit)?,
        Mul => match (x.unit, y.unit) {
            (unit, ExactUnit::Number) | (ExactUnit::Number, unit) => unit,
            _ => {
                return Err(fault(EvalErrorKind::Type {
                    expected: "a number factor".into(),
                    found: "two quantities with units".into(),
                }))
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

pub(crate) fn compare(a: &Val<'_>, b: &Val<'_>) -> Result<Ordering, Fault> {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) | (Val::Dur(x), Val::Dur(y)) | (Val::Ts(x), Val::Ts(y)) => {
            Ok(x.cmp(y))
        }
        (
            Val::Money {
                minor: x,
                currency: cx,
            },
            Val::Money {
                minor: y,
                currency: cy,
            },
        ) => same_currency(*cx, *cy).map(|_| x.cmp(y)),
        (
            Val::Enum { ty: tx, ordinal: x },
            Val::Enum {
                ty: ty_,
                ordinal: y,
            },
        ) if tx == ty_ => Ok(x.cmp(y)),
        (Val::Text(x), Val::Text(y)) => Ok(x.cmp(y)),
        (Val::Bool(x), Val::Bool(y)) => Ok(x.cmp(y)),
        (Val::Qty { .. }, Val::Qty { .. }) => match (a.as_quantity(), b.as_quantity()) {
            (Some(x), Some(y)) => x.compare(y).map_err(|e| quantity_error(e, "compare")),
            _ => Err(type_error("a quantity", b)),
        },
        _ => match (a.as_decimal(), b.as_decimal()) {
            (Some(x), Some(y)) => Ok(x.cmp_value(y)),
            _ => match (exact(a), exact(b)) {
                (Some(x), Some(y)) => {
                    same_unit(x.unit, y.unit)?;
                    x.cmp_value(y).map_err(|e| arith_error(e, "compare"))
                }
                _ => Err(fault(EvalErrorKind::Type {
                    expected: format!("a value comparable with {}", a.kind_name()),
                    found: b.kind_name().to_string(),
                })),
            },
        },
    }
}

pub(crate) fn negate(value: Val<'_>) -> Result<Val<'_>, Fault> {
    let overflow = || overflow("-");
    Ok(match value {
        Val::Int(i) => Val::Int(i.checked_neg().ok_or_else(overflow)?),
        Val::Money { minor, currency } => Val::Money {
            minor: minor.checked_neg().ok_or_else(overflow)?,
            currency,
        },
        Val::Dur(d) => Val::Dur(d.checked_neg().ok_or_else(overflow)?),
        Val::Qty { .. } => match value.as_quantity().map(Quantity::checked_neg) {
            Some(Ok(negated)) => Val::quantity(negated),
            _ => return Err(overflow()),
        },
        Val::Exact(e) => Val::Exact(Box::new(e.neg().map_err(|_| overflow())?)),
        other => match other.as_decimal() {
            Some(d) => Val::decimal(num::decimal_neg(d).map_err(|_| overflow())?),
            None => return Err(type_error("a number", &other)),
        },
    })
}

pub(crate) fn absolute(value: Val<'_>) -> Result<Val<'_>, Fault> {
    let overflow = || overflow("abs");
    Ok(match value {
        Val::Int(i) => Val::Int(i.checked_abs().ok_or_else(overflow)?),
        Val::Money { minor, currency } => Val::Money {
            minor: minor.checked_abs().ok_or_else(overflow)?,
            currency,
        },
        Val::Dur(d) => Val::Dur(d.checked_abs().ok_or_else(overflow)?),
        Val::Qty { .. } => match value.as_quantity().map(Quantity::checked_abs) {
            Some(Ok(absolute)) => Val::quantity(absolute),
            _ => return Err(overflow()),
        },
        Val::Exact(e) => Val::Exact(Box::new(if e.num < 0 {
            e.neg().map_err(|_| overflow())?
        } else {
            *e
        })),
        other => match other.as_decimal() {
            Some(d) => Val::decimal(num::decimal_abs(d).map_err(|_| overflow())?),
            None => return Err(type_error("a number", &other)),
        },
    })
}

pub(crate) fn round(value: Val<'_>, mode: RoundingMode) -> Result<Val<'_>, Fault> {
    let rounded = |exact: &Exact| exact.round(mode).map_err(|e| arith_error(e, "round"));
    Ok(match value {
        Val::Int(_) | Val::Money { .. } | Val::Dur(_) => value,
        Val::Dec { mantissa, scale } => {
            Val::Int(rounded(&Exact::from_decimal(Decimal { mantissa, scale }))?)
        }
        Val::Exact(e) => match e.unit {
            ExactUnit::Number => Val::Int(rounded(&e)?),
            ExactUnit::Money(currency) => Val::Money {
                minor: rounded(&e)?,
                currency,
            },
            ExactUnit::Duration => Val::Dur(rounded(&e)?),
        },
        other => return Err(type_error("a number", &other)),
    })
}

/// Text of a notification, borrowed when it is a literal or a stored text.
pub(crate) fn text<'a>(value: Val<'a>) -> Result<Cow<'a, str>, Fault> {
    match value {
        Val::Text(text) => Ok(Cow::Borrowed(text.as_str())),
        other => Err(type_error("text", &other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_results_fit_two_registers() {
        assert_eq!(std::mem::size_of::<Val<'_>>(), 16);
        assert_eq!(std::mem::size_of::<Result<Val<'_>, Fault>>(), 16);
    }
}
