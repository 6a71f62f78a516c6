//! Calls: the built-in functions (`min`, `max`, `abs`, `round`, the duration units) and the
//! clause's predicates.

use super::codes::{self, did_you_mean};
use super::expr::{name_chain, ExprChecker, BUILTINS};
use super::ty::{unify, Ty, Unit};
use crate::ast::{self, ExprKind as Ast, Ident};
use crate::ir::{self, Builtin, ExprKind, RoundingMode};
use crate::span::{Diagnostic, Span};

impl ExprChecker<'_> {
    pub(super) fn call(
        &mut self,
        callee: &Ident,
        args: &[ast::Expr],
        span: Span,
        expected: Option<&Ty>,
    ) -> (Ty, ir::Expr) {
        let name = callee.node.as_str();
        if let Some(position) = self.scope.predicates.iter().position(|p| p.name == name) {
            return self.predicate_call(position, callee, args, span);
        }
        let arity = |count: usize| args.len() == count;
        match name {
            "min" | "max" => {
                if args.len() < 2 {
                    return self.bad_arguments(
                        callee,
                        span,
                        "takes two or more values of one type",
                    );
                }
                let func = if name == "min" {
                    Builtin::Min
                } else {
                    Builtin::Max
                };
                let mut checked = Vec::new();
                let mut unified: Option<Ty> = None;
                for arg in args {
                    let hint = unified.clone().or_else(|| expected.cloned());
                    let (ty, node) = self.check(arg, hint.as_ref());
                    unified = Some(match &unified {
                        None => ty.clone(),
                        Some(so_far) => match unify(so_far, &ty) {
                            Ok(ty) => ty,
                            Err(clash) => {
                                self.clash(
                                    clash,
                                    arg.span,
                                    &format!("the arguments of `{name}`"),
                                    so_far,
                                    &ty,
                                );
                                Ty::Error
                            }
                        },
                    });
                    checked.push((ty, node));
                }
                let mut ty = unified.unwrap_or(Ty::Error);
                if !ty.is_ordered() {
                    self.error_with(|| {
                        Diagnostic::error(
                            codes::BAD_ARGUMENTS,
                            format!("`{name}` needs values with an order, but these are {ty}"),
                            span,
                            "no order",
                        )
                    });
                    ty = Ty::Error;
                }
                let nodes = checked
                    .into_iter()
                    .map(|(arg_ty, node)| self.coerce(node, &arg_ty, &ty))
                    .collect();
                let node = self.node(span, ExprKind::Call { func, args: nodes });
                (ty, node)
            }
            "happened" => self.happened(callee, args, span),
            "count" => self.count(callee, args, span),
            "sum" => self.sum(callee, args, span),
            "abs" => {
                if !arity(1) {
                    return self.bad_arguments(
                        callee,
                        span,
                        "takes one number, amount or duration",
                    );
                }
                let (ty, node) = self.check(&args[0], expected);
                let ty = if ty.quantity().is_some() || ty.is_error() {
                    ty
                } else {
                    self.error_with(|| {
                        Diagnostic::error(
                            codes::BAD_ARGUMENTS,
                            format!("`abs` takes a number, an amount or a duration, not {ty}"),
                            args[0].span,
                            format!("this is {ty}"),
                        )
                    });
                    Ty::Error
                };
                let node = self.node(
                    span,
                    ExprKind::Call {
                        func: Builtin::Abs,
                        args: vec![node],
                    },
                );
                (ty, node)
            }
            "round" => self.round(callee, args, span),
            "to" => self.convert_to(callee, args, span),
            "days" | "hours" | "minutes" | "seconds" | "ceil_days" | "ceil_hours"
            | "started_days" | "started_hours" => {
                let func = match name {
                    "days" => Builtin::Days,
                    "hours" => Builtin::Hours,
                    "minutes" => Builtin::Minutes,
                    "seconds" => Builtin::Seconds,
                    "ceil_days" | "started_days" => Builtin::CeilDays,
                    _ => Builtin::CeilHours,
                };
                if !arity(1) {
                    return self.bad_arguments(callee, span, "takes one duration");
                }
                let (ty, node) = self.check(&args[0], None);
                match ty {
                    Ty::Duration | Ty::Error => {}
                    Ty::Exact(_) => self.unrounded(args[0].span, &ty),
                    other => self.error_with(|| {
                        Diagnostic::error(
                            codes::BAD_ARGUMENTS,
                            format!("`{name}` takes a duration, not {other}"),
                            args[0].span,
                            format!("this is {other}"),
                        )
                    }),
                }
                let node = self.node(
                    span,
                    ExprKind::Call {
                        func,
                        args: vec![node],
                    },
                );
                (Ty::Int, node)
            }
            _ => {
                let mut candidates: Vec<&str> = BUILTINS.to_vec();
                candidates.extend(self.scope.predicates.iter().map(|p| p.name.as_str()));
                let help = did_you_mean(name, candidates)
                    .unwrap_or_else(|| format!("the functions are: {}", BUILTINS.join(", ")));
                self.error_with(|| {
                    Diagnostic::error(
                        codes::UNKNOWN_FUNCTION,
                        format!("there is no function `{name}`"),
                        callee.span,
                        "unknown function",
                    )
                    .with_help(help)
                });
                // Still check the arguments, so their own mistakes are reported too.
                for arg in args {
                    if name_chain(arg).is_none() {
                        self.check(arg, None);
                    }
                }
                self.poisoned(span)
            }
        }
    }

    pub(super) fn bad_arguments(
        &mut self,
        callee: &Ident,
        span: Span,
        what: &str,
    ) -> (Ty, ir::Expr) {
        self.error_with(|| {
            Diagnostic::error(
                codes::BAD_ARGUMENTS,
                format!("`{}` {what}", callee.node),
                span,
                "wrong arguments",
            )
        });
        self.poisoned(span)
    }

    /// `to(UNIT, x)`: `x`, a quantity, in another unit of its dimension (exact, never
    /// rounded). E0436 for a unit the language does not know, E0437 for another dimension.
    fn convert_to(&mut self, callee: &Ident, args: &[ast::Expr], span: Span) -> (Ty, ir::Expr) {
        let [target, quantity] = args else {
            return self.bad_arguments(
                callee,
                span,
                "takes a unit and a quantity, as in `to(t, event.gross)`",
            );
        };
        let Ast::Name(word) = &target.kind else {
            self.error_with(|| {
                Diagnostic::error(
                    codes::BAD_ARGUMENTS,
                    "the first argument of `to` is a unit, as in `to(t, event.gross)`",
                    target.span,
                    "not a unit",
                )
            });
            return self.poisoned(span);
        };
        let Some(unit) = crate::quantity::Unit::parse(&word.node) else {
            self.error_with(|| super::unknown_unit(&word.node, target.span, false));
            return self.poisoned(span);
        };
        let (ty, node) = self.check(quantity, None);
        let result = match ty {
            Ty::Quantity(dimension) if dimension == unit.dimension() => Ty::Quantity(dimension),
            Ty::Quantity(dimension) => {
                self.error_with(|| {
                    super::expr::dimension_clash(
                        dimension,
                        unit.dimension(),
                        format!(
                            "cannot express {dimension} in `{unit}`, a unit of {}",
                            unit.dimension()
                        ),
                        span,
                    )
                });
                Ty::Error
            }
            Ty::Error => Ty::Error,
            other => {
                self.error_with(|| {
                    Diagnostic::error(
                        codes::BAD_ARGUMENTS,
                        format!("`to` converts a quantity, not {other}"),
                        quantity.span,
                        format!("this is {other}"),
                    )
                });
                Ty::Error
            }
        };
        let node = self.node(
            span,
            ExprKind::Call {
                func: Builtin::ConvertTo(unit),
                args: vec![node],
            },
        );
        (result, node)
    }

    pub(super) fn round(
        &mut self,
        callee: &Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> (Ty, ir::Expr) {
        let modes: Vec<&str> = RoundingMode::ALL
            .iter()
            .map(|mode| mode.keyword())
            .collect();
        if args.len() != 2 {
            self.error_with(|| {
                Diagnostic::error(
                    codes::BAD_ARGUMENTS,
                    "`round` takes an amount and a rounding mode",
                    span,
                    "wrong arguments",
                )
                .with_help(format!(
                    "for example `round(terms.price * 0.5%, half_even)`; the modes are {}",
                    modes.join(", ")
                ))
            });
            return self.poisoned(span);
        }
        let mode = match &args[1].kind {
            Ast::Name(ident) => RoundingMode::from_keyword(&ident.node),
            _ => None,
        };
        let Some(mode) = mode else {
            self.error_with(|| {
                Diagnostic::error(
                    codes::BAD_ARGUMENTS,
                    "the second argument of `round` is a rounding mode",
                    args[1].span,
                    "not a rounding mode",
                )
                .with_help(format!("the modes are {}", modes.join(", ")))
            });
            return self.poisoned(span);
        };
        let _ = callee;
        let (ty, node) = self.check(&args[0], None);
        let result = match &ty {
            Ty::Error => Ty::Error,
            Ty::Decimal | Ty::Int | Ty::Exact(Unit::Number) => Ty::Int,
            Ty::Exact(Unit::Money(currency)) | Ty::Money(currency) => Ty::Money(*currency),
            Ty::Exact(Unit::Duration) | Ty::Duration => Ty::Duration,
            other => {
                self.error_with(|| {
                    Diagnostic::error(
                        codes::BAD_ARGUMENTS,
                        format!("`round` rounds numbers, amounts and durations, not {other}"),
                        args[0].span,
                        format!("this is {other}"),
                    )
                });
                Ty::Error
            }
        };
        let node = self.node(
            span,
            ExprKind::Call {
                func: Builtin::Round(mode),
                args: vec![node],
            },
        );
        (result, node)
    }

    /// `happened(facts.KIND)`: a `bool`, true once an event of that kind is recorded.
    fn happened(&mut self, callee: &Ident, args: &[ast::Expr], span: Span) -> (Ty, ir::Expr) {
        let [arg] = args else {
            return self.bad_arguments(callee, span, "takes one `facts.KIND`");
        };
        let Some((event, kind)) = self.event_argument(arg) else {
            return self.poisoned(span);
        };
        if !matches!(event, ir::EventRef::Fact(_)) {
            self.error_with(|| {
                Diagnostic::error(
                    codes::BAD_ARGUMENTS,
                    "`happened` asks about a kind of fact",
                    arg.span,
                    "not `facts.KIND`",
                )
                .with_help(
                    "write `happened(facts.shipment.delivered)`; `event` has always happened",
                )
            });
            return self.poisoned(span);
        }
        self.uses.events.entry(kind.clone()).or_default();
        (Ty::Bool, self.node(span, ExprKind::Happened { kind }))
    }

    /// `count(facts.KIND)`: an `int`, how many events of that kind have been recorded.
    fn count(&mut self, callee: &Ident, args: &[ast::Expr], span: Span) -> (Ty, ir::Expr) {
        const HELP: &str = "write `count(facts.shipment.delivered)`";
        let [arg] = args else {
            return self.bad_arguments(callee, span, "takes one `facts.KIND`");
        };
        let is_facts = name_chain(arg).is_some_and(|chain| {
            chain.len() > 1 && chain.first().is_some_and(|first| first.node == "facts")
        });
        if !is_facts {
            self.error_with(|| {
                Diagnostic::error(
                    codes::BAD_ARGUMENTS,
                    "`count` counts the recorded facts of a kind",
                    arg.span,
                    "not `facts.KIND`",
                )
                .with_help(HELP)
            });
            return self.poisoned(span);
        }
        let Some((_, kind)) = self.event_argument(arg) else {
            return self.poisoned(span);
        };
        self.uses.events.entry(kind.clone()).or_default();
        (Ty::Int, self.node(span, ExprKind::Count { kind }))
    }

    /// `sum(facts.KIND.FIELD)`: the sum of a number, amount or duration field over every
    /// recorded event of that kind, of the field's type.
    fn sum(&mut self, callee: &Ident, args: &[ast::Expr], span: Span) -> (Ty, ir::Expr) {
        let [arg] = args else {
            return self.bad_arguments(callee, span, "takes one `facts.KIND.FIELD`");
        };
        let (ty, node) = self.check(arg, None);
        if ty.is_error() {
            return self.poisoned(span);
        }
        let summable = matches!(
            ty,
            Ty::Int | Ty::Decimal | Ty::Money(_) | Ty::Duration | Ty::Quantity(_)
        );
        match node.kind {
            ExprKind::EventField {
                event: ir::EventRef::Fact(kind),
                field,
            } if summable => (ty, self.node(span, ExprKind::Sum { kind, field })),
            _ => {
                let message = if summable {
                    "`sum` adds up a field over every recorded fact of a kind, and this is not a field of `facts`".to_string()
                } else {
                    format!("`sum` adds up a number, amount, duration or quantity field of every recorded fact, but this is {ty}")
                };
                self.error_with(|| {
                    Diagnostic::error(
                        codes::BAD_ARGUMENTS,
                        message,
                        arg.span,
                        "not a summable `facts.KIND.FIELD`",
                    )
                    .with_help("write `sum(facts.shipment.partially_delivered.pieces)`")
                });
                self.poisoned(span)
            }
        }
    }

    pub(super) fn predicate_call(
        &mut self,
        position: usize,
        callee: &Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> (Ty, ir::Expr) {
        let Some(sig) = self.scope.predicates.get(position).cloned() else {
            return self.poisoned(span);
        };
        if position >= self.scope.visible_predicates {
            self.error_with(|| {
                Diagnostic::error(
                    codes::PREDICATE_ORDER,
                    format!("predicate `{}` is declared after this one", sig.name),
                    callee.span,
                    "declared later",
                )
                .with_help(
                    "a predicate may use only predicates declared before it, so none can loop",
                )
            });
            return self.poisoned(span);
        }
        let [arg] = args else {
            self.error_with(|| {
                Diagnostic::error(
                    codes::BAD_ARGUMENTS,
                    format!("predicate `{}` takes one `{}` event", sig.name, sig.kind),
                    span,
                    "wrong arguments",
                )
                .with_help(format!("for example `{}(event)`", sig.name))
            });
            return self.poisoned(span);
        };
        let Some((event, kind)) = self.event_argument(arg) else {
            return self.poisoned(span);
        };
        if kind != sig.kind {
            self.error_with(|| {
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    format!(
                        "predicate `{}` takes a `{}` event, but this is a `{kind}` event",
                        sig.name, sig.kind
                    ),
                    arg.span,
                    format!("a `{kind}` event"),
                )
            });
            return self.poisoned(span);
        }
        self.uses.events.entry(kind).or_default();
        let node = self.node(
            span,
            ExprKind::Predicate {
                index: sig.index,
                arg: event,
            },
        );
        (Ty::Bool, node)
    }
}
