//! A deterministic simulator of the co-signing protocol: the parties of one order (the
//! seller sequences; a buyer, a carrier and up to four more buyers and carriers cosign), each
//! running the node's protocol core
//! ([`OrderProtocol`]: the sequencer's fact queue and rounds, a cosigner's checks, commits,
//! catch-up and evidence, the signature collection of reviews and closes — the same type the
//! node's driver runs), over a network driven from one seed, after opening the order with the
//! node's `Opening` core (the genesis round, see [`opening`]). The simulator's own code is
//! only the network, the storage, the clocks, the faults and the checks.
//!
//! Faults: messages lost, duplicated, reordered and delayed; links cut and healed; nodes
//! crashing and restarting from their store, which loses the writes the driver had not waited
//! to flush (all of them or a random suffix; see [`disk`]); clocks skewed between parties and
//! attesters; optionally a sequencer that signs a second body after each commit, and a cosigner
//! (the carrier) that signs garbage, withholds its answer, signs a different body, passes a
//! forged entry to the other cosigner, signs review decisions the sequencer must refuse (one in
//! another party's name), signs forked heads and cuts its bundles to a prefix (see
//! [`exports`]). The
//! order's breaker trips (two automatic amendments in a day), the parties review (deciding,
//! replacing and withdrawing their decisions, dating them by their own clocks or by the
//! order), facts arrive while it is paused (alone, or a document's facts together, taken or
//! refused whole; at the sequencer's node, or at a cosigner's, which queues them and forwards
//! them through the same network, see [`submit`]), nodes behind catch up page by page from
//! the sequencer's node or, failing it, another party's (requests through the same network,
//! answered with the node's page function, see [`fetch`]), every node has checkpoints of its
//! log witnessed by the others' nodes through the same network (the node's `Witnessing` and
//! `Presented::judge`, a witness's memory in its store; the dishonest party cosigns garbage,
//! withholds, and shows witnesses rolled-back, forked and badly signed checkpoints, see
//! [`witnessing`]), the order may close, and a customer exports
//! bundles from any party at any moment and verifies them with the verifier library through
//! one remembered state per node's log, now and then beside the parties' signed heads.
//!
//! After every step it checks that no two parties committed different entries at one
//! position, that parties at the same position hold the same state (so the breaker counts the
//! same at each), that nobody holds a proof against an honest sequencer, that no accepted fact
//! was refused or lost (each is recorded or queued at the sequencer, or queued at the cosigner
//! that took it, across crashes of either) or recorded twice, that no honest witness cosigns a
//! rollback, a fork or a badly signed checkpoint, nor refuses an honest node's, that
//! every exported bundle carries its node's latest checkpoint and verifies, and that presented heads call a bundle STALE exactly when
//! one of them is later than its last entry. After a final heal (and the reviews the heal
//! needs), heads converge, every caller is answered, every accepted fact is recorded and none
//! is held or queued, no refused fact is recorded, every cosigner
//! shown a second body holds the proof, every honest node's latest checkpoint is cosigned by
//! every other honest party, and every party's bundle verifies. A failing run names
//! its seed, and the same seed replays it exactly. What is not simulated is listed in
//! ARCHITECTURE.md.

mod customer;
mod disk;
mod exports;
mod facts;
mod fetch;
mod opening;
mod submit;
mod witnessing;

use std::collections::{BTreeMap, BTreeSet};

use contract_lang::value::Value;
use verifier::{
    bundle::{
        build::{example_key, ExampleLog},
        Freshness,
    },
    model::{
        Agreement as AgreementBody, BreakerPolicy, Change, Close, Decision, Digest, EntryBody,
        Review, SignedContract, SignedEntry, SignedEvent, Step,
    },
    sign::{Domain, PublicKey, Signature, SigningKey},
    state::{Machine, Status},
};

use crate::engine::{records::WitnessedRecord, witness::WitnessAnswer};
use crate::{
    engine::{
        agreement::{self, Agreement},
        order::Replay,
        protocol_core::{
            Action, Caller, Commit, Context, CoreError, Forwarded, History, Input, Message,
            OrderProtocol, ProtocolConfig, Reply,
        },
        round::Answer,
    },
    fixtures::ExampleOrders,
};
use customer::Customer;
use disk::{Disk, Write};
use facts::Attesters;
use witnessing::{Checkpoints, Observer};

const SEQUENCER: &str = "seller";
/// Most parties of a simulated order.
pub const MAX_PARTIES: usize = 7;
/// The parties' roles: a run with N parties has the first N (the sequencer first).
const ROLES: [&str; MAX_PARTIES] = [
    SEQUENCER, "buyer", "carrier", "buyer2", "carrier2", "buyer3", "carrier3",
];
/// Steps a round may wait for its answers before the sequencer abandons it.
const ROUND_PATIENCE: u64 = 20;
/// Steps a party's node takes no new fact after its party signed a close or it cosigned one,
/// unless the close commits or the order moves on first (longer than a round).
const CLOSING_PATIENCE: u64 = 2 * ROUND_PATIENCE;
/// Simulated seconds per step (the true time; each party's clock is skewed from it).
const STEP_SECONDS: i64 = 60;
const START: i64 = 1_768_000_000;
/// Clock skew of a party or attester, at most this many seconds either way.
const MAX_SKEW: i64 = 6 * 3_600;

/// One simulation run's settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimConfig {
    pub seed: u64,
    pub steps: u64,
    /// The sequencer signs and sends a second, different body after each commit.
    pub byzantine_sequencer: bool,
    /// The carrier's node signs garbage, withholds answers, signs other bodies and forges.
    pub byzantine_cosigner: bool,
    /// For the simulator's own tests only: the sequencer's driver announces an entry before
    /// it is durable (breaking rule 1), which the checks must catch.
    pub sequencer_announces_unflushed: bool,
    /// For the simulator's own tests only: a cosigner's driver answers a fact it will
    /// forward before the fact is durable in its queue, which the checks must catch.
    pub cosigner_acknowledges_unflushed: bool,
    /// For the simulator's own tests only: the driver tells the core that a message came from
    /// the party it names, not from the node the transport authenticated (as a node without
    /// the sender rule would take it), which the checks must catch.
    pub driver_trusts_the_name: bool,
    /// For the simulator's own tests only: a witness's node answers with its cosignature
    /// before what it cosigned is durable, so a crash may make it forget it, which the checks
    /// must catch.
    pub witness_answers_unflushed: bool,
    /// For the simulator's own tests only: a witness judges every checkpoint as if it had
    /// cosigned nothing of its log before (no rollback, fork or consistency check), which
    /// the checks must catch.
    pub witness_skips_consistency: bool,
    /// For the simulator's own tests only: a node signs checkpoints of all its log, durable
    /// or not, so a crash may lose leaves its witnesses cosigned, which the checks must catch.
    pub checkpoint_unflushed: bool,
    /// For the simulator's own tests only: a node's driver takes a witness's request for a
    /// proof from the size it cosigned as no answer, which the checks must catch.
    pub owner_drops_from_answers: bool,
    /// Parties of the order, 2 to [`MAX_PARTIES`] (0: three, the seller, buyer and carrier);
    /// the last one is the cosigner that misbehaves in byzantine runs.
    pub parties: usize,
}

/// What a run did (all deterministic in the seed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimReport {
    pub committed: u64,
    pub facts_accepted: u64,
    /// Of those, facts a cosigner's node acknowledged (queued there and forwarded).
    pub facts_accepted_at_cosigners: u64,
    /// Facts cosigners' nodes sent to the sequencer's in forwards (retries included).
    pub facts_forwarded: u64,
    /// Forwards that failed at once, the link to the sequencer's node being cut.
    pub forwards_unreachable: u64,
    /// Facts refused because the order had closed (never accepted).
    pub facts_refused: u64,
    /// Facts (or groups) refused at a party's node while a close its party signed, or it
    /// cosigned, might commit (`order_closing`; never accepted).
    pub facts_refused_closing: u64,
    /// Groups of facts (one document's) accepted together, and refused together.
    pub groups_accepted: u64,
    pub groups_refused: u64,
    pub rounds_failed: u64,
    pub messages_lost: u64,
    pub messages_duplicated: u64,
    pub links_cut: u64,
    pub crashes: u64,
    /// Writes queued to a node's store and not flushed when it crashed.
    pub writes_lost: u64,
    pub proofs_kept: u64,
    /// Second bodies the dishonest sequencer signed.
    pub bodies_forged: u64,
    /// Garbage, withheld, wrong-body or forged answers of the dishonest cosigner.
    pub byzantine_acts: u64,
    /// Review signatures of the dishonest cosigner (in another domain, garbage, about a
    /// position the order is not at) that the sequencer refused.
    pub dishonest_reviews_refused: u64,
    /// Entries that paused the order (breaker trips and hand-overs to review).
    pub pauses: u64,
    pub reviews: u64,
    /// Facts recorded while paused and evaluated by a review.
    pub held_facts_evaluated: u64,
    pub decisions_replaced: u64,
    pub decisions_withdrawn: u64,
    /// Close signatures withdrawn (at the party's own node, which then takes facts again).
    pub closes_withdrawn: u64,
    /// Amendments by agreement applied (every party signed the same changes).
    pub agreements: u64,
    pub closes: u64,
    /// Genesis rounds the sequencer proposed (the same bytes again after a failed one).
    pub genesis_rounds: u64,
    /// Parties whose opening took the genesis from a page it fetched (its announcement lost).
    pub genesis_fetched: u64,
    /// Catch-up requests answered (with the entries asked for, or none after the head), and
    /// of those, full pages (more may follow: the core asks for the next).
    pub pages_fetched: u64,
    pub full_pages: u64,
    /// Pages served by a party other than the sequencer to a node that could not reach the
    /// sequencer's, and of those, pages that moved its head.
    pub pages_from_others: u64,
    pub caught_up_from_others: u64,
    /// Catch-up requests answered without entries (the party unreachable, or refusing).
    pub pages_failed: u64,
    pub bundles_verified: u64,
    pub rollbacks_refused: u64,
    /// Bundles verified beside the parties' signed heads (step 9), and of those (with the
    /// earlier bundles shown beside the same heads) how many were reported STALE.
    pub heads_checked: u64,
    pub stale_reported: u64,
    /// Heads the dishonest party signed naming another entry at a position a bundle holds,
    /// which the verifier refused (naming it).
    pub forked_heads_refused: u64,
    /// Bundles the dishonest party's node cut to a prefix (its head signed for the last entry
    /// kept), and of those how many the honest heads beside them showed STALE.
    pub prefixes_exported: u64,
    pub prefixes_shown_stale: u64,
    /// Messages the dishonest party sent from its own node in another party's name (review
    /// signatures, withdrawals, announcements), each refused by the sender rule.
    pub impersonations_refused: u64,
    /// Of those, the ones nothing but the sender rule refuses: another party's valid review
    /// signature relayed, and withdrawals of another party's decision.
    pub relayed_refused: u64,
    /// Checkpoints signed and witnessed (stored), of those made within an export, the
    /// cosignatures they gathered, and the checkpoints honest witnesses cosigned.
    pub checkpoints: u64,
    pub checkpoints_at_export: u64,
    pub cosignatures: u64,
    pub checkpoints_cosigned: u64,
    /// Witnesses that asked for a proof from the size they cosigned (and were asked again).
    pub proofs_asked: u64,
    /// Requests to witnesses lost, timed out, withheld or failing over a cut link.
    pub witness_requests_failed: u64,
    /// Honest witnesses' answers other than a cosignature, by code.
    pub witness_answers: BTreeMap<String, u64>,
    /// The dishonest party's garbage or withheld cosignatures, and the checkpoints it showed
    /// a witness that must not cosign them (rolled back, forked, badly signed, in another
    /// party's origin).
    pub dishonest_cosignatures: u64,
    pub dishonest_checkpoints: u64,
    /// Exported bundles whose checkpoint carried at least one cosignature.
    pub bundles_cosigned: u64,
    /// Steps taken, by kind.
    pub steps: BTreeMap<&'static str, u64>,
    /// What became of the parties' honest review signatures at the sequencer's node: taken
    /// (waiting for the others), applied (the last one), or refused, by code.
    pub review_signatures: BTreeMap<String, u64>,
}

