//! The store and its group-commit thread, over a [`Backend`] (sled).
//!
//! Writers submit [`WriteBatch`]es; one committer thread takes every batch queued since its last
//! round, applies them all in one atomic sled batch, calls `flush()` once, and only then
//! acknowledges each of them. A batch's acknowledgement therefore means it is applied and
//! flushed, and a flush is shared by everything that queued while the previous one ran, so
//! durability costs one flush per group, not one per batch.

use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    thread::JoinHandle,
};

use tokio::sync::{mpsc, oneshot};

use super::{
    batch::{Space, WriteBatch},
    sled_backend::SledBackend,
    Backend, Bytes,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store: {0}")]
    Open(String),
    #[error("storage error: {0}")]
    Sled(String),
    #[error("the store failed earlier and accepts no more writes: {0}")]
    Poisoned(String),
    #[error("the store is closed")]
    Closed,
}

/// Tuning of the store.
#[derive(Debug, Clone, Copy)]
pub struct StoreConfig {
    /// Batches waiting for the committer; submitters wait when it is full.
    pub queue: usize,
    /// Most batches applied and flushed in one group.
    pub max_group: usize,
    /// sled's page cache, in bytes.
    pub cache_capacity: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            queue: 4096,
            max_group: 1024,
            cache_capacity: 256 * 1024 * 1024,
        }
    }
}

/// Proof that a batch is durable, with the group it was flushed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitReceipt {
    /// Sequence number of the flush that covered the batch (1, 2, 3… per open store).
    pub group: u64,
    /// How many batches that flush covered.
    pub group_size: usize,
}

/// Counters since the store was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitStats {
    pub groups: u64,
    pub batches: u64,
}

/// What the committer thread does next: commit a batch, or copy the whole store elsewhere
/// (between two groups, so the copy holds every batch applied before it and none after).
enum Job {
    Commit(Pending),
    Copy {
        to: PathBuf,
        done: oneshot::Sender<Result<u64, StoreError>>,
    },
}

struct Pending {
    batch: WriteBatch,
    ack: oneshot::Sender<Result<CommitReceipt, StoreError>>,
}

#[derive(Default)]
struct Counters {
    groups: AtomicU64,
    batches: AtomicU64,
}

/// A batch queued for commit; await it (or [`Ack::wait_blocking`]) for its acknowledgement.
#[must_use = "a batch is only known durable once its acknowledgement arrives"]
pub struct Ack(oneshot::Receiver<Result<CommitReceipt, StoreError>>);

impl Ack {
    pub async fn wait(self) -> Result<CommitReceipt, StoreError> {
        self.0.await.map_err(|_| StoreError::Closed)?
    }

    /// For threads outside any async runtime.
    pub fn wait_blocking(self) -> Result<CommitReceipt, StoreError> {
        futures::executor::block_on(self.wait())
    }
}

/// The node's durable store.
///
/// # Durability
///
/// An acknowledged batch has been applied atomically with its group and flushed: the
/// contract is stated once, on [`Backend`] (`tests/durable.rs` checks it across `kill -9`).
pub struct Store {
    backend: Arc<dyn Backend>,
    queue: Option<mpsc::Sender<Job>>,
    committer: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
    poisoned: Arc<Mutex<Option<StoreError>>>,
}

impl Store {
    /// Opens (or creates) the store in `dir` with the default configuration.
    pub fn open(dir: impl AsRef<Path>) -> Result<Store, StoreError> {
        Self::open_with(dir, StoreConfig::default())
    }

