//! The `library-changed` event: its payload, made from the core's watcher events, and the
//! bridge that emits it to every window. It decides nothing: the UI refetches whatever
//! the event names.

use serde::{Deserialize, Serialize};
use takeboard_core::api::IngestEvent;
use takeboard_core::domain::{ShotId, TakeId};
use tauri::{AppHandle, Emitter, Runtime};
use ts_rs::TS;

/// The event name the UI listens to.
pub const LIBRARY_CHANGED: &str = "library-changed";

/// What changed in the library (payload of the `library-changed` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
pub enum LibraryEventKind {
    /// A new take was indexed.
    TakeAdded,
    /// A take's metadata or decisions changed.
    TakeChanged,
    /// A take's file disappeared.
    TakeMissing,
    /// A missing take's content reappeared.
    TakeRestored,
}

/// The `library-changed` event: the UI refetches what it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LibraryEvent {
    /// What changed.
    pub kind: LibraryEventKind,
    /// The take concerned.
    pub take_id: TakeId,
    /// Its shot (after the change).
    pub shot_id: ShotId,
}

impl From<&IngestEvent> for LibraryEvent {
    fn from(e: &IngestEvent) -> LibraryEvent {
        let (kind, take, shot) = match e {
            IngestEvent::Added { take, shot_id, .. } => {
                (LibraryEventKind::TakeAdded, take, shot_id)
            }
            IngestEvent::Changed { take, shot_id, .. } => {
                (LibraryEventKind::TakeChanged, take, shot_id)
            }
            IngestEvent::Missing { take, shot_id, .. } => {
                (LibraryEventKind::TakeMissing, take, shot_id)
            }
            IngestEvent::Restored { take, shot_id, .. } => {
                (LibraryEventKind::TakeRestored, take, shot_id)
            }
        };
        LibraryEvent {
            kind,
            take_id: *take,
            shot_id: *shot,
        }
    }
}

/// The callback handed to the core's watcher: each change becomes one `library-changed`
/// event to all windows. A failure to emit (the window is closing) is logged, never
/// returned: notifications are hints, the UI also refetches on focus.
pub fn library_changed_sink<R: Runtime>(
    app: AppHandle<R>,
) -> impl Fn(&IngestEvent) + Send + Sync + 'static {
    move |change| {
        if let Err(e) = app.emit(LIBRARY_CHANGED, LibraryEvent::from(change)) {
            tracing::warn!("could not emit {LIBRARY_CHANGED}: {e}");
        }
    }
}
