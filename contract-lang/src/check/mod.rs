//! The checker: types a whole program against its vocabulary and lowers each clause to IR.
//!
//! A program is all items of the files compiled together. Its `enum`, `terms` and `event`
//! items form the [`Vocabulary`] (names unique across files; every event has an implicit
//! `at: timestamp`); its `clause` items are checked against it. The checker reports every
//! error it finds — each with a code (`E04xx`, see [`codes`]), a span, a label and, where one
//! helps, a help line — and produces a program only when there are none.
//!
//! The type rules, in brief (`docs/language.md` has the full reference):
//!
//! * **money** is an integer count of the currency's minor units plus the currency; a literal
//!   may not be more precise than its currency (`1.005 EUR` is an error, `1500 JPY` fine).
//!   `money ± money`, `money * int` and comparisons are exact. Mixing currencies is a type error
//!   when both are literals and an evaluation error otherwise.
//! * **rates and divisions name their rounding**: `money * decimal` (percentages are decimals),
//!   `x / n` of any number, amount or duration give an *unrounded* value that may be computed
//!   with and compared, but must pass through `round(x, half_up | half_even | down | up | floor
//!   | ceiling)` before it is stored, paid, shown or listed.
//! * **time**: `timestamp - timestamp = duration`, `timestamp ± duration = timestamp`,
//!   `duration * int`, and `days`/`hours`/`minutes`/`seconds(d)` (whole units, rounded down)
//!   and `ceil_days`/`ceil_hours(d)` (started units, also spelled `started_days` /
//!   `started_hours`).
//! * **enums** are ordered by declaration; a bare variant resolves by the type its context
//!   expects, `ENUM.variant` says it explicitly.
//! * `x in list`, `min`/`max` of two or more ordered values, `abs`, `if c then a else b`, and
//!   `jurisdiction { CN => … _ => … }` (a `_` arm is required, codes unique).
//! * actions: `set terms.NAME = v` with `v` of the term's type (each term at most once per
//!   rule); `pay`/`refund`/`compensate FROM -> TO amount` with a money amount between two
//!   different party roles; `notify PARTY text`; `activate`/`deactivate` another clause of
//!   the program; `review "reason"`.

mod calls;
pub mod codes;
mod expr;
mod names;
mod overlap;
mod ty;
mod words;

use crate::ast::{
    self, ActionKind, ClauseDecl, ClauseItem, Item, SourceFile, TypeExpr, TypeExprKind,
};
use crate::compile::{assemble_clause, ClauseParts, FileDiagnostic};
use crate::ir::{self, Action, CompiledClause, ParamIr, Program};
use crate::span::{Diagnostic, Span};
use crate::value::{Type, Value};
use crate::vocab::{
    Vocabulary, EVENT_TIME_FIELD, OPTION_CLAUSE_FIELD, OPTION_EXERCISED, OPTION_NAME_FIELD,
};
use codes::did_you_mean;
pub(crate) use expr::Uses;
use expr::{ExprChecker, ParamInfo, PredicateSig, Scope, RESERVED};
use std::collections::{BTreeMap, BTreeSet};

/// The vocabulary enum whose variants are the roles a contract's parties can have.
pub const PARTY_ENUM: &str = "party";

/// A money constant below zero, written as a negative literal or a negated positive one.
fn constant_below_zero(amount: &ir::Expr) -> bool {
    match &amount.kind {
        ir::ExprKind::Const(Value::Money(money)) => money.minor < 0,
        ir::ExprKind::Neg(inner) => {
            matches!(&inner.kind, ir::ExprKind::Const(Value::Money(money)) if money.minor > 0)
        }
        _ => false,
    }
}

fn kind_keyword(kind: ast::TransferKind) -> &'static str {
    ir::TransferKind::from(kind).keyword()
}

/// One parsed file of a program.
pub struct CheckFile<'a> {
    pub name: &'a str,
    pub file: &'a SourceFile,
}

