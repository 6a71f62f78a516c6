//! One order's co-signing protocol at one party's node, without I/O: the decisions of the
//! sequencer (its fact queue, one round at a time, signing last, what a failed round becomes)
//! and of a cosigner (what it cosigns, what it commits, when it catches up, what it keeps as
//! evidence), as a state machine.
//!
//! [`OrderProtocol::handle`] takes an [`Input`] (a local submission, a peer's message, a tick of
//! the clock) with the time and a [`Context`] (the party's [`Signer`], read access to its
//! committed [`History`]) and returns [`Action`]s for the driver to carry out **in order**:
//! send a message to a party (by key), persist a committed entry, store or remove a queued
//! fact, reply to a caller, keep a proof, record a fault, catch up, set a timer. The state
//! moves forward as the actions are returned; a driver whose write fails reloads the order
//! from its store (what is durable is the truth). The node (`engine/`) and the simulator
//! (`crate::sim`) are two drivers of this one type. See ARCHITECTURE.md, "Protocol rules".

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use contract_lang::syntax::civil::format_timestamp;
use verifier::{
    bundle::EquivocationProof,
    model::{Digest, EntryBody, SignedContract, SignedEntry, SignedEvent, Step},
    sign::{PublicKey, Signature},
    state::{machine::Sealed, ApplyError, SeenEvents, State},
};

use super::{
    agreement::{self, Agreement, AgreementError, AgreementTable},
    catch_up::{self, Requester},
    order::{OrderCore, Refusal},
    round::{self, Answer, Round, RoundFailure},
};

pub use super::round::Signer;

/// Who waits for a [`Reply`]: a token the driver chooses (an HTTP request, a peer's request).
pub type Caller = u64;

/// Most queued facts a cosigner forwards to the sequencer in one request.
pub const MAX_FORWARD: usize = 64;

/// Most sequencer-signed entries that did not commit (yet) kept per order.
const MAX_UNCONFIRMED: usize = 8;

/// Read access to the entries this party committed (its store). Reads only; the core never
/// writes through it.
pub trait History {
    /// The committed entry at `seq`, if this party holds it.
    fn entry_at(&self, seq: u64) -> Option<SignedEntry>;
}

/// What the core needs besides its input: the time (Unix seconds, the driver's clock), the
/// party's signer and its committed history.
pub struct Context<'a> {
    pub now: i64,
    pub signer: &'a dyn Signer,
    pub history: &'a dyn History,
}

/// How the core behaves.
#[derive(Debug, Clone, Copy)]
pub struct ProtocolConfig {
    /// Seconds a round waits for its answers before the sequencer gives it up (the driver is
    /// told with [`Action::SetTimer`] and ticks the core).
    pub round_patience: i64,
    /// Most entries a cosigner asks for in one catch-up page (1 to [`catch_up::MAX_FETCH`]).
    pub catch_up_page: u32,
    /// Seconds a party's node takes no new fact after its party signed a close, unless the
    /// close commits, the order moves on or the party withdraws it first (see
    /// [`OrderProtocol::closing`]): a close another party never signs does not keep facts
    /// out for good.
    pub closing_patience: i64,
}

impl ProtocolConfig {
    /// A round patience of `round_patience` seconds, pages of [`catch_up::MAX_FETCH`]
    /// entries, and a closing patience of twelve rounds.
    pub fn with_round_patience(round_patience: i64) -> ProtocolConfig {
        ProtocolConfig {
            round_patience,
            catch_up_page: catch_up::MAX_FETCH,
            closing_patience: round_patience.saturating_mul(12),
        }
    }
}

impl Default for ProtocolConfig {
    fn default() -> ProtocolConfig {
        ProtocolConfig::with_round_patience(30)
    }
}

/// An input to one order's protocol.
#[derive(Debug, Clone)]
pub enum Input {
    /// Open the order: the sequencer proposes the genesis every party signed the contract for
    /// (see [`super::opening::Opening`]); an open order answers [`CoreError::AlreadyOpen`].
    Open { caller: Caller },
    /// A fact submitted at the sequencer's node (from its API or forwarded by a party's node).
    /// `verified`: the driver already checked the attester's signature.
    Fact {
        event: SignedEvent,
        verified: bool,
        caller: Caller,
    },
    /// Facts that enter the order together or not at all (one document's facts for this
    /// order): each is checked, in order, against the state the queued facts and the facts
    /// before it leave; one that does not fit refuses them all (nothing is stored), otherwise
    /// all are queued in one store batch and the queue is drained. Facts already recorded or
    /// queued are answered as the first time. `verified`: the driver checked the signatures.
    /// `from`: who handed them in, this node's own key, or the key the transport authenticated
    /// of a party's node that forwarded them; facts carry their attesters' signatures, so any
    /// party may relay them, but no stranger ([`CoreError::NotAParty`]).
    Facts {
        from: PublicKey,
        events: Vec<SignedEvent>,
        verified: bool,
        caller: Caller,
    },
    /// `role`'s signature on a review, close or agreement (the record's canonical bytes),
    /// handed in by `from`: the party key the transport authenticated (this node's own key
    /// for its own API). Taken only from `role`'s own node (the sender rule,
    /// [`CoreError::NotSender`]).
    Sign {
        kind: Agreement,
        from: PublicKey,
        role: String,
        body: Vec<u8>,
        signature: Signature,
        caller: Caller,
    },
    /// `role` withdraws its pending review decision, or (`Close`) its close signature; only
    /// `role`'s own node (`from`, as for [`Input::Sign`]) may: a withdrawal carries no
    /// signature, so its sender is all that speaks for it.
    Withdraw {
        kind: Agreement,
        from: PublicKey,
        role: String,
        caller: Caller,
    },
    /// An entry to cosign, from `from` (the channel authenticates the sender); `previous` is
    /// the order's entry before it, with every signature. `verified`: the driver already
    /// checked the event's attester signature.
    Proposal {
        from: PublicKey,
        entry: SignedEntry,
        previous: Option<SignedEntry>,
        verified: bool,
    },
    /// A party's answer to the proposal whose body hashes to `body`. `verified`: the driver
    /// already checked a cosignature (`Answer::Cosigned::valid` says how it went); otherwise
    /// the core checks it.
    Answer {
        from: PublicKey,
        body: Digest,
        answer: Answer,
        verified: bool,
    },
    /// An entry committed with every signature, announced by `from` or fetched from it in a
    /// catch-up. `caller` is told what became of it. `verified`: the driver already checked the
    /// other parties' signatures (in a batch); this node's own is compared with the one it made.
    Committed {
        from: PublicKey,
        entry: SignedEntry,
        caller: Option<Caller>,
        verified: bool,
    },
    /// The sequencer's node answered the facts this node forwarded with [`Message::Forward`]
    /// `id` (or did not: [`Forwarded::NoAnswer`]).
    Forwarded { id: u64, answer: Forwarded },
    /// The answer to [`Action::Fetch`] from `from` for the entries after `after` (or to
    /// [`Action::FetchGenesis`], with `after` 0 and the genesis first): the entries,
    /// in order (each checked with every party's signature, as an announcement is), or why
    /// there are none (unreachable, refused). The core decides what comes next: the next
    /// page, the next party, or nothing until the next tick.
    Page {
        from: PublicKey,
        after: u64,
        entries: Result<Vec<SignedEntry>, String>,
    },
    /// Time passed: the sequencer gives up a round past its deadline and otherwise proposes
    /// its oldest queued fact; a cosigner asks the sequencer for entries it missed and
    /// forwards the facts it queued.
    Tick,
}

/// What the sequencer's node answered to forwarded facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forwarded {
    /// Each forwarded fact's place there: `Reply::Committed` or `Reply::Queued`.
    Taken(Vec<(Digest, Reply)>),
    /// It refused them (`index`: the first fact of the group that does not fit, if it said).
    Refused {
        index: Option<usize>,
        code: String,
        message: String,
    },
    /// Its node did not answer (unreachable, timed out, an answer that makes no sense).
    NoAnswer { reason: String },
}

/// A message to another party's node about this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Cosign this entry (unsigned: the sequencer signs last).
    Propose {
        entry: SignedEntry,
        previous: Option<SignedEntry>,
    },
    /// The answer to the proposal whose body hashes to `body`.
    Answer { body: Digest, answer: Answer },
    /// This entry committed with every signature.
    Commit(SignedEntry),
    /// Facts accepted at a cosigner's node, for the sequencer to take (as [`Input::Facts`]);
    /// its answer comes back as [`Input::Forwarded`] with this `id`. A request the driver
    /// makes without holding the order (the sequencer asks this node to cosign meanwhile).
    Forward { id: u64, events: Vec<SignedEvent> },
}

/// An entry to write durably with its log leaf; the core has already moved past it.
#[derive(Debug, Clone)]
pub struct Commit {
    pub entry: SignedEntry,
    pub hash: Digest,
    pub body: EntryBody,
    /// The event the entry recorded, if any.
    pub event: Option<Digest>,
    /// Whether this node signed it as the sequencer: the messages after it in the same list
    /// reveal its signature, so they wait until it is durable (rule 1).
    pub sequenced: bool,
}

/// A fact accepted and waiting for its entry: its place in the store, its hash, the fact,
/// and the document it came with: the store index of that document's first fact (its own
/// index for a fact submitted alone). A cosigner forwards a document's facts together and
/// drops them together when the sequencer refuses one (nothing of a document half-applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedFact {
    pub index: u64,
    pub hash: Digest,
    pub event: SignedEvent,
    pub group: u64,
}

/// What the driver does, in the order given.
#[derive(Debug, Clone)]
pub enum Action {
    Send {
        to: PublicKey,
        message: Message,
    },
    Persist(Box<Commit>),
    /// Store these facts at the back of the queue, in one batch (all or none), durably,
    /// before the reply that follows.
    Enqueue(Vec<QueuedFact>),
    /// Remove this fact from the store's queue: its entry committed (`refused: None`; the
    /// node's driver removes it in the entry's own batch), or it was refused.
    Dequeue {
        fact: QueuedFact,
        refused: Option<CoreError>,
    },
    Reply {
        caller: Caller,
        result: Result<Reply, CoreError>,
    },
    /// Keep this proof that the sequencer signed two bodies at one position.
    Evidence(Box<EquivocationProof>),
    /// This node refused to cosign or commit `entry` (a determinism fault, a bad signature…).
    Fault {
        entry: SignedEntry,
        refusal: Refusal,
    },
    /// Ask the node of `from` for at most `limit` entries after `after`, and hand its answer
    /// back as [`Input::Page`] (one page; the core asks for the next).
    Fetch {
        from: PublicKey,
        after: u64,
        limit: u32,
    },
    /// Ask the node of `from` (the sequencer) for the order's genesis, and hand its answer
    /// back as [`Input::Page`] (entries from the genesis): an opening at a party that never
    /// saw its genesis committed ([`super::opening::Opening`]).
    FetchGenesis {
        from: PublicKey,
    },
    /// Tick the core at `at` (a round's deadline).
    SetTimer {
        at: i64,
    },
    /// Store durably, before the actions that follow (the cosignature), that this node
    /// cosigned a close of the order proposed after entry `after_seq`; hand it back with
    /// [`OrderProtocol::restore_cosigned_close`] when the order is reloaded. Until this node
    /// holds an entry after `after_seq`, the close may have committed at the sequencer's node
    /// (its announcement lost, or a crash losing this node's copy), so it takes no new fact.
    CosignedClose {
        after_seq: u64,
    },
}

/// A successful answer to a caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Committed {
        seq: u64,
        entry: Digest,
    },
    /// Stored durably; it commits, in order, once every party's node answers.
    Queued {
        event: Digest,
        position: usize,
    },
    /// Every fact of a group is recorded or queued, in order (each one's place:
    /// [`OrderProtocol::fact_status`]).
    Accepted,
    /// Each fact of a group forwarded to the sequencer, in order: `Committed` or `Queued`.
    Group(Vec<Reply>),
    /// A signature was taken; other parties have yet to sign.
    Signed,
    /// Whether a pending decision was withdrawn.
    Withdrawn(bool),
    Ack,
}

/// Why an input was refused. Typed; statuses and wire codes are chosen by the drivers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Round(#[from] RoundFailure),
    #[error(transparent)]
    Agreement(#[from] AgreementError),
    #[error("only the order's sequencer proposes and announces entries")]
    NotSequencer,
    #[error("this node does not sequence the order")]
    NotSequencing,
    /// A signature or withdrawal in `role`'s name from another party's node (or a stranger's):
    /// a party's decisions count only when its own node hands them in, so no other party can
    /// replay a decision it withdrew or replaced, or withdraw one in its name.
    #[error("the sender is not `{role}`'s node: a party's signatures and withdrawals are taken only from its own node")]
    NotSender { role: String },
    /// Facts forwarded by a node that is no party's of the order.
    #[error("the sender is not a party of the order")]
    NotAParty,
    #[error("this node committed a different entry at seq {seq}")]
    Conflict { seq: u64 },
    #[error(
        "the sequencer `{sequencer}` signed two different entries at seq {seq}; the proof is kept"
    )]
    Equivocation { sequencer: String, seq: u64 },
    /// Fact `index` of a group (counted from 0) does not fit: none of the group was taken.
    #[error("fact {index} of the group: {refusal}")]
    InGroup { index: usize, refusal: Refusal },
    #[error("the order is not open yet: its genesis has not committed on this node")]
    NotOpen,
    /// `role` (this node's party) signed a close of the order, or its node cosigned the
    /// close's proposal (`closing.until` is `None`): a new fact could be refused by the close
    /// once it commits, so none is taken now. The message says which, and what lifts it.
    #[error("{}", closing_refusal(role, closing))]
    Closing { role: String, closing: Closing },
    #[error("the order is open already")]
    AlreadyOpen,
    /// The sequencer's node refused forwarded facts (at `index` of the group, if it said).
    #[error("the sequencer refused: {message}")]
    ForwardRefused {
        index: Option<usize>,
        code: String,
        message: String,
    },
}

