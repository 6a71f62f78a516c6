//! `verify_bundle`: the eight numbered steps, each failing with its own [`VerifyError`] variant
//! naming the entry.
//!
//! 1. strict decode of the bundle, contract, every entry, event and review, head, checkpoint;
//! 2. the sources hash to the contract's `sources`, compile, and give the contract's clause ids
//!    (and the bundle's IR);
//! 3. every party signed the contract, with the keys the trust policy pins;
//! 4. per entry: order, sequence (reorder, gap, duplicate, equivocation), hash chain, genesis
//!    position, attester authority, signer sets, then the head (truncation) — structure — and
//!    every signature (parties, attesters, reviews) in batches;
//! 5. replay from genesis: every recorded body must equal the replayed one (equal decoded values
//!    of strictly decoded bytes are equal bytes), state hashes included;
//! 6. the breaker: a mismatch where replay held an amendment that history applied is reported
//!    as a breaker violation (bypassed, backdated or while paused);
//! 7. the checkpoint's signature and cosignatures against the trust policy, then the inclusion
//!    of every entry;
//! 8. with remembered state, consistency with the last checkpoint seen for the origin and the
//!    last entry seen of the order (sans-IO: the caller keeps [`Remembered`]);
//! 9. heads presented beside the bundle: none contradicts an entry; a newer one makes the
//!    report STALE, naming the missing entries.
//!
//! The per-entry parts of steps 1, 4, 5, 6 and 7 run together on every core (see
//! `entries`), but the verdict is the one the steps would give one after the other: the
//! failure reported is the first by step (structure before signatures within step 4), then by
//! entry.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use contract_lang::eval::WorkedAmount;
use contract_lang::ir::Program;
use serde::Serialize;

use super::entries::{check_entries, Context, Decoded};
use super::error::{
    DecodeError, EntryError, GenesisError, LogError, ReplayError, SourcesError, VerifyError,
};
use super::format::{split_entries, Bundle, Head, SignedHead, Source};
use super::freshness::{self, AsOf, Freshness};
use super::state_dir::{self, Consistency, Remembered};
use crate::checkpoint::{Checkpoint, NoteError, SignedNote, TrustPolicy};
use crate::model::{
    Agreement, Close, Contract, Digest, EntryBody, Event, Obligation, OrderId, Review, Step,
};
use crate::sign::PublicKey;
use crate::state::{
    check_contract, AgreementError, Compile, ContractError, Machine, ProgramSource,
    Signatures::All, State, WorkedFact,
};

/// What the verifier trusts: the log's key and witnesses, and the parties' keys.
#[derive(Clone, Debug)]
pub struct Trust {
    pub log: TrustPolicy,
    /// Role → pinned key. When not empty, the contract's parties must be exactly these.
    pub parties: BTreeMap<String, PublicKey>,
}

/// How to verify.
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// What earlier verifications remembered: step 8 checks the bundle against it and the
    /// report says what to remember next ([`Report::remember`]). `None` skips step 8.
    pub remembered: Option<Remembered>,
    /// Heads of the order signed by its parties, presented beside the bundle (step 9).
    pub heads: Vec<SignedHead>,
    /// Worker threads for decoding and signatures; 0 uses every core.
    pub threads: usize,
}

/// A verified order history.
#[derive(Clone, Debug)]
pub struct Report {
    pub order: OrderId,
    pub contract: Contract,
    pub program: Arc<Program>,
    /// The programs in force over the history, in order: the genesis program from seq 0, then
    /// each one an agreement brought into force, from that agreement's seq. See
    /// [`Report::program_before`].
    pub programs: Vec<(u64, Arc<Program>)>,
    pub entries: Vec<VerifiedEntry>,
    /// The order's state after the last entry.
    pub state: State,
    pub checkpoint: Checkpoint,
    /// Names of the witnesses whose cosignatures counted.
    pub witnesses: Vec<String>,
    /// Step 8's finding, if remembered state was given.
    pub consistency: Option<Consistency>,
    /// What to remember from now on (step 8), if remembered state was given.
    pub remember: Option<Remembered>,
    /// What the bundle proves: the order as of its last entry.
    pub as_of: AsOf,
    /// Step 9's finding about the presented heads.
    pub freshness: Freshness,
    pub breaker: BreakerSummary,
    /// Signatures checked in step 4.
    pub signatures_checked: usize,
}

