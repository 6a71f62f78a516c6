//! Orders close on real nodes: a close signed by every party, after which the order takes no
//! fact (409 `order_closed`, at the sequencer's node and at a cosigner's); its bundle still
//! exports and verifies; after a restart it is not loaded until asked for. Nothing here
//! asserts on timings.

mod common;

use std::{
    collections::BTreeMap,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use common::{verify, wait_until, Cluster};
use pactum_node::{api::SubmitClose, client::ClientError, engine::Hooks, launch::NodeSpec};
use serde_json::{json, Value};
use verifier::model::{Digest, Step};

const ALL: [&str; 3] = ["seller", "buyer", "carrier"];

fn departed(cluster: &Cluster, order: &str, via: &str) -> Result<Value, ClientError> {
    cluster.event(
        via,
        order,
        "shipment.departed",
        "2026-01-10T00:00:00Z",
        json!({ "port": "Shenzhen" }),
    )
}

/// A fact the order has not recorded.
fn eta(cluster: &Cluster, order: &str, via: &str) -> Result<Value, ClientError> {
    cluster.event(
        via,
        order,
        "shipment.eta_updated",
        "2026-01-12T00:00:00Z",
        json!({ "eta": "2026-02-20T00:00:00Z" }),
    )
}

fn close(cluster: &Cluster, role: &str, order: &str) -> Result<Value, ClientError> {
    let request = SubmitClose {
        note: "delivered and paid; nothing outstanding".into(),
        at: Some("2026-03-01T00:00:00Z".into()),
    };
    cluster
        .client(role)
        .post(&format!("/orders/{order}/close"), &request)
}

/// Whether `role`'s node holds `order` in memory.
fn loaded(cluster: &Cluster, role: &str, order: &str) -> bool {
    let order = Digest::from_hex(order).unwrap();
    cluster.nodes[role].engine.order_ids().contains(&order)
}

#[test]
fn an_order_closed_by_every_party_takes_no_fact_and_still_verifies() {
    let mut cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-CLOSE", None);
    let other = cluster.start_order(&ALL, "PO-OPEN", None);
    departed(&cluster, &order, "carrier").unwrap();
    cluster.settle(&ALL, &order);

    // Nothing closes until every party signed the same close.
    let signed = close(&cluster, "seller", &order).unwrap();
    assert_eq!(signed["status"], "signed", "{signed}");
    assert_eq!(signed["signed"], json!(["seller"]));
    assert_eq!(
        close(&cluster, "buyer", &order).unwrap()["status"],
        "signed"
    );
    assert_eq!(cluster.view("seller", &order)["status"]["state"], "running");
    let closed = close(&cluster, "carrier", &order).unwrap();
    assert_eq!(closed["status"], "closed", "{closed}");
    assert_eq!(closed["seq"], 2, "{closed}");
    let view = cluster.settle(&ALL, &order);
    assert_eq!(view["status"]["state"], "closed", "{view}");

    // No new fact, at the sequencer's node or through a cosigner's (a fact it recorded
    // before gets its entry, as any resubmission does); no second close.
    assert_eq!(departed(&cluster, &order, "carrier").unwrap()["seq"], 1);
    for via in ["seller", "carrier"] {
        let refused = eta(&cluster, &order, via).unwrap_err();
        assert_eq!(refused.code(), Some("order_closed"), "via {via}: {refused}");
        assert!(
            matches!(&refused, ClientError::Api(error) if error.status == 409),
            "{refused}"
        );
    }
    let again = close(&cluster, "buyer", &order).unwrap_err();
    assert_eq!(again.code(), Some("order_closed"), "{again}");

    // The bundle carries the close and verifies.
    let (bundle, trust) = cluster.bundle("buyer", &order);
    let report = verify(&bundle, &trust).unwrap();
    let last = report.entries.last().unwrap();
    assert!(matches!(last.body.step, Step::Close(_)));
    assert_eq!(
        last.close.as_ref().unwrap().note,
        "delivered and paid; nothing outstanding"
    );

    // Restarted, the node loads its open orders only; the closed one is read when asked for.
    cluster.stop_node("seller");
    cluster.start_node("seller", Hooks::default());
    assert!(loaded(&cluster, "seller", &other));
    assert!(!loaded(&cluster, "seller", &order));
    // Listed from the store, without loading it.
    let seller = cluster.client("seller");
    let closed = seller.get("/orders?state=closed").unwrap();
    assert_eq!(closed["orders"].as_array().unwrap().len(), 1, "{closed}");
    assert_eq!(closed["orders"][0]["order"], order.as_str(), "{closed}");
    assert_eq!(closed["orders"][0]["state"], "closed", "{closed}");
    assert_eq!(closed["orders"][0]["seq"], 2, "{closed}");
    assert_eq!(closed["orders"][0]["order_ref"], "PO-CLOSE", "{closed}");
    let all = seller.get("/orders").unwrap();
    assert_eq!(all["orders"].as_array().unwrap().len(), 2, "{all}");
    let first = seller.get("/orders?limit=1").unwrap();
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = seller
        .get(&format!("/orders?limit=1&cursor={cursor}"))
        .unwrap();
    assert_ne!(first["orders"][0]["order"], second["orders"][0]["order"]);
    assert_eq!(second["next_cursor"], Value::Null, "{second}");
    let running = seller.get("/orders?state=running").unwrap();
    assert_eq!(running["orders"][0]["order"], other.as_str(), "{running}");
    assert_eq!(running["orders"].as_array().unwrap().len(), 1, "{running}");
    assert!(!loaded(&cluster, "seller", &order));
    let refused = eta(&cluster, &order, "seller").unwrap_err();
    assert_eq!(refused.code(), Some("order_closed"), "{refused}");
    assert!(loaded(&cluster, "seller", &order));
    assert_eq!(cluster.view("seller", &order)["status"]["state"], "closed");
    let (bundle, trust) = cluster.bundle("seller", &order);
    assert_eq!(verify(&bundle, &trust).unwrap().entries.len(), 3);
    // The open order goes on.
    departed(&cluster, &other, "carrier").unwrap();
}

#[test]
fn an_order_with_a_fact_waiting_to_commit_does_not_close() {
    let mut cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-CLOSE-QUEUED", None);
    cluster.stop_node("buyer");
    let queued = departed(&cluster, &order, "carrier").unwrap();
    assert_eq!(queued["status"], "queued", "{queued}");
    // The carrier's node holds the fact, and so does the seller's (the sequencer).
    for role in ["carrier", "seller"] {
        let refused = close(&cluster, role, &order).unwrap_err();
        assert_eq!(refused.code(), Some("facts_queued"), "{role}: {refused}");
    }
}

/// A return the buyer's node attests (its party may attest `return.requested`).
fn return_requested(cluster: &Cluster, order: &str, at: &str) -> Result<Value, ClientError> {
    cluster.event(
        "buyer",
        order,
        "return.requested",
        at,
        json!({ "reason": "wrong size" }),
    )
}

/// A party that signed a close takes no new fact at its node (409 `order_closing`: the close
/// would refuse it once it commits, after the node had acknowledged it); nothing is queued.
/// The sequencer's node still takes one: the order moves on and the close signed before it is
/// void, so the buyer's node takes facts again and the parties sign a new close.
#[test]
fn a_party_that_signed_a_close_takes_no_new_fact_at_its_node() {
    let cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-CLOSING", None);
    departed(&cluster, &order, "carrier").unwrap();
    cluster.settle(&ALL, &order);

    assert_eq!(
        close(&cluster, "buyer", &order).unwrap()["status"],
        "signed"
    );
    let refused = return_requested(&cluster, &order, "2026-01-11T00:00:00Z").unwrap_err();
    assert_eq!(refused.code(), Some("order_closing"), "{refused}");
    assert!(
        matches!(&refused, ClientError::Api(error) if error.status == 409),
        "{refused}"
    );
    let health = cluster.client("buyer").get("/health").unwrap();
    assert_eq!(health["queued_facts"], 0, "nothing queued: {health}");
    assert_eq!(cluster.view("seller", &order)["seq"], 1);

    // At the sequencer's node a fact is taken; the buyer's close is void (another entry took
    // its position), so the buyer's node takes facts again.
    let inspected = cluster.event(
        "seller",
        &order,
        "return.inspected",
        "2026-01-12T00:00:00Z",
        json!({ "appearance": "intact", "accessories_complete": true }),
    );
    assert_eq!(inspected.unwrap()["seq"], 2);
    cluster.settle(&ALL, &order);
    let taken = return_requested(&cluster, &order, "2026-01-13T00:00:00Z").unwrap();
    assert_eq!(taken["seq"], 3, "{taken}");
    cluster.settle(&ALL, &order);
    for role in ALL {
        let answer = close(&cluster, role, &order).unwrap();
        let done = if role == "carrier" {
            "closed"
        } else {
            "signed"
        };
        assert_eq!(answer["status"], done, "{role}: {answer}");
    }
    let view = cluster.settle(&ALL, &order);
    assert_eq!(view["status"]["state"], "closed", "{view}");
}

/// A close the sequencer refuses (a fact waits there) is not held anywhere, so it keeps no fact
/// out at the node of the party that signed it.
#[test]
fn a_close_the_sequencer_refused_keeps_no_fact_out() {
    let mut cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-CLOSE-REFUSED", None);
    departed(&cluster, &order, "carrier").unwrap();
    cluster.settle(&ALL, &order);
    // The carrier's node is down: a fact submitted at the sequencer's node waits there.
    cluster.stop_node("carrier");
    let inspected = cluster.event(
        "seller",
        &order,
        "return.inspected",
        "2026-01-12T00:00:00Z",
        json!({ "appearance": "intact", "accessories_complete": true }),
    );
    assert_eq!(inspected.unwrap()["status"], "queued");
    let refused = close(&cluster, "buyer", &order).unwrap_err();
    assert!(
        refused.to_string().contains("facts_queued"),
        "the sequencer refused it: {refused}"
    );
    let taken = return_requested(&cluster, &order, "2026-01-13T00:00:00Z").unwrap();
    assert_eq!(taken["status"], "queued", "{taken}");
}

/// A party withdraws its close signature (`DELETE /orders/{id}/close`): at its own node, which
/// takes facts again at once (not after `closing_patience`), and at the sequencer's, which
/// holds the signature no more (the other parties' signatures do not close the order).
#[test]
fn a_party_that_withdraws_its_close_signature_takes_facts_again_and_must_sign_again() {
    let cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-CLOSE-WITHDRAWN", None);
    departed(&cluster, &order, "carrier").unwrap();
    cluster.settle(&ALL, &order);

    assert_eq!(
        close(&cluster, "buyer", &order).unwrap()["status"],
        "signed"
    );
    let refused = return_requested(&cluster, &order, "2026-01-11T00:00:00Z").unwrap_err();
    assert_eq!(refused.code(), Some("order_closing"), "{refused}");
    let withdrawn = cluster
        .client("buyer")
        .delete(&format!("/orders/{order}/close"))
        .unwrap();
    assert_eq!(withdrawn["status"], "withdrawn", "{withdrawn}");
    assert_eq!(withdrawn["role"], "buyer", "{withdrawn}");

    // The sequencer no longer holds the buyer's signature: the others' do not close the order.
    assert_eq!(
        close(&cluster, "carrier", &order).unwrap()["status"],
        "signed"
    );
    let last = close(&cluster, "seller", &order).unwrap();
    assert_eq!(last["status"], "signed", "{last}");
    assert_eq!(last["signed"], json!(["carrier", "seller"]), "{last}");
    assert_eq!(cluster.view("seller", &order)["status"]["state"], "running");

    // The buyer's node takes a fact at once; committed, it voids the signatures before it.
    let taken = return_requested(&cluster, &order, "2026-01-11T00:00:00Z").unwrap();
    assert_eq!(taken["seq"], 2, "{taken}");
    cluster.settle(&ALL, &order);

    // Withdrawing a close of a closed order is refused: there is nothing left to withdraw.
    for role in ALL {
        close(&cluster, role, &order).unwrap();
    }
    cluster.settle(&ALL, &order);
    let refused = cluster
        .client("buyer")
        .delete(&format!("/orders/{order}/close"))
        .unwrap_err();
    assert_eq!(refused.code(), Some("order_closed"), "{refused}");
}

/// A refusal the sequencer's node sends back is answered at the party's node with the status
/// its code has wherever it arises (one mapping, at the HTTP edge): with the carrier's node
/// down, the round of a close the buyer completes fails at the sequencer's node, 503
/// `party_unreachable` there and so at the buyer's node too (every relayed refusal was 409).
#[test]
fn a_refusal_relayed_from_the_sequencer_keeps_the_status_of_its_code() {
    let mut cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-CLOSE-RELAYED", None);
    departed(&cluster, &order, "carrier").unwrap();
    cluster.settle(&ALL, &order);
    for role in ["carrier", "seller"] {
        assert_eq!(close(&cluster, role, &order).unwrap()["status"], "signed");
    }
    cluster.stop_node("carrier");
    let refused = close(&cluster, "buyer", &order).unwrap_err();
    let ClientError::Api(refused) = refused else {
        panic!("the buyer's node answered no API error: {refused}");
    };
    assert_eq!(
        (refused.status, refused.code.as_str()),
        (503, "party_unreachable"),
        "{refused}"
    );
}

/// While set, the buyer's node catches up only when a proposal is ahead of it (its sync loop
/// waits an hour): it misses entries the sequencer's node does not announce.
static BUYER_SYNCS_SLOWLY: AtomicBool = AtomicBool::new(true);

fn buyer_syncs_slowly(spec: &mut NodeSpec) {
    if spec.role == "buyer" && BUYER_SYNCS_SLOWLY.load(Ordering::SeqCst) {
        spec.sync_interval = Duration::from_secs(3600);
    }
}

/// A node that cosigned a close whose announcement it missed takes no fact
/// (`order_closing`: the close may have committed), and with the sequencer's node down learns
/// from another party's node that it did: the order is closed there too (protocol rule 5).
#[test]
fn a_node_that_cosigned_a_close_learns_it_committed_from_another_party() {
    let mut cluster = Cluster::start_with(&ALL, BTreeMap::new(), buyer_syncs_slowly);
    let order = cluster.start_order(&ALL, "PO-CLOSE-COSIGNED", None);
    departed(&cluster, &order, "carrier").unwrap();
    cluster.settle(&ALL, &order);
    // From now on the sequencer announces nothing: the parties learn entries by catching up.
    cluster.stop_node("seller");
    let silent = Hooks {
        drop_announcements: true,
        ..Hooks::default()
    };
    cluster.start_node("seller", silent);

    for role in ALL {
        close(&cluster, role, &order).unwrap();
    }
    assert_eq!(cluster.view("seller", &order)["status"]["state"], "closed");
    // The carrier's node catches up from the sequencer's; the buyer's does not (yet).
    cluster.settle(&["seller", "carrier"], &order);
    let refused = return_requested(&cluster, &order, "2026-01-11T00:00:00Z").unwrap_err();
    assert_eq!(refused.code(), Some("order_closing"), "{refused}");
    assert!(refused.to_string().contains("cosigned"), "{refused}");

    // The sequencer's node goes down; the buyer's, restarted with its usual sync, asks the
    // sequencer's node in vain and then the carrier's, which holds the close.
    cluster.stop_node("seller");
    cluster.stop_node("buyer");
    BUYER_SYNCS_SLOWLY.store(false, Ordering::SeqCst);
    cluster.start_node("buyer", Hooks::default());
    wait_until("the buyer's node holds the close", || {
        cluster.view("buyer", &order)["status"]["state"] == "closed"
    });
    let refused = return_requested(&cluster, &order, "2026-01-11T00:00:00Z").unwrap_err();
    assert_eq!(refused.code(), Some("order_closed"), "{refused}");
}
