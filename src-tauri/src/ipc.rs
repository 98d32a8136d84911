//! The wire types of the shell ⇄ UI contract (`/work/wt/IPC.md`): DTOs, events and the one
//! error type every command returns.
//!
//! Only this module knows the JSON spelling the WebView sees. Core types never cross the
//! boundary: each DTO is built from core values here, and the mirrored enums convert with
//! exhaustive matches, so a new core variant fails to compile until the contract says how it
//! is spelled. TypeScript declarations are generated from these types by ts-rs into
//! `ui/src/lib/bindings/` (see `export_bindings` below); 64-bit integers are declared as
//! `number` there (ids and frame counts stay far below 2^53).

use serde::{Deserialize, Serialize};
use takeboard_core::catalog::CatalogError;
use takeboard_core::domain;
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
    /// The action would exceed the project's credit budget.
    Budget,
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

impl From<CatalogError> for IpcError {
    fn from(e: CatalogError) -> IpcError {
        let code = match &e {
            CatalogError::NewerSchema { .. } => ErrorCode::NewerLibrary,
            CatalogError::Locked(_) => ErrorCode::Locked,
            CatalogError::Corrupt { .. } | CatalogError::Open { .. } => ErrorCode::Io,
            CatalogError::NotFound(_) => ErrorCode::NotFound,
            CatalogError::Invalid(_) => ErrorCode::Invalid,
            CatalogError::Sqlite(_) => ErrorCode::Internal,
        };
        IpcError::new(code, e.to_string())
    }
}

/// What the window needs to start: the open library, the media server's address and token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// The library database file.
    pub library_path: String,
    /// The current project, `null` until a folder is opened.
    pub project_name: Option<String>,
    /// The current project's watched folders.
    pub folders: Vec<String>,
    /// `http://127.0.0.1:<port>` of the media server.
    pub media_base_url: String,
    /// The media server's launch token (`?t=` of every media URL).
    pub media_token: String,
    /// The app version.
    pub version: String,
}

/// A shot's derived state (mirrors `takeboard_core::domain::ShotState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ShotState {
    /// No approved take yet.
    Exploring,
    /// A Flash take is approved; its render request is not yet sent.
    Approved,
    /// The render request was submitted.
    Rendering,
    /// The Standard render is back and awaits review.
    Rendered,
    /// A take is marked final.
    Final,
}

impl From<domain::ShotState> for ShotState {
    fn from(s: domain::ShotState) -> ShotState {
        match s {
            domain::ShotState::Exploring => ShotState::Exploring,
            domain::ShotState::Approved => ShotState::Approved,
            domain::ShotState::Rendering => ShotState::Rendering,
            domain::ShotState::Rendered => ShotState::Rendered,
            domain::ShotState::Final => ShotState::Final,
        }
    }
}

/// The editor's decision on a take (mirrors `takeboard_core::domain::TakeStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum TakeStatus {
    /// Not looked at yet.
    Unreviewed,
    /// On the shortlist.
    Selected,
    /// Kept aside.
    Hold,
    /// Not to be used.
    Rejected,
    /// The chosen take of its shot.
    Approved,
}

impl From<domain::TakeStatus> for TakeStatus {
    fn from(s: domain::TakeStatus) -> TakeStatus {
        match s {
            domain::TakeStatus::Unreviewed => TakeStatus::Unreviewed,
            domain::TakeStatus::Selected => TakeStatus::Selected,
            domain::TakeStatus::Hold => TakeStatus::Hold,
            domain::TakeStatus::Rejected => TakeStatus::Rejected,
            domain::TakeStatus::Approved => TakeStatus::Approved,
        }
    }
}

impl From<TakeStatus> for domain::TakeStatus {
    fn from(s: TakeStatus) -> domain::TakeStatus {
        match s {
            TakeStatus::Unreviewed => domain::TakeStatus::Unreviewed,
            TakeStatus::Selected => domain::TakeStatus::Selected,
            TakeStatus::Hold => domain::TakeStatus::Hold,
            TakeStatus::Rejected => domain::TakeStatus::Rejected,
            TakeStatus::Approved => domain::TakeStatus::Approved,
        }
    }
}

