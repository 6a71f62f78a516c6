//! Natural-language rendering of compiled clauses in English, Chinese and German.
//!
//! The text is generated from the compiled IR, never from the source, so what a party reads
//! is exactly what runs: the title, the parameters with the values that apply, the definitions
//! (predicates, with their per-jurisdiction cases) and every rule as "When <event>, if
//! <condition>, then <actions>." What the clause names itself (params, predicates, options,
//! texts) reads as its `label` items say; vocabulary words come from a [`Glossary`]: the
//! vocabulary's own `label` items, then the built-in words of the standard vocabulary;
//! anything neither knows is quoted as the clause writes it.

mod expr;
pub mod glossary;
mod words;
mod worked;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::ir::{
    Action, ArithOp, ClauseId, ClauseIr, EventRef, Expr, ExprKind, PredicateIr, RuleIr,
    TransferKind,
};
use crate::value::Value;

use expr::Renderer;
pub use glossary::Glossary;
pub use words::{capitalised, law, operator, quoted, Case};
pub use worked::worked;

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
/// Vocabulary words come from the built-in glossary alone; [`render_clause_with`] takes a
/// program's own labels.
pub fn render_clause(clause: &ClauseIr, bound: &BTreeMap<String, Value>, lang: Lang) -> String {
    render_clause_with(clause, bound, lang, Glossary::STANDARD)
}

