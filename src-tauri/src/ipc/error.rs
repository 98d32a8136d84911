//! The one error every command returns: a stable [`ErrorCode`] the UI switches on and a
//! message a user can act on, made from the core's [`ApiError`].

use serde::{Deserialize, Serialize};
use takeboard_core::api::{ApiError, ErrorKind};
use ts_rs::TS;

/// What kind of failure a command met. The UI switches on this, never on the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// The id names nothing (a deleted take, a stale shot id).
    NotFound,
    /// The request is refused as given (bad argument, a rule would break).
    Invalid,
    /// The request clashes with the current state (approving a second take of a shot).
    Conflict,
    /// Another process holds the library lock.
    Locked,
    /// The library was written by a newer Takeboard and was left untouched.
    NewerLibrary,
    /// A file or folder could not be read or written.
    Io,
    /// The render provider refused or is not configured (no API key).
    Provider,
    /// A bug or an unexpected failure; the message says what happened.
    Internal,
}

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

impl From<ErrorKind> for ErrorCode {
    fn from(kind: ErrorKind) -> ErrorCode {
        match kind {
            ErrorKind::NotFound => ErrorCode::NotFound,
            ErrorKind::Invalid => ErrorCode::Invalid,
            ErrorKind::Conflict => ErrorCode::Conflict,
            ErrorKind::Locked => ErrorCode::Locked,
            ErrorKind::NewerLibrary => ErrorCode::NewerLibrary,
            ErrorKind::Io => ErrorCode::Io,
            ErrorKind::Provider => ErrorCode::Provider,
            ErrorKind::Internal => ErrorCode::Internal,
        }
    }
}

impl From<ApiError> for IpcError {
    fn from(e: ApiError) -> IpcError {
        IpcError::new(e.kind().into(), e.to_string())
    }
}
