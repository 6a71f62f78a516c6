//! Amendments by agreement on real nodes: each party signs the same agreement through its own
//! node (`POST /orders/{id}/agreements`), the sequencer applies it once every party signed,
//! later facts follow the new rules at every party, a restarted node replays across it, and
//! the bundle verifies with the agreement in its timeline. A review carries the parties' own
//! term changes the same way (`POST /orders/{id}/review` with `terms`). Nothing here asserts
//! on timings.

mod common;

use std::collections::BTreeMap;

use common::{verify, Cluster};
use pactum_node::{
    api::{ClauseUpgrade, SubmitAgreement, SubmitReview},
    client::ClientError,
    engine::Hooks,
};
use serde_json::{json, Value};
use verifier::model::Step;
use verifier::timeline::{render_report, Lang};

const ALL: [&str; 3] = ["seller", "buyer", "carrier"];

/// The due date moved to 03-05, a lower hourly rate, the late-delivery penalty dropped.
fn agreement() -> SubmitAgreement {
    SubmitAgreement {
        terms: BTreeMap::from([("delivery_due".into(), json!("2026-03-05T00:00:00Z"))]),
        params: BTreeMap::from([(
            "air_freight_fallback".into(),
            BTreeMap::from([("rate_per_hour".into(), json!("100.00 EUR"))]),
        )]),
        remove_clauses: vec!["late_delivery_penalty".into()],
        note: "port strike: new due date, lower rate, no penalty".into(),
        at: Some("2026-02-01T00:00:00Z".into()),
        ..SubmitAgreement::default()
    }
}

fn agree(
    cluster: &Cluster,
    role: &str,
    order: &str,
    request: &SubmitAgreement,
) -> Result<Value, ClientError> {
    cluster
        .client(role)
        .post(&format!("/orders/{order}/agreements"), request)
}

/// The carrier's node reports the delivery to Hamburg on 2026-03-06 10:00; the node's answer.
fn delivered_on_6_march(cluster: &Cluster, order: &str) -> Value {
    cluster
        .event(
            "carrier",
            order,
            "shipment.delivered",
            "2026-03-06T10:00:00Z",
            json!({ "received_by": "Hamburg DC" }),
        )
        .unwrap()
}

#[test]
fn an_agreement_signed_through_every_party_s_node_changes_what_later_facts_do() {
    let mut cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-AGREE", None);
    cluster.departed(&order).unwrap();
    cluster.settle(&ALL, &order);

    // A request that changes nothing, or names what the order does not have, is refused
    // before anyone signs.
    let nothing = agree(&cluster, "buyer", &order, &SubmitAgreement::default()).unwrap_err();
    assert_eq!(nothing.code(), Some("invalid_agreement"), "{nothing}");
    let unknown = SubmitAgreement {
        upgrade_clauses: vec![ClauseUpgrade {
            name: "no_such_clause".into(),
            source: None,
        }],
        ..SubmitAgreement::default()
    };
    let refused = agree(&cluster, "buyer", &order, &unknown).unwrap_err();
    assert_eq!(refused.code(), Some("unknown_clause"), "{refused}");

    // Nothing changes until every party signed the same agreement.
    let signed = agree(&cluster, "seller", &order, &agreement()).unwrap();
    assert_eq!(signed["status"], "signed", "{signed}");
    assert_eq!(signed["signed"], json!(["seller"]));
    assert_eq!(
        agree(&cluster, "buyer", &order, &agreement()).unwrap()["status"],
        "signed"
    );
    assert_eq!(
        cluster.view("buyer", &order)["terms"]["delivery_due"],
        "2026-03-01T00:00:00Z"
    );
    let amended = agree(&cluster, "carrier", &order, &agreement()).unwrap();
    assert_eq!(amended["status"], "amended", "{amended}");
    assert_eq!(amended["seq"], 2, "{amended}");
    let view = cluster.settle(&ALL, &order);
    assert_eq!(
        view["terms"]["delivery_due"], "2026-03-05T00:00:00Z",
        "{view}"
    );

    // A cosigner restarted replays the order across the agreement and goes on cosigning.
    cluster.stop_node("buyer");
    cluster.start_node("buyer", Hooks::default());

    // Delivered 34 hours after the agreed date: 34 × 100.00 EUR, and no penalty.
    let delivered = delivered_on_6_march(&cluster, &order);
    let obligations = &delivered["entry"]["outcome"]["effects"]["obligations"];
    assert_eq!(obligations.as_array().map(Vec::len), Some(1), "{delivered}");
    assert_eq!(
        obligations[0]["amount"],
        json!({"amount": "3400.00", "currency": "EUR"}),
        "{delivered}"
    );
    cluster.settle(&ALL, &order);

    // Every party's bundle verifies, the agreement in its timeline.
    for role in ALL {
        let (bundle, trust) = cluster.bundle(role, &order);
        let report = verify(&bundle, &trust).unwrap();
        let entry = &report.entries[2];
        assert!(matches!(entry.body.step, Step::Agreement(_)), "{role}");
        let text = render_report(&report, Lang::En);
        assert!(
            text.contains("AMENDED BY AGREEMENT of buyer, carrier and seller"),
            "{text}"
        );
        assert!(text.contains("clause removed: "), "{text}");
    }
}

