//! Export from the dialog: approve a take in two shots with the keyboard, open the export
//! dialog (E), type a destination, export FCP7 XML, and read the file back with
//! OpenTimelineIO: the two approved takes, in shot order, by their absolute paths.

#[path = "../../../../tests/otio/readback.rs"]
mod otio_reader;

use std::path::Path;

use otio_reader::readback;
use rusqlite::{Connection, OpenFlags};
use takeboard_e2e::webdriver::{key, Session};
use takeboard_e2e::{e2e_enabled, ui, wait_until, App, ClipFolder, E2eError, UI_TIMEOUT};

/// The path the library records for take `id`.
fn path_of(library: &Path, id: i64) -> String {
    Connection::open_with_flags(library, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("the library opens read-only")
        .query_row("SELECT path FROM files WHERE take_id = ?1", [id], |row| {
            row.get(0)
        })
        .expect("the take has a file")
}

/// Presses A on the focused take and waits until its card says approved; returns its id.
fn approve_focused(session: &Session) -> Result<i64, E2eError> {
    let grid = ui::grid(session)?.expect("the compare view is shown");
    let take = grid.focused().expect("a take has the focus").id;
    session.press(&["a"])?;
    ui::wait_for_grid(session, "the focused take approved", UI_TIMEOUT, |g| {
        g.card(take).is_some_and(|c| c.status == "approved")
    })?;
    Ok(take)
}

fn value_of(session: &Session, testid: &str) -> Result<String, E2eError> {
    Ok(session
        .execute(
            "return document.querySelector(`[data-testid=\"${arguments[0]}\"]`).value;",
            &[testid.into()],
        )?
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

#[test]
fn the_export_dialog_writes_fcp7_xml_that_opentimelineio_reads_back() -> Result<(), E2eError> {
    if !e2e_enabled("the_export_dialog_writes_fcp7_xml_that_opentimelineio_reads_back") {
        return Ok(());
    }
    let demo = ClipFolder::demo()?;
    let app = App::launch(demo.path())?;
    let session = app.session();

    ui::open_shot(session, "SH020", 4).map_err(|e| app.with_log(e))?;
    let sh020 = approve_focused(session)?;
    session.press(&[key::DOWN])?;
    ui::wait_for_grid(session, "↓ to SH030", UI_TIMEOUT, |g| {
        g.shot == "SH030" && g.cards.len() == 6 && g.focused().is_some()
    })?;
    let sh030 = approve_focused(session)?;

    session.press(&["e"])?;
    session.wait_for("[data-testid=\"export-dialog\"]", UI_TIMEOUT)?;
    assert_eq!(
        value_of(session, "export-format")?,
        "fcp7xml",
        "the default format"
    );
    let dest = app.work_dir().join("takeboard cut.xml");
    let dest_text = dest.display().to_string();
    app.answer_dialogs_with(&dest)?;
    session.click(&session.find("[data-testid=\"export-choose\"]")?)?;
    wait_until("the picked destination", UI_TIMEOUT, || {
        let shown = ui::text_of(session, "export-dest")?;
        Ok((shown == dest_text).then_some(()))
    })?;
    session.click(&session.find("[data-testid=\"export-submit\"]")?)?;
    let result = session.wait_for("[data-testid=\"export-result\"]", UI_TIMEOUT)?;
    assert_eq!(
        session.text(&result)?,
        format!("Wrote 2 clips, 0 gaps, 2 placeholders to {dest_text}"),
        "SH010 has no approved take and is left out"
    );

    let back = readback(&dest, "24");
    assert_eq!(back["format"], "fcp7xml");
    assert_eq!(back["rate"], 24.0, "{back}");
    let clips = back["clips"].as_array().cloned().unwrap_or_default();
    let paths: Vec<&str> = clips.iter().filter_map(|c| c["path"].as_str()).collect();
    assert_eq!(
        paths,
        [path_of(app.library(), sh020), path_of(app.library(), sh030)],
        "the approved takes, in shot order: {back}"
    );
    for clip in &clips {
        assert_eq!(
            clip["placeholder"], true,
            "approved, not yet rendered: {clip}"
        );
        assert_eq!(clip["source_duration"], 120.0, "the whole 5 s take: {clip}");
    }
    assert_eq!(back["gaps"], serde_json::json!([]));
    app.close()
}

#[test]
fn an_export_or_a_folder_the_page_names_without_a_dialog_is_refused() -> Result<(), E2eError> {
    if !e2e_enabled("an_export_or_a_folder_the_page_names_without_a_dialog_is_refused") {
        return Ok(());
    }
    let demo = ClipFolder::demo()?;
    let app = App::launch(demo.path())?;
    let session = app.session();
    ui::open_shot(session, "SH020", 4).map_err(|e| app.with_log(e))?;
    approve_focused(session)?;
    let target = app.work_dir().join("never-picked.xml");
    let export = |args: serde_json::Value| session.invoke("export_timeline", args);
    let base = serde_json::json!({
        "format": "fcp7xml", "shotIds": null, "placeholders": "include", "start": null,
    });

    let mut with_path = base.clone();
    with_path["dest"] = target.display().to_string().into();
    assert!(
        export(with_path)?.is_err(),
        "a path string is not an argument any more"
    );
    let mut made_up = base.clone();
    made_up["token"] = "00112233445566778899aabbccddeeff".into();
    let refused = export(made_up)?.expect_err("a token no dialog handed out");
    assert_eq!(refused["code"], "invalid", "{refused}");
    // A token picked for a folder is not good for an export, and a token is good once.
    let folder_token = app.pick(app.work_dir(), "folder")?;
    let mut wrong_use = base.clone();
    wrong_use["token"] = folder_token.into();
    assert_eq!(
        export(wrong_use)?.expect_err("wrong use")["code"],
        "invalid"
    );
    let token = app.pick(&target, "timeline")?;
    let mut once = base.clone();
    once["token"] = token.into();
    let written = export(once.clone())?;
    assert!(written.is_ok(), "the picked path is written: {written:?}");
    assert!(target.exists());
    assert_eq!(export(once)?.expect_err("used up")["code"], "invalid");
    assert!(
        export_ok_watched_folder(&app, &base, &target)?.is_none(),
        "outside the watched folders"
    );
    let among_takes = demo.path().join("cut among the takes.xml");
    assert_eq!(
        export_ok_watched_folder(&app, &base, &among_takes)?,
        Some(demo.path().display().to_string()),
        "an export into a watched folder says so"
    );
    let folder = session.invoke("open_folder", serde_json::json!({ "token": "not-a-token" }))?;
    assert_eq!(folder.expect_err("open_folder")["code"], "invalid");
    // The page cannot open dialogs itself either.
    let dialog = session.invoke("plugin:dialog|save", serde_json::json!({ "options": {} }))?;
    assert!(
        dialog.is_err(),
        "the dialog plugin is not the page's: {dialog:?}"
    );
    app.close()
}

/// Picks `dest`, exports there, and returns the watched folder the reply names.
fn export_ok_watched_folder(
    app: &App,
    base: &serde_json::Value,
    dest: &Path,
) -> Result<Option<String>, E2eError> {
    let mut args = base.clone();
    args["token"] = app.pick(dest, "timeline")?.into();
    let done = app.session().invoke_ok("export_timeline", args)?;
    Ok(done["watchedFolder"].as_str().map(str::to_owned))
}
