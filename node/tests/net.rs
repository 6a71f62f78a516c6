//! Networking tests on real swarms over 127.0.0.1: request/response between nodes, garbage and
//! malformed peers cut off by the circuit breaker while a good peer keeps being served, back
//! pressure, and shutdown.

use std::{future::Future, io, net::SocketAddr, time::Duration};

use futures::{AsyncRead, AsyncWrite, AsyncWriteExt, StreamExt};
use libp2p::{
    multiaddr::Protocol,
    request_response::{self, ProtocolSupport},
    swarm::SwarmEvent,
    Multiaddr, PeerId, StreamProtocol, Swarm, SwarmBuilder,
};
use pactum_node::net::{
    self, codec, keypair_from_secret, peer_id_for, public_key_of, BreakerConfig, InboundRequest,
    NetConfig, NetError, NetHandle, Network, Refusal, Reply, PROTOCOL,
};
use serde::{Deserialize, Serialize};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt as _},
    net::TcpStream,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum TestReq {
    Echo { text: String },
    Add { a: u64, b: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum TestResp {
    Echoed { text: String, by: String },
    Sum(u64),
}

type Handle = NetHandle<TestReq, TestResp>;

/// Liveness bound for anything the tests wait on; never a performance assertion.
const PATIENCE: Duration = Duration::from_secs(20);

fn loopback() -> Multiaddr {
    "/ip4/127.0.0.1/tcp/0".parse().unwrap()
}

fn test_config() -> NetConfig {
    NetConfig {
        request_timeout: Duration::from_secs(5),
        breaker: BreakerConfig {
            threshold: 3,
            window: Duration::from_secs(60),
            base_ban: Duration::from_secs(120),
            ..BreakerConfig::default()
        },
        ..NetConfig::default()
    }
}

/// Starts a node whose application answers every request, and returns its listen address.
async fn start_node(seed: u8, config: NetConfig) -> (Handle, Multiaddr) {
    let keypair = keypair_from_secret([seed; 32]).unwrap();
    let Network {
        handle, inbound, ..
    } = net::start::<TestReq, TestResp>(config, keypair).unwrap();
    tokio::spawn(answer_requests(format!("node-{seed}"), inbound));
    let addr = handle.listen(loopback()).await.unwrap();
    (handle, addr)
}

async fn answer_requests(
    name: String,
    mut inbound: tokio::sync::mpsc::Receiver<InboundRequest<TestReq, TestResp>>,
) {
    while let Some(InboundRequest { request, reply, .. }) = inbound.recv().await {
        let response = match request {
            TestReq::Echo { text } => TestResp::Echoed {
                text,
                by: name.clone(),
            },
            TestReq::Add { a, b } => TestResp::Sum(a.saturating_add(b)),
        };
        let _ = reply.send(response);
    }
}

/// Polls `condition` until it holds, failing the test after [`PATIENCE`].
async fn eventually<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn socket_addr(addr: &Multiaddr) -> SocketAddr {
    let mut ip = None;
    let mut port = None;
    for protocol in addr.iter() {
        match protocol {
            Protocol::Ip4(v4) => ip = Some(v4),
            Protocol::Tcp(p) => port = Some(p),
            _ => {}
        }
    }
    SocketAddr::from((ip.unwrap(), port.unwrap()))
}

#[tokio::test]
async fn two_nodes_exchange_requests_both_ways() {
    let (alice, alice_addr) = start_node(1, test_config()).await;
    let (bob, _) = start_node(2, test_config()).await;

    // The PeerId is the party key's.
    let alice_public = public_key_of(&keypair_from_secret([1; 32]).unwrap()).unwrap();
    assert_eq!(peer_id_for(alice_public).unwrap(), alice.local_peer_id());

    let dialed = bob.dial(alice_addr).await.unwrap();
    assert_eq!(dialed, alice.local_peer_id());

    let response = bob
        .request(
            alice.local_peer_id(),
            TestReq::Echo {
                text: "hello 你好".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        response,
        TestResp::Echoed {
            text: "hello 你好".into(),
            by: "node-1".into()
        }
    );
    // And back over the same connection.
    let sum = alice
        .request(bob.local_peer_id(), TestReq::Add { a: 40, b: 2 })
        .await
        .unwrap();
    assert_eq!(sum, TestResp::Sum(42));

    assert_eq!(bob.peers().await.unwrap(), vec![alice.local_peer_id()]);
    assert_eq!(alice.peers().await.unwrap(), vec![bob.local_peer_id()]);

    // Many requests in flight at once all get their own answers.
    let calls = (0..50u64).map(|i| {
        let bob = bob.clone();
        let alice = alice.local_peer_id();
        async move { bob.request(alice, TestReq::Add { a: i, b: 1000 }).await }
    });
    let results = futures::future::join_all(calls).await;
    for (i, result) in results.into_iter().enumerate() {
        assert_eq!(result.unwrap(), TestResp::Sum(i as u64 + 1000));
    }
}

#[tokio::test]
async fn bootstrap_addresses_are_dialed_at_start() {
    let (alice, alice_addr) = start_node(3, test_config()).await;
    let with_peer = alice_addr.with(Protocol::P2p(alice.local_peer_id()));
    let config = NetConfig {
        bootstrap: vec![with_peer],
        ..test_config()
    };
    let (bob, _) = start_node(4, config).await;
    eventually("bob is connected to alice", || async {
        bob.peers().await.unwrap() == vec![alice.local_peer_id()]
    })
    .await;
    let response = bob
        .request(alice.local_peer_id(), TestReq::Add { a: 1, b: 2 })
        .await
        .unwrap();
    assert_eq!(response, TestResp::Sum(3));
}

/// A request-response codec that sends whatever bytes it is given, to play a broken peer.
#[derive(Clone, Default)]
struct RawCodec;

impl request_response::Codec for RawCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, _: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        Err(io::Error::other("the raw peer serves nothing"))
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        codec::read_frame(io, 1 << 20)
            .await
            .map_err(|fault| io::Error::new(io::ErrorKind::InvalidData, fault))
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        bytes: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&bytes).await?;
        io.flush().await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        _: &mut T,
        _: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        Err(io::Error::other("the raw peer serves nothing"))
    }
}

