//! Golden tests of the checker, and properties of the compiled IR and clause ids.
//!
//! Every `tests/data/check/*.clause` file is compiled on its own; its `.expect` file holds the
//! rendered diagnostics (plain text). `UPDATE_EXPECT=1 cargo test -p contract-lang --test check`
//! rewrites them.

mod common;

use contract_lang::compile::{compile_program, CompileResult, SourceInput};
use contract_lang::diagnostics::render;
use contract_lang::ir::{ClauseId, ClauseIr, CompiledClause, ExprKind, IrError};
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/check")
}

fn source(name: &str, text: &str) -> SourceInput {
    SourceInput {
        name: name.to_string(),
        text: text.to_string(),
    }
}

fn rendered(result: &CompileResult, sources: &[SourceInput]) -> String {
    let mut out = String::new();
    for (index, file) in sources.iter().enumerate() {
        let diagnostics: Vec<_> = result
            .diagnostics
            .iter()
            .filter(|d| d.file == index)
            .map(|d| d.diagnostic.clone())
            .collect();
        out.push_str(&render(&diagnostics, &file.name, &file.text, false));
    }
    out
}

fn check(input: &Path) {
    let text = std::fs::read_to_string(input).expect("read input");
    let name = input
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("input.clause");
    let sources = [source(name, &text)];
    let result = compile_program(&sources);
    assert!(
        !result.diagnostics.is_empty(),
        "{name}: every check case has findings"
    );
    let actual = rendered(&result, &sources);
    common::expect_file(&input.with_extension("expect"), &actual);
}

#[test]
fn checker_diagnostics() {
    let inputs = common::inputs(&data_dir(), "clause");
    for input in &inputs {
        check(input);
    }
}

const VOCABULARY: &str = r#"
enum transport_mode { sea, rail, road, air }
enum alert_level { green, blue, yellow, orange, red }
terms {
  transport_mode: transport_mode
  delivery_due: timestamp
  price: money
  route_regions: list<text>
}
event shipment.departed { port: text }
event shipment.eta_updated { eta: timestamp }
event shipment.delivered { received_by: text }
event weather.alert { kind: text, level: alert_level, region: text }
event health.emergency { national_response_level: int, epidemic_situation_declared: bool, who_pheic: bool }
"#;

const AIR_FREIGHT: &str = r#"
clause air_freight_fallback {
  title en "Air freight when sea freight runs late"
  param max_sea_transit: duration = 42d
  param rate_per_hour: money = 150.00 EUR
  param cap: money = 20000.00 EUR

  on shipment.eta_updated
  when terms.transport_mode == sea
   and event.eta - facts.shipment.departed.at > max_sea_transit
  then {
    set terms.transport_mode = air
    notify carrier "revise waybill: air freight"
  }

  on shipment.delivered
  when event.at > terms.delivery_due
  then pay seller -> buyer min(hours(event.at - terms.delivery_due) * rate_per_hour, cap)
}
"#;

const FORCE_MAJEURE: &str = r#"
clause force_majeure {
  param extension: duration = 30d
  param typhoon: text = "typhoon"

  predicate major_epidemic(e: health.emergency) = jurisdiction {
    CN => e.national_response_level <= 2
    DE => e.epidemic_situation_declared
    _  => e.who_pheic
  }

  on weather.alert
  when event.kind == typhoon and event.level >= red and event.region in terms.route_regions
  then set terms.delivery_due = terms.delivery_due + 72h

  on health.emergency
  when major_epidemic(event)
  then set terms.delivery_due = terms.delivery_due + extension
}
"#;

fn compile_one(clause: &str) -> CompiledClause {
    compile_with(VOCABULARY, clause)
}

fn compile_with(vocabulary: &str, clause: &str) -> CompiledClause {
    let sources = [
        source("vocabulary.clause", vocabulary),
        source("clause.clause", clause),
    ];
    let result = compile_program(&sources);
    match result.program {
        Some(mut program) => program.clauses.remove(0),
        None => panic!("does not compile:\n{}", rendered(&result, &sources)),
    }
}

fn id(clause: &str) -> ClauseId {
    compile_one(clause).id
}

#[test]
fn comments_layout_and_declaration_order_do_not_change_the_id() {
    let original = id(FORCE_MAJEURE);
    let reformatted = r#"
// Force majeure, reformatted and commented.
clause force_majeure {
  // params in another order
  param typhoon: text = "typhoon"   // the kind that counts
  param extension: duration = 30d
  predicate major_epidemic(e: health.emergency) = jurisdiction { _ => e.who_pheic, DE => e.epidemic_situation_declared, CN => e.national_response_level <= 2 }
  on weather.alert when event.kind == typhoon
    and event.level >= red
    and event.region in terms.route_regions then set terms.delivery_due = terms.delivery_due + 72h
  on health.emergency when major_epidemic(event) then set terms.delivery_due = terms.delivery_due + extension
}
"#;
    assert_eq!(id(reformatted), original);
    // A qualified variant means the same as the bare one.
    assert_eq!(
        id(&FORCE_MAJEURE.replace("event.level >= red", "event.level >= alert_level.red")),
        original
    );
}

