//! Golden tests of the syntax layer, plus property tests.
//!
//! Every `tests/data/syntax/*.clause` file is parsed. A file with diagnostics must match its
//! `.expect` file holding the rendered diagnostics (plain text); a valid file must match its
//! formatted text, reparse without diagnostics and format to the same text again.
//! `UPDATE_EXPECT=1 cargo test -p contract-lang --test syntax` rewrites the `.expect` files.

use std::path::{Path, PathBuf};

use contract_lang::diagnostics::render;
use contract_lang::fmt::{format, format_source};
use contract_lang::syntax::parse;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/syntax")
}

/// Parses `input`, renders what it yields and compares with the `.expect` file next to it.
fn check(input: &Path) {
    let source = std::fs::read_to_string(input).expect("read test input");
    let name = input
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("input.clause");
    let parsed = parse(&source);
    let actual = if parsed.diagnostics.is_empty() {
        let formatted = format(&parsed.file);
        let again = format_source(&formatted).unwrap_or_else(|d| {
            panic!(
                "{name}: formatted output does not parse:\n{}",
                render(&d, name, &formatted, false)
            )
        });
        assert_eq!(again, formatted, "{name}: fmt is not idempotent");
        formatted
    } else {
        render(&parsed.diagnostics, name, &source, false)
    };
    let expect_path = input.with_extension("expect");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&expect_path, &actual).expect("write .expect");
        return;
    }
    let expected = std::fs::read_to_string(&expect_path).unwrap_or_else(|_| {
        panic!(
            "{name}: missing {}; run with UPDATE_EXPECT=1",
            expect_path.display()
        )
    });
    assert!(
        expected == actual,
        "{name}: output differs from {}\n--- expected\n{expected}\n--- actual\n{actual}",
        expect_path.display()
    );
}

#[test]
fn golden_files() {
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .expect("tests/data/syntax")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "clause"))
        .collect();
    inputs.sort();
    assert!(
        !inputs.is_empty(),
        "expected the golden inputs, found {}",
        inputs.len()
    );
    for input in &inputs {
        check(input);
    }
}
