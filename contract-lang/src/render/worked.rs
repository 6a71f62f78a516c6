//! How an amount was computed, as text: one step per operation, each with the values it
//! used and its result (`34 whole hours × 150.00 EUR/h = 5100.00 EUR; the lesser of
//! 5100.00 EUR and 20000.00 EUR = 5100.00 EUR`). The data comes from
//! [`crate::eval::work_transfers`].

use super::expr::value_text;
use super::{words, Glossary, Lang};
use crate::eval::{Figure, FigureUnit, Read, Worked};
use crate::ir::{ArithOp, Builtin, ClauseIr};
use crate::value::{Decimal, Value};

/// What the reader needs to name things: the clause (its parameters' labels) and the
/// vocabulary's words.
struct Context<'a> {
    lang: Lang,
    clause: &'a ClauseIr,
    glossary: Glossary<'a>,
}

/// The computation of an amount in `lang`, or `None` when there is nothing to explain (the
/// amount is a literal written in the clause).
pub fn worked(
    lang: Lang,
    worked: &Worked,
    clause: &ClauseIr,
    glossary: Glossary<'_>,
) -> Option<String> {
    let context = Context {
        lang,
        clause,
        glossary,
    };
    if let Worked::Read { from, .. } = worked {
        return context.name(from);
    }
    let mut steps = Vec::new();
    context.steps(worked, &mut steps);
    let separator = if lang == Lang::Zh { "；" } else { "; " };
    (!steps.is_empty()).then(|| steps.join(separator))
}

impl Context<'_> {
    /// The label of what was read: "the price", "the hourly rate".
    fn name(&self, from: &Read) -> Option<String> {
        match from {
            Read::Literal | Read::Field(_) => None,
            Read::Param(name) => Some(super::name_label(self.clause, name, self.lang)),
            Read::Term(name) => Some(self.glossary.word(self.lang, "term", name)),
        }
    }

    /// Pushes the steps of `worked` (operands first) and returns how a later step shows its
    /// value.
    fn steps(&self, worked: &Worked, steps: &mut Vec<String>) -> String {
        match worked {
            Worked::Read { value, .. } => self.value(value),
            Worked::Count { func, count } => self.count(*func, *count),
            Worked::Other(result) => self.figure(result),
            Worked::Arith {
                op,
                lhs,
                rhs,
                result,
            } => {
                let mut left = self.steps(lhs, steps);
                let mut right = self.steps(rhs, steps);
                if *op == ArithOp::Mul {
                    // `34 whole hours × 150.00 EUR/h`: a rate read beside a count is per unit.
                    if let Some(per) = self.per_unit(lhs, rhs) {
                        right.push_str(per);
                    } else if let Some(per) = self.per_unit(rhs, lhs) {
                        left.push_str(per);
                    }
                }
                let result = self.figure(result);
                let operation = words::operator(self.lang, &left, symbol(*op), &right);
                steps.push(self.equation(&operation, &result));
                result
            }
            Worked::Choose { max, args, result } => {
                let values: Vec<String> = args.iter().map(|arg| self.steps(arg, steps)).collect();
                let result = self.figure(result);
                steps.push(self.equation(&self.choice(*max, &values), &result));
                result
            }
            Worked::Convert {
                unit,
                inner,
                result,
            } => {
                let before = self.steps(inner, steps);
                let after = self.figure(result);
                // A conversion to the unit the value already has is not a step.
                if before != after {
                    let unit = super::expr::unit_text(self.lang, *unit);
                    let conversion = match self.lang {
                        Lang::En => format!("{before} in {unit}"),
                        Lang::Zh => format!("{before}换算为{unit}"),
                        Lang::De => format!("{before} in {unit} umgerechnet"),
                    };
                    steps.push(self.equation(&conversion, &after));
                }
                after
            }
            Worked::Round {
                mode,
                inner,
                result,
            } => {
                let before = self.steps(inner, steps);
                let after = self.figure(result);
                // A rounding that changed nothing is not a step the reader needs.
                if before != after {
                    let target = match result {
                        Figure::Value(Value::Money(_)) => words::RoundTarget::MinorUnit,
                        Figure::Value(Value::Duration(_)) => words::RoundTarget::Seconds,
                        _ => words::RoundTarget::Whole,
                    };
                    let how = words::rounding(self.lang, *mode, target);
                    let rounding = match self.lang {
                        Lang::Zh => format!("{before}（{how}）"),
                        Lang::En | Lang::De => format!("{before}, {how}"),
                    };
                    steps.push(self.equation(&rounding, &after));
                }
                after
            }
        }
    }

    /// `what = result`.
    fn equation(&self, what: &str, result: &str) -> String {
        words::operator(self.lang, what, "=", result)
    }

    /// `/h`, `/Tag`: the unit a rate is per when `rate` is read beside a count `count`.
    fn per_unit(&self, count: &Worked, rate: &Worked) -> Option<&'static str> {
        let Worked::Count { func, .. } = count else {
            return None;
        };
        let Worked::Read { value, .. } = rate else {
            return None;
        };
        if !matches!(value, Value::Money(_) | Value::Decimal(_)) {
            return None;
        }
        let (en, zh, de) = match func {
            Builtin::Days | Builtin::CeilDays => ("/day", "/天", "/Tag"),
            Builtin::Hours | Builtin::CeilHours => ("/h", "/小时", "/Std."),
            Builtin::Minutes => ("/min", "/分钟", "/Min."),
            _ => ("/s", "/秒", "/s"),
        };
        Some(match self.lang {
            Lang::En => en,
            Lang::Zh => zh,
            Lang::De => de,
        })
    }

    fn value(&self, value: &Value) -> String {
        value_text(self.glossary, self.lang, value, true)
    }

    /// `34 whole hours`, `2 days or part days`, `2天（不足一天按一天计）`, `2 angefangene Tage`.
    fn count(&self, func: Builtin, count: i64) -> String {
        let (en, zh, de): ([&str; 2], &str, [&str; 2]) = match func {
            Builtin::Days => (
                ["whole day", "whole days"],
                "个整天",
                ["voller Tag", "volle Tage"],
            ),
            Builtin::Hours => (
                ["whole hour", "whole hours"],
                "个整小时",
                ["volle Stunde", "volle Stunden"],
            ),
            Builtin::Minutes => (
                ["whole minute", "whole minutes"],
                "个整分钟",
                ["volle Minute", "volle Minuten"],
            ),
            Builtin::CeilDays => (
                ["day or part day", "days or part days"],
                "天（不足一天按一天计）",
                ["angefangener Tag", "angefangene Tage"],
            ),
            Builtin::CeilHours => (
                ["hour or part hour", "hours or part hours"],
                "小时（不足一小时按一小时计）",
                ["angefangene Stunde", "angefangene Stunden"],
            ),
            _ => (["second", "seconds"], "秒", ["Sekunde", "Sekunden"]),
        };
        let index = usize::from(count != 1);
        match self.lang {
            Lang::En => format!("{count} {}", en[index]),
            Lang::Zh => words::counted(self.lang, count, zh),
            Lang::De => format!("{count} {}", de[index]),
        }
    }

    /// "the lesser of 5100.00 EUR and 20000.00 EUR", "5100.00 EUR与20000.00 EUR中的较小者",
    /// "der kleinere der Werte 5100,00 EUR und 20000,00 EUR".
    fn choice(&self, max: bool, values: &[String]) -> String {
        let two = values.len() == 2;
        let (en, zh, de) = match (max, two) {
            (false, true) => ("the lesser of", "较小者", "der kleinere der Werte"),
            (false, false) => ("the least of", "最小者", "der kleinste der Werte"),
            (true, true) => ("the greater of", "较大者", "der größere der Werte"),
            (true, false) => ("the greatest of", "最大者", "der größte der Werte"),
        };
        match self.lang {
            Lang::En => format!("{en} {}", words::list(self.lang, values, " and ")),
            Lang::Zh => format!("{}中的{zh}", words::list(self.lang, values, "与")),
            Lang::De => format!("{de} {}", words::list(self.lang, values, " und ")),
        }
    }

    fn figure(&self, figure: &Figure) -> String {
        match figure {
            Figure::Value(value) => self.value(value),
            Figure::Exact { num, den, unit } => self.exact(*num, *den, *unit),
        }
    }

    /// An exact figure in full (`120.00 EUR`, `123.4567 EUR`), or `≈` and six more places when
    /// its decimal expansion does not end.
    fn exact(&self, num: i128, den: i128, unit: FigureUnit) -> String {
        let places = match unit {
            FigureUnit::Money(currency) => u32::from(currency.minor_units()),
            FigureUnit::Number | FigureUnit::Duration => 0,
        };
        let (digits, approximate) = decimal_digits(num, den, places);
        let number = words::number(self.lang, &digits);
        let number = if approximate {
            format!("≈ {number}")
        } else {
            number
        };
        match unit {
            FigureUnit::Money(currency) => format!("{number} {}", currency.code()),
            FigureUnit::Duration => match self.lang {
                Lang::En => format!("{number} s"),
                Lang::Zh => format!("{number}秒"),
                Lang::De => format!("{number} s"),
            },
            FigureUnit::Number if !approximate => match parse_decimal(&digits) {
                Some(decimal) => self.value(&Value::Decimal(decimal)),
                None => number,
            },
            FigureUnit::Number => number,
        }
    }
}

