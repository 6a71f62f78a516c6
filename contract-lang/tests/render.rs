//! Golden tests of the natural-language renderings: every library clause and a clause using
//! every construct, in English, Chinese and German. `UPDATE_EXPECT=1 cargo test` rewrites the
//! `tests/data/render/*.expect` files.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use contract_lang::compile::{compile_program, SourceInput};
use contract_lang::ir::Program;
use contract_lang::render::{render_clause, Lang};
use contract_lang::value::{Money, Value};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/render")
}

/// Compares `actual` with the expect file `name`, or rewrites it under `UPDATE_EXPECT`.
fn check(name: &str, actual: &str) {
    let path = data_dir().join(name);
    common::expect_file(&path, actual);
}

fn compile(extra: &[(&str, &str)]) -> Program {
    let mut sources = vec![SourceInput {
        name: "vocabulary.clause".into(),
        text: pactum_clause_library::VOCABULARY.into(),
    }];
    sources.extend(extra.iter().map(|(name, text)| SourceInput {
        name: name.to_string(),
        text: text.to_string(),
    }));
    let result = compile_program(&sources);
    assert!(result.diagnostics.is_empty(), "{:?}", result.diagnostics);
    result.program.expect("no diagnostics, so a program")
}

#[test]
fn library_clauses_render_in_every_language() {
    let program = compile(pactum_clause_library::CLAUSES);
    for clause in &program.clauses {
        for lang in Lang::ALL {
            let text = render_clause(&clause.ir, &BTreeMap::new(), lang);
            check(&format!("{}.{}.expect", clause.name, lang.code()), &text);
        }
    }
}

#[test]
fn every_construct_renders_in_every_language() {
    let source = std::fs::read_to_string(data_dir().join("constructs.clause")).unwrap();
    let program = compile(&[("constructs.clause", &source)]);
    let clause = program.clause("constructs").unwrap();
    let mut bound = BTreeMap::new();
    bound.insert("note".to_string(), Value::Text("storm ahead".into()));
    for lang in Lang::ALL {
        let text = render_clause(&clause.ir, &bound, lang);
        check(&format!("constructs.{}.expect", lang.code()), &text);
    }
}

#[test]
fn bound_params_are_rendered_instead_of_defaults() {
    let program = compile(pactum_clause_library::CLAUSES);
    let clause = program.clause("air_freight_fallback").unwrap();
    let usd = contract_lang::value::Currency::parse("USD").unwrap();
    let mut bound = BTreeMap::new();
    bound.insert(
        "cap".to_string(),
        Value::Money(Money {
            minor: 500_000,
            currency: usd,
        }),
    );
    let text = render_clause(&clause.ir, &bound, Lang::En);
    assert!(text.contains("the cap (cap) = 5000.00 USD"), "{text}");
    assert!(text.contains("the cap (5000.00 USD)"), "{text}");
    assert!(!text.contains("20000.00 EUR"), "{text}");
}

#[test]
fn a_param_without_default_or_value_says_it_is_agreed_per_order() {
    let source = std::fs::read_to_string(data_dir().join("constructs.clause")).unwrap();
    let program = compile(&[("constructs.clause", &source)]);
    let clause = program.clause("constructs").unwrap();
    let text = render_clause(&clause.ir, &BTreeMap::new(), Lang::De);
    assert!(
        text.contains("note = (je Auftrag zu vereinbaren)"),
        "{text}"
    );
}

#[test]
fn german_amounts_use_a_decimal_comma() {
    let kwd = contract_lang::value::Currency::parse("KWD").unwrap();
    let amount = Value::Money(Money {
        minor: 1500,
        currency: kwd,
    });
    // `1.500 KWD` reads as fifteen hundred dinars to a German buyer.
    assert_eq!(contract_lang::render::value(&amount, Lang::De), "1,500 KWD");
    assert_eq!(contract_lang::render::value(&amount, Lang::En), "1.500 KWD");
    assert_eq!(contract_lang::render::value(&amount, Lang::Zh), "1.500 KWD");
}

#[test]
fn a_period_keeps_the_unit_its_clause_counts_in() {
    let program = compile(pactum_clause_library::CLAUSES);
    let clause = program.clause("force_majeure").unwrap();
    let mut bound = BTreeMap::new();
    bound.insert("typhoon_extension".to_string(), Value::Duration(96 * 3600));
    for (lang, hours, days) in [
        (Lang::En, "96 hours", "4 days"),
        (Lang::Zh, "96小时", "4天"),
        (Lang::De, "96 Stunden", "4 Tage"),
    ] {
        let text = render_clause(&clause.ir, &bound, lang);
        assert!(text.contains(hours), "{text}");
        assert!(!text.contains(days), "{text}");
    }
}

