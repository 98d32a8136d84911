//! The render outbox: moves `render_requests` rows through submit, poll, download and
//! link, so that an approval costs at most one paid Luma execution.
//!
//! Owns every state change of a request after it is queued:
//! `queued → submitted → completed | failed | unknown`, and back from `unknown` only by
//! the user's say ([`resolve_unknown`]). It does not build request bodies (`render::body`)
//! nor speak HTTP (`render::luma`), and it never indexes files: it writes the result into
//! the project's first watched folder and the ingest calls [`link_result`] when it sees it.
//!
//! The money rule: the row is committed as `submitted` (`attempts + 1`) **before** the
//! create call. A send is retried only when Luma certainly did not process it (429, 500,
//! 502, 503, connection never opened); anything that may have been accepted (timeout,
//! connection cut after sending, 504, 409, an unreadable success) leaves the row
//! `unknown`, and nothing re-sends an `unknown` row.
//!
//! Decision on **409 Conflict**: Luma v1 does not document it and has no idempotency key,
//! so a conflict most plausibly means an equivalent generation already exists or is
//! running. Retrying could pay twice and failing could hide a paid render, so a 409 is
//! `unknown`: the user checks Luma and says resend, failed, or found.
//!
//! Decision on **504 Gateway Timeout**: the gateway gave up waiting for Luma, which may
//! still have created the generation, so a 504 is `unknown` like a client timeout.
//!
//! Decision on **401/403**: a bad key is not the request's fault. The row goes back to
//! `queued` (nothing was created) and the pass stops with [`OutboxError::Unauthorized`],
//! instead of failing every queued request one after another.

use crate::catalog::{current_actor, log_event, now_text, Catalog, CatalogAccess, CatalogError};
use crate::domain::{RequestId, RequestState, TakeId};
use crate::render::luma::{
    is_generation_id, CreateEndpoint, Generation, GenerationState, LumaClient, LumaError,
};
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What the user is told about a send whose outcome is unknown.
const CHECK_LUMA: &str = "the request may have been charged; check Luma before re-sending";

/// The length of the create-rate window.
const RATE_WINDOW: Duration = Duration::from_secs(60);

/// Everything the outbox can fail with.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The catalog could not be read or written; nothing after the failing step happened.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Luma refused the API key. The request stays queued; nothing was created.
    #[error("{0}; queued requests wait until the key is fixed")]
    Unauthorized(LumaError),
    /// No render request has this id.
    #[error("render request {0} does not exist")]
    NotFound(RequestId),
    /// Only a request in state `unknown` can be resolved.
    #[error("render request {request_id} is {state}, not unknown; only an uncertain send needs resolving")]
    NotUnknown {
        /// The request.
        request_id: RequestId,
        /// Its current state.
        state: String,
    },
    /// The id given as "found at Luma" is not a Luma generation id.
    #[error("'{0}' is not a Luma generation id (copy the id from Luma's generation page)")]
    InvalidGenerationId(String),
    /// The generation id given as "found at Luma" already belongs to another request.
    #[error("generation {generation_id} already belongs to render request {request_id}")]
    GenerationInUse {
        /// The id given.
        generation_id: String,
        /// The request that already holds it.
        request_id: RequestId,
    },
    /// The project has no watched folder to download the result into.
    #[error("project {project_id} has no watched folder to download the render into; add one")]
    NoWatchedFolder {
        /// The project.
        project_id: i64,
    },
    /// Luma says the generation is completed but gives no video URL.
    #[error("Luma reports generation {generation_id} completed but gives no video to download")]
    NoVideo {
        /// The generation.
        generation_id: String,
    },
    /// Downloading the result failed; it is tried again on the next poll.
    #[error("downloading the render failed: {0}")]
    Download(LumaError),
    /// Luma could not be asked for the generations that may match an uncertain send.
    #[error("could not look the request up at Luma: {0}")]
    Lookup(LumaError),
    /// A file in the watched folder could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl From<rusqlite::Error> for OutboxError {
    fn from(e: rusqlite::Error) -> OutboxError {
        OutboxError::Catalog(CatalogError::Sqlite(e))
    }
}

