//! The render outbox: moves `render_requests` rows through submit, poll, download and
//! link, so that an approval costs at most one paid Luma execution.
//!
//! Owns every state change of a request after it is queued:
//! `queued → submitted → completed | failed | unknown`, `queued → exported`, and back from
//! `unknown` or `exported` only by the user's say ([`resolve::resolve_request`]). It does
//! not build request bodies (`render::body`) nor speak HTTP (`render::luma`), and it never
//! indexes files: it writes the result into the project's first watched folder and the
//! ingest calls [`crate::catalog::requests::link_result`] when it sees it.
//!
//! The money rules:
//! - **Scope.** A pass sends only the requests of one project, and only those the user
//!   confirmed when the caller names them ([`SubmitScope`]).
//! - **Claim before send.** The row is committed as `submitted` (`attempts + 1`) with its
//!   owner (this process's [`owner::SendOwner`]) **before** the create call.
//! - **Retry only what Luma certainly did not execute**: a connection that never opened, a
//!   429 (after `Retry-After`). 400/422 fail with Luma's message; 401/403 put the request
//!   back in the queue and stop the pass (a bad key is not the request's fault; nothing was
//!   created). Anything else after the body went out (timeouts, cuts, every 5xx, 409,
//!   other 4xx, an unreadable 2xx) leaves the row `unknown`, and nothing re-sends an
//!   `unknown` row: the user links the generation Luma made, sends it again, or cancels.
//! - **Recovery respects owners.** A row left `submitted` without a generation id becomes
//!   `unknown` only when its owner process is provably gone ([`recover::recover_interrupted`]).
//! - **An accepted send is never lost.** [`record_accepted`] stores the generation id Luma
//!   returned whatever state another process left the row in.

pub mod owner;
mod poll;
pub mod recover;
pub mod resolve;

pub use poll::{poll, PollProblem, PollReport};
pub use recover::recover_interrupted;
pub use resolve::{
    candidates, export_queued, lookup_unknown, resolve_request, LookupReport, Resolution,
};