/// A libp2p peer, driven inline by the test, that sends hand-made frames.
struct RawPeer {
    swarm: Swarm<request_response::Behaviour<RawCodec>>,
}

impl RawPeer {
    fn new() -> Self {
        let swarm = SwarmBuilder::with_new_identity()
            .with_tokio()
            .with_tcp(
                libp2p::tcp::Config::default(),
                libp2p::noise::Config::new,
                libp2p::yamux::Config::default,
            )
            .unwrap()
            .with_behaviour(|_| {
                request_response::Behaviour::with_codec(
                    RawCodec,
                    [(PROTOCOL, ProtocolSupport::Outbound)],
                    request_response::Config::default()
                        .with_request_timeout(Duration::from_secs(10)),
                )
            })
            .unwrap()
            .with_swarm_config(|config| {
                config.with_idle_connection_timeout(Duration::from_secs(60))
            })
            .build();
        Self { swarm }
    }

    /// Sends raw bytes as one request; returns the raw response frame body or why there is
    /// none.
    async fn send(&mut self, peer: PeerId, bytes: Vec<u8>) -> Result<Vec<u8>, String> {
        let id = self.swarm.behaviour_mut().send_request(&peer, bytes);
        let drive = async {
            loop {
                match self.swarm.select_next_some().await {
                    SwarmEvent::Behaviour(request_response::Event::Message {
                        message:
                            request_response::Message::Response {
                                request_id,
                                response,
                            },
                        ..
                    }) if request_id == id => return Ok(response),
                    SwarmEvent::Behaviour(request_response::Event::OutboundFailure {
                        request_id,
                        error,
                        ..
                    }) if request_id == id => return Err(error.to_string()),
                    _ => {}
                }
            }
        };
        tokio::time::timeout(PATIENCE, drive)
            .await
            .expect("raw peer request neither answered nor failed")
    }
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut bytes = u32::try_from(body.len()).unwrap().to_be_bytes().to_vec();
    bytes.extend_from_slice(body);
    bytes
}

