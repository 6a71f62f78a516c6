//! Outcomes out: the event journal behind webhooks and `GET /events`, and the durable webhook
//! outbox.
//!
//! When the engine commits an entry it asks [`Events::stage_entry`] to add, to the SAME write
//! batch, the events the entry yields ([`kinds::EntryEvents`]) in the journal (space `events`,
//! by id; each a reference to the entry, [`OfEntry`], rendered when read) and one outbox row
//! per webhook subscribed to each (space `webhook_outbox`). So an entry is never durable
//! without its deliveries, whatever happens to the process after the flush.
//! Event ids increase in commit order: they are allocated under the engine's log lock, which
//! also orders the batches into the store.
//!
//! Nothing is shown before it is durable: [`Events::durable`] advances a watermark once the
//! batch's flush is acknowledged, and deliveries ([`delivery`]) and the event stream read only
//! up to it. After a restart everything in the store is durable.
//!
//! The journal keeps the newest [`EventsConfig::retention`] events (each staged event removes
//! the one that many before it, in the same batch): a webhook whose receiver stays down longer
//! than that loses its oldest deliveries (logged), and `GET /events` resumes from the oldest kept.

pub mod delivery;
pub mod kinds;
pub mod receiver;
pub mod schedule;
pub mod signature;
pub mod webhooks;

use std::{
    collections::{hash_map, HashMap},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, RwLock,
    },
};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use verifier::model::{Contract, EntryBody, OrderId};

use crate::{
    durable::{Space, Store, StoreError, WriteBatch},
    engine::records::{self, EntryRecord, RecordError},
};
pub use kinds::{EventKind, Staged};
pub use webhooks::{Webhook, WebhookError};

/// Event id (u64 BE) → [`EventRecord`].
pub const JOURNAL: Space = Space::new("events");
/// Webhook id (8 bytes) → [`webhooks::WebhookRecord`]: webhooks created through the API.
pub const WEBHOOKS: Space = Space::new("webhooks");
/// Webhook id (8 bytes) ‖ event id (u64 BE) → [`delivery::DeliveryState`]: deliveries to make.
pub const OUTBOX: Space = Space::new("webhook_outbox");

/// Default number of events the journal keeps.
pub const DEFAULT_RETENTION: u64 = 1_000_000;

/// One event: its kind and the exact JSON body delivered and streamed (as read; in the journal
/// an entry's event holds [`OfEntry`] instead of its body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    pub kind: EventKind,
    /// The JSON delivered and streamed; empty in the journal for an event of an entry (read
    /// from [`EventRecord::of_entry`]).
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// An event of a committed entry, kept as a reference to it and rendered when read
    /// (journals written before hold every body rendered: this is absent; absent when `None`,
    /// so their records are still the canonical encoding of what they decode to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of_entry: Option<OfEntry>,
}

/// What rendering a page of events has read already: the orders' contracts, and the entry of
/// the last event rendered.
#[derive(Default)]
struct ReadSoFar {
    contracts: HashMap<OrderId, Contract>,
    entry: Option<(OrderId, u64, EntryRecord, EntryBody)>,
}

/// Which event of which committed entry a journal record is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfEntry {
    pub order: OrderId,
    pub seq: u64,
    /// Its place among the events the entry yields ([`kinds::EntryEvents`]).
    pub index: u32,
    /// The entry records a fact this node had queued.
    pub queued: bool,
    /// When it was staged (the envelope's `created_at_us`).
    pub created_at_us: u64,
}

