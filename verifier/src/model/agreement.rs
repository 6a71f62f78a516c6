//! Amendments by agreement: the parties' own change of an order, signed by every party.
//!
//! An agreement sets terms, binds clause parameters, and adds, removes or upgrades clauses
//! (with the new clause sources it needs, which every verifier compiles). It takes effect at
//! its stated time, as the entry after `after_seq`; the rules in force change at that entry
//! and later facts are evaluated under them.

use std::collections::BTreeMap;

use contract_lang::value::Value;
use serde::{Deserialize, Serialize};

use super::{
    decode, decode_plain, encode, verify_party_signatures, ClauseBinding, Digest, ModelError,
    OrderId, PartySignatureError, PartySignatures, Versioned, VERSION,
};
use crate::sign::{Domain, PublicKey, SigningKey};

/// The parties' agreement to change an order, bound to the position it follows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// Data model version ([`VERSION`]).
    pub v: u32,
    /// When it takes effect (Unix seconds); not before the order's latest recorded event time.
    pub at: i64,
    /// Free text the parties attach (why they agreed).
    pub note: String,
    pub order: OrderId,
    /// What changes, applied in this order (see [`Change`]).
    pub changes: Vec<Change>,
    /// The sequence number of the last entry; the agreement is the next one. Binding it means
    /// an agreement cannot be replayed at another position, nor signed without seeing the
    /// history.
    pub after_seq: u64,
}

/// One change an agreement makes.
///
/// Source files are replaced or added first and the program is compiled once from the result;
/// then clauses and parameters change in the listed order, every clause binding (changed or
/// not) must compile to the id it names in that program, and the terms are set and checked
/// against its vocabulary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Sets `terms.TERM` (checked against the vocabulary in force after the agreement).
    SetTerm { term: String, value: Value },
    /// Binds a parameter of a clause of the contract.
    BindParam {
        clause: String,
        param: String,
        value: Value,
    },
    /// Adds a source file, or replaces the one of the same name (a clause file or the
    /// vocabulary). The text is signed with the agreement, as the contract binds its sources.
    Source { name: String, text: String },
    /// Adds a clause of the program to the contract; its `id` pins the compiled IR.
    AddClause(ClauseBinding),
    /// Removes a clause from the contract.
    RemoveClause { clause: String },
    /// Runs a clause under a new version of its source, keeping its parameters and whether it
    /// is active; `id` pins the new IR.
    UpgradeClause { clause: String, id: Digest },
}

impl Versioned for Agreement {
    const WHAT: &'static str = "agreement";
    fn version(&self) -> u32 {
        self.v
    }
}

impl Agreement {
    pub fn new(
        order: OrderId,
        after_seq: u64,
        at: i64,
        changes: Vec<Change>,
        note: impl Into<String>,
    ) -> Agreement {
        Agreement {
            v: VERSION,
            at,
            note: note.into(),
            order,
            changes,
            after_seq,
        }
    }

    pub fn encode(&self) -> Result<Vec<u8>, ModelError> {
        encode(Self::WHAT, self)
    }
}

/// An agreement body with every party's signature in [`Domain::Agreement`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedAgreement {
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    pub signatures: PartySignatures,
}

impl SignedAgreement {
    pub fn unsigned(agreement: &Agreement) -> Result<SignedAgreement, ModelError> {
        Ok(SignedAgreement {
            body: agreement.encode()?,
            signatures: PartySignatures::new(),
        })
    }

    /// Adds `role`'s signature.
    pub fn sign(&mut self, role: &str, key: &SigningKey) {
        self.signatures
            .insert(role.to_string(), key.sign(Domain::Agreement, &self.body));
    }

    pub fn hash(&self) -> Digest {
        Digest::of(&self.body)
    }

    // Out of line: the browser compiles it only for a bundle with an agreement (see
    // `out_of_line`).
    #[inline(never)]
    pub fn agreement(&self) -> Result<Agreement, ModelError> {
        decode(&self.body)
    }

    pub fn verify(&self, parties: &BTreeMap<String, PublicKey>) -> Result<(), PartySignatureError> {
        verify_party_signatures(parties, Domain::Agreement, &self.body, &self.signatures)
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelError> {
        encode("signed agreement", self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<SignedAgreement, ModelError> {
        decode_plain("signed agreement", bytes)
    }
}
