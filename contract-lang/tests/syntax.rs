//! Golden tests of the syntax layer, plus property tests.
//!
//! Every `tests/data/syntax/*.clause` file is parsed. A file with diagnostics must match its
//! `.expect` file holding the rendered diagnostics (plain text); a valid file must match its
//! formatted text, reparse without diagnostics and format to the same text again.
//! `UPDATE_EXPECT=1 cargo test -p contract-lang --test syntax` rewrites the `.expect` files.

mod common;

use std::path::{Path as FilePath, PathBuf};

use contract_lang::ast::*;
use contract_lang::diagnostics::render;
use contract_lang::fmt::{format, format_source};
use contract_lang::limits;
use contract_lang::span::Span;
use contract_lang::syntax::{parse, parse_expr};
use proptest::prelude::*;

fn data_dir() -> PathBuf {
    FilePath::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/syntax")
}

/// Parses `input`, renders what it yields and compares with the `.expect` file next to it.
fn check(input: &FilePath) {
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
    common::expect_file(&input.with_extension("expect"), &actual);
}

#[test]
fn golden_files() {
    let inputs = common::inputs(&data_dir(), "clause");
    for input in &inputs {
        check(input);
    }
}

// ----- targeted behaviour ---------------------------------------------------------------------

/// The Debug text of the items with every span removed: two ASTs that mean the same.
fn shape(items: &[Item]) -> String {
    let text = format!("{items:?}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("Span { start: ") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let end = after.find('}').map_or(after.len(), |e| e + 1);
        out.push_str("Span");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn codes(source: &str) -> Vec<String> {
    parse(source)
        .diagnostics
        .into_iter()
        .map(|d| d.code)
        .collect()
}

#[test]
fn parse_expr_reads_scenario_values() {
    let lit = |s: &str| match parse_expr(s).map(|e| e.kind) {
        Ok(ExprKind::Literal(l)) => l,
        other => panic!("{s}: {other:?}"),
    };
    assert_eq!(
        lit("150.00 EUR"),
        Literal::Money {
            mantissa: 15000,
            scale: 2,
            currency: "EUR".into()
        }
    );
    assert_eq!(
        lit("2026-03-01T00:00:00Z"),
        Literal::Timestamp(1_772_323_200)
    );
    assert_eq!(
        lit("2026-03-01T08:00:00+08:00"),
        Literal::Timestamp(1_772_323_200)
    );
    assert_eq!(
        lit("1d12h"),
        Literal::Duration(vec![(1, DurationUnit::Days), (12, DurationUnit::Hours)])
    );
    assert_eq!(
        lit("0.5%"),
        Literal::Percent {
            mantissa: 5,
            scale: 1
        }
    );
    assert_eq!(lit("\"海运 \\u{1F600}\""), Literal::Text("海运 😀".into()));
    assert!(matches!(parse_expr("sea").map(|e| e.kind), Ok(ExprKind::Name(n)) if n.node == "sea"));
    match parse_expr("[\"CN-ZJ\", \"TW\"]").map(|e| e.kind) {
        Ok(ExprKind::List(items)) => assert_eq!(items.len(), 2),
        other => panic!("{other:?}"),
    }
    match parse_expr("-5").map(|e| e.kind) {
        Ok(ExprKind::Unary {
            op: UnaryOp::Neg, ..
        }) => {}
        other => panic!("{other:?}"),
    }
    let err = |s: &str| parse_expr(s).err().map(|d| d[0].code.clone());
    assert_eq!(err("1 2").as_deref(), Some("E0202"));
    assert_eq!(err("").as_deref(), Some("E0207"));
    assert_eq!(err("2026-02-29T00:00:00Z").as_deref(), Some("E0106"));
    assert_eq!(err("9223372036854775808").as_deref(), Some("E0104"));
}

#[test]
fn precedence_and_associativity() {
    let text = |s: &str| {
        let e = parse_expr(s).unwrap_or_else(|d| panic!("{s}: {d:?}"));
        shape(&[Item::Clause(ClauseDecl {
            name: contract_lang::span::Spanned::new(String::new(), e.span),
            items: vec![ClauseItem::Param(Param {
                name: contract_lang::span::Spanned::new(String::new(), e.span),
                ty: TypeExpr {
                    kind: TypeExprKind::Int,
                    span: e.span,
                },
                default: Some(e),
                span: Default::default(),
            })],
            span: Default::default(),
        })])
    };
    // Same trees whether or not the parentheses implied by precedence are written.
    assert_eq!(
        text("a or b and not c == d + e * -f.g"),
        text("a or (b and (not (c == (d + (e * (-(f.g)))))))")
    );
    assert_eq!(text("a - b - c"), text("(a - b) - c"));
    assert_ne!(text("a - b - c"), text("a - (b - c)"));
    assert_eq!(
        text("if a then b else c + 1"),
        text("if a then b else (c + 1)")
    );
    assert_eq!(text("x in [1, 2] and y"), text("(x in [1, 2]) and y"));
}

#[test]
fn money_needs_the_code_on_the_same_line_and_not_an_arm() {
    let src =
        "clause c {\n  param a: int = jurisdiction {\n    CN => 1 USA => 2\n    DE => 3\n  }\n}\n";
    let parsed = parse(src);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let Item::Clause(c) = &parsed.file.items[0] else {
        panic!()
    };
    let ClauseItem::Param(p) = &c.items[0] else {
        panic!()
    };
    let Some(ExprKind::Jurisdiction(arms)) = p.default.as_ref().map(|d| &d.kind) else {
        panic!()
    };
    assert_eq!(arms.len(), 3);
}

#[test]
fn recovery_reports_every_independent_error() {
    let src = "clause a {\n  param x: int = 1 +\n  param y: int = )\n  on e when a = b then set terms.x = 1\n  on e when a then bogus\n}\nclause b { param z: = 1 }\nclause c { on e then review \"fine\" }\n";
    let parsed = parse(src);
    let codes: Vec<&str> = parsed.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes,
        ["E0207", "E0207", "E0203", "E0202", "E0209"],
        "{:?}",
        parsed.diagnostics
    );
    // Every clause is still there, including the one after the errors.
    let names: Vec<String> = parsed
        .file
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Clause(c) => Some(c.name.node.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
}

#[test]
fn keywords_and_identifiers() {
    assert!(codes("clause c { param at: timestamp = 2026-03-01T00:00:00Z }").is_empty());
    assert!(
        codes("clause c { on x when facts.return.inspected.at > event.at then review \"r\" }")
            .is_empty()
    );
    assert_eq!(codes("clause c { param then: int }"), ["E0212"]);
    assert!(
        codes("\u{feff}clause c {}\r\n").is_empty(),
        "a byte-order mark and CRLF are fine"
    );
    let long = "a".repeat(limits::MAX_IDENT_LEN + 1);
    assert_eq!(codes(&format!("clause {long} {{}}")), ["E0304"]);
}

#[test]
fn limits_are_diagnostics() {
    let big = " ".repeat(limits::MAX_SOURCE_BYTES + 1);
    assert_eq!(codes(&big), ["E0301"]);
    assert!(matches!(parse_expr(&big), Err(d) if d[0].code == "E0301"));

    let deep = format!(
        "clause c {{ param x: int = {}1{} }}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert_eq!(codes(&deep), ["E0302"]);
    let negs = format!("clause c {{ param x: int = {}1 }}", "-".repeat(10_000));
    assert_eq!(codes(&negs), ["E0302"]);
    let nots = format!(
        "clause c {{ on e when {}a then review \"r\" }}",
        "not ".repeat(10_000)
    );
    assert_eq!(codes(&nots), ["E0302"]);
    let types = format!(
        "terms {{ x: {}int{} }}",
        "list<".repeat(10_000),
        ">".repeat(10_000)
    );
    assert_eq!(codes(&types), ["E0302"]);
    assert!(matches!(parse_expr(&"[".repeat(10_000)), Err(d) if d[0].code == "E0302"));

    // 100 001 list elements, within the byte limit.
    let many = format!(
        "clause c {{ param x: list<int> = [{}] }}",
        vec!["1"; limits::MAX_EXPRESSIONS + 1].join(",")
    );
    assert_eq!(codes(&many), ["E0303"]);

    let long_text = format!(
        "clause c {{ param x: text = \"{}\" }}",
        "x".repeat(limits::MAX_STRING_BYTES + 1)
    );
    assert_eq!(codes(&long_text), ["E0305"]);

    let errors = parse(&"@ ".repeat(1000)).diagnostics;
    assert_eq!(errors.len(), limits::MAX_DIAGNOSTICS + 1);
    assert_eq!(errors.last().map(|d| d.code.as_str()), Some("E0307"));
}

/// The deepest accepted expression needs little stack even in a debug build, so the limit (not
/// the thread's stack size) is what bounds recursion in the parser and in every later pass.
#[test]
fn deepest_accepted_nesting_fits_a_small_stack() {
    let depth = limits::MAX_NESTING_DEPTH - 2;
    let src = format!(
        "clause c {{ param x: int = {}-1{} }}",
        "(not ".repeat(depth / 2),
        ")".repeat(depth / 2)
    );
    let handle = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(move || {
            let parsed = parse(&src);
            let formatted = format(&parsed.file);
            (parsed.diagnostics.len(), formatted)
        })
        .expect("spawn");
    let (errors, formatted) = handle.join().expect("no stack overflow");
    assert_eq!(errors, 0);
    assert!(formatted.contains("not not not"), "{formatted}");
}

#[test]
fn render_plain_is_deterministic_and_complete() {
    let src = "clause c {\n  on e when a = b then review \"x\"\n}\n";
    let d = parse(src).diagnostics;
    let once = render(&d, "c.clause", src, false);
    assert_eq!(once, render(&d, "c.clause", src, false));
    assert!(
        once.contains("[E0203]") && once.contains("c.clause:2:15") && once.contains("Help:"),
        "{once}"
    );
    assert!(!once.contains('\u{1b}'), "plain output has no escape codes");
    assert!(render(&d, "c.clause", src, true).contains('\u{1b}'));
    assert_eq!(
        contract_lang::diagnostics::line_col(src, d[0].span.start),
        (2, 15)
    );
}

#[test]
fn formatting_keeps_the_ast_of_the_design_examples() {
    let src = std::fs::read_to_string(data_dir().join("design_examples.clause")).expect("read");
    let before = parse(&src);
    assert!(before.diagnostics.is_empty());
    let formatted = format(&before.file);
    let after = parse(&formatted);
    assert!(after.diagnostics.is_empty());
    assert_eq!(shape(&before.file.items), shape(&after.file.items));
}

// ----- properties -----------------------------------------------------------------------------

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z][a-z0-9_]{0,6}",
        1 => "[A-Z][A-Z]",
    ]
    .prop_filter("not a keyword", |n| {
        !contract_lang::syntax::parser::is_keyword(n)
    })
}

fn ident() -> impl Strategy<Value = Ident> {
    name().prop_map(|n| contract_lang::span::Spanned::new(n, Default::default()))
}

fn path() -> impl Strategy<Value = Path> {
    prop::collection::vec(ident(), 1..4).prop_map(|segments| Path {
        segments,
        span: Default::default(),
    })
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<bool>().prop_map(Literal::Bool),
        (0..=i64::MAX).prop_map(Literal::Int),
        (0..=i64::MAX, 1..=18u8).prop_map(|(mantissa, scale)| Literal::Decimal { mantissa, scale }),
        (0..=i64::MAX, 0..=18u8).prop_map(|(mantissa, scale)| Literal::Percent { mantissa, scale }),
        (0..=i64::MAX, 0..=18u8, "[A-Z]{3}").prop_map(|(mantissa, scale, currency)| {
            Literal::Money {
                mantissa,
                scale,
                currency,
            }
        }),
        prop::collection::vec(
            (
                0..1_000_000i64,
                prop_oneof![
                    Just(DurationUnit::Days),
                    Just(DurationUnit::Hours),
                    Just(DurationUnit::Minutes),
                    Just(DurationUnit::Seconds)
                ]
            ),
            1..4
        )
        .prop_map(Literal::Duration),
        // Years 0000 to 9999.
        (-62_167_219_200i64..=253_402_300_799).prop_map(Literal::Timestamp),
        ".{0,20}".prop_map(Literal::Text),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    let e = |kind| Expr {
        kind,
        span: Default::default(),
    };
    let leaf = prop_oneof![
        literal().prop_map(move |l| e(ExprKind::Literal(l))),
        ident().prop_map(move |n| e(ExprKind::Name(n))),
        Just(e(ExprKind::Name(contract_lang::span::Spanned::new(
            "terms".into(),
            Default::default()
        )))),
    ];
    leaf.prop_recursive(5, 48, 4, move |inner| {
        let binop = prop_oneof![
            Just(BinaryOp::Or),
            Just(BinaryOp::And),
            Just(BinaryOp::Eq),
            Just(BinaryOp::Ne),
            Just(BinaryOp::Lt),
            Just(BinaryOp::Le),
            Just(BinaryOp::Gt),
            Just(BinaryOp::Ge),
            Just(BinaryOp::In),
            Just(BinaryOp::Add),
            Just(BinaryOp::Sub),
            Just(BinaryOp::Mul),
            Just(BinaryOp::Div),
        ];
        let arm = (prop::option::of("[A-Z]{2,3}"), inner.clone()).prop_map(|(code, body)| {
            JurisdictionArm {
                code: code.map(|c| contract_lang::span::Spanned::new(c, Default::default())),
                body,
                span: Default::default(),
            }
        });
        prop_oneof![
            (binop, inner.clone(), inner.clone()).prop_map(move |(op, l, r)| e(ExprKind::Binary {
                op,
                lhs: Box::new(l),
                rhs: Box::new(r)
            })),
            (
                prop_oneof![Just(UnaryOp::Neg), Just(UnaryOp::Not)],
                inner.clone()
            )
                .prop_map(move |(op, o)| e(ExprKind::Unary {
                    op,
                    operand: Box::new(o)
                })),
            (
                inner.clone(),
                prop_oneof![name(), Just("at".to_string()), Just("event".to_string())]
            )
                .prop_map(move |(b, f)| e(ExprKind::Field {
                    base: Box::new(b),
                    field: contract_lang::span::Spanned::new(f, Default::default())
                })),
            (ident(), prop::collection::vec(inner.clone(), 0..3))
                .prop_map(move |(callee, args)| e(ExprKind::Call { callee, args })),
            prop::collection::vec(inner.clone(), 0..3).prop_map(move |l| e(ExprKind::List(l))),
            prop::collection::vec(arm, 0..3).prop_map(move |a| e(ExprKind::Jurisdiction(a))),
            (inner.clone(), inner.clone(), inner).prop_map(move |(c, t, o)| e(ExprKind::If {
                cond: Box::new(c),
                then: Box::new(t),
                otherwise: Box::new(o)
            })),
        ]
    })
}

fn type_expr() -> impl Strategy<Value = TypeExpr> {
    let t = |kind| TypeExpr {
        kind,
        span: Default::default(),
    };
    let leaf = prop_oneof![
        Just(t(TypeExprKind::Bool)),
        Just(t(TypeExprKind::Int)),
        Just(t(TypeExprKind::Decimal)),
        Just(t(TypeExprKind::Money)),
        Just(t(TypeExprKind::Duration)),
        Just(t(TypeExprKind::Timestamp)),
        Just(t(TypeExprKind::Text)),
        ident().prop_map(move |n| t(TypeExprKind::Named(n))),
    ];
    leaf.prop_recursive(3, 12, 3, move |inner| {
        prop_oneof![
            inner
                .clone()
                .prop_map(move |i| t(TypeExprKind::List(Box::new(i)))),
            prop::collection::vec(field_with(inner), 0..3)
                .prop_map(move |f| t(TypeExprKind::Record(f))),
        ]
    })
}

fn field_with(ty: impl Strategy<Value = TypeExpr>) -> impl Strategy<Value = Field> {
    (ident(), ty).prop_map(|(name, ty)| Field {
        name,
        ty,
        span: Default::default(),
    })
}

fn action() -> impl Strategy<Value = Action> {
    let a = |kind| Action {
        kind,
        span: Default::default(),
    };
    prop_oneof![
        (path(), expr()).prop_map(move |(target, value)| a(ActionKind::Set { target, value })),
        (
            prop_oneof![
                Just(TransferKind::Pay),
                Just(TransferKind::Refund),
                Just(TransferKind::Compensate)
            ],
            ident(),
            ident(),
            expr()
        )
            .prop_map(move |(kind, from, to, amount)| a(ActionKind::Transfer {
                kind,
                from,
                to,
                amount
            })),
        (ident(), expr())
            .prop_map(move |(party, message)| a(ActionKind::Notify { party, message })),
        ident().prop_map(move |c| a(ActionKind::Activate(c))),
        ident().prop_map(move |c| a(ActionKind::Deactivate(c))),
        ".{0,12}".prop_map(
            move |r| a(ActionKind::Review(contract_lang::span::Spanned::new(
                r,
                Default::default()
            )))
        ),
    ]
}

fn clause_item() -> impl Strategy<Value = ClauseItem> {
    let s = Span::default();
    prop_oneof![
        (ident(), ".{0,12}").prop_map(move |(lang, text)| ClauseItem::Title(Title {
            lang,
            text: contract_lang::span::Spanned::new(text, s),
            span: s
        })),
        (ident(), type_expr(), prop::option::of(expr())).prop_map(move |(name, ty, default)| {
            ClauseItem::Param(Param {
                name,
                ty,
                default,
                span: s,
            })
        }),
        (ident(), ident(), path(), expr()).prop_map(move |(name, param, param_kind, body)| {
            ClauseItem::Predicate(Predicate {
                name,
                param,
                param_kind,
                body,
                span: s,
            })
        }),
        (
            path(),
            prop::option::of(expr()),
            prop::collection::vec(action(), 0..3),
            any::<bool>(),
            any::<bool>()
        )
            .prop_map(move |(on, when, actions, braced, once)| {
                // An unbraced rule has exactly one action.
                let braced = braced || actions.len() != 1;
                ClauseItem::Rule(Rule {
                    once,
                    option: None,
                    on,
                    when,
                    actions,
                    braced,
                    span: s,
                })
            }),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    let s = Span::default();
    prop_oneof![
        (ident(), prop::collection::vec(ident(), 1..4)).prop_map(move |(name, variants)| {
            Item::Enum(EnumDecl {
                name,
                variants,
                span: s,
            })
        }),
        prop::collection::vec(field_with(type_expr()), 0..3)
            .prop_map(move |fields| Item::Terms(TermsDecl { fields, span: s })),
        (path(), prop::collection::vec(field_with(type_expr()), 0..3)).prop_map(
            move |(kind, fields)| Item::Event(EventDecl {
                kind,
                fields,
                span: s
            })
        ),
        (ident(), prop::collection::vec(clause_item(), 0..5)).prop_map(move |(name, items)| {
            Item::Clause(ClauseDecl {
                name,
                items,
                span: s,
            })
        }),
    ]
}

/// Inserts `// …` comments into a valid source at line ends and on lines of their own.
fn with_comments(source: &str, picks: &[(bool, bool)]) -> String {
    let mut out = String::new();
    for (i, line) in source.lines().enumerate() {
        let (before, after) = picks.get(i).copied().unwrap_or((false, false));
        if before {
            out.push_str(&format!("// before line {i}\n"));
        }
        out.push_str(line);
        if after {
            out.push_str(&format!(" // after line {i}"));
        }
        out.push('\n');
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let parsed = parse(&text);
        let _ = render(&parsed.diagnostics, "fuzz.clause", &text, false);
        let _ = parse_expr(&text);
        let _ = format_source(&text);
        let _ = format(&parsed.file);
    }

    #[test]
    fn render_survives_any_span(
        source in "(.|\r\n|\n|\t){0,60}",
        spans in prop::collection::vec((0u32..80, 0u32..80), 1..4),
        help in prop::option::of(".{0,10}"),
    ) {
        let mut d = contract_lang::span::Diagnostic::error("E0999", "m", Span { start: spans[0].0, end: spans[0].1 }, "primary");
        for &(start, end) in &spans[1..] {
            d = d.with_secondary(Span { start, end }, "secondary");
        }
        d.help = help;
        let text = render(&[d], "any.clause", &source, false);
        prop_assert!(text.contains("E0999"));
        let _ = contract_lang::diagnostics::line_col(&source, spans[0].0);
    }

    #[test]
    fn token_soup_never_panics(words in prop::collection::vec(prop_oneof![
        Just("clause"), Just("c"), Just("{"), Just("}"), Just("("), Just(")"), Just("["), Just("]"),
        Just("on"), Just("when"), Just("then"), Just("else"), Just("if"), Just("param"), Just(":"),
        Just("="), Just("=="), Just("x"), Just("."), Just(","), Just("1"), Just("2.50 EUR"),
        Just("42d"), Just("\"t\""), Just("jurisdiction"), Just("=>"), Just("_"), Just("set"),
        Just("pay"), Just("->"), Just("and"), Just("not"), Just("-"), Just("terms"), Just("event"),
        Just("\n"), Just("// c\n"), Just("list"), Just("<"), Just(">"), Just("enum"), Just("\""),
        Just("2026-03-01T00:00:00Z"), Just("review"), Just("title"), Just("predicate"),
        Just("label"), Just("attester"), Just("term"), Just("de"), Just("zh"),
    ], 0..80)) {
        let text = words.join(" ");
        let parsed = parse(&text);
        let _ = render(&parsed.diagnostics, "soup.clause", &text, false);
        if parsed.diagnostics.is_empty() {
            let once = format(&parsed.file);
            prop_assert_eq!(format_source(&once), Ok(once.clone()));
        }
    }

    #[test]
    fn fmt_is_idempotent_and_keeps_the_ast(items in prop::collection::vec(item(), 0..4)) {
        let file = SourceFile { items, ..SourceFile::default() };
        let text = format(&file);
        let parsed = parse(&text);
        prop_assert!(parsed.diagnostics.is_empty(), "{}\n{}", text, render(&parsed.diagnostics, "gen.clause", &text, false));
        prop_assert_eq!(shape(&parsed.file.items), shape(&file.items), "{}", text);
        prop_assert_eq!(format(&parsed.file), text);
    }

    #[test]
    fn fmt_keeps_comments_and_is_idempotent(picks in prop::collection::vec((any::<bool>(), any::<bool>()), 60)) {
        let src = std::fs::read_to_string(data_dir().join("design_examples.clause")).expect("read");
        let commented = with_comments(&src, &picks);
        let once = format_source(&commented).map_err(|d| TestCaseError::fail(render(&d, "c.clause", &commented, false)))?;
        prop_assert_eq!(format_source(&once), Ok(once.clone()));
        let wanted = commented.matches("// ").count();
        prop_assert_eq!(once.matches("// ").count(), wanted, "{}", once);
        prop_assert_eq!(shape(&parse(&once).file.items), shape(&parse(&src).file.items));
    }
}

// ----- formatting and the clause id -----------------------------------------------------------

/// The id of every clause compiled from the library vocabulary plus `clause_file`.
fn clause_ids(clause_file: &str) -> Vec<(String, String)> {
    use contract_lang::compile::{compile_program, SourceInput};
    let sources = [
        SourceInput {
            name: "vocabulary.clause".into(),
            text: pactum_clause_library::VOCABULARY.into(),
        },
        SourceInput {
            name: "clause.clause".into(),
            text: clause_file.into(),
        },
    ];
    let result = compile_program(&sources);
    let Some(program) = result.program else {
        panic!("does not compile: {:?}\n{clause_file}", result.diagnostics);
    };
    program
        .clauses
        .iter()
        .map(|c| (c.name.clone(), c.id.to_hex()))
        .collect()
}

#[test]
fn formatting_the_library_keeps_every_clause_id() {
    for (path, source) in pactum_clause_library::CLAUSES {
        let ugly = with_comments(&source.replace("\n  ", "\n      "), &[(true, true); 200]);
        let formatted = format_source(&ugly).unwrap_or_else(|d| panic!("{path}: {d:?}"));
        assert_eq!(clause_ids(source), clause_ids(&formatted), "{path}");
    }
    // A change of meaning changes the id.
    let (_, air) = pactum_clause_library::CLAUSES[0];
    assert!(air.contains("42d"));
    assert_ne!(clause_ids(air), clause_ids(&air.replacen("42d", "43d", 1)));
}

#[test]
fn cubic_metres_may_be_written_m3_or_m_cubed_with_one_clause_id() {
    let clause = |unit: &str| {
        format!(
            "clause volumes {{\n  param limit: quantity<{unit}> = 33 {unit}\n  on shipment.delivered\n  when limit > 30 {unit}\n  then notify buyer \"full\"\n}}\n"
        )
    };
    assert_eq!(clause_ids(&clause("m3")), clause_ids(&clause("m³")));
    assert_ne!(clause_ids(&clause("m3")), clause_ids(&clause("l")));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn fmt_keeps_the_clause_id(
        which in 0..pactum_clause_library::CLAUSES.len(),
        picks in prop::collection::vec((any::<bool>(), any::<bool>()), 80),
        indents in prop::collection::vec(0usize..6, 80),
    ) {
        let (_, source) = pactum_clause_library::CLAUSES[which];
        // Re-indent each line at random and sprinkle comments: layout and comments only.
        let reindented: String = source
            .lines()
            .zip(indents.iter().cycle())
            .map(|(line, &n)| format!("{}{}\n", " ".repeat(n), line.trim_start()))
            .collect();
        let messy = with_comments(&reindented, &picks);
        let formatted = format_source(&messy).map_err(|d| TestCaseError::fail(format!("{d:?}")))?;
        prop_assert_eq!(format_source(&formatted), Ok(formatted.clone()));
        prop_assert_eq!(clause_ids(source), clause_ids(&formatted));
    }
}
