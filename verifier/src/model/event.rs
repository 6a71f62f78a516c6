//! Events: facts of a given kind at a given event time, signed by an attester.

use std::collections::BTreeMap;

use contract_lang::value::Value;
use serde::{Deserialize, Serialize};

use super::{
    decode, decode_plain, encode, Digest, KeyBytes, ModelError, OrderId, Versioned, VERSION,
};
use crate::sign::{Domain, SignError, Signature, SigningKey};

/// A fact about one order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Data model version ([`VERSION`]).
    pub v: u32,
    /// Event time, Unix seconds UTC. There is no other clock in execution.
    pub at: i64,
    /// Event kind from the vocabulary (`shipment.eta_updated`).
    pub kind: String,
    /// The order the fact is about, so it cannot be replayed into another order.
    pub order: OrderId,
    /// Typed fields, checked against the vocabulary's declaration of the kind.
    pub fields: BTreeMap<String, Value>,
}

impl Versioned for Event {
    const WHAT: &'static str = "event";
    fn version(&self) -> u32 {
        self.v
    }
}

impl Event {
    pub fn new(
        order: OrderId,
        kind: impl Into<String>,
        at: i64,
        fields: BTreeMap<String, Value>,
    ) -> Event {
        Event {
            v: VERSION,
            order,
            kind: kind.into(),
            at,
            fields,
        }
    }

    pub fn encode(&self) -> Result<Vec<u8>, ModelError> {
        encode(Self::WHAT, self)
    }

    /// Encodes and signs the event as `attester`.
    pub fn sign(&self, attester: &SigningKey) -> Result<SignedEvent, ModelError> {
        let body = self.encode()?;
        let signature = attester.sign(Domain::Event, &body);
        Ok(SignedEvent {
            body,
            attester: KeyBytes::of(&attester.public_key()),
            signature,
        })
    }
}

/// An event body as signed by its attester.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedEvent {
    /// Canonical bytes of the [`Event`].
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// The attester's public key (resolved against the contract's grants).
    pub attester: KeyBytes,
    /// The attester's signature over `body` in [`Domain::Event`].
    pub signature: Signature,
}

impl SignedEvent {
    /// The event hash: SHA-256 of the body bytes. Two submissions of the same fact share it.
    pub fn hash(&self) -> Digest {
        Digest::of(&self.body)
    }

    /// Strictly decodes the body.
    pub fn event(&self) -> Result<Event, ModelError> {
        decode(&self.body)
    }

    /// Checks the attester's signature over the body bytes (strict, one by one).
    pub fn verify(&self) -> Result<(), SignError> {
        self.attester
            .key()?
            .verify(Domain::Event, &self.body, &self.signature)
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelError> {
        encode("signed event", self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<SignedEvent, ModelError> {
        decode_plain("signed event", bytes)
    }
}
