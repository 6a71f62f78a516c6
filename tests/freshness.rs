//! A customer verifying an order over time, on real nodes: the signed heads nodes serve
//! (`GET /orders/{id}/head`) make an older bundle STALE, naming what it lacks. Nothing here
//! asserts on timings.

mod common;

use std::{collections::BTreeMap, path::Path, process::Output};

use common::Cluster;
use serde_json::json;
use verifier::bundle::{verify_bundle, Freshness, Report, SignedHead, TrustFile, VerifyOptions};

const ALL: [&str; 3] = ["seller", "buyer", "carrier"];

fn eta(cluster: &Cluster, order: &str, at: &str, eta: &str) {
    cluster
        .event(
            "carrier",
            order,
            "shipment.eta_updated",
            at,
            json!({ "eta": eta }),
        )
        .unwrap();
}

fn departed(cluster: &Cluster, order: &str) {
    cluster
        .event(
            "carrier",
            order,
            "shipment.departed",
            "2026-01-10T00:00:00Z",
            json!({ "port": "Shenzhen" }),
        )
        .unwrap();
}

/// The signed head `role`'s node serves for `order`.
fn head(cluster: &Cluster, role: &str, order: &str) -> Vec<u8> {
    cluster
        .client(role)
        .get_bytes(&format!("/orders/{order}/head"))
        .unwrap()
}

/// Verifies with the library, the given heads presented beside the bundle.
fn verify_with_heads(bundle: &[u8], trust: &TrustFile, heads: &[&[u8]]) -> Report {
    let options = VerifyOptions {
        heads: heads
            .iter()
            .map(|bytes| SignedHead::from_bytes(bytes).unwrap())
            .collect(),
        ..VerifyOptions::default()
    };
    verify_bundle(bundle, &trust.trust().unwrap(), &options).unwrap()
}

/// `pactum-verify ARGS` when the workspace built it next to this test (`cargo test
/// --workspace` does); `None` otherwise, the library having been checked already.
fn pactum_verify(args: &[&Path]) -> Option<Output> {
    let binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(|dir| dir.join("pactum-verify")))
        .filter(|path| path.exists());
    let Some(binary) = binary else {
        eprintln!("pactum-verify is not built next to this test; verified with the library");
        return None;
    };
    Some(
        std::process::Command::new(binary)
            .args(args)
            .output()
            .unwrap(),
    )
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_head_served_by_a_party_shows_a_bundle_is_stale_naming_the_missing_entry() {
    let cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-HEAD", None);
    departed(&cluster, &order);
    cluster.settle(&ALL, &order);
    let (bundle, trust) = cluster.bundle("seller", &order);
    // The buyer's head while the bundle is the latest: it names the bundle's last entry.
    let current = head(&cluster, "buyer", &order);

    eta(
        &cluster,
        &order,
        "2026-02-17T00:00:00Z",
        "2026-02-26T00:00:00Z",
    );
    cluster.settle(&ALL, &order);
    let newer = head(&cluster, "buyer", &order);

    let report = verify_with_heads(&bundle, &trust, &[&current]);
    assert_eq!(
        report.freshness,
        Freshness::Current {
            signers: vec!["buyer".into()]
        }
    );
    let report = verify_with_heads(&bundle, &trust, &[&newer]);
    assert!(
        matches!(
            report.freshness,
            Freshness::Stale { ref signer, head_seq: 2, missing_from: 2, missing_to: 2, .. }
                if signer == "buyer"
        ),
        "{:?}",
        report.freshness
    );
    // Every party serves its own head: the seller's says the same.
    let seller = verify_with_heads(&bundle, &trust, &[&head(&cluster, "seller", &order)]);
    assert!(seller.freshness.is_stale(), "{:?}", seller.freshness);

    // The customer's command line: VALID with the current head, STALE (exit 3) with the newer.
    let files = [
        ("order.bundle", bundle.clone()),
        ("trust.json", trust.to_json().unwrap().into_bytes()),
        ("current.head", current),
        ("newer.head", newer),
    ];
    for (name, bytes) in &files {
        std::fs::write(cluster.path(name), bytes).unwrap();
    }
    let args = |head: &str| {
        [
            cluster.path("order.bundle"),
            "--trust".into(),
            cluster.path("trust.json"),
            "--head".into(),
            cluster.path(head),
        ]
    };
    let paths = args("current.head");
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    if let Some(output) = pactum_verify(&refs) {
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        assert!(stdout(&output).starts_with("VALID"), "{}", stdout(&output));
    }
    let paths = args("newer.head");
    let refs: Vec<&Path> = paths.iter().map(|p| p.as_path()).collect();
    if let Some(output) = pactum_verify(&refs) {
        assert_eq!(output.status.code(), Some(3), "{output:?}");
        let text = stdout(&output);
        assert!(text.starts_with("STALE"), "{text}");
        assert!(
            text.contains("buyer signed a head naming entry #2"),
            "{text}"
        );
        assert!(text.contains("entries #2..#2 are missing"), "{text}");
    }
}

#[test]
fn a_head_of_an_unknown_order_is_404() {
    let cluster = Cluster::start(&["seller"], BTreeMap::new());
    let unknown = "ab".repeat(32);
    let error = cluster
        .client("seller")
        .get_bytes(&format!("/orders/{unknown}/head"))
        .unwrap_err();
    assert_eq!(error.code(), Some("unknown_order"), "{error}");
}
