//! Map reviews: a map is looked over every so many days, so it does not drift from the journey
//! customers actually take. A map with a review interval falls due that many days after it was
//! last reviewed, or after it was made if it never was.

use serde::{Deserialize, Serialize};

use crate::domain::time::Millis;

const DAY_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// The intervals offered, in days.
pub const INTERVALS: [u16; 5] = [30, 60, 90, 180, 365];

/// The longest interval the store accepts, in days (ten years).
pub const MAX_DAYS: u16 = 3660;

/// A map's review plan and where it stands, as the home page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// Days between reviews.
    pub every_days: u16,
    /// When it was last reviewed, and by whom (their name then).
    pub last: Option<(Millis, String)>,
    /// When the next review falls due.
    pub due_at: Millis,
}

impl Review {
    /// The plan of a map made at `created_at`, reviewed last at `last` (if ever).
    pub fn new(every_days: u16, created_at: Millis, last: Option<(Millis, String)>) -> Review {
        let since = last.as_ref().map_or(created_at, |(at, _)| *at);
        Review {
            every_days,
            due_at: due_at(since, every_days),
            last,
        }
    }

    /// Whether the map is past due at `now`.
    pub fn is_due(&self, now: Millis) -> bool {
        now >= self.due_at
    }
}

/// When a map reviewed (or made) at `since` falls due.
pub fn due_at(since: Millis, every_days: u16) -> Millis {
    since.saturating_add(i64::from(every_days) * DAY_MILLIS)
}

/// Parses an interval as a form sends it: empty (no reviews) or a whole number of days.
pub fn parse_interval(text: &str) -> Result<Option<u16>, String> {
    let text = text.trim();
    if text.is_empty() || text == "none" {
        return Ok(None);
    }
    match text.parse::<u16>() {
        Ok(days) if (1..=MAX_DAYS).contains(&days) => Ok(Some(days)),
        _ => Err(format!(
            "a review interval is a number of days from 1 to {MAX_DAYS}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_map_falls_due_its_interval_after_its_last_review_or_its_making() {
        let made = 1_000;
        let fresh = Review::new(30, made, None);
        assert_eq!(fresh.due_at, made + 30 * DAY_MILLIS);
        assert!(!fresh.is_due(made + 30 * DAY_MILLIS - 1));
        assert!(fresh.is_due(made + 30 * DAY_MILLIS));

        let reviewed = made + 40 * DAY_MILLIS;
        let later = Review::new(30, made, Some((reviewed, "Ada".into())));
        assert_eq!(later.due_at, reviewed + 30 * DAY_MILLIS);
        assert!(!later.is_due(reviewed + DAY_MILLIS));
    }

    #[test]
    fn intervals_are_whole_days_within_ten_years() {
        assert_eq!(parse_interval(""), Ok(None));
        assert_eq!(parse_interval("none"), Ok(None));
        assert_eq!(parse_interval(" 90 "), Ok(Some(90)));
        assert_eq!(parse_interval("3660"), Ok(Some(3660)));
        for bad in ["0", "3661", "-5", "1.5", "soon", "99999999"] {
            assert!(parse_interval(bad).is_err(), "{bad}");
        }
        assert_eq!(due_at(i64::MAX - 1, 365), i64::MAX);
    }
}
