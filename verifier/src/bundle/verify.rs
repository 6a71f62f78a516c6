//! `verify_bundle`: the eight numbered steps, structure before cryptography, each failing with
//! its own [`VerifyError`] variant naming the entry.
//!
//! 1. strict decode of the bundle, contract, every entry, event and review, head, checkpoint;
//! 2. the sources hash to the contract's `sources`, compile, and give the contract's clause ids
//!    (and the bundle's IR);
//! 3. every party signed the contract, with the keys the trust policy pins;
//! 4. per entry: order, sequence (reorder, gap, duplicate, equivocation), hash chain, genesis
//!    position, attester authority, signer sets, the head (truncation); then every signature
//!    (parties, attesters, reviews) in batches on all cores;
//! 5. replay from genesis: every recorded body must equal the replayed one (equal decoded values
//!    of strictly decoded bytes are equal bytes), state hashes included;
//! 6. the breaker: a mismatch where replay held an amendment that history applied is reported
//!    as a breaker violation (bypassed, backdated or while paused);
//! 7. the checkpoint's signature and cosignatures against the trust policy, then the inclusion
//!    of every entry;
//! 8. with a state directory, consistency with the last checkpoint seen for the origin.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use contract_lang::ir::Program;
use serde::Serialize;

use super::equivocation::EquivocationProof;
use super::error::{
    BreakerError, ConsistencyError, DecodeError, EntryError, GenesisError, LogError, ReplayError,
    SourcesError, VerifyError,
};
use super::format::{entry_leaf, sources_hash, Bundle, BundleEntry, Head, SignedHead};
use super::state_dir::{self, Consistency};
use crate::checkpoint::{Checkpoint, NoteError, SignedNote, TrustPolicy};
use crate::merkle;
use crate::model::{
    check_signers, Contract, Digest, EntryBody, Event, OrderId, Outcome, Review, SignedEntry, Step,
};
use crate::sign::{verify_batch, BatchItem, Domain, PublicKey};
use crate::state::{Machine, State};

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
    /// Remember checkpoints here and check consistency with the last one (step 8).
    pub state_dir: Option<PathBuf>,
    /// Worker threads for decoding and signatures; 0 uses every core.
    pub threads: usize,
}

/// A verified order history.
#[derive(Clone, Debug)]
pub struct Report {
    pub order: OrderId,
    pub contract: Contract,
    pub program: Arc<Program>,
    pub entries: Vec<VerifiedEntry>,
    /// The order's state after the last entry.
    pub state: State,
    pub checkpoint: Checkpoint,
    /// Names of the witnesses whose cosignatures counted.
    pub witnesses: Vec<String>,
    /// Step 8's finding, if a state directory was given.
    pub consistency: Option<Consistency>,
    pub breaker: BreakerSummary,
    /// Signatures checked in step 4.
    pub signatures_checked: usize,
    /// How long each step took (step number, duration), for profiling.
    pub timings: Vec<(u8, std::time::Duration)>,
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
    pub leaf_index: u64,
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
}

/// An entry as decoded in step 1.
struct Decoded {
    signed: SignedEntry,
    hash: Digest,
    body: EntryBody,
    leaf_index: u64,
    proof: Vec<Digest>,
    event: Option<Event>,
    review: Option<Review>,
}

