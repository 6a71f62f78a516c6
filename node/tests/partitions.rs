//! Partitions between real `pactum-node run` processes: every libp2p connection between the
//! seller (the sequencer) and the buyer goes through a TCP proxy written here, on loopback,
//! which cuts the link (closing every connection through it and refusing new ones) and heals
//! it, again and again, while a client keeps submitting facts. Every fact the seller
//! acknowledged, committed or queued, must end up committed at both parties, at the same heads.
//!
//! The same runs with each node in a network namespace of its own, joined by a veth pair whose
//! link is set down and up (connections are not closed: packets stop, as when a cable is cut),
//! when `PACTUM_NETNS_TESTS=1` (root and `ip netns` needed; skipped with a notice otherwise).
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
    load::node_process::{proposal_among, NodeDir, NodeProcess},
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

/// How a test cuts and heals the link between the seller and the buyer.
trait Partition {
    fn cut(&self);
    fn heal(&self);
}

/// Two proxies, one each way.
struct Proxies {
    to_buyer: Link,
    to_seller: Link,
}

impl Partition for Proxies {
    fn cut(&self) {
        self.to_buyer.cut();
        self.to_seller.cut();
    }

    fn heal(&self) {
        self.to_buyer.heal();
        self.to_seller.heal();
    }
}

/// Short round trips, so that a cut link is noticed quickly.
fn quick_requests(node: &mut NodeDir) {
    let mut file = node.settings.file.clone();
    file.network.request_timeout_ms = 2_000;
    rewrite(node, file);
}

fn rewrite(node: &mut NodeDir, file: pactum_node::config::NodeConfig) {
    std::fs::write(
        &node.config,
        pactum_node::config::render_template(&file, &node.public_key),
    )
    .unwrap();
    node.settings = pactum_node::config::Settings::load(&node.config).unwrap();
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
    let proxies = Proxies {
        to_buyer: runtime.block_on(Link::start(loopback(buyer.p2p_port))),
        to_seller: runtime.block_on(Link::start(loopback(seller.p2p_port))),
    };
    seller
        .set_peers(&[("buyer".into(), buyer.public_key, proxies.to_buyer.port)])
        .unwrap();
    buyer
        .set_peers(&[("seller".into(), seller.public_key, proxies.to_seller.port)])
        .unwrap();
    quick_requests(&mut seller);
    quick_requests(&mut buyer);
    let _processes = [
        NodeProcess::spawn(exe, &seller).unwrap(),
        NodeProcess::spawn(exe, &buyer).unwrap(),
    ];
    cut_and_heal_under_load(&seller, &buyer, &proxies);
}

#[test]
fn the_same_with_each_node_in_a_network_namespace_and_the_link_set_down() {
    if std::env::var_os("PACTUM_NETNS_TESTS").is_none() {
        eprintln!(
            "NOTICE: network-namespace partition test skipped: set PACTUM_NETNS_TESTS=1 (needs root and `ip netns`)"
        );
        return;
    }
    let exe = Path::new(env!("CARGO_BIN_EXE_pactum-node"));
    let base = tempfile::tempdir().unwrap();
    let net = Namespaces::create();
    let mut seller = NodeDir::init(base.path(), "seller").unwrap();
    let mut buyer = NodeDir::init(base.path(), "buyer").unwrap();
    let (seller_peer, buyer_peer) = (seller.as_peer(), buyer.as_peer());
    for (node, peer, side, other) in [
        (&mut seller, buyer_peer, Side::Seller, Side::Buyer),
        (&mut buyer, seller_peer, Side::Buyer, Side::Seller),
    ] {
        let mut file = node.settings.file.clone();
        file.network.request_timeout_ms = 2_000;
        file.network.listen = vec![format!("/ip4/{}/tcp/{P2P_PORT}", net.p2p_ip(side))];
        file.http.bind = format!("{}:{HTTP_PORT}", net.api_ip(side));
        file.peers = vec![pactum_node::config::PeerSection {
            role: peer.0,
            public_key: hex::encode(peer.1.as_bytes()),
            addresses: vec![format!("/ip4/{}/tcp/{P2P_PORT}", net.p2p_ip(other))],
        }];
        rewrite(node, file);
    }
    let _processes = [
        NodeProcess::spawn_in_namespace(exe, &seller, &net.name(Side::Seller)).unwrap(),
        NodeProcess::spawn_in_namespace(exe, &buyer, &net.name(Side::Buyer)).unwrap(),
    ];
    cut_and_heal_under_load(&seller, &buyer, &net);
}

/// Ports inside the namespaces (each namespace is new, so any port is free).
const P2P_PORT: u16 = 7301;
const HTTP_PORT: u16 = 7300;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Seller,
    Buyer,
}

