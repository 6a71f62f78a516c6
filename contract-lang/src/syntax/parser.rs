//! The parser: tokens to the AST, with error recovery (`E02xx`) and depth / size limits (`E03xx`).
//!
//! Recursive descent over the lexer's tokens, one function per grammar rule of
//! [`crate::ast`]. A failed rule reports one diagnostic and returns [`Failed`]; the nearest
//! recovery point (a top-level item, a clause item, an action, a field) then skips to the next
//! keyword that can start one, or to the closing brace, and carries on, so one run reports every
//! independent error. Small slips are repaired in place and parsing continues: `=` where `==`
//! was meant, a missing `then` before an action, an expression missing before `then`.
//!
//! Recursion is bounded by [`limits::MAX_NESTING_DEPTH`] (operator chains count one level per
//! operator, so the AST's height is bounded too) and node count by [`limits::MAX_EXPRESSIONS`].

use super::lexer::{Punct, Token, TokenKind};
use super::Sink;
use crate::ast::*;
use crate::limits::{self, codes};
use crate::span::{Diagnostic, Span, Spanned};

/// Words that cannot name anything (`option` starts a clause item but is no keyword, so the
/// vocabulary can name the event kind `option.exercised`). `terms` and `event` may still start an expression
/// (`terms.price`, `major_epidemic(event)`), and any word may follow a `.`.
pub const KEYWORDS: &[&str] = &[
    "enum",
    "terms",
    "event",
    "clause",
    "title",
    "label",
    "param",
    "predicate",
    "once",
    "on",
    "when",
    "then",
    "set",
    "pay",
    "refund",
    "compensate",
    "notify",
    "activate",
    "deactivate",
    "review",
    "and",
    "or",
    "not",
    "in",
    "true",
    "false",
    "jurisdiction",
    "if",
    "else",
    "list",
    "bool",
    "int",
    "decimal",
    "money",
    "duration",
    "timestamp",
    "text",
];

const WORD_LABEL_HELP: &str =
    "write `label term incoterm en \"the Incoterm\" zh \"贸易术语\" de \"die Lieferklausel\"`";

const CLAUSE_ITEM_KEYWORDS: &[&str] = &[
    "title",
    "label",
    "param",
    "predicate",
    "once",
    "option",
    "on",
];
const ACTION_KEYWORDS: &[&str] = &[
    "set",
    "pay",
    "refund",
    "compensate",
    "notify",
    "activate",
    "deactivate",
    "review",
];

pub fn is_keyword(word: &str) -> bool {
    KEYWORDS.contains(&word)
}

/// A rule failed; its diagnostic has been reported.
#[derive(Debug)]
pub struct Failed;

type PResult<T> = Result<T, Failed>;

pub(crate) fn parse_file(tokens: &[Token], line_breaks: &[u32], sink: &mut Sink) -> SourceFile {
    let mut p = Parser::new(tokens, sink);
    p.line_breaks = line_breaks;
    let items = p.items();
    SourceFile {
        items,
        ..SourceFile::default()
    }
}

pub(crate) fn parse_single_expr(tokens: &[Token], sink: &mut Sink) -> Option<Expr> {
    let mut p = Parser::new(tokens, sink);
    let expr = p.expr().ok()?;
    if !p.at_eof() && !p.fatal {
        let found = p.describe_current();
        p.error(
            Diagnostic::error(
                "E0202",
                format!("expected the end of the value, found {found}"),
                p.peek().span,
                "unexpected here",
            )
            .with_help(
                "a value is a single expression, such as `150.00 EUR`, `42d` or `[\"CN\", \"DE\"]`",
            ),
        );
        return None;
    }
    Some(expr)
}

struct Parser<'t, 'k> {
    tokens: &'t [Token],
    pos: usize,
    sink: &'k mut Sink,
    depth: usize,
    expressions: usize,
    /// A limit was exceeded or there are too many errors: stop building.
    fatal: bool,
    /// Offsets of the source's line breaks, to compare indentation (empty for a lone value).
    line_breaks: &'t [u32],
    /// The last rule's `{` and the `}` that closed it though it is indented less than the
    /// rule: if the clause then turns out unclosed, that `}` was the clause's, and the rule's
    /// `{` is the one left open.
    misindented_close: Option<(Span, Span)>,
}

/// Operator precedence levels, lowest first (shared with `fmt`).
pub mod prec {
    pub const IF: u8 = 0;
    pub const OR: u8 = 1;
    pub const AND: u8 = 2;
    pub const NOT: u8 = 3;
    pub const CMP: u8 = 4;
    pub const SUM: u8 = 5;
    pub const PRODUCT: u8 = 6;
    pub const NEG: u8 = 7;
    pub const POSTFIX: u8 = 8;
}

pub fn binary_prec(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => prec::OR,
        BinaryOp::And => prec::AND,
        BinaryOp::Eq
        | BinaryOp::Ne
        | BinaryOp::Lt
        | BinaryOp::Le
        | BinaryOp::Gt
        | BinaryOp::Ge
        | BinaryOp::In => prec::CMP,
        BinaryOp::Add | BinaryOp::Sub => prec::SUM,
        BinaryOp::Mul | BinaryOp::Div => prec::PRODUCT,
    }
}

pub fn binary_text(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Or => "or",
        BinaryOp::And => "and",
        BinaryOp::Eq => "==",
        BinaryOp::Ne => "!=",
        BinaryOp::Lt => "<",
        BinaryOp::Le => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::Ge => ">=",
        BinaryOp::In => "in",
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
    }
}

/// Three uppercase letters, or the lowercase spelling of a known currency (`eur`), which the
/// checker then refuses with the upper-case code to write instead.
fn is_currency_code(word: &str) -> bool {
    word.len() == 3
        && (word.bytes().all(|b| b.is_ascii_uppercase())
            || (word.bytes().all(|b| b.is_ascii_alphabetic())
                && crate::value::Currency::parse(&word.to_ascii_uppercase()).is_ok()))
}

impl<'t, 'k> Parser<'t, 'k> {
    fn new(tokens: &'t [Token], sink: &'k mut Sink) -> Self {
        Parser {
            tokens,
            pos: 0,
            sink,
            depth: 0,
            expressions: 0,
            fatal: false,
            line_breaks: &[],
            misindented_close: None,
        }
    }

    /// The column of the first token on the line holding byte `offset`.
    fn indent_of_line(&self, offset: u32) -> u32 {
        let line = self.line_breaks.partition_point(|&b| b < offset);
        let line_start = match line {
            0 => 0,
            n => self.line_breaks.get(n - 1).map_or(0, |b| b + 1),
        };
        let first = self.tokens.partition_point(|t| t.span.start < line_start);
        self.tokens
            .get(first)
            .map_or(0, |t| t.span.start.min(offset).saturating_sub(line_start))
    }

    // ----- token access -------------------------------------------------------------------

