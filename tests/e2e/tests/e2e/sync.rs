//! One clock for every player: after Home/End, ←/→, Shift+←/→ and a click on the scrub bar,
//! each `<video>` of the compare grid has finished seeking and sits on the frame the master
//! clock says it should show — the clock frame itself for takes at the grid's rate, the
//! frame at the same instant for a 23.976 take beside a 29.97 one. And what each player
//! *shows* is that frame, read off the screen from clips that paint their own number: after
//! opening a shot, steps, End/Home, play+pause, a page of takes, A/B and wipe.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use takeboard_e2e::pixels::{picture_rects, Screen};
use takeboard_e2e::ui::{self, Grid};
use takeboard_e2e::webdriver::{key, Session};
use takeboard_e2e::{e2e_enabled, wait_until, App, ClipFolder, ClipSpec, E2eError, UI_TIMEOUT};

/// A take's exact rate and length, as the library recorded them from the file.
#[derive(Debug, Clone, Copy)]
struct Timing {
    fps_num: i64,
    fps_den: i64,
    frames: i64,
}

impl Timing {
    fn fps(&self) -> f64 {
        self.fps_num as f64 / self.fps_den as f64
    }
}

fn timings(library: &Path) -> HashMap<i64, Timing> {
    let db = Connection::open_with_flags(library, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("the library opens read-only");
    let mut query = db
        .prepare("SELECT id, fps_num, fps_den, frames FROM takes WHERE frames IS NOT NULL")
        .expect("query");
    query
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                Timing {
                    fps_num: row.get(1)?,
                    fps_den: row.get(2)?,
                    frames: row.get(3)?,
                },
            ))
        })
        .expect("takes")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// The shot's clock: its reference rate is its first take's, as the grid's is.
struct ShotClock {
    reference: Timing,
    takes: HashMap<i64, Timing>,
}

impl ShotClock {
    fn of(grid: &Grid, all: &HashMap<i64, Timing>) -> ShotClock {
        let takes: HashMap<i64, Timing> = grid.cards.iter().map(|c| (c.id, all[&c.id])).collect();
        ShotClock {
            reference: takes[&grid.cards[0].id],
            takes,
        }
    }

    /// The frame take `t` shows at clock frame `clock`: floor(clock / ref fps × fps),
    /// in exact integers, held on its last frame.
    fn target(&self, t: Timing, clock: i64) -> i64 {
        let r = self.reference;
        let frame = clock * r.fps_den * t.fps_num / (r.fps_num * t.fps_den);
        frame.min(t.frames - 1)
    }

    /// The last clock frame: where the longest take shows its last frame.
    fn last(&self) -> i64 {
        let r = self.reference;
        self.takes
            .values()
            .map(|t| (t.frames * t.fps_den * r.fps_num - 1) / (t.fps_num * r.fps_den))
            .max()
            .unwrap_or(0)
    }

    /// Every player on its target frame: `currentTime × fps` within half a frame of the
    /// target frame's centre, and the UI's `data-frame` saying the same.
    fn check(&self, grid: &Grid) {
        assert_eq!(
            grid.clock_text,
            grid.clock.to_string(),
            "frame counter shows the clock"
        );
        for player in &grid.players {
            let timing = self.takes[&player.take_id];
            let target = self.target(timing, grid.clock);
            let offset = player.time * timing.fps() - (target as f64 + 0.5);
            assert!(
                offset.abs() <= 0.5,
                "take {} at {} fps: currentTime {} is frame {:.3}, clock {} wants frame {target}",
                player.take_id,
                timing.fps(),
                player.time,
                player.time * timing.fps(),
                grid.clock
            );
            assert_eq!(
                player.frame, target,
                "take {}: data-frame at clock {}",
                player.take_id, grid.clock
            );
            if timing.fps_num * self.reference.fps_den == self.reference.fps_num * timing.fps_den {
                assert_eq!(
                    target, grid.clock,
                    "a take at the grid's rate shows the clock frame"
                );
            }
        }
    }
}

