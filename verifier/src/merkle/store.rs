//! Where the log's hashes live: the storage trait, its in-memory implementation and the
//! "stored hash index" layout (the one Go's sumdb `tlog` package uses).
//!
//! The hashes of a log are numbered in the order they are written. Appending leaf `n` writes,
//! contiguously:
//!
//! * the leaf hash (level 0, index `n`), then
//! * for each trailing 1 bit of `n`, the root of the complete subtree the leaf just finished:
//!   (level 1, `n >> 1`), (level 2, `n >> 2`), …
//!
//! So the hashes of leaf `n` start at `Σᵢ ⌊n / 2ⁱ⌋` (each earlier leaf `j` wrote
//! `1 + trailing_ones(j)` hashes, and exactly `⌊n / 2ⁱ⌋` of the `j < n` have at least `i` trailing
//! ones), and the complete subtree (level `L`, index `k`) sits `L` places after the start of the
//! leaf that completed it, leaf `(k + 1)·2ᴸ − 1`. Every stored hash is written once and never
//! changes.

use super::{Hash, MerkleError, MAX_TREE_SIZE};

/// Errors a [`HashStore`] reports.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    #[error("stored hash {0} is missing")]
    Missing(u64),
    #[error("write at {start} is not contiguous: the store holds {len} hashes")]
    NotContiguous { start: u64, len: u64 },
    #[error("storage backend failed: {0}")]
    Backend(String),
}

/// Storage of a log's hashes by stored-hash index (see the module docs).
///
/// Implementations only need random reads and contiguous appends: the log never rewrites a
/// hash. The node implements this over sled; [`MemoryStore`] keeps everything in a `Vec`.
pub trait HashStore {
    /// The hashes at `indexes`, in the same order. A missing index is an error.
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError>;

    /// Stores `hashes` at indexes `start`, `start + 1`, …
    fn write_hashes(&mut self, start: u64, hashes: &[Hash]) -> Result<(), StoreError>;
}

/// An in-memory [`HashStore`] that accepts only contiguous appends.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryStore {
    hashes: Vec<Hash>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store with room for the hashes of `leaves` leaves (about two per leaf).
    pub fn with_capacity_for_leaves(leaves: usize) -> Self {
        MemoryStore {
            hashes: Vec::with_capacity(leaves.saturating_mul(2)),
        }
    }

    /// Number of stored hashes.
    pub fn len(&self) -> u64 {
        self.hashes.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

impl HashStore for MemoryStore {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        indexes
            .iter()
            .map(|&index| {
                usize::try_from(index)
                    .ok()
                    .and_then(|position| self.hashes.get(position))
                    .copied()
                    .ok_or(StoreError::Missing(index))
            })
            .collect()
    }

    fn write_hashes(&mut self, start: u64, hashes: &[Hash]) -> Result<(), StoreError> {
        if start != self.len() {
            return Err(StoreError::NotContiguous {
                start,
                len: self.len(),
            });
        }
        self.hashes.extend_from_slice(hashes);
        Ok(())
    }
}

impl<S: HashStore + ?Sized> HashStore for &mut S {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        (**self).read_hashes(indexes)
    }

    fn write_hashes(&mut self, start: u64, hashes: &[Hash]) -> Result<(), StoreError> {
        (**self).write_hashes(start, hashes)
    }
}

/// Number of hashes stored for a log of `size` leaves, which is also the index at which the
/// hashes of leaf `size` start: `Σᵢ ⌊size / 2ⁱ⌋`.
pub fn stored_hash_count(size: u64) -> Result<u64, MerkleError> {
    if size > MAX_TREE_SIZE {
        return Err(MerkleError::SizeTooLarge(size));
    }
    let mut count: u64 = 0;
    let mut remaining = size;
    while remaining > 0 {
        // Bounded by 2·MAX_TREE_SIZE < u64::MAX.
        count = count
            .checked_add(remaining)
            .ok_or(MerkleError::SizeTooLarge(size))?;
        remaining >>= 1;
    }
    Ok(count)
}

