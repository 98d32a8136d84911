//! Recovery of interrupted sends: a request left `submitted` without a generation id
//! whose sending process is provably gone becomes `unknown` (never re-sent without the
//! user). A row whose owner is alive — another window, another CLI, mid-send — is left
//! exactly as it is, so that owner's answer from Luma still lands on it.

use super::owner::{is_live_here, owner_is_gone, OwnerLiveness};
use super::{OutboxError, CHECK_LUMA};
use crate::catalog::{log_event, requests, Catalog};
use crate::domain::{EventKind, RequestId};
use serde_json::json;

/// Marks each `submitted` request without a generation id whose owner process is gone as
/// `unknown`, and returns them. Safe to call at any time from any process: it never
/// touches a send that is still under way. On a studio library only the outbox lease
/// holder recovers (taking the lease when it is free), and since it is the only sender,
/// a claim not of one of its own live owners was cut off.
pub fn recover_interrupted(cat: &mut Catalog) -> Result<Vec<RequestId>, OutboxError> {
    let studio = match super::hold_studio_lease(cat) {
        Ok(studio) => studio,
        Err(OutboxError::LeaseHeld { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let library = cat.path().to_owned();
    cat.write(|tx| {
        let unanswered = requests::unanswered(tx)?;
        let reason = format!("Takeboard stopped while sending this request; {CHECK_LUMA}");
        let mut recovered = Vec::new();
        for claim in unanswered {
            let (token, host) = (claim.token.as_deref(), claim.host.as_deref());
            let liveness = if studio {
                is_live_here(token)
            } else {
                owner_is_gone(&library, token, host)
            };
            if liveness == OwnerLiveness::Alive {
                continue;
            }
            if requests::mark_unknown(tx, claim.id, &reason)? {
                log_event(
                    tx,
                    claim.project_id,
                    EventKind::RenderUnknown,
                    None,
                    None,
                    Some(claim.id),
                    &json!({
                        "from": "submitted", "to": "unknown", "reason": reason,
                        "dead_owner": {"pid": claim.pid, "host": claim.host},
                    }),
                )?;
                recovered.push(claim.id);
            }
        }
        Ok(recovered)
    })
}
