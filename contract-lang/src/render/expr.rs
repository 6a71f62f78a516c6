//! Expressions of the IR as phrases, with parentheses only where nesting needs them.

use std::collections::BTreeMap;

use super::glossary::Glossary;
use super::{event_owner, words, Lang};
use crate::ir::{ArithOp, Builtin, ClauseIr, EventRef, Expr, ExprKind, ParamIr};
use crate::value::{DisplayTimestamp, Type, Value};

/// Binding strength of a phrase: a child weaker than its context is parenthesised.
const CHOICE: u8 = 0; // if … then … else, jurisdiction cases
const OR: u8 = 1;
const ROUNDED: u8 = 1; // "X, rounded …": bracketed inside anything but a whole action value
const AND: u8 = 2;
const STATEMENT: u8 = 3; // comparisons, `in`, negation, predicate calls
const SUM: u8 = 4;
const PRODUCT: u8 = 5;
const ATOM: u8 = 6;

struct Phrase {
    text: String,
    strength: u8,
}

impl Phrase {
    fn new(text: String, strength: u8) -> Phrase {
        Phrase { text, strength }
    }

    fn atom(text: String) -> Phrase {
        Phrase::new(text, ATOM)
    }
}

pub(super) struct Renderer<'a> {
    clause: &'a ClauseIr,
    bound: &'a BTreeMap<String, Value>,
    lang: Lang,
    /// Where the vocabulary's words come from.
    pub words: Glossary<'a>,
}

impl<'a> Renderer<'a> {
    /// Whether `term` is a date (a timestamp), so adding to it postpones it.
    pub fn term_is_date(&self, term: &str) -> bool {
        self.clause.terms.get(term) == Some(&Type::Timestamp)
    }

    pub fn new(
        clause: &'a ClauseIr,
        bound: &'a BTreeMap<String, Value>,
        lang: Lang,
        words: Glossary<'a>,
    ) -> Self {
        Renderer {
            clause,
            bound,
            lang,
            words,
        }
    }

