//! Checkpoints and witnessing, without I/O: when this node signs a checkpoint of its log, from
//! which size it proves to a witness that the log only grew, and what a witness answers a
//! checkpoint presented to it (cosign it and remember it, ask for a proof from the size it
//! cosigned last, or refuse a rollback, a fork or a bad signature). The driver
//! (`checkpoints.rs`) reads and writes the store, signs with the log, and talks to the peers.

use verifier::{
    checkpoint::{cosign, Checkpoint, NoteSignature, NoteVerifierKey, SignedNote},
    merkle::{verify_consistency, Hash},
    model::Digest,
    sign::{PublicKey, SigningKey},
};

use super::records::WitnessedRecord;

/// Whether a checkpoint is due: `batch` entries became durable since the last checkpoint (of
/// size `last`) and none is being made.
pub fn checkpoint_due(durable: u64, last: u64, batch: u64, busy: bool) -> bool {
    !busy && durable >= last.saturating_add(batch)
}

/// The size a consistency proof to a witness starts from, for a checkpoint of `size`: the size
/// the witness cosigned last (as this node believes), and `None` when no proof is needed (it
/// saw nothing yet, or exactly this size).
pub fn proof_from(believed: u64, size: u64) -> (u64, bool) {
    let from = believed.min(size);
    (from, from != 0 && from != size)
}

/// A checkpoint presented for witnessing, parsed.
#[derive(Debug)]
pub struct Presented {
    note: SignedNote,
    checkpoint: Checkpoint,
}

/// A witness's cosignature of a checkpoint, and what it remembers for the checkpoint's origin
/// (stored before the cosignature is sent, so a restart never cosigns a smaller log).
#[derive(Debug)]
pub struct Cosigned {
    pub line: NoteSignature,
    pub remember: WitnessedRecord,
}

/// Why a witness does not cosign.
#[derive(Debug)]
pub enum Declined {
    /// Present it again with a consistency proof from this size, the last one cosigned.
    From { size: u64 },
    /// Not cosigned; a stable code and why.
    Refused { code: &'static str, message: String },
}

fn refused(code: &'static str, message: impl Into<String>) -> Declined {
    Declined::Refused {
        code,
        message: message.into(),
    }
}

impl Presented {
    /// Parses a signed checkpoint note (C2SP).
    pub fn parse(text: &str) -> Result<Presented, Declined> {
        let malformed = |error: String| refused("malformed_note", error);
        let note = SignedNote::parse(text).map_err(|e| malformed(e.to_string()))?;
        let checkpoint = Checkpoint::parse(note.text()).map_err(|e| malformed(e.to_string()))?;
        Ok(Presented { note, checkpoint })
    }

    /// The log's origin: what the witness remembers is kept under it.
    pub fn origin(&self) -> &str {
        self.checkpoint.origin()
    }

    /// The witness's answer to this checkpoint, signed by the log whose key is `log_key`,
    /// shown with a consistency `proof` from `from_size`, when the witness last cosigned
    /// `remembered` for its origin. `witness` names and signs the cosignature at `now`.
    pub fn judge(
        &self,
        log_key: PublicKey,
        from_size: u64,
        proof: &[Digest],
        remembered: Option<&WitnessedRecord>,
        witness: (&str, &SigningKey),
        now: u64,
    ) -> Result<Cosigned, Declined> {
        let verified = NoteVerifierKey::log(self.origin(), log_key)
            .map_err(|e| e.to_string())
            .and_then(|key| self.note.verify(&[key]).map_err(|e| e.to_string()));
        if let Err(error) = verified {
            return Err(refused(
                "bad_signature",
                format!("the log's signature: {error}"),
            ));
        }
        let size = self.checkpoint.size();
        let root: Hash = *self.checkpoint.root();
        match remembered {
            Some(seen) if from_size != seen.size => return Err(Declined::From { size: seen.size }),
            Some(seen) if size < seen.size => {
                let message = format!("the log shrank from {} to {size}", seen.size);
                return Err(refused("rollback", message));
            }
            Some(seen) if !grew(seen, size, &root, proof) => {
                let message = format!(
                    "the checkpoint at {size} is not an extension of the one at {}",
                    seen.size
                );
                return Err(refused("inconsistent", message));
            }
            None if from_size != 0 => return Err(Declined::From { size: 0 }),
            _ => {}
        }
        let line = cosign(&self.checkpoint, witness.0, witness.1, now)
            .map_err(|error| refused("cannot_cosign", error.to_string()))?;
        let remember = WitnessedRecord {
            size,
            root: Digest(root),
        };
        Ok(Cosigned { line, remember })
    }
}

/// Whether the log at `size` with `root` extends the one `seen` (the same root at the same
/// size; else a valid consistency proof).
fn grew(seen: &WitnessedRecord, size: u64, root: &Hash, proof: &[Digest]) -> bool {
    if size == seen.size {
        return *root == seen.root.0;
    }
    let proof: Vec<Hash> = proof.iter().map(|digest| digest.0).collect();
    verify_consistency(seen.size, size, &seen.root.0, root, &proof).is_ok()
}

#[cfg(test)]
mod tests {
    use verifier::checkpoint::sign_checkpoint;
    use verifier::merkle::{MemoryStore, MerkleLog};

