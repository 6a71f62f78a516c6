//! The checker's view of types, and the typing rules of the operators.
//!
//! Beyond the declarable [`Type`]s the checker tracks three things:
//!
//! * the **static currency** of money when it is known (a literal such as `150.00 EUR`): adding
//!   `1.00 EUR` to `1.00 USD` is a type error; adding a money term to a literal is checked when
//!   it runs, since a term's currency is the order's business;
//! * **exact amounts**: a rate or a division (`price * 0.5%`, `price / 3`, `days / 7`) gives an
//!   unrounded quantity — a number, an amount of money or a duration — that may be computed with
//!   and compared, but never stored, paid, listed or shown until `round(x, mode)` says how it
//!   rounds;
//! * the type of `[]` before context tells what it is a list of.
//!
//! Arithmetic on quantities works by *unit*: numbers (int, decimal), money, durations. `+` and
//! `-` need equal units; `*` needs at least one plain number; `/` divides by a number or by the
//! same unit (giving a number). Ints widen to decimals wherever they meet one. Quantities with
//! units (`100 pcs`, `2.5 t`) are units of their own, one per dimension: they add, subtract and
//! compare only within a dimension (the evaluator converts between its units exactly), scale
//! by a plain number, and divide only by a quantity of the same dimension (an exact ratio).

use crate::ir::ArithOp;
use crate::value::{Currency, Dimension, Type};
use std::collections::BTreeMap;
use std::fmt;

/// What a quantity counts: plain numbers, money (with its currency when statically known) or
/// seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    Number,
    Money(Option<Currency>),
    Duration,
    Quantity(Dimension),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    /// Already reported; compatible with everything so one mistake gives one diagnostic.
    Error,
    Bool,
    Int,
    Decimal,
    Money(Option<Currency>),
    Duration,
    Timestamp,
    Text,
    Enum(String),
    Quantity(Dimension),
    /// A price per unit of the dimension, with its currency when statically known.
    Rate(Dimension, Option<Currency>),
    List(Box<Ty>),
    /// `[]` with nothing yet saying what it holds.
    EmptyList,
    Record(BTreeMap<String, Type>),
    /// An unrounded result of a rate or a division.
    Exact(Unit),
}

/// Why two types do not combine.
pub(crate) enum Clash {
    Mismatch,
    Currency(Currency, Currency),
    Dimension(Dimension, Dimension),
}

impl Ty {
    pub fn from_type(ty: &Type) -> Ty {
        match ty {
            Type::Bool => Ty::Bool,
            Type::Int => Ty::Int,
            Type::Decimal => Ty::Decimal,
            Type::Money => Ty::Money(None),
            Type::Duration => Ty::Duration,
            Type::Timestamp => Ty::Timestamp,
            Type::Text => Ty::Text,
            Type::Enum(name) => Ty::Enum(name.clone()),
            Type::Quantity(dimension) => Ty::Quantity(*dimension),
            Type::Rate(dimension) => Ty::Rate(*dimension, None),
            Type::List(element) => Ty::List(Box::new(Ty::from_type(element))),
            Type::Record(fields) => Ty::Record(fields.clone()),
        }
    }

    /// The declarable type, if this is one.
    pub fn to_type(&self) -> Option<Type> {
        Some(match self {
            Ty::Bool => Type::Bool,
            Ty::Int => Type::Int,
            Ty::Decimal => Type::Decimal,
            Ty::Money(_) => Type::Money,
            Ty::Duration => Type::Duration,
            Ty::Timestamp => Type::Timestamp,
            Ty::Text => Type::Text,
            Ty::Enum(name) => Type::Enum(name.clone()),
            Ty::Quantity(dimension) => Type::Quantity(*dimension),
            Ty::Rate(dimension, _) => Type::Rate(*dimension),
            Ty::List(element) => Type::List(Box::new(element.to_type()?)),
            Ty::Record(fields) => Type::Record(fields.clone()),
            Ty::Error | Ty::EmptyList | Ty::Exact(_) => return None,
        })
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Ty::Error)
    }

    pub fn is_exact(&self) -> bool {
        matches!(self, Ty::Exact(_))
    }

    /// The unit and exactness of a quantity; `None` for non-quantities.
    pub fn quantity(&self) -> Option<(Unit, bool)> {
        match self {
            Ty::Int | Ty::Decimal => Some((Unit::Number, false)),
            Ty::Money(currency) => Some((Unit::Money(*currency), false)),
            Ty::Duration => Some((Unit::Duration, false)),
            Ty::Quantity(dimension) => Some((Unit::Quantity(*dimension), false)),
            Ty::Exact(unit) => Some((*unit, true)),
            _ => None,
        }
    }

    /// Whether `<` and friends are defined on it.
    pub fn is_ordered(&self) -> bool {
        self.quantity().is_some() || matches!(self, Ty::Timestamp | Ty::Enum(_) | Ty::Error)
    }
}

