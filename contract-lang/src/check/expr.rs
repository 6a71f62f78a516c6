//! Type-checks expressions and lowers them to IR in one pass: literals, operators, lists,
//! `if` and `jurisdiction`. Names live in `names.rs`, calls in `calls.rs`.
//!
//! [`ExprChecker::check`] takes an *expected* type from the context as a hint: it resolves bare
//! enum variants, types `[]` and widens list items; the caller still checks the result. Every
//! node gets a provisional site (an index into [`ExprChecker::sites`]) carrying its span; the
//! compiler renumbers sites canonically once the clause is complete.

use super::codes::{self, did_you_mean};
use super::ty::{arith, assignable, comparable, unify, Clash, Ty, Unit};
use crate::ast::{self, BinaryOp, ExprKind as Ast, Ident, Literal, UnaryOp};
use crate::ir::{self, ArithOp, CompareOp, ExprKind};
use crate::span::{Diagnostic, Span};
use crate::value::{Currency, Decimal, Type, Value, MAX_TIMESTAMP, MIN_TIMESTAMP};
use crate::vocab::Vocabulary;
use std::collections::{BTreeMap, BTreeSet};

/// Names a param or predicate parameter may not take.
pub(crate) const RESERVED: &[&str] = &["terms", "facts", "event", "jurisdiction"];

/// Names of the built-in functions, for suggestions.
pub(super) const BUILTINS: &[&str] = &[
    "happened",
    "count",
    "sum",
    "min",
    "max",
    "abs",
    "round",
    "days",
    "hours",
    "minutes",
    "seconds",
    "ceil_days",
    "ceil_hours",
    "started_days",
    "started_hours",
    "to",
];

pub(super) const ROUNDING_HELP: &str =
    "any rate or division says how it rounds: write `round(…, half_up)` \
     (or `half_even`, `down`, `up`, `floor`, `ceiling`)";

#[derive(Clone, Debug)]
pub(crate) struct ParamInfo {
    pub index: u32,
    pub ty: Type,
}

#[derive(Clone, Debug)]
pub(crate) struct PredicateSig {
    pub name: String,
    /// Index in the IR's name-sorted predicate list.
    pub index: u32,
    pub kind: String,
}

/// What an expression may see.
pub(crate) struct Scope<'s> {
    pub params: &'s BTreeMap<String, ParamInfo>,
    /// Every predicate of the clause, in source order.
    pub predicates: &'s [PredicateSig],
    /// How many of `predicates` may be called (those declared before the current one).
    pub visible_predicates: usize,
    /// The kind of the rule's `on` event, inside a rule.
    pub on_kind: Option<&'s str>,
    /// The predicate's parameter name and kind, inside a predicate.
    pub predicate_param: Option<(&'s str, &'s str)>,
    /// A constant context (param defaults, scenario values): no params, terms, facts, event.
    pub constant: bool,
}

/// The slice of the vocabulary a clause depends on; it becomes part of the IR.
#[derive(Default, Debug)]
pub(crate) struct Uses {
    pub terms: BTreeMap<String, Type>,
    pub events: BTreeMap<String, BTreeMap<String, Type>>,
    pub enums: BTreeSet<String>,
}

pub(crate) struct ExprChecker<'c> {
    pub vocab: &'c Vocabulary,
    pub scope: Scope<'c>,
    pub diags: &'c mut Vec<Diagnostic>,
    pub sites: &'c mut Vec<Span>,
    pub uses: &'c mut Uses,
}

/// A name chain: `a.b.c` as its identifiers.
pub(super) fn name_chain(expr: &ast::Expr) -> Option<Vec<&Ident>> {
    match &expr.kind {
        Ast::Name(ident) => Some(vec![ident]),
        Ast::Field { base, field } => {
            let mut chain = name_chain(base)?;
            chain.push(field);
            Some(chain)
        }
        _ => None,
    }
}

pub(super) fn chain_span(chain: &[&Ident]) -> Span {
    match (chain.first(), chain.last()) {
        (Some(first), Some(last)) => first.span.to(last.span),
        _ => Span::default(),
    }
}

