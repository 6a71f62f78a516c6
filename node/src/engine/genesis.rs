//! The node's driver of an order's opening ([`Opening`], sans-IO): the genesis proposed to
//! every other party with its contract and sources, their answers checked in a batch and fed
//! back until the round's deadline, the committed genesis written with the order record, the
//! open order's slot made. It decides nothing about the protocol.

use std::sync::Arc;

use tokio::sync::Mutex;
use verifier::{
    model::{OrderId, SignedEntry},
    sign::PublicKey,
};

use super::{
    admit::{ContractSender, NotAdmitted},
    driver::{answers_until, unix_now, Outcome, Stored, CALLER},
    opening::Opening,
    order::{sequencer_key, Refusal},
    protocol::{GenesisParts, Request, Response},
    protocol_core::{Action, Commit, Context, Input, Message, Reply},
    records::{self, HeadRecord, OrderRecord},
    round::Answer,
    sequencer::Committed,
    Inner, Slot,
};
use crate::api::{ApiError, Code};

/// An order this node takes part in whose genesis has not committed here yet.
pub(crate) struct OpeningSlot {
    pub opening: Opening,
    pub record: OrderRecord,
}

impl OpeningSlot {
    fn parts(&self) -> GenesisParts {
        GenesisParts {
            contract: self.record.contract.clone(),
            sources: self.record.sources.clone(),
        }
    }
}

impl Inner {
    /// The opening of `record`'s order: kept from an earlier call, else admitted now with this
    /// node's programs (cached, stored, else compiled), as a restart reads the order back.
    pub(crate) fn opening(&self, record: &OrderRecord) -> Result<Arc<Mutex<OpeningSlot>>, Refusal> {
        let order = record.contract.order_id();
        if let Some(known) = self
            .openings
            .lock()
            .ok()
            .and_then(|o| o.get(&order).cloned())
        {
            return Ok(known);
        }
        let opening = Opening::admit(
            self.config.protocol,
            &record.contract,
            &record.sources,
            self.programs.clone(),
            &self.public,
        )?;
        let slot = Arc::new(Mutex::new(OpeningSlot {
            opening,
            record: record.clone(),
        }));
        let mut openings = self
            .openings
            .lock()
            .map_err(|_| Refusal::Contract("the openings' lock is poisoned".into()))?;
        Ok(openings.entry(order).or_insert(slot).clone())
    }

    /// The opening kept for `order`, if any.
    pub(crate) fn known_opening(&self, order: &OrderId) -> Option<Arc<Mutex<OpeningSlot>>> {
        self.openings.lock().ok()?.get(order).cloned()
    }

    /// Opens `record`'s order as its sequencer: the genesis round (see [`Opening`]). An order
    /// open already answers with its committed genesis: the sync tick opens an order whose
    /// contract every party signed, and may do so between the last party's signature being
    /// stored and this call, so that party's accept still learns the genesis.
    pub(crate) async fn open_order(
        self: &Arc<Self>,
        record: OrderRecord,
    ) -> Result<Committed, ApiError> {
        let order = record.contract.order_id();
        if self.slot(&order).is_some() {
            return self.committed_genesis(order);
        }
        if let Some(pause) = &self.config.hooks.contract_signed {
            pause().await;
        }
        let opening = self.opening(&record).map_err(|refusal| refusal.to_api())?;
        let mut opening = opening.lock().await;
        if self.slot(&order).is_some() {
            return self.committed_genesis(order);
        }
        let input = Input::Open { caller: CALLER };
        match self.drive_opening(&mut opening, input).await.into_reply()? {
            Reply::Committed { seq, entry } => Ok(Committed { seq, entry }),
            other => Err(ApiError::internal(format!(
                "the order's core answered opening with {other:?}"
            ))),
        }
    }