impl SimReport {
    /// Faults injected: lost, duplicated messages, cut links, crashes and byzantine acts.
    pub fn faults(&self) -> u64 {
        self.messages_lost
            + self.messages_duplicated
            + self.links_cut
            + self.crashes
            + self.bodies_forged
            + self.byzantine_acts
    }

    /// Adds another run's counts.
    pub fn add(&mut self, other: &SimReport) {
        let SimReport {
            committed,
            facts_accepted,
            facts_accepted_at_cosigners,
            facts_forwarded,
            forwards_unreachable,
            facts_refused,
            facts_refused_closing,
            groups_accepted,
            groups_refused,
            rounds_failed,
            messages_lost,
            messages_duplicated,
            links_cut,
            crashes,
            writes_lost,
            proofs_kept,
            bodies_forged,
            byzantine_acts,
            dishonest_reviews_refused,
            pauses,
            reviews,
            held_facts_evaluated,
            decisions_replaced,
            decisions_withdrawn,
            closes_withdrawn,
            agreements,
            closes,
            genesis_rounds,
            genesis_fetched,
            pages_fetched,
            full_pages,
            pages_from_others,
            caught_up_from_others,
            pages_failed,
            bundles_verified,
            rollbacks_refused,
            heads_checked,
            stale_reported,
            forked_heads_refused,
            prefixes_exported,
            prefixes_shown_stale,
            impersonations_refused,
            relayed_refused,
            checkpoints,
            checkpoints_at_export,
            cosignatures,
            checkpoints_cosigned,
            proofs_asked,
            witness_requests_failed,
            witness_answers,
            dishonest_cosignatures,
            dishonest_checkpoints,
            bundles_cosigned,
            steps,
            review_signatures,
        } = other;
        self.committed += committed;
        self.facts_accepted += facts_accepted;
        self.facts_accepted_at_cosigners += facts_accepted_at_cosigners;
        self.facts_forwarded += facts_forwarded;
        self.forwards_unreachable += forwards_unreachable;
        self.facts_refused += facts_refused;
        self.facts_refused_closing += facts_refused_closing;
        self.groups_accepted += groups_accepted;
        self.groups_refused += groups_refused;
        self.rounds_failed += rounds_failed;
        self.messages_lost += messages_lost;
        self.messages_duplicated += messages_duplicated;
        self.links_cut += links_cut;
        self.crashes += crashes;
        self.writes_lost += writes_lost;
        self.proofs_kept += proofs_kept;
        self.bodies_forged += bodies_forged;
        self.byzantine_acts += byzantine_acts;
        self.dishonest_reviews_refused += dishonest_reviews_refused;
        self.pauses += pauses;
        self.reviews += reviews;
        self.held_facts_evaluated += held_facts_evaluated;
        self.decisions_replaced += decisions_replaced;
        self.decisions_withdrawn += decisions_withdrawn;
        self.closes_withdrawn += closes_withdrawn;
        self.agreements += agreements;
        self.closes += closes;
        self.bundles_verified += bundles_verified;
        self.rollbacks_refused += rollbacks_refused;
        self.genesis_rounds += genesis_rounds;
        self.genesis_fetched += genesis_fetched;
        self.pages_fetched += pages_fetched;
        self.full_pages += full_pages;
        self.pages_from_others += pages_from_others;
        self.caught_up_from_others += caught_up_from_others;
        self.pages_failed += pages_failed;
        self.heads_checked += heads_checked;
        self.stale_reported += stale_reported;
        self.forked_heads_refused += forked_heads_refused;
        self.prefixes_exported += prefixes_exported;
        self.prefixes_shown_stale += prefixes_shown_stale;
        self.impersonations_refused += impersonations_refused;
        self.relayed_refused += relayed_refused;
        self.checkpoints += checkpoints;
        self.checkpoints_at_export += checkpoints_at_export;
        self.cosignatures += cosignatures;
        self.checkpoints_cosigned += checkpoints_cosigned;
        self.proofs_asked += proofs_asked;
        self.witness_requests_failed += witness_requests_failed;
        self.dishonest_cosignatures += dishonest_cosignatures;
        self.dishonest_checkpoints += dishonest_checkpoints;
        self.bundles_cosigned += bundles_cosigned;
        for (outcome, count) in witness_answers {
            *self.witness_answers.entry(outcome.clone()).or_default() += count;
        }
        for (kind, count) in steps {
            *self.steps.entry(kind).or_default() += count;
        }
        for (outcome, count) in review_signatures {
            *self.review_signatures.entry(outcome.clone()).or_default() += count;
        }
    }
}

/// The counts, one line per kind, as `pactum-node simulate` prints them.
impl std::fmt::Display for SimReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "  {} genesis rounds, {} facts accepted ({} of them at cosigners' nodes, {} facts forwarded, {} forwards unable to reach the sequencer; {} refused after a close, {} while one was pending; {} groups taken together, {} refused whole), {} entries committed, {} rounds failed",
            self.genesis_rounds,
            self.facts_accepted,
            self.facts_accepted_at_cosigners,
            self.facts_forwarded,
            self.forwards_unreachable,
            self.facts_refused,
            self.facts_refused_closing,
            self.groups_accepted,
            self.groups_refused,
            self.committed,
            self.rounds_failed
        )?;
        writeln!(
            f,
            "  catch-up: {} pages answered ({} full, so the next was asked for), {} by another party while the sequencer's node was unreachable ({} of them moving the asker's head), {} requests failed or refused; {} openings took the genesis from a page",
            self.pages_fetched,
            self.full_pages,
            self.pages_from_others,
            self.caught_up_from_others,
            self.pages_failed,
            self.genesis_fetched
        )?;
        writeln!(
            f,
            "  faults injected: {} ({} messages lost, {} duplicated, {} links cut, {} crashes losing {} unflushed writes, {} second bodies signed, {} byzantine cosigner acts, {} dishonest review signatures refused)",
            self.faults(),
            self.messages_lost,
            self.messages_duplicated,
            self.links_cut,
            self.crashes,
            self.writes_lost,
            self.bodies_forged,
            self.byzantine_acts,
            self.dishonest_reviews_refused
        )?;
        writeln!(
            f,
            "  {} pauses, {} reviews evaluating {} held facts, {} decisions replaced, {} withdrawn, {} amendments by agreement, {} closes ({} close signatures withdrawn)",
            self.pauses,
            self.reviews,
            self.held_facts_evaluated,
            self.decisions_replaced,
            self.decisions_withdrawn,
            self.agreements,
            self.closes,
            self.closes_withdrawn
        )?;
        writeln!(
            f,
            "  {} bundles verified through remembered state, {} rollbacks refused, {} beside presented heads ({} STALE), {} proofs of equivocation kept",
            self.bundles_verified,
            self.rollbacks_refused,
            self.heads_checked,
            self.stale_reported,
            self.proofs_kept
        )?;
        writeln!(
            f,
            "  dishonest party: {} forked heads refused, {} bundles cut to a prefix ({} shown STALE beside honest heads), {} messages in another party's name refused by the sender rule ({} of them relayed valid signatures or withdrawals)",
            self.forked_heads_refused,
            self.prefixes_exported,
            self.prefixes_shown_stale,
            self.impersonations_refused,
            self.relayed_refused
        )?;
        writeln!(
            f,
            "  witnessing: {} checkpoints stored ({} made within an export) with {} cosignatures kept; honest witnesses cosigned {} and otherwise answered: {}; {} of their requests for a proof from the size they cosigned reached the checkpoint's node, {} requests lost, timed out or unreachable; {} bundles carried a cosigned checkpoint; dishonest party: {} garbage or withheld cosignatures, {} checkpoints shown that must not be cosigned",
            self.checkpoints,
            self.checkpoints_at_export,
            self.cosignatures,
            self.checkpoints_cosigned,
            counts(&self.witness_answers),
            self.proofs_asked,
            self.witness_requests_failed,
            self.bundles_cosigned,
            self.dishonest_cosignatures,
            self.dishonest_checkpoints
        )?;
        writeln!(
            f,
            "  review signatures: {}",
            counts(&self.review_signatures)
        )?;
        write!(f, "  steps: {}", counts(&self.steps))
    }
}

/// `name count, name count…`, largest first.
fn counts<K: std::fmt::Display>(map: &BTreeMap<K, u64>) -> String {
    let mut sorted: Vec<(&K, &u64)> = map.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(a.1));
    let shown: Vec<String> = sorted
        .iter()
        .map(|(name, count)| format!("{name} {count}"))
        .collect();
    if shown.is_empty() {
        "none".into()
    } else {
        shown.join(", ")
    }
}

