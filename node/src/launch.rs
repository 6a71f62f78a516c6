//! Starting a whole node in a tokio runtime: store, network, engine and HTTP API. Used by
//! `pactum-node run`, the in-process demo and benchmark, and the tests.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use libp2p::{multiaddr::Protocol, Multiaddr, PeerId};
use tokio::{sync::oneshot, task::JoinHandle};
use verifier::sign::{PublicKey, SigningKey};

use crate::{
    config::{default_origin, Settings},
    durable::{Store, StoreConfig},
    engine::{protocol_core::ProtocolConfig, Engine, EngineConfig, Hooks, Net},
    http::{self, HttpSettings},
    metrics::Metrics,
    net::{self, keypair_from_secret, peer_id_for, NetConfig},
};

/// Everything needed to start a node.
#[derive(Clone)]
pub struct NodeSpec {
    pub role: String,
    pub key: SigningKey,
    pub data_dir: PathBuf,
    pub listen: Vec<Multiaddr>,
    pub http_bind: SocketAddr,
    pub token: String,
    /// More bearer tokens with scopes, re-read when the file changes (`http.tokens_file`).
    pub tokens_file: Option<PathBuf>,
    /// Connection cap and request deadlines of the HTTP API.
    pub http_limits: http::ConnectionLimits,
    /// Serve the API over HTTPS with this configuration (`[http] tls_cert`, `tls_key`).
    pub http_tls: Option<Arc<rustls::ServerConfig>>,
    pub max_body_bytes: usize,
    pub origin: Option<String>,
    pub checkpoint_batch: u64,
    pub sync_interval: Duration,
    pub request_timeout: Duration,
    /// How long the sequencer waits for a round's answers (whole seconds; see
    /// `ProtocolConfig::round_patience`).
    pub round_patience: Duration,
    pub mdns: bool,
    /// Other parties: role, key and where their nodes listen.
    pub peers: Vec<(String, PublicKey, Vec<Multiaddr>)>,
    pub hooks: Hooks,
    /// The event journal and the webhooks of the configuration file.
    pub events: crate::events::EventsConfig,
    /// How `POST /ingest/…` documents become facts.
    pub ingest: Arc<crate::ingest::Mapping>,
    /// Limits on strangers' connections (parties always get in).
    pub admission: net::AdmissionLimits,
}

impl NodeSpec {
    /// A node on loopback with ephemeral ports and no peers yet.
    pub fn local(role: &str, key: SigningKey, data_dir: PathBuf) -> NodeSpec {
        NodeSpec {
            role: role.to_string(),
            key,
            data_dir,
            listen: vec!["/ip4/127.0.0.1/tcp/0"
                .parse()
                .unwrap_or_else(|_| Multiaddr::empty())],
            http_bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: format!("local-token-for-{role}-0123456789"),
            tokens_file: None,
            http_limits: http::ConnectionLimits::default(),
            http_tls: None,
            max_body_bytes: crate::config::DEFAULT_MAX_BODY_BYTES,
            origin: None,
            checkpoint_batch: 64,
            sync_interval: Duration::from_secs(2),
            request_timeout: Duration::from_secs(10),
            round_patience: Duration::from_secs(5),
            mdns: false,
            peers: Vec::new(),
            hooks: Hooks::default(),
            events: crate::events::EventsConfig::default(),
            ingest: Arc::new(crate::ingest::Mapping::standard()),
            admission: net::AdmissionLimits::default(),
        }
    }

    /// The node described by a configuration file.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<NodeSpec> {
        Ok(NodeSpec {
            role: settings.file.role.clone(),
            key: settings.signing_key()?,
            data_dir: settings.data_dir.clone(),
            listen: settings.listen.clone(),
            http_bind: settings.http_bind,
            token: settings.file.http.token.clone(),
            // Relative to the configuration file, like the key and the data directory.
            tokens_file: settings
                .file
                .http
                .tokens_file
                .as_ref()
                .map(|file| settings.relative(file)),
            http_limits: settings.file.http.limits(),
            http_tls: settings.http_tls()?,
            max_body_bytes: settings.file.http.max_body_bytes,
            origin: settings.file.checkpoint.origin.clone(),
            checkpoint_batch: settings.file.checkpoint.batch_size,
            sync_interval: Duration::from_secs(2),
            request_timeout: Duration::from_millis(settings.file.network.request_timeout_ms),
            round_patience: Duration::from_secs(settings.file.network.round_patience_secs),
            mdns: settings.file.network.mdns,
            peers: settings
                .peers
                .iter()
                .map(|peer| (peer.role.clone(), peer.public_key, peer.addresses.clone()))
                .collect(),
            hooks: Hooks::default(),
            events: settings.events_config()?,
            ingest: Arc::new(settings.ingest_mapping()?),
            admission: net::AdmissionLimits::default(),
        })
    }
}

/// A running node.
pub struct RunningNode {
    pub role: String,
    pub engine: Engine,
    pub net: Net,
    pub store: Arc<Store>,
    pub metrics: Arc<Metrics>,
    pub http_addr: SocketAddr,
    /// libp2p addresses the node listens on, each ending in `/p2p/<peer id>`.
    pub p2p_addrs: Vec<Multiaddr>,
    pub peer_id: PeerId,
    pub public_key: PublicKey,
    pub token: String,
    /// Whether the API speaks HTTPS.
    pub https: bool,
    stop_http: Option<oneshot::Sender<()>>,
    http_task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningNode {
    /// The node's HTTP API base URL.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.http_addr)
    }

