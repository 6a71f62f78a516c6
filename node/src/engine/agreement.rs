//! Records every party signs before the sequencer applies them: a review decision (after the
//! breaker tripped), a close, and an amendment by agreement. Sans-IO.
//!
//! Each party's node signs the record's canonical bytes in the record's own domain and sends
//! the signature to the sequencer's node, which collects them per order for one position
//! (`after_seq`). A party may replace its decision (sign again) or withdraw it until every
//! party signed the same bytes; then the record is applied in a co-signing round like any
//! entry. Signatures about an earlier position are void once the order moved on.

use std::collections::{BTreeMap, HashMap};

use verifier::{
    model::{ModelError, OrderId, PartySignatures, SignedAgreement, SignedClose, SignedReview},
    sign::{Domain, PublicKey, Signature},
    state::{machine::Sealed, ApplyError},
};

use super::order::{OrderCore, Refusal};

/// What the parties sign together (on the wire in [`super::protocol::Request::Withdraw`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Agreement {
    /// A review decision about what a pause held back.
    Review,
    /// Closing the order: it takes no further fact, review or close.
    Close,
    /// Amending the order by agreement: terms, parameters, clauses.
    Amendment,
}

impl Agreement {
    /// The signing domain of the record.
    pub fn domain(self) -> Domain {
        match self {
            Agreement::Review => Domain::Review,
            Agreement::Close => Domain::Close,
            Agreement::Amendment => Domain::Agreement,
        }
    }

    /// The record's name in error codes and messages.
    pub fn name(self) -> &'static str {
        match self {
            Agreement::Review => "review",
            Agreement::Close => "close",
            Agreement::Amendment => "agreement",
        }
    }

    /// The order and position that the record's bytes decide about.
    pub fn subject(self, body: &[u8]) -> Result<(OrderId, u64), ModelError> {
        let body = body.to_vec();
        let signatures = PartySignatures::new();
        match self {
            Agreement::Review => SignedReview { body, signatures }
                .review()
                .map(|review| (review.order, review.after_seq)),
            Agreement::Close => SignedClose { body, signatures }
                .close()
                .map(|close| (close.order, close.after_seq)),
            Agreement::Amendment => SignedAgreement { body, signatures }
                .agreement()
                .map(|agreement| (agreement.order, agreement.after_seq)),
        }
    }
}

/// Why a party's signature on a review or close is not taken. The HTTP edge chooses the
/// status (`sequencer.rs`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgreementError {
    #[error("`{role}` is not a party of {order}")]
    NotAParty { role: String, order: OrderId },
    #[error("the {} signature of `{role}` is invalid", .kind.name())]
    BadSignature { kind: Agreement, role: String },
    #[error("{message}")]
    Invalid { kind: Agreement, message: String },
    #[error("the {} decides on entry {after_seq}, the order is at entry {seq}", .kind.name())]
    Stale {
        kind: Agreement,
        after_seq: u64,
        seq: u64,
    },
    /// The state machine's own rule, answered before anyone waits for the other parties.
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("{} of this order still {} to commit; {} once they have", contract_lang::render::english_count(*.queued, ["accepted fact", "accepted facts"]), if *.queued == 1 { "waits" } else { "wait" }, match .kind { Agreement::Amendment => "agree", _ => "close" })]
    FactsQueued { kind: Agreement, queued: usize },
}

impl AgreementError {
    /// A stable code for callers.
    pub fn code(&self) -> String {
        match self {
            AgreementError::NotAParty { .. } => "not_a_party".into(),
            AgreementError::BadSignature { .. } => "bad_signature".into(),
            AgreementError::Invalid { kind, .. } => format!("invalid_{}", kind.name()),
            AgreementError::Stale { kind, .. } => format!("stale_{}", kind.name()),
            AgreementError::Refused(refusal) => refusal.code().into(),
            AgreementError::FactsQueued { .. } => "facts_queued".into(),
        }
    }
}