    use super::*;

    const ORIGIN: &str = "pactum.test/seller";

    /// A log of `size` leaves (leaf `n` is the text of `n`, after `prefix`).
    fn log(prefix: &str, size: u64) -> MerkleLog<MemoryStore> {
        let mut log = MerkleLog::new(MemoryStore::new());
        for n in 0..size {
            log.append(format!("{prefix}{n}").as_bytes()).unwrap();
        }
        log
    }

    fn note(log: &MerkleLog<MemoryStore>, size: u64, key: &SigningKey) -> Presented {
        let checkpoint = Checkpoint::new(ORIGIN, size, log.root_at(size).unwrap()).unwrap();
        let text = sign_checkpoint(&checkpoint, key).unwrap().to_text();
        Presented::parse(&text).unwrap()
    }

    fn proof(log: &MerkleLog<MemoryStore>, from: u64, to: u64) -> Vec<Digest> {
        let proof = log.consistency_proof(from, to).unwrap();
        proof.into_iter().map(Digest).collect()
    }

    struct Witness {
        key: SigningKey,
        remembered: Option<WitnessedRecord>,
    }

    impl Witness {
        /// Judges like a witness's node and remembers what it cosigned.
        fn judge(
            &mut self,
            note: &Presented,
            log_key: PublicKey,
            from: u64,
            proof: &[Digest],
        ) -> Result<Cosigned, Declined> {
            let answer = note.judge(
                log_key,
                from,
                proof,
                self.remembered.as_ref(),
                ("buyer", &self.key),
                1_700_000_000,
            );
            if let Ok(cosigned) = &answer {
                self.remembered = Some(cosigned.remember);
            }
            answer
        }
    }

    fn code<T>(answer: &Result<T, Declined>) -> &str {
        match answer {
            Ok(_) => "cosigned",
            Err(Declined::From { .. }) => "from",
            Err(Declined::Refused { code, .. }) => code,
        }
    }

    #[test]
    fn a_witness_cosigns_a_log_that_only_grows_and_refuses_one_that_shrank_or_forked() {
        let seller = SigningKey::from_seed([1; 32]);
        let mut witness = Witness {
            key: SigningKey::from_seed([2; 32]),
            remembered: None,
        };
        let grown = log("entry ", 12);
        let first = note(&grown, 5, &seller);
        assert_eq!(
            code(&witness.judge(&first, seller.public_key(), 0, &[])),
            "cosigned"
        );

        // Later, larger: a proof from the size it cosigned is asked for, then accepted.
        let later = note(&grown, 12, &seller);
        let answer = witness.judge(&later, seller.public_key(), 0, &[]);
        assert!(
            matches!(answer, Err(Declined::From { size: 5 })),
            "{answer:?}"
        );
        let answer = witness.judge(&later, seller.public_key(), 5, &proof(&grown, 5, 12));
        assert_eq!(code(&answer), "cosigned");
        // The same checkpoint again needs no proof.
        assert_eq!(
            code(&witness.judge(&later, seller.public_key(), 12, &[])),
            "cosigned"
        );

        // Smaller than what it cosigned: a rollback; another history of the same size: a fork.
        let earlier = note(&grown, 9, &seller);
        assert_eq!(
            code(&witness.judge(&earlier, seller.public_key(), 12, &[])),
            "rollback"
        );
        let forked = log("forged ", 14);
        let other = note(&forked, 14, &seller);
        let answer = witness.judge(&other, seller.public_key(), 12, &proof(&forked, 12, 14));
        assert_eq!(code(&answer), "inconsistent");
    }

    #[test]
    fn a_checkpoint_not_signed_by_the_party_s_log_key_is_refused() {
        let seller = SigningKey::from_seed([1; 32]);
        let stranger = SigningKey::from_seed([3; 32]);
        let mut witness = Witness {
            key: SigningKey::from_seed([2; 32]),
            remembered: None,
        };
        let forged = note(&log("entry ", 3), 3, &stranger);
        let answer = witness.judge(&forged, seller.public_key(), 0, &[]);
        assert_eq!(code(&answer), "bad_signature");
        assert!(witness.remembered.is_none());
        assert_eq!(code(&Presented::parse("not a note")), "malformed_note");
    }

    #[test]
    fn a_checkpoint_is_due_every_batch_and_proven_from_what_the_witness_saw() {
        assert!(!checkpoint_due(99, 0, 100, false));
        assert!(checkpoint_due(100, 0, 100, false));
        assert!(!checkpoint_due(100, 0, 100, true), "one at a time");
        assert!(!checkpoint_due(150, 100, 100, false));
        assert_eq!(proof_from(0, 10), (0, false));
        assert_eq!(proof_from(4, 10), (4, true));
        assert_eq!(proof_from(10, 10), (10, false));
        // A witness that believes in a larger log is shown the whole log again.
        assert_eq!(proof_from(12, 10), (10, false));
    }
}
