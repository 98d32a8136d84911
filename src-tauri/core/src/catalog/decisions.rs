//! Review decisions as stored: `take_decisions` (status, final mark, trims, who and when),
//! `take_notes`, and each shot's state as derived from decisions and render requests.

use super::sql::{params, DbError, Row, Sql, SqlExt, Tx};
use super::{current_actor, now_text, CatalogError};
use crate::domain::{
    Note, Origin, Presence, ProjectId, ShotId, ShotState, TakeDecision, TakeId, TakeStatus,
};

/// A take as review sees it: its `takes` row joined with its decisions.
#[derive(Debug, Clone)]
pub struct ReviewedTake {
    /// The take.
    pub id: TakeId,
    /// Its project.
    pub project_id: ProjectId,
    /// Its shot.
    pub shot_id: ShotId,
    /// Which model made it.
    pub origin: Origin,
    /// Whether its file is in a watched folder.
    pub presence: Presence,
    /// Why its file could not be read, if it could not.
    pub error: Option<String>,
    /// Its frame count, when measured.
    pub frames: Option<u64>,
    /// The decisions on it.
    pub decision: TakeDecision,
}

const REVIEWED_TAKE_SQL: &str =
    "SELECT t.id, t.project_id, t.shot_id, t.origin, t.presence, t.error, t.frames,
            d.status, d.is_final, d.trim_in, d.trim_out, d.decided_at, d.decided_by
     FROM takes t LEFT JOIN take_decisions d ON d.take_id = t.id";

fn reviewed_take_row(row: &Row) -> Result<ReviewedTake, DbError> {
    let id = row.get(0)?;
    let shot_id = row.get(2)?;
    let status: Option<String> = row.get(7)?;
    let status = match status {
        Some(_) => row.parse(7)?,
        None => TakeStatus::Unreviewed,
    };
    Ok(ReviewedTake {
        id,
        project_id: row.get(1)?,
        shot_id,
        origin: row.parse(3)?,
        presence: row.parse(4)?,
        error: row.get(5)?,
        frames: row.get::<Option<u64>>(6)?,
        decision: TakeDecision {
            take_id: id,
            shot_id,
            status,
            is_final: row.get::<Option<bool>>(8)?.unwrap_or(false),
            trim_in: row.get::<Option<u64>>(9)?,
            trim_out: row.get::<Option<u64>>(10)?,
            decided_at: row.get(11)?,
            decided_by: row.get(12)?,
        },
    })
}

/// One take with its decisions, `None` when the id is unknown.
pub fn reviewed_take(
    conn: &dyn Sql,
    take_id: TakeId,
) -> Result<Option<ReviewedTake>, CatalogError> {
    Ok(conn.query_opt(
        &format!("{REVIEWED_TAKE_SQL} WHERE t.id = ?1"),
        params![take_id],
        reviewed_take_row,
    )?)
}

/// Other takes of `take`'s shot matching `condition` (a fixed SQL expression), by id.
fn other_takes_of_shot(
    conn: &dyn Sql,
    take: &ReviewedTake,
    condition: &str,
) -> Result<Vec<ReviewedTake>, CatalogError> {
    Ok(conn.query_map(
        &format!(
            "{REVIEWED_TAKE_SQL} WHERE t.shot_id = ?1 AND t.id <> ?2 AND {condition} ORDER BY t.id"
        ),
        params![take.shot_id, take.id],
        reviewed_take_row,
    )?)
}

/// The other takes of `take`'s shot that carry the final mark.
pub fn other_final_takes(
    conn: &dyn Sql,
    take: &ReviewedTake,
) -> Result<Vec<ReviewedTake>, CatalogError> {
    other_takes_of_shot(conn, take, "d.is_final = 1")
}

/// The other approved takes of `take`'s shot that are drafts (not Standard renders).
pub fn other_approved_drafts(
    conn: &dyn Sql,
    take: &ReviewedTake,
) -> Result<Vec<ReviewedTake>, CatalogError> {
    other_takes_of_shot(
        conn,
        take,
        "d.status = 'approved' AND t.origin <> 'standard'",
    )
}

/// Makes sure the take has a decisions row, then stamps who decided and when.
fn stamp_decision(tx: &Tx<'_>, take_id: TakeId) -> Result<(), CatalogError> {
    tx.execute(
        "INSERT INTO take_decisions (take_id, decided_at, decided_by) VALUES (?1, ?2, ?3)
         ON CONFLICT (take_id) DO UPDATE SET decided_at = excluded.decided_at,
                                             decided_by = excluded.decided_by",
        params![take_id, now_text(), current_actor()],
    )?;
    Ok(())
}

/// Records a take's status (stamped with who and when).
pub fn set_status(tx: &Tx<'_>, take_id: TakeId, status: TakeStatus) -> Result<(), CatalogError> {
    stamp_decision(tx, take_id)?;
    tx.execute(
        "UPDATE take_decisions SET status = ?2 WHERE take_id = ?1",
        params![take_id, status.as_str()],
    )?;
    Ok(())
}

