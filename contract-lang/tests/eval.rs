//! Golden tests of the evaluator.
//!
//! Each `tests/data/eval/*.case` file holds a small program and the events to run against it:
//!
//! ```text
//! == source                      the clause text (vocabulary and clauses), until the next `==`
//! == jurisdiction CN             optional, default `XX`
//! == terms                       then `name = value` lines, values in the language's syntax
//!                                (or `json:` and serde JSON, for records)
//! == params CLAUSE               then `name = value` lines
//! == fact KIND @ TIMESTAMP       a fact already recorded, then `field = value` lines
//! == event KIND @ TIMESTAMP      an event to evaluate, then `field = value` lines
//! ```
//!
//! Every event is evaluated against the same initial state (all clauses, in source order),
//! except that aggregates (`count`, `sum`) accumulate: each event is tallied before it is
//! evaluated, as an order records it.
//! The `.expect` file next to it holds, per event, the explained outcome and any errors.
//! `UPDATE_EXPECT=1 cargo test -p contract-lang --test eval` rewrites the `.expect` files.

mod common;

use contract_lang::check::const_value;
use contract_lang::compile::{compile_program, SourceInput};
use contract_lang::diagnostics::render;
use contract_lang::eval::{
    bind_params, evaluate, evaluate_prepared, explain, BoundClause, Evaluator, Event, State,
};
use contract_lang::syntax::parse_expr;
use contract_lang::value::{Type, Value};
use contract_lang::vocab::Vocabulary;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/eval")
}

struct Section {
    header: Vec<String>,
    lines: Vec<String>,
}

fn sections(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for line in text.lines() {
        if let Some(header) = line.strip_prefix("== ") {
            sections.push(Section {
                header: header.split_whitespace().map(str::to_string).collect(),
                lines: Vec::new(),
            });
        } else if let Some(section) = sections.last_mut() {
            section.lines.push(line.to_string());
        }
    }
    sections
}

/// A value in the language's syntax, or (for records, which have no literal) `json:` and the
/// value's serde JSON.
fn value(vocabulary: &Vocabulary, text: &str, ty: &Type, what: &str) -> Value {
    if let Some(json) = text.strip_prefix("json:") {
        let value: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{what}: {e}"));
        vocabulary
            .check_value(&value, ty)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        return value;
    }
    let expr =
        parse_expr(text).unwrap_or_else(|d| panic!("{what}: {}", render(&d, what, text, false)));
    const_value(vocabulary, &expr, ty)
        .unwrap_or_else(|d| panic!("{what}: {}", render(&d, what, text, false)))
}

fn assignments(section: &Section) -> Vec<(String, String)> {
    section
        .lines
        .iter()
        .filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with("//"))
        .map(|line| {
            let (name, value) = line
                .split_once('=')
                .unwrap_or_else(|| panic!("expected `name = value`, got `{line}`"));
            (name.trim().to_string(), value.trim().to_string())
        })
        .collect()
}

fn timestamp(vocabulary: &Vocabulary, text: &str) -> i64 {
    match value(vocabulary, text, &Type::Timestamp, "timestamp") {
        Value::Timestamp(seconds) => seconds,
        other => panic!("not a timestamp: {other}"),
    }
}

/// `KIND @ TIMESTAMP` plus field lines → an event.
fn event(vocabulary: &Vocabulary, section: &Section) -> Event {
    let [_, kind, at_sign, at] = section.header.as_slice() else {
        panic!(
            "expected `== event KIND @ TIMESTAMP`, got {:?}",
            section.header
        );
    };
    assert_eq!(at_sign, "@");
    let mut fields = BTreeMap::new();
    for (name, text) in assignments(section) {
        let ty = vocabulary
            .event_field(kind, &name)
            .unwrap_or_else(|| panic!("no field {kind}.{name}"));
        fields.insert(name.clone(), value(vocabulary, &text, &ty, &name));
    }
    Event {
        kind: kind.clone(),
        at: timestamp(vocabulary, at),
        fields,
    }
}

