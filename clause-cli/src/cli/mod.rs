//! The `pactum-clause` commands (see `src/main.rs`).
//!
//! Every command returns a [`Status`]: clean (exit 0) or findings (exit 1: diagnostics, files
//! that would be reformatted, failed scenarios). Usage and I/O errors are `Err` (exit 2).

/// `println!` that ignores a closed stdout (`pactum-clause render | head` must not panic).
macro_rules! say {
    () => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` that ignores a closed stdout.
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

pub mod args;
mod check_cmd;
mod compile_cmd;
mod demo_cmd;
mod diff_cmd;
mod explain_cmd;
mod fmt_cmd;
mod output;
mod render_cmd;
mod sources;
mod test_cmd;

use std::process::ExitCode;

use clap::Parser as _;

use args::{Cli, Command};
use output::Output;

/// The outcome of a command that ran to the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Clean,
    Findings,
}

/// Parses the command line, runs the command and maps the result to the exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // `--help` and `--version` are not errors; anything else is a usage error.
            let code = if error.use_stderr() { 2 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    let out = Output::new(&cli.global);
    match run(&cli, &out) {
        Ok(Status::Clean) => ExitCode::SUCCESS,
        Ok(Status::Findings) => ExitCode::from(1),
        Err(error) => {
            if out.json {
                out.print_json(&serde_json::json!({ "error": format!("{error:#}") }));
            } else {
                eprintln!("error: {error:#}");
            }
            ExitCode::from(2)
        }
    }
}

fn run(cli: &Cli, out: &Output) -> anyhow::Result<Status> {
    let vocab = cli.global.vocab.as_deref();
    match &cli.command {
        Command::Check(files) => check_cmd::run(out, vocab, &files.files),
        Command::Fmt { check, files } => fmt_cmd::run(out, *check, &files.files),
        Command::Test { scenarios, filter } => {
            test_cmd::run(out, vocab, scenarios, filter.as_deref())
        }
        Command::Render { lang, files } => render_cmd::run(out, vocab, *lang, &files.files),
        Command::Compile { output, files } => {
            compile_cmd::compile(out, vocab, &files.files, output)
        }
        Command::Id(files) => compile_cmd::ids(out, vocab, &files.files),
        Command::Explain(explain) => explain_cmd::run(out, vocab, explain),
        Command::Demo => demo_cmd::run(out),
        Command::Diff {
            old,
            new,
            scenarios,
            history,
            trust,
        } => diff_cmd::run(
            out,
            vocab,
            &diff_cmd::DiffArgs {
                old,
                new,
                scenarios: scenarios.as_deref(),
                history: history.as_deref(),
                trust: trust.as_deref(),
            },
        ),
    }
}