/// Checks and compiles a program. The program is `None` if there is any error; warnings
/// (such as W0401) come with a program.
pub fn check_program(files: &[CheckFile<'_>]) -> (Option<Program>, Vec<FileDiagnostic>) {
    let mut checker = ProgramChecker {
        files,
        diagnostics: Vec::new(),
        vocabulary: Vocabulary::default(),
    };
    checker.collect_vocabulary();
    checker.collect_word_labels();
    let clauses = checker.check_clauses();
    let clean = !checker
        .diagnostics
        .iter()
        .any(|found| found.diagnostic.is_error());
    if clean {
        let names: Vec<&str> = files.iter().map(|file| file.name).collect();
        checker
            .diagnostics
            .extend(overlap::overlapping_sets(&clauses, &names));
    }
    // Report in reading order, whatever order the checks ran in.
    checker
        .diagnostics
        .sort_by_key(|d| (d.file, d.diagnostic.span.start, d.diagnostic.span.end));
    let program = clean.then(|| Program {
        vocabulary: checker.vocabulary.clone(),
        clauses,
    });
    (program, checker.diagnostics)
}

/// Turns a constant expression (a literal, a list of literals, an enum variant, a negated
/// number…) into a value of type `ty` — how scenario files and tools read values written in
/// the language's own syntax. The diagnostics' spans point into the expression's source.
pub fn const_value(
    vocabulary: &Vocabulary,
    expr: &ast::Expr,
    ty: &Type,
) -> Result<Value, Vec<Diagnostic>> {
    let params = BTreeMap::new();
    let mut diagnostics = Vec::new();
    let mut sites = Vec::new();
    let mut uses = Uses::default();
    let node = {
        let mut checker = ExprChecker {
            vocab: vocabulary,
            scope: constant_scope(&params),
            diags: &mut diagnostics,
            sites: &mut sites,
            uses: &mut uses,
        };
        checker.value(expr, ty, "this value")
    };
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    crate::eval::eval_const(&node, vocabulary).map_err(|error| {
        vec![Diagnostic::error(
            codes::DEFAULT_FAILED,
            format!("this value cannot be computed: {error}"),
            expr.span,
            "cannot be computed",
        )]
    })
}

fn constant_scope(params: &BTreeMap<String, ParamInfo>) -> Scope<'_> {
    Scope {
        params,
        predicates: &[],
        visible_predicates: 0,
        on_kind: None,
        predicate_param: None,
        constant: true,
    }
}

fn rule_scope<'s>(
    params: &'s BTreeMap<String, ParamInfo>,
    signatures: &'s [PredicateSig],
    kind: &'s str,
) -> Scope<'s> {
    Scope {
        params,
        predicates: signatures,
        visible_predicates: signatures.len(),
        on_kind: Some(kind),
        predicate_param: None,
        constant: false,
    }
}

struct ProgramChecker<'a> {
    files: &'a [CheckFile<'a>],
    diagnostics: Vec<FileDiagnostic>,
    vocabulary: Vocabulary,
}

/// Where a name was first declared, to point at it when it is declared again.
type Origins = BTreeMap<String, (usize, Span)>;

impl<'a> ProgramChecker<'a> {
    fn report(&mut self, file: usize, diagnostic: Diagnostic) {
        self.diagnostics.push(FileDiagnostic { file, diagnostic });
    }