/// Sets or clears a take's final mark (stamped with who and when).
pub fn set_final(tx: &Tx<'_>, take_id: TakeId, is_final: bool) -> Result<(), CatalogError> {
    stamp_decision(tx, take_id)?;
    tx.execute(
        "UPDATE take_decisions SET is_final = ?2 WHERE take_id = ?1",
        params![take_id, is_final],
    )?;
    Ok(())
}

/// A frame number as stored (SQLite integers are signed).
fn frame_sql(frame: u64) -> Result<i64, CatalogError> {
    i64::try_from(frame).map_err(|_| CatalogError::Invalid(format!("frame {frame} is too large")))
}

/// Records a take's trim points (stamped with who and when); `None` clears one.
pub fn set_trim(
    tx: &Tx<'_>,
    take_id: TakeId,
    trim_in: Option<u64>,
    trim_out: Option<u64>,
) -> Result<(), CatalogError> {
    let (trim_in, trim_out) = (
        trim_in.map(frame_sql).transpose()?,
        trim_out.map(frame_sql).transpose()?,
    );
    stamp_decision(tx, take_id)?;
    tx.execute(
        "UPDATE take_decisions SET trim_in = ?2, trim_out = ?3 WHERE take_id = ?1",
        params![take_id, trim_in, trim_out],
    )?;
    Ok(())
}

/// Stores a note by the current user, now, and returns it.
pub fn insert_note(
    tx: &Tx<'_>,
    take_id: TakeId,
    frame: u64,
    text: &str,
) -> Result<Note, CatalogError> {
    let (now, actor) = (now_text(), current_actor());
    let id = tx.query_row(
        "INSERT INTO take_notes (take_id, frame, text, author, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
        params![take_id, frame_sql(frame)?, text, actor, now],
        |r| r.get(0),
    )?;
    Ok(Note {
        id,
        take_id,
        frame,
        text: text.to_owned(),
        author: actor,
        created_at: now,
    })
}

/// The notes on a take, in frame order.
pub fn notes(conn: &dyn Sql, take_id: TakeId) -> Result<Vec<Note>, CatalogError> {
    Ok(conn.query_map(
        "SELECT id, take_id, frame, text, author, created_at FROM take_notes
         WHERE take_id = ?1 ORDER BY frame, id",
        params![take_id],
        |r| {
            Ok(Note {
                id: r.get(0)?,
                take_id: r.get(1)?,
                frame: r.get::<Option<u64>>(2)?.unwrap_or(0),
                text: r.get(3)?,
                author: r.get(4)?,
                created_at: r.get(5)?,
            })
        },
    )?)
}

/// Per shot: whether it has a final take, a completed request with its result, a request
/// sent or of unknown outcome, an approved take. One query for one shot or a whole project.
const SHOT_STATE_SQL: &str = "SELECT s.id,
        EXISTS (SELECT 1 FROM takes t JOIN take_decisions d ON d.take_id = t.id
                WHERE t.shot_id = s.id AND d.is_final = 1),
        EXISTS (SELECT 1 FROM render_requests r
                WHERE r.shot_id = s.id AND r.state = 'completed' AND r.result_take_id IS NOT NULL),
        EXISTS (SELECT 1 FROM render_requests r
                WHERE r.shot_id = s.id AND r.state IN ('submitted', 'unknown', 'completed')),
        EXISTS (SELECT 1 FROM takes t JOIN take_decisions d ON d.take_id = t.id
                WHERE t.shot_id = s.id AND d.status = 'approved')
    FROM shots s";

fn shot_state_row(r: &Row) -> Result<(ShotId, ShotState), DbError> {
    let state = if r.get(1)? {
        ShotState::Final
    } else if r.get(2)? {
        ShotState::Rendered
    } else if r.get(3)? {
        ShotState::Rendering
    } else if r.get(4)? {
        ShotState::Approved
    } else {
        ShotState::Exploring
    };
    Ok((r.get(0)?, state))
}

/// A shot's state (see [`ShotState`]), `None` when the id is unknown.
pub fn shot_state(conn: &dyn Sql, shot_id: ShotId) -> Result<Option<ShotState>, CatalogError> {
    Ok(conn
        .query_opt(
            &format!("{SHOT_STATE_SQL} WHERE s.id = ?1"),
            params![shot_id],
            shot_state_row,
        )?
        .map(|(_, state)| state))
}

/// The state of every shot of a project, in shot-list order.
pub fn shot_states(
    conn: &dyn Sql,
    project_id: ProjectId,
) -> Result<Vec<(ShotId, ShotState)>, CatalogError> {
    Ok(conn.query_map(
        &format!("{SHOT_STATE_SQL} WHERE s.project_id = ?1 ORDER BY s.position, s.id"),
        params![project_id],
        shot_state_row,
    )?)
}
