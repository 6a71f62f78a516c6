//! The node's driver of the protocol core: hands an order's [`OrderProtocol`] its inputs and
//! carries out the actions it returns with libp2p (outboxes, requests), sled (entries with
//! their log leaves, the fact queue, evidence, faults) and tokio. It decides nothing about
//! the protocol; HTTP statuses are chosen at the edge from the core's typed errors.

use std::{
    collections::{HashMap, VecDeque},
    sync::Arc,
    time::Instant,
};

use futures::future::join_all;
use verifier::{
    bundle::EquivocationProof,
    model::{Digest, OrderId, SignedEntry, SignedEvent},
    sign::{Domain, PublicKey},
};

use super::{
    protocol::{GenesisParts, Proposal, Request, Response},
    protocol_core::{
        Action, Caller, Commit, Context, CoreError, Forwarded, History, Input, Message, QueuedFact,
        Reply,
    },
    queue,
    records::{self, QUEUE},
    round::Answer,
    Inner, Slot,
};
use tokio::sync::oneshot;

use crate::{
    api::{ApiError, Code},
    durable::WriteBatch,
};

/// The caller token of whoever hands an input to [`Inner::drive`] and takes its reply from
/// the [`Outcome`].
pub(crate) const CALLER: Caller = 0;

/// Longest a task waits for a reply that comes in a later drive: past every request timeout,
/// after which the forward's answer (or its failure) has always been handed to the core.
const REPLY_PATIENCE: std::time::Duration = std::time::Duration::from_secs(120);

/// Tasks waiting for a reply a later drive gives (a forwarded fact's answer), by token.
#[derive(Default)]
pub(crate) struct Callers {
    next: std::sync::atomic::AtomicU64,
    waiting: std::sync::Mutex<HashMap<Caller, oneshot::Sender<Result<Reply, CoreError>>>>,
}

impl Callers {
    /// A new token (never [`CALLER`]) and where its reply arrives.
    fn register(&self) -> (Caller, oneshot::Receiver<Result<Reply, CoreError>>) {
        let caller = self
            .next
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .saturating_add(1);
        let (sender, receiver) = oneshot::channel();
        if let Ok(mut waiting) = self.waiting.lock() {
            waiting.insert(caller, sender);
        }
        (caller, receiver)
    }

    fn answer(&self, caller: Caller, result: Result<Reply, CoreError>) {
        let sender = self
            .waiting
            .lock()
            .ok()
            .and_then(|mut waiting| waiting.remove(&caller));
        if let Some(sender) = sender {
            // The task may have given up waiting: nothing to tell then.
            let _ = sender.send(result);
        }
    }

    fn forget(&self, caller: Caller) {
        if let Ok(mut waiting) = self.waiting.lock() {
            waiting.remove(&caller);
        }
    }
}

/// What one input came to for the task that handed it in.
#[derive(Default)]
pub(crate) struct Outcome {
    /// The core's reply to [`CALLER`], if it gave one.
    pub reply: Option<Result<Reply, CoreError>>,
    /// The answer to a proposal (cosigner side).
    pub answer: Option<Answer>,
    /// A committed entry could not be stored: nothing after it was carried out, and the order
    /// was reloaded from the store.
    pub failed: Option<ApiError>,
}

impl Outcome {
    /// Whether what the core asked for was carried out (storing did not fail).
    pub fn done(self) -> Result<(), ApiError> {
        self.failed.map_or(Ok(()), Err)
    }

    /// The core's reply to [`CALLER`], unless storing failed.
    pub fn into_reply(self) -> Result<Reply, ApiError> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        match self.reply {
            Some(Ok(reply)) => Ok(reply),
            Some(Err(error)) => Err(core_error(&error)),
            None => Err(ApiError::internal("the order's core gave no answer")),
        }
    }
}

/// An order's entries as stored, read by the core.
pub(crate) struct Stored<'a> {
    pub inner: &'a Inner,
    pub order: OrderId,
}

impl History for Stored<'_> {
    fn entry_at(&self, seq: u64) -> Option<SignedEntry> {
        records::read_entry(&self.inner.store, &self.order, seq)
            .ok()
            .flatten()
            .map(|record| record.entry)
    }
}

