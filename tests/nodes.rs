//! End-to-end tests on real nodes (in this process, each with its own sled directory, libp2p
//! network and HTTP API on loopback): the demo, the breaker and reviews, an absent party, a
//! party catching up, tampered clauses and dishonest sequencers, bad HTTP requests and hostile
//! peers. Nothing here asserts on timings.

mod common;

use std::{collections::BTreeMap, sync::Arc};

use common::{verify, Cluster};
use pactum_node::{
    api::SubmitReview,
    demo::{self, DemoOptions},
    engine::{
        protocol::{Proposal, Request, Response},
        Hooks,
    },
    net::{self, keypair_from_secret, NetConfig},
};
use serde_json::{json, Value};
use verifier::model::{Digest, Outcome, Step};

const ALL: [&str; 3] = ["seller", "buyer", "carrier"];

/// The carrier's departure, then an ETA late enough to switch the order to air freight
/// (entries 1 and 2).
fn departed_and_late(cluster: &Cluster, order: &str) {
    cluster.departed(order).unwrap();
    cluster
        .event(
            "carrier",
            order,
            "shipment.eta_updated",
            "2026-02-17T00:00:00Z",
            json!({ "eta": "2026-02-26T00:00:00Z" }),
        )
        .unwrap();
}

#[test]
fn the_demo_runs_over_three_nodes_and_its_bundle_verifies() {
    let report = demo::run(&DemoOptions {
        verbose: false,
        ..DemoOptions::default()
    })
    .unwrap();
    assert_eq!(report.verified_entries, 7);
    assert!(report.verdict.starts_with("VALID"), "{}", report.verdict);
    // Every party's node ends in the same state.
    let views: Vec<&Value> = report.views.values().collect();
    for view in &views {
        assert_eq!(view["head"], views[0]["head"]);
        assert_eq!(view["seq"], 6);
        assert_eq!(view["status"]["state"], "running");
        assert_eq!(view["terms"]["transport_mode"], "air");
        // 72 hours for the typhoon; the replayed alert's extension was held and discarded.
        assert_eq!(view["terms"]["delivery_due"], "2026-03-04T00:00:00Z");
        assert_eq!(
            view["obligations"][0]["amount"],
            serde_json::json!({"amount": "5520.00", "currency": "EUR"})
        );
    }
    // The same bytes, decoded, carry the breaker trip and the review.
    let bundle = verifier::bundle::Bundle::from_bytes(&report.bundle).unwrap();
    let steps: Vec<Step> = bundle
        .entry_bytes()
        .unwrap()
        .into_iter()
        .map(|bytes| {
            verifier::bundle::BundleEntry::from_bytes(bytes)
                .unwrap()
                .entry
                .entry()
                .unwrap()
                .step
        })
        .collect();
    assert!(
        matches!(&steps[4], Step::Event(step) if matches!(step.outcome, Outcome::BreakerTripped { .. }))
    );
    assert!(matches!(&steps[5], Step::Review(_)));
}

#[test]
fn a_bundle_exported_by_one_node_is_accepted_by_pactum_verify() {
    let cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-VERIFY", None);
    departed_and_late(&cluster, &order);
    cluster.settle(&ALL, &order);
    let (bytes, trust) = cluster.bundle("carrier", &order);
    let report = verify(&bytes, &trust).unwrap();
    assert_eq!(report.entries.len(), 3);
    assert_eq!(
        report.witnesses.len(),
        2,
        "both other parties witnessed the carrier's log"
    );

    // One flipped byte anywhere is rejected.
    let mut tampered = bytes.clone();
    let middle = tampered.len() / 2;
    tampered[middle] ^= 0x01;
    assert!(verify(&tampered, &trust).is_err());

    // The standalone binary agrees, when the workspace built it next to this test.
    let bundle_path = cluster.path("order.bundle");
    let trust_path = cluster.path("trust.json");
    std::fs::write(&bundle_path, &bytes).unwrap();
    std::fs::write(&trust_path, trust.to_json().unwrap()).unwrap();
    let binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(|dir| dir.join("pactum-verify")))
        .filter(|path| path.exists());
    match binary {
        Some(binary) => {
            let output = std::process::Command::new(binary)
                .arg(&bundle_path)
                .arg("--trust")
                .arg(&trust_path)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "pactum-verify: {stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(stdout.contains("VALID"), "{stdout}");
        }
        None => {
            eprintln!("pactum-verify is not built next to this test; verified with the library")
        }
    }
}

