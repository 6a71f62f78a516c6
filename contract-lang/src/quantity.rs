//! Quantities with units: `100 pcs`, `2.5 t`, `33 m3`, `2 TEU`.
//!
//! A quantity is an exact decimal amount of a unit the language knows. Every unit belongs to
//! one *dimension* (mass, count, volume, length, containers) and is a whole multiple of the
//! dimension's smallest unit, so converting between units of one dimension is an exact integer
//! multiplication: `2.5 t + 400 kg` is `2900.0 kg`, computed without rounding. Units of
//! different dimensions never combine, and a quantity never combines with a bare number except
//! as a factor (`3 * 10 kg`): the checker refuses `pieces > 100`, the author writes `100 pcs`.
//!
//! Arithmetic here is checked and works on `i128` intermediates; a result that does not fit
//! an `i64` mantissa (or needs more than 18 decimal places) is an error, never a wrong value.

use crate::value::{Decimal, Money, MAX_DECIMAL_SCALE};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// What a unit measures. Only quantities of one dimension add, subtract or compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Mass,
    Count,
    Volume,
    Length,
    /// Shipping containers, in twenty-foot equivalent units.
    Containers,
}

impl Dimension {
    pub const ALL: [Dimension; 5] = [
        Dimension::Mass,
        Dimension::Count,
        Dimension::Volume,
        Dimension::Length,
        Dimension::Containers,
    ];

    /// The name written in a type: `quantity<mass>`.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Mass => "mass",
            Dimension::Count => "count",
            Dimension::Volume => "volume",
            Dimension::Length => "length",
            Dimension::Containers => "containers",
        }
    }

    pub fn from_name(name: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.name() == name)
    }

    /// The units of this dimension, smallest first.
    pub fn units(self) -> impl Iterator<Item = Unit> {
        Unit::ALL
            .into_iter()
            .filter(move |unit| unit.dimension() == self)
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A unit of measure the language knows. An unknown unit is an error everywhere (with a
/// suggestion in the checker): a typo must never become a unit nobody can convert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    Gram,
    Kilogram,
    Tonne,
    Piece,
    Litre,
    CubicMetre,
    Metre,
    Kilometre,
    Teu,
    Feu,
}

/// Code as written, dimension, and size in the dimension's smallest unit. Within a dimension
/// every factor divides every larger one, so conversion towards the smaller unit is exact.
const UNITS: [(Unit, &str, Dimension, i64); 10] = [
    (Unit::Gram, "g", Dimension::Mass, 1),
    (Unit::Kilogram, "kg", Dimension::Mass, 1_000),
    (Unit::Tonne, "t", Dimension::Mass, 1_000_000),
    (Unit::Piece, "pcs", Dimension::Count, 1),
    (Unit::Litre, "l", Dimension::Volume, 1),
    (Unit::CubicMetre, "m3", Dimension::Volume, 1_000),
    (Unit::Metre, "m", Dimension::Length, 1),
    (Unit::Kilometre, "km", Dimension::Length, 1_000),
    (Unit::Teu, "TEU", Dimension::Containers, 1),
    (Unit::Feu, "FEU", Dimension::Containers, 2),
];

impl Unit {
    pub const ALL: [Unit; 10] = [
        Unit::Gram,
        Unit::Kilogram,
        Unit::Tonne,
        Unit::Piece,
        Unit::Litre,
        Unit::CubicMetre,
        Unit::Metre,
        Unit::Kilometre,
        Unit::Teu,
        Unit::Feu,
    ];

    fn row(self) -> (Unit, &'static str, Dimension, i64) {
        UNITS
            .into_iter()
            .find(|row| row.0 == self)
            .unwrap_or(UNITS[0])
    }

    /// The unit's code as written in clauses and data: `kg`, `pcs`, `m3`, `TEU`.
    pub fn code(self) -> &'static str {
        self.row().1
    }

    pub fn dimension(self) -> Dimension {
        self.row().2
    }

    /// How many of the dimension's smallest unit one of this unit is.
    pub fn factor(self) -> i64 {
        self.row().3
    }

    /// The unit written `code` (exact case: `kg`, `TEU`); `m³` is another spelling of `m3`
    /// (the same unit, so the same clause id).
    pub fn parse(code: &str) -> Option<Unit> {
        if code == CUBIC_METRE_SYMBOL {
            return Some(Unit::CubicMetre);
        }
        UNITS.into_iter().find(|row| row.1 == code).map(|row| row.0)
    }

    /// Every unit code, in table order.
    pub fn known_codes() -> impl Iterator<Item = &'static str> {
        UNITS.into_iter().map(|row| row.1)
    }

    /// A unit or a dimension named in a type (`quantity<kg>`, `quantity<mass>`).
    pub fn dimension_named(name: &str) -> Option<Dimension> {
        Dimension::from_name(name).or_else(|| Unit::parse(name).map(Unit::dimension))
    }
}

