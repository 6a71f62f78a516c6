//! Closing an order: a record signed by every party after which the order takes no further
//! event or review.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{
    decode, decode_plain, encode, verify_party_signatures, Digest, ModelError, OrderId,
    PartySignatureError, PartySignatures, Versioned, VERSION,
};
use crate::sign::{Domain, PublicKey, SigningKey};

/// The parties' decision to close an order, bound to the position it closes after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Close {
    /// Data model version ([`VERSION`]).
    pub v: u32,
    /// When the parties closed it (Unix seconds); not before the latest recorded event time.
    pub at: i64,
    /// Free text the parties attach (why, what was settled).
    pub note: String,
    pub order: OrderId,
    /// The sequence number of the last entry; the close is the next one. Binding it means a
    /// close cannot be replayed at another position, nor signed without seeing the history.
    pub after_seq: u64,
}

impl Versioned for Close {
    const WHAT: &'static str = "close";
    fn version(&self) -> u32 {
        self.v
    }
}

impl Close {
    pub fn new(order: OrderId, after_seq: u64, at: i64, note: impl Into<String>) -> Close {
        Close {
            v: VERSION,
            at,
            note: note.into(),
            order,
            after_seq,
        }
    }

    pub fn encode(&self) -> Result<Vec<u8>, ModelError> {
        encode(Self::WHAT, self)
    }
}

/// A close body with every party's signature in [`Domain::Close`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedClose {
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    pub signatures: PartySignatures,
}

impl SignedClose {
    pub fn unsigned(close: &Close) -> Result<SignedClose, ModelError> {
        Ok(SignedClose {
            body: close.encode()?,
            signatures: PartySignatures::new(),
        })
    }

    /// Adds `role`'s signature.
    pub fn sign(&mut self, role: &str, key: &SigningKey) {
        self.signatures
            .insert(role.to_string(), key.sign(Domain::Close, &self.body));
    }

    pub fn hash(&self) -> Digest {
        Digest::of(&self.body)
    }

    // Out of line: the browser compiles it only for a bundle with a close (see `out_of_line`).
    #[inline(never)]
    pub fn close(&self) -> Result<Close, ModelError> {
        decode(&self.body)
    }

    pub fn verify(&self, parties: &BTreeMap<String, PublicKey>) -> Result<(), PartySignatureError> {
        verify_party_signatures(parties, Domain::Close, &self.body, &self.signatures)
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelError> {
        encode("signed close", self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<SignedClose, ModelError> {
        decode_plain("signed close", bytes)
    }
}
