//! A deterministic simulator of the co-signing protocol: three parties of one order (the
//! seller sequences, buyer and carrier cosign) run the node's own protocol code — the order
//! core ([`OrderCore`]: the verifier's state machine, proposal and commit checks), the round
//! ([`Round`]: unsigned proposals, the sequencer signing last) and the evidence rule
//! ([`round::equivocation`]) — over a network driven from one seed: messages lost, duplicated,
//! reordered and delayed, links cut and healed, nodes crashing and restarting with only what
//! was durable, and optionally a sequencer that signs a second body after each commit.
//!
//! After every step it checks that no two parties committed different entries at one position
//! and that nobody holds a proof against an honest sequencer; after a final heal, that heads
//! converge, that every accepted fact committed, and that every cosigner that was shown a
//! dishonest sequencer's second body holds the proof. A failing run names its seed, and the same
//! seed replays it exactly. What is not simulated (the async driver, libp2p, sled, catch-up
//! paging, checkpoints and bundles) is listed in ARCHITECTURE.md.

use std::collections::{BTreeMap, HashMap, VecDeque};

use verifier::{
    model::{Digest, SignedContract, SignedEntry, SignedEvent},
    sign::{Domain, Signature, SigningKey},
    state::machine::Sealed,
};

use crate::{
    engine::{
        order::OrderCore,
        round::{self, Answer, Round},
    },
    fixtures::ExampleOrders,
};

const SEQUENCER: &str = "seller";
const COSIGNERS: [&str; 2] = ["buyer", "carrier"];
/// Steps a round may wait for its answers before the sequencer abandons it.
const ROUND_PATIENCE: u64 = 40;

/// One simulation run's settings.
#[derive(Debug, Clone, Copy)]
pub struct SimConfig {
    pub seed: u64,
    pub steps: u64,
    /// The sequencer signs and sends a second, different body after each commit.
    pub byzantine_sequencer: bool,
}

/// What a run did (all deterministic in the seed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimReport {
    pub committed: u64,
    pub facts_accepted: u64,
    pub rounds_failed: u64,
    pub messages_lost: u64,
    pub crashes: u64,
    pub proofs_kept: u64,
}

/// An invariant broken, with the seed that replays it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("seed {seed}, step {step}: {what}")]
pub struct Violation {
    pub seed: u64,
    pub step: u64,
    pub what: String,
}

/// Why the simulator could not set up its order.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the simulated order: {0}")]
pub struct SetupError(String);

#[derive(Debug, Clone)]
enum Msg {
    Propose(SignedEntry),
    Answer {
        from: &'static str,
        body: Digest,
        answer: Answer,
    },
    Commit(SignedEntry),
    Fetch {
        from: &'static str,
        after: u64,
    },
}

struct Node {
    role: &'static str,
    key: SigningKey,
    /// Durable: committed entries (index = seq) and the core after them.
    core: OrderCore,
    committed: Vec<SignedEntry>,
    seen: HashMap<Digest, u64>,
    evidence: Vec<u64>,
    /// Volatile: lost on a crash.
    pending: Option<(Sealed, Signature)>,
    unconfirmed: BTreeMap<u64, SignedEntry>,
    /// Sequencer only: accepted facts (durable) and the round in progress (volatile).
    queue: VecDeque<SignedEvent>,
    round: Option<(Round, u64)>,
}

/// Runs one simulation.
pub fn run(config: SimConfig) -> Result<SimReport, SimError> {
    let mut sim = Sim::new(config).map_err(SimError::Setup)?;
    for step in 0..config.steps {
        sim.step = step;
        sim.random_step();
        sim.check().map_err(SimError::Violation)?;
    }
    sim.heal().map_err(SimError::Violation)?;
    Ok(sim.report)
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Setup(SetupError),
    #[error(transparent)]
    Violation(Violation),
}

