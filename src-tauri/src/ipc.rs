//! The wire types of the shell ⇄ UI contract (`docs/ipc.md`): DTOs, events and the one
//! error type every command returns.
//!
//! Only this module knows the JSON spelling the WebView sees. Core types never cross the
//! boundary: each DTO is built from core values here, and the mirrored enums convert with
//! exhaustive matches, so a new core variant fails to compile until the contract says how it
//! is spelled. TypeScript declarations are generated from these types by ts-rs into
//! `ui/src/lib/bindings/` (see `export_bindings` below); 64-bit integers are declared as
//! `number` there (ids and frame counts stay far below 2^53).

use serde::{Deserialize, Serialize};
use takeboard_core::catalog::{CatalogError, ShotRow, TakeRow};
use takeboard_core::domain::{self, Presence};
use takeboard_core::domain::{Note, RenderRequest};
use takeboard_core::export::{self, ExportError};
use takeboard_core::ingest::{IngestError, IngestEvent};
use takeboard_core::media_server::MediaServer;
use takeboard_core::pricing::{whole_seconds, CreditsReport, PricingTable};
use takeboard_core::render::outbox::{Hold, OutboxError, PassReport, Resolution};
use takeboard_core::review::ReviewError;
use takeboard_core::settings::ProjectSettings;
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

fn catalog_code(e: &CatalogError) -> ErrorCode {
    match e {
        CatalogError::NewerSchema { .. } => ErrorCode::NewerLibrary,
        CatalogError::Locked(_) => ErrorCode::Locked,
        CatalogError::Corrupt { .. } | CatalogError::Open { .. } | CatalogError::Disk { .. } => {
            ErrorCode::Io
        }
        CatalogError::NotFound(_) => ErrorCode::NotFound,
        CatalogError::Invalid(_) => ErrorCode::Invalid,
        CatalogError::Sqlite(_) => ErrorCode::Internal,
    }
}

impl From<CatalogError> for IpcError {
    fn from(e: CatalogError) -> IpcError {
        IpcError::new(catalog_code(&e), e.to_string())
    }
}

impl From<ReviewError> for IpcError {
    fn from(e: ReviewError) -> IpcError {
        let code = match &e {
            ReviewError::TakeNotFound(_)
            | ReviewError::ShotNotFound(_)
            | ReviewError::RequestNotFound(_) => ErrorCode::NotFound,
            ReviewError::NotApprovable { .. }
            | ReviewError::UseApprove(_)
            | ReviewError::InvalidTrim(_)
            | ReviewError::InvalidNote(_)
            | ReviewError::Body(_) => ErrorCode::Invalid,
            ReviewError::AlreadySubmitted { .. }
            | ReviewError::Uncertain { .. }
            | ReviewError::NotCancellable { .. } => ErrorCode::Conflict,
            ReviewError::Catalog(inner) => {
                return IpcError::new(catalog_code(inner), e.to_string())
            }
            ReviewError::Sqlite(_) => ErrorCode::Internal,
        };
        IpcError::new(code, e.to_string())
    }
}

impl From<IngestError> for IpcError {
    fn from(e: IngestError) -> IpcError {
        let code = match &e {
            IngestError::Catalog(inner) => catalog_code(inner),
            IngestError::FolderMissing(_) => ErrorCode::NotFound,
            IngestError::ReadDir { .. } | IngestError::Watch { .. } => ErrorCode::Io,
        };
        IpcError::new(code, e.to_string())
    }
}

impl From<ExportError> for IpcError {
    fn from(e: ExportError) -> IpcError {
        let code = match &e {
            ExportError::Io { .. } => ErrorCode::Io,
            ExportError::Encode(_) => ErrorCode::Internal,
            ExportError::EmptyShotList
            | ExportError::NothingToExport { .. }
            | ExportError::UnknownShot(_)
            | ExportError::BadStartTimecode(_)
            | ExportError::UnsupportedRate { .. }
            | ExportError::InvalidTrim { .. }
            | ExportError::BadPath { .. }
            | ExportError::TooManyEdlEvents(_) => ErrorCode::Invalid,
        };
        IpcError::new(code, e.to_string())
    }
}

