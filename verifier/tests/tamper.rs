//! The tamper suite: every way of altering a valid air-freight bundle is rejected with the error
//! of the check it defeats, and the untouched bundle is accepted.
//!
//! "Raw" cases alter bytes the way a third party could: signatures no longer match. "Forged"
//! cases model colluding parties that re-sign everything they can (entries, reviews, the head,
//! even the log's checkpoint): what they cannot forge is an attester's signature, a pinned key,
//! or a history that replay, the breaker and the log disagree with.
//!
//! The table's outcomes are kept in `tests/data/tamper.expect` (refresh with UPDATE_EXPECT=1).

mod common;

use std::collections::BTreeMap;

use common::{check_expect, reseal};
use proptest::prelude::*;
use verifier::bundle::build::{
    example, example_bundle, scenario_order, Example, ExampleKeys, ExampleLog, ReviewPolicy,
    EXAMPLE_COSIGN_TIME, EXAMPLE_SCENARIO, EXAMPLE_SCENARIO_NAME,
};
use verifier::bundle::{verify_bundle, Bundle, BundleEntry, VerifyError, VerifyOptions};
use verifier::checkpoint::{cosign, sign_checkpoint, Checkpoint};
use verifier::model::{EntryBody, Outcome, SignedEntry, Step};
use verifier::sign::SigningKey;

fn options() -> VerifyOptions {
    VerifyOptions {
        remembered: None,
        heads: Vec::new(),
        threads: 2,
    }
}

fn entries(bundle: &Bundle) -> Vec<BundleEntry> {
    bundle.decoded_entries().unwrap()
}

fn set_entries(bundle: &mut Bundle, entries: &[BundleEntry]) {
    bundle.set_entries(entries).unwrap();
}

/// Applies `change` to the decoded entries of the example bundle.
fn with_entries(example: &Example, change: impl FnOnce(&mut Vec<BundleEntry>)) -> Vec<u8> {
    let mut bundle = example.bundle.clone();
    let mut list = entries(&bundle);
    change(&mut list);
    set_entries(&mut bundle, &list);
    bundle.to_bytes().unwrap()
}

/// Re-encodes body `index` after `change`, keeping the old signatures.
fn with_body(example: &Example, index: usize, change: impl FnOnce(&mut EntryBody)) -> Vec<u8> {
    with_entries(example, |list| {
        let mut body = list[index].entry.entry().unwrap();
        change(&mut body);
        list[index].entry.body = body.encode().unwrap();
    })
}

fn with_bundle(example: &Example, change: impl FnOnce(&mut Bundle)) -> Vec<u8> {
    let mut bundle = example.bundle.clone();
    change(&mut bundle);
    bundle.to_bytes().unwrap()
}

fn event_step(body: &mut EntryBody) -> &mut verifier::model::EventStep {
    match &mut body.step {
        Step::Event(step) => step,
        other => panic!("not an event entry: {other:?}"),
    }
}

fn forged(example: &Example, change: impl FnOnce(&mut Vec<EntryBody>)) -> Vec<u8> {
    let mut bodies = example.order.bodies().to_vec();
    change(&mut bodies);
    reseal(&example.order.parts(), &example.keys, bodies)
}