/// How the journal and the deliveries behave.
#[derive(Debug, Clone)]
pub struct EventsConfig {
    /// Events kept in the journal.
    pub retention: u64,
    /// Webhooks from the configuration file.
    pub webhooks: Vec<Webhook>,
    /// Time allowed for one delivery's request and answer.
    pub delivery_timeout: std::time::Duration,
    /// Whom deliveries to `https://` trust (`[events] ca_file`); `None`: the system's CAs.
    pub tls: Option<ureq::tls::TlsConfig>,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            retention: DEFAULT_RETENTION,
            webhooks: Vec::new(),
            delivery_timeout: std::time::Duration::from_secs(10),
            tls: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Webhook(#[from] WebhookError),
}

/// The journal, the webhooks and the durable watermark. Shared by the engine (staging), the
/// delivery tasks and the HTTP layer.
pub struct Events {
    store: Arc<Store>,
    config: EventsConfig,
    /// The next event id to allocate.
    next: AtomicU64,
    /// The highest event id known durable.
    durable: watch::Sender<u64>,
    /// Current subscriptions: the configuration file's, then the API's.
    webhooks: RwLock<Vec<Webhook>>,
    /// Woken when webhooks are created or deleted.
    pub(crate) changed: Arc<tokio::sync::Notify>,
    /// Set when the node stops: event streams end (so an open stream does not hold the HTTP
    /// server's shutdown).
    closing: watch::Sender<bool>,
}

impl Events {
    /// Opens the journal in `store`: ids continue after the last stored event, which is
    /// durable (it survived a restart). Outbox rows of webhooks that no longer exist (removed
    /// from the configuration file) are dropped.
    pub fn open(store: Arc<Store>, config: EventsConfig) -> Result<Arc<Events>, EventsError> {
        let last = match store.last_with_prefix(JOURNAL, [])? {
            Some((key, _)) => event_id_of(&key).unwrap_or(0),
            None => 0,
        };
        let mut webhooks = config.webhooks.clone();
        webhooks.extend(webhooks::load(&store)?);
        let (durable, _) = watch::channel(last);
        let events = Arc::new(Events {
            store,
            config,
            next: AtomicU64::new(last.saturating_add(1)),
            durable,
            webhooks: RwLock::new(webhooks),
            changed: Arc::new(tokio::sync::Notify::new()),
            closing: watch::channel(false).0,
        });
        events.drop_orphaned_deliveries()?;
        Ok(events)
    }

    /// Adds `staged` events to `batch` (the batch committing the entry they come from), with
    /// an outbox row for each subscribed webhook. Call under the lock that orders batches into
    /// the store. Returns the last id allocated, to pass to [`Events::durable`] once the batch
    /// is acknowledged.
    pub fn stage(&self, batch: &mut WriteBatch, staged: Vec<Staged>) -> Option<u64> {
        let mut last = None;
        for event in staged {
            let id = self.next_id();
            let record = EventRecord {
                kind: event.kind,
                body: envelope(id, &event, receiver::now_us()),
                of_entry: None,
            };
            last = self.journal(batch, id, &record).or(last);
        }
        last
    }

    /// Adds the events the committed `entry` yields (see [`kinds::EntryEvents`]) to `batch`,
    /// as [`Events::stage`] does, each kept as a reference to the entry, its data rendered
    /// when it is read: rendering and storing every entry's events as it committed cost the
    /// commit path about an eighth of its CPU (ARCHITECTURE.md, "An entry's events are kept by reference").
    pub fn stage_entry(
        &self,
        batch: &mut WriteBatch,
        entry: &kinds::EntryEvents<'_>,
    ) -> Option<u64> {
        let created_at_us = receiver::now_us();
        let mut last = None;
        for (index, kind) in (0u32..).zip(entry.kinds()) {
            let id = self.next_id();
            let record = EventRecord {
                kind,
                body: Vec::new(),
                of_entry: Some(OfEntry {
                    order: entry.body.order,
                    seq: entry.body.seq,
                    index,
                    queued: entry.was_queued,
                    created_at_us,
                }),
            };
            last = self.journal(batch, id, &record).or(last);
        }
        last
    }

    fn next_id(&self) -> u64 {
        self.next.fetch_add(1, Ordering::SeqCst)
    }

