//! What the engine keeps in the store: spaces, keys and record types (canonical CBOR).
//!
//! An entry and its log hashes are written in one [`WriteBatch`](crate::durable::WriteBatch);
//! the genesis adds the order record to the same batch. So after a crash an order's entries
//! and the log always agree. What can be derived from an order's entries is not stored
//! separately (each would cost a write per entry and could disagree with them): its head is
//! its last entry, and the events it recorded are collected when it is loaded. The genesis
//! batch also holds the compiled program of the order's sources, if no earlier order stored it.

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use verifier::{
    bundle::Source,
    model::{Digest, OrderId, SignedContract, SignedEntry},
};

use crate::durable::{Space, Store, StoreError};

/// Order id → [`OrderRecord`] of an open order (loaded when the node starts).
pub const ORDERS: Space = Space::new("orders");
/// Order id → [`OrderRecord`] of a closed order, moved here from [`ORDERS`] in the batch of
/// its close entry: never loaded at start, so start time depends on open orders only; read
/// (and its entries replayed) when something asks for the order.
pub const CLOSED: Space = Space::new("closed");
/// Order id ‖ seq (u64 BE) → [`EntryRecord`].
pub const ENTRIES: Space = Space::new("entries");
/// Sources hash → the canonical CBOR of the [`Program`](contract_lang::Program) they compiled
/// to, written with the genesis of the first order that runs them: an order keeps running the
/// clauses it started with even after an upgrade changes what the compiler emits, and a
/// restart does not recompile. Each clause is checked against its id when read back.
pub const PROGRAMS: Space = Space::new("programs");
/// Order id → [`ProposalRecord`]: contracts proposed but not yet started.
pub const PROPOSALS: Space = Space::new("proposals");
/// Log size (u64 BE) → signed note text: the checkpoints this node signed.
pub const CHECKPOINTS: Space = Space::new("checkpoints");
/// Log key ‖ origin ([`witness::memory_key`](super::witness::memory_key)) →
/// [`WitnessedRecord`]: the last checkpoint of each peer log this node cosigned.
pub const WITNESSED: Space = Space::new("witnessed");
/// [`fault_key`] → [`FaultRecord`]: determinism faults and refused proposals.
pub const FAULTS: Space = Space::new("faults");
/// Order id ‖ index (u64 BE) → [`SignedEvent`](verifier::model::SignedEvent): facts accepted
/// while a party's node was unreachable, in arrival order, removed once committed.
pub const QUEUE: Space = Space::new("queue");
/// Order id ‖ seq ‖ first 8 bytes of the other entry's hash → the canonical bytes of an
/// [`EquivocationProof`](verifier::bundle::EquivocationProof): two different entries at one
/// position, both signed by the order's sequencer.
pub const EVIDENCE: Space = Space::new("evidence");
/// Order id → the seq (u64 BE) after which this node last cosigned a close's proposal: until
/// it holds an entry after it, the close may have committed, so it takes no new fact (stored
/// before the cosignature leaves; see `OrderProtocol::closing`).
pub const COSIGNED_CLOSES: Space = Space::new("cosigned_closes");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    pub contract: SignedContract,
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRecord {
    pub entry: SignedEntry,
    /// Index of the entry's leaf in this node's log.
    pub leaf: u64,
}

/// An order's head: its last entry and that entry's log leaf (kept in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadRecord {
    pub seq: u64,
    pub entry: Digest,
    pub leaf: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalRecord {
    /// The contract with the signatures collected so far.
    pub contract: SignedContract,
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WitnessedRecord {
    pub size: u64,
    pub root: Digest,
}

/// A proposal this node refused to cosign, kept for the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRecord {
    pub order: OrderId,
    pub seq: u64,
    pub code: String,
    pub message: String,
    /// Hash of the entry body that was proposed.
    pub proposed: Digest,
    /// Hash of the entry body this node computed, when it computed one.
    pub computed: Option<Digest>,
}

/// Length of a [`fault_key`].
pub const FAULT_KEY_LEN: usize = 48;

/// Key of a refused proposal: order id ‖ seq (u64 BE) ‖ first 8 bytes of the proposed entry's
/// hash (its id, hex, in `GET /faults`).
pub fn fault_key(order: &OrderId, seq: u64, proposed: &Digest) -> Vec<u8> {
    let mut key = entry_key(order, seq);
    key.extend_from_slice(&proposed.as_bytes()[..8]);
    key
}

/// Key of an order's entry: order id then big-endian seq, so a prefix scan lists the entries
/// in order.
pub fn entry_key(order: &OrderId, seq: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(40);
    key.extend_from_slice(order.as_bytes());
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored {what} is corrupt: {message}")]
    Corrupt { what: &'static str, message: String },
}

pub fn encode<T: Serialize>(what: &'static str, value: &T) -> Result<Vec<u8>, RecordError> {
    pactum_canonical::to_vec(value).map_err(|error| RecordError::Corrupt {
        what,
        message: format!("cannot encode: {error}"),
    })
}

pub fn decode<T: Serialize + DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, RecordError> {
    pactum_canonical::from_slice(bytes).map_err(|error| RecordError::Corrupt {
        what,
        message: error.to_string(),
    })
}

/// Reads and decodes one record.
pub fn read<T: Serialize + DeserializeOwned>(
    store: &Store,
    space: Space,
    key: &[u8],
    what: &'static str,
) -> Result<Option<T>, RecordError> {
    match store.get(space, key)? {
        Some(bytes) => decode(what, &bytes).map(Some),
        None => Ok(None),
    }
}

/// The committed entry of `order` at `seq`, as stored (none if not, or not yet, written).
pub fn read_entry(
    store: &Store,
    order: &OrderId,
    seq: u64,
) -> Result<Option<EntryRecord>, RecordError> {
    read(store, ENTRIES, &entry_key(order, seq), "entry")
}

/// The record of `order`, open or closed, and whether it is closed.
pub fn read_order(
    store: &Store,
    order: &OrderId,
) -> Result<Option<(OrderRecord, bool)>, RecordError> {
    if let Some(record) = read(store, ORDERS, order.as_bytes(), "order")? {
        return Ok(Some((record, false)));
    }
    Ok(read(store, CLOSED, order.as_bytes(), "order")?.map(|record| (record, true)))
}
