//! Peers changed at run time on real nodes: two nodes that start knowing nobody are introduced
//! through the operator API with `/dns4/localhost/…` addresses, run an order, and the change
//! survives a restart; a removed peer is forgotten and disconnected; peers added at run time
//! get in when no stranger may. Nothing here asserts on timings. Every answer the nodes give
//! must be one the OpenAPI document describes (`common::assert_documented`).

mod common;

use std::time::Duration;

use common::{assert_documented, record_answers, wait_until, Answers};

use pactum_node::{
    api::{AcceptOrder, PutPeer},
    demo::scenario,
    launch::{launch, NodeSpec, RunningNode},
    net::AdmissionLimits,
};
use serde_json::{json, Value};

fn spec(role: &str, dir: &std::path::Path, answers: &Answers) -> NodeSpec {
    let mut spec = NodeSpec::local(role, scenario::demo_key(role), dir.join(role));
    spec.request_timeout = Duration::from_secs(5);
    record_answers(&mut spec, answers);
    spec
}

/// `/dns4/localhost/tcp/PORT` of the node's libp2p listener.
fn by_name(node: &RunningNode) -> String {
    let addr = node.p2p_addrs[0].to_string();
    let port = addr
        .split("/tcp/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    format!("/dns4/localhost/tcp/{port}")
}

fn introduce(node: &RunningNode, other: &RunningNode) -> Value {
    let request = PutPeer {
        role: other.role.clone(),
        addresses: vec![by_name(other)],
    };
    let key = hex::encode(other.public_key.as_bytes());
    node.client()
        .put(&format!("/peers/{key}"), &request)
        .unwrap()
}

#[test]
fn peers_added_at_run_time_by_host_name_run_an_order_and_survive_a_restart() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let answers = Answers::default();
    let seller = runtime
        .block_on(launch(spec("seller", dir.path(), &answers)))
        .unwrap();
    let buyer = runtime
        .block_on(launch(spec("buyer", dir.path(), &answers)))
        .unwrap();
    assert_eq!(seller.client().get("/peers").unwrap()["peers"], json!([]));

    let set = introduce(&seller, &buyer);
    assert!(
        set["resolved"][0]
            .as_str()
            .unwrap()
            .starts_with("/ip4/127.0.0.1/tcp/"),
        "{set}"
    );
    introduce(&buyer, &seller);
    let listed = seller.client().get("/peers").unwrap();
    assert_eq!(listed["peers"][0]["role"], "buyer", "{listed}");
    assert_eq!(listed["peers"][0]["addresses"][0], by_name(&buyer));

    // A proposal without parties names the peers as they are now.
    let mut proposal = scenario::proposal(&scenario::party_keys(), "PO-PEERS");
    proposal.parties = None;
    proposal.attesters = None;
    let proposed = seller.client().post("/orders", &proposal).unwrap();
    let order = proposed["order"].as_str().unwrap().to_string();
    assert_eq!(proposed["delivered"]["buyer"], "delivered", "{proposed}");
    let accepted = buyer
        .client()
        .post(&format!("/orders/{order}/accept"), &AcceptOrder::default())
        .unwrap();
    assert_eq!(accepted["status"], "started", "{accepted}");

    // The seller restarts: the peer it was told of is still known and reachable.
    let seller_spec = spec("seller", dir.path(), &answers);
    runtime.block_on(seller.stop());
    let seller = runtime.block_on(launch(seller_spec)).unwrap();
    assert_eq!(
        seller.client().get("/peers").unwrap()["peers"][0]["role"],
        "buyer"
    );
    let event = pactum_node::api::SubmitEvent {
        signed: None,
        event: Some(pactum_node::api::EventRequest {
            kind: "shipment.departed".into(),
            at: "2026-01-10T00:00:00Z".into(),
            fields: [("port".to_string(), json!("Shenzhen"))]
                .into_iter()
                .collect(),
        }),
    };
    // The buyer learns the seller's new address (a new port) the same way.
    introduce(&buyer, &seller);
    let committed = seller
        .client()
        .post(&format!("/orders/{order}/events"), &event)
        .unwrap();
    assert_eq!(committed["seq"], 1, "{committed}");

    // Removed, the peer is forgotten (and stays forgotten after a restart).
    let key = hex::encode(buyer.public_key.as_bytes());
    seller.client().delete(&format!("/peers/{key}")).unwrap();
    assert_eq!(seller.client().get("/peers").unwrap()["peers"], json!([]));
    let missing = seller
        .client()
        .delete(&format!("/peers/{key}"))
        .unwrap_err();
    assert_eq!(missing.code(), Some("unknown_peer"));
    let bad = seller
        .client()
        .put(
            &format!("/peers/{key}"),
            &PutPeer {
                role: "buyer".into(),
                addresses: vec!["/dns4/no-such-host.invalid/tcp/1".into()],
            },
        )
        .unwrap_err();
    assert_eq!(bad.code(), Some("unresolvable_address"), "{bad}");
    let seller_spec = spec("seller", dir.path(), &answers);
    runtime.block_on(seller.stop());
    let seller = runtime.block_on(launch(seller_spec)).unwrap();
    assert_eq!(seller.client().get("/peers").unwrap()["peers"], json!([]));
    runtime.block_on(seller.stop());
    runtime.block_on(buyer.stop());
    assert_documented(&answers);
}

#[test]
fn a_peer_added_at_run_time_gets_a_partys_slot_and_a_removed_one_is_disconnected() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let answers = Answers::default();
    // Neither node admits any stranger.
    let closed = |role: &str| {
        let mut spec = spec(role, dir.path(), &answers);
        spec.admission = AdmissionLimits {
            max_strangers: 0,
            ..AdmissionLimits::default()
        };
        spec
    };
    let seller = runtime.block_on(launch(closed("seller"))).unwrap();
    let buyer = runtime.block_on(launch(closed("buyer"))).unwrap();
    introduce(&seller, &buyer);
    introduce(&buyer, &seller);

    // Introduced at run time, each is a party's node to the other: the proposal gets through.
    let mut proposal = scenario::proposal(&scenario::party_keys(), "PO-SLOTS");
    proposal.parties = None;
    proposal.attesters = None;
    let proposed = seller.client().post("/orders", &proposal).unwrap();
    assert_eq!(proposed["delivered"]["buyer"], "delivered", "{proposed}");
    let connected = |node: &RunningNode, other: &RunningNode| {
        runtime
            .block_on(node.net.peers())
            .unwrap()
            .contains(&other.peer_id)
    };
    assert!(connected(&seller, &buyer));

    // Removed, the buyer's node is disconnected, and as a stranger it cannot come back.
    let key = hex::encode(buyer.public_key.as_bytes());
    seller.client().delete(&format!("/peers/{key}")).unwrap();
    wait_until("the removed peer is disconnected", || {
        !connected(&seller, &buyer) && !connected(&buyer, &seller)
    });
    let order = proposed["order"].as_str().unwrap();
    let refused = buyer
        .client()
        .post(&format!("/orders/{order}/accept"), &AcceptOrder::default())
        .unwrap_err();
    assert!(!connected(&seller, &buyer), "{refused}");
    assert_documented(&answers);
}
