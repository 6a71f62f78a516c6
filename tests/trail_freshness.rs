//! Whether a shared page's bundle is still the latest, on real nodes and in a real browser: a
//! customer opens a copy of the page a share link served (saved as a file, as one keeps a page)
//! and it says "current as of entry #1" from the node's signed head; one more entry is committed;
//! opened again, the same copy says "STALE: entry #2 is missing" and its headline says STALE
//! (⚠ STALE, 过期, VERALTET) instead of VALID. The page served live by the link is current, and
//! so is a party's own page (`/orders/{id}/trail`), which asks its node's `/orders/{id}/head`.
//! Nothing here asserts on timings.

mod common;

use std::collections::BTreeMap;

use common::browser;
use common::Cluster;
use pactum_node::client::ApiClient;
use serde_json::json;

const ALL: [&str; 3] = ["seller", "buyer", "carrier"];

#[test]
fn a_saved_share_page_says_when_its_bundle_is_stale() {
    if browser::browser_missing().is_some() {
        return;
    }
    let cluster = Cluster::start(&ALL, BTreeMap::new());
    let order = cluster.start_order(&ALL, "PO-FRESH", None);
    let event = |kind: &str, at: &str, fields: serde_json::Value| {
        cluster.event("carrier", &order, kind, at, fields).unwrap();
        cluster.settle(&ALL, &order);
    };
    event(
        "shipment.departed",
        "2026-01-10T00:00:00Z",
        json!({ "port": "Shenzhen" }),
    );
    let seller = cluster.client("seller");
    let link = seller
        .post(&format!("/orders/{order}/share"), &json!({}))
        .unwrap();
    let path = link["path"].as_str().unwrap().to_string();
    let anonymous = ApiClient::new(seller.base(), None);
    let page = anonymous.get_bytes(&path).unwrap();
    let saved = cluster.path("saved-share-page.html");
    std::fs::write(&saved, &page).unwrap();
    let live = format!("{}{path}", seller.base());
    // The head the page asks for is public to the link's holder, from any origin.
    let head = anonymous.get_bytes(&format!("{path}/head")).unwrap();
    assert!(verifier::bundle::SignedHead::from_bytes(&head).is_ok());

    let current = json!({ "verdict": "valid", "freshness": "current", "heading": "✓ VALID",
                          "contains": ["current as of entry #1"] });
    let dir = tempfile::tempdir().unwrap();
    browser::check(
        &json!({ "artefacts": browser::artefacts(), "cases": [
            { "name": "share-saved-current", "page": saved, "expect": current },
        ]}),
        dir.path(),
    );

    event(
        "shipment.eta_updated",
        "2026-02-17T00:00:00Z",
        json!({ "eta": "2026-02-26T00:00:00Z" }),
    );
    // The headline says STALE too, as `pactum-verify --head` does (exit 3), in every language;
    // the history itself verified, so data-verdict stays "valid".
    let stale = json!({ "verdict": "valid", "freshness": "stale", "heading": "⚠ STALE",
                        "contains": ["STALE: entry #2 is missing"] });
    let stale_in = |lang: &str, heading: &str| {
        json!({ "do": "language", "lang": lang, "as": lang, "expect": {
            "verdict": "valid", "freshness": "stale", "heading": heading, "lang": lang } })
    };
    let live_current = json!({ "verdict": "valid", "freshness": "current", "heading": "✓ VALID",
                               "contains": ["current as of entry #2"] });
    // A party's own page, `/orders/{id}/trail`, reached with its read token (as through the
    // proxy in front of its node): it asks the node's `/orders/{id}/head` the same way.
    let party_page = format!("{}/orders/{order}/trail", seller.base());
    let party_headers =
        json!({ "Authorization": format!("Bearer {}", seller.token().unwrap_or_default()) });
    browser::check(
        &json!({ "artefacts": browser::artefacts(), "cases": [
            { "name": "share-saved-stale", "page": saved, "expect": stale },
            { "name": "share-saved-stale-languages", "page": saved,
              "expect": { "freshness": "stale" },
              "actions": [stale_in("zh", "⚠ 过期"), stale_in("de", "⚠ VERALTET")] },
            { "name": "share-live-current", "page": live, "expect": live_current },
            { "name": "trail-party-current", "page": party_page, "headers": party_headers,
              "expect": live_current },
        ]}),
        dir.path(),
    );
}
