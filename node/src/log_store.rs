//! The node's Merkle log on sled: the verifier's [`HashStore`] layout, written through the same
//! durable [`WriteBatch`] as the entries it commits to.
//!
//! Appending a leaf writes its stored hashes (O(log n) of them, never rewriting older ones) and
//! the new log size into the caller's batch, next to the entry and the order head, so the three
//! become durable together or not at all: after a crash the log holds exactly the entries whose
//! batches survived.
//!
//! Group commit means a batch may still be queued when the next append needs the hashes it
//! wrote, and reads of the store only see applied batches. Hashes written to a batch are
//! therefore also kept in an in-memory overlay until the batch is acknowledged
//! ([`NodeLog::acknowledged`]); reads look at the overlay first, then at sled.

use std::{
    collections::BTreeMap,
    ops::Range,
    sync::{Arc, RwLock},
};

use verifier::merkle::{
    self, stored_hash_count, stored_hashes_for_appends, Hash, HashStore, MerkleError,
    StoreError as HashStoreError,
};

use crate::durable::{Space, Store, WriteBatch};

/// Stored hashes by index (`u64` big-endian keys, 32-byte values).
pub const LOG_HASHES: Space = Space::new("log.hashes");
/// Log metadata: the size under [`SIZE_KEY`].
pub const LOG_META: Space = Space::new("log.meta");
const SIZE_KEY: &[u8] = b"size";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    #[error(transparent)]
    Merkle(#[from] MerkleError),
    #[error("the stored log is corrupt: {0}")]
    Corrupt(String),
}

impl From<HashStoreError> for LogError {
    fn from(error: HashStoreError) -> Self {
        LogError::Merkle(MerkleError::Store(error))
    }
}

/// Read access to the log's hashes: the overlay of unacknowledged writes, then sled. Cheap to
/// clone; HTTP handlers use one to build proofs while the engine appends.
#[derive(Clone)]
pub struct LogReader {
    store: Arc<Store>,
    overlay: Arc<RwLock<BTreeMap<u64, Hash>>>,
}

impl LogReader {
    fn read_one(&self, index: u64) -> Result<Hash, HashStoreError> {
        if let Some(hash) = self
            .overlay
            .read()
            .map_err(|_| HashStoreError::Backend("log overlay lock poisoned".into()))?
            .get(&index)
        {
            return Ok(*hash);
        }
        let value = self
            .store
            .get(LOG_HASHES, index.to_be_bytes())
            .map_err(|error| HashStoreError::Backend(error.to_string()))?
            .ok_or(HashStoreError::Missing(index))?;
        value
            .as_ref()
            .try_into()
            .map_err(|_| HashStoreError::Backend(format!("stored hash {index} is not 32 bytes")))
    }
}

impl HashStore for LogReader {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, HashStoreError> {
        indexes.iter().map(|&index| self.read_one(index)).collect()
    }

    fn write_hashes(&mut self, start: u64, _: &[Hash]) -> Result<(), HashStoreError> {
        Err(HashStoreError::Backend(format!(
            "read-only view: cannot write at {start}"
        )))
    }
}

/// A [`HashStore`] whose writes go into `batch` (and the overlay). Built by
/// [`NodeLog::writer`]; the batch must then be submitted to the store.
pub struct LogWriter<'a> {
    reader: &'a LogReader,
    batch: &'a mut WriteBatch,
    /// Number of hashes the log holds, written ones included.
    len: u64,
}

impl HashStore for LogWriter<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, HashStoreError> {
        self.reader.read_hashes(indexes)
    }

    fn write_hashes(&mut self, start: u64, hashes: &[Hash]) -> Result<(), HashStoreError> {
        if start != self.len {
            return Err(HashStoreError::NotContiguous {
                start,
                len: self.len,
            });
        }
        let mut overlay = self
            .reader
            .overlay
            .write()
            .map_err(|_| HashStoreError::Backend("log overlay lock poisoned".into()))?;
        for (index, hash) in (start..).zip(hashes) {
            self.batch
                .put(LOG_HASHES, index.to_be_bytes(), hash.to_vec());
            overlay.insert(index, *hash);
        }
        self.len = start.saturating_add(hashes.len() as u64);
        Ok(())
    }
}