/// Waits for the answers to a round's proposals until `deadline` (Unix seconds, the core's
/// [`Action::SetTimer`]) and appends them to `inputs` in the order the proposals were made,
/// then a [`Input::Tick`] if any answer had not come by the deadline (the core gives the round
/// up; those answers are dropped). Without a deadline, every answer.
pub(crate) async fn answers_until<F>(
    answers: impl IntoIterator<Item = F>,
    deadline: Option<i64>,
    inputs: &mut VecDeque<Input>,
) where
    F: std::future::Future<Output = Input>,
{
    let Some(at) = deadline else {
        inputs.extend(join_all(answers).await);
        return;
    };
    let at = tokio::time::Instant::now() + until(at);
    let timed = answers
        .into_iter()
        .map(|answer| tokio::time::timeout_at(at, answer));
    let mut late = false;
    for answer in join_all(timed).await {
        match answer {
            Ok(input) => inputs.push_back(input),
            Err(_) => late = true,
        }
    }
    if late {
        inputs.push_back(Input::Tick);
    }
}

/// How long until `at` (Unix seconds) on the system clock; zero if it passed.
fn until(at: i64) -> std::time::Duration {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(at).unwrap_or(0));
    at.duration_since(std::time::SystemTime::now())
        .unwrap_or_default()
}

/// The time now, Unix seconds.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

