//! `POST /ingest/epcis`, `POST /ingest/cap` on the engine's side: the facts a document yields
//! ([`crate::ingest`]) are routed to their orders, typed against each order's vocabulary,
//! signed with this party's key and run through a copy of each order's state machine, in
//! document order, before any is submitted. A document that does not fit anywhere — a field,
//! an order reference, a type, the attester's authority, a closed order — is refused whole
//! and changes nothing.
//!
//! The facts are then taken with every order this node sequences locked: each order's facts
//! are checked again by its protocol core against the state after its queue, and handed to
//! the cores only if all fit (each order's facts queued in one batch), so an order that
//! changed since the first check refuses the document whole. What no check here can foresee:
//! another party refusing a fact that this node's state machine accepted (a determinism
//! fault), or the sequencer's node of an order sequenced elsewhere refusing a forwarded group
//! (its view can be ahead of this node's).
//! Then the facts before it stay and the answer says which (`409 ingest_incomplete`).

use std::{collections::BTreeMap, sync::Arc};

use contract_lang::Value as LangValue;
use serde_json::{json, Value};
use verifier::model::{OrderId, SignedEvent};

use super::{
    api_impl::{order_id, queued_view},
    driver::{core_error, CALLER},
    protocol_core::{CoreError, Input, Reply},
    queue::{self, FactStatus},
    sequencer::Submitted,
    sources::build_event,
    Inner,
};
use crate::{
    api::ApiError,
    ingest::{Format, MappedFact, Route},
};

/// A fact with its order, signed, checked and ready to submit.
struct Planned {
    path: String,
    order: OrderId,
    kind: String,
    at: String,
    signed: SignedEvent,
}

/// What routing needs to know of an order.
struct Indexed {
    id: OrderId,
    reference: String,
    open: bool,
    terms: BTreeMap<String, LangValue>,
}

impl Inner {
    /// Routes, checks and submits the facts of one document. Returns the answer and whether
    /// any fact waits in the queue (HTTP 202).
    pub(crate) async fn ingest(
        self: &Arc<Self>,
        format: Format,
        facts: Vec<MappedFact>,
        order: Option<String>,
    ) -> Result<(Value, bool), ApiError> {
        let index = self.order_index().await;
        let given = match order.as_deref() {
            Some(order) => Some(self.given_order(order, &index)?),
            None => None,
        };
        let (routed, skipped) = route(facts, given, &index)?;
        let planned = self.plan(routed).await?;
        if let Some(pause) = &self.config.hooks.ingest_checked {
            pause().await;
        }
        let submitted = self.submit_planned(&planned).await?;
        let mut answers = Vec::with_capacity(planned.len());
        let mut queued = false;
        for (fact, submitted) in planned.into_iter().zip(submitted) {
            let result = match submitted {
                Submitted::Committed(committed) => {
                    self.committed_view(fact.order, committed.seq, committed.entry)
                        .await
                }
                Submitted::Queued { event, position } => {
                    queued = true;
                    queued_view(fact.order, event, position)
                }
            };
            answers.push(json!({
                "path": fact.path,
                "order": fact.order.to_string(),
                "kind": fact.kind,
                "at": fact.at,
                "result": result,
            }));
        }
        Ok((
            json!({ "format": format.name(), "facts": answers, "skipped": skipped }),
            queued,
        ))
    }

