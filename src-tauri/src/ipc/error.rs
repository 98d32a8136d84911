//! The one error every command returns: a stable [`ErrorCode`] the UI switches on and a
//! message a user can act on, made from the core's [`ApiError`].

use serde::{Deserialize, Serialize};
use takeboard_core::api::ApiError;
use ts_rs::TS;

/// What kind of failure a command met: the core's `api::ErrorKind`, one list for both.
pub use takeboard_core::api::ErrorKind as ErrorCode;

/// The only error a command returns: a stable code and a message a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct IpcError {
    /// What kind of failure.
    pub code: ErrorCode,
    /// What happened and what to do, in the user's words.
    pub message: String,
}

impl IpcError {
    /// An error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> IpcError {
        IpcError {
            code,
            message: message.into(),
        }
    }
}

impl From<ApiError> for IpcError {
    fn from(e: ApiError) -> IpcError {
        IpcError::new(e.kind(), e.to_string())
    }
}
