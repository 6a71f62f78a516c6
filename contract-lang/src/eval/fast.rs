//! The typed fast path: rules lowered once into trees whose nodes know their type, so
//! evaluating them moves plain `i64`s and `bool`s in registers instead of tagged values.
//!
//! Only the common shape is lowered: conditions and amounts over ints, durations, timestamps,
//! money and bools (reads, `+ - *`, comparisons, `and`/`or`/`not`, `min`/`max`/`abs`, the
//! duration units), and the actions `pay`/`refund`/`compensate`, `set` of such values,
//! `notify` with a literal text, `activate`/`deactivate` and `review`. Anything else — a rate,
//! an enum, a list, a predicate — leaves the rule on the general evaluator.
//!
//! The fast path never decides anything the general one would decide differently: whenever
//! it meets something other than a clean result (a missing fact or term, data of an
//! unexpected kind, an overflow, a currency mismatch) it gives up on the rule with [`Bail`]
//! and the general evaluator runs the rule from the start, so every error, missing read and
//! trace comes from one place. Tests check both paths agree on every evaluation case.

use super::{Effect, Event, State};
use crate::ir::{
    Action, ArithOp, Builtin, ClauseIr, CompareOp, EventRef, Expr, ExprKind, RuleIr, TransferKind,
};
use crate::value::{Currency, Money, Type, Value, MAX_TIMESTAMP, MIN_TIMESTAMP};
use std::borrow::Cow;
use std::cmp::Ordering;

/// The fast path gave up; the general evaluator decides.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bail;

type Fast<T> = Result<T, Bail>;

/// What an `i64` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Count {
    Int,
    Duration,
    Timestamp,
}

impl Count {
    fn of(ty: &Type) -> Option<Count> {
        match ty {
            Type::Int => Some(Count::Int),
            Type::Duration => Some(Count::Duration),
            Type::Timestamp => Some(Count::Timestamp),
            _ => None,
        }
    }

    fn read(self, value: &Value) -> Fast<i64> {
        match (self, value) {
            (Count::Int, Value::Int(i))
            | (Count::Duration, Value::Duration(i))
            | (Count::Timestamp, Value::Timestamp(i)) => Ok(*i),
            _ => Err(Bail),
        }
    }

    fn value(self, i: i64) -> Value {
        match self {
            Count::Int => Value::Int(i),
            Count::Duration => Value::Duration(i),
            Count::Timestamp => Value::Timestamp(i),
        }
    }
}