/// Time, injectable so that backoff and rate windows are tested without real sleeping.
pub trait Clock {
    /// The current instant.
    fn now(&self) -> Instant;
    /// Waits `duration` (a backoff before a retry).
    fn sleep(&self, duration: Duration);
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

impl<T: Clock + ?Sized> Clock for &T {
    fn now(&self) -> Instant {
        (**self).now()
    }
    fn sleep(&self, duration: Duration) {
        (**self).sleep(duration);
    }
}

/// Provider limits and the retry policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Most creates sent in any 60 s window (Luma Build tier: 20).
    pub creates_per_minute: usize,
    /// Most requests `submitted` and not finished, library-wide (Luma Build tier: 10).
    pub max_in_flight: usize,
    /// Most sends of one request in one pass when Luma certainly did not process them.
    pub max_attempts: u32,
    /// First backoff delay; doubles per retry.
    pub backoff_initial: Duration,
    /// Longest backoff delay; a longer `Retry-After` ends the pass instead of waiting.
    pub backoff_max: Duration,
}

impl Default for Limits {
    /// Luma's Build tier and its SDK's retry policy (0.5–8 s, 2 retries).
    fn default() -> Limits {
        Limits {
            creates_per_minute: 20,
            max_in_flight: 10,
            max_attempts: 3,
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
        }
    }
}

impl Limits {
    /// The delay before send number `attempt + 1` (attempt counts from 1).
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.backoff_initial
            .saturating_mul(factor)
            .min(self.backoff_max)
    }
}

/// Why a submit pass left requests queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// The create-rate window is full; a slot frees after `free_in`.
    RateWindow {
        /// Time until the oldest create in the window leaves it.
        free_in: Duration,
    },
    /// As many requests as allowed are in flight; poll until some finish.
    InFlight {
        /// Requests `submitted` and not finished.
        in_flight: usize,
    },
    /// Luma kept refusing with a retryable answer (429, 5xx, unreachable); nothing was
    /// charged. The request is queued again for a later pass.
    ProviderBusy {
        /// The last answer.
        reason: String,
    },
}

/// Where one request ended up after a submit pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitOutcome {
    /// The request.
    pub request_id: RequestId,
    /// Its state now: `submitted`, `failed` or `unknown`.
    pub state: RequestState,
    /// The generation id for `submitted`, the reason otherwise.
    pub detail: String,
}

/// What one [`Outbox::submit_queued`] pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubmitReport {
    /// Requests that left `queued`, in the order they were sent.
    pub outcomes: Vec<SubmitOutcome>,
    /// Requests still `queued` when the pass ended.
    pub left_queued: usize,
    /// Why the pass stopped early, if it did.
    pub hold: Option<Hold>,
}

/// The submitter. Owns the rate window, so keep one for the life of the process.
#[derive(Debug)]
pub struct Outbox<C: Clock> {
    limits: Limits,
    clock: C,
    /// When each create in the last minute was sent, oldest first.
    recent_creates: VecDeque<Instant>,
}

/// A queued request as the submitter needs it.
struct Queued {
    id: RequestId,
    project_id: i64,
    body_json: String,
    source_generation_id: Option<String>,
}

/// How one request's sends ended.
enum Sent {
    Accepted(String),
    Failed(String),
    Unknown(String),
    Requeued(Hold),
    /// Someone else moved the row out of `queued` (a cancel): nothing was sent.
    Gone,
}

impl<C: Clock> Outbox<C> {
    /// A submitter with these limits and clock; the rate window starts empty.
    pub fn new(limits: Limits, clock: C) -> Outbox<C> {
        Outbox {
            limits,
            clock,
            recent_creates: VecDeque::new(),
        }
    }

    /// Sends queued requests, oldest first, within the rate and in-flight limits. A request
    /// beyond the limits stays queued (see [`SubmitReport::hold`]). With a shared catalog
    /// the lock is held for each database step, never across an HTTP call.
    pub fn submit_queued(
        &mut self,
        cat: &mut impl CatalogAccess,
        client: &LumaClient,
    ) -> Result<SubmitReport, OutboxError> {
        let queued = cat.with(|c| queued_requests(c))?;
        let mut report = SubmitReport::default();
        for (index, request) in queued.iter().enumerate() {
            if let Some(hold) = cat.with(|c| self.hold(c))? {
                report.left_queued = queued.len() - index;
                report.hold = Some(hold);
                break;
            }
            let sent = match prepare(request) {
                Ok((endpoint, body)) => self.send(cat, client, request, &endpoint, &body)?,
                Err(reason) => {
                    cat.with(|c| {
                        mark_failed(
                            c,
                            request.id,
                            request.project_id,
                            RequestState::Queued,
                            None,
                            &reason,
                        )
                    })?;
                    Sent::Failed(reason)
                }
            };
            let (state, detail) = match sent {
                Sent::Accepted(id) => (RequestState::Submitted, id),
                Sent::Failed(reason) => (RequestState::Failed, reason),
                Sent::Unknown(reason) => (RequestState::Unknown, reason),
                Sent::Gone => continue,
                Sent::Requeued(hold) => {
                    report.left_queued = queued.len() - index;
                    report.hold = Some(hold);
                    break;
                }
            };
            report.outcomes.push(SubmitOutcome {
                request_id: request.id,
                state,
                detail,
            });
        }
        Ok(report)
    }

