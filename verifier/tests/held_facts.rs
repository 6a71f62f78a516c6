//! Facts recorded while the breaker is tripped are evaluated after the review, never dropped:
//! a delivery 7 days late recorded while the order waits owes its compensation once the
//! parties decided, whichever way, and the bundle verifies.

use verifier::bundle::build::{
    example_bundle, scenario_order, ExampleKeys, ReviewPolicy, EXAMPLE_SCENARIO,
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

    let example = example_bundle(keys, order).unwrap();
    let report = verify_bundle(&example.bytes, &example.trust, &VerifyOptions::default())
        .unwrap_or_else(|error| panic!("{error}"));
    // The timeline shows the delivery evaluated under the review, with what it owes.
    // Amounts as each language writes numbers: a German reader sees a decimal comma.
    for (lang, words, amount) in [
        (
            Lang::En,
            "then evaluated, having been recorded while paused: entry #5",
            "20000.00 EUR",
        ),
        (
            Lang::Zh,
            "随后按条款评估暂停期间记录的事实：记录#5",
            "20000.00 EUR",
        ),
        (
            Lang::De,
            "anschließend ausgewertet, was während der Pause erfasst wurde: Eintrag #5",
            "20000,00 EUR",
        ),
    ] {
        let text = render_report(&report, lang);
        let review = text.split("\n#6 ").nth(1).expect("the review entry");
        assert!(review.contains(words), "{text}");
        assert!(review.contains(amount), "{text}");
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

/// A fact held during a pause that changes nothing when evaluated after the review: the trail
/// page says so, instead of ending the line at its colon with nothing after it.
#[test]
fn a_held_fact_that_changes_nothing_says_so_on_the_trail_page() {
    const QUIET: &str = r#"
clauses = ["../clauses/force_majeure.clause"]
jurisdiction = "CN"

[terms]
delivery_due = "2026-03-01T00:00:00Z"
price = "12000.00 EUR"
route_regions = ["Guangdong"]

[[scenario]]
name = "a green alert held while tripped"
[[scenario.events]]
kind = "weather.alert"
at = "2026-02-25T00:00:00Z"
fields = { kind = "typhoon", level = "red", region = "Guangdong" }
[[scenario.events]]
kind = "weather.alert"
at = "2026-02-25T06:00:00Z"
fields = { kind = "typhoon", level = "red", region = "Guangdong" }
[[scenario.events]]
kind = "weather.alert"
at = "2026-02-25T12:00:00Z"
fields = { kind = "typhoon", level = "red", region = "Guangdong" }
[[scenario.events]]
kind = "weather.alert"
at = "2026-02-25T18:00:00Z"
fields = { kind = "typhoon", level = "red", region = "Guangdong" }
[[scenario.events]]
kind = "weather.alert"
at = "2026-02-25T19:00:00Z"
fields = { kind = "typhoon", level = "green", region = "Guangdong" }
"#;
    let keys = ExampleKeys::new();
    let order = scenario_order(
        QUIET,
        "a green alert held while tripped",
        &keys,
        ReviewPolicy::ApproveHeld,
        1,
    )
    .unwrap();
    let example = example_bundle(keys, order).unwrap();
    let result = verify_bundle(&example.bytes, &example.trust, &VerifyOptions::default());
    assert!(result.is_ok(), "{result:?}");
    for (lang, line) in [
        (
            Lang::En,
            "the fact held at #5 evaluated after the review: no change",
        ),
        (Lang::Zh, "第5条记录暂缓的事实在审核后按条款评估：无变更"),
        (
            Lang::De,
            "die bei #5 zurückgehaltene Tatsache nach der Prüfung ausgewertet: keine Änderung",
        ),
    ] {
        let view = verifier::trail::view(&example.bytes, &example.trust, &result, lang, usize::MAX);
        let json = verifier::trail::view_json(&view).to_string();
        assert!(json.contains(line), "{lang:?}: {json}");
    }
}
