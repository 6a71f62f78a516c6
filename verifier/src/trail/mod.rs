//! The evolution-trail page's view of a verification: the verdict with its numbered steps, the
//! order, the timeline, the data of the terms-over-time picture and what the verdict rests on —
//! as data for the page's script to lay out, every word already in the reader's language.
//!
//! The browser gets this from the same Rust code as `pactum-verify` (compiled to WebAssembly,
//! `verifier/wasm`); the script only places text (as text, never as markup) and draws the SVG.
//! Every string of the view passes through `contract_lang::untrusted::escape_lines` last, so a
//! control or bidi character in an attested field (a note, a fact, a party's role) shows as
//! `\u{202e}` instead of reordering or hiding what the customer reads.

mod agreement;
mod heads;
mod memory;
mod trust_problem;
pub(crate) mod words;

use std::borrow::Cow;
use std::collections::BTreeMap;

use contract_lang::ir::Program;
pub use contract_lang::render::Lang;
use contract_lang::render::{self, Glossary};
use contract_lang::untrusted;
use contract_lang::value::{Money, Value};
use serde::Serialize;

use crate::bundle::{Bundle, Report, Trust, VerifiedEntry, VerifyError};
use crate::model::{BreakerPolicy, Decision, Effects, Outcome, ReviewReason, Step};
use crate::sign::PublicKey;
pub use heads::{head_json, head_view, unreachable, HeadFailure, HeadView};
pub use memory::Evidence;
pub use trust_problem::{trust_problem, trust_problem_json, TrustProblemView};
pub use words::{labels, step_name, Labels};

/// Everything the page shows for one verification, in one language.
#[derive(Debug, Serialize)]
pub struct View {
    pub lang: &'static str,
    /// `valid` or `invalid`: the page's `<body data-verdict>`.
    pub verdict: &'static str,
    /// Entries verified (valid), or carried by the bundle (invalid, when its header decodes):
    /// the page's `<body data-entries>`.
    pub entries: usize,
    /// "10 entries", "1 Eintrag", "10条记录": the count with its noun in the right number.
    pub entries_text: String,
    pub labels: &'static Labels,
    /// The verdict in words.
    pub headline: String,
    /// The order's reference (valid bundles).
    pub reference: Option<String>,
    pub steps: Vec<StepView>,
    // What the verdict leaves out (and a valid bundle's failure) serialized out of line: the
    // browser compiles that code only when the view has it.
    #[serde(serialize_with = "crate::out_of_line::option")]
    pub failure: Option<FailureView>,
    #[serde(serialize_with = "crate::out_of_line::option")]
    pub order: Option<OrderView>,
    #[serde(serialize_with = "crate::out_of_line::items")]
    pub timeline: Vec<EntryView>,
    #[serde(serialize_with = "crate::out_of_line::option")]
    pub chart: Option<Chart>,
    #[serde(serialize_with = "crate::out_of_line::items")]
    pub final_terms: Vec<Pair>,
    pub obligations: Vec<String>,
    pub basis: Basis,
}

#[derive(Debug, Serialize)]
pub struct StepView {
    pub number: u8,
    pub name: &'static str,
    /// `ok`, `failed` or `not_reached`.
    pub status: &'static str,
}

#[derive(Debug, Serialize)]
pub struct FailureView {
    pub step: u8,
    pub step_name: &'static str,
    pub entry: Option<u64>,
    /// Why, in the reader's language.
    pub reason: String,
    /// The stable code of the failure (`entry.AttesterSignature`), language-neutral.
    pub code: String,
    /// The verifier's own message, shown only on the English page.
    pub detail: Option<String>,
    /// For a step-8 failure: what this browser remembered and what the bundle shows, in words.
    pub explanation: Option<String>,
    /// For a rollback, a fork or a rewritten order (step 8): what this browser verified before
    /// and what the bundle presents (the signed checkpoints; the page folds them away).
    pub evidence: Vec<Evidence>,
}

#[derive(Debug, Serialize)]
pub struct Pair {
    pub name: String,
    pub value: String,
    /// The value holds someone's text (quoted as written, not in the reader's language).
    pub quoted: bool,
}

impl Pair {
    fn of(lang: Lang, name: String, value: &Value) -> Pair {
        Pair {
            name,
            value: shown_value(lang, Glossary::STANDARD, value),
            quoted: holds_text(value),
        }
    }
}

fn holds_text(value: &Value) -> bool {
    match value {
        Value::Text(_) => true,
        Value::List(items) => items.iter().any(holds_text),
        Value::Record(fields) => fields.values().any(holds_text),
        _ => false,
    }
}

#[derive(Debug, Serialize)]
pub struct OrderView {
    pub reference: String,
    pub id: String,
    pub jurisdiction: String,
    pub sequencer: String,
    pub parties: Vec<PartyView>,
    pub clauses: Vec<ClauseView>,
    pub initial_terms: Vec<Pair>,
    pub breaker: String,
    pub attesters: Vec<AttesterView>,
}

#[derive(Debug, Serialize)]
pub struct PartyView {
    pub role: String,
    pub fingerprint: String,
}

/// A witness of the log as the trust file names it (`pactum/carrier/000b…`), with its key's
/// fingerprint apart so that the page keeps the fingerprint on one line.
#[derive(Debug, Serialize)]
pub struct Witness {
    pub name: String,
    pub fingerprint: String,
}

