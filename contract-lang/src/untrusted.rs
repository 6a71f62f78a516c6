//! Showing untrusted text on a terminal: the one escaping function of the three tools.
//!
//! Clause sources, attested fields, order references, review notes and peers' messages are
//! written by someone else. Printed raw, a control character (ESC starts a terminal escape
//! sequence, CR returns to the start of the line, BEL rings) or a bidirectional override
//! (U+202E reverses the rest of a line, U+2066–U+2069 isolate runs) can rewrite or hide what
//! the reader sees — for example paint a fake "VALID" line over a verification report. Every
//! human-readable output passes untrusted text through [`escape`] (one value on one line) or
//! [`escape_lines`] (a document whose lines were built from escaped values), which show each
//! such character visibly as `\u{1b}`, the clause language's own escape. JSON output stays
//! JSON: [`escape_json`] writes the same characters as JSON's `\u001b` escapes, so a parser
//! reads the same value and a terminal shows no raw control character.
//!
//! A backslash is left as it is: text that merely looks like an escape (`\u{1b}` typed by
//! hand) can mislead no more than any other text, and paths stay readable.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal raw: C0 controls (newline and tab included), DEL, C1
/// controls, the bidirectional marks, embeddings, overrides and isolates, and the Unicode line
/// and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// One untrusted value for a line of text: every unsafe character (newline included) as
/// `\u{…}` in lowercase hex. Text without one is returned as it is.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_where(text, is_unsafe, rust_escape)
}

/// A whole text document: like [`escape`], but newlines and tabs stay, so the document keeps
/// its lines. Use it on output built from already escaped values (a newline in a value must
/// not start a line of its own), or as the last pass before printing.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    escape_where(
        text,
        |c| c != '\n' && c != '\t' && is_unsafe(c),
        rust_escape,
    )
}

/// Serialized JSON: every unsafe character as a JSON `\u` escape. Newlines stay (they are the
/// layout of pretty-printed JSON; serializers escape those inside strings), so the output
/// parses to the same value.
pub fn escape_json(json: &str) -> Cow<'_, str> {
    escape_where(json, |c| c != '\n' && is_unsafe(c), json_escape)
}

fn rust_escape(out: &mut String, c: char) {
    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
}

fn json_escape(out: &mut String, c: char) {
    // Every unsafe character is in the Basic Multilingual Plane: no surrogate pair needed.
    let _ = write!(out, "\\u{:04x}", u32::from(c));
}

fn escape_where(
    text: &str,
    unsafe_here: impl Fn(char) -> bool,
    write_escape: fn(&mut String, char),
) -> Cow<'_, str> {
    let Some(first) = text.find(&unsafe_here) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        if unsafe_here(c) {
            write_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A source text made safe to quote in diagnostics, with the map from the original's byte
/// offsets to the escaped text's, so spans still point at the same characters. Newlines and
/// tabs stay; a carriage return just before a newline (a CRLF line ending) is dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscapedSource {
    pub text: String,
    /// `(original offset, escaped offset)` at the start of every character that changed,
    /// and just after it, in increasing order.
    shifts: Vec<(usize, usize)>,
}

impl EscapedSource {
    pub fn new(source: &str) -> EscapedSource {
        let mut text = String::with_capacity(source.len());
        let mut shifts = Vec::new();
        let mut chars = source.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let crlf = c == '\r' && chars.peek().is_some_and(|&(_, next)| next == '\n');
            if crlf || (c != '\n' && c != '\t' && is_unsafe(c)) {
                shifts.push((at, text.len()));
                if !crlf {
                    rust_escape(&mut text, c);
                }
                shifts.push((at + c.len_utf8(), text.len()));
            } else {
                text.push(c);
            }
        }
        EscapedSource { text, shifts }
    }

    /// Where byte `offset` of the original lands in [`Self::text`]. An offset inside an
    /// escaped character lands at the start of its escape.
    pub fn offset(&self, offset: usize) -> usize {
        let index = self
            .shifts
            .partition_point(|&(original, _)| original <= offset);
        match index.checked_sub(1).and_then(|i| self.shifts.get(i)) {
            None => offset,
            Some(&(original, escaped)) => escaped.saturating_add(offset - original),
        }
        .min(self.text.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "a\u{1b}[2K\u{7}b\rVALID\u{202e}c\u{2066}d\u{85}e\u{7f}\n";

    #[test]
    fn every_unsafe_character_is_visible() {
        assert_eq!(
            escape(HOSTILE),
            "a\\u{1b}[2K\\u{7}b\\u{d}VALID\\u{202e}c\\u{2066}d\\u{85}e\\u{7f}\\u{a}"
        );
        assert!(!escape(HOSTILE).chars().any(is_unsafe));
        assert!(matches!(escape("plain — 海运 ü"), Cow::Borrowed(_)));
    }

    #[test]
    fn documents_keep_their_lines() {
        assert_eq!(
            escape_lines("one\u{1b}\n\ttwo\r\n"),
            "one\\u{1b}\n\ttwo\\u{d}\n"
        );
    }

    #[test]
    fn json_stays_the_same_value() {
        let value = serde_json::json!({ "note": HOSTILE, "x": "\u{2067}ok" });
        let text = serde_json::to_string_pretty(&value).unwrap();
        let escaped = escape_json(&text);
        assert!(!escaped.chars().any(|c| c != '\n' && is_unsafe(c)));
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn source_offsets_follow_the_escapes() {
        let source = "ab\u{1b}cd\r\nef\u{202e}g";
        let escaped = EscapedSource::new(source);
        assert_eq!(escaped.text, "ab\\u{1b}cd\nef\\u{202e}g");
        for (original, expected) in [("a", "a"), ("c", "c"), ("e", "e"), ("g", "g")] {
            let at = source.find(original).unwrap();
            assert_eq!(escaped.offset(at), escaped.text.find(expected).unwrap());
        }
        assert_eq!(
            escaped.offset(2),
            2,
            "the escape starts where the character was"
        );
        assert_eq!(escaped.offset(source.len()), escaped.text.len());
        assert_eq!(escaped.offset(usize::MAX), escaped.text.len());
    }
}
