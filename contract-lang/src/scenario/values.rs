//! Scenario values: TOML values and literal text in the language's own syntax, turned into
//! typed [`Value`]s using the type the vocabulary declares for the term, field or parameter.
//!
//! A TOML string is read as a literal of the language (`"150.00 EUR"`, `"42d"`, `"sea"`,
//! `"2026-03-01T00:00:00Z"`), except where the expected type is `text`: there the string is the
//! text itself, so `region = "Guangdong"` needs no inner quotes. TOML booleans, integers, arrays,
//! tables and date-times map to the matching types directly.

use std::collections::BTreeMap;

use crate::ast::{Expr, ExprKind, Literal, UnaryOp};
use crate::syntax;
use crate::value::{Currency, Decimal, Money, Type, Value, MAX_TIMESTAMP, MIN_TIMESTAMP};

/// Looks up the variants of an enum, in declaration order.
pub type EnumLookup<'a> = dyn Fn(&str) -> Option<Vec<String>> + 'a;

/// Converts a TOML value into a value of type `ty`.
pub fn from_toml(value: &toml::Value, ty: &Type, enums: &EnumLookup<'_>) -> Result<Value, String> {
    match (ty, value) {
        (Type::Text, toml::Value::String(text)) => Ok(Value::Text(text.clone())),
        (_, toml::Value::String(source)) => from_source(source, ty, enums),
        (Type::Bool, toml::Value::Boolean(b)) => Ok(Value::Bool(*b)),
        (Type::Int, toml::Value::Integer(i)) => Ok(Value::Int(*i)),
        (Type::Decimal, toml::Value::Integer(i)) => Ok(Value::Decimal(Decimal::from_int(*i))),
        (Type::Timestamp, toml::Value::Datetime(datetime)) => {
            from_source(&datetime.to_string(), ty, enums)
        }
        (Type::List(element), toml::Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                from_toml(item, element, enums).map_err(|error| format!("item {index}: {error}"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::List),
        (Type::Record(fields), toml::Value::Table(table)) => {
            if let Some(extra) = table.keys().find(|key| !fields.contains_key(*key)) {
                return Err(format!("the record has no field `{extra}`"));
            }
            let mut record = BTreeMap::new();
            for (name, field_ty) in fields {
                let field = table
                    .get(name)
                    .ok_or_else(|| format!("the record lacks field `{name}`"))?;
                let field_value = from_toml(field, field_ty, enums)
                    .map_err(|error| format!("field `{name}`: {error}"))?;
                record.insert(name.clone(), field_value);
            }
            Ok(Value::Record(record))
        }
        _ => Err(format!("expected {ty}, found a TOML {}", toml_kind(value))),
    }
}

fn toml_kind(value: &toml::Value) -> &'static str {
    match value {
        toml::Value::String(_) => "string",
        toml::Value::Integer(_) => "integer",
        toml::Value::Float(_) => {
            "float (the language has no floats: write a decimal as a string, e.g. \"8.5\")"
        }
        toml::Value::Boolean(_) => "boolean",
        toml::Value::Datetime(_) => "date-time",
        toml::Value::Array(_) => "array",
        toml::Value::Table(_) => "table",
    }
}

/// Parses `source` as an expression of the language and evaluates it as a constant of type `ty`.
pub fn from_source(source: &str, ty: &Type, enums: &EnumLookup<'_>) -> Result<Value, String> {
    let expr = syntax::parse_expr(source).map_err(|diagnostics| {
        let messages: Vec<&str> = diagnostics.iter().map(|d| d.message.as_str()).collect();
        format!("`{source}` is not a literal: {}", messages.join("; "))
    })?;
    constant(&expr, ty, enums).map_err(|error| format!("`{source}`: {error}"))
}

/// Evaluates a constant expression (a literal, a negated literal, an enum variant or a list of
/// those) as a value of type `ty`.
pub fn constant(expr: &Expr, ty: &Type, enums: &EnumLookup<'_>) -> Result<Value, String> {
    match (&expr.kind, ty) {
        (ExprKind::Literal(literal), _) => literal_value(literal, ty),
        (
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            },
            _,
        ) => negate(constant(operand, ty, enums)?),
        (ExprKind::Name(name), Type::Enum(enum_name)) => {
            let variants =
                enums(enum_name).ok_or_else(|| format!("enum `{enum_name}` is not declared"))?;
            if variants.contains(&name.node) {
                Ok(Value::Enum(crate::value::EnumValue {
                    ty: enum_name.clone(),
                    variant: name.node.clone(),
                }))
            } else {
                Err(format!(
                    "`{}` is not a variant of `{enum_name}` (one of: {})",
                    name.node,
                    variants.join(", ")
                ))
            }
        }
        (ExprKind::List(items), Type::List(element)) => items
            .iter()
            .map(|item| constant(item, element, enums))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::List),
        _ => Err(format!("expected a constant of type {ty}")),
    }
}

