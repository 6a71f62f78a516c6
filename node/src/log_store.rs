//! The node's Merkle log on sled: the verifier's [`HashStore`] layout (Go sumdb's stored-hash
//! indexes), written through the same durable [`WriteBatch`] as the entries it commits to.
//!
//! # Layout: one key per append
//!
//! An append — one leaf or several — writes its stored hashes (the leaf hashes and the roots of
//! the subtrees they complete, O(log n) per leaf, never rewriting older ones) as ONE record in
//! [`LOG_HASHES`]: the key is the stored index of its first hash (`u64` big-endian, so key
//! order is index order), the value its 32-byte hashes concatenated. Records therefore tile the
//! stored indexes without gaps, each starting where the previous one ends. Stored hash `i` is
//! read from the record with the greatest key at or before `i` ([`Store::last_at_or_before`]).
//!
//! The log size is not stored: [`NodeLog::open`] derives it from the last record, whose end is
//! the number of stored hashes, `stored_hash_count(size)` for exactly one size. Committing at
//! thousands of appends per second, sled inserts are a main CPU cost; one key per append,
//! instead of one per hash plus a size rewrite, keeps them to the minimum. The earlier layout
//! (one key per hash) reads as one-hash records, so an older store opens unchanged.
//!
//! # Crash safety
//!
//! The record goes into the caller's batch, next to the entry and the order head, so they
//! become durable together or not at all: after a crash the log holds exactly the entries whose
//! batches survived, and a size derived from the records cannot disagree with them.
//!
//! Group commit means a batch may still be queued when the next append needs the hashes it
//! wrote, and reads of the store only see applied batches. Hashes written to a batch are
//! therefore also kept in an in-memory overlay, by stored index, until the batch is
//! acknowledged ([`NodeLog::acknowledged`]); reads look at the overlay first, then at sled.

use std::{
    collections::BTreeMap,
    ops::Range,
    sync::{Arc, RwLock},
};

use verifier::merkle::{
    self, stored_hash_count, stored_hashes_for_appends, Hash, HashStore, MerkleError,
    StoreError as HashStoreError, MAX_TREE_SIZE,
};

use crate::durable::{Space, Store, WriteBatch};

/// The log's stored hashes, one record per append: the `u64` big-endian stored index of the
/// append's first hash -> its hashes, 32 bytes each, concatenated.
pub const LOG_HASHES: Space = Space::new("log.hashes");

const HASH_LEN: usize = 32;

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

/// One append's hashes as stored: those at stored indexes `start..end()`.
struct Record {
    start: u64,
    hashes: crate::durable::Bytes,
}

impl Record {
    /// Checks a record read from [`LOG_HASHES`]; the error says what is wrong with it.
    fn decode(key: &[u8], hashes: crate::durable::Bytes) -> Result<Record, String> {
        let start = key
            .try_into()
            .map(u64::from_be_bytes)
            .map_err(|_| format!("log record key {} is not 8 bytes", hex::encode(key)))?;
        if hashes.is_empty() || !hashes.len().is_multiple_of(HASH_LEN) {
            return Err(format!(
                "log record {start} holds {} bytes, not a positive multiple of {HASH_LEN}",
                hashes.len()
            ));
        }
        Ok(Record { start, hashes })
    }

    fn end(&self) -> Result<u64, String> {
        u64::try_from(self.hashes.len() / HASH_LEN)
            .ok()
            .and_then(|count| self.start.checked_add(count))
            .ok_or_else(|| format!("log record {} ends beyond any index", self.start))
    }

    /// Stored hash `index`, if this record holds it.
    fn hash(&self, index: u64) -> Option<Hash> {
        let offset = usize::try_from(index.checked_sub(self.start)?)
            .ok()?
            .checked_mul(HASH_LEN)?;
        self.hashes
            .get(offset..offset.checked_add(HASH_LEN)?)?
            .try_into()
            .ok()
    }
}

/// The record holding stored index `index` or, if there is a gap, the last one before it.
fn record_at_or_before(store: &Store, index: u64) -> Result<Option<Record>, HashStoreError> {
    store
        .last_at_or_before(LOG_HASHES, index.to_be_bytes())
        .map_err(|error| HashStoreError::Backend(error.to_string()))?
        .map(|(key, value)| Record::decode(&key, value).map_err(HashStoreError::Backend))
        .transpose()
}

