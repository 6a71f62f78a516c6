//! The contract check: the one function a signed contract passes before anything runs under
//! it, at a party's node (an order opening, a proposal collecting signatures, a restart) and in
//! the customer's verifier (a bundle's steps 2 and 3) alike. It decodes the contract, checks
//! that the sources hash to the contract's `sources`, takes their program from a
//! [`ProgramSource`] (compiled by a verifier, cached or pinned at a node), sets the
//! [`Machine`] up (parties, sequencer, breaker policy, terms, clause ids and parameters,
//! attesters) and checks the parties' signatures. The order of the checks is the order of the
//! verifier's steps, so the first failure is the one a bundle reports.

use std::sync::Arc;

use super::machine::{Machine, SetupError};
use super::rules::{AgreementError, ProgramSource};
use crate::bundle::format::{sources_hash, Source};
use crate::model::{Digest, ModelError, PartySignatureError, SignedContract};
use crate::sign::Domain;

/// Which of the parties' signatures a contract must carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signatures {
    /// Every party's, and no one else's: the contract can run.
    All,
    /// Those collected so far, each by a party and valid: a proposal still being signed.
    SoFar,
}

/// Why a contract cannot run. [`ContractError::step`] is the bundle verification step that
/// reports it.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ContractError {
    #[error("{0}")]
    Decode(ModelError),
    #[error("the sources hash to {found}, the contract names {expected}")]
    Hash { expected: Digest, found: Digest },
    #[error("the sources do not compile: {0}")]
    Compile(String),
    #[error("the contract cannot run on the compiled clauses: {0}")]
    Setup(SetupError),
    #[error("{0}")]
    Signature(PartySignatureError),
}

impl ContractError {
    /// The number of the bundle verification step this failure belongs to.
    pub fn step(&self) -> u8 {
        match self {
            ContractError::Decode(_) => 1,
            ContractError::Hash { .. } | ContractError::Compile(_) | ContractError::Setup(_) => 2,
            ContractError::Signature(_) => 3,
        }
    }

    /// The name of that step, as in [`crate::bundle::STEPS`].
    pub fn step_name(&self) -> &'static str {
        match self.step() {
            1 => "decode",
            2 => "clause sources",
            _ => "genesis",
        }
    }

    /// The step's short name in error codes (`sources.Hash`, `genesis.Signature`).
    pub fn step_code(&self) -> &'static str {
        match self.step() {
            1 => "decode",
            2 => "sources",
            _ => "genesis",
        }
    }
}

/// Checks `signed` with its `sources` for execution and returns its machine, whose agreements
/// take their programs from `programs` too. See the module documentation.
pub fn check_contract(
    signed: &SignedContract,
    sources: &[Source],
    programs: Arc<dyn ProgramSource>,
    signatures: Signatures,
) -> Result<Machine, ContractError> {
    let contract = signed.contract().map_err(ContractError::Decode)?;
    let found = sources_hash(sources).map_err(|error| ContractError::Compile(error.to_string()))?;
    if found != contract.sources {
        return Err(ContractError::Hash {
            expected: contract.sources,
            found,
        });
    }
    let program = programs
        .program(found, sources)
        .map_err(|error| match error {
            AgreementError::Compile(messages) => ContractError::Compile(messages),
            other => ContractError::Compile(other.to_string()),
        })?;
    let machine = Machine::new(
        contract,
        signed.order_id(),
        program,
        sources.to_vec().into(),
    )
    .map_err(ContractError::Setup)?
    .with_programs(programs);
    let parties = &machine.contract().parties;
    match signatures {
        Signatures::All => signed.verify(machine.contract()),
        Signatures::SoFar => signed.signatures.iter().try_for_each(|(role, signature)| {
            let key = parties
                .get(role)
                .ok_or_else(|| PartySignatureError::NotAParty(role.clone()))?;
            key.verify(Domain::Contract, &signed.body, signature)
                .map_err(|_| PartySignatureError::Invalid(role.clone()))
        }),
    }
    .map_err(ContractError::Signature)?;
    Ok(machine)
}
