//! The order state machine: pure, deterministic, no I/O.
//!
//! [`Machine`] is a contract made executable (its clauses compiled and bound, its attesters
//! indexed). [`Machine::apply`] takes the state after entry `n` and a signed event and returns
//! the [`Transition`] to entry `n + 1`: the entry body and the new state. Nothing is mutated;
//! the caller commits a transition once it is signed (the node) or matched against the recorded
//! entry (the verifier). [`Machine::apply_review`] does the same for a review decision.
//!
//! * [`State`]: the bounded state of an order and its hash;
//! * [`breaker`]: the evolution circuit breaker and its root-cause report;
//! * [`contract`]: the contract check every caller runs before an order runs or is verified;
//! * [`machine`]: setup checks, `apply`, `apply_review`;
//! * `engine`: the bridge to the clause language's evaluator.

pub mod breaker;
pub mod contract;
mod engine;
pub mod machine;
pub mod rules;

pub use contract_lang::eval::State as LangState;
use contract_lang::value::{Currency, Value};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

use crate::model::{
    Digest, Effects, ModelError, OrderId, ReviewReason, TransferKind, WindowAmendment, VERSION,
};

pub use contract::{check_contract, ContractError, Signatures};
pub use machine::{ApplyError, Machine, SetupError, Transition, WorkedFact};
pub use rules::{AgreementError, Compile, Compiled, ProgramSource, Rules};

/// The state of an order after some entry. Its size does not grow with the history: terms, the
/// latest fact of each kind, the active clauses, the breaker window (at most the policy's count
/// of amendments), obligation totals, a running hash of every obligation, and the facts
/// recorded while the order waits for review (bounded by how many facts arrive during one
/// pause; empty while it runs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    pub order: OrderId,
    /// Sequence number of the last entry.
    pub seq: u64,
    /// Hash of the last entry (not part of the state hash: the entry names it as `prev`).
    pub head: Digest,
    /// The terms and the latest event of each kind (by event time), exactly as the clause
    /// evaluator reads them.
    pub lang: LangState,
    /// Where each fact of `lang.facts` came from.
    pub fact_sources: BTreeMap<String, FactSource>,
    /// Names of the clauses in force.
    pub active: BTreeSet<String>,
    /// The latest effective event time so far (starts at the contract's genesis time).
    pub high_water: i64,
    /// Automatic amendments inside the breaker window, oldest first.
    pub window: Vec<WindowAmendment>,
    pub status: Status,
    /// Facts recorded while the order was paused (tripped or in review), oldest first: a
    /// review evaluates them after deciding on what was held (see [`machine`]).
    pub held_facts: Vec<HeldFact>,
    /// Running totals per (kind, from, to, currency), sorted by that key.
    pub obligations: Vec<ObligationTotal>,
    /// `H(previous ‖ canonical(obligation))` over every obligation ever applied, in order.
    pub obligations_hash: Digest,
    /// The rules in force once an agreement changed the contract's clauses, parameters or
    /// sources; `None` while the genesis rules are (see [`Machine::rules`]).
    pub rules: Option<Arc<Rules>>,
    /// Digests of the slowly changing parts, kept current by the state machine.
    pub(crate) parts: PartDigests,
}

/// Where the latest fact of one kind came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FactSource {
    /// The entry that recorded it.
    pub seq: u64,
    /// Hash of the signed event body (which commits to its fields).
    pub event: Digest,
}

/// A fact recorded while the order was paused, waiting to be evaluated after the review:
/// everything evaluating it and remembering it in the breaker window needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeldFact {
    /// The entry that recorded it.
    pub seq: u64,
    /// Its effective time as recorded (see [`breaker`]).
    pub effective_at: i64,
    pub kind: String,
    pub at: i64,
    pub fields: BTreeMap<String, Value>,
    pub attester: String,
    /// Hash of the signed event.
    pub event: Digest,
}

/// Whether an order runs automatically.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Running,
    /// The breaker tripped on `event`; `held` waits for a review.
    Tripped {
        event: Digest,
        held: Effects,
    },
    /// `event` was handed to review (conflict, `review` action or evaluation error).
    InReview {
        event: Digest,
        reasons: Vec<ReviewReason>,
    },
    /// The parties closed the order at `at`: it takes no further event or review.
    Closed {
        at: i64,
    },
}

impl Status {
    pub fn is_running(&self) -> bool {
        matches!(self, Status::Running)
    }

    pub fn is_closed(&self) -> bool {
        matches!(self, Status::Closed { .. })
    }
}

/// The total owed of one kind between two parties in one currency, in minor units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObligationTotal {
    pub kind: TransferKind,
    pub from: String,
    pub to: String,
    pub currency: Currency,
    pub minor: i64,
}

impl ObligationTotal {
    fn key(&self) -> (TransferKind, &str, &str, Currency) {
        (self.kind, &self.from, &self.to, self.currency)
    }
}

