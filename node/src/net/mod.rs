//! Peer-to-peer networking for the node: libp2p over TCP with Noise and Yamux.
//!
//! One task ([`task`]) owns the libp2p `Swarm`; everything else talks to it through a cloneable
//! [`NetHandle`] (commands with oneshot replies) and receives peers' requests as
//! [`InboundRequest`]s on a bounded channel, so application work never runs on, or blocks, the
//! swarm task. Requests and responses travel as length-prefixed canonical CBOR on `/pactum/1`
//! ([`codec`]); peers that send garbage are answered with a [`Refusal`] and cut off by a per-peer
//! circuit [`breaker`].
//!
//! The module is generic over the request and response types: the node plugs in its protocol
//! enums, tests use small ones.

pub mod admission;
mod behaviour;
pub mod breaker;
pub mod codec;
mod config;
mod handle;
pub mod identity;
mod patience;
mod task;

pub use admission::{AdmissionLimits, RefusalCounters};
pub use breaker::{BreakerConfig, PeerStanding};
pub use codec::{CodecLimits, FrameFault, Refusal, Reply, WireMessage, PROTOCOL};
pub use config::NetConfig;
pub use handle::{InboundRequest, NetError, NetHandle, ShutdownReport};
pub use identity::{keypair_from_secret, party_key_of, peer_id_for, public_key_of, IdentityError};
pub use libp2p::{identity::Keypair, Multiaddr, PeerId};
pub use task::{start, Network};
