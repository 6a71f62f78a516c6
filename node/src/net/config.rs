//! Configuration of the networking layer.

use std::time::Duration;

use libp2p::Multiaddr;

use libp2p::PeerId;

use super::{
    admission::{AdmissionLimits, RefusalCounters},
    breaker::BreakerConfig,
    codec::CodecLimits,
};

#[derive(Debug, Clone)]
pub struct NetConfig {
    /// Addresses to listen on at start (more can be added through the handle).
    pub listen: Vec<Multiaddr>,
    /// Peers to dial at start. An address ending in `/p2p/<peer id>` is also remembered, so
    /// requests to that peer redial it after a disconnect.
    pub bootstrap: Vec<Multiaddr>,
    /// Discover peers on the local network with mDNS.
    pub mdns: bool,
    pub codec: CodecLimits,
    /// Time allowed for a request's round trip, from sending to the response.
    pub request_timeout: Duration,
    pub breaker: BreakerConfig,
    /// Inbound requests waiting for the application; when full, peers are answered `Busy`.
    pub inbound_queue: usize,
    /// Commands waiting for the swarm task; when full, handle calls wait.
    pub command_queue: usize,
    /// Connections with no open stream are closed after this long.
    pub idle_connection_timeout: Duration,
    /// Bounds on connections, so unauthenticated clients cannot exhaust the node.
    pub max_pending_incoming: u32,
    pub max_established_per_peer: u32,
    /// Concurrent request streams per connection.
    pub max_concurrent_streams: usize,
    /// The configured parties' peers: never refused by the limits on strangers.
    pub parties: Vec<PeerId>,
    /// Limits on strangers' connections, in aggregate.
    pub admission: AdmissionLimits,
    /// Connections refused, counted by reason.
    pub refusals: RefusalCounters,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            listen: Vec::new(),
            bootstrap: Vec::new(),
            mdns: false,
            codec: CodecLimits::default(),
            request_timeout: Duration::from_secs(10),
            breaker: BreakerConfig::default(),
            inbound_queue: 1024,
            command_queue: 1024,
            idle_connection_timeout: Duration::from_secs(300),
            max_pending_incoming: 64,
            max_established_per_peer: 4,
            max_concurrent_streams: 256,
            parties: Vec::new(),
            admission: AdmissionLimits::default(),
            refusals: RefusalCounters::default(),
        }
    }
}