/// Presses `chord`, waits until the clock reads `expected` with every player settled, and
/// checks every player's frame.
fn press_and_check(
    session: &Session,
    clock: &ShotClock,
    chord: &[&str],
    expected: i64,
) -> Result<(), E2eError> {
    session.press(chord)?;
    let grid = ui::wait_for_grid(
        session,
        &format!("clock frame {expected} after {chord:?}, every player settled"),
        UI_TIMEOUT,
        |g| g.clock == expected && g.settled(),
    )?;
    clock.check(&grid);
    Ok(())
}

#[test]
fn every_player_shows_the_clock_frame_after_seeks_and_steps() -> Result<(), E2eError> {
    if !e2e_enabled("every_player_shows_the_clock_frame_after_seeks_and_steps") {
        return Ok(());
    }
    let demo = ClipFolder::demo()?;
    // A 29.97 take and a 23.976 take of one shot: one clock, two rates.
    for (name, rate) in [
        ("SH040_flash_t1.mp4", "30000/1001"),
        ("SH040_flash_t2.mp4", "24000/1001"),
    ] {
        demo.add(ClipSpec::small(name, rate, 2))?;
    }
    let app = App::launch(demo.path())?;
    let session = app.session();

    // SH020: four 5 s takes at 24 fps.
    let grid = ui::open_shot(session, "SH020", 4).map_err(|e| app.with_log(e))?;
    let all = timings(app.library());
    let clock = ShotClock::of(&grid, &all);
    assert_eq!(clock.last(), 119, "120 frames at 24 fps");
    clock.check(&grid);
    press_and_check(session, &clock, &[key::END], 119)?;
    press_and_check(session, &clock, &[key::HOME], 0)?;
    for frame in 1..=3 {
        press_and_check(session, &clock, &[key::RIGHT], frame)?;
    }
    press_and_check(session, &clock, &[key::SHIFT, key::RIGHT], 13)?;
    press_and_check(session, &clock, &[key::SHIFT, key::RIGHT], 23)?;
    press_and_check(session, &clock, &[key::LEFT], 22)?;
    press_and_check(session, &clock, &[key::SHIFT, key::LEFT], 12)?;
    press_and_check(session, &clock, &[key::LEFT], 11)?;

    // A click on the middle of the scrub bar seeks to the middle of the shot.
    session.click(&session.find("[data-testid=\"scrub-bar\"]")?)?;
    let grid = ui::wait_for_grid(
        session,
        "the scrub to the middle, every player settled",
        UI_TIMEOUT,
        |g| (55..=64).contains(&g.clock) && g.settled(),
    )?;
    clock.check(&grid);
    press_and_check(session, &clock, &[key::RIGHT], grid.clock + 1)?;

    // SH040: 29.97 and 23.976 side by side; the clock runs at the first take's 29.97.
    let grid = ui::open_shot(session, "SH040", 2)?;
    let clock = ShotClock::of(&grid, &all);
    assert_eq!(
        (clock.reference.fps_num, clock.reference.fps_den),
        (30000, 1001),
        "{grid:#?}"
    );
    clock.check(&grid);
    for frame in 1..=5 {
        press_and_check(session, &clock, &[key::RIGHT], frame)?;
    }
    press_and_check(session, &clock, &[key::SHIFT, key::RIGHT], 15)?;
    let last = clock.last();
    press_and_check(session, &clock, &[key::END], last)?;
    press_and_check(session, &clock, &[key::SHIFT, key::LEFT], last - 10)?;
    press_and_check(session, &clock, &[key::LEFT], last - 11)?;
    press_and_check(session, &clock, &[key::HOME], 0)?;
    app.close()
}

/// What the screen shows against what the clock wants, for one look.
#[derive(Debug)]
struct Look {
    clock: i64,
    /// (take, wanted, shown on screen, `data-frame`)
    players: Vec<(i64, i64, Option<i64>, i64)>,
}

