//! The canonical formatter: one layout for every clause file, comments kept.
//!
//! Layout: two-space indentation; one declaration, field, clause item or action per line; a
//! blank line between top-level items and between clause items (titles and params stay
//! grouped); spaced operators; the fewest parentheses that keep the tree the parser built;
//! literals in canonical form (money keeps its written scale, timestamps in UTC as
//! `YYYY-MM-DDTHH:MM:SSZ`). A rule's condition that does not fit on one line is broken before
//! each top-level `and` / `or`.
//!
//! Comments are reattached by position: a comment before a declaration, field, clause item,
//! action or jurisdiction case is printed above it; a comment at the end of a line stays at the
//! end of that node's last line; other comments inside an expression move above the node that
//! holds it.
//!
//! `format(parse(format(x)))` equals `format(x)`, and formatting never changes the AST apart
//! from spans (so it never changes a clause's id).

use crate::ast::*;
use crate::span::{Diagnostic, Span, Spanned};
use crate::syntax::civil::format_timestamp;
use crate::syntax::parser::{binary_prec, binary_text, prec};

/// Width beyond which a rule's condition is broken over several lines.
const MAX_LINE: usize = 80;
const INDENT: &str = "  ";

/// Formats a parsed file. An AST that came with diagnostics prints `<error>` where an
/// expression could not be read; use [`format_source`] to format only valid sources.
pub fn format(file: &SourceFile) -> String {
    let mut p = Printer {
        out: String::new(),
        indent: 0,
        comments: &file.comments,
        taken: vec![false; file.comments.len()],
        first_untaken: 0,
        line_breaks: &file.line_breaks,
        measuring: false,
    };
    p.file(file);
    p.out
}

/// Parses and formats `source`, or returns the parser's diagnostics.
pub fn format_source(source: &str) -> Result<String, Vec<Diagnostic>> {
    let parsed = crate::syntax::parse(source);
    if parsed.diagnostics.is_empty() {
        Ok(format(&parsed.file))
    } else {
        Err(parsed.diagnostics)
    }
}

struct Printer<'a> {
    out: String,
    indent: usize,
    comments: &'a [Spanned<String>],
    /// Comments already printed. Jurisdiction cases take theirs while the node holding them is
    /// printed, after the node's other inner comments were hoisted, so order alone won't do.
    taken: Vec<bool>,
    first_untaken: usize,
    line_breaks: &'a [u32],
    /// Set while an expression is printed only to measure it: comments are left alone.
    measuring: bool,
}

/// Byte ranges `[start, end)` inside a node whose comments belong to a jurisdiction case.
type Regions = Vec<(u32, u32)>;