    /// The value a parameter has for this rendering: bound by the order, else its default.
    pub fn param_value(&self, name: &str) -> Option<&'a Value> {
        self.bound.get(name).or_else(|| {
            self.clause
                .params
                .iter()
                .find(|param| param.name == name)
                .and_then(|param| param.default.as_ref())
        })
    }

    /// A condition (an expression in a position where it must hold).
    pub fn condition(&self, expr: &Expr, on: Option<&str>) -> String {
        self.phrase(expr, on, true).text
    }

    /// An expression whose value is used (an amount, a new term value, a message).
    pub fn value_expr(&self, expr: &Expr, on: Option<&str>) -> String {
        self.phrase(expr, on, false).text
    }

    /// Like [`Renderer::value_expr`], bracketing a choice (`if`, cases, rounding) so it reads
    /// as one value inside an action.
    pub fn action_value(&self, expr: &Expr, on: Option<&str>) -> String {
        self.wrap(self.phrase(expr, on, false), OR)
    }

    /// A runtime value in this language: `150.00 EUR`, `42 days`, `2026-03-01 00:00:00 UTC`.
    pub fn value(&self, value: &Value) -> String {
        self.value_in(value, false)
    }

    /// A param's value, a period in the unit its default is written in.
    pub fn param_text(&self, param: &ParamIr, value: &Value) -> String {
        match (value, param.unit) {
            (Value::Duration(seconds), Some(unit)) => words::period(self.lang, *seconds, unit),
            _ => self.value(value),
        }
    }

    /// How a param or predicate is called in this language: the clause's `label`, else its
    /// name (English with spaces, otherwise quoted as written).
    pub fn name_label(&self, name: &str) -> String {
        super::name_label(self.clause, name, self.lang)
    }

    /// A param in the list of params: its label and, where that differs, its name.
    pub fn param_heading(&self, name: &str) -> String {
        let label = self.name_label(name);
        match self.lang {
            _ if label == name => name.to_string(),
            Lang::Zh => format!("{label}（{name}）"),
            Lang::En | Lang::De => format!("{label} ({name})"),
        }
    }

    /// A text the clause writes, in this language where the clause translates it.
    pub fn message_text(&self, text: &str) -> String {
        let text = self
            .clause
            .labels
            .text(text, self.lang.code())
            .unwrap_or(text);
        words::quoted(self.lang, text)
    }

    /// A notification's message: a text literal reads in the reader's language (its
    /// translation from the clause's labels), anything else as a value.
    pub fn message(&self, expr: &Expr, on: Option<&str>) -> String {
        match &expr.kind {
            ExprKind::Const(Value::Text(text)) => self.message_text(text),
            _ => self.action_value(expr, on),
        }
    }

    /// What a `round` of `expr` rounds to.
    fn round_target(&self, expr: &Expr, on: Option<&str>) -> words::RoundTarget {
        match self.quantity(expr, on) {
            Some(Type::Money) => words::RoundTarget::MinorUnit,
            Some(Type::Duration) => words::RoundTarget::Seconds,
            _ => words::RoundTarget::Whole,
        }
    }

    /// Whether `expr` is an amount of money or a duration (the unit a product keeps).
    fn quantity(&self, expr: &Expr, on: Option<&str>) -> Option<Type> {
        // A price per unit times a quantity is money.
        let unit = |ty: Type| match ty {
            Type::Money | Type::Duration => Some(ty),
            Type::Rate(_) => Some(Type::Money),
            _ => None,
        };
        match &expr.kind {
            ExprKind::Const(Value::Money(_) | Value::Rate(_)) => Some(Type::Money),
            ExprKind::Period { .. } | ExprKind::Const(Value::Duration(_)) => Some(Type::Duration),
            ExprKind::Arith { op, lhs, rhs } => self.quantity(lhs, on).or_else(|| {
                (*op == ArithOp::Mul)
                    .then(|| self.quantity(rhs, on))
                    .flatten()
            }),
            ExprKind::Call { args, .. } => args.iter().find_map(|arg| self.quantity(arg, on)),
            ExprKind::Neg(inner) => self.quantity(inner, on),
            ExprKind::If { then, .. } => self.quantity(then, on),
            _ => self.leaf_type(expr, on).and_then(unit),
        }
    }

    /// `compact` shows a rate only as its percentage (`0.5 %` rather than `0.005 (0.5 %)`),
    /// for parameter values quoted inside a sentence.
    fn value_in(&self, value: &Value, compact: bool) -> String {
        value_text(self.words, self.lang, value, compact)
    }

    fn wrap(&self, phrase: Phrase, at_least: u8) -> String {
        if phrase.strength >= at_least {
            phrase.text
        } else {
            match self.lang {
                Lang::Zh => format!("（{}）", phrase.text),
                Lang::En | Lang::De => format!("({})", phrase.text),
            }
        }
    }

    fn wrap_in_or(&self, phrase: Phrase) -> String {
        if phrase.strength == AND {
            self.wrap(phrase, STATEMENT)
        } else {
            self.wrap(phrase, OR)
        }
    }

    /// The kind an event reference reads, for looking up field types.
    fn kind_of<'k>(&self, event: &'k EventRef, on: Option<&'k str>) -> Option<&'k str> {
        match event {
            EventRef::Current | EventRef::Arg => on,
            EventRef::Fact(kind) => Some(kind),
        }
    }

    /// The declared type of a leaf (enough to choose phrasings; the checker typed everything).
    fn leaf_type(&self, expr: &Expr, on: Option<&str>) -> Option<Type> {
        match &expr.kind {
            ExprKind::Term(name) => self.clause.terms.get(name).cloned(),
            ExprKind::EventAt(_) => Some(Type::Timestamp),
            ExprKind::EventField { event, field } => {
                let kind = self.kind_of(event, on)?;
                self.clause.events.get(kind)?.get(field).cloned()
            }
            ExprKind::Param(index) => self
                .clause
                .params
                .get(*index as usize)
                .map(|param| param.ty.clone()),
            ExprKind::Const(Value::Timestamp(_)) => Some(Type::Timestamp),
            ExprKind::Const(Value::Bool(_)) => Some(Type::Bool),
            _ => None,
        }
    }

    fn phrase(&self, expr: &Expr, on: Option<&str>, must_hold: bool) -> Phrase {
        let lang = self.lang;
        match &expr.kind {
            ExprKind::Const(Value::Text(text)) => {
                // A compared value is shown exactly as the data must carry it, with the
                // clause's translation beside it.
                let quoted = words::quoted(lang, text);
                let text = match self.clause.labels.text(text, lang.code()) {
                    Some(label) => match lang {
                        Lang::Zh => format!("{quoted}（{}）", crate::untrusted::escape(label)),
                        Lang::En | Lang::De => {
                            format!("{quoted} ({})", crate::untrusted::escape(label))
                        }
                    },
                    None => quoted,
                };
                Phrase::atom(text)
            }
            ExprKind::Const(value) => Phrase::atom(self.value(value)),
            ExprKind::Period { seconds, unit } => {
                Phrase::atom(words::period(lang, *seconds, *unit))
            }
            ExprKind::Variant { variant, .. } => {
                Phrase::atom(self.words.word(lang, "variant", variant))
            }
            ExprKind::Param(index) => {
                let Some(param) = self.clause.params.get(*index as usize) else {
                    return Phrase::atom(format!("#{index}"));
                };
                let label = self.name_label(&param.name);
                let text = match self.param_value(&param.name) {
                    Some(value) => {
                        let value = match (value, param.unit) {
                            (Value::Duration(seconds), Some(unit)) => {
                                words::period(lang, *seconds, unit)
                            }
                            _ => self.value_in(value, true),
                        };
                        match lang {
                            Lang::Zh => format!("{label}（{value}）"),
                            Lang::En | Lang::De => format!("{label} ({value})"),
                        }
                    }
                    None => label,
                };
                self.maybe_statement(expr, on, must_hold, Phrase::atom(text))
            }
            ExprKind::Term(name) => {
                let statement = must_hold
                    .then(|| self.words.lookup(lang, &format!("stmt:{name}")))
                    .flatten();
                match statement {
                    Some(statement) => Phrase::new(statement, STATEMENT),
                    None => {
                        let noun = match lang {
                            Lang::De => self.words.term_de(name),
                            Lang::En | Lang::Zh => self.words.term(lang, name),
                        };
                        self.maybe_statement(expr, on, must_hold, Phrase::atom(noun))
                    }
                }
            }
            ExprKind::EventAt(event) => Phrase::atom(self.field_of(event, "at")),
            ExprKind::EventField { event, field } => {
                let statement = must_hold
                    .then(|| self.words.lookup(lang, &format!("stmt:{field}")))
                    .flatten();
                match (statement, event) {
                    (Some(statement), EventRef::Current | EventRef::Arg) => {
                        Phrase::new(statement, STATEMENT)
                    }
                    _ => {
                        let text = self.field_of(event, field);
                        self.maybe_statement(expr, on, must_hold, Phrase::atom(text))
                    }
                }
            }
            ExprKind::RecordField { base, field } => {
                let base = self.wrap(self.phrase(base, on, false), ATOM);
                let field = self.words.word(lang, "field", field);
                let text = match lang {
                    Lang::En => format!("the {field} of {base}"),
                    Lang::Zh => format!("{base}的{field}"),
                    Lang::De => format!("{field} von {base}"),
                };
                self.maybe_statement(expr, on, must_hold, Phrase::atom(text))
            }
            ExprKind::List(items) => {
                let items: Vec<String> =
                    items.iter().map(|item| self.value_expr(item, on)).collect();
                Phrase::atom(format!("[{}]", items.join(", ")))
            }
            ExprKind::ToDecimal(inner) => self.phrase(inner, on, must_hold),
            ExprKind::Not(inner) => {
                if let ExprKind::Happened { kind } = &inner.kind {
                    // "no delivery has been recorded yet" reads better than "not (a delivery…)".
                    let noun = self.words.kind_noun(lang, kind);
                    let text = match lang {
                        Lang::En => format!("no {noun} has been recorded yet"),
                        Lang::Zh => format!("尚未记录{noun}"),
                        Lang::De => format!("es liegt noch keine Meldung „{noun}“ vor"),
                    };
                    return Phrase::new(text, STATEMENT);
                }
                if let ExprKind::In { item, list } = &inner.kind {
                    // "is not one of …": "it is not the case that X is one of … or Y" leaves
                    // the reader to guess how far the "not" reaches.
                    return self.membership(item, list, on, true);
                }
                let inner = self.wrap(self.phrase(inner, on, true), STATEMENT);
                Phrase::new(words::not(lang, &inner), STATEMENT)
            }
            ExprKind::Neg(inner) => {
                let inner = self.wrap(self.phrase(inner, on, false), ATOM);
                let text = match lang {
                    Lang::En | Lang::De => format!("minus {inner}"),
                    Lang::Zh => format!("负{inner}"),
                };
                Phrase::new(text, PRODUCT)
            }
            ExprKind::And(lhs, rhs) => {
                let lhs = self.wrap(self.phrase(lhs, on, true), AND);
                let rhs = self.wrap(self.phrase(rhs, on, true), AND);
                Phrase::new(format!("{lhs}{}{rhs}", words::and(lang)), AND)
            }
            ExprKind::Or(lhs, rhs) => {
                // Prose has no precedence: an `and` inside an `or` is always bracketed.
                let lhs = self.wrap_in_or(self.phrase(lhs, on, true));
                let rhs = self.wrap_in_or(self.phrase(rhs, on, true));
                Phrase::new(format!("{lhs}{}{rhs}", words::or(lang)), OR)
            }
            ExprKind::Compare { op, lhs, rhs } => {
                let times = self.leaf_type(lhs, on) == Some(Type::Timestamp)
                    || self.leaf_type(rhs, on) == Some(Type::Timestamp);
                let lhs = self.wrap(self.phrase(lhs, on, false), SUM);
                let rhs = self.wrap(self.phrase(rhs, on, false), SUM);
                let text = if times {
                    words::compare_times(lang, *op, &lhs, &rhs)
                } else {
                    words::compare(lang, *op, &lhs, &rhs)
                };
                Phrase::new(text, STATEMENT)
            }
            ExprKind::In { item, list } => self.membership(item, list, on, false),
            ExprKind::Arith { op, lhs, rhs } => self.arith(*op, lhs, rhs, on),
            ExprKind::Call { func, args } => self.call(*func, args, on),
            ExprKind::Count { kind } => {
                let noun = self.words.kind_noun(lang, kind);
                Phrase::atom(match lang {
                    Lang::En => format!("the number of {noun} reports so far (this one included)"),
                    Lang::Zh => format!("迄今（含本次）记录的{noun}次数"),
                    Lang::De => format!("die Anzahl der bisher (einschließlich dieser) erfassten Meldungen „{noun}“"),
                })
            }
            ExprKind::Sum { kind, field } => {
                let noun = self.words.kind_noun(lang, kind);
                let field = self.words.word(lang, "field", field);
                Phrase::atom(match lang {
                    Lang::En => format!(
                        "the total {field} of all {noun} reports so far (this one included)"
                    ),
                    Lang::Zh => format!("迄今（含本次）所有{noun}的{field}合计"),
                    Lang::De => {
                        format!("die Summe „{field}“ aller bisher (einschließlich dieser) erfassten Meldungen „{noun}“")
                    }
                })
            }
            ExprKind::Happened { kind } => {
                let noun = self.words.kind_noun(lang, kind);
                let text = match lang {
                    Lang::En => format!("a {noun} has been recorded"),
                    Lang::Zh => format!("已记录{noun}"),
                    Lang::De => format!("eine Meldung „{noun}“ liegt vor"),
                };
                Phrase::new(text, STATEMENT)
            }
            ExprKind::Predicate { index, arg } => {
                let name = self.clause.predicates.get(*index as usize).map_or_else(
                    || format!("#{index}"),
                    |predicate| self.name_label(&predicate.name),
                );
                let owner = event_owner(self.words, lang, arg);
                let text = match lang {
                    Lang::En => format!("“{name}” holds for {owner}"),
                    Lang::Zh => format!("{owner}构成「{name}」"),
                    Lang::De => format!("die Definition „{name}“ ist erfüllt"),
                };
                Phrase::new(text, STATEMENT)
            }
            ExprKind::Jurisdiction { arms, default } => {
                let mut cases: Vec<String> = arms
                    .iter()
                    .map(|(code, body)| {
                        let body = self.phrase(body, on, must_hold).text;
                        let law = words::under_law(lang, code);
                        match (lang, must_hold) {
                            (Lang::En, true) => format!("{law}, if {body}"),
                            (Lang::En, false) => format!("{law}, {body}"),
                            (Lang::Zh, _) => format!("{law}，{body}"),
                            (Lang::De, _) => format!("{law}: {body}"),
                        }
                    })
                    .collect();
                let fallback = self.phrase(default, on, must_hold).text;
                cases.push(match lang {
                    Lang::En if must_hold => format!("where any other law applies, if {fallback}"),
                    Lang::En => format!("where any other law applies, {fallback}"),
                    Lang::Zh => format!("适用其他法律时，{fallback}"),
                    Lang::De => format!("wenn ein anderes Recht gilt: {fallback}"),
                });
                let text = match lang {
                    Lang::En => format!("depending on the governing law: {}", cases.join("; ")),
                    Lang::Zh => format!("视适用法律而定：{}", cases.join("；")),
                    Lang::De => format!("je nach anwendbarem Recht – {}", cases.join("; ")),
                };
                Phrase::new(text, CHOICE)
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let cond = self.phrase(cond, on, true).text;
                let then = self.phrase(then, on, must_hold).text;
                let otherwise = self.phrase(otherwise, on, must_hold).text;
                let text = match lang {
                    Lang::En => format!("if {cond}, {then}, otherwise {otherwise}"),
                    Lang::Zh => format!("若{cond}，则{then}，否则{otherwise}"),
                    Lang::De => format!("{then}, sofern gilt: {cond}; sonst {otherwise}"),
                };
                Phrase::new(text, CHOICE)
            }
        }
    }

    /// `X in LIST` (or not): a list written in the clause is named value by value ("is one of
    /// “Guangdong” and “Fujian”", "ist einer der Werte „Guangdong“ und „Fujian“",
    /// "为“Guangdong”、“Fujian”之一"), a list term by its name.
    fn membership(&self, item: &Expr, list: &Expr, on: Option<&str>, negated: bool) -> Phrase {
        let lang = self.lang;
        let item = self.wrap(self.phrase(item, on, false), SUM);
        let values: Option<Vec<String>> = match &list.kind {
            ExprKind::List(items) => Some(items.iter().map(|i| self.value_expr(i, on)).collect()),
            ExprKind::Const(Value::List(items)) => Some(
                items
                    .iter()
                    .map(|value| self.value_in(value, true))
                    .collect(),
            ),
            _ => None,
        };
        let text = match values {
            Some(values) => {
                let and = match lang {
                    Lang::En => " and ",
                    Lang::Zh => "、",
                    Lang::De => " und ",
                };
                if let ([first, second], true, Lang::En | Lang::De) =
                    (values.as_slice(), negated, lang)
                {
                    // Two values excluded: "is neither A nor B", "ist weder A noch B".
                    let text = match lang {
                        Lang::De => format!("{item} ist weder {first} noch {second}"),
                        _ => format!("{item} is neither {first} nor {second}"),
                    };
                    return Phrase::new(text, STATEMENT);
                }
                let values = words::list(lang, &values, and);
                match (lang, negated) {
                    (Lang::En, false) => format!("{item} is one of {values}"),
                    (Lang::En, true) => format!("{item} is none of {values}"),
                    (Lang::Zh, false) => format!("{item}为{values}之一"),
                    (Lang::Zh, true) => format!("{item}不为{values}中的任何一个"),
                    (Lang::De, false) => format!("{item} ist einer der Werte {values}"),
                    (Lang::De, true) => format!("{item} ist keiner der Werte {values}"),
                }
            }
            None => {
                let list = self.wrap(self.phrase(list, on, false), SUM);
                match (lang, negated) {
                    (Lang::En, false) => format!("{item} is one of {list}"),
                    (Lang::En, true) => format!("{item} is not one of {list}"),
                    (Lang::Zh, false) => format!("{item}属于{list}"),
                    (Lang::Zh, true) => format!("{item}不属于{list}"),
                    (Lang::De, negated) => format!(
                        "{item} ist {}in {} enthalten",
                        if negated { "nicht " } else { "" },
                        words::decline_de(&list, words::Case::Dat)
                    ),
                }
            }
        };
        Phrase::new(text, STATEMENT)
    }

    /// A boolean leaf where a condition is expected reads as "… is true".
    fn maybe_statement(
        &self,
        expr: &Expr,
        on: Option<&str>,
        must_hold: bool,
        noun: Phrase,
    ) -> Phrase {
        if must_hold && self.leaf_type(expr, on) == Some(Type::Bool) {
            let yes = words::boolean(self.lang, true);
            let text = match self.lang {
                Lang::En => format!("{} is {yes}", noun.text),
                Lang::Zh => format!("{}为{yes}", noun.text),
                Lang::De => format!("{} ist {yes}", noun.text),
            };
            Phrase::new(text, STATEMENT)
        } else {
            noun
        }
    }

    /// `the <field> of <event>` and its translations. English names a field of the event being
    /// judged as what it reports ("the reported gross mass", not "the gross mass of the
    /// event"), and its time as "the time of the event".
    fn field_of(&self, event: &EventRef, field: &str) -> String {
        let owner = event_owner(self.words, self.lang, event);
        match self.lang {
            Lang::En if field != "at" && matches!(event, EventRef::Current | EventRef::Arg) => {
                format!(
                    "the reported {}",
                    self.words.word(self.lang, "field", field)
                )
            }
            Lang::En => format!(
                "the {} of {owner}",
                self.words.word(self.lang, "field", field)
            ),
            Lang::Zh => format!("{owner}的{}", self.words.word(self.lang, "field", field)),
            Lang::De => format!("{} {owner}", self.words.field_de(field)),
        }
    }

    fn arith(&self, op: ArithOp, lhs: &Expr, rhs: &Expr, on: Option<&str>) -> Phrase {
        let is_time = |expr: &Expr| self.leaf_type(expr, on) == Some(Type::Timestamp);
        if op == ArithOp::Sub && is_time(lhs) && is_time(rhs) {
            // `a - b` of two timestamps is the time that passed from b to a.
            let to = self.wrap(self.phrase(lhs, on, false), SUM);
            let from = self.wrap(self.phrase(rhs, on, false), SUM);
            return Phrase::atom(words::time_between(self.lang, &from, &to));
        }
        let strength = match op {
            ArithOp::Add | ArithOp::Sub => SUM,
            ArithOp::Mul | ArithOp::Div => PRODUCT,
        };
        // Left-associative: the right operand of `-` and `/` needs a stronger phrase.
        let right_strength = match op {
            ArithOp::Sub | ArithOp::Div => strength + 1,
            ArithOp::Add | ArithOp::Mul => strength,
        };
        let lhs = self.wrap(self.phrase(lhs, on, false), strength);
        let rhs = self.wrap(self.phrase(rhs, on, false), right_strength);
        Phrase::new(words::arith(self.lang, op, &lhs, &rhs), strength)
    }

    fn call(&self, func: Builtin, args: &[Expr], on: Option<&str>) -> Phrase {
        let lang = self.lang;
        // Arguments of a function of several arguments are parenthesised unless they are
        // atoms, so "the lesser of (A times B) and C" cannot be misread.
        let strength = if args.len() > 1 { ATOM } else { SUM };
        let parts: Vec<String> = args
            .iter()
            .map(|arg| self.wrap(self.phrase(arg, on, false), strength))
            .collect();
        let first = parts.first().cloned().unwrap_or_default();
        let text = match func {
            Builtin::Min | Builtin::Max => {
                let smallest = func == Builtin::Min;
                let two = parts.len() == 2;
                let joined = match lang {
                    Lang::En => words::list(lang, &parts, " and "),
                    Lang::Zh => words::list(lang, &parts, "与"),
                    Lang::De => words::list(lang, &parts, " und "),
                };
                match (lang, smallest, two) {
                    (Lang::En, true, true) => format!("the lesser of {joined}"),
                    (Lang::En, true, false) => format!("the least of {joined}"),
                    (Lang::En, false, true) => format!("the greater of {joined}"),
                    (Lang::En, false, false) => format!("the greatest of {joined}"),
                    (Lang::Zh, true, true) => format!("{joined}中的较小者"),
                    (Lang::Zh, true, false) => format!("{joined}中的最小者"),
                    (Lang::Zh, false, true) => format!("{joined}中的较大者"),
                    (Lang::Zh, false, false) => format!("{joined}中的最大者"),
                    // Apposition in the nominative: each value reads as it stands, with no
                    // article to decline ("aus (A) und dem B" mixed cases).
                    (Lang::De, true, true) => format!("der kleinere der beiden Werte: {joined}"),
                    (Lang::De, true, false) => format!("der kleinste der Werte: {joined}"),
                    (Lang::De, false, true) => format!("der größere der beiden Werte: {joined}"),
                    (Lang::De, false, false) => format!("der größte der Werte: {joined}"),
                }
            }
            Builtin::ConvertTo(unit) => {
                // "a minus b in t" would convert only b: bracket a compound quantity.
                let first = args
                    .first()
                    .map(|arg| self.wrap(self.phrase(arg, on, false), ATOM))
                    .unwrap_or_default();
                let unit = unit_text(lang, unit);
                match lang {
                    Lang::En => format!("{first} in {unit}"),
                    Lang::Zh => format!("{first}（换算为{unit}）"),
                    Lang::De => format!("{first}, umgerechnet in {unit}"),
                }
            }
            Builtin::Abs => match lang {
                Lang::En => format!("the absolute value of {first}"),
                Lang::Zh => format!("{first}的绝对值"),
                // "der Betrag" alone is also an amount of money.
                Lang::De => format!("der Absolutbetrag von {first}"),
            },
            Builtin::Round(mode) => {
                // "X, rounded …" reads as one unit only when X does: bracket a compound X, and
                // let the caller bracket the whole phrase where it is part of something larger.
                let target = args
                    .first()
                    .map_or(words::RoundTarget::Whole, |arg| self.round_target(arg, on));
                let how = words::rounding(lang, mode, target);
                let subject = args
                    .first()
                    .map(|arg| self.wrap(self.phrase(arg, on, false), ATOM))
                    .unwrap_or_default();
                let text = match lang {
                    Lang::En | Lang::De => format!("{subject}, {how}"),
                    Lang::Zh => format!("{subject}（{how}）"),
                };
                return Phrase::new(text, ROUNDED);
            }
            Builtin::Days
            | Builtin::Hours
            | Builtin::Minutes
            | Builtin::Seconds
            | Builtin::CeilDays
            | Builtin::CeilHours => count_of(lang, func, &first),
        };
        Phrase::atom(text)
    }
}

