//! The append-only Merkle log: RFC 9162 hashing, storage layout, proofs.
//!
//! Hashing follows RFC 9162 §2.1.1 (identical to RFC 6962): a leaf hashes as
//! `SHA-256(0x00 || data)`, an interior node as `SHA-256(0x01 || left || right)`, and a tree of
//! `n` leaves splits at the largest power of two below `n`.
//!
//! The log's node hashes live behind [`HashStore`] in the Go sumdb "stored hash" layout
//! ([`store`]): appending leaf `n` writes its leaf hash plus one hash per trailing 1 bit of `n`
//! (the subtrees it completes) right after the hashes of leaf `n - 1`. An append therefore
//! costs O(log n) hash computations and reads and never rewrites older data, and the stored
//! hashes are enough to compute the root of, and prove inclusion and consistency against, any
//! past size.
//!
//! * [`tree`]: what to store for an append; roots and proofs computed from a store;
//! * [`verify`]: pure proof verifiers implementing RFC 9162 §2.1.3.2 and §2.1.4.2;
//! * [`log`]: [`MerkleLog`], the convenient owner of a store and a size.

pub mod log;
pub mod store;
pub mod tree;
pub mod verify;

use sha2::{Digest, Sha256};

pub use log::MerkleLog;
pub use store::{stored_hash_count, stored_hash_index, HashStore, MemoryStore, StoreError};
pub use tree::{
    consistency_proof, inclusion_proof, root, stored_hashes_for_append, stored_hashes_for_appends,
};
pub use verify::{verify_consistency, verify_inclusion, ProofError};

/// A SHA-256 hash: a leaf hash, an interior node hash or a root.
pub type Hash = [u8; 32];

/// Length of a [`Hash`](type@Hash).
pub const HASH_LENGTH: usize = 32;

/// The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// Largest tree size any function here accepts: far beyond any real log, and small enough that
/// index arithmetic on the stored layout (about twice the size) never approaches `u64::MAX`.
pub const MAX_TREE_SIZE: u64 = 1 << 62;

/// Hash of a leaf holding `data`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    hasher.finalize().into()
}

/// Hash of an interior node with children `left` and `right`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// A hash from bytes of unchecked length (a proof element or root read from outside).
pub fn hash_from_slice(bytes: &[u8]) -> Result<Hash, ProofError> {
    bytes
        .try_into()
        .map_err(|_| ProofError::HashLength(bytes.len()))
}

/// Errors of the store-backed computations (appends, roots, proof generation).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum MerkleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("tree size {0} exceeds the supported maximum")]
    SizeTooLarge(u64),
    #[error("leaf index {index} is not in a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("no consistency proof from size {old} to size {new}: need 0 < old <= new")]
    BadSizes { old: u64, new: u64 },
    #[error("size {size} is beyond the log's {log_size} leaves")]
    BeyondLog { size: u64, log_size: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(EMPTY_ROOT, pactum_canonical::sha256(b""));
    }

    #[test]
    fn hashing_is_domain_separated() {
        // RFC 6962 test vector: the leaf hash of the empty string.
        assert_eq!(
            leaf_hash(b""),
            pactum_canonical::sha256(&[0x00]),
            "leaf = SHA-256(0x00)"
        );
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        let mut joined = vec![0x01];
        joined.extend_from_slice(&a);
        joined.extend_from_slice(&b);
        assert_eq!(node_hash(&a, &b), pactum_canonical::sha256(&joined));
        // A leaf whose data is two hashes is not the node over them.
        let mut concatenated = a.to_vec();
        concatenated.extend_from_slice(&b);
        assert_ne!(leaf_hash(&concatenated), node_hash(&a, &b));
    }

    #[test]
    fn hash_from_slice_checks_length() {
        assert_eq!(hash_from_slice(&[1; 32]), Ok([1; 32]));
        assert_eq!(hash_from_slice(&[1; 31]), Err(ProofError::HashLength(31)));
        assert_eq!(hash_from_slice(&[]), Err(ProofError::HashLength(0)));
    }
}
