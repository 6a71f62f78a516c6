//! Helpers the verifier's table tests share: colluding parties re-sealing a history, and
//! golden files refreshed with UPDATE_EXPECT=1.

// Each test file uses some of these helpers.
#![allow(dead_code)]

use verifier::bundle::assemble::{assemble, OrderParts};
use verifier::bundle::build::{ExampleKeys, ExampleLog, EXAMPLE_COSIGN_TIME};
use verifier::model::{Digest, EntryBody, SignedEntry};

/// Colluding parties: re-chain, re-sign every entry with both party keys, re-log, re-checkpoint,
/// re-sign the head. Returns the bundle's bytes.
pub fn reseal(parts: &OrderParts, keys: &ExampleKeys, bodies: Vec<EntryBody>) -> Vec<u8> {
    let mut prev = Digest::ZERO;
    let mut signed = Vec::new();
    for mut body in bodies {
        body.prev = prev;
        let mut entry = SignedEntry::unsigned(body.encode().unwrap());
        entry.sign("seller", &keys.seller);
        entry.sign("buyer", &keys.buyer);
        prev = entry.hash();
        signed.push(entry);
    }
    relog(parts, keys, signed)
}

fn relog(parts: &OrderParts, keys: &ExampleKeys, entries: Vec<SignedEntry>) -> Vec<u8> {
    let mut log = ExampleLog::example();
    let leaves = log.append_entries(&entries).unwrap();
    let note = log.checkpoint(EXAMPLE_COSIGN_TIME).unwrap();
    let parts = OrderParts {
        entries,
        ..parts.clone()
    };
    assemble(
        &parts,
        &leaves,
        &log.log,
        &note,
        ("seller", &keys.seller),
        &[],
    )
    .unwrap()
    .to_bytes()
    .unwrap()
}

/// Compares `actual` with the file at `path` (relative to the crate), or rewrites the file
/// when UPDATE_EXPECT=1.
pub fn check_expect(path: &str, actual: &str) {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&full, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&full)
        .unwrap_or_else(|_| panic!("{path} is missing: run with UPDATE_EXPECT=1"));
    assert_eq!(
        expected, actual,
        "{path} differs: run with UPDATE_EXPECT=1 to refresh"
    );
}