/// `the number of whole days in X`, `the number of hours or part hours in X`, …
fn count_of(lang: Lang, func: Builtin, of: &str) -> String {
    let (en, zh, de) = match func {
        Builtin::Days => ("whole days", "整天数", "die Anzahl der vollen Tage"),
        Builtin::Hours => ("whole hours", "整小时数", "die Anzahl der vollen Stunden"),
        Builtin::Minutes => ("whole minutes", "整分钟数", "die Anzahl der vollen Minuten"),
        // English law says "each day or part of a day"; "started day" is a German calque.
        Builtin::CeilDays => (
            "days or part days",
            "天数（不足一天按一天计）",
            "die Anzahl der angefangenen Tage",
        ),
        Builtin::CeilHours => (
            "hours or part hours",
            "小时数（不足一小时按一小时计）",
            "die Anzahl der angefangenen Stunden",
        ),
        _ => ("seconds", "秒数", "die Anzahl der Sekunden"),
    };
    match lang {
        Lang::En => format!("the number of {en} in {of}"),
        Lang::Zh => format!("{of}的{zh}"),
        Lang::De => format!("{de} in {}", words::decline_de(of, words::Case::Dat)),
    }
}

/// `compact` shows a rate only as its percentage (`0.5 %` rather than `0.005 (0.5 %)`),
/// for parameter values quoted inside a sentence.
pub(super) fn value_text(
    glossary: Glossary<'_>,
    lang: Lang,
    value: &Value,
    compact: bool,
) -> String {
    match value {
        Value::Bool(b) => words::boolean(lang, *b).to_string(),
        Value::Int(i) => i.to_string(),
        Value::Decimal(d) => {
            // A decimal below one with two or more places is almost always a rate: show the
            // percentage too, so `0.005` reads as `0.005 (0.5 %)`.
            let plain = words::number(lang, &d.to_string());
            let below_one = d.mantissa.unsigned_abs() < 10u64.pow(u32::from(d.scale));
            if d.scale >= 2 && below_one && d.mantissa != 0 {
                let percent = crate::value::Decimal {
                    mantissa: d.mantissa,
                    scale: d.scale - 2,
                }
                .normalized();
                let percent = words::number(lang, &percent.to_string());
                // English and Chinese write `0.5%`; German sets a space (`0,5 %`, DIN 5008).
                match lang {
                    Lang::En | Lang::Zh if compact => format!("{percent}%"),
                    Lang::De if compact => format!("{percent} %"),
                    Lang::Zh => format!("{plain}（{percent}%）"),
                    Lang::En => format!("{plain} ({percent}%)"),
                    Lang::De => format!("{plain} ({percent} %)"),
                }
            } else {
                plain
            }
        }
        Value::Money(m) => words::number(lang, &m.to_string()),
        Value::Quantity(q) => quantity_text(lang, q),
        Value::Rate(rate) => rate_text(lang, rate),
        Value::Duration(seconds) => words::duration(lang, *seconds),
        Value::Timestamp(seconds) => {
            let stamp = DisplayTimestamp(*seconds).to_string();
            // `2026-03-01T00:00:00Z` → `2026-03-01 00:00:00 UTC`.
            match stamp.strip_suffix('Z') {
                Some(rest) => format!("{} UTC", rest.replacen('T', " ", 1)),
                None => stamp,
            }
        }
        Value::Text(text) => words::quoted(lang, text),
        Value::Enum(value) => glossary.word(lang, "variant", &value.variant),
        Value::List(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| value_text(glossary, lang, item, false))
                .collect();
            match lang {
                Lang::Zh => format!("[{}]", items.join("、")),
                Lang::En | Lang::De => format!("[{}]", items.join(", ")),
            }
        }
        Value::Record(_) => value.to_string(),
    }
}