/// Renders `clause` in `lang` with the vocabulary's words from `words` (usually
/// [`Glossary::of`] the program the clause was compiled in).
pub fn render_clause_with(
    clause: &ClauseIr,
    bound: &BTreeMap<String, Value>,
    lang: Lang,
    words: Glossary<'_>,
) -> String {
    let headings = words::headings(lang);
    let renderer = Renderer::new(clause, bound, lang, words);
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = writeln!(out, "{}", title(clause, lang));
    let _ = match lang {
        // "条款名称：x", like "条款标识：…" below (no space beside a Chinese word).
        Lang::Zh => writeln!(out, "{}：{}", headings.clause, clause.name),
        Lang::En | Lang::De => writeln!(out, "{} {}", headings.clause, clause.name),
    };
    if let Ok(id) = ClauseId::of(clause) {
        let colon = if lang == Lang::Zh { "：" } else { ": " };
        let _ = writeln!(out, "{}{colon}{id}", headings.id);
    }

    let _ = writeln!(out, "\n{}", headings.params);
    if clause.params.is_empty() {
        let _ = writeln!(out, "  {}", headings.no_params);
    }
    for param in &clause.params {
        let value = renderer.param_value(&param.name).map_or_else(
            || unset(lang).to_string(),
            |value| renderer.param_text(param, value),
        );
        let heading = renderer.param_heading(&param.name);
        let _ = match lang {
            Lang::Zh => writeln!(out, "  - {heading}：{value}"),
            Lang::En | Lang::De => writeln!(out, "  - {heading} = {value}"),
        };
    }

    if !clause.predicates.is_empty() {
        let _ = writeln!(out, "\n{}", headings.definitions);
        for predicate in &clause.predicates {
            let _ = writeln!(out, "  - {}", definition(&renderer, predicate, lang));
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

/// A predicate's definition: its name, the kind of event it judges and when it holds.
fn definition(renderer: &Renderer<'_>, predicate: &PredicateIr, lang: Lang) -> String {
    let body = renderer.condition(&predicate.body, Some(&predicate.kind));
    let noun = renderer.words.kind_noun(lang, &predicate.kind);
    let name = renderer.name_label(&predicate.name);
    // A jurisdiction body starts "depending on the governing law: …".
    let by_law = matches!(predicate.body.kind, ExprKind::Jurisdiction { .. });
    match lang {
        Lang::En => {
            let body = if by_law { body } else { format!("if {body}") };
            format!("“{name}” (of a {noun}) holds {body}.")
        }
        Lang::Zh => format!("「{name}」（针对{noun}）成立的条件：{body}。"),
        Lang::De => {
            let body = if by_law {
                words::capitalised(&body)
            } else {
                format!("Sie liegt vor, wenn gilt: {body}")
            };
            format!("Definition „{name}“ (für die Meldung „{noun}“): {body}.")
        }
    }
}

/// A runtime value as renderings show it (`150.00 EUR`, `42 天`, `wahr`, enum variants from the
/// glossary), for other crates' readable output.
pub fn value(value: &Value, lang: Lang) -> String {
    expr::value_text(Glossary::STANDARD, lang, value, false)
}

/// Like [`value`], with enum variants named by `words`.
pub fn value_with(value: &Value, lang: Lang, words: Glossary<'_>) -> String {
    expr::value_text(words, lang, value, false)
}

/// How a clause calls its param, predicate or option `name` in `lang`: its `label`, else the
/// name (English with spaces for underscores), escaped (the clause author's text).
pub fn name_label(clause: &ClauseIr, name: &str, lang: Lang) -> String {
    match clause.labels.name(name, lang.code()) {
        Some(label) => crate::untrusted::escape(label).into_owned(),
        None => match lang {
            Lang::En => name.replace('_', " "),
            Lang::Zh | Lang::De => name.to_string(),
        },
    }
}

/// A text the clause writes (a notification's message, a review's reason) in `lang`: its
/// `label` translation if the clause gives one, else as written; control and bidirectional
/// characters escaped (it is the clause author's text).
pub fn clause_text(clause: &ClauseIr, text: &str, lang: Lang) -> String {
    let text = clause.labels.text(text, lang.code()).unwrap_or(text);
    crate::untrusted::escape(text).into_owned()
}

/// Names in a row, for lists that are not part of a sentence: `seller, buyer`, `卖方、买方`.
pub fn series(lang: Lang, items: &[String]) -> String {
    let separator = if lang == Lang::Zh { "、" } else { ", " };
    items.join(separator)
}

/// Names in a sentence: `seller, buyer and carrier`, `卖方、买方和承运人`,
/// `Verkäufer, Käufer und Frachtführer`.
pub fn enumeration(lang: Lang, items: &[String]) -> String {
    let and = match lang {
        Lang::En => " and ",
        Lang::Zh => "和",
        Lang::De => " und ",
    };
    words::list(lang, items, and)
}

/// A count with its noun in the right number: `1 entry`, `2 entries`, `1 Eintrag`,
/// `2 Einträge`; Chinese nouns do not inflect (`2条记录`, the measure word given in `zh`).
pub fn count(lang: Lang, n: usize, en: [&str; 2], zh: &str, de: [&str; 2]) -> String {
    let index = usize::from(n != 1);
    match lang {
        Lang::En => format!("{n} {}", en[index]),
        Lang::Zh => words::counted(lang, n, zh),
        Lang::De => format!("{n} {}", de[index]),
    }
}

/// An English count for operators' messages: `1 problem`, `2 problems` (never `problem(s)`).
pub fn english_count(n: usize, noun: [&str; 2]) -> String {
    count(Lang::En, n, noun, "", ["", ""])
}

/// Where `line` sets an ASCII space beside a Chinese character or full-width punctuation
/// (the spaces' byte offsets), its indentation and list marker (`- `, `1. `) excepted. Chinese
/// renderings keep this rule ("价款乘以比例", "42天", never "价款 乘以 比例", "42 天"); the
/// renderings' tests, here and in other crates, check it.
pub fn spaces_beside_chinese(line: &str) -> Vec<usize> {
    let text = line.trim_start();
    let marker = text
        .strip_prefix("- ")
        .or_else(|| {
            let digits = text.trim_start_matches(|c: char| c.is_ascii_digit());
            (digits.len() < text.len())
                .then(|| digits.strip_prefix(". "))
                .flatten()
        })
        .unwrap_or(text);
    let start = line.len() - marker.len();
    let chars: Vec<(usize, char)> = marker.char_indices().collect();
    chars
        .iter()
        .enumerate()
        .filter(|(i, (_, c))| {
            let before = i.checked_sub(1).and_then(|b| chars.get(b)).map(|(_, c)| *c);
            let after = chars.get(i + 1).map(|(_, c)| *c);
            *c == ' '
                && (before.is_some_and(words::is_chinese) || after.is_some_and(words::is_chinese))
        })
        .map(|(_, (offset, _))| start + offset)
        .collect()
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
    if let Some(option) = &rule.option {
        return option_sentence(renderer, rule, option, lang);
    }
    let sentence = rule_body(renderer, rule, lang);
    if !rule.once {
        return sentence;
    }
    match lang {
        Lang::En => format!("{sentence} This rule applies at most once per order."),
        Lang::Zh => format!("{sentence}本规则每个订单至多适用一次。"),
        Lang::De => format!("{sentence} Diese Regel wird je Auftrag höchstens einmal angewandt."),
    }
}

fn rule_body(renderer: &Renderer<'_>, rule: &RuleIr, lang: Lang) -> String {
    let occurrence = renderer.words.occurrence(lang, &rule.on);
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
            // Occasion, requirement, legal consequence: each a full sentence in main-clause
            // order, so no phrase has to be turned into a subordinate clause.
            let actions: Vec<String> = actions
                .iter()
                .map(|action| format!("{}.", words::capitalised(action)))
                .collect();
            let actions = actions.join(" ");
            match condition {
                Some(condition) => format!(
                    "Anlass: {}. Voraussetzung: {}. Rechtsfolge: {actions}",
                    words::capitalised(&occurrence),
                    words::capitalised(&condition)
                ),
                None => format!(
                    "Anlass: {}. Rechtsfolge: {actions}",
                    words::capitalised(&occurrence)
                ),
            }
        }
    }
}

/// A party's option: who may exercise it, until when, on what condition, and what follows.
fn option_sentence(
    renderer: &Renderer<'_>,
    rule: &RuleIr,
    option: &crate::ir::OptionIr,
    lang: Lang,
) -> String {
    let name = renderer.name_label(&option.name);
    let deadline = renderer.action_value(&option.until, Some(&rule.on));
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
            let holder = party_en(renderer.words, &option.holder);
            let condition = condition.map_or_else(String::new, |c| format!(", provided that {c}"));
            format!(
                "Option “{name}”: {holder} may exercise this option until {deadline} by a declaration {holder} signs{condition}. If {holder} does, {}. The option can be exercised only once.",
                actions.join("; ")
            )
        }
        Lang::Zh => {
            let holder = renderer.words.word(lang, "party", &option.holder);
            let condition = condition.map_or_else(String::new, |c| format!("，但须{c}"));
            format!(
                "选择权「{name}」：{holder}可在{deadline}之前（含该时刻）以其签署的声明行使本选择权{condition}。{holder}行使后，{}。本选择权仅可行使一次。",
                actions.join("；")
            )
        }
        Lang::De => {
            let holder = renderer.words.party_de(&option.holder);
            let condition = condition.map_or_else(String::new, |c| {
                format!(" Voraussetzung: {}.", words::capitalised(&c))
            });
            let actions: Vec<String> = actions
                .iter()
                .map(|action| format!("{}.", words::capitalised(action)))
                .collect();
            format!(
                "Option „{name}“: {} kann diese Option durch eine eigene signierte Erklärung ausüben, spätestens zu folgendem Zeitpunkt: {deadline}.{condition} Rechtsfolge der Ausübung: {} Die Option kann nur einmal ausgeübt werden.",
                words::capitalised(&holder),
                actions.join(" ")
            )
        }
    }
}

