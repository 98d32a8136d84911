//! The bridge from core change notifications to the window's `library-changed` event.
//!
//! The core's watcher and commands report what changed; this module turns that into a
//! [`LibraryEvent`] emitted to every window. It holds no state and decides nothing: the UI
//! refetches whatever the event names.

use tauri::{AppHandle, Emitter, Runtime};

use crate::ipc::{LibraryEvent, LIBRARY_CHANGED};

/// Emits one `library-changed` event to all windows. A failure (the window is closing) is
/// logged, never returned: notifications are hints, the UI also refetches on focus.
pub fn emit_library_changed<R: Runtime>(app: &AppHandle<R>, event: LibraryEvent) {
    if let Err(e) = app.emit(LIBRARY_CHANGED, event) {
        tracing::warn!("could not emit {LIBRARY_CHANGED}: {e}");
    }
}

/// The callback handed to the core's watcher: one call wires ingest to the window.
///
/// ```ignore
/// let on_change = events::library_changed_sink(app.clone());
/// ingest::watch(..., move |change| on_change(change.into()));
/// ```
pub fn library_changed_sink<R: Runtime>(
    app: AppHandle<R>,
) -> impl Fn(LibraryEvent) + Send + Sync + 'static {
    move |event| emit_library_changed(&app, event)
}