impl Look {
    fn agrees(&self) -> bool {
        self.players
            .iter()
            .all(|&(_, wanted, shown, readout)| shown == Some(wanted) && readout == wanted)
    }
}

/// Waits until the grid is settled at clock frame `expected`, then until every visible
/// player *shows* its target frame on screen and its readout says the same. A wipe shows
/// A's picture left of the line and B's right of it: the stripes read across the wipe are
/// A's high bits and B's low bits (the line sits at the middle, after the fourth bit).
fn check_pictures(
    session: &Session,
    clock: &ShotClock,
    expected: i64,
    what: &str,
) -> Result<(), E2eError> {
    let grid = ui::wait_for_grid(
        session,
        &format!("{what}: clock {expected}, players settled"),
        UI_TIMEOUT,
        |g| g.clock == expected && g.settled() && g.speed == 0.0,
    )?;
    let mode = session.execute(
        "const g = document.querySelector('[data-testid=\"compare-grid\"]'); return g ? g.dataset.mode : '';",
        &[],
    )?;
    let wipe = mode.as_str() == Some("wipe");
    let mut last = None;
    wait_until(
        &format!("{what}: every player shows clock frame {expected} on screen"),
        PICTURE_TIMEOUT,
        || {
            let rects = picture_rects(session)?;
            let screen = Screen::take(session)?;
            let now = ui::grid(session)?.unwrap_or_else(|| grid.clone());
            let readout = |id: i64| {
                now.players
                    .iter()
                    .find(|p| p.take_id == id)
                    .map_or(-1, |p| p.frame)
            };
            let visible: Vec<_> = rects.iter().filter(|r| r.visible).collect();
            let target = |id: i64| clock.target(clock.takes[&id], now.clock);
            let players = if wipe {
                let (a, b) = (visible[0].take_id, visible[1].take_id);
                let wanted = (target(a) & 0xF0) | (target(b) & 0x0F);
                let shown = screen.frame_in(visible[0]);
                vec![(a, wanted, shown, (readout(a) & 0xF0) | (readout(b) & 0x0F))]
            } else {
                visible
                    .iter()
                    .map(|r| {
                        (
                            r.take_id,
                            target(r.take_id),
                            screen.frame_in(r),
                            readout(r.take_id),
                        )
                    })
                    .collect()
            };
            let look = Look {
                clock: now.clock,
                players,
            };
            let ok = look.clock == expected && look.agrees();
            last = Some(look);
            Ok(ok.then_some(()))
        },
    )
    .map_err(|e| E2eError::Setup(format!("{e}\nlast look: {last:#?}")))?;
    Ok(())
}

/// Pictures are decoded and painted a moment after a seek lands; longer than that is a bug.
const PICTURE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// Presses `chord`, then checks the pictures at clock frame `expected`.
fn press_and_look(
    session: &Session,
    clock: &ShotClock,
    chord: &[&str],
    expected: i64,
) -> Result<(), E2eError> {
    session.press(chord)?;
    check_pictures(session, clock, expected, &format!("after {chord:?}"))
}

/// Plays for a few frames, pauses, and checks the pictures where the clock stopped.
fn play_pause_and_look(session: &Session, clock: &ShotClock) -> Result<(), E2eError> {
    let from = ui::grid(session)?.map_or(0, |g| g.clock);
    session.press(&[" "])?;
    ui::wait_for_grid(session, "playback under way", UI_TIMEOUT, |g| {
        g.speed > 0.0 && g.clock >= from + 6
    })?;
    session.press(&[" "])?;
    let stopped = ui::wait_for_grid(session, "paused", UI_TIMEOUT, |g| g.speed == 0.0)?;
    check_pictures(session, clock, stopped.clock, "after play + pause")
}

