//! Readable history: a verified order as text in English, Chinese or German, or as JSON.
//!
//! Each entry shows its time, the fact behind it (kind, attester, fields), what it amended
//! (term, old and new value, the clause by its title and the rule), obligations, notifications,
//! breaker trips with their root-cause report, reviews, and who signed. Vocabulary words come
//! from the bundle's sources (their `label` items) and the clause language's glossary,
//! notification texts from the clause's labels; amounts are written as the language writes
//! numbers (`5400,00 EUR` in German), times as ISO 8601 in UTC in every language.

use contract_lang::ir::Program;
pub use contract_lang::render::Lang;
use contract_lang::render::{self, Glossary};
use contract_lang::value::{DisplayTimestamp, Value};
use serde_json::json;

use crate::bundle::{
    Consistency, Freshness, GrowthBasis, Report, VerifiedEntry, VerifyError, STEPS,
};
use crate::model::{
    Activation, AgreementStep, Amendment, BreakerReport, Decision, Effects, Notification,
    Obligation, Outcome, ReviewReason, Step, TermChange, WindowAmendment,
};

/// In this module `writeln!(out, …)` writes one line of text whose every control and
/// bidirectional character, newline included, is escaped (`\u{1b}`): the values in a line
/// (attested fields, names, notes, titles) are other people's text, and a newline or an escape
/// sequence in one of them must not start a line of its own or rewrite the report. The macro
/// shadows the standard one on purpose, so no line written here can skip the escaping.
macro_rules! writeln {
    ($out:expr) => {{
        $out.push('\n');
        Ok::<(), std::fmt::Error>(())
    }};
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&contract_lang::untrusted::escape(&format!($($arg)*)));
        $out.push('\n');
        Ok::<(), std::fmt::Error>(())
    }};
}

/// A one-line English summary of an outcome, for error messages.
pub fn outcome_summary(outcome: &Outcome) -> String {
    let count =
        |n: usize, one: &str, many: &str| render::count(Lang::En, n, [one, many], "", ["", ""]);
    match outcome {
        Outcome::Applied(effects) => format!(
            "applied {}, {}, {}, {}",
            count(effects.amendments.len(), "amendment", "amendments"),
            count(effects.activations.len(), "activation", "activations"),
            count(effects.obligations.len(), "obligation", "obligations"),
            count(effects.notifications.len(), "notification", "notifications")
        ),
        Outcome::BreakerTripped { held, .. } => format!(
            "breaker tripped, {} held",
            count(
                held.amendments.len() + held.activations.len(),
                "amendment",
                "amendments"
            )
        ),
        Outcome::ToReview { reasons } => format!(
            "handed to review ({})",
            count(reasons.len(), "reason", "reasons")
        ),
        Outcome::Paused => "recorded while paused".to_string(),
    }
}

/// The first difference between two outcomes, each side in the clause language's action syntax
/// (`set terms.transport_mode = aiq (air_freight_fallback rule 1)`), for replay errors.
pub fn outcome_difference(recorded: &Outcome, replayed: &Outcome) -> (String, String) {
    outcome_differences(recorded, replayed)
        .into_iter()
        .next()
        .unwrap_or_else(|| (outcome_summary(recorded), outcome_summary(replayed)))
}

/// Every effect that differs between two outcomes, position by position within amendments,
/// activations, obligations and notifications (`(nothing)` where one side has none), each
/// side in the clause language's action syntax; the outcomes' summaries when they are not
/// both applied effects. Empty when they are equal.
pub fn outcome_differences(recorded: &Outcome, replayed: &Outcome) -> Vec<(String, String)> {
    if recorded == replayed {
        return Vec::new();
    }
    let (Outcome::Applied(a), Outcome::Applied(b)) = (recorded, replayed) else {
        return vec![(outcome_summary(recorded), outcome_summary(replayed))];
    };
    fn all<T: PartialEq>(
        a: &[T],
        b: &[T],
        show: impl Fn(&T) -> String,
        into: &mut Vec<(String, String)>,
    ) {
        let side = |item: Option<&T>| item.map_or_else(|| "(nothing)".to_string(), &show);
        into.extend(
            (0..a.len().max(b.len()))
                .filter(|&i| a.get(i) != b.get(i))
                .map(|i| (side(a.get(i)), side(b.get(i)))),
        );
    }
    let rule = |clause: &str, rule: u32| format!("({clause} rule {})", u64::from(rule) + 1);
    let mut differences = Vec::new();
    all(
        &a.amendments,
        &b.amendments,
        |x| {
            format!(
                "set terms.{} = {} {}",
                x.term,
                x.after,
                rule(&x.clause, x.rule)
            )
        },
        &mut differences,
    );
    all(
        &a.activations,
        &b.activations,
        |x| {
            let verb = if x.active { "activate" } else { "deactivate" };
            format!("{verb} {} {}", x.target, rule(&x.clause, x.rule))
        },
        &mut differences,
    );
    all(
        &a.obligations,
        &b.obligations,
        |x| {
            format!(
                "{} {} -> {} {} {}",
                x.kind.keyword(),
                x.from,
                x.to,
                x.amount,
                rule(&x.clause, x.rule)
            )
        },
        &mut differences,
    );
    all(
        &a.notifications,
        &b.notifications,
        |x| {
            format!(
                "notify {} \"{}\" {}",
                x.party,
                x.message,
                rule(&x.clause, x.rule)
            )
        },
        &mut differences,
    );
    if differences.is_empty() {
        // Equal effects in another outcome field: say so in summaries.
        differences.push((outcome_summary(recorded), outcome_summary(replayed)));
    }
    differences
}

/// The fixed phrases of a rendering.
struct Words {
    valid: &'static str,
    stale: &'static str,
    invalid: &'static str,
    order: &'static str,
    parties: &'static str,
    sequencer: &'static str,
    jurisdiction: &'static str,
    checkpoint: &'static str,
    cosigned_by: &'static str,
    steps: &'static str,
    timeline: &'static str,
    opened: &'static str,
    clauses: &'static str,
    attested_by: &'static str,
    no_change: &'static str,
    activated: &'static str,
    deactivated: &'static str,
    tripped: &'static str,
    held: &'static str,
    to_review: &'static str,
    conflict: &'static str,
    requested: &'static str,
    eval_error: &'static str,
    paused: &'static str,
    review: &'static str,
    reevaluated: &'static str,
    closed: &'static str,
    approved: &'static str,
    discarded: &'static str,
    applied: &'static str,
    signed_by: &'static str,
    effective: &'static str,
    final_terms: &'static str,
    obligations: &'static str,
    computed: &'static str,
    step_failed: &'static str,
    at_entry: &'static str,
    consistency: &'static str,
    unset: &'static str,
}

const EN: Words = Words {
    valid: "VALID",
    stale: "STALE",
    invalid: "INVALID",
    order: "Order",
    parties: "parties",
    sequencer: "sequenced by",
    jurisdiction: "jurisdiction",
    checkpoint: "included in log",
    cosigned_by: "cosigned by",
    steps: "Verification steps",
    timeline: "Timeline",
    opened: "Order opened",
    clauses: "clauses",
    attested_by: "attested by",
    no_change: "no change",
    activated: "activated clause",
    deactivated: "deactivated clause",
    tripped: "EVOLUTION CIRCUIT BREAKER TRIPPED",
    held: "held until review",
    to_review: "HANDED TO REVIEW, nothing applied",
    conflict: "conflict on",
    requested: "review requested by",
    eval_error: "evaluation failed in",
    paused: "recorded while the order waits for review; evaluated after it",
    review: "REVIEW",
    reevaluated: "then evaluated, having been recorded while paused: entry",
    closed: "ORDER CLOSED",
    approved: "approved the held amendment",
    discarded: "discarded what was held",
    applied: "applied",
    signed_by: "signed by",
    effective: "measured by the breaker at",
    final_terms: "Terms now",
    obligations: "Obligations",
    computed: "computed",
    step_failed: "failed at step",
    at_entry: "entry",
    consistency: "log consistency",
    unset: "(unset)",
};

