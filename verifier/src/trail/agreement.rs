//! How the trail page shows an amendment by agreement and the terms a review set: who agreed,
//! their note, and each change before → after, in the reader's language.

use contract_lang::ir::Program;
use contract_lang::render::{self, Glossary};

use super::{Lang, Line};
use crate::bundle::VerifiedEntry;
use crate::model::{AgreementStep, ClauseChange, ParamChange, TermChange};

/// The entry's title: "Amended by agreement of seller, buyer".
pub(super) fn title(lang: Lang, words: Glossary<'_>, step: &AgreementStep) -> String {
    let signers: Vec<String> = step
        .agreement
        .signatures
        .keys()
        .map(|role| super::role(lang, words, role))
        .collect();
    let signers = render::enumeration(lang, &signers);
    match lang {
        Lang::En => format!("Amended by agreement of {signers}"),
        Lang::Zh => format!("经{signers}协议修改"),
        Lang::De => format!("Durch Vereinbarung von {signers} geändert"),
    }
}

/// The note, then every term, parameter and clause the agreement changed.
/// Clauses are named as the parties knew them: a removed one as the program before the entry
/// had it (`programs.0`), others as the program after it (`programs.1`).
pub(super) fn lines(
    lang: Lang,
    (before, program): (&Program, &Program),
    entry: &VerifiedEntry,
    step: &AgreementStep,
    out: &mut Vec<Line>,
) {
    if let Some(note) = entry
        .agreement
        .as_ref()
        .map(|agreement| agreement.note.as_str())
    {
        if !note.is_empty() {
            out.push(Line {
                class: "note",
                text: String::new(),
                quote: Some(render::quoted(lang, note)),
                source: None,
            });
        }
    }
    term_lines(lang, &step.terms, out);
    for change in &step.params {
        out.push(param_line(lang, program, change));
    }
    for change in &step.clauses {
        let named_by = if change.after.is_some() {
            program
        } else {
            before
        };
        out.push(clause_line(lang, named_by, change));
    }
}

/// Terms the parties set (by agreement or with a review), before → after.
pub(super) fn term_lines(lang: Lang, terms: &[TermChange], out: &mut Vec<Line>) {
    for change in terms {
        out.push(Line {
            class: "amend",
            text: format!(
                "{}{}{}",
                Glossary::STANDARD.term(lang, &change.term),
                super::labels(lang).colon,
                crate::timeline::arrow(
                    lang,
                    &super::before_value(lang, Glossary::STANDARD, change.before.as_ref()),
                    &super::shown_value(lang, Glossary::STANDARD, &change.after)
                )
            ),
            quote: None,
            source: None,
        });
    }
}

fn clause_title(lang: Lang, program: &Program, clause: &str) -> String {
    program.clause(clause).map_or_else(
        || clause.to_string(),
        |compiled| render::title(&compiled.ir, lang),
    )
}

fn param_line(lang: Lang, program: &Program, change: &ParamChange) -> Line {
    let title = clause_title(lang, program, &change.clause);
    let (before, after) = (
        super::before_value(lang, Glossary::STANDARD, change.before.as_ref()),
        super::shown_value(lang, Glossary::STANDARD, &change.after),
    );
    let title = super::titled(lang, &title);
    let change_text = crate::timeline::arrow(lang, &before, &after);
    let text = match lang {
        Lang::En => format!("{title}, parameter {}: {change_text}", change.param),
        Lang::Zh => format!("{title}的参数「{}」：{change_text}", change.param),
        Lang::De => format!("{title}, Parameter {}: {change_text}", change.param),
    };
    Line {
        class: "amend",
        text,
        quote: None,
        source: None,
    }
}

fn clause_line(lang: Lang, program: &Program, change: &ClauseChange) -> Line {
    let title = super::titled(lang, &clause_title(lang, program, &change.clause));
    let text = match (change.before.is_some(), change.after.is_some(), lang) {
        (false, _, Lang::En) => format!("clause {title} added"),
        (false, _, Lang::Zh) => format!("新增条款{title}"),
        (false, _, Lang::De) => format!("Klausel {title} aufgenommen"),
        (_, false, Lang::En) => format!("clause {title} removed"),
        (_, false, Lang::Zh) => format!("删除条款{title}"),
        (_, false, Lang::De) => format!("Klausel {title} gestrichen"),
        (_, _, Lang::En) => format!("clause {title} replaced by a new version"),
        (_, _, Lang::Zh) => format!("条款{title}更新为新版本"),
        (_, _, Lang::De) => format!("Klausel {title} neu gefasst"),
    };
    Line {
        class: "activate",
        text,
        quote: None,
        source: None,
    }
}
