//! Amounts are explained where they appear: the verifier derives, at replay, how each
//! transferred amount was computed from the clause's IR and the values it read, keeps it in
//! the report (`VerifiedEntry::worked`, `Report::worked`) and the timeline shows it under the
//! obligation in en/zh/de. Nothing of it is recorded: the entries, their hashes and the
//! clause ids are those of an order built without explanations. Goldens in
//! `tests/data/timeline/late_delivery.*.expect` (UPDATE_EXPECT=1 refreshes them).

mod common;

use common::check_expect;
use verifier::bundle::build::{example_bundle, scenario_order, ExampleKeys, ReviewPolicy};
use verifier::bundle::{verify_bundle, Report, VerifiedEntry, VerifyOptions};
use verifier::model::{Outcome, ReviewStep, Step};
use verifier::timeline::{render_report, Lang};

/// Sea freight under the air-freight and late-delivery clauses, a price that a rate does not
/// divide into whole cents, delivered 34 hours after the due date.
const LATE_DELIVERY: &str = r#"
clauses = ["../clauses/air_freight_fallback.clause", "../clauses/late_delivery_penalty.clause"]
jurisdiction = "DE"
[terms]
transport_mode = "sea"
delivery_due = "2026-03-01T00:00:00Z"
price = "12345.67 EUR"
buyer_may_terminate = false
[[scenario]]
name = "late"
[[scenario.events]]
kind = "shipment.departed"
at = "2026-01-10T00:00:00Z"
fields = { port = "Shenzhen" }
[[scenario.events]]
kind = "shipment.delivered"
at = "2026-03-02T10:00:00Z"
fields = { received_by = "Hamburg DC" }
"#;

/// The verified report of scenario `name` of `scenario`, reviewed by `policy` after its last
/// `paused_events` events were recorded while the order was paused.
fn scenario_report(
    scenario: &str,
    name: &str,
    policy: ReviewPolicy,
    paused_events: usize,
) -> Report {
    let keys = ExampleKeys::new();
    let order = scenario_order(scenario, name, &keys, policy, paused_events)
        .unwrap_or_else(|error| panic!("{error}"));
    let example = example_bundle(keys, order).unwrap();
    verify_bundle(&example.bytes, &example.trust, &VerifyOptions::default())
        .unwrap_or_else(|error| panic!("{error}"))
}

fn late_delivery_report() -> Report {
    scenario_report(LATE_DELIVERY, "late", ReviewPolicy::Leave, 0)
}

#[test]
fn the_timeline_explains_each_amount_in_every_language() {
    let report = late_delivery_report();
    for lang in Lang::ALL {
        let text = render_report(&report, lang);
        check_expect(
            &format!("tests/data/timeline/late_delivery.{}.expect", lang.code()),
            &text,
        );
    }
    let english = render_report(&report, Lang::En);
    assert!(
        english.contains("computed: 34 whole hours × 150.00 EUR/h = 5100.00 EUR; the lesser of 5100.00 EUR and 20000.00 EUR = 5100.00 EUR"),
        "{english}"
    );
    // The exact product before rounding, and the rounding the clause states.
    assert!(
        english.contains("2 days or part days × 0.5%/day = 1%; the lesser of 1% and 10% = 1%; 12345.67 EUR × 1% = 123.4567 EUR; 123.4567 EUR, rounded to the currency's smallest unit (to the nearest value; an exact half is rounded to the even neighbour) = 123.46 EUR"),
        "{english}"
    );
}

#[test]
fn the_report_model_holds_each_obligation_s_computation() {
    let report = late_delivery_report();
    let delivery = report.entries.last().unwrap();
    let Step::Event(step) = &delivery.body.step else {
        panic!("the last entry is the delivery");
    };
    let Outcome::Applied(effects) = &step.outcome else {
        panic!("the delivery applied its effects");
    };
    assert_eq!(effects.obligations.len(), 2);
    for obligation in &effects.obligations {
        let worked = report
            .worked(delivery.body.seq, delivery.body.seq, obligation)
            .unwrap_or_else(|| panic!("no explanation for {obligation:?}"));
        assert_eq!(worked.amount, obligation.amount);
        assert_eq!(worked.source.clause, obligation.clause);
    }
    // Entries without a transfer explain nothing.
    assert!(report.entries[..report.entries.len() - 1]
        .iter()
        .all(|entry| entry.worked.is_empty()));
}

