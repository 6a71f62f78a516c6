//! The Pactum peer node.
//!
//! * [`net`]: libp2p networking — the swarm task, its command handle, the `/pactum/1` codec and
//!   the per-peer circuit breaker.
//! * [`durable`]: the sled store with atomic write batches and group commit.

pub mod durable;
pub mod net;
