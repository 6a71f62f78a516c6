//! Answering other parties' nodes: proposals of contracts and entries, commits, forwarded
//! facts and reviews, catch-up, and witnessing their checkpoints.
//!
//! Every request is handled on its own task, so a handler waiting for this node's order lock
//! never blocks requests about other orders. A request about an order is only answered for a
//! party of that order, and entries only from its sequencer; anything else is refused and
//! counted, never applied.

use std::sync::Arc;

use libp2p::PeerId;
use tokio::sync::mpsc;
use verifier::{
    model::{Digest, EntryBody, OrderId, SignedEntry, SignedEvent, SignedReview, Step},
    sign::{Domain, PublicKey},
};

use super::{
    admit::{ContractSender, NotAdmitted},
    agreement::Agreement,
    catch_up,
    driver::{core_error, CALLER},
    ingest::Group,
    order::{attester_key, Refusal},
    protocol::{ForwardGroup, GenesisParts, Request, Response, MAX_FORWARD_GROUPS_FACTS},
    protocol_core::{CoreError, Input, MAX_FORWARD},
    queue::FactStatus,
    records::{self, EntryRecord, FaultRecord, OrderRecord, ProposalRecord, ENTRIES},
    round::Answer,
    sequencer::Submitted,
    Inner, Slot,
};
use crate::{
    api::{ApiError, Code},
    net::InboundRequest,
};

/// Answers peers' requests until the network stops.
pub(crate) async fn serve(
    inner: Arc<Inner>,
    mut inbound: mpsc::Receiver<InboundRequest<Request, Response>>,
) {
    while let Some(InboundRequest {
        peer,
        request,
        reply,
    }) = inbound.recv().await
    {
        let inner = inner.clone();
        tokio::spawn(async move {
            let response = inner.handle(peer, request).await;
            if let Response::Refused { code, message } = &response {
                tracing::debug!(%peer, %code, %message, "refused a peer's request");
                inner.metrics.peer_messages_refused.inc();
            }
            let _ = reply.send(response);
        });
    }
}

/// A fact's place at this node, as a forwarding party's node is answered.
fn place(submitted: Submitted) -> Response {
    match submitted {
        Submitted::Committed(committed) => Response::Committed {
            seq: committed.seq,
            entry: committed.entry,
        },
        Submitted::Queued { event, .. } => Response::Queued { event },
    }
}

fn api_refusal(error: ApiError) -> Response {
    Response::refused(error.code.as_str(), error.message)
}

/// The answer to a peer whose identity is no party key: it speaks for no party.
fn no_party_key() -> Response {
    Response::refused("not_a_party", "the sender's identity is not a party's key")
}

impl Inner {
    /// Facts a party's node forwarded: taken together or not at all by the order's core (as
    /// ingest at this node takes a document's facts); each fact's place, in order.
    async fn on_forwarded_events(
        self: &Arc<Self>,
        peer: PeerId,
        order: OrderId,
        events: Vec<SignedEvent>,
    ) -> Response {
        if events.is_empty() || events.len() > MAX_FORWARD {
            let message = format!("between 1 and {MAX_FORWARD} facts are forwarded at once");
            return Response::refused("invalid_request", message);
        }
        let Some(from) = self.party_key(&peer) else {
            return no_party_key();
        };
        let Some(slot) = self.slot(&order) else {
            return api_refusal(ApiError::unknown_order(&order.to_string()));
        };
        let mut slot = slot.lock().await;
        if !slot.protocol.is_sequencer() {
            return api_refusal(core_error(&CoreError::NotSequencing));
        }
        let hashes: Vec<Digest> = events.iter().map(SignedEvent::hash).collect();
        // The core takes them from any party's node (rule 6), not from a stranger's.
        let input = Input::Facts {
            from,
            events,
            verified: false,
            caller: CALLER,
        };
        let outcome = self.drive(&mut slot, input).await;
        if let Some(error) = outcome.failed {
            return api_refusal(error);
        }
        match outcome.reply {
            Some(Ok(_)) => Response::Answers(
                hashes
                    .iter()
                    .map(|hash| match self.fact_status(&slot, hash) {
                        Some(FactStatus::Committed(committed)) => Response::Committed {
                            seq: committed.seq,
                            entry: committed.entry,
                        },
                        Some(FactStatus::Queued { .. }) => Response::Queued { event: *hash },
                        Some(FactStatus::Refused { code, message }) => {
                            Response::Refused { code, message }
                        }
                        None => Response::refused("no_answer", "the fact was not taken"),
                    })
                    .collect(),
            ),
            Some(Err(CoreError::InGroup { index, refusal })) => Response::RefusedAt {
                index: index as u64,
                code: refusal.code().into(),
                message: refusal.to_string(),
            },
            Some(Err(error)) => api_refusal(core_error(&error)),
            None => Response::refused("no_answer", "the order's core gave no answer"),
        }
    }

