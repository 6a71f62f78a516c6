//! Times in standard documents (`2026-01-10T08:00:00.000+08:00`) as the vocabulary's UTC.

use contract_lang::{
    syntax::civil::format_timestamp, value::Type, vocab::Vocabulary, Value as LangValue,
};

/// The RFC 3339 time `text`, with any offset, as `YYYY-MM-DDTHH:MM:SSZ`. Facts have whole
/// seconds, so a fraction of a second is dropped (EPCIS writes milliseconds).
pub fn utc(text: &str) -> Result<String, String> {
    let whole = drop_fraction(text);
    match contract_lang::scenario::from_source(&whole, &Type::Timestamp, &Vocabulary::default()) {
        Ok(LangValue::Timestamp(seconds)) => Ok(format_timestamp(seconds)),
        _ => Err(format!(
            "{text:?} is not an RFC 3339 date and time with an offset (2026-01-10T08:00:00+08:00)"
        )),
    }
}

/// `text` without the digits after the seconds' decimal point.
fn drop_fraction(text: &str) -> String {
    let Some(time_start) = text.find('T') else {
        return text.to_string();
    };
    match text[time_start..].find('.') {
        Some(dot) => {
            let dot = time_start + dot;
            let digits = text[dot + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            format!("{}{}", &text[..dot], &text[dot + 1 + digits..])
        }
        None => text.to_string(),
    }
}

/// Checks an EPCIS `eventTimeZoneOffset` (`+08:00`, `-05:30`).
pub fn check_offset(text: &str) -> Result<(), String> {
    let bytes = text.as_bytes();
    let digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    let shaped = bytes.len() == 6
        && matches!(bytes[0], b'+' | b'-')
        && digit(1)
        && digit(2)
        && bytes[3] == b':'
        && digit(4)
        && digit(5);
    let in_range = shaped && text[1..3] <= *"23" && text[4..6] <= *"59";
    if in_range {
        Ok(())
    } else {
        Err(format!("{text:?} is not a time-zone offset such as +08:00"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_utc_and_fractions_are_dropped() {
        assert_eq!(
            utc("2026-01-10T08:00:00.000+08:00").unwrap(),
            "2026-01-10T00:00:00Z"
        );
        assert_eq!(
            utc("2026-01-10T08:00:00.999-01:30").unwrap(),
            "2026-01-10T09:30:00Z"
        );
        assert_eq!(utc("2026-01-10T08:00:00Z").unwrap(), "2026-01-10T08:00:00Z");
        assert!(utc("2026-02-30T08:00:00Z").is_err());
        assert!(utc("yesterday").is_err());
        assert!(utc("2026-01-10T08:00:00.").is_err());
        assert!(utc("").is_err());
    }

    #[test]
    fn offsets_are_checked() {
        assert!(check_offset("+08:00").is_ok());
        assert!(check_offset("-05:30").is_ok());
        assert!(check_offset("08:00").is_err());
        assert!(check_offset("+24:00").is_err());
        assert!(check_offset("+0800").is_err());
        assert!(check_offset("+08:0é").is_err());
    }
}
