//! Step 8: what a verifier remembers between runs, and the rule that tells honest growth from
//! a rollback or a fork. Sans-IO: [`crate::bundle::verify_bundle`] takes the remembered state
//! ([`Remembered`]) and returns what to remember next; reading and writing it is the caller's
//! business (`pactum-verify --state-dir DIR` keeps it in files).
//!
//! The rule, for a checkpoint of size `n` presented when one of size `m` of the same log origin
//! is remembered:
//! * `n < m` is a rollback, `n == m` with another root a fork: INVALID, both signed checkpoints
//!   as evidence;
//! * `n == m` with the same root: unchanged;
//! * `n > m`: growth, VALID on the first basis that holds, named in the report: a consistency
//!   proof from `m` in the bundle (the exporter was told the size the customer remembers), or
//!   else the trusted witnesses' cosignatures on the new checkpoint (a witness checks a
//!   consistency proof from the last checkpoint it cosigned before it cosigns another, the C2SP
//!   witness model; the remembered checkpoint passed the same quorum). A proof in the bundle
//!   that does not verify is a fork. With no witness required by the trust policy and no proof,
//!   growth cannot be told from a fork and is refused as unproven.
//!
//! Per order, the last verified entry is remembered too: a later bundle of that order must
//! still hold it, unchanged, at its position (a shorter history or a replaced entry is
//! INVALID, with the remembered entry and the checkpoints as evidence), whichever party's log
//! the new bundle comes from.

use std::collections::BTreeMap;

use serde::Serialize;

use super::error::ConsistencyError;
use super::format::ConsistencyProof;
use crate::checkpoint::{Checkpoint, SignedNote};
use crate::merkle;
use crate::model::{Digest, OrderId};

/// What a verifier remembers between runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Remembered {
    /// Per log origin, the signed note of the largest checkpoint verified so far.
    pub checkpoints: BTreeMap<String, String>,
    /// Per order, the last entry verified.
    pub heads: BTreeMap<OrderId, RememberedHead>,
}

/// Remembered state that cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the remembered state is unreadable: {0}")]
pub struct UnreadableMemory(String);

impl Remembered {
    /// As JSON, for a verifier that keeps it in one string (the trail page keeps it in the
    /// browser's localStorage): `{"checkpoints": {ORIGIN: SIGNED NOTE}, "heads": {ORDER ID:
    /// {"seq": N, "entry": HASH}}}`.
    pub fn to_json(&self) -> String {
        let heads: BTreeMap<String, serde_json::Value> = self
            .heads
            .iter()
            .map(|(order, head)| {
                let head = serde_json::json!({ "seq": head.seq, "entry": head.entry.to_string() });
                (order.to_string(), head)
            })
            .collect();
        serde_json::json!({ "checkpoints": self.checkpoints, "heads": heads }).to_string()
    }

    /// Reads [`Remembered::to_json`]'s text back; every checkpoint must parse as a signed
    /// checkpoint note of the origin it is filed under.
    pub fn from_json(text: &str) -> Result<Remembered, UnreadableMemory> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Stored {
            checkpoints: BTreeMap<String, String>,
            heads: BTreeMap<String, StoredHead>,
        }
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct StoredHead {
            seq: u64,
            entry: String,
        }
        let stored: Stored =
            serde_json::from_str(text).map_err(|error| UnreadableMemory(error.to_string()))?;
        for (origin, note) in &stored.checkpoints {
            let checkpoint = SignedNote::parse(note)
                .and_then(|note| Checkpoint::parse(note.text()))
                .map_err(|error| UnreadableMemory(format!("checkpoint of `{origin}`: {error}")))?;
            if checkpoint.origin() != origin {
                return Err(UnreadableMemory(format!(
                    "the checkpoint filed under `{origin}` is for `{}`",
                    checkpoint.origin()
                )));
            }
        }
        let mut heads = BTreeMap::new();
        for (order, head) in stored.heads {
            let unreadable = || UnreadableMemory(format!("the head of order {order}"));
            let order = Digest::from_hex(&order).ok_or_else(unreadable)?;
            let entry = Digest::from_hex(&head.entry).ok_or_else(unreadable)?;
            heads.insert(
                order,
                RememberedHead {
                    seq: head.seq,
                    entry,
                },
            );
        }
        Ok(Remembered {
            checkpoints: stored.checkpoints,
            heads,
        })
    }
}

/// The last verified entry of an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RememberedHead {
    pub seq: u64,
    pub entry: Digest,
}

/// Two signed checkpoints of one log that cannot both be honest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckpointEvidence {
    pub origin: String,
    /// The signed note remembered from an earlier verification.
    pub previous: String,
    pub previous_size: u64,
    /// The signed note the bundle presents.
    pub presented: String,
    pub presented_size: u64,
}

/// A remembered entry of an order that a later bundle no longer holds as it was.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeadEvidence {
    pub order: OrderId,
    pub seq: u64,
    /// The entry hash verified earlier at `seq`.
    pub remembered: Digest,
    /// The bundle's entry at `seq`, `None` when the bundle ends before it.
    pub presented: Option<Digest>,
    /// The checkpoint remembered for the bundle's log origin, if any.
    pub previous_checkpoint: Option<String>,
    /// The bundle's checkpoint.
    pub presented_checkpoint: String,
}

