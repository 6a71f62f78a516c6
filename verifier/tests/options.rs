//! Party options: an option's consequence applies only when its holder exercises it with an
//! event signed by the holder's own key, no later than its deadline, and once. Everything else
//! is refused before anything is recorded, and the bundle of an order with an exercised
//! option verifies (replay agrees).

use std::collections::BTreeMap;

use contract_lang::eval::ExerciseRefusal;
use contract_lang::value::{days_from_civil, Currency, EnumValue, Money, Value};
use verifier::bundle::build::{example_bundle, ExampleKeys, ExampleOrder, OrderBuilder};
use verifier::bundle::{verify_bundle, VerifyOptions};
use verifier::model::{Outcome, Step};
use verifier::state::ApplyError;
use verifier::timeline::{render_report, Lang};
use verifier::trail;

fn at(month: u32, day: u32, second: i64) -> i64 {
    days_from_civil(2026, month, day).expect("valid date") * 86_400 + second
}

fn eur(minor: i64) -> Value {
    Value::Money(Money {
        minor,
        currency: Currency::parse("EUR").expect("EUR"),
    })
}

fn text(value: &str) -> Value {
    Value::Text(value.to_string())
}

/// An order under the library's price reduction with `terms`, opened on 01-01.
fn price_reduction_order(terms: BTreeMap<String, Value>, keys: &ExampleKeys) -> OrderBuilder {
    ExampleOrder::library(&["clauses/price_reduction.clause"])
        .expect("library")
        .terms(terms)
        .opened_at(at(1, 1, 0))
        .open(keys)
        .expect("order")
}

/// An order under the library's price reduction, delivered on 03-01 and inspected damaged on
/// 03-05: the buyer may reduce the price until 03-15T00:00:00Z.
fn damaged_order() -> (OrderBuilder, ExampleKeys) {
    let keys = ExampleKeys::new();
    let terms = BTreeMap::from([
        ("delivery_due".to_string(), Value::Timestamp(at(3, 1, 0))),
        ("price".to_string(), eur(1_200_000)),
    ]);
    let mut order = price_reduction_order(terms, &keys);
    order
        .event(
            &keys.carrier,
            "shipment.delivered",
            at(3, 1, 0),
            BTreeMap::from([("received_by".to_string(), text("Köln DC"))]),
        )
        .expect("delivered");
    let damaged = Value::Enum(EnumValue {
        ty: "appearance".into(),
        variant: "damaged".into(),
    });
    order
        .event(
            &keys.seller,
            "return.inspected",
            at(3, 5, 0),
            BTreeMap::from([
                ("appearance".to_string(), damaged),
                ("accessories_complete".to_string(), Value::Bool(true)),
            ]),
        )
        .expect("inspected");
    (order, keys)
}

fn exercise(
    order: &mut OrderBuilder,
    key: &verifier::sign::SigningKey,
    when: i64,
) -> Result<Outcome, ApplyError> {
    let fields = BTreeMap::from([
        ("clause_name".to_string(), text("price_reduction")),
        ("option_name".to_string(), text("reduce_price")),
    ]);
    let signed = order
        .sign_event(key, "option.exercised", when, fields)
        .expect("signs");
    let seq = order.state().seq;
    match order.submit(&signed) {
        Ok(body) => match &body.step {
            Step::Event(step) => Ok(step.outcome.clone()),
            other => panic!("not an event entry: {other:?}"),
        },
        Err(verifier::bundle::build::BuildError::Apply(error)) => {
            assert_eq!(order.state().seq, seq, "a refused event records nothing");
            Err(error)
        }
        Err(other) => panic!("{other}"),
    }
}

fn refusal(result: Result<Outcome, ApplyError>) -> ExerciseRefusal {
    match result {
        Err(ApplyError::OptionRefused(refusal)) => refusal,
        other => panic!("expected a refused exercise, got {other:?}"),
    }
}

