//! Facts in from standard feeds, without I/O: a GS1 EPCIS 2.0 JSON capture document or an
//! OASIS CAP 1.2 XML alert becomes a list of vocabulary facts through a [`Mapping`] (TOML,
//! documented in `docs/ingest.md`).
//!
//! The functions here only read the document and the mapping. Each fact says where in the
//! document it came from (`epcisBody.eventList[3]`) and how to find its order ([`Route`]);
//! the engine resolves the orders, types the facts against each order's vocabulary, checks
//! the whole document against the state machine and only then submits anything
//! (`engine/ingest.rs`). A document that does not fit is an [`IngestError`] naming the
//! offending field's path; nothing of it is applied.

mod cap;
mod epcis;
mod mapping;
mod time;

use serde::Serialize;

use crate::api::EventRequest;
pub use mapping::{FieldSource, Mapping, MappingError};

/// The mapping used when the configuration names none (`node/src/ingest/default-mapping.toml`).
pub const DEFAULT_MAPPING: &str = include_str!("default-mapping.toml");

/// The standard a document follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// GS1 EPCIS 2.0, JSON / JSON-LD capture document.
    Epcis,
    /// OASIS CAP 1.2 alert, XML.
    Cap,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Epcis => "epcis",
            Format::Cap => "cap",
        }
    }

    /// `epcis` or `cap`.
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "epcis" => Some(Format::Epcis),
            "cap" => Some(Format::Cap),
            _ => None,
        }
    }

    /// The format of a document from its first character: `{` JSON (EPCIS), `<` XML (CAP).
    pub fn sniff(document: &[u8]) -> Option<Format> {
        let document = document
            .strip_prefix(b"\xEF\xBB\xBF".as_slice())
            .unwrap_or(document);
        let start = document.iter().find(|byte| !byte.is_ascii_whitespace())?;
        match start {
            b'{' => Some(Format::Epcis),
            b'<' => Some(Format::Cap),
            _ => None,
        }
    }
}

/// A document that does not fit: the path of the offending field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{path}: {message}")]
pub struct IngestError {
    /// Where in the document, as `epcisBody.eventList[3].bizStep` or `alert.info[0].severity`;
    /// `(document)` for the document as a whole.
    pub path: String,
    pub message: String,
}

impl IngestError {
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> IngestError {
        IngestError {
            path: path.into(),
            message: message.into(),
        }
    }

    /// An error about the document as a whole (not JSON, too large…).
    pub fn document(message: impl Into<String>) -> IngestError {
        IngestError::at(DOCUMENT, message)
    }
}

/// The path of the whole document in errors.
pub const DOCUMENT: &str = "(document)";

/// How to find the order a fact belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Route {
    /// The order the request names (`?order=`).
    Given,
    /// The order whose `order_ref` is `reference`, named by the document at `path`.
    Reference { reference: String, path: String },
    /// Every open order whose term `term` (a list of text) contains `value`.
    TermContains { term: String, value: String },
}

/// One fact of a document, not yet typed against an order's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappedFact {
    /// Where in the document it came from (`epcisBody.eventList[0]`, `alert.info[0].area[1]`).
    pub path: String,
    /// Facts of one group reach an order at most once: a CAP alert's areas are one group, so
    /// an order whose route crosses two of them gets one fact, from the first.
    pub group: usize,
    pub route: Route,
    pub event: EventRequest,
}

/// Reads `document` in `format` with `mapping`. With `order_given`, every fact goes to the
/// order the request names instead of the one the document names.
pub fn map_document(
    format: Format,
    document: &[u8],
    mapping: &Mapping,
    order_given: bool,
) -> Result<Vec<MappedFact>, IngestError> {
    if document.len() > mapping.max_document_bytes {
        return Err(IngestError::document(format!(
            "the document has {} bytes; the mapping allows at most {} (max_document_bytes)",
            document.len(),
            mapping.max_document_bytes
        )));
    }
    let facts = match format {
        Format::Epcis => epcis::map(document, mapping, order_given)?,
        Format::Cap => cap::map(document, mapping, order_given)?,
    };
    if facts.is_empty() {
        return Err(IngestError::document(
            "the document holds no event the mapping turns into a fact",
        ));
    }
    if facts.len() > mapping.max_facts {
        return Err(IngestError::document(format!(
            "the document yields {} facts; the mapping allows at most {} (max_facts)",
            facts.len(),
            mapping.max_facts
        )));
    }
    Ok(facts)
}

/// A vocabulary fact's fields from a rule's sources: `lookup` finds a source path in the
/// document (its value and its full path), the mapping turns it into the field's value.
fn fields_of<'a>(
    fields: &std::collections::BTreeMap<String, FieldSource>,
    mapping: &Mapping,
    mut lookup: impl FnMut(&str) -> Result<(serde_json::Value, String), IngestError> + 'a,
) -> Result<std::collections::BTreeMap<String, serde_json::Value>, IngestError> {
    let mut out = std::collections::BTreeMap::new();
    for (name, source) in fields {
        let value = match (&source.value, &source.path) {
            (Some(value), _) => value.clone(),
            (None, Some(path)) => {
                let (found, at) = lookup(path)?;
                mapping.convert(source, found, &at)?
            }
            // `Mapping::parse` refuses a source with neither.
            (None, None) => continue,
        };
        out.insert(name.clone(), value);
    }
    Ok(out)
}