/// The node's append-only Merkle log over every entry it commits.
pub struct NodeLog {
    reader: LogReader,
    /// Leaves appended, including those whose batches are not yet acknowledged.
    size: u64,
    /// Leaves whose batches are acknowledged: what checkpoints may cover.
    durable_size: u64,
}

impl NodeLog {
    /// Opens the log kept in `store`, checking that its last stored hash is there.
    pub fn open(store: Arc<Store>) -> Result<NodeLog, LogError> {
        let size = match store
            .get(LOG_META, SIZE_KEY)
            .map_err(|error| LogError::Corrupt(error.to_string()))?
        {
            Some(bytes) => u64::from_be_bytes(
                bytes
                    .as_ref()
                    .try_into()
                    .map_err(|_| LogError::Corrupt("log size is not 8 bytes".into()))?,
            ),
            None => 0,
        };
        let reader = LogReader {
            store,
            overlay: Arc::default(),
        };
        if let Some(last) = stored_hash_count(size)?.checked_sub(1) {
            reader.read_one(last).map_err(|error| {
                LogError::Corrupt(format!("log of size {size} lacks its last hash: {error}"))
            })?;
        }
        Ok(NodeLog {
            reader,
            size,
            durable_size: size,
        })
    }

    /// Leaves appended so far, including unacknowledged ones.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Leaves known durable.
    pub fn durable_size(&self) -> u64 {
        self.durable_size
    }

    pub fn reader(&self) -> LogReader {
        self.reader.clone()
    }

    /// A [`HashStore`] writing into `batch`, positioned at the end of the log.
    pub fn writer<'a>(&'a self, batch: &'a mut WriteBatch) -> Result<LogWriter<'a>, LogError> {
        Ok(LogWriter {
            reader: &self.reader,
            batch,
            len: stored_hash_count(self.size)?,
        })
    }

    /// Appends leaves (their leaf hashes, `SHA-256(0x00 ‖ data)`), writing the stored hashes and
    /// the new size into `batch`. Returns the leaves' indexes. The caller submits `batch`; the
    /// appended leaves become durable with it.
    pub fn append(
        &mut self,
        leaves: &[Hash],
        batch: &mut WriteBatch,
    ) -> Result<Range<u64>, LogError> {
        let start = self.size;
        if leaves.is_empty() {
            return Ok(start..start);
        }
        let hashes = stored_hashes_for_appends(start, leaves, &self.reader)?;
        let first = stored_hash_count(start)?;
        let end = start
            .checked_add(leaves.len() as u64)
            .ok_or(MerkleError::SizeTooLarge(start))?;
        self.writer(batch)?.write_hashes(first, &hashes)?;
        batch.put(LOG_META, SIZE_KEY, end.to_be_bytes().to_vec());
        self.size = end;
        Ok(start..end)
    }

    /// Records that every batch up to the one that grew the log to `size` leaves is durable:
    /// their hashes are now read from sled, and checkpoints may cover them.
    pub fn acknowledged(&mut self, size: u64) -> Result<(), LogError> {
        if size <= self.durable_size {
            return Ok(());
        }
        let size = size.min(self.size);
        let keep_from = stored_hash_count(size)?;
        if let Ok(mut overlay) = self.reader.overlay.write() {
            *overlay = overlay.split_off(&keep_from);
        }
        self.durable_size = size;
        Ok(())
    }

    /// Root of the log at `size` leaves (any size up to the appended size).
    pub fn root_at(&self, size: u64) -> Result<Hash, LogError> {
        self.check_within(size)?;
        Ok(merkle::root(size, &self.reader)?)
    }