/// A short order: three typhoon extensions within three hours, then a fourth alert at `last`
/// hours after the first. Left paused when the breaker trips.
fn typhoon_order(last: i64) -> (verifier::bundle::build::OrderBuilder, ExampleKeys) {
    let alert = |hour: i64, region: &str| {
        let (day, hour) = (25 + hour.div_euclid(24), hour.rem_euclid(24));
        format!(
            "[[scenario.events]]\nkind = \"weather.alert\"\nat = \"2026-02-{day:02}T{hour:02}:00:00Z\"\n\
             fields = {{ kind = \"typhoon\", level = \"red\", region = \"{region}\" }}\n"
        )
    };
    let scenario = format!(
        "clauses = [\"../clauses/force_majeure.clause\"]\njurisdiction = \"CN\"\n[terms]\n\
         delivery_due = \"2026-03-01T00:00:00Z\"\nroute_regions = [\"Guangdong\"]\n\
         [[scenario]]\nname = \"typhoons\"\n{}{}{}{}",
        alert(0, "Guangdong"),
        alert(1, "Guangdong"),
        alert(2, "Guangdong"),
        alert(last, "Guangdong"),
    );
    let keys = ExampleKeys::new();
    let order = scenario_order(&scenario, "typhoons", &keys, ReviewPolicy::Leave, 0).unwrap();
    (order, keys)
}

/// The last entry of a tripped typhoon order, forged to apply what the breaker held.
fn breaker_forgery(last_hour: i64) -> (Vec<u8>, verifier::bundle::Trust) {
    let (order, keys) = typhoon_order(last_hour);
    let mut bodies = order.bodies().to_vec();
    let last = bodies.last_mut().unwrap();
    let step = event_step(last);
    let Outcome::BreakerTripped { held, .. } = &step.outcome else {
        panic!("the fourth alert must trip the breaker: {:?}", step.outcome);
    };
    step.outcome = Outcome::Applied(held.clone());
    // A forger measuring the window naively, on the claimed event time.
    step.effective_at = step.event.event().unwrap().at;
    let bytes = reseal(&order.parts(), &keys, bodies);
    let trust = verifier::bundle::Trust {
        log: ExampleLog::example().policy().unwrap(),
        parties: order.machine().contract().parties.clone(),
    };
    (bytes, trust)
}

fn checkpoint_note(
    example: &Example,
    size: u64,
    root: [u8; 32],
    witnesses: &[(&str, &SigningKey)],
) -> String {
    let checkpoint = Checkpoint::new(&example.log.origin, size, root).unwrap();
    let mut note = sign_checkpoint(&checkpoint, &example.log.key).unwrap();
    for (name, key) in witnesses {
        note.push_signature(cosign(&checkpoint, name, key, EXAMPLE_COSIGN_TIME).unwrap())
            .unwrap();
    }
    note.to_text()
}

fn flip(bytes: &mut [u8], at: usize) {
    bytes[at] ^= 0x01;
}

