//! The sequencer's side: proposing an entry to every other party, collecting their
//! cosignatures, committing and announcing; starting orders (co-signed genesis) and applying
//! reviews once every party signed them.

use std::sync::Arc;

use verifier::{
    model::{Digest, OrderId, SignedContract, SignedEvent, SignedReview},
    sign::{Domain, PublicKey, Signature},
    state::Signatures,
};

use super::{
    agreement::{self, Agreement, AgreementError},
    driver::CALLER,
    order::Refusal,
    protocol_core::{CoreError, Input, Reply},
    queue,
    records::{self, OrderRecord, ProposalRecord, PROPOSALS},
    round::RoundFailure,
    Inner, Slot,
};
use crate::{
    api::{ApiError, Code},
    durable::WriteBatch,
};

/// What a committed entry is, for the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Committed {
    pub seq: u64,
    pub entry: Digest,
}

/// What became of a submitted fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Submitted {
    Committed(Committed),
    /// Stored durably; it commits, in order, once every party's node answers.
    Queued {
        event: Digest,
        position: usize,
    },
}

impl Refusal {
    pub(crate) fn to_api(&self) -> ApiError {
        ApiError::refusal(self.code(), self.to_string())
    }
}

/// A failed round as the API answers it.
pub(crate) fn round_failure(failure: RoundFailure) -> ApiError {
    let code = match &failure {
        RoundFailure::Refused { .. } => "refused_by_party",
        RoundFailure::NoAnswer { .. } => "party_unreachable",
        RoundFailure::BadCosignature { .. } => "bad_cosignature",
    };
    ApiError::refusal(code, failure.to_string())
}

impl Inner {
    /// A signed event for `order`: applied here if this node sequences the order, otherwise
    /// forwarded to the sequencer's node. A fact already recorded or queued gets the answer
    /// it got the first time; one whose round cannot complete for want of an answer is queued
    /// (see [`super::queue`]).
    pub(crate) async fn submit_event(
        self: &Arc<Self>,
        order: OrderId,
        event: SignedEvent,
    ) -> Result<Submitted, ApiError> {
        let slot = self
            .slot(&order)
            .ok_or_else(|| ApiError::unknown_order(&order.to_string()))?;
        // Whether it was recorded, is queued or the order closed is the core's to answer (at
        // the sequencer's node and at a party's alike): here only whom to hand it to, and the
        // attester's key.
        let (sequencing, attester) = {
            let slot = slot.lock().await;
            let contract = slot.protocol.core().contract();
            (
                slot.protocol.is_sequencer(),
                super::order::attester_key(contract, &event),
            )
        };
        if !sequencing {
            // The core queues it here and forwards it to the sequencer; its answer comes in a
            // later drive (the order's lock is released meanwhile).
            let input = |caller| Input::Fact {
                event,
                verified: false,
                caller,
            };
            return queue::submitted_reply(self.drive_and_wait(&slot, input).await?);
        }
        // The attester's signature first, batched with other orders' and outside the lock.
        let verified = self.batch.event(attester, &event).await;
        // The core decides: committed in a round, queued (behind older facts, or for want of
        // an answer), or refused (a signature the batch did not verify, checked again there).
        let mut slot = slot.lock().await;
        let input = Input::Fact {
            event,
            verified,
            caller: CALLER,
        };
        queue::submitted(self.drive(&mut slot, input).await)
    }

    /// Checks a contract received or proposed: this node is a party, the signatures so far
    /// verify, the sources compile (after the tamper hook) to the clause ids.
    pub(crate) fn check_proposal_contract(
        &self,
        contract: &SignedContract,
        sources: &[verifier::bundle::Source],
    ) -> Result<verifier::state::Machine, Refusal> {
        let machine = self.check_contract(contract, sources, Signatures::SoFar)?;
        if self.my_role(&machine.contract().parties).is_none() {
            return Err(Refusal::Contract(
                "this node's key is not one of the contract's parties".into(),
            ));
        }
        Ok(machine)
    }

    /// Stores a proposal (the contract with the signatures collected so far).
    pub(crate) async fn save_proposal(
        &self,
        order: OrderId,
        record: ProposalRecord,
    ) -> Result<(), ApiError> {
        let mut batch = WriteBatch::new();
        batch.put(
            PROPOSALS,
            order.as_bytes(),
            records::encode("proposal", &record).map_err(|e| ApiError::internal(e.to_string()))?,
        );
        self.store
            .commit(batch)
            .await
            .map_err(|e| ApiError::new(Code::StoreFailed, e.to_string()))?;
        if let Ok(mut proposals) = self.proposals.lock() {
            proposals.insert(order, record);
        }
        Ok(())
    }

