//! `pactum-node load siege`: the edges' load target. A seller's and a buyer's node run as
//! `pactum-node run` processes on loopback. While stranger libp2p identities (1,000 by
//! default, each a fresh key) connect to the seller and idle HTTP connections (1,000) are held
//! open against its API, reopened as soon as the node closes one, the two parties commit facts
//! through the seller at a fixed rate (100 entries/s), and `/health` is asked every second.
//!
//! It reports the commit latency each client saw (request sent → committed answer: p50, p99,
//! max), every `/health` answer, what the node held and refused, its descriptors and memory,
//! and the machine's load average (the figures mean little on a busy machine).
//!
//! Every descriptor counts: the command needs about `strangers + idle_http + 1,000` open files
//! and says so when `ulimit -n` is lower.

use std::{
    io::ErrorKind,
    net::{SocketAddr, TcpStream},
    path::Path,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Context};
use futures::{stream, StreamExt};
use serde_json::{json, Value};
use verifier::sign::SigningKey;

use super::node_process::{introduce, proposal_among, NodeDir, NodeProcess};
use crate::{
    api::{EventRequest, SubmitEvent},
    bench::{percentiles, Latency},
    client::ApiClient,
    engine::protocol::{Request, Response},
    net::{self, keypair_from_secret, NetConfig, NetHandle},
};

/// What to run.
#[derive(Debug, Clone)]
pub struct SiegeOptions {
    /// Stranger libp2p identities that connect to the seller's node.
    pub strangers: usize,
    /// Idle HTTP connections held open against the seller's API.
    pub idle_http: usize,
    /// Entries per second the parties commit (spread over the orders).
    pub rate: u64,
    pub duration: Duration,
    pub orders: usize,
}

impl Default for SiegeOptions {
    fn default() -> Self {
        SiegeOptions {
            strangers: 1000,
            idle_http: 1000,
            rate: 100,
            duration: Duration::from_secs(20),
            orders: 4,
        }
    }
}

/// The figures.
#[derive(Debug, Clone, Default)]
pub struct SiegeReport {
    pub options_rate: u64,
    pub seconds: f64,
    /// Facts submitted, and how they were answered.
    pub submitted: u64,
    pub committed: u64,
    pub queued: u64,
    pub failed: u64,
    /// Request → committed answer, as the submitting client saw it.
    pub latency: Latency,
    pub health_asked: u64,
    pub health_answered: u64,
    pub health_statuses: Vec<String>,
    pub health_slowest: Duration,
    pub strangers: usize,
    /// Stranger dials the handshake completed (the node may close them right after).
    pub strangers_connected: u64,
    pub idle_http: usize,
    /// Idle connections open when the measurement ended, and opened in all.
    pub idle_open_at_end: u64,
    pub idle_opened: u64,
    /// The seller's `/health` `connections_refused` at the end.
    pub refused: Value,
    pub seller_fds: Option<u64>,
    pub seller_rss: Option<u64>,
    pub load_average: String,
}

