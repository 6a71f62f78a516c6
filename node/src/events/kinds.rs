//! What happened, as events for webhooks and `GET /events`: which events one committed entry
//! (or one refused proposal) yields, and their data in the native JSON of `docs/json.md`.
//! Pure: when an entry commits, the journal asks [`EntryEvents::kinds`] which events it
//! yields; when one is read, [`EntryEvents::event`] renders it (one walk decides both).

use std::{collections::BTreeSet, fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use serde_json::{json, value::RawValue};
use verifier::{
    json::{self as native, Directory},
    model::{Contract, Effects, EntryBody, Outcome, SignedEntry, Step},
};

/// The kinds of events a webhook can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(utoipa::ToSchema)]
pub enum EventKind {
    /// Every committed entry (genesis, event, review, close), as `GET /orders/{id}/history`.
    Entry,
    /// A clause's `notify`, one event per notification.
    Notification,
    /// A payment or refund owed, one event per obligation.
    Obligation,
    /// The evolution circuit breaker held an amendment back (with its root-cause report).
    BreakerTrip,
    /// The parties' review of a paused order was committed.
    Review,
    /// A peer proposed an entry this node computed differently: refused, recorded.
    DeterminismFault,
    /// A fact this node queued while a party's node was unreachable is now committed.
    QueuedFactCommitted,
}

impl EventKind {
    pub const ALL: [EventKind; 7] = [
        EventKind::Entry,
        EventKind::Notification,
        EventKind::Obligation,
        EventKind::BreakerTrip,
        EventKind::Review,
        EventKind::DeterminismFault,
        EventKind::QueuedFactCommitted,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EventKind::Entry => "entry",
            EventKind::Notification => "notification",
            EventKind::Obligation => "obligation",
            EventKind::BreakerTrip => "breaker_trip",
            EventKind::Review => "review",
            EventKind::DeterminismFault => "determinism_fault",
            EventKind::QueuedFactCommitted => "queued_fact_committed",
        }
    }

    pub fn all() -> BTreeSet<EventKind> {
        EventKind::ALL.into_iter().collect()
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for EventKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        EventKind::ALL
            .into_iter()
            .find(|kind| kind.name() == text)
            .ok_or_else(|| {
                let names: Vec<_> = EventKind::ALL.iter().map(|kind| kind.name()).collect();
                format!(
                    "unknown event kind `{text}`; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// An event before it has an id: its kind, the entry it comes from and its data.
#[derive(Debug, Clone)]
pub struct Staged {
    pub kind: EventKind,
    pub order: String,
    /// The order's own reference, when known (not for faults: the proposal was refused).
    pub order_ref: Option<String>,
    pub seq: u64,
    /// Its data as JSON text, written once from the native view: stored in the journal and sent
    /// as it is (never built as a `serde_json::Value` tree first and copied into the envelope).
    pub data: Box<RawValue>,
}

/// `value` as JSON text (`null` if it cannot be written, which the native views never are).
fn raw(value: &impl Serialize) -> Box<RawValue> {
    serde_json::value::to_raw_value(value).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

/// A committed entry as the source of its events: the entry itself; its notifications,
/// obligations and breaker trip (for a review, those of what it applied and of the facts it
/// re-evaluated); the review; and, when the entry records a fact this node had queued, that
/// it committed. The journal keeps their [`EntryEvents::kinds`] when the entry commits and
/// renders each with [`EntryEvents::event`] when it is read.
pub struct EntryEvents<'a> {
    pub contract: &'a Contract,
    pub entry: &'a SignedEntry,
    pub body: &'a EntryBody,
    /// Index of the entry's leaf in this node's log.
    pub leaf: u64,
    pub was_queued: bool,
}

impl EntryEvents<'_> {
    /// The kinds of the entry's events, in order, nothing rendered.
    pub fn kinds(&self) -> Vec<EventKind> {
        self.walk(&|_| false)
            .into_iter()
            .map(|(kind, _)| kind)
            .collect()
    }

    /// The entry's `index`th event, rendered (none past the last).
    pub fn event(&self, index: usize) -> Option<Staged> {
        let (kind, data) = self.walk(&|at| at == index).into_iter().nth(index)?;
        Some(self.staged(kind, data?))
    }

    /// Every event of the entry, rendered.
    pub fn all(&self) -> Vec<Staged> {
        self.walk(&|_| true)
            .into_iter()
            .map(|(kind, data)| {
                self.staged(kind, data.unwrap_or_else(|| RawValue::NULL.to_owned()))
            })
            .collect()
    }

    fn staged(&self, kind: EventKind, data: Box<RawValue>) -> Staged {
        Staged {
            kind,
            order: self.body.order.to_string(),
            order_ref: Some(self.contract.order_ref.clone()),
            seq: self.body.seq,
            data,
        }
    }

    /// Every event of the entry, in order, with its data for those `render` asks for (by
    /// index): one walk decides both which events there are and what each says.
    fn walk(&self, render: &dyn Fn(usize) -> bool) -> Vec<(EventKind, Option<Box<RawValue>>)> {
        let directory = std::cell::OnceCell::new();
        let directory = || directory.get_or_init(|| Directory::new(self.contract));
        let view = std::cell::OnceCell::new();
        let view = || {
            view.get_or_init(|| {
                raw(&native::entry(
                    self.contract,
                    &self.entry.hash(),
                    self.body,
                    self.entry.signatures.keys().cloned().collect(),
                    Some(self.leaf),
                ))
            })
            .clone()
        };
        let mut events: Vec<(EventKind, Option<Box<RawValue>>)> = Vec::new();
        let mut push = |kind, data: Render<'_>| {
            let wanted = render(events.len());
            events.push((kind, wanted.then(data)));
        };
        push(EventKind::Entry, &view);
        let mut outcomes = Vec::new();
        match &self.body.step {
            Step::Event(step) => {
                outcomes.push(&step.outcome);
                if self.was_queued {
                    let seq = self.body.seq;
                    push(EventKind::QueuedFactCommitted, &|| {
                        raw(&json!({ "event": step.event.hash().to_string(), "seq": seq }))
                    });
                }
            }
            Step::Review(step) => {
                push(EventKind::Review, &view);
                effect_events(&step.applied, &directory, &mut push);
                outcomes.extend(step.reevaluated.iter().map(|again| &again.outcome));
            }
            // The `entry` event carries the agreement and what it changed.
            Step::Genesis | Step::Close(_) | Step::Agreement(_) => {}
        }
        for outcome in outcomes {
            match outcome {
                Outcome::Applied(effects) => effect_events(effects, &directory, &mut push),
                Outcome::BreakerTripped { .. } => push(EventKind::BreakerTrip, &|| {
                    raw(&native::outcome(outcome, directory()))
                }),
                Outcome::ToReview { .. } | Outcome::Paused => {}
            }
        }
        events
    }
}

/// Renders one event's data, when asked to.
type Render<'r> = &'r dyn Fn() -> Box<RawValue>;

/// One event per notification and per obligation of `effects`.
fn effect_events<'d>(
    effects: &Effects,
    directory: &dyn Fn() -> &'d Directory<'d>,
    push: &mut dyn FnMut(EventKind, Render<'_>),
) {
    for notification in &effects.notifications {
        push(EventKind::Notification, &|| {
            raw(&native::notification(notification, directory()))
        });
    }
    for obligation in &effects.obligations {
        push(EventKind::Obligation, &|| {
            raw(&native::obligation(obligation, directory()))
        });
    }
}

/// The event of a determinism fault: a proposal this node refused because its own run of the
/// clauses gave another entry.
pub fn fault_event(fault: &crate::engine::records::FaultRecord) -> Staged {
    Staged {
        kind: EventKind::DeterminismFault,
        order: fault.order.to_string(),
        order_ref: None,
        seq: fault.seq,
        data: raw(&json!({
            "code": fault.code,
            "message": fault.message,
            "proposed": fault.proposed.to_string(),
            "computed": fault.computed.map(|hash| hash.to_string()),
        })),
    }
}