    /// Why no create may be sent now, if so.
    fn hold(&mut self, cat: &Catalog) -> Result<Option<Hold>, OutboxError> {
        let now = self.clock.now();
        while let Some(&oldest) = self.recent_creates.front() {
            if now.saturating_duration_since(oldest) >= RATE_WINDOW {
                self.recent_creates.pop_front();
            } else {
                break;
            }
        }
        if self.recent_creates.len() >= self.limits.creates_per_minute {
            let oldest = self.recent_creates.front().copied().unwrap_or(now);
            return Ok(Some(Hold::RateWindow {
                free_in: RATE_WINDOW.saturating_sub(now.saturating_duration_since(oldest)),
            }));
        }
        let in_flight: i64 = cat.conn().query_row(
            "SELECT COUNT(*) FROM render_requests WHERE state = 'submitted'",
            [],
            |r| r.get(0),
        )?;
        let in_flight = usize::try_from(in_flight).unwrap_or(usize::MAX);
        if in_flight >= self.limits.max_in_flight {
            return Ok(Some(Hold::InFlight { in_flight }));
        }
        Ok(None)
    }

    /// Claims, sends, and records one request, retrying only certainly-unprocessed sends.
    fn send(
        &mut self,
        cat: &mut impl CatalogAccess,
        client: &LumaClient,
        request: &Queued,
        endpoint: &CreateEndpoint,
        body: &Value,
    ) -> Result<Sent, OutboxError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            if attempt > 1 {
                if let Some(hold) = cat.with(|c| self.hold(c))? {
                    return Ok(Sent::Requeued(hold));
                }
            }
            if !cat.with(|c| claim(c, request, attempt))? {
                return Ok(Sent::Gone);
            }
            self.recent_creates.push_back(self.clock.now());
            let error = match client.create(endpoint, body) {
                Ok(generation) => {
                    let id = generation.id.unwrap_or_default();
                    cat.with(|c| record_accepted(c, request, &id))?;
                    return Ok(Sent::Accepted(id));
                }
                Err(error) => error,
            };
            match verdict(error) {
                Verdict::Refused(reason) => {
                    cat.with(|c| {
                        finish(c, request, RequestState::Failed, &reason, "render.failed")
                    })?;
                    return Ok(Sent::Failed(reason));
                }
                Verdict::Unknown(reason) => {
                    cat.with(|c| {
                        finish(c, request, RequestState::Unknown, &reason, "render.unknown")
                    })?;
                    return Ok(Sent::Unknown(reason));
                }
                Verdict::BadKey(error) => {
                    cat.with(|c| release(c, request, &error.to_string(), None))?;
                    return Err(OutboxError::Unauthorized(error));
                }
                Verdict::Retry {
                    reason,
                    retry_after,
                } => {
                    let delay = self
                        .limits
                        .backoff(attempt)
                        .max(retry_after.unwrap_or_default());
                    let give_up = attempt >= self.limits.max_attempts
                        || retry_after.is_some_and(|d| d > self.limits.backoff_max);
                    cat.with(|c| release(c, request, &reason, (!give_up).then_some(delay)))?;
                    if give_up {
                        return Ok(Sent::Requeued(Hold::ProviderBusy { reason }));
                    }
                    self.clock.sleep(delay);
                }
            }
        }
    }
}

/// What a failed create means for the request.
enum Verdict {
    /// Luma refused it; sending again would be refused again. Not charged.
    Refused(String),
    /// It may have been accepted and charged.
    Unknown(String),
    /// The key is bad; nothing was created.
    BadKey(LumaError),
    /// Certainly not processed; may be sent again after a delay.
    Retry {
        reason: String,
        retry_after: Option<Duration>,
    },
}

