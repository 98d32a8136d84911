//! The `#[tauri::command]`s of the IPC contract (`/work/wt/IPC.md`).
//!
//! Each command is thin: managed state + plain arguments → one core call → a DTO or an
//! [`IpcError`]. Commands take ids, never paths, except the folder and destination the user
//! picked in a native dialog. They run off the main thread (`async`), so a long scan or
//! export never freezes the window.

use std::path::PathBuf;

use tauri::State;

use crate::ipc::{
    AppInfo, ApprovalDto, CreditsDto, ErrorCode, ExportRequestsResult, ExportTimelineResult,
    IpcError, PlaceholderPolicy, RenderMode, RequestDto, SettingsDto, ShotDto, TakeDto, TakeStatus,
    TimelineFormat,
};
use crate::state::AppState;

/// The error of a command whose core call has not landed yet.
// TODO(core-merge): every caller of this goes once the lead's catalog/ingest/review API is
// merged; it exists so the UI can be built against the full command list today.
fn not_wired(command: &str) -> IpcError {
    IpcError::new(
        ErrorCode::Internal,
        format!(
            "{command} is not available in this build yet (the core API it calls has not landed)"
        ),
    )
}

/// The open library, the media server's address and token, the app version.
#[tauri::command(async)]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo, IpcError> {
    let project = state.project()?;
    state.with_catalog(|_catalog| {
        // TODO(core-merge): project name and folders from catalog::projects.
        let project_name: Option<String> = project.map(|id| format!("project {id}"));
        Ok(AppInfo {
            library_path: state.library_path().display().to_string(),
            project_name,
            folders: Vec::new(),
            media_base_url: state.media().base_url(),
            media_token: state.media().token().to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        })
    })
}

/// Adds the folder the user picked to the current project (creating a project named after
/// it if none), scans it and starts watching it.
#[tauri::command(async)]
pub fn open_folder(state: State<'_, AppState>, path: PathBuf) -> Result<AppInfo, IpcError> {
    let _ = (&state, path);
    Err(not_wired("open_folder"))
}

/// The current project's shots, in order.
#[tauri::command(async)]
pub fn list_shots(state: State<'_, AppState>) -> Result<Vec<ShotDto>, IpcError> {
    let _ = &state;
    Err(not_wired("list_shots"))
}

/// A shot's takes.
#[tauri::command(async)]
pub fn list_takes(state: State<'_, AppState>, shot_id: i64) -> Result<Vec<TakeDto>, IpcError> {
    let _ = (&state, shot_id);
    Err(not_wired("list_takes"))
}

/// Marks a take unreviewed, selected, hold or rejected.
#[tauri::command(async)]
pub fn set_status(
    state: State<'_, AppState>,
    take_id: i64,
    status: TakeStatus,
) -> Result<TakeDto, IpcError> {
    let _ = (&state, take_id, status);
    Err(not_wired("set_status"))
}

/// Approves a take: one render request for a Flash take, final for a Standard one.
#[tauri::command(async)]
pub fn approve_take(
    state: State<'_, AppState>,
    take_id: i64,
    mode: Option<RenderMode>,
    resolution: Option<String>,
) -> Result<ApprovalDto, IpcError> {
    let _ = (&state, take_id, mode, resolution);
    Err(not_wired("approve_take"))
}

/// Withdraws an approval (cancelling its queued request).
#[tauri::command(async)]
pub fn unapprove_take(state: State<'_, AppState>, take_id: i64) -> Result<TakeDto, IpcError> {
    let _ = (&state, take_id);
    Err(not_wired("unapprove_take"))
}

/// Marks a take as its shot's final take.
#[tauri::command(async)]
pub fn mark_final(state: State<'_, AppState>, take_id: i64) -> Result<TakeDto, IpcError> {
    let _ = (&state, take_id);
    Err(not_wired("mark_final"))
}

