//! Formatting for display. Deterministic (UTC, no locale), so the server and the browser render
//! the same text and hydration matches.

pub use crate::domain::time::{date_time, iso};

/// "1 stage", "5 stages".
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// "35,927": a count with thousands separated.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// "40 s", "12 min", "5.2 h", "2.9 days": a span of time in the unit that reads best.
pub fn duration(ms: i64) -> String {
    let seconds = ms as f64 / 1000.0;
    let (value, unit) = if seconds < 60.0 {
        (seconds, "s")
    } else if seconds < 3_600.0 {
        (seconds / 60.0, "min")
    } else if seconds < 86_400.0 {
        (seconds / 3_600.0, "h")
    } else {
        (seconds / 86_400.0, "days")
    };
    if value < 10.0 && unit != "s" {
        format!("{value:.1} {unit}")
    } else {
        format!("{value:.0} {unit}")
    }
}

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

    #[test]
    fn formats_counts_and_durations() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(35_927), "35,927");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(duration(40_000), "40 s");
        assert_eq!(duration(12 * 60_000), "12 min");
        assert_eq!(duration(5 * 3_600_000 + 720_000), "5.2 h");
        assert_eq!(duration(250_560_000), "2.9 days");
        assert_eq!(duration(30 * 86_400_000), "30 days");
    }
}
