//! Test helper for `tests/durable.rs`: commits batches to a store as fast as it can and prints
//! each acknowledged sequence number on its own line, until it is killed.
//!
//! Usage: `durable-crash-helper <dir> [writers]`. Every batch writes sequence number `n` under
//! two spaces (`entries` and `heads`), so a reader can tell a half-applied batch from a whole
//! one; the entry's value is [`expected_entry`]-shaped so its bytes can be checked too.

use std::{
    io::Write,
    process::ExitCode,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use pactum_node::durable::{Space, Store, WriteBatch};

const ENTRIES: Space = Space::new("entries");
const HEADS: Space = Space::new("heads");

/// The value stored for sequence number `n`: a few hundred bytes derived from `n`.
fn expected_entry(n: u64) -> Vec<u8> {
    let len = 64 + (n % 448) as usize;
    (0..len)
        .map(|i| (n as usize).wrapping_add(i) as u8)
        .collect()
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: durable-crash-helper <dir> [writers]");
        return ExitCode::from(2);
    };
    let writers: usize = args.next().and_then(|w| w.parse().ok()).unwrap_or(8);
    let store = match Store::open(&dir) {
        Ok(store) => Arc::new(store),
        Err(error) => {
            eprintln!("cannot open store: {error}");
            return ExitCode::from(1);
        }
    };
    let next = Arc::new(AtomicU64::new(0));
    let stdout = Arc::new(Mutex::new(std::io::stdout()));
    let threads: Vec<_> = (0..writers)
        .map(|_| {
            let (store, next, stdout) = (store.clone(), next.clone(), stdout.clone());
            std::thread::spawn(move || loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let key = n.to_be_bytes();
                let mut batch = WriteBatch::new();
                batch
                    .put(ENTRIES, key, expected_entry(n))
                    .put(HEADS, key, key.to_vec());
                if let Err(error) = store.commit_blocking(batch) {
                    eprintln!("commit {n} failed: {error}");
                    return;
                }
                // One write per line, after the acknowledgement.
                let Ok(mut out) = stdout.lock() else { return };
                if writeln!(out, "{n}").and_then(|()| out.flush()).is_err() {
                    return;
                }
            })
        })
        .collect();
    for thread in threads {
        let _ = thread.join();
    }
    ExitCode::from(1)
}