fn verdict(error: LumaError) -> Verdict {
    let unknown = |e: &LumaError| Verdict::Unknown(format!("{e}; {CHECK_LUMA}"));
    match error {
        LumaError::Unauthorized { .. } => Verdict::BadKey(error),
        LumaError::Rejected { .. } | LumaError::InvalidRequest(_) => {
            Verdict::Refused(error.to_string())
        }
        LumaError::RateLimited { retry_after, .. } => Verdict::Retry {
            reason: error.to_string(),
            retry_after,
        },
        LumaError::Server { status, .. } if status != 504 => Verdict::Retry {
            reason: error.to_string(),
            retry_after: None,
        },
        LumaError::ConnectionLost { sent: false, .. } => Verdict::Retry {
            reason: error.to_string(),
            retry_after: None,
        },
        LumaError::Server { .. }
        | LumaError::Conflict { .. }
        | LumaError::Timeout { .. }
        | LumaError::ConnectionLost { sent: true, .. }
        | LumaError::BadResponse { .. }
        | LumaError::Download { .. }
        | LumaError::Io(_) => unknown(&error),
    }
}

fn queued_requests(cat: &Catalog) -> Result<Vec<Queued>, OutboxError> {
    let mut stmt = cat.conn().prepare(
        "SELECT r.id, r.project_id, r.body_json, t.generation_id
         FROM render_requests r JOIN takes t ON t.id = r.source_take_id
         WHERE r.state = 'queued' ORDER BY r.created_at, r.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(Queued {
            id: r.get(0)?,
            project_id: r.get(1)?,
            body_json: r.get(2)?,
            source_generation_id: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The endpoint and body of a request, or why it cannot be sent at all.
fn prepare(request: &Queued) -> Result<(CreateEndpoint, Value), String> {
    let body: Value = serde_json::from_str(&request.body_json).map_err(|e| {
        format!("the stored request body is not valid JSON ({e}); nothing was sent")
    })?;
    let endpoint = CreateEndpoint::for_body(&body, request.source_generation_id.as_deref())
        .map_err(|e| e.to_string())?;
    Ok((endpoint, body))
}

/// `queued → submitted`, `attempts + 1`, committed before the call. False when the row
/// is no longer queued.
fn claim(cat: &mut Catalog, request: &Queued, attempt: u32) -> Result<bool, OutboxError> {
    cat.write(|tx| {
        let now = now_text();
        let changed = tx.execute(
            "UPDATE render_requests
             SET state = 'submitted', attempts = attempts + 1, submitted_at = ?2,
                 failure_reason = NULL, updated_at = ?2
             WHERE id = ?1 AND state = 'queued'",
            params![request.id, now],
        )?;
        if changed == 1 {
            log_event(
                tx,
                request.project_id,
                "render.submitting",
                None,
                None,
                Some(request.id),
                &json!({"from": "queued", "to": "submitted", "attempt": attempt}),
            )?;
        }
        Ok(changed == 1)
    })
}

fn record_accepted(
    cat: &mut Catalog,
    request: &Queued,
    generation_id: &str,
) -> Result<(), OutboxError> {
    cat.write(|tx| {
        tx.execute(
            "UPDATE render_requests SET provider_generation_id = ?2, updated_at = ?3
             WHERE id = ?1 AND state = 'submitted'",
            params![request.id, generation_id, now_text()],
        )?;
        log_event(
            tx,
            request.project_id,
            "render.accepted",
            None,
            None,
            Some(request.id),
            &json!({"generation_id": generation_id}),
        )?;
        Ok(())
    })
}

/// `submitted → failed | unknown` with a reason.
fn finish(
    cat: &mut Catalog,
    request: &Queued,
    state: RequestState,
    reason: &str,
    kind: &str,
) -> Result<(), OutboxError> {
    cat.write(|tx| {
        let now = now_text();
        let finished = (state == RequestState::Failed).then_some(now.as_str());
        tx.execute(
            "UPDATE render_requests SET state = ?2, failure_reason = ?3, finished_at = ?4, updated_at = ?5
             WHERE id = ?1 AND state = 'submitted'",
            params![request.id, state.as_str(), reason, finished, now],
        )?;
        log_event(
            tx,
            request.project_id,
            kind,
            None,
            None,
            Some(request.id),
            &json!({"from": "submitted", "to": state.as_str(), "reason": reason}),
        )?;
        Ok(())
    })
}

/// `from → failed` (from `queued`: a request that cannot be sent at all; from `submitted`:
/// a generation Luma failed). Does nothing when the row is no longer in `from`.
fn mark_failed(
    cat: &mut Catalog,
    request_id: RequestId,
    project_id: i64,
    from: RequestState,
    generation_id: Option<&str>,
    reason: &str,
) -> Result<(), OutboxError> {
    cat.write(|tx| {
        let now = now_text();
        let changed = tx.execute(
            "UPDATE render_requests SET state = 'failed', failure_reason = ?2, finished_at = ?3, updated_at = ?3
             WHERE id = ?1 AND state = ?4",
            params![request_id, reason, now, from.as_str()],
        )?;
        if changed == 1 {
            log_event(
                tx,
                project_id,
                "render.failed",
                None,
                None,
                Some(request_id),
                &json!({
                    "from": from.as_str(), "to": "failed",
                    "generation_id": generation_id, "reason": reason,
                }),
            )?;
        }
        Ok(())
    })
}

/// `submitted → queued` after a send Luma certainly did not process. The reason stays on
/// the row so the queue can show why it waits.
fn release(
    cat: &mut Catalog,
    request: &Queued,
    reason: &str,
    retry_in: Option<Duration>,
) -> Result<(), OutboxError> {
    cat.write(|tx| {
        tx.execute(
            "UPDATE render_requests SET state = 'queued', failure_reason = ?2, updated_at = ?3
             WHERE id = ?1 AND state = 'submitted'",
            params![request.id, reason, now_text()],
        )?;
        log_event(
            tx,
            request.project_id,
            "render.requeued",
            None,
            None,
            Some(request.id),
            &json!({
                "from": "submitted", "to": "queued", "reason": reason,
                "retry_in_ms": retry_in.map(|d| d.as_millis() as u64),
            }),
        )?;
        Ok(())
    })
}

/// A request whose generation is being polled.
struct InFlight {
    id: RequestId,
    project_id: i64,
    shot_code: String,
    mode: String,
    model: String,
    generation_id: String,
}

/// A request that needs the user's attention after a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollProblem {
    /// The request.
    pub request_id: RequestId,
    /// What went wrong; it is tried again on the next poll.
    pub message: String,
}

/// What one [`poll`] pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollReport {
    /// Requests whose result was downloaded (now `completed`), with the file written.
    pub completed: Vec<(RequestId, PathBuf)>,
    /// Requests Luma failed (now `failed`), with Luma's reason.
    pub failed: Vec<(RequestId, String)>,
    /// Requests still queued or dreaming at Luma.
    pub running: Vec<RequestId>,
    /// Requests that could not be checked or downloaded this time.
    pub problems: Vec<PollProblem>,
}

/// Checks every submitted request at Luma. A completed generation is downloaded into its
/// project's first watched folder as `<SHOT>_<mode>_<model>_<id prefix>.mp4`: the sidecar
/// `<file>.json` (the generation object) lands first, the video is written as
/// `<file>.part` and renamed when complete, then the request is `completed`. The ingest
/// links the file to the request ([`link_result`]).
pub fn poll(cat: &mut impl CatalogAccess, client: &LumaClient) -> Result<PollReport, OutboxError> {
    let mut report = PollReport::default();
    for request in cat.with(|c| in_flight_requests(c))? {
        let generation = match client.get(&request.generation_id) {
            Ok(generation) => generation,
            Err(error @ LumaError::Unauthorized { .. }) => {
                return Err(OutboxError::Unauthorized(error))
            }
            Err(error) => {
                let rate_limited = matches!(error, LumaError::RateLimited { .. });
                report.problems.push(PollProblem {
                    request_id: request.id,
                    message: error.to_string(),
                });
                if rate_limited {
                    break;
                }
                continue;
            }
        };
        match generation.state {
            Some(GenerationState::Completed) => match cat
                .with(|c| result_folder(c, request.project_id))
                .and_then(|folder| deliver(&folder, client, &request, &generation))
            {
                Ok(path) => {
                    cat.with(|c| mark_completed(c, &request, &path))?;
                    report.completed.push((request.id, path));
                }
                Err(error @ OutboxError::Catalog(_)) => return Err(error),
                Err(error) => report.problems.push(PollProblem {
                    request_id: request.id,
                    message: error.to_string(),
                }),
            },
            Some(GenerationState::Failed) => {
                let reason = generation.failure_reason.unwrap_or_else(|| {
                    "Luma reported the generation failed without a reason".to_owned()
                });
                cat.with(|c| {
                    mark_failed(
                        c,
                        request.id,
                        request.project_id,
                        RequestState::Submitted,
                        Some(request.generation_id.as_str()),
                        &reason,
                    )
                })?;
                report.failed.push((request.id, reason));
            }
            _ => report.running.push(request.id),
        }
    }
    Ok(report)
}

fn in_flight_requests(cat: &Catalog) -> Result<Vec<InFlight>, OutboxError> {
    let mut stmt = cat.conn().prepare(
        "SELECT r.id, r.project_id, s.code, r.mode, r.model, r.provider_generation_id
         FROM render_requests r JOIN shots s ON s.id = r.shot_id
         WHERE r.state = 'submitted' AND r.provider_generation_id IS NOT NULL
         ORDER BY r.submitted_at, r.id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(InFlight {
            id: r.get(0)?,
            project_id: r.get(1)?,
            shot_code: r.get(2)?,
            mode: r.get(3)?,
            model: r.get(4)?,
            generation_id: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Keeps `[A-Za-z0-9-]`, turns anything else into `-`.
fn file_token(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The result's file name: `<SHOT>_<mode>_<model>_<first 8 of the generation id>.mp4`.
fn result_file_name(request: &InFlight) -> String {
    let id: String = file_token(&request.generation_id).chars().take(8).collect();
    format!(
        "{}_{}_{}_{}.mp4",
        file_token(&request.shot_code),
        file_token(&request.mode),
        file_token(&request.model),
        id
    )
}

/// `<path><suffix>`, e.g. `x.mp4` + `.part`.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Where results of `project_id` land: its first watched folder.
fn result_folder(cat: &Catalog, project_id: i64) -> Result<PathBuf, OutboxError> {
    let folder: Option<String> = cat
        .conn()
        .query_row(
            "SELECT path FROM watched_folders WHERE project_id = ?1 ORDER BY id LIMIT 1",
            [project_id],
            |r| r.get(0),
        )
        .optional()?;
    folder
        .map(PathBuf::from)
        .ok_or(OutboxError::NoWatchedFolder { project_id })
}

/// Downloads the result and its sidecar into `folder`; returns the video's path. An
/// existing final file is complete (it only appears by rename) and is not fetched again.
fn deliver(
    folder: &Path,
    client: &LumaClient,
    request: &InFlight,
    generation: &Generation,
) -> Result<PathBuf, OutboxError> {
    let video = folder.join(result_file_name(request));
    if video.exists() {
        return Ok(video);
    }
    let url = generation
        .video_url
        .as_deref()
        .ok_or_else(|| OutboxError::NoVideo {
            generation_id: request.generation_id.clone(),
        })?;
    let partial = with_suffix(&video, ".part");
    if let Err(error) = client.download(url, &partial) {
        // Our own temporary file; nothing of the user's is touched.
        let _ = std::fs::remove_file(&partial);
        return Err(OutboxError::Download(error));
    }
    let sidecar = with_suffix(&video, ".json");
    let pretty = serde_json::to_vec_pretty(&generation.raw).unwrap_or_default();
    write_then_rename(&sidecar, &pretty)?;
    std::fs::rename(&partial, &video).map_err(|source| OutboxError::Io {
        path: video.clone(),
        source,
    })?;
    Ok(video)
}

/// Writes `bytes` to `<path>.part`, syncs, and renames it to `path` (the ingest ignores
/// `.part` names, so it never reads a half-written file).
fn write_then_rename(path: &Path, bytes: &[u8]) -> Result<(), OutboxError> {
    let partial = with_suffix(path, ".part");
    let io = |source| OutboxError::Io {
        path: path.to_owned(),
        source,
    };
    let written = std::fs::File::create(&partial).and_then(|mut file| {
        std::io::Write::write_all(&mut file, bytes)?;
        file.sync_all()
    });
    if let Err(source) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(io(source));
    }
    std::fs::rename(&partial, path).map_err(io)
}

fn mark_completed(cat: &mut Catalog, request: &InFlight, path: &Path) -> Result<(), OutboxError> {
    cat.write(|tx| {
        let now = now_text();
        // Zero rows when the ingest already linked the file (and completed the request).
        let changed = tx.execute(
            "UPDATE render_requests SET state = 'completed', finished_at = ?2, updated_at = ?2
             WHERE id = ?1 AND state = 'submitted'",
            params![request.id, now],
        )?;
        if changed == 1 {
            log_event(
                tx,
                request.project_id,
                "render.completed",
                None,
                None,
                Some(request.id),
                &json!({
                    "from": "submitted", "to": "completed",
                    "generation_id": request.generation_id,
                    "path": path.to_string_lossy(),
                }),
            )?;
        }
        Ok(())
    })
}

/// Links a take that ingest identified as generation `generation_id` to the render
/// request that produced it: sets `result_take_id`, marks the request `completed`, and
/// moves the take into the request's shot unless the user placed it by hand. Returns the
/// request, or `None` when no request of the take's project has that generation.
/// Calling it again for the same take changes nothing.
pub fn link_result(
    tx: &Transaction<'_>,
    take_id: TakeId,
    generation_id: &str,
) -> Result<Option<RequestId>, OutboxError> {
    let found = tx
        .query_row(
            "SELECT r.id, r.project_id, r.shot_id, r.state, r.result_take_id
             FROM render_requests r JOIN takes t ON t.project_id = r.project_id
             WHERE t.id = ?1 AND r.provider_generation_id = ?2
               AND r.state IN ('submitted', 'completed', 'unknown')
             ORDER BY r.id DESC LIMIT 1",
            params![take_id, generation_id],
            |r| {
                Ok((
                    r.get::<_, RequestId>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<TakeId>>(4)?,
                ))
            },
        )
        .optional()?;
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
        "render.linked",
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

/// The user's answer for a request whose send had an unknown outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Luma has no such generation: send it again (back to `queued`).
    Resend,
    /// Give it up (`failed`); the take can be approved again.
    MarkFailed,
    /// Luma has it under this generation id: follow it (`submitted`, polled as usual).
    Found(String),
}

/// Applies the user's [`Resolution`] to an `unknown` request; returns its new state.
pub fn resolve_unknown(
    cat: &mut Catalog,
    request_id: RequestId,
    resolution: Resolution,
) -> Result<RequestState, OutboxError> {
    if let Resolution::Found(id) = &resolution {
        if !is_generation_id(id) {
            return Err(OutboxError::InvalidGenerationId(id.clone()));
        }
    }
    cat.write(|tx| {
        let (project_id, state): (i64, String) = tx
            .query_row(
                "SELECT project_id, state FROM render_requests WHERE id = ?1",
                [request_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or(OutboxError::NotFound(request_id))?;
        if state != RequestState::Unknown.as_str() {
            return Err(OutboxError::NotUnknown { request_id, state });
        }
        let now = now_text();
        let actor = current_actor();
        let (to, detail) = match &resolution {
            Resolution::Resend => {
                tx.execute(
                    "UPDATE render_requests SET state = 'queued', failure_reason = NULL, updated_at = ?2
                     WHERE id = ?1",
                    params![request_id, now],
                )?;
                (RequestState::Queued, json!({"resolution": "resend"}))
            }
            Resolution::MarkFailed => {
                let reason = format!("marked failed by {actor} after an uncertain send");
                tx.execute(
                    "UPDATE render_requests SET state = 'failed', failure_reason = ?2, finished_at = ?3, updated_at = ?3
                     WHERE id = ?1",
                    params![request_id, reason, now],
                )?;
                (RequestState::Failed, json!({"resolution": "failed", "reason": reason}))
            }
            Resolution::Found(generation_id) => {
                let holder: Option<RequestId> = tx
                    .query_row(
                        "SELECT id FROM render_requests WHERE provider_generation_id = ?1 AND id <> ?2",
                        params![generation_id, request_id],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(holder) = holder {
                    return Err(OutboxError::GenerationInUse {
                        generation_id: generation_id.clone(),
                        request_id: holder,
                    });
                }
                tx.execute(
                    "UPDATE render_requests
                     SET state = 'submitted', provider_generation_id = ?2, failure_reason = NULL, updated_at = ?3
                     WHERE id = ?1",
                    params![request_id, generation_id, now],
                )?;
                (
                    RequestState::Submitted,
                    json!({"resolution": "found", "generation_id": generation_id}),
                )
            }
        };
        let mut detail = detail;
        detail["from"] = json!("unknown");
        detail["to"] = json!(to.as_str());
        log_event(tx, project_id, "render.resolved", None, None, Some(request_id), &detail)?;
        Ok(to)
    })
}

/// How far before the last send a matching generation may have been created (clock skew
/// between this machine and Luma).
const CANDIDATE_SKEW: time::Duration = time::Duration::minutes(10);

/// Most list pages read when looking for candidates (100 generations each).
const CANDIDATE_PAGES: u32 = 10;

/// Generations at Luma that may be the result of an `unknown` request's uncertain send:
/// created no earlier than ten minutes before its last send, with the same `prompt`,
/// `model`, `generation_type` and `mode` as its body where the body has them. For the user
/// to choose from before [`resolve_unknown`]; an empty list is no proof that nothing was
/// charged (the list may be paged differently), only that nothing was found.
pub fn candidates(
    cat: &Catalog,
    client: &LumaClient,
    request_id: RequestId,
) -> Result<Vec<Generation>, OutboxError> {
    let (state, body_json, submitted_at): (String, String, Option<String>) = cat
        .conn()
        .query_row(
            "SELECT state, body_json, submitted_at FROM render_requests WHERE id = ?1",
            [request_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or(OutboxError::NotFound(request_id))?;
    if state != RequestState::Unknown.as_str() {
        return Err(OutboxError::NotUnknown { request_id, state });
    }
    let rfc3339 = |text: &str| {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
    };
    let since = submitted_at
        .as_deref()
        .and_then(rfc3339)
        .map(|at| at - CANDIDATE_SKEW);
    let body: Value = serde_json::from_str(&body_json).unwrap_or(Value::Null);
    let same_request = |generation: &Generation| {
        let echoed = generation.request.as_ref();
        ["prompt", "model", "generation_type", "mode"]
            .iter()
            .filter_map(|key| body.get(key).map(|wanted| (key, wanted)))
            .all(|(key, wanted)| echoed.and_then(|r| r.get(key)) == Some(wanted))
    };
    let recent_enough = |generation: &Generation| match (since, generation.created_at.as_deref()) {
        (Some(since), Some(created)) => rfc3339(created).is_none_or(|at| at >= since),
        _ => true,
    };
    let mut found = Vec::new();
    for page in 0..CANDIDATE_PAGES {
        let listed = client.list(100, page * 100).map_err(OutboxError::Lookup)?;
        found.extend(
            listed
                .generations
                .into_iter()
                .filter(|g| same_request(g) && recent_enough(g)),
        );
        if !listed.has_more {
            break;
        }
    }
    Ok(found)
}

/// Startup recovery: a request left `submitted` without a generation id was being sent
/// when Takeboard stopped, so Luma may have it. Marks each such request `unknown` (never
/// re-sent automatically) and returns them. Call before the first submit pass.
pub fn recover_interrupted(cat: &mut Catalog) -> Result<Vec<RequestId>, OutboxError> {
    cat.write(|tx| {
        let interrupted: Vec<(RequestId, i64)> = {
            let mut stmt = tx.prepare(
                "SELECT id, project_id FROM render_requests
                 WHERE state = 'submitted' AND provider_generation_id IS NULL ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let reason = format!("Takeboard stopped while sending this request; {CHECK_LUMA}");
        let now = now_text();
        for (request_id, project_id) in &interrupted {
            tx.execute(
                "UPDATE render_requests SET state = 'unknown', failure_reason = ?2, updated_at = ?3
                 WHERE id = ?1",
                params![request_id, reason, now],
            )?;
            log_event(
                tx,
                *project_id,
                "render.unknown",
                None,
                None,
                Some(*request_id),
                &json!({"from": "submitted", "to": "unknown", "reason": reason}),
            )?;
        }
        Ok(interrupted.into_iter().map(|(id, _)| id).collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_half_a_second_up_to_eight() {
        let limits = Limits::default();
        let delays: Vec<u128> = (1..=7).map(|a| limits.backoff(a).as_millis()).collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(limits.backoff(200), Duration::from_secs(8), "no overflow");
    }

    #[test]
    fn result_names_carry_shot_mode_model_and_id_prefix() {
        let request = InFlight {
            id: 1,
            project_id: 1,
            shot_code: "SH010/../x".to_owned(),
            mode: "modify".to_owned(),
            model: "ray-2".to_owned(),
            generation_id: "0b66f2a1-9c3d-4e5f".to_owned(),
        };
        assert_eq!(
            result_file_name(&request),
            "SH010----x_modify_ray-2_0b66f2a1.mp4"
        );
    }

    #[test]
    fn only_certainly_unprocessed_sends_are_retried() {
        let retried = |e: LumaError| matches!(verdict(e), Verdict::Retry { .. });
        let detail = String::new;
        assert!(retried(LumaError::RateLimited {
            retry_after: None,
            detail: detail()
        }));
        assert!(retried(LumaError::Server {
            status: 503,
            detail: detail()
        }));
        assert!(retried(LumaError::ConnectionLost {
            sent: false,
            detail: detail()
        }));
        assert!(!retried(LumaError::Server {
            status: 504,
            detail: detail()
        }));
        assert!(!retried(LumaError::ConnectionLost {
            sent: true,
            detail: detail()
        }));
        assert!(!retried(LumaError::Timeout { detail: detail() }));
        assert!(!retried(LumaError::Conflict { detail: detail() }));
        assert!(matches!(
            verdict(LumaError::Rejected {
                status: 422,
                detail: detail()
            }),
            Verdict::Refused(_)
        ));
    }
}
