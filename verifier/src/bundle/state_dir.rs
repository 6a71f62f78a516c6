//! Step 8: remembering the last checkpoint seen per log origin, and checking that a new one
//! extends it. A rollback or a fork is reported with both signed checkpoints as evidence.
//!
//! The state directory holds one file per origin (named by the SHA-256 of the origin), the
//! signed note of the largest checkpoint verified so far. It is replaced atomically (write to a
//! temporary file, then rename), so an interrupted run leaves the previous checkpoint.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::error::ConsistencyError;
use super::format::ConsistencyProof;
use crate::checkpoint::{Checkpoint, SignedNote};
use crate::merkle;
use crate::model::Digest;

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

/// What step 8 found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Consistency {
    /// No checkpoint of this origin was remembered; this one now is.
    FirstSeen,
    /// The same checkpoint as last time.
    Unchanged,
    /// The log grew from `from` leaves, proved by a consistency proof.
    Extended { from: u64 },
}

/// The file remembering `origin`'s last checkpoint.
pub fn checkpoint_path(dir: &Path, origin: &str) -> PathBuf {
    let digest = Digest::of(origin.as_bytes());
    dir.join(format!("{}.checkpoint", &digest.to_string()[..32]))
}

/// Checks `presented` (verified, with its signed note text) against the checkpoint remembered
/// for its origin and remembers it if it is at least as new.
pub fn check_and_remember(
    dir: &Path,
    presented_note: &str,
    presented: &Checkpoint,
    proofs: &[ConsistencyProof],
) -> Result<Consistency, ConsistencyError> {
    let path = checkpoint_path(dir, presented.origin());
    let previous_note = match fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(ConsistencyError::Io(format!("{}: {error}", path.display()))),
    };
    let outcome = match &previous_note {
        None => Consistency::FirstSeen,
        Some(previous_note) => compare(previous_note, presented_note, presented, proofs)?,
    };
    if outcome != Consistency::Unchanged {
        remember(dir, &path, presented_note)?;
    }
    Ok(outcome)
}

fn compare(
    previous_note: &str,
    presented_note: &str,
    presented: &Checkpoint,
    proofs: &[ConsistencyProof],
) -> Result<Consistency, ConsistencyError> {
    let previous = SignedNote::parse(previous_note)
        .and_then(|note| Checkpoint::parse(note.text()))
        .map_err(|error| ConsistencyError::Remembered(error.to_string()))?;
    if previous.origin() != presented.origin() {
        return Err(ConsistencyError::Remembered(format!(
            "it is for origin `{}`",
            previous.origin()
        )));
    }
    let evidence = || {
        Box::new(CheckpointEvidence {
            origin: presented.origin().to_string(),
            previous: previous_note.to_string(),
            previous_size: previous.size(),
            presented: presented_note.to_string(),
            presented_size: presented.size(),
        })
    };
    if presented.size() < previous.size() {
        return Err(ConsistencyError::Rollback(evidence()));
    }
    if presented.size() == previous.size() {
        return if presented.root() == previous.root() {
            Ok(Consistency::Unchanged)
        } else {
            Err(ConsistencyError::Fork(evidence()))
        };
    }
    let Some(proof) = proofs
        .iter()
        .find(|proof| proof.old_size == previous.size())
    else {
        return Err(ConsistencyError::Unproven {
            previous: previous.size(),
            presented: presented.size(),
        });
    };
    let hashes: Vec<merkle::Hash> = proof.proof.iter().map(|digest| digest.0).collect();
    merkle::verify_consistency(
        previous.size(),
        presented.size(),
        previous.root(),
        presented.root(),
        &hashes,
    )
    .map_err(|_| ConsistencyError::Fork(evidence()))?;
    Ok(Consistency::Extended {
        from: previous.size(),
    })
}

fn remember(dir: &Path, path: &Path, note: &str) -> Result<(), ConsistencyError> {
    let io = |error: std::io::Error| ConsistencyError::Io(format!("{}: {error}", dir.display()));
    fs::create_dir_all(dir).map_err(io)?;
    let temporary = path.with_extension("checkpoint.tmp");
    fs::write(&temporary, note).map_err(io)?;
    fs::rename(&temporary, path).map_err(io)?;
    Ok(())
}
