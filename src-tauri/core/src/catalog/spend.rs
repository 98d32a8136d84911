//! What a project has spent and has pending, read for pricing: its shots, its measured
//! takes and its render requests not yet completed, priced by `pricing`.

use super::projects::load_settings;
use super::sql::{params, Sql, SqlExt};
use super::CatalogError;
use crate::domain::{Origin, ProjectId, RenderMode, RequestState, ShotId};
use crate::pricing::{credits_report, CreditsReport, PendingRequest, SpendRecord};

/// The project's spend as recorded, for [`credits_report`].
pub fn spend_record(conn: &dyn Sql, project_id: ProjectId) -> Result<SpendRecord, CatalogError> {
    let shots = conn.query_map(
        "SELECT id FROM shots WHERE project_id = ?1 ORDER BY position, id",
        params![project_id],
        |r| r.get::<ShotId>(0),
    )?;
    let takes = conn.query_map(
        "SELECT shot_id, origin, duration_s FROM takes
         WHERE project_id = ?1 AND duration_s IS NOT NULL",
        params![project_id],
        |r| {
            let origin: String = r.get(1)?;
            Ok((
                r.get::<ShotId>(0)?,
                origin.parse::<Origin>().unwrap_or(Origin::Unknown),
                r.get::<f64>(2)?,
            ))
        },
    )?;
    let pending = conn.query_map(
        "SELECT shot_id, mode, duration_s, credits_estimate FROM render_requests
             WHERE project_id = ?1 AND state IN (?2, ?3, ?4, ?5)",
        params![
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
    )?;
    Ok(SpendRecord {
        shots,
        takes,
        pending,
    })
}

/// The credits report of a project, priced with its own pricing table.
pub fn credits(conn: &dyn Sql, project_id: ProjectId) -> Result<CreditsReport, CatalogError> {
    let settings = load_settings(conn, project_id)?;
    let record = spend_record(conn, project_id)?;
    credits_report(&settings.pricing, settings.budget, &record)
        .map_err(|e| CatalogError::Invalid(e.to_string()))
}