fn action_phrase(renderer: &Renderer<'_>, action: &Action, on: &str, lang: Lang) -> String {
    match action {
        Action::Set { term, value } => set_phrase(renderer, term, value, on, lang),
        Action::Transfer {
            kind,
            from,
            to,
            amount,
        } => {
            let amount_text = renderer.action_value(amount, Some(on));
            let amount_term = match &amount.kind {
                ExprKind::Term(name) => Some(name.as_str()),
                _ => None,
            };
            transfer_phrase(
                renderer.words,
                lang,
                *kind,
                from,
                to,
                &amount_text,
                amount_term,
            )
        }
        Action::Notify { party, message } => {
            let message = renderer.message(message, Some(on));
            match lang {
                Lang::En => format!("notify {}: {message}", party_en(renderer.words, party)),
                Lang::Zh => format!(
                    "通知{}：{message}",
                    renderer.words.word(lang, "party", party)
                ),
                Lang::De => format!(
                    "{} erhält die Mitteilung {message}",
                    renderer.words.party_de(party)
                ),
            }
        }
        Action::Activate { clause } => match lang {
            Lang::En => format!("activate the clause {clause}"),
            Lang::Zh => format!("启用条款「{clause}」"),
            Lang::De => format!("die Klausel {clause} wird wirksam"),
        },
        Action::Deactivate { clause } => match lang {
            Lang::En => format!("deactivate the clause {clause}"),
            Lang::Zh => format!("停用条款「{clause}」"),
            Lang::De => format!("die Klausel {clause} tritt außer Kraft"),
        },
        Action::Review { reason } => {
            let reason = renderer.message_text(reason);
            match lang {
                Lang::En => format!("refer the order to human review ({reason})"),
                Lang::Zh => format!("提交人工审核（{reason}）"),
                Lang::De => format!(
                    "der Auftrag wird den Parteien zur Entscheidung vorgelegt (Grund: {reason})"
                ),
            }
        }
    }
}