/// An invariant broken, with the seed that replays it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("seed {seed}, step {step}: {what} (replay: pactum-node simulate --first-seed {seed} --seeds 1 --steps {steps}{flags})")]
pub struct Violation {
    pub seed: u64,
    pub step: u64,
    pub steps: u64,
    pub flags: String,
    pub what: String,
}

/// Why the simulator could not set up its order.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the simulated order: {0}")]
pub struct SetupError(String);

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Setup(SetupError),
    #[error(transparent)]
    Violation(Box<Violation>),
}

#[derive(Debug, Clone)]
enum Msg {
    /// A protocol message from `from`'s node (the channel authenticates the sender).
    Protocol {
        from: &'static str,
        message: Message,
    },
    /// A catch-up request from `from`'s node (its `incarnation`): at most `limit` entries
    /// after `after` (see [`fetch`]).
    Fetch {
        from: &'static str,
        incarnation: u64,
        after: u64,
        limit: u32,
    },
    /// The answer of the node of `from` to a catch-up request of the receiver's
    /// `incarnation` for the entries after `after`: the entries, or why none came.
    Page {
        from: PublicKey,
        incarnation: u64,
        after: u64,
        entries: Result<Vec<SignedEntry>, String>,
    },
    /// A signature on a review or close in the name of `role`, for the sequencer's table,
    /// from `from`'s node (the channel authenticates the sender; `dishonest`: one the
    /// sequencer must refuse).
    Sign {
        kind: Agreement,
        from: &'static str,
        role: &'static str,
        body: Vec<u8>,
        signature: Signature,
        dishonest: Option<Dishonesty>,
    },
    /// `from`'s node withdraws `role`'s review decision or close signature (honest parties
    /// withdraw their own only).
    Withdraw {
        kind: Agreement,
        from: &'static str,
        role: &'static str,
    },
    /// An entry the dishonest party sends from its own node as if the sequencer announced it
    /// (another body, its own signature and a sequencer signature copied from a committed
    /// entry): refused by the sender rule, only the sequencer announces.
    Forged {
        from: &'static str,
        entry: SignedEntry,
    },
    /// Facts a cosigner's node forwards to the sequencer's ([`Message::Forward`]) from its
    /// `incarnation`: a restart drops the request's stream, so no answer reaches a later one.
    Forward {
        from: &'static str,
        incarnation: u64,
        id: u64,
        events: Vec<SignedEvent>,
    },
    /// The sequencer's node answers a forward.
    Forwarded {
        incarnation: u64,
        id: u64,
        answer: Forwarded,
    },
    /// A checkpoint `from`'s node (its `incarnation`, request `id`) presents to the receiver's
    /// for witnessing, with a consistency proof from `from_size` (see [`witnessing`]).
    Witness {
        from: &'static str,
        incarnation: u64,
        id: u64,
        note: String,
        from_size: u64,
        proof: Vec<Digest>,
    },
    /// A witness's answer to request `id` of the receiver's `incarnation`.
    Witnessed {
        incarnation: u64,
        id: u64,
        answer: WitnessAnswer,
    },
}

/// How the dishonest party signs a review decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dishonesty {
    /// In the close domain, garbage, or about a position the order is never at.
    Signature,
    /// Sent from its own node (the transport names the real sender) in another party's name:
    /// refused by the sender rule, whatever the signature.
    InAnotherName(Impersonation),
}

/// What the dishonest party sends in another party's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Impersonation {
    /// A review decision signed with its own key.
    OwnSignature,
    /// The named party's own valid signature on a decision it showed the others (perhaps one
    /// it withdrew or replaced since): only the sender rule refuses it.
    Relayed,
    /// A withdrawal of the named party's decision (a withdrawal carries no signature): only
    /// the sender rule refuses it, and the named party's decision stays.
    Withdrawal,
    /// A committed entry, as if the sequencer announced it (see [`Msg::Forged`]).
    Announcement,
}

/// Who waits for an answer from a node: the sequencer's, unless `at` says otherwise.
#[derive(Debug, Clone)]
enum Waiting {
    /// A fact's submitter at `at`'s node: accepted once answered committed or queued.
    Fact {
        at: &'static str,
        event: SignedEvent,
    },
    /// A document's facts submitted at `at`'s node, accepted or refused together.
    Facts {
        at: &'static str,
        events: Vec<SignedEvent>,
    },
    /// A forward from `from`'s node (its `incarnation`), answered with each fact's place.
    Forward {
        from: &'static str,
        incarnation: u64,
        id: u64,
        hashes: Vec<Digest>,
    },
    /// A party signing a record; whether it replaced an earlier, different decision.
    Sign {
        kind: Agreement,
        replaced: bool,
    },
    /// The dishonest cosigner's review signature, to be refused.
    Dishonest(Dishonesty),
    Withdraw,
    /// A party withdrawing its close signature, at `at`'s node.
    WithdrawClose {
        at: &'static str,
    },
}

impl Waiting {
    /// The node whose core answers.
    fn at(&self) -> &'static str {
        match self {
            Waiting::Fact { at, .. }
            | Waiting::Facts { at, .. }
            | Waiting::WithdrawClose { at } => at,
            Waiting::Forward { .. }
            | Waiting::Sign { .. }
            | Waiting::Dishonest(_)
            | Waiting::Withdraw => SEQUENCER,
        }
    }
}

struct Node {
    role: &'static str,
    key: SigningKey,
    /// The party's clock offset from the true time, in seconds.
    skew: i64,
    /// The node's protocol core; a crash rebuilds it from what `disk` holds durably.
    protocol: OrderProtocol,
    /// What the running node reads: committed entries (index = seq), the log they are in
    /// (with other orders' leaves), the seqs it holds proofs for. All written to `disk`.
    committed: Vec<SignedEntry>,
    leaves: Vec<u64>,
    log: ExampleLog,
    evidence: Vec<u64>,
    /// The writes queued to the node's store, of which a prefix is durable.
    disk: Disk,
    /// Restarts so far (a request's answer reaches only the incarnation that asked).
    incarnation: u64,
    /// Its log's checkpoints (see [`witnessing`]).
    checkpoints: Checkpoints,
    /// As a witness: by log (`witness::memory_key`), the last checkpoint of another party's
    /// log it cosigned.
    witnessed: BTreeMap<Vec<u8>, WitnessedRecord>,
}

impl Node {
    fn head(&self) -> u64 {
        self.committed.len() as u64 - 1
    }
}

/// A node's committed entries, as the core reads them.
struct Entries<'a>(&'a [SignedEntry]);

impl History for Entries<'_> {
    fn entry_at(&self, seq: u64) -> Option<SignedEntry> {
        self.0.get(usize::try_from(seq).ok()?).cloned()
    }
}

/// Runs one simulation.
pub fn run(config: SimConfig) -> Result<SimReport, SimError> {
    let mut sim = Sim::new(config)?;
    for step in 0..config.steps {
        sim.step = step;
        sim.random_step();
        sim.checkpoint_timers();
        sim.check().map_err(|v| SimError::Violation(Box::new(v)))?;
    }
    sim.heal().map_err(|v| SimError::Violation(Box::new(v)))?;
    Ok(sim.report)
}

