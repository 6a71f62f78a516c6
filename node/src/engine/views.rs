//! JSON views of orders and entries for the HTTP API: values in the clause language's literal
//! syntax, times in RFC 3339, hashes in hex.

use std::collections::BTreeMap;

use contract_lang::value::{DisplayTimestamp, Money, Value};
use serde_json::{json, Map, Value as Json};
use verifier::{
    model::{Effects, EntryBody, Outcome, ReviewReason, Step},
    state::Status,
    timeline::outcome_summary,
};

use super::{order::OrderCore, records::EntryRecord};

fn time(seconds: i64) -> String {
    DisplayTimestamp(seconds).to_string()
}

fn values(map: &BTreeMap<String, Value>) -> Json {
    Json::Object(
        map.iter()
            .map(|(name, value)| (name.clone(), json!(value.to_string())))
            .collect::<Map<_, _>>(),
    )
}

fn effects_json(effects: &Effects) -> Json {
    json!({
        "amendments": effects.amendments.iter().map(|a| json!({
            "term": a.term,
            "before": a.before.as_ref().map(ToString::to_string),
            "after": a.after.to_string(),
            "clause": a.clause,
            "rule": a.rule,
        })).collect::<Vec<_>>(),
        "activations": effects.activations.iter().map(|a| json!({
            "clause": a.target, "active": a.active, "by": a.clause, "rule": a.rule,
        })).collect::<Vec<_>>(),
        "obligations": effects.obligations.iter().map(|o| json!({
            "kind": o.kind.keyword(), "from": o.from, "to": o.to,
            "amount": o.amount.to_string(), "clause": o.clause, "rule": o.rule,
        })).collect::<Vec<_>>(),
        "notifications": effects.notifications.iter().map(|n| json!({
            "party": n.party, "message": n.message, "clause": n.clause,
        })).collect::<Vec<_>>(),
    })
}

fn reasons_json(reasons: &[ReviewReason]) -> Json {
    Json::Array(
        reasons
            .iter()
            .map(|reason| match reason {
                ReviewReason::Conflict { subject, writers } => json!({
                    "conflict": subject,
                    "writers": writers.iter().map(|w| format!("{}#{}", w.clause, w.rule)).collect::<Vec<_>>(),
                }),
                ReviewReason::Requested {
                    clause,
                    rule,
                    reason,
                } => json!({ "requested": reason, "clause": clause, "rule": rule }),
                ReviewReason::EvaluationError {
                    clause,
                    rule,
                    message,
                } => json!({ "error": message, "clause": clause, "rule": rule }),
            })
            .collect(),
    )
}

/// The order as the operator reads it: terms, facts, obligations, status, breaker state.
pub fn order_view(core: &OrderCore, head_hash: &str, my_role: &str) -> Json {
    let contract = core.contract();
    let state = core.state();
    let status = match &state.status {
        Status::Running => json!({ "state": "running" }),
        Status::Tripped { event, held } => json!({
            "state": "breaker_tripped",
            "event": event.to_string(),
            "held": effects_json(held),
            "next": "every party reviews: POST /orders/{id}/review with decision approve or discard",
        }),
        Status::InReview { event, reasons } => json!({
            "state": "in_review",
            "event": event.to_string(),
            "reasons": reasons_json(reasons),
            "next": "every party reviews: POST /orders/{id}/review with decision discard",
        }),
    };
    let facts: Map<String, Json> = state
        .lang
        .facts
        .iter()
        .map(|(kind, event)| {
            (
                kind.clone(),
                json!({ "at": time(event.at), "fields": values(&event.fields) }),
            )
        })
        .collect();
    json!({
        "order": core.order().to_string(),
        "order_ref": contract.order_ref,
        "role": my_role,
        "sequencer": contract.sequencer,
        "jurisdiction": contract.jurisdiction,
        "parties": contract.parties.iter().map(|(role, key)| (role.clone(), json!(key.to_string()))).collect::<Map<_, _>>(),
        "seq": state.seq,
        "head": head_hash,
        "status": status,
        "terms": values(state.terms()),
        "facts": facts,
        "obligations": state.obligations.iter().map(|total| json!({
            "kind": total.kind.keyword(),
            "from": total.from,
            "to": total.to,
            "amount": Money { minor: total.minor, currency: total.currency }.to_string(),
        })).collect::<Vec<_>>(),
        "clauses": contract.clauses.iter().map(|binding| json!({
            "name": binding.name,
            "id": binding.id.to_string(),
            "active": state.active.contains(&binding.name),
            "params": values(&binding.params),
        })).collect::<Vec<_>>(),
        "breaker": {
            "max_automatic_amendments": contract.breaker.max_automatic_amendments,
            "window_seconds": contract.breaker.window_seconds,
            "amendments_in_window": state.window.len(),
            "tripped": matches!(state.status, Status::Tripped { .. }),
        },
    })
}

