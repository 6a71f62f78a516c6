//! Cost of appending to the Merkle log as it grows: it should be flat (O(log n) hashes per
//! append, no work proportional to the size).
//!
//! For each log size the log is filled once, then appends are timed in runs of at most
//! `ROLLBACK_EVERY` leaves, after each of which the log is rolled back (untimed) to the size
//! under test, so every measured append happens at that size, give or take a thousand leaves.
//!
//! ```text
//! cargo bench -p verifier --bench merkle -- --sample-size 10 --measurement-time 2
//! PACTUM_BENCH_10M=1 cargo bench -p verifier --bench merkle   # adds 10,000,000 (~700 MB RAM)
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use verifier::merkle::{
    leaf_hash, stored_hash_count, verify_inclusion, Hash, HashStore, MerkleLog, StoreError,
};

/// Appends timed between two rollbacks.
const ROLLBACK_EVERY: u64 = 1000;

/// A `Vec`-backed store that can be cut back to an earlier size (the real stores cannot: the
/// log is append-only).
#[derive(Default)]
struct RollbackStore(Vec<Hash>);

impl HashStore for RollbackStore {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, StoreError> {
        indexes
            .iter()
            .map(|&i| {
                self.0
                    .get(i as usize)
                    .copied()
                    .ok_or(StoreError::Missing(i))
            })
            .collect()
    }

    fn write_hashes(&mut self, start: u64, hashes: &[Hash]) -> Result<(), StoreError> {
        if start != self.0.len() as u64 {
            return Err(StoreError::NotContiguous {
                start,
                len: self.0.len() as u64,
            });
        }
        self.0.extend_from_slice(hashes);
        Ok(())
    }
}

fn sizes() -> Vec<u64> {
    let mut sizes = vec![1_000, 10_000, 100_000, 1_000_000];
    if std::env::var_os("PACTUM_BENCH_10M").is_some() {
        sizes.push(10_000_000);
    }
    sizes
}

fn filled_log(size: u64) -> MerkleLog<RollbackStore> {
    let mut log = MerkleLog::new(RollbackStore(Vec::with_capacity(2 * size as usize + 4096)));
    let chunk: Vec<Hash> = (0..10_000u64)
        .map(|i| leaf_hash(&i.to_be_bytes()))
        .collect();
    while log.size() < size {
        let take = (size - log.size()).min(chunk.len() as u64) as usize;
        log.append_leaf_hashes(&chunk[..take]).expect("fill");
    }
    log
}

fn rolled_back(log: MerkleLog<RollbackStore>, size: u64) -> MerkleLog<RollbackStore> {
    let mut store = log.into_store();
    store
        .0
        .truncate(stored_hash_count(size).expect("size") as usize);
    MerkleLog::open(store, size).expect("reopen")
}

fn append_cost(c: &mut Criterion) {
    let mut group = c.benchmark_group("merkle_append_one");
    group.throughput(Throughput::Elements(1));
    for size in sizes() {
        let mut log = Some(filled_log(size));
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut done = 0;
                while done < iters {
                    let run = (iters - done).min(ROLLBACK_EVERY);
                    let mut current = log.take().expect("log");
                    let start = Instant::now();
                    for i in 0..run {
                        black_box(current.append(&i.to_be_bytes()).expect("append"));
                    }
                    total += start.elapsed();
                    log = Some(rolled_back(current, size));
                    done += run;
                }
                total
            });
        });
    }
    group.finish();
}

fn batch_append_cost(c: &mut Criterion) {
    // 1000 leaves per store write, as the node's group commit does.
    let mut group = c.benchmark_group("merkle_append_batch_1000");
    group.throughput(Throughput::Elements(ROLLBACK_EVERY));
    let batch: Vec<Hash> = (0..ROLLBACK_EVERY)
        .map(|i| leaf_hash(&i.to_le_bytes()))
        .collect();
    for size in sizes() {
        let mut log = Some(filled_log(size));
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut current = log.take().expect("log");
                    let start = Instant::now();
                    black_box(current.append_leaf_hashes(&batch).expect("append"));
                    total += start.elapsed();
                    log = Some(rolled_back(current, size));
                }
                total
            });
        });
    }
    group.finish();
}

fn proof_cost(c: &mut Criterion) {
    let mut group = c.benchmark_group("merkle_inclusion_proof_and_verify");
    for size in sizes() {
        let log = filled_log(size);
        let root = log.root().expect("root");
        let index = size / 3;
        let leaf = leaf_hash(&(index % 10_000).to_be_bytes());
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            b.iter(|| {
                let proof = log.inclusion_proof(index, size).expect("proof");
                verify_inclusion(&leaf, index, size, &proof, &root).expect("verifies");
            });
        });
    }
    group.finish();
}

criterion_group!(benches, append_cost, batch_append_cost, proof_cost);
criterion_main!(benches);
