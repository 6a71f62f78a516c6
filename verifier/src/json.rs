//! Native JSON for integrators: the one serialisation of values, entries and effects shared by
//! the node's HTTP API, its webhooks and event stream, and `pactum-verify --format json`.
//!
//! The shapes (documented in `docs/json.md`):
//! * booleans, integers, texts, lists and records as JSON booleans, numbers, strings, arrays
//!   and objects; enum values as their variant's name; decimals as strings (`"8.50"`, exact);
//! * timestamps in RFC 3339 UTC (`"2026-03-01T00:00:00Z"`);
//! * money as `{"amount": "5400.00", "currency": "EUR"}` (the amount a string with the
//!   currency's minor digits, never a float);
//! * quantities as `{"amount": "2.5", "unit": "t"}` (the amount exact, as written; the unit's
//!   code: `g`, `kg`, `t`, `pcs`, `l`, `m3`, `m`, `km`, `TEU`, `FEU`);
//! * prices per unit as `{"amount": "150.00", "currency": "EUR", "per": "t"}`;
//! * durations in ISO 8601 with days, hours, minutes and seconds (`"P42D"`, `"PT72H"`,
//!   `"P1DT12H"`, `"-PT30M"`, `"PT0S"`); a day is 86,400 seconds, as in the clause language;
//! * parties as `{"name": "seller", "key": "<64 hex digits>"}`;
//! * rules as the text shows them: `{"clause": "air_freight_fallback", "rule": 1}`, from 1.
//!
//! [`native_input`] reads those shapes back (money objects, ISO 8601 durations) into the
//! scenario-file notation the node's value parser reads, so what an API returns can be sent
//! back unchanged.

use std::collections::BTreeMap;

use contract_lang::value::{DisplayTimestamp, Money, Type, Value};
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::model::{
    Activation, AgreementStep, Amendment, BreakerReport, Contract, Decision, Digest, Effects,
    EntryBody, KeyBytes, Notification, Obligation, Outcome, ReviewReason, Step, TermChange,
    WindowAmendment,
};
use crate::state::ObligationTotal;

/// A timestamp in RFC 3339 UTC.
pub fn timestamp(seconds: i64) -> String {
    DisplayTimestamp(seconds).to_string()
}

/// A duration in ISO 8601 (`P42D`, `PT72H`, `P1DT12H30M`, `-PT30S`, `PT0S`).
pub fn duration(seconds: i64) -> String {
    if seconds == 0 {
        return "PT0S".into();
    }
    let sign = if seconds < 0 { "-" } else { "" };
    let total = seconds.unsigned_abs();
    let (days, rest) = (total / 86_400, total % 86_400);
    let (hours, minutes, secs) = (rest / 3_600, rest % 3_600 / 60, rest % 60);
    let mut out = format!("{sign}P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if rest > 0 {
        out.push('T');
        for (amount, unit) in [(hours, 'H'), (minutes, 'M'), (secs, 'S')] {
            if amount > 0 {
                out.push_str(&format!("{amount}{unit}"));
            }
        }
    }
    out
}

/// Reads an ISO 8601 duration of days, hours, minutes and seconds (as [`duration`] writes it;
/// weeks `W` are accepted too). Years and months have no fixed length and are refused.
pub fn parse_duration(text: &str) -> Option<i64> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let rest = rest.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return None,
        None => (rest, None),
    };
    let mut total: i64 = 0;
    let mut any = false;
    for (part, units) in [
        (date, &[('W', 604_800), ('D', 86_400)][..]),
        (time.unwrap_or(""), &[('H', 3_600), ('M', 60), ('S', 1)][..]),
    ] {
        let mut digits = String::new();
        let mut allowed = units.iter();
        for c in part.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let (_, factor) = allowed.by_ref().find(|(unit, _)| *unit == c)?;
            let amount: i64 = digits.parse().ok()?;
            total = total.checked_add(amount.checked_mul(*factor)?)?;
            digits.clear();
            any = true;
        }
        if !digits.is_empty() {
            return None;
        }
    }
    if !any {
        return None;
    }
    Some(if negative { -total } else { total })
}

/// Money as `{"amount": "5400.00", "currency": "EUR"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MoneyJson {
    /// Decimal amount with the currency's minor digits, as a string (`"5400.00"`, `"-3.50"`).
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
}

