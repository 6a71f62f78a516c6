//! Rendering diagnostics for people (ariadne) and positions for tools (`line_col`).
//!
//! [`render`] with `color = false` is plain, deterministic text: the golden files of the tests
//! hold exactly that output. Spans are byte offsets; they are clamped to the source and to
//! character boundaries before rendering, so a diagnostic from another pass (or a stale one)
//! can never make rendering panic.

use std::ops::Range;

use ariadne::{Config, IndexType, Label, Report, ReportKind, Source};

use crate::span::{Diagnostic, Severity, Span};
use crate::untrusted::{escape, EscapedSource};

/// Renders the diagnostics of a compilation as plain text, each against the source it names
/// (a file index past the end, which the compiler never gives, is shown against the last).
pub fn render_files(
    diagnostics: &[crate::compile::FileDiagnostic],
    sources: &[crate::compile::SourceInput],
) -> String {
    diagnostics
        .iter()
        .filter_map(|found| {
            let source = sources.get(found.file).or(sources.last())?;
            Some(render(
                std::slice::from_ref(&found.diagnostic),
                &source.name,
                &source.text,
                false,
            ))
        })
        .collect()
}

/// Renders `diagnostics` against `source` as compiler-style reports: code and message, the
/// source lines with labelled spans (`file:line:col`), secondary labels and the help line.
///
/// The source and the messages (which may quote it) are someone else's text: control and
/// bidirectional characters are shown escaped (`\u{1b}`), with spans moved to match, so a
/// clause file cannot rewrite the terminal it is checked on. Columns in the header count the
/// escaped text; [`line_col`] gives the original's.
pub fn render(diagnostics: &[Diagnostic], file_name: &str, source: &str, color: bool) -> String {
    let mut out = Vec::new();
    let shown = EscapedSource::new(source);
    let range = |span: Span| {
        let original = clamp(source, span);
        shown.offset(original.start)..shown.offset(original.end)
    };
    let file_name = &*escape(file_name);
    let config = Config::default()
        .with_color(color)
        .with_index_type(IndexType::Byte);
    for d in diagnostics {
        let kind = match d.severity {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
        };
        let primary = range(d.span);
        let mut labels = vec![(primary.clone(), escape(&d.label), ariadne::Color::Red)];
        for (span, label) in &d.secondary {
            labels.push((range(*span), escape(label), ariadne::Color::Blue));
        }
        // Labels in source order: ariadne starts a new snippet for a label above the previous
        // one, which would repeat the header with the primary location.
        labels.sort_by_key(|(range, _, _)| range.start);
        let mut report = Report::build(kind, (file_name, primary))
            .with_config(config)
            .with_code(&d.code)
            .with_message(escape(&d.message));
        for (order, (range, label, color)) in labels.into_iter().enumerate() {
            report = report.with_label(
                Label::new((file_name, range))
                    .with_message(label)
                    .with_color(color)
                    .with_order(i32::try_from(order).unwrap_or(i32::MAX)),
            );
        }
        if let Some(help) = &d.help {
            report = report.with_help(escape(help));
        }
        // Writing into a Vec cannot fail; a failure would only lose this report's text.
        let _ = report
            .finish()
            .write((file_name, Source::from(shown.text.as_str())), &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The 1-based line and column (counted in characters) of a byte offset. Offsets past the end
/// or inside a character are moved back to the nearest character boundary.
pub fn line_col(source: &str, byte_offset: u32) -> (u32, u32) {
    let offset = floor_boundary(source, byte_offset as usize);
    let before = &source[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (to_u32(line), to_u32(col))
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn floor_boundary(source: &str, offset: usize) -> usize {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A byte range inside `source` on character boundaries. An empty span is widened to the
/// character it points at (if any), so the label has something to underline.
fn clamp(source: &str, span: Span) -> Range<usize> {
    let start = floor_boundary(source, span.start as usize);
    let mut end = floor_boundary(source, span.end as usize).max(start);
    if end == start {
        if let Some(c) = source[start..].chars().next() {
            if c != '\n' {
                end = start + c.len_utf8();
            }
        }
    }
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let src = "ab\n中文x\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 3), (2, 1));
        assert_eq!(line_col(src, 9), (2, 3));
        assert_eq!(line_col(src, 4), (2, 1)); // inside `中`: its start
        assert_eq!(line_col(src, 1000), (3, 1));
    }

    #[test]
    fn render_survives_any_span() {
        let src = "on x\n中";
        for (s, e) in [(0, 0), (7, 7), (6, 100), (100, 2), (5, 6)] {
            let d = Diagnostic::error("E0000", "m", Span { start: s, end: e }, "l")
                .with_secondary(Span { start: e, end: s }, "x");
            let text = render(&[d], "f.clause", src, false);
            assert!(text.contains("E0000"), "{text}");
        }
    }

    #[test]
    fn hostile_source_is_shown_escaped() {
        let src = "x \u{1b}[2K\u{7}\rVALID \u{202e}y\u{2066} z\n";
        let at = |s: &str| u32::try_from(src.find(s).unwrap()).unwrap();
        let d = Diagnostic::error(
            "E0001",
            "bad \u{1b}]0;title\u{7}",
            Span {
                start: at("y"),
                end: at("y") + 1,
            },
            "here\r",
        )
        .with_secondary(
            Span {
                start: at("z"),
                end: at("z") + 1,
            },
            "\u{202e}also",
        )
        .with_help("try \u{2066}");
        for color in [false, true] {
            let text = render(std::slice::from_ref(&d), "f\u{1b}.clause", src, color);
            let raw: Vec<char> = text
                .chars()
                .filter(|&c| c != '\n' && crate::untrusted::is_unsafe(c))
                .filter(|&c| !(color && c == '\u{1b}'))
                .collect();
            assert!(raw.is_empty(), "{raw:?} in {text}");
            assert!(
                !text.contains("\u{1b}[2K") && !text.contains("\u{1b}]0"),
                "{text}"
            );
            assert!(color || text.contains("\\u{202e}y"), "{text}");
        }
    }
}
