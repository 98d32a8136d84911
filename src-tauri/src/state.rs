//! The app's managed state: the open library (the core `Catalog` behind a mutex), the current
//! project, its folder watcher and the media server. Built once at launch from the command line; owns nothing
//! the core could own — every rule about the data lives in `takeboard-core`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use takeboard_core::catalog::{default_library_path, lock_shared, projects, takes, Catalog};
use takeboard_core::domain::ProjectId;
use takeboard_core::ingest::{self, IngestConfig, SharedCatalog, WatchHandle};
use takeboard_core::media_server::{MediaServer, MediaServerError, ServedFile};
use takeboard_core::render::key;
use takeboard_core::render::luma::LumaClient;
use takeboard_core::render::outbox::{self, Limits, Outbox, PassReport, SubmitScope, SystemClock};

use crate::ipc::{ErrorCode, IpcError, LibraryEvent};

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchOptions {
    /// The library to open (`--library`, else `TAKEBOARD_LIBRARY`, else the OS app-data file).
    pub library: PathBuf,
    /// A folder to open (watch and scan) right after launch (`--folder`).
    pub folder: Option<PathBuf>,
}

/// A command-line argument the app does not understand.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    /// A flag that needs a value came last.
    #[error("{0} needs a path after it")]
    MissingValue(String),
    /// An argument that is not a known flag.
    #[error("unknown argument '{0}' (expected --library PATH or --folder PATH)")]
    Unknown(String),
}

impl LaunchOptions {
    /// Parses `--library PATH` and `--folder PATH` (also `--flag=PATH`). `env_library` is the
    /// value of `TAKEBOARD_LIBRARY`, used when `--library` is absent.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env_library: Option<PathBuf>,
    ) -> Result<LaunchOptions, LaunchError> {
        let mut library = None;
        let mut folder = None;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
                None => (arg.clone(), None),
            };
            let slot = match flag.as_str() {
                "--library" => &mut library,
                "--folder" => &mut folder,
                _ => return Err(LaunchError::Unknown(arg)),
            };
            let value = inline
                .or_else(|| args.next())
                .ok_or_else(|| LaunchError::MissingValue(flag.clone()))?;
            *slot = Some(PathBuf::from(value));
        }
        Ok(LaunchOptions {
            library: library
                .or(env_library.filter(|p| !p.as_os_str().is_empty()))
                .unwrap_or_else(default_library_path),
            folder,
        })
    }
}

/// Managed state of the app.
pub struct AppState {
    library_path: PathBuf,
    /// The open library, or why it could not be opened (a newer or locked library keeps the
    /// window up and every command answers with that error).
    catalog: Result<SharedCatalog, IpcError>,
    project: Mutex<Option<ProjectId>>,
    watcher: Mutex<Option<WatchHandle>>,
    /// Paths picked in native dialogs, waiting for the command that uses them.
    picks: crate::picks::Picks,
    /// How the media server asks the current watcher to look at a stale file again.
    look_again: Arc<Mutex<Option<ingest::LookAgain>>>,
    /// The render submitter: it owns the create-rate window, so one lives per process.
    outbox: Mutex<Outbox<SystemClock>>,
    media: MediaServer,
}