impl From<Money> for MoneyJson {
    fn from(money: Money) -> Self {
        let text = money.to_string();
        let amount = text
            .rsplit_once(' ')
            .map_or(text.as_str(), |(amount, _)| amount);
        MoneyJson {
            amount: amount.to_string(),
            currency: money.currency.code().to_string(),
        }
    }
}

/// A clause-language value as native JSON (see the module documentation).
pub fn value(value: &Value) -> Json {
    match value {
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Decimal(d) => Json::String(d.to_string()),
        Value::Money(m) => serde_json::to_value(MoneyJson::from(*m)).unwrap_or(Json::Null),
        Value::Quantity(q) => serde_json::json!({
            "amount": q.amount.to_string(),
            "unit": q.unit.code(),
        }),
        Value::Rate(rate) => serde_json::json!({
            "amount": MoneyJson::from(rate.price).amount,
            "currency": rate.price.currency.code(),
            "per": rate.per.code(),
        }),
        Value::Duration(seconds) => Json::String(duration(*seconds)),
        Value::Timestamp(seconds) => Json::String(timestamp(*seconds)),
        Value::Text(text) => Json::String(text.clone()),
        Value::Enum(variant) => Json::String(variant.variant.clone()),
        Value::Record(fields) => values(fields),
        Value::List(items) => Json::Array(items.iter().map(self::value).collect()),
    }
}

/// A map of named values (terms, fields, parameters) as a JSON object.
pub fn values(map: &BTreeMap<String, Value>) -> Json {
    Json::Object(
        map.iter()
            .map(|(name, item)| (name.clone(), value(item)))
            .collect::<Map<_, _>>(),
    )
}

/// Rewrites a native JSON value of type `ty` into the scenario-file notation
/// (`{"amount": "5.00", "currency": "EUR"}` → `"5.00 EUR"`, `{"amount": "2.5", "unit": "t"}` →
/// `"2.5 t"`, `"P42D"` → `"42d"`); anything
/// else is returned as it is, so both notations are accepted.
pub fn native_input(json: &Json, ty: &Type) -> Json {
    match (ty, json) {
        (Type::Money, Json::Object(object)) => {
            match (object.get("amount"), object.get("currency"), object.len()) {
                (Some(Json::String(amount)), Some(Json::String(currency)), 2) => {
                    Json::String(format!("{amount} {currency}"))
                }
                _ => json.clone(),
            }
        }
        (Type::Quantity(_), Json::Object(object)) => {
            match (object.get("amount"), object.get("unit"), object.len()) {
                (Some(Json::String(amount)), Some(Json::String(unit)), 2) => {
                    Json::String(format!("{amount} {unit}"))
                }
                _ => json.clone(),
            }
        }
        (Type::Rate(_), Json::Object(object)) => match (
            object.get("amount"),
            object.get("currency"),
            object.get("per"),
            object.len(),
        ) {
            (
                Some(Json::String(amount)),
                Some(Json::String(currency)),
                Some(Json::String(per)),
                3,
            ) => Json::String(format!("{amount} {currency} per {per}")),
            _ => json.clone(),
        },
        (Type::Duration, Json::String(text)) => match parse_duration(text) {
            Some(seconds) => Json::String(format!("{seconds}s")),
            None => json.clone(),
        },
        (Type::List(item), Json::Array(items)) => Json::Array(
            items
                .iter()
                .map(|element| native_input(element, item))
                .collect(),
        ),
        (Type::Record(fields), Json::Object(object)) => Json::Object(
            object
                .iter()
                .map(|(name, field)| {
                    let converted = match fields.get(name) {
                        Some(field_ty) => native_input(field, field_ty),
                        None => field.clone(),
                    };
                    (name.clone(), converted)
                })
                .collect(),
        ),
        _ => json.clone(),
    }
}

/// A party or attester: its name with its key alongside.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartyJson {
    /// The role (`seller`) or the oracle's name.
    pub name: String,
    /// Ed25519 public key, 64 hex digits; absent when the contract does not name the party.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// Names and keys of an order's parties and attesters.
pub struct Directory<'a> {
    contract: &'a Contract,
}

impl<'a> Directory<'a> {
    pub fn new(contract: &'a Contract) -> Self {
        Directory { contract }
    }

    /// A party by role.
    pub fn party(&self, role: &str) -> PartyJson {
        PartyJson {
            name: role.to_string(),
            key: self.contract.parties.get(role).map(ToString::to_string),
        }
    }