/// What step 8 found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Consistency {
    /// No checkpoint of this origin was remembered; this one now is.
    FirstSeen,
    /// The same checkpoint as last time.
    Unchanged,
    /// The log grew from `from` leaves, on `basis`.
    Extended { from: u64, basis: GrowthBasis },
}

/// Why growth of the log was accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrowthBasis {
    /// A consistency proof in the bundle, checked against both roots.
    Proof,
    /// The trusted witnesses that cosigned the new checkpoint, each of which certifies that
    /// the log only grew since the last checkpoint it cosigned.
    Witnesses { names: Vec<String> },
}

/// The bundle's side of step 8.
pub(crate) struct Presented<'a> {
    pub note: &'a str,
    pub checkpoint: &'a Checkpoint,
    pub proofs: &'a [ConsistencyProof],
    /// Witnesses whose cosignatures on the checkpoint counted (step 7).
    pub witnesses: &'a [String],
    pub order: OrderId,
    /// The bundle's entry hashes, by position.
    pub entries: &'a [Digest],
}

/// Checks a verified bundle against what was remembered; returns the finding and what to
/// remember from now on.
pub(crate) fn check(
    remembered: &Remembered,
    presented: &Presented<'_>,
) -> Result<(Consistency, Remembered), ConsistencyError> {
    let origin = presented.checkpoint.origin();
    let previous_note = remembered.checkpoints.get(origin);
    let consistency = match previous_note {
        None => Consistency::FirstSeen,
        Some(previous_note) => compare(previous_note, presented)?,
    };
    check_head(remembered, presented, previous_note)?;
    let mut next = remembered.clone();
    if !matches!(consistency, Consistency::Unchanged) {
        next.checkpoints
            .insert(origin.to_string(), presented.note.to_string());
    }
    if let Some(last) = presented.entries.last() {
        let seq = (presented.entries.len() - 1) as u64;
        next.heads
            .insert(presented.order, RememberedHead { seq, entry: *last });
    }
    Ok((consistency, next))
}

fn check_head(
    remembered: &Remembered,
    presented: &Presented<'_>,
    previous_note: Option<&String>,
) -> Result<(), ConsistencyError> {
    let Some(head) = remembered.heads.get(&presented.order) else {
        return Ok(());
    };
    let found = usize::try_from(head.seq)
        .ok()
        .and_then(|index| presented.entries.get(index))
        .copied();
    if found == Some(head.entry) {
        return Ok(());
    }
    let evidence = Box::new(HeadEvidence {
        order: presented.order,
        seq: head.seq,
        remembered: head.entry,
        presented: found,
        previous_checkpoint: previous_note.cloned(),
        presented_checkpoint: presented.note.to_string(),
    });
    Err(match found {
        None => ConsistencyError::OrderShortened(evidence),
        Some(_) => ConsistencyError::EntryReplaced(evidence),
    })
}

fn compare(
    previous_note: &str,
    presented: &Presented<'_>,
) -> Result<Consistency, ConsistencyError> {
    let checkpoint = presented.checkpoint;
    let previous = SignedNote::parse(previous_note)
        .and_then(|note| Checkpoint::parse(note.text()))
        .map_err(|error| ConsistencyError::Remembered(error.to_string()))?;
    if previous.origin() != checkpoint.origin() {
        return Err(ConsistencyError::Remembered(format!(
            "it is for origin `{}`",
            previous.origin()
        )));
    }
    let evidence = || {
        Box::new(CheckpointEvidence {
            origin: checkpoint.origin().to_string(),
            previous: previous_note.to_string(),
            previous_size: previous.size(),
            presented: presented.note.to_string(),
            presented_size: checkpoint.size(),
        })
    };
    if checkpoint.size() < previous.size() {
        return Err(ConsistencyError::Rollback(evidence()));
    }
    if checkpoint.size() == previous.size() {
        return if checkpoint.root() == previous.root() {
            Ok(Consistency::Unchanged)
        } else {
            Err(ConsistencyError::Fork(evidence()))
        };
    }
    let from = previous.size();
    if let Some(proof) = presented.proofs.iter().find(|proof| proof.old_size == from) {
        let hashes: Vec<merkle::Hash> = proof.proof.iter().map(|digest| digest.0).collect();
        merkle::verify_consistency(
            from,
            checkpoint.size(),
            previous.root(),
            checkpoint.root(),
            &hashes,
        )
        .map_err(|_| ConsistencyError::Fork(evidence()))?;
        return Ok(Consistency::Extended {
            from,
            basis: GrowthBasis::Proof,
        });
    }
    if presented.witnesses.is_empty() {
        return Err(ConsistencyError::Unproven {
            previous: from,
            presented: checkpoint.size(),
        });
    }
    Ok(Consistency::Extended {
        from,
        basis: GrowthBasis::Witnesses {
            names: presented.witnesses.to_vec(),
        },
    })
}
