//! Takeboard's desktop shell: Tauri 2 wiring over `takeboard-core`.
//!
//! This crate owns only the edge: launch options, managed state, the `#[tauri::command]`
//! wrappers, the IPC wire types and the bridge from core change notifications to window
//! events. **Architecture invariant:** no product rule lives here; every decision about the
//! data is a single call into the core, which builds and tests without a WebView.
//!
//! [`build_app`] is generic over the runtime; [`run`] adds the real runtime and the
//! generated context.

pub mod commands;
pub mod contract;
pub mod ipc;
pub mod picks;
pub mod state;

use tauri::{Manager, Runtime};

use crate::ipc::events::library_changed_sink;
use crate::state::{AppState, LaunchOptions};

/// Registers the plugin, the commands and the launch-time setup on `builder`.
pub fn build_app<R: Runtime>(
    builder: tauri::Builder<R>,
    options: LaunchOptions,
) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_dialog::init())
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::pick_path,
            commands::open_folder,
            commands::list_shots,
            commands::list_takes,
            commands::set_status,
            commands::approve_take,
            commands::unapprove_take,
            commands::mark_final,
            commands::clear_final,
            commands::set_trim,
            commands::add_note,
            commands::move_take,
            commands::rename_shot,
            commands::reorder_shot,
            commands::list_requests,
            commands::cancel_request,
            commands::export_requests,
            commands::submit_requests,
            commands::resolve_request,
            commands::credits,
            commands::get_settings,
            commands::save_settings,
            commands::export_timeline,
        ])
        .setup(move |app| {
            let state = AppState::open(&options.library)?;
            tracing::info!(
                library = %options.library.display(),
                media = %state.media().base_url(),
                "library opened"
            );
            let on_change = library_changed_sink(app.handle().clone());
            let resumed = match &options.folder {
                Some(folder) => state.open_folder(folder, on_change).map(drop),
                // The library's only project: watch it again, as it was left.
                None => state.resume_watching(on_change),
            };
            if let Err(e) = resumed {
                // The window still opens; the UI shows the folder error when it asks.
                tracing::error!("{e}");
            }
            app.manage(state);
            Ok(())
        })
}

/// Starts the app: parses the command line, then runs until the last window closes.
pub fn run() {
    keep_freed_video_frames_off_the_heap();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("takeboard=info")),
        )
        .init();
    let options = match LaunchOptions::parse(
        std::env::args().skip(1),
        std::env::var_os("TAKEBOARD_LIBRARY").map(Into::into),
    ) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("takeboard: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = build_app(tauri::Builder::default(), options).run(tauri::generate_context!()) {
        eprintln!("takeboard: {e}");
        std::process::exit(1);
    }
}

/// WebKit's web process inherits our environment and decodes video with GStreamer. glibc
/// raises its mmap threshold after the first large free, so later decoded frames (1.4 MB
/// at 720p) come from heap arenas and stay resident once their players are gone; a fixed
/// threshold keeps them mmapped, returned to the system on free (about 50 MiB less after
/// stepping through a dozen shots). Runs before any thread exists; a value the user set
/// wins. (Our own process read its malloc settings at start: only children see this.)
fn keep_freed_video_frames_off_the_heap() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        std::env::set_var("MALLOC_MMAP_THRESHOLD_", "131072");
    }
}
