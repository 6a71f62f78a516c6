//! Impact analysis of a clause change (`pactum-clause diff OLD NEW`): what changed in the
//! compiled IR (titles, labels, params, predicates, rules, thresholds, actions), and which
//! scenarios come out differently when the new clauses replace the old ones.
//!
//! The comparison is of meaning, not text: both sides are compiled and compared as IR, so a
//! reformatted clause shows no change; a change is quoted from each side's source (spans).
//! Scenario outcomes are compared step by step (effects, conflicts, errors), so a change that
//! alters no outcome of any scenario says so. Pure: sources come in as text, scenario files
//! through the same loader callback as [`crate::scenario::run_file`].

use std::collections::BTreeSet;

use serde::Serialize;

use crate::compile::{compile_program, SourceInput};
use crate::ir::{Action, ClauseIr, CompiledClause, Expr, ExprKind, Program, RuleIr};
use crate::scenario::{self, FileReport, Loader, Programs, StepReport};

/// One side of a diff: the vocabulary and the clause files, compiled.
pub struct Side {
    pub sources: Vec<SourceInput>,
    pub program: Program,
}

impl Side {
    /// Compiles `vocabulary` followed by `clauses`; the rendered diagnostics if they do not
    /// compile.
    pub fn compile(vocabulary: &SourceInput, clauses: &[SourceInput]) -> Result<Side, String> {
        let mut sources = vec![vocabulary.clone()];
        sources.extend(clauses.iter().cloned());
        let program = compile_program(&sources).or_rendered(&sources)?;
        Ok(Side { sources, program })
    }

    /// The source text an IR node of `clause` was compiled from, on one line.
    fn quote(&self, clause: &CompiledClause, span: Option<crate::span::Span>) -> String {
        let text = span
            .zip(self.sources.get(clause.file))
            .and_then(|(span, source)| source.text.get(span.start as usize..span.end as usize));
        match text {
            Some(text) => {
                let words: Vec<&str> = text.split_whitespace().collect();
                format!("`{}`", crate::untrusted::escape(&words.join(" ")))
            }
            None => "(no source)".to_string(),
        }
    }
}

/// How one clause differs between the two sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClauseDiff {
    pub clause: String,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    pub old_id: Option<String>,
    pub new_id: Option<String>,
    /// What changed, one line each, quoting each side's source.
    pub changes: Vec<String>,
}

/// A scenario step whose outcome differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutcomeChange {
    pub file: String,
    pub scenario: String,
    /// 1-based event position; 0 for the scenario as a whole.
    pub event: usize,
    pub kind: String,
    pub before: Vec<String>,
    pub after: Vec<String>,
}

/// A word label (`label term price …`) given, changed or dropped in one language. Labels are
/// no part of any clause id, so a changed label changes no clause, but it changes the text
/// the parties read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LabelChange {
    /// The word, as `category:name` (`term:price`).
    pub word: String,
    pub lang: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The whole impact analysis.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub clauses: Vec<ClauseDiff>,
    /// Word labels that differ between the two sides.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<LabelChange>,
    /// Scenarios run on each side.
    pub scenarios_run: usize,
    pub outcomes: Vec<OutcomeChange>,
}

impl Report {
    /// Whether any scenario came out differently (the CLI's exit code 1).
    pub fn outcomes_differ(&self) -> bool {
        !self.outcomes.is_empty()
    }
}

/// Compares the word labels of `old` and `new`, word by word and language by language.
pub fn label_changes(old: &Side, new: &Side) -> Vec<LabelChange> {
    let (before, after) = (
        &old.program.vocabulary.labels.0,
        &new.program.vocabulary.labels.0,
    );
    let words: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut changes = Vec::new();
    for word in words {
        let (was, is) = (before.get(word), after.get(word));
        let langs: BTreeSet<&String> = was.into_iter().chain(is).flat_map(|m| m.keys()).collect();
        for lang in langs {
            let label = |by_lang: Option<&std::collections::BTreeMap<String, String>>| {
                by_lang.and_then(|by_lang| by_lang.get(lang)).cloned()
            };
            let (was, is) = (label(was), label(is));
            if was != is {
                changes.push(LabelChange {
                    word: word.clone(),
                    lang: lang.clone(),
                    before: was,
                    after: is,
                });
            }
        }
    }
    changes
}

