//! A simulated node's store as the node's driver leaves it at a crash: the writes in the order
//! they were queued to the store's committer, of which a prefix is known durable.
//!
//! The store's committer applies batches in the order queued and flushes them in groups, so
//! what survives a crash is always a prefix of the queued batches, and a flush covers every
//! batch queued before it. The driver waits for the flush of some writes before its next
//! action and not of others (`engine/driver.rs`):
//! - flushed before anything after it: an entry this node sequenced (rule 1: durable before it
//!   is announced), a queued fact (before it is answered as accepted, at the sequencer's node or
//!   at a cosigner's that forwards it), a fact removed from the queue without its entry
//!   (refused, or recorded earlier), a proof of equivocation, that this node cosigned a close
//!   (before its cosignature leaves);
//! - not waited for: an entry a cosigner commits (its `commit_finish` runs in a spawned task
//!   and the order is released before the flush), with the removal of the fact it records
//!   from this node's queue (same batch), and here another order's entry this node cosigned.
//!
//! At a crash the unflushed suffix is lost in whole or in part; the node restarts from the rest
//! ([`Durable`]), as `Inner::replay` reloads an order from sled.

use std::collections::BTreeMap;

use verifier::model::SignedEntry;

use crate::engine::{protocol_core::QueuedFact, records::WitnessedRecord};

/// One batch queued to the store.
#[derive(Debug, Clone)]
pub(super) enum Write {
    /// A committed entry of the order, with its log leaf and, if it records a fact this node
    /// queued, that fact's removal from the queue (the driver's `persist`: one batch).
    Entry {
        entry: SignedEntry,
        dequeued: Option<u64>,
    },
    /// Another order's leaf in the node's log.
    Other(Vec<u8>),
    /// Facts queued together until every party's node answers (one batch).
    Enqueue(Vec<QueuedFact>),
    /// The queued fact at this index left the queue (committed or refused).
    Dequeue(u64),
    /// A proof that the sequencer signed two bodies at this seq.
    Evidence(u64),
    /// This node cosigned a close proposed after this seq.
    CosignedClose(u64),
    /// A checkpoint of this node's log, witnessed (`checkpoints.rs::make_checkpoint` stores
    /// it, flushed, once its witnesses answered).
    Checkpoint { size: u64, note: String },
    /// The last checkpoint this node cosigned of the log whose `witness::memory_key` is
    /// `memory` (`checkpoints.rs::on_witness` stores it, flushed, before the cosignature
    /// leaves).
    Witnessed {
        memory: Vec<u8>,
        record: WitnessedRecord,
    },
}

impl Write {
    /// Whether it is a leaf of the node's log.
    fn is_leaf(&self) -> bool {
        matches!(self, Write::Entry { .. } | Write::Other(_))
    }
}

/// The writes of one node, the first `flushed` of them durable.
#[derive(Debug, Clone, Default)]
pub(super) struct Disk {
    writes: Vec<Write>,
    flushed: usize,
}

/// What a node restarts from.
pub(super) struct Durable<'a> {
    pub writes: &'a [Write],
    /// The queued facts left, in queue order.
    pub queue: Vec<QueuedFact>,
    /// The last close this node cosigned: the seq it was proposed after.
    pub cosigned_close: Option<u64>,
    /// The largest checkpoint of its log it stored (as `CheckpointState::load` reads it).
    pub latest: Option<(u64, String)>,
    /// By log (`witness::memory_key`), the last checkpoint of another party's log it
    /// cosigned.
    pub witnessed: BTreeMap<Vec<u8>, WitnessedRecord>,
}

impl Disk {
    /// Queues `write`; `flush`: the driver waits for it (and so for everything before it) to
    /// be durable before its next action.
    pub fn write(&mut self, write: Write, flush: bool) {
        self.writes.push(write);
        if flush {
            self.flush();
        }
    }

    /// The committer flushed everything queued so far.
    pub fn flush(&mut self) {
        self.flushed = self.writes.len();
    }

    /// Writes queued and not yet known durable.
    pub fn unflushed(&self) -> usize {
        self.writes.len() - self.flushed
    }

    /// Leaves of the node's log known durable (`NodeLog::durable_size`): what a checkpoint
    /// covers.
    pub fn durable_leaves(&self) -> u64 {
        self.writes[..self.flushed]
            .iter()
            .filter(|write| write.is_leaf())
            .count() as u64
    }

    /// A crash: of the unflushed writes, the first `kept` reached the disk anyway and the
    /// rest are lost. How many were lost.
    pub fn crash(&mut self, kept: usize) -> usize {
        let survive = self.flushed.saturating_add(kept).min(self.writes.len());
        let lost = self.writes.len() - survive;
        self.writes.truncate(survive);
        self.flushed = survive;
        lost
    }

    /// Everything written, as a restarted node reads it back.
    pub fn durable(&self) -> Durable<'_> {
        let mut queue = BTreeMap::new();
        let mut cosigned_close = None;
        let mut latest: Option<(u64, String)> = None;
        let mut witnessed = BTreeMap::new();
        for write in &self.writes {
            match write {
                Write::Enqueue(facts) => {
                    for fact in facts {
                        queue.insert(fact.index, fact.clone());
                    }
                }
                Write::Dequeue(index)
                | Write::Entry {
                    dequeued: Some(index),
                    ..
                } => {
                    queue.remove(index);
                }
                Write::CosignedClose(after_seq) => cosigned_close = Some(*after_seq),
                // Stored under its size: the largest is read back.
                Write::Checkpoint { size, note } => {
                    if latest.as_ref().is_none_or(|(last, _)| last <= size) {
                        latest = Some((*size, note.clone()));
                    }
                }
                Write::Witnessed { memory, record } => {
                    witnessed.insert(memory.clone(), *record);
                }
                Write::Entry { dequeued: None, .. } | Write::Other(_) | Write::Evidence(_) => {}
            }
        }
        Durable {
            writes: &self.writes,
            queue: queue.into_values().collect(),
            cosigned_close,
            latest,
            witnessed,
        }
    }
}