    fn items(&self) -> impl Iterator<Item = (usize, &'a Item)> + 'a {
        self.files
            .iter()
            .enumerate()
            .flat_map(|(index, file)| file.file.items.iter().map(move |item| (index, item)))
    }

    /// Reports `name` declared again at `span` in `file` if `origins` has it; records it if not.
    fn declare(
        &mut self,
        origins: &mut Origins,
        what: &str,
        name: &str,
        file: usize,
        span: Span,
    ) -> bool {
        if let Some((first_file, first_span)) = origins.get(name).copied() {
            let mut diagnostic = Diagnostic::error(
                codes::DUPLICATE,
                format!("{what} `{name}` is declared twice"),
                span,
                "declared again here",
            );
            if first_file == file {
                diagnostic = diagnostic.with_secondary(first_span, "first declared here");
            } else {
                let other = self
                    .files
                    .get(first_file)
                    .map_or("another file", |f| f.name);
                diagnostic = diagnostic.with_help(format!("it is first declared in {other}"));
            }
            self.report(file, diagnostic);
            false
        } else {
            origins.insert(name.to_string(), (file, span));
            true
        }
    }

    fn collect_vocabulary(&mut self) {
        let mut enum_origins = Origins::new();
        for (file, item) in self.items() {
            let Item::Enum(decl) = item else { continue };
            if !self.declare(
                &mut enum_origins,
                "enum",
                &decl.name.node,
                file,
                decl.name.span,
            ) {
                continue;
            }
            let mut variant_origins = Origins::new();
            let mut variants = Vec::new();
            for variant in &decl.variants {
                if self.declare(
                    &mut variant_origins,
                    "variant",
                    &variant.node,
                    file,
                    variant.span,
                ) {
                    variants.push(variant.node.clone());
                }
            }
            self.vocabulary
                .enums
                .insert(decl.name.node.clone(), variants);
        }
        let mut term_origins = Origins::new();
        let mut kind_origins = Origins::new();
        for (file, item) in self.items() {
            match item {
                Item::Terms(decl) => {
                    for field in &decl.fields {
                        if !self.declare(
                            &mut term_origins,
                            "term",
                            &field.name.node,
                            file,
                            field.name.span,
                        ) {
                            continue;
                        }
                        if let Some(ty) = self.resolve_type(file, &field.ty) {
                            self.vocabulary.terms.insert(field.name.node.clone(), ty);
                        }
                    }
                }
                Item::Event(decl) => {
                    let kind = decl.kind.dotted();
                    if !self.declare(&mut kind_origins, "event kind", &kind, file, decl.kind.span) {
                        continue;
                    }
                    let mut field_origins = Origins::new();
                    let mut fields = BTreeMap::new();
                    for field in &decl.fields {
                        if field.name.node == EVENT_TIME_FIELD {
                            self.report(
                                file,
                                Diagnostic::error(
                                    codes::IMPLICIT_AT,
                                    "every event already has `at: timestamp`, its event time",
                                    field.span,
                                    "declared implicitly",
                                )
                                .with_help("remove this field; read the event time as `event.at`"),
                            );
                            continue;
                        }
                        if !self.declare(
                            &mut field_origins,
                            "field",
                            &field.name.node,
                            file,
                            field.name.span,
                        ) {
                            continue;
                        }
                        if let Some(ty) = self.resolve_type(file, &field.ty) {
                            fields.insert(field.name.node.clone(), ty);
                        }
                    }
                    self.vocabulary.events.insert(kind, fields);
                }
                Item::Enum(_) | Item::Clause(_) | Item::Label(_) => {}
            }
        }
    }

    fn resolve_type(&mut self, file: usize, ty: &TypeExpr) -> Option<Type> {
        let mut diagnostics = Vec::new();
        let resolved = resolve_type(&self.vocabulary.enums, ty, &mut diagnostics);
        for diagnostic in diagnostics {
            self.report(file, diagnostic);
        }
        resolved
    }

    fn check_clauses(&mut self) -> Vec<CompiledClause> {
        let mut origins = Origins::new();
        let mut clauses = Vec::new();
        for (file, item) in self.items() {
            if let Item::Clause(decl) = item {
                if self.declare(
                    &mut origins,
                    "clause",
                    &decl.name.node,
                    file,
                    decl.name.span,
                ) {
                    clauses.push((file, decl));
                }
            }
        }
        let names: Vec<String> = clauses
            .iter()
            .map(|(_, decl)| decl.name.node.clone())
            .collect();
        let mut compiled = Vec::new();
        for (file, decl) in clauses {
            let mut diagnostics = Vec::new();
            let result = ClauseChecker {
                vocab: &self.vocabulary,
                clause_names: &names,
                diags: &mut diagnostics,
                sites: Vec::new(),
                uses: Uses::default(),
            }
            .check(decl, file);
            for diagnostic in diagnostics {
                self.report(file, diagnostic);
            }
            if let Some(clause) = result {
                compiled.push(clause);
            }
        }
        compiled
    }
}

/// E0436: a unit (or, in a type, a dimension) the language does not know, with the closest
/// one: the same letters in another case (`KG` → `kg`), else by edit distance.
pub(crate) fn unknown_unit(name: &str, span: Span, in_type: bool) -> Diagnostic {
    use crate::quantity::{Dimension, Unit};
    let same_letters = Unit::known_codes().find(|code| code.eq_ignore_ascii_case(name));
    let help = match same_letters {
        Some(code) => Some(format!(
            "did you mean `{code}`? units are written in this case"
        )),
        None if in_type => did_you_mean(
            name,
            Dimension::ALL
                .iter()
                .map(|d| d.name())
                .chain(Unit::known_codes()),
        ),
        None => did_you_mean(name, Unit::known_codes()),
    };
    let list = Unit::known_codes().collect::<Vec<_>>().join(", ");
    let (message, label) = if in_type {
        (
            format!("`{name}` is neither a dimension nor a unit"),
            "unknown dimension",
        )
    } else {
        (format!("unknown unit `{name}`"), "unknown unit")
    };
    let help = help.unwrap_or_else(|| {
        if in_type {
            let dimensions: Vec<&str> = Dimension::ALL.iter().map(|d| d.name()).collect();
            format!(
                "the dimensions are {}; a unit ({list}) stands for its dimension",
                dimensions.join(", ")
            )
        } else {
            format!("the units are {list}")
        }
    });
    Diagnostic::error(codes::UNKNOWN_UNIT, message, span, label).with_help(help)
}

/// Resolves a written type; enum names must be declared.
fn resolve_type(
    enums: &BTreeMap<String, Vec<String>>,
    ty: &TypeExpr,
    diags: &mut Vec<Diagnostic>,
) -> Option<Type> {
    Some(match &ty.kind {
        TypeExprKind::Bool => Type::Bool,
        TypeExprKind::Int => Type::Int,
        TypeExprKind::Decimal => Type::Decimal,
        TypeExprKind::Money => Type::Money,
        TypeExprKind::Duration => Type::Duration,
        TypeExprKind::Timestamp => Type::Timestamp,
        TypeExprKind::Text => Type::Text,
        TypeExprKind::Named(name) => {
            if !enums.contains_key(&name.node) {
                let help = did_you_mean(&name.node, enums.keys().map(String::as_str))
                    .unwrap_or_else(|| {
                        "the types are bool, int, decimal, money, duration, timestamp, text, \
                         list<T>, records { … } and declared enums"
                            .to_string()
                    });
                diags.push(
                    Diagnostic::error(
                        codes::UNKNOWN_TYPE,
                        format!("no type `{}` is declared", name.node),
                        name.span,
                        "unknown type",
                    )
                    .with_help(help),
                );
                return None;
            }
            Type::Enum(name.node.clone())
        }
        TypeExprKind::Quantity(name) | TypeExprKind::Rate(name) => {
            let Some(dimension) = crate::quantity::Unit::dimension_named(&name.node) else {
                diags.push(unknown_unit(&name.node, name.span, true));
                return None;
            };
            match ty.kind {
                TypeExprKind::Rate(_) => Type::Rate(dimension),
                _ => Type::Quantity(dimension),
            }
        }
        TypeExprKind::List(element) => Type::List(Box::new(resolve_type(enums, element, diags)?)),
        TypeExprKind::Record(fields) => {
            let mut origins: BTreeMap<&str, Span> = BTreeMap::new();
            let mut resolved = BTreeMap::new();
            let mut complete = true;
            for field in fields {
                if let Some(first) = origins.get(field.name.node.as_str()) {
                    diags.push(
                        Diagnostic::error(
                            codes::DUPLICATE,
                            format!("field `{}` is declared twice", field.name.node),
                            field.name.span,
                            "declared again here",
                        )
                        .with_secondary(*first, "first declared here"),
                    );
                    continue;
                }
                origins.insert(&field.name.node, field.name.span);
                match resolve_type(enums, &field.ty, diags) {
                    Some(field_ty) => {
                        resolved.insert(field.name.node.clone(), field_ty);
                    }
                    None => complete = false,
                }
            }
            if !complete {
                return None;
            }
            Type::Record(resolved)
        }
    })
}

struct ClauseChecker<'c> {
    vocab: &'c Vocabulary,
    clause_names: &'c [String],
    diags: &'c mut Vec<Diagnostic>,
    sites: Vec<Span>,
    uses: Uses,
}

