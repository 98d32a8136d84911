//! The user's hand on requests the outbox will not send by itself: the generations Luma
//! holds that may be an uncertain send's result (looked up, stored, and linked
//! automatically only when exactly one matches exactly), the user's resolution of an
//! `unknown` or `exported` request (link, send again, cancel), and exporting queued
//! requests as bodies to run elsewhere (`queued → exported`).

use super::{OutboxError, PollProblem};
use crate::atomic_file::write_atomically;
use crate::catalog::requests::{self, Uncertain};
use crate::catalog::sql::Tx;
use crate::catalog::{current_actor, log_event, Catalog, CatalogAccess};
use crate::domain::{Candidate, EventKind, ProjectId, RequestId, RequestState};
use crate::render::luma::{is_generation_id, Generation, LumaClient};
use serde_json::{json, Value};
use std::path::Path;

/// How far around the send a matching generation may have been created (clock skew
/// between this machine and Luma, and Luma's own queueing).
const CANDIDATE_SKEW: time::Duration = time::Duration::minutes(10);

/// Most list pages read when looking for candidates (100 generations each).
const CANDIDATE_PAGES: u32 = 10;

/// The user's answer for a request the outbox will not send by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Luma has it under this generation id: follow it (`submitted`, polled and downloaded
    /// as usual).
    Link(String),
    /// It was never made (or, when exported, will not be run elsewhere): queue it to be
    /// sent from here.
    Resend,
    /// Give it up (`cancelled`); the take stays approved and can be approved again.
    Cancel,
}

/// What looking up the `unknown` requests found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LookupReport {
    /// Requests whose candidates were looked up and stored.
    pub checked: Vec<RequestId>,
    /// Requests linked automatically to their one exact candidate, with its id.
    pub linked: Vec<(RequestId, String)>,
    /// Requests that could not be looked up this time.
    pub problems: Vec<PollProblem>,
}

