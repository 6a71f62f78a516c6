//! The order state machine: the evolution circuit breaker (trip at N+1, facts recorded while
//! tripped, review approve and discard, the backdating rule), conflicts and review requests,
//! and the checks that refuse an event or a review.

use std::collections::{BTreeMap, HashSet};

use contract_lang::value::{days_from_civil, Currency, EnumValue, Money, Value};
use verifier::bundle::build::{ExampleKeys, ExampleOrder, OrderBuilder};
use verifier::model::{
    BreakerPolicy, Close, Decision, EntryBody, Event, Outcome, Review, ReviewReason, SignedClose,
    SignedReview, Step,
};
use verifier::state::{ApplyError, Status};

const HOUR: i64 = 3_600;

fn at(year: i64, month: u32, day: u32, hour: i64) -> i64 {
    days_from_civil(year, month, day).expect("valid date") * 86_400 + hour * HOUR
}

fn text(value: &str) -> Value {
    Value::Text(value.to_string())
}

fn enum_value(ty: &str, variant: &str) -> Value {
    Value::Enum(EnumValue {
        ty: ty.to_string(),
        variant: variant.to_string(),
    })
}

fn terms() -> BTreeMap<String, Value> {
    BTreeMap::from([
        ("transport_mode".into(), enum_value("transport_mode", "sea")),
        ("delivery_due".into(), Value::Timestamp(at(2026, 3, 1, 0))),
        (
            "price".into(),
            Value::Money(Money {
                minor: 1_200_000,
                currency: Currency::parse("EUR").unwrap(),
            }),
        ),
        (
            "route_regions".into(),
            Value::List(vec![text("Guangdong"), text("Hong Kong")]),
        ),
        ("buyer_may_terminate".into(), Value::Bool(false)),
    ])
}

/// An order over library clauses plus inline ones, every clause active.
fn order_with(
    library: &[&str],
    inline: &[&str],
    policy: BreakerPolicy,
) -> (OrderBuilder, ExampleKeys) {
    let keys = ExampleKeys::new();
    let mut order = ExampleOrder::library(library).unwrap();
    for (i, text) in inline.iter().enumerate() {
        order = order.source(&format!("inline_{i}.clause"), text);
    }
    let order = order
        .jurisdiction("CN")
        .terms(terms())
        .opened_at(at(2026, 1, 1, 0))
        .breaker(policy)
        .open(&keys)
        .unwrap();
    (order, keys)
}

fn order() -> (OrderBuilder, ExampleKeys) {
    order_with(
        &[
            "clauses/force_majeure.clause",
            "clauses/air_freight_fallback.clause",
        ],
        &[],
        BreakerPolicy::default(),
    )
}

fn typhoon(order: &mut OrderBuilder, keys: &ExampleKeys, when: i64, region: &str) -> EntryBody {
    let fields = BTreeMap::from([
        ("kind".into(), text("typhoon")),
        ("level".into(), enum_value("alert_level", "red")),
        ("region".into(), text(region)),
    ]);
    let body = order
        .event(&keys.weather, "weather.alert", when, fields)
        .unwrap()
        .clone();
    assert_fresh_hash(order);
    body
}

/// The machine's incremental state hash equals one computed from scratch.
fn assert_fresh_hash(order: &OrderBuilder) {
    assert_eq!(
        order.state().hash().unwrap(),
        order.bodies().last().unwrap().state
    );
}

fn outcome(body: &EntryBody) -> &Outcome {
    match &body.step {
        Step::Event(step) => &step.outcome,
        other => panic!("not an event entry: {other:?}"),
    }
}

fn due(order: &OrderBuilder) -> Value {
    order.state().terms()["delivery_due"].clone()
}

fn review(order: &OrderBuilder, decision: Decision, after_seq: u64) -> SignedReview {
    review_at(order, decision, after_seq, order.state().high_water)
}

fn review_at(order: &OrderBuilder, decision: Decision, after_seq: u64, at: i64) -> SignedReview {
    let review = Review::new(order.machine().order(), after_seq, at, decision, "test");
    let mut signed = SignedReview::unsigned(&review).unwrap();
    for role in ["buyer", "seller"] {
        signed.sign(role, order.party_key(role).unwrap());
    }
    signed
}

