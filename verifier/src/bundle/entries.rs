//! The per-entry work of verification, spread over every core.
//!
//! Entries are cut into chunks. Worker threads claim chunks in order and, for each, decode its
//! entries strictly (step 1), batch-verify every signature in it (step 4) and check every
//! inclusion proof (step 7). One thread walks the entries in order as their chunks become ready
//! — checking the structure of each (order, sequence, hash chain, attester authority: step 4)
//! and replaying it (steps 5 and 6) — and decodes chunks itself whenever the next one is not
//! ready. Every finding is kept with its step and entry; the caller reports the first by step,
//! then by entry, exactly as if the steps had run one after the other.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use super::equivocation::EquivocationProof;
use super::error::{BreakerError, DecodeError, EntryError, ReplayError, VerifyError};
use super::format::{entry_leaf, BundleEntry};
use crate::merkle::{self, ProofError};
use crate::model::{
    check_signers, Agreement, Close, Contract, Digest, EntryBody, Event, ModelError, OrderId,
    Outcome, Review, SignedContract, SignedEntry, SignerError, Step,
};
use crate::sign::{verify_batch, BatchItem, Domain};
use crate::state::{Machine, State};

use super::verify::BreakerSummary;

/// Entries per unit of work: about 768 signatures, three batches of the batch verifier.
const CHUNK_ENTRIES: usize = 256;

/// An entry as decoded in step 1.
pub(crate) struct Decoded {
    pub signed: SignedEntry,
    pub hash: Digest,
    pub body: EntryBody,
    pub leaf_index: u64,
    pub proof: Vec<Digest>,
    pub event: Option<Event>,
    pub review: Option<Review>,
    pub close: Option<Close>,
    pub agreement: Option<Agreement>,
}

fn decode_entry(bytes: &[u8]) -> Result<Decoded, ModelError> {
    let BundleEntry {
        entry,
        leaf_index,
        proof,
    } = BundleEntry::from_bytes(bytes)?;
    let body = entry.entry()?;
    let (mut event, mut review, mut close, mut agreement) = (None, None, None, None);
    match &body.step {
        Step::Genesis => {}
        Step::Event(step) => event = Some(step.event.event()?),
        Step::Review(step) => review = Some(step.review.review()?),
        Step::Close(step) => close = Some(step.close.close()?),
        Step::Agreement(step) => agreement = Some(step.agreement.agreement()?),
    }
    Ok(Decoded {
        hash: entry.hash(),
        signed: entry,
        body,
        leaf_index,
        proof,
        event,
        review,
        close,
        agreement,
    })
}

/// What the checks that need a contract, a machine and a checkpoint get to see.
pub(crate) struct Context<'a> {
    pub contract: &'a Contract,
    pub signed_contract: &'a SignedContract,
    /// `None` when step 2 or 3 failed: then only decoding runs.
    pub machine: Option<&'a Machine>,
    pub order: OrderId,
    /// The checkpoint's tree size and root, for inclusion proofs.
    pub tree: (u64, merkle::Hash),
}

/// One chunk's results.
struct ChunkOutput {
    /// The decoded entries, or the first decoding failure.
    entries: Result<Vec<Decoded>, VerifyError>,
    /// The first signature that does not verify: (entry, what).
    signature: Option<(u64, EntryError)>,
    inclusion: Option<(u64, ProofError)>,
    signatures: usize,
}

/// Everything the per-entry work found.
pub(crate) struct Findings {
    pub entries: Vec<Decoded>,
    pub decode: Option<VerifyError>,
    /// Step 4, structure.
    pub structure: Option<VerifyError>,
    /// Step 4, signatures.
    pub signature: Option<VerifyError>,
    /// Steps 5 and 6.
    pub replay: Option<VerifyError>,
    /// Step 7: leaf indices out of order, (index, leaf, previous).
    pub leaf_order: Option<(u64, u64, u64)>,
    /// Step 7: the first entry not included, and whether none at all was.
    pub inclusion: Option<(u64, ProofError, bool)>,
    pub attesters: Vec<Option<String>>,
    pub state: Option<State>,
    pub summary: BreakerSummary,
    pub signatures: usize,
    /// Each agreement that brought another program into force: its entry's seq and the
    /// program (for timelines that name clauses as they were then).
    pub programs: Vec<(u64, std::sync::Arc<contract_lang::ir::Program>)>,
    /// How replay computed each transferred amount, by the seq of the entry that computed it,
    /// per fact evaluated.
    pub worked: BTreeMap<u64, Vec<crate::state::WorkedFact>>,
}

