//! `pactum-verify` end to end: exit codes (0 valid, 1 invalid, 2 usage or I/O), text in three
//! languages, JSON, the state directory (first sight, growth, rollback, fork) and equivocation.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use verifier::bundle::assemble::assemble;
use verifier::bundle::build::{example, Example, EXAMPLE_COSIGN_TIME};
use verifier::bundle::TrustFile;
use verifier::model::SignedEntry;

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pactum-verify"))
}

fn run(args: &[&str]) -> Output {
    binary().args(args).output().expect("pactum-verify runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A fresh directory under the target directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_trust(dir: &Path, example: &Example) -> PathBuf {
    let path = dir.join("trust.toml");
    std::fs::write(
        &path,
        TrustFile::from_trust(&example.trust).to_toml().unwrap(),
    )
    .unwrap();
    path
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn the_example_bundle_verifies_in_every_language_and_as_json() {
    let dir = scratch("cli-example");
    let bundle = dir.join("order.bundle");
    let trust = dir.join("trust.json");
    let output = run(&[
        "example-bundle",
        "-o",
        path(&bundle),
        "--trust-out",
        path(&trust),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");

    let json = |args: &[&str]| -> serde_json::Value {
        let output = run(args);
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let report = json(&[path(&bundle), "--trust", path(&trust), "--format", "json"]);
    let review = report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["kind"] == "review")
        .expect("the example has a review")
        .clone();
    let review_at = review["review"]["at"].as_str().unwrap().to_string();
    let review_seq = review["seq"].as_u64().unwrap();
    for (lang, verdict, tripped, reviewed) in [
        ("en", "VALID", "CIRCUIT BREAKER TRIPPED", "REVIEW"),
        ("zh", "有效", "演化熔断已触发", "审核"),
        ("de", "GÜLTIG", "SICHERUNG AUSGELÖST", "PRÜFUNG"),
    ] {
        let output = run(&[path(&bundle), "--trust", path(&trust), "--lang", lang]);
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        let text = stdout(&output);
        assert!(text.starts_with(verdict), "{lang}: {text}");
        assert!(text.contains(tripped), "{lang}: {text}");
        // The review's line shows when the parties decided.
        let line = format!("#{review_seq}  {review_at}  {reviewed}");
        assert!(text.contains(&line), "{lang}: {line} in {text}");
    }

    let output = run(&[path(&bundle), "--trust", path(&trust), "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["valid"], true);
    assert_eq!(json["timeline"].as_array().unwrap().len(), 10);
    assert_eq!(json["breaker"]["trips"], 1);
    // Native JSON, the same shapes as the node's API (verifier::json).
    assert_eq!(
        json["obligations"][0]["amount"],
        serde_json::json!({"amount": "5100.00", "currency": "EUR"})
    );
    assert_eq!(json["obligations"][0]["from"]["name"], "seller");
    assert_eq!(
        json["obligations"][0]["from"]["key"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    let tripped = &json["timeline"][6];
    assert_eq!(tripped["outcome"]["type"], "breaker_tripped");
    assert!(tripped["breaker_report_text"].is_string());
    assert_eq!(tripped["outcome"]["report"]["policy"]["window"], "P1D");
    let rules: Vec<u64> = json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|entry| {
            entry["outcome"]["effects"]["amendments"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|amendment| amendment["source"]["rule"].as_u64().unwrap())
        .collect();
    assert!(
        !rules.is_empty() && !rules.contains(&0),
        "rules count from 1: {rules:?}"
    );
}

#[test]
fn an_invalid_bundle_exits_1_naming_step_and_entry() {
    let dir = scratch("cli-invalid");
    let example = example().unwrap();
    let trust = write_trust(&dir, &example);
    let mut bundle = example.bundle.clone();
    let mut entries = bundle.decoded_entries().unwrap();
    let entry = &mut entries[4];
    let mut raw = entry.entry.signatures["seller"].to_bytes();
    raw[9] ^= 1;
    entry
        .entry
        .signatures
        .insert("seller".into(), verifier::sign::Signature::from_bytes(raw));
    bundle.set_entries(&entries).unwrap();
    let file = dir.join("bad.bundle");
    std::fs::write(&file, bundle.to_bytes().unwrap()).unwrap();

    let output = run(&[path(&file), "--trust", path(&trust)]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.starts_with("INVALID"), "{text}");
    assert!(
        text.contains("step 4") && text.contains("entry 4"),
        "{text}"
    );

    let output = run(&[path(&file), "--trust", path(&trust), "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["valid"], false);
    assert_eq!(json["step"], 4);
    assert_eq!(json["entry"], 4);
    assert_eq!(json["code"], "entry.PartySignature");
}

#[test]
fn usage_and_io_problems_exit_2() {
    let dir = scratch("cli-usage");
    let example = example().unwrap();
    let trust = write_trust(&dir, &example);
    let bundle = dir.join("order.bundle");
    std::fs::write(&bundle, &example.bytes).unwrap();
    let garbage = dir.join("garbage.toml");
    std::fs::write(&garbage, "this is [not a trust file").unwrap();
    let missing = dir.join("missing.bundle");

    assert_eq!(
        run(&[path(&missing), "--trust", path(&trust)])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&[path(&bundle)]).status.code(), Some(2), "no --trust");
    assert_eq!(
        run(&[path(&bundle), "--trust", path(&garbage)])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&[path(&bundle), "--trust", path(&trust), "--lang", "fr"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&["--no-such-flag"]).status.code(), Some(2));
    assert_eq!(run(&[]).status.code(), Some(2));
    assert_eq!(run(&["--help"]).status.code(), Some(0));
    // Bytes that are not a bundle are an invalid bundle, not a usage error.
    assert_eq!(
        run(&[path(&garbage), "--trust", path(&trust)])
            .status
            .code(),
        Some(1)
    );
}

/// The example's log grown by `more` other leaves, and the bundle proved against it, with a
/// consistency proof from the example's checkpoint size.
fn grown(example: &mut Example, more: &[&str]) -> Vec<u8> {
    let old = example.log.log.size();
    for data in more {
        example.log.append_other(data.as_bytes()).unwrap();
    }
    let note = example.log.checkpoint(EXAMPLE_COSIGN_TIME + 60).unwrap();
    assemble(
        &example.order.parts(),
        &example.leaves,
        &example.log.log,
        &note,
        ("seller", &example.keys.seller),
        &[old],
    )
    .unwrap()
    .to_bytes()
    .unwrap()
}

#[test]
fn the_state_directory_detects_rollback_and_fork() {
    let dir = scratch("cli-state");
    let state = dir.join("state");
    let mut example = example().unwrap();
    let trust = write_trust(&dir, &example);
    let write = |name: &str, bytes: &[u8]| {
        let file = dir.join(name);
        std::fs::write(&file, bytes).unwrap();
        file
    };
    let small = write("small.bundle", &example.bytes);
    let large = write("large.bundle", &grown(&mut example, &["x", "y"]));
    let mut other = verifier::bundle::build::example().unwrap();
    let forked = write("forked.bundle", &grown(&mut other, &["x", "z"]));
    let verify = |bundle: &Path| {
        let output = run(&[
            path(bundle),
            "--trust",
            path(&trust),
            "--state-dir",
            path(&state),
            "--format",
            "json",
        ]);
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        (output.status.code(), json)
    };

    let (code, json) = verify(&small);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["consistency"], "first_seen");
    let (code, json) = verify(&small);
    assert_eq!(
        (code, &json["consistency"]),
        (Some(0), &serde_json::json!("unchanged"))
    );
    let (code, json) = verify(&large);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["consistency"]["extended"]["from"], 13);

    // Back to the smaller checkpoint: a rollback, with both signed checkpoints as evidence.
    let (code, json) = verify(&small);
    assert_eq!(code, Some(1));
    assert_eq!(json["code"], "consistency.Rollback");
    assert_eq!(json["evidence"]["previous_size"], 15);
    assert_eq!(json["evidence"]["presented_size"], 13);
    assert!(json["evidence"]["previous"]
        .as_str()
        .unwrap()
        .contains("— pactum.example/log"));

    // Same size, different leaves: a fork.
    let (code, json) = verify(&forked);
    assert_eq!(code, Some(1));
    assert_eq!(json["code"], "consistency.Fork");

    // A larger log without a consistency proof from what was seen: accepted on the trusted
    // witnesses' cosignatures (each checks append-only before cosigning), and the report says
    // so.
    let mut third = verifier::bundle::build::example().unwrap();
    let mut bundle =
        verifier::bundle::Bundle::from_bytes(&grown(&mut third, &["x", "y", "w"])).unwrap();
    bundle.consistency.clear();
    let unproven = write("unproven.bundle", &bundle.to_bytes().unwrap());
    let (code, json) = verify(&unproven);
    assert_eq!(code, Some(0), "{json}");
    assert_eq!(json["consistency"]["extended"]["from"], 15);
    assert!(json["consistency"]["extended"]["basis"]["witnesses"].is_object());
}

#[test]
fn a_newer_head_beside_a_bundle_makes_it_stale() {
    let dir = scratch("cli-stale");
    let example = example().unwrap();
    let trust = write_trust(&dir, &example);
    let bundle = dir.join("order.bundle");
    std::fs::write(&bundle, &example.bytes).unwrap();
    let order = &example.order;
    let last = order.bodies().len() - 1;
    let head_of = |seq: u64| {
        let mut head = verifier::bundle::Head::for_entry(
            &order.bodies()[last],
            order.entries()[last].hash(),
            order.machine().contract().genesis_at,
            0,
        )
        .unwrap();
        head.seq = seq;
        verifier::bundle::SignedHead::sign(&head, "buyer", &example.keys.buyer)
            .unwrap()
            .to_bytes()
            .unwrap()
    };
    let current = dir.join("current.head");
    std::fs::write(&current, head_of(last as u64)).unwrap();
    let output = run(&[
        path(&bundle),
        "--trust",
        path(&trust),
        "--head",
        path(&current),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    // A head two entries further on: STALE, exit 3, the missing entries named.
    let newer = dir.join("newer.head");
    std::fs::write(&newer, head_of(last as u64 + 2)).unwrap();
    let output = run(&[
        path(&bundle),
        "--trust",
        path(&trust),
        "--head",
        path(&newer),
    ]);
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let text = stdout(&output);
    assert!(text.starts_with("STALE"), "{text}");
    assert!(
        text.contains(&format!(
            "entries #{} to #{} are missing",
            last + 1,
            last + 2
        )),
        "{text}"
    );
}

#[test]
fn equivocation_between_two_bundles_is_proven() {
    let dir = scratch("cli-equivocation");
    let example = example().unwrap();
    let first = dir.join("first.bundle");
    std::fs::write(&first, &example.bytes).unwrap();

    // The sequencer signs a different entry 4 for another audience.
    let mut bundle = example.bundle.clone();
    let mut entries = bundle.decoded_entries().unwrap();
    let entry = &mut entries[4];
    let mut body = entry.entry.entry().unwrap();
    body.state.0[0] ^= 1;
    let mut signed = SignedEntry::unsigned(body.encode().unwrap());
    signed.sign("seller", &example.keys.seller);
    entry.entry = signed;
    bundle.set_entries(&entries).unwrap();
    let second = dir.join("second.bundle");
    std::fs::write(&second, bundle.to_bytes().unwrap()).unwrap();
    let proof = dir.join("proof.cbor");

    let output = run(&[
        "equivocation",
        path(&first),
        path(&second),
        "--out",
        path(&proof),
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(stdout(&output).contains("EQUIVOCATION"));
    assert!(stdout(&output).contains("position 4"));
    let proof =
        verifier::bundle::EquivocationProof::from_bytes(&std::fs::read(&proof).unwrap()).unwrap();
    assert_eq!(proof.check().unwrap().seq, 4);

    let output = run(&["equivocation", path(&first), path(&first)]);
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn the_page_is_one_file_with_the_bundle_and_the_trust_inside() {
    let dir = scratch("cli-page");
    let example = example().unwrap();
    let bundle = dir.join("order.bundle");
    std::fs::write(&bundle, &example.bytes).unwrap();
    let trust = write_trust(&dir, &example);
    let page = dir.join("trail.html");
    let output = run(&[
        "page",
        path(&bundle),
        "--trust",
        path(&trust),
        "--lang",
        "zh",
        "-o",
        path(&page),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<html lang=\"zh\">"));
    assert!(
        html.contains("data-verdict"),
        "the body carries the verdict for scripts"
    );
    // Nothing is loaded from elsewhere: no src or href attribute, no URL but the CSP's own.
    assert!(!html.contains(" src=") && !html.contains(" href="));
    assert!(html.len() < 2_000_000, "the page is {} bytes", html.len());
    // The trust file is embedded: this TOML one as the same trust in JSON (the browser then
    // reads it without its TOML parser).
    let trust_text = std::fs::read_to_string(&trust).unwrap();
    let embedded = verifier::page::embedded_trust(&html).expect("the page carries its trust");
    assert!(embedded.trim_start().starts_with('{'), "{embedded}");
    assert_eq!(
        TrustFile::parse(&embedded),
        TrustFile::parse(&trust_text),
        "the trust file is embedded"
    );

    // The page is written for any bundle; the exit status is the command's own verdict.
    let mut tampered = example.bytes.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    std::fs::write(&bundle, &tampered).unwrap();
    let output = run(&[
        "page",
        path(&bundle),
        "--trust",
        path(&trust),
        "-o",
        path(&page),
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(page.exists());
    let output = run(&[
        "page",
        path(&bundle),
        "--trust",
        path(&dir.join("none.toml")),
        "-o",
        path(&page),
    ]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}