    /// Adds `role`'s signature to a stored proposal, handed in by `from` (the party key the
    /// transport authenticated, or this node's own): taken only from `role`'s node (protocol
    /// rule 6, the sender rule, as the order's core applies it to the records signed later);
    /// starts the order when this node is the sequencer and every party signed. A party's
    /// signature on an order open here already (its answer was lost, or the sync tick opened
    /// the order first) is answered with the genesis, as the signature that opened it was.
    pub(crate) async fn add_contract_signature(
        self: &Arc<Self>,
        order: OrderId,
        (from, role): (PublicKey, &str),
        signature: Signature,
    ) -> Result<Option<Committed>, ApiError> {
        let (mut record, open) = match self.contract_signed(&order).await {
            Some(signed) => signed,
            None => {
                return Err(ApiError::new(
                    Code::UnknownProposal,
                    format!("no proposal {order} is pending on this node"),
                ))
            }
        };
        let contract = record
            .contract
            .contract()
            .map_err(|e| ApiError::new(Code::InvalidContract, e.to_string()))?;
        let key = contract.parties.get(role).ok_or_else(|| {
            ApiError::new(
                Code::NotAParty,
                format!("`{role}` is not a party of {order}"),
            )
        })?;
        if *key != from {
            let error = CoreError::NotSender { role: role.into() };
            return Err(ApiError::refusal(&error.code(), error.to_string()));
        }
        key.verify(Domain::Contract, &record.contract.body, &signature)
            .map_err(|_| {
                ApiError::new(
                    Code::BadSignature,
                    format!("the signature of `{role}` is invalid"),
                )
            })?;
        if open {
            return self.committed_genesis(order).map(Some);
        }
        record
            .contract
            .signatures
            .insert(role.to_string(), signature);
        self.save_proposal(order, record.clone()).await?;
        let complete = contract
            .parties
            .keys()
            .all(|party| record.contract.signatures.contains_key(party));
        let sequencing =
            self.my_role(&contract.parties).as_deref() == Some(contract.sequencer.as_str());
        if complete && sequencing {
            let record = OrderRecord {
                contract: record.contract,
                sources: record.sources,
            };
            return self.open_order(record).await.map(Some);
        }
        Ok(None)
    }

    /// The contract of `order` with the signatures this node holds: its pending proposal, or
    /// (`true`) the order open here. The proposal is read first: an order that opens moves
    /// from the proposals to the open orders only once its slot is in place.
    pub(crate) async fn contract_signed(&self, order: &OrderId) -> Option<(ProposalRecord, bool)> {
        let proposal = self
            .proposals
            .lock()
            .ok()
            .and_then(|proposals| proposals.get(order).cloned());
        if let Some(proposal) = proposal {
            return Some((proposal, false));
        }
        let open = self.slot(order)?.lock().await.record.clone();
        let record = ProposalRecord {
            contract: open.contract,
            sources: open.sources,
        };
        Some((record, true))
    }