/// Visits every entry in order, claiming chunks no other thread has taken yet and waiting for
/// those being processed elsewhere.
fn walk_in_order<'e>(
    chunks: &'e [OnceLock<ChunkOutput>],
    claim_and_process: &dyn Fn() -> bool,
    walk: &mut InOrder<'_, 'e>,
) {
    for chunk in chunks {
        let output = loop {
            if let Some(output) = chunk.get() {
                break output;
            }
            if !claim_and_process() {
                break chunk.wait();
            }
        };
        match &output.entries {
            Ok(entries) => entries.iter().for_each(|entry| walk.visit(entry)),
            // Nothing after an undecodable entry can be checked in order.
            Err(_) => break,
        }
    }
    while claim_and_process() {}
}

/// Runs the per-entry work on `threads` threads.
pub(crate) fn check_entries(raw: &[&[u8]], context: &Context<'_>, threads: usize) -> Findings {
    let chunk_count = raw.len().div_ceil(CHUNK_ENTRIES);
    let chunks: Vec<OnceLock<ChunkOutput>> = (0..chunk_count).map(|_| OnceLock::new()).collect();
    let next = AtomicUsize::new(0);
    let claim_and_process = || {
        let chunk = next.fetch_add(1, Ordering::Relaxed);
        if chunk >= chunk_count {
            return false;
        }
        let start = chunk * CHUNK_ENTRIES;
        let end = (start + CHUNK_ENTRIES).min(raw.len());
        let output = process_chunk(&raw[start..end], start, context);
        // Each chunk is claimed once, so it is set once.
        let _ = chunks[chunk].set(output);
        true
    };

    let mut walk = InOrder::new(context, raw.len());
    if threads <= 1 {
        // The calling thread claims every chunk itself, so no chunk is ever waited for. This is
        // the browser's path: wasm32-unknown-unknown has no threads to spawn.
        walk_in_order(&chunks, &claim_and_process, &mut walk);
    } else {
        std::thread::scope(|scope| {
            for _ in 1..threads {
                scope.spawn(|| while claim_and_process() {});
            }
            walk_in_order(&chunks, &claim_and_process, &mut walk);
        });
    }

    let mut findings = walk.finish();
    let mut all = Vec::with_capacity(raw.len());
    for chunk in chunks {
        let Some(output) = chunk.into_inner() else {
            continue;
        };
        findings.signatures += output.signatures;
        if findings.signature.is_none() {
            findings.signature = output
                .signature
                .map(|(index, error)| VerifyError::Entry { index, error });
        }
        if findings.inclusion.is_none() {
            findings.inclusion = output.inclusion.map(|(index, error)| (index, error, false));
        }
        match output.entries {
            Ok(entries) => all.extend(entries),
            Err(error) => {
                if findings.decode.is_none() {
                    findings.decode = Some(error);
                }
            }
        }
    }
    if let Some((_, _, none)) = &mut findings.inclusion {
        *none = all.len() > 1 && all_excluded(&all, context.tree);
    }
    // A sequence break is classified once every entry is known.
    if let Some(VerifyError::Entry {
        index,
        error: EntryError::Repeated { .. },
    }) = &findings.structure
    {
        let position = *index as usize;
        if position < all.len() {
            findings.structure = Some(VerifyError::Entry {
                index: *index,
                error: sequence_error(&all, position, context.signed_contract),
            });
        }
    }
    findings.entries = all;
    findings
}

/// Whether no entry at all is included in the tree: then the checkpoint is the problem.
fn all_excluded(entries: &[Decoded], (size, root): (u64, merkle::Hash)) -> bool {
    entries.iter().all(|entry| {
        let path: Vec<merkle::Hash> = entry.proof.iter().map(|digest| digest.0).collect();
        merkle::verify_inclusion(
            &entry_leaf(&entry.hash),
            entry.leaf_index,
            size,
            &path,
            &root,
        )
        .is_err()
    })
}