/// Whether a rule's actions are all `review` (a review applies nothing).
fn only_reviews(actions: &[ast::Action]) -> bool {
    !actions.is_empty()
        && actions
            .iter()
            .all(|action| matches!(action.kind, ActionKind::Review(_)))
}

struct DeclaredParam<'d> {
    name: String,
    ty: Option<Type>,
    default: Option<&'d ast::Expr>,
}

impl ClauseChecker<'_> {
    /// Reports the diagnostic `make` builds, in a function of its own for each call site
    /// (`#[cold]`, never inlined): the browser compiles a checker's function whole on its
    /// first call, and building a message runs only for sources that do not compile.
    #[cold]
    #[inline(never)]
    fn error_with(&mut self, make: impl FnOnce() -> Diagnostic) {
        self.diags.push(make());
    }

    fn declare(
        &mut self,
        origins: &mut BTreeMap<String, Span>,
        what: &str,
        name: &str,
        span: Span,
    ) -> bool {
        if let Some(first) = origins.get(name) {
            let diagnostic = Diagnostic::error(
                codes::DUPLICATE,
                format!("{what} `{name}` is declared twice"),
                span,
                "declared again here",
            )
            .with_secondary(*first, "first declared here");
            self.error_with(|| diagnostic);
            false
        } else {
            origins.insert(name.to_string(), span);
            true
        }
    }

    fn reserved(&mut self, ident: &ast::Ident, what: &str) -> bool {
        if RESERVED.contains(&ident.node.as_str()) {
            self.error_with(|| {
                Diagnostic::error(
                    codes::RESERVED_NAME,
                    format!("`{}` is reserved and cannot name a {what}", ident.node),
                    ident.span,
                    "reserved name",
                )
            });
            return true;
        }
        false
    }

    fn resolve_type(&mut self, ty: &TypeExpr) -> Option<Type> {
        resolve_type(&self.vocab.enums, ty, self.diags)
    }

    fn check(mut self, decl: &ClauseDecl, file: usize) -> Option<CompiledClause> {
        let errors_before = self.diags.len();
        let mut titles = BTreeMap::new();
        let mut title_origins = BTreeMap::new();
        let mut declared_params = Vec::new();
        let mut param_origins = BTreeMap::new();
        let mut predicate_decls = Vec::new();
        let mut predicate_origins = BTreeMap::new();
        let mut rules = Vec::new();
        let mut labels = Vec::new();
        for item in &decl.items {
            match item {
                ClauseItem::Title(title) => {
                    if self.declare(
                        &mut title_origins,
                        "title in language",
                        &title.lang.node,
                        title.lang.span,
                    ) {
                        titles.insert(title.lang.node.clone(), title.text.node.clone());
                    }
                }
                ClauseItem::Param(param) => {
                    let fresh = self.declare(
                        &mut param_origins,
                        "param",
                        &param.name.node,
                        param.name.span,
                    );
                    let reserved = self.reserved(&param.name, "param");
                    let ty = self.resolve_type(&param.ty);
                    if fresh && !reserved {
                        declared_params.push(DeclaredParam {
                            name: param.name.node.clone(),
                            ty,
                            default: param.default.as_ref(),
                        });
                    }
                }
                ClauseItem::Predicate(predicate) => {
                    if self.declare(
                        &mut predicate_origins,
                        "predicate",
                        &predicate.name.node,
                        predicate.name.span,
                    ) {
                        predicate_decls.push(predicate);
                    }
                }
                ClauseItem::Rule(rule) => rules.push(rule),
                ClauseItem::Label(label) => labels.push(label),
            }
        }

        // Params and predicates are listed in the IR sorted by name.
        let mut param_names: Vec<&String> = declared_params.iter().map(|p| &p.name).collect();
        param_names.sort();
        let params: BTreeMap<String, ParamInfo> = declared_params
            .iter()
            .filter_map(|param| {
                let index = param_names.iter().position(|name| **name == param.name)?;
                Some((
                    param.name.clone(),
                    ParamInfo {
                        index: index as u32,
                        ty: param.ty.clone()?,
                    },
                ))
            })
            .collect();
        let param_irs = self.check_defaults(&declared_params);

        let mut predicate_names: Vec<&String> =
            predicate_decls.iter().map(|p| &p.name.node).collect();
        predicate_names.sort();
        let signatures: Vec<PredicateSig> = predicate_decls
            .iter()
            .map(|predicate| PredicateSig {
                name: predicate.name.node.clone(),
                index: predicate_names
                    .iter()
                    .position(|name| **name == predicate.name.node)
                    .unwrap_or(0) as u32,
                kind: predicate.param_kind.dotted(),
            })
            .collect();

        let mut predicate_irs = Vec::new();
        for (position, predicate) in predicate_decls.iter().enumerate() {
            let kind = predicate.param_kind.dotted();
            let mut shadowing = self.reserved(&predicate.param, "predicate parameter");
            if params.contains_key(&predicate.param.node) {
                self.error_with(|| {
                    Diagnostic::error(
                        codes::RESERVED_NAME,
                        format!(
                            "`{}` is already a param of this clause",
                            predicate.param.node
                        ),
                        predicate.param.span,
                        "name taken",
                    )
                    .with_help("give the predicate's parameter another name, such as `e`")
                });
                shadowing = true;
            }
            if !self.vocab.events.contains_key(&kind) {
                self.unknown_kind(&predicate.param_kind);
                continue;
            }
            if shadowing {
                continue;
            }
            let scope = Scope {
                params: &params,
                predicates: &signatures,
                visible_predicates: position,
                on_kind: None,
                predicate_param: Some((&predicate.param.node, &kind)),
                constant: false,
            };
            let body = self.expr_checker(scope).condition(&predicate.body);
            self.uses.events.entry(kind.clone()).or_default();
            predicate_irs.push(ir::PredicateIr {
                name: predicate.name.node.clone(),
                param: predicate.param.node.clone(),
                kind,
                body,
            });
        }

        let mut rule_irs = Vec::new();
        let mut rule_spans = Vec::new();
        let mut action_spans = Vec::new();
        let mut option_origins = BTreeMap::new();
        for rule in rules {
            let kind = rule.on.dotted();
            if rule.option.is_some() && !self.vocabulary_has_options(rule.on.span) {
                continue;
            }
            if !self.vocab.events.contains_key(&kind) {
                self.unknown_kind(&rule.on);
                continue;
            }
            self.uses.events.entry(kind.clone()).or_default();
            let option = rule.option.as_ref().and_then(|option| {
                self.option(
                    option,
                    &mut option_origins,
                    rule_scope(&params, &signatures, &kind),
                )
            });
            let when = rule.when.as_ref().map(|when| {
                self.expr_checker(rule_scope(&params, &signatures, &kind))
                    .condition(when)
            });
            let mut actions = Vec::new();
            let mut set_terms: BTreeMap<String, Span> = BTreeMap::new();
            for action in &rule.actions {
                if let Some(action) = self.action(
                    action,
                    decl,
                    &mut set_terms,
                    rule_scope(&params, &signatures, &kind),
                ) {
                    actions.push(action);
                }
            }
            if rule.once && only_reviews(&rule.actions) {
                let (message, help) = if rule.option.is_some() {
                    ("an option is exercised once, but a `review` applies nothing, so the option would never count as exercised",
                     "give the option an action that applies something, such as `set` or `pay`")
                } else {
                    ("this rule may fire only once, but a `review` applies nothing, so it would never count as fired",
                     "drop `once` (every matching event then goes to review), or give the rule an action that applies something")
                };
                self.error_with(|| {
                    Diagnostic::error(
                        codes::ONCE_ONLY_REVIEW,
                        message,
                        rule.on.span,
                        "at most once",
                    )
                    .with_help(help)
                });
            }
            rule_spans.push(rule.span);
            action_spans.push(rule.actions.iter().map(|action| action.span).collect());
            rule_irs.push(ir::RuleIr {
                on: kind,
                when,
                actions,
                once: rule.once,
                option,
            });
        }

        if self.diags.len() > errors_before {
            return None;
        }
        // Options are named like predicates: a label may translate their names too.
        let mut named: Vec<&String> = predicate_names.clone();
        named.extend(
            rule_irs
                .iter()
                .filter_map(|rule| rule.option.as_ref().map(|option| &option.name)),
        );
        let labels = self.check_labels(&labels, &param_names, &named, &rule_irs);
        if self.diags.len() > errors_before {
            return None;
        }
        let parts = ClauseParts {
            name: decl.name.node.clone(),
            titles,
            labels,
            params: param_irs,
            predicates: predicate_irs,
            rules: rule_irs,
            uses: self.uses,
            sites: self.sites,
            clause_span: decl.span,
            rule_spans,
            action_spans,
            file,
        };
        match assemble_clause(self.vocab, parts) {
            Ok(clause) => Some(clause),
            Err(error) => {
                self.diags.push(Diagnostic::error(
                    codes::DEFAULT_FAILED,
                    format!("this clause cannot be encoded: {error}"),
                    decl.name.span,
                    "cannot be encoded",
                ));
                None
            }
        }
    }

    /// Gathers the clause's `label` items. A label names a param or predicate of this clause,
    /// or translates a text the clause writes (so a message edited later cannot keep a stale
    /// translation), and gives each language once.
    fn check_labels(
        &mut self,
        labels: &[&ast::Label],
        params: &[&String],
        predicates: &[&String],
        rules: &[ir::RuleIr],
    ) -> ir::Labels {
        let texts = texts_written(rules);
        let mut out = ir::Labels::default();
        let mut origins: BTreeMap<(String, String), Span> = BTreeMap::new();
        for label in labels {
            let (key, span, by_name) = match &label.target {
                ast::LabelTarget::Name(name) => (name.node.clone(), name.span, true),
                ast::LabelTarget::Text(text) => (text.node.clone(), text.span, false),
                // The parser reads word labels only at the top level.
                ast::LabelTarget::Word { .. } | ast::LabelTarget::Attester(_) => continue,
            };
            let known = if by_name {
                params.iter().chain(predicates).any(|name| **name == key)
            } else {
                texts.contains(key.as_str())
            };
            if !known {
                self.unknown_label_target(&key, span, by_name, params, predicates);
                continue;
            }
            let kind = if by_name { "name" } else { "text" };
            for (lang, text) in &label.texts {
                let origin = (format!("{kind}:{key}"), lang.node.clone());
                if !self.declare_label(&mut origins, origin, lang) {
                    continue;
                }
                let map = if by_name {
                    &mut out.names
                } else {
                    &mut out.texts
                };
                map.entry(key.clone())
                    .or_default()
                    .insert(lang.node.clone(), text.node.clone());
            }
        }
        out
    }

    fn declare_label(
        &mut self,
        origins: &mut BTreeMap<(String, String), Span>,
        origin: (String, String),
        lang: &ast::Ident,
    ) -> bool {
        if let Some(first) = origins.get(&origin) {
            self.error_with(|| {
                Diagnostic::error(
                    codes::DUPLICATE,
                    format!("a label in language `{}` is given twice", lang.node),
                    lang.span,
                    "given again here",
                )
                .with_secondary(*first, "first given here")
            });
            return false;
        }
        origins.insert(origin, lang.span);
        true
    }

    fn unknown_label_target(
        &mut self,
        key: &str,
        span: Span,
        by_name: bool,
        params: &[&String],
        predicates: &[&String],
    ) {
        let diagnostic = if by_name {
            let names = params.iter().chain(predicates).map(|name| name.as_str());
            let help = did_you_mean(key, names).unwrap_or_else(|| {
                "a label names a param or a predicate of this clause".to_string()
            });
            Diagnostic::error(
                codes::UNKNOWN_LABEL,
                format!("no param or predicate `{key}` to label"),
                span,
                "not a param or predicate of this clause",
            )
            .with_help(help)
        } else {
            Diagnostic::error(
                codes::UNKNOWN_LABEL,
                "the clause writes no such text",
                span,
                "no text literal of the clause reads like this",
            )
            .with_help("a text label translates a text the clause writes, exactly as written (a notification, a compared value)")
        };
        self.error_with(|| diagnostic);
    }

    fn expr_checker<'s>(&'s mut self, scope: Scope<'s>) -> ExprChecker<'s> {
        ExprChecker {
            vocab: self.vocab,
            scope,
            diags: self.diags,
            sites: &mut self.sites,
            uses: &mut self.uses,
        }
    }

    /// A party named in an action must be one of the roles of the vocabulary's
    /// `enum party { … }` (when it declares one): a typo must not name a party no contract has.
    fn check_party(&mut self, party: &ast::Ident) {
        let Some(roles) = self.vocab.enums.get(PARTY_ENUM) else {
            return;
        };
        if roles.contains(&party.node) {
            return;
        }
        let help = did_you_mean(&party.node, roles.iter().map(String::as_str))
            .unwrap_or_else(|| format!("the roles are {}", roles.join(", ")));
        self.error_with(|| {
            Diagnostic::error(
                codes::UNKNOWN_PARTY,
                format!("no party `{}` is declared", party.node),
                party.span,
                "unknown party",
            )
            .with_help(help)
        });
    }

    /// Options need the vocabulary's exercise event, `option.exercised { clause: text,
    /// option: text }` (E0434 at the `option` keyword otherwise).
    fn vocabulary_has_options(&mut self, keyword: Span) -> bool {
        let fits = self
            .vocab
            .events
            .get(OPTION_EXERCISED)
            .is_some_and(|fields| {
                fields.len() == 2
                    && [OPTION_CLAUSE_FIELD, OPTION_NAME_FIELD]
                        .iter()
                        .all(|field| fields.get(*field) == Some(&Type::Text))
            });
        if !fits {
            self.error_with(||
                Diagnostic::error(
                    codes::NO_OPTION_EVENT,
                    format!("an option needs the vocabulary to declare the event `{OPTION_EXERCISED}` by which a party exercises it"),
                    keyword,
                    "no exercise event",
                )
                .with_help(format!("declare `event {OPTION_EXERCISED} {{ {OPTION_CLAUSE_FIELD}: text, {OPTION_NAME_FIELD}: text }}` (the standard vocabulary does)")),
            );
        }
        fits
    }

    /// An option's head: a fresh name, a known party and a `timestamp` deadline.
    fn option(
        &mut self,
        option: &ast::OptionDecl,
        origins: &mut BTreeMap<String, Span>,
        scope: Scope<'_>,
    ) -> Option<ir::OptionIr> {
        let fresh = self.declare(origins, "option", &option.name.node, option.name.span);
        self.check_party(&option.holder);
        let until =
            self.expr_checker(scope)
                .value(&option.until, &Type::Timestamp, "an option's deadline");
        let fields = self
            .uses
            .events
            .entry(OPTION_EXERCISED.to_string())
            .or_default();
        for field in [OPTION_CLAUSE_FIELD, OPTION_NAME_FIELD] {
            fields.insert(field.to_string(), Type::Text);
        }
        fresh.then(|| ir::OptionIr {
            name: option.name.node.clone(),
            holder: option.holder.node.clone(),
            until,
        })
    }

    fn unknown_kind(&mut self, path: &ast::Path) {
        let kind = path.dotted();
        let help = did_you_mean(&kind, self.vocab.events.keys().map(String::as_str))
            .unwrap_or_else(|| "event kinds are declared with `event KIND { … }`".to_string());
        self.error_with(|| {
            Diagnostic::error(
                codes::UNKNOWN_EVENT_KIND,
                format!("no event kind `{kind}` is declared"),
                path.span,
                "unknown event kind",
            )
            .with_help(help)
        });
    }

    /// Checks each param's default in a constant context and computes it.
    fn check_defaults(&mut self, declared: &[DeclaredParam<'_>]) -> Vec<ParamIr> {
        let no_params = BTreeMap::new();
        let mut irs: Vec<ParamIr> = Vec::new();
        for param in declared {
            let Some(ty) = &param.ty else { continue };
            let mut default = None;
            let mut unit = None;
            if let Some(expr) = param.default {
                let errors_before = self.diags.len();
                let mut sites = Vec::new();
                let mut uses = Uses::default();
                let node = ExprChecker {
                    vocab: self.vocab,
                    scope: constant_scope(&no_params),
                    diags: self.diags,
                    sites: &mut sites,
                    uses: &mut uses,
                }
                .value(expr, ty, "the default");
                unit = smallest_period_unit(&node);
                if self.diags.len() == errors_before {
                    match crate::eval::eval_const(&node, self.vocab) {
                        Ok(value) => default = Some(value),
                        Err(error) => self.error_with(|| {
                            Diagnostic::error(
                                codes::DEFAULT_FAILED,
                                format!(
                                    "the default of `{}` cannot be computed: {error}",
                                    param.name
                                ),
                                expr.span,
                                "cannot be computed",
                            )
                        }),
                    }
                }
            }
            irs.push(ParamIr {
                name: param.name.clone(),
                ty: ty.clone(),
                default,
                unit,
            });
        }
        irs.sort_by(|a, b| a.name.cmp(&b.name));
        irs
    }

    fn action(
        &mut self,
        action: &ast::Action,
        clause: &ClauseDecl,
        set_terms: &mut BTreeMap<String, Span>,
        scope: Scope<'_>,
    ) -> Option<Action> {
        match &action.kind {
            ActionKind::Set { target, value } => {
                let segments: Vec<&str> = target.segments.iter().map(|s| s.node.as_str()).collect();
                let ["terms", term] = segments.as_slice() else {
                    self.error_with(||
                        Diagnostic::error(
                            codes::BAD_SET_TARGET,
                            format!("only terms can be set, not `{}`", target.dotted()),
                            target.span,
                            "not a term",
                        )
                        .with_help("write `set terms.NAME = value`; events and facts are what happened and never change"),
                    );
                    return None;
                };
                let term = term.to_string();
                let Some(ty) = self.vocab.terms.get(&term).cloned() else {
                    let help = did_you_mean(&term, self.vocab.terms.keys().map(String::as_str))
                        .unwrap_or_else(|| {
                            "terms are declared in a `terms { … }` item".to_string()
                        });
                    self.error_with(|| {
                        Diagnostic::error(
                            codes::UNKNOWN_TERM,
                            format!("no term `{term}` is declared"),
                            target.span,
                            "unknown term",
                        )
                        .with_help(help)
                    });
                    return None;
                };
                if let Some(first) = set_terms.get(&term) {
                    self.error_with(|| {
                        Diagnostic::error(
                            codes::DUPLICATE_SET,
                            format!("this rule sets `terms.{term}` twice"),
                            target.span,
                            "set again here",
                        )
                        .with_secondary(*first, "first set here")
                    });
                } else {
                    set_terms.insert(term.clone(), target.span);
                }
                self.uses.terms.insert(term.clone(), ty.clone());
                let value = self.expr_checker(scope).value(
                    value,
                    &ty,
                    &format!("the new value of `terms.{term}`"),
                );
                Some(Action::Set { term, value })
            }
            ActionKind::Transfer {
                kind,
                from,
                to,
                amount,
            } => {
                self.check_party(from);
                self.check_party(to);
                if from.node == to.node {
                    self.error_with(|| {
                        Diagnostic::error(
                            codes::SELF_REFERENCE,
                            format!("`{}` cannot pay itself", from.node),
                            from.span.to(to.span),
                            "same party on both sides",
                        )
                    });
                }
                let written = amount;
                let amount = self
                    .expr_checker(scope)
                    .value(amount, &Type::Money, "a payment");
                if constant_below_zero(&amount) {
                    {
                        self.error_with(|| {
                            Diagnostic::error(
                                codes::NEGATIVE_AMOUNT,
                                format!("`{}` would pay a negative amount", kind_keyword(*kind)),
                                written.span,
                                "negative",
                            )
                            .with_help(format!(
                                "to move money the other way, swap the parties: `{} {} -> {} …`",
                                kind_keyword(*kind),
                                to.node,
                                from.node
                            ))
                        });
                    }
                }
                Some(Action::Transfer {
                    kind: (*kind).into(),
                    from: from.node.clone(),
                    to: to.node.clone(),
                    amount,
                })
            }
            ActionKind::Notify { party, message } => {
                self.check_party(party);
                let message =
                    self.expr_checker(scope)
                        .value(message, &Type::Text, "a notification");
                Some(Action::Notify {
                    party: party.node.clone(),
                    message,
                })
            }
            ActionKind::Activate(target) | ActionKind::Deactivate(target) => {
                let activate = matches!(action.kind, ActionKind::Activate(_));
                if target.node == clause.name.node {
                    self.error_with(|| {
                        Diagnostic::error(
                            codes::SELF_REFERENCE,
                            format!(
                                "a clause cannot {} itself",
                                if activate { "activate" } else { "deactivate" }
                            ),
                            target.span,
                            "this clause",
                        )
                    });
                    return None;
                }
                if !self.clause_names.contains(&target.node) {
                    let help =
                        did_you_mean(&target.node, self.clause_names.iter().map(String::as_str))
                            .unwrap_or_else(|| {
                                "name a clause compiled together with this one".to_string()
                            });
                    self.error_with(|| {
                        Diagnostic::error(
                            codes::UNKNOWN_CLAUSE,
                            format!("no clause `{}` is compiled with this one", target.node),
                            target.span,
                            "unknown clause",
                        )
                        .with_help(help)
                    });
                    return None;
                }
                let clause = target.node.clone();
                Some(if activate {
                    Action::Activate { clause }
                } else {
                    Action::Deactivate { clause }
                })
            }
            ActionKind::Review(reason) => Some(Action::Review {
                reason: reason.node.clone(),
            }),
        }
    }
}