#[test]
fn the_json_report_carries_each_computation_in_the_chosen_language() {
    let report = late_delivery_report();
    let json = verifier::timeline::report_json(&report, Lang::De);
    let computed = json["timeline"]
        .as_array()
        .and_then(|entries| entries.last())
        .map(|delivery| delivery["amounts_computed"].clone())
        .unwrap_or_default();
    assert_eq!(computed[1]["clause"], "late_delivery_penalty");
    assert_eq!(computed[1]["amount"]["amount"], "123.46");
    // Rules are numbered as the text shows them, like every other `rule` in the report.
    assert_eq!(computed[1]["rule"], 1, "{computed}");
    assert_eq!(computed[0]["rule"], 2, "{computed}");
    let text = computed[1]["text"].as_str().unwrap_or_default();
    assert!(
        text.starts_with("2 angefangene Tage × 0,5 %/Tag = 1 %"),
        "{text}"
    );
}

/// Three typhoon extensions, then a delivery more than 20 days late within the same 24 hours:
/// its effects amend the order (the buyer may terminate) and pay the late-delivery penalty,
/// the breaker holds them all, and the parties' review approves or discards them.
/// The clauses and terms of [`HELD_PAYMENT`] and [`HELD_AND_REEVALUATED`].
macro_rules! held_terms {
    () => {
        r#"
clauses = ["../clauses/force_majeure.clause", "../clauses/late_delivery_penalty.clause"]
jurisdiction = "CN"
[terms]
delivery_due = "2026-03-01T00:00:00Z"
price = "12000.00 EUR"
route_regions = ["Guangdong"]
buyer_may_terminate = false
"#
    };
}

/// The events of [`HELD_PAYMENT`], which [`HELD_AND_REEVALUATED`] continues.
macro_rules! held_events {
    () => {
        r#"
[[scenario.events]]
kind = "weather.alert"
at = "2026-04-01T00:00:00Z"
fields = { kind = "typhoon", level = "red", region = "Guangdong" }
[[scenario.events]]
kind = "weather.alert"
at = "2026-04-01T06:00:00Z"
fields = { kind = "typhoon", level = "red", region = "Guangdong" }
[[scenario.events]]
kind = "weather.alert"
at = "2026-04-01T12:00:00Z"
fields = { kind = "typhoon", level = "red", region = "Guangdong" }
[[scenario.events]]
kind = "shipment.delivered"
at = "2026-04-01T18:00:00Z"
fields = { received_by = "Hamburg DC" }
"#
    };
}

/// A second delivery, recorded while the order is paused, which [`HELD_AND_REEVALUATED`] and
/// [`TWO_REEVALUATED`] add to [`HELD_PAYMENT`].
macro_rules! second_delivery {
    () => {
        r#"[[scenario.events]]
kind = "shipment.delivered"
at = "2026-04-20T18:00:00Z"
fields = { received_by = "Hamburg DC, second delivery" }
"#
    };
}

const HELD_PAYMENT: &str = concat!(
    held_terms!(),
    "[[scenario]]\nname = \"held\"",
    held_events!()
);

/// The penalty's explanation: 23 days or part days after the due date extended to 10 March.
const PENALTY: &str = "23 days or part days × 0.5%/day = 11.5%; the lesser of 11.5% and 10% = 10%; 12000.00 EUR × 10% = 1200.00 EUR";

fn held_payment_report(policy: ReviewPolicy) -> Report {
    scenario_report(HELD_PAYMENT, "held", policy, 0)
}

/// The report's last entry, which these orders end with: the parties' review.
fn last_review(report: &Report) -> (&VerifiedEntry, &ReviewStep) {
    let review = report.entries.last().expect("entries");
    let Step::Review(step) = &review.body.step else {
        panic!("the last entry is the review: {:?}", review.body.step);
    };
    (review, step)
}

/// The text of entry `#seq` in a rendered timeline, up to the next entry.
fn entry_block(text: &str, seq: u64) -> &str {
    let start = text
        .find(&format!("\n#{seq} "))
        .unwrap_or_else(|| panic!("no entry #{seq} in {text}"));
    let rest = &text[start + 1..];
    let end = rest[1..].find("\n#").map_or(rest.len(), |end| end + 2);
    &rest[..end]
}

