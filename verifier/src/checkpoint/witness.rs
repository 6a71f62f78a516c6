//! Signing, cosigning and verifying checkpoints against a trust policy.
//!
//! * A log signs a checkpoint with a plain Ed25519 note signature (type 0x01) under a key
//!   named after the checkpoint's origin.
//! * A witness cosigns with `cosignature/v1` (type 0x04, c2sp.org/tlog-cosignature): an
//!   Ed25519 signature over `"cosignature/v1\ntime <secs>\n" || checkpoint text`, carried as
//!   8-byte big-endian timestamp || signature. A witness does so only after checking a
//!   consistency proof from the last checkpoint it cosigned; the cosignature states that.
//! * A verifier holds a [`TrustPolicy`]: the log's key and the witnesses it trusts, of which
//!   at least `min_witnesses` must have cosigned.
//!
//! Verification follows c2sp.org/signed-note: lines from unknown keys (name and key ID not
//! both matching) are ignored and never counted; a line from a known key that fails to verify
//! rejects the whole note; so does a second line from the same known key, so that a witness
//! can never be counted twice.

use serde::{Deserialize, Serialize};

use super::body::Checkpoint;
use super::keys::{NoteKeyType, NoteVerifierKey};
use super::note::{check_text, NoteSignature, SignedNote};
use super::NoteError;
use crate::sign::{PublicKey, Signature, SigningKey, SIGNATURE_LENGTH};

/// Largest timestamp a cosignature may carry (c2sp.org/tlog-cosignature).
const MAX_TIMESTAMP: u64 = (1 << 63) - 1;

/// A signature line that verified, and under which key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSignature {
    pub key: NoteVerifierKey,
    /// For a cosignature, when the witness made it (POSIX seconds, as the witness claims).
    pub timestamp: Option<u64>,
}

impl SignedNote {
    /// Verifies the note's signatures by `keys`: returns those that verified, in line order.
    ///
    /// Lines from other keys are ignored. Fails if a line from a known key does not verify or
    /// repeats, or if no known key signed.
    pub fn verify(&self, keys: &[NoteVerifierKey]) -> Result<Vec<VerifiedSignature>, NoteError> {
        let mut verified: Vec<VerifiedSignature> = Vec::new();
        for line in self.signatures() {
            let Some(key) = keys
                .iter()
                .find(|key| key.name() == line.name() && key.key_id() == line.key_id())
            else {
                continue;
            };
            if verified.iter().any(|done| done.key == *key) {
                return Err(NoteError::DuplicateSignature(key.name().to_string()));
            }
            let timestamp = verify_line(self.text(), line, key)?;
            verified.push(VerifiedSignature {
                key: key.clone(),
                timestamp,
            });
        }
        if verified.is_empty() {
            return Err(NoteError::NoVerifiedSignature);
        }
        Ok(verified)
    }
}

/// Checks one line from a known key; returns the cosignature's timestamp, if it is one.
fn verify_line(
    text: &str,
    line: &NoteSignature,
    key: &NoteVerifierKey,
) -> Result<Option<u64>, NoteError> {
    let invalid = || NoteError::InvalidSignature(key.name().to_string());
    match key.key_type() {
        NoteKeyType::Ed25519 => {
            let signature = Signature::from_slice(line.signature()).map_err(|_| invalid())?;
            key.public_key()
                .verify_raw(text.as_bytes(), &signature)
                .map_err(|_| invalid())?;
            Ok(None)
        }
        NoteKeyType::CosignatureV1 => {
            let bytes = line.signature();
            if bytes.len() != 8 + SIGNATURE_LENGTH {
                return Err(invalid());
            }
            let (time, signature) = bytes.split_at(8);
            let mut time_bytes = [0u8; 8];
            time_bytes.copy_from_slice(time);
            let timestamp = u64::from_be_bytes(time_bytes);
            if timestamp > MAX_TIMESTAMP {
                return Err(NoteError::TimestampTooLarge(timestamp));
            }
            let signature = Signature::from_slice(signature).map_err(|_| invalid())?;
            key.public_key()
                .verify_raw(cosignature_message(text, timestamp).as_bytes(), &signature)
                .map_err(|_| invalid())?;
            Ok(Some(timestamp))
        }
    }
}