    /// The genesis of `order`, open here, as stored.
    pub(crate) fn committed_genesis(&self, order: OrderId) -> Result<Committed, ApiError> {
        let genesis = records::read_entry(&self.store, &order, 0)
            .map_err(|error| ApiError::internal(error.to_string()))?
            .ok_or_else(|| {
                ApiError::internal(format!("order {order} is open without a genesis"))
            })?;
        Ok(Committed {
            seq: 0,
            entry: genesis.entry.hash(),
        })
    }

    /// The contract and sources `peer` sent as the order's sequencer (with a genesis proposed,
    /// announced or fetched), admitted ([`Inner::admit_contract`]): the order's record.
    fn admit_from_sequencer(
        &self,
        peer: libp2p::PeerId,
        parts: GenesisParts,
    ) -> Result<OrderRecord, NotAdmitted> {
        self.admit_contract(
            peer,
            &parts.contract,
            &parts.sources,
            ContractSender::Sequencer,
        )?;
        Ok(OrderRecord {
            contract: parts.contract,
            sources: parts.sources,
        })
    }

    /// A genesis proposal from `peer` (the sequencer, admitted by the caller): cosigned if it
    /// is the genesis this node computes.
    pub(crate) async fn on_genesis_proposal(
        self: &Arc<Self>,
        peer: libp2p::PeerId,
        entry: SignedEntry,
        parts: GenesisParts,
    ) -> Response {
        let order = parts.contract.order_id();
        let record = match self.admit_from_sequencer(peer, parts) {
            Ok(record) => record,
            Err(refused) => return self.not_admitted(peer, refused),
        };
        let Some(from) = self.party_key(&peer) else {
            return Response::refused(
                "not_sequencer",
                "the sender's identity is not a party's key",
            );
        };
        // The core takes the proposal only from the sequencer (as the admission did).
        let proposal = Input::Proposal {
            from,
            entry: entry.clone(),
            previous: None,
            verified: true,
        };
        let outcome = match self.open_or_started(&record) {
            Err(refusal) => {
                self.record_fault(order, &entry, &refusal).await;
                return Response::refused(refusal.code(), refusal.to_string());
            }
            // Open here already: the open order cosigns only the same genesis again.
            Ok(Either::Started(slot)) => self.drive(&mut *slot.lock().await, proposal).await,
            Ok(Either::Opening(opening)) => {
                self.drive_opening(&mut *opening.lock().await, proposal)
                    .await
            }
        };
        match outcome.answer {
            Some(Answer::Cosigned { signature, .. }) => Response::Cosigned { signature },
            Some(Answer::Refused { code, message }) => Response::Refused { code, message },
            Some(Answer::NoAnswer { reason }) => Response::refused("behind", reason),
            None => Response::refused("internal", "the order's core gave no answer"),
        }
    }

    /// A committed genesis from `peer` (announced, or fetched from the sequencer), with its
    /// contract and sources unless this node kept them: the order opens here. The core takes
    /// it only from the order's sequencer.
    pub(crate) async fn adopt_genesis(
        self: &Arc<Self>,
        peer: libp2p::PeerId,
        order: OrderId,
        entry: SignedEntry,
        parts: Option<GenesisParts>,
    ) -> Result<(), ApiError> {
        let record = if let Some(slot) = self.slot(&order) {
            slot.lock().await.record.clone()
        } else if let Some(opening) = self.known_opening(&order) {
            opening.lock().await.record.clone()
        } else {
            let parts = parts.ok_or_else(|| {
                ApiError::new(Code::UnknownOrder, "a genesis commit needs its contract")
            })?;
            if parts.contract.order_id() != order {
                return Err(ApiError::new(
                    Code::WrongOrder,
                    "the contract is not this order's",
                ));
            }
            self.admit_from_sequencer(peer, parts)
                .map_err(|refused| ApiError::refusal(refused.code(), refused.to_string()))?
        };
        let from = self.party_key(&peer).ok_or_else(|| {
            ApiError::new(
                Code::NotSequencer,
                "the sender's identity is not a party's key",
            )
        })?;
        let committed = Input::Committed {
            from,
            entry: entry.clone(),
            caller: Some(CALLER),
            verified: false,
        };
        let outcome = match self.open_or_started(&record) {
            Err(refusal) => {
                self.record_fault(order, &entry, &refusal).await;
                return Err(refusal.to_api());
            }
            Ok(Either::Started(slot)) => self.drive(&mut *slot.lock().await, committed).await,
            Ok(Either::Opening(opening)) => {
                self.drive_opening(&mut *opening.lock().await, committed)
                    .await
            }
        };
        outcome.into_reply().map(|_| ())
    }