    /// An attester by key: its name in the contract (an oracle's name or a party's role).
    pub fn attester(&self, key: &KeyBytes) -> PartyJson {
        let name = self
            .contract
            .attester(key)
            .map(|grant| grant.name.clone())
            .or_else(|| {
                self.contract
                    .parties
                    .iter()
                    .find(|(_, party)| key.is(party))
                    .map(|(role, _)| role.clone())
            })
            .unwrap_or_default();
        PartyJson {
            name,
            key: Some(key.to_string()),
        }
    }

    /// Every party of the order, by role.
    pub fn parties(&self) -> Vec<PartyJson> {
        self.contract
            .parties
            .keys()
            .map(|role| self.party(role))
            .collect()
    }
}

/// The rule an effect comes from, numbered as the text shows it (from 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleJson {
    pub clause: String,
    /// The rule's number in its clause, from 1 in source order.
    pub rule: u64,
}

impl RuleJson {
    pub(crate) fn new(clause: &str, index: u32) -> Self {
        RuleJson {
            clause: clause.to_string(),
            rule: u64::from(index) + 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AmendmentJson {
    pub term: String,
    /// The value before, absent if the term was unset.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<Json>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub after: Json,
    pub source: RuleJson,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivationJson {
    /// The clause switched on or off.
    pub clause: String,
    pub active: bool,
    pub source: RuleJson,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObligationJson {
    /// `pay`, `refund` or `compensate`.
    pub kind: String,
    pub from: PartyJson,
    pub to: PartyJson,
    pub amount: MoneyJson,
    pub source: RuleJson,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationJson {
    pub party: PartyJson,
    pub message: String,
    pub source: RuleJson,
}

/// What one step did: amendments of terms, clauses switched, obligations owed, notifications.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EffectsJson {
    pub amendments: Vec<AmendmentJson>,
    pub activations: Vec<ActivationJson>,
    pub obligations: Vec<ObligationJson>,
    pub notifications: Vec<NotificationJson>,
}

pub fn amendment(a: &Amendment) -> AmendmentJson {
    AmendmentJson {
        term: a.term.clone(),
        before: a.before.as_ref().map(value),
        after: value(&a.after),
        source: RuleJson::new(&a.clause, a.rule),
    }
}

pub fn activation(a: &Activation) -> ActivationJson {
    ActivationJson {
        clause: a.target.clone(),
        active: a.active,
        source: RuleJson::new(&a.clause, a.rule),
    }
}

pub fn obligation(o: &Obligation, directory: &Directory) -> ObligationJson {
    ObligationJson {
        kind: o.kind.keyword().to_string(),
        from: directory.party(&o.from),
        to: directory.party(&o.to),
        amount: o.amount.into(),
        source: RuleJson::new(&o.clause, o.rule),
    }
}

pub fn notification(n: &Notification, directory: &Directory) -> NotificationJson {
    NotificationJson {
        party: directory.party(&n.party),
        message: n.message.clone(),
        source: RuleJson::new(&n.clause, n.rule),
    }
}

pub fn effects(effects: &Effects, directory: &Directory) -> EffectsJson {
    EffectsJson {
        amendments: effects.amendments.iter().map(amendment).collect(),
        activations: effects.activations.iter().map(activation).collect(),
        obligations: effects
            .obligations
            .iter()
            .map(|o| obligation(o, directory))
            .collect(),
        notifications: effects
            .notifications
            .iter()
            .map(|n| notification(n, directory))
            .collect(),
    }
}

/// An obligation total of the order's state.
pub fn obligation_total(total: &ObligationTotal, directory: &Directory) -> ObligationTotalJson {
    ObligationTotalJson {
        kind: total.kind.keyword().to_string(),
        from: directory.party(&total.from),
        to: directory.party(&total.to),
        amount: Money {
            minor: total.minor,
            currency: total.currency,
        }
        .into(),
    }
}

/// The running total owed for one kind, direction and currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObligationTotalJson {
    pub kind: String,
    pub from: PartyJson,
    pub to: PartyJson,
    pub amount: MoneyJson,
}

/// Why an event went to review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ReasonJson {
    /// Several rules wrote `subject` (`terms.NAME` or `clause NAME`) from one event.
    Conflict {
        subject: String,
        writers: Vec<RuleJson>,
    },
    /// A rule's `review "…"` action fired.
    Requested { reason: String, source: RuleJson },
    /// Evaluating a rule failed deterministically.
    EvaluationError { message: String, source: RuleJson },
}

pub fn reason(reason: &ReviewReason) -> ReasonJson {
    match reason {
        ReviewReason::Conflict { subject, writers } => ReasonJson::Conflict {
            subject: subject.clone(),
            writers: writers
                .iter()
                .map(|w| RuleJson::new(&w.clause, w.rule))
                .collect(),
        },
        ReviewReason::Requested {
            clause,
            rule,
            reason,
        } => ReasonJson::Requested {
            reason: reason.clone(),
            source: RuleJson::new(clause, *rule),
        },
        ReviewReason::EvaluationError {
            clause,
            rule,
            message,
        } => ReasonJson::EvaluationError {
            message: message.clone(),
            source: RuleJson::new(clause, *rule),
        },
    }
}

/// The breaker's policy: at most `max_automatic_amendments` within `window`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyJson {
    pub max_automatic_amendments: u32,
    /// ISO 8601 duration.
    pub window: String,
}

/// One automatic amendment inside the breaker's window.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowJson {
    pub seq: u64,
    pub event_kind: String,
    pub event_at: String,
    pub effective_at: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: Json,
    pub attester: String,
    pub event_hash: String,
    pub amendments: Vec<AmendmentJson>,
    pub activations: Vec<ActivationJson>,
}

/// The breaker's root-cause report.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BreakerReportJson {
    pub policy: PolicyJson,
    /// The window is (`window_start`, `effective_at`].
    pub window_start: String,
    pub effective_at: String,
    pub in_window: Vec<WindowJson>,
}