impl CoreError {
    /// A stable code for callers and peers.
    pub fn code(&self) -> String {
        match self {
            CoreError::Refused(refusal) => refusal.code().into(),
            CoreError::Round(RoundFailure::Refused { .. }) => "refused_by_party".into(),
            CoreError::Round(RoundFailure::NoAnswer { .. }) => "bad_answer".into(),
            CoreError::Round(RoundFailure::BadCosignature { .. }) => "bad_cosignature".into(),
            CoreError::Agreement(error) => error.code(),
            CoreError::NotSequencer => "not_sequencer".into(),
            CoreError::NotSequencing => "not_sequencing".into(),
            CoreError::NotSender { .. } | CoreError::NotAParty => "not_a_party".into(),
            CoreError::Conflict { .. } => "conflict".into(),
            CoreError::Equivocation { .. } => "equivocation".into(),
            CoreError::InGroup { refusal, .. } => refusal.code().into(),
            CoreError::NotOpen => "not_open".into(),
            CoreError::Closing { .. } => "order_closing".into(),
            CoreError::AlreadyOpen => "already_started".into(),
            CoreError::ForwardRefused { code, .. } => code.clone(),
        }
    }
}

/// What [`CoreError::Closing`] tells the caller: who signed or cosigned the close, and what
/// lets the node take facts again (see [`OrderProtocol::closing`]).
fn closing_refusal(role: &str, closing: &Closing) -> String {
    let after = closing.after_seq;
    match closing.until {
        Some(until) => format!(
            "`{role}` signed a close of the order after entry {after}, and the close would refuse \
             a fact taken now once it commits: this node takes facts again once the close \
             commits (the order is closed then), another entry follows entry {after}, `{role}` \
             withdraws its close signature (DELETE /orders/{{id}}/close), or at {} (the close \
             lapses here); submit the fact again then",
            format_timestamp(until)
        ),
        None => format!(
            "`{role}`'s node cosigned the sequencer's proposal to close the order after entry \
             {after}, and the sequencer may have committed it: this node takes no new fact until \
             it holds the entry after entry {after} (the close, or another entry), from the \
             sequencer's node or any party's that holds it; a cosignature cannot be withdrawn"
        ),
    }
}

impl RoundFailure {
    /// Whether the round failed for want of a valid answer (retried later with the fact
    /// queued) rather than because a party refused the entry.
    pub fn retryable(&self) -> bool {
        match self {
            RoundFailure::NoAnswer { .. } | RoundFailure::BadCosignature { .. } => true,
            RoundFailure::Refused { code, .. } => code == "behind",
        }
    }
}

/// How many of the oldest `queued` facts to forward: at most `most`, ending at a document's
/// end. A document is
/// taken whole at the sequencer (one `Input::Facts`), so it never travels in two forwards
/// (the first could commit, the second be refused). A document longer than `most` (ingest
/// keeps them to [`MAX_FORWARD`]) is cut, as a retry did before documents were kept.
fn whole_documents(queued: &[&QueuedFact], most: usize) -> usize {
    let mut end = 0;
    while end < queued.len() {
        let group = queued[end].group;
        let document = queued[end..]
            .iter()
            .take_while(|fact| fact.group == group)
            .count();
        let after = end.saturating_add(document);
        if after > most {
            if end == 0 {
                end = most;
            }
            break;
        }
        end = after;
    }
    end.min(queued.len())
}

/// What the sequencer's round is for.
#[derive(Debug, Clone)]
enum Purpose {
    /// A fact submitted by `caller`, not stored yet: a round that cannot complete stores it.
    Fact { event: SignedEvent },
    /// The oldest queued fact.
    Queued,
    /// A review, close or agreement every party signed.
    Agreed,
}

#[derive(Debug, Clone)]
struct Running {
    round: Round,
    purpose: Purpose,
    deadline: i64,
    caller: Option<Caller>,
}

/// One order at one party's node: the order core, the head, the facts it recorded, and (as
/// sequencer) its queue, round and the records collecting signatures, or (as cosigner) the
/// entry it cosigned and sequencer-signed entries that did not commit.
#[derive(Debug, Clone)]
pub struct OrderProtocol {
    config: ProtocolConfig,
    /// The contract every party signed (a proof of equivocation carries it).
    contract: SignedContract,
    core: OrderCore,
    /// This party's role and whether it sequences the order.
    me: String,
    sequencing: bool,
    /// Durable: the head entry with every signature; the recorded facts with their seq; the
    /// queue of accepted facts (stored by the driver on [`Action::Enqueue`]).
    last: SignedEntry,
    seen: HashMap<Digest, u64>,
    queue: VecDeque<QueuedFact>,
    /// Volatile (a restart loses them).
    pending: Option<(Sealed, Signature)>,
    unconfirmed: BTreeMap<u64, SignedEntry>,
    /// As cosigner: a proposal ahead of the head, judged once the catch-up it caused (the
    /// [`Input::Committed`] entries that follow it) brings the head to the entry before it.
    behind: Option<Behind>,
    /// As cosigner: the catch-up under way (which party is asked for which page).
    catching_up: Option<Requester>,
    round: Option<Running>,
    reviews: AgreementTable,
    closes: AgreementTable,
    amendments: AgreementTable,
    /// Submissions that arrived while a round ran; handled when it ends, in order.
    waiting: VecDeque<Input>,
    /// As cosigner: facts forwarded to the sequencer and not answered yet, by forward id.
    forwards: BTreeMap<u64, InFlight>,
    /// Volatile: the close this party signed, and the close proposal this node cosigned
    /// (see [`OrderProtocol::closing`]).
    signed_close: Option<Closing>,
    cosigned_close: Option<Closing>,
    next_forward: u64,
    /// Derived: the state after the queued facts (see [`OrderProtocol::check_facts`]), kept
    /// while the queue only grows; dropped when a fact leaves the queue or an entry commits.
    tail: Option<Tail>,
}

/// A close this party signed or cosigned, about the position after `after_seq`: signed, it
/// keeps new facts out until `until` (this node's clock); cosigned (`until: None`), until this
/// node holds an entry after `after_seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closing {
    pub after_seq: u64,
    pub until: Option<i64>,
}

/// A proposal that arrived ahead of the cosigner's head, and its position.
#[derive(Debug, Clone)]
struct Behind {
    from: PublicKey,
    entry: SignedEntry,
    seq: u64,
    verified: bool,
}

/// The state this order reaches once its queued facts commit, in order, leaving out those
/// the drain would refuse, and the facts that got in.
#[derive(Debug, Clone)]
struct Tail {
    core: OrderCore,
    taken: HashSet<Digest>,
}

/// Facts forwarded to the sequencer, waiting for its answer.
#[derive(Debug, Clone)]
struct InFlight {
    /// Every fact of the submission, in order (some may have been known already).
    hashes: Vec<Digest>,
    /// Who waits for the answer (none for a retry of queued facts).
    caller: Option<Caller>,
    /// Whether the caller submitted one fact (`Input::Fact`) rather than a group.
    single: bool,
    /// When it was sent (an answer that never comes is given up on a later tick).
    sent: i64,
}

impl OrderProtocol {
    /// The order of `core` (running `contract`) at the party with key `me`, whose head is
    /// `last` (the genesis for a new order), with the facts already recorded and queued (both
    /// as stored). `None` if `me` is not a party.
    pub fn new(
        config: ProtocolConfig,
        contract: SignedContract,
        core: OrderCore,
        me: &PublicKey,
        last: SignedEntry,
        seen: HashMap<Digest, u64>,
        queue: VecDeque<QueuedFact>,
    ) -> Option<OrderProtocol> {
        let terms = core.contract();
        let role = terms
            .parties
            .iter()
            .find(|(_, key)| *key == me)
            .map(|(role, _)| role.clone())?;
        let sequencing = role == terms.sequencer;
        Some(OrderProtocol {
            config,
            contract,
            core,
            me: role,
            sequencing,
            last,
            seen,
            queue,
            pending: None,
            unconfirmed: BTreeMap::new(),
            behind: None,
            catching_up: None,
            round: None,
            reviews: AgreementTable::default(),
            closes: AgreementTable::default(),
            amendments: AgreementTable::default(),
            waiting: VecDeque::new(),
            forwards: BTreeMap::new(),
            next_forward: 0,
            signed_close: None,
            cosigned_close: None,
            tail: None,
        })
    }

    /// The same order after a restart: only what was durable is kept (a close it cosigned, kept
    /// by the driver, is handed back with [`OrderProtocol::restore_cosigned_close`]).
    pub fn restarted(&self) -> OrderProtocol {
        let mut restarted = OrderProtocol {
            pending: None,
            unconfirmed: BTreeMap::new(),
            behind: None,
            catching_up: None,
            round: None,
            waiting: VecDeque::new(),
            forwards: BTreeMap::new(),
            signed_close: None,
            cosigned_close: None,
            ..self.clone()
        };
        restarted.reviews.clear();
        restarted.closes.clear();
        restarted.amendments.clear();
        restarted
    }

    pub fn core(&self) -> &OrderCore {
        &self.core
    }

    pub fn state(&self) -> &State {
        self.core.state()
    }

    /// The seq of the head entry.
    pub fn head(&self) -> u64 {
        self.core.state().seq
    }

    /// The head entry with every signature.
    pub fn last(&self) -> &SignedEntry {
        &self.last
    }

    /// The facts recorded, each with the seq of its entry.
    pub fn seen(&self) -> &HashMap<Digest, u64> {
        &self.seen
    }

    pub fn queue(&self) -> &VecDeque<QueuedFact> {
        &self.queue
    }

    pub fn is_sequencer(&self) -> bool {
        self.sequencing
    }

    /// Whether a round is in progress (its deadline, if so).
    pub fn round_deadline(&self) -> Option<i64> {
        self.round.as_ref().map(|running| running.deadline)
    }

    /// Submissions waiting for the running round to end.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// The records of `kind` collecting signatures.
    pub fn agreements(&self, kind: Agreement) -> &AgreementTable {
        match kind {
            Agreement::Review => &self.reviews,
            Agreement::Close => &self.closes,
            Agreement::Amendment => &self.amendments,
        }
    }

    /// This party signs a close of the order about entry `after_seq` (its head) at `now`: its
    /// node takes no new fact while the close may commit (see [`OrderProtocol::closing`]).
    /// Called before the signature leaves the node.
    pub fn sign_close(&mut self, after_seq: u64, now: i64) {
        self.signed_close = Some(Closing {
            after_seq,
            until: Some(now.saturating_add(self.config.closing_patience)),
        });
    }

    /// This party's close signature no longer keeps facts out (withdrawn, or refused by the
    /// sequencer, which therefore does not hold it); whether it did.
    pub fn withdraw_close(&mut self) -> bool {
        self.signed_close.take().is_some()
    }

    /// A close this node cosigned after entry `after_seq`, as stored
    /// ([`Action::CosignedClose`]), when the order is reloaded.
    pub fn restore_cosigned_close(&mut self, after_seq: u64) {
        self.cosigned_close = Some(Closing {
            after_seq,
            until: None,
        });
    }

    /// Why this node takes no new fact at `now`, if it does not: a fact taken then could be
    /// refused by a close once it commits, though this node acknowledged it. Either this node
    /// cosigned a close's proposal and holds no entry after the one it was proposed after
    /// (the sequencer may have committed it, its announcement on its way or lost in a crash
    /// here) nor has cosigned another proposal since; or its party signed a close at its head
    /// and has not withdrawn it, for `closing_patience` (after that a close proposal is
    /// refused while a fact this node accepted waits, so a close another party never signs
    /// keeps nothing out for good). At the sequencer's node a fact is taken: the close is
    /// refused while it waits, or void once it commits (the parties sign again).
    pub fn closing(&self, now: i64) -> Option<Closing> {
        let head = self.head();
        if !self.state().status.is_running() {
            return None;
        }
        let cosigned = self
            .cosigned_close
            .filter(|closing| head <= closing.after_seq);
        let signed = self.signed_close.filter(|closing| {
            closing.after_seq == head && closing.until.is_none_or(|until| now < until)
        });
        cosigned.or(signed)
    }

    fn sequencer_key(&self) -> Option<PublicKey> {
        self.core.sequencer_key()
    }

    /// The other parties, by role, with their keys.
    fn others(&self) -> impl Iterator<Item = (&String, &PublicKey)> {
        let me = self.me.as_str();
        self.core
            .contract()
            .parties
            .iter()
            .filter(move |(role, _)| role.as_str() != me)
    }

    /// Handles one input; the actions to carry out, in order.
    pub fn handle(&mut self, input: Input, cx: &Context) -> Vec<Action> {
        let mut actions = Vec::new();
        self.handle_into(input, cx, &mut actions);
        actions
    }

