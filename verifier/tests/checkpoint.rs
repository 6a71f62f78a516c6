//! Checkpoints end to end: interoperability with published C2SP data, the log → sign → cosign
//! → verify round trip, and a table of tampered notes, each rejected with its own error.

use base64::Engine as _;
use proptest::prelude::*;
use verifier::checkpoint::{
    cosign, sign_checkpoint, sign_note, Checkpoint, NoteError, NoteSignature, NoteVerifierKey,
    SignedNote, TrustPolicy,
};
use verifier::merkle::{verify_consistency, MemoryStore, MerkleLog};
use verifier::sign::SigningKey;

/// golang.org/x/mod/sumdb/note's documented example: its signer key is type byte 0x01 followed
/// by the Ed25519 seed. Ed25519 is deterministic, so signing must reproduce Go's note exactly.
#[test]
fn go_sumdb_note_example_is_reproduced_byte_for_byte() {
    let signer_key = base64::engine::general_purpose::STANDARD
        .decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
        .unwrap();
    assert_eq!(signer_key[0], 0x01);
    let key = SigningKey::from_seed(signer_key[1..].try_into().unwrap());
    let text = "If you think cryptography is the answer to your problem,\n\
                then you don't know what your problem is.\n";
    let expected = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n\
                    \n\
                    \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    let signature = sign_note(text, "PeterNeumann", &key).unwrap();
    let note = SignedNote::new(text, vec![signature]).unwrap();
    assert_eq!(note.to_text(), expected);

    let vkey = NoteVerifierKey::parse(
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    )
    .unwrap();
    assert_eq!(
        NoteVerifierKey::log("PeterNeumann", key.public_key()).unwrap(),
        vkey
    );
    let parsed = SignedNote::parse(expected).unwrap();
    let verified = parsed.verify(std::slice::from_ref(&vkey)).unwrap();
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0].key, vkey);
    assert_eq!(verified[0].timestamp, None);
}

/// A checkpoint of a public CT log (arche2025h1, staging) with cosignatures from public C2SP
/// witnesses, as published in the test suite of a C2SP checkpoint library. It mixes line types
/// Pactum does not support (an RFC 6962 tree head signature, type 0x05, under the log's own
/// name), which must be ignored.
const PUBLIC_CHECKPOINT: &str = "arche2025h1.staging.ct.transparency.dev
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

\u{2014} arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
\u{2014} arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
\u{2014} transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
\u{2014} witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==
\u{2014} remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
\u{2014} witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==
";

const PUBLIC_LOG_KEY: &str =
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f";
const PUBLIC_WITNESS_KEYS: [&str; 4] = [
    "transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
    "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    "witness.stagemole.eu+67f7aea0+BEqSG3yu9YrmcM3BHvQYTxwFj3uSWakQepafafpUqklv",
];

fn public_policy(min_witnesses: usize) -> TrustPolicy {
    TrustPolicy::new(
        NoteVerifierKey::parse(PUBLIC_LOG_KEY).unwrap(),
        PUBLIC_WITNESS_KEYS
            .iter()
            .map(|vkey| NoteVerifierKey::parse(vkey).unwrap())
            .collect(),
        min_witnesses,
    )
    .unwrap()
}

#[test]
fn published_cosigned_checkpoint_verifies() {
    let verified = public_policy(4).verify(PUBLIC_CHECKPOINT).unwrap();
    assert_eq!(verified.checkpoint.size(), 1432088532);
    assert_eq!(verified.cosignatures.len(), 4);
    for cosignature in &verified.cosignatures {
        // 0x6a122120: all four witnesses cosigned within the same second.
        assert_eq!(cosignature.timestamp, Some(0x6a12_2120));
    }
    // The note prints back byte for byte.
    assert_eq!(
        SignedNote::parse(PUBLIC_CHECKPOINT).unwrap().to_text(),
        PUBLIC_CHECKPOINT
    );
    // Any change to the tree size breaks the log's and every witness's signature.
    let tampered = PUBLIC_CHECKPOINT.replace("1432088532", "1432088533");
    assert_eq!(
        public_policy(0).verify(&tampered),
        Err(NoteError::InvalidSignature(
            "arche2025h1.staging.ct.transparency.dev".into()
        ))
    );
}

