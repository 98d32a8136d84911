//! The CLI's JSON shapes: the fixed output contract, built from the core's views.

use serde_json::{json, Value};
use takeboard_core::api::{ScanReport, ShotView, TakeView};
use takeboard_core::domain::{Presence, RenderRequest};

/// `shots --json`: shots in order with their take ids.
pub fn shots(shots: &[ShotView]) -> Value {
    Value::Array(shots.iter().map(shot).collect())
}

/// One shot in the `shots --json` shape (what `rename-shot` prints).
pub fn shot(s: &ShotView) -> Value {
    json!({
        "code": s.shot.code,
        "name": s.shot.name,
        "position": s.shot.position,
        "state": s.state.as_str(),
        "takes": s.take_ids,
    })
}

/// `takes --json`.
pub fn takes(takes: &[TakeView]) -> Value {
    Value::Array(takes.iter().map(take).collect())
}

/// One take in the `takes --json` shape.
pub fn take(view: &TakeView) -> Value {
    let t = &view.take;
    let m = t.file.media.as_ref();
    json!({
        "id": t.id,
        "path": t.file.path,
        "shot": t.shot_code,
        "origin": t.generation.origin.as_str(),
        "status": t.status.as_str(),
        "final": t.is_final,
        "duration_s": m.map(|m| m.duration_s),
        "frames": m.map(|m| m.frames),
        "fps": m.map(|m| m.fps.to_string()),
        "width": m.map(|m| m.width),
        "height": m.map(|m| m.height),
        "codec": m.map(|m| m.codec.clone()),
        "has_audio": m.map(|m| m.has_audio),
        "generation_id": t.generation.generation_id,
        "prompt": t.generation.prompt,
        "present": t.presence == Presence::Present,
        "error": t.file.error,
        "sidecar_error": t.file.sidecar_error,
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
pub fn requests(requests: &[RenderRequest]) -> Value {
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