impl From<OutboxError> for IpcError {
    fn from(e: OutboxError) -> IpcError {
        let code = match &e {
            OutboxError::Catalog(inner) => catalog_code(inner),
            OutboxError::NotFound(_) => ErrorCode::NotFound,
            OutboxError::NotResolvable { .. } | OutboxError::InvalidGenerationId(_) => {
                ErrorCode::Invalid
            }
            OutboxError::OwnerLock { .. } => ErrorCode::Io,
            OutboxError::GenerationInUse { .. } => ErrorCode::Conflict,
            OutboxError::NoWatchedFolder { .. } => ErrorCode::Invalid,
            OutboxError::Io { .. } => ErrorCode::Io,
            OutboxError::Unauthorized(_)
            | OutboxError::NoVideo { .. }
            | OutboxError::Download(_)
            | OutboxError::Lookup(_) => ErrorCode::Provider,
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
    /// A send whose outcome is not known; the user links, resends or cancels it.
    Unknown,
    /// Written out as a body to run elsewhere; not sent from here unless re-queued.
    Exported,
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
            domain::RequestState::Exported => RequestState::Exported,
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
    /// What this take cost, when its duration and origin are known.
    pub credits: Option<f64>,
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
    /// Requested duration in seconds, when known.
    pub duration_s: Option<i64>,
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
    /// For an `unknown` request: generations at the provider that may be its result.
    pub candidates: Vec<CandidateDto>,
    /// When it was exported (RFC 3339 UTC).
    pub exported_at: Option<String>,
    /// The process sending it right now, e.g. `pid 4121 on studio-3`.
    pub sender: Option<String>,
}

/// A generation at the provider that may be an uncertain send's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CandidateDto {
    /// The provider's generation id.
    pub generation_id: String,
    /// When the provider created it (RFC 3339).
    pub created_at: Option<String>,
    /// Its state at the provider.
    pub state: Option<String>,
    /// Every field of the request matches and it was created within minutes of the send.
    pub exact: bool,
}

/// What the user decides for an `unknown` or `exported` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ResolveAction {
    /// The provider has it: follow the given generation id.
    Link,
    /// It was never made: queue it to be sent again.
    Resend,
    /// Give it up.
    Cancel,
}

/// What a Submit did: the project's requests afterwards, and what happened to the ones
/// the user confirmed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SubmitDto {
    /// Every request of the project, after the pass.
    pub requests: Vec<RequestDto>,
    /// Confirmed requests the provider accepted.
    pub sent: i64,
    /// Confirmed requests whose send is uncertain (now `unknown`).
    pub uncertain: i64,
    /// Confirmed requests the provider refused.
    pub failed: i64,
    /// Confirmed requests still queued (limits, a busy provider).
    pub left_queued: i64,
    /// Requests found at the provider and linked automatically.
    pub auto_linked: i64,
    /// Interrupted sends of dead processes, now `unknown`.
    pub recovered: i64,
    /// Why the pass stopped early, if it did.
    pub hold: Option<String>,
}

impl SubmitDto {
    /// The DTO of a pass, with the project's requests after it.
    pub fn new(report: &PassReport, requests: Vec<RequestDto>) -> SubmitDto {
        let count = |state: domain::RequestState| {
            report
                .submit
                .outcomes
                .iter()
                .filter(|o| o.state == state)
                .count() as i64
        };
        SubmitDto {
            requests,
            sent: count(domain::RequestState::Submitted),
            uncertain: count(domain::RequestState::Unknown),
            failed: count(domain::RequestState::Failed),
            left_queued: report.submit.left_queued as i64,
            auto_linked: report.lookup.linked.len() as i64,
            recovered: report.recovered.len() as i64,
            hold: report.submit.hold.as_ref().map(|hold| match hold {
                Hold::RateWindow { free_in } => format!(
                    "the provider's per-minute limit is reached; submit again in {} s",
                    free_in.as_secs().max(1)
                ),
                Hold::InFlight { in_flight } => format!(
                    "{in_flight} renders are in flight, the provider's limit; submit again when some finish"
                ),
                Hold::ProviderBusy { reason } => format!("the provider is busy ({reason}); nothing was charged"),
            }),
        }
    }
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

/// What a native dialog picks a path for (`pick_path`); the token it returns is good only
/// for that use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PickKind {
    /// A folder to watch (`open_folder`).
    Folder,
    /// A file for the queued request bodies (`export_requests`).
    Requests,
    /// A file for the timeline (`export_timeline`).
    Timeline,
}