const ZH: Words = Words {
    valid: "有效",
    stale: "过期",
    invalid: "无效",
    order: "订单",
    parties: "当事方",
    sequencer: "排序方",
    jurisdiction: "管辖法域",
    checkpoint: "已收录于日志",
    cosigned_by: "见证方联署",
    steps: "验证步骤",
    timeline: "变更时间线",
    opened: "订单成立",
    clauses: "条款",
    attested_by: "证明方",
    no_change: "无变更",
    activated: "启用条款",
    deactivated: "停用条款",
    tripped: "演化熔断已触发",
    held: "暂缓，待审核",
    to_review: "转人工审核，未执行任何变更",
    conflict: "存在冲突",
    requested: "要求审核",
    eval_error: "计算失败",
    paused: "订单等待审核期间记录；审核后再按条款评估",
    review: "审核",
    reevaluated: "随后按条款评估暂停期间记录的事实：记录",
    closed: "订单关闭",
    approved: "批准暂缓的变更",
    discarded: "放弃暂缓的内容",
    applied: "已执行",
    signed_by: "签署方",
    effective: "熔断计时",
    final_terms: "当前条款",
    obligations: "付款义务",
    computed: "计算",
    step_failed: "失败于第",
    at_entry: "记录",
    consistency: "日志一致性",
    unset: "（未设定）",
};

const DE: Words = Words {
    valid: "GÜLTIG",
    stale: "VERALTET",
    invalid: "UNGÜLTIG",
    order: "Auftrag",
    parties: "Parteien",
    sequencer: "sequenziert von",
    jurisdiction: "Rechtsordnung",
    checkpoint: "enthalten im Log",
    cosigned_by: "mitsigniert von",
    steps: "Prüfschritte",
    timeline: "Verlauf",
    opened: "Auftrag eröffnet",
    clauses: "Klauseln",
    attested_by: "bezeugt von",
    no_change: "keine Änderung",
    activated: "Klausel aktiviert",
    deactivated: "Klausel deaktiviert",
    tripped: "EVOLUTIONS-SICHERUNG AUSGELÖST",
    held: "zurückgehalten bis zur Prüfung",
    to_review: "ZUR PRÜFUNG ÜBERGEBEN, nichts angewendet",
    conflict: "Konflikt um",
    requested: "Prüfung verlangt von",
    eval_error: "Auswertung fehlgeschlagen in",
    paused: "erfasst, während der Auftrag auf die Prüfung wartete; nach der Prüfung ausgewertet",
    review: "PRÜFUNG",
    reevaluated: "anschließend ausgewertet, was während der Pause erfasst wurde: Eintrag",
    closed: "AUFTRAG ABGESCHLOSSEN",
    approved: "zurückgehaltene Änderung genehmigt",
    discarded: "Zurückgehaltenes verworfen",
    applied: "angewendet",
    signed_by: "signiert von",
    effective: "Messzeitpunkt der Sicherung",
    final_terms: "Aktuelle Bedingungen",
    obligations: "Zahlungspflichten",
    computed: "Berechnung",
    step_failed: "gescheitert in Schritt",
    at_entry: "Eintrag",
    consistency: "Log-Konsistenz",
    unset: "(nicht gesetzt)",
};

/// "(unset)": a term's or parameter's value before a change that set it first. The trail page
/// says the same.
pub(crate) fn unset(lang: Lang) -> &'static str {
    words(lang).unset
}

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Zh => &ZH,
        Lang::De => &DE,
    }
}

/// The limit a breaker trip would have exceeded ("this amendment would exceed the limit of 3
/// automatic amendments within 1 day"): one sentence for the CLI timeline and the trail page.
pub(crate) fn breaker_limit(lang: Lang, max: u32, window: &str) -> String {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let limit = render::count(
        lang,
        max,
        ["automatic amendment", "automatic amendments"],
        "次自动变更",
        ["automatischen Änderung", "automatischen Änderungen"],
    );
    match lang {
        Lang::En => format!("this amendment would exceed the limit of {limit} within {window}"),
        Lang::Zh => format!("本次变更将超过{window}内{limit}的上限"),
        Lang::De => format!(
            "Diese Änderung würde die Grenze von {limit} innerhalb von {window} überschreiten"
        ),
    }
}

/// The colon after a heading or a label: full width in Chinese.
fn colon(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "：",
        Lang::En | Lang::De => ": ",
    }
}

/// "name: value", "名称：值".
fn labelled(lang: Lang, name: &str, value: &str) -> String {
    format!("{name}{}{value}", colon(lang))
}

/// A heading that ends its line: "Timeline:", "变更时间线：".
fn heading(lang: Lang, name: &str) -> String {
    format!("{name}{}", colon(lang).trim_end())
}

/// The dash between a line and what it adds (" — "); Chinese writes "——" without spaces.
fn dash(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "——",
        Lang::En | Lang::De => " — ",
    }
}

/// A change and the clause rule it came from, set apart: "…  — «title» (name, rule 1)",
/// "…——《标题》（name，第1条规则）".
fn attributed(lang: Lang, change: &str, source: &str) -> String {
    match lang {
        Lang::Zh => format!("{change}——{source}"),
        Lang::En | Lang::De => format!("{change}  — {source}"),
    }
}

/// "before → after"; no space beside a Chinese word ("海运→空运"); the trail page's too.
pub(crate) fn arrow(lang: Lang, before: &str, after: &str) -> String {
    render::operator(lang, before, "→", after)
}

/// `text` in parentheses: full width in Chinese.
fn bracketed(lang: Lang, text: &str) -> String {
    match lang {
        Lang::Zh => format!("（{text}）"),
        Lang::En | Lang::De => format!(" ({text})"),
    }
}

/// A role as the reader's language names it (`Verkäufer`, `卖方`). English, and any name
/// neither the vocabulary nor the glossary knows, show it as the contract writes it: role
/// names are the contract's identifiers. The trail page names roles with it too.
pub(crate) fn role(lang: Lang, program: &Program, name: &str) -> String {
    role_in(lang, Glossary::of(program), name)
}

/// [`role`] with the words of `words` (the built-in glossary where there is no program, as on
/// the page of a bundle that does not verify).
pub(crate) fn role_in(lang: Lang, words: Glossary<'_>, name: &str) -> String {
    match lang {
        Lang::En => name.to_string(),
        Lang::Zh | Lang::De => words
            .lookup(lang, &format!("party:{name}"))
            .unwrap_or_else(|| name.to_string()),
    }
}

/// Who attested a fact: the vocabulary's label of the attester (`weather-service` → "the
/// weather service", "气象服务机构"), else the party role of that name, else the name as the
/// contract writes it.
pub(crate) fn attester(lang: Lang, program: &Program, name: &str) -> String {
    Glossary::of(program)
        .attester(lang, name)
        .unwrap_or_else(|| role(lang, program, name))
}