/// `m³`, accepted wherever `m3` is (clauses, scenario values, JSON) and shown in renderings.
pub const CUBIC_METRE_SYMBOL: &str = "m³";

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Unit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Unit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Unit::parse(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("`{code}` is not a unit")))
    }
}

/// An exact amount of a unit: `2.5 t` is `{ amount: 2.5, unit: t }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Quantity {
    pub amount: Decimal,
    pub unit: Unit,
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.unit)
    }
}

/// A price per unit of a dimension: `150.00 EUR per t` is `{ price: 150.00 EUR, per: t }`.
/// The price is whole minor units of its currency (a finer rate is written per a larger unit:
/// `125.00 EUR per t`, not `0.125 EUR per kg`). Times a quantity of its dimension it gives an
/// unrounded amount of money ([`Rate::times`]); nothing else combines with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rate {
    pub price: Money,
    pub per: Unit,
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} per {}", self.price, self.per)
    }
}

impl Rate {
    /// The price of `quantity` at this rate as a fraction `(numerator, denominator)` of minor
    /// units, exactly: the quantity is converted to the rate's unit first (`2500 kg` at
    /// `150.00 EUR per t` is 2.5 × 15000 cents). The caller rounds, as the clause says.
    pub fn times(self, quantity: Quantity) -> Result<(i128, i128), QuantityError> {
        if quantity.unit.dimension() != self.per.dimension() {
            return Err(QuantityError::Dimension(self.per, quantity.unit));
        }
        let scale = u32::from(quantity.amount.scale.min(MAX_DECIMAL_SCALE));
        let numerator = i128::from(self.price.minor)
            .checked_mul(i128::from(quantity.amount.mantissa))
            .and_then(|n| n.checked_mul(i128::from(quantity.unit.factor())))
            .ok_or(QuantityError::Overflow)?;
        let denominator = 10i128
            .checked_pow(scale)
            .and_then(|d| d.checked_mul(i128::from(self.per.factor())))
            .ok_or(QuantityError::Overflow)?;
        Ok((numerator, denominator))
    }
}

/// Why quantity arithmetic has no result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("{0} and {1} measure different things")]
    Dimension(Unit, Unit),
    #[error("the result is too large")]
    Overflow,
    #[error("the result needs more than 18 decimal places")]
    Precision,
}

/// Two quantities of one dimension as mantissas of one unit (the smaller) at one scale.
struct Aligned {
    left: i128,
    right: i128,
    unit: Unit,
    scale: u8,
}

fn align(a: Quantity, b: Quantity) -> Result<Aligned, QuantityError> {
    if a.unit.dimension() != b.unit.dimension() {
        return Err(QuantityError::Dimension(a.unit, b.unit));
    }
    let unit = if a.unit.factor() <= b.unit.factor() {
        a.unit
    } else {
        b.unit
    };
    let scale = a.amount.scale.max(b.amount.scale);
    // Factors divide each other within a dimension (see `UNITS`), so these are whole.
    let in_unit = |q: Quantity| {
        let ratio = i128::from(q.unit.factor() / unit.factor());
        q.amount.mantissa_at(scale).checked_mul(ratio)
    };
    Ok(Aligned {
        left: in_unit(a).ok_or(QuantityError::Overflow)?,
        right: in_unit(b).ok_or(QuantityError::Overflow)?,
        unit,
        scale,
    })
}