/// A tampering: its name, the tampered bundle and the trust to verify it with.
type Case = (&'static str, Vec<u8>, Option<verifier::bundle::Trust>);

fn cases(example: &Example) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let mut add = |name: &'static str, bytes: Vec<u8>| cases.push((name, bytes, None));

    // Step 1: bytes.
    let mut trailing = example.bytes.clone();
    trailing.extend_from_slice(b"garbage");
    add("trailing garbage after the bundle", trailing);
    add(
        "the bundle cut in half",
        example.bytes[..example.bytes.len() / 2].to_vec(),
    );
    add(
        "entry lengths that do not add up to the entry bytes",
        with_bundle(example, |bundle| bundle.entry_lengths[3] += 1),
    );
    add(
        "an unknown bundle version",
        with_bundle(example, |bundle| bundle.v = verifier::model::VERSION + 1),
    );
    add(
        "a re-encoded (non-canonical) entry, signed over its new bytes",
        with_entries(example, |list| {
            // `"seq": 2` written with a non-shortest integer (0x18 0x02 instead of 0x02).
            let canonical = &list[2].entry.body;
            let pattern = [0x63, b's', b'e', b'q', 0x02];
            let at = canonical
                .windows(pattern.len())
                .position(|window| window == pattern)
                .expect("entry 2 encodes its sequence number");
            let mut bytes = canonical[..at + 4].to_vec();
            bytes.extend_from_slice(&[0x18, 0x02]);
            bytes.extend_from_slice(&canonical[at + 5..]);
            let keys = ExampleKeys::new();
            let mut entry = SignedEntry::unsigned(bytes);
            entry.sign("seller", &keys.seller);
            entry.sign("buyer", &keys.buyer);
            list[2].entry = entry;
        }),
    );

    // Step 2: sources.
    add(
        "a clause source edited",
        with_bundle(example, |bundle| {
            bundle.sources[1].text.push_str("\n// edited\n")
        }),
    );
    add(
        "a clause IR byte flipped",
        with_bundle(example, |bundle| flip(&mut bundle.ir[0].ir, 10)),
    );

    // Step 3: genesis.
    add(
        "a byte flipped in a genesis signature",
        with_bundle(example, |bundle| {
            let signature = bundle.contract.signatures.get_mut("buyer").unwrap();
            let mut bytes = signature.to_bytes();
            flip(&mut bytes, 5);
            *signature = verifier::sign::Signature::from_bytes(bytes);
        }),
    );

    // Step 4: entries, raw.
    add(
        "a byte flipped in an entry's party signature",
        with_entries(example, |list| {
            let signature = list[3].entry.signatures.get_mut("buyer").unwrap();
            let mut bytes = signature.to_bytes();
            flip(&mut bytes, 0);
            *signature = verifier::sign::Signature::from_bytes(bytes);
        }),
    );
    add(
        "a byte flipped in an attester signature",
        with_body(example, 3, |body| {
            let step = event_step(body);
            let mut bytes = step.event.signature.to_bytes();
            flip(&mut bytes, 63);
            step.event.signature = verifier::sign::Signature::from_bytes(bytes);
        }),
    );
    add(
        "a byte flipped in an event field",
        with_body(example, 1, flip_event_field),
    );
    add(
        "a byte flipped in an amendment",
        with_body(example, 2, flip_amendment),
    );
    add(
        "a byte flipped in a state hash",
        with_body(example, 5, |body| flip(&mut body.state.0, 31)),
    );
    add(
        "two entries swapped",
        with_entries(example, |list| list.swap(3, 4)),
    );
    add(
        "an entry dropped",
        with_entries(example, |list| {
            list.remove(4);
        }),
    );
    add(
        "an entry duplicated",
        with_entries(example, |list| {
            let copy = list[4].clone();
            list.insert(5, copy);
        }),
    );
    add(
        "the last entries cut off",
        with_entries(example, |list| list.truncate(list.len() - 2)),
    );
    add(
        "two different entries at one position, both signed by the sequencer",
        with_entries(example, |list| {
            let mut body = list[4].entry.entry().unwrap();
            event_step(&mut body).effective_at += 1;
            let keys = ExampleKeys::new();
            let mut entry = SignedEntry::unsigned(body.encode().unwrap());
            entry.sign("seller", &keys.seller);
            entry.sign("buyer", &keys.buyer);
            let mut other = list[4].clone();
            other.entry = entry;
            list.insert(5, other);
        }),
    );
    add(
        "the head signed by a non-party",
        with_bundle(example, |bundle| bundle.head.signer = "carrier".into()),
    );

    // Step 4: forged by colluding parties.
    add(
        "an event field altered and the entries re-signed",
        forged(example, |bodies| flip_event_field(&mut bodies[1])),
    );
    add(
        "an event attested by a party not authorised for its kind",
        forged(example, |bodies| {
            let step = event_step(&mut bodies[3]);
            // The carrier may attest shipments, not weather alerts.
            step.event = verifier::model::SignedEvent {
                signature: example
                    .keys
                    .carrier
                    .sign(verifier::sign::Domain::Event, &step.event.body),
                attester: verifier::model::KeyBytes::of(&example.keys.carrier.public_key()),
                body: step.event.body.clone(),
            };
        }),
    );

    // Steps 5 and 6: forged history that replay disagrees with.
    add(
        "an amendment replay does not produce",
        forged(example, |bodies| {
            let step = event_step(&mut bodies[1]);
            let Outcome::Applied(effects) = &mut step.outcome else {
                panic!("entry 1 applied nothing")
            };
            effects.amendments.push(verifier::model::Amendment {
                clause: "air_freight_fallback".into(),
                rule: 0,
                term: "transport_mode".into(),
                before: None,
                after: contract_lang::value::Value::Bool(true),
            });
        }),
    );
    add(
        "a byte flipped in an amendment and the entries re-signed",
        forged(example, |bodies| flip_amendment(&mut bodies[2])),
    );
    add(
        "a byte flipped in a state hash and the entries re-signed",
        forged(example, |bodies| flip(&mut bodies[5].state.0, 0)),
    );

    // Step 7: the log.
    add(
        "a byte flipped in an inclusion proof",
        with_entries(example, |list| flip(&mut list[4].proof[0].0, 7)),
    );
    add(
        "the checkpoint's size altered",
        with_bundle(example, |bundle| {
            let size = example.log.log.size();
            bundle.checkpoint =
                bundle
                    .checkpoint
                    .replacen(&format!("\n{size}\n"), &format!("\n{}\n", size + 1), 1);
        }),
    );
    let size = example.log.log.size();
    let witnesses: Vec<(&str, &SigningKey)> = example
        .log
        .witnesses
        .iter()
        .map(|(name, key)| (name.as_str(), key))
        .collect();
    let mut wrong_root = example.log.log.root().unwrap();
    wrong_root[0] ^= 1;
    let note = checkpoint_note(example, size, wrong_root, &witnesses);
    add(
        "a checkpoint with a wrong root, signed and cosigned",
        with_bundle(example, |bundle| bundle.checkpoint = note),
    );
    let note = checkpoint_note(
        example,
        size + 1,
        example.log.log.root().unwrap(),
        &witnesses,
    );
    add(
        "a checkpoint with a wrong size, signed and cosigned",
        with_bundle(example, |bundle| bundle.checkpoint = note),
    );
    let impostor = verifier::bundle::build::example_key("impostor");
    let note = checkpoint_note(
        example,
        size,
        example.log.log.root().unwrap(),
        &[witnesses[0], ("witness.auditor", &impostor)],
    );
    add(
        "a cosignature from an unknown key",
        with_bundle(example, |bundle| bundle.checkpoint = note),
    );

    // Keys the trust policy pins.
    let attacker = ExampleKeys {
        buyer: verifier::bundle::build::example_key("attacker"),
        ..ExampleKeys::new()
    };
    let order = scenario_order(
        EXAMPLE_SCENARIO,
        EXAMPLE_SCENARIO_NAME,
        &attacker,
        ReviewPolicy::ApproveHeld,
        1,
    )
    .unwrap();
    let substituted = example_bundle(attacker, order).unwrap();
    add(
        "a party's key substituted and everything re-signed",
        substituted.bytes,
    );

    let (bypass, trust) = breaker_forgery(3);
    cases.push((
        "a fourth automatic amendment within 24 hours applied and signed",
        bypass,
        Some(trust),
    ));
    let (backdated, trust) = breaker_forgery(-48);
    cases.push((
        "a backdated event applied past the breaker and signed",
        backdated,
        Some(trust),
    ));
    cases
}

