//! **API Boundary.** One function per user action — folders, shots, takes, decisions,
//! render requests, settings, export — with ids in, views out and every check inside.
//! The desktop shell and the CLI call only this module (and the plain values of
//! `domain`); what they add is argument parsing and output shapes.
//!
//! A [`Library`] is one open catalog in this process: it owns the catalog connection, the
//! render submitter (its create-rate window and send owner, one per process), the folder
//! watcher and the route by which the media server asks the watcher to look at a file
//! again.

mod error;
mod views;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::catalog::pg;
use crate::catalog::{lock_shared, projects, shots, spend, takes, Catalog, SharedCatalog};
use crate::domain::{ProjectId, RenderRequest, RequestId, ShotId, ShotState, StudioRole, TakeId};
use crate::export::{self, ExportOptions};
use crate::ingest::{self, IngestConfig, LookAgain, WatchHandle};
use crate::media_server::ServedFile;
use crate::pricing::whole_seconds;
use crate::render::key::{self, KeyStore};
use crate::render::luma::LumaClient;
use crate::render::outbox::{self, Limits, Outbox, SubmitScope, SystemClock};
use crate::review::{self, ApproveOptions};

pub use self::error::{ApiError, ErrorKind};
pub use self::views::{
    ApprovalView, LibraryInfo, NoteAdded, RequestsExport, ResolveAction, SettingsEdit,
    SettingsView, ShotSelection, ShotView, SubmitSummary, TakeView, TimelineExport, Written,
};
pub use crate::catalog::pg::{GrantReport as StudioGrant, InitReport as StudioInit, StudioError};
pub use crate::catalog::{default_library_path, ShotRow, TakeRow};
pub use crate::export::{ExportFormat, ExportSummary, Placeholders};
pub use crate::ingest::{IngestError, IngestEvent, ScanReport};
pub use crate::media_server::MediaServer;
pub use crate::pricing::{CreditsReport, ShotCredits};
pub use crate::review::Approval;
pub use crate::settings::ProjectSettings;

/// How a timeline is exported: the export dialog's or the command line's choices.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TimelineChoice {
    /// File format.
    pub format: ExportFormat,
    /// What stands in for a shot without a final take.
    pub placeholders: Placeholders,
    /// Record start timecode; `None` is 01:00:00:00.
    pub start: Option<String>,
    /// Which shots.
    pub shots: ShotSelection,
}

/// One open library. See the module documentation.
pub struct Library {
    catalog: SharedCatalog,
    ingest: IngestConfig,
    /// The render submitter: it owns the create-rate window, so one lives per process.
    outbox: Mutex<Outbox<SystemClock>>,
    watcher: Mutex<Option<WatchHandle>>,
    /// How the media server asks the current watcher to look at a stale file again.
    look_again: Arc<Mutex<Option<LookAgain>>>,
}

/// Whether `name` is a studio library's URL (`postgres://…` or `postgresql://…`) rather
/// than a file.
pub fn is_studio_library(name: &Path) -> bool {
    name.to_str()
        .is_some_and(|t| t.starts_with("postgres://") || t.starts_with("postgresql://"))
}

/// Copies the library file (and its `-wal`/`-shm`) aside, byte for byte, without opening
/// it: what to do first with a library refused as damaged. Returns the copy's path.
pub fn copy_aside(library: &Path) -> Result<PathBuf, ApiError> {
    Ok(Catalog::copy_aside(library)?)
}

