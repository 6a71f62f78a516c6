//! Fixed phrases of the three languages: headings, operators, units, rounding modes.

use super::Lang;
use crate::ir::{ArithOp, CompareOp, DurationUnit, RoundingMode};

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
            clause: "条款名称",
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
        (Lang::De, CompareOp::Lt) => format!("{lhs} liegt vor {}", decline_de(rhs, Case::Dat)),
        (Lang::De, CompareOp::Le) => {
            format!("{lhs} liegt nicht nach {}", decline_de(rhs, Case::Dat))
        }
        (Lang::De, CompareOp::Gt) => format!("{lhs} liegt nach {}", decline_de(rhs, Case::Dat)),
        (Lang::De, CompareOp::Ge) => {
            format!("{lhs} liegt nicht vor {}", decline_de(rhs, Case::Dat))
        }
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
        // Numerically exact words: "不超过" of a response level can be read as "not more
        // severe than".
        (Lang::Zh, CompareOp::Lt) => format!("{lhs}小于{rhs}"),
        (Lang::Zh, CompareOp::Le) => format!("{lhs}小于或等于{rhs}"),
        (Lang::Zh, CompareOp::Gt) => format!("{lhs}大于{rhs}"),
        (Lang::Zh, CompareOp::Ge) => format!("{lhs}大于或等于{rhs}"),
        (Lang::De, CompareOp::Eq) => format!("{lhs} ist {rhs}"),
        (Lang::De, CompareOp::Ne) => format!("{lhs} ist nicht {rhs}"),
        (Lang::De, CompareOp::Lt) => format!("{lhs} ist kleiner als {rhs}"),
        (Lang::De, CompareOp::Le) => format!("{lhs} ist höchstens {rhs}"),
        (Lang::De, CompareOp::Gt) => format!("{lhs} ist größer als {rhs}"),
        (Lang::De, CompareOp::Ge) => format!("{lhs} ist mindestens {rhs}"),
    }
}

/// `A plus B`, `A加上B`: Chinese sets no space around its words, and says 加上 / 减去 so
/// that the operator cannot run into the next word ("时间加减价期限" read as 加减).
pub fn arith(lang: Lang, op: ArithOp, lhs: &str, rhs: &str) -> String {
    let word = match (lang, op) {
        (Lang::En | Lang::De, ArithOp::Add) => "plus",
        (Lang::En | Lang::De, ArithOp::Sub) => "minus",
        (Lang::En, ArithOp::Mul) => "times",
        (Lang::En, ArithOp::Div) => "divided by",
        (Lang::De, ArithOp::Mul) => "mal",
        (Lang::De, ArithOp::Div) => "geteilt durch",
        (Lang::Zh, ArithOp::Add) => "加上",
        (Lang::Zh, ArithOp::Sub) => "减去",
        (Lang::Zh, ArithOp::Mul) => "乘以",
        (Lang::Zh, ArithOp::Div) => "除以",
    };
    match lang {
        Lang::Zh => format!("{lhs}{word}{rhs}"),
        Lang::En | Lang::De => format!("{lhs} {word} {rhs}"),
    }
}

/// `left op right` with a space either side (`150.00 EUR × 1.5 t`), except beside a Chinese
/// word, which takes none (`34个整小时×150.00 EUR/小时`).
pub fn operator(lang: Lang, left: &str, op: &str, right: &str) -> String {
    let beside_chinese = lang == Lang::Zh
        && (left.chars().next_back().is_some_and(is_chinese)
            || right.chars().next().is_some_and(is_chinese));
    if beside_chinese {
        format!("{left}{op}{right}")
    } else {
        format!("{left} {op} {right}")
    }
}

/// A Chinese character, CJK or full-width punctuation, or the curly quotes Chinese uses.
pub(crate) fn is_chinese(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303F}' | '\u{3400}'..='\u{9FFF}' | '\u{FF00}'..='\u{FFEF}' | '“' | '”')
}

/// The time span from `from` to `to` (a timestamp difference).
pub fn time_between(lang: Lang, from: &str, to: &str) -> String {
    match lang {
        // "the time from the last delivery", not "the time from the time of the last delivery".
        Lang::En => format!(
            "the time from {} to {to}",
            from.strip_prefix("the time of ").unwrap_or(from)
        ),
        Lang::Zh => format!("自{from}至{to}的时长"),
        Lang::De => format!(
            "die Zeitspanne zwischen {} und {}",
            decline_de(from, Case::Dat),
            decline_de(to, Case::Dat)
        ),
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
        Lang::De => format!("Folgendes trifft nicht zu: {inner}"),
    }
}

/// What a `round` produces: the currency's minor unit, whole seconds or a whole number.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RoundTarget {
    MinorUnit,
    Seconds,
    Whole,
}