fn flip_event_field(body: &mut EntryBody) {
    let step = event_step(body);
    let position = step
        .event
        .body
        .windows(8)
        .position(|window| window == b"Shenzhen")
        .expect("entry 1 is the departure from Shenzhen");
    flip(&mut step.event.body, position + 6);
}

fn flip_amendment(body: &mut EntryBody) {
    let step = event_step(body);
    let Outcome::Applied(effects) = &mut step.outcome else {
        panic!("entry 2 applies the switch to air")
    };
    let contract_lang::value::Value::Enum(variant) = &mut effects.amendments[0].after else {
        panic!("the transport mode is an enum")
    };
    variant.variant = "aiq".into();
}

fn describe(result: &Result<verifier::bundle::Report, VerifyError>) -> String {
    match result {
        Ok(report) => format!("accepted ({} entries)", report.entries.len()),
        Err(error) => format!(
            "{} at entry {} — {error}",
            error.code(),
            error
                .entry()
                .map_or_else(|| "-".to_string(), |index| index.to_string())
        ),
    }
}

#[test]
fn every_tampering_is_rejected_by_its_own_check() {
    let example = example().unwrap();
    let accepted = verify_bundle(&example.bytes, &example.trust, &options());
    assert!(accepted.is_ok(), "{}", describe(&accepted));

    let mut lines = vec![format!("untouched bundle: {}", describe(&accepted))];
    let mut codes = BTreeMap::new();
    for (name, bytes, trust) in cases(&example) {
        let trust = trust.as_ref().unwrap_or(&example.trust);
        let result = verify_bundle(&bytes, trust, &options());
        assert!(result.is_err(), "{name}: accepted");
        lines.push(format!("{name}: {}", describe(&result)));
        let code = result.err().map(|error| error.code()).unwrap_or_default();
        codes.entry(code).or_insert_with(Vec::new).push(name);
    }
    check_expect("tests/data/tamper.expect", &(lines.join("\n") + "\n"));
    // Only cases that are the same attack at the level of the check share an error: any byte
    // a third party changes inside an entry breaks the parties' signatures on it, and a
    // re-signed amendment is an amendment replay does not produce.
    let shared: Vec<(&String, &Vec<&str>)> =
        codes.iter().filter(|(_, names)| names.len() > 1).collect();
    let expected_shared = [("entry.PartySignature", 5), ("replay.Outcome", 2)];
    assert_eq!(
        shared
            .iter()
            .map(|(code, names)| (code.as_str(), names.len()))
            .collect::<Vec<_>>(),
        expected_shared,
        "cases sharing one error: {shared:?}"
    );
}

