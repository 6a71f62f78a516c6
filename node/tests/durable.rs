//! Durable store tests: batches, scans, group commit, and the crash test — a writer process
//! killed with SIGKILL at a random moment loses no acknowledged batch and leaves no batch
//! half-applied.

use std::{
    collections::{hash_map::RandomState, BTreeSet},
    hash::{BuildHasher, Hasher},
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    sync::{mpsc, Arc},
    time::{Duration, Instant},
};

use pactum_node::durable::{Space, Store, StoreConfig, WriteBatch};

const ENTRIES: Space = Space::new("entries");
const HEADS: Space = Space::new("heads");
const LOG: Space = Space::new("log");

/// Must match `src/bin/durable-crash-helper.rs`.
fn expected_entry(n: u64) -> Vec<u8> {
    let len = 64 + (n % 448) as usize;
    (0..len)
        .map(|i| (n as usize).wrapping_add(i) as u8)
        .collect()
}

fn random_below(bound: u64) -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0);
    hasher.finish() % bound.max(1)
}

fn keys(store: &Store, space: Space) -> BTreeSet<u64> {
    store
        .scan_prefix(space, b"")
        .map(|item| {
            let (key, _) = item.unwrap();
            u64::from_be_bytes(key.try_into().expect("8-byte sequence keys"))
        })
        .collect()
}

#[tokio::test]
async fn batches_are_readable_by_space_and_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut batch = WriteBatch::new();
    batch
        .put(ENTRIES, b"order-a/0001", b"genesis".to_vec())
        .put(ENTRIES, b"order-a/0002", b"event".to_vec())
        .put(ENTRIES, b"order-b/0001", b"other".to_vec())
        .put(HEADS, b"order-a", b"0002".to_vec());
    let receipt = store.commit(batch).await.unwrap();
    assert_eq!(receipt.group_size, 1);

    assert_eq!(
        store.get(HEADS, b"order-a").unwrap().as_deref(),
        Some(&b"0002"[..])
    );
    // Same key, other space: absent.
    assert_eq!(store.get(LOG, b"order-a").unwrap(), None);
    let order_a: Vec<_> = store
        .scan_prefix(ENTRIES, b"order-a/")
        .map(|item| item.unwrap())
        .map(|(key, value)| (key, value.to_vec()))
        .collect();
    assert_eq!(
        order_a,
        vec![
            (b"order-a/0001".to_vec(), b"genesis".to_vec()),
            (b"order-a/0002".to_vec(), b"event".to_vec()),
        ]
    );
    let (last, _) = store
        .last_with_prefix(ENTRIES, b"order-a/")
        .unwrap()
        .unwrap();
    assert_eq!(last, b"order-a/0002");
    assert_eq!(store.last_with_prefix(ENTRIES, b"order-c/").unwrap(), None);

    let mut removal = WriteBatch::new();
    removal
        .remove(ENTRIES, b"order-b/0001")
        .put(HEADS, b"order-a", b"0003".to_vec());
    store.commit(removal).await.unwrap();
    assert_eq!(store.get(ENTRIES, b"order-b/0001").unwrap(), None);
    assert_eq!(
        store.get(HEADS, b"order-a").unwrap().as_deref(),
        Some(&b"0003"[..])
    );
}

#[test]
fn committed_batches_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        for n in 0..20u64 {
            let mut batch = WriteBatch::new();
            batch.put(ENTRIES, n.to_be_bytes(), expected_entry(n)).put(
                HEADS,
                n.to_be_bytes(),
                n.to_be_bytes().to_vec(),
            );
            store.commit_blocking(batch).unwrap();
        }
        store.close().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(keys(&store, ENTRIES), (0..20).collect());
    assert_eq!(keys(&store, HEADS), (0..20).collect());
    assert_eq!(
        store.get(ENTRIES, 7u64.to_be_bytes()).unwrap().unwrap(),
        expected_entry(7)
    );
}

#[tokio::test]
async fn batches_queued_together_share_a_flush() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    // Queue everything before waiting on anything: the committer finds most of it pending.
    let mut acks = Vec::new();
    for n in 0..500u64 {
        let mut batch = WriteBatch::new();
        batch.put(LOG, n.to_be_bytes(), vec![1; 32]);
        acks.push(store.submit(batch).await.unwrap());
    }
    let mut groups = BTreeSet::new();
    for ack in acks {
        let receipt = ack.wait().await.unwrap();
        groups.insert(receipt.group);
    }
    let stats = store.stats();
    assert_eq!(stats.batches, 500);
    assert_eq!(stats.groups, groups.len() as u64);
    assert!(
        stats.groups < stats.batches,
        "every batch got its own flush: {stats:?}"
    );
    assert_eq!(keys(&store, LOG).len(), 500);
}