#[test]
fn only_the_holder_exercises_an_option_before_its_deadline_and_once() {
    let (mut order, keys) = damaged_order();
    let price = |order: &OrderBuilder| order.state().terms()["price"].clone();

    // The seller is a party, but the option is the buyer's.
    assert!(matches!(
        refusal(exercise(&mut order, &keys.seller, at(3, 6, 0))),
        ExerciseRefusal::NotTheHolder { holder, signer, .. } if holder == "buyer" && signer == "seller"
    ));
    // A key that is no party's (the carrier attests shipments) cannot exercise at all.
    assert!(matches!(
        exercise(&mut order, &keys.carrier, at(3, 6, 0)),
        Err(ApplyError::UnknownAttester(_))
    ));
    // One second after the reduction period.
    assert!(matches!(
        refusal(exercise(&mut order, &keys.buyer, at(3, 15, 1))),
        ExerciseRefusal::AfterDeadline { deadline, .. } if deadline == at(3, 15, 0)
    ));
    assert_eq!(price(&order), eur(1_200_000));

    // At the last moment of the period: the price is reduced by 10 %.
    let outcome = exercise(&mut order, &keys.buyer, at(3, 15, 0)).expect("accepted");
    assert!(
        matches!(&outcome, Outcome::Applied(effects) if effects.amendments.len() == 1),
        "{outcome:?}"
    );
    assert_eq!(price(&order), eur(1_080_000));
    assert!(order.state().lang.fired_once("price_reduction", 0));

    // Twice is refused, even inside the period.
    assert!(matches!(
        refusal(exercise(&mut order, &keys.buyer, at(3, 14, 0))),
        ExerciseRefusal::AlreadyExercised { .. }
    ));
    assert_eq!(price(&order), eur(1_080_000));

    // Replay agrees: the bundle verifies, and the timeline shows the exercise and the price.
    let example = example_bundle(keys, order).expect("bundle");
    let report = verify_bundle(&example.bytes, &example.trust, &VerifyOptions::default())
        .unwrap_or_else(|error| panic!("{error}"));
    // The exercise reads as a sentence naming the holder, the option and the clause.
    for (lang, sentence, price) in [
        (
            Lang::En,
            "buyer exercises the option “price reduction” of «Price reduction for damaged goods» (price_reduction)",
            "10800.00 EUR",
        ),
        (
            Lang::Zh,
            "买方行使《货物损坏时的减价选择权》（price_reduction）中的选择权「减价」",
            "10800.00 EUR",
        ),
        (
            Lang::De,
            "Käufer übt die Option „Minderung“ der Klausel «Minderung bei beschädigter Ware» (price_reduction) aus",
            "10800,00 EUR",
        ),
    ] {
        let text = render_report(&report, lang);
        let exercised = text.split("\n#3 ").nth(1).expect("entry 3");
        assert!(exercised.contains(sentence), "{text}");
        assert!(exercised.contains(price), "{text}");
        // The trail page titles the entry with the same sentence, not the event's kind.
        let result = Ok(report.clone());
        let page = trail::view(&example.bytes, &example.trust, &result, lang, usize::MAX);
        let title = &page.timeline[3].title;
        assert_eq!(title.to_lowercase(), sentence.to_lowercase(), "{title}");
        assert!(title.starts_with(char::is_uppercase) || lang == Lang::Zh, "{title}");
    }
}

#[test]
fn an_exercise_before_delivery_is_refused_because_the_period_has_not_started() {
    let keys = ExampleKeys::new();
    let terms = BTreeMap::from([("price".to_string(), eur(1_200_000))]);
    let mut order = price_reduction_order(terms, &keys);
    assert!(matches!(
        refusal(exercise(&mut order, &keys.buyer, at(2, 1, 0))),
        ExerciseRefusal::DeadlineUnknown { reason, .. } if reason.contains("shipment.delivered")
    ));
}
