//! Review decisions: statuses, approval → exactly one render request, finals, trims, notes, shot state.
//!
//! One function per user action. Each mutation runs in one `BEGIN IMMEDIATE` transaction
//! (`Catalog::write`), writes one event-log row per decision, and returns what the UI shows
//! next. Invariants kept here: a shot has at most one approved Flash (or unknown-model) take
//! and at most one final take; an approved take has at most one live render request
//! (backed by the unique index `one_live_request_per_take`); a request that left `queued` is
//! never withdrawn from here. Boundaries: request bodies come from `render::body`, prices
//! from `pricing`; moving a request past `queued` (submit, poll, results) is the outbox's.

use crate::catalog::decisions::{self, ReviewedTake};
use crate::catalog::projects::{self, load_settings};
use crate::catalog::spend::credits;
use crate::catalog::sql::{DbError, Sql, Tx};
use crate::catalog::{log_event, requests, takes, Catalog, CatalogError};
use crate::domain::{
    EventKind, Note, Origin, Presence, ProjectId, RenderMode, RenderRequest, RequestId,
    RequestState, ShotId, ShotState, TakeDecision, TakeId, TakeStatus,
};
use crate::render::body::{build_request, BodyError};
use serde::Serialize;
use serde_json::{json, Value};

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
}

