//! Amendments by agreement: a change of terms, parameters or clauses signed by every party is
//! an entry of its own; later facts follow the rules it leaves, the verifier replays across it,
//! and the timeline shows it. Every way of getting one wrong is refused by the state machine
//! and INVALID at its own step when colluding parties record it anyway (the table's outcomes
//! are kept in `tests/data/agreements.expect`, refreshed with UPDATE_EXPECT=1).

mod common;

use std::collections::BTreeMap;

use common::{check_expect, reseal};
use contract_lang::value::{Currency, DisplayTimestamp, Money, Value};
use verifier::bundle::build::{
    compile_sources, example_bundle, library_sources, scenario_order, ExampleKeys, ExampleLog,
    OrderBuilder, ReviewPolicy,
};
use verifier::bundle::{verify_bundle, Report, TrustFile, VerifyError, VerifyOptions};
use verifier::model::{
    Agreement, AgreementStep, Change, ClauseBinding, Decision, Digest, EntryBody, SignedAgreement,
    Step, TransferKind,
};
use verifier::state::Status;
use verifier::timeline::{render_report, report_json, Lang};

const JAN_10: i64 = 1_768_003_200;
const FEB_01: i64 = 1_769_904_000;
const MAR_01: i64 = 1_772_323_200;
const MAR_05: i64 = 1_772_668_800;
const HOUR: i64 = 3_600;
/// 34 hours after the contract's due date.
const DELIVERED: i64 = MAR_01 + 34 * HOUR;

const AIR_FREIGHT: &str = "clauses/air_freight_fallback.clause";
const PENALTY: &str = "clauses/late_delivery_penalty.clause";

/// Sea freight from Shenzhen under the air-freight clause, due 2026-03-01: departed, nothing
/// else yet.
fn departed_order() -> (OrderBuilder, ExampleKeys) {
    let scenario =
        "clauses = [\"../clauses/air_freight_fallback.clause\"]\njurisdiction = \"CN\"\n\
        [terms]\ntransport_mode = \"sea\"\ndelivery_due = \"2026-03-01T00:00:00Z\"\n\
        price = \"12000.00 EUR\"\n\
        [[scenario]]\nname = \"departed\"\n[[scenario.events]]\nkind = \"shipment.departed\"\n\
        at = \"2026-01-10T00:00:00Z\"\nfields = { port = \"Shenzhen\" }\n";
    let keys = ExampleKeys::new();
    let order = scenario_order(scenario, "departed", &keys, ReviewPolicy::Leave, 0).unwrap();
    (order, keys)
}

fn deliver(order: &mut OrderBuilder, keys: &ExampleKeys) {
    let fields = BTreeMap::from([("received_by".to_string(), Value::Text("Hamburg DC".into()))]);
    order
        .event(&keys.carrier, "shipment.delivered", DELIVERED, fields)
        .unwrap();
}

fn eur(minor: i64) -> Money {
    Money {
        minor,
        currency: Currency::parse("EUR").unwrap(),
    }
}

/// What the seller owes the buyer as compensation, in cents.
fn owed(order: &OrderBuilder) -> i64 {
    order.state().obligation_total(
        TransferKind::Pay,
        "seller",
        "buyer",
        Currency::parse("EUR").unwrap(),
    )
}

fn set_due(at: i64) -> Change {
    Change::SetTerm {
        term: "delivery_due".into(),
        value: Value::Timestamp(at),
    }
}

/// The library file at `path` as a source change, optionally edited.
fn source(path: &str, edit: impl Fn(&str) -> String) -> Change {
    let sources = library_sources(&[path]).unwrap();
    let file = sources.last().unwrap();
    Change::Source {
        name: file.name.clone(),
        text: edit(&file.text),
    }
}

