//! The lexer: source text to tokens, comments and lexical diagnostics (`E01xx`).
//!
//! Token shapes (identifiers, numbers, durations, timestamps, operators) are recognised with nom
//! combinators; turning a recognised shape into a value (checked integer conversion, calendar
//! validation, string escapes) is plain code so each failure gets its own span and message.
//! The lexer never stops early: a broken literal becomes [`TokenKind::BadLiteral`] (already
//! reported) and an unexpected character is reported and skipped.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while_m_n};
use nom::character::complete::{char, digit1, one_of, satisfy};
use nom::combinator::{all_consuming, opt, recognize, value};
use nom::multi::many1;
use nom::{IResult, Parser};

use super::civil::CivilTime;
use super::Sink;
use crate::ast::DurationUnit;
use crate::limits::{self, codes};
use crate::span::{Diagnostic, Span, Spanned};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Punct {
    LBrace,
    RBrace,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Colon,
    Dot,
    Assign,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Arrow,
    FatArrow,
}

impl Punct {
    pub fn text(self) -> &'static str {
        match self {
            Punct::LBrace => "{",
            Punct::RBrace => "}",
            Punct::LParen => "(",
            Punct::RParen => ")",
            Punct::LBracket => "[",
            Punct::RBracket => "]",
            Punct::Comma => ",",
            Punct::Colon => ":",
            Punct::Dot => ".",
            Punct::Assign => "=",
            Punct::EqEq => "==",
            Punct::NotEq => "!=",
            Punct::Lt => "<",
            Punct::Le => "<=",
            Punct::Gt => ">",
            Punct::Ge => ">=",
            Punct::Plus => "+",
            Punct::Minus => "-",
            Punct::Star => "*",
            Punct::Slash => "/",
            Punct::Arrow => "->",
            Punct::FatArrow => "=>",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// An identifier or a keyword (the parser decides which words are reserved where).
    Word(String),
    Int(i64),
    Decimal {
        mantissa: i64,
        scale: u8,
    },
    Percent {
        mantissa: i64,
        scale: u8,
    },
    Duration(Vec<(i64, DurationUnit)>),
    Timestamp(i64),
    Str(String),
    /// A literal the lexer could not read; it has been reported already.
    BadLiteral,
    Punct(Punct),
    Eof,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
    /// Whether a line break separates this token from the previous one (or it is the first).
    pub line_start: bool,
}

/// The lexer's output. `tokens` always ends with one [`TokenKind::Eof`].
#[derive(Debug, Default)]
pub struct Lexed {
    pub tokens: Vec<Token>,
    pub comments: Vec<Spanned<String>>,
    pub line_breaks: Vec<u32>,
}

type Res<'a, T> = IResult<&'a str, T>;

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn identifier(i: &str) -> Res<'_, &str> {
    recognize((satisfy(is_ident_start), take_while(is_ident_char))).parse(i)
}

fn punct(i: &str) -> Res<'_, Punct> {
    alt((
        alt((
            value(Punct::Arrow, tag("->")),
            value(Punct::FatArrow, tag("=>")),
            value(Punct::EqEq, tag("==")),
            value(Punct::NotEq, tag("!=")),
            value(Punct::Le, tag("<=")),
            value(Punct::Ge, tag(">=")),
        )),
        alt((
            value(Punct::LBrace, char('{')),
            value(Punct::RBrace, char('}')),
            value(Punct::LParen, char('(')),
            value(Punct::RParen, char(')')),
            value(Punct::LBracket, char('[')),
            value(Punct::RBracket, char(']')),
            value(Punct::Comma, char(',')),
            value(Punct::Colon, char(':')),
            value(Punct::Dot, char('.')),
            value(Punct::Assign, char('=')),
            value(Punct::Lt, char('<')),
            value(Punct::Gt, char('>')),
            value(Punct::Plus, char('+')),
            value(Punct::Minus, char('-')),
            value(Punct::Star, char('*')),
            value(Punct::Slash, char('/')),
        )),
    ))
    .parse(i)
}

