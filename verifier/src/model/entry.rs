//! Entries: the steps of an order's history, hash-chained and signed by every party.
//!
//! Entry `n` names the hash of entry `n - 1` (`prev`) and the hash of the order's state after it
//! (`state`). What happened is a [`Step`]: the genesis, an event with the outcome the state
//! machine computed for it, or a review decision.

use std::collections::BTreeMap;

pub use contract_lang::ir::TransferKind;
use contract_lang::value::{Money, Value};
use serde::{Deserialize, Serialize};

use super::{
    decode, decode_plain, encode, verify_party_signatures, BreakerPolicy, Digest, ModelError,
    OrderId, PartySignatureError, PartySignatures, SignedAgreement, SignedClose, SignedEvent,
    SignedReview, Versioned, VERSION,
};
use crate::sign::{Domain, PublicKey, SigningKey};

/// One step of an order's history, as every party signs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryBody {
    /// Data model version ([`VERSION`]).
    pub v: u32,
    /// Position in the order's history: the genesis is 0.
    pub seq: u64,
    /// Hash of the previous entry's body ([`Digest::ZERO`] for the genesis).
    pub prev: Digest,
    pub step: Step,
    pub order: OrderId,
    /// Hash of the order's state after this step.
    pub state: Digest,
}

impl Versioned for EntryBody {
    const WHAT: &'static str = "entry";
    fn version(&self) -> u32 {
        self.v
    }
}

impl EntryBody {
    pub fn new(order: OrderId, seq: u64, prev: Digest, step: Step, state: Digest) -> EntryBody {
        EntryBody {
            v: VERSION,
            order,
            seq,
            prev,
            step,
            state,
        }
    }

    pub fn encode(&self) -> Result<Vec<u8>, ModelError> {
        encode(Self::WHAT, self)
    }

    /// The entry's time: its event's effective time, its review's or close's time, or for the
    /// genesis `genesis_at` (the contract's). Never earlier than the entry before it.
    pub fn time(&self, genesis_at: i64) -> Result<i64, ModelError> {
        Ok(match &self.step {
            Step::Genesis => genesis_at,
            Step::Event(step) => step.effective_at,
            Step::Review(step) => step.review.review()?.at,
            Step::Close(step) => step.close.close()?.at,
            Step::Agreement(step) => step.agreement.agreement()?.at,
        })
    }
}

/// What happened in one entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The order started (the contract is the bundle's; its hash is the order id).
    Genesis,
    /// A signed fact arrived.
    Event(Box<EventStep>),
    /// The parties decided on what was held.
    Review(ReviewStep),
    /// The parties closed the order: no event or review follows.
    // Rare steps' serde code out of line: compiled in the browser only for a bundle that has one.
    #[serde(with = "crate::out_of_line")]
    Close(CloseStep),
    /// The parties changed the order by agreement: terms, parameters or clauses.
    #[serde(with = "crate::out_of_line")]
    Agreement(Box<AgreementStep>),
}

/// An agreement signed by every party, and what it changed (replay recomputes it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgreementStep {
    pub agreement: SignedAgreement,
    /// The terms it set, each with its value before.
    pub terms: Vec<TermChange>,
    /// The parameters it bound, each with its value before (the clause's default if it was
    /// not bound).
    pub params: Vec<ParamChange>,
    /// The clauses it added, removed or upgraded, with their ids before and after.
    pub clauses: Vec<ClauseChange>,
}

/// A term as the parties set it (by agreement or with a review).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermChange {
    pub term: String,
    pub after: Value,
    /// The value before, `None` if it was unset.
    pub before: Option<Value>,
}

/// A clause parameter as an agreement bound it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamChange {
    pub after: Value,
    pub param: String,
    pub before: Option<Value>,
    pub clause: String,
}

/// A clause an agreement added (`before` is `None`), removed (`after` is `None`) or upgraded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClauseChange {
    pub after: Option<Digest>,
    pub clause: String,
    pub before: Option<Digest>,
}

/// The close record, signed by every party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseStep {
    pub close: SignedClose,
}

/// A fact and what it caused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventStep {
    pub event: SignedEvent,
    pub outcome: Outcome,
    /// The time the breaker measures the event at: the later of its event time and the latest
    /// event time the order had seen (see `state::breaker`).
    pub effective_at: i64,
}

/// The outcome of an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The clauses' effects were applied (possibly none).
    Applied(Effects),
    /// Applying these effects would have exceeded the breaker's policy: they are held until a
    /// review, and the order pauses.
    BreakerTripped {
        held: Effects,
        report: BreakerReport,
    },
    /// A conflict, a clause's `review` action or an evaluation error: nothing was applied and
    /// the order waits for a review.
    ToReview {
        #[serde(with = "crate::out_of_line")]
        reasons: Vec<ReviewReason>,
    },
    /// The order was paused (tripped or in review): the fact is recorded and held; the review
    /// that resumes the order evaluates it ([`ReviewStep::reevaluated`]).
    Paused,
}

