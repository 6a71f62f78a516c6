//! Sending the outbox: one task per webhook POSTs each durable event it subscribed to, signed
//! ([`super::signature`]), and removes the outbox row once the receiver answers 2xx. A
//! failure (refused connection, timeout, any other status) keeps the row and schedules the
//! next attempt ([`super::schedule`]); while a receiver fails, its task waits for the earliest
//! retry instead of trying newer events, so a receiver that is down is not hammered.
//!
//! At least once: a row is removed only after a 2xx, so a crash between the answer and the
//! removal sends that event again. Receivers de-duplicate with the `Pactum-Delivery` header
//! (`<webhook id>-<event id>`, the same on every attempt). Events are started in id order, up
//! to [`IN_FLIGHT`] at once per webhook, each slot refilled as soon as its request ends (a
//! slow request holds up neither the others nor other webhooks, which have tasks of their
//! own); a retried event may arrive after newer ones.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Weak},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde::{Deserialize, Serialize};
use tokio::{sync::Notify, task::JoinSet};

use super::{
    outbox_key, schedule, signature,
    webhooks::{Webhook, WebhookId},
    EventRecord, Events, EventsError, OUTBOX,
};
use crate::{durable::WriteBatch, engine::records};

/// Deliveries attempted at once per webhook.
const IN_FLIGHT: usize = 16;
/// Outbox rows looked at per round (rows waiting for a retry are skipped over).
const SCAN_LIMIT: usize = 4096;

/// A pending delivery's retry state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryState {
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not before this time (Unix milliseconds).
    pub next_at_ms: u64,
}

impl DeliveryState {
    pub const NEW: DeliveryState = DeliveryState {
        attempts: 0,
        next_at_ms: 0,
    };

    pub fn encode(&self) -> Vec<u8> {
        records::encode("delivery", self).unwrap_or_default()
    }
}

/// Starts delivering: a task per webhook, started and stopped as webhooks come and go. The
/// tasks hold the journal weakly and end when the node drops it.
pub fn start(events: &Arc<Events>) {
    tokio::spawn(supervise(
        Arc::downgrade(events),
        events.changed.clone(),
        events.watch(),
    ));
}

async fn supervise(
    events: Weak<Events>,
    changed: Arc<Notify>,
    mut durable: tokio::sync::watch::Receiver<u64>,
) {
    let mut tasks: HashMap<WebhookId, tokio::task::JoinHandle<()>> = HashMap::new();
    loop {
        let notified = changed.notified();
        {
            let Some(strong) = events.upgrade() else {
                return;
            };
            tasks.retain(|_, task| !task.is_finished());
            for webhook in strong.webhooks() {
                tasks
                    .entry(webhook.id)
                    .or_insert_with(|| tokio::spawn(deliver_forever(events.clone(), webhook.id)));
            }
        }
        tokio::select! {
            _ = notified => {}
            // Only to notice that the journal is gone.
            closed = durable.changed() => if closed.is_err() { return },
        }
    }
}

/// Delivers to one webhook until it is deleted or the node stops.
async fn deliver_forever(events: Weak<Events>, id: WebhookId) {
    let Some((agent, mut durable, changed)) = events.upgrade().map(|events| {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(events.delivery_timeout()))
            .tls_config(events.client_tls())
            .build()
            .into();
        (agent, events.watch(), events.changed.clone())
    }) else {
        return;
    };
    let mut flight = Flight::new(agent);
    loop {
        let next_retry = {
            let Some(events) = events.upgrade() else {
                return;
            };
            let Some(webhook) = events.webhook(&id) else {
                return;
            };
            let durable_id = *durable.borrow_and_update();
            flight
                .start_due(&events, &webhook, durable_id)
                .unwrap_or_else(|error| {
                    tracing::error!(%error, webhook = %id, "cannot read the webhook outbox");
                    Some(now_ms().saturating_add(5_000))
                })
        };
        let retry = next_retry.map(|at| at.saturating_sub(now_ms()));
        tokio::select! {
            Some(joined) = flight.sends.join_next(), if !flight.sends.is_empty() => {
                let Some(events) = events.upgrade() else {
                    return;
                };
                flight.record(&events, &id, joined).await;
            }
            closed = durable.changed() => if closed.is_err() { return },
            _ = sleep_ms(retry), if retry.is_some() => {}
            _ = changed.notified() => {}
        }
    }
}