/// Verifies a bundle's bytes. See the module documentation for the steps.
pub fn verify_bundle(
    bytes: &[u8],
    trust: &Trust,
    options: &VerifyOptions,
) -> Result<Report, VerifyError> {
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };

    let mut timings = Vec::with_capacity(8);
    let mut clock = std::time::Instant::now();
    let mut lap = |step: u8| {
        let now = std::time::Instant::now();
        timings.push((step, now - clock));
        clock = now;
    };

    // Step 1: decode.
    let bundle = Bundle::from_bytes(bytes).map_err(DecodeError::Bundle)?;
    let contract = bundle.contract.contract().map_err(DecodeError::Contract)?;
    let order = bundle.contract.order_id();
    if bundle.entries.is_empty() {
        return Err(DecodeError::NoEntries.into());
    }
    let entries = decode_entries(&bundle.entries, threads)?;
    let head = bundle.head.head().map_err(DecodeError::Head)?;
    let note = SignedNote::parse(&bundle.checkpoint).map_err(DecodeError::Checkpoint)?;
    let checkpoint = Checkpoint::parse(note.text()).map_err(DecodeError::Checkpoint)?;
    lap(1);

    // Step 2: the clause sources.
    let machine = Arc::new(check_sources(&bundle, &contract, order)?);
    lap(2);

    // Step 3: the genesis signatures and pinned keys.
    check_genesis(&bundle, &contract, trust)?;
    lap(3);

    // Step 4: entries — structure first, then every signature. Replay (steps 5 and 6) needs no
    // signature, so one thread replays while the others check signatures, then joins them;
    // a signature failure is still reported before anything replay found.
    let attesters = check_structure(&machine, &entries, &bundle.contract, &bundle.head, &head)?;
    let (signatures, (replayed, replay_time)) =
        check_signatures_alongside(&contract, &entries, threads, || {
            let start = std::time::Instant::now();
            (replay(&machine, &entries), start.elapsed())
        });
    let signatures_checked = signatures?;
    let (state, breaker) = replayed?;
    lap(4);

    // Step 7: checkpoint and inclusion.
    let witnesses = check_log(&trust.log, &note, &checkpoint, &head, &entries, threads)?;
    lap(7);

    // Step 8: consistency with what this verifier saw before.
    let consistency = match &options.state_dir {
        Some(dir) => Some(state_dir::check_and_remember(
            dir,
            &bundle.checkpoint,
            &checkpoint,
            &bundle.consistency,
        )?),
        None => None,
    };
    lap(8);
    // Replay ran inside step 4's time, alongside the signatures.
    timings.push((5, replay_time));
    timings.sort_by_key(|(step, _)| *step);

    let signers: Vec<String> = contract.parties.keys().cloned().collect();
    let entries = entries
        .into_iter()
        .zip(attesters)
        .map(|(decoded, attester)| VerifiedEntry {
            hash: decoded.hash,
            body: decoded.body,
            signers: signers.clone(),
            event: decoded.event,
            attester,
            review: decoded.review,
            leaf_index: decoded.leaf_index,
        })
        .collect();
    Ok(Report {
        order,
        program: Arc::new(machine.program().clone()),
        contract,
        entries,
        state,
        checkpoint,
        witnesses,
        consistency,
        breaker,
        signatures_checked,
        timings,
    })
}