    /// The order's slot if it is open here, else its opening.
    fn open_or_started(&self, record: &OrderRecord) -> Result<Either, Refusal> {
        let order = record.contract.order_id();
        if let Some(slot) = self.slot(&order) {
            return Ok(Either::Started(slot));
        }
        self.opening(record).map(Either::Opening)
    }

    /// Hands `input` to an opening and carries out its actions, in order, with the opening's
    /// lock held; the answers to the genesis proposals are fed back (until the round's
    /// deadline) until the core has nothing more to do. Once the genesis is persisted the
    /// order is open: its slot replaces the opening.
    pub(crate) async fn drive_opening(
        self: &Arc<Self>,
        slot: &mut OpeningSlot,
        input: Input,
    ) -> Outcome {
        let started = std::time::Instant::now();
        let order = slot.opening.order();
        let mut outcome = Outcome::default();
        let mut inputs = std::collections::VecDeque::from([input]);
        let mut deadline = None;
        while let Some(input) = inputs.pop_front() {
            let actions = {
                let history = Stored { inner: self, order };
                let context = Context {
                    now: unix_now(),
                    signer: &self.config.key,
                    history: &history,
                };
                slot.opening.handle(input, &context)
            };
            let mut proposals = Vec::new();
            for action in actions {
                match action {
                    Action::Send { to, message } => match message {
                        Message::Propose { entry, .. } => proposals.push((to, entry)),
                        Message::Commit(entry) => self.announce_genesis(to, entry, slot.parts()),
                        Message::Answer { answer, .. } => outcome.answer = Some(answer),
                        // An opening takes no fact, so it forwards none.
                        Message::Forward { .. } => {}
                    },
                    Action::Persist(commit) => {
                        let sequenced = commit.sequenced;
                        if let Err(error) = self.store_genesis(slot, *commit).await {
                            // Not durable: this opening is forgotten and admitted again.
                            tracing::error!(%order, %error, "the genesis could not be stored");
                            if let Ok(mut openings) = self.openings.lock() {
                                openings.remove(&order);
                            }
                            outcome.failed = Some(error);
                            return outcome;
                        }
                        if sequenced {
                            self.metrics
                                .commit_latency
                                .observe(started.elapsed().as_secs_f64());
                        }
                    }
                    Action::Reply { caller, result } => {
                        if caller == CALLER {
                            outcome.reply = Some(result);
                        }
                    }
                    Action::Fault { entry, refusal } => {
                        self.record_fault(order, &entry, &refusal).await;
                    }
                    Action::SetTimer { at } => deadline = Some(at),
                    Action::FetchGenesis { from } => {
                        inputs.push_back(self.fetch_page(order, from, None, 1).await.0);
                    }
                    // An opening neither queues facts, keeps proofs, catches up nor closes.
                    Action::Enqueue(_)
                    | Action::Dequeue { .. }
                    | Action::Evidence(_)
                    | Action::Fetch { .. }
                    | Action::CosignedClose { .. } => {}
                }
            }
            if !proposals.is_empty() {
                let parts = slot.parts();
                let answers = proposals
                    .into_iter()
                    .map(|(key, entry)| self.propose_genesis(key, entry, parts.clone()));
                answers_until(answers, deadline, &mut inputs).await;
            }
        }
        outcome
    }

