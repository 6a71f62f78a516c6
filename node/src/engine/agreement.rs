//! Records every party signs before the sequencer applies them: a review decision (after the
//! breaker tripped) and a close. Sans-IO.
//!
//! Each party's node signs the record's canonical bytes in the record's own domain and sends
//! the signature to the sequencer's node, which collects them per order for one position
//! (`after_seq`). A party may replace its decision (sign again) or withdraw it until every
//! party signed the same bytes; then the record is applied in a co-signing round like any
//! entry. Signatures about an earlier position are void once the order moved on.

use std::collections::BTreeMap;

use verifier::{
    model::{ModelError, OrderId, PartySignatures, SignedClose, SignedReview},
    sign::{Domain, PublicKey, Signature},
};

/// What the parties sign together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Agreement {
    /// A review decision about what a pause held back.
    Review,
    /// Closing the order: it takes no further fact, review or close.
    Close,
}

impl Agreement {
    /// The signing domain of the record.
    pub fn domain(self) -> Domain {
        match self {
            Agreement::Review => Domain::Review,
            Agreement::Close => Domain::Close,
        }
    }

    /// The record's name in error codes and messages.
    pub fn name(self) -> &'static str {
        match self {
            Agreement::Review => "review",
            Agreement::Close => "close",
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
        }
    }
}

/// The decisions the parties signed about one position of an order, by role.
pub(crate) struct PendingSignatures {
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
    fn bytes_of_the_other_kind_are_not_a_subject() {
        let order = verifier::model::Digest([7; 32]);
        let close = Close::new(order, 4, 100, "x").encode().unwrap();
        assert!(Agreement::Review.subject(&close).is_err());
        assert!(Agreement::Close.subject(b"garbage").is_err());
    }
}