#[test]
fn pinning_no_party_keys_trusts_the_contract_s_keys() {
    let example = example().unwrap();
    let mut trust = example.trust.clone();
    trust.parties.clear();
    assert!(verify_bundle(&example.bytes, &trust, &options()).is_ok());
}

#[test]
fn verification_does_not_depend_on_the_thread_count() {
    let example = example().unwrap();
    let bytes = with_entries(&example, |list| {
        let signature = list[7].entry.signatures.get_mut("seller").unwrap();
        let mut raw = signature.to_bytes();
        raw[1] ^= 4;
        *signature = verifier::sign::Signature::from_bytes(raw);
    });
    for threads in [1, 2, 3, 8] {
        let options = VerifyOptions {
            remembered: None,
            heads: Vec::new(),
            threads,
        };
        assert!(verify_bundle(&example.bytes, &example.trust, &options).is_ok());
        let error = verify_bundle(&bytes, &example.trust, &options).unwrap_err();
        assert_eq!(error.code(), "entry.PartySignature");
        assert_eq!(error.entry(), Some(7));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]
    #[test]
    fn random_byte_flips_are_never_accepted(
        flips in proptest::collection::vec((any::<proptest::sample::Index>(), 1u8..=255), 1..4)
    ) {
        let example = shared_example();
        let mut bytes = example.0.clone();
        for (index, mask) in flips {
            let at = index.index(bytes.len());
            bytes[at] ^= mask;
        }
        prop_assert!(verify_bundle(&bytes, &example.1, &options()).is_err());
    }
}

fn shared_example() -> &'static (Vec<u8>, verifier::bundle::Trust) {
    static EXAMPLE: std::sync::OnceLock<(Vec<u8>, verifier::bundle::Trust)> =
        std::sync::OnceLock::new();
    EXAMPLE.get_or_init(|| {
        let example = example().unwrap();
        (example.bytes, example.trust)
    })
}