/// Runs one case file and renders what happened.
fn run(source_name: &str, text: &str) -> String {
    let sections = sections(text);
    let source = sections
        .iter()
        .find(|s| s.header.first().map(String::as_str) == Some("source"))
        .map(|s| s.lines.join("\n"))
        .expect("a `== source` section");
    let sources = vec![SourceInput {
        name: source_name.to_string(),
        text: source,
    }];
    let compiled = compile_program(&sources);
    let Some(program) = compiled.program else {
        let diagnostics: Vec<_> = compiled
            .diagnostics
            .into_iter()
            .map(|d| d.diagnostic)
            .collect();
        return format!(
            "does not compile:\n{}",
            render(&diagnostics, source_name, &sources[0].text, false)
        );
    };
    let vocabulary = &program.vocabulary;
    let mut jurisdiction = "XX".to_string();
    let mut state = State::default();
    let mut given_params: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    let mut events = Vec::new();
    for section in &sections {
        match section.header.first().map(String::as_str) {
            Some("jurisdiction") => jurisdiction = section.header[1].clone(),
            Some("terms") => {
                for (name, text) in assignments(section) {
                    let ty = vocabulary
                        .terms
                        .get(&name)
                        .unwrap_or_else(|| panic!("no term {name}"));
                    state
                        .terms
                        .insert(name.clone(), value(vocabulary, &text, ty, &name));
                }
            }
            Some("params") => {
                let clause = program
                    .clause(&section.header[1])
                    .expect("params of a known clause");
                let params = given_params.entry(clause.name.clone()).or_default();
                for (name, text) in assignments(section) {
                    let param = clause
                        .ir
                        .params
                        .iter()
                        .find(|p| p.name == name)
                        .expect("known param");
                    params.insert(name.clone(), value(vocabulary, &text, &param.ty, &name));
                }
            }
            Some("fact") => {
                let fact = event(vocabulary, section);
                state.facts.insert(fact.kind.clone(), fact);
            }
            Some("event") => events.push(event(vocabulary, section)),
            _ => {}
        }
    }
    let no_params = BTreeMap::new();
    let bound: Vec<BTreeMap<String, Value>> = program
        .clauses
        .iter()
        .map(|clause| {
            bind_params(clause, given_params.get(&clause.name).unwrap_or(&no_params))
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect();
    let clauses: Vec<BoundClause<'_>> = program
        .clauses
        .iter()
        .zip(&bound)
        .map(|(clause, params)| BoundClause { clause, params })
        .collect();
    let mut out = String::new();
    let aggregated = program.aggregated();
    for event in &events {
        vocabulary
            .check_event(event)
            .unwrap_or_else(|e| panic!("{e}"));
        state.tally(event, &aggregated);
        let outcome = evaluate(&clauses, &jurisdiction, &state, event);
        // The fast path must never change an outcome.
        let prepared: Vec<Evaluator<'_>> = clauses
            .iter()
            .map(|bound| {
                Evaluator::new(*bound, &jurisdiction)
                    .expect("params bound")
                    .with_fast_path()
            })
            .collect();
        assert_eq!(
            evaluate_prepared(&prepared, &state, event),
            outcome,
            "{source_name}: the fast path disagrees"
        );
        let _ = writeln!(out, "# {} @ {}", event.kind, Value::Timestamp(event.at));
        out.push_str(&explain(&outcome, &program, &sources));
        for failure in &outcome.errors {
            let _ = writeln!(out, "{failure}");
        }
        let stripped = outcome.without_spans();
        assert!(stripped.trace.iter().all(|t| t.status.span().is_none()));
        assert_eq!(stripped.trace.len(), outcome.trace.len());
        // Outcomes are data: they must survive the canonical encoding unchanged.
        let bytes = pactum_canonical::to_vec(&outcome).expect("outcome encodes");
        let back: contract_lang::eval::Outcome =
            pactum_canonical::from_slice(&bytes).expect("outcome decodes");
        assert_eq!(back, outcome);
    }
    out
}

fn check(input: &Path) {
    let text = std::fs::read_to_string(input).expect("read case");
    let name = input.file_name().and_then(|n| n.to_str()).unwrap_or("case");
    let actual = run(&name.replace(".case", ".clause"), &text);
    common::expect_file(&input.with_extension("expect"), &actual);
}

#[test]
fn eval_cases() {
    let inputs = common::inputs(&data_dir(), "case");
    for input in &inputs {
        check(input);
    }
}

const LIBRARY_LIKE: &str = r#"
enum level { green, orange, red }
terms { due: timestamp, price: money, regions: list<text>, rate: decimal, flag: bool }
event delivered { level: level, region: text, late_by: duration, n: int }

clause probe {
  param rate_per_hour: money = 150.00 EUR
  param share: decimal = 0.5%
  param limit: int

  on delivered when event.at > terms.due and event.level >= orange
    then pay seller -> buyer min(hours(event.at - terms.due) * rate_per_hour, terms.price)
  on delivered when event.region in terms.regions or terms.flag
    then refund seller -> buyer round(terms.price * share * event.n / limit, half_even)
  on delivered then set terms.due = terms.due + event.late_by * event.n
  on delivered then set terms.rate = terms.rate * terms.rate + share
}
"#;

fn probe_program() -> contract_lang::Program {
    let sources = [SourceInput {
        name: "probe.clause".into(),
        text: LIBRARY_LIKE.into(),
    }];
    compile_program(&sources).program.expect("probe compiles")
}

#[test]
fn params_bind_with_defaults_widening_and_type_checks() {
    let program = probe_program();
    let clause = &program.clauses[0];
    let mut given = BTreeMap::new();
    assert!(matches!(
        bind_params(clause, &given),
        Err(contract_lang::eval::BindError::Missing { param, .. }) if param == "limit"
    ));
    given.insert("limit".to_string(), Value::Int(4));
    let bound = bind_params(clause, &given).expect("binds");
    assert_eq!(bound.len(), 3);
    assert_eq!(bound["rate_per_hour"].to_string(), "150.00 EUR");
    given.insert("share".to_string(), Value::Int(1));
    assert_eq!(
        bind_params(clause, &given).expect("widens")["share"],
        Value::Decimal(contract_lang::value::Decimal::from_int(1))
    );
    given.insert("rate_per_hour".to_string(), Value::Text("150".into()));
    assert!(matches!(
        bind_params(clause, &given),
        Err(contract_lang::eval::BindError::Type { .. })
    ));
    given.remove("rate_per_hour");
    given.insert("cap".to_string(), Value::Int(1));
    assert!(matches!(
        bind_params(clause, &given),
        Err(contract_lang::eval::BindError::Unknown { param, .. }) if param == "cap"
    ));
}

fn arbitrary_value() -> impl proptest::strategy::Strategy<Value = Value> {
    use contract_lang::value::{Currency, Decimal, EnumValue, Money};
    use proptest::prelude::*;
    let leaf = prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        (any::<i64>(), 0u8..=18).prop_map(|(m, s)| Value::Decimal(Decimal::new(m, s).unwrap())),
        (
            any::<i64>(),
            prop::sample::select(vec!["EUR", "USD", "JPY", "KWD"])
        )
            .prop_map(|(minor, c)| Value::Money(Money {
                minor,
                currency: Currency::parse(c).unwrap()
            })),
        any::<i64>().prop_map(Value::Duration),
        any::<i64>().prop_map(Value::Timestamp),
        "[a-z]{0,3}".prop_map(Value::Text),
        prop::sample::select(vec!["green", "orange", "red", "blue"]).prop_map(|v| Value::Enum(
            EnumValue {
                ty: "level".into(),
                variant: v.into()
            }
        )),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            prop::collection::btree_map("[a-z]{1,2}", inner, 0..3).prop_map(Value::Record),
        ]
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// Data of any shape — well-typed or not, at the extremes of every range — never makes
    /// evaluation panic, and both paths agree on it.
    #[test]
    fn evaluation_never_panics_on_any_data(
        terms in proptest::collection::btree_map(
            proptest::strategy::Strategy::prop_map(proptest::sample::select(vec!["due", "price", "regions", "rate", "flag"]), String::from),
            arbitrary_value(),
            0..5,
        ),
        fields in proptest::collection::btree_map(
            proptest::strategy::Strategy::prop_map(proptest::sample::select(vec!["level", "region", "late_by", "n"]), String::from),
            arbitrary_value(),
            0..4,
        ),
        at in proptest::prelude::any::<i64>(),
        limit in proptest::prelude::any::<i64>(),
    ) {
        let program = probe_program();
        let clause = &program.clauses[0];
        let mut given = BTreeMap::new();
        given.insert("limit".to_string(), Value::Int(limit));
        let params = bind_params(clause, &given).expect("binds");
        let bound = [BoundClause { clause, params: &params }];
        let state = State {
            terms,
            ..State::default()
        };
        let event = Event { kind: "delivered".into(), at, fields };
        let outcome = evaluate(&bound, "CN", &state, &event);
        let prepared = [Evaluator::new(bound[0], "CN").expect("bound").with_fast_path()];
        proptest::prop_assert_eq!(evaluate_prepared(&prepared, &state, &event), outcome.clone());
        let _ = outcome.to_string();
    }
}
