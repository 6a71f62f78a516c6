//! What an operator sees, on two `pactum-node run` processes logging JSON: a breaker trip and
//! a review in the logs; with the buyer's node killed, `/health` degraded (the party
//! unreachable, a fact queued), per-peer failures, queued facts, orders by state and process
//! figures in the metrics, and the peer lost then regained in the logs; with it back, the
//! queued fact commits and `/health` is ok again.

use std::{
    collections::BTreeMap,
    path::Path,
    time::{Duration, Instant},
};

use pactum_node::{
    api::{AcceptOrder, EventRequest, ProposeOrder, SubmitEvent, SubmitReview},
    client::ApiClient,
    demo::scenario,
    load::node_process::{NodeDir, NodeProcess},
};
use serde_json::{json, Value};

const PATIENCE: Duration = Duration::from_secs(60);
const EXE: &str = env!("CARGO_BIN_EXE_pactum-node");

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn event(client: &ApiClient, order: &str, kind: &str, at: &str, fields: Value) -> Value {
    let request = SubmitEvent {
        signed: None,
        event: Some(EventRequest {
            kind: kind.into(),
            at: at.into(),
            fields: fields
                .as_object()
                .map(|map| map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        }),
    };
    client
        .post(&format!("/orders/{order}/events"), &request)
        .unwrap()
}

fn typhoon(client: &ApiClient, order: &str, at: &str, region: &str) -> Value {
    let fields = json!({ "kind": "typhoon", "level": "red", "region": region });
    event(client, order, "weather.alert", at, fields)
}

/// The JSON log lines of a node with `message`.
fn logged(log: &Path, message: &str) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["message"] == message)
        .collect()
}

fn metrics(client: &ApiClient) -> String {
    String::from_utf8(client.get_bytes("/metrics").unwrap()).unwrap()
}