    /// Writes one event into the journal (dropping the one past the retention) and its
    /// deliveries into the outbox; its id, if it could be encoded.
    fn journal(&self, batch: &mut WriteBatch, id: u64, record: &EventRecord) -> Option<u64> {
        let bytes = records::encode("event", record).ok()?;
        batch.put(JOURNAL, id.to_be_bytes(), bytes);
        if let Some(expired) = id.checked_sub(self.config.retention) {
            batch.remove(JOURNAL, expired.to_be_bytes());
        }
        // Read under the lock, not copied: this runs for every committed entry.
        let webhooks = self
            .webhooks
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for webhook in webhooks.iter() {
            if webhook.kinds.contains(&record.kind) {
                batch.put(
                    OUTBOX,
                    outbox_key(&webhook.id, id),
                    delivery::DeliveryState::NEW.encode(),
                );
            }
        }
        Some(id)
    }

    /// A journal record as delivered and streamed: an event of an entry is rendered from the
    /// entry (`read`: what rendering the events before it read already).
    fn rendered(
        &self,
        id: u64,
        mut record: EventRecord,
        read: &mut ReadSoFar,
    ) -> Result<EventRecord, EventsError> {
        let Some(of) = &record.of_entry else {
            return Ok(record);
        };
        let corrupt = |what: String| {
            EventsError::Record(RecordError::Corrupt {
                what: "event",
                message: format!(
                    "event {id} is of entry {} of order {}, but {what}",
                    of.seq, of.order
                ),
            })
        };
        let contract = match read.contracts.entry(of.order) {
            hash_map::Entry::Occupied(known) => known.into_mut(),
            hash_map::Entry::Vacant(vacant) => {
                let (order, _) = records::read_order(&self.store, &of.order)?
                    .ok_or_else(|| corrupt("the order is not stored".into()))?;
                let contract = order
                    .contract
                    .contract()
                    .map_err(|error| corrupt(format!("its contract does not decode: {error}")))?;
                vacant.insert(contract)
            }
        };
        let (stored, body) = match read.entry.take() {
            // The entry of the event before: an entry's events are consecutive.
            Some((order, seq, stored, body)) if (order, seq) == (of.order, of.seq) => {
                (stored, body)
            }
            _ => {
                let stored = records::read_entry(&self.store, &of.order, of.seq)?
                    .ok_or_else(|| corrupt("the entry is not stored".into()))?;
                let body = stored
                    .entry
                    .entry()
                    .map_err(|error| corrupt(format!("the entry does not decode: {error}")))?;
                (stored, body)
            }
        };
        let staged = kinds::EntryEvents {
            contract,
            entry: &stored.entry,
            body: &body,
            leaf: stored.leaf,
            was_queued: of.queued,
        }
        .event(usize::try_from(of.index).unwrap_or(usize::MAX))
        .ok_or_else(|| corrupt(format!("the entry yields no event {}", of.index)))?;
        record.body = envelope(id, &staged, of.created_at_us);
        read.entry = Some((of.order, of.seq, stored, body));
        Ok(record)
    }

    /// The events up to `id` are durable: deliveries and streams may show them.
    pub fn durable(&self, id: u64) {
        self.durable.send_if_modified(|durable| {
            let advanced = id > *durable;
            *durable = (*durable).max(id);
            advanced
        });
    }

    /// The highest durable event id, and a receiver woken whenever it grows.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.durable.subscribe()
    }

    /// Ends the event streams: the node is stopping.
    pub fn close_streams(&self) {
        self.closing.send_replace(true);
    }