/// One delivery's outcome: event id, the retry state it was sent with, and `Ok` on a 2xx.
type Sent = (u64, DeliveryState, Result<(), String>);

/// The deliveries of one webhook in flight: up to [`IN_FLIGHT`] requests at once, a new one
/// started as soon as one ends, so a slow request holds up no other; each outcome recorded
/// as it comes.
struct Flight {
    agent: ureq::Agent,
    sends: JoinSet<Sent>,
    /// Event ids in flight (not to be sent again while their outbox row stays).
    sending: HashSet<u64>,
    /// While the receiver fails: nothing new is sent before this time (Unix ms), so a
    /// receiver that is down is not hammered; requests already in flight go on.
    paused_until: u64,
}

impl Flight {
    fn new(agent: ureq::Agent) -> Flight {
        Flight {
            agent,
            sends: JoinSet::new(),
            sending: HashSet::new(),
            paused_until: 0,
        }
    }

    /// Starts the due deliveries there is room for. Returns when to look again if nothing
    /// else happens first (the earliest retry), if ever.
    fn start_due(
        &mut self,
        events: &Arc<Events>,
        webhook: &Webhook,
        durable: u64,
    ) -> Result<Option<u64>, EventsError> {
        if self.paused_until > now_ms() {
            return Ok(Some(self.paused_until));
        }
        let room = IN_FLIGHT.saturating_sub(self.sends.len());
        if room == 0 {
            // Looked at again when a request ends.
            return Ok(None);
        }
        let round = due(events, webhook, durable, &self.sending, room)?;
        for (event, state) in round.due {
            self.sending.insert(event);
            self.start(events, webhook, event, state);
        }
        Ok(round.next_retry_ms)
    }

    fn start(&mut self, events: &Arc<Events>, webhook: &Webhook, event: u64, state: DeliveryState) {
        let record = match events.get(event) {
            Ok(Some(record)) => record,
            Ok(None) => {
                tracing::warn!(webhook = %webhook.id, event, "event no longer in the journal (past its retention); dropping its delivery");
                self.sends.spawn(async move { (event, state, Ok(())) });
                return;
            }
            Err(error) => {
                self.sends
                    .spawn(async move { (event, state, Err(error.to_string())) });
                return;
            }
        };
        let agent = self.agent.clone();
        let webhook = webhook.clone();
        self.sends.spawn(async move {
            let result =
                tokio::task::spawn_blocking(move || post(&agent, &webhook, event, &record))
                    .await
                    .unwrap_or_else(|error| Err(error.to_string()));
            (event, state, result)
        });
    }

    /// Records `first` and every other delivery that ended meanwhile, in one batch:
    /// delivered rows removed, failed ones rescheduled.
    async fn record(
        &mut self,
        events: &Arc<Events>,
        id: &WebhookId,
        first: Result<Sent, tokio::task::JoinError>,
    ) {
        let mut batch = WriteBatch::new();
        let mut ended = Vec::new();
        let mut next = Some(first);
        while let Some(joined) = next {
            if let Ok((event, state, result)) = joined {
                ended.push(event);
                if let Some(retry) = outcome(&mut batch, events, id, event, state, result) {
                    self.pause_until(retry);
                }
            }
            next = self.sends.try_join_next();
        }
        // A webhook deleted meanwhile must not get its rows back.
        if events.webhook(id).is_some() {
            if let Err(error) = events.store().commit(batch).await {
                tracing::error!(%error, "cannot record webhook deliveries");
            }
        }
        // Only once the outcome is durable may a rescan see these rows again.
        for event in ended {
            self.sending.remove(&event);
        }
    }

    fn pause_until(&mut self, retry: u64) {
        self.paused_until = if self.paused_until > now_ms() {
            self.paused_until.min(retry)
        } else {
            retry
        };
    }
}

/// Adds one delivery's outcome to `batch`; the time of its next attempt if it failed.
fn outcome(
    batch: &mut WriteBatch,
    events: &Events,
    id: &WebhookId,
    event: u64,
    state: DeliveryState,
    result: Result<(), String>,
) -> Option<u64> {
    let key = outbox_key(id, event);
    let Err(reason) = result else {
        batch.remove(OUTBOX, key);
        return None;
    };
    let attempts = state.attempts.saturating_add(1);
    let delivery = delivery_id(id, event);
    let next_at_ms = schedule::next_attempt_at(attempts, now_ms(), delivery.as_bytes());
    let url = events
        .webhook(id)
        .map(|webhook| origin(&webhook.url))
        .unwrap_or_default();
    tracing::warn!(webhook = %id, %url, event, attempts, %reason, "webhook delivery failed; will retry");
    batch.put(
        OUTBOX,
        key,
        DeliveryState {
            attempts,
            next_at_ms,
        }
        .encode(),
    );
    Some(next_at_ms)
}