fn digits(n: usize) -> impl Fn(&str) -> Res<'_, &str> {
    move |i| take_while_m_n(n, n, |c: char| c.is_ascii_digit()).parse(i)
}

/// `YYYY-MM-DD`, the part of a timestamp that tells it apart from a subtraction.
fn date_prefix(i: &str) -> Res<'_, (&str, &str, &str)> {
    let (i, (y, _, m, _, d)) = (digits(4), char('-'), digits(2), char('-'), digits(2)).parse(i)?;
    Ok((i, (y, m, d)))
}

struct RawTimestamp<'a> {
    date: (&'a str, &'a str, &'a str),
    time: (&'a str, &'a str, &'a str),
    fraction: Option<&'a str>,
    /// `None` for `Z`, else (sign, hours, minutes).
    offset: Option<(char, &'a str, &'a str)>,
}

fn timestamp(i: &str) -> Res<'_, RawTimestamp<'_>> {
    let (i, date) = date_prefix(i)?;
    let (i, (_, h, _, mi, _, s)) = (
        char('T'),
        digits(2),
        char(':'),
        digits(2),
        char(':'),
        digits(2),
    )
        .parse(i)?;
    let (i, fraction) = opt(recognize((char('.'), digit1))).parse(i)?;
    let (i, offset) = alt((
        value(None, char('Z')),
        (one_of("+-"), digits(2), char(':'), digits(2))
            .map(|(sign, oh, _, om)| Some((sign, oh, om))),
    ))
    .parse(i)?;
    Ok((
        i,
        RawTimestamp {
            date,
            time: (h, mi, s),
            fraction,
            offset,
        },
    ))
}

/// A number's shape: integer digits and optional fraction digits (`12.50`).
fn number(i: &str) -> Res<'_, (&str, Option<&str>)> {
    (digit1, opt((char('.'), digit1).map(|(_, f)| f))).parse(i)
}

fn duration_unit(i: &str) -> Res<'_, DurationUnit> {
    alt((
        value(DurationUnit::Days, char('d')),
        value(DurationUnit::Hours, char('h')),
        value(DurationUnit::Minutes, char('m')),
        value(DurationUnit::Seconds, char('s')),
    ))
    .parse(i)
}

/// `42d`, `1d12h`: one or more (digits, unit) pairs covering the whole word.
fn duration(i: &str) -> Res<'_, Vec<(&str, DurationUnit)>> {
    all_consuming(many1((digit1, duration_unit))).parse(i)
}

/// `100pcs`, `2.5t`: a number glued to a unit of measure. `None` for anything else.
fn glued_unit_help(word: &str) -> Option<String> {
    let unit = word.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    let amount = &word[..word.len() - unit.len()];
    crate::quantity::Unit::parse(unit)
        .map(|_| format!("put a space between an amount and its unit: `{amount} {unit}`"))
}

fn parse_digits(d: &str) -> Option<i64> {
    d.bytes().try_fold(0i64, |acc, b| {
        acc.checked_mul(10)?.checked_add(i64::from(b - b'0'))
    })
}

struct Lexer<'s, 'k> {
    src: &'s str,
    pos: usize,
    sink: &'k mut Sink,
    out: Lexed,
    line_start: bool,
}

pub(crate) fn lex(src: &str, sink: &mut Sink) -> Lexed {
    let mut lexer = Lexer {
        src,
        pos: 0,
        sink,
        out: Lexed::default(),
        line_start: true,
    };
    lexer.run();
    lexer.out
}

