//! Checkpoint witnessing in the simulator, as the node does it (`engine/checkpoints.rs` around
//! the sans-IO [`Witnessing`] and [`Presented::judge`]): every node signs a checkpoint of the
//! durable part of its log when a batch of leaves became durable since its latest, and asks
//! every other party's node to cosign it, each from the size it believes that witness cosigned
//! last. The requests and their answers travel the simulated network (lost, duplicated,
//! delayed, reordered, failing at once over a cut link, dropped for a restarted asker; one
//! unanswered is given up after [`WITNESS_PATIENCE`] steps, as the transport times it out).
//! A witness judges what it is shown with the node's function and remembers, per origin, the
//! last checkpoint it cosigned: stored and flushed before the cosignature leaves (the node
//! awaits that commit), so a crash never loses it. The log's side stores a checkpoint,
//! flushed, once every witness answered or was given up; what it believes each witness saw is
//! memory only, lost at a crash. An export whose head the latest checkpoint does not cover has
//! one made within the export, as the node's does ([`Sim::checkpoint_now`]).
//!
//! The dishonest party (byzantine runs), as a witness, one request in three cosigns garbage
//! or withholds its answer; as a log owner, with each checkpoint it also shows every witness a
//! checkpoint that witness must not cosign: a rollback, a fork, one not signed by its log's
//! key, or one in another party's origin extending what that witness cosigned of it.
//!
//! Checked, by an observer that no crash resets: an honest witness never cosigns two
//! checkpoints of one log (an origin and its key) that are not consistent (a smaller one after
//! a larger, or one whose leaves do not extend the other's), nor one its presenter's key did
//! not sign; an honest node's checkpoint is never refused by an honest witness; after the
//! final heal every honest node's latest checkpoint is cosigned by every honest party; every
//! exported bundle carries the exporter's latest checkpoint and verifies with its cosigners
//! required (see [`super::exports`]).

use std::collections::BTreeMap;

use verifier::{
    bundle::build::example_key,
    checkpoint::{sign_checkpoint, Checkpoint, NoteVerifierKey, SignedNote},
    merkle::{leaf_hash, stored_hash_index, Hash, HashStore, MemoryStore, MerkleLog},
    model::Digest,
    sign::PublicKey,
};

use super::{disk::Write, Msg, Sim};
use crate::engine::witness::{
    self, Ask, Cosigned, Declined, Presented, WitnessAnswer, Witnessed, Witnessing,
};

/// Steps a witness's answer may take before the checkpointing node gives the request up.
pub(super) const WITNESS_PATIENCE: u64 = 12;
/// Most durable leaves between two checkpoints: drawn per run from 1 to this.
pub(super) const MAX_CHECKPOINT_BATCH: u64 = 4;

/// A node's checkpoints (`CheckpointState`): the latest (stored), what each witness
/// cosigned last as this node believes (memory only), and the one being witnessed.
#[derive(Debug, Default)]
pub(super) struct Checkpoints {
    pub latest: Option<(u64, String)>,
    witnessed_by: BTreeMap<String, u64>,
    making: Option<Making>,
}

impl Checkpoints {
    /// After a restart: the latest checkpoint stored, nothing else.
    pub(super) fn restored(latest: Option<(u64, String)>) -> Checkpoints {
        Checkpoints {
            latest,
            ..Checkpoints::default()
        }
    }

    /// Whether a checkpoint is being witnessed.
    pub(super) fn busy(&self) -> bool {
        self.making.is_some()
    }
}

/// A checkpoint being witnessed in the background, and its requests without an answer.
#[derive(Debug)]
struct Making {
    witnessing: Witnessing,
    waiting: BTreeMap<u64, Asked>,
}

/// A request to a witness: its name for the checkpointing node, its role, the step it is
/// given up at.
#[derive(Debug)]
struct Asked {
    name: String,
    role: &'static str,
    until: u64,
}

