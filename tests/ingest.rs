//! Facts in from standard feeds, over real HTTP to three real nodes: the EPCIS and CAP samples
//! of `examples/ingest/` become committed entries of the order they name; a document that
//! does not fit anywhere — even in its last event — changes nothing and names the field.

mod common;

use std::{collections::BTreeMap, path::Path};

use common::Cluster;
use pactum_node::client::{ApiClient, ClientError};
use serde_json::Value;

const ALL: [&str; 3] = ["seller", "buyer", "carrier"];

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/ingest")
            .join(name),
    )
    .unwrap()
}

/// The EPCIS sample with `change` applied to its JSON.
fn edited_voyage(change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut document: Value = serde_json::from_slice(&sample("epcis-voyage.json")).unwrap();
    change(&mut document);
    serde_json::to_vec(&document).unwrap()
}

fn epcis(client: &ApiClient, document: &[u8]) -> Result<Value, ClientError> {
    client.post_document("/ingest/epcis", "application/ld+json", document)
}

fn cap(client: &ApiClient, document: &[u8]) -> Result<Value, ClientError> {
    client.post_document("/ingest/cap", "application/cap+xml", document)
}

/// The example order (`examples/api/propose.json`: every party may attest every kind),
/// started by all three parties.
fn start_order(cluster: &Cluster) -> String {
    start_order_with(cluster, "PO-2026-0117", |_| {})
}

/// The example order with reference `reference`, changed by `change`.
fn start_order_with(cluster: &Cluster, reference: &str, change: impl FnOnce(&mut Value)) -> String {
    let order = propose_with(cluster, reference, change);
    for role in ["buyer", "carrier"] {
        cluster
            .client(role)
            .post(&format!("/orders/{order}/accept"), &serde_json::json!({}))
            .unwrap();
    }
    cluster.settle(&ALL, &order);
    order
}

/// The seller proposes the example order with reference `reference`, changed by `change`;
/// its id (nobody accepted it yet).
fn propose_with(cluster: &Cluster, reference: &str, change: impl FnOnce(&mut Value)) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/api/propose.json");
    let mut proposal: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    proposal["order_ref"] = Value::from(reference);
    change(&mut proposal);
    let proposed = cluster.client("seller").post("/orders", &proposal).unwrap();
    proposed["order"].as_str().unwrap().to_string()
}

