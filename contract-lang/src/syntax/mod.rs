//! The syntax layer: source text to an AST plus every diagnostic.
//!
//! [`parse`] never fails and never panics: it returns what it could build together with all the
//! lexical (`E01xx`), syntax (`E02xx`) and limit (`E03xx`) diagnostics, sorted by position. Only
//! an AST whose diagnostics are empty may be handed to the checker.

pub mod civil;
pub mod lexer;
pub mod parser;

use crate::ast::{Expr, SourceFile};
use crate::limits::{self, codes};
use crate::span::{Diagnostic, Span};

/// The result of parsing a file: the recovered AST and every diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub file: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    pub fn has_errors(&self) -> bool {
        !self.diagnostics.is_empty()
    }
}

/// Parses a clause source file.
pub fn parse(source: &str) -> Parsed {
    let mut sink = Sink::default();
    if let Some(d) = check_size(source) {
        return Parsed {
            file: SourceFile::default(),
            diagnostics: vec![d],
        };
    }
    let lexed = lexer::lex(source, &mut sink);
    let mut file = parser::parse_file(&lexed.tokens, &mut sink);
    file.comments = lexed.comments;
    file.line_breaks = lexed.line_breaks;
    Parsed {
        file,
        diagnostics: sink.finish(),
    }
}

/// Parses a single expression, such as a value in a scenario file (`150.00 EUR`,
/// `2026-03-01T00:00:00Z`, `["CN-ZJ", "TW"]`, `sea`).
pub fn parse_expr(source: &str) -> Result<Expr, Vec<Diagnostic>> {
    if let Some(d) = check_size(source) {
        return Err(vec![d]);
    }
    let mut sink = Sink::default();
    let lexed = lexer::lex(source, &mut sink);
    let expr = parser::parse_single_expr(&lexed.tokens, &mut sink);
    let diagnostics = sink.finish();
    match expr {
        Some(e) if diagnostics.is_empty() => Ok(e),
        _ if diagnostics.is_empty() => Err(vec![Diagnostic::error(
            "E0207",
            "expected an expression",
            Span::new(0, source.len()),
            "no expression here",
        )]),
        _ => Err(diagnostics),
    }
}

fn check_size(source: &str) -> Option<Diagnostic> {
    (source.len() > limits::MAX_SOURCE_BYTES).then(|| {
        Diagnostic::error(
            codes::SOURCE_TOO_LARGE,
            format!(
                "this source is {} bytes; the limit is {} bytes",
                source.len(),
                limits::MAX_SOURCE_BYTES
            ),
            Span::new(0, 0),
            "file too large",
        )
        .with_help("split the clauses over several files")
    })
}

/// Collects diagnostics up to [`limits::MAX_DIAGNOSTICS`]; past that it records one final
/// "too many errors" diagnostic and tells the lexer and parser to stop.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    diagnostics: Vec<Diagnostic>,
    overflow: Option<Diagnostic>,
}

impl Sink {
    pub(crate) fn push(&mut self, d: Diagnostic) {
        if self.diagnostics.len() < limits::MAX_DIAGNOSTICS {
            self.diagnostics.push(d);
        } else if self.overflow.is_none() {
            self.overflow = Some(Diagnostic::error(
                codes::TOO_MANY_ERRORS,
                format!("more than {} errors; stopped here", limits::MAX_DIAGNOSTICS),
                d.span,
                "stopped reading here",
            ));
        }
    }

    pub(crate) fn is_full(&self) -> bool {
        self.overflow.is_some()
    }

    /// The diagnostics in source order (stable for equal positions), the overflow note last.
    fn finish(self) -> Vec<Diagnostic> {
        let mut all = self.diagnostics;
        all.sort_by_key(|d| d.span.start);
        all.extend(self.overflow);
        all
    }
}
