//! The app's managed state: the open library (a core `api::Library`), the current project,
//! the paths picked in dialogs and the media server. Built once at launch from the command
//! line; owns nothing the core could own — every rule about the data lives in
//! `takeboard-core`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use takeboard_core::api::{self, default_library_path, IngestEvent, Library, MediaServer};
use takeboard_core::domain::ProjectId;

use crate::ipc::{AppInfo, ErrorCode, IpcError};

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
    /// The open library, or why it could not be opened (a newer or locked library keeps the
    /// window up and every command answers with that error).
    library: Result<Library, IpcError>,
    project: Mutex<Option<ProjectId>>,
    /// Paths picked in native dialogs, waiting for the command that uses them.
    picks: crate::picks::Picks,
    media: MediaServer,
}

impl AppState {
    /// Opens the library at `library_path` and starts the media server over it. When the
    /// library holds exactly one project, it becomes the current project.
    ///
    /// A library that cannot be opened does not fail the launch (see [`AppState`]); only a
    /// media server that cannot start is fatal (nothing could play without it).
    pub fn open(library_path: &Path) -> Result<AppState, IpcError> {
        // The studio client blocks on its own runtime, which cannot run inside the one the
        // commands run on; until it gets a thread of its own the window opens files only.
        let library = if api::is_studio_library(library_path) {
            Err(IpcError::from(api::ApiError::Invalid(
                "this build's window opens library files only; use takeboard-cli --library URL for the studio library".into(),
            )))
        } else {
            Library::open(library_path).map_err(IpcError::from)
        };
        if let Ok(library) = &library {
            report_interrupted_sends(library);
        }
        let (media, project) = match &library {
            Ok(library) => (library.serve_media()?, library.only_project()?),
            Err(_) => (api::serve_no_media()?, None),
        };
        Ok(AppState {
            library,
            project: Mutex::new(project),
            picks: crate::picks::Picks::from_env(),
            media,
        })
    }

    /// The open library, or why it is not open.
    pub fn library(&self) -> Result<&Library, IpcError> {
        self.library.as_ref().map_err(Clone::clone)
    }

    /// The media server.
    pub fn media(&self) -> &MediaServer {
        &self.media
    }

    /// The current project, `None` until a folder is opened.
    pub fn project(&self) -> Option<ProjectId> {
        *lock(&self.project)
    }

    /// The current project, or a `notFound` error asking the user to open a folder.
    pub fn require_project(&self) -> Result<ProjectId, IpcError> {
        self.project().ok_or_else(|| {
            IpcError::new(
                ErrorCode::NotFound,
                "no project is open yet; open a folder of takes first",
            )
        })
    }

    /// The open library with the current project (see [`AppState::require_project`]).
    pub fn project_library(&self) -> Result<(&Library, ProjectId), IpcError> {
        Ok((self.library()?, self.require_project()?))
    }

    /// The library, the current project and the media server, as the window starts with.
    pub fn app_info(&self) -> Result<AppInfo, IpcError> {
        Ok(AppInfo::new(
            self.library()?.info(self.project())?,
            &self.media,
        ))
    }

    /// Adds `folder` to the current project (or the library's only project, or a new one
    /// named after the folder), scans it, watches the project's folders with changes going
    /// to `on_change`, and makes that project current.
    pub fn open_folder(
        &self,
        folder: &Path,
        on_change: impl Fn(&IngestEvent) + Send + 'static,
    ) -> Result<AppInfo, IpcError> {
        let project = self
            .library()?
            .open_folder(self.project(), folder, on_change)?;
        *lock(&self.project) = Some(project);
        self.app_info()
    }

    /// Watches the current project's folders again (at launch, as it was left).
    pub fn resume_watching(
        &self,
        on_change: impl Fn(&IngestEvent) + Send + 'static,
    ) -> Result<(), IpcError> {
        match self.project() {
            Some(project) => Ok(self.library()?.watch(project, on_change, |error| {
                tracing::warn!("watcher: {error}")
            })?),
            None => Ok(()),
        }
    }

    /// Paths picked in native dialogs (one-use tokens).
    pub fn picks(&self) -> &crate::picks::Picks {
        &self.picks
    }
}

/// Logs the requests a dead process left half sent, now `unknown` (the queue shows them).
fn report_interrupted_sends(library: &Library) {
    match library.recover_interrupted_sends() {
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

/// Locks app state. A command that panicked while holding a lock left nothing half done,
/// so a poisoned lock is taken as it is and the app keeps working.
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
        let err = state
            .library()
            .err()
            .expect("a newer library is not opened");
        assert_eq!(err.code, ErrorCode::NewerLibrary, "{}", err.message);
    }

    /// Creates a library, closes it, then marks it as written by a future schema: the
    /// schema version (`user_version`) is the big-endian u32 at byte 60 of the file header.
    fn rusqlite_free_newer_library(path: &Path) {
        drop(Library::open(path).unwrap());
        let mut bytes = std::fs::read(path).unwrap();
        bytes[60..64].copy_from_slice(&99u32.to_be_bytes());
        std::fs::write(path, bytes).unwrap();
    }
}
