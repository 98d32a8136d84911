//! The data the commands return, each derived from a core view by plain reshaping
//! (JSON spelling, numbers as `f64`/`i64`, paths as text); no rule lives here.

use serde::{Deserialize, Serialize};
use takeboard_core::api::{
    self, ApprovalView, CreditsReport, LibraryInfo, MediaServer, RequestsExport, SettingsView,
    ShotView, SubmitSummary, TakeView, TimelineExport,
};
use takeboard_core::api::{ExportFormat, Placeholders};
use takeboard_core::domain::{
    Note, Origin, Presence, RenderMode, RenderRequest, RequestId, RequestState, Resolution, ShotId,
    ShotState, TakeId, TakeStatus,
};
use ts_rs::TS;

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

/// One shot of the shot list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ShotDto {
    /// Shot id.
    pub id: ShotId,
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
    pub approved_take_id: Option<TakeId>,
    /// The final take, if any.
    pub final_take_id: Option<TakeId>,
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
    pub id: TakeId,
    /// Its shot.
    pub shot_id: ShotId,
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
    pub id: RequestId,
    /// The approved source take.
    pub take_id: TakeId,
    /// Its shot.
    pub shot_id: ShotId,
    /// The shot's code.
    pub shot_code: String,
    /// How the take is promoted.
    pub mode: RenderMode,
    /// Provider model, e.g. `ray-2`.
    pub model: String,
    /// Requested resolution.
    pub resolution: Resolution,
    /// Requested duration in seconds, when known.
    pub duration_s: Option<i64>,
    /// Estimated credits.
    pub credits_estimate: f64,
    /// Where it is.
    pub state: RequestState,
    /// Provider generation id once submitted.
    pub generation_id: Option<String>,
    /// The take that came back.
    pub result_take_id: Option<TakeId>,
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
    pub shot_id: ShotId,
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
pub struct ExportRequestsDto {
    /// The written file.
    pub path: String,
    /// How many requests it holds.
    pub count: i64,
    /// The watched folder the file was written into, if it was.
    pub watched_folder: Option<String>,
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

/// A path the user picked: the one-use token a command takes, and the path to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PickedPathDto {
    /// Handed back to the command that uses the path; good once.
    pub token: String,
    /// The path, for display only.
    pub path: String,
}

impl AppInfo {
    /// The window's start-up facts: the library, the current project, the media server.
    pub fn new(info: LibraryInfo, media: &MediaServer) -> AppInfo {
        AppInfo {
            library_path: info.library_path.display().to_string(),
            project_name: info.project_name,
            folders: info
                .folders
                .iter()
                .map(|f| f.display().to_string())
                .collect(),
            media_base_url: media.base_url(),
            media_token: media.token().to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

impl From<ShotView> for ShotDto {
    fn from(v: ShotView) -> ShotDto {
        ShotDto {
            id: v.shot.id,
            code: v.shot.code,
            name: v.shot.name,
            position: v.shot.position,
            state: v.state,
            take_count: v.take_ids.len() as i64,
            missing_count: v.missing_count as i64,
            approved_take_id: v.approved_take_id,
            final_take_id: v.final_take_id,
            credits_spent: v.credits.spent as f64,
            credits_pending: v.credits.pending as f64,
        }
    }
}

impl From<TakeView> for TakeDto {
    fn from(v: TakeView) -> TakeDto {
        let file_name = v.file_name();
        let take = v.take;
        let media = take.file.media.as_ref();
        TakeDto {
            id: take.id,
            shot_id: take.shot_id,
            file_name,
            path: take.file.path.display().to_string(),
            origin: take.generation.origin,
            status: take.status,
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
            generation_id: take.generation.generation_id,
            prompt: take.generation.prompt,
            aspect_ratio: take.generation.aspect_ratio,
            resolution: take.generation.resolution,
            present: take.presence == Presence::Present,
            error: take.file.error,
            sidecar_error: take.file.sidecar_error,
            trim_in: take.trim_in.map(|f| f as i64),
            trim_out: take.trim_out.map(|f| f as i64),
            notes: v.notes.into_iter().map(NoteDto::from).collect(),
            credits: v.credits.map(|c| c as f64),
            media_path: v.media_path,
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
            mode: r.draft.mode,
            model: r.draft.model,
            resolution: r.draft.resolution,
            duration_s: Some(r.draft.duration_s),
            credits_estimate: r.draft.credits_estimate as f64,
            state: r.state,
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

/// The DTOs of a list of views.
pub fn dtos<V, D: From<V>>(views: Vec<V>) -> Vec<D> {
    views.into_iter().map(D::from).collect()
}

impl From<SubmitSummary> for SubmitDto {
    fn from(s: SubmitSummary) -> SubmitDto {
        SubmitDto {
            requests: dtos(s.requests),
            sent: s.sent as i64,
            uncertain: s.uncertain as i64,
            failed: s.failed as i64,
            left_queued: s.left_queued as i64,
            auto_linked: s.auto_linked.len() as i64,
            recovered: s.recovered.len() as i64,
            hold: s.hold,
        }
    }
}

impl From<ApprovalView> for ApprovalDto {
    fn from(v: ApprovalView) -> ApprovalDto {
        ApprovalDto {
            take: v.take.into(),
            request: v.approval.request.map(RequestDto::from),
            budget_warning: v.approval.budget_warning,
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

impl From<SettingsView> for SettingsDto {
    fn from(v: SettingsView) -> SettingsDto {
        let s = v.settings;
        SettingsDto {
            flash_per_second: s.pricing.flash_per_second as f64,
            standard_per_second: s.pricing.standard_per_second as f64,
            upscale4k: s.pricing.upscale_4k as f64,
            usd_per_second: s.pricing.usd_per_second,
            default_mode: s.default_mode,
            default_resolution: s.default_resolution.to_string(),
            fps_fallback: s.fps_fallback.to_string(),
            budget: s.budget.map(|b| b as f64),
            api_key_set: v.api_key_set,
        }
    }
}

impl From<SettingsDto> for api::SettingsEdit {
    fn from(d: SettingsDto) -> api::SettingsEdit {
        api::SettingsEdit {
            flash_per_second: d.flash_per_second,
            standard_per_second: d.standard_per_second,
            upscale_4k: d.upscale4k,
            usd_per_second: d.usd_per_second,
            default_mode: d.default_mode,
            default_resolution: d.default_resolution,
            fps_fallback: d.fps_fallback,
            budget: d.budget,
        }
    }
}

impl From<RequestsExport> for ExportRequestsDto {
    fn from(w: RequestsExport) -> ExportRequestsDto {
        ExportRequestsDto {
            path: w.path.display().to_string(),
            count: w.content as i64,
            watched_folder: w.watched_folder.map(|f| f.display().to_string()),
        }
    }
}

impl From<TimelineExport> for TimelineExportDto {
    fn from(w: TimelineExport) -> TimelineExportDto {
        TimelineExportDto {
            path: w.path.display().to_string(),
            clips: w.content.clips as i64,
            gaps: w.content.gaps as i64,
            placeholders: w.content.placeholders as i64,
            watched_folder: w.watched_folder.map(|f| f.display().to_string()),
        }
    }
}

/// The export dialog's choices as the core's: every shot, or the listed ids.
pub fn timeline_choice(
    format: ExportFormat,
    placeholders: Placeholders,
    start: Option<String>,
    shot_ids: Option<Vec<ShotId>>,
) -> api::TimelineChoice {
    api::TimelineChoice {
        format,
        placeholders,
        start,
        shots: shot_ids.map_or(api::ShotSelection::All, api::ShotSelection::Ids),
    }
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
