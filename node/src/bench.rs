//! `pactum-node bench`: a seller's and a buyer's node on loopback co-sign many orders in
//! parallel while a carrier's signed facts are pushed as fast as they commit.
//!
//! Phase 1 measures throughput (committed co-signed entries per second) and latency at full
//! load; phase 2 paces submissions at a fixed rate and measures latency there; the raw rate of
//! the signature work each entry needs (the attester's signature verified by both nodes, each
//! party signing the entry and verifying the other's signature, and the cosigner checking the
//! committed entry) is measured in the same run, on the same cores: once before the load and
//! once after it, and the figures are compared with the mean of the two, since a shared
//! machine's speed drifts within a run.

use std::{
    collections::BTreeMap,
    io::Write,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use anyhow::anyhow;
use verifier::{
    model::{Digest, Event, OrderId, SignedEvent},
    sign::{verify_batch, BatchItem, Domain, SigningKey},
};

use crate::{
    api::{AcceptOrder, AttesterRequest, NodeApi, ProposeOrder},
    demo::scenario,
    launch::{launch, NodeSpec, RunningNode},
};

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Orders running in parallel.
    pub orders: usize,
    /// Full load before the measured window: the nodes' heaps, sled's tree and caches and the
    /// batch sizes settle first, as they have on a node that has been running.
    pub warmup: Duration,
    /// Length of the measured full-load window.
    pub duration: Duration,
    /// Rate of the paced phase (entries per second); 0 skips it.
    pub paced_rate: u64,
    pub paced_duration: Duration,
    pub progress: bool,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            orders: 256,
            warmup: Duration::from_secs(3),
            duration: Duration::from_secs(10),
            paced_rate: 1000,
            paced_duration: Duration::from_secs(5),
            progress: true,
        }
    }
}

/// Latency percentiles of a phase.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

/// The figures.
#[derive(Debug, Clone, Default)]
pub struct BenchReport {
    pub orders: usize,
    pub warmup_seconds: f64,
    pub committed: u64,
    pub seconds: f64,
    pub entries_per_second: f64,
    pub latency: Latency,
    pub paced_rate: u64,
    pub paced_committed: u64,
    pub paced_entries_per_second: f64,
    pub paced_latency: Latency,
    /// Entries' worth of signature work per second, on every core: the mean of the two
    /// measurements below.
    pub raw_signature_entries_per_second: f64,
    /// The same, measured before the load and after it.
    pub raw_before_load: f64,
    pub raw_after_load: f64,
    /// Single signatures (sign or verify) per second, on every core.
    pub raw_signatures_per_second: f64,
    /// Entries' worth of signature work per second with the checks batched as the node
    /// batches them (a stricter yardstick: batched checks cost about half as much).
    pub raw_batched_entries_per_second: f64,
    /// CPU time (both nodes, every thread) per committed entry at full load, where the
    /// platform tells it: steadier than throughput on a shared machine.
    pub cpu_per_entry: Option<Duration>,
    pub signatures_per_entry: u32,
    pub store_groups: u64,
    pub store_batches: u64,
    /// The seller's events read back from its journal after the load (each rendered from its
    /// entry as it is read), and how long that took.
    pub events_read: u64,
    pub events_read_time: Duration,
}

pub(crate) fn percentiles(mut samples: Vec<Duration>) -> Latency {
    if samples.is_empty() {
        return Latency::default();
    }
    samples.sort_unstable();
    let at = |fraction: f64| {
        let index = ((samples.len() as f64 - 1.0) * fraction).round() as usize;
        samples[index.min(samples.len() - 1)]
    };
    Latency {
        p50: at(0.50),
        p99: at(0.99),
        max: samples[samples.len() - 1],
    }
}

