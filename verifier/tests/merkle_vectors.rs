//! The Merkle log against outside references: every transparency-dev/merkle proof vector in
//! `testdata/merkle`, and rs_merkle 1.5 (with an RFC 6962 hasher) for roots and single-leaf
//! proofs.
//!
//! Each vector's verdict (accepted, or the error that rejects it) is recorded in
//! `testdata/merkle/pactum-verdicts.txt`, so a case that starts failing for a different reason
//! shows up in review; refresh it with `UPDATE_EXPECT=1 cargo test -p verifier --test
//! merkle_vectors`.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;
use verifier::merkle::{
    self, hash_from_slice, leaf_hash, node_hash, verify_consistency, verify_inclusion, Hash,
    MemoryStore, MerkleLog, ProofError,
};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/merkle")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InclusionCase {
    leaf_idx: u64,
    tree_size: u64,
    root: String,
    leaf_hash: String,
    proof: Option<Vec<String>>,
    desc: String,
    want_err: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyCase {
    size1: u64,
    size2: u64,
    root1: String,
    root2: String,
    proof: Option<Vec<String>>,
    desc: String,
    #[serde(rename = "wantErr")]
    want_err: bool,
}

/// Decodes a base64 hash from a vector. The upstream vectors use short ASCII placeholders
/// ("don't care 1") for roots that only the size checks look at; a typed 32-byte API cannot
/// take them, so a placeholder stands for a SHA-256 of its text, which keeps equal placeholders
/// equal and distinct ones distinct. Any other length is a decoding error, i.e. a rejection.
fn hash(field: &str) -> Result<Hash, String> {
    decode(field, "", Decoding::Strict)
}

/// How values that are not 32 bytes long are treated.
#[derive(Clone, Copy)]
enum Decoding {
    /// Rejected (only the placeholders stand for their SHA-256): what a typed API does.
    Strict,
    /// Replaced by a stand-in hash of the field's name and value, so that the case still
    /// reaches the proof verifier: a second opinion showing that its own checks reject the
    /// case too. (Tagging with the field keeps two garbage values in different fields, such
    /// as an empty root and an empty leaf, from becoming equal.)
    Lenient,
}

fn decode(field: &str, name: &str, decoding: Decoding) -> Result<Hash, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(field)
        .map_err(|error| format!("bad base64: {error}"))?;
    if bytes.starts_with(b"don't care") {
        return Ok(pactum_canonical::sha256(&bytes));
    }
    if matches!(decoding, Decoding::Lenient) && bytes.len() != 32 {
        let mut tagged = format!("stand-in for {name}: ").into_bytes();
        tagged.extend_from_slice(&bytes);
        return Ok(pactum_canonical::sha256(&tagged));
    }
    hash_from_slice(&bytes).map_err(|error: ProofError| format!("{error:?}"))
}

fn proof(fields: &Option<Vec<String>>) -> Result<Vec<Hash>, String> {
    proof_with(fields, Decoding::Strict)
}

fn proof_with(fields: &Option<Vec<String>>, decoding: Decoding) -> Result<Vec<Hash>, String> {
    fields
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, field)| decode(field, &format!("proof[{i}]"), decoding))
        .collect()
}

/// The verdict on one case, as recorded in the expectation file.
fn verdict(result: Result<(), String>) -> String {
    match result {
        Ok(()) => "accepted".to_string(),
        Err(error) => format!("rejected: {error}"),
    }
}

fn inclusion_verdict(case: &InclusionCase, decoding: Decoding) -> Result<(), String> {
    let leaf = decode(&case.leaf_hash, "leaf", decoding)?;
    let root = decode(&case.root, "root", decoding)?;
    let proof = proof_with(&case.proof, decoding)?;
    verify_inclusion(&leaf, case.leaf_idx, case.tree_size, &proof, &root)
        .map_err(|error| format!("{error:?}"))
}

