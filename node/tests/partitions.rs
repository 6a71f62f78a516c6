//! Partitions between real `pactum-node run` processes: every libp2p connection between the
//! seller (the sequencer) and the buyer goes through a TCP proxy written here, on loopback,
//! which cuts the link (closing every connection through it and refusing new ones) and heals
//! it, again and again, while a client keeps submitting facts. Every fact the seller
//! acknowledged, committed or queued, must end up committed at both parties, at the same heads.
//! Waits are on conditions, bounded by `PATIENCE` only so that a failure ends.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::Path,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use pactum_node::{
    api::{EventRequest, SubmitEvent},
    client::ApiClient,
    load::node_process::{NodeDir, NodeProcess},
};
use serde_json::{json, Value};
use tokio::{net::TcpListener, task::AbortHandle};

const PATIENCE: Duration = Duration::from_secs(90);
const CUTS: usize = 3;
/// The client's pause after a queued answer (pacing, not an assertion).
const QUEUED_PACE: Duration = Duration::from_millis(300);

/// A TCP proxy from a loopback port to `target` that can be cut and healed.
struct Link {
    port: u16,
    open: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Link {
    async fn start(target: SocketAddr) -> Link {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (accepting, tracked) = (open.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !accepting.load(Ordering::SeqCst) {
                    continue; // dropped: the dialler sees the connection closed
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tracked.lock().unwrap().push(task.abort_handle());
            }
        });
        Link {
            port,
            open,
            connections,
        }
    }

