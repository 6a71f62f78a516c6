//! The `pactum-clause` binary as a user runs it: exit codes (0 fine, 1 findings, 2 usage or
//! I/O error), the `N passed, N failed` line, `--format json` output, and file rewriting.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use contract_lang::ir::{ClauseIr, CompiledClause};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pactum-clause"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|error| panic!("not JSON ({error}): {}", stdout(output)))
}

/// A fresh scratch directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pactum-clause-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

const GOOD_CLAUSE: &str = "clause tiny {\n  param rate: money = 10.00 EUR\n\n  on shipment.delivered\n  when event.at > terms.delivery_due\n  then pay seller -> buyer rate\n}\n";

#[test]
fn check_of_the_library_is_clean() {
    let output = run(&["check"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("no findings"));
}

#[test]
fn check_reports_findings_with_exit_1_and_json_positions() {
    let dir = scratch("check");
    let file = write(
        &dir,
        "bad.clause",
        "clause bad {\n  on shipment.delivered\n  then pay seller -> buyer terms.nonexistent\n}\n",
    );
    let human = run(&["check", &file]);
    assert_eq!(human.status.code(), Some(1));
    assert!(stdout(&human).contains("bad.clause"), "{}", stdout(&human));

    let output = run(&["check", "--format", "json", &file]);
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    assert_eq!(report["ok"], false);
    let diagnostic = &report["diagnostics"][0];
    assert_eq!(diagnostic["file"], file.as_str());
    assert_eq!(diagnostic["line"], 3);
    assert!(diagnostic["code"].as_str().unwrap().starts_with('E'));
    assert!(diagnostic["column"].as_u64().unwrap() > 1);
    assert!(diagnostic["span"]["end"].as_u64() > diagnostic["span"]["start"].as_u64());
    assert!(!diagnostic["message"].as_str().unwrap().is_empty());
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(run(&["render", "--lang", "fr"]).status.code(), Some(2));
    let missing = run(&["check", "/nonexistent/x.clause"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));
    let json_error = run(&["check", "--format", "json", "/nonexistent/x.clause"]);
    assert_eq!(json_error.status.code(), Some(2));
    assert!(json(&json_error)["error"]
        .as_str()
        .unwrap()
        .contains("cannot read"));
    assert_eq!(run(&["--help"]).status.code(), Some(0));
}

#[test]
fn test_of_the_library_passes_and_ends_with_the_summary_line() {
    let output = run(&["test"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let text = stdout(&output);
    let last = text.lines().last().unwrap();
    let (passed, failed) = last.split_once(" passed, ").unwrap();
    assert!(passed.parse::<usize>().unwrap() >= 50, "{last}");
    assert_eq!(failed, "0 failed");

    let report = json(&run(&["test", "--format", "json"]));
    assert_eq!(report["failed"], 0);
    assert_eq!(
        report["passed"].as_u64().unwrap(),
        passed.parse::<u64>().unwrap()
    );
}

#[test]
fn a_failing_scenario_exits_1_and_says_what_differed() {
    let dir = scratch("scenario");
    write(&dir, "tiny.clause", GOOD_CLAUSE);
    let scenario = write(
        &dir,
        "tiny.toml",
        r#"
clauses = ["tiny.clause"]
[terms]
delivery_due = "2026-03-01T00:00:00Z"

[[scenario]]
name = "late delivery pays the rate"
[[scenario.events]]
kind = "shipment.delivered"
at = "2026-03-02T00:00:00Z"
fields = { received_by = "DC" }
expect.effects = ["pay seller -> buyer 10.00 EUR"]

[[scenario]]
name = "a wrong amount fails"
[[scenario.events]]
kind = "shipment.delivered"
at = "2026-03-02T00:00:00Z"
fields = { received_by = "DC" }
expect.effects = ["pay seller -> buyer 11.00 EUR"]
"#,
    );
    let output = run(&["test", &scenario]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert_eq!(text.lines().last(), Some("1 passed, 1 failed"), "{text}");
    assert!(
        text.contains("expected `pay seller -> buyer 11.00 EUR`"),
        "{text}"
    );
    assert!(
        text.contains("unexpected `pay seller -> buyer 10.00 EUR`"),
        "{text}"
    );

    let report = json(&run(&["test", "--format", "json", &scenario]));
    assert_eq!(report["passed"], 1);
    assert_eq!(report["failed"], 1);
    assert_eq!(
        report["files"][0]["scenarios"][1]["name"],
        "a wrong amount fails"
    );

    let filtered = run(&["test", "--filter", "late delivery", &scenario]);
    assert_eq!(filtered.status.code(), Some(0));
    assert_eq!(stdout(&filtered).lines().last(), Some("1 passed, 0 failed"));
}

#[test]
fn fmt_rewrites_idempotently_and_check_reports_changes() {
    let dir = scratch("fmt");
    let file = write(&dir, "messy.clause", "clause   tiny{param rate:money=10.00 EUR\non shipment.delivered when event.at>terms.delivery_due then pay seller->buyer rate}");
    let check = run(&["fmt", "--check", &file]);
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stdout(&check).contains("would reformat"),
        "{}",
        stdout(&check)
    );
    assert!(stdout(&check).contains("messy.clause"));

    assert_eq!(run(&["fmt", &file]).status.code(), Some(0));
    let once = std::fs::read_to_string(&file).unwrap();
    assert_eq!(run(&["fmt", "--check", &file]).status.code(), Some(0));
    assert_eq!(run(&["fmt", &file]).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), once);

    // Formatting does not change the clause id.
    let messy = write(&dir, "messy2.clause", "clause   tiny{param rate:money=10.00 EUR\non shipment.delivered when event.at>terms.delivery_due then pay seller->buyer rate}");
    let before = json(&run(&["id", "--format", "json", &messy]));
    let after = json(&run(&["id", "--format", "json", &file]));
    assert_eq!(before["clauses"][0]["id"], after["clauses"][0]["id"]);

    let broken = write(&dir, "broken.clause", "clause {");
    assert_eq!(run(&["fmt", &broken]).status.code(), Some(1));
}

#[test]
fn compile_writes_canonical_ir_whose_hashes_are_the_ids() {
    let dir = scratch("compile");
    let out = dir.join("library.cbor");
    let output = run(&["compile", "-o", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let bytes = std::fs::read(&out).unwrap();
    let irs: Vec<ClauseIr> = pactum_canonical::from_slice(&bytes).unwrap();

    let ids = json(&run(&["id", "--format", "json"]));
    let listed = ids["clauses"].as_array().unwrap();
    assert_eq!(irs.len(), listed.len());
    for (ir, entry) in irs.into_iter().zip(listed) {
        let clause = CompiledClause::from_ir(ir).unwrap();
        assert_eq!(entry["name"], clause.name.as_str());
        assert_eq!(entry["id"], clause.id.to_hex().as_str());
    }
}

#[test]
fn render_explain_and_demo_run_on_the_embedded_library() {
    let zh = run(&["render", "--lang", "zh"]);
    assert_eq!(zh.status.code(), Some(0));
    assert!(stdout(&zh).contains("海运超期转空运补偿"));
    let json_render = json(&run(&["render", "--lang", "de", "--format", "json"]));
    assert_eq!(json_render["clauses"][0]["lang"], "de");

    let explain = run(&[
        "explain",
        "--state",
        "jurisdiction = \"CN\"\n[terms]\ndelivery_due = \"2026-03-01T00:00:00Z\"\nprice = \"100.00 EUR\"",
        "--event",
        "kind = \"shipment.delivered\"\nat = \"2026-03-01T05:00:00Z\"\nfields = { received_by = \"DC\" }",
    ]);
    assert_eq!(explain.status.code(), Some(0), "{}", stdout(&explain));
    let text = stdout(&explain);
    assert!(text.contains("pay seller -> buyer 750.00 EUR"), "{text}");
    assert!(text.contains("condition is false"), "{text}");

    let bad_event = run(&[
        "explain",
        "--state",
        "",
        "--event",
        "kind = \"no.such\"\nat = \"2026-03-01T05:00:00Z\"",
    ]);
    assert_eq!(bad_event.status.code(), Some(2));

    let demo = run(&["demo"]);
    assert_eq!(demo.status.code(), Some(0));
    let text = stdout(&demo);
    assert!(text.contains("passed, 0 failed"), "{text}");
    assert!(
        text.contains("Luftfracht bei verspäteter Seefracht"),
        "{text}"
    );

    // With --format json, demo prints one JSON object per section.
    let demo_json = run(&["demo", "--format", "json"]);
    let sections: Vec<serde_json::Value> = stdout(&demo_json)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let commands: Vec<&str> = sections
        .iter()
        .map(|s| s["command"].as_str().unwrap())
        .collect();
    assert_eq!(commands, ["check", "test", "render", "render"]);
    assert!(sections.iter().all(|s| s["ok"] == true));
}

#[test]
fn diff_exits_1_when_a_scenario_outcome_changes_and_0_when_none_does() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../contract-lang/tests/data/diff");
    let case = |name: &str, file: &str| data.join(name).join(file).display().to_string();
    let changed = run(&[
        "diff",
        &case("refund_once", "old.clause"),
        &case("refund_once", "new.clause"),
    ]);
    assert_eq!(changed.status.code(), Some(1), "{}", stdout(&changed));
    assert!(stdout(&changed).contains("before: refund seller -> buyer 249.90 EUR"));

    let same = run(&[
        "diff",
        &case("reformatted", "old.clause"),
        &case("reformatted", "new.clause"),
    ]);
    assert_eq!(same.status.code(), Some(0), "{}", stdout(&same));

    let report = json(&run(&[
        "--format",
        "json",
        "diff",
        &case("threshold", "old.clause"),
        &case("threshold", "new.clause"),
    ]));
    assert_eq!(report["command"], "diff");
    assert_eq!(report["outcomes_differ"], true);
    assert_eq!(report["clauses"][0]["clause"], "air_freight_fallback");
    assert_eq!(report["outcomes"].as_array().map(Vec::len), Some(3));

    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("../clause-library/scenarios");
    let from_dir = run(&[
        "diff",
        &case("refund_once", "old.clause"),
        &case("refund_once", "new.clause"),
        "--scenarios",
        &scenarios.display().to_string(),
    ]);
    assert_eq!(from_dir.status.code(), Some(1), "{}", stdout(&from_dir));
}

/// `diff --history` runs the verifier's analysis (`verifier::impact::diff_history`), the one
/// `pactum-verify diff` runs: after the scenario outcomes, the same history report as its
/// golden (`verifier/tests/data/diff-history/rate.expect`), on the same example bundle.
#[test]
fn diff_with_history_replays_the_order_s_verified_bundle_under_new() {
    let dir = scratch("diff-history");
    let example = verifier::bundle::build::example().unwrap();
    let bundle = dir.join("order.bundle");
    std::fs::write(&bundle, &example.bytes).unwrap();
    let trust_text = verifier::bundle::TrustFile::from_trust(&example.trust)
        .to_json()
        .unwrap();
    let trust = write(&dir, "trust.json", &trust_text);
    let library = Path::new(env!("CARGO_MANIFEST_DIR")).join("../clause-library/clauses");
    let text = std::fs::read_to_string(library.join("air_freight_fallback.clause")).unwrap();
    let old = write(&dir, "old.clause", &text);
    let new = write(
        &dir,
        "new.clause",
        &text.replace(
            "rate_per_hour: money = 150.00 EUR",
            "rate_per_hour: money = 200.00 EUR",
        ),
    );
    let bundle = bundle.display().to_string();
    let output = run(&["diff", &old, &new, "--history", &bundle, "--trust", &trust]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let text = stdout(&output);
    assert!(text.contains("scenarios run on both sides"), "{text}");
    let golden = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../verifier/tests/data/diff-history/rate.expect"),
    )
    .unwrap();
    let history = &golden[golden.find("history of order").unwrap()..];
    assert!(text.ends_with(history), "{text}\n---\n{history}");

    let report = json(&run(&[
        "--format",
        "json",
        "diff",
        &old,
        &new,
        "--history",
        &bundle,
        "--trust",
        &trust,
    ]));
    assert_eq!(report["history_differs"], true, "{report}");
    assert_eq!(
        report["history"]["entries"][0]["event"], "shipment.delivered",
        "{report}"
    );

    // The bundle is verified first: without a trust file the analysis does not run.
    let untrusted = run(&["diff", &old, &new, "--history", &bundle]);
    assert_eq!(untrusted.status.code(), Some(2), "{untrusted:?}");
    // A bundle that does not verify against the trust file is refused, not analysed.
    let broken = write(&dir, "broken.bundle", "not a bundle");
    let refused = run(&["diff", &old, &new, "--history", &broken, "--trust", &trust]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("does not verify"),
        "{refused:?}"
    );
}