fn refusal(result: Result<Value, ClientError>) -> pactum_node::client::ErrorAnswer {
    match result {
        Err(ClientError::Api(error)) => error,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn epcis_and_cap_documents_become_committed_facts_or_change_nothing() {
    let cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = start_order(&cluster);
    let carrier = cluster.client("carrier");

    // A document whose last event does not fit: its first is not applied either.
    let before = cluster.settle(&ALL, &order);
    let wrong_type = edited_voyage(|document| {
        document["epcisBody"]["eventList"][1]["tms:estimatedArrival"] = Value::from(20260305);
    });
    let error = refusal(epcis(&carrier, &wrong_type));
    assert_eq!(error.status, 422, "{error}");
    assert!(
        error
            .message
            .starts_with("epcisBody.eventList[1].tms:estimatedArrival"),
        "{error}"
    );
    assert_eq!(
        error.path.as_deref(),
        Some("epcisBody.eventList[1].tms:estimatedArrival"),
        "the JSON error names the field in `path`"
    );
    let unknown_step = edited_voyage(|document| {
        document["epcisBody"]["eventList"][1]["bizStep"] = Value::from("shipping");
    });
    let error = refusal(epcis(&carrier, &unknown_step));
    assert_eq!(
        (error.status, error.code.as_str()),
        (422, "document_does_not_fit")
    );
    assert!(
        error
            .message
            .starts_with("epcisBody.eventList[1].bizStep: "),
        "{error}"
    );
    assert_eq!(
        error.path.as_deref(),
        Some("epcisBody.eventList[1].bizStep")
    );
    let other_order = edited_voyage(|document| {
        document["epcisBody"]["eventList"][1]["bizTransactionList"][0]["bizTransaction"] =
            Value::from("urn:epcglobal:cbv:bt:0614141000005:PO-1999-0001");
    });
    let error = refusal(epcis(&carrier, &other_order));
    assert_eq!(
        (error.status, error.code.as_str()),
        (422, "unknown_reference")
    );
    assert!(
        error
            .message
            .starts_with("epcisBody.eventList[1].bizTransactionList[0].bizTransaction: "),
        "{error}"
    );
    assert_eq!(
        error.path.as_deref(),
        Some("epcisBody.eventList[1].bizTransactionList[0].bizTransaction")
    );
    // An order on which the carrier may attest departures only: the state machine refuses
    // the document's last fact, so its first is not recorded either.
    let restricted = start_order_with(&cluster, "PO-2026-0200", |proposal| {
        let carrier = hex::encode(cluster.keys["carrier"].public_key().as_bytes());
        proposal["attesters"] = serde_json::json!([
            {"name": "carrier", "key": carrier, "kinds": ["shipment.departed"]}
        ]);
        // Off the typhoon's path: the alert below concerns only the first order.
        proposal["terms"]["route_regions"] = serde_json::json!(["Rotterdam"]);
    });
    let for_restricted = edited_voyage(|document| {
        for event in document["epcisBody"]["eventList"].as_array_mut().unwrap() {
            event["bizTransactionList"][0]["bizTransaction"] = Value::from("PO-2026-0200");
        }
    });
    let error = refusal(epcis(&carrier, &for_restricted));
    assert_eq!(error.code, "refused_by_state_machine", "{error}");
    assert!(
        error.message.starts_with("epcisBody.eventList[1]: "),
        "{error}"
    );
    assert_eq!(error.path.as_deref(), Some("epcisBody.eventList[1]"));
    assert_eq!(cluster.settle(&ALL, &restricted)["seq"], 0);
    assert_eq!(cluster.settle(&ALL, &order)["seq"], before["seq"]);

    // The sample: departed, then an ETA 54 days after departure switches to air freight.
    let answer = epcis(&carrier, &sample("epcis-voyage.json")).unwrap();
    let facts = answer["facts"].as_array().unwrap();
    assert_eq!(facts.len(), 2, "{answer}");
    assert_eq!(facts[0]["path"], "epcisBody.eventList[0]");
    assert_eq!(facts[0]["kind"], "shipment.departed");
    assert_eq!(facts[0]["at"], "2026-01-10T00:00:00Z");
    assert_eq!(facts[1]["result"]["committed"], true, "{answer}");
    let view = cluster.settle(&ALL, &order);
    assert_eq!(view["terms"]["transport_mode"], "air", "{view}");
    assert_eq!(
        view["facts"]["shipment.eta_updated"]["fields"]["eta"], "2026-03-05T00:00:00Z",
        "{view}"
    );
    // The same document again: the same entries, nothing recorded twice.
    let again = epcis(&carrier, &sample("epcis-voyage.json")).unwrap();
    for fact in 0..2 {
        assert_eq!(
            again["facts"][fact]["result"]["seq"], facts[fact]["result"]["seq"],
            "{again}"
        );
    }
    assert_eq!(cluster.settle(&ALL, &order)["seq"], view["seq"]);

    // The typhoon alert covers Hong Kong and Guangdong, both on the route: one fact for the
    // order, from the first area; the amendment within 24 h of the last trips the breaker.
    let error = refusal(cap(
        &carrier,
        &String::from_utf8(sample("cap-typhoon.xml"))
            .unwrap()
            .replace(
                "<certainty>Observed</certainty>",
                "<certainty>Possible</certainty>",
            )
            .into_bytes(),
    ));
    assert!(
        error.message.starts_with("alert.info[1].certainty: "),
        "{error}"
    );
    assert_eq!(error.path.as_deref(), Some("alert.info[1].certainty"));
    let answer = cap(&carrier, &sample("cap-typhoon.xml")).unwrap();
    let facts = answer["facts"].as_array().unwrap();
    assert_eq!(facts.len(), 1, "{answer}");
    assert_eq!(facts[0]["path"], "alert.info[1].area[0]");
    assert_eq!(facts[0]["order"], order.as_str());
    assert_eq!(
        facts[0]["result"]["entry"]["outcome"]["type"], "breaker_tripped",
        "{answer}"
    );
    let view = cluster.settle(&ALL, &order);
    assert_eq!(
        view["facts"]["weather.alert"]["fields"]["region"], "Hong Kong",
        "{view}"
    );
}

#[test]
fn an_order_given_by_the_request_and_alerts_for_no_order() {
    let cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = start_order(&cluster);
    let carrier = cluster.client("carrier");
    // An alert for an area on no order's route: nothing to do, and said so.
    let elsewhere = String::from_utf8(sample("cap-typhoon.xml"))
        .unwrap()
        .replace("Hong Kong", "Okinawa")
        .replace("Guangdong", "Taiwan");
    let answer = cap(&carrier, elsewhere.as_bytes()).unwrap();
    assert_eq!(answer["facts"], serde_json::json!([]), "{answer}");
    assert_eq!(answer["skipped"].as_array().unwrap().len(), 2, "{answer}");
    // The same alert sent for the order by its reference: one fact.
    let answer = carrier
        .post_document(
            "/ingest/cap?order=PO-2026-0117",
            "application/xml",
            elsewhere.as_bytes(),
        )
        .unwrap();
    assert_eq!(answer["facts"][0]["order"], order.as_str(), "{answer}");
    assert_eq!(answer["facts"].as_array().unwrap().len(), 1, "{answer}");
    let error = refusal(carrier.post_document(
        "/ingest/cap?order=PO-1999-0001",
        "application/xml",
        elsewhere.as_bytes(),
    ));
    assert_eq!(error.status, 404, "{error}");
}

#[test]
fn the_ingest_load_command_commits_every_event_it_sends() {
    let options = pactum_node::load::ingest::IngestLoadOptions {
        orders: 2,
        documents: 2,
        events_per_document: 3,
    };
    let report = pactum_node::load::ingest::run(&options).unwrap();
    assert_eq!(
        (report.documents, report.committed),
        (4, 12),
        "{}",
        report.render()
    );
}

/// A hook that reports reaching its point, then waits until released.
fn pause() -> (
    std::sync::mpsc::Receiver<()>,
    std::sync::Arc<tokio::sync::Notify>,
    pactum_node::engine::PauseHook,
) {
    let (reached, checked) = std::sync::mpsc::channel();
    let release = std::sync::Arc::new(tokio::sync::Notify::new());
    let paused = release.clone();
    let hook: pactum_node::engine::PauseHook = std::sync::Arc::new(move || {
        let _ = reached.send(());
        let paused = paused.clone();
        Box::pin(async move { paused.notified().await })
    });
    (checked, release, hook)
}

/// The EPCIS sample with its two events for the orders of `references`, in that order.
fn voyage_for(references: [&str; 2]) -> Vec<u8> {
    edited_voyage(|document| {
        for (index, reference) in references.into_iter().enumerate() {
            document["epcisBody"]["eventList"][index]["bizTransactionList"][0]["bizTransaction"] =
                Value::from(format!("urn:epcglobal:cbv:bt:0614141000005:{reference}"));
        }
    })
}

/// Every party closes `order`.
fn close(cluster: &Cluster, order: &str) {
    for role in ALL {
        let request = serde_json::json!({"note": "cancelled", "at": "2026-01-06T00:00:00Z"});
        cluster
            .client(role)
            .post(&format!("/orders/{order}/close"), &request)
            .unwrap();
    }
}

/// Sends a document for two new orders to `role`'s node, whose ingest pauses at the hook
/// `at` sets; meanwhile every party closes the second order. The document is refused whole
/// at its second fact, and the first order's fact is not recorded either. The cluster, the
/// first order and the pause (for more documents).
fn close_while_paused(
    role: &str,
    references: [&str; 2],
    at: impl FnOnce(&mut pactum_node::engine::Hooks, pactum_node::engine::PauseHook),
) -> (Cluster, String, Paused) {
    let (reached, release, hook) = pause();
    let mut hooks = pactum_node::engine::Hooks::default();
    at(&mut hooks, hook);
    let cluster = Cluster::start(&ALL, BTreeMap::from([(role.to_string(), hooks)]));
    let first = start_order_with(&cluster, references[0], |_| {});
    let second = start_order_with(&cluster, references[1], |_| {});
    let document = voyage_for(references);
    let client = cluster.client(role);
    let ingest = std::thread::spawn(move || epcis(&client, &document));
    reached.recv_timeout(common::PATIENCE).unwrap();
    close(&cluster, &second);
    release.notify_one();
    let error = refusal(ingest.join().unwrap());
    assert_eq!(
        (error.status, error.code.as_str()),
        (409, "order_closed"),
        "{error}"
    );
    assert_eq!(
        error.path.as_deref(),
        Some("epcisBody.eventList[1]"),
        "{error}"
    );
    assert_eq!(
        cluster.settle(&ALL, &first)["seq"],
        0,
        "the first fact, for an order still open, was not recorded either"
    );
    (cluster, first, (reached, release))
}

/// A paused hook: reached, and released.
type Paused = (
    std::sync::mpsc::Receiver<()>,
    std::sync::Arc<tokio::sync::Notify>,
);

/// A document checked whole, then raced: between the check and the submission another client
/// closes the order its second fact is for. Nothing of the document is recorded, and the
/// answer names the fact that no longer fits.
#[test]
fn a_document_raced_between_its_check_and_its_submission_changes_nothing() {
    close_while_paused("seller", ["PO-RACE-A", "PO-RACE-B"], |hooks, hook| {
        hooks.ingest_checked = Some(hook);
    });
}

/// At a node that sequences none of the document's orders (the carrier's), the orders' one
/// sequencer takes the document whole or refuses it whole: here its view moved ahead of the
/// carrier's (the second order closed after the carrier checked the document), and the first
/// order's fact is not recorded either. A document for two open orders commits both.
#[test]
fn a_document_forwarded_to_its_orders_sequencer_is_taken_whole_or_not_at_all() {
    let (cluster, first, (forwarding, release)) =
        close_while_paused("carrier", ["PO-FWD-A", "PO-FWD-B"], |hooks, hook| {
            hooks.ingest_forwarding = Some(hook);
        });
    let third = start_order_with(&cluster, "PO-FWD-C", |_| {});
    let document = voyage_for(["PO-FWD-A", "PO-FWD-C"]);
    let carrier = cluster.client("carrier");
    let ingest = std::thread::spawn(move || epcis(&carrier, &document));
    forwarding.recv_timeout(common::PATIENCE).unwrap();
    release.notify_one();
    let answer = ingest.join().unwrap().unwrap();
    for (fact, order) in [(0, &first), (1, &third)] {
        assert_eq!(answer["facts"][fact]["order"], order.as_str(), "{answer}");
        assert_eq!(answer["facts"][fact]["result"]["seq"], 1, "{answer}");
        assert_eq!(cluster.settle(&ALL, order)["seq"], 1);
    }
}

/// A document whose orders are sequenced by different nodes is refused up front, wherever it
/// is sent, naming the first fact for another sequencer's order: no node could take it whole.
#[test]
fn a_document_for_orders_of_different_sequencers_is_refused_whole() {
    let cluster = Cluster::start(&ALL, BTreeMap::new());
    let sellers = start_order_with(&cluster, "PO-SEQ-S", |_| {});
    let carriers = start_order_with(&cluster, "PO-SEQ-C", |proposal| {
        proposal["sequencer"] = Value::from("carrier");
    });
    let document = voyage_for(["PO-SEQ-S", "PO-SEQ-C"]);
    for role in ["seller", "buyer", "carrier"] {
        let error = refusal(epcis(&cluster.client(role), &document));
        assert_eq!(
            (error.status, error.code.as_str()),
            (422, "document_spans_sequencers"),
            "at the {role}'s node: {error}"
        );
        assert_eq!(error.path.as_deref(), Some("epcisBody.eventList[1]"));
        assert!(
            error.message.contains(&carriers) && error.message.contains(&sellers),
            "the message names both orders: {error}"
        );
    }
    for order in [&sellers, &carriers] {
        assert_eq!(cluster.settle(&ALL, order)["seq"], 0);
    }
}

/// A document for several orders of one sequencer whose node does not answer is refused
/// (`503 party_unreachable`), not queued: queued per order, its groups would later be taken
/// one by one. Nothing is kept, and the same document sent once the node is back commits.
#[test]
fn a_document_for_several_orders_of_an_absent_sequencer_is_refused_not_queued() {
    let mut cluster = Cluster::start(&ALL, BTreeMap::new());
    let first = start_order_with(&cluster, "PO-AWAY-A", |_| {});
    let second = start_order_with(&cluster, "PO-AWAY-B", |_| {});
    let document = voyage_for(["PO-AWAY-A", "PO-AWAY-B"]);
    cluster.stop_node("seller");
    let error = refusal(epcis(&cluster.client("carrier"), &document));
    assert_eq!(
        (error.status, error.code.as_str()),
        (503, "party_unreachable"),
        "{error}"
    );
    let health = cluster.client("carrier").get("/health").unwrap();
    assert_eq!(health["queued_facts"], 0, "nothing queued: {health}");
    cluster.start_node("seller", Default::default());
    let answer = epcis(&cluster.client("carrier"), &document).unwrap();
    for (fact, order) in [(0, &first), (1, &second)] {
        assert_eq!(answer["facts"][fact]["result"]["seq"], 1, "{answer}");
        assert_eq!(cluster.settle(&ALL, order)["seq"], 1);
    }
}

/// The last party's accept reaches the sequencer's node after its sync tick opened the order
/// (the tick opens a contract every party signed as soon as the last signature is stored):
/// that party is answered with the genesis, as if its accept had opened the order, not
/// refused (`already_started`).
#[test]
fn an_accept_answered_after_the_tick_opened_the_order_learns_its_genesis() {
    let (reached, release, hook) = pause();
    let hooks = pactum_node::engine::Hooks {
        contract_signed: Some(hook),
        ..Default::default()
    };
    let cluster = Cluster::start(&ALL, BTreeMap::from([("seller".to_string(), hooks)]));
    let order = propose_with(&cluster, "PO-2026-0117", |_| {});
    let accept = format!("/orders/{order}/accept");
    cluster
        .client("buyer")
        .post(&accept, &serde_json::json!({}))
        .unwrap();
    let carrier = cluster.client("carrier");
    let last = std::thread::spawn(move || carrier.post(&accept, &serde_json::json!({})));
    reached.recv_timeout(common::PATIENCE).unwrap();
    // The seller's tick opens the order while the carrier's accept waits at the hook.
    common::wait_until("the seller's tick opened the order", || {
        cluster
            .client("seller")
            .get(&format!("/orders/{order}"))
            .is_ok()
    });
    release.notify_one();
    let answer = last.join().unwrap().unwrap();
    assert_eq!(answer["status"], "started", "{answer}");
    assert_eq!(cluster.settle(&ALL, &order)["seq"], 0);
}

/// A long document for one order, sent to a party's node (the carrier's): more facts than one
/// of its core's forwards carries (64) still reach the sequencer in one request, taken whole.
#[test]
fn a_long_document_for_an_order_sequenced_elsewhere_is_taken_whole() {
    let cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = start_order(&cluster);
    let document = edited_voyage(|document| {
        let departed = document["epcisBody"]["eventList"][0].clone();
        let events: Vec<Value> = (0..70)
            .map(|minute| {
                let mut event = departed.clone();
                event["eventTime"] = Value::from(format!(
                    "2026-01-10T{:02}:{:02}:00.000+08:00",
                    8 + minute / 60,
                    minute % 60
                ));
                event
            })
            .collect();
        document["epcisBody"]["eventList"] = Value::from(events);
    });
    let answer = epcis(&cluster.client("carrier"), &document).unwrap();
    assert_eq!(answer["facts"][69]["result"]["seq"], 70, "{answer}");
    assert_eq!(cluster.settle(&ALL, &order)["seq"], 70);
}

/// A one-order document sent to a party's node (the carrier's) while the sequencer's node is
/// away: accepted (202) and queued there as one document, kept across a restart of the
/// carrier's node (which facts came together is stored with them), and forwarded whole once
/// the sequencer's node is back: both facts commit, in order.
#[test]
fn a_queued_document_kept_across_a_restart_is_forwarded_whole() {
    let mut cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = start_order(&cluster);
    cluster.stop_node("seller");
    let answer = epcis(&cluster.client("carrier"), &sample("epcis-voyage.json")).unwrap();
    for fact in 0..2 {
        assert_eq!(
            answer["facts"][fact]["result"]["status"], "queued",
            "{answer}"
        );
    }
    cluster.stop_node("carrier");
    cluster.start_node("carrier", Default::default());
    let health = cluster.client("carrier").get("/health").unwrap();
    assert_eq!(health["queued_facts"], 2, "{health}");
    cluster.start_node("seller", Default::default());
    // Forwarded on the carrier's tick: wait for both facts to commit.
    common::wait_until("both facts committed", || {
        cluster.view("carrier", &order)["seq"] == 2
    });
    let view = cluster.settle(&ALL, &order);
    assert_eq!(view["seq"], 2, "{view}");
    assert_eq!(view["terms"]["transport_mode"], "air", "{view}");
}
