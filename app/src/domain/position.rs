//! Positions that order stages, lanes, cards and personas without renumbering.
//!
//! A position is a string key compared byte by byte ("fractional indexing", after Figma and the
//! rocicorp `fractional-indexing` algorithm): between any two keys there is always another, so an
//! edit that moves one item names one new key and touches nothing else. Keys have an integer
//! part whose length is encoded in its first character, so appending at the end grows a key
//! logarithmically rather than linearly. Two browsers may pick the same key concurrently; ties
//! are broken by item id wherever items are sorted, so the order is still total.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::text::FieldError;

const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ZERO: u8 = b'0';
const LAST: u8 = b'z';
/// The smallest integer part, "A" followed by 26 zeros; it may not stand alone.
const SMALLEST_INTEGER: &str = "A00000000000000000000000000";
/// Longest key accepted. Far beyond what editing produces, short enough to bound messages.
pub const MAX_POSITION_LEN: usize = 128;

/// A sort key. Invariant: a valid fractional-index key of at most `MAX_POSITION_LEN` bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Position(String);

impl Position {
    /// The key of the first item in an empty list.
    pub fn first() -> Position {
        Position("a0".to_owned())
    }

    pub fn parse(raw: &str) -> Result<Position, FieldError> {
        if raw.len() > MAX_POSITION_LEN || !is_valid_key(raw.as_bytes()) {
            return Err(FieldError::new("invalid position"));
        }
        Ok(Position(raw.to_owned()))
    }

    /// A key strictly between `before` and `after`; `None` means the open end of the list.
    ///
    /// Returns `None` when no key fits within `MAX_POSITION_LEN`, or when `before >= after`.
    pub fn between(before: Option<&Position>, after: Option<&Position>) -> Option<Position> {
        if let (Some(a), Some(b)) = (before, after) {
            if a >= b {
                return None;
            }
        }
        let key = key_between(
            before.map(|p| p.0.as_bytes()),
            after.map(|p| p.0.as_bytes()),
        )?;
        let key = String::from_utf8(key).ok()?;
        (key.len() <= MAX_POSITION_LEN).then_some(Position(key))
    }

    /// `n` ascending keys after `before` (or from the start), for building lists in one go.
    pub fn sequence(before: Option<&Position>, n: usize) -> Vec<Position> {
        let mut keys = Vec::with_capacity(n);
        let mut last = before.cloned();
        for _ in 0..n {
            // Appending after an integer key increments the integer, which always succeeds
            // for any list length a map can have.
            let next = Position::between(last.as_ref(), None).unwrap_or_else(Position::first);
            keys.push(next.clone());
            last = Some(next);
        }
        keys
    }