fn window_amendment(a: &WindowAmendment) -> WindowJson {
    WindowJson {
        seq: a.seq,
        event_kind: a.event_kind.clone(),
        event_at: timestamp(a.event_at),
        effective_at: timestamp(a.effective_at),
        fields: values(&a.fields),
        attester: a.attester.clone(),
        event_hash: a.event.to_string(),
        amendments: a.amendments.iter().map(amendment).collect(),
        activations: a.activations.iter().map(activation).collect(),
    }
}

pub fn breaker_report(report: &BreakerReport) -> BreakerReportJson {
    BreakerReportJson {
        policy: PolicyJson {
            max_automatic_amendments: report.policy.max_automatic_amendments,
            window: duration(report.policy.window_seconds),
        },
        window_start: timestamp(report.window_start),
        effective_at: timestamp(report.effective_at),
        in_window: report.in_window.iter().map(window_amendment).collect(),
    }
}

/// What an event led to.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OutcomeJson {
    /// The effects were applied (possibly none).
    Applied { effects: EffectsJson },
    /// The breaker tripped: the effects were held back for review.
    BreakerTripped {
        held: EffectsJson,
        report: BreakerReportJson,
    },
    /// The event went to review (conflict, `review` action, evaluation error).
    ToReview { reasons: Vec<ReasonJson> },
    /// The order waits for review: the fact was recorded, not evaluated.
    Paused,
}

pub fn outcome(outcome: &Outcome, directory: &Directory) -> OutcomeJson {
    match outcome {
        Outcome::Applied(applied) => OutcomeJson::Applied {
            effects: effects(applied, directory),
        },
        Outcome::BreakerTripped { held, report } => OutcomeJson::BreakerTripped {
            held: effects(held, directory),
            report: breaker_report(report),
        },
        Outcome::ToReview { reasons } => OutcomeJson::ToReview {
            reasons: reasons.iter().map(reason).collect(),
        },
        Outcome::Paused => OutcomeJson::Paused,
    }
}

/// A signed fact as recorded.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventJson {
    pub kind: String,
    pub at: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub fields: Json,
    pub attester: PartyJson,
    /// SHA-256 of the signed event's body.
    pub hash: String,
}

/// A review decision signed by every party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewJson {
    /// `approve` or `discard`.
    pub decision: String,
    pub note: String,
    /// When the parties reviewed (RFC 3339).
    pub at: String,
    pub signed_by: Vec<String>,
    /// Terms the parties set with the review, each with its value before.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<TermChangeJson>,
}

/// A term the parties set (by agreement or with a review).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TermChangeJson {
    pub term: String,
    /// The value before, absent if the term was unset.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<Json>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub after: Json,
}

/// A clause parameter an agreement bound.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParamChangeJson {
    pub clause: String,
    pub param: String,
    /// The value before (the clause's default if it was not bound).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<Json>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub after: Json,
}