fn make(mantissa: i128, scale: u8, unit: Unit) -> Result<Quantity, QuantityError> {
    let mantissa = i64::try_from(mantissa).map_err(|_| QuantityError::Overflow)?;
    let amount = Decimal::new(mantissa, scale).ok_or(QuantityError::Precision)?;
    Ok(Quantity { amount, unit })
}

impl Quantity {
    /// The same quantity in `unit` of its dimension, exactly: `2500 kg` is `2.500 t`, `3 TEU`
    /// is `1.5 FEU` (factors within a dimension are 1, 2 or powers of ten, so a few more
    /// decimal places always suffice).
    pub fn convert(self, unit: Unit) -> Result<Quantity, QuantityError> {
        if self.unit.dimension() != unit.dimension() {
            return Err(QuantityError::Dimension(self.unit, unit));
        }
        let (from, to) = (i128::from(self.unit.factor()), i128::from(unit.factor()));
        let mut mantissa = i128::from(self.amount.mantissa)
            .checked_mul(from)
            .ok_or(QuantityError::Overflow)?;
        let mut scale = self.amount.scale;
        while mantissa % to != 0 {
            mantissa = mantissa.checked_mul(10).ok_or(QuantityError::Overflow)?;
            scale = scale.checked_add(1).ok_or(QuantityError::Precision)?;
        }
        make(mantissa / to, scale, unit)
    }

    /// `a + b` in the smaller of the two units: `1 t + 1 kg` is `1001 kg`.
    pub fn checked_add(self, other: Quantity) -> Result<Quantity, QuantityError> {
        let aligned = align(self, other)?;
        let sum = aligned
            .left
            .checked_add(aligned.right)
            .ok_or(QuantityError::Overflow)?;
        make(sum, aligned.scale, aligned.unit)
    }

    /// `a - b` in the smaller of the two units.
    pub fn checked_sub(self, other: Quantity) -> Result<Quantity, QuantityError> {
        self.checked_add(other.checked_neg()?)
    }

    pub fn checked_neg(self) -> Result<Quantity, QuantityError> {
        let mantissa = self
            .amount
            .mantissa
            .checked_neg()
            .ok_or(QuantityError::Overflow)?;
        make(i128::from(mantissa), self.amount.scale, self.unit)
    }

    pub fn checked_abs(self) -> Result<Quantity, QuantityError> {
        if self.amount.mantissa < 0 {
            self.checked_neg()
        } else {
            Ok(self)
        }
    }

    /// The quantity scaled by an exact number: `3 * 10 kg`, `40 pcs * 1.5`.
    pub fn scale(self, factor: Decimal) -> Result<Quantity, QuantityError> {
        let mantissa = i128::from(self.amount.mantissa)
            .checked_mul(i128::from(factor.mantissa))
            .ok_or(QuantityError::Overflow)?;
        let scale = self.amount.scale.saturating_add(factor.scale);
        if scale > MAX_DECIMAL_SCALE {
            return Err(QuantityError::Precision);
        }
        make(mantissa, scale, self.unit)
    }

    /// Numeric comparison across units of one dimension: `1 t == 1000 kg`.
    pub fn compare(self, other: Quantity) -> Result<Ordering, QuantityError> {
        let aligned = align(self, other)?;
        Ok(aligned.left.cmp(&aligned.right))
    }

