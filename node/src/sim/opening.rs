//! The order's opening in the simulator: the genesis round between the parties' nodes, each
//! running the node's [`Opening`] core, over a network that loses, duplicates and reorders
//! messages, with nodes crashing (an opening is volatile; a persisted genesis is durable) and,
//! in byzantine runs, the dishonest cosigner answering with garbage, until every party
//! committed the genesis (after a while the faults stop and late parties catch up). A party
//! whose opening never saw the genesis committed asks for it on a tick
//! ([`Action::FetchGenesis`]); the request goes to the sequencer's node through the same
//! network, which answers it as the node does (its catch-up page from the genesis, see
//! [`super::fetch::serve`]; refused while it has no genesis), and the answer comes back to
//! the opening as [`Input::Page`].
//!
//! Checked: every genesis persisted or announced carries every party's signature and is the
//! one body the contract determines (the sequencer never signs two bodies at position 0), no
//! honest party records a fault, and the order opens at every party once the faults stop.

use std::collections::BTreeMap;

use verifier::{
    model::{SignedContract, SignedEntry},
    sign::{PublicKey, Signature, SigningKey},
    state::Machine,
};

use super::{fetch, input_of, xorshift, Entries, SEQUENCER, START, STEP_SECONDS};
use crate::engine::{
    opening::Opening,
    protocol_core::{Action, Context, Input, Message, OrderProtocol, ProtocolConfig},
    round::Answer,
};

/// Steps with faults before the network behaves.
const FAULTY_STEPS: u64 = 80;
/// Steps after which an order that did not open is a violation.
const MAX_STEPS: u64 = 2_000;

/// The opened order at every party.
pub(super) struct Opened {
    /// The genesis every party committed (with every signature).
    pub genesis: SignedEntry,
    /// Each party's open order, as its opening core hands it over.
    pub protocols: BTreeMap<&'static str, OrderProtocol>,
    /// Genesis rounds the sequencer proposed (more than one: a round failed and the same bytes
    /// were proposed again).
    pub rounds: u64,
    pub messages_lost: u64,
    pub crashes: u64,
    /// Parties that took the genesis from a page they fetched.
    pub genesis_fetched: u64,
}

/// What travels between the parties' nodes during the opening.
#[derive(Debug, Clone)]
enum Carried {
    Protocol(Message),
    /// A request for the genesis (a catch-up page from the genesis, of one entry) from a
    /// party's `incarnation`: a restarted node gets no answer to an earlier request.
    FetchGenesis {
        incarnation: u64,
    },
    /// The answer to it: the genesis, or why none.
    Page {
        incarnation: u64,
        entries: Result<Vec<SignedEntry>, String>,
    },
}

struct Party<'a> {
    key: &'a SigningKey,
    opening: Opening,
    /// The genesis this party persisted (durable: a crash keeps it).
    committed: Option<SignedEntry>,
    /// Restarts so far.
    incarnation: u64,
}

struct Round<'a> {
    rng: &'a mut u64,
    config: ProtocolConfig,
    contract: &'a SignedContract,
    machine: &'a Machine,
    parties: BTreeMap<&'static str, Party<'a>>,
    /// What is in flight: to, from, what.
    network: Vec<(&'static str, &'static str, Carried)>,
    /// The dishonest cosigner, while the faults last.
    byzantine: Option<&'static str>,
    faulty: bool,
    now: i64,
    opened: Opened,
    broken: Option<String>,
}