struct Sim {
    config: SimConfig,
    rng: u64,
    step: u64,
    contract: SignedContract,
    nodes: BTreeMap<&'static str, Node>,
    network: Vec<(&'static str, Msg)>,
    /// Links cut between the sequencer and a cosigner.
    cut: BTreeMap<&'static str, bool>,
    /// Second bodies the dishonest sequencer signed, by seq.
    forged: BTreeMap<u64, SignedEntry>,
    facts: Vec<SignedEvent>,
    orders: ExampleOrders,
    report: SimReport,
}

impl Sim {
    fn new(config: SimConfig) -> Result<Sim, SetupError> {
        let fail = |error: String| SetupError(error);
        let orders = ExampleOrders::new().map_err(fail)?;
        let (signed, machine) = orders.contract("PO-2026-0042").map_err(fail)?;
        let mut nodes = BTreeMap::new();
        for (role, key) in orders.parties() {
            let key = key.clone();
            let (core, genesis) =
                OrderCore::genesis(machine.clone()).map_err(|e| fail(e.to_string()))?;
            let mut entry = genesis.entry.clone();
            for (signer, signer_key) in orders.parties() {
                entry.sign(signer, signer_key);
            }
            nodes.insert(
                role,
                Node {
                    role,
                    key,
                    core,
                    committed: vec![entry],
                    seen: HashMap::new(),
                    evidence: Vec::new(),
                    pending: None,
                    unconfirmed: BTreeMap::new(),
                    queue: VecDeque::new(),
                    round: None,
                },
            );
        }
        Ok(Sim {
            config,
            rng: config.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            step: 0,
            contract: signed,
            nodes,
            network: Vec::new(),
            cut: COSIGNERS.iter().map(|role| (*role, false)).collect(),
            forged: BTreeMap::new(),
            facts: Vec::new(),
            orders,
            report: SimReport::default(),
        })
    }

