//! `POST /ingest/epcis`, `POST /ingest/cap` on the engine's side: the facts a document yields
//! ([`crate::ingest`]) are routed to their orders, typed against each order's vocabulary,
//! signed with this party's key and run through a copy of each order's state machine, in
//! document order, before any is submitted. A document that does not fit anywhere — a field,
//! an order reference, a type, the attester's authority, a closed order — is refused whole
//! and changes nothing.
//!
//! The facts are then taken by the node that sequences their orders — one node: a document
//! whose orders have different sequencers is refused before anything is signed
//! (`document_spans_sequencers`), as no node could take it whole. That node locks every
//! order of the document, checks each order's facts again against the state after its queue,
//! and hands them to the cores only if all fit (each order's facts queued in one batch), so an
//! order that changed since the first check refuses the document whole
//! ([`Inner::take_groups`]). A party's node that ingested a document for several orders sends
//! all of them in one request taken the same way ([`Inner::forward_groups`]); one order's facts
//! go through that order's core (queued here while the sequencer's node is away). What no
//! check can foresee: another party refusing a fact the sequencer's state machine accepted (a
//! determinism fault). Then the facts before it stay and the answer says which
//! (`409 ingest_incomplete`).

use std::{collections::BTreeMap, sync::Arc};

use contract_lang::Value as LangValue;
use serde_json::{json, Value};
use verifier::{
    model::{Digest, OrderId, SignedEvent},
    sign::PublicKey,
};