/// A clause an agreement added (no `before`), removed (no `after`) or upgraded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClauseChangeJson {
    pub clause: String,
    /// The clause id before, in hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// The clause id after, in hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// The parties' amendment of the order by agreement, signed by every party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgreementJson {
    /// When it takes effect (RFC 3339).
    pub at: String,
    pub note: String,
    pub signed_by: Vec<String>,
    pub terms: Vec<TermChangeJson>,
    pub params: Vec<ParamChangeJson>,
    pub clauses: Vec<ClauseChangeJson>,
}

fn term_change(change: &TermChange) -> TermChangeJson {
    TermChangeJson {
        term: change.term.clone(),
        before: change.before.as_ref().map(value),
        after: value(&change.after),
    }
}

fn agreement_json(step: &AgreementStep) -> Option<AgreementJson> {
    let agreement = step.agreement.agreement().ok()?;
    Some(AgreementJson {
        at: timestamp(agreement.at),
        note: agreement.note,
        signed_by: step.agreement.signatures.keys().cloned().collect(),
        terms: step.terms.iter().map(term_change).collect(),
        params: step
            .params
            .iter()
            .map(|change| ParamChangeJson {
                clause: change.clause.clone(),
                param: change.param.clone(),
                before: change.before.as_ref().map(value),
                after: value(&change.after),
            })
            .collect(),
        clauses: step
            .clauses
            .iter()
            .map(|change| ClauseChangeJson {
                clause: change.clause.clone(),
                before: change.before.map(|id| id.to_string()),
                after: change.after.map(|id| id.to_string()),
            })
            .collect(),
    })
}

/// The parties' close of the order, signed by every party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CloseJson {
    /// When the parties closed the order (RFC 3339).
    pub at: String,
    pub note: String,
    pub signed_by: Vec<String>,
}

/// One entry of an order's history.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntryJson {
    pub order: String,
    /// Position in the history; the genesis is 0.
    pub seq: u64,
    /// `genesis`, `event`, `review`, `close` or `agreement`.
    pub kind: String,
    /// SHA-256 of the entry's body.
    pub hash: String,
    pub prev: String,
    /// Hash of the order's state after the entry.
    pub state: String,
    /// The entry's index in the node's Merkle log, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaf_index: Option<u64>,
    /// Roles whose signatures the entry carries.
    pub signed_by: Vec<String>,
    /// One line in English.
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<EventJson>,
    /// The time the breaker measured the event at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<OutcomeJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewJson>,
    /// What a review applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<EffectsJson>,
    /// The facts recorded while the order was paused, evaluated in order after a review.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reevaluated: Option<Vec<ReevaluationJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub close: Option<CloseJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement: Option<AgreementJson>,
}

/// A fact recorded while paused, as evaluated after the review.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReevaluationJson {
    /// The entry that recorded the fact.
    pub seq: u64,
    /// Hash of the signed event.
    pub event_hash: String,
    pub outcome: OutcomeJson,
}

