//! The co-signing protocol's promises, on real nodes (each with its own sled directory, libp2p
//! network and HTTP API on loopback): failed rounds, equivocation evidence, queued facts,
//! reviews. Nothing here asserts on timings.

mod common;

use std::{
    collections::BTreeMap,
    sync::{atomic::AtomicUsize, Arc, Mutex},
};

use common::Cluster;
use pactum_node::{client::ClientError, engine::Hooks};
use serde_json::json;
use verifier::{
    bundle::{Bundle, EquivocationProof},
    model::SignedEntry,
};

const ALL: [&str; 3] = ["seller", "buyer", "carrier"];

/// The entries of `order` as the node of `role` exports them.
fn committed(cluster: &Cluster, role: &str, order: &str) -> (Bundle, Vec<SignedEntry>) {
    let (bytes, _) = cluster.bundle(role, order);
    let bundle = Bundle::from_bytes(&bytes).unwrap();
    let entries = bundle
        .decoded_entries()
        .unwrap()
        .into_iter()
        .map(|entry| entry.entry)
        .collect();
    (bundle, entries)
}

#[test]
fn a_failed_round_leaves_no_one_a_proof_that_the_sequencer_equivocated() {
    // The carrier keeps every proposal it receives; the buyer refuses the first one.
    let received: Arc<Mutex<Vec<SignedEntry>>> = Arc::default();
    let keep = received.clone();
    let hooks = BTreeMap::from([
        (
            "carrier".to_string(),
            Hooks {
                observe_proposals: Some(Arc::new(move |entry: &SignedEntry| {
                    keep.lock().unwrap().push(entry.clone())
                })),
                ..Hooks::default()
            },
        ),
        (
            "buyer".to_string(),
            Hooks {
                refuse_proposals: Some(Arc::new(AtomicUsize::new(1))),
                ..Hooks::default()
            },
        ),
    ]);
    let cluster = Cluster::start(&ALL, hooks);
    let order = cluster.start_order(&ALL, "PO-ROUND", None);
    cluster.settle(&ALL, &order);
    let refused = cluster.departed(&order).unwrap_err();
    assert_eq!(refused.code(), Some("refused_by_party"), "{refused}");
    // Another fact takes the same position, honestly.
    let accepted = cluster
        .event(
            "buyer",
            &order,
            "return.requested",
            "2026-01-11T00:00:00Z",
            json!({ "reason": "wrong size" }),
        )
        .unwrap();
    assert_eq!(accepted["seq"], 1);
    cluster.settle(&ALL, &order);

    let (bundle, entries) = committed(&cluster, "seller", &order);
    let kept = received.lock().unwrap().clone();
    let conflicting: Vec<&SignedEntry> = kept
        .iter()
        .filter(|proposal| {
            let body = proposal.entry().unwrap();
            body.seq == 1 && proposal.body != entries[1].body
        })
        .collect();
    assert_eq!(
        conflicting.len(),
        1,
        "the refused round's proposal was seen"
    );
    for proposal in conflicting {
        let proof = EquivocationProof {
            contract: bundle.contract.clone(),
            first: proposal.clone(),
            second: entries[1].clone(),
        };
        let error = proof.check().unwrap_err();
        assert!(error.to_string().contains("not signed"), "{error}");
    }
}

#[test]
fn a_cosigner_keeps_the_proof_when_the_sequencer_signs_two_entries_at_one_position() {
    use base64::Engine as _;
    // After each commit the seller also signs and announces a different body there.
    let hooks = BTreeMap::from([(
        "seller".to_string(),
        Hooks {
            equivocate: Some(Arc::new(|body: &mut verifier::model::EntryBody| {
                body.state.0[0] ^= 1;
            })),
            ..Hooks::default()
        },
    )]);
    let cluster = Cluster::start(&ALL, hooks);
    let order = cluster.start_order(&ALL, "PO-EQUIVOCATE", None);
    cluster.settle(&ALL, &order);
    cluster.departed(&order).unwrap();
    cluster.settle(&ALL, &order);
    for role in ["buyer", "carrier"] {
        let deadline = std::time::Instant::now() + common::PATIENCE;
        let evidence = loop {
            let evidence = cluster
                .client(role)
                .get(&format!("/orders/{order}/evidence"))
                .unwrap();
            if !evidence["equivocations"].as_array().unwrap().is_empty() {
                break evidence;
            }
            assert!(std::time::Instant::now() < deadline, "no evidence kept");
            std::thread::sleep(std::time::Duration::from_millis(50));
        };
        let kept = &evidence["equivocations"][0];
        assert_eq!(kept["seq"], 1);
        assert_eq!(kept["sequencer"], "seller");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(kept["proof"].as_str().unwrap())
            .unwrap();
        let proof = EquivocationProof::from_bytes(&bytes).unwrap();
        assert_eq!(proof.check().unwrap().seq, 1);
        let health = cluster.client(role).get("/health").unwrap();
        assert_eq!(health["equivocations"][0]["seq"], 1, "{health}");
    }
    // The honest history is untouched.
    assert_eq!(cluster.view("buyer", &order)["seq"], 1);
}

