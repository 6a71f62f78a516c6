//! Runtime values and types of the clause language.
//!
//! Everything here is exact and deterministic: numbers are integers or fixed-point decimals,
//! money is an integer count of the currency's minor units, durations and timestamps are whole
//! seconds (timestamps since the Unix epoch, UTC). There are no floats and no hash maps, so
//! `pactum_canonical::to_vec` of any value is stable across machines.
//!
//! `Display` prints values and types in the language's own literal syntax (`150.00 EUR`, `1d12h`,
//! `2026-03-01T00:00:00Z`, `list<text>`), so diagnostics, traces and renderings quote them the
//! way an author writes them.

pub use crate::quantity::{Dimension, Quantity, Rate, Unit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Largest number of fractional digits a [`Decimal`] may carry.
pub const MAX_DECIMAL_SCALE: u8 = 18;

/// Earliest timestamp the language represents: `0001-01-01T00:00:00Z`.
pub const MIN_TIMESTAMP: i64 = -62_135_596_800;
/// Latest timestamp the language represents: `9999-12-31T23:59:59Z`.
pub const MAX_TIMESTAMP: i64 = 253_402_300_799;

/// `10^exp` for `exp <= 18` (fits an `i64`); `None` beyond.
pub fn pow10(exp: u32) -> Option<i64> {
    10i64.checked_pow(exp)
}

/// An exact fixed-point number: `mantissa × 10^-scale`. `1.50` is `{ mantissa: 150, scale: 2 }`.
///
/// The scale is kept as written (so `1.50` prints as `1.50`), but comparisons through
/// [`Decimal::cmp_value`] are numeric: `1.50` equals `1.5`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "DecimalRepr")]
pub struct Decimal {
    pub mantissa: i64,
    pub scale: u8,
}

#[derive(Deserialize)]
struct DecimalRepr {
    mantissa: i64,
    scale: u8,
}

impl TryFrom<DecimalRepr> for Decimal {
    type Error = String;
    fn try_from(repr: DecimalRepr) -> Result<Self, String> {
        Decimal::new(repr.mantissa, repr.scale)
            .ok_or_else(|| format!("decimal scale {} exceeds {MAX_DECIMAL_SCALE}", repr.scale))
    }
}

impl Decimal {
    /// `None` when the scale exceeds [`MAX_DECIMAL_SCALE`].
    pub fn new(mantissa: i64, scale: u8) -> Option<Decimal> {
        (scale <= MAX_DECIMAL_SCALE).then_some(Decimal { mantissa, scale })
    }

    pub fn from_int(value: i64) -> Decimal {
        Decimal {
            mantissa: value,
            scale: 0,
        }
    }

    /// The mantissa rescaled to `scale` (which must be at least `self.scale`), as an `i128`.
    /// Always fits: `|i64| × 10^18 < 2^127`.
    pub fn mantissa_at(self, scale: u8) -> i128 {
        let shift = u32::from(scale.saturating_sub(self.scale));
        i128::from(self.mantissa) * 10i128.pow(shift.min(u32::from(MAX_DECIMAL_SCALE)))
    }

    /// Numeric comparison, independent of how many trailing zeros either side carries.
    pub fn cmp_value(self, other: Decimal) -> std::cmp::Ordering {
        let scale = self.scale.max(other.scale);
        self.mantissa_at(scale).cmp(&other.mantissa_at(scale))
    }

    /// The same number with trailing fractional zeros removed (`1.50` → `1.5`).
    pub fn normalized(self) -> Decimal {
        let mut value = self;
        while value.scale > 0 && value.mantissa % 10 == 0 {
            value.mantissa /= 10;
            value.scale -= 1;
        }
        value
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_fixed_point(f, i128::from(self.mantissa), u32::from(self.scale))
    }
}

/// Writes `mantissa × 10^-scale` with exactly `scale` fractional digits.
fn write_fixed_point(f: &mut fmt::Formatter<'_>, mantissa: i128, scale: u32) -> fmt::Result {
    let sign = if mantissa < 0 { "-" } else { "" };
    let digits = mantissa.unsigned_abs().to_string();
    let scale = scale as usize;
    if scale == 0 {
        return write!(f, "{sign}{digits}");
    }
    let padded = if digits.len() <= scale {
        format!("{}{}", "0".repeat(scale + 1 - digits.len()), digits)
    } else {
        digits
    };
    let (whole, fraction) = padded.split_at(padded.len() - scale);
    write!(f, "{sign}{whole}.{fraction}")
}

/// ISO 4217 currencies the language knows, with their minor units (digits after the point).
/// An unknown code is an error everywhere: a typo must never silently become a new currency.
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AUD", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MXN", 2),
    ("MYR", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PLN", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

/// Names in common use that are not ISO 4217 codes, with the code they mean.
const CURRENCY_ALIASES: &[(&str, &str)] = &[
    ("RMB", "CNY"),
    ("NTD", "TWD"),
    ("NTS", "TWD"),
    ("UKP", "GBP"),
    ("STG", "GBP"),
    ("YEN", "JPY"),
    ("SFR", "CHF"),
];

/// The ISO 4217 code an everyday name (`RMB`, `YEN`) stands for, if it is one the language
/// knows.
pub fn currency_alias(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    CURRENCY_ALIASES
        .iter()
        .find(|(alias, _)| *alias == upper)
        .map(|(_, code)| *code)
        .filter(|code| CURRENCIES.iter().any(|(known, _)| known == code))
}

/// A known ISO 4217 currency code (three uppercase ASCII letters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CurrencyError {
    #[error("`{0}` is not a currency code: codes are three uppercase letters such as EUR")]
    Malformed(String),
    #[error("`{0}` is not a currency this language knows")]
    Unknown(String),
}