impl From<DbError> for ReviewError {
    fn from(e: DbError) -> ReviewError {
        ReviewError::Catalog(CatalogError::from(e))
    }
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

fn load_take(conn: &dyn Sql, take_id: TakeId) -> Result<ReviewedTake, ReviewError> {
    decisions::reviewed_take(conn, take_id)?.ok_or(ReviewError::TakeNotFound(take_id))
}

/// The take, read after its project is locked for the transaction (see
/// `projects::lock_project`): what a write decides on is what it commits over.
fn lock_take(tx: &Tx<'_>, take_id: TakeId) -> Result<ReviewedTake, ReviewError> {
    let project =
        projects::project_of_take(tx, take_id)?.ok_or(ReviewError::TakeNotFound(take_id))?;
    projects::lock_project(tx, project)?;
    load_take(tx, take_id)
}

/// The current decisions on a take.
pub fn decision(conn: &dyn Sql, take_id: TakeId) -> Result<TakeDecision, ReviewError> {
    Ok(load_take(conn, take_id)?.decision)
}

/// The notes on a take, in frame order.
pub fn notes(conn: &dyn Sql, take_id: TakeId) -> Result<Vec<Note>, ReviewError> {
    load_take(conn, take_id)?;
    Ok(decisions::notes(conn, take_id)?)
}

/// Sets `take`'s status and logs it; `request` is the render request the change is about
/// (the one an approval created or kept), recorded as the event's request.
fn write_status(
    tx: &Tx<'_>,
    take: &ReviewedTake,
    status: TakeStatus,
    request: Option<RequestId>,
    detail: Value,
) -> Result<(), ReviewError> {
    decisions::set_status(tx, take.id, status)?;
    let kind = match status {
        TakeStatus::Approved => EventKind::TakeApproved,
        _ if take.decision.status == TakeStatus::Approved => EventKind::TakeUnapproved,
        _ => EventKind::StatusChanged,
    };
    let mut detail = detail;
    detail["from"] = json!(take.decision.status);
    detail["to"] = json!(status);
    log_take_event(tx, take, kind, request, &detail)?;
    Ok(())
}

/// Logs `kind` for `take` (its project, shot and, when given, render request).
fn log_take_event(
    tx: &Tx<'_>,
    take: &ReviewedTake,
    kind: EventKind,
    request_id: Option<RequestId>,
    detail: &Value,
) -> Result<(), ReviewError> {
    log_event(
        tx,
        take.project_id,
        kind,
        Some(take.id),
        Some(take.shot_id),
        request_id,
        detail,
    )?;
    Ok(())
}

fn write_final(
    tx: &Tx<'_>,
    take: &ReviewedTake,
    is_final: bool,
    detail: Value,
) -> Result<(), ReviewError> {
    decisions::set_final(tx, take.id, is_final)?;
    let kind = if is_final {
        EventKind::FinalMarked
    } else {
        EventKind::FinalCleared
    };
    log_take_event(tx, take, kind, None, &detail)?;
    Ok(())
}

/// Makes `take` its shot's only final take, moving the mark from another take if needed.
/// Returns false when it already was final.
fn move_final_mark(tx: &Tx<'_>, take: &ReviewedTake) -> Result<bool, ReviewError> {
    if take.decision.is_final {
        return Ok(false);
    }
    let previous = decisions::other_final_takes(tx, take)?;
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
    tx: &Tx<'_>,
    take: &ReviewedTake,
    reason: &str,
) -> Result<Option<RequestId>, ReviewError> {
    if take.origin == Origin::Standard {
        if take.decision.is_final {
            write_final(tx, take, false, json!({ "reason": reason }))?;
        }
        return Ok(None);
    }
    let Some((request_id, state)) = requests::live_request(tx, take.id)? else {
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

fn cancel_queued(
    tx: &Tx<'_>,
    project_id: ProjectId,
    request_id: RequestId,
    reason: &str,
) -> Result<(), ReviewError> {
    let (take_id, shot_id) = requests::cancel_queued(tx, request_id)?;
    log_event(
        tx,
        project_id,
        EventKind::RenderCancelled,
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
        let take = lock_take(tx, take_id)?;
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
        write_status(tx, &take, status, None, detail)?;
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
        let take = lock_take(tx, take_id)?;
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
                write_status(tx, &take, TakeStatus::Approved, None, json!({}))?;
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

        let existing = requests::live_request(tx, take_id)?;
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
        let others = decisions::other_approved_drafts(tx, &take)?;
        for other in &others {
            let mut detail = json!({ "reason": reason, "to_take": take_id });
            if let Some(id) = withdraw_approval(tx, other, &reason)? {
                detail["cancelled_request"] = json!(id);
            }
            write_status(tx, other, TakeStatus::Selected, None, detail)?;
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
            Some(request_id),
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
    tx: &Tx<'_>,
    take: &ReviewedTake,
    options: &ApproveOptions,
) -> Result<(RequestId, bool), ReviewError> {
    let settings = load_settings(tx, take.project_id)?;
    let facts = takes::take_facts(tx, take.id)?.ok_or(ReviewError::TakeNotFound(take.id))?;
    let mode = options.mode.unwrap_or(settings.default_mode);
    let draft = build_request(&facts, mode, options.resolution.as_deref(), &settings)?;
    Ok(requests::insert_request(
        tx,
        (take.project_id, take.shot_id, take.id),
        &draft,
    )?)
}

fn budget_warning(conn: &dyn Sql, request: &RenderRequest) -> Result<Option<String>, ReviewError> {
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
        let take = lock_take(tx, take_id)?;
        if take.decision.status != TakeStatus::Approved {
            return Ok(take.decision);
        }
        let mut detail = json!({});
        if let Some(id) = withdraw_approval(tx, &take, "take un-approved")? {
            detail["cancelled_request"] = json!(id);
        }
        write_status(tx, &take, TakeStatus::Selected, None, detail)?;
        Ok(load_take(tx, take_id)?.decision)
    })
}

/// Marks a take as its shot's final take, moving the mark from any other take.
pub fn mark_final(cat: &mut Catalog, take_id: TakeId) -> Result<TakeDecision, ReviewError> {
    cat.write(|tx| {
        let take = lock_take(tx, take_id)?;
        move_final_mark(tx, &take)?;
        Ok(load_take(tx, take_id)?.decision)
    })
}

/// Removes a take's final mark (its status is unchanged).
pub fn clear_final(cat: &mut Catalog, take_id: TakeId) -> Result<TakeDecision, ReviewError> {
    cat.write(|tx| {
        let take = lock_take(tx, take_id)?;
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
        let take = lock_take(tx, take_id)?;
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
        if [trim_in, trim_out]
            .into_iter()
            .flatten()
            .any(|frame| i64::try_from(frame).is_err())
        {
            return Err(ReviewError::InvalidTrim("frame number too large".into()));
        }
        decisions::set_trim(tx, take_id, trim_in, trim_out)?;
        let detail = json!({
            "trim_in": trim_in, "trim_out": trim_out,
            "previous": { "trim_in": take.decision.trim_in, "trim_out": take.decision.trim_out },
        });
        log_take_event(tx, &take, EventKind::TrimSet, None, &detail)?;
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
        let take = lock_take(tx, take_id)?;
        if let Some(frames) = take.frames.filter(|f| frame >= *f) {
            return Err(ReviewError::InvalidNote(format!(
                "frame {frame} is past the take's last frame ({})",
                frames.saturating_sub(1)
            )));
        }
        i64::try_from(frame)
            .map_err(|_| ReviewError::InvalidNote(format!("frame {frame} is too large")))?;
        let note = decisions::insert_note(tx, take_id, frame, text)?;
        log_take_event(
            tx,
            &take,
            EventKind::NoteAdded,
            None,
            &json!({ "note_id": note.id, "frame": frame, "text": text }),
        )?;
        Ok(note)
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
        if let Some(project) = projects::project_of_request(tx, request_id)? {
            projects::lock_project(tx, project)?;
        }
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

/// One render request.
pub fn request(conn: &dyn Sql, request_id: RequestId) -> Result<RenderRequest, ReviewError> {
    requests::request(conn, request_id)?.ok_or(ReviewError::RequestNotFound(request_id))
}

/// Every render request of a project, oldest first.
pub fn requests(conn: &dyn Sql, project_id: ProjectId) -> Result<Vec<RenderRequest>, ReviewError> {
    Ok(requests::requests(conn, project_id)?)
}

/// A shot's state: `final` if a take is final; `rendered` if a request completed with its
/// result take; `rendering` if a request was sent (or completed, result not landed yet) or
/// its outcome is unknown; `approved` if a take is approved; else `exploring`.
pub fn shot_state(conn: &dyn Sql, shot_id: ShotId) -> Result<ShotState, ReviewError> {
    decisions::shot_state(conn, shot_id)?.ok_or(ReviewError::ShotNotFound(shot_id))
}

/// The state of every shot of a project, in shot-list order.
pub fn shot_states(
    conn: &dyn Sql,
    project_id: ProjectId,
) -> Result<Vec<(ShotId, ShotState)>, ReviewError> {
    Ok(decisions::shot_states(conn, project_id)?)
}