impl SiegeReport {
    pub fn render(&self) -> String {
        let per_second = self.committed as f64 / self.seconds.max(0.001);
        let p99_ok = self.latency.p99 < Duration::from_millis(50);
        format!(
            "siege of the seller's node for {:.1} s, while {} stranger identities connect ({} handshakes completed) and {} idle HTTP connections are held ({} open at the end, {} opened in all):\n\
             \x20 facts offered at {}/s: {} submitted, {} committed ({:.1}/s), {} queued, {} failed\n\
             \x20 commit latency (request → committed answer): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 < 50 ms: {})\n\
             \x20 /health: {} of {} asked answered ({}), slowest {:.1} ms\n\
             \x20 seller: {} descriptors, {:.1} MiB resident; connections refused: {}\n\
             \x20 load average (1, 5, 15 min): {}\n",
            self.seconds,
            self.strangers,
            self.strangers_connected,
            self.idle_http,
            self.idle_open_at_end,
            self.idle_opened,
            self.options_rate,
            self.submitted,
            self.committed,
            per_second,
            self.queued,
            self.failed,
            ms(self.latency.p50),
            ms(self.latency.p99),
            ms(self.latency.max),
            if p99_ok { "met" } else { "NOT met" },
            self.health_answered,
            self.health_asked,
            self.health_statuses.join(", "),
            ms(self.health_slowest),
            self.seller_fds.map_or("?".into(), |fds| fds.to_string()),
            self.seller_rss.unwrap_or(0) as f64 / (1024.0 * 1024.0),
            self.refused,
            self.load_average,
        )
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Starts the two node processes (`exe run`) in `dir` and runs the siege.
pub fn run(exe: &Path, dir: &Path, options: &SiegeOptions) -> anyhow::Result<SiegeReport> {
    check_descriptors(options.strangers + options.idle_http + 1000)?;
    let mut nodes = vec![NodeDir::init(dir, "seller")?, NodeDir::init(dir, "buyer")?];
    introduce(&mut nodes)?;
    let seller = NodeProcess::spawn(exe, &nodes[0])?;
    let _buyer = NodeProcess::spawn(exe, &nodes[1])?;
    let orders = (0..options.orders.max(1))
        .map(|index| start_order(&nodes, index))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let (strangers, strangers_connected) =
        runtime.block_on(connect_strangers(&nodes[0], options.strangers))?;

    let stop = Arc::new(AtomicBool::new(false));
    let idle = IdleConnections::hold(nodes[0].settings.http_bind, options.idle_http, stop.clone());
    idle.wait_until_open(Duration::from_secs(30));

    let started = Instant::now();
    let samples: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let counts = Arc::new(Counts::default());
    let interval = Duration::from_secs_f64(orders.len() as f64 / options.rate.max(1) as f64);
    let committers: Vec<_> = orders
        .into_iter()
        .enumerate()
        .map(|(index, order)| {
            let (client, samples, counts) = (nodes[0].client(), samples.clone(), counts.clone());
            let deadline = started + options.duration;
            // Staggered so the orders' submissions interleave.
            let first = started + interval.mul_f64(index as f64 / options.orders.max(1) as f64);
            std::thread::spawn(move || {
                commit_paced(
                    &client, &order, first, interval, deadline, &samples, &counts,
                )
            })
        })
        .collect();
    let health = health_checks(nodes[0].settings.http_url(), started + options.duration);
    for committer in committers {
        let _ = committer.join();
    }
    let (health_asked, health_answered, health_statuses, health_slowest) = health
        .join()
        .map_err(|_| anyhow!("the /health thread panicked"))?;
    let seconds = started.elapsed().as_secs_f64();
    let idle_open_at_end = idle.open.load(Ordering::SeqCst);
    let idle_opened = idle.opened.load(Ordering::SeqCst);

    let figures = seller.figures();
    let refused = nodes[0]
        .client()
        .get("/health")
        .map(|health| health["connections_refused"].clone())
        .unwrap_or(Value::Null);
    stop.store(true, Ordering::SeqCst);
    let _ = idle.thread.join();
    runtime.block_on(async {
        for handle in strangers {
            let _ = handle.shutdown().await;
        }
    });
    let samples = samples
        .lock()
        .map(|samples| samples.clone())
        .unwrap_or_default();
    Ok(SiegeReport {
        options_rate: options.rate,
        seconds,
        submitted: counts.submitted.load(Ordering::SeqCst),
        committed: counts.committed.load(Ordering::SeqCst),
        queued: counts.queued.load(Ordering::SeqCst),
        failed: counts.failed.load(Ordering::SeqCst),
        latency: percentiles(samples),
        health_asked,
        health_answered,
        health_statuses,
        health_slowest,
        strangers: options.strangers,
        strangers_connected,
        idle_http: options.idle_http,
        idle_open_at_end,
        idle_opened,
        refused,
        seller_fds: figures.open_fds,
        seller_rss: figures.rss_bytes,
        load_average: std::fs::read_to_string("/proc/loadavg")
            .map(|text| {
                text.split_whitespace()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_else(|_| "?".into()),
    })
}

/// Fails with the command to run when the soft limit on open files is below `needed`.
fn check_descriptors(needed: usize) -> anyhow::Result<()> {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|soft| soft.parse::<usize>().ok());
    match soft {
        Some(soft) if soft < needed => bail!(
            "this load needs about {needed} open files and the limit is {soft}: run `ulimit -n {}` first",
            needed.next_power_of_two()
        ),
        _ => Ok(()),
    }
}

/// Proposes order `index` on the seller's node and accepts it on the buyer's.
fn start_order(nodes: &[NodeDir], index: usize) -> anyhow::Result<String> {
    let proposal = proposal_among(nodes, &format!("PO-SIEGE-{index}"));
    let proposed = nodes[0].client().post("/orders", &proposal)?;
    let order = proposed["order"]
        .as_str()
        .ok_or_else(|| anyhow!("no order id in {proposed}"))?
        .to_string();
    let accepted = nodes[1]
        .client()
        .post(&format!("/orders/{order}/accept"), &json!({}))?;
    if accepted["status"] != "started" {
        bail!("the order did not start: {accepted}");
    }
    Ok(order)
}

/// Each stranger a fresh identity dialling the node; returns their handles (held until the
/// end) and how many handshakes completed.
async fn connect_strangers(
    node: &NodeDir,
    count: usize,
) -> anyhow::Result<(Vec<NetHandle<Request, Response>>, u64)> {
    let addr = node.p2p_addr()?;
    let results: Vec<_> = stream::iter(0..count)
        .map(|_| {
            let addr = addr.clone();
            async move {
                let key = SigningKey::generate().map_err(|error| anyhow!("{error}"))?;
                let keypair = keypair_from_secret(key.to_seed())?;
                let network = net::start::<Request, Response>(NetConfig::default(), keypair)
                    .context("cannot start a stranger's network")?;
                let connected = network.handle.dial(addr).await.is_ok();
                anyhow::Ok((network.handle, connected))
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let mut handles = Vec::with_capacity(count);
    let mut connected = 0;
    for result in results {
        let (handle, ok) = result?;
        handles.push(handle);
        connected += u64::from(ok);
    }
    Ok((handles, connected))
}

#[derive(Default)]
struct Counts {
    submitted: AtomicU64,
    committed: AtomicU64,
    queued: AtomicU64,
    failed: AtomicU64,
}

/// Submits a fact to `order` every `interval` from `first` until `deadline`, timing each.
fn commit_paced(
    client: &ApiClient,
    order: &str,
    first: Instant,
    interval: Duration,
    deadline: Instant,
    samples: &Mutex<Vec<Duration>>,
    counts: &Counts,
) {
    let path = format!("/orders/{order}/events");
    let mut next = first;
    let mut minute: u64 = 0;
    while next < deadline {
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        // Late ticks are not made up for: the rate is offered, not forced.
        next = next.max(Instant::now() - interval) + interval;
        minute += 1;
        counts.submitted.fetch_add(1, Ordering::SeqCst);
        let sent = Instant::now();
        match client.post(&path, &eta_update(minute)) {
            Ok(answer) if answer["status"] == "queued" => {
                counts.queued.fetch_add(1, Ordering::SeqCst);
            }
            Ok(_) => {
                let elapsed = sent.elapsed();
                counts.committed.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut samples) = samples.lock() {
                    samples.push(elapsed);
                }
            }
            Err(error) => {
                counts.failed.fetch_add(1, Ordering::SeqCst);
                tracing::warn!(%error, "a submission failed");
            }
        }
    }
}

fn eta_update(minute: u64) -> SubmitEvent {
    let at = 1_768_000_000_i64.saturating_add(i64::try_from(minute).unwrap_or(0) * 60);
    SubmitEvent {
        signed: None,
        event: Some(EventRequest {
            kind: "shipment.eta_updated".into(),
            at: verifier::json::timestamp(at),
            fields: [(
                "eta".to_string(),
                json!(verifier::json::timestamp(at + 86_400 * 30)),
            )]
            .into_iter()
            .collect(),
        }),
    }
}

/// Asks `/health` once a second until `deadline`: (asked, answered, statuses seen, slowest).
fn health_checks(
    url: String,
    deadline: Instant,
) -> std::thread::JoinHandle<(u64, u64, Vec<String>, Duration)> {
    std::thread::spawn(move || {
        let client = ApiClient::new(url, None);
        let (mut asked, mut answered, mut statuses, mut slowest) =
            (0, 0, Vec::new(), Duration::ZERO);
        while Instant::now() < deadline {
            asked += 1;
            let sent = Instant::now();
            if let Ok(health) = client.get("/health") {
                answered += 1;
                slowest = slowest.max(sent.elapsed());
                let status = health["status"].as_str().unwrap_or("?").to_string();
                if !statuses.contains(&status) {
                    statuses.push(status);
                }
            }
            std::thread::sleep(Duration::from_secs(1));
        }
        (asked, answered, statuses, slowest)
    })
}

/// Idle HTTP connections held open: each one the node closes is opened again.
struct IdleConnections {
    open: Arc<AtomicU64>,
    opened: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

/// How often closed idle connections are noticed and reopened.
const IDLE_SWEEP: Duration = Duration::from_millis(500);

impl IdleConnections {
    fn hold(addr: SocketAddr, count: usize, stop: Arc<AtomicBool>) -> IdleConnections {
        let (open, opened) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let (open_now, opened_total) = (open.clone(), opened.clone());
        let thread = std::thread::spawn(move || {
            let mut connections: Vec<Option<TcpStream>> = (0..count).map(|_| None).collect();
            while !stop.load(Ordering::SeqCst) {
                let mut alive = 0;
                for slot in &mut connections {
                    if slot.as_ref().is_some_and(closed) {
                        *slot = None;
                    }
                    if slot.is_none() {
                        *slot = TcpStream::connect(addr)
                            .ok()
                            .filter(|stream| stream.set_nonblocking(true).is_ok());
                        opened_total.fetch_add(u64::from(slot.is_some()), Ordering::SeqCst);
                    }
                    alive += u64::from(slot.is_some());
                }
                open_now.store(alive, Ordering::SeqCst);
                std::thread::sleep(IDLE_SWEEP);
            }
        });
        IdleConnections {
            open,
            opened,
            thread,
        }
    }

    /// Waits (bounded) until the first sweep opened every connection it could.
    fn wait_until_open(&self, patience: Duration) {
        let deadline = Instant::now() + patience;
        while self.opened.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(IDLE_SWEEP);
    }
}

/// Whether the node closed (or answered, and so is closing) an idle connection.
fn closed(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match stream.peek(&mut byte) {
        Err(error) => error.kind() != ErrorKind::WouldBlock,
        Ok(_) => true,
    }
}
