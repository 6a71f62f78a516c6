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

/// The best wall time and the best CPU time (user + system, all threads) of repeated runs.
#[derive(Default)]
struct Measure {
    wall: Duration,
    cpu: Duration,
}

impl Measure {
    fn time<T>(&mut self, work: impl FnOnce() -> T) -> T {
        let (wall_start, cpu_start) = (Instant::now(), process_cpu());
        let value = work();
        let (wall, cpu) = (
            wall_start.elapsed(),
            process_cpu().saturating_sub(cpu_start),
        );
        if self.wall.is_zero() || wall < self.wall {
            self.wall = wall;
        }
        if self.cpu.is_zero() || cpu < self.cpu {
            self.cpu = cpu;
        }
        value
    }
}

/// CPU time this process has used so far, from `/proc/self/stat` (zero where unavailable).
fn process_cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command name (which ends with the last ')'): utime is the 12th, stime
    // the 13th, in clock ticks of 1/100 s on Linux.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|field| field.parse::<u64>().ok())
    };
    match (ticks(11), ticks(12)) {
        (Some(user), Some(system)) => Duration::from_millis((user + system) * 10),
        _ => Duration::ZERO,
    }
}

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
    let runs: usize = std::env::var("PACTUM_BENCH_RUNS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(3);

    let start = Instant::now();
    let example = long_example(entries, threads).expect("the bundle builds");
    println!(
        "built {entries} entries ({} MB) in {:.1} s",
        example.bytes.len() / 1_000_000,
        start.elapsed().as_secs_f64()
    );

    // The same signatures, decoded once, outside the measurement.
    let decoded: Vec<BundleEntry> = example.bundle.decoded_entries().expect("valid entries");
    let parties = &example.order.machine().contract().parties;
    let carrier = example.keys.carrier.public_key();
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
                &carrier,
            ));
        }
    }
    let signatures = items.len();
    let chunk = signatures.div_ceil(threads);
    let options = VerifyOptions {
        remembered: None,
        heads: Vec::new(),
        threads,
    };
    // Raw and full runs alternate, so that other load on the machine hits both alike; the best
    // of each is kept, in wall time and in this process's CPU time.
    let mut raw = Measure::default();
    let mut full = Measure::default();
    for _ in 0..runs {
        raw.time(|| {
            std::thread::scope(|scope| {
                for part in items.chunks(chunk) {
                    scope.spawn(move || verify_batch(part).expect("valid signatures"));
                }
            });
        });
        full.time(|| {
            verify_bundle(&example.bytes, &example.trust, &options).expect("the bundle verifies")
        });
    }
    let (raw, raw_cpu) = (raw.wall, raw.cpu);
    let (full, full_cpu) = (full.wall, full.cpu);
    let raw_rate = signatures as f64 / raw.as_secs_f64();
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
    // Where step 1's time goes, single-threaded.
    let (outer, bundle) = best_of(1, || {
        verifier::bundle::Bundle::from_bytes(&example.bytes).unwrap()
    });
    let (wrappers, _) = best_of(1, || {
        bundle
            .entry_bytes()
            .unwrap()
            .into_iter()
            .map(|bytes| BundleEntry::from_bytes(bytes).unwrap().leaf_index)
            .sum::<u64>()
    });
    let (bodies_time, _) = best_of(1, || {
        decoded
            .iter()
            .map(|entry| entry.entry.entry().unwrap().seq)
            .sum::<u64>()
    });
    let (events_time, _) = best_of(1, || {
        bodies
            .iter()
            .filter_map(|body| match &body.step {
                Step::Event(step) => Some(step.event.event().unwrap()),
                _ => None,
            })
            .count()
    });
    let (to_vec_time, _) = best_of(1, || {
        bodies
            .iter()
            .map(|body| pactum_canonical::to_vec(body).unwrap().len())
            .sum::<usize>()
    });
    let (value_time, _) = best_of(1, || {
        bodies
            .iter()
            .map(|body| ciborium::value::Value::serialized(body).is_ok() as usize)
            .sum::<usize>()
    });
    let (typed_time, _) = best_of(1, || {
        decoded
            .iter()
            .map(|entry| {
                ciborium::from_reader::<verifier::model::EntryBody, _>(&entry.entry.body[..])
                    .is_ok() as usize
            })
            .sum::<usize>()
    });
    let (hash_time, _) = best_of(1, || {
        decoded
            .iter()
            .map(|entry| entry.entry.hash().0[0] as usize)
            .sum::<usize>()
    });
    {
        let machine = example.order.machine();
        let events: Vec<_> = bodies
            .iter()
            .filter_map(|body| match &body.step {
                Step::Event(step) => Some((step.event.clone(), step.event.event().unwrap())),
                _ => None,
            })
            .collect();
        // PACTUM_BENCH_REPLAY_REPEAT=N replays N more times first, for profilers.
        let repeat: usize = std::env::var("PACTUM_BENCH_REPLAY_REPEAT")
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(0);
        for _ in 0..repeat {
            let mut state = machine
                .genesis()
                .unwrap()
                .accept(verifier::model::Digest::ZERO);
            let mut seen = std::collections::HashSet::new();
            for (signed, event) in &events {
                let t = machine.apply_checked(&state, &seen, signed, event).unwrap();
                seen.insert(t.event.unwrap());
                state = t.accept(verifier::model::Digest::ZERO);
            }
        }
        let start = Instant::now();
        let mut state = machine
            .genesis()
            .unwrap()
            .accept(verifier::model::Digest::ZERO);
        let mut seen = std::collections::HashSet::new();
        let mut hash_total = Duration::ZERO;
        let mut clone_total = Duration::ZERO;
        for (signed, event) in &events {
            let t = machine.apply_checked(&state, &seen, signed, event).unwrap();
            let h = Instant::now();
            let _ = t.state.hash().unwrap();
            hash_total += h.elapsed();
            let c = Instant::now();
            let _copy = t.state.clone();
            clone_total += c.elapsed();
            seen.insert(t.event.unwrap());
            state = t.accept(verifier::model::Digest::ZERO);
        }
        let total = start.elapsed() - hash_total - clone_total;
        println!(
            "detail: replay alone {:.2} µs/entry, of which state hash {:.2}, state clone {:.2}",
            total.as_secs_f64() * 1e6 / events.len() as f64,
            hash_total.as_secs_f64() * 1e6 / events.len() as f64,
            clone_total.as_secs_f64() * 1e6 / events.len() as f64
        );
    }
    println!("detail: entry body to_vec {:.2} µs, Value::serialized {:.2} µs, typed decode {:.2} µs, hash {:.2} µs",
        to_vec_time.as_secs_f64() * 1e6 / entries as f64,
        value_time.as_secs_f64() * 1e6 / entries as f64,
        typed_time.as_secs_f64() * 1e6 / entries as f64,
        hash_time.as_secs_f64() * 1e6 / entries as f64);
    let (outer_decode, outer_bundle) = best_of(1, || {
        ciborium::from_reader::<verifier::bundle::Bundle, _>(&example.bytes[..]).unwrap()
    });
    let (outer_encode, _) = best_of(1, || pactum_canonical::to_vec(&outer_bundle).unwrap().len());
    println!(
        "detail: bundle typed decode {:.2} µs/entry, re-encode {:.2} µs/entry",
        outer_decode.as_secs_f64() * 1e6 / entries as f64,
        outer_encode.as_secs_f64() * 1e6 / entries as f64
    );
    let per = |time: Duration| time.as_secs_f64() * 1e6 / entries as f64;
    println!(
        "decode, one thread, µs per entry: bundle {:.2}, entry wrapper {:.2}, entry body {:.2}, event {:.2}",
        per(outer),
        per(wrappers),
        per(bodies_time),
        per(events_time)
    );
    println!(
        "CPU time: raw {:.1} µs per signature, verify_bundle {:.1} µs per entry = {:.1}% of raw per signature",
        raw_cpu.as_secs_f64() * 1e6 / signatures as f64,
        full_cpu.as_secs_f64() * 1e6 / entries as f64,
        100.0 * (raw_cpu.as_secs_f64() / signatures as f64)
            / (full_cpu.as_secs_f64() / entries as f64 / per_entry)
    );
}