/// Waits until the node of `role` reports `status` for the fact at `url`.
fn fact_status(cluster: &Cluster, role: &str, url: &str, status: &str) -> serde_json::Value {
    let deadline = std::time::Instant::now() + common::PATIENCE;
    loop {
        let view = cluster.client(role).get(url).unwrap();
        if view["status"] == status {
            return view;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "fact never became {status}: {view}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_fact_accepted_while_a_party_is_down_is_queued_and_commits_when_it_returns() {
    let mut cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-QUEUE", None);
    cluster.settle(&ALL, &order);
    cluster.stop_node("carrier");
    let returned = |cluster: &Cluster, reason: &str| {
        cluster.event(
            "buyer",
            &order,
            "return.requested",
            "2026-01-11T00:00:00Z",
            json!({ "reason": reason }),
        )
    };
    // Accepted, stored, and answered with where to look (202, not an error).
    let first = returned(&cluster, "wrong size").unwrap();
    assert_eq!(first["status"], "queued", "{first}");
    let url = first["status_url"].as_str().unwrap().to_string();
    // The same signed fact again: the same answer, nothing queued twice.
    let again = returned(&cluster, "wrong size").unwrap();
    assert_eq!(again["event"], first["event"]);
    // A newer fact queues behind it.
    let second = returned(&cluster, "damaged").unwrap();
    assert_eq!(second["status"], "queued");
    assert_eq!(
        cluster.view("seller", &order)["seq"],
        0,
        "nothing committed"
    );

    // The sequencer restarts: what it accepted is still there.
    cluster.stop_node("seller");
    cluster.start_node("seller", Hooks::default());
    assert_eq!(
        cluster.client("seller").get(&url).unwrap()["status"],
        "queued"
    );
    // The carrier returns: both commit, in the order they were accepted.
    cluster.start_node("carrier", Hooks::default());
    let committed = fact_status(&cluster, "seller", &url, "committed");
    assert_eq!(committed["seq"], 1);
    let url2 = second["status_url"].as_str().unwrap();
    assert_eq!(fact_status(&cluster, "seller", url2, "committed")["seq"], 2);
    cluster.settle(&ALL, &order);
    // Resubmitted after it committed: its original answer, not "already recorded".
    let resubmitted = returned(&cluster, "wrong size").unwrap();
    assert_eq!(resubmitted["seq"], 1, "{resubmitted}");
    assert_eq!(resubmitted["entry_hash"], committed["entry_hash"]);
}

#[test]
fn an_order_accepted_while_a_party_is_down_opens_when_it_returns_with_the_same_genesis() {
    use pactum_node::api::AcceptOrder;
    let mut cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.propose_order(&ALL, "PO-OPEN-LATER", None);
    let accept = |cluster: &Cluster, role: &str| {
        cluster
            .client(role)
            .post(&format!("/orders/{order}/accept"), &AcceptOrder::default())
    };
    accept(&cluster, "carrier").unwrap();
    cluster.stop_node("carrier");
    // The last acceptance completes the contract; the carrier cannot cosign the genesis.
    // The sequencer's node answers that the carrier's node did not answer; the buyer's node
    // relays that refusal with its code and status (retry later), as the sequencer's node
    // answers its own caller, not as a party's refusal of the genesis.
    let last = accept(&cluster, "buyer");
    match &last {
        Err(ClientError::Api(refused)) => assert_eq!(
            (refused.code.as_str(), refused.status),
            ("party_unreachable", 503),
            "{refused}"
        ),
        other => panic!("the last accept should be refused: {other:?}"),
    }
    assert!(cluster
        .client("seller")
        .get(&format!("/orders/{order}"))
        .is_err());
    // The carrier returns: the sequencer proposes the same genesis again, and the order opens
    // at every party without anyone accepting again.
    cluster.start_node("carrier", Hooks::default());
    let view = cluster.settle(&ALL, &order);
    assert_eq!(view["seq"], 0, "{view}");
    let (_, entries) = committed(&cluster, "carrier", &order);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].signatures.len(), 3);
}

