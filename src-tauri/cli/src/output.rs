//! The CLI's JSON shapes: the fixed output contract, built from core rows.

use serde_json::{json, Value};
use takeboard_core::catalog::{shots, takes, Catalog, TakeRow};
use takeboard_core::domain::{Presence, ShotState};
use takeboard_core::ingest::ScanReport;
use takeboard_core::review::ReviewError;

/// `shots --json`: shots in order with their take ids.
pub fn shots(cat: &Catalog, project_id: i64) -> Result<Value, ReviewError> {
    let conn = cat.conn();
    let all_takes = takes::takes(conn, project_id, None)?;
    let states: std::collections::HashMap<i64, ShotState> =
        takeboard_core::review::shot_states(conn, project_id)?
            .into_iter()
            .collect();
    let list: Vec<Value> = shots::shots(conn, project_id)?
        .into_iter()
        .map(|s| {
            let ids: Vec<i64> = all_takes
                .iter()
                .filter(|t| t.shot_id == s.id)
                .map(|t| t.id)
                .collect();
            json!({
                "code": s.code,
                "name": s.name,
                "position": s.position,
                "state": states.get(&s.id).copied().unwrap_or(ShotState::Exploring).as_str(),
                "takes": ids,
            })
        })
        .collect();
    Ok(Value::Array(list))
}

/// `takes --json`.
pub fn takes(cat: &Catalog, project_id: i64, shot_id: Option<i64>) -> Result<Value, ReviewError> {
    Ok(Value::Array(
        takes::takes(cat.conn(), project_id, shot_id)?
            .iter()
            .map(take)
            .collect(),
    ))
}

/// One take in the `takes --json` shape.
pub fn take(t: &TakeRow) -> Value {
    let m = t.media.as_ref();
    json!({
        "id": t.id,
        "path": t.path,
        "shot": t.shot_code,
        "origin": t.origin.as_str(),
        "status": t.status.as_str(),
        "final": t.is_final,
        "duration_s": m.map(|m| m.duration_s),
        "frames": m.map(|m| m.frames),
        "fps": m.map(|m| m.fps.to_string()),
        "width": m.map(|m| m.width),
        "height": m.map(|m| m.height),
        "codec": m.map(|m| m.codec.clone()),
        "has_audio": m.map(|m| m.has_audio),
        "generation_id": t.generation_id,
        "prompt": t.prompt,
        "present": t.presence == Presence::Present,
        "error": t.error,
        "sidecar_error": t.sidecar_error,
        "trim_in": t.trim_in,
        "trim_out": t.trim_out,
    })
}

/// `scan`'s summary.
pub fn scan_summary(r: &ScanReport) -> Value {
    json!({
        "added": r.added,
        "restored": r.restored,
        "changed": r.changed,
        "unchanged": r.unchanged,
        "missing": r.missing,
        "errors": r.errors,
        "skipped": r.skipped,
        "pending": r.pending,
    })
}

/// `requests --json`.
pub fn requests(requests: &[takeboard_core::domain::RenderRequest]) -> Value {
    Value::Array(
        requests
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "take_id": r.take_id,
                    "shot": r.shot_code,
                    "mode": r.draft.mode.as_str(),
                    "model": r.draft.model,
                    "resolution": r.draft.resolution,
                    "duration_s": r.draft.duration_s,
                    "credits_estimate": r.draft.credits_estimate,
                    "state": r.state.as_str(),
                    "generation_id": r.provider_generation_id,
                    "result_take_id": r.result_take_id,
                    "missing": r.draft.missing,
                    "failure_reason": r.failure_reason,
                    "candidates": r.candidates,
                    "exported_at": r.exported_at,
                    "sender": r.sender,
                })
            })
            .collect(),
    )
}