/// The log size whose stored hashes number exactly `total`, if there is one: every append
/// ends at such a count.
fn size_with_hash_count(total: u64) -> Result<Option<u64>, MerkleError> {
    // stored_hash_count is increasing and stored_hash_count(n) >= n, so the size is at most
    // `total`: find the least n whose count reaches `total`.
    let (mut low, mut high) = (0, total.min(MAX_TREE_SIZE));
    while low < high {
        let middle = low + (high - low) / 2;
        if stored_hash_count(middle)? < total {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    Ok((stored_hash_count(low)? == total).then_some(low))
}

/// Read access to the log's hashes: the overlay of unacknowledged writes, then sled. Cheap to
/// clone; HTTP handlers use one to build proofs while the engine appends.
#[derive(Clone)]
pub struct LogReader {
    store: Arc<Store>,
    overlay: Arc<RwLock<BTreeMap<u64, Hash>>>,
}

impl LogReader {
    fn overlay_hash(&self, index: u64) -> Result<Option<Hash>, HashStoreError> {
        Ok(self
            .overlay
            .read()
            .map_err(|_| HashStoreError::Backend("log overlay lock poisoned".into()))?
            .get(&index)
            .copied())
    }
}

impl HashStore for LogReader {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, HashStoreError> {
        // Neighbouring indexes often share a record: keep the last one read.
        let mut record: Option<Record> = None;
        let mut hashes = Vec::with_capacity(indexes.len());
        for &index in indexes {
            // The overlay lock is taken per index, never across a sled read, so a proof being
            // built does not hold up the engine's appends.
            if let Some(hash) = self.overlay_hash(index)? {
                hashes.push(hash);
                continue;
            }
            if let Some(hash) = record.as_ref().and_then(|record| record.hash(index)) {
                hashes.push(hash);
                continue;
            }
            let found =
                record_at_or_before(&self.store, index)?.ok_or(HashStoreError::Missing(index))?;
            hashes.push(found.hash(index).ok_or(HashStoreError::Missing(index))?);
            record = Some(found);
        }
        Ok(hashes)
    }

    fn write_hashes(&mut self, start: u64, _: &[Hash]) -> Result<(), HashStoreError> {
        Err(HashStoreError::Backend(format!(
            "read-only view: cannot write at {start}"
        )))
    }
}

/// A [`HashStore`] whose writes go into `batch` (and the overlay), one record per
/// [`HashStore::write_hashes`] call. Built by [`NodeLog::writer`]; the batch must then be
/// submitted to the store.
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
        if hashes.is_empty() {
            // An empty record would read as corrupt.
            return Ok(());
        }
        let end = u64::try_from(hashes.len())
            .ok()
            .and_then(|count| start.checked_add(count))
            .ok_or_else(|| HashStoreError::Backend(format!("write at {start} overflows")))?;
        let mut overlay = self
            .reader
            .overlay
            .write()
            .map_err(|_| HashStoreError::Backend("log overlay lock poisoned".into()))?;
        self.batch
            .put(LOG_HASHES, start.to_be_bytes(), hashes.as_flattened());
        overlay.extend((start..).zip(hashes.iter().copied()));
        self.len = end;
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
    /// Opens the log kept in `store`, deriving its size from the last record and checking that
    /// the record ends an append and follows the one before it without a gap.
    pub fn open(store: Arc<Store>) -> Result<NodeLog, LogError> {
        let size = Self::stored_size(&store)?;
        Ok(NodeLog {
            reader: LogReader {
                store,
                overlay: Arc::default(),
            },
            size,
            durable_size: size,
        })
    }

    fn stored_size(store: &Store) -> Result<u64, LogError> {
        let last = store
            .last_with_prefix(LOG_HASHES, b"")
            .map_err(|error| HashStoreError::Backend(error.to_string()))?;
        let Some((key, value)) = last else {
            return Ok(0);
        };
        let last = Record::decode(&key, value).map_err(LogError::Corrupt)?;
        let total = last.end().map_err(LogError::Corrupt)?;
        let size = size_with_hash_count(total)?.ok_or_else(|| {
            LogError::Corrupt(format!(
                "the last log record ends at {total} stored hashes, inside an append"
            ))
        })?;
        if let Some(before) = last.start.checked_sub(1) {
            let previous = record_at_or_before(store, before)
                .map_err(|error| LogError::Corrupt(error.to_string()))?
                .ok_or_else(|| {
                    LogError::Corrupt(format!(
                        "the last log record starts at {} but none precedes it",
                        last.start
                    ))
                })?;
            let previous_end = previous.end().map_err(LogError::Corrupt)?;
            if previous_end != last.start {
                return Err(LogError::Corrupt(format!(
                    "log records are not contiguous: record {} ends at {previous_end}, the \
                     last one starts at {}",
                    previous.start, last.start
                )));
            }
        }
        Ok(size)
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

    /// Appends leaves (their leaf hashes, `SHA-256(0x00 ‖ data)`), writing their stored hashes
    /// into `batch` as one record. Returns the leaves' indexes. The caller submits `batch`; the
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

    fn temp_store() -> (tempfile::TempDir, Arc<Store>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        (dir, store)
    }

    /// Writes raw records (stored index, value) into LOG_HASHES.
    fn write_records(store: &Store, records: &[(u64, Vec<u8>)]) {
        let mut batch = WriteBatch::new();
        for (start, value) in records {
            batch.put(LOG_HASHES, start.to_be_bytes(), value.clone());
        }
        store.commit_blocking(batch).unwrap();
    }

    /// `count` distinct made-up hashes, concatenated.
    fn hash_bytes(count: u8) -> Vec<u8> {
        (1..=count).flat_map(|i| [i; 32]).collect()
    }

    /// Every observable of `log` agrees with `reference` (the verifier's log over a
    /// MemoryStore): roots at every size, proofs for a spread of indexes and old sizes, and the
    /// stored hashes themselves, read in one call that crosses every record boundary.
    fn assert_same_log(log: &NodeLog, reference: &MerkleLog<MemoryStore>) {
        let size = reference.size();
        assert_eq!(log.size(), size);
        for new in 1..=size {
            assert_eq!(log.root_at(new).unwrap(), reference.root_at(new).unwrap());
            for index in (0..new).step_by(7).chain([new - 1]) {
                assert_eq!(
                    log.inclusion_proof(index, new).unwrap(),
                    reference.inclusion_proof(index, new).unwrap(),
                    "inclusion of {index} in {new}"
                );
            }
            for old in (1..new).step_by(11).chain((new > 1).then_some(new - 1)) {
                assert_eq!(
                    log.consistency_proof(old, new).unwrap(),
                    reference.consistency_proof(old, new).unwrap(),
                    "consistency {old} -> {new}"
                );
            }
        }
        let total = stored_hash_count(size).unwrap();
        let forward: Vec<u64> = (0..total).collect();
        let backward: Vec<u64> = (0..total).rev().collect();
        let zigzag: Vec<u64> = (0..total)
            .map(|i| if i % 2 == 0 { i } else { total - i })
            .collect();
        for indexes in [forward, backward, zigzag] {
            assert_eq!(
                log.reader().read_hashes(&indexes).unwrap(),
                reference.store().read_hashes(&indexes).unwrap()
            );
        }
        assert_eq!(
            log.reader().read_hashes(&[0, total]),
            Err(HashStoreError::Missing(total))
        );
    }

    #[tokio::test]
    async fn matches_the_verifier_log_at_every_size_before_and_after_reopening() {
        let (dir, store) = temp_store();
        let mut log = NodeLog::open(store.clone()).unwrap();
        let mut reference = MerkleLog::new(MemoryStore::new());
        let batch_sizes = [1u32, 1, 2, 3, 1, 5, 8, 1, 1, 13, 4, 21, 2, 7];
        let mut acks = Vec::new();
        let mut from = 0u32;
        for &batch_size in batch_sizes.iter().cycle() {
            if from == 300 {
                break;
            }
            let to = (from + batch_size).min(300);
            let batch_leaves = leaves(from..to);
            let mut batch = WriteBatch::new();
            batch.put(Space::new("entries"), from.to_be_bytes(), b"entry".to_vec());
            let range = log.append(&batch_leaves, &mut batch).unwrap();
            assert_eq!(range, u64::from(from)..u64::from(to));
            reference.append_leaf_hashes(&batch_leaves).unwrap();
            // The first half is acknowledged as it goes; the rest stays in the overlay.
            let ack = store.submit(batch).await.unwrap();
            if to <= 150 {
                ack.wait().await.unwrap();
                log.acknowledged(log.size()).unwrap();
            } else {
                acks.push((log.size(), ack));
            }
            from = to;
        }
        assert!(log.durable_size() < 300);
        assert!(!log.reader.overlay.read().unwrap().is_empty());
        assert_same_log(&log, &reference);

        for (size, ack) in acks {
            ack.wait().await.unwrap();
            log.acknowledged(size).unwrap();
        }
        assert_eq!(log.durable_size(), 300);
        assert!(log.reader.overlay.read().unwrap().is_empty());
        assert_same_log(&log, &reference);
        drop(log);
        drop(store);

        let store = Arc::new(Store::open(dir.path()).unwrap());
        let log = NodeLog::open(store).unwrap();
        assert_eq!(log.durable_size(), 300);
        assert_same_log(&log, &reference);
    }

    #[tokio::test]
    async fn every_size_reopens_to_the_same_size_and_root() {
        let (dir, store) = temp_store();
        let mut log = NodeLog::open(store.clone()).unwrap();
        let mut reference = MerkleLog::new(MemoryStore::new());
        let mut from = 0u32;
        for batch_size in (1..=12u32).cycle().take(40) {
            let to = from + batch_size;
            let mut batch = WriteBatch::new();
            log.append(&leaves(from..to), &mut batch).unwrap();
            reference.append_leaf_hashes(&leaves(from..to)).unwrap();
            store.commit(batch).await.unwrap();
            log.acknowledged(log.size()).unwrap();
            let reopened = NodeLog::open(store.clone()).unwrap();
            assert_eq!(reopened.size(), u64::from(to));
            assert_eq!(
                reopened.root_at(reopened.size()).unwrap(),
                reference.root().unwrap()
            );
            from = to;
        }
        let root = log.root_at(log.size()).unwrap();
        let old_root = log.root_at(37).unwrap();
        drop(log);
        drop(store);

        let store = Arc::new(Store::open(dir.path()).unwrap());
        let log = NodeLog::open(store).unwrap();
        let size = u64::from(from);
        assert_eq!(log.size(), size);
        assert_eq!(log.root_at(size).unwrap(), root);
        let proof = log.consistency_proof(37, size).unwrap();
        verify_consistency(37, size, &old_root, &root, &proof).unwrap();
        let proof = log.inclusion_proof(55, size).unwrap();
        verify_inclusion(&leaves(55..56)[0], 55, size, &proof, &root).unwrap();
        assert!(log.inclusion_proof(0, size + 1).is_err());
    }

    #[tokio::test]
    async fn a_batch_that_never_committed_leaves_no_trace_after_reopening() {
        let (dir, store) = temp_store();
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
    fn one_append_writes_one_key_holding_all_its_hashes() {
        let (_dir, store) = temp_store();
        let mut log = NodeLog::open(store.clone()).unwrap();
        let mut batch = WriteBatch::new();
        log.append(&leaves(0..3), &mut batch).unwrap();
        store.commit_blocking(batch).unwrap();
        let mut batch = WriteBatch::new();
        log.append(&leaves(3..8), &mut batch).unwrap();
        let first = stored_hash_count(3).unwrap();
        let mut reference = MerkleLog::new(MemoryStore::new());
        reference.append_leaf_hashes(&leaves(0..8)).unwrap();
        let indexes: Vec<u64> = (first..stored_hash_count(8).unwrap()).collect();
        let expected = reference.store().read_hashes(&indexes).unwrap().concat();
        assert_eq!(
            batch.writes,
            vec![(LOG_HASHES.key(&first.to_be_bytes()), Some(expected))]
        );
    }

    #[test]
    fn the_writer_is_a_hash_store_for_the_verifier_log() {
        let (_dir, store) = temp_store();
        let log = NodeLog::open(store.clone()).unwrap();
        let mut batch = WriteBatch::new();
        {
            let writer = log.writer(&mut batch).unwrap();
            let mut merkle_log = MerkleLog::new(writer);
            merkle_log.append_batch([b"a", b"b", b"c"]).unwrap();
            assert_eq!(merkle_log.store().len, stored_hash_count(3).unwrap());
            let mut writer = merkle_log.into_store();
            // An empty write stores nothing (an empty record would be corrupt); a write
            // elsewhere than at the end is refused.
            writer.write_hashes(writer.len, &[]).unwrap();
            assert!(writer.write_hashes(writer.len + 1, &[[0; 32]]).is_err());
        }
        // Three leaves and one interior node, in one record.
        assert_eq!(batch.len(), 1);
        store.commit_blocking(batch).unwrap();
        assert_eq!(NodeLog::open(store).unwrap().size(), 3);
    }

    #[test]
    fn a_store_in_the_one_key_per_hash_layout_reads_the_same() {
        let (_dir, store) = temp_store();
        let mut reference = MerkleLog::new(MemoryStore::new());
        reference.append_leaf_hashes(&leaves(0..21)).unwrap();
        let total = stored_hash_count(21).unwrap();
        let hashes = reference
            .store()
            .read_hashes(&(0..total).collect::<Vec<_>>())
            .unwrap();
        let records: Vec<(u64, Vec<u8>)> =
            (0..).zip(hashes.iter().map(|hash| hash.to_vec())).collect();
        write_records(&store, &records);
        let log = NodeLog::open(store).unwrap();
        assert_same_log(&log, &reference);
    }

    /// A stored layout, its records and the size it opens to (`None`: corrupt).
    type Case = (&'static str, Vec<(u64, Vec<u8>)>, Option<u64>);

    #[test]
    fn the_size_comes_from_the_last_record_and_corruption_is_reported() {
        let h = hash_bytes;
        let cases: Vec<Case> = vec![
            ("empty", vec![], Some(0)),
            ("one leaf", vec![(0, h(1))], Some(1)),
            ("two appends", vec![(0, h(1)), (1, h(2))], Some(2)),
            ("three leaves in one append", vec![(0, h(4))], Some(3)),
            (
                "truncated to a count no size has",
                vec![(0, h(1)), (1, h(1))],
                None,
            ),
            ("a multi-leaf append cut mid-leaf", vec![(0, h(5))], None),
            ("value of 31 bytes", vec![(0, vec![1; 31])], None),
            ("value of 33 bytes", vec![(0, vec![1; 33])], None),
            ("empty value", vec![(0, vec![])], None),
            (
                "a bad record before the last",
                vec![(0, vec![1; 33]), (1, h(2))],
                None,
            ),
            (
                "a gap before the last record",
                vec![(0, h(1)), (2, h(1))],
                None,
            ),
            ("overlapping records", vec![(0, h(2)), (1, h(2))], None),
            ("the first record missing", vec![(1, h(2))], None),
            ("beyond any index", vec![(u64::MAX, h(2))], None),
        ];
        for (name, records, expected) in cases {
            let (_dir, store) = temp_store();
            write_records(&store, &records);
            match (NodeLog::open(store), expected) {
                (Ok(log), Some(size)) => assert_eq!(log.size(), size, "{name}"),
                (Err(LogError::Corrupt(_)), None) => {}
                (Ok(log), None) => panic!("{name}: opened with size {}", log.size()),
                (Err(error), _) => panic!("{name}: {error}"),
            }
        }

        let (_dir, store) = temp_store();
        let mut batch = WriteBatch::new();
        batch.put(LOG_HASHES, b"short", h(1));
        store.commit_blocking(batch).unwrap();
        let error = NodeLog::open(store).err().unwrap();
        assert!(matches!(error, LogError::Corrupt(_)), "{error}");
    }

    #[test]
    fn a_corrupt_record_the_open_check_misses_fails_reads_not_the_process() {
        let (_dir, store) = temp_store();
        // Appends of leaves 0, 1, 2, 3; the first record is damaged.
        write_records(
            &store,
            &[
                (0, vec![1; 31]),
                (1, hash_bytes(2)),
                (3, hash_bytes(1)),
                (4, hash_bytes(3)),
            ],
        );
        let log = NodeLog::open(store).unwrap();
        assert_eq!(log.size(), 4);
        // The root of 4 leaves is stored whole in the last record.
        assert!(log.root_at(4).is_ok());
        assert!(matches!(
            log.inclusion_proof(1, 4),
            Err(LogError::Merkle(MerkleError::Store(
                HashStoreError::Backend(_)
            )))
        ));
    }

    #[test]
    fn sizes_are_found_from_hash_counts() {
        let mut expected = BTreeMap::new();
        for size in 0..=1000 {
            expected.insert(stored_hash_count(size).unwrap(), size);
        }
        for total in 0..=stored_hash_count(1000).unwrap() {
            assert_eq!(
                size_with_hash_count(total).unwrap(),
                expected.get(&total).copied()
            );
        }
        let largest = stored_hash_count(MAX_TREE_SIZE).unwrap();
        assert_eq!(size_with_hash_count(largest).unwrap(), Some(MAX_TREE_SIZE));
        assert_eq!(size_with_hash_count(largest + 1).unwrap(), None);
        assert_eq!(size_with_hash_count(u64::MAX).unwrap(), None);
    }
}
