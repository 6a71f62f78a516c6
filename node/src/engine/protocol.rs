//! The messages nodes exchange on `/pactum/1`, carried as canonical CBOR by the net codec.
//!
//! Signed objects travel as their exact signed bytes (`SignedContract`, `SignedEntry`, …), so
//! what a peer verifies is what the sender signed.

use serde::{Deserialize, Serialize};
use verifier::{
    bundle::Source,
    model::{Digest, OrderId, SignedContract, SignedEntry, SignedEvent},
    sign::Signature,
};

use super::agreement::Agreement;

/// Most facts one [`Request::ForwardGroups`] carries.
pub const MAX_FORWARD_GROUPS_FACTS: usize = 1024;

/// One order's facts of a [`Request::ForwardGroups`], in document order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardGroup {
    pub order: OrderId,
    pub events: Vec<SignedEvent>,
}

/// A request from one party's node to another's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// A new order: the contract with the proposer's signature, and the clause sources it binds.
    ProposeContract {
        contract: SignedContract,
        sources: Vec<Source>,
    },
    /// A party signed the contract; sent to the sequencer.
    AcceptContract {
        order: OrderId,
        role: String,
        signature: Signature,
    },
    /// The sequencer asks for a cosignature of the next entry (signed by the sequencer). The
    /// genesis entry comes with the contract, signed by every party, and its sources.
    ProposeEntry {
        entry: SignedEntry,
        genesis: Option<GenesisParts>,
        /// The order's previous entry with every signature, so a cosigner that has not yet
        /// seen its announcement need not fetch it.
        previous: Option<SignedEntry>,
    },
    /// An entry with every party's signature was committed by the sequencer.
    Commit {
        entry: SignedEntry,
        genesis: Option<GenesisParts>,
    },
    /// Entries with every party's signature committed by the sequencer, possibly of several
    /// orders, in commit order (batched while the previous batch was in flight).
    Commits { entries: Vec<SignedEntry> },
    /// The sequencer's traffic for one peer, batched (see `engine::outbox`): entries committed
    /// with every signature, applied first, then entries of several orders to cosign. Answered
    /// by [`Response::Answers`], one answer per proposal, in order.
    Batch {
        commits: Vec<SignedEntry>,
        proposals: Vec<Proposal>,
    },
    /// Facts accepted at a party's node for the order, forwarded to its sequencer, which takes
    /// them together or not at all. Answered by [`Response::Answers`] (per fact, in order:
    /// `Committed` or `Queued`), [`Response::RefusedAt`] or [`Response::Refused`].
    ForwardEvents {
        order: OrderId,
        events: Vec<SignedEvent>,
    },
    /// One document's facts for several orders this node sequences, by order, forwarded by a
    /// party's node that ingested the document: taken together or not at all (every order
    /// locked, every group checked, then each queued in one batch). Answered by
    /// [`Response::Answers`] (per fact, group after group), or [`Response::RefusedAt`] with
    /// the fact's index counted across the groups, or [`Response::Refused`].
    ForwardGroups { groups: Vec<ForwardGroup> },
    /// A party's signature on a review decision (the review's canonical bytes), sent to the
    /// sequencer, which applies the review once every party signed the same bytes.
    ReviewSignature {
        order: OrderId,
        #[serde(with = "serde_bytes")]
        review: Vec<u8>,
        role: String,
        signature: Signature,
    },
    /// A party's signature on closing the order (the close's canonical bytes), sent to the
    /// sequencer, which applies the close once every party signed the same bytes.
    CloseSignature {
        order: OrderId,
        #[serde(with = "serde_bytes")]
        close: Vec<u8>,
        role: String,
        signature: Signature,
    },
    /// A party's signature on amending the order by agreement (the agreement's canonical
    /// bytes), sent to the sequencer, which applies it once every party signed the same bytes.
    AgreementSignature {
        order: OrderId,
        #[serde(with = "serde_bytes")]
        agreement: Vec<u8>,
        role: String,
        signature: Signature,
    },
    /// A party withdraws its pending decision of `kind` (a review decision, a close or an
    /// agreement it signed, not yet signed by every party); sent to the sequencer by that
    /// party's node.
    Withdraw {
        order: OrderId,
        kind: Agreement,
        role: String,
    },
    /// Entries of an order after `after` (all, with the contract, when `after` is `None`).
    FetchEntries {
        order: OrderId,
        after: Option<u64>,
        limit: u32,
    },
    /// Cosign this checkpoint (a C2SP signed note of the requester's log), given a consistency
    /// proof from `from_size`, the size the requester believes this witness saw last.
    Witness {
        note: String,
        from_size: u64,
        proof: Vec<Digest>,
    },
}

/// An entry to cosign (signed by the sequencer) in a [`Request::Batch`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub entry: SignedEntry,
    /// The order's previous entry with every signature: several batches may be in flight, so
    /// its announcement can arrive after this proposal.
    pub previous: Option<SignedEntry>,
}

/// The contract and sources that travel with a genesis entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisParts {
    pub contract: SignedContract,
    pub sources: Vec<Source>,
}

/// What a node answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    Ack,
    /// This party's signature over the proposed entry's body.
    Cosigned {
        signature: Signature,
    },
    /// An entry was committed (for forwarded events, acceptances and reviews).
    Committed {
        seq: u64,
        entry: Digest,
    },
    /// A forwarded fact was accepted and stored; it commits once every party's node answers.
    Queued {
        event: Digest,
    },
    /// The request was understood and refused; nothing changed.
    Refused {
        code: String,
        message: String,
    },
    Entries {
        genesis: Option<GenesisParts>,
        entries: Vec<SignedEntry>,
    },
    /// The witness's cosignature: key name, key id and signature bytes of a C2SP note
    /// signature line.
    Cosignature {
        name: String,
        key_id: u32,
        #[serde(with = "serde_bytes")]
        signature: Vec<u8>,
    },
    /// The witness last saw the log at `size`: resend with a proof from there.
    WitnessFrom {
        size: u64,
    },
    /// One answer per proposal of a [`Request::Batch`], in order.
    Answers(Vec<Response>),
    /// Forwarded facts refused: the fact at `index` does not fit; none was taken.
    RefusedAt {
        index: u64,
        code: String,
        message: String,
    },
}

impl Response {
    pub fn refused(code: &str, message: impl Into<String>) -> Response {
        Response::Refused {
            code: code.to_string(),
            message: message.into(),
        }
    }
}
