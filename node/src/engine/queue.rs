//! Facts accepted while a party's node is unreachable: stored in arrival order and committed in
//! that order once the parties answer again, so a caller never resubmits.
//!
//! A fact is queued only when its round could not complete for want of an answer (a party's
//! node, or the sequencer's, unreachable); a fact the state machine or a party refuses is
//! answered with that refusal and not kept. Once an order has queued facts, newer facts queue
//! behind them, so facts commit in the order the node accepted them. A queued fact is removed
//! after its entry commits; if the node stops in between, the restarted node finds the fact
//! already recorded and drops it, so it is never applied twice.

use std::{collections::VecDeque, sync::Arc};

use verifier::model::{Digest, OrderId, SignedEvent};

use super::{
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

/// A fact waiting for its entry.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    /// Its place in the store (order id ‖ index).
    pub index: u64,
    pub hash: Digest,
    pub event: SignedEvent,
}

/// The queue of `order` as stored.
pub(crate) fn load(store: &Store, order: &OrderId) -> Result<VecDeque<Queued>, EngineError> {
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
        queue.push_back(Queued {
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

impl Inner {
    /// Stores `event` at the back of `slot`'s queue (durably, before answering).
    pub(crate) async fn enqueue(
        &self,
        slot: &mut Slot,
        event: SignedEvent,
    ) -> Result<Submitted, ApiError> {
        let hash = event.hash();
        if let Some(position) = slot.queue.iter().position(|queued| queued.hash == hash) {
            return Ok(Submitted::Queued {
                event: hash,
                position,
            });
        }
        let order = slot.core.order();
        let index = slot
            .queue
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
        slot.queue.push_back(Queued { index, hash, event });
        slot.refused.remove(&hash);
        tracing::info!(%order, event = %hash, queued = slot.queue.len(), "fact queued until every party's node answers");
        Ok(Submitted::Queued {
            event: hash,
            position: slot.queue.len().saturating_sub(1),
        })
    }

    /// Removes the front of `slot`'s queue (its entry committed, or it was refused).
    async fn dequeue(&self, slot: &mut Slot) {
        let Some(front) = slot.queue.pop_front() else {
            return;
        };
        let mut batch = WriteBatch::new();
        batch.remove(QUEUE, records::entry_key(&slot.core.order(), front.index));
        if let Err(error) = self.store.commit(batch).await {
            // Harmless: on restart the fact is found recorded and dropped then.
            tracing::warn!(%error, "cannot remove a committed fact from the queue");
        }
    }

    /// Commits (or forwards to the sequencer) every order's queued facts in order, each order
    /// until one of its parties' nodes does not answer.
    pub(crate) async fn drain_queues(self: &Arc<Self>) {
        let slots: Vec<_> = self
            .orders
            .read()
            .map(|orders| orders.values().cloned().collect())
            .unwrap_or_default();
        for slot in slots {
            if slot.lock().await.queue.is_empty() {
                continue;
            }
            self.drain(&slot).await;
        }
    }

    async fn drain(self: &Arc<Self>, slot: &tokio::sync::Mutex<Slot>) {
        loop {
            let (hash, event, sequencing) = {
                let mut guard = slot.lock().await;
                let Some(front) = guard.queue.front() else {
                    return;
                };
                let (hash, event) = (front.hash, front.event.clone());
                if guard.seen.contains_key(&hash) {
                    self.dequeue(&mut guard).await;
                    continue;
                }
                let contract = guard.core.contract();
                let sequencing = contract.parties.get(&contract.sequencer) == Some(&self.public);
                (hash, event, sequencing)
            };
            let outcome = if sequencing {
                let mut guard = slot.lock().await;
                match guard.core.prepare_event(&guard.seen, &event) {
                    Ok(sealed) => self.run_round(&mut guard, sealed, None).await.map(|_| ()),
                    Err(refusal) => Err(refusal.to_api()),
                }
            } else {
                // Forwarded without the order's lock: the sequencer asks this node to cosign.
                let core = slot.lock().await.core.clone();
                match self.forward(&core, event).await {
                    // Queued at the sequencer's node in turn: kept here too until its entry
                    // commits (then found recorded above), so that this node, which
                    // accepted it, also reports it committed (`queued_fact_committed`).
                    Ok(Submitted::Queued { .. }) => return,
                    answer => answer.map(|_| ()),
                }
            };
            let mut guard = slot.lock().await;
            if guard.queue.front().map(|front| front.hash) != Some(hash) {
                continue;
            }
            match outcome {
                Ok(()) => {
                    tracing::info!(event = %hash, "a queued fact was committed");
                    self.dequeue(&mut guard).await;
                }
                Err(error) if retry_later(&error) => return,
                Err(error) => {
                    tracing::warn!(event = %hash, code = %error.code, %error, "a queued fact was refused");
                    if guard.refused.len() >= MAX_REMEMBERED_REFUSALS {
                        guard.refused.pop_first();
                    }
                    guard
                        .refused
                        .insert(hash, (error.code.clone(), error.message.clone()));
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
        let stored = records::read_entry(&self.store, &slot.core.order(), seq)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let stored = stored.ok_or_else(|| ApiError::internal(format!("entry {seq} is missing")))?;
        Ok(Committed {
            seq,
            entry: stored.entry.hash(),
        })
    }

    /// What became of a fact submitted to `slot`'s order, if this node knows it.
    pub(crate) fn fact_status(&self, slot: &Slot, hash: &Digest) -> Option<FactStatus> {
        if let Some(seq) = slot.seen.get(hash) {
            return self
                .entry_hash_at(slot, *seq)
                .ok()
                .map(FactStatus::Committed);
        }
        if let Some(position) = slot.queue.iter().position(|queued| queued.hash == *hash) {
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

/// What became of a submitted fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FactStatus {
    Committed(Committed),
    Queued { position: usize },
    Refused { code: String, message: String },
}
