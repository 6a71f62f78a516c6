//! Expected effects, written in the language's own action syntax, and their comparison with
//! an outcome's effects.
//!
//! `set terms.transport_mode = air`, `pay seller -> buyer 150.00 EUR`,
//! `notify carrier "revise waybill"`, `review "reason"`, `activate x`, `deactivate x`. Values
//! are typed by the vocabulary and compared as the language compares them (`1.50 == 1.5`), so
//! an expectation does not depend on how an amount happens to be written.

use std::fmt;

use super::values::from_source;
use crate::eval::Outcome;
use crate::ir::TransferKind;
use crate::value::{DisplayText, Money, Type, Value};
use crate::vocab::Vocabulary;

/// One effect of an event, independent of which rule caused it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Set {
        term: String,
        value: Value,
    },
    Transfer {
        kind: TransferKind,
        from: String,
        to: String,
        amount: Money,
    },
    Notify {
        party: String,
        message: String,
    },
    Activate {
        clause: String,
        active: bool,
    },
    Review {
        reason: String,
    },
}

impl Effect {
    /// Equality as the language defines it for the values involved.
    pub fn matches(&self, other: &Effect) -> bool {
        match (self, other) {
            (
                Effect::Set { term, value },
                Effect::Set {
                    term: other_term,
                    value: other_value,
                },
            ) => term == other_term && value.lang_eq(other_value),
            _ => self == other,
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::Set { term, value } => write!(f, "set terms.{term} = {value}"),
            Effect::Transfer {
                kind,
                from,
                to,
                amount,
            } => write!(f, "{} {from} -> {to} {amount}", kind.keyword()),
            Effect::Notify { party, message } => {
                write!(f, "notify {party} {}", DisplayText(message))
            }
            Effect::Activate { clause, active } => {
                let verb = if *active { "activate" } else { "deactivate" };
                write!(f, "{verb} {clause}")
            }
            Effect::Review { reason } => write!(f, "review {}", DisplayText(reason)),
        }
    }
}

/// Every applied effect of an outcome, in outcome order.
pub fn of_outcome(outcome: &Outcome) -> Vec<Effect> {
    let mut effects: Vec<Effect> = outcome
        .amendments
        .iter()
        .map(|a| Effect::Set {
            term: a.term.clone(),
            value: a.value.clone(),
        })
        .collect();
    effects.extend(outcome.transfers.iter().map(|t| Effect::Transfer {
        kind: t.kind,
        from: t.from.clone(),
        to: t.to.clone(),
        amount: t.amount,
    }));
    effects.extend(outcome.notifications.iter().map(|n| Effect::Notify {
        party: n.party.clone(),
        message: n.message.clone(),
    }));
    effects.extend(outcome.activations.iter().map(|a| Effect::Activate {
        clause: a.clause.clone(),
        active: a.active,
    }));
    effects.extend(outcome.reviews.iter().map(|r| Effect::Review {
        reason: r.reason.clone(),
    }));
    effects
}

/// Parses an expected effect such as `pay seller -> buyer 150.00 EUR`.
pub fn parse(text: &str, vocabulary: &Vocabulary) -> Result<Effect, String> {
    let text = text.trim();
    let (verb, rest) = split_word(text);
    match verb {
        "set" => {
            let (target, value) = rest
                .split_once('=')
                .ok_or_else(|| format!("`{text}`: expected `set terms.NAME = VALUE`"))?;
            let term = target
                .trim()
                .strip_prefix("terms.")
                .ok_or_else(|| format!("`{text}`: only `terms.NAME` can be set"))?;
            let ty = vocabulary
                .terms
                .get(term)
                .ok_or_else(|| format!("`{text}`: no term `{term}` is declared"))?;
            let value = from_source(value.trim(), ty, vocabulary)?;
            Ok(Effect::Set {
                term: term.to_string(),
                value,
            })
        }
        "pay" | "refund" | "compensate" => {
            let kind = match verb {
                "pay" => TransferKind::Pay,
                "refund" => TransferKind::Refund,
                _ => TransferKind::Compensate,
            };
            let (from, rest) = split_word(rest);
            let rest = rest
                .strip_prefix("->")
                .ok_or_else(|| format!("`{text}`: expected `{verb} FROM -> TO AMOUNT`"))?;
            let (to, amount) = split_word(rest.trim_start());
            if from.is_empty() || to.is_empty() {
                return Err(format!("`{text}`: expected `{verb} FROM -> TO AMOUNT`"));
            }
            match from_source(amount, &Type::Money, vocabulary)? {
                Value::Money(amount) => Ok(Effect::Transfer {
                    kind,
                    from: from.to_string(),
                    to: to.to_string(),
                    amount,
                }),
                _ => Err(format!("`{text}`: the amount is not money")),
            }
        }
        "notify" => {
            let (party, message) = split_word(rest);
            Ok(Effect::Notify {
                party: party.to_string(),
                message: text_value(message, vocabulary)?,
            })
        }
        "review" => Ok(Effect::Review {
            reason: text_value(rest, vocabulary)?,
        }),
        "activate" | "deactivate" if !rest.is_empty() && !rest.contains(char::is_whitespace) => {
            Ok(Effect::Activate {
                clause: rest.to_string(),
                active: verb == "activate",
            })
        }
        _ => Err(format!(
            "`{text}` is not an effect: write it as an action, e.g. `pay seller -> buyer 150.00 EUR`, \
             `set terms.NAME = VALUE`, `notify PARTY \"…\"`, `review \"…\"`, `activate NAME`"
        )),
    }
}

fn text_value(source: &str, vocabulary: &Vocabulary) -> Result<String, String> {
    match from_source(source, &Type::Text, vocabulary)? {
        Value::Text(text) => Ok(text),
        _ => Err(format!("`{source}` is not a text")),
    }
}

/// The first whitespace-separated word and the trimmed rest.
fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.find(char::is_whitespace) {
        Some(end) => (&text[..end], text[end..].trim()),
        None => (text, ""),
    }
}

/// Compares expected and actual effects as multisets; returns one message per difference.
pub fn compare(expected: &[Effect], actual: &[Effect]) -> Vec<String> {
    let mut unmatched: Vec<&Effect> = actual.iter().collect();
    let mut problems = Vec::new();
    for want in expected {
        match unmatched.iter().position(|have| want.matches(have)) {
            Some(index) => {
                unmatched.remove(index);
            }
            None => problems.push(format!("expected `{want}`, which did not happen")),
        }
    }
    for extra in unmatched {
        problems.push(format!("unexpected `{extra}`"));
    }
    problems
}
