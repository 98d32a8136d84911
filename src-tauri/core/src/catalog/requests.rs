//! Render requests as stored (`render_requests`): recording an approval's request, reading
//! requests for the queue, and the state changes review makes (cancelling a queued one).
//! The outbox's own transitions (claim, accept, finish, resolve) and linking a landed
//! render to its request (which ingest does when it sees the file) are also here.

use super::sql::{params, DbError, Row, Sql, SqlExt, Tx};
use super::{log_event, now_text, CatalogError};
use crate::domain::{
    Candidate, EventKind, ProjectId, RenderMode, RenderRequest, RequestDraft, RequestId,
    RequestState, Sender, ShotId, TakeId,
};
use serde_json::{json, Value};

const REQUEST_SQL: &str = "SELECT r.id, r.project_id, r.shot_id, s.code, r.source_take_id,
        t.generation_id, r.mode, r.model, r.resolution, r.duration_s, r.aspect_ratio, r.prompt,
        r.keyframes_json, r.concepts_json, r.body_json, r.missing_json, r.credits_estimate,
        r.state, r.provider_generation_id, r.result_take_id, r.failure_reason,
        r.idempotency_key, r.attempts, r.created_at, r.submitted_at, r.finished_at, r.updated_at,
        r.candidates_json, r.exported_at, r.owner_pid, r.owner_host
    FROM render_requests r
    JOIN shots s ON s.id = r.shot_id
    JOIN takes t ON t.id = r.source_take_id";

fn request_row(r: &Row) -> Result<RenderRequest, DbError> {
    let mode: RenderMode = r.parse(6)?;
    let source_generation_id: Option<String> = r.get(5)?;
    let missing = r
        .json(15)?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    Ok(RenderRequest {
        id: r.get(0)?,
        project_id: r.get(1)?,
        shot_id: r.get(2)?,
        shot_code: r.get(3)?,
        take_id: r.get(4)?,
        draft: RequestDraft {
            endpoint: mode.endpoint(source_generation_id.as_deref()),
            mode,
            model: r.get(7)?,
            resolution: r.parse(8)?,
            duration_s: r.get(9)?,
            aspect_ratio: r.get(10)?,
            prompt: r.get(11)?,
            keyframes: r.json(12)?,
            concepts: r.json(13)?,
            body: r.json(14)?.unwrap_or(Value::Null),
            missing,
            credits_estimate: r.get(16)?,
        },
        source_generation_id,
        state: r.parse(17)?,
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
        candidates: r
            .json(27)
            .ok()
            .flatten()
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default(),
        exported_at: r.get(28)?,
        sender: match (r.get::<Option<i64>>(29)?, r.get::<Option<String>>(30)?) {
            (Some(pid), Some(host)) => Some(Sender { pid, host }),
            _ => None,
        },
    })
}

/// One render request, `None` when the id is unknown.
pub fn request(
    conn: &dyn Sql,
    request_id: RequestId,
) -> Result<Option<RenderRequest>, CatalogError> {
    Ok(conn.query_opt(
        &format!("{REQUEST_SQL} WHERE r.id = ?1"),
        params![request_id],
        request_row,
    )?)
}

/// Every render request of a project, oldest first.
pub fn requests(conn: &dyn Sql, project_id: ProjectId) -> Result<Vec<RenderRequest>, CatalogError> {
    Ok(conn.query_map(
        &format!("{REQUEST_SQL} WHERE r.project_id = ?1 ORDER BY r.id"),
        params![project_id],
        request_row,
    )?)
}

/// The take's live request (any state but failed or cancelled; at most one, by the unique
/// index `one_live_request_per_take`) and its state.
pub fn live_request(
    conn: &dyn Sql,
    take_id: TakeId,
) -> Result<Option<(RequestId, RequestState)>, CatalogError> {
    Ok(conn.query_opt(
        "SELECT id, state FROM render_requests
             WHERE source_take_id = ?1 AND state NOT IN ('failed', 'cancelled')",
        params![take_id],
        |r| Ok((r.get(0)?, r.parse(1)?)),
    )?)
}

