//! The request bodies in `examples/api/` sent, unchanged, to three real nodes: an integrator
//! copying them gets a working order, a breaker trip and a review.

mod common;

use std::collections::BTreeMap;

use common::Cluster;
use pactum_node::{
    client::{ApiClient, ClientError},
    http::openapi,
};
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
    // The buyer reads what it is asked to sign, rendered, before accepting.
    let invited = cluster.client("buyer").get("/proposals?lang=de").unwrap();
    let proposal = &invited["proposals"][0];
    assert_eq!(proposal["order"], order.as_str(), "{invited}");
    assert_eq!(proposal["order_ref"], "PO-2026-0117");
    assert_eq!(proposal["awaiting"], json!(["buyer", "carrier"]));
    assert_eq!(proposal["clauses"][0]["params"]["max_sea_transit"], "P42D");
    let text = proposal["clauses"][0]["text"].as_str().unwrap();
    assert!(text.contains("42"), "{text}");
    let one = cluster
        .client("buyer")
        .get(&format!("/proposals/{order}"))
        .unwrap();
    assert_eq!(one["order"], order.as_str());
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
    // The held extension applied, then the due date the parties set in the review.
    assert_eq!(view["terms"]["delivery_due"], "2026-03-09T00:00:00Z");
    assert_eq!(
        view["terms"]["price"],
        json!({"amount": "12000.00", "currency": "EUR"})
    );
    let params = &view["clauses"][0]["params"];
    assert_eq!(params["max_sea_transit"], "P42D", "{params}");

    // Started orders are no longer proposals; they are found by reference, state and party.
    let buyer = cluster.client("buyer");
    assert_eq!(buyer.get("/proposals").unwrap()["proposals"], json!([]));
    let found = buyer.get("/orders?reference=PO-2026-0117").unwrap();
    assert_eq!(found["orders"][0]["order"], order.as_str(), "{found}");
    assert_eq!(found["orders"][0]["state"], "running");
    let other = cluster.start_order(&ALL, "PO-OTHER", None);
    // Listed at the buyer once its node holds the genesis (accepting does not wait for it).
    cluster.settle(&ALL, &other);
    let tripped_only = buyer.get("/orders?state=breaker_tripped").unwrap();
    assert_eq!(tripped_only["orders"], json!([]));
    let by_party = buyer
        .get("/orders?party=carrier&updated_since=2026-02-01T00:00:00Z")
        .unwrap();
    assert_eq!(
        by_party["orders"].as_array().unwrap().len(),
        1,
        "{by_party}"
    );
    let first = buyer.get("/orders?limit=1").unwrap();
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = buyer
        .get(&format!("/orders?limit=1&cursor={cursor}"))
        .unwrap();
    assert_eq!(second["next_cursor"], Value::Null);
    let mut both = vec![
        first["orders"][0]["order"].clone(),
        second["orders"][0]["order"].clone(),
    ];
    both.sort_by_key(|id| id.to_string());
    let mut expected = vec![json!(order), json!(other)];
    expected.sort_by_key(|id| id.to_string());
    assert_eq!(both, expected);
    assert_eq!(
        buyer
            .get("/orders?state=sideways&cursor=zz")
            .unwrap_err()
            .code(),
        Some("bad_cursor")
    );

    // History a page at a time.
    let history = format!("/orders/{order}/history");
    let page = buyer.get(&format!("{history}?limit=2")).unwrap();
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    assert_eq!(page["next_after"], 1);
    let rest = buyer.get(&format!("{history}?after=1&limit=500")).unwrap();
    assert_eq!(rest["next_after"], Value::Null);
    let all = buyer.get(&history).unwrap();
    assert_eq!(
        all["entries"].as_array().unwrap().len(),
        2 + rest["entries"].as_array().unwrap().len()
    );
    assert_eq!(
        buyer.get(&format!("{history}?page=2")).unwrap_err().code(),
        Some("invalid_query")
    );

    // A share link for the customer, expiring as the example asks. The customer, with no
    // token, gets the order's bundle through it, and it verifies; once the buyer revokes the
    // link, it opens nothing. Revoking it again answers the same (a revocation retried after
    // a lost answer succeeds); a link the node never made is not found.
    let shared = buyer
        .post(&format!("/orders/{order}/share"), &example("share.json"))
        .unwrap();
    assert!(shared["expires_at"].is_u64(), "{shared}");
    let token = shared["token"].as_str().unwrap();
    let customer = ApiClient::new(cluster.nodes["buyer"].url(), None);
    let link = format!("/share/{token}/bundle");
    let bundle = customer.get_bytes(&link).unwrap();
    let (_, trust) = cluster.bundle("buyer", &order);
    let report = common::verify(&bundle, &trust).unwrap();
    assert_eq!(report.order.to_string(), order);
    let revoke = format!("/orders/{order}/share/{token}");
    let revoked = json!({"order": order, "token": token, "revoked": true});
    assert_eq!(buyer.delete(&revoke).unwrap(), revoked);
    assert_eq!(buyer.delete(&revoke).unwrap(), revoked);
    let never_made = format!("/orders/{order}/share/{}", "0".repeat(64));
    for refused in [
        customer.get_bytes(&link).unwrap_err(),
        buyer.delete(&never_made).unwrap_err(),
    ] {
        let ClientError::Api(refused) = refused else {
            panic!("{refused}");
        };
        assert_eq!(
            (refused.status, refused.code.as_str()),
            (404, "unknown_link")
        );
    }

    // The OpenAPI document the node serves, with no token, is the one this repository
    // documents (`node/tests/openapi.rs` holds it to the router and the README).
    assert_eq!(customer.get("/openapi.json").unwrap(), openapi::document());

    // A webhook, as an operator registers it (the secret is never shown back), and removed.
    let created = buyer.post("/webhooks", &example("webhook.json")).unwrap();
    assert_eq!(created["kinds"].as_array().unwrap().len(), 4, "{created}");
    assert!(!created.to_string().contains("replace-with"), "{created}");
    let id = created["id"].as_str().unwrap();
    buyer.delete(&format!("/webhooks/{id}")).unwrap();

    // An operator's acknowledgement of a determinism fault: this cluster recorded none, so
    // the well-formed body reaches the fault lookup (`tests/nodes.rs` acknowledges a real one).
    assert_eq!(
        buyer.get("/faults").unwrap(),
        json!({"faults": [], "truncated": false})
    );
    let unknown = buyer
        .post(
            &format!("/faults/{}/acknowledge", "0".repeat(96)),
            &example("acknowledge-fault.json"),
        )
        .unwrap_err();
    assert_eq!(unknown.code(), Some("unknown_fault"), "{unknown:?}");

    // The parties move the due date and lower the rate by agreement.
    let agreements = format!("/orders/{order}/agreements");
    for role in ALL {
        cluster
            .client(role)
            .post(&agreements, &example("agreement.json"))
            .unwrap();
    }
    let view = cluster.settle(&ALL, &order);
    assert_eq!(
        view["terms"]["delivery_due"], "2026-03-09T00:00:00Z",
        "{view}"
    );

    // Settled, the order closes once every party signed the same close.
    let close = format!("/orders/{order}/close");
    for role in ALL {
        cluster
            .client(role)
            .post(&close, &example("close.json"))
            .unwrap();
    }
    let view = cluster.settle(&ALL, &order);
    assert_eq!(view["status"]["state"], "closed", "{view}");

    // An operator points the seller's node at the buyer's by host name, and backs it up.
    let buyer_key = hex::encode(cluster.keys["buyer"].public_key().as_bytes());
    let peer = cluster
        .client("seller")
        .put(&format!("/peers/{buyer_key}"), &example("peer.json"))
        .unwrap();
    assert_eq!(peer["role"], "buyer", "{peer}");
    let mut backup = example("backup.json");
    let target = cluster.dir.path().join("backup");
    backup["dir"] = Value::from(target.display().to_string());
    let copied = buyer.post("/admin/backup", &backup).unwrap();
    assert!(copied["pairs"].as_u64().unwrap() > 0, "{copied}");

    // Every answer above had a status the OpenAPI document lists for its call (checked for
    // every cluster when it drops, `openapi::undocumented`); the check sees what it should.
    let answered = cluster.answered.lock().unwrap().clone();
    assert!(
        answered.contains(&("POST".into(), format!("/orders/{order}/close"), 200, None)),
        "{answered:?}"
    );
    for seen in [
        ("GET", link.clone(), 200, None),
        ("GET", link.clone(), 404, Some("unknown_link")),
        ("DELETE", revoke.clone(), 200, None),
        ("DELETE", never_made.clone(), 404, Some("unknown_link")),
        ("GET", "/openapi.json".to_string(), 200, None),
    ] {
        let (method, path, status, code) = seen;
        let seen = (method.into(), path, status, code.map(String::from));
        assert!(answered.contains(&seen), "{seen:?} in {answered:?}");
    }
    let close = format!("/orders/{order}/close");
    let unlisted = std::collections::BTreeSet::from([
        ("POST".to_string(), close.clone(), 201, None),
        (
            "POST".to_string(),
            close.clone(),
            409,
            Some("order_closed".into()),
        ),
        (
            "POST".to_string(),
            close.clone(),
            409,
            Some("no_such_code".into()),
        ),
        ("GET".to_string(), "/nowhere".to_string(), 404, None),
        // Any write's Idempotency-Key codes are described once, in the shared responses.
        (
            "POST".to_string(),
            close.clone(),
            409,
            Some("idempotency_key_in_use".into()),
        ),
        (
            "GET".to_string(),
            format!("/orders/{order}"),
            409,
            Some("idempotency_key_in_use".into()),
        ),
    ]);
    assert_eq!(
        openapi::undocumented(&unlisted),
        [
            format!("GET /orders/{{id}} answered 409 (/orders/{order})"),
            format!("POST /orders/{{id}}/close answered 201 ({close})"),
            format!(
                "POST /orders/{{id}}/close answered 409 `no_such_code`, which its description does not name ({close})"
            ),
        ]
    );
}