fn negate(value: Value) -> Result<Value, String> {
    let overflow = || "the negated value overflows".to_string();
    match value {
        Value::Int(i) => i.checked_neg().map(Value::Int).ok_or_else(overflow),
        Value::Decimal(d) => d
            .mantissa
            .checked_neg()
            .and_then(|mantissa| Decimal::new(mantissa, d.scale))
            .map(Value::Decimal)
            .ok_or_else(overflow),
        Value::Money(m) => m
            .minor
            .checked_neg()
            .map(|minor| Value::Money(Money { minor, ..m }))
            .ok_or_else(overflow),
        Value::Duration(s) => s.checked_neg().map(Value::Duration).ok_or_else(overflow),
        other => Err(format!("a {} cannot be negated", other.kind_name())),
    }
}

fn literal_value(literal: &Literal, ty: &Type) -> Result<Value, String> {
    let mismatch = |found: &str| Err(format!("expected {ty}, found {found}"));
    match (literal, ty) {
        (Literal::Bool(b), Type::Bool) => Ok(Value::Bool(*b)),
        (Literal::Int(i), Type::Int) => Ok(Value::Int(*i)),
        (Literal::Int(i), Type::Decimal) => Ok(Value::Decimal(Decimal::from_int(*i))),
        (Literal::Decimal { mantissa, scale }, Type::Decimal) => Decimal::new(*mantissa, *scale)
            .map(Value::Decimal)
            .ok_or_else(|| "too many decimal places".to_string()),
        (Literal::Percent { mantissa, scale }, Type::Decimal) => scale
            .checked_add(2)
            .and_then(|scale| Decimal::new(*mantissa, scale))
            .map(Value::Decimal)
            .ok_or_else(|| "too many decimal places".to_string()),
        (
            Literal::Money {
                mantissa,
                scale,
                currency,
            },
            Type::Money,
        ) => money(*mantissa, *scale, currency).map(Value::Money),
        (Literal::Duration(parts), Type::Duration) => parts
            .iter()
            .try_fold(0i64, |total, (count, unit)| {
                count
                    .checked_mul(unit.seconds())
                    .and_then(|seconds| total.checked_add(seconds))
            })
            .map(Value::Duration)
            .ok_or_else(|| "the duration overflows".to_string()),
        (Literal::Timestamp(seconds), Type::Timestamp) => {
            if (MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(seconds) {
                Ok(Value::Timestamp(*seconds))
            } else {
                Err("the timestamp is outside the years 1 to 9999".to_string())
            }
        }
        (Literal::Text(text), Type::Text) => Ok(Value::Text(text.clone())),
        (Literal::Bool(_), _) => mismatch("bool"),
        (Literal::Int(_), _) => mismatch("int"),
        (Literal::Decimal { .. }, _) => mismatch("decimal"),
        (Literal::Percent { .. }, _) => mismatch("a percentage"),
        (Literal::Money { .. }, _) => mismatch("money"),
        (Literal::Duration(_), _) => mismatch("duration"),
        (Literal::Timestamp(_), _) => mismatch("timestamp"),
        (Literal::Text(_), _) => mismatch("text"),
    }
}

/// `mantissa × 10^-scale` of `currency`, in minor units; the scale may not exceed the
/// currency's minor unit (`0.005 EUR` is refused rather than rounded).
fn money(mantissa: i64, scale: u8, currency: &str) -> Result<Money, String> {
    let currency = Currency::parse(currency).map_err(|error| error.to_string())?;
    let minor_units = currency.minor_units();
    if scale > minor_units {
        return Err(format!(
            "{currency} has {minor_units} digits after the point; this amount has {scale}"
        ));
    }
    let factor = crate::value::pow10(u32::from(minor_units - scale))
        .ok_or_else(|| "the amount overflows".to_string())?;
    let minor = mantissa
        .checked_mul(factor)
        .ok_or_else(|| "the amount overflows".to_string())?;
    Ok(Money { minor, currency })
}