#[test]
fn breaker_trips_on_the_fourth_automatic_amendment_within_24_hours() {
    let (mut order, keys) = order();
    let start = at(2026, 2, 25, 0);
    for i in 0..3 {
        let body = typhoon(&mut order, &keys, start + i * 6 * HOUR, "Guangdong");
        assert!(matches!(outcome(&body), Outcome::Applied(effects) if effects.amends()));
    }
    let due_before = due(&order);
    assert_eq!(
        due_before,
        Value::Timestamp(at(2026, 3, 1, 0) + 3 * 72 * HOUR)
    );

    let body = typhoon(&mut order, &keys, start + 18 * HOUR, "Hong Kong");
    let Outcome::BreakerTripped { held, report } = outcome(&body) else {
        panic!("expected a trip, got {:?}", outcome(&body));
    };
    // The report lists the three amendments in the window, oldest first, with their facts.
    assert_eq!(report.in_window.len(), 3);
    assert_eq!(report.effective_at, start + 18 * HOUR);
    assert_eq!(report.window_start, start + 18 * HOUR - 24 * HOUR);
    assert_eq!(
        report
            .in_window
            .iter()
            .map(|a| a.event_at)
            .collect::<Vec<_>>(),
        vec![start, start + 6 * HOUR, start + 12 * HOUR]
    );
    assert!(report
        .in_window
        .iter()
        .all(|a| a.event_kind == "weather.alert"
            && a.attester == "weather-service"
            && a.amendments[0].clause == "force_majeure"
            && a.amendments[0].term == "delivery_due"));
    assert_eq!(held.amendments.len(), 1);
    assert_eq!(held.amendments[0].before, Some(due_before.clone()));
    // Nothing held was applied, and the order is paused.
    assert_eq!(due(&order), due_before);
    assert!(matches!(order.state().status, Status::Tripped { .. }));
}

#[test]
fn facts_are_recorded_while_tripped_and_approval_applies_the_held_amendment() {
    let (mut order, keys) = order();
    let start = at(2026, 2, 25, 0);
    for i in 0..4 {
        typhoon(&mut order, &keys, start + i * HOUR, "Guangdong");
    }
    let due_tripped = due(&order);
    let state_before = order.state().clone();

    // A departure while tripped: recorded as a fact, evaluated after the review.
    let departed = BTreeMap::from([("port".to_string(), text("Shenzhen"))]);
    let body = order
        .event(
            &keys.carrier,
            "shipment.departed",
            start + 5 * HOUR,
            departed,
        )
        .unwrap()
        .clone();
    assert_eq!(outcome(&body), &Outcome::Paused);
    assert!(order.state().lang.facts.contains_key("shipment.departed"));
    // Another typhoon while tripped: recorded, not applied, the held amendment unchanged.
    let body = typhoon(&mut order, &keys, start + 6 * HOUR, "Guangdong");
    assert_eq!(outcome(&body), &Outcome::Paused);
    assert_eq!(due(&order), due_tripped);
    assert_eq!(order.state().status, state_before.status);

    let body = order
        .review(Decision::Approve, "justified")
        .unwrap()
        .clone();
    assert_fresh_hash(&order);
    let Step::Review(step) = &body.step else {
        panic!("expected a review entry");
    };
    assert_eq!(step.applied.amendments.len(), 1);
    // Then the facts recorded while tripped are evaluated: the departure changes nothing, the
    // alert extends the due date once more and is the first amendment of a fresh window.
    assert_eq!(step.reevaluated.len(), 2);
    let Value::Timestamp(tripped) = due_tripped else {
        panic!("due is a timestamp")
    };
    assert_eq!(due(&order), Value::Timestamp(tripped + 2 * 72 * HOUR));
    assert_eq!(order.state().status, Status::Running);
    assert_eq!(order.state().window.len(), 1);
    // The review reset the breaker's count: two more amendments apply right away.
    for i in 0..2 {
        let body = typhoon(&mut order, &keys, start + (7 + i) * HOUR, "Hong Kong");
        assert!(matches!(outcome(&body), Outcome::Applied(e) if e.amends()));
    }
    let body = typhoon(&mut order, &keys, start + 10 * HOUR, "Hong Kong");
    assert!(matches!(outcome(&body), Outcome::BreakerTripped { .. }));
}