#[test]
fn every_change_of_meaning_changes_the_id() {
    let original = id(AIR_FREIGHT);
    let variants = [
        ("42d", "43d"),
        // The same length in another unit is another period in law (BGB §§187–188).
        ("42d", "1008h"),
        // At most once per order is another rule than every time.
        ("on shipment.delivered", "once on shipment.delivered"),
        ("150.00 EUR", "150.00 USD"),
        ("> max_sea_transit", ">= max_sea_transit"),
        (
            "set terms.transport_mode = air",
            "set terms.transport_mode = road",
        ),
        ("notify carrier", "notify buyer"),
        ("pay seller -> buyer", "refund seller -> buyer"),
        ("min(hours", "max(hours"),
        (
            "title en \"Air freight when sea freight runs late\"",
            "title en \"Air freight\"",
        ),
        ("facts.shipment.departed.at", "event.at"),
    ];
    let mut ids = vec![original];
    for (from, to) in variants {
        assert!(AIR_FREIGHT.contains(from), "{from}");
        let changed = id(&AIR_FREIGHT.replacen(from, to, 1));
        assert!(
            !ids.contains(&changed),
            "changing `{from}` to `{to}` kept an id"
        );
        ids.push(changed);
    }
    // Swapping the two rules changes their indexes, which outcomes report: a new id.
    let (head, rest) = AIR_FREIGHT.split_at(AIR_FREIGHT.find("  on shipment.eta_updated").unwrap());
    let (first, second) = rest.split_at(rest.find("  on shipment.delivered").unwrap());
    let swapped = format!(
        "{head}{}\n{first}}}\n",
        second.trim_end().trim_end_matches('}')
    );
    assert!(!ids.contains(&id(&swapped)));
}

#[test]
fn vocabulary_changes_that_alter_meaning_change_the_id() {
    let original = id(FORCE_MAJEURE);
    // Reordering the enum changes what `>= red` means.
    let reordered = VOCABULARY.replace(
        "enum alert_level { green, blue, yellow, orange, red }",
        "enum alert_level { green, blue, yellow, red, orange }",
    );
    assert_ne!(compile_with(&reordered, FORCE_MAJEURE).id, original);
    // A different field type changes what the clause reads.
    let retyped = VOCABULARY.replace(
        "national_response_level: int",
        "national_response_level: decimal",
    );
    assert_ne!(compile_with(&retyped, FORCE_MAJEURE).id, original);
    // What the clause does not use does not matter.
    let unrelated = VOCABULARY.replace(
        "event shipment.departed { port: text }",
        "event shipment.departed { port: text, vessel: text }",
    );
    assert_eq!(compile_with(&unrelated, FORCE_MAJEURE).id, original);
}

#[test]
fn ir_round_trips_through_canonical_cbor_and_revalidates() {
    for clause in [AIR_FREIGHT, FORCE_MAJEURE] {
        let compiled = compile_one(clause);
        let bytes = pactum_canonical::to_vec(&compiled.ir).unwrap();
        let back: ClauseIr = pactum_canonical::from_slice(&bytes).unwrap();
        assert_eq!(back, compiled.ir);
        let reloaded = CompiledClause::from_ir(back).unwrap();
        assert_eq!(reloaded.id, compiled.id);
        assert_eq!(compiled.spans.sites.len(), count_sites(&compiled.ir));
        // The whole compiled clause (with spans) is data too.
        let bytes = pactum_canonical::to_vec(&compiled).unwrap();
        assert_eq!(
            pactum_canonical::from_slice::<CompiledClause>(&bytes).unwrap(),
            compiled
        );
    }
}

fn count_sites(ir: &ClauseIr) -> usize {
    fn walk(expr: &contract_lang::ir::Expr) -> usize {
        1 + expr.children().into_iter().map(walk).sum::<usize>()
    }
    let mut total: usize = ir.predicates.iter().map(|p| walk(&p.body)).sum();
    for rule in &ir.rules {
        total += rule.when.as_ref().map_or(0, walk);
        for action in &rule.actions {
            total += match action {
                contract_lang::ir::Action::Set { value: e, .. }
                | contract_lang::ir::Action::Transfer { amount: e, .. }
                | contract_lang::ir::Action::Notify { message: e, .. } => walk(e),
                _ => 0,
            };
        }
    }
    total
}