/// The leaves of `log` up to `size`.
fn leaves_of(log: &MerkleLog<MemoryStore>, size: u64) -> Vec<Hash> {
    let indexes: Option<Vec<u64>> = (0..size)
        .map(|leaf| stored_hash_index(0, leaf).ok())
        .collect();
    indexes
        .and_then(|indexes| log.store().read_hashes(&indexes).ok())
        .unwrap_or_default()
}

/// A log of `leaves`.
fn log_of(leaves: &[Hash]) -> Option<MerkleLog<MemoryStore>> {
    let mut log = MerkleLog::new(MemoryStore::new());
    log.append_leaf_hashes(leaves).ok()?;
    Some(log)
}

fn answer_of(declined: Declined) -> WitnessAnswer {
    match declined {
        Declined::From { size } => WitnessAnswer::From { size },
        Declined::Refused { code, message } => WitnessAnswer::Refused {
            code: code.to_string(),
            message,
        },
    }
}

/// What an observer knows of every checkpoint presented: its log's leaves, by origin, size
/// and root; and, per honest witness and log (origin and key), the largest one it cosigned.
#[derive(Debug, Default)]
pub(super) struct Observer {
    leaves: BTreeMap<(String, u64, Hash), Vec<Hash>>,
    cosigned: BTreeMap<(&'static str, String, PublicKey), Vec<Hash>>,
}

impl Sim {
    /// Whether `role` is honest (the last party misbehaves in byzantine runs).
    pub(super) fn honest(&self, role: &str) -> bool {
        !(self.config.byzantine_cosigner && self.parties.last() == Some(&role))
    }

    /// Every step: each node gives up the requests whose answers did not come in time, and
    /// starts a checkpoint when a batch of leaves became durable since its latest.
    pub(super) fn checkpoint_timers(&mut self) {
        for &role in self.parties {
            self.expire_asks(role);
            self.checkpoint_if_due(role, self.checkpoint_batch);
        }
    }

    /// The size a checkpoint of `role`'s log covers: what its store holds durably (all of its
    /// log with [`super::SimConfig::checkpoint_unflushed`]).
    fn checkpoint_size(&self, role: &str) -> u64 {
        self.nodes.get(role).map_or(0, |node| {
            if self.config.checkpoint_unflushed {
                node.log.log.size()
            } else {
                node.disk.durable_leaves()
            }
        })
    }

    /// Starts a checkpoint of `role`'s log in the background when `batch` leaves became
    /// durable since its latest and none is being witnessed.
    pub(super) fn checkpoint_if_due(&mut self, role: &'static str, batch: u64) {
        let size = self.checkpoint_size(role);
        let Some(node) = self.nodes.get(role) else {
            return;
        };
        let last = node
            .checkpoints
            .latest
            .as_ref()
            .map_or(0, |(size, _)| *size);
        if !witness::checkpoint_due(size, last, batch, node.checkpoints.busy()) {
            return;
        }
        let Some((witnessing, asks)) = self.start_checkpoint(role, size) else {
            return;
        };
        if let Some(node) = self.nodes.get_mut(role) {
            node.checkpoints.making = Some(Making {
                witnessing,
                waiting: BTreeMap::new(),
            });
        }
        for ask in asks {
            self.send_ask(role, ask);
        }
        self.finish_if_answered(role);
        self.run_local();
        if !self.honest(role) && !self.healing {
            for witness in self.others(role) {
                self.dishonest_checkpoint(role, witness);
            }
        }
    }

