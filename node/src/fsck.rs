//! `pactum-node fsck`: checks a store (a stopped node's data directory, or a backup) and
//! reports what is wrong, changing nothing.
//!
//! * every order record (open or closed) decodes, is filed under its order id and binds the
//!   sources its contract names;
//! * every entry of an order decodes, belongs to it, follows the one before it (seq + 1,
//!   `prev` = its hash; the first is the genesis at seq 0) and carries a valid signature of
//!   every party;
//! * the Merkle log: its leaves are exactly the entries' hashes at the positions the entries
//!   name, so a log rebuilt from the entries must have the stored log's root; every stored
//!   checkpoint must name the root of the log at its size, and be signed by the node's log
//!   key when that key is given.

use std::{collections::BTreeMap, path::Path, sync::Arc};

use verifier::{
    bundle::format::entry_leaf,
    checkpoint::{Checkpoint, NoteVerifierKey, SignedNote},
    merkle::{stored_hash_count, HashStore, MemoryStore, MerkleLog},
    model::{Digest, OrderId, Step},
    sign::PublicKey,
};

use crate::{
    durable::{Store, StoreError},
    engine::{
        records::{decode, EntryRecord, OrderRecord, CHECKPOINTS, CLOSED, ENTRIES, ORDERS},
        sources::hash_sources,
    },
    log_store::NodeLog,
};

/// What fsck found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FsckReport {
    pub orders: u64,
    pub entries: u64,
    pub log_size: u64,
    pub checkpoints: u64,
    /// Each problem, in the order found; empty when the store is sound.
    pub problems: Vec<String>,
}

impl FsckReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    pub fn render(&self) -> String {
        let mut text = format!(
            "{} orders, {} entries, log of {} leaves, {} checkpoints: {}\n",
            self.orders,
            self.entries,
            self.log_size,
            self.checkpoints,
            if self.is_clean() {
                "no problem found".to_string()
            } else {
                contract_lang::render::english_count(self.problems.len(), ["problem", "problems"])
            }
        );
        for problem in &self.problems {
            text.push_str("  - ");
            text.push_str(&contract_lang::untrusted::escape(problem));
            text.push('\n');
        }
        text
    }
}

/// Checks the store in `dir`. `log_key` (the node's party key) and `origin` check the stored
/// checkpoints' signatures; without them only their roots are checked.
pub fn check_dir(
    dir: &Path,
    log_key: Option<(PublicKey, String)>,
) -> Result<FsckReport, StoreError> {
    let store = Arc::new(Store::open(dir)?);
    let report = check(&store, log_key);
    Ok(report)
}

/// Checks an open store (see the module's documentation).
pub fn check(store: &Arc<Store>, log_key: Option<(PublicKey, String)>) -> FsckReport {
    let mut report = FsckReport::default();
    // Leaf index → entry hash, over every order's entries.
    let mut leaves: BTreeMap<u64, Digest> = BTreeMap::new();
    for space in [ORDERS, CLOSED] {
        for item in store.scan_prefix(space, b"") {
            match item {
                Ok((key, bytes)) => {
                    report.orders += 1;
                    check_order(store, &key, &bytes, &mut leaves, &mut report);
                }
                Err(error) => report.problems.push(format!("{}: {error}", space.name())),
            }
        }
    }
    check_log(store, &leaves, log_key, &mut report);
    report
}

