//! Dates and times as feedback uses them: days (whole days since 1970-01-01, UTC), the weeks and
//! months they fall in, and the timestamps people and programs write. Built on jiff, which also
//! runs in the browser. Pure: no clock (the current time is always passed in).

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// Milliseconds since the Unix epoch, as the server's clock saw them.
pub type Millis = i64;

/// A day: whole days since 1970-01-01 (UTC).
pub type Day = i64;

pub const MILLIS_PER_DAY: i64 = 86_400_000;

/// The day `at` falls on.
pub fn day_of(at: Millis) -> Day {
    at.div_euclid(MILLIS_PER_DAY)
}

/// The calendar date of a day, if the calendar reaches it (years -9999 to 9999).
pub fn date(day: Day) -> Option<Date> {
    let at = Timestamp::from_millisecond(day.checked_mul(MILLIS_PER_DAY)?).ok()?;
    Some(at.to_zoned(TimeZone::UTC).date())
}

/// The day of a calendar date.
pub fn day(date: Date) -> Option<Day> {
    let at = date.to_zoned(TimeZone::UTC).ok()?.timestamp();
    Some(day_of(at.as_millisecond()))
}

/// The day of year, month and day of month, if that is a date.
pub fn day_from_civil(year: i64, month: u32, day_of_month: u32) -> Option<Day> {
    let date = Date::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day_of_month).ok()?,
    )
    .ok()?;
    day(date)
}

/// The Monday that begins the week of `day`.
pub fn week_start(day: Day) -> Day {
    // 1970-01-01 was a Thursday: three days after a Monday.
    day - (day + 3).rem_euclid(7)
}

/// The first day of the month of `day`.
pub fn month_start(day: Day) -> Day {
    date(day)
        .and_then(|d| self::day(d.first_of_month()))
        .unwrap_or(day)
}

/// `2026-11-26`; empty for a day beyond the calendar.
pub fn format_day(day: Day) -> String {
    date(day).map_or_else(String::new, |d| d.to_string())
}

/// "26 Nov 2026, 09:41 UTC" for a time: the same on the server and in the browser (no locale,
/// no local time zone), so a server-rendered page hydrates without a difference.
pub fn date_time(at: Millis) -> String {
    Timestamp::from_millisecond(at).map_or_else(
        |_| String::new(),
        |t| t.strftime("%-d %b %Y, %H:%M UTC").to_string(),
    )
}

/// ISO 8601, for `<time datetime>`.
pub fn iso(at: Millis) -> String {
    Timestamp::from_millisecond(at).map_or_else(
        |_| String::new(),
        |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

/// Parses what spreadsheets and APIs commonly write: `2026-11-26`, `2026-11-26T14:03:00Z`,
/// `2026-11-26 14:03`, or with an offset like `+01:00`. Times without an offset are UTC.
pub fn parse_time(text: &str) -> Option<Millis> {
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
    // A date with a time but no offset, or a date alone (midnight). jiff would also take a
    // time zone annotation here and ignore it; a bare offset is what says otherwise.
    if text.contains('[') {
        return None;
    }
    if let Ok(civil) = text.parse::<DateTime>() {
        return utc(civil);
    }
    text.parse::<Date>()
        .ok()
        .and_then(|d| utc(d.at(0, 0, 0, 0)))
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
            assert_eq!(day(date(n).unwrap()), Some(n));
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
}