    /// Signs a checkpoint of `role`'s log at `size` and names whom to ask from which size.
    fn start_checkpoint(
        &mut self,
        role: &'static str,
        size: u64,
    ) -> Option<(Witnessing, Vec<Ask>)> {
        let node = self.nodes.get(role)?;
        let started = node
            .log
            .log
            .root_at(size)
            .map_err(|e| e.to_string())
            .and_then(|root| {
                let checkpoint =
                    Checkpoint::new(&node.log.origin, size, root).map_err(|e| e.to_string())?;
                let parties = &node.protocol.core().contract().parties;
                let witnesses = witness::witnesses(&[], parties, &node.key.public_key());
                let believed = &node.checkpoints.witnessed_by;
                Witnessing::start(&checkpoint, &node.key, witnesses, believed)
                    .map(|started| (started, root))
                    .map_err(|e| e.to_string())
            });
        match started {
            Ok((started, root)) => {
                let leaves = leaves_of(&node.log.log, size);
                let origin = node.log.origin.clone();
                self.observer.leaves.insert((origin, size, root), leaves);
                Some(started)
            }
            Err(error) => {
                self.broken = Some(format!("{role} cannot sign a checkpoint: {error}"));
                None
            }
        }
    }

    /// The request `ask` of `owner`'s background checkpoint, through the network (failing
    /// at once over a cut link, answered after the actions at hand).
    fn send_ask(&mut self, owner: &'static str, ask: Ask) {
        let Some(witness) = self.role_of(&ask.key) else {
            return;
        };
        let id = self.next_request;
        self.next_request += 1;
        let until = self.step.saturating_add(WITNESS_PATIENCE);
        let reachable = self.linked(owner, witness);
        let Some(node) = self.nodes.get_mut(owner) else {
            return;
        };
        let incarnation = node.incarnation;
        let Some(making) = node.checkpoints.making.as_mut() else {
            return;
        };
        let asked = Asked {
            name: ask.name.clone(),
            role: witness,
            until,
        };
        making.waiting.insert(id, asked);
        let note = making.witnessing.presented().to_string();
        let size = making.witnessing.size();
        let proof = proof(&node.log.log, &ask, size).and_then(|proof| {
            reachable
                .then_some(proof)
                .ok_or_else(|| "the witness's node is unreachable".to_string())
        });
        let proof = match proof {
            Ok(proof) => proof,
            Err(reason) => {
                let answer = WitnessAnswer::NoAnswer { reason };
                let msg = Msg::Witnessed {
                    incarnation,
                    id,
                    answer,
                };
                self.local.push((owner, msg));
                return;
            }
        };
        let request = Msg::Witness {
            from: owner,
            incarnation,
            id,
            note,
            from_size: ask.from_size,
            proof,
        };
        self.send(owner, witness, request);
    }

    /// Answers the requests that could not be sent.
    fn run_local(&mut self) {
        let local = std::mem::take(&mut self.local);
        for (to, msg) in local {
            self.handle(to, msg);
        }
    }

    /// A checkpoint reaches `witness`'s node from `owner`'s: its answer goes back (none if
    /// withheld).
    pub(super) fn on_witness(
        &mut self,
        witness: &'static str,
        owner: &'static str,
        (incarnation, id): (u64, u64),
        note: &str,
        from_size: u64,
        proof: &[Digest],
    ) {
        if let Some(answer) = self.witness_answer(witness, owner, note, from_size, proof) {
            let msg = Msg::Witnessed {
                incarnation,
                id,
                answer,
            };
            self.send(witness, owner, msg);
        }
    }