struct Round {
    /// Event id, retry state.
    due: Vec<(u64, DeliveryState)>,
    /// The earliest retry among rows not yet due.
    next_retry_ms: Option<u64>,
}

/// Up to `room` outbox rows of `webhook` that may be sent now (event durable, retry time
/// reached, not in flight).
fn due(
    events: &Events,
    webhook: &Webhook,
    durable: u64,
    in_flight: &HashSet<u64>,
    room: usize,
) -> Result<Round, EventsError> {
    let now = now_ms();
    let mut round = Round {
        due: Vec::new(),
        next_retry_ms: None,
    };
    for item in events
        .store()
        .scan_prefix(OUTBOX, webhook.id.as_bytes())
        .take(SCAN_LIMIT)
    {
        let (key, value) = item?;
        let Some(event) = key
            .get(8..)
            .and_then(|id| id.try_into().ok())
            .map(u64::from_be_bytes)
        else {
            continue;
        };
        if event > durable {
            break;
        }
        if in_flight.contains(&event) {
            continue;
        }
        let state: DeliveryState = records::decode("delivery", &value)?;
        if state.next_at_ms <= now {
            round.due.push((event, state));
            if round.due.len() >= room {
                break;
            }
        } else {
            round.next_retry_ms = Some(
                round
                    .next_retry_ms
                    .map_or(state.next_at_ms, |at| at.min(state.next_at_ms)),
            );
        }
    }
    Ok(round)
}

/// The id a receiver de-duplicates with: the same on every attempt.
pub fn delivery_id(webhook: &WebhookId, event: u64) -> String {
    format!("{webhook}-{event}")
}

/// One POST; `Ok` on a 2xx answer.
fn post(
    agent: &ureq::Agent,
    webhook: &Webhook,
    event: u64,
    record: &EventRecord,
) -> Result<(), String> {
    let t = i64::try_from(now_ms() / 1000).unwrap_or(i64::MAX);
    let response = agent
        .post(&webhook.url)
        .content_type("application/json")
        .header("Pactum-Event", record.kind.name())
        .header("Pactum-Event-Id", event.to_string())
        .header("Pactum-Delivery", delivery_id(&webhook.id, event))
        .header(
            signature::HEADER,
            signature::sign(webhook.secret.as_bytes(), t, &record.body),
        )
        .send(record.body.as_slice())
        .map_err(|error| {
            error
                .to_string()
                .replace(&webhook.url, &origin(&webhook.url))
        })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered {status}"))
    }
}

/// Where a webhook's deliveries go, as logs may show it: scheme, host and port. Webhook URLs
/// often carry their secret in the path or the query (`/services/T0/B0/XXXX`, `?token=…`) or
/// as `user:password@`, and logs travel further than the node's store (the webhook's id
/// names it in the log; `GET /webhooks`, admin scope, shows the whole URL).
fn origin(url: &str) -> String {
    let Ok(uri) = url.parse::<axum::http::Uri>() else {
        return "(unreadable URL)".into();
    };
    match (uri.scheme_str(), uri.host(), uri.port_u16()) {
        (Some(scheme), Some(host), Some(port)) => format!("{scheme}://{host}:{port}"),
        (Some(scheme), Some(host), None) => format!("{scheme}://{host}"),
        _ => "(unreadable URL)".into(),
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

async fn sleep_ms(ms: Option<u64>) {
    if let Some(ms) = ms {
        tokio::time::sleep(Duration::from_millis(ms.max(1))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::origin;

    #[test]
    fn logs_show_where_a_webhook_goes_without_its_secrets() {
        assert_eq!(
            origin("https://ops:pa55@hooks.example:8443/services/T0/B0/s3cret?token=s3cret"),
            "https://hooks.example:8443"
        );
        assert_eq!(origin("http://127.0.0.1/in"), "http://127.0.0.1");
        assert_eq!(origin("not a url"), "(unreadable URL)");
    }
}