/// A log, its key, three witnesses, and a 2-of-3 policy.
struct Fixture {
    log: MerkleLog<MemoryStore>,
    log_key: SigningKey,
    witnesses: Vec<(String, SigningKey)>,
}

const ORIGIN: &str = "pactum.example/seller-node";

impl Fixture {
    fn new() -> Self {
        let mut log = MerkleLog::new(MemoryStore::new());
        log.append_batch((0..10).map(|i| format!("entry {i}")))
            .unwrap();
        Fixture {
            log,
            log_key: SigningKey::from_seed([1; 32]),
            witnesses: (0..3)
                .map(|i| {
                    (
                        format!("witness.example/w{i}"),
                        SigningKey::from_seed([10 + i; 32]),
                    )
                })
                .collect(),
        }
    }

    fn checkpoint(&self) -> Checkpoint {
        Checkpoint::new(ORIGIN, self.log.size(), self.log.root().unwrap()).unwrap()
    }

    fn policy(&self, min_witnesses: usize) -> TrustPolicy {
        let witnesses: Vec<(&str, _)> = self
            .witnesses
            .iter()
            .map(|(name, key)| (name.as_str(), key.public_key()))
            .collect();
        TrustPolicy::from_keys(ORIGIN, self.log_key.public_key(), &witnesses, min_witnesses)
            .unwrap()
    }

    /// The checkpoint signed by the log and cosigned by the first `cosigners` witnesses.
    fn note(&self, cosigners: usize) -> SignedNote {
        let checkpoint = self.checkpoint();
        let mut note = sign_checkpoint(&checkpoint, &self.log_key).unwrap();
        for (i, (name, key)) in self.witnesses.iter().take(cosigners).enumerate() {
            let line = cosign(&checkpoint, name, key, 1_700_000_000 + i as u64).unwrap();
            note.push_signature(line).unwrap();
        }
        note
    }
}

#[test]
fn signed_and_cosigned_checkpoint_verifies() {
    let fixture = Fixture::new();
    let text = fixture.note(3).to_text();
    let verified = fixture.policy(2).verify(&text).unwrap();
    assert_eq!(verified.checkpoint, fixture.checkpoint());
    assert_eq!(verified.cosignatures.len(), 3);
    assert_eq!(
        verified.cosignatures[1].timestamp,
        Some(1_700_000_001),
        "timestamps are reported per witness"
    );
    assert_eq!(verified.cosignatures[1].key.name(), "witness.example/w1");

    // Two of three is enough for a 2-of-3 policy; one is not.
    assert!(fixture.policy(2).verify(&fixture.note(2).to_text()).is_ok());
    assert_eq!(
        fixture.policy(2).verify(&fixture.note(1).to_text()),
        Err(NoteError::NotEnoughWitnesses {
            verified: 1,
            required: 2
        })
    );
    // A 0-of-n policy trusts the log alone.
    assert!(fixture.policy(0).verify(&fixture.note(0).to_text()).is_ok());
}

#[test]
fn witness_flow_with_consistency_between_checkpoints() {
    let mut fixture = Fixture::new();
    let policy = fixture.policy(1);
    let old = policy
        .verify(&fixture.note(1).to_text())
        .unwrap()
        .checkpoint;
    fixture
        .log
        .append_batch((10..25).map(|i| format!("entry {i}")))
        .unwrap();
    let new_note = sign_checkpoint(&fixture.checkpoint(), &fixture.log_key).unwrap();

    // The witness checks the log's signature and the consistency proof, then cosigns.
    let (name, key) = &fixture.witnesses[0];
    let log_only = TrustPolicy::new(policy.log_key().clone(), vec![], 0).unwrap();
    let new = log_only.verify_note(&new_note).unwrap().checkpoint;
    let proof = fixture
        .log
        .consistency_proof(old.size(), new.size())
        .unwrap();
    verify_consistency(old.size(), new.size(), old.root(), new.root(), &proof).unwrap();
    let mut note = new_note.clone();
    note.push_signature(cosign(&new, name, key, 1_700_000_100).unwrap())
        .unwrap();
    assert_eq!(policy.verify_note(&note).unwrap().checkpoint.size(), 25);
}