    /// What `witness`'s node answers `owner`'s node presenting `note` with a proof from
    /// `from_size` (`checkpoints.rs::on_witness`): the log's key is its sender's, what it
    /// remembers of the origin decides, and a cosignature is stored (flushed) before it
    /// leaves. The dishonest party cosigns garbage or withholds (`None`) one time in three.
    fn witness_answer(
        &mut self,
        witness: &'static str,
        owner: &'static str,
        note: &str,
        from_size: u64,
        proof: &[Digest],
    ) -> Option<WitnessAnswer> {
        if self.misbehaves(witness) {
            return self.dishonest_cosignature(witness);
        }
        let log_key = self.key_of(owner)?;
        let presented = match Presented::parse(note) {
            Ok(presented) => presented,
            Err(declined) => return Some(self.declined(answer_of(declined))),
        };
        let memory = witness::memory_key(presented.origin(), &log_key);
        let skip = self.config.witness_skips_consistency;
        let now = self.clock(witness).max(0) as u64;
        let node = self.nodes.get_mut(witness)?;
        let remembered = if skip {
            None
        } else {
            node.witnessed.get(&memory).copied()
        };
        let from_size = if skip { 0 } else { from_size };
        let name = node.log.origin.clone();
        let judged = presented.judge(
            log_key,
            from_size,
            proof,
            remembered.as_ref(),
            (&name, &node.key),
            now,
        );
        let Cosigned { line, remember } = match judged {
            Ok(cosigned) => cosigned,
            Err(declined) => return Some(self.declined(answer_of(declined))),
        };
        let flush = !self.config.witness_answers_unflushed;
        let write = Write::Witnessed {
            memory: memory.clone(),
            record: remember,
        };
        node.disk.write(write, flush);
        node.witnessed.insert(memory, remember);
        self.observe_cosigned(witness, log_key, note);
        self.report.checkpoints_cosigned += 1;
        Some(WitnessAnswer::Cosignature {
            name: line.name().to_string(),
            key_id: line.key_id(),
            signature: line.signature().to_vec(),
        })
    }

    /// Counts an honest witness's answer that is not a cosignature.
    fn declined(&mut self, answer: WitnessAnswer) -> WitnessAnswer {
        let outcome = match &answer {
            WitnessAnswer::From { .. } => "asked for a proof from the size it cosigned".to_string(),
            WitnessAnswer::Refused { code, .. } => code.clone(),
            _ => "other".to_string(),
        };
        *self.report.witness_answers.entry(outcome).or_default() += 1;
        answer
    }

    /// The dishonest witness: a cosignature of garbage (that its presenter must drop), or
    /// nothing.
    fn dishonest_cosignature(&mut self, witness: &'static str) -> Option<WitnessAnswer> {
        self.report.byzantine_acts += 1;
        self.report.dishonest_cosignatures += 1;
        if self.next(2) == 0 {
            return None;
        }
        let name = self.nodes.get(witness)?.log.origin.clone();
        let garbage = self.garbage_signature();
        Some(WitnessAnswer::Cosignature {
            name,
            key_id: 0,
            signature: garbage.to_bytes().to_vec(),
        })
    }

    /// Invariant: an honest witness cosigns a checkpoint only if its presenter's key signed
    /// it, and never two of one log (origin and key) that are not consistent, across its
    /// crashes (the observer keeps what it cosigned).
    fn observe_cosigned(&mut self, witness: &'static str, log_key: PublicKey, note: &str) {
        if !self.honest(witness) {
            return;
        }
        let parsed = SignedNote::parse(note).and_then(|signed| {
            let checkpoint = Checkpoint::parse(signed.text())?;
            let key = NoteVerifierKey::log(checkpoint.origin(), log_key)?;
            signed.verify(&[key])?;
            Ok(checkpoint)
        });
        let checkpoint = match parsed {
            Ok(checkpoint) => checkpoint,
            Err(error) => {
                self.broken = Some(format!(
                    "{witness} cosigned a checkpoint its presenter's log key did not sign: {error}"
                ));
                return;
            }
        };
        let origin = checkpoint.origin().to_string();
        let (size, root) = (checkpoint.size(), *checkpoint.root());
        let Some(leaves) = self.observer.leaves.get(&(origin.clone(), size, root)) else {
            self.broken = Some(format!(
                "{witness} cosigned a checkpoint of {origin} at {size} that no log has"
            ));
            return;
        };
        let log = (witness, origin.clone(), log_key);
        if let Some(before) = self.observer.cosigned.get(&log) {
            let extends = before.len() <= leaves.len() && leaves[..before.len()] == before[..];
            if !extends {
                let what = if leaves.len() < before.len() {
                    "a rollback"
                } else {
                    "a fork"
                };
                let signer = self.role_of(&log_key).unwrap_or("a stranger");
                self.broken = Some(format!(
                    "{witness} cosigned {what} of the log {origin} signed by {signer}: size {size} after size {}",
                    before.len()
                ));
                return;
            }
        }
        let leaves = leaves.clone();
        self.observer.cosigned.insert(log, leaves);
    }

