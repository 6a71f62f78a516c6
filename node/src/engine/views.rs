//! JSON views of orders and entries for the HTTP API, in the native JSON shared with webhooks
//! and `pactum-verify --format json` ([`verifier::json`]): native values, money objects,
//! ISO 8601 durations, RFC 3339 times, parties with their keys, rules numbered from 1.

use serde_json::{json, Map, Value as Json};
use verifier::{
    json::{self as native, Directory},
    model::Contract,
    state::Status,
};

use super::{order::OrderCore, records::EntryRecord};

/// The order as the operator reads it: terms, facts, obligations, status, breaker state.
pub fn order_view(core: &OrderCore, head_hash: &str, my_role: &str) -> Json {
    let contract = core.contract();
    let directory = Directory::new(contract);
    let state = core.state();
    let status = match &state.status {
        Status::Running => json!({ "state": "running" }),
        Status::Tripped { event, held } => json!({
            "state": "breaker_tripped",
            "event": event.to_string(),
            "held": native::effects(held, &directory),
            "next": "every party reviews: POST /orders/{id}/review with decision approve or discard",
        }),
        Status::InReview { event, reasons } => json!({
            "state": "in_review",
            "event": event.to_string(),
            "reasons": reasons.iter().map(native::reason).collect::<Vec<_>>(),
            "next": "every party reviews: POST /orders/{id}/review with decision discard",
        }),
        Status::Closed { at } => json!({ "state": "closed", "at": native::timestamp(*at) }),
    };
    let facts: Map<String, Json> = state
        .lang
        .facts
        .iter()
        .map(|(kind, event)| {
            (
                kind.clone(),
                json!({ "at": native::timestamp(event.at), "fields": native::values(&event.fields) }),
            )
        })
        .collect();
    json!({
        "order": core.order().to_string(),
        "order_ref": contract.order_ref,
        "role": my_role,
        "sequencer": contract.sequencer,
        "jurisdiction": contract.jurisdiction,
        "parties": directory.parties(),
        "seq": state.seq,
        "head": head_hash,
        "status": status,
        "terms": native::values(state.terms()),
        "facts": facts,
        "obligations": state.obligations.iter()
            .map(|total| native::obligation_total(total, &directory))
            .collect::<Vec<_>>(),
        // The clauses in force: the contract's, as agreements left them.
        "clauses": core.machine().rules(state).bindings().iter().map(|binding| json!({
            "name": binding.name,
            "id": binding.id.to_string(),
            "active": state.active.contains(&binding.name),
            "params": native::values(&binding.params),
        })).collect::<Vec<_>>(),
        "breaker": {
            "max_automatic_amendments": contract.breaker.max_automatic_amendments,
            "window": native::duration(contract.breaker.window_seconds),
            "amendments_in_window": state.window.len(),
            "tripped": matches!(state.status, Status::Tripped { .. }),
        },
    })
}

/// One entry of the history.
pub fn entry_view(
    contract: &Contract,
    record: &EntryRecord,
    body: &verifier::model::EntryBody,
) -> Json {
    let view = native::entry(
        contract,
        &record.entry.hash(),
        body,
        record.entry.signatures.keys().cloned().collect(),
        Some(record.leaf),
    );
    serde_json::to_value(view).unwrap_or(Json::Null)
}