fn check_order(
    store: &Store,
    key: &[u8],
    bytes: &[u8],
    leaves: &mut BTreeMap<u64, Digest>,
    report: &mut FsckReport,
) {
    let record: OrderRecord = match decode("order", bytes) {
        Ok(record) => record,
        Err(error) => {
            report
                .problems
                .push(format!("order record {}: {error}", hex::encode(key)));
            return;
        }
    };
    let order = record.contract.order_id();
    if key != order.as_bytes() {
        report.problems.push(format!(
            "order record {} holds the contract of order {order}",
            hex::encode(key)
        ));
    }
    let contract = match record.contract.contract() {
        Ok(contract) => contract,
        Err(error) => {
            report.problems.push(format!(
                "order {order}: the contract does not decode: {error}"
            ));
            return;
        }
    };
    if hash_sources(&record.sources).ok() != Some(contract.sources) {
        report.problems.push(format!(
            "order {order}: the stored sources do not hash to the contract's sources hash"
        ));
    }
    let mut previous: Option<Digest> = None;
    for item in store.scan_prefix(ENTRIES, order.as_bytes()) {
        let (key, bytes) = match item {
            Ok(pair) => pair,
            Err(error) => {
                report.problems.push(format!("order {order}: {error}"));
                return;
            }
        };
        report.entries += 1;
        match check_entry(&order, &contract.parties, &key, &bytes, previous) {
            Ok((hash, leaf)) => {
                if let Some(other) = leaves.insert(leaf, hash) {
                    report.problems.push(format!(
                        "log leaf {leaf} is claimed by entries {other} and {hash}"
                    ));
                }
                previous = Some(hash);
            }
            Err(problem) => {
                report.problems.push(format!("order {order}: {problem}"));
                // The chain is broken here; later entries cannot be chained to it.
                return;
            }
        }
    }
    if previous.is_none() {
        report
            .problems
            .push(format!("order {order}: no entries (not even the genesis)"));
    }
}

/// The seq an entry key names (order id ‖ seq BE).
fn report_seq(key: &[u8]) -> u64 {
    key.get(32..40)
        .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
        .map_or(u64::MAX, u64::from_be_bytes)
}

/// Checks one entry against the one before it; its hash and log leaf.
fn check_entry(
    order: &OrderId,
    parties: &BTreeMap<String, PublicKey>,
    key: &[u8],
    bytes: &[u8],
    previous: Option<Digest>,
) -> Result<(Digest, u64), String> {
    let seq = report_seq(key);
    let record: EntryRecord =
        decode("entry", bytes).map_err(|error| format!("entry at seq {seq}: {error}"))?;
    let body = record
        .entry
        .entry()
        .map_err(|error| format!("entry at seq {seq} does not decode: {error}"))?;
    let hash = record.entry.hash();
    if body.order != *order {
        return Err(format!(
            "entry at seq {seq} belongs to order {}",
            body.order
        ));
    }
    if body.seq != seq {
        return Err(format!("entry filed at seq {seq} says seq {}", body.seq));
    }
    match previous {
        None if seq != 0 || !matches!(body.step, Step::Genesis) => {
            return Err(format!(
                "the first entry is at seq {seq}, not a genesis at seq 0 (entries are missing)"
            ));
        }
        Some(_) if seq == 0 => return Err("a second genesis".into()),
        Some(previous) if body.prev != previous => {
            return Err(format!(
                "entry {seq} names {} as previous entry, but entry {} hashes to {previous} \
                 (entries are missing or were changed)",
                body.prev,
                seq.saturating_sub(1)
            ));
        }
        _ => {}
    }
    record
        .entry
        .verify(parties)
        .map_err(|error| format!("entry {seq}: signatures: {error}"))?;
    Ok((hash, record.leaf))
}

