//! The `#[tauri::command]`s of the IPC contract (`docs/ipc.md`).
//!
//! Each command is thin: managed state + plain arguments → one core call → a DTO or an
//! [`IpcError`]. Commands take ids, never paths, except the folder and destination the user
//! picked in a native dialog. They run off the main thread (`async`), so a long scan or
//! export never freezes the window.

use std::collections::HashMap;
use std::path::Path;

use takeboard_core::catalog::{projects, shots, spend, takes, Catalog};
use takeboard_core::domain::{ProjectId, ShotState, TakeId};
use takeboard_core::export::{self, ExportOptions};
use takeboard_core::ingest;

use takeboard_core::render::key;
use takeboard_core::render::outbox::{self, SubmitScope};
use takeboard_core::review::{self, ApproveOptions};

use tauri::{AppHandle, Runtime, State};

use crate::events;
use crate::ipc::{
    AppInfo, ApprovalDto, CreditsDto, ErrorCode, ExportFormat, ExportRequestsDto, IpcError,
    PickKind, PickedPathDto, PlaceholderMode, RequestDto, ResolveAction, SettingsDto, ShotDto,
    SubmitDto, TakeDto, TakeStatus, TimelineExportDto,
};
use crate::state::{ingest_config, AppState};

/// The current project's name and folders plus the media server's address.
fn app_info_of(state: &AppState) -> Result<AppInfo, IpcError> {
    let project = state.project()?;
    state.with_catalog(|cat| {
        let (project_name, folders) = match project {
            Some(id) => (
                Some(projects::project(cat.conn(), id)?.name),
                projects::folders(cat.conn(), id)?
                    .into_iter()
                    .map(|f| f.path.display().to_string())
                    .collect(),
            ),
            None => (None, Vec::new()),
        };
        Ok(AppInfo {
            library_path: state.library_path().display().to_string(),
            project_name,
            folders,
            media_base_url: state.media().base_url(),
            media_token: state.media().token().to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        })
    })
}

/// Adds `folder` to the current project (or the library's only project, or a new one
/// named after the folder), scans it, and watches the project's folders with changes
/// going to the window. Shared by the `open_folder` command and `--folder` at launch.
pub fn open_folder_in<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    folder: &Path,
) -> Result<AppInfo, IpcError> {
    let current = state.project()?;
    let project = state.with_catalog(|cat| {
        let name = match current {
            Some(id) => Some(projects::project(cat.conn(), id)?.name),
            None => None,
        };
        Ok(ingest::attach_folder(cat, name.as_deref(), folder)?)
    })?;
    let cfg = ingest_config();
    ingest::reconcile_project(&state.shared_catalog()?, project, &cfg, cfg.settle * 2)?;
    state.watch_project(project, events::library_changed_sink(app.clone()))?;
    app_info_of(state)
}

fn take_dto(cat: &Catalog, take_id: TakeId) -> Result<TakeDto, IpcError> {
    let conn = cat.conn();
    let row = takes::take(conn, take_id)?;
    let pricing = projects::load_settings(conn, row.project_id)?.pricing;
    Ok(TakeDto::new(&row, review::notes(conn, take_id)?, &pricing))
}

fn shot_dtos(cat: &Catalog, project: ProjectId) -> Result<Vec<ShotDto>, IpcError> {
    let conn = cat.conn();
    let all_takes = takes::takes(conn, project, None)?;
    let states: HashMap<i64, ShotState> = review::shot_states(conn, project)?.into_iter().collect();
    let credits = spend::credits(conn, project)?;
    Ok(shots::shots(conn, project)?
        .iter()
        .map(|shot| {
            ShotDto::new(
                shot,
                &all_takes,
                states
                    .get(&shot.id)
                    .copied()
                    .unwrap_or(ShotState::Exploring),
                credits.per_shot.iter().find(|c| c.shot_id == shot.id),
            )
        })
        .collect())
}