    /// Submits the planned facts, grouped by order; what became of each. Every order of the
    /// document is locked (in id order, so two documents cannot deadlock) and each group is
    /// checked against its order's state after the facts already queued for it; only if all
    /// fit are they handed to the cores, each group queued in one batch: a fact that no longer
    /// fits (the order changed since [`Inner::plan`]) refuses the document and nothing is
    /// taken. The groups of orders sequenced here are taken with the locks held; then the
    /// others are forwarded to their sequencers, each group taken there whole or refused.
    async fn submit_planned(
        self: &Arc<Self>,
        planned: &[Planned],
    ) -> Result<Vec<Submitted>, ApiError> {
        let mut groups: BTreeMap<OrderId, Vec<usize>> = BTreeMap::new();
        for (index, fact) in planned.iter().enumerate() {
            groups.entry(fact.order).or_default().push(index);
        }
        let events = |indices: &[usize]| -> Vec<SignedEvent> {
            indices.iter().map(|i| planned[*i].signed.clone()).collect()
        };
        let mut locked = Vec::new();
        for (order, indices) in groups {
            let slot = self
                .slot(&order)
                .ok_or_else(|| ApiError::unknown_order(&order.to_string()))?;
            let guard = slot.clone().lock_owned().await;
            locked.push((slot, guard, indices));
        }
        for (_, guard, indices) in &mut locked {
            if let Err(error) = guard.protocol.check_facts(&events(indices), true) {
                return Err(group_error(&error, planned, indices, 0));
            }
        }
        let mut results: Vec<Option<Submitted>> = vec![None; planned.len()];
        let mut done = 0;
        let mut forwarded = Vec::new();
        for (slot, mut guard, indices) in locked {
            if !guard.protocol.is_sequencer() {
                forwarded.push((slot, indices));
                continue;
            }
            let input = Input::Facts {
                events: events(&indices),
                verified: true,
                caller: CALLER,
            };
            let outcome = self.drive(&mut guard, input).await;
            let failure = match (outcome.failed, outcome.reply) {
                (Some(error), _) => Some(error),
                (None, Some(Err(error))) => Some(group_error(&error, planned, &indices, done)),
                _ => None,
            };
            for &index in &indices {
                let status = self.fact_status(&guard, &planned[index].signed.hash());
                match (status, &failure) {
                    (Some(FactStatus::Committed(committed)), _) => {
                        results[index] = Some(Submitted::Committed(committed));
                    }
                    (Some(FactStatus::Queued { position }), _) => {
                        let event = planned[index].signed.hash();
                        results[index] = Some(Submitted::Queued { event, position });
                    }
                    // A party's node refused a fact this node's check accepted (a
                    // determinism fault), or the store failed: the facts before it stay.
                    (Some(FactStatus::Refused { code, message }), _) => {
                        let error = ApiError::conflict(&code, message);
                        return Err(incomplete(error, &planned[index].path, done));
                    }
                    (None, Some(error)) => {
                        return Err(incomplete(error.clone(), &planned[index].path, done))
                    }
                    (None, None) => {
                        let error = ApiError::internal("a fact of the group was not taken");
                        return Err(incomplete(error, &planned[index].path, done));
                    }
                }
                done += 1;
            }
        }
        for (slot, indices) in forwarded {
            let group = events(&indices);
            let input = |caller| Input::Facts {
                events: group,
                verified: true,
                caller,
            };
            let places = match self.drive_and_wait_core(&slot, input).await? {
                Ok(Reply::Group(places)) if places.len() == indices.len() => places,
                Ok(other) => {
                    let error = ApiError::internal(format!("the core answered {other:?}"));
                    return Err(group_error_api(error, planned, &indices, done));
                }
                Err(error) => return Err(group_error(&error, planned, &indices, done)),
            };
            for (index, place) in indices.iter().zip(places) {
                results[*index] = Some(queue::submitted_reply(place)?);
                done += 1;
            }
        }
        Ok(results.into_iter().flatten().collect())
    }

    /// Every order in memory, with what routing reads.
    async fn order_index(&self) -> Vec<Indexed> {
        let slots: Vec<_> = self
            .orders
            .read()
            .map(|orders| orders.values().cloned().collect())
            .unwrap_or_default();
        let mut index = Vec::with_capacity(slots.len());
        for slot in slots {
            let slot = slot.lock().await;
            let state = slot.protocol.core().state();
            index.push(Indexed {
                id: state.order,
                reference: slot.protocol.core().contract().order_ref.clone(),
                open: !state.status.is_closed(),
                terms: state.lang.terms.clone(),
            });
        }
        index.sort_by_key(|order| order.id.0);
        index
    }

    /// The order `?order=` names: its id, or its reference.
    fn given_order(&self, order: &str, index: &[Indexed]) -> Result<OrderId, ApiError> {
        if order.len() == 64 {
            let id = order_id(order)?;
            return match self.slot(&id) {
                Some(_) => Ok(id),
                None => Err(ApiError::unknown_order(order)),
            };
        }
        by_reference(order, index)
            .map_err(|message| ApiError::new(404, "unknown_order", format!("`order`: {message}")))
    }

    /// Each fact typed, signed and applied to a copy of its order's state, in document order.
    async fn plan(&self, routed: Vec<(MappedFact, OrderId)>) -> Result<Vec<Planned>, ApiError> {
        let mut cores = std::collections::HashMap::new();
        let mut planned = Vec::with_capacity(routed.len());
        for (fact, order) in routed {
            let slot = self
                .slot(&order)
                .ok_or_else(|| ApiError::unknown_order(&order.to_string()))?;
            let slot = slot.lock().await;
            let at_path = |error: ApiError| prefixed(error, &fact.path);
            let program = self
                .program(&slot.record.sources)
                .map_err(ApiError::internal)?;
            let signed = build_event(&fact.event, order, &program)
                .map_err(at_path)?
                .sign(&self.config.key)
                .map_err(|error| at_path(ApiError::invalid("invalid_event", error.to_string())))?;
            let core = cores
                .entry(order)
                .or_insert_with(|| slot.protocol.core().clone());
            // A fact already recorded or queued is answered as the first time: nothing to check.
            if self.fact_status(&slot, &signed.hash()).is_none() {
                let sealed = core
                    .prepare_event(slot.protocol.seen(), &signed)
                    .map_err(|refusal| at_path(refusal.to_api()))?;
                core.advance(sealed.state);
            }
            planned.push(Planned {
                path: fact.path,
                order,
                kind: fact.event.kind,
                at: fact.event.at,
                signed,
            });
        }
        Ok(planned)
    }
}