/// Every file in `examples/api/` is listed in its README and sent by the test above, and every
/// call with a JSON body has one, so a new write call's example cannot be missing or unchecked.
#[test]
fn every_example_is_listed_and_sent() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/api");
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let this_test = include_str!("api_examples.rs");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.ends_with(".json") {
            continue;
        }
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "{name} is not in examples/api/README.md"
        );
        assert!(
            this_test.contains(&format!("\"{name}\"")),
            "{name} is not sent by tests/api_examples.rs"
        );
    } // Every call the OpenAPI document gives a JSON body has its file.
    let document = pactum_node::http::openapi::document();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation["requestBody"]["content"]["application/json"].is_null() {
                continue;
            }
            let call = format!("`{} {path}`", method.to_uppercase());
            assert!(
                readme.contains(&format!("| {call} |")),
                "{call} takes a JSON body but has no example in examples/api/README.md"
            );
        }
    }
    // Every write without a body is named where the README says which calls take none.
    let bodiless = readme
        .lines()
        .find(|line| line.contains("take no body"))
        .expect("examples/api/README.md says which calls take no body");
    for (path, item) in document["paths"].as_object().unwrap() {
        let Some(operation) = item.get("delete") else {
            continue;
        };
        if operation.get("requestBody").is_none() {
            assert!(
                bodiless.contains(&format!("`DELETE {path}`")),
                "DELETE {path} takes no body but examples/api/README.md does not say so"
            );
        }
    }
}
