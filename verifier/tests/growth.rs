//! Step 8 (growth is not rollback) and step 9 (freshness), through the library's sans-IO API:
//! bundles of one log exported over time and verified with one remembered state are VALID for
//! honest growth (of one order, or of another order of the same node) and INVALID, with both
//! checkpoints, for a rollback, a fork or a rewritten entry; a bundle cut short by its exporter
//! is STALE once any party's head is presented.

use verifier::bundle::assemble::{assemble, OrderParts};
use verifier::bundle::build::{
    scenario_order, ExampleKeys, ExampleLog, OrderBuilder, ReviewPolicy, EXAMPLE_COSIGN_TIME,
    EXAMPLE_SCENARIO, EXAMPLE_SCENARIO_NAME,
};
use verifier::bundle::{
    verify_bundle, Consistency, Freshness, GrowthBasis, Head, HeadError, Remembered,
    RememberedHead, Report, SignedHead, Trust, VerifyError, VerifyOptions,
};
use verifier::timeline::{render_report, Lang};

fn example_order() -> (OrderBuilder, ExampleKeys) {
    let keys = ExampleKeys::new();
    let order = scenario_order(
        EXAMPLE_SCENARIO,
        EXAMPLE_SCENARIO_NAME,
        &keys,
        ReviewPolicy::ApproveHeld,
        1,
    )
    .unwrap();
    (order, keys)
}

/// One node's log, exporting bundles of the orders it holds as they grow.
struct Node {
    log: ExampleLog,
    keys: ExampleKeys,
    /// Leaf index of each entry appended, per order (by its parts).
    time: u64,
}

impl Node {
    fn new() -> Node {
        Node {
            log: ExampleLog::example(),
            keys: ExampleKeys::new(),
            time: EXAMPLE_COSIGN_TIME,
        }
    }

    /// Appends `entries` of an order; returns their leaves.
    fn append(&mut self, entries: &[verifier::model::SignedEntry]) -> Vec<u64> {
        self.log.append_entries(entries).unwrap()
    }

    /// A bundle of the first `count` entries of `order` against the log as it is now, with
    /// consistency proofs from `from`.
    fn export(
        &mut self,
        order: &OrderBuilder,
        leaves: &[u64],
        count: usize,
        from: &[u64],
    ) -> Vec<u8> {
        self.time += 60;
        let note = self.log.checkpoint(self.time).unwrap();
        let all = order.parts();
        let parts = OrderParts {
            entries: all.entries[..count].to_vec(),
            ..all
        };
        assemble(
            &parts,
            &leaves[..count],
            &self.log.log,
            &note,
            ("seller", &self.keys.seller),
            from,
        )
        .unwrap()
        .to_bytes()
        .unwrap()
    }

    fn trust(&self, order: &OrderBuilder) -> Trust {
        Trust {
            log: self.log.policy().unwrap(),
            parties: order.machine().contract().parties.clone(),
        }
    }
}

/// Verifies with `remembered`, returning the report (whose `remember` is the next state).
fn verify(bytes: &[u8], trust: &Trust, remembered: &Remembered) -> Result<Report, VerifyError> {
    let options = VerifyOptions {
        remembered: Some(remembered.clone()),
        ..VerifyOptions::default()
    };
    verify_bundle(bytes, trust, &options)
}

#[test]
fn honest_growth_of_one_order_and_of_another_order_is_valid_offline() {
    let mut node = Node::new();
    let (order, _) = example_order();
    let leaves = node.append(order.entries());
    let trust = node.trust(&order);
    // A customer verifies the order when it had 6 entries (the log then held 10 leaves).
    let mut early = Node::new();
    let early_leaves = early.append(&order.entries()[..6]);
    let first = early.export(&order, &early_leaves, 6, &[]);
    let report = verify(&first, &trust, &Remembered::default()).unwrap();
    assert_eq!(report.consistency, Some(Consistency::FirstSeen));
    let remembered = report.remember.unwrap();
    assert_eq!(
        remembered.heads[&report.order],
        RememberedHead {
            seq: 5,
            entry: report.as_of.entry
        }
    );

    // The same node's log later: the order grew to 10 entries. No proof in the bundle: the
    // witnesses' cosignatures are the basis.
    early.append(&order.entries()[6..]);
    let second = early.export(&order, &leaves, 10, &[]);
    let report = verify(&second, &trust, &remembered).unwrap();
    assert_eq!(
        report.consistency,
        Some(Consistency::Extended {
            from: 6,
            basis: GrowthBasis::Witnesses {
                names: vec!["witness.buyer".into(), "witness.auditor".into()]
            }
        })
    );
    let remembered_later = report.remember.unwrap();

    // With the size the customer remembers passed to the export, the bundle proves it.
    let proved = early.export(&order, &leaves, 10, &[6]);
    let report = verify(&proved, &trust, &remembered).unwrap();
    assert_eq!(
        report.consistency,
        Some(Consistency::Extended {
            from: 6,
            basis: GrowthBasis::Proof
        })
    );

    // Another order of the same node, exported after more appends: valid too.
    let keys = ExampleKeys::new();
    let mut other = scenario_order(
        EXAMPLE_SCENARIO,
        "a delivery 7 days late recorded while the order waits for review",
        &keys,
        ReviewPolicy::ApproveHeld,
        1,
    )
    .unwrap();
    other.close(other.state().high_water, "done").unwrap();
    let other_leaves = early.append(other.entries());
    let count = other.entries().len();
    let third = early.export(&other, &other_leaves, count, &[]);
    let report = verify(&third, &early.trust(&other), &remembered_later).unwrap();
    assert!(matches!(
        report.consistency,
        Some(Consistency::Extended { from: 10, .. })
    ));
    let _ = node;
}

