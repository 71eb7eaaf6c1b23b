//! Resources: data a page loads through a server function, in the server's HTML for hydration.
//!
//! A resource's value reaches the browser in two ways: in the page, which Leptos decodes with
//! `serde_json::from_str`, and as a server function's answer when it loads again, decoded with
//! `serde_json::from_slice`. serde compiles each type's decoding once per way of reading, so
//! every type a page loads was compiled into the browser's bundle twice. `Json` reads the
//! page's copy from bytes as well, and [`resource`] is `Resource::new` with it.

use std::future::Future;

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// JSON, decoded from bytes (see the module's doc).
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(json: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(json.as_bytes())
    }
}

/// `Resource::new`, with its value decoded the way server functions decode theirs.
#[track_caller]
pub fn resource<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Json>
where
    S: Send + Sync + Clone + PartialEq + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}
