//! From the catalog to a [`Timeline`]: which take stands for each shot, with its trims,
//! notes, credits and provenance. The only part of `export` that reads the database.

use super::{ClipEntry, ShotEntry, Timeline};
use crate::catalog::projects::load_settings;
use crate::catalog::sql::Sql;
use crate::catalog::{projects, shots, takes, TakeRow};
use crate::domain::{Origin, ProjectId, ShotId, TakeStatus};
use crate::pricing::whole_seconds;
use crate::review::{self, ReviewError};
use std::collections::HashMap;

/// The project's shot list as an export [`Timeline`]: each shot's final take, else its
/// approved take as a placeholder, else nothing. A take whose container could not be read
/// has no frame count or rate to cut with, so it counts as nothing.
pub fn project_timeline(conn: &dyn Sql, project_id: ProjectId) -> Result<Timeline, ReviewError> {
    let project = projects::project(conn, project_id)?;
    let settings = load_settings(conn, project_id)?;
    let states: HashMap<ShotId, _> = review::shot_states(conn, project_id)?.into_iter().collect();
    let all = takes::takes(conn, project_id, None)?;
    let mut entries = Vec::new();
    for shot in shots::shots(conn, project_id)? {
        let of_shot = || all.iter().filter(|t| t.shot_id == shot.id);
        let chosen = of_shot()
            .find(|t| t.is_final)
            .or_else(|| of_shot().find(|t| t.status == TakeStatus::Approved));
        let clip = match chosen {
            Some(t) => clip_entry(conn, t, &settings.pricing)?,
            None => None,
        };
        entries.push(ShotEntry {
            code: shot.code,
            name: shot.name,
            position: shot.position,
            state: states
                .get(&shot.id)
                .copied()
                .unwrap_or(crate::domain::ShotState::Exploring),
            clip,
        });
    }
    Ok(Timeline {
        name: project.name,
        shots: entries,
    })
}

fn clip_entry(
    conn: &dyn Sql,
    t: &TakeRow,
    pricing: &crate::pricing::PricingTable,
) -> Result<Option<ClipEntry>, ReviewError> {
    let Some(m) = &t.file.media else {
        return Ok(None);
    };
    let notes = review::notes(conn, t.id)?
        .into_iter()
        .map(|n| (n.frame, n.text))
        .collect();
    Ok(Some(ClipEntry {
        take_id: t.id,
        path: t.file.path.clone(),
        placeholder: !t.is_final,
        origin: t.generation.origin,
        rate: m.fps,
        media_frames: m.frames,
        source_in: t.trim_in.unwrap_or(0),
        source_out: t.trim_out.unwrap_or(m.frames),
        width: m.width,
        height: m.height,
        has_audio: m.has_audio,
        prompt: t.generation.prompt.clone(),
        generation_id: t.generation.generation_id.clone(),
        credits: match t.generation.origin {
            Origin::Unknown => None,
            o => pricing.take_credits(o, whole_seconds(m.duration_s)),
        },
        notes,
    }))
}
