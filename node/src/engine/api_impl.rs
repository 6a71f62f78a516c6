//! The engine behind the HTTP API: each [`NodeApi`] call as protocol steps.

use std::sync::Arc;

use base64::Engine as _;
use futures::future::join_all;
use serde_json::{json, Value};
use verifier::{
    model::{Close, Contract, Decision, Digest, OrderId, SignedContract, SignedEvent},
    sign::{Domain, PublicKey},
};

use super::{
    agreement::Agreement,
    protocol::{Request, Response},
    queue::FactStatus,
    records::{self, EntryRecord, ProposalRecord, ENTRIES},
    sequencer::Submitted,
    sources::{build_contract, build_event, proposal_sources},
    views::{entry_view, order_view},
    Engine, Inner, Slot,
};
use crate::api::{
    AcceptOrder, ApiError, BundleExport, Code, ConsistencyQuery, HistoryQuery, NodeApi, OrderQuery,
    ProposalQuery, ProposeOrder, PutPeer, SubmitAgreement, SubmitClose, SubmitEvent, SubmitReview,
};

pub(super) fn order_id(id: &str) -> Result<OrderId, ApiError> {
    Digest::from_hex(id).ok_or_else(|| {
        ApiError::new(
            Code::BadOrderId,
            format!("order id {id:?} is not 64 hex digits"),
        )
    })
}

/// A party key in hex, as the peer routes name it.
fn peer_key(text: &str) -> Result<PublicKey, ApiError> {
    let bad = || {
        ApiError::new(
            Code::BadKey,
            format!("{text:?} is not an ed25519 public key in hex (64 digits)"),
        )
    };
    let bytes: [u8; 32] = hex::decode(text)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(bad)?;
    PublicKey::from_bytes(&bytes).map_err(|_| bad())
}

impl Inner {
    /// Sends a party's request to the sequencer's node: `Ack` or `Committed`, anything else
    /// as the API error it means; a refusal with the status of its code, as the sequencer's
    /// node answers it to its own caller.
    async fn ask_sequencer(&self, key: &PublicKey, request: Request) -> Result<Response, ApiError> {
        match self.request(key, request).await {
            Ok(answer @ (Response::Ack | Response::Committed { .. })) => Ok(answer),
            Ok(Response::Refused { code, message }) => Err(ApiError::refusal(
                &code,
                format!("the sequencer refused: {message}"),
            )),
            Ok(other) => Err(ApiError::new(Code::BadAnswer, format!("{other:?}"))),
            Err(error) => Err(ApiError::new(
                Code::PartyUnreachable,
                format!("the sequencer's node did not answer: {error}"),
            )),
        }
    }

    /// Signs `body` (a review or close of `order`) as this node's party and hands the
    /// signature to the sequencer (this node, or the sequencer's node); returns the committed
    /// entry once the signature completed the record, `None` while others have yet to sign.
    async fn sign_agreement(
        self: &Arc<Self>,
        kind: Agreement,
        order: OrderId,
        body: Vec<u8>,
    ) -> Result<Option<(u64, Digest)>, ApiError> {
        let (role, sequencer) = self.role_and_sequencer(order).await?;
        let signature = self.config.key.sign(kind.domain(), &body);
        let Some(key) = sequencer else {
            return Ok(self
                .add_agreement_signature(kind, order, body, (self.public, &role), signature)
                .await?
                .map(|committed| (committed.seq, committed.entry)));
        };
        let request = match kind {
            Agreement::Review => Request::ReviewSignature {
                order,
                review: body,
                role,
                signature,
            },
            Agreement::Close => Request::CloseSignature {
                order,
                close: body,
                role,
                signature,
            },
            Agreement::Amendment => Request::AgreementSignature {
                order,
                agreement: body,
                role,
                signature,
            },
        };
        Ok(match self.ask_sequencer(&key, request).await? {
            Response::Committed { seq, entry } => Some((seq, entry)),
            _ => None,
        })
    }