    /// Refuses new connections and closes every open one (both sockets drop).
    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    fn heal(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn eta_update(minute: u64) -> SubmitEvent {
    let at = 1_768_000_000 + minute * 60;
    SubmitEvent {
        signed: None,
        event: Some(EventRequest {
            kind: "shipment.eta_updated".into(),
            at: rfc3339(at),
            fields: [("eta".to_string(), json!(rfc3339(at + 86_400 * 30)))]
                .into_iter()
                .collect(),
        }),
    }
}

/// RFC 3339 UTC for Unix seconds.
fn rfc3339(seconds: u64) -> String {
    verifier::json::timestamp(i64::try_from(seconds).unwrap())
}

/// What the seller acknowledged for one submitted fact.
#[derive(Debug, Clone)]
enum Acknowledged {
    Committed { seq: u64, hash: String },
    Queued { event: String },
}

#[test]
fn facts_acknowledged_across_cut_and_healed_links_all_commit_and_heads_converge() {
    let exe = Path::new(env!("CARGO_BIN_EXE_pactum-node"));
    let base = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut seller = NodeDir::init(base.path(), "seller").unwrap();
    let mut buyer = NodeDir::init(base.path(), "buyer").unwrap();
    let loopback = |port| SocketAddr::from(([127, 0, 0, 1], port));
    // Each node reaches the other only through a proxy: seller → buyer and buyer → seller.
    let to_buyer = runtime.block_on(Link::start(loopback(buyer.p2p_port)));
    let to_seller = runtime.block_on(Link::start(loopback(seller.p2p_port)));
    seller
        .set_peers(&[("buyer".into(), buyer.public_key, to_buyer.port)])
        .unwrap();
    buyer
        .set_peers(&[("seller".into(), seller.public_key, to_seller.port)])
        .unwrap();
    for node in [&mut seller, &mut buyer] {
        // Short round trips, so that a cut link is noticed quickly.
        let mut file = node.settings.file.clone();
        file.network.request_timeout_ms = 2_000;
        std::fs::write(
            &node.config,
            pactum_node::config::render_template(&file, &node.public_key),
        )
        .unwrap();
        node.settings = pactum_node::config::Settings::load(&node.config).unwrap();
    }
    let _processes = [
        NodeProcess::spawn(exe, &seller).unwrap(),
        NodeProcess::spawn(exe, &buyer).unwrap(),
    ];
    let (seller_api, buyer_api) = (seller.client(), buyer.client());

    let mut proposal = pactum_node::demo::scenario::proposal(&BTreeMap::new(), "PO-PARTITION");
    proposal.parties = Some(
        [&seller, &buyer]
            .iter()
            .map(|node| (node.role.clone(), hex::encode(node.public_key.as_bytes())))
            .collect(),
    );
    // Every party may attest every kind; no departure is recorded, so ETA updates amend
    // nothing and the breaker never trips.
    proposal.attesters = None;
    let proposed = seller_api.post("/orders", &proposal).unwrap();
    let order = proposed["order"].as_str().unwrap().to_string();
    let accepted = buyer_api
        .post(&format!("/orders/{order}/accept"), &json!({}))
        .unwrap();
    assert_eq!(accepted["status"], "started", "{accepted}");

    // One client submits facts to the sequencer without pause, keeping every answer.
    let acknowledged: Arc<Mutex<Vec<Acknowledged>>> = Arc::default();
    let (committed, queued) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let (client, order) = (seller.client(), order.clone());
        let (acknowledged, committed, queued, stop) = (
            acknowledged.clone(),
            committed.clone(),
            queued.clone(),
            stop.clone(),
        );
        std::thread::spawn(move || {
            submit_until(&client, &order, &stop, |answer| {
                let ack = match answer["status"].as_str() {
                    Some("queued") => {
                        queued.fetch_add(1, Ordering::SeqCst);
                        Acknowledged::Queued {
                            event: answer["event"].as_str().unwrap().to_string(),
                        }
                    }
                    _ => {
                        committed.fetch_add(1, Ordering::SeqCst);
                        Acknowledged::Committed {
                            seq: answer["seq"].as_u64().unwrap(),
                            hash: answer["entry_hash"].as_str().unwrap().to_string(),
                        }
                    }
                };
                acknowledged.lock().unwrap().push(ack);
            })
        })
    };

    for cut in 0..CUTS {
        // Commits flow through the healed link...
        let before = committed.load(Ordering::SeqCst);
        wait_until("commits through the healed link", || {
            committed.load(Ordering::SeqCst) >= before + 20
        });
        // ...then the link is cut in both directions mid-load, and facts are queued.
        to_buyer.cut();
        to_seller.cut();
        let before = queued.load(Ordering::SeqCst);
        wait_until("facts queued while the link is cut", || {
            queued.load(Ordering::SeqCst) >= before + 5
        });
        eprintln!("cut {cut}: {committed:?} committed, {queued:?} queued");
        to_buyer.heal();
        to_seller.heal();
    }
    wait_until("commits after the last heal", || {
        committed.load(Ordering::SeqCst) >= 20 * (CUTS as u64 + 1)
    });
    stop.store(true, Ordering::SeqCst);
    worker.join().unwrap();

    // Every queued fact commits once the link is back, and both parties hold the same history.
    let acknowledged = acknowledged.lock().unwrap().clone();
    let fact_status = |event: &str| {
        seller_api
            .get(&format!("/orders/{order}/facts/{event}"))
            .unwrap()
    };
    wait_until("every queued fact to commit", || {
        acknowledged.iter().all(|ack| match ack {
            Acknowledged::Queued { event } => fact_status(event)["status"] == "committed",
            Acknowledged::Committed { .. } => true,
        })
    });
    wait_until("the buyer to reach the seller's head", || {
        let a = seller_api.get(&format!("/orders/{order}")).unwrap();
        let b = buyer_api.get(&format!("/orders/{order}")).unwrap();
        a["head"] == b["head"]
    });
    let expected: BTreeMap<u64, String> = acknowledged
        .iter()
        .map(|ack| match ack {
            Acknowledged::Committed { seq, hash } => (*seq, hash.clone()),
            Acknowledged::Queued { event } => {
                let status = fact_status(event);
                (
                    status["seq"].as_u64().unwrap(),
                    status["entry_hash"].as_str().unwrap().to_string(),
                )
            }
        })
        .collect();
    assert_eq!(expected.len(), acknowledged.len(), "one entry per fact");
    for api in [&seller_api, &buyer_api] {
        let stored = history(api, &order);
        assert_eq!(
            stored.keys().copied().collect::<Vec<_>>(),
            (0..stored.len() as u64).collect::<Vec<_>>(),
            "contiguous from the genesis"
        );
        for (seq, hash) in &expected {
            assert_eq!(stored.get(seq), Some(hash), "entry {seq} of {}", api.base());
        }
    }
}

/// Submits a fact after another until `stop`, handing each answer to `acknowledge`. A
/// request that fails (the node busy) is not acknowledged and is not counted.
///
/// Committed facts go as fast as they commit. After a queued one the client slows down, as an
/// integration would: the node commits queued facts one round at a time, and a client that
/// queues faster than that only lengthens the queue (every newer fact waits behind it).
fn submit_until(
    client: &ApiClient,
    order: &str,
    stop: &AtomicBool,
    mut acknowledge: impl FnMut(&Value),
) {
    let mut minute = 0;
    while !stop.load(Ordering::SeqCst) {
        minute += 1;
        if let Ok(answer) = client.post(&format!("/orders/{order}/events"), &eta_update(minute)) {
            acknowledge(&answer);
            if answer["status"] == "queued" {
                std::thread::sleep(QUEUED_PACE);
            }
        }
    }
}

/// An order's entries on one node: seq → entry hash.
fn history(api: &ApiClient, order: &str) -> BTreeMap<u64, String> {
    let history = api.get(&format!("/orders/{order}/history")).unwrap();
    history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["seq"].as_u64().unwrap(),
                entry["hash"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}