/// The value of the first metric line starting with `prefix`.
fn metric(text: &str, prefix: &str) -> Option<i64> {
    text.lines()
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

fn reason_codes(health: &Value) -> Vec<String> {
    health["reasons"]
        .as_array()
        .unwrap_or_else(|| panic!("{health}"))
        .iter()
        .map(|reason| reason["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn an_operator_sees_trips_reviews_an_unreachable_party_and_its_return() {
    let dir = tempfile::tempdir().unwrap();
    let mut seller = NodeDir::init(dir.path(), "seller").unwrap();
    let mut buyer = NodeDir::init(dir.path(), "buyer").unwrap();
    let parties = [
        ("seller".to_string(), seller.public_key, seller.p2p_port),
        ("buyer".to_string(), buyer.public_key, buyer.p2p_port),
    ];
    seller.set_peers(&parties).unwrap();
    buyer.set_peers(&parties).unwrap();
    let seller_log = dir.path().join("seller.log");
    let buyer_log = dir.path().join("buyer.log");
    let _seller_process =
        NodeProcess::spawn_logging_to(Path::new(EXE), &seller, &seller_log).unwrap();
    let buyer_process = NodeProcess::spawn_logging_to(Path::new(EXE), &buyer, &buyer_log).unwrap();
    let (at_seller, at_buyer) = (seller.client(), buyer.client());

    // Both parties attest everything; at most one automatic amendment a day.
    let mut proposal: ProposeOrder = scenario::proposal(&BTreeMap::new(), "PO-OPS");
    proposal.parties = Some(BTreeMap::from([
        ("seller".into(), hex::encode(seller.public_key.as_bytes())),
        ("buyer".into(), hex::encode(buyer.public_key.as_bytes())),
    ]));
    proposal.attesters = None;
    proposal.breaker = Some(pactum_node::api::BreakerRequest {
        max_automatic_amendments: 1,
        window_seconds: 86_400,
    });
    let order = at_seller.post("/orders", &proposal).unwrap()["order"]
        .as_str()
        .unwrap()
        .to_string();
    at_buyer
        .post(&format!("/orders/{order}/accept"), &AcceptOrder::default())
        .unwrap();
    wait_for("the order starts", || {
        at_buyer.get(&format!("/orders/{order}")).is_ok()
    });
    assert_eq!(at_seller.get("/health").unwrap()["status"], "ok");

    // A breaker trip and the review that resumes the order, in both nodes' logs.
    let departed = json!({ "port": "Shenzhen" });
    event(
        &at_seller,
        &order,
        "shipment.departed",
        "2026-01-10T00:00:00Z",
        departed,
    );
    typhoon(&at_seller, &order, "2026-02-20T00:00:00Z", "Hong Kong");
    let tripped = typhoon(&at_seller, &order, "2026-02-20T06:00:00Z", "Guangdong");
    assert_eq!(
        tripped["entry"]["outcome"]["type"], "breaker_tripped",
        "{tripped}"
    );
    wait_for("the buyer's node holds the trip", || {
        at_buyer.get(&format!("/orders/{order}")).unwrap()["status"]["state"] == "breaker_tripped"
    });
    let review = SubmitReview {
        decision: "approve".into(),
        note: "both alerts are genuine".into(),
        at: None,
        terms: Default::default(),
    };
    for client in [&at_seller, &at_buyer] {
        client
            .post(&format!("/orders/{order}/review"), &review)
            .unwrap();
    }
    let trip_message = "evolution circuit breaker tripped: automatic amendments wait for a review signed by every party";
    for log in [&seller_log, &buyer_log] {
        wait_for("the trip and the review are logged", || {
            !logged(log, trip_message).is_empty()
                && !logged(log, "review decision committed").is_empty()
        });
        assert_eq!(logged(log, trip_message)[0]["order"], order.as_str());
    }
    let seq = at_seller.get(&format!("/orders/{order}")).unwrap()["seq"].clone();

    // The buyer's node goes away: a fact is queued and the seller says why it is degraded.
    drop(buyer_process);
    let queued = event(
        &at_seller,
        &order,
        "return.requested",
        "2026-02-21T00:00:00Z",
        json!({ "reason": "wrong size" }),
    );
    assert_eq!(queued["status"], "queued", "{queued}");
    let health = at_seller.get("/health").unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    let codes = reason_codes(&health);
    assert!(codes.contains(&"party_unreachable".to_string()), "{health}");
    assert!(codes.contains(&"facts_queued".to_string()), "{health}");
    assert_eq!(health["queued_facts"], 1);
    assert_eq!(health["orders_by_state"]["running"], 1);
    let text = metrics(&at_seller);
    let buyer_label = format!(
        "{{role=\"buyer\",peer=\"{}\"}}",
        &hex::encode(buyer.public_key.as_bytes())[..16]
    );
    let requests = metric(&text, &format!("pactum_peer_requests_total{buyer_label}"));
    let failures = metric(
        &text,
        &format!("pactum_peer_request_failures_total{buyer_label}"),
    );
    assert!(requests.unwrap_or(0) > failures.unwrap_or(0), "{text}");
    assert!(failures.unwrap_or(0) >= 1, "{text}");
    let unreachable = format!("pactum_peer_unreachable{buyer_label}");
    assert_eq!(metric(&text, &unreachable), Some(1), "{text}");
    assert!(
        metric(&text, "pactum_peer_round_trip_micros_total").unwrap_or(0) > 0,
        "{text}"
    );
    assert_eq!(metric(&text, "pactum_queued_facts "), Some(1), "{text}");
    assert_eq!(
        metric(&text, "pactum_orders_by_state{state=\"running\"}"),
        Some(1)
    );
    assert!(metric(&text, "pactum_process_resident_memory_bytes ").unwrap_or(0) > 0);
    assert!(metric(&text, "pactum_process_open_fds ").unwrap_or(0) > 0);
    assert!(metric(&text, "pactum_process_cpu_milliseconds ").is_some());
    let lost = logged(&seller_log, "a party's node is unreachable");
    assert_eq!(lost.len(), 1, "logged once however many requests fail");
    assert_eq!(lost[0]["role"], "buyer");
    // The party's key, as /health names it (`peer` in logs is a libp2p peer id).
    let buyer_key = hex::encode(buyer.public_key.as_bytes());
    assert_eq!(lost[0]["key"], buyer_key.as_str(), "{}", lost[0]);

    // Back again: the queued fact commits without being resent, and all is well.
    let _buyer_process = NodeProcess::spawn_logging_to(Path::new(EXE), &buyer, &buyer_log).unwrap();
    wait_for("the queued fact commits", || {
        at_seller.get(&format!("/orders/{order}")).unwrap()["seq"]
            .as_u64()
            .zip(seq.as_u64())
            .is_some_and(|(now, before)| now > before)
    });
    wait_for("the seller is healthy again", || {
        at_seller.get("/health").unwrap()["status"] == "ok"
    });
    assert_eq!(metric(&metrics(&at_seller), &unreachable), Some(0));
    let regained = logged(&seller_log, "a party's node is reachable again");
    assert_eq!(regained.len(), 1);
    assert_eq!(regained[0]["role"], "buyer");
    assert_eq!(regained[0]["key"], buyer_key.as_str());
}