/// A path the user picked: the one-use token a command takes, and the path to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PickedPathDto {
    /// Handed back to the command that uses the path; good once.
    pub token: String,
    /// The path, for display only.
    pub path: String,
}

/// Where `export_requests` wrote the request bodies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportRequestsDto {
    /// The written file.
    pub path: String,
    /// How many requests it holds.
    pub count: i64,
    /// The watched folder the file was written into, if it was.
    pub watched_folder: Option<String>,
}

impl ExportRequestsDto {
    /// `count` requests written to `path`, inside `watched_folder` if that is given.
    pub fn new(
        path: &std::path::Path,
        count: usize,
        watched_folder: Option<std::path::PathBuf>,
    ) -> ExportRequestsDto {
        ExportRequestsDto {
            path: path.display().to_string(),
            count: count as i64,
            watched_folder: watched_folder.map(|f| f.display().to_string()),
        }
    }
}

impl ResolveAction {
    /// The core's resolution; `link` needs the generation id.
    pub fn resolution(self, generation_id: Option<String>) -> Result<Resolution, IpcError> {
        match (self, generation_id) {
            (ResolveAction::Link, Some(id)) => Ok(Resolution::Link(id.trim().to_owned())),
            (ResolveAction::Link, None) => Err(IpcError::new(
                ErrorCode::Invalid,
                "linking needs the generation id from the provider's page",
            )),
            (ResolveAction::Resend, _) => Ok(Resolution::Resend),
            (ResolveAction::Cancel, _) => Ok(Resolution::Cancel),
        }
    }
}

/// Timeline formats Premiere imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Final Cut Pro 7 XML (xmeml), the default.
    Fcp7xml,
    /// CMX3600 EDL.
    Edl,
    /// OpenTimelineIO JSON.
    Otio,
    /// A CSV shot list.
    Csv,
}

impl From<ExportFormat> for export::ExportFormat {
    fn from(f: ExportFormat) -> export::ExportFormat {
        match f {
            ExportFormat::Fcp7xml => export::ExportFormat::Fcp7Xml,
            ExportFormat::Edl => export::ExportFormat::Edl,
            ExportFormat::Otio => export::ExportFormat::Otio,
            ExportFormat::Csv => export::ExportFormat::Csv,
        }
    }
}

/// What to put on the timeline for a shot without an approved or final take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum PlaceholderMode {
    /// A placeholder clip (its best take, marked).
    Include,
    /// A gap of the shot's length.
    Gap,
    /// Nothing.
    Skip,
}

impl From<PlaceholderMode> for export::Placeholders {
    fn from(p: PlaceholderMode) -> export::Placeholders {
        match p {
            PlaceholderMode::Include => export::Placeholders::Include,
            PlaceholderMode::Gap => export::Placeholders::Gap,
            PlaceholderMode::Skip => export::Placeholders::Skip,
        }
    }
}

/// Where `export_timeline` wrote the timeline and what it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TimelineExportDto {
    /// The written file.
    pub path: String,
    /// Clips placed.
    pub clips: i64,
    /// Gaps left.
    pub gaps: i64,
    /// Placeholder clips placed.
    pub placeholders: i64,
    /// The watched folder the file was written into, if it was (Takeboard ignores it there,
    /// but the user should know it sits among the takes).
    pub watched_folder: Option<String>,
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
}

/// The `library-changed` event: the UI refetches what it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LibraryEvent {
    /// What changed.
    pub kind: LibraryEventKind,
    /// The take concerned.
    pub take_id: i64,
    /// Its shot (after the change).
    pub shot_id: i64,
}

