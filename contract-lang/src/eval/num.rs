//! Exact arithmetic: fixed-point decimals, unrounded rationals, and the rounding modes.
//!
//! Every operation is checked; the only failures are overflow, division by zero and a decimal
//! needing more than 18 places, each reported as an [`ArithError`] the evaluator turns into an
//! evaluation error with the span of the operator.

use crate::ir::RoundingMode;
use crate::value::{Currency, Decimal, MAX_DECIMAL_SCALE};
use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArithError {
    Overflow,
    DivisionByZero,
    Precision,
}

/// What an unrounded quantity counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExactUnit {
    Number,
    /// Minor units of the currency.
    Money(Currency),
    /// Seconds.
    Duration,
}

/// An unrounded quantity `num / den` (in lowest terms, `den > 0`) of some unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Exact {
    pub num: i128,
    pub den: i128,
    pub unit: ExactUnit,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    // Works on magnitudes; callers never pass i128::MIN (inputs come from i64 products).
    a = a.checked_abs().unwrap_or(i128::MAX);
    b = b.checked_abs().unwrap_or(i128::MAX);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Exact {
    pub fn new(num: i128, den: i128, unit: ExactUnit) -> Result<Exact, ArithError> {
        if den == 0 {
            return Err(ArithError::DivisionByZero);
        }
        let (num, den) = if den < 0 {
            (
                num.checked_neg().ok_or(ArithError::Overflow)?,
                den.checked_neg().ok_or(ArithError::Overflow)?,
            )
        } else {
            (num, den)
        };
        let divisor = gcd(num, den).max(1);
        Ok(Exact {
            num: num / divisor,
            den: den / divisor,
            unit,
        })
    }

    pub fn whole(value: i64, unit: ExactUnit) -> Exact {
        Exact {
            num: i128::from(value),
            den: 1,
            unit,
        }
    }

    pub fn from_decimal(value: Decimal) -> Exact {
        let den = 10i128.pow(u32::from(value.scale.min(MAX_DECIMAL_SCALE)));
        // Already valid: den > 0; reduce for smaller intermediates.
        Exact::new(i128::from(value.mantissa), den, ExactUnit::Number).unwrap_or(Exact {
            num: i128::from(value.mantissa),
            den,
            unit: ExactUnit::Number,
        })
    }

    pub fn add(self, other: Exact, unit: ExactUnit) -> Result<Exact, ArithError> {
        let num = self
            .num
            .checked_mul(other.den)
            .and_then(|a| {
                other
                    .num
                    .checked_mul(self.den)
                    .and_then(|b| a.checked_add(b))
            })
            .ok_or(ArithError::Overflow)?;
        let den = self
            .den
            .checked_mul(other.den)
            .ok_or(ArithError::Overflow)?;
        Exact::new(num, den, unit)
    }

    pub fn neg(self) -> Result<Exact, ArithError> {
        Ok(Exact {
            num: self.num.checked_neg().ok_or(ArithError::Overflow)?,
            ..self
        })
    }

    pub fn mul(self, other: Exact, unit: ExactUnit) -> Result<Exact, ArithError> {
        let num = self
            .num
            .checked_mul(other.num)
            .ok_or(ArithError::Overflow)?;
        let den = self
            .den
            .checked_mul(other.den)
            .ok_or(ArithError::Overflow)?;
        Exact::new(num, den, unit)
    }

    pub fn div(self, other: Exact, unit: ExactUnit) -> Result<Exact, ArithError> {
        if other.num == 0 {
            return Err(ArithError::DivisionByZero);
        }
        let num = self
            .num
            .checked_mul(other.den)
            .ok_or(ArithError::Overflow)?;
        let den = self
            .den
            .checked_mul(other.num)
            .ok_or(ArithError::Overflow)?;
        Exact::new(num, den, unit)
    }

    pub fn cmp_value(self, other: Exact) -> Result<Ordering, ArithError> {
        let left = self
            .num
            .checked_mul(other.den)
            .ok_or(ArithError::Overflow)?;
        let right = other
            .num
            .checked_mul(self.den)
            .ok_or(ArithError::Overflow)?;
        Ok(left.cmp(&right))
    }

    /// Rounds to a whole number of the unit (an int, minor units, seconds).
    pub fn round(self, mode: RoundingMode) -> Result<i64, ArithError> {
        let rounded = round_div(self.num, self.den, mode);
        i64::try_from(rounded).map_err(|_| ArithError::Overflow)
    }
}

/// `num / den` rounded as `mode` says; `den > 0`.
pub(crate) fn round_div(num: i128, den: i128, mode: RoundingMode) -> i128 {
    let floor = num.div_euclid(den);
    let remainder = num.rem_euclid(den);
    if remainder == 0 {
        return floor;
    }
    let ceiling = floor + 1;
    let negative = num < 0;
    let toward_zero = if negative { ceiling } else { floor };
    let away_from_zero = if negative { floor } else { ceiling };
    // Compare the remainder with half the divisor without overflowing: r vs den - r.
    let upper_half = den - remainder;
    match mode {
        RoundingMode::Floor => floor,
        RoundingMode::Ceiling => ceiling,
        RoundingMode::Down => toward_zero,
        RoundingMode::Up => away_from_zero,
        RoundingMode::HalfUp | RoundingMode::HalfEven => match remainder.cmp(&upper_half) {
            Ordering::Less => floor,
            Ordering::Greater => ceiling,
            Ordering::Equal if mode == RoundingMode::HalfUp => away_from_zero,
            Ordering::Equal => {
                if floor.rem_euclid(2) == 0 {
                    floor
                } else {
                    ceiling
                }
            }
        },
    }
}

