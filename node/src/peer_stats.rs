//! What this node knows about each party's node from talking to it: requests, failures,
//! round-trip times, messages waiting, and whether it answered last time.
//!
//! Only requests this node sends to parties of its orders are counted, so the label set is
//! bounded by the contracts this node signed, never by what strangers send. A party whose last
//! request got no answer (a dial that failed, a timeout) is *unreachable* until one is
//! answered again; both changes are logged once, and `/health` lists unreachable parties.
//! Logs name the party by `role` and `key` (its public key, as `/health` does); `peer` in the
//! node's logs is always a libp2p peer id.

use std::{
    collections::BTreeMap,
    sync::Mutex,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use prometheus_client::metrics::{counter::Counter, family::Family, gauge::Gauge};
use verifier::sign::PublicKey;

use crate::metrics::Labels;

/// One party's node as seen from here.
#[derive(Debug, Clone, Default)]
struct PeerState {
    role: String,
    unreachable_since: Option<u64>,
    last_error: Option<String>,
}

/// An unreachable party's node, for `/health`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable {
    pub role: String,
    pub key: PublicKey,
    /// Unix seconds of the first unanswered request since it last answered.
    pub since: u64,
    pub error: String,
}

/// Per-peer figures, shared by the engine (which records) and the metrics (which export).
#[derive(Default)]
pub struct PeerStats {
    peers: Mutex<BTreeMap<PublicKey, PeerState>>,
    /// Requests sent, by peer.
    pub requests: Family<Labels, Counter>,
    /// Requests that got no answer, by peer.
    pub failures: Family<Labels, Counter>,
    /// Sum of the answered requests' round-trip times in microseconds, by peer (the mean is
    /// this over `requests - failures`).
    pub round_trip_micros: Family<Labels, Counter>,
    /// Round-trip time of the last answered request in microseconds, by peer.
    pub last_round_trip_micros: Family<Labels, Gauge>,
    /// Messages waiting in the peer's outbox, and requests awaiting its answer, by peer.
    pub queued: Family<Labels, Gauge>,
    pub in_flight: Family<Labels, Gauge>,
    /// 1 while the peer's node did not answer the last request, else 0, by peer: what an
    /// alert rule watches (`/health` says the same with the error).
    pub unreachable_now: Family<Labels, Gauge>,
}

/// The label of a party's node: its role and the first 16 hex digits of its key.
pub fn label(role: &str, key: &PublicKey) -> Labels {
    let hex = hex::encode(key.as_bytes());
    vec![
        ("role", role.to_string()),
        ("peer", hex.get(..16).unwrap_or(&hex).to_string()),
    ]
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

impl PeerStats {
    /// A request to the node of `role` is sent; call [`PeerStats::finished`] with its outcome.
    pub fn started(&self, role: &str, key: &PublicKey) {
        let labels = label(role, key);
        self.requests.get_or_create(&labels).inc();
        self.in_flight.get_or_create(&labels).inc();
    }

    /// The request ended: answered after `elapsed`, or with no answer (`Err`). Logs the node
    /// becoming unreachable, or reachable again.
    pub fn finished(
        &self,
        role: &str,
        key: &PublicKey,
        elapsed: Duration,
        outcome: Result<(), String>,
    ) {
        let labels = label(role, key);
        self.in_flight.get_or_create(&labels).dec();
        let Ok(mut peers) = self.peers.lock() else {
            return;
        };
        let state = peers.entry(*key).or_default();
        state.role = role.to_string();
        match outcome {
            Ok(()) => {
                let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
                self.round_trip_micros.get_or_create(&labels).inc_by(micros);
                self.last_round_trip_micros
                    .get_or_create(&labels)
                    .set(i64::try_from(micros).unwrap_or(i64::MAX));
                if let Some(since) = state.unreachable_since.take() {
                    let down_for = now_unix().saturating_sub(since);
                    tracing::info!(%role, %key, down_for_seconds = down_for, "a party's node is reachable again");
                }
                state.last_error = None;
                self.unreachable_now.get_or_create(&labels).set(0);
            }
            Err(error) => {
                self.failures.get_or_create(&labels).inc();
                if state.unreachable_since.is_none() {
                    state.unreachable_since = Some(now_unix());
                    tracing::warn!(%role, %key, %error, "a party's node is unreachable");
                }
                state.last_error = Some(error);
                self.unreachable_now.get_or_create(&labels).set(1);
            }
        }
    }

    /// Sets how many messages wait in the outbox of the node of `role`.
    pub fn set_queued(&self, role: &str, key: &PublicKey, waiting: usize) {
        self.queued
            .get_or_create(&label(role, key))
            .set(i64::try_from(waiting).unwrap_or(i64::MAX));
    }

    /// Parties' nodes whose last request got no answer.
    pub fn unreachable(&self) -> Vec<Unreachable> {
        let Ok(peers) = self.peers.lock() else {
            return Vec::new();
        };
        peers
            .iter()
            .filter_map(|(key, state)| {
                Some(Unreachable {
                    role: state.role.clone(),
                    key: *key,
                    since: state.unreachable_since?,
                    error: state.last_error.clone().unwrap_or_default(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use verifier::sign::SigningKey;

    #[test]
    fn a_peer_is_unreachable_from_its_first_unanswered_request_until_one_is_answered() {
        let stats = PeerStats::default();
        let key = SigningKey::from_seed([4; 32]).public_key();
        stats.started("buyer", &key);
        stats.finished("buyer", &key, Duration::from_millis(2), Ok(()));
        assert!(stats.unreachable().is_empty());
        for _ in 0..2 {
            stats.started("buyer", &key);
            stats.finished("buyer", &key, Duration::ZERO, Err("dial failed".into()));
        }
        let down = stats.unreachable();
        assert_eq!(down.len(), 1);
        assert_eq!((down[0].role.as_str(), down[0].key), ("buyer", key));
        assert_eq!(down[0].error, "dial failed");
        stats.started("buyer", &key);
        stats.finished("buyer", &key, Duration::from_millis(3), Ok(()));
        assert!(stats.unreachable().is_empty());
        let labels = label("buyer", &key);
        assert_eq!(stats.requests.get_or_create(&labels).get(), 4);
        assert_eq!(stats.failures.get_or_create(&labels).get(), 2);
        assert_eq!(stats.round_trip_micros.get_or_create(&labels).get(), 5000);
        assert_eq!(stats.in_flight.get_or_create(&labels).get(), 0);
    }
}