/// ", rounded to the currency's minor unit, exact halves to the even neighbour" and its
/// translations: where the result is rounded to and what happens to an exact half, stated as
/// a buyer can check it (half-even is not "to the next even place").
pub fn rounding(lang: Lang, mode: RoundingMode, target: RoundTarget) -> String {
    let to = match (lang, target) {
        (Lang::En, RoundTarget::MinorUnit) => "to the currency's smallest unit",
        (Lang::En, RoundTarget::Seconds) => "to whole seconds",
        (Lang::En, RoundTarget::Whole) => "to a whole number",
        (Lang::Zh, RoundTarget::MinorUnit) => "精确到该币种的最小单位",
        (Lang::Zh, RoundTarget::Seconds) => "精确到整秒",
        (Lang::Zh, RoundTarget::Whole) => "取整数",
        (Lang::De, RoundTarget::MinorUnit) => "auf die kleinste Einheit der Währung",
        (Lang::De, RoundTarget::Seconds) => "auf volle Sekunden",
        (Lang::De, RoundTarget::Whole) => "auf eine ganze Zahl",
    };
    let how = match (lang, mode) {
        (Lang::En, RoundingMode::HalfUp) => {
            "to the nearest value; an exact half is rounded away from zero"
        }
        (Lang::En, RoundingMode::HalfEven) => {
            "to the nearest value; an exact half is rounded to the even neighbour"
        }
        (Lang::En, RoundingMode::Down) => "toward zero (remainder dropped)",
        (Lang::En, RoundingMode::Up) => "away from zero",
        (Lang::En, RoundingMode::Floor) => "toward negative infinity",
        (Lang::En, RoundingMode::Ceiling) => "toward positive infinity",
        (Lang::Zh, RoundingMode::HalfUp) => "四舍五入，即恰为一半时向远离零的方向进位",
        (Lang::Zh, RoundingMode::HalfEven) => "四舍六入五成双，即恰为一半时取偶数",
        (Lang::Zh, RoundingMode::Down) => "向零方向舍去尾数",
        (Lang::Zh, RoundingMode::Up) => "向远离零的方向进位",
        (Lang::Zh, RoundingMode::Floor) => "向负无穷方向取整",
        (Lang::Zh, RoundingMode::Ceiling) => "向正无穷方向取整",
        // What happens to an exact half said as a sentence, not as a telegram ("genau halbe
        // Einheiten von null weg").
        (Lang::De, RoundingMode::HalfUp) => {
            "kaufmännisch gerundet (eine genau halbe Einheit wird von null weg gerundet)"
        }
        (Lang::De, RoundingMode::HalfEven) => {
            "mathematisch gerundet (eine genau halbe Einheit wird zur geraden Ziffer gerundet)"
        }
        (Lang::De, RoundingMode::Down) => "in Richtung null gerundet (der Rest entfällt)",
        (Lang::De, RoundingMode::Up) => "von null weg gerundet",
        (Lang::De, RoundingMode::Floor) => "in Richtung minus unendlich gerundet",
        (Lang::De, RoundingMode::Ceiling) => "in Richtung plus unendlich gerundet",
    };
    match lang {
        Lang::En => format!("rounded {to} ({how})"),
        Lang::Zh => format!("{to}，{how}"),
        Lang::De => format!("{to} {how}"),
    }
}

/// Units of a duration, largest first: (seconds, en singular, en plural, zh, de singular, de plural).
const UNITS: [(i64, &str, &str, &str, &str, &str); 4] = [
    (86_400, "day", "days", "天", "Tag", "Tage"),
    (3_600, "hour", "hours", "小时", "Stunde", "Stunden"),
    (60, "minute", "minutes", "分钟", "Minute", "Minuten"),
    (1, "second", "seconds", "秒", "Sekunde", "Sekunden"),
];

/// A number and its unit: `42 days`, `42 Tage`, and in Chinese without a space, `42天`.
pub fn counted(lang: Lang, count: impl std::fmt::Display, unit: &str) -> String {
    match lang {
        Lang::Zh => format!("{count}{unit}"),
        Lang::En | Lang::De => format!("{count} {unit}"),
    }
}

/// `42 days`, `1 day 12 hours`, `42天`, `1天12小时`, `1 Tag 12 Stunden`.
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
        parts.push(counted(lang, count, name));
    }
    if parts.is_empty() {
        parts.push(match lang {
            Lang::En => "0 seconds".to_string(),
            Lang::Zh => "0秒".to_string(),
            Lang::De => "0 Sekunden".to_string(),
        });
    }
    let sign = if seconds < 0 { "-" } else { "" };
    let separator = if lang == Lang::Zh { "" } else { " " };
    format!("{sign}{}", parts.join(separator))
}

/// A period stated in the unit the clause wrote it in (`72h`: "72 hours", never "3 days":
/// periods in days and in hours are counted differently in law). A value that is not a
/// whole number of that unit falls back to [`duration`].
pub fn period(lang: Lang, seconds: i64, unit: DurationUnit) -> String {
    let size = unit.seconds();
    if seconds % size != 0 {
        return duration(lang, seconds);
    }
    let count = seconds / size;
    let index = match unit {
        DurationUnit::Days => 0,
        DurationUnit::Hours => 1,
        DurationUnit::Minutes => 2,
        DurationUnit::Seconds => 3,
    };
    let (_, en_one, en_many, zh, de_one, de_many) = UNITS[index];
    let one = count.unsigned_abs() == 1;
    let name = match lang {
        Lang::En if one => en_one,
        Lang::En => en_many,
        Lang::Zh => zh,
        Lang::De if one => de_one,
        Lang::De => de_many,
    };
    counted(lang, count, name)
}

