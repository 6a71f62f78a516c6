//! Facts recorded while the breaker is tripped are evaluated after the review, never dropped:
//! a delivery 7 days late recorded while the order waits owes its compensation once the
//! parties decided, whichever way, and the bundle verifies.

use verifier::bundle::build::{
    finish_example, scenario_order, ExampleKeys, ExampleLog, ReviewPolicy, EXAMPLE_SCENARIO,
};
use verifier::bundle::{verify_bundle, VerifyOptions};
use verifier::model::{Outcome, Step, TransferKind};
use verifier::timeline::{render_report, Lang};

const SCENARIO: &str = "a delivery 7 days late recorded while the order waits for review";

/// Runs the scenario with `policy` (the review comes after the delivery is recorded), and
/// verifies its bundle. Returns the compensation owed and the review entry's re-evaluations.
fn run(policy: ReviewPolicy) -> (i64, Vec<Outcome>) {
    let keys = ExampleKeys::new();
    let order = scenario_order(EXAMPLE_SCENARIO, SCENARIO, &keys, policy, 1).unwrap();
    let bodies = order.bodies();
    let Step::Event(delivery) = &bodies[5].step else {
        panic!("entry 5 is the delivery");
    };
    assert_eq!(delivery.outcome, Outcome::Paused);
    let Step::Review(review) = &bodies[6].step else {
        panic!("entry 6 is the review");
    };
    let reevaluated = review
        .reevaluated
        .iter()
        .map(|r| r.outcome.clone())
        .collect();

    let mut log = ExampleLog::example();
    let leaves = log.append_entries(order.entries()).unwrap();
    let example = finish_example(keys, order, log, leaves).unwrap();
    let report = verify_bundle(&example.bytes, &example.trust, &VerifyOptions::default())
        .unwrap_or_else(|error| panic!("{error}"));
    // The timeline shows the delivery evaluated under the review, with what it owes.
    for (lang, words) in [
        (
            Lang::En,
            "then evaluated, as recorded while paused: entry #5",
        ),
        (Lang::Zh, "随后求值（暂停期间记录的事实）：记录 #5"),
        (
            Lang::De,
            "danach ausgewertet, während der Pause erfasst: Eintrag #5",
        ),
    ] {
        let text = render_report(&report, lang);
        let review = text.split("\n#6 ").nth(1).expect("the review entry");
        assert!(review.contains(words), "{text}");
        assert!(review.contains("20000.00 EUR"), "{text}");
    }
    let eur = contract_lang::value::Currency::parse("EUR").unwrap();
    let owed = report
        .state
        .obligation_total(TransferKind::Pay, "seller", "buyer", eur);
    (owed, reevaluated)
}

#[test]
fn a_late_delivery_recorded_while_tripped_owes_compensation_after_approval() {
    let (owed, reevaluated) = run(ReviewPolicy::ApproveHeld);
    assert_eq!(owed, 2_000_000, "the 20,000.00 EUR cap");
    assert!(matches!(&reevaluated[..], [Outcome::Applied(e)] if e.obligations.len() == 1));
}

#[test]
fn a_late_delivery_recorded_while_tripped_owes_compensation_after_discarding() {
    let (owed, reevaluated) = run(ReviewPolicy::DiscardHeld);
    assert_eq!(owed, 2_000_000, "the 20,000.00 EUR cap");
    assert!(matches!(&reevaluated[..], [Outcome::Applied(e)] if e.obligations.len() == 1));
}