/// Which model produced a take (mirrors `takeboard_core::domain::Origin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Ray2 Flash.
    Flash,
    /// Ray2 Standard.
    Standard,
    /// Not known.
    Unknown,
}

impl From<domain::Origin> for Origin {
    fn from(o: domain::Origin) -> Origin {
        match o {
            domain::Origin::Flash => Origin::Flash,
            domain::Origin::Standard => Origin::Standard,
            domain::Origin::Unknown => Origin::Unknown,
        }
    }
}

/// How a Flash take is promoted (mirrors `takeboard_core::domain::RenderMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum RenderMode {
    /// Same prompt and keyframes with `ray-2`.
    Regenerate,
    /// `ray-2` video-to-video adhering to the Flash take.
    Modify,
    /// Upscale the same generation.
    Upscale,
}

impl From<domain::RenderMode> for RenderMode {
    fn from(m: domain::RenderMode) -> RenderMode {
        match m {
            domain::RenderMode::Regenerate => RenderMode::Regenerate,
            domain::RenderMode::Modify => RenderMode::Modify,
            domain::RenderMode::Upscale => RenderMode::Upscale,
        }
    }
}

impl From<RenderMode> for domain::RenderMode {
    fn from(m: RenderMode) -> domain::RenderMode {
        match m {
            RenderMode::Regenerate => domain::RenderMode::Regenerate,
            RenderMode::Modify => domain::RenderMode::Modify,
            RenderMode::Upscale => domain::RenderMode::Upscale,
        }
    }
}

/// Where a render request is (mirrors `takeboard_core::domain::RequestState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum RequestState {
    /// Recorded, not yet sent.
    Queued,
    /// Sent; accepted or in flight.
    Submitted,
    /// The provider finished it.
    Completed,
    /// The provider refused or failed it.
    Failed,
    /// Cancelled before it was sent.
    Cancelled,
    /// A send whose outcome is not known.
    Unknown,
}

impl From<domain::RequestState> for RequestState {
    fn from(s: domain::RequestState) -> RequestState {
        match s {
            domain::RequestState::Queued => RequestState::Queued,
            domain::RequestState::Submitted => RequestState::Submitted,
            domain::RequestState::Completed => RequestState::Completed,
            domain::RequestState::Failed => RequestState::Failed,
            domain::RequestState::Cancelled => RequestState::Cancelled,
            domain::RequestState::Unknown => RequestState::Unknown,
        }
    }
}

/// One shot of the shot list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ShotDto {
    /// Shot id.
    pub id: i64,
    /// Code, e.g. `SH010`.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Position in the shot list (0 first).
    pub position: i64,
    /// Derived state.
    pub state: ShotState,
    /// Number of takes.
    pub take_count: i64,
    /// Number of takes whose file is missing.
    pub missing_count: i64,
    /// The approved take, if any.
    pub approved_take_id: Option<i64>,
    /// The final take, if any.
    pub final_take_id: Option<i64>,
    /// Credits spent on this shot's takes.
    pub credits_spent: f64,
    /// Credits of its live render requests.
    pub credits_pending: f64,
}

/// A note anchored to a frame of a take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NoteDto {
    /// Note id.
    pub id: i64,
    /// The frame it is anchored to (0 first).
    pub frame: i64,
    /// The note.
    pub text: String,
    /// Who wrote it (OS user).
    pub author: String,
    /// RFC 3339 UTC.
    pub created_at: String,
}

