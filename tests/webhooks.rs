//! Outcomes out: webhooks and the event stream on real nodes, delivered to a real HTTP
//! receiver that checks every `Pactum-Signature`. Nothing here asserts on timings; waits are
//! bounded by `common::PATIENCE` only so that a failure ends.

mod common;

use std::{collections::BTreeMap, io::BufRead};

use common::{Cluster, PATIENCE};
use pactum_node::{
    demo::scenario::{self, Source, Step},
    engine::Hooks,
    events::receiver::{Delivery, Receiver},
};
use serde_json::{json, Value};

const ALL: [&str; 3] = ["seller", "buyer", "carrier"];
const SECRET: &str = "whsec-integration-test-0123456789";

/// Runs the demo's steps (departure, late ETA, typhoon, late delivery, replayed alerts that
/// trip the breaker, a review) on `order`.
fn run_demo_steps(cluster: &Cluster, order: &str) {
    for step in scenario::steps() {
        match step {
            Step::Event { source, event, .. } => {
                let fields = serde_json::to_value(&event.fields).unwrap();
                match source {
                    Source::Node(role) => {
                        cluster
                            .event(role, order, &event.kind, &event.at, fields)
                            .unwrap();
                    }
                    Source::Weather { via } => {
                        let region = event.fields["region"].as_str().unwrap();
                        cluster.weather(via, order, &event.at, region).unwrap();
                    }
                }
            }
            Step::Review { review, .. } => {
                for role in ALL {
                    cluster
                        .client(role)
                        .post(&format!("/orders/{order}/review"), &review)
                        .unwrap();
                }
            }
        }
    }
}

fn create_webhook(cluster: &Cluster, role: &str, url: &str, kinds: Value) -> Value {
    cluster
        .client(role)
        .post(
            "/webhooks",
            &json!({ "url": url, "secret": SECRET, "kinds": kinds }),
        )
        .unwrap()
}

fn kinds_of(deliveries: &[Delivery]) -> BTreeMap<String, usize> {
    let mut kinds = BTreeMap::new();
    for delivery in deliveries {
        *kinds.entry(delivery.kind.clone()).or_default() += 1;
    }
    kinds
}

/// Distinct event ids received (a retried delivery may arrive twice).
fn event_ids(deliveries: &[Delivery]) -> std::collections::BTreeSet<u64> {
    deliveries
        .iter()
        .filter_map(|delivery| delivery.json()["id"].as_u64())
        .collect()
}

fn start_receiver(cluster: &Cluster, port: u16) -> Receiver {
    cluster
        .runtime
        .block_on(Receiver::start(
            std::net::SocketAddr::from(([127, 0, 0, 1], port)),
            SECRET,
        ))
        .unwrap()
}

