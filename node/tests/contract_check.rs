//! The contract check is one function: a table of contracts, each given to a party's node as it
//! opens an order (`Opening::admit`, with the node's own programs in a real store) and to the
//! customer's verifier inside a bundle (`verify_bundle`), must get the same answer from both —
//! the same accepted contract, or the same [`ContractError`]. The outcomes are kept in
//! `tests/data/contract_check.expect` (refresh with UPDATE_EXPECT=1).

use std::collections::BTreeMap;
use std::sync::Arc;

use contract_lang::value::Value;
use pactum_node::durable::Store;
use pactum_node::engine::opening::Opening;
use pactum_node::engine::order::Refusal;
use pactum_node::engine::programs::Programs;
use pactum_node::engine::protocol_core::ProtocolConfig;
use pactum_node::metrics::Metrics;
use verifier::bundle::build::{example, Example, ExampleKeys};
use verifier::bundle::format::sources_hash;
use verifier::bundle::{verify_bundle, Source, Trust, VerifyError, VerifyOptions};
use verifier::model::{Contract, Digest, SignedContract};
use verifier::state::ContractError;

/// One contract of the table: the example's contract and sources after `change`, signed by
/// the roles `sign` names with the keys it names.
struct Case {
    name: &'static str,
    change: fn(&mut Contract, &mut Vec<Source>),
    sign: fn(&ExampleKeys) -> Vec<(&'static str, verifier::sign::SigningKey)>,
}

fn both_parties(keys: &ExampleKeys) -> Vec<(&'static str, verifier::sign::SigningKey)> {
    vec![
        ("seller", keys.seller.clone()),
        ("buyer", keys.buyer.clone()),
    ]
}

fn unchanged(_: &mut Contract, _: &mut Vec<Source>) {}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "the contract as the parties signed it",
            change: unchanged,
            sign: both_parties,
        },
        Case {
            name: "the sequencer is not a party",
            change: |contract, _| contract.sequencer = "carrier".into(),
            sign: both_parties,
        },
        Case {
            name: "no parties",
            change: |contract, _| contract.parties.clear(),
            sign: |_| Vec::new(),
        },
        Case {
            name: "a clause the sources do not define",
            change: |contract, _| {
                let mut binding = contract.clauses[0].clone();
                binding.name = "express_refund_v9".into();
                contract.clauses.push(binding);
            },
            sign: both_parties,
        },
        Case {
            name: "a clause id that is not the compiled one",
            change: |contract, _| contract.clauses[0].id = Digest::of(b"another clause"),
            sign: both_parties,
        },
        Case {
            name: "a clause bound twice",
            change: |contract, _| {
                let binding = contract.clauses[0].clone();
                contract.clauses.push(binding);
            },
            sign: both_parties,
        },
        Case {
            name: "a parameter the clause does not have",
            change: |contract, _| {
                let params = &mut contract.clauses[0].params;
                params.insert("no_such_param".into(), Value::Bool(true));
            },
            sign: both_parties,
        },
        Case {
            name: "the contract names other sources (program hash)",
            change: |contract, _| contract.sources = Digest::of(b"other sources"),
            sign: both_parties,
        },
        Case {
            name: "a clause text edited after signing",
            change: |_, sources| {
                let last = sources.len() - 1;
                sources[last].text.push_str("\n// edited\n");
            },
            sign: both_parties,
        },
        Case {
            name: "sources that do not compile, named by their hash",
            change: |contract, sources| {
                let last = sources.len() - 1;
                sources[last].text = "clause broken {".into();
                contract.sources = sources_hash(sources).unwrap();
            },
            sign: both_parties,
        },
        Case {
            name: "a breaker window of zero seconds",
            change: |contract, _| contract.breaker.window_seconds = 0,
            sign: both_parties,
        },
        Case {
            name: "a negative breaker window",
            change: |contract, _| contract.breaker.window_seconds = -3_600,
            sign: both_parties,
        },
        Case {
            name: "a genesis time after the year 9999",
            change: |contract, _| contract.genesis_at = i64::MAX,
            sign: both_parties,
        },
        Case {
            name: "initial terms of the wrong type",
            change: |contract, _| {
                for value in contract.terms.values_mut() {
                    *value = Value::Bool(true);
                }
            },
            sign: both_parties,
        },
        Case {
            name: "an attester granted an event kind the vocabulary lacks",
            change: |contract, _| {
                contract.attesters[0]
                    .kinds
                    .push("shipment.teleported".into())
            },
            sign: both_parties,
        },
        Case {
            name: "one attester key granted twice",
            change: |contract, _| {
                let mut grant = contract.attesters[0].clone();
                grant.name = "twin".into();
                contract.attesters.push(grant);
            },
            sign: both_parties,
        },
        Case {
            name: "the buyer did not sign",
            change: unchanged,
            sign: |keys| vec![("seller", keys.seller.clone())],
        },
        Case {
            name: "the buyer's signature made with another key",
            change: unchanged,
            sign: |keys| {
                vec![
                    ("seller", keys.seller.clone()),
                    ("buyer", keys.weather.clone()),
                ]
            },
        },
        Case {
            name: "someone who is not a party signed too",
            change: unchanged,
            sign: |keys| {
                let mut signers = both_parties(keys);
                signers.push(("carrier", keys.carrier.clone()));
                signers
            },
        },
    ]
}