/// Signs `text` (a note text: non-empty, newline-terminated, no control characters) with a
/// plain Ed25519 note signature under `name`.
pub fn sign_note(text: &str, name: &str, key: &SigningKey) -> Result<NoteSignature, NoteError> {
    check_text(text)?;
    let verifier = NoteVerifierKey::log(name, key.public_key())?;
    let signature = key.sign_raw(text.as_bytes());
    NoteSignature::new(name, verifier.key_id(), signature.to_bytes().to_vec())
}

/// The log's signed note for `checkpoint`, signed under a key named after its origin.
pub fn sign_checkpoint(checkpoint: &Checkpoint, key: &SigningKey) -> Result<SignedNote, NoteError> {
    let text = checkpoint.to_text();
    let signature = sign_note(&text, checkpoint.origin(), key)?;
    SignedNote::new(&text, vec![signature])
}

/// The message a `cosignature/v1` signs: header line, time line, then the checkpoint text.
pub fn cosignature_message(text: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{text}")
}

/// A witness's cosignature line for `checkpoint`, made at `timestamp` (POSIX seconds).
///
/// Call it only after checking the log's signature and a consistency proof from the last
/// checkpoint this witness cosigned for the origin: that is what the cosignature asserts.
pub fn cosign(
    checkpoint: &Checkpoint,
    name: &str,
    key: &SigningKey,
    timestamp: u64,
) -> Result<NoteSignature, NoteError> {
    if timestamp > MAX_TIMESTAMP {
        return Err(NoteError::TimestampTooLarge(timestamp));
    }
    let verifier = NoteVerifierKey::witness(name, key.public_key())?;
    let signature = key.sign_raw(cosignature_message(&checkpoint.to_text(), timestamp).as_bytes());
    let mut bytes = Vec::with_capacity(8 + SIGNATURE_LENGTH);
    bytes.extend_from_slice(&timestamp.to_be_bytes());
    bytes.extend_from_slice(signature.as_bytes());
    NoteSignature::new(name, verifier.key_id(), bytes)
}

/// Which checkpoints a verifier believes: signed by the log's key (whose name is the log's
/// origin) and cosigned by at least `min_witnesses` of `witnesses`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "UncheckedPolicy", into = "UncheckedPolicy")]
pub struct TrustPolicy {
    log_key: NoteVerifierKey,
    witnesses: Vec<NoteVerifierKey>,
    min_witnesses: usize,
}

/// The serialized form of a [`TrustPolicy`], checked by [`TrustPolicy::new`] when read.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a log table with log_key, witnesses and min_witnesses"
)]
struct UncheckedPolicy {
    log_key: NoteVerifierKey,
    witnesses: Vec<NoteVerifierKey>,
    min_witnesses: usize,
}

impl TryFrom<UncheckedPolicy> for TrustPolicy {
    type Error = NoteError;

    fn try_from(policy: UncheckedPolicy) -> Result<Self, NoteError> {
        TrustPolicy::new(policy.log_key, policy.witnesses, policy.min_witnesses)
    }
}

impl From<TrustPolicy> for UncheckedPolicy {
    fn from(policy: TrustPolicy) -> Self {
        UncheckedPolicy {
            log_key: policy.log_key,
            witnesses: policy.witnesses,
            min_witnesses: policy.min_witnesses,
        }
    }
}

/// A checkpoint that satisfied a [`TrustPolicy`], with the cosignatures that counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCheckpoint {
    pub checkpoint: Checkpoint,
    pub cosignatures: Vec<VerifiedSignature>,
}