impl ExprChecker<'_> {
    pub(super) fn node(&mut self, span: Span, kind: ExprKind) -> ir::Expr {
        self.sites.push(span);
        ir::Expr {
            site: (self.sites.len() - 1) as u32,
            kind,
        }
    }

    /// Reports the diagnostic `make` builds, in a function of its own for each call site
    /// (`#[cold]`, never inlined): the browser compiles a checker's function whole on its
    /// first call, and building a message runs only for sources that do not compile.
    #[cold]
    #[inline(never)]
    pub(super) fn error_with(&mut self, make: impl FnOnce() -> Diagnostic) {
        self.diags.push(make());
    }

    /// Placeholder IR for an expression already reported as wrong.
    pub(super) fn poisoned(&mut self, span: Span) -> (Ty, ir::Expr) {
        let node = self.node(span, ExprKind::Const(Value::Bool(false)));
        (Ty::Error, node)
    }

    pub(super) fn span_of(&self, expr: &ir::Expr) -> Span {
        self.sites
            .get(expr.site as usize)
            .copied()
            .unwrap_or_default()
    }

    /// Checks a condition: it must be a `bool`.
    pub fn condition(&mut self, expr: &ast::Expr) -> ir::Expr {
        let (ty, node) = self.check(expr, Some(&Ty::Bool));
        if !matches!(ty, Ty::Bool | Ty::Error) {
            self.error_with(|| {
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!("a condition must be true or false, but this is {ty}"),
                    expr.span,
                    "expected bool",
                )
                .with_help("compare it with something, for example `x > 0`")
            });
        }
        node
    }

    /// Checks an expression whose value is stored, paid or shown as a `declared`.
    pub fn value(&mut self, expr: &ast::Expr, declared: &Type, what: &str) -> ir::Expr {
        let expected = Ty::from_type(declared);
        let (ty, node) = self.check(expr, Some(&expected));
        if ty.is_exact() {
            self.unrounded(expr.span, &ty);
            return node;
        }
        match assignable(&ty, declared) {
            Some(_) => self.coerce(node, &ty, &expected),
            None => {
                self.error_with(|| {
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        format!("{what} must be {}, but this is {ty}", article(declared)),
                        expr.span,
                        format!("expected {declared}"),
                    )
                });
                node
            }
        }
    }

    pub(super) fn unrounded(&mut self, span: Span, ty: &Ty) {
        self.error_with(|| {
            Diagnostic::error(
                codes::UNROUNDED,
                format!("this is {ty}: it must be rounded before it is used as a value"),
                span,
                "not rounded",
            )
            .with_help(ROUNDING_HELP)
        });
    }

    /// Inserts the int → decimal widening where `from` meets `to`.
    pub(super) fn coerce(&mut self, node: ir::Expr, from: &Ty, to: &Ty) -> ir::Expr {
        match (from, to) {
            (Ty::Int, Ty::Decimal) => {
                if let ExprKind::Const(Value::Int(value)) = node.kind {
                    return ir::Expr {
                        site: node.site,
                        kind: ExprKind::Const(Value::Decimal(Decimal::from_int(value))),
                    };
                }
                let span = self.span_of(&node);
                self.node(span, ExprKind::ToDecimal(Box::new(node)))
            }
            (Ty::List(from_element), Ty::List(to_element)) if from_element != to_element => {
                match node.kind {
                    ExprKind::List(items) => {
                        let items = items
                            .into_iter()
                            .map(|item| self.coerce(item, from_element, to_element))
                            .collect();
                        ir::Expr {
                            site: node.site,
                            kind: ExprKind::List(items),
                        }
                    }
                    kind => ir::Expr {
                        site: node.site,
                        kind,
                    },
                }
            }
            _ => node,
        }
    }

    /// Whether the expression needs its context's type to resolve (a bare enum variant, or a
    /// list of them, or `[]`).
    pub(super) fn is_contextual(&self, expr: &ast::Expr) -> bool {
        match &expr.kind {
            Ast::Name(ident) => {
                let name = ident.node.as_str();
                !self.scope.params.contains_key(name)
                    && self.scope.predicate_param.map(|(param, _)| param) != Some(name)
                    && !RESERVED.contains(&name)
            }
            Ast::List(items) => items.iter().all(|item| self.is_contextual(item)),
            _ => false,
        }
    }

    /// Checks two operands, the context-free one first so a bare variant on either side
    /// resolves against the other.
    pub(super) fn operands(
        &mut self,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> (Ty, ir::Expr, Ty, ir::Expr) {
        if self.is_contextual(lhs) && !self.is_contextual(rhs) {
            let (rt, rn) = self.check(rhs, None);
            let (lt, ln) = self.check(lhs, Some(&rt));
            (lt, ln, rt, rn)
        } else {
            let (lt, ln) = self.check(lhs, None);
            let (rt, rn) = self.check(rhs, Some(&lt));
            (lt, ln, rt, rn)
        }
    }

    /// Checks an expression. `expected` is a hint from the context (it resolves bare variants,
    /// types `[]` and widens list items); the caller still checks the resulting type.
    pub fn check(&mut self, expr: &ast::Expr, expected: Option<&Ty>) -> (Ty, ir::Expr) {
        let span = expr.span;
        match &expr.kind {
            Ast::Literal(literal) => self.literal(literal, span),
            Ast::Name(_) | Ast::Field { .. } if name_chain(expr).is_some() => {
                let chain = name_chain(expr).unwrap_or_default();
                self.path(&chain, expected)
            }
            Ast::Field { base, field } => {
                let (ty, node) = self.check(base, None);
                self.record_field(ty, node, field)
            }
            Ast::Name(_) => self.poisoned(span),
            Ast::Call { callee, args } => self.call(callee, args, span, expected),
            Ast::Unary { op, operand } => self.unary(*op, operand, span),
            Ast::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, span),
            Ast::List(items) => self.list(items, span, expected),
            Ast::Jurisdiction(arms) => self.jurisdiction(arms, span, expected),
            Ast::If {
                cond,
                then,
                otherwise,
            } => {
                let cond = self.condition(cond);
                let (then_ty, then_node) = self.check(then, expected);
                let (else_ty, else_node) = self.check(otherwise, expected.or(Some(&then_ty)));
                let ty = match unify(&then_ty, &else_ty) {
                    Ok(ty) => ty,
                    Err(clash) => {
                        self.clash(
                            clash,
                            otherwise.span,
                            "the two branches of `if`",
                            &then_ty,
                            &else_ty,
                        );
                        Ty::Error
                    }
                };
                let then_node = self.coerce(then_node, &then_ty, &ty);
                let else_node = self.coerce(else_node, &else_ty, &ty);
                let node = self.node(
                    span,
                    ExprKind::If {
                        cond: Box::new(cond),
                        then: Box::new(then_node),
                        otherwise: Box::new(else_node),
                    },
                );
                (ty, node)
            }
            Ast::Error => self.poisoned(span),
        }
    }

    /// Reports two types that do not combine.
    pub(super) fn clash(&mut self, clash: Clash, span: Span, what: &str, a: &Ty, b: &Ty) {
        let diagnostic = match clash {
            Clash::Currency(x, y) => Diagnostic::error(
                codes::CURRENCY_MISMATCH,
                format!("{what} mix {x} and {y}"),
                span,
                format!("{y} here"),
            )
            .with_help("amounts in different currencies never combine; convert one side first"),
            Clash::Dimension(x, y) => {
                dimension_clash(x, y, format!("{what} mix {x} and {y}"), span)
            }
            Clash::Mismatch => Diagnostic::error(
                codes::TYPE_MISMATCH,
                format!("{what} have different types: {a} and {b}"),
                span,
                format!("this is {b}"),
            ),
        };
        self.error_with(|| diagnostic);
    }

    pub(super) fn literal(&mut self, literal: &Literal, span: Span) -> (Ty, ir::Expr) {
        let out_of_range = |what: &str| {
            Diagnostic::error(
                codes::LITERAL_RANGE,
                format!("this {what} is out of range"),
                span,
                "out of range",
            )
        };
        let (ty, value) = match literal {
            Literal::Bool(b) => (Ty::Bool, Value::Bool(*b)),
            Literal::Int(i) => (Ty::Int, Value::Int(*i)),
            Literal::Decimal { mantissa, scale } => match Decimal::new(*mantissa, *scale) {
                Some(d) => (Ty::Decimal, Value::Decimal(d)),
                None => {
                    self.error_with(|| out_of_range("decimal"));
                    return self.poisoned(span);
                }
            },
            Literal::Percent { mantissa, scale } => {
                match scale
                    .checked_add(2)
                    .and_then(|scale| Decimal::new(*mantissa, scale))
                {
                    Some(d) => (Ty::Decimal, Value::Decimal(d)),
                    None => {
                        self.error_with(|| out_of_range("percentage"));
                        return self.poisoned(span);
                    }
                }
            }
            Literal::Money {
                mantissa,
                scale,
                currency,
            } => match self.money_literal(*mantissa, *scale, currency, span) {
                Some(money) => (Ty::Money(Some(money.currency)), Value::Money(money)),
                None => return self.poisoned(span),
            },
            Literal::Quantity {
                mantissa,
                scale,
                unit,
            } => {
                let Some(unit) = crate::quantity::Unit::parse(unit) else {
                    self.error_with(|| super::unknown_unit(unit, span, false));
                    return self.poisoned(span);
                };
                let Some(amount) = Decimal::new(*mantissa, *scale) else {
                    self.error_with(|| out_of_range("quantity"));
                    return self.poisoned(span);
                };
                (
                    Ty::Quantity(unit.dimension()),
                    Value::Quantity(crate::value::Quantity { amount, unit }),
                )
            }
            Literal::Rate {
                mantissa,
                scale,
                currency,
                unit,
            } => {
                let Some(unit) = crate::quantity::Unit::parse(unit) else {
                    self.error_with(|| super::unknown_unit(unit, span, false));
                    return self.poisoned(span);
                };
                let Some(price) = self.money_literal(*mantissa, *scale, currency, span) else {
                    return self.poisoned(span);
                };
                (
                    Ty::Rate(unit.dimension(), Some(price.currency)),
                    Value::Rate(crate::value::Rate { price, per: unit }),
                )
            }
            Literal::Duration(parts) => {
                let total = parts.iter().try_fold(0i64, |total, (count, unit)| {
                    count
                        .checked_mul(unit.seconds())
                        .and_then(|seconds| total.checked_add(seconds))
                });
                // The smallest unit written is the one the period is counted in.
                let unit = parts.iter().map(|(_, unit)| *unit).max();
                match (total, unit) {
                    (Some(seconds), Some(unit)) => {
                        let node = self.node(span, ExprKind::Period { seconds, unit });
                        return (Ty::Duration, node);
                    }
                    (Some(seconds), None) => (Ty::Duration, Value::Duration(seconds)),
                    (None, _) => {
                        self.error_with(|| out_of_range("duration"));
                        return self.poisoned(span);
                    }
                }
            }
            Literal::Timestamp(seconds) => {
                if !(MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(seconds) {
                    self.error_with(|| {
                        out_of_range("timestamp").with_help(
                            "timestamps run from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z",
                        )
                    });
                    return self.poisoned(span);
                }
                (Ty::Timestamp, Value::Timestamp(*seconds))
            }
            Literal::Text(text) => (Ty::Text, Value::Text(text.clone())),
        };
        let node = self.node(span, ExprKind::Const(value));
        (ty, node)
    }

    pub(super) fn money_literal(
        &mut self,
        mantissa: i64,
        scale: u8,
        code: &str,
        span: Span,
    ) -> Option<crate::value::Money> {
        let currency = match Currency::parse(code) {
            Ok(currency) => currency,
            Err(error) => {
                let mut diagnostic = Diagnostic::error(
                    codes::UNKNOWN_CURRENCY,
                    format!("unknown currency `{code}`"),
                    span,
                    error.to_string(),
                );
                let upper = code.to_ascii_uppercase();
                let help = if upper != code && Currency::parse(&upper).is_ok() {
                    Some(format!(
                        "currency codes are written in upper case: `{upper}`"
                    ))
                } else if let Some(iso) = crate::value::currency_alias(code) {
                    Some(format!(
                        "did you mean `{iso}`? `{code}` is a common name, `{iso}` its ISO 4217 code"
                    ))
                } else {
                    did_you_mean(code, Currency::known_codes())
                };
                if let Some(help) = help {
                    diagnostic = diagnostic.with_help(help);
                }
                self.error_with(|| diagnostic);
                return None;
            }
        };
        let digits = currency.minor_units();
        if scale > digits {
            let places = match digits {
                0 => "no digits after the point".to_string(),
                1 => "1 digit after the point".to_string(),
                n => format!("{n} digits after the point"),
            };
            self.error_with(|| {
                Diagnostic::error(
                    codes::MONEY_PRECISION,
                    format!("{currency} amounts have {places}, this one has {scale}"),
                    span,
                    "too precise",
                )
                .with_help(format!(
                    "write the amount in whole minor units of {currency}; a rate that yields \
                     fractions belongs in a decimal, rounded with `round(…)`"
                ))
            });
            return None;
        }
        let minor = crate::value::pow10(u32::from(digits - scale))
            .and_then(|factor| mantissa.checked_mul(factor));
        match minor {
            Some(minor) => Some(crate::value::Money { minor, currency }),
            None => {
                self.error_with(|| {
                    Diagnostic::error(
                        codes::MONEY_PRECISION,
                        "this amount is out of range",
                        span,
                        "out of range",
                    )
                });
                None
            }
        }
    }

    pub(super) fn unary(&mut self, op: UnaryOp, operand: &ast::Expr, span: Span) -> (Ty, ir::Expr) {
        match op {
            UnaryOp::Not => {
                let inner = self.condition(operand);
                let node = self.node(span, ExprKind::Not(Box::new(inner)));
                (Ty::Bool, node)
            }
            UnaryOp::Neg => {
                let (ty, inner) = self.check(operand, None);
                let ty = match ty {
                    Ty::Int
                    | Ty::Decimal
                    | Ty::Money(_)
                    | Ty::Quantity(_)
                    | Ty::Duration
                    | Ty::Exact(_)
                    | Ty::Error => ty,
                    other => {
                        self.error_with(|| {
                            Diagnostic::error(
                                codes::BAD_OPERANDS,
                                format!("{other} cannot be negated"),
                                operand.span,
                                format!("this is {other}"),
                            )
                        });
                        Ty::Error
                    }
                };
                let node = self.node(span, ExprKind::Neg(Box::new(inner)));
                (ty, node)
            }
        }
    }

    pub(super) fn binary(
        &mut self,
        op: BinaryOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
    ) -> (Ty, ir::Expr) {
        let compare = |op| Some(op);
        let compare_op = match op {
            BinaryOp::And | BinaryOp::Or => {
                let l = self.condition(lhs);
                let r = self.condition(rhs);
                let kind = if op == BinaryOp::And {
                    ExprKind::And(Box::new(l), Box::new(r))
                } else {
                    ExprKind::Or(Box::new(l), Box::new(r))
                };
                return (Ty::Bool, self.node(span, kind));
            }
            BinaryOp::In => return self.membership(lhs, rhs, span),
            BinaryOp::Add => return self.arithmetic(ArithOp::Add, lhs, rhs, span),
            BinaryOp::Sub => return self.arithmetic(ArithOp::Sub, lhs, rhs, span),
            BinaryOp::Mul => return self.arithmetic(ArithOp::Mul, lhs, rhs, span),
            BinaryOp::Div => return self.arithmetic(ArithOp::Div, lhs, rhs, span),
            BinaryOp::Eq => compare(CompareOp::Eq),
            BinaryOp::Ne => compare(CompareOp::Ne),
            BinaryOp::Lt => compare(CompareOp::Lt),
            BinaryOp::Le => compare(CompareOp::Le),
            BinaryOp::Gt => compare(CompareOp::Gt),
            BinaryOp::Ge => compare(CompareOp::Ge),
        };
        let Some(op) = compare_op else {
            return self.poisoned(span);
        };
        let (lt, ln, rt, rn) = self.operands(lhs, rhs);
        let ordered = !matches!(op, CompareOp::Eq | CompareOp::Ne);
        if let Err(clash) = comparable(&lt, &rt, ordered) {
            match clash {
                Clash::Currency(x, y) => self.error_with(|| {
                    Diagnostic::error(
                        codes::CURRENCY_MISMATCH,
                        format!("cannot compare {x} with {y}"),
                        span,
                        "different currencies",
                    )
                    .with_help(
                        "amounts in different currencies never compare; convert one side first",
                    )
                }),
                Clash::Dimension(x, y) => self.error_with(|| {
                    dimension_clash(x, y, format!("cannot compare {x} with {y}"), span)
                        .with_secondary(lhs.span, format!("this is {lt}"))
                        .with_secondary(rhs.span, format!("this is {rt}"))
                }),
                Clash::Mismatch => {
                    let mut diagnostic = Diagnostic::error(
                        codes::BAD_OPERANDS,
                        format!("cannot compare {lt} with {rt} using `{}`", op.symbol()),
                        span,
                        format!("{lt} {} {rt}", op.symbol()),
                    )
                    .with_secondary(lhs.span, format!("this is {lt}"))
                    .with_secondary(rhs.span, format!("this is {rt}"));
                    if ordered && lt == rt && !lt.is_ordered() {
                        diagnostic = diagnostic
                            .with_help(format!("{lt} values have no order; use `==` or `!=`"));
                    } else if let Some(help) = operand_help(&lt, &rt) {
                        diagnostic = diagnostic.with_help(help);
                    }
                    self.error_with(|| diagnostic);
                }
            }
        }
        let node = self.node(
            span,
            ExprKind::Compare {
                op,
                lhs: Box::new(ln),
                rhs: Box::new(rn),
            },
        );
        (Ty::Bool, node)
    }

    pub(super) fn membership(
        &mut self,
        item: &ast::Expr,
        list: &ast::Expr,
        span: Span,
    ) -> (Ty, ir::Expr) {
        let (item_ty, item_node, list_ty, list_node) =
            if self.is_contextual(item) && !self.is_contextual(list) {
                let (list_ty, list_node) = self.check(list, None);
                let element = match &list_ty {
                    Ty::List(element) => Some(element.as_ref().clone()),
                    _ => None,
                };
                let (item_ty, item_node) = self.check(item, element.as_ref());
                (item_ty, item_node, list_ty, list_node)
            } else {
                let (item_ty, item_node) = self.check(item, None);
                let hint = Ty::List(Box::new(item_ty.clone()));
                let (list_ty, list_node) = self.check(list, Some(&hint));
                (item_ty, item_node, list_ty, list_node)
            };
        match &list_ty {
            Ty::Error | Ty::EmptyList => {}
            Ty::List(element) => {
                if comparable(&item_ty, element, false).is_err() {
                    self.error_with(|| {
                        Diagnostic::error(
                            codes::BAD_OPERANDS,
                            format!("cannot look for {item_ty} in a list<{element}>"),
                            span,
                            "different types",
                        )
                        .with_secondary(item.span, format!("this is {item_ty}"))
                    });
                }
            }
            other => self.error_with(|| {
                Diagnostic::error(
                    codes::BAD_OPERANDS,
                    format!("`in` looks in a list, but this is {other}"),
                    list.span,
                    "not a list",
                )
            }),
        }
        let node = self.node(
            span,
            ExprKind::In {
                item: Box::new(item_node),
                list: Box::new(list_node),
            },
        );
        (Ty::Bool, node)
    }

    pub(super) fn arithmetic(
        &mut self,
        op: ArithOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
    ) -> (Ty, ir::Expr) {
        let (lt, ln, rt, rn) = self.operands(lhs, rhs);
        let ty = match arith(op, &lt, &rt) {
            Ok(ty) => ty,
            Err(Clash::Currency(x, y)) => {
                self.error_with(|| {
                    Diagnostic::error(
                        codes::CURRENCY_MISMATCH,
                        format!("cannot combine {x} and {y} with `{}`", op.symbol()),
                        span,
                        "different currencies",
                    )
                    .with_secondary(lhs.span, format!("{x}"))
                    .with_secondary(rhs.span, format!("{y}"))
                    .with_help(
                        "amounts in different currencies never combine; convert one side first",
                    )
                });
                Ty::Error
            }
            Err(Clash::Dimension(x, y)) => {
                self.error_with(|| {
                    dimension_clash(
                        x,
                        y,
                        format!("cannot combine {x} and {y} with `{}`", op.symbol()),
                        span,
                    )
                    .with_secondary(lhs.span, format!("this is {lt}"))
                    .with_secondary(rhs.span, format!("this is {rt}"))
                });
                Ty::Error
            }
            Err(Clash::Mismatch) => {
                let verb = match op {
                    ArithOp::Add => "add",
                    ArithOp::Sub => "subtract",
                    ArithOp::Mul => "multiply",
                    ArithOp::Div => "divide",
                };
                let mut diagnostic = Diagnostic::error(
                    codes::BAD_OPERANDS,
                    format!("cannot {verb} {lt} and {rt}"),
                    span,
                    format!("{lt} {} {rt}", op.symbol()),
                )
                .with_secondary(lhs.span, format!("this is {lt}"))
                .with_secondary(rhs.span, format!("this is {rt}"));
                if let Some(help) = arithmetic_help(op, &lt, &rt) {
                    diagnostic = diagnostic.with_help(help);
                }
                self.error_with(|| diagnostic);
                Ty::Error
            }
        };
        let node = self.node(
            span,
            ExprKind::Arith {
                op,
                lhs: Box::new(ln),
                rhs: Box::new(rn),
            },
        );
        (ty, node)
    }

    pub(super) fn list(
        &mut self,
        items: &[ast::Expr],
        span: Span,
        expected: Option<&Ty>,
    ) -> (Ty, ir::Expr) {
        let element_hint = match expected {
            Some(Ty::List(element)) => Some(element.as_ref().clone()),
            _ => None,
        };
        let mut checked = Vec::with_capacity(items.len());
        let mut element: Option<Ty> = None;
        for item in items {
            let hint = element.clone().or_else(|| element_hint.clone());
            let (ty, node) = self.check(item, hint.as_ref());
            if ty.is_exact() {
                self.unrounded(item.span, &ty);
            }
            element = Some(match &element {
                None => ty.clone(),
                Some(so_far) => match unify(so_far, &ty) {
                    Ok(unified) => unified,
                    Err(clash) => {
                        self.clash(clash, item.span, "the items of a list", so_far, &ty);
                        Ty::Error
                    }
                },
            });
            checked.push((ty, node));
        }
        let Some(mut element) = element else {
            let node = self.node(span, ExprKind::List(Vec::new()));
            return match element_hint {
                Some(hint) => (Ty::List(Box::new(hint)), node),
                None => (Ty::EmptyList, node),
            };
        };
        if let (Ty::Int, Some(Ty::Decimal)) = (&element, &element_hint) {
            element = Ty::Decimal;
        }
        let nodes = checked
            .into_iter()
            .map(|(ty, node)| self.coerce(node, &ty, &element))
            .collect();
        let node = self.node(span, ExprKind::List(nodes));
        (Ty::List(Box::new(element)), node)
    }

    fn unknown_jurisdiction(
        &mut self,
        code: &ast::Ident,
        error: &crate::jurisdiction::JurisdictionError,
    ) {
        use crate::jurisdiction::JurisdictionError;
        let help = match error {
            JurisdictionError::Case(_) | JurisdictionError::Alias { .. } => error.to_string(),
            JurisdictionError::Unknown(_) => {
                "jurisdictions are ISO 3166-1 alpha-2 country codes in upper case, such as CN, \
                 DE or US; `_` covers every other"
                    .to_string()
            }
        };
        self.error_with(|| {
            Diagnostic::error(
                codes::UNKNOWN_JURISDICTION,
                format!("`{}` is not a jurisdiction code", code.node),
                code.span,
                "unknown jurisdiction",
            )
            .with_help(help)
        });
    }

    pub(super) fn jurisdiction(
        &mut self,
        arms: &[ast::JurisdictionArm],
        span: Span,
        expected: Option<&Ty>,
    ) -> (Ty, ir::Expr) {
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        let mut default_span: Option<Span> = None;
        let mut unified: Option<Ty> = None;
        let mut checked = Vec::new();
        for arm in arms {
            match &arm.code {
                Some(code) => {
                    if let Err(error) = crate::jurisdiction::validate(&code.node) {
                        self.unknown_jurisdiction(code, &error);
                    }
                    if let Some(first) = seen.get(&code.node) {
                        self.error_with(|| {
                            Diagnostic::error(
                                codes::DUPLICATE_ARM,
                                format!("jurisdiction `{}` has two arms", code.node),
                                code.span,
                                "repeated",
                            )
                            .with_secondary(*first, "first arm")
                        });
                    } else {
                        seen.insert(code.node.clone(), code.span);
                    }
                }
                None => {
                    if let Some(first) = default_span {
                        self.error_with(|| {
                            Diagnostic::error(
                                codes::DUPLICATE_ARM,
                                "`_` arm written twice",
                                arm.span,
                                "repeated",
                            )
                            .with_secondary(first, "first `_` arm")
                        });
                    } else {
                        default_span = Some(arm.span);
                    }
                }
            }
            let hint = unified.clone().or_else(|| expected.cloned());
            let (ty, node) = self.check(&arm.body, hint.as_ref());
            unified = Some(match &unified {
                None => ty.clone(),
                Some(so_far) => match unify(so_far, &ty) {
                    Ok(ty) => ty,
                    Err(clash) => {
                        self.clash(
                            clash,
                            arm.body.span,
                            "the arms of `jurisdiction`",
                            so_far,
                            &ty,
                        );
                        Ty::Error
                    }
                },
            });
            checked.push((arm.code.as_ref().map(|code| code.node.clone()), ty, node));
        }
        if default_span.is_none() {
            self.error_with(|| {
                Diagnostic::error(
                    codes::MISSING_DEFAULT_ARM,
                    "this `jurisdiction` has no `_` arm",
                    span,
                    "no arm for other jurisdictions",
                )
                .with_help("add `_ => …` saying what applies in every other jurisdiction")
            });
        }
        let ty = unified.unwrap_or(Ty::Error);
        let mut arms_ir = BTreeMap::new();
        let mut default = None;
        for (code, arm_ty, node) in checked {
            let node = self.coerce(node, &arm_ty, &ty);
            match code {
                Some(code) => {
                    arms_ir.entry(code).or_insert(node);
                }
                None => {
                    default.get_or_insert(node);
                }
            }
        }
        let Some(default) = default else {
            return self.poisoned(span);
        };
        let node = self.node(
            span,
            ExprKind::Jurisdiction {
                arms: arms_ir,
                default: Box::new(default),
            },
        );
        (ty, node)
    }
}

