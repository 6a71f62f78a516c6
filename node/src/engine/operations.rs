//! What an operator needs to see at a glance: orders by state, facts waiting for a party's
//! node, and why `/health` says `degraded`.
//!
//! `degraded` means the node runs but something needs a human: a party's node does not
//! answer (its orders wait), a determinism fault was recorded and no operator acknowledged
//! it yet (a party's node computed another entry than this one: a bug or tampering on one
//! side; see [`super::faults`]), or facts are queued. Each reason has a stable code, a count
//! and a message.

use std::collections::BTreeMap;

use contract_lang::render::english_count;
use serde_json::{json, Value};
use verifier::model::{OrderId, Outcome, Step};

use super::{queries::state_name, Inner};

/// Orders by state and the facts waiting in their queues.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OrderFigures {
    pub by_state: BTreeMap<&'static str, usize>,
    pub queued_facts: usize,
    pub orders_with_queued_facts: usize,
}

/// Every state an order can be in, so each is exported even at zero.
const STATES: [&str; 4] = ["running", "breaker_tripped", "in_review", "closed"];

impl Inner {
    /// Counts orders by state and queued facts (each order's lock taken in turn), and sets
    /// the matching gauges.
    pub(crate) async fn order_figures(&self) -> OrderFigures {
        let slots: Vec<_> = self
            .orders
            .read()
            .map(|orders| orders.values().cloned().collect())
            .unwrap_or_default();
        let mut figures = OrderFigures {
            by_state: STATES.iter().map(|state| (*state, 0)).collect(),
            ..OrderFigures::default()
        };
        for slot in slots {
            let slot = slot.lock().await;
            *figures
                .by_state
                .entry(state_name(&slot.protocol.core().state().status))
                .or_default() += 1;
            if slot.queued() > 0 {
                figures.queued_facts = figures.queued_facts.saturating_add(slot.queued());
                figures.orders_with_queued_facts += 1;
            }
        }
        for (state, count) in &figures.by_state {
            self.metrics
                .orders_by_state
                .get_or_create(&vec![("state", state.to_string())])
                .set(i64::try_from(*count).unwrap_or(i64::MAX));
        }
        self.metrics
            .queued_facts
            .set(i64::try_from(figures.queued_facts).unwrap_or(i64::MAX));
        figures
    }

    /// Why the node is degraded; empty when it is not.
    pub(crate) fn degraded_reasons(&self, figures: &OrderFigures) -> Vec<Value> {
        let mut reasons = Vec::new();
        for down in self.metrics.peers.unreachable() {
            reasons.push(json!({
                "code": "party_unreachable",
                "role": down.role,
                "key": down.key.to_string(),
                "since": down.since,
                "message": format!(
                    "the node of party `{}` did not answer the last request: {}",
                    down.role, down.error
                ),
            }));
        }
        reasons.extend(self.open_faults_reason());
        if figures.queued_facts > 0 {
            reasons.push(json!({
                "code": "facts_queued",
                "count": figures.queued_facts,
                "orders": figures.orders_with_queued_facts,
                "message": format!(
                    "{} of {} {} for a party's node",
                    english_count(figures.queued_facts, ["accepted fact", "accepted facts"]),
                    english_count(figures.orders_with_queued_facts, ["order", "orders"]),
                    if figures.queued_facts == 1 { "waits" } else { "wait" },
                ),
            }));
        }
        reasons
    }
}

/// Logs the steps an operator must hear about as they commit (on every party's node): a
/// breaker trip, a review decision, a close.
pub(crate) fn log_step(order: &OrderId, seq: u64, step: &Step) {
    match step {
        Step::Event(step) if matches!(step.outcome, Outcome::BreakerTripped { .. }) => {
            tracing::warn!(%order, seq, "evolution circuit breaker tripped: automatic amendments wait for a review signed by every party");
        }
        Step::Review(step) => {
            let decision = step.review.review().map(|review| review.decision).ok();
            tracing::info!(%order, seq, ?decision, "review decision committed");
        }
        Step::Close(_) => tracing::info!(%order, seq, "order closed"),
        Step::Agreement(_) => tracing::info!(%order, seq, "order amended by agreement"),
        _ => {}
    }
}