impl<'s> Lexer<'s, '_> {
    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.out.tokens.push(Token {
            kind,
            span: Span::new(start, self.pos),
            line_start: self.line_start,
        });
        self.line_start = false;
    }

    fn error(&mut self, d: Diagnostic) {
        self.sink.push(d);
    }

    fn run(&mut self) {
        // A byte-order mark some editors put first is not part of the text.
        if self.src.starts_with('\u{feff}') {
            self.pos = '\u{feff}'.len_utf8();
        }
        while self.pos < self.src.len() {
            if self.sink.is_full() {
                break;
            }
            let c = match self.rest().chars().next() {
                Some(c) => c,
                None => break,
            };
            let start = self.pos;
            match c {
                '\n' => {
                    self.out.line_breaks.push(start as u32);
                    self.line_start = true;
                    self.pos += 1;
                }
                ' ' | '\t' | '\r' => self.pos += 1,
                '/' if self.rest().starts_with("//") => self.comment(),
                '"' => self.string(),
                '\'' if self.single_quoted() => {}
                '0'..='9' => self.number(),
                c if is_ident_start(c) => self.word(),
                _ => self.operator(c),
            }
        }
        let end = self.src.len();
        self.out.tokens.push(Token {
            kind: TokenKind::Eof,
            span: Span::new(end, end),
            line_start: true,
        });
    }

    fn comment(&mut self) {
        let start = self.pos;
        let len = self.rest().find('\n').unwrap_or(self.rest().len());
        self.pos += len;
        let text = self.src[start..self.pos].trim_end().to_string();
        let span = Span::new(start, start + text.len());
        self.out.comments.push(Spanned::new(text, span));
    }

    fn word(&mut self) {
        let start = self.pos;
        let Ok((rest, w)) = identifier(self.rest()) else {
            self.pos += 1;
            return;
        };
        let mut word = w.to_string();
        self.pos = self.src.len() - rest.len();
        // `m³`: the one unit symbol with a character outside ASCII, read as one word.
        if word == "m" && rest.starts_with('³') {
            word.push('³');
            self.pos += '³'.len_utf8();
        }
        if word.len() > limits::MAX_IDENT_LEN {
            self.error(
                Diagnostic::error(
                    codes::IDENT_TOO_LONG,
                    format!(
                        "this name is longer than {} characters",
                        limits::MAX_IDENT_LEN
                    ),
                    Span::new(start, self.pos),
                    format!("{} characters", word.len()),
                )
                .with_help("choose a shorter name"),
            );
        }
        self.push(TokenKind::Word(word), start);
    }

    fn operator(&mut self, c: char) {
        let start = self.pos;
        if let Ok((rest, p)) = punct(self.rest()) {
            self.pos = self.src.len() - rest.len();
            self.push(TokenKind::Punct(p), start);
            return;
        }
        // Operators from other languages: report them with the word to use, and read them as
        // that word so the rest of the expression still parses.
        for (written, word) in [("&&", "and"), ("||", "or"), ("!", "not")] {
            if self.rest().starts_with(written) {
                self.pos += written.len();
                self.error(
                    Diagnostic::error(
                        "E0109",
                        format!("`{written}` is not an operator of the clause language"),
                        Span::new(start, self.pos),
                        format!("write `{word}` here"),
                    )
                    .with_help(format!(
                        "conditions are combined with `and`, `or` and `not`; write `{word}`"
                    )),
                );
                self.push(TokenKind::Word(word.to_string()), start);
                return;
            }
        }
        // A run of characters that cannot start a token is reported once.
        let mut end = start + c.len_utf8();
        for next in self.src[end..].chars() {
            if next.is_ascii_alphanumeric()
                || next.is_ascii_whitespace()
                || next == '"'
                || punct(&self.src[end..]).is_ok()
            {
                break;
            }
            end += next.len_utf8();
        }
        self.pos = end;
        let shown: String = self.src[start..end].chars().take(16).collect();
        let mut d = Diagnostic::error(
            "E0101",
            format!(
                "unexpected character{} `{}`",
                if end - start > c.len_utf8() { "s" } else { "" },
                shown.escape_debug()
            ),
            Span::new(start, end),
            "not part of the clause language",
        );
        if c == '%' {
            d = d.with_help("a percentage is written directly after a number, as in `0.5%`");
        } else if c == '\'' {
            d = d.with_help("text is written in double quotes: \"like this\"");
        } else if !c.is_ascii() {
            d = d.with_help(
                "names use ASCII letters, digits and `_`; other scripts belong in \"text\"",
            );
        }
        self.error(d);
    }

    fn string(&mut self) {
        let start = self.pos;
        self.pos += 1;
        let mut text = String::new();
        let mut bad = false;
        loop {
            let Some(c) = self.rest().chars().next() else {
                self.unclosed_string(start);
                break;
            };
            match c {
                '"' => {
                    self.pos += 1;
                    break;
                }
                '\n' => {
                    self.unclosed_string(start);
                    break;
                }
                '\\' => match self.escape() {
                    Some(e) => text.push(e),
                    None => bad = true,
                },
                c => {
                    text.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
        if text.len() > limits::MAX_STRING_BYTES {
            self.error(Diagnostic::error(
                codes::STRING_TOO_LONG,
                format!(
                    "this text is longer than {} bytes",
                    limits::MAX_STRING_BYTES
                ),
                Span::new(start, self.pos),
                format!("{} bytes", text.len()),
            ));
            bad = true;
        }
        let kind = if bad {
            TokenKind::BadLiteral
        } else {
            TokenKind::Str(text)
        };
        self.push(kind, start);
    }

    /// `'text'` as other languages write it: reported, and read as the text it plainly is.
    /// Returns false (nothing consumed) when no closing `'` follows on the same line.
    fn single_quoted(&mut self) -> bool {
        let start = self.pos;
        let body = &self.rest()[1..];
        let line = &body[..body.find('\n').unwrap_or(body.len())];
        let Some(len) = line.find('\'') else {
            return false;
        };
        let text = line[..len].to_string();
        self.pos += len + 2;
        self.error(
            Diagnostic::error(
                "E0108",
                "text is written in double quotes",
                Span::new(start, self.pos),
                "single quotes",
            )
            .with_help(format!("write \"{}\"", text.escape_default())),
        );
        self.push(TokenKind::Str(text), start);
        true
    }

    fn unclosed_string(&mut self, start: usize) {
        let end = self.pos;
        self.error(
            Diagnostic::error(
                "E0102",
                "this text is never closed",
                Span::new(end, end),
                if end == self.src.len() {
                    "the file ends before the closing `\"`"
                } else {
                    "the line ends before the closing `\"`"
                },
            )
            .with_secondary(Span::new(start, start + 1), "the text starts here")
            .with_help("end the text with `\"`; to put a line break inside text, write `\\n`"),
        );
    }

    /// Reads one escape after a backslash; `None` after reporting a bad one.
    fn escape(&mut self) -> Option<char> {
        let start = self.pos;
        self.pos += 1; // the backslash
        let Some(c) = self.rest().chars().next() else {
            return None; // end of file: reported as an unclosed string by the caller
        };
        let simple = match c {
            '"' => Some('"'),
            '\\' => Some('\\'),
            'n' => Some('\n'),
            't' => Some('\t'),
            _ => None,
        };
        if let Some(e) = simple {
            self.pos += 1;
            return Some(e);
        }
        if c == 'u' {
            let rest = &self.rest()[1..];
            let braced: Res<'_, &str> = (
                char('{'),
                take_while_m_n(1, 6, |c: char| c.is_ascii_hexdigit()),
                char('}'),
            )
                .map(|(_, h, _)| h)
                .parse(rest);
            if let Ok((after, hex)) = braced {
                let end = self.src.len() - after.len();
                self.pos = end;
                let scalar = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                if scalar.is_none() {
                    self.error(Diagnostic::error(
                        "E0107",
                        format!("`\\u{{{hex}}}` is not a Unicode character"),
                        Span::new(start, end),
                        "no such character",
                    ));
                }
                return scalar;
            }
            self.pos += 1;
            self.error(
                Diagnostic::error(
                    "E0107",
                    "malformed `\\u` escape",
                    Span::new(start, self.pos),
                    "expected `{` and 1 to 6 hex digits",
                )
                .with_help("write a Unicode character as `\\u{4E2D}`, or type it directly"),
            );
            return None;
        }
        if c == '\n' {
            return None; // reported as an unclosed string by the caller
        }
        self.pos += c.len_utf8();
        self.error(
            Diagnostic::error(
                "E0103",
                format!("unknown escape `\\{}` in text", c.escape_debug()),
                Span::new(start, self.pos),
                "unknown escape",
            )
            .with_help("the escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{…}`"),
        );
        None
    }

    fn number(&mut self) {
        let start = self.pos;
        if date_prefix(self.rest()).is_ok() {
            self.timestamp();
            return;
        }
        let Ok((rest, (int_digits, fraction))) = number(self.rest()) else {
            self.pos += 1;
            return;
        };
        self.pos = self.src.len() - rest.len();
        let word_end = rest.find(|c: char| !is_ident_char(c)).unwrap_or(rest.len());
        let glued_currency = word_end == 3 && rest[..3].bytes().all(|b| b.is_ascii_uppercase());
        if glued_currency {
            // `150.00EUR`: report it, and leave the code to be read as the currency.
            self.error(
                Diagnostic::error(
                    "E0110",
                    "put a space between an amount and its currency",
                    Span::new(start, self.pos + 3),
                    "amount and currency run together",
                )
                .with_help(format!(
                    "write `{} {}`",
                    &self.src[start..self.pos],
                    &rest[..3]
                )),
            );
        }
        // A number glued to letters is a duration (`42d`, `1d12h`) or a mistake.
        if rest.starts_with(is_ident_start) && !glued_currency {
            self.pos += word_end;
            let word = &self.src[start..self.pos];
            let kind = if fraction.is_some() {
                self.error(
                    Diagnostic::error(
                        "E0105",
                        format!("`{word}` is not a number or a duration"),
                        Span::new(start, self.pos),
                        "durations take whole numbers",
                    )
                    .with_help(glued_unit_help(word).unwrap_or_else(|| {
                        "combine units instead, as in `1d12h` or `90m`".to_string()
                    })),
                );
                TokenKind::BadLiteral
            } else {
                self.duration(word, start)
            };
            self.push(kind, start);
            return;
        }
        let percent = rest.starts_with('%');
        if percent {
            self.pos += 1;
        }
        let kind = match fraction {
            None => match parse_digits(int_digits) {
                Some(v) if percent => TokenKind::Percent {
                    mantissa: v,
                    scale: 0,
                },
                Some(v) => TokenKind::Int(v),
                None => {
                    self.too_large(start);
                    TokenKind::BadLiteral
                }
            },
            Some(frac) => {
                let scale = frac.len();
                let mut all = String::with_capacity(int_digits.len() + scale);
                all.push_str(int_digits);
                all.push_str(frac);
                match parse_digits(&all) {
                    _ if scale > limits::MAX_DECIMAL_SCALE => {
                        self.error(Diagnostic::error(
                            codes::SCALE_TOO_LARGE,
                            format!(
                                "a number may have at most {} digits after the decimal point",
                                limits::MAX_DECIMAL_SCALE
                            ),
                            Span::new(start, self.pos),
                            format!("{scale} digits after the point"),
                        ));
                        TokenKind::BadLiteral
                    }
                    Some(mantissa) => {
                        let scale = scale as u8; // at most MAX_DECIMAL_SCALE
                        if percent {
                            TokenKind::Percent { mantissa, scale }
                        } else {
                            TokenKind::Decimal { mantissa, scale }
                        }
                    }
                    None => {
                        self.too_large(start);
                        TokenKind::BadLiteral
                    }
                }
            }
        };
        self.push(kind, start);
    }

    fn too_large(&mut self, start: usize) {
        self.error(
            Diagnostic::error(
                "E0104",
                "this number does not fit in 64 bits",
                Span::new(start, self.pos),
                "too large",
            )
            .with_help(format!(
                "numbers are exact 64-bit integers (up to {}), counting every digit of a decimal",
                i64::MAX
            )),
        );
    }

    fn duration(&mut self, word: &str, start: usize) -> TokenKind {
        let span = Span::new(start, self.pos);
        let Ok((_, parts)) = duration(word) else {
            let help = glued_unit_help(word).unwrap_or_else(|| "durations are written like `42d`, `48h`, `90m`, `30s` or `1d12h`; put a space between a number and a name".to_string());
            self.error(
                Diagnostic::error(
                    "E0105",
                    format!("`{word}` is not a number or a duration"),
                    span,
                    "unknown unit",
                )
                .with_help(help),
            );
            return TokenKind::BadLiteral;
        };
        let mut out = Vec::with_capacity(parts.len());
        for (amount, unit) in parts {
            match parse_digits(amount) {
                Some(v) if v.checked_mul(unit.seconds()).is_some() => out.push((v, unit)),
                _ => {
                    self.error(
                        Diagnostic::error(
                            "E0104",
                            "this duration does not fit in 64 bits of seconds",
                            span,
                            "too large",
                        )
                        .with_help("a duration holds at most 9223372036854775807 seconds"),
                    );
                    return TokenKind::BadLiteral;
                }
            }
        }
        TokenKind::Duration(out)
    }

    fn timestamp(&mut self) {
        let start = self.pos;
        let help =
            "write a UTC time as `2026-03-01T08:00:00Z` (or with an offset such as `+08:00`)";
        let raw = match timestamp(self.rest()) {
            Ok((rest, raw)) if !rest.starts_with(is_ident_char) => {
                self.pos = self.src.len() - rest.len();
                raw
            }
            _ => {
                // Report the glued run of timestamp-like characters as one literal.
                let run = self
                    .rest()
                    .find(|c: char| !(is_ident_char(c) || matches!(c, '-' | ':' | '+')))
                    .unwrap_or(self.rest().len());
                self.pos += run;
                self.error(
                    Diagnostic::error(
                        "E0106",
                        "malformed timestamp",
                        Span::new(start, self.pos),
                        "not an RFC 3339 date and time",
                    )
                    .with_help(help),
                );
                self.push(TokenKind::BadLiteral, start);
                return;
            }
        };
        let span = Span::new(start, self.pos);
        let num = |s: &str| s.bytes().fold(0u32, |a, b| a * 10 + u32::from(b - b'0'));
        let civil = CivilTime {
            year: i64::from(num(raw.date.0)),
            month: num(raw.date.1),
            day: num(raw.date.2),
            hour: num(raw.time.0),
            minute: num(raw.time.1),
            second: num(raw.time.2),
        };
        let kind = if !civil.is_valid() {
            self.error(
                Diagnostic::error("E0106", "this date or time does not exist", span, "not a valid calendar date and time")
                    .with_help("check the month (01–12), the day of the month and the time (00:00:00–23:59:59)"),
            );
            TokenKind::BadLiteral
        } else if raw
            .fraction
            .is_some_and(|f| f.bytes().skip(1).any(|b| b != b'0'))
        {
            self.error(
                Diagnostic::error(
                    "E0106",
                    "timestamps have whole seconds",
                    span,
                    "fraction of a second",
                )
                .with_help("drop the fraction of a second"),
            );
            TokenKind::BadLiteral
        } else {
            let offset = match raw.offset {
                None => Some(0),
                Some((sign, h, m)) => {
                    let (h, m) = (num(h), num(m));
                    (h < 24 && m < 60).then(|| {
                        let seconds = i64::from(h * 3600 + m * 60);
                        if sign == '-' {
                            -seconds
                        } else {
                            seconds
                        }
                    })
                }
            };
            match offset {
                // Local time minus its offset is UTC.
                Some(offset) => TokenKind::Timestamp(civil.to_unix() - offset),
                None => {
                    self.error(
                        Diagnostic::error(
                            "E0106",
                            "this time-zone offset does not exist",
                            span,
                            "offset out of range",
                        )
                        .with_help("an offset is at most `±23:59`"),
                    );
                    TokenKind::BadLiteral
                }
            }
        };
        self.push(kind, start);
    }
}
