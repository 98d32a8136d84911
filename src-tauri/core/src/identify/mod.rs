//! Identification of a clip: Luma sidecar, file-name conventions, and which names are never indexed.
//!
//! [`identify`] answers "what is this clip?" from the sidecar beside it and its name, first
//! match winning for each field. It reads at most the sidecar (never the video, never the
//! catalog) and never fails: a bad sidecar becomes [`Identity::sidecar_error`]. Grouping
//! takes into shots, and everything stored, belongs to `ingest` and `catalog`.

pub mod naming;
pub mod sidecar;

pub use naming::{
    is_candidate_video, is_ignored_name, normalize_prompt, parse_file_name, shot_name_from_prompt,
    NameInfo, NameParser, NamingConfig, NamingError,
};
pub use sidecar::{parse_sidecar, read_sidecar, sidecar_for, Sidecar, SidecarError};

use crate::domain::{GenerationFacts, Origin};
use std::path::{Path, PathBuf};

/// Everything known about a clip before its container is probed.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// Model, generation id, prompt, aspect ratio, resolution and the sidecar's whole
    /// generation object: what ingest records on the take.
    pub generation: GenerationFacts,
    /// The duration, e.g. `5s` (sidecar only).
    pub duration: Option<String>,
    /// When the generation was made: the sidecar's `created_at`, else a Luma web
    /// download's time stamp (`YYYY-MM-DDTHH:MM:SS`, zone unknown).
    pub created_at: Option<String>,
    /// The shot code at the start of the name (name only).
    pub shot_code: Option<String>,
    /// [`normalize_prompt`] of the sidecar prompt, else of the name's slug; `None` when
    /// that is empty. Takes with the same key belong to the same shot.
    pub prompt_key: Option<String>,
    /// The take number in the name (name only).
    pub take_number: Option<u32>,
    /// The sidecar that was found, even when it could not be used.
    pub sidecar_path: Option<PathBuf>,
    /// Why the sidecar could not be used; the name still identified the clip.
    pub sidecar_error: Option<String>,
}

/// Whether `id` has the shape of a Luma generation id: a hyphenated UUID.
pub fn is_luma_id(id: &str) -> bool {
    id.len() == 36 && uuid::Uuid::try_parse(id).is_ok()
}

/// Identifies `clip` from its sidecar (see [`sidecar_for`]) and its file name, first match
/// winning for each field. Never fails: an unreadable or malformed sidecar is reported in
/// [`Identity::sidecar_error`] and the name is used alone.
pub fn identify(clip: &Path, names: &NameParser) -> Identity {
    let from_name = clip
        .file_name()
        .map(|name| names.parse(&name.to_string_lossy()))
        .unwrap_or_default();
    let sidecar_path = sidecar_for(clip);
    let (from_sidecar, sidecar_error) = match sidecar_path.as_deref().map(read_sidecar) {
        Some(Ok(sidecar)) => (sidecar, None),
        Some(Err(error)) => (Sidecar::default(), Some(error.to_string())),
        None => (Sidecar::default(), None),
    };
    // A Luma generation id is a UUID; anything else (a formula, a path, junk) is reported
    // and never stored, exported or sent.
    let (generation_id, sidecar_error) = match from_sidecar.generation_id {
        Some(id) if !is_luma_id(&id) => (
            None,
            sidecar_error.or_else(|| {
                Some(format!(
                    "sidecar {} has a generation id that is not a Luma id ({:?}); it is not used",
                    sidecar_path.as_deref().unwrap_or(clip).display(),
                    id.chars().take(60).collect::<String>()
                ))
            }),
        ),
        id => (id, sidecar_error),
    };
    let sidecar_generation = from_sidecar
        .generation
        .is_object()
        .then(|| from_sidecar.generation.to_string());
    let prompt = from_sidecar.prompt.or(from_name.prompt_slug);
    let prompt_key = prompt
        .as_deref()
        .map(normalize_prompt)
        .filter(|key| !key.is_empty());
    Identity {
        generation: GenerationFacts {
            origin: from_sidecar
                .origin
                .or(from_name.origin)
                .unwrap_or(Origin::Unknown),
            generation_id,
            prompt,
            aspect_ratio: from_sidecar.aspect_ratio,
            resolution: from_sidecar.resolution,
            request_json: sidecar_generation,
        },
        duration: from_sidecar.duration,
        created_at: from_sidecar.created_at.or(from_name.luma_created),
        shot_code: from_name.shot_code,
        prompt_key,
        take_number: from_name.take_number,
        sidecar_path,
        sidecar_error,
    }
}