impl TrustPolicy {
    /// A policy, refusing ones that could miscount: keys of the wrong type, a witness listed
    /// twice (by name and key ID, or by public key), the log's own key as a witness, or a
    /// threshold more witnesses than there are.
    pub fn new(
        log_key: NoteVerifierKey,
        witnesses: Vec<NoteVerifierKey>,
        min_witnesses: usize,
    ) -> Result<Self, NoteError> {
        if log_key.key_type() != NoteKeyType::Ed25519 {
            return Err(NoteError::InvalidPolicy(
                "the log key must be an Ed25519 key",
            ));
        }
        for (i, witness) in witnesses.iter().enumerate() {
            if witness.key_type() != NoteKeyType::CosignatureV1 {
                return Err(NoteError::InvalidPolicy(
                    "witness keys must be cosignature/v1 keys",
                ));
            }
            if witness.public_key() == log_key.public_key() {
                return Err(NoteError::InvalidPolicy("the log cannot witness itself"));
            }
            let repeated = witnesses[..i].iter().any(|earlier| {
                earlier.public_key() == witness.public_key()
                    || (earlier.name() == witness.name() && earlier.key_id() == witness.key_id())
            });
            if repeated {
                return Err(NoteError::InvalidPolicy("a witness is listed twice"));
            }
        }
        if min_witnesses > witnesses.len() {
            return Err(NoteError::InvalidPolicy(
                "more witnesses required than listed",
            ));
        }
        Ok(TrustPolicy {
            log_key,
            witnesses,
            min_witnesses,
        })
    }

    /// The same, from names and public keys.
    pub fn from_keys(
        origin: &str,
        log_key: PublicKey,
        witnesses: &[(&str, PublicKey)],
        min_witnesses: usize,
    ) -> Result<Self, NoteError> {
        let witnesses = witnesses
            .iter()
            .map(|(name, key)| NoteVerifierKey::witness(name, *key))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(
            NoteVerifierKey::log(origin, log_key)?,
            witnesses,
            min_witnesses,
        )
    }

    /// The log origin this policy is about (its key's name).
    pub fn origin(&self) -> &str {
        self.log_key.name()
    }

    pub fn log_key(&self) -> &NoteVerifierKey {
        &self.log_key
    }

    pub fn witnesses(&self) -> &[NoteVerifierKey] {
        &self.witnesses
    }

    pub fn min_witnesses(&self) -> usize {
        self.min_witnesses
    }

    /// Parses and verifies a signed checkpoint note.
    pub fn verify(&self, note: &str) -> Result<VerifiedCheckpoint, NoteError> {
        self.verify_note(&SignedNote::parse(note)?)
    }

    /// Verifies a parsed signed checkpoint note.
    pub fn verify_note(&self, note: &SignedNote) -> Result<VerifiedCheckpoint, NoteError> {
        let checkpoint = Checkpoint::parse(note.text())?;
        if checkpoint.origin() != self.origin() {
            return Err(NoteError::WrongOrigin {
                expected: self.origin().to_string(),
                found: checkpoint.origin().to_string(),
            });
        }
        let mut keys = Vec::with_capacity(1 + self.witnesses.len());
        keys.push(self.log_key.clone());
        keys.extend(self.witnesses.iter().cloned());
        let verified = match note.verify(&keys) {
            Err(NoteError::NoVerifiedSignature) => return Err(NoteError::MissingLogSignature),
            other => other?,
        };
        if !verified
            .iter()
            .any(|signature| signature.key == self.log_key)
        {
            return Err(NoteError::MissingLogSignature);
        }
        let cosignatures: Vec<VerifiedSignature> = verified
            .into_iter()
            .filter(|signature| signature.key != self.log_key)
            .collect();
        if cosignatures.len() < self.min_witnesses {
            return Err(NoteError::NotEnoughWitnesses {
                verified: cosignatures.len(),
                required: self.min_witnesses,
            });
        }
        Ok(VerifiedCheckpoint {
            checkpoint,
            cosignatures,
        })
    }
}