    fn handle_into(&mut self, input: Input, cx: &Context, actions: &mut Vec<Action>) {
        // A proposal from another party than the sequencer is refused below and changes
        // nothing, not even the wait for a proposal ahead of the head.
        let stray =
            matches!(&input, Input::Proposal { from, .. } if Some(*from) != self.sequencer_key());
        if !stray && !matches!(input, Input::Committed { .. } | Input::Page { .. }) {
            // Only the catch-up's entries, which follow the proposal, may bring it in reach.
            self.behind = None;
        }
        match input {
            Input::Fact { .. }
            | Input::Facts { .. }
            | Input::Sign { .. }
            | Input::Withdraw { .. }
                if self.sequencing && self.round.is_some() =>
            {
                // One round at a time: the submission waits for it (as for the order's lock).
                self.waiting.push_back(input);
            }
            Input::Fact {
                event,
                verified,
                caller,
            } if !self.sequencing => {
                self.take_at_cosigner(vec![event], verified, caller, true, cx, actions)
            }
            Input::Fact {
                event,
                verified,
                caller,
            } => self.on_fact(event, verified, caller, cx, actions),
            Input::Facts { from, caller, .. } if !self.is_party(&from) => {
                actions.push(Action::Reply {
                    caller,
                    result: Err(CoreError::NotAParty),
                })
            }
            Input::Facts {
                events,
                verified,
                caller,
                ..
            } if !self.sequencing => {
                self.take_at_cosigner(events, verified, caller, false, cx, actions)
            }
            Input::Facts {
                events,
                verified,
                caller,
                ..
            } => self.on_facts(events, verified, caller, cx, actions),
            Input::Forwarded { id, answer } => self.on_forwarded(id, answer, cx, actions),
            Input::Page {
                from,
                after,
                entries,
            } => {
                self.on_page(from, after, entries, cx, actions);
                self.judge_behind(cx, actions);
            }
            Input::Sign {
                kind,
                from,
                role,
                body,
                signature,
                caller,
            } => match self.check_sender(&from, &role) {
                Ok(()) => self.on_sign(kind, &role, body, signature, caller, cx, actions),
                Err(error) => actions.push(Action::Reply {
                    caller,
                    result: Err(error),
                }),
            },
            Input::Withdraw {
                kind,
                from,
                role,
                caller,
            } => {
                let result = self
                    .check_sender(&from, &role)
                    .and_then(|()| self.withdraw(kind, &role));
                actions.push(Action::Reply { caller, result });
            }
            Input::Proposal {
                from,
                entry,
                previous,
                verified,
            } => self.on_proposal(from, entry, previous, verified, cx, actions),
            Input::Answer {
                from,
                body,
                answer,
                verified,
            } => self.on_answer(from, body, answer, verified, cx, actions),
            Input::Committed {
                from,
                entry,
                caller,
                verified,
            } => {
                let result = self.on_committed(from, entry, verified, cx, actions);
                if let Some(caller) = caller {
                    actions.push(Action::Reply {
                        caller,
                        result: result.map(|()| Reply::Ack),
                    });
                }
                self.judge_behind(cx, actions);
            }
            Input::Tick => self.on_tick(cx, actions),
            Input::Open { caller } => actions.push(Action::Reply {
                caller,
                result: Err(CoreError::AlreadyOpen),
            }),
        }
    }

    /// Whether `key` is a party's of this order: only parties' nodes hand it facts (rule 6).
    pub fn is_party(&self, key: &PublicKey) -> bool {
        self.core
            .contract()
            .parties
            .values()
            .any(|party| party == key)
    }

    /// The sender rule for what a party decides (see [`CoreError::NotSender`]): `from`, the
    /// key the transport authenticated, must be the key of the party named `role`.
    fn check_sender(&self, from: &PublicKey, role: &str) -> Result<(), CoreError> {
        match self.core.contract().parties.get(role) {
            Some(key) if key == from => Ok(()),
            _ => Err(CoreError::NotSender { role: role.into() }),
        }
    }

    /// `role` withdraws its pending decision of `kind`: at the sequencer, from the table
    /// collecting them; at this party's own node, a close it signed no longer keeps facts
    /// out (the close this node cosigned does, until it holds an entry after it: the
    /// sequencer may have committed it). A closed order has nothing pending to withdraw.
    fn withdraw(&mut self, kind: Agreement, role: &str) -> Result<Reply, CoreError> {
        let state = self.core.state();
        if state.status.is_closed() {
            return Err(Refusal::Apply(ApplyError::OrderClosed { seq: state.seq }).into());
        }
        let mine = role == self.me;
        let own = mine && kind == Agreement::Close && self.withdraw_close();
        if !self.sequencing {
            return if mine && kind == Agreement::Close {
                Ok(Reply::Withdrawn(own))
            } else {
                Err(CoreError::NotSequencing)
            };
        }
        let order = self.core.order();
        let table = match kind {
            Agreement::Review => &mut self.reviews,
            Agreement::Close => &mut self.closes,
            Agreement::Amendment => &mut self.amendments,
        };
        Ok(Reply::Withdrawn(table.withdraw(&order, role) || own))
    }

    // ---- the sequencer's side ----

    fn on_fact(
        &mut self,
        event: SignedEvent,
        verified: bool,
        caller: Caller,
        cx: &Context,
        actions: &mut Vec<Action>,
    ) {
        let reply = |result| Action::Reply { caller, result };
        if !self.sequencing {
            actions.push(reply(Err(CoreError::NotSequencing)));
            return;
        }
        let hash = event.hash();
        if let Some(known) = self.fact_status(&hash, cx.history) {
            actions.push(reply(Ok(known)));
            return;
        }
        let state = self.core.state();
        if state.status.is_closed() {
            let closed = Refusal::Apply(ApplyError::OrderClosed { seq: state.seq });
            actions.push(reply(Err(closed.into())));
            return;
        }
        let prepared = if verified {
            self.core.prepare_event_verified(&self.seen, &event)
        } else {
            self.core.prepare_event(&self.seen, &event)
        };
        let sealed = match prepared {
            Ok(sealed) => sealed,
            Err(refusal) => {
                actions.push(reply(Err(refusal.into())));
                return;
            }
        };
        if !self.queue.is_empty() {
            // Older facts wait for a party: this one waits behind them.
            let queued = self.enqueue(event, actions);
            actions.push(reply(Ok(queued)));
            return;
        }
        self.start_round(sealed, Purpose::Fact { event }, Some(caller), cx, actions);
    }

    /// A group of facts: refused whole, or queued whole (in one batch) and the queue drained.
    fn on_facts(
        &mut self,
        mut events: Vec<SignedEvent>,
        verified: bool,
        caller: Caller,
        cx: &Context,
        actions: &mut Vec<Action>,
    ) {
        let reply = |result| Action::Reply { caller, result };
        if !self.sequencing {
            actions.push(reply(Err(CoreError::NotSequencing)));
            return;
        }
        let new = match self.check_facts(&events, verified) {
            Ok(new) => new,
            Err(error) => {
                actions.push(reply(Err(error)));
                return;
            }
        };
        if let ([index], true) = (new.as_slice(), self.queue.is_empty()) {
            // One new fact and nothing queued: its round runs at once (stored only if it cannot
            // complete), as for a fact submitted alone.
            let event = events.swap_remove(*index);
            return self.on_fact(event, verified, caller, cx, actions);
        }
        let mut facts = Vec::with_capacity(new.len());
        for (index, event) in events.into_iter().enumerate() {
            if new.binary_search(&index).is_ok() {
                facts.push(self.push_queued(event, None));
            }
        }
        if !facts.is_empty() {
            actions.push(Action::Enqueue(facts));
        }
        actions.push(reply(Ok(Reply::Accepted)));
        if self.round.is_none() {
            self.propose_queued(cx, actions);
        }
    }

    /// Checks `events` in order against the state this order reaches once its queued facts
    /// commit, each after the ones before it (a scratch copy: nothing changes here). The
    /// indices of the facts not yet recorded or queued, or the first that does not fit.
    pub fn check_facts(
        &mut self,
        events: &[SignedEvent],
        verified: bool,
    ) -> Result<Vec<usize>, CoreError> {
        let tail = self.tail.take().unwrap_or_else(|| self.replay_queue());
        let checked = self.check_after(&tail, events, verified);
        self.tail = Some(tail);
        checked
    }

    /// [`OrderProtocol::check_facts`] of facts handed in by `from` (see [`Input::Facts`]):
    /// refused whole when `from` is no party's.
    pub fn check_facts_from(
        &mut self,
        from: &PublicKey,
        events: &[SignedEvent],
        verified: bool,
    ) -> Result<Vec<usize>, CoreError> {
        if !self.is_party(from) {
            return Err(CoreError::NotAParty);
        }
        self.check_facts(events, verified)
    }

    /// [`OrderProtocol::check_facts`] against `tail`, the state after the queued facts.
    fn check_after(
        &self,
        tail: &Tail,
        events: &[SignedEvent],
        verified: bool,
    ) -> Result<Vec<usize>, CoreError> {
        let mut scratch = tail.core.clone();
        let mut group = HashSet::new();
        let mut new = Vec::new();
        for (index, event) in events.iter().enumerate() {
            let hash = event.hash();
            let seen = Overlay {
                recorded: &self.seen,
                taken: &tail.taken,
                group: &group,
            };
            if seen.contains_event(&hash) {
                // Recorded, queued or earlier in the group: answered as the first time.
                continue;
            }
            let prepared = if verified {
                scratch.prepare_event_verified(&seen, event)
            } else {
                scratch.prepare_event(&seen, event)
            };
            let sealed = prepared.map_err(|refusal| CoreError::InGroup { index, refusal })?;
            scratch.advance(sealed.state);
            group.insert(hash);
            new.push(index);
        }
        Ok(new)
    }

    /// The state after the queued facts, computed by replaying the queue (kept afterwards while
    /// the queue only grows).
    fn replay_queue(&self) -> Tail {
        let mut tail = Tail {
            core: self.core.clone(),
            taken: HashSet::new(),
        };
        // Queued facts commit first, in order; one the drain would refuse is left out, as the
        // drain leaves it out. They were checked when accepted: only the state is recomputed.
        for queued in &self.queue {
            tail.extend(&self.seen, queued);
        }
        tail
    }

    /// What became of a fact this order recorded or queued, if either.
    pub fn fact_status(&self, hash: &Digest, history: &dyn History) -> Option<Reply> {
        if let Some(seq) = self.seen.get(hash) {
            let entry = if *seq == self.head() {
                self.core.state().head
            } else {
                history.entry_at(*seq)?.hash()
            };
            return Some(Reply::Committed { seq: *seq, entry });
        }
        self.queue
            .iter()
            .position(|queued| queued.hash == *hash)
            .map(|position| Reply::Queued {
                event: *hash,
                position,
            })
    }

    /// The queued facts no entry recorded yet, in order.
    fn unrecorded(&self) -> impl Iterator<Item = &QueuedFact> {
        self.queue
            .iter()
            .filter(|queued| !self.seen.contains_key(&queued.hash))
    }

    /// Stores `event` at the back of the queue; the reply that says so.
    fn enqueue(&mut self, event: SignedEvent, actions: &mut Vec<Action>) -> Reply {
        let hash = event.hash();
        if let Some(position) = self.queue.iter().position(|queued| queued.hash == hash) {
            return Reply::Queued {
                event: hash,
                position,
            };
        }
        let fact = self.push_queued(event, None);
        actions.push(Action::Enqueue(vec![fact]));
        Reply::Queued {
            event: hash,
            position: self.queue.len().saturating_sub(1),
        }
    }

    /// Puts `event` at the back of the queue, under the next store index, as a fact of the
    /// document whose first fact is at `group` (`None`: its own); the fact to store.
    fn push_queued(&mut self, event: SignedEvent, group: Option<u64>) -> QueuedFact {
        let index = self
            .queue
            .back()
            .map_or(0, |queued| queued.index.saturating_add(1));
        let fact = QueuedFact {
            index,
            hash: event.hash(),
            event,
            group: group.unwrap_or(index),
        };
        if let Some(tail) = &mut self.tail {
            tail.extend(&self.seen, &fact);
        }
        self.queue.push_back(fact.clone());
        fact
    }

    /// The oldest queued fact, taken out of the queue.
    fn unqueue_front(&mut self) -> Option<QueuedFact> {
        self.tail = None;
        self.queue.pop_front()
    }

    /// The queued fact `hash`, taken out of the queue if it is there.
    fn unqueue(&mut self, hash: &Digest) -> Option<QueuedFact> {
        let at = self.queue.iter().position(|queued| queued.hash == *hash)?;
        self.tail = None;
        self.queue.remove(at)
    }

    #[allow(clippy::too_many_arguments)]
    fn on_sign(
        &mut self,
        kind: Agreement,
        role: &str,
        body: Vec<u8>,
        signature: Signature,
        caller: Caller,
        cx: &Context,
        actions: &mut Vec<Action>,
    ) {
        if !self.sequencing {
            actions.push(Action::Reply {
                caller,
                result: Err(CoreError::NotSequencing),
            });
            return;
        }
        let queued = self.queue.len();
        let core = &self.core;
        let table = match kind {
            Agreement::Review => &mut self.reviews,
            Agreement::Close => &mut self.closes,
            Agreement::Amendment => &mut self.amendments,
        };
        match table.sign(kind, core, queued, role, body, signature) {
            Ok(None) => actions.push(Action::Reply {
                caller,
                result: Ok(Reply::Signed),
            }),
            Ok(Some(sealed)) => {
                self.start_round(sealed, Purpose::Agreed, Some(caller), cx, actions)
            }
            Err(error) => actions.push(Action::Reply {
                caller,
                result: Err(error.into()),
            }),
        }
    }

    /// Proposes `sealed` to every other party: the body, unsigned (rule 1).
    fn start_round(
        &mut self,
        sealed: Sealed,
        purpose: Purpose,
        caller: Option<Caller>,
        cx: &Context,
        actions: &mut Vec<Action>,
    ) {
        let proposal = sealed.entry.clone();
        let round = Round::new(sealed, proposal, &self.core.contract().parties, &self.me);
        let deadline = cx.now.saturating_add(self.config.round_patience);
        let message = Message::Propose {
            entry: round.proposal().clone(),
            previous: Some(self.last.clone()),
        };
        for (_, key) in round.awaiting() {
            actions.push(Action::Send {
                to: *key,
                message: message.clone(),
            });
        }
        actions.push(Action::SetTimer { at: deadline });
        self.round = Some(Running {
            round,
            purpose,
            deadline,
            caller,
        });
        // A party-less order (only the sequencer) completes at once.
        self.try_finish(cx, actions);
    }