/// Runs `work` over contiguous chunks of `items` on up to `threads` threads, results in order.
fn parallel_chunks<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(usize, &[T]) -> R + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return vec![work(0, items)];
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .enumerate()
            .map(|(number, part)| {
                let work = &work;
                scope.spawn(move || work(number * chunk, part))
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| match handle.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

fn decode_entries(
    raw: &[serde_bytes::ByteBuf],
    threads: usize,
) -> Result<Vec<Decoded>, VerifyError> {
    let chunks = parallel_chunks(raw, threads, |offset, part| {
        part.iter()
            .enumerate()
            .map(|(i, bytes)| {
                let index = (offset + i) as u64;
                decode_entry(bytes).map_err(|error| DecodeError::Entry { index, error })
            })
            .collect::<Result<Vec<_>, _>>()
    });
    let mut out = Vec::with_capacity(raw.len());
    for chunk in chunks {
        out.extend(chunk?);
    }
    Ok(out)
}

fn decode_entry(bytes: &[u8]) -> Result<Decoded, crate::model::ModelError> {
    let BundleEntry {
        entry,
        leaf_index,
        proof,
    } = BundleEntry::from_bytes(bytes)?;
    let body = entry.entry()?;
    let (event, review) = match &body.step {
        Step::Genesis => (None, None),
        Step::Event(step) => (Some(step.event.event()?), None),
        Step::Review(step) => (None, Some(step.review.review()?)),
    };
    Ok(Decoded {
        hash: entry.hash(),
        signed: entry,
        body,
        leaf_index,
        proof,
        event,
        review,
    })
}

fn check_sources(
    bundle: &Bundle,
    contract: &Contract,
    order: OrderId,
) -> Result<Machine, SourcesError> {
    let found =
        sources_hash(&bundle.sources).map_err(|error| SourcesError::Compile(error.to_string()))?;
    if found != contract.sources {
        return Err(SourcesError::Hash {
            expected: contract.sources,
            found,
        });
    }
    let inputs: Vec<contract_lang::compile::SourceInput> = bundle
        .sources
        .iter()
        .map(|source| contract_lang::compile::SourceInput {
            name: source.name.clone(),
            text: source.text.clone(),
        })
        .collect();
    let compiled = contract_lang::compile::compile_program(&inputs);
    let Some(program) = compiled.program else {
        let messages: Vec<String> = compiled
            .diagnostics
            .iter()
            .map(|d| {
                let file = bundle
                    .sources
                    .get(d.file)
                    .map_or("?", |source| source.name.as_str());
                format!("{file}: {} {}", d.diagnostic.code, d.diagnostic.message)
            })
            .collect();
        return Err(SourcesError::Compile(messages.join("; ")));
    };
    if bundle.ir.len() != contract.clauses.len() {
        return Err(SourcesError::IrCount {
            expected: contract.clauses.len(),
            found: bundle.ir.len(),
        });
    }
    for (binding, ir) in contract.clauses.iter().zip(&bundle.ir) {
        let compiled = program.clause(&binding.name).ok_or_else(|| {
            SourcesError::Setup(crate::state::SetupError::UnknownClause(
                binding.name.clone(),
            ))
        })?;
        let bytes = pactum_canonical::to_vec(&compiled.ir)
            .map_err(|error| SourcesError::Compile(error.to_string()))?;
        if ir.name != binding.name || ir.ir != bytes {
            return Err(SourcesError::IrMismatch(binding.name.clone()));
        }
    }
    Machine::new(contract.clone(), order, Arc::new(program)).map_err(SourcesError::Setup)
}

fn check_genesis(bundle: &Bundle, contract: &Contract, trust: &Trust) -> Result<(), GenesisError> {
    if !trust.parties.is_empty() {
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
        if let Some(role) = contract
            .parties
            .keys()
            .find(|role| !trust.parties.contains_key(*role))
        {
            return Err(GenesisError::UnpinnedParty(role.clone()));
        }
    }
    bundle
        .contract
        .verify(contract)
        .map_err(GenesisError::Signature)
}

/// Step 4's structural half. Returns each entry's attester name (for events).
fn check_structure(
    machine: &Machine,
    entries: &[Decoded],
    signed_contract: &crate::model::SignedContract,
    signed_head: &SignedHead,
    head: &Head,
) -> Result<Vec<Option<String>>, VerifyError> {
    let contract = machine.contract();
    let order = machine.order();
    let mut attesters = Vec::with_capacity(entries.len());
    let mut prev = Digest::ZERO;
    for (position, entry) in entries.iter().enumerate() {
        let index = position as u64;
        let fail = |error| VerifyError::Entry { index, error };
        let body = &entry.body;
        if body.order != order {
            return Err(fail(EntryError::WrongOrder {
                expected: order,
                found: body.order,
            }));
        }
        if body.seq != index {
            return Err(fail(sequence_error(
                machine,
                entries,
                position,
                signed_contract,
            )));
        }
        if body.prev != prev {
            // The previous entry's bytes do not hash to what this one names: if that entry no
            // longer carries valid signatures, it is the one that was altered.
            if let Some(previous) = position.checked_sub(1).and_then(|p| entries.get(p)) {
                for (role, key) in &contract.parties {
                    let valid = previous
                        .signed
                        .signatures
                        .get(role)
                        .is_some_and(|signature| {
                            key.verify(Domain::Entry, &previous.signed.body, signature)
                                .is_ok()
                        });
                    if !valid {
                        return Err(VerifyError::Entry {
                            index: index - 1,
                            error: EntryError::PartySignature(role.clone()),
                        });
                    }
                }
            }
            return Err(fail(EntryError::Chain {
                expected: prev,
                found: body.prev,
            }));
        }
        if (index == 0) != matches!(body.step, Step::Genesis) {
            return Err(fail(EntryError::Genesis));
        }
        check_signers(&contract.parties, &entry.signed.signatures)
            .map_err(|error| fail(EntryError::Signers(error)))?;
        let mut attester = None;
        match (&body.step, &entry.event, &entry.review) {
            (Step::Event(step), Some(event), _) => {
                if event.order != order {
                    return Err(fail(EntryError::EventOrder {
                        expected: order,
                        found: event.order,
                    }));
                }
                let grant = contract.attester(&step.event.attester).ok_or_else(|| {
                    fail(EntryError::UnknownAttester {
                        key: step.event.attester.to_string(),
                    })
                })?;
                if !grant.kinds.contains(&event.kind) {
                    return Err(fail(EntryError::UnauthorisedAttester {
                        attester: grant.name.clone(),
                        kind: event.kind.clone(),
                    }));
                }
                attester = Some(grant.name.clone());
            }
            (Step::Review(step), _, Some(review)) => {
                if review.order != order {
                    return Err(fail(EntryError::ReviewOrder(review.order)));
                }
                check_signers(&contract.parties, &step.review.signatures)
                    .map_err(|error| fail(EntryError::ReviewSigners(error)))?;
            }
            _ => {}
        }
        attesters.push(attester);
        prev = entry.hash;
    }

    // The head: signed by a party, about this order, naming the last entry.
    let last_index = entries.len() as u64 - 1;
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
    if head.seq != last_index || head.entry != prev {
        return Err(at_head(EntryError::Truncated {
            head_seq: head.seq,
            head: head.entry,
            last_seq: last_index,
        }));
    }
    Ok(attesters)
}

/// Classifies an entry whose sequence number is not its position.
fn sequence_error(
    machine: &Machine,
    entries: &[Decoded],
    position: usize,
    signed_contract: &crate::model::SignedContract,
) -> EntryError {
    let expected = position as u64;
    let found = entries[position].body.seq;
    if found > expected {
        let appears_later = entries[position + 1..]
            .iter()
            .any(|entry| entry.body.seq == expected);
        return if appears_later {
            EntryError::OutOfOrder { expected, found }
        } else {
            EntryError::Missing { expected, found }
        };
    }
    // `found < expected`: an earlier position already holds this sequence number.
    let Some(earlier) = entries[..position]
        .iter()
        .find(|entry| entry.body.seq == found)
    else {
        return EntryError::Repeated { seq: found };
    };
    let current = &entries[position];
    if earlier.signed.body == current.signed.body {
        return EntryError::Duplicate { seq: found };
    }
    let proof = EquivocationProof {
        contract: signed_contract.clone(),
        first: earlier.signed.clone(),
        second: current.signed.clone(),
    };
    let _ = machine;
    match proof.check() {
        Ok(_) => EntryError::Equivocation {
            seq: found,
            proof: Box::new(proof),
        },
        Err(_) => EntryError::Repeated { seq: found },
    }
}

/// What a signature in the batch is, to name it when it fails.
#[derive(Clone, Copy)]
enum Signed<'a> {
    Party(&'a str),
    Attester,
    Review(&'a str),
}

/// Signatures per unit of work shared among the threads.
const SIGNATURE_CHUNK: usize = 512;

/// Step 4's cryptographic half: every party, attester and review signature, batch-verified on
/// `threads` threads, while one of them first runs `side` (the replay). Returns the number of
/// signatures checked (or the first failure, by entry) and `side`'s result.
fn check_signatures_alongside<R: Send>(
    contract: &Contract,
    entries: &[Decoded],
    threads: usize,
    side: impl FnOnce() -> R + Send,
) -> (Result<usize, VerifyError>, R) {
    let (items, owners) = match signature_items(contract, entries) {
        Ok(found) => found,
        Err(error) => return (Err(error), side()),
    };
    // Work is handed out chunk by chunk, so the replaying thread picks up whatever is left.
    let next = AtomicUsize::new(0);
    let first_failure = AtomicUsize::new(usize::MAX);
    let work = || loop {
        let chunk = next.fetch_add(1, Ordering::Relaxed);
        let start = chunk.saturating_mul(SIGNATURE_CHUNK);
        if start >= items.len() || start > first_failure.load(Ordering::Relaxed) {
            break;
        }
        let end = (start + SIGNATURE_CHUNK).min(items.len());
        if let Err(error) = verify_batch(&items[start..end]) {
            first_failure.fetch_min(start + error.index, Ordering::Relaxed);
        }
    };
    let side_result = std::thread::scope(|scope| {
        for _ in 1..threads.max(1) {
            scope.spawn(work);
        }
        let result = side();
        work();
        result
    });
    let first = first_failure.into_inner();
    if first == usize::MAX {
        return (Ok(items.len()), side_result);
    }
    let (index, what) = owners[first];
    let error = match what {
        Signed::Party(role) => EntryError::PartySignature(role.to_string()),
        Signed::Attester => EntryError::AttesterSignature,
        Signed::Review(role) => EntryError::ReviewSignature(role.to_string()),
    };
    (Err(VerifyError::Entry { index, error }), side_result)
}

/// Every signature step 4 checks, with the entry and signer each belongs to.
#[allow(clippy::type_complexity)]
fn signature_items<'a>(
    contract: &'a Contract,
    entries: &'a [Decoded],
) -> Result<(Vec<BatchItem<'a>>, Vec<(u64, Signed<'a>)>), VerifyError> {
    let per_entry = contract.parties.len() + 1;
    let mut items: Vec<BatchItem<'_>> = Vec::with_capacity(entries.len() * per_entry);
    let mut owners: Vec<(u64, Signed<'_>)> = Vec::with_capacity(entries.len() * per_entry);
    for (index, entry) in entries.iter().enumerate() {
        let index = index as u64;
        for (role, key) in &contract.parties {
            if let Some(signature) = entry.signed.signatures.get(role) {
                items.push((Domain::Entry, &entry.signed.body, signature, key));
                owners.push((index, Signed::Party(role)));
            }
        }
        match &entry.body.step {
            Step::Event(step) => {
                // The grant's key, decoded once with the contract (step 4's structural half
                // already required the attester to hold a grant).
                let Some(grant) = contract.attester(&step.event.attester) else {
                    return Err(VerifyError::Entry {
                        index,
                        error: EntryError::UnknownAttester {
                            key: step.event.attester.to_string(),
                        },
                    });
                };
                items.push((
                    Domain::Event,
                    &step.event.body,
                    &step.event.signature,
                    &grant.key,
                ));
                owners.push((index, Signed::Attester));
            }
            Step::Review(step) => {
                for (role, key) in &contract.parties {
                    if let Some(signature) = step.review.signatures.get(role) {
                        items.push((Domain::Review, &step.review.body, signature, key));
                        owners.push((index, Signed::Review(role)));
                    }
                }
            }
            Step::Genesis => {}
        }
    }
    Ok((items, owners))
}

/// Steps 5 and 6: replays the history and compares every entry.
fn replay(machine: &Machine, entries: &[Decoded]) -> Result<(State, BreakerSummary), VerifyError> {
    let mut summary = BreakerSummary::default();
    let genesis = machine.genesis().map_err(|error| VerifyError::Replay {
        index: 0,
        error: ReplayError::Rejected(error.into()),
    })?;
    let first = &entries[0];
    if genesis.body != first.body {
        return Err(VerifyError::Replay {
            index: 0,
            error: mismatch(&first.body, &genesis.body),
        });
    }
    let mut state = genesis.accept(first.hash);
    let mut seen: HashSet<Digest> = HashSet::with_capacity(entries.len());
    for (position, entry) in entries.iter().enumerate().skip(1) {
        let index = position as u64;
        let transition = match (&entry.body.step, &entry.event) {
            (Step::Event(step), Some(event)) => {
                machine.apply_checked(&state, &seen, &step.event, event)
            }
            (Step::Review(step), _) => machine.apply_review_checked(&state, &step.review),
            _ => {
                return Err(VerifyError::Replay {
                    index,
                    error: ReplayError::Body,
                })
            }
        }
        .map_err(|error| VerifyError::Replay {
            index,
            error: ReplayError::Rejected(error),
        })?;
        if transition.body != entry.body {
            if let Some(error) = breaker_violation(&entry.body, &transition.body, &state, entry) {
                return Err(VerifyError::Breaker { index, error });
            }
            return Err(VerifyError::Replay {
                index,
                error: mismatch(&entry.body, &transition.body),
            });
        }
        match &entry.body.step {
            Step::Event(step) => match step.outcome {
                Outcome::BreakerTripped { .. } => summary.trips += 1,
                Outcome::ToReview { .. } => summary.handed_to_review += 1,
                Outcome::Paused => summary.paused_facts += 1,
                Outcome::Applied(_) => {}
            },
            Step::Review(_) => summary.reviews += 1,
            Step::Genesis => {}
        }
        if let Some(event) = transition.event {
            seen.insert(event);
        }
        state = transition.accept(entry.hash);
    }
    Ok((state, summary))
}

/// A recorded entry that applied an amendment where replay held it.
fn breaker_violation(
    recorded: &EntryBody,
    replayed: &EntryBody,
    before: &State,
    entry: &Decoded,
) -> Option<BreakerError> {
    let (Step::Event(recorded), Step::Event(replayed)) = (&recorded.step, &replayed.step) else {
        return None;
    };
    let Outcome::Applied(effects) = &recorded.outcome else {
        return None;
    };
    if !effects.amends() {
        return None;
    }
    match &replayed.outcome {
        Outcome::BreakerTripped { report, .. } => {
            let at = entry.event.as_ref().map_or(0, |event| event.at);
            Some(if at < before.high_water {
                BreakerError::Backdated {
                    at,
                    high_water: before.high_water,
                }
            } else {
                BreakerError::Bypassed {
                    max: report.policy.max_automatic_amendments,
                    window_seconds: report.policy.window_seconds,
                }
            })
        }
        Outcome::Paused => Some(BreakerError::WhilePaused),
        _ => None,
    }
}

/// Names the first part of a recorded body that replay does not reproduce.
fn mismatch(recorded: &EntryBody, replayed: &EntryBody) -> ReplayError {
    match (&recorded.step, &replayed.step) {
        (Step::Event(a), Step::Event(b)) => {
            if a.outcome != b.outcome {
                let (recorded, replayed) =
                    crate::timeline::outcome_difference(&a.outcome, &b.outcome);
                return ReplayError::Outcome { recorded, replayed };
            }
            if a.effective_at != b.effective_at {
                return ReplayError::EffectiveTime {
                    recorded: a.effective_at,
                    replayed: b.effective_at,
                };
            }
        }
        (Step::Review(a), Step::Review(b)) if a != b => return ReplayError::Review,
        _ => {}
    }
    if recorded.state != replayed.state {
        return ReplayError::StateHash {
            recorded: recorded.state,
            replayed: replayed.state,
        };
    }
    ReplayError::Body
}

/// Step 7: the checkpoint against the trust policy, then every entry's inclusion.
fn check_log(
    policy: &TrustPolicy,
    note: &SignedNote,
    checkpoint: &Checkpoint,
    head: &Head,
    entries: &[Decoded],
    threads: usize,
) -> Result<Vec<String>, VerifyError> {
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
    if head.log_size != checkpoint.size() {
        return Err(LogError::HeadSize {
            head: head.log_size,
            checkpoint: checkpoint.size(),
        }
        .into());
    }
    for (position, pair) in entries.windows(2).enumerate() {
        if pair[1].leaf_index <= pair[0].leaf_index {
            return Err(LogError::LeafOrder {
                index: position as u64 + 1,
                leaf: pair[1].leaf_index,
                previous: pair[0].leaf_index,
            }
            .into());
        }
    }
    let size = checkpoint.size();
    let root = *checkpoint.root();
    let failures = parallel_chunks(entries, threads, |offset, part| {
        let mut path: Vec<merkle::Hash> = Vec::new();
        for (i, entry) in part.iter().enumerate() {
            path.clear();
            path.extend(entry.proof.iter().map(|digest| digest.0));
            if let Err(error) = merkle::verify_inclusion(
                &entry_leaf(&entry.hash),
                entry.leaf_index,
                size,
                &path,
                &root,
            ) {
                return Some(((offset + i) as u64, error));
            }
        }
        None
    });
    if let Some((index, error)) = failures
        .into_iter()
        .flatten()
        .min_by_key(|(index, _)| *index)
    {
        // If no entry at all is in the checkpoint's tree, the checkpoint is not of the log the
        // entries were proved in (a wrong root), rather than one proof being wrong.
        let none_included = entries.iter().all(|entry| {
            let path: Vec<merkle::Hash> = entry.proof.iter().map(|digest| digest.0).collect();
            merkle::verify_inclusion(
                &entry_leaf(&entry.hash),
                entry.leaf_index,
                size,
                &path,
                &root,
            )
            .is_err()
        });
        if none_included && entries.len() > 1 {
            return Err(LogError::NothingIncluded {
                root: Digest(root),
                size,
            }
            .into());
        }
        return Err(LogError::Inclusion { index, error }.into());
    }
    Ok(verified
        .cosignatures
        .iter()
        .map(|signature| signature.key.name().to_string())
        .collect())
}

impl From<ConsistencyError> for Box<VerifyError> {
    fn from(error: ConsistencyError) -> Self {
        Box::new(VerifyError::Consistency(error))
    }
}
