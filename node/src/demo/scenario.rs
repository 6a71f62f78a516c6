//! The demo order: a Shenzhen bearing maker (seller) ships to a buyer in Hamburg, with a
//! carrier attesting shipment facts and a weather service attesting alerts. Used by
//! `pactum-node demo`, the end-to-end tests and the examples.
//!
//! The contract binds the library's air-freight fallback, force-majeure and late-delivery
//! clauses and a breaker of 2 automatic amendments per 24 hours. The events: sea departure; on
//! day 40 the ETA slips past 42 days of sea transit and the order switches to air; a typhoon red
//! alert on the route extends the due date by 72 hours; six hours later a faulty weather feed
//! replays the alert, which would be the third automatic amendment within 24 hours, so the
//! evolution circuit breaker holds it; every party signs a review that discards the held
//! extension and resumes the order; the goods arrive 36 hours after the extended due date and
//! compensation is owed (36 h × 150.00 EUR/h for the air freight clause, 2 started days × 0.5 %
//! of the price for the late-delivery clause). Force majeure no longer applies once the goods
//! are delivered, so the breaker story happens before delivery.

use std::collections::BTreeMap;

use serde_json::json;
use verifier::{
    model::{Event, OrderId, SignedEvent},
    sign::SigningKey,
};

use crate::api::{
    AttesterRequest, BreakerRequest, ClauseRequest, EventRequest, ProposeOrder, SubmitReview,
};

/// Deterministic demo keys (public: for demos only).
pub fn demo_key(label: &str) -> SigningKey {
    SigningKey::from_seed(pactum_canonical::sha256(
        format!("pactum demo key/{label}").as_bytes(),
    ))
}

/// The parties of the demo, in the order their nodes start.
pub const PARTIES: [(&str, &str); 3] = [
    (
        "seller",
        "Shenzhen Precision Bearings Co., Ltd. (seller, sequencer)",
    ),
    (
        "buyer",
        "Hanseatische Antriebstechnik GmbH, Hamburg (buyer)",
    ),
    (
        "carrier",
        "Pearl River Logistics (carrier, attests shipment facts)",
    ),
];

/// The weather service's key: an oracle, not a node.
pub fn weather_key() -> SigningKey {
    demo_key("weather-service")
}

fn hex_key(key: &SigningKey) -> String {
    hex::encode(key.public_key().as_bytes())
}

/// The proposal the seller's operator submits.
pub fn proposal(keys: &BTreeMap<String, SigningKey>, order_ref: &str) -> ProposeOrder {
    let key = |role: &str| keys.get(role).map(hex_key).unwrap_or_default();
    ProposeOrder {
        order_ref: order_ref.to_string(),
        parties: Some(
            ["seller", "buyer", "carrier"]
                .iter()
                .map(|role| (role.to_string(), key(role)))
                .collect(),
        ),
        sequencer: Some("seller".into()),
        jurisdiction: "CN".into(),
        terms: BTreeMap::from([
            ("transport_mode".into(), json!("sea")),
            ("delivery_due".into(), json!("2026-03-01T00:00:00Z")),
            ("price".into(), json!("12000.00 EUR")),
            ("route_regions".into(), json!(["Guangdong", "Hong Kong"])),
            ("buyer_may_terminate".into(), json!(false)),
        ]),
        clauses: [
            "air_freight_fallback",
            "force_majeure",
            "late_delivery_penalty",
        ]
        .iter()
        .map(|name| ClauseRequest {
            name: name.to_string(),
            source: None,
            params: BTreeMap::new(),
            active: true,
        })
        .collect(),
        attesters: Some(vec![
            AttesterRequest {
                name: "carrier".into(),
                key: key("carrier"),
                kinds: vec!["shipment.*".into(), "coldchain.*".into()],
            },
            AttesterRequest {
                name: "weather-service".into(),
                key: hex_key(&weather_key()),
                kinds: vec!["weather.*".into(), "health.*".into()],
            },
            AttesterRequest {
                name: "buyer".into(),
                key: key("buyer"),
                kinds: vec!["return.requested".into()],
            },
            AttesterRequest {
                name: "seller".into(),
                key: key("seller"),
                kinds: vec!["return.inspected".into()],
            },
        ]),
        breaker: Some(BreakerRequest {
            max_automatic_amendments: 2,
            window_seconds: 24 * 3600,
        }),
        genesis_at: "2026-01-05T00:00:00Z".into(),
    }
}

