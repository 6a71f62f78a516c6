//! Fixed phrases of the three languages: headings, operators, units, rounding modes.

use super::Lang;
use crate::ir::{ArithOp, CompareOp, RoundingMode};

pub struct Headings {
    pub clause: &'static str,
    pub id: &'static str,
    pub params: &'static str,
    pub definitions: &'static str,
    pub rules: &'static str,
    pub no_params: &'static str,
}

pub fn headings(lang: Lang) -> Headings {
    match lang {
        Lang::En => Headings {
            clause: "Clause",
            id: "Clause id",
            params: "Parameters",
            definitions: "Definitions",
            rules: "Rules",
            no_params: "(none)",
        },
        Lang::Zh => Headings {
            clause: "条款",
            id: "条款标识",
            params: "参数",
            definitions: "定义",
            rules: "规则",
            no_params: "（无）",
        },
        Lang::De => Headings {
            clause: "Klausel",
            id: "Klausel-ID",
            params: "Parameter",
            definitions: "Definitionen",
            rules: "Regeln",
            no_params: "(keine)",
        },
    }
}

/// `A <op> B` for a comparison of two points in time: "later than", "no later than", …
pub fn compare_times(lang: Lang, op: CompareOp, lhs: &str, rhs: &str) -> String {
    match (lang, op) {
        (_, CompareOp::Eq | CompareOp::Ne) => compare(lang, op, lhs, rhs),
        (Lang::En, CompareOp::Lt) => format!("{lhs} is earlier than {rhs}"),
        (Lang::En, CompareOp::Le) => format!("{lhs} is no later than {rhs}"),
        (Lang::En, CompareOp::Gt) => format!("{lhs} is later than {rhs}"),
        (Lang::En, CompareOp::Ge) => format!("{lhs} is no earlier than {rhs}"),
        (Lang::Zh, CompareOp::Lt) => format!("{lhs}早于{rhs}"),
        (Lang::Zh, CompareOp::Le) => format!("{lhs}不晚于{rhs}"),
        (Lang::Zh, CompareOp::Gt) => format!("{lhs}晚于{rhs}"),
        (Lang::Zh, CompareOp::Ge) => format!("{lhs}不早于{rhs}"),
        (Lang::De, CompareOp::Lt) => format!("{lhs} liegt vor {rhs}"),
        (Lang::De, CompareOp::Le) => format!("{lhs} liegt nicht nach {rhs}"),
        (Lang::De, CompareOp::Gt) => format!("{lhs} liegt nach {rhs}"),
        (Lang::De, CompareOp::Ge) => format!("{lhs} liegt nicht vor {rhs}"),
    }
}

/// `A <op> B` for a comparison.
pub fn compare(lang: Lang, op: CompareOp, lhs: &str, rhs: &str) -> String {
    match (lang, op) {
        (Lang::En, CompareOp::Eq) => format!("{lhs} is {rhs}"),
        (Lang::En, CompareOp::Ne) => format!("{lhs} is not {rhs}"),
        (Lang::En, CompareOp::Lt) => format!("{lhs} is less than {rhs}"),
        (Lang::En, CompareOp::Le) => format!("{lhs} is at most {rhs}"),
        (Lang::En, CompareOp::Gt) => format!("{lhs} is more than {rhs}"),
        (Lang::En, CompareOp::Ge) => format!("{lhs} is at least {rhs}"),
        (Lang::Zh, CompareOp::Eq) => format!("{lhs}为{rhs}"),
        (Lang::Zh, CompareOp::Ne) => format!("{lhs}不为{rhs}"),
        (Lang::Zh, CompareOp::Lt) => format!("{lhs}小于{rhs}"),
        (Lang::Zh, CompareOp::Le) => format!("{lhs}不超过{rhs}"),
        (Lang::Zh, CompareOp::Gt) => format!("{lhs}超过{rhs}"),
        (Lang::Zh, CompareOp::Ge) => format!("{lhs}不低于{rhs}"),
        (Lang::De, CompareOp::Eq) => format!("{lhs} ist {rhs}"),
        (Lang::De, CompareOp::Ne) => format!("{lhs} ist nicht {rhs}"),
        (Lang::De, CompareOp::Lt) => format!("{lhs} ist kleiner als {rhs}"),
        (Lang::De, CompareOp::Le) => format!("{lhs} ist höchstens {rhs}"),
        (Lang::De, CompareOp::Gt) => format!("{lhs} ist größer als {rhs}"),
        (Lang::De, CompareOp::Ge) => format!("{lhs} ist mindestens {rhs}"),
    }
}

pub fn arith(lang: Lang, op: ArithOp, lhs: &str, rhs: &str) -> String {
    let word = match (lang, op) {
        (Lang::En | Lang::De, ArithOp::Add) => "plus",
        (Lang::En | Lang::De, ArithOp::Sub) => "minus",
        (Lang::En, ArithOp::Mul) => "times",
        (Lang::En, ArithOp::Div) => "divided by",
        (Lang::De, ArithOp::Mul) => "mal",
        (Lang::De, ArithOp::Div) => "geteilt durch",
        (Lang::Zh, ArithOp::Add) => "加",
        (Lang::Zh, ArithOp::Sub) => "减",
        (Lang::Zh, ArithOp::Mul) => "乘以",
        (Lang::Zh, ArithOp::Div) => "除以",
    };
    format!("{lhs} {word} {rhs}")
}

