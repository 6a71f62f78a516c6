//! Natural-language rendering of compiled clauses in English, Chinese and German.
//!
//! The text is generated from the compiled IR, never from the source, so what a party reads
//! is exactly what runs: the title, the parameters with the values that apply, the definitions
//! (predicates, with their per-jurisdiction cases) and every rule as "When <event>, if
//! <condition>, then <actions>." Vocabulary words come from a small [`glossary`]; anything it
//! does not know is quoted as the clause writes it.

mod expr;
pub mod glossary;
mod words;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::ir::{Action, ClauseId, ClauseIr, EventRef, ExprKind, RuleIr, TransferKind};
use crate::value::Value;

use expr::Renderer;

/// A language a clause can be rendered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    En,
    Zh,
    De,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Zh, Lang::De];

    /// The language code used by `title` items and `--lang` (`en`, `zh`, `de`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
            Lang::De => "de",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|lang| lang.code() == code)
    }
}

/// Renders `clause` in `lang`. `bound` holds the parameter values an order agreed on; any
/// parameter it does not list is shown with its default.
pub fn render_clause(clause: &ClauseIr, bound: &BTreeMap<String, Value>, lang: Lang) -> String {
    let headings = words::headings(lang);
    let renderer = Renderer::new(clause, bound, lang);
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = writeln!(out, "{}", title(clause, lang));
    let _ = writeln!(out, "{} {}", headings.clause, clause.name);
    if let Ok(id) = ClauseId::of(clause) {
        let _ = writeln!(out, "{}: {id}", headings.id);
    }

    let _ = writeln!(out, "\n{}", headings.params);
    if clause.params.is_empty() {
        let _ = writeln!(out, "  {}", headings.no_params);
    }
    for param in &clause.params {
        let value = renderer
            .param_value(&param.name)
            .map_or_else(|| unset(lang).to_string(), |value| renderer.value(value));
        let _ = writeln!(out, "  - {} = {value}", param.name);
    }

    if !clause.predicates.is_empty() {
        let _ = writeln!(out, "\n{}", headings.definitions);
        for predicate in &clause.predicates {
            let body = renderer.condition(&predicate.body, Some(&predicate.kind));
            let noun = glossary::kind_noun(lang, &predicate.kind);
            let line = match lang {
                Lang::En => {
                    // A jurisdiction body starts "depending on the governing law: …".
                    let by_law = matches!(predicate.body.kind, ExprKind::Jurisdiction { .. });
                    let body = if by_law { body } else { format!("if {body}") };
                    format!(
                        "“{}” (of a {noun}) holds {body}.",
                        predicate.name.replace('_', " ")
                    )
                }
                Lang::Zh => format!("「{}」（针对{noun}）成立的条件：{body}。", predicate.name),
                Lang::De => format!(
                    "„{}“ (für eine Meldung „{noun}“) trifft zu, wenn gilt: {body}.",
                    predicate.name
                ),
            };
            let _ = writeln!(out, "  - {line}");
        }
    }

    let _ = writeln!(out, "\n{}", headings.rules);
    for (index, rule) in clause.rules.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}. {}",
            index + 1,
            rule_sentence(&renderer, rule, lang)
        );
    }
    out
}

/// A runtime value as renderings show it (`150.00 EUR`, `42 天`, `wahr`, enum variants from the
/// glossary), for other crates' readable output.
pub fn value(value: &Value, lang: Lang) -> String {
    expr::value_text(lang, value, false)
}

/// The clause's title in `lang`, else in English, else its name; control and bidirectional
/// characters escaped (a title is the clause author's text, shown to the other parties).
pub fn title(clause: &ClauseIr, lang: Lang) -> String {
    let title = clause
        .titles
        .get(lang.code())
        .or_else(|| clause.titles.get("en"))
        .unwrap_or(&clause.name);
    crate::untrusted::escape(title).into_owned()
}

fn unset(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "(to be agreed per order)",
        Lang::Zh => "（由订单约定）",
        Lang::De => "(je Auftrag zu vereinbaren)",
    }
}

fn rule_sentence(renderer: &Renderer<'_>, rule: &RuleIr, lang: Lang) -> String {
    let occurrence = glossary::occurrence(lang, &rule.on);
    let condition = rule
        .when
        .as_ref()
        .map(|when| renderer.condition(when, Some(&rule.on)));
    let actions: Vec<String> = rule
        .actions
        .iter()
        .map(|action| action_phrase(renderer, action, &rule.on, lang))
        .collect();
    match lang {
        Lang::En => {
            let actions = actions.join("; ");
            match condition {
                Some(condition) => format!("When {occurrence}, if {condition}, then {actions}."),
                None => format!("When {occurrence}, then {actions}."),
            }
        }
        Lang::Zh => {
            let actions = actions.join("；");
            match condition {
                Some(condition) => format!("当{occurrence}时，如果{condition}，则{actions}。"),
                None => format!("当{occurrence}时，{actions}。"),
            }
        }
        Lang::De => {
            let actions = actions.join("; ");
            match condition {
                Some(condition) => {
                    format!("Wenn {occurrence} und gilt: {condition}, dann: {actions}.")
                }
                None => format!("Wenn {occurrence}, dann: {actions}."),
            }
        }
    }
}

