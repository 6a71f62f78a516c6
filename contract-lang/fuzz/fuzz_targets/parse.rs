//! Fuzzes the whole syntax layer: any input must parse, render, format and re-parse without a
//! panic, and a formatted valid input must format to itself.
#![no_main]

use contract_lang::diagnostics::render;
use contract_lang::fmt::{format, format_source};
use contract_lang::syntax::{parse, parse_expr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = parse(&text);
    let _ = render(&parsed.diagnostics, "fuzz.clause", &text, false);
    let _ = parse_expr(&text);
    let formatted = format(&parsed.file);
    if parsed.diagnostics.is_empty() {
        assert_eq!(format_source(&formatted).as_deref(), Ok(formatted.as_str()), "fmt not idempotent");
    }
});