    fn on_answer(
        &mut self,
        from: PublicKey,
        body: Digest,
        answer: Answer,
        verified: bool,
        cx: &Context,
        actions: &mut Vec<Action>,
    ) {
        let Some(role) = self
            .others()
            .find(|(_, key)| **key == from)
            .map(|(role, _)| role.clone())
        else {
            return;
        };
        let Some(running) = self.round.as_mut() else {
            return;
        };
        if running.round.proposal().hash() != body {
            // An answer to an earlier round.
            return;
        }
        let answer = match answer {
            Answer::Cosigned { signature, .. } if !verified => Answer::Cosigned {
                signature,
                valid: super::order::check_cosignature(&from, running.round.proposal(), &signature),
            },
            answer => answer,
        };
        match running.round.answer(&role, answer) {
            Ok(false) => {}
            Ok(true) => self.try_finish(cx, actions),
            Err(failure) => self.fail_round(failure, cx, actions),
        }
    }

    /// Every party cosigned: the sequencer signs, last, commits and announces.
    fn try_finish(&mut self, cx: &Context, actions: &mut Vec<Action>) {
        let complete = self
            .round
            .as_ref()
            .is_some_and(|running| running.round.awaiting().next().is_none());
        if !complete {
            return;
        }
        let Some(running) = self.round.take() else {
            return;
        };
        let Some((entry, sealed)) = running.round.finish(&self.me, cx.signer) else {
            return;
        };
        let commit = self.commit(entry.clone(), sealed, true);
        let (seq, hash) = (commit.body.seq, commit.hash);
        actions.push(Action::Persist(Box::new(commit)));
        let announce: Vec<PublicKey> = self.others().map(|(_, key)| *key).collect();
        for key in announce {
            actions.push(Action::Send {
                to: key,
                message: Message::Commit(entry.clone()),
            });
        }
        if let Purpose::Queued = running.purpose {
            if let Some(fact) = self.unqueue_front() {
                actions.push(Action::Dequeue {
                    fact,
                    refused: None,
                });
            }
        }
        if let Some(caller) = running.caller {
            actions.push(Action::Reply {
                caller,
                result: Ok(Reply::Committed { seq, entry: hash }),
            });
        }
        // Straight on with what waited for this round, then the queue.
        self.resume(cx, actions);
    }

    /// A round ended without an entry (nothing was signed by the sequencer): a fact that could
    /// not get an answer is kept (queued), a refusal is answered.
    fn fail_round(&mut self, failure: RoundFailure, cx: &Context, actions: &mut Vec<Action>) {
        let Some(running) = self.round.take() else {
            return;
        };
        let retry = failure.retryable();
        match (running.purpose, running.caller) {
            (Purpose::Fact { event }, Some(caller)) if retry => {
                let queued = self.enqueue(event, actions);
                actions.push(Action::Reply {
                    caller,
                    result: Ok(queued),
                });
            }
            (Purpose::Queued, _) if retry => {}
            (Purpose::Queued, _) => {
                if let Some(fact) = self.unqueue_front() {
                    actions.push(Action::Dequeue {
                        fact,
                        refused: Some(failure.into()),
                    });
                }
            }
            (_, Some(caller)) => actions.push(Action::Reply {
                caller,
                result: Err(failure.into()),
            }),
            (_, None) => {}
        }
        // What waited is handled; the queue waits for the next tick.
        self.handle_waiting(cx, actions);
    }

    /// Handles submissions that waited for a round, then starts the next queued fact.
    fn resume(&mut self, cx: &Context, actions: &mut Vec<Action>) {
        self.handle_waiting(cx, actions);
        if self.round.is_none() {
            self.propose_queued(cx, actions);
        }
    }

    fn handle_waiting(&mut self, cx: &Context, actions: &mut Vec<Action>) {
        while self.round.is_none() {
            let Some(input) = self.waiting.pop_front() else {
                return;
            };
            self.handle_into(input, cx, actions);
        }
    }

    /// Starts a round for the oldest queued fact; facts already recorded are dropped from the
    /// queue, facts the state machine now refuses are removed with the refusal.
    fn propose_queued(&mut self, cx: &Context, actions: &mut Vec<Action>) {
        while let Some(front) = self.queue.front() {
            if self.seen.contains_key(&front.hash) {
                if let Some(fact) = self.unqueue_front() {
                    actions.push(Action::Dequeue {
                        fact,
                        refused: None,
                    });
                }
                continue;
            }
            match self.core.prepare_event(&self.seen, &front.event) {
                Ok(sealed) => {
                    self.start_round(sealed, Purpose::Queued, None, cx, actions);
                    return;
                }
                Err(refusal) => {
                    if let Some(fact) = self.unqueue_front() {
                        actions.push(Action::Dequeue {
                            fact,
                            refused: Some(refusal.into()),
                        });
                    }
                }
            }
        }
    }

    // ---- a cosigner's forwarding ----

    /// Facts submitted at a cosigner's node: stored in the queue (durably, in one batch) and
    /// forwarded to the sequencer, kept until their entries commit here. A group is checked
    /// whole against this node's view first; facts already recorded or queued are answered
    /// as the first time. While older queued facts wait for the sequencer, new ones queue
    /// behind them (forwarded in order on the next tick).
    fn take_at_cosigner(
        &mut self,
        events: Vec<SignedEvent>,
        verified: bool,
        caller: Caller,
        single: bool,
        cx: &Context,
        actions: &mut Vec<Action>,
    ) {
        let reply = |result| Action::Reply { caller, result };
        let hashes: Vec<Digest> = events.iter().map(SignedEvent::hash).collect();
        let state = self.core.state();
        // A fact recorded before the close is answered with its entry, as at the sequencer.
        let recorded = hashes.iter().all(|hash| self.seen.contains_key(hash));
        if state.status.is_closed() && !recorded {
            let closed = Refusal::Apply(ApplyError::OrderClosed { seq: state.seq });
            actions.push(reply(Err(closed.into())));
            return;
        }
        let new = if single {
            // One fact: the sequencer judges it (this node's view may be behind).
            let known = hashes
                .first()
                .and_then(|hash| self.fact_status(hash, cx.history));
            if known.is_some() {
                Vec::new()
            } else {
                vec![0]
            }
        } else {
            match self.check_facts(&events, verified) {
                Ok(new) => new,
                Err(error) => {
                    actions.push(reply(Err(error)));
                    return;
                }
            }
        };
        // Facts of this submission queued here: asked of the sequencer again, even while
        // another forward of them is unanswered (it answers each fact as the first time, and
        // may have committed them while the entry is on its way here).
        let again: Vec<usize> = (0..hashes.len())
            .filter(|index| new.binary_search(index).is_err())
            .filter(|&index| {
                let hash = &hashes[index];
                !self.seen.contains_key(hash)
                    && self.queue.iter().any(|queued| queued.hash == *hash)
            })
            .collect();
        if new.is_empty() && again.is_empty() {
            actions.push(reply(Ok(self.places(&hashes, single, cx.history))));
            return;
        }
        if let (false, Some(closing)) = (new.is_empty(), self.closing(cx.now)) {
            // Nothing of the submission is taken (a document enters whole or not at all).
            let role = self.me.clone();
            actions.push(reply(Err(CoreError::Closing { role, closing })));
            return;
        }
        // Older facts that wait for the sequencer go first: new ones queue behind them.
        let stalled = self
            .queue
            .iter()
            .any(|queued| !self.in_flight(&queued.hash) && !hashes.contains(&queued.hash));
        let mut facts = Vec::with_capacity(new.len());
        let mut forwarded = Vec::with_capacity(new.len().saturating_add(again.len()));
        for (index, event) in events.into_iter().enumerate() {
            if new.binary_search(&index).is_ok() {
                forwarded.push(event.clone());
                // The submission's new facts are one document: forwarded and refused together.
                let group = facts.first().map(|first: &QueuedFact| first.index);
                facts.push(self.push_queued(event, group));
            } else if again.contains(&index) {
                forwarded.push(event);
            }
        }
        if !facts.is_empty() {
            actions.push(Action::Enqueue(facts));
        }
        if stalled {
            actions.push(reply(Ok(self.places(&hashes, single, cx.history))));
            return;
        }
        let flight = InFlight {
            hashes,
            caller: Some(caller),
            single,
            sent: cx.now,
        };
        self.forward(forwarded, flight, actions);
    }

    /// Sends `events` to the sequencer as one forward; `flight` waits for the answer.
    fn forward(&mut self, events: Vec<SignedEvent>, flight: InFlight, actions: &mut Vec<Action>) {
        let Some(sequencer) = self.sequencer_key() else {
            return;
        };
        let id = self.next_forward;
        self.next_forward = self.next_forward.wrapping_add(1);
        self.forwards.insert(id, flight);
        actions.push(Action::Send {
            to: sequencer,
            message: Message::Forward { id, events },
        });
    }

    /// Whether a forward of the fact `hash` waits for the sequencer's answer.
    fn in_flight(&self, hash: &Digest) -> bool {
        self.forwards
            .values()
            .any(|flight| flight.hashes.contains(hash))
    }

    /// What this node knows of each fact: `Committed` if recorded here, else `Queued`.
    fn places(&self, hashes: &[Digest], single: bool, history: &dyn History) -> Reply {
        let mut places: Vec<Reply> = hashes
            .iter()
            .map(|hash| {
                self.fact_status(hash, history).unwrap_or(Reply::Queued {
                    event: *hash,
                    position: 0,
                })
            })
            .collect();
        match (single, places.len()) {
            (true, 1) => places.remove(0),
            _ => Reply::Group(places),
        }
    }

    /// The sequencer's answer to a forward. Taken: the facts stay queued here until their
    /// entries commit here (so this node, which accepted them, also reports them committed).
    /// Refused: a caller's submission leaves the queue whole; a retry drops the document of
    /// the fact refused (the other documents it carried are forwarded again).
    /// No answer: they stay queued, forwarded again on a later tick.
    fn on_forwarded(
        &mut self,
        id: u64,
        answer: Forwarded,
        cx: &Context,
        actions: &mut Vec<Action>,
    ) {
        let history = cx.history;
        let Some(flight) = self.forwards.remove(&id) else {
            return;
        };
        let result = match answer {
            Forwarded::Taken(places) => {
                // The sequencer's word for what it was sent; this node's for facts it knew.
                let mut group: Vec<Reply> = flight
                    .hashes
                    .iter()
                    .map(|hash| {
                        let sent = places.iter().find(|(sent, _)| sent == hash);
                        match (sent, self.fact_status(hash, history)) {
                            (Some((_, place)), _) => place.clone(),
                            (None, Some(known)) => known,
                            (None, None) => Reply::Queued {
                                event: *hash,
                                position: 0,
                            },
                        }
                    })
                    .collect();
                match (flight.single, group.len()) {
                    (true, 1) => Ok(group.remove(0)),
                    _ => Ok(Reply::Group(group)),
                }
            }
            Forwarded::Refused {
                index,
                code,
                message,
            } => {
                let error = CoreError::ForwardRefused {
                    index,
                    code,
                    message,
                };
                match (flight.caller, index) {
                    (None, Some(index)) => {
                        self.drop_refused_document(&flight.hashes, index, &error, actions)
                    }
                    _ => {
                        for hash in &flight.hashes {
                            if let Some(fact) = self.unqueue(hash) {
                                actions.push(Action::Dequeue {
                                    fact,
                                    refused: Some(error.clone()),
                                });
                            }
                        }
                    }
                }
                Err(error)
            }
            Forwarded::NoAnswer { .. } => {
                Ok(self.places(&flight.hashes, flight.single, cx.history))
            }
        };
        if let Some(caller) = flight.caller {
            actions.push(Action::Reply { caller, result });
        }
    }

    /// A retry of queued facts (`sent`) refused at `index`: every queued fact of the refused
    /// fact's document leaves the queue with the refusal, which names the refused fact by its
    /// place in that document (a document is never split across forwards, so it was all sent).
    fn drop_refused_document(
        &mut self,
        sent: &[Digest],
        index: usize,
        error: &CoreError,
        actions: &mut Vec<Action>,
    ) {
        let Some(group) = sent
            .get(index)
            .and_then(|hash| self.queue.iter().find(|queued| queued.hash == *hash))
            .map(|queued| queued.group)
        else {
            return;
        };
        let document: Vec<Digest> = self
            .queue
            .iter()
            .filter(|queued| queued.group == group)
            .map(|queued| queued.hash)
            .collect();
        let error = match error {
            CoreError::ForwardRefused { code, message, .. } => CoreError::ForwardRefused {
                index: sent
                    .iter()
                    .position(|hash| document.contains(hash))
                    .map(|first| index.saturating_sub(first)),
                code: code.clone(),
                message: message.clone(),
            },
            other => other.clone(),
        };
        for hash in &document {
            if let Some(fact) = self.unqueue(hash) {
                actions.push(Action::Dequeue {
                    fact,
                    refused: Some(error.clone()),
                });
            }
        }
    }

    /// As cosigner: drops queued facts recorded meanwhile, then forwards the oldest queued
    /// facts (at most [`MAX_FORWARD`]) unless a forward of them is still unanswered.
    fn forward_queued(&mut self, cx: &Context, actions: &mut Vec<Action>) {
        // The driver hands every answer back; one that still has not come is given up.
        let patience = self.config.round_patience.saturating_mul(4);
        let lost: Vec<u64> = self
            .forwards
            .iter()
            .filter(|(_, flight)| cx.now.saturating_sub(flight.sent) > patience)
            .map(|(id, _)| *id)
            .collect();
        for id in lost {
            let reason = "no answer from the sequencer's node".to_string();
            self.on_forwarded(id, Forwarded::NoAnswer { reason }, cx, actions);
        }
        while let Some(front) = self.queue.front() {
            if !self.seen.contains_key(&front.hash) {
                break;
            }
            if let Some(fact) = self.unqueue_front() {
                actions.push(Action::Dequeue {
                    fact,
                    refused: None,
                });
            }
        }
        if self.queue.iter().any(|queued| self.in_flight(&queued.hash)) {
            return;
        }
        let waiting: Vec<&QueuedFact> = self.unrecorded().collect();
        let facts = &waiting[..whole_documents(&waiting, MAX_FORWARD)];
        if facts.is_empty() {
            return;
        }
        let hashes = facts.iter().map(|queued| queued.hash).collect();
        let events = facts.iter().map(|queued| queued.event.clone()).collect();
        let flight = InFlight {
            hashes,
            caller: None,
            single: false,
            sent: cx.now,
        };
        self.forward(events, flight, actions);
    }