    /// An order this node signed the contract of that is not open here. Its opening (every
    /// party's signature in hand) asks for the genesis itself on a tick. A stored proposal
    /// whose signatures this node does not all hold has no opening, for want of a contract to
    /// admit: the sequencer's node is asked for the genesis with the contract every party
    /// signed, which is admitted (`admit.rs`, then the contract check of [`Opening::admit`])
    /// and whose opening takes the genesis as that tick's answer would.
    pub(crate) async fn open_missed(self: &Arc<Self>, order: OrderId) -> Result<(), ApiError> {
        if let Some(opening) = self.known_opening(&order) {
            let mut opening = opening.lock().await;
            return self.drive_opening(&mut opening, Input::Tick).await.done();
        }
        let signed = self
            .proposals
            .lock()
            .ok()
            .and_then(|proposals| proposals.get(&order).cloned())
            .and_then(|record| record.contract.contract().ok());
        let Some(from) = signed
            .as_ref()
            .and_then(sequencer_key)
            .filter(|key| *key != self.public)
        else {
            return Ok(());
        };
        let (page, parts) = self.fetch_page(order, from, None, 1).await;
        let Some(parts) = parts.filter(|parts| parts.contract.order_id() == order) else {
            return Ok(());
        };
        let peer = self
            .peer_id(&from)
            .ok_or_else(|| ApiError::internal("the sequencer's key is not a peer id"))?;
        let record = self
            .admit_from_sequencer(peer, parts)
            .map_err(|refused| ApiError::refusal(refused.code(), refused.to_string()))?;
        let opening = self.opening(&record).map_err(|refusal| refusal.to_api())?;
        let mut opening = opening.lock().await;
        self.drive_opening(&mut opening, page).await.done()
    }

    /// Asks the node of `key` to cosign the genesis; its answer as an input for the core.
    async fn propose_genesis(
        self: &Arc<Self>,
        key: PublicKey,
        entry: SignedEntry,
        parts: GenesisParts,
    ) -> Input {
        let body = entry.hash();
        let request = Request::ProposeEntry {
            entry: entry.clone(),
            genesis: Some(parts),
            previous: None,
        };
        let response = self.request(&key, request).await;
        self.proposal_answer(key, body, &entry, response).await
    }

    /// Announces the committed genesis (with its contract and sources) to the node of `key`.
    fn announce_genesis(self: &Arc<Self>, key: PublicKey, entry: SignedEntry, parts: GenesisParts) {
        if self.config.hooks.drop_announcements {
            return;
        }
        let inner = self.clone();
        tokio::spawn(async move {
            let request = Request::Commit {
                entry,
                genesis: Some(parts),
            };
            if let Err(error) = inner.request(&key, request).await {
                tracing::debug!(%error, "genesis announcement not delivered");
            }
        });
    }

    /// Writes the genesis the core committed with the order record in one batch (durable on
    /// return), then puts the open order in place of its opening.
    async fn store_genesis(
        self: &Arc<Self>,
        opening: &OpeningSlot,
        commit: Commit,
    ) -> Result<(), ApiError> {
        let order = opening.opening.order();
        let protocol = opening
            .opening
            .protocol()
            .ok_or_else(|| ApiError::internal("the genesis committed but the order is not open"))?;
        let mut slot = Slot {
            protocol,
            record: opening.record.clone(),
            head: HeadRecord {
                seq: 0,
                entry: commit.hash,
                leaf: 0,
            },
            refused: Default::default(),
        };
        let pending = self.commit_start(&mut slot, &commit, true, None).await?;
        self.commit_finish(pending).await?;
        self.insert_slot(order, slot);
        if let Ok(mut openings) = self.openings.lock() {
            openings.remove(&order);
        }
        self.after_commit();
        Ok(())
    }
}

/// An order open here, or still opening.
enum Either {
    Started(Arc<Mutex<Slot>>),
    Opening(Arc<Mutex<OpeningSlot>>),
}