/// What is hashed into the state hash. The parts that change rarely (terms, active clauses,
/// breaker window, status, obligation totals) enter as the SHA-256 of their own canonical
/// encoding, so an entry that leaves them alone reuses their digests instead of re-encoding
/// them; facts enter as their time and event hash (the event hash commits to the fields).
#[derive(Serialize)]
struct StateView<'a> {
    v: u32,
    seq: u64,
    facts: BTreeMap<&'a str, (i64, &'a Digest)>,
    order: &'a Digest,
    parts: &'a PartDigests,
    high_water: i64,
    obligations_hash: &'a Digest,
    /// The `once` rules that fired; absent while none has, so histories without `once`
    /// rules hash as before.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    once_fired: &'a BTreeSet<(String, u32)>,
    /// The digest of the rules in force once an agreement changed them; absent before, so
    /// histories without agreements hash as before.
    #[serde(skip_serializing_if = "Option::is_none")]
    rules: Option<Digest>,
    /// Aggregates over facts (`count`, `sum`); absent for programs without them, so other
    /// histories hash as before.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    tallies: &'a BTreeMap<String, contract_lang::eval::Tally>,
}

/// Which slowly changing parts of a state a step changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Dirty {
    pub terms: bool,
    pub active: bool,
    pub window: bool,
    pub status: bool,
    pub obligations: bool,
    pub held_facts: bool,
}

impl Dirty {
    pub(crate) const ALL: Dirty = Dirty {
        terms: true,
        active: true,
        window: true,
        status: true,
        obligations: true,
        held_facts: true,
    };
}

/// Digests of the state's slowly changing parts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct PartDigests {
    terms: Digest,
    active: Digest,
    status: Digest,
    window: Digest,
    obligations: Digest,
    held_facts: Digest,
}

fn part_digest<T: Serialize + ?Sized>(what: &'static str, part: &T) -> Result<Digest, ModelError> {
    Ok(Digest::of(&crate::model::encode(what, part)?))
}

impl State {
    /// SHA-256 of the canonical encoding of the state (without `head`), every part encoded
    /// afresh.
    pub fn hash(&self) -> Result<Digest, ModelError> {
        self.hash_with(&self.fresh_parts()?)
    }

    fn fresh_parts(&self) -> Result<PartDigests, ModelError> {
        Ok(PartDigests {
            terms: part_digest("terms", &self.lang.terms)?,
            active: part_digest("active clauses", &self.active)?,
            window: part_digest("breaker window", &self.window)?,
            status: part_digest("status", &self.status)?,
            obligations: part_digest("obligations", &self.obligations)?,
            held_facts: part_digest("held facts", &self.held_facts)?,
        })
    }

    /// The same hash as [`State::hash`], re-encoding only the parts marked `dirty` (the others
    /// kept their digests from the state this one was made from). Keeps the new digests.
    pub(crate) fn rehash(&mut self, dirty: Dirty) -> Result<Digest, ModelError> {
        if dirty.terms {
            self.parts.terms = part_digest("terms", &self.lang.terms)?;
        }
        if dirty.active {
            self.parts.active = part_digest("active clauses", &self.active)?;
        }
        if dirty.window {
            self.parts.window = part_digest("breaker window", &self.window)?;
        }
        if dirty.status {
            self.parts.status = part_digest("status", &self.status)?;
        }
        if dirty.obligations {
            self.parts.obligations = part_digest("obligations", &self.obligations)?;
        }
        if dirty.held_facts {
            self.parts.held_facts = part_digest("held facts", &self.held_facts)?;
        }
        self.hash_with(&self.parts)
    }

    fn hash_with(&self, parts: &PartDigests) -> Result<Digest, ModelError> {
        let view = StateView {
            v: VERSION,
            order: &self.order,
            seq: self.seq,
            high_water: self.high_water,
            facts: self
                .fact_sources
                .iter()
                .map(|(kind, source)| {
                    let at = self.lang.facts.get(kind).map_or(0, |fact| fact.at);
                    (kind.as_str(), (at, &source.event))
                })
                .collect(),
            obligations_hash: &self.obligations_hash,
            once_fired: &self.lang.once_fired,
            rules: self.rules.as_ref().map(|rules| rules.digest()),
            tallies: &self.lang.tallies,
            parts,
        };
        part_digest("state", &view)
    }

    pub fn terms(&self) -> &BTreeMap<String, Value> {
        &self.lang.terms
    }

    /// The total owed for `(kind, from, to, currency)`, zero if nothing was.
    pub fn obligation_total(
        &self,
        kind: TransferKind,
        from: &str,
        to: &str,
        currency: Currency,
    ) -> i64 {
        self.obligations
            .iter()
            .find(|total| total.key() == (kind, from, to, currency))
            .map_or(0, |total| total.minor)
    }
}

/// The set of events an order has already recorded, to refuse a duplicate. Kept outside
/// [`State`] so the state stays bounded; the node backs it with its store.
pub trait SeenEvents {
    fn contains_event(&self, event: &Digest) -> bool;
}

impl SeenEvents for HashSet<Digest> {
    fn contains_event(&self, event: &Digest) -> bool {
        self.contains(event)
    }
}

/// Events recorded, each with what the node remembers of it (e.g. the seq that recorded it).
impl<V> SeenEvents for std::collections::HashMap<Digest, V> {
    fn contains_event(&self, event: &Digest) -> bool {
        self.contains_key(event)
    }
}

impl SeenEvents for BTreeSet<Digest> {
    fn contains_event(&self, event: &Digest) -> bool {
        self.contains(event)
    }
}