#[test]
fn a_party_that_restarted_before_seeing_the_genesis_fetches_it_with_the_contract() {
    // The seller never announces; the buyer's node does not catch up by itself in this test.
    let hooks = BTreeMap::from([(
        "seller".to_string(),
        Hooks {
            drop_announcements: true,
            ..Hooks::default()
        },
    )]);
    let mut cluster = Cluster::start_with(&ALL, hooks, |spec| {
        if spec.role == "buyer" {
            spec.sync_interval = std::time::Duration::from_secs(3600);
        }
    });
    let order = cluster.start_order(&ALL, "PO-MISSED-GENESIS", None);
    // The buyer cosigned the genesis (its opening was in memory) and restarts before it
    // learns that it committed: it holds the proposal it signed, and no opening.
    cluster.stop_node("buyer");
    cluster.start_node("buyer", Hooks::default());
    assert!(cluster
        .client("buyer")
        .get(&format!("/orders/{order}"))
        .is_err());
    // Its sync asks the sequencer's node for the genesis with the contract every party
    // signed, and the order opens with the genesis every party signed.
    cluster
        .runtime
        .block_on(cluster.nodes["buyer"].engine.sync_now());
    let view = cluster.settle(&["seller", "buyer"], &order);
    assert_eq!(view["seq"], 0, "{view}");
    let (_, entries) = committed(&cluster, "buyer", &order);
    assert_eq!(entries[0].signatures.len(), 3);
}

#[test]
fn a_party_withdraws_or_replaces_its_review_decision_until_every_party_signed() {
    use pactum_node::api::SubmitReview;
    let cluster = Cluster::start(&ALL, BTreeMap::new());
    // At most one automatic amendment a day: the second typhoon extension trips the breaker.
    let order = cluster.start_order(&ALL, "PO-REVIEWS", Some((1, 86_400)));
    cluster
        .weather("seller", &order, "2026-02-20T00:00:00Z", "Hong Kong")
        .unwrap();
    cluster
        .weather("seller", &order, "2026-02-20T06:00:00Z", "Guangdong")
        .unwrap();
    assert_eq!(
        cluster.settle(&ALL, &order)["status"]["state"],
        "breaker_tripped"
    );
    let path = format!("/orders/{order}/review");
    let review = |decision: &str| SubmitReview {
        decision: decision.into(),
        note: "checked with the weather service".into(),
        at: Some("2026-02-21T09:00:00Z".into()),
        terms: Default::default(),
    };
    let post =
        |role: &str, decision: &str| cluster.client(role).post(&path, &review(decision)).unwrap();
    assert_eq!(post("seller", "approve")["status"], "signed");
    assert_eq!(post("buyer", "discard")["status"], "signed");
    let signed = post("carrier", "approve");
    assert_eq!(signed["status"], "signed", "the buyer disagrees: {signed}");
    // The buyer withdraws its decision: still nothing applied.
    let withdrawn = cluster.client("buyer").delete(&path).unwrap();
    assert_eq!(withdrawn["status"], "withdrawn");
    assert_eq!(
        cluster.view("seller", &order)["status"]["state"],
        "breaker_tripped"
    );
    // And signs the others' decision: applied, dated with the reviewers' time.
    let applied = post("buyer", "approve");
    assert_eq!(applied["status"], "applied", "{applied}");
    let view = cluster.settle(&ALL, &order);
    assert_eq!(view["status"]["state"], "running");
    let (bytes, trust) = cluster.bundle("seller", &order);
    let report = common::verify(&bytes, &trust).unwrap();
    assert_eq!(report.breaker.reviews, 1);
}
