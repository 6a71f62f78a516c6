//! One co-signing round and the evidence rule, without I/O: what the sequencer proposes, how
//! it counts the answers, when it may sign, and when two entries prove it equivocated.
//!
//! The node's driver (`sequencer.rs`, `peer.rs`) sends and receives the messages and verifies
//! signatures in batches; the simulator (`crate::sim`) drives the same types with a seeded
//! network. See ARCHITECTURE.md, "Protocol rules".

use std::collections::BTreeMap;

use verifier::{
    bundle::EquivocationProof,
    model::{Contract, PartySignatures, SignedContract, SignedEntry},
    sign::{Domain, PublicKey, Signature, SigningKey},
    state::machine::Sealed,
};

/// What signs entries for a party. Today every entry body is signed on its own; the trait is
/// the one place a party signs, so that signing one root per batch of entries can replace it.
pub trait Signer {
    fn public_key(&self) -> PublicKey;
    /// The party's signature over an entry body (domain `Entry`).
    fn sign_entry(&self, body: &[u8]) -> Signature;
}

impl Signer for SigningKey {
    fn public_key(&self) -> PublicKey {
        SigningKey::public_key(self)
    }

    fn sign_entry(&self, body: &[u8]) -> Signature {
        self.sign(Domain::Entry, body)
    }
}

/// What a party's node answered to a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Its signature over the proposed body, and whether the caller found it valid.
    Cosigned {
        signature: Signature,
        valid: bool,
    },
    Refused {
        code: String,
        message: String,
    },
    /// No answer (unreachable, timed out, or an answer that is not one).
    NoAnswer {
        reason: String,
    },
}

/// Why a round ended without an entry. Nothing was signed by the sequencer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoundFailure {
    #[error("party `{role}` refused: {code}: {message}")]
    Refused {
        role: String,
        code: String,
        message: String,
    },
    #[error("the node of party `{role}` did not answer: {reason}")]
    NoAnswer { role: String, reason: String },
    #[error("party `{role}` sent a cosignature that does not verify")]
    BadCosignature { role: String },
}

/// A round in progress at the sequencer.
#[derive(Debug, Clone)]
pub struct Round {
    sealed: Sealed,
    /// The proposal: the body, unsigned.
    proposal: SignedEntry,
    /// Parties whose cosignature is still missing.
    awaiting: BTreeMap<String, PublicKey>,
    cosignatures: PartySignatures,
}

impl Round {
    /// A round for `sealed` (or, for a dishonest node in tests, for `proposal`), awaiting every
    /// party but `me`.
    pub fn new(
        sealed: Sealed,
        proposal: SignedEntry,
        parties: &BTreeMap<String, PublicKey>,
        me: &str,
    ) -> Round {
        let awaiting = parties
            .iter()
            .filter(|(role, _)| role.as_str() != me)
            .map(|(role, key)| (role.clone(), *key))
            .collect();
        Round {
            sealed,
            proposal: SignedEntry::unsigned(proposal.body),
            awaiting,
            cosignatures: PartySignatures::new(),
        }
    }

    /// What to send every awaited party: the body with no signature (rule 1).
    pub fn proposal(&self) -> &SignedEntry {
        &self.proposal
    }

    pub fn sealed(&self) -> &Sealed {
        &self.sealed
    }

    /// The parties whose cosignature is missing, with their keys.
    pub fn awaiting(&self) -> impl Iterator<Item = (&String, &PublicKey)> {
        self.awaiting.iter()
    }

    /// Records `role`'s answer. `Ok(true)` once every party cosigned.
    pub fn answer(&mut self, role: &str, answer: Answer) -> Result<bool, RoundFailure> {
        if !self.awaiting.contains_key(role) {
            // A duplicate or a stranger's answer changes nothing.
            return Ok(self.awaiting.is_empty());
        }
        match answer {
            Answer::Cosigned {
                signature,
                valid: true,
            } => {
                self.awaiting.remove(role);
                self.cosignatures.insert(role.to_string(), signature);
                Ok(self.awaiting.is_empty())
            }
            Answer::Cosigned { valid: false, .. } => Err(RoundFailure::BadCosignature {
                role: role.to_string(),
            }),
            Answer::Refused { code, message } => Err(RoundFailure::Refused {
                role: role.to_string(),
                code,
                message,
            }),
            Answer::NoAnswer { reason } => Err(RoundFailure::NoAnswer {
                role: role.to_string(),
                reason,
            }),
        }
    }

    /// Every party cosigned: the sequencer signs, last (rule 1). `None` while any is missing.
    pub fn finish(self, me: &str, signer: &dyn Signer) -> Option<(SignedEntry, Sealed)> {
        if !self.awaiting.is_empty() {
            return None;
        }
        let mut entry = self.proposal;
        entry.signatures = self.cosignatures;
        entry
            .signatures
            .insert(me.to_string(), signer.sign_entry(&entry.body));
        Some((entry, self.sealed))
    }
}

/// Whether `entry` carries a valid signature of `contract`'s sequencer.
pub fn signed_by_sequencer(contract: &Contract, entry: &SignedEntry) -> bool {
    contract
        .parties
        .get(&contract.sequencer)
        .zip(entry.signatures.get(&contract.sequencer))
        .is_some_and(|(key, signature)| key.verify(Domain::Entry, &entry.body, signature).is_ok())
}

/// The evidence rule (rule 3): `own`, an entry this node committed, and `other`, a different
/// body at the same position, prove an equivocation when both carry the sequencer's signature.
pub fn equivocation(
    contract: &SignedContract,
    own: &SignedEntry,
    other: &SignedEntry,
) -> Option<EquivocationProof> {
    if own.body == other.body {
        return None;
    }
    let proof = EquivocationProof {
        contract: contract.clone(),
        first: own.clone(),
        second: other.clone(),
    };
    proof.check().ok().map(|_| proof)
}
