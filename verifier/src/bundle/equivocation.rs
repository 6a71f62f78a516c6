//! Equivocation: two different entries for the same order and position, both signed by the
//! order's sequencer. Together with the contract (which binds the sequencer's key, signed by
//! every party) they prove the sequencer signed conflicting histories.

use serde::{Deserialize, Serialize};

use crate::model::{
    decode_plain, encode, Digest, ModelError, OrderId, SignedContract, SignedEntry,
};
use crate::sign::Domain;

/// Self-contained evidence of an equivocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EquivocationProof {
    pub contract: SignedContract,
    pub first: SignedEntry,
    pub second: SignedEntry,
}

/// What an [`EquivocationProof`] proves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Equivocation {
    pub order: OrderId,
    pub seq: u64,
    /// The sequencer's role.
    pub sequencer: String,
    pub first: Digest,
    pub second: Digest,
}

/// Why two entries do not prove an equivocation.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum EquivocationError {
    #[error("{0}")]
    Decode(ModelError),
    #[error("the contract is not signed by all its parties: {0}")]
    Contract(crate::model::PartySignatureError),
    #[error("the sequencer `{0}` is not a party of the contract")]
    Sequencer(String),
    #[error("an entry is not about the contract's order")]
    WrongOrder,
    #[error("the entries are at different positions ({first} and {second})")]
    DifferentPositions { first: u64, second: u64 },
    #[error("the two entries are identical")]
    Identical,
    #[error("the {0} entry is not signed by the sequencer")]
    NotSigned(&'static str),
}

impl EquivocationProof {
    /// Checks the proof: a contract signed by every party, two different entries of its order
    /// at one position, each carrying a valid signature of the sequencer.
    pub fn check(&self) -> Result<Equivocation, EquivocationError> {
        let contract = self
            .contract
            .contract()
            .map_err(EquivocationError::Decode)?;
        self.contract
            .verify(&contract)
            .map_err(EquivocationError::Contract)?;
        let order = self.contract.order_id();
        let key = contract
            .parties
            .get(&contract.sequencer)
            .ok_or_else(|| EquivocationError::Sequencer(contract.sequencer.clone()))?;
        let first = self.first.entry().map_err(EquivocationError::Decode)?;
        let second = self.second.entry().map_err(EquivocationError::Decode)?;
        if first.order != order || second.order != order {
            return Err(EquivocationError::WrongOrder);
        }
        if first.seq != second.seq {
            return Err(EquivocationError::DifferentPositions {
                first: first.seq,
                second: second.seq,
            });
        }
        if self.first.body == self.second.body {
            return Err(EquivocationError::Identical);
        }
        for (which, entry) in [("first", &self.first), ("second", &self.second)] {
            let signed = entry
                .signatures
                .get(&contract.sequencer)
                .is_some_and(|signature| key.verify(Domain::Entry, &entry.body, signature).is_ok());
            if !signed {
                return Err(EquivocationError::NotSigned(which));
            }
        }
        Ok(Equivocation {
            order,
            seq: first.seq,
            sequencer: contract.sequencer,
            first: self.first.hash(),
            second: self.second.hash(),
        })
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelError> {
        encode("equivocation proof", self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<EquivocationProof, ModelError> {
        decode_plain("equivocation proof", bytes)
    }
}

/// Looks for an equivocation between two bundles of the same order: the first position where
/// both carry an entry, the entries differ, and both are signed by the sequencer.
pub fn find_in_bundles(
    first: &super::Bundle,
    second: &super::Bundle,
) -> Result<Option<EquivocationProof>, EquivocationError> {
    if first.contract.body != second.contract.body {
        return Err(EquivocationError::WrongOrder);
    }
    let entries = |bundle: &super::Bundle| -> Result<Vec<SignedEntry>, EquivocationError> {
        Ok(bundle
            .decoded_entries()
            .map_err(EquivocationError::Decode)?
            .into_iter()
            .map(|entry| entry.entry)
            .collect())
    };
    let (left, right) = (entries(first)?, entries(second)?);
    for a in &left {
        let Ok(body) = a.entry() else { continue };
        for b in &right {
            if a.body == b.body || b.entry().map(|other| other.seq) != Ok(body.seq) {
                continue;
            }
            let proof = EquivocationProof {
                contract: first.contract.clone(),
                first: a.clone(),
                second: b.clone(),
            };
            if proof.check().is_ok() {
                return Ok(Some(proof));
            }
        }
    }
    Ok(None)
}
