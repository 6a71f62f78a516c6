//! `pactum-clause demo`: the first command a newcomer runs. On the embedded clause library it
//! checks every clause, runs every scenario and renders the clauses (English for all, Chinese
//! and German for the air-freight fallback), then prints a one-line summary.

use anyhow::Result;

use super::check_cmd::compile_and_report;
use super::output::Output;
use super::render_cmd::print_rendered;
use super::sources;
use super::test_cmd::print_reports;
use super::Status;
use contract_lang::render::Lang;
use contract_lang::scenario;

pub fn run(out: &Output) -> Result<Status> {
    heading(out, "1. check: the standard vocabulary and clauses");
    let library = sources::program(None, &[])?;
    let (program, _, _) = compile_and_report(out, &library);
    let Some(program) = program else {
        say!("the embedded library does not compile: see above");
        return Ok(Status::Findings);
    };
    if out.json {
        let clauses: Vec<serde_json::Value> = program
            .clauses
            .iter()
            .map(|clause| serde_json::json!({"name": clause.name, "id": clause.id.to_hex()}))
            .collect();
        out.print_json(&serde_json::json!({"command": "check", "ok": true, "clauses": clauses}));
    } else {
        let width = program
            .clauses
            .iter()
            .map(|c| c.name.len())
            .max()
            .unwrap_or(0);
        for clause in &program.clauses {
            say!(
                "  {}  {:width$}  id {}",
                out.paint("ok", true),
                clause.name,
                clause.id
            );
        }
    }

    heading(out, "2. test: the library's scenarios");
    let mut programs = scenario::Programs::new(library[0].input());
    let load = sources::library_file;
    let reports: Vec<_> = pactum_clause_library::SCENARIOS
        .iter()
        .map(|(path, text)| scenario::run_file(path, text, &mut programs, &load, None))
        .collect();
    let tested = print_reports(out, &reports);

    heading(
        out,
        "3. render: what the parties read (generated from the compiled clauses)",
    );
    print_rendered(out, &program, &[Lang::En], None);
    if !out.json {
        say!();
    }
    print_rendered(
        out,
        &program,
        &[Lang::Zh, Lang::De],
        Some("air_freight_fallback"),
    );

    if !out.json {
        say!();
        say!(
            "Next: `pactum-clause render --lang zh` renders every clause in Chinese; \
             `pactum-clause test FILE.toml` runs your own scenarios; see docs/language.md."
        );
    }
    Ok(tested)
}

fn heading(out: &Output, text: &str) {
    if !out.json {
        say!("\n{}", out.bold(&format!("== {text}")));
    }
}