/// Decodes a chunk, then checks its signatures and inclusion proofs.
fn process_chunk(raw: &[&[u8]], offset: usize, context: &Context<'_>) -> ChunkOutput {
    let mut entries = Vec::with_capacity(raw.len());
    for (i, bytes) in raw.iter().enumerate() {
        match decode_entry(bytes) {
            Ok(entry) => entries.push(entry),
            Err(error) => {
                return ChunkOutput {
                    entries: Err(DecodeError::Entry {
                        index: (offset + i) as u64,
                        error,
                    }
                    .into()),
                    signature: None,
                    inclusion: None,
                    signatures: 0,
                }
            }
        }
    }
    if context.machine.is_none() {
        return ChunkOutput {
            entries: Ok(entries),
            signature: None,
            inclusion: None,
            signatures: 0,
        };
    }
    let (signature, signatures) = chunk_signatures(&entries, offset, context.contract);
    let mut memo = InclusionMemo::new(context.tree);
    let mut inclusion = None;
    for (i, entry) in entries.iter().enumerate() {
        if let Err(error) = memo.verify(&entry_leaf(&entry.hash), entry.leaf_index, &entry.proof) {
            inclusion = Some(((offset + i) as u64, error));
            break;
        }
    }
    ChunkOutput {
        entries: Ok(entries),
        signature,
        inclusion,
        signatures,
    }
}

/// RFC 9162 inclusion verification (the algorithm of [`merkle::verify_inclusion`]) for many
/// leaves of one tree, remembering the interior nodes already proved.
///
/// Proofs of nearby leaves share their upper part. Once a proof reaches a node (level, index)
/// that an earlier proof reached with the same hash, and its remaining elements equal that
/// earlier proof's remaining elements, the rest of the computation is the earlier one's, which
/// ended at the root: the leaf is included. The verdict is always that of
/// `merkle::verify_inclusion` (audit paths are unique, so a correct proof's suffix is the earlier
/// one); only the hashing is saved.
struct InclusionMemo<'p> {
    size: u64,
    root: merkle::Hash,
    /// (level, node index) → (hash, the proof elements above it).
    nodes: std::collections::HashMap<(u32, u64), (merkle::Hash, &'p [Digest])>,
}

impl<'p> InclusionMemo<'p> {
    fn new((size, root): (u64, merkle::Hash)) -> Self {
        InclusionMemo {
            size,
            root,
            nodes: std::collections::HashMap::new(),
        }
    }

    fn verify(
        &mut self,
        leaf_hash: &merkle::Hash,
        index: u64,
        proof: &'p [Digest],
    ) -> Result<(), ProofError> {
        if index >= self.size {
            return Err(ProofError::IndexOutOfRange {
                index,
                size: self.size,
            });
        }
        let mut node = index;
        let mut last = self.size - 1;
        let mut level = 0u32;
        let mut hash = *leaf_hash;
        let mut reached: Vec<((u32, u64), merkle::Hash, usize)> = Vec::with_capacity(proof.len());
        for (step, sibling) in proof.iter().enumerate() {
            if last == 0 {
                return Err(ProofError::WrongLength);
            }
            if node & 1 == 1 || node == last {
                hash = merkle::node_hash(&sibling.0, &hash);
                if node & 1 == 0 {
                    while node & 1 == 0 && node != 0 {
                        node >>= 1;
                        last >>= 1;
                        level += 1;
                    }
                }
            } else {
                hash = merkle::node_hash(&hash, &sibling.0);
            }
            node >>= 1;
            last >>= 1;
            level += 1;
            let rest = &proof[step + 1..];
            if let Some((known, known_rest)) = self.nodes.get(&(level, node)) {
                if *known == hash && *known_rest == rest {
                    return Ok(());
                }
            }
            reached.push(((level, node), hash, step + 1));
        }
        if last != 0 {
            return Err(ProofError::WrongLength);
        }
        if hash != self.root {
            return Err(ProofError::RootMismatch);
        }
        for (key, hash, rest) in reached {
            self.nodes.insert(key, (hash, &proof[rest..]));
        }
        Ok(())
    }
}

