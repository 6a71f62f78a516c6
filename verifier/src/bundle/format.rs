//! The bundle: everything a customer needs to verify one order's history, in one canonical CBOR
//! object.
//!
//! A bundle file is a canonical CBOR map, the header, followed by the order's entries: the
//! canonical encodings of the [`BundleEntry`] items back to back (a CBOR sequence, RFC 8742),
//! each one's length listed in the header's `entry_lengths`. The header decodes in no time
//! whatever the history's length, the entries are cut apart without being parsed or copied and
//! decoded in parallel, and the lengths must account for every byte after the header.

use serde::{Deserialize, Serialize};

use crate::merkle;
use crate::model::{
    decode, decode_plain, encode, Digest, EntryBody, ModelError, OrderId, SignedContract,
    SignedEntry, Versioned, VERSION,
};
use crate::sign::{Domain, PublicKey, SignError, Signature, SigningKey};

/// One order's verifiable history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    /// Data model version ([`VERSION`]).
    pub v: u32,
    /// The canonical IR of each contract clause, in the contract's order.
    pub ir: Vec<ClauseIrBytes>,
    /// The exporting party's statement of the order's latest entry.
    pub head: SignedHead,
    /// Every entry of the order from the genesis, each the canonical bytes of a [`BundleEntry`],
    /// concatenated. Not part of the header: these bytes follow it in the file.
    #[serde(skip)]
    pub entries: Vec<u8>,
    /// The clause sources the contract binds: vocabulary and clause files, in compile order.
    /// Their hash is the contract's `sources`.
    pub sources: Vec<Source>,
    pub contract: SignedContract,
    /// The log checkpoint every entry is proved against: a C2SP signed note with the log's
    /// signature and witness cosignatures.
    pub checkpoint: String,
    /// Consistency proofs from earlier sizes of the log to the checkpoint's size, for verifiers
    /// that remember an earlier checkpoint.
    pub consistency: Vec<ConsistencyProof>,
    /// The length in bytes of each entry in [`Bundle::entries`].
    pub entry_lengths: Vec<u32>,
}

impl Versioned for Bundle {
    const WHAT: &'static str = "bundle";
    fn version(&self) -> u32 {
        self.v
    }
}

impl Bundle {
    /// The file: the header, then the entries.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelError> {
        let mut out = encode(Self::WHAT, self)?;
        out.extend_from_slice(&self.entries);
        Ok(out)
    }

    /// Strictly decodes a bundle file (the entries stay encoded).
    pub fn from_bytes(bytes: &[u8]) -> Result<Bundle, ModelError> {
        let (mut bundle, entries) = Bundle::parse(bytes)?;
        bundle.entries = entries.to_vec();
        Ok(bundle)
    }

    /// Strictly decodes the header at the front of `bytes`; returns it (with no entries) and
    /// the bytes after it, the entries.
    pub fn parse(bytes: &[u8]) -> Result<(Bundle, &[u8]), ModelError> {
        let (bundle, entries) = match pactum_canonical::from_prefix::<Bundle>(bytes) {
            Ok(parsed) => parsed,
            // A header of another version may not even have this one's shape.
            Err(source) => {
                return Err(match crate::model::peek_version(bytes) {
                    Some(found) if found != u64::from(VERSION) => ModelError::UnsupportedVersion {
                        what: Self::WHAT,
                        found,
                    },
                    _ => ModelError::Canonical {
                        what: Self::WHAT,
                        source,
                    },
                });
            }
        };
        let header = &bytes[..bytes.len() - entries.len()];
        // Strict: the header is exactly the canonical encoding of what it decoded to.
        if encode(Self::WHAT, &bundle)? != header {
            return Err(ModelError::Canonical {
                what: Self::WHAT,
                source: pactum_canonical::CanonicalError::NotCanonical,
            });
        }
        if bundle.v != VERSION {
            return Err(ModelError::UnsupportedVersion {
                what: Self::WHAT,
                found: u64::from(bundle.v),
            });
        }
        Ok((bundle, entries))
    }

    /// Each entry's bytes, cut out of [`Bundle::entries`] by [`Bundle::entry_lengths`].
    pub fn entry_bytes(&self) -> Result<Vec<&[u8]>, EntryCut> {
        split_entries(&self.entry_lengths, &self.entries)
    }

    /// Replaces the entries with these encoded ones.
    pub fn set_entry_bytes<B: AsRef<[u8]>>(&mut self, entries: &[B]) -> Result<(), ModelError> {
        self.entries.clear();
        self.entry_lengths.clear();
        for entry in entries {
            let entry = entry.as_ref();
            let length = u32::try_from(entry.len()).map_err(|_| ModelError::Canonical {
                what: "bundle entry",
                source: pactum_canonical::CanonicalError::TooLarge(entry.len()),
            })?;
            self.entries.extend_from_slice(entry);
            self.entry_lengths.push(length);
        }
        Ok(())
    }

    /// The decoded entries (for tools and tests; verification decodes them in parallel).
    pub fn decoded_entries(&self) -> Result<Vec<BundleEntry>, ModelError> {
        self.entry_bytes()
            .map_err(|cut| ModelError::Canonical {
                what: "bundle entries",
                source: pactum_canonical::CanonicalError::Shape(cut.to_string()),
            })?
            .into_iter()
            .map(BundleEntry::from_bytes)
            .collect()
    }

    /// Replaces the entries with these.
    pub fn set_entries(&mut self, entries: &[BundleEntry]) -> Result<(), ModelError> {
        let encoded = entries
            .iter()
            .map(BundleEntry::to_bytes)
            .collect::<Result<Vec<_>, _>>()?;
        self.set_entry_bytes(&encoded)
    }
}