    pub fn open_with(dir: impl AsRef<Path>, config: StoreConfig) -> Result<Store, StoreError> {
        let backend: Arc<dyn Backend> =
            Arc::new(SledBackend::open(dir.as_ref(), config.cache_capacity)?);
        let (queue, pending) = mpsc::channel(config.queue.max(1));
        let counters = Arc::new(Counters::default());
        let poisoned = Arc::new(Mutex::new(None));
        let committer = Committer {
            backend: backend.clone(),
            pending,
            max_group: config.max_group.max(1),
            counters: counters.clone(),
            poisoned: poisoned.clone(),
        };
        let committer = std::thread::Builder::new()
            .name("pactum-store-committer".into())
            .spawn(move || committer.run())
            .map_err(|error| StoreError::Open(error.to_string()))?;
        Ok(Store {
            backend,
            queue: Some(queue),
            committer: Some(committer),
            counters,
            poisoned,
        })
    }

    /// Queues `batch`, waiting for room in the queue; the returned [`Ack`] resolves once the
    /// batch is durable.
    pub async fn submit(&self, batch: WriteBatch) -> Result<Ack, StoreError> {
        let queue = self.queue.as_ref().ok_or(StoreError::Closed)?;
        let (ack, receiver) = oneshot::channel();
        queue
            .send(Job::Commit(Pending { batch, ack }))
            .await
            .map_err(|_| StoreError::Closed)?;
        Ok(Ack(receiver))
    }

    /// Queues `batch` if there is room right now, without waiting.
    pub fn try_submit(&self, batch: WriteBatch) -> Result<Ack, (StoreError, WriteBatch)> {
        let Some(queue) = self.queue.as_ref() else {
            return Err((StoreError::Closed, batch));
        };
        let (ack, receiver) = oneshot::channel();
        let batch_of = |job: Job| match job {
            Job::Commit(pending) => pending.batch,
            Job::Copy { .. } => WriteBatch::new(),
        };
        match queue.try_send(Job::Commit(Pending { batch, ack })) {
            Ok(()) => Ok(Ack(receiver)),
            Err(mpsc::error::TrySendError::Full(job)) => Err((
                StoreError::Sled("commit queue is full".into()),
                batch_of(job),
            )),
            Err(mpsc::error::TrySendError::Closed(job)) => Err((StoreError::Closed, batch_of(job))),
        }
    }

    /// Copies the whole store into a new store in `to` (which must not exist or be empty),
    /// online: the copy is made by the committer between two groups, so it holds exactly the
    /// batches applied before it, each whole, and is flushed before this returns. Returns
    /// how many key-value pairs were copied.
    pub async fn backup(&self, to: PathBuf) -> Result<u64, StoreError> {
        let queue = self.queue.as_ref().ok_or(StoreError::Closed)?;
        let (done, copied) = oneshot::channel();
        queue
            .send(Job::Copy { to, done })
            .await
            .map_err(|_| StoreError::Closed)?;
        copied.await.map_err(|_| StoreError::Closed)?
    }

    /// [`Self::backup`] for threads outside any async runtime.
    pub fn backup_blocking(&self, to: PathBuf) -> Result<u64, StoreError> {
        futures::executor::block_on(self.backup(to))
    }

    /// Submits `batch` and waits until it is durable.
    pub async fn commit(&self, batch: WriteBatch) -> Result<CommitReceipt, StoreError> {
        self.submit(batch).await?.wait().await
    }

    /// [`Self::commit`] for threads outside any async runtime.
    pub fn commit_blocking(&self, batch: WriteBatch) -> Result<CommitReceipt, StoreError> {
        futures::executor::block_on(self.commit(batch))
    }

    pub fn get(&self, space: Space, key: impl AsRef<[u8]>) -> Result<Option<Bytes>, StoreError> {
        self.backend.get(&space.key(key.as_ref()))
    }

