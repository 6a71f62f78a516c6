//! Warning W0401: two rules that can set the same term on the same event.
//!
//! Such a pair is a conflict at run time only if both fire, and then nothing of it is applied
//! and the order goes to review; `check` reports it up front, with both places, unless the
//! rules' conditions are visibly exclusive: one holds `X` and the other `not X`, or they compare
//! the same expression with complementary operators (`a > b` / `a <= b`) or with different
//! constants (`x == sea` / `x == air`). Anything subtler is reported; the help says how to make
//! the exclusion visible.

use super::codes;
use crate::compile::FileDiagnostic;
use crate::ir::{Action, CompareOp, CompiledClause, Expr, ExprKind, RuleIr};
use crate::span::{Diagnostic, Span};

/// One rule that sets a term, with where it does so.
struct Setter<'p> {
    clause: &'p CompiledClause,
    index: usize,
    rule: &'p RuleIr,
    term: &'p str,
    span: Span,
}

/// Every pair of rules (across the program) that listen to one event kind and set one term
/// without visibly exclusive conditions, as a warning on the later one.
pub(super) fn overlapping_sets(
    clauses: &[CompiledClause],
    file_names: &[&str],
) -> Vec<FileDiagnostic> {
    let setters: Vec<Setter<'_>> = clauses
        .iter()
        .flat_map(|clause| {
            clause
                .ir
                .rules
                .iter()
                .enumerate()
                .flat_map(move |(index, rule)| {
                    rule.actions
                        .iter()
                        .enumerate()
                        .filter_map(move |(position, action)| {
                            let Action::Set { term, .. } = action else {
                                return None;
                            };
                            let span = clause
                                .spans
                                .actions
                                .get(index)
                                .and_then(|spans| spans.get(position))
                                .copied()
                                .unwrap_or(clause.spans.clause);
                            Some(Setter {
                                clause,
                                index,
                                rule,
                                term,
                                span,
                            })
                        })
                })
        })
        .collect();
    let mut warnings = Vec::new();
    for (later, second) in setters.iter().enumerate() {
        for first in &setters[..later] {
            if first.term == second.term
                && first.rule.on == second.rule.on
                && !exclusive(first, second)
            {
                warnings.push(warning(first, second, file_names));
            }
        }
    }
    warnings
}

fn warning(first: &Setter<'_>, second: &Setter<'_>, file_names: &[&str]) -> FileDiagnostic {
    let other = format!("`{}` rule {}", first.clause.name, first.index + 1);
    let mut diagnostic = Diagnostic::warning(
        codes::OVERLAPPING_SETS,
        format!(
            "two rules can set `terms.{}` on one `{}` event",
            second.term, second.rule.on
        ),
        second.span,
        "sets it here",
    );
    if first.clause.file == second.clause.file {
        diagnostic = diagnostic.with_secondary(first.span, format!("{other} sets it too"));
    }
    let place = if first.clause.file == second.clause.file {
        String::new()
    } else {
        let file = file_names
            .get(first.clause.file)
            .copied()
            .unwrap_or("another file");
        format!(" ({other}, in {file})")
    };
    diagnostic = diagnostic.with_help(format!(
        "if both fire, neither value is applied and the order goes to review{place}; make the \
         conditions exclusive (add `and not (…)` with one rule's condition to the other's) or \
         set the term in one rule"
    ));
    FileDiagnostic {
        file: second.clause.file,
        diagnostic,
    }
}

fn exclusive(a: &Setter<'_>, b: &Setter<'_>) -> bool {
    if std::ptr::eq(a.rule, b.rule) {
        // One rule setting a term twice is error E0428, reported by the checker.
        return true;
    }
    let (Some(when_a), Some(when_b)) = (&a.rule.when, &b.rule.when) else {
        return false;
    };
    let same_clause = std::ptr::eq(a.clause, b.clause);
    let left = conjuncts(when_a);
    let right = conjuncts(when_b);
    left.iter().any(|x| {
        right
            .iter()
            .any(|y| contradict(x, y, same_clause) || contradict(y, x, same_clause))
    })
}

fn conjuncts(expr: &Expr) -> Vec<&Expr> {
    match &expr.kind {
        ExprKind::And(lhs, rhs) => {
            let mut all = conjuncts(lhs);
            all.extend(conjuncts(rhs));
            all
        }
        _ => vec![expr],
    }
}

/// Whether `x` and `y` cannot both hold.
fn contradict(x: &Expr, y: &Expr, same_clause: bool) -> bool {
    let same = |a: &Expr, b: &Expr| same_meaning(a, b, same_clause);
    if let ExprKind::Not(inner) = &x.kind {
        if same(inner, y) {
            return true;
        }
    }
    let (
        ExprKind::Compare {
            op: op_x,
            lhs: lx,
            rhs: rx,
        },
        ExprKind::Compare {
            op: op_y,
            lhs: ly,
            rhs: ry,
        },
    ) = (&x.kind, &y.kind)
    else {
        return false;
    };
    if same(lx, ly) && same(rx, ry) && complementary(*op_x, *op_y) {
        return true;
    }
    // `v == A` and `v == B` with two different constants.
    *op_x == CompareOp::Eq
        && *op_y == CompareOp::Eq
        && same(lx, ly)
        && is_constant(rx)
        && is_constant(ry)
        && !same(rx, ry)
}

fn complementary(a: CompareOp, b: CompareOp) -> bool {
    use CompareOp::{Eq, Ge, Gt, Le, Lt, Ne};
    matches!(
        (a, b),
        (Lt, Ge) | (Ge, Lt) | (Le, Gt) | (Gt, Le) | (Eq, Ne) | (Ne, Eq) | (Lt, Gt) | (Gt, Lt)
    )
}

fn is_constant(expr: &Expr) -> bool {
    matches!(
        expr.kind,
        ExprKind::Const(_) | ExprKind::Period { .. } | ExprKind::Variant { .. }
    )
}

/// Structural equality, ignoring sites. Params and predicates are indices into their own
/// clause, so across clauses an expression that uses one is never "the same".
fn same_meaning(a: &Expr, b: &Expr, same_clause: bool) -> bool {
    if !same_clause && (local(a) || local(b)) {
        return false;
    }
    without_sites(a) == without_sites(b)
}

fn local(expr: &Expr) -> bool {
    matches!(expr.kind, ExprKind::Param(_) | ExprKind::Predicate { .. })
        || expr.children().into_iter().any(local)
}

fn without_sites(expr: &Expr) -> Expr {
    fn clear(expr: &mut Expr) {
        expr.site = 0;
        for child in expr.children_mut() {
            clear(child);
        }
    }
    let mut copy = expr.clone();
    clear(&mut copy);
    copy
}