    fn peek(&self) -> &'t Token {
        self.peek_at(0)
    }

    fn peek_at(&self, n: usize) -> &'t Token {
        let tokens: &'t [Token] = self.tokens;
        let last = tokens.len().saturating_sub(1);
        &tokens[(self.pos + n).min(last)]
    }

    fn at_eof(&self) -> bool {
        matches!(self.peek().kind, TokenKind::Eof)
    }

    fn bump(&mut self) -> &'t Token {
        let t = self.peek();
        if !matches!(t.kind, TokenKind::Eof) {
            self.pos += 1;
        }
        t
    }

    /// End of the last consumed token.
    fn prev_end(&self) -> u32 {
        match self.pos.checked_sub(1).and_then(|i| self.tokens.get(i)) {
            Some(t) => t.span.end,
            None => 0,
        }
    }

    fn span_from(&self, start: Span) -> Span {
        Span {
            start: start.start,
            end: self.prev_end().max(start.end),
        }
    }

    fn word_at(&self, n: usize) -> Option<&'t str> {
        match &self.peek_at(n).kind {
            TokenKind::Word(w) => Some(w.as_str()),
            _ => None,
        }
    }

    fn is_word(&self, kw: &str) -> bool {
        self.word_at(0) == Some(kw)
    }

    fn eat_word(&mut self, kw: &str) -> Option<Span> {
        if self.is_word(kw) {
            Some(self.bump().span)
        } else {
            None
        }
    }

    fn is_punct(&self, p: Punct) -> bool {
        self.peek().kind == TokenKind::Punct(p)
    }

    fn eat_punct(&mut self, p: Punct) -> Option<Span> {
        if self.is_punct(p) {
            Some(self.bump().span)
        } else {
            None
        }
    }

    fn describe_current(&self) -> String {
        describe(self.peek())
    }

    fn error(&mut self, d: Diagnostic) {
        self.sink.push(d);
        if self.sink.is_full() {
            self.fatal = true;
        }
    }

    /// Reports "expected WHAT, found …" at the current token.
    fn expected(&mut self, what: &str) -> Failed {
        let found = self.describe_current();
        let span = self.missing_span();
        self.error(Diagnostic::error(
            "E0202",
            format!("expected {what}, found {found}"),
            span,
            format!("expected {what}"),
        ));
        Failed
    }

    /// Where to point when something is missing: the current token, unless it starts a new
    /// line (or is the end of the file); then the end of the previous token, where the missing
    /// piece belongs.
    fn missing_span(&self) -> Span {
        let t = self.peek();
        if (t.line_start || matches!(t.kind, TokenKind::Eof)) && self.pos > 0 {
            let end = self.prev_end();
            Span { start: end, end }
        } else {
            t.span
        }
    }

    fn expect_punct(&mut self, p: Punct, context: &str) -> PResult<Span> {
        match self.eat_punct(p) {
            Some(s) => Ok(s),
            None => Err(self.expected(&format!("`{}` {context}", p.text()))),
        }
    }

    /// A name: an identifier that is not a keyword.
    fn ident(&mut self, what: &str) -> PResult<Ident> {
        let t = self.peek();
        match &t.kind {
            TokenKind::Word(w) if !is_keyword(w) => {
                self.bump();
                Ok(Spanned::new(w.clone(), t.span))
            }
            TokenKind::Word(w) => {
                self.error(
                    Diagnostic::error(
                        "E0212",
                        format!("expected {what}, found the keyword `{w}`"),
                        t.span,
                        "a reserved word",
                    )
                    .with_help(format!(
                        "`{w}` is a keyword of the language and cannot be used as a name"
                    )),
                );
                Err(Failed)
            }
            _ => Err(self.expected(what)),
        }
    }

    /// Whether the current token starts a top-level item. `terms` and `event` also begin
    /// expressions, so they count only when followed by what an item declaration needs.
    fn at_item_start(&self) -> bool {
        match self.word_at(0) {
            Some("clause") | Some("enum") => true,
            Some("terms") => self.peek_at(1).kind == TokenKind::Punct(Punct::LBrace),
            Some("event") => matches!(self.peek_at(1).kind, TokenKind::Word(_)),
            _ => false,
        }
    }

    fn at_clause_item_start(&self) -> bool {
        self.word_at(0)
            .is_some_and(|w| CLAUSE_ITEM_KEYWORDS.contains(&w))
    }

    fn at_action_start(&self) -> bool {
        self.word_at(0)
            .is_some_and(|w| ACTION_KEYWORDS.contains(&w))
    }

    /// Skips tokens (at least one unless already past `start`) until `stop` says a recovery
    /// point is reached at bracket depth 0, or the next line starts a top-level item.
    fn skip_until(&mut self, start: usize, stop: impl Fn(&Self) -> bool) {
        if self.pos == start {
            self.bump();
        }
        let mut depth: usize = 0;
        loop {
            let t = self.peek();
            match t.kind {
                TokenKind::Eof => return,
                _ if t.line_start && self.at_item_start() => return,
                TokenKind::Punct(Punct::LBrace | Punct::LParen | Punct::LBracket) => depth += 1,
                TokenKind::Punct(Punct::RBrace | Punct::RParen | Punct::RBracket) if depth > 0 => {
                    depth -= 1
                }
                _ if depth == 0 && stop(self) => return,
                _ => {}
            }
            self.bump();
        }
    }

    /// Reports a `{` that is never closed: at the token where the block had to end, with a
    /// secondary label at the opening brace.
    fn unclosed(&mut self, open: Span, what: &str) {
        let t = self.peek();
        let (span, label) = if matches!(t.kind, TokenKind::Eof) {
            (t.span, "the file ends here".to_string())
        } else {
            (t.span, format!("expected `}}` before {}", describe(t)))
        };
        self.error(
            Diagnostic::error("E0205", format!("unclosed `{{` of {what}"), span, label)
                .with_secondary(open, "this `{` is never closed")
                .with_help("add the missing `}`"),
        );
    }

    /// The clause ended unclosed right after a rule whose `}` is indented like the clause:
    /// the brace left open is the rule's `then {`, so that is where the error points.
    fn unclosed_rule(&mut self, rule_open: Span, close: Span, clause: &Ident) {
        self.error(
            Diagnostic::error(
                "E0205",
                "unclosed `{` of the rule's actions",
                rule_open,
                "this `{` is never closed",
            )
            .with_secondary(
                close,
                format!(
                    "this `}}` is indented like clause `{}`, so it closes the clause, not the rule",
                    clause.node
                ),
            )
            .with_help("add the missing `}` after the rule's last action"),
        );
    }

    // ----- items --------------------------------------------------------------------------

    fn items(&mut self) -> Vec<Item> {
        let mut items = Vec::new();
        while !self.fatal {
            self.depth = 0;
            let start = self.pos;
            let item = match self.word_at(0) {
                _ if self.at_eof() => break,
                Some("clause") => self.clause().map(Item::Clause),
                Some("enum") => self.enum_decl().map(Item::Enum),
                Some("terms") => self.terms_decl().map(Item::Terms),
                Some("event") => self.event_decl().map(Item::Event),
                Some("label") => self.word_label().map(Item::Label),
                _ if self.is_punct(Punct::RBrace) => {
                    let span = self.bump().span;
                    self.error(
                        Diagnostic::error(
                            "E0208",
                            "this `}` closes nothing",
                            span,
                            "no open `{` to close",
                        )
                        .with_help("remove it, or check the braces above"),
                    );
                    continue;
                }
                _ => {
                    let found = self.describe_current();
                    let span = self.peek().span;
                    let mut d = Diagnostic::error(
                        "E0201",
                        format!(
                            "expected `clause`, `enum`, `terms`, `event` or `label`, found {found}"
                        ),
                        span,
                        "not the start of a declaration",
                    );
                    if self.at_clause_item_start() || self.at_action_start() {
                        d = d.with_help("this belongs inside a clause; check the braces above");
                    }
                    self.error(d);
                    Err(Failed)
                }
            };
            match item {
                Ok(item) => items.push(item),
                // A word label is an item only here, at the top level (inside a clause `label`
                // starts a clause item), so only this recovery stops at one.
                Err(Failed) => self.skip_until(start, |p| {
                    p.at_item_start() || (p.peek().line_start && p.word_at(0) == Some("label"))
                }),
            }
        }
        items
    }

    fn enum_decl(&mut self) -> PResult<EnumDecl> {
        let kw = self.bump().span;
        let name = self.ident("the enum's name")?;
        let open = self.expect_punct(Punct::LBrace, "to list the enum's values")?;
        let mut variants = Vec::new();
        loop {
            if self.eat_punct(Punct::RBrace).is_some() {
                break;
            }
            if self.at_eof() || (self.peek().line_start && self.at_item_start()) {
                self.unclosed(open, &format!("enum `{}`", name.node));
                return Err(Failed);
            }
            variants.push(self.ident("a value of the enum")?);
            if self.eat_punct(Punct::Comma).is_none() && !self.is_punct(Punct::RBrace) {
                return Err(self.expected("`,` or `}` after an enum value"));
            }
        }
        if variants.is_empty() {
            self.error(
                Diagnostic::error(
                    "E0213",
                    format!("enum `{}` has no values", name.node),
                    name.span,
                    "empty enum",
                )
                .with_help(
                    "list its values in order, lowest first: `enum level { green, yellow, red }`",
                ),
            );
        }
        Ok(EnumDecl {
            name,
            variants,
            span: self.span_from(kw),
        })
    }

    fn terms_decl(&mut self) -> PResult<TermsDecl> {
        let kw = self.bump().span;
        let open = self.expect_punct(Punct::LBrace, "after `terms`")?;
        let fields = self.fields(open, "terms")?;
        Ok(TermsDecl {
            fields,
            span: self.span_from(kw),
        })
    }

    fn event_decl(&mut self) -> PResult<EventDecl> {
        let kw = self.bump().span;
        let kind = self.path("the event kind, such as `shipment.delivered`")?;
        let open = self.expect_punct(Punct::LBrace, "after the event kind")?;
        let fields = self.fields(open, &format!("event `{}`", kind.dotted()))?;
        Ok(EventDecl {
            kind,
            fields,
            span: self.span_from(kw),
        })
    }

    /// `field*` up to and including the closing brace. A bad field is skipped, not fatal.
    fn fields(&mut self, open: Span, what: &str) -> PResult<Vec<Field>> {
        let mut fields = Vec::new();
        loop {
            if self.fatal {
                return Err(Failed);
            }
            if self.eat_punct(Punct::RBrace).is_some() {
                return Ok(fields);
            }
            if self.at_eof()
                || (self.peek().line_start && (self.at_item_start() || self.at_clause_item_start()))
            {
                self.unclosed(open, what);
                return Err(Failed);
            }
            let start = self.pos;
            match self.field() {
                Ok(f) => fields.push(f),
                Err(Failed) => self.skip_until(start, |p| {
                    p.is_punct(Punct::RBrace)
                        || (p.peek().line_start
                            && p.peek_at(1).kind == TokenKind::Punct(Punct::Colon))
                }),
            }
        }
    }

    fn field(&mut self) -> PResult<Field> {
        let name = self.ident("a field name")?;
        self.expect_punct(Punct::Colon, "between the field name and its type")?;
        let ty = self.type_expr()?;
        let span = name.span.to(ty.span);
        self.eat_punct(Punct::Comma);
        Ok(Field { name, ty, span })
    }

    fn type_expr(&mut self) -> PResult<TypeExpr> {
        self.nested(|p| p.type_inner())
    }

    fn type_inner(&mut self) -> PResult<TypeExpr> {
        let t = self.peek();
        let simple = match self.word_at(0) {
            Some("bool") => Some(TypeExprKind::Bool),
            Some("int") => Some(TypeExprKind::Int),
            Some("decimal") => Some(TypeExprKind::Decimal),
            Some("money") => Some(TypeExprKind::Money),
            Some("duration") => Some(TypeExprKind::Duration),
            Some("timestamp") => Some(TypeExprKind::Timestamp),
            Some("text") => Some(TypeExprKind::Text),
            _ => None,
        };
        if let Some(kind) = simple {
            self.bump();
            return Ok(TypeExpr { kind, span: t.span });
        }
        for (word, dimensioned) in [
            (
                "quantity",
                TypeExprKind::Quantity as fn(Ident) -> TypeExprKind,
            ),
            ("rate", TypeExprKind::Rate),
        ] {
            if self.word_at(0) == Some(word) && self.peek_at(1).kind == TokenKind::Punct(Punct::Lt)
            {
                self.bump();
                self.bump();
                let unit = self.ident(&format!(
                    "a dimension or a unit (as in `{word}<mass>` or `{word}<kg>`)"
                ))?;
                self.expect_punct(Punct::Gt, &format!("to close `{word}<…>`"))?;
                return Ok(TypeExpr {
                    kind: dimensioned(unit),
                    span: self.span_from(t.span),
                });
            }
        }
        if self.eat_word("list").is_some() {
            self.expect_punct(Punct::Lt, "after `list` (as in `list<text>`)")?;
            let inner = self.type_expr()?;
            self.expect_punct(Punct::Gt, "to close `list<…>`")?;
            return Ok(TypeExpr {
                kind: TypeExprKind::List(Box::new(inner)),
                span: self.span_from(t.span),
            });
        }
        if let Some(open) = self.eat_punct(Punct::LBrace) {
            let fields = self.fields(open, "a record type")?;
            return Ok(TypeExpr {
                kind: TypeExprKind::Record(fields),
                span: self.span_from(t.span),
            });
        }
        match &t.kind {
            TokenKind::Word(w) if !is_keyword(w) => {
                self.bump();
                Ok(TypeExpr {
                    kind: TypeExprKind::Named(Spanned::new(w.clone(), t.span)),
                    span: t.span,
                })
            }
            _ => {
                let found = self.describe_current();
                self.error(
                    Diagnostic::error("E0209", format!("expected a type, found {found}"), t.span, "expected a type")
                        .with_help("the types are bool, int, decimal, money, duration, timestamp, text, `quantity<DIMENSION>`, `rate<DIMENSION>`, an enum's name, `list<T>` and records `{ name: T }`"),
                );
                Err(Failed)
            }
        }
    }

    /// `a.b.c`: the first segment is a name (or `terms` / `event`), later ones any word.
    fn path(&mut self, what: &str) -> PResult<Path> {
        let t = self.peek();
        let first = match &t.kind {
            TokenKind::Word(w) if !is_keyword(w) || w == "terms" || w == "event" => {
                self.bump();
                Spanned::new(w.clone(), t.span)
            }
            _ => return Err(self.expected(what)),
        };
        let mut segments = vec![first];
        while self.is_punct(Punct::Dot) {
            self.bump();
            let t = self.peek();
            match &t.kind {
                TokenKind::Word(w) => {
                    self.bump();
                    segments.push(Spanned::new(w.clone(), t.span));
                }
                _ => return Err(self.expected("a name after `.`")),
            }
        }
        Ok(Path {
            span: self.span_from(t.span),
            segments,
        })
    }

    // ----- clauses ------------------------------------------------------------------------

    fn clause(&mut self) -> PResult<ClauseDecl> {
        let kw = self.bump().span;
        let name = self.ident("the clause's name")?;
        let open = self.expect_punct(Punct::LBrace, "to open the clause")?;
        let mut items = Vec::new();
        loop {
            if self.fatal {
                break;
            }
            self.depth = 0;
            if self.eat_punct(Punct::RBrace).is_some() {
                break;
            }
            if self.at_eof() || (self.at_item_start() && self.peek().line_start) {
                match self.misindented_close.take() {
                    Some((rule_open, close)) => self.unclosed_rule(rule_open, close, &name),
                    None => self.unclosed(open, &format!("clause `{}`", name.node)),
                }
                break;
            }
            self.misindented_close = None;
            let start = self.pos;
            let item = match self.word_at(0) {
                Some("title") => self.title().map(ClauseItem::Title),
                Some("label") => self.label().map(ClauseItem::Label),
                Some("param") => self.param().map(ClauseItem::Param),
                Some("predicate") => self.predicate().map(ClauseItem::Predicate),
                Some("on") => self.rule(None).map(ClauseItem::Rule),
                Some("once") => self.once_rule().map(ClauseItem::Rule),
                Some("option") => self.option_rule().map(ClauseItem::Rule),
                _ => {
                    let found = self.describe_current();
                    let span = self.peek().span;
                    let mut d = Diagnostic::error(
                        "E0210",
                        format!("expected `title`, `label`, `param`, `predicate`, `on` or `}}` in clause `{}`, found {found}", name.node),
                        span,
                        "not a clause item",
                    );
                    if self.at_action_start() {
                        d = d.with_help(
                            "actions belong to a rule: `on EVENT when CONDITION then ACTION`",
                        );
                    }
                    self.error(d);
                    Err(Failed)
                }
            };
            match item {
                Ok(item) => items.push(item),
                Err(Failed) => self.skip_until(start, |p| {
                    p.at_clause_item_start()
                        || p.is_punct(Punct::RBrace)
                        || (p.peek().line_start && p.at_action_start())
                }),
            }
        }
        Ok(ClauseDecl {
            name,
            items,
            span: self.span_from(kw),
        })
    }

    fn title(&mut self) -> PResult<Title> {
        let kw = self.bump().span;
        let lang = self.ident("a language code such as `en`, `zh` or `de`")?;
        let t = self.peek();
        let text = match &t.kind {
            TokenKind::Str(s) => Spanned::new(s.clone(), t.span),
            TokenKind::BadLiteral => Spanned::new(String::new(), t.span),
            _ => {
                let found = self.describe_current();
                self.error(
                    Diagnostic::error(
                        "E0202",
                        format!("expected the title in double quotes, found {found}"),
                        t.span,
                        "expected a string",
                    )
                    .with_help("write `title en \"Air freight when sea freight runs late\"`"),
                );
                return Err(Failed);
            }
        };
        self.bump();
        Ok(Title {
            lang,
            text,
            span: self.span_from(kw),
        })
    }

    fn label(&mut self) -> PResult<Label> {
        let kw = self.bump().span;
        let t = self.peek();
        let target = match &t.kind {
            TokenKind::Str(text) => {
                let target = LabelTarget::Text(Spanned::new(text.clone(), t.span));
                self.bump();
                target
            }
            _ => LabelTarget::Name(self.ident("the param or predicate to label, or a text")?),
        };
        let texts =
            self.label_texts("write `label window zh \"退货期限\" de \"Rückgabefrist\"`")?;
        Ok(Label {
            target,
            texts,
            span: self.span_from(kw),
        })
    }

    /// `label term incoterm en "the Incoterm" zh "贸易术语"` at the top level: a vocabulary
    /// word's translations. The category is any word here (`event` is a keyword elsewhere);
    /// the checker says which categories exist.
    fn word_label(&mut self) -> PResult<Label> {
        let kw = self.bump().span;
        let t = self.peek();
        let category = match &t.kind {
            // `event` is a category; `terms` is not, but the checker suggests `term` for it.
            TokenKind::Word(word) if !is_keyword(word) || word == "event" || word == "terms" => {
                Spanned::new(word.clone(), t.span)
            }
            _ => {
                let found = self.describe_current();
                self.error(
                    Diagnostic::error(
                        "E0202",
                        format!("expected what the label names (`term`, `event`, `field`, `party` or `variant`), found {found}"),
                        t.span,
                        "expected a word",
                    )
                    .with_help(WORD_LABEL_HELP),
                );
                return Err(Failed);
            }
        };
        self.bump();
        let target = if category.node == "attester" {
            LabelTarget::Attester(self.attester_name()?)
        } else {
            let name = self.path("the name of the word to label")?;
            LabelTarget::Word { category, name }
        };
        let texts = self.label_texts(WORD_LABEL_HELP)?;
        Ok(Label {
            target,
            texts,
            span: self.span_from(kw),
        })
    }

    /// `"weather-service"` after `label attester`: the name as contracts write it, which need
    /// not be an identifier.
    fn attester_name(&mut self) -> PResult<Spanned<String>> {
        let t = self.peek();
        if let TokenKind::Str(name) = &t.kind {
            let name = Spanned::new(name.clone(), t.span);
            self.bump();
            return Ok(name);
        }
        let found = self.describe_current();
        self.error(
            Diagnostic::error(
                "E0202",
                format!("expected the attester's name in double quotes, found {found}"),
                t.span,
                "expected a string",
            )
            .with_help("write `label attester \"weather-service\" en \"the weather service\" zh \"气象服务机构\"`: the name as the contract grants it"),
        );
        Err(Failed)
    }

    /// A label's `(language code, text)` pairs, at least one.
    fn label_texts(&mut self, help: &str) -> PResult<Vec<(Ident, Spanned<String>)>> {
        let mut texts = Vec::new();
        // A language code is a word followed by a string; that pair never starts a clause item,
        // so a long label may continue on the next lines.
        while self.word_at(0).is_some_and(|word| !is_keyword(word))
            && matches!(self.peek_at(1).kind, TokenKind::Str(_))
        {
            let lang = self.ident("a language code such as `en`, `zh` or `de`")?;
            let t = self.peek();
            let TokenKind::Str(text) = &t.kind else {
                let found = self.describe_current();
                self.error(
                    Diagnostic::error(
                        "E0202",
                        format!("expected the label in double quotes, found {found}"),
                        t.span,
                        "expected a string",
                    )
                    .with_help(help),
                );
                return Err(Failed);
            };
            texts.push((lang, Spanned::new(text.clone(), t.span)));
            self.bump();
        }
        if texts.is_empty() {
            let found = self.describe_current();
            let span = self.missing_span();
            self.error(
                Diagnostic::error(
                    "E0202",
                    format!("expected a language code and a text after the label's target, found {found}"),
                    span,
                    "expected a language and a text",
                )
                .with_help(help),
            );
            return Err(Failed);
        }
        Ok(texts)
    }

    fn param(&mut self) -> PResult<Param> {
        let kw = self.bump().span;
        let name = self.ident("the parameter's name")?;
        if !self.is_punct(Punct::Colon) {
            let found = self.describe_current();
            let span = self.missing_span();
            self.error(
                Diagnostic::error(
                    "E0202",
                    format!("expected `:` and the parameter's type, found {found}"),
                    span,
                    "expected `:`",
                )
                .with_help(format!(
                    "every parameter has a type: `param {}: money = 150.00 EUR`",
                    name.node
                )),
            );
            return Err(Failed);
        }
        self.bump();
        let ty = self.type_expr()?;
        let default = if self.eat_punct(Punct::Assign).is_some() {
            Some(self.expr_or_missing("the parameter's default value")?)
        } else {
            None
        };
        Ok(Param {
            name,
            ty,
            default,
            span: self.span_from(kw),
        })
    }

    fn predicate(&mut self) -> PResult<Predicate> {
        let kw = self.bump().span;
        let name = self.ident("the predicate's name")?;
        self.expect_punct(
            Punct::LParen,
            "and the predicate's parameter, as in `(e: health.emergency)`",
        )?;
        let param = self.ident("the predicate's parameter name")?;
        self.expect_punct(Punct::Colon, "between the parameter and its event kind")?;
        let param_kind = self.path("the event kind of the parameter")?;
        self.expect_punct(Punct::RParen, "after the predicate's parameter")?;
        self.expect_punct(Punct::Assign, "before the predicate's body")?;
        let body = self.expr_or_missing("the predicate's body")?;
        Ok(Predicate {
            name,
            param,
            param_kind,
            body,
            span: self.span_from(kw),
        })
    }

    fn once_rule(&mut self) -> PResult<Rule> {
        let once = self.bump().span;
        if !self.is_word("on") {
            let found = self.describe_current();
            let span = self.missing_span();
            self.error(
                Diagnostic::error(
                    "E0204",
                    format!("expected `on` after `once`, found {found}"),
                    span,
                    "expected `on` here",
                )
                .with_help("a rule that fires at most once reads `once on EVENT when CONDITION then ACTION`"),
            );
            return Err(Failed);
        }
        self.rule(Some(once))
    }

    /// `option NAME by PARTY until DEADLINE (when COND)? then ACTIONS`: a rule listening to
    /// the exercise of the option (`option.exercised`), which fires at most once.
    fn option_rule(&mut self) -> PResult<Rule> {
        const SHAPE: &str = "an option reads `option NAME by PARTY until DEADLINE then ACTION`";
        let kw = self.bump().span;
        if self.is_word("by") {
            return Err(self.expected("the option's name, such as `reduce_price`, before `by`"));
        }
        let name = self.ident("the option's name, such as `reduce_price`")?;
        let expect_word = |parser: &mut Self, word: &str, after: &str| {
            if parser.eat_word(word).is_some() {
                return Ok(());
            }
            let found = parser.describe_current();
            let span = parser.missing_span();
            parser.error(
                Diagnostic::error(
                    "E0204",
                    format!("expected `{word}` after {after}, found {found}"),
                    span,
                    format!("expected `{word}` here"),
                )
                .with_help(SHAPE),
            );
            Err(Failed)
        };
        expect_word(self, "by", "the option's name")?;
        let holder = self.ident("the party who may exercise the option, such as `buyer`")?;
        expect_word(self, "until", "the party")?;
        let until = self.expr_or_missing("the deadline after `until`")?;
        let on = Path {
            segments: ["option", "exercised"]
                .iter()
                .map(|segment| Spanned::new(segment.to_string(), kw))
                .collect(),
            span: kw,
        };
        let option = OptionDecl {
            name,
            holder,
            until,
        };
        self.rule_after_kind(kw, true, Some(option), on)
    }

    /// A rule; `once` is the span of a `once` keyword before `on`.
    fn rule(&mut self, once: Option<Span>) -> PResult<Rule> {
        let on_kw = self.bump().span;
        let kw = once.unwrap_or(on_kw);
        let on = self.path("the event kind after `on`, such as `shipment.delivered`")?;
        self.rule_after_kind(kw, once.is_some(), None, on)
    }

    /// The rest of a rule once its event kind (or option head) is read: `when`, `then` and
    /// the actions.
    fn rule_after_kind(
        &mut self,
        kw: Span,
        once: bool,
        option: Option<OptionDecl>,
        on: Path,
    ) -> PResult<Rule> {
        let when = if self.eat_word("when").is_some() {
            Some(self.expr_or_missing("a condition after `when`")?)
        } else {
            None
        };
        if self.eat_word("then").is_none() {
            let found = self.describe_current();
            let span = self.missing_span();
            let (message, label) = match when {
                Some(_) => (
                    "expected `then` after the rule's condition",
                    "expected `then` here",
                ),
                None => (
                    "expected `when` or `then` after the event kind",
                    "expected `when` or `then` here",
                ),
            };
            self.error(
                Diagnostic::error("E0204", format!("{message}, found {found}"), span, label)
                    .with_help("a rule reads `on EVENT when CONDITION then ACTION`"),
            );
            // Keep going when the actions are there, so errors in them are reported too.
            if !(self.at_action_start() || self.is_punct(Punct::LBrace)) {
                return Err(Failed);
            }
        }
        let mut actions = Vec::new();
        let braced = if let Some(open) = self.eat_punct(Punct::LBrace) {
            self.braced_actions(open, &mut actions);
            true
        } else {
            actions.push(self.action()?);
            false
        };
        Ok(Rule {
            once,
            option,
            on,
            when,
            actions,
            braced,
            span: self.span_from(kw),
        })
    }

    fn braced_actions(&mut self, open: Span, actions: &mut Vec<Action>) {
        loop {
            if self.fatal {
                return;
            }
            self.depth = 0;
            let close = self.peek();
            if self.eat_punct(Punct::RBrace).is_some() {
                if close.line_start
                    && self.indent_of_line(close.span.start) < self.indent_of_line(open.start)
                {
                    self.misindented_close = Some((open, close.span));
                }
                return;
            }
            let line_start = self.peek().line_start;
            if self.at_eof()
                || (line_start && (self.at_item_start() || self.at_clause_item_start()))
            {
                self.unclosed(open, "the rule's actions");
                return;
            }
            let start = self.pos;
            let action = if self.at_action_start() {
                self.action()
            } else {
                let found = self.describe_current();
                let span = self.peek().span;
                self.error(
                    Diagnostic::error("E0211", format!("expected an action or `}}`, found {found}"), span, "not an action")
                        .with_help("the actions are set, pay, refund, compensate, notify, activate, deactivate and review"),
                );
                Err(Failed)
            };
            match action {
                Ok(a) => actions.push(a),
                Err(Failed) => self.skip_until(start, |p| {
                    p.at_action_start()
                        || p.is_punct(Punct::RBrace)
                        || (p.peek().line_start
                            && (p.at_clause_item_start()
                                || p.word_at(0).is_some_and(|w| !is_keyword(w))))
                }),
            }
        }
    }

    fn action(&mut self) -> PResult<Action> {
        let t = self.peek();
        let kw = t.span;
        let word = self.word_at(0).unwrap_or_default();
        let kind = match word {
            "set" => {
                self.bump();
                let target = self.path("the term to set, such as `terms.delivery_due`")?;
                if !self.is_punct(Punct::Assign) {
                    let found = self.describe_current();
                    let span = self.missing_span();
                    let mut d = Diagnostic::error(
                        "E0202",
                        format!("expected `=` after the term to set, found {found}"),
                        span,
                        "expected `=`",
                    );
                    if self.is_punct(Punct::EqEq) {
                        d = d.with_help("`set` assigns with a single `=`");
                    }
                    self.error(d);
                    return Err(Failed);
                }
                self.bump();
                let value = self.expr_or_missing("the new value")?;
                ActionKind::Set { target, value }
            }
            "pay" | "refund" | "compensate" => {
                self.bump();
                let kind = match word {
                    "pay" => TransferKind::Pay,
                    "refund" => TransferKind::Refund,
                    _ => TransferKind::Compensate,
                };
                let from = self.ident("the paying party")?;
                if self.eat_punct(Punct::Arrow).is_none() {
                    let found = self.describe_current();
                    let span = self.missing_span();
                    self.error(
                        Diagnostic::error(
                            "E0202",
                            format!("expected `->` between the two parties, found {found}"),
                            span,
                            "expected `->`",
                        )
                        .with_help(format!("write `{word} seller -> buyer AMOUNT`")),
                    );
                    return Err(Failed);
                }
                let to = self.ident("the receiving party")?;
                let amount = self.expr_or_missing("the amount")?;
                ActionKind::Transfer {
                    kind,
                    from,
                    to,
                    amount,
                }
            }
            "notify" => {
                self.bump();
                let party = self.ident("the party to notify")?;
                let message = self.expr_or_missing("the message")?;
                ActionKind::Notify { party, message }
            }
            "activate" => {
                self.bump();
                ActionKind::Activate(self.ident("the clause to activate")?)
            }
            "deactivate" => {
                self.bump();
                ActionKind::Deactivate(self.ident("the clause to deactivate")?)
            }
            "review" => {
                self.bump();
                let t = self.peek();
                match &t.kind {
                    TokenKind::Str(s) => {
                        self.bump();
                        ActionKind::Review(Spanned::new(s.clone(), t.span))
                    }
                    TokenKind::BadLiteral => {
                        self.bump();
                        ActionKind::Review(Spanned::new(String::new(), t.span))
                    }
                    _ => {
                        let found = self.describe_current();
                        self.error(
                            Diagnostic::error("E0202", format!("expected the reason for review in double quotes, found {found}"), t.span, "expected a string")
                                .with_help("write `review \"why humans must decide\"`"),
                        );
                        return Err(Failed);
                    }
                }
            }
            _ => return Err(self.expected("an action")),
        };
        Ok(Action {
            kind,
            span: self.span_from(kw),
        })
    }

    // ----- expressions --------------------------------------------------------------------

    /// Runs `f` one nesting level deeper, reporting the depth limit once.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        self.enter()?;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn enter(&mut self) -> PResult<()> {
        if self.fatal {
            return Err(Failed);
        }
        if self.depth >= limits::MAX_NESTING_DEPTH {
            let span = self.peek().span;
            self.error(
                Diagnostic::error(
                    codes::TOO_DEEP,
                    format!(
                        "this nests more than {} levels deep",
                        limits::MAX_NESTING_DEPTH
                    ),
                    span,
                    "too deep",
                )
                .with_help("split the expression with a param or a predicate"),
            );
            // Nothing after this point could be trusted to be inside the limit.
            self.fatal = true;
            return Err(Failed);
        }
        self.depth += 1;
        Ok(())
    }

    fn node(&mut self, kind: ExprKind, span: Span) -> PResult<Expr> {
        self.expressions += 1;
        if self.expressions > limits::MAX_EXPRESSIONS {
            self.error(Diagnostic::error(
                codes::TOO_MANY_EXPRESSIONS,
                format!(
                    "this file has more than {} expressions",
                    limits::MAX_EXPRESSIONS
                ),
                span,
                "limit reached here",
            ));
            self.fatal = true;
            return Err(Failed);
        }
        Ok(Expr { kind, span })
    }

    /// An expression, or — when the next token plainly ends one (`then`, `}`, the end of the
    /// file…) — a reported [`ExprKind::Error`] so the enclosing item can still be read.
    fn expr_or_missing(&mut self, what: &str) -> PResult<Expr> {
        if self.ends_expression() {
            let found = self.describe_current();
            let at = self.missing_span();
            self.error(Diagnostic::error(
                "E0207",
                format!("expected {what}, found {found}"),
                at,
                format!("expected {what} here"),
            ));
            return self.node(ExprKind::Error, at);
        }
        self.expr()
    }

    fn ends_expression(&self) -> bool {
        match &self.peek().kind {
            TokenKind::Eof => true,
            TokenKind::Punct(p) => *p == Punct::RBrace,
            TokenKind::Word(w) => {
                is_keyword(w)
                    && !matches!(
                        w.as_str(),
                        "terms" | "event" | "not" | "true" | "false" | "if" | "jurisdiction"
                    )
            }
            _ => false,
        }
    }

    pub(crate) fn expr(&mut self) -> PResult<Expr> {
        self.nested(|p| p.or_expr())
    }

    /// Folds `operand (op operand)*` to the left; each operator adds one nesting level, which
    /// bounds the height of the tree (and so every later recursive pass) by the depth limit.
    fn left_chain(
        &mut self,
        operand: fn(&mut Self) -> PResult<Expr>,
        op: fn(&Self) -> Option<BinaryOp>,
    ) -> PResult<Expr> {
        let mut lhs = operand(self)?;
        let mut levels = 0;
        let result = loop {
            let Some(bop) = op(self) else { break Ok(lhs) };
            if let Err(f) = self.enter() {
                break Err(f);
            }
            levels += 1;
            self.bump();
            let rhs = match operand(self) {
                Ok(rhs) => rhs,
                Err(f) => break Err(f),
            };
            let span = lhs.span.to(rhs.span);
            lhs = match self.node(
                ExprKind::Binary {
                    op: bop,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            ) {
                Ok(e) => e,
                Err(f) => break Err(f),
            };
        };
        self.depth -= levels;
        result
    }

    fn or_expr(&mut self) -> PResult<Expr> {
        self.left_chain(Self::and_expr, |p| p.is_word("or").then_some(BinaryOp::Or))
    }

    fn and_expr(&mut self) -> PResult<Expr> {
        self.left_chain(Self::not_expr, |p| {
            p.is_word("and").then_some(BinaryOp::And)
        })
    }

    fn not_expr(&mut self) -> PResult<Expr> {
        if let Some(kw) = self.eat_word("not") {
            let operand = self.nested(|p| p.not_expr())?;
            let span = kw.to(operand.span);
            return self.node(
                ExprKind::Unary {
                    op: UnaryOp::Not,
                    operand: Box::new(operand),
                },
                span,
            );
        }
        self.cmp_expr()
    }

    fn cmp_op(&self) -> Option<BinaryOp> {
        match &self.peek().kind {
            TokenKind::Punct(Punct::EqEq) => Some(BinaryOp::Eq),
            TokenKind::Punct(Punct::NotEq) => Some(BinaryOp::Ne),
            TokenKind::Punct(Punct::Lt) => Some(BinaryOp::Lt),
            TokenKind::Punct(Punct::Le) => Some(BinaryOp::Le),
            TokenKind::Punct(Punct::Gt) => Some(BinaryOp::Gt),
            TokenKind::Punct(Punct::Ge) => Some(BinaryOp::Ge),
            TokenKind::Word(w) if w == "in" => Some(BinaryOp::In),
            _ => None,
        }
    }

    fn cmp_expr(&mut self) -> PResult<Expr> {
        let lhs = self.sum_expr()?;
        let op = match self.cmp_op() {
            Some(op) => op,
            None if self.is_punct(Punct::Assign) => {
                // `=` after an expression is always a slip for `==`: report it, read it as `==`.
                let span = self.peek().span;
                self.error(
                    Diagnostic::error(
                        "E0203",
                        "`=` sets a value; to compare, write `==`",
                        span,
                        "write `==` here",
                    )
                    .with_help(
                        "a condition compares with `==`; only `set terms.NAME = VALUE` uses `=`",
                    ),
                );
                BinaryOp::Eq
            }
            None if self.is_word("not") && self.word_at(1) == Some("in") => {
                // `x not in list`: report it and read it as `not (x in list)`.
                let not = self.bump().span;
                let in_span = self.bump().span;
                let rhs = self.nested(|p| p.sum_expr())?;
                self.error(
                    Diagnostic::error(
                        "E0214",
                        "`not in` is written `not (… in …)`",
                        not.to(in_span),
                        "write `not (x in list)`",
                    )
                    .with_help("`not` goes before the whole membership test"),
                );
                let span = lhs.span.to(rhs.span);
                let test = self.node(
                    ExprKind::Binary {
                        op: BinaryOp::In,
                        lhs: Box::new(lhs),
                        rhs: Box::new(rhs),
                    },
                    span,
                )?;
                return self.node(
                    ExprKind::Unary {
                        op: UnaryOp::Not,
                        operand: Box::new(test),
                    },
                    span,
                );
            }
            None => return Ok(lhs),
        };
        let op_span = self.bump().span;
        let rhs = self.nested(|p| p.sum_expr())?;
        if self.cmp_op().is_some() {
            let span = self.peek().span;
            self.error(
                Diagnostic::error(
                    "E0206",
                    "comparisons cannot be chained",
                    span,
                    "a second comparison",
                )
                .with_secondary(op_span, "first comparison")
                .with_help("combine two comparisons with `and`, as in `a < b and b < c`"),
            );
            return Err(Failed);
        }
        let span = lhs.span.to(rhs.span);
        self.node(
            ExprKind::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            span,
        )
    }

    fn sum_expr(&mut self) -> PResult<Expr> {
        self.left_chain(Self::product_expr, |p| match p.peek().kind {
            TokenKind::Punct(Punct::Plus) => Some(BinaryOp::Add),
            TokenKind::Punct(Punct::Minus) => Some(BinaryOp::Sub),
            _ => None,
        })
    }

    fn product_expr(&mut self) -> PResult<Expr> {
        self.left_chain(Self::unary_expr, |p| match p.peek().kind {
            TokenKind::Punct(Punct::Star) => Some(BinaryOp::Mul),
            TokenKind::Punct(Punct::Slash) => Some(BinaryOp::Div),
            _ => None,
        })
    }

    fn unary_expr(&mut self) -> PResult<Expr> {
        if let Some(minus) = self.eat_punct(Punct::Minus) {
            let operand = self.nested(|p| p.unary_expr())?;
            let span = minus.to(operand.span);
            return self.node(
                ExprKind::Unary {
                    op: UnaryOp::Neg,
                    operand: Box::new(operand),
                },
                span,
            );
        }
        if self.is_word("not") {
            // `a == not b`: `not` binds looser than comparisons.
            let span = self.peek().span;
            self.error(
                Diagnostic::error(
                    "E0202",
                    "`not` cannot stand here without parentheses",
                    span,
                    "`not` needs parentheses here",
                )
                .with_help("write `(not …)`; `not` applies to a whole comparison"),
            );
            return Err(Failed);
        }
        self.postfix_expr()
    }

    fn postfix_expr(&mut self) -> PResult<Expr> {
        let mut expr = self.primary()?;
        let mut levels = 0;
        let result = loop {
            if !self.is_punct(Punct::Dot) {
                break Ok(expr);
            }
            if let Err(f) = self.enter() {
                break Err(f);
            }
            levels += 1;
            self.bump();
            let t = self.peek();
            let field = match &t.kind {
                TokenKind::Word(w) => {
                    self.bump();
                    Spanned::new(w.clone(), t.span)
                }
                _ => break Err(self.expected("a field name after `.`")),
            };
            let span = expr.span.to(field.span);
            expr = match self.node(
                ExprKind::Field {
                    base: Box::new(expr),
                    field,
                },
                span,
            ) {
                Ok(e) => e,
                Err(f) => break Err(f),
            };
        };
        self.depth -= levels;
        result
    }

    fn primary(&mut self) -> PResult<Expr> {
        let t = self.peek();
        let literal = match &t.kind {
            TokenKind::Int(v) => Some(self.number_literal(*v, None, t.span)),
            TokenKind::Decimal { mantissa, scale } => {
                Some(self.number_literal(*mantissa, Some(*scale), t.span))
            }
            TokenKind::Percent { mantissa, scale } => {
                self.bump();
                Some((
                    Literal::Percent {
                        mantissa: *mantissa,
                        scale: *scale,
                    },
                    t.span,
                ))
            }
            TokenKind::Duration(parts) => {
                self.bump();
                Some((Literal::Duration(parts.clone()), t.span))
            }
            TokenKind::Timestamp(s) => {
                self.bump();
                Some((Literal::Timestamp(*s), t.span))
            }
            TokenKind::Str(s) => {
                self.bump();
                Some((Literal::Text(s.clone()), t.span))
            }
            TokenKind::BadLiteral => {
                self.bump();
                // A currency code after a broken number belongs to it.
                if self.word_at(0).is_some_and(is_currency_code) && !self.peek().line_start {
                    self.bump();
                }
                return self.node(ExprKind::Error, self.span_from(t.span));
            }
            TokenKind::Word(w) if w == "true" || w == "false" => {
                self.bump();
                Some((Literal::Bool(w == "true"), t.span))
            }
            _ => None,
        };
        if let Some((lit, span)) = literal {
            return self.node(ExprKind::Literal(lit), span);
        }
        match &t.kind {
            TokenKind::Word(w) if w == "if" => self.if_expr(),
            TokenKind::Word(w) if w == "jurisdiction" => self.jurisdiction(),
            TokenKind::Word(w) if !is_keyword(w) || w == "terms" || w == "event" => {
                self.bump();
                let name = Spanned::new(w.clone(), t.span);
                if !is_keyword(w) && self.is_punct(Punct::LParen) {
                    return self.call(name);
                }
                self.node(ExprKind::Name(name), t.span)
            }
            TokenKind::Punct(Punct::LParen) => {
                self.bump();
                let mut inner = self.expr()?;
                if self.eat_punct(Punct::RParen).is_none() {
                    let found = self.describe_current();
                    let span = self.missing_span();
                    self.error(
                        Diagnostic::error(
                            "E0205",
                            format!("expected `)`, found {found}"),
                            span,
                            "expected `)` here",
                        )
                        .with_secondary(t.span, "to close this `(`"),
                    );
                    return Err(Failed);
                }
                // The span covers the parentheses, so diagnostics point at what was written.
                inner.span = self.span_from(t.span);
                Ok(inner)
            }
            TokenKind::Punct(Punct::LBracket) => {
                self.bump();
                let items = self.comma_list(Punct::RBracket, t.span, "list")?;
                self.node(ExprKind::List(items), self.span_from(t.span))
            }
            _ => {
                let found = self.describe_current();
                let span = self.missing_span();
                self.error(Diagnostic::error(
                    "E0207",
                    format!("expected an expression, found {found}"),
                    span,
                    "expected an expression here",
                ));
                Err(Failed)
            }
        }
    }

    /// A number, with a currency code after it on the same line making it money
    /// (`150.00 EUR`). A three-letter code before `=>` is a jurisdiction arm, not a currency.
    /// `scale` is `None` for a whole number (`150 JPY`, `42`).
    fn number_literal(&mut self, mantissa: i64, scale: Option<u8>, span: Span) -> (Literal, Span) {
        self.bump();
        let next = self.peek();
        if let TokenKind::Word(w) = &next.kind {
            if self.is_unit_word(w) {
                self.bump();
                return (
                    Literal::Quantity {
                        mantissa,
                        scale: scale.unwrap_or(0),
                        unit: w.clone(),
                    },
                    span.to(next.span),
                );
            }
            if is_currency_code(w)
                && !next.line_start
                && self.peek_at(1).kind != TokenKind::Punct(Punct::FatArrow)
            {
                self.bump();
                let scale = scale.unwrap_or(0);
                if let Some((unit, end)) = self.per_unit() {
                    return (
                        Literal::Rate {
                            mantissa,
                            scale,
                            currency: w.clone(),
                            unit,
                        },
                        span.to(end),
                    );
                }
                return (
                    Literal::Money {
                        mantissa,
                        scale,
                        currency: w.clone(),
                    },
                    span.to(next.span),
                );
            }
        }
        let lit = match scale {
            None => Literal::Int(mantissa),
            Some(scale) => Literal::Decimal { mantissa, scale },
        };
        (lit, span)
    }

    /// `per UNIT` after an amount of money, on the same line (`150.00 EUR per t`): the unit's
    /// word and span. Any word is taken as the unit, so a misspelt one (`per tonne`) reaches
    /// the checker, which refuses it with a suggestion.
    fn per_unit(&mut self) -> Option<(String, Span)> {
        let per = self.peek();
        if per.line_start || !matches!(&per.kind, TokenKind::Word(word) if word == "per") {
            return None;
        }
        let unit = self.peek_at(1);
        match &unit.kind {
            TokenKind::Word(word) if !unit.line_start => {
                self.bump();
                self.bump();
                Some((word.clone(), unit.span))
            }
            _ => None,
        }
    }

    /// Whether the word after a number (the next token) is its unit: a known unit (`pcs`,
    /// `TEU`), or a word that can only be a misspelt one (`kgs`, `KG`) for the checker to
    /// refuse with a suggestion. A word starting the next line, a keyword, a clause item, a
    /// jurisdiction code before `=>` and a currency code are not units.
    fn is_unit_word(&self, word: &str) -> bool {
        let next = self.peek();
        if next.line_start || self.peek_at(1).kind == TokenKind::Punct(Punct::FatArrow) {
            return false;
        }
        if crate::quantity::Unit::parse(word).is_some() {
            return true;
        }
        let followed_by = |punct| self.peek_at(1).kind == TokenKind::Punct(punct);
        !is_keyword(word)
            && !CLAUSE_ITEM_KEYWORDS.contains(&word)
            && !is_currency_code(word)
            && word != "_"
            && word.len() <= 4
            && word.bytes().all(|b| b.is_ascii_alphanumeric())
            && !followed_by(Punct::Dot)
            && !followed_by(Punct::LParen)
            && !followed_by(Punct::Colon)
    }

    fn call(&mut self, callee: Ident) -> PResult<Expr> {
        let open = self.bump().span;
        let args = self.comma_list(Punct::RParen, open, "call")?;
        let span = callee.span.to(self.span_from(open));
        self.node(ExprKind::Call { callee, args }, span)
    }

    /// `(expr ("," expr)* ","?)? CLOSE`, the opening token already consumed.
    fn comma_list(&mut self, close: Punct, open: Span, what: &str) -> PResult<Vec<Expr>> {
        let mut items = Vec::new();
        loop {
            if self.eat_punct(close).is_some() {
                return Ok(items);
            }
            items.push(self.expr()?);
            if self.eat_punct(Punct::Comma).is_some() {
                continue;
            }
            if self.eat_punct(close).is_some() {
                return Ok(items);
            }
            let found = self.describe_current();
            let span = self.missing_span();
            self.error(
                Diagnostic::error(
                    "E0205",
                    format!(
                        "expected `,` or `{}` in this {what}, found {found}",
                        close.text()
                    ),
                    span,
                    format!("expected `,` or `{}`", close.text()),
                )
                .with_secondary(open, format!("the {what} starts here")),
            );
            return Err(Failed);
        }
    }

    fn if_expr(&mut self) -> PResult<Expr> {
        let kw = self.bump().span;
        let cond = self.expr()?;
        if self.eat_word("then").is_none() {
            let found = self.describe_current();
            let span = self.missing_span();
            self.error(
                Diagnostic::error(
                    "E0204",
                    format!("expected `then` after the `if` condition, found {found}"),
                    span,
                    "expected `then`",
                )
                .with_help("write `if CONDITION then VALUE else VALUE`"),
            );
            return Err(Failed);
        }
        let then = self.expr()?;
        if self.eat_word("else").is_none() {
            let found = self.describe_current();
            let span = self.missing_span();
            self.error(
                Diagnostic::error(
                    "E0204",
                    format!("expected `else` in this `if`, found {found}"),
                    span,
                    "expected `else`",
                )
                .with_secondary(kw, "this `if` needs an `else`")
                .with_help("every `if` has both branches: `if CONDITION then VALUE else VALUE`"),
            );
            return Err(Failed);
        }
        let otherwise = self.expr()?;
        let span = kw.to(otherwise.span);
        self.node(
            ExprKind::If {
                cond: Box::new(cond),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            },
            span,
        )
    }

    fn jurisdiction(&mut self) -> PResult<Expr> {
        let kw = self.bump().span;
        let open = self.expect_punct(Punct::LBrace, "after `jurisdiction`")?;
        let mut arms = Vec::new();
        loop {
            if self.eat_punct(Punct::RBrace).is_some() {
                break;
            }
            if self.at_eof()
                || (self.peek().line_start && (self.at_item_start() || self.at_clause_item_start()))
            {
                self.unclosed(open, "`jurisdiction`");
                return Err(Failed);
            }
            let t = self.peek();
            let code = match &t.kind {
                TokenKind::Word(w) if w == "_" => {
                    self.bump();
                    None
                }
                TokenKind::Word(w) if !is_keyword(w) => {
                    self.bump();
                    Some(Spanned::new(w.clone(), t.span))
                }
                _ => {
                    let found = self.describe_current();
                    self.error(
                        Diagnostic::error("E0202", format!("expected a jurisdiction code, `_` or `}}`, found {found}"), t.span, "expected a jurisdiction case")
                            .with_help("each case reads `CN => VALUE`; `_ => VALUE` covers every other jurisdiction"),
                    );
                    return Err(Failed);
                }
            };
            self.expect_punct(Punct::FatArrow, "after the jurisdiction code")?;
            let body = self.expr()?;
            let span = t.span.to(body.span);
            self.eat_punct(Punct::Comma);
            arms.push(JurisdictionArm { code, body, span });
        }
        self.node(ExprKind::Jurisdiction(arms), self.span_from(kw))
    }
}

/// How a token is named in "found …" messages.
pub fn describe(t: &Token) -> String {
    match &t.kind {
        TokenKind::Word(w) if is_keyword(w) => format!("the keyword `{w}`"),
        TokenKind::Word(w) => format!("`{w}`"),
        TokenKind::Int(_) | TokenKind::Decimal { .. } => "a number".into(),
        TokenKind::Percent { .. } => "a percentage".into(),
        TokenKind::Duration(_) => "a duration".into(),
        TokenKind::Timestamp(_) => "a timestamp".into(),
        TokenKind::Str(_) => "a text in quotes".into(),
        TokenKind::BadLiteral => "a malformed literal".into(),
        TokenKind::Punct(p) => format!("`{}`", p.text()),
        TokenKind::Eof => "the end of the file".into(),
    }
}