impl Report {
    /// The program entry `seq` was evaluated under: the one in force before it (the genesis
    /// program for the genesis). A timeline names a clause with the title it had then, so an
    /// entry before an upgrade or a removal shows the clause as the parties had agreed it.
    pub fn program_before(&self, seq: u64) -> &Program {
        self.programs
            .iter()
            .take_while(|(from, _)| *from < seq || *from == 0)
            .last()
            .map_or(&*self.program, |(_, program)| &**program)
    }

    /// How the obligation `obligation` of entry `seq` was computed by that entry's own
    /// evaluation of the fact recorded at entry `fact`: an event's of itself (`fact == seq`),
    /// or a review's re-evaluation of a fact held while the order was paused
    /// ([`Reevaluation::seq`](crate::model::Reevaluation::seq)); two held facts may come to the
    /// same clause, rule and amount from other values. Entries are in seq order (step 4), so
    /// entry `seq` is found by bisection, not by a scan that grows with the history. For what
    /// a review *approved*, see [`Report::worked_approved`].
    pub fn worked(&self, seq: u64, fact: u64, obligation: &Obligation) -> Option<&WorkedAmount> {
        let at = self.entry_index(seq)?;
        self.entries[at]
            .worked
            .iter()
            .filter(|group| group.fact == fact)
            .flat_map(|group| &group.amounts)
            .find(|worked| computes(worked, obligation))
    }

    /// How the obligation `obligation` that review `seq` approved was computed: when the
    /// breaker held it, at the latest earlier entry that computed the same amount by the same
    /// rule. Never the review's own re-evaluations: one of them may come to the same clause,
    /// rule and amount from other values, and would explain the approved amount wrongly.
    pub fn worked_approved(&self, seq: u64, obligation: &Obligation) -> Option<&WorkedAmount> {
        self.approved_computation(seq, obligation)
            .map(|(_, worked)| worked)
    }

    /// [`Report::worked_approved`] with the seq of the fact it was computed from.
    pub fn approved_computation(
        &self,
        seq: u64,
        obligation: &Obligation,
    ) -> Option<(u64, &WorkedAmount)> {
        let at = self.entry_index(seq)?;
        if !matches!(self.entries[at].body.step, Step::Review(_)) {
            return None;
        }
        self.entries[..at].iter().rev().find_map(|earlier| {
            earlier.worked.iter().find_map(|group| {
                let worked = group.amounts.iter().find(|w| computes(w, obligation))?;
                Some((group.fact, worked))
            })
        })
    }

    /// The index of entry `seq` in [`Report::entries`].
    fn entry_index(&self, seq: u64) -> Option<usize> {
        let at = self.entries.partition_point(|entry| entry.body.seq < seq);
        self.entries
            .get(at)
            .filter(|entry| entry.body.seq == seq)
            .map(|_| at)
    }

    /// The program in force once entry `seq` applied (another one only after an agreement).
    pub fn program_after(&self, seq: u64) -> &Program {
        self.programs
            .iter()
            .take_while(|(from, _)| *from <= seq)
            .last()
            .map_or(&*self.program, |(_, program)| &**program)
    }
}

/// Whether `worked` is the computation of `obligation`: the same clause, rule and amount.
fn computes(worked: &WorkedAmount, obligation: &Obligation) -> bool {
    worked.source.clause == obligation.clause
        && worked.source.rule == obligation.rule
        && worked.amount == obligation.amount
}

/// One verified entry, decoded.
#[derive(Clone, Debug)]
pub struct VerifiedEntry {
    pub hash: Digest,
    pub body: EntryBody,
    /// Roles that signed the entry (all parties).
    pub signers: Vec<String>,
    pub event: Option<Event>,
    /// The attester's name, for an event.
    pub attester: Option<String>,
    pub review: Option<Review>,
    /// The close, for the entry that closed the order.
    pub close: Option<Close>,
    /// The agreement, for an entry that amended the order by agreement.
    pub agreement: Option<Agreement>,
    pub leaf_index: u64,
    /// How replay computed each amount this entry's evaluations transferred (applied, held by
    /// the breaker, or re-evaluated after a review), per fact evaluated, in evaluation order;
    /// derived from the clause's IR and the values it read, not recorded in the entry. An
    /// obligation's explanation is found with [`Report::worked`]; render it with
    /// [`contract_lang::render::worked`].
    pub worked: Vec<WorkedFact>,
}