    /// One document's facts for several orders this node sequences, forwarded by a party's
    /// node that ingested it: taken whole or refused whole ([`Inner::take_groups`]); each
    /// fact's place, group after group.
    async fn on_forwarded_groups(
        self: &Arc<Self>,
        peer: PeerId,
        groups: Vec<ForwardGroup>,
    ) -> Response {
        let facts = groups.iter().map(|group| group.events.len()).sum::<usize>();
        if groups.iter().any(|group| group.events.is_empty()) || facts > MAX_FORWARD_GROUPS_FACTS {
            let message = format!(
                "every group has a fact, and at most {MAX_FORWARD_GROUPS_FACTS} facts are forwarded at once"
            );
            return Response::refused("invalid_request", message);
        }
        let Some(from) = self.party_key(&peer) else {
            return no_party_key();
        };
        let groups: Vec<Group> = groups
            .into_iter()
            .map(|group| Group {
                order: group.order,
                events: group.events,
            })
            .collect();
        match self.take_groups(&groups, (from, false)).await {
            Ok(places) => Response::Answers(places.into_iter().flatten().map(place).collect()),
            Err(refused) => {
                let before: usize = groups[..refused.group.min(groups.len())]
                    .iter()
                    .map(|group| group.events.len())
                    .sum();
                let message = if refused.taken == 0 {
                    refused.error.message
                } else {
                    format!(
                        "{} ({}); the {} facts before it were recorded",
                        refused.error.message, refused.error.code, refused.taken
                    )
                };
                let code = if refused.taken == 0 {
                    refused.error.code
                } else {
                    Code::IngestIncomplete
                };
                Response::RefusedAt {
                    index: before.saturating_add(refused.index) as u64,
                    code: code.to_string(),
                    message,
                }
            }
        }
    }

