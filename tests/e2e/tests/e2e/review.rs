//! The approval loop over the real IPC bridge: approve a Flash take once (twice yields the
//! same request), see it queued, export the timeline to a file.

use std::time::Duration;

use serde_json::{json, Value};
use takeboard_e2e::webdriver::Session;
use takeboard_e2e::{app_binary, e2e_enabled, wait_until, ClipFolder, E2eError, TauriDriver};

/// A command that must succeed.
fn invoke(session: &Session, command: &str, args: Value) -> Result<Value, E2eError> {
    session
        .invoke(command, args)?
        .map_err(|err| E2eError::Protocol(format!("{command} failed: {err}")))
}

#[test]
fn approving_twice_queues_one_request_and_the_timeline_exports() -> Result<(), E2eError> {
    if !e2e_enabled("approving_twice_queues_one_request_and_the_timeline_exports") {
        return Ok(());
    }
    let clips = ClipFolder::generate(&["SH010_flash_t1.mp4", "SH010_flash_t2.mp4"])?;
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

    let shot = wait_until("SH010 with its two takes", Duration::from_secs(30), || {
        let shots = invoke(&session, "list_shots", json!({}))?;
        Ok(shots
            .as_array()
            .and_then(|s| {
                s.iter()
                    .find(|s| s["code"] == "SH010" && s["takeCount"] == 2)
            })
            .cloned())
    })?;
    let takes = invoke(&session, "list_takes", json!({ "shotId": shot["id"] }))?;
    let take_id = takes[0]["id"].clone();

    let first = invoke(&session, "approve_take", json!({ "takeId": take_id }))?;
    let second = invoke(&session, "approve_take", json!({ "takeId": take_id }))?;
    assert_eq!(first["take"]["status"], "approved", "{first}");
    assert_eq!(first["request"]["state"], "queued", "{first}");
    assert_eq!(
        first["request"]["id"], second["request"]["id"],
        "approving twice returns the same request"
    );
    let requests = invoke(&session, "list_requests", json!({}))?;
    assert_eq!(requests.as_array().map(Vec::len), Some(1), "{requests}");
    assert_eq!(requests[0]["takeId"], take_id);

    let dest = work.path().join("cut.xml");
    let exported = invoke(
        &session,
        "export_timeline",
        json!({
            "format": "fcp7xml",
            "dest": dest.display().to_string(),
            "shotIds": null,
            "placeholders": "include",
            "start": null,
        }),
    )?;
    assert_eq!(exported["clips"], 1, "{exported}");
    assert_eq!(
        exported["placeholders"], 1,
        "the approved take stands in: {exported}"
    );
    let xml = std::fs::read_to_string(&dest)?;
    assert!(
        xml.contains("<xmeml"),
        "an FCP7 XML file: {}",
        &xml[..xml.len().min(200)]
    );
    assert!(
        xml.contains("SH010_flash_t"),
        "the clip is linked by file name"
    );

    let refused = session.invoke(
        "set_trim",
        json!({ "takeId": take_id, "trimIn": 10, "trimOut": 5 }),
    )?;
    assert_eq!(
        refused.map_err(|e| e["code"].clone()),
        Err(Value::from("invalid")),
        "a backwards trim is refused with the invalid code"
    );
    session.delete()
}