fn rfc3339(text: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// The generations among `listed` that may be `request`'s: same `prompt`, `model`,
/// `generation_type` and `mode` where its body has them, created within
/// [`CANDIDATE_SKEW`] of its last send.
fn matching(request: &Uncertain, listed: &[Generation]) -> Vec<Candidate> {
    let sent = request.submitted_at.as_deref().and_then(rfc3339);
    listed
        .iter()
        .filter_map(|generation| {
            let id = generation.id.clone()?;
            let echoed = generation.request.as_ref();
            let same = ["prompt", "model", "generation_type", "mode"]
                .iter()
                .filter_map(|key| request.body.get(key).map(|wanted| (key, wanted)))
                .all(|(key, wanted)| echoed.and_then(|r| r.get(key)) == Some(wanted));
            let created = generation.created_at.as_deref().and_then(rfc3339);
            let in_window = match (sent, created) {
                (Some(sent), Some(at)) => (at - sent).abs() <= CANDIDATE_SKEW,
                _ => true,
            };
            if !(same && in_window) {
                return None;
            }
            let whole_body = request.body.as_object().is_some_and(|fields| {
                fields
                    .iter()
                    .all(|(key, wanted)| echoed.and_then(|r| r.get(key)) == Some(wanted))
            });
            Some(Candidate {
                generation_id: id,
                created_at: generation.created_at.clone(),
                state: generation
                    .raw
                    .get("state")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                exact: whole_body && sent.is_some() && created.is_some(),
            })
        })
        .collect()
}

/// Lists Luma's recent generations (up to [`CANDIDATE_PAGES`] pages).
fn list_recent(client: &LumaClient) -> Result<Vec<Generation>, OutboxError> {
    let mut all = Vec::new();
    for page in 0..CANDIDATE_PAGES {
        let listed = client.list(100, page * 100).map_err(OutboxError::Lookup)?;
        all.extend(listed.generations);
        if !listed.has_more {
            break;
        }
    }
    Ok(all)
}

/// The generations at Luma that may be the result of the `unknown` request
/// `request_id`'s uncertain send (see [`Candidate`]); they are also stored on the request.
/// An empty list is no proof that nothing was charged (the list may be paged
/// differently), only that nothing was found.
pub fn candidates(
    cat: &mut impl CatalogAccess,
    client: &LumaClient,
    request_id: RequestId,
) -> Result<Vec<Candidate>, OutboxError> {
    let (project_id, state) = cat
        .with(|c| requests::project_and_state(c.conn(), request_id))?
        .ok_or(OutboxError::NotFound(request_id))?;
    if state != RequestState::Unknown.as_str() {
        return Err(OutboxError::NotResolvable { request_id, state });
    }
    let listed = list_recent(client)?;
    let Some(request) = cat
        .with(|c| requests::uncertain(c.conn(), project_id, Some(request_id)))?
        .pop()
    else {
        return Ok(Vec::new());
    };
    let found = matching(&request, &listed);
    cat.with(|c| store_candidates(c, request_id, &found))?;
    Ok(found)
}

/// Looks up every `unknown` request of `project_id` at Luma: stores its candidates, and
/// links it when exactly one generation matches exactly, nobody holds that generation,
/// and no other request waiting for an answer has the same body (so the match cannot be
/// someone else's). Each automatic link writes a `render.auto_linked` event.
pub fn lookup_unknown(
    cat: &mut impl CatalogAccess,
    client: &LumaClient,
    project_id: ProjectId,
) -> Result<LookupReport, OutboxError> {
    let mut report = LookupReport::default();
    let uncertain = cat.with(|c| requests::uncertain(c.conn(), project_id, None))?;
    if uncertain.is_empty() {
        return Ok(report);
    }
    let listed = match list_recent(client) {
        Ok(listed) => listed,
        Err(error) => {
            report.problems = uncertain
                .iter()
                .map(|r| PollProblem {
                    request_id: r.id,
                    message: error.to_string(),
                })
                .collect();
            return Ok(report);
        }
    };
    for request in &uncertain {
        let found = matching(request, &listed);
        let linked = cat.with(|c| {
            c.write(|tx| {
                requests::store_candidates(tx, request.id, &found)?;
                match found.as_slice() {
                    [only] if only.exact => auto_link(tx, request, &only.generation_id),
                    _ => Ok(None),
                }
            })
        })?;
        report.checked.push(request.id);
        if let Some(generation_id) = linked {
            report.linked.push((request.id, generation_id));
        }
    }
    Ok(report)
}

fn store_candidates(
    cat: &mut Catalog,
    request_id: RequestId,
    found: &[Candidate],
) -> Result<(), OutboxError> {
    cat.write(|tx| Ok(requests::store_candidates(tx, request_id, found)?))
}

/// Links `request` to its one exact candidate when that is safe (see [`lookup_unknown`]).
fn auto_link(
    tx: &Tx<'_>,
    request: &Uncertain,
    generation_id: &str,
) -> Result<Option<String>, OutboxError> {
    if requests::holder_of(tx, generation_id, request.id)?.is_some() {
        return Ok(None);
    }
    let waiting_bodies = requests::waiting_bodies(tx, request.id)?;
    let twin = waiting_bodies
        .iter()
        .filter_map(|b| serde_json::from_str::<Value>(b).ok())
        .any(|b| b == request.body);
    if twin {
        return Ok(None);
    }
    requests::link(tx, request.id, generation_id)?;
    log_event(
        tx,
        request.project_id,
        EventKind::RenderAutoLinked,
        None,
        None,
        Some(request.id),
        &json!({
            "from": "unknown", "to": "submitted", "generation_id": generation_id,
            "why": "the only generation at Luma with this exact request, created within minutes of the send",
        }),
    )?;
    Ok(Some(generation_id.to_owned()))
}

/// Applies the user's [`Resolution`] to an `unknown` or `exported` request; returns its
/// new state. Anything else is refused with [`OutboxError::NotResolvable`].
pub fn resolve_request(
    cat: &mut Catalog,
    request_id: RequestId,
    resolution: Resolution,
) -> Result<RequestState, OutboxError> {
    if let Resolution::Link(id) = &resolution {
        if !is_generation_id(id) {
            return Err(OutboxError::InvalidGenerationId(id.clone()));
        }
    }
    cat.write(|tx| {
        let (project_id, state) = requests::project_and_state(tx, request_id)?
            .ok_or(OutboxError::NotFound(request_id))?;
        let from = match state.parse::<RequestState>() {
            Ok(s @ (RequestState::Unknown | RequestState::Exported)) => s,
            _ => return Err(OutboxError::NotResolvable { request_id, state }),
        };
        let (to, mut detail) = match &resolution {
            Resolution::Resend => {
                requests::requeue(tx, request_id)?;
                (RequestState::Queued, json!({"resolution": "resend"}))
            }
            Resolution::Cancel => {
                let reason = format!("cancelled by {} when it was {from}", current_actor());
                requests::cancel(tx, request_id, &reason)?;
                (
                    RequestState::Cancelled,
                    json!({"resolution": "cancel", "reason": reason}),
                )
            }
            Resolution::Link(generation_id) => {
                if let Some(holder) = requests::holder_of(tx, generation_id, request_id)? {
                    return Err(OutboxError::GenerationInUse {
                        generation_id: generation_id.clone(),
                        request_id: holder,
                    });
                }
                requests::link(tx, request_id, generation_id)?;
                (
                    RequestState::Submitted,
                    json!({"resolution": "link", "generation_id": generation_id}),
                )
            }
        };
        detail["from"] = json!(from.as_str());
        detail["to"] = json!(to.as_str());
        log_event(
            tx,
            project_id,
            EventKind::RenderResolved,
            None,
            None,
            Some(request_id),
            &detail,
        )?;
        Ok(to)
    })
}

/// Writes the queued requests of `project_id` to `dest` as a JSON array of Luma request
/// bodies (oldest first) and moves them to `exported` in the same transaction: the file
/// is written (atomically) before the commit, so either both happen or neither does.
/// Returns the requests exported.
pub fn export_queued(
    cat: &mut Catalog,
    project_id: ProjectId,
    dest: &Path,
) -> Result<Vec<RequestId>, OutboxError> {
    cat.write(|tx| {
        let queued = requests::queued_bodies(tx, project_id)?;
        let mut bodies = Vec::with_capacity(queued.len());
        for (request_id, body) in &queued {
            bodies.push(serde_json::from_str::<Value>(body).unwrap_or(Value::Null));
            requests::mark_exported(tx, *request_id)?;
            log_event(
                tx,
                project_id,
                EventKind::RenderExported,
                None,
                None,
                Some(*request_id),
                &json!({"from": "queued", "to": "exported", "path": dest.to_string_lossy()}),
            )?;
        }
        let text = serde_json::to_string_pretty(&bodies).unwrap_or_else(|_| "[]".to_owned());
        write_atomically(dest, format!("{text}\n").as_bytes()).map_err(|e| OutboxError::Io {
            path: e.path,
            source: e.source,
        })?;
        Ok(queued.into_iter().map(|(id, _)| id).collect())
    })
}