/// How a message names a value of the type: "an amount of money", "a duration".
fn article(ty: &Type) -> String {
    match ty {
        Type::Bool => "true or false".to_string(),
        Type::Int => "a whole number (int)".to_string(),
        Type::Money => "an amount of money".to_string(),
        Type::Text => "text".to_string(),
        Type::Enum(name) => format!("a `{name}` value"),
        _ => format!("a {ty}"),
    }
}

fn arithmetic_help(op: ArithOp, lhs: &Ty, rhs: &Ty) -> Option<String> {
    match (op, lhs, rhs) {
        (ArithOp::Add, Ty::Timestamp, Ty::Timestamp) => {
            Some("subtract two timestamps to get the duration between them".into())
        }
        (_, Ty::Timestamp, Ty::Exact(Unit::Duration)) => Some(ROUNDING_HELP.into()),
        (ArithOp::Mul, Ty::Money(_), Ty::Money(_)) => {
            Some("multiply an amount by a number, a decimal or a percentage".into())
        }
        (_, Ty::Rate(dimension, _), _) | (_, _, Ty::Rate(dimension, _)) => Some(format!(
            "a rate is a price per unit: it only multiplies a quantity of {dimension}, such as {} \
             (round the product before paying it); to change the price, scale the rounded amount",
            quantity_example(*dimension)
        )),
        (ArithOp::Div, Ty::Quantity(_), Ty::Int | Ty::Decimal) => Some(
            "a quantity divides only by a quantity of its dimension (giving a ratio); to take a \
             share of it, multiply by a decimal such as `0.5`"
                .into(),
        ),
        (ArithOp::Mul, Ty::Quantity(_), Ty::Exact(_)) | (ArithOp::Mul, Ty::Exact(_), Ty::Quantity(_)) => {
            Some("a quantity scales only by a number or a decimal, not by an unrounded result: round the factor first with `round(…, half_up)`".into())
        }
        _ => operand_help(lhs, rhs),
    }
}