    async fn handle(self: &Arc<Self>, peer: PeerId, request: Request) -> Response {
        match request {
            Request::ProposeContract { contract, sources } => {
                self.on_propose_contract(peer, contract, sources).await
            }
            Request::AcceptContract {
                order,
                role,
                signature,
            } => {
                let Some(from) = self.party_key(&peer) else {
                    return no_party_key();
                };
                match self
                    .add_contract_signature(order, (from, &role), signature)
                    .await
                {
                    Ok(Some(committed)) => Response::Committed {
                        seq: committed.seq,
                        entry: committed.entry,
                    },
                    Ok(None) => Response::Ack,
                    Err(error) => api_refusal(error),
                }
            }
            Request::ProposeEntry {
                entry,
                genesis,
                previous,
            } => match genesis {
                Some(parts) => self.on_genesis_proposal(peer, entry, parts).await,
                None => self.on_entry_proposal(peer, entry, previous).await,
            },
            Request::Commit { entry, genesis } => self.on_commit(peer, entry, genesis).await,
            Request::Commits { entries } => self.on_commits(peer, entries).await,
            Request::Batch { commits, proposals } => self.on_batch(peer, commits, proposals).await,
            Request::ForwardEvents { order, events } => {
                self.on_forwarded_events(peer, order, events).await
            }
            Request::ForwardGroups { groups } => self.on_forwarded_groups(peer, groups).await,
            Request::ReviewSignature {
                order,
                review,
                role,
                signature,
            } => {
                let signed = (review, role, signature);
                self.on_agreement_signature(Agreement::Review, peer, order, signed)
                    .await
            }
            Request::CloseSignature {
                order,
                close,
                role,
                signature,
            } => {
                let signed = (close, role, signature);
                self.on_agreement_signature(Agreement::Close, peer, order, signed)
                    .await
            }
            Request::AgreementSignature {
                order,
                agreement,
                role,
                signature,
            } => {
                let signed = (agreement, role, signature);
                self.on_agreement_signature(Agreement::Amendment, peer, order, signed)
                    .await
            }
            Request::Withdraw { order, kind, role } => {
                let Some(from) = self.party_key(&peer) else {
                    return no_party_key();
                };
                match self.withdraw(kind, order, (from, &role)).await {
                    Ok(_) => Response::Ack,
                    Err(error) => api_refusal(error),
                }
            }
            Request::FetchEntries {
                order,
                after,
                limit,
            } => self.on_fetch(peer, order, after, limit).await,
            Request::Witness {
                note,
                from_size,
                proof,
            } => self.on_witness(peer, &note, from_size, &proof).await,
        }
    }

    /// A party's signature on a review, close or agreement, taken by the order's core only
    /// from that party's node (the sender rule): the sender is the key `peer` authenticated.
    async fn on_agreement_signature(
        self: &Arc<Self>,
        kind: Agreement,
        peer: PeerId,
        order: OrderId,
        (body, role, signature): (Vec<u8>, String, verifier::sign::Signature),
    ) -> Response {
        let Some(from) = self.party_key(&peer) else {
            return no_party_key();
        };
        match self
            .add_agreement_signature(kind, order, body, (from, &role), signature)
            .await
        {
            Ok(Some(committed)) => Response::Committed {
                seq: committed.seq,
                entry: committed.entry,
            },
            Ok(None) => Response::Ack,
            Err(error) => api_refusal(error),
        }
    }

    async fn on_propose_contract(
        self: &Arc<Self>,
        peer: PeerId,
        contract: verifier::model::SignedContract,
        sources: Vec<verifier::bundle::Source>,
    ) -> Response {
        let order = contract.order_id();
        if let Err(refused) =
            self.admit_contract(peer, &contract, &sources, ContractSender::Proposer)
        {
            return self.not_admitted(peer, refused);
        }
        if self.slot(&order).is_some() {
            return Response::Ack;
        }
        if let Err(refusal) = self.check_proposal_contract(&contract, &sources) {
            return Response::refused(refusal.code(), refusal.to_string());
        }
        // Keep signatures this node already collected (its own acceptance, others').
        let mut record = ProposalRecord {
            contract: contract.clone(),
            sources,
        };
        if let Some(known) = self
            .proposals
            .lock()
            .ok()
            .and_then(|proposals| proposals.get(&order).cloned())
        {
            for (role, signature) in known.contract.signatures {
                record.contract.signatures.entry(role).or_insert(signature);
            }
        }
        match self.save_proposal(order, record).await {
            Ok(()) => Response::Ack,
            Err(error) => api_refusal(error),
        }
    }

    /// The answer to a contract that did not pass [`Inner::admit_contract`]: counted by
    /// reason, nothing stored (a stranger must not be able to fill the store or the log).
    pub(crate) fn not_admitted(&self, peer: PeerId, refused: NotAdmitted) -> Response {
        self.metrics.refused(refused.code());
        tracing::debug!(%peer, code = refused.code(), "refused a contract before compiling it");
        Response::refused(refused.code(), refused.to_string())
    }

