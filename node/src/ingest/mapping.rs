//! The mapping from standard documents to vocabulary facts, read from TOML.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::IngestError;

/// How EPCIS events and CAP alerts become facts (`docs/ingest.md` describes every key).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Largest document read, in bytes (the HTTP body limit applies too).
    #[serde(default = "default_max_document_bytes")]
    pub max_document_bytes: usize,
    /// Most facts one document may yield.
    #[serde(default = "default_max_facts")]
    pub max_facts: usize,
    pub epcis: EpcisMapping,
    pub cap: CapMapping,
    /// Named tables from document values (location ids, CAP severities…) to fact values.
    #[serde(default)]
    pub tables: BTreeMap<String, BTreeMap<String, String>>,
}

fn default_max_document_bytes() -> usize {
    1024 * 1024
}

fn default_max_facts() -> usize {
    1000
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpcisMapping {
    /// The type of the `bizTransactionList` entry naming the order (`po`); its reference is
    /// the text after the entry's last `:` or `/`.
    pub order_transaction: String,
    /// Event types read (`ObjectEvent`, `TransformationEvent`); any other is an error.
    pub types: Vec<String>,
    pub rules: Vec<EpcisRule>,
}

/// The fact an EPCIS event with this business step becomes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpcisRule {
    /// CBV business step, bare (`departing`); the URN and GS1 web URI forms match too.
    pub biz_step: String,
    /// Vocabulary event kind.
    pub kind: String,
    /// Fact field → where its value comes from (paths relative to the event).
    #[serde(default)]
    pub fields: BTreeMap<String, FieldSource>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapMapping {
    /// Accepted `<status>` values (`Actual`); exercises and tests are refused.
    pub statuses: Vec<String>,
    /// Accepted `<msgType>` values (`Alert`, `Update`).
    pub msg_types: Vec<String>,
    /// Accepted `<urgency>` values.
    pub urgencies: Vec<String>,
    /// Accepted `<certainty>` values.
    pub certainties: Vec<String>,
    /// The `<info>` blocks read: those whose `<language>` starts with this (CAP's default
    /// language, when the element is absent, is `en-US`).
    pub language: String,
    /// Facts go to every open order whose term `route_term` (a list of text)…
    pub route_term: String,
    /// …contains the fact's field `route_field`.
    pub route_field: String,
    pub rules: Vec<CapRule>,
}

/// The fact a CAP `<info>` with this `<event>` becomes, once per `<area>`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapRule {
    /// The `<event>` text, compared without regard to case (`Typhoon`).
    pub event: String,
    pub kind: String,
    #[serde(default)]
    pub fields: BTreeMap<String, FieldSource>,
}

/// Where one fact field comes from: a constant `value`, or the value at `path` in the
/// document, optionally looked up in a `table`, or read as a time with its offset (`time`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSource {
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub table: Option<String>,
    /// An RFC 3339 time with any offset, written as UTC (fractions of a second dropped).
    #[serde(default)]
    pub time: bool,
}

/// A mapping file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error("the ingest mapping is not valid TOML of the expected shape: {0}")]
    Syntax(String),
    #[error("the ingest mapping: {0}")]
    Invalid(String),
}

impl Mapping {
    /// Reads and checks a mapping: every field source has exactly one of `path` and
    /// `value`, every table it names exists, business steps and events have one rule each.
    pub fn parse(text: &str) -> Result<Mapping, MappingError> {
        let mapping: Mapping =
            toml::from_str(text).map_err(|error| MappingError::Syntax(error.to_string()))?;
        mapping.check()?;
        Ok(mapping)
    }

    /// The built-in mapping ([`super::DEFAULT_MAPPING`]).
    pub fn standard() -> Mapping {
        // Checked by a unit test; a broken built-in mapping is a bug of this crate.
        Mapping::parse(super::DEFAULT_MAPPING).unwrap_or_else(|error| {
            unreachable!("the built-in ingest mapping is valid (unit test): {error}")
        })
    }

    fn check(&self) -> Result<(), MappingError> {
        let invalid = |message: String| Err(MappingError::Invalid(message));
        let mut steps = std::collections::BTreeSet::new();
        for rule in &self.epcis.rules {
            if !steps.insert(rule.biz_step.as_str()) {
                return invalid(format!("two epcis rules for bizStep `{}`", rule.biz_step));
            }
            self.check_fields(&format!("epcis rule `{}`", rule.biz_step), &rule.fields)?;
        }
        let mut events = std::collections::BTreeSet::new();
        for rule in &self.cap.rules {
            if !events.insert(rule.event.to_lowercase()) {
                return invalid(format!("two cap rules for event `{}`", rule.event));
            }
            self.check_fields(&format!("cap rule `{}`", rule.event), &rule.fields)?;
            if !rule.fields.contains_key(&self.cap.route_field) {
                return invalid(format!(
                    "cap rule `{}` has no field `{}` (cap.route_field) to route its facts by",
                    rule.event, self.cap.route_field
                ));
            }
        }
        Ok(())
    }

    fn check_fields(
        &self,
        rule: &str,
        fields: &BTreeMap<String, FieldSource>,
    ) -> Result<(), MappingError> {
        for (name, source) in fields {
            let problem = if source.path.is_some() == source.value.is_some() {
                Some("give exactly one of `path` and `value`".to_string())
            } else {
                source
                    .table
                    .as_ref()
                    .filter(|table| !self.tables.contains_key(*table))
                    .map(|table| format!("no table `{table}` in [tables]"))
            };
            if let Some(problem) = problem {
                return Err(MappingError::Invalid(format!(
                    "{rule}, field `{name}`: {problem}"
                )));
            }
        }
        Ok(())
    }

    /// The fact field's value from the document's value `found` at `path`.
    pub(super) fn convert(
        &self,
        source: &FieldSource,
        found: Value,
        path: &str,
    ) -> Result<Value, IngestError> {
        if source.table.is_none() && !source.time {
            return Ok(found);
        }
        let Value::String(text) = found else {
            return Err(IngestError::at(path, format!("{found} is not a string")));
        };
        if source.time {
            return super::time::utc(&text)
                .map(Value::String)
                .map_err(|message| IngestError::at(path, message));
        }
        let name = source.table.as_deref().unwrap_or_default();
        match self.tables.get(name).and_then(|table| table.get(&text)) {
            Some(mapped) => Ok(Value::String(mapped.clone())),
            None => Err(IngestError::at(
                path,
                format!("{text:?} is not in the mapping's table `{name}`"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_mapping_is_valid() {
        Mapping::parse(super::super::DEFAULT_MAPPING).unwrap();
    }

    #[test]
    fn a_field_needs_one_source_and_known_tables() {
        let base = super::super::DEFAULT_MAPPING;
        let both = base.replacen(
            "port = { path = \"readPoint.id\" }",
            "port = { path = \"readPoint.id\", value = \"x\" }",
            1,
        );
        assert!(
            matches!(Mapping::parse(&both), Err(MappingError::Invalid(m)) if m.contains("exactly one"))
        );
        let table = base.replacen(
            "port = { path = \"readPoint.id\" }",
            "port = { path = \"readPoint.id\", table = \"nowhere\" }",
            1,
        );
        assert!(
            matches!(Mapping::parse(&table), Err(MappingError::Invalid(m)) if m.contains("nowhere"))
        );
    }
}