#[test]
fn rollback_fork_and_rewritten_entries_are_invalid_with_the_evidence() {
    let (order, _) = example_order();
    let mut node = Node::new();
    let leaves = node.append(order.entries());
    let trust = node.trust(&order);
    let small = node.export(&order, &leaves, 10, &[]);
    node.log.append_other(b"x").unwrap();
    node.log.append_other(b"y").unwrap();
    let large = node.export(&order, &leaves, 10, &[]);
    let mut forked_node = Node::new();
    forked_node.append(order.entries());
    forked_node.log.append_other(b"x").unwrap();
    forked_node.log.append_other(b"z").unwrap();
    let forked = forked_node.export(&order, &leaves, 10, &[]);
    let after_large = verify(&large, &trust, &Remembered::default())
        .unwrap()
        .remember
        .unwrap();
    let order_id = order.machine().order();
    let mut rewritten = after_large.clone();
    rewritten.heads.insert(
        order_id,
        RememberedHead {
            seq: 4,
            entry: verifier::model::Digest([7; 32]),
        },
    );
    let mut longer = after_large.clone();
    longer.heads.insert(
        order_id,
        RememberedHead {
            seq: 12,
            entry: verifier::model::Digest([7; 32]),
        },
    );
    let cases: [(&str, &[u8], &Remembered, &str); 4] = [
        ("rollback", &small, &after_large, "consistency.Rollback"),
        ("fork", &forked, &after_large, "consistency.Fork"),
        (
            "entry replaced",
            &large,
            &rewritten,
            "consistency.EntryReplaced",
        ),
        (
            "order shortened",
            &large,
            &longer,
            "consistency.OrderShortened",
        ),
    ];
    for (name, bytes, remembered, code) in cases {
        let error = verify(bytes, &trust, remembered).unwrap_err();
        assert_eq!(error.code(), code, "{name}: {error}");
        assert_eq!(error.step(), 8, "{name}");
        let evidence = verifier::timeline::error_json(&error, Lang::En)["evidence"].clone();
        assert!(!evidence.is_null(), "{name}: evidence");
        match name {
            "rollback" | "fork" => {
                assert!(evidence["previous"]
                    .as_str()
                    .unwrap()
                    .contains("pactum.example/log"));
                assert!(evidence["presented"]
                    .as_str()
                    .unwrap()
                    .contains("pactum.example/log"));
            }
            _ => {
                assert!(evidence["previous_checkpoint"].is_string(), "{name}");
                assert!(evidence["presented_checkpoint"].is_string(), "{name}");
            }
        }
    }
}

/// `role`'s head of `order`'s entry `seq`.
fn head(order: &OrderBuilder, seq: usize, role: &str) -> SignedHead {
    let body = &order.bodies()[seq];
    let genesis_at = order.machine().contract().genesis_at;
    let head = Head::for_entry(body, order.entries()[seq].hash(), genesis_at, 0).unwrap();
    SignedHead::sign(&head, role, order.party_key(role).unwrap()).unwrap()
}