#[test]
fn an_approved_held_payment_is_explained_under_the_review() {
    let report = held_payment_report(ReviewPolicy::ApproveHeld);
    let (delivery, review) = match &report.entries[report.entries.len() - 2..] {
        [delivery, review] => (delivery, review),
        _ => panic!("the delivery and the review"),
    };
    let Step::Event(step) = &delivery.body.step else {
        panic!("the delivery");
    };
    let Outcome::BreakerTripped { held, .. } = &step.outcome else {
        panic!(
            "the breaker held the delivery's effects: {:?}",
            step.outcome
        );
    };
    let Step::Review(approval) = &review.body.step else {
        panic!("the review");
    };
    assert_eq!(&approval.applied, held);
    let [obligation] = &approval.applied.obligations[..] else {
        panic!("one payment approved: {:?}", approval.applied);
    };
    assert_eq!(obligation.amount.minor, 120_000);
    // The review computes nothing itself: the explanation is the one worked out when the
    // delivery was recorded and held.
    assert!(review.worked.is_empty());
    let worked = report
        .worked_approved(review.body.seq, obligation)
        .expect("the approved amount is explained");
    assert_eq!(Some(worked), delivery.worked_amounts().next());

    let text = render_report(&report, Lang::En);
    let under_review = entry_block(&text, review.body.seq);
    assert!(under_review.contains(PENALTY), "{text}");
    assert!(under_review.contains("1200.00 EUR"), "{text}");

    let json = verifier::timeline::report_json(&report, Lang::En);
    let timeline = json["timeline"].as_array().expect("the timeline");
    let computed = &timeline[timeline.len() - 1]["amounts_computed"];
    assert_eq!(computed[0]["clause"], "late_delivery_penalty", "{json}");
    assert_eq!(computed[0]["amount"]["amount"], "1200.00", "{json}");
    let text = computed[0]["text"].as_str().unwrap_or_default();
    assert!(text.starts_with(PENALTY), "{text}");
}

#[test]
fn a_discarded_held_payment_is_not_explained_under_the_review() {
    let report = held_payment_report(ReviewPolicy::DiscardHeld);
    let (review, discard) = last_review(&report);
    assert!(discard.applied.is_empty());
    assert!(review.worked.is_empty());
    let text = render_report(&report, Lang::En);
    assert!(
        !entry_block(&text, review.body.seq).contains(PENALTY),
        "{text}"
    );
    // What the breaker held is still explained where it was held.
    let delivery = entry_block(&text, review.body.seq - 1);
    assert!(delivery.contains(PENALTY), "{text}");

    let json = verifier::timeline::report_json(&report, Lang::En);
    let timeline = json["timeline"].as_array().expect("the timeline");
    assert!(
        timeline[timeline.len() - 1]
            .get("amounts_computed")
            .is_none(),
        "{json}"
    );
}

/// [`HELD_PAYMENT`] with a second delivery recorded while the order is paused: the review
/// approves the held penalty (23 days or part days) and then re-evaluates the second delivery, which
/// comes to the same clause, rule and amount by another computation (more days, the same cap).
const HELD_AND_REEVALUATED: &str = concat!(
    held_terms!(),
    "[[scenario]]\nname = \"held and re-evaluated\"",
    held_events!(),
    second_delivery!()
);

#[test]
fn a_review_shows_the_held_computation_for_what_it_approved_and_its_own_for_what_it_re_evaluated() {
    let report = scenario_report(
        HELD_AND_REEVALUATED,
        "held and re-evaluated",
        ReviewPolicy::ApproveHeld,
        1,
    );
    let (review, step) = last_review(&report);
    let [approved] = &step.applied.obligations[..] else {
        panic!("one payment approved: {:?}", step.applied);
    };
    let [again] = &step.reevaluated[..] else {
        panic!("one fact re-evaluated: {:?}", step.reevaluated);
    };
    let Outcome::Applied(effects) = &again.outcome else {
        panic!("the second delivery applied: {:?}", again.outcome);
    };
    let [reevaluated] = &effects.obligations[..] else {
        panic!("one payment re-evaluated: {effects:?}");
    };
    // The case in question: the same clause, rule and amount, computed from other values.
    assert_eq!(
        (&approved.clause, approved.rule, approved.amount),
        (&reevaluated.clause, reevaluated.rule, reevaluated.amount)
    );
    let held_at = report
        .entries
        .iter()
        .find(|entry| matches!(&entry.body.step, Step::Event(step) if matches!(step.outcome, Outcome::BreakerTripped { .. })))
        .expect("the entry the breaker held");
    assert_eq!(
        report.worked_approved(review.body.seq, approved),
        held_at.worked_amounts().next(),
        "what the review approved is explained as it was computed when held"
    );
    assert_eq!(
        report.worked(review.body.seq, again.seq, reevaluated),
        review.worked_amounts().next(),
        "what the review re-evaluated is explained by its own computation"
    );
    assert_ne!(
        held_at.worked_amounts().next(),
        review.worked_amounts().next()
    );

    let text = render_report(&report, Lang::En);
    let under_review = entry_block(&text, review.body.seq);
    let (applied_block, reevaluated_block) = under_review
        .split_once("then evaluated")
        .unwrap_or_else(|| panic!("{under_review}"));
    assert!(applied_block.contains(PENALTY), "{under_review}");
    assert!(!reevaluated_block.contains(PENALTY), "{under_review}");
    assert!(reevaluated_block.contains("computed: "), "{under_review}");
}

