//! `pactum-verify diff OLD NEW --history BUNDLE`: the clause change, then the verified history
//! replayed under NEW, listing every past entry that would have come out differently; exit 1
//! when any would have, 0 when none would, 2 when the analysis cannot run. The text report is
//! kept in `tests/data/diff-history/` (refreshed with UPDATE_EXPECT=1).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::check_expect;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pactum-verify"))
        .args(args)
        .output()
        .expect("pactum-verify runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The example bundle (the air-freight order, late delivery compensated at 150.00 EUR an
/// hour), its trust file, and the library's air-freight clause it runs, in a fresh directory.
fn example(name: &str) -> (PathBuf, PathBuf, PathBuf, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (bundle, trust) = (dir.join("order.bundle"), dir.join("trust.json"));
    let output = run(&[
        "example-bundle",
        "-o",
        path(&bundle),
        "--trust-out",
        path(&trust),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let old = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../clause-library/clauses/air_freight_fallback.clause");
    let text = std::fs::read_to_string(&old).unwrap();
    (dir, bundle, trust, text)
}

/// `old.clause` (the library's text) and `new.clause` (the text with `before` replaced by
/// `after`) in `dir`.
fn old_and_new(dir: &Path, text: &str, before: &str, after: &str) -> (PathBuf, PathBuf) {
    assert!(text.contains(before), "the clause has `{before}`");
    let (old, new) = (dir.join("old.clause"), dir.join("new.clause"));
    std::fs::write(&old, text).unwrap();
    std::fs::write(&new, text.replace(before, after)).unwrap();
    (old, new)
}

#[test]
fn a_higher_rate_changes_the_compensation_the_order_already_owed() {
    let (dir, bundle, trust, text) = example("diff-history-rate");
    let (old, new) = old_and_new(
        &dir,
        &text,
        "rate_per_hour: money = 150.00 EUR",
        "rate_per_hour: money = 200.00 EUR",
    );
    let args = |format: &str| {
        vec![
            "diff".to_string(),
            path(&old).to_string(),
            path(&new).to_string(),
            "--history".into(),
            path(&bundle).to_string(),
            "--trust".into(),
            path(&trust).to_string(),
            "--format".into(),
            format.to_string(),
        ]
    };
    let text_args = args("text");
    let output = run(&text_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    check_expect("tests/data/diff-history/rate.expect", &stdout(&output));

    let json_args = args("json");
    let output = run(&json_args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["differs"], true);
    let entries = json["history"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{json}");
    assert_eq!(entries[0]["event"], "shipment.delivered", "{json}");
    assert_eq!(
        entries[0]["changes"][0]["after"],
        "pay seller -> buyer 6800.00 EUR (air_freight_fallback rule 2)",
        "{json}"
    );
    assert_eq!(
        json["clauses"][0]["clause"], "air_freight_fallback",
        "{json}"
    );

    // The same clause changes nothing: exit 0.
    let output = run(&[
        "diff",
        path(&old),
        path(&old),
        "--history",
        path(&bundle),
        "--trust",
        path(&trust),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(stdout(&output).contains("0 entries differ"), "{output:?}");
}

#[test]
fn a_longer_sea_transit_would_have_kept_the_order_at_sea() {
    let (dir, bundle, trust, text) = example("diff-history-transit");
    let (old, new) = old_and_new(
        &dir,
        &text,
        "max_sea_transit: duration = 42d",
        "max_sea_transit: duration = 60d",
    );
    let output = run(&[
        "diff",
        path(&old),
        path(&new),
        "--history",
        path(&bundle),
        "--trust",
        path(&trust),
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    check_expect("tests/data/diff-history/transit.expect", &stdout(&output));
    // Every effect of an entry that differs is listed, not only the first: the switch to
    // air freight and the carrier's notice, both of rule 1.
    let text = stdout(&output);
    let switch = text
        .find("before: set terms.transport_mode = air")
        .expect("the switch");
    let notice = text
        .find("before: notify carrier")
        .expect("the carrier's notice");
    assert!(switch < notice, "{text}");
}

#[test]
fn a_clause_the_order_does_not_run_cannot_be_analysed() {
    let (dir, bundle, trust, _) = example("diff-history-other");
    let refund = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../clause-library/clauses/express_refund.clause");
    let output = run(&[
        "diff",
        path(&refund),
        path(&refund),
        "--history",
        path(&bundle),
        "--trust",
        path(&trust),
    ]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(
        error.contains("does not run clause `express_refund`"),
        "{error}"
    );
    let _ = dir;
}