/// E0437: quantities of two dimensions meeting.
pub(super) fn dimension_clash(
    x: crate::value::Dimension,
    y: crate::value::Dimension,
    message: String,
    span: Span,
) -> Diagnostic {
    let units = |d: crate::value::Dimension| {
        d.units()
            .map(|unit| format!("`{unit}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Diagnostic::error(
        codes::DIMENSION_MISMATCH,
        message,
        span,
        "different dimensions",
    )
    .with_help(format!(
        "units convert only within a dimension: {x} is {}, {y} is {}",
        units(x),
        units(y)
    ))
}

/// `100 pcs`: a literal of the dimension's first unit, for help texts.
fn quantity_example(dimension: crate::value::Dimension) -> String {
    let unit = dimension
        .units()
        .next()
        .map_or_else(String::new, |unit| unit.to_string());
    format!("`100 {unit}`")
}

/// Help for operands that are almost right: a bare number where an amount or a duration is.
fn operand_help(lhs: &Ty, rhs: &Ty) -> Option<String> {
    match (lhs, rhs) {
        (Ty::Quantity(d), Ty::Int | Ty::Decimal) | (Ty::Int | Ty::Decimal, Ty::Quantity(d)) => {
            Some(format!(
                "a quantity has a unit and a bare number has none: write the number with its unit, such as {}",
                quantity_example(*d)
            ))
        }
        (Ty::Money(_), Ty::Int | Ty::Decimal) | (Ty::Int | Ty::Decimal, Ty::Money(_)) => {
            Some("write the number as an amount, such as `10.00 EUR`".into())
        }
        (Ty::Duration, Ty::Int) | (Ty::Int, Ty::Duration) => {
            Some("write the number as a duration, such as `2h`, or convert with `hours(…)`".into())
        }
        _ => None,
    }
}