/// Roles as a list (`Käufer, Verkäufer`, `买方、卖方`).
fn roles<'n>(lang: Lang, program: &Program, names: impl IntoIterator<Item = &'n str>) -> String {
    let names: Vec<String> = names
        .into_iter()
        .map(|name| role(lang, program, name))
        .collect();
    render::series(lang, &names)
}

/// Roles in a sentence (`Käufer, Frachtführer und Verkäufer`, `买方、承运人和卖方`).
fn roles_in_sentence<'n>(
    lang: Lang,
    program: &Program,
    names: impl IntoIterator<Item = &'n str>,
) -> String {
    let names: Vec<String> = names
        .into_iter()
        .map(|name| role(lang, program, name))
        .collect();
    render::enumeration(lang, &names)
}

/// A term that holds or not: "yes" reads better than "true" beside a right's name (and a
/// German "falsch" beside one reads as "wrong"). The trail page says the same.
pub(crate) fn yes_no(lang: Lang, holds: bool) -> &'static str {
    match (lang, holds) {
        (Lang::En, true) => "yes",
        (Lang::En, false) => "no",
        (Lang::Zh, true) => "是",
        (Lang::Zh, false) => "否",
        (Lang::De, true) => "ja",
        (Lang::De, false) => "nein",
    }
}

/// Prints a value as the reader's language writes it (`5400,00 EUR`, enum variants in words),
/// a time as ISO 8601 like every time of the timeline.
fn value(lang: Lang, program: &Program, value: &Value) -> String {
    match value {
        Value::Timestamp(seconds) => time(*seconds),
        Value::Bool(holds) => yes_no(lang, *holds).to_string(),
        Value::List(items) => list(lang, items, |item| self::value(lang, program, item)),
        other => render::value_with(other, lang, Glossary::of(program)),
    }
}

/// A list term as a sentence reads it: "Guangdong and Hong Kong", "Guangdong和Hong Kong",
/// "Guangdong und Hong Kong" (texts as written, without a quote around each), never brackets.
/// The trail page shows lists with it too.
pub(crate) fn list(lang: Lang, items: &[Value], each: impl Fn(&Value) -> String) -> String {
    let items: Vec<String> = items
        .iter()
        .map(|item| match item {
            Value::Text(text) => text.clone(),
            other => each(other),
        })
        .collect();
    render::enumeration(lang, &items)
}

fn money(lang: Lang, amount: contract_lang::value::Money) -> String {
    render::value(&Value::Money(amount), lang)
}

fn time(seconds: i64) -> String {
    DisplayTimestamp(seconds).to_string()
}

/// `«title» (clause name, rule n)`; Chinese marks a title with 《》.
fn source(lang: Lang, program: &Program, clause: &str, rule: u32) -> String {
    let title = program.clause(clause).map_or_else(
        || clause.to_string(),
        |compiled| render::title(&compiled.ir, lang),
    );
    let rule = u64::from(rule) + 1;
    match lang {
        Lang::En => format!("«{title}» ({clause}, rule {rule})"),
        Lang::Zh => format!("《{title}》（{clause}，第{rule}条规则）"),
        Lang::De => format!("«{title}» ({clause}, Regel {rule})"),
    }
}

fn fields(
    lang: Lang,
    program: &Program,
    fields: &std::collections::BTreeMap<String, Value>,
) -> String {
    let words = Glossary::of(program);
    let parts: Vec<String> = fields
        .iter()
        .map(|(name, field)| {
            let name = words.word(lang, "field", name);
            let field = value(lang, program, field);
            match lang {
                Lang::Zh => format!("{name}：{field}"),
                Lang::En | Lang::De => format!("{name}: {field}"),
            }
        })
        .collect();
    parts.join(if lang == Lang::Zh { "，" } else { ", " })
}

/// How a fact reads in its timeline line: the kind and who attested it with its fields, or,
/// for a party's exercise of an option, that sentence.
fn fact_line(lang: Lang, program: &Program, event: &crate::model::Event, attester: &str) -> String {
    if let Some(sentence) = exercise_sentence(lang, program, event, attester) {
        return sentence;
    }
    attested_fact(lang, program, &event.kind, attester, &event.fields)
}

/// A fact of `kind` with who attested it and its fields ("… (attested by the weather service;
/// …)", "…（证明方：气象服务机构；…）"): the timeline's line of a fact, and the breaker
/// report's line of a fact in its window.
fn attested_fact(
    lang: Lang,
    program: &Program,
    kind: &str,
    attester: &str,
    fields: &std::collections::BTreeMap<String, Value>,
) -> String {
    let w = words(lang);
    let kind = Glossary::of(program).kind_noun(lang, kind);
    let attester = self::attester(lang, program, attester);
    let fields = self::fields(lang, program, fields);
    match lang {
        Lang::Zh => format!("{kind}（{}：{attester}；{fields}）", w.attested_by),
        Lang::En | Lang::De => format!("{kind} ({} {attester}; {fields})", w.attested_by),
    }
}

/// "buyer exercises the option “reduce price” of «Price reduction» (price_reduction)"; the
/// trail page titles the entry with it.
pub(crate) fn exercise_sentence(
    lang: Lang,
    program: &Program,
    event: &crate::model::Event,
    holder: &str,
) -> Option<String> {
    use contract_lang::vocab::{OPTION_CLAUSE_FIELD, OPTION_EXERCISED, OPTION_NAME_FIELD};
    if event.kind != OPTION_EXERCISED {
        return None;
    }
    let text = |field: &str| match event.fields.get(field) {
        Some(Value::Text(text)) => Some(text.as_str()),
        _ => None,
    };
    let (clause, option) = (text(OPTION_CLAUSE_FIELD)?, text(OPTION_NAME_FIELD)?);
    let compiled = program.clause(clause);
    let option = compiled.map_or_else(
        || contract_lang::untrusted::escape(option).into_owned(),
        |compiled| render::name_label(&compiled.ir, option, lang),
    );
    let clause = clause_name(lang, program, clause);
    let holder = role(lang, program, holder);
    Some(match lang {
        Lang::En => format!("{holder} exercises the option “{option}” of {clause}"),
        Lang::Zh => format!("{holder}行使{clause}中的选择权「{option}」"),
        Lang::De => format!("{holder} übt die Option „{option}“ der Klausel {clause} aus"),
    })
}

fn amendment_line(lang: Lang, program: &Program, amendment: &Amendment) -> String {
    let w = words(lang);
    let before = amendment.before.as_ref().map_or_else(
        || w.unset.to_string(),
        |before| value(lang, program, before),
    );
    let term = Glossary::of(program).term(lang, &amendment.term);
    let after = value(lang, program, &amendment.after);
    let source = source(lang, program, &amendment.clause, amendment.rule);
    let change = arrow(lang, &before, &after);
    let change = match lang {
        Lang::En => format!("amended {term}: {change}"),
        Lang::Zh => format!("变更{term}：{change}"),
        Lang::De => format!("{term} geändert: {change}"),
    };
    attributed(lang, &change, &source)
}

fn activation_line(lang: Lang, program: &Program, activation: &Activation) -> String {
    let w = words(lang);
    let verb = if activation.active {
        w.activated
    } else {
        w.deactivated
    };
    let target = clause_name(lang, program, &activation.target);
    let change = match lang {
        Lang::Zh => format!("{verb}{target}"),
        Lang::En | Lang::De => format!("{verb} {target}"),
    };
    attributed(
        lang,
        &change,
        &source(lang, program, &activation.clause, activation.rule),
    )
}

