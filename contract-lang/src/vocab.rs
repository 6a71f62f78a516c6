//! The vocabulary of a program: the enums, the order terms and the event kinds that its
//! `enum`, `terms` and `event` items declare. Clauses are checked against it, and callers use it
//! to reject malformed events and terms before anything is evaluated.

use crate::eval::Event;
use crate::value::{check_value_type, Type, TypeMismatch, Value, MAX_TIMESTAMP, MIN_TIMESTAMP};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Every event has this field implicitly: its event time.
pub const EVENT_TIME_FIELD: &str = "at";

/// The event kind by which a party exercises an option a clause grants it. A vocabulary that
/// lets clauses declare options declares it with two `text` fields: the clause
/// ([`OPTION_CLAUSE_FIELD`]) and the option's name ([`OPTION_NAME_FIELD`]).
pub const OPTION_EXERCISED: &str = "option.exercised";
pub const OPTION_CLAUSE_FIELD: &str = "clause_name";
pub const OPTION_NAME_FIELD: &str = "option_name";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vocabulary {
    /// Enum name → variants in declaration order (first is smallest).
    pub enums: BTreeMap<String, Vec<String>>,
    /// Term name → type.
    pub terms: BTreeMap<String, Type>,
    /// Event kind → declared fields (without the implicit `at: timestamp`).
    pub events: BTreeMap<String, BTreeMap<String, Type>>,
    /// How the vocabulary's `label` items name its words in each language. Read only by
    /// renderings; no clause's IR holds them, so labels never change a clause id. Left out
    /// of the encoding when empty, so a stored program without labels reads back unchanged.
    #[serde(default, skip_serializing_if = "WordLabels::is_empty")]
    pub labels: WordLabels,
}

/// A vocabulary's word labels: glossary key (`term:incoterm`, `noun:customs.cleared`,
/// `field:broker`, `party:forwarder`, `variant:ddp`) → language code → text. German labels
/// of terms, fields and parties carry their article (`die Lieferklausel`); English ones of
/// terms and parties theirs (`the Incoterm`), as the glossary's words do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WordLabels(pub BTreeMap<String, BTreeMap<String, String>>);

impl WordLabels {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The label of glossary key `key` in language `lang`, if the vocabulary gives one.
    pub fn get(&self, key: &str, lang: &str) -> Option<&str> {
        self.0.get(key)?.get(lang).map(String::as_str)
    }
}

/// Why an event or a set of terms does not fit the vocabulary.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VocabError {
    #[error("no event kind `{0}` is declared")]
    UnknownKind(String),
    #[error("event `{kind}` has no field `{field}`")]
    UnknownField { kind: String, field: String },
    #[error("event `{kind}` lacks field `{field}`")]
    MissingField { kind: String, field: String },
    #[error("event `{kind}` field `{field}`: {error}")]
    FieldType {
        kind: String,
        field: String,
        error: Box<TypeMismatch>,
    },
    #[error("event `{kind}` time {at} is outside the years 1 to 9999")]
    EventTime { kind: String, at: i64 },
    #[error("no term `{0}` is declared")]
    UnknownTerm(String),
    #[error("term `{term}`: {error}")]
    TermType {
        term: String,
        error: Box<TypeMismatch>,
    },
}

impl Vocabulary {
    pub fn enum_variants(&self, name: &str) -> Option<&[String]> {
        self.enums.get(name).map(Vec::as_slice)
    }

    /// The type of `field` of events of `kind`, including the implicit `at`.
    pub fn event_field(&self, kind: &str, field: &str) -> Option<Type> {
        if field == EVENT_TIME_FIELD {
            return self.events.contains_key(kind).then_some(Type::Timestamp);
        }
        self.events.get(kind)?.get(field).cloned()
    }

    /// Checks that `value` has type `ty` under this vocabulary's enums.
    pub fn check_value(&self, value: &Value, ty: &Type) -> Result<(), TypeMismatch> {
        check_value_type(value, ty, &|name| self.enum_variants(name))
    }