#[test]
fn the_breaker_trips_and_only_a_review_signed_by_every_party_resumes() {
    let cluster = Cluster::start(&ALL, BTreeMap::new());
    // At most one automatic amendment a day.
    let order = cluster.start_order(&ALL, "PO-BREAKER", Some((1, 86_400)));
    // Submitted at the carrier's node and forwarded: the answer still shows the entry.
    let committed = cluster.departed(&order).unwrap();
    assert_eq!(committed["entry"]["kind"], "event", "{committed}");
    cluster
        .weather("seller", &order, "2026-02-20T00:00:00Z", "Hong Kong")
        .unwrap();
    let tripped = cluster
        .weather("buyer", &order, "2026-02-20T06:00:00Z", "Guangdong")
        .unwrap();
    assert!(
        tripped["entry"]["outcome"]["type"] == "breaker_tripped",
        "{tripped}"
    );
    let view = cluster.settle(&ALL, &order);
    assert_eq!(view["status"]["state"], "breaker_tripped");
    assert_eq!(
        view["terms"]["delivery_due"], "2026-03-04T00:00:00Z",
        "the second extension is held"
    );

    // Facts keep being recorded while paused; they are evaluated after the review.
    let paused = cluster
        .event(
            "carrier",
            &order,
            "shipment.eta_updated",
            "2026-02-21T00:00:00Z",
            json!({ "eta": "2026-04-01T00:00:00Z" }),
        )
        .unwrap();
    assert_eq!(paused["entry"]["outcome"]["type"], "paused");
    assert_eq!(
        cluster.view("seller", &order)["terms"]["transport_mode"],
        "sea"
    );
    // A party reviews what its own node shows (its head is the review's position): wait
    // until every node has the paused entry, or a slow one signs a review about the entry
    // before it, which the sequencer refuses as stale (409 `stale_review`).
    cluster.settle(&ALL, &order);

    let approve = SubmitReview {
        decision: "approve".into(),
        note: "both alerts are genuine; extend".into(),
        at: None,
        terms: Default::default(),
    };
    let path = format!("/orders/{order}/review");
    assert_eq!(
        cluster.client("buyer").post(&path, &approve).unwrap()["status"],
        "signed"
    );
    // A different note from another party is a different review: signed, but nothing
    // applies until every party signed the same bytes.
    let other = SubmitReview {
        note: "something else".into(),
        ..approve.clone()
    };
    assert_eq!(
        cluster.client("carrier").post(&path, &other).unwrap()["status"],
        "signed"
    );
    assert_eq!(
        cluster.view("seller", &order)["status"]["state"],
        "breaker_tripped"
    );
    // The carrier replaces its decision with the others'.
    assert_eq!(
        cluster.client("carrier").post(&path, &approve).unwrap()["status"],
        "signed"
    );
    let applied = cluster.client("seller").post(&path, &approve).unwrap();
    assert_eq!(applied["status"], "applied", "{applied}");
    let view = cluster.settle(&ALL, &order);
    assert_eq!(view["status"]["state"], "running");
    assert_eq!(
        view["terms"]["delivery_due"], "2026-03-07T00:00:00Z",
        "the held extension applied"
    );
    // Nothing to review any more.
    let error = cluster.client("buyer").post(&path, &approve).unwrap_err();
    assert_eq!(error.code(), Some("nothing_to_review"));

    let (bytes, trust) = cluster.bundle("seller", &order);
    let report = verify(&bytes, &trust).unwrap();
    assert_eq!(report.breaker.trips, 1);
    assert_eq!(report.breaker.reviews, 1);

    // One serialisation: the node's history and `pactum-verify --format json` print every
    // entry (breaker trip and review included) the same way; the verifier adds only text in
    // the reader's language (the breaker's report, the attester's label).
    let history = cluster
        .client("buyer")
        .get(&format!("/orders/{order}/history"))
        .unwrap();
    let verified = verifier::timeline::report_json(&report, verifier::timeline::Lang::En);
    let timeline = verified["timeline"].as_array().unwrap();
    let entries = history["entries"].as_array().unwrap();
    assert_eq!(entries.len(), timeline.len());
    for (node, verifier) in entries.iter().zip(timeline) {
        let mut verifier = verifier.clone();
        let object = verifier.as_object_mut().unwrap();
        for in_the_readers_language in ["breaker_report_text", "attester_label"] {
            object.remove(in_the_readers_language);
        }
        assert_eq!(*node, verifier);
    }
}

#[test]
fn an_absent_party_holds_up_only_its_own_orders() {
    let mut cluster = Cluster::start(&ALL, BTreeMap::new());
    let with_carrier = cluster.start_order(&ALL, "PO-THREE", None);
    let without_carrier = cluster.start_order(&["seller", "buyer"], "PO-TWO", None);
    cluster.stop_node("carrier");
    let queued = cluster
        .event(
            "buyer",
            &with_carrier,
            "return.requested",
            "2026-01-11T00:00:00Z",
            json!({ "reason": "wrong size" }),
        )
        .unwrap();
    assert_eq!(queued["status"], "queued", "{queued}");
    assert_eq!(
        cluster.view("seller", &with_carrier)["seq"],
        0,
        "nothing committed"
    );
    // The other order goes on.
    let committed = cluster
        .event(
            "buyer",
            &without_carrier,
            "return.requested",
            "2026-01-11T00:00:00Z",
            json!({ "reason": "wrong size" }),
        )
        .unwrap();
    assert_eq!(committed["seq"], 1);
    // Back again, the held-up order proceeds: the queued fact commits without being resent,
    // and resending it gets its committed entry.
    cluster.start_node("carrier", Hooks::default());
    common::wait_until("the queued fact committed", || {
        cluster.view("seller", &with_carrier)["seq"] == 1
    });
    let committed = cluster
        .event(
            "buyer",
            &with_carrier,
            "return.requested",
            "2026-01-11T00:00:00Z",
            json!({ "reason": "wrong size" }),
        )
        .unwrap();
    assert_eq!(committed["seq"], 1, "{committed}");
    cluster.settle(&ALL, &with_carrier);
}

