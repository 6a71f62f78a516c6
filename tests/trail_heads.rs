//! The trail page asks the parties' heads listed in its trust file, in a real browser against a
//! real HTTP server: a trust file's `heads` table (role → address, `{order}` standing for the
//! order id) makes a page written by `pactum-verify page` check freshness, for its own bundle
//! and for a bundle dropped onto it. A head a party signed naming another entry at a position
//! the bundle holds (a fork: two histories) makes the headline INVALID in every language, never
//! VALID; a head naming later entries makes it STALE; an address that does not answer is named
//! on the page. Nothing here asserts on timings.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use common::browser;
use verifier::bundle::build::{example, long_example, Example};
use verifier::bundle::{verify_bundle, Head, SignedHead, TrustFile, VerifyOptions};
use verifier::model::Digest;
use verifier::page;
use verifier::timeline::Lang;

/// Serves `GET /{order}/head` from `heads` (order id in hex → the signed head's bytes), readable
/// from any origin as a node's share-link head is, on 127.0.0.1; returns its port.
fn serve_heads(heads: BTreeMap<String, Vec<u8>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
    let port = listener.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            // The rest of the request's head, up to the empty line.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("");
            let order = path
                .strip_prefix('/')
                .and_then(|rest| rest.strip_suffix("/head"));
            let answer = match order.and_then(|order| heads.get(order)) {
                Some(bytes) => (200, bytes.clone()),
                None => (404, Vec::new()),
            };
            let mut stream = &stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {} X\r\nContent-Type: application/octet-stream\r\n\
                 Access-Control-Allow-Origin: *\r\nCache-Control: no-store\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n",
                answer.0,
                answer.1.len()
            );
            let _ = stream.write_all(&answer.1);
        }
    });
    port
}

/// A head of `example`'s order signed by its seller, naming `entry` at `seq`.
fn seller_head(example: &Example, seq: u64, entry: Digest) -> Vec<u8> {
    let report = verify_bundle(&example.bytes, &example.trust, &VerifyOptions::default())
        .expect("the example verifies");
    let head = Head::new(report.order, seq, entry, report.as_of.at, 1_000);
    SignedHead::sign(&head, "seller", &example.keys.seller)
        .and_then(|signed| signed.to_bytes())
        .expect("a signed head")
}

#[test]
fn heads_from_the_trust_file_catch_a_fork_and_a_stale_dropped_bundle() {
    if browser::browser_missing().is_some() {
        return;
    }
    // Two orders of one log: the page's own (six entries) and one dropped onto it.
    let own = long_example(6, 1).expect("a short history");
    let dropped = example().expect("the example");
    let own_report = verify_bundle(&own.bytes, &own.trust, &VerifyOptions::default())
        .expect("the page's bundle verifies");
    let dropped_report = verify_bundle(&dropped.bytes, &dropped.trust, &VerifyOptions::default())
        .expect("the dropped bundle verifies");

    // The page's order: its seller signed another entry #2 (a fork). The dropped one's: its
    // seller signed a head two entries past the bundle's end (stale).
    let forked = Digest::from_hex(&"5a".repeat(32)).expect("a digest");
    let last = dropped_report.entries.len() as u64 - 1;
    let heads = BTreeMap::from([
        (own_report.order.to_string(), seller_head(&own, 2, forked)),
        (
            dropped_report.order.to_string(),
            seller_head(&dropped, last + 2, forked),
        ),
    ]);
    let port = serve_heads(heads);
    // A port nobody listens on: bound, then released.
    let closed = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();

    // One trust file for both orders: the log's policy, no pinned parties (the two orders have
    // different ones), and where the seller's and the buyer's heads are served.
    let mut trust = TrustFile::from_trust(&own.trust);
    trust.parties.clear();
    trust.heads = BTreeMap::from([
        (
            "seller".to_string(),
            format!("http://127.0.0.1:{port}/{{order}}/head"),
        ),
        (
            "buyer".to_string(),
            format!("http://127.0.0.1:{closed}/{{order}}/head"),
        ),
    ]);
    let trust_text = trust.to_json().expect("trust as JSON");
    let checked = trust.trust().expect("the trust file is usable");
    for bundle in [&own.bytes, &dropped.bytes] {
        verify_bundle(bundle, &checked, &VerifyOptions::default()).expect("verifies natively");
    }

    let dir = tempfile::tempdir().expect("temporary directory");
    let page_path = dir.path().join("trail.html");
    std::fs::write(&page_path, page::html(&own.bytes, &trust_text, Lang::En)).expect("page");
    let dropped_path = dir.path().join("dropped.bundle");
    std::fs::write(&dropped_path, &dropped.bytes).expect("bundle written");

    // The failed check is a ✗ step with its reason beside the verdict, and the party whose
    // node did not answer is named in the reader's words (its address is not the message).
    let closed_address = format!("127.0.0.1:{closed}");
    let fork_in = |lang: &str, heading: &str, reason: &str, unreachable: &str| {
        serde_json::json!({ "do": "language", "lang": lang, "as": lang, "expect": {
            "verdict": "invalid", "freshness": "invalid", "heading": heading, "lang": lang,
            "failed_step": 9, "contains": [reason, unreachable], "absent": [&closed_address] } })
    };
    let stale = format!("STALE: entries #{} to #{} are missing", last + 1, last + 2);
    browser::check(
        &serde_json::json!({ "artefacts": browser::artefacts(), "cases": [
            { "name": "heads-fork", "page": page_path,
              "expect": { "verdict": "invalid", "freshness": "invalid", "heading": "✗ INVALID",
                          "failed_step": 9,
                          "contains": ["Failed at step 9 (presented heads)",
                                       "Reason: seller signed a head naming another entry #2",
                                       "two histories of this order were signed",
                                       &"5a".repeat(32), "could not reach the buyer's node"],
                          "absent": [&closed_address] },
              "actions": [
                fork_in("zh", "✗ 无效", "失败步骤9（所提交的最新记录声明）", "无法连接买方的节点"),
                fork_in("de", "✗ UNGÜLTIG", "Gescheitert in Schritt 9 (vorgelegte Standmeldungen)",
                        "Knoten nicht erreichbar: Käufer"),
              ] },
            { "name": "heads-dropped", "page": page_path, "expect": { "freshness": "invalid" },
              "actions": [
                { "do": "drop", "file": dropped_path, "as": "stale", "expect": {
                    "verdict": "valid", "freshness": "stale", "heading": "⚠ STALE",
                    "contains": [stale] } },
              ] },
        ]}),
        dir.path(),
    );
}
