//! Facts accepted while a party's node is unreachable, stored in arrival order and committed in
//! that order once the parties answer again, so a caller never resubmits.
//!
//! At the sequencer the protocol core keeps the queue and decides (`protocol_core`): a fact
//! whose round could not complete for want of an answer is queued; a refusal is answered and
//! not kept; once an order has queued facts, newer facts queue behind them; each tick the core
//! proposes the oldest, one round after another. The driver stores the queue (space `queue`)
//! as the core says. At a cosigner the core queues every fact submitted there (durably, before
//! forwarding it: `Message::Forward`, a request the driver makes without holding the order)
//! and keeps it until its entry commits here; facts its sequencer's node did not take are
//! forwarded again, oldest first, on the next tick — a document's facts together, and refused
//! together (each record keeps which document it came with, see [`QueuedRecord`]). A queued fact's record is removed in the
//! batch that stores its entry (the driver's `persist`), on either side; a fact found already
//! recorded (a store written before that) is dropped on the next drain, so it is never applied
//! twice.

use std::{collections::VecDeque, sync::Arc};

use serde::{Deserialize, Serialize};
use verifier::model::{Digest, OrderId, SignedEvent};

use super::{
    driver::{core_error, Outcome, Stored},
    protocol_core::{CoreError, Input, QueuedFact, Reply},
    records::{self, RecordError, QUEUE},
    sequencer::{Committed, Submitted},
    EngineError, Inner, Slot,
};
use crate::{api::ApiError, durable::Store};

/// Most refused queued facts remembered per order for their status URL.
const MAX_REMEMBERED_REFUSALS: usize = 256;

/// A queued fact as stored: the fact's own fields, and the store index of the first fact of
/// the document it came with when that is not its own. A fact submitted alone is stored
/// without it, byte for byte as before documents were kept together, so older records read
/// as facts submitted alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct QueuedRecord {
    #[serde(flatten)]
    pub event: SignedEvent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<u64>,
}

/// The stored bytes of a queued fact (see [`QueuedRecord`]).
pub(crate) fn encode(fact: &QueuedFact) -> Result<Vec<u8>, RecordError> {
    if fact.group == fact.index {
        return records::encode("queued fact", &fact.event);
    }
    let record = QueuedRecord {
        event: fact.event.clone(),
        group: Some(fact.group),
    };
    records::encode("queued fact", &record)
}

/// The queue of `order` as stored.
pub(crate) fn load(store: &Store, order: &OrderId) -> Result<VecDeque<QueuedFact>, EngineError> {
    let mut queue = VecDeque::new();
    for item in store.scan_prefix(QUEUE, order.as_bytes()) {
        let (key, bytes) = item.map_err(RecordError::from)?;
        let record: QueuedRecord = records::decode("queued fact", &bytes)?;
        let index = key
            .get(32..40)
            .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
            .map(u64::from_be_bytes)
            .ok_or_else(|| EngineError::Load {
                order: *order,
                message: "a queued fact is stored under a malformed key".into(),
            })?;
        queue.push_back(QueuedFact {
            index,
            hash: record.event.hash(),
            event: record.event,
            group: record.group.unwrap_or(index),
        });
    }
    Ok(queue)
}

/// Whether a refusal code from another node means "not now" (its node or store could not
/// take the fact) rather than a judgement of the fact: forwarded facts stay queued then.
pub(crate) fn retry_later_code(code: &str) -> bool {
    matches!(
        code,
        "party_unreachable" | "behind" | "store_failed" | "network_failed" | "no_answer"
    )
}

impl Slot {
    /// Facts accepted and not yet committed: queued at the sequencer, or here until their
    /// entries commit (forwarded to the sequencer, or waiting to be).
    pub(crate) fn queued(&self) -> usize {
        self.protocol.queue().len()
    }

    /// Remembers why a queued fact was refused, for its status URL.
    pub(crate) fn remember_refusal(&mut self, hash: Digest, error: &CoreError) {
        let error = core_error(error);
        self.remember(hash, error.code.to_string(), error.message);
    }

    pub(crate) fn remember(&mut self, hash: Digest, code: String, message: String) {
        if self.refused.len() >= MAX_REMEMBERED_REFUSALS {
            self.refused.pop_first();
        }
        self.refused.insert(hash, (code, message));
    }
}

impl Inner {
    /// Hands every order with queued facts a tick: a sequencer commits them in order (the
    /// core proposes them, one round after another, until a party's node does not answer); a
    /// cosigner forwards them to the sequencer (the core decides what and when).
    pub(crate) async fn drain_queues(self: &Arc<Self>) {
        let slots: Vec<_> = self
            .orders
            .read()
            .map(|orders| orders.values().cloned().collect())
            .unwrap_or_default();
        for slot in slots {
            let mut slot = slot.lock().await;
            if !slot.protocol.queue().is_empty() {
                self.drive(&mut slot, Input::Tick).await;
            }
        }
    }

    /// What became of a fact submitted to `slot`'s order, if this node knows it: recorded or
    /// queued as the order's core says ([`super::protocol_core::OrderProtocol::fact_status`],
    /// the one place that knows), else refused as this node remembers.
    pub(crate) fn fact_status(&self, slot: &Slot, hash: &Digest) -> Option<FactStatus> {
        let history = Stored {
            inner: self,
            order: slot.protocol.core().order(),
        };
        match slot.protocol.fact_status(hash, &history) {
            Some(Reply::Committed { seq, entry }) => {
                return Some(FactStatus::Committed(Committed { seq, entry }))
            }
            Some(Reply::Queued { position, .. }) => return Some(FactStatus::Queued { position }),
            _ => {}
        }
        slot.refused
            .get(hash)
            .map(|(code, message)| FactStatus::Refused {
                code: code.clone(),
                message: message.clone(),
            })
    }
}

/// What a submitted fact came to, from what driving the core came to.
pub(crate) fn submitted(outcome: Outcome) -> Result<Submitted, ApiError> {
    submitted_reply(outcome.into_reply()?)
}

/// What a submitted fact came to, from the core's reply.
pub(crate) fn submitted_reply(reply: Reply) -> Result<Submitted, ApiError> {
    match reply {
        Reply::Committed { seq, entry } => Ok(Submitted::Committed(Committed { seq, entry })),
        Reply::Queued { event, position } => Ok(Submitted::Queued { event, position }),
        other => Err(ApiError::internal(format!(
            "the order's core answered a fact with {other:?}"
        ))),
    }
}

/// What became of a submitted fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FactStatus {
    Committed(Committed),
    Queued { position: usize },
    Refused { code: String, message: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::ExampleOrders;

    #[test]
    fn a_queued_facts_document_survives_storage_and_older_records_read_as_alone() {
        let orders = ExampleOrders::new().unwrap();
        let event = orders.fact(verifier::model::Digest([1; 32]), 0).unwrap();
        let fact = |index, group| QueuedFact {
            index,
            hash: event.hash(),
            event: event.clone(),
            group,
        };
        let decode = |bytes: &[u8]| records::decode::<QueuedRecord>("queued fact", bytes).unwrap();
        // A fact of a document keeps its document.
        let stored = encode(&fact(4, 3)).unwrap();
        assert_eq!(decode(&stored).group, Some(3));
        assert_eq!(decode(&stored).event, event);
        // A fact alone is stored as before; a record from before reads as a fact alone.
        let alone = encode(&fact(4, 4)).unwrap();
        let older = records::encode("queued fact", &event).unwrap();
        assert_eq!(alone, older);
        assert_eq!(decode(&older).group, None);
    }
}