/// Whether a record of `kind` may be signed about the order now, the state machine's own
/// rules, checked before any party's signature is taken (one check: at the party's node before
/// it signs, in the core at the sequencer): a review needs a pause to decide about; a close or
/// an agreement needs the order running and no accepted fact still waiting to commit (a close
/// would refuse it, an agreement would move the position it was signed for; an accepted fact
/// is never lost).
pub(crate) fn check_open(
    kind: Agreement,
    core: &OrderCore,
    queued: usize,
) -> Result<(), AgreementError> {
    let state = core.state();
    if state.status.is_closed() {
        return Err(Refusal::Apply(ApplyError::OrderClosed { seq: state.seq }).into());
    }
    if kind == Agreement::Review {
        if state.status.is_running() {
            return Err(Refusal::Apply(ApplyError::NothingToReview).into());
        }
        return Ok(());
    }
    if !state.status.is_running() {
        let paused = match kind {
            Agreement::Amendment => ApplyError::AgreementWhilePaused,
            Agreement::Review | Agreement::Close => ApplyError::CloseWhilePaused,
        };
        return Err(Refusal::Apply(paused).into());
    }
    if queued > 0 {
        return Err(AgreementError::FactsQueued { kind, queued });
    }
    Ok(())
}

/// The records of one kind collecting signatures, per order, at the sequencer's node. Kept in
/// memory only: a restart voids them and the parties sign again.
#[derive(Default, Clone, Debug)]
pub struct AgreementTable {
    pending: HashMap<OrderId, PendingSignatures>,
}

impl AgreementTable {
    /// Takes `role`'s signature on `body` (a record of `kind` about `core`'s order, which has
    /// `queued` accepted facts waiting): checked against the party's key, the order and its
    /// head, then recorded over the party's earlier decision. Once every party signed the same
    /// bytes, returns the entry that applies them (sealed, not yet co-signed); the signatures
    /// are then spent.
    pub fn sign(
        &mut self,
        kind: Agreement,
        core: &OrderCore,
        queued: usize,
        role: &str,
        body: Vec<u8>,
        signature: Signature,
    ) -> Result<Option<Sealed>, AgreementError> {
        let order = core.order();
        let parties = &core.contract().parties;
        let key = parties.get(role).ok_or_else(|| AgreementError::NotAParty {
            role: role.to_string(),
            order,
        })?;
        key.verify(kind.domain(), &body, &signature)
            .map_err(|_| AgreementError::BadSignature {
                kind,
                role: role.to_string(),
            })?;
        let (about, after_seq) = kind.subject(&body).map_err(|e| AgreementError::Invalid {
            kind,
            message: e.to_string(),
        })?;
        let seq = core.state().seq;
        if about != order || after_seq != seq {
            return Err(AgreementError::Stale {
                kind,
                after_seq,
                seq,
            });
        }
        check_open(kind, core, queued)?;
        let pending = self
            .pending
            .entry(order)
            .or_insert_with(|| PendingSignatures::new(seq));
        pending.sign(seq, role, body, signature);
        let Some((body, signatures)) = pending.agreed(parties) else {
            return Ok(None);
        };
        self.pending.remove(&order);
        let sealed = match kind {
            Agreement::Review => core.prepare_review(&SignedReview { body, signatures }),
            Agreement::Close => core.prepare_close(&SignedClose { body, signatures }),
            Agreement::Amendment => core.prepare_agreement(&SignedAgreement { body, signatures }),
        }?;
        Ok(Some(sealed))
    }

    /// Withdraws `role`'s decision about `order`; whether it had one.
    pub fn withdraw(&mut self, order: &OrderId, role: &str) -> bool {
        let withdrawn = self
            .pending
            .get_mut(order)
            .is_some_and(|pending| pending.decisions.remove(role).is_some());
        if self
            .pending
            .get(order)
            .is_some_and(|p| p.decisions.is_empty())
        {
            self.pending.remove(order);
        }
        withdrawn
    }

    /// The decisions signed so far about `order`, if any.
    pub fn get(&self, order: &OrderId) -> Option<&PendingSignatures> {
        self.pending.get(order)
    }

    /// Forgets everything (a restart).
    pub fn clear(&mut self) {
        self.pending.clear();
    }
}

/// The decisions the parties signed about one position of an order, by role.
#[derive(Clone, Debug)]
pub struct PendingSignatures {
    pub after_seq: u64,
    pub decisions: BTreeMap<String, (Vec<u8>, Signature)>,
}