/// Why an event was handed to review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    /// Several rules set the same term (or one activates a clause another deactivates) from
    /// one event. `subject` is `terms.NAME` or `clause NAME`.
    Conflict {
        subject: String,
        writers: Vec<RuleRef>,
    },
    /// A rule's `review "…"` action fired.
    Requested {
        clause: String,
        rule: u32,
        reason: String,
    },
    /// Evaluating a clause failed deterministically (overflow, currency mismatch, …).
    EvaluationError {
        clause: String,
        rule: u32,
        message: String,
    },
}

/// A rule of a clause: the clause's name and the rule's index in it, from 0.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    pub clause: String,
    pub rule: u32,
}

/// The effects of one event (or of an approved review), in the order the clauses produced them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effects {
    pub amendments: Vec<Amendment>,
    pub activations: Vec<Activation>,
    pub obligations: Vec<Obligation>,
    pub notifications: Vec<Notification>,
}

impl Effects {
    pub fn is_empty(&self) -> bool {
        self.amendments.is_empty()
            && self.activations.is_empty()
            && self.obligations.is_empty()
            && self.notifications.is_empty()
    }

    /// Whether these effects amend the contract (a term set or a clause (de)activated): what
    /// the breaker counts.
    pub fn amends(&self) -> bool {
        !self.amendments.is_empty() || !self.activations.is_empty()
    }
}

/// `set terms.NAME = …` as applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amendment {
    /// Index of the rule within its clause, from 0.
    pub rule: u32,
    pub term: String,
    pub after: Value,
    /// The term's value before, `None` if it was unset.
    pub before: Option<Value>,
    pub clause: String,
}

/// `activate` / `deactivate` as applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activation {
    pub rule: u32,
    pub active: bool,
    pub clause: String,
    pub target: String,
}

/// `pay` / `refund` / `compensate` as owed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Obligation {
    pub to: String,
    pub from: String,
    pub kind: TransferKind,
    pub rule: u32,
    pub amount: Money,
    pub clause: String,
}

/// `notify` as sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub rule: u32,
    pub party: String,
    pub clause: String,
    pub message: String,
}

/// The breaker's root-cause report: the automatic amendments inside the window when it
/// tripped, each with the fact that caused it. The held effects are in the outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerReport {
    pub policy: BreakerPolicy,
    /// Effective time of the event whose effects were held.
    pub effective_at: i64,
    /// The window is `(window_start, effective_at]`.
    pub window_start: i64,
    /// The amendments already in the window, oldest first.
    pub in_window: Vec<WindowAmendment>,
}

/// An automatic amendment as the breaker remembers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowAmendment {
    /// The entry that applied it.
    pub seq: u64,
    pub effective_at: i64,
    /// The fact behind it: kind, event time, fields, attester and hash.
    pub event_kind: String,
    pub event_at: i64,
    pub fields: BTreeMap<String, Value>,
    pub attester: String,
    pub event: Digest,
    pub amendments: Vec<Amendment>,
    pub activations: Vec<Activation>,
}

/// A review decision, what it applied, and what the facts recorded during the pause caused
/// once evaluated after it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewStep {
    pub review: SignedReview,
    /// The held effects, applied on approval; empty when discarded.
    pub applied: Effects,
    /// The facts recorded while the order was paused, evaluated in order after the decision,
    /// each with its outcome. Stops after one that pauses the order again (breaker or review);
    /// the facts after it stay held for the next review.
    pub reevaluated: Vec<Reevaluation>,
    /// The terms the parties set with the review ([`crate::model::Review::terms`]), each with
    /// its value before; applied after the decision, before the held facts are evaluated.
    /// Left out when empty, so reviews without it encode as before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<TermChange>,
}

/// A fact recorded while paused, as evaluated after a review.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reevaluation {
    /// The entry that recorded the fact.
    pub seq: u64,
    /// Hash of the signed event.
    pub event: Digest,
    /// Never [`Outcome::Paused`].
    pub outcome: Outcome,
}

/// An entry body as signed, with the signature of every party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedEntry {
    /// Canonical bytes of the [`EntryBody`].
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// Each party's signature over `body` in [`Domain::Entry`].
    pub signatures: PartySignatures,
}

impl SignedEntry {
    pub fn unsigned(body: Vec<u8>) -> SignedEntry {
        SignedEntry {
            body,
            signatures: PartySignatures::new(),
        }
    }

    /// Adds `role`'s signature over the body.
    pub fn sign(&mut self, role: &str, key: &SigningKey) {
        self.signatures
            .insert(role.to_string(), key.sign(Domain::Entry, &self.body));
    }

    /// The entry hash: SHA-256 of the body bytes. This is what the Merkle log commits to.
    pub fn hash(&self) -> Digest {
        Digest::of(&self.body)
    }

    pub fn entry(&self) -> Result<EntryBody, ModelError> {
        decode(&self.body)
    }

    pub fn verify(&self, parties: &BTreeMap<String, PublicKey>) -> Result<(), PartySignatureError> {
        verify_party_signatures(parties, Domain::Entry, &self.body, &self.signatures)
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelError> {
        encode("signed entry", self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<SignedEntry, ModelError> {
        decode_plain("signed entry", bytes)
    }
}