/// A unit as the language writes it after a number: `kg`, `m³`, `件`, `Stück`.
pub(super) fn unit_text(lang: Lang, unit: crate::value::Unit) -> &'static str {
    use crate::value::Unit;
    match (lang, unit) {
        (Lang::Zh, Unit::Piece) => "件",
        (Lang::De, Unit::Piece) => "Stück",
        (_, Unit::CubicMetre) => crate::quantity::CUBIC_METRE_SYMBOL,
        (_, unit) => unit.code(),
    }
}

/// A price per unit as a slash, like the worked amounts' `150.00 EUR/h`: `150.00 EUR/t`,
/// `150,00 EUR/t`, `2,00 EUR/Stück`.
pub(crate) fn rate_text(lang: Lang, rate: &crate::value::Rate) -> String {
    format!(
        "{}/{}",
        words::number(lang, &rate.price.to_string()),
        unit_text(lang, rate.per)
    )
}

/// A quantity in the unit it was written in, never converted (what the parties agreed is in
/// that unit): `2.5 t`, `2,5 t`; pieces read `100 pcs`, `100件`, `100 Stück`. Symbols of SI
/// units and `TEU`/`FEU` are the same in every language; `m3` is shown as `m³`.
pub(crate) fn quantity_text(lang: Lang, quantity: &crate::value::Quantity) -> String {
    let unit = unit_text(lang, quantity.unit);
    let amount = words::number(lang, &quantity.amount.to_string());
    // Chinese sets no space before a Chinese unit (`100件`); symbols keep theirs (`20 t`).
    if unit.chars().all(|c| c.is_ascii() || c == '³') {
        format!("{amount} {unit}")
    } else {
        words::counted(lang, amount, unit)
    }
}
