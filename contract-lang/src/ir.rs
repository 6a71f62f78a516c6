//! The canonical intermediate representation of a compiled clause, and its identity.
//!
//! The IR is what a clause *means*, with nothing of how it was written: names are resolved
//! (params by index, predicates by index, enum variants with their ordinal), there are no
//! spans, comments or formatting, and the parts whose order carries no meaning are sorted
//! (titles by language, params and predicates by name, jurisdiction arms by code). The IR also
//! embeds the slice of the vocabulary the clause depends on — the types of the terms it reads or
//! sets, the fields of the events it reads, every enum it touches with its full, ordered variant
//! list — so a vocabulary change that alters the clause's meaning also alters its id.
//!
//! The clause id is `SHA-256(canonical CBOR(ClauseIr))` ([`ClauseId::of`]). Spans live in a side
//! table ([`SpanTable`]) that is never hashed: every expression node carries a `site` number
//! (assigned in a pre-order walk of the finished IR, so it is canonical too) that indexes it.
//!
//! The IR round-trips through `pactum_canonical::from_slice`; [`CompiledClause::from_ir`]
//! validates an IR that came from elsewhere before anything evaluates it.

pub use crate::ast::DurationUnit;
use crate::span::Span;
use crate::value::{Type, Value};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Version of the IR format; part of every hash, bumped on any change of meaning of the IR.
pub const IR_VERSION: u32 = 2;

/// A compiled clause: everything needed to evaluate it and to show where things came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompiledClause {
    pub name: String,
    pub id: ClauseId,
    pub ir: ClauseIr,
    /// Where each IR element was written; empty for an IR loaded without its source.
    pub spans: SpanTable,
    /// Index of the source file (in the `compile_program` input) the clause came from.
    pub file: usize,
}

/// A whole program: the vocabulary and every clause, in source order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    pub vocabulary: crate::vocab::Vocabulary,
    pub clauses: Vec<CompiledClause>,
}

impl Program {
    pub fn clause(&self, name: &str) -> Option<&CompiledClause> {
        self.clauses.iter().find(|clause| clause.name == name)
    }
}

/// SHA-256 of the canonical encoding of a [`ClauseIr`]. Serialized and printed as 64 lowercase
/// hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClauseId(pub [u8; 32]);

impl ClauseId {
    pub fn of(ir: &ClauseIr) -> Result<ClauseId, pactum_canonical::CanonicalError> {
        pactum_canonical::hash(ir).map(ClauseId)
    }

    pub fn to_hex(&self) -> String {
        self.0.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    pub fn from_hex(text: &str) -> Option<ClauseId> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut id = [0u8; 32];
        for (slot, pair) in id.iter_mut().zip(bytes.chunks_exact(2)) {
            let digit = |c: u8| match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                _ => None,
            };
            *slot = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Some(ClauseId(id))
    }
}

impl fmt::Display for ClauseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ClauseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClauseId({})", self.to_hex())
    }
}

impl Serialize for ClauseId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ClauseId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ClauseId::from_hex(&text)
            .ok_or_else(|| serde::de::Error::custom("a clause id is 64 lowercase hex digits"))
    }
}

/// The canonical, span-free meaning of one clause. This is what is hashed into the clause id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClauseIr {
    pub version: u32,
    pub name: String,
    /// Language code → title.
    pub titles: BTreeMap<String, String>,
    /// Every enum the clause touches, sorted by name, with its variants in declaration order.
    pub enums: Vec<EnumDef>,
    /// Every term the clause reads or sets, with its type.
    pub terms: BTreeMap<String, Type>,
    /// Every event kind the clause listens to or reads, with the fields it reads (not `at`).
    pub events: BTreeMap<String, BTreeMap<String, Type>>,
    /// Sorted by name; [`ExprKind::Param`] indexes this list.
    pub params: Vec<ParamIr>,
    /// Sorted by name; [`ExprKind::Predicate`] indexes this list. A predicate body calls only
    /// predicates with a smaller index, so evaluation always terminates.
    pub predicates: Vec<PredicateIr>,
    /// In source order; a rule's index is its identity in outcomes and traces.
    pub rules: Vec<RuleIr>,
    /// Translations the clause gives for its params, predicates and texts. Part of the id:
    /// the rendered text is what the parties sign.
    pub labels: Labels,
}