    /// Entries of `space` whose key starts with `prefix`, in key order, keys without the space
    /// prefix.
    pub fn scan_prefix(
        &self,
        space: Space,
        prefix: impl AsRef<[u8]>,
    ) -> impl DoubleEndedIterator<Item = Result<(Vec<u8>, Bytes), StoreError>> + '_ {
        let skip = space.prefix().len();
        self.backend
            .scan_prefix(&space.key(prefix.as_ref()))
            .map(move |item| {
                let (key, value) = item?;
                Ok((key.get(skip..).unwrap_or_default().to_vec(), value))
            })
    }

    /// Entries of `space` from `start` on, in key order, keys without the space prefix (a
    /// journal read from a position).
    pub fn scan_range(
        &self,
        space: Space,
        start: impl AsRef<[u8]>,
    ) -> impl Iterator<Item = Result<(Vec<u8>, Bytes), StoreError>> + '_ {
        let prefix = space.prefix();
        let skip = prefix.len();
        self.backend
            .range_from(&space.key(start.as_ref()))
            .take_while(move |item| {
                item.as_ref()
                    .map_or(true, |(key, _)| key.starts_with(&prefix))
            })
            .map(move |item| {
                let (key, value) = item?;
                Ok((key.get(skip..).unwrap_or_default().to_vec(), value))
            })
    }

    /// The last entry of `space` under `prefix` (e.g. the newest entry of an order).
    pub fn last_with_prefix(
        &self,
        space: Space,
        prefix: impl AsRef<[u8]>,
    ) -> Result<Option<(Vec<u8>, Bytes)>, StoreError> {
        self.scan_prefix(space, prefix).next_back().transpose()
    }

    /// The entry of `space` with the greatest key at or before `key`, its key without the space
    /// prefix: the record covering `key` in a space keyed by the start of ranges.
    pub fn last_at_or_before(
        &self,
        space: Space,
        key: impl AsRef<[u8]>,
    ) -> Result<Option<(Vec<u8>, Bytes)>, StoreError> {
        let Some(found) = self.backend.range_to(&space.key(key.as_ref())).next_back() else {
            return Ok(None);
        };
        let (full_key, value) = found?;
        // Spaces are contiguous in key order, so an entry before this space means it holds
        // nothing at or before `key`.
        Ok(full_key
            .strip_prefix(space.prefix().as_slice())
            .map(|key| (key.to_vec(), value)))
    }

    pub fn stats(&self) -> CommitStats {
        CommitStats {
            groups: self.counters.groups.load(Ordering::Relaxed),
            batches: self.counters.batches.load(Ordering::Relaxed),
        }
    }

    /// The error that stopped the store accepting writes, if any.
    pub fn failure(&self) -> Option<StoreError> {
        self.poisoned
            .lock()
            .ok()
            .and_then(|failure| failure.clone())
    }

    /// Stops accepting batches, commits everything already queued, and waits for the
    /// committer to finish.
    pub fn close(mut self) -> Result<(), StoreError> {
        self.shut_down();
        match self.failure() {
            Some(failure) => Err(failure),
            None => self.backend.flush(),
        }
    }

    fn shut_down(&mut self) {
        drop(self.queue.take());
        if let Some(committer) = self.committer.take() {
            // The committer catches nothing that could panic; a join error leaves nothing to
            // recover here.
            let _ = committer.join();
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.shut_down();
    }
}

struct Committer {
    backend: Arc<dyn Backend>,
    pending: mpsc::Receiver<Job>,
    max_group: usize,
    counters: Arc<Counters>,
    poisoned: Arc<Mutex<Option<StoreError>>>,
}

impl Committer {
    fn run(mut self) {
        let mut group_number = 0u64;
        let mut next = None;
        loop {
            let job = match next.take() {
                Some(job) => job,
                None => match self.pending.blocking_recv() {
                    Some(job) => job,
                    None => return,
                },
            };
            let first = match job {
                Job::Commit(pending) => pending,
                Job::Copy { to, done } => {
                    let _ = done.send(self.backend.copy_to(&to));
                    continue;
                }
            };
            let mut group = vec![first];
            while group.len() < self.max_group {
                match self.pending.try_recv() {
                    Ok(Job::Commit(pending)) => group.push(pending),
                    Ok(copy) => {
                        // Committed after this group, before anything queued after it.
                        next = Some(copy);
                        break;
                    }
                    Err(_) => break,
                }
            }
            group_number = group_number.saturating_add(1);
            let outcome = self.commit_group(&mut group).map(|()| CommitReceipt {
                group: group_number,
                group_size: group.len(),
            });
            for pending in group {
                // A submitter that stopped waiting is no reason to stop.
                let _ = pending.ack.send(outcome.clone());
            }
        }
    }