    /// A witness's answer reaches `owner`'s node (dropped if it restarted since, or if the
    /// request was answered or given up already).
    pub(super) fn on_witness_answer(
        &mut self,
        owner: &'static str,
        incarnation: u64,
        id: u64,
        answer: WitnessAnswer,
    ) {
        let Some(node) = self.nodes.get_mut(owner) else {
            return;
        };
        if node.incarnation != incarnation {
            return;
        }
        let Some(mut making) = node.checkpoints.making.take() else {
            return;
        };
        let again = self.answer_request(owner, &mut making, id, answer);
        if let Some(node) = self.nodes.get_mut(owner) {
            node.checkpoints.making = Some(making);
        }
        if let Some(ask) = again {
            self.send_ask(owner, ask);
        }
        self.finish_if_answered(owner);
        self.run_local();
    }

    /// The answer to request `id` of `owner`'s background checkpoint (dropped if that request
    /// was answered or given up already); the next request, if any.
    fn answer_request(
        &mut self,
        owner: &'static str,
        making: &mut Making,
        id: u64,
        answer: WitnessAnswer,
    ) -> Option<Ask> {
        let asked = making.waiting.remove(&id)?;
        let witnessing = &mut making.witnessing;
        self.take_answer(owner, asked.role, &asked.name, answer, witnessing)
    }

    /// `witness`'s answer (`name`, for the log) to `owner`'s `witnessing`, checked: an honest
    /// node's checkpoint is never refused by an honest witness. The next request, if any.
    fn take_answer(
        &mut self,
        owner: &'static str,
        witness: &'static str,
        name: &str,
        answer: WitnessAnswer,
        witnessing: &mut Witnessing,
    ) -> Option<Ask> {
        match &answer {
            WitnessAnswer::Refused { code, message }
                if self.honest(owner) && self.honest(witness) =>
            {
                self.broken = Some(format!(
                    "{witness} refused {owner}'s checkpoint at {}: {code}: {message}",
                    witnessing.size()
                ));
            }
            WitnessAnswer::From { .. } => self.report.proofs_asked += 1,
            WitnessAnswer::NoAnswer { .. } => self.report.witness_requests_failed += 1,
            _ => {}
        }
        let answer = match answer {
            WitnessAnswer::From { .. } if self.config.owner_drops_from_answers => {
                WitnessAnswer::NoAnswer {
                    reason: "dropped".into(),
                }
            }
            answer => answer,
        };
        witnessing.on_answer(name, answer)
    }

    /// Gives up `role`'s requests whose answers did not come in time.
    fn expire_asks(&mut self, role: &'static str) {
        let step = self.step;
        self.give_up(role, |asked| asked.until <= step);
    }

    /// Gives up `role`'s requests `expired` names, as timed out.
    fn give_up(&mut self, role: &'static str, expired: impl Fn(&Asked) -> bool) {
        let Some(node) = self.nodes.get_mut(role) else {
            return;
        };
        let Some(mut making) = node.checkpoints.making.take() else {
            return;
        };
        let late: Vec<u64> = making
            .waiting
            .iter()
            .filter(|(_, asked)| expired(asked))
            .map(|(id, _)| *id)
            .collect();
        for id in late {
            let answer = WitnessAnswer::NoAnswer {
                reason: "timed out".into(),
            };
            let _ = self.answer_request(role, &mut making, id, answer);
        }
        if let Some(node) = self.nodes.get_mut(role) {
            node.checkpoints.making = Some(making);
        }
        self.finish_if_answered(role);
    }

