//! The request bodies in `examples/api/` sent, unchanged, to three real nodes: an integrator
//! copying them gets a working order, a breaker trip and a review.

mod common;

use std::collections::BTreeMap;

use common::Cluster;
use serde_json::{json, Value};

const ALL: [&str; 3] = ["seller", "buyer", "carrier"];

fn example(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/api")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn every_example_request_is_accepted_by_real_nodes() {
    let cluster = Cluster::start(&ALL, BTreeMap::new());
    let proposed = cluster
        .client("seller")
        .post("/orders", &example("propose.json"))
        .unwrap();
    assert_eq!(proposed["status"], "proposed", "{proposed}");
    let order = proposed["order"].as_str().unwrap().to_string();
    for role in ["buyer", "carrier"] {
        cluster
            .client(role)
            .post(&format!("/orders/{order}/accept"), &example("accept.json"))
            .unwrap();
    }
    let events = format!("/orders/{order}/events");
    for file in ["event-departed.json", "event-eta.json"] {
        let committed = cluster
            .client("carrier")
            .post(&events, &example(file))
            .unwrap();
        assert_eq!(committed["committed"], true, "{file}: {committed}");
    }
    let tripped = cluster
        .client("carrier")
        .post(&events, &example("event-weather.json"))
        .unwrap();
    assert_eq!(tripped["entry"]["outcome"]["type"], "breaker_tripped");
    let review = format!("/orders/{order}/review");
    for role in ALL {
        cluster
            .client(role)
            .post(&review, &example("review.json"))
            .unwrap();
    }
    let view = cluster.settle(&ALL, &order);
    assert_eq!(view["status"]["state"], "running", "{view}");
    assert_eq!(view["terms"]["transport_mode"], "air");
    assert_eq!(view["terms"]["delivery_due"], "2026-03-04T00:00:00Z");
    assert_eq!(
        view["terms"]["price"],
        json!({"amount": "12000.00", "currency": "EUR"})
    );
    let params = &view["clauses"][0]["params"];
    assert_eq!(params["max_sea_transit"], "P42D", "{params}");
}