#[derive(Debug, Serialize)]
pub struct ClauseView {
    pub name: String,
    pub title: String,
    pub active: bool,
    /// The clause rendered from its IR in the reader's language, as `pactum-clause render`.
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct AttesterView {
    /// The attester's role in the reader's language, or its name as the contract writes it.
    pub name: String,
    /// `name` is the contract's own text (no word of the glossary).
    pub quoted: bool,
    pub fingerprint: String,
    pub kinds: Vec<String>,
}

/// One entry of the timeline.
#[derive(Debug, Serialize)]
pub struct EntryView {
    pub seq: u64,
    /// `genesis`, `event`, `tripped`, `to_review`, `paused`, `review` or `close`.
    pub kind: &'static str,
    pub time: String,
    pub title: String,
    /// Who attested the fact: a role in the reader's language, or the contract's own name.
    pub attester: Option<String>,
    /// `attester` is the contract's own text.
    pub attester_quoted: bool,
    pub facts: Vec<Pair>,
    pub lines: Vec<Line>,
    pub signers: Vec<String>,
    pub hash: String,
}

/// One thing an entry did or recorded.
#[derive(Debug, Serialize)]
pub struct Line {
    /// `amend`, `activate`, `oblige`, `worked` (how the amount above was computed), `notify`,
    /// `none`, `trip`, `window`, `held`, `review`,
    /// `reason`, `paused`, `note`.
    pub class: &'static str,
    pub text: String,
    /// Someone else's words, quoted as they wrote them (a notification, a review's note): the
    /// page marks them as data, not as its own text.
    pub quote: Option<String>,
    /// The clause and rule that made it.
    pub source: Option<String>,
}

/// The data of the terms-over-time picture; the page draws it as SVG. The horizontal axis is
/// the history's entries, evenly spaced (`pos` is an entry's position, which a verified history
/// makes its number too), each tick labelled with its entry's number and each day's entries
/// with their date once: real histories bunch many entries into a few days, which a linear
/// time axis would crush into one line.
#[derive(Debug, Serialize)]
pub struct Chart {
    /// How many entries the axis spans.
    pub entries: usize,
    /// The days of the history, each with its first and last entry.
    pub dates: Vec<Day>,
    pub tracks: Vec<Track>,
    pub obligations: Option<Track>,
    pub windows: Vec<Window>,
    pub reviews: Vec<Mark>,
    /// What the shading and the dashed lines stand for, naming only those the picture has
    /// ("Shaded: breaker windows; dashed lines: reviews"); none when it has neither.
    pub legend: Option<String>,
}

/// A term's values over the entries. `kind` is `time` or `number` (a stepped line, `value`
/// on the vertical axis) or `label` (a band of labelled segments).
#[derive(Debug, Serialize)]
pub struct Track {
    pub name: String,
    pub kind: &'static str,
    pub points: Vec<Point>,
}

#[derive(Debug, Serialize)]
pub struct Point {
    pub pos: usize,
    pub value: Option<i64>,
    pub label: String,
}

/// A breaker window: from the first amendment it counted, tripped at `tripped`, held until
/// `to` (the review, or the end of the history).
#[derive(Debug, Serialize)]
pub struct Window {
    pub from: usize,
    pub tripped: usize,
    pub to: usize,
    pub label: String,
}

/// A review's place on the axis and its label (`#7 review`).
#[derive(Debug, Serialize)]
pub struct Mark {
    pub pos: usize,
    pub label: String,
}

/// A day of the history: its entries at positions `from` to `to`, its date (`2026-03-01`).
#[derive(Debug, Serialize)]
pub struct Day {
    pub from: usize,
    pub to: usize,
    pub date: String,
}

/// The trust the verdict rests on (which trust file it is, the page's own or one dropped onto
/// it, only the page knows: it says so under `Labels::trust_source` or `trust_dropped`).
#[derive(Debug, Serialize)]
pub struct Basis {
    pub log_origin: String,
    pub log_key: String,
    pub witnesses: Vec<Witness>,
    pub min_witnesses: usize,
    pub pinned: Vec<PartyView>,
    /// "as of entry #N, cosigned at T" (valid bundles).
    pub as_of: Option<String>,
    /// Step 8: how the log compares with what this browser verified before (valid bundles
    /// verified with a memory).
    pub memory: Option<String>,
}

/// The view of `result`, the verification of `bytes` against `trust`, in `lang`, with the
/// timeline's first `shown` entries (the page asks for the rest with [`timeline`] while the
/// reader already sees the verdict).
pub fn view(
    bytes: &[u8],
    trust: &Trust,
    result: &Result<Report, VerifyError>,
    lang: Lang,
    shown: usize,
) -> View {
    build(bytes, trust, result, lang, Some(shown))
}

/// What the page shows first, as soon as verification ends: the verdict, the steps, the
/// failure and the basis, without the order, the picture, the timeline and the final state
/// (whose cost grows with the history; the page asks for them with [`view`] once the verdict
/// is on screen).
pub fn verdict(
    bytes: &[u8],
    trust: &Trust,
    result: &Result<Report, VerifyError>,
    lang: Lang,
) -> View {
    build(bytes, trust, result, lang, None)
}

/// The view, with the order, picture, final state and the timeline's first `detail` entries
/// when `detail` is given.
fn build(
    bytes: &[u8],
    trust: &Trust,
    result: &Result<Report, VerifyError>,
    lang: Lang,
    detail: Option<usize>,
) -> View {
    let labels = labels(lang);
    // "As of entry #N, cosigned at T" is read from the checkpoint's cosignatures, verified again
    // for it: shown with the detail, so the verdict does not wait for it.
    let mut basis = basis(lang, trust, result.as_ref().ok());
    basis.as_of = match (result, detail) {
        (Ok(report), Some(_)) => Some(as_of(lang, bytes, trust, report)),
        _ => None,
    };
    let mut view = match result {
        Ok(report) => valid_view(lang, report, basis, detail),
        Err(error) => invalid_view(lang, bytes, error, basis),
    };
    view.headline = if view.verdict == "valid" {
        labels.valid
    } else {
        labels.invalid
    }
    .to_string();
    view
}

/// The view as JSON with every string escaped (`contract_lang::untrusted::escape_lines`).
pub fn view_json(view: &View) -> serde_json::Value {
    let mut value = serde_json::to_value(view).unwrap_or(serde_json::Value::Null);
    escape_strings(&mut value);
    value
}

/// Timeline entries as JSON, escaped like [`view_json`].
pub fn entries_json(entries: &[EntryView]) -> serde_json::Value {
    let mut value = serde_json::to_value(entries).unwrap_or(serde_json::Value::Null);
    escape_strings(&mut value);
    value
}

fn escape_strings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => {
            if let Cow::Owned(escaped) = untrusted::escape_lines(text) {
                *text = escaped;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(escape_strings),
        serde_json::Value::Object(map) => map.values_mut().for_each(escape_strings),
        _ => {}
    }
}

fn steps(lang: Lang, failed: Option<u8>, ran_step_8: bool) -> Vec<StepView> {
    (1..=8u8)
        // Step 8 runs when the browser remembers a log; after a failure it is one of the steps
        // not reached, like every other step after the failing one.
        .filter(|&number| number != 8 || ran_step_8 || failed.is_some())
        .map(|number| StepView {
            number,
            name: step_name(lang, number),
            status: match failed {
                Some(step) if number == step => "failed",
                Some(step) if number > step => "not_reached",
                _ => "ok",
            },
        })
        .collect()
}

/// A role as `pactum-verify`'s timeline prints it: `seller`, `卖方`, `Verkäufer`, or as the
/// vocabulary's own party labels (`words`, the program's glossary) name it.
fn role(lang: Lang, words: Glossary<'_>, role: &str) -> String {
    crate::timeline::role_in(lang, words, role)
}

/// The words the order names its roles with: its vocabulary's labels as its parties signed it
/// (the genesis program), then the built-in table.
fn order_words(report: &Report) -> Glossary<'_> {
    Glossary::of(report.program_before(0))
}

/// An attester in the reader's language: its vocabulary label (`attester:weather-service`),
/// else a role the glossary knows by that name (`carrier`); none for a name nothing labels
/// (shown as written, marked as data).
fn attester_name(lang: Lang, words: Glossary<'_>, name: &str) -> Option<String> {
    words.lookup(lang, &format!("attester:{name}")).or_else(|| {
        words
            .lookup(lang, &format!("party:{name}"))
            .map(|_| role(lang, words, name))
    })
}

/// A key as people compare it: its first 16 hex digits in groups of four.
fn fingerprint(key: &PublicKey) -> String {
    let hex = key.to_string();
    let digits: Vec<&str> = (0..4).filter_map(|i| hex.get(i * 4..i * 4 + 4)).collect();
    digits.join(" ")
}

fn entries_text(lang: Lang, entries: usize) -> String {
    render::count(
        lang,
        entries,
        ["entry", "entries"],
        "条记录",
        ["Eintrag", "Einträge"],
    )
}

fn time(lang: Lang, seconds: i64) -> String {
    render::value(&Value::Timestamp(seconds), lang)
}

