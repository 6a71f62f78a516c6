//! `pactum-clause`: the authoring CLI for Pactum clauses (check, fmt, test, render, compile, id,
//! explain, demo). The commands live in `src/cli/`, compiled into this binary only, so the
//! library carries no CLI dependencies.

#[path = "../cli/mod.rs"]
mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