impl VerifiedEntry {
    /// Every amount this entry's evaluations computed, fact after fact.
    pub fn worked_amounts(&self) -> impl Iterator<Item = &WorkedAmount> {
        self.worked.iter().flat_map(|group| &group.amounts)
    }
}

/// What step 6 saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BreakerSummary {
    pub trips: u64,
    pub reviews: u64,
    /// Entries handed to review (conflicts, `review` actions, evaluation errors).
    pub handed_to_review: u64,
    /// Facts recorded while the order was paused.
    pub paused_facts: u64,
    /// Amendments by agreement of the parties (not counted by the breaker).
    #[serde(skip_serializing_if = "is_zero")]
    pub agreements: u64,
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

/// Verifies a bundle's bytes. See the module documentation for the steps.
pub fn verify_bundle(
    bytes: &[u8],
    trust: &Trust,
    options: &VerifyOptions,
) -> Result<Report, VerifyError> {
    // No clock is read here: verification is a pure function of its inputs (and runs in a
    // browser, where `Instant::now` does not exist). Where threads do not exist either, the
    // platform reports one core and the per-entry work runs on the calling thread.
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };

    // Step 1, the bundle's own parts (its entries are decoded with the per-entry work).
    let (bundle, entry_bytes) = Bundle::parse(bytes).map_err(DecodeError::Bundle)?;
    let contract = bundle.contract.contract().map_err(DecodeError::Contract)?;
    let order = bundle.contract.order_id();
    let raw_entries =
        split_entries(&bundle.entry_lengths, entry_bytes).map_err(DecodeError::EntryBytes)?;
    if raw_entries.is_empty() {
        return Err(DecodeError::NoEntries.into());
    }
    let head = bundle.head.head().map_err(DecodeError::Head)?;
    let note = SignedNote::parse(&bundle.checkpoint).map_err(DecodeError::Checkpoint)?;
    let checkpoint = Checkpoint::parse(note.text()).map_err(DecodeError::Checkpoint)?;

    // Steps 2 and 3: the contract check every party's node runs too, then the bundle's copy of
    // the IR and the trust policy. Their failures wait until every entry is known to decode: a
    // decoding failure is step 1, and is reported first.
    let compiled = Arc::new(KeepGenesisProgram::default());
    let machine = check_contract(&bundle.contract, &bundle.sources, compiled.clone(), All)
        .map(Machine::explaining);
    let early = first_contract_failure(
        machine.as_ref().err(),
        compiled
            .0
            .get()
            .map(|program| check_ir(&bundle, &contract, program)),
        check_trust(&contract, trust),
    );

    // Steps 1 (entries), 4, 5, 6 and 7 (inclusion) entry by entry, on every core.
    let context = Context {
        contract: &contract,
        signed_contract: &bundle.contract,
        machine: machine.as_ref().ok().filter(|_| early.is_none()),
        order,
        tree: (checkpoint.size(), *checkpoint.root()),
    };
    let findings = check_entries(&raw_entries, &context, threads);
    if let Some(error) = findings.decode {
        return Err(error);
    }
    if let Some(error) = early {
        return Err(error);
    }
    let machine = machine.map_err(VerifyError::from)?;
    if let Some(error) = findings.structure {
        return Err(error);
    }
    check_head(&contract, order, &bundle.head, &head, &findings.entries)?;
    if let Some(error) = findings.signature {
        return Err(error);
    }
    if let Some(error) = findings.replay {
        return Err(error);
    }
    let state = findings.state.ok_or(VerifyError::Replay {
        index: 0,
        error: ReplayError::Body,
    })?;

    // Step 7: the checkpoint, then every entry's inclusion.
    let witnesses = check_note(&trust.log, &note)?;
    if head.log_size != checkpoint.size() {
        return Err(LogError::HeadSize {
            head: head.log_size,
            checkpoint: checkpoint.size(),
        }
        .into());
    }
    if let Some((index, leaf, previous)) = findings.leaf_order {
        return Err(LogError::LeafOrder {
            index,
            leaf,
            previous,
        }
        .into());
    }
    if let Some((index, error, none_included)) = findings.inclusion {
        return Err(if none_included {
            LogError::NothingIncluded {
                root: Digest(*checkpoint.root()),
                size: checkpoint.size(),
            }
        } else {
            LogError::Inclusion { index, error }
        }
        .into());
    }

    // Step 8: consistency with what this verifier saw before.
    let hashes: Vec<Digest> = findings.entries.iter().map(|entry| entry.hash).collect();
    let (consistency, remember) = match &options.remembered {
        Some(remembered) => {
            let presented = state_dir::Presented {
                note: &bundle.checkpoint,
                checkpoint: &checkpoint,
                proofs: &bundle.consistency,
                witnesses: &witnesses,
                order,
                entries: &hashes,
            };
            let (consistency, remember) = state_dir::check(remembered, &presented)?;
            (Some(consistency), Some(remember))
        }
        None => (None, None),
    };
    // Step 9: heads presented beside the bundle.
    let freshness = freshness::check(&contract, order, &hashes, &options.heads)?;
    let last = findings
        .entries
        .last()
        .ok_or(VerifyError::Decode(DecodeError::NoEntries))?;
    let as_of = AsOf {
        seq: last.body.seq,
        entry: last.hash,
        at: last
            .body
            .time(contract.genesis_at)
            .map_err(|error| DecodeError::Entry {
                index: last.body.seq,
                error,
            })?,
        cosigned_by: last.signed.signatures.keys().cloned().collect(),
    };

    let signers: Vec<String> = contract.parties.keys().cloned().collect();
    let mut worked = findings.worked;
    let entries = findings
        .entries
        .into_iter()
        .zip(findings.attesters)
        .map(|(decoded, attester)| VerifiedEntry {
            worked: worked.remove(&decoded.body.seq).unwrap_or_default(),
            hash: decoded.hash,
            body: decoded.body,
            signers: signers.clone(),
            event: decoded.event,
            attester,
            review: decoded.review,
            close: decoded.close,
            agreement: decoded.agreement,
            leaf_index: decoded.leaf_index,
        })
        .collect();
    let mut programs = vec![(0, machine.shared_program())];
    programs.extend(findings.programs);
    Ok(Report {
        order,
        programs,
        // The rules in force at the end: clauses an agreement added have their titles.
        program: machine.rules(&state).shared_program(),
        contract,
        entries,
        state,
        checkpoint,
        witnesses,
        consistency,
        remember,
        as_of,
        freshness,
        breaker: findings.summary,
        signatures_checked: findings.signatures,
    })
}

