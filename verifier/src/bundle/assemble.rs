//! Assembling an order's bundle from its stored parts: each entry with its inclusion proof
//! against a checkpoint, the consistency proofs from earlier log sizes, and the exporter's
//! signed head. The node exports bundles with it (`node/src/engine/export.rs`); the examples
//! and fixtures of [`super::build`] use the same function, so what tests verify is what nodes
//! export. No example keys or fixtures here.

use super::format::{
    Bundle, BundleEntry, ClauseIrBytes, ConsistencyProof, Head, SignedHead, Source,
};
use crate::checkpoint::{Checkpoint, SignedNote};
use crate::merkle::{HashStore, MerkleLog};
use crate::model::{Contract, Digest, SignedContract, SignedEntry, VERSION};
use crate::sign::SigningKey;
use contract_lang::ir::Program;

/// Why a bundle could not be assembled from an order's parts.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AssembleError {
    #[error("no clause `{0}` in the program")]
    Clause(String),
    #[error("{entries} entries but {leaves} leaf indices")]
    Leaves { entries: usize, leaves: usize },
    #[error("an order has at least its genesis entry")]
    NoGenesis,
    #[error("{0}")]
    Model(#[from] crate::model::ModelError),
    #[error("log: {0}")]
    Log(#[from] crate::merkle::MerkleError),
    #[error("checkpoint: {0}")]
    Note(#[from] crate::checkpoint::NoteError),
}

/// What an order's history consists of, for [`assemble`].
#[derive(Clone, Debug)]
pub struct OrderParts {
    pub sources: Vec<Source>,
    pub ir: Vec<ClauseIrBytes>,
    pub contract: SignedContract,
    pub entries: Vec<SignedEntry>,
}

/// The canonical IR bytes of each of `contract`'s clauses.
pub fn contract_ir(
    program: &Program,
    contract: &Contract,
) -> Result<Vec<ClauseIrBytes>, AssembleError> {
    contract
        .clauses
        .iter()
        .map(|binding| {
            let clause = program
                .clause(&binding.name)
                .ok_or_else(|| AssembleError::Clause(binding.name.clone()))?;
            Ok(ClauseIrBytes {
                name: binding.name.clone(),
                ir: crate::model::encode("clause IR", &clause.ir)?,
            })
        })
        .collect()
}

/// Builds a bundle from an order's parts: each entry's inclusion proof against the checkpoint
/// in `checkpoint_note` (whose size must not exceed the log's), the head signed by
/// `exporter`, and consistency proofs from each of `consistency_from` (earlier log sizes).
pub fn assemble<S: HashStore>(
    parts: &OrderParts,
    leaves: &[u64],
    log: &MerkleLog<S>,
    checkpoint_note: &str,
    exporter: (&str, &SigningKey),
    consistency_from: &[u64],
) -> Result<Bundle, AssembleError> {
    let note = SignedNote::parse(checkpoint_note)?;
    let checkpoint = Checkpoint::parse(note.text())?;
    let size = checkpoint.size();
    if parts.entries.len() != leaves.len() {
        return Err(AssembleError::Leaves {
            entries: parts.entries.len(),
            leaves: leaves.len(),
        });
    }
    let mut entries = Vec::with_capacity(parts.entries.len());
    for (entry, leaf) in parts.entries.iter().zip(leaves) {
        let proof = log
            .inclusion_proof(*leaf, size)?
            .into_iter()
            .map(Digest)
            .collect();
        let bundled = BundleEntry {
            entry: entry.clone(),
            leaf_index: *leaf,
            proof,
        };
        entries.push(bundled.to_bytes()?);
    }
    let last = parts.entries.last().ok_or(AssembleError::NoGenesis)?;
    let genesis_at = parts.contract.contract()?.genesis_at;
    let head = Head::for_entry(&last.entry()?, last.hash(), genesis_at, size)?;
    let head = SignedHead::sign(&head, exporter.0, exporter.1)?;
    let consistency = consistency_from
        .iter()
        .map(|old| {
            Ok(ConsistencyProof {
                old_size: *old,
                proof: log
                    .consistency_proof(*old, size)?
                    .into_iter()
                    .map(Digest)
                    .collect(),
            })
        })
        .collect::<Result<Vec<_>, AssembleError>>()?;
    let mut bundle = Bundle {
        v: VERSION,
        sources: parts.sources.clone(),
        ir: parts.ir.clone(),
        contract: parts.contract.clone(),
        entries: Vec::new(),
        head,
        checkpoint: checkpoint_note.to_string(),
        consistency,
        entry_lengths: Vec::new(),
    };
    bundle.set_entry_bytes(&entries)?;
    Ok(bundle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::build::{compile_sources, library_sources};

    #[test]
    fn a_clause_missing_from_the_program_is_named_once() {
        let program = compile_sources(&library_sources(&[]).expect("sources")).expect("compiles");
        let mut contract = Contract::new("PO-1", "seller");
        contract.clauses = vec![crate::model::ClauseBinding {
            name: "late_delivery".into(),
            id: Digest::ZERO,
            params: Default::default(),
            active: true,
        }];
        let error = contract_ir(&program, &contract).expect_err("no such clause");
        assert_eq!(
            error.to_string(),
            "no clause `late_delivery` in the program"
        );
    }
}
