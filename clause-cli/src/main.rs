//! `pactum-clause`: the authoring CLI for Pactum clauses (check, fmt, test, render, compile, id,
//! explain, diff, demo). The commands live in `src/cli/`; the language is `contract-lang`, and
//! `diff --history` replays an order's bundle through the `verifier` (which is why this binary
//! is a crate of its own: the language must not depend on the verifier).

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