#[test]
fn tampered_ir_is_rejected() {
    let compiled = compile_one(FORCE_MAJEURE);
    let mut recursive = compiled.ir.clone();
    recursive.predicates[0].body.kind = ExprKind::Predicate {
        index: 0,
        arg: contract_lang::ir::EventRef::Arg,
    };
    assert!(matches!(
        CompiledClause::from_ir(recursive),
        Err(IrError::Malformed(_))
    ));

    let mut future = compiled.ir.clone();
    future.version += 1;
    assert!(matches!(
        CompiledClause::from_ir(future),
        Err(IrError::Version { .. })
    ));

    let mut wrong_ordinal = compiled.ir.clone();
    let when = wrong_ordinal.rules[0].when.as_mut().unwrap();
    fn retarget(expr: &mut contract_lang::ir::Expr) -> bool {
        if let ExprKind::Variant { ordinal, .. } = &mut expr.kind {
            *ordinal = 0;
            return true;
        }
        match &mut expr.kind {
            ExprKind::And(l, r) | ExprKind::Compare { lhs: l, rhs: r, .. } => {
                retarget(l) || retarget(r)
            }
            _ => false,
        }
    }
    assert!(retarget(when));
    assert!(CompiledClause::from_ir(wrong_ordinal).is_err());

    let mut bad_param = compiled.ir.clone();
    bad_param.params[0].default = Some(contract_lang::value::Value::Int(3));
    assert!(CompiledClause::from_ir(bad_param).is_err());
}

#[test]
fn a_stored_compiled_clause_is_checked_whole() {
    let compiled = compile_one(FORCE_MAJEURE);
    let len = FORCE_MAJEURE.len();
    let bytes = pactum_canonical::to_vec(&compiled).unwrap();
    let back: CompiledClause = pactum_canonical::from_slice(&bytes).unwrap();
    assert_eq!(back, compiled);
    assert_eq!(back.check(len), Ok(()));

    let mut renamed = compiled.clone();
    renamed.name = "other".into();
    let mut wrong_id = compiled.clone();
    wrong_id.id.0[0] ^= 1;
    let mut altered = compiled.clone();
    altered.ir.params[0].name.push('x');
    let mut bad_span = compiled.clone();
    bad_span.spans.sites[0].end = len as u32 + 1;
    let mut inverted = compiled.clone();
    inverted.spans.clause.start = inverted.spans.clause.end + 1;
    for (what, clause) in [
        ("renamed", renamed),
        ("wrong id", wrong_id),
        ("altered IR", altered),
        ("span past the source", bad_span),
        ("inverted span", inverted),
    ] {
        assert!(
            matches!(clause.check(len), Err(IrError::Malformed(_))),
            "{what}: {:?}",
            clause.check(len)
        );
    }
}

#[test]
fn declarations_repeated_across_files_point_to_the_first_file() {
    let sources = [
        source(
            "a.clause",
            "enum level { low }\nterms { due: timestamp }\nclause c { }\n",
        ),
        source(
            "b.clause",
            "enum level { high }\nterms { due: timestamp }\nclause c { }\n",
        ),
    ];
    let result = compile_program(&sources);
    assert!(result.program.is_none());
    let text = rendered(&result, &sources);
    assert_eq!(result.diagnostics.len(), 3, "{text}");
    assert!(result
        .diagnostics
        .iter()
        .all(|d| d.file == 1 && d.diagnostic.code == "E0413"));
    assert_eq!(
        text.matches("it is first declared in a.clause").count(),
        3,
        "{text}"
    );
}

#[test]
fn syntax_errors_stop_before_checking() {
    let sources = [
        source("good.clause", "clause ok { }\n"),
        source("bad.clause", "clause broken { on }\n"),
    ];
    let result = compile_program(&sources);
    assert!(result.program.is_none());
    assert!(!result.diagnostics.is_empty());
    assert!(result
        .diagnostics
        .iter()
        .all(|d| d.file == 1 && d.diagnostic.code.starts_with("E02")));
}

// An attester label's name is clause text, written by whoever drafts the contract: any name
// (empty, blank, quotes, backslashes, control characters, odd Unicode), given once or twice,
// is either stored under `attester:NAME` or refused with a diagnostic, never a panic.
proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, ..Default::default() })]

    #[test]
    fn any_attester_name_is_labelled_or_refused(
        name in "(.|[\"\\\\\n\t\r\u{0}\u{202e}\u{200b}\u{fe0f} ]){0,12}",
        text in ".{0,8}",
        twice in proptest::bool::ANY,
    ) {
        use contract_lang::fmt::text_literal;
        let label = format!("label attester {} de {}\n", text_literal(&name), text_literal(&text));
        let clauses = if twice { label.repeat(2) } else { label };
        let sources = [
            source("vocabulary.clause", pactum_clause_library::VOCABULARY),
            source("labels.clause", &clauses),
        ];
        let result = compile_program(&sources);
        let shown = rendered(&result, &sources);
        let key = format!("attester:{name}");
        match &result.program {
            Some(program) => {
                proptest::prop_assert!(!twice, "a label given twice in one file compiled");
                let stored = program.vocabulary.labels.0.get(&key).and_then(|texts| texts.get("de"));
                proptest::prop_assert_eq!(stored, Some(&text));
            }
            None => proptest::prop_assert!(shown.contains("Error"), "{}", shown),
        }
        // A name that is some text, no control character and no party role is labelled.
        let plain = !name.trim().is_empty() && !name.chars().any(char::is_control);
        let party = ["seller", "buyer", "carrier", "insurer"].contains(&name.as_str());
        if plain && !party && !twice {
            proptest::prop_assert!(result.program.is_some(), "{}\n{}", clauses, shown);
        }
    }
}
