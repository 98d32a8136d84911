//! Polling and delivery: follows `submitted` requests at Luma, downloads a finished render
//! into the project's first watched folder (sidecar first, video by rename), marks Luma's
//! failures, and links a landed result to its request when the ingest sees it.

use super::{mark_failed, OutboxError};
use crate::catalog::{log_event, now_text, Catalog, CatalogAccess};
use crate::domain::{ProjectId, RequestId, RequestState, TakeId};
use crate::render::luma::{Generation, GenerationState, LumaClient, LumaError};
use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::json;
use std::path::{Path, PathBuf};

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

/// Checks every submitted request of `project_id` at Luma. A completed generation is downloaded into its
/// project's first watched folder as `<SHOT>_<mode>_<model>_<id prefix>.mp4`: the sidecar
/// `<file>.json` (the generation object) lands first, the video is written as
/// `<file>.part` and renamed when complete, then the request is `completed`. The ingest
/// links the file to the request ([`link_result`]).
pub fn poll(
    cat: &mut impl CatalogAccess,
    client: &LumaClient,
    project_id: ProjectId,
) -> Result<PollReport, OutboxError> {
    let mut report = PollReport::default();
    for request in cat.with(|c| in_flight_requests(c, project_id))? {
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

fn in_flight_requests(cat: &Catalog, project_id: ProjectId) -> Result<Vec<InFlight>, OutboxError> {
    let mut stmt = cat.conn().prepare(
        "SELECT r.id, r.project_id, s.code, r.mode, r.model, r.provider_generation_id
         FROM render_requests r JOIN shots s ON s.id = r.shot_id
         WHERE r.state = 'submitted' AND r.provider_generation_id IS NOT NULL
           AND r.project_id = ?1
         ORDER BY r.submitted_at, r.id",
    )?;
    let rows = stmt.query_map([project_id], |r| {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