/// A vocabulary's own words come from its `label` items (nothing stays English in zh or de),
/// and those labels are no part of the clause's id.
#[test]
fn a_vocabulary_names_its_own_words_without_changing_clause_ids() {
    let source = std::fs::read_to_string(data_dir().join("own_vocabulary.clause")).unwrap();
    let compile_alone = |text: &str| {
        let result = compile_program(&[SourceInput {
            name: "own_vocabulary.clause".into(),
            text: text.to_string(),
        }]);
        assert!(result.diagnostics.is_empty(), "{:?}", result.diagnostics);
        result.program.expect("no diagnostics, so a program")
    };
    let program = compile_alone(&source);
    let clause = program.clause("customs_duties").unwrap();
    for lang in Lang::ALL {
        let text = contract_lang::render::render_clause_with(
            &clause.ir,
            &BTreeMap::new(),
            lang,
            contract_lang::render::Glossary::of(&program),
        );
        check(&format!("own_vocabulary.{}.expect", lang.code()), &text);
    }
    let unlabelled: String = source
        .lines()
        .filter(|line| !line.starts_with("label "))
        .map(|line| format!("{line}\n"))
        .collect();
    let without = compile_alone(&unlabelled);
    assert!(without.vocabulary.labels.is_empty());
    assert_eq!(without.clause("customs_duties").unwrap().id, clause.id);
}

/// Counts take their noun's number ("1 Einträge" and "amendment(s)" were the bugs), and
/// Chinese lists are joined with 、.
#[test]
fn counts_and_lists_read_as_each_language_writes_them() {
    use contract_lang::render::{count, enumeration, series};
    let entries = |lang, n| {
        count(
            lang,
            n,
            ["entry", "entries"],
            "条记录",
            ["Eintrag", "Einträge"],
        )
    };
    assert_eq!(entries(Lang::En, 1), "1 entry");
    assert_eq!(entries(Lang::En, 0), "0 entries");
    assert_eq!(entries(Lang::De, 1), "1 Eintrag");
    assert_eq!(entries(Lang::De, 2), "2 Einträge");
    assert_eq!(entries(Lang::Zh, 2), "2条记录");
    let roles: Vec<String> = ["卖方", "买方", "承运人"].map(String::from).to_vec();
    assert_eq!(series(Lang::Zh, &roles), "卖方、买方、承运人");
    assert_eq!(enumeration(Lang::Zh, &roles), "卖方、买方和承运人");
    let roles: Vec<String> = ["Verkäufer", "Käufer"].map(String::from).to_vec();
    assert_eq!(enumeration(Lang::De, &roles), "Verkäufer und Käufer");
    assert_eq!(series(Lang::De, &roles), "Verkäufer, Käufer");
}

/// `to(UNIT, x)` reads as a conversion in each language, the unit as each language writes it.
#[test]
fn a_conversion_names_the_unit_it_converts_to() {
    let source = "clause pieces {\n  on shipment.partially_delivered\n  when to(pcs, sum(facts.shipment.partially_delivered.pieces)) >= terms.pieces_ordered\n  then notify buyer \"complete\"\n}\n";
    let program = compile(&[("pieces.clause", source)]);
    let clause = program.clause("pieces").unwrap();
    for (lang, phrase) in [
        (Lang::En, " in pcs is at least "),
        (Lang::Zh, "（换算为件）"),
        (Lang::De, ", umgerechnet in Stück"),
    ] {
        let text = render_clause(&clause.ir, &BTreeMap::new(), lang);
        assert!(text.contains(phrase), "{text}");
    }
}

/// Chinese sets no ASCII space beside a Chinese character or full-width punctuation: not
/// around operators ("价款 乘以 rate"), not between a number and its unit ("42 天"), not
/// before a name ("条款 express_refund"). Checked over every library clause and every
/// construct; list markers at the start of a line are layout, not text.
#[test]
fn chinese_renderings_set_no_space_beside_a_chinese_character() {
    let source = std::fs::read_to_string(data_dir().join("constructs.clause")).unwrap();
    let library = compile(pactum_clause_library::CLAUSES);
    let constructs = compile(&[("constructs.clause", &source)]);
    let mut stray = Vec::new();
    for clause in library.clauses.iter().chain(constructs.clauses.iter()) {
        let text = render_clause(&clause.ir, &BTreeMap::new(), Lang::Zh);
        for line in text.lines() {
            if !contract_lang::render::spaces_beside_chinese(line).is_empty() {
                stray.push(format!("{}: {line}", clause.name));
            }
        }
    }
    assert!(stray.is_empty(), "{}", stray.join("\n"));
}

/// No rendering hedges a plural as "day(s)": every count takes its noun's number.
#[test]
fn no_rendering_writes_a_plural_in_brackets() {
    let program = compile(pactum_clause_library::CLAUSES);
    for clause in &program.clauses {
        for lang in Lang::ALL {
            let text = render_clause(&clause.ir, &BTreeMap::new(), lang);
            assert!(!text.contains("(s)"), "{text}");
        }
    }
}
