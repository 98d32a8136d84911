//! The watched folder, live: a clip that finishes downloading shows up in its shot without a
//! reload, and a corrupt clip shows its error on its own card.

use rusqlite::{Connection, OpenFlags};
use serde_json::Value;
use takeboard_e2e::ui::{self, ShotRow};
use takeboard_e2e::{e2e_enabled, wait_until, App, ClipFolder, ClipSpec, E2eError, UI_TIMEOUT};

/// The shot code and take id the library records for the file at `path`.
fn recorded_shot_of(library: &std::path::Path, path: &std::path::Path) -> (String, i64) {
    let db = Connection::open_with_flags(library, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("the library opens read-only");
    db.query_row(
        "SELECT s.code, t.id FROM files f JOIN takes t ON t.id = f.take_id
         JOIN shots s ON s.id = t.shot_id WHERE f.path = ?1",
        [path.display().to_string()],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .expect("the file is recorded")
}

#[test]
fn a_clip_dropped_into_the_folder_appears_in_its_shot_without_a_reload() -> Result<(), E2eError> {
    if !e2e_enabled("a_clip_dropped_into_the_folder_appears_in_its_shot_without_a_reload") {
        return Ok(());
    }
    let demo = ClipFolder::demo()?;
    let app = App::launch(demo.path())?;
    let session = app.session();
    let before = ui::open_shot(session, "SH020", 4).map_err(|e| app.with_log(e))?;
    // A full page load would wipe this.
    session.execute(
        "window.__e2eMarker = 'set before the drop'; return true;",
        &[],
    )?;

    // Written as SH020_flash_t5.mp4.part, renamed when complete, like a browser download.
    let dropped = demo.add(ClipSpec::small("SH020_flash_t5.mp4", "24", 1))?;

    let after = ui::wait_for_grid(
        session,
        "the dropped clip's card in SH020, its player loaded",
        UI_TIMEOUT,
        |g| g.shot == "SH020" && g.cards.len() == 5 && g.players.len() == 5 && g.settled(),
    )?;
    let new_cards: Vec<_> = after
        .cards
        .iter()
        .filter(|c| before.card(c.id).is_none())
        .collect();
    assert_eq!(new_cards.len(), 1, "one new card: {after:#?}");
    assert_eq!(new_cards[0].name, "SH020_flash_t5.mp4");
    assert_eq!(new_cards[0].status, "unreviewed");
    assert_eq!(
        recorded_shot_of(app.library(), &dropped),
        ("SH020".to_owned(), new_cards[0].id),
        "the card is the take the library recorded, in SH020"
    );

    let mut rows = Vec::new();
    wait_until(
        "the shot list to count 5 takes in SH020",
        UI_TIMEOUT,
        || {
            rows = ui::shot_rows(session)?;
            Ok(rows
                .iter()
                .any(|r| r.code == "SH020" && r.takes == "5 takes")
                .then_some(()))
        },
    )
    .map_err(|e| E2eError::Setup(format!("{e}\nshot list: {rows:#?}")))?;
    assert_eq!(
        rows.iter().map(|r| r.takes.as_str()).collect::<Vec<_>>(),
        ["6 takes", "5 takes", "6 takes"],
        "only SH020 grew"
    );

    let marker = session.execute("return window.__e2eMarker ?? null;", &[])?;
    assert_eq!(
        marker,
        Value::from("set before the drop"),
        "the page was not reloaded"
    );
    app.close()
}

#[test]
fn a_corrupt_clip_shows_its_error_on_its_card() -> Result<(), E2eError> {
    if !e2e_enabled("a_corrupt_clip_shows_its_error_on_its_card") {
        return Ok(());
    }
    let clips = ClipFolder::empty()?;
    let good = clips.add(ClipSpec::small("SH070_flash_t1.mp4", "24", 1))?;
    let html = clips.add_finished_file(
        "SH070_flash_t2.mp4",
        b"<!DOCTYPE html><html><body>Access denied</body></html>\n",
    )?;
    // The first 2 KiB of a real clip: the movie header is cut short.
    let truncated =
        clips.add_finished_file("SH070_flash_t3.mp4", &std::fs::read(&good)?[..2048])?;

    let app = App::launch(clips.path())?;
    let session = app.session();
    let grid = ui::wait_for_grid(
        session,
        "SH070's three cards, the two bad ones with their errors, the good one playable",
        UI_TIMEOUT,
        |g| {
            g.shot == "SH070"
                && g.cards.len() == 3
                && g.cards.iter().filter(|c| c.error.is_some()).count() == 2
                && g.players.iter().any(|p| p.settled())
        },
    )
    .map_err(|e| app.with_log(e))?;

    let card_of = |path: &std::path::Path| {
        let (shot, id) = recorded_shot_of(app.library(), path);
        assert_eq!(shot, "SH070", "{} is in SH070", path.display());
        grid.card(id)
            .cloned()
            .unwrap_or_else(|| panic!("no card for take {id}: {grid:#?}"))
    };
    let good_card = card_of(&good);
    assert_eq!(good_card.error, None, "the good clip shows no error");
    let good_player = grid.players.iter().find(|p| p.take_id == good_card.id);
    assert!(
        good_player.is_some_and(|p| p.settled()),
        "the good clip still plays: {grid:#?}"
    );

    let html_error = card_of(&html).error.unwrap_or_default();
    assert!(
        html_error.contains("not an MP4/MOV video") && html_error.contains("web page"),
        "the HTML file's card says what it is: {html_error}"
    );
    let truncated_error = card_of(&truncated).error.unwrap_or_default();
    assert!(
        truncated_error.contains("looks truncated or still downloading"),
        "the truncated clip's card says so: {truncated_error}"
    );

    // The app kept going: the shot list counts all three.
    assert_eq!(
        ui::shot_rows(session)?,
        [ShotRow {
            code: "SH070".into(),
            takes: "3 takes".into(),
            state: "exploring".into(),
        }]
    );
    app.close()
}