/// Where a leaf reads from.
enum Read<'a> {
    Param(usize),
    Term(&'a String),
    EventAt(&'a EventRef),
    EventField(&'a EventRef, &'a String),
}

enum IntNode<'a> {
    Const(i64),
    Read(Read<'a>, Count),
    Add(Box<IntNode<'a>>, Box<IntNode<'a>>),
    Sub(Box<IntNode<'a>>, Box<IntNode<'a>>),
    Mul(Box<IntNode<'a>>, Box<IntNode<'a>>),
    /// `timestamp ± duration`, kept within the representable years.
    Shift {
        base: Box<IntNode<'a>>,
        by: Box<IntNode<'a>>,
        subtract: bool,
        duration_first: bool,
    },
    Neg(Box<IntNode<'a>>),
    Abs(Box<IntNode<'a>>),
    /// Whole (or started) units of a duration.
    Units {
        of: Box<IntNode<'a>>,
        seconds: i64,
        ceiling: bool,
    },
    Min(Vec<IntNode<'a>>),
    Max(Vec<IntNode<'a>>),
}

enum MoneyNode<'a> {
    Const(Money),
    Read(Read<'a>),
    Add(Box<MoneyNode<'a>>, Box<MoneyNode<'a>>),
    Sub(Box<MoneyNode<'a>>, Box<MoneyNode<'a>>),
    Scale(Box<MoneyNode<'a>>, Box<IntNode<'a>>),
    ScaleFirst(Box<IntNode<'a>>, Box<MoneyNode<'a>>),
    Neg(Box<MoneyNode<'a>>),
    Abs(Box<MoneyNode<'a>>),
    Min(Vec<MoneyNode<'a>>),
    Max(Vec<MoneyNode<'a>>),
}

enum BoolNode<'a> {
    Const(bool),
    Read(Read<'a>),
    Not(Box<BoolNode<'a>>),
    And(Box<BoolNode<'a>>, Box<BoolNode<'a>>),
    Or(Box<BoolNode<'a>>, Box<BoolNode<'a>>),
    Ints(CompareOp, IntNode<'a>, IntNode<'a>),
    Moneys(CompareOp, MoneyNode<'a>, MoneyNode<'a>),
    Bools(CompareOp, Box<BoolNode<'a>>, Box<BoolNode<'a>>),
}

/// A condition, with the site of each top-level conjunct (for "condition is false at …").
struct Condition<'a> {
    conjuncts: Vec<(BoolNode<'a>, u32)>,
}

enum FastAction<'a> {
    Transfer {
        kind: TransferKind,
        from: &'a str,
        to: &'a str,
        amount: MoneyNode<'a>,
    },
    SetCount {
        term: &'a str,
        value: IntNode<'a>,
        count: Count,
    },
    SetMoney {
        term: &'a str,
        value: MoneyNode<'a>,
    },
    SetBool {
        term: &'a str,
        value: BoolNode<'a>,
    },
    Notify {
        party: &'a str,
        message: &'a str,
    },
    Activate {
        clause: &'a str,
        active: bool,
    },
    Review {
        reason: &'a str,
    },
}

/// A rule lowered for the fast path.
pub(crate) struct FastRule<'a> {
    when: Option<Condition<'a>>,
    actions: Vec<FastAction<'a>>,
}

/// Lowers IR into typed nodes, or says the rule stays on the general path.
struct Lowering<'a> {
    ir: &'a ClauseIr,
    on: &'a str,
}

impl<'a> Lowering<'a> {
    fn read_type(&self, read: &Read<'a>) -> Option<Type> {
        match read {
            Read::Param(index) => self.ir.params.get(*index).map(|param| param.ty.clone()),
            Read::Term(name) => self.ir.terms.get(*name).cloned(),
            Read::EventAt(_) => Some(Type::Timestamp),
            Read::EventField(event, field) => {
                let kind = match event {
                    EventRef::Current => self.on,
                    EventRef::Fact(kind) => kind.as_str(),
                    EventRef::Arg => return None,
                };
                self.ir.events.get(kind)?.get(*field).cloned()
            }
        }
    }

    fn read(&self, expr: &'a Expr) -> Option<(Read<'a>, Type)> {
        let read = match &expr.kind {
            ExprKind::Param(index) => Read::Param(*index as usize),
            ExprKind::Term(name) => Read::Term(name),
            ExprKind::EventAt(event) if *event != EventRef::Arg => Read::EventAt(event),
            ExprKind::EventField { event, field } if *event != EventRef::Arg => {
                Read::EventField(event, field)
            }
            _ => return None,
        };
        let ty = self.read_type(&read)?;
        Some((read, ty))
    }

    fn int(&self, expr: &'a Expr) -> Option<(IntNode<'a>, Count)> {
        if let Some((read, ty)) = self.read(expr) {
            let count = Count::of(&ty)?;
            return Some((IntNode::Read(read, count), count));
        }
        let boxed = |(node, count): (IntNode<'a>, Count)| (Box::new(node), count);
        Some(match &expr.kind {
            ExprKind::Const(Value::Int(i)) => (IntNode::Const(*i), Count::Int),
            ExprKind::Const(Value::Duration(d)) => (IntNode::Const(*d), Count::Duration),
            ExprKind::Period { seconds, .. } => (IntNode::Const(*seconds), Count::Duration),
            ExprKind::Const(Value::Timestamp(t)) => (IntNode::Const(*t), Count::Timestamp),
            ExprKind::Arith { op, lhs, rhs } => {
                let (l, lc) = boxed(self.int(lhs)?);
                let (r, rc) = boxed(self.int(rhs)?);
                use Count::{Duration as D, Int as I, Timestamp as T};
                match (op, lc, rc) {
                    (ArithOp::Add, I, I) => (IntNode::Add(l, r), I),
                    (ArithOp::Add, D, D) => (IntNode::Add(l, r), D),
                    (ArithOp::Sub, I, I) => (IntNode::Sub(l, r), I),
                    (ArithOp::Sub, D, D) => (IntNode::Sub(l, r), D),
                    (ArithOp::Sub, T, T) => (IntNode::Sub(l, r), D),
                    (ArithOp::Mul, I, I) => (IntNode::Mul(l, r), I),
                    (ArithOp::Mul, D, I) | (ArithOp::Mul, I, D) => (IntNode::Mul(l, r), D),
                    (ArithOp::Add, T, D) | (ArithOp::Sub, T, D) => (
                        IntNode::Shift {
                            base: l,
                            by: r,
                            subtract: *op == ArithOp::Sub,
                            duration_first: false,
                        },
                        T,
                    ),
                    (ArithOp::Add, D, T) => (
                        IntNode::Shift {
                            base: r,
                            by: l,
                            subtract: false,
                            duration_first: true,
                        },
                        T,
                    ),
                    _ => return None,
                }
            }
            ExprKind::Neg(inner) => {
                let (inner, count) = boxed(self.int(inner)?);
                if count == Count::Timestamp {
                    return None;
                }
                (IntNode::Neg(inner), count)
            }
            ExprKind::Call { func, args } => match (func, args.as_slice()) {
                (Builtin::Abs, [arg]) => {
                    let (inner, count) = boxed(self.int(arg)?);
                    if count == Count::Timestamp {
                        return None;
                    }
                    (IntNode::Abs(inner), count)
                }
                (Builtin::Round(_), [arg]) => {
                    let (inner, count) = self.int(arg)?;
                    if count == Count::Timestamp {
                        return None;
                    }
                    (inner, count)
                }
                (Builtin::Min | Builtin::Max, [_, _, ..]) => {
                    let mut nodes = Vec::new();
                    let mut common = None;
                    for arg in args {
                        let (node, count) = self.int(arg)?;
                        if *common.get_or_insert(count) != count {
                            return None;
                        }
                        nodes.push(node);
                    }
                    let node = if *func == Builtin::Min {
                        IntNode::Min(nodes)
                    } else {
                        IntNode::Max(nodes)
                    };
                    (node, common?)
                }
                (unit_fn, [arg]) => {
                    let (seconds, ceiling) = match unit_fn {
                        Builtin::Days => (86_400, false),
                        Builtin::Hours => (3_600, false),
                        Builtin::Minutes => (60, false),
                        Builtin::Seconds => (1, false),
                        Builtin::CeilDays => (86_400, true),
                        Builtin::CeilHours => (3_600, true),
                        _ => return None,
                    };
                    let (of, count) = boxed(self.int(arg)?);
                    if count != Count::Duration {
                        return None;
                    }
                    (
                        IntNode::Units {
                            of,
                            seconds,
                            ceiling,
                        },
                        Count::Int,
                    )
                }
                _ => return None,
            },
            _ => return None,
        })
    }

    fn money(&self, expr: &'a Expr) -> Option<MoneyNode<'a>> {
        if let Some((read, ty)) = self.read(expr) {
            return (ty == Type::Money).then_some(MoneyNode::Read(read));
        }
        Some(match &expr.kind {
            ExprKind::Const(Value::Money(m)) => MoneyNode::Const(*m),
            ExprKind::Arith { op, lhs, rhs } => match op {
                ArithOp::Add => {
                    MoneyNode::Add(Box::new(self.money(lhs)?), Box::new(self.money(rhs)?))
                }
                ArithOp::Sub => {
                    MoneyNode::Sub(Box::new(self.money(lhs)?), Box::new(self.money(rhs)?))
                }
                ArithOp::Mul => match (self.money(lhs), self.int(rhs)) {
                    (Some(money), Some((factor, Count::Int))) => {
                        MoneyNode::Scale(Box::new(money), Box::new(factor))
                    }
                    _ => match (self.int(lhs)?, self.money(rhs)?) {
                        ((factor, Count::Int), money) => {
                            MoneyNode::ScaleFirst(Box::new(factor), Box::new(money))
                        }
                        _ => return None,
                    },
                },
                ArithOp::Div => return None,
            },
            ExprKind::Neg(inner) => MoneyNode::Neg(Box::new(self.money(inner)?)),
            ExprKind::Call { func, args } => match (func, args.as_slice()) {
                (Builtin::Abs, [arg]) => MoneyNode::Abs(Box::new(self.money(arg)?)),
                (Builtin::Round(_), [arg]) => self.money(arg)?,
                (Builtin::Min | Builtin::Max, [_, _, ..]) => {
                    let nodes = args
                        .iter()
                        .map(|arg| self.money(arg))
                        .collect::<Option<Vec<_>>>()?;
                    if *func == Builtin::Min {
                        MoneyNode::Min(nodes)
                    } else {
                        MoneyNode::Max(nodes)
                    }
                }
                _ => return None,
            },
            _ => return None,
        })
    }

    fn boolean(&self, expr: &'a Expr) -> Option<BoolNode<'a>> {
        if let Some((read, ty)) = self.read(expr) {
            return (ty == Type::Bool).then_some(BoolNode::Read(read));
        }
        Some(match &expr.kind {
            ExprKind::Const(Value::Bool(b)) => BoolNode::Const(*b),
            ExprKind::Not(inner) => BoolNode::Not(Box::new(self.boolean(inner)?)),
            ExprKind::And(lhs, rhs) => {
                BoolNode::And(Box::new(self.boolean(lhs)?), Box::new(self.boolean(rhs)?))
            }
            ExprKind::Or(lhs, rhs) => {
                BoolNode::Or(Box::new(self.boolean(lhs)?), Box::new(self.boolean(rhs)?))
            }
            ExprKind::Compare { op, lhs, rhs } => {
                if let (Some((l, lc)), Some((r, rc))) = (self.int(lhs), self.int(rhs)) {
                    if lc != rc {
                        return None;
                    }
                    BoolNode::Ints(*op, l, r)
                } else if let (Some(l), Some(r)) = (self.money(lhs), self.money(rhs)) {
                    BoolNode::Moneys(*op, l, r)
                } else if matches!(op, CompareOp::Eq | CompareOp::Ne) {
                    BoolNode::Bools(
                        *op,
                        Box::new(self.boolean(lhs)?),
                        Box::new(self.boolean(rhs)?),
                    )
                } else {
                    return None;
                }
            }
            _ => return None,
        })
    }

    fn condition(&self, expr: &'a Expr) -> Option<Condition<'a>> {
        // Mirrors the general evaluator: the top-level `and` chain is split so a false
        // conjunct can be named.
        fn flatten<'e>(expr: &'e Expr, out: &mut Vec<&'e Expr>) {
            if let ExprKind::And(lhs, rhs) = &expr.kind {
                flatten(lhs, out);
                flatten(rhs, out);
            } else {
                out.push(expr);
            }
        }
        let mut parts = Vec::new();
        flatten(expr, &mut parts);
        let conjuncts = parts
            .into_iter()
            .map(|part| Some((self.boolean(part)?, part.site)))
            .collect::<Option<Vec<_>>>()?;
        Some(Condition { conjuncts })
    }

    fn action(&self, action: &'a Action) -> Option<FastAction<'a>> {
        Some(match action {
            Action::Transfer {
                kind,
                from,
                to,
                amount,
            } => FastAction::Transfer {
                kind: *kind,
                from,
                to,
                amount: self.money(amount)?,
            },
            Action::Set { term, value } => match self.ir.terms.get(term)? {
                Type::Money => FastAction::SetMoney {
                    term,
                    value: self.money(value)?,
                },
                Type::Bool => FastAction::SetBool {
                    term,
                    value: self.boolean(value)?,
                },
                ty => {
                    let (value, count) = self.int(value)?;
                    if Count::of(ty) != Some(count) {
                        return None;
                    }
                    FastAction::SetCount { term, value, count }
                }
            },
            Action::Notify { party, message } => match &message.kind {
                ExprKind::Const(Value::Text(text)) => FastAction::Notify {
                    party,
                    message: text,
                },
                _ => return None,
            },
            Action::Activate { clause } => FastAction::Activate {
                clause,
                active: true,
            },
            Action::Deactivate { clause } => FastAction::Activate {
                clause,
                active: false,
            },
            Action::Review { reason } => FastAction::Review { reason },
        })
    }
}

/// Lowers a rule, or `None` if it needs the general evaluator.
pub(crate) fn lower<'a>(ir: &'a ClauseIr, rule: &'a RuleIr) -> Option<FastRule<'a>> {
    if rule.option.is_some() {
        return None;
    }
    let lowering = Lowering { ir, on: &rule.on };
    let when = match &rule.when {
        Some(when) => Some(lowering.condition(when)?),
        None => None,
    };
    let actions = rule
        .actions
        .iter()
        .map(|action| lowering.action(action))
        .collect::<Option<Vec<_>>>()?;
    Some(FastRule { when, actions })
}

/// What the fast nodes read.
pub(crate) struct FastEnv<'p, 'a> {
    pub params: &'p [&'a Value],
    pub state: &'a State,
    pub event: &'a Event,
}

impl<'a> FastEnv<'_, 'a> {
    fn event_of(&self, event: &EventRef) -> Fast<&'a Event> {
        match event {
            EventRef::Current => Ok(self.event),
            EventRef::Fact(kind) if *kind == self.event.kind => Ok(self.event),
            EventRef::Fact(kind) => self.state.facts.get(kind).ok_or(Bail),
            EventRef::Arg => Err(Bail),
        }
    }

    fn value(&self, read: &Read<'_>) -> Fast<&'a Value> {
        match read {
            Read::Param(index) => self.params.get(*index).copied().ok_or(Bail),
            Read::Term(name) => self.state.terms.get(*name).ok_or(Bail),
            Read::EventField(event, field) => self.event_of(event)?.fields.get(*field).ok_or(Bail),
            Read::EventAt(_) => Err(Bail),
        }
    }

    fn int(&self, node: &IntNode<'_>) -> Fast<i64> {
        match node {
            IntNode::Const(i) => Ok(*i),
            IntNode::Read(Read::EventAt(event), _) => Ok(self.event_of(event)?.at),
            IntNode::Read(read, count) => count.read(self.value(read)?),
            IntNode::Add(l, r) => self.int(l)?.checked_add(self.int(r)?).ok_or(Bail),
            IntNode::Sub(l, r) => self.int(l)?.checked_sub(self.int(r)?).ok_or(Bail),
            IntNode::Mul(l, r) => self.int(l)?.checked_mul(self.int(r)?).ok_or(Bail),
            IntNode::Shift {
                base,
                by,
                subtract,
                duration_first,
            } => {
                // Evaluate in source order.
                let (base, by) = if *duration_first {
                    let by = self.int(by)?;
                    (self.int(base)?, by)
                } else {
                    (self.int(base)?, self.int(by)?)
                };
                let shifted = if *subtract {
                    base.checked_sub(by)
                } else {
                    base.checked_add(by)
                };
                shifted
                    .filter(|t| (MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(t))
                    .ok_or(Bail)
            }
            IntNode::Neg(inner) => self.int(inner)?.checked_neg().ok_or(Bail),
            IntNode::Abs(inner) => self.int(inner)?.checked_abs().ok_or(Bail),
            IntNode::Units {
                of,
                seconds,
                ceiling,
            } => {
                let value = self.int(of)?;
                let started = *ceiling && value.rem_euclid(*seconds) != 0;
                Ok(value.div_euclid(*seconds) + i64::from(started))
            }
            IntNode::Min(nodes) | IntNode::Max(nodes) => {
                let want = if matches!(node, IntNode::Min(_)) {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
                let mut best: Option<i64> = None;
                for node in nodes {
                    let candidate = self.int(node)?;
                    best = Some(match best {
                        Some(current) if current.cmp(&candidate) != want => current,
                        _ => candidate,
                    });
                }
                best.ok_or(Bail)
            }
        }
    }

    /// Minor units; the currency goes to `currency`.
    fn money(&self, node: &MoneyNode<'_>, currency: &mut Currency) -> Fast<i64> {
        match node {
            MoneyNode::Const(money) => {
                *currency = money.currency;
                Ok(money.minor)
            }
            MoneyNode::Read(read) => match self.value(read)? {
                Value::Money(money) => {
                    *currency = money.currency;
                    Ok(money.minor)
                }
                _ => Err(Bail),
            },
            MoneyNode::Add(l, r) | MoneyNode::Sub(l, r) => {
                let left = self.money(l, currency)?;
                let left_currency = *currency;
                let right = self.money(r, currency)?;
                if *currency != left_currency {
                    return Err(Bail);
                }
                match node {
                    MoneyNode::Add(..) => left.checked_add(right),
                    _ => left.checked_sub(right),
                }
                .ok_or(Bail)
            }
            MoneyNode::Scale(money, factor) => {
                let minor = self.money(money, currency)?;
                minor.checked_mul(self.int(factor)?).ok_or(Bail)
            }
            MoneyNode::ScaleFirst(factor, money) => {
                let factor = self.int(factor)?;
                self.money(money, currency)?.checked_mul(factor).ok_or(Bail)
            }
            MoneyNode::Neg(inner) => self.money(inner, currency)?.checked_neg().ok_or(Bail),
            MoneyNode::Abs(inner) => self.money(inner, currency)?.checked_abs().ok_or(Bail),
            MoneyNode::Min(nodes) | MoneyNode::Max(nodes) => {
                let want = if matches!(node, MoneyNode::Min(_)) {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
                let mut best: Option<(i64, Currency)> = None;
                for node in nodes {
                    let candidate = self.money(node, currency)?;
                    best = Some(match best {
                        Some((current, current_currency)) => {
                            if current_currency != *currency {
                                return Err(Bail);
                            }
                            if current.cmp(&candidate) != want {
                                (current, current_currency)
                            } else {
                                (candidate, *currency)
                            }
                        }
                        None => (candidate, *currency),
                    });
                }
                let (minor, best_currency) = best.ok_or(Bail)?;
                *currency = best_currency;
                Ok(minor)
            }
        }
    }

    fn boolean(&self, node: &BoolNode<'_>) -> Fast<bool> {
        match node {
            BoolNode::Const(b) => Ok(*b),
            BoolNode::Read(read) => match self.value(read)? {
                Value::Bool(b) => Ok(*b),
                _ => Err(Bail),
            },
            BoolNode::Not(inner) => Ok(!self.boolean(inner)?),
            BoolNode::And(l, r) => Ok(self.boolean(l)? && self.boolean(r)?),
            BoolNode::Or(l, r) => Ok(self.boolean(l)? || self.boolean(r)?),
            BoolNode::Ints(op, l, r) => {
                let left = self.int(l)?;
                Ok(holds(*op, left.cmp(&self.int(r)?)))
            }
            BoolNode::Moneys(op, l, r) => {
                let mut currency = placeholder_currency();
                let left = self.money(l, &mut currency)?;
                let left_currency = currency;
                let right = self.money(r, &mut currency)?;
                if currency != left_currency {
                    return Err(Bail);
                }
                Ok(holds(*op, left.cmp(&right)))
            }
            BoolNode::Bools(op, l, r) => {
                let left = self.boolean(l)?;
                Ok(holds(*op, left.cmp(&self.boolean(r)?)))
            }
        }
    }

    /// Runs a lowered rule: `Ok(None)` if it fired (effects pushed), `Ok(Some(site))` if its
    /// condition was false there.
    pub fn run(&self, rule: &FastRule<'a>, effects: &mut Vec<Effect<'a>>) -> Fast<Option<u32>> {
        if let Some(when) = &rule.when {
            for (conjunct, site) in &when.conjuncts {
                if !self.boolean(conjunct)? {
                    return Ok(Some(*site));
                }
            }
        }
        for action in &rule.actions {
            let effect = match action {
                FastAction::Transfer {
                    kind,
                    from,
                    to,
                    amount,
                } => {
                    let mut currency = placeholder_currency();
                    let minor = self.money(amount, &mut currency)?;
                    if minor < 0 {
                        // The general evaluator reports it as an error with its span.
                        return Err(Bail);
                    }
                    Effect::Transfer {
                        kind: *kind,
                        from,
                        to,
                        amount: Money { minor, currency },
                    }
                }
                FastAction::SetCount { term, value, count } => Effect::Set {
                    term,
                    value: count.value(self.int(value)?),
                },
                FastAction::SetMoney { term, value } => {
                    let mut currency = placeholder_currency();
                    let minor = self.money(value, &mut currency)?;
                    Effect::Set {
                        term,
                        value: Value::Money(Money { minor, currency }),
                    }
                }
                FastAction::SetBool { term, value } => Effect::Set {
                    term,
                    value: Value::Bool(self.boolean(value)?),
                },
                FastAction::Notify { party, message } => Effect::Notify {
                    party,
                    message: Cow::Borrowed(message),
                },
                FastAction::Activate { clause, active } => Effect::Activate {
                    clause,
                    active: *active,
                },
                FastAction::Review { reason } => Effect::Review { reason },
            };
            effects.push(effect);
        }
        Ok(None)
    }
}

fn holds(op: CompareOp, order: Ordering) -> bool {
    match op {
        CompareOp::Eq => order.is_eq(),
        CompareOp::Ne => order.is_ne(),
        CompareOp::Lt => order.is_lt(),
        CompareOp::Le => order.is_le(),
        CompareOp::Gt => order.is_gt(),
        CompareOp::Ge => order.is_ge(),
    }
}

/// Overwritten by the first money a node reads; every money node writes its currency.
fn placeholder_currency() -> Currency {
    Currency::EUR
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::{compile_program, SourceInput};

    const SOURCE: &str = r#"
enum level { green, red }
terms { due: timestamp, price: money, late: bool, count: int }
event delivered { level: level, by: duration }

clause lowering {
  param rate: money = 150.00 EUR
  on delivered when event.at > terms.due and not terms.late
    then pay seller -> buyer min(hours(event.at - terms.due) * rate, terms.price)
  on delivered then set terms.count = terms.count * 2 + days(event.by)
  on delivered then { set terms.late = terms.price >= 10.00 EUR  notify buyer "late" review "check" }
  on delivered when event.level >= red then review "an enum: general path"
  on delivered then pay seller -> buyer round(terms.price * 0.5%, half_up)
  on delivered then set terms.due = terms.due + event.by
}
"#;

    #[test]
    fn rules_of_scalars_and_money_are_lowered_the_rest_are_not() {
        let sources = [SourceInput {
            name: "lowering.clause".into(),
            text: SOURCE.into(),
        }];
        let program = compile_program(&sources).program.expect("compiles");
        let ir = &program.clauses[0].ir;
        let lowered: Vec<bool> = ir
            .rules
            .iter()
            .map(|rule| lower(ir, rule).is_some())
            .collect();
        assert_eq!(lowered, [true, true, true, false, false, true]);
    }
}