/// The id `clause` compiles to with the order's sources changed by `changes`.
fn compiled_id(order: &OrderBuilder, changes: &[Change], clause: &str) -> Digest {
    let mut sources = order.parts().sources;
    for change in changes {
        if let Change::Source { name, text } = change {
            let file = verifier::bundle::Source {
                name: name.clone(),
                text: text.clone(),
            };
            match sources.iter_mut().find(|existing| existing.name == *name) {
                Some(existing) => *existing = file,
                None => sources.push(file),
            }
        }
    }
    let program = compile_sources(&sources).unwrap();
    Digest(program.clause(clause).unwrap().id.0)
}

fn bundle_of(order: OrderBuilder, keys: ExampleKeys) -> (Vec<u8>, verifier::bundle::Trust) {
    let example = example_bundle(keys, order).unwrap();
    (example.bytes, example.trust)
}

fn verified(order: OrderBuilder, keys: ExampleKeys) -> Report {
    let (bytes, trust) = bundle_of(order, keys);
    verify_bundle(&bytes, &trust, &VerifyOptions::default())
        .unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn an_agreement_signed_by_every_party_changes_what_later_facts_do() {
    // Without it, the delivery 34 hours after the due date owes 34 × 150.00 EUR.
    let (mut control, keys) = departed_order();
    deliver(&mut control, &keys);
    assert_eq!(owed(&control), 34 * 15_000);

    let (mut order, keys) = departed_order();
    let body = order
        .agree(
            FEB_01,
            vec![set_due(MAR_05)],
            "port strike: due date moved by agreement",
        )
        .unwrap()
        .clone();
    let Step::Agreement(step) = &body.step else {
        panic!("not an agreement entry: {:?}", body.step);
    };
    assert_eq!(step.terms[0].before, Some(Value::Timestamp(MAR_01)));
    deliver(&mut order, &keys);
    assert_eq!(owed(&order), 0, "delivered before the agreed due date");

    let agreement_seq = body.seq;
    let report = verified(order, keys);
    assert_eq!(report.breaker.agreements, 1);
    assert_eq!(report.breaker.trips, 0);
    assert_eq!(
        report.state.terms().get("delivery_due"),
        Some(&Value::Timestamp(MAR_05))
    );
    let note = "port strike: due date moved by agreement";
    for (lang, headline) in [
        (
            Lang::En,
            format!("AMENDED BY AGREEMENT of buyer and seller — “{note}”"),
        ),
        // The roles in the reader's language, a Chinese list joined with 和 / 、.
        (Lang::Zh, format!("经买方和卖方协议修改——“{note}”")),
        (
            Lang::De,
            format!("DURCH VEREINBARUNG GEÄNDERT (Parteien: Käufer und Verkäufer) — „{note}“"),
        ),
    ] {
        let text = render_report(&report, lang);
        let line = format!("#{agreement_seq}  {}  {headline}", DisplayTimestamp(FEB_01));
        assert!(text.contains(&line), "{line} in {text}");
        let change = format!(
            "{} → {}",
            DisplayTimestamp(MAR_01),
            DisplayTimestamp(MAR_05)
        );
        assert!(text.contains(&change), "{change} in {text}");
    }
    let json = report_json(&report, Lang::En);
    let entry = &json["timeline"][usize::try_from(agreement_seq).unwrap()];
    assert_eq!(entry["kind"], "agreement", "{entry}");
    assert_eq!(
        entry["agreement"]["terms"][0]["term"], "delivery_due",
        "{entry}"
    );
    assert_eq!(
        entry["agreement"]["signed_by"],
        serde_json::json!(["buyer", "seller"])
    );
}

#[test]
fn an_agreement_binds_parameters_and_adds_upgrades_and_removes_clauses() {
    // Bind the hourly rate: 34 × 100.00 EUR.
    let (mut order, keys) = departed_order();
    let rate = Change::BindParam {
        clause: "air_freight_fallback".into(),
        param: "rate_per_hour".into(),
        value: Value::Money(eur(10_000)),
    };
    order.agree(FEB_01, vec![rate], "lower rate").unwrap();
    deliver(&mut order, &keys);
    assert_eq!(owed(&order), 34 * 10_000);
    verified(order, keys);

    // Upgrade the clause to a version whose default rate is 200.00 EUR: 34 × 200.00 EUR.
    let (mut order, keys) = departed_order();
    let new_source = source(AIR_FREIGHT, |text| {
        text.replace(
            "rate_per_hour: money = 150.00 EUR",
            "rate_per_hour: money = 200.00 EUR",
        )
    });
    let id = compiled_id(
        &order,
        std::slice::from_ref(&new_source),
        "air_freight_fallback",
    );
    let upgrade = Change::UpgradeClause {
        clause: "air_freight_fallback".into(),
        id,
    };
    order
        .agree(FEB_01, vec![new_source, upgrade], "new rate")
        .unwrap();
    deliver(&mut order, &keys);
    assert_eq!(owed(&order), 34 * 20_000);
    let report = verified(order, keys);
    assert!(report.state.rules.is_some(), "the rules changed");

    // Add the late-delivery penalty: the delivery also owes it.
    let (mut order, keys) = departed_order();
    let penalty = source(PENALTY, str::to_string);
    let id = compiled_id(
        &order,
        std::slice::from_ref(&penalty),
        "late_delivery_penalty",
    );
    let add = Change::AddClause(ClauseBinding {
        name: "late_delivery_penalty".into(),
        id,
        params: BTreeMap::new(),
        active: true,
    });
    order
        .agree(FEB_01, vec![penalty, add], "penalty added")
        .unwrap();
    deliver(&mut order, &keys);
    let report = verified(order, keys);
    let delivery = report.entries.last().unwrap();
    let Step::Event(step) = &delivery.body.step else {
        panic!("the delivery is an event");
    };
    let clauses: Vec<&str> = match &step.outcome {
        verifier::model::Outcome::Applied(effects) => effects
            .obligations
            .iter()
            .map(|obligation| obligation.clause.as_str())
            .collect(),
        other => panic!("{other:?}"),
    };
    assert!(clauses.contains(&"late_delivery_penalty"), "{clauses:?}");
    assert!(clauses.contains(&"air_freight_fallback"), "{clauses:?}");
    assert!(
        render_report(&report, Lang::En).contains("clause added: «"),
        "the timeline names the added clause"
    );

    // Remove the air-freight clause: the delivery owes nothing.
    let (mut order, keys) = departed_order();
    let remove = Change::RemoveClause {
        clause: "air_freight_fallback".into(),
    };
    order
        .agree(FEB_01, vec![remove], "no compensation")
        .unwrap();
    deliver(&mut order, &keys);
    assert_eq!(owed(&order), 0);
    let report = verified(order, keys);
    assert!(!report.state.active.contains("air_freight_fallback"));
}

#[test]
fn a_review_carries_the_parties_own_term_changes() {
    // Four typhoon alerts within a day trip the breaker; the parties discard the held
    // extension and set the due date themselves.
    let alert = |hour: i64| {
        format!(
            "[[scenario.events]]\nkind = \"weather.alert\"\nat = \"2026-02-25T{hour:02}:00:00Z\"\n\
             fields = {{ kind = \"typhoon\", level = \"red\", region = \"Guangdong\" }}\n"
        )
    };
    let scenario = format!(
        "clauses = [\"../clauses/force_majeure.clause\"]\njurisdiction = \"CN\"\n[terms]\n\
         delivery_due = \"2026-03-01T00:00:00Z\"\nroute_regions = [\"Guangdong\"]\n\
         [[scenario]]\nname = \"typhoons\"\n{}{}{}{}",
        alert(0),
        alert(1),
        alert(2),
        alert(3),
    );
    let keys = ExampleKeys::new();
    let mut order = scenario_order(&scenario, "typhoons", &keys, ReviewPolicy::Leave, 0).unwrap();
    assert!(matches!(order.state().status, Status::Tripped { .. }));
    // While the order waits, the parties decide by review, not by agreement.
    let at = order.state().high_water;
    let signed = order
        .sign_agreement(at, vec![set_due(MAR_05)], "skip the review")
        .unwrap();
    let error = order.submit_agreement(&signed).unwrap_err();
    assert!(error.to_string().contains("waits for a review"), "{error}");
    let terms = BTreeMap::from([("delivery_due".to_string(), Value::Timestamp(MAR_05))]);
    order
        .review_setting(
            Decision::Discard,
            terms,
            "due date set to 03-05 by the parties",
        )
        .unwrap();
    assert_eq!(
        order.state().terms().get("delivery_due"),
        Some(&Value::Timestamp(MAR_05))
    );
    let report = verified(order, keys);
    let text = render_report(&report, Lang::En);
    assert!(text.contains("set the delivery due date: "), "{text}");
    assert!(
        text.contains(&DisplayTimestamp(MAR_05).to_string()),
        "{text}"
    );
}

#[test]
fn a_bundle_written_before_agreements_still_verifies() {
    // Written by `pactum-verify example-bundle` at model version 5, before agreements existed.
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/model-v5");
    let bytes = std::fs::read(data.join("example.bundle")).unwrap();
    let trust = TrustFile::parse(&std::fs::read_to_string(data.join("trust.json")).unwrap())
        .unwrap()
        .trust()
        .unwrap();
    let report = verify_bundle(&bytes, &trust, &VerifyOptions::default())
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(report.entries.len(), 10);
    assert_eq!(report.breaker.trips, 1);
    assert!(report.state.rules.is_none());
}

/// The bundle colluding parties make when they record `step` after the order's entries
/// (every party re-signs every entry; the agreement's own signatures are as given).
fn recorded(order: &OrderBuilder, keys: &ExampleKeys, step: AgreementStep) -> Vec<u8> {
    recorded_exactly(order, keys, step, Digest::ZERO)
}

fn step_of(agreement: SignedAgreement) -> AgreementStep {
    AgreementStep {
        agreement,
        terms: Vec::new(),
        params: Vec::new(),
        clauses: Vec::new(),
    }
}

/// An agreement of `order` signed as `signers` say: every party, or one of them leaving it
/// out or signing other bytes.
enum Signers {
    All,
    Only(&'static str),
    OtherBytes(&'static str),
}

fn signed(keys: &ExampleKeys, agreement: &Agreement, signers: Signers) -> SignedAgreement {
    let mut signed = SignedAgreement::unsigned(agreement).unwrap();
    let parties = [("buyer", &keys.buyer), ("seller", &keys.seller)];
    for (role, key) in parties {
        match signers {
            Signers::Only(only) if only != role => {}
            Signers::OtherBytes(liar) if liar == role => {
                let mut other = agreement.clone();
                other.note.push_str(" (not what the other party signed)");
                let other = SignedAgreement::unsigned(&other).unwrap();
                let signature = key.sign(verifier::sign::Domain::Agreement, &other.body);
                signed.signatures.insert(role.to_string(), signature);
            }
            _ => signed.sign(role, key),
        }
    }
    signed
}

fn describe(result: &Result<Report, VerifyError>) -> String {
    match result {
        Ok(report) => format!("VALID ({} entries)", report.entries.len()),
        Err(error) => format!(
            "INVALID: {} at entry {} — {error}",
            error.code(),
            error
                .entry()
                .map_or_else(|| "-".to_string(), |index| index.to_string())
        ),
    }
}

#[test]
fn every_faulty_agreement_is_refused_and_invalid_at_its_own_step() {
    let (order, keys) = departed_order();
    let id = order.machine().order();
    let seq = order.state().seq;
    let agreement = |at: i64, changes: Vec<Change>| Agreement::new(id, seq, at, changes, "agreed");
    let broken_source = source(AIR_FREIGHT, |text| text.replace("then {", "then {{"));
    let upgraded = source(AIR_FREIGHT, |text| text.replace("150.00 EUR", "200.00 EUR"));
    let cases: Vec<(&str, Agreement, Signers)> = vec![
        (
            "valid: the due date moved",
            agreement(FEB_01, vec![set_due(MAR_05)]),
            Signers::All,
        ),
        (
            "the buyer did not sign",
            agreement(FEB_01, vec![set_due(MAR_05)]),
            Signers::Only("seller"),
        ),
        (
            "the buyer signed other bytes",
            agreement(FEB_01, vec![set_due(MAR_05)]),
            Signers::OtherBytes("buyer"),
        ),
        (
            "dated before the last event",
            agreement(JAN_10 - HOUR, vec![set_due(MAR_05)]),
            Signers::All,
        ),
        (
            "for another position",
            Agreement::new(id, seq + 1, FEB_01, vec![set_due(MAR_05)], "agreed"),
            Signers::All,
        ),
        (
            "for another order",
            Agreement::new(
                Digest([9; 32]),
                seq,
                FEB_01,
                vec![set_due(MAR_05)],
                "agreed",
            ),
            Signers::All,
        ),
        (
            "no change at all",
            agreement(FEB_01, Vec::new()),
            Signers::All,
        ),
        (
            "a clause source that does not compile",
            agreement(FEB_01, vec![broken_source]),
            Signers::All,
        ),
        (
            "an upgrade pinned to an id the source does not compile to",
            agreement(
                FEB_01,
                vec![
                    upgraded.clone(),
                    Change::UpgradeClause {
                        clause: "air_freight_fallback".into(),
                        id: Digest([1; 32]),
                    },
                ],
            ),
            Signers::All,
        ),
        (
            "a changed source without upgrading the clause it holds",
            agreement(FEB_01, vec![upgraded]),
            Signers::All,
        ),
        (
            "a term the vocabulary does not declare",
            agreement(
                FEB_01,
                vec![Change::SetTerm {
                    term: "discount".into(),
                    value: Value::Int(5),
                }],
            ),
            Signers::All,
        ),
        (
            "a term of the wrong type",
            agreement(
                FEB_01,
                vec![Change::SetTerm {
                    term: "delivery_due".into(),
                    value: Value::Int(5),
                }],
            ),
            Signers::All,
        ),
        (
            "one term set twice",
            agreement(FEB_01, vec![set_due(MAR_05), set_due(MAR_01)]),
            Signers::All,
        ),
        (
            "a parameter the clause does not declare",
            agreement(
                FEB_01,
                vec![Change::BindParam {
                    clause: "air_freight_fallback".into(),
                    param: "discount".into(),
                    value: Value::Int(5),
                }],
            ),
            Signers::All,
        ),
        (
            "a parameter of the wrong type",
            agreement(
                FEB_01,
                vec![Change::BindParam {
                    clause: "air_freight_fallback".into(),
                    param: "cap".into(),
                    value: Value::Int(5),
                }],
            ),
            Signers::All,
        ),
        (
            "removing a clause the contract does not have",
            agreement(
                FEB_01,
                vec![Change::RemoveClause {
                    clause: "express_refund".into(),
                }],
            ),
            Signers::All,
        ),
        (
            "adding a clause the contract already has",
            agreement(
                FEB_01,
                vec![Change::AddClause(
                    order.machine().contract().clauses[0].clone(),
                )],
            ),
            Signers::All,
        ),
        (
            "adding a clause no source holds",
            agreement(
                FEB_01,
                vec![Change::AddClause(ClauseBinding {
                    name: "express_refund".into(),
                    id: Digest([1; 32]),
                    params: BTreeMap::new(),
                    active: true,
                })],
            ),
            Signers::All,
        ),
    ];
    let mut lines = Vec::new();
    for (name, agreement, signers) in cases {
        let signed = signed(&keys, &agreement, signers);
        // The state machine refuses it up front (what every node runs)…
        let refused = match order.machine().apply_agreement(order.state(), &signed) {
            Ok(transition) => {
                // …or, for the valid one, the verifier accepts exactly the entry it makes.
                let Step::Agreement(step) = transition.body.step else {
                    panic!("{name}: not an agreement entry");
                };
                lines.push(format!("{name}: accepted by the state machine"));
                let bytes = recorded_exactly(&order, &keys, *step, transition.body.state);
                let result = verify_bundle(&bytes, &trust(&order), &VerifyOptions::default());
                lines.push(format!("{name}: {}", describe(&result)));
                continue;
            }
            Err(error) => error,
        };
        lines.push(format!("{name}: refused by the state machine — {refused}"));
        // …and colluding parties that record it anyway make the bundle INVALID.
        let bytes = recorded(&order, &keys, step_of(signed));
        let result = verify_bundle(&bytes, &trust(&order), &VerifyOptions::default());
        assert!(result.is_err(), "{name}: accepted");
        lines.push(format!("{name}: {}", describe(&result)));
    }

    // An agreement entry that misstates what it changed or the state it leaves.
    let signed = signed(
        &keys,
        &agreement(FEB_01, vec![set_due(MAR_05)]),
        Signers::All,
    );
    let transition = order
        .machine()
        .apply_agreement(order.state(), &signed)
        .unwrap();
    let Step::Agreement(step) = transition.body.step else {
        panic!("not an agreement entry");
    };
    let mut misstated = (*step).clone();
    misstated.terms[0].before = Some(Value::Timestamp(MAR_05));
    let bytes = recorded_exactly(&order, &keys, misstated, transition.body.state);
    let result = verify_bundle(&bytes, &trust(&order), &VerifyOptions::default());
    lines.push(format!("a misstated before value: {}", describe(&result)));
    let bytes = recorded_exactly(&order, &keys, *step, order.state().hash().unwrap());
    let result = verify_bundle(&bytes, &trust(&order), &VerifyOptions::default());
    lines.push(format!(
        "the state hash before the agreement: {}",
        describe(&result)
    ));

    // Clause ids and hashes change with the library's text; the table is about which check
    // fails, so they are left out.
    let text = lines.join("\n") + "\n";
    let hex = redact_hashes(&text);
    check_expect("tests/data/agreements.expect", &hex);
}

/// `text` with every run of 64 hex digits replaced by `<hash>`.
fn redact_hashes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        out.push_str(if run.len() == 64 { "<hash>" } else { &run });
        run.clear();
        out.push(c);
    }
    out.push_str(if run.len() == 64 { "<hash>" } else { &run });
    out
}

/// [`recorded`] with the given step and state hash.
fn recorded_exactly(
    order: &OrderBuilder,
    keys: &ExampleKeys,
    step: AgreementStep,
    state: Digest,
) -> Vec<u8> {
    let mut bodies = order.bodies().to_vec();
    let last = bodies.last().unwrap().clone();
    bodies.push(EntryBody::new(
        last.order,
        last.seq + 1,
        Digest::ZERO,
        Step::Agreement(Box::new(step)),
        state,
    ));
    reseal(&order.parts(), keys, bodies)
}

fn trust(order: &OrderBuilder) -> verifier::bundle::Trust {
    verifier::bundle::Trust {
        log: ExampleLog::example().policy().unwrap(),
        parties: order.machine().contract().parties.clone(),
    }
}

#[test]
fn agreements_follow_one_another_and_none_follows_the_close() {
    let (mut order, keys) = departed_order();
    // The order is running: an agreement dated at the last event is fine, and a second one
    // may follow it.
    let at = order.state().high_water;
    order.agree(at, vec![set_due(MAR_05)], "first").unwrap();
    order.agree(at, vec![set_due(MAR_01)], "second").unwrap();
    let closed_at = order.state().high_water;
    order.close(closed_at, "done").unwrap();
    let signed = order
        .sign_agreement(closed_at, vec![set_due(MAR_05)], "late")
        .unwrap();
    let error = order.submit_agreement(&signed).unwrap_err();
    assert!(error.to_string().contains("closed"), "{error}");
    let report = verified(order, keys);
    assert_eq!(report.breaker.agreements, 2);
}

/// A timeline names each entry's clauses as they were when it was made: before an upgrade
/// with the old title, after it with the new one, and a removed clause still by its title.
/// Every line of the trail page's timeline (in English), its text and the rule it cites.
fn page_lines(report: &Report) -> Vec<String> {
    let entries = verifier::trail::timeline(report, Lang::En, 0, usize::MAX);
    entries
        .iter()
        .flat_map(|entry| &entry.lines)
        .map(|line| format!("{} {}", line.text, line.source.clone().unwrap_or_default()))
        .collect()
}

#[test]
fn timelines_name_clauses_as_the_program_in_force_at_each_entry_had_them() {
    let (mut order, keys) = departed_order();
    // 50 days at sea: the clause switches the order to air freight (old title).
    let eta = BTreeMap::from([("eta".to_string(), Value::Timestamp(MAR_01))]);
    order
        .event(&keys.carrier, "shipment.eta_updated", FEB_01 - 86_400, eta)
        .unwrap();
    let retitled = source(AIR_FREIGHT, |text| {
        text.replace(
            "title en \"Air freight when sea freight runs late\"",
            "title en \"Air freight, revised\"",
        )
        .replace(
            "rate_per_hour: money = 150.00 EUR",
            "rate_per_hour: money = 200.00 EUR",
        )
    });
    let id = compiled_id(
        &order,
        std::slice::from_ref(&retitled),
        "air_freight_fallback",
    );
    let upgrade = Change::UpgradeClause {
        clause: "air_freight_fallback".into(),
        id,
    };
    order
        .agree(FEB_01, vec![retitled, upgrade], "new rate, new title")
        .unwrap();
    deliver(&mut order, &keys);
    let (bytes, trust) = bundle_of(order, keys);
    let report = verify_bundle(&bytes, &trust, &VerifyOptions::default())
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        report.programs.len(),
        2,
        "the genesis program and the upgrade's"
    );
    // The trail page's order shows the contract's clauses as the parties signed them.
    let result = Ok(report.clone());
    let page = verifier::trail::view(&bytes, &trust, &result, Lang::En, usize::MAX);
    let clauses = page.order.expect("the order").clauses;
    let signed = clauses
        .iter()
        .find(|clause| clause.name == "air_freight_fallback")
        .expect("the clause");
    assert_eq!(signed.title, "Air freight when sea freight runs late");
    assert!(signed.text.contains("150.00 EUR"), "{}", signed.text);
    let text = render_report(&report, Lang::En);
    let line = |needle: &str| {
        text.lines()
            .find(|line| line.contains(needle))
            .unwrap_or_else(|| panic!("no line with {needle:?} in\n{text}"))
            .to_string()
    };
    assert!(
        line("the transport mode: sea").contains("«Air freight when sea freight runs late»"),
        "{text}"
    );
    assert!(
        line("6800.00 EUR").contains("«Air freight, revised»"),
        "{text}"
    );
    assert!(
        line("clause upgraded").contains("«Air freight, revised»"),
        "{text}"
    );
    // The trail page names them the same way: the entry before the upgrade with the old title.
    let page = page_lines(&report);
    let line = |needle: &str| {
        page.iter()
            .find(|line| line.contains(needle))
            .unwrap_or_else(|| panic!("no page line with {needle:?} in {page:#?}"))
            .clone()
    };
    assert!(
        line("the transport mode").contains("“Air freight when sea freight runs late”"),
        "{page:#?}"
    );
    assert!(
        line("6800.00 EUR").contains("“Air freight, revised”"),
        "{page:#?}"
    );

    // Removed by agreement: the entries before still name it by its title.
    let (mut order, keys) = departed_order();
    let eta = BTreeMap::from([("eta".to_string(), Value::Timestamp(MAR_01))]);
    order
        .event(&keys.carrier, "shipment.eta_updated", FEB_01 - 86_400, eta)
        .unwrap();
    let remove = Change::RemoveClause {
        clause: "air_freight_fallback".into(),
    };
    order
        .agree(FEB_01, vec![remove], "no compensation")
        .unwrap();
    let report = verified(order, keys);
    let text = render_report(&report, Lang::En);
    assert!(
        text.contains("clause removed: «Air freight when sea freight runs late»"),
        "{text}"
    );
    assert!(
        text.matches("«Air freight when sea freight runs late» (air_freight_fallback, rule 1)")
            .count()
            >= 1,
        "{text}"
    );
}