/// The smallest unit of the periods written in `expr` (`7d + 12h`: hours), if any.
fn smallest_period_unit(expr: &ir::Expr) -> Option<ir::DurationUnit> {
    let own = match expr.kind {
        ir::ExprKind::Period { unit, .. } => Some(unit),
        _ => None,
    };
    expr.children()
        .into_iter()
        .filter_map(smallest_period_unit)
        .chain(own)
        .max()
}

/// Every text literal the clause's rules write.
fn texts_written(rules: &[ir::RuleIr]) -> BTreeSet<&str> {
    fn walk<'e>(expr: &'e ir::Expr, into: &mut BTreeSet<&'e str>) {
        if let ir::ExprKind::Const(Value::Text(text)) = &expr.kind {
            into.insert(text);
        }
        expr.children()
            .into_iter()
            .for_each(|child| walk(child, into));
    }
    let mut texts = BTreeSet::new();
    for rule in rules {
        rule.when.iter().for_each(|when| walk(when, &mut texts));
        for action in &rule.actions {
            match action {
                ir::Action::Set { value: expr, .. }
                | ir::Action::Transfer { amount: expr, .. }
                | ir::Action::Notify { message: expr, .. } => walk(expr, &mut texts),
                ir::Action::Review { reason } => {
                    texts.insert(reason);
                }
                ir::Action::Activate { .. } | ir::Action::Deactivate { .. } => {}
            }
        }
    }
    texts
}