/// Compares the clauses of `old` and `new` by name.
pub fn clause_changes(old: &Side, new: &Side) -> Vec<ClauseDiff> {
    let names: BTreeSet<&str> = old
        .program
        .clauses
        .iter()
        .chain(&new.program.clauses)
        .map(|clause| clause.name.as_str())
        .collect();
    let mut diffs = Vec::new();
    for name in names {
        let before = old.program.clause(name);
        let after = new.program.clause(name);
        let (change, changes) = match (before, after) {
            (Some(_), None) => ("removed", Vec::new()),
            (None, Some(_)) => ("added", Vec::new()),
            (Some(a), Some(b)) if a.id == b.id => continue,
            (Some(a), Some(b)) => ("changed", ClauseComparison { old, new, a, b }.changes()),
            (None, None) => continue,
        };
        diffs.push(ClauseDiff {
            clause: name.to_string(),
            change,
            old_id: before.map(|clause| clause.id.to_hex()),
            new_id: after.map(|clause| clause.id.to_hex()),
            changes,
        });
    }
    diffs
}

struct ClauseComparison<'s> {
    old: &'s Side,
    new: &'s Side,
    a: &'s CompiledClause,
    b: &'s CompiledClause,
}

impl ClauseComparison<'_> {
    fn changes(&self) -> Vec<String> {
        let (a, b) = (&self.a.ir, &self.b.ir);
        let mut out = Vec::new();
        if a.titles != b.titles {
            out.push("titles changed".to_string());
        }
        if a.labels != b.labels {
            out.push("labels (translations) changed".to_string());
        }
        self.params(a, b, &mut out);
        self.predicates(a, b, &mut out);
        let count = a.rules.len().max(b.rules.len());
        for index in 0..count {
            self.rule(index, &mut out);
        }
        if a.enums != b.enums || a.terms != b.terms || a.events != b.events {
            out.push("the vocabulary it depends on changed (enums, term or field types)".into());
        }
        if out.is_empty() {
            out.push("the IR changed (no change a reader would see)".to_string());
        }
        out
    }

    fn params(&self, a: &ClauseIr, b: &ClauseIr, out: &mut Vec<String>) {
        let names: BTreeSet<&str> = a
            .params
            .iter()
            .chain(&b.params)
            .map(|param| param.name.as_str())
            .collect();
        for name in names {
            let before = a.params.iter().find(|param| param.name == name);
            let after = b.params.iter().find(|param| param.name == name);
            let shown = |value: Option<&crate::value::Value>| {
                value.map_or_else(|| "(none)".to_string(), ToString::to_string)
            };
            match (before, after) {
                (Some(_), None) => out.push(format!("param {name} removed")),
                (None, Some(p)) => out.push(format!(
                    "param {name} added: {} = {}",
                    p.ty,
                    shown(p.default.as_ref())
                )),
                (Some(x), Some(y)) => {
                    if x.ty != y.ty {
                        out.push(format!("param {name}: type {} → {}", x.ty, y.ty));
                    }
                    if x.default != y.default || x.unit != y.unit {
                        out.push(format!(
                            "param {name}: default {} → {}",
                            shown(x.default.as_ref()),
                            shown(y.default.as_ref())
                        ));
                    }
                }
                (None, None) => {}
            }
        }
    }

    fn predicates(&self, a: &ClauseIr, b: &ClauseIr, out: &mut Vec<String>) {
        let names: BTreeSet<&str> = a
            .predicates
            .iter()
            .chain(&b.predicates)
            .map(|predicate| predicate.name.as_str())
            .collect();
        for name in names {
            let before = a.predicates.iter().find(|p| p.name == name);
            let after = b.predicates.iter().find(|p| p.name == name);
            match (before, after) {
                (Some(_), None) => out.push(format!("predicate {name} removed")),
                (None, Some(_)) => out.push(format!("predicate {name} added")),
                (Some(x), Some(y)) if x.kind != y.kind || !same(&x.body, &y.body) => {
                    out.push(format!(
                        "predicate {name}: {} → {}",
                        self.old.quote(self.a, self.a.spans.site(x.body.site)),
                        self.new.quote(self.b, self.b.spans.site(y.body.site))
                    ));
                }
                _ => {}
            }
        }
    }

    fn rule(&self, index: usize, out: &mut Vec<String>) {
        let before = self.a.ir.rules.get(index);
        let after = self.b.ir.rules.get(index);
        let number = index + 1;
        let rule_span = |clause: &CompiledClause| clause.spans.rules.get(index).copied();
        let (x, y) = match (before, after) {
            (Some(_), None) => {
                let quoted = self.old.quote(self.a, rule_span(self.a));
                out.push(format!("rule {number} removed: {quoted}"));
                return;
            }
            (None, Some(_)) => {
                let quoted = self.new.quote(self.b, rule_span(self.b));
                out.push(format!("rule {number} added: {quoted}"));
                return;
            }
            (Some(x), Some(y)) => (x, y),
            (None, None) => return,
        };
        let head = format!("rule {number} (on {})", y.on);
        if x.on != y.on {
            out.push(format!("rule {number}: listens to {} → {}", x.on, y.on));
        }
        if x.once != y.once {
            let now = if y.once {
                "now fires at most once per order"
            } else {
                "no longer limited to once per order"
            };
            out.push(format!("{head}: {now}"));
        }
        self.option(&head, x, y, out);
        self.condition(&head, x, y, out);
        self.actions(&head, index, x, y, out);
    }

    /// An option's name, holder and deadline (the deadline as a threshold when only its
    /// constants differ).
    fn option(&self, head: &str, x: &RuleIr, y: &RuleIr, out: &mut Vec<String>) {
        let (Some(p), Some(q)) = (&x.option, &y.option) else {
            return;
        };
        if p.name != q.name {
            out.push(format!("{head}: option `{}` → `{}`", p.name, q.name));
        }
        if p.holder != q.holder {
            out.push(format!("{head}: exercised by {} → {}", p.holder, q.holder));
        }
        let quote_old = |expr: &Expr| self.old.quote(self.a, self.a.spans.site(expr.site));
        let quote_new = |expr: &Expr| self.new.quote(self.b, self.b.spans.site(expr.site));
        let mut leaves = Vec::new();
        if !same_shape(&p.until, &q.until, &mut leaves) {
            out.push(format!(
                "{head}: deadline {} → {}",
                quote_old(&p.until),
                quote_new(&q.until)
            ));
            return;
        }
        for (before, after) in leaves {
            out.push(format!(
                "{head}: deadline threshold {} → {}",
                quote_old(before),
                quote_new(after)
            ));
        }
    }

    fn condition(&self, head: &str, x: &RuleIr, y: &RuleIr, out: &mut Vec<String>) {
        let quote_old = |expr: &Expr| self.old.quote(self.a, self.a.spans.site(expr.site));
        let quote_new = |expr: &Expr| self.new.quote(self.b, self.b.spans.site(expr.site));
        match (&x.when, &y.when) {
            (None, None) => {}
            (Some(c), None) => out.push(format!("{head}: condition {} removed", quote_old(c))),
            (None, Some(c)) => out.push(format!("{head}: condition {} added", quote_new(c))),
            (Some(c), Some(d)) => {
                let mut leaves = Vec::new();
                if same_shape(c, d, &mut leaves) {
                    for (before, after) in leaves {
                        out.push(format!(
                            "{head}: threshold {} → {}",
                            quote_old(before),
                            quote_new(after)
                        ));
                    }
                } else {
                    out.push(format!(
                        "{head}: condition {} → {}",
                        quote_old(c),
                        quote_new(d)
                    ));
                }
            }
        }
    }

    fn actions(&self, head: &str, index: usize, x: &RuleIr, y: &RuleIr, out: &mut Vec<String>) {
        let count = x.actions.len().max(y.actions.len());
        let action_span = |clause: &CompiledClause, action: usize| {
            clause
                .spans
                .actions
                .get(index)
                .and_then(|spans| spans.get(action))
                .copied()
        };
        for action in 0..count {
            let quote_old = || self.old.quote(self.a, action_span(self.a, action));
            let quote_new = || self.new.quote(self.b, action_span(self.b, action));
            match (x.actions.get(action), y.actions.get(action)) {
                (Some(_), None) => out.push(format!("{head}: action {} removed", quote_old())),
                (None, Some(_)) => out.push(format!("{head}: action {} added", quote_new())),
                (Some(p), Some(q)) if !same_action(p, q) => {
                    out.push(format!("{head}: action {} → {}", quote_old(), quote_new()))
                }
                _ => {}
            }
        }
    }
}