#[test]
fn a_party_that_was_offline_catches_up_from_its_head() {
    // The seller never announces commits, as if every announcement reached the others while
    // they were offline: they hold only what they cosigned, not what was committed.
    let hooks = BTreeMap::from([(
        "seller".to_string(),
        Hooks {
            drop_announcements: true,
            ..Hooks::default()
        },
    )]);
    let mut cluster = Cluster::start(&ALL, hooks);
    let order = cluster.start_order(&ALL, "PO-OFFLINE", None);
    cluster.settle(&ALL, &order);
    departed_and_late(&cluster, &order);
    cluster.stop_node("buyer");
    // Restarted from its directory, the buyer is behind the seller and catches up.
    cluster.start_node("buyer", Hooks::default());
    let view = cluster.settle(&["seller", "buyer"], &order);
    assert_eq!(view["seq"], 2);
    assert_eq!(view["terms"]["transport_mode"], "air");
    // And its own bundle of the order verifies.
    let (bytes, trust) = cluster.bundle("buyer", &order);
    assert_eq!(verify(&bytes, &trust).unwrap().entries.len(), 3);
    // The events an order recorded are rebuilt from its entries on start: the restarted
    // sequencer answers a fact it already recorded with the entry that recorded it.
    cluster.stop_node("seller");
    cluster.start_node("seller", Hooks::default());
    let again = cluster.departed(&order).unwrap();
    assert_eq!(again["seq"], 1, "{again}");
    assert_eq!(cluster.settle(&["seller", "buyer"], &order)["seq"], 2);
}

#[test]
fn a_party_behind_catches_up_from_another_party_while_the_sequencer_is_down() {
    let mut cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-FROM-PEER", None);
    cluster.settle(&ALL, &order);
    // The buyer's node as it is at the genesis, kept aside.
    cluster.stop_node("buyer");
    let at_genesis = cluster.path("buyer-at-genesis");
    copy_dir(&cluster.path("buyer"), &at_genesis);
    cluster.start_node("buyer", Hooks::default());
    departed_and_late(&cluster, &order);
    cluster.settle(&ALL, &order);
    // The buyer comes back from the genesis while the sequencer's node is down: its
    // catch-up asks the sequencer, gets no answer, and asks the carrier.
    cluster.stop_node("buyer");
    cluster.stop_node("seller");
    std::fs::remove_dir_all(cluster.path("buyer")).unwrap();
    copy_dir(&at_genesis, &cluster.path("buyer"));
    cluster.start_node("buyer", Hooks::default());
    assert_eq!(cluster.view("buyer", &order)["seq"], 0);
    let view = cluster.settle(&["carrier", "buyer"], &order);
    assert_eq!(view["seq"], 2);
    assert_eq!(view["terms"]["transport_mode"], "air");
}

#[test]
fn a_proposed_fact_whose_attester_signature_does_not_verify_is_refused_and_kept_as_a_fault() {
    // The seller proposes entries whose fact carries a signature that is not its attester's.
    let hooks = BTreeMap::from([(
        "seller".to_string(),
        Hooks {
            tamper_proposals: Some(Arc::new(|body: &mut verifier::model::EntryBody| {
                if let Step::Event(step) = &mut body.step {
                    let mut bytes = step.event.signature.to_bytes();
                    bytes[0] ^= 1;
                    step.event.signature = verifier::sign::Signature::from_bytes(bytes);
                }
            })),
            ..Hooks::default()
        },
    )]);
    let cluster = Cluster::start(&ALL, hooks);
    let order = cluster.start_order(&ALL, "PO-FORGED-FACT", None);
    let before = cluster.settle(&ALL, &order);
    let error = cluster.departed(&order).unwrap_err();
    assert_eq!(error.code(), Some("refused_by_party"), "{error}");
    for role in ALL {
        assert_eq!(cluster.view(role, &order)["head"], before["head"], "{role}");
    }
    // Each cosigner's core refused it on the signature and the refusal is kept.
    for role in ["buyer", "carrier"] {
        let health = cluster.client(role).get("/health").unwrap();
        let refusal = &health["recent_refusals"][0];
        assert_eq!(refusal["code"], "refused_by_state_machine", "{health}");
        assert!(
            refusal["message"]
                .as_str()
                .unwrap()
                .contains("the attester's signature does not verify"),
            "{health}"
        );
    }
}

