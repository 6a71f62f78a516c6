//! Scenario values: TOML values and literal text in the language's own syntax, turned into
//! typed [`Value`]s using the type the vocabulary declares for the term, field or parameter.
//!
//! A TOML string is read as a literal of the language (`"150.00 EUR"`, `"42d"`, `"sea"`,
//! `"2026-03-01T00:00:00Z"`), except where the expected type is `text`: there the string is the
//! text itself, so `region = "Guangdong"` needs no inner quotes. TOML booleans, integers, arrays,
//! tables and date-times map to the matching types directly.

use std::collections::BTreeMap;

use crate::check::const_value;
use crate::syntax;
use crate::value::{Decimal, Type, Value};
use crate::vocab::Vocabulary;

/// Converts a TOML value into a value of type `ty`.
pub fn from_toml(value: &toml::Value, ty: &Type, vocabulary: &Vocabulary) -> Result<Value, String> {
    match (ty, value) {
        (Type::Text, toml::Value::String(text)) => Ok(Value::Text(text.clone())),
        (_, toml::Value::String(source)) => from_source(source, ty, vocabulary),
        (Type::Bool, toml::Value::Boolean(b)) => Ok(Value::Bool(*b)),
        (Type::Int, toml::Value::Integer(i)) => Ok(Value::Int(*i)),
        (Type::Decimal, toml::Value::Integer(i)) => Ok(Value::Decimal(Decimal::from_int(*i))),
        (Type::Timestamp, toml::Value::Datetime(datetime)) => {
            from_source(&datetime.to_string(), ty, vocabulary)
        }
        (Type::List(element), toml::Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                from_toml(item, element, vocabulary)
                    .map_err(|error| format!("item {index}: {error}"))
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
                let field_value = from_toml(field, field_ty, vocabulary)
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

/// Parses `source` as an expression of the language and evaluates it as a constant of type
/// `ty`, with exactly the rules of a param default (see [`crate::check::const_value`]).
pub fn from_source(source: &str, ty: &Type, vocabulary: &Vocabulary) -> Result<Value, String> {
    let messages = |diagnostics: Vec<crate::span::Diagnostic>| {
        diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let expr = syntax::parse_expr(source)
        .map_err(|diagnostics| format!("`{source}` is not a literal: {}", messages(diagnostics)))?;
    const_value(vocabulary, &expr, ty)
        .map_err(|diagnostics| format!("`{source}`: {}", messages(diagnostics)))
}
