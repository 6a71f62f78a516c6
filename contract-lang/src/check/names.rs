//! Name resolution: params, `terms.NAME`, `event.FIELD`, `facts.KIND.FIELD`, record fields,
//! enum variants (bare or qualified) and the event arguments of predicates.
//!
//! Order: the predicate's parameter (inside a predicate), the clause's params, the roots
//! `terms`, `event` and `facts`, an enum name qualifying a variant (`alert_level.red`), and
//! last a bare variant, resolved by the enum its context expects or by being declared only
//! once. After `facts`, the longest dotted prefix that is a declared event kind names the kind.

use super::codes::{self, did_you_mean};
use super::expr::{chain_span, name_chain, ExprChecker, RESERVED};
use super::ty::Ty;
use crate::ast::{self, Ident};
use crate::ir::{self, EventRef, ExprKind};
use crate::span::{Diagnostic, Span};
use crate::vocab::EVENT_TIME_FIELD;

impl ExprChecker<'_> {
    /// Resolves a name chain such as `terms.price`, `facts.shipment.departed.at`, `cap`, `red`.
    pub(super) fn path(&mut self, chain: &[&Ident], expected: Option<&Ty>) -> (Ty, ir::Expr) {
        let Some(root) = chain.first() else {
            return self.poisoned(Span::default());
        };
        let name = root.node.as_str();
        if let Some((param, kind)) = self.scope.predicate_param {
            if name == param {
                return self.event_access(EventRef::Arg, kind, chain, 1);
            }
        }
        if let Some(info) = self.scope.params.get(name).cloned() {
            if self.scope.constant {
                return self.not_constant(root.span, "a param");
            }
            let node = self.node(root.span, ExprKind::Param(info.index));
            return self.fields(Ty::from_type(&info.ty), node, chain, 1);
        }
        match name {
            "terms" => return self.term(chain),
            "event" => return self.current_event(chain),
            "facts" => return self.fact(chain),
            _ => {}
        }
        if chain.len() == 2 && self.vocab.enums.contains_key(name) {
            return self.qualified_variant(name, chain[1]);
        }
        if chain.len() == 1 {
            return self.variant(root, expected);
        }
        self.unknown_name(root)
    }

    pub(super) fn not_constant(&mut self, span: Span, what: &str) -> (Ty, ir::Expr) {
        self.error_with(|| {
            Diagnostic::error(
                codes::NOT_CONSTANT,
                format!("a default value must be a constant, and {what} is not"),
                span,
                "not a constant",
            )
            .with_help("write the value itself, such as `42d` or `150.00 EUR`")
        });
        self.poisoned(span)
    }

    pub(super) fn unknown_name(&mut self, ident: &Ident) -> (Ty, ir::Expr) {
        let name = ident.node.as_str();
        let mut candidates: Vec<&str> = self.scope.params.keys().map(String::as_str).collect();
        candidates.extend(RESERVED.iter().copied());
        candidates.extend(self.vocab.enums.values().flatten().map(String::as_str));
        if let Some((param, _)) = self.scope.predicate_param {
            candidates.push(param);
        }
        let mut diagnostic = Diagnostic::error(
            codes::UNKNOWN_NAME,
            format!("nothing is called `{name}` here"),
            ident.span,
            "unknown name",
        );
        if self.scope.predicates.iter().any(|p| p.name == name) {
            diagnostic = diagnostic.with_help(format!(
                "`{name}` is a predicate: call it with an event, such as `{name}(event)`"
            ));
        } else if let Some(help) = did_you_mean(name, candidates) {
            diagnostic = diagnostic.with_help(help);
        } else {
            diagnostic = diagnostic.with_help(
                "a name is a param of the clause, an enum variant, or starts with `terms.`, \
                 `event.` or `facts.`",
            );
        }
        self.error_with(|| diagnostic);
        self.poisoned(ident.span)
    }

    pub(super) fn term(&mut self, chain: &[&Ident]) -> (Ty, ir::Expr) {
        let whole = chain_span(chain);
        if self.scope.constant {
            return self.not_constant(whole, "a term");
        }
        let Some(term) = chain.get(1) else {
            self.error_with(|| {
                Diagnostic::error(
                    codes::OUT_OF_SCOPE,
                    "`terms` is not a value by itself",
                    whole,
                    "which term?",
                )
                .with_help("name a term, such as `terms.delivery_due`")
            });
            return self.poisoned(whole);
        };
        let Some(ty) = self.vocab.terms.get(&term.node).cloned() else {
            let mut diagnostic = Diagnostic::error(
                codes::UNKNOWN_TERM,
                format!("no term `{}` is declared", term.node),
                term.span,
                "unknown term",
            );
            let help = did_you_mean(&term.node, self.vocab.terms.keys().map(String::as_str))
                .unwrap_or_else(|| "terms are declared in a `terms { … }` item".to_string());
            diagnostic = diagnostic.with_help(help);
            self.error_with(|| diagnostic);
            return self.poisoned(whole);
        };
        self.uses.terms.insert(term.node.clone(), ty.clone());
        let node = self.node(
            chain[0].span.to(term.span),
            ExprKind::Term(term.node.clone()),
        );
        self.fields(Ty::from_type(&ty), node, chain, 2)
    }

    pub(super) fn current_event(&mut self, chain: &[&Ident]) -> (Ty, ir::Expr) {
        let whole = chain_span(chain);
        if self.scope.constant {
            return self.not_constant(whole, "the event");
        }
        match (self.scope.on_kind, self.scope.predicate_param) {
            (Some(kind), _) => self.event_access(EventRef::Current, kind, chain, 1),
            (None, Some((param, _))) => {
                self.error_with(|| {
                    Diagnostic::error(
                        codes::OUT_OF_SCOPE,
                        "a predicate does not see `event`",
                        chain[0].span,
                        "not available here",
                    )
                    .with_help(format!("use the predicate's parameter `{param}` instead"))
                });
                self.poisoned(whole)
            }
            (None, None) => {
                self.error_with(|| {
                    Diagnostic::error(
                        codes::OUT_OF_SCOPE,
                        "`event` is only available inside a rule",
                        chain[0].span,
                        "not available here",
                    )
                });
                self.poisoned(whole)
            }
        }
    }

    /// The kind named by the longest prefix of `chain[1..]`, and how many segments it took.
    pub(super) fn fact_kind(&self, chain: &[&Ident]) -> Option<(String, usize)> {
        (2..=chain.len()).rev().find_map(|end| {
            let kind = chain[1..end]
                .iter()
                .map(|ident| ident.node.as_str())
                .collect::<Vec<_>>()
                .join(".");
            self.vocab.events.contains_key(&kind).then_some((kind, end))
        })
    }

    pub(super) fn fact(&mut self, chain: &[&Ident]) -> (Ty, ir::Expr) {
        let whole = chain_span(chain);
        if self.scope.constant {
            return self.not_constant(whole, "a fact");
        }
        match self.fact_kind(chain) {
            Some((kind, end)) => self.event_access(EventRef::Fact(kind.clone()), &kind, chain, end),
            None => {
                let written = chain[1..]
                    .iter()
                    .map(|ident| ident.node.as_str())
                    .collect::<Vec<_>>()
                    .join(".");
                let span = if chain.len() > 1 {
                    chain[1].span.to(chain[chain.len() - 1].span)
                } else {
                    whole
                };
                let mut diagnostic = Diagnostic::error(
                    codes::UNKNOWN_EVENT_KIND,
                    format!("no event kind is named by `{written}`"),
                    span,
                    "unknown event kind",
                )
                .with_help("write `facts.KIND.FIELD`, such as `facts.shipment.departed.at`");
                // Suggest against the written text minus its last segment (likely the field).
                let without_field = chain[1..chain.len().saturating_sub(1).max(2)]
                    .iter()
                    .map(|ident| ident.node.as_str())
                    .collect::<Vec<_>>()
                    .join(".");
                if let Some(help) =
                    did_you_mean(&without_field, self.vocab.events.keys().map(String::as_str))
                {
                    diagnostic = diagnostic.with_help(help);
                }
                self.error_with(|| diagnostic);
                self.poisoned(whole)
            }
        }
    }

    /// Reads a field of an event: `chain[at]` is the field, the rest are record fields.
    pub(super) fn event_access(
        &mut self,
        event: EventRef,
        kind: &str,
        chain: &[&Ident],
        at: usize,
    ) -> (Ty, ir::Expr) {
        self.uses.events.entry(kind.to_string()).or_default();
        let Some(field) = chain.get(at) else {
            let whole = chain_span(chain);
            self.error_with(|| {
                Diagnostic::error(
                    codes::OUT_OF_SCOPE,
                    format!("this is a whole `{kind}` event, not a value"),
                    whole,
                    "a whole event",
                )
                .with_help(
                    "read one of its fields, such as `.at`; only predicates take whole events",
                )
            });
            return self.poisoned(whole);
        };
        let span = chain[0].span.to(field.span);
        let node = if field.node == EVENT_TIME_FIELD {
            self.node(span, ExprKind::EventAt(event))
        } else {
            let Some(ty) = self.vocab.event_field(kind, &field.node) else {
                let mut diagnostic = Diagnostic::error(
                    codes::UNKNOWN_FIELD,
                    format!("`{kind}` events have no field `{}`", field.node),
                    field.span,
                    "unknown field",
                );
                let mut fields: Vec<&str> = self
                    .vocab
                    .events
                    .get(kind)
                    .map(|fields| fields.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                fields.push(EVENT_TIME_FIELD);
                let help = did_you_mean(&field.node, fields.iter().copied())
                    .unwrap_or_else(|| format!("its fields are: {}", fields.join(", ")));
                diagnostic = diagnostic.with_help(help);
                self.error_with(|| diagnostic);
                return self.poisoned(span);
            };
            self.uses
                .events
                .entry(kind.to_string())
                .or_default()
                .insert(field.node.clone(), ty.clone());
            let node = self.node(
                span,
                ExprKind::EventField {
                    event,
                    field: field.node.clone(),
                },
            );
            return self.fields(Ty::from_type(&ty), node, chain, at + 1);
        };
        self.fields(Ty::Timestamp, node, chain, at + 1)
    }

    /// Applies record field accesses `chain[from..]` to a value.
    pub(super) fn fields(
        &mut self,
        mut ty: Ty,
        mut node: ir::Expr,
        chain: &[&Ident],
        from: usize,
    ) -> (Ty, ir::Expr) {
        for field in chain.iter().skip(from) {
            (ty, node) = self.record_field(ty, node, field);
        }
        (ty, node)
    }

    pub(super) fn record_field(&mut self, ty: Ty, node: ir::Expr, field: &Ident) -> (Ty, ir::Expr) {
        let span = self.span_of(&node).to(field.span);
        match &ty {
            Ty::Error => self.poisoned(span),
            Ty::Record(fields) => match fields.get(&field.node) {
                Some(field_ty) => {
                    let field_ty = Ty::from_type(field_ty);
                    let node = self.node(
                        span,
                        ExprKind::RecordField {
                            base: Box::new(node),
                            field: field.node.clone(),
                        },
                    );
                    (field_ty, node)
                }
                None => {
                    let mut diagnostic = Diagnostic::error(
                        codes::UNKNOWN_FIELD,
                        format!("this record has no field `{}`", field.node),
                        field.span,
                        "unknown field",
                    );
                    if let Some(help) = did_you_mean(&field.node, fields.keys().map(String::as_str))
                    {
                        diagnostic = diagnostic.with_help(help);
                    }
                    self.error_with(|| diagnostic);
                    self.poisoned(span)
                }
            },
            other => {
                self.error_with(|| {
                    Diagnostic::error(
                        codes::UNKNOWN_FIELD,
                        format!("{other} has no fields"),
                        field.span,
                        format!("no field `{}`", field.node),
                    )
                });
                self.poisoned(span)
            }
        }
    }

    pub(super) fn qualified_variant(&mut self, ty: &str, variant: &Ident) -> (Ty, ir::Expr) {
        let variants = self.vocab.enums.get(ty).cloned().unwrap_or_default();
        match variants.iter().position(|v| *v == variant.node) {
            Some(ordinal) => self.variant_node(ty, &variant.node, ordinal, variant.span),
            None => {
                let mut diagnostic = Diagnostic::error(
                    codes::UNKNOWN_NAME,
                    format!("enum `{ty}` has no variant `{}`", variant.node),
                    variant.span,
                    "unknown variant",
                );
                let help = did_you_mean(&variant.node, variants.iter().map(String::as_str))
                    .unwrap_or_else(|| format!("its variants are: {}", variants.join(", ")));
                diagnostic = diagnostic.with_help(help);
                self.error_with(|| diagnostic);
                self.poisoned(variant.span)
            }
        }
    }

    pub(super) fn variant_node(
        &mut self,
        ty: &str,
        variant: &str,
        ordinal: usize,
        span: Span,
    ) -> (Ty, ir::Expr) {
        self.uses.enums.insert(ty.to_string());
        let node = self.node(
            span,
            ExprKind::Variant {
                ty: ty.to_string(),
                variant: variant.to_string(),
                ordinal: ordinal as u32,
            },
        );
        (Ty::Enum(ty.to_string()), node)
    }

    /// A bare variant name, resolved by the expected enum or by being declared only once.
    pub(super) fn variant(&mut self, ident: &Ident, expected: Option<&Ty>) -> (Ty, ir::Expr) {
        let name = ident.node.as_str();
        let expected_enum = match expected {
            Some(Ty::Enum(ty)) => Some(ty.as_str()),
            Some(Ty::List(element)) => match element.as_ref() {
                Ty::Enum(ty) => Some(ty.as_str()),
                _ => None,
            },
            _ => None,
        };
        if let Some(ty) = expected_enum {
            if let Some(ordinal) = self
                .vocab
                .enums
                .get(ty)
                .and_then(|variants| variants.iter().position(|v| v == name))
            {
                return self.variant_node(ty, name, ordinal, ident.span);
            }
        }
        let owners: Vec<(String, usize)> = self
            .vocab
            .enums
            .iter()
            .filter_map(|(ty, variants)| {
                variants
                    .iter()
                    .position(|v| v == name)
                    .map(|ordinal| (ty.clone(), ordinal))
            })
            .collect();
        match owners.as_slice() {
            [] => match expected_enum {
                Some(ty) => {
                    let variants = self.vocab.enums.get(ty).cloned().unwrap_or_default();
                    let help = did_you_mean(name, variants.iter().map(String::as_str))
                        .unwrap_or_else(|| format!("its variants are: {}", variants.join(", ")));
                    self.error_with(|| {
                        Diagnostic::error(
                            codes::UNKNOWN_NAME,
                            format!("`{name}` is not a variant of enum `{ty}`"),
                            ident.span,
                            "unknown variant",
                        )
                        .with_help(help)
                    });
                    self.poisoned(ident.span)
                }
                None => self.unknown_name(ident),
            },
            [(ty, ordinal)] => self.variant_node(ty, name, *ordinal, ident.span),
            several => {
                let spelled: Vec<String> = several
                    .iter()
                    .map(|(ty, _)| format!("`{ty}.{name}`"))
                    .collect();
                self.error_with(|| {
                    Diagnostic::error(
                        codes::AMBIGUOUS_VARIANT,
                        format!("`{name}` is a variant of several enums"),
                        ident.span,
                        "which enum?",
                    )
                    .with_help(format!("say which: {}", spelled.join(" or ")))
                });
                self.poisoned(ident.span)
            }
        }
    }

    /// Resolves a predicate's argument: `event`, `facts.KIND` or the enclosing predicate's
    /// parameter.
    pub(super) fn event_argument(&mut self, arg: &ast::Expr) -> Option<(EventRef, String)> {
        let chain = name_chain(arg).unwrap_or_default();
        let names: Vec<&str> = chain.iter().map(|ident| ident.node.as_str()).collect();
        let resolved = match names.as_slice() {
            ["event"] if !self.scope.constant => self
                .scope
                .on_kind
                .map(|kind| (EventRef::Current, kind.to_string())),
            [name] => self
                .scope
                .predicate_param
                .filter(|(param, _)| param == name)
                .map(|(_, kind)| (EventRef::Arg, kind.to_string())),
            ["facts", ..] if !self.scope.constant => self
                .fact_kind(&chain)
                .filter(|(_, end)| *end == chain.len())
                .map(|(kind, _)| (EventRef::Fact(kind.clone()), kind)),
            _ => None,
        };
        if resolved.is_none() {
            self.error_with(|| {
                Diagnostic::error(
                    codes::TYPE_MISMATCH,
                    "a predicate takes a whole event",
                    arg.span,
                    "not an event",
                )
                .with_help("pass `event`, `facts.KIND` or the predicate's own parameter")
            });
        }
        resolved
    }
}