/// An entry of `contract`'s order as native JSON.
pub fn entry(
    contract: &Contract,
    hash: &Digest,
    body: &EntryBody,
    signed_by: Vec<String>,
    leaf_index: Option<u64>,
) -> EntryJson {
    let directory = Directory::new(contract);
    let mut view = EntryJson {
        order: body.order.to_string(),
        seq: body.seq,
        kind: String::new(),
        hash: hash.to_string(),
        prev: body.prev.to_string(),
        state: body.state.to_string(),
        leaf_index,
        signed_by,
        summary: String::new(),
        event: None,
        effective_at: None,
        outcome: None,
        review: None,
        applied: None,
        reevaluated: None,
        close: None,
        agreement: None,
    };
    match &body.step {
        Step::Genesis => {
            view.kind = "genesis".into();
            view.summary = "the order started, signed by every party".into();
        }
        Step::Event(step) => {
            view.kind = "event".into();
            view.summary = crate::timeline::outcome_summary(&step.outcome);
            view.effective_at = Some(timestamp(step.effective_at));
            view.event = step.event.event().ok().map(|event| EventJson {
                kind: event.kind.clone(),
                at: timestamp(event.at),
                fields: values(&event.fields),
                attester: directory.attester(&step.event.attester),
                hash: step.event.hash().to_string(),
            });
            view.outcome = Some(outcome(&step.outcome, &directory));
        }
        Step::Review(step) => {
            view.kind = "review".into();
            view.summary = "the parties reviewed the order; automatic amendments resume".into();
            view.review = step.review.review().ok().map(|review| ReviewJson {
                decision: match review.decision {
                    Decision::Approve => "approve".into(),
                    Decision::Discard => "discard".into(),
                },
                note: review.note,
                at: timestamp(review.at),
                signed_by: step.review.signatures.keys().cloned().collect(),
                terms: step.terms.iter().map(term_change).collect(),
            });
            view.applied = Some(effects(&step.applied, &directory));
            view.reevaluated = Some(
                step.reevaluated
                    .iter()
                    .map(|again| ReevaluationJson {
                        seq: again.seq,
                        event_hash: again.event.to_string(),
                        outcome: outcome(&again.outcome, &directory),
                    })
                    .collect(),
            );
        }
        Step::Close(step) => {
            view.kind = "close".into();
            view.summary = "the parties closed the order; it takes no further event".into();
            view.close = step.close.close().ok().map(|close| CloseJson {
                at: timestamp(close.at),
                note: close.note,
                signed_by: step.close.signatures.keys().cloned().collect(),
            });
        }
        Step::Agreement(step) => {
            view.kind = "agreement".into();
            view.summary =
                "the parties amended the order by agreement; later facts follow the new rules"
                    .into();
            view.agreement = agreement_json(step);
        }
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip_in_iso_8601() {
        for (seconds, text) in [
            (0, "PT0S"),
            (42 * 86_400, "P42D"),
            (72 * 3_600, "P3D"),
            (36 * 3_600, "P1DT12H"),
            (-1_800, "-PT30M"),
            (90_061, "P1DT1H1M1S"),
        ] {
            assert_eq!(duration(seconds), text);
            assert_eq!(parse_duration(text), Some(seconds), "{text}");
        }
        assert_eq!(parse_duration("PT72H"), Some(72 * 3_600));
        assert_eq!(parse_duration("P2W"), Some(14 * 86_400));
        for bad in [
            "", "P", "PT", "P1M", "P1Y", "42d", "P1DT", "PT1D", "P1H", "P1.5D",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(parse_duration("P99999999999999999D"), None);
    }

    #[test]
    fn values_are_native_json() {
        use contract_lang::value::{Currency, Decimal, EnumValue};
        let eur = Currency::EUR;
        let cases = [
            (Value::Bool(true), serde_json::json!(true)),
            (Value::Int(-3), serde_json::json!(-3)),
            (
                Value::Decimal(Decimal {
                    mantissa: 850,
                    scale: 2,
                }),
                serde_json::json!("8.50"),
            ),
            (
                Value::Money(Money {
                    minor: 540_000,
                    currency: eur,
                }),
                serde_json::json!({"amount": "5400.00", "currency": "EUR"}),
            ),
            (
                Value::Money(Money {
                    minor: -5,
                    currency: eur,
                }),
                serde_json::json!({"amount": "-0.05", "currency": "EUR"}),
            ),
            (Value::Duration(42 * 86_400), serde_json::json!("P42D")),
            (
                Value::Timestamp(1_772_323_200),
                serde_json::json!("2026-03-01T00:00:00Z"),
            ),
            (
                Value::Text("Shenzhen".into()),
                serde_json::json!("Shenzhen"),
            ),
            (
                Value::Enum(EnumValue {
                    ty: "transport_mode".into(),
                    variant: "sea".into(),
                }),
                serde_json::json!("sea"),
            ),
            (
                Value::List(vec![Value::Text("CN-GD".into()), Value::Text("HK".into())]),
                serde_json::json!(["CN-GD", "HK"]),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(value(&input), expected, "{input}");
        }
    }

    #[test]
    fn native_input_reads_money_objects_and_iso_durations() {
        let money = serde_json::json!({"amount": "5400.00", "currency": "EUR"});
        assert_eq!(
            native_input(&money, &Type::Money),
            serde_json::json!("5400.00 EUR")
        );
        assert_eq!(
            native_input(&serde_json::json!("P42D"), &Type::Duration),
            serde_json::json!("3628800s")
        );
        // The scenario notation still passes through unchanged.
        assert_eq!(
            native_input(&serde_json::json!("42d"), &Type::Duration),
            serde_json::json!("42d")
        );
        // A text that looks like a duration stays a text.
        assert_eq!(
            native_input(&serde_json::json!("P1D"), &Type::Text),
            serde_json::json!("P1D")
        );
        assert_eq!(
            native_input(
                &serde_json::json!([{"amount": "1.00", "currency": "EUR"}]),
                &Type::List(Box::new(Type::Money))
            ),
            serde_json::json!(["1.00 EUR"])
        );
    }
}
