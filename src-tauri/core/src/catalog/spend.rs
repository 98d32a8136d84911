//! What a project has spent and has pending, read for pricing: its shots, its measured
//! takes and its render requests not yet completed, priced by `pricing`.

use super::projects::load_settings;
use super::CatalogError;
use crate::domain::{Origin, ProjectId, RenderMode, RequestState, ShotId};
use crate::pricing::{credits_report, CreditsReport, PendingRequest, SpendRecord};
use rusqlite::Connection;

/// The project's spend as recorded, for [`credits_report`].
pub fn spend_record(conn: &Connection, project_id: ProjectId) -> Result<SpendRecord, CatalogError> {
    let mut stmt =
        conn.prepare("SELECT id FROM shots WHERE project_id = ?1 ORDER BY position, id")?;
    let shots = stmt
        .query_map([project_id], |r| r.get::<_, ShotId>(0))?
        .collect::<Result<_, _>>()?;

    let mut stmt = conn.prepare(
        "SELECT shot_id, origin, duration_s FROM takes
         WHERE project_id = ?1 AND duration_s IS NOT NULL",
    )?;
    let takes = stmt
        .query_map([project_id], |r| {
            let origin: String = r.get(1)?;
            Ok((
                r.get::<_, ShotId>(0)?,
                origin.parse::<Origin>().unwrap_or(Origin::Unknown),
                r.get::<_, f64>(2)?,
            ))
        })?
        .collect::<Result<_, _>>()?;

    let mut stmt = conn.prepare(
        "SELECT shot_id, mode, duration_s, credits_estimate FROM render_requests
         WHERE project_id = ?1 AND state IN (?2, ?3, ?4, ?5)",
    )?;
    let pending = stmt
        .query_map(
            rusqlite::params![
                project_id,
                RequestState::Queued.as_str(),
                RequestState::Submitted.as_str(),
                RequestState::Unknown.as_str(),
                RequestState::Exported.as_str()
            ],
            |r| {
                let mode: String = r.get(1)?;
                Ok(PendingRequest {
                    shot_id: r.get(0)?,
                    mode: mode.parse::<RenderMode>().ok(),
                    duration_s: r.get(2)?,
                    credits_estimate: r.get(3)?,
                })
            },
        )?
        .collect::<Result<_, _>>()?;
    Ok(SpendRecord {
        shots,
        takes,
        pending,
    })
}

/// The credits report of a project, priced with its own pricing table.
pub fn credits(conn: &Connection, project_id: ProjectId) -> Result<CreditsReport, CatalogError> {
    let settings = load_settings(conn, project_id)?;
    let record = spend_record(conn, project_id)?;
    credits_report(&settings.pricing, settings.budget, &record)
        .map_err(|e| CatalogError::Invalid(e.to_string()))
}
