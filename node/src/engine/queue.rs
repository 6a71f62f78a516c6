//! Facts accepted while a party's node is unreachable, stored in arrival order and committed in
//! that order once the parties answer again, so a caller never resubmits.
//!
//! At the sequencer the protocol core keeps the queue and decides (`protocol_core`): a fact
//! whose round could not complete for want of an answer is queued; a refusal is answered and
//! not kept; once an order has queued facts, newer facts queue behind them; each tick the core
//! proposes the oldest, one round after another. The driver stores the queue (space `queue`)
//! as the core says. At a cosigner, a fact whose sequencer's node did not answer waits here to
//! be forwarded. A queued fact's record is removed in the batch that stores its entry (the
//! driver's `persist`), on either side; a fact found already recorded (a store written
//! before that) is dropped on the next drain, so it is never applied twice.

use std::{collections::VecDeque, sync::Arc};

use verifier::model::{Digest, OrderId, SignedEvent};

use super::{
    driver::{core_error, Outcome},
    protocol_core::{CoreError, Input, QueuedFact, Reply},
    records::{self, RecordError, QUEUE},
    sequencer::{Committed, Submitted},
    EngineError, Inner, Slot,
};
use crate::{
    api::ApiError,
    durable::{Store, WriteBatch},
};

/// Most refused queued facts remembered per order for their status URL.
const MAX_REMEMBERED_REFUSALS: usize = 256;

/// The queue of `order` as stored.
pub(crate) fn load(store: &Store, order: &OrderId) -> Result<VecDeque<QueuedFact>, EngineError> {
    let mut queue = VecDeque::new();
    for item in store.scan_prefix(QUEUE, order.as_bytes()) {
        let (key, bytes) = item.map_err(RecordError::from)?;
        let event: SignedEvent = records::decode("queued fact", &bytes)?;
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
            hash: event.hash(),
            event,
        });
    }
    Ok(queue)
}

/// Whether a failed submission is worth retrying later rather than answering as refused.
pub(crate) fn retry_later(error: &ApiError) -> bool {
    error.status == 503 || matches!(error.code.as_str(), "party_unreachable" | "behind")
}

impl Slot {
    /// Facts accepted and not yet committed: queued at the sequencer, or waiting here to be
    /// forwarded to it.
    pub(crate) fn queued(&self) -> usize {
        self.protocol
            .queue()
            .len()
            .saturating_add(self.forwarding.len())
    }

    /// Remembers why a queued fact was refused, for its status URL.
    pub(crate) fn remember_refusal(&mut self, hash: Digest, error: &CoreError) {
        let error = core_error(error);
        self.remember(hash, error.code, error.message);
    }

    fn remember(&mut self, hash: Digest, code: String, message: String) {
        if self.refused.len() >= MAX_REMEMBERED_REFUSALS {
            self.refused.pop_first();
        }
        self.refused.insert(hash, (code, message));
    }
}

impl Inner {
    /// Stores `event` at the back of `slot`'s forwarding queue (durably, before answering):
    /// a fact for an order sequenced elsewhere whose sequencer's node did not answer.
    pub(crate) async fn enqueue(
        &self,
        slot: &mut Slot,
        event: SignedEvent,
    ) -> Result<Submitted, ApiError> {
        let hash = event.hash();
        if let Some(position) = slot
            .forwarding
            .iter()
            .position(|queued| queued.hash == hash)
        {
            return Ok(Submitted::Queued {
                event: hash,
                position,
            });
        }
        let order = slot.protocol.core().order();
        let index = slot
            .forwarding
            .back()
            .map_or(0, |queued| queued.index.saturating_add(1));
        let mut batch = WriteBatch::new();
        batch.put(
            QUEUE,
            records::entry_key(&order, index),
            records::encode("queued fact", &event)
                .map_err(|e| ApiError::internal(e.to_string()))?,
        );
        self.store
            .commit(batch)
            .await
            .map_err(|e| ApiError::unavailable("store_failed", e.to_string()))?;
        slot.forwarding.push_back(QueuedFact { index, hash, event });
        slot.refused.remove(&hash);
        tracing::info!(%order, event = %hash, queued = slot.forwarding.len(), "fact queued until the sequencer's node answers");
        Ok(Submitted::Queued {
            event: hash,
            position: slot.forwarding.len().saturating_sub(1),
        })
    }