fn action_phrase(renderer: &Renderer<'_>, action: &Action, on: &str, lang: Lang) -> String {
    match action {
        Action::Set { term, value } => {
            let term = glossary::term(lang, term);
            let value = renderer.action_value(value, Some(on));
            match lang {
                Lang::En => format!("set {term} to {value}"),
                Lang::Zh => format!("将{term}变更为{value}"),
                Lang::De => format!("{term} wird auf {value} gesetzt"),
            }
        }
        Action::Transfer {
            kind,
            from,
            to,
            amount,
        } => {
            let amount = renderer.action_value(amount, Some(on));
            transfer_phrase(lang, *kind, from, to, &amount)
        }
        Action::Notify { party, message } => {
            let message = renderer.action_value(message, Some(on));
            match lang {
                Lang::En => format!("notify {}: {message}", party_en(party)),
                Lang::Zh => format!("通知{}：{message}", glossary::word(lang, "party", party)),
                Lang::De => format!("Mitteilung an {}: {message}", party_de(party, Case::Acc)),
            }
        }
        Action::Activate { clause } => match lang {
            Lang::En => format!("activate the clause {clause}"),
            Lang::Zh => format!("启用条款 {clause}"),
            Lang::De => format!("die Klausel {clause} wird aktiviert"),
        },
        Action::Deactivate { clause } => match lang {
            Lang::En => format!("deactivate the clause {clause}"),
            Lang::Zh => format!("停用条款 {clause}"),
            Lang::De => format!("die Klausel {clause} wird deaktiviert"),
        },
        Action::Review { reason } => {
            let reason = words::quoted(lang, reason);
            match lang {
                Lang::En => format!("refer the order to human review ({reason})"),
                Lang::Zh => format!("提交人工审核（{reason}）"),
                Lang::De => format!("der Auftrag geht zur Prüfung an Menschen ({reason})"),
            }
        }
    }
}

fn transfer_phrase(lang: Lang, kind: TransferKind, from: &str, to: &str, amount: &str) -> String {
    match lang {
        Lang::En => {
            let (from, to) = (party_en(from), party_en(to));
            match kind {
                TransferKind::Pay => format!("{from} pays {to} {amount}"),
                TransferKind::Refund => format!("{from} refunds {to} {amount}"),
                TransferKind::Compensate => format!("{from} compensates {to} with {amount}"),
            }
        }
        Lang::Zh => {
            let (from, to) = (
                glossary::word(lang, "party", from),
                glossary::word(lang, "party", to),
            );
            let verb = match kind {
                TransferKind::Pay => "支付",
                TransferKind::Refund => "退还",
                TransferKind::Compensate => "赔偿",
            };
            format!("{from}向{to}{verb}{amount}")
        }
        Lang::De => {
            // A colon before the amount keeps the sentence grammatical whatever the amount's
            // phrase is.
            let from = party_de(from, Case::Nom);
            match kind {
                TransferKind::Pay => format!("{from} zahlt {}: {amount}", party_de(to, Case::Dat)),
                TransferKind::Refund => {
                    format!("{from} erstattet {}: {amount}", party_de(to, Case::Dat))
                }
                TransferKind::Compensate => {
                    format!("{from} entschädigt {}: {amount}", party_de(to, Case::Acc))
                }
            }
        }
    }
}

fn party_en(party: &str) -> String {
    glossary::lookup(Lang::En, &format!("party:{party}"))
        .map_or_else(|| format!("the party {party}"), str::to_string)
}

#[derive(Clone, Copy)]
enum Case {
    Nom,
    Dat,
    Acc,
}

/// German parties with their article: the known roles are all masculine nouns.
fn party_de(party: &str, case: Case) -> String {
    match glossary::lookup(Lang::De, &format!("party:{party}")) {
        Some(noun) => {
            let article = match case {
                Case::Nom => "der",
                Case::Dat => "dem",
                Case::Acc => "den",
            };
            format!("{article} {noun}")
        }
        None => {
            let article = match case {
                Case::Nom | Case::Acc => "die",
                Case::Dat => "der",
            };
            format!("{article} Partei „{party}“")
        }
    }
}

/// How an event reference reads: `the event's`, `the last delivery's`, …
fn event_owner(lang: Lang, event: &EventRef) -> String {
    match (event, lang) {
        (EventRef::Current | EventRef::Arg, Lang::En) => "the event".to_string(),
        (EventRef::Current | EventRef::Arg, Lang::Zh) => "该事件".to_string(),
        (EventRef::Current | EventRef::Arg, Lang::De) => "des Ereignisses".to_string(),
        (EventRef::Fact(kind), Lang::En) => {
            format!("the last {}", glossary::kind_noun(lang, kind))
        }
        (EventRef::Fact(kind), Lang::Zh) => format!("最近一次{}", glossary::kind_noun(lang, kind)),
        (EventRef::Fact(kind), Lang::De) => {
            format!("der letzten Meldung „{}“", glossary::kind_noun(lang, kind))
        }
    }
}
