//! EPCIS 2.0 and CAP 1.2 documents read through the ingest mapping: each document in
//! `node/tests/data/ingest/` (and the samples in `examples/ingest/`) next to the facts it
//! yields, or the error naming the offending field's path. `UPDATE_EXPECT=1` rewrites the
//! expected files.

use std::path::{Path, PathBuf};

use pactum_node::ingest::{map_document, Format, Mapping};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// What `document` yields with `mapping`, as text: the facts as JSON, or the error.
fn render(document: &Path, mapping: &Mapping) -> String {
    let bytes = std::fs::read(document).unwrap();
    let format = match document.extension().and_then(|ext| ext.to_str()) {
        Some("json") => Format::Epcis,
        _ => Format::Cap,
    };
    match map_document(format, &bytes, mapping, false) {
        Ok(facts) => serde_json::to_string_pretty(&facts).unwrap() + "\n",
        Err(error) => format!("error at {}\n  {}\n", error.path, error.message),
    }
}

/// Compares `actual` with `expect`, or rewrites it under `UPDATE_EXPECT`.
fn check(document: &Path, mapping: &Mapping, expect: &Path) {
    let actual = render(document, mapping);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(expect, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(expect)
        .unwrap_or_else(|_| panic!("missing {}; run with UPDATE_EXPECT=1", expect.display()));
    assert!(
        expected == actual,
        "{} differs from {} (UPDATE_EXPECT=1 refreshes it)\n--- expected\n{expected}\n--- actual\n{actual}",
        document.display(),
        expect.display()
    );
}

fn documents(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|ext| ext == "json" || ext == "xml")
        })
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no documents in {}", dir.display());
    found
}

#[test]
fn documents_yield_their_expected_facts_or_errors() {
    let dir = root().join("tests/data/ingest");
    for document in documents(&dir) {
        check(
            &document,
            &Mapping::standard(),
            &document.with_extension("expect"),
        );
    }
}

#[test]
fn the_samples_with_the_built_in_and_the_example_mapping() {
    let samples = root().join("../examples/ingest");
    let example =
        Mapping::parse(&std::fs::read_to_string(samples.join("mapping.toml")).unwrap()).unwrap();
    let expects = root().join("tests/data/ingest/examples");
    for document in documents(&samples) {
        let name = document.file_stem().unwrap().to_str().unwrap().to_string();
        check(
            &document,
            &Mapping::standard(),
            &expects.join(format!("{name}.expect")),
        );
        check(
            &document,
            &example,
            &expects.join(format!("{name}.with-mapping.expect")),
        );
    }
}

#[test]
fn documents_over_the_limits_are_refused_whole() {
    let voyage = std::fs::read(root().join("../examples/ingest/epcis-voyage.json")).unwrap();
    let mut mapping = Mapping::standard();
    mapping.max_facts = 1;
    let error = map_document(Format::Epcis, &voyage, &mapping, false).unwrap_err();
    assert_eq!(error.path, "epcisBody.eventList", "{error}");
    let mut mapping = Mapping::standard();
    mapping.max_document_bytes = 100;
    let error = map_document(Format::Epcis, &voyage, &mapping, false).unwrap_err();
    assert_eq!(error.path, "(document)", "{error}");
    // Deeply nested JSON is an error, not a stack overflow.
    let deep = "[".repeat(100_000);
    assert!(map_document(Format::Epcis, deep.as_bytes(), &Mapping::standard(), false).is_err());
    let deep = "<a>".repeat(50_000);
    assert!(map_document(Format::Cap, deep.as_bytes(), &Mapping::standard(), false).is_err());
}

#[test]
fn an_order_given_by_the_request_replaces_the_documents_routing() {
    let voyage = std::fs::read(root().join("tests/data/ingest/epcis-no-order.json")).unwrap();
    let facts = map_document(Format::Epcis, &voyage, &Mapping::standard(), true).unwrap();
    assert_eq!(facts.len(), 2);
    assert!(facts
        .iter()
        .all(|fact| fact.route == pactum_node::ingest::Route::Given));
}

#[test]
fn cut_short_or_bit_flipped_documents_are_errors_not_panics() {
    let mapping = Mapping::standard();
    for (name, format) in [
        ("epcis-voyage.json", Format::Epcis),
        ("cap-typhoon.xml", Format::Cap),
    ] {
        let document = std::fs::read(root().join("../examples/ingest").join(name)).unwrap();
        for end in 0..document.len() {
            let _ = map_document(format, &document[..end], &mapping, false);
        }
        for at in 0..document.len() {
            let mut flipped = document.clone();
            flipped[at] ^= 0x55;
            let _ = map_document(format, &flipped, &mapping, false);
        }
    }
}