    /// Removes the front of `slot`'s forwarding queue (its entry committed, or it was refused).
    async fn dequeue(&self, slot: &mut Slot) {
        let Some(front) = slot.forwarding.pop_front() else {
            return;
        };
        let mut batch = WriteBatch::new();
        batch.remove(
            QUEUE,
            records::entry_key(&slot.protocol.core().order(), front.index),
        );
        if let Err(error) = self.store.commit(batch).await {
            // Harmless: on restart the fact is found recorded and dropped then.
            tracing::warn!(%error, "cannot remove a committed fact from the queue");
        }
    }

    /// Commits every sequenced order's queued facts in order (the core proposes them, one
    /// round after another, until a party's node does not answer), and forwards facts queued
    /// for other sequencers.
    pub(crate) async fn drain_queues(self: &Arc<Self>) {
        let slots: Vec<_> = self
            .orders
            .read()
            .map(|orders| orders.values().cloned().collect())
            .unwrap_or_default();
        for slot in slots {
            let (sequenced, forwarding) = {
                let slot = slot.lock().await;
                (
                    !slot.protocol.queue().is_empty(),
                    !slot.forwarding.is_empty(),
                )
            };
            if sequenced {
                let mut slot = slot.lock().await;
                self.drive(&mut slot, Input::Tick).await;
            }
            if forwarding {
                self.forward_queued(&slot).await;
            }
        }
    }

    /// Forwards `slot`'s queued facts to the order's sequencer, in order, until it does not
    /// answer.
    async fn forward_queued(self: &Arc<Self>, slot: &tokio::sync::Mutex<Slot>) {
        loop {
            let (hash, event, core) = {
                let mut guard = slot.lock().await;
                let Some(front) = guard.forwarding.front() else {
                    return;
                };
                let (hash, event) = (front.hash, front.event.clone());
                if guard.protocol.seen().contains_key(&hash) {
                    tracing::info!(event = %hash, "a queued fact was committed");
                    self.dequeue(&mut guard).await;
                    continue;
                }
                (hash, event, guard.protocol.core().clone())
            };
            // Forwarded without the order's lock: the sequencer asks this node to cosign.
            let outcome = match self.forward(&core, event).await {
                // Queued at the sequencer's node in turn, or committed there: kept here until
                // its entry commits here (then found recorded above, or when a catch-up brings
                // it), so that this node, which accepted it, also reports it committed
                // (`queued_fact_committed`) however the answers and the entry race.
                Ok(Submitted::Queued { .. } | Submitted::Committed(_)) => return,
                answer => answer.map(|_| ()),
            };
            let mut guard = slot.lock().await;
            if guard.forwarding.front().map(|front| front.hash) != Some(hash) {
                continue;
            }
            match outcome {
                Ok(()) => return,
                Err(error) if retry_later(&error) => return,
                Err(error) => {
                    tracing::warn!(event = %hash, code = %error.code, %error, "a queued fact was refused");
                    guard.remember(hash, error.code.clone(), error.message.clone());
                    self.dequeue(&mut guard).await;
                }
            }
        }
    }

    /// The entry hash at `seq` of `slot`'s order (its head, or read back).
    pub(crate) fn entry_hash_at(&self, slot: &Slot, seq: u64) -> Result<Committed, ApiError> {
        if seq == slot.head.seq {
            return Ok(Committed {
                seq,
                entry: slot.head.entry,
            });
        }
        let stored = records::read_entry(&self.store, &slot.protocol.core().order(), seq)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let stored = stored.ok_or_else(|| ApiError::internal(format!("entry {seq} is missing")))?;
        Ok(Committed {
            seq,
            entry: stored.entry.hash(),
        })
    }

    /// What became of a fact submitted to `slot`'s order, if this node knows it.
    pub(crate) fn fact_status(&self, slot: &Slot, hash: &Digest) -> Option<FactStatus> {
        if let Some(seq) = slot.protocol.seen().get(hash) {
            return self
                .entry_hash_at(slot, *seq)
                .ok()
                .map(FactStatus::Committed);
        }
        let queued = slot
            .protocol
            .queue()
            .iter()
            .chain(slot.forwarding.iter())
            .position(|queued| queued.hash == *hash);
        if let Some(position) = queued {
            return Some(FactStatus::Queued { position });
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
    match outcome.into_reply()? {
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