#[test]
fn every_outcome_reaches_a_webhook_signed_and_the_event_stream_resumes() {
    let mut cluster = Cluster::start(&ALL, BTreeMap::new());
    let receiver = start_receiver(&cluster, 0);
    let created = create_webhook(&cluster, "buyer", &receiver.url(), json!([]));
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["kinds"].as_array().unwrap().len(), 7, "{created}");
    // The secret is never shown back.
    let listed = cluster.client("buyer").get("/webhooks").unwrap();
    assert!(!listed.to_string().contains(SECRET), "{listed}");
    assert_eq!(listed["webhooks"][0]["id"], id.as_str());
    // Reading webhooks needs the admin scope, like writing them; a bad one is refused.
    let refused = cluster
        .client("buyer")
        .post(
            "/webhooks",
            &json!({ "url": "ftp://erp.example/hook", "secret": SECRET }),
        )
        .unwrap_err();
    assert_eq!(refused.code(), Some("invalid_webhook"), "{refused}");

    // A queued fact is reported by the node that queued it: the sequencer's (the seller's)
    // when the sequencer was reachable and another party was not.
    let sequencer_receiver = start_receiver(&cluster, 0);
    create_webhook(
        &cluster,
        "seller",
        &sequencer_receiver.url(),
        json!(["queued_fact_committed"]),
    );
    let order = cluster.start_order(&ALL, "PO-WEBHOOKS", None);
    run_demo_steps(&cluster, &order);
    // A fact queued while the carrier's node is away commits once it is back.
    cluster.stop_node("carrier");
    let queued = cluster
        .event(
            "buyer",
            &order,
            "return.requested",
            "2026-03-07T00:00:00Z",
            json!({ "reason": "damaged" }),
        )
        .unwrap();
    assert_eq!(queued["status"], "queued", "{queued}");
    cluster.start_node("carrier", Hooks::default());
    let entries = 1 + scenario::steps().len() + 1;

    let committed = cluster
        .runtime
        .block_on(sequencer_receiver.wait_for(PATIENCE, |got| !got.is_empty()));
    let committed = committed.first().map(Delivery::json).unwrap();
    assert_eq!(committed["kind"], "queued_fact_committed", "{committed}");
    assert_eq!(committed["data"]["event"], queued["event"], "{committed}");
    let deliveries = cluster
        .runtime
        .block_on(receiver.wait_for(PATIENCE, |got| kinds_of(got).get("entry") >= Some(&entries)));
    let kinds = kinds_of(&deliveries);
    for kind in [
        "entry",
        "notification",
        "obligation",
        "breaker_trip",
        "review",
    ] {
        assert!(kinds.contains_key(kind), "no {kind} delivered: {kinds:?}");
    }
    for delivery in &deliveries {
        assert!(delivery.signature_valid, "{delivery:?}");
        let body = delivery.json();
        assert_eq!(body["kind"], delivery.kind.as_str());
        assert_eq!(body["order"], order.as_str());
        assert_eq!(
            delivery.delivery,
            format!("{id}-{}", body["id"].as_u64().unwrap())
        );
    }
    // Nothing is missing: event ids are consecutive from 1.
    let ids = event_ids(&deliveries);
    assert_eq!(
        ids.iter().copied().collect::<Vec<_>>(),
        (1..=ids.len() as u64).collect::<Vec<_>>()
    );
    // The notification and the obligation in the native JSON of docs/json.md.
    let body_of = |kind: &str| {
        deliveries
            .iter()
            .find(|delivery| delivery.kind == kind)
            .map(Delivery::json)
            .unwrap()
    };
    let notification = body_of("notification");
    assert_eq!(notification["data"]["party"]["name"], "carrier");
    assert_eq!(
        notification["data"]["message"],
        "revise waybill: air freight"
    );
    assert_eq!(
        notification["data"]["source"]["clause"],
        "air_freight_fallback"
    );
    let obligation = body_of("obligation");
    assert_eq!(obligation["data"]["kind"], "pay");
    assert_eq!(obligation["data"]["from"]["name"], "seller");
    assert!(
        obligation["data"]["amount"]["currency"].is_string(),
        "{obligation}"
    );
    assert!(body_of("breaker_trip")["data"]["report"]["in_window"].is_array());
    assert_eq!(body_of("review")["data"]["review"]["decision"], "discard");

    // The same events as a stream, resumed after the third.
    let stream = read_stream(&cluster, "buyer", 3, ids.len() - 3);
    let streamed: Vec<u64> = stream.iter().map(|(id, _, _)| *id).collect();
    assert_eq!(streamed, (4..=ids.len() as u64).collect::<Vec<_>>());
    for (id, kind, data) in &stream {
        let delivered = deliveries
            .iter()
            .find(|delivery| delivery.json()["id"] == *id)
            .unwrap();
        assert_eq!(kind, &delivered.kind);
        assert_eq!(data.as_bytes(), delivered.body.as_slice(), "the same bytes");
    }

    // Deleted: nothing more is sent, and it is gone from the list.
    cluster
        .client("buyer")
        .delete(&format!("/webhooks/{id}"))
        .unwrap();
    assert_eq!(
        cluster.client("buyer").get("/webhooks").unwrap()["webhooks"],
        json!([])
    );
}

