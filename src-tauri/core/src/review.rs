//! Review decisions: statuses, approval → exactly one render request, finals, trims, notes, shot state.
//!
//! One function per user action. Each mutation runs in one `BEGIN IMMEDIATE` transaction
//! (`Catalog::write`), writes one event-log row per decision, and returns what the UI shows
//! next. Invariants kept here: a shot has at most one approved Flash (or unknown-model) take
//! and at most one final take; an approved take has at most one live render request
//! (backed by the unique index `one_live_request_per_take`); a request that left `queued` is
//! never withdrawn from here. Boundaries: request bodies come from `render::body`, prices
//! from `pricing`; moving a request past `queued` (submit, poll, results) is the outbox's.

use crate::catalog::{log_event, Catalog, CatalogError};
use crate::domain::{
    Origin, Presence, ProjectId, RenderMode, RequestId, RequestState, ShotId, ShotState, TakeId,
    TakeStatus,
};
use crate::pricing::credits;
use crate::render::body::{self, build_request, BodyError, RequestDraft, TakeFacts};
use crate::render::outbox::Candidate;
use crate::settings::load_settings;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use serde::Serialize;
use serde_json::{json, Value};
use std::str::FromStr;

/// Everything a review action can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The take id is not in the catalog.
    #[error("take {0} not found")]
    TakeNotFound(TakeId),
    /// The shot id is not in the catalog.
    #[error("shot {0} not found")]
    ShotNotFound(ShotId),
    /// The render request id is not in the catalog.
    #[error("render request #{0} not found")]
    RequestNotFound(RequestId),
    /// The take cannot be approved as it is (its file is missing, or unreadable).
    #[error("take {take_id} cannot be approved: {reason}")]
    NotApprovable {
        /// The take.
        take_id: TakeId,
        /// Why, and what to do about it.
        reason: String,
    },
    /// `set_status` was asked for `approved`; approval goes through `approve`, which also
    /// records the render request.
    #[error("use approve to approve take {0}: approving also records its render request")]
    UseApprove(TakeId),
    /// The take's render request already left the queue, so the approval cannot be withdrawn.
    #[error("the render request #{request_id} was already sent to Luma; it can't be withdrawn from here — cancel it in Luma, then record its outcome in the render queue and try again")]
    AlreadySubmitted {
        /// The request that was sent.
        request_id: RequestId,
    },
    /// The take's render request was sent with an uncertain outcome; the user resolves it
    /// first.
    #[error("the render request #{request_id} may have been charged (its send is uncertain); resolve it in the render queue first — link the generation Luma made, send it again, or cancel it")]
    Uncertain {
        /// The uncertain request.
        request_id: RequestId,
    },
    /// The request is past the point where cancelling means anything.
    #[error("the render request #{request_id} is {state}; only a queued request can be cancelled")]
    NotCancellable {
        /// The request.
        request_id: RequestId,
        /// Its state.
        state: RequestState,
    },
    /// Trim points outside the take or out of order.
    #[error("invalid trim: {0}")]
    InvalidTrim(String),
    /// A note with no text, or anchored past the take's last frame.
    #[error("invalid note: {0}")]
    InvalidNote(String),
    /// The chosen resolution does not fit the render mode.
    #[error(transparent)]
    Body(#[from] BodyError),
    /// The catalog failed or refused (locked, damaged, unreadable settings…).
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Any other SQLite failure.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The editor's current decisions on one take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TakeDecision {
    /// The take.
    pub take_id: TakeId,
    /// Its shot.
    pub shot_id: ShotId,
    /// Its status (`unreviewed` until decided).
    pub status: TakeStatus,
    /// Whether it is its shot's final take.
    pub is_final: bool,
    /// First frame used, inclusive.
    pub trim_in: Option<u64>,
    /// End of the used range, exclusive.
    pub trim_out: Option<u64>,
    /// When last decided (RFC 3339), `None` if never.
    pub decided_at: Option<String>,
    /// Who last decided, `None` if never.
    pub decided_by: Option<String>,
}

/// A note anchored to a frame of a take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// Row id.
    pub id: i64,
    /// The take.
    pub take_id: TakeId,
    /// The frame it is about (0-based).
    pub frame: u64,
    /// The note.
    pub text: String,
    /// Who wrote it (OS user).
    pub author: String,
    /// When (RFC 3339).
    pub created_at: String,
}