fn obligation_line(lang: Lang, program: &Program, obligation: &Obligation) -> String {
    attributed(
        lang,
        &owes(
            lang,
            program,
            &obligation.from,
            &obligation.to,
            money(lang, obligation.amount),
            obligation.kind,
        ),
        &source(lang, program, &obligation.clause, obligation.rule),
    )
}

/// "the seller owes the buyer 5400.00 EUR (payment)", "卖方应向买方支付5400.00 EUR",
/// "Der Verkäufer schuldet dem Käufer 5400,00 EUR (Zahlung)": a sentence with its articles,
/// as the clause's rendering says it; the trail page's words too.
pub(crate) fn owes(
    lang: Lang,
    program: &Program,
    from: &str,
    to: &str,
    amount: String,
    kind: contract_lang::ir::TransferKind,
) -> String {
    owes_in(lang, Glossary::of(program), from, to, amount, kind)
}

/// [`owes`] with the words of `words`: `pactum-node show`, which has the order's view and not
/// its program, says it with the built-in glossary ([`Glossary::STANDARD`]).
pub fn owes_in(
    lang: Lang,
    words: Glossary<'_>,
    from: &str,
    to: &str,
    amount: String,
    kind: contract_lang::ir::TransferKind,
) -> String {
    use contract_lang::ir::TransferKind;
    use render::Case;
    match lang {
        Lang::En => {
            let noun = match kind {
                TransferKind::Pay => "payment",
                TransferKind::Refund => "refund",
                TransferKind::Compensate => "compensation",
            };
            let from = render::party(lang, words, from, Case::Nom);
            let to = render::party(lang, words, to, Case::Nom);
            format!("{from} owes {to} {amount} ({noun})")
        }
        Lang::Zh => {
            let (from, to) = (role_in(lang, words, from), role_in(lang, words, to));
            let verb = match kind {
                TransferKind::Pay => "支付",
                TransferKind::Refund => "退还",
                TransferKind::Compensate => "赔偿",
            };
            format!("{from}应向{to}{verb}{amount}")
        }
        Lang::De => {
            let noun = match kind {
                TransferKind::Pay => "Zahlung",
                TransferKind::Refund => "Erstattung",
                TransferKind::Compensate => "Entschädigung",
            };
            let from = render::capitalised(&render::party(lang, words, from, Case::Nom));
            let to = render::party(lang, words, to, Case::Dat);
            format!("{from} schuldet {to} {amount} ({noun})")
        }
    }
}

/// Where the timeline finds how an obligation shown under entry `seq` was computed: among
/// the entry's own computations of the fact recorded at `fact` (the entry's own event, or a
/// held fact a review re-evaluated), or, for what a review approved, among those of the entry
/// that held it (`approved`).
#[derive(Clone, Copy)]
pub(crate) struct Explain<'r> {
    report: Option<&'r Report>,
    seq: u64,
    fact: u64,
    approved: bool,
}

impl<'r> From<(&'r Report, u64)> for Explain<'r> {
    /// The amounts entry `seq` computed itself.
    fn from((report, seq): (&'r Report, u64)) -> Explain<'r> {
        Explain {
            report: Some(report),
            seq,
            fact: seq,
            approved: false,
        }
    }
}

impl<'r> Explain<'r> {
    /// For callers without a verified history: no explanations.
    const NONE: Explain<'static> = Explain {
        report: None,
        seq: 0,
        fact: 0,
        approved: false,
    };

    /// The amounts review `seq` computed by re-evaluating the fact held at entry `fact`.
    pub(crate) fn reevaluated(self, fact: u64) -> Explain<'r> {
        Explain { fact, ..self }
    }

    /// The amounts review `seq` approved: computed when the breaker held them.
    pub(crate) fn approved(self) -> Explain<'r> {
        Explain {
            approved: true,
            ..self
        }
    }

    /// "computed: 34 whole hours × 150.00 EUR/h = 5100.00 EUR; …", derived at replay from
    /// the clause's IR and the values it read.
    fn line(&self, lang: Lang, program: &Program, obligation: &Obligation) -> Option<String> {
        let report = self.report?;
        let worked = if self.approved {
            report.worked_approved(self.seq, obligation)?
        } else {
            report.worked(self.seq, self.fact, obligation)?
        };
        let clause = program.clause(&obligation.clause)?;
        let text = render::worked(lang, &worked.worked, &clause.ir, Glossary::of(program))?;
        Some(labelled(lang, words(lang).computed, &text))
    }
}

/// How obligation `obligation` of entry `seq` was computed, "computed: 34 whole hours × …",
/// if replay derived it: the trail page shows the same line under the amount.
pub(crate) fn computed(
    lang: Lang,
    of: Explain<'_>,
    program: &Program,
    obligation: &Obligation,
) -> Option<String> {
    of.line(lang, program, obligation)
}

