//! Recovery of interrupted sends: a request left `submitted` without a generation id
//! whose sending process is provably gone becomes `unknown` (never re-sent without the
//! user). A row whose owner is alive — another window, another CLI, mid-send — is left
//! exactly as it is, so that owner's answer from Luma still lands on it.

use super::owner::{owner_is_gone, OwnerLiveness};
use super::{OutboxError, CHECK_LUMA};
use crate::catalog::{log_event, requests, Catalog};
use crate::domain::{EventKind, RequestId};
use serde_json::json;

/// Marks each `submitted` request without a generation id whose owner process is gone as
/// `unknown`, and returns them. Safe to call at any time from any process: it never
/// touches a send that is still under way.
pub fn recover_interrupted(cat: &mut Catalog) -> Result<Vec<RequestId>, OutboxError> {
    super::refuse_studio(cat)?;
    let library = cat.path().to_owned();
    cat.write(|tx| {
        let unanswered = requests::unanswered(tx)?;
        let reason = format!("Takeboard stopped while sending this request; {CHECK_LUMA}");
        let mut recovered = Vec::new();
        for claim in unanswered {
            let (token, host) = (claim.token.as_deref(), claim.host.as_deref());
            if owner_is_gone(&library, token, host) == OwnerLiveness::Alive {
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
