//! Recovery of interrupted sends: a request left `submitted` without a generation id
//! whose sending process is provably gone becomes `unknown` (never re-sent without the
//! user). A row whose owner is alive — another window, another CLI, mid-send — is left
//! exactly as it is, so that owner's answer from Luma still lands on it.

use super::owner::{owner_is_gone, OwnerLiveness};
use super::{OutboxError, CHECK_LUMA};
use crate::catalog::{log_event, now_text, Catalog};
use crate::domain::RequestId;
use rusqlite::params;
use serde_json::json;

/// A claimed row: id, project, and its owner's token, host and pid.
type Claimed = (RequestId, i64, Option<String>, Option<String>, Option<i64>);

/// Marks each `submitted` request without a generation id whose owner process is gone as
/// `unknown`, and returns them. Safe to call at any time from any process: it never
/// touches a send that is still under way.
pub fn recover_interrupted(cat: &mut Catalog) -> Result<Vec<RequestId>, OutboxError> {
    let library = cat.path().to_owned();
    cat.write(|tx| {
        let claimed: Vec<Claimed> = {
            let mut stmt = tx.prepare(
                "SELECT id, project_id, owner_token, owner_host, owner_pid FROM render_requests
                 WHERE state = 'submitted' AND provider_generation_id IS NULL ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let reason = format!("Takeboard stopped while sending this request; {CHECK_LUMA}");
        let now = now_text();
        let mut recovered = Vec::new();
        for (request_id, project_id, token, host, pid) in claimed {
            if owner_is_gone(&library, token.as_deref(), host.as_deref()) == OwnerLiveness::Alive {
                continue;
            }
            let changed = tx.execute(
                "UPDATE render_requests
                 SET state = 'unknown', failure_reason = ?2, updated_at = ?3,
                     owner_token = NULL, owner_pid = NULL, owner_host = NULL
                 WHERE id = ?1 AND state = 'submitted' AND provider_generation_id IS NULL",
                params![request_id, reason, now],
            )?;
            if changed == 1 {
                log_event(
                    tx,
                    project_id,
                    "render.unknown",
                    None,
                    None,
                    Some(request_id),
                    &json!({
                        "from": "submitted", "to": "unknown", "reason": reason,
                        "dead_owner": {"pid": pid, "host": host},
                    }),
                )?;
                recovered.push(request_id);
            }
        }
        Ok(recovered)
    })
}
