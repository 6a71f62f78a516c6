//! Ed25519 keys and domain-separated signatures.
//!
//! Every Pactum signature is made over `context || 0x00 || message`, where the context names the
//! kind of object being signed ([`Domain`]). A signature on an entry therefore never verifies as a
//! signature on an event, a review or anything else, even when the bytes of the two messages are
//! equal. Contexts contain no NUL byte, so the separator makes the split unambiguous; and since
//! C2SP note texts may not contain control characters, no domain-separated message is ever a valid
//! note text either (see [`crate::checkpoint`]): one key can sign both without confusion.
//!
//! Verification is strict ([`ed25519_dalek::VerifyingKey::verify_strict`]): non-canonical
//! scalars and small-order keys or nonces are rejected. [`verify_batch`] checks many signatures at
//! once and, when the batch fails, names the first failing item.

use std::fmt;

use ed25519_dalek::Signer as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Length of an encoded public key.
pub const PUBLIC_KEY_LENGTH: usize = 32;
/// Length of an encoded signature.
pub const SIGNATURE_LENGTH: usize = 64;
/// Length of a signing key seed.
pub const SEED_LENGTH: usize = 32;

/// How many signatures go into one call of the batch verifier. Large enough for the
/// multi-scalar multiplication to pay off, small enough that a failing batch is cheap to
/// re-check one by one.
const BATCH_CHUNK: usize = 1024;

/// The kind of object a signature is about. Each has its own context string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Domain {
    /// An order's genesis, signed by every party.
    Contract,
    /// A fact, signed by its attester.
    Event,
    /// One step of an order's history, signed by every party.
    Entry,
    /// A review decision that resumes an order after the breaker tripped.
    Review,
    /// A sequencer's proposal of an entry to the other parties.
    Proposal,
    /// The binding of a party key to a peer (network) identity.
    PeerBinding,
    /// A party's statement of an order's latest entry when it exports a bundle, so that a
    /// bundle with its last entries cut off is detected.
    Head,
    /// The parties' decision to close an order.
    Close,
    /// The parties' agreement to amend an order (terms, parameters, clauses).
    Agreement,
}

impl Domain {
    /// Every domain, for exhaustive checks.
    pub const ALL: [Domain; 9] = [
        Domain::Contract,
        Domain::Event,
        Domain::Entry,
        Domain::Review,
        Domain::Proposal,
        Domain::PeerBinding,
        Domain::Head,
        Domain::Close,
        Domain::Agreement,
    ];