    pub(crate) fn insert_slot(&self, order: OrderId, slot: Slot) {
        if let Ok(mut orders) = self.orders.write() {
            orders
                .entry(order)
                .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(slot)));
            self.metrics.orders.set(orders.len() as i64);
        }
        if let Ok(mut proposals) = self.proposals.lock() {
            proposals.remove(&order);
        }
    }

    /// Withdraws `role`'s pending decision of `kind` about `order` (before every party
    /// signed) at this node, asked by `from` (the party key the transport authenticated, or
    /// this node's own): see [`Input::Withdraw`]; the core takes it only from `role`'s node.
    pub(crate) async fn withdraw(
        self: &Arc<Self>,
        kind: Agreement,
        order: OrderId,
        (from, role): (PublicKey, &str),
    ) -> Result<bool, ApiError> {
        let slot = self
            .slot(&order)
            .ok_or_else(|| ApiError::unknown_order(&order.to_string()))?;
        let mut slot = slot.lock().await;
        let input = Input::Withdraw {
            kind,
            from,
            role: role.to_string(),
            caller: CALLER,
        };
        match self.drive(&mut slot, input).await.into_reply()? {
            Reply::Withdrawn(withdrawn) => Ok(withdrawn),
            other => Err(ApiError::internal(format!(
                "the order's core answered a withdrawal with {other:?}"
            ))),
        }
    }

    /// The roles that signed `kind`'s pending record of `order` so far (known at the
    /// sequencer's node).
    pub(crate) async fn pending_signers(&self, kind: Agreement, order: &OrderId) -> Vec<String> {
        let Some(slot) = self.slot(order) else {
            return Vec::new();
        };
        let slot = slot.lock().await;
        slot.protocol
            .agreements(kind)
            .get(order)
            .map(|pending| pending.decisions.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The decisions signed so far about `order`'s pause, by role.
    pub(crate) async fn pending_decisions(
        &self,
        order: &OrderId,
    ) -> Vec<(String, verifier::model::Review)> {
        let Some(slot) = self.slot(order) else {
            return Vec::new();
        };
        let slot = slot.lock().await;
        slot.protocol
            .agreements(Agreement::Review)
            .get(order)
            .map(|pending| {
                pending
                    .decisions
                    .iter()
                    .filter_map(|(role, (body, _))| {
                        SignedReview {
                            body: body.clone(),
                            signatures: Default::default(),
                        }
                        .review()
                        .ok()
                        .map(|review| (role.clone(), review))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `role`'s signature on a review, close or agreement, handed in by `from` (the party key
    /// the transport authenticated, or this node's own; the core takes it only from `role`'s
    /// node). Once every party signed the same bytes, the core applies the record in a
    /// co-signing round.
    pub(crate) async fn add_agreement_signature(
        self: &Arc<Self>,
        kind: Agreement,
        order: OrderId,
        body: Vec<u8>,
        (from, role): (PublicKey, &str),
        signature: Signature,
    ) -> Result<Option<Committed>, ApiError> {
        let slot = self
            .slot(&order)
            .ok_or_else(|| ApiError::unknown_order(&order.to_string()))?;
        let mut slot = slot.lock().await;
        let input = Input::Sign {
            kind,
            from,
            role: role.to_string(),
            body,
            signature,
            caller: CALLER,
        };
        match self.drive(&mut slot, input).await.into_reply()? {
            Reply::Signed => Ok(None),
            Reply::Committed { seq, entry } => Ok(Some(Committed { seq, entry })),
            other => Err(ApiError::internal(format!(
                "the order's core answered a signature with {other:?}"
            ))),
        }
    }
}

/// A refused signature on a review, close or agreement as the API answers it.
pub(crate) fn agreement_error(error: &AgreementError) -> ApiError {
    match error {
        AgreementError::Refused(refusal) => refusal.to_api(),
        _ => ApiError::refusal(&error.code(), error.to_string()),
    }
}

/// Whether a record of `kind` (review, close, agreement) may be signed about the order now
/// (see [`agreement::check_open`]), as the API answers.
pub(crate) fn check_open(slot: &Slot, kind: Agreement) -> Result<(), ApiError> {
    agreement::check_open(kind, slot.protocol.core(), slot.queued())
        .map_err(|error| agreement_error(&error))
}

#[cfg(test)]
mod tests {
    use verifier::{model::Digest, state::ApplyError};

    use super::*;

    /// A refusal is answered with a code of its own (the HTTP edge answers it with the status
    /// of its code alone, `http::status_of`, also for a refusal another party's node sends
    /// back): the state machine's refusals of what the order holds already or has moved past
    /// have codes of their own, its other refusals are `refused_by_state_machine`.
    #[test]
    fn a_refusal_is_answered_with_a_code_of_its_own() {
        let cases = [
            (
                Refusal::Apply(ApplyError::DuplicateEvent(Digest::ZERO)),
                Code::DuplicateEvent,
            ),
            (
                Refusal::Apply(ApplyError::StaleReview {
                    after_seq: 1,
                    seq: 2,
                }),
                Code::StaleReview,
            ),
            (
                Refusal::Apply(ApplyError::StaleAgreement {
                    after_seq: 1,
                    seq: 2,
                }),
                Code::StaleAgreement,
            ),
            (
                Refusal::Apply(ApplyError::OrderClosed { seq: 3 }),
                Code::OrderClosed,
            ),
            (
                Refusal::Apply(ApplyError::StaleClose {
                    after_seq: 1,
                    seq: 2,
                }),
                Code::RefusedByStateMachine,
            ),
            (
                Refusal::OutOfSequence {
                    expected: 2,
                    found: 4,
                },
                Code::OutOfSequence,
            ),
        ];
        for (refusal, code) in cases {
            assert_eq!(refusal.to_api().code, code, "{refusal}");
        }
    }
}