// Kept out of line, like `add_detail` and `as_of`: the browser compiles a function whole the
// first time it is called, so code inlined into `build` would be compiled before a valid
// bundle's verdict though only a rejected bundle, or the view after the verdict, runs it.
#[inline(never)]
fn invalid_view(lang: Lang, bytes: &[u8], error: &VerifyError, basis: Basis) -> View {
    let entries = Bundle::parse(bytes).map_or(0, |(bundle, _)| bundle.entry_lengths.len());
    let failure = FailureView {
        step: error.step(),
        step_name: step_name(lang, error.step()),
        entry: error.entry(),
        reason: words::reason_beside_entry(lang, error, &|name| {
            role(lang, Glossary::STANDARD, name)
        }),
        code: error.code(),
        detail: (lang == Lang::En).then(|| error.to_string()),
        explanation: memory::explanation(lang, error),
        evidence: memory::evidence(lang, error),
    };
    View {
        lang: lang.code(),
        verdict: "invalid",
        entries,
        entries_text: entries_text(lang, entries),
        labels: labels(lang),
        headline: String::new(),
        reference: None,
        steps: steps(lang, Some(error.step()), false),
        failure: Some(failure),
        order: None,
        timeline: Vec::new(),
        chart: None,
        final_terms: Vec::new(),
        obligations: Vec::new(),
        basis,
    }
}

fn valid_view(lang: Lang, report: &Report, basis: Basis, detail: Option<usize>) -> View {
    let mut view = View {
        lang: lang.code(),
        verdict: "valid",
        entries: report.entries.len(),
        entries_text: entries_text(lang, report.entries.len()),
        labels: labels(lang),
        headline: String::new(),
        reference: Some(report.contract.order_ref.clone()),
        steps: steps(lang, None, report.consistency.is_some()),
        failure: None,
        order: None,
        timeline: Vec::new(),
        chart: None,
        final_terms: Vec::new(),
        obligations: Vec::new(),
        basis,
    };
    if let Some(shown) = detail {
        add_detail(&mut view, lang, report, shown);
    }
    view
}

/// The order, picture, final state and the timeline's first `shown` entries of a valid view.
#[inline(never)]
fn add_detail(view: &mut View, lang: Lang, report: &Report, shown: usize) {
    let times = entry_times(report);
    view.order = Some(order_view(lang, report));
    view.timeline = timeline_of(lang, report, &times, 0, shown);
    view.chart = Some(chart(lang, report, &times));
    view.final_terms = report
        .state
        .terms()
        .iter()
        .map(|(name, value)| Pair::of(lang, Glossary::STANDARD.term(lang, name), value))
        .collect();
    view.obligations = report
        .state
        .obligations
        .iter()
        .map(|total| {
            let amount = Money {
                minor: total.minor,
                currency: total.currency,
            };
            let amount = money(lang, amount);
            crate::timeline::owes(
                lang,
                &report.program,
                &total.from,
                &total.to,
                amount,
                total.kind,
            )
        })
        .collect();
}

/// An amount as the reader writes it (`5100,00 EUR` in German), as every other value.
fn money(lang: Lang, amount: Money) -> String {
    render::value(&Value::Money(amount), lang)
}

fn breaker_policy(lang: Lang, policy: &BreakerPolicy) -> String {
    let max = policy.max_automatic_amendments;
    let window = render::value(&Value::Duration(policy.window_seconds), lang);
    match lang {
        Lang::En => format!("at most {max} automatic amendments within {window}; beyond that, the order waits for a review signed by the parties"),
        Lang::Zh => format!("{window}内最多{max}次自动变更；超出时订单暂停，等待各方签署的审核"),
        Lang::De => format!("höchstens {max} automatische Änderungen innerhalb von {window}; darüber hinaus wartet der Auftrag auf eine von den Parteien signierte Prüfung"),
    }
}

fn order_view(lang: Lang, report: &Report) -> OrderView {
    let contract = &report.contract;
    // The contract's clauses as its parties signed them: the genesis program, not one a later
    // agreement upgraded them to.
    let program = report.program_before(0);
    let words = Glossary::of(program);
    OrderView {
        reference: contract.order_ref.clone(),
        id: report.order.to_string(),
        jurisdiction: contract.jurisdiction.clone(),
        sequencer: role(lang, words, &contract.sequencer),
        parties: contract
            .parties
            .iter()
            .map(|(name, key)| PartyView {
                role: role(lang, words, name),
                fingerprint: fingerprint(key),
            })
            .collect(),
        clauses: contract
            .clauses
            .iter()
            .map(|binding| {
                let compiled = program.clause(&binding.name);
                ClauseView {
                    name: binding.name.clone(),
                    title: compiled.map_or_else(
                        || binding.name.clone(),
                        |clause| render::title(&clause.ir, lang),
                    ),
                    active: binding.active,
                    text: compiled.map_or_else(String::new, |clause| {
                        percent_unbroken(render::render_clause_with(
                            &clause.ir,
                            &binding.params,
                            lang,
                            Glossary::of(program),
                        ))
                    }),
                }
            })
            .collect(),
        initial_terms: contract
            .terms
            .iter()
            .map(|(name, value)| Pair::of(lang, Glossary::STANDARD.term(lang, name), value))
            .collect(),
        breaker: breaker_policy(lang, &contract.breaker),
        attesters: contract
            .attesters
            .iter()
            .map(|grant| AttesterView {
                name: attester_name(lang, words, &grant.name).unwrap_or_else(|| grant.name.clone()),
                quoted: attester_name(lang, words, &grant.name).is_none(),
                fingerprint: fingerprint(&grant.key),
                kinds: grant
                    .kinds
                    .iter()
                    .map(|kind| Glossary::STANDARD.kind_noun(lang, kind))
                    .collect(),
            })
            .collect(),
    }
}

/// `count` entries of the timeline from position `from`, in `lang`.
pub fn timeline(report: &Report, lang: Lang, from: usize, count: usize) -> Vec<EntryView> {
    timeline_of(lang, report, &entry_times(report), from, count)
}

fn timeline_of(
    lang: Lang,
    report: &Report,
    times: &[i64],
    from: usize,
    count: usize,
) -> Vec<EntryView> {
    report
        .entries
        .iter()
        .zip(times)
        .skip(from)
        .take(count)
        .map(|(entry, &at)| entry_view(lang, report, entry, at))
        .collect()
}

/// The time of each entry: the contract's genesis time, an event's, a review's or a close's
/// own time.
fn entry_times(report: &Report) -> Vec<i64> {
    let mut last = report.contract.genesis_at;
    report
        .entries
        .iter()
        .map(|entry| {
            let own = (entry.event.as_ref().map(|event| event.at))
                .or(entry.review.as_ref().map(|review| review.at))
                .or(entry.close.as_ref().map(|close| close.at))
                .or(entry.agreement.as_ref().map(|agreement| agreement.at));
            if let Some(at) = own {
                last = at;
            }
            last
        })
        .collect()
}

/// The clause (by its title) and rule that made an effect, in `lang`.
fn source(lang: Lang, program: &Program, clause: &str, rule: u32) -> String {
    let title = program.clause(clause).map_or_else(
        || clause.to_string(),
        |compiled| render::title(&compiled.ir, lang),
    );
    let rule = u64::from(rule) + 1;
    let title = titled(lang, &title);
    match lang {
        Lang::En => format!("{title}, rule {rule}"),
        Lang::Zh => format!("{title}第{rule}条规则"),
        Lang::De => format!("{title}, Regel {rule}"),
    }
}