impl Inner {
    /// Hands `input` to `slot`'s core and carries out its actions, in order, with the order's
    /// lock held (one round at a time); the answers to a round's proposals are fed back until
    /// the core has nothing more to do.
    pub(crate) async fn drive(self: &Arc<Self>, slot: &mut Slot, input: Input) -> Outcome {
        let started = Instant::now();
        let order = slot.protocol.core().order();
        let mut outcome = Outcome::default();
        let mut inputs = VecDeque::from([input]);
        let mut sequenced = None;
        // The running round's deadline (the core's timer; one round at a time per order).
        let mut deadline = None;
        'inputs: while let Some(input) = inputs.pop_front() {
            let actions = {
                let history = Stored { inner: self, order };
                let context = Context {
                    now: unix_now(),
                    signer: &self.config.key,
                    history: &history,
                };
                slot.protocol.handle(input, &context)
            };
            // Facts whose entries commit in this pass: their queue records are removed in
            // the entries' own batches, not one flush each.
            let dequeued: Vec<(Digest, u64)> = actions
                .iter()
                .filter_map(|action| match action {
                    Action::Dequeue {
                        fact,
                        refused: None,
                    } => Some((fact.hash, fact.index)),
                    _ => None,
                })
                .collect();
            // Refused facts leave the store's queue in one batch: a document refused whole
            // is never left partly queued by a crash (the rest would be forwarded alone).
            let mut refused_removals = WriteBatch::new();
            for action in &actions {
                if let Action::Dequeue {
                    fact,
                    refused: Some(_),
                } = action
                {
                    refused_removals.remove(QUEUE, records::entry_key(&order, fact.index));
                }
            }
            let mut refused_removals = Some(refused_removals);
            let mut proposals = Vec::new();
            // Facts whose queue records went with their entries' batches in this pass.
            let mut stored_with_entry: Vec<Digest> = Vec::new();
            for action in actions {
                match action {
                    Action::Send { to, message } => match message {
                        Message::Propose { entry, previous } => {
                            proposals.push((to, entry, previous));
                        }
                        Message::Commit(entry) => {
                            if !self.config.hooks.drop_announcements {
                                self.announce(&to, entry);
                            }
                        }
                        Message::Answer { answer, .. } => outcome.answer = Some(answer),
                        Message::Forward { id, events } => {
                            self.forward_later(order, to, id, events)
                        }
                    },
                    Action::Persist(commit) => {
                        let event = commit.event;
                        let queued = event.and_then(|event| queued_index(&dequeued, event));
                        // Kept only for the equivocation test hook.
                        let forging = self.config.hooks.equivocate.is_some();
                        let entry = (commit.sequenced && forging).then(|| commit.entry.clone());
                        if let Err(error) = self.persist(slot, *commit, queued, started).await {
                            // The core moved past an entry the store does not hold: what is
                            // durable is the truth, and nothing after it may be sent.
                            tracing::error!(%order, %error, "a committed entry could not be stored; reloading the order");
                            match self.replay(slot.record.clone()) {
                                Ok(reloaded) => *slot = reloaded,
                                Err(error) => {
                                    tracing::error!(%order, %error, "cannot reload the order")
                                }
                            }
                            outcome.failed = Some(error);
                            break 'inputs;
                        }
                        if queued.is_some() {
                            stored_with_entry.extend(event);
                        }
                        sequenced = entry.or(sequenced);
                    }
                    Action::Enqueue(facts) => {
                        if let Err(error) = self.store_queued(order, &facts).await {
                            // Not stored, so not to be answered as accepted.
                            tracing::error!(%order, %error, "cannot store queued facts; reloading the order");
                            if let Ok(reloaded) = self.replay(slot.record.clone()) {
                                *slot = reloaded;
                            }
                            outcome.failed = Some(error);
                            break 'inputs;
                        }
                        for fact in &facts {
                            slot.refused.remove(&fact.hash);
                            tracing::info!(%order, event = %fact.hash, "fact queued until every party's node answers");
                        }
                    }
                    Action::Dequeue { fact, refused } => {
                        // A fact committed in this pass left the queue with its entry
                        // (`persist`); one recorded earlier is removed here, and the
                        // refused ones together (above).
                        let batch = match refused {
                            Some(_) => refused_removals.take(),
                            None => (!stored_with_entry.contains(&fact.hash)).then(|| {
                                let mut batch = WriteBatch::new();
                                batch.remove(QUEUE, records::entry_key(&order, fact.index));
                                batch
                            }),
                        };
                        if let Some(batch) = batch {
                            if let Err(error) = self.store.commit(batch).await {
                                // Harmless: on restart the fact is dropped again.
                                tracing::warn!(%error, "cannot remove a fact from the queue");
                            }
                        }
                        if let Some(error) = refused {
                            tracing::warn!(event = %fact.hash, %error, "a queued fact was refused");
                            slot.remember_refusal(fact.hash, &error);
                        }
                    }
                    Action::Reply { caller, result } => {
                        if caller == CALLER {
                            outcome.reply = Some(result);
                        } else {
                            self.callers.answer(caller, result);
                        }
                    }
                    Action::Evidence(proof) => self.keep_proof(order, *proof).await,
                    Action::Fault { entry, refusal } => {
                        self.record_fault(order, &entry, &refusal).await;
                    }
                    Action::Fetch { from, after, limit } => {
                        let (page, _) = self.fetch_page(order, from, Some(after), limit).await;
                        inputs.push_back(page);
                    }
                    Action::SetTimer { at } => deadline = Some(at),
                    // Only an opening asks for its genesis.
                    Action::FetchGenesis { .. } => {}
                    Action::CosignedClose { after_seq } => {
                        let mut batch = WriteBatch::new();
                        let seq = after_seq.to_be_bytes().to_vec();
                        batch.put(records::COSIGNED_CLOSES, order.as_bytes(), seq);
                        if let Err(error) = self.store.commit(batch).await {
                            // Not stored, so not to be cosigned: nothing after it is sent.
                            tracing::error!(%order, %error, "cannot store a cosigned close; reloading the order");
                            if let Ok(reloaded) = self.replay(slot.record.clone()) {
                                *slot = reloaded;
                            }
                            outcome.failed =
                                Some(ApiError::new(Code::StoreFailed, error.to_string()));
                            break 'inputs;
                        }
                    }
                }
            }
            if !proposals.is_empty() {
                self.propose_all(proposals, deadline, &mut inputs).await;
            }
        }
        if let Some(entry) = sequenced {
            self.equivocate_for_tests(slot, &entry).await;
        }
        outcome
    }

    /// Hands `input` (made with the caller token it is given) to the core of the order in
    /// `slot` and waits for the core's reply to it, which may come in a later drive (a
    /// forwarded fact's answer arrives after the order's lock was released).
    pub(crate) async fn drive_and_wait(
        self: &Arc<Self>,
        slot: &tokio::sync::Mutex<Slot>,
        input: impl FnOnce(Caller) -> Input,
    ) -> Result<Reply, ApiError> {
        self.drive_and_wait_core(slot, input)
            .await?
            .map_err(|error| core_error(&error))
    }

    /// [`Inner::drive_and_wait`] with the core's own error.
    pub(crate) async fn drive_and_wait_core(
        self: &Arc<Self>,
        slot: &tokio::sync::Mutex<Slot>,
        input: impl FnOnce(Caller) -> Input,
    ) -> Result<Result<Reply, CoreError>, ApiError> {
        let (caller, reply) = self.callers.register();
        let outcome = {
            let mut slot = slot.lock().await;
            self.drive(&mut slot, input(caller)).await
        };
        if let Some(error) = outcome.failed {
            self.callers.forget(caller);
            return Err(error);
        }
        let waited = tokio::time::timeout(REPLY_PATIENCE, reply).await;
        self.callers.forget(caller);
        match waited {
            Ok(Ok(result)) => Ok(result),
            Ok(Err(_)) | Err(_) => Err(ApiError::new(
                Code::NoAnswer,
                "the order's core gave no answer in time",
            )),
        }
    }

    /// Forwards facts to the sequencer's node `to` without holding the order (its node asks
    /// this one to cosign meanwhile), then hands its answer to the order's core.
    fn forward_later(
        self: &Arc<Self>,
        order: OrderId,
        to: PublicKey,
        id: u64,
        events: Vec<SignedEvent>,
    ) {
        let inner = self.clone();
        tokio::spawn(async move {
            let hashes: Vec<Digest> = events.iter().map(SignedEvent::hash).collect();
            let request = Request::ForwardEvents { order, events };
            let answer = match inner.request(&to, request).await {
                Ok(Response::Answers(places)) if places.len() == hashes.len() => {
                    forwarded_places(&hashes, places)
                }
                Ok(Response::RefusedAt {
                    index,
                    code,
                    message,
                }) => Forwarded::Refused {
                    index: usize::try_from(index).ok(),
                    code,
                    message,
                },
                Ok(Response::Refused { code, message }) if !queue::retry_later_code(&code) => {
                    Forwarded::Refused {
                        index: None,
                        code,
                        message,
                    }
                }
                Ok(other) => Forwarded::NoAnswer {
                    reason: format!("the sequencer answered {other:?}"),
                },
                Err(error) => Forwarded::NoAnswer {
                    reason: error.to_string(),
                },
            };
            if let Forwarded::NoAnswer { reason } = &answer {
                tracing::info!(%order, %reason, "facts queued until the sequencer's node answers");
            }
            let Some(slot) = inner.slot(&order) else {
                return;
            };
            let mut slot = slot.lock().await;
            inner
                .drive(&mut slot, Input::Forwarded { id, answer })
                .await;
        });
    }

    /// Writes an entry the core committed (with its log leaf and, if it records a fact this
    /// node queued, the removal of the fact's queue record `queued`) and moves the head. An
    /// entry this node signed as the sequencer is durable before anything after it is sent
    /// (rule 1); a cosigner releases the order before the flush (the sequencer holds the
    /// entry).
    async fn persist(
        self: &Arc<Self>,
        slot: &mut Slot,
        commit: Commit,
        queued: Option<u64>,
        started: Instant,
    ) -> Result<(), ApiError> {
        let sequenced = commit.sequenced;
        let pending = self.commit_start(slot, &commit, false, queued).await?;
        if !sequenced {
            let inner = self.clone();
            tokio::spawn(async move {
                match inner.commit_finish(pending).await {
                    Ok(()) => inner.after_commit(),
                    Err(error) => tracing::error!(%error, "a cosigned entry could not be stored"),
                }
            });
            return Ok(());
        }
        self.commit_finish(pending).await?;
        self.metrics
            .commit_latency
            .observe(started.elapsed().as_secs_f64());
        self.after_commit();
        Ok(())
    }

    /// Stores facts the core queued, in one batch (durably: they are answered as accepted
    /// next; all or none).
    async fn store_queued(&self, order: OrderId, facts: &[QueuedFact]) -> Result<(), ApiError> {
        let mut batch = WriteBatch::new();
        for fact in facts {
            let bytes = super::queue::encode(fact)
                .map_err(|error| ApiError::internal(error.to_string()))?;
            batch.put(QUEUE, records::entry_key(&order, fact.index), bytes);
        }
        self.store
            .commit(batch)
            .await
            .map(|_| ())
            .map_err(|error| ApiError::new(Code::StoreFailed, error.to_string()))
    }

    /// Sends every proposal of a round (through each peer's outbox), checks the cosignatures
    /// together (and with other orders' in the batch verifier); the answers that come before
    /// the round's `deadline` as inputs, then a tick if any did not (see [`answers_until`]).
    async fn propose_all(
        self: &Arc<Self>,
        proposals: Vec<(PublicKey, SignedEntry, Option<SignedEntry>)>,
        deadline: Option<i64>,
        inputs: &mut VecDeque<Input>,
    ) {
        let answers = proposals
            .into_iter()
            .map(|(key, entry, previous)| async move {
                let body = entry.hash();
                let sent = self.tampered(entry);
                let response = self
                    .propose(
                        &key,
                        Proposal {
                            entry: sent.clone(),
                            previous,
                        },
                    )
                    .await;
                self.proposal_answer(key, body, &sent, response).await
            });
        answers_until(answers, deadline, inputs).await;
    }

    /// The node of `key`'s response to the proposal of `sent` (whose body hashes to `body`)
    /// as an input for the core: a cosignature checked in the batch verifier, a refusal, or
    /// no answer.
    pub(crate) async fn proposal_answer(
        &self,
        key: PublicKey,
        body: Digest,
        sent: &SignedEntry,
        response: Result<Response, crate::net::NetError>,
    ) -> Input {
        let answer = match response {
            Ok(Response::Cosigned { signature }) => Answer::Cosigned {
                signature,
                valid: self
                    .batch
                    .verify(key, Domain::Entry, &sent.body, signature)
                    .await,
            },
            Ok(Response::Refused { code, message }) => Answer::Refused { code, message },
            Ok(other) => Answer::NoAnswer {
                reason: format!("it answered {other:?} to a proposal"),
            },
            Err(error) => Answer::NoAnswer {
                reason: error.to_string(),
            },
        };
        Input::Answer {
            from: key,
            body,
            answer,
            verified: true,
        }
    }

    /// With the `tamper_proposals` hook only: the body this node proposes, altered.
    fn tampered(&self, entry: SignedEntry) -> SignedEntry {
        let Some(tamper) = &self.config.hooks.tamper_proposals else {
            return entry;
        };
        let Ok(mut body) = entry.entry() else {
            return entry;
        };
        tamper(&mut body);
        match body.encode() {
            Ok(bytes) => SignedEntry::unsigned(bytes),
            Err(_) => entry,
        }
    }

    /// Asks the node of `from` for at most `limit` entries of `order` after `after` (from the
    /// genesis when `None`): its answer as an input for the core or the opening, which decides
    /// what comes next, with the contract and sources a page from the genesis carries.
    pub(crate) async fn fetch_page(
        &self,
        order: OrderId,
        from: PublicKey,
        after: Option<u64>,
        limit: u32,
    ) -> (Input, Option<GenesisParts>) {
        let request = Request::FetchEntries {
            order,
            after,
            limit,
        };
        let (entries, parts) = match self.request(&from, request).await {
            Ok(Response::Entries { genesis, entries }) => (Ok(entries), genesis),
            Ok(other) => (Err(format!("it answered {other:?} to a catch-up")), None),
            Err(error) => (Err(error.to_string()), None),
        };
        if let Err(reason) = &entries {
            tracing::debug!(%order, %reason, "a catch-up page did not come");
        }
        let page = Input::Page {
            from,
            after: after.unwrap_or(0),
            entries,
        };
        (page, parts)
    }

    /// Keeps a proof that the sequencer signed two bodies at one position (stored once,
    /// counted, logged, served at `GET /orders/{id}/evidence`).
    pub(crate) async fn keep_proof(&self, order: OrderId, proof: EquivocationProof) {
        let Ok(found) = proof.check() else {
            return;
        };
        let mut key = records::entry_key(&order, found.seq);
        key.extend_from_slice(&found.second.as_bytes()[..8]);
        let known = self
            .store
            .get(records::EVIDENCE, &key)
            .ok()
            .flatten()
            .is_some();
        if known {
            return;
        }
        match proof.to_bytes() {
            Ok(bytes) => {
                let mut batch = WriteBatch::new();
                batch.put(records::EVIDENCE, key, bytes);
                if let Err(error) = self.store.commit(batch).await {
                    tracing::warn!(%error, "cannot store a proof of equivocation");
                }
            }
            Err(error) => tracing::warn!(%error, "cannot encode a proof of equivocation"),
        }
        self.metrics.equivocations.inc();
        if let Ok(mut evidence) = self.evidence.lock() {
            evidence.push((order, found.seq));
        }
        tracing::error!(%order, seq = found.seq, sequencer = %found.sequencer, "the sequencer signed two different entries at one position; proof kept");
    }

    /// With the `equivocate` hook only: signs and announces a second, different body at the
    /// position just committed, as a dishonest sequencer would.
    async fn equivocate_for_tests(&self, slot: &Slot, entry: &SignedEntry) {
        let Some(forge) = &self.config.hooks.equivocate else {
            return;
        };
        let Ok(mut body) = entry.entry() else { return };
        forge(&mut body);
        let Ok(bytes) = body.encode() else { return };
        let mut forged = SignedEntry::unsigned(bytes);
        let contract = slot.protocol.core().contract();
        forged.sign(&contract.sequencer, &self.config.key);
        let others: Vec<PublicKey> = contract
            .parties
            .values()
            .filter(|key| **key != self.public)
            .copied()
            .collect();
        for key in others {
            let request = Request::Commit {
                entry: forged.clone(),
                genesis: None,
            };
            if let Err(error) = self.request(&key, request).await {
                tracing::debug!(%error, "the forged announcement was not delivered");
            }
        }
    }
}