/// What a signature in a batch is, to name it when it fails.
#[derive(Clone, Copy)]
enum Signer<'a> {
    Party(&'a str),
    Attester,
    Review(&'a str),
    Close(&'a str),
    Agreement(&'a str),
}

/// Batch-verifies every party, attester and review signature of a chunk. Returns the first
/// failure and how many signatures were checked.
fn chunk_signatures(
    entries: &[Decoded],
    offset: usize,
    contract: &Contract,
) -> (Option<(u64, EntryError)>, usize) {
    let per_entry = contract.parties.len() + 1;
    let mut items: Vec<BatchItem<'_>> = Vec::with_capacity(entries.len() * per_entry);
    let mut owners: Vec<(u64, Signer<'_>)> = Vec::with_capacity(entries.len() * per_entry);
    for (i, entry) in entries.iter().enumerate() {
        let index = (offset + i) as u64;
        for (role, key) in &contract.parties {
            if let Some(signature) = entry.signed.signatures.get(role) {
                items.push((Domain::Entry, &entry.signed.body, signature, key));
                owners.push((index, Signer::Party(role)));
            }
        }
        match &entry.body.step {
            // An attester without a grant is a structural failure, reported in order.
            Step::Event(step) => {
                if let Some(grant) = contract.attester(&step.event.attester) {
                    items.push((
                        Domain::Event,
                        &step.event.body,
                        &step.event.signature,
                        &grant.key,
                    ));
                    owners.push((index, Signer::Attester));
                }
            }
            Step::Review(step) => {
                for (role, key) in &contract.parties {
                    if let Some(signature) = step.review.signatures.get(role) {
                        items.push((Domain::Review, &step.review.body, signature, key));
                        owners.push((index, Signer::Review(role)));
                    }
                }
            }
            Step::Close(step) => {
                for (role, key) in &contract.parties {
                    if let Some(signature) = step.close.signatures.get(role) {
                        items.push((Domain::Close, &step.close.body, signature, key));
                        owners.push((index, Signer::Close(role)));
                    }
                }
            }
            Step::Agreement(step) => {
                for (role, key) in &contract.parties {
                    if let Some(signature) = step.agreement.signatures.get(role) {
                        items.push((Domain::Agreement, &step.agreement.body, signature, key));
                        owners.push((index, Signer::Agreement(role)));
                    }
                }
            }
            Step::Genesis => {}
        }
    }
    let failure = verify_batch(&items).err().and_then(|error| {
        owners.get(error.index).map(|(index, signer)| {
            let error = match signer {
                Signer::Party(role) => EntryError::PartySignature(role.to_string()),
                Signer::Attester => EntryError::AttesterSignature,
                Signer::Review(role) => EntryError::ReviewSignature(role.to_string()),
                Signer::Close(role) => EntryError::CloseSignature(role.to_string()),
                Signer::Agreement(role) => EntryError::AgreementSignature(role.to_string()),
            };
            (*index, error)
        })
    });
    (failure, items.len())
}

/// The in-order walk: structure (step 4), leaf order (step 7) and replay (steps 5 and 6).
struct InOrder<'c, 'e> {
    context: &'c Context<'c>,
    position: u64,
    previous: Option<&'e Decoded>,
    structure: Option<VerifyError>,
    replay: Option<VerifyError>,
    leaf_order: Option<(u64, u64, u64)>,
    attesters: Vec<Option<String>>,
    state: Option<State>,
    seen: HashSet<Digest>,
    summary: BreakerSummary,
    programs: Vec<(u64, std::sync::Arc<contract_lang::ir::Program>)>,
    worked: BTreeMap<u64, Vec<crate::state::WorkedFact>>,
}

impl<'c, 'e> InOrder<'c, 'e> {
    fn new(context: &'c Context<'c>, entries: usize) -> Self {
        InOrder {
            context,
            position: 0,
            previous: None,
            structure: None,
            replay: None,
            leaf_order: None,
            attesters: Vec::with_capacity(entries),
            state: None,
            seen: HashSet::with_capacity(entries),
            summary: BreakerSummary::default(),
            programs: Vec::new(),
            worked: BTreeMap::new(),
        }
    }

    fn visit(&mut self, entry: &'e Decoded) {
        let index = self.position;
        self.position += 1;
        if self.structure.is_some() || self.context.machine.is_none() {
            return;
        }
        match self.structure_of(index, entry) {
            Ok(attester) => self.attesters.push(attester),
            Err(error) => {
                self.structure = Some(error);
                return;
            }
        }
        if let Some(previous) = self.previous {
            if entry.leaf_index <= previous.leaf_index && self.leaf_order.is_none() {
                self.leaf_order = Some((index, entry.leaf_index, previous.leaf_index));
            }
        }
        self.previous = Some(entry);
        if self.replay.is_none() {
            if let Err(error) = self.replay_step(index, entry) {
                self.replay = Some(error);
            }
        }
    }

    /// Step 4's structural checks of one entry; its attester's name for an event.
    fn structure_of(&self, index: u64, entry: &Decoded) -> Result<Option<String>, VerifyError> {
        let contract = self.context.contract;
        let order = self.context.order;
        let fail = |error| VerifyError::Entry { index, error };
        let body = &entry.body;
        if body.order != order {
            return Err(fail(EntryError::WrongOrder {
                expected: order,
                found: body.order,
            }));
        }
        if body.seq != index {
            // Classified once every entry is decoded (see `check_entries`).
            return Err(fail(EntryError::Repeated { seq: body.seq }));
        }
        let prev = self.previous.map_or(Digest::ZERO, |previous| previous.hash);
        if body.prev != prev {
            // The previous entry's bytes do not hash to what this one names: if that entry no
            // longer carries valid signatures, it is the one that was altered.
            if let Some(previous) = self.previous {
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
        match (&body.step, &entry.event, &entry.review) {
            (Step::Event(step), Some(event), _) => {
                if event.order != order {
                    return Err(fail(EntryError::EventOrder {
                        expected: order,
                        found: event.order,
                    }));
                }
                match contract.event_signer(&step.event.attester, &event.kind) {
                    Ok(name) => Ok(Some(name.to_string())),
                    Err(SignerError::Unknown) => Err(fail(EntryError::UnknownAttester {
                        key: step.event.attester.to_string(),
                    })),
                    Err(SignerError::NotGranted(name)) => {
                        Err(fail(EntryError::UnauthorisedAttester {
                            attester: name.to_string(),
                            kind: event.kind.clone(),
                        }))
                    }
                }
            }
            (Step::Review(step), _, Some(review)) => {
                if review.order != order {
                    return Err(fail(EntryError::ReviewOrder(review.order)));
                }
                check_signers(&contract.parties, &step.review.signatures)
                    .map_err(|error| fail(EntryError::ReviewSigners(error)))?;
                Ok(None)
            }
            (Step::Close(step), _, _) => {
                if let Some(close) = &entry.close {
                    if close.order != order {
                        return Err(fail(EntryError::CloseOrder(close.order)));
                    }
                }
                check_signers(&contract.parties, &step.close.signatures)
                    .map_err(|error| fail(EntryError::CloseSigners(error)))?;
                Ok(None)
            }
            (Step::Agreement(step), _, _) => {
                if let Some(agreement) = &entry.agreement {
                    if agreement.order != order {
                        return Err(fail(EntryError::AgreementOrder(agreement.order)));
                    }
                }
                check_signers(&contract.parties, &step.agreement.signatures)
                    .map_err(|error| fail(EntryError::AgreementSigners(error)))?;
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    /// Replays one entry and compares it with the recorded one.
    fn replay_step(&mut self, index: u64, entry: &Decoded) -> Result<(), VerifyError> {
        let Some(machine) = self.context.machine else {
            return Ok(());
        };
        let replay_error = |error| VerifyError::Replay { index, error };
        let Some(state) = self.state.take() else {
            let genesis = machine
                .genesis()
                .map_err(|error| replay_error(ReplayError::Rejected(error.into())))?;
            if genesis.body != entry.body {
                return Err(replay_error(mismatch(&entry.body, &genesis.body)));
            }
            self.state = Some(genesis.accept(entry.hash));
            return Ok(());
        };
        // The program before an agreement, to tell whether it brought another into force.
        let program_before = matches!(entry.body.step, Step::Agreement(_))
            .then(|| machine.rules(&state).shared_program());
        // The state moves into the step (no copy); replay stops at the first error anyway.
        let high_water = state.high_water;
        let mut transition = match (&entry.body.step, &entry.event) {
            (Step::Event(step), Some(event)) => {
                machine.apply_checked_owned(state, &self.seen, &step.event, event)
            }
            (Step::Review(step), _) => machine.apply_review_checked(&state, &step.review),
            (Step::Close(step), _) => machine.apply_close_checked(&state, &step.close),
            (Step::Agreement(step), _) => {
                self.summary.agreements += 1;
                machine.apply_agreement_checked(&state, &step.agreement)
            }
            _ => return Err(replay_error(ReplayError::Body)),
        }
        .map_err(|error| replay_error(ReplayError::Rejected(error)))?;
        if transition.body != entry.body {
            if let Some(error) = breaker_violation(&entry.body, &transition.body, high_water, entry)
            {
                return Err(VerifyError::Breaker { index, error });
            }
            return Err(replay_error(mismatch(&entry.body, &transition.body)));
        }
        match &entry.body.step {
            Step::Event(step) => match step.outcome {
                Outcome::BreakerTripped { .. } => self.summary.trips += 1,
                Outcome::ToReview { .. } => self.summary.handed_to_review += 1,
                Outcome::Paused => self.summary.paused_facts += 1,
                Outcome::Applied(_) => {}
            },
            Step::Review(step) => {
                self.summary.reviews += 1;
                // Facts held during the pause, evaluated after the review, may pause it again.
                for reevaluation in &step.reevaluated {
                    match reevaluation.outcome {
                        Outcome::BreakerTripped { .. } => self.summary.trips += 1,
                        Outcome::ToReview { .. } => self.summary.handed_to_review += 1,
                        Outcome::Applied(_) | Outcome::Paused => {}
                    }
                }
            }
            Step::Genesis | Step::Close(_) | Step::Agreement(_) => {}
        }
        if let Some(event) = transition.event {
            self.seen.insert(event);
        }
        if !transition.worked.is_empty() {
            self.worked
                .insert(entry.body.seq, std::mem::take(&mut transition.worked));
        }
        let state = transition.accept(entry.hash);
        if let Some(before) = program_before {
            let after = machine.rules(&state).shared_program();
            if !std::sync::Arc::ptr_eq(&before, &after) {
                self.programs.push((entry.body.seq, after));
            }
        }
        self.state = Some(state);
        Ok(())
    }

    fn finish(self) -> Findings {
        Findings {
            entries: Vec::new(),
            decode: None,
            structure: self.structure,
            signature: None,
            replay: self.replay,
            leaf_order: self.leaf_order,
            inclusion: None,
            attesters: self.attesters,
            state: self.state,
            summary: self.summary,
            signatures: 0,
            programs: self.programs,
            worked: self.worked,
        }
    }
}

/// Classifies an entry whose sequence number is not its position.
fn sequence_error(
    entries: &[Decoded],
    position: usize,
    signed_contract: &SignedContract,
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
    match proof.check() {
        Ok(_) => EntryError::Equivocation {
            seq: found,
            proof: Box::new(proof),
        },
        Err(_) => EntryError::Repeated { seq: found },
    }
}

/// A recorded entry that applied an amendment where replay held it.
fn breaker_violation(
    recorded: &EntryBody,
    replayed: &EntryBody,
    high_water: i64,
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
            Some(if at < high_water {
                BreakerError::Backdated { at, high_water }
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
        (Step::Agreement(a), Step::Agreement(b)) if a != b => return ReplayError::Agreement,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{MemoryStore, MerkleLog};
    use proptest::prelude::*;

    proptest! {
        /// The memo's verdict is always `merkle::verify_inclusion`'s, on valid and mutated
        /// proofs alike.
        #[test]
        fn inclusion_memo_agrees_with_the_reference(
            size in 1u64..200,
            picks in proptest::collection::vec((any::<proptest::sample::Index>(), 0u8..4, any::<proptest::sample::Index>()), 1..40),
        ) {
            let mut log = MerkleLog::new(MemoryStore::new());
            for i in 0..size {
                log.append(&i.to_be_bytes()).unwrap();
            }
            let root = log.root().unwrap();
            let proofs: Vec<(u64, Vec<Digest>)> = picks
                .iter()
                .map(|(leaf, mutation, at)| {
                    let index = leaf.index(size as usize) as u64;
                    let mut proof: Vec<Digest> = log
                        .inclusion_proof(index, size)
                        .unwrap()
                        .into_iter()
                        .map(Digest)
                        .collect();
                    match mutation {
                        1 if !proof.is_empty() => {
                            let at = at.index(proof.len());
                            proof[at].0[3] ^= 1;
                        }
                        2 => proof.push(Digest([7; 32])),
                        3 if !proof.is_empty() => {
                            proof.pop();
                        }
                        _ => {}
                    }
                    (index, proof)
                })
                .collect();
            let mut memo = InclusionMemo::new((size, root));
            for (index, proof) in &proofs {
                let leaf = merkle::leaf_hash(&index.to_be_bytes());
                let path: Vec<merkle::Hash> = proof.iter().map(|digest| digest.0).collect();
                let expected = merkle::verify_inclusion(&leaf, *index, size, &path, &root);
                prop_assert_eq!(memo.verify(&leaf, *index, proof), expected);
            }
        }
    }
}
