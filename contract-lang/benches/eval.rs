//! Rule evaluation speed: the compiled air-freight compensation rule, side by side with the
//! `cel` crate evaluating the equivalent expression in the same run.
//!
//! ```text
//! cargo bench -p contract-lang --features cel-baseline --bench eval
//! ```
//!
//! Targets (issue 2): at least 5,000,000 rule evaluations per second on one core for
//! `pactum/eval_rule`, and at least 5× the rate of `cel/compensation`.
//!
//! * `pactum/eval_rule` — [`Evaluator::eval_rule`] (with the typed fast path) on the
//!   compensation rule of a delivery 4 h 30 min late: condition, `hours(...)`, money
//!   arithmetic, `min`, the pay effect.
//! * `pactum/eval_rule_not_late` — the same rule when the condition is false.
//! * `pactum/eval_rule_general` — the same late delivery on the general evaluator.
//! * `pactum/evaluate` — the whole [`evaluate`] call for the event (trace and owned outcome).
//! * `cel/compensation` — `delay_hours > 0 ? min(delay_hours * 150, 20000) : 0` in CEL, with
//!   `delay_hours` already in the context.

use contract_lang::compile::{compile_program, SourceInput};
use contract_lang::eval::{bind_params, evaluate, BoundClause, Effect, Evaluator, Event, State};
use contract_lang::value::{Currency, Money, Value};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::collections::BTreeMap;
use std::hint::black_box;

const SOURCE: &str = r#"
enum transport_mode { sea, rail, road, air }
terms {
  transport_mode: transport_mode
  delivery_due: timestamp
}
event shipment.departed { port: text }
event shipment.eta_updated { eta: timestamp }
event shipment.delivered { received_by: text }

clause air_freight_fallback {
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

/// 2026-03-01T00:00:00Z.
const DUE: i64 = 1_772_323_200;

fn delivered(at: i64) -> Event {
    let mut fields = BTreeMap::new();
    fields.insert("received_by".to_string(), Value::Text("Shanghai DC".into()));
    Event {
        kind: "shipment.delivered".into(),
        at,
        fields,
    }
}

fn pactum(c: &mut Criterion) {
    let sources = [SourceInput {
        name: "air_freight.clause".into(),
        text: SOURCE.into(),
    }];
    let program = compile_program(&sources)
        .program
        .expect("the benchmark clause compiles");
    let clause = &program.clauses[0];
    let params = bind_params(clause, &BTreeMap::new()).expect("defaults bind");
    let bound = BoundClause {
        clause,
        params: &params,
    };
    let mut state = State::default();
    state
        .terms
        .insert("delivery_due".into(), Value::Timestamp(DUE));
    state.terms.insert(
        "transport_mode".into(),
        Value::Enum(contract_lang::value::EnumValue {
            ty: "transport_mode".into(),
            variant: "sea".into(),
        }),
    );
    let late = delivered(DUE + 4 * 3_600 + 1_800);
    let on_time = delivered(DUE - 60);
    let general = Evaluator::new(bound, "CN").expect("params are bound");
    let evaluator = Evaluator::new(bound, "CN")
        .expect("params are bound")
        .with_fast_path();
    let rule = clause
        .ir
        .rules
        .iter()
        .position(|rule| rule.on == "shipment.delivered")
        .expect("the compensation rule");

    // The result the benchmark measures must be the right one, on both paths.
    let mut effects: Vec<Effect<'_>> = Vec::new();
    evaluator.eval_rule(rule, &state, &late, &mut effects);
    let mut general_effects: Vec<Effect<'_>> = Vec::new();
    general.eval_rule(rule, &state, &late, &mut general_effects);
    assert_eq!(effects, general_effects);
    let eur = Currency::parse("EUR").expect("EUR");
    assert!(matches!(
        effects.as_slice(),
        [Effect::Transfer { amount, .. }] if *amount == Money { minor: 60_000, currency: eur }
    ));

    let mut group = c.benchmark_group("rule_evaluation");
    group.throughput(Throughput::Elements(1));
    group.bench_function("pactum/eval_rule", |b| {
        let mut effects: Vec<Effect<'_>> = Vec::with_capacity(4);
        b.iter(|| {
            effects.clear();
            let verdict =
                evaluator.eval_rule(black_box(rule), &state, black_box(&late), &mut effects);
            black_box(&effects);
            verdict
        })
    });
    group.bench_function("pactum/eval_rule_not_late", |b| {
        let mut effects: Vec<Effect<'_>> = Vec::with_capacity(4);
        b.iter(|| {
            effects.clear();
            evaluator.eval_rule(black_box(rule), &state, black_box(&on_time), &mut effects)
        })
    });
    group.bench_function("pactum/eval_rule_general", |b| {
        let mut effects: Vec<Effect<'_>> = Vec::with_capacity(4);
        b.iter(|| {
            effects.clear();
            general.eval_rule(black_box(rule), &state, black_box(&late), &mut effects)
        })
    });
    group.bench_function("pactum/evaluate", |b| {
        b.iter(|| evaluate(black_box(&[bound]), "CN", &state, black_box(&late)))
    });
    cel_baseline(&mut group);
    group.finish();
}

fn cel_baseline(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    let program = cel::Program::compile("delay_hours > 0 ? min(delay_hours * 150, 20000) : 0")
        .expect("the CEL expression compiles");
    let mut context = cel::Context::default();
    // `min` is part of cel-rust's function library, registered by name.
    context
        .add_function("min", cel::functions::min)
        .expect("min registers");
    context
        .add_variable("delay_hours", 4i64)
        .expect("an int variable");
    assert_eq!(program.execute(&context), Ok(cel::Value::Int(600)));
    group.bench_function("cel/compensation", |b| {
        b.iter(|| program.execute(black_box(&context)))
    });
}

criterion_group!(benches, pactum);
criterion_main!(benches);
