//! The scenario file format, as read from TOML (before any value is typed).
//!
//! A file holds file-level defaults and one or more `[[scenario]]` tables. Each scenario
//! inherits `clauses`, `inline_clauses`, `jurisdiction`, `params` and `terms` from the file and
//! may override them (`params` and `terms` key by key). See `docs/language.md` for the format.

use std::collections::BTreeMap;

use serde::Deserialize;

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDoc {
    /// Clause files, relative to the scenario file's directory.
    #[serde(default)]
    pub clauses: Vec<String>,
    /// Clause sources written inline (for a clause that only a test needs).
    #[serde(default)]
    pub inline_clauses: Vec<String>,
    pub jurisdiction: Option<String>,
    /// Bound parameters: clause name → parameter name → value.
    #[serde(default)]
    pub params: BTreeMap<String, toml::Table>,
    /// Initial terms.
    #[serde(default)]
    pub terms: toml::Table,
    #[serde(default)]
    pub scenario: Vec<ScenarioDoc>,
}

/// One `[[scenario]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioDoc {
    pub name: String,
    pub clauses: Option<Vec<String>>,
    pub inline_clauses: Option<Vec<String>>,
    pub jurisdiction: Option<String>,
    #[serde(default)]
    pub params: BTreeMap<String, toml::Table>,
    #[serde(default)]
    pub terms: toml::Table,
    #[serde(default)]
    pub events: Vec<EventDoc>,
    /// Terms that must hold after the last event (only the terms listed are compared).
    pub terms_after: Option<toml::Table>,
}

/// One `[[scenario.events]]`: the event and what it must cause.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventDoc {
    pub kind: String,
    /// Event time, RFC 3339 (a string or a TOML date-time).
    pub at: toml::Value,
    #[serde(default)]
    pub fields: toml::Table,
    /// The role of the party whose key signs the event: who exercises an option
    /// (`option.exercised`). Other events need not say.
    pub by: Option<String>,
    #[serde(default)]
    pub expect: ExpectDoc,
}

/// What an event must cause. Anything not listed must not happen: no `effects` means no
/// effects, no `conflict` means no conflict, no `error` means no evaluation error.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectDoc {
    /// Every effect, written as the action that causes it, with literal values:
    /// `set terms.transport_mode = air`, `pay seller -> buyer 150.00 EUR`,
    /// `notify carrier "revise waybill"`, `review "…"`, `activate x`, `deactivate x`.
    /// Compared as a multiset (order does not matter).
    #[serde(default)]
    pub effects: Vec<String>,
    /// Terms two rules tried to set from this event (nothing is applied then).
    #[serde(default)]
    pub conflict: Vec<String>,
    /// Text the evaluation error's message must contain.
    pub error: Option<String>,
    /// Text the reason must contain why the event is refused (an option exercised by
    /// another party, after its deadline or twice): nothing is recorded then.
    pub refused: Option<String>,
    /// Texts that must each appear in the evaluation trace (e.g. why a rule did not fire).
    #[serde(default)]
    pub trace: Vec<String>,
}

/// The `--state` document of `pactum-clause explain`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDoc {
    pub jurisdiction: Option<String>,
    #[serde(default)]
    pub params: BTreeMap<String, toml::Table>,
    #[serde(default)]
    pub terms: toml::Table,
    /// Earlier events, oldest first; the latest of each kind is the fact of that kind.
    #[serde(default)]
    pub facts: Vec<EventDoc>,
    /// Clauses deactivated so far.
    #[serde(default)]
    pub inactive: Vec<String>,
}

/// Merges `overrides` into `base` key by key.
pub fn merged(base: &toml::Table, overrides: &toml::Table) -> toml::Table {
    let mut out = base.clone();
    for (key, value) in overrides {
        out.insert(key.clone(), value.clone());
    }
    out
}
