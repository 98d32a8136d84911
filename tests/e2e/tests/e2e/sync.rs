//! One clock for every player: after Home/End, ←/→, Shift+←/→ and a click on the scrub bar,
//! each `<video>` of the compare grid has finished seeking and sits on the frame the master
//! clock says it should show — the clock frame itself for takes at the grid's rate, the
//! frame at the same instant for a 23.976 take beside a 29.97 one.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags};
use takeboard_e2e::ui::{self, Grid};
use takeboard_e2e::webdriver::{key, Session};
use takeboard_e2e::{e2e_enabled, App, ClipFolder, ClipSpec, E2eError, UI_TIMEOUT};

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
