//! Verification throughput of a long bundle against the raw cost of its signatures.
//!
//! Builds a bundle of `PACTUM_BENCH_ENTRIES` entries (default 100,000; two parties, one
//! attester: three signatures per entry), then, on the same threads (`PACTUM_BENCH_THREADS`,
//! default every core):
//!
//! * raw: batch verification of exactly the bundle's signatures (`sign::verify_batch`, the
//!   messages domain-separated as verification does, split across the threads);
//! * full: `verify_bundle` on the bundle's bytes, every step.
//!
//! Target: entries/s × 3 ≥ 70% of the raw signatures/s. Run with
//! `cargo bench -p verifier --bench verify`.

use std::time::{Duration, Instant};

use verifier::bundle::build::long_example;
use verifier::bundle::{verify_bundle, BundleEntry, VerifyOptions};
use verifier::model::Step;
use verifier::sign::{verify_batch, BatchItem, Domain};

fn best_of<T>(runs: usize, mut work: impl FnMut() -> T) -> (Duration, T) {
    let mut best: Option<(Duration, T)> = None;
    for _ in 0..runs {
        let start = Instant::now();
        let value = work();
        let elapsed = start.elapsed();
        if best.as_ref().is_none_or(|(time, _)| elapsed < *time) {
            best = Some((elapsed, value));
        }
    }
    best.expect("at least one run")
}

fn main() {
    let entries: usize = std::env::var("PACTUM_BENCH_ENTRIES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(100_000);
    let threads: usize = std::env::var("PACTUM_BENCH_THREADS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let runs = 3;

    let start = Instant::now();
    let example = long_example(entries, threads).expect("the bundle builds");
    println!(
        "built {entries} entries ({} MB) in {:.1} s",
        example.bytes.len() / 1_000_000,
        start.elapsed().as_secs_f64()
    );

    // The same signatures, decoded once, outside the measurement.
    let decoded: Vec<BundleEntry> = example
        .bundle
        .entries
        .iter()
        .map(|bytes| BundleEntry::from_bytes(bytes).expect("valid entry"))
        .collect();
    let parties = &example.order.machine().contract().parties;
    let mut items: Vec<BatchItem<'_>> = Vec::with_capacity(decoded.len() * 3);
    let bodies: Vec<_> = decoded
        .iter()
        .map(|entry| entry.entry.entry().expect("valid body"))
        .collect();
    for (entry, body) in decoded.iter().zip(&bodies) {
        for (role, key) in parties {
            items.push((
                Domain::Entry,
                &entry.entry.body,
                &entry.entry.signatures[role],
                key,
            ));
        }
        if let Step::Event(step) = &body.step {
            items.push((
                Domain::Event,
                &step.event.body,
                &step.event.signature,
                &step.event.attester,
            ));
        }
    }
    let signatures = items.len();
    let chunk = signatures.div_ceil(threads);
    let (raw, ()) = best_of(runs, || {
        std::thread::scope(|scope| {
            for part in items.chunks(chunk) {
                scope.spawn(move || verify_batch(part).expect("valid signatures"));
            }
        });
    });
    let raw_rate = signatures as f64 / raw.as_secs_f64();

    let options = VerifyOptions {
        state_dir: None,
        threads,
    };
    let (full, report) = best_of(runs, || {
        verify_bundle(&example.bytes, &example.trust, &options).expect("the bundle verifies")
    });
    let entry_rate = entries as f64 / full.as_secs_f64();
    let per_entry = signatures as f64 / entries as f64;

    println!("threads: {threads}, best of {runs}");
    println!(
        "raw batch verification: {signatures} signatures in {:.3} s = {:.0} signatures/s",
        raw.as_secs_f64(),
        raw_rate
    );
    println!(
        "verify_bundle:          {entries} entries in {:.3} s = {:.0} entries/s ({:.2} signatures/entry)",
        full.as_secs_f64(),
        entry_rate,
        per_entry
    );
    println!(
        "entries/s × signatures/entry = {:.0} signatures/s = {:.1}% of raw (target ≥ 70%)",
        entry_rate * per_entry,
        100.0 * entry_rate * per_entry / raw_rate
    );
    let steps: Vec<String> = report
        .timings
        .iter()
        .map(|(step, time)| format!("{step}: {:.3} s", time.as_secs_f64()))
        .collect();
    println!("steps of the best run: {}", steps.join(", "));
}
