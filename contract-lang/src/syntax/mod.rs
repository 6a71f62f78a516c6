//! The syntax layer: source text to an AST plus every diagnostic.
//!
//! [`parse`] never fails and never panics: it returns what it could build together with all the
//! lexical (`E01xx`), syntax (`E02xx`) and limit (`E03xx`) diagnostics, sorted by position. Only
//! an AST whose diagnostics are empty may be handed to the checker.
//!
//! Lexical notes: names are `[A-Za-z_][A-Za-z0-9_]*` (`at` is an ordinary name); a number
//! followed on the same line by three capital letters is money (`150.00 EUR`, `1500 JPY`),
//! except before `=>` where the letters are a jurisdiction case; durations are glued units
//! (`42d`, `1d12h`); timestamps are RFC 3339 (`2026-03-01T08:00:00Z`, offsets such as `+08:00`
//! are converted to UTC, fractions of a second must be zero); text takes `\"`, `\\`, `\n`,
//! `\t` and `\u{…}` escapes and any UTF-8.
//!
//! Diagnostic codes (stable; `E04xx` and above belong to the checker):
//!
//! | code  | meaning |
//! |-------|---------|
//! | E0101 | unexpected character |
//! | E0102 | text never closed (secondary label at the opening quote) |
//! | E0103 | unknown escape in text |
//! | E0104 | number or duration does not fit in 64 bits |
//! | E0105 | number glued to letters that are not a duration unit |
//! | E0106 | malformed or impossible timestamp, offset out of range, fractional second |
//! | E0107 | bad `\u{…}` escape |
//! | E0108 | text in single quotes (read as text) |
//! | E0109 | `&&`, `||` or `!` instead of `and`, `or`, `not` (read as the word) |
//! | E0110 | amount glued to its currency `150.00EUR` (read as money) |
//! | E0201 | expected a top-level declaration |
//! | E0202 | expected a particular token |
//! | E0203 | `=` where `==` was meant (read as `==`) |
//! | E0204 | missing `then` (rule or `if`) or `else` |
//! | E0205 | unclosed `{`, `(` or `[` (secondary label at the opening) |
//! | E0206 | chained comparison `a < b < c` |
//! | E0207 | expected an expression |
//! | E0208 | `}` that closes nothing |
//! | E0209 | expected a type |
//! | E0210 | expected a clause item |
//! | E0211 | expected an action |
//! | E0212 | keyword used as a name |
//! | E0213 | enum without values |
//! | E0214 | `x not in list` (read as `not (x in list)`) |
//! | E0301–E0307 | limits, see [`crate::limits`] |

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
    let mut file = parser::parse_file(&lexed.tokens, &lexed.line_breaks, &mut sink);
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
