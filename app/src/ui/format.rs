//! Formatting for display. Deterministic (UTC, no locale), so the server and the browser render
//! the same text and hydration matches.

use crate::domain::feedback::civil_from_days;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "26 Nov 2026, 09:41 UTC" for milliseconds since the epoch.
pub fn date_time(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{day} {} {year}, {:02}:{:02} UTC",
        MONTHS[(month as usize).saturating_sub(1) % 12],
        day_secs / 3600,
        day_secs % 3600 / 60
    )
}

/// ISO 8601 for `<time datetime>`.
pub fn iso(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        day_secs / 3600,
        day_secs % 3600 / 60,
        day_secs % 60
    )
}

/// "1 stage", "5 stages".
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Year, month (1..=12) and day of a day count since 1970-01-01 (Howard Hinnant's algorithm).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates_in_utc() {
        assert_eq!(date_time(0), "1 Jan 1970, 00:00 UTC");
        assert_eq!(date_time(1_795_685_460_000), "26 Nov 2026, 09:31 UTC");
        assert_eq!(iso(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(count(1, "stage", "stages"), "1 stage");
        assert_eq!(count(0, "stage", "stages"), "0 stages");
    }
}
