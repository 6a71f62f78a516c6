//! Why a bundle is rejected: one variant per verification step, each naming the failing entry
//! where there is one.

use contract_lang::value::{DisplayDuration, DisplayTimestamp};

use crate::checkpoint::NoteError;
use crate::merkle::ProofError;
use crate::model::{Digest, ModelError, PartySignatureError};
use crate::state::{ApplyError, ContractError};

use super::equivocation::EquivocationProof;
use super::state_dir::{CheckpointEvidence, HeadEvidence};

/// The verification steps, in the order they run.
pub const STEPS: [(u8, &str); 9] = [
    (1, "decode"),
    (2, "clause sources"),
    (3, "genesis signatures"),
    (4, "entries: chain, sequence, attesters and signatures"),
    (5, "replay"),
    (6, "circuit breaker"),
    (7, "log inclusion and checkpoint"),
    (8, "log consistency"),
    (9, "presented heads"),
];

/// The first problem found, by step.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum VerifyError {
    #[error("step 1 (decode): {0}")]
    Decode(#[from] DecodeError),
    /// Steps 1 to 3 as the contract check ([`crate::state::check_contract`]) finds them.
    #[error("step {step} ({name}): {0}", step = .0.step(), name = .0.step_name())]
    Contract(#[from] ContractError),
    #[error("step 2 (clause sources): {0}")]
    Sources(#[from] SourcesError),
    #[error("step 3 (genesis): {0}")]
    Genesis(#[from] GenesisError),
    #[error("step 4 (entries): entry {index}: {error}")]
    Entry { index: u64, error: EntryError },
    #[error("step 5 (replay): entry {index}: {error}")]
    Replay { index: u64, error: ReplayError },
    #[error("step 6 (circuit breaker): entry {index}: {error}")]
    Breaker { index: u64, error: BreakerError },
    #[error("step 7 (log): {0}")]
    Log(#[from] LogError),
    #[error("step 8 (consistency): {0}")]
    Consistency(#[from] ConsistencyError),
    #[error("step 9 (presented heads): {0}")]
    Head(#[from] HeadError),
}

impl VerifyError {
    /// The number of the step that failed.
    pub fn step(&self) -> u8 {
        match self {
            VerifyError::Decode(_) => 1,
            VerifyError::Contract(e) => e.step(),
            VerifyError::Sources(_) => 2,
            VerifyError::Genesis(_) => 3,
            VerifyError::Entry { .. } => 4,
            VerifyError::Replay { .. } => 5,
            VerifyError::Breaker { .. } => 6,
            VerifyError::Log(_) => 7,
            VerifyError::Consistency(_) => 8,
            VerifyError::Head(_) => 9,
        }
    }

    /// The position (in the bundle) of the entry that failed, if the failure is about one.
    pub fn entry(&self) -> Option<u64> {
        match self {
            VerifyError::Decode(DecodeError::Entry { index, .. }) => Some(*index),
            VerifyError::Entry { index, .. }
            | VerifyError::Replay { index, .. }
            | VerifyError::Breaker { index, .. } => Some(*index),
            VerifyError::Log(LogError::Inclusion { index, .. })
            | VerifyError::Log(LogError::LeafOrder { index, .. }) => Some(*index),
            _ => None,
        }
    }

    /// A short stable name of the failure (`entry.AttesterSignature`,
    /// `decode.Entry.TrailingBytes`), for JSON output and tests.
    pub fn code(&self) -> String {
        let (step, inner) = match self {
            VerifyError::Decode(e) => {
                let model = match e {
                    DecodeError::Bundle(m)
                    | DecodeError::Contract(m)
                    | DecodeError::Head(m)
                    | DecodeError::Entry { error: m, .. } => Some(m),
                    _ => None,
                };
                let detail = match (model, e) {
                    (Some(ModelError::Canonical { source, .. }), _) => {
                        format!(".{}", variant(source))
                    }
                    (Some(ModelError::UnsupportedVersion { .. }), _) => {
                        ".UnsupportedVersion".into()
                    }
                    (None, DecodeError::EntryBytes(cut)) => format!(".{}", variant(cut)),
                    (None, _) => String::new(),
                };
                return format!("decode.{}{detail}", variant(e));
            }
            VerifyError::Contract(e) => (e.step_code(), variant(e)),
            VerifyError::Sources(e) => ("sources", variant(e)),
            VerifyError::Genesis(e) => ("genesis", variant(e)),
            VerifyError::Entry { error, .. } => ("entry", variant(error)),
            VerifyError::Replay { error, .. } => ("replay", variant(error)),
            VerifyError::Breaker { error, .. } => ("breaker", variant(error)),
            VerifyError::Log(e) => ("log", variant(e)),
            VerifyError::Consistency(e) => ("consistency", variant(e)),
            VerifyError::Head(e) => ("head", variant(e)),
        };
        format!("{step}.{inner}")
    }
}

/// The name of an enum value's variant, from its `Debug` form.
fn variant<T: std::fmt::Debug>(value: &T) -> String {
    let text = format!("{value:?}");
    let end = text.find([' ', '(', '{']).unwrap_or(text.len());
    text[..end].to_string()
}

/// Step 1: the bytes are not a well-formed bundle.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    #[error("{0}")]
    Bundle(ModelError),
    #[error("{0}")]
    Contract(ModelError),
    #[error("entry {index}: {error}")]
    Entry { index: u64, error: ModelError },
    #[error("{0}")]
    Head(ModelError),
    #[error("checkpoint: {0}")]
    Checkpoint(NoteError),
    #[error("the bundle has no entries")]
    NoEntries,
    #[error("{0}")]
    EntryBytes(super::format::EntryCut),
}

/// Step 2, the bundle's own copy of the IR: it is not what the sources compile to. (The sources
/// themselves are checked by the contract check: [`VerifyError::Contract`].)
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SourcesError {
    #[error("the IR of the compiled clauses cannot be encoded: {0}")]
    IrEncode(String),
    #[error("the bundle carries IR for {found} clauses, the contract binds {expected}")]
    IrCount { expected: usize, found: usize },
    #[error("the IR of clause `{0}` in the bundle differs from the compiled one")]
    IrMismatch(String),
}

/// Step 3, the verifier's trust: the contract's parties are not the ones the trust policy pins.
/// (Their signatures are checked by the contract check: [`VerifyError::Contract`].)
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum GenesisError {
    #[error("party `{role}` signs with key {found}, the trust policy pins {pinned}")]
    KeyNotPinned {
        role: String,
        pinned: String,
        found: String,
    },
    #[error("the trust policy pins party `{0}`, which the contract does not have")]
    MissingParty(String),
    #[error("party `{0}` is not pinned by the trust policy")]
    UnpinnedParty(String),
}

/// Step 4: an entry is out of place or not properly signed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum EntryError {
    #[error("the entry is for order {found}, not {expected}")]
    WrongOrder { expected: Digest, found: Digest },
    #[error("sequence {found} where {expected} was expected: entries are out of order")]
    OutOfOrder { expected: u64, found: u64 },
    #[error("sequence {found} where {expected} was expected: entry {expected} is missing")]
    Missing { expected: u64, found: u64 },
    #[error("entry {seq} appears twice")]
    Duplicate { seq: u64 },
    #[error("two different entries at sequence {seq}, both signed by the sequencer: equivocation")]
    Equivocation {
        seq: u64,
        proof: Box<EquivocationProof>,
    },
    #[error("entry {seq} repeats an earlier sequence number")]
    Repeated { seq: u64 },
    #[error("prev is {found}, the previous entry's hash is {expected}")]
    Chain { expected: Digest, found: Digest },
    #[error("entry 0 must be the genesis and only entry 0")]
    Genesis,
    #[error("the head names entry {head_seq} ({head}), the bundle ends at entry {last_seq}: entries were cut off")]
    Truncated {
        head_seq: u64,
        head: Digest,
        last_seq: u64,
    },
    #[error("the head is signed by `{0}`, not a party")]
    HeadSigner(String),
    #[error("the head's signature does not verify")]
    HeadSignature,
    #[error("the head is about order {0}")]
    HeadOrder(Digest),
    #[error("the event is for order {found}, not {expected}")]
    EventOrder { expected: Digest, found: Digest },
    #[error("key {key} is not an attester of this order")]
    UnknownAttester { key: String },
    #[error("attester `{attester}` may not attest `{kind}` events")]
    UnauthorisedAttester { attester: String, kind: String },
    #[error("the attester's signature does not verify")]
    AttesterSignature,
    #[error("party signatures: {0}")]
    Signers(PartySignatureError),
    #[error("the signature of party `{0}` does not verify")]
    PartySignature(String),
    #[error("the review is for order {0}")]
    ReviewOrder(Digest),
    #[error("review signatures: {0}")]
    ReviewSigners(PartySignatureError),
    #[error("the review signature of party `{0}` does not verify")]
    ReviewSignature(String),
    #[error("the close is for order {0}")]
    CloseOrder(Digest),
    #[error("close signatures: {0}")]
    CloseSigners(PartySignatureError),
    #[error("the close signature of party `{0}` does not verify")]
    CloseSignature(String),
    #[error("the agreement is for order {0}")]
    AgreementOrder(Digest),
    #[error("agreement signatures: {0}")]
    AgreementSigners(PartySignatureError),
    #[error("the agreement signature of party `{0}` does not verify")]
    AgreementSignature(String),
}

/// Step 5: replaying the state machine does not give the recorded entry.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ReplayError {
    #[error("the state machine refuses the step: {0}")]
    Rejected(ApplyError),
    #[error("the recorded outcome differs from the replayed one (recorded: {recorded}; replayed: {replayed})")]
    Outcome { recorded: String, replayed: String },
    #[error("the recorded effective time {recorded} differs from the replayed {replayed}")]
    EffectiveTime { recorded: i64, replayed: i64 },
    #[error("the recorded review step differs from the replayed one")]
    Review,
    #[error("the recorded agreement step differs from the replayed one")]
    Agreement,
    #[error("the recorded state hash {recorded} differs from the replayed {replayed}")]
    StateHash { recorded: Digest, replayed: Digest },
    #[error("the recorded entry differs from the replayed one")]
    Body,
}

/// Step 6: an entry applied an automatic amendment the breaker should have held.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum BreakerError {
    #[error("an automatic amendment beyond the policy ({max} in {}) was applied: the breaker should have tripped", DisplayDuration(*.window_seconds))]
    Bypassed { max: u32, window_seconds: i64 },
    #[error("a backdated event (claiming {}, when the order had reached {}) applied an amendment the breaker should have held", DisplayTimestamp(*.at), DisplayTimestamp(*.high_water))]
    Backdated { at: i64, high_water: i64 },
    #[error("an automatic amendment was applied while the order was paused")]
    WhilePaused,
}

/// Step 7: the entries are not all in the trusted checkpoint.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum LogError {
    #[error("checkpoint origin is `{found}`, the trust policy is for `{expected}`")]
    Origin { expected: String, found: String },
    #[error("the checkpoint is not signed by the log's key")]
    LogSignature,
    #[error("signature of `{0}` on the checkpoint does not verify")]
    BadSignature(String),
    #[error("{verified} of the {required} required witnesses cosigned{}", if .unknown.is_empty() { String::new() } else { format!("; cosignatures from keys the policy does not know: {}", .unknown.join(", ")) })]
    Witnesses {
        verified: usize,
        required: usize,
        unknown: Vec<String>,
    },
    #[error("checkpoint: {0}")]
    Note(NoteError),
    #[error("the head was stated at log size {head}, the checkpoint has size {checkpoint}")]
    HeadSize { head: u64, checkpoint: u64 },
    #[error("entry {index}: leaf index {leaf} does not follow the previous entry's {previous}")]
    LeafOrder {
        index: u64,
        leaf: u64,
        previous: u64,
    },
    #[error("entry {index}: not included in the checkpoint: {error}")]
    Inclusion { index: u64, error: ProofError },
    #[error("no entry is included in the checkpoint's tree (size {size}, root {root}): the checkpoint is not of the log the entries were proved in")]
    NothingIncluded { root: Digest, size: u64 },
}

/// Step 8: the checkpoint is not consistent with the one this verifier saw before.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ConsistencyError {
    #[error("rollback: the log was at size {} and is now presented at size {}", .0.previous_size, .0.presented_size)]
    Rollback(Box<CheckpointEvidence>),
    #[error("fork: the log at size {} is not an extension of the log at size {}", .0.presented_size, .0.previous_size)]
    Fork(Box<CheckpointEvidence>),
    #[error(
        "the bundle carries no consistency proof from size {previous} (last seen) to {presented}"
    )]
    Unproven { previous: u64, presented: u64 },
    #[error("the remembered checkpoint is unreadable: {0}")]
    Remembered(String),
    #[error("order {}: entry {} ({}) was verified before, but this bundle ends before it", .0.order, .0.seq, .0.remembered)]
    OrderShortened(Box<HeadEvidence>),
    #[error("order {}: entry {} was verified before as {}, this bundle has {}: the history was rewritten", .0.order, .0.seq, .0.remembered, .0.presented.map_or_else(String::new, |d| d.to_string()))]
    EntryReplaced(Box<HeadEvidence>),
}

/// Step 9: a head presented beside the bundle that it cannot be checked against, or that
/// contradicts it.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum HeadError {
    #[error("a presented head is signed by `{0}`, not a party of the order")]
    Signer(String),
    #[error("the presented head of `{0}` has an invalid signature")]
    Signature(String),
    #[error("a presented head does not decode: {0}")]
    Decode(ModelError),
    #[error("the head presented by `{signer}` is about order {order}, not this one")]
    OtherOrder { signer: String, order: Digest },
    #[error("`{signer}` signed a head naming {head} as entry {seq}, but the bundle's entry {seq} is {entry}: two histories")]
    Conflict {
        signer: String,
        seq: u64,
        entry: Digest,
        head: Digest,
    },
}
