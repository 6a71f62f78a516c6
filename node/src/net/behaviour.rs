//! The composed libp2p behaviour of a node.

use libp2p::{
    allow_block_list::{self, BlockedPeers},
    connection_limits, identify, mdns, ping, request_response,
    swarm::{behaviour::toggle::Toggle, NetworkBehaviour},
};

use super::{
    admission::Admission,
    codec::{FrameCodec, WireMessage},
    patience::Patient,
};

/// Everything the swarm runs, in the order connections are vetted: the block list, the
/// admission of strangers and the connection limits first, so refused peers never reach the
/// protocols.
#[derive(NetworkBehaviour)]
pub(crate) struct NodeBehaviour<Req: WireMessage, Resp: WireMessage> {
    pub(crate) blocked: allow_block_list::Behaviour<BlockedPeers>,
    pub(crate) admission: Admission,
    pub(crate) limits: connection_limits::Behaviour,
    pub(crate) identify: identify::Behaviour,
    pub(crate) ping: ping::Behaviour,
    pub(crate) mdns: Toggle<mdns::tokio::Behaviour>,
    /// Given the configured request timeout to open each request's stream too.
    pub(crate) rpc: Patient<request_response::Behaviour<FrameCodec<Req, Resp>>>,
}