/// Why the bytes after a bundle's header are not exactly its entries.
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
pub enum EntryCut {
    #[error("the entries end {missing} bytes before their lengths say")]
    Short { missing: u64 },
    #[error("{0} bytes follow the last entry")]
    Trailing(u64),
}

/// Cuts `bytes` into entries of the given lengths, which must account for every byte.
pub fn split_entries<'b>(lengths: &[u32], bytes: &'b [u8]) -> Result<Vec<&'b [u8]>, EntryCut> {
    let mut slices = Vec::with_capacity(lengths.len());
    let mut rest = bytes;
    for (position, length) in lengths.iter().enumerate() {
        let length = *length as usize;
        if length > rest.len() {
            let wanted: u64 = lengths[position..].iter().map(|l| u64::from(*l)).sum();
            return Err(EntryCut::Short {
                missing: wanted - rest.len() as u64,
            });
        }
        let (entry, tail) = rest.split_at(length);
        slices.push(entry);
        rest = tail;
    }
    if rest.is_empty() {
        Ok(slices)
    } else {
        Err(EntryCut::Trailing(rest.len() as u64))
    }
}

/// A source file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub name: String,
    pub text: String,
}

/// The hash a contract names for its sources: SHA-256 of the canonical list.
pub fn sources_hash(sources: &[Source]) -> Result<Digest, ModelError> {
    Ok(Digest::of(&encode("sources", sources)?))
}

/// A compiled clause's canonical IR (its SHA-256 is the clause id).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClauseIrBytes {
    pub name: String,
    #[serde(with = "serde_bytes")]
    pub ir: Vec<u8>,
}

/// One entry with its place in the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleEntry {
    pub entry: SignedEntry,
    /// Inclusion proof of the leaf in the checkpoint's tree (RFC 9162 audit path).
    pub proof: Vec<Digest>,
    /// Index of the entry's leaf in the log. The leaf's data is the entry hash.
    pub leaf_index: u64,
}

impl BundleEntry {
    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelError> {
        encode("bundle entry", self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<BundleEntry, ModelError> {
        decode_plain("bundle entry", bytes)
    }
}

/// The log leaf hash of an entry: RFC 9162 leaf hash of the entry hash.
pub fn entry_leaf(entry_hash: &Digest) -> merkle::Hash {
    merkle::leaf_hash(entry_hash.as_bytes())
}

/// A consistency proof from `old_size` to the checkpoint's size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    pub old_size: u64,
    pub proof: Vec<Digest>,
}

/// "As of log size `log_size`, entry `seq` with hash `entry`, of time `at`, is the latest of
/// `order`." The exporter signs one into its bundle; every party's node serves its own
/// (`GET /orders/{id}/head`) for customers to present beside a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub v: u32,
    /// The entry's time ([`EntryBody::time`]).
    pub at: i64,
    pub seq: u64,
    pub entry: Digest,
    pub order: OrderId,
    pub log_size: u64,
}

impl Versioned for Head {
    const WHAT: &'static str = "head";
    fn version(&self) -> u32 {
        self.v
    }
}

impl Head {
    pub fn new(order: OrderId, seq: u64, entry: Digest, at: i64, log_size: u64) -> Head {
        Head {
            v: VERSION,
            at,
            order,
            seq,
            entry,
            log_size,
        }
    }

    /// The head naming `body` (whose hash is `entry`), with its time, in a log of `log_size`
    /// leaves. `genesis_at` is the contract's genesis time (the genesis entry's time).
    pub fn for_entry(
        body: &EntryBody,
        entry: Digest,
        genesis_at: i64,
        log_size: u64,
    ) -> Result<Head, ModelError> {
        Ok(Head::new(
            body.order,
            body.seq,
            entry,
            body.time(genesis_at)?,
            log_size,
        ))
    }
}

/// A [`Head`] signed by the party that exported the bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedHead {
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// The exporting party's role.
    pub signer: String,
    pub signature: Signature,
}

impl SignedHead {
    pub fn sign(head: &Head, role: &str, key: &SigningKey) -> Result<SignedHead, ModelError> {
        let body = encode(Head::WHAT, head)?;
        let signature = key.sign(Domain::Head, &body);
        Ok(SignedHead {
            body,
            signer: role.to_string(),
            signature,
        })
    }

    pub fn head(&self) -> Result<Head, ModelError> {
        decode(&self.body)
    }

    pub fn verify(&self, key: &PublicKey) -> Result<(), SignError> {
        key.verify(Domain::Head, &self.body, &self.signature)
    }

    /// The head file a node serves: the canonical CBOR of this signed head.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ModelError> {
        encode("signed head", self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<SignedHead, ModelError> {
        decode_plain("signed head", bytes)
    }
}