    /// A key that puts an item at `index` of a list sorted by `positions` (which must not
    /// include the item being placed). Returns `None` only if no key fits.
    pub fn at_index(positions: &[&Position], index: usize) -> Option<Position> {
        let index = index.min(positions.len());
        let before = index.checked_sub(1).map(|i| positions[i]);
        // Equal keys (two browsers picked the same one) leave no room between them; aim past
        // the run of equals instead, which still lands next to the intended neighbours.
        let after = positions[index..]
            .iter()
            .copied()
            .find(|p| before.is_none_or(|b| *p > b));
        Position::between(before, after)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Position {
    type Error = FieldError;

    fn try_from(raw: String) -> Result<Position, FieldError> {
        Position::parse(&raw)
    }
}

impl From<Position> for String {
    fn from(position: Position) -> String {
        position.0
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn digit_value(d: u8) -> Option<usize> {
    DIGITS.iter().position(|&x| x == d)
}

/// Length of the integer part announced by its first character: "a".."z" are the
/// non-negative integers of 1..26 digits, "A".."Z" the negative ones of 26..1 digits.
fn integer_len(head: u8) -> Option<usize> {
    match head {
        b'a'..=b'z' => Some(usize::from(head - b'a') + 2),
        b'A'..=b'Z' => Some(usize::from(b'Z' - head) + 2),
        _ => None,
    }
}

fn is_valid_key(key: &[u8]) -> bool {
    let Some(&head) = key.first() else {
        return false;
    };
    let Some(int_len) = integer_len(head) else {
        return false;
    };
    if key.len() < int_len || key == SMALLEST_INTEGER.as_bytes() {
        return false;
    }
    if !key[1..].iter().all(|&d| digit_value(d).is_some()) {
        return false;
    }
    // A trailing zero in the fraction would make two spellings of one value.
    key.len() == int_len || key.last() != Some(&ZERO)
}

fn split(key: &[u8]) -> (&[u8], &[u8]) {
    let int_len = integer_len(key[0]).unwrap_or(key.len()).min(key.len());
    key.split_at(int_len)
}

fn key_between(a: Option<&[u8]>, b: Option<&[u8]>) -> Option<Vec<u8>> {
    match (a, b) {
        (None, None) => Some(b"a0".to_vec()),
        (None, Some(b)) => {
            let (ib, fb) = split(b);
            if ib == SMALLEST_INTEGER.as_bytes() {
                return Some([ib, &midpoint(&[], Some(fb))?].concat());
            }
            if ib.len() < b.len() {
                return Some(ib.to_vec());
            }
            decrement_integer(ib)
        }
        (Some(a), None) => {
            let (ia, fa) = split(a);
            match increment_integer(ia) {
                Some(i) => Some(i),
                None => Some([ia, &midpoint(fa, None)?].concat()),
            }
        }
        (Some(a), Some(b)) => {
            let (ia, fa) = split(a);
            let (ib, fb) = split(b);
            if ia == ib {
                return Some([ia, &midpoint(fa, Some(fb))?].concat());
            }
            let i = increment_integer(ia)?;
            if i.as_slice() < b {
                Some(i)
            } else {
                Some([ia, &midpoint(fa, None)?].concat())
            }
        }
    }
}

/// A fraction strictly between `a` and `b` (`None` = 1), both without trailing zeros.
fn midpoint(a: &[u8], b: Option<&[u8]>) -> Option<Vec<u8>> {
    if let Some(b) = b {
        // Strip the common prefix, padding `a` with zeros as we go.
        let mut n = 0;
        while n < b.len() && a.get(n).copied().unwrap_or(ZERO) == b[n] {
            n += 1;
        }
        if n > 0 {
            let rest_a = if n <= a.len() { &a[n..] } else { &[][..] };
            return Some([&b[..n], &midpoint(rest_a, Some(&b[n..]))?].concat());
        }
    }
    let digit_a = match a.first() {
        Some(&d) => digit_value(d)?,
        None => 0,
    };
    let digit_b = match b {
        Some(b) => digit_value(*b.first()?)?,
        None => DIGITS.len(),
    };
    if digit_b - digit_a > 1 {
        let mid = (digit_a + digit_b).div_ceil(2);
        return Some(vec![DIGITS[mid]]);
    }
    // The first digits are consecutive.
    match b {
        Some(b) if b.len() > 1 => Some(vec![b[0]]),
        _ => {
            let rest = if a.is_empty() { &[][..] } else { &a[1..] };
            Some([&[DIGITS[digit_a]][..], &midpoint(rest, None)?].concat())
        }
    }
}

fn increment_integer(x: &[u8]) -> Option<Vec<u8>> {
    let head = x[0];
    let mut digits = x[1..].to_vec();
    let mut carry = true;
    for d in digits.iter_mut().rev() {
        let v = digit_value(*d)? + 1;
        if v == DIGITS.len() {
            *d = ZERO;
        } else {
            *d = DIGITS[v];
            carry = false;
            break;
        }
    }
    if !carry {
        return Some([&[head][..], &digits].concat());
    }
    match head {
        b'Z' => Some(vec![b'a', ZERO]),
        b'z' => None,
        _ => {
            let h = head + 1;
            if h > b'a' {
                digits.push(ZERO);
            } else {
                digits.pop();
            }
            Some([&[h][..], &digits].concat())
        }
    }
}

fn decrement_integer(x: &[u8]) -> Option<Vec<u8>> {
    let head = x[0];
    let mut digits = x[1..].to_vec();
    let mut borrow = true;
    for d in digits.iter_mut().rev() {
        let v = digit_value(*d)?;
        if v == 0 {
            *d = LAST;
        } else {
            *d = DIGITS[v - 1];
            borrow = false;
            break;
        }
    }
    if !borrow {
        return Some([&[head][..], &digits].concat());
    }
    match head {
        b'a' => Some(vec![b'Z', LAST]),
        b'A' => None,
        _ => {
            let h = head - 1;
            if h < b'Z' {
                digits.push(LAST);
            } else {
                digits.pop();
            }
            Some([&[h][..], &digits].concat())
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn p(s: &str) -> Position {
        Position::parse(s).unwrap()
    }

    #[track_caller]
    fn check(before: Option<&str>, after: Option<&str>, expected: &str) {
        let got = Position::between(before.map(p).as_ref(), after.map(p).as_ref()).unwrap();
        assert_eq!(got.as_str(), expected);
    }

    // Expected keys from the reference implementation's own test table.
    #[test]
    fn matches_the_reference_algorithm() {
        check(None, None, "a0");
        check(None, Some("a0"), "Zz");
        check(Some("a0"), None, "a1");
        check(Some("a0"), Some("a1"), "a0V");
        check(Some("a1"), Some("a2"), "a1V");
        check(Some("a0V"), Some("a1"), "a0l");
        check(Some("Zz"), Some("a0"), "ZzV");
        check(Some("Zz"), Some("a1"), "a0");
        check(None, Some("Y00"), "Xzzz");
        check(Some("bzz"), None, "c000");
        check(Some("a0"), Some("a0V"), "a0G");
        check(Some("a0"), Some("a0G"), "a08");
        check(Some("b125"), Some("b129"), "b127");
        check(Some("a0"), Some("a1V"), "a1");
        check(Some("Zz"), Some("a01"), "a0");
        check(None, Some("a0V"), "a0");
        check(None, Some("b999"), "b99");
        check(
            Some("zzzzzzzzzzzzzzzzzzzzzzzzzzy"),
            None,
            "zzzzzzzzzzzzzzzzzzzzzzzzzzz",
        );
        check(
            Some("zzzzzzzzzzzzzzzzzzzzzzzzzzz"),
            None,
            "zzzzzzzzzzzzzzzzzzzzzzzzzzzV",
        );
    }

    #[test]
    fn rejects_malformed_keys_and_reversed_bounds() {
        for bad in [
            "",
            "0",
            "a",
            "a00",
            "A00000000000000000000000000",
            "a0!",
            "a0 ",
        ] {
            assert!(Position::parse(bad).is_err(), "{bad:?} should be invalid");
        }
        assert!(Position::between(Some(&p("a1")), Some(&p("a0"))).is_none());
        assert!(Position::between(Some(&p("a1")), Some(&p("a1"))).is_none());
    }

    #[test]
    fn at_index_places_between_neighbours_even_after_ties() {
        let (a, b, c) = (p("a0"), p("a1"), p("a2"));
        let at = |list: &[&Position], i| Position::at_index(list, i).unwrap();
        assert!(at(&[&a, &b], 0) < a);
        let mid = at(&[&a, &b], 1);
        assert!(a < mid && mid < b);
        assert!(at(&[&a, &b], 2) > b);
        assert!(at(&[&a, &b], 9) > b);
        let tied = at(&[&a, &b, &b, &c], 2);
        assert!(b < tied && tied < c);
    }

    #[test]
    fn appending_keeps_keys_short() {
        let keys = Position::sequence(None, 20_000);
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert!(
            keys.iter().all(|k| k.as_str().len() <= 4),
            "{:?}",
            keys.last()
        );
    }

    proptest! {
        /// Whatever sequence of insertions a user makes, every new key falls strictly between
        /// its neighbours and parses back.
        #[test]
        fn inserting_anywhere_keeps_order(choices in prop::collection::vec(any::<prop::sample::Index>(), 1..200)) {
            let mut keys: Vec<Position> = Vec::new();
            for choice in choices {
                let at = choice.index(keys.len() + 1);
                let before = at.checked_sub(1).map(|i| &keys[i]);
                let after = keys.get(at);
                let key = Position::between(before, after).expect("room between neighbours");
                prop_assert!(before.is_none_or(|b| *b < key));
                prop_assert!(after.is_none_or(|a| key < *a));
                let parsed = Position::parse(key.as_str());
                prop_assert_eq!(parsed.as_ref(), Ok(&key));
                keys.insert(at, key);
            }
        }
    }
}