    /// The context string prepended (with a NUL separator) to every message of this kind.
    pub fn context(self) -> &'static str {
        match self {
            Domain::Contract => "pactum/v1/contract",
            Domain::Event => "pactum/v1/event",
            Domain::Entry => "pactum/v1/entry",
            Domain::Review => "pactum/v1/review",
            Domain::Proposal => "pactum/v1/proposal",
            Domain::PeerBinding => "pactum/v1/peer-binding",
            Domain::Head => "pactum/v1/head",
            Domain::Close => "pactum/v1/close",
            Domain::Agreement => "pactum/v1/agreement",
        }
    }

    /// The exact bytes that are signed for `message` in this domain.
    pub fn signed_message(self, message: &[u8]) -> Vec<u8> {
        let context = self.context().as_bytes();
        let mut out = Vec::with_capacity(context.len() + 1 + message.len());
        out.extend_from_slice(context);
        out.push(0x00);
        out.extend_from_slice(message);
        out
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SignError {
    #[error("a public key is {PUBLIC_KEY_LENGTH} bytes, got {0}")]
    PublicKeyLength(usize),
    #[error("a signature is {SIGNATURE_LENGTH} bytes, got {0}")]
    SignatureLength(usize),
    #[error("a signing key seed is {SEED_LENGTH} bytes, got {0}")]
    SeedLength(usize),
    #[error("not a valid Ed25519 public key")]
    InvalidPublicKey,
    #[error("public key has small order and cannot be used")]
    WeakPublicKey,
    #[error("signature verification failed")]
    BadSignature,
    #[error("operating system randomness unavailable: {0}")]
    Randomness(String),
}

/// An Ed25519 public key: 32 bytes on the wire, decompressed and checked once when built.
#[derive(Clone, Copy)]
pub struct PublicKey {
    bytes: [u8; PUBLIC_KEY_LENGTH],
    key: ed25519_dalek::VerifyingKey,
}

impl PublicKey {
    /// Decodes a public key, rejecting encodings that are not curve points and small-order keys
    /// (which could verify signatures on messages nobody signed).
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LENGTH]) -> Result<Self, SignError> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .map_err(|_| SignError::InvalidPublicKey)?;
        if key.is_weak() {
            return Err(SignError::WeakPublicKey);
        }
        Ok(PublicKey { bytes: *bytes, key })
    }

    /// Like [`PublicKey::from_bytes`], for a slice of unchecked length.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, SignError> {
        let bytes: &[u8; PUBLIC_KEY_LENGTH] = bytes
            .try_into()
            .map_err(|_| SignError::PublicKeyLength(bytes.len()))?;
        Self::from_bytes(bytes)
    }

    pub fn to_bytes(&self) -> [u8; PUBLIC_KEY_LENGTH] {
        self.bytes
    }

    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LENGTH] {
        &self.bytes
    }

    /// Strictly verifies `signature` over `message` in `domain`.
    pub fn verify(
        &self,
        domain: Domain,
        message: &[u8],
        signature: &Signature,
    ) -> Result<(), SignError> {
        self.verify_raw(&domain.signed_message(message), signature)
    }

    /// Strictly verifies a signature over exactly `message`, with no domain context. Only for
    /// formats that fix their own signed bytes (C2SP notes and cosignatures).
    pub(crate) fn verify_raw(
        &self,
        message: &[u8],
        signature: &Signature,
    ) -> Result<(), SignError> {
        self.key
            .verify_strict(message, &signature.to_dalek())
            .map_err(|_| SignError::BadSignature)
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for PublicKey {}

impl PartialOrd for PublicKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PublicKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.bytes.cmp(&other.bytes)
    }
}

impl std::hash::Hash for PublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", hex(&self.bytes))
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.bytes))
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde_bytes::Bytes::new(&self.bytes).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bytes = serde_bytes::ByteArray::<PUBLIC_KEY_LENGTH>::deserialize(deserializer)?;
        PublicKey::from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}

/// An Ed25519 signature: 64 bytes. Its validity is only known once verified against a key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signature([u8; SIGNATURE_LENGTH]);

impl Signature {
    pub fn from_bytes(bytes: [u8; SIGNATURE_LENGTH]) -> Self {
        Signature(bytes)
    }

    pub fn from_slice(bytes: &[u8]) -> Result<Self, SignError> {
        let bytes: [u8; SIGNATURE_LENGTH] = bytes
            .try_into()
            .map_err(|_| SignError::SignatureLength(bytes.len()))?;
        Ok(Signature(bytes))
    }

    pub fn to_bytes(&self) -> [u8; SIGNATURE_LENGTH] {
        self.0
    }

    pub fn as_bytes(&self) -> &[u8; SIGNATURE_LENGTH] {
        &self.0
    }

    fn to_dalek(self) -> ed25519_dalek::Signature {
        ed25519_dalek::Signature::from_bytes(&self.0)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", hex(&self.0))
    }
}

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde_bytes::Bytes::new(&self.0).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let bytes = serde_bytes::ByteArray::<SIGNATURE_LENGTH>::deserialize(deserializer)?;
        Ok(Signature(bytes.into_array()))
    }
}

/// An Ed25519 signing key. Serialized as its 32-byte seed: treat any serialized form as secret.
#[derive(Clone)]
pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
    public: PublicKey,
}