/// [`HELD_PAYMENT`] with two more deliveries recorded while the order is paused: the review
/// re-evaluates both, and each comes to the same clause, rule and amount (the 10 % cap) from
/// its own number of days or part days.
const TWO_REEVALUATED: &str = concat!(
    held_terms!(),
    "[[scenario]]\nname = \"two re-evaluated\"",
    held_events!(),
    second_delivery!(),
    r#"[[scenario.events]]
kind = "shipment.delivered"
at = "2026-04-25T18:00:00Z"
fields = { received_by = "Hamburg DC, third delivery" }
"#
);

/// The two re-evaluated deliveries' computations: 42 and 47 days or part days after 10 March.
const SECOND: &str = "42 days or part days × 0.5%/day = 21%";
const THIRD: &str = "47 days or part days × 0.5%/day = 23.5%";

#[test]
fn a_review_explains_each_re_evaluated_fact_by_its_own_computation() {
    let report = scenario_report(
        TWO_REEVALUATED,
        "two re-evaluated",
        ReviewPolicy::ApproveHeld,
        2,
    );
    let (review, step) = last_review(&report);
    let [second, third] = &step.reevaluated[..] else {
        panic!("two facts re-evaluated: {:?}", step.reevaluated);
    };
    let payment = |again: &verifier::model::Reevaluation| match &again.outcome {
        Outcome::Applied(effects) => match &effects.obligations[..] {
            [payment] => payment.clone(),
            other => panic!("one payment re-evaluated: {other:?}"),
        },
        other => panic!("the delivery applied: {other:?}"),
    };
    let (paid_second, paid_third) = (payment(second), payment(third));
    assert_eq!(
        (&paid_second.clause, paid_second.rule, paid_second.amount),
        (&paid_third.clause, paid_third.rule, paid_third.amount),
        "the case in question: the same clause, rule and amount"
    );
    let explained = |fact: u64, obligation| {
        let worked = report
            .worked(review.body.seq, fact, obligation)
            .unwrap_or_else(|| panic!("no explanation for the fact at #{fact}"));
        let clause = report.program.clause(&worked.source.clause).unwrap();
        contract_lang::render::worked(
            contract_lang::render::Lang::En,
            &worked.worked,
            &clause.ir,
            contract_lang::render::Glossary::of(&report.program),
        )
        .unwrap()
    };
    assert!(explained(second.seq, &paid_second).starts_with(SECOND));
    assert!(explained(third.seq, &paid_third).starts_with(THIRD));

    let text = render_report(&report, Lang::En);
    let under_review = entry_block(&text, review.body.seq);
    let (_, reevaluated) = under_review
        .split_once("then evaluated")
        .unwrap_or_else(|| panic!("{under_review}"));
    let (under_second, under_third) = reevaluated
        .split_once("then evaluated")
        .unwrap_or_else(|| panic!("{under_review}"));
    assert!(under_second.contains(SECOND), "{under_review}");
    assert!(!under_second.contains(THIRD), "{under_review}");
    assert!(under_third.contains(THIRD), "{under_review}");

    let json = verifier::timeline::report_json(&report, Lang::En);
    let timeline = json["timeline"].as_array().expect("the timeline");
    let computed = timeline[timeline.len() - 1]["amounts_computed"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let of_fact = |fact: u64| {
        computed
            .iter()
            .filter(|item| item["fact"] == fact)
            .map(|item| item["text"].as_str().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    assert!(of_fact(second.seq)[0].starts_with(SECOND), "{computed:?}");
    assert!(of_fact(third.seq)[0].starts_with(THIRD), "{computed:?}");

    // The trail page: each "evaluated after the review" heading, then its own computation.
    let page = verifier::trail::timeline(&report, Lang::En, 0, usize::MAX);
    let lines = &page.last().expect("the review on the page").lines;
    let worked_after = |heading: &str| {
        let at = lines
            .iter()
            .position(|line| line.class == "window" && line.text.contains(heading))
            .unwrap_or_else(|| panic!("no `{heading}` on the page: {lines:?}"));
        lines[at..]
            .iter()
            .find(|line| line.class == "worked")
            // The page keeps a number and its unit together with no-break spaces.
            .map(|line| line.text.replace('\u{a0}', " "))
            .unwrap_or_default()
    };
    assert!(
        worked_after(&format!("#{} evaluated", second.seq)).contains(SECOND),
        "{lines:?}"
    );
    assert!(
        worked_after(&format!("#{} evaluated", third.seq)).contains(THIRD),
        "{lines:?}"
    );
}