/// A render request as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenderRequest {
    /// Row id.
    pub id: RequestId,
    /// Its project.
    pub project_id: ProjectId,
    /// Its shot.
    pub shot_id: ShotId,
    /// The shot's code (`SH010`).
    pub shot_code: String,
    /// The approved take it promotes.
    pub take_id: TakeId,
    /// That take's Luma generation id, if known (an upscale is sent to it).
    pub source_generation_id: Option<String>,
    /// What is sent and what it costs (flattened: the JSON has the draft's fields inline).
    #[serde(flatten)]
    pub draft: RequestDraft,
    /// Where it is in its life.
    pub state: RequestState,
    /// Luma's id for the render, once accepted.
    pub provider_generation_id: Option<String>,
    /// The Standard take it produced, once landed.
    pub result_take_id: Option<TakeId>,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// Locally generated key; the same approval always returns the same key.
    pub idempotency_key: String,
    /// Send attempts.
    pub attempts: i64,
    /// Timestamps (RFC 3339).
    pub created_at: String,
    /// When it was sent.
    pub submitted_at: Option<String>,
    /// When it completed, failed or was cancelled.
    pub finished_at: Option<String>,
    /// Last change.
    pub updated_at: String,
    /// For an `unknown` request: the generations Luma listed that may be its result, as
    /// last looked up by a submit pass (empty until then).
    pub candidates: Vec<Candidate>,
    /// When it was exported as a body to run elsewhere.
    pub exported_at: Option<String>,
    /// The process sending it right now (`submitted`, not yet answered).
    pub sender: Option<Sender>,
}

/// The process that claimed a request for a send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sender {
    /// Its process id.
    pub pid: i64,
    /// Its machine.
    pub host: String,
}

/// The user's choices when approving; `None` takes the project default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApproveOptions {
    /// Regenerate, modify or upscale.
    pub mode: Option<RenderMode>,
    /// `540p`, `720p`, `1080p` or `4k`.
    pub resolution: Option<String>,
}

/// What an approval did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Approval {
    /// The approved take.
    pub take_id: TakeId,
    /// Its live render request (`None` for a Standard take, which is marked final instead).
    pub request: Option<RenderRequest>,
    /// True when the take is a Standard take and is now its shot's final take.
    pub became_final: bool,
    /// Set when this approval's request took the project past its budget.
    pub budget_warning: Option<String>,
    /// True when the take was already approved: nothing changed, the same request returned.
    pub already_approved: bool,
}

/// The state of the take that review needs (a `takes` row joined with its decisions).
struct TakeState {
    id: TakeId,
    project_id: ProjectId,
    shot_id: ShotId,
    origin: Origin,
    presence: Presence,
    error: Option<String>,
    frames: Option<u64>,
    decision: TakeDecision,
}

const TAKE_STATE_SQL: &str =
    "SELECT t.id, t.project_id, t.shot_id, t.origin, t.presence, t.error, t.frames,
            d.status, d.is_final, d.trim_in, d.trim_out, d.decided_at, d.decided_by
     FROM takes t LEFT JOIN take_decisions d ON d.take_id = t.id";

fn parse_col<T>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = row.get(idx)?;
    text.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn frame_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<u64>> {
    let v: Option<i64> = row.get(idx)?;
    v.map(|v| {
        u64::try_from(v).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Integer, e.into())
        })
    })
    .transpose()
}

fn json_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Value>> {
    let text: Option<String> = row.get(idx)?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, e.into())
        })
    })
    .transpose()
}

fn take_state_row(row: &Row<'_>) -> rusqlite::Result<TakeState> {
    let id = row.get(0)?;
    let shot_id = row.get(2)?;
    let status: Option<String> = row.get(7)?;
    let status = match status {
        Some(_) => parse_col(row, 7)?,
        None => TakeStatus::Unreviewed,
    };
    Ok(TakeState {
        id,
        project_id: row.get(1)?,
        shot_id,
        origin: parse_col(row, 3)?,
        presence: parse_col(row, 4)?,
        error: row.get(5)?,
        frames: frame_col(row, 6)?,
        decision: TakeDecision {
            take_id: id,
            shot_id,
            status,
            is_final: row.get::<_, Option<bool>>(8)?.unwrap_or(false),
            trim_in: frame_col(row, 9)?,
            trim_out: frame_col(row, 10)?,
            decided_at: row.get(11)?,
            decided_by: row.get(12)?,
        },
    })
}

