//! The Pactum clause language.
//!
//! Pipeline: [`syntax`] (lexer, parser, AST with byte spans, every diagnostic) → `check`
//! (types against a vocabulary) → `compile` (canonical IR, clause id = SHA-256 of its canonical
//! CBOR) → `eval` (pure: compiled clauses + params + jurisdiction + state + one event in, an
//! outcome out). `fmt` and `render` work on the AST and the IR respectively; `scenario` runs
//! scenario files and `diff` compares two versions of clauses (IR and scenario outcomes).
//!
//! Invariants: this crate does no I/O, reads no clock, uses no floats and no randomness. Its
//! command-line tool, `pactum-clause`, is the crate `clause-cli`.

pub mod ast;
pub mod check;
pub mod compile;
pub mod diagnostics;
pub mod diff;
pub mod eval;
pub mod fmt;
pub mod ir;
pub mod jurisdiction;
pub mod limits;
pub mod quantity;
pub mod render;
pub mod scenario;
pub mod span;
pub mod syntax;
pub mod untrusted;
pub mod value;
pub mod vocab;

pub use compile::{compile_program, CompileResult, FileDiagnostic, SourceInput};
pub use eval::{bind_params, evaluate, BoundClause, Event, Outcome, State};
pub use ir::{ClauseId, CompiledClause, Program};
pub use value::{Type, Value};
pub use vocab::Vocabulary;
