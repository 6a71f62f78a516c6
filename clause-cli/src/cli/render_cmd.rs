//! `pactum-clause render --lang en|zh|de [FILES…]`: the compiled clauses in natural language.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::json;

use super::args::Lang as LangArg;
use super::check_cmd::compile_and_report;
use super::output::Output;
use super::sources;
use super::Status;
use contract_lang::ir::Program;
use contract_lang::render::{render_clause_with, Glossary, Lang};

pub fn lang(arg: LangArg) -> Lang {
    match arg {
        LangArg::En => Lang::En,
        LangArg::Zh => Lang::Zh,
        LangArg::De => Lang::De,
    }
}

pub fn run(
    out: &Output,
    vocab: Option<&Path>,
    lang_arg: LangArg,
    files: &[PathBuf],
) -> Result<Status> {
    let sources = sources::program(vocab, files)?;
    let (program, diagnostics, _) = compile_and_report(out, &sources);
    let Some(program) = program else {
        if out.json {
            out.print_json(&json!({"command": "render", "ok": false, "diagnostics": diagnostics}));
        }
        return Ok(Status::Findings);
    };
    print_rendered(out, &program, &[lang(lang_arg)], None);
    Ok(Status::Clean)
}

/// Prints every clause (or only `only`) in each of `langs`.
pub fn print_rendered(out: &Output, program: &Program, langs: &[Lang], only: Option<&str>) {
    let no_params = BTreeMap::new();
    let clauses = program
        .clauses
        .iter()
        .filter(|clause| only.is_none_or(|name| clause.name == name));
    if out.json {
        let mut rendered = Vec::new();
        for clause in clauses {
            for lang in langs {
                rendered.push(json!({
                    "name": clause.name,
                    "id": clause.id.to_hex(),
                    "lang": lang.code(),
                    "text": render_clause_with(&clause.ir, &no_params, *lang, Glossary::of(program)),
                }));
            }
        }
        out.print_json(&json!({"command": "render", "ok": true, "clauses": rendered}));
        return;
    }
    let mut first = true;
    for clause in clauses {
        for lang in langs {
            if !first {
                say!();
            }
            first = false;
            let text = render_clause_with(&clause.ir, &no_params, *lang, Glossary::of(program));
            // The first line is the title: make it stand out.
            let (title, rest) = text.split_once('\n').unwrap_or((&text, ""));
            say!("{}", out.bold(title));
            say_raw!("{rest}");
        }
    }
}
