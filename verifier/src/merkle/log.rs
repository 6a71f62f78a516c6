//! [`MerkleLog`]: a [`HashStore`] together with the log's size.
//!
//! The store alone does not know how many leaves it holds; the owner keeps the size (the node
//! derives it from its last stored record, written atomically with the entry) and reopens the
//! log with [`MerkleLog::open`].

use std::ops::Range;

use super::store::{stored_hash_count, HashStore};
use super::tree::{consistency_proof, inclusion_proof, root, stored_hashes_for_appends};
use super::{leaf_hash, Hash, MerkleError, MAX_TREE_SIZE};

/// An append-only Merkle log over a [`HashStore`].
#[derive(Debug)]
pub struct MerkleLog<S: HashStore> {
    store: S,
    size: u64,
}

impl<S: HashStore> MerkleLog<S> {
    /// A new, empty log. `store` must hold no hashes.
    pub fn new(store: S) -> Self {
        MerkleLog { store, size: 0 }
    }

    /// Reopens a log of `size` leaves kept in `store`, checking that the store holds the last
    /// hash such a log has written.
    pub fn open(store: S, size: u64) -> Result<Self, MerkleError> {
        let count = stored_hash_count(size)?;
        if let Some(last) = count.checked_sub(1) {
            store.read_hashes(&[last])?;
        }
        Ok(MerkleLog { store, size })
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Current root.
    pub fn root(&self) -> Result<Hash, MerkleError> {
        root(self.size, &self.store)
    }

    /// Root of the log as it was at `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, MerkleError> {
        self.check_within(size)?;
        root(size, &self.store)
    }

    /// Appends a leaf holding `data`; returns its index.
    pub fn append(&mut self, data: &[u8]) -> Result<u64, MerkleError> {
        self.append_leaf_hash(leaf_hash(data))
    }

    /// Appends a leaf whose leaf hash (`SHA-256(0x00 || data)`) the caller computed.
    pub fn append_leaf_hash(&mut self, leaf: Hash) -> Result<u64, MerkleError> {
        let range = self.append_leaf_hashes(&[leaf])?;
        Ok(range.start)
    }

    /// Appends one leaf per item with a single store read and a single store write; returns
    /// the range of their indexes.
    pub fn append_batch<I, D>(&mut self, items: I) -> Result<Range<u64>, MerkleError>
    where
        I: IntoIterator<Item = D>,
        D: AsRef<[u8]>,
    {
        let leaves: Vec<Hash> = items
            .into_iter()
            .map(|item| leaf_hash(item.as_ref()))
            .collect();
        self.append_leaf_hashes(&leaves)
    }

    /// Appends leaves given by their leaf hashes, in one store read and one store write.
    pub fn append_leaf_hashes(&mut self, leaves: &[Hash]) -> Result<Range<u64>, MerkleError> {
        let start = self.size;
        let added = u64::try_from(leaves.len()).map_err(|_| MerkleError::SizeTooLarge(start))?;
        let end = start
            .checked_add(added)
            .filter(|&end| end <= MAX_TREE_SIZE)
            .ok_or(MerkleError::SizeTooLarge(start))?;
        if leaves.is_empty() {
            return Ok(start..end);
        }
        let hashes = stored_hashes_for_appends(start, leaves, &self.store)?;
        self.store
            .write_hashes(stored_hash_count(start)?, &hashes)?;
        self.size = end;
        Ok(start..end)
    }

    /// Inclusion proof of leaf `index` in the log as it was at `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, MerkleError> {
        self.check_within(size)?;
        inclusion_proof(index, size, &self.store)
    }

    /// Consistency proof from the log at `old` leaves to the log at `new` leaves.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, MerkleError> {
        self.check_within(new)?;
        consistency_proof(old, new, &self.store)
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn into_store(self) -> S {
        self.store
    }

    fn check_within(&self, size: u64) -> Result<(), MerkleError> {
        if size > self.size {
            return Err(MerkleError::BeyondLog {
                size,
                log_size: self.size,
            });
        }
        Ok(())
    }
}

