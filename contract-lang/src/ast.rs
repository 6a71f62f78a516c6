//! The abstract syntax tree. Every node carries the byte span it was parsed from.
//!
//! The AST is what the parser could build: after a syntax error it still holds every item it
//! recovered, with [`ExprKind::Error`] standing in for an expression it could not read. The
//! checker never sees an AST that produced errors.
//!
//! Grammar (informal; `docs/language.md` is the reference):
//!
//! ```text
//! file        = item*
//! item        = enum | terms | event | clause | word_label
//! word_label  = "label" WORD path (IDENT STRING)+                 // label term incoterm de "die Lieferklausel"
//!                                                                   // WORD: term, event, field, party, variant
//! enum        = "enum" IDENT "{" IDENT ("," IDENT)* ","? "}"        // ordered: first < second < …
//! terms       = "terms" "{" field* "}"
//! event       = "event" path "{" field* "}"                         // `at: timestamp` is implicit
//! field       = IDENT ":" type ","?
//! type        = "bool" | "int" | "decimal" | "money" | "duration" | "timestamp" | "text"
//!             | "quantity" "<" IDENT ">"                            // a dimension or a unit
//!             | IDENT                                               // an enum
//!             | "list" "<" type ">" | "{" field* "}"               // a record
//! clause      = "clause" IDENT "{" clause_item* "}"
//! clause_item = "title" IDENT STRING                                // title en "…"
//!             | "label" (IDENT | STRING) (IDENT STRING)+            // label window zh "退货期限"
//!             | "param" IDENT ":" type ("=" expr)?
//!             | "predicate" IDENT "(" IDENT ":" path ")" "=" expr
//!             | "once"? "on" path ("when" expr)? "then" (action | "{" action* "}")
//! action      = "set" path "=" expr                                 // path must be terms.NAME
//!             | ("pay" | "refund" | "compensate") IDENT "->" IDENT expr
//!             | "notify" IDENT expr
//!             | "activate" IDENT | "deactivate" IDENT
//!             | "review" STRING
//! expr        = or;  or = and ("or" and)*;  and = not ("and" not)*;  not = "not" not | cmp
//! cmp         = sum (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in") sum)?   // non-associative
//! sum         = product (("+" | "-") product)*;  product = unary (("*" | "/") unary)*
//! unary       = "-" unary | postfix;  postfix = primary ("." IDENT)*
//! primary     = literal | IDENT | IDENT "(" (expr ("," expr)*)? ")" | "(" expr ")"
//!             | "[" (expr ("," expr)*)? "]"
//!             | "jurisdiction" "{" ((IDENT | "_") "=>" expr ","?)* "}"
//!             | "if" expr "then" expr "else" expr
//! literal     = "true" | "false" | INT | DECIMAL | DECIMAL "%" | DECIMAL CURRENCY | INT CURRENCY
//!             | (INT | DECIMAL) UNIT                                // 100 pcs, 2.5 t, 2 TEU
//!             | DURATION (42d, 48h, 90m, 30s, 1d12h) | TIMESTAMP (RFC 3339, e.g. 2026-03-01T08:00:00Z)
//!             | STRING
//! comment     = "//" to end of line
//! ```

use crate::span::{Span, Spanned};

pub type Ident = Spanned<String>;

/// A parsed source file: items in source order plus every comment (for `fmt`).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SourceFile {
    pub items: Vec<Item>,
    pub comments: Vec<Spanned<String>>,
    /// Byte offset of every line break (`\n`) in the source, so `fmt` can tell a comment that
    /// ends a line of code from one on a line of its own.
    pub line_breaks: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Enum(EnumDecl),
    Terms(TermsDecl),
    Event(EventDecl),
    Clause(ClauseDecl),
    /// A vocabulary word's translations (`label term incoterm zh "贸易术语"`); its target is
    /// always [`LabelTarget::Word`].
    Label(Label),
}

/// A dotted name such as `shipment.eta_updated` or `terms.delivery_due`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub segments: Vec<Ident>,
    pub span: Span,
}