/// A namespace per node, made for this test and deleted after it (with their interfaces):
/// the nodes' libp2p link is a veth pair between the two (10.231.K.0/30), and each node's API
/// is reached from the test's namespace through a veth pair of its own (10.232.K.0/30 to the
/// seller, 10.233.K.0/30 to the buyer). Nothing routes between these links, so with the
/// nodes' link down they cannot reach each other, while the test still reaches both APIs.
struct Namespaces {
    id: u32,
    /// The third octet of this run's addresses (from the process id, so parallel runs differ).
    octet: u32,
}

fn ip(args: &[&str]) {
    let output = std::process::Command::new("ip")
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("cannot run `ip`: {error} (the iproute2 package)"));
    assert!(
        output.status.success(),
        "`ip {}` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Namespaces {
    fn create() -> Namespaces {
        let id = std::process::id() % 100_000;
        let net = Namespaces {
            id,
            octet: id % 250 + 1,
        };
        for side in [Side::Seller, Side::Buyer] {
            let namespace = net.name(side);
            ip(&["netns", "add", &namespace]);
            ip(&["-n", &namespace, "link", "set", "lo", "up"]);
            // The API link: one end here, the other in the node's namespace.
            let (here, there) = (net.interface(side, 'r'), net.interface(side, 'a'));
            ip(&["link", "add", &here, "type", "veth", "peer", "name", &there]);
            ip(&["link", "set", &there, "netns", &namespace]);
            ip(&[
                "addr",
                "add",
                &format!("{}/30", net.api_gateway(side)),
                "dev",
                &here,
            ]);
            ip(&["link", "set", &here, "up"]);
            let api = format!("{}/30", net.api_ip(side));
            ip(&["-n", &namespace, "addr", "add", &api, "dev", &there]);
            ip(&["-n", &namespace, "link", "set", &there, "up"]);
        }
        // The nodes' link.
        let (seller, buyer) = (
            net.interface(Side::Seller, 'p'),
            net.interface(Side::Buyer, 'p'),
        );
        ip(&[
            "link", "add", &seller, "type", "veth", "peer", "name", &buyer,
        ]);
        for (side, interface) in [(Side::Seller, &seller), (Side::Buyer, &buyer)] {
            let namespace = net.name(side);
            ip(&["link", "set", interface, "netns", &namespace]);
            let address = format!("{}/30", net.p2p_ip(side));
            ip(&["-n", &namespace, "addr", "add", &address, "dev", interface]);
        }
        net.heal();
        net
    }

    fn name(&self, side: Side) -> String {
        match side {
            Side::Seller => format!("pactum-{}-seller", self.id),
            Side::Buyer => format!("pactum-{}-buyer", self.id),
        }
    }

    /// At most 15 characters: `pt` + id + side + use.
    fn interface(&self, side: Side, purpose: char) -> String {
        let side = if side == Side::Seller { 's' } else { 'b' };
        format!("pt{}{side}{purpose}", self.id)
    }

    fn p2p_ip(&self, side: Side) -> String {
        let host = if side == Side::Seller { 1 } else { 2 };
        format!("10.231.{}.{host}", self.octet)
    }

    fn api_subnet(&self, side: Side) -> u32 {
        if side == Side::Seller {
            232
        } else {
            233
        }
    }

    fn api_gateway(&self, side: Side) -> String {
        format!("10.{}.{}.1", self.api_subnet(side), self.octet)
    }

    fn api_ip(&self, side: Side) -> String {
        format!("10.{}.{}.2", self.api_subnet(side), self.octet)
    }

    fn set_link(&self, state: &str) {
        for side in [Side::Seller, Side::Buyer] {
            let (namespace, interface) = (self.name(side), self.interface(side, 'p'));
            ip(&["-n", &namespace, "link", "set", &interface, state]);
        }
    }
}

impl Partition for Namespaces {
    fn cut(&self) {
        self.set_link("down");
    }

    fn heal(&self) {
        self.set_link("up");
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        // Deleting a namespace deletes its interfaces, and so the veth ends outside it.
        for side in [Side::Seller, Side::Buyer] {
            let _ = std::process::Command::new("ip")
                .args(["netns", "del", &self.name(side)])
                .status();
        }
    }
}

/// Submits facts to the seller without pause while `partition` cuts and heals the link
/// [`CUTS`] times; then checks that every acknowledged fact committed at both nodes, at the
/// same heads.
fn cut_and_heal_under_load(seller: &NodeDir, buyer: &NodeDir, partition: &dyn Partition) {
    let (seller_api, buyer_api) = (seller.client(), buyer.client());

    let proposal = proposal_among([seller, buyer], "PO-PARTITION");
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
        partition.cut();
        let before = queued.load(Ordering::SeqCst);
        wait_until("facts queued while the link is cut", || {
            queued.load(Ordering::SeqCst) >= before + 5
        });
        eprintln!("cut {cut}: {committed:?} committed, {queued:?} queued");
        partition.heal();
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