fn consistency_verdict(case: &ConsistencyCase, decoding: Decoding) -> Result<(), String> {
    let root1 = decode(&case.root1, "root1", decoding)?;
    let root2 = decode(&case.root2, "root2", decoding)?;
    let proof = proof_with(&case.proof, decoding)?;
    verify_consistency(case.size1, case.size2, &root1, &root2, &proof)
        .map_err(|error| format!("{error:?}"))
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read test data directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Compares `actual` with the file `expect`, or rewrites the file with UPDATE_EXPECT=1.
fn check(actual: &str, expect: &Path) {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(expect, actual).expect("write expectation");
        return;
    }
    let expected = std::fs::read_to_string(expect).unwrap_or_default();
    assert!(
        expected == actual,
        "verdicts differ from {} (UPDATE_EXPECT=1 refreshes it):\n{}",
        expect.display(),
        diff(&expected, actual)
    );
}

fn diff(expected: &str, actual: &str) -> String {
    let expected: Vec<&str> = expected.lines().collect();
    let actual: Vec<&str> = actual.lines().collect();
    let mut out = String::new();
    for line in &expected {
        if !actual.contains(line) {
            out.push_str(&format!("- {line}\n"));
        }
    }
    for line in &actual {
        if !expected.contains(line) {
            out.push_str(&format!("+ {line}\n"));
        }
    }
    out
}

#[test]
fn every_vector_is_honoured() {
    let root = testdata();
    let mut report = String::new();
    let (mut accepted, mut rejected) = (0, 0);
    for (kind, files) in [
        ("inclusion", json_files(&root.join("inclusion"))),
        ("consistency", json_files(&root.join("consistency"))),
    ] {
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read vector");
            let (result, lenient, want_err, desc) = if kind == "inclusion" {
                let case: InclusionCase = serde_json::from_str(&text).expect("inclusion case");
                (
                    inclusion_verdict(&case, Decoding::Strict),
                    inclusion_verdict(&case, Decoding::Lenient),
                    case.want_err,
                    case.desc,
                )
            } else {
                let case: ConsistencyCase = serde_json::from_str(&text).expect("consistency case");
                (
                    consistency_verdict(&case, Decoding::Strict),
                    consistency_verdict(&case, Decoding::Lenient),
                    case.want_err,
                    case.desc,
                )
            };
            let name = file.strip_prefix(&root).expect("under testdata").display();
            assert_eq!(
                result.is_err(),
                want_err,
                "{name} ({desc}): wantErr={want_err} but {}",
                verdict(result.clone())
            );
            assert_eq!(
                lenient.is_err(),
                want_err,
                "{name} ({desc}): with short values hashed, {}",
                verdict(lenient)
            );
            if want_err {
                rejected += 1;
            } else {
                accepted += 1;
            }
            report.push_str(&format!("{name}: {}\n", verdict(result)));
        }
    }
    // Guards against a test data folder that silently went missing or shrank.
    assert_eq!((accepted, rejected), (12, 184));
    check(&report, &root.join("pactum-verdicts.txt"));
}

/// RFC 6962 hashing for rs_merkle: leaves are inserted already hashed with the 0x00 prefix,
/// interior nodes get the 0x01 prefix, and a node without right sibling is promoted.
#[derive(Clone)]
struct Rfc6962;

impl rs_merkle::Hasher for Rfc6962 {
    type Hash = [u8; 32];

    fn hash(data: &[u8]) -> [u8; 32] {
        pactum_canonical::sha256(data)
    }

    fn concat_and_hash(left: &[u8; 32], right: Option<&[u8; 32]>) -> [u8; 32] {
        match right {
            Some(right) => node_hash(left, right),
            None => *left,
        }
    }
}

fn leaf(i: u64) -> Hash {
    leaf_hash(format!("entry {i}").as_bytes())
}

fn log_of(size: u64) -> MerkleLog<MemoryStore> {
    let mut log = MerkleLog::new(MemoryStore::new());
    log.append_batch((0..size).map(|i| format!("entry {i}")))
        .expect("append");
    log
}

#[test]
fn roots_and_single_leaf_proofs_match_rs_merkle() {
    let log = log_of(70);
    let leaves: Vec<Hash> = (0..70).map(leaf).collect();
    for size in 1..=70u64 {
        let tree = rs_merkle::MerkleTree::<Rfc6962>::from_leaves(&leaves[..size as usize]);
        assert_eq!(tree.root(), Some(log.root_at(size).unwrap()), "size {size}");
        for index in 0..size {
            let ours = log.inclusion_proof(index, size).unwrap();
            let theirs = tree.proof(&[index as usize]);
            assert_eq!(theirs.proof_hashes(), ours.as_slice(), "{index} in {size}");
        }
    }
}