/// One entry of the history.
pub fn entry_view(record: &EntryRecord, body: &EntryBody) -> Json {
    let mut view = json!({
        "seq": body.seq,
        "hash": record.entry.hash().to_string(),
        "prev": body.prev.to_string(),
        "state": body.state.to_string(),
        "leaf": record.leaf,
        "signed_by": record.entry.signatures.keys().collect::<Vec<_>>(),
    });
    let Some(object) = view.as_object_mut() else {
        return view;
    };
    match &body.step {
        Step::Genesis => {
            object.insert("kind".into(), json!("genesis"));
            object.insert(
                "summary".into(),
                json!("the order started, signed by every party"),
            );
        }
        Step::Event(step) => {
            object.insert("kind".into(), json!("event"));
            object.insert("summary".into(), json!(outcome_summary(&step.outcome)));
            object.insert("effective_at".into(), json!(time(step.effective_at)));
            if let Ok(event) = step.event.event() {
                object.insert(
                    "event".into(),
                    json!({
                        "kind": event.kind,
                        "at": time(event.at),
                        "fields": values(&event.fields),
                        "attester": step.event.attester.to_string(),
                        "hash": step.event.hash().to_string(),
                    }),
                );
            }
            let outcome = match &step.outcome {
                Outcome::Applied(effects) => json!({ "applied": effects_json(effects) }),
                Outcome::BreakerTripped { held, report } => json!({
                    "breaker_tripped": {
                        "held": effects_json(held),
                        "window_start": time(report.window_start),
                        "effective_at": time(report.effective_at),
                        "policy": {
                            "max_automatic_amendments": report.policy.max_automatic_amendments,
                            "window_seconds": report.policy.window_seconds,
                        },
                        "amendments_in_window": report.in_window.iter().map(|amendment| json!({
                            "seq": amendment.seq,
                            "event": amendment.event_kind,
                            "at": time(amendment.event_at),
                            "fields": values(&amendment.fields),
                            "attester": amendment.attester,
                            "amended": amendment.amendments.iter().map(|a| format!(
                                "{} = {} ({})", a.term, a.after, a.clause)).collect::<Vec<_>>(),
                        })).collect::<Vec<_>>(),
                    }
                }),
                Outcome::ToReview { reasons } => json!({ "to_review": reasons_json(reasons) }),
                Outcome::Paused => json!("paused"),
            };
            object.insert("outcome".into(), outcome);
        }
        Step::Review(step) => {
            object.insert("kind".into(), json!("review"));
            if let Ok(review) = step.review.review() {
                object.insert(
                    "review".into(),
                    json!({
                        "decision": format!("{:?}", review.decision).to_lowercase(),
                        "note": review.note,
                        "signed_by": step.review.signatures.keys().collect::<Vec<_>>(),
                    }),
                );
            }
            object.insert("applied".into(), effects_json(&step.applied));
            object.insert(
                "summary".into(),
                json!("the parties reviewed the order; automatic amendments resume"),
            );
        }
    }
    view
}