    /// Stores `role`'s background checkpoint once no request is outstanding.
    fn finish_if_answered(&mut self, role: &'static str) {
        let done = self.nodes.get_mut(role).and_then(|node| {
            let answered = node
                .checkpoints
                .making
                .as_ref()
                .is_some_and(|making| making.waiting.is_empty());
            answered.then(|| node.checkpoints.making.take()).flatten()
        });
        if let Some(making) = done {
            self.store_checkpoint(role, making.witnessing.finish());
        }
    }

    /// `make_checkpoint`'s end: the checkpoint stored (flushed), then kept as the latest and
    /// its witnesses believed to have seen its size.
    fn store_checkpoint(&mut self, role: &'static str, witnessed: Witnessed) {
        let Some(node) = self.nodes.get_mut(role) else {
            return;
        };
        let write = Write::Checkpoint {
            size: witnessed.size,
            note: witnessed.text.clone(),
        };
        node.disk.write(write, true);
        self.report.checkpoints += 1;
        self.report.cosignatures += witnessed.cosigned_by.len() as u64;
        let Checkpoints {
            latest,
            witnessed_by,
            ..
        } = &mut node.checkpoints;
        witness::keep(latest, witnessed_by, witnessed);
    }

    /// A checkpoint of `role`'s durable log made within an export (`make_checkpoint` awaited
    /// by `export_bundle`): each request lost one time in ten (timed out) or failing over a
    /// cut link, else answered at once. A checkpoint being witnessed in the background goes on.
    pub(super) fn checkpoint_now(&mut self, role: &'static str) {
        let size = self.checkpoint_size(role);
        let Some((mut witnessing, mut asks)) = self.start_checkpoint(role, size) else {
            return;
        };
        self.report.checkpoints_at_export += 1;
        while !asks.is_empty() {
            let mut again = Vec::new();
            for ask in asks {
                let Some(witness) = self.role_of(&ask.key) else {
                    continue;
                };
                let answer = self.ask_now(role, witness, &ask, &witnessing);
                again.extend(self.take_answer(role, witness, &ask.name, answer, &mut witnessing));
            }
            asks = again;
        }
        self.store_checkpoint(role, witnessing.finish());
    }

    /// `witness`'s answer to `ask` of `owner`'s `witnessing`, at once.
    fn ask_now(
        &mut self,
        owner: &'static str,
        witness: &'static str,
        ask: &Ask,
        witnessing: &Witnessing,
    ) -> WitnessAnswer {
        let no_answer = |reason: &str| WitnessAnswer::NoAnswer {
            reason: reason.into(),
        };
        if !self.linked(owner, witness) {
            return no_answer("the witness's node is unreachable");
        }
        if !self.healing && self.next(10) == 0 {
            self.report.messages_lost += 1;
            return no_answer("timed out");
        }
        let Some(node) = self.nodes.get(owner) else {
            return no_answer("no node");
        };
        let proof = match proof(&node.log.log, ask, witnessing.size()) {
            Ok(proof) => proof,
            Err(reason) => return no_answer(&reason),
        };
        let note = witnessing.presented().to_string();
        self.witness_answer(witness, owner, &note, ask.from_size, &proof)
            .unwrap_or_else(|| no_answer("withheld"))
    }