/// One way to tamper with a valid note, and the error it must produce.
struct Tamper {
    name: &'static str,
    apply: fn(&Fixture, String) -> String,
    error: NoteError,
}

fn replace_line(text: &str, line: usize, with: &str) -> String {
    let mut lines: Vec<&str> = text.split('\n').collect();
    lines[line] = with;
    lines.join("\n")
}

fn line(text: &str, number: usize) -> String {
    text.split('\n').nth(number).unwrap().to_string()
}

fn tampers() -> Vec<Tamper> {
    vec![
        Tamper {
            name: "size changed",
            apply: |_, note| replace_line(&note, 1, "11"),
            error: NoteError::InvalidSignature(ORIGIN.into()),
        },
        Tamper {
            name: "root changed",
            apply: |_, note| replace_line(&note, 2, "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="),
            error: NoteError::InvalidSignature(ORIGIN.into()),
        },
        Tamper {
            name: "origin changed",
            apply: |_, note| replace_line(&note, 0, "pactum.example/other-node"),
            error: NoteError::WrongOrigin {
                expected: ORIGIN.into(),
                found: "pactum.example/other-node".into(),
            },
        },
        Tamper {
            name: "extension line added",
            apply: |_, note| note.replacen("=\n\n", "=\nextra\n\n", 1),
            error: NoteError::InvalidSignature(ORIGIN.into()),
        },
        Tamper {
            name: "signed by another key under the log's name",
            apply: |fixture, _| {
                let impostor = SigningKey::from_seed([99; 32]);
                let mut note = sign_checkpoint(&fixture.checkpoint(), &impostor).unwrap();
                for (name, key) in &fixture.witnesses {
                    note.push_signature(cosign(&fixture.checkpoint(), name, key, 5).unwrap())
                        .unwrap();
                }
                note.to_text()
            },
            error: NoteError::MissingLogSignature,
        },
        Tamper {
            name: "log signature line removed",
            apply: |_, note| {
                let log_line = line(&note, 4);
                note.replacen(&format!("{log_line}\n"), "", 1)
            },
            error: NoteError::MissingLogSignature,
        },
        Tamper {
            name: "log signature bit flipped",
            apply: |_, note| {
                let log_line = line(&note, 4);
                let (head, encoded) = log_line.rsplit_once(' ').unwrap();
                let mut blob = base64::engine::general_purpose::STANDARD
                    .decode(encoded)
                    .unwrap();
                blob[10] ^= 1;
                let flipped = format!(
                    "{head} {}",
                    base64::engine::general_purpose::STANDARD.encode(blob)
                );
                note.replacen(&log_line, &flipped, 1)
            },
            error: NoteError::InvalidSignature(ORIGIN.into()),
        },
        Tamper {
            name: "log signature line duplicated",
            apply: |_, note| {
                let log_line = line(&note, 4);
                format!("{note}{log_line}\n")
            },
            error: NoteError::DuplicateSignature(ORIGIN.into()),
        },
        Tamper {
            name: "witness cosignature duplicated",
            apply: |_, note| {
                let witness_line = line(&note, 5);
                format!("{note}{witness_line}\n")
            },
            error: NoteError::DuplicateSignature("witness.example/w0".into()),
        },
        Tamper {
            name: "cosignature timestamp changed",
            apply: |fixture, note| {
                let (name, key) = &fixture.witnesses[0];
                let genuine = cosign(&fixture.checkpoint(), name, key, 1_700_000_000).unwrap();
                let mut bytes = genuine.signature().to_vec();
                bytes[7] ^= 1;
                let forged = NoteSignature::new(name, genuine.key_id(), bytes).unwrap();
                note.replacen(&genuine.to_line(), &forged.to_line(), 1)
            },
            error: NoteError::InvalidSignature("witness.example/w0".into()),
        },
        Tamper {
            name: "cosignature timestamp beyond 2^63 - 1",
            apply: |fixture, note| {
                let (name, key) = &fixture.witnesses[0];
                let genuine = cosign(&fixture.checkpoint(), name, key, 1_700_000_000).unwrap();
                let mut bytes = genuine.signature().to_vec();
                bytes[0] = 0x80;
                let forged = NoteSignature::new(name, genuine.key_id(), bytes).unwrap();
                note.replacen(&genuine.to_line(), &forged.to_line(), 1)
            },
            error: NoteError::TimestampTooLarge(0x8000_0000_6553_f100),
        },
        Tamper {
            name: "cosignature of a different checkpoint",
            apply: |fixture, note| {
                let (name, key) = &fixture.witnesses[1];
                let genuine = cosign(&fixture.checkpoint(), name, key, 1_700_000_001).unwrap();
                let other = Checkpoint::new(ORIGIN, 9, fixture.log.root_at(9).unwrap()).unwrap();
                let stale = cosign(&other, name, key, 1_700_000_001).unwrap();
                note.replacen(&genuine.to_line(), &stale.to_line(), 1)
            },
            error: NoteError::InvalidSignature("witness.example/w1".into()),
        },
        Tamper {
            name: "witness lines replaced by unknown cosigners",
            apply: |fixture, note| {
                let mut lines: Vec<String> = note.lines().take(5).map(String::from).collect();
                for i in 0..3u8 {
                    let stranger = SigningKey::from_seed([50 + i; 32]);
                    let name = format!("stranger.example/s{i}");
                    lines.push(
                        cosign(&fixture.checkpoint(), &name, &stranger, 7)
                            .unwrap()
                            .to_line(),
                    );
                }
                lines.join("\n") + "\n"
            },
            error: NoteError::NotEnoughWitnesses {
                verified: 0,
                required: 2,
            },
        },
        Tamper {
            name: "a witness's key cosigning under another witness's name",
            apply: |fixture, note| {
                // Same name, different key ID: an unknown key, ignored; w0 alone remains.
                let (_, key) = &fixture.witnesses[2];
                let (name, _) = &fixture.witnesses[1];
                let lines: Vec<String> = note.lines().take(6).map(String::from).collect();
                let mut lines = lines;
                lines.push(
                    cosign(&fixture.checkpoint(), name, key, 7)
                        .unwrap()
                        .to_line(),
                );
                lines.join("\n") + "\n"
            },
            error: NoteError::NotEnoughWitnesses {
                verified: 1,
                required: 2,
            },
        },
        Tamper {
            name: "trailing garbage",
            apply: |_, note| format!("{note}garbage\n"),
            error: NoteError::MalformedSignatureLine(5),
        },
        Tamper {
            name: "blank line removed",
            apply: |_, note| note.replacen("=\n\n", "=\n", 1),
            error: NoteError::NoSignatureBlock,
        },
        Tamper {
            name: "carriage returns",
            apply: |_, note| note.replace('\n', "\r\n"),
            error: NoteError::ControlCharacter,
        },
        Tamper {
            name: "truncated",
            apply: |_, note| note[..note.len() - 10].to_string(),
            error: NoteError::MissingFinalNewline,
        },
    ]
}