/// The first of the contract's failures by step: the contract check's own before step 3, the
/// bundle's IR (step 2), the trust policy's pins, then the parties' signatures (step 3).
fn first_contract_failure(
    contract: Option<&ContractError>,
    ir: Option<Result<(), SourcesError>>,
    trust: Result<(), GenesisError>,
) -> Option<VerifyError> {
    let (before_signatures, signatures) = match contract {
        Some(error @ ContractError::Signature(_)) => (None, Some(error.clone().into())),
        Some(error) => (Some(error.clone().into()), None),
        None => (None, None),
    };
    before_signatures
        .or_else(|| ir.and_then(Result::err).map(VerifyError::from))
        .or_else(|| trust.err().map(VerifyError::from))
        .or(signatures)
}

/// The program the contract's sources compile to ([`Compile`]), kept so that the bundle's IR is
/// checked against it whatever the contract check finds after compiling.
#[derive(Debug, Default)]
struct KeepGenesisProgram(OnceLock<Arc<Program>>);

impl ProgramSource for KeepGenesisProgram {
    fn program(&self, hash: Digest, sources: &[Source]) -> Result<Arc<Program>, AgreementError> {
        let program = Compile.program(hash, sources)?;
        // The first program asked for is the genesis one; agreements' come later.
        let _ = self.0.set(program.clone());
        Ok(program)
    }
}