impl PendingSignatures {
    pub fn new(after_seq: u64) -> PendingSignatures {
        PendingSignatures {
            after_seq,
            decisions: BTreeMap::new(),
        }
    }

    /// Records `role`'s signature on `body` about position `after_seq`, replacing its earlier
    /// one; decisions about another position are dropped first (the order moved on).
    pub fn sign(&mut self, after_seq: u64, role: &str, body: Vec<u8>, signature: Signature) {
        if self.after_seq != after_seq {
            self.after_seq = after_seq;
            self.decisions.clear();
        }
        self.decisions.insert(role.to_string(), (body, signature));
    }

    /// The bytes every party signed, with their signatures, if every party signed the same.
    pub fn agreed(
        &self,
        parties: &BTreeMap<String, PublicKey>,
    ) -> Option<(Vec<u8>, PartySignatures)> {
        let (first, _) = self.decisions.values().next()?;
        let mut signatures = PartySignatures::new();
        for role in parties.keys() {
            let (body, signature) = self.decisions.get(role)?;
            if body != first {
                return None;
            }
            signatures.insert(role.clone(), *signature);
        }
        Some((first.clone(), signatures))
    }
}

#[cfg(test)]
mod tests {
    use verifier::{model::Close, sign::SigningKey};

    use super::*;

    fn parties(keys: &[(&str, &SigningKey)]) -> BTreeMap<String, PublicKey> {
        keys.iter()
            .map(|(role, key)| (role.to_string(), key.public_key()))
            .collect()
    }

    #[test]
    fn a_record_applies_only_once_every_party_signed_the_same_bytes() {
        let seller = SigningKey::from_seed([1; 32]);
        let buyer = SigningKey::from_seed([2; 32]);
        let parties = parties(&[("seller", &seller), ("buyer", &buyer)]);
        let order = verifier::model::Digest([7; 32]);
        let close = |note: &str| Close::new(order, 4, 100, note).encode().unwrap();
        let mut pending = PendingSignatures::new(4);
        let (body, other) = (close("settled"), close("disputed"));
        pending.sign(4, "seller", body.clone(), seller.sign(Domain::Close, &body));
        assert!(
            pending.agreed(&parties).is_none(),
            "the buyer has not signed"
        );
        pending.sign(4, "buyer", other.clone(), buyer.sign(Domain::Close, &other));
        assert!(pending.agreed(&parties).is_none(), "different notes");
        // The buyer replaces its decision with the seller's.
        pending.sign(4, "buyer", body.clone(), buyer.sign(Domain::Close, &body));
        let (agreed, signatures) = pending.agreed(&parties).unwrap();
        assert_eq!(agreed, body);
        assert_eq!(signatures.len(), 2);
        assert_eq!(Agreement::Close.subject(&agreed).unwrap(), (order, 4));
        // Once the order moved on, earlier decisions are void.
        pending.sign(5, "seller", body.clone(), seller.sign(Domain::Close, &body));
        assert!(pending.agreed(&parties).is_none());
        assert_eq!(pending.decisions.len(), 1);
    }

    #[test]
    fn a_review_of_a_running_order_is_refused_before_any_party_signs_it() {
        let orders = crate::fixtures::ExampleOrders::new().unwrap();
        let (_, machine) = orders.contract("PO-REVIEW").unwrap();
        let (core, _) = OrderCore::genesis(machine).unwrap();
        let review = verifier::model::Review::new(
            core.order(),
            0,
            0,
            verifier::model::Decision::Approve,
            "nothing tripped",
        );
        let body = SignedReview::unsigned(&review).unwrap().body;
        let signature = orders.keys().seller.sign(Domain::Review, &body);
        let mut table = AgreementTable::default();
        let refused = table
            .sign(Agreement::Review, &core, 0, "seller", body, signature)
            .unwrap_err();
        assert_eq!(refused.code(), "nothing_to_review", "{refused}");
        assert!(table.get(&core.order()).is_none(), "nothing was kept");
    }

    #[test]
    fn bytes_of_the_other_kind_are_not_a_subject() {
        let order = verifier::model::Digest([7; 32]);
        let close = Close::new(order, 4, 100, "x").encode().unwrap();
        assert!(Agreement::Review.subject(&close).is_err());
        assert!(Agreement::Close.subject(b"garbage").is_err());
    }
}