/// Who brings a fact to the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The party's node signs it with its own key (the party attests it).
    Node(&'static str),
    /// The weather service signs it; it is submitted to this party's node.
    Weather { via: &'static str },
}

/// One step of the demo.
#[derive(Debug, Clone)]
pub enum Step {
    Event {
        caption: &'static str,
        source: Source,
        event: EventRequest,
    },
    /// Every party signs the same review decision.
    Review {
        caption: &'static str,
        review: SubmitReview,
    },
}

fn event(kind: &str, at: &str, fields: serde_json::Value) -> EventRequest {
    let fields = fields
        .as_object()
        .map(|map| map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    EventRequest {
        kind: kind.into(),
        at: at.into(),
        fields,
    }
}

/// The demo's steps, in order.
pub fn steps() -> Vec<Step> {
    vec![
        Step::Event {
            caption: "the container ship leaves Shenzhen (sea freight)",
            source: Source::Node("carrier"),
            event: event("shipment.departed", "2026-01-10T00:00:00Z", json!({ "port": "Shenzhen" })),
        },
        Step::Event {
            caption: "day 40: the carrier's new ETA means 47 days at sea, past the 42-day limit",
            source: Source::Node("carrier"),
            event: event("shipment.eta_updated", "2026-02-19T18:00:00Z", json!({ "eta": "2026-02-26T00:00:00Z" })),
        },
        Step::Event {
            caption: "typhoon red alert on the route (Hong Kong): the due date moves by 72 hours",
            source: Source::Weather { via: "seller" },
            event: event(
                "weather.alert",
                "2026-02-20T06:00:00Z",
                json!({ "kind": "typhoon", "level": "red", "region": "Hong Kong" }),
            ),
        },
        Step::Event {
            caption: "a faulty weather feed replays the alert: a third automatic amendment within 24 hours trips the breaker",
            source: Source::Weather { via: "buyer" },
            event: event(
                "weather.alert",
                "2026-02-20T12:00:00Z",
                json!({ "kind": "typhoon", "level": "red", "region": "Hong Kong" }),
            ),
        },
        Step::Review {
            caption: "every party reviews the trip: the alert was a replay; the held extension is discarded",
            review: SubmitReview {
                decision: "discard".into(),
                note: "typhoon alert replayed by a faulty feed; held extension discarded".into(),
                at: None,
                terms: Default::default(),
            },
        },
        Step::Event {
            caption: "the goods reach Hamburg 36 hours after the extended due date",
            source: Source::Node("carrier"),
            event: event("shipment.delivered", "2026-03-05T12:00:00Z", json!({ "received_by": "Hamburg DC" })),
        },
    ]
}

/// A weather alert signed by the weather service for `order`, given its typed event.
pub fn sign_as_weather(event: &Event) -> Option<SignedEvent> {
    event.sign(&weather_key()).ok()
}

/// The demo parties' keys.
pub fn party_keys() -> BTreeMap<String, SigningKey> {
    PARTIES
        .iter()
        .map(|(role, _)| (role.to_string(), demo_key(role)))
        .collect()
}

/// Types an event request for `order` against the demo's clauses (for signing outside a node).
pub fn typed_event(request: &EventRequest, order: OrderId) -> Result<Event, String> {
    let clauses = proposal(&party_keys(), "x").clauses;
    let sources =
        crate::engine::sources::proposal_sources(&clauses).map_err(|error| error.message)?;
    let program = crate::engine::sources::compile(&sources)?;
    crate::engine::sources::build_event(request, order, &program).map_err(|error| error.message)
}