/// Step 2, the bundle's copy of each bound clause's IR is the compiled one.
fn check_ir(bundle: &Bundle, contract: &Contract, program: &Program) -> Result<(), SourcesError> {
    if bundle.ir.len() != contract.clauses.len() {
        return Err(SourcesError::IrCount {
            expected: contract.clauses.len(),
            found: bundle.ir.len(),
        });
    }
    for (binding, ir) in contract.clauses.iter().zip(&bundle.ir) {
        let mismatch = || SourcesError::IrMismatch(binding.name.clone());
        let compiled = program.clause(&binding.name).ok_or_else(mismatch)?;
        let bytes = pactum_canonical::to_vec(&compiled.ir)
            .map_err(|error| SourcesError::IrEncode(error.to_string()))?;
        if ir.name != binding.name || ir.ir != bytes {
            return Err(mismatch());
        }
    }
    Ok(())
}

/// Step 3, the verifier's side: the contract's parties are exactly those the trust pins.
fn check_trust(contract: &Contract, trust: &Trust) -> Result<(), GenesisError> {
    if trust.parties.is_empty() {
        return Ok(());
    }
    for (role, pinned) in &trust.parties {
        match contract.parties.get(role) {
            None => return Err(GenesisError::MissingParty(role.clone())),
            Some(found) if found != pinned => {
                return Err(GenesisError::KeyNotPinned {
                    role: role.clone(),
                    pinned: pinned.to_string(),
                    found: found.to_string(),
                })
            }
            Some(_) => {}
        }
    }
    match contract
        .parties
        .keys()
        .find(|role| !trust.parties.contains_key(*role))
    {
        Some(role) => Err(GenesisError::UnpinnedParty(role.clone())),
        None => Ok(()),
    }
}

/// Step 4, last: the head is signed by a party, is about this order and names the last entry.
fn check_head(
    contract: &Contract,
    order: OrderId,
    signed_head: &SignedHead,
    head: &Head,
    entries: &[Decoded],
) -> Result<(), VerifyError> {
    let last_index = entries.len().saturating_sub(1) as u64;
    let last = entries.last().map_or(Digest::ZERO, |entry| entry.hash);
    let at_head = |error| VerifyError::Entry {
        index: last_index,
        error,
    };
    let signer_key = contract
        .parties
        .get(&signed_head.signer)
        .ok_or_else(|| at_head(EntryError::HeadSigner(signed_head.signer.clone())))?;
    signed_head
        .verify(signer_key)
        .map_err(|_| at_head(EntryError::HeadSignature))?;
    if head.order != order {
        return Err(at_head(EntryError::HeadOrder(head.order)));
    }
    if head.seq != last_index || head.entry != last {
        return Err(at_head(EntryError::Truncated {
            head_seq: head.seq,
            head: head.entry,
            last_seq: last_index,
        }));
    }
    Ok(())
}

/// Step 7, first: the checkpoint's signature and cosignatures against the trust policy.
/// Returns the names of the witnesses whose cosignatures counted.
fn check_note(policy: &TrustPolicy, note: &SignedNote) -> Result<Vec<String>, VerifyError> {
    let verified = policy.verify_note(note).map_err(|error| match error {
        NoteError::WrongOrigin { expected, found } => LogError::Origin { expected, found },
        NoteError::MissingLogSignature => LogError::LogSignature,
        NoteError::InvalidSignature(name) if name == policy.origin() => LogError::LogSignature,
        NoteError::InvalidSignature(name) => LogError::BadSignature(name),
        NoteError::NotEnoughWitnesses { verified, required } => {
            let known = |name: &str, id: u32| {
                policy.log_key().name() == name && policy.log_key().key_id() == id
                    || policy
                        .witnesses()
                        .iter()
                        .any(|key| key.name() == name && key.key_id() == id)
            };
            let unknown = note
                .signatures()
                .iter()
                .filter(|line| !known(line.name(), line.key_id()))
                .map(|line| line.name().to_string())
                .collect();
            LogError::Witnesses {
                verified,
                required,
                unknown,
            }
        }
        other => LogError::Note(other),
    })?;
    Ok(verified
        .cosignatures
        .iter()
        .map(|signature| signature.key.name().to_string())
        .collect())
}