impl Printer<'_> {
    fn line(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.out.push_str(INDENT);
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn blank_line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// Prints, each on its own line, the comments before the node starting at `pos`. A blank
    /// line after a comment in the source is kept, so a file header or a section comment
    /// stays apart from what follows.
    fn leading(&mut self, pos: u32) {
        let lines = self.take_before(pos, true, &[]);
        self.emit(lines);
    }

    /// Prints the comments before `pos` (inside a node that is printed next, or before a
    /// block's `}`); no blank line separates the last of them from what follows.
    fn hoist(&mut self, pos: u32) {
        let lines = self.take_before(pos, false, &[]);
        self.emit(lines);
    }

    /// Like [`Self::hoist`] for a node whose expressions are `exprs`: comments that belong to
    /// one of their jurisdiction cases stay for the case.
    fn hoist_node(&mut self, end: u32, exprs: &[&Expr]) {
        let mut regions = Regions::new();
        for e in exprs {
            case_regions(e, &mut regions);
        }
        let lines = self.take_before(end, false, &regions);
        self.emit(lines);
    }

    fn emit(&mut self, lines: Vec<String>) {
        for text in lines {
            if text.is_empty() {
                self.out.push('\n');
            } else {
                self.line(&text);
            }
        }
    }

    /// Takes the untaken comments that start before `pos` and outside `skip`, as lines; an
    /// empty line stands for a blank line kept from the source.
    fn take_before(&mut self, pos: u32, gap_before_pos: bool, skip: &[(u32, u32)]) -> Vec<String> {
        let mut lines = Vec::new();
        let mut i = self.first_untaken;
        while let Some(c) = self.comments.get(i) {
            if c.span.start >= pos {
                break;
            }
            let skipped = skip
                .iter()
                .any(|&(a, b)| a <= c.span.start && c.span.start < b);
            if self.taken[i] || skipped {
                i += 1;
                continue;
            }
            self.taken[i] = true;
            lines.push(c.node.trim_end().to_string());
            let next = match self.comments.get(i + 1) {
                Some(n) if n.span.start < pos => Some(n.span.start),
                _ if gap_before_pos => Some(pos),
                _ => None,
            };
            if next.is_some_and(|next| self.line_breaks_between(c.span.end, next) >= 2) {
                lines.push(String::new());
            }
            i += 1;
        }
        while self.taken.get(self.first_untaken).copied().unwrap_or(false) {
            self.first_untaken += 1;
        }
        lines
    }

    fn has_untaken_before(&self, pos: u32) -> bool {
        self.comments
            .get(self.first_untaken)
            .is_some_and(|c| c.span.start < pos)
    }

    /// Takes the comment that follows `end` on the same source line, if any.
    fn take_trailing(&mut self, end: u32) -> Option<String> {
        let c = self.comments.get(self.first_untaken)?;
        if c.span.start < end || self.line_break_between(end, c.span.start) {
            return None;
        }
        self.taken[self.first_untaken] = true;
        while self.taken.get(self.first_untaken).copied().unwrap_or(false) {
            self.first_untaken += 1;
        }
        Some(c.node.trim_end().to_string())
    }

    /// Appends to the last printed line the comment that follows `end` on the same source line.
    fn trailing(&mut self, end: u32) {
        let Some(text) = self.take_trailing(end) else {
            return;
        };
        if self.out.ends_with('\n') {
            self.out.pop();
        }
        self.out.push(' ');
        self.out.push_str(&text);
        self.out.push('\n');
    }

    fn line_break_between(&self, from: u32, to: u32) -> bool {
        self.line_breaks_between(from, to) > 0
    }

    fn line_breaks_between(&self, from: u32, to: u32) -> usize {
        let first = self.line_breaks.partition_point(|&b| b < from);
        let last = self.line_breaks.partition_point(|&b| b < to);
        last.saturating_sub(first)
    }

    fn file(&mut self, file: &SourceFile) {
        let mut previous: Option<&Item> = None;
        for item in &file.items {
            // Word labels in a row stay together, as labels in a clause do.
            if !matches!((previous, item), (Some(Item::Label(_)), Item::Label(_))) {
                self.blank_line();
            }
            previous = Some(item);
            let span = item_span(item);
            self.leading(span.start);
            self.item(item);
            self.trailing(span.end);
        }
        if self.has_untaken_before(u32::MAX) && !file.items.is_empty() {
            self.blank_line();
        }
        self.hoist(u32::MAX);
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Enum(e) => {
                self.hoist(e.span.end);
                let variants: Vec<&str> = e.variants.iter().map(|v| v.node.as_str()).collect();
                if variants.is_empty() {
                    self.line(&format!("enum {} {{}}", e.name.node));
                } else {
                    self.line(&format!(
                        "enum {} {{ {} }}",
                        e.name.node,
                        variants.join(", ")
                    ));
                }
            }
            Item::Terms(t) => self.fields_block("terms", &t.fields, t.span),
            Item::Event(e) => {
                self.fields_block(&format!("event {}", e.kind.dotted()), &e.fields, e.span)
            }
            Item::Clause(c) => self.clause(c),
            Item::Label(l) => {
                self.hoist(l.span.end);
                for line in label_lines(l) {
                    self.line(&line);
                }
            }
        }
    }

    /// `HEADER {` fields `}` (or `HEADER {}` when empty); a field's record type nests.
    fn fields_block(&mut self, header: &str, fields: &[Field], span: Span) {
        if fields.is_empty() && !self.has_untaken_before(span.end) {
            self.line(&format!("{header} {{}}"));
            return;
        }
        self.line(&format!("{header} {{"));
        self.fields(fields, span.end);
        self.line("}");
    }

    fn fields(&mut self, fields: &[Field], end: u32) {
        self.indent += 1;
        for f in fields {
            self.leading(f.span.start);
            match &f.ty.kind {
                TypeExprKind::Record(inner) => {
                    self.fields_block(&format!("{}:", f.name.node), inner, f.ty.span);
                }
                _ => {
                    self.hoist(f.span.end);
                    let ty = self.type_expr(&f.ty);
                    self.line(&format!("{}: {}", f.name.node, ty));
                }
            }
            self.trailing(f.span.end);
        }
        self.hoist(end);
        self.indent -= 1;
    }

    /// A type on one line; record types nested in lists are written inline.
    fn type_expr(&self, ty: &TypeExpr) -> String {
        match &ty.kind {
            TypeExprKind::Bool => "bool".into(),
            TypeExprKind::Int => "int".into(),
            TypeExprKind::Decimal => "decimal".into(),
            TypeExprKind::Money => "money".into(),
            TypeExprKind::Duration => "duration".into(),
            TypeExprKind::Timestamp => "timestamp".into(),
            TypeExprKind::Text => "text".into(),
            TypeExprKind::Named(n) => n.node.clone(),
            TypeExprKind::Quantity(unit) => format!("quantity<{}>", unit.node),
            TypeExprKind::Rate(unit) => format!("rate<{}>", unit.node),
            TypeExprKind::List(inner) => format!("list<{}>", self.type_expr(inner)),
            TypeExprKind::Record(fields) if fields.is_empty() => "{}".into(),
            TypeExprKind::Record(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{}: {}", f.name.node, self.type_expr(&f.ty)))
                    .collect();
                format!("{{ {} }}", parts.join(", "))
            }
        }
    }

    fn clause(&mut self, c: &ClauseDecl) {
        if c.items.is_empty() && !self.has_untaken_before(c.span.end) {
            self.line(&format!("clause {} {{}}", c.name.node));
            return;
        }
        self.line(&format!("clause {} {{", c.name.node));
        self.indent += 1;
        let mut previous: Option<&ClauseItem> = None;
        for item in &c.items {
            let grouped = matches!(
                (previous, item),
                (Some(ClauseItem::Title(_)), ClauseItem::Title(_))
                    | (Some(ClauseItem::Param(_)), ClauseItem::Param(_))
                    | (Some(ClauseItem::Label(_)), ClauseItem::Label(_))
            );
            if previous.is_some() && !grouped {
                self.blank_line();
            }
            let span = clause_item_span(item);
            self.leading(span.start);
            self.clause_item(item);
            self.trailing(span.end);
            previous = Some(item);
        }
        self.hoist(c.span.end);
        self.indent -= 1;
        self.line("}");
    }

    fn clause_item(&mut self, item: &ClauseItem) {
        match item {
            ClauseItem::Title(t) => {
                self.hoist(t.span.end);
                self.line(&format!(
                    "title {} {}",
                    t.lang.node,
                    text_literal(&t.text.node)
                ));
            }
            ClauseItem::Param(p) => {
                let exprs: Vec<&Expr> = p.default.iter().collect();
                self.hoist_node(p.span.end, &exprs);
                let mut text = format!("param {}: {}", p.name.node, self.type_expr(&p.ty));
                if let Some(d) = &p.default {
                    text.push_str(" = ");
                    text.push_str(&self.expr(d, prec::IF, false));
                }
                self.line(&text);
            }
            ClauseItem::Predicate(p) => {
                self.hoist_node(p.span.end, &[&p.body]);
                let body = self.expr(&p.body, prec::IF, false);
                self.line(&format!(
                    "predicate {}({}: {}) = {}",
                    p.name.node,
                    p.param.node,
                    p.param_kind.dotted(),
                    body
                ));
            }
            ClauseItem::Rule(r) => self.rule(r),
            ClauseItem::Label(l) => {
                self.hoist(l.span.end);
                for line in label_lines(l) {
                    self.line(&line);
                }
            }
        }
    }

    fn rule(&mut self, r: &Rule) {
        // Comments inside `on … when …` move above the rule; those after `then {` stay inside.
        let head_end = r
            .option
            .as_ref()
            .map_or(r.on.span.end, |option| option.until.span.end);
        let header_end = match (&r.when, r.braced) {
            (_, false) => r.span.end,
            (Some(cond), true) => cond.span.end,
            (None, true) => head_end,
        };
        let mut exprs: Vec<&Expr> = r.option.iter().map(|option| &option.until).collect();
        exprs.extend(&r.when);
        if !r.braced {
            exprs.extend(r.actions.iter().flat_map(action_exprs));
        }
        self.hoist_node(header_end, &exprs);
        match &r.option {
            Some(option) => {
                let until = self.expr(&option.until, prec::IF, false);
                self.line(&format!(
                    "option {} by {} until {until}",
                    option.name.node, option.holder.node
                ));
            }
            None => {
                let once = if r.once { "once " } else { "" };
                self.line(&format!("{once}on {}", r.on.dotted()));
            }
        }
        if let Some(cond) = &r.when {
            self.condition(cond);
        }
        if !r.braced {
            let action = match r.actions.first() {
                Some(a) => self.action(a),
                None => "{}".into(),
            };
            self.line(&format!("then {action}"));
            return;
        }
        if r.actions.is_empty() && !self.has_untaken_before(r.span.end) {
            self.line("then {}");
            return;
        }
        self.line("then {");
        self.indent += 1;
        for a in &r.actions {
            self.leading(a.span.start);
            self.hoist_node(a.span.end, &action_exprs(a));
            let text = self.action(a);
            self.line(&text);
            self.trailing(a.span.end);
        }
        self.hoist(r.span.end);
        self.indent -= 1;
        self.line("}");
    }

    /// `when COND`, broken before each top-level `and` (or `or`) when it is too long.
    fn condition(&mut self, cond: &Expr) {
        self.measuring = true;
        let one_line = self.expr(cond, prec::IF, false);
        self.measuring = false;
        let width = self.indent * INDENT.len() + "when ".len() + one_line.len();
        let chain_op = match &cond.kind {
            ExprKind::Binary {
                op: op @ (BinaryOp::And | BinaryOp::Or),
                ..
            } => Some(*op),
            _ => None,
        };
        let (Some(op), true) = (chain_op, width > MAX_LINE && !one_line.contains('\n')) else {
            let text = self.expr(cond, prec::IF, false);
            self.line(&format!("when {text}"));
            return;
        };
        let mut operands = Vec::new();
        collect_chain(cond, op, &mut operands);
        let p = binary_prec(op);
        for (i, operand) in operands.iter().enumerate() {
            if i == 0 {
                let text = self.expr(operand, p, false);
                self.line(&format!("when {text}"));
            } else {
                let text = self.expr(operand, p, true);
                let keyword = if op == BinaryOp::And { " and" } else { "  or" };
                self.line(&format!("{keyword} {text}"));
            }
        }
    }

    fn action(&mut self, a: &Action) -> String {
        match &a.kind {
            ActionKind::Set { target, value } => {
                format!(
                    "set {} = {}",
                    target.dotted(),
                    self.expr(value, prec::IF, false)
                )
            }
            ActionKind::Transfer {
                kind,
                from,
                to,
                amount,
            } => {
                let verb = match kind {
                    TransferKind::Pay => "pay",
                    TransferKind::Refund => "refund",
                    TransferKind::Compensate => "compensate",
                };
                format!(
                    "{verb} {} -> {} {}",
                    from.node,
                    to.node,
                    self.expr(amount, prec::IF, false)
                )
            }
            ActionKind::Notify { party, message } => {
                format!(
                    "notify {} {}",
                    party.node,
                    self.expr(message, prec::IF, false)
                )
            }
            ActionKind::Activate(c) => format!("activate {}", c.node),
            ActionKind::Deactivate(c) => format!("deactivate {}", c.node),
            ActionKind::Review(reason) => format!("review {}", text_literal(&reason.node)),
        }
    }

    /// An expression as text. `context` is the precedence of the surrounding operator;
    /// `right` says the expression is that operator's right operand (or the operand of a
    /// non-associative one), which needs parentheses already at equal precedence.
    fn expr(&mut self, e: &Expr, context: u8, right: bool) -> String {
        let own = expr_prec(e);
        let text = self.expr_bare(e);
        let needs_parens = own < context || (right && own == context && own != prec::POSTFIX);
        if needs_parens {
            format!("({text})")
        } else {
            text
        }
    }

    fn expr_bare(&mut self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Literal(l) => literal(l),
            ExprKind::Name(n) => n.node.clone(),
            ExprKind::Field { base, field } => {
                format!("{}.{}", self.expr(base, prec::POSTFIX, false), field.node)
            }
            ExprKind::Call { callee, args } => {
                let args: Vec<String> =
                    args.iter().map(|a| self.expr(a, prec::IF, false)).collect();
                format!("{}({})", callee.node, args.join(", "))
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                format!("not {}", self.expr(operand, prec::NOT, false))
            }
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => {
                format!("-{}", self.expr(operand, prec::NEG, false))
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let p = binary_prec(*op);
                // Comparisons do not associate: both sides need parentheses at equal precedence.
                let lhs = self.expr(lhs, p, p == prec::CMP);
                let rhs = self.expr(rhs, p, true);
                format!("{lhs} {} {rhs}", binary_text(*op))
            }
            ExprKind::List(items) => {
                let items: Vec<String> = items
                    .iter()
                    .map(|i| self.expr(i, prec::IF, false))
                    .collect();
                format!("[{}]", items.join(", "))
            }
            ExprKind::Jurisdiction(arms) => self.jurisdiction(arms, e.span),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => format!(
                "if {} then {} else {}",
                self.expr(cond, prec::OR, false),
                self.expr(then, prec::OR, false),
                self.expr(otherwise, prec::IF, false)
            ),
            ExprKind::Error => "<error>".into(),
        }
    }

    /// `jurisdiction {` one case per line `}`, indented one level below the current line,
    /// with the comments before and after each case.
    fn jurisdiction(&mut self, arms: &[JurisdictionArm], span: Span) -> String {
        let comments = !self.measuring;
        if arms.is_empty() && !(comments && self.has_untaken_before(span.end)) {
            return "jurisdiction {}".into();
        }
        let inner = INDENT.repeat(self.indent + 1);
        let mut text = String::from("jurisdiction {\n");
        let push_comments = |text: &mut String, lines: Vec<String>| {
            for line in lines {
                if !line.is_empty() {
                    text.push_str(&inner);
                    text.push_str(&line);
                }
                text.push('\n');
            }
        };
        for arm in arms {
            if comments {
                push_comments(&mut text, self.take_before(arm.span.start, true, &[]));
            }
            let code = arm.code.as_ref().map_or("_", |c| c.node.as_str());
            // Case bodies are printed one level deeper, so nested blocks indent further.
            self.indent += 1;
            let body = self.expr(&arm.body, prec::IF, false);
            self.indent -= 1;
            text.push_str(&format!("{inner}{code} => {body}"));
            if let Some(trailing) = comments.then(|| self.take_trailing(arm.span.end)).flatten() {
                text.push(' ');
                text.push_str(&trailing);
            }
            text.push('\n');
        }
        if comments {
            push_comments(&mut text, self.take_before(span.end, false, &[]));
        }
        text.push_str(&INDENT.repeat(self.indent));
        text.push('}');
        text
    }
}

