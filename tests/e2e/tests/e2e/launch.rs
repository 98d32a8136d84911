//! Launching the app on the demo project (`--library L --folder F`): the window comes up,
//! IPC answers, every shot is listed in order with its take count.

use serde_json::Value;
use takeboard_e2e::ui::{self, ShotRow};
use takeboard_e2e::{e2e_enabled, wait_until, App, ClipFolder, E2eError, UI_TIMEOUT};

#[test]
fn the_demo_project_lists_every_shot_with_its_take_count() -> Result<(), E2eError> {
    if !e2e_enabled("the_demo_project_lists_every_shot_with_its_take_count") {
        return Ok(());
    }
    let demo = ClipFolder::demo()?;
    let app = App::launch(demo.path())?;
    let session = app.session();

    let info = wait_until("app_info over IPC", UI_TIMEOUT, || {
        Ok(session.invoke("app_info", serde_json::json!({}))?.ok())
    })
    .map_err(|e| app.with_log(e))?;
    assert_eq!(
        info["libraryPath"],
        Value::from(app.library().display().to_string())
    );
    assert_eq!(
        info["folders"],
        serde_json::json!([demo.path().display().to_string()]),
        "{info}"
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

    // scripts/make-demo.sh: SH010 = 5 Flash + 1 Standard, SH020 = 4 Flash, SH030 = 6 Flash.
    let row = |code: &str, takes: &str| ShotRow {
        code: code.to_owned(),
        takes: takes.to_owned(),
        state: "exploring".to_owned(),
    };
    let expected = vec![
        row("SH010", "6 takes"),
        row("SH020", "4 takes"),
        row("SH030", "6 takes"),
    ];
    let mut seen = Vec::new();
    wait_until(
        "the three demo shots with their take counts",
        UI_TIMEOUT,
        || {
            seen = ui::shot_rows(session)?;
            Ok((seen == expected).then_some(()))
        },
    )
    .map_err(|e| app.with_log(E2eError::Setup(format!("{e}\nshot list: {seen:#?}"))))?;
    app.close()
}
