//! The app's managed state: the open library (the core `Catalog` behind a mutex), the current
//! project and the media server. Built once at launch from the command line; owns nothing
//! the core could own — every rule about the data lives in `takeboard-core`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use takeboard_core::catalog::{default_library_path, Catalog};
use takeboard_core::domain::{ProjectId, TakeId};
use takeboard_core::media_server::{MediaServer, MediaServerError};

use crate::ipc::{ErrorCode, IpcError};

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

/// The library as the app holds it: open, or the reason it could not be opened (a newer or
/// locked library keeps the window up and every command answers with that error).
pub type SharedCatalog = Arc<Mutex<Result<Catalog, IpcError>>>;

/// Managed state of the app.
pub struct AppState {
    library_path: PathBuf,
    catalog: SharedCatalog,
    project: Mutex<Option<ProjectId>>,
    media: MediaServer,
}

impl AppState {
    /// Opens the library at `library_path` and starts the media server over it.
    ///
    /// A library that cannot be opened does not fail the launch: the error is kept and
    /// returned by every command, so the window can show it. Only a media server that
    /// cannot start is fatal (the app cannot play anything without it).
    pub fn open(library_path: &Path) -> Result<AppState, MediaServerError> {
        let catalog: SharedCatalog = Arc::new(Mutex::new(
            Catalog::open(library_path).map_err(IpcError::from),
        ));
        let resolver_catalog = Arc::clone(&catalog);
        let media = MediaServer::start(Arc::new(move |take_id| {
            present_path(&resolver_catalog, take_id)
        }))?;
        Ok(AppState {
            library_path: library_path.to_owned(),
            catalog,
            project: Mutex::new(None),
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
        Ok(*lock(&self.project)?)
    }

    /// Makes `project` the current project.
    pub fn set_project(&self, project: ProjectId) -> Result<(), IpcError> {
        *lock(&self.project)? = Some(project);
        Ok(())
    }

    /// Runs `f` with the open catalog, or returns why the library is not open.
    pub fn with_catalog<T>(
        &self,
        f: impl FnOnce(&mut Catalog) -> Result<T, IpcError>,
    ) -> Result<T, IpcError> {
        let mut guard = lock(&self.catalog)?;
        match guard.as_mut() {
            Ok(catalog) => f(catalog),
            Err(e) => Err(e.clone()),
        }
    }

    /// The shared catalog, for long-lived helpers (the watcher bridge).
    pub fn shared_catalog(&self) -> SharedCatalog {
        Arc::clone(&self.catalog)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> Result<MutexGuard<'_, T>, IpcError> {
    mutex.lock().map_err(|_| {
        IpcError::new(
            ErrorCode::Internal,
            "an earlier command crashed while holding the library; restart Takeboard",
        )
    })
}

/// The media server's resolver: the path of a file that holds `take_id` right now.
fn present_path(catalog: &SharedCatalog, take_id: TakeId) -> Option<PathBuf> {
    let guard = catalog.lock().ok()?;
    let catalog = guard.as_ref().ok()?;
    // TODO(core-merge): replace with the core's present-path query once catalog::takes
    // lands on main; until then this reads the `files` table of schema v1 directly.
    catalog
        .conn()
        .query_row(
            "SELECT f.path FROM files f JOIN takes t ON t.id = f.take_id
             WHERE f.take_id = ?1 AND t.presence = 'present' ORDER BY f.id LIMIT 1",
            [take_id],
            |row| row.get::<_, String>(0),
        )
        .ok()
        .map(PathBuf::from)
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
        let conn = rusqlite_free_newer_library(&path);
        drop(conn);
        let state = AppState::open(&path).expect("the media server starts regardless");
        let err = state.with_catalog(|_| Ok(())).unwrap_err();
        assert_eq!(err.code, ErrorCode::NewerLibrary, "{}", err.message);
    }

    /// Creates a library, then marks it as written by a future schema through the catalog's
    /// own connection (no second SQLite binding in this crate).
    fn rusqlite_free_newer_library(path: &Path) -> Catalog {
        let catalog = Catalog::open(path).unwrap();
        catalog
            .conn()
            .execute_batch("PRAGMA user_version = 99")
            .unwrap();
        catalog
    }
}
