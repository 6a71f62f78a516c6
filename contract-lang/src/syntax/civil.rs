//! Proleptic Gregorian calendar arithmetic for timestamp literals (UTC, whole seconds).
//!
//! Written here rather than taken from a date crate because the language needs only this: a
//! validated civil date-time to Unix seconds and back, with integers only and no clock.

/// A calendar date and time of day in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CivilTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

const SECONDS_PER_DAY: i64 = 86_400;

pub fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` (1–12) of `year`; 0 for a month that does not exist.
pub fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a valid civil date (the era-based algorithm: 400-year eras of
/// 146 097 days, years counted from March so the leap day is the last day of the year).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400; // 0..=399
    let month = i64::from(month);
    let month_from_march = if month > 2 { month - 3 } else { month + 9 }; // 0..=11
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1; // 0..=365
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097; // 0..=146096
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // The ranges above make these casts lossless.
    (year, month as u32, day as u32)
}

impl CivilTime {
    /// Whether every field is in range (month 1–12, a day that exists in that month, 00:00:00 to
    /// 23:59:59; leap seconds are not representable).
    pub fn is_valid(&self) -> bool {
        (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
    }

    /// Seconds since the Unix epoch. Call only on a valid time with a four-digit year, whose
    /// result always fits.
    pub fn to_unix(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * SECONDS_PER_DAY
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    pub fn from_unix(seconds: i64) -> CivilTime {
        let days = seconds.div_euclid(SECONDS_PER_DAY);
        let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        CivilTime {
            year,
            month,
            day,
            hour: (second_of_day / 3600) as u32,
            minute: (second_of_day % 3600 / 60) as u32,
            second: (second_of_day % 60) as u32,
        }
    }
}

/// The canonical RFC 3339 form `YYYY-MM-DDTHH:MM:SSZ` of a Unix time.
///
/// Years outside 0000–9999 (never produced by a literal) are written with a sign and more
/// digits so the output stays unambiguous.
pub fn format_timestamp(seconds: i64) -> String {
    let t = CivilTime::from_unix(seconds);
    let year = if (0..=9999).contains(&t.year) {
        format!("{:04}", t.year)
    } else {
        format!("{:+05}", t.year)
    };
    format!(
        "{year}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.month, t.day, t.hour, t.minute, t.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        let t = CivilTime {
            year: 2026,
            month: 3,
            day: 1,
            hour: 8,
            minute: 0,
            second: 0,
        };
        assert_eq!(t.to_unix(), 1_772_352_000);
        assert_eq!(format_timestamp(1_772_352_000), "2026-03-01T08:00:00Z");
        assert_eq!(format_timestamp(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn round_trip_every_day_of_four_centuries() {
        for days in days_from_civil(1800, 1, 1)..days_from_civil(2201, 1, 1) {
            let (y, m, d) = civil_from_days(days);
            assert!(CivilTime {
                year: y,
                month: m,
                day: d,
                hour: 0,
                minute: 0,
                second: 0
            }
            .is_valid());
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn leap_days() {
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2026, 13), 0);
    }
}