/// Copies the directory `from` (a stopped node's store) to `to`.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for item in std::fs::read_dir(from).unwrap() {
        let item = item.unwrap();
        let target = to.join(item.file_name());
        if item.file_type().unwrap().is_dir() {
            copy_dir(&item.path(), &target);
        } else {
            std::fs::copy(item.path(), target).unwrap();
        }
    }
}

/// The seller's stored compiled program of `order`'s sources, as stored and as the sources
/// compile today.
fn stored_program(cluster: &Cluster, order: &str) -> (Vec<u8>, contract_lang::Program, Digest) {
    use pactum_node::{durable::Store, engine::records};
    let store = Store::open(cluster.path("seller")).unwrap();
    let id = Digest::from_hex(order).unwrap();
    let record: records::OrderRecord =
        records::read(&store, records::ORDERS, id.as_bytes(), "order")
            .unwrap()
            .unwrap();
    let key = verifier::bundle::format::sources_hash(&record.sources).unwrap();
    let stored = store
        .get(records::PROGRAMS, key.as_bytes())
        .unwrap()
        .expect("the genesis stored the compiled program")
        .to_vec();
    let compiled = verifier::bundle::build::compile_sources(&record.sources).unwrap();
    store.close().unwrap();
    (stored, compiled, key)
}

fn put_program(cluster: &Cluster, key: &Digest, bytes: Vec<u8>) {
    use pactum_node::{
        durable::{Store, WriteBatch},
        engine::records,
    };
    let store = Store::open(cluster.path("seller")).unwrap();
    let mut batch = WriteBatch::new();
    batch.put(records::PROGRAMS, key.as_bytes(), bytes);
    store.commit_blocking(batch).unwrap();
    store.close().unwrap();
}

#[test]
fn an_order_runs_the_compiled_clauses_it_stored_and_refuses_a_corrupt_copy() {
    let parties = ALL;
    let mut cluster = Cluster::start(&parties, BTreeMap::new());
    let order = cluster.start_order(&parties, "PO-PROGRAM", None);
    cluster.settle(&parties, &order);
    cluster.stop_node("seller");

    // The genesis stored the program the sources compile to.
    let (stored, compiled, key) = stored_program(&cluster, &order);
    let program: contract_lang::Program = pactum_canonical::from_slice(&stored).unwrap();
    assert_eq!(program, compiled);

    // A stored clause whose IR no longer hashes to its id stops the node from loading the
    // order, with an error that says so.
    let mut corrupt = program.clone();
    corrupt.clauses[0].ir.params[0].name.push('x');
    put_program(&cluster, &key, pactum_canonical::to_vec(&corrupt).unwrap());
    let error = cluster
        .try_start_node("seller", Hooks::default())
        .unwrap_err();
    assert!(error.contains("stored program"), "{error}");

    // With the program restored, the node loads the order and runs it.
    put_program(&cluster, &key, stored);
    cluster.start_node("seller", Hooks::default());
    cluster.departed(&order).unwrap();
    assert_eq!(cluster.settle(&parties, &order)["seq"], 1);
}

#[test]
fn a_node_with_a_tampered_clause_refuses_to_cosign() {
    // The carrier's copy of force_majeure extends by 96h instead of 72h.
    let tamper: pactum_node::engine::SourcesHook = Arc::new(|sources| {
        for source in sources.iter_mut() {
            if source.name.ends_with("force_majeure.clause") {
                source.text = source.text.replace("= 72h", "= 96h");
            }
        }
    });
    let hooks = BTreeMap::from([(
        "carrier".to_string(),
        Hooks {
            tamper_sources: Some(tamper),
            ..Hooks::default()
        },
    )]);
    let cluster = Cluster::start(&ALL, hooks);
    let proposal = pactum_node::demo::scenario::proposal(
        &pactum_node::demo::scenario::party_keys(),
        "PO-TAMPER",
    );
    let proposed = cluster.client("seller").post("/orders", &proposal).unwrap();
    let order = proposed["order"].as_str().unwrap().to_string();
    let delivery = proposed["delivered"]["carrier"].as_str().unwrap();
    assert!(delivery.contains("refused: invalid_contract"), "{delivery}");
    assert!(
        delivery.contains("clause `force_majeure` compiles to id"),
        "{delivery}"
    );
    cluster
        .client("buyer")
        .post(&format!("/orders/{order}/accept"), &json!({}))
        .unwrap();
    // The carrier never kept the proposal, so there is nothing it could accept.
    let error = cluster
        .client("carrier")
        .post(&format!("/orders/{order}/accept"), &json!({}))
        .unwrap_err();
    assert_eq!(error.code(), Some("unknown_order"), "{error}");
    let metrics =
        String::from_utf8(cluster.client("carrier").get_bytes("/metrics").unwrap()).unwrap();
    assert!(
        metrics.contains("pactum_peer_messages_refused_total 1"),
        "{metrics}"
    );
    // No genesis anywhere.
    for role in ALL {
        let error = cluster
            .client(role)
            .get(&format!("/orders/{order}"))
            .unwrap_err();
        assert_eq!(error.code(), Some("unknown_order"));
    }
}