fn shot_code(cat: &Catalog, shot_id: i64) -> Result<(ProjectId, String), IpcError> {
    let shot = shots::shot(cat.conn(), shot_id)?;
    Ok((shot.project_id, shot.code))
}

/// The open library, the media server's address and token, the app version.
#[tauri::command(async)]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo, IpcError> {
    app_info_of(&state)
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
        .pick(&app, kind, format.unwrap_or(ExportFormat::Fcp7xml)))
}

/// Adds the folder picked for `token` (`pick_path`) to the current project (creating a
/// project named after it if none), scans it and starts watching it.
#[tauri::command(async)]
pub fn open_folder<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    token: String,
) -> Result<AppInfo, IpcError> {
    let path = state.picks().take(&token, PickKind::Folder)?;
    open_folder_in(&app, &state, &path)
}

/// The current project's shots, in order.
#[tauri::command(async)]
pub fn list_shots(state: State<'_, AppState>) -> Result<Vec<ShotDto>, IpcError> {
    let project = state.require_project()?;
    state.with_catalog(|cat| shot_dtos(cat, project))
}

/// A shot's takes.
#[tauri::command(async)]
pub fn list_takes(state: State<'_, AppState>, shot_id: i64) -> Result<Vec<TakeDto>, IpcError> {
    state.with_catalog(|cat| {
        let conn = cat.conn();
        let shot = shots::shot(conn, shot_id)?;
        let pricing = projects::load_settings(conn, shot.project_id)?.pricing;
        takes::takes(conn, shot.project_id, Some(shot_id))?
            .iter()
            .map(|row| Ok(TakeDto::new(row, review::notes(conn, row.id)?, &pricing)))
            .collect()
    })
}

/// Marks a take unreviewed, selected, hold or rejected.
#[tauri::command(async)]
pub fn set_status(
    state: State<'_, AppState>,
    take_id: i64,
    status: TakeStatus,
) -> Result<TakeDto, IpcError> {
    state.with_catalog(|cat| {
        review::set_status(cat, take_id, status.into())?;
        take_dto(cat, take_id)
    })
}

/// Approves a take: one render request for a Flash take, final for a Standard one.
#[tauri::command(async)]
pub fn approve_take(
    state: State<'_, AppState>,
    take_id: i64,
    mode: Option<crate::ipc::RenderMode>,
    resolution: Option<String>,
) -> Result<ApprovalDto, IpcError> {
    state.with_catalog(|cat| {
        let options = ApproveOptions {
            mode: mode.map(Into::into),
            resolution,
        };
        let approval = review::approve(cat, take_id, options)?;
        Ok(ApprovalDto {
            take: take_dto(cat, take_id)?,
            request: approval.request.map(RequestDto::from),
            budget_warning: approval.budget_warning,
        })
    })
}

/// Withdraws an approval (cancelling its queued request).
#[tauri::command(async)]
pub fn unapprove_take(state: State<'_, AppState>, take_id: i64) -> Result<TakeDto, IpcError> {
    state.with_catalog(|cat| {
        review::unapprove(cat, take_id)?;
        take_dto(cat, take_id)
    })
}

/// Marks a take as its shot's final take.
#[tauri::command(async)]
pub fn mark_final(state: State<'_, AppState>, take_id: i64) -> Result<TakeDto, IpcError> {
    state.with_catalog(|cat| {
        review::mark_final(cat, take_id)?;
        take_dto(cat, take_id)
    })
}

/// Sets or clears a take's in/out points (frames).
#[tauri::command(async)]
pub fn set_trim(
    state: State<'_, AppState>,
    take_id: i64,
    trim_in: Option<i64>,
    trim_out: Option<i64>,
) -> Result<TakeDto, IpcError> {
    let frame = |f: i64| {
        u64::try_from(f).map_err(|_| {
            IpcError::new(
                ErrorCode::Invalid,
                format!("a trim point cannot be negative ({f})"),
            )
        })
    };
    let trim_in = trim_in.map(frame).transpose()?;
    let trim_out = trim_out.map(frame).transpose()?;
    state.with_catalog(|cat| {
        review::set_trim(cat, take_id, trim_in, trim_out)?;
        take_dto(cat, take_id)
    })
}