    /// Applies every batch of the group atomically and flushes once.
    fn commit_group(&self, group: &mut [Pending]) -> Result<(), StoreError> {
        if let Some(failure) = self.failure() {
            return Err(failure);
        }
        let batches = group
            .iter_mut()
            .map(|pending| std::mem::take(&mut pending.batch))
            .collect();
        let result = self
            .backend
            .apply(batches)
            .and_then(|()| self.backend.flush());
        match &result {
            Ok(()) => {
                self.counters.groups.fetch_add(1, Ordering::Relaxed);
                self.counters
                    .batches
                    .fetch_add(group.len() as u64, Ordering::Relaxed);
            }
            Err(error) => {
                // After a failed write or flush, what is on disk is unknown: refuse further
                // writes rather than acknowledge anything built on top of it.
                tracing::error!(%error, "store commit failed; refusing further writes");
                if let Ok(mut poisoned) = self.poisoned.lock() {
                    *poisoned = Some(StoreError::Poisoned(error.to_string()));
                }
            }
        }
        result
    }

    fn failure(&self) -> Option<StoreError> {
        self.poisoned
            .lock()
            .ok()
            .and_then(|failure| failure.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const BEFORE: Space = Space::new("a");
    const RANGES: Space = Space::new("b");
    const AFTER: Space = Space::new("c");

    /// What `last_at_or_before` must return, computed over a plain map of the space.
    fn expected(model: &BTreeMap<u64, u64>, key: u64) -> Option<(Vec<u8>, Vec<u8>)> {
        model
            .range(..=key)
            .next_back()
            .map(|(key, value)| (key.to_be_bytes().to_vec(), value.to_be_bytes().to_vec()))
    }

    fn found(store: &Store, key: u64) -> Option<(Vec<u8>, Vec<u8>)> {
        store
            .last_at_or_before(RANGES, key.to_be_bytes())
            .unwrap()
            .map(|(key, value)| (key, value.to_vec()))
    }

    #[test]
    fn last_at_or_before_stays_within_its_space() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(found(&store, u64::MAX), None);

        // Neighbouring spaces on both sides must never be returned.
        let mut batch = WriteBatch::new();
        batch.put(BEFORE, u64::MAX.to_be_bytes(), b"before".to_vec());
        batch.put(AFTER, 0u64.to_be_bytes(), b"after".to_vec());
        store.commit_blocking(batch).unwrap();
        assert_eq!(found(&store, 0), None);
        assert_eq!(found(&store, u64::MAX), None);

        // Enough keys to span many sled nodes, with irregular gaps.
        let mut model = BTreeMap::new();
        let mut batch = WriteBatch::new();
        let mut key = 5u64;
        for step in 0..5_000u64 {
            model.insert(key, step);
            batch.put(RANGES, key.to_be_bytes(), step.to_be_bytes().to_vec());
            key += 1 + step % 7;
        }
        store.commit_blocking(batch).unwrap();
        for query in (0..key + 10).chain([u64::MAX - 1, u64::MAX]) {
            assert_eq!(found(&store, query), expected(&model, query), "key {query}");
        }
        // Keys compare as bytes: a prefix of every stored key sorts before them all, and a
        // longer key after the stored key it extends.
        assert_eq!(store.last_at_or_before(RANGES, [0u8]).unwrap(), None);
        let mut longer = 5u64.to_be_bytes().to_vec();
        longer.push(0xff);
        let (at, _) = store.last_at_or_before(RANGES, longer).unwrap().unwrap();
        assert_eq!(at, 5u64.to_be_bytes());
    }
}