#[test]
fn a_dishonest_sequencer_is_refused_as_a_determinism_fault() {
    let cluster_hooks = BTreeMap::from([(
        "seller".to_string(),
        Hooks {
            // Claims every event was recorded while the order was paused.
            tamper_proposals: Some(Arc::new(|body: &mut verifier::model::EntryBody| {
                if let Step::Event(step) = &mut body.step {
                    step.outcome = Outcome::Paused;
                }
            })),
            ..Hooks::default()
        },
    )]);
    let cluster = Cluster::start(&ALL, cluster_hooks);
    let order = cluster.start_order(&ALL, "PO-DISHONEST", None);
    let before = cluster.settle(&ALL, &order);
    let error = cluster.departed(&order).unwrap_err();
    assert!(error.to_string().contains("determinism_fault"), "{error}");
    for role in ALL {
        assert_eq!(
            cluster.view(role, &order)["head"],
            before["head"],
            "{role} committed nothing"
        );
    }
    for role in ["buyer", "carrier"] {
        let metrics =
            String::from_utf8(cluster.client(role).get_bytes("/metrics").unwrap()).unwrap();
        assert!(
            metrics.contains("pactum_determinism_faults_total 1"),
            "{role}: {metrics}"
        );
        let health = cluster.client(role).get("/health").unwrap();
        assert_eq!(health["recent_refusals"][0]["code"], "determinism_fault");
        assert_eq!(health["status"], "degraded", "{health}");
        assert_eq!(
            health["reasons"][0]["code"], "determinism_fault",
            "{health}"
        );
    }
}

/// The determinism fault of a dishonest sequencer at the buyer's node.
fn a_determinism_fault_at_the_buyer() -> (Cluster, String) {
    let hooks = BTreeMap::from([(
        "seller".to_string(),
        Hooks {
            tamper_proposals: Some(Arc::new(|body: &mut verifier::model::EntryBody| {
                if let Step::Event(step) = &mut body.step {
                    step.outcome = Outcome::Paused;
                }
            })),
            ..Hooks::default()
        },
    )]);
    let cluster = Cluster::start(&ALL, hooks);
    let order = cluster.start_order(&ALL, "PO-FAULT", None);
    cluster.settle(&ALL, &order);
    let refused = cluster.departed(&order).unwrap_err();
    assert!(
        refused.to_string().contains("determinism_fault"),
        "{refused}"
    );
    (cluster, order)
}

fn reason<'a>(health: &'a Value, code: &str) -> Option<&'a Value> {
    health["reasons"]
        .as_array()
        .and_then(|reasons| reasons.iter().find(|reason| reason["code"] == code))
}