#[test]
fn discarding_drops_the_held_amendment_and_resumes() {
    let (mut order, keys) = order();
    let start = at(2026, 2, 25, 0);
    for i in 0..4 {
        typhoon(&mut order, &keys, start + i * HOUR, "Guangdong");
    }
    let due_tripped = due(&order);
    let body = order
        .review(Decision::Discard, "not justified")
        .unwrap()
        .clone();
    let Step::Review(step) = &body.step else {
        panic!("expected a review entry");
    };
    assert!(step.applied.is_empty());
    assert_eq!(due(&order), due_tripped);
    assert_eq!(order.state().status, Status::Running);
    let body = typhoon(&mut order, &keys, start + 5 * HOUR, "Guangdong");
    assert!(matches!(outcome(&body), Outcome::Applied(e) if e.amends()));
}

#[test]
fn amendments_more_than_a_window_apart_never_trip() {
    let (mut order, keys) = order();
    let start = at(2026, 2, 1, 0);
    // Nine hours apart: any 24-hour window holds at most three.
    for i in 0..8 {
        let body = typhoon(&mut order, &keys, start + i * 9 * HOUR, "Guangdong");
        assert!(
            matches!(outcome(&body), Outcome::Applied(e) if e.amends()),
            "alert {i} was not applied: {:?}",
            outcome(&body)
        );
    }
    // The window is half-open: an amendment exactly 24 hours earlier no longer counts.
    let (mut order, keys) = order_with(
        &["clauses/force_majeure.clause"],
        &[],
        BreakerPolicy {
            max_automatic_amendments: 1,
            window_seconds: 24 * HOUR,
        },
    );
    typhoon(&mut order, &keys, start, "Guangdong");
    let body = typhoon(&mut order, &keys, start + 24 * HOUR - 1, "Guangdong");
    assert!(matches!(outcome(&body), Outcome::BreakerTripped { .. }));
    order.review(Decision::Discard, "").unwrap();
    typhoon(&mut order, &keys, start + 48 * HOUR, "Guangdong");
    let body = typhoon(&mut order, &keys, start + 72 * HOUR, "Guangdong");
    assert!(matches!(outcome(&body), Outcome::Applied(e) if e.amends()));
}

#[test]
fn a_backdated_event_cannot_slip_past_the_breaker() {
    let (mut order, keys) = order();
    let start = at(2026, 2, 25, 0);
    for i in 0..3 {
        typhoon(&mut order, &keys, start + i * HOUR, "Guangdong");
    }
    // Claimed two days earlier: measured at the high-water mark, so inside the window.
    let body = typhoon(&mut order, &keys, start - 48 * HOUR, "Hong Kong");
    let Step::Event(step) = &body.step else {
        panic!("event entry")
    };
    assert_eq!(step.effective_at, start + 2 * HOUR);
    let Outcome::BreakerTripped { report, .. } = &step.outcome else {
        panic!("expected a trip, got {:?}", step.outcome);
    };
    assert_eq!(report.in_window.len(), 3);
    assert_eq!(order.state().high_water, start + 2 * HOUR);
}

#[test]
fn a_backdated_fact_does_not_replace_a_newer_one() {
    let (mut order, keys) = order();
    let port = |name: &str| BTreeMap::from([("port".to_string(), text(name))]);
    let later = at(2026, 1, 12, 0);
    order
        .event(&keys.carrier, "shipment.departed", later, port("Shenzhen"))
        .unwrap();
    let body = order
        .event(
            &keys.carrier,
            "shipment.departed",
            later - 86_400,
            port("Yantian"),
        )
        .unwrap()
        .clone();
    assert!(matches!(outcome(&body), Outcome::Applied(e) if e.is_empty()));
    let fact = &order.state().lang.facts["shipment.departed"];
    assert_eq!(fact.at, later);
    assert_eq!(fact.fields["port"], text("Shenzhen"));
}

const PORT_CLOSURE: &str = "clause port_closure {
  on weather.alert
  when event.level >= orange
  then set terms.delivery_due = terms.delivery_due + 24h
}";

