//! Takeboard's desktop shell: Tauri 2 wiring over `takeboard-core`.
//!
//! This crate owns only the edge: launch options, managed state, the `#[tauri::command]`
//! wrappers, the IPC wire types and the bridge from core change notifications to window
//! events. **Architecture invariant:** no product rule lives here; every decision about the
//! data is a single call into the core, which builds and tests without a WebView.
//!
//! [`build_app`] is generic over the runtime, so its wiring is tested on
//! `tauri::test::mock_builder()`; [`run`] adds the real runtime and the generated context.

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

#[cfg(test)]
mod tests {
    use super::*;
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
    use tauri::webview::InvokeRequest;

    fn invoke(
        webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
        cmd: &str,
        args: serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        get_ipc_response(
            webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(args),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|body| body.deserialize().unwrap())
    }

    #[test]
    fn build_app_opens_the_library_and_answers_commands_on_a_mock_runtime() {
        let dir = tempfile::tempdir().unwrap();
        let library = dir.path().join("library.db");
        let options = LaunchOptions {
            library: library.clone(),
            folder: None,
        };
        let mut app = build_app(mock_builder(), options)
            .build(mock_context(noop_assets()))
            .expect("the app builds");
        // Setup runs with the first turn of the event loop; the mock's returns at once.
        #[allow(deprecated)]
        app.run_iteration(|_, _| {});
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();

        let info = invoke(&webview, "app_info", serde_json::json!({})).expect("app_info");
        assert_eq!(info["libraryPath"], library.display().to_string());
        assert_eq!(info["projectName"], serde_json::Value::Null);
        assert!(
            info["mediaBaseUrl"]
                .as_str()
                .unwrap()
                .starts_with("http://127.0.0.1:"),
            "{info}"
        );

        let refused = invoke(&webview, "list_shots", serde_json::json!({}))
            .expect_err("no project is open yet");
        assert_eq!(refused["code"], "notFound", "{refused}");
        let missing = invoke(&webview, "list_takes", serde_json::json!({"shotId": 99}))
            .expect_err("no such shot");
        assert_eq!(missing["code"], "notFound", "{missing}");
    }
}