use super::{
    api_impl::{order_id, queued_view},
    driver::{core_error, forwarded_places, CALLER},
    protocol::{ForwardGroup, Request, Response},
    protocol_core::{CoreError, Forwarded, Input, Reply, MAX_FORWARD},
    queue::{self, FactStatus},
    sequencer::Submitted,
    sources::build_event,
    Inner,
};
use crate::{
    api::{ApiError, Code},
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
    /// The role that sequences the order.
    sequencer: String,
    sequencer_key: Option<PublicKey>,
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
        one_sequencer(&routed, &index)?;
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

    /// Submits the planned facts, grouped by order; what became of each. The document's orders
    /// share one sequencer ([`Inner::ingest`] refused it otherwise): this node, whose cores take
    /// every group with the orders locked ([`Inner::take_groups`]); or another node, which gets
    /// all the groups in one request and takes them the same way ([`Inner::forward_groups`]).
    /// A document for one order sequenced elsewhere (at most [`MAX_FORWARD`] facts) goes
    /// through that order's core, which queues it here while the sequencer's node cannot be
    /// reached.
    async fn submit_planned(
        self: &Arc<Self>,
        planned: &[Planned],
    ) -> Result<Vec<Submitted>, ApiError> {
        let mut by_order: BTreeMap<OrderId, Vec<usize>> = BTreeMap::new();
        for (index, fact) in planned.iter().enumerate() {
            by_order.entry(fact.order).or_default().push(index);
        }
        let (orders, indices): (Vec<OrderId>, Vec<Vec<usize>>) = by_order.into_iter().unzip();
        let groups: Vec<Group> = orders
            .iter()
            .zip(&indices)
            .map(|(order, indices)| Group {
                order: *order,
                events: indices.iter().map(|i| planned[*i].signed.clone()).collect(),
            })
            .collect();
        let sequenced_here = match orders.first().and_then(|order| self.slot(order)) {
            Some(slot) => slot.lock().await.protocol.is_sequencer(),
            None => true,
        };
        let places = if sequenced_here {
            self.take_groups(&groups, (self.public, true)).await
        } else {
            if let Some(pause) = &self.config.hooks.ingest_forwarding {
                pause().await;
            }
            match groups.as_slice() {
                // More facts than a core's forward carries go in one request too.
                [one] if one.events.len() <= MAX_FORWARD => {
                    self.forward_group(one).await.map(|places| vec![places])
                }
                _ => self.forward_groups(&groups).await,
            }
        };
        let places = places.map_err(|refused| {
            let path = indices
                .get(refused.group)
                .and_then(|group| group.get(refused.index))
                .map_or("(document)", |index| planned[*index].path.as_str());
            incomplete(refused.error, path, refused.taken)
        })?;
        let mut results: Vec<Option<Submitted>> = vec![None; planned.len()];
        for (group, places) in indices.iter().zip(places) {
            for (index, place) in group.iter().zip(places) {
                results[*index] = Some(place);
            }
        }
        Ok(results.into_iter().flatten().collect())
    }

    /// At the node that sequences every order of `groups` (an ingested document's, or a
    /// party's node's [`crate::engine::protocol::Request::ForwardGroups`]): every order is
    /// locked, in id order, and each group checked by its core against its order's state after
    /// the facts queued for it; only if every group fits are they handed to the cores, each
    /// group queued in one store batch (and the queues drained). Each fact's place, by group.
    /// `verified`: the attesters' signatures were checked already. `from`: this node's key,
    /// or the party key of the node that forwarded them (a stranger's are refused whole).
    pub(crate) async fn take_groups(
        self: &Arc<Self>,
        groups: &[Group],
        (from, verified): (PublicKey, bool),
    ) -> Result<Vec<Vec<Submitted>>, GroupRefused> {
        let mut by_order: BTreeMap<OrderId, usize> = BTreeMap::new();
        for (at, group) in groups.iter().enumerate() {
            if by_order.insert(group.order, at).is_some() {
                let error = ApiError::new(
                    Code::InvalidRequest,
                    format!("order {} has two groups", group.order),
                );
                return Err(GroupRefused::nothing_taken(at, 0, error));
            }
        }
        let mut locked = BTreeMap::new();
        for (order, at) in by_order {
            let slot = self.slot(&order).ok_or_else(|| {
                GroupRefused::nothing_taken(at, 0, ApiError::unknown_order(&order.to_string()))
            })?;
            let guard = slot.lock_owned().await;
            if !guard.protocol.is_sequencer() {
                let error = core_error(&CoreError::NotSequencing);
                return Err(GroupRefused::nothing_taken(at, 0, error));
            }
            locked.insert(at, guard);
        }
        for (at, guard) in &mut locked {
            let events = &groups[*at].events;
            if let Err(error) = guard.protocol.check_facts_from(&from, events, verified) {
                return Err(GroupRefused::core(*at, &error, 0));
            }
        }
        let mut places = Vec::with_capacity(groups.len());
        let mut taken = 0;
        for (at, mut guard) in locked {
            let events = &groups[at].events;
            let input = Input::Facts {
                from,
                events: events.clone(),
                verified: true,
                caller: CALLER,
            };
            let outcome = self.drive(&mut guard, input).await;
            let failure = match (outcome.failed, outcome.reply) {
                (Some(error), _) => Some(GroupRefused::incomplete(at, 0, error, taken)),
                (None, Some(Err(error))) => Some(GroupRefused::core(at, &error, taken)),
                _ => None,
            };
            let mut group = Vec::with_capacity(events.len());
            for (index, event) in events.iter().enumerate() {
                let hash = event.hash();
                match (self.fact_status(&guard, &hash), &failure) {
                    (Some(FactStatus::Committed(committed)), _) => {
                        group.push(Submitted::Committed(committed));
                    }
                    (Some(FactStatus::Queued { position }), _) => {
                        group.push(Submitted::Queued {
                            event: hash,
                            position,
                        });
                    }
                    // A party's node refused a fact this node's check accepted (a
                    // determinism fault), or the store failed: the facts before it stay.
                    (Some(FactStatus::Refused { code, message }), _) => {
                        let error = ApiError::refusal(&code, message);
                        return Err(GroupRefused::incomplete(at, index, error, taken));
                    }
                    (None, Some(refused)) => return Err(refused.clone()),
                    (None, None) => {
                        let error = ApiError::internal("a fact of the group was not taken");
                        return Err(GroupRefused::incomplete(at, index, error, taken));
                    }
                }
                taken += 1;
            }
            places.push(group);
        }
        Ok(places)
    }

    /// One order's facts through its core, which forwards them to the order's sequencer (and
    /// keeps them queued here while its node cannot be reached).
    async fn forward_group(
        self: &Arc<Self>,
        group: &Group,
    ) -> Result<Vec<Submitted>, GroupRefused> {
        let slot = self.slot(&group.order).ok_or_else(|| {
            GroupRefused::nothing_taken(0, 0, ApiError::unknown_order(&group.order.to_string()))
        })?;
        let input = |caller| Input::Facts {
            from: self.public,
            events: group.events.clone(),
            verified: true,
            caller,
        };
        let replies = match self.drive_and_wait_core(&slot, input).await {
            Ok(Ok(Reply::Group(replies))) if replies.len() == group.events.len() => replies,
            Ok(Ok(other)) => {
                let error = ApiError::internal(format!("the core answered {other:?}"));
                return Err(GroupRefused::nothing_taken(0, 0, error));
            }
            Ok(Err(error)) => return Err(GroupRefused::core(0, &error, 0)),
            Err(error) => return Err(GroupRefused::nothing_taken(0, 0, error)),
        };
        replies
            .into_iter()
            .map(|reply| {
                queue::submitted_reply(reply)
                    .map_err(|error| GroupRefused::nothing_taken(0, 0, error))
            })
            .collect()
    }

    /// The groups of several orders sequenced by one other node (or of one order, more facts
    /// than a core's forward carries), sent in one request that
    /// node takes whole or refuses whole ([`Inner::take_groups`] there). Unlike one order's
    /// facts they are not queued here: a sequencer that does not answer is `503
    /// party_unreachable` (nothing is queued; the same document sent again is answered as the
    /// first time), and so is an order that still holds facts queued here for that node
    /// (the document's facts would overtake them).
    async fn forward_groups(
        self: &Arc<Self>,
        groups: &[Group],
    ) -> Result<Vec<Vec<Submitted>>, GroupRefused> {
        let mut sequencer = None;
        for (at, group) in groups.iter().enumerate() {
            let Some(slot) = self.slot(&group.order) else {
                let error = ApiError::unknown_order(&group.order.to_string());
                return Err(GroupRefused::nothing_taken(at, 0, error));
            };
            let slot = slot.lock().await;
            if !slot.protocol.queue().is_empty() {
                let error = ApiError::new(
                    Code::PartyUnreachable,
                    format!(
                        "order {} holds facts accepted earlier that wait at this node for its \
                         sequencer's node; send the document again once they are forwarded",
                        group.order
                    ),
                );
                return Err(GroupRefused::nothing_taken(at, 0, error));
            }
            sequencer = slot.protocol.core().sequencer_key();
        }
        let sequencer = sequencer.ok_or_else(|| {
            GroupRefused::nothing_taken(0, 0, ApiError::internal("the sequencer has no key"))
        })?;
        let request = Request::ForwardGroups {
            groups: groups
                .iter()
                .map(|group| ForwardGroup {
                    order: group.order,
                    events: group.events.clone(),
                })
                .collect(),
        };
        let answer = self.request(&sequencer, request).await.map_err(|error| {
            let error = ApiError::new(
                Code::PartyUnreachable,
                format!("the sequencer's node did not answer (nothing was taken here; send the document again): {error}"),
            );
            GroupRefused::nothing_taken(0, 0, error)
        })?;
        let flat: Vec<(usize, usize)> = groups
            .iter()
            .enumerate()
            .flat_map(|(at, group)| (0..group.events.len()).map(move |index| (at, index)))
            .collect();
        let hashes: Vec<Digest> = groups
            .iter()
            .flat_map(|group| group.events.iter().map(SignedEvent::hash))
            .collect();
        let refused_at = |index: Option<usize>, code: String, message: String| {
            let (at, index) = index
                .and_then(|index| flat.get(index).copied())
                .unwrap_or((0, 0));
            let error = CoreError::ForwardRefused {
                index: None,
                code,
                message,
            };
            GroupRefused::nothing_taken(at, index, core_error(&error))
        };
        let taken = match answer {
            Response::Answers(places) if places.len() == hashes.len() => {
                match forwarded_places(&hashes, places) {
                    Forwarded::Taken(taken) => taken,
                    Forwarded::Refused {
                        index,
                        code,
                        message,
                    } => return Err(refused_at(index, code, message)),
                    Forwarded::NoAnswer { reason } => {
                        let error = ApiError::new(Code::NoAnswer, reason);
                        return Err(GroupRefused::nothing_taken(0, 0, error));
                    }
                }
            }
            Response::RefusedAt {
                index,
                code,
                message,
            } => return Err(refused_at(usize::try_from(index).ok(), code, message)),
            Response::Refused { code, message } => return Err(refused_at(None, code, message)),
            other => {
                let error =
                    ApiError::new(Code::NoAnswer, format!("the sequencer answered {other:?}"));
                return Err(GroupRefused::nothing_taken(0, 0, error));
            }
        };
        let mut places: Vec<Vec<Submitted>> = groups
            .iter()
            .map(|group| Vec::with_capacity(group.events.len()))
            .collect();
        for ((at, _), (_, reply)) in flat.into_iter().zip(taken) {
            let place = queue::submitted_reply(reply)
                .map_err(|error| GroupRefused::nothing_taken(at, 0, error))?;
            places[at].push(place);
        }
        Ok(places)
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
                sequencer: slot.protocol.core().contract().sequencer.clone(),
                sequencer_key: slot.protocol.core().sequencer_key(),
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
            .map_err(|message| ApiError::new(Code::UnknownOrder, format!("`order`: {message}")))
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
                .map_err(|error| at_path(ApiError::new(Code::InvalidEvent, error.to_string())))?;
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
                return Err(ApiError::new(
                    Code::InvalidQuery,
                    "the document names no order: give ?order=ID or ?order=REFERENCE",
                ))
            }
            (Route::Reference { reference, path }, None) => {
                vec![by_reference(reference, index).map_err(|message| {
                    ApiError::new(Code::UnknownReference, format!("{path}: {message}"))
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

/// Refuses a document whose facts are for orders of different sequencers (this node's and
/// another's, or two others'): no node can take all of it or none, so the feed is asked to
/// split it by sequencer. The error names the first fact for another sequencer's order.
fn one_sequencer(routed: &[(MappedFact, OrderId)], index: &[Indexed]) -> Result<(), ApiError> {
    let indexed = |order: &OrderId| index.iter().find(|indexed| indexed.id == *order);
    let Some(((_, first), Some(first_order))) = routed.first().map(|fact| (fact, indexed(&fact.1)))
    else {
        return Ok(());
    };
    for (fact, order) in routed {
        let Some(other) = indexed(order) else {
            continue;
        };
        if other.sequencer_key != first_order.sequencer_key {
            return Err(ApiError::new(
                Code::DocumentSpansSequencers,
                format!(
                    "{path}: its order {order} ({reference}) is sequenced by `{sequencer}`'s node, \
                     the document's first order {first} ({first_reference}) by `{first_sequencer}`'s: \
                     a document is taken whole only by one sequencer; split it by sequencer",
                    path = fact.path,
                    reference = other.reference,
                    sequencer = other.sequencer,
                    first_reference = first_order.reference,
                    first_sequencer = first_order.sequencer,
                ),
            )
            .at_path(fact.path.as_str()));
        }
    }
    Ok(())
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
    ApiError::new(error.code, format!("{path}: {}", error.message)).at_path(path)
}

/// One order's facts of a document, in document order.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub order: OrderId,
    pub events: Vec<SignedEvent>,
}

/// Why a document's groups were not all taken: the error, about fact `index` of group
/// `group`, and how many facts (in group order) were taken before it — none, unless another
/// party's node refused a fact this node accepted or the store failed.
#[derive(Debug, Clone)]
pub(crate) struct GroupRefused {
    pub group: usize,
    pub index: usize,
    pub error: ApiError,
    pub taken: usize,
}

impl GroupRefused {
    fn nothing_taken(group: usize, index: usize, error: ApiError) -> GroupRefused {
        GroupRefused::incomplete(group, index, error, 0)
    }

    fn incomplete(group: usize, index: usize, error: ApiError, taken: usize) -> GroupRefused {
        GroupRefused {
            group,
            index,
            error,
            taken,
        }
    }

    /// A core's refusal of group `group`: at the fact it names, or (a refusal of the round) at
    /// the group's first fact.
    fn core(group: usize, error: &CoreError, taken: usize) -> GroupRefused {
        let (index, error) = match error {
            CoreError::InGroup { index, refusal } => (*index, refusal.to_api()),
            CoreError::ForwardRefused {
                index: Some(index), ..
            } => (*index, core_error(error)),
            other => (0, core_error(other)),
        };
        GroupRefused::incomplete(group, index, error, taken)
    }
}

/// A fact refused after `done` facts of the document were submitted.
fn incomplete(error: ApiError, path: &str, done: usize) -> ApiError {
    if done == 0 {
        return prefixed(error, path);
    }
    ApiError::new(
        Code::IngestIncomplete,
        format!(
            "{path}: {} ({}); the document's {done} facts before it were recorded",
            error.message, error.code
        ),
    )
    .at_path(path)
}