    /// This node's role in `order`, and the sequencer's key when another party's node
    /// sequences it (`None`: this node does).
    async fn role_and_sequencer(
        &self,
        order: OrderId,
    ) -> Result<(String, Option<PublicKey>), ApiError> {
        let slot = self
            .slot(&order)
            .ok_or_else(|| ApiError::unknown_order(&order.to_string()))?;
        let slot = slot.lock().await;
        let contract = slot.protocol.core().contract();
        let role = self
            .my_role(&contract.parties)
            .ok_or_else(|| ApiError::internal("this node is not a party"))?;
        if role == contract.sequencer {
            return Ok((role, None));
        }
        let key = super::order::sequencer_key(contract)
            .ok_or_else(|| ApiError::internal("the sequencer has no key"))?;
        Ok((role, Some(key)))
    }

    /// Withdraws this node's party's pending decision of `kind` about `order`; its role.
    /// A close signature is withdrawn here first: the node takes facts again at once, which
    /// is safe before the sequencer hears of it, since a node does not cosign a close while a
    /// fact it took waits (protocol rule 5). Then at the sequencer's node, which collects the
    /// signatures: one it no longer holds completes no record.
    async fn withdraw_own(
        self: &Arc<Self>,
        kind: Agreement,
        order: OrderId,
    ) -> Result<String, ApiError> {
        let (role, sequencer) = self.role_and_sequencer(order).await?;
        if kind == Agreement::Close || sequencer.is_none() {
            self.withdraw(kind, order, (self.public, &role)).await?;
        }
        let Some(key) = sequencer else {
            return Ok(role);
        };
        let request = Request::Withdraw {
            order,
            kind,
            role: role.clone(),
        };
        match self.ask_sequencer(&key, request).await {
            Ok(_) => Ok(role),
            // The sequencer's node did not answer, or not as it should: it may still hold it.
            Err(mut error)
                if kind == Agreement::Close
                    && matches!(error.code.as_str(), "party_unreachable" | "bad_answer") =>
            {
                error.message = format!(
                    "withdrawn at this node, which takes facts again; the sequencer's node may \
                     still hold the signature (send the withdrawal again): {}",
                    error.message
                );
                Err(error)
            }
            Err(error) => Err(error),
        }
    }

    /// The answer to a party's signature on a close or an agreement: the committed entry with
    /// status `done` once it completed the record, else who signed so far and `message`.
    async fn record_answer(
        self: &Arc<Self>,
        (kind, order, outcome): (Agreement, OrderId, Option<(u64, Digest)>),
        done: &str,
        message: &str,
    ) -> Value {
        match outcome {
            Some((seq, entry)) => {
                let mut view = self.committed_view(order, seq, entry).await;
                if let Some(object) = view.as_object_mut() {
                    object.insert("status".into(), json!(done));
                }
                view
            }
            None => json!({
                "order": order.to_string(),
                "status": "signed",
                "signed": self.pending_signers(kind, &order).await,
                "message": message,
            }),
        }
    }

    /// The status of fact `event` of `order`: committed (with its entry), queued, refused.
    pub(crate) async fn fact_view(
        self: &Arc<Self>,
        order: OrderId,
        event: Digest,
    ) -> Result<Value, ApiError> {
        let slot = self
            .slot(&order)
            .ok_or_else(|| ApiError::unknown_order(&order.to_string()))?;
        let status = self.fact_status(&*slot.lock().await, &event);
        match status {
            Some(FactStatus::Committed(committed)) => {
                let mut view = self
                    .committed_view(order, committed.seq, committed.entry)
                    .await;
                if let Some(object) = view.as_object_mut() {
                    object.insert("status".into(), json!("committed"));
                    object.insert("event".into(), json!(event.to_string()));
                }
                Ok(view)
            }
            Some(FactStatus::Queued { position }) => Ok(queued_view(order, event, position)),
            Some(FactStatus::Refused { code, message }) => Ok(json!({
                "order": order.to_string(),
                "event": event.to_string(),
                "status": "refused",
                "code": code,
                "message": message,
            })),
            None => Err(ApiError::new(
                Code::UnknownFact,
                format!("order {order} has no fact {event} recorded, queued or refused"),
            )),
        }
    }

    /// The entry `seq` of `order` as stored here, as a view.
    fn stored_entry_view(&self, contract: &Contract, order: &OrderId, seq: u64) -> Option<Value> {
        let stored = records::read_entry(&self.store, order, seq)
            .ok()
            .flatten()?;
        let body = stored.entry.entry().ok()?;
        Some(entry_view(contract, &stored, &body))
    }

