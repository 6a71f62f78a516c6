//! Amendments by agreement on real nodes: each party signs the same agreement through its own
//! node (`POST /orders/{id}/agreements`), the sequencer applies it once every party signed,
//! later facts follow the new rules at every party, a restarted node replays across it, and
//! the bundle verifies with the agreement in its timeline. Nothing here asserts on timings.

mod common;

use std::collections::BTreeMap;

use common::{verify, Cluster};
use pactum_node::{
    api::{ClauseUpgrade, SubmitAgreement},
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

#[test]
fn an_agreement_signed_through_every_party_s_node_changes_what_later_facts_do() {
    let mut cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-AGREE", None);
    cluster
        .event(
            "carrier",
            &order,
            "shipment.departed",
            "2026-01-10T00:00:00Z",
            json!({ "port": "Shenzhen" }),
        )
        .unwrap();
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
    let delivered = cluster
        .event(
            "carrier",
            &order,
            "shipment.delivered",
            "2026-03-06T10:00:00Z",
            json!({ "received_by": "Hamburg DC" }),
        )
        .unwrap();
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