/// Reads `count` messages of `role`'s `GET /events` after `Last-Event-ID: after`: (id,
/// event, data).
fn read_stream(
    cluster: &Cluster,
    role: &str,
    after: u64,
    count: usize,
) -> Vec<(u64, String, String)> {
    let node = &cluster.nodes[role];
    let response = ureq::get(format!("{}/events", node.url()))
        .header("Authorization", format!("Bearer {}", node.token))
        .header("Last-Event-ID", after.to_string())
        .call()
        .unwrap();
    assert_eq!(response.status(), 200);
    let lines = std::io::BufReader::new(response.into_body().into_reader()).lines();
    let mut messages = Vec::new();
    let (mut id, mut event) = (0, String::new());
    for line in lines {
        let line = line.unwrap();
        if let Some(value) = line.strip_prefix("id: ") {
            id = value.parse().unwrap();
        } else if let Some(value) = line.strip_prefix("event: ") {
            event = value.to_string();
        } else if let Some(value) = line.strip_prefix("data: ") {
            messages.push((id, event.clone(), value.to_string()));
            if messages.len() == count {
                break;
            }
        }
    }
    messages
}

#[test]
fn a_receiver_that_was_down_gets_every_delivery_after_retries() {
    let cluster = Cluster::start(&["seller", "buyer"], BTreeMap::new());
    // Find a free port, then leave nothing listening on it: the receiver is down.
    let port = {
        let probe = start_receiver(&cluster, 0);
        let port = probe.addr.port();
        cluster.runtime.block_on(probe.stop());
        port
    };
    let url = format!("http://127.0.0.1:{port}/pactum");
    create_webhook(&cluster, "seller", &url, json!(["entry"]));
    let order = cluster.start_order(&["seller", "buyer"], "PO-DOWN", None);
    for day in 11..14 {
        cluster
            .event(
                "buyer",
                &order,
                "return.requested",
                &format!("2026-01-{day}T00:00:00Z"),
                json!({ "reason": "wrong size" }),
            )
            .unwrap();
    }
    // The node tried and failed: the deliveries wait in its outbox.
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let listed = cluster.client("seller").get("/webhooks").unwrap();
        let webhook = &listed["webhooks"][0];
        if webhook["most_failed_attempts"].as_u64() >= Some(2) {
            assert_eq!(webhook["pending_deliveries"], 4, "{webhook}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no failed attempt: {webhook}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Up again on the same port: every entry arrives, signed.
    let receiver = start_receiver(&cluster, port);
    let deliveries = cluster
        .runtime
        .block_on(receiver.wait_for(PATIENCE, |got| event_ids(got).len() == 4));
    assert_eq!(
        event_ids(&deliveries).into_iter().collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert!(deliveries.iter().all(|delivery| delivery.signature_valid));
    let deadline = std::time::Instant::now() + PATIENCE;
    while cluster.client("seller").get("/webhooks").unwrap()["webhooks"][0]["pending_deliveries"]
        != 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the outbox never emptied"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn a_determinism_fault_is_delivered() {
    let hooks = BTreeMap::from([(
        "seller".to_string(),
        Hooks {
            // Claims every event was recorded while the order was paused.
            tamper_proposals: Some(std::sync::Arc::new(
                |body: &mut verifier::model::EntryBody| {
                    if let verifier::model::Step::Event(step) = &mut body.step {
                        step.outcome = verifier::model::Outcome::Paused;
                    }
                },
            )),
            ..Hooks::default()
        },
    )]);
    let cluster = Cluster::start(&ALL, hooks);
    let receiver = start_receiver(&cluster, 0);
    create_webhook(
        &cluster,
        "buyer",
        &receiver.url(),
        json!(["determinism_fault"]),
    );
    let order = cluster.start_order(&ALL, "PO-FAULT", None);
    let refused = cluster.event(
        "carrier",
        &order,
        "shipment.departed",
        "2026-01-10T00:00:00Z",
        json!({ "port": "Shenzhen" }),
    );
    assert!(refused.is_err());
    let deliveries = cluster
        .runtime
        .block_on(receiver.wait_for(PATIENCE, |got| !got.is_empty()));
    let fault = deliveries.first().map(Delivery::json).unwrap();
    assert_eq!(fault["kind"], "determinism_fault", "{fault}");
    assert_eq!(fault["order"], order.as_str());
    assert_eq!(fault["data"]["code"], "determinism_fault");
    assert!(fault["data"]["computed"].is_string(), "{fault}");
    // Subscribed to faults only: the genesis entry was not sent.
    assert!(deliveries
        .iter()
        .all(|d| d.kind == "determinism_fault" && d.signature_valid));
}

/// The load command behind the latency figures runs end to end (small, not measured here).
#[test]
fn the_webhook_load_command_delivers_every_entry_it_commits() {
    let report =
        pactum_node::load::webhooks::run(&pactum_node::load::webhooks::WebhookLoadOptions {
            rate: 40,
            duration: std::time::Duration::from_secs(1),
            orders: 4,
        })
        .unwrap();
    assert_eq!(report.committed, 40, "{}", report.render());
    assert_eq!(report.delivered, report.committed, "{}", report.render());
    assert_eq!(report.invalid_signatures, 0);
    assert!(report.render().contains("p99"));
}

#[test]
fn every_node_that_queued_a_fact_reports_it_committed() {
    let mut cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-QUEUED-TWICE", None);
    let receivers: BTreeMap<&str, Receiver> = ["seller", "buyer"]
        .into_iter()
        .map(|role| {
            let receiver = start_receiver(&cluster, 0);
            create_webhook(
                &cluster,
                role,
                &receiver.url(),
                json!(["queued_fact_committed"]),
            );
            (role, receiver)
        })
        .collect();
    // The carrier's node is away: the sequencer's node queues a fact (A)…
    cluster.stop_node("carrier");
    let first = cluster
        .weather("seller", &order, "2026-02-20T06:00:00Z", "Hong Kong")
        .unwrap();
    assert_eq!(first["status"], "queued", "{first}");
    // …then the sequencer's node is away too: the buyer's node queues another (B).
    cluster.stop_node("seller");
    let queued = cluster
        .event(
            "buyer",
            &order,
            "return.requested",
            "2026-03-07T00:00:00Z",
            json!({ "reason": "damaged" }),
        )
        .unwrap();
    assert_eq!(queued["status"], "queued", "{queued}");
    let event = queued["event"].as_str().unwrap().to_string();
    // The sequencer is back: the buyer's node hands B over, and the sequencer's node queues it
    // behind A at once (the carrier is still away).
    cluster.start_node("seller", Hooks::default());
    let status = format!("/orders/{order}/facts/{event}");
    let deadline = std::time::Instant::now() + PATIENCE;
    while !cluster
        .client("seller")
        .get(&status)
        .is_ok_and(|fact| fact["status"] == "queued")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the sequencer never queued the fact: seller {:?}, buyer {:?}",
            cluster.client("seller").get(&status),
            cluster.client("buyer").get(&status)
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Give the buyer's node time to hear the sequencer's answer (not a timing assertion: the
    // outcome must be the same whenever it hears it).
    std::thread::sleep(std::time::Duration::from_secs(1));
    // Every party back: the fact commits, and both nodes that queued it say so.
    cluster.start_node("carrier", Hooks::default());
    let reports_b = |got: &[Delivery]| {
        got.iter()
            .any(|delivery| delivery.json()["data"]["event"] == event.as_str())
    };
    for (role, receiver) in &receivers {
        let got = cluster
            .runtime
            .block_on(receiver.wait_for(PATIENCE, |got| reports_b(got)));
        assert!(
            reports_b(&got),
            "the {role}'s node did not report B committed"
        );
        assert!(got
            .iter()
            .all(|delivery| delivery.kind == "queued_fact_committed"));
    }
}