struct Sim {
    config: SimConfig,
    rng: u64,
    step: u64,
    /// Every party's role, the sequencer first, and the cosigners (all but the sequencer).
    parties: &'static [&'static str],
    cosigners: &'static [&'static str],
    contract: SignedContract,
    /// The contract's genesis time (the genesis entry's time, in signed heads).
    genesis_at: i64,
    /// The order's checked state machine, from which a restarting node replays its entries.
    machine: Machine,
    protocol_config: ProtocolConfig,
    nodes: BTreeMap<&'static str, Node>,
    network: Vec<(&'static str, Msg)>,
    /// Answers a node's driver gives itself (a request that could not be sent), handled once
    /// the actions at hand ran.
    local: Vec<(&'static str, Msg)>,
    /// Links cut: between the sequencer and a cosigner, or between two cosigners (see
    /// [`link`]).
    cut: BTreeSet<(&'static str, &'static str)>,
    /// Second bodies the dishonest sequencer signed, by seq.
    forged: BTreeMap<u64, SignedEntry>,
    /// Each party's latest signed decision (review, close, agreement), as the parties show
    /// them to each other: the dishonest party relays them in their signers' names.
    shown: BTreeMap<&'static str, (Agreement, Vec<u8>, Signature)>,
    /// The facts a node answered as committed or queued, with the first node that did.
    accepted: BTreeMap<Digest, &'static str>,
    /// The seq of the sequencer's entry recording each fact (a fact commits once).
    recorded: BTreeMap<Digest, u64>,
    /// Facts whose submitters were never answered (the node crashed first).
    unanswered: BTreeSet<Digest>,
    attesters: Attesters,
    orders: ExampleOrders,
    customer: Customer,
    /// Callers waiting for the sequencer's answer, by token.
    callers: BTreeMap<Caller, Waiting>,
    next_caller: Caller,
    /// During the final heal nobody misbehaves and nothing is lost.
    healing: bool,
    /// A broken invariant found while handling a message.
    broken: Option<String>,
    /// Leaves that become durable between two checkpoints of a node's log (drawn per run).
    checkpoint_batch: u64,
    /// The next request id (witnessing).
    next_request: u64,
    observer: Observer,
    report: SimReport,
}

impl Sim {
    /// The order between the run's parties, opened by the genesis round (see [`opening`]).
    fn new(config: SimConfig) -> Result<Sim, SimError> {
        let fail = |error: String| SimError::Setup(SetupError(error));
        let orders = ExampleOrders::with_clauses(&["air_freight_fallback", "force_majeure"])
            .map_err(fail)?;
        // One automatic amendment a day: the second typhoon alert on the route trips it.
        let policy = BreakerPolicy {
            max_automatic_amendments: 1,
            window_seconds: 86_400,
        };
        let count = match config.parties {
            0 => 3,
            n if (2..=MAX_PARTIES).contains(&n) => n,
            n => {
                return Err(fail(format!(
                    "{n} parties: 2 to {MAX_PARTIES} are simulated"
                )))
            }
        };
        let parties: &'static [&'static str] = &ROLES[..count];
        let keys: Vec<(&str, SigningKey)> = parties
            .iter()
            .map(|role| {
                let known = orders.parties().into_iter().find(|(name, _)| name == role);
                let key = known.map_or_else(
                    || example_key(&format!("sim party {role}")),
                    |(_, key)| key.clone(),
                );
                (*role, key)
            })
            .collect();
        let signers: Vec<(&str, &SigningKey)> =
            keys.iter().map(|(role, key)| (*role, key)).collect();
        let (signed, machine) = orders
            .contract_with_parties("PO-SIM", policy, &signers)
            .map_err(fail)?;
        let genesis_at = signed
            .contract()
            .map_err(|e| fail(e.to_string()))?
            .genesis_at;
        let mut rng = config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let protocol_config = ProtocolConfig {
            round_patience: ROUND_PATIENCE as i64 * STEP_SECONDS,
            closing_patience: CLOSING_PATIENCE as i64 * STEP_SECONDS,
            catch_up_page: 1 + (xorshift(&mut rng) % u64::from(fetch::MAX_PAGE)) as u32,
        };
        let byzantine = parties
            .last()
            .copied()
            .filter(|role| config.byzantine_cosigner && *role != SEQUENCER);
        let mut opened = opening::open(
            &mut rng,
            protocol_config,
            &signed,
            &machine,
            &signers,
            byzantine,
        )
        .map_err(|what| {
            let violation = violation_of(&config, parties.len(), 0, what);
            SimError::Violation(Box::new(violation))
        })?;
        let mut skew = || {
            let value = xorshift(&mut rng) % (2 * MAX_SKEW as u64 + 1);
            value as i64 - MAX_SKEW
        };
        let mut nodes = BTreeMap::new();
        for (role, key) in &signers {
            let (role, key) = (*role, *key);
            let entry = opened.genesis.clone();
            let mut log = ExampleLog::new(&format!("pactum.sim/{role}"), key.clone(), Vec::new());
            let leaves = log
                .append_entries(std::slice::from_ref(&entry))
                .map_err(|e| fail(e.to_string()))?;
            let protocol = opened
                .protocols
                .remove(role)
                .ok_or_else(|| fail(format!("{role} did not open the order")))?;
            let mut disk = Disk::default();
            let genesis = Write::Entry {
                entry: entry.clone(),
                dequeued: None,
            };
            disk.write(genesis, true);
            nodes.insert(
                role,
                Node {
                    role,
                    key: key.clone(),
                    skew: skew(),
                    protocol,
                    committed: vec![entry],
                    leaves,
                    log,
                    evidence: Vec::new(),
                    disk,
                    incarnation: 0,
                    checkpoints: Checkpoints::default(),
                    witnessed: BTreeMap::new(),
                },
            );
        }
        let attesters = Attesters {
            carrier: orders.keys().carrier.clone(),
            carrier_skew: skew(),
            weather: orders.keys().weather.clone(),
            weather_skew: skew(),
        };
        Ok(Sim {
            config,
            rng,
            step: 0,
            parties,
            cosigners: &parties[1..],
            contract: signed,
            genesis_at,
            machine,
            protocol_config,
            nodes,
            network: Vec::new(),
            local: Vec::new(),
            cut: BTreeSet::new(),
            forged: BTreeMap::new(),
            shown: BTreeMap::new(),
            accepted: BTreeMap::new(),
            recorded: BTreeMap::new(),
            unanswered: BTreeSet::new(),
            attesters,
            orders,
            customer: Customer::default(),
            callers: BTreeMap::new(),
            next_caller: 0,
            healing: false,
            broken: None,
            // Not drawn from `rng`: the other choices stay those of the seed.
            checkpoint_batch: 1 + xorshift(&mut (config.seed | 1))
                % witnessing::MAX_CHECKPOINT_BATCH,
            next_request: 0,
            observer: Observer::default(),
            report: SimReport {
                genesis_rounds: opened.rounds,
                genesis_fetched: opened.genesis_fetched,
                messages_lost: opened.messages_lost,
                crashes: opened.crashes,
                ..SimReport::default()
            },
        })
    }

    /// A party chosen at random.
    fn any_party(&mut self) -> &'static str {
        let parties = self.parties;
        parties[self.next(parties.len() as u64) as usize]
    }

    /// Every party but `role`.
    fn others(&self, role: &str) -> Vec<&'static str> {
        let parties = self.parties.iter().copied();
        parties.filter(|party| *party != role).collect()
    }

    /// A cosigner chosen at random.
    fn any_cosigner(&mut self) -> &'static str {
        let cosigners = self.cosigners;
        cosigners[self.next(cosigners.len() as u64) as usize]
    }

    /// The only source of choices.
    fn next(&mut self, below: u64) -> u64 {
        xorshift(&mut self.rng) % below.max(1)
    }

    /// The true time now.
    fn now(&self) -> i64 {
        START.saturating_add((self.step as i64).saturating_mul(STEP_SECONDS))
    }

    /// One step of a kind drawn at random; counted by kind in the report.
    fn random_step(&mut self) {
        let kind = match self.next(100) {
            0..=44 => {
                // A burst of deliveries, scaled to the parties (a round needs two messages
                // per cosigner): with one message a step, rounds of five or seven parties
                // almost never finished before their deadline, so their orders paused and
                // reviewed only in the final heal.
                let burst = 1 + self.next(2 * self.parties.len() as u64);
                for _ in 0..burst {
                    self.deliver_random();
                }
                "deliver messages"
            }
            45..=52 => {
                self.accept_fact();
                "submit a fact"
            }
            53..=62 => {
                self.sequencer_tick();
                "tick the sequencer"
            }
            63..=68 => {
                let role = self.any_cosigner();
                self.fetch(role);
                "tick a cosigner"
            }
            69..=71 => {
                // The parties meet and each signs a decision.
                for &role in self.parties {
                    let _ = self.decide_review(role);
                }
                "parties meet to review"
            }
            72..=73 => {
                // One party decides (again: replacing its decision), and may think better
                // of it.
                let role = self.any_party();
                if self.decide_review(role) && self.next(2) == 0 {
                    self.withdraw_review(role);
                }
                "a party decides"
            }
            74..=75 => {
                let role = self.any_party();
                self.withdraw_review(role);
                // And its close signature, if it signed one that may still commit.
                self.withdraw_close(role);
                "a party withdraws"
            }
            76 if self.step >= self.config.steps / 3 => {
                self.close();
                "parties close"
            }
            77..=79 => {
                let role = self.any_party();
                self.export(role);
                "export a bundle"
            }
            80..=84 => {
                // A link is cut now and then, and heals after a while.
                let role = self.any_cosigner();
                self.cut_or_heal(role, SEQUENCER);
                "cut or heal a link"
            }
            85 => {
                self.crash(SEQUENCER);
                "crash the sequencer"
            }
            86 => {
                let role = self.any_cosigner();
                self.crash(role);
                "crash a cosigner"
            }
            87..=88 => {
                self.agree();
                "parties agree an amendment"
            }
            89 => {
                // Between two cosigners: a node that cannot reach the sequencer's may not
                // reach another party's either, and catches up from the next one.
                let (a, b) = (self.any_cosigner(), self.any_cosigner());
                if a != b {
                    self.cut_or_heal(a, b);
                }
                "cut or heal a link between cosigners"
            }
            90..=91 => {
                // The node logs an entry of another order it runs: one it sequences is
                // flushed before it is announced, one it cosigns is not waited for.
                let role = self.any_party();
                let sequenced = self.next(2) == 0;
                let data = format!("other order, step {}", self.step).into_bytes();
                if let Some(node) = self.nodes.get_mut(role) {
                    if node.log.append_other(&data).is_ok() {
                        node.disk.write(Write::Other(data), sequenced);
                    }
                }
                "log another order's entry"
            }
            92..=95 => {
                // A node's store committer finishes a group: its writes are durable.
                let role = self.any_party();
                if let Some(node) = self.nodes.get_mut(role) {
                    node.disk.flush();
                }
                "flush a store"
            }
            _ => "nothing",
        };
        *self.report.steps.entry(kind).or_default() += 1;
    }

    /// Heals the link between `a` and `b` if it is cut, else cuts it one time in four.
    fn cut_or_heal(&mut self, a: &'static str, b: &'static str) {
        let cutting = self.next(4) == 0;
        let link = link(a, b);
        if !self.cut.remove(&link) && cutting {
            self.cut.insert(link);
            self.report.links_cut += 1;
        }
    }

    fn linked(&self, a: &'static str, b: &'static str) -> bool {
        self.healing || !self.cut.contains(&link(a, b))
    }

    fn send(&mut self, from: &'static str, to: &'static str, msg: Msg) {
        if from == to {
            self.handle(to, msg);
        } else if self.linked(from, to) {
            self.network.push((to, msg));
        } else {
            self.report.messages_lost += 1;
        }
    }

    fn deliver_random(&mut self) {
        if self.network.is_empty() {
            return;
        }
        let index = self.next(self.network.len() as u64) as usize;
        let (to, msg) = match self.next(100) {
            0..=9 => {
                self.network.swap_remove(index);
                self.report.messages_lost += 1;
                return;
            }
            // Duplicated: delivered and still in flight.
            10..=14 => {
                self.report.messages_duplicated += 1;
                self.network[index].clone()
            }
            _ => self.network.swap_remove(index),
        };
        self.handle(to, msg);
    }

    /// A new caller token for `waiting`.
    fn caller(&mut self, waiting: Waiting) -> Caller {
        let caller = self.next_caller;
        self.next_caller += 1;
        self.callers.insert(caller, waiting);
        caller
    }

    /// The party key of `role`'s node: what the transport authenticates a message from it as.
    fn key_of(&self, role: &str) -> Option<PublicKey> {
        self.nodes.get(role).map(|node| node.key.public_key())
    }

    /// The sender the driver tells the core of a message from `from`'s node in `named`'s
    /// name: `from`'s key, which the transport authenticated (`named`'s with the sender rule
    /// switched off, [`SimConfig::driver_trusts_the_name`]).
    fn sender(&self, from: &str, named: &str) -> Option<PublicKey> {
        self.key_of(if self.config.driver_trusts_the_name {
            named
        } else {
            from
        })
    }

    /// `role`'s clock now.
    fn clock(&self, role: &str) -> i64 {
        let skew = self.nodes.get(role).map_or(0, |node| node.skew);
        self.now().saturating_add(skew)
    }

    /// Hands `input` to `role`'s core at its clock's time and carries out what it returns.
    fn drive(&mut self, role: &'static str, input: Input) {
        let now = self.clock(role);
        self.drive_at(role, input, now);
    }

    fn drive_at(&mut self, role: &'static str, input: Input, now: i64) {
        let Some(node) = self.nodes.get_mut(role) else {
            return;
        };
        let round = node.protocol.round_deadline();
        let status = node.protocol.state().status.clone();
        let Node {
            protocol,
            committed,
            key,
            ..
        } = node;
        let context = Context {
            now,
            signer: &*key,
            history: &Entries(committed.as_slice()),
        };
        let actions = protocol.handle(input, &context);
        let committed = actions.iter().any(|a| matches!(a, Action::Persist(_)));
        if round.is_some() && !committed && node.protocol.round_deadline() != round {
            self.report.rounds_failed += 1;
        }
        let with_entries = dequeued_with_entries(&actions);
        for action in actions {
            self.execute(role, action, &status, &with_entries);
        }
        // What the driver learns of its own requests (a failed dial), once these actions ran.
        let local = std::mem::take(&mut self.local);
        for (to, msg) in local {
            self.handle(to, msg);
        }
    }

    /// Carries out one action of `role`'s core (`before`: the order's status before the input;
    /// `with_entries`: queued facts whose entries commit in the same pass, by hash, removed
    /// from the queue in their entries' batches).
    fn execute(
        &mut self,
        role: &'static str,
        action: Action,
        before: &Status,
        with_entries: &BTreeMap<Digest, u64>,
    ) {
        match action {
            Action::Send {
                message: Message::Forward { id, events },
                ..
            } => self.forward(role, id, events),
            Action::Send { to, message } => {
                if let Some(to) = self.role_of(&to) {
                    self.send(
                        role,
                        to,
                        Msg::Protocol {
                            from: role,
                            message,
                        },
                    );
                }
            }
            Action::Persist(commit) => {
                let dequeued = commit
                    .event
                    .and_then(|event| with_entries.get(&event).copied());
                self.persist(role, *commit, before, dequeued)
            }
            Action::Dequeue {
                fact,
                refused: Some(error),
            } => {
                if role == SEQUENCER || self.accepted.contains_key(&fact.hash) {
                    // An accepted fact refused when proposed or forwarded: it would be lost.
                    self.broken = Some(format!(
                        "a fact accepted at {}'s node was refused at {role}'s: {error}",
                        self.accepted.get(&fact.hash).copied().unwrap_or(role)
                    ));
                }
                self.write(role, Write::Dequeue(fact.index), true);
            }
            // Stored and flushed before the reply that follows (the driver waits for both).
            Action::Enqueue(facts) => {
                let flush = role == SEQUENCER || !self.config.cosigner_acknowledges_unflushed;
                self.write(role, Write::Enqueue(facts), flush)
            }
            // Removed in its entry's batch, or alone (flushed).
            Action::Dequeue { fact, .. } if with_entries.contains_key(&fact.hash) => {}
            Action::Dequeue { fact, .. } => self.write(role, Write::Dequeue(fact.index), true),
            Action::Reply { caller, result } => self.on_reply(caller, result),
            Action::Evidence(proof) => {
                if let (Some(node), Ok(found)) = (self.nodes.get_mut(role), proof.check()) {
                    if keep(node, found.seq, &mut self.report) {
                        node.disk.write(Write::Evidence(found.seq), true);
                    }
                }
            }
            Action::Fault { .. } => {}
            Action::Fetch { from, after, limit } => self.request_page(role, from, after, limit),
            // Only an opening asks for its genesis.
            Action::FetchGenesis { .. } => {}
            // The simulator ticks the sequencer now and then; `settle` forces deadlines.
            Action::SetTimer { .. } => {}
            // Flushed before the cosignature that follows leaves.
            Action::CosignedClose { after_seq } => {
                self.write(role, Write::CosignedClose(after_seq), true)
            }
        }
    }

    fn role_of(&self, key: &PublicKey) -> Option<&'static str> {
        self.nodes
            .values()
            .find(|node| node.key.public_key() == *key)
            .map(|node| node.role)
    }

    /// Writes a committed entry at `role` (durably, with its log leaf, in the model); at the
    /// sequencer, counts what it did and (dishonest) signs a second body there.
    fn persist(
        &mut self,
        role: &'static str,
        commit: Commit,
        before: &Status,
        dequeued: Option<u64>,
    ) {
        let Some(node) = self.nodes.get_mut(role) else {
            return;
        };
        if commit.body.seq != node.head() + 1 {
            self.broken = Some(format!(
                "{role}'s core committed entry {} on top of entry {}",
                commit.body.seq,
                node.head()
            ));
            return;
        }
        match node.log.append_entries(std::slice::from_ref(&commit.entry)) {
            Ok(leaves) => node.leaves.extend(leaves),
            Err(error) => {
                self.broken = Some(format!("{role}'s log refused an entry: {error}"));
                return;
            }
        }
        node.committed.push(commit.entry.clone());
        // Rule 1: an entry the sequencer signed is durable before it is announced; a
        // cosigner's commit is flushed later, in the background.
        let flushed = commit.sequenced && !self.config.sequencer_announces_unflushed;
        let write = Write::Entry {
            entry: commit.entry.clone(),
            dequeued,
        };
        node.disk.write(write, flushed);
        if commit.sequenced {
            if let Some(event) = commit.event {
                let seq = commit.body.seq;
                match self.recorded.insert(event, seq) {
                    Some(earlier) if earlier != seq => {
                        self.broken = Some(format!(
                            "the fact {event} committed twice, at seq {earlier} and {seq}"
                        ));
                    }
                    _ => {}
                }
            }
            count_entry(
                &mut self.report,
                before,
                &node.protocol.state().status,
                &commit.body,
            );
            self.report.committed += 1;
            if self.config.byzantine_sequencer && !self.healing {
                self.forge(commit.body.seq, &commit.entry);
            }
        }
    }

    /// The sequencer's node answers a caller.
    fn on_reply(&mut self, caller: Caller, result: Result<Reply, CoreError>) {
        let Some(waiting) = self.callers.remove(&caller) else {
            return;
        };
        match (waiting, result) {
            (waiting @ (Waiting::Fact { .. } | Waiting::Facts { .. }), result) => {
                self.on_fact_reply(waiting, result)
            }
            (
                Waiting::Forward {
                    from,
                    incarnation,
                    id,
                    hashes,
                },
                result,
            ) => self.answer_forward(from, incarnation, id, &hashes, result),
            (Waiting::Dishonest(how), Ok(reply)) => {
                self.broken = Some(format!(
                    "a node took a dishonest message ({how:?}): {reply:?}"
                ));
            }
            (Waiting::Dishonest(Dishonesty::Signature), Err(_)) => {
                self.report.dishonest_reviews_refused += 1;
            }
            (Waiting::Dishonest(Dishonesty::InAnotherName(how)), Err(error)) => {
                // The sender rule: what names a party (a decision, a withdrawal) counts only
                // from its own node; only the sequencer announces.
                let by_sender =
                    matches!(error, CoreError::NotSender { .. } | CoreError::NotSequencer);
                if !by_sender {
                    self.broken = Some(format!(
                        "a dishonest message ({:?}) was refused, but not by the sender rule: {error}",
                        Dishonesty::InAnotherName(how)
                    ));
                    return;
                }
                self.report.impersonations_refused += 1;
                if matches!(how, Impersonation::OwnSignature | Impersonation::Relayed) {
                    self.report.dishonest_reviews_refused += 1;
                }
                if matches!(how, Impersonation::Relayed | Impersonation::Withdrawal) {
                    self.report.relayed_refused += 1;
                }
            }
            (Waiting::Sign { kind, replaced }, result) => {
                if kind == Agreement::Review {
                    let outcome = match &result {
                        Ok(Reply::Signed) if replaced => "taken, replacing".into(),
                        Ok(Reply::Signed) => "taken".into(),
                        Ok(_) => "applied".into(),
                        // Refused (stale, paused...): the party may sign again.
                        Err(error) => error.code(),
                    };
                    *self.report.review_signatures.entry(outcome).or_default() += 1;
                }
                if replaced && matches!(result, Ok(Reply::Signed)) {
                    self.report.decisions_replaced += 1;
                }
            }
            (Waiting::WithdrawClose { at }, result) => {
                if at != SEQUENCER && result == Ok(Reply::Withdrawn(true)) {
                    self.report.closes_withdrawn += 1;
                }
            }
            (Waiting::Withdraw, result) => {
                let outcome = match result {
                    Ok(Reply::Withdrawn(true)) => {
                        self.report.decisions_withdrawn += 1;
                        "withdrawn"
                    }
                    Ok(_) => "withdrawal of nothing",
                    Err(_) => "withdrawal refused",
                };
                *self
                    .report
                    .review_signatures
                    .entry(outcome.into())
                    .or_default() += 1;
            }
        }
    }

    /// The sequencer's core gives up a round past its deadline, handles what waited, or
    /// proposes its oldest queued fact.
    fn sequencer_tick(&mut self) {
        self.drive(SEQUENCER, Input::Tick);
    }

    /// `role`'s node ticks its core: it forwards the facts it queued and catches up the
    /// entries after its head, page by page (see [`fetch`]).
    fn fetch(&mut self, role: &'static str) {
        self.drive(role, Input::Tick);
    }

    /// Queues `write` to `role`'s store (`flush`: the driver waits until it is durable).
    fn write(&mut self, role: &'static str, write: Write, flush: bool) {
        if let Some(node) = self.nodes.get_mut(role) {
            node.disk.write(write, flush);
        }
    }

    /// A crash loses what was only in memory and the writes not yet flushed (all of them, or
    /// a random suffix); the node restarts from what its store holds.
    fn crash(&mut self, role: &'static str) {
        let unflushed = self.nodes.get(role).map_or(0, |node| node.disk.unflushed());
        let kept = if self.next(2) == 0 {
            0
        } else {
            self.next(unflushed as u64 + 1) as usize
        };
        if let Some(node) = self.nodes.get_mut(role) {
            self.report.writes_lost += node.disk.crash(kept) as u64;
            node.incarnation += 1;
        }
        if let Err(error) = self.restart(role) {
            self.broken = Some(format!(
                "{role}'s node cannot restart from its store: {error}"
            ));
        }
        // Nobody will answer the callers that waited at that node.
        let dropped: Vec<Caller> = self
            .callers
            .iter()
            .filter(|(_, waiting)| waiting.at() == role)
            .map(|(caller, _)| *caller)
            .collect();
        for caller in dropped {
            match self.callers.remove(&caller) {
                Some(Waiting::Fact { event, .. }) => {
                    self.unanswered.insert(event.hash());
                }
                Some(Waiting::Facts { events, .. }) => {
                    self.unanswered.extend(events.iter().map(SignedEvent::hash));
                }
                _ => {}
            }
        }
        self.network.retain(|(to, _)| *to != role);
        self.report.crashes += 1;
    }

    /// Rebuilds `role`'s node from its store, as the node reloads an order at start: the
    /// entries replayed through the order's state machine from the genesis, the log with the
    /// leaves it holds, the queue and the proofs.
    fn restart(&mut self, role: &'static str) -> Result<(), String> {
        let Some(node) = self.nodes.get_mut(role) else {
            return Ok(());
        };
        let durable = node.disk.durable();
        let mut replay = Replay::new(self.machine.clone()).map_err(|e| e.to_string())?;
        let mut log = ExampleLog::new(&node.log.origin, node.key.clone(), Vec::new());
        let mut committed: Vec<SignedEntry> = Vec::new();
        let mut leaves = Vec::new();
        let mut evidence = Vec::new();
        for write in durable.writes {
            match write {
                Write::Entry { entry, .. } => {
                    replay.entry(entry)?;
                    let slice = std::slice::from_ref(entry);
                    leaves.extend(log.append_entries(slice).map_err(|e| e.to_string())?);
                    committed.push(entry.clone());
                }
                Write::Other(data) => {
                    log.append_other(data).map_err(|e| e.to_string())?;
                }
                Write::Evidence(seq) => evidence.push(*seq),
                Write::Enqueue(_)
                | Write::Dequeue(_)
                | Write::CosignedClose(_)
                | Write::Checkpoint { .. }
                | Write::Witnessed { .. } => {}
            }
        }
        // `CheckpointState::check_against`: the log still has the root this node signed for
        // its latest checkpoint.
        if let Some((size, note)) = &durable.latest {
            let root = verifier::checkpoint::SignedNote::parse(note)
                .and_then(|note| verifier::checkpoint::Checkpoint::parse(note.text()))
                .map(|checkpoint| *checkpoint.root())
                .map_err(|e| e.to_string())?;
            if log.log.root_at(*size).ok() != Some(root) {
                return Err(format!(
                    "the log's root at {size} does not match the last checkpoint this node signed"
                ));
            }
        }
        let (core, last, seen) = replay.finish().ok_or("no genesis entry")?;
        let mut protocol = OrderProtocol::new(
            self.protocol_config,
            self.contract.clone(),
            core,
            &node.key.public_key(),
            last,
            seen,
            durable.queue.into(),
        )
        .ok_or("not a party")?;
        if let Some(after_seq) = durable.cosigned_close {
            protocol.restore_cosigned_close(after_seq);
        }
        node.protocol = protocol;
        node.committed = committed;
        node.leaves = leaves;
        node.log = log;
        node.evidence = evidence;
        node.checkpoints = Checkpoints::restored(durable.latest);
        node.witnessed = durable.witnessed;
        Ok(())
    }

    /// `role`'s people decide on the pause their node shows: usually the decision the
    /// parties discussed (approve after a trip, discard otherwise) dated by the order, now and
    /// then another decision or their own clock's time (which the others must match, so
    /// someone replaces theirs).
    /// Whether it signed.
    fn decide_review(&mut self, role: &'static str) -> bool {
        let now = self.now();
        let (agreed_decision, other_decision, own_time, dated_by_clock) = {
            let Some(node) = self.nodes.get(role) else {
                return false;
            };
            let state = node.protocol.state();
            let agreed = match &state.status {
                Status::Tripped { .. } if state.seq % 2 == 0 => Decision::Approve,
                Status::Tripped { .. } | Status::InReview { .. } => Decision::Discard,
                _ => return false,
            };
            let own = now.saturating_add(node.skew).max(state.high_water);
            (agreed, Decision::Approve, own, state.high_water)
        };
        let decision = if self.next(10) < 8 {
            agreed_decision
        } else {
            other_decision
        };
        let at = if self.next(10) < 7 {
            dated_by_clock
        } else {
            own_time
        };
        if self.misbehaves(role) {
            self.dishonest_review(role, at, decision);
            return true;
        }
        self.sign_record(role, Agreement::Review, |order, seq| {
            Review::new(order, seq, at, decision, "reviewed in the simulator").encode()
        });
        true
    }

    /// The dishonest cosigner's review: the review's bytes signed in the close domain, a
    /// garbage signature, a decision about a position the order will never be at; or, sent
    /// from its own node in another party's name, a decision signed with its own key, that
    /// party's own signed decision relayed (the last one it showed the others), or a
    /// withdrawal of that party's decision. The sequencer must refuse each (the ones in
    /// another party's name by the sender rule) and keep the named party's own decision.
    fn dishonest_review(&mut self, role: &'static str, at: i64, decision: Decision) {
        let act = self.next(6);
        let garbage = self.garbage_signature();
        let others = self.others(role);
        let named = others[self.next(others.len() as u64) as usize];
        let in_their_name = |how| Some(Dishonesty::InAnotherName(how));
        if act == 5 {
            let kind = Agreement::Review;
            let msg = Msg::Withdraw {
                kind,
                from: role,
                role: named,
            };
            self.send(role, SEQUENCER, msg);
            return;
        }
        if let (4, Some((kind, body, signature))) = (act, self.shown.get(named).cloned()) {
            let msg = Msg::Sign {
                kind,
                from: role,
                role: named,
                body,
                signature,
                dishonest: in_their_name(Impersonation::Relayed),
            };
            self.send(role, SEQUENCER, msg);
            return;
        }
        let Some(node) = self.nodes.get(role) else {
            return;
        };
        let about = match act {
            2 => u64::MAX / 2,
            _ => node.head(),
        };
        let order = node.protocol.core().order();
        let Ok(body) = Review::new(order, about, at, decision, "reviewed dishonestly").encode()
        else {
            return;
        };
        let signature = match act {
            0 => node.key.sign(Domain::Close, &body),
            1 => garbage,
            _ => node.key.sign(Domain::Review, &body),
        };
        // In another party's name, its own signature (or nothing shown to relay yet).
        let (named, dishonest) = match act {
            0..=2 => (role, Some(Dishonesty::Signature)),
            _ => (named, in_their_name(Impersonation::OwnSignature)),
        };
        let msg = Msg::Sign {
            kind: Agreement::Review,
            from: role,
            role: named,
            body,
            signature,
            dishonest,
        };
        self.send(role, SEQUENCER, msg);
    }

    /// 64 random bytes as a signature.
    fn garbage_signature(&mut self) -> Signature {
        let mut garbage = [0u8; 64];
        for chunk in garbage.chunks_mut(8) {
            chunk.copy_from_slice(&xorshift(&mut self.rng).to_le_bytes());
        }
        Signature::from_bytes(garbage)
    }

    /// Every party signs the same amendment by agreement at its own head, dated by the order:
    /// the delivery date moves a day later (refused while paused or with facts queued; a
    /// party behind signs about an earlier entry, and the parties sign again later).
    fn agree(&mut self) {
        let due = self.nodes.get(SEQUENCER).and_then(|node| {
            match node.protocol.state().lang.terms.get("delivery_due") {
                Some(Value::Timestamp(due)) => due.checked_add(86_400),
                _ => None,
            }
        });
        let Some(due) = due else { return };
        for &role in self.parties {
            let at = self
                .nodes
                .get(role)
                .map_or(START, |node| node.protocol.state().high_water);
            let changes = vec![Change::SetTerm {
                term: "delivery_due".into(),
                value: Value::Timestamp(due),
            }];
            self.sign_record(role, Agreement::Amendment, |order, seq| {
                AgreementBody::new(order, seq, at, changes, "a day later").encode()
            });
        }
    }

    /// Every party signs a close of the order at its own head, dated by the order.
    fn close(&mut self) {
        for &role in self.parties {
            let at = self
                .nodes
                .get(role)
                .map_or(START, |node| node.protocol.state().high_water);
            self.sign_record(role, Agreement::Close, |order, seq| {
                Close::new(order, seq, at, "settled").encode()
            });
        }
    }

    /// `role` signs the record `make` builds about its node's head and sends the signature to
    /// the sequencer's node.
    fn sign_record(
        &mut self,
        role: &'static str,
        kind: Agreement,
        make: impl FnOnce(verifier::model::OrderId, u64) -> Result<Vec<u8>, verifier::model::ModelError>,
    ) {
        let Some(node) = self.nodes.get(role) else {
            return;
        };
        // The party's node checks first, as its API does (a close or an agreement is not
        // signed while a fact it accepted waits to commit).
        let core = node.protocol.core();
        if agreement::check_open(kind, core, node.protocol.queue().len()).is_err() {
            return;
        }
        let head = node.head();
        let Ok(body) = make(core.order(), head) else {
            return;
        };
        let signature = node.key.sign(kind.domain(), &body);
        if kind == Agreement::Close {
            // As the node's API does before the signature leaves: no new fact meanwhile.
            let now = self.clock(role);
            if let Some(node) = self.nodes.get_mut(role) {
                node.protocol.sign_close(head, now);
            }
        }
        self.shown.insert(role, (kind, body.clone(), signature));
        let msg = Msg::Sign {
            kind,
            from: role,
            role,
            body,
            signature,
            dishonest: None,
        };
        self.send(role, SEQUENCER, msg);
    }

    fn withdraw_review(&mut self, role: &'static str) {
        let kind = Agreement::Review;
        let msg = Msg::Withdraw {
            kind,
            from: role,
            role,
        };
        self.send(role, SEQUENCER, msg);
    }

    /// `role` withdraws the close it signed, if its node still keeps facts out for it: at its
    /// own node (which takes facts again), then at the sequencer's table.
    fn withdraw_close(&mut self, role: &'static str) {
        let now = self.clock(role);
        let signed = self.nodes.get(role).is_some_and(|node| {
            let closing = node.protocol.closing(now);
            closing.is_some_and(|closing| closing.until.is_some())
        });
        if !signed {
            return;
        }
        let caller = self.caller(Waiting::WithdrawClose { at: role });
        let Some(own) = self.key_of(role) else {
            return;
        };
        let input = Input::Withdraw {
            kind: Agreement::Close,
            from: own,
            role: role.to_string(),
            caller,
        };
        self.drive(role, input);
        if role != SEQUENCER {
            let kind = Agreement::Close;
            let msg = Msg::Withdraw {
                kind,
                from: role,
                role,
            };
            self.send(role, SEQUENCER, msg);
        }
    }

    fn handle(&mut self, to: &'static str, msg: Msg) {
        match msg {
            Msg::Protocol { from, message } => self.on_message(to, from, message),
            Msg::Fetch {
                from,
                incarnation,
                after,
                limit,
            } => self.on_fetch(to, from, incarnation, after, limit),
            Msg::Page {
                from,
                incarnation,
                after,
                entries,
            } => self.on_page(to, from, incarnation, after, entries),
            Msg::Sign {
                kind,
                from,
                role,
                body,
                signature,
                dishonest,
            } => self.on_sign(kind, (from, role), body, signature, dishonest),
            Msg::Withdraw { kind, from, role } => {
                let Some(sender) = self.sender(from, role) else {
                    return;
                };
                let waiting = match kind {
                    _ if from != role => {
                        Waiting::Dishonest(Dishonesty::InAnotherName(Impersonation::Withdrawal))
                    }
                    Agreement::Close => Waiting::WithdrawClose { at: SEQUENCER },
                    _ => Waiting::Withdraw,
                };
                let caller = self.caller(waiting);
                let input = Input::Withdraw {
                    kind,
                    from: sender,
                    role: role.to_string(),
                    caller,
                };
                self.drive(SEQUENCER, input);
            }
            Msg::Forged { from, entry } => {
                let Some(sender) = self.sender(from, SEQUENCER) else {
                    return;
                };
                let how = Dishonesty::InAnotherName(Impersonation::Announcement);
                let caller = self.caller(Waiting::Dishonest(how));
                let input = Input::Committed {
                    from: sender,
                    entry,
                    caller: Some(caller),
                    verified: false,
                };
                self.drive(to, input);
            }
            Msg::Forward {
                from,
                incarnation,
                id,
                events,
            } => self.on_forward(from, incarnation, id, events),
            Msg::Forwarded {
                incarnation,
                id,
                answer,
            } => self.on_forwarded(to, incarnation, id, answer),
            Msg::Witness {
                from,
                incarnation,
                id,
                note,
                from_size,
                proof,
            } => self.on_witness(to, from, (incarnation, id), &note, from_size, &proof),
            Msg::Witnessed {
                incarnation,
                id,
                answer,
            } => self.on_witness_answer(to, incarnation, id, answer),
        }
    }

    /// A protocol message reaches `to`'s core, except a proposal the dishonest cosigner
    /// answers its own way.
    fn on_message(&mut self, to: &'static str, from: &'static str, message: Message) {
        let Some(from_key) = self.key_of(from) else {
            return;
        };
        if let Message::Propose { entry, .. } = &message {
            if self.misbehaves(to) {
                self.byzantine_answer(to, entry.clone());
                return;
            }
        }
        if let Some(input) = input_of(from_key, message) {
            self.drive(to, input);
        }
    }

    /// A signature in `role`'s name from `from`'s node reaches the sequencer's node; its
    /// core decides (the sender rule, then its table).
    fn on_sign(
        &mut self,
        kind: Agreement,
        (from, role): (&'static str, &'static str),
        body: Vec<u8>,
        signature: Signature,
        dishonest: Option<Dishonesty>,
    ) {
        let (Some(node), Some(sender)) = (self.nodes.get(SEQUENCER), self.sender(from, role))
        else {
            return;
        };
        let order = node.protocol.core().order();
        let replaced = node
            .protocol
            .agreements(kind)
            .get(&order)
            .and_then(|pending| pending.decisions.get(role))
            .is_some_and(|(earlier, _)| *earlier != body);
        let caller = self.caller(match dishonest {
            Some(how) => Waiting::Dishonest(how),
            None => Waiting::Sign { kind, replaced },
        });
        let input = Input::Sign {
            kind,
            from: sender,
            role: role.to_string(),
            body,
            signature,
            caller,
        };
        self.drive(SEQUENCER, input);
    }

    /// The dishonest cosigner misbehaves on this proposal (one time in three).
    fn misbehaves(&mut self, role: &str) -> bool {
        self.config.byzantine_cosigner
            && !self.healing
            && Some(&role) == self.parties.last()
            && self.next(3) == 0
    }

    /// The dishonest cosigner's answer: garbage, nothing, a signature over another body, or
    /// a forged "committed" entry passed to the other cosigner to frame the sequencer.
    fn byzantine_answer(&mut self, from: &'static str, entry: SignedEntry) {
        self.report.byzantine_acts += 1;
        let Some(key) = self.nodes.get(from).map(|node| node.key.clone()) else {
            return;
        };
        let body = entry.hash();
        let mut other = entry.body.clone();
        if let Some(byte) = other.last_mut() {
            *byte ^= 1;
        }
        let signature = match self.next(4) {
            0 => self.garbage_signature(),
            1 => return,
            2 => key.sign(Domain::Entry, &other),
            _ => {
                // Another body, with its own signature and the sequencer's signature taken
                // from the last committed entry, shown to the buyer as if the sequencer
                // announced it: no proof may come of it.
                let mut forged = SignedEntry::unsigned(other);
                forged.sign(from, &key);
                let copied = self
                    .nodes
                    .get(from)
                    .and_then(|node| node.committed.last())
                    .and_then(|last| last.signatures.get(SEQUENCER).copied());
                if let Some(copied) = copied {
                    forged.signatures.insert(SEQUENCER.to_string(), copied);
                }
                // Sent from its own node: the transport names it, not the sequencer.
                if let Some(other) = self.cosigners.iter().find(|role| **role != from) {
                    let msg = Msg::Forged {
                        from,
                        entry: forged,
                    };
                    self.network.push((other, msg));
                }
                return;
            }
        };
        let answer = Answer::Cosigned {
            signature,
            valid: true,
        };
        let message = Message::Answer { body, answer };
        self.send(from, SEQUENCER, Msg::Protocol { from, message });
    }

    /// The dishonest sequencer signs a second body at `seq` and shows it to one cosigner.
    fn forge(&mut self, seq: u64, entry: &SignedEntry) {
        let Ok(mut body) = entry.entry() else { return };
        body.state.0[0] ^= 1;
        let Ok(bytes) = body.encode() else { return };
        let mut forged = SignedEntry::unsigned(bytes);
        if let Some(node) = self.nodes.get(SEQUENCER) {
            forged.sign(SEQUENCER, &node.key);
        }
        self.forged.insert(seq, forged.clone());
        self.report.bodies_forged += 1;
        let role = self.any_cosigner();
        let message = Message::Commit(forged);
        self.send(
            SEQUENCER,
            role,
            Msg::Protocol {
                from: SEQUENCER,
                message,
            },
        );
    }

    fn violation(&self, what: String) -> Violation {
        violation_of(&self.config, self.parties.len(), self.step, what)
    }

    /// The invariants that hold after every step.
    fn check(&mut self) -> Result<(), Violation> {
        if let Some(what) = self.broken.take() {
            return Err(self.violation(what));
        }
        self.check_accepted_kept()
            .map_err(|what| self.violation(what))?;
        let nodes: Vec<&Node> = self.nodes.values().collect();
        for (i, a) in nodes.iter().enumerate() {
            for b in &nodes[i + 1..] {
                for (seq, (x, y)) in a.committed.iter().zip(&b.committed).enumerate() {
                    if x.body != y.body {
                        return Err(self.violation(format!(
                            "{} and {} committed different entries at seq {seq}",
                            a.role, b.role
                        )));
                    }
                }
                // Same position, same state: the breaker counts alike everywhere.
                if a.head() == b.head() && a.protocol.state() != b.protocol.state() {
                    return Err(self.violation(format!(
                        "{} and {} are both at entry {} with different states",
                        a.role,
                        b.role,
                        a.head()
                    )));
                }
            }
            if !self.config.byzantine_sequencer && !a.evidence.is_empty() {
                return Err(self.violation(format!(
                    "{} holds a proof of equivocation against an honest sequencer (seq {:?})",
                    a.role, a.evidence
                )));
            }
        }
        Ok(())
    }

    /// Heals every link, stops every fault, delivers everything and lets the sequencer finish
    /// its queue, and the parties review until the order runs (or closed); then heads must
    /// converge, every fact be recorded and none held, every forged body shown to a cosigner
    /// be proven, and every party's bundle verify.
    fn heal(&mut self) -> Result<(), Violation> {
        self.healing = true;
        self.settle();
        for _ in 0..64 {
            let paused = self.nodes.get(SEQUENCER).is_some_and(|node| {
                let status = &node.protocol.state().status;
                !status.is_running() && !status.is_closed()
            });
            if !paused {
                break;
            }
            self.review_together();
            self.settle();
        }
        self.check()?;
        if self.next(3) == 0 {
            self.close_at_the_end()?;
        }
        // Then every cosigner is shown every second body the sequencer signed.
        let forged: Vec<(u64, SignedEntry)> =
            self.forged.iter().map(|(s, e)| (*s, e.clone())).collect();
        for (_, entry) in &forged {
            for &role in self.cosigners {
                let message = Message::Commit(entry.clone());
                let from = SEQUENCER;
                self.network.push((role, Msg::Protocol { from, message }));
            }
        }
        self.settle();
        self.check()?;
        if self.heads_differ() {
            return Err(self.violation("heads did not converge after the heal".into()));
        }
        self.check_facts()?;
        for (seq, _) in forged {
            for &role in self.cosigners {
                let proven = self
                    .nodes
                    .get(role)
                    .is_some_and(|node| node.evidence.contains(&seq));
                if !proven {
                    return Err(self.violation(format!(
                        "{role} was shown the sequencer's second body at seq {seq} and holds no proof"
                    )));
                }
            }
        }
        // Every node logs and checkpoints once more, its witnesses reachable and honest.
        self.checkpoint_after_the_heal();
        self.settle();
        self.check()?;
        self.check_witnessed()
            .map_err(|what| self.violation(what))?;
        for &role in self.parties {
            self.export(role);
        }
        self.check()
    }

    /// The parties close the order once it runs and its queue is empty; then it is closed at
    /// every party and refuses a new fact.
    fn close_at_the_end(&mut self) -> Result<(), Violation> {
        let closed = |sim: &Sim| {
            sim.nodes
                .values()
                .all(|node| node.protocol.state().status.is_closed())
        };
        if !closed(self) {
            self.close();
            self.settle();
            if !closed(self) {
                let status = self
                    .nodes
                    .get(SEQUENCER)
                    .map(|node| format!("{:?}", node.protocol.state().status));
                return Err(self.violation(format!(
                    "a close every party signed after the heal did not close the order: {status:?}"
                )));
            }
        }
        let refused = self.report.facts_refused;
        let at = self.any_party();
        self.submit_fact(at);
        if self.report.facts_refused == refused {
            return Err(self.violation("a closed order accepted a fact".into()));
        }
        Ok(())
    }

    /// Every accepted fact recorded, none still queued or held.
    fn check_facts(&self) -> Result<(), Violation> {
        let Some(sequencer) = self.nodes.get(SEQUENCER) else {
            return Ok(());
        };
        if let Some(waiting) = self.callers.values().next() {
            return Err(self.violation(format!(
                "{}'s node never answered its caller: {waiting:?}",
                waiting.at()
            )));
        }
        for node in self.nodes.values() {
            let unsent = node.protocol.queue().len();
            if unsent > 0 {
                return Err(self.violation(format!(
                    "{unsent} accepted facts never committed, queued at {}'s node",
                    node.role
                )));
            }
        }
        let seen = sequencer.protocol.seen();
        if let Some(hash) = self.accepted.keys().find(|hash| !seen.contains_key(hash)) {
            return Err(self.violation(format!("the accepted fact {hash} was never recorded")));
        }
        // A fact whose submitter was never answered (its node crashed first) may commit; one
        // that was refused may not.
        let unexpected = seen
            .keys()
            .find(|hash| !self.accepted.contains_key(hash) && !self.unanswered.contains(hash));
        if let Some(hash) = unexpected {
            return Err(self.violation(format!(
                "the fact {hash} was recorded though no node accepted it"
            )));
        }
        let held = sequencer.protocol.state().held_facts.len();
        if held > 0 {
            return Err(self.violation(format!("{held} facts still held after the final reviews")));
        }
        Ok(())
    }

    /// Every party signs the decision the others sign, dated by the order.
    fn review_together(&mut self) {
        let Some(state) = self
            .nodes
            .get(SEQUENCER)
            .map(|n| n.protocol.state().clone())
        else {
            return;
        };
        let decision = match state.status {
            Status::Tripped { .. } => Decision::Approve,
            _ => Decision::Discard,
        };
        for &role in self.parties {
            self.sign_record(role, Agreement::Review, |order, seq| {
                Review::new(order, seq, state.high_water, decision, "final review").encode()
            });
        }
    }

    /// Delivers everything in order and lets the sequencer finish its queue and the cosigners
    /// catch up, until nothing moves.
    fn settle(&mut self) {
        for round in 0..20_000u64 {
            self.step = self.config.steps.saturating_add(round);
            if !self.network.is_empty() {
                let (to, msg) = self.network.remove(0);
                self.handle(to, msg);
                continue;
            }
            let (busy, deadline) = self.nodes.get(SEQUENCER).map_or((false, None), |node| {
                let protocol = &node.protocol;
                let deadline = protocol.round_deadline();
                let busy = !protocol.queue().is_empty() || deadline.is_some();
                (busy || protocol.waiting() > 0, deadline)
            });
            let forwarding = self
                .nodes
                .values()
                .any(|node| !node.protocol.queue().is_empty());
            // A submitter waits for a forward's answer (or its node giving it up).
            let answering = !self.callers.is_empty();
            if self.witnessing() {
                // Nothing in flight: the witnesses' answers were lost; the requests time out.
                self.give_up_all();
            }
            if !busy && !forwarding && !answering && !self.heads_differ() {
                return;
            }
            if let Some(deadline) = deadline {
                // Nothing in flight: the round's answers were lost; it times out and the
                // fact is proposed again.
                self.drive_at(SEQUENCER, Input::Tick, deadline);
            }
            self.sequencer_tick();
            for &role in self.cosigners {
                self.fetch(role);
            }
        }
    }

    /// The order of a run of `seed` opened, no step taken (for tests).
    #[cfg(test)]
    fn opened(seed: u64) -> Sim {
        let config = SimConfig {
            seed,
            steps: 1,
            ..SimConfig::default()
        };
        match Sim::new(config) {
            Ok(sim) => sim,
            Err(error) => panic!("the order did not open: {error}"),
        }
    }

    /// `role`'s node crashes losing every write it had not flushed, and restarts (for tests).
    #[cfg(test)]
    fn crash_losing_every_unflushed_write(&mut self, role: &'static str) {
        let Some(node) = self.nodes.get_mut(role) else {
            panic!("no {role}");
        };
        node.disk.crash(0);
        node.incarnation += 1;
        if let Err(error) = self.restart(role) {
            panic!("{role} cannot restart: {error}");
        }
    }

    /// Delivers everything in flight, in order, until nothing is (for tests).
    #[cfg(test)]
    fn deliver_all(&mut self) {
        for _ in 0..10_000 {
            if self.network.is_empty() {
                return;
            }
            let (to, msg) = self.network.remove(0);
            self.handle(to, msg);
        }
        panic!("the network never emptied");
    }

    fn heads_differ(&self) -> bool {
        let heads: BTreeSet<usize> = self
            .nodes
            .values()
            .map(|node| node.committed.len())
            .collect();
        heads.len() > 1
    }
}

