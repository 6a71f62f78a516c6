//! Aggregates over facts: the state machine tallies every recorded fact of a kind a clause
//! counts or sums, the state hash covers the tallies, and a bundle replays to the same totals.

use std::collections::BTreeMap;

use contract_lang::value::{days_from_civil, Currency, Decimal, Quantity, Unit, Value};
use verifier::bundle::build::{example_bundle, ExampleKeys, ExampleOrder, OrderBuilder};
use verifier::bundle::{verify_bundle, VerifyOptions};
use verifier::model::{Outcome, Step, TransferKind};

fn at(day: u32) -> i64 {
    days_from_civil(2026, 2, day).expect("valid date") * 86_400
}

fn pcs(count: i64) -> Value {
    Value::Quantity(Quantity {
        amount: Decimal::from_int(count),
        unit: Unit::Piece,
    })
}

/// An order running the library's partial-shipments clause for 100 pieces, only its genesis.
fn hundred_pieces_order(keys: &ExampleKeys) -> OrderBuilder {
    ExampleOrder::library(&["clauses/partial_shipments.clause"])
        .expect("library")
        .terms(BTreeMap::from([("pieces_ordered".to_string(), pcs(100))]))
        .opened_at(at(1))
        .open(keys)
        .expect("order")
}

fn delivered(order: &mut OrderBuilder, keys: &ExampleKeys, day: u32, pieces: i64) -> Outcome {
    let fields = BTreeMap::from([("pieces".to_string(), pcs(pieces))]);
    let body = order
        .event(
            &keys.carrier,
            "shipment.partially_delivered",
            at(day),
            fields,
        )
        .expect("accepted");
    match &body.step {
        Step::Event(step) => step.outcome.clone(),
        other => panic!("not an event entry: {other:?}"),
    }
}

#[test]
fn partial_shipments_are_counted_and_summed_and_the_bundle_replays() {
    let keys = ExampleKeys::new();
    let mut order = hundred_pieces_order(&keys);

    // 60 + 39 pieces: not complete; the last piece completes it.
    for (day, pieces) in [(10, 60), (11, 39)] {
        let outcome = delivered(&mut order, &keys, day, pieces);
        assert!(
            matches!(&outcome, Outcome::Applied(effects) if effects.notifications.is_empty()),
            "{outcome:?}"
        );
    }
    let outcome = delivered(&mut order, &keys, 12, 1);
    assert!(
        matches!(&outcome, Outcome::Applied(effects) if effects.notifications.len() == 1),
        "{outcome:?}"
    );
    // A fourth shipment is beyond the agreed three: the handling fee.
    delivered(&mut order, &keys, 13, 5);
    let eur = Currency::parse("EUR").expect("EUR");
    assert_eq!(
        order
            .state()
            .obligation_total(TransferKind::Pay, "seller", "buyer", eur),
        15_000
    );
    let tally = &order.state().lang.tallies["shipment.partially_delivered"];
    assert_eq!(tally.count, 4);
    assert_eq!(
        tally.sums["pieces"],
        contract_lang::eval::Sum::Value(pcs(105))
    );

    // The state hash covers the tallies: a replay that lost count reaches another hash.
    let mut forgetful = order.state().clone();
    forgetful
        .lang
        .tallies
        .get_mut("shipment.partially_delivered")
        .expect("tallied")
        .count = 3;
    assert_ne!(forgetful.hash().unwrap(), order.state().hash().unwrap());

    let example = example_bundle(keys, order).expect("bundle");
    let report = verify_bundle(&example.bytes, &example.trust, &VerifyOptions::default())
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        report
            .state
            .obligation_total(TransferKind::Pay, "seller", "buyer", eur),
        15_000
    );
}

#[test]
fn a_bare_number_of_pieces_is_refused_before_anything_is_recorded() {
    let keys = ExampleKeys::new();
    let mut order = hundred_pieces_order(&keys);
    let kilograms = Value::Quantity(Quantity {
        amount: Decimal::from_int(60),
        unit: Unit::Kilogram,
    });
    for wrong in [Value::Int(60), kilograms] {
        let fields = BTreeMap::from([("pieces".to_string(), wrong.clone())]);
        let refused = order.event(
            &keys.carrier,
            "shipment.partially_delivered",
            at(10),
            fields,
        );
        assert!(refused.is_err(), "{wrong} accepted as pieces");
    }
    assert_eq!(order.entries().len(), 1, "only the genesis");
}
