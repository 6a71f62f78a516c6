//! How findings are shown: labelled, optionally coloured reports for people; JSON objects with
//! file, code, message, line, column and byte span for tools.

use std::io::IsTerminal;

use serde_json::{json, Value as Json};

use super::args::{ColorChoice, Format, GlobalArgs};
use super::sources::Source;
use contract_lang::diagnostics;
use contract_lang::span::Diagnostic;

/// Output settings shared by every command.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    pub json: bool,
    pub color: bool,
}

impl Output {
    pub fn new(global: &GlobalArgs) -> Output {
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        Output {
            json: global.format == Format::Json,
            color,
        }
    }

    /// Prints a JSON document on one line.
    pub fn print_json(&self, value: &Json) {
        say!("{value}");
    }

    /// `text` in bold green/red when colour is on.
    pub fn paint(&self, text: &str, good: bool) -> String {
        if self.color {
            let code = if good { "32" } else { "31" };
            format!("\x1b[1;{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(&self, text: &str) -> String {
        if self.color {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Renders diagnostics of one source as compiler-style reports.
    pub fn render_diagnostics(&self, source: &Source, diags: &[Diagnostic]) -> String {
        diagnostics::render(diags, &source.name, &source.text, self.color)
    }
}

/// One diagnostic as JSON, with 1-based line and column of its start.
pub fn diagnostic_json(source: &Source, diagnostic: &Diagnostic) -> Json {
    let (line, column) = diagnostics::line_col(&source.text, diagnostic.span.start);
    let secondary: Vec<Json> = diagnostic
        .secondary
        .iter()
        .map(|(span, label)| json!({"start": span.start, "end": span.end, "label": label}))
        .collect();
    json!({
        "file": source.name,
        "severity": diagnostic.severity,
        "code": diagnostic.code,
        "message": diagnostic.message,
        "line": line,
        "column": column,
        "span": {"start": diagnostic.span.start, "end": diagnostic.span.end},
        "label": diagnostic.label,
        "secondary": secondary,
        "help": diagnostic.help,
    })
}
