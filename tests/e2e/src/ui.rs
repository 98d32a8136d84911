//! Reading the Takeboard window by the data-testids of `ui/src`: the shot list, the compare
//! grid's cards and players, the transport. One script call per snapshot, so a poll costs
//! one WebDriver round trip. Only what several tests share lives here.

use std::time::Duration;

use serde_json::Value;

use crate::webdriver::Session;
use crate::{wait_until, E2eError, UI_TIMEOUT};

/// One row of the shot list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShotRow {
    /// Shot code (`SH010`).
    pub code: String,
    /// The take count as shown (`4 takes`).
    pub takes: String,
    /// The state badge (`exploring`, `approved`, …).
    pub state: String,
}

/// One take card in the compare grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// The take id (from `take-<id>`).
    pub id: i64,
    /// `data-status`.
    pub status: String,
    /// Whether the card has the keyboard focus (audio, A/S/H/R act on it).
    pub focused: bool,
    /// The file name shown.
    pub name: String,
    /// The `take-error` text, when the card shows one.
    pub error: Option<String>,
}

/// One `<video>` of the compare grid as the page sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Player {
    /// `data-take-id`.
    pub take_id: i64,
    /// `video.currentTime` in seconds.
    pub time: f64,
    /// `data-frame`: the frame the UI says this player shows.
    pub frame: i64,
    /// `video.seeking`.
    pub seeking: bool,
    /// `video.readyState` (2 = the current frame is decoded).
    pub ready_state: i64,
    /// `video.paused`.
    pub paused: bool,
    /// `video.error.code`, when the element failed.
    pub error: Option<i64>,
}

impl Player {
    /// Done seeking, with the frame at `currentTime` decoded.
    pub fn settled(&self) -> bool {
        !self.seeking && self.ready_state >= 2 && self.error.is_none()
    }
}

/// The compare view at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// The shot shown (the shot bar's code).
    pub shot: String,
    /// The master clock frame (`data-clock-frame`).
    pub clock: i64,
    /// The frame counter's text (`clock-frame`).
    pub clock_text: String,
    /// The clock's speed (0 = stopped).
    pub speed: f64,
    /// The take cards, in grid order.
    pub cards: Vec<Card>,
    /// The players, in grid order.
    pub players: Vec<Player>,
}

impl Grid {
    /// Every player is settled on its frame.
    pub fn settled(&self) -> bool {
        self.players.iter().all(Player::settled)
    }

    /// The card of take `id`.
    pub fn card(&self, id: i64) -> Option<&Card> {
        self.cards.iter().find(|c| c.id == id)
    }

    /// The focused card.
    pub fn focused(&self) -> Option<&Card> {
        self.cards.iter().find(|c| c.focused)
    }
}

const SHOT_ROWS: &str = r#"
return [...document.querySelectorAll('[data-shot-id]')].map((row) => ({
  code: row.dataset.testid.replace(/^shot-/, ''),
  takes: row.querySelector('[data-testid="shot-takes"]').textContent.trim(),
  state: row.dataset.state,
}));
"#;

const GRID: &str = r#"
const grid = document.querySelector('[data-testid="compare-grid"]');
if (!grid) return null;
const code = document.querySelector('.shotbar .code');
return {
  shot: code ? code.textContent.trim() : '',
  clock: Number(grid.dataset.clockFrame),
  clockText: document.querySelector('[data-testid="clock-frame"]').textContent.trim(),
  speed: Number(grid.dataset.speed),
  cards: [...grid.querySelectorAll('[data-testid^="take-"][data-status]')].map((card) => {
    const error = card.querySelector('[data-testid="take-error"]');
    return {
      id: Number(card.dataset.testid.replace(/^take-/, '')),
      status: card.dataset.status,
      focused: card.classList.contains('focused'),
      name: card.querySelector('.name').textContent.trim(),
      error: error ? error.textContent.trim() : null,
    };
  }),
  players: [...grid.querySelectorAll('video[data-take-id]')].map((v) => ({
    takeId: Number(v.dataset.takeId),
    time: v.currentTime,
    frame: Number(v.dataset.frame),
    seeking: v.seeking,
    readyState: v.readyState,
    paused: v.paused,
    error: v.error ? v.error.code : null,
  })),
};
"#;

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_owned()
}

