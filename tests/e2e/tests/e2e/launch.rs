//! Launching the app on a library and a folder: the window comes up, IPC answers, the
//! folder's shots are listed.

use std::time::Duration;

use serde_json::Value;
use takeboard_e2e::{
    app_binary, e2e_enabled, wait_until, workspace_root, ClipFolder, E2eError, TauriDriver,
};

#[test]
fn the_app_opens_a_folder_and_shows_its_shot_codes() -> Result<(), E2eError> {
    if !e2e_enabled("the_app_opens_a_folder_and_shows_its_shot_codes") {
        return Ok(());
    }
    let clips = ClipFolder::generate(&[
        "SH010_flash_t1.mp4",
        "SH010_flash_t2.mp4",
        "SH020_flash_t1.mp4",
        "SH030_flash_t1.mp4",
    ])?;
    let work = tempfile::tempdir()?;
    let library = work.path().join("library.db");
    let driver = TauriDriver::start(work.path())?;
    let session = driver.launch(
        &app_binary()?,
        &[
            "--library".into(),
            library.display().to_string(),
            "--folder".into(),
            clips.path().display().to_string(),
        ],
    )?;

    let info = wait_until("app_info over IPC", Duration::from_secs(30), || {
        Ok(session.invoke("app_info", serde_json::json!({}))?.ok())
    })?;
    assert_eq!(
        info["libraryPath"],
        Value::from(library.display().to_string())
    );
    let media = info["mediaBaseUrl"].as_str().unwrap_or_default();
    assert!(
        media.starts_with("http://127.0.0.1:"),
        "media server URL: {info}"
    );
    assert_eq!(
        info["mediaToken"].as_str().map(str::len),
        Some(64),
        "{info}"
    );

    let codes = ["SH010", "SH020", "SH030"];
    let text = wait_until(
        "the shot codes in the window",
        Duration::from_secs(30),
        || {
            let text = session.execute("return document.body.innerText;", &[])?;
            let text = text.as_str().unwrap_or_default().to_owned();
            Ok(codes.iter().all(|c| text.contains(c)).then_some(text))
        },
    )
    .map_err(|e| E2eError::Setup(format!("{e}\n--- tauri-driver log ---\n{}", driver.log())))?;
    for code in codes {
        assert!(
            text.contains(code),
            "{code} missing from the window: {text}"
        );
    }

    session.screenshot(&workspace_root().join("docs/screenshots/shot-list.png"))?;
    session.delete()
}