/// The case's signed contract and sources.
fn contract_of(example: &Example, case: &Case) -> (SignedContract, Vec<Source>) {
    let mut contract = example.bundle.contract.contract().unwrap();
    let mut sources = example.bundle.sources.clone();
    (case.change)(&mut contract, &mut sources);
    let mut signed = SignedContract::unsigned(&contract).unwrap();
    for (role, key) in (case.sign)(&example.keys) {
        signed.sign(role, &key);
    }
    (signed, sources)
}

/// What a party's node says when it opens the order: `None` for admitted.
fn at_the_node(
    programs: &Arc<Programs>,
    keys: &ExampleKeys,
    signed: &SignedContract,
    sources: &[Source],
) -> Option<ContractError> {
    let me = keys.seller.public_key();
    let config = ProtocolConfig::default();
    match Opening::admit(config, signed, sources, programs.clone(), &me) {
        Ok(_) => None,
        Err(Refusal::Checked(error)) => Some(error),
        Err(other) => panic!("the node refused otherwise than by the contract check: {other}"),
    }
}

/// What the customer's verifier says of the example bundle carrying the case's contract:
/// `None` for a contract it accepts.
fn at_the_verifier(
    example: &Example,
    signed: SignedContract,
    sources: Vec<Source>,
) -> Option<ContractError> {
    let mut bundle = example.bundle.clone();
    bundle.contract = signed;
    bundle.sources = sources;
    // The contract's own checks only: no keys pinned by a trust file.
    let trust = Trust {
        log: example.trust.log.clone(),
        parties: BTreeMap::new(),
    };
    match verify_bundle(
        &bundle.to_bytes().unwrap(),
        &trust,
        &VerifyOptions::default(),
    ) {
        Err(VerifyError::Contract(error)) => Some(error),
        // The unchanged contract verifies; any other contract is a new order, whose entries
        // then fail step 4.
        Ok(_) | Err(VerifyError::Entry { .. }) => None,
        Err(other) => panic!("the verifier refused otherwise than by the contract check: {other}"),
    }
}

#[test]
fn the_node_and_the_verifier_refuse_the_same_contracts_with_the_same_error() {
    let example = example().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let programs = Arc::new(Programs::new(store, Arc::new(Metrics::new()), None));
    let mut lines = Vec::new();
    for case in cases() {
        let (signed, sources) = contract_of(&example, &case);
        let node = at_the_node(&programs, &example.keys, &signed, &sources);
        let verifier = at_the_verifier(&example, signed, sources);
        assert_eq!(
            node, verifier,
            "{}: the node and the verifier disagree",
            case.name
        );
        lines.push(match node {
            None => format!("{}: accepted", case.name),
            Some(error) => {
                let error = VerifyError::Contract(error);
                format!("{}: {} — {error}", case.name, error.code())
            }
        });
    }
    check_expect(
        "tests/data/contract_check.expect",
        &(lines.join("\n") + "\n"),
    );
}

/// Compares `actual` with the file at `path`, or rewrites it under `UPDATE_EXPECT`.
fn check_expect(path: &str, actual: &str) {
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