#[test]
fn a_review_signed_by_every_party_sets_the_terms_it_carries() {
    let cluster = Cluster::start(&ALL, BTreeMap::new());
    // At most one automatic amendment a day: the second typhoon alert trips the breaker.
    let order = cluster.start_order(&ALL, "PO-REVIEW-TERMS", Some((1, 86_400)));
    cluster.departed(&order).unwrap();
    cluster
        .weather("seller", &order, "2026-02-20T00:00:00Z", "Hong Kong")
        .unwrap();
    let tripped = cluster
        .weather("buyer", &order, "2026-02-20T06:00:00Z", "Guangdong")
        .unwrap();
    assert_eq!(tripped["entry"]["outcome"]["type"], "breaker_tripped");
    cluster.settle(&ALL, &order);

    let path = format!("/orders/{order}/review");
    // A term the vocabulary lacks, or a value of the wrong type, is refused before signing.
    for (terms, what) in [
        (
            json!({ "delivery_date": "2026-03-09T00:00:00Z" }),
            "no term",
        ),
        (json!({ "delivery_due": "next week" }), "delivery_due"),
    ] {
        let bad = SubmitReview {
            decision: "discard".into(),
            terms: serde_json::from_value(terms).unwrap(),
            ..SubmitReview::default()
        };
        let error = cluster.client("buyer").post(&path, &bad).unwrap_err();
        assert_eq!(error.code(), Some("invalid_review"), "{error}");
        assert!(error.to_string().contains(what), "{error}");
    }

    // The parties drop the held extension and set the due date themselves, in the review.
    let decide = |terms: Value| SubmitReview {
        decision: "discard".into(),
        note: "one typhoon, not two: the due date is 03-09".into(),
        terms: serde_json::from_value(terms).unwrap(),
        ..SubmitReview::default()
    };
    let due = json!({ "delivery_due": "2026-03-09T00:00:00Z" });
    assert_eq!(
        cluster
            .client("buyer")
            .post(&path, &decide(due.clone()))
            .unwrap()["status"],
        "signed"
    );
    // Another date is another review: nothing applies until every party signed the same.
    let other = decide(json!({ "delivery_due": "2026-03-10T00:00:00Z" }));
    let signed = cluster.client("carrier").post(&path, &other).unwrap();
    assert_eq!(signed["status"], "signed");
    // The sequencer's node lists the decisions signed so far, each with its terms.
    let listed = cluster
        .client("seller")
        .post(&path, &decide(due.clone()))
        .unwrap();
    assert_eq!(listed["status"], "signed", "{listed}");
    assert_eq!(
        listed["decisions"]["carrier"]["terms"]["delivery_due"], "2026-03-10T00:00:00Z",
        "{listed}"
    );
    assert_eq!(
        cluster.view("seller", &order)["status"]["state"],
        "breaker_tripped"
    );
    // The carrier signs the others' decision: every party signed the same terms.
    let last = cluster.client("carrier").post(&path, &decide(due)).unwrap();
    assert_eq!(last["status"], "applied", "{last}");

    let view = cluster.settle(&ALL, &order);
    assert_eq!(view["status"]["state"], "running");
    assert_eq!(view["terms"]["delivery_due"], "2026-03-09T00:00:00Z");

    // Every party's bundle verifies, with the review's terms replayed.
    for role in ALL {
        let (bytes, trust) = cluster.bundle(role, &order);
        let report = verify(&bytes, &trust).unwrap();
        assert_eq!(report.breaker.reviews, 1);
        let reviewed = report
            .entries
            .iter()
            .find_map(|entry| match &entry.body.step {
                Step::Review(step) => Some(step.terms.clone()),
                _ => None,
            });
        let names = reviewed.map(|terms| terms.iter().map(|c| c.term.clone()).collect::<Vec<_>>());
        assert_eq!(names, Some(vec!["delivery_due".to_string()]), "{role}");
    }
}