#[test]
fn a_conflict_hands_the_order_to_review_and_applies_nothing() {
    let (mut order, keys) = order_with(
        &["clauses/force_majeure.clause"],
        &[PORT_CLOSURE],
        BreakerPolicy::default(),
    );
    let due_before = due(&order);
    let body = typhoon(&mut order, &keys, at(2026, 2, 25, 0), "Guangdong");
    let Outcome::ToReview { reasons } = outcome(&body) else {
        panic!("expected review, got {:?}", outcome(&body));
    };
    assert!(
        matches!(&reasons[0], ReviewReason::Conflict { subject, writers }
        if subject == "terms.delivery_due" && writers.len() == 2)
    );
    assert_eq!(due(&order), due_before);
    assert!(matches!(order.state().status, Status::InReview { .. }));
    // While in review: recorded only. A conflict has nothing to approve.
    let body = typhoon(&mut order, &keys, at(2026, 2, 25, 1), "Guangdong");
    assert_eq!(outcome(&body), &Outcome::Paused);
    let approve = review(&order, Decision::Approve, order.state().seq);
    assert_eq!(
        order
            .machine()
            .apply_review(order.state(), &approve)
            .unwrap_err(),
        ApplyError::NothingToApprove
    );
    order.review(Decision::Discard, "decided by phone").unwrap();
    assert_fresh_hash(&order);
    // The alert recorded during the review is evaluated after it: the same conflict again.
    assert!(matches!(order.state().status, Status::InReview { .. }));
    assert!(order.state().held_facts.is_empty());
    order.review(Decision::Discard, "same answer").unwrap();
    assert_fresh_hash(&order);
    assert_eq!(order.state().status, Status::Running);
}

#[test]
fn a_review_action_and_an_evaluation_error_go_to_review() {
    let (mut order, keys) = order_with(
        &["clauses/express_refund.clause"],
        &[],
        BreakerPolicy::default(),
    );
    let fields = BTreeMap::from([
        (
            "appearance".to_string(),
            enum_value("appearance", "damaged"),
        ),
        ("accessories_complete".to_string(), Value::Bool(true)),
    ]);
    let body = order
        .event(&keys.seller, "return.inspected", at(2026, 3, 5, 0), fields)
        .unwrap()
        .clone();
    assert!(matches!(outcome(&body), Outcome::ToReview { reasons }
        if matches!(&reasons[0], ReviewReason::Requested { clause, .. } if clause == "express_refund")));

    let overflow = "clause overflow {
  on shipment.departed
  then pay seller -> buyer terms.price * 9223372036854775807
}";
    let (mut order, keys) = order_with(&[], &[overflow], BreakerPolicy::default());
    let body = order
        .event(
            &keys.carrier,
            "shipment.departed",
            at(2026, 1, 10, 0),
            BTreeMap::from([("port".to_string(), text("Shenzhen"))]),
        )
        .unwrap()
        .clone();
    assert!(matches!(outcome(&body), Outcome::ToReview { reasons }
        if matches!(&reasons[0], ReviewReason::EvaluationError { clause, .. } if clause == "overflow")));
}

#[test]
fn obligations_accumulate_per_parties_and_currency() {
    let (mut order, keys) = order_with(
        &["clauses/air_freight_fallback.clause"],
        &[],
        BreakerPolicy::default(),
    );
    let received = BTreeMap::from([("received_by".to_string(), text("Hamburg DC"))]);
    order
        .event(
            &keys.carrier,
            "shipment.delivered",
            at(2026, 3, 1, 2),
            received.clone(),
        )
        .unwrap();
    let first_hash = order.state().obligations_hash;
    order
        .event(
            &keys.carrier,
            "shipment.delivered",
            at(2026, 3, 1, 3),
            received,
        )
        .unwrap();
    let eur = Currency::parse("EUR").unwrap();
    let kind = verifier::model::TransferKind::Pay;
    // 2 hours then 3 hours at 150.00 EUR.
    assert_eq!(
        order.state().obligation_total(kind, "seller", "buyer", eur),
        75_000
    );
    assert_ne!(order.state().obligations_hash, first_hash);
}