impl Currency {
    /// The euro, for callers that need some currency before they know which.
    pub const EUR: Currency = Currency(*b"EUR");

    pub fn parse(code: &str) -> Result<Currency, CurrencyError> {
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_uppercase) {
            return Err(CurrencyError::Malformed(code.to_string()));
        }
        if !CURRENCIES.iter().any(|(known, _)| *known == code) {
            return Err(CurrencyError::Unknown(code.to_string()));
        }
        Ok(Currency([bytes[0], bytes[1], bytes[2]]))
    }

    pub fn code(&self) -> &str {
        // Constructed only from ASCII uppercase letters.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// Digits after the decimal point (EUR 2, JPY 0, KWD 3).
    pub fn minor_units(&self) -> u8 {
        CURRENCIES
            .iter()
            .find(|(known, _)| *known == self.code())
            .map_or(0, |(_, digits)| *digits)
    }

    /// Every known currency code, sorted.
    pub fn known_codes() -> impl Iterator<Item = &'static str> {
        CURRENCIES.iter().map(|(code, _)| *code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// An amount of money: an integer count of the currency's minor units (cents for EUR, yen for
/// JPY). `150.00 EUR` is `{ minor: 15000, currency: EUR }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_fixed_point(
            f,
            i128::from(self.minor),
            u32::from(self.currency.minor_units()),
        )?;
        write!(f, " {}", self.currency)
    }
}

/// A value of an enum type: the enum's name and the variant's name. Its position in the
/// declaration (what `<` compares) belongs to the vocabulary, not to the value.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EnumValue {
    pub ty: String,
    pub variant: String,
}

/// A runtime value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    Bool(bool),
    Int(i64),
    Decimal(Decimal),
    Money(Money),
    /// Whole seconds; may be negative.
    Duration(i64),
    /// Seconds since 1970-01-01T00:00:00Z, within [`MIN_TIMESTAMP`]..=[`MAX_TIMESTAMP`].
    Timestamp(i64),
    Text(String),
    Enum(EnumValue),
    Record(BTreeMap<String, Value>),
    List(Vec<Value>),
    Quantity(Quantity),
    /// A price per unit, `150.00 EUR per t`; last, so the other values encode as before.
    Rate(Rate),
}

impl Value {
    /// The name of the value's kind, for messages (`money`, `list`, the enum's name).
    pub fn kind_name(&self) -> &str {
        match self {
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Decimal(_) => "decimal",
            Value::Money(_) => "money",
            Value::Duration(_) => "duration",
            Value::Timestamp(_) => "timestamp",
            Value::Text(_) => "text",
            Value::Enum(value) => &value.ty,
            Value::Record(_) => "record",
            Value::List(_) => "list",
            Value::Quantity(_) => "quantity",
            Value::Rate(_) => "rate",
        }
    }

