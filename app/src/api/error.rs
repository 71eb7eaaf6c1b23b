//! `AppError`: the one error type of the server functions. Compiled for both sides, so pages
//! match on its variants; internal details never cross the wire (they are logged on the server).

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::domain::text::FieldError;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum AppError {
    #[error("please sign in")]
    Unauthenticated,
    #[error("you don't have access to do that")]
    Forbidden,
    #[error("that map doesn't exist (it may have been deleted)")]
    NotFound,
    #[error("too many attempts; try again in {0} seconds")]
    TooManyRequests(u64),
    #[error("the server is busy; please try again in a moment")]
    Busy,
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("too much at once: {0}")]
    TooLarge(String),
    #[error("something went wrong on our side; please try again")]
    Internal,
    #[error("could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    pub fn invalid(field: &str, error: FieldError) -> AppError {
        AppError::Invalid {
            field: field.to_owned(),
            message: error.message,
        }
    }

    /// The HTTP status a response carrying this error should have.
    pub fn http_status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden => 403,
            AppError::TooManyRequests(_) | AppError::Busy => 429,
            AppError::NotFound => 404,
            AppError::Invalid { .. } => 400,
            AppError::TooLarge(_) => 413,
            AppError::Internal => 500,
            AppError::Transport(_) => 502,
        }
    }

    /// Seconds to wait before trying again, for a `Retry-After` header.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests(seconds) => Some(*seconds),
            AppError::Busy => Some(1),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(err: ServerFnErrorErr) -> Self {
        match err {
            // Arguments that fail to deserialize are bad input, not a transport failure.
            ServerFnErrorErr::Args(detail) | ServerFnErrorErr::Deserialization(detail) => {
                AppError::Invalid {
                    field: "request".to_owned(),
                    message: format!("malformed request ({detail})"),
                }
            }
            other => AppError::Transport(other.to_string()),
        }
    }
}