#[test]
fn a_clause_can_deactivate_another() {
    let suspend = "clause epidemic_suspends_penalty {
  on health.emergency
  when event.who_pheic
  then deactivate late_delivery_penalty
}";
    let (mut order, keys) = order_with(
        &["clauses/late_delivery_penalty.clause"],
        &[suspend],
        BreakerPolicy::default(),
    );
    let fields = BTreeMap::from([
        ("region".to_string(), text("DE")),
        ("national_response_level".to_string(), Value::Int(4)),
        (
            "epidemic_situation_declared".to_string(),
            Value::Bool(false),
        ),
        ("who_pheic".to_string(), Value::Bool(true)),
    ]);
    let body = order
        .event(&keys.weather, "health.emergency", at(2026, 2, 1, 0), fields)
        .unwrap()
        .clone();
    assert!(
        matches!(outcome(&body), Outcome::Applied(e) if e.activations.len() == 1 && e.amends())
    );
    assert!(!order.state().active.contains("late_delivery_penalty"));
    assert_fresh_hash(&order);
    let body = order
        .event(
            &keys.carrier,
            "shipment.delivered",
            at(2026, 3, 5, 0),
            BTreeMap::from([("received_by".to_string(), text("DC"))]),
        )
        .unwrap()
        .clone();
    assert!(matches!(outcome(&body), Outcome::Applied(e) if e.is_empty()));
}

#[test]
fn events_that_cannot_be_recorded_are_refused() {
    let (mut order, keys) = order();
    let port = BTreeMap::from([("port".to_string(), text("Shenzhen"))]);
    let signed = order
        .sign_event(
            &keys.carrier,
            "shipment.departed",
            at(2026, 1, 10, 0),
            port.clone(),
        )
        .unwrap();
    order.submit(&signed).unwrap();
    let machine = order.machine();
    let state = order.state();
    let seen: HashSet<_> = [signed.hash()].into_iter().collect();
    // The same signed event again.
    assert_eq!(
        machine.apply(state, &seen, &signed).unwrap_err(),
        verifier::state::ApplyError::DuplicateEvent(signed.hash())
    );
    // The weather service may not attest shipments.
    let wrong = order
        .sign_event(
            &keys.weather,
            "shipment.departed",
            at(2026, 1, 11, 0),
            port.clone(),
        )
        .unwrap();
    assert!(matches!(
        machine.apply(state, &seen, &wrong).unwrap_err(),
        ApplyError::NotAuthorised { attester, kind } if attester == "weather-service" && kind == "shipment.departed"
    ));
    // A key that is no attester at all.
    let stranger = verifier::bundle::build::example_key("stranger");
    let unknown = order
        .sign_event(
            &stranger,
            "shipment.departed",
            at(2026, 1, 11, 0),
            port.clone(),
        )
        .unwrap();
    assert!(matches!(
        machine.apply(state, &seen, &unknown).unwrap_err(),
        ApplyError::UnknownAttester(_)
    ));
    // A signature that does not verify.
    let mut forged = order
        .sign_event(
            &keys.carrier,
            "shipment.departed",
            at(2026, 1, 11, 0),
            port.clone(),
        )
        .unwrap();
    let last = forged.body.len() - 1;
    forged.body[last] ^= 1;
    assert!(machine.apply(state, &seen, &forged).is_err());
    let mut bad_signature = order
        .sign_event(
            &keys.carrier,
            "shipment.departed",
            at(2026, 1, 11, 0),
            port.clone(),
        )
        .unwrap();
    bad_signature.signature = keys
        .carrier
        .sign(verifier::sign::Domain::Entry, &bad_signature.body);
    assert_eq!(
        machine.apply(state, &seen, &bad_signature).unwrap_err(),
        ApplyError::BadEventSignature
    );
    // Another order's event.
    let other = Event::new(verifier::model::Digest::ZERO, "shipment.departed", 0, port)
        .sign(&keys.carrier)
        .unwrap();
    assert!(matches!(
        machine.apply(state, &seen, &other).unwrap_err(),
        ApplyError::WrongOrder { .. }
    ));
    // A field the vocabulary does not declare.
    let odd = order
        .sign_event(
            &keys.carrier,
            "shipment.departed",
            at(2026, 1, 11, 0),
            BTreeMap::from([("gate".to_string(), text("B"))]),
        )
        .unwrap();
    assert!(matches!(
        machine.apply(state, &seen, &odd).unwrap_err(),
        ApplyError::InvalidEvent(_)
    ));
}