/// A number as the language writes it: German uses a decimal comma (`1,500 KWD` is one and a
/// half dinars to a German reader, `1.500` would be fifteen hundred). No digit grouping, so
/// no separator can be misread in any of the three languages.
pub fn number(lang: Lang, plain: &str) -> String {
    match lang {
        Lang::De => plain.replace('.', ","),
        Lang::En | Lang::Zh => plain.to_string(),
    }
}

/// "where Chinese law applies" / "适用中国法律时" / "wenn deutsches Recht gilt": a
/// jurisdiction code named as the law it stands for.
pub fn under_law(lang: Lang, code: &str) -> String {
    let known = LAWS.iter().find(|(known, ..)| *known == code);
    match (lang, known) {
        (Lang::En, Some((_, en, _, _))) => format!("where {en} law applies"),
        (Lang::Zh, Some((_, _, zh, _))) => format!("适用{zh}法律时"),
        (Lang::De, Some((_, _, _, de))) => format!("wenn {de} Recht gilt"),
        (Lang::En, None) => format!("where the law of {code} applies"),
        (Lang::Zh, None) => format!("适用{code}法律时"),
        (Lang::De, None) => format!("wenn das Recht von {code} gilt"),
    }
}

/// A jurisdiction named as its law, with its code: "Chinese law (CN)", "中国法律（CN）",
/// "chinesisches Recht (CN)"; a code the table lacks as "the law of XX".
pub fn law(lang: Lang, code: &str) -> String {
    let known = LAWS.iter().find(|(known, ..)| *known == code);
    match (lang, known) {
        (Lang::En, Some((_, en, _, _))) => format!("{en} law ({code})"),
        (Lang::Zh, Some((_, _, zh, _))) => format!("{zh}法律（{code}）"),
        (Lang::De, Some((_, _, _, de))) => format!("{de} Recht ({code})"),
        (Lang::En, None) => format!("the law of {code}"),
        (Lang::Zh, None) => format!("{code}法律"),
        (Lang::De, None) => format!("das Recht von {code}"),
    }
}

/// `(ISO 3166-1 code, English adjective, Chinese name, German adjective before "Recht")`.
const LAWS: &[(&str, &str, &str, &str)] = &[
    ("AT", "Austrian", "奥地利", "österreichisches"),
    ("CH", "Swiss", "瑞士", "schweizerisches"),
    ("CN", "Chinese", "中国", "chinesisches"),
    ("DE", "German", "德国", "deutsches"),
    ("FR", "French", "法国", "französisches"),
    ("GB", "English", "英国", "englisches"),
    ("HK", "Hong Kong", "香港", "Hongkonger"),
    ("IT", "Italian", "意大利", "italienisches"),
    ("JP", "Japanese", "日本", "japanisches"),
    ("KR", "Korean", "韩国", "koreanisches"),
    ("NL", "Dutch", "荷兰", "niederländisches"),
    ("SG", "Singapore", "新加坡", "singapurisches"),
    ("US", "United States", "美国", "US-amerikanisches"),
];

/// German grammatical case of a noun phrase.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Nom,
    Dat,
    Acc,
}

/// German nouns in the glossary that are plural (their article `die` declines differently).
const PLURAL_DE: &[&str] = &["Regionen"];

/// Declines a German noun phrase written in the nominative with its definite article
/// (`der Liefertermin` → `dem Liefertermin`). A phrase without one is returned as it is.
pub fn decline_de(phrase: &str, case: Case) -> String {
    let Some((article, rest)) = phrase.split_once(' ') else {
        return phrase.to_string();
    };
    let plural = PLURAL_DE.iter().any(|noun| rest.starts_with(noun));
    let declined = match (article, case, plural) {
        ("der", Case::Dat, _) | ("das", Case::Dat, _) => "dem",
        ("der", Case::Acc, _) => "den",
        ("die", Case::Dat, false) => "der",
        ("die", Case::Dat, true) => "den",
        ("das", Case::Acc, _) | ("die", Case::Acc, _) => return phrase.to_string(),
        _ => return phrase.to_string(),
    };
    // Adjectives between the article and the noun take the weak ending `-en`
    // (`die voraussichtliche Ankunft` → `der voraussichtlichen Ankunft`).
    let mut words: Vec<String> = Vec::new();
    let mut in_adjectives = true;
    for word in rest.split(' ') {
        let adjective = in_adjectives
            && word.ends_with('e')
            && word.chars().next().is_some_and(char::is_lowercase);
        in_adjectives = adjective;
        words.push(if adjective {
            format!("{word}n")
        } else {
            word.to_string()
        });
    }
    format!("{declined} {}", words.join(" "))
}

/// The phrase with its first letter in upper case (a German or English sentence start).
pub fn capitalised(phrase: &str) -> String {
    let mut chars = phrase.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A quoted text: “…” in English and Chinese, „…“ in German.
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