/// The metric `name` of `role`'s node.
fn metric(cluster: &Cluster, role: &str, name: &str) -> u64 {
    let text = String::from_utf8(cluster.client(role).get_bytes("/metrics").unwrap()).unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

/// `pactum_programs_compiled_total` of `role`'s node.
fn programs_compiled(cluster: &Cluster, role: &str) -> u64 {
    metric(cluster, role, "pactum_programs_compiled_total")
}

/// `pactum_programs_cached` of `role`'s node: the programs it holds in memory.
fn programs_cached(cluster: &Cluster, role: &str) -> u64 {
    metric(cluster, role, "pactum_programs_cached")
}

#[test]
fn an_agreement_s_program_is_stored_and_read_back_after_a_restart() {
    let mut cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-AGREE-PROGRAM", None);
    cluster.departed(&order).unwrap();
    cluster.settle(&ALL, &order);

    // New sources: the air-freight clause upgraded to a lower cap.
    let library =
        verifier::bundle::build::library_sources(&["clauses/air_freight_fallback.clause"]).unwrap();
    let text = library.last().unwrap().text.replace(
        "param cap: money = 20000.00 EUR",
        "param cap: money = 3000.00 EUR",
    );
    let upgrade = SubmitAgreement {
        upgrade_clauses: vec![ClauseUpgrade {
            name: "air_freight_fallback".into(),
            source: Some(text),
        }],
        note: "a lower cap".into(),
        at: Some("2026-02-01T00:00:00Z".into()),
        ..SubmitAgreement::default()
    };
    for role in ALL {
        agree(&cluster, role, &order, &upgrade).unwrap();
    }
    cluster.settle(&ALL, &order);

    // In the running process, each party's node compiled each program once (the genesis one,
    // the agreement's) and holds both, as a restarted node does: the order opened in this
    // process takes its programs from the node's programs, not from the compiler.
    for role in ALL {
        assert_eq!(programs_compiled(&cluster, role), 2, "{role}");
        assert_eq!(programs_cached(&cluster, role), 2, "{role}");
    }

    // Restarted, the node reads back both programs its order runs (the genesis one and the
    // agreement's) instead of compiling them, and goes on cosigning under the new rules.
    let before = cluster.view("buyer", &order);
    cluster.stop_node("buyer");
    cluster.start_node("buyer", Hooks::default());
    assert_eq!(programs_compiled(&cluster, "buyer"), 0);
    assert_eq!(programs_cached(&cluster, "buyer"), 2);
    assert_eq!(cluster.view("buyer", &order), before);
    let delivered = delivered_on_6_march(&cluster, &order);
    let obligations = &delivered["entry"]["outcome"]["effects"]["obligations"];
    assert!(
        obligations
            .as_array()
            .into_iter()
            .flatten()
            .any(|obligation| obligation["amount"]
                == json!({"amount": "3000.00", "currency": "EUR"})),
        "{delivered}"
    );
    cluster.settle(&ALL, &order);
    assert_eq!(programs_compiled(&cluster, "buyer"), 0);
}

/// `pactum-node ARGS… --url URL --token TOKEN` against `role`'s node, in-process.
fn cli(cluster: &Cluster, role: &str, args: &[&str]) -> Result<(), String> {
    let node = &cluster.nodes[role];
    let url = node.url();
    let mut words = vec!["pactum-node"];
    words.extend_from_slice(args);
    words.extend_from_slice(&["--url", &url, "--token", &node.token]);
    pactum_node::cli::run_args(words).map_err(|error| format!("{error:#}"))
}

#[test]
fn the_cli_signs_reviews_with_terms_and_agreements_on_real_nodes() {
    let cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-CLI-TERMS", Some((1, 86_400)));
    cluster.departed(&order).unwrap();
    cluster
        .weather("seller", &order, "2026-02-20T00:00:00Z", "Hong Kong")
        .unwrap();
    cluster
        .weather("buyer", &order, "2026-02-20T06:00:00Z", "Guangdong")
        .unwrap();
    cluster.settle(&ALL, &order);

    // `pactum-node review --term` carries the parties' own terms, as the HTTP route does; a
    // term the vocabulary lacks is refused before anyone signs.
    let wrong = cli(
        &cluster,
        "buyer",
        &[
            "review",
            &order,
            "--decision",
            "discard",
            "--term",
            "delivery_date=2026-03-09T00:00:00Z",
        ],
    )
    .unwrap_err();
    assert!(wrong.contains("invalid_review"), "{wrong}");
    for role in ALL {
        cli(
            &cluster,
            role,
            &[
                "review",
                &order,
                "--decision",
                "discard",
                "--note",
                "one typhoon, not two",
                "--term",
                "delivery_due=2026-03-09T00:00:00Z",
            ],
        )
        .unwrap_or_else(|error| panic!("{role}: {error}"));
    }
    let view = cluster.settle(&ALL, &order);
    assert_eq!(view["status"]["state"], "running", "{view}");
    assert_eq!(view["terms"]["delivery_due"], "2026-03-09T00:00:00Z");

    // `pactum-node agree FILE` signs an agreement; once every party did, the order is amended.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("agreement.json");
    let agreement = SubmitAgreement {
        terms: BTreeMap::from([("delivery_due".into(), json!("2026-03-12T00:00:00Z"))]),
        note: "a later date".into(),
        ..SubmitAgreement::default()
    };
    std::fs::write(&file, serde_json::to_vec(&agreement).unwrap()).unwrap();
    let path = file.display().to_string();
    for role in ALL {
        cli(&cluster, role, &["agree", &order, &path])
            .unwrap_or_else(|error| panic!("{role}: {error}"));
    }
    let view = cluster.settle(&ALL, &order);
    assert_eq!(
        view["terms"]["delivery_due"], "2026-03-12T00:00:00Z",
        "{view}"
    );
}