/// What presented heads naming `heads` (seqs) must say of a bundle whose last entry is
/// `last`: STALE, missing the entries up to the newest head beyond it, or current (never
/// STALE for a bundle as new as every head).
fn expect_freshness(last: u64, heads: &[u64], freshness: &Freshness) -> Result<(), String> {
    let newest = heads.iter().copied().filter(|seq| *seq > last).max();
    let as_expected = match (newest, freshness) {
        (None, Freshness::Current { .. }) => true,
        (
            Some(newest),
            Freshness::Stale {
                head_seq,
                missing_from,
                missing_to,
                ..
            },
        ) => *head_seq == newest && *missing_from == last + 1 && *missing_to == newest,
        _ => false,
    };
    if as_expected {
        Ok(())
    } else {
        Err(format!(
            "ending at entry {last} beside heads at {heads:?}, the verifier reported {freshness:?}"
        ))
    }
}

/// A protocol message from the node of `from` as its receiver's core takes it (the driver has
/// checked no signature).
/// `None` for a forward, which is a request of its own (`Msg::Forward`, [`submit`]).
fn input_of(from: PublicKey, message: Message) -> Option<Input> {
    Some(match message {
        Message::Propose { entry, previous } => Input::Proposal {
            from,
            entry,
            previous,
            verified: false,
        },
        Message::Answer { body, answer } => Input::Answer {
            from,
            body,
            answer,
            verified: false,
        },
        Message::Commit(entry) => Input::Committed {
            from,
            entry,
            caller: None,
            verified: false,
        },
        Message::Forward { .. } => return None,
    })
}