impl<S: HashStore + Default> Default for MerkleLog<S> {
    fn default() -> Self {
        Self::new(S::default())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{verify_consistency, verify_inclusion, MemoryStore, StoreError};
    use super::*;

    #[test]
    fn append_returns_indexes_and_grows() {
        let mut log = MerkleLog::new(MemoryStore::new());
        assert_eq!(log.size(), 0);
        assert_eq!(log.root().unwrap(), super::super::EMPTY_ROOT);
        assert_eq!(log.append(b"a").unwrap(), 0);
        assert_eq!(log.append(b"b").unwrap(), 1);
        assert_eq!(log.append_batch([b"c", b"d", b"e"]).unwrap(), 2..5);
        assert_eq!(log.append_batch(Vec::<Vec<u8>>::new()).unwrap(), 5..5);
        assert_eq!(log.size(), 5);
        // Three hashes per two leaves, give or take: 5 + 2 + 1 = 8.
        assert_eq!(log.store().len(), 8);
    }

    #[test]
    fn batch_and_single_appends_agree() {
        let mut single = MerkleLog::new(MemoryStore::new());
        let mut batched = MerkleLog::new(MemoryStore::new());
        let items: Vec<String> = (0..77).map(|i| format!("item {i}")).collect();
        for item in &items {
            single.append(item.as_bytes()).unwrap();
        }
        batched.append_batch(&items[..10]).unwrap();
        batched.append_batch(&items[10..11]).unwrap();
        batched.append_batch(&items[11..]).unwrap();
        assert_eq!(single.root().unwrap(), batched.root().unwrap());
        assert_eq!(single.store(), batched.store());
    }

    #[test]
    fn reopen_and_continue() {
        let mut log = MerkleLog::new(MemoryStore::new());
        log.append_batch((0..20).map(|i| [i as u8])).unwrap();
        let old_root = log.root().unwrap();
        let store = log.into_store();
        assert!(MerkleLog::open(store.clone(), 21).is_err());
        let mut log = MerkleLog::open(store, 20).unwrap();
        log.append(b"more").unwrap();
        let proof = log.consistency_proof(20, 21).unwrap();
        verify_consistency(20, 21, &old_root, &log.root().unwrap(), &proof).unwrap();
        let proof = log.inclusion_proof(20, 21).unwrap();
        verify_inclusion(&leaf_hash(b"more"), 20, 21, &proof, &log.root().unwrap()).unwrap();
    }

    #[test]
    fn sizes_beyond_the_log_are_refused() {
        let mut log = MerkleLog::new(MemoryStore::new());
        log.append(b"x").unwrap();
        assert_eq!(
            log.inclusion_proof(0, 2),
            Err(MerkleError::BeyondLog {
                size: 2,
                log_size: 1
            })
        );
        assert!(log.consistency_proof(1, 2).is_err());
        assert!(log.root_at(2).is_err());
    }

    #[test]
    fn failed_write_leaves_the_log_unchanged() {
        struct Full(MemoryStore);
        impl HashStore for Full {
            fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
                self.0.read_hashes(indexes)
            }
            fn write_hashes(&mut self, start: u64, hashes: &[Hash]) -> Result<(), StoreError> {
                if start + hashes.len() as u64 > 3 {
                    return Err(StoreError::Backend("disk full".into()));
                }
                self.0.write_hashes(start, hashes)
            }
        }
        let mut log = MerkleLog::new(Full(MemoryStore::new()));
        log.append(b"a").unwrap();
        log.append(b"b").unwrap();
        assert_eq!(
            log.append(b"c"),
            Err(MerkleError::Store(StoreError::Backend("disk full".into())))
        );
        assert_eq!(log.size(), 2);
    }
}
