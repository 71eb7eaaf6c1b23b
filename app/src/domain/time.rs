//! Dates and times as feedback uses them: days (whole days since 1970-01-01, UTC), the weeks and
//! months they fall in, and the timestamps people and programs write. Pure: no clock (the current
//! time is always passed in).
//!
//! Hand-written rather than built on a date library: this module runs in the browser too, where
//! jiff's parser, time zone rules and messages cost more of the bundle than the whole map view.
//! Waymark's days are UTC and its formats fixed, so the calendar is one formula each way
//! (Howard Hinnant's `days_from_civil`); the tests check it against jiff, day by day and input by
//! input.

/// Milliseconds since the Unix epoch, as the server's clock saw them.
pub type Millis = i64;

/// A day: whole days since 1970-01-01 (UTC).
pub type Day = i64;

pub const MILLIS_PER_DAY: i64 = 86_400_000;

/// The calendar's reach, years -9999 to 9999.
const YEARS: std::ops::RangeInclusive<i64> = -9999..=9999;

/// The instants a time may name, in seconds: those whose date is in the calendar under any UTC
/// offset, -9999-01-02T01:59:59Z to 9999-12-30T22:00:00Z (jiff's bounds, which this module
/// keeps so that nothing read or shown before changed). A day is in the calendar when its
/// first second is.
const SECONDS: std::ops::RangeInclusive<i64> = -377_705_023_201..=253_402_207_200;

fn in_calendar(day: Day) -> bool {
    day.checked_mul(86_400)
        .is_some_and(|s| SECONDS.contains(&s))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The day `at` falls on.
pub fn day_of(at: Millis) -> Day {
    at.div_euclid(MILLIS_PER_DAY)
}

/// A date of the (proleptic Gregorian) calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Date {
    year: i64,
    month: u32,
    day: u32,
}