fn to_decimal(mantissa: i128, scale: u8) -> Result<Decimal, ArithError> {
    let mut mantissa = mantissa;
    let mut scale = scale;
    // Drop trailing zeros the result does not need, before giving up on precision.
    while scale > MAX_DECIMAL_SCALE && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    if scale > MAX_DECIMAL_SCALE {
        return Err(ArithError::Precision);
    }
    let mantissa = i64::try_from(mantissa).map_err(|_| ArithError::Overflow)?;
    Ok(Decimal { mantissa, scale })
}

pub(crate) fn decimal_add(a: Decimal, b: Decimal) -> Result<Decimal, ArithError> {
    let scale = a.scale.max(b.scale);
    let sum = a
        .mantissa_at(scale)
        .checked_add(b.mantissa_at(scale))
        .ok_or(ArithError::Overflow)?;
    to_decimal(sum, scale)
}

pub(crate) fn decimal_sub(a: Decimal, b: Decimal) -> Result<Decimal, ArithError> {
    let negated = Decimal {
        mantissa: b.mantissa.checked_neg().ok_or(ArithError::Overflow)?,
        scale: b.scale,
    };
    decimal_add(a, negated)
}

pub(crate) fn decimal_mul(a: Decimal, b: Decimal) -> Result<Decimal, ArithError> {
    let product = i128::from(a.mantissa) * i128::from(b.mantissa);
    to_decimal(product, a.scale + b.scale)
}

pub(crate) fn decimal_neg(a: Decimal) -> Result<Decimal, ArithError> {
    Ok(Decimal {
        mantissa: a.mantissa.checked_neg().ok_or(ArithError::Overflow)?,
        scale: a.scale,
    })
}

pub(crate) fn decimal_abs(a: Decimal) -> Result<Decimal, ArithError> {
    Ok(Decimal {
        mantissa: a.mantissa.checked_abs().ok_or(ArithError::Overflow)?,
        scale: a.scale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(mantissa: i64, scale: u8) -> Decimal {
        Decimal::new(mantissa, scale).unwrap()
    }

    #[test]
    fn rounding_modes_on_ties_and_negatives() {
        use RoundingMode::*;
        let cases: &[(i128, i128, RoundingMode, i128)] = &[
            (5, 2, HalfUp, 3),
            (-5, 2, HalfUp, -3),
            (5, 2, HalfEven, 2),
            (7, 2, HalfEven, 4),
            (-5, 2, HalfEven, -2),
            (-7, 2, HalfEven, -4),
            (27, 10, Down, 2),
            (-27, 10, Down, -2),
            (21, 10, Up, 3),
            (-21, 10, Up, -3),
            (-21, 10, Floor, -3),
            (-27, 10, Ceiling, -2),
            (26, 10, HalfUp, 3),
            (24, 10, HalfUp, 2),
            (-26, 10, HalfEven, -3),
            (6, 3, HalfEven, 2),
        ];
        for (num, den, mode, expected) in cases {
            assert_eq!(
                round_div(*num, *den, *mode),
                *expected,
                "{num}/{den} {mode:?}"
            );
        }
    }

    #[test]
    fn exact_arithmetic_stays_in_lowest_terms() {
        let third = Exact::new(1, 3, ExactUnit::Number).unwrap();
        let sum = third
            .add(third, ExactUnit::Number)
            .unwrap()
            .add(third, ExactUnit::Number)
            .unwrap();
        assert_eq!((sum.num, sum.den), (1, 1));
        assert_eq!(Exact::new(2, -4, ExactUnit::Number).unwrap().num, -1);
        assert_eq!(
            third.div(Exact::whole(0, ExactUnit::Number), ExactUnit::Number),
            Err(ArithError::DivisionByZero)
        );
        let huge = Exact::whole(i64::MAX, ExactUnit::Number);
        let squared = huge.mul(huge, ExactUnit::Number).unwrap();
        assert_eq!(
            squared.mul(huge, ExactUnit::Number),
            Err(ArithError::Overflow)
        );
        assert_eq!(squared.round(RoundingMode::Down), Err(ArithError::Overflow));
    }

    #[test]
    fn decimal_arithmetic_is_exact_and_checked() {
        assert_eq!(decimal_add(d(15, 1), d(25, 2)).unwrap(), d(175, 2));
        assert_eq!(decimal_sub(d(1, 0), d(5, 3)).unwrap(), d(995, 3));
        assert_eq!(decimal_mul(d(5, 3), d(3, 0)).unwrap(), d(15, 3));
        assert_eq!(decimal_mul(d(1, 10), d(1, 10)), Err(ArithError::Precision));
        assert_eq!(decimal_mul(d(10, 10), d(10, 10)).unwrap(), d(1, 18));
        assert_eq!(
            decimal_add(d(i64::MAX, 0), d(1, 0)),
            Err(ArithError::Overflow)
        );
        assert_eq!(decimal_neg(d(i64::MIN, 0)), Err(ArithError::Overflow));
    }
}
