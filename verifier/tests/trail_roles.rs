//! The trail page names the order's roles in its vocabulary's words: where the contract's
//! sources label a party (`label party seller … de "die Lieferantin"`), the order card, the
//! entries' signers and what the verdict rests on say so, as the CLI timeline does, instead of
//! the built-in table's word.

use std::collections::BTreeMap;

use contract_lang::value::Value;
use verifier::bundle::build::{
    example_bundle, sea_freight_due, Example, ExampleKeys, ExampleOrder, EXAMPLE_START,
};
use verifier::bundle::{verify_bundle, VerifyOptions};
use verifier::model::Event;
use verifier::timeline::Lang;

const LABELS: &str =
    "label party seller en \"the supplier\" zh \"供应方\" de \"die Lieferantin\"\n";

/// The long example's order (seller, buyer, the carrier attesting) with the seller labelled,
/// opened and shipped.
fn labelled_order() -> Example {
    let keys = ExampleKeys::new();
    let mut order = ExampleOrder::library(&["clauses/air_freight_fallback.clause"])
        .expect("library sources")
        .source("labels.clause", LABELS)
        .terms(sea_freight_due(EXAMPLE_START + 50 * 86_400))
        .attesters(&["carrier"])
        .open(&keys)
        .expect("an order");
    let departed = Event::new(
        order.machine().order(),
        "shipment.departed",
        EXAMPLE_START + 60,
        BTreeMap::from([("port".to_string(), Value::Text("Shenzhen".into()))]),
    )
    .sign(&keys.carrier)
    .expect("signed");
    order.extend_trusted(&[departed], 1).expect("shipped");
    example_bundle(keys, order).expect("a bundle")
}

#[test]
fn the_page_names_roles_with_the_vocabularys_party_labels() {
    let example = labelled_order();
    let result = verify_bundle(&example.bytes, &example.trust, &VerifyOptions::default());
    assert!(result.is_ok(), "{result:?}");
    for (lang, label, table_word) in [
        (Lang::Zh, "供应方", "卖方"),
        (Lang::De, "Lieferantin", "Verkäufer"),
    ] {
        let view = verifier::trail::view(&example.bytes, &example.trust, &result, lang, 10);
        let json = verifier::trail::view_json(&view);
        let roles: Vec<&str> = json["order"]["parties"]
            .as_array()
            .expect("parties")
            .iter()
            .filter_map(|party| party["role"].as_str())
            .collect();
        assert!(roles.contains(&label), "{lang:?}: parties {roles:?}");
        assert_eq!(json["order"]["sequencer"], label, "{lang:?}");
        let signers = json["timeline"][0]["signers"].to_string();
        assert!(signers.contains(label), "{lang:?}: signers {signers}");
        let pinned = json["basis"]["pinned"].to_string();
        assert!(pinned.contains(label), "{lang:?}: pinned {pinned}");
        assert!(
            !json.to_string().contains(table_word),
            "{lang:?}: the built-in word {table_word} is left: {json}"
        );
    }
}