    /// Records a refused proposal for the operator; determinism faults are logged loudly.
    pub(crate) async fn record_fault(
        &self,
        order: OrderId,
        entry: &SignedEntry,
        refusal: &Refusal,
    ) {
        let seq = entry.entry().map(|body| body.seq).unwrap_or(0);
        let computed = match refusal {
            Refusal::Determinism { computed, .. } => Some(*computed),
            _ => None,
        };
        let fault = FaultRecord {
            order,
            seq,
            code: refusal.code().to_string(),
            message: refusal.to_string(),
            proposed: entry.hash(),
            computed,
        };
        if computed.is_some() {
            self.metrics.determinism_faults.inc();
            tracing::error!(%order, seq, %refusal, "determinism fault: refused to cosign");
        } else {
            tracing::warn!(%order, seq, code = refusal.code(), %refusal, "refused to cosign a proposal");
        }
        self.metrics.refused(refusal.code());
        let key = records::fault_key(&order, seq, &entry.hash());
        if let Ok(bytes) = records::encode("fault", &fault) {
            let mut batch = crate::durable::WriteBatch::new();
            batch.put(records::FAULTS, &key, bytes);
            // A determinism fault is an event (webhooks, `GET /events`); ids are allocated
            // under the log lock, which orders batches into the store.
            let log = self.log.lock().await;
            let event = computed
                .is_some()
                .then(|| {
                    self.events
                        .stage(&mut batch, vec![crate::events::kinds::fault_event(&fault)])
                })
                .flatten();
            let submitted = self.store.submit(batch).await;
            drop(log);
            match submitted {
                Ok(ack) => match ack.wait().await {
                    Ok(_) => {
                        event.into_iter().for_each(|id| self.events.durable(id));
                        if computed.is_some() {
                            self.fault_opened(key);
                        }
                    }
                    Err(error) => tracing::warn!(%error, "cannot store a fault record"),
                },
                Err(error) => tracing::warn!(%error, "cannot store a fault record"),
            }
        }
        if let Ok(mut faults) = self.faults.lock() {
            faults.push(fault);
            let excess = faults.len().saturating_sub(100);
            faults.drain(..excess);
        }
    }

    async fn on_entry_proposal(
        self: &Arc<Self>,
        peer: PeerId,
        entry: SignedEntry,
        previous: Option<SignedEntry>,
    ) -> Response {
        let body: EntryBody = match entry.entry() {
            Ok(body) => body,
            Err(error) => return Response::refused("malformed_entry", error.to_string()),
        };
        let order = body.order;
        if self.slot(&order).is_none() {
            // The genesis this node cosigned may not have been announced yet.
            let _ = self.catch_up(order).await;
        }
        let Some(slot) = self.slot(&order) else {
            return Response::refused("unknown_order", format!("no order {order} on this node"));
        };
        // The channel authenticates the proposal: it carries no signature (the sequencer signs
        // an entry last, once it holds every cosignature), so a round that fails leaves no
        // sequencer-signed body behind. The core takes it only from the sequencer.
        let Some(from) = self.party_key(&peer) else {
            return Response::refused(
                "not_sequencer",
                "the sender's identity is not a party's key",
            );
        };
        let attester = {
            let slot = slot.lock().await;
            match &body.step {
                Step::Event(step) => attester_key(slot.protocol.core().contract(), &step.event),
                _ => None,
            }
        };
        if let Some(observe) = &self.config.hooks.observe_proposals {
            observe(&entry);
        }
        if let Some(refusals) = &self.config.hooks.refuse_proposals {
            if refusals
                .fetch_update(
                    std::sync::atomic::Ordering::SeqCst,
                    std::sync::atomic::Ordering::SeqCst,
                    |left| left.checked_sub(1),
                )
                .is_ok()
            {
                return Response::refused("refused_by_hook", "this node refuses to cosign (test)");
            }
        }
        // The attester's signature first, batched with other orders' and outside the lock; one
        // the batch did not verify is checked again by the core, which refuses the proposal.
        let verified = match &body.step {
            Step::Event(step) => self.batch.event(attester, &step.event).await,
            _ => true,
        };
        // The core judges: cosign a byte-identical body, refuse (a fault is recorded), or
        // catch up first when this node missed entries, then judge it.
        let mut slot = slot.lock().await;
        let input = Input::Proposal {
            from,
            entry,
            previous,
            verified,
        };
        let outcome = self.drive(&mut slot, input).await;
        match outcome.answer {
            Some(Answer::Cosigned { signature, .. }) => Response::Cosigned { signature },
            Some(Answer::Refused { code, message }) => Response::Refused { code, message },
            Some(Answer::NoAnswer { reason }) => Response::refused("behind", reason),
            None => Response::refused("behind", "cannot catch up with the sequencer first"),
        }
    }