/// `set terms.X = …`: a period added to a date reads as a postponement (anything else added to
/// a term as an increase), a flag set to true
/// as the statement it stands for, anything else as the term's new value.
fn set_phrase(renderer: &Renderer<'_>, term: &str, value: &Expr, on: &str, lang: Lang) -> String {
    if let ExprKind::Arith {
        op: ArithOp::Add,
        lhs,
        rhs,
    } = &value.kind
    {
        if matches!(&lhs.kind, ExprKind::Term(name) if name == term) {
            let by = renderer.action_value(rhs, Some(on));
            return match (lang, renderer.term_is_date(term)) {
                (Lang::En, true) => {
                    format!("{} moves later by {by}", renderer.words.term(lang, term))
                }
                (Lang::Zh, true) => format!("{}顺延{by}", renderer.words.term(lang, term)),
                (Lang::De, true) => {
                    format!("{} verschiebt sich um {by}", renderer.words.term_de(term))
                }
                (Lang::En, false) => {
                    format!("{} increases by {by}", renderer.words.term(lang, term))
                }
                (Lang::Zh, false) => format!("{}增加{by}", renderer.words.term(lang, term)),
                (Lang::De, false) => {
                    format!("{} erhöht sich um {by}", renderer.words.term_de(term))
                }
            };
        }
    }
    let statement = renderer.words.lookup(lang, &format!("stmt:{term}"));
    if let (ExprKind::Const(Value::Bool(holds)), Some(statement)) = (&value.kind, statement) {
        return match (lang, holds) {
            // "then the buyer may terminate from then on", never "then from then on …".
            (Lang::En, true) => format!("{statement} from then on"),
            (Lang::En, false) => format!("it no longer holds from then on that {statement}"),
            (Lang::Zh, true) => format!("自此{statement}"),
            (Lang::Zh, false) => format!("自此不再{statement}"),
            (Lang::De, true) => format!("fortan gilt: {}", words::capitalised(&statement)),
            (Lang::De, false) => {
                format!("fortan gilt nicht mehr: {}", words::capitalised(&statement))
            }
        };
    }
    let value = renderer.action_value(value, Some(on));
    match lang {
        Lang::En => format!("set {} to {value}", renderer.words.term(lang, term)),
        Lang::Zh => format!("将{}变更为{value}", renderer.words.term(lang, term)),
        Lang::De => format!("{} ist fortan {value}", renderer.words.term_de(term)),
    }
}