/// Opens the order between `parties` (role and key, the sequencer among them); `byzantine`:
/// the cosigner that answers with garbage now and then. The error names the broken check.
pub(super) fn open(
    rng: &mut u64,
    config: ProtocolConfig,
    contract: &SignedContract,
    machine: &Machine,
    parties: &[(&'static str, &SigningKey)],
    byzantine: Option<&'static str>,
) -> Result<Opened, String> {
    let mut round = Round {
        rng,
        config,
        contract,
        machine,
        parties: BTreeMap::new(),
        network: Vec::new(),
        byzantine,
        faulty: true,
        now: START,
        opened: Opened {
            genesis: SignedEntry::unsigned(Vec::new()),
            protocols: BTreeMap::new(),
            rounds: 0,
            messages_lost: 0,
            crashes: 0,
            genesis_fetched: 0,
        },
        broken: None,
    };
    for (role, key) in parties {
        let opening = round.fresh(key)?;
        let party = Party {
            key,
            opening,
            committed: None,
            incarnation: 0,
        };
        round.parties.insert(role, party);
    }
    round.drive(SEQUENCER, Input::Open { caller: 0 });
    for step in 0..MAX_STEPS {
        round.now = START.saturating_add((step as i64).saturating_mul(STEP_SECONDS));
        round.faulty = step < FAULTY_STEPS;
        if let Some(what) = round.broken.take() {
            return Err(what);
        }
        if round
            .parties
            .values()
            .all(|party| party.committed.is_some())
        {
            return round.finish();
        }
        if round.faulty {
            round.random_step();
        } else {
            round.calm_step();
        }
    }
    Err(format!("the order did not open in {MAX_STEPS} steps"))
}

impl Round<'_> {
    fn next(&mut self, below: u64) -> u64 {
        xorshift(self.rng) % below.max(1)
    }

    /// A party's opening as made from the contract (at start, and again after a crash).
    fn fresh(&self, key: &SigningKey) -> Result<Opening, String> {
        Opening::new(
            self.config,
            self.contract.clone(),
            self.machine.clone(),
            &key.public_key(),
        )
        .map_err(|error| error.to_string())
    }

    fn random_step(&mut self) {
        match self.next(100) {
            0..=59 => self.deliver_random(),
            60..=74 => self.drive(SEQUENCER, Input::Tick),
            75..=84 => {
                let role = self.any_party();
                self.tick_party(role);
            }
            85..=87 => {
                let role = self.any_party();
                self.crash(role);
            }
            _ => {}
        }
    }

    /// No faults: everything in flight is delivered in order, the sequencer's round times
    /// out or proposes again, and parties that missed the genesis fetch it.
    fn calm_step(&mut self) {
        if !self.network.is_empty() {
            let (to, from, carried) = self.network.remove(0);
            self.deliver(to, from, carried);
            return;
        }
        self.drive(SEQUENCER, Input::Tick);
        let roles: Vec<&'static str> = self.parties.keys().copied().collect();
        for role in roles {
            self.tick_party(role);
        }
    }

    /// A party's node ticks its opening, which asks for the genesis if it has none (the
    /// sequencer's is ticked on its own).
    fn tick_party(&mut self, role: &'static str) {
        if role != SEQUENCER {
            self.drive(role, Input::Tick);
        }
    }

    fn any_party(&mut self) -> &'static str {
        let roles: Vec<&'static str> = self.parties.keys().copied().collect();
        roles[self.next(roles.len() as u64) as usize]
    }

    fn deliver_random(&mut self) {
        if self.network.is_empty() {
            return;
        }
        let index = self.next(self.network.len() as u64) as usize;
        let (to, from, carried) = match self.next(100) {
            0..=9 => {
                self.network.swap_remove(index);
                self.opened.messages_lost += 1;
                return;
            }
            10..=14 => self.network[index].clone(),
            _ => self.network.swap_remove(index),
        };
        self.deliver(to, from, carried);
    }

    fn deliver(&mut self, to: &'static str, from: &'static str, carried: Carried) {
        let Some(from_key) = self.key_of(from) else {
            return;
        };
        match carried {
            Carried::Protocol(message) => {
                if let Some(input) = input_of(from_key, message) {
                    self.drive(to, input);
                }
            }
            Carried::FetchGenesis { incarnation } => self.serve_genesis(to, from, incarnation),
            Carried::Page {
                incarnation,
                entries,
            } => {
                let asked = self.parties.get(to).map(|party| party.incarnation);
                if asked != Some(incarnation) {
                    return;
                }
                let page = Input::Page {
                    from: from_key,
                    after: 0,
                    entries,
                };
                self.drive(to, page);
            }
        }
    }

    /// `server`'s node answers `from`'s request for the genesis as the node answers a
    /// catch-up from the genesis: refused while it has none (no order record yet), else its
    /// page of one entry.
    fn serve_genesis(&mut self, server: &'static str, from: &'static str, incarnation: u64) {
        let (Some(party), Some(requester)) = (self.parties.get(server), self.key_of(from)) else {
            return;
        };
        let entries = match &party.committed {
            None => Err(format!(
                "unknown_order: the order is not open at {server}'s node"
            )),
            Some(genesis) => fetch::serve(
                &self.contract_parties(),
                &requester,
                std::slice::from_ref(genesis),
                None,
                1,
            ),
        };
        let answer = Carried::Page {
            incarnation,
            entries,
        };
        self.network.push((from, server, answer));
    }

    /// A crash: an opening is volatile (made again from the contract); a persisted genesis is
    /// durable, and the party restarts with its order open.
    fn crash(&mut self, role: &'static str) {
        let Some(party) = self.parties.get(role) else {
            return;
        };
        if party.committed.is_none() {
            match self.fresh(party.key) {
                Ok(opening) => {
                    if let Some(party) = self.parties.get_mut(role) {
                        party.opening = opening;
                    }
                }
                Err(error) => self.broken = Some(error),
            }
        }
        self.network.retain(|(to, _, _)| *to != role);
        if let Some(party) = self.parties.get_mut(role) {
            party.incarnation += 1;
        }
        self.opened.crashes += 1;
    }

    fn key_of(&self, role: &str) -> Option<PublicKey> {
        self.parties.get(role).map(|party| party.key.public_key())
    }

    fn role_of(&self, key: &PublicKey) -> Option<&'static str> {
        self.parties
            .iter()
            .find(|(_, party)| party.key.public_key() == *key)
            .map(|(role, _)| *role)
    }

    /// Hands `input` to `role`'s opening and carries out its actions.
    fn drive(&mut self, role: &'static str, input: Input) {
        let now = self.now;
        let Some(party) = self.parties.get_mut(role) else {
            return;
        };
        let context = Context {
            now,
            signer: party.key,
            history: &Entries(&[]),
        };
        let fetched =
            matches!(&input, Input::Page { entries: Ok(entries), .. } if !entries.is_empty());
        let actions = party.opening.handle(input, &context);
        let proposes = |action: &Action| {
            matches!(
                action,
                Action::Send {
                    message: Message::Propose { .. },
                    ..
                }
            )
        };
        if actions.iter().any(proposes) {
            self.opened.rounds += 1;
        }
        let opened = actions.iter().any(|a| matches!(a, Action::Persist(_)));
        if fetched && opened {
            self.opened.genesis_fetched += 1;
        }
        for action in actions {
            self.execute(role, action);
        }
    }

    fn execute(&mut self, role: &'static str, action: Action) {
        match action {
            Action::Send { to, message } => {
                let Some(to) = self.role_of(&to) else { return };
                let message = self.maybe_garbage(role, message);
                if let Message::Commit(entry) = &message {
                    self.check_genesis(role, entry);
                }
                self.network.push((to, role, Carried::Protocol(message)));
            }
            Action::Persist(commit) => {
                self.check_genesis(role, &commit.entry);
                if let Some(party) = self.parties.get_mut(role) {
                    party.committed = Some(commit.entry);
                }
            }
            Action::Fault { refusal, .. } => {
                self.broken = Some(format!("{role} refused the genesis: {refusal}"));
            }
            Action::FetchGenesis { from } => {
                let incarnation = self.parties.get(role).map_or(0, |party| party.incarnation);
                if let Some(server) = self.role_of(&from) {
                    let request = Carried::FetchGenesis { incarnation };
                    self.network.push((server, role, request));
                }
            }
            // An opening catches up nothing but its genesis.
            Action::Fetch { .. }
            | Action::Reply { .. }
            | Action::SetTimer { .. }
            | Action::Enqueue(_)
            | Action::Dequeue { .. }
            | Action::Evidence(_)
            | Action::CosignedClose { .. } => {}
        }
    }

    /// The dishonest cosigner's answer, one time in three while the faults last: a garbage
    /// signature.
    fn maybe_garbage(&mut self, role: &'static str, message: Message) -> Message {
        let Message::Answer { body, .. } = &message else {
            return message;
        };
        if !self.faulty || self.byzantine != Some(role) || self.next(3) != 0 {
            return message;
        }
        let mut garbage = [0u8; 64];
        for chunk in garbage.chunks_mut(8) {
            chunk.copy_from_slice(&xorshift(self.rng).to_le_bytes());
        }
        let answer = Answer::Cosigned {
            signature: Signature::from_bytes(garbage),
            valid: true,
        };
        Message::Answer {
            body: *body,
            answer,
        }
    }

    /// A genesis persisted or announced: every party signed it, and it is the one body the
    /// contract determines.
    fn check_genesis(&mut self, role: &str, entry: &SignedEntry) {
        let expected = self
            .parties
            .get(SEQUENCER)
            .map(|party| party.opening.genesis().entry.body.clone());
        if expected.as_ref() != Some(&entry.body) {
            self.broken = Some(format!(
                "{role} holds a genesis that is not the contract's: the sequencer signed another body at position 0"
            ));
            return;
        }
        if let Err(error) = entry.verify(&self.contract_parties()) {
            self.broken = Some(format!(
                "{role} holds a genesis without every party's signature: {error}"
            ));
        }
    }

    fn contract_parties(&self) -> BTreeMap<String, PublicKey> {
        self.parties
            .iter()
            .map(|(role, party)| (role.to_string(), party.key.public_key()))
            .collect()
    }

    /// Every party committed: the same genesis everywhere, each party's open order.
    fn finish(mut self) -> Result<Opened, String> {
        let mut genesis: Option<SignedEntry> = None;
        for (role, party) in &self.parties {
            let Some(committed) = &party.committed else {
                return Err(format!("{role} did not open the order"));
            };
            if genesis.as_ref().is_some_and(|g| g.body != committed.body) {
                return Err(format!("{role} committed another genesis"));
            }
            genesis.get_or_insert_with(|| committed.clone());
            let protocol = party
                .opening
                .protocol()
                .ok_or_else(|| format!("{role}'s opening does not hand over the open order"))?;
            self.opened.protocols.insert(role, protocol);
        }
        self.opened.genesis = genesis.ok_or("no party")?;
        Ok(self.opened)
    }
}
