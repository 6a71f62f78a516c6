//! A customer verifying an order over time, on real nodes: the signed heads nodes serve
//! (`GET /orders/{id}/head`) make an older bundle STALE, naming what it lacks. Nothing here
//! asserts on timings.

mod common;

use std::{collections::BTreeMap, path::Path, process::Output};

use common::Cluster;
use serde_json::json;
use verifier::bundle::{
    verify_bundle, Consistency, ConsistencyError, Freshness, GrowthBasis, Remembered, Report,
    SignedHead, TrustFile, VerifyError, VerifyOptions,
};
use verifier::model::Digest;

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
        assert!(text.contains("entry #2 is missing"), "{text}");
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

/// What a customer remembers between verifications, kept by the library as `--state-dir`
/// keeps it in files; each call verifies one bundle offline against it.
struct Customer {
    trust: TrustFile,
    remembered: Remembered,
}

impl Customer {
    fn new(trust: TrustFile) -> Customer {
        Customer {
            trust,
            remembered: Remembered::default(),
        }
    }

    fn verify(&mut self, bundle: &[u8]) -> Result<Report, VerifyError> {
        let options = VerifyOptions {
            remembered: Some(self.remembered.clone()),
            ..VerifyOptions::default()
        };
        let mut trust = self.trust.trust().unwrap();
        // One trust file for the node's log; each bundle's contract names its own parties.
        trust.parties.clear();
        let report = verify_bundle(bundle, &trust, &options)?;
        if let Some(next) = &report.remember {
            self.remembered = next.clone();
        }
        Ok(report)
    }

    /// The size of the seller's checkpoint this customer remembers.
    fn remembered_size(&self) -> u64 {
        let note = self.remembered.checkpoints.values().next().unwrap();
        let note = verifier::checkpoint::SignedNote::parse(note).unwrap();
        verifier::checkpoint::Checkpoint::parse(note.text())
            .unwrap()
            .size()
    }
}

/// Order A's entries after the genesis: `count` ETA updates.
fn etas(cluster: &Cluster, order: &str, count: u32) {
    for day in 11..11 + count {
        eta(
            cluster,
            order,
            &format!("2026-01-{day}T00:00:00Z"),
            "2026-02-20T00:00:00Z",
        );
    }
}

/// `pactum-verify BUNDLE --trust TRUST --state-dir DIR` (when built), its exit code and output.
fn verify_with_state_dir(
    cluster: &Cluster,
    name: &str,
    bundle: &[u8],
    trust: &TrustFile,
) -> Option<(i32, String)> {
    let bundle_path = cluster.path(&format!("{name}.bundle"));
    let trust_path = cluster.path(&format!("{name}.trust.json"));
    std::fs::write(&bundle_path, bundle).unwrap();
    std::fs::write(&trust_path, trust.to_json().unwrap()).unwrap();
    let state = cluster.path("customer-state");
    let output = pactum_verify(&[
        &bundle_path,
        Path::new("--trust"),
        &trust_path,
        Path::new("--state-dir"),
        &state,
    ])?;
    Some((output.status.code().unwrap_or(-1), stdout(&output)))
}

#[test]
fn a_customer_sees_one_nodes_log_grow_across_bundles_and_orders_offline() {
    let cluster = Cluster::start(&ALL, BTreeMap::new());
    let first = cluster.start_order(&ALL, "PO-GROWTH-A", None);
    departed(&cluster, &first);
    cluster.settle(&ALL, &first);
    let (a1, trust_a1) = cluster.bundle("seller", &first);
    let mut customer = Customer::new(trust_a1.clone());
    let report = customer.verify(&a1).unwrap();
    assert_eq!(report.consistency, Some(Consistency::FirstSeen));

    // More of order A, past a checkpoint batch, and a second order on the same node.
    etas(&cluster, &first, 6);
    let second = cluster.start_order(&["seller", "buyer"], "PO-GROWTH-B", None);
    cluster.settle(&ALL, &first);
    cluster.settle(&["seller", "buyer"], &second);
    let (a2, trust_a2) = cluster.bundle("seller", &first);
    let (b, trust_b) = cluster.bundle("seller", &second);

    // Growth, offline, on the witnesses' cosignatures (each checked a consistency proof from
    // the last checkpoint it cosigned before cosigning the new one).
    let report = customer.verify(&a2).unwrap();
    assert!(
        matches!(
            report.consistency,
            Some(Consistency::Extended {
                basis: GrowthBasis::Witnesses { .. },
                ..
            })
        ),
        "{:?}",
        report.consistency
    );
    let report = customer.verify(&b).unwrap();
    assert!(
        matches!(
            report.consistency,
            Some(Consistency::Extended { .. } | Consistency::Unchanged)
        ),
        "{:?}",
        report.consistency
    );
    // The first bundle again, now that a larger checkpoint is remembered: a rollback.
    let error = customer.verify(&a1).unwrap_err();
    assert!(
        matches!(
            error,
            VerifyError::Consistency(ConsistencyError::Rollback(_))
        ),
        "{error}"
    );

    // The customer's command line, one state directory through the same bundles.
    for (name, bundle, trust, code) in [
        ("a1", &a1, &trust_a1, 0),
        ("a2", &a2, &trust_a2, 0),
        ("b", &b, &trust_b, 0),
        ("a1-again", &a1, &trust_a1, 1),
    ] {
        if let Some((exit, text)) = verify_with_state_dir(&cluster, name, bundle, trust) {
            assert_eq!(exit, code, "{name}: {text}");
            let verdict = if code == 0 { "VALID" } else { "INVALID" };
            assert!(text.starts_with(verdict), "{name}: {text}");
        }
    }
}