#[test]
fn every_tampered_note_is_rejected_with_its_own_error() {
    let fixture = Fixture::new();
    let policy = fixture.policy(2);
    let valid = fixture.note(3).to_text();
    assert!(policy.verify(&valid).is_ok());
    for tamper in tampers() {
        let tampered = (tamper.apply)(&fixture, valid.clone());
        assert_ne!(tampered, valid, "{}: nothing changed", tamper.name);
        assert_eq!(
            policy.verify(&tampered).map(|_| ()),
            Err(tamper.error),
            "{}",
            tamper.name
        );
    }
}

#[test]
fn unknown_signers_are_ignored_not_counted() {
    let fixture = Fixture::new();
    let mut note = fixture.note(2);
    let stranger = SigningKey::from_seed([77; 32]);
    note.push_signature(cosign(&fixture.checkpoint(), "stranger.example", &stranger, 1).unwrap())
        .unwrap();
    // A line of a type Pactum does not know, under a witness's name.
    note.push_signature(
        NoteSignature::new("witness.example/w2", 0xdeadbeef, vec![0; 100]).unwrap(),
    )
    .unwrap();
    let verified = fixture.policy(2).verify(&note.to_text()).unwrap();
    assert_eq!(verified.cosignatures.len(), 2);
    assert_eq!(
        fixture.policy(3).verify(&note.to_text()).map(|_| ()),
        Err(NoteError::NotEnoughWitnesses {
            verified: 2,
            required: 3
        })
    );
}