impl ShotDto {
    /// A shot's row with its takes (`takes` may hold other shots' takes), derived state
    /// and credits.
    pub fn new(
        shot: &ShotRow,
        takes: &[TakeRow],
        state: domain::ShotState,
        credits: Option<&takeboard_core::pricing::ShotCredits>,
    ) -> ShotDto {
        let own: Vec<&TakeRow> = takes.iter().filter(|t| t.shot_id == shot.id).collect();
        let count = |pred: &dyn Fn(&TakeRow) -> bool| own.iter().filter(|t| pred(t)).count() as i64;
        ShotDto {
            id: shot.id,
            code: shot.code.clone(),
            name: shot.name.clone(),
            position: shot.position,
            state: state.into(),
            take_count: own.len() as i64,
            missing_count: count(&|t| t.presence == Presence::Missing),
            approved_take_id: own
                .iter()
                .find(|t| t.status == domain::TakeStatus::Approved)
                .map(|t| t.id),
            final_take_id: own.iter().find(|t| t.is_final).map(|t| t.id),
            credits_spent: credits.map_or(0.0, |c| c.spent as f64),
            credits_pending: credits.map_or(0.0, |c| c.pending as f64),
        }
    }
}

impl TakeDto {
    /// A take's row with its notes, priced with the project's table.
    pub fn new(take: &TakeRow, notes: Vec<Note>, pricing: &PricingTable) -> TakeDto {
        let media = take.media.as_ref();
        TakeDto {
            id: take.id,
            shot_id: take.shot_id,
            file_name: take
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path: take.path.display().to_string(),
            origin: take.origin.into(),
            status: take.status.into(),
            is_final: take.is_final,
            duration_s: media.map(|m| m.duration_s),
            frames: media.map(|m| m.frames as i64),
            fps: media.map(|m| m.fps.to_string()),
            fps_num: media.map(|m| m.fps.num),
            fps_den: media.map(|m| m.fps.den),
            width: media.map(|m| m.width),
            height: media.map(|m| m.height),
            codec: media.map(|m| m.codec.clone()),
            has_audio: media.map(|m| m.has_audio),
            generation_id: take.generation_id.clone(),
            prompt: take.prompt.clone(),
            aspect_ratio: take.aspect_ratio.clone(),
            resolution: take.resolution.clone(),
            present: take.presence == Presence::Present,
            error: take.error.clone(),
            sidecar_error: take.sidecar_error.clone(),
            trim_in: take.trim_in.map(|f| f as i64),
            trim_out: take.trim_out.map(|f| f as i64),
            notes: notes.into_iter().map(NoteDto::from).collect(),
            credits: media
                .and_then(|m| pricing.take_credits(take.origin, whole_seconds(m.duration_s)))
                .map(|c| c as f64),
            media_path: MediaServer::url_path(take.id),
        }
    }
}

impl From<Note> for NoteDto {
    fn from(n: Note) -> NoteDto {
        NoteDto {
            id: n.id,
            frame: n.frame as i64,
            text: n.text,
            author: n.author,
            created_at: n.created_at,
        }
    }
}

impl From<RenderRequest> for RequestDto {
    fn from(r: RenderRequest) -> RequestDto {
        RequestDto {
            id: r.id,
            take_id: r.take_id,
            shot_id: r.shot_id,
            shot_code: r.shot_code,
            mode: r.draft.mode.into(),
            model: r.draft.model,
            resolution: r.draft.resolution,
            duration_s: Some(r.draft.duration_s),
            credits_estimate: r.draft.credits_estimate as f64,
            state: r.state.into(),
            generation_id: r.provider_generation_id,
            result_take_id: r.result_take_id,
            failure_reason: r.failure_reason,
            missing: r.draft.missing,
            created_at: r.created_at,
            candidates: r
                .candidates
                .into_iter()
                .map(|c| CandidateDto {
                    generation_id: c.generation_id,
                    created_at: c.created_at,
                    state: c.state,
                    exact: c.exact,
                })
                .collect(),
            exported_at: r.exported_at,
            sender: r.sender.map(|s| format!("pid {} on {}", s.pid, s.host)),
        }
    }
}

impl From<CreditsReport> for CreditsDto {
    fn from(r: CreditsReport) -> CreditsDto {
        CreditsDto {
            spent: r.spent as f64,
            pending: r.pending as f64,
            budget: r.budget.map(|b| b as f64),
            over_budget: r.over_budget,
            per_shot: r
                .per_shot
                .into_iter()
                .map(|s| ShotCreditsDto {
                    shot_id: s.shot_id,
                    spent: s.spent as f64,
                    pending: s.pending as f64,
                })
                .collect(),
        }
    }
}