/// The comment regions of every jurisdiction in `e`: before each case (from the end of the
/// previous one) and before the closing brace.
fn case_regions(e: &Expr, out: &mut Regions) {
    match &e.kind {
        ExprKind::Jurisdiction(arms) => {
            let mut previous_end = e.span.start;
            for arm in arms {
                out.push((previous_end, arm.span.start));
                case_regions(&arm.body, out);
                previous_end = arm.span.end;
            }
            out.push((previous_end, e.span.end));
        }
        ExprKind::Field { base, .. } => case_regions(base, out),
        ExprKind::Call { args, .. } | ExprKind::List(args) => {
            args.iter().for_each(|a| case_regions(a, out))
        }
        ExprKind::Unary { operand, .. } => case_regions(operand, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            case_regions(lhs, out);
            case_regions(rhs, out);
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            case_regions(cond, out);
            case_regions(then, out);
            case_regions(otherwise, out);
        }
        ExprKind::Literal(_) | ExprKind::Name(_) | ExprKind::Error => {}
    }
}

fn action_exprs(a: &Action) -> Vec<&Expr> {
    match &a.kind {
        ActionKind::Set { value, .. } => vec![value],
        ActionKind::Transfer { amount, .. } => vec![amount],
        ActionKind::Notify { message, .. } => vec![message],
        ActionKind::Activate(_) | ActionKind::Deactivate(_) | ActionKind::Review(_) => vec![],
    }
}