    /// `a / b` as a fraction `(numerator, denominator)` of two quantities of one dimension
    /// (`500 kg / 2 t` is 500/2000); the denominator is zero when `b` is.
    pub fn ratio(self, other: Quantity) -> Result<(i128, i128), QuantityError> {
        let aligned = align(self, other)?;
        Ok((aligned.left, aligned.right))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(mantissa: i64, scale: u8, unit: &str) -> Quantity {
        Quantity {
            amount: Decimal::new(mantissa, scale).unwrap(),
            unit: Unit::parse(unit).unwrap(),
        }
    }

    #[test]
    fn factors_divide_each_other_within_a_dimension() {
        for a in Unit::ALL {
            for b in a.dimension().units() {
                let (small, large) = if a.factor() <= b.factor() {
                    (a, b)
                } else {
                    (b, a)
                };
                assert_eq!(large.factor() % small.factor(), 0, "{small} and {large}");
            }
            assert_eq!(Unit::parse(a.code()), Some(a));
        }
    }

    #[test]
    fn units_of_one_dimension_convert_exactly() {
        assert_eq!(
            q(25, 1, "t").checked_add(q(400, 0, "kg")).unwrap(),
            q(29000, 1, "kg")
        );
        assert_eq!(q(1, 0, "t").compare(q(1000, 0, "kg")), Ok(Ordering::Equal));
        assert_eq!(q(1, 0, "FEU").compare(q(2, 0, "TEU")), Ok(Ordering::Equal));
        assert_eq!(
            q(3, 0, "m3").checked_sub(q(500, 0, "l")).unwrap(),
            q(2500, 0, "l")
        );
        assert_eq!(q(500, 0, "kg").ratio(q(2, 0, "t")), Ok((500, 2000)));
        assert_eq!(
            q(40, 0, "pcs").scale(Decimal::new(15, 1).unwrap()).unwrap(),
            q(600, 1, "pcs")
        );
    }

    #[test]
    fn dimensions_never_mix_and_overflow_is_an_error() {
        assert_eq!(
            q(1, 0, "kg").checked_add(q(1, 0, "pcs")),
            Err(QuantityError::Dimension(Unit::Kilogram, Unit::Piece))
        );
        assert_eq!(
            q(i64::MAX, 0, "t").checked_add(q(1, 0, "kg")),
            Err(QuantityError::Overflow)
        );
        assert_eq!(
            q(i64::MIN, 0, "kg").checked_neg(),
            Err(QuantityError::Overflow)
        );
        assert_eq!(
            q(1, 18, "kg").scale(Decimal::new(1, 1).unwrap()),
            Err(QuantityError::Precision)
        );
    }

    #[test]
    fn a_rate_prices_a_quantity_of_its_dimension_in_its_own_unit() {
        let rate = Rate {
            price: Money {
                minor: 15000,
                currency: crate::value::Currency::parse("EUR").unwrap(),
            },
            per: Unit::Tonne,
        };
        // 2500 kg is 2.5 t: 2.5 × 15000 cents = 37500 cents.
        let (num, den) = rate.times(q(2500, 0, "kg")).unwrap();
        assert_eq!(num, 37500 * den);
        // 0.001 kg is 0.000001 t: 0.015 cents, exactly.
        let (num, den) = rate.times(q(1, 3, "kg")).unwrap();
        assert_eq!(num * 1000, 15 * den);
        assert_eq!(
            rate.times(q(3, 0, "pcs")),
            Err(QuantityError::Dimension(Unit::Tonne, Unit::Piece))
        );
        let huge = Rate {
            price: Money {
                minor: i64::MAX,
                currency: rate.price.currency,
            },
            per: Unit::Gram,
        };
        assert!(huge.times(q(i64::MAX, 0, "t")).is_err());
        assert_eq!(rate.to_string(), "150.00 EUR per t");
    }

    #[test]
    fn quantities_encode_with_the_unit_code() {
        let bytes = pactum_canonical::to_vec(&q(25, 1, "t")).unwrap();
        let back: Quantity = pactum_canonical::from_slice(&bytes).unwrap();
        assert_eq!(back, q(25, 1, "t"));
        assert_eq!(
            Unit::dimension_named("kg"),
            Some(Dimension::Mass),
            "a unit in a type stands for its dimension"
        );
        assert_eq!(Unit::dimension_named("count"), Some(Dimension::Count));
        assert_eq!(Unit::dimension_named("KG"), None);
    }
}