impl SigningKey {
    /// The key whose RFC 8032 seed is `seed`. Deterministic, for tests, demos and keys stored by
    /// their owner.
    pub fn from_seed(seed: [u8; SEED_LENGTH]) -> Self {
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let verifying = key.verifying_key();
        // A key derived from a seed is a multiple of the base point: never small order.
        let public = PublicKey {
            bytes: verifying.to_bytes(),
            key: verifying,
        };
        SigningKey { key, public }
    }

    /// A fresh key from the operating system's randomness.
    pub fn generate() -> Result<Self, SignError> {
        let mut seed = [0u8; SEED_LENGTH];
        getrandom::fill(&mut seed).map_err(|error| SignError::Randomness(error.to_string()))?;
        Ok(Self::from_seed(seed))
    }

    /// The secret seed, for the key's owner to store.
    pub fn to_seed(&self) -> [u8; SEED_LENGTH] {
        self.key.to_bytes()
    }

    pub fn public_key(&self) -> PublicKey {
        self.public
    }

    /// Signs `message` in `domain`.
    pub fn sign(&self, domain: Domain, message: &[u8]) -> Signature {
        self.sign_raw(&domain.signed_message(message))
    }

    /// Signs exactly `message`, with no domain context. Only for formats that fix their own
    /// signed bytes (C2SP notes and cosignatures).
    pub(crate) fn sign_raw(&self, message: &[u8]) -> Signature {
        Signature(self.key.sign(message).to_bytes())
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret.
        write!(f, "SigningKey(public: {})", self.public)
    }
}

impl PartialEq for SigningKey {
    fn eq(&self, other: &Self) -> bool {
        self.public == other.public
    }
}

impl Eq for SigningKey {}

impl Serialize for SigningKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde_bytes::Bytes::new(&self.key.to_bytes()).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SigningKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let seed = serde_bytes::ByteArray::<SEED_LENGTH>::deserialize(deserializer)?;
        Ok(SigningKey::from_seed(seed.into_array()))
    }
}

/// One signature of a batch: its domain, the message, the signature and the claimed signer.
pub type BatchItem<'a> = (Domain, &'a [u8], &'a Signature, &'a PublicKey);

#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
#[error("signature {index} of the batch does not verify")]
pub struct BatchError {
    /// Position of the first failing item in the slice given to [`verify_batch`].
    pub index: usize,
}