/// One take with everything its card and player need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TakeDto {
    /// Take id.
    pub id: i64,
    /// Its shot.
    pub shot_id: i64,
    /// File name of its current (or last known) file. Attacker-controlled: render as text.
    pub file_name: String,
    /// Its current (or last known) path, for display only.
    pub path: String,
    /// Which model produced it.
    pub origin: Origin,
    /// The editor's decision.
    pub status: TakeStatus,
    /// Marked final.
    pub is_final: bool,
    /// Duration in seconds.
    pub duration_s: Option<f64>,
    /// Number of video frames.
    pub frames: Option<i64>,
    /// Frame rate as text, `"24"` or `"24000/1001"`.
    pub fps: Option<String>,
    /// Frame rate numerator.
    pub fps_num: Option<u32>,
    /// Frame rate denominator.
    pub fps_den: Option<u32>,
    /// Width in pixels.
    pub width: Option<u32>,
    /// Height in pixels.
    pub height: Option<u32>,
    /// Codec short name.
    pub codec: Option<String>,
    /// Whether it has an audio track.
    pub has_audio: Option<bool>,
    /// Luma generation id.
    pub generation_id: Option<String>,
    /// Prompt.
    pub prompt: Option<String>,
    /// Aspect ratio, e.g. `16:9`.
    pub aspect_ratio: Option<String>,
    /// Resolution, e.g. `720p`.
    pub resolution: Option<String>,
    /// Whether its file is on disk.
    pub present: bool,
    /// Why the file could not be read or probed.
    pub error: Option<String>,
    /// Why its sidecar could not be used.
    pub sidecar_error: Option<String>,
    /// Trim in point (frame, inclusive).
    pub trim_in: Option<i64>,
    /// Trim out point (frame, exclusive).
    pub trim_out: Option<i64>,
    /// Notes, by frame.
    pub notes: Vec<NoteDto>,
    /// What this take cost.
    pub credits: f64,
    /// `/media/<id>`: the UI builds `${mediaBaseUrl}${mediaPath}?t=${mediaToken}`.
    pub media_path: String,
}

/// A Standard render request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RequestDto {
    /// Request id.
    pub id: i64,
    /// The approved source take.
    pub take_id: i64,
    /// Its shot.
    pub shot_id: i64,
    /// The shot's code.
    pub shot_code: String,
    /// How the take is promoted.
    pub mode: RenderMode,
    /// Provider model, e.g. `ray-2`.
    pub model: String,
    /// Requested resolution.
    pub resolution: String,
    /// Requested duration in seconds.
    pub duration_s: i64,
    /// Estimated credits.
    pub credits_estimate: f64,
    /// Where it is.
    pub state: RequestState,
    /// Provider generation id once submitted.
    pub generation_id: Option<String>,
    /// The take that came back.
    pub result_take_id: Option<i64>,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// What was not known when promoting (e.g. keyframes).
    pub missing: Vec<String>,
    /// RFC 3339 UTC.
    pub created_at: String,
}

/// The outcome of approving a take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalDto {
    /// The approved take.
    pub take: TakeDto,
    /// Its render request; `null` when the take was Standard and was marked final instead.
    pub request: Option<RequestDto>,
    /// Set when the request takes the project over its budget.
    pub budget_warning: Option<String>,
}

/// Credits of one shot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ShotCreditsDto {
    /// Shot id.
    pub shot_id: i64,
    /// Spent on its takes.
    pub spent: f64,
    /// Of its live requests.
    pub pending: f64,
}

/// The project's credit totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CreditsDto {
    /// Spent on all takes.
    pub spent: f64,
    /// Of all live requests.
    pub pending: f64,
    /// The budget, if set.
    pub budget: Option<f64>,
    /// `spent + pending > budget`.
    pub over_budget: bool,
    /// Per shot, in shot-list order.
    pub per_shot: Vec<ShotCreditsDto>,
}

/// The project's settings as the settings dialog edits them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SettingsDto {
    /// Ray2 Flash credits per second.
    pub flash_per_second: f64,
    /// Ray2 Standard credits per second.
    pub standard_per_second: f64,
    /// Credits of a 4K upscale.
    pub upscale4k: f64,
    /// US dollars per credit-second, for display.
    pub usd_per_second: f64,
    /// Render mode preselected when approving.
    pub default_mode: RenderMode,
    /// Resolution preselected when approving, e.g. `1080p`.
    pub default_resolution: String,
    /// Frame rate assumed when a file has none, `"24"` or `"24000/1001"`.
    pub fps_fallback: String,
    /// Credit budget, if any.
    pub budget: Option<f64>,
    /// Whether a Luma API key is stored (the key itself never crosses to the UI).
    pub api_key_set: bool,
}

/// Where `export_requests` wrote the request bodies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportRequestsResult {
    /// The written file.
    pub path: String,
    /// How many requests it holds.
    pub count: i64,
}