#[test]
fn roots_match_rs_merkle_at_random_sizes() {
    // A fixed xorshift sequence: "random" sizes that are the same on every run.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut sizes: Vec<u64> = (0..12)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            1 + state % 5000
        })
        .collect();
    sizes.extend([1023, 1024, 1025, 4095, 4096, 4097]);
    let largest = *sizes.iter().max().unwrap();
    let log = log_of(largest);
    let leaves: Vec<Hash> = (0..largest).map(leaf).collect();
    for size in sizes {
        let tree = rs_merkle::MerkleTree::<Rfc6962>::from_leaves(&leaves[..size as usize]);
        assert_eq!(tree.root(), Some(log.root_at(size).unwrap()), "size {size}");
    }
}

#[test]
fn known_answer_roots() {
    // RFC 6962's reference tree (leaves from the Certificate Transparency test suite), as in
    // the transparency-dev/merkle tests: the roots at sizes 1 through 8.
    let data: [&[u8]; 8] = [
        b"",
        &[0x00],
        &[0x10],
        &[0x20, 0x21],
        &[0x30, 0x31],
        &[0x40, 0x41, 0x42, 0x43],
        &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        &[
            0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
            0x6e, 0x6f,
        ],
    ];
    let mut log = MerkleLog::new(MemoryStore::new());
    log.append_batch(data).unwrap();
    // Root at size 8 is the root of every size-8 case in the vectors (e.g. inclusion/1).
    let root8 = hash("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=").unwrap();
    assert_eq!(log.root().unwrap(), root8);
    assert_eq!(log.root_at(0).unwrap(), merkle::EMPTY_ROOT);
    // Leaf 0 is the empty string: its hash is the "leafHash" of inclusion/1.
    assert_eq!(
        leaf_hash(b""),
        hash("bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=").unwrap()
    );
    // The happy-path proof of inclusion/1 is exactly what the log generates.
    let expected: Vec<Hash> = [
        "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=",
        "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
        "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=",
    ]
    .iter()
    .map(|field| hash(field).unwrap())
    .collect();
    assert_eq!(log.inclusion_proof(0, 8).unwrap(), expected);
}

#[test]
fn generated_proofs_reproduce_every_happy_path_vector() {
    // The vectors' trees are the 8-leaf reference tree above; every happy-path proof in them
    // should be the one the log produces for the same sizes.
    let data: [&[u8]; 8] = [
        b"",
        &[0x00],
        &[0x10],
        &[0x20, 0x21],
        &[0x30, 0x31],
        &[0x40, 0x41, 0x42, 0x43],
        &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
        &[
            0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d,
            0x6e, 0x6f,
        ],
    ];
    let mut log = MerkleLog::new(MemoryStore::new());
    log.append_batch(data).unwrap();
    let root = testdata();
    let mut checked = 0;
    for file in json_files(&root.join("inclusion")) {
        if !file.ends_with("happy-path.json") {
            continue;
        }
        let case: InclusionCase =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        if case.tree_size > 8 || hash(&case.root).unwrap() != log.root_at(case.tree_size).unwrap() {
            continue;
        }
        let generated = log.inclusion_proof(case.leaf_idx, case.tree_size).unwrap();
        assert_eq!(generated, proof(&case.proof).unwrap(), "{}", file.display());
        checked += 1;
    }
    for file in json_files(&root.join("consistency")) {
        if !file.ends_with("happy-path.json") {
            continue;
        }
        let case: ConsistencyCase =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        if case.size2 > 8 || hash(&case.root2).unwrap() != log.root_at(case.size2).unwrap() {
            continue;
        }
        let generated = log.consistency_proof(case.size1, case.size2).unwrap();
        assert_eq!(generated, proof(&case.proof).unwrap(), "{}", file.display());
        checked += 1;
    }
    assert!(
        checked >= 8,
        "only {checked} happy paths matched the reference tree"
    );
}