    /// A client of this node's API with its token.
    pub fn client(&self) -> crate::client::ApiClient {
        crate::client::ApiClient::new(self.url(), Some(self.token.clone()))
    }

    /// Tells this node where `other` listens.
    pub async fn learn(&self, other: &RunningNode) {
        for addr in &other.p2p_addrs {
            let _ = self.net.add_address(other.peer_id, addr.clone()).await;
        }
    }

    /// Stops the HTTP API and the network, then waits (bounded) for the store to be released
    /// and closes it, so the same directory can be opened again.
    pub async fn stop(mut self) {
        // Open event streams would hold the HTTP server's graceful shutdown.
        self.engine.inner.events.close_streams();
        if let Some(stop) = self.stop_http.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.http_task.take() {
            let _ = task.await;
        }
        let _ = self.net.shutdown().await;
        let RunningNode { engine, store, .. } = self;
        drop(engine);
        let mut store = store;
        for _ in 0..200 {
            match Arc::try_unwrap(store) {
                Ok(owned) => {
                    let _ = tokio::task::spawn_blocking(move || owned.close()).await;
                    return;
                }
                Err(shared) => store = shared,
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        tracing::warn!("store still in use after stopping; left to close on drop");
    }
}

/// Starts a node on the current tokio runtime.
pub async fn launch(spec: NodeSpec) -> anyhow::Result<RunningNode> {
    std::fs::create_dir_all(&spec.data_dir)?;
    let store = {
        let dir = spec.data_dir.clone();
        Arc::new(
            tokio::task::spawn_blocking(move || Store::open_with(dir, StoreConfig::default()))
                .await??,
        )
    };
    let metrics = Arc::new(Metrics::new());
    let keypair = keypair_from_secret(spec.key.to_seed())?;
    let mut bootstrap = Vec::new();
    let mut parties = Vec::new();
    for (_, key, addrs) in &spec.peers {
        let peer = peer_id_for(key.to_bytes())?;
        parties.push(peer);
        for addr in addrs {
            // Host names (`/dns4/…`) resolve here: the transport dials IP addresses.
            let resolved = match crate::engine::peers::resolve(addr).await {
                Ok(resolved) => resolved,
                Err(error) => {
                    tracing::warn!(%addr, %error, "a peer address does not resolve; skipped");
                    continue;
                }
            };
            for mut addr in resolved {
                if !matches!(addr.iter().last(), Some(Protocol::P2p(_))) {
                    addr.push(Protocol::P2p(peer));
                }
                bootstrap.push(addr);
            }
        }
    }
    let net_config = NetConfig {
        listen: Vec::new(),
        bootstrap,
        mdns: spec.mdns,
        request_timeout: spec.request_timeout,
        parties,
        refusals: metrics.peer_connections_refused.clone(),
        admission: spec.admission,
        ..NetConfig::default()
    };
    let network = net::start::<crate::engine::protocol::Request, crate::engine::protocol::Response>(
        net_config, keypair,
    )?;
    let net = network.handle.clone();
    let peer_id = net.local_peer_id();
    let mut p2p_addrs = Vec::new();
    for addr in &spec.listen {
        let mut bound = net.listen(addr.clone()).await?;
        bound.push(Protocol::P2p(peer_id));
        p2p_addrs.push(bound);
    }
    let public_key = spec.key.public_key();
    let config = EngineConfig {
        role: spec.role.clone(),
        origin: spec
            .origin
            .clone()
            .unwrap_or_else(|| default_origin(&spec.role, &public_key)),
        key: spec.key.clone(),
        checkpoint_batch: spec.checkpoint_batch.max(1),
        sync_interval: spec.sync_interval,
        peers: spec.peers.clone(),
        hooks: spec.hooks.clone(),
        protocol: ProtocolConfig::with_round_patience(
            i64::try_from(spec.round_patience.as_secs().max(1)).unwrap_or(i64::MAX),
        ),
        events: spec.events.clone(),
    };
    let engine = Engine::start(
        config,
        store.clone(),
        net.clone(),
        network.inbound,
        metrics.clone(),
    )?;
    let router = http::router(
        Arc::new(engine.clone()),
        HttpSettings {
            tokens: Arc::new(http::tokens::Tokens::new(
                spec.token.clone(),
                spec.tokens_file.clone(),
            )),
            max_body_bytes: spec.max_body_bytes,
            body_timeout: spec.http_limits.body_timeout,
            shares: Arc::new(http::share::Shares::open(
                spec.data_dir.join("shares.json"),
            )?),
            idempotency: Some(http::idempotency::IdempotencyKeys::new(store.clone())),
            ingest: spec.ingest.clone(),
            observe: spec.hooks.observe_http.clone(),
        },
        metrics.clone(),
    );
    let listener = http::bind(spec.http_bind).await?;
    let http_addr = listener.local_addr()?;
    let https = spec.http_tls.is_some();
    let (stop_http, stopped) = oneshot::channel::<()>();
    let http_task = tokio::spawn(http::serve(
        listener,
        router,
        spec.http_limits,
        spec.http_tls.clone(),
        metrics.clone(),
        async move {
            let _ = stopped.await;
        },
    ));
    Ok(RunningNode {
        role: spec.role,
        engine,
        net,
        store,
        metrics,
        http_addr,
        p2p_addrs,
        peer_id,
        public_key,
        token: spec.token,
        https,
        stop_http: Some(stop_http),
        http_task: Some(http_task),
    })
}