impl fmt::Display for Ty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ty::Error => f.write_str("an erroneous expression"),
            Ty::Money(Some(currency)) => write!(f, "money ({currency})"),
            Ty::EmptyList => f.write_str("an empty list"),
            Ty::List(element) => write!(f, "list<{element}>"),
            Ty::Exact(Unit::Number) => f.write_str("an unrounded number"),
            Ty::Exact(Unit::Money(_)) => f.write_str("an unrounded amount of money"),
            Ty::Exact(Unit::Duration) => f.write_str("an unrounded duration"),
            Ty::Exact(Unit::Quantity(dimension)) => write!(f, "an unrounded quantity<{dimension}>"),
            other => match other.to_type() {
                Some(ty) => write!(f, "{ty}"),
                None => f.write_str("?"),
            },
        }
    }
}

/// Combines two statically known currencies.
fn merge_currency(a: Option<Currency>, b: Option<Currency>) -> Result<Option<Currency>, Clash> {
    match (a, b) {
        (Some(x), Some(y)) if x != y => Err(Clash::Currency(x, y)),
        (Some(x), Some(_)) => Ok(Some(x)),
        // One side's currency is only known at run time: the result's is too.
        _ => Ok(None),
    }
}

fn merge_units(a: Unit, b: Unit) -> Result<Unit, Clash> {
    match (a, b) {
        (Unit::Number, Unit::Number) => Ok(Unit::Number),
        (Unit::Duration, Unit::Duration) => Ok(Unit::Duration),
        (Unit::Money(x), Unit::Money(y)) => Ok(Unit::Money(merge_currency(x, y)?)),
        (Unit::Quantity(x), Unit::Quantity(y)) if x == y => Ok(Unit::Quantity(x)),
        (Unit::Quantity(x), Unit::Quantity(y)) => Err(Clash::Dimension(x, y)),
        _ => Err(Clash::Mismatch),
    }
}

fn from_unit(unit: Unit, exact: bool) -> Ty {
    match (unit, exact) {
        (unit, true) => Ty::Exact(unit),
        (Unit::Number, false) => Ty::Decimal,
        (Unit::Money(currency), false) => Ty::Money(currency),
        (Unit::Duration, false) => Ty::Duration,
        (Unit::Quantity(dimension), false) => Ty::Quantity(dimension),
    }
}

/// The type of `a op b`.
pub(crate) fn arith(op: ArithOp, a: &Ty, b: &Ty) -> Result<Ty, Clash> {
    if a.is_error() || b.is_error() {
        return Ok(Ty::Error);
    }
    match (op, a, b) {
        (ArithOp::Add, Ty::Timestamp, Ty::Duration)
        | (ArithOp::Add, Ty::Duration, Ty::Timestamp)
        | (ArithOp::Sub, Ty::Timestamp, Ty::Duration) => return Ok(Ty::Timestamp),
        (ArithOp::Sub, Ty::Timestamp, Ty::Timestamp) => return Ok(Ty::Duration),
        (_, Ty::Int, Ty::Int) if op != ArithOp::Div => return Ok(Ty::Int),
        (ArithOp::Mul, Ty::Rate(per, currency), Ty::Quantity(dimension))
        | (ArithOp::Mul, Ty::Quantity(dimension), Ty::Rate(per, currency)) => {
            // A price per unit times a quantity: the quantity is converted to the rate's
            // unit exactly, and the product may hold fractions of the minor unit.
            return if per == dimension {
                Ok(Ty::Exact(Unit::Money(*currency)))
            } else {
                Err(Clash::Dimension(*per, *dimension))
            };
        }
        (_, Ty::Rate(..), _) | (_, _, Ty::Rate(..)) => return Err(Clash::Mismatch),
        _ => {}
    }
    let ((unit_a, exact_a), (unit_b, exact_b)) = match (a.quantity(), b.quantity()) {
        (Some(qa), Some(qb)) => (qa, qb),
        _ => return Err(Clash::Mismatch),
    };
    match op {
        ArithOp::Add | ArithOp::Sub => {
            let unit = merge_units(unit_a, unit_b)?;
            Ok(from_unit(unit, exact_a || exact_b))
        }
        ArithOp::Mul => {
            let is_quantity = |unit| matches!(unit, Unit::Quantity(_));
            // A quantity is an exact decimal: scaling it by an unrounded number would need a
            // rounding rule for units, which the language does not have.
            if (is_quantity(unit_a) || is_quantity(unit_b)) && (exact_a || exact_b) {
                return Err(Clash::Mismatch);
            }
            let (unit, scaled_by) = match (unit_a, unit_b) {
                (unit, Unit::Number) => (unit, b),
                (Unit::Number, unit) => (unit, a),
                _ => return Err(Clash::Mismatch),
            };
            // Scaling money or a duration by a decimal leaves fractions of the minor unit or of
            // a second; scaling a number by a decimal is an exact decimal.
            let fractional = matches!(scaled_by, Ty::Decimal)
                && !matches!(unit, Unit::Number | Unit::Quantity(_));
            Ok(from_unit(unit, exact_a || exact_b || fractional))
        }
        ArithOp::Div => match (unit_a, unit_b) {
            (Unit::Quantity(x), Unit::Quantity(y)) => {
                merge_units(Unit::Quantity(x), Unit::Quantity(y))?;
                Ok(Ty::Exact(Unit::Number))
            }
            (Unit::Quantity(_), _) | (_, Unit::Quantity(_)) => Err(Clash::Mismatch),
            (unit, Unit::Number) => Ok(Ty::Exact(unit)),
            (Unit::Money(x), Unit::Money(y)) => {
                merge_currency(x, y)?;
                Ok(Ty::Exact(Unit::Number))
            }
            (Unit::Duration, Unit::Duration) => Ok(Ty::Exact(Unit::Number)),
            _ => Err(Clash::Mismatch),
        },
    }
}