    async fn on_commit(
        self: &Arc<Self>,
        peer: PeerId,
        entry: SignedEntry,
        genesis: Option<GenesisParts>,
    ) -> Response {
        let body: EntryBody = match entry.entry() {
            Ok(body) => body,
            Err(error) => return Response::refused("malformed_entry", error.to_string()),
        };
        let order = body.order;
        if matches!(body.step, Step::Genesis) {
            return match self.adopt_genesis(peer, order, entry, genesis).await {
                Ok(()) => Response::Ack,
                Err(error) => api_refusal(error),
            };
        }
        let Some(slot) = self.slot(&order) else {
            return Response::refused("unknown_order", format!("no order {order} on this node"));
        };
        // Only the sequencer announces entries: the core refuses any other sender.
        let Some(from) = self.party_key(&peer) else {
            return Response::refused(
                "not_sequencer",
                "the sender's identity is not a party's key",
            );
        };
        let mut slot = slot.lock().await;
        // The other parties' signatures in a batch, with other orders'.
        let parties = &slot.protocol.core().contract().parties;
        let verified = self.others_signed(parties, &entry).await;
        let input = Input::Committed {
            from,
            entry,
            caller: Some(CALLER),
            verified,
        };
        let outcome = self.drive(&mut slot, input).await;
        match outcome.reply {
            Some(Err(error)) => api_refusal(core_error(&error)),
            Some(Ok(_)) | None => Response::Ack,
        }
    }

    /// Whether every party but this node signed `entry` validly (checked in a batch).
    async fn others_signed(
        &self,
        parties: &std::collections::BTreeMap<String, PublicKey>,
        entry: &SignedEntry,
    ) -> bool {
        let checks = parties
            .iter()
            .filter(|(_, key)| **key != self.public)
            .map(|(role, key)| {
                let signature = entry.signatures.get(role).copied();
                async move {
                    match signature {
                        Some(signature) => {
                            self.batch
                                .verify(*key, Domain::Entry, &entry.body, signature)
                                .await
                        }
                        None => false,
                    }
                }
            });
        futures::future::join_all(checks)
            .await
            .into_iter()
            .all(|valid| valid)
    }

    /// A batch of announced entries: each order's entries are applied in order, orders in
    /// parallel. Answers once all are handled; the first refusal is reported.
    async fn on_commits(self: &Arc<Self>, peer: PeerId, entries: Vec<SignedEntry>) -> Response {
        if entries.len() > catch_up::MAX_FETCH as usize {
            return Response::refused("too_many", "too many entries in one announcement");
        }
        let mut by_order: std::collections::BTreeMap<OrderId, Vec<SignedEntry>> =
            std::collections::BTreeMap::new();
        for entry in entries {
            match entry.entry() {
                Ok(body) => by_order.entry(body.order).or_default().push(entry),
                Err(error) => return Response::refused("malformed_entry", error.to_string()),
            }
        }
        let tasks: Vec<_> = by_order
            .into_values()
            .map(|entries| {
                let inner = self.clone();
                tokio::spawn(async move {
                    for entry in entries {
                        let response = inner.on_commit(peer, entry, None).await;
                        if matches!(response, Response::Refused { .. }) {
                            return response;
                        }
                    }
                    Response::Ack
                })
            })
            .collect();
        let mut answer = Response::Ack;
        for task in tasks {
            match task.await {
                Ok(Response::Ack) => {}
                Ok(refused) => answer = refused,
                Err(_) => answer = Response::refused("internal", "a commit task failed"),
            }
        }
        answer
    }