    /// Becomes true when the node stops.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Durable events after `after`, oldest first, at most `limit`.
    pub fn read_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, EventRecord)>, EventsError> {
        let durable = *self.durable.borrow();
        let mut events = Vec::new();
        let mut read = ReadSoFar::default();
        let start = after.saturating_add(1);
        if start > durable {
            return Ok(events);
        }
        for item in self.store.scan_range(JOURNAL, start.to_be_bytes()) {
            let (key, value) = item?;
            let Some(id) = event_id_of(&key) else {
                continue;
            };
            if id > durable || events.len() >= limit {
                break;
            }
            let record = records::decode("event", &value)?;
            events.push((id, self.rendered(id, record, &mut read)?));
        }
        Ok(events)
    }

    /// One durable event.
    pub fn get(&self, id: u64) -> Result<Option<EventRecord>, EventsError> {
        if id > *self.durable.borrow() {
            return Ok(None);
        }
        let Some(record) = records::read(&self.store, JOURNAL, &id.to_be_bytes(), "event")? else {
            return Ok(None);
        };
        Ok(Some(self.rendered(
            id,
            record,
            &mut ReadSoFar::default(),
        )?))
    }

    pub(crate) fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub(crate) fn delivery_timeout(&self) -> std::time::Duration {
        self.config.delivery_timeout
    }

    /// The TLS configuration of deliveries to `https://` receivers.
    pub(crate) fn client_tls(&self) -> ureq::tls::TlsConfig {
        self.config
            .tls
            .clone()
            .unwrap_or_else(crate::tls::trusting_system)
    }

    /// The current webhooks.
    pub fn webhooks(&self) -> Vec<Webhook> {
        self.webhooks
            .read()
            .map(|webhooks| webhooks.clone())
            .unwrap_or_default()
    }

    pub(crate) fn webhook(&self, id: &webhooks::WebhookId) -> Option<Webhook> {
        self.webhooks
            .read()
            .ok()?
            .iter()
            .find(|webhook| webhook.id == *id)
            .cloned()
    }

    /// Deliveries waiting for `webhook` (counted, for the operator), and the most failed
    /// attempts among them.
    pub fn pending(&self, webhook: &webhooks::WebhookId) -> Result<(u64, u32), EventsError> {
        let mut count = 0u64;
        let mut attempts = 0u32;
        for item in self.store.scan_prefix(OUTBOX, webhook.as_bytes()) {
            let (_, value) = item?;
            let state: delivery::DeliveryState = records::decode("delivery", &value)?;
            count = count.saturating_add(1);
            attempts = attempts.max(state.attempts);
        }
        Ok((count, attempts))
    }

    /// Outbox rows whose webhook is gone are removed.
    fn drop_orphaned_deliveries(&self) -> Result<(), EventsError> {
        let known: Vec<_> = self
            .webhooks()
            .into_iter()
            .map(|webhook| webhook.id)
            .collect();
        let mut batch = WriteBatch::new();
        for item in self.store.scan_prefix(OUTBOX, []) {
            let (key, _) = item?;
            let orphaned = key
                .get(..8)
                .is_some_and(|id| !known.iter().any(|known| known.as_bytes() == id));
            if orphaned {
                batch.remove(OUTBOX, key);
            }
        }
        if !batch.is_empty() {
            tracing::info!(
                rows = batch.len(),
                "dropping deliveries of removed webhooks"
            );
            self.store.commit_blocking(batch)?;
        }
        Ok(())
    }
}

/// The JSON delivered and streamed: the event's id, kind, when it was staged, its order and
/// entry, and its data (written as it is: it is already JSON text).
fn envelope(id: u64, event: &Staged, created_at_us: u64) -> Vec<u8> {
    #[derive(Serialize)]
    struct Envelope<'a> {
        id: u64,
        kind: kinds::EventKind,
        created_at_us: u64,
        order: &'a str,
        order_ref: &'a Option<String>,
        seq: u64,
        data: &'a serde_json::value::RawValue,
    }
    let body = Envelope {
        id,
        kind: event.kind,
        created_at_us,
        order: &event.order,
        order_ref: &event.order_ref,
        seq: event.seq,
        data: &event.data,
    };
    serde_json::to_vec(&body).unwrap_or_default()
}

pub(crate) fn outbox_key(webhook: &webhooks::WebhookId, event: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(16);
    key.extend_from_slice(webhook.as_bytes());
    key.extend_from_slice(&event.to_be_bytes());
    key
}