impl Path {
    /// The segments joined with dots.
    pub fn dotted(&self) -> String {
        let names: Vec<&str> = self.segments.iter().map(|s| s.node.as_str()).collect();
        names.join(".")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumDecl {
    pub name: Ident,
    pub variants: Vec<Ident>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TermsDecl {
    pub fields: Vec<Field>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventDecl {
    pub kind: Path,
    pub fields: Vec<Field>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeExprKind {
    Bool,
    Int,
    Decimal,
    Money,
    Duration,
    Timestamp,
    Text,
    /// An enum declared with `enum NAME { … }`.
    Named(Ident),
    /// `quantity<mass>` or `quantity<kg>`: the dimension, or a unit standing for its dimension.
    Quantity(Ident),
    /// `rate<mass>` or `rate<t>`: a price per unit of the dimension.
    Rate(Ident),
    List(Box<TypeExpr>),
    Record(Vec<Field>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClauseDecl {
    pub name: Ident,
    pub items: Vec<ClauseItem>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClauseItem {
    Title(Title),
    Param(Param),
    Predicate(Predicate),
    Rule(Rule),
    Label(Label),
}

/// `label window en "return window" zh "退货期限" de "Rückgabefrist"`: how a param or a
/// predicate is named, or how a text the clause writes reads, in each language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub target: LabelTarget,
    /// `(language code, text)` in source order.
    pub texts: Vec<(Ident, Spanned<String>)>,
    pub span: Span,
}

/// What a label translates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelTarget {
    /// A param or predicate of the clause.
    Name(Ident),
    /// A text literal of the clause, such as a notification.
    Text(Spanned<String>),
    /// A word of the vocabulary (top level only): `term incoterm`, `event shipment.delivered`,
    /// `field received_by`, `party forwarder`, `variant air`.
    Word { category: Ident, name: Path },
    /// An attester as a contract names it (top level only): `attester "weather-service"`.
    /// Attesters are granted by each contract, not declared by the vocabulary, so the name
    /// is any text, written as a string.
    Attester(Spanned<String>),
}

/// `title en "Air freight when sea freight runs late"`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Title {
    pub lang: Ident,
    pub text: Spanned<String>,
    pub span: Span,
}

/// `param cap: money = 20000.00 EUR`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
    pub default: Option<Expr>,
    pub span: Span,
}

/// `predicate major_epidemic(e: health.emergency) = jurisdiction { … }`
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Predicate {
    pub name: Ident,
    pub param: Ident,
    pub param_kind: Path,
    pub body: Expr,
    pub span: Span,
}

/// `on KIND when COND then ACTIONS`, or a party's option
/// `option NAME by PARTY until DEADLINE (when COND)? then ACTIONS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// `once on …`: fires at most once per order (an option always is).
    pub once: bool,
    /// The option this rule is, if it is one; `on` is then `option.exercised`, spanning the
    /// `option` keyword.
    pub option: Option<OptionDecl>,
    pub on: Path,
    pub when: Option<Expr>,
    pub actions: Vec<Action>,
    /// Whether the actions were written in braces (kept so `fmt` can respect single actions).
    pub braced: bool,
    pub span: Span,
}

/// The head of a party's option: its name, the party who may exercise it and until when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionDecl {
    pub name: Ident,
    pub holder: Ident,
    pub until: Expr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub kind: ActionKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransferKind {
    Pay,
    Refund,
    Compensate,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// `set terms.NAME = EXPR`; the checker rejects targets other than `terms.NAME`.
    Set {
        target: Path,
        value: Expr,
    },
    /// `pay seller -> buyer AMOUNT` (and `refund`, `compensate`).
    Transfer {
        kind: TransferKind,
        from: Ident,
        to: Ident,
        amount: Expr,
    },
    /// `notify carrier "revise waybill"`
    Notify {
        party: Ident,
        message: Expr,
    },
    Activate(Ident),
    Deactivate(Ident),
    /// `review "reason"`
    Review(Spanned<String>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Add,
    Sub,
    Mul,
    Div,
}

/// The unit a period is written in. It is part of a clause's meaning (and IR): a period of
/// `72h` and one of `3d` are counted differently under BGB §§187–188 and the PRC Civil Code
/// §§201–203, so renderings keep the unit the clause wrote.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    Days,
    Hours,
    Minutes,
    Seconds,
}

impl DurationUnit {
    pub fn seconds(self) -> i64 {
        match self {
            DurationUnit::Days => 86_400,
            DurationUnit::Hours => 3_600,
            DurationUnit::Minutes => 60,
            DurationUnit::Seconds => 1,
        }
    }

    pub fn suffix(self) -> char {
        match self {
            DurationUnit::Days => 'd',
            DurationUnit::Hours => 'h',
            DurationUnit::Minutes => 'm',
            DurationUnit::Seconds => 's',
        }
    }
}

/// A literal as written. Numbers are exact: a decimal is `mantissa × 10^-scale`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Literal {
    Bool(bool),
    Int(i64),
    /// `0.5` is `{ mantissa: 5, scale: 1 }`.
    Decimal {
        mantissa: i64,
        scale: u8,
    },
    /// `0.5%`, kept apart from a decimal so `fmt` writes it back as a percentage.
    Percent {
        mantissa: i64,
        scale: u8,
    },
    /// `150.00 EUR` is `{ mantissa: 15000, scale: 2, currency: "EUR" }`; the checker validates the
    /// currency and that the scale fits its minor unit.
    Money {
        mantissa: i64,
        scale: u8,
        currency: String,
    },
    /// `2.5 t` is `{ mantissa: 25, scale: 1, unit: "t" }`; the checker validates the unit.
    Quantity {
        mantissa: i64,
        scale: u8,
        unit: String,
    },
    /// `150.00 EUR per t`: an amount of money per unit; the checker validates both.
    Rate {
        mantissa: i64,
        scale: u8,
        currency: String,
        unit: String,
    },
    /// `1d12h` is `[(1, Days), (12, Hours)]`.
    Duration(Vec<(i64, DurationUnit)>),
    /// Seconds since the Unix epoch, UTC.
    Timestamp(i64),
    Text(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JurisdictionArm {
    /// `None` is the `_` default arm.
    pub code: Option<Ident>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    Literal(Literal),
    /// A bare name: a param, an enum variant, a predicate's parameter, or `terms` / `facts` /
    /// `event` as the base of a field access.
    Name(Ident),
    Field {
        base: Box<Expr>,
        field: Ident,
    },
    Call {
        callee: Ident,
        args: Vec<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    List(Vec<Expr>),
    Jurisdiction(Vec<JurisdictionArm>),
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    /// Stands in for an expression the parser could not read (a diagnostic says why).
    Error,
}