#[test]
fn a_bundle_cut_by_its_exporter_is_stale_once_a_party_head_is_presented() {
    let (order, _) = example_order();
    let mut node = Node::new();
    let leaves = node.append(order.entries());
    let trust = node.trust(&order);
    // The exporter drops the last two entries and signs a head for the prefix.
    let cut = node.export(&order, &leaves, 8, &[]);
    let options = |heads: Vec<SignedHead>| VerifyOptions {
        heads,
        ..VerifyOptions::default()
    };
    // Alone, it verifies, and says what it proves.
    let report = verify_bundle(&cut, &trust, &options(Vec::new())).unwrap();
    assert_eq!(report.freshness, Freshness::NotChecked);
    assert_eq!(report.as_of.seq, 7);
    let text = render_report(&report, Lang::En);
    assert!(text.starts_with("VALID"), "{text}");
    assert!(
        text.contains("Proves the order as of entry #7, cosigned by buyer and seller at"),
        "{text}"
    );
    // The buyer's head names entry 9: STALE, entries 8..9 missing.
    let report = verify_bundle(&cut, &trust, &options(vec![head(&order, 9, "buyer")])).unwrap();
    assert!(matches!(
        report.freshness,
        Freshness::Stale {
            head_seq: 9,
            missing_from: 8,
            missing_to: 9,
            ..
        }
    ));
    for (lang, stale, missing) in [
        (Lang::En, "STALE", "entries #8 to #9 are missing"),
        (Lang::Zh, "过期", "缺少记录#8至#9"),
        (Lang::De, "VERALTET", "es fehlen die Einträge #8 bis #9"),
    ] {
        let text = render_report(&report, lang);
        assert!(text.starts_with(stale), "{text}");
        assert!(text.contains(missing), "{text}");
    }
    // A head of an entry the bundle holds: current.
    let report = verify_bundle(&cut, &trust, &options(vec![head(&order, 5, "seller")])).unwrap();
    assert_eq!(
        report.freshness,
        Freshness::Current {
            signers: vec!["seller".into()]
        }
    );

    // A party's head that contradicts an entry: INVALID, naming both.
    let mut other = Head::for_entry(
        &order.bodies()[5],
        verifier::model::Digest([9; 32]),
        order.machine().contract().genesis_at,
        0,
    )
    .unwrap();
    other.seq = 5;
    let conflicting = SignedHead::sign(&other, "buyer", order.party_key("buyer").unwrap()).unwrap();
    let error = verify_bundle(&cut, &trust, &options(vec![conflicting])).unwrap_err();
    assert!(
        matches!(&error, VerifyError::Head(HeadError::Conflict { seq: 5, signer, .. }) if signer == "buyer"),
        "{error}"
    );
    assert_eq!(error.step(), 9);
    // A head signed by someone who is not a party proves nothing.
    let stranger = verifier::sign::SigningKey::from_seed([3; 32]);
    let mut forged = head(&order, 9, "buyer");
    forged.signature = stranger.sign(verifier::sign::Domain::Head, &forged.body);
    let error = verify_bundle(&cut, &trust, &options(vec![forged])).unwrap_err();
    assert!(
        matches!(error, VerifyError::Head(HeadError::Signature(_))),
        "{error}"
    );
}

/// The trail page keeps what it verified as JSON in the browser (`Remembered::to_json`): read
/// back, it still tells growth from a rollback; a corrupted copy is refused, not taken as empty.
#[test]
fn remembered_state_kept_as_json_still_catches_a_rollback() {
    let (order, _) = example_order();
    let mut node = Node::new();
    let leaves = node.append(&order.entries()[..6]);
    let trust = node.trust(&order);
    let short = node.export(&order, &leaves, 6, &[]);
    let all = [leaves, node.append(&order.entries()[6..])].concat();
    let long = node.export(&order, &all, 10, &[]);

    let after_short = verify(&short, &trust, &Remembered::default())
        .unwrap()
        .remember
        .unwrap();
    let kept = Remembered::from_json(&after_short.to_json()).unwrap();
    assert_eq!(kept, after_short);
    let after_long = verify(&long, &trust, &kept).unwrap();
    assert!(matches!(
        after_long.consistency,
        Some(Consistency::Extended { from: 6, .. })
    ));
    let kept = Remembered::from_json(&after_long.remember.unwrap().to_json()).unwrap();
    let error = verify(&short, &trust, &kept).unwrap_err();
    assert_eq!(
        (error.step(), error.code().as_str()),
        (8, "consistency.Rollback")
    );

    for corrupt in [
        "",
        "{}",
        r#"{"checkpoints": {"pactum.example/log": "not a note"}, "heads": {}}"#,
        r#"{"checkpoints": {}, "heads": {"00": {"seq": 1, "entry": "00"}}}"#,
    ] {
        assert!(Remembered::from_json(corrupt).is_err(), "{corrupt:?}");
    }
    let mut misfiled = kept.clone();
    let note = misfiled.checkpoints.values().next().unwrap().clone();
    misfiled.checkpoints = [("another.example/log".to_string(), note)].into();
    assert!(Remembered::from_json(&misfiled.to_json()).is_err());
}