#[tokio::test]
async fn later_batches_in_a_group_win_on_the_same_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut acks = Vec::new();
    for n in 0..100u64 {
        let mut batch = WriteBatch::new();
        batch.put(HEADS, b"order", n.to_be_bytes().to_vec());
        acks.push(store.submit(batch).await.unwrap());
    }
    for ack in acks {
        ack.wait().await.unwrap();
    }
    assert_eq!(
        store.get(HEADS, b"order").unwrap().unwrap(),
        99u64.to_be_bytes()
    );
}

#[test]
fn close_commits_what_was_queued() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let mut acks = Vec::new();
    for n in 0..50u64 {
        let mut batch = WriteBatch::new();
        batch.put(LOG, n.to_be_bytes(), vec![2; 32]);
        acks.push(store.try_submit(batch).map_err(|(error, _)| error).unwrap());
    }
    store.close().unwrap();
    for ack in acks {
        ack.wait_blocking().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(keys(&store, LOG).len(), 50);
}

/// Runs the crash helper, kills it with SIGKILL once it has acknowledged `kill_after` batches,
/// and returns every sequence number it acknowledged.
fn run_and_kill(dir: &std::path::Path, writers: usize, kill_after: usize) -> Vec<u64> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_durable-crash-helper"))
        .arg(dir)
        .arg(writers.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            // A line cut short by the kill has no newline and fails to parse: it was never a
            // complete acknowledgement.
            let Ok(line) = line else { break };
            if let Ok(n) = line.trim().parse::<u64>() {
                if lines_tx.send(n).is_err() {
                    break;
                }
            }
        }
    });
    let mut acked = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.len() < kill_after {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(remaining) {
            Ok(n) => acked.push(n),
            Err(error) => {
                let _ = child.kill();
                panic!(
                    "helper stopped acknowledging after {} batches: {error}",
                    acked.len()
                );
            }
        }
    }
    // Child::kill sends SIGKILL on Unix: no destructor, no final flush.
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    // Acknowledgements printed before the kill but not yet read.
    acked.extend(lines.try_iter());
    acked
}

#[test]
fn sigkill_loses_no_acknowledged_batch_and_leaves_none_half_applied() {
    for round in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let kill_after = 200 + random_below(2000) as usize;
        let writers = 1 + random_below(16) as usize;
        let acked = run_and_kill(dir.path(), writers, kill_after);
        assert!(acked.len() >= kill_after);

        let store = Store::open(dir.path()).unwrap();
        let entries = keys(&store, ENTRIES);
        let heads = keys(&store, HEADS);
        for n in &acked {
            assert!(
                entries.contains(n) && heads.contains(n),
                "round {round}: acknowledged batch {n} lost"
            );
        }
        // Both halves of every batch, or neither.
        assert_eq!(
            entries.symmetric_difference(&heads).collect::<Vec<_>>(),
            Vec::<&u64>::new(),
            "round {round}: half-applied batches"
        );
        for n in &entries {
            let value = store.get(ENTRIES, n.to_be_bytes()).unwrap().unwrap();
            assert_eq!(
                value,
                expected_entry(*n),
                "round {round}: entry {n} corrupted"
            );
        }
        eprintln!(
            "round {round}: {writers} writers, killed after {} acks; {} batches on disk",
            acked.len(),
            entries.len()
        );
    }
}

/// Acknowledged batches per second with N concurrent submitters; prints, asserts nothing.
/// `cargo test --release -p pactum-node --test durable -- --ignored --nocapture`
#[test]
#[ignore = "benchmark: run explicitly"]
fn group_commit_throughput() {
    const RUN: Duration = Duration::from_secs(3);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for submitters in [1usize, 8, 64, 256] {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open_with(dir.path(), StoreConfig::default()).unwrap());
        let started = Instant::now();
        let acked: u64 = runtime.block_on(async {
            let tasks: Vec<_> = (0..submitters)
                .map(|task| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        let mut done = 0u64;
                        while started.elapsed() < RUN {
                            // Shaped like a committed entry: the entry, its order head and two
                            // Merkle log hashes.
                            let n = (task as u64) << 32 | done;
                            let key = n.to_be_bytes();
                            let mut batch = WriteBatch::new();
                            batch
                                .put(ENTRIES, key, vec![7; 600])
                                .put(HEADS, (task as u64).to_be_bytes(), key.to_vec())
                                .put(LOG, [key, [0; 8]].concat(), vec![1; 32])
                                .put(LOG, [key, [1; 8]].concat(), vec![2; 32]);
                            store.commit(batch).await.unwrap();
                            done += 1;
                        }
                        done
                    })
                })
                .collect();
            let mut total = 0;
            for task in tasks {
                total += task.await.unwrap();
            }
            total
        });
        let elapsed = started.elapsed().as_secs_f64();
        let stats = store.stats();
        println!(
            "{submitters:>4} submitters: {:>8.0} acked batches/s, {:.1} batches per flush",
            acked as f64 / elapsed,
            stats.batches as f64 / stats.groups.max(1) as f64
        );
    }
}
