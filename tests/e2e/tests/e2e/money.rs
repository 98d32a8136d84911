//! One approval, one paid render, with the app and the CLI on one library: while the app's
//! Submit waits for Luma to answer a create, a `takeboard-cli submit` of the same project
//! sends nothing and leaves the app's send alone; the app's answer lands on the request.

use crate::luma_standin::{Fault, LumaStandIn, Route};
use serde_json::{json, Value};
use std::time::Duration;
use takeboard_e2e::{
    e2e_enabled, wait_until, workspace_root, App, ClipFolder, E2eError, UI_TIMEOUT,
};

const KEY: &str = "luma-e2e-key";

#[test]
fn the_app_and_the_cli_submitting_at_once_pay_for_one_render() -> Result<(), E2eError> {
    if !e2e_enabled("the_app_and_the_cli_submitting_at_once_pay_for_one_render") {
        return Ok(());
    }
    let standin = LumaStandIn::start(KEY);
    standin.push_fault(Route::Create, Fault::Delay(Duration::from_secs(3)));
    let clips = ClipFolder::generate(&["SH010_flash_t1.mp4"])?;
    let env = [
        ("LUMA_API_KEY", KEY.to_owned()),
        ("LUMA_API_BASE_URL", standin.base_url()),
    ];
    let app = App::launch_with_env(clips.path(), &env)?;

    let shot = wait_until("SH010 in the shot list", UI_TIMEOUT, || {
        let shots = app.session().invoke_ok("list_shots", json!({}))?;
        Ok(shots
            .as_array()
            .and_then(|s| s.iter().find(|s| s["code"] == "SH010"))
            .cloned())
    })?;
    let takes = app
        .session()
        .invoke_ok("list_takes", json!({ "shotId": shot["id"] }))?;
    let approval = app
        .session()
        .invoke_ok("approve_take", json!({ "takeId": takes[0]["id"] }))?;
    let request_id = approval["request"]["id"].clone();

    // The app's Submit, left running in the page while Luma holds the create.
    app.session().execute(
        "window.__submit = null;
         window.__TAURI_INTERNALS__.invoke('submit_requests', { requestIds: [arguments[0]] })
           .then(ok => { window.__submit = { ok }; }, err => { window.__submit = { err }; });
         return true;",
        std::slice::from_ref(&request_id),
    )?;
    wait_until("the app's create to reach Luma", UI_TIMEOUT, || {
        Ok((standin.create_attempts() == 1).then_some(()))
    })?;

    let cli = std::process::Command::new(workspace_root().join("target/debug/takeboard-cli"))
        .arg("--library")
        .arg(app.library())
        .arg("submit")
        .env("LUMA_API_KEY", KEY)
        .env("LUMA_API_BASE_URL", standin.base_url())
        .output()?;
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    let printed: Value = serde_json::from_slice(&cli.stdout)
        .map_err(|e| E2eError::Protocol(format!("CLI output: {e}")))?;
    assert_eq!(
        printed[0]["state"], "submitted",
        "the app's send is left alone: {printed}"
    );
    assert_eq!(standin.create_attempts(), 1, "the CLI sent nothing");

    let result = wait_until("the app's Submit to finish", UI_TIMEOUT, || {
        let result = app.session().execute("return window.__submit;", &[])?;
        Ok((!result.is_null()).then_some(result))
    })?;
    assert_eq!(result["ok"]["sent"], 1, "{result}");
    let paid = standin.paid_creates();
    assert_eq!(paid.len(), 1, "one approval, one paid render");
    let requests = app.session().invoke_ok("list_requests", json!({}))?;
    assert_eq!(requests[0]["state"], "submitted");
    assert_eq!(requests[0]["generationId"], json!(paid[0].generation_id));
    app.close()
}