fn symbol(op: ArithOp) -> &'static str {
    match op {
        ArithOp::Add => "+",
        ArithOp::Sub => "−",
        ArithOp::Mul => "×",
        ArithOp::Div => "÷",
    }
}

/// `num / den` divided by `10^shift` written out in decimal with at least `shift` places:
/// exactly when the expansion ends within six more places, else cut there (`true`).
fn decimal_digits(num: i128, den: i128, shift: u32) -> (String, bool) {
    const EXTRA: u32 = 6;
    let den = den.max(1);
    let mut extra = 0;
    let mut scaled = num;
    while scaled % den != 0 && extra < EXTRA {
        let Some(next) = scaled.checked_mul(10) else {
            break;
        };
        scaled = next;
        extra += 1;
    }
    let approximate = scaled % den != 0;
    let mantissa = scaled / den;
    (fixed_point(mantissa, shift + extra), approximate)
}

/// `mantissa × 10^-places` with exactly `places` places (`12000`, 2 → `120.00`).
fn fixed_point(mantissa: i128, places: u32) -> String {
    let sign = if mantissa < 0 { "-" } else { "" };
    let digits = mantissa.unsigned_abs().to_string();
    let places = places as usize;
    if places == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = places + 1);
    let (whole, fraction) = padded.split_at(padded.len() - places);
    format!("{sign}{whole}.{fraction}")
}

fn parse_decimal(digits: &str) -> Option<Decimal> {
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let scale = u8::try_from(fraction.len()).ok()?;
    let mantissa = format!("{whole}{fraction}").parse().ok()?;
    Some(Decimal { mantissa, scale })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_figures_are_written_in_full_or_marked_approximate() {
        assert_eq!(decimal_digits(12_000, 1, 2), ("120.00".to_string(), false));
        assert_eq!(decimal_digits(1, 8, 2), ("0.00125".to_string(), false));
        assert_eq!(
            decimal_digits(-100, 3, 2),
            ("-0.33333333".to_string(), true)
        );
        assert_eq!(decimal_digits(5, 1, 0), ("5".to_string(), false));
    }
}