/// A clause's title between its language's marks: “…” in English, „…“ in German, 《…》 in
/// Chinese.
pub(super) fn titled(lang: Lang, title: &str) -> String {
    match lang {
        Lang::En => format!("“{title}”"),
        Lang::Zh => format!("《{title}》"),
        Lang::De => format!("„{title}“"),
    }
}

/// A term's or parameter's value before a change, in `words` (the same words as the value
/// after it): "(unset)" when it had none.
pub(super) fn before_value(lang: Lang, words: Glossary<'_>, value: Option<&Value>) -> String {
    value.map_or_else(
        || crate::timeline::unset(lang).to_string(),
        |value| shown_value(lang, words, value),
    )
}

/// A term's, parameter's or fact's value as the page shows it: as the clauses render it in
/// `words`, but a term that holds or not as yes or no, like the CLI's timeline.
pub(super) fn shown_value(lang: Lang, words: Glossary<'_>, value: &Value) -> String {
    match value {
        Value::Bool(holds) => crate::timeline::yes_no(lang, *holds).to_string(),
        Value::List(items) => {
            crate::timeline::list(lang, items, |item| shown_value(lang, words, item))
        }
        other => percent_unbroken(render::value_with(other, lang, words)),
    }
}

/// A rate's percentage kept on one line ("0,005 (0,5\u{a0}%)"): on a phone's narrow column a
/// line break before "%)" would part the number from its unit.
fn percent_unbroken(text: String) -> String {
    if text.contains(" %") {
        text.replace(" %", "\u{a0}%")
    } else {
        text
    }
}

/// The lines of what `effects` did in an entry; each amount owed followed by how it was
/// computed, as `of` finds it (the entry's own computation, or for a review's approved
/// amounts the held one).
fn effect_lines(
    lang: Lang,
    program: &Program,
    effects: &Effects,
    of: crate::timeline::Explain<'_>,
    out: &mut Vec<Line>,
) {
    let words = Glossary::of(program);
    for amendment in &effects.amendments {
        out.push(Line {
            class: "amend",
            text: format!(
                "{}{}{}",
                words.term(lang, &amendment.term),
                labels(lang).colon,
                crate::timeline::arrow(
                    lang,
                    &before_value(lang, words, amendment.before.as_ref()),
                    &shown_value(lang, words, &amendment.after)
                )
            ),
            quote: None,
            source: Some(source(lang, program, &amendment.clause, amendment.rule)),
        });
    }
    for activation in &effects.activations {
        let title = program.clause(&activation.target).map_or_else(
            || activation.target.clone(),
            |compiled| render::title(&compiled.ir, lang),
        );
        let title = titled(lang, &title);
        let text = match (lang, activation.active) {
            (Lang::En, true) => format!("clause {title} switched on"),
            (Lang::En, false) => format!("clause {title} switched off"),
            (Lang::Zh, true) => format!("启用条款{title}"),
            (Lang::Zh, false) => format!("停用条款{title}"),
            (Lang::De, true) => format!("Klausel {title} aktiviert"),
            (Lang::De, false) => format!("Klausel {title} deaktiviert"),
        };
        out.push(Line {
            class: "activate",
            text,
            quote: None,
            source: Some(source(lang, program, &activation.clause, activation.rule)),
        });
    }
    for obligation in &effects.obligations {
        out.push(Line {
            class: "oblige",
            text: crate::timeline::owes(
                lang,
                program,
                &obligation.from,
                &obligation.to,
                money(lang, obligation.amount),
                obligation.kind,
            ),
            quote: None,
            source: Some(source(lang, program, &obligation.clause, obligation.rule)),
        });
        if let Some(text) = crate::timeline::computed(lang, of, program, obligation) {
            out.push(Line {
                class: "worked",
                text: percent_unbroken(text),
                quote: None,
                source: None,
            });
        }
    }
    for notification in &effects.notifications {
        let party = role(lang, words, &notification.party);
        // The message as the clause's labels translate it: the clause author's words too.
        let message = &program.clause(&notification.clause).map_or_else(
            || notification.message.clone(),
            |compiled| render::clause_text(&compiled.ir, &notification.message, lang),
        );
        out.push(Line {
            class: "notify",
            text: match lang {
                Lang::En => format!("notify {party}:"),
                Lang::Zh => format!("通知{party}："),
                Lang::De => format!("{party} benachrichtigen:"),
            },
            quote: Some(render::quoted(lang, message)),
            source: Some(source(
                lang,
                program,
                &notification.clause,
                notification.rule,
            )),
        });
    }
}