    /// Accepts an event only if its kind is declared, its time is representable and its fields
    /// are exactly the declared ones, each of its declared type.
    pub fn check_event(&self, event: &Event) -> Result<(), VocabError> {
        let Some(fields) = self.events.get(&event.kind) else {
            return Err(VocabError::UnknownKind(event.kind.clone()));
        };
        if !(MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(&event.at) {
            return Err(VocabError::EventTime {
                kind: event.kind.clone(),
                at: event.at,
            });
        }
        if let Some(extra) = event.fields.keys().find(|name| !fields.contains_key(*name)) {
            return Err(VocabError::UnknownField {
                kind: event.kind.clone(),
                field: extra.clone(),
            });
        }
        for (name, ty) in fields {
            let Some(value) = event.fields.get(name) else {
                return Err(VocabError::MissingField {
                    kind: event.kind.clone(),
                    field: name.clone(),
                });
            };
            self.check_value(value, ty)
                .map_err(|error| VocabError::FieldType {
                    kind: event.kind.clone(),
                    field: name.clone(),
                    error: Box::new(error),
                })?;
        }
        Ok(())
    }

    /// Accepts terms only if each is declared and of its declared type. Terms may be missing:
    /// a rule that reads an unset term does not fire.
    pub fn check_terms(&self, terms: &BTreeMap<String, Value>) -> Result<(), VocabError> {
        for (name, value) in terms {
            let Some(ty) = self.terms.get(name) else {
                return Err(VocabError::UnknownTerm(name.clone()));
            };
            self.check_value(value, ty)
                .map_err(|error| VocabError::TermType {
                    term: name.clone(),
                    error: Box::new(error),
                })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::EnumValue;

    fn vocabulary() -> Vocabulary {
        let mut vocabulary = Vocabulary::default();
        vocabulary
            .enums
            .insert("level".into(), vec!["green".into(), "red".into()]);
        vocabulary.terms.insert("due".into(), Type::Timestamp);
        let mut fields = BTreeMap::new();
        fields.insert("level".to_string(), Type::Enum("level".into()));
        vocabulary.events.insert("weather.alert".into(), fields);
        vocabulary
    }

    fn alert(variant: &str) -> Event {
        let mut fields = BTreeMap::new();
        fields.insert(
            "level".to_string(),
            Value::Enum(EnumValue {
                ty: "level".into(),
                variant: variant.into(),
            }),
        );
        Event {
            kind: "weather.alert".into(),
            at: 0,
            fields,
        }
    }

    #[test]
    fn events_must_match_their_declaration() {
        let vocabulary = vocabulary();
        assert_eq!(vocabulary.check_event(&alert("red")), Ok(()));
        assert!(matches!(
            vocabulary.check_event(&alert("purple")),
            Err(VocabError::FieldType { .. })
        ));
        let mut extra = alert("red");
        extra.fields.insert("at".into(), Value::Timestamp(0));
        assert!(matches!(
            vocabulary.check_event(&extra),
            Err(VocabError::UnknownField { .. })
        ));
        let mut missing = alert("red");
        missing.fields.clear();
        assert!(matches!(
            vocabulary.check_event(&missing),
            Err(VocabError::MissingField { .. })
        ));
        let mut unknown = alert("red");
        unknown.kind = "weather.alarm".into();
        assert_eq!(
            vocabulary.check_event(&unknown),
            Err(VocabError::UnknownKind("weather.alarm".into()))
        );
        let mut late = alert("red");
        late.at = MAX_TIMESTAMP + 1;
        assert!(matches!(
            vocabulary.check_event(&late),
            Err(VocabError::EventTime { .. })
        ));
        assert_eq!(
            vocabulary.event_field("weather.alert", "at"),
            Some(Type::Timestamp)
        );
    }

    #[test]
    fn terms_must_be_declared_and_typed() {
        let vocabulary = vocabulary();
        let mut terms = BTreeMap::new();
        assert_eq!(vocabulary.check_terms(&terms), Ok(()));
        terms.insert("due".to_string(), Value::Int(3));
        assert!(matches!(
            vocabulary.check_terms(&terms),
            Err(VocabError::TermType { .. })
        ));
        terms.clear();
        terms.insert("price".to_string(), Value::Int(3));
        assert_eq!(
            vocabulary.check_terms(&terms),
            Err(VocabError::UnknownTerm("price".into()))
        );
    }
}