/// Adds a note anchored to a frame.
#[tauri::command(async)]
pub fn add_note(
    state: State<'_, AppState>,
    take_id: i64,
    frame: i64,
    text: String,
) -> Result<TakeDto, IpcError> {
    let frame = u64::try_from(frame).map_err(|_| {
        IpcError::new(
            ErrorCode::Invalid,
            format!("a note's frame cannot be negative ({frame})"),
        )
    })?;
    state.with_catalog(|cat| {
        review::add_note(cat, take_id, frame, &text)?;
        take_dto(cat, take_id)
    })
}

/// Moves a take to the shot with `shot_code` (created if needed).
#[tauri::command(async)]
pub fn move_take(
    state: State<'_, AppState>,
    take_id: i64,
    shot_code: String,
) -> Result<TakeDto, IpcError> {
    state.with_catalog(|cat| {
        cat.move_take(take_id, &shot_code)?;
        take_dto(cat, take_id)
    })
}

/// Renames a shot.
#[tauri::command(async)]
pub fn rename_shot(
    state: State<'_, AppState>,
    shot_id: i64,
    name: String,
) -> Result<ShotDto, IpcError> {
    state.with_catalog(|cat| {
        let (project, code) = shot_code(cat, shot_id)?;
        cat.rename_shot(project, &code, &name)?;
        shot_dtos(cat, project)?
            .into_iter()
            .find(|s| s.id == shot_id)
            .ok_or_else(|| IpcError::new(ErrorCode::NotFound, format!("no shot with id {shot_id}")))
    })
}

/// Moves a shot to the 1-based `position` in the shot list; returns the new order.
#[tauri::command(async)]
pub fn reorder_shot(
    state: State<'_, AppState>,
    shot_id: i64,
    position: i64,
) -> Result<Vec<ShotDto>, IpcError> {
    state.with_catalog(|cat| {
        let (project, code) = shot_code(cat, shot_id)?;
        cat.reorder_shot(project, &code, position)?;
        shot_dtos(cat, project)
    })
}

fn request_dtos(cat: &Catalog, project: ProjectId) -> Result<Vec<RequestDto>, IpcError> {
    Ok(review::requests(cat.conn(), project)?
        .into_iter()
        .map(RequestDto::from)
        .collect())
}

/// The project's render requests.
#[tauri::command(async)]
pub fn list_requests(state: State<'_, AppState>) -> Result<Vec<RequestDto>, IpcError> {
    let project = state.require_project()?;
    state.with_catalog(|cat| request_dtos(cat, project))
}

/// Cancels a queued request.
#[tauri::command(async)]
pub fn cancel_request(state: State<'_, AppState>, request_id: i64) -> Result<RequestDto, IpcError> {
    state.with_catalog(|cat| Ok(review::cancel_request(cat, request_id)?.into()))
}

/// Writes the queued requests as Luma API bodies to the file picked for `token`
/// (`pick_path`); they become `exported` and Submit no longer sends them.
#[tauri::command(async)]
pub fn export_requests(
    state: State<'_, AppState>,
    token: String,
) -> Result<ExportRequestsDto, IpcError> {
    let dest = state.picks().take(&token, PickKind::Requests)?;
    let project = state.require_project()?;
    state.with_catalog(|cat| {
        let exported = outbox::export_queued(cat, project, &dest)?;
        let inside = projects::watched_folder_holding(cat.conn(), project, &dest)?;
        Ok(ExportRequestsDto::new(&dest, exported.len(), inside))
    })
}

