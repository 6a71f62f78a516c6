//! Hard limits on what the parser accepts.
//!
//! Clause text comes from other parties, so every resource the front end spends on it is bounded.
//! Each exceeded limit is reported as a diagnostic with its own `E03xx` code; none of them can
//! overflow the stack or exhaust memory. The parser guards its own recursion depth, so the AST it
//! returns is at most about [`MAX_NESTING_DEPTH`] levels deep and later passes may recurse freely.

/// Largest source text accepted, in bytes (1 MiB). Code `E0301`.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;

/// Deepest nesting of expressions (parentheses, operators, lists, calls, `if`, `jurisdiction`)
/// and of types (`list<…>`, records). Code `E0302`.
pub const MAX_NESTING_DEPTH: usize = 64;

/// Most expression nodes in one file. Code `E0303`.
pub const MAX_EXPRESSIONS: usize = 100_000;

/// Longest identifier, in bytes. Code `E0304`.
pub const MAX_IDENT_LEN: usize = 64;

/// Longest string literal once unescaped, in bytes. Code `E0305`.
pub const MAX_STRING_BYTES: usize = 4096;

/// Most digits after the decimal point of a decimal, percentage or money literal. Code `E0306`.
pub const MAX_DECIMAL_SCALE: usize = 18;

/// Most diagnostics reported for one file; past it the parser stops with a final `E0307`
/// (an input made only of errors would otherwise produce one diagnostic per byte).
pub const MAX_DIAGNOSTICS: usize = 100;

/// Stable codes of the limit diagnostics.
pub mod codes {
    pub const SOURCE_TOO_LARGE: &str = "E0301";
    pub const TOO_DEEP: &str = "E0302";
    pub const TOO_MANY_EXPRESSIONS: &str = "E0303";
    pub const IDENT_TOO_LONG: &str = "E0304";
    pub const STRING_TOO_LONG: &str = "E0305";
    pub const SCALE_TOO_LARGE: &str = "E0306";
    pub const TOO_MANY_ERRORS: &str = "E0307";
}
