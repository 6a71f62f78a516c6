//! The contract: an order's genesis, signed by every party. Its SHA-256 is the order id.

use std::collections::BTreeMap;

use contract_lang::value::Value;
use serde::{Deserialize, Serialize};

use super::{
    decode, decode_plain, encode, verify_party_signatures, Digest, KeyBytes, ModelError, OrderId,
    PartySignatureError, PartySignatures, Versioned, VERSION,
};
use crate::sign::{Domain, PublicKey, SigningKey};

/// Default number of automatic amendments allowed inside one breaker window.
pub const DEFAULT_MAX_AUTOMATIC_AMENDMENTS: u32 = 3;
/// Default breaker window: 24 hours of event time.
pub const DEFAULT_BREAKER_WINDOW_SECONDS: i64 = 24 * 3_600;

/// Everything the parties agree on when an order starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    /// Data model version ([`VERSION`]).
    pub v: u32,
    /// The business order reference (the ERP's order number).
    pub order_ref: String,
    /// Each party's role and public key. Every party signs the contract and every entry.
    pub parties: BTreeMap<String, PublicKey>,
    /// The role whose node sequences the order's entries.
    pub sequencer: String,
    /// Governing jurisdiction (`CN`, `DE`, …), read by jurisdiction-specific predicates.
    pub jurisdiction: String,
    /// Initial terms, checked against the vocabulary.
    pub terms: BTreeMap<String, Value>,
    /// SHA-256 of the canonical encoding of the clause sources (vocabulary and clause files, as
    /// a list of `[name, text]`), so the text the parties read is bound to the order.
    pub sources: Digest,
    /// The clauses in force, in evaluation order.
    pub clauses: Vec<ClauseBinding>,
    /// Who may attest which event kinds.
    pub attesters: Vec<AttesterGrant>,
    /// The evolution circuit breaker's policy.
    pub breaker: BreakerPolicy,
    /// When the order starts (Unix seconds): the first effective time of the order.
    pub genesis_at: i64,
}

/// One clause of the contract: its compiled id and the parameters the parties bound.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClauseBinding {
    pub name: String,
    /// SHA-256 of the clause's canonical IR.
    pub id: Digest,
    /// Parameters bound by the parties; the others take the clause's defaults.
    pub params: BTreeMap<String, Value>,
    /// Whether the clause is active at genesis (clauses may activate one another later).
    pub active: bool,
}

/// An attester (a party or an oracle) and the event kinds it may sign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttesterGrant {
    /// A readable name: the party's role for a party, the oracle's name otherwise.
    pub name: String,
    pub key: PublicKey,
    /// Event kinds (`shipment.eta_updated`, …) this attester may sign.
    pub kinds: Vec<String>,
}

/// The evolution circuit breaker: at most `max_automatic_amendments` automatic amendments within
/// any `window_seconds` of effective event time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerPolicy {
    pub max_automatic_amendments: u32,
    pub window_seconds: i64,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            max_automatic_amendments: DEFAULT_MAX_AUTOMATIC_AMENDMENTS,
            window_seconds: DEFAULT_BREAKER_WINDOW_SECONDS,
        }
    }
}

impl Versioned for Contract {
    const WHAT: &'static str = "contract";
    fn version(&self) -> u32 {
        self.v
    }
}

impl Contract {
    /// Canonical body bytes, the bytes every party signs.
    pub fn encode(&self) -> Result<Vec<u8>, ModelError> {
        encode(Self::WHAT, self)
    }

    /// The attester grant for `key`, if any.
    pub fn attester(&self, key: &KeyBytes) -> Option<&AttesterGrant> {
        self.attesters.iter().find(|grant| key.is(&grant.key))
    }

    /// The role of the party whose key `key` is, if any.
    pub fn party_of(&self, key: &KeyBytes) -> Option<&str> {
        self.parties
            .iter()
            .find(|(_, party_key)| key.is(party_key))
            .map(|(role, _)| role.as_str())
    }

    /// Who signed an event of `kind` with `key`, if that key may sign it: an option's
    /// exercise (`option.exercised`) only a party signs, in its own name (whether it holds
    /// the option is the state machine's question); any other kind an attester granted it.
    pub fn event_signer(&self, key: &KeyBytes, kind: &str) -> Result<&str, SignerError<'_>> {
        if kind == contract_lang::vocab::OPTION_EXERCISED {
            return self.party_of(key).ok_or(SignerError::Unknown);
        }
        let grant = self.attester(key).ok_or(SignerError::Unknown)?;
        if grant.kinds.iter().any(|granted| granted == kind) {
            Ok(&grant.name)
        } else {
            Err(SignerError::NotGranted(&grant.name))
        }
    }

    /// Starts a contract with the default breaker policy and the current version.
    pub fn new(order_ref: impl Into<String>, sequencer: impl Into<String>) -> Contract {
        Contract {
            v: VERSION,
            order_ref: order_ref.into(),
            parties: BTreeMap::new(),
            sequencer: sequencer.into(),
            jurisdiction: String::new(),
            terms: BTreeMap::new(),
            sources: Digest::ZERO,
            clauses: Vec::new(),
            attesters: Vec::new(),
            breaker: BreakerPolicy::default(),
            genesis_at: 0,
        }
    }
}

/// Why a key may not sign an event of some kind ([`Contract::event_signer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignerError<'c> {
    /// The key is no attester's (for an option's exercise: no party's).
    Unknown,
    /// The attester of that name is not granted the kind.
    NotGranted(&'c str),
}

/// A contract body as signed, with the signature of every party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedContract {
    /// Canonical bytes of the [`Contract`].
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// Each party's signature over `body` in [`Domain::Contract`].
    pub signatures: PartySignatures,
}

impl SignedContract {
    /// Wraps an encoded contract with no signatures yet; parties add theirs with
    /// [`SignedContract::sign`].
    pub fn unsigned(contract: &Contract) -> Result<SignedContract, ModelError> {
        Ok(SignedContract {
            body: contract.encode()?,
            signatures: PartySignatures::new(),
        })
    }

    /// Adds `role`'s signature.
    pub fn sign(&mut self, role: &str, key: &SigningKey) {
        self.signatures
            .insert(role.to_string(), key.sign(Domain::Contract, &self.body));
    }

    /// The order id: SHA-256 of the body bytes.
    pub fn order_id(&self) -> OrderId {
        Digest::of(&self.body)
    }

    /// Strictly decodes the body.
    pub fn contract(&self) -> Result<Contract, ModelError> {
        decode(&self.body)
    }

    /// Checks every party's signature over the body bytes.
    pub fn verify(&self, contract: &Contract) -> Result<(), PartySignatureError> {
        verify_party_signatures(
            &contract.parties,
            Domain::Contract,
            &self.body,
            &self.signatures,
        )
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelError> {
        encode("signed contract", self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<SignedContract, ModelError> {
        decode_plain("signed contract", bytes)
    }
}