impl Library {
    /// Opens the library `name` names: a `postgres://` URL is a studio library (see
    /// [`is_studio_library`]); anything else is a file, created or migrated.
    pub fn open(name: &Path) -> Result<Library, ApiError> {
        let catalog = match name
            .to_str()
            .filter(|text| is_studio_library(Path::new(text)))
        {
            Some(url) => Catalog::open_studio(&url.parse()?)?,
            None => Catalog::open(name)?,
        };
        Ok(Library {
            catalog: Arc::new(Mutex::new(catalog)),
            ingest: ingest_config(),
            outbox: Mutex::new(Outbox::new(Limits::default(), SystemClock)),
            watcher: Mutex::new(None),
            look_again: Arc::default(),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Catalog) -> Result<T, ApiError>) -> Result<T, ApiError> {
        f(&mut lock_shared(&self.catalog))
    }

    /// Requests left `submitted` without a generation id by a process that is gone become
    /// `unknown` (never re-sent without the user); another live process's sends are left
    /// alone. Every submit does this first; a window does it at launch too, so the queue
    /// shows them at once. Returns the requests recovered.
    pub fn recover_interrupted_sends(&self) -> Result<Vec<RequestId>, ApiError> {
        self.with(|cat| Ok(outbox::recover_interrupted(cat)?))
    }

    // --- projects and folders ---

    /// The library's project when it holds exactly one.
    pub fn only_project(&self) -> Result<Option<ProjectId>, ApiError> {
        self.with(|cat| match projects::projects(cat.conn())?.as_slice() {
            [only] => Ok(Some(only.id)),
            _ => Ok(None),
        })
    }

    /// The project called `name`, else the library's only project.
    pub fn project(&self, name: Option<&str>) -> Result<ProjectId, ApiError> {
        self.with(|cat| {
            let library = cat.path().display().to_string();
            if let Some(name) = name {
                return projects::project_by_name(cat.conn(), name)?
                    .map(|p| p.id)
                    .ok_or_else(|| {
                        ApiError::NotFound(format!("no project named {name:?} in {library}"))
                    });
            }
            match projects::projects(cat.conn())?.as_slice() {
                [only] => Ok(only.id),
                [] => Err(ApiError::NotFound(format!(
                    "the library {library} has no project yet; run `takeboard-cli scan FOLDER` first"
                ))),
                many => Err(ApiError::Invalid(format!(
                    "the library has several projects; name one with --project ({})",
                    many.iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            }
        })
    }

    /// The library file and, when `project` is given, its name and watched folders.
    pub fn info(&self, project: Option<ProjectId>) -> Result<LibraryInfo, ApiError> {
        self.with(|cat| {
            let (project_name, folders) = match project {
                Some(id) => (
                    Some(projects::project(cat.conn(), id)?.name),
                    projects::folders(cat.conn(), id)?
                        .into_iter()
                        .map(|f| f.path)
                        .collect(),
                ),
                None => (None, Vec::new()),
            };
            Ok(LibraryInfo {
                library_path: cat.path().to_owned(),
                project_name,
                folders,
            })
        })
    }

    /// Adds `folder` to `project` (else to the library's only project, or to a new one
    /// named after the folder), scans it briefly and watches the project's folders, each
    /// change going to `on_change`. What the window does when the user opens a folder.
    pub fn open_folder(
        &self,
        project: Option<ProjectId>,
        folder: &Path,
        on_change: impl Fn(&IngestEvent) + Send + 'static,
    ) -> Result<ProjectId, ApiError> {
        let project = self.with(|cat| {
            let name = match project {
                Some(id) => Some(projects::project(cat.conn(), id)?.name),
                None => None,
            };
            Ok(ingest::attach_folder(cat, name.as_deref(), folder)?)
        })?;
        ingest::reconcile_project(&self.catalog, project, &self.ingest, self.ingest.settle * 2)?;
        self.watch(project, on_change, |error| {
            tracing::warn!("watcher: {error}")
        })?;
        Ok(project)
    }

    /// Adds `folder` to the project called `project_name` (created if needed; else the
    /// library's only project or one named after the folder) and indexes it, waiting for
    /// files still being written.
    pub fn scan_folder(
        &self,
        project_name: Option<&str>,
        folder: &Path,
    ) -> Result<ScanReport, ApiError> {
        let project = self.with(|cat| Ok(ingest::attach_folder(cat, project_name, folder)?))?;
        Ok(ingest::reconcile_project(
            &self.catalog,
            project,
            &self.ingest,
            self.ingest.churn_limit,
        )?)
    }

    /// Adds `folder` as [`Library::scan_folder`] does, then watches the project until
    /// [`Library::stop_watching`].
    pub fn watch_folder(
        &self,
        project_name: Option<&str>,
        folder: &Path,
        on_event: impl Fn(&IngestEvent) + Send + 'static,
        on_error: impl Fn(&IngestError) + Send + 'static,
    ) -> Result<ProjectId, ApiError> {
        let project = self.with(|cat| Ok(ingest::attach_folder(cat, project_name, folder)?))?;
        self.watch(project, on_event, on_error)?;
        Ok(project)
    }

    /// Watches `project`'s folders, replacing (stopping) the previous watcher.
    pub fn watch(
        &self,
        project: ProjectId,
        on_event: impl Fn(&IngestEvent) + Send + 'static,
        on_error: impl Fn(&IngestError) + Send + 'static,
    ) -> Result<(), ApiError> {
        let mut watcher = lock(&self.watcher);
        // Stop the old loop before the new one does its first reconcile.
        drop(watcher.take());
        *watcher = Some(ingest::watch(
            Arc::clone(&self.catalog),
            project,
            self.ingest.clone(),
            on_event,
            on_error,
        )?);
        *lock(&self.look_again) = watcher.as_ref().map(WatchHandle::look_again);
        Ok(())
    }

    /// Stops the watcher, if one runs.
    pub fn stop_watching(&self) {
        *lock(&self.look_again) = None;
        if let Some(handle) = lock(&self.watcher).take() {
            handle.stop();
        }
    }

    // --- shots ---

    /// The project's shots, in order.
    pub fn shots(&self, project: ProjectId) -> Result<Vec<ShotView>, ApiError> {
        self.with(|cat| shot_views(cat, project))
    }

    /// The id of the shot with `code` in `project`.
    pub fn shot_id(&self, project: ProjectId, code: &str) -> Result<ShotId, ApiError> {
        self.with(|cat| {
            shots::shot_by_code(cat.conn(), project, code)?
                .map(|s| s.id)
                .ok_or_else(|| ApiError::NotFound(format!("no shot {code}")))
        })
    }

    /// Renames a shot; rescans never undo it.
    pub fn rename_shot(&self, shot: ShotId, name: &str) -> Result<ShotView, ApiError> {
        self.with(|cat| {
            let renamed = cat.rename_shot(shot, name)?;
            shot_view(cat, renamed)
        })
    }

    /// Moves a shot to the 1-based `position` in the shot list; returns the new order.
    pub fn reorder_shot(&self, shot: ShotId, position: i64) -> Result<Vec<ShotView>, ApiError> {
        self.with(|cat| {
            let project = shots::shot(cat.conn(), shot)?.project_id;
            cat.reorder_shot(shot, position)?;
            shot_views(cat, project)
        })
    }

    // --- takes and decisions ---

    /// The project's takes, or only those of `shot`.
    pub fn takes(
        &self,
        project: ProjectId,
        shot: Option<ShotId>,
    ) -> Result<Vec<TakeView>, ApiError> {
        self.with(|cat| take_views(cat, project, shot))
    }

    /// A shot's takes.
    pub fn shot_takes(&self, shot: ShotId) -> Result<Vec<TakeView>, ApiError> {
        self.with(|cat| {
            let project = shots::shot(cat.conn(), shot)?.project_id;
            take_views(cat, project, Some(shot))
        })
    }

    /// Marks a take unreviewed, selected, hold or rejected (approval is [`Library::approve`]).
    pub fn set_status(
        &self,
        take: TakeId,
        status: crate::domain::TakeStatus,
    ) -> Result<TakeView, ApiError> {
        self.with(|cat| {
            review::set_status(cat, take, status)?;
            take_view(cat, take)
        })
    }

    /// Approves a take: exactly one render request for a Flash take, final for a Standard
    /// one. `None` takes the project's default mode and resolution.
    pub fn approve(
        &self,
        take: TakeId,
        mode: Option<crate::domain::RenderMode>,
        resolution: Option<String>,
    ) -> Result<ApprovalView, ApiError> {
        self.with(|cat| {
            let approval = review::approve(cat, take, ApproveOptions { mode, resolution })?;
            Ok(ApprovalView {
                take: take_view(cat, take)?,
                approval,
            })
        })
    }

    /// Withdraws an approval (cancelling its queued request).
    pub fn unapprove(&self, take: TakeId) -> Result<TakeView, ApiError> {
        self.with(|cat| {
            review::unapprove(cat, take)?;
            take_view(cat, take)
        })
    }

    /// Marks a take as its shot's final take.
    pub fn mark_final(&self, take: TakeId) -> Result<TakeView, ApiError> {
        self.with(|cat| {
            review::mark_final(cat, take)?;
            take_view(cat, take)
        })
    }

    /// Clears a take's final mark (its shot has no final take until one is marked again).
    pub fn clear_final(&self, take: TakeId) -> Result<TakeView, ApiError> {
        self.with(|cat| {
            review::clear_final(cat, take)?;
            take_view(cat, take)
        })
    }

    /// Sets or clears a take's in/out points (frames; out is exclusive).
    pub fn set_trim(
        &self,
        take: TakeId,
        trim_in: Option<i64>,
        trim_out: Option<i64>,
    ) -> Result<TakeView, ApiError> {
        let trim_in = trim_in.map(|f| frame("a trim point", f)).transpose()?;
        let trim_out = trim_out.map(|f| frame("a trim point", f)).transpose()?;
        self.with(|cat| {
            review::set_trim(cat, take, trim_in, trim_out)?;
            take_view(cat, take)
        })
    }

    /// Adds a note anchored to a frame.
    pub fn add_note(&self, take: TakeId, at: i64, text: &str) -> Result<NoteAdded, ApiError> {
        let at = frame("a note's frame", at)?;
        self.with(|cat| {
            let note = review::add_note(cat, take, at, text)?;
            Ok(NoteAdded {
                note,
                take: take_view(cat, take)?,
            })
        })
    }

    /// Moves a take to the shot with `shot_code` (created if needed); rescans never undo it.
    pub fn move_take(&self, take: TakeId, shot_code: &str) -> Result<TakeView, ApiError> {
        self.with(|cat| {
            cat.move_take(take, shot_code)?;
            take_view(cat, take)
        })
    }

    // --- render requests ---

    /// The project's render requests.
    pub fn requests(&self, project: ProjectId) -> Result<Vec<RenderRequest>, ApiError> {
        self.with(|cat| Ok(review::requests(cat.conn(), project)?))
    }

    /// Cancels a queued request.
    pub fn cancel_request(&self, request: RequestId) -> Result<RenderRequest, ApiError> {
        self.with(|cat| Ok(review::cancel_request(cat, request)?))
    }

    /// Writes the project's queued requests as Luma API bodies to `dest`; they become
    /// `exported` and Submit no longer sends them.
    pub fn export_requests(
        &self,
        project: ProjectId,
        dest: &Path,
    ) -> Result<RequestsExport, ApiError> {
        let dest = absolute(dest)?;
        self.with(|cat| {
            let exported = outbox::export_queued(cat, project, &dest)?;
            Ok(Written {
                watched_folder: projects::watched_folder_holding(cat.conn(), project, &dest)?,
                path: dest,
                content: exported.len(),
            })
        })
    }

    /// Submits the project's queued requests — only those of `only` when given (what the
    /// user confirmed) — and polls its submitted ones. Refused when no API key is set.
    ///
    /// The library is locked per database step only, never while Luma answers; the outbox
    /// lock keeps two submits of this process (a double click) from running at once, and
    /// the send owner lock keeps other processes from taking over this one's sends.
    pub fn submit(
        &self,
        project: ProjectId,
        only: Option<Vec<RequestId>>,
    ) -> Result<SubmitSummary, ApiError> {
        let client =
            LumaClient::from_env(key::user_saved_key().as_deref()).ok_or(ApiError::NoApiKey)?;
        let scope = match only {
            Some(ids) => SubmitScope::only(project, ids),
            None => SubmitScope::project(project),
        };
        let report = lock(&self.outbox).run_pass(&mut self.catalog.clone(), &client, &scope)?;
        let requests = self.requests(project)?;
        Ok(SubmitSummary::new(&report, requests))
    }

    /// Resolves an `unknown` or `exported` request: link the generation Luma made, send it
    /// again, or cancel it.
    pub fn resolve_request(
        &self,
        request: RequestId,
        action: ResolveAction,
        generation_id: Option<&str>,
    ) -> Result<RenderRequest, ApiError> {
        let resolution = action.resolution(generation_id)?;
        self.with(|cat| {
            outbox::resolve_request(cat, request, resolution)?;
            Ok(review::request(cat.conn(), request)?)
        })
    }

    /// Credits spent and pending, per project and per shot.
    pub fn credits(&self, project: ProjectId) -> Result<CreditsReport, ApiError> {
        self.with(|cat| Ok(spend::credits(cat.conn(), project)?))
    }

    // --- settings ---

    /// The project's settings.
    pub fn settings(&self, project: ProjectId) -> Result<SettingsView, ApiError> {
        self.with(|cat| {
            Ok(SettingsView {
                settings: projects::load_settings(cat.conn(), project)?,
                api_key_set: key::user_saved_key().is_some(),
            })
        })
    }

    /// Saves the settings dialog's edits and, when given, the provider API key (an empty
    /// one removes the saved key).
    pub fn save_settings(
        &self,
        project: ProjectId,
        edit: &SettingsEdit,
        api_key: Option<&str>,
    ) -> Result<SettingsView, ApiError> {
        let settings = self.with(|cat| {
            let updated = edit.apply_to(projects::load_settings(cat.conn(), project)?)?;
            cat.write(|tx| projects::save_settings(tx, project, &updated))?;
            Ok(updated)
        })?;
        if let Some(api_key) = api_key {
            let store = KeyStore::user().ok_or_else(|| {
                ApiError::Io(
                    "no config folder to keep the API key in: set XDG_CONFIG_HOME or HOME".into(),
                )
            })?;
            store
                .save_key(api_key)
                .map_err(|e| ApiError::Io(format!("the API key could not be saved: {e}")))?;
        }
        Ok(SettingsView {
            settings,
            api_key_set: key::user_saved_key().is_some(),
        })
    }

    // --- export ---

    /// Exports the project's shot list as a timeline to `dest`.
    pub fn export_timeline(
        &self,
        project: ProjectId,
        choice: TimelineChoice,
        dest: &Path,
    ) -> Result<TimelineExport, ApiError> {
        let dest = absolute(dest)?;
        self.with(|cat| {
            let shots = match choice.shots {
                ShotSelection::All => None,
                ShotSelection::Codes(codes) => Some(codes),
                ShotSelection::Ids(ids) => Some(
                    ids.into_iter()
                        .map(|id| Ok(shots::shot(cat.conn(), id)?.code))
                        .collect::<Result<Vec<_>, ApiError>>()?,
                ),
            };
            let timeline = export::project_timeline(cat.conn(), project)?;
            let options = ExportOptions {
                format: choice.format,
                placeholders: choice.placeholders,
                start: choice.start,
                shots,
            };
            let summary = export::write_export(&timeline, &options, &dest)?;
            Ok(Written {
                watched_folder: projects::watched_folder_holding(cat.conn(), project, &dest)?,
                path: dest,
                content: summary,
            })
        })
    }

    // --- media ---

    /// Starts the loopback media server over this library's present take files; a stale
    /// file it meets is handed to the watcher to look at again.
    pub fn serve_media(&self) -> Result<MediaServer, ApiError> {
        let catalog = Arc::clone(&self.catalog);
        let looker = Arc::clone(&self.look_again);
        Ok(MediaServer::start(
            Arc::new(move |take_id| {
                let catalog = lock_shared(&catalog);
                let (path, stamp) = takes::present_file(catalog.conn(), take_id).ok()??;
                Some(ServedFile { path, stamp })
            }),
            Arc::new(move |_take_id, path| {
                if let Some(looker) = lock(&looker).as_ref() {
                    looker.path(path);
                }
            }),
        )?)
    }
}

/// Creates or updates the schema and the group roles of the studio library at `url` (a
/// PostgreSQL URL); run by the server's superuser or the database owner.
pub fn studio_init(url: &str) -> Result<StudioInit, ApiError> {
    Ok(pg::init(&url.parse()?)?)
}

/// Gives the person `user` (a login role, created when missing) a studio role.
pub fn studio_grant(url: &str, user: &str, role: StudioRole) -> Result<StudioGrant, ApiError> {
    Ok(pg::grant(&url.parse()?, user, role)?)
}

/// A media server that serves nothing: for a window whose library could not be opened.
pub fn serve_no_media() -> Result<MediaServer, ApiError> {
    Ok(MediaServer::start(Arc::new(|_| None), Arc::new(|_, _| {}))?)
}

fn shot_views(cat: &Catalog, project: ProjectId) -> Result<Vec<ShotView>, ApiError> {
    let conn = cat.conn();
    let all_takes = takes::takes(conn, project, None)?;
    let states = review::shot_states(conn, project)?;
    let credits = spend::credits(conn, project)?;
    Ok(shots::shots(conn, project)?
        .into_iter()
        .map(|shot| {
            let state = states
                .iter()
                .find(|(id, _)| *id == shot.id)
                .map_or(ShotState::Exploring, |(_, s)| *s);
            let credits = credits.per_shot.iter().find(|c| c.shot_id == shot.id);
            ShotView::new(shot, &all_takes, state, credits)
        })
        .collect())
}

fn shot_view(cat: &Catalog, shot: ShotRow) -> Result<ShotView, ApiError> {
    let conn = cat.conn();
    let own_takes = takes::takes(conn, shot.project_id, Some(shot.id))?;
    let state = review::shot_state(conn, shot.id)?;
    let credits = spend::credits(conn, shot.project_id)?;
    let credits = credits.per_shot.iter().find(|c| c.shot_id == shot.id);
    Ok(ShotView::new(shot, &own_takes, state, credits))
}

fn take_views(
    cat: &Catalog,
    project: ProjectId,
    shot: Option<ShotId>,
) -> Result<Vec<TakeView>, ApiError> {
    let conn = cat.conn();
    let pricing = projects::load_settings(conn, project)?.pricing;
    takes::takes(conn, project, shot)?
        .into_iter()
        .map(|take| view_of(cat, take, &pricing))
        .collect()
}

fn take_view(cat: &Catalog, take: TakeId) -> Result<TakeView, ApiError> {
    let row = takes::take(cat.conn(), take)?;
    let pricing = projects::load_settings(cat.conn(), row.project_id)?.pricing;
    view_of(cat, row, &pricing)
}

fn view_of(
    cat: &Catalog,
    take: TakeRow,
    pricing: &crate::pricing::PricingTable,
) -> Result<TakeView, ApiError> {
    Ok(TakeView {
        notes: review::notes(cat.conn(), take.id)?,
        credits: take.file.media.as_ref().and_then(|m| {
            pricing.take_credits(take.generation.origin, whole_seconds(m.duration_s))
        }),
        media_path: MediaServer::url_path(take.id),
        take,
    })
}

/// A frame number from a client: never negative.
fn frame(what: &str, f: i64) -> Result<u64, ApiError> {
    u64::try_from(f).map_err(|_| ApiError::Invalid(format!("{what} cannot be negative ({f})")))
}

/// `path`, made absolute against the current folder.
fn absolute(path: &Path) -> Result<PathBuf, ApiError> {
    if path.is_absolute() {
        return Ok(path.to_owned());
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .map_err(|e| ApiError::Io(format!("cannot resolve {}: {e}", path.display())))
}

/// How ingest runs here: the core defaults, with the settle window overridable by
/// `TAKEBOARD_SETTLE_MS` so tests need not wait two seconds.
fn ingest_config() -> IngestConfig {
    let mut cfg = IngestConfig::default();
    if let Some(ms) = std::env::var("TAKEBOARD_SETTLE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        cfg.settle = Duration::from_millis(ms);
    }
    cfg
}

/// Locks API state. A call that panicked while holding a lock left nothing half done
/// (the library's transaction rolled back on drop; the rest is plain values).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