/// `label` items: per param or predicate name, and per text literal, language code → text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labels {
    pub names: BTreeMap<String, BTreeMap<String, String>>,
    pub texts: BTreeMap<String, BTreeMap<String, String>>,
}

impl Labels {
    /// The clause's label of param or predicate `name` in language `lang`.
    pub fn name(&self, name: &str, lang: &str) -> Option<&str> {
        self.names.get(name)?.get(lang).map(String::as_str)
    }

    /// The clause's translation of text literal `text` into language `lang`.
    pub fn text(&self, text: &str, lang: &str) -> Option<&str> {
        self.texts.get(text)?.get(lang).map(String::as_str)
    }
}

impl ClauseIr {
    /// The variants of enum `name`, in declaration order.
    pub fn enum_variants(&self, name: &str) -> Option<&[String]> {
        self.enums
            .binary_search_by(|def| def.name.as_str().cmp(name))
            .ok()
            .and_then(|index| self.enums.get(index))
            .map(|def| def.variants.as_slice())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnumDef {
    pub name: String,
    pub variants: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamIr {
    pub name: String,
    pub ty: Type,
    pub default: Option<Value>,
    /// For a duration: the smallest unit its default is written in (`72h`: hours), in which
    /// renderings state it and any value an order binds.
    pub unit: Option<DurationUnit>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PredicateIr {
    pub name: String,
    /// The parameter's name, kept so renderings can quote the predicate as written.
    pub param: String,
    /// The event kind of its one parameter.
    pub kind: String,
    pub body: Expr,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleIr {
    pub on: String,
    pub when: Option<Expr>,
    pub actions: Vec<Action>,
    /// `once on …`: the rule fires at most once per order ([`crate::eval::State::once_fired`]).
    /// Left out of the encoding when false, so rules without it keep their ids.
    #[serde(default, skip_serializing_if = "is_false")]
    pub once: bool,
    /// `option NAME by PARTY until DEADLINE`: the rule is a party's option. It listens to
    /// [`crate::vocab::OPTION_EXERCISED`] events naming this clause and option, fires at most
    /// once (`once` is set) and only on an exercise dated no later than the deadline. Left
    /// out of the encoding when absent, so other rules keep their ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option: Option<OptionIr>,
}

/// A party's option: what the rule's [`RuleIr::option`] adds to an ordinary rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionIr {
    /// Unique among the clause's options; the exercise names it in its `option` field.
    pub name: String,
    /// The role that may exercise it: only an exercise signed by that party's key counts.
    pub holder: String,
    /// The last moment (a `timestamp` expression, read against the state before the
    /// exercise) at which an exercise is accepted.
    pub until: Expr,
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// Who pays whom. Same meaning as [`crate::ast::TransferKind`], with a stable encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    Pay,
    Refund,
    Compensate,
}

impl TransferKind {
    pub fn keyword(self) -> &'static str {
        match self {
            TransferKind::Pay => "pay",
            TransferKind::Refund => "refund",
            TransferKind::Compensate => "compensate",
        }
    }
}

impl From<crate::ast::TransferKind> for TransferKind {
    fn from(kind: crate::ast::TransferKind) -> Self {
        match kind {
            crate::ast::TransferKind::Pay => TransferKind::Pay,
            crate::ast::TransferKind::Refund => TransferKind::Refund,
            crate::ast::TransferKind::Compensate => TransferKind::Compensate,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Set {
        term: String,
        value: Expr,
    },
    Transfer {
        kind: TransferKind,
        from: String,
        to: String,
        amount: Expr,
    },
    Notify {
        party: String,
        message: Expr,
    },
    Activate {
        clause: String,
    },
    Deactivate {
        clause: String,
    },
    Review {
        reason: String,
    },
}

impl Action {
    /// The expression the action computes, if it has one.
    pub fn expr(&self) -> Option<&Expr> {
        match self {
            Action::Set { value: expr, .. }
            | Action::Transfer { amount: expr, .. }
            | Action::Notify { message: expr, .. } => Some(expr),
            Action::Activate { .. } | Action::Deactivate { .. } | Action::Review { .. } => None,
        }
    }
}

/// An expression node. `site` indexes [`SpanTable::sites`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expr {
    pub site: u32,
    pub kind: ExprKind,
}

/// Which event an event read refers to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventRef {
    /// `event`: the event being evaluated.
    Current,
    /// `facts.KIND`: the latest event of that kind, including the current one.
    Fact(String),
    /// A predicate's parameter.
    Arg,
}

/// How an exact (unrounded) amount becomes a whole one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    /// To the nearest; ties away from zero (`2.5 → 3`, `-2.5 → -3`).
    HalfUp,
    /// To the nearest; ties to the even neighbour (`2.5 → 2`, `3.5 → 4`), "banker's rounding".
    HalfEven,
    /// Toward zero (`2.7 → 2`, `-2.7 → -2`).
    Down,
    /// Away from zero (`2.1 → 3`, `-2.1 → -3`).
    Up,
    /// Toward negative infinity (`-2.1 → -3`).
    Floor,
    /// Toward positive infinity (`-2.7 → -2`).
    Ceiling,
}

impl RoundingMode {
    pub const ALL: [RoundingMode; 6] = [
        RoundingMode::HalfUp,
        RoundingMode::HalfEven,
        RoundingMode::Down,
        RoundingMode::Up,
        RoundingMode::Floor,
        RoundingMode::Ceiling,
    ];

    pub fn keyword(self) -> &'static str {
        match self {
            RoundingMode::HalfUp => "half_up",
            RoundingMode::HalfEven => "half_even",
            RoundingMode::Down => "down",
            RoundingMode::Up => "up",
            RoundingMode::Floor => "floor",
            RoundingMode::Ceiling => "ceiling",
        }
    }

    pub fn from_keyword(word: &str) -> Option<RoundingMode> {
        RoundingMode::ALL
            .into_iter()
            .find(|mode| mode.keyword() == word)
    }
}

/// Built-in functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Builtin {
    /// Smallest of two or more values of one ordered type.
    Min,
    /// Largest of two or more values of one ordered type.
    Max,
    Abs,
    /// `round(x, mode)`: an exact amount or a decimal to a whole one.
    Round(RoundingMode),
    /// Whole days in a duration, rounded toward negative infinity.
    Days,
    /// Whole hours in a duration, rounded toward negative infinity.
    Hours,
    /// Whole minutes in a duration, rounded toward negative infinity.
    Minutes,
    /// The duration in seconds.
    Seconds,
    /// Started days: days rounded toward positive infinity (`1d1s` → 2).
    CeilDays,
    /// Started hours: hours rounded toward positive infinity.
    CeilHours,
    /// `to(UNIT, x)`: a quantity expressed in another unit of its dimension, exactly (`to(t,
    /// 2500 kg)` is `2.5 t`). Last, so that existing clauses keep their encodings.
    ConvertTo(crate::quantity::Unit),
}