/// The queued facts whose entries commit among `actions`, by hash, with their queue index:
/// the driver removes each from the queue in its entry's own batch (`driver.rs`, `persist`).
fn dequeued_with_entries(actions: &[Action]) -> BTreeMap<Digest, u64> {
    let recorded: BTreeSet<Digest> = actions
        .iter()
        .filter_map(|action| match action {
            Action::Persist(commit) => commit.event,
            _ => None,
        })
        .collect();
    actions
        .iter()
        .filter_map(|action| match action {
            Action::Dequeue {
                fact,
                refused: None,
            } if recorded.contains(&fact.hash) => Some((fact.hash, fact.index)),
            _ => None,
        })
        .collect()
}

/// `what` broke at `step` of the run `config` (with `parties` parties), with the command that
/// replays it.
fn violation_of(config: &SimConfig, parties: usize, step: u64, what: String) -> Violation {
    let mut flags = String::new();
    if config.byzantine_sequencer || config.byzantine_cosigner {
        flags.push_str(" --byzantine");
    }
    if parties != 3 {
        flags.push_str(&format!(" --parties {parties}"));
    }
    if config.sequencer_announces_unflushed {
        flags.push_str(", with SimConfig::sequencer_announces_unflushed");
    }
    if config.cosigner_acknowledges_unflushed {
        flags.push_str(", with SimConfig::cosigner_acknowledges_unflushed");
    }
    for (set, name) in [
        (config.driver_trusts_the_name, "driver_trusts_the_name"),
        (
            config.witness_answers_unflushed,
            "witness_answers_unflushed",
        ),
        (
            config.witness_skips_consistency,
            "witness_skips_consistency",
        ),
        (config.checkpoint_unflushed, "checkpoint_unflushed"),
        (config.owner_drops_from_answers, "owner_drops_from_answers"),
    ] {
        if set {
            flags.push_str(&format!(", with SimConfig::{name}"));
        }
    }
    Violation {
        seed: config.seed,
        step,
        steps: config.steps,
        flags,
        what,
    }
}

/// The link between the nodes of `a` and `b`, either way.
fn link(a: &'static str, b: &'static str) -> (&'static str, &'static str) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// xorshift64*.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// Counts what a committed entry did (`before` and `after`: the order's status around it):
/// a pause, a review and the held facts it evaluated, a close.
fn count_entry(report: &mut SimReport, before: &Status, after: &Status, body: &EntryBody) {
    let reviewed = matches!(body.step, Step::Review(_));
    if (before.is_running() || reviewed) && !after.is_running() && !after.is_closed() {
        report.pauses += 1;
    }
    match &body.step {
        Step::Review(step) => {
            report.reviews += 1;
            report.held_facts_evaluated += step.reevaluated.len() as u64;
        }
        Step::Close(_) => report.closes += 1,
        Step::Agreement(_) => report.agreements += 1,
        _ => {}
    }
}

/// Keeps the proof at `seq` at `node`; whether it is new.
fn keep(node: &mut Node, seq: u64, report: &mut SimReport) -> bool {
    if node.evidence.contains(&seq) {
        return false;
    }
    node.evidence.push(seq);
    report.proofs_kept += 1;
    true
}