/// Each fact with its order; facts routed to no order, with why.
type Routed = (Vec<(MappedFact, OrderId)>, Vec<Value>);

fn route(
    facts: Vec<MappedFact>,
    given: Option<OrderId>,
    index: &[Indexed],
) -> Result<Routed, ApiError> {
    let mut routed = Vec::new();
    let mut skipped = Vec::new();
    let mut reached = std::collections::BTreeSet::new();
    for fact in facts {
        let orders = match (&fact.route, given) {
            (_, Some(order)) => vec![order],
            (Route::Given, None) => {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    "the document names no order: give ?order=ID or ?order=REFERENCE",
                ))
            }
            (Route::Reference { reference, path }, None) => {
                vec![by_reference(reference, index).map_err(|message| {
                    ApiError::invalid("unknown_reference", format!("{path}: {message}"))
                        .at_path(path.as_str())
                })?]
            }
            (Route::TermContains { term, value }, None) => index
                .iter()
                .filter(|order| order.open && lists(order.terms.get(term), value))
                .map(|order| order.id)
                .collect(),
        };
        if orders.is_empty() {
            skipped.push(json!({
                "path": fact.path,
                "reason": "no open order on this node lists it in its route",
            }));
        }
        for order in orders {
            // One fact per group and order: an order whose route crosses two areas of one
            // alert is warned once.
            if reached.insert((fact.group, order)) {
                routed.push((fact.clone(), order));
            }
        }
    }
    Ok((routed, skipped))
}

/// The one order whose reference is `reference` (an open one if several share it).
fn by_reference(reference: &str, index: &[Indexed]) -> Result<OrderId, String> {
    let matching: Vec<&Indexed> = index
        .iter()
        .filter(|order| order.reference == reference)
        .collect();
    let open: Vec<&Indexed> = matching
        .iter()
        .copied()
        .filter(|order| order.open)
        .collect();
    match (open.as_slice(), matching.as_slice()) {
        ([one], _) | ([], [one]) => Ok(one.id),
        ([], []) => Err(format!(
            "no order with reference {reference:?} on this node"
        )),
        _ => Err(format!(
            "several open orders have reference {reference:?}: give ?order=ID"
        )),
    }
}

/// Whether `term` is a list holding the text `value`.
fn lists(term: Option<&LangValue>, value: &str) -> bool {
    matches!(term, Some(LangValue::List(items))
        if items.iter().any(|item| matches!(item, LangValue::Text(text) if text == value)))
}

/// `error` with the document path of the fact it concerns in front of its message.
fn prefixed(error: ApiError, path: &str) -> ApiError {
    ApiError::new(
        error.status,
        error.code,
        format!("{path}: {}", error.message),
    )
    .at_path(path)
}

/// A core's refusal of the group `indices` (of `planned`) as the API answers it: the path of
/// the fact it names, or (a refusal of the round) of the group's first fact.
fn group_error(error: &CoreError, planned: &[Planned], indices: &[usize], done: usize) -> ApiError {
    let (index, error) = match error {
        CoreError::InGroup { index, refusal } => (*index, refusal.to_api()),
        CoreError::ForwardRefused {
            index: Some(index), ..
        } => (*index, core_error(error)),
        other => (0, core_error(other)),
    };
    at_fact(error, planned, indices, index, done)
}

/// `error` about the group `indices` (of `planned`), at its first fact.
fn group_error_api(
    error: ApiError,
    planned: &[Planned],
    indices: &[usize],
    done: usize,
) -> ApiError {
    at_fact(error, planned, indices, 0, done)
}

/// `error` at the `index`-th fact of the group `indices` (of `planned`).
fn at_fact(
    error: ApiError,
    planned: &[Planned],
    indices: &[usize],
    index: usize,
    done: usize,
) -> ApiError {
    let path = indices
        .get(index)
        .and_then(|index| planned.get(*index))
        .map_or("(document)", |fact| fact.path.as_str());
    incomplete(error, path, done)
}

/// A fact refused after `done` facts of the document were submitted.
fn incomplete(error: ApiError, path: &str, done: usize) -> ApiError {
    if done == 0 {
        return prefixed(error, path);
    }
    ApiError::conflict(
        "ingest_incomplete",
        format!(
            "{path}: {} ({}); the document's {done} facts before it were recorded",
            error.message, error.code
        ),
    )
    .at_path(path)
}