    /// A sequencer's batch: its announcements first (so an order's next proposal finds its
    /// previous entry applied), then every proposal, orders in parallel.
    async fn on_batch(
        self: &Arc<Self>,
        peer: PeerId,
        commits: Vec<SignedEntry>,
        proposals: Vec<super::protocol::Proposal>,
    ) -> Response {
        if commits.len().saturating_add(proposals.len()) > super::outbox::MAX_BATCH_ITEMS {
            return Response::refused("too_many", "too many messages in one batch");
        }
        if !commits.is_empty() {
            if let Response::Refused { code, message } = self.on_commits(peer, commits).await {
                // Each proposal is judged on its own; one that needs a refused entry is refused.
                tracing::debug!(%peer, %code, %message, "refused an announced entry");
            }
        }
        let tasks: Vec<_> = proposals
            .into_iter()
            .map(|proposal| {
                let inner = self.clone();
                tokio::spawn(async move {
                    inner
                        .on_entry_proposal(peer, proposal.entry, proposal.previous)
                        .await
                })
            })
            .collect();
        let mut answers = Vec::with_capacity(tasks.len());
        for task in tasks {
            answers.push(
                task.await
                    .unwrap_or_else(|_| Response::refused("internal", "a proposal task failed")),
            );
        }
        Response::Answers(answers)
    }

    async fn on_fetch(
        &self,
        peer: PeerId,
        order: OrderId,
        after: Option<u64>,
        limit: u32,
    ) -> Response {
        let record: Option<OrderRecord> = match records::read_order(&self.store, &order) {
            Ok(record) => record.map(|(record, _closed)| record),
            Err(error) => return Response::refused("store_failed", error.to_string()),
        };
        let Some(record) = record else {
            return Response::refused("unknown_order", format!("no order {order} on this node"));
        };
        let parties = match record.contract.contract() {
            Ok(contract) => contract.parties,
            Err(error) => return Response::refused("store_failed", error.to_string()),
        };
        let is_requester = |key: &PublicKey| self.peer_id(key) == Some(peer);
        let page = match catch_up::page(&parties, is_requester, after, limit) {
            Ok(page) => page,
            Err(refusal) => return Response::refused(refusal.code(), refusal.to_string()),
        };
        let mut entries = Vec::new();
        // Read from the first entry asked for (keys are the order and the seq, big-endian),
        // not from the genesis: a page costs its own entries, not the whole log before it.
        let start = records::entry_key(&order, page.first);
        let of_order = |item: &Result<(Vec<u8>, _), _>| {
            item.as_ref()
                .map_or(true, |(key, _)| key.starts_with(order.as_bytes()))
        };
        for item in self
            .store
            .scan_range(ENTRIES, start)
            .take_while(of_order)
            .take(page.limit)
        {
            match item
                .map_err(records::RecordError::from)
                .and_then(|(_, bytes)| records::decode::<EntryRecord>("entry", &bytes))
            {
                Ok(stored) => entries.push(stored.entry),
                Err(error) => return Response::refused("store_failed", error.to_string()),
            }
        }
        Response::Entries {
            genesis: page.genesis.then_some(GenesisParts {
                contract: record.contract,
                sources: record.sources,
            }),
            entries,
        }
    }

