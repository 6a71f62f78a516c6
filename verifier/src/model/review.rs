//! Reviews: the human decision, signed by every party, that resumes an order after the breaker
//! tripped or an event was handed to review.

use serde::{Deserialize, Serialize};

use super::{
    decode, decode_plain, encode, verify_party_signatures, Digest, ModelError, OrderId,
    PartySignatureError, PartySignatures, Versioned, VERSION,
};
use crate::sign::{Domain, PublicKey, SigningKey};
use contract_lang::value::Value;
use std::collections::BTreeMap;

/// What the parties decided about what was held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Apply the held effects (only after a breaker trip: a conflict or a failed evaluation has
    /// nothing well-defined to apply).
    Approve,
    /// Drop what was held and resume automatic execution.
    Discard,
}

/// A review decision about an order, bound to the position it decides on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// Data model version ([`VERSION`]).
    pub v: u32,
    /// When the parties decided (Unix seconds, like event times). Not before the order's
    /// latest recorded event time (its high-water mark), so a timeline never shows a decision
    /// about facts that had not happened yet.
    pub at: i64,
    pub order: OrderId,
    /// The sequence number of the last entry the parties reviewed; the review entry is the next
    /// one. Binding it keeps an old decision from being replayed at a later pause.
    pub after_seq: u64,
    pub decision: Decision,
    /// Free text the parties attach (who reviewed, why).
    pub note: String,
    /// Terms the parties set with their decision ("the due date is 03-09"), applied after
    /// what was held and before the held facts are evaluated. Left out when empty, so a review
    /// without it encodes as before.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub terms: BTreeMap<String, Value>,
}

impl Versioned for Review {
    const WHAT: &'static str = "review";
    fn version(&self) -> u32 {
        self.v
    }
}

impl Review {
    pub fn new(
        order: OrderId,
        after_seq: u64,
        at: i64,
        decision: Decision,
        note: impl Into<String>,
    ) -> Review {
        Review {
            v: VERSION,
            at,
            order,
            after_seq,
            decision,
            note: note.into(),
            terms: BTreeMap::new(),
        }
    }

    /// The same review, also setting `terms`.
    pub fn with_terms(mut self, terms: BTreeMap<String, Value>) -> Review {
        self.terms = terms;
        self
    }

    pub fn encode(&self) -> Result<Vec<u8>, ModelError> {
        encode(Self::WHAT, self)
    }
}

/// A review body with every party's signature in [`Domain::Review`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedReview {
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    pub signatures: PartySignatures,
}

impl SignedReview {
    pub fn unsigned(review: &Review) -> Result<SignedReview, ModelError> {
        Ok(SignedReview {
            body: review.encode()?,
            signatures: PartySignatures::new(),
        })
    }

    /// Adds `role`'s signature.
    pub fn sign(&mut self, role: &str, key: &SigningKey) {
        self.signatures
            .insert(role.to_string(), key.sign(Domain::Review, &self.body));
    }

    pub fn hash(&self) -> Digest {
        Digest::of(&self.body)
    }

    pub fn review(&self) -> Result<Review, ModelError> {
        decode(&self.body)
    }

    pub fn verify(&self, parties: &BTreeMap<String, PublicKey>) -> Result<(), PartySignatureError> {
        verify_party_signatures(parties, Domain::Review, &self.body, &self.signatures)
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelError> {
        encode("signed review", self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<SignedReview, ModelError> {
        decode_plain("signed review", bytes)
    }
}