    /// xorshift64*: the only source of choices.
    fn next(&mut self, below: u64) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) % below.max(1)
    }

    fn random_step(&mut self) {
        match self.next(100) {
            0..=44 => self.deliver_random(),
            45..=56 => self.accept_fact(),
            57..=71 => self.sequencer_tick(),
            72..=79 => {
                let role = COSIGNERS[self.next(2) as usize];
                self.fetch(role);
            }
            80..=87 => {
                let role = COSIGNERS[self.next(2) as usize];
                let cut = self.cut.entry(role).or_insert(false);
                *cut = !*cut;
            }
            88..=91 => self.crash(SEQUENCER),
            92..=95 => {
                let role = COSIGNERS[self.next(2) as usize];
                self.crash(role);
            }
            _ => {}
        }
    }

    fn linked(&self, a: &str, b: &str) -> bool {
        let cosigner = if a == SEQUENCER { b } else { a };
        !self.cut.get(cosigner).copied().unwrap_or(false)
    }

    fn send(&mut self, from: &'static str, to: &'static str, msg: Msg) {
        if self.linked(from, to) {
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
            // Lost.
            0..=9 => {
                self.network.swap_remove(index);
                self.report.messages_lost += 1;
                return;
            }
            // Duplicated: delivered and still in flight.
            10..=14 => self.network[index].clone(),
            _ => self.network.swap_remove(index),
        };
        self.handle(to, msg);
    }

    /// A fact reaches the sequencer, which stores it before answering (accepted).
    fn accept_fact(&mut self) {
        let order = self.contract.order_id();
        let n = self.facts.len() as i64;
        let Ok(signed) = self.orders.fact(order, n) else {
            return;
        };
        // Now and then a fact is submitted twice: it is one fact.
        let twice = self.next(10) == 0;
        if let Some(node) = self.nodes.get_mut(SEQUENCER) {
            node.queue.push_back(signed.clone());
            if twice {
                node.queue.push_back(signed.clone());
            }
        }
        self.facts.push(signed);
        self.report.facts_accepted += 1;
    }

    /// The sequencer starts a round for its oldest queued fact, or abandons a stale one.
    fn sequencer_tick(&mut self) {
        let step = self.step;
        let Some(node) = self.nodes.get_mut(SEQUENCER) else {
            return;
        };
        if let Some((_, started)) = &node.round {
            if step.saturating_sub(*started) > ROUND_PATIENCE {
                node.round = None;
                self.report.rounds_failed += 1;
            }
            return;
        }
        let Some(event) = node.queue.front().cloned() else {
            return;
        };
        if node.seen.contains_key(&event.hash()) {
            node.queue.pop_front();
            return;
        }
        let sealed = match node.core.prepare_event(&node.seen, &event) {
            Ok(sealed) => sealed,
            Err(_) => {
                node.queue.pop_front();
                return;
            }
        };
        let parties = node.core.contract().parties.clone();
        let proposal = sealed.entry.clone();
        let round = Round::new(sealed, proposal, &parties, SEQUENCER);
        let message = Msg::Propose(round.proposal().clone());
        node.round = Some((round, step));
        for role in COSIGNERS {
            self.send(SEQUENCER, role, message.clone());
        }
    }

    fn fetch(&mut self, role: &'static str) {
        let after = self
            .nodes
            .get(role)
            .map_or(0, |node| node.committed.len() as u64 - 1);
        self.send(role, SEQUENCER, Msg::Fetch { from: role, after });
    }

    /// A crash loses what was only in memory; committed entries and queued facts were durable.
    fn crash(&mut self, role: &'static str) {
        if let Some(node) = self.nodes.get_mut(role) {
            node.pending = None;
            node.round = None;
            node.unconfirmed.clear();
        }
        self.network.retain(|(to, _)| *to != role);
        self.report.crashes += 1;
    }

    fn handle(&mut self, to: &'static str, msg: Msg) {
        match msg {
            Msg::Propose(entry) => self.on_propose(to, entry),
            Msg::Answer { from, body, answer } => self.on_answer(from, body, answer),
            Msg::Commit(entry) => self.on_commit(to, entry),
            Msg::Fetch { from, after } => self.on_fetch(from, after),
        }
    }

    fn on_propose(&mut self, to: &'static str, entry: SignedEntry) {
        let Some(node) = self.nodes.get_mut(to) else {
            return;
        };
        let Ok(body) = entry.entry() else { return };
        let head = node.committed.len() as u64 - 1;
        let answer = if body.seq == head + 1 {
            match node.core.check_proposal(&node.seen, &entry) {
                Ok(sealed) => {
                    let signature = node.key.sign(Domain::Entry, &entry.body);
                    node.pending = Some((sealed, signature));
                    Answer::Cosigned {
                        signature,
                        valid: true,
                    }
                }
                Err(refusal) => Answer::Refused {
                    code: refusal.code().into(),
                    message: refusal.to_string(),
                },
            }
        } else if body.seq <= head {
            match node.committed.get(body.seq as usize) {
                Some(own) if own.body == entry.body => Answer::Cosigned {
                    signature: node.key.sign(Domain::Entry, &entry.body),
                    valid: true,
                },
                _ => Answer::Refused {
                    code: "conflict".into(),
                    message: "another entry committed here".into(),
                },
            }
        } else {
            self.fetch(to);
            return;
        };
        let body = entry.hash();
        self.send(
            to,
            SEQUENCER,
            Msg::Answer {
                from: to,
                body,
                answer,
            },
        );
    }

    fn on_answer(&mut self, from: &'static str, body: Digest, answer: Answer) {
        let Some(node) = self.nodes.get_mut(SEQUENCER) else {
            return;
        };
        let Some((round, _)) = node.round.as_mut() else {
            return;
        };
        if round.proposal().hash() != body {
            return;
        }
        // The sequencer verifies the cosignature itself (the answer's claim is not trusted).
        let answer = match answer {
            Answer::Cosigned { signature, .. } => {
                let valid = node.core.contract().parties.get(from).is_some_and(|key| {
                    key.verify(Domain::Entry, &round.proposal().body, &signature)
                        .is_ok()
                });
                Answer::Cosigned { signature, valid }
            }
            other => other,
        };
        match round.answer(from, answer) {
            Ok(false) => {}
            Err(_) => {
                node.round = None;
                self.report.rounds_failed += 1;
            }
            Ok(true) => {
                let Some((round, _)) = node.round.take() else {
                    return;
                };
                let key = node.key.clone();
                let Some((entry, sealed)) = round.finish(SEQUENCER, &key) else {
                    return;
                };
                // Signed and committed in one step: nobody sees the signature before it is
                // durable (rule 1).
                let seq = sealed.body.seq;
                apply(node, entry.clone(), sealed);
                node.queue.pop_front();
                self.report.committed += 1;
                for role in COSIGNERS {
                    self.send(SEQUENCER, role, Msg::Commit(entry.clone()));
                }
                if self.config.byzantine_sequencer {
                    self.forge(seq, &entry);
                }
            }
        }
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
        let role = COSIGNERS[self.next(2) as usize];
        self.send(SEQUENCER, role, Msg::Commit(forged));
    }

    fn on_commit(&mut self, to: &'static str, entry: SignedEntry) {
        let contract = self.contract.clone();
        let Some(node) = self.nodes.get_mut(to) else {
            return;
        };
        let Ok(body) = entry.entry() else { return };
        let head = node.committed.len() as u64 - 1;
        if body.seq <= head {
            let own = node.committed[body.seq as usize].clone();
            if round::equivocation(&contract, &own, &entry).is_some() {
                keep(node, body.seq, &mut self.report);
            }
            return;
        }
        if body.seq > head + 1 {
            self.fetch(to);
            return;
        }
        match node.core.check_committed(&node.seen, &entry) {
            Ok(sealed) => {
                let other = node.unconfirmed.remove(&body.seq);
                apply(node, entry.clone(), sealed);
                if let Some(other) = other {
                    if round::equivocation(&contract, &entry, &other).is_some() {
                        keep(node, body.seq, &mut self.report);
                    }
                }
            }
            Err(_) if round::signed_by_sequencer(node.core.contract(), &entry) => {
                node.unconfirmed.insert(body.seq, entry);
            }
            Err(_) => {}
        }
    }

    fn on_fetch(&mut self, from: &'static str, after: u64) {
        let entries: Vec<SignedEntry> = self
            .nodes
            .get(SEQUENCER)
            .map(|node| {
                node.committed
                    .iter()
                    .skip(after as usize + 1)
                    .take(16)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        for entry in entries {
            self.send(SEQUENCER, from, Msg::Commit(entry));
        }
    }

    fn violation(&self, what: String) -> Violation {
        Violation {
            seed: self.config.seed,
            step: self.step,
            what,
        }
    }

    /// The invariants that hold after every step.
    fn check(&self) -> Result<(), Violation> {
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

    /// Heals every link, delivers everything without loss and lets the sequencer finish its
    /// queue; then heads must converge, every fact be committed, and every forged body shown
    /// to a cosigner be proven.
    fn heal(&mut self) -> Result<(), Violation> {
        for cut in self.cut.values_mut() {
            *cut = false;
        }
        self.settle();
        // Then every cosigner is shown every second body the sequencer signed.
        let forged: Vec<(u64, SignedEntry)> =
            self.forged.iter().map(|(s, e)| (*s, e.clone())).collect();
        for (_, entry) in &forged {
            for role in COSIGNERS {
                self.network.push((role, Msg::Commit(entry.clone())));
            }
        }
        self.settle();
        self.check()?;
        if self.heads_differ() {
            return Err(self.violation("heads did not converge after the heal".into()));
        }
        let sequencer = self.nodes.get(SEQUENCER);
        let unsent = sequencer.map_or(0, |node| node.queue.len());
        if unsent > 0 {
            return Err(self.violation(format!("{unsent} accepted facts never committed")));
        }
        let recorded = sequencer.map_or(0, |node| node.seen.len());
        let distinct: std::collections::BTreeSet<Digest> =
            self.facts.iter().map(|fact| fact.hash()).collect();
        if recorded != distinct.len() {
            return Err(self.violation(format!(
                "{} distinct facts accepted, {recorded} recorded",
                distinct.len()
            )));
        }
        for (seq, _) in forged {
            for role in COSIGNERS {
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
        Ok(())
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
            let busy = self
                .nodes
                .get(SEQUENCER)
                .is_some_and(|node| !node.queue.is_empty() || node.round.is_some());
            if !busy && !self.heads_differ() {
                return;
            }
            if let Some(node) = self.nodes.get_mut(SEQUENCER) {
                // Nothing in flight: the round's answers were lost; it times out and the
                // fact is proposed again.
                node.round = None;
            }
            self.sequencer_tick();
            for role in COSIGNERS {
                self.fetch(role);
            }
        }
    }

    fn heads_differ(&self) -> bool {
        let heads: std::collections::BTreeSet<usize> = self
            .nodes
            .values()
            .map(|node| node.committed.len())
            .collect();
        heads.len() > 1
    }
}

/// Commits `entry` at `node` (durably, in the model) and moves its core forward.
fn apply(node: &mut Node, entry: SignedEntry, sealed: Sealed) {
    let seq = sealed.body.seq;
    if let Some(event) = sealed.event {
        node.seen.insert(event, seq);
    }
    node.core.advance(sealed.state);
    node.committed.push(entry);
    node.pending = None;
    node.unconfirmed.retain(|kept, _| *kept > seq);
}

fn keep(node: &mut Node, seq: u64, report: &mut SimReport) {
    if !node.evidence.contains(&seq) {
        node.evidence.push(seq);
        report.proofs_kept += 1;
    }
}