impl Builtin {
    /// The name a clause calls it by.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Min => "min",
            Builtin::Max => "max",
            Builtin::Abs => "abs",
            Builtin::Round(_) => "round",
            Builtin::Days => "days",
            Builtin::Hours => "hours",
            Builtin::Minutes => "minutes",
            Builtin::Seconds => "seconds",
            Builtin::CeilDays => "ceil_days",
            Builtin::CeilHours => "ceil_hours",
            Builtin::ConvertTo(_) => "to",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CompareOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CompareOp::Eq => "==",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl ArithOp {
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
        }
    }
}

/// Expression nodes. Operators are typed by the checker; the evaluator dispatches on the
/// runtime kinds of the operands, which the embedded vocabulary pins down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExprKind {
    /// A literal (never an enum value: those are [`ExprKind::Variant`]).
    Const(Value),
    /// A duration literal with the smallest unit it is written in (`72h`: 259200 s, hours).
    Period {
        seconds: i64,
        unit: DurationUnit,
    },
    /// A variant of an enum listed in [`ClauseIr::enums`], by name and declaration position.
    Variant {
        ty: String,
        variant: String,
        ordinal: u32,
    },
    Param(u32),
    Term(String),
    EventAt(EventRef),
    EventField {
        event: EventRef,
        field: String,
    },
    RecordField {
        base: Box<Expr>,
        field: String,
    },
    List(Vec<Expr>),
    /// An `int` used where a `decimal` is expected.
    ToDecimal(Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Compare {
        op: CompareOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    In {
        item: Box<Expr>,
        list: Box<Expr>,
    },
    Arith {
        op: ArithOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Call {
        func: Builtin,
        args: Vec<Expr>,
    },
    Predicate {
        index: u32,
        arg: EventRef,
    },
    /// `happened(facts.KIND)`: whether an event of that kind has been recorded (the one being
    /// evaluated included). Unlike reading a missing fact, it never stops the rule.
    Happened {
        kind: String,
    },
    /// `count(facts.KIND)`: how many events of that kind have been recorded (the one being
    /// evaluated included), from the state's tallies.
    Count {
        kind: String,
    },
    /// `sum(facts.KIND.FIELD)`: the sum of a numeric, money or duration field over every
    /// recorded event of that kind. Reading it before any such event stops the rule like a
    /// missing fact.
    Sum {
        kind: String,
        field: String,
    },
    /// Arms by jurisdiction code, and the `_` arm.
    Jurisdiction {
        arms: BTreeMap<String, Expr>,
        default: Box<Expr>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
}

impl Expr {
    /// Direct sub-expressions in canonical (evaluation) order.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Const(_)
            | ExprKind::Period { .. }
            | ExprKind::Variant { .. }
            | ExprKind::Param(_)
            | ExprKind::Term(_)
            | ExprKind::EventAt(_)
            | ExprKind::EventField { .. }
            | ExprKind::Predicate { .. }
            | ExprKind::Happened { .. }
            | ExprKind::Count { .. }
            | ExprKind::Sum { .. } => Vec::new(),
            ExprKind::RecordField { base, .. } => vec![base],
            ExprKind::List(items) | ExprKind::Call { args: items, .. } => items.iter().collect(),
            ExprKind::ToDecimal(inner) | ExprKind::Not(inner) | ExprKind::Neg(inner) => {
                vec![inner]
            }
            ExprKind::And(lhs, rhs)
            | ExprKind::Or(lhs, rhs)
            | ExprKind::Compare { lhs, rhs, .. }
            | ExprKind::Arith { lhs, rhs, .. }
            | ExprKind::In {
                item: lhs,
                list: rhs,
            } => vec![lhs, rhs],
            ExprKind::Jurisdiction { arms, default } => {
                let mut children: Vec<&Expr> = arms.values().collect();
                children.push(default);
                children
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => vec![cond, then, otherwise],
        }
    }

    pub(crate) fn children_mut(&mut self) -> Vec<&mut Expr> {
        match &mut self.kind {
            ExprKind::Const(_)
            | ExprKind::Period { .. }
            | ExprKind::Variant { .. }
            | ExprKind::Param(_)
            | ExprKind::Term(_)
            | ExprKind::EventAt(_)
            | ExprKind::EventField { .. }
            | ExprKind::Predicate { .. }
            | ExprKind::Happened { .. }
            | ExprKind::Count { .. }
            | ExprKind::Sum { .. } => Vec::new(),
            ExprKind::RecordField { base, .. } => vec![base],
            ExprKind::List(items) | ExprKind::Call { args: items, .. } => {
                items.iter_mut().collect()
            }
            ExprKind::ToDecimal(inner) | ExprKind::Not(inner) | ExprKind::Neg(inner) => {
                vec![inner]
            }
            ExprKind::And(lhs, rhs)
            | ExprKind::Or(lhs, rhs)
            | ExprKind::Compare { lhs, rhs, .. }
            | ExprKind::Arith { lhs, rhs, .. }
            | ExprKind::In {
                item: lhs,
                list: rhs,
            } => vec![lhs, rhs],
            ExprKind::Jurisdiction { arms, default } => {
                let mut children: Vec<&mut Expr> = arms.values_mut().collect();
                children.push(default);
                children
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => vec![cond, then, otherwise],
        }
    }
}

/// Source positions of a compiled clause. Not part of the clause id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpanTable {
    /// Span of the whole `clause` item.
    pub clause: Span,
    /// Indexed by [`Expr::site`].
    pub sites: Vec<Span>,
    /// Span of each rule, by rule index.
    pub rules: Vec<Span>,
    /// Span of each action, by rule index and action index.
    pub actions: Vec<Vec<Span>>,
}

impl SpanTable {
    pub fn site(&self, site: u32) -> Option<Span> {
        self.sites.get(site as usize).copied()
    }
}

impl ClauseIr {
    /// Every expression root in canonical order: param-free predicates first (by index), then
    /// each rule's condition and actions.
    fn roots_mut(&mut self) -> Vec<&mut Expr> {
        let mut roots: Vec<&mut Expr> = Vec::new();
        for predicate in &mut self.predicates {
            roots.push(&mut predicate.body);
        }
        for rule in &mut self.rules {
            if let Some(option) = &mut rule.option {
                roots.push(&mut option.until);
            }
            if let Some(when) = &mut rule.when {
                roots.push(when);
            }
            for action in &mut rule.actions {
                match action {
                    Action::Set { value: expr, .. }
                    | Action::Transfer { amount: expr, .. }
                    | Action::Notify { message: expr, .. } => roots.push(expr),
                    Action::Activate { .. } | Action::Deactivate { .. } | Action::Review { .. } => {
                    }
                }
            }
        }
        roots
    }

    /// Renumbers every node's `site` in canonical pre-order, returning for each new site the
    /// old one. The compiler builds nodes with provisional sites (indexes into its own span
    /// list) and calls this once the IR is final, so sites do not depend on source order where
    /// the IR sorts (jurisdiction arms, predicates).
    pub(crate) fn renumber_sites(&mut self) -> Vec<u32> {
        fn walk(expr: &mut Expr, old_of_new: &mut Vec<u32>) {
            old_of_new.push(expr.site);
            expr.site = (old_of_new.len() - 1) as u32;
            for child in expr.children_mut() {
                walk(child, old_of_new);
            }
        }
        let mut old_of_new = Vec::new();
        for root in self.roots_mut() {
            walk(root, &mut old_of_new);
        }
        old_of_new
    }
}

/// Why an IR that came from elsewhere cannot be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IrError {
    #[error("IR version {found} is not supported (this build reads version {IR_VERSION})")]
    Version { found: u32 },
    #[error("malformed IR: {0}")]
    Malformed(String),
    #[error("cannot encode IR: {0}")]
    Encode(#[from] pactum_canonical::CanonicalError),
}

impl CompiledClause {
    /// Wraps an IR that came from elsewhere (a bundle, a file), after checking that it is well
    /// formed: the version is known, every index and name resolves, predicates only call
    /// predicates before them, sites are in canonical order. The span table is left empty.
    pub fn from_ir(ir: ClauseIr) -> Result<CompiledClause, IrError> {
        validate(&ir)?;
        let id = ClauseId::of(&ir)?;
        Ok(CompiledClause {
            name: ir.name.clone(),
            id,
            ir,
            spans: SpanTable::default(),
            file: 0,
        })
    }

    /// Checks a compiled clause read back from storage, spans and all: its IR is well formed,
    /// hashes to its id and carries its name, and every span lies within `source_len` bytes
    /// (the length of the source file it was compiled from).
    pub fn check(&self, source_len: usize) -> Result<(), IrError> {
        validate(&self.ir)?;
        if self.name != self.ir.name {
            return Err(IrError::Malformed(format!(
                "clause `{}` holds the IR of `{}`",
                self.name, self.ir.name
            )));
        }
        let id = ClauseId::of(&self.ir)?;
        if id != self.id {
            return Err(IrError::Malformed(format!(
                "clause `{}` hashes to {id}, not to its id {}",
                self.name, self.id
            )));
        }
        let spans = &self.spans;
        let all = std::iter::once(&spans.clause)
            .chain(&spans.sites)
            .chain(&spans.rules)
            .chain(spans.actions.iter().flatten());
        for span in all {
            if span.start > span.end || span.end as usize > source_len {
                return Err(IrError::Malformed(format!(
                    "clause `{}` has a span {}..{} outside its {source_len}-byte source",
                    self.name, span.start, span.end
                )));
            }
        }
        Ok(())
    }
}

fn validate(ir: &ClauseIr) -> Result<(), IrError> {
    let malformed = |message: String| Err(IrError::Malformed(message));
    if ir.version != IR_VERSION {
        return Err(IrError::Version { found: ir.version });
    }
    if !ir.enums.windows(2).all(|pair| pair[0].name < pair[1].name) {
        return malformed("enums are not sorted by name".into());
    }
    for def in &ir.enums {
        let distinct: BTreeSet<&String> = def.variants.iter().collect();
        if def.variants.is_empty() || distinct.len() != def.variants.len() {
            return malformed(format!(
                "enum `{}` has empty or repeated variants",
                def.name
            ));
        }
    }
    if !ir.params.windows(2).all(|pair| pair[0].name < pair[1].name) {
        return malformed("params are not sorted by name".into());
    }
    if !ir
        .predicates
        .windows(2)
        .all(|pair| pair[0].name < pair[1].name)
    {
        return malformed("predicates are not sorted by name".into());
    }
    let mut types: Vec<&Type> = ir.terms.values().collect();
    types.extend(ir.events.values().flat_map(|fields| fields.values()));
    types.extend(ir.params.iter().map(|param| &param.ty));
    for ty in types {
        check_type_enums(ir, ty)?;
    }
    for param in &ir.params {
        if let Some(default) = &param.default {
            crate::value::check_value_type(default, &param.ty, &|name| ir.enum_variants(name))
                .map_err(|error| {
                    IrError::Malformed(format!("default of param `{}`: {error}", param.name))
                })?;
        }
    }
    let mut next_site = 0u32;
    for (index, predicate) in ir.predicates.iter().enumerate() {
        if !ir.events.contains_key(&predicate.kind) {
            return malformed(format!(
                "predicate `{}` reads an undeclared kind",
                predicate.name
            ));
        }
        let scope = Scope {
            ir,
            predicates_below: index,
            in_predicate: Some(&predicate.kind),
            on: None,
        };
        scope.expr(&predicate.body, &mut next_site)?;
    }
    for rule in &ir.rules {
        if !ir.events.contains_key(&rule.on) {
            return malformed(format!("a rule listens to undeclared kind `{}`", rule.on));
        }
        let scope = Scope {
            ir,
            predicates_below: ir.predicates.len(),
            in_predicate: None,
            on: Some(&rule.on),
        };
        if let Some(option) = &rule.option {
            let listens = rule.on == crate::vocab::OPTION_EXERCISED && rule.once;
            if !listens || option.name.is_empty() || option.holder.is_empty() {
                return malformed(format!(
                    "option `{}` is not a `once` rule on `{}` with a holder",
                    option.name,
                    crate::vocab::OPTION_EXERCISED
                ));
            }
            scope.expr(&option.until, &mut next_site)?;
        }
        if let Some(when) = &rule.when {
            scope.expr(when, &mut next_site)?;
        }
        for action in &rule.actions {
            match action {
                Action::Set { term, value } => {
                    if !ir.terms.contains_key(term) {
                        return malformed(format!("sets undeclared term `{term}`"));
                    }
                    scope.expr(value, &mut next_site)?;
                }
                Action::Transfer { amount: expr, .. } | Action::Notify { message: expr, .. } => {
                    scope.expr(expr, &mut next_site)?
                }
                Action::Activate { .. } | Action::Deactivate { .. } | Action::Review { .. } => {}
            }
        }
    }
    Ok(())
}

fn check_type_enums(ir: &ClauseIr, ty: &Type) -> Result<(), IrError> {
    match ty {
        Type::Enum(name) if ir.enum_variants(name).is_none() => Err(IrError::Malformed(format!(
            "type refers to enum `{name}` which the IR does not list"
        ))),
        Type::List(element) => check_type_enums(ir, element),
        Type::Record(fields) => fields
            .values()
            .try_for_each(|field| check_type_enums(ir, field)),
        _ => Ok(()),
    }
}

struct Scope<'a> {
    ir: &'a ClauseIr,
    predicates_below: usize,
    in_predicate: Option<&'a String>,
    on: Option<&'a String>,
}

impl Scope<'_> {
    fn event(&self, event: &EventRef) -> Result<(), IrError> {
        let known = match event {
            EventRef::Current => self.on.is_some(),
            EventRef::Arg => self.in_predicate.is_some(),
            EventRef::Fact(kind) => self.ir.events.contains_key(kind),
        };
        if known {
            Ok(())
        } else {
            Err(IrError::Malformed(format!(
                "event reference {event:?} out of scope"
            )))
        }
    }

    fn expr(&self, expr: &Expr, next_site: &mut u32) -> Result<(), IrError> {
        if expr.site != *next_site {
            return Err(IrError::Malformed(
                "sites are not in canonical order".into(),
            ));
        }
        *next_site += 1;
        let malformed = |message: String| Err(IrError::Malformed(message));
        match &expr.kind {
            ExprKind::Const(Value::Enum(_)) => {
                return malformed("enum constants must be variants".into());
            }
            ExprKind::Variant {
                ty,
                variant,
                ordinal,
            } => {
                let found = self
                    .ir
                    .enum_variants(ty)
                    .and_then(|variants| variants.get(*ordinal as usize));
                if found != Some(variant) {
                    return malformed(format!(
                        "variant `{ty}.{variant}` does not match its ordinal"
                    ));
                }
            }
            ExprKind::Param(index) if *index as usize >= self.ir.params.len() => {
                return malformed(format!("param index {index} out of range"));
            }
            ExprKind::Term(name) if !self.ir.terms.contains_key(name) => {
                return malformed(format!("reads undeclared term `{name}`"));
            }
            ExprKind::EventAt(event) | ExprKind::EventField { event, .. } => self.event(event)?,
            ExprKind::Predicate { index, arg } => {
                if *index as usize >= self.predicates_below {
                    return malformed(format!("predicate index {index} may recurse"));
                }
                self.event(arg)?;
            }
            ExprKind::Happened { kind } | ExprKind::Count { kind } => {
                self.event(&EventRef::Fact(kind.clone()))?
            }
            ExprKind::Sum { kind, field } => {
                let summable = self
                    .ir
                    .events
                    .get(kind)
                    .and_then(|fields| fields.get(field));
                if !matches!(
                    summable,
                    Some(
                        Type::Int
                            | Type::Decimal
                            | Type::Money
                            | Type::Duration
                            | Type::Quantity(_)
                    )
                ) {
                    return malformed(format!("sums `{kind}.{field}`, not a summable field"));
                }
            }
            _ => {}
        }
        for child in expr.children() {
            self.expr(child, next_site)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clause_ids_print_and_parse_as_hex() {
        let id = ClauseId([0xab; 32]);
        assert_eq!(id.to_hex().len(), 64);
        assert_eq!(ClauseId::from_hex(&id.to_hex()), Some(id));
        assert_eq!(ClauseId::from_hex(&"AB".repeat(32)), None);
        assert_eq!(ClauseId::from_hex("abc"), None);
        let bytes = pactum_canonical::to_vec(&id).unwrap();
        assert_eq!(pactum_canonical::from_slice::<ClauseId>(&bytes), Ok(id));
    }

    #[test]
    fn rounding_mode_keywords_round_trip() {
        for mode in RoundingMode::ALL {
            assert_eq!(RoundingMode::from_keyword(mode.keyword()), Some(mode));
        }
        assert_eq!(RoundingMode::from_keyword("nearest"), None);
    }
}