/// Submits the requests the user confirmed (`request_ids`: those of them still queued in
/// the current project, nothing else) and polls the project's submitted ones; refused
/// with `provider` when no API key is set.
///
/// The library is locked per database step only, never while Luma answers; the outbox
/// lock keeps two submits of this window (a double click) from running at once, and the
/// send owner lock keeps other processes from taking over this one's sends.
#[tauri::command(async)]
pub fn submit_requests(
    state: State<'_, AppState>,
    request_ids: Vec<i64>,
) -> Result<SubmitDto, IpcError> {
    let project = state.require_project()?;
    let report = state.submit(SubmitScope::only(project, request_ids))?;
    state.with_catalog(|cat| Ok(SubmitDto::new(&report, request_dtos(cat, project)?)))
}

/// Resolves an `unknown` or `exported` request: link a generation, send again, or cancel.
#[tauri::command(async)]
pub fn resolve_request(
    state: State<'_, AppState>,
    request_id: i64,
    action: ResolveAction,
    generation_id: Option<String>,
) -> Result<RequestDto, IpcError> {
    let resolution = action.resolution(generation_id)?;
    state.with_catalog(|cat| {
        outbox::resolve_request(cat, request_id, resolution)?;
        Ok(review::request(cat.conn(), request_id)?.into())
    })
}

/// Credits spent and pending, per project and per shot.
#[tauri::command(async)]
pub fn credits(state: State<'_, AppState>) -> Result<CreditsDto, IpcError> {
    let project = state.require_project()?;
    state.with_catalog(|cat| Ok(spend::credits(cat.conn(), project)?.into()))
}

/// The project's settings.
#[tauri::command(async)]
pub fn get_settings(state: State<'_, AppState>) -> Result<SettingsDto, IpcError> {
    let project = state.require_project()?;
    state.with_catalog(|cat| {
        let current = projects::load_settings(cat.conn(), project)?;
        Ok(SettingsDto::new(&current, key::user_saved_key().is_some()))
    })
}

/// Saves the project's settings and, when given, the provider API key (an empty one
/// removes the saved key).
#[tauri::command(async)]
pub fn save_settings(
    state: State<'_, AppState>,
    settings: SettingsDto,
    api_key: Option<String>,
) -> Result<SettingsDto, IpcError> {
    let project = state.require_project()?;
    state.with_catalog(|cat| {
        let updated = settings.apply_to(projects::load_settings(cat.conn(), project)?)?;
        cat.write(|tx| projects::save_settings(tx, project, &updated))?;
        if let Some(api_key) = api_key.as_deref() {
            state.key_store()?.save_key(api_key).map_err(|e| {
                IpcError::new(
                    ErrorCode::Io,
                    format!("the API key could not be saved: {e}"),
                )
            })?;
        }
        Ok(SettingsDto::new(&updated, key::user_saved_key().is_some()))
    })
}

/// Exports the shot list as a timeline to the file picked for `token` (`pick_path`).
#[tauri::command(async)]
pub fn export_timeline(
    state: State<'_, AppState>,
    format: ExportFormat,
    token: String,
    shot_ids: Option<Vec<i64>>,
    placeholders: PlaceholderMode,
    start: Option<String>,
) -> Result<TimelineExportDto, IpcError> {
    let dest = state.picks().take(&token, PickKind::Timeline)?;
    let project = state.require_project()?;
    state.with_catalog(|cat| {
        let shots = shot_ids
            .map(|ids| {
                ids.into_iter()
                    .map(|id| Ok(shots::shot(cat.conn(), id)?.code))
                    .collect::<Result<Vec<_>, IpcError>>()
            })
            .transpose()?;
        let timeline = export::project_timeline(cat.conn(), project)?;
        let options = ExportOptions {
            format: format.into(),
            placeholders: placeholders.into(),
            start,
            shots,
        };
        let summary = export::write_export(&timeline, &options, &dest)?;
        let inside = projects::watched_folder_holding(cat.conn(), project, &dest)?;
        Ok(TimelineExportDto {
            path: dest.display().to_string(),
            clips: summary.clips as i64,
            gaps: summary.gaps as i64,
            placeholders: summary.placeholders as i64,
            watched_folder: inside.map(|f| f.display().to_string()),
        })
    })
}