impl SettingsDto {
    /// The dialog's view of a project's settings.
    pub fn new(settings: &ProjectSettings, api_key_set: bool) -> SettingsDto {
        SettingsDto {
            flash_per_second: settings.pricing.flash_per_second as f64,
            standard_per_second: settings.pricing.standard_per_second as f64,
            upscale4k: settings.pricing.upscale_4k as f64,
            usd_per_second: settings.pricing.usd_per_second,
            default_mode: settings.default_mode.into(),
            default_resolution: settings.default_resolution.clone(),
            fps_fallback: settings.fps_fallback.to_string(),
            budget: settings.budget.map(|b| b as f64),
            api_key_set,
        }
    }

    /// `current` with the dialog's edits applied (fields the dialog does not show, such as
    /// the shot-code pattern, are kept). Credits must be whole numbers.
    pub fn apply_to(&self, current: ProjectSettings) -> Result<ProjectSettings, IpcError> {
        let credits = |what: &str, v: f64| -> Result<i64, IpcError> {
            if v.is_finite() && v.fract() == 0.0 && v >= 0.0 && v <= i64::MAX as f64 {
                Ok(v as i64)
            } else {
                Err(IpcError::new(
                    ErrorCode::Invalid,
                    format!("{what} must be a whole number of credits, 0 or more (got {v})"),
                ))
            }
        };
        let fps_fallback = self
            .fps_fallback
            .parse()
            .map_err(|e: domain::ParseEnumError| {
                IpcError::new(ErrorCode::Invalid, e.to_string())
            })?;
        Ok(ProjectSettings {
            pricing: PricingTable {
                flash_per_second: credits("Flash credits per second", self.flash_per_second)?,
                standard_per_second: credits(
                    "Standard credits per second",
                    self.standard_per_second,
                )?,
                upscale_4k: credits("the 4K upscale price", self.upscale4k)?,
                usd_per_second: self.usd_per_second,
            },
            default_mode: self.default_mode.into(),
            default_resolution: self.default_resolution.clone(),
            fps_fallback,
            budget: self.budget.map(|b| credits("the budget", b)).transpose()?,
            ..current
        })
    }
}

impl From<&IngestEvent> for LibraryEvent {
    fn from(e: &IngestEvent) -> LibraryEvent {
        let (kind, take, shot) = match e {
            IngestEvent::Added { take, shot_id, .. } => {
                (LibraryEventKind::TakeAdded, take, shot_id)
            }
            IngestEvent::Changed { take, shot_id, .. } => {
                (LibraryEventKind::TakeChanged, take, shot_id)
            }
            IngestEvent::Missing { take, shot_id, .. } => {
                (LibraryEventKind::TakeMissing, take, shot_id)
            }
            IngestEvent::Restored { take, shot_id, .. } => {
                (LibraryEventKind::TakeRestored, take, shot_id)
            }
        };
        LibraryEvent {
            kind,
            take_id: *take,
            shot_id: *shot,
        }
    }
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
        ExportRequestsDto::export_all(&cfg).expect("export ExportRequestsDto");
        ExportFormat::export_all(&cfg).expect("export ExportFormat");
        PlaceholderMode::export_all(&cfg).expect("export PlaceholderMode");
        TimelineExportDto::export_all(&cfg).expect("export TimelineExportDto");
        LibraryEvent::export_all(&cfg).expect("export LibraryEvent");
        ResolveAction::export_all(&cfg).expect("export ResolveAction");
        SubmitDto::export_all(&cfg).expect("export SubmitDto");
        PickKind::export_all(&cfg).expect("export PickKind");
        PickedPathDto::export_all(&cfg).expect("export PickedPathDto");
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
            take_id: 4,
            shot_id: 2,
        };
        assert_eq!(
            serde_json::to_value(event).unwrap(),
            serde_json::json!({"kind": "take-restored", "takeId": 4, "shotId": 2})
        );
    }

    #[test]
    fn a_locked_library_maps_to_the_locked_code() {
        let e = IpcError::from(CatalogError::Locked(PathBuf::from("/tmp/l.db")));
        assert_eq!(e.code, ErrorCode::Locked);
        assert!(e.message.contains("/tmp/l.db"), "{}", e.message);
    }
}
