//! The simulated customer: asks a party's node for the order's bundle at any moment and
//! verifies it with the verifier library, remembering (step 8, sans-IO) what it verified from
//! each node's log, as one `--state-dir` would. Every honest bundle must verify, every later
//! one must verify as growth from the remembered checkpoint, and an earlier one shown again
//! after the log grew must be refused as a rollback. Now and then the customer also presents
//! the parties' signed heads (step 9) beside the bundle and beside the earlier one.

use std::collections::BTreeMap;

use verifier::{
    bundle::{
        assemble::{assemble, contract_ir, OrderParts},
        build::ExampleLog,
        verify_bundle, Freshness, Head, Remembered, Report, SignedHead, Trust, VerifyError,
        VerifyOptions,
    },
    checkpoint::{Checkpoint, NoteVerifierKey, SignedNote, TrustPolicy},
    model::{SignedContract, SignedEntry},
    sign::{PublicKey, SigningKey},
    state::State,
};

use contract_lang::ir::Program;
use verifier::bundle::Source;

/// What an export needs from the exporting node.
pub(super) struct Exporter<'a> {
    pub role: &'static str,
    pub key: &'a SigningKey,
    pub log: &'a ExampleLog,
    pub entries: &'a [SignedEntry],
    pub leaves: &'a [u64],
    /// The checkpoint the bundle carries: the exporter's latest (see [`super::witnessing`]).
    pub note: &'a str,
    /// The other parties, by the name they cosign with, and their keys.
    pub witnesses: &'a [(String, PublicKey)],
}

/// What one export showed.
pub(super) struct Verified {
    /// The order's state after the bundle's last entry, as the verifier computed it.
    pub state: State,
    /// The customer's earlier bundle of that log, shown again, was refused as a rollback.
    pub rollback_refused: bool,
    /// What the presented heads said of the bundle (`NotChecked` with none).
    pub freshness: Freshness,
    /// With heads presented: the customer's earlier bundle from the same node (its last
    /// entry's seq), verified afresh beside the same heads, and what they said of it.
    pub older: Option<(u64, Freshness)>,
    /// The bundle's checkpoint carried cosignatures, each verified as required.
    pub cosigned: bool,
}

/// An earlier bundle: its checkpoint's size, its last entry's seq, its bytes, and what its
/// exporter said to trust (the witnesses that cosigned its checkpoint).
struct Earlier {
    size: u64,
    last: u64,
    bytes: Vec<u8>,
    trust: Trust,
}

/// One customer's memory per node's log, and the last bundle from each.
#[derive(Default)]
pub(super) struct Customer {
    memory: BTreeMap<&'static str, Remembered>,
    last: BTreeMap<&'static str, Earlier>,
}

/// The head of the order a party's node signs and serves (`GET /orders/{id}/head`): its
/// latest committed entry, in its log of `log_size` leaves.
pub(super) fn signed_head(
    role: &str,
    key: &SigningKey,
    last: &SignedEntry,
    genesis_at: i64,
    log_size: u64,
) -> Result<SignedHead, String> {
    let body = last.entry().map_err(|e| e.to_string())?;
    let head =
        Head::for_entry(&body, last.hash(), genesis_at, log_size).map_err(|e| e.to_string())?;
    SignedHead::sign(&head, role, key).map_err(|e| e.to_string())
}

impl Customer {
    /// Exports the order's bundle from `exporter` (with a consistency proof from the size this
    /// customer remembers of its log, as `?since=N` asks) and verifies it through the
    /// remembered state, with `heads` presented beside it. `Ok(report)` when valid; the error
    /// names what failed.
    pub fn export_and_verify(
        &mut self,
        exporter: &Exporter<'_>,
        order: &OrderFiles<'_>,
        heads: &[SignedHead],
    ) -> Result<Verified, String> {
        let memory = self.memory.get(exporter.role).cloned().unwrap_or_default();
        let since = remembered_size(&memory, &exporter.log.origin)?;
        let size = note_size(exporter.note)?;
        let (bytes, trust) = export(exporter, order, since)?;
        let cosigned = trust.log.min_witnesses() > 0;
        let report =
            verify(&bytes, &trust, Some(memory), heads).map_err(|error| error.to_string())?;
        if let Some(remember) = &report.remember {
            self.memory.insert(exporter.role, remember.clone());
        }
        let rollback_refused = self.recheck_older(exporter, size)?;
        let older = self.older_beside(exporter.role, heads)?;
        let last = report.as_of.seq;
        let earlier = Earlier {
            size,
            last,
            bytes,
            trust,
        };
        self.last.insert(exporter.role, earlier);
        Ok(Verified {
            state: report.state,
            rollback_refused,
            freshness: report.freshness,
            older,
            cosigned,
        })
    }

    /// The earlier bundle from `role`'s node verified by a customer who remembers nothing,
    /// beside `heads`: what they say of it (it was valid, so it must verify).
    fn older_beside(
        &self,
        role: &str,
        heads: &[SignedHead],
    ) -> Result<Option<(u64, Freshness)>, String> {
        let Some(earlier) = self.last.get(role).filter(|_| !heads.is_empty()) else {
            return Ok(None);
        };
        let report = verify(&earlier.bytes, &earlier.trust, None, heads)
            .map_err(|error| format!("an earlier bundle of {role} beside heads: {error}"))?;
        Ok(Some((earlier.last, report.freshness)))
    }

