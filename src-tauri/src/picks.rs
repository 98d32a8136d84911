//! Paths the user picked in a native dialog, opened from Rust and handed to the page as
//! one-use tokens: no command takes a path string from the WebView, so a compromised page
//! can neither watch nor write anywhere the user did not choose.
//!
//! `TAKEBOARD_DIALOG_ANSWER_FILE` (set by the end-to-end tests, whose WebDriver cannot drive
//! GTK's file chooser) names a file whose content answers every dialog instead (empty:
//! cancelled). It is read from the environment the app was launched with, never from IPC.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use tauri::{AppHandle, Runtime};
use tauri_plugin_dialog::DialogExt;

use crate::ipc::{ErrorCode, IpcError, PickKind, PickedPathDto};
use takeboard_core::api::ExportFormat;

/// The environment variable naming a scripted answer file (tests only).
const ANSWER_FILE_ENV: &str = "TAKEBOARD_DIALOG_ANSWER_FILE";

/// Picked paths waiting for the command that uses them.
#[derive(Default)]
pub struct Picks {
    answer_file: Option<PathBuf>,
    picked: Mutex<HashMap<String, (PickKind, PathBuf)>>,
}

impl Picks {
    /// The picks of this launch; scripted when the launch environment says so.
    pub fn from_env() -> Picks {
        Picks {
            answer_file: std::env::var_os(ANSWER_FILE_ENV).map(PathBuf::from),
            picked: Mutex::default(),
        }
    }

    /// Opens the dialog for `kind` (a timeline's offers `format`'s extension) and returns a
    /// token for the chosen path (`None`: cancelled). Blocks until the user answers
    /// (commands run off the main thread).
    pub fn pick<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        kind: PickKind,
        format: ExportFormat,
    ) -> Option<PickedPathDto> {
        let path = match &self.answer_file {
            Some(file) => scripted_answer(file),
            None => ask(app, kind, format),
        }?;
        let mut raw = [0u8; 16];
        getrandom::fill(&mut raw).ok()?;
        let token: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let shown = path.display().to_string();
        self.lock().insert(token.clone(), (kind, path));
        Some(PickedPathDto { token, path: shown })
    }

    /// The path picked for `token` by a dialog of `kind`; the token is used up. Refused with
    /// `invalid` for any token no dialog of that kind handed out.
    pub fn take(&self, token: &str, kind: PickKind) -> Result<PathBuf, IpcError> {
        let refused = || {
            IpcError::new(
                ErrorCode::Invalid,
                "that path was not picked in a dialog (or was used already); choose it again",
            )
        };
        let mut picked = self.lock();
        match picked.get(token) {
            Some((k, _)) if *k == kind => picked.remove(token).map(|(_, p)| p).ok_or_else(refused),
            _ => Err(refused()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (PickKind, PathBuf)>> {
        self.picked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn scripted_answer(file: &std::path::Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.trim();
    (!line.is_empty()).then(|| PathBuf::from(line))
}

/// The native dialog for `kind`.
fn ask<R: Runtime>(app: &AppHandle<R>, kind: PickKind, format: ExportFormat) -> Option<PathBuf> {
    let dialog = app.dialog().file();
    let picked = match kind {
        PickKind::Folder => dialog
            .set_title("Watch a folder of takes")
            .blocking_pick_folder(),
        PickKind::Requests => dialog
            .set_title("Export request bodies")
            .set_file_name("takeboard-requests.json")
            .add_filter("Luma request bodies", &["json"])
            .blocking_save_file(),
        PickKind::Timeline => {
            let ext = format.extension();
            dialog
                .set_title("Export the timeline")
                .set_file_name(format!("takeboard.{ext}"))
                .add_filter("Timeline", &[ext])
                .blocking_save_file()
        }
    };
    picked?.into_path().ok()
}