/// Timeline formats Premiere imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum TimelineFormat {
    /// Final Cut Pro 7 XML (xmeml), the default.
    Fcp7xml,
    /// CMX3600 EDL.
    Edl,
    /// OpenTimelineIO JSON.
    Otio,
    /// A CSV shot list.
    Csv,
}

/// What to put on the timeline for a shot without an approved or final take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum PlaceholderPolicy {
    /// A placeholder clip (its best take, marked).
    Include,
    /// A gap of the shot's length.
    Gap,
    /// Nothing.
    Skip,
}

/// Where `export_timeline` wrote the timeline and what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportTimelineResult {
    /// The written file.
    pub path: String,
    /// Clips placed.
    pub clips: i64,
    /// Gaps left.
    pub gaps: i64,
    /// Placeholder clips placed.
    pub placeholders: i64,
}

/// What changed in the library (payload of the `library-changed` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum LibraryEventKind {
    /// A new take was indexed.
    TakeAdded,
    /// A take's metadata or decisions changed.
    TakeChanged,
    /// A take's file disappeared.
    TakeMissing,
    /// A missing take's content reappeared.
    TakeRestored,
    /// A render request changed state.
    RequestChanged,
    /// Shots were added, renamed, merged or reordered.
    ShotsChanged,
}

/// The `library-changed` event: the UI refetches what it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LibraryEvent {
    /// What changed.
    pub kind: LibraryEventKind,
    /// The take concerned, if any.
    pub take_id: Option<i64>,
    /// The shot concerned, if any.
    pub shot_id: Option<i64>,
    /// The request concerned, if any.
    pub request_id: Option<i64>,
}

/// The event name the UI listens to.
pub const LIBRARY_CHANGED: &str = "library-changed";

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Writes every declaration into `ui/src/lib/bindings/` (committed; CI fails on a diff).
    #[test]
    fn export_bindings() {
        let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings");
        let cfg = ts_rs::Config::new()
            .with_out_dir(&out)
            .with_large_int("number");
        ErrorCode::export_all(&cfg).expect("export ErrorCode");
        IpcError::export_all(&cfg).expect("export IpcError");
        AppInfo::export_all(&cfg).expect("export AppInfo");
        ShotDto::export_all(&cfg).expect("export ShotDto");
        TakeDto::export_all(&cfg).expect("export TakeDto");
        ApprovalDto::export_all(&cfg).expect("export ApprovalDto");
        CreditsDto::export_all(&cfg).expect("export CreditsDto");
        SettingsDto::export_all(&cfg).expect("export SettingsDto");
        ExportRequestsResult::export_all(&cfg).expect("export ExportRequestsResult");
        TimelineFormat::export_all(&cfg).expect("export TimelineFormat");
        PlaceholderPolicy::export_all(&cfg).expect("export PlaceholderPolicy");
        ExportTimelineResult::export_all(&cfg).expect("export ExportTimelineResult");
        LibraryEvent::export_all(&cfg).expect("export LibraryEvent");
        let take = std::fs::read_to_string(out.join("TakeDto.ts")).expect("TakeDto.ts written");
        assert!(take.contains("id: number"), "{take}");
        assert!(
            !take.contains("bigint"),
            "64-bit ids are plain numbers in TS: {take}"
        );
    }

    #[test]
    fn errors_and_events_have_the_contract_spelling() {
        let error = IpcError::new(ErrorCode::NewerLibrary, "newer");
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({"code": "newerLibrary", "message": "newer"})
        );
        let event = LibraryEvent {
            kind: LibraryEventKind::TakeRestored,
            take_id: Some(4),
            shot_id: None,
            request_id: None,
        };
        assert_eq!(
            serde_json::to_value(event).unwrap(),
            serde_json::json!({"kind": "take-restored", "takeId": 4, "shotId": null, "requestId": null})
        );
    }

    #[test]
    fn a_locked_library_maps_to_the_locked_code() {
        let e = IpcError::from(CatalogError::Locked(PathBuf::from("/tmp/l.db")));
        assert_eq!(e.code, ErrorCode::Locked);
        assert!(e.message.contains("/tmp/l.db"), "{}", e.message);
    }
}
