//! The one error of the API boundary: every core failure, with the [`ErrorKind`] a client
//! switches on (the shell's IPC code, the CLI's exit) and a message a user can act on.

use crate::catalog::pg::StudioError;
use crate::catalog::CatalogError;
use crate::export::ExportError;
use crate::ingest::IngestError;
use crate::media_server::MediaServerError;
use crate::render::outbox::OutboxError;
use crate::review::ReviewError;

/// What kind of failure an API call met. Clients switch on this, never on the message;
/// the desktop shell sends it as the IPC error's `code` (TypeScript `ErrorCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "ErrorCode"))]
pub enum ErrorKind {
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
    /// The studio server refused: this person lacks a role (the message names it).
    Forbidden,
    /// A file or folder could not be read or written.
    Io,
    /// The render provider refused or is not configured (no API key).
    Provider,
    /// A bug or an unexpected failure; the message says what happened.
    Internal,
}

/// Everything an API call can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The catalog failed or refused.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// A review rule refused the decision.
    #[error(transparent)]
    Review(#[from] ReviewError),
    /// Scanning or watching a folder failed.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The timeline could not be exported.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// Sending, polling or resolving render requests failed.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// The studio library (PostgreSQL) refused or failed.
    #[error(transparent)]
    Studio(#[from] StudioError),
    /// The media server could not start.
    #[error(transparent)]
    MediaServer(#[from] MediaServerError),
    /// An argument is refused as given (a negative frame, a fractional credit price…).
    #[error("{0}")]
    Invalid(String),
    /// A name given by the user (a project, a shot code) names nothing.
    #[error("{0}")]
    NotFound(String),
    /// No Luma API key is saved or set, so nothing can be sent.
    #[error("no Luma API key: save one in Settings (or set LUMA_API_KEY), then submit again")]
    NoApiKey,
    /// The user's config folder could not hold the API key.
    #[error("{0}")]
    Io(String),
}

impl ApiError {
    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ApiError::Catalog(e) => catalog_kind(e),
            ApiError::Review(e) => review_kind(e),
            ApiError::Ingest(e) => match e {
                IngestError::Catalog(inner) => catalog_kind(inner),
                IngestError::FolderMissing(_) => ErrorKind::NotFound,
                IngestError::ReadDir { .. } | IngestError::Watch { .. } => ErrorKind::Io,
            },
            ApiError::Export(e) => match e {
                ExportError::Io { .. } => ErrorKind::Io,
                ExportError::Encode(_) => ErrorKind::Internal,
                ExportError::EmptyShotList
                | ExportError::NothingToExport { .. }
                | ExportError::UnknownShot(_)
                | ExportError::BadStartTimecode(_)
                | ExportError::UnsupportedRate { .. }
                | ExportError::InvalidTrim { .. }
                | ExportError::BadPath { .. }
                | ExportError::TooManyEdlEvents(_) => ErrorKind::Invalid,
            },
            ApiError::Outbox(e) => outbox_kind(e),
            ApiError::Studio(e) => studio_kind(e),
            ApiError::MediaServer(_) => ErrorKind::Internal,
            ApiError::Invalid(_) => ErrorKind::Invalid,
            ApiError::NotFound(_) => ErrorKind::NotFound,
            ApiError::NoApiKey => ErrorKind::Provider,
            ApiError::Io(_) => ErrorKind::Io,
        }
    }
}

fn catalog_kind(e: &CatalogError) -> ErrorKind {
    match e {
        CatalogError::NewerSchema { .. } => ErrorKind::NewerLibrary,
        CatalogError::Locked(_) => ErrorKind::Locked,
        CatalogError::Corrupt { .. } | CatalogError::Open { .. } | CatalogError::Disk { .. } => {
            ErrorKind::Io
        }
        CatalogError::NotFound(_) => ErrorKind::NotFound,
        CatalogError::Invalid(_) => ErrorKind::Invalid,
        CatalogError::Studio(e) => studio_kind(e),
        CatalogError::Db(_) => ErrorKind::Internal,
    }
}

fn studio_kind(e: &StudioError) -> ErrorKind {
    match e {
        StudioError::BadUrl(_) => ErrorKind::Invalid,
        StudioError::NewerSchema { .. } => ErrorKind::NewerLibrary,
        StudioError::NotInitialized { .. } => ErrorKind::Invalid,
        StudioError::Forbidden(_) => ErrorKind::Forbidden,
        StudioError::Busy => ErrorKind::Locked,
        StudioError::Connect { .. } | StudioError::LocalServer(_) => ErrorKind::Io,
        StudioError::Server(_) => ErrorKind::Internal,
    }
}

fn review_kind(e: &ReviewError) -> ErrorKind {
    match e {
        ReviewError::TakeNotFound(_)
        | ReviewError::ShotNotFound(_)
        | ReviewError::RequestNotFound(_) => ErrorKind::NotFound,
        ReviewError::NotApprovable { .. }
        | ReviewError::UseApprove(_)
        | ReviewError::InvalidTrim(_)
        | ReviewError::InvalidNote(_)
        | ReviewError::Body(_) => ErrorKind::Invalid,
        ReviewError::AlreadySubmitted { .. }
        | ReviewError::Uncertain { .. }
        | ReviewError::NotCancellable { .. } => ErrorKind::Conflict,
        ReviewError::Catalog(inner) => catalog_kind(inner),
    }
}

fn outbox_kind(e: &OutboxError) -> ErrorKind {
    match e {
        OutboxError::Catalog(inner) => catalog_kind(inner),
        OutboxError::NotFound(_) => ErrorKind::NotFound,
        OutboxError::NotResolvable { .. }
        | OutboxError::InvalidGenerationId(_)
        | OutboxError::NoWatchedFolder { .. } => ErrorKind::Invalid,
        OutboxError::OwnerLock { .. } | OutboxError::Io { .. } => ErrorKind::Io,
        OutboxError::GenerationInUse { .. } => ErrorKind::Conflict,
        OutboxError::LeaseHeld { .. } => ErrorKind::Conflict,
        OutboxError::Unauthorized(_)
        | OutboxError::NoVideo { .. }
        | OutboxError::Download(_)
        | OutboxError::Lookup(_) => ErrorKind::Provider,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn a_locked_library_is_the_locked_kind_and_names_the_file() {
        let e = ApiError::from(CatalogError::Locked(PathBuf::from("/tmp/l.db")));
        assert_eq!(e.kind(), ErrorKind::Locked);
        assert!(e.to_string().contains("/tmp/l.db"), "{e}");
    }

    #[test]
    fn a_catalog_failure_inside_a_review_keeps_the_catalog_kind() {
        let newer = CatalogError::NewerSchema {
            path: PathBuf::from("/l.db"),
            found: 9,
            known: 3,
        };
        let e = ApiError::from(ReviewError::from(newer));
        assert_eq!(e.kind(), ErrorKind::NewerLibrary);
    }
}