    /// The bundle this customer verified before from the same node, shown again after the log
    /// grew, must be a rollback (INVALID at step 8).
    fn recheck_older(&self, exporter: &Exporter<'_>, size: u64) -> Result<bool, String> {
        let Some(Earlier {
            size: old_size,
            bytes: old,
            trust,
            ..
        }) = self.last.get(exporter.role)
        else {
            return Ok(false);
        };
        if *old_size >= size {
            return Ok(false);
        }
        let memory = self.memory.get(exporter.role).cloned().unwrap_or_default();
        match verify(old, trust, Some(memory), &[]) {
            Ok(_) => Err(format!(
                "a bundle of {}'s log at size {old_size} verified after one at size {size}: a rollback went unnoticed",
                exporter.role
            )),
            Err(_) => Ok(true),
        }
    }
}

/// The order's own files, which every bundle of it carries.
pub(super) struct OrderFiles<'a> {
    pub contract: &'a SignedContract,
    pub sources: &'a [Source],
    pub program: &'a Program,
}

/// A customer who remembers nothing verifies what `exporter` hands over beside `heads`: an
/// exporter may cut its entries to a prefix and sign its head for it.
pub(super) fn export_to_a_stranger(
    exporter: &Exporter<'_>,
    order: &OrderFiles<'_>,
    heads: &[SignedHead],
) -> Result<Result<Report, VerifyError>, String> {
    let (bytes, trust) = export(exporter, order, None)?;
    Ok(verify(&bytes, &trust, None, heads))
}

/// `exporter`'s bundle of the order (with a consistency proof from `since`, as `?since=N`
/// asks), and what a customer trusts to verify it.
fn export(
    exporter: &Exporter<'_>,
    order: &OrderFiles<'_>,
    since: Option<u64>,
) -> Result<(Vec<u8>, Trust), String> {
    let size = note_size(exporter.note)?;
    let consistency_from: Vec<u64> = since
        .filter(|from| (1..size).contains(from))
        .into_iter()
        .collect();
    let note = exporter.note;
    let parsed = order.contract.contract().map_err(|e| e.to_string())?;
    let ir = contract_ir(order.program, &parsed).map_err(|e| e.to_string())?;
    let parts = OrderParts {
        sources: order.sources.to_vec(),
        ir,
        contract: order.contract.clone(),
        entries: exporter.entries.to_vec(),
    };
    let bundle = assemble(
        &parts,
        exporter.leaves,
        &exporter.log.log,
        note,
        (exporter.role, exporter.key),
        &consistency_from,
    )
    .map_err(|e| format!("assemble: {e}"))?;
    let bytes = bundle.to_bytes().map_err(|e| e.to_string())?;
    let trust = Trust {
        log: trust_policy(exporter)?,
        parties: parsed.parties.clone(),
    };
    Ok((bytes, trust))
}

/// What the exporter's node says to trust (`GET /trust`, `export.rs::trust_file`): its log
/// key, and every party whose cosignature its checkpoint carries as a witness, all required.
fn trust_policy(exporter: &Exporter<'_>) -> Result<TrustPolicy, String> {
    let note = SignedNote::parse(exporter.note).map_err(|e| e.to_string())?;
    let mut cosigners: Vec<(&str, PublicKey)> = Vec::new();
    for (name, key) in exporter.witnesses {
        let witness = NoteVerifierKey::witness(name, *key).map_err(|e| e.to_string())?;
        if note.verify(std::slice::from_ref(&witness)).is_ok() {
            cosigners.push((name, *key));
        }
    }
    let log = &exporter.log;
    TrustPolicy::from_keys(
        &log.origin,
        log.key.public_key(),
        &cosigners,
        cosigners.len(),
    )
    .map_err(|e| e.to_string())
}

/// The size of the log a signed checkpoint note commits to.
pub(super) fn note_size(note: &str) -> Result<u64, String> {
    let note = SignedNote::parse(note).map_err(|e| e.to_string())?;
    let checkpoint = Checkpoint::parse(note.text()).map_err(|e| e.to_string())?;
    Ok(checkpoint.size())
}

/// Verifies `bytes` through `memory` (`None`: a customer who remembers nothing) beside
/// `heads`.
fn verify(
    bytes: &[u8],
    trust: &Trust,
    memory: Option<Remembered>,
    heads: &[SignedHead],
) -> Result<Report, VerifyError> {
    let options = VerifyOptions {
        remembered: memory,
        heads: heads.to_vec(),
        threads: 1,
    };
    verify_bundle(bytes, trust, &options)
}

/// The size of `origin`'s checkpoint in `memory`, if any.
fn remembered_size(memory: &Remembered, origin: &str) -> Result<Option<u64>, String> {
    let Some(note) = memory.checkpoints.get(origin) else {
        return Ok(None);
    };
    let note = SignedNote::parse(note).map_err(|e| e.to_string())?;
    let checkpoint = Checkpoint::parse(note.text()).map_err(|e| e.to_string())?;
    Ok(Some(checkpoint.size()))
}
