//! The protocol's data model: contract (order genesis), signed events, entries and reviews.
//!
//! Every object that is hashed or signed has a *body* type (versioned, canonical CBOR through
//! `pactum_canonical`) and travels as the exact body bytes next to its signatures. Signatures
//! are checked over the bytes received, never over a re-encoding; strict decoding guarantees
//! those bytes are the only encoding of the decoded value, so comparing decoded values is the
//! same as comparing bytes.
//!
//! Fields of the types encoded once per entry are declared in canonical key order (shorter names
//! first, then bytewise): the encoding is the same in any order, but then the encoder has
//! nothing to reorder.
//!
//! * [`contract`]: [`Contract`], [`SignedContract`]; the order id is the SHA-256 of the body;
//! * [`event`]: [`Event`], [`SignedEvent`] (one attester signature);
//! * [`entry`]: [`EntryBody`], [`SignedEntry`] (every party's signature) and the outcome of
//!   each step;
//! * [`review`]: [`Review`], [`SignedReview`], the human decision that resumes an order;
//! * [`close`]: [`Close`], [`SignedClose`], the parties' decision that ends an order;
//! * [`agreement`]: [`Agreement`], [`SignedAgreement`], the parties' own change of an order.

pub mod agreement;
pub mod close;
pub mod contract;
pub mod entry;
pub mod event;
pub mod review;

use std::collections::BTreeMap;
use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sign::{Domain, PublicKey, Signature};

pub use agreement::{Agreement, Change, SignedAgreement};
pub use close::{Close, SignedClose};
pub use contract::{
    AttesterGrant, BreakerPolicy, ClauseBinding, Contract, SignedContract, SignerError,
};
pub use entry::{
    Activation, AgreementStep, Amendment, BreakerReport, ClauseChange, CloseStep, Effects,
    EntryBody, EventStep, Notification, Obligation, Outcome, ParamChange, Reevaluation,
    ReviewReason, ReviewStep, RuleRef, SignedEntry, Step, TermChange, TransferKind,
    WindowAmendment,
};
pub use event::{Event, SignedEvent};
pub use review::{Decision, Review, SignedReview};

/// The only version of the data model this crate reads and writes.
///
/// History: 1, the first; 2, reviews carry their time (`Review::at`); 3, a review entry
/// records the facts held during the pause as it evaluates them (`ReviewStep::reevaluated`); 4,
/// orders close (`Step::Close`); 5, heads carry their entry's time (`Head::at`). Objects of another
/// version are refused with [`ModelError::UnsupportedVersion`] naming it, never misread.
///
/// Agreements (`Step::Agreement`, a review's `terms`) did not need a new version: a history
/// without them encodes and hashes exactly as before (the new fields are left out when empty,
/// the rules in force enter the state hash only once an agreement changed them), so bundles
/// written before them verify unchanged; a verifier older than them refuses a history that
/// has one at step 1 (an unknown step), never misreads it.
pub const VERSION: u32 = 5;

/// A SHA-256 digest (order id, event hash, entry hash, state hash), encoded as a 32-byte string.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Digest(pub [u8; 32]);

/// The id of an order: the SHA-256 of its contract body.
pub type OrderId = Digest;

impl Digest {
    /// The all-zero digest: the `prev` of an order's genesis entry.
    pub const ZERO: Digest = Digest([0; 32]);

    /// SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(pactum_canonical::sha256(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The first eight bytes in hex, for readable output.
    pub fn short(&self) -> String {
        hex(&self.0[..8])
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Digest> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (slot, pair) in out.iter_mut().zip(bytes.chunks(2)) {
            let high = (pair[0] as char).to_digit(16)?;
            let low = (pair[1] as char).to_digit(16)?;
            *slot = u8::try_from(high * 16 + low).ok()?;
        }
        Some(Digest(out))
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", hex(&self.0))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde_bytes::Bytes::new(&self.0).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Digest(
            serde_bytes::ByteArray::<32>::deserialize(deserializer)?.into_array(),
        ))
    }
}

/// A public key as it travels inside signed objects: 32 bytes, not yet checked as a curve point.
/// Objects name their signer this way so that decoding one never costs a point decompression;
/// the key is resolved against keys the contract already validated (or decoded on demand).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyBytes(pub [u8; 32]);

impl KeyBytes {
    pub fn of(key: &PublicKey) -> KeyBytes {
        KeyBytes(key.to_bytes())
    }

    /// The key as a checked Ed25519 public key.
    pub fn key(&self) -> Result<PublicKey, crate::sign::SignError> {
        PublicKey::from_bytes(&self.0)
    }

    /// Whether this is `key`.
    pub fn is(&self, key: &PublicKey) -> bool {
        self.0 == *key.as_bytes()
    }
}

impl fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyBytes({})", hex(&self.0))
    }
}

