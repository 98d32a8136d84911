//! The approval loop: approving the focused take with the keyboard queues exactly one
//! Standard render request (shown in the queue with its credits, recorded once in the
//! library however often A is pressed); over the raw IPC bridge, approving twice returns
//! the same request and a backwards trim is refused.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value};
use takeboard_e2e::webdriver::{key, Session};
use takeboard_e2e::{e2e_enabled, ui, wait_until, App, ClipFolder, E2eError, UI_TIMEOUT};

/// Counts the "Approved …" toasts as they appear: one per approval the app finished
/// (info toasts vanish after a few seconds, so counting the ones on screen would not do).
const COUNT_APPROVAL_TOASTS: &str = r#"
window.__e2eApprovals = 0;
new MutationObserver((records) => {
  for (const record of records)
    for (const node of record.addedNodes)
      if (node.nodeType === 1 && node.matches('[data-testid="toast"]') && node.textContent.startsWith('Approved'))
        window.__e2eApprovals += 1;
}).observe(document.querySelector('[data-testid="toasts"]'), { childList: true });
return true;
"#;

/// The render queue's rows: state, credits and text.
const QUEUE_ROWS: &str = r#"
return [...document.querySelectorAll('[data-testid="queue"] [data-testid^="request-"][data-state]')].map((row) => ({
  state: row.dataset.state,
  credits: row.querySelector('[data-testid="request-credits"]').textContent.trim(),
  text: row.textContent,
}));
"#;

/// Every render request in the library: (source take, credits, state, resolution, seconds).
fn recorded_requests(library: &Path) -> Vec<(i64, i64, String, String, i64)> {
    let db = Connection::open_with_flags(library, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("the library opens read-only");
    let mut query = db
        .prepare(
            "SELECT source_take_id, credits_estimate, state, resolution, duration_s
             FROM render_requests ORDER BY id",
        )
        .expect("query");
    query
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .expect("requests")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn approvals_seen(session: &Session) -> Result<i64, E2eError> {
    Ok(session
        .execute("return window.__e2eApprovals;", &[])?
        .as_i64()
        .unwrap_or(-1))
}

#[test]
fn approving_the_focused_take_with_a_queues_one_request_however_often_a_is_pressed(
) -> Result<(), E2eError> {
    if !e2e_enabled(
        "approving_the_focused_take_with_a_queues_one_request_however_often_a_is_pressed",
    ) {
        return Ok(());
    }
    let demo = ClipFolder::demo()?;
    let app = App::launch(demo.path())?;
    let session = app.session();
    let grid = ui::open_shot(session, "SH020", 4).map_err(|e| app.with_log(e))?;
    assert_eq!(
        grid.focused(),
        Some(&grid.cards[0]),
        "the first take has the focus"
    );
    session.execute(COUNT_APPROVAL_TOASTS, &[])?;

    session.press(&[key::TAB])?;
    let take = grid.cards[1].id;
    ui::wait_for_grid(session, "Tab to focus the second take", UI_TIMEOUT, |g| {
        g.focused().is_some_and(|c| c.id == take)
    })?;
    session.press(&["a"])?;
    ui::wait_for_grid(session, "the focused take approved", UI_TIMEOUT, |g| {
        g.card(take).is_some_and(|c| c.status == "approved")
    })?;
    wait_until("the approval's toast", UI_TIMEOUT, || {
        Ok((approvals_seen(session)? == 1).then_some(()))
    })?;

    // 5 s of Ray2 Standard at 720p: 5 × 32 credits.
    let one_request = vec![(take, 160, "queued".to_owned(), "720p".to_owned(), 5)];
    assert_eq!(recorded_requests(app.library()), one_request);

    session.press(&["q"])?;
    let rows = wait_until("the request in the render queue", UI_TIMEOUT, || {
        let rows = session.execute(QUEUE_ROWS, &[])?;
        Ok(rows.as_array().filter(|r| !r.is_empty()).cloned())
    })?;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["state"], "queued");
    assert_eq!(rows[0]["credits"], "160 cr");
    let text = rows[0]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("SH020") && text.contains(&format!("take {take}")),
        "the row names the shot and the take: {text}"
    );
    let pending = session.find("[data-testid=\"pending-total\"]")?;
    assert_eq!(session.text(&pending)?, "160 cr");

    // Again, with the queue open: the app answers with the same request.
    session.press(&["a"])?;
    wait_until("the second approval's toast", UI_TIMEOUT, || {
        Ok((approvals_seen(session)? == 2).then_some(()))
    })?;
    assert_eq!(
        recorded_requests(app.library()),
        one_request,
        "pressing A again keeps one request"
    );
    assert_eq!(
        session.execute(QUEUE_ROWS, &[])?.as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(session.text(&pending)?, "160 cr");
    app.close()
}

#[test]
fn approving_twice_queues_one_request_and_the_timeline_exports() -> Result<(), E2eError> {
    if !e2e_enabled("approving_twice_queues_one_request_and_the_timeline_exports") {
        return Ok(());
    }
    let clips = ClipFolder::generate(&["SH010_flash_t1.mp4", "SH010_flash_t2.mp4"])?;
    let app = App::launch(clips.path())?;
    let session = app.session();

    let shot = wait_until("SH010 with its two takes", UI_TIMEOUT, || {
        let shots = session.invoke_ok("list_shots", json!({}))?;
        Ok(shots
            .as_array()
            .and_then(|s| {
                s.iter()
                    .find(|s| s["code"] == "SH010" && s["takeCount"] == 2)
            })
            .cloned())
    })?;
    let takes = session.invoke_ok("list_takes", json!({ "shotId": shot["id"] }))?;
    let take_id = takes[0]["id"].clone();

    let first = session.invoke_ok("approve_take", json!({ "takeId": take_id }))?;
    let second = session.invoke_ok("approve_take", json!({ "takeId": take_id }))?;
    assert_eq!(first["take"]["status"], "approved", "{first}");
    assert_eq!(first["request"]["state"], "queued", "{first}");
    assert_eq!(
        first["request"]["id"], second["request"]["id"],
        "approving twice returns the same request"
    );
    let requests = session.invoke_ok("list_requests", json!({}))?;
    assert_eq!(requests.as_array().map(Vec::len), Some(1), "{requests}");
    assert_eq!(requests[0]["takeId"], take_id);

    let dest = app.work_dir().join("cut.xml");
    let token = app.pick(&dest, "timeline")?;
    let exported = session.invoke_ok(
        "export_timeline",
        json!({
            "format": "fcp7xml",
            "token": token,
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
    app.close()
}