fn transfer_phrase(
    glossary: Glossary<'_>,
    lang: Lang,
    kind: TransferKind,
    from: &str,
    to: &str,
    amount: &str,
    amount_term: Option<&str>,
) -> String {
    match lang {
        Lang::En => {
            let (from, to) = (party_en(glossary, from), party_en(glossary, to));
            match kind {
                TransferKind::Pay => format!("{from} pays {to} {amount}"),
                TransferKind::Refund => format!("{from} refunds {to} {amount}"),
                TransferKind::Compensate => format!("{from} compensates {to} with {amount}"),
            }
        }
        Lang::Zh => {
            let (from, to) = (
                glossary.word(lang, "party", from),
                glossary.word(lang, "party", to),
            );
            let verb = match kind {
                TransferKind::Pay => "支付",
                TransferKind::Refund => "退还",
                TransferKind::Compensate => "赔偿",
            };
            format!("{from}向{to}{verb}{amount}")
        }
        Lang::De => {
            let from = glossary.party_de(from);
            let to_dat = words::decline_de(&glossary.party_de(to), words::Case::Dat);
            let to_acc = words::decline_de(&glossary.party_de(to), words::Case::Acc);
            // A term is named in the accusative ("erstattet … den Preis"); any other amount
            // follows a colon, which keeps the sentence grammatical whatever its phrase is.
            let object = match amount_term {
                Some(term) => words::decline_de(&glossary.term_de(term), words::Case::Acc),
                None => format!("folgenden Betrag: {amount}"),
            };
            match kind {
                TransferKind::Pay => format!("{from} zahlt {to_dat} {object}"),
                TransferKind::Refund => format!("{from} erstattet {to_dat} {object}"),
                TransferKind::Compensate => {
                    format!("{from} entschädigt {to_acc} mit folgendem Betrag: {amount}")
                }
            }
        }
    }
}

/// A role as a sentence names it: "the seller", "卖方", and in German with its article in
/// `case` ("der Verkäufer", "dem Verkäufer"); a role no word knows as "the party x".
pub fn party(lang: Lang, words: Glossary<'_>, name: &str, case: Case) -> String {
    match lang {
        Lang::En => party_en(words, name),
        Lang::Zh => words.word(lang, "party", name),
        Lang::De => words::decline_de(&words.party_de(name), case),
    }
}

/// A term as a sentence names it: "the delivery due date", "交货期限", and in German with its
/// article in `case` ("den Liefertermin").
pub fn term(lang: Lang, words: Glossary<'_>, name: &str, case: Case) -> String {
    match lang {
        Lang::En | Lang::Zh => words.term(lang, name),
        Lang::De => words::decline_de(&words.term_de(name), case),
    }
}

fn party_en(words: Glossary<'_>, party: &str) -> String {
    words
        .lookup(Lang::En, &format!("party:{party}"))
        .unwrap_or_else(|| format!("the party {party}"))
}

/// How an event reference reads: `the event's`, `the last delivery's`, …
fn event_owner(words: Glossary<'_>, lang: Lang, event: &EventRef) -> String {
    match (event, lang) {
        (EventRef::Current | EventRef::Arg, Lang::En) => "the event".to_string(),
        (EventRef::Current | EventRef::Arg, Lang::Zh) => "该事件".to_string(),
        (EventRef::Current | EventRef::Arg, Lang::De) => "dieser Meldung".to_string(),
        (EventRef::Fact(kind), Lang::En) => {
            format!("the last {}", words.kind_noun(lang, kind))
        }
        (EventRef::Fact(kind), Lang::Zh) => format!("最近一次{}", words.kind_noun(lang, kind)),
        (EventRef::Fact(kind), Lang::De) => {
            format!("der letzten Meldung „{}“", words.kind_noun(lang, kind))
        }
    }
}