/// Two in-process nodes, the seller's and the buyer's, each knowing the other, with a large
/// checkpoint batch so checkpoints do not weigh on the figures; `configure(role, spec)` adjusts
/// a spec before its node starts (a webhook, say). Shared by `bench` and the load commands.
pub(crate) async fn launch_pair(
    seller_key: &SigningKey,
    buyer_key: &SigningKey,
    dir: &std::path::Path,
    configure: impl Fn(&str, &mut NodeSpec),
) -> anyhow::Result<(RunningNode, RunningNode)> {
    let spec = |role: &str, key: &SigningKey, other: &str, other_key: &SigningKey| {
        let mut spec = pair_spec(dir, role, key, other, other_key);
        configure(role, &mut spec);
        spec
    };
    let seller = launch(spec("seller", seller_key, "buyer", buyer_key)).await?;
    let buyer = launch(spec("buyer", buyer_key, "seller", seller_key)).await?;
    seller.learn(&buyer).await;
    buyer.learn(&seller).await;
    Ok((seller, buyer))
}

/// `role`'s node of a [`launch_pair`] (under `dir/ROLE`, `other` its one peer), as it is
/// started again after a stop.
pub(crate) fn pair_spec(
    dir: &std::path::Path,
    role: &str,
    key: &SigningKey,
    other: &str,
    other_key: &SigningKey,
) -> NodeSpec {
    let mut spec = NodeSpec::local(role, key.clone(), dir.join(role));
    spec.peers = vec![(other.to_string(), other_key.public_key(), Vec::new())];
    spec.checkpoint_batch = 4096;
    spec
}

/// The seller proposes, the buyer accepts; returns the order id (hex).
pub(crate) async fn open_order(
    seller: &RunningNode,
    buyer: &RunningNode,
    proposal: ProposeOrder,
) -> anyhow::Result<String> {
    let proposed = seller
        .engine
        .propose(proposal)
        .await
        .map_err(|error| anyhow!("propose: {error}"))?;
    let id = proposed["order"]
        .as_str()
        .ok_or_else(|| anyhow!("no order id"))?
        .to_string();
    buyer
        .engine
        .accept(id.clone(), AcceptOrder::default())
        .await
        .map_err(|error| anyhow!("accept: {error}"))?;
    Ok(id)
}

/// Signing and verification each committed entry needs: the attester's signature verified by
/// the sequencer and the cosigner (2 verifies); the entry signed by both parties (2 signs);
/// the sequencer verifying the cosignature and the cosigner the sequencer's signature (2
/// verifies).
const SIGNS_PER_ENTRY: u32 = 2;
const VERIFIES_PER_ENTRY: u32 = 4;

/// CPU time this process used so far (user + system), from `/proc/self/stat` on Linux.
fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime
    // are fields 14 and 15, in clock ticks of 1/100 s on Linux.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis(
        utime.checked_add(stime)?.checked_mul(10)?,
    ))
}

/// Entries signed and checked per round of the batched measurement.
const RAW_BATCH: usize = 64;

/// Entries' worth of signature work per second on `threads` threads for `duration`: each
/// signature made and checked one by one, or (`batched`) the checks made in batches, as the
/// node makes them.
fn raw_signature_rate(threads: usize, duration: Duration, batched: bool) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..threads)
        .map(|index| {
            let (stop, done) = (stop.clone(), done.clone());
            std::thread::spawn(move || {
                let key = SigningKey::from_seed([index as u8 + 1; 32]);
                let mut count = 0u64;
                let mut round = 0u8;
                while !stop.load(Ordering::Relaxed) {
                    round = round.wrapping_add(1);
                    count += if batched {
                        batched_round(&key, round)
                    } else {
                        one_by_one_round(&key, round)
                    };
                }
                done.fetch_add(count, Ordering::Relaxed);
            })
        })
        .collect();
    let started = Instant::now();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        let _ = worker.join();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// One entry's signatures, each made and checked on its own.
fn one_by_one_round(key: &SigningKey, round: u8) -> u64 {
    let public = key.public_key();
    let message = raw_message(round, 0);
    let mut signature = key.sign(Domain::Entry, &message);
    for _ in 1..SIGNS_PER_ENTRY {
        signature = key.sign(Domain::Entry, &message);
    }
    for _ in 0..VERIFIES_PER_ENTRY {
        let _ = public.verify(Domain::Entry, &message, &signature);
    }
    1
}