/// Steps, End/Home and play+pause on the open shot, checking the pictures after each.
fn walk_the_shot(session: &Session, clock: &ShotClock) -> Result<(), E2eError> {
    check_pictures(session, clock, 0, "after opening the shot")?;
    press_and_look(session, clock, &[key::RIGHT], 1)?;
    press_and_look(session, clock, &[key::RIGHT], 2)?;
    press_and_look(session, clock, &[key::SHIFT, key::RIGHT], 12)?;
    press_and_look(session, clock, &[key::END], clock.last())?;
    press_and_look(session, clock, &[key::LEFT], clock.last() - 1)?;
    press_and_look(session, clock, &[key::HOME], 0)?;
    play_pause_and_look(session, clock)?;
    press_and_look(session, clock, &[key::HOME], 0)
}

#[test]
fn every_player_shows_the_clock_frame_on_screen_from_the_moment_a_shot_opens(
) -> Result<(), E2eError> {
    if !e2e_enabled("every_player_shows_the_clock_frame_on_screen_from_the_moment_a_shot_opens") {
        return Ok(());
    }
    let clips = ClipFolder::empty()?;
    // SH010: four 2 s takes at 24 fps (one showed its last frame right after opening).
    for t in 1..=4 {
        clips.add(ClipSpec::numbered(
            &format!("SH010_flash_t{t}.mp4"),
            "24",
            2,
        ))?;
    }
    // SH020: 24, 23.976, 25 and 29.97 fps of different lengths, on one clock.
    for (t, rate, seconds) in [
        (1, "24", 2),
        (2, "24000/1001", 3),
        (3, "25", 2),
        (4, "30000/1001", 3),
    ] {
        clips.add(ClipSpec::numbered(
            &format!("SH020_flash_t{t}.mp4"),
            rate,
            seconds,
        ))?;
    }
    // SH030: eight takes, two pages of the grid.
    for t in 1..=8 {
        clips.add(ClipSpec::numbered(
            &format!("SH030_flash_t{t}.mp4"),
            "24",
            1,
        ))?;
    }
    let app = App::launch(clips.path())?;
    let session = app.session();
    let run = || -> Result<(), E2eError> {
        let grid = ui::open_shot(session, "SH010", 4)?;
        let all = timings(app.library());
        let clock = ShotClock::of(&grid, &all);
        walk_the_shot(session, &clock)?;

        let grid = ui::open_shot(session, "SH020", 4)?;
        let all = timings(app.library());
        let clock = ShotClock::of(&grid, &all);
        walk_the_shot(session, &clock)?;
        // A/B shows one take at a time; B flips; wipe shows both halves; Esc is the grid.
        press_and_look(session, &clock, &[key::RIGHT], 1)?;
        press_and_look(session, &clock, &["b"], 1)?;
        press_and_look(session, &clock, &["b"], 1)?;
        press_and_look(session, &clock, &[key::SHIFT, key::RIGHT], 11)?;
        press_and_look(session, &clock, &[key::ESCAPE], 11)?;
        press_and_look(session, &clock, &["w"], 11)?;
        press_and_look(session, &clock, &[key::RIGHT], 12)?;
        press_and_look(session, &clock, &["w"], 12)?;

        let grid = ui::open_shot(session, "SH030", 6)?;
        let all = timings(app.library());
        let clock = ShotClock::of(&grid, &all);
        check_pictures(session, &clock, 0, "page 1 of SH030")?;
        // Six players stream at once from the media server.
        play_pause_and_look(session, &clock)?;
        press_and_look(session, &clock, &[key::HOME], 0)?;
        press_and_look(session, &clock, &[key::RIGHT], 1)?;
        session.click(&session.find("[aria-label=\"Next six takes\"]")?)?;
        let grid = ui::wait_for_grid(session, "page 2: two takes", UI_TIMEOUT, |g| {
            g.players.len() == 2 && g.settled()
        })?;
        let clock = ShotClock::of(&grid, &all);
        check_pictures(session, &clock, grid.clock, "page 2 of SH030")
    };
    run().map_err(|e| app.with_log(e))?;
    app.close()
}