/// Cancels a request that is still `queued` or `exported` (anything else is left as it
/// is) and returns its take and shot.
pub fn cancel_queued(tx: &Tx<'_>, request_id: RequestId) -> Result<(TakeId, ShotId), CatalogError> {
    tx.execute(
        "UPDATE render_requests SET state = 'cancelled', finished_at = ?2, updated_at = ?2
         WHERE id = ?1 AND state IN ('queued', 'exported')",
        params![request_id, now_text()],
    )?;
    Ok(tx.query_row(
        "SELECT source_take_id, shot_id FROM render_requests WHERE id = ?1",
        params![request_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// Records `draft` as the queued request of `take_id` under a fresh idempotency key, unless
/// the take already has a live request (a concurrent writer's), and returns the live one
/// and whether this call created it.
pub fn insert_request(
    tx: &Tx<'_>,
    (project_id, shot_id, take_id): (ProjectId, ShotId, TakeId),
    draft: &RequestDraft,
) -> Result<(RequestId, bool), CatalogError> {
    let key = uuid::Uuid::new_v4().to_string();
    let to_text = |v: &Option<Value>| v.as_ref().map(Value::to_string);
    tx.execute(
        "INSERT INTO render_requests
           (project_id, shot_id, source_take_id, mode, model, resolution, duration_s,
            aspect_ratio, prompt, keyframes_json, concepts_json, body_json, missing_json,
            credits_estimate, state, idempotency_key, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 'queued', ?15, ?16, ?16)
         ON CONFLICT DO NOTHING",
        params![
            project_id,
            shot_id,
            take_id,
            draft.mode.as_str(),
            draft.model,
            draft.resolution.as_str(),
            draft.duration_s,
            draft.aspect_ratio,
            draft.prompt,
            to_text(&draft.keyframes),
            to_text(&draft.concepts),
            draft.body.to_string(),
            json!(draft.missing).to_string(),
            draft.credits_estimate,
            key,
            now_text(),
        ],
    )?;
    let (request_id, live_key): (RequestId, String) = tx.query_row(
        "SELECT id, idempotency_key FROM render_requests
         WHERE source_take_id = ?1 AND state NOT IN ('failed', 'cancelled')",
        params![take_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((request_id, live_key == key))
}

/// Links a take that ingest identified as generation `generation_id` to the render
/// request that produced it: sets `result_take_id`, marks the request `completed`, and
/// moves the take into the request's shot unless the user placed it by hand. Returns the
/// request, or `None` when no request of the take's project has that generation.
/// Calling it again for the same take changes nothing.
pub fn link_result(
    tx: &Tx<'_>,
    take_id: TakeId,
    generation_id: &str,
) -> Result<Option<RequestId>, CatalogError> {
    let found = tx.query_opt(
        "SELECT r.id, r.project_id, r.shot_id, r.state, r.result_take_id
             FROM render_requests r JOIN takes t ON t.project_id = r.project_id
             WHERE t.id = ?1 AND r.provider_generation_id = ?2
               AND r.state IN ('submitted', 'completed', 'unknown')
             ORDER BY r.id DESC LIMIT 1",
        params![take_id, generation_id],
        |r| {
            Ok((
                r.get::<RequestId>(0)?,
                r.get::<ProjectId>(1)?,
                r.get::<ShotId>(2)?,
                r.get::<String>(3)?,
                r.get::<Option<TakeId>>(4)?,
            ))
        },
    )?;
    let Some((request_id, project_id, shot_id, state, result_take_id)) = found else {
        return Ok(None);
    };
    if result_take_id == Some(take_id) {
        return Ok(Some(request_id));
    }
    let now = now_text();
    // A second copy of an already linked render keeps the first link; it still joins the shot.
    if result_take_id.is_none() {
        tx.execute(
            "UPDATE render_requests
             SET result_take_id = ?2, state = 'completed', failure_reason = NULL,
                 finished_at = COALESCE(finished_at, ?3), updated_at = ?3
             WHERE id = ?1",
            params![request_id, take_id, now],
        )?;
    }
    let moved = tx.execute(
        "UPDATE takes SET shot_id = ?2, updated_at = ?3
         WHERE id = ?1 AND shot_set_by_user = 0 AND shot_id <> ?2",
        params![take_id, shot_id, now],
    )?;
    log_event(
        tx,
        project_id,
        EventKind::RenderLinked,
        Some(take_id),
        Some(shot_id),
        Some(request_id),
        &json!({
            "from": state, "to": "completed", "generation_id": generation_id,
            "moved_into_shot": moved == 1, "kept_earlier_result": result_take_id,
        }),
    )?;
    Ok(Some(request_id))
}

/// A queued request as the outbox sends it.
#[derive(Debug, Clone)]
pub struct Queued {
    /// The request.
    pub id: RequestId,
    /// Its project.
    pub project_id: ProjectId,
    /// The body, as stored.
    pub body_json: String,
    /// The source take's generation id (an upscale is sent to it).
    pub source_generation_id: Option<String>,
}

/// The queued requests of a project, oldest first.
pub fn queued(conn: &dyn Sql, project_id: ProjectId) -> Result<Vec<Queued>, CatalogError> {
    Ok(conn.query_map(
        "SELECT r.id, r.project_id, r.body_json, t.generation_id
         FROM render_requests r JOIN takes t ON t.id = r.source_take_id
         WHERE r.state = 'queued' AND r.project_id = ?1 ORDER BY r.created_at, r.id",
        params![project_id],
        |r| {
            Ok(Queued {
                id: r.get(0)?,
                project_id: r.get(1)?,
                body_json: r.get(2)?,
                source_generation_id: r.get(3)?,
            })
        },
    )?)
}

/// How many requests of the whole library are `submitted` right now.
pub fn submitted_count(conn: &dyn Sql) -> Result<usize, CatalogError> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM render_requests WHERE state = 'submitted'",
        params![],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// The process claiming a request for a send: its lock token, pid and machine.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    /// The token of its send lock.
    pub token: &'a str,
    /// Its process id.
    pub pid: i64,
    /// Its machine.
    pub host: &'a str,
}

/// `queued → submitted`, `attempts + 1`, owned by `owner`. False when the row is no longer
/// queued (another sender or a cancel got there first).
pub fn claim(tx: &Tx<'_>, request_id: RequestId, owner: Owner<'_>) -> Result<bool, CatalogError> {
    let changed = tx.execute(
        "UPDATE render_requests
         SET state = 'submitted', attempts = attempts + 1, submitted_at = ?2,
             failure_reason = NULL, updated_at = ?2,
             owner_token = ?3, owner_pid = ?4, owner_host = ?5
         WHERE id = ?1 AND state = 'queued'",
        params![request_id, now_text(), owner.token, owner.pid, owner.host],
    )?;
    Ok(changed == 1)
}

/// A request's project and state as stored (the text, which a newer build may have
/// written), `None` when the id is unknown.
pub fn project_and_state(
    conn: &dyn Sql,
    request_id: RequestId,
) -> Result<Option<(ProjectId, String)>, CatalogError> {
    Ok(conn.query_opt(
        "SELECT project_id, state FROM render_requests WHERE id = ?1",
        params![request_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// Where an accepted generation id was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// The row is `submitted` with the id (whatever state it was in), to be polled.
    Following,
    /// The take has another live request by now (this one was given up and the take
    /// approved again): the id is kept on this row with a reason; the user links or cancels.
    KeptOnGivenUp,
}

/// Stores the generation id Luma returned for `request_id` (see [`Accepted`]).
pub fn store_accepted(
    tx: &Tx<'_>,
    request_id: RequestId,
    generation_id: &str,
) -> Result<Accepted, CatalogError> {
    let now = now_text();
    let revived = tx.attempt(|| {
        tx.execute(
            "UPDATE render_requests
         SET provider_generation_id = ?2, state = 'submitted', failure_reason = NULL,
             finished_at = NULL, owner_token = NULL, owner_pid = NULL, owner_host = NULL,
             updated_at = ?3
         WHERE id = ?1",
            params![request_id, generation_id, now],
        )
    });
    match revived {
        Ok(_) => Ok(Accepted::Following),
        Err(e) if e.is_unique_violation() => {
            tx.execute(
                "UPDATE render_requests
                 SET provider_generation_id = ?2, failure_reason = ?3, updated_at = ?4
                 WHERE id = ?1",
                params![
                    request_id,
                    generation_id,
                    format!("Luma accepted this request as generation {generation_id} after it was given up; its take has a newer request"),
                    now
                ],
            )?;
            Ok(Accepted::KeptOnGivenUp)
        }
        Err(e) => Err(e.into()),
    }
}

/// `submitted → state` (failed or unknown) with a reason, for `token`'s claim only.
/// False when the row is no longer that claim.
pub fn finish_claim(
    tx: &Tx<'_>,
    request_id: RequestId,
    token: &str,
    state: RequestState,
    reason: &str,
) -> Result<bool, CatalogError> {
    let now = now_text();
    let finished = (state == RequestState::Failed).then_some(now.as_str());
    let changed = tx.execute(
        "UPDATE render_requests
         SET state = ?2, failure_reason = ?3, finished_at = ?4, updated_at = ?5,
             owner_token = NULL, owner_pid = NULL, owner_host = NULL
         WHERE id = ?1 AND state = 'submitted' AND owner_token = ?6",
        params![request_id, state.as_str(), reason, finished, now, token],
    )?;
    Ok(changed == 1)
}

/// `from → failed` with a reason. False when the row is no longer in `from`.
pub fn fail(
    tx: &Tx<'_>,
    request_id: RequestId,
    from: RequestState,
    reason: &str,
) -> Result<bool, CatalogError> {
    let changed = tx.execute(
        "UPDATE render_requests SET state = 'failed', failure_reason = ?2, finished_at = ?3, updated_at = ?3
         WHERE id = ?1 AND state = ?4",
        params![request_id, reason, now_text(), from.as_str()],
    )?;
    Ok(changed == 1)
}

/// `submitted → queued` for `token`'s claim, keeping the reason on the row. False when the
/// row is no longer that claim.
pub fn release_claim(
    tx: &Tx<'_>,
    request_id: RequestId,
    token: &str,
    reason: &str,
) -> Result<bool, CatalogError> {
    let changed = tx.execute(
        "UPDATE render_requests
         SET state = 'queued', failure_reason = ?2, updated_at = ?3,
             owner_token = NULL, owner_pid = NULL, owner_host = NULL
         WHERE id = ?1 AND state = 'submitted' AND owner_token = ?4",
        params![request_id, reason, now_text(), token],
    )?;
    Ok(changed == 1)
}

/// A request Luma accepted and the outbox polls.
#[derive(Debug, Clone)]
pub struct InFlight {
    /// The request.
    pub id: RequestId,
    /// Its project.
    pub project_id: ProjectId,
    /// Its shot's code.
    pub shot_code: String,
    /// Its mode, as stored.
    pub mode: String,
    /// Its model.
    pub model: String,
    /// Luma's generation id.
    pub generation_id: String,
}

/// The `submitted` requests of a project that have a generation id, oldest send first.
pub fn in_flight(conn: &dyn Sql, project_id: ProjectId) -> Result<Vec<InFlight>, CatalogError> {
    Ok(conn.query_map(
        "SELECT r.id, r.project_id, s.code, r.mode, r.model, r.provider_generation_id
         FROM render_requests r JOIN shots s ON s.id = r.shot_id
         WHERE r.state = 'submitted' AND r.provider_generation_id IS NOT NULL
           AND r.project_id = ?1
         ORDER BY r.submitted_at, r.id",
        params![project_id],
        |r| {
            Ok(InFlight {
                id: r.get(0)?,
                project_id: r.get(1)?,
                shot_code: r.get(2)?,
                mode: r.get(3)?,
                model: r.get(4)?,
                generation_id: r.get(5)?,
            })
        },
    )?)
}

/// `submitted → completed` once the result is downloaded. False when the ingest already
/// linked the file (and completed the request).
pub fn complete(tx: &Tx<'_>, request_id: RequestId) -> Result<bool, CatalogError> {
    let changed = tx.execute(
        "UPDATE render_requests SET state = 'completed', finished_at = ?2, updated_at = ?2
         WHERE id = ?1 AND state = 'submitted'",
        params![request_id, now_text()],
    )?;
    Ok(changed == 1)
}

/// A claimed send with no generation id: its project and its owner's token, host and pid.
#[derive(Debug, Clone)]
pub struct Unanswered {
    /// The request.
    pub id: RequestId,
    /// Its project.
    pub project_id: ProjectId,
    /// Its owner's send-lock token.
    pub token: Option<String>,
    /// Its owner's machine.
    pub host: Option<String>,
    /// Its owner's process id.
    pub pid: Option<i64>,
}

/// Every `submitted` request that has no generation id yet, by id.
pub fn unanswered(conn: &dyn Sql) -> Result<Vec<Unanswered>, CatalogError> {
    Ok(conn.query_map(
        "SELECT id, project_id, owner_token, owner_host, owner_pid FROM render_requests
         WHERE state = 'submitted' AND provider_generation_id IS NULL ORDER BY id",
        params![],
        |r| {
            Ok(Unanswered {
                id: r.get(0)?,
                project_id: r.get(1)?,
                token: r.get(2)?,
                host: r.get(3)?,
                pid: r.get(4)?,
            })
        },
    )?)
}

/// `submitted → unknown` with a reason, for a send still without a generation id. False
/// when the row changed meanwhile.
pub fn mark_unknown(
    tx: &Tx<'_>,
    request_id: RequestId,
    reason: &str,
) -> Result<bool, CatalogError> {
    let changed = tx.execute(
        "UPDATE render_requests
         SET state = 'unknown', failure_reason = ?2, updated_at = ?3,
             owner_token = NULL, owner_pid = NULL, owner_host = NULL
         WHERE id = ?1 AND state = 'submitted' AND provider_generation_id IS NULL",
        params![request_id, reason, now_text()],
    )?;
    Ok(changed == 1)
}

/// An `unknown` request as the lookup at Luma compares it.
#[derive(Debug, Clone)]
pub struct Uncertain {
    /// The request.
    pub id: RequestId,
    /// Its project.
    pub project_id: ProjectId,
    /// The body sent (`null` when unreadable).
    pub body: Value,
    /// When it was sent.
    pub submitted_at: Option<String>,
}

/// The `unknown` requests of a project (or only `only`), by id.
pub fn uncertain(
    conn: &dyn Sql,
    project_id: ProjectId,
    only: Option<RequestId>,
) -> Result<Vec<Uncertain>, CatalogError> {
    Ok(conn.query_map(
        "SELECT id, project_id, body_json, submitted_at FROM render_requests
         WHERE state = 'unknown' AND project_id = ?1 AND (CAST(?2 AS BIGINT) IS NULL OR id = ?2) ORDER BY id",
        params![project_id, only],
        |r| {
            let body: String = r.get(2)?;
            Ok(Uncertain {
                id: r.get(0)?,
                project_id: r.get(1)?,
                body: serde_json::from_str(&body).unwrap_or(Value::Null),
                submitted_at: r.get(3)?,
            })
        },
    )?)
}

/// Stores the candidates found at Luma on an `unknown` request.
pub fn store_candidates(
    tx: &Tx<'_>,
    request_id: RequestId,
    found: &[Candidate],
) -> Result<(), CatalogError> {
    tx.execute(
        "UPDATE render_requests SET candidates_json = ?2, candidates_checked_at = ?3
         WHERE id = ?1 AND state = 'unknown'",
        params![request_id, json!(found).to_string(), now_text()],
    )?;
    Ok(())
}

/// The bodies (as stored) of every request other than `except` that still waits for an
/// answer: unknown, queued, exported, or sent without a generation id yet.
pub fn waiting_bodies(conn: &dyn Sql, except: RequestId) -> Result<Vec<String>, CatalogError> {
    Ok(conn.query_map(
        "SELECT body_json FROM render_requests
         WHERE id <> ?1 AND (state IN ('unknown', 'queued', 'exported')
                             OR (state = 'submitted' AND provider_generation_id IS NULL))",
        params![except],
        |r| r.get(0),
    )?)
}

/// The request other than `except` that holds `generation_id`, if any.
pub fn holder_of(
    conn: &dyn Sql,
    generation_id: &str,
    except: RequestId,
) -> Result<Option<RequestId>, CatalogError> {
    Ok(conn.query_opt(
        "SELECT id FROM render_requests WHERE provider_generation_id = ?1 AND id <> ?2",
        params![generation_id, except],
        |r| r.get(0),
    )?)
}

/// `→ submitted` with `generation_id`: polled and downloaded from now on.
pub fn link(tx: &Tx<'_>, request_id: RequestId, generation_id: &str) -> Result<(), CatalogError> {
    tx.execute(
        "UPDATE render_requests
         SET state = 'submitted', provider_generation_id = ?2, failure_reason = NULL,
             candidates_json = NULL, updated_at = ?3
         WHERE id = ?1",
        params![request_id, generation_id, now_text()],
    )?;
    Ok(())
}

/// `→ queued` again, by the user's say (a resend).
pub fn requeue(tx: &Tx<'_>, request_id: RequestId) -> Result<(), CatalogError> {
    tx.execute(
        "UPDATE render_requests
         SET state = 'queued', failure_reason = NULL, candidates_json = NULL, updated_at = ?2
         WHERE id = ?1",
        params![request_id, now_text()],
    )?;
    Ok(())
}

/// `→ cancelled` with a reason, by the user's say.
pub fn cancel(tx: &Tx<'_>, request_id: RequestId, reason: &str) -> Result<(), CatalogError> {
    tx.execute(
        "UPDATE render_requests
         SET state = 'cancelled', failure_reason = ?2, finished_at = ?3, updated_at = ?3
         WHERE id = ?1",
        params![request_id, reason, now_text()],
    )?;
    Ok(())
}

/// The queued requests of a project with their stored bodies, by id.
pub fn queued_bodies(
    conn: &dyn Sql,
    project_id: ProjectId,
) -> Result<Vec<(RequestId, String)>, CatalogError> {
    Ok(conn.query_map(
        "SELECT id, body_json FROM render_requests
         WHERE project_id = ?1 AND state = 'queued' ORDER BY id",
        params![project_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// `queued → exported`, stamped now.
pub fn mark_exported(tx: &Tx<'_>, request_id: RequestId) -> Result<(), CatalogError> {
    tx.execute(
        "UPDATE render_requests SET state = 'exported', exported_at = ?2, updated_at = ?2
         WHERE id = ?1 AND state = 'queued'",
        params![request_id, now_text()],
    )?;
    Ok(())
}
