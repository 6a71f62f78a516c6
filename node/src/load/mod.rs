//! `pactum-node load …`: load commands that show the node's limits with figures, against real
//! `pactum-node run` processes on loopback (their memory is measured from `/proc`).
//!
//! * [`strangers`]: one stranger identity sends thousands of distinct valid contract
//!   proposals; the node's RSS growth is reported.
//! * [`siege`]: the edges' load target — two parties commit at a fixed rate while strangers'
//!   libp2p connections and idle HTTP connections besiege the sequencer's node.
//! * [`webhooks`]: webhook delivery latency (commit to receipt) at a fixed entry rate, nodes
//!   and receiver in this process.
//! * [`ingest`]: EPCIS events per second into committed entries, over `POST /ingest/epcis`.
//! * [`drain`]: facts per second committed from a sequencer's queue once a party returns.

pub mod drain;
pub mod ingest;
pub mod node_process;
pub mod siege;
pub mod strangers;
pub mod webhooks;

use std::collections::BTreeMap;

use verifier::sign::SigningKey;

/// What the load commands that run their nodes in this process start from: a temporary
/// directory (`pactum-load-NAME-…`), a multi-threaded runtime, and the demo keys of `roles`.
pub(crate) fn in_process(
    name: &str,
    roles: &[&str],
) -> anyhow::Result<(
    tempfile::TempDir,
    tokio::runtime::Runtime,
    BTreeMap<String, SigningKey>,
)> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("pactum-load-{name}-"))
        .tempdir()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let keys = roles
        .iter()
        .map(|role| (role.to_string(), crate::demo::scenario::demo_key(role)))
        .collect();
    Ok((dir, runtime, keys))
}