/// [`RAW_BATCH`] entries' signatures, the checks in one batch.
fn batched_round(key: &SigningKey, round: u8) -> u64 {
    let public = key.public_key();
    let messages: Vec<Vec<u8>> = (0..RAW_BATCH).map(|n| raw_message(round, n)).collect();
    let signatures: Vec<_> = messages
        .iter()
        .map(|message| {
            let mut signature = key.sign(Domain::Entry, message);
            for _ in 1..SIGNS_PER_ENTRY {
                signature = key.sign(Domain::Entry, message);
            }
            signature
        })
        .collect();
    let public = &public;
    let items: Vec<BatchItem<'_>> = messages
        .iter()
        .zip(&signatures)
        .flat_map(|(message, signature)| {
            (0..VERIFIES_PER_ENTRY)
                .map(move |_| (Domain::Entry, message.as_slice(), signature, public))
        })
        .collect();
    let _ = verify_batch(&items);
    RAW_BATCH as u64
}

/// A message the size of an entry body.
fn raw_message(round: u8, n: usize) -> Vec<u8> {
    let mut message = vec![0u8; 600];
    message[0] = round;
    message[1..9].copy_from_slice(&(n as u64).to_be_bytes());
    message
}

/// An ETA update: with no departure recorded it amends nothing, so the breaker stays out of
/// the way and every event becomes one committed entry.
pub(crate) fn eta_event(order: OrderId, n: u64) -> Event {
    let at = 1_768_000_000 + n as i64 * 60;
    let fields = BTreeMap::from([(
        "eta".to_string(),
        contract_lang::value::Value::Timestamp(at + 30 * 86_400),
    )]);
    Event::new(order, "shipment.eta_updated", at, fields)
}

struct Bench {
    runtime: tokio::runtime::Runtime,
    seller: RunningNode,
    buyer: RunningNode,
    orders: Vec<OrderId>,
    carrier: SigningKey,
    _dir: tempfile::TempDir,
}

fn setup(options: &BenchOptions) -> anyhow::Result<Bench> {
    let dir = tempfile::Builder::new().prefix("pactum-bench-").tempdir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let seller_key = scenario::demo_key("seller");
    let buyer_key = scenario::demo_key("buyer");
    let carrier = scenario::demo_key("carrier");
    let (seller, buyer) =
        runtime.block_on(launch_pair(&seller_key, &buyer_key, dir.path(), |_, _| {}))?;
    let mut keys = BTreeMap::new();
    keys.insert("seller".to_string(), seller_key.clone());
    keys.insert("buyer".to_string(), buyer_key.clone());
    keys.insert("carrier".to_string(), carrier.clone());
    let orders = runtime.block_on(async {
        let mut orders = Vec::new();
        for index in 0..options.orders {
            let mut proposal = scenario::proposal(&keys, &format!("PO-BENCH-{index}"));
            proposal.parties = Some(
                [("seller", &seller_key), ("buyer", &buyer_key)]
                    .iter()
                    .map(|(role, key)| (role.to_string(), hex::encode(key.public_key().as_bytes())))
                    .collect(),
            );
            proposal.attesters = Some(vec![AttesterRequest {
                name: "carrier".into(),
                key: hex::encode(carrier.public_key().as_bytes()),
                kinds: vec!["shipment.*".into()],
            }]);
            let id = open_order(&seller, &buyer, proposal).await?;
            orders.push(Digest::from_hex(&id).ok_or_else(|| anyhow!("bad id"))?);
        }
        anyhow::Ok(orders)
    })?;
    Ok(Bench {
        runtime,
        seller,
        buyer,
        orders,
        carrier,
        _dir: dir,
    })
}