#[test]
fn policies_that_could_miscount_are_refused() {
    let fixture = Fixture::new();
    let log = NoteVerifierKey::log(ORIGIN, fixture.log_key.public_key()).unwrap();
    let w = |i: usize| {
        NoteVerifierKey::witness(&fixture.witnesses[i].0, fixture.witnesses[i].1.public_key())
            .unwrap()
    };
    let invalid = |reason| Err(NoteError::InvalidPolicy(reason));
    assert_eq!(
        TrustPolicy::new(log.clone(), vec![w(0), w(1)], 3),
        invalid("more witnesses required than listed")
    );
    assert_eq!(
        TrustPolicy::new(log.clone(), vec![w(0), w(0)], 1),
        invalid("a witness is listed twice")
    );
    let same_key_other_name =
        NoteVerifierKey::witness("alias.example", fixture.witnesses[0].1.public_key()).unwrap();
    assert_eq!(
        TrustPolicy::new(log.clone(), vec![w(0), same_key_other_name], 1),
        invalid("a witness is listed twice")
    );
    assert_eq!(
        TrustPolicy::new(w(0), vec![], 0),
        invalid("the log key must be an Ed25519 key")
    );
    assert_eq!(
        TrustPolicy::new(log.clone(), vec![log.clone()], 0),
        invalid("witness keys must be cosignature/v1 keys")
    );
    let log_as_witness = NoteVerifierKey::witness(ORIGIN, fixture.log_key.public_key()).unwrap();
    assert_eq!(
        TrustPolicy::new(log.clone(), vec![log_as_witness], 0),
        invalid("the log cannot witness itself")
    );

    // The policy serializes as vkey strings and is checked again when read.
    let policy = fixture.policy(2);
    let json = serde_json::to_string(&policy).unwrap();
    assert!(json.contains(&policy.log_key().to_string()));
    assert_eq!(serde_json::from_str::<TrustPolicy>(&json).unwrap(), policy);
    let unsatisfiable = json.replace("\"min_witnesses\":2", "\"min_witnesses\":4");
    assert!(serde_json::from_str::<TrustPolicy>(&unsatisfiable).is_err());
}

#[test]
fn signing_refuses_what_could_not_be_verified() {
    let key = SigningKey::from_seed([3; 32]);
    assert_eq!(sign_note("", "k", &key), Err(NoteError::InvalidText));
    assert_eq!(
        sign_note("no newline", "k", &key),
        Err(NoteError::InvalidText)
    );
    assert_eq!(sign_note("nul\0\n", "k", &key), Err(NoteError::InvalidText));
    assert_eq!(
        sign_note("t\n", "has space", &key),
        Err(NoteError::InvalidKeyName("has space".into()))
    );
    let checkpoint = Checkpoint::new("log with space", 1, [0; 32]).unwrap();
    assert_eq!(
        sign_checkpoint(&checkpoint, &key),
        Err(NoteError::InvalidKeyName("log with space".into()))
    );
    let checkpoint = Checkpoint::new("log", 1, [0; 32]).unwrap();
    assert_eq!(
        cosign(&checkpoint, "w", &key, 1 << 63),
        Err(NoteError::TimestampTooLarge(1 << 63))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Random byte flips anywhere in a valid cosigned note: never a panic, never accepted.
    #[test]
    fn flipped_bytes_are_never_accepted(flips in proptest::collection::vec((any::<usize>(), 1u8..=255), 1..4)) {
        let fixture = Fixture::new();
        // Requiring every witness: a flip that turns a witness line into an unknown signer's
        // must not pass either.
        let policy = fixture.policy(3);
        let original = fixture.note(3).to_text().into_bytes();
        let mut bytes = original.clone();
        for (position, mask) in flips {
            let position = position % bytes.len();
            bytes[position] ^= mask;
        }
        // Flips of one byte can cancel out.
        prop_assume!(bytes != original);
        let result = SignedNote::parse_bytes(&bytes).and_then(|note| policy.verify_note(&note));
        prop_assert!(result.is_err());
    }
}