/// The text content of the element `[data-testid=<testid>]` (empty when there is none),
/// whether or not it is laid out where WebDriver's element text would see it.
pub fn text_of(session: &Session, testid: &str) -> Result<String, E2eError> {
    let value = session.execute(
        "const e = document.querySelector(`[data-testid=\"${arguments[0]}\"]`); return e ? e.textContent.trim() : '';",
        &[testid.into()],
    )?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

/// The shot list, top to bottom.
pub fn shot_rows(session: &Session) -> Result<Vec<ShotRow>, E2eError> {
    let rows = session.execute(SHOT_ROWS, &[])?;
    Ok(rows
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|row| ShotRow {
            code: text(row, "code"),
            takes: text(row, "takes"),
            state: text(row, "state"),
        })
        .collect())
}

/// The compare view now, or `None` while it is not shown.
pub fn grid(session: &Session) -> Result<Option<Grid>, E2eError> {
    let value = session.execute(GRID, &[])?;
    if value.is_null() {
        return Ok(None);
    }
    let list = |key: &str| value[key].as_array().cloned().unwrap_or_default();
    Ok(Some(Grid {
        shot: text(&value, "shot"),
        clock: value["clock"].as_i64().unwrap_or(-1),
        clock_text: text(&value, "clockText"),
        speed: value["speed"].as_f64().unwrap_or_default(),
        cards: list("cards")
            .iter()
            .map(|c| Card {
                id: c["id"].as_i64().unwrap_or(-1),
                status: text(c, "status"),
                focused: c["focused"].as_bool().unwrap_or(false),
                name: text(c, "name"),
                error: c["error"].as_str().map(str::to_owned),
            })
            .collect(),
        players: list("players")
            .iter()
            .map(|p| Player {
                take_id: p["takeId"].as_i64().unwrap_or(-1),
                time: p["time"].as_f64().unwrap_or(f64::NAN),
                frame: p["frame"].as_i64().unwrap_or(-1),
                seeking: p["seeking"].as_bool().unwrap_or(true),
                ready_state: p["readyState"].as_i64().unwrap_or(0),
                paused: p["paused"].as_bool().unwrap_or(false),
                error: p["error"].as_i64(),
            })
            .collect(),
    }))
}

/// Polls the compare view until `ready` holds for it; returns that view.
pub fn wait_for_grid(
    session: &Session,
    what: &str,
    timeout: Duration,
    ready: impl Fn(&Grid) -> bool,
) -> Result<Grid, E2eError> {
    let mut last = None;
    wait_until(what, timeout, || {
        let now = grid(session)?;
        let ok = now.as_ref().is_some_and(&ready);
        last = now.clone();
        Ok(ok.then_some(()).and(now))
    })
    .map_err(|e| E2eError::Setup(format!("{e}\nlast view: {last:#?}")))
}

/// Waits for the shot list to show `code`, clicks it, and waits until the compare view
/// shows that shot with `takes` cards and every player settled on a decoded frame.
pub fn open_shot(session: &Session, code: &str, takes: usize) -> Result<Grid, E2eError> {
    let row = session.wait_for(&format!("[data-testid=\"shot-{code}\"]"), UI_TIMEOUT)?;
    session.click(&row)?;
    wait_for_grid(
        session,
        &format!("{code} with {takes} takes, every player on a decoded frame"),
        UI_TIMEOUT,
        |g| g.shot == code && g.cards.len() == takes && g.players.len() == takes && g.settled(),
    )
}