fn event_id_of(key: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = key.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        durable::StoreConfig,
        engine::records::{entry_key, ENTRIES, ORDERS},
        fixtures::ExampleOrders,
    };

    /// An entry's events are kept in the journal as references to the entry (rendering them
    /// costs the commit path as much again as storing the entry), and read back exactly as the
    /// entry yields them.
    #[test]
    fn an_entrys_events_are_kept_as_references_and_read_as_the_entry_yields_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open_with(dir.path(), StoreConfig::default()).unwrap());
        let orders = ExampleOrders::new().unwrap();
        // Facts that switch the order to air freight: entries with obligations and notifications.
        let (record, history) = orders.history("PO-EVENTS", 8, true).unwrap();
        let order = record.contract.order_id();
        let contract = record.contract.contract().unwrap();
        let mut stored = WriteBatch::new();
        stored.put(
            ORDERS,
            order.as_bytes(),
            records::encode("order", &record).unwrap(),
        );
        let events = Events::open(store.clone(), EventsConfig::default()).unwrap();
        let mut expected = Vec::new();
        let mut last = None;
        for (leaf, entry) in history.iter().enumerate() {
            let body = entry.entry().unwrap();
            let leaf = leaf as u64;
            let record = EntryRecord {
                entry: entry.clone(),
                leaf,
            };
            stored.put(
                ENTRIES,
                entry_key(&order, body.seq),
                records::encode("entry", &record).unwrap(),
            );
            let yielded = kinds::EntryEvents {
                contract: &contract,
                entry,
                body: &body,
                leaf,
                was_queued: false,
            };
            expected.extend(yielded.all());
            last = events.stage_entry(&mut stored, &yielded);
        }
        store.commit_blocking(stored).unwrap();
        events.durable(last.unwrap());
        let kinds: Vec<_> = expected.iter().map(|event| event.kind).collect();
        assert!(
            kinds.iter().any(|kind| *kind != EventKind::Entry),
            "the history yields effects as well as entries: {kinds:?}"
        );

        for item in store.scan_prefix(JOURNAL, []) {
            let (key, value) = item.unwrap();
            let record: EventRecord = records::decode("event", &value).unwrap();
            assert!(
                record.body.is_empty() && record.of_entry.is_some(),
                "event {:?} is stored rendered ({} bytes), not as a reference to its entry",
                event_id_of(&key),
                value.len()
            );
        }
        let read = events.read_after(0, 1_000).unwrap();
        assert_eq!(read.len(), expected.len());
        for ((id, record), staged) in read.iter().zip(&expected) {
            let body: serde_json::Value = serde_json::from_slice(&record.body).unwrap();
            let data: serde_json::Value = serde_json::from_str(staged.data.get()).unwrap();
            assert_eq!(record.kind, staged.kind, "event {id}");
            assert_eq!(body["id"], *id, "event {id}");
            assert_eq!(body["kind"], staged.kind.name(), "event {id}");
            assert_eq!(body["order"], staged.order, "event {id}");
            assert_eq!(
                body["order_ref"],
                serde_json::json!(staged.order_ref),
                "event {id}"
            );
            assert_eq!(body["seq"], staged.seq, "event {id}");
            assert_eq!(body["data"], data, "event {id}");
            assert_eq!(
                events.get(*id).unwrap().as_ref(),
                Some(record),
                "event {id}"
            );
        }
    }

    /// A journal written before events were kept by reference holds every body rendered,
    /// without `of_entry`: it reads as it was written.
    #[test]
    fn a_journal_record_written_before_references_reads_as_written() {
        #[derive(Serialize)]
        struct Before {
            kind: EventKind,
            #[serde(with = "serde_bytes")]
            body: Vec<u8>,
        }
        let body = br#"{"id":7,"kind":"entry"}"#.to_vec();
        let bytes = records::encode(
            "event",
            &Before {
                kind: EventKind::Entry,
                body: body.clone(),
            },
        )
        .unwrap();
        let record: EventRecord = records::decode("event", &bytes).unwrap();
        assert_eq!(
            record,
            EventRecord {
                kind: EventKind::Entry,
                body,
                of_entry: None,
            }
        );
    }
}