fn collect_chain<'e>(e: &'e Expr, op: BinaryOp, out: &mut Vec<&'e Expr>) {
    // Iterative down the left spine: chains are as long as the depth limit allows.
    let mut spine = Vec::new();
    let mut cur = e;
    while let ExprKind::Binary { op: o, lhs, rhs } = &cur.kind {
        if *o != op {
            break;
        }
        spine.push(rhs.as_ref());
        cur = lhs;
    }
    out.push(cur);
    out.extend(spine.into_iter().rev());
}

fn expr_prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::If { .. } => prec::IF,
        ExprKind::Binary { op, .. } => binary_prec(*op),
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => prec::NOT,
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => prec::NEG,
        ExprKind::Literal(Literal::Int(v)) if *v < 0 => prec::NEG,
        ExprKind::Literal(
            Literal::Decimal { mantissa, .. }
            | Literal::Percent { mantissa, .. }
            | Literal::Money { mantissa, .. }
            | Literal::Quantity { mantissa, .. }
            | Literal::Rate { mantissa, .. },
        ) if *mantissa < 0 => prec::NEG,
        _ => prec::POSTFIX,
    }
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Enum(e) => e.span,
        Item::Terms(t) => t.span,
        Item::Event(e) => e.span,
        Item::Clause(c) => c.span,
        Item::Label(l) => l.span,
    }
}