    fn on_tick(&mut self, cx: &Context, actions: &mut Vec<Action>) {
        if !self.sequencing {
            self.forward_queued(cx, actions);
            self.catch_up(actions);
            return;
        }
        if let Some(running) = &self.round {
            if cx.now >= running.deadline {
                let role = running
                    .round
                    .awaiting()
                    .next()
                    .map_or_else(String::new, |(role, _)| role.clone());
                let failure = RoundFailure::NoAnswer {
                    role,
                    reason: "no answer before the round's deadline".into(),
                };
                self.fail_round(failure, cx, actions);
            }
            return;
        }
        self.resume(cx, actions);
    }

    /// Moves past `entry` (every signature on it): the state after it, its fact recorded.
    fn commit(&mut self, entry: SignedEntry, sealed: Sealed, sequenced: bool) -> Commit {
        let Sealed {
            hash,
            body,
            state,
            event,
            ..
        } = sealed;
        let seq = body.seq;
        self.tail = None;
        self.core.advance(state);
        if let Some(event) = event {
            self.seen.insert(event, seq);
        }
        self.pending = None;
        self.unconfirmed.retain(|kept, _| *kept > seq);
        self.last = entry.clone();
        Commit {
            entry,
            hash,
            body,
            event,
            sequenced,
        }
    }

    // ---- a cosigner's side ----

    fn on_proposal(
        &mut self,
        from: PublicKey,
        entry: SignedEntry,
        previous: Option<SignedEntry>,
        verified: bool,
        cx: &Context,
        actions: &mut Vec<Action>,
    ) {
        let hash = entry.hash();
        let answer = |answer: Answer| Action::Send {
            to: from,
            message: Message::Answer { body: hash, answer },
        };
        let refused = |error: &CoreError| {
            answer(Answer::Refused {
                code: error.code(),
                message: error.to_string(),
            })
        };
        if self.sequencing || Some(from) != self.sequencer_key() {
            actions.push(refused(&CoreError::NotSequencer));
            return;
        }
        let body = match entry.entry() {
            Ok(body) => body,
            Err(error) => {
                actions.push(refused(&Refusal::Malformed(error.to_string()).into()));
                return;
            }
        };
        let head = self.head();
        if let Some(previous) = previous {
            // Usually just the previous entry, whose announcement is still on its way.
            if head.saturating_add(2) == body.seq {
                if let Err(error) = self.on_committed(from, previous, false, cx, actions) {
                    actions.push(refused(&error));
                    return;
                }
            }
        }
        let head = self.head();
        if body.seq > head.saturating_add(1) {
            // Missed entries (offline): catch up, then judge it (`judge_behind`); no answer yet.
            self.catch_up(actions);
            let seq = body.seq;
            self.behind = Some(Behind {
                from,
                entry,
                seq,
                verified,
            });
            return;
        }
        if body.seq <= head {
            // Answered before, or a round the sequencer retries: only the same entry.
            let same = self
                .entry_at(body.seq, cx.history)
                .map(|own| own.body == entry.body);
            let reply = if same == Some(true) {
                answer(Answer::Cosigned {
                    signature: cx.signer.sign_entry(&entry.body),
                    valid: true,
                })
            } else {
                refused(&CoreError::Conflict { seq: body.seq })
            };
            actions.push(reply);
            return;
        }
        let checked = if verified {
            self.core.check_proposal_verified(&self.seen, &entry, &body)
        } else {
            self.core.check_proposal_body(&self.seen, &entry, &body)
        };
        match checked {
            Ok(sealed) => {
                let closes = matches!(body.step, Step::Close(_));
                if closes {
                    // The close would refuse facts this node accepted (they commit first; the
                    // parties sign the close again then): the sequencer's rule for a close's
                    // signatures, with the facts waiting here.
                    let waiting = self.unrecorded().count();
                    if let Err(error) = agreement::check_open(Agreement::Close, &self.core, waiting)
                    {
                        actions.push(refused(&error.into()));
                        return;
                    }
                    actions.push(Action::CosignedClose { after_seq: head });
                }
                self.cosigned_close = closes.then_some(Closing {
                    after_seq: head,
                    until: None,
                });
                let signature = cx.signer.sign_entry(&entry.body);
                self.pending = Some((sealed, signature));
                actions.push(answer(Answer::Cosigned {
                    signature,
                    valid: true,
                }));
            }
            Err(refusal) => {
                let error = CoreError::Refused(refusal.clone());
                actions.push(Action::Fault { entry, refusal });
                actions.push(refused(&error));
            }
        }
    }

    /// Judges the proposal that was ahead of the head once the catch-up brought the head to
    /// the entry before it (or past it: then only the same entry is cosigned).
    fn judge_behind(&mut self, cx: &Context, actions: &mut Vec<Action>) {
        let head = self.head();
        let ahead = |held: &Behind| held.seq > head.saturating_add(1);
        if self.behind.as_ref().is_none_or(ahead) {
            return;
        }
        if let Some(held) = self.behind.take() {
            self.on_proposal(held.from, held.entry, None, held.verified, cx, actions);
        }
    }

    /// The committed entry at `seq` (the head, or from the history).
    fn entry_at(&self, seq: u64, history: &dyn History) -> Option<SignedEntry> {
        if seq == self.head() {
            Some(self.last.clone())
        } else {
            history.entry_at(seq)
        }
    }

    fn on_committed(
        &mut self,
        from: PublicKey,
        entry: SignedEntry,
        verified: bool,
        cx: &Context,
        actions: &mut Vec<Action>,
    ) -> Result<(), CoreError> {
        if self.sequencing || Some(from) != self.sequencer_key() {
            return Err(CoreError::NotSequencer);
        }
        let body = entry
            .entry()
            .map_err(|error| Refusal::Malformed(error.to_string()))?;
        if body.seq > self.head().saturating_add(1) {
            // Entries were missed: the catch-up brings them and this one, so the
            // announcement is acknowledged.
            self.catch_up(actions);
            return Ok(());
        }
        self.take_committed(entry, body.seq, verified, cx, actions)
    }

    /// Starts a catch-up after the head: the sequencer asked first, then each other party
    /// (see [`Requester`]); a catch-up under way is replaced (its page only brings entries).
    fn catch_up(&mut self, actions: &mut Vec<Action>) {
        let Some(sequencer) = self.sequencer_key() else {
            return;
        };
        let others = self.others().map(|(_, key)| *key);
        let sources = std::iter::once(sequencer)
            .chain(others.filter(|key| *key != sequencer))
            .collect();
        self.catching_up = Requester::start(sources, self.head(), self.config.catch_up_page);
        self.ask_page(actions);
    }

    /// Asks for the page the catch-up under way wants.
    fn ask_page(&self, actions: &mut Vec<Action>) {
        if let Some(requester) = &self.catching_up {
            let catch_up::Request { from, after, limit } = requester.request();
            actions.push(Action::Fetch { from, after, limit });
        }
    }

    /// A page of a catch-up: its entries taken in order up to the first that does not fit;
    /// then, if it answers the page asked for now, the next page, the next party or the end.
    fn on_page(
        &mut self,
        from: PublicKey,
        after: u64,
        entries: Result<Vec<SignedEntry>, String>,
        cx: &Context,
        actions: &mut Vec<Action>,
    ) {
        if self.sequencing {
            return;
        }
        // No more than a page is taken, whatever a peer sends.
        let most = catch_up::MAX_FETCH as usize;
        let count = entries
            .as_ref()
            .map_or(0, |entries| entries.len().min(most));
        let answered = entries.is_ok();
        for entry in entries.into_iter().flatten().take(most) {
            let Ok(body) = entry.entry() else { break };
            if body.seq > self.head().saturating_add(1) {
                break;
            }
            if self
                .take_committed(entry, body.seq, false, cx, actions)
                .is_err()
            {
                break;
            }
        }
        let head = self.head();
        let Some(requester) = self.catching_up.as_mut() else {
            return;
        };
        if !requester.expects(&from, after) {
            return;
        }
        let next = if answered {
            requester.on_page(count, head)
        } else {
            requester.on_failure(head)
        };
        match next {
            catch_up::Next::Ask => self.ask_page(actions),
            catch_up::Next::Done | catch_up::Next::GaveUp => self.catching_up = None,
        }
    }

    /// Takes an entry committed with every signature at `seq`, at most one past the head
    /// (announced by the sequencer, or a page's): the same as one held, evidence if another
    /// body carries the sequencer's signature, or the next entry, checked and persisted.
    fn take_committed(
        &mut self,
        entry: SignedEntry,
        seq: u64,
        verified: bool,
        cx: &Context,
        actions: &mut Vec<Action>,
    ) -> Result<(), CoreError> {
        if seq <= self.head() {
            return self.check_known(entry, seq, cx.history, actions);
        }
        let checked = match self.pending.take() {
            // The body this node recomputed and cosigned: only the signatures are checked.
            Some((sealed, mine)) if sealed.entry.body == entry.body => self
                .check_signatures(&entry, &mine, verified)
                .map(|()| sealed),
            _ => self.core.check_committed(&self.seen, &entry),
        };
        let sealed = match checked {
            Ok(sealed) => sealed,
            Err(refusal) => {
                // Signed by the sequencer but not by every party: kept, in case another body
                // commits at this position (rule 3).
                if self.unconfirmed.len() < MAX_UNCONFIRMED
                    && round::signed_by_sequencer(self.core.contract(), &entry)
                {
                    self.unconfirmed.insert(seq, entry.clone());
                }
                actions.push(Action::Fault {
                    entry,
                    refusal: refusal.clone(),
                });
                return Err(refusal.into());
            }
        };
        let other = self.unconfirmed.remove(&seq);
        let commit = self.commit(entry, sealed, false);
        let proof = other.and_then(|other| self.proof(&commit.entry, &other));
        // A fact this node queued for forwarding is done with once its entry commits here.
        let forwarded = commit.event.and_then(|event| self.unqueue(&event));
        actions.push(Action::Persist(Box::new(commit)));
        if let Some(fact) = forwarded {
            actions.push(Action::Dequeue {
                fact,
                refused: None,
            });
        }
        if let Some(proof) = proof {
            actions.push(Action::Evidence(Box::new(proof)));
        }
        Ok(())
    }

    /// Every party signed `entry`: checked here, or (`verified`) by the driver for the others
    /// and against `mine`, the signature this node made, for itself.
    fn check_signatures(
        &self,
        entry: &SignedEntry,
        mine: &Signature,
        verified: bool,
    ) -> Result<(), Refusal> {
        let parties = &self.core.contract().parties;
        let signatures = |error: String| Refusal::Signatures(error);
        if !verified {
            return entry.verify(parties).map_err(|e| signatures(e.to_string()));
        }
        verifier::model::check_signers(parties, &entry.signatures)
            .map_err(|e| signatures(e.to_string()))?;
        if entry.signatures.get(&self.me) != Some(mine) {
            return Err(signatures(format!(
                "the signature of party `{}` is not the one it made",
                self.me
            )));
        }
        Ok(())
    }

    /// An entry at a position already committed here: nothing to do if it is the same; a
    /// different body with the sequencer's signature is kept as evidence.
    fn check_known(
        &mut self,
        entry: SignedEntry,
        seq: u64,
        history: &dyn History,
        actions: &mut Vec<Action>,
    ) -> Result<(), CoreError> {
        let Some(own) = self.entry_at(seq, history) else {
            return Ok(());
        };
        if own.body == entry.body {
            return Ok(());
        }
        match self.proof(&own, &entry) {
            Some(proof) => {
                let sequencer = self.core.contract().sequencer.clone();
                actions.push(Action::Evidence(Box::new(proof)));
                Err(CoreError::Equivocation { sequencer, seq })
            }
            None => Err(CoreError::Conflict { seq }),
        }
    }

    fn proof(&self, own: &SignedEntry, other: &SignedEntry) -> Option<EquivocationProof> {
        round::equivocation(&self.contract, own, other)
    }
}

/// The facts recorded plus those a check has already taken (queued or earlier in a group).
struct Overlay<'a> {
    recorded: &'a HashMap<Digest, u64>,
    taken: &'a HashSet<Digest>,
    group: &'a HashSet<Digest>,
}

impl SeenEvents for Overlay<'_> {
    fn contains_event(&self, event: &Digest) -> bool {
        self.recorded.contains_key(event)
            || self.taken.contains(event)
            || self.group.contains(event)
    }
}

impl Tail {
    /// The queued fact `queued` committed after the others, if the drain would take it.
    fn extend(&mut self, recorded: &HashMap<Digest, u64>, queued: &QueuedFact) {
        let seen = Overlay {
            recorded,
            taken: &self.taken,
            group: &HashSet::new(),
        };
        if let Ok(sealed) = self.core.prepare_event_verified(&seen, &queued.event) {
            self.core.advance(sealed.state);
            self.taken.insert(queued.hash);
        }
    }
}