/// The time span from `from` to `to` (a timestamp difference).
pub fn time_between(lang: Lang, from: &str, to: &str) -> String {
    match lang {
        Lang::En => format!("the time from {from} to {to}"),
        Lang::Zh => format!("自{from}至{to}的时长"),
        Lang::De => format!("Zeitspanne zwischen {from} und {to}"),
    }
}

pub fn and(lang: Lang) -> &'static str {
    match lang {
        Lang::En => " and ",
        Lang::Zh => "，且",
        Lang::De => " und ",
    }
}

pub fn or(lang: Lang) -> &'static str {
    match lang {
        Lang::En => " or ",
        Lang::Zh => "，或",
        Lang::De => " oder ",
    }
}

pub fn not(lang: Lang, inner: &str) -> String {
    match lang {
        Lang::En => format!("it is not the case that {inner}"),
        Lang::Zh => format!("并非{inner}"),
        Lang::De => format!("es gilt nicht, dass {inner}"),
    }
}

pub fn rounding(lang: Lang, mode: RoundingMode) -> &'static str {
    match (lang, mode) {
        (Lang::En, RoundingMode::HalfUp) => "rounded to the nearest, halves away from zero",
        (Lang::En, RoundingMode::HalfEven) => "rounded to the nearest, halves to even",
        (Lang::En, RoundingMode::Down) => "rounded toward zero",
        (Lang::En, RoundingMode::Up) => "rounded away from zero",
        (Lang::En, RoundingMode::Floor) => "rounded down",
        (Lang::En, RoundingMode::Ceiling) => "rounded up",
        (Lang::Zh, RoundingMode::HalfUp) => "四舍五入",
        (Lang::Zh, RoundingMode::HalfEven) => "四舍六入五成双",
        (Lang::Zh, RoundingMode::Down) => "向零舍去",
        (Lang::Zh, RoundingMode::Up) => "远离零进位",
        (Lang::Zh, RoundingMode::Floor) => "向下取整",
        (Lang::Zh, RoundingMode::Ceiling) => "向上取整",
        (Lang::De, RoundingMode::HalfUp) => "kaufmännisch gerundet",
        (Lang::De, RoundingMode::HalfEven) => "auf die nächste gerade Stelle gerundet",
        (Lang::De, RoundingMode::Down) => "in Richtung null gerundet",
        (Lang::De, RoundingMode::Up) => "von null weg gerundet",
        (Lang::De, RoundingMode::Floor) => "abgerundet",
        (Lang::De, RoundingMode::Ceiling) => "aufgerundet",
    }
}

/// Units of a duration, largest first: (seconds, en singular, en plural, zh, de singular, de plural).
const UNITS: [(i64, &str, &str, &str, &str, &str); 4] = [
    (86_400, "day", "days", "天", "Tag", "Tage"),
    (3_600, "hour", "hours", "小时", "Stunde", "Stunden"),
    (60, "minute", "minutes", "分钟", "Minute", "Minuten"),
    (1, "second", "seconds", "秒", "Sekunde", "Sekunden"),
];

/// `42 days`, `1 day 12 hours`, `42 天`, `1 Tag 12 Stunden`.
pub fn duration(lang: Lang, seconds: i64) -> String {
    let mut rest = seconds.unsigned_abs();
    let mut parts = Vec::new();
    for (unit, en_one, en_many, zh, de_one, de_many) in UNITS {
        let unit = unit.unsigned_abs();
        let count = rest / unit;
        rest %= unit;
        if count == 0 {
            continue;
        }
        let name = match lang {
            Lang::En if count == 1 => en_one,
            Lang::En => en_many,
            Lang::Zh => zh,
            Lang::De if count == 1 => de_one,
            Lang::De => de_many,
        };
        parts.push(format!("{count} {name}"));
    }
    if parts.is_empty() {
        parts.push(match lang {
            Lang::En => "0 seconds".to_string(),
            Lang::Zh => "0 秒".to_string(),
            Lang::De => "0 Sekunden".to_string(),
        });
    }
    let sign = if seconds < 0 { "-" } else { "" };
    format!("{sign}{}", parts.join(" "))
}

/// A quoted text.
pub fn quoted(lang: Lang, text: &str) -> String {
    match lang {
        Lang::En | Lang::Zh => format!("“{text}”"),
        Lang::De => format!("„{text}“"),
    }
}

pub fn boolean(lang: Lang, value: bool) -> &'static str {
    match (lang, value) {
        (Lang::En, true) => "true",
        (Lang::En, false) => "false",
        (Lang::Zh, true) => "是",
        (Lang::Zh, false) => "否",
        (Lang::De, true) => "wahr",
        (Lang::De, false) => "falsch",
    }
}

/// Joins items as `a, b and c` (or `a、b和c`, `a, b und c`).
pub fn list(lang: Lang, items: &[String], last_joiner: &str) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => {
            let separator = if lang == Lang::Zh { "、" } else { ", " };
            format!("{}{last_joiner}{last}", init.join(separator))
        }
    }
}
