//! Build script: generates the Tauri context and one `allow-<command>` permission per app
//! command, so `capabilities/main.json` grants each command explicitly.

/// Every `#[tauri::command]` in `src/commands.rs`, in the order of the IPC contract.
const COMMANDS: &[&str] = &[
    "app_info",
    "pick_path",
    "open_folder",
    "list_shots",
    "list_takes",
    "set_status",
    "approve_take",
    "unapprove_take",
    "mark_final",
    "set_trim",
    "add_note",
    "move_take",
    "rename_shot",
    "reorder_shot",
    "list_requests",
    "cancel_request",
    "export_requests",
    "submit_requests",
    "resolve_request",
    "credits",
    "get_settings",
    "save_settings",
    "export_timeline",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri build script failed");
}