/// Whether `a op b` compares (`ordered` for `<`, `<=`, `>`, `>=`).
pub(crate) fn comparable(a: &Ty, b: &Ty, ordered: bool) -> Result<(), Clash> {
    if a.is_error() || b.is_error() {
        return Ok(());
    }
    if let (Some((unit_a, _)), Some((unit_b, _))) = (a.quantity(), b.quantity()) {
        return merge_units(unit_a, unit_b).map(|_| ());
    }
    match (a, b) {
        (Ty::Timestamp, Ty::Timestamp) => Ok(()),
        (Ty::Enum(x), Ty::Enum(y)) if x == y => Ok(()),
        _ if ordered => Err(Clash::Mismatch),
        (Ty::Bool, Ty::Bool) | (Ty::Text, Ty::Text) => Ok(()),
        (Ty::EmptyList, Ty::List(_) | Ty::EmptyList) | (Ty::List(_), Ty::EmptyList) => Ok(()),
        (Ty::List(x), Ty::List(y)) => comparable(x, y, false),
        (Ty::Record(x), Ty::Record(y)) if x == y => Ok(()),
        _ => Err(Clash::Mismatch),
    }
}

/// The common type of two alternatives (branches of `if`, arms of `jurisdiction`, list items,
/// arguments of `min`/`max`).
pub(crate) fn unify(a: &Ty, b: &Ty) -> Result<Ty, Clash> {
    match (a, b) {
        (Ty::Error, other) | (other, Ty::Error) => Ok(other.clone()),
        (Ty::EmptyList, Ty::List(element)) | (Ty::List(element), Ty::EmptyList) => {
            Ok(Ty::List(element.clone()))
        }
        (Ty::Money(x), Ty::Money(y)) => Ok(Ty::Money(merge_currency(*x, *y)?)),
        (Ty::Quantity(x), Ty::Quantity(y)) if x != y => Err(Clash::Dimension(*x, *y)),
        (Ty::Rate(x, _), Ty::Rate(y, _)) if x != y => Err(Clash::Dimension(*x, *y)),
        (Ty::Rate(dimension, x), Ty::Rate(_, y)) => {
            Ok(Ty::Rate(*dimension, merge_currency(*x, *y)?))
        }
        (Ty::Int, Ty::Decimal) | (Ty::Decimal, Ty::Int) => Ok(Ty::Decimal),
        (Ty::List(x), Ty::List(y)) => {
            // A list already built keeps its element type: only identical ones unify.
            if x.to_type().is_some() && x.to_type() == y.to_type() {
                Ok(Ty::List(Box::new(unify(x, y)?)))
            } else {
                Err(Clash::Mismatch)
            }
        }
        _ if a == b => Ok(a.clone()),
        _ => match (a.quantity(), b.quantity()) {
            (Some((unit_a, exact_a)), Some((unit_b, exact_b))) if exact_a || exact_b => {
                Ok(Ty::Exact(merge_units(unit_a, unit_b)?))
            }
            _ => Err(Clash::Mismatch),
        },
    }
}