fn check_log(
    store: &Arc<Store>,
    leaves: &BTreeMap<u64, Digest>,
    log_key: Option<(PublicKey, String)>,
    report: &mut FsckReport,
) {
    let log = match NodeLog::open(store.clone()) {
        Ok(log) => log,
        Err(error) => {
            report.problems.push(format!("Merkle log: {error}"));
            return;
        }
    };
    report.log_size = log.size();
    let expected: Vec<u64> = (0..log.size()).collect();
    if !leaves.keys().copied().eq(expected.iter().copied()) {
        report.problems.push(format!(
            "Merkle log of {} leaves, but the entries name {} leaves ({}…)",
            log.size(),
            leaves.len(),
            first_gap(leaves, log.size())
        ));
        return;
    }
    // The log as the entries say it must be, rebuilt independently.
    let mut rebuilt = MerkleLog::new(MemoryStore::with_capacity_for_leaves(leaves.len()));
    let hashes: Vec<_> = leaves.values().map(entry_leaf).collect();
    if let Err(error) = rebuilt.append_leaf_hashes(&hashes) {
        report.problems.push(format!("Merkle log: {error}"));
        return;
    }
    if let Err(problem) = compare_stored_hashes(&log, &rebuilt) {
        report.problems.push(format!("Merkle log: {problem}"));
    }
    let root_of = |size: u64| -> Result<_, String> {
        let stored = log.root_at(size).map_err(|error| error.to_string())?;
        let rebuilt = rebuilt.root_at(size).map_err(|error| error.to_string())?;
        Ok((stored, rebuilt))
    };
    match root_of(log.size()) {
        Ok((stored, rebuilt)) if stored != rebuilt => report.problems.push(format!(
            "Merkle log: the stored root at size {} is {}, the entries make it {}",
            log.size(),
            hex::encode(stored),
            hex::encode(rebuilt)
        )),
        Ok(_) => {}
        Err(error) => report.problems.push(format!("Merkle log: {error}")),
    }
    let verifier_key = log_key.and_then(|(key, origin)| NoteVerifierKey::log(&origin, key).ok());
    for item in store.scan_prefix(CHECKPOINTS, b"") {
        report.checkpoints += 1;
        match item {
            Ok((_, bytes)) => {
                if let Err(problem) = check_checkpoint(&bytes, &rebuilt, verifier_key.as_ref()) {
                    report.problems.push(format!("checkpoint: {problem}"));
                }
            }
            Err(error) => report.problems.push(format!("checkpoint: {error}")),
        }
    }
}

/// Every hash the node stored for its log must be the one the entries give (a root at one
/// size reads only some of them, so each is compared).
fn compare_stored_hashes(log: &NodeLog, rebuilt: &MerkleLog<MemoryStore>) -> Result<(), String> {
    const CHUNK: u64 = 4096;
    let count = stored_hash_count(log.size()).map_err(|error| error.to_string())?;
    let reader = log.reader();
    let mut start = 0;
    while start < count {
        let indexes: Vec<u64> = (start..count.min(start.saturating_add(CHUNK))).collect();
        let stored = reader
            .read_hashes(&indexes)
            .map_err(|error| error.to_string())?;
        let expected = rebuilt
            .store()
            .read_hashes(&indexes)
            .map_err(|error| error.to_string())?;
        if let Some(index) = indexes
            .iter()
            .zip(stored.iter().zip(&expected))
            .find_map(|(index, (stored, expected))| (stored != expected).then_some(*index))
        {
            return Err(format!(
                "stored hash {index} differs from the one the entries give (the stored root \
                 or proofs built on it are wrong)"
            ));
        }
        start = start.saturating_add(CHUNK);
    }
    Ok(())
}

fn first_gap(leaves: &BTreeMap<u64, Digest>, size: u64) -> String {
    let missing = (0..size).find(|index| !leaves.contains_key(index));
    let extra = leaves.keys().find(|index| **index >= size);
    match (missing, extra) {
        (Some(index), _) => format!("no entry has leaf {index}"),
        (None, Some(index)) => format!("an entry names leaf {index}, beyond the log"),
        (None, None) => "leaves differ".into(),
    }
}

fn check_checkpoint(
    bytes: &[u8],
    rebuilt: &MerkleLog<MemoryStore>,
    key: Option<&NoteVerifierKey>,
) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_string())?;
    let note = SignedNote::parse(text).map_err(|error| error.to_string())?;
    let checkpoint = Checkpoint::parse(note.text()).map_err(|error| error.to_string())?;
    let size = checkpoint.size();
    let root = rebuilt
        .root_at(size)
        .map_err(|_| format!("size {size} is beyond the log"))?;
    if &root != checkpoint.root() {
        return Err(format!(
            "at size {size} it names root {}, the entries make it {}",
            hex::encode(checkpoint.root()),
            hex::encode(root)
        ));
    }
    if let Some(key) = key {
        note.verify(std::slice::from_ref(key))
            .map_err(|error| format!("at size {size}, the log's signature: {error}"))?;
    }
    Ok(())
}
