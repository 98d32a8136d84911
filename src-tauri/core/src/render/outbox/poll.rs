//! Polling and delivery: follows `submitted` requests at Luma, downloads a finished render
//! into the project's first watched folder (sidecar first, video by rename), marks Luma's
//! failures, and links a landed result to its request when the ingest sees it.

use super::{mark_failed, OutboxError};
use crate::catalog::requests::{self, InFlight};
use crate::catalog::{log_event, projects, Catalog, CatalogAccess};
use crate::domain::{EventKind, ProjectId, RequestId, RequestState};
use crate::render::luma::{Generation, GenerationState, LumaClient, LumaError};
use serde_json::json;
use std::path::{Path, PathBuf};

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
/// links the file to the request ([`crate::catalog::requests::link_result`]).
pub fn poll(
    cat: &mut impl CatalogAccess,
    client: &LumaClient,
    project_id: ProjectId,
) -> Result<PollReport, OutboxError> {
    cat.with(|c| super::hold_studio_lease(c))?;
    let mut report = PollReport::default();
    for request in cat.with(|c| requests::in_flight(c.conn(), project_id))? {
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
fn result_folder(cat: &Catalog, project_id: ProjectId) -> Result<PathBuf, OutboxError> {
    let folder = projects::folders(cat.conn(), project_id)?
        .into_iter()
        .next()
        .map(|f| f.path);
    folder.ok_or(OutboxError::NoWatchedFolder { project_id })
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
        // Not completed here when the ingest already linked the file (and completed it).
        if requests::complete(tx, request.id)? {
            log_event(
                tx,
                request.project_id,
                EventKind::RenderCompleted,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_names_carry_shot_mode_model_and_id_prefix() {
        let request = InFlight {
            id: RequestId(1),
            project_id: ProjectId(1),
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