use crate::catalog::requests::{self, Owner, Queued};
use crate::catalog::{log_event, Catalog, CatalogAccess, CatalogError};
use crate::domain::{EventKind, ProjectId, RequestId, RequestState};
use crate::render::luma::{CreateEndpoint, LumaClient, LumaError};
use owner::SendOwner;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What the user is told about a send whose outcome is unknown.
const CHECK_LUMA: &str =
    "the request may have been charged; link the generation Luma made, send it again, or cancel it in the render queue";

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
    /// On a studio library one machine sends, polls and recovers for everyone: the one
    /// whose session holds the outbox lease. Refused before anything is read or sent.
    #[error("{holder} is sending this studio's renders; one machine sends at a time and another takes over by itself when it stops; nothing was sent from here")]
    LeaseHeld {
        /// Who holds the lease: their role and machine.
        holder: String,
    },
    /// Only an `unknown` or `exported` request can be resolved.
    #[error("render request {request_id} is {state}; only a request whose send is uncertain (unknown) or that was exported can be resolved")]
    NotResolvable {
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
        project_id: ProjectId,
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
    /// The lock that proves this process owns its sends could not be taken.
    #[error("cannot take the send lock beside the library ({path}): {source}; nothing was sent")]
    OwnerLock {
        /// The library.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// On a studio library, makes this session the outbox lease holder (it stays so until the
/// session ends) or refuses with [`OutboxError::LeaseHeld`]. Whether the library is a
/// studio's: there, the lease (not lock files) proves who may send.
pub(crate) fn hold_studio_lease(cat: &Catalog) -> Result<bool, OutboxError> {
    use crate::catalog::pg;
    match crate::catalog::sql::Sql::engine(cat.conn()) {
        crate::catalog::sql::Engine::Sqlite => Ok(false),
        crate::catalog::sql::Engine::Postgres => {
            if pg::take_outbox_lease(cat.conn())? {
                return Ok(true);
            }
            let holder = pg::outbox_lease_holder(cat.conn())?
                .unwrap_or_else(|| "another machine".to_owned());
            Err(OutboxError::LeaseHeld { holder })
        }
    }
}

impl From<crate::catalog::sql::DbError> for OutboxError {
    fn from(e: crate::catalog::sql::DbError) -> OutboxError {
        OutboxError::Catalog(CatalogError::from(e))
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

/// What a submit pass may send: the queued requests of one project, or only the listed
/// ones among them (what the user saw and confirmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitScope {
    /// The project.
    pub project_id: ProjectId,
    /// When set, only these requests (those of them still queued in the project).
    pub only: Option<Vec<RequestId>>,
}

impl SubmitScope {
    /// Every queued request of `project_id`.
    pub fn project(project_id: ProjectId) -> SubmitScope {
        SubmitScope {
            project_id,
            only: None,
        }
    }

    /// Only `ids`, and only where they are queued requests of `project_id`.
    pub fn only(project_id: ProjectId, ids: Vec<RequestId>) -> SubmitScope {
        SubmitScope {
            project_id,
            only: Some(ids),
        }
    }

    fn admits(&self, request: &Queued) -> bool {
        request.project_id == self.project_id
            && self
                .only
                .as_ref()
                .is_none_or(|ids| ids.contains(&request.id))
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
    /// Luma kept refusing with an answer that proves nothing was made (429, unreachable);
    /// nothing was charged. The request is queued again for a later pass.
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
    /// Requests in scope still `queued` when the pass ended.
    pub left_queued: usize,
    /// Why the pass stopped early, if it did.
    pub hold: Option<Hold>,
}

/// What one [`Outbox::run_pass`] did, step by step.
#[derive(Debug, Default)]
pub struct PassReport {
    /// Requests whose dead sender left them `submitted`, now `unknown`.
    pub recovered: Vec<RequestId>,
    /// What looking up the project's `unknown` requests at Luma found.
    pub lookup: LookupReport,
    /// What was sent.
    pub submit: SubmitReport,
    /// What polling found.
    pub poll: PollReport,
}

/// The submitter. Owns the rate window and this process's send owner, so keep one for
/// the life of the process.
#[derive(Debug)]
pub struct Outbox<C: Clock> {
    limits: Limits,
    clock: C,
    /// When each create in the last minute was sent, oldest first.
    recent_creates: VecDeque<Instant>,
    /// The lock that proves this process is alive to other processes; taken on first use.
    owner: Option<SendOwner>,
}

/// How one request's sends ended.
enum Sent {
    Accepted(String),
    Failed(String),
    Unknown(String),
    Requeued(Hold),
    /// Someone else moved the row out of `queued` (a cancel, another sender): nothing was
    /// sent.
    Gone,
}

impl<C: Clock> Outbox<C> {
    /// A submitter with these limits and clock; the rate window starts empty.
    pub fn new(limits: Limits, clock: C) -> Outbox<C> {
        Outbox {
            limits,
            clock,
            recent_creates: VecDeque::new(),
            owner: None,
        }
    }

    /// One whole pass for `scope`'s project, as the app's Submit and `takeboard-cli submit`
    /// run it: recover sends whose process died, look up `unknown` requests at Luma
    /// (linking an exact single match), send what the scope admits, then poll the
    /// project's submitted requests and download what is done.
    pub fn run_pass(
        &mut self,
        cat: &mut impl CatalogAccess,
        client: &LumaClient,
        scope: &SubmitScope,
    ) -> Result<PassReport, OutboxError> {
        // On a studio library the whole pass is the lease holder's, lookups included.
        cat.with(|c| hold_studio_lease(c))?;
        let recovered = cat.with(recover_interrupted)?;
        let lookup = lookup_unknown(cat, client, scope.project_id)?;
        let submit = self.submit_queued(cat, client, scope)?;
        let poll = poll(cat, client, scope.project_id)?;
        Ok(PassReport {
            recovered,
            lookup,
            submit,
            poll,
        })
    }

    /// Sends the queued requests `scope` admits, oldest first, within the rate and
    /// in-flight limits. A request beyond the limits stays queued (see
    /// [`SubmitReport::hold`]). With a shared catalog the lock is held for each database
    /// step, never across an HTTP call.
    pub fn submit_queued(
        &mut self,
        cat: &mut impl CatalogAccess,
        client: &LumaClient,
        scope: &SubmitScope,
    ) -> Result<SubmitReport, OutboxError> {
        cat.with(|c| hold_studio_lease(c))?;
        let queued: Vec<Queued> = cat
            .with(|c| requests::queued(c.conn(), scope.project_id))?
            .into_iter()
            .filter(|r| scope.admits(r))
            .collect();
        let mut report = SubmitReport::default();
        if queued.is_empty() {
            return Ok(report);
        }
        self.ensure_owner(cat)?;
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

    /// Takes this process's send lock beside the library (on a studio library: the
    /// outbox lease), once.
    fn ensure_owner(&mut self, cat: &mut impl CatalogAccess) -> Result<(), OutboxError> {
        let studio = cat.with(|c| hold_studio_lease(c))?;
        if self.owner.is_none() {
            let library = cat.with(|c| c.path().to_owned());
            let owner = if studio {
                SendOwner::for_studio()
            } else {
                SendOwner::acquire(&library).map_err(|source| OutboxError::OwnerLock {
                    path: library.clone(),
                    source,
                })?
            };
            self.owner = Some(owner);
        }
        Ok(())
    }

    fn claimant(&self) -> Owner<'_> {
        let owner = self
            .owner
            .as_ref()
            .expect("ensure_owner ran before any claim");
        Owner {
            token: owner.token(),
            pid: i64::from(owner.pid()),
            host: owner.host(),
        }
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
        let in_flight = requests::submitted_count(cat.conn())?;
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
            let claimed = {
                let me = self.claimant();
                cat.with(|c| claim(c, request, attempt, &me))?
            };
            if !claimed {
                return Ok(Sent::Gone);
            }
            self.recent_creates.push_back(self.clock.now());
            let error = match client.create(endpoint, body) {
                Ok(generation) => {
                    let id = generation.id.unwrap_or_default();
                    cat.with(|c| record_accepted(c, request.id, request.project_id, &id))?;
                    return Ok(Sent::Accepted(id));
                }
                Err(error) => error,
            };
            let token = self.claimant().token.to_owned();
            match verdict(error) {
                Verdict::Refused(reason) => {
                    cat.with(|c| {
                        finish(
                            c,
                            request,
                            &token,
                            RequestState::Failed,
                            &reason,
                            EventKind::RenderFailed,
                        )
                    })?;
                    return Ok(Sent::Failed(reason));
                }
                Verdict::Unknown(reason) => {
                    cat.with(|c| {
                        finish(
                            c,
                            request,
                            &token,
                            RequestState::Unknown,
                            &reason,
                            EventKind::RenderUnknown,
                        )
                    })?;
                    return Ok(Sent::Unknown(reason));
                }
                Verdict::BadKey(error) => {
                    cat.with(|c| release(c, request, &token, &error.to_string(), None))?;
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
                    cat.with(|c| {
                        release(c, request, &token, &reason, (!give_up).then_some(delay))
                    })?;
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
    match error {
        LumaError::Unauthorized { .. } => Verdict::BadKey(error),
        LumaError::Rejected { .. } | LumaError::InvalidRequest(_) => {
            Verdict::Refused(error.to_string())
        }
        LumaError::RateLimited { retry_after, .. } => Verdict::Retry {
            reason: error.to_string(),
            retry_after,
        },
        LumaError::ConnectionLost { sent: false, .. } => Verdict::Retry {
            reason: error.to_string(),
            retry_after: None,
        },
        // A 5xx is no proof that nothing was made: Luma v1 has no idempotency key, so a
        // create may have run before the server failed to answer.
        LumaError::Server { .. }
        | LumaError::Conflict { .. }
        | LumaError::Timeout { .. }
        | LumaError::ConnectionLost { sent: true, .. }
        | LumaError::BadResponse { .. }
        | LumaError::Download { .. }
        | LumaError::Io(_) => Verdict::Unknown(format!("{error}; {CHECK_LUMA}")),
    }
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

/// `queued → submitted`, `attempts + 1`, owned by `me`, committed before the call. False
/// when the row is no longer queued (another sender or a cancel got there first).
fn claim(
    cat: &mut Catalog,
    request: &Queued,
    attempt: u32,
    me: &Owner<'_>,
) -> Result<bool, OutboxError> {
    cat.write(|tx| {
        let claimed = requests::claim(tx, request.id, *me)?;
        if claimed {
            log_event(
                tx,
                request.project_id,
                EventKind::RenderSubmitting,
                None,
                None,
                Some(request.id),
                &json!({
                    "from": "queued", "to": "submitted", "attempt": attempt,
                    "owner": {"pid": me.pid, "host": me.host},
                }),
            )?;
        }
        Ok(claimed)
    })
}

/// Stores the generation id Luma returned for request `request_id`: the row ends
/// `submitted` with that id, whatever state another process left it in (a wrongful
/// recovery, say), so the paid render is polled and downloaded. The event row is written
/// first, so the id survives even a row that cannot take it.
fn record_accepted(
    cat: &mut Catalog,
    request_id: RequestId,
    project_id: ProjectId,
    generation_id: &str,
) -> Result<(), OutboxError> {
    cat.write(|tx| {
        let (_, was) = requests::project_and_state(tx, request_id)?
            .ok_or(OutboxError::NotFound(request_id))?;
        log_event(
            tx,
            project_id,
            EventKind::RenderAccepted,
            None,
            None,
            Some(request_id),
            &json!({"generation_id": generation_id, "state_was": was}),
        )?;
        requests::store_accepted(tx, request_id, generation_id)?;
        Ok(())
    })
}

/// `submitted → failed | unknown` with a reason, for this owner's claim.
fn finish(
    cat: &mut Catalog,
    request: &Queued,
    token: &str,
    state: RequestState,
    reason: &str,
    kind: EventKind,
) -> Result<(), OutboxError> {
    cat.write(|tx| {
        if requests::finish_claim(tx, request.id, token, state, reason)? {
            log_event(
                tx,
                request.project_id,
                kind,
                None,
                None,
                Some(request.id),
                &json!({"from": "submitted", "to": state.as_str(), "reason": reason}),
            )?;
        }
        Ok(())
    })
}

/// `from → failed` (from `queued`: a request that cannot be sent at all; from `submitted`:
/// a generation Luma failed). Does nothing when the row is no longer in `from`.
fn mark_failed(
    cat: &mut Catalog,
    request_id: RequestId,
    project_id: ProjectId,
    from: RequestState,
    generation_id: Option<&str>,
    reason: &str,
) -> Result<(), OutboxError> {
    cat.write(|tx| {
        if requests::fail(tx, request_id, from, reason)? {
            log_event(
                tx,
                project_id,
                EventKind::RenderFailed,
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
    token: &str,
    reason: &str,
    retry_in: Option<Duration>,
) -> Result<(), OutboxError> {
    cat.write(|tx| {
        if requests::release_claim(tx, request.id, token, reason)? {
            log_event(
                tx,
                request.project_id,
                EventKind::RenderRequeued,
                None,
                None,
                Some(request.id),
                &json!({
                    "from": "submitted", "to": "queued", "reason": reason,
                    "retry_in_ms": retry_in.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
                }),
            )?;
        }
        Ok(())
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
    fn only_certainly_unprocessed_sends_are_retried() {
        let retried = |e: LumaError| matches!(verdict(e), Verdict::Retry { .. });
        let unknown = |e: LumaError| matches!(verdict(e), Verdict::Unknown(_));
        let detail = String::new;
        assert!(retried(LumaError::RateLimited {
            retry_after: None,
            detail: detail()
        }));
        assert!(retried(LumaError::ConnectionLost {
            sent: false,
            detail: detail()
        }));
        for status in [500, 502, 503, 504] {
            assert!(
                unknown(LumaError::Server {
                    status,
                    detail: detail()
                }),
                "HTTP {status} after the body went out proves nothing"
            );
        }
        assert!(unknown(LumaError::ConnectionLost {
            sent: true,
            detail: detail()
        }));
        assert!(unknown(LumaError::Timeout { detail: detail() }));
        assert!(unknown(LumaError::Conflict { detail: detail() }));
        assert!(unknown(LumaError::BadResponse {
            status: 404,
            detail: detail()
        }));
        assert!(matches!(
            verdict(LumaError::Rejected {
                status: 422,
                detail: detail()
            }),
            Verdict::Refused(_)
        ));
        assert!(matches!(
            verdict(LumaError::Unauthorized { detail: detail() }),
            Verdict::BadKey(_)
        ));
    }
}
