//! Outcomes out: the event journal behind webhooks and `GET /events`, and the durable webhook
//! outbox.
//!
//! When the engine commits an entry it asks [`Events::stage`] to add, to the SAME write batch,
//! the events the entry yields ([`kinds::entry_events`]) in the journal (space `events`, by id)
//! and one outbox row per webhook subscribed to each (space `webhook_outbox`). So an entry is
//! never durable without its deliveries, whatever happens to the process after the flush.
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

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc, RwLock,
};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::{
    durable::{Space, Store, StoreError, WriteBatch},
    engine::records::{self, RecordError},
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

/// One event as stored: its kind and the exact JSON body delivered and streamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRecord {
    pub kind: EventKind,
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
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
        let webhooks = self.subscriptions();
        let mut last = None;
        for event in staged {
            let id = self.next.fetch_add(1, Ordering::SeqCst);
            let body = envelope(id, &event);
            let record = EventRecord {
                kind: event.kind,
                body,
            };
            let Ok(bytes) = records::encode("event", &record) else {
                continue;
            };
            batch.put(JOURNAL, id.to_be_bytes(), bytes);
            if let Some(expired) = id.checked_sub(self.config.retention) {
                batch.remove(JOURNAL, expired.to_be_bytes());
            }
            for (webhook, kinds) in &webhooks {
                if kinds.contains(&event.kind) {
                    batch.put(
                        OUTBOX,
                        outbox_key(webhook, id),
                        delivery::DeliveryState::NEW.encode(),
                    );
                }
            }
            last = Some(id);
        }
        last
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
            events.push((id, records::decode("event", &value)?));
        }
        Ok(events)
    }

    /// One durable event.
    pub fn get(&self, id: u64) -> Result<Option<EventRecord>, EventsError> {
        if id > *self.durable.borrow() {
            return Ok(None);
        }
        Ok(records::read(
            &self.store,
            JOURNAL,
            &id.to_be_bytes(),
            "event",
        )?)
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
        self.webhooks()
            .into_iter()
            .find(|webhook| webhook.id == *id)
    }

    fn subscriptions(&self) -> Vec<(webhooks::WebhookId, std::collections::BTreeSet<EventKind>)> {
        self.webhooks()
            .into_iter()
            .map(|webhook| (webhook.id, webhook.kinds))
            .collect()
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
fn envelope(id: u64, event: &Staged) -> Vec<u8> {
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
        created_at_us: receiver::now_us(),
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