/// Whether a value of type `from` may be used where `to` is declared, and whether it needs
/// widening from int to decimal on the way.
pub(crate) fn assignable(from: &Ty, to: &Type) -> Option<bool> {
    match (from, to) {
        (Ty::Error, _) => Some(false),
        (Ty::Int, Type::Decimal) => Some(true),
        (Ty::EmptyList, Type::List(_)) => Some(false),
        (Ty::List(element), Type::List(target)) => assignable(element, target),
        _ => (from.to_type().as_ref() == Some(to)).then_some(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Ty {
        Ty::Money(Some(Currency::parse("EUR").unwrap()))
    }

    fn usd() -> Ty {
        Ty::Money(Some(Currency::parse("USD").unwrap()))
    }

    #[test]
    fn money_arithmetic_is_exact_only_where_whole() {
        assert_eq!(arith(ArithOp::Mul, &Ty::Int, &eur()).ok(), Some(eur()));
        assert_eq!(
            arith(ArithOp::Add, &eur(), &Ty::Money(None)).ok(),
            Some(Ty::Money(None))
        );
        assert_eq!(
            arith(ArithOp::Mul, &eur(), &Ty::Decimal).ok(),
            Some(Ty::Exact(Unit::Money(Currency::parse("EUR").ok())))
        );
        assert_eq!(
            arith(ArithOp::Div, &Ty::Money(None), &Ty::Int).ok(),
            Some(Ty::Exact(Unit::Money(None)))
        );
        assert!(matches!(
            arith(ArithOp::Add, &eur(), &usd()),
            Err(Clash::Currency(..))
        ));
        assert!(matches!(
            arith(ArithOp::Mul, &eur(), &eur()),
            Err(Clash::Mismatch)
        ));
        assert!(matches!(
            arith(ArithOp::Add, &eur(), &Ty::Int),
            Err(Clash::Mismatch)
        ));
    }

    #[test]
    fn a_rate_times_a_quantity_of_its_dimension_is_unrounded_money() {
        let eur_per_mass = Ty::Rate(Dimension::Mass, Currency::parse("EUR").ok());
        let money = Some(Ty::Exact(Unit::Money(Currency::parse("EUR").ok())));
        let mass = Ty::Quantity(Dimension::Mass);
        assert_eq!(arith(ArithOp::Mul, &eur_per_mass, &mass).ok(), money);
        assert_eq!(arith(ArithOp::Mul, &mass, &eur_per_mass).ok(), money);
        assert!(matches!(
            arith(ArithOp::Mul, &eur_per_mass, &Ty::Quantity(Dimension::Count)),
            Err(Clash::Dimension(Dimension::Mass, Dimension::Count))
        ));
        assert!(matches!(
            arith(ArithOp::Mul, &eur_per_mass, &Ty::Int),
            Err(Clash::Mismatch)
        ));
        assert!(matches!(
            arith(ArithOp::Add, &eur_per_mass, &eur_per_mass),
            Err(Clash::Mismatch)
        ));
        assert!(comparable(&eur_per_mass, &eur_per_mass, true).is_err());
    }

    #[test]
    fn numbers_durations_and_timestamps() {
        assert_eq!(arith(ArithOp::Add, &Ty::Int, &Ty::Int).ok(), Some(Ty::Int));
        assert_eq!(
            arith(ArithOp::Mul, &Ty::Int, &Ty::Decimal).ok(),
            Some(Ty::Decimal)
        );
        assert_eq!(
            arith(ArithOp::Div, &Ty::Int, &Ty::Int).ok(),
            Some(Ty::Exact(Unit::Number))
        );
        assert_eq!(
            arith(ArithOp::Sub, &Ty::Timestamp, &Ty::Timestamp).ok(),
            Some(Ty::Duration)
        );
        assert_eq!(
            arith(ArithOp::Add, &Ty::Duration, &Ty::Timestamp).ok(),
            Some(Ty::Timestamp)
        );
        assert!(arith(ArithOp::Add, &Ty::Timestamp, &Ty::Timestamp).is_err());
        assert!(arith(ArithOp::Add, &Ty::Timestamp, &Ty::Exact(Unit::Duration)).is_err());
        assert_eq!(
            arith(ArithOp::Div, &Ty::Duration, &Ty::Duration).ok(),
            Some(Ty::Exact(Unit::Number))
        );
    }

    #[test]
    fn comparisons_and_alternatives() {
        assert!(comparable(&Ty::Int, &Ty::Decimal, true).is_ok());
        assert!(comparable(&Ty::Exact(Unit::Money(None)), &eur(), true).is_ok());
        assert!(comparable(&Ty::Text, &Ty::Text, true).is_err());
        assert!(comparable(&Ty::Text, &Ty::Text, false).is_ok());
        assert!(comparable(&Ty::Enum("a".into()), &Ty::Enum("b".into()), false).is_err());
        assert_eq!(unify(&Ty::Int, &Ty::Decimal).ok(), Some(Ty::Decimal));
        assert_eq!(
            unify(&Ty::EmptyList, &Ty::List(Box::new(Ty::Text))).ok(),
            Some(Ty::List(Box::new(Ty::Text)))
        );
        assert!(unify(&eur(), &usd()).is_err());
        assert_eq!(assignable(&Ty::Int, &Type::Decimal), Some(true));
        assert_eq!(assignable(&Ty::Exact(Unit::Number), &Type::Decimal), None);
    }
}
