//! The node's Prometheus metrics, shared by the engine and the HTTP layer, rendered for
//! `GET /metrics` in the OpenMetrics text format.

use prometheus_client::{
    encoding::text::encode,
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{exponential_buckets, Histogram},
    },
    registry::Registry,
};

use crate::peer_stats::PeerStats;

/// Label set of a per-kind counter.
pub type Labels = Vec<(&'static str, String)>;

/// Every metric the node exports. Clone the handles freely; they share their values.
pub struct Metrics {
    registry: Registry,
    /// HTTP requests answered, by status code.
    pub http_requests: Family<Labels, Counter>,
    /// HTTP connections refused because the connection cap was reached.
    pub http_connections_refused: Counter,
    /// Connections still waiting for their request head, closed to make room for new ones.
    pub http_connections_evicted: Counter,
    /// Connections open and still waiting for their request head.
    pub http_connections_awaiting_head: Gauge,
    /// Connections holding one of the connection cap's slots (being served or awaiting a head).
    pub http_connections_open: Gauge,
    /// libp2p connections refused, by reason (limits on strangers, bans, connection limits).
    pub peer_connections_refused: Family<Labels, Counter>,
    /// Entries committed (durable and co-signed by every party).
    pub entries_committed: Counter,
    /// From an entry's proposal (or arrival) to its durable commit, in seconds.
    pub commit_latency: Histogram,
    /// Entries this node refused to cosign because its own run differed.
    pub determinism_faults: Counter,
    /// Determinism faults (stored) that no operator acknowledged yet.
    pub determinism_faults_unacknowledged: Gauge,
    /// Proposals refused, by reason.
    pub proposals_refused: Family<Labels, Counter>,
    /// Times an order's evolution circuit breaker tripped.
    pub breaker_trips: Counter,
    /// Orders this node takes part in.
    pub orders: Gauge,
    /// Leaves in the node's Merkle log.
    pub log_size: Gauge,
    /// Checkpoints this node signed.
    pub checkpoints_signed: Counter,
    /// Peers' checkpoints this node witnessed (cosigned).
    pub checkpoints_witnessed: Counter,
    /// Peer messages refused as malformed or unexpected.
    pub peer_messages_refused: Counter,
    /// Proofs that a sequencer signed two different entries at one position, kept.
    pub equivocations: Counter,
    /// Per party's node: requests, failures, round trips, messages waiting.
    pub peers: PeerStats,
    /// Orders by state (`running`, `breaker_tripped`, `in_review`, `closed`).
    pub orders_by_state: Family<Labels, Gauge>,
    /// Facts accepted and waiting for a party's node.
    pub queued_facts: Gauge,
    /// This process: resident memory, open file descriptors, CPU time (from `/proc`).
    pub process_resident_memory_bytes: Gauge,
    pub process_open_fds: Gauge,
    pub process_cpu_milliseconds: Gauge,
    /// Compiled programs kept in memory, and their size (canonical encoding).
    pub programs_cached: Gauge,
    pub program_cache_bytes: Gauge,
    /// Clause programs compiled (a program already stored is read back instead).
    pub programs_compiled: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("pactum");
        let http_requests = Family::<Labels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by status code",
            http_requests.clone(),
        );
        let http_connections_refused = Counter::default();
        registry.register(
            "http_connections_refused",
            "HTTP connections answered 503 because the connection cap was reached",
            http_connections_refused.clone(),
        );
        let http_connections_evicted = Counter::default();
        registry.register(
            "http_connections_evicted",
            "HTTP connections still waiting for their request head, closed at the cap to make room",
            http_connections_evicted.clone(),
        );
        let http_connections_awaiting_head = Gauge::default();
        registry.register(
            "http_connections_awaiting_head",
            "HTTP connections open and still waiting for their request head",
            http_connections_awaiting_head.clone(),
        );
        let http_connections_open = Gauge::default();
        registry.register(
            "http_connections_open",
            "HTTP connections holding a slot of the connection cap",
            http_connections_open.clone(),
        );
        let peer_connections_refused = Family::<Labels, Counter>::default();
        registry.register(
            "peer_connections_refused",
            "libp2p connections refused, by reason",
            peer_connections_refused.clone(),
        );
        let entries_committed = Counter::default();
        registry.register(
            "entries_committed",
            "Entries committed with every party's signature",
            entries_committed.clone(),
        );
        // 50 µs to about 3.3 s.
        let commit_latency = Histogram::new(exponential_buckets(0.000_05, 2.0, 17));
        registry.register(
            "commit_latency_seconds",
            "Time from an entry's proposal to its durable commit",
            commit_latency.clone(),
        );
        let determinism_faults = Counter::default();
        registry.register(
            "determinism_faults",
            "Proposals refused because this node computed a different entry",
            determinism_faults.clone(),
        );
        let determinism_faults_unacknowledged = Gauge::default();
        registry.register(
            "determinism_faults_unacknowledged",
            "Determinism faults recorded (at any time) that no operator acknowledged yet",
            determinism_faults_unacknowledged.clone(),
        );
        let proposals_refused = Family::<Labels, Counter>::default();
        registry.register(
            "proposals_refused",
            "Proposals refused, by reason",
            proposals_refused.clone(),
        );
        let breaker_trips = Counter::default();
        registry.register(
            "breaker_trips",
            "Evolution circuit breaker trips",
            breaker_trips.clone(),
        );
        let orders = Gauge::default();
        registry.register("orders", "Orders this node takes part in", orders.clone());
        let log_size = Gauge::default();
        registry.register(
            "log_size",
            "Leaves in this node's Merkle log",
            log_size.clone(),
        );
        let checkpoints_signed = Counter::default();
        registry.register(
            "checkpoints_signed",
            "Checkpoints this node signed",
            checkpoints_signed.clone(),
        );
        let checkpoints_witnessed = Counter::default();
        registry.register(
            "checkpoints_witnessed",
            "Peers' checkpoints this node cosigned after checking consistency",
            checkpoints_witnessed.clone(),
        );
        let peer_messages_refused = Counter::default();
        registry.register(
            "peer_messages_refused",
            "Peer messages refused as malformed or unexpected",
            peer_messages_refused.clone(),
        );
        let equivocations = Counter::default();
        registry.register(
            "equivocations",
            "Proofs kept that a sequencer signed two different entries at one position",
            equivocations.clone(),
        );
        let programs_cached = Gauge::default();
        registry.register(
            "programs_cached",
            "Compiled clause programs kept in memory (bounded)",
            programs_cached.clone(),
        );
        let program_cache_bytes = Gauge::default();
        registry.register(
            "program_cache_bytes",
            "Size of the compiled programs kept in memory, as canonically encoded",
            program_cache_bytes.clone(),
        );
        let programs_compiled = Counter::default();
        registry.register(
            "programs_compiled",
            "Clause programs compiled (programs stored by a genesis or an agreement are read back instead)",
            programs_compiled.clone(),
        );
        let peers = PeerStats::default();
        register_peer_stats(&mut registry, &peers);
        let orders_by_state = Family::<Labels, Gauge>::default();
        registry.register(
            "orders_by_state",
            "Orders this node takes part in, by state",
            orders_by_state.clone(),
        );
        let queued_facts = Gauge::default();
        registry.register(
            "queued_facts",
            "Facts accepted and waiting for a party's node",
            queued_facts.clone(),
        );
        let process_resident_memory_bytes = Gauge::default();
        registry.register(
            "process_resident_memory_bytes",
            "Resident memory of this process (VmRSS)",
            process_resident_memory_bytes.clone(),
        );
        let process_open_fds = Gauge::default();
        registry.register(
            "process_open_fds",
            "Open file descriptors of this process",
            process_open_fds.clone(),
        );
        let process_cpu_milliseconds = Gauge::default();
        registry.register(
            "process_cpu_milliseconds",
            "User and system CPU time of this process",
            process_cpu_milliseconds.clone(),
        );
        Metrics {
            registry,
            peers,
            orders_by_state,
            queued_facts,
            process_resident_memory_bytes,
            process_open_fds,
            process_cpu_milliseconds,
            programs_cached,
            program_cache_bytes,
            programs_compiled,
            equivocations,
            http_requests,
            http_connections_refused,
            http_connections_evicted,
            http_connections_awaiting_head,
            http_connections_open,
            peer_connections_refused,
            entries_committed,
            commit_latency,
            determinism_faults,
            determinism_faults_unacknowledged,
            proposals_refused,
            breaker_trips,
            orders,
            log_size,
            checkpoints_signed,
            checkpoints_witnessed,
            peer_messages_refused,
        }
    }

    /// Counts a refused proposal under `reason`.
    pub fn refused(&self, reason: &str) {
        self.proposals_refused
            .get_or_create(&vec![("reason", reason.to_string())])
            .inc();
    }

    /// The metrics in the OpenMetrics text format (process figures read just before).
    pub fn render(&self) -> String {
        self.observe_process();
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

impl Metrics {
    /// Reads this process's figures from `/proc` into their gauges.
    fn observe_process(&self) {
        let figures = crate::process_stats::figures(None);
        let set = |gauge: &Gauge, value: Option<u64>| {
            if let Some(value) = value {
                gauge.set(i64::try_from(value).unwrap_or(i64::MAX));
            }
        };
        set(&self.process_resident_memory_bytes, figures.rss_bytes);
        set(&self.process_open_fds, figures.open_fds);
        set(&self.process_cpu_milliseconds, figures.cpu_millis);
    }
}

fn register_peer_stats(registry: &mut Registry, peers: &PeerStats) {
    registry.register(
        "peer_requests",
        "Requests sent to a party's node",
        peers.requests.clone(),
    );
    registry.register(
        "peer_request_failures",
        "Requests to a party's node that got no answer (dial failed, timeout)",
        peers.failures.clone(),
    );
    registry.register(
        "peer_round_trip_micros",
        "Sum of the answered requests' round-trip times, in microseconds",
        peers.round_trip_micros.clone(),
    );
    registry.register(
        "peer_last_round_trip_micros",
        "Round-trip time of the last answered request, in microseconds",
        peers.last_round_trip_micros.clone(),
    );
    registry.register(
        "peer_queued_messages",
        "Messages waiting in a party's outbox",
        peers.queued.clone(),
    );
    registry.register(
        "peer_unreachable",
        "1 while a party's node did not answer the last request sent to it, else 0",
        peers.unreachable_now.clone(),
    );
    registry.register(
        "peer_requests_in_flight",
        "Requests to a party's node awaiting its answer",
        peers.in_flight.clone(),
    );
}

/// Content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_with_labels() {
        let metrics = Metrics::new();
        metrics.entries_committed.inc_by(3);
        metrics.refused("determinism");
        metrics.commit_latency.observe(0.001);
        let text = metrics.render();
        assert!(text.contains("pactum_entries_committed_total 3"), "{text}");
        assert!(
            text.contains("pactum_proposals_refused_total{reason=\"determinism\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("pactum_commit_latency_seconds_count 1"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