fn clause_item_span(item: &ClauseItem) -> Span {
    match item {
        ClauseItem::Title(t) => t.span,
        ClauseItem::Param(p) => p.span,
        ClauseItem::Predicate(p) => p.span,
        ClauseItem::Rule(r) => r.span,
        ClauseItem::Label(l) => l.span,
    }
}

/// A literal in canonical form.
/// Longest line a label is kept on; a longer one puts each further language on its own line.
const LABEL_LINE: usize = 100;

/// `label NAME en "…" zh "…"`, one line when it fits, else one language per line.
fn label_lines(label: &Label) -> Vec<String> {
    let target = match &label.target {
        LabelTarget::Name(name) => name.node.clone(),
        LabelTarget::Text(text) => text_literal(&text.node),
        LabelTarget::Word { category, name } => format!("{} {}", category.node, name.dotted()),
        LabelTarget::Attester(name) => format!("attester {}", text_literal(&name.node)),
    };
    let texts: Vec<String> = label
        .texts
        .iter()
        .map(|(lang, text)| format!("{} {}", lang.node, text_literal(&text.node)))
        .collect();
    let one_line = format!("label {target} {}", texts.join(" "));
    if one_line.chars().count() <= LABEL_LINE {
        return vec![one_line];
    }
    let mut lines = vec![format!("label {target}")];
    lines.extend(texts.into_iter().map(|text| format!("  {text}")));
    lines
}

