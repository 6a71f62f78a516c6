//! Orders close: a close signed by every party is the order's last entry; the bundle verifies
//! with it and the timeline shows it in every language.

use verifier::bundle::build::{
    example_bundle, scenario_order, ExampleKeys, ReviewPolicy, EXAMPLE_SCENARIO,
    EXAMPLE_SCENARIO_NAME,
};
use verifier::bundle::{verify_bundle, VerifyOptions};
use verifier::state::Status;
use verifier::timeline::{render_report, report_json, Lang};

#[test]
fn a_closed_order_verifies_and_its_timeline_shows_the_close() {
    let keys = ExampleKeys::new();
    let mut order = scenario_order(
        EXAMPLE_SCENARIO,
        EXAMPLE_SCENARIO_NAME,
        &keys,
        ReviewPolicy::ApproveHeld,
        1,
    )
    .unwrap();
    let at = order.state().high_water + 86_400;
    order.close(at, "delivered, compensation paid").unwrap();
    let closed_seq = order.state().seq;
    let example = example_bundle(keys, order).unwrap();
    let report = verify_bundle(&example.bytes, &example.trust, &VerifyOptions::default())
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(report.state.status, Status::Closed { at });
    for (lang, closed) in [
        (Lang::En, "ORDER CLOSED"),
        (Lang::Zh, "订单关闭"),
        (Lang::De, "AUFTRAG ABGESCHLOSSEN"),
    ] {
        let text = render_report(&report, lang);
        let line = format!(
            "#{closed_seq}  {}  {closed}",
            contract_lang::value::DisplayTimestamp(at)
        );
        assert!(text.contains(&line), "{line} in {text}");
        assert!(text.contains("delivered, compensation paid"), "{text}");
    }
    let json = report_json(&report, Lang::En);
    let last = json["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "close", "{last}");
    assert_eq!(
        last["close"]["note"], "delivered, compensation paid",
        "{last}"
    );
}