impl AppState {
    /// Opens the library at `library_path` and starts the media server over it. When the
    /// library holds exactly one project, it becomes the current project.
    ///
    /// A library that cannot be opened does not fail the launch (see [`AppState`]); only a
    /// media server that cannot start is fatal (nothing could play without it).
    pub fn open(library_path: &Path) -> Result<AppState, MediaServerError> {
        let catalog: Result<SharedCatalog, IpcError> = Catalog::open(library_path)
            .map(|mut c| {
                recover_interrupted_sends(&mut c);
                Arc::new(Mutex::new(c))
            })
            .map_err(IpcError::from);
        let only_project = catalog.as_ref().ok().and_then(|c| {
            let c = lock_shared(c);
            match projects::projects(c.conn()).ok()?.as_slice() {
                [only] => Some(only.id),
                _ => None,
            }
        });
        let resolver_catalog = catalog.as_ref().ok().cloned();
        let look_again: Arc<Mutex<Option<ingest::LookAgain>>> = Arc::default();
        let stale_looker = Arc::clone(&look_again);
        let media = MediaServer::start(
            Arc::new(move |take_id| {
                let catalog = lock_shared(resolver_catalog.as_ref()?);
                let (path, stamp) = takes::present_file(catalog.conn(), take_id).ok()??;
                Some(ServedFile { path, stamp })
            }),
            Arc::new(move |_take_id, path| {
                if let Some(looker) = lock(&stale_looker).as_ref() {
                    looker.path(path);
                }
            }),
        )?;
        Ok(AppState {
            library_path: library_path.to_owned(),
            catalog,
            project: Mutex::new(only_project),
            watcher: Mutex::new(None),
            picks: crate::picks::Picks::from_env(),
            look_again,
            outbox: Mutex::new(Outbox::new(Limits::default(), SystemClock)),
            media,
        })
    }

    /// The library file.
    pub fn library_path(&self) -> &Path {
        &self.library_path
    }

    /// The media server.
    pub fn media(&self) -> &MediaServer {
        &self.media
    }

    /// The current project, `None` until a folder is opened.
    pub fn project(&self) -> Result<Option<ProjectId>, IpcError> {
        Ok(*lock(&self.project))
    }

    /// The current project, or a `notFound` error asking the user to open a folder.
    pub fn require_project(&self) -> Result<ProjectId, IpcError> {
        self.project()?.ok_or_else(|| {
            IpcError::new(
                ErrorCode::NotFound,
                "no project is open yet; open a folder of takes first",
            )
        })
    }

    /// Makes `project` the current project and watches its folders, reporting every take
    /// change through `on_change`. Replaces (stops) the previous watcher.
    pub fn watch_project(
        &self,
        project: ProjectId,
        on_change: impl Fn(LibraryEvent) + Send + Sync + 'static,
    ) -> Result<(), IpcError> {
        let catalog = self.shared_catalog()?;
        let mut watcher = lock(&self.watcher);
        // Stop the old loop before the new one does its first reconcile.
        drop(watcher.take());
        *watcher = Some(
            ingest::watch(
                catalog,
                project,
                ingest_config(),
                move |event| on_change(LibraryEvent::from(event)),
                |error| tracing::warn!("watcher: {error}"),
            )
            .map_err(IpcError::from)?,
        );
        *lock(&self.look_again) = watcher.as_ref().map(WatchHandle::look_again);
        *lock(&self.project) = Some(project);
        Ok(())
    }

    /// Runs `f` with the open catalog, or returns why the library is not open.
    pub fn with_catalog<T>(
        &self,
        f: impl FnOnce(&mut Catalog) -> Result<T, IpcError>,
    ) -> Result<T, IpcError> {
        let catalog = self.shared_catalog()?;
        let mut guard = lock_shared(&catalog);
        f(&mut guard)
    }

    /// One outbox pass for `scope` with this process's submitter: recover dead sends, look
    /// up uncertain ones, send what the scope admits, poll. Refused with `provider` when no
    /// API key is set.
    pub fn submit(&self, scope: SubmitScope) -> Result<PassReport, IpcError> {
        let mut catalog = self.shared_catalog()?;
        let saved = key::user_saved_key();
        let client = LumaClient::from_env(saved.as_deref()).ok_or_else(|| {
            IpcError::new(
                ErrorCode::Provider,
                "no Luma API key: save one in Settings (or set LUMA_API_KEY), then submit again",
            )
        })?;
        let mut outbox = lock(&self.outbox);
        Ok(outbox.run_pass(&mut catalog, &client, &scope)?)
    }

    /// Paths picked in native dialogs (one-use tokens).
    pub fn picks(&self) -> &crate::picks::Picks {
        &self.picks
    }