fn refusal(response: &[u8]) -> Refusal {
    match pactum_canonical::from_slice::<Reply<TestResp>>(response).unwrap() {
        Reply::Refused(refusal) => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Keeps a good peer's requests going while misbehaving peers attack; returns how many
/// succeeded, and fails on the first error.
fn keep_requesting(good: Handle, node: PeerId) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut served = 0u64;
        loop {
            match good.request(node, TestReq::Add { a: served, b: 1 }).await {
                Ok(response) => assert_eq!(response, TestResp::Sum(served + 1)),
                Err(_) if good.is_closed() => return served,
                Err(error) => panic!("good peer's request failed: {error}"),
            }
            served += 1;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
}

#[tokio::test]
async fn garbage_peers_are_refused_and_cut_off_while_a_good_peer_is_served() {
    let (node, node_addr) = start_node(10, test_config()).await;
    let node_id = node.local_peer_id();
    let (good, _) = start_node(11, test_config()).await;
    good.dial(node_addr.clone()).await.unwrap();
    let good_traffic = keep_requesting(good.clone(), node_id);

    // 1. A raw TCP client that speaks no libp2p at all is dropped during the handshake.
    let mut garbage = TcpStream::connect(socket_addr(&node_addr)).await.unwrap();
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(131) % 251) as u8)
        .collect();
    // The node may close the socket before all of it is written; that is the point.
    let _ = garbage.write_all(&noise).await;
    let closed = tokio::time::timeout(PATIENCE, async {
        let mut buffer = [0u8; 1024];
        loop {
            match garbage.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "node kept a garbage TCP connection open");

    // 2. A libp2p peer sending malformed frames gets error replies, then is cut off.
    let mut raw = RawPeer::new();
    let raw_id = *raw.swarm.local_peer_id();
    raw.swarm.add_peer_address(node_id, node_addr.clone());

    let not_cbor = raw.send(node_id, frame(b"\xff\xfe garbage")).await.unwrap();
    assert!(matches!(refusal(&not_cbor), Refusal::Malformed { .. }));

    let oversize = raw
        .send(
            node_id,
            [u32::MAX.to_be_bytes().as_slice(), b"tail"].concat(),
        )
        .await
        .unwrap();
    assert_eq!(
        refusal(&oversize),
        Refusal::TooLarge {
            limit: codec::DEFAULT_MAX_FRAME_BYTES
        }
    );
    let standings = node.standings().await.unwrap();
    assert_eq!(standings.len(), 1);
    assert_eq!(standings[0].peer, raw_id);
    assert_eq!(standings[0].recent_faults, 2);
    assert_eq!(standings[0].banned_for, None);

    // Third fault (a frame cut short) trips the breaker. Its reply may or may not make it out
    // before the connection is closed.
    let _ = raw.send(node_id, frame(b"0123456789")[..8].to_vec()).await;
    eventually("the raw peer is banned and disconnected", || async {
        let standings = node.standings().await.unwrap();
        let banned = standings
            .iter()
            .any(|standing| standing.peer == raw_id && standing.banned_for.is_some());
        banned && !node.peers().await.unwrap().contains(&raw_id)
    })
    .await;

    // A well-formed request from the banned peer is not served: it cannot reconnect.
    let valid = pactum_canonical::to_vec(&TestReq::Add { a: 1, b: 1 }).unwrap();
    let after_ban = raw.send(node_id, frame(&valid)).await;
    assert!(after_ban.is_err(), "banned peer was served: {after_ban:?}");
    // And the node refuses to send it requests itself.
    assert_eq!(
        node.request(raw_id, TestReq::Add { a: 1, b: 1 }).await,
        Err(NetError::Banned(raw_id))
    );

    // The good peer was never touched.
    let response = good
        .request(
            node_id,
            TestReq::Echo {
                text: "still here".into(),
            },
        )
        .await
        .unwrap();
    assert!(matches!(response, TestResp::Echoed { .. }));
    assert!(node
        .standings()
        .await
        .unwrap()
        .iter()
        .all(|standing| standing.peer != good.local_peer_id()));
    good.shutdown().await.unwrap();
    let served = good_traffic.await.unwrap();
    assert!(served > 0);
}

#[tokio::test]
async fn a_node_whose_application_lags_answers_busy_instead_of_stalling() {
    let keypair = keypair_from_secret([20; 32]).unwrap();
    let config = NetConfig {
        inbound_queue: 1,
        request_timeout: Duration::from_secs(3),
        ..test_config()
    };
    // Nobody reads this node's inbound requests.
    let Network {
        handle: slow,
        inbound: _unread,
        ..
    } = net::start::<TestReq, TestResp>(config, keypair).unwrap();
    let slow_addr = slow.listen(loopback()).await.unwrap();
    let (client, _) = start_node(21, test_config()).await;
    client.dial(slow_addr).await.unwrap();

    let calls = (0..4u64).map(|i| {
        let client = client.clone();
        let slow = slow.local_peer_id();
        async move { client.request(slow, TestReq::Add { a: i, b: i }).await }
    });
    let results = futures::future::join_all(calls).await;
    let busy = results
        .iter()
        .filter(|result| {
            matches!(
                result,
                Err(NetError::Refused {
                    refusal: Refusal::Busy,
                    ..
                })
            )
        })
        .count();
    // One request fits in the queue (and is never answered); the rest are turned away at once.
    assert_eq!(busy, 3, "{results:?}");
    // The swarm task itself is responsive.
    assert_eq!(slow.peers().await.unwrap(), vec![client.local_peer_id()]);
    // Busy answers are the node's own state, not the client's fault.
    assert!(slow.standings().await.unwrap().is_empty());
}

#[tokio::test]
async fn shutdown_stops_the_task_and_closes_the_handle() {
    let keypair = keypair_from_secret([30; 32]).unwrap();
    let Network { handle, task, .. } =
        net::start::<TestReq, TestResp>(test_config(), keypair).unwrap();
    let addr = handle.listen(loopback()).await.unwrap();
    let (peer, _) = start_node(31, test_config()).await;
    peer.dial(addr).await.unwrap();
    assert!(!handle.is_closed());
    // The dialer sees the connection first; wait until the listener has it too.
    tokio::time::timeout(PATIENCE, async {
        while handle.peers().await.unwrap().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();

    let report = handle.shutdown().await.unwrap();
    assert_eq!(report.disconnected_peers, 1);
    assert_eq!(report.abandoned_requests, 0);
    assert!(handle.is_closed());
    assert_eq!(handle.peers().await, Err(NetError::Closed));
    assert_eq!(handle.clone().shutdown().await, Err(NetError::Closed));
    tokio::time::timeout(PATIENCE, task)
        .await
        .expect("network task did not exit")
        .expect("network task panicked");

    eventually("the peer sees the connection closed", || async {
        peer.peers().await.unwrap().is_empty()
    })
    .await;
    let after = peer
        .request(handle.local_peer_id(), TestReq::Add { a: 1, b: 1 })
        .await;
    assert!(after.is_err());
}

/// Fresh identities cost nothing, so strangers are limited in aggregate: beyond the cap on
/// stranger connections every new one is refused (and counted), whatever identity it uses,
/// while a configured party still gets in and is served.
#[tokio::test]
async fn a_flood_of_fresh_identities_fills_only_the_strangers_slots() {
    let party_seed = 60;
    let party_id = keypair_from_secret([party_seed; 32])
        .unwrap()
        .public()
        .to_peer_id();
    let refusals = net::RefusalCounters::default();
    let config = NetConfig {
        parties: vec![party_id],
        admission: net::AdmissionLimits {
            max_strangers: 3,
            max_strangers_per_ip: 100,
            max_total: 100,
            ..net::AdmissionLimits::default()
        },
        refusals: refusals.clone(),
        ..test_config()
    };
    let (node, node_addr) = start_node(61, config).await;
    let mut strangers = Vec::new();
    for seed in 62..68 {
        let (stranger, _) = start_node(seed, test_config()).await;
        // The dialer may see its connection established before the node refuses it.
        let _ = stranger.dial(node_addr.clone()).await;
        strangers.push(stranger);
    }
    let refused = || {
        refusals
            .get_or_create(&vec![("reason", "strangers_full".to_string())])
            .get()
    };
    eventually("three strangers are refused", || async { refused() >= 3 }).await;
    assert_eq!(node.peers().await.unwrap().len(), 3);

    let (party, _) = start_node(party_seed, test_config()).await;
    assert_eq!(party.dial(node_addr).await.unwrap(), node.local_peer_id());
    let sum = party
        .request(node.local_peer_id(), TestReq::Add { a: 1, b: 2 })
        .await
        .unwrap();
    assert_eq!(sum, TestResp::Sum(3));
    assert_eq!(refused(), 3, "the party took no stranger's slot");
}

/// A node that stops answering altogether (its process suspended, `SIGSTOP`) still gets the
/// whole configured `request_timeout` to answer: libp2p's own 10-second limit on opening a
/// stream must not cut the request short.
#[tokio::test]
async fn a_frozen_peer_gets_the_whole_request_timeout_not_libp2ps_ten_seconds() {
    let config = || NetConfig {
        request_timeout: Duration::from_secs(30),
        ..test_config()
    };
    let (alice, _) = start_node(31, config()).await;
    // Bob runs on a runtime of its own, one thread, so blocking that thread freezes his node
    // like a suspended process: the kernel still takes bytes, nothing reads or answers them.
    let (bob_tx, bob_rx) = std::sync::mpsc::channel();
    let (freeze_tx, freeze_rx) = std::sync::mpsc::channel::<std::sync::mpsc::Receiver<()>>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let bob = start_node(32, config()).await;
            bob_tx.send(bob).unwrap();
            // Frozen (the whole runtime blocked) until the thaw channel says otherwise.
            let thaw = tokio::task::spawn_blocking(move || freeze_rx.recv().unwrap())
                .await
                .unwrap();
            thaw.recv().unwrap();
            std::future::pending::<()>().await;
        });
    });
    let (bob, bob_addr) = bob_rx.recv().unwrap();
    alice.dial(bob_addr).await.unwrap();
    let sum = alice
        .request(bob.local_peer_id(), TestReq::Add { a: 1, b: 2 })
        .await
        .unwrap();
    assert_eq!(sum, TestResp::Sum(3));

    let (thaw_tx, thaw_rx) = std::sync::mpsc::channel();
    freeze_tx.send(thaw_rx).unwrap();
    // Give the freeze a moment to take hold before asking.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let asked = tokio::time::Instant::now();
    let request = tokio::spawn({
        let alice = alice.clone();
        let bob = bob.local_peer_id();
        async move { alice.request(bob, TestReq::Add { a: 40, b: 2 }).await }
    });
    // Frozen for longer than libp2p's default stream-opening timeout (10 s), well inside ours.
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert!(
        !request.is_finished(),
        "the request ended while the peer was frozen, after {:?}: {:?}",
        asked.elapsed(),
        request.await
    );
    thaw_tx.send(()).unwrap();
    let answer = tokio::time::timeout(PATIENCE, request)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer, Ok(TestResp::Sum(42)));
}