#[test]
fn reviews_that_do_not_fit_are_refused() {
    let (mut order, keys) = order();
    let seq = order.state().seq;
    // Nothing to review while running.
    let discard = review(&order, Decision::Discard, seq);
    assert_eq!(
        order
            .machine()
            .apply_review(order.state(), &discard)
            .unwrap_err(),
        ApplyError::NothingToReview
    );
    for i in 0..4 {
        typhoon(&mut order, &keys, at(2026, 2, 25, i), "Guangdong");
    }
    let machine = order.machine();
    let state = order.state();
    // A decision about an earlier position cannot be replayed now.
    let stale = review(&order, Decision::Approve, state.seq - 1);
    assert!(matches!(
        machine.apply_review(state, &stale).unwrap_err(),
        ApplyError::StaleReview { .. }
    ));
    // Every party must sign.
    let mut unsigned = review(&order, Decision::Approve, state.seq);
    unsigned.signatures.remove("buyer");
    assert!(matches!(
        machine.apply_review(state, &unsigned).unwrap_err(),
        ApplyError::ReviewSignatures(_)
    ));
    // A review dated before the latest recorded event is refused; at that time it is not.
    let latest = at(2026, 2, 25, 3);
    assert_eq!(state.high_water, latest);
    assert_eq!(
        machine
            .apply_review(
                state,
                &review_at(&order, Decision::Approve, state.seq, latest - 1)
            )
            .unwrap_err(),
        ApplyError::ReviewBeforeLastEvent {
            at: latest - 1,
            latest
        }
    );
    assert!(machine
        .apply_review(state, &review(&order, Decision::Approve, state.seq))
        .is_ok());
}

#[test]
fn a_review_carries_the_reviewers_time() {
    let (mut order, keys) = order();
    for i in 0..4 {
        typhoon(&mut order, &keys, at(2026, 2, 25, i), "Guangdong");
    }
    let when = at(2026, 2, 26, 9);
    let body = order
        .review_at(when, Decision::Discard, "checked on the phone")
        .unwrap()
        .clone();
    let Step::Review(step) = &body.step else {
        panic!("expected a review entry");
    };
    assert_eq!(step.review.review().unwrap().at, when);
}

#[test]
fn the_state_stays_bounded_and_replays_identically() {
    let build = || {
        let (mut order, keys) = order();
        let start = at(2026, 1, 10, 0);
        for i in 0..200 {
            let eta = BTreeMap::from([(
                "eta".to_string(),
                Value::Timestamp(start + (i + 30) * 86_400),
            )]);
            order
                .event(&keys.carrier, "shipment.eta_updated", start + i * HOUR, eta)
                .unwrap();
        }
        order
    };
    let first = build();
    // The machine's incremental state hash equals one computed from scratch.
    assert_eq!(
        first.state().hash().unwrap(),
        first.bodies().last().unwrap().state
    );
    let second = build();
    assert_eq!(first.entries(), second.entries());
    let state = first.state();
    assert_eq!(state.seq, 200);
    assert_eq!(state.lang.facts.len(), 1);
    assert!(state.window.len() <= 3);
}

/// The order tripped by four typhoons (due 2026-03-10 after three extensions, the fourth held),
/// then a delivery at `delivered` recorded while it waits for review.
fn tripped_then_delivered(delivered: i64) -> (OrderBuilder, ExampleKeys) {
    let (mut order, keys) = order();
    for i in 0..4 {
        typhoon(&mut order, &keys, at(2026, 2, 25, i * 6), "Guangdong");
    }
    assert!(matches!(order.state().status, Status::Tripped { .. }));
    let fields = BTreeMap::from([("received_by".to_string(), text("Hamburg DC"))]);
    let body = order
        .event(&keys.carrier, "shipment.delivered", delivered, fields)
        .unwrap()
        .clone();
    assert_eq!(outcome(&body), &Outcome::Paused);
    assert_eq!(order.state().held_facts.len(), 1);
    assert_fresh_hash(&order);
    (order, keys)
}

fn eur(minor: i64) -> Money {
    Money {
        minor,
        currency: Currency::parse("EUR").unwrap(),
    }
}

fn compensation(order: &OrderBuilder) -> i64 {
    order.state().obligation_total(
        verifier::model::TransferKind::Pay,
        "seller",
        "buyer",
        Currency::parse("EUR").unwrap(),
    )
}