/// The expression with every site set to 0: its meaning without its position in the clause.
fn unsited(expr: &Expr) -> Expr {
    let mut copy = expr.clone();
    fn clear(expr: &mut Expr) {
        expr.site = 0;
        for child in expr.children_mut() {
            clear(child);
        }
    }
    clear(&mut copy);
    copy
}

fn same(a: &Expr, b: &Expr) -> bool {
    unsited(a) == unsited(b)
}

fn same_action(a: &Action, b: &Action) -> bool {
    let expr = |action: &Action| match action {
        Action::Set { value: expr, .. }
        | Action::Transfer { amount: expr, .. }
        | Action::Notify { message: expr, .. } => Some(unsited(expr)),
        Action::Activate { .. } | Action::Deactivate { .. } | Action::Review { .. } => None,
    };
    let shell = |action: &Action| {
        let mut shell = action.clone();
        match &mut shell {
            Action::Set { value: expr, .. }
            | Action::Transfer { amount: expr, .. }
            | Action::Notify { message: expr, .. } => {
                *expr = placeholder();
            }
            Action::Activate { .. } | Action::Deactivate { .. } | Action::Review { .. } => {}
        }
        shell
    };
    shell(a) == shell(b) && expr(a) == expr(b)
}

fn placeholder() -> Expr {
    Expr {
        site: 0,
        kind: ExprKind::Const(crate::value::Value::Bool(false)),
    }
}