    /// Equality as the language defines it: numeric for decimals (`1.50 == 1.5`), structural
    /// otherwise. `Int(1)` and `Decimal(1)` are equal too, since the checker lets ints widen.
    pub fn lang_eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Decimal(a), Value::Decimal(b)) => a.cmp_value(*b).is_eq(),
            (Value::Quantity(a), Value::Quantity(b)) => a.compare(*b).is_ok_and(|o| o.is_eq()),
            (Value::Int(a), Value::Decimal(b)) | (Value::Decimal(b), Value::Int(a)) => {
                Decimal::from_int(*a).cmp_value(*b).is_eq()
            }
            (Value::List(a), Value::List(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.lang_eq(y))
            }
            (Value::Record(a), Value::Record(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, va), (kb, vb))| ka == kb && va.lang_eq(vb))
            }
            _ => self == other,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Decimal(d) => write!(f, "{d}"),
            Value::Money(m) => write!(f, "{m}"),
            Value::Quantity(q) => write!(f, "{q}"),
            Value::Rate(rate) => write!(f, "{rate}"),
            Value::Duration(seconds) => write!(f, "{}", DisplayDuration(*seconds)),
            Value::Timestamp(seconds) => write!(f, "{}", DisplayTimestamp(*seconds)),
            Value::Text(text) => write!(f, "{}", DisplayText(text)),
            Value::Enum(value) => f.write_str(&value.variant),
            Value::Record(fields) => {
                if fields.is_empty() {
                    return f.write_str("{}");
                }
                f.write_str("{ ")?;
                for (i, (name, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {value}")?;
                }
                f.write_str(" }")
            }
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// Prints seconds as a duration literal: `42d`, `1d12h`, `90s` → `1m30s`, `0s`, `-2h`.
pub struct DisplayDuration(pub i64);

impl fmt::Display for DisplayDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0.unsigned_abs();
        if rest == 0 {
            return f.write_str("0s");
        }
        if self.0 < 0 {
            f.write_str("-")?;
        }
        for (unit, suffix) in [(86_400u64, 'd'), (3_600, 'h'), (60, 'm'), (1, 's')] {
            let count = rest / unit;
            rest %= unit;
            if count > 0 {
                write!(f, "{count}{suffix}")?;
            }
        }
        Ok(())
    }
}

/// Prints Unix seconds as an RFC 3339 UTC timestamp: `2026-03-01T00:00:00Z`. Values outside the
/// representable years 1–9999 print as `timestamp(<seconds>)` instead of a wrong date.
pub struct DisplayTimestamp(pub i64);

impl fmt::Display for DisplayTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !(MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(&self.0) {
            return write!(f, "timestamp({})", self.0);
        }
        let days = self.0.div_euclid(86_400);
        let second_of_day = self.0.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            second_of_day / 3_600,
            second_of_day % 3_600 / 60,
            second_of_day % 60
        )
    }
}

/// Prints text as a string literal with `\"`, `\\`, `\n`, `\r` and `\t` escaped.
pub struct DisplayText<'a>(pub &'a str);

impl fmt::Display for DisplayText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for c in self.0.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                // Controls and bidi overrides from someone else's text, shown visibly.
                c if crate::untrusted::is_unsafe(c) => write!(f, "\\u{{{:x}}}", u32::from(c))?,
                c => write!(f, "{c}")?,
            }
        }
        f.write_str("\"")
    }
}

/// Days since 1970-01-01 → (year, month, day) in the proleptic Gregorian calendar.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of each 400-year era.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month, day) → days since 1970-01-01; `None` for an impossible date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let shifted_month = i64::from(if month > 2 { month - 3 } else { month + 9 });
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// A type of the language.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Type {
    Bool,
    Int,
    Decimal,
    Money,
    Duration,
    Timestamp,
    Text,
    /// An enum declared in the vocabulary, by name.
    Enum(String),
    List(Box<Type>),
    Record(BTreeMap<String, Type>),
    /// A quantity of some unit of this dimension (`quantity<mass>`, written also
    /// `quantity<kg>`); last, so the other types encode as before.
    Quantity(Dimension),
    /// A price per unit of this dimension (`rate<mass>`, written also `rate<t>`); after
    /// `Quantity` for the same reason.
    Rate(Dimension),
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => f.write_str("bool"),
            Type::Int => f.write_str("int"),
            Type::Decimal => f.write_str("decimal"),
            Type::Money => f.write_str("money"),
            Type::Duration => f.write_str("duration"),
            Type::Timestamp => f.write_str("timestamp"),
            Type::Text => f.write_str("text"),
            Type::Enum(name) => f.write_str(name),
            Type::Quantity(dimension) => write!(f, "quantity<{dimension}>"),
            Type::Rate(dimension) => write!(f, "rate<{dimension}>"),
            Type::List(element) => write!(f, "list<{element}>"),
            Type::Record(fields) => {
                if fields.is_empty() {
                    return f.write_str("{}");
                }
                f.write_str("{ ")?;
                for (i, (name, ty)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {ty}")?;
                }
                f.write_str(" }")
            }
        }
    }
}