    /// Inclusion proof of leaf `index` in the log at `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LogError> {
        self.check_within(size)?;
        Ok(merkle::inclusion_proof(index, size, &self.reader)?)
    }

    /// Consistency proof from the log at `old` leaves to the log at `new` leaves.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LogError> {
        self.check_within(new)?;
        Ok(merkle::consistency_proof(old, new, &self.reader)?)
    }

    fn check_within(&self, size: u64) -> Result<(), LogError> {
        if size > self.size {
            return Err(MerkleError::BeyondLog {
                size,
                log_size: self.size,
            }
            .into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use verifier::merkle::{
        leaf_hash, verify_consistency, verify_inclusion, MemoryStore, MerkleLog,
    };

    fn leaves(range: Range<u32>) -> Vec<Hash> {
        range.map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[tokio::test]
    async fn matches_the_in_memory_log_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let mut log = NodeLog::open(store.clone()).unwrap();
        let mut reference = MerkleLog::new(MemoryStore::new());
        // Uneven batches, some queued before the previous one is acknowledged.
        let mut acks = Vec::new();
        for (from, to) in [(0, 1), (1, 2), (2, 7), (7, 8), (8, 40), (40, 41), (41, 100)] {
            let batch_leaves = leaves(from..to);
            let mut batch = WriteBatch::new();
            batch.put(Space::new("entries"), from.to_be_bytes(), b"entry".to_vec());
            let range = log.append(&batch_leaves, &mut batch).unwrap();
            assert_eq!(range, u64::from(from)..u64::from(to));
            reference.append_leaf_hashes(&batch_leaves).unwrap();
            assert_eq!(log.root_at(log.size()).unwrap(), reference.root().unwrap());
            acks.push((log.size(), store.submit(batch).await.unwrap()));
        }
        for (size, ack) in acks {
            ack.wait().await.unwrap();
            log.acknowledged(size).unwrap();
        }
        assert_eq!(log.durable_size(), 100);
        assert!(log.reader.overlay.read().unwrap().is_empty());
        let root = log.root_at(100).unwrap();
        let old_root = log.root_at(37).unwrap();
        drop(log);
        drop(store);

        let store = Arc::new(Store::open(dir.path()).unwrap());
        let log = NodeLog::open(store).unwrap();
        assert_eq!(log.size(), 100);
        assert_eq!(log.root_at(100).unwrap(), root);
        let proof = log.consistency_proof(37, 100).unwrap();
        verify_consistency(37, 100, &old_root, &root, &proof).unwrap();
        let proof = log.inclusion_proof(55, 100).unwrap();
        verify_inclusion(&leaves(55..56)[0], 55, 100, &proof, &root).unwrap();
        assert!(log.inclusion_proof(0, 101).is_err());
    }

    #[tokio::test]
    async fn a_batch_that_never_committed_leaves_no_trace_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let mut log = NodeLog::open(store.clone()).unwrap();
        let mut batch = WriteBatch::new();
        log.append(&leaves(0..3), &mut batch).unwrap();
        store.commit(batch).await.unwrap();
        log.acknowledged(3).unwrap();
        let mut lost = WriteBatch::new();
        log.append(&leaves(3..9), &mut lost).unwrap();
        // The process dies before `lost` is submitted.
        drop(log);
        drop(store);
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let log = NodeLog::open(store).unwrap();
        assert_eq!(log.size(), 3);
        let mut reference = MerkleLog::new(MemoryStore::new());
        reference.append_leaf_hashes(&leaves(0..3)).unwrap();
        assert_eq!(log.root_at(3).unwrap(), reference.root().unwrap());
    }

    #[test]
    fn the_writer_is_a_hash_store_for_the_verifier_log() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let log = NodeLog::open(store.clone()).unwrap();
        let mut batch = WriteBatch::new();
        {
            let writer = log.writer(&mut batch).unwrap();
            let mut merkle_log = MerkleLog::new(writer);
            merkle_log.append_batch([b"a", b"b", b"c"]).unwrap();
            assert_eq!(merkle_log.store().len, stored_hash_count(3).unwrap());
        }
        // Three leaves and one interior node went into the batch.
        assert_eq!(batch.len(), 4);
    }

    #[test]
    fn a_corrupt_size_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let mut batch = WriteBatch::new();
        batch.put(LOG_META, SIZE_KEY, 5u64.to_be_bytes().to_vec());
        store.commit_blocking(batch).unwrap();
        let error = NodeLog::open(store.clone()).err().unwrap();
        assert!(matches!(error, LogError::Corrupt(_)), "{error}");
        let mut batch = WriteBatch::new();
        batch.put(LOG_META, SIZE_KEY, b"xx".to_vec());
        store.commit_blocking(batch).unwrap();
        assert!(NodeLog::open(store).is_err());
    }
}