fn is_constant(expr: &Expr) -> bool {
    matches!(
        expr.kind,
        ExprKind::Const(_) | ExprKind::Period { .. } | ExprKind::Variant { .. }
    )
}

/// Whether `a` and `b` are the same expression up to their constants; the pairs of constants
/// that differ (thresholds) are collected in `leaves`.
fn same_shape<'e>(a: &'e Expr, b: &'e Expr, leaves: &mut Vec<(&'e Expr, &'e Expr)>) -> bool {
    if is_constant(a) && is_constant(b) {
        if a.kind != b.kind {
            leaves.push((a, b));
        }
        return true;
    }
    let (left, right) = (a.children(), b.children());
    if left.len() != right.len() || shell(a) != shell(b) {
        return false;
    }
    left.into_iter()
        .zip(right)
        .all(|(x, y)| same_shape(x, y, leaves))
}

/// The node alone: its children replaced by a placeholder and no site.
fn shell(expr: &Expr) -> Expr {
    let mut copy = expr.clone();
    copy.site = 0;
    for child in copy.children_mut() {
        *child = placeholder();
    }
    copy
}

/// Runs every scenario file on both sides and lists the steps whose outcome differs.
/// `old_load` and `new_load` read clause files as each side has them. Both sides compile
/// through one `programs`: a set of clause files the change does not touch reads the same on
/// both sides and is compiled once for the whole analysis.
pub fn outcome_changes(
    scenarios: &[(String, String)],
    programs: &mut Programs,
    old_load: &Loader<'_>,
    new_load: &Loader<'_>,
) -> (usize, Vec<OutcomeChange>) {
    let mut run = 0;
    let mut changes = Vec::new();
    for (path, text) in scenarios {
        let before = scenario::run_file(path, text, programs, old_load, None);
        let after = scenario::run_file(path, text, programs, new_load, None);
        run += after.scenarios.len();
        compare_reports(&before, &after, &mut changes);
    }
    (run, changes)
}

fn compare_reports(before: &FileReport, after: &FileReport, out: &mut Vec<OutcomeChange>) {
    for (x, y) in before.scenarios.iter().zip(&after.scenarios) {
        if x.failures != y.failures && (x.steps.is_empty() || y.steps.is_empty()) {
            out.push(OutcomeChange {
                file: after.file.clone(),
                scenario: y.name.clone(),
                event: 0,
                kind: String::new(),
                before: x.failures.clone(),
                after: y.failures.clone(),
            });
        }
        for (p, q) in x.steps.iter().zip(&y.steps) {
            let (old, new) = (step_outcome(p), step_outcome(q));
            if old != new {
                out.push(OutcomeChange {
                    file: after.file.clone(),
                    scenario: y.name.clone(),
                    event: q.index,
                    kind: q.kind.clone(),
                    before: old,
                    after: new,
                });
            }
        }
    }
}

