//! Decoding that drops what it cannot read instead of refusing the whole message.
//!
//! For summaries only: the browser shows many touchpoints' scores from one message, and one
//! score it cannot read (from a server of another version, say) must blank that score, not
//! every chip on the map. Both helpers buffer through `serde_json::Value`, so they suit JSON
//! (what server functions speak), not formats that are not self-describing.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// An optional field that reads as absent when it does not decode.
pub fn optional<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

/// A list that keeps the entries that decode and drops the others.
pub fn entries<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let values = Vec::<serde_json::Value>::deserialize(deserializer)?;
    Ok(values
        .into_iter()
        .filter_map(|value| serde_json::from_value(value).ok())
        .collect())
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Holder {
        #[serde(default, deserialize_with = "super::optional")]
        one: Option<u8>,
        #[serde(deserialize_with = "super::entries")]
        many: Vec<(u8, f64)>,
    }

    #[test]
    fn what_does_not_decode_is_dropped_alone() {
        let held: Holder =
            serde_json::from_str(r#"{"one": "x", "many": [[1, 2.5], [2, null], [3, 1.0]]}"#)
                .unwrap();
        assert_eq!(
            held,
            Holder {
                one: None,
                many: vec![(1, 2.5), (3, 1.0)]
            }
        );
        let absent: Holder = serde_json::from_str(r#"{"many": []}"#).unwrap();
        assert_eq!(absent.one, None);
    }
}
