//! Durable storage for the node: atomic write batches over named spaces, with group commit.
//!
//! [`Store`] is what the engine, the Merkle log and the event journal talk to: atomic
//! [`WriteBatch`]es over named [`Space`]s, acknowledged only once durable, with one flush
//! shared by every batch queued meanwhile. What it needs from a storage engine is the
//! [`Backend`] trait, which states the durability contract in this one place; sled 0.34 is
//! its only implementation (`sled_backend.rs`), and no sled type appears outside this module.

mod batch;
mod sled_backend;
mod store;

pub use batch::{Space, WriteBatch};
pub use store::{Ack, CommitReceipt, CommitStats, Store, StoreConfig, StoreError};

/// Bytes read from the store: cheap to clone, read as `&[u8]`.
#[derive(Clone)]
pub struct Bytes(sled_backend::Value);

impl<T: AsRef<[u8]> + ?Sized> PartialEq<T> for Bytes {
    fn eq(&self, other: &T) -> bool {
        self.0[..] == *other.as_ref()
    }
}

impl Eq for Bytes {}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({})", hex::encode(&self.0[..]))
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Self {
        Bytes(bytes.into())
    }
}

/// Key-value pairs in key order, full keys (space prefix included).
pub type Pairs<'a> = Box<dyn DoubleEndedIterator<Item = Result<(Bytes, Bytes), StoreError>> + 'a>;

/// The storage engine under [`Store`], and the durability contract the node relies on.
///
/// * **Atomic batch**: [`Backend::apply`] applies a group of batches as one unit: after a
///   crash at any moment, either every write of the group is there or none is. Within the
///   group, later writes to a key win, as if the batches were applied in order.
/// * **Acknowledged = flushed**: [`Backend::flush`] returns only once everything applied
///   before it survives the process being killed (`kill -9`, a panic, the OOM killer). The
///   store acknowledges a batch only after the flush that follows its group, so an
///   acknowledged batch is never lost to a process crash. (sled 0.34 flushes with
///   `sync_file_range`, not `fsync`: a power loss or kernel crash can still lose acknowledged
///   batches; a backend with `fsync` would close that gap without changing this contract.)
/// * **Reads** see applied batches, possibly a moment before they are flushed: whatever must
///   act only on durable data waits for the batch's [`Ack`].
/// * **One writer**: only the store's committer thread calls `apply` and `flush`, so while it
///   runs something else (a backup) nothing changes underneath it.
pub trait Backend: Send + Sync + 'static {
    /// Applies `group` atomically (see above).
    fn apply(&self, group: Vec<WriteBatch>) -> Result<(), StoreError>;
    /// Makes everything applied so far durable (see above).
    fn flush(&self) -> Result<(), StoreError>;
    fn get(&self, key: &[u8]) -> Result<Option<Bytes>, StoreError>;
    /// Every pair whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> Pairs<'_>;
    /// Copies every pair into a new store of this backend in `dir` (which must not exist or
    /// be empty) and flushes it; how many pairs. Called by the committer only, so nothing
    /// is applied meanwhile.
    fn copy_to(&self, dir: &std::path::Path) -> Result<u64, StoreError>;
    /// Every pair with a key at or after `key`, in key order.
    fn range_from(&self, key: &[u8]) -> Pairs<'_>;
    /// Every pair with a key at or before `key`, in key order (read from the back).
    fn range_to(&self, key: &[u8]) -> Pairs<'_>;
}