/// What an event did: its effects, conflicts and errors (the trace's wording is not an
/// outcome).
fn step_outcome(step: &StepReport) -> Vec<String> {
    let mut lines = step.effects.clone();
    lines.extend(step.conflicts.iter().map(|c| format!("conflict: {c}")));
    lines.extend(step.errors.iter().map(|e| format!("error: {e}")));
    lines
}

/// The names of the clauses a source text declares (parsed only, not checked).
pub fn clause_names(text: &str) -> Vec<String> {
    crate::syntax::parse(text)
        .file
        .items
        .iter()
        .filter_map(|item| match item {
            crate::ast::Item::Clause(clause) => Some(clause.name.node.clone()),
            _ => None,
        })
        .collect()
}

/// The whole analysis: `old` and `new` hold the clause files of each side; a scenario's
/// clause file that declares a clause of a side is read as that side's file instead.
/// `programs` holds the vocabulary and compiles each scenario's clause files once per side
/// (once for both where the change does not touch them).
pub fn analyse(
    programs: &mut Programs,
    old: &[SourceInput],
    new: &[SourceInput],
    scenarios: &[(String, String)],
    load: &Loader<'_>,
) -> Result<Report, String> {
    let vocabulary = programs.vocabulary();
    let old_side = Side::compile(vocabulary, old).map_err(|e| format!("OLD: {e}"))?;
    let new_side = Side::compile(vocabulary, new).map_err(|e| format!("NEW: {e}"))?;
    let clauses = clause_changes(&old_side, &new_side);
    let labels = label_changes(&old_side, &new_side);
    let substitute = |side: &[SourceInput], path: &str| -> Result<String, String> {
        let text = load(path)?;
        let names = clause_names(&text);
        let replacement = side.iter().find(|source| {
            clause_names(&source.text)
                .iter()
                .any(|name| names.contains(name))
        });
        Ok(replacement.map_or(text, |source| source.text.clone()))
    };
    let old_load = |path: &str| substitute(old, path);
    let new_load = |path: &str| substitute(new, path);
    let (scenarios_run, outcomes) = outcome_changes(scenarios, programs, &old_load, &new_load);
    Ok(Report {
        clauses,
        labels,
        scenarios_run,
        outcomes,
    })
}

/// The report for people.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    if report.clauses.is_empty() {
        out.push_str("no clause changed meaning\n");
    }
    if !report.labels.is_empty() {
        out.push_str(
            "word labels changed (no clause id changes; the text the parties read does):\n",
        );
    }
    for label in &report.labels {
        let shown = |text: &Option<String>| {
            text.as_deref().map_or_else(
                || "(none)".to_string(),
                |text| format!("\"{}\"", crate::untrusted::escape(text)),
            )
        };
        out.push_str(&format!(
            "  - {} ({}): {} → {}\n",
            label.word,
            label.lang,
            shown(&label.before),
            shown(&label.after)
        ));
    }
    for clause in &report.clauses {
        let ids = match (&clause.old_id, &clause.new_id) {
            (Some(a), Some(b)) => format!("{} → {}", short(a), short(b)),
            (Some(a), None) => short(a).to_string(),
            (None, Some(b)) => short(b).to_string(),
            (None, None) => String::new(),
        };
        out.push_str(&format!(
            "clause {} {} ({ids})\n",
            clause.clause, clause.change
        ));
        for change in &clause.changes {
            out.push_str(&format!("  - {change}\n"));
        }
    }
    let differ = match report.outcomes.len() {
        1 => "1 outcome differs".to_string(),
        count => format!("{count} outcomes differ"),
    };
    out.push_str(&format!(
        "\n{} scenarios run on both sides; {differ}\n",
        report.scenarios_run
    ));
    for change in &report.outcomes {
        let place = if change.event == 0 {
            String::new()
        } else {
            format!(" / event {} ({})", change.event, change.kind)
        };
        out.push_str(&format!("  {} / {}{place}\n", change.file, change.scenario));
        out.push_str(&format!("    before: {}\n", lines(&change.before)));
        out.push_str(&format!("    after:  {}\n", lines(&change.after)));
    }
    out
}

fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

fn lines(items: &[String]) -> String {
    if items.is_empty() {
        "(nothing)".to_string()
    } else {
        items.join("; ")
    }
}