    /// The dishonest party shows `witness` a checkpoint it must not cosign: of its own log
    /// rolled back below what the witness cosigned (as it believes), or forked below it, or
    /// signed by a key not its log's; or in another party's origin, extending what the
    /// witness cosigned of that log with leaves of its own, signed with its own key. Shown
    /// from the size the witness cosigned or from none; the answers are not followed.
    fn dishonest_checkpoint(&mut self, role: &'static str, witness: &'static str) {
        let witnesses = self.others(role);
        let act = self.next(4);
        let Some(node) = self.nodes.get(role) else {
            return;
        };
        let believed = node.checkpoints.witnessed_by.get(witness).copied();
        let own = leaves_of(&node.log.log, node.log.log.size());
        let (own_origin, own_key) = (node.log.origin.clone(), node.key.clone());
        let forged = |n: u64| leaf_hash(format!("forged leaf {n}").as_bytes());
        let held = own.len() as u64;
        let (origin, leaves, key, from) = match (act, believed) {
            // Rolled back below what the witness cosigned.
            (0, Some(seen)) if seen >= 2 && seen <= held => {
                let size = 1 + self.next(seen - 1);
                (own_origin, own[..size as usize].to_vec(), own_key, seen)
            }
            // Forked below it.
            (0 | 1, Some(seen)) if seen >= 1 && seen <= held => {
                let kept = self.next(seen);
                let size = seen + self.next(3);
                let mut leaves = own[..kept as usize].to_vec();
                leaves.extend((kept..size).map(forged));
                (own_origin, leaves, own_key, seen)
            }
            // Another party's log, extended with leaves of its own.
            (3, _) => {
                let others: Vec<&'static str> = witnesses
                    .iter()
                    .copied()
                    .filter(|party| *party != witness)
                    .collect();
                if others.is_empty() {
                    return;
                }
                let victim = others[self.next(others.len() as u64) as usize];
                let (Some(victim), Some(at)) = (self.nodes.get(victim), self.nodes.get(witness))
                else {
                    return;
                };
                let origin = victim.log.origin.clone();
                let memory = witness::memory_key(&origin, &victim.key.public_key());
                let seen = at.witnessed.get(&memory).map_or(0, |record| record.size);
                let mut leaves = leaves_of(&victim.log.log, seen.min(victim.log.log.size()));
                let kept = leaves.len() as u64;
                leaves.extend((kept..kept + 2).map(forged));
                (origin, leaves, own_key, seen)
            }
            // Signed by a key that is not its log's.
            _ => {
                let stranger = example_key(&format!("sim stranger of {role}"));
                (own_origin, own, stranger, 0)
            }
        };
        let size = leaves.len() as u64;
        let Some(log) = log_of(&leaves) else {
            return;
        };
        let Ok(root) = log.root() else {
            return;
        };
        let signed = Checkpoint::new(&origin, size, root)
            .and_then(|checkpoint| sign_checkpoint(&checkpoint, &key));
        let Ok(note) = signed.map(|note| note.to_text()) else {
            return;
        };
        self.observer.leaves.insert((origin, size, root), leaves);
        let from_size = if self.next(2) == 0 { 0 } else { from };
        let proof = if (1..size).contains(&from_size) {
            log.consistency_proof(from_size, size)
                .map(|proof| proof.into_iter().map(Digest).collect())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        self.report.byzantine_acts += 1;
        self.report.dishonest_checkpoints += 1;
        let Some(incarnation) = self.nodes.get(role).map(|node| node.incarnation) else {
            return;
        };
        // A request of its own: its answer is not followed.
        let id = self.next_request;
        self.next_request += 1;
        let request = Msg::Witness {
            from: role,
            incarnation,
            id,
            note,
            from_size,
            proof,
        };
        self.send(role, witness, request);
    }

    /// Invariant after the final heal: every honest node's latest checkpoint covers its
    /// durable log and carries a valid cosignature of every other honest party.
    pub(super) fn check_witnessed(&self) -> Result<(), String> {
        self.parties
            .iter()
            .filter(|role| self.honest(role))
            .try_for_each(|owner| self.check_cosigned(owner))
    }

    /// `owner`'s latest checkpoint covers its durable log and carries a valid cosignature of
    /// every other honest party.
    fn check_cosigned(&self, owner: &str) -> Result<(), String> {
        let Some(node) = self.nodes.get(owner) else {
            return Ok(());
        };
        let Some((size, text)) = &node.checkpoints.latest else {
            return Err(format!("{owner}'s node has no checkpoint after the heal"));
        };
        let durable = node.disk.durable_leaves();
        if *size != durable {
            return Err(format!(
                "{owner}'s latest checkpoint covers {size} leaves of its {durable} after the heal"
            ));
        }
        let note = SignedNote::parse(text).map_err(|e| e.to_string())?;
        for &witness in self.parties {
            if witness == owner || !self.honest(witness) {
                continue;
            }
            let Some(at) = self.nodes.get(witness) else {
                continue;
            };
            let key = NoteVerifierKey::witness(&at.log.origin, at.key.public_key())
                .map_err(|e| e.to_string())?;
            if note.verify(&[key]).is_err() {
                return Err(format!(
                    "{owner}'s latest checkpoint (size {size}) is not cosigned by {witness} after the heal"
                ));
            }
        }
        Ok(())
    }

    /// At the heal: every node logs one more leaf, durably, and checkpoints it (its witnesses
    /// all reachable and honest now).
    pub(super) fn checkpoint_after_the_heal(&mut self) {
        for &role in self.parties {
            if let Some(node) = self.nodes.get_mut(role) {
                let data = format!("other order, after the heal, at {role}").into_bytes();
                if node.log.append_other(&data).is_ok() {
                    node.disk.write(Write::Other(data), true);
                }
            }
            self.checkpoint_if_due(role, 1);
        }
    }

    /// Whether some node is witnessing a checkpoint (for the settling heal).
    pub(super) fn witnessing(&self) -> bool {
        self.nodes.values().any(|node| node.checkpoints.busy())
    }

    /// Nothing in flight: every node gives up its outstanding requests (their answers were
    /// lost).
    pub(super) fn give_up_all(&mut self) {
        for &role in self.parties {
            self.give_up(role, |_| true);
        }
    }
}

/// The consistency proof `ask` needs to a checkpoint of `log` at `size`.
fn proof(log: &MerkleLog<MemoryStore>, ask: &Ask, size: u64) -> Result<Vec<Digest>, String> {
    if !ask.proof {
        return Ok(Vec::new());
    }
    log.consistency_proof(ask.from_size, size)
        .map(|proof| proof.into_iter().map(Digest).collect())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use crate::sim::{disk::Write, Sim, SEQUENCER};

    /// The seller's node logs another order's entry, durably, and checkpoints its log; every
    /// request and answer is delivered.
    fn log_and_checkpoint(sim: &mut Sim, n: u32) {
        let data = format!("another order's entry {n}").into_bytes();
        let Some(node) = sim.nodes.get_mut(SEQUENCER) else {
            panic!("no seller");
        };
        node.log.append_other(&data).unwrap();
        node.disk.write(Write::Other(data), true);
        sim.checkpoint_if_due(SEQUENCER, 1);
        sim.deliver_all();
    }

    #[test]
    fn a_node_that_forgot_what_its_witnesses_saw_is_asked_for_proofs_from_what_they_cosigned() {
        let mut sim = Sim::opened(7);
        log_and_checkpoint(&mut sim, 1);
        assert_eq!(sim.report.checkpoints, 1);
        assert_eq!(
            sim.report.cosignatures, 2,
            "the buyer and the carrier cosign"
        );
        assert_eq!(sim.report.proofs_asked, 0);
        // The seller's node crashes: its checkpoint is stored, what its witnesses saw is not.
        sim.crash_losing_every_unflushed_write(SEQUENCER);
        assert_eq!(
            sim.nodes[SEQUENCER]
                .checkpoints
                .latest
                .as_ref()
                .map(|l| l.0),
            Some(2)
        );
        // Its next checkpoint is shown to each witness without a proof; each asks for one from
        // the size it cosigned, and cosigns once shown it.
        log_and_checkpoint(&mut sim, 2);
        assert_eq!(sim.report.proofs_asked, 2);
        assert_eq!(sim.report.cosignatures, 4);
        assert_eq!(sim.report.witness_answers.values().sum::<u64>(), 2);
        sim.check_cosigned(SEQUENCER).unwrap();
        sim.check().unwrap();
    }
}