fn entry_view(lang: Lang, report: &Report, entry: &VerifiedEntry, at: i64) -> EntryView {
    // Clauses are named as they were when the entry was made (as in the CLI's timeline), not
    // as a later agreement upgraded or removed them.
    let program = report.program_before(entry.body.seq);
    let of = (report, entry.body.seq);
    let mut lines = Vec::new();
    let (kind, title, attester, facts) = match (&entry.body.step, &entry.event) {
        (Step::Genesis, _) => {
            let title = match lang {
                Lang::En => "Order opened",
                Lang::Zh => "订单成立",
                Lang::De => "Auftrag eröffnet",
            };
            ("genesis", title.to_string(), None, Vec::new())
        }
        (Step::Event(step), Some(event)) => {
            let facts = event
                .fields
                .iter()
                .map(|(name, value)| {
                    Pair::of(lang, Glossary::of(program).word(lang, "field", name), value)
                })
                .collect();
            let kind = match &step.outcome {
                Outcome::Applied(effects) if effects.is_empty() => {
                    lines.push(Line {
                        class: "none",
                        text: match lang {
                            Lang::En => "no change",
                            Lang::Zh => "无变更",
                            Lang::De => "keine Änderung",
                        }
                        .to_string(),
                        quote: None,
                        source: None,
                    });
                    "event"
                }
                Outcome::Applied(effects) => {
                    effect_lines(lang, program, effects, of.into(), &mut lines);
                    "event"
                }
                Outcome::BreakerTripped { held, report: trip } => {
                    trip_lines(lang, program, (trip, held), of.into(), &mut lines);
                    "tripped"
                }
                Outcome::ToReview { reasons } => {
                    lines.push(Line {
                        class: "trip",
                        text: match lang {
                            Lang::En => "handed to review, nothing applied",
                            Lang::Zh => "转人工审核，未执行任何变更",
                            Lang::De => "zur Prüfung übergeben, nichts angewendet",
                        }
                        .to_string(),
                        quote: None,
                        source: None,
                    });
                    for reason in reasons {
                        lines.push(reason_line(lang, program, reason));
                    }
                    "to_review"
                }
                Outcome::Paused => {
                    lines.push(Line {
                        class: "paused",
                        text: match lang {
                            Lang::En => {
                                "recorded while the order waits for review; nothing evaluated"
                            }
                            Lang::Zh => "订单等待审核期间记录的事实；未求值",
                            Lang::De => {
                                "erfasst, während der Auftrag auf Prüfung wartet; nicht ausgewertet"
                            }
                        }
                        .to_string(),
                        quote: None,
                        source: None,
                    });
                    "paused"
                }
            };
            // An option exercised reads as the CLI's sentence, its fields said in it.
            let holder = entry.attester.as_deref().unwrap_or_default();
            match crate::timeline::exercise_sentence(lang, program, event, holder) {
                Some(sentence) => (kind, render::capitalised(&sentence), None, Vec::new()),
                None => (
                    kind,
                    render::capitalised(&Glossary::of(program).kind_noun(lang, &event.kind)),
                    entry.attester.clone(),
                    facts,
                ),
            }
        }
        (Step::Review(step), _) => {
            let review = entry.review.as_ref();
            let decision = match (lang, review.map(|review| review.decision)) {
                (Lang::En, Some(Decision::Approve)) => "approved what was held",
                (Lang::En, _) => "discarded what was held",
                (Lang::Zh, Some(Decision::Approve)) => "批准暂缓的变更",
                (Lang::Zh, _) => "放弃暂缓的内容",
                (Lang::De, Some(Decision::Approve)) => "Zurückgehaltenes genehmigt",
                (Lang::De, _) => "Zurückgehaltenes verworfen",
            };
            lines.push(Line {
                class: "review",
                text: decision.to_string(),
                quote: None,
                source: None,
            });
            if let Some(note) = review.map(|review| review.note.as_str()) {
                if !note.is_empty() {
                    lines.push(Line {
                        class: "note",
                        text: String::new(),
                        quote: Some(render::quoted(lang, note)),
                        source: None,
                    });
                }
            }
            effect_lines(
                lang,
                program,
                &step.applied,
                crate::timeline::Explain::from(of).approved(),
                &mut lines,
            );
            agreement::term_lines(lang, &step.terms, &mut lines);
            for again in &step.reevaluated {
                lines.push(Line {
                    class: "window",
                    text: match lang {
                        Lang::En => format!(
                            "the fact held at #{} evaluated after the review:",
                            again.seq
                        ),
                        Lang::Zh => format!("第{}条记录暂缓的事实在审核后按条款评估：", again.seq),
                        Lang::De => format!(
                            "die bei #{} zurückgehaltene Tatsache nach der Prüfung ausgewertet:",
                            again.seq
                        ),
                    },
                    quote: None,
                    source: None,
                });
                let before = lines.len();
                let again_of = crate::timeline::Explain::from(of).reevaluated(again.seq);
                outcome_lines(lang, program, &again.outcome, again_of, &mut lines);
                if lines.len() == before {
                    // Nothing followed the colon: say so rather than end the line there.
                    if let Some(header) = lines.last_mut() {
                        header.text.push_str(match lang {
                            Lang::En => " no change",
                            Lang::Zh => "无变更",
                            Lang::De => " keine Änderung",
                        });
                    }
                }
            }
            let title = match lang {
                Lang::En => "Review",
                Lang::Zh => "审核",
                Lang::De => "Prüfung",
            };
            ("review", title.to_string(), None, Vec::new())
        }
        (Step::Close(_), _) => {
            if let Some(note) = entry.close.as_ref().map(|close| close.note.as_str()) {
                if !note.is_empty() {
                    lines.push(Line {
                        class: "note",
                        text: String::new(),
                        quote: Some(render::quoted(lang, note)),
                        source: None,
                    });
                }
            }
            let title = match lang {
                Lang::En => "Order closed",
                Lang::Zh => "订单关闭",
                Lang::De => "Auftrag abgeschlossen",
            };
            ("close", title.to_string(), None, Vec::new())
        }
        (Step::Agreement(step), _) => {
            let programs = (program, report.program_after(entry.body.seq));
            agreement::lines(lang, programs, entry, step, &mut lines);
            let title = agreement::title(lang, Glossary::of(program), step);
            ("agreement", title, None, Vec::new())
        }
        (Step::Event(_), None) => ("event", String::new(), None, Vec::new()),
    };
    let named = attester
        .as_deref()
        .and_then(|name| attester_name(lang, Glossary::of(program), name));
    EntryView {
        seq: entry.body.seq,
        kind,
        time: time(lang, at),
        title,
        attester_quoted: attester.is_some() && named.is_none(),
        attester: named.or(attester),
        facts,
        lines,
        signers: entry
            .signers
            .iter()
            .map(|name| role(lang, Glossary::of(program), name))
            .collect(),
        hash: entry.hash.short(),
    }
}

/// What an outcome did, for a fact evaluated after a review.
fn outcome_lines(
    lang: Lang,
    program: &Program,
    outcome: &Outcome,
    of: crate::timeline::Explain<'_>,
    lines: &mut Vec<Line>,
) {
    match outcome {
        Outcome::Applied(effects) => effect_lines(lang, program, effects, of, lines),
        Outcome::BreakerTripped { held, report } => {
            trip_lines(lang, program, (report, held), of, lines)
        }
        Outcome::ToReview { reasons } => {
            lines.extend(
                reasons
                    .iter()
                    .map(|reason| reason_line(lang, program, reason)),
            );
        }
        Outcome::Paused => {}
    }
}

fn trip_lines(
    lang: Lang,
    program: &Program,
    (trip, held): (&crate::model::BreakerReport, &Effects),
    of: crate::timeline::Explain<'_>,
    lines: &mut Vec<Line>,
) {
    let max = trip.policy.max_automatic_amendments;
    let window = render::value(&Value::Duration(trip.policy.window_seconds), lang);
    lines.push(Line {
        class: "trip",
        text: {
            let limit = crate::timeline::breaker_limit(lang, max, &window);
            match lang {
                Lang::En => format!("circuit breaker tripped: {limit}"),
                Lang::Zh => format!("演化熔断已触发：{limit}"),
                Lang::De => format!("Evolutions-Sicherung ausgelöst: {limit}"),
            }
        },
        quote: None,
        source: None,
    });
    let (from, to) = (time(lang, trip.window_start), time(lang, trip.effective_at));
    lines.push(Line {
        class: "window",
        text: match lang {
            // The window is open at its start and closed at its end, as the CLI says it.
            Lang::En => format!("amendments in the window after {from} up to and including {to}:"),
            Lang::Zh => format!("窗口（{from}之后至{to}，含该时刻）内的变更："),
            Lang::De => format!("Änderungen im Fenster nach {from} bis einschließlich {to}:"),
        },
        quote: None,
        source: None,
    });
    for amendment in &trip.in_window {
        let mut changes = Vec::new();
        effect_lines(
            lang,
            program,
            &Effects {
                amendments: amendment.amendments.clone(),
                activations: amendment.activations.clone(),
                ..Effects::default()
            },
            of,
            &mut changes,
        );
        for change in changes {
            lines.push(Line {
                class: "window",
                text: format!(
                    "#{} {} {}{}{}",
                    amendment.seq,
                    time(lang, amendment.event_at),
                    Glossary::of(program).kind_noun(lang, &amendment.event_kind),
                    labels(lang).colon,
                    change.text
                ),
                quote: change.quote,
                source: change.source,
            });
        }
    }
    let mut held_lines = Vec::new();
    effect_lines(lang, program, held, of, &mut held_lines);
    for line in held_lines {
        // How a held amount was computed stays as it is, under the held amount.
        if line.class == "worked" {
            lines.push(line);
            continue;
        }
        lines.push(Line {
            class: "held",
            text: match lang {
                Lang::En => format!("held until review: {}", line.text),
                Lang::Zh => format!("暂缓，待审核：{}", line.text),
                Lang::De => format!("zurückgehalten bis zur Prüfung: {}", line.text),
            },
            quote: line.quote,
            source: line.source,
        });
    }
}

