//! The Pactum peer node.
//!
//! * [`net`]: libp2p networking — the swarm task, its command handle, the `/pactum/1` codec and
//!   the per-peer circuit breaker.
//! * [`durable`]: the sled store with atomic write batches and group commit.
//! * [`engine`]: the co-signing protocol over the verifier's state machine.
//! * [`events`]: the event journal, webhooks with a durable outbox, the event stream.
//! * [`ingest`]: GS1 EPCIS 2.0 and OASIS CAP 1.2 documents read as vocabulary facts (sans-IO).
//! * [`fsck`]: `pactum-node fsck`, a store's entries, signatures, chains, log and checkpoints.
//! * [`log_store`]: the node's Merkle log, its hashes written in the same batches as entries.
//! * [`config`]: the configuration file and the party key file (`pactum-node init`).
//! * [`api`]: what the operator can ask of the node ([`api::NodeApi`]), independent of HTTP.
//! * [`http`]: the local HTTP/JSON API over [`api::NodeApi`].
//! * [`launch`]: starting a whole node (store, network, engine, HTTP) in a runtime.
//! * [`metrics`]: Prometheus metrics; [`peer_stats`]: per party's node figures and reachability.
//! * [`tls`]: rustls (ring) configuration of the API's HTTPS and of the node's HTTPS clients.
//! * [`client`]: a small blocking client of the HTTP API, for the operator CLI.
//! * [`bench`]: `pactum-node bench`, throughput and latency of co-signed commits.
//! * [`start_bench`]: `pactum-node bench-start`, start time on a store of many closed orders.
//! * [`sim`]: `pactum-node simulate`, the deterministic protocol simulator; [`fixtures`]:
//!   example orders made through the order core (the simulator's, the start benchmark's).
//! * [`demo`]: `pactum-node demo`, three nodes running one order end to end.
//! * [`load`]: `pactum-node load …`, load commands against node processes (strangers' floods).
//! * [`process_stats`]: a process's memory, descriptors and CPU time from `/proc`.
//! * [`cli`] and [`runner`]: the `pactum-node` command line and the `run` command.

pub mod api;
pub mod bench;
pub mod cli;
pub mod client;
pub mod config;
pub mod demo;
pub mod durable;
pub mod engine;
pub mod events;
pub mod fixtures;
pub mod fsck;
pub mod http;
pub mod ingest;
pub mod launch;
pub mod load;
pub mod log_store;
pub mod metrics;
pub mod net;
pub mod peer_stats;
pub mod process_stats;
pub mod qr;
pub mod runner;
pub mod sim;
pub mod start_bench;
pub mod tls;