/// The queue index of `event` if this node queued it and the core dequeued it in this pass
/// (its entry commits: at the sequencer, or at a cosigner that forwarded it).
fn queued_index(dequeued: &[(Digest, u64)], event: Digest) -> Option<u64> {
    dequeued
        .iter()
        .find(|(hash, _)| *hash == event)
        .map(|(_, index)| *index)
}

/// The sequencer's per-fact answers to a forward, as the core reads them.
pub(crate) fn forwarded_places(hashes: &[Digest], places: Vec<Response>) -> Forwarded {
    let mut taken = Vec::with_capacity(places.len());
    for (index, (hash, place)) in hashes.iter().zip(places).enumerate() {
        taken.push(match place {
            Response::Committed { seq, entry } => (*hash, Reply::Committed { seq, entry }),
            Response::Queued { event } => (*hash, Reply::Queued { event, position: 0 }),
            // Refused there after it was queued (a party refused it): it leaves the queue here.
            Response::Refused { code, message } if !queue::retry_later_code(&code) => {
                return Forwarded::Refused {
                    index: Some(index),
                    code,
                    message,
                }
            }
            other => {
                return Forwarded::NoAnswer {
                    reason: format!("the sequencer answered {other:?} for a fact"),
                }
            }
        });
    }
    Forwarded::Taken(taken)
}

/// A refusal of the core as the API (and a peer) is answered.
pub(crate) fn core_error(error: &CoreError) -> ApiError {
    match error {
        CoreError::Refused(refusal) => refusal.to_api(),
        CoreError::Round(failure) => super::sequencer::round_failure(failure.clone()),
        CoreError::Agreement(error) => super::sequencer::agreement_error(error),
        CoreError::NotSequencing => ApiError::internal(error.to_string()),
        CoreError::NotOpen => ApiError::new(Code::UnknownOrder, error.to_string()),
        CoreError::InGroup { refusal, .. } => refusal.to_api(),
        // `NotSender` and `NotAParty` are answered to peers only (this node's own API speaks
        // for its own party); a refusal the sequencer's node forwarded has the status of its
        // code, as here.
        CoreError::NotSender { .. }
        | CoreError::NotAParty
        | CoreError::NotSequencer
        | CoreError::Closing { .. }
        | CoreError::AlreadyOpen
        | CoreError::Conflict { .. }
        | CoreError::Equivocation { .. }
        | CoreError::ForwardRefused { .. } => ApiError::refusal(&error.code(), error.to_string()),
    }
}