/// The calendar date of a day, if the calendar reaches it.
fn date(day: Day) -> Option<Date> {
    if !in_calendar(day) {
        return None;
    }
    // Days counted from 0000-03-01, so that a leap day ends its year; 400 years are 146,097 days.
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let of_era = z.rem_euclid(146_097);
    let year_of_era = (of_era - of_era / 1460 + of_era / 36_524 - of_era / 146_096) / 365;
    let day_of_year = of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153; // March is 0
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    Some(Date {
        year,
        month: month as u32,
        day: (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32,
    })
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The day of year, month and day of month, if that is a date.
pub fn day_from_civil(year: i64, month: u32, day_of_month: u32) -> Option<Day> {
    if !YEARS.contains(&year)
        || !(1..=12).contains(&month)
        || day_of_month == 0
        || day_of_month > days_in_month(year, month)
    {
        return None;
    }
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let day_of_year = (153 * i64::from((month + 9) % 12) + 2) / 5 + i64::from(day_of_month) - 1;
    let of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + of_era - 719_468).filter(|&day| in_calendar(day))
}

/// The Monday that begins the week of `day`.
pub fn week_start(day: Day) -> Day {
    // 1970-01-01 was a Thursday: three days after a Monday.
    day - (day + 3).rem_euclid(7)
}

/// The first day of the month of `day`.
pub fn month_start(day: Day) -> Day {
    date(day)
        .and_then(|d| day_from_civil(d.year, d.month, 1))
        .unwrap_or(day)
}

/// `2026-11-26`; empty for a day beyond the calendar.
pub fn format_day(day: Day) -> String {
    date(day).map_or_else(String::new, |d| {
        // Before year 0 ISO 8601 wants a sign and six digits ("-000001"), as jiff writes it.
        let year = if d.year < 0 {
            format!("-{:06}", -d.year)
        } else {
            format!("{:04}", d.year)
        };
        format!("{year}-{:02}-{:02}", d.month, d.day)
    })
}

/// The date and the hour, minute and second of `at`, if the calendar reaches it.
fn civil_time(at: Millis) -> Option<(Date, i64, i64, i64)> {
    if !SECONDS.contains(&at.div_euclid(1000)) {
        return None;
    }
    let seconds = at.div_euclid(1000).rem_euclid(86_400);
    let date = date(day_of(at))?;
    Some((date, seconds / 3600, seconds / 60 % 60, seconds % 60))
}

/// "26 Nov 2026, 09:41 UTC" for a time: the same on the server and in the browser (no locale,
/// no local time zone), so a server-rendered page hydrates without a difference.
pub fn date_time(at: Millis) -> String {
    civil_time(at).map_or_else(String::new, |(d, hour, minute, _)| {
        let month = MONTHS[d.month as usize - 1];
        format!("{} {month} {:04}, {hour:02}:{minute:02} UTC", d.day, d.year)
    })
}

/// ISO 8601, for `<time datetime>`.
pub fn iso(at: Millis) -> String {
    civil_time(at).map_or_else(String::new, |(d, hour, minute, second)| {
        format!(
            "{:04}-{:02}-{:02}T{hour:02}:{minute:02}:{second:02}Z",
            d.year, d.month, d.day
        )
    })
}

/// Parses what spreadsheets and APIs commonly write: `2026-11-26`, `2026-11-26T14:03:00Z`,
/// `2026-11-26 14:03`, with seconds and their fraction or without, and with an offset like
/// `+01:00`, `+0100` or `+01`. Times without an offset are UTC.
pub fn parse_time(text: &str) -> Option<Millis> {
    let mut text = Cursor(text.trim().as_bytes());
    let year = text.digits(4)?;
    text.literal(b'-')?;
    let month = text.digits(2)?;
    text.literal(b'-')?;
    let day = day_from_civil(year, month as u32, text.digits(2)? as u32)?;
    let mut nanos: i128 = 0;
    let mut offset = 0;
    if !text.0.is_empty() {
        text.one_of(b"Tt ")?;
        let hour = text.digits(2)?;
        text.literal(b':')?;
        let minute = text.digits(2)?;
        let mut second = 0;
        let mut fraction = 0;
        if text.literal(b':').is_some() {
            // A leap second is read as the second before it, as jiff reads it.
            second = match text.digits(2)? {
                60 => 59,
                second => second,
            };
            if text.one_of(b".,").is_some() {
                fraction = text.fraction()?;
            }
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        nanos = i128::from(hour * 3600 + minute * 60 + second) * 1_000_000_000 + fraction;
        offset = text.offset()?;
    }
    if !text.0.is_empty() {
        return None;
    }
    let seconds = i128::from(day) * 86_400 - i128::from(offset);
    let nanos = seconds * 1_000_000_000 + nanos;
    let whole_seconds = i64::try_from(nanos.div_euclid(1_000_000_000)).ok()?;
    if !SECONDS.contains(&whole_seconds) {
        return None;
    }
    // Milliseconds toward zero, as jiff counts them.
    i64::try_from(nanos / 1_000_000).ok()
}

/// What `parse_time` has left to read.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    fn take(&mut self) -> Option<u8> {
        let (&first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(first)
    }

    fn literal(&mut self, byte: u8) -> Option<()> {
        self.one_of(&[byte]).map(drop)
    }

    fn one_of(&mut self, bytes: &[u8]) -> Option<u8> {
        let first = *self.0.first()?;
        bytes.contains(&first).then(|| self.take())?
    }

    /// Exactly `n` ASCII digits.
    fn digits(&mut self, n: usize) -> Option<i64> {
        (0..n).try_fold(0, |value, _| {
            let digit = self.one_of(b"0123456789")?;
            Some(value * 10 + i64::from(digit - b'0'))
        })
    }

    /// One to nine digits after a decimal point, in nanoseconds.
    fn fraction(&mut self) -> Option<i128> {
        let mut nanos = 0;
        let mut scale = 1_000_000_000;
        while let Some(digit) = self.one_of(b"0123456789") {
            scale /= 10;
            if scale == 0 {
                return None;
            }
            nanos += i128::from(digit - b'0') * scale;
        }
        (scale < 1_000_000_000).then_some(nanos)
    }

    /// `Z`, `+01:00`, `+0100`, `+01` (or none: UTC), in seconds east of UTC.
    fn offset(&mut self) -> Option<i64> {
        if self.0.is_empty() || self.one_of(b"Zz").is_some() {
            return Some(0);
        }
        let sign = if self.one_of(b"+-")? == b'-' { -1 } else { 1 };
        let hours = self.digits(2)?;
        let minutes = if self.0.is_empty() {
            0
        } else {
            let _ = self.literal(b':');
            self.digits(2)?
        };
        (hours <= 25 && minutes <= 59).then_some(sign * (hours * 3600 + minutes * 60))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day_at(y: i64, m: u32, d: u32) -> Day {
        day_from_civil(y, m, d).unwrap()
    }

    #[test]
    fn common_timestamps_are_read() {
        let day = day_at(2026, 2, 28) * MILLIS_PER_DAY;
        assert_eq!(parse_time("2026-02-28"), Some(day));
        assert_eq!(parse_time(" 2026-02-28 13:05 "), Some(day + 47_100_000));
        assert_eq!(parse_time("2026-02-28T13:05:30Z"), Some(day + 47_130_000));
        assert_eq!(
            parse_time("2026-02-28T13:05:30.5-02:00"),
            Some(day + 47_130_500 + 7_200_000)
        );
        assert_eq!(parse_time("2026-02-29"), None, "not a leap year");
        assert_eq!(
            parse_time("2024-02-29"),
            Some(day_at(2024, 2, 29) * MILLIS_PER_DAY)
        );
        for bad in [
            "",
            "2026",
            "2026-13-01",
            "2026-01-01T25:00",
            "26/11/2026",
            "2026-01-01Tnoon",
            "é",
            // Multi-byte text across the 10th byte, found by the API's property test.
            "𑏕𐁔:𞟫&Ú𐽾",
            "2026-01-01T-1:00",
            "2026-01-01T10:-5",
            "2026-01-01T10:00[Europe/Paris]",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn days_and_dates_round_trip() {
        assert_eq!(day_at(1970, 1, 1), 0);
        assert_eq!(format_day(0), "1970-01-01");
        assert_eq!(format_day(-1), "1969-12-31");
        for n in (-800_000..800_000).step_by(997) {
            let d = date(n).unwrap();
            assert_eq!(day_from_civil(d.year, d.month, d.day), Some(n));
        }
        assert_eq!(format_day(day_at(2026, 11, 26)), "2026-11-26");
        assert_eq!(day_from_civil(2026, 2, 30), None);
        assert_eq!(format_day(i64::MAX / 2), "");
    }

    #[test]
    fn times_are_shown_alike_everywhere() {
        let at = day_at(2026, 11, 26) * MILLIS_PER_DAY + (9 * 3600 + 41 * 60 + 7) * 1000;
        assert_eq!(date_time(at), "26 Nov 2026, 09:41 UTC");
        assert_eq!(iso(at), "2026-11-26T09:41:07Z");
        assert_eq!(date_time(i64::MAX), "");
    }

    /// Weeks start on Monday; months on the 1st. 2026-11-26 is a Thursday.
    #[test]
    fn weeks_and_months_start_where_people_expect() {
        let thursday = day_at(2026, 11, 26);
        assert_eq!(week_start(thursday), day_at(2026, 11, 23));
        assert_eq!(week_start(day_at(2026, 11, 23)), day_at(2026, 11, 23));
        assert_eq!(week_start(day_at(2026, 11, 29)), day_at(2026, 11, 23));
        assert_eq!(month_start(thursday), day_at(2026, 11, 1));
        assert_eq!(month_start(day_at(2024, 3, 1)), day_at(2024, 3, 1));
    }

    /// The calendar and the formats as jiff has them, which this module replaced.
    mod jiff_agrees {
        use super::super::*;
        use jiff::civil::{Date as JDate, DateTime};
        use jiff::tz::TimeZone;
        use jiff::Timestamp;
        use proptest::prelude::*;

        fn jiff_date(day: Day) -> Option<JDate> {
            let at = Timestamp::from_millisecond(day.checked_mul(MILLIS_PER_DAY)?).ok()?;
            Some(at.to_zoned(TimeZone::UTC).date())
        }

        fn jiff_time(at: Millis, format: &str) -> String {
            Timestamp::from_millisecond(at)
                .map_or_else(|_| String::new(), |t| t.strftime(format).to_string())
        }

        /// `parse_time` as it was, on jiff.
        fn jiff_parse(text: &str) -> Option<Millis> {
            let text = text.trim();
            if let Ok(at) = text.parse::<Timestamp>() {
                return Some(at.as_millisecond());
            }
            let utc = |civil: DateTime| {
                civil
                    .to_zoned(TimeZone::UTC)
                    .ok()
                    .map(|z| z.timestamp().as_millisecond())
            };
            if text.contains('[') {
                return None;
            }
            if let Ok(civil) = text.parse::<DateTime>() {
                return utc(civil);
            }
            text.parse::<JDate>()
                .ok()
                .and_then(|d| utc(d.at(0, 0, 0, 0)))
        }

        #[test]
        fn every_day_of_the_calendar() {
            let first = day_from_civil(-9999, 1, 3).unwrap();
            let last = day_from_civil(9999, 12, 30).unwrap();
            for n in first - 2..=last + 2 {
                let ours = date(n);
                let theirs = jiff_date(n);
                assert_eq!(
                    ours.map(|d| (d.year, d.month, d.day)),
                    theirs.map(|d| (i64::from(d.year()), d.month() as u32, d.day() as u32)),
                    "day {n}"
                );
                if let Some(theirs) = theirs {
                    assert_eq!(format_day(n), theirs.to_string());
                    let first = theirs.first_of_month().to_zoned(TimeZone::UTC).ok();
                    let first = first.map(|z| day_of(z.timestamp().as_millisecond()));
                    assert_eq!(month_start(n), first.unwrap_or(n));
                }
            }
        }

        /// Some of the strings `parse_time` reads, and near misses.
        fn timestamp() -> impl Strategy<Value = String> {
            let number =
                |digits: usize, max: u32| (0..=max).prop_map(move |n| format!("{n:0digits$}"));
            (
                (number(4, 9999), number(2, 13), number(2, 32)),
                prop::option::of((
                    prop::sample::select(vec!["T", "t", " "]),
                    number(2, 25),
                    number(2, 60),
                    prop::option::of((number(2, 61), prop::option::of("[.,][0-9]{1,10}"))),
                )),
                prop::sample::select(vec![
                    "", "Z", "z", "+01:00", "-02:30", "+0530", "-11", "+24:00", "+01:60", "[UTC]",
                ]),
            )
                .prop_map(|((y, m, d), time, offset)| {
                    let mut text = format!("{y}-{m}-{d}");
                    if let Some((sep, h, min, rest)) = time {
                        text += &format!("{sep}{h}:{min}");
                        if let Some((s, fraction)) = rest {
                            text += &format!(":{s}{}", fraction.unwrap_or_default());
                        }
                    }
                    text + offset
                })
        }

        proptest! {
            #[test]
            fn times_format_as_jiff_formats_them(at in -400_000_000_000_000i64..260_000_000_000_000) {
                prop_assert_eq!(date_time(at), jiff_time(at, "%-d %b %Y, %H:%M UTC"));
                prop_assert_eq!(iso(at), jiff_time(at, "%Y-%m-%dT%H:%M:%SZ"));
            }

            #[test]
            fn timestamps_parse_as_jiff_parses_them(text in timestamp()) {
                prop_assert_eq!(parse_time(&text), jiff_parse(&text), "{}", text);
            }

            /// Whatever else arrives, nothing is read that jiff would read otherwise.
            #[test]
            fn nothing_is_read_that_jiff_reads_otherwise(text in "[0-9:TZ+. -]{0,30}") {
                if let Some(ours) = parse_time(&text) {
                    prop_assert_eq!(Some(ours), jiff_parse(&text), "{}", text);
                }
            }
        }
    }
}