fn metric_line(cluster: &Cluster, role: &str, name: &str) -> String {
    let text = String::from_utf8(cluster.client(role).get_bytes("/metrics").unwrap()).unwrap();
    text.lines()
        .find(|line| line.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in {text}"))
        .to_string()
}

#[test]
fn a_determinism_fault_degrades_health_until_acknowledged_even_across_restarts() {
    let (mut cluster, order) = a_determinism_fault_at_the_buyer();
    let health = cluster.client("buyer").get("/health").unwrap();
    let fault = reason(&health, "determinism_fault").unwrap_or_else(|| panic!("{health}"));
    assert_eq!(fault["count"], 1, "{health}");
    let id = fault["faults"][0].as_str().unwrap().to_string();

    // A restart does not hide it: the fault is read back from the store.
    cluster.stop_node("buyer");
    cluster.start_node("buyer", Hooks::default());
    let buyer = cluster.client("buyer");
    let health = buyer.get("/health").unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    let fault = reason(&health, "determinism_fault").unwrap_or_else(|| panic!("{health}"));
    assert_eq!(fault["faults"], json!([id]), "{health}");
    let listed = buyer.get("/faults").unwrap();
    assert_eq!(listed["faults"][0]["id"], id.as_str(), "{listed}");
    assert_eq!(listed["faults"][0]["order"], order.as_str(), "{listed}");
    assert_eq!(listed["faults"][0]["code"], "determinism_fault", "{listed}");
    assert_eq!(listed["faults"][0]["acknowledged"], Value::Null, "{listed}");
    assert_ne!(
        listed["faults"][0]["proposed"],
        listed["faults"][0]["computed"]
    );

    // An acknowledgement needs the admin scope, a known fault and a note.
    let acknowledge = format!("/faults/{id}/acknowledge");
    let cases = [
        (
            acknowledge.as_str(),
            json!({ "note": " " }),
            "invalid_acknowledgement",
        ),
        (
            "/faults/zz/acknowledge",
            json!({ "note": "x" }),
            "bad_fault_id",
        ),
        (
            &*format!("/faults/{}/acknowledge", "0".repeat(96)),
            json!({ "note": "x" }),
            "unknown_fault",
        ),
    ];
    for (path, body, code) in cases {
        let error = buyer.post(path, &body).unwrap_err();
        assert_eq!(error.code(), Some(code), "{path}: {error}");
    }
    let note = "seller ran a patched build; ticket OPS-7";
    let acknowledged = buyer.post(&acknowledge, &json!({ "note": note })).unwrap();
    assert_eq!(acknowledged["acknowledged"]["note"], note, "{acknowledged}");
    let again = buyer
        .post(&acknowledge, &json!({ "note": "other" }))
        .unwrap();
    assert_eq!(
        again["acknowledged"], acknowledged["acknowledged"],
        "the first note is kept"
    );

    // No longer a reason, still evidence, still counted; and so after another restart.
    for restart in [false, true] {
        if restart {
            cluster.stop_node("buyer");
            cluster.start_node("buyer", Hooks::default());
        }
        let buyer = cluster.client("buyer");
        let health = buyer.get("/health").unwrap();
        assert!(reason(&health, "determinism_fault").is_none(), "{health}");
        let listed = buyer.get("/faults").unwrap();
        assert_eq!(
            listed["faults"][0]["acknowledged"]["note"], note,
            "{listed}"
        );
        assert_eq!(
            metric_line(&cluster, "buyer", "pactum_determinism_faults_total"),
            "pactum_determinism_faults_total 1"
        );
        assert_eq!(
            metric_line(
                &cluster,
                "buyer",
                "pactum_determinism_faults_unacknowledged"
            ),
            "pactum_determinism_faults_unacknowledged 0"
        );
    }
}

#[test]
fn bad_http_requests_change_nothing() {
    let cluster = Cluster::start(&["seller", "buyer"], BTreeMap::new());
    let order = cluster.start_order(&["seller", "buyer"], "PO-HTTP", None);
    let before = cluster.view("seller", &order);
    let seller = cluster.client("seller");
    let no_token = pactum_node::client::ApiClient::new(cluster.nodes["seller"].url(), None);
    let events = format!("/orders/{order}/events");
    let cases: Vec<(&str, Result<Value, pactum_node::client::ClientError>, &str)> = vec![
        ("no token", no_token.post(&events, &json!({ "event": { "kind": "shipment.departed", "at": "2026-01-10T00:00:00Z" } })), "unauthorized"),
        ("unknown kind", seller.post(&events, &json!({ "event": { "kind": "shipment.teleported", "at": "2026-01-10T00:00:00Z" } })), "invalid_event"),
        ("wrong field type", seller.post(&events, &json!({ "event": { "kind": "shipment.eta_updated", "at": "2026-01-10T00:00:00Z", "fields": { "eta": 5 } } })), "invalid_event"),
        ("missing field", seller.post(&events, &json!({ "event": { "kind": "shipment.eta_updated", "at": "2026-01-10T00:00:00Z" } })), "refused_by_state_machine"),
        ("bad time", seller.post(&events, &json!({ "event": { "kind": "shipment.departed", "at": "soon", "fields": { "port": "x" } } })), "invalid_event"),
        ("not base64", seller.post(&events, &json!({ "signed": "***" })), "invalid_event"),
        ("garbage signed event", seller.post(&events, &json!({ "signed": "AAECAwQ=" })), "invalid_event"),
        ("unknown order", seller.post(&format!("/orders/{}/events", "ab".repeat(32)), &json!({ "event": { "kind": "shipment.departed", "at": "2026-01-10T00:00:00Z" } })), "unknown_order"),
        ("review while running", seller.post(&format!("/orders/{order}/review"), &json!({ "decision": "approve" })), "nothing_to_review"),
        ("bad decision", seller.post(&format!("/orders/{order}/review"), &json!({ "decision": "maybe" })), "invalid_decision"),
        ("accept a started order", seller.post(&format!("/orders/{order}/accept"), &json!({})), "already_started"),
        ("proposal with unknown clause", seller.post("/orders", &json!({ "order_ref": "x", "jurisdiction": "CN", "terms": {}, "clauses": [{ "name": "nope" }], "genesis_at": "2026-01-01T00:00:00Z" })), "unknown_clause"),
        ("proposal with a float", seller.post("/orders", &json!({ "order_ref": "x", "jurisdiction": "CN", "terms": { "price": 1.5 }, "clauses": [], "genesis_at": "2026-01-01T00:00:00Z" })), "invalid_contract"),
    ];
    for (name, result, code) in cases {
        let error = result.expect_err(name);
        assert_eq!(error.code(), Some(code), "{name}: {error}");
    }
    // A forged event: the carrier's kind, signed by a key that is not an attester.
    let forged = {
        let request = pactum_node::api::EventRequest {
            kind: "shipment.departed".into(),
            at: "2026-01-10T00:00:00Z".into(),
            fields: [("port".to_string(), json!("Shenzhen"))]
                .into_iter()
                .collect(),
        };
        let typed = pactum_node::demo::scenario::typed_event(
            &request,
            verifier::model::Digest::from_hex(&order).unwrap(),
        )
        .unwrap();
        typed
            .sign(&verifier::sign::SigningKey::from_seed([42; 32]))
            .unwrap()
    };
    use base64::Engine as _;
    let error = seller
        .post(&events, &json!({ "signed": base64::engine::general_purpose::STANDARD.encode(forged.to_bytes().unwrap()) }))
        .unwrap_err();
    assert_eq!(error.code(), Some("refused_by_state_machine"), "{error}");
    assert_eq!(cluster.view("seller", &order)["head"], before["head"]);
    assert_eq!(cluster.view("buyer", &order)["head"], before["head"]);
}

#[test]
fn garbage_peer_messages_change_nothing() {
    let cluster = Cluster::start(&["seller", "buyer"], BTreeMap::new());
    let order = cluster.start_order(&["seller", "buyer"], "PO-PEERS", None);
    let before = cluster.view("buyer", &order);
    let order_id = verifier::model::Digest::from_hex(&order).unwrap();
    let intruder_key = verifier::sign::SigningKey::from_seed([66; 32]);
    let buyer = &cluster.nodes["buyer"];
    let answers: Vec<Response> = cluster.runtime.block_on(async {
        let network = net::start::<Request, Response>(
            NetConfig::default(),
            keypair_from_secret(intruder_key.to_seed()).unwrap(),
        )
        .unwrap();
        let handle = network.handle;
        for addr in &buyer.p2p_addrs {
            handle
                .add_address(buyer.peer_id, addr.clone())
                .await
                .unwrap();
        }
        // A made-up entry for the order, "signed" by the intruder.
        let body = verifier::model::EntryBody::new(
            order_id,
            1,
            verifier::model::Digest::ZERO,
            Step::Genesis,
            verifier::model::Digest::ZERO,
        );
        let mut entry = verifier::model::SignedEntry::unsigned(body.encode().unwrap());
        entry.sign("seller", &intruder_key);
        let requests = vec![
            Request::ProposeEntry {
                entry: entry.clone(),
                genesis: None,
                previous: Some(entry.clone()),
            },
            Request::Commits {
                entries: vec![entry.clone()],
            },
            Request::Commit {
                entry: entry.clone(),
                genesis: None,
            },
            Request::Batch {
                commits: vec![entry.clone()],
                proposals: vec![
                    Proposal {
                        entry: entry.clone(),
                        previous: Some(entry.clone()),
                    },
                    Proposal {
                        entry: verifier::model::SignedEntry::unsigned(vec![1, 2, 3]),
                        previous: None,
                    },
                ],
            },
            Request::Batch {
                commits: vec![],
                proposals: vec![
                    Proposal {
                        entry: entry.clone(),
                        previous: None,
                    };
                    600
                ],
            },
            Request::ProposeEntry {
                entry: verifier::model::SignedEntry::unsigned(vec![1, 2, 3]),
                genesis: None,
                previous: None,
            },
            Request::FetchEntries {
                order: order_id,
                after: None,
                limit: 10,
            },
            Request::Witness {
                note: "garbage".into(),
                from_size: 0,
                proof: vec![],
            },
            Request::AcceptContract {
                order: order_id,
                role: "seller".into(),
                signature: verifier::sign::Signature::from_bytes([0; 64]),
            },
        ];
        let mut answers = Vec::new();
        for request in requests {
            answers.push(handle.request(buyer.peer_id, request).await.unwrap());
        }
        let _ = handle.shutdown().await;
        answers
    });
    for answer in &answers {
        match answer {
            // A batch answers each proposal; every one is refused.
            Response::Answers(inner) => {
                assert!(!inner.is_empty());
                for answer in inner {
                    assert!(matches!(answer, Response::Refused { .. }), "{answer:?}");
                }
            }
            answer => assert!(matches!(answer, Response::Refused { .. }), "{answer:?}"),
        }
    }
    assert_eq!(cluster.view("buyer", &order)["head"], before["head"]);
    // The node still works.
    let committed = cluster
        .event(
            "buyer",
            &order,
            "return.requested",
            "2026-01-11T00:00:00Z",
            json!({ "reason": "wrong size" }),
        )
        .unwrap();
    assert_eq!(committed["seq"], 1);
}

/// A party whose accept reached the sequencer but whose answer was lost sends it again after
/// the order opened: it learns the genesis, as the accept that opened the order would have.
#[test]
fn an_accept_repeated_after_the_order_opened_is_answered_with_the_genesis() {
    let mut cluster = Cluster::start(&["seller", "buyer"], BTreeMap::new());
    let order = cluster.start_order(&["seller", "buyer"], "PO-ACCEPT-AGAIN", None);
    let order_id = verifier::model::Digest::from_hex(&order).unwrap();
    // The buyer's node is gone; its key speaks for it again.
    cluster.stop_node("buyer");
    let buyer_key = cluster.keys["buyer"].clone();
    let seller = &cluster.nodes["seller"];
    let (genesis, answer) = cluster.runtime.block_on(async {
        let network = net::start::<Request, Response>(
            NetConfig::default(),
            keypair_from_secret(buyer_key.to_seed()).unwrap(),
        )
        .unwrap();
        let handle = network.handle;
        for addr in &seller.p2p_addrs {
            handle
                .add_address(seller.peer_id, addr.clone())
                .await
                .unwrap();
        }
        let fetch = Request::FetchEntries {
            order: order_id,
            after: None,
            limit: 1,
        };
        let (contract, genesis) = match handle.request(seller.peer_id, fetch).await.unwrap() {
            Response::Entries {
                genesis: Some(parts),
                entries,
            } => (parts.contract, entries[0].hash()),
            other => panic!("{other:?}"),
        };
        let accept = Request::AcceptContract {
            order: order_id,
            role: "buyer".into(),
            signature: buyer_key.sign(verifier::sign::Domain::Contract, &contract.body),
        };
        let answer = handle.request(seller.peer_id, accept).await.unwrap();
        let _ = handle.shutdown().await;
        (genesis, answer)
    });
    assert!(
        matches!(answer, Response::Committed { seq: 0, entry } if entry == genesis),
        "{answer:?}"
    );
}

/// The sender rule on real nodes: the buyer's node hands the seller's own, valid close
/// signature to the sequencer in the seller's name, withdraws in the seller's name and accepts
/// the contract with the seller's signature. Each is answered `not_a_party` and nothing is
/// kept: the buyer's own close signature, sent next, still waits for the seller's (with the
/// seller's relayed signature taken, it would have closed the order).
#[test]
fn a_signature_or_withdrawal_in_another_partys_name_is_answered_not_a_party() {
    let mut cluster = Cluster::start(&["seller", "buyer"], BTreeMap::new());
    let order = cluster.start_order(&["seller", "buyer"], "PO-SENDER", None);
    let order_id = Digest::from_hex(&order).unwrap();
    let before = cluster.view("seller", &order);
    // The buyer's node is gone; its key speaks for it.
    cluster.stop_node("buyer");
    let (buyer_key, seller_key) = (
        cluster.keys["buyer"].clone(),
        cluster.keys["seller"].clone(),
    );
    let close = verifier::model::Close::new(order_id, 0, 1_768_000_000, "settled")
        .encode()
        .unwrap();
    let signed_by =
        |key: &verifier::sign::SigningKey| key.sign(verifier::sign::Domain::Close, &close);
    let seller = &cluster.nodes["seller"];
    let answers: Vec<Response> = cluster.runtime.block_on(async {
        let network = net::start::<Request, Response>(
            NetConfig::default(),
            keypair_from_secret(buyer_key.to_seed()).unwrap(),
        )
        .unwrap();
        let handle = network.handle;
        for addr in &seller.p2p_addrs {
            handle
                .add_address(seller.peer_id, addr.clone())
                .await
                .unwrap();
        }
        let fetch = Request::FetchEntries {
            order: order_id,
            after: None,
            limit: 1,
        };
        let contract = match handle.request(seller.peer_id, fetch).await.unwrap() {
            Response::Entries {
                genesis: Some(parts),
                ..
            } => parts.contract,
            other => panic!("{other:?}"),
        };
        let requests = [
            Request::CloseSignature {
                order: order_id,
                close: close.clone(),
                role: "seller".into(),
                signature: signed_by(&seller_key),
            },
            Request::AcceptContract {
                order: order_id,
                role: "seller".into(),
                signature: seller_key.sign(verifier::sign::Domain::Contract, &contract.body),
            },
            Request::Withdraw {
                order: order_id,
                kind: pactum_node::engine::agreement::Agreement::Close,
                role: "seller".into(),
            },
            Request::CloseSignature {
                order: order_id,
                close: close.clone(),
                role: "buyer".into(),
                signature: signed_by(&buyer_key),
            },
        ];
        let mut answers = Vec::new();
        for request in requests {
            answers.push(handle.request(seller.peer_id, request).await.unwrap());
        }
        let _ = handle.shutdown().await;
        answers
    });
    for refused in &answers[..3] {
        assert!(
            matches!(refused, Response::Refused { code, .. } if code == "not_a_party"),
            "{refused:?}"
        );
    }
    assert!(matches!(answers[3], Response::Ack), "{:?}", answers[3]);
    let after = cluster.view("seller", &order);
    assert_eq!(after["head"], before["head"]);
    assert_eq!(after["status"], before["status"]);
}