#[test]
fn a_fact_recorded_while_tripped_is_evaluated_after_an_approving_review() {
    // Due 2026-03-13 once the held extension is approved: delivered 34 hours late.
    let (mut order, _) = tripped_then_delivered(at(2026, 3, 14, 10));
    assert_eq!(compensation(&order), 0);
    let body = order
        .review(Decision::Approve, "justified")
        .unwrap()
        .clone();
    assert_fresh_hash(&order);
    let Step::Review(step) = &body.step else {
        panic!("expected a review entry");
    };
    assert_eq!(step.applied.amendments.len(), 1);
    assert_eq!(step.reevaluated.len(), 1);
    assert_eq!(step.reevaluated[0].seq, 5);
    let Outcome::Applied(effects) = &step.reevaluated[0].outcome else {
        panic!(
            "the delivery is evaluated: {:?}",
            step.reevaluated[0].outcome
        );
    };
    assert_eq!(effects.obligations[0].amount, eur(34 * 15_000));
    assert_eq!(compensation(&order), 34 * 15_000);
    assert!(order.state().held_facts.is_empty());
    assert_eq!(order.state().status, Status::Running);
}

#[test]
fn a_fact_recorded_while_tripped_is_evaluated_after_a_discarding_review() {
    // The held extension is dropped: due 2026-03-10, delivered 106 hours late.
    let (mut order, _) = tripped_then_delivered(at(2026, 3, 14, 10));
    let body = order.review(Decision::Discard, "no").unwrap().clone();
    assert_fresh_hash(&order);
    let Step::Review(step) = &body.step else {
        panic!("expected a review entry");
    };
    assert!(step.applied.is_empty());
    assert_eq!(step.reevaluated.len(), 1);
    assert_eq!(compensation(&order), 106 * 15_000);
    assert!(order.state().held_facts.is_empty());
}

#[test]
fn facts_evaluated_after_a_review_count_toward_the_breaker_again() {
    let (mut order, keys) = order();
    let start = at(2026, 2, 25, 0);
    for i in 0..4 {
        typhoon(&mut order, &keys, start + i * HOUR, "Guangdong");
    }
    // Five more alerts while tripped: recorded, held.
    for i in 4..9 {
        let body = typhoon(&mut order, &keys, start + i * HOUR, "Hong Kong");
        assert_eq!(outcome(&body), &Outcome::Paused);
    }
    assert_eq!(order.state().held_facts.len(), 5);
    let due_tripped = due(&order);
    let body = order
        .review(Decision::Approve, "justified")
        .unwrap()
        .clone();
    assert_fresh_hash(&order);
    let Step::Review(step) = &body.step else {
        panic!("expected a review entry");
    };
    // The held extension applies, the window restarts: three alerts apply, the fourth trips
    // again, the fifth stays held for the next review.
    let outcomes: Vec<&Outcome> = step.reevaluated.iter().map(|r| &r.outcome).collect();
    assert_eq!(outcomes.len(), 4);
    assert!(outcomes[..3]
        .iter()
        .all(|o| matches!(o, Outcome::Applied(e) if e.amends())));
    assert!(matches!(outcomes[3], Outcome::BreakerTripped { .. }));
    assert_eq!(step.reevaluated[3].seq, 8);
    let Value::Timestamp(tripped) = due_tripped else {
        panic!("due is a timestamp")
    };
    assert_eq!(due(&order), Value::Timestamp(tripped + 4 * 72 * HOUR));
    assert!(matches!(order.state().status, Status::Tripped { .. }));
    assert_eq!(order.state().held_facts.len(), 1);
    assert_eq!(order.state().held_facts[0].seq, 9);

    // The next review approves the new hold and evaluates the last alert: one amendment in a
    // fresh window.
    let body = order.review(Decision::Approve, "again").unwrap().clone();
    assert_fresh_hash(&order);
    let Step::Review(step) = &body.step else {
        panic!("expected a review entry");
    };
    assert_eq!(step.reevaluated.len(), 1);
    assert_eq!(due(&order), Value::Timestamp(tripped + 6 * 72 * HOUR));
    assert_eq!(order.state().status, Status::Running);
    assert!(order.state().held_facts.is_empty());
}

fn close_signed(order: &OrderBuilder, after_seq: u64, at: i64) -> SignedClose {
    let close = Close::new(order.machine().order(), after_seq, at, "delivered and paid");
    let mut signed = SignedClose::unsigned(&close).unwrap();
    for role in ["buyer", "seller"] {
        signed.sign(role, order.party_key(role).unwrap());
    }
    signed
}

