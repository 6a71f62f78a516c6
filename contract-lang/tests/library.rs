//! The embedded clause library in CI: every file parses cleanly and is already formatted, the
//! whole library compiles, and every scenario passes.

use contract_lang::compile::{compile_program, SourceInput};
use contract_lang::scenario::{self, FileReport};
use contract_lang::{diagnostics, fmt, syntax};

fn library_sources() -> Vec<(&'static str, &'static str)> {
    let mut files = vec![(
        pactum_clause_library::VOCABULARY_FILE,
        pactum_clause_library::VOCABULARY,
    )];
    files.extend(pactum_clause_library::CLAUSES.iter().copied());
    files
}

#[test]
fn every_library_file_parses_without_diagnostics() {
    for (name, source) in library_sources() {
        let parsed = syntax::parse(source);
        assert!(
            parsed.diagnostics.is_empty(),
            "{}",
            diagnostics::render(&parsed.diagnostics, name, source, false)
        );
    }
}

#[test]
fn every_library_file_is_formatted() {
    for (name, source) in library_sources() {
        let formatted = fmt::format_source(source).unwrap_or_else(|diagnostics| {
            panic!("{}", diagnostics::render(&diagnostics, name, source, false))
        });
        assert_eq!(formatted, source, "{name} is not formatted");
    }
}

fn vocabulary() -> SourceInput {
    SourceInput {
        name: pactum_clause_library::VOCABULARY_FILE.to_string(),
        text: pactum_clause_library::VOCABULARY.to_string(),
    }
}

/// The whole library as compiler inputs.
fn library_inputs() -> Vec<SourceInput> {
    library_sources()
        .into_iter()
        .map(|(name, text)| SourceInput {
            name: name.to_string(),
            text: text.to_string(),
        })
        .collect()
}

fn load(path: &str) -> Result<String, String> {
    pactum_clause_library::file(path)
        .map(str::to_string)
        .ok_or_else(|| "not a file of the clause library".to_string())
}

#[test]
fn the_whole_library_compiles() {
    let sources = library_inputs();
    let result = compile_program(&sources);
    let rendered: Vec<String> = result
        .diagnostics
        .iter()
        .map(|d| {
            let source = &sources[d.file];
            diagnostics::render(
                std::slice::from_ref(&d.diagnostic),
                &source.name,
                &source.text,
                false,
            )
        })
        .collect();
    assert!(result.diagnostics.is_empty(), "{}", rendered.join(""));
    let program = result.program.expect("a program without diagnostics");
    assert_eq!(program.clauses.len(), pactum_clause_library::CLAUSES.len());
}

fn failures(report: &FileReport) -> Vec<String> {
    let mut lines: Vec<String> = report.error.iter().cloned().collect();
    for scenario in &report.scenarios {
        for failure in &scenario.failures {
            lines.push(format!("{} / {}: {failure}", report.file, scenario.name));
        }
        for step in &scenario.steps {
            for failure in &step.failures {
                lines.push(format!(
                    "{} / {} / event {} ({}): {failure}\n    effects: {:?}\n    trace: {:?}",
                    report.file, scenario.name, step.index, step.kind, step.effects, step.trace
                ));
            }
        }
    }
    lines
}

#[test]
fn every_library_scenario_passes() {
    let mut programs = scenario::Programs::new(vocabulary());
    let mut all = Vec::new();
    let mut passed = 0;
    for (path, text) in pactum_clause_library::SCENARIOS {
        let report = scenario::run_file(path, text, &mut programs, &load, None);
        assert!(!report.scenarios.is_empty(), "{path} has no scenarios");
        passed += report.passed();
        all.extend(failures(&report));
    }
    assert!(
        all.is_empty(),
        "{} failures:\n{}",
        all.len(),
        all.join("\n")
    );
    assert!(passed >= 50, "only {passed} scenarios ran");
}