    /// The user's saved API key store; refused with `io` when there is no config dir.
    pub fn key_store(&self) -> Result<key::KeyStore, IpcError> {
        key::KeyStore::user().ok_or_else(|| {
            IpcError::new(
                ErrorCode::Io,
                "no config folder to keep the API key in: set XDG_CONFIG_HOME or HOME",
            )
        })
    }

    /// The shared catalog, for the core functions that lock it themselves (ingest, outbox).
    pub fn shared_catalog(&self) -> Result<SharedCatalog, IpcError> {
        self.catalog.clone()
    }
}

/// Requests left `submitted` without a generation id by a process that is gone become
/// `unknown` (never re-sent without the user); another live window's sends are left alone.
/// Done at open so the queue shows them at once, and again at every submit.
fn recover_interrupted_sends(cat: &mut Catalog) {
    match outbox::recover_interrupted(cat) {
        Ok(ids) => {
            for id in ids {
                tracing::warn!(
                    "render request {id} was being sent when Takeboard stopped; it is now 'unknown'"
                );
            }
        }
        Err(e) => tracing::warn!("could not check for interrupted render requests: {e}"),
    }
}

/// How the app ingests: the core defaults, with the settle window overridable by
/// `TAKEBOARD_SETTLE_MS` (as for the CLI) so tests need not wait two seconds.
pub fn ingest_config() -> IngestConfig {
    let mut cfg = IngestConfig::default();
    if let Some(ms) = std::env::var("TAKEBOARD_SETTLE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        cfg.settle = Duration::from_millis(ms);
    }
    cfg
}

/// Locks app state. A command that panicked while holding a lock left nothing half done
/// (the library's transaction rolled back on drop; the rest is plain values), so a
/// poisoned lock is taken as it is and the app keeps working.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn library_and_folder_flags_open_a_project_directly() {
        let o =
            LaunchOptions::parse(args(&["--library", "/l.db", "--folder=/clips"]), None).unwrap();
        assert_eq!(o.library, PathBuf::from("/l.db"));
        assert_eq!(o.folder, Some(PathBuf::from("/clips")));
    }

    #[test]
    fn the_library_flag_beats_the_environment_which_beats_the_default() {
        let env = Some(PathBuf::from("/env.db"));
        let flag = LaunchOptions::parse(args(&["--library", "/flag.db"]), env.clone()).unwrap();
        assert_eq!(flag.library, PathBuf::from("/flag.db"));
        let from_env = LaunchOptions::parse(args(&[]), env).unwrap();
        assert_eq!(from_env.library, PathBuf::from("/env.db"));
        let default = LaunchOptions::parse(args(&[]), None).unwrap();
        assert_eq!(default.library, default_library_path());
    }

    #[test]
    fn a_flag_without_a_value_or_an_unknown_argument_is_refused() {
        assert_eq!(
            LaunchOptions::parse(args(&["--folder"]), None),
            Err(LaunchError::MissingValue("--folder".into()))
        );
        assert_eq!(
            LaunchOptions::parse(args(&["clips"]), None),
            Err(LaunchError::Unknown("clips".into()))
        );
    }

    #[test]
    fn a_newer_library_keeps_the_app_up_and_every_command_reports_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newer.db");
        rusqlite_free_newer_library(&path);
        let state = AppState::open(&path).expect("the media server starts regardless");
        let err = state.with_catalog(|_| Ok(())).unwrap_err();
        assert_eq!(err.code, ErrorCode::NewerLibrary, "{}", err.message);
    }

    /// Creates a library, closes it, then marks it as written by a future schema: the
    /// schema version (`user_version`) is the big-endian u32 at byte 60 of the file header.
    fn rusqlite_free_newer_library(path: &Path) {
        drop(Catalog::open(path).unwrap());
        let mut bytes = std::fs::read(path).unwrap();
        bytes[60..64].copy_from_slice(&99u32.to_be_bytes());
        std::fs::write(path, bytes).unwrap();
    }
}