/// What the tests of the sans-IO cores (an order's, an opening's) share.
#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// Parties that hold nothing but their head (enough for these rounds).
    pub(crate) struct NoHistory;

    impl History for NoHistory {
        fn entry_at(&self, _: u64) -> Option<SignedEntry> {
            None
        }
    }

    /// The proposals in `actions`, by recipient.
    pub(crate) fn proposals(actions: &[Action]) -> Vec<(PublicKey, SignedEntry)> {
        actions
            .iter()
            .filter_map(|action| match action {
                Action::Send {
                    to,
                    message: Message::Propose { entry, .. },
                } => Some((*to, entry.clone())),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn answer_of(actions: &[Action]) -> Answer {
        actions
            .iter()
            .find_map(|action| match action {
                Action::Send {
                    message: Message::Answer { answer, .. },
                    ..
                } => Some(answer.clone()),
                _ => None,
            })
            .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use verifier::sign::SigningKey;

    use super::{
        test_support::{answer_of, proposals, NoHistory},
        *,
    };
    use crate::fixtures::ExampleOrders;

    struct Party {
        key: SigningKey,
        protocol: OrderProtocol,
    }

    impl Party {
        fn handle(&mut self, input: Input, now: i64) -> Vec<Action> {
            let context = Context {
                now,
                signer: &self.key,
                history: &NoHistory,
            };
            self.protocol.handle(input, &context)
        }
    }

    fn order() -> (ExampleOrders, BTreeMap<&'static str, Party>) {
        order_with(ProtocolConfig::default())
    }

    fn order_with(config: ProtocolConfig) -> (ExampleOrders, BTreeMap<&'static str, Party>) {
        let orders = ExampleOrders::new().unwrap();
        let (signed, machine) = orders.contract("PO-CORE").unwrap();
        let mut parties = BTreeMap::new();
        for (role, key) in orders.parties() {
            let (core, genesis) = OrderCore::genesis(machine.clone()).unwrap();
            let mut entry = genesis.entry;
            for (signer, signer_key) in orders.parties() {
                entry.sign(signer, signer_key);
            }
            let protocol = OrderProtocol::new(
                config,
                signed.clone(),
                core,
                &key.public_key(),
                entry,
                HashMap::new(),
                VecDeque::new(),
            )
            .unwrap();
            let key = key.clone();
            parties.insert(role, Party { key, protocol });
        }
        (orders, parties)
    }

    /// The role of `key` among the example order's parties.
    fn role_of(orders: &ExampleOrders, key: &PublicKey) -> &'static str {
        orders
            .parties()
            .into_iter()
            .find(|(_, signer)| signer.public_key() == *key)
            .map_or("nobody", |(role, _)| role)
    }

    /// Hands each of the seller's `proposed` entries (sent by `from`) to its cosigner at
    /// `answered_at` and the answers back to the seller at `collected_at`: the seller's actions
    /// on the last answer.
    fn answer_all(
        orders: &ExampleOrders,
        parties: &mut BTreeMap<&'static str, Party>,
        from: PublicKey,
        proposed: Vec<(PublicKey, SignedEntry)>,
        answered_at: i64,
        collected_at: i64,
    ) -> Vec<Action> {
        let mut done = Vec::new();
        for (to, entry) in proposed {
            let body = entry.hash();
            let input = Input::Proposal {
                from,
                entry,
                previous: None,
                verified: false,
            };
            let cosigner = parties.get_mut(role_of(orders, &to)).unwrap();
            let answer = answer_of(&cosigner.handle(input, answered_at));
            let input = Input::Answer {
                from: to,
                body,
                answer,
                verified: false,
            };
            done = parties
                .get_mut("seller")
                .unwrap()
                .handle(input, collected_at);
        }
        done
    }

    /// One round of `fact` at the seller with every cosigner answering: the committed entry,
    /// announced to nobody.
    fn committed_round(
        orders: &ExampleOrders,
        parties: &mut BTreeMap<&'static str, Party>,
        fact: SignedEvent,
        now: i64,
    ) -> SignedEntry {
        let from = orders.keys().seller.public_key();
        let input = Input::Fact {
            event: fact,
            verified: false,
            caller: 1,
        };
        let proposed = proposals(&parties.get_mut("seller").unwrap().handle(input, now));
        let done = answer_all(orders, parties, from, proposed, now, now);
        match done.first() {
            Some(Action::Persist(commit)) => commit.entry.clone(),
            _ => panic!("{done:?}"),
        }
    }

    #[test]
    fn a_proposal_ahead_of_the_head_is_judged_after_the_catch_up_it_caused() {
        let (orders, mut parties) = order();
        let seller_key = orders.keys().seller.public_key();
        let order = parties["seller"].protocol.core().order();
        // Entry 1 commits at the seller; its announcement reaches nobody.
        let first = committed_round(&orders, &mut parties, orders.fact(order, 0).unwrap(), 100);
        let input = Input::Fact {
            event: orders.fact(order, 1).unwrap(),
            verified: false,
            caller: 2,
        };
        let second = proposals(&parties.get_mut("seller").unwrap().handle(input, 110));
        let proposal = |entry: &SignedEntry| Input::Proposal {
            from: seller_key,
            entry: entry.clone(),
            previous: None,
            verified: false,
        };
        let catch_up = || Input::Committed {
            from: seller_key,
            entry: first.clone(),
            caller: None,
            verified: false,
        };

        // Entry 2 is ahead of the buyer's head: it catches up first and does not answer yet.
        let buyer = parties.get_mut("buyer").unwrap();
        let actions = buyer.handle(proposal(&second[0].1), 111);
        assert!(
            matches!(actions[..], [Action::Fetch { after: 0, .. }]),
            "{actions:?}"
        );
        // The catch-up's entry brings the head to 1: the proposal is judged and cosigned.
        let actions = buyer.handle(catch_up(), 112);
        assert!(matches!(actions[0], Action::Persist(_)), "{actions:?}");
        assert!(matches!(
            answer_of(&actions),
            Answer::Cosigned { valid: true, .. }
        ));

        // Anything else between the proposal and the entries (here a tick) ends the wait: the
        // sequencer was answered meanwhile, and the proposal is not judged later.
        let carrier = parties.get_mut("carrier").unwrap();
        carrier.handle(proposal(&second[1].1), 111);
        carrier.handle(Input::Tick, 112);
        let actions = carrier.handle(catch_up(), 113);
        assert!(matches!(actions[0], Action::Persist(_)), "{actions:?}");
        assert!(
            !actions.iter().any(|action| matches!(
                action,
                Action::Send {
                    message: Message::Answer { .. },
                    ..
                }
            )),
            "{actions:?}"
        );
    }

    /// An order whose pages hold two entries, three entries committed at the seller and
    /// announced to the carrier, and the buyer's node as it was at the genesis.
    fn behind_by_three() -> (
        ExampleOrders,
        BTreeMap<&'static str, Party>,
        Party,
        Vec<SignedEntry>,
    ) {
        let config = ProtocolConfig {
            catch_up_page: 2,
            ..ProtocolConfig::default()
        };
        let (orders, mut parties) = order_with(config);
        let seller = orders.keys().seller.public_key();
        let order = parties["seller"].protocol.core().order();
        let buyer = Party {
            key: orders.keys().buyer.clone(),
            protocol: parties["buyer"].protocol.clone(),
        };
        let mut committed = Vec::new();
        for (n, at) in [(0, 100), (1, 110), (2, 120)] {
            let fact = orders.fact(order, n).unwrap();
            let entry = committed_round(&orders, &mut parties, fact, at);
            for role in ["buyer", "carrier"] {
                let input = Input::Committed {
                    from: seller,
                    entry: entry.clone(),
                    caller: None,
                    verified: false,
                };
                parties.get_mut(role).unwrap().handle(input, at + 1);
            }
            committed.push(entry);
        }
        (orders, parties, buyer, committed)
    }

    /// The catch-up requests in `actions`.
    fn fetches(actions: &[Action]) -> Vec<(PublicKey, u64, u32)> {
        actions
            .iter()
            .filter_map(|action| match action {
                Action::Fetch { from, after, limit } => Some((*from, *after, *limit)),
                _ => None,
            })
            .collect()
    }

    fn persisted(actions: &[Action]) -> usize {
        actions
            .iter()
            .filter(|action| matches!(action, Action::Persist(_)))
            .count()
    }

    #[test]
    fn a_catch_up_asks_page_after_page_and_the_next_party_when_one_fails() {
        let (orders, _, mut buyer, committed) = behind_by_three();
        let seller = orders.keys().seller.public_key();
        let carrier = orders.keys().carrier.public_key();
        let page = |from, after, entries| Input::Page {
            from,
            after,
            entries,
        };

        // The sequencer is asked first.
        let actions = buyer.handle(Input::Tick, 200);
        assert_eq!(fetches(&actions), [(seller, 0, 2)]);
        // Unreachable: the carrier, which holds every entry with every signature.
        let actions = buyer.handle(page(seller, 0, Err("unreachable".into())), 201);
        assert_eq!(fetches(&actions), [(carrier, 0, 2)]);
        // A full page: taken, and the next one asked from the same party.
        let actions = buyer.handle(page(carrier, 0, Ok(committed[..2].to_vec())), 202);
        assert_eq!(persisted(&actions), 2);
        assert_eq!(fetches(&actions), [(carrier, 2, 2)]);
        // A short page ends the catch-up.
        let actions = buyer.handle(page(carrier, 2, Ok(committed[2..].to_vec())), 203);
        assert_eq!(persisted(&actions), 1);
        assert!(fetches(&actions).is_empty(), "{actions:?}");
        assert_eq!(buyer.protocol.head(), 3);
    }

    #[test]
    fn a_catch_up_whose_entries_do_not_fit_gives_up_until_the_next_tick() {
        let (orders, _, mut buyer, committed) = behind_by_three();
        let seller = orders.keys().seller.public_key();
        let carrier = orders.keys().carrier.public_key();
        buyer.handle(Input::Tick, 200);
        // The sequencer's page carries entry 1 with a signature that is not the buyer's: it
        // is refused (a fault), and the carrier is asked from the same head.
        let mut forged = committed[0].clone();
        let other = committed[1].signatures["buyer"];
        forged.signatures.insert("buyer".into(), other);
        let answer = Input::Page {
            from: seller,
            after: 0,
            entries: Ok(vec![forged, committed[1].clone()]),
        };
        let actions = buyer.handle(answer, 201);
        assert_eq!(persisted(&actions), 0);
        assert!(actions.iter().any(|a| matches!(a, Action::Fault { .. })));
        assert_eq!(fetches(&actions), [(carrier, 0, 2)]);
        // The carrier's page starts past the head: nothing fits, every party was asked.
        let answer = Input::Page {
            from: carrier,
            after: 0,
            entries: Ok(committed[1..].to_vec()),
        };
        let actions = buyer.handle(answer, 202);
        assert!(actions.is_empty(), "{actions:?}");
        // An answer to a request no longer asked only brings its entries.
        let late = Input::Page {
            from: seller,
            after: 0,
            entries: Ok(committed[..1].to_vec()),
        };
        let actions = buyer.handle(late, 203);
        assert_eq!(persisted(&actions), 1);
        assert!(fetches(&actions).is_empty(), "{actions:?}");
        // The next tick starts again from the sequencer.
        let actions = buyer.handle(Input::Tick, 204);
        assert_eq!(fetches(&actions), [(seller, 1, 2)]);
    }

    #[test]
    fn an_announcement_ahead_of_the_head_is_acknowledged_and_caught_up() {
        let (orders, mut parties) = order();
        let seller_key = orders.keys().seller.public_key();
        let order = parties["seller"].protocol.core().order();
        let announced = |entry: &SignedEntry, caller| Input::Committed {
            from: seller_key,
            entry: entry.clone(),
            caller: Some(caller),
            verified: false,
        };
        // The buyer's node as it was before entry 1, while the order goes on to entry 2.
        let mut buyer = Party {
            key: orders.keys().buyer.clone(),
            protocol: parties["buyer"].protocol.clone(),
        };
        let first = committed_round(&orders, &mut parties, orders.fact(order, 0).unwrap(), 100);
        for role in ["buyer", "carrier"] {
            parties
                .get_mut(role)
                .unwrap()
                .handle(announced(&first, 1), 101);
        }
        let second = committed_round(&orders, &mut parties, orders.fact(order, 1).unwrap(), 110);

        // It missed entry 1's announcement; entry 2's arrives: it asks for what it missed and
        // acknowledges (the catch-up brings entry 2 too).
        let actions = buyer.handle(announced(&second, 3), 120);
        assert!(
            matches!(
                actions[..],
                [
                    Action::Fetch { after: 0, .. },
                    Action::Reply {
                        caller: 3,
                        result: Ok(Reply::Ack)
                    }
                ]
            ),
            "{actions:?}"
        );
        // The catch-up's entries commit in order.
        for (caller, entry) in [(4, &first), (5, &second)] {
            let actions = buyer.handle(announced(entry, caller), 121);
            assert!(matches!(actions[0], Action::Persist(_)), "{actions:?}");
        }
        assert_eq!(buyer.protocol.head(), 2);
    }

    #[test]
    fn a_fact_without_answers_is_queued_then_committed_with_the_sequencer_signing_last() {
        let (orders, mut parties) = order();
        let seller_key = orders.keys().seller.public_key();
        let order = parties["seller"].protocol.core().order();
        let fact = orders.fact(order, 0).unwrap();
        let seller = parties.get_mut("seller").unwrap();
        let input = Input::Fact {
            event: fact.clone(),
            verified: false,
            caller: 7,
        };
        let proposed = proposals(&seller.handle(input, 100));
        assert_eq!(proposed.len(), 2, "one proposal per cosigner");
        assert!(
            proposed[0].1.signatures.is_empty(),
            "proposals are unsigned"
        );

        // Nobody answers before the deadline: nothing signed, the fact is kept and answered
        // queued.
        let actions = seller.handle(Input::Tick, 100 + 30);
        assert!(matches!(actions[0], Action::Enqueue(_)), "{actions:?}");
        assert!(matches!(
            actions[1],
            Action::Reply {
                caller: 7,
                result: Ok(Reply::Queued { position: 0, .. })
            }
        ));
        // Submitted again: the same answer, not a second fact.
        let again = Input::Fact {
            event: fact,
            verified: false,
            caller: 8,
        };
        assert!(matches!(
            seller.handle(again, 131)[..],
            [Action::Reply {
                caller: 8,
                result: Ok(Reply::Queued { position: 0, .. })
            }]
        ));

        // The next tick proposes it again; both cosigners answer.
        let proposed = proposals(&seller.handle(Input::Tick, 140));
        assert_eq!(proposed.len(), 2);
        let done = answer_all(&orders, &mut parties, seller_key, proposed, 141, 142);
        // Persisted first (signed by every party, the sequencer last), then announced.
        let Some(Action::Persist(commit)) = done.first() else {
            panic!("{done:?}");
        };
        assert_eq!(commit.entry.signatures.len(), 3);
        assert!(commit.sequenced);
        assert!(matches!(
            done[1],
            Action::Send {
                message: Message::Commit(_),
                ..
            }
        ));
        assert!(done
            .iter()
            .any(|action| matches!(action, Action::Dequeue { refused: None, .. })));
        let entry = commit.entry.clone();
        let buyer = parties.get_mut("buyer").unwrap();
        let committed = Input::Committed {
            from: seller_key,
            entry: entry.clone(),
            caller: Some(1),
            verified: false,
        };
        let actions = buyer.handle(committed, 150);
        assert!(matches!(actions[0], Action::Persist(_)), "{actions:?}");
        assert_eq!(buyer.protocol.head(), 1);

        // A second body at that position signed by the sequencer is kept as proof.
        let mut body = entry.entry().unwrap();
        body.state.0[0] ^= 1;
        let mut forged = SignedEntry::unsigned(body.encode().unwrap());
        forged.sign("seller", &orders.keys().seller);
        let input = Input::Committed {
            from: seller_key,
            entry: forged,
            caller: Some(2),
            verified: false,
        };
        let actions = buyer.handle(input, 160);
        assert!(matches!(actions[0], Action::Evidence(_)), "{actions:?}");
        assert!(matches!(
            actions[1],
            Action::Reply {
                result: Err(CoreError::Equivocation { seq: 1, .. }),
                ..
            }
        ));
    }

    #[test]
    fn a_group_of_facts_is_queued_in_one_batch_or_refused_whole() {
        let (orders, mut parties) = order();
        let order = parties["seller"].protocol.core().order();
        let fact = |n| orders.fact(order, n).unwrap();
        let seller = parties.get_mut("seller").unwrap();
        // A fact whose round gets no answer is queued: groups now queue behind it.
        let input = Input::Fact {
            event: fact(0),
            verified: false,
            caller: 1,
        };
        seller.handle(input, 100);
        seller.handle(Input::Tick, 130);
        assert_eq!(seller.protocol.queue().len(), 1);

        // A fact for another order: the group is refused at that fact, nothing is queued,
        // not even the fact before it.
        let elsewhere = orders.fact(Digest([9; 32]), 2).unwrap();
        let input = Input::Facts {
            from: orders.keys().seller.public_key(),
            events: vec![fact(1), elsewhere, fact(3)],
            verified: false,
            caller: 2,
        };
        let actions = seller.handle(input, 140);
        assert!(
            matches!(
                actions[..],
                [Action::Reply {
                    caller: 2,
                    result: Err(CoreError::InGroup { index: 1, .. })
                }]
            ),
            "{actions:?}"
        );
        assert_eq!(seller.protocol.queue().len(), 1);

        // A group that fits is stored in one batch (a fact repeated in it once), accepted,
        // and the queue's oldest fact proposed.
        let group = vec![fact(1), fact(2), fact(1)];
        let input = Input::Facts {
            from: orders.keys().seller.public_key(),
            events: group.clone(),
            verified: false,
            caller: 3,
        };
        let actions = seller.handle(input, 150);
        let stored: Vec<_> = actions
            .iter()
            .filter_map(|action| match action {
                Action::Enqueue(facts) => Some(facts.len()),
                _ => None,
            })
            .collect();
        assert_eq!(stored, [2], "{actions:?}");
        assert!(actions.iter().any(|action| matches!(
            action,
            Action::Reply {
                caller: 3,
                result: Ok(Reply::Accepted)
            }
        )));
        assert_eq!(
            proposals(&actions).len(),
            2,
            "the drain starts: {actions:?}"
        );
        assert_eq!(seller.protocol.queue().len(), 3);
        let status = seller.protocol.fact_status(&fact(2).hash(), &NoHistory);
        assert!(matches!(status, Some(Reply::Queued { position: 2, .. })));
    }

    #[test]
    fn the_state_after_the_queue_is_kept_as_the_queue_grows_and_equals_a_replay() {
        let (orders, mut parties) = order();
        let order = parties["seller"].protocol.core().order();
        let fact = |n| orders.fact(order, n).unwrap();
        let seller = parties.get_mut("seller").unwrap();
        let input = Input::Fact {
            event: fact(0),
            verified: false,
            caller: 1,
        };
        seller.handle(input, 100);
        seller.handle(Input::Tick, 130);
        assert_eq!(seller.protocol.queue().len(), 1);
        // A group is checked against the queue's end (kept from then on), then queued: the
        // kept state grows with it, as a replay of the whole queue would give.
        let protocol = &mut seller.protocol;
        assert_eq!(
            protocol.check_facts(&[fact(1), fact(2)], false).unwrap(),
            [0, 1]
        );
        protocol.push_queued(fact(1), None);
        protocol.push_queued(fact(2), None);
        let kept = protocol.tail.clone().unwrap();
        let replayed = protocol.replay_queue();
        assert_eq!(kept.core.state(), replayed.core.state());
        assert_eq!(kept.taken, replayed.taken);
        assert_eq!(kept.taken.len(), 3);
        // A fact leaving the queue drops it; the next check replays what is left.
        protocol.unqueue_front();
        assert!(protocol.tail.is_none());
        assert_eq!(
            protocol.check_facts(&[fact(1), fact(3)], false).unwrap(),
            [1]
        );
        assert_eq!(protocol.tail.as_ref().unwrap().taken.len(), 2);
    }

    #[test]
    fn a_cosigner_keeps_a_fact_it_forwards_until_its_entry_commits_and_retries_on_ticks() {
        let (orders, mut parties) = order();
        let seller_key = orders.keys().seller.public_key();
        let order = parties["seller"].protocol.core().order();
        let fact = orders.fact(order, 0).unwrap();
        let hash = fact.hash();
        let forwards = |actions: &[Action]| -> Vec<(u64, Vec<SignedEvent>)> {
            actions
                .iter()
                .filter_map(|action| match action {
                    Action::Send {
                        to,
                        message: Message::Forward { id, events },
                    } if *to == seller_key => Some((*id, events.clone())),
                    _ => None,
                })
                .collect()
        };
        let buyer = parties.get_mut("buyer").unwrap();
        // Stored first, then sent to the sequencer; the caller waits for its answer.
        let input = Input::Fact {
            event: fact.clone(),
            verified: false,
            caller: 5,
        };
        let actions = buyer.handle(input, 100);
        assert!(matches!(&actions[0], Action::Enqueue(facts) if facts.len() == 1));
        let sent = forwards(&actions);
        assert_eq!(sent.len(), 1, "{actions:?}");
        assert!(!actions
            .iter()
            .any(|action| matches!(action, Action::Reply { .. })));

        // The sequencer's node does not answer: the caller hears "queued", the fact stays.
        let answer = Forwarded::NoAnswer {
            reason: "unreachable".into(),
        };
        let actions = buyer.handle(
            Input::Forwarded {
                id: sent[0].0,
                answer,
            },
            101,
        );
        assert!(matches!(
            actions[..],
            [Action::Reply {
                caller: 5,
                result: Ok(Reply::Queued { .. })
            }]
        ));
        assert_eq!(buyer.protocol.queue().len(), 1);

        // The core's timer forwards it again (and catches up); once the sequencer took it,
        // it stays queued here until its entry commits here.
        let actions = buyer.handle(Input::Tick, 130);
        let sent = forwards(&actions);
        assert_eq!(sent.len(), 1, "{actions:?}");
        assert_eq!(sent[0].1, vec![fact.clone()]);
        assert!(
            forwards(&buyer.handle(Input::Tick, 131)).is_empty(),
            "one forward at a time"
        );
        let committed = Reply::Committed {
            seq: 1,
            entry: Digest([1; 32]),
        };
        let answer = Forwarded::Taken(vec![(hash, committed)]);
        assert!(buyer
            .handle(
                Input::Forwarded {
                    id: sent[0].0,
                    answer
                },
                132
            )
            .is_empty());
        assert_eq!(buyer.protocol.queue().len(), 1);

        // The sequencer runs the round; the entry commits at the buyer: dequeued with it.
        let seller = parties.get_mut("seller").unwrap();
        let input = Input::Facts {
            from: orders.keys().buyer.public_key(),
            events: sent[0].1.clone(),
            verified: false,
            caller: 9,
        };
        let proposed = proposals(&seller.handle(input, 133));
        let done = answer_all(&orders, &mut parties, seller_key, proposed, 134, 135);
        let Some(Action::Persist(commit)) = done.first() else {
            panic!("{done:?}");
        };
        let input = Input::Committed {
            from: seller_key,
            entry: commit.entry.clone(),
            caller: None,
            verified: false,
        };
        let buyer = parties.get_mut("buyer").unwrap();
        let actions = buyer.handle(input, 136);
        assert!(matches!(actions[0], Action::Persist(_)), "{actions:?}");
        assert!(matches!(
            &actions[1],
            Action::Dequeue { fact, refused: None } if fact.hash == hash
        ));
        assert!(buyer.protocol.queue().is_empty());
    }

    #[test]
    fn a_retry_forwards_a_documents_facts_together_and_drops_them_together() {
        let (orders, mut parties) = order();
        let seller_key = orders.keys().seller.public_key();
        let order = parties["seller"].protocol.core().order();
        let fact = |n| orders.fact(order, n).unwrap();
        let forwarded = |actions: &[Action]| -> Vec<(u64, Vec<Digest>)> {
            actions
                .iter()
                .filter_map(|action| match action {
                    Action::Send {
                        to,
                        message: Message::Forward { id, events },
                    } if *to == seller_key => {
                        Some((*id, events.iter().map(SignedEvent::hash).collect()))
                    }
                    _ => None,
                })
                .collect()
        };
        let buyer = parties.get_mut("buyer").unwrap();
        // A fact alone, its sequencer's node away: queued here.
        let input = Input::Fact {
            event: fact(0),
            verified: false,
            caller: 1,
        };
        let id = forwarded(&buyer.handle(input, 100))[0].0;
        let answer = Forwarded::NoAnswer {
            reason: "unreachable".into(),
        };
        buyer.handle(Input::Forwarded { id, answer }, 101);
        // A document of two facts queues behind it (forwarded on the next tick).
        let input = Input::Facts {
            from: orders.keys().buyer.public_key(),
            events: vec![fact(1), fact(2)],
            verified: false,
            caller: 2,
        };
        let actions = buyer.handle(input, 102);
        assert!(forwarded(&actions).is_empty(), "{actions:?}");
        assert_eq!(buyer.protocol.queue().len(), 3);

        // The retry sends all three; the sequencer refuses the document's second fact (its
        // order changed meanwhile): the document leaves the queue whole, the fact alone stays.
        let sent = forwarded(&buyer.handle(Input::Tick, 130));
        let all = vec![fact(0).hash(), fact(1).hash(), fact(2).hash()];
        assert_eq!(sent, [(sent[0].0, all)]);
        let answer = Forwarded::Refused {
            index: Some(2),
            code: "refused_by_state_machine".into(),
            message: "no rule takes it".into(),
        };
        let actions = buyer.handle(
            Input::Forwarded {
                id: sent[0].0,
                answer,
            },
            131,
        );
        let dropped: Vec<(Digest, Option<usize>)> = actions
            .iter()
            .filter_map(|action| match action {
                Action::Dequeue {
                    fact,
                    refused: Some(CoreError::ForwardRefused { index, .. }),
                } => Some((fact.hash, *index)),
                _ => None,
            })
            .collect();
        assert_eq!(
            dropped,
            [(fact(1).hash(), Some(1)), (fact(2).hash(), Some(1))],
            "each refused with the index of the refused fact in its document: {actions:?}"
        );
        let queued: Vec<Digest> = buyer.protocol.queue().iter().map(|q| q.hash).collect();
        assert_eq!(queued, [fact(0).hash()]);

        // A document is never split across forwards: a full one (64 facts) waits for the
        // next forward rather than travel partly with the fact before it.
        let sent = forwarded(&buyer.handle(Input::Tick, 160));
        let answer = Forwarded::NoAnswer {
            reason: "unreachable".into(),
        };
        buyer.handle(
            Input::Forwarded {
                id: sent[0].0,
                answer,
            },
            161,
        );
        let document: Vec<SignedEvent> = (3..3 + MAX_FORWARD as i64).map(fact).collect();
        let input = Input::Facts {
            from: orders.keys().buyer.public_key(),
            events: document,
            verified: false,
            caller: 3,
        };
        buyer.handle(input, 162);
        assert_eq!(buyer.protocol.queue().len(), 1 + MAX_FORWARD);
        let sent = forwarded(&buyer.handle(Input::Tick, 190));
        assert_eq!(sent[0].1, [fact(0).hash()]);
    }

    /// Every party's signature on the same close of `order` after entry `after_seq`, handed
    /// to the seller (the sequencer) at `now`: the seller's actions on the last one.
    fn close_signed_by_all(
        orders: &ExampleOrders,
        parties: &mut BTreeMap<&'static str, Party>,
        after_seq: u64,
        now: i64,
    ) -> Vec<Action> {
        let order = parties["seller"].protocol.core().order();
        let body = verifier::model::Close::new(order, after_seq, 1_768_000_000, "settled")
            .encode()
            .unwrap();
        let mut last = Vec::new();
        for (role, key) in orders.parties() {
            let input = Input::Sign {
                kind: Agreement::Close,
                from: key.public_key(),
                role: role.to_string(),
                body: body.clone(),
                signature: key.sign(Agreement::Close.domain(), &body),
                caller: 9,
            };
            last = parties.get_mut("seller").unwrap().handle(input, now);
        }
        last
    }

    fn fact_at(event: SignedEvent, caller: Caller) -> Input {
        Input::Fact {
            event,
            verified: false,
            caller,
        }
    }

    /// The reply to `caller` among `actions`.
    fn reply_to(actions: &[Action], caller: Caller) -> Option<&Result<Reply, CoreError>> {
        actions.iter().find_map(|action| match action {
            Action::Reply { caller: to, result } if *to == caller => Some(result),
            _ => None,
        })
    }

    fn stored(actions: &[Action]) -> bool {
        actions
            .iter()
            .any(|action| matches!(action, Action::Enqueue(_)))
    }

    /// Facts carry their attesters' signatures, so any party's node may relay them to the
    /// sequencer, but a node that is no party's is refused and nothing is kept.
    #[test]
    fn facts_are_taken_from_any_party_but_not_from_a_stranger() {
        let (orders, mut parties) = order();
        let order = parties["seller"].protocol.core().order();
        let forwarded = |from: PublicKey, caller| Input::Facts {
            from,
            events: vec![orders.fact(order, 0).unwrap()],
            verified: false,
            caller,
        };
        let stranger = SigningKey::from_seed([66; 32]).public_key();
        let seller = parties.get_mut("seller").unwrap();
        let actions = seller.handle(forwarded(stranger, 1), 100);
        assert_eq!(reply_to(&actions, 1), Some(&Err(CoreError::NotAParty)));
        assert_eq!(CoreError::NotAParty.code(), "not_a_party");
        assert!(proposals(&actions).is_empty() && !stored(&actions));
        // The carrier, a party, relays the same fact: its round starts.
        let carrier = orders.keys().carrier.public_key();
        assert_eq!(
            proposals(&seller.handle(forwarded(carrier, 2), 101)).len(),
            2
        );
    }

    /// The sender rule: a party's signature counts only when its own node hands it in, and
    /// only its own node withdraws it. A valid signature relayed by another party's node (one
    /// the named party may since have withdrawn) is refused, as is a withdrawal in another
    /// party's name; nothing of either is kept.
    #[test]
    fn a_signature_or_withdrawal_in_another_partys_name_is_refused_by_the_sender_rule() {
        let (orders, mut parties) = order();
        let order = parties["seller"].protocol.core().order();
        let body = verifier::model::Close::new(order, 0, 1_768_000_000, "settled")
            .encode()
            .unwrap();
        let keys: BTreeMap<&str, SigningKey> = orders
            .parties()
            .into_iter()
            .map(|(role, key)| (role, key.clone()))
            .collect();
        let sign = |role: &str, from: &SigningKey, caller| Input::Sign {
            kind: Agreement::Close,
            from: from.public_key(),
            role: role.into(),
            body: body.clone(),
            signature: keys[role].sign(Agreement::Close.domain(), &body),
            caller,
        };
        let (buyer, carrier) = (&keys["buyer"], &keys["carrier"]);
        // The carrier's own, valid signature, handed in by the buyer's node.
        let relayed = sign("carrier", buyer, 1);
        let seller = parties.get_mut("seller").unwrap();
        let actions = seller.handle(relayed, 100);
        let refused = CoreError::NotSender {
            role: "carrier".into(),
        };
        assert_eq!(reply_to(&actions, 1), Some(&Err(refused.clone())));
        assert_eq!(refused.code(), "not_a_party");
        assert!(seller
            .protocol
            .agreements(Agreement::Close)
            .get(&order)
            .is_none());

        // The seller and the buyer sign from their own nodes: the carrier has not signed, so
        // nothing is proposed.
        let own = [sign("seller", &keys["seller"], 2), sign("buyer", buyer, 3)];
        for input in own {
            assert!(proposals(&seller.handle(input, 101)).is_empty());
        }
        // The buyer's node withdraws in the seller's name: refused, the seller's decision stays.
        let withdrawal = Input::Withdraw {
            kind: Agreement::Close,
            from: buyer.public_key(),
            role: "seller".into(),
            caller: 4,
        };
        let actions = seller.handle(withdrawal, 102);
        assert!(matches!(
            reply_to(&actions, 4),
            Some(Err(CoreError::NotSender { role })) if role == "seller"
        ));
        let pending = seller.protocol.agreements(Agreement::Close).get(&order);
        let signed: Vec<&str> = pending
            .map(|pending| pending.decisions.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(signed, ["buyer", "seller"]);

        // The carrier's node hands in the same signature: the close is proposed.
        let actions = seller.handle(sign("carrier", carrier, 5), 103);
        assert_eq!(proposals(&actions).len(), 2, "{actions:?}");
    }

    #[test]
    fn a_party_that_signed_a_close_takes_no_new_fact_until_it_withdraws_or_the_close_lapses() {
        let (orders, mut parties) = order();
        let order = parties["seller"].protocol.core().order();
        let patience = ProtocolConfig::default().closing_patience;
        let buyer = parties.get_mut("buyer").unwrap();
        buyer.protocol.sign_close(0, 100);
        let actions = buyer.handle(fact_at(orders.fact(order, 0).unwrap(), 1), 101);
        let signed = Closing {
            after_seq: 0,
            until: Some(100 + patience),
        };
        assert_eq!(
            reply_to(&actions, 1),
            Some(&Err(CoreError::Closing {
                role: "buyer".into(),
                closing: signed
            })),
            "{actions:?}"
        );
        assert!(!stored(&actions) && buyer.protocol.queue().is_empty());

        // Withdrawn at its own node: facts are taken again (stored, then forwarded).
        let input = Input::Withdraw {
            kind: Agreement::Close,
            from: buyer.key.public_key(),
            role: "buyer".into(),
            caller: 2,
        };
        let actions = buyer.handle(input, 102);
        assert_eq!(reply_to(&actions, 2), Some(&Ok(Reply::Withdrawn(true))));
        assert!(stored(
            &buyer.handle(fact_at(orders.fact(order, 0).unwrap(), 3), 103)
        ));

        // Signed again and never withdrawn: refused while the close may still come, taken
        // once `closing_patience` passed (another party may never sign).
        buyer.protocol.sign_close(0, 200);
        let later = orders.fact(order, 1).unwrap();
        let actions = buyer.handle(fact_at(later.clone(), 4), 200 + patience - 1);
        assert!(matches!(
            reply_to(&actions, 4),
            Some(Err(CoreError::Closing { .. }))
        ));
        assert!(stored(&buyer.handle(fact_at(later, 5), 200 + patience)));
    }

    /// What `order_closing` tells the caller: who signed or cosigned the close, and each way
    /// the node takes facts again (a cosigned close is not lifted by a withdrawal).
    #[test]
    fn the_closing_refusal_names_who_signed_and_what_lifts_it() {
        let signed = Closing {
            after_seq: 3,
            until: Some(1_768_000_000),
        };
        let cosigned = Closing {
            after_seq: 3,
            until: None,
        };
        let cases: [(Closing, &[&str]); 2] = [
            (
                signed,
                &[
                    "`buyer` signed a close of the order after entry 3",
                    "once the close commits",
                    "another entry follows entry 3",
                    "withdraws its close signature (DELETE /orders/{id}/close)",
                    "at 2026-01-09T23:06:40Z",
                ],
            ),
            (
                cosigned,
                &[
                    "`buyer`'s node cosigned the sequencer's proposal to close the order after entry 3",
                    "until it holds the entry after entry 3",
                    "any party's",
                    "a cosignature cannot be withdrawn",
                ],
            ),
        ];
        for (closing, says) in cases {
            let error = CoreError::Closing {
                role: "buyer".into(),
                closing,
            };
            assert_eq!(error.code(), "order_closing");
            let message = error.to_string();
            for part in says {
                assert!(message.contains(part), "{message:?} does not say {part:?}");
            }
        }
    }

    #[test]
    fn a_cosigner_does_not_cosign_a_close_while_a_fact_it_accepted_waits() {
        let (orders, mut parties) = order();
        let order = parties["seller"].protocol.core().order();
        let seller_key = orders.keys().seller.public_key();
        // The buyer's node took a fact its sequencer has not seen (the forward is lost).
        let buyer = parties.get_mut("buyer").unwrap();
        assert!(stored(
            &buyer.handle(fact_at(orders.fact(order, 0).unwrap(), 1), 100)
        ));
        let proposed = proposals(&close_signed_by_all(&orders, &mut parties, 0, 101));
        assert_eq!(
            proposed.len(),
            2,
            "every party signed: the close is proposed"
        );
        let mut done = Vec::new();
        for one in proposed {
            done.extend(answer_all(
                &orders,
                &mut parties,
                seller_key,
                vec![one],
                102,
                103,
            ));
        }
        let refused = reply_to(&done, 9).expect("the last signer is answered");
        assert!(
            matches!(refused, Err(CoreError::Round(RoundFailure::Refused { role, code, .. }))
                if role == "buyer" && code == "facts_queued"),
            "{refused:?}"
        );
        assert!(parties["seller"].protocol.state().status.is_running());
        assert!(parties["buyer"].protocol.closing(104).is_none());
    }

    #[test]
    fn a_cosigner_that_cosigned_a_close_takes_no_fact_until_it_holds_an_entry_after_it() {
        let (orders, mut parties) = order();
        let order = parties["seller"].protocol.core().order();
        let seller_key = orders.keys().seller.public_key();
        let proposed = proposals(&close_signed_by_all(&orders, &mut parties, 0, 100));
        let proposal = |entry: &SignedEntry| Input::Proposal {
            from: seller_key,
            entry: entry.clone(),
            previous: None,
            verified: false,
        };
        let to_buyer = |proposed: &[(PublicKey, SignedEntry)]| {
            let buyer_key = orders.keys().buyer.public_key();
            proposed
                .iter()
                .find(|(to, _)| *to == buyer_key)
                .map(|(_, entry)| entry.clone())
                .unwrap()
        };
        let close = to_buyer(&proposed);

        // The buyer stores that it cosigned the close before its cosignature leaves.
        let buyer = parties.get_mut("buyer").unwrap();
        let actions = buyer.handle(proposal(&close), 101);
        assert!(
            matches!(
                &actions[..],
                [
                    Action::CosignedClose { after_seq: 0 },
                    Action::Send {
                        message: Message::Answer { .. },
                        ..
                    }
                ]
            ),
            "{actions:?}"
        );
        // However long it waits: the sequencer may have committed the close meanwhile.
        let fact = orders.fact(order, 0).unwrap();
        let actions = buyer.handle(fact_at(fact.clone(), 1), 1_000_000);
        let cosigned = Closing {
            after_seq: 0,
            until: None,
        };
        assert_eq!(
            reply_to(&actions, 1),
            Some(&Err(CoreError::Closing {
                role: "buyer".into(),
                closing: cosigned
            }))
        );
        // Nor after a restart that lost what it had in memory (the driver restores what it
        // stored), even from a store that lost entries after the close's position.
        let mut restarted = buyer.protocol.restarted();
        restarted.restore_cosigned_close(0);
        buyer.protocol = restarted;
        let actions = buyer.handle(fact_at(fact.clone(), 2), 1_000_001);
        assert!(matches!(
            reply_to(&actions, 2),
            Some(Err(CoreError::Closing { .. }))
        ));

        // The carrier does not answer: the round fails, nothing was signed by the sequencer.
        let actions = parties
            .get_mut("seller")
            .unwrap()
            .handle(Input::Tick, 100 + ProtocolConfig::default().round_patience);
        assert!(matches!(
            reply_to(&actions, 9),
            Some(Err(CoreError::Round(_)))
        ));
        // The parties sign the same close again: the same bytes are proposed, and cosigned.
        let again = proposals(&close_signed_by_all(&orders, &mut parties, 0, 200));
        assert_eq!(to_buyer(&again).body, close.body);
        let done = answer_all(&orders, &mut parties, seller_key, again, 201, 202);
        let closed = match done.first() {
            Some(Action::Persist(commit)) => commit.entry.clone(),
            other => panic!("{other:?}"),
        };
        assert!(matches!(closed.entry().unwrap().step, Step::Close(_)));
        // Its announcement reaches the buyer: the order is closed there, facts are refused as
        // such.
        let buyer = parties.get_mut("buyer").unwrap();
        let input = Input::Committed {
            from: seller_key,
            entry: closed,
            caller: None,
            verified: false,
        };
        assert!(matches!(buyer.handle(input, 203)[0], Action::Persist(_)));
        let actions = buyer.handle(fact_at(fact, 3), 204);
        assert_eq!(
            reply_to(&actions, 3).unwrap().as_ref().unwrap_err().code(),
            "order_closed"
        );
    }

    #[test]
    fn a_cosigner_takes_facts_again_once_it_cosigned_another_entry_at_the_close_s_position() {
        let (orders, mut parties) = order();
        let order = parties["seller"].protocol.core().order();
        let seller_key = orders.keys().seller.public_key();
        let proposed = proposals(&close_signed_by_all(&orders, &mut parties, 0, 100));
        for (to, entry) in proposed {
            if to == orders.keys().buyer.public_key() {
                let input = Input::Proposal {
                    from: seller_key,
                    entry,
                    previous: None,
                    verified: false,
                };
                parties.get_mut("buyer").unwrap().handle(input, 101);
            }
        }
        assert!(parties["buyer"].protocol.closing(102).is_some());
        // The close round fails (no answer from the carrier); a fact takes the position.
        parties
            .get_mut("seller")
            .unwrap()
            .handle(Input::Tick, 100 + ProtocolConfig::default().round_patience);
        let entry = committed_round(&orders, &mut parties, orders.fact(order, 0).unwrap(), 200);
        assert_eq!(entry.entry().unwrap().seq, 1);
        let buyer = parties.get_mut("buyer").unwrap();
        assert!(buyer.protocol.closing(201).is_none());
        assert!(stored(
            &buyer.handle(fact_at(orders.fact(order, 1).unwrap(), 1), 201)
        ));
    }
}