/// Stored index of the root of the complete subtree at `level` with position `index` in that
/// level, i.e. the subtree over leaves `[index·2ˡᵉᵛᵉˡ, (index + 1)·2ˡᵉᵛᵉˡ)`.
pub fn stored_hash_index(level: u32, index: u64) -> Result<u64, MerkleError> {
    let too_large = MerkleError::SizeTooLarge(index);
    // The leaf that completes the subtree is its last one.
    let end = index
        .checked_add(1)
        .and_then(|n| n.checked_mul(1u64.checked_shl(level)?))
        .filter(|&end| end <= MAX_TREE_SIZE)
        .ok_or(too_large.clone())?;
    let completing_leaf = end - 1;
    stored_hash_count(completing_leaf)?
        .checked_add(u64::from(level))
        .ok_or(too_large)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout spelled out by brute force: simulate appends and record where each
    /// (level, index) lands.
    fn simulated_positions(leaves: u64) -> Vec<(u32, u64)> {
        let mut positions = Vec::new();
        for n in 0..leaves {
            positions.push((0, n));
            let mut level = 0;
            while (n >> level) & 1 == 1 {
                level += 1;
                positions.push((level, n >> level));
            }
        }
        positions
    }

    #[test]
    fn index_formula_matches_simulation() {
        let positions = simulated_positions(300);
        for (stored, &(level, index)) in positions.iter().enumerate() {
            assert_eq!(
                stored_hash_index(level, index),
                Ok(stored as u64),
                "level {level} index {index}"
            );
        }
        for size in 0..=300u64 {
            let expected = simulated_positions(size).len() as u64;
            assert_eq!(stored_hash_count(size), Ok(expected), "size {size}");
        }
    }

    #[test]
    fn known_positions() {
        // Go sumdb's documented order: leaf 0, leaf 1, node(1,0), leaf 2, leaf 3, node(1,1),
        // node(2,0), leaf 4 …
        assert_eq!(stored_hash_index(0, 0), Ok(0));
        assert_eq!(stored_hash_index(0, 1), Ok(1));
        assert_eq!(stored_hash_index(1, 0), Ok(2));
        assert_eq!(stored_hash_index(0, 2), Ok(3));
        assert_eq!(stored_hash_index(0, 3), Ok(4));
        assert_eq!(stored_hash_index(1, 1), Ok(5));
        assert_eq!(stored_hash_index(2, 0), Ok(6));
        assert_eq!(stored_hash_index(0, 4), Ok(7));
    }

    #[test]
    fn huge_values_are_errors_not_panics() {
        assert!(stored_hash_count(MAX_TREE_SIZE).is_ok());
        assert!(stored_hash_count(MAX_TREE_SIZE + 1).is_err());
        assert!(stored_hash_count(u64::MAX).is_err());
        assert!(stored_hash_index(0, u64::MAX).is_err());
        assert!(stored_hash_index(63, 1).is_err());
        assert!(stored_hash_index(64, 0).is_err());
        assert!(stored_hash_index(u32::MAX, 0).is_err());
        assert!(stored_hash_index(62, 0).is_ok());
    }

    #[test]
    fn memory_store_appends_contiguously() {
        let mut store = MemoryStore::new();
        assert!(store.is_empty());
        store.write_hashes(0, &[[1; 32], [2; 32]]).unwrap();
        assert_eq!(
            store.write_hashes(3, &[[3; 32]]),
            Err(StoreError::NotContiguous { start: 3, len: 2 })
        );
        assert_eq!(
            store.write_hashes(1, &[[3; 32]]),
            Err(StoreError::NotContiguous { start: 1, len: 2 })
        );
        assert_eq!(store.read_hashes(&[1, 0]), Ok(vec![[2; 32], [1; 32]]));
        assert_eq!(store.read_hashes(&[2]), Err(StoreError::Missing(2)));
        assert_eq!(
            store.read_hashes(&[u64::MAX]),
            Err(StoreError::Missing(u64::MAX))
        );
        assert_eq!(store.len(), 2);
    }
}