fn load_take(conn: &Connection, take_id: TakeId) -> Result<TakeState, ReviewError> {
    conn.query_row(
        &format!("{TAKE_STATE_SQL} WHERE t.id = ?1"),
        [take_id],
        take_state_row,
    )
    .optional()?
    .ok_or(ReviewError::TakeNotFound(take_id))
}

/// Other takes of the same shot with a given decision column set.
fn shot_takes_where(
    conn: &Connection,
    take: &TakeState,
    condition: &str,
) -> Result<Vec<TakeState>, ReviewError> {
    let mut stmt = conn.prepare(&format!(
        "{TAKE_STATE_SQL} WHERE t.shot_id = ?1 AND t.id <> ?2 AND {condition} ORDER BY t.id"
    ))?;
    let rows = stmt.query_map(params![take.shot_id, take.id], take_state_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The current decisions on a take.
pub fn decision(conn: &Connection, take_id: TakeId) -> Result<TakeDecision, ReviewError> {
    Ok(load_take(conn, take_id)?.decision)
}

/// The notes on a take, in frame order.
pub fn notes(conn: &Connection, take_id: TakeId) -> Result<Vec<Note>, ReviewError> {
    load_take(conn, take_id)?;
    let mut stmt = conn.prepare(
        "SELECT id, take_id, frame, text, author, created_at FROM take_notes
         WHERE take_id = ?1 ORDER BY frame, id",
    )?;
    let rows = stmt.query_map([take_id], |r| {
        Ok(Note {
            id: r.get(0)?,
            take_id: r.get(1)?,
            frame: frame_col(r, 2)?.unwrap_or(0),
            text: r.get(3)?,
            author: r.get(4)?,
            created_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Makes sure the take has a decisions row, then stamps who decided and when.
fn stamp_decision(tx: &Transaction<'_>, take_id: TakeId) -> Result<(), ReviewError> {
    let (now, actor) = (crate::catalog::now_text(), crate::catalog::current_actor());
    tx.execute(
        "INSERT INTO take_decisions (take_id, decided_at, decided_by) VALUES (?1, ?2, ?3)
         ON CONFLICT (take_id) DO UPDATE SET decided_at = excluded.decided_at,
                                             decided_by = excluded.decided_by",
        params![take_id, now, actor],
    )?;
    Ok(())
}

fn write_status(
    tx: &Transaction<'_>,
    take: &TakeState,
    status: TakeStatus,
    detail: Value,
) -> Result<(), ReviewError> {
    stamp_decision(tx, take.id)?;
    tx.execute(
        "UPDATE take_decisions SET status = ?2 WHERE take_id = ?1",
        params![take.id, status.as_str()],
    )?;
    let kind = match status {
        TakeStatus::Approved => "take_approved",
        _ if take.decision.status == TakeStatus::Approved => "take_unapproved",
        _ => "status_changed",
    };
    let mut detail = detail;
    detail["from"] = json!(take.decision.status);
    detail["to"] = json!(status);
    log_event(
        tx,
        take.project_id,
        kind,
        Some(take.id),
        Some(take.shot_id),
        detail.get("request_id").and_then(Value::as_i64),
        &detail,
    )?;
    Ok(())
}

fn write_final(
    tx: &Transaction<'_>,
    take: &TakeState,
    is_final: bool,
    detail: Value,
) -> Result<(), ReviewError> {
    stamp_decision(tx, take.id)?;
    tx.execute(
        "UPDATE take_decisions SET is_final = ?2 WHERE take_id = ?1",
        params![take.id, is_final],
    )?;
    let kind = if is_final {
        "final_marked"
    } else {
        "final_cleared"
    };
    log_event(
        tx,
        take.project_id,
        kind,
        Some(take.id),
        Some(take.shot_id),
        None,
        &detail,
    )?;
    Ok(())
}

/// Makes `take` its shot's only final take, moving the mark from another take if needed.
/// Returns false when it already was final.
fn move_final_mark(tx: &Transaction<'_>, take: &TakeState) -> Result<bool, ReviewError> {
    if take.decision.is_final {
        return Ok(false);
    }
    let previous = shot_takes_where(tx, take, "d.is_final = 1")?;
    for other in &previous {
        write_final(
            tx,
            other,
            false,
            json!({ "reason": "final mark moved", "to_take": take.id }),
        )?;
    }
    let from: Vec<TakeId> = previous.iter().map(|t| t.id).collect();
    write_final(tx, take, true, json!({ "moved_from": from }))?;
    Ok(true)
}

/// Withdraws an approval's consequences: cancels its queued request, refuses if the request
/// was sent, keeps a completed one as history; clears the final mark a Standard approval set.
fn withdraw_approval(
    tx: &Transaction<'_>,
    take: &TakeState,
    reason: &str,
) -> Result<Option<RequestId>, ReviewError> {
    if take.origin == Origin::Standard {
        if take.decision.is_final {
            write_final(tx, take, false, json!({ "reason": reason }))?;
        }
        return Ok(None);
    }
    let Some((request_id, state)) = live_request_state(tx, take.id)? else {
        return Ok(None);
    };
    match state {
        RequestState::Queued | RequestState::Exported => {
            cancel_queued(tx, take.project_id, request_id, reason)?;
            Ok(Some(request_id))
        }
        RequestState::Submitted => Err(ReviewError::AlreadySubmitted { request_id }),
        RequestState::Unknown => Err(ReviewError::Uncertain { request_id }),
        RequestState::Completed | RequestState::Failed | RequestState::Cancelled => Ok(None),
    }
}

fn live_request_state(
    conn: &Connection,
    take_id: TakeId,
) -> Result<Option<(RequestId, RequestState)>, ReviewError> {
    Ok(conn
        .query_row(
            "SELECT id, state FROM render_requests
             WHERE source_take_id = ?1 AND state NOT IN ('failed', 'cancelled')",
            [take_id],
            |r| Ok((r.get(0)?, parse_col(r, 1)?)),
        )
        .optional()?)
}

fn cancel_queued(
    tx: &Transaction<'_>,
    project_id: ProjectId,
    request_id: RequestId,
    reason: &str,
) -> Result<(), ReviewError> {
    let now = crate::catalog::now_text();
    tx.execute(
        "UPDATE render_requests SET state = 'cancelled', finished_at = ?2, updated_at = ?2
         WHERE id = ?1 AND state IN ('queued', 'exported')",
        params![request_id, now],
    )?;
    let (take_id, shot_id): (TakeId, ShotId) = tx.query_row(
        "SELECT source_take_id, shot_id FROM render_requests WHERE id = ?1",
        [request_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    log_event(
        tx,
        project_id,
        "request_cancelled",
        Some(take_id),
        Some(shot_id),
        Some(request_id),
        &json!({ "reason": reason }),
    )?;
    Ok(())
}

/// Sets a take's status to `unreviewed`, `selected`, `hold` or `rejected`. Leaving
/// `approved` this way withdraws the approval as [`unapprove`] does.
pub fn set_status(
    cat: &mut Catalog,
    take_id: TakeId,
    status: TakeStatus,
) -> Result<TakeDecision, ReviewError> {
    if status == TakeStatus::Approved {
        return Err(ReviewError::UseApprove(take_id));
    }
    cat.write(|tx| {
        let take = load_take(tx, take_id)?;
        if take.decision.status == status {
            return Ok(take.decision);
        }
        let mut detail = json!({});
        if take.decision.status == TakeStatus::Approved {
            let reason = format!("status set to {status}");
            if let Some(id) = withdraw_approval(tx, &take, &reason)? {
                detail["cancelled_request"] = json!(id);
            }
        }
        write_status(tx, &take, status, detail)?;
        Ok(load_take(tx, take_id)?.decision)
    })
}

/// Approves a take, in one transaction.
///
/// - Flash or unknown model: the shot's previously approved Flash take is un-approved (its
///   queued request cancelled; refused with [`ReviewError::AlreadySubmitted`] if it was
///   sent), the take is approved and exactly one render request recorded with a fresh
///   idempotency key. Approving again — a double click, or another process at the same
///   time — returns the same live request with `already_approved`.
/// - Standard: the take is approved and marked final (the final mark moves); no request.
pub fn approve(
    cat: &mut Catalog,
    take_id: TakeId,
    options: ApproveOptions,
) -> Result<Approval, ReviewError> {
    cat.write(|tx| {
        let take = load_take(tx, take_id)?;
        if take.presence == Presence::Missing {
            return Err(ReviewError::NotApprovable {
                take_id,
                reason: "its file is missing from the watched folders; put it back, then approve it".into(),
            });
        }
        if let Some(error) = &take.error {
            return Err(ReviewError::NotApprovable {
                take_id,
                reason: format!("its file could not be read ({error})"),
            });
        }
        let already_approved = take.decision.status == TakeStatus::Approved;

        if take.origin == Origin::Standard {
            if !already_approved {
                write_status(tx, &take, TakeStatus::Approved, json!({}))?;
            }
            let moved = move_final_mark(tx, &take)?;
            return Ok(Approval {
                take_id,
                request: None,
                became_final: true,
                budget_warning: None,
                already_approved: already_approved && !moved,
            });
        }

        let existing = live_request_state(tx, take_id)?;
        if already_approved {
            if let Some((request_id, _)) = existing {
                return Ok(Approval {
                    take_id,
                    request: Some(request(tx, request_id)?),
                    became_final: false,
                    budget_warning: None,
                    already_approved: true,
                });
            }
        }

        let reason = format!("approval moved to take {take_id}");
        let others = shot_takes_where(
            tx,
            &take,
            "d.status = 'approved' AND t.origin <> 'standard'",
        )?;
        for other in &others {
            let mut detail = json!({ "reason": reason, "to_take": take_id });
            if let Some(id) = withdraw_approval(tx, other, &reason)? {
                detail["cancelled_request"] = json!(id);
            }
            write_status(tx, other, TakeStatus::Selected, detail)?;
        }

        let (request_id, created) = match existing {
            Some((request_id, _)) => (request_id, false),
            None => insert_request(tx, &take, &options)?,
        };
        let moved_from: Vec<TakeId> = others.iter().map(|t| t.id).collect();
        write_status(
            tx,
            &take,
            TakeStatus::Approved,
            json!({ "request_id": request_id, "request_created": created, "moved_from": moved_from }),
        )?;
        let request = request(tx, request_id)?;
        let budget_warning = if created {
            budget_warning(tx, &request)?
        } else {
            None
        };
        Ok(Approval {
            take_id,
            request: Some(request),
            became_final: false,
            budget_warning,
            already_approved: false,
        })
    })
}

/// Records the render request for `take` and returns the live one (this insert's, or one
/// that a concurrent writer recorded first) and whether this call created it.
fn insert_request(
    tx: &Transaction<'_>,
    take: &TakeState,
    options: &ApproveOptions,
) -> Result<(RequestId, bool), ReviewError> {
    let settings = load_settings(tx, take.project_id)?;
    let facts = take_facts(tx, take.id)?;
    let mode = options.mode.unwrap_or(settings.default_mode);
    let draft = build_request(&facts, mode, options.resolution.as_deref(), &settings)?;
    let key = uuid::Uuid::new_v4().to_string();
    let now = crate::catalog::now_text();
    let to_text = |v: &Option<Value>| v.as_ref().map(Value::to_string);
    tx.execute(
        "INSERT INTO render_requests
           (project_id, shot_id, source_take_id, mode, model, resolution, duration_s,
            aspect_ratio, prompt, keyframes_json, concepts_json, body_json, missing_json,
            credits_estimate, state, idempotency_key, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 'queued', ?15, ?16, ?16)
         ON CONFLICT DO NOTHING",
        params![
            take.project_id,
            take.shot_id,
            take.id,
            draft.mode.as_str(),
            draft.model,
            draft.resolution,
            draft.duration_s,
            draft.aspect_ratio,
            draft.prompt,
            to_text(&draft.keyframes),
            to_text(&draft.concepts),
            draft.body.to_string(),
            json!(draft.missing).to_string(),
            draft.credits_estimate,
            key,
            now,
        ],
    )?;
    let (request_id, live_key): (RequestId, String) = tx.query_row(
        "SELECT id, idempotency_key FROM render_requests
         WHERE source_take_id = ?1 AND state NOT IN ('failed', 'cancelled')",
        [take.id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((request_id, live_key == key))
}

fn take_facts(conn: &Connection, take_id: TakeId) -> Result<TakeFacts, ReviewError> {
    conn.query_row(
        "SELECT id, origin, path, generation_id, prompt, aspect_ratio, resolution, duration_s,
                width, height, request_json
         FROM takes WHERE id = ?1",
        [take_id],
        |r| {
            let path: String = r.get(2)?;
            let file_name = std::path::Path::new(&path)
                .file_name()
                .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned());
            // A stored request that is not valid JSON is treated as absent: the sidecar
            // problem is already reported on the take (`sidecar_error`).
            let stored_json = r
                .get::<_, Option<String>>(10)?
                .and_then(|t| serde_json::from_str(&t).ok());
            Ok(TakeFacts {
                take_id: r.get(0)?,
                origin: parse_col(r, 1)?,
                file_name,
                generation_id: r.get(3)?,
                prompt: r.get(4)?,
                aspect_ratio: r.get(5)?,
                resolution: r.get(6)?,
                duration_s: r.get(7)?,
                width: r.get(8)?,
                height: r.get(9)?,
                stored_json,
            })
        },
    )
    .optional()?
    .ok_or(ReviewError::TakeNotFound(take_id))
}

fn budget_warning(
    conn: &Connection,
    request: &RenderRequest,
) -> Result<Option<String>, ReviewError> {
    let report = credits(conn, request.project_id)?;
    Ok(match report.budget {
        Some(budget) if report.over_budget => Some(format!(
            "render request #{} ({} credits) brings the project to {} credits ({} spent + {} pending), past its budget of {} credits",
            request.id,
            request.draft.credits_estimate,
            report.spent + report.pending,
            report.spent,
            report.pending,
            budget
        )),
        _ => None,
    })
}

/// Withdraws a take's approval: a queued request is cancelled; a request already sent is
/// refused with [`ReviewError::AlreadySubmitted`] and nothing changes; a completed one stays
/// as history. A Standard take loses its final mark. The take goes back to `selected`.
pub fn unapprove(cat: &mut Catalog, take_id: TakeId) -> Result<TakeDecision, ReviewError> {
    cat.write(|tx| {
        let take = load_take(tx, take_id)?;
        if take.decision.status != TakeStatus::Approved {
            return Ok(take.decision);
        }
        let mut detail = json!({});
        if let Some(id) = withdraw_approval(tx, &take, "take un-approved")? {
            detail["cancelled_request"] = json!(id);
        }
        write_status(tx, &take, TakeStatus::Selected, detail)?;
        Ok(load_take(tx, take_id)?.decision)
    })
}

/// Marks a take as its shot's final take, moving the mark from any other take.
pub fn mark_final(cat: &mut Catalog, take_id: TakeId) -> Result<TakeDecision, ReviewError> {
    cat.write(|tx| {
        let take = load_take(tx, take_id)?;
        move_final_mark(tx, &take)?;
        Ok(load_take(tx, take_id)?.decision)
    })
}

/// Removes a take's final mark (its status is unchanged).
pub fn clear_final(cat: &mut Catalog, take_id: TakeId) -> Result<TakeDecision, ReviewError> {
    cat.write(|tx| {
        let take = load_take(tx, take_id)?;
        if take.decision.is_final {
            write_final(tx, &take, false, json!({}))?;
        }
        Ok(load_take(tx, take_id)?.decision)
    })
}

/// Sets (or with `None`, clears) a take's trim points in frames: `trim_in` inclusive,
/// `trim_out` exclusive, `trim_in < trim_out`, both within the take's frame count when
/// it is known.
pub fn set_trim(
    cat: &mut Catalog,
    take_id: TakeId,
    trim_in: Option<u64>,
    trim_out: Option<u64>,
) -> Result<TakeDecision, ReviewError> {
    cat.write(|tx| {
        let take = load_take(tx, take_id)?;
        if let (Some(i), Some(o)) = (trim_in, trim_out) {
            if i >= o {
                return Err(ReviewError::InvalidTrim(format!(
                    "the in point (frame {i}) must come before the out point (frame {o})"
                )));
            }
        }
        if trim_out == Some(0) {
            return Err(ReviewError::InvalidTrim(
                "the out point is exclusive, so frame 0 would leave nothing".into(),
            ));
        }
        if let Some(frames) = take.frames {
            if let Some(i) = trim_in.filter(|i| *i >= frames) {
                return Err(ReviewError::InvalidTrim(format!(
                    "the in point (frame {i}) is past the take's last frame ({})",
                    frames.saturating_sub(1)
                )));
            }
            if let Some(o) = trim_out.filter(|o| *o > frames) {
                return Err(ReviewError::InvalidTrim(format!(
                    "the out point (frame {o}) is past the end of the take ({frames} frames)"
                )));
            }
        }
        let as_sql = |v: Option<u64>| {
            v.map(i64::try_from)
                .transpose()
                .map_err(|_| ReviewError::InvalidTrim("frame number too large".into()))
        };
        stamp_decision(tx, take_id)?;
        tx.execute(
            "UPDATE take_decisions SET trim_in = ?2, trim_out = ?3 WHERE take_id = ?1",
            params![take_id, as_sql(trim_in)?, as_sql(trim_out)?],
        )?;
        log_event(
            tx,
            take.project_id,
            "trim_set",
            Some(take_id),
            Some(take.shot_id),
            None,
            &json!({
                "trim_in": trim_in, "trim_out": trim_out,
                "previous": { "trim_in": take.decision.trim_in, "trim_out": take.decision.trim_out },
            }),
        )?;
        Ok(load_take(tx, take_id)?.decision)
    })
}

/// Adds a note anchored to `frame` (0-based, within the take when its frame count is known).
pub fn add_note(
    cat: &mut Catalog,
    take_id: TakeId,
    frame: u64,
    text: &str,
) -> Result<Note, ReviewError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ReviewError::InvalidNote("the note is empty".into()));
    }
    cat.write(|tx| {
        let take = load_take(tx, take_id)?;
        if let Some(frames) = take.frames.filter(|f| frame >= *f) {
            return Err(ReviewError::InvalidNote(format!(
                "frame {frame} is past the take's last frame ({})",
                frames.saturating_sub(1)
            )));
        }
        let frame_sql = i64::try_from(frame)
            .map_err(|_| ReviewError::InvalidNote(format!("frame {frame} is too large")))?;
        let (now, actor) = (crate::catalog::now_text(), crate::catalog::current_actor());
        tx.execute(
            "INSERT INTO take_notes (take_id, frame, text, author, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![take_id, frame_sql, text, actor, now],
        )?;
        let id = tx.last_insert_rowid();
        log_event(
            tx,
            take.project_id,
            "note_added",
            Some(take_id),
            Some(take.shot_id),
            None,
            &json!({ "note_id": id, "frame": frame, "text": text }),
        )?;
        Ok(Note {
            id,
            take_id,
            frame,
            text: text.to_owned(),
            author: actor,
            created_at: now,
        })
    })
}

/// Cancels a queued or exported render request (the take stays approved; approving it
/// again records a new request). A cancelled or failed request is returned as it is; a sent
/// one is refused with [`ReviewError::AlreadySubmitted`], an uncertain one with
/// [`ReviewError::Uncertain`], a completed one with [`ReviewError::NotCancellable`].
pub fn cancel_request(
    cat: &mut Catalog,
    request_id: RequestId,
) -> Result<RenderRequest, ReviewError> {
    cat.write(|tx| {
        let current = request(tx, request_id)?;
        match current.state {
            RequestState::Queued | RequestState::Exported => {
                cancel_queued(tx, current.project_id, request_id, "cancelled by the user")?;
                request(tx, request_id)
            }
            RequestState::Cancelled | RequestState::Failed => Ok(current),
            RequestState::Submitted => Err(ReviewError::AlreadySubmitted { request_id }),
            RequestState::Unknown => Err(ReviewError::Uncertain { request_id }),
            RequestState::Completed => Err(ReviewError::NotCancellable {
                request_id,
                state: current.state,
            }),
        }
    })
}

const REQUEST_SQL: &str = "SELECT r.id, r.project_id, r.shot_id, s.code, r.source_take_id,
        t.generation_id, r.mode, r.model, r.resolution, r.duration_s, r.aspect_ratio, r.prompt,
        r.keyframes_json, r.concepts_json, r.body_json, r.missing_json, r.credits_estimate,
        r.state, r.provider_generation_id, r.result_take_id, r.failure_reason,
        r.idempotency_key, r.attempts, r.created_at, r.submitted_at, r.finished_at, r.updated_at,
        r.candidates_json, r.exported_at, r.owner_pid, r.owner_host
    FROM render_requests r
    JOIN shots s ON s.id = r.shot_id
    JOIN takes t ON t.id = r.source_take_id";

fn request_row(r: &Row<'_>) -> rusqlite::Result<RenderRequest> {
    let mode: RenderMode = parse_col(r, 6)?;
    let source_generation_id: Option<String> = r.get(5)?;
    let missing = json_col(r, 15)?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    Ok(RenderRequest {
        id: r.get(0)?,
        project_id: r.get(1)?,
        shot_id: r.get(2)?,
        shot_code: r.get(3)?,
        take_id: r.get(4)?,
        draft: RequestDraft {
            endpoint: body::endpoint(mode, source_generation_id.as_deref()),
            mode,
            model: r.get(7)?,
            resolution: r.get(8)?,
            duration_s: r.get(9)?,
            aspect_ratio: r.get(10)?,
            prompt: r.get(11)?,
            keyframes: json_col(r, 12)?,
            concepts: json_col(r, 13)?,
            body: json_col(r, 14)?.unwrap_or(Value::Null),
            missing,
            credits_estimate: r.get(16)?,
        },
        source_generation_id,
        state: parse_col(r, 17)?,
        provider_generation_id: r.get(18)?,
        result_take_id: r.get(19)?,
        failure_reason: r.get(20)?,
        idempotency_key: r.get(21)?,
        attempts: r.get(22)?,
        created_at: r.get(23)?,
        submitted_at: r.get(24)?,
        finished_at: r.get(25)?,
        updated_at: r.get(26)?,
        // Written by the outbox from Luma's list; unreadable text is no candidates.
        candidates: json_col(r, 27)
            .ok()
            .flatten()
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default(),
        exported_at: r.get(28)?,
        sender: match (
            r.get::<_, Option<i64>>(29)?,
            r.get::<_, Option<String>>(30)?,
        ) {
            (Some(pid), Some(host)) => Some(Sender { pid, host }),
            _ => None,
        },
    })
}

/// One render request.
pub fn request(conn: &Connection, request_id: RequestId) -> Result<RenderRequest, ReviewError> {
    conn.query_row(
        &format!("{REQUEST_SQL} WHERE r.id = ?1"),
        [request_id],
        request_row,
    )
    .optional()?
    .ok_or(ReviewError::RequestNotFound(request_id))
}

/// Every render request of a project, oldest first.
pub fn requests(
    conn: &Connection,
    project_id: ProjectId,
) -> Result<Vec<RenderRequest>, ReviewError> {
    let mut stmt = conn.prepare(&format!(
        "{REQUEST_SQL} WHERE r.project_id = ?1 ORDER BY r.id"
    ))?;
    let rows = stmt.query_map([project_id], request_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
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

fn shot_state_row(r: &Row<'_>) -> rusqlite::Result<(ShotId, ShotState)> {
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

/// A shot's state: `final` if a take is final; `rendered` if a request completed with its
/// result take; `rendering` if a request was sent (or completed, result not landed yet) or
/// its outcome is unknown; `approved` if a take is approved; else `exploring`.
pub fn shot_state(conn: &Connection, shot_id: ShotId) -> Result<ShotState, ReviewError> {
    conn.query_row(
        &format!("{SHOT_STATE_SQL} WHERE s.id = ?1"),
        [shot_id],
        shot_state_row,
    )
    .optional()?
    .map(|(_, state)| state)
    .ok_or(ReviewError::ShotNotFound(shot_id))
}

/// The state of every shot of a project, in shot-list order.
pub fn shot_states(
    conn: &Connection,
    project_id: ProjectId,
) -> Result<Vec<(ShotId, ShotState)>, ReviewError> {
    let mut stmt = conn.prepare(&format!(
        "{SHOT_STATE_SQL} WHERE s.project_id = ?1 ORDER BY s.position, s.id"
    ))?;
    let rows = stmt.query_map([project_id], shot_state_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}
