//! The `#[tauri::command]`s of the IPC contract (`docs/ipc.md`).
//!
//! Each command is at most five lines: managed state and plain arguments → one
//! `takeboard_core::api` call → a DTO or an [`IpcError`]. Commands take ids, never paths,
//! except the folder and destination the user picked in a native dialog (by token). They
//! run off the main thread (`async`), so a long scan or export never freezes the window.

use tauri::{AppHandle, Runtime, State};

use crate::ipc::{
    dtos, events, timeline_choice, AppInfo, ApprovalDto, CreditsDto, ExportRequestsDto, IpcError,
    PickKind, PickedPathDto, RequestDto, SettingsDto, ShotDto, SubmitDto, TakeDto,
    TimelineExportDto,
};
use crate::state::AppState;
use takeboard_core::api::{ExportFormat, Placeholders, ResolveAction};
use takeboard_core::domain::{RenderMode, RequestId, ShotId, TakeId, TakeStatus};

/// The open library, the media server's address and token, the app version.
#[tauri::command(async)]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo, IpcError> {
    state.app_info()
}

/// Opens the native dialog for `kind` (a timeline's offers `format`'s extension) and
/// returns a one-use token for the path the user picked; `null` when cancelled.
#[tauri::command(async)]
pub fn pick_path<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    kind: PickKind,
    format: Option<ExportFormat>,
) -> Result<Option<PickedPathDto>, IpcError> {
    Ok(state
        .picks()
        .pick(&app, kind, format.unwrap_or(ExportFormat::Fcp7Xml)))
}

/// Adds the folder picked for `token` (`pick_path`) to the current project (creating a
/// project named after it if none), scans it and starts watching it.
#[tauri::command(async)]
pub fn open_folder<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    token: String,
) -> Result<AppInfo, IpcError> {
    let folder = state.picks().take(&token, PickKind::Folder)?;
    state.open_folder(&folder, events::library_changed_sink(app))
}

/// The current project's shots, in order.
#[tauri::command(async)]
pub fn list_shots(state: State<'_, AppState>) -> Result<Vec<ShotDto>, IpcError> {
    let (library, project) = state.project_library()?;
    Ok(dtos(library.shots(project)?))
}

/// A shot's takes.
#[tauri::command(async)]
pub fn list_takes(state: State<'_, AppState>, shot_id: ShotId) -> Result<Vec<TakeDto>, IpcError> {
    Ok(dtos(state.library()?.shot_takes(shot_id)?))
}

/// Marks a take unreviewed, selected, hold or rejected.
#[tauri::command(async)]
pub fn set_status(
    state: State<'_, AppState>,
    take_id: TakeId,
    status: TakeStatus,
) -> Result<TakeDto, IpcError> {
    Ok(state.library()?.set_status(take_id, status)?.into())
}

/// Approves a take: one render request for a Flash take, final for a Standard one.
#[tauri::command(async)]
pub fn approve_take(
    state: State<'_, AppState>,
    take_id: TakeId,
    mode: Option<RenderMode>,
    resolution: Option<String>,
) -> Result<ApprovalDto, IpcError> {
    Ok(state.library()?.approve(take_id, mode, resolution)?.into())
}

/// Withdraws an approval (cancelling its queued request).
#[tauri::command(async)]
pub fn unapprove_take(state: State<'_, AppState>, take_id: TakeId) -> Result<TakeDto, IpcError> {
    Ok(state.library()?.unapprove(take_id)?.into())
}

/// Marks a take as its shot's final take.
#[tauri::command(async)]
pub fn mark_final(state: State<'_, AppState>, take_id: TakeId) -> Result<TakeDto, IpcError> {
    Ok(state.library()?.mark_final(take_id)?.into())
}

/// Clears a take's final mark.
#[tauri::command(async)]
pub fn clear_final(state: State<'_, AppState>, take_id: TakeId) -> Result<TakeDto, IpcError> {
    Ok(state.library()?.clear_final(take_id)?.into())
}

/// Sets or clears a take's in/out points (frames).
#[tauri::command(async)]
pub fn set_trim(
    state: State<'_, AppState>,
    take_id: TakeId,
    trim_in: Option<i64>,
    trim_out: Option<i64>,
) -> Result<TakeDto, IpcError> {
    Ok(state
        .library()?
        .set_trim(take_id, trim_in, trim_out)?
        .into())
}

/// Adds a note anchored to a frame.
#[tauri::command(async)]
pub fn add_note(
    state: State<'_, AppState>,
    take_id: TakeId,
    frame: i64,
    text: String,
) -> Result<TakeDto, IpcError> {
    Ok(state
        .library()?
        .add_note(take_id, frame, &text)?
        .take
        .into())
}

