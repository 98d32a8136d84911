//! Screenshots of the main views on the demo project, written to `target/screenshots/`, or
//! to `docs/screenshots/` (linked from the README) when `TAKEBOARD_SCREENSHOTS=docs`, as
//! `make screenshots` sets it, so `make test` leaves the tree clean: the shot list with a paused and a playing compare grid of four takes,
//! the render queue, the export dialog and the help overlay. Each view is checked to be in
//! the state shown before its picture is taken; the pictures also catch a blank WebView
//! (see reference/tauri-linux.md on screenshots hanging under some WebKit settings).

use std::path::{Path, PathBuf};

use takeboard_e2e::webdriver::key;
use takeboard_e2e::{
    e2e_enabled, ui, wait_until, workspace_root, App, ClipFolder, E2eError, UI_TIMEOUT,
};

fn shot(name: &str) -> PathBuf {
    let folder = match std::env::var("TAKEBOARD_SCREENSHOTS").as_deref() {
        Ok("docs") => "docs/screenshots",
        _ => "target/screenshots",
    };
    workspace_root().join(folder).join(name)
}

#[test]
fn the_main_views_are_captured_for_the_readme() -> Result<(), E2eError> {
    if !e2e_enabled("the_main_views_are_captured_for_the_readme") {
        return Ok(());
    }
    let demo = ClipFolder::demo()?;
    let app = App::launch(demo.path())?;
    let session = app.session();

    // Shot list and the compare grid of SH020's four takes, paused on frame 42.
    ui::open_shot(session, "SH020", 4).map_err(|e| app.with_log(e))?;
    for _ in 0..4 {
        session.press(&[key::SHIFT, key::RIGHT])?;
    }
    session.press(&[key::RIGHT])?;
    session.press(&[key::RIGHT])?;
    ui::wait_for_grid(session, "paused on frame 42", UI_TIMEOUT, |g| {
        g.clock == 42 && g.settled()
    })?;
    session.screenshot(&shot("compare-paused.png"))?;

    // Playing: the clock runs and every player advances.
    session.press(&[" "])?;
    let playing = ui::wait_for_grid(session, "all four takes playing", UI_TIMEOUT, |g| {
        g.speed == 1.0 && g.clock > 50 && g.players.iter().all(|p| !p.paused && p.time > 2.2)
    })?;
    session.screenshot(&shot("compare-playing.png"))?;
    session.press(&["k"])?;
    ui::wait_for_grid(session, "stopped", UI_TIMEOUT, |g| {
        g.speed == 0.0 && g.clock > playing.clock && g.settled()
    })?;

    // Render queue after approving the focused take.
    session.press(&["a"])?;
    session.press(&["q"])?;
    session.wait_for(
        "[data-testid=\"queue\"] [data-state=\"queued\"]",
        UI_TIMEOUT,
    )?;
    // The approval's info toast would cover the queue's total; let it go first.
    wait_until("the approval toast to go", UI_TIMEOUT, || {
        Ok(session
            .find_all("[data-testid=\"toast\"]")?
            .is_empty()
            .then_some(()))
    })?;
    session.screenshot(&shot("render-queue.png"))?;
    session.press(&["q"])?;

    // Export dialog with a destination picked.
    app.answer_dialogs_with(Path::new(
        "/home/editor/Projects/lighthouse/takeboard-cut.xml",
    ))?;
    session.press(&["e"])?;
    session.click(&session.wait_for("[data-testid=\"export-choose\"]", UI_TIMEOUT)?)?;
    wait_until("the picked destination", UI_TIMEOUT, || {
        let shown = ui::text_of(session, "export-dest")?;
        Ok(shown.ends_with("takeboard-cut.xml").then_some(()))
    })?;
    session.screenshot(&shot("export-dialog.png"))?;
    session.press(&[key::ESCAPE])?;

    // Help overlay: the keyboard map.
    wait_until("the export dialog to close", UI_TIMEOUT, || {
        Ok(session
            .find_all("[data-testid=\"export-dialog\"]")?
            .is_empty()
            .then_some(()))
    })?;
    session.press(&["?"])?;
    session.wait_for("[data-testid=\"help-overlay\"]", UI_TIMEOUT)?;
    session.screenshot(&shot("help-overlay.png"))?;
    app.close()
}