#[test]
fn a_bundle_proves_growth_from_the_size_the_customer_remembers() {
    let cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-PROOF", None);
    departed(&cluster, &order);
    cluster.settle(&ALL, &order);
    let (first, mut trust) = cluster.bundle("seller", &order);
    // A customer who trusts the seller's log key alone: growth needs a proof.
    trust.log =
        verifier::checkpoint::TrustPolicy::new(trust.log.log_key().clone(), Vec::new(), 0).unwrap();
    let mut customer = Customer::new(trust);
    customer.verify(&first).unwrap();
    let remembered = customer.remembered_size();

    etas(&cluster, &order, 5);
    cluster.settle(&ALL, &order);
    let plain = cluster
        .client("seller")
        .get_bytes(&format!("/orders/{order}/bundle"))
        .unwrap();
    let error = customer.verify(&plain).unwrap_err();
    assert!(
        matches!(
            error,
            VerifyError::Consistency(ConsistencyError::Unproven { .. })
        ),
        "{error}"
    );
    let proven = cluster
        .client("seller")
        .get_bytes(&format!("/orders/{order}/bundle?since={remembered}"))
        .unwrap();
    let report = customer.verify(&proven).unwrap();
    assert_eq!(
        report.consistency,
        Some(Consistency::Extended {
            from: remembered,
            basis: GrowthBasis::Proof
        })
    );

    // The same proof, asked of the log directly, checks against both checkpoints' roots.
    let old = verify_bundle(
        &first,
        &customer.trust.trust().unwrap(),
        &VerifyOptions::default(),
    )
    .unwrap();
    let new = report.checkpoint;
    let answer = cluster
        .client("seller")
        .get(&format!(
            "/log/consistency?from={remembered}&to={}",
            new.size()
        ))
        .unwrap();
    let proof: Vec<[u8; 32]> = answer["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hash| Digest::from_hex(hash.as_str().unwrap()).unwrap().0)
        .collect();
    verifier::merkle::verify_consistency(
        remembered,
        new.size(),
        old.checkpoint.root(),
        new.root(),
        &proof,
    )
    .unwrap();
    // Sizes the log does not have are refused, naming the range.
    let error = cluster
        .client("seller")
        .get(&format!("/log/consistency?from=1&to={}", new.size() + 1000))
        .unwrap_err();
    assert_eq!(error.code(), Some("bad_range"), "{error}");
}

#[test]
fn a_forked_log_is_invalid_for_a_customer_who_saw_the_other_branch() {
    // Two runs of the same parties' keys (so the same log origin and key): the seller's log
    // at the same size holds different entries — a fork, as a node restored from a backup
    // and run on would make.
    let branch = |reference: &str| {
        let cluster = Cluster::start(&ALL, BTreeMap::new());
        let order = cluster.start_order(&ALL, reference, None);
        departed(&cluster, &order);
        cluster.settle(&ALL, &order);
        cluster.bundle("seller", &order)
    };
    let (ours, trust) = branch("PO-FORK-1");
    let (theirs, _) = branch("PO-FORK-2");
    let mut customer = Customer::new(trust);
    customer.verify(&ours).unwrap();
    let error = customer.verify(&theirs).unwrap_err();
    assert!(
        matches!(error, VerifyError::Consistency(ConsistencyError::Fork(_))),
        "{error}"
    );
}
