//! The [`Backend`] on sled 0.34: every space in one sled tree, so a group is one
//! `Tree::apply_batch` (which sled recovers all-or-nothing after a crash) and a flush is
//! `Db::flush`. The only file of the node that names sled.

use std::path::Path;

use super::{Backend, Bytes, Pairs, StoreError, WriteBatch};

/// What sled hands back; wrapped in [`Bytes`] outside this file.
pub(super) type Value = sled::IVec;

const DATA_TREE: &str = "pactum";

impl From<sled::Error> for StoreError {
    fn from(error: sled::Error) -> Self {
        StoreError::Sled(error.to_string())
    }
}

pub(super) struct SledBackend {
    db: sled::Db,
    data: sled::Tree,
}

impl SledBackend {
    pub(super) fn open(dir: &Path, cache_capacity: u64) -> Result<SledBackend, StoreError> {
        let db = open_db(dir, cache_capacity)?;
        let data = db
            .open_tree(DATA_TREE)
            .map_err(|error| StoreError::Open(error.to_string()))?;
        Ok(SledBackend { db, data })
    }
}

fn pair(item: sled::Result<(sled::IVec, sled::IVec)>) -> Result<(Bytes, Bytes), StoreError> {
    let (key, value) = item?;
    Ok((Bytes(key), Bytes(value)))
}

impl Backend for SledBackend {
    fn apply(&self, group: Vec<WriteBatch>) -> Result<(), StoreError> {
        let mut combined = sled::Batch::default();
        for batch in group {
            // Later batches overwrite earlier ones key by key, as if applied in order.
            for (key, value) in batch.writes {
                match value {
                    Some(value) => combined.insert(key, value),
                    None => combined.remove(key),
                }
            }
        }
        Ok(self.data.apply_batch(combined)?)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    fn get(&self, key: &[u8]) -> Result<Option<Bytes>, StoreError> {
        Ok(self.data.get(key)?.map(Bytes))
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Pairs<'_> {
        Box::new(self.data.scan_prefix(prefix).map(pair))
    }

    fn copy_to(&self, dir: &Path) -> Result<u64, StoreError> {
        const PAIRS_PER_BATCH: u64 = 10_000;
        let empty = match std::fs::read_dir(dir) {
            Ok(mut entries) => entries.next().is_none(),
            Err(error) => error.kind() == std::io::ErrorKind::NotFound,
        };
        if !empty {
            return Err(StoreError::Open(format!(
                "{} exists and is not empty",
                dir.display()
            )));
        }
        let target = SledBackend::open(dir, 64 << 20)?;
        let mut batch = sled::Batch::default();
        let mut copied = 0u64;
        for item in self.data.iter() {
            let (key, value) = item?;
            batch.insert(key, value);
            copied += 1;
            if copied.is_multiple_of(PAIRS_PER_BATCH) {
                target.data.apply_batch(std::mem::take(&mut batch))?;
            }
        }
        target.data.apply_batch(batch)?;
        target.db.flush()?;
        Ok(copied)
    }

    fn range_from(&self, key: &[u8]) -> Pairs<'_> {
        Box::new(self.data.range(key.to_vec()..).map(pair))
    }

    fn range_to(&self, key: &[u8]) -> Pairs<'_> {
        Box::new(self.data.range(..=key.to_vec()).map(pair))
    }
}

/// Opens the sled database. A database dropped a moment ago (a restart in the same process)
/// can still be held by sled's background threads, which release its file lock shortly after:
/// that one error is retried for a bounded time.
fn open_db(dir: &Path, cache_capacity: u64) -> Result<sled::Db, StoreError> {
    const LOCK_RETRIES: u32 = 50;
    let mut attempt = 0;
    loop {
        match sled::Config::new()
            .path(dir)
            .cache_capacity(cache_capacity)
            .open()
        {
            Ok(db) => return Ok(db),
            Err(error)
                if attempt < LOCK_RETRIES
                    && error.to_string().contains("could not acquire lock") =>
            {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(error) => return Err(StoreError::Open(error.to_string())),
        }
    }
}