    /// After the sequencer committed `seq` elsewhere, makes sure this node has it too, so the
    /// operator's next read sees it.
    /// The view of a stored entry. A cosigner applies an entry before its own copy is flushed
    /// (the sequencer holds it durably), so an entry this node has already moved past may reach
    /// the store a moment later: wait for it, for a bounded time.
    async fn flushed_entry_view(
        &self,
        contract: &Contract,
        order: &OrderId,
        seq: u64,
    ) -> Option<Value> {
        const ATTEMPTS: u32 = 200;
        for _ in 0..ATTEMPTS {
            if let Some(view) = self.stored_entry_view(contract, order, seq) {
                return Some(view);
            }
            // At the head, the caller answers from the head entry kept in memory.
            let past = match self.slot(order) {
                Some(slot) => slot.lock().await.head.seq > seq,
                None => false,
            };
            if !past {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        None
    }

    async fn ensure_local(self: &Arc<Self>, order: OrderId, seq: u64) {
        let behind = match self.slot(&order) {
            Some(slot) => slot.lock().await.head.seq < seq,
            None => true,
        };
        if behind {
            if let Err(error) = self.catch_up(order).await {
                tracing::debug!(%order, %error, "could not fetch the committed entry yet");
            }
        }
    }

    pub(super) async fn committed_view(
        self: &Arc<Self>,
        order: OrderId,
        seq: u64,
        entry: Digest,
    ) -> Value {
        self.ensure_local(order, seq).await;
        let contract = match self.slot(&order) {
            Some(slot) => Some(slot.lock().await.protocol.core().contract().clone()),
            None => None,
        };
        let stored = match &contract {
            Some(contract) => self.flushed_entry_view(contract, &order, seq).await,
            None => None,
        };
        let view = match stored {
            Some(view) => Some(view),
            None => match self.slot(&order) {
                Some(slot) => {
                    let slot = slot.lock().await;
                    match (Some(slot.protocol.last()), slot.head.seq == seq) {
                        (Some(last), true) => last.entry().ok().map(|body| {
                            let record = EntryRecord {
                                entry: last.clone(),
                                leaf: slot.head.leaf,
                            };
                            entry_view(slot.protocol.core().contract(), &record, &body)
                        }),
                        _ => None,
                    }
                }
                None => None,
            },
        };
        json!({
            "order": order.to_string(),
            "seq": seq,
            "entry_hash": entry.to_string(),
            "committed": true,
            "entry": view,
        })
    }
}

impl NodeApi for Engine {
    fn events(&self) -> Option<Arc<crate::events::Events>> {
        Some(self.inner.events.clone())
    }

    // Finding things (issue 13): the bodies are in queries.rs.
    async fn list_orders(&self, query: OrderQuery) -> Result<Value, ApiError> {
        self.inner.list_orders(query).await
    }

    async fn history_page(&self, id: String, query: HistoryQuery) -> Result<Value, ApiError> {
        self.inner.history_page(order_id(&id)?, query).await
    }

    async fn ingest(
        &self,
        format: crate::ingest::Format,
        facts: Vec<crate::ingest::MappedFact>,
        order: Option<String>,
    ) -> Result<(Value, bool), ApiError> {
        self.inner.ingest(format, facts, order).await
    }

    async fn proposals(&self, id: Option<String>, query: ProposalQuery) -> Result<Value, ApiError> {
        let only = id.as_deref().map(order_id).transpose()?;
        let views = self.inner.proposal_views(only, query.lang.as_deref())?;
        match id {
            Some(id) => views
                .into_iter()
                .next()
                .ok_or_else(|| ApiError::unknown_order(&id)),
            None => Ok(json!({ "proposals": views })),
        }
    }

    async fn propose(&self, request: ProposeOrder) -> Result<Value, ApiError> {
        let inner = &self.inner;
        let sources = proposal_sources(&request.clauses)?;
        let program = inner
            .program(&sources)
            .map_err(|error| ApiError::new(Code::InvalidClause, error))?;
        let me = (inner.config.role.as_str(), inner.public);
        let contract = build_contract(&request, &sources, &program, me, &inner.peers())?;
        let mut signed = SignedContract::unsigned(&contract)
            .map_err(|e| ApiError::new(Code::InvalidContract, e.to_string()))?;
        let order = signed.order_id();
        if inner.slot(&order).is_some() {
            return Err(ApiError::new(
                Code::AlreadyStarted,
                format!("order {order} exists"),
            ));
        }
        let role = inner.config.role.clone();
        signed.sign(&role, &inner.config.key);
        inner
            .check_proposal_contract(&signed, &sources)
            .map_err(|refusal| refusal.to_api())?;
        let record = ProposalRecord {
            contract: signed.clone(),
            sources: sources.clone(),
        };
        inner.save_proposal(order, record).await?;
        let others: Vec<_> = contract
            .parties
            .iter()
            .filter(|(party, _)| **party != role)
            .map(|(party, key)| (party.clone(), *key))
            .collect();
        let deliveries = join_all(others.iter().map(|(party, key)| {
            let request = Request::ProposeContract {
                contract: signed.clone(),
                sources: sources.clone(),
            };
            async move { (party.clone(), inner.request(key, request).await) }
        }))
        .await;
        let delivered: serde_json::Map<String, Value> = deliveries
            .into_iter()
            .map(|(party, result)| {
                let status = match result {
                    Ok(Response::Ack) => json!("delivered"),
                    Ok(Response::Refused { code, message }) => {
                        json!(format!("refused: {code}: {message}"))
                    }
                    Ok(other) => json!(format!("unexpected answer: {other:?}")),
                    Err(error) => json!(format!("not delivered: {error}")),
                };
                (party, status)
            })
            .collect();
        let mut started = None;
        if others.is_empty() && contract.sequencer == role {
            started = Arc::clone(inner)
                .add_contract_signature(
                    order,
                    (inner.public, &role),
                    inner.config.key.sign(Domain::Contract, &signed.body),
                )
                .await?;
        }
        Ok(json!({
            "order": order.to_string(),
            "status": if started.is_some() { "started" } else { "proposed" },
            "signed_by": [role],
            "awaiting": others.iter().map(|(party, _)| party.clone()).collect::<Vec<_>>(),
            "delivered": delivered,
        }))
    }

    async fn accept(&self, id: String, _: AcceptOrder) -> Result<Value, ApiError> {
        let inner = &self.inner;
        let order = order_id(&id)?;
        if inner.slot(&order).is_some() {
            return Err(ApiError::new(
                Code::AlreadyStarted,
                format!("order {order} already started"),
            ));
        }
        let record = inner
            .proposals
            .lock()
            .ok()
            .and_then(|proposals| proposals.get(&order).cloned())
            .ok_or_else(|| ApiError::unknown_order(&id))?;
        let machine = inner
            .check_proposal_contract(&record.contract, &record.sources)
            .map_err(|refusal| refusal.to_api())?;
        let contract = machine.contract();
        let role = inner.my_role(&contract.parties).ok_or_else(|| {
            ApiError::new(Code::NotAParty, "this node is not a party of the order")
        })?;
        let signature = inner
            .config
            .key
            .sign(Domain::Contract, &record.contract.body);
        if contract.sequencer == role {
            let started = Arc::clone(inner)
                .add_contract_signature(order, (inner.public, &role), signature)
                .await?;
            return Ok(json!({
                "order": order.to_string(),
                "status": if started.is_some() { "started" } else { "accepted" },
            }));
        }
        let mut mine = record.clone();
        mine.contract.signatures.insert(role.clone(), signature);
        inner.save_proposal(order, mine).await?;
        let sequencer = contract
            .parties
            .get(&contract.sequencer)
            .copied()
            .ok_or_else(|| ApiError::internal("the sequencer has no key"))?;
        let request = Request::AcceptContract {
            order,
            role: role.clone(),
            signature,
        };
        // A refusal of the sequencer's node keeps its code and status, as for the other
        // signatures a party's node hands it (reviews, closes, agreements).
        match inner.ask_sequencer(&sequencer, request).await? {
            Response::Committed { seq, entry } => {
                inner.ensure_local(order, seq).await;
                Ok(
                    json!({ "order": order.to_string(), "status": "started", "genesis": entry.to_string() }),
                )
            }
            _ => Ok(json!({ "order": order.to_string(), "status": "accepted" })),
        }
    }

    async fn submit_event(&self, id: String, request: SubmitEvent) -> Result<Value, ApiError> {
        let inner = &self.inner;
        let order = order_id(&id)?;
        let slot = inner
            .slot(&order)
            .ok_or_else(|| ApiError::unknown_order(&id))?;
        let signed = match (request.signed, request.event) {
            (Some(encoded), None) => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .map_err(|e| {
                        ApiError::new(Code::InvalidEvent, format!("`signed` is not base64: {e}"))
                    })?;
                SignedEvent::from_bytes(&bytes)
                    .map_err(|e| ApiError::new(Code::InvalidEvent, format!("`signed`: {e}")))?
            }
            (None, Some(event)) => {
                let program = {
                    let slot = slot.lock().await;
                    inner
                        .program(&slot.record.sources)
                        .map_err(ApiError::internal)?
                };
                build_event(&event, order, &program)?
                    .sign(&inner.config.key)
                    .map_err(|e| ApiError::new(Code::InvalidEvent, e.to_string()))?
            }
            _ => {
                return Err(ApiError::new(
                    Code::InvalidRequest,
                    "give exactly one of `signed` or `event`",
                ))
            }
        };
        match inner.submit_event(order, signed).await? {
            Submitted::Committed(committed) => Ok(inner
                .committed_view(order, committed.seq, committed.entry)
                .await),
            Submitted::Queued { event, position } => Ok(queued_view(order, event, position)),
        }
    }

    async fn order(&self, id: String) -> Result<Value, ApiError> {
        let order = order_id(&id)?;
        let slot = self
            .inner
            .slot(&order)
            .ok_or_else(|| ApiError::unknown_order(&id))?;
        let slot = slot.lock().await;
        let role = self
            .inner
            .my_role(&slot.protocol.core().contract().parties)
            .unwrap_or_default();
        Ok(order_view(
            slot.protocol.core(),
            &slot.head.entry.to_string(),
            &role,
        ))
    }

    async fn history(&self, id: String) -> Result<Value, ApiError> {
        let inner = &self.inner;
        let order = order_id(&id)?;
        let slot = inner
            .slot(&order)
            .ok_or_else(|| ApiError::unknown_order(&id))?;
        let (head, contract) = {
            let slot = slot.lock().await;
            (slot.head.seq, slot.protocol.core().contract().clone())
        };
        let mut entries = Vec::new();
        for item in inner
            .store
            .scan_prefix(ENTRIES, order.as_bytes())
            .take(usize::try_from(head.saturating_add(1)).unwrap_or(usize::MAX))
        {
            let stored: EntryRecord = item
                .map_err(records::RecordError::from)
                .and_then(|(_, bytes)| records::decode("entry", &bytes))
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let body = stored
                .entry
                .entry()
                .map_err(|e| ApiError::internal(e.to_string()))?;
            entries.push(entry_view(&contract, &stored, &body));
        }
        Ok(json!({ "order": order.to_string(), "entries": entries }))
    }

    async fn review(&self, id: String, request: SubmitReview) -> Result<Value, ApiError> {
        let inner = &self.inner;
        let order = order_id(&id)?;
        let decision = match request.decision.as_str() {
            "approve" => Decision::Approve,
            "discard" => Decision::Discard,
            other => {
                return Err(ApiError::new(
                    Code::InvalidDecision,
                    format!("decision {other:?} is neither `approve` (apply what was held back) nor `discard` (drop it)"),
                ))
            }
        };
        let slot = inner
            .slot(&order)
            .ok_or_else(|| ApiError::unknown_order(&id))?;
        let (after_seq, at, terms) = {
            let slot = slot.lock().await;
            super::sequencer::check_open(&slot, Agreement::Review)?;
            // The review's time: the caller's, or else the order's latest recorded event
            // time (the same for every party, so their bodies match).
            let at = agreement_time(&slot, request.at.as_deref(), Code::InvalidReview)?;
            let core = slot.protocol.core();
            let rules = core.machine().rules(core.state());
            let terms = super::sources::typed_terms(&request.terms, rules.program())
                .map_err(|error| ApiError::new(Code::InvalidReview, error))?;
            (slot.protocol.core().state().seq, at, terms)
        };
        let body = inner.review_for(order, after_seq, at, decision, &request.note, terms)?;
        let outcome = inner.sign_agreement(Agreement::Review, order, body).await?;
        Ok(match outcome {
            Some((seq, entry)) => {
                let mut view = inner.committed_view(order, seq, entry).await;
                if let Some(object) = view.as_object_mut() {
                    object.insert("status".into(), json!("applied"));
                }
                view
            }
            None => json!({
                "order": order.to_string(),
                "status": "signed",
                "decisions": inner
                    .pending_decisions(&order)
                    .await
                    .into_iter()
                    .map(|(role, review)| (role, json!({
                        "decision": review.decision,
                        "note": review.note,
                        "terms": verifier::json::values(&review.terms),
                    })))
                    .collect::<serde_json::Map<String, Value>>(),
                "message": "this party signed the review; it applies once every party signed the same decision",
            }),
        })
    }

    async fn peers(&self) -> Result<Value, ApiError> {
        let peers: Vec<Value> = self
            .inner
            .peer_list()
            .into_iter()
            .map(|peer| {
                json!({
                    "role": peer.role,
                    "key": peer.key.to_string(),
                    "addresses": peer.addresses.iter().map(ToString::to_string).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(json!({ "peers": peers }))
    }

    async fn put_peer(&self, key: String, request: PutPeer) -> Result<Value, ApiError> {
        let key = peer_key(&key)?;
        if request.role.trim().is_empty() {
            return Err(ApiError::new(Code::InvalidRole, "a peer needs a role"));
        }
        let addresses = request
            .addresses
            .iter()
            .map(|text| {
                text.parse::<libp2p::Multiaddr>().map_err(|error| {
                    ApiError::new(
                        Code::InvalidAddress,
                        format!("{text:?} is not a multiaddr: {error}"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let dialled = self
            .inner
            .set_peer(key, request.role.clone(), addresses)
            .await?;
        Ok(json!({
            "role": request.role,
            "key": key.to_string(),
            "addresses": request.addresses,
            "resolved": dialled.iter().map(ToString::to_string).collect::<Vec<_>>(),
        }))
    }

    async fn delete_peer(&self, key: String) -> Result<Value, ApiError> {
        let public = peer_key(&key)?;
        if !self.inner.remove_peer(public).await? {
            return Err(ApiError::new(Code::UnknownPeer, format!("no peer {key}")));
        }
        Ok(json!({ "key": public.to_string(), "status": "removed" }))
    }

    async fn close(&self, id: String, request: SubmitClose) -> Result<Value, ApiError> {
        let inner = &self.inner;
        let order = order_id(&id)?;
        let slot = inner
            .slot(&order)
            .ok_or_else(|| ApiError::unknown_order(&id))?;
        let (after_seq, at) = {
            let mut slot = slot.lock().await;
            super::sequencer::check_open(&slot, Agreement::Close)?;
            let at = agreement_time(&slot, request.at.as_deref(), Code::InvalidClose)?;
            let after_seq = slot.protocol.core().state().seq;
            // Before the signature leaves: no new fact this node could not record.
            slot.protocol
                .sign_close(after_seq, super::driver::unix_now());
            (after_seq, at)
        };
        let body = Close::new(order, after_seq, at, request.note)
            .encode()
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let outcome = match inner.sign_agreement(Agreement::Close, order, body).await {
            Ok(outcome) => outcome,
            // Refused (by the sequencer's node or this node's core): the sequencer does not
            // hold the signature, so no close it signs can commit. Unanswered, or its round
            // failed for want of an answer, it may, and facts stay out.
            Err(refused) if refused.code.is_refusal() => {
                slot.lock().await.protocol.withdraw_close();
                return Err(refused);
            }
            Err(error) => return Err(error),
        };
        Ok(inner
            .record_answer(
                (Agreement::Close, order, outcome),
                "closed",
                "this party signed the close; the order closes once every party signed the same close",
            )
            .await)
    }

    async fn agree(&self, id: String, request: SubmitAgreement) -> Result<Value, ApiError> {
        let inner = &self.inner;
        let order = order_id(&id)?;
        let slot = inner
            .slot(&order)
            .ok_or_else(|| ApiError::unknown_order(&id))?;
        let body = {
            let slot = slot.lock().await;
            super::sequencer::check_open(&slot, Agreement::Amendment)?;
            let at = agreement_time(&slot, request.at.as_deref(), Code::InvalidAgreement)?;
            let rules = slot
                .protocol
                .core()
                .machine()
                .rules(slot.protocol.core().state());
            let changes = super::amend::changes(&request, rules, |sources| inner.program(sources))?;
            let after_seq = slot.protocol.core().state().seq;
            verifier::model::Agreement::new(order, after_seq, at, changes, request.note)
                .encode()
                .map_err(|e| ApiError::internal(e.to_string()))?
        };
        let outcome = inner
            .sign_agreement(Agreement::Amendment, order, body)
            .await?;
        Ok(inner
            .record_answer(
                (Agreement::Amendment, order, outcome),
                "amended",
                "this party signed the agreement; it applies once every party signed the same agreement",
            )
            .await)
    }

    async fn bundle(&self, id: String) -> Result<BundleExport, ApiError> {
        self.bundle_since(id, None).await
    }

    async fn bundle_since(&self, id: String, since: Option<u64>) -> Result<BundleExport, ApiError> {
        let order = order_id(&id)?;
        let bytes = self.inner.export_bundle(order, since).await?;
        Ok(BundleExport {
            content_type: "application/cbor",
            file_name: format!("order-{}.bundle", order.short()),
            bytes,
        })
    }

    async fn consistency(&self, query: ConsistencyQuery) -> Result<Value, ApiError> {
        let proof = self.inner.consistency_proof(query.from, query.to).await?;
        Ok(json!({
            "origin": self.inner.config.origin,
            "from": query.from,
            "to": query.to,
            "proof": proof.iter().map(|hash| hash.to_string()).collect::<Vec<_>>(),
        }))
    }

    async fn head(&self, id: String) -> Result<BundleExport, ApiError> {
        let order = order_id(&id)?;
        let bytes = self.inner.signed_head(order).await?;
        Ok(BundleExport {
            content_type: "application/cbor",
            file_name: format!("order-{}.head", order.short()),
            bytes,
        })
    }

    async fn checkpoint(&self) -> Result<Value, ApiError> {
        let inner = &self.inner;
        let latest = inner.checkpoints.lock().await.latest.clone();
        let durable = inner.log.lock().await.durable_size();
        let (size, note) = match latest {
            Some(latest) => latest,
            None if durable > 0 => inner.make_checkpoint().await?,
            None => (0, String::new()),
        };
        let trust = inner.trust_file(None).await?;
        Ok(json!({
            "origin": inner.config.origin,
            "size": size,
            "log_size": durable,
            "note": note,
            "trust": serde_json::to_value(&trust).map_err(|e| ApiError::internal(e.to_string()))?,
        }))
    }

    async fn withdraw_review(&self, id: String) -> Result<Value, ApiError> {
        let order = order_id(&id)?;
        let role = self.inner.withdraw_own(Agreement::Review, order).await?;
        Ok(withdrawn(
            order,
            role,
            "this party's review decision is withdrawn; sign a new one with POST /orders/{id}/review",
        ))
    }

    async fn withdraw_close(&self, id: String) -> Result<Value, ApiError> {
        let order = order_id(&id)?;
        let role = self.inner.withdraw_own(Agreement::Close, order).await?;
        Ok(withdrawn(
            order,
            role,
            "this party's close signature is withdrawn and its node takes facts again; to close, sign again with POST /orders/{id}/close",
        ))
    }

    async fn evidence(&self, id: String) -> Result<Value, ApiError> {
        use base64::Engine as _;
        let order = order_id(&id)?;
        let mut proofs = Vec::new();
        for item in self
            .inner
            .store
            .scan_prefix(super::records::EVIDENCE, order.as_bytes())
        {
            let (_, bytes) = item.map_err(|e| ApiError::internal(e.to_string()))?;
            let proof = verifier::bundle::EquivocationProof::from_bytes(&bytes)
                .map_err(|e| ApiError::internal(e.to_string()))?;
            let found = proof
                .check()
                .map_err(|e| ApiError::internal(e.to_string()))?;
            proofs.push(json!({
                "seq": found.seq,
                "sequencer": found.sequencer,
                "first": found.first.to_string(),
                "second": found.second.to_string(),
                "proof": base64::engine::general_purpose::STANDARD.encode(&bytes),
            }));
        }
        Ok(json!({ "order": order.to_string(), "equivocations": proofs }))
    }

    async fn fact(&self, id: String, event: String) -> Result<Value, ApiError> {
        let order = order_id(&id)?;
        let event = Digest::from_hex(&event).ok_or_else(|| {
            ApiError::new(
                Code::BadEventId,
                format!("event hash {event:?} is not 64 hex digits"),
            )
        })?;
        self.inner.fact_view(order, event).await
    }

    async fn backup(&self, request: crate::api::BackupRequest) -> Result<Value, ApiError> {
        let pairs = self
            .inner
            .store
            .backup(std::path::PathBuf::from(&request.dir))
            .await
            .map_err(|error| ApiError::new(Code::BackupFailed, error.to_string()))?;
        tracing::info!(dir = %request.dir, pairs, "store backed up");
        Ok(json!({ "dir": request.dir, "pairs": pairs }))
    }

    async fn faults(&self) -> Result<Value, ApiError> {
        self.inner.faults_view()
    }

    async fn acknowledge_fault(
        &self,
        id: String,
        request: crate::api::AcknowledgeFault,
    ) -> Result<Value, ApiError> {
        self.inner.acknowledge_fault(&id, request.note).await
    }

    async fn refresh_gauges(&self) {
        self.inner.order_figures().await;
    }

    async fn health(&self) -> Value {
        let inner = &self.inner;
        let faults: Vec<Value> = inner
            .faults
            .lock()
            .map(|faults| {
                faults
                    .iter()
                    .rev()
                    .take(20)
                    .map(|fault| {
                        json!({
                            "order": fault.order.to_string(),
                            "seq": fault.seq,
                            "code": fault.code,
                            "message": fault.message,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let figures = inner.order_figures().await;
        let reasons = inner.degraded_reasons(&figures);
        let status = if inner.store.failure().is_some() {
            "store_failed"
        } else if reasons.is_empty() {
            "ok"
        } else {
            "degraded"
        };
        json!({
            "status": status,
            "reasons": reasons,
            "orders_by_state": figures.by_state,
            "queued_facts": figures.queued_facts,
            "role": inner.config.role,
            "public_key": inner.public.to_string(),
            "peer_id": inner.net.local_peer_id().to_string(),
            "orders": inner.orders.read().map(|orders| orders.len()).unwrap_or(0),
            "log_size": inner.log.lock().await.durable_size(),
            "recent_refusals": faults,
            "equivocations": inner
                .evidence
                .lock()
                .map(|evidence| {
                    evidence
                        .iter()
                        .map(|(order, seq)| json!({ "order": order.to_string(), "seq": seq }))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
        })
    }
}

/// The answer for a fact that is stored and waits for a party's node (HTTP 202).
pub(super) fn queued_view(order: OrderId, event: Digest, position: usize) -> Value {
    json!({
        "order": order.to_string(),
        "event": event.to_string(),
        "status": "queued",
        "position": position,
        "status_url": format!("/orders/{order}/facts/{event}"),
        "message": "accepted and stored; it commits in order once every party's node answers",
    })
}

/// The time of a review or close: the caller's (RFC 3339), or else the order's latest
/// recorded event time (the same at every party's node, so their signed bytes match).
fn agreement_time(slot: &Slot, at: Option<&str>, code: Code) -> Result<i64, ApiError> {
    match at {
        Some(text) => super::sources::parse_time(text, slot.protocol.core().machine().program())
            .map_err(|error| ApiError::new(code, format!("at: {error}"))),
        None => Ok(slot.protocol.core().state().high_water),
    }
}

/// The answer to a withdrawal of this node's party's decision.
fn withdrawn(order: OrderId, role: String, message: &str) -> Value {
    json!({
        "order": order.to_string(),
        "role": role,
        "status": "withdrawn",
        "message": message,
    })
}