/// Why a value does not have the type a declaration asks for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TypeMismatch {
    #[error("{path}expected {expected}, found {found}")]
    Kind {
        path: String,
        expected: String,
        found: String,
    },
    #[error("{path}`{variant}` is not a variant of enum `{ty}`")]
    UnknownVariant {
        path: String,
        ty: String,
        variant: String,
    },
    #[error("{path}the record lacks field `{field}`")]
    MissingField { path: String, field: String },
    #[error("{path}the record has no field `{field}`")]
    ExtraField { path: String, field: String },
    #[error("{path}timestamp {seconds} is outside the years 1 to 9999")]
    TimestampRange { path: String, seconds: i64 },
}

/// Checks that `value` has type `ty`, looking enum variants up through `enum_variants`
/// (enum name → variants in declaration order). An `Int` is accepted where a decimal is
/// expected only if callers widen it first; here the match is exact.
pub fn check_value_type<'v>(
    value: &Value,
    ty: &Type,
    enum_variants: &dyn Fn(&str) -> Option<&'v [String]>,
) -> Result<(), TypeMismatch> {
    check_value_at(value, ty, enum_variants, &mut Vec::new())
}

fn check_value_at<'v>(
    value: &Value,
    ty: &Type,
    enum_variants: &dyn Fn(&str) -> Option<&'v [String]>,
    path: &mut Vec<String>,
) -> Result<(), TypeMismatch> {
    let at = |path: &Vec<String>| {
        if path.is_empty() {
            String::new()
        } else {
            format!("at {}: ", path.join(""))
        }
    };
    match (ty, value) {
        (Type::Bool, Value::Bool(_))
        | (Type::Int, Value::Int(_))
        | (Type::Decimal, Value::Decimal(_))
        | (Type::Money, Value::Money(_))
        | (Type::Duration, Value::Duration(_))
        | (Type::Text, Value::Text(_)) => Ok(()),
        (Type::Quantity(dimension), Value::Quantity(q)) if q.unit.dimension() == *dimension => {
            Ok(())
        }
        (Type::Quantity(_), Value::Quantity(q)) => Err(TypeMismatch::Kind {
            path: at(path),
            expected: ty.to_string(),
            found: format!("{} (a quantity of {})", q.unit, q.unit.dimension()),
        }),
        (Type::Rate(dimension), Value::Rate(rate)) if rate.per.dimension() == *dimension => Ok(()),
        (Type::Rate(_), Value::Rate(rate)) => Err(TypeMismatch::Kind {
            path: at(path),
            expected: ty.to_string(),
            found: format!(
                "a rate per {} (a unit of {})",
                rate.per,
                rate.per.dimension()
            ),
        }),
        (Type::Timestamp, Value::Timestamp(seconds)) => {
            if (MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(seconds) {
                Ok(())
            } else {
                Err(TypeMismatch::TimestampRange {
                    path: at(path),
                    seconds: *seconds,
                })
            }
        }
        (Type::Enum(name), Value::Enum(found)) if found.ty == *name => {
            let known =
                enum_variants(name).is_some_and(|variants| variants.contains(&found.variant));
            if known {
                Ok(())
            } else {
                Err(TypeMismatch::UnknownVariant {
                    path: at(path),
                    ty: name.clone(),
                    variant: found.variant.clone(),
                })
            }
        }
        (Type::List(element), Value::List(items)) => {
            for (index, item) in items.iter().enumerate() {
                path.push(format!("[{index}]"));
                check_value_at(item, element, enum_variants, path)?;
                path.pop();
            }
            Ok(())
        }
        (Type::Record(fields), Value::Record(values)) => {
            if let Some(extra) = values.keys().find(|name| !fields.contains_key(*name)) {
                return Err(TypeMismatch::ExtraField {
                    path: at(path),
                    field: extra.clone(),
                });
            }
            for (name, field_ty) in fields {
                let Some(field_value) = values.get(name) else {
                    return Err(TypeMismatch::MissingField {
                        path: at(path),
                        field: name.clone(),
                    });
                };
                path.push(format!(".{name}"));
                check_value_at(field_value, field_ty, enum_variants, path)?;
                path.pop();
            }
            Ok(())
        }
        _ => Err(TypeMismatch::Kind {
            path: at(path),
            expected: ty.to_string(),
            found: value.kind_name().to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(minor: i64) -> Money {
        Money {
            minor,
            currency: Currency::parse("EUR").unwrap(),
        }
    }

    #[test]
    fn money_prints_with_the_currency_minor_unit() {
        assert_eq!(eur(15000).to_string(), "150.00 EUR");
        assert_eq!(eur(-5).to_string(), "-0.05 EUR");
        let yen = Money {
            minor: 1500,
            currency: Currency::parse("JPY").unwrap(),
        };
        assert_eq!(yen.to_string(), "1500 JPY");
        let dinar = Money {
            minor: 1,
            currency: Currency::parse("KWD").unwrap(),
        };
        assert_eq!(dinar.to_string(), "0.001 KWD");
        let min = Money {
            minor: i64::MIN,
            currency: Currency::parse("EUR").unwrap(),
        };
        assert_eq!(min.to_string(), "-92233720368547758.08 EUR");
    }

    #[test]
    fn currencies_are_validated() {
        assert!(matches!(
            Currency::parse("eur"),
            Err(CurrencyError::Malformed(_))
        ));
        assert!(matches!(
            Currency::parse("EURO"),
            Err(CurrencyError::Malformed(_))
        ));
        assert!(matches!(
            Currency::parse("XYZ"),
            Err(CurrencyError::Unknown(_))
        ));
        assert_eq!(Currency::parse("CNY").unwrap().minor_units(), 2);
        assert_eq!(Currency::parse("KRW").unwrap().minor_units(), 0);
        let codes: Vec<_> = Currency::known_codes().collect();
        let mut sorted = codes.clone();
        sorted.sort();
        assert_eq!(codes, sorted);
    }

    #[test]
    fn decimals_print_and_compare_exactly() {
        assert_eq!(Decimal::new(5, 3).unwrap().to_string(), "0.005");
        assert_eq!(Decimal::new(-150, 2).unwrap().to_string(), "-1.50");
        assert_eq!(Decimal::new(7, 0).unwrap().to_string(), "7");
        assert!(Decimal::new(1, 19).is_none());
        assert!(Decimal::new(150, 2)
            .unwrap()
            .cmp_value(Decimal::new(15, 1).unwrap())
            .is_eq());
        assert!(Decimal::new(i64::MAX, 0)
            .unwrap()
            .cmp_value(Decimal::new(i64::MAX, 18).unwrap())
            .is_gt());
        assert_eq!(
            Decimal::new(1500, 3).unwrap().normalized(),
            Decimal::new(15, 1).unwrap()
        );
    }

    #[test]
    fn durations_print_as_literals() {
        assert_eq!(DisplayDuration(42 * 86_400).to_string(), "42d");
        assert_eq!(DisplayDuration(86_400 + 12 * 3_600).to_string(), "1d12h");
        assert_eq!(DisplayDuration(90).to_string(), "1m30s");
        assert_eq!(DisplayDuration(0).to_string(), "0s");
        assert_eq!(DisplayDuration(-7_200).to_string(), "-2h");
        assert!(DisplayDuration(i64::MIN).to_string().starts_with('-'));
    }

    #[test]
    fn timestamps_print_as_rfc3339() {
        assert_eq!(DisplayTimestamp(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(
            DisplayTimestamp(1_772_323_200).to_string(),
            "2026-03-01T00:00:00Z"
        );
        assert_eq!(
            DisplayTimestamp(MIN_TIMESTAMP).to_string(),
            "0001-01-01T00:00:00Z"
        );
        assert_eq!(
            DisplayTimestamp(MAX_TIMESTAMP).to_string(),
            "9999-12-31T23:59:59Z"
        );
        assert_eq!(DisplayTimestamp(-1).to_string(), "1969-12-31T23:59:59Z");
        assert_eq!(
            DisplayTimestamp(i64::MAX).to_string(),
            format!("timestamp({})", i64::MAX)
        );
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [-719_162, -1, 0, 59, 60, 11_016, 20_513, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), Some(days));
        }
        assert_eq!(days_from_civil(2024, 2, 29), Some(19_782));
        assert_eq!(days_from_civil(2023, 2, 29), None);
        assert_eq!(days_from_civil(2100, 2, 29), None);
        assert_eq!(days_from_civil(2000, 2, 29), Some(11_016));
    }

    #[test]
    fn values_print_in_literal_syntax() {
        let list = Value::List(vec![Value::Text("a\"b".into()), Value::Int(-3)]);
        assert_eq!(list.to_string(), r#"["a\"b", -3]"#);
        let mut fields = BTreeMap::new();
        fields.insert("z".to_string(), Value::Bool(true));
        fields.insert("a".to_string(), Value::Money(eur(100)));
        assert_eq!(
            Value::Record(fields).to_string(),
            "{ a: 1.00 EUR, z: true }"
        );
        let level = Value::Enum(EnumValue {
            ty: "alert_level".into(),
            variant: "red".into(),
        });
        assert_eq!(level.to_string(), "red");
        assert_eq!(
            Type::List(Box::new(Type::Enum("alert_level".into()))).to_string(),
            "list<alert_level>"
        );
    }

    #[test]
    fn values_round_trip_through_canonical_cbor() {
        let mut fields = BTreeMap::new();
        fields.insert("price".to_string(), Value::Money(eur(1_200_000)));
        fields.insert("due".to_string(), Value::Timestamp(1_772_323_200));
        fields.insert(
            "rate".to_string(),
            Value::Decimal(Decimal::new(5, 3).unwrap()),
        );
        fields.insert(
            "regions".to_string(),
            Value::List(vec![Value::Text("Guangdong".into())]),
        );
        fields.insert("wait".to_string(), Value::Duration(-3_600));
        let value = Value::Record(fields);
        let bytes = pactum_canonical::to_vec(&value).unwrap();
        let back: Value = pactum_canonical::from_slice(&bytes).unwrap();
        assert_eq!(back, value);
        assert_eq!(pactum_canonical::to_vec(&back).unwrap(), bytes);
    }

    #[test]
    fn deserialization_rejects_unknown_currency_and_huge_scale() {
        let bad_currency = pactum_canonical::to_vec(&Value::Text("x".into())).unwrap();
        assert!(pactum_canonical::from_slice::<Money>(&bad_currency).is_err());
        #[derive(Serialize)]
        struct Raw {
            mantissa: i64,
            scale: u8,
        }
        let bytes = pactum_canonical::to_vec(&Raw {
            mantissa: 1,
            scale: 40,
        })
        .unwrap();
        assert!(pactum_canonical::from_slice::<Decimal>(&bytes).is_err());
        #[derive(Serialize)]
        struct RawMoney {
            minor: i64,
            currency: &'static str,
        }
        let bytes = pactum_canonical::to_vec(&RawMoney {
            minor: 1,
            currency: "ABC",
        })
        .unwrap();
        assert!(pactum_canonical::from_slice::<Money>(&bytes).is_err());
    }

    #[test]
    fn value_types_are_checked_deeply() {
        let variants = vec!["green".to_string(), "red".to_string()];
        let lookup = |name: &str| (name == "level").then_some(variants.as_slice());
        let list_ty = Type::List(Box::new(Type::Enum("level".into())));
        let good = Value::List(vec![Value::Enum(EnumValue {
            ty: "level".into(),
            variant: "red".into(),
        })]);
        assert_eq!(check_value_type(&good, &list_ty, &lookup), Ok(()));
        let bad = Value::List(vec![Value::Enum(EnumValue {
            ty: "level".into(),
            variant: "purple".into(),
        })]);
        assert_eq!(
            check_value_type(&bad, &list_ty, &lookup)
                .unwrap_err()
                .to_string(),
            "at [0]: `purple` is not a variant of enum `level`"
        );
        assert!(check_value_type(&Value::Timestamp(i64::MAX), &Type::Timestamp, &lookup).is_err());
        assert!(check_value_type(&Value::Int(1), &Type::Decimal, &lookup).is_err());
    }
}
