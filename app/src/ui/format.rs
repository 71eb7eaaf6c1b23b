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
