//! `Idempotency-Key` on real nodes: the same write sent again with the same key gets the
//! original answer (also after a restart: the answers are stored), never a second write; the
//! same key with another request is refused.

mod common;

use std::collections::BTreeMap;

use common::Cluster;
use pactum_node::{demo::scenario, engine::Hooks};
use serde_json::{json, Value};

const PARTIES: [&str; 2] = ["seller", "buyer"];

struct Answer {
    status: u16,
    replayed: bool,
    body: Value,
}

fn send(
    cluster: &Cluster,
    role: &str,
    method: &str,
    path: &str,
    key: &str,
    body: &Value,
) -> Answer {
    let node = &cluster.nodes[role];
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{}{path}", node.url());
    let request = match method {
        "POST" => agent.post(&url),
        other => panic!("no {other} here"),
    };
    let mut response = request
        .header("Authorization", format!("Bearer {}", node.token))
        .header("Idempotency-Key", key)
        .content_type("application/json")
        .send(body.to_string())
        .unwrap();
    let replayed = response.headers().get("idempotent-replayed").is_some();
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        replayed,
        body,
    }
}

fn proposal(cluster: &Cluster, order_ref: &str) -> Value {
    let mut proposal = scenario::proposal(&scenario::party_keys(), order_ref);
    proposal.parties = Some(
        PARTIES
            .iter()
            .map(|role| {
                let key = cluster.keys[*role].public_key();
                (role.to_string(), hex::encode(key.as_bytes()))
            })
            .collect(),
    );
    serde_json::to_value(proposal).unwrap()
}

#[test]
fn a_write_sent_again_with_its_key_gets_the_original_answer_and_writes_once() {
    let mut cluster = Cluster::start(&PARTIES, BTreeMap::new());
    let body = proposal(&cluster, "PO-IDEMPOTENT");
    let first = send(&cluster, "seller", "POST", "/orders", "propose-1", &body);
    assert_eq!(first.status, 201, "{}", first.body);
    assert!(!first.replayed);
    let again = send(&cluster, "seller", "POST", "/orders", "propose-1", &body);
    assert_eq!((again.status, again.replayed), (201, true));
    assert_eq!(again.body, first.body);
    let order = first.body["order"].as_str().unwrap().to_string();

    // The same key for another request is refused, and changes nothing.
    let other = send(
        &cluster,
        "seller",
        "POST",
        "/orders",
        "propose-1",
        &proposal(&cluster, "PO-OTHER"),
    );
    assert_eq!(other.status, 422, "{}", other.body);
    assert_eq!(other.body["error"]["code"], "idempotency_key_reused");
    let invited = cluster.client("buyer").get("/proposals").unwrap();
    assert!(invited.to_string().contains("PO-IDEMPOTENT"), "{invited}");
    assert!(!invited.to_string().contains("PO-OTHER"), "{invited}");

    let accept = send(
        &cluster,
        "buyer",
        "POST",
        &format!("/orders/{order}/accept"),
        "accept-1",
        &json!({}),
    );
    assert_eq!(accept.status, 200, "{}", accept.body);
    let event = json!({ "event": { "kind": "return.requested", "at": "2026-01-11T00:00:00Z",
                                   "fields": { "reason": "wrong size" } } });
    let path = format!("/orders/{order}/events");
    let committed = send(&cluster, "buyer", "POST", &path, "fact-1", &event);
    assert_eq!(committed.status, 200, "{}", committed.body);
    // A refusal is an answer too: replayed, not re-run.
    let late = json!({ "event": { "kind": "no.such_kind", "at": "2026-01-12T00:00:00Z" } });
    let refused = send(&cluster, "buyer", "POST", &path, "fact-2", &late);
    assert_eq!(refused.status, 422, "{}", refused.body);

    // Stored durably: after a restart the answers are the same.
    cluster.stop_node("buyer");
    cluster.start_node("buyer", Hooks::default());
    let again = send(&cluster, "buyer", "POST", &path, "fact-1", &event);
    assert_eq!((again.status, again.replayed), (200, true));
    assert_eq!(again.body, committed.body);
    let again = send(&cluster, "buyer", "POST", &path, "fact-2", &late);
    assert_eq!((again.status, again.replayed), (422, true));
    assert_eq!(again.body, refused.body);
    let history = cluster
        .client("seller")
        .get(&format!("/orders/{order}/history"))
        .unwrap();
    assert_eq!(
        history["entries"].as_array().unwrap().len(),
        2,
        "genesis and one fact"
    );

    // A key that is not a key.
    let bad = send(&cluster, "buyer", "POST", &path, "has space", &event);
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["error"]["code"], "invalid_idempotency_key");
}