#[test]
fn a_closed_order_takes_no_further_event_review_or_close() {
    let (mut order, keys) = order();
    typhoon(&mut order, &keys, at(2026, 2, 25, 0), "Guangdong");
    let latest = order.state().high_water;
    let seq = order.state().seq;
    let machine = order.machine().clone();
    // A close must be signed by every party, for this position, not before the last event.
    let mut partial = close_signed(&order, seq, latest);
    partial.signatures.remove("buyer");
    assert!(matches!(
        machine.apply_close(order.state(), &partial).unwrap_err(),
        ApplyError::CloseSignatures(_)
    ));
    assert_eq!(
        machine
            .apply_close(order.state(), &close_signed(&order, seq - 1, latest))
            .unwrap_err(),
        ApplyError::StaleClose {
            after_seq: seq - 1,
            seq
        }
    );
    assert_eq!(
        machine
            .apply_close(order.state(), &close_signed(&order, seq, latest - 1))
            .unwrap_err(),
        ApplyError::CloseBeforeLastEvent {
            at: latest - 1,
            latest
        }
    );

    let body = order
        .close(latest + 60, "delivered and paid")
        .unwrap()
        .clone();
    assert!(matches!(body.step, Step::Close(_)));
    assert_fresh_hash(&order);
    assert_eq!(order.state().status, Status::Closed { at: latest + 60 });
    let closed = ApplyError::OrderClosed { seq: seq + 1 };
    let fields = BTreeMap::from([
        ("kind".into(), text("typhoon")),
        ("level".into(), enum_value("alert_level", "red")),
        ("region".into(), text("Guangdong")),
    ]);
    let event =
        verifier::model::Event::new(machine.order(), "weather.alert", latest + 3_600, fields);
    let signed = event.sign(&keys.weather).unwrap();
    assert_eq!(
        machine
            .apply(order.state(), &HashSet::new(), &signed)
            .unwrap_err(),
        closed
    );
    let state = order.state();
    assert_eq!(
        machine
            .apply_review(state, &review(&order, Decision::Discard, state.seq))
            .unwrap_err(),
        closed
    );
    assert_eq!(
        machine
            .apply_close(state, &close_signed(&order, state.seq, latest + 120))
            .unwrap_err(),
        closed
    );
}

#[test]
fn an_order_waiting_for_review_cannot_close() {
    let (mut order, keys) = order();
    for i in 0..4 {
        typhoon(&mut order, &keys, at(2026, 2, 25, i), "Guangdong");
    }
    let state = order.state();
    assert_eq!(
        order
            .machine()
            .apply_close(state, &close_signed(&order, state.seq, state.high_water))
            .unwrap_err(),
        ApplyError::CloseWhilePaused
    );
}

#[test]
fn a_once_rule_refunds_at_most_once_and_the_state_hash_covers_it() {
    let (mut order, keys) = order_with(
        &["clauses/express_refund.clause"],
        &[],
        BreakerPolicy::default(),
    );
    order
        .event(
            &keys.carrier,
            "shipment.delivered",
            at(2026, 3, 1, 10),
            BTreeMap::from([("received_by".to_string(), text("buyer"))]),
        )
        .unwrap();
    let intact = BTreeMap::from([
        ("appearance".to_string(), enum_value("appearance", "intact")),
        ("accessories_complete".to_string(), Value::Bool(true)),
    ]);
    let eur = Currency::parse("EUR").unwrap();
    let refund = verifier::model::TransferKind::Refund;
    for day in [3, 4] {
        order
            .event(
                &keys.seller,
                "return.inspected",
                at(2026, 3, day, 10),
                intact.clone(),
            )
            .unwrap();
        assert_fresh_hash(&order);
    }
    // The price once, not twice.
    assert_eq!(
        order
            .state()
            .obligation_total(refund, "seller", "buyer", eur),
        1_200_000
    );
    let second = order.bodies().last().unwrap();
    assert!(
        matches!(outcome(second), Outcome::Applied(effects) if effects.is_empty()),
        "{second:?}"
    );
    assert!(order.state().lang.fired_once("express_refund", 0));
    // A replay that forgot the record would reach another state hash, so its entries would
    // not match the signed ones.
    let mut forgetful = order.state().clone();
    forgetful.lang.once_fired.clear();
    assert_ne!(forgetful.hash().unwrap(), order.state().hash().unwrap());
}