fn reason_line(lang: Lang, program: &Program, reason: &ReviewReason) -> Line {
    match reason {
        ReviewReason::Conflict { subject, writers } => {
            let subject =
                crate::timeline::conflict_subject(lang, program, subject, render::Case::Acc);
            Line {
                class: "reason",
                text: match lang {
                    Lang::En => format!("two rules set {subject}"),
                    Lang::Zh => format!("两条规则同时设定{subject}"),
                    Lang::De => format!("zwei Regeln setzen {subject}"),
                },
                quote: None,
                source: Some(
                    writers
                        .iter()
                        .map(|writer| source(lang, program, &writer.clause, writer.rule))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            }
        }
        ReviewReason::Requested {
            clause,
            rule,
            reason,
        } => Line {
            class: "reason",
            text: match lang {
                Lang::En => "review requested:",
                Lang::Zh => "条款要求审核：",
                Lang::De => "Prüfung verlangt:",
            }
            .to_string(),
            quote: Some(render::quoted(lang, reason)),
            source: Some(source(lang, program, clause, *rule)),
        },
        ReviewReason::EvaluationError { clause, rule, .. } => Line {
            class: "reason",
            text: match lang {
                Lang::En => "the rule could not be evaluated",
                Lang::Zh => "该规则无法求值",
                Lang::De => "die Regel konnte nicht ausgewertet werden",
            }
            .to_string(),
            quote: None,
            source: Some(source(lang, program, clause, *rule)),
        },
    }
}

/// The terms-over-time picture's data.
fn chart(lang: Lang, report: &Report, times: &[i64]) -> Chart {
    let contract = &report.contract;
    let date = |at: i64| {
        let stamp = contract_lang::value::DisplayTimestamp(at).to_string();
        stamp.get(..10).unwrap_or(&stamp).to_string()
    };
    let position = |seq: u64| usize::try_from(seq).unwrap_or(usize::MAX);
    // Every term starts at its initial value; each applied amendment adds a point.
    let mut points: BTreeMap<&str, Vec<(usize, &Value)>> = contract
        .terms
        .iter()
        .map(|(name, value)| (name.as_str(), vec![(0, value)]))
        .collect();
    let mut owed: BTreeMap<contract_lang::value::Currency, (i64, Vec<Point>)> = BTreeMap::new();
    let mut windows = Vec::new();
    let mut reviews = Vec::new();
    let mut open_window: Option<(usize, usize)> = None;
    for (pos, entry) in report.entries.iter().enumerate() {
        let applied = match &entry.body.step {
            Step::Event(step) => match &step.outcome {
                Outcome::Applied(effects) => Some(vec![effects]),
                Outcome::BreakerTripped { report: trip, .. } => {
                    let first = trip.in_window.first().map_or(pos, |a| position(a.seq));
                    open_window.get_or_insert((first, pos));
                    None
                }
                _ => None,
            },
            Step::Agreement(step) => {
                for change in &step.terms {
                    let series = points.entry(change.term.as_str()).or_default();
                    settle(series, (pos, &change.after), |point| point.0);
                }
                None
            }
            Step::Review(step) => {
                for change in &step.terms {
                    let series = points.entry(change.term.as_str()).or_default();
                    settle(series, (pos, &change.after), |point| point.0);
                }
                if let Some((first, tripped)) = open_window.take() {
                    windows.push((first, tripped, pos));
                }
                reviews.push(Mark {
                    pos,
                    label: format!("#{} {}", entry.body.seq, labels(lang).review),
                });
                let mut all = vec![&step.applied];
                all.extend(
                    step.reevaluated
                        .iter()
                        .filter_map(|again| match &again.outcome {
                            Outcome::Applied(effects) => Some(effects),
                            _ => None,
                        }),
                );
                Some(all)
            }
            Step::Genesis | Step::Close(_) => None,
        };
        let Some(applied) = applied else { continue };
        for effects in applied {
            for amendment in &effects.amendments {
                let series = points.entry(amendment.term.as_str()).or_default();
                settle(series, (pos, &amendment.after), |point| point.0);
            }
            for obligation in &effects.obligations {
                let (total, series) = owed.entry(obligation.amount.currency).or_default();
                *total = total.saturating_add(obligation.amount.minor);
                let point = Point {
                    pos,
                    value: Some(*total),
                    label: money(
                        lang,
                        Money {
                            minor: *total,
                            currency: obligation.amount.currency,
                        },
                    ),
                };
                settle(series, point, |point| point.pos);
            }
        }
    }
    let last = report.entries.len().saturating_sub(1);
    if let Some((first, tripped)) = open_window {
        windows.push((first, tripped, last));
    }
    let tracks = points
        .into_iter()
        .filter(|(_, values)| values.len() > 1)
        .filter_map(|(name, values)| track(lang, name, &values))
        .collect();
    // Obligations start at nothing owed.
    let obligations = owed.into_iter().next().map(|(currency, (_, mut points))| {
        points.insert(
            0,
            Point {
                pos: 0,
                value: Some(0),
                label: money(lang, Money { minor: 0, currency }),
            },
        );
        Track {
            name: labels(lang).obligations_total.to_string(),
            kind: "number",
            points,
        }
    });
    let mut dates: Vec<Day> = Vec::new();
    for (pos, &at) in times.iter().enumerate() {
        let date = date(at);
        match dates.last_mut() {
            Some(day) if day.date == date => day.to = pos,
            _ => dates.push(Day {
                from: pos,
                to: pos,
                date,
            }),
        }
    }
    let legend = legend(lang, !windows.is_empty(), !reviews.is_empty());
    Chart {
        entries: report.entries.len(),
        dates,
        tracks,
        obligations,
        legend,
        windows: windows
            .into_iter()
            .map(|(from, tripped, to)| Window {
                from,
                tripped,
                to,
                label: labels(lang).breaker_window.to_string(),
            })
            .collect(),
        reviews,
    }
}

/// The picture's legend for a picture with breaker windows (`windows`) and reviews
/// (`reviews`): a part for each it has, the first letter in upper case (it starts a line).
fn legend(lang: Lang, windows: bool, reviews: bool) -> Option<String> {
    let words = labels(lang);
    let parts: Vec<&str> = [
        (windows, words.legend_windows),
        (reviews, words.legend_reviews),
    ]
    .into_iter()
    .filter_map(|(shown, part)| shown.then_some(part))
    .collect();
    (!parts.is_empty()).then(|| render::capitalised(&parts.join(words.legend_join)))
}

/// Adds `point` to `series`, replacing the last point when it is of the same entry: the picture
/// shows one value per entry, the one the entry left (two payments of one entry are one step to
/// their sum, not two labels over each other).
fn settle<P>(series: &mut Vec<P>, point: P, pos: impl Fn(&P) -> usize) {
    match series.last_mut() {
        Some(last) if pos(last) == pos(&point) => *last = point,
        _ => series.push(point),
    }
}

fn track(lang: Lang, name: &str, values: &[(usize, &Value)]) -> Option<Track> {
    let numeric = |value: &Value| match value {
        Value::Timestamp(seconds) | Value::Duration(seconds) | Value::Int(seconds) => {
            Some(*seconds)
        }
        Value::Money(money) => Some(money.minor),
        _ => None,
    };
    let kind = match values.first()?.1 {
        Value::Timestamp(_) => "time",
        Value::Duration(_) | Value::Int(_) | Value::Money(_) => "number",
        Value::Enum(_) | Value::Bool(_) | Value::Text(_) | Value::Quantity(_) => "label",
        _ => return None,
    };
    Some(Track {
        name: Glossary::STANDARD.term(lang, name),
        kind,
        points: values
            .iter()
            .map(|(pos, value)| Point {
                pos: *pos,
                value: numeric(value),
                label: short_label(lang, value),
            })
            .collect(),
    })
}

/// A point's label in the picture: a timestamp as its date (and the time of day when it is
/// not midnight), anything else as the timeline shows it.
fn short_label(lang: Lang, value: &Value) -> String {
    match value {
        Value::Timestamp(seconds) => {
            let stamp = contract_lang::value::DisplayTimestamp(*seconds).to_string();
            match (stamp.get(..10), stamp.get(11..16)) {
                (Some(day), Some("00:00")) => day.to_string(),
                (Some(day), Some(time)) => format!("{day} {time}"),
                _ => stamp,
            }
        }
        other => shown_value(lang, Glossary::STANDARD, other),
    }
}

/// "As of entry #N, in log checkpoint S cosigned at T": what a valid bundle proves.
#[inline(never)]
fn as_of(lang: Lang, bytes: &[u8], trust: &Trust, report: &Report) -> String {
    let last = report.entries.len().saturating_sub(1);
    // The newest cosignature time of the checkpoint the entries are proved in.
    let cosigned = Bundle::parse(bytes)
        .ok()
        .and_then(|(bundle, _)| trust.log.verify(&bundle.checkpoint).ok())
        .and_then(|verified| {
            verified
                .cosignatures
                .iter()
                .filter_map(|signature| signature.timestamp)
                .max()
        })
        .and_then(|seconds| i64::try_from(seconds).ok())
        .map(|seconds| time(lang, seconds));
    let size = report.checkpoint.size();
    match (lang, cosigned) {
        (Lang::En, Some(at)) => {
            format!("as of entry #{last}, in log checkpoint {size} cosigned at {at}")
        }
        (Lang::En, None) => format!("as of entry #{last}, in log checkpoint {size}"),
        (Lang::Zh, Some(at)) => format!("截至第{last}条记录，日志检查点{size}，联署于{at}"),
        (Lang::Zh, None) => format!("截至第{last}条记录，日志检查点{size}"),
        (Lang::De, Some(at)) => {
            format!("Stand Eintrag #{last}, Log-Prüfpunkt {size}, mitsigniert am {at}")
        }
        (Lang::De, None) => format!("Stand Eintrag #{last}, Log-Prüfpunkt {size}"),
    }
}

/// What the verdict rests on (without [`as_of`], which the caller adds with the detail).
fn basis(lang: Lang, trust: &Trust, report: Option<&Report>) -> Basis {
    let policy = &trust.log;
    let words = report.map_or(Glossary::STANDARD, order_words);
    Basis {
        log_origin: policy.origin().to_string(),
        log_key: fingerprint(policy.log_key().public_key()),
        witnesses: policy
            .witnesses()
            .iter()
            .map(|key| Witness {
                name: key.name().to_string(),
                fingerprint: fingerprint(key.public_key()),
            })
            .collect(),
        min_witnesses: policy.min_witnesses(),
        pinned: trust
            .parties
            .iter()
            .map(|(name, key)| PartyView {
                role: role(lang, words, name),
                fingerprint: fingerprint(key),
            })
            .collect(),
        as_of: None,
        memory: report.and_then(|report| {
            let consistency = report.consistency.as_ref()?;
            Some(memory::finding(lang, consistency, report.checkpoint.size()))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::build::example;
    use crate::bundle::{verify_bundle, VerifyOptions};

    fn verified(bytes: &[u8], trust: &Trust, lang: Lang) -> serde_json::Value {
        let result = verify_bundle(bytes, trust, &VerifyOptions::default());
        view_json(&view(bytes, trust, &result, lang, usize::MAX))
    }

    #[test]
    fn an_attester_is_named_by_its_vocabulary_label_else_as_written() {
        let mut labels = contract_lang::vocab::WordLabels::default();
        labels.0.insert(
            "attester:weather-service".to_string(),
            [("zh", "气象服务机构"), ("de", "Wetterdienst")]
                .into_iter()
                .map(|(lang, text)| (lang.to_string(), text.to_string()))
                .collect(),
        );
        let words = Glossary::new(&labels);
        assert_eq!(
            attester_name(Lang::Zh, words, "weather-service").as_deref(),
            Some("气象服务机构")
        );
        assert_eq!(
            attester_name(Lang::De, words, "weather-service").as_deref(),
            Some("Wetterdienst")
        );
        assert_eq!(attester_name(Lang::Zh, words, "port-authority"), None);
    }

    #[test]
    fn a_valid_bundle_shows_every_entry_and_the_picture() {
        let example = example().expect("the example builds");
        let view = verified(&example.bytes, &example.trust, Lang::En);
        assert_eq!(view["verdict"], "valid");
        let entries = example.bundle.entry_lengths.len();
        assert_eq!(view["entries"], entries);
        assert_eq!(view["timeline"].as_array().map(Vec::len), Some(entries));
        assert!(view["steps"]
            .as_array()
            .is_some_and(|steps| steps.iter().all(|step| step["status"] == "ok")));
        let tracks = view["chart"]["tracks"].as_array().expect("tracks");
        assert!(!tracks.is_empty(), "the terms that changed are drawn");
        for track in tracks.iter().chain([&view["chart"]["obligations"]]) {
            let positions: Vec<u64> = track["points"]
                .as_array()
                .expect("points")
                .iter()
                .filter_map(|point| point["pos"].as_u64())
                .collect();
            assert!(
                positions.windows(2).all(|pair| pair[0] < pair[1]),
                "one value per entry: {track}"
            );
        }
    }

    /// The legend names only the marks the picture has, in each language.
    #[test]
    fn the_legend_names_only_what_the_picture_shows() {
        let cases = [
            (false, false, [None, None, None]),
            (
                true,
                false,
                [
                    Some("Shaded: breaker windows"),
                    Some("阴影：熔断窗口"),
                    Some("Schattiert: Sicherungsfenster"),
                ],
            ),
            (
                false,
                true,
                [
                    Some("Dashed lines: reviews"),
                    Some("虚线：审核"),
                    Some("Gestrichelt: Prüfungen"),
                ],
            ),
            (
                true,
                true,
                [
                    Some("Shaded: breaker windows; dashed lines: reviews"),
                    Some("阴影：熔断窗口；虚线：审核"),
                    Some("Schattiert: Sicherungsfenster; gestrichelt: Prüfungen"),
                ],
            ),
        ];
        for (windows, reviews, said) in cases {
            for (lang, expected) in Lang::ALL.into_iter().zip(said) {
                assert_eq!(
                    legend(lang, windows, reviews).as_deref(),
                    expected,
                    "{lang:?}, windows {windows}, reviews {reviews}"
                );
            }
        }
        // A history without a review or a tripped breaker: no legend.
        let long = crate::bundle::build::long_example(6, 1).expect("a long example");
        let view = verified(&long.bytes, &long.trust, Lang::En);
        assert_eq!(
            view["chart"]["windows"],
            serde_json::json!([]),
            "{}",
            view["chart"]
        );
        assert_eq!(view["chart"]["legend"], serde_json::Value::Null);
        let example = example().expect("the example builds");
        let view = verified(&example.bytes, &example.trust, Lang::De);
        assert_eq!(
            view["chart"]["legend"],
            "Schattiert: Sicherungsfenster; gestrichelt: Prüfungen"
        );
    }

    #[test]
    fn an_invalid_bundle_names_its_step_and_what_was_not_reached() {
        let example = example().expect("the example builds");
        let mut bytes = example.bytes.clone();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let error = verify_bundle(&bytes, &example.trust, &VerifyOptions::default())
            .expect_err("a flipped bit is found");
        let view = verified(&bytes, &example.trust, Lang::Zh);
        assert_eq!(view["verdict"], "invalid");
        assert_eq!(view["failure"]["step"], error.step());
        for step in view["steps"].as_array().expect("steps") {
            let number = step["number"].as_u64().expect("a number");
            let expected = match number.cmp(&u64::from(error.step())) {
                std::cmp::Ordering::Less => "ok",
                std::cmp::Ordering::Equal => "failed",
                std::cmp::Ordering::Greater => "not_reached",
            };
            assert_eq!(step["status"], expected, "step {number}");
        }
        assert_eq!(
            view["failure"]["detail"],
            serde_json::Value::Null,
            "no English on a zh page"
        );
    }

    #[test]
    fn a_failing_entry_is_named_once() {
        let example = example().expect("the example builds");
        let mut bytes = example.bytes.clone();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let entry = verify_bundle(&bytes, &example.trust, &VerifyOptions::default())
            .expect_err("a flipped bit is found")
            .entry()
            .expect("the failure is at an entry");
        for (lang, said_again) in [
            (Lang::En, format!("entry {entry}")),
            (Lang::Zh, format!("第{entry}条")),
            (Lang::De, format!("Eintrag {entry}")),
        ] {
            let view = verified(&bytes, &example.trust, lang);
            assert_eq!(
                view["failure"]["entry"], entry,
                "the entry is named beside the step"
            );
            let reason = view["failure"]["reason"].as_str().expect("a reason");
            assert!(
                !reason.contains(&said_again),
                "{lang:?}: the reason names the entry again: {reason}"
            );
        }
    }

    #[test]
    fn chinese_and_german_words_are_not_english() {
        let english = serde_json::to_value(labels(Lang::En)).expect("labels serialize");
        for lang in [Lang::Zh, Lang::De] {
            let words = serde_json::to_value(labels(lang)).expect("labels serialize");
            for (key, word) in words.as_object().expect("an object") {
                // German punctuation and spacing are English's.
                let joining = [
                    "colon",
                    "comma",
                    "space",
                    "open",
                    "close",
                    "separator",
                    "dash",
                    "legend_join",
                ];
                if lang == Lang::De && joining.contains(&key.as_str()) {
                    continue;
                }
                assert_ne!(word, &english[key], "{key} is not translated in {lang:?}");
            }
            for step in 1..=8 {
                assert_ne!(step_name(lang, step), step_name(Lang::En, step));
            }
        }
        let zh = serde_json::to_value(labels(Lang::Zh)).expect("labels serialize");
        let latin: Vec<&str> = zh
            .as_object()
            .expect("an object")
            .values()
            .filter_map(serde_json::Value::as_str)
            .flat_map(|word| word.split(|c: char| !c.is_ascii_alphabetic()))
            .filter(|word| word.len() > 1)
            .collect();
        assert!(
            latin.is_empty(),
            "Latin words in the Chinese labels: {latin:?}"
        );
    }

    #[test]
    fn an_amended_term_reads_both_values_in_the_vocabularys_words() {
        let example = example().expect("the example builds");
        let mut report = verify_bundle(&example.bytes, &example.trust, &VerifyOptions::default())
            .expect("the example verifies");
        // In every program the history was under (entries name words as theirs did).
        let programs = report.programs.iter_mut().map(|(_, program)| program);
        for program in programs.chain([&mut report.program]) {
            let labels = &mut std::sync::Arc::make_mut(program).vocabulary.labels.0;
            for (variant, label) in [("sea", "by ship"), ("air", "by plane")] {
                labels.insert(
                    format!("variant:{variant}"),
                    [("en".to_string(), label.to_string())].into(),
                );
            }
        }
        let amended: Vec<String> = report
            .entries
            .iter()
            .flat_map(|entry| entry_view(Lang::En, &report, entry, 0).lines)
            .filter(|line| line.class == "amend" && line.text.contains("by plane"))
            .map(|line| line.text)
            .collect();
        assert!(!amended.is_empty(), "the switch to air freight is shown");
        for text in amended {
            assert!(text.contains("by ship → by plane"), "{text}");
        }
    }

    #[test]
    fn a_term_that_holds_or_not_reads_yes_or_no_as_in_the_cli_timeline() {
        let example = example().expect("the example builds");
        for (lang, no) in [(Lang::En, "no"), (Lang::Zh, "否"), (Lang::De, "nein")] {
            let view = verified(&example.bytes, &example.trust, lang);
            let right = &view["order"]["initial_terms"]
                .as_array()
                .expect("initial terms")
                .iter()
                .find(|pair| {
                    pair["value"] == "false" || pair["value"] == "falsch" || pair["value"] == no
                })
                .cloned()
                .expect("the buyer's right to terminate");
            assert_eq!(right["value"], no, "{right}");
        }
    }

    #[test]
    fn chinese_lines_take_the_chinese_colon() {
        let example = example().expect("the example builds");
        let view = verified(&example.bytes, &example.trust, Lang::Zh);
        let texts: Vec<&str> = view["timeline"]
            .as_array()
            .expect("a timeline")
            .iter()
            .flat_map(|entry| entry["lines"].as_array().expect("lines"))
            .filter(|line| {
                ["amend", "window", "held"].contains(&line["class"].as_str().unwrap_or(""))
            })
            .filter_map(|line| line["text"].as_str())
            .collect();
        assert!(texts.len() >= 3, "{texts:?}");
        for text in texts {
            assert!(!text.contains(": "), "an English colon in {text}");
        }
    }

    #[test]
    fn attested_text_is_shown_escaped() {
        let mut view = serde_json::json!({
            "note": "ok\u{202e}gnp.exe",
            "nested": [{ "fact": "bell\u{7}" }],
            "clause": "line one\nline two",
        });
        escape_strings(&mut view);
        assert_eq!(view["note"], "ok\\u{202e}gnp.exe");
        assert_eq!(view["nested"][0]["fact"], "bell\\u{7}");
        assert_eq!(view["clause"], "line one\nline two", "line breaks stay");
    }
}