    /// Ticks `order`'s core, which catches up the entries this node missed (see
    /// `catch_up::Requester`), or, not open here, its opening, which fetches the genesis
    /// ([`Inner::open_missed`]); once that opened it, the open order catches up at once.
    pub(crate) async fn catch_up(self: &Arc<Self>, order: OrderId) -> Result<(), ApiError> {
        if self.slot(&order).is_none() {
            self.open_missed(order).await?;
        }
        let Some(slot) = self.slot(&order) else {
            return Ok(());
        };
        let mut slot = slot.lock().await;
        if !slot.protocol.is_sequencer() {
            self.drive(&mut slot, Input::Tick).await;
        }
        Ok(())
    }

    /// Catches up every order sequenced elsewhere, and orders whose genesis this node awaits.
    pub(crate) async fn sync_all(self: &Arc<Self>) {
        let mut orders: Vec<OrderId> = Vec::new();
        let snapshot: Vec<(OrderId, Arc<tokio::sync::Mutex<Slot>>)> = self
            .orders
            .read()
            .map(|orders| {
                orders
                    .iter()
                    .map(|(id, slot)| (*id, slot.clone()))
                    .collect()
            })
            .unwrap_or_default();
        for (order, slot) in snapshot {
            let sequenced_here = slot.lock().await.protocol.is_sequencer();
            if !sequenced_here {
                orders.push(order);
            }
        }
        // Contracts every party signed that this node sequences (after a restart too): their
        // openings.
        let complete: Vec<OrderRecord> = self
            .proposals
            .lock()
            .map(|proposals| {
                proposals
                    .values()
                    .filter(|record| self.sequences_complete(record))
                    .map(|record| OrderRecord {
                        contract: record.contract.clone(),
                        sources: record.sources.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        for record in complete {
            if self.slot(&record.contract.order_id()).is_none() {
                if let Err(refusal) = self.opening(&record) {
                    tracing::debug!(%refusal, "a signed contract cannot open");
                }
            }
        }
        // Orders still opening: the sequencer proposes its genesis again, another party asks
        // the sequencer for it.
        let openings: Vec<_> = self
            .openings
            .lock()
            .map(|openings| openings.values().cloned().collect())
            .unwrap_or_default();
        for opening in openings {
            let mut opening = opening.lock().await;
            if opening.opening.is_sequencer() {
                self.drive_opening(&mut opening, Input::Tick).await;
            } else {
                orders.push(opening.opening.order());
            }
        }
        if let Ok(proposals) = self.proposals.lock() {
            for (order, record) in proposals.iter() {
                let mine = self
                    .my_role(
                        &record
                            .contract
                            .contract()
                            .map(|c| c.parties)
                            .unwrap_or_default(),
                    )
                    .is_some_and(|role| record.contract.signatures.contains_key(&role));
                if mine {
                    orders.push(*order);
                }
            }
        }
        for order in orders {
            if let Err(error) = self.catch_up(order).await {
                tracing::debug!(%order, %error, "catch-up failed; will retry");
            }
        }
    }

    /// Whether every party signed `record`'s contract and this node sequences it.
    fn sequences_complete(&self, record: &ProposalRecord) -> bool {
        let Ok(contract) = record.contract.contract() else {
            return false;
        };
        let complete = contract
            .parties
            .keys()
            .all(|role| record.contract.signatures.contains_key(role));
        complete && self.my_role(&contract.parties).as_deref() == Some(contract.sequencer.as_str())
    }

    /// Reads a review body for this node's own decision on `order`.
    pub(crate) fn review_for(
        &self,
        order: OrderId,
        after_seq: u64,
        at: i64,
        decision: verifier::model::Decision,
        note: &str,
        terms: std::collections::BTreeMap<String, contract_lang::value::Value>,
    ) -> Result<Vec<u8>, ApiError> {
        let review =
            verifier::model::Review::new(order, after_seq, at, decision, note).with_terms(terms);
        SignedReview::unsigned(&review)
            .map(|signed| signed.body)
            .map_err(|e| ApiError::internal(e.to_string()))
    }
}