impl fmt::Display for KeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl Serialize for KeyBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde_bytes::Bytes::new(&self.0).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for KeyBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(KeyBytes(
            serde_bytes::ByteArray::<32>::deserialize(deserializer)?.into_array(),
        ))
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    out
}

/// Why bytes are not a valid object of the data model, or an object could not be encoded.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ModelError {
    #[error("{what}: {source}")]
    Canonical {
        what: &'static str,
        source: pactum_canonical::CanonicalError,
    },
    #[error("{what}: version {found} is not supported (this verifier reads version {VERSION})")]
    UnsupportedVersion { what: &'static str, found: u64 },
}

/// A versioned body type: its name for messages and its version field.
pub trait Versioned: Serialize + DeserializeOwned {
    /// What the object is, for error messages (`contract`, `event`, …).
    const WHAT: &'static str;
    fn version(&self) -> u32;
}

/// Strictly decodes a versioned body. An object of another version is reported as such even
/// when its shape differs from this version's.
pub fn decode<T: Versioned>(bytes: &[u8]) -> Result<T, ModelError> {
    match pactum_canonical::from_slice::<T>(bytes) {
        Ok(value) if value.version() == VERSION => Ok(value),
        Ok(value) => Err(ModelError::UnsupportedVersion {
            what: T::WHAT,
            found: u64::from(value.version()),
        }),
        Err(source) => match peek_version(bytes) {
            Some(found) if found != u64::from(VERSION) => Err(ModelError::UnsupportedVersion {
                what: T::WHAT,
                found,
            }),
            _ => Err(ModelError::Canonical {
                what: T::WHAT,
                source,
            }),
        },
    }
}

/// Strictly decodes a non-versioned wrapper (a signed envelope, a bundle part).
pub fn decode_plain<T: Serialize + DeserializeOwned>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, ModelError> {
    pactum_canonical::from_slice(bytes).map_err(|source| ModelError::Canonical { what, source })
}

/// Canonically encodes `value`.
pub fn encode<T: Serialize + ?Sized>(what: &'static str, value: &T) -> Result<Vec<u8>, ModelError> {
    pactum_canonical::to_vec(value).map_err(|source| ModelError::Canonical { what, source })
}

/// The `v` field of a CBOR map, read leniently, to name the version of an object this crate
/// cannot decode.
pub(crate) fn peek_version(bytes: &[u8]) -> Option<u64> {
    let value: ciborium::value::Value = ciborium::de::from_reader(bytes).ok()?;
    let map = value.as_map()?;
    map.iter().find_map(|(key, value)| {
        (key.as_text()? == "v")
            .then(|| value.as_integer())
            .flatten()
            .and_then(|integer| u64::try_from(integer).ok())
    })
}

/// Signatures of every party of an order over one body, by role.
pub type PartySignatures = BTreeMap<String, Signature>;

/// Why a set of party signatures is not exactly one valid signature per party.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum PartySignatureError {
    #[error("party `{0}` did not sign")]
    Missing(String),
    #[error("`{0}` is not a party of the order but signed")]
    NotAParty(String),
    #[error("the signature of party `{0}` does not verify")]
    Invalid(String),
}

/// Checks that `signatures` holds exactly the parties of `parties`, without verifying them.
pub fn check_signers(
    parties: &BTreeMap<String, PublicKey>,
    signatures: &PartySignatures,
) -> Result<(), PartySignatureError> {
    if let Some(role) = parties.keys().find(|role| !signatures.contains_key(*role)) {
        return Err(PartySignatureError::Missing(role.clone()));
    }
    if let Some(role) = signatures.keys().find(|role| !parties.contains_key(*role)) {
        return Err(PartySignatureError::NotAParty(role.clone()));
    }
    Ok(())
}

/// Checks that every party signed `body` in `domain`, one by one (strict verification).
pub fn verify_party_signatures(
    parties: &BTreeMap<String, PublicKey>,
    domain: Domain,
    body: &[u8],
    signatures: &PartySignatures,
) -> Result<(), PartySignatureError> {
    check_signers(parties, signatures)?;
    for (role, key) in parties {
        let signature = signatures
            .get(role)
            .ok_or_else(|| PartySignatureError::Missing(role.clone()))?;
        key.verify(domain, body, signature)
            .map_err(|_| PartySignatureError::Invalid(role.clone()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_round_trips_as_a_byte_string() {
        let digest = Digest::of(b"pactum");
        let bytes = pactum_canonical::to_vec(&digest).unwrap();
        assert_eq!(&bytes[..2], &[0x58, 32]);
        assert_eq!(
            pactum_canonical::from_slice::<Digest>(&bytes).unwrap(),
            digest
        );
        assert_eq!(Digest::from_hex(&digest.to_string()), Some(digest));
        assert_eq!(Digest::from_hex("zz"), None);
        assert_eq!(digest.short().len(), 16);
    }
}