/// Pre-signs `count` events per order (the carrier's work, outside the measured time).
fn sign_events(bench: &Bench, first: u64, count: u64) -> Vec<Vec<SignedEvent>> {
    bench
        .orders
        .iter()
        .map(|order| {
            (first..first + count)
                .filter_map(|n| eta_event(*order, n).sign(&bench.carrier).ok())
                .collect()
        })
        .collect()
}

fn progress(enabled: bool, text: &str) {
    if enabled {
        print!("\r{text:<78}");
        let _ = std::io::stdout().flush();
    }
}

/// Runs the benchmark.
pub fn run(options: &BenchOptions) -> anyhow::Result<BenchReport> {
    let orders = options.orders.max(1);
    let options = BenchOptions {
        orders,
        ..options.clone()
    };
    progress(
        options.progress,
        "starting a seller's and a buyer's node on 127.0.0.1…",
    );
    let bench = setup(&options)?;
    // Enough events for the full-load phase at a generous rate.
    let loaded = options.warmup.as_secs() + options.duration.as_secs().max(1);
    let per_order = (20_000 * loaded / orders as u64).max(50);
    progress(
        options.progress,
        &format!("the carrier signs {} events…", per_order * orders as u64),
    );
    let queues = sign_events(&bench, 0, per_order);
    progress(
        options.progress,
        "measuring the raw signature rate on the same cores, before the load…",
    );
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let raw_before_load = raw_signature_rate(threads, Duration::from_secs(2), false);

    // Phase 1: every order submits its next event as soon as the previous one committed. Only
    // the entries submitted and committed inside the window after the warm-up count.
    let committed = Arc::new(AtomicU64::new(0));
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let loaded_at = Instant::now();
    let started = loaded_at + options.warmup;
    let deadline = started + options.duration;
    let tasks: Vec<_> = bench
        .orders
        .iter()
        .zip(queues)
        .map(|(order, queue)| {
            let engine = bench.seller.engine.clone();
            let (committed, latencies, order) = (committed.clone(), latencies.clone(), *order);
            bench.runtime.spawn(async move {
                let mut local = Vec::with_capacity(queue.len());
                for event in queue {
                    let sent = Instant::now();
                    if sent >= deadline {
                        break;
                    }
                    if engine.submit_signed(order, event).await.is_err() {
                        break;
                    }
                    let done = Instant::now();
                    if sent >= started && done <= deadline {
                        local.push(done - sent);
                        committed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                if let Ok(mut all) = latencies.lock() {
                    all.extend(local);
                }
            })
        })
        .collect();
    let total_time = options.warmup + options.duration;
    let mut cpu_started = None;
    loop {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if cpu_started.is_none() && now >= started {
            cpu_started = process_cpu_time();
        }
        // Wake at the window's start, so the CPU time is taken there.
        let next_boundary = if now < started { started } else { deadline };
        std::thread::sleep((next_boundary - now).min(Duration::from_millis(250)));
        let elapsed = loaded_at.elapsed();
        let filled = ((elapsed.as_secs_f64() / total_time.as_secs_f64()) * 30.0) as usize;
        let bar = format!(
            "{}{}",
            "#".repeat(filled.min(30)),
            " ".repeat(30 - filled.min(30))
        );
        let text = match Instant::now().checked_duration_since(started) {
            None => format!("warming up [{bar}]"),
            Some(measured) => {
                let done = committed.load(Ordering::Relaxed);
                format!(
                    "full load  [{bar}] {done} entries, {:.0}/s",
                    done as f64 / measured.as_secs_f64().max(0.001)
                )
            }
        };
        progress(options.progress, &text);
    }
    let cpu = process_cpu_time()
        .zip(cpu_started)
        .map(|(end, start)| end.saturating_sub(start));
    let seconds = started.elapsed().as_secs_f64();
    bench.runtime.block_on(async {
        for task in tasks {
            let _ = task.await;
        }
    });
    let total = committed.load(Ordering::Relaxed);
    let latency = percentiles(latencies.lock().map(|l| l.clone()).unwrap_or_default());

    // Phase 2: a fixed rate, spread over the orders.
    let mut paced_committed = 0;
    let mut paced_seconds = 0.0;
    let mut paced_latency = Latency::default();
    if options.paced_rate > 0 {
        progress(
            options.progress,
            "the carrier signs the paced phase's events…",
        );
        let count = options.paced_rate * options.paced_duration.as_secs().max(1);
        let per_order = count / orders as u64 + 1;
        let queues = sign_events(&bench, per_order * 10 + 1_000_000, per_order);
        let queues: Vec<Arc<Mutex<std::vec::IntoIter<SignedEvent>>>> = queues
            .into_iter()
            .map(|queue| Arc::new(Mutex::new(queue.into_iter())))
            .collect();
        let samples: Arc<Mutex<Vec<Duration>>> = Arc::default();
        let busy: Vec<Arc<tokio::sync::Mutex<()>>> = (0..orders).map(|_| Arc::default()).collect();
        let interval = Duration::from_secs_f64(1.0 / options.paced_rate as f64);
        let paced_started = Instant::now();
        let mut handles = Vec::new();
        for n in 0..count {
            let due = paced_started + interval.mul_f64(n as f64);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            let index = (n as usize) % orders;
            let engine = bench.seller.engine.clone();
            let (order, queue, samples, lock) = (
                bench.orders[index],
                queues[index].clone(),
                samples.clone(),
                busy[index].clone(),
            );
            handles.push(bench.runtime.spawn(async move {
                let sent = Instant::now();
                // One entry at a time per order: a submission waits for the order's previous one.
                let _turn = lock.lock().await;
                let Some(event) = queue.lock().ok().and_then(|mut q| q.next()) else {
                    return;
                };
                if engine.submit_signed(order, event).await.is_ok() {
                    if let Ok(mut all) = samples.lock() {
                        all.push(sent.elapsed());
                    }
                }
            }));
            if n % 100 == 0 {
                progress(
                    options.progress,
                    &format!(
                        "paced at {}/s: {n} of {count} submitted",
                        options.paced_rate
                    ),
                );
            }
        }
        bench.runtime.block_on(async {
            for handle in handles {
                let _ = handle.await;
            }
        });
        paced_seconds = paced_started.elapsed().as_secs_f64();
        let samples = samples.lock().map(|s| s.clone()).unwrap_or_default();
        paced_committed = samples.len() as u64;
        paced_latency = percentiles(samples);
    }

    progress(
        options.progress,
        "measuring the raw signature rate on the same cores, after the load…",
    );
    let raw_after_load = raw_signature_rate(threads, Duration::from_secs(2), false);
    let raw = (raw_before_load + raw_after_load) / 2.0;
    let raw_batched = raw_signature_rate(threads, Duration::from_secs(2), true);
    let stats = bench.seller.store.stats();
    progress(
        options.progress,
        "reading the seller's events back from its journal…",
    );
    let (events_read, events_read_time) = read_events_back(&bench.seller, EVENTS_READ_BACK)?;
    progress(options.progress, "");
    if options.progress {
        println!();
    }
    let report = BenchReport {
        orders,
        warmup_seconds: options.warmup.as_secs_f64(),
        committed: total,
        seconds,
        entries_per_second: total as f64 / seconds.max(0.001),
        latency,
        paced_rate: options.paced_rate,
        paced_committed,
        paced_entries_per_second: paced_committed as f64 / f64::max(paced_seconds, 0.001),
        paced_latency,
        raw_signature_entries_per_second: raw,
        raw_before_load,
        raw_after_load,
        raw_signatures_per_second: raw * f64::from(SIGNS_PER_ENTRY + VERIFIES_PER_ENTRY),
        raw_batched_entries_per_second: raw_batched,
        cpu_per_entry: cpu.map(|cpu| cpu / u32::try_from(total.max(1)).unwrap_or(u32::MAX)),
        signatures_per_entry: SIGNS_PER_ENTRY + VERIFIES_PER_ENTRY,
        store_groups: stats.groups,
        store_batches: stats.batches,
        events_read,
        events_read_time,
    };
    let Bench {
        runtime,
        seller,
        buyer,
        ..
    } = bench;
    runtime.block_on(async {
        seller.stop().await;
        buyer.stop().await;
    });
    Ok(report)
}

/// Events read back after the load (as `GET /events` and webhook deliveries read them).
const EVENTS_READ_BACK: u64 = 10_000;

/// Reads up to `count` of `node`'s oldest events, a page of 1,000 at a time; how many and in
/// how long. An entry's events are rendered as they are read (`events::OfEntry`): this is
/// what the commit path no longer pays.
fn read_events_back(node: &RunningNode, count: u64) -> anyhow::Result<(u64, Duration)> {
    const PAGE: usize = 1_000;
    let events = node.engine.events();
    let started = Instant::now();
    let (mut read, mut after) = (0u64, 0u64);
    while read < count {
        let page = events.read_after(after, PAGE)?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after = *last;
        read += page.len() as u64;
    }
    Ok((read, started.elapsed()))
}

/// The report as the CLI prints it.
pub fn render(report: &BenchReport) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut text = String::new();
    text.push_str(&format!(
        "pactum-node bench: seller + buyer nodes on 127.0.0.1 co-signing {} orders, carrier-signed facts\n",
        report.orders
    ));
    text.push_str(&format!(
        "  full load:   {} entries committed in {:.1} s (after {:.0} s of warm-up) = {:.0} co-signed entries/s\n",
        report.committed, report.seconds, report.warmup_seconds, report.entries_per_second
    ));
    text.push_str(&format!(
        "               commit latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms\n",
        ms(report.latency.p50),
        ms(report.latency.p99),
        ms(report.latency.max)
    ));
    if let Some(cpu) = report.cpu_per_entry {
        text.push_str(&format!(
            "               CPU time per committed entry (both nodes): {:.0} µs\n",
            cpu.as_secs_f64() * 1e6
        ));
    }
    if report.paced_rate > 0 {
        text.push_str(&format!(
            "  paced:       {} entries at {} /s offered ({:.0} /s committed): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms\n",
            report.paced_committed,
            report.paced_rate,
            report.paced_entries_per_second,
            ms(report.paced_latency.p50),
            ms(report.paced_latency.p99),
            ms(report.paced_latency.max)
        ));
    }
    text.push_str(&format!(
        "  signatures:  raw rate on all cores {:.0} signatures/s = {:.0} entries/s of signature work ({} per entry)\n",
        report.raw_signatures_per_second, report.raw_signature_entries_per_second, report.signatures_per_entry
    ));
    text.push_str(&format!(
        "               (the mean of {:.0} entries/s measured before the load and {:.0} after it)\n",
        report.raw_before_load, report.raw_after_load
    ));
    text.push_str(&format!(
        "               committed entries reach {:.0}% of the raw signature rate\n",
        100.0 * report.entries_per_second / report.raw_signature_entries_per_second.max(1.0)
    ));
    text.push_str(&format!(
        "               with checks batched as the node batches them: {:.0} entries/s of signature work; committed entries reach {:.0}% of it\n",
        report.raw_batched_entries_per_second,
        100.0 * report.entries_per_second / report.raw_batched_entries_per_second.max(1.0)
    ));
    text.push_str(&format!(
        "  storage:     {} batches in {} flushed groups at the sequencer ({:.1} batches per flush)\n",
        report.store_batches,
        report.store_groups,
        report.store_batches as f64 / (report.store_groups.max(1)) as f64
    ));
    if report.events_read > 0 {
        text.push_str(&format!(
            "  events:      {} of the seller's events read back from its journal in {:.0} ms ({:.1} µs each, rendered from their entries)\n",
            report.events_read,
            ms(report.events_read_time),
            report.events_read_time.as_secs_f64() * 1e6 / report.events_read as f64
        ));
    }
    text
}