/// Moves a take to the shot with `shot_code` (created if needed).
#[tauri::command(async)]
pub fn move_take(
    state: State<'_, AppState>,
    take_id: TakeId,
    shot_code: String,
) -> Result<TakeDto, IpcError> {
    Ok(state.library()?.move_take(take_id, &shot_code)?.into())
}

/// Renames a shot.
#[tauri::command(async)]
pub fn rename_shot(
    state: State<'_, AppState>,
    shot_id: ShotId,
    name: String,
) -> Result<ShotDto, IpcError> {
    Ok(state.library()?.rename_shot(shot_id, &name)?.into())
}

/// Moves a shot to the 1-based `position` in the shot list; returns the new order.
#[tauri::command(async)]
pub fn reorder_shot(
    state: State<'_, AppState>,
    shot_id: ShotId,
    position: i64,
) -> Result<Vec<ShotDto>, IpcError> {
    Ok(dtos(state.library()?.reorder_shot(shot_id, position)?))
}

/// The project's render requests.
#[tauri::command(async)]
pub fn list_requests(state: State<'_, AppState>) -> Result<Vec<RequestDto>, IpcError> {
    let (library, project) = state.project_library()?;
    Ok(dtos(library.requests(project)?))
}

/// Cancels a queued request.
#[tauri::command(async)]
pub fn cancel_request(
    state: State<'_, AppState>,
    request_id: RequestId,
) -> Result<RequestDto, IpcError> {
    Ok(state.library()?.cancel_request(request_id)?.into())
}

/// Writes the queued requests as Luma API bodies to the file picked for `token`
/// (`pick_path`); they become `exported` and Submit no longer sends them.
#[tauri::command(async)]
pub fn export_requests(
    state: State<'_, AppState>,
    token: String,
) -> Result<ExportRequestsDto, IpcError> {
    let dest = state.picks().take(&token, PickKind::Requests)?;
    let (library, project) = state.project_library()?;
    Ok(library.export_requests(project, &dest)?.into())
}

/// Submits the requests the user confirmed (`request_ids`: those of them still queued in
/// the current project, nothing else) and polls the project's submitted ones; refused
/// with `provider` when no API key is set.
#[tauri::command(async)]
pub fn submit_requests(
    state: State<'_, AppState>,
    request_ids: Vec<RequestId>,
) -> Result<SubmitDto, IpcError> {
    let (library, project) = state.project_library()?;
    Ok(library.submit(project, Some(request_ids))?.into())
}

/// Resolves an `unknown` or `exported` request: link a generation, send again, or cancel.
#[tauri::command(async)]
pub fn resolve_request(
    state: State<'_, AppState>,
    request_id: RequestId,
    action: ResolveAction,
    generation_id: Option<String>,
) -> Result<RequestDto, IpcError> {
    let (library, generation_id) = (state.library()?, generation_id.as_deref());
    let resolved = library.resolve_request(request_id, action, generation_id)?;
    Ok(resolved.into())
}

/// Credits spent and pending, per project and per shot.
#[tauri::command(async)]
pub fn credits(state: State<'_, AppState>) -> Result<CreditsDto, IpcError> {
    let (library, project) = state.project_library()?;
    Ok(library.credits(project)?.into())
}

/// The project's settings.
#[tauri::command(async)]
pub fn get_settings(state: State<'_, AppState>) -> Result<SettingsDto, IpcError> {
    let (library, project) = state.project_library()?;
    Ok(library.settings(project)?.into())
}

/// Saves the project's settings and, when given, the provider API key (an empty one
/// removes the saved key).
#[tauri::command(async)]
pub fn save_settings(
    state: State<'_, AppState>,
    settings: SettingsDto,
    api_key: Option<String>,
) -> Result<SettingsDto, IpcError> {
    let (library, project) = state.project_library()?;
    let saved = library.save_settings(project, &settings.into(), api_key.as_deref())?;
    Ok(saved.into())
}

/// Exports the shot list as a timeline to the file picked for `token` (`pick_path`).
#[tauri::command(async)]
pub fn export_timeline(
    state: State<'_, AppState>,
    format: ExportFormat,
    token: String,
    shot_ids: Option<Vec<ShotId>>,
    placeholders: Placeholders,
    start: Option<String>,
) -> Result<TimelineExportDto, IpcError> {
    let dest = state.picks().take(&token, PickKind::Timeline)?;
    let (library, project) = state.project_library()?;
    let choice = timeline_choice(format, placeholders, start, shot_ids);
    Ok(library.export_timeline(project, choice, &dest)?.into())
}