/// Sets or clears a take's in/out points (frames).
#[tauri::command(async)]
pub fn set_trim(
    state: State<'_, AppState>,
    take_id: i64,
    trim_in: Option<i64>,
    trim_out: Option<i64>,
) -> Result<TakeDto, IpcError> {
    let _ = (&state, take_id, trim_in, trim_out);
    Err(not_wired("set_trim"))
}

/// Adds a note anchored to a frame.
#[tauri::command(async)]
pub fn add_note(
    state: State<'_, AppState>,
    take_id: i64,
    frame: i64,
    text: String,
) -> Result<TakeDto, IpcError> {
    let _ = (&state, take_id, frame, text);
    Err(not_wired("add_note"))
}

/// Moves a take to the shot with `shot_code` (created if needed).
#[tauri::command(async)]
pub fn move_take(
    state: State<'_, AppState>,
    take_id: i64,
    shot_code: String,
) -> Result<TakeDto, IpcError> {
    let _ = (&state, take_id, shot_code);
    Err(not_wired("move_take"))
}

/// Renames a shot.
#[tauri::command(async)]
pub fn rename_shot(
    state: State<'_, AppState>,
    shot_id: i64,
    name: String,
) -> Result<ShotDto, IpcError> {
    let _ = (&state, shot_id, name);
    Err(not_wired("rename_shot"))
}

/// Moves a shot to `position` in the shot list; returns the new order.
#[tauri::command(async)]
pub fn reorder_shot(
    state: State<'_, AppState>,
    shot_id: i64,
    position: i64,
) -> Result<Vec<ShotDto>, IpcError> {
    let _ = (&state, shot_id, position);
    Err(not_wired("reorder_shot"))
}

/// The project's render requests.
#[tauri::command(async)]
pub fn list_requests(state: State<'_, AppState>) -> Result<Vec<RequestDto>, IpcError> {
    let _ = &state;
    Err(not_wired("list_requests"))
}

/// Cancels a queued request.
#[tauri::command(async)]
pub fn cancel_request(state: State<'_, AppState>, request_id: i64) -> Result<RequestDto, IpcError> {
    let _ = (&state, request_id);
    Err(not_wired("cancel_request"))
}

/// Writes the queued requests as Luma API bodies to `dest` (picked in the save dialog).
#[tauri::command(async)]
pub fn export_requests(
    state: State<'_, AppState>,
    dest: PathBuf,
) -> Result<ExportRequestsResult, IpcError> {
    let _ = (&state, dest);
    Err(not_wired("export_requests"))
}

/// Submits the queued requests to the provider (refused with `provider` without a key).
#[tauri::command(async)]
pub fn submit_requests(state: State<'_, AppState>) -> Result<Vec<RequestDto>, IpcError> {
    let _ = &state;
    Err(not_wired("submit_requests"))
}

/// Credits spent and pending, per project and per shot.
#[tauri::command(async)]
pub fn credits(state: State<'_, AppState>) -> Result<CreditsDto, IpcError> {
    let _ = &state;
    Err(not_wired("credits"))
}

/// The project's settings.
#[tauri::command(async)]
pub fn get_settings(state: State<'_, AppState>) -> Result<SettingsDto, IpcError> {
    let _ = &state;
    Err(not_wired("get_settings"))
}

/// Saves the project's settings and, when given, the provider API key.
#[tauri::command(async)]
pub fn save_settings(
    state: State<'_, AppState>,
    settings: SettingsDto,
    api_key: Option<String>,
) -> Result<SettingsDto, IpcError> {
    let _ = (&state, settings, api_key);
    Err(not_wired("save_settings"))
}

/// Exports the shot list as a timeline to `dest` (picked in the save dialog).
#[tauri::command(async)]
pub fn export_timeline(
    state: State<'_, AppState>,
    format: TimelineFormat,
    dest: PathBuf,
    shot_ids: Option<Vec<i64>>,
    placeholders: PlaceholderPolicy,
    start: Option<String>,
) -> Result<ExportTimelineResult, IpcError> {
    let _ = (&state, format, dest, shot_ids, placeholders, start);
    Err(not_wired("export_timeline"))
}