/// The overweight surcharge's amount is explained with the rate and the converted excess:
/// 21500 kg against 20 t agreed is 1.5 t, at 150.00 EUR per t 225.00 EUR.
#[test]
fn a_price_per_unit_is_explained_with_the_quantity_it_priced() {
    use contract_lang::eval::{bind_params, evaluate, work_transfers, BoundClause, Event, State};
    use contract_lang::render::{worked, Glossary, Lang};
    use contract_lang::value::{Decimal, Quantity, Unit, Value};
    let sources = library_inputs();
    let program = compile_program(&sources)
        .program
        .expect("the library compiles");
    let clause = program
        .clauses
        .iter()
        .find(|clause| clause.name == "overweight_surcharge")
        .expect("the library has the overweight surcharge");
    let params = bind_params(clause, &Default::default()).expect("defaults bind");
    let bound = [BoundClause {
        clause,
        params: &params,
    }];
    let weighed = Event {
        kind: "shipment.weighed".into(),
        at: 1_770_681_600,
        fields: [(
            "gross".to_string(),
            Value::Quantity(Quantity {
                amount: Decimal::new(21_500, 0).expect("a decimal"),
                unit: Unit::Kilogram,
            }),
        )]
        .into(),
    };
    let state = State::default();
    let outcome = evaluate(&bound, "DE", &state, &weighed);
    let explained = work_transfers(&bound, "DE", &state, &weighed, &outcome);
    assert_eq!(explained.len(), 1, "{outcome:?}");
    let glossary = Glossary::of(&program);
    let text = |lang| worked(lang, &explained[0].worked, &clause.ir, glossary);
    assert_eq!(
        text(Lang::En).as_deref(),
        Some("21500 kg − 20 t = 1500 kg; 1500 kg in t = 1.5 t; 150.00 EUR/t × 1.5 t = 225.00 EUR")
    );
    assert_eq!(
        text(Lang::Zh).as_deref(),
        Some(
            "21500 kg − 20 t = 1500 kg；1500 kg换算为t = 1.5 t；150.00 EUR/t × 1.5 t = 225.00 EUR"
        )
    );
    assert_eq!(
        text(Lang::De).as_deref(),
        Some("21500 kg − 20 t = 1500 kg; 1500 kg in t umgerechnet = 1,5 t; 150,00 EUR/t × 1,5 t = 225,00 EUR")
    );
}

/// The library's vocabulary names every word of its own in en, zh and de with `label` items
/// (they travel with the sources the parties sign), and they read exactly as the renderer's
/// built-in words, with which bundles signed before the vocabulary had labels still render.
#[test]
fn the_library_vocabulary_labels_its_words_as_the_built_in_glossary_reads_them() {
    use contract_lang::render::{Glossary, Lang};
    let program = compile_program(&[vocabulary()])
        .program
        .expect("the vocabulary compiles");
    let labels = &program.vocabulary.labels;
    let vocabulary = &program.vocabulary;
    let mut keys: Vec<String> = Vec::new();
    keys.extend(vocabulary.terms.keys().map(|term| format!("term:{term}")));
    for (kind, fields) in &vocabulary.events {
        keys.push(format!("kind:{kind}"));
        keys.push(format!("noun:{kind}"));
        keys.extend(fields.keys().map(|field| format!("field:{field}")));
    }
    keys.extend(vocabulary.enums.iter().flat_map(|(name, variants)| {
        let prefix = if name == "party" { "party" } else { "variant" };
        variants
            .iter()
            .map(move |variant| format!("{prefix}:{variant}"))
    }));
    for key in &keys {
        for lang in Lang::ALL {
            assert!(
                labels.get(key, lang.code()).is_some(),
                "{key} has no {} label",
                lang.code()
            );
        }
    }
    let labelled = Glossary::of(&program);
    // Attesters have no built-in words: a bundle signed before their labels names them as
    // written (`the_library_labels_its_attesters`).
    for key in labels.0.keys().filter(|key| !key.starts_with("attester:")) {
        for lang in Lang::ALL {
            assert_eq!(
                labelled.lookup(lang, key),
                Glossary::STANDARD.lookup(lang, key),
                "{key} in {}",
                lang.code()
            );
        }
    }
}

/// The demo's oracle reads in each language from the library's labels; the built-in words
/// have none, so a bundle signed before the label shows the name as the contract writes it.
#[test]
fn the_library_labels_its_attesters() {
    use contract_lang::render::{Glossary, Lang};
    let program = compile_program(&[vocabulary()])
        .program
        .expect("the vocabulary compiles");
    let words = Glossary::of(&program);
    let label = |lang| words.attester(lang, "weather-service");
    assert_eq!(label(Lang::En).as_deref(), Some("the weather service"));
    assert_eq!(label(Lang::Zh).as_deref(), Some("气象服务机构"));
    // German without the article the vocabulary's label carries ("der Wetterdienst"), as a
    // role reads after the timeline's "bezeugt von".
    assert_eq!(label(Lang::De).as_deref(), Some("Wetterdienst"));
    assert_eq!(
        Glossary::STANDARD.attester(Lang::Zh, "weather-service"),
        None
    );
    assert_eq!(
        words.attester(Lang::Zh, "carrier"),
        None,
        "a party is labelled as a party"
    );
}