pub fn literal(l: &Literal) -> String {
    match l {
        Literal::Bool(b) => b.to_string(),
        Literal::Int(v) => v.to_string(),
        Literal::Decimal { mantissa, scale } => decimal(*mantissa, *scale),
        Literal::Percent { mantissa, scale } => format!("{}%", decimal(*mantissa, *scale)),
        Literal::Money {
            mantissa,
            scale,
            currency,
        } => format!("{} {currency}", decimal(*mantissa, *scale)),
        Literal::Quantity {
            mantissa,
            scale,
            unit,
        } => format!("{} {unit}", decimal(*mantissa, *scale)),
        Literal::Rate {
            mantissa,
            scale,
            currency,
            unit,
        } => format!("{} {currency} per {unit}", decimal(*mantissa, *scale)),
        Literal::Duration(parts) => parts
            .iter()
            .map(|(n, unit)| format!("{n}{}", unit.suffix()))
            .collect(),
        Literal::Timestamp(seconds) => format_timestamp(*seconds),
        Literal::Text(s) => text_literal(s),
    }
}

/// `mantissa × 10^-scale` with exactly `scale` digits after the point (none when 0).
pub fn decimal(mantissa: i64, scale: u8) -> String {
    let digits = mantissa.unsigned_abs().to_string();
    let sign = if mantissa < 0 { "-" } else { "" };
    let scale = usize::from(scale);
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

/// A text literal with the escapes the lexer reads.
pub fn text_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if crate::untrusted::is_unsafe(c) => {
                out.push_str(&format!("\\u{{{:x}}}", u32::from(c)))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_scale() {
        assert_eq!(decimal(15000, 2), "150.00");
        assert_eq!(decimal(5, 1), "0.5");
        assert_eq!(decimal(5, 3), "0.005");
        assert_eq!(decimal(-5, 3), "-0.005");
        assert_eq!(decimal(42, 0), "42");
        assert_eq!(decimal(i64::MIN, 2), "-92233720368547758.08");
    }

    #[test]
    fn text_escapes() {
        assert_eq!(
            text_literal("a\"b\\c\nd\te\u{1}中"),
            "\"a\\\"b\\\\c\\nd\\te\\u{1}中\""
        );
    }
}