fn effects_lines(
    lang: Lang,
    program: &Program,
    effects: &Effects,
    (indent, explain): (&str, Explain<'_>),
    out: &mut String,
) {
    for amendment in &effects.amendments {
        let _ = writeln!(out, "{indent}{}", amendment_line(lang, program, amendment));
    }
    for activation in &effects.activations {
        let _ = writeln!(
            out,
            "{indent}{}",
            activation_line(lang, program, activation)
        );
    }
    for obligation in &effects.obligations {
        let _ = writeln!(
            out,
            "{indent}{}",
            obligation_line(lang, program, obligation)
        );
        if let Some(line) = explain.line(lang, program, obligation) {
            let _ = writeln!(out, "{indent}  {line}");
        }
    }
    for notification in &effects.notifications {
        let _ = writeln!(
            out,
            "{indent}{}",
            notification_line(lang, program, notification)
        );
    }
}

/// "notify carrier: “revise waybill: air freight”", the message as the clause's labels
/// translate it.
fn notification_line(lang: Lang, program: &Program, notification: &Notification) -> String {
    let message = program.clause(&notification.clause).map_or_else(
        || notification.message.clone(),
        |compiled| render::clause_text(&compiled.ir, &notification.message, lang),
    );
    // "notify the carrier", "Mitteilung an den Frachtführer": the role with its article.
    let party = render::party(
        lang,
        Glossary::of(program),
        &notification.party,
        render::Case::Acc,
    );
    let source = source(lang, program, &notification.clause, notification.rule);
    let message = render::quoted(lang, &message);
    let notice = match lang {
        Lang::En => format!("notify {party}: {message}"),
        Lang::Zh => format!("通知{party}：{message}"),
        Lang::De => format!("Mitteilung an {party}: {message}"),
    };
    attributed(lang, &notice, &source)
}

fn window_line(lang: Lang, program: &Program, amendment: &WindowAmendment) -> String {
    let mut changes: Vec<String> = amendment
        .amendments
        .iter()
        .map(|a| amendment_line(lang, program, a))
        .collect();
    changes.extend(
        amendment
            .activations
            .iter()
            .map(|a| activation_line(lang, program, a)),
    );
    let fact = attested_fact(
        lang,
        program,
        &amendment.event_kind,
        &amendment.attester,
        &amendment.fields,
    );
    let changes = changes.join(if lang == Lang::Zh { "；" } else { "; " });
    format!(
        "#{} {} {}",
        amendment.seq,
        time(amendment.event_at),
        arrow(lang, &fact, &changes)
    )
}

/// The breaker's root-cause report as readable text: the policy, the amendments already in the
/// window (each with the fact behind it) and the held amendment.
pub fn render_breaker_report(
    report: &BreakerReport,
    held: &Effects,
    program: &Program,
    lang: Lang,
) -> String {
    breaker_report_text(report, held, program, lang, Explain::NONE)
}

/// [`render_breaker_report`], each held obligation followed by how it was computed.
fn breaker_report_text(
    report: &BreakerReport,
    held: &Effects,
    program: &Program,
    lang: Lang,
    explain: Explain<'_>,
) -> String {
    let w = words(lang);
    let mut out = String::new();
    let max = report.policy.max_automatic_amendments;
    let window = render::value(&Value::Duration(report.policy.window_seconds), lang);
    let at = time(report.effective_at);
    let limit = breaker_limit(lang, max, &window);
    let limit = match lang {
        Lang::Zh => format!("{limit}（{}：{at}）", w.effective),
        Lang::De => format!("{limit} ({}: {at})", w.effective),
        Lang::En => format!("{limit} ({} {at})", w.effective),
    };
    let _ = writeln!(out, "{}{}{limit}", w.tripped, colon(lang));
    let _ = writeln!(
        out,
        "  {}",
        heading(
            lang,
            &window_heading(lang, report.window_start, report.effective_at)
        )
    );
    for amendment in &report.in_window {
        let _ = writeln!(out, "    {}", window_line(lang, program, amendment));
    }
    let _ = writeln!(out, "  {}", heading(lang, w.held));
    effects_lines(lang, program, held, ("    ", explain), &mut out);
    out
}

/// The amendments already in the breaker's window, which is open at its start and closed at
/// its end, said in words ("(a … b]" is read by few buyers).
fn window_heading(lang: Lang, start: i64, end: i64) -> String {
    let (start, end) = (time(start), time(end));
    match lang {
        Lang::En => format!(
            "automatic amendments already in the window after {start} up to and including {end}"
        ),
        Lang::Zh => format!("窗口（{start}之后至{end}，含该时刻）内已有的自动变更"),
        Lang::De => format!(
            "automatische Änderungen bereits im Fenster nach {start} bis einschließlich {end}"
        ),
    }
}

fn reason_line(lang: Lang, program: &Program, reason: &ReviewReason) -> String {
    let w = words(lang);
    match reason {
        ReviewReason::Conflict { subject, writers } => {
            let writers: Vec<String> = writers
                .iter()
                .map(|writer| source(lang, program, &writer.clause, writer.rule))
                .collect();
            let subject = conflict_subject(lang, program, subject, render::Case::Acc);
            reason_at(lang, w.conflict, &subject, &render::series(lang, &writers))
        }
        ReviewReason::Requested {
            clause,
            rule,
            reason,
        } => {
            let reason = program.clause(clause).map_or_else(
                || reason.clone(),
                |compiled| render::clause_text(&compiled.ir, reason, lang),
            );
            let source = source(lang, program, clause, *rule);
            reason_at(lang, w.requested, &source, &render::quoted(lang, &reason))
        }
        ReviewReason::EvaluationError {
            clause,
            rule,
            message,
        } => reason_at(
            lang,
            w.eval_error,
            &source(lang, program, clause, *rule),
            message,
        ),
    }
}

/// What a conflict is about, as a sentence names it (in German in `case`): a term by its word
/// ("the delivery due date", "den Liefertermin"), a clause by its title; a subject this
/// version does not know as the entry records it.
pub(crate) fn conflict_subject(
    lang: Lang,
    program: &Program,
    subject: &str,
    case: render::Case,
) -> String {
    if let Some(term) = subject.strip_prefix("terms.") {
        return render::term(lang, Glossary::of(program), term, case);
    }
    if let Some(clause) = subject.strip_prefix("clause ") {
        let title = program.clause(clause).map_or_else(
            || clause.to_string(),
            |compiled| render::title(&compiled.ir, lang),
        );
        return match lang {
            Lang::Zh => format!("《{title}》"),
            Lang::En | Lang::De => format!("«{title}»"),
        };
    }
    subject.to_string()
}

/// Why an entry was handed to review, said of where it arose, then what was found there:
/// "conflict on X: …", "Auswertung fehlgeschlagen in X: …"; Chinese names the place first
/// ("X存在冲突：…").
fn reason_at(lang: Lang, why: &str, at: &str, found: &str) -> String {
    let why = match lang {
        Lang::Zh => format!("{at}{why}"),
        Lang::En | Lang::De => format!("{why} {at}"),
    };
    labelled(lang, &why, found)
}

fn outcome_lines(
    lang: Lang,
    program: &Program,
    outcome: &Outcome,
    (indent, explain): (&str, Explain<'_>),
    out: &mut String,
) {
    let w = words(lang);
    match outcome {
        Outcome::Applied(effects) if effects.is_empty() => {
            let _ = writeln!(out, "{indent}{}", w.no_change);
        }
        Outcome::Applied(effects) => effects_lines(lang, program, effects, (indent, explain), out),
        Outcome::BreakerTripped { held, report } => {
            for line in breaker_report_text(report, held, program, lang, explain).lines() {
                let _ = writeln!(out, "{indent}{line}");
            }
        }
        Outcome::ToReview { reasons } => {
            let _ = writeln!(out, "{indent}{}", w.to_review);
            for reason in reasons {
                let _ = writeln!(out, "{indent}  {}", reason_line(lang, program, reason));
            }
        }
        Outcome::Paused => {
            let _ = writeln!(out, "{indent}{}", w.paused);
        }
    }
}

fn entry_text(lang: Lang, report: &Report, entry: &VerifiedEntry, out: &mut String) {
    let w = words(lang);
    let seq = entry.body.seq;
    // Clauses are named as they were when the entry was made, not as a later agreement
    // upgraded (or removed) them.
    let program = report.program_before(seq);
    let explain = Explain::from((report, seq));
    match (&entry.body.step, &entry.event) {
        (Step::Genesis, _) => {
            let clauses: Vec<String> = report
                .contract
                .clauses
                .iter()
                .map(|binding| clause_name(lang, program, &binding.name))
                .collect();
            let _ = writeln!(
                out,
                "#{seq}  {}  {}{}{}",
                time(report.contract.genesis_at),
                w.opened,
                dash(lang),
                labelled(lang, w.clauses, &render::series(lang, &clauses))
            );
        }
        (Step::Event(step), Some(event)) => {
            let attester = entry.attester.as_deref().unwrap_or("?");
            let _ = writeln!(
                out,
                "#{seq}  {}  {}",
                time(event.at),
                fact_line(lang, program, event, attester)
            );
            if step.effective_at != event.at {
                let at = time(step.effective_at);
                let _ = match lang {
                    Lang::Zh | Lang::De => {
                        writeln!(out, "      {}", labelled(lang, w.effective, &at))
                    }
                    Lang::En => writeln!(out, "      {} {at}", w.effective),
                };
            }
            outcome_lines(lang, program, &step.outcome, ("      ", explain), out);
        }
        (Step::Review(step), _) => {
            let decision = match entry.review.as_ref().map(|review| review.decision) {
                Some(Decision::Approve) => w.approved,
                _ => w.discarded,
            };
            let note = entry
                .review
                .as_ref()
                .map_or("", |review| review.note.as_str());
            let signers = roles(
                lang,
                program,
                step.review.signatures.keys().map(String::as_str),
            );
            let when = entry
                .review
                .as_ref()
                .map_or_else(String::new, |review| time(review.at));
            let signed = bracketed(lang, &labelled(lang, w.signed_by, &signers));
            let _ = writeln!(
                out,
                "#{seq}  {when}  {}{signed}{}{decision}{}{}",
                w.review,
                colon(lang),
                dash(lang),
                render::quoted(lang, note)
            );
            if !step.applied.is_empty() {
                let _ = writeln!(out, "      {}", heading(lang, w.applied));
                let approved = explain.approved();
                effects_lines(lang, program, &step.applied, ("        ", approved), out);
            }
            for change in &step.terms {
                let _ = writeln!(out, "      {}", term_change_line(lang, program, change));
            }
            for reevaluation in &step.reevaluated {
                let kind = report
                    .entries
                    .get(usize::try_from(reevaluation.seq).unwrap_or(usize::MAX))
                    .and_then(|recorded| recorded.event.as_ref())
                    .map_or_else(String::new, |event| {
                        Glossary::of(program).kind_noun(lang, &event.kind)
                    });
                let which = match lang {
                    Lang::Zh => format!("{}#{}（{kind}）", w.reevaluated, reevaluation.seq),
                    Lang::En | Lang::De => {
                        format!("{} #{} ({kind})", w.reevaluated, reevaluation.seq)
                    }
                };
                let _ = writeln!(out, "      {}", heading(lang, &which));
                let explain = explain.reevaluated(reevaluation.seq);
                outcome_lines(
                    lang,
                    program,
                    &reevaluation.outcome,
                    ("        ", explain),
                    out,
                );
            }
        }
        (Step::Close(step), _) => {
            let signers = roles(
                lang,
                program,
                step.close.signatures.keys().map(String::as_str),
            );
            let (when, note) = entry.close.as_ref().map_or_else(
                || (String::new(), ""),
                |close| (time(close.at), close.note.as_str()),
            );
            let signed = bracketed(lang, &labelled(lang, w.signed_by, &signers));
            let _ = writeln!(
                out,
                "#{seq}  {when}  {}{signed}{}{}",
                w.closed,
                dash(lang),
                render::quoted(lang, note)
            );
        }
        (Step::Agreement(step), _) => {
            agreement_lines(lang, (program, report.program_after(seq)), entry, step, out)
        }
        (Step::Event(_), None) => {}
    }
    let signers = roles(lang, program, entry.signers.iter().map(String::as_str));
    let _ = writeln!(
        out,
        "      {}  [{}]",
        labelled(lang, w.signed_by, &signers),
        entry.hash.short()
    );
}

/// "AMENDED BY AGREEMENT of buyer and seller — "note"", then each change before → after, a
/// removed clause named as it was (`programs.0`), others as they are now (`programs.1`).
fn agreement_lines(
    lang: Lang,
    (before_program, program): (&Program, &Program),
    entry: &VerifiedEntry,
    step: &AgreementStep,
    out: &mut String,
) {
    let signers = roles_in_sentence(
        lang,
        program,
        step.agreement.signatures.keys().map(String::as_str),
    );
    let (when, note) = entry.agreement.as_ref().map_or_else(
        || (String::new(), ""),
        |agreement| (time(agreement.at), agreement.note.as_str()),
    );
    let headline = match lang {
        Lang::En => format!("AMENDED BY AGREEMENT of {signers}"),
        Lang::Zh => format!("经{signers}协议修改"),
        Lang::De => format!("DURCH VEREINBARUNG GEÄNDERT (Parteien: {signers})"),
    };
    let seq = entry.body.seq;
    let _ = writeln!(
        out,
        "#{seq}  {when}  {headline}{}{}",
        dash(lang),
        render::quoted(lang, note)
    );
    for change in &step.terms {
        let _ = writeln!(out, "      {}", term_change_line(lang, program, change));
    }
    for change in &step.params {
        let before = change.before.as_ref().map_or_else(
            || words(lang).unset.to_string(),
            |before| value(lang, program, before),
        );
        let after = value(lang, program, &change.after);
        let param = program.clause(&change.clause).map_or_else(
            || change.param.clone(),
            |compiled| render::name_label(&compiled.ir, &change.param, lang),
        );
        let clause = clause_name(lang, program, &change.clause);
        let _ = writeln!(
            out,
            "      {}",
            match (lang, arrow(lang, &before, &after)) {
                (Lang::En, change) => format!("{clause}, parameter {param}: {change}"),
                (Lang::Zh, change) => format!("{clause}的参数「{param}」：{change}"),
                (Lang::De, change) => format!("{clause}, Parameter „{param}“: {change}"),
            }
        );
    }
    for change in &step.clauses {
        let named_by = if change.after.is_some() {
            program
        } else {
            before_program
        };
        let clause = clause_name(lang, named_by, &change.clause);
        let id = |digest: &Option<crate::model::Digest>| {
            digest.map_or_else(String::new, |digest| digest.short())
        };
        let (before, after) = (id(&change.before), id(&change.after));
        let line = match (change.before.is_some(), change.after.is_some(), lang) {
            (false, _, Lang::En) => format!("clause added: {clause} [{after}]"),
            (false, _, Lang::Zh) => format!("新增条款：{clause}[{after}]"),
            (false, _, Lang::De) => format!("Klausel aufgenommen: {clause} [{after}]"),
            (_, false, Lang::En) => format!("clause removed: {clause} [{before}]"),
            (_, false, Lang::Zh) => format!("删除条款：{clause}[{before}]"),
            (_, false, Lang::De) => format!("Klausel gestrichen: {clause} [{before}]"),
            (_, _, Lang::En) => format!("clause upgraded: {clause} [{before} → {after}]"),
            (_, _, Lang::Zh) => format!("条款更新：{clause}[{before} → {after}]"),
            (_, _, Lang::De) => format!("Klausel neu gefasst: {clause} [{before} → {after}]"),
        };
        let _ = writeln!(out, "      {line}");
    }
}

/// A term the parties set: "set the delivery due date: before → after".
fn term_change_line(lang: Lang, program: &Program, change: &TermChange) -> String {
    let before = change.before.as_ref().map_or_else(
        || words(lang).unset.to_string(),
        |before| value(lang, program, before),
    );
    let term = Glossary::of(program).term(lang, &change.term);
    let after = value(lang, program, &change.after);
    let change = arrow(lang, &before, &after);
    match lang {
        Lang::En => format!("set {term}: {change}"),
        Lang::Zh => format!("约定{term}：{change}"),
        Lang::De => format!("vereinbart: {term}: {change}"),
    }
}

/// `«title» (clause name)`, `《标题》（name）`, or the name alone for a clause the program does
/// not hold.
fn clause_name(lang: Lang, program: &Program, clause: &str) -> String {
    program.clause(clause).map_or_else(
        || clause.to_string(),
        |compiled| match lang {
            Lang::Zh => format!("《{}》（{clause}）", render::title(&compiled.ir, lang)),
            Lang::En | Lang::De => format!("«{}» ({clause})", render::title(&compiled.ir, lang)),
        },
    )
}

/// "The order as of entry #N, cosigned by … at …": what a verified bundle proves.
fn as_of_line(lang: Lang, report: &Report) -> String {
    let as_of = &report.as_of;
    let roles = roles_in_sentence(
        lang,
        &report.program,
        as_of.cosigned_by.iter().map(String::as_str),
    );
    let at = time(as_of.at);
    match lang {
        Lang::En => format!(
            "Proves the order as of entry #{}, cosigned by {roles} at {at}",
            as_of.seq
        ),
        Lang::Zh => format!("证明订单截至记录#{}，由{roles}于{at}联署", as_of.seq),
        Lang::De => format!(
            "Belegt den Auftrag mit Stand Eintrag #{}, mitsigniert von {roles} am {at}",
            as_of.seq
        ),
    }
}

/// What the presented heads showed, if any were presented.
fn freshness_line(lang: Lang, report: &Report) -> Option<String> {
    let last = report.as_of.seq;
    let program = &report.program;
    Some(match &report.freshness {
        Freshness::NotChecked => return None,
        Freshness::Current { signers } => {
            let signers = roles_in_sentence(lang, program, signers.iter().map(String::as_str));
            match lang {
                Lang::En => format!(
                    "Current: the heads presented by {signers} name entries this bundle holds"
                ),
                Lang::Zh => format!("最新：{signers}提供的最新记录声明均指向本文件已有的记录"),
                Lang::De => format!(
                    "Aktuell: die von {signers} vorgelegten Standmeldungen nennen Einträge dieses Bündels"
                ),
            }
        }
        Freshness::Stale {
            signer,
            head_seq,
            head_at,
            missing_from,
            missing_to,
            ..
        } => {
            let at = time(*head_at);
            let signer = role(lang, program, signer);
            let missing = missing_entries(lang, *missing_from, *missing_to);
            match lang {
                Lang::En => format!("STALE: {signer} signed a head naming entry #{head_seq} ({at}); this bundle ends at entry #{last}: {missing} missing"),
                Lang::Zh => format!("过期：{signer}签署的最新记录声明指向记录#{head_seq}（{at}）；本文件止于记录#{last}：缺少{missing}"),
                Lang::De => format!("VERALTET: {signer} hat eine Standmeldung mit Eintrag #{head_seq} ({at}) signiert; dieses Bündel endet bei Eintrag #{last}: {missing}"),
            }
        }
    })
}

/// The entries `from..=to` a stale bundle lacks, as a phrase: "entry #2 is" / "entries #2 to
/// #4 are" (followed by "missing"), 记录#2 / 记录#2至#4, "es fehlt Eintrag #2" / "es fehlen
/// die Einträge #2 bis #4" — never "#2 to #2". The trail page says the same.
pub(crate) fn missing_entries(lang: Lang, from: u64, to: u64) -> String {
    match (lang, from == to) {
        (Lang::En, true) => format!("entry #{from} is"),
        (Lang::En, false) => format!("entries #{from} to #{to} are"),
        (Lang::Zh, true) => format!("记录#{from}"),
        (Lang::Zh, false) => format!("记录#{from}至#{to}"),
        (Lang::De, true) => format!("es fehlt Eintrag #{from}"),
        (Lang::De, false) => format!("es fehlen die Einträge #{from} bis #{to}"),
    }
}

/// Step 8's finding, with the basis of accepted growth.
fn consistency_text(lang: Lang, program: &Program, consistency: &Consistency) -> String {
    match (consistency, lang) {
        (Consistency::FirstSeen, Lang::En) => "first seen".into(),
        (Consistency::FirstSeen, Lang::Zh) => "首次见到此日志".into(),
        (Consistency::FirstSeen, Lang::De) => "erstmals gesehen".into(),
        (Consistency::Unchanged, Lang::En) => "unchanged".into(),
        (Consistency::Unchanged, Lang::Zh) => "未变化".into(),
        (Consistency::Unchanged, Lang::De) => "unverändert".into(),
        (
            Consistency::Extended {
                from,
                basis: GrowthBasis::Proof,
            },
            _,
        ) => match lang {
            Lang::En => format!("grew from size {from} (consistency proof)"),
            Lang::Zh => format!("自大小{from}增长（一致性证明）"),
            Lang::De => format!("von Größe {from} gewachsen (Konsistenzbeweis)"),
        },
        (
            Consistency::Extended {
                from,
                basis: GrowthBasis::Witnesses { names },
            },
            _,
        ) => {
            let names = roles_in_sentence(lang, program, names.iter().map(String::as_str));
            match lang {
                Lang::En => format!("grew from size {from} (cosigned by witnesses {names}, which check append-only before cosigning)"),
                Lang::Zh => format!("自大小{from}增长（由见证方{names}联署，见证方联署前均检查日志只是增长）"),
                Lang::De => format!("von Größe {from} gewachsen (mitsigniert von den Zeugen {names}, die vor dem Mitsignieren prüfen, dass das Log nur gewachsen ist)"),
            }
        }
    }
}

/// "10 entries, 30 signatures verified" with each noun in the right number.
fn counts_line(lang: Lang, entries: usize, signatures: usize) -> String {
    let entries = render::count(
        lang,
        entries,
        ["entry", "entries"],
        "条记录",
        ["Eintrag", "Einträge"],
    );
    let signatures = render::count(
        lang,
        signatures,
        ["signature verified", "signatures verified"],
        "个签名已验证",
        ["Signatur geprüft", "Signaturen geprüft"],
    );
    match lang {
        Lang::Zh => format!("{entries}，{signatures}"),
        Lang::En | Lang::De => format!("{entries}, {signatures}"),
    }
}

/// The verdict, the steps and the timeline of a verified order.
pub fn render_report(report: &Report, lang: Lang) -> String {
    let w = words(lang);
    let contract = &report.contract;
    let program = &report.program;
    let mut out = String::new();
    let verdict = if report.freshness.is_stale() {
        w.stale
    } else {
        w.valid
    };
    let _ = match lang {
        Lang::Zh => writeln!(
            out,
            "{verdict}——{}{}（{}）",
            w.order, contract.order_ref, report.order
        ),
        Lang::En | Lang::De => writeln!(
            out,
            "{verdict} — {} {} ({})",
            w.order, contract.order_ref, report.order
        ),
    };
    let _ = writeln!(out, "{}", as_of_line(lang, report));
    if let Some(line) = freshness_line(lang, report) {
        let _ = writeln!(out, "{line}");
    }
    let semicolon = if lang == Lang::Zh { "；" } else { "; " };
    let parties = [
        labelled(
            lang,
            w.parties,
            &roles(lang, program, contract.parties.keys().map(String::as_str)),
        ),
        labelled(lang, w.sequencer, &role(lang, program, &contract.sequencer)),
        labelled(
            lang,
            w.jurisdiction,
            &render::law(lang, &contract.jurisdiction),
        ),
    ];
    let _ = writeln!(out, "{}", parties.join(semicolon));
    let witnesses = roles(lang, program, report.witnesses.iter().map(String::as_str));
    let log = format!(
        "{} @ {}",
        report.checkpoint.origin(),
        report.checkpoint.size()
    );
    let _ = writeln!(
        out,
        "{}{semicolon}{}{}",
        counts_line(lang, report.entries.len(), report.signatures_checked),
        match lang {
            // The log's name and size are data, set off as such: 日志“origin @ 13”.
            Lang::Zh => format!("{}“{log}”", w.checkpoint),
            Lang::En | Lang::De => format!("{} {log}", w.checkpoint),
        },
        bracketed(lang, &labelled(lang, w.cosigned_by, &witnesses))
    );
    if let Some(consistency) = &report.consistency {
        let finding = consistency_text(lang, program, consistency);
        let _ = writeln!(out, "{}", labelled(lang, w.consistency, &finding));
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", heading(lang, w.steps));
    for (number, _) in STEPS {
        if number == 8 && report.consistency.is_none()
            || number == 9 && report.freshness == Freshness::NotChecked
        {
            continue;
        }
        let mark = if number == 9 && report.freshness.is_stale() {
            "✗"
        } else {
            "✓"
        };
        let name = crate::trail::words::step_name(lang, number);
        let _ = writeln!(out, "  {number}. {name} {mark}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", heading(lang, w.timeline));
    for entry in &report.entries {
        entry_text(lang, report, entry, &mut out);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", heading(lang, w.final_terms));
    for (name, term) in report.state.terms() {
        let name = Glossary::of(program).term(lang, name);
        let _ = writeln!(
            out,
            "  {}",
            labelled(lang, &name, &value(lang, program, term))
        );
    }
    if !report.state.obligations.is_empty() {
        let _ = writeln!(out, "{}", heading(lang, w.obligations));
        for total in &report.state.obligations {
            let amount = contract_lang::value::Money {
                minor: total.minor,
                currency: total.currency,
            };
            let _ = writeln!(
                out,
                "  {}",
                owes(
                    lang,
                    program,
                    &total.from,
                    &total.to,
                    money(lang, amount),
                    total.kind
                )
            );
        }
    }
    out
}

/// The verdict for a rejected bundle.
pub fn render_error(error: &VerifyError, lang: Lang) -> String {
    let w = words(lang);
    let entry = error
        .entry()
        .map(|index| match lang {
            Lang::Zh => format!("，{}#{index}", w.at_entry),
            Lang::En | Lang::De => format!(", {} {index}", w.at_entry),
        })
        .unwrap_or_default();
    let mut out = String::new();
    let step = error.step();
    let _ = match lang {
        // "无效——失败于第7步，记录#6".
        Lang::Zh => writeln!(out, "{}——{}{step}步{entry}", w.invalid, w.step_failed),
        Lang::En | Lang::De => writeln!(out, "{} — {} {step}{entry}", w.invalid, w.step_failed),
    };
    let _ = writeln!(out, "  {error}");
    out
}

/// An entry in the native JSON shared with the node's API ([`crate::json`]), with the
/// breaker's root-cause report rendered in `lang` beside it.
fn entry_json(report: &Report, entry: &VerifiedEntry, lang: Lang) -> serde_json::Value {
    let shared = crate::json::entry(
        &report.contract,
        &entry.hash,
        &entry.body,
        entry.signers.clone(),
        Some(entry.leaf_index),
    );
    let mut object = serde_json::to_value(shared).unwrap_or(serde_json::Value::Null);
    let program = report.program_before(entry.body.seq);
    // A review's approved amounts were computed when the breaker held them, at an earlier
    // entry; they come first, as the timeline shows them, then the review's re-evaluations,
    // each with the fact it was computed from.
    let mut explained: Vec<(u64, &contract_lang::eval::WorkedAmount)> = Vec::new();
    if let Step::Review(step) = &entry.body.step {
        explained.extend(
            step.applied
                .obligations
                .iter()
                .filter_map(|obligation| report.approved_computation(entry.body.seq, obligation)),
        );
    }
    for group in &entry.worked {
        explained.extend(group.amounts.iter().map(|worked| (group.fact, worked)));
    }
    let computed: Vec<serde_json::Value> = explained
        .into_iter()
        .filter_map(|(fact, worked)| {
            let clause = program.clause(&worked.source.clause)?;
            let text = render::worked(lang, &worked.worked, &clause.ir, Glossary::of(program))?;
            let source = crate::json::RuleJson::new(&worked.source.clause, worked.source.rule);
            Some(json!({
                "clause": source.clause,
                "rule": source.rule,
                "amount": crate::json::MoneyJson::from(worked.amount),
                "fact": fact,
                "text": text,
            }))
        })
        .collect();
    if let (false, Some(map)) = (computed.is_empty(), object.as_object_mut()) {
        map.insert("amounts_computed".into(), json!(computed));
    }
    let attester_label = entry
        .attester
        .as_deref()
        .and_then(|name| Glossary::of(program).attester(lang, name));
    if let (Some(label), Some(map)) = (attester_label, object.as_object_mut()) {
        map.insert("attester_label".into(), json!(label));
    }
    if let (Step::Event(step), Some(map)) = (&entry.body.step, object.as_object_mut()) {
        if let Outcome::BreakerTripped { held, report: trip } = &step.outcome {
            let program = report.program_before(entry.body.seq);
            let text = render_breaker_report(trip, held, program, lang);
            map.insert("breaker_report_text".into(), json!(text));
        }
    }
    object
}

/// A verified order for apps: the verdict, the steps, the timeline and the final state.
pub fn report_json(report: &Report, lang: Lang) -> serde_json::Value {
    let contract = &report.contract;
    json!({
        "valid": !report.freshness.is_stale(),
        "stale": report.freshness.is_stale(),
        "as_of": {
            "seq": report.as_of.seq,
            "entry": report.as_of.entry.to_string(),
            "at": time(report.as_of.at),
            "cosigned_by": report.as_of.cosigned_by,
        },
        "freshness": report.freshness,
        "order": report.order.to_string(),
        "order_ref": contract.order_ref,
        "parties": crate::json::Directory::new(contract).parties(),
        "sequencer": contract.sequencer,
        "jurisdiction": contract.jurisdiction,
        "entries": report.entries.len(),
        "signatures_checked": report.signatures_checked,
        "checkpoint": {
            "origin": report.checkpoint.origin(),
            "size": report.checkpoint.size(),
            "root": crate::model::hex(report.checkpoint.root()),
            "cosigned_by": report.witnesses,
        },
        "consistency": report.consistency,
        "breaker": report.breaker,
        "steps": STEPS.iter()
            .filter(|(number, _)| *number != 8 || report.consistency.is_some())
            .filter(|(number, _)| *number != 9 || report.freshness != Freshness::NotChecked)
            .map(|(number, name)| json!({
                "step": number,
                "name": name,
                "ok": *number != 9 || !report.freshness.is_stale(),
            }))
            .collect::<Vec<_>>(),
        "timeline": report.entries.iter().map(|e| entry_json(report, e, lang)).collect::<Vec<_>>(),
        "terms": crate::json::values(report.state.terms()),
        "obligations": report.state.obligations.iter()
            .map(|t| crate::json::obligation_total(t, &crate::json::Directory::new(contract)))
            .collect::<Vec<_>>(),
        "text": render_report(report, lang),
    })
}

/// A rejected bundle for apps.
pub fn error_json(error: &VerifyError, lang: Lang) -> serde_json::Value {
    let step_name = STEPS
        .iter()
        .find(|(number, _)| *number == error.step())
        .map(|(_, name)| *name);
    let evidence = match error {
        VerifyError::Consistency(crate::bundle::ConsistencyError::Rollback(evidence))
        | VerifyError::Consistency(crate::bundle::ConsistencyError::Fork(evidence)) => {
            serde_json::to_value(evidence).unwrap_or(serde_json::Value::Null)
        }
        VerifyError::Consistency(crate::bundle::ConsistencyError::OrderShortened(evidence))
        | VerifyError::Consistency(crate::bundle::ConsistencyError::EntryReplaced(evidence)) => {
            serde_json::to_value(evidence).unwrap_or(serde_json::Value::Null)
        }
        VerifyError::Head(crate::bundle::HeadError::Conflict {
            signer,
            seq,
            entry,
            head,
        }) => json!({
            "signer": signer, "seq": seq, "entry": entry.to_string(), "head": head.to_string(),
        }),
        _ => serde_json::Value::Null,
    };
    json!({
        "valid": false,
        "step": error.step(),
        "step_name": step_name,
        "entry": error.entry(),
        "code": error.code(),
        "message": error.to_string(),
        "evidence": evidence,
        "text": render_error(error, lang),
    })
}