/// Verifies many signatures, faster than one by one when they are all valid.
///
/// Items are checked in chunks with Ed25519 batch verification; a chunk that fails is re-checked
/// item by item with strict verification, and the first failing item is reported. The verdict
/// is that of [`PublicKey::verify`] for every signature made by the holder of its key.
///
/// One caveat inherent to batch verification (documented so callers choose knowingly): the batch
/// equation is checked without the cofactor, so a signature deliberately crafted by the key's own
/// holder with a small-order component in its nonce (or a non-canonical encoding of it) may pass
/// a batch while strict single verification rejects it. Nobody else can produce such a signature
/// (it is not a forgery), and code that accepts signatures into history should check them
/// individually at ingress.
pub fn verify_batch(items: &[BatchItem<'_>]) -> Result<(), BatchError> {
    for (chunk_number, chunk) in items.chunks(BATCH_CHUNK).enumerate() {
        if batch_equation_holds(chunk) {
            continue;
        }
        let offset = chunk_number * BATCH_CHUNK;
        for (position, (domain, message, signature, key)) in chunk.iter().enumerate() {
            if key.verify(*domain, message, signature).is_err() {
                return Err(BatchError {
                    index: offset + position,
                });
            }
        }
        // The batch failed but every signature verifies strictly on its own: strict
        // verification is the definition of validity, so the chunk is accepted.
    }
    Ok(())
}

/// The Ed25519 batch equation for `items`, with the terms of each distinct key merged:
///
/// `[Σ zᵢsᵢ]B − Σ [zᵢ]Rᵢ − Σₖ [Σ_{i signed by k} zᵢhᵢ]Aₖ = 0`, where `hᵢ = H(Rᵢ‖Aᵢ‖Mᵢ)`.
///
/// It is ed25519-dalek's `verify_batch` but for the merge: an order's signatures come from a
/// handful of keys, so the multi-scalar multiplication has one point per signature (its `R`,
/// with a 128-bit weight) plus one per key, instead of two per signature of which the key's has
/// a full-width scalar; in the browser that halves the cost of verifying a long history. The
/// weights `zᵢ` are derived, as ed25519-dalek does, from a hash of every `hᵢ` and `sᵢ` (so they
/// are fixed only once every signature is), here with SHA-512 instead of a STROBE transcript.
/// False when any signature is malformed (its `s` not canonical, its `R` not a point): the
/// caller then checks each strictly.
#[allow(non_snake_case)]
fn batch_equation_holds(items: &[BatchItem<'_>]) -> bool {
    use curve25519_dalek::traits::{IsIdentity as _, VartimeMultiscalarMul as _};
    use curve25519_dalek::{constants::ED25519_BASEPOINT_POINT, EdwardsPoint, Scalar};
    use sha2::{Digest as _, Sha512};

    let mut hrams = Vec::with_capacity(items.len());
    let mut seed = Sha512::new();
    seed.update(b"pactum batch weights\0");
    for (domain, message, signature, key) in items {
        let (R, s) = signature.0.split_at(32);
        let hram: [u8; 64] = Sha512::new()
            .chain_update(R)
            .chain_update(key.bytes)
            .chain_update(domain.context().as_bytes())
            .chain_update([0u8])
            .chain_update(message)
            .finalize()
            .into();
        seed.update(hram);
        seed.update(s);
        hrams.push(Scalar::from_bytes_mod_order_wide(&hram));
    }
    let seed: [u8; 64] = seed.finalize().into();

    let mut B_coefficient = Scalar::ZERO;
    let mut scalars = Vec::with_capacity(items.len() + 8);
    let mut points = Vec::with_capacity(items.len() + 8);
    let mut keys: Vec<(&PublicKey, Scalar)> = Vec::new();
    for (index, ((_, _, signature, key), hram)) in items.iter().zip(&hrams).enumerate() {
        let (R, s) = signature.0.split_at(32);
        let Some(s): Option<Scalar> = s
            .try_into()
            .ok()
            .and_then(|s| Scalar::from_canonical_bytes(s).into())
        else {
            return false;
        };
        let Some(R) = R
            .try_into()
            .ok()
            .and_then(|R| curve25519_dalek::edwards::CompressedEdwardsY(R).decompress())
        else {
            return false;
        };
        let z = weight(&seed, index);
        B_coefficient += z * s;
        scalars.push(-z);
        points.push(R);
        let zh = z * hram;
        match keys.iter_mut().find(|(known, _)| known.bytes == key.bytes) {
            Some((_, sum)) => *sum += zh,
            None => keys.push((key, zh)),
        }
    }
    scalars.push(B_coefficient);
    points.push(ED25519_BASEPOINT_POINT);
    for (key, sum) in keys {
        scalars.push(-sum);
        points.push(key.key.to_edwards());
    }
    EdwardsPoint::vartime_multiscalar_mul(scalars, points).is_identity()
}

/// The 128-bit weight of the `index`-th signature of a batch whose signatures hash to `seed`.
fn weight(seed: &[u8; 64], index: usize) -> curve25519_dalek::Scalar {
    use sha2::{Digest as _, Sha512};
    let block: [u8; 64] = Sha512::new()
        .chain_update(seed)
        .chain_update((index as u64).to_le_bytes())
        .finalize()
        .into();
    let mut low = [0u8; 16];
    low.copy_from_slice(&block[..16]);
    curve25519_dalek::Scalar::from(u128::from_le_bytes(low))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_seed([n; 32])
    }

    #[test]
    fn signature_verifies_in_its_domain_only() {
        let signer = key(1);
        for domain in Domain::ALL {
            let signature = signer.sign(domain, b"same bytes");
            for other in Domain::ALL {
                let result = signer.public_key().verify(other, b"same bytes", &signature);
                assert_eq!(result.is_ok(), other == domain, "{domain:?} as {other:?}");
            }
            // Nor as a raw (context-free) signature over the message.
            assert!(signer
                .public_key()
                .verify_raw(b"same bytes", &signature)
                .is_err());
        }
    }

    #[test]
    fn contexts_are_distinct_and_nul_free() {
        let mut contexts: Vec<&str> = Domain::ALL.iter().map(|d| d.context()).collect();
        contexts.sort_unstable();
        contexts.dedup();
        assert_eq!(contexts.len(), Domain::ALL.len());
        assert!(contexts.iter().all(|c| !c.as_bytes().contains(&0)));
    }

    #[test]
    fn context_boundary_cannot_be_shifted() {
        // "pactum/v1/entry" + 0 + "x" must differ from any other domain's framing of a message
        // that starts with the rest of a longer context.
        let a = Domain::Event.signed_message(b"");
        let b = Domain::Entry.signed_message(b"");
        assert_ne!(a, b);
        assert!(!Domain::Entry
            .signed_message(b"")
            .starts_with(&Domain::Event.signed_message(b"")));
    }

    #[test]
    fn wrong_message_key_or_bytes_fail() {
        let signer = key(2);
        let public = signer.public_key();
        let signature = signer.sign(Domain::Entry, b"entry");
        assert!(public.verify(Domain::Entry, b"entry", &signature).is_ok());
        assert_eq!(
            public.verify(Domain::Entry, b"entrY", &signature),
            Err(SignError::BadSignature)
        );
        assert!(key(3)
            .public_key()
            .verify(Domain::Entry, b"entry", &signature)
            .is_err());
        for byte in 0..SIGNATURE_LENGTH {
            let mut bytes = signature.to_bytes();
            bytes[byte] ^= 0x01;
            assert!(public
                .verify(Domain::Entry, b"entry", &Signature::from_bytes(bytes))
                .is_err());
        }
    }

    #[test]
    fn non_canonical_scalar_is_rejected() {
        // s + l (the group order) verifies under lax rules, never under strict ones.
        const ORDER: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let signer = key(4);
        let mut bytes = signer.sign(Domain::Event, b"m").to_bytes();
        let mut carry = 0u16;
        for i in 0..32 {
            let sum = u16::from(bytes[32 + i]) + u16::from(ORDER[i]) + carry;
            bytes[32 + i] = (sum & 0xff) as u8;
            carry = sum >> 8;
        }
        let malleated = Signature::from_bytes(bytes);
        assert!(signer
            .public_key()
            .verify(Domain::Event, b"m", &malleated)
            .is_err());
    }

    #[test]
    fn weak_and_invalid_keys_are_rejected() {
        // The identity point encodes as 1 followed by zeros: small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            PublicKey::from_bytes(&identity),
            Err(SignError::WeakPublicKey)
        );
        assert_eq!(
            PublicKey::from_slice(&[0u8; 31]),
            Err(SignError::PublicKeyLength(31))
        );
        // y = 2 is not on the curve.
        let mut not_on_curve = [0u8; 32];
        not_on_curve[0] = 2;
        assert_eq!(
            PublicKey::from_bytes(&not_on_curve),
            Err(SignError::InvalidPublicKey)
        );
    }

    #[test]
    fn seed_derivation_is_deterministic_and_matches_rfc8032() {
        // RFC 8032 §7.1 TEST 1.
        let seed: [u8; 32] = [
            0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec,
            0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03,
            0x1c, 0xae, 0x7f, 0x60,
        ];
        let signer = SigningKey::from_seed(seed);
        assert_eq!(
            signer.public_key().to_string(),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            hex(signer.sign_raw(b"").as_bytes()),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
             5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        assert_eq!(signer.to_seed(), seed);
        assert_eq!(SigningKey::from_seed(seed), signer);
    }

    #[test]
    fn generated_keys_differ() {
        let a = SigningKey::generate().unwrap();
        let b = SigningKey::generate().unwrap();
        assert_ne!(a.public_key(), b.public_key());
    }

    #[test]
    fn serde_uses_fixed_length_byte_strings() {
        let signer = key(5);
        let public = signer.public_key();
        let signature = signer.sign(Domain::Contract, b"c");
        let key_bytes = pactum_canonical::to_vec(&public).unwrap();
        assert_eq!(key_bytes[0], 0x58); // byte string, one-byte length
        assert_eq!(key_bytes[1], 32);
        assert_eq!(
            pactum_canonical::from_slice::<PublicKey>(&key_bytes).unwrap(),
            public
        );
        let sig_bytes = pactum_canonical::to_vec(&signature).unwrap();
        assert_eq!(&sig_bytes[..2], &[0x58, 64]);
        assert_eq!(
            pactum_canonical::from_slice::<Signature>(&sig_bytes).unwrap(),
            signature
        );
        let seed_bytes = pactum_canonical::to_vec(&signer).unwrap();
        assert_eq!(
            pactum_canonical::from_slice::<SigningKey>(&seed_bytes).unwrap(),
            signer
        );
        // Wrong lengths and weak keys are refused while decoding.
        let short = pactum_canonical::to_vec(&serde_bytes::Bytes::new(&[7u8; 31])).unwrap();
        assert!(pactum_canonical::from_slice::<PublicKey>(&short).is_err());
        assert!(pactum_canonical::from_slice::<Signature>(&short).is_err());
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let weak = pactum_canonical::to_vec(&serde_bytes::Bytes::new(&identity)).unwrap();
        assert!(pactum_canonical::from_slice::<PublicKey>(&weak).is_err());
    }

    #[test]
    fn debug_never_prints_the_seed() {
        let signer = key(0xab);
        let printed = format!("{signer:?}");
        assert!(!printed.contains(&hex(&[0xab; 4])));
        assert!(printed.contains(&signer.public_key().to_string()));
    }

    fn batch_fixture(n: usize) -> (Vec<SigningKey>, Vec<Vec<u8>>, Vec<Signature>) {
        let keys: Vec<SigningKey> = (0..n).map(|i| key((i % 7) as u8 + 10)).collect();
        let messages: Vec<Vec<u8>> = (0..n)
            .map(|i| format!("message {i}").into_bytes())
            .collect();
        let signatures = keys
            .iter()
            .zip(&messages)
            .enumerate()
            .map(|(i, (k, m))| k.sign(Domain::ALL[i % Domain::ALL.len()], m))
            .collect();
        (keys, messages, signatures)
    }

    fn items<'a>(
        publics: &'a [PublicKey],
        messages: &'a [Vec<u8>],
        signatures: &'a [Signature],
    ) -> Vec<BatchItem<'a>> {
        (0..publics.len())
            .map(|i| {
                (
                    Domain::ALL[i % Domain::ALL.len()],
                    messages[i].as_slice(),
                    &signatures[i],
                    &publics[i],
                )
            })
            .collect()
    }

    #[test]
    fn batch_accepts_valid_and_names_first_invalid() {
        let n = BATCH_CHUNK + 50; // spans two chunks
        let (keys, messages, mut signatures) = batch_fixture(n);
        let publics: Vec<PublicKey> = keys.iter().map(SigningKey::public_key).collect();
        assert_eq!(
            verify_batch(&items(&publics, &messages, &signatures)),
            Ok(())
        );
        assert_eq!(verify_batch(&[]), Ok(()));

        for bad in [0, 3, BATCH_CHUNK - 1, BATCH_CHUNK, n - 1] {
            let saved = signatures[bad];
            let mut bytes = saved.to_bytes();
            bytes[10] ^= 0x40;
            signatures[bad] = Signature::from_bytes(bytes);
            assert_eq!(
                verify_batch(&items(&publics, &messages, &signatures)),
                Err(BatchError { index: bad })
            );
            signatures[bad] = saved;
        }

        // Two bad items: the first is named.
        signatures[7] = signatures[8];
        signatures[BATCH_CHUNK + 1] = signatures[8];
        assert_eq!(
            verify_batch(&items(&publics, &messages, &signatures)),
            Err(BatchError { index: 7 })
        );
    }

    #[test]
    fn merged_batch_equation_holds_only_for_valid_signatures() {
        let (keys, messages, signatures) = batch_fixture(40);
        let publics: Vec<PublicKey> = keys.iter().map(SigningKey::public_key).collect();
        assert!(batch_equation_holds(&items(
            &publics,
            &messages,
            &signatures
        )));
        // One key for every item: all the key terms merge into one.
        let one = key(20);
        let signed: Vec<Signature> = (0..40)
            .map(|i| one.sign(Domain::ALL[i % Domain::ALL.len()], &messages[i]))
            .collect();
        let same = vec![one.public_key(); 40];
        assert!(batch_equation_holds(&items(&same, &messages, &signed)));
        // Every bit of one signature flipped: the equation fails.
        for bit in 0..SIGNATURE_LENGTH * 8 {
            let mut bytes = signatures[5].to_bytes();
            bytes[bit / 8] ^= 1 << (bit % 8);
            let mut tampered = signatures.clone();
            tampered[5] = Signature::from_bytes(bytes);
            assert!(
                !batch_equation_holds(&items(&publics, &messages, &tampered)),
                "bit {bit}"
            );
        }
    }

    #[test]
    fn merged_keys_do_not_let_errors_cancel() {
        use curve25519_dalek::Scalar;
        // Two signatures of one key whose `s` are moved by +1 and -1: with equal weights (or
        // none) the merged equation would still hold; per-signature weights catch it.
        let signer = key(21);
        let public = signer.public_key();
        let messages = [b"first".to_vec(), b"second".to_vec()];
        let mut signatures: Vec<Signature> = messages
            .iter()
            .map(|m| signer.sign(Domain::Entry, m))
            .collect();
        for (signature, delta) in signatures.iter_mut().zip([Scalar::ONE, -Scalar::ONE]) {
            let mut bytes = signature.to_bytes();
            let s: [u8; 32] = bytes[32..].try_into().expect("32 bytes");
            let moved = Scalar::from_canonical_bytes(s).expect("canonical") + delta;
            bytes[32..].copy_from_slice(moved.as_bytes());
            *signature = Signature::from_bytes(bytes);
        }
        let batch: Vec<BatchItem<'_>> = messages
            .iter()
            .zip(&signatures)
            .map(|(m, sig)| (Domain::Entry, m.as_slice(), sig, &public))
            .collect();
        assert!(!batch_equation_holds(&batch));
        assert_eq!(verify_batch(&batch), Err(BatchError { index: 0 }));
    }

    #[test]
    fn a_signature_claimed_for_another_key_of_the_batch_fails() {
        let (a, b) = (key(22), key(23));
        let (sig_a, sig_b) = (a.sign(Domain::Entry, b"m"), b.sign(Domain::Entry, b"m"));
        let (public_a, public_b) = (a.public_key(), b.public_key());
        let swapped = [
            (Domain::Entry, &b"m"[..], &sig_a, &public_b),
            (Domain::Entry, &b"m"[..], &sig_b, &public_a),
        ];
        assert!(!batch_equation_holds(&swapped));
        assert_eq!(verify_batch(&swapped), Err(BatchError { index: 0 }));
    }

    #[test]
    fn batch_respects_domains() {
        let signer = key(9);
        let public = signer.public_key();
        let signature = signer.sign(Domain::Entry, b"m");
        assert_eq!(
            verify_batch(&[(Domain::Entry, b"m", &signature, &public)]),
            Ok(())
        );
        assert_eq!(
            verify_batch(&[
                (Domain::Entry, b"m", &signature, &public),
                (Domain::Review, b"m", &signature, &public)
            ]),
            Err(BatchError { index: 1 })
        );
    }
}
