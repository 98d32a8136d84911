//! Luma sidecars: finding the generation JSON saved beside a clip and reading it leniently.
//!
//! A sidecar is the Luma generation object as `GET /generations/{id}` returns it (see
//! `reference/luma-api.md` §3, §12). Every field is optional; unknown fields, unknown enum
//! values and values of an unexpected JSON type are ignored rather than rejected, because
//! the format belongs to someone else and changes under us. Only a file that is not JSON at
//! all, not a JSON object, unreadable, or implausibly big is an error — and the caller
//! reports that on the take, it never stops a scan. Nothing here touches the catalog.

use crate::domain::Origin;
use serde_json::{Map, Value};
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The largest sidecar read, in bytes. A generation object is a few KiB; anything past
/// this is not a sidecar (or is hostile) and is refused without being parsed.
pub const SIDECAR_SIZE_LIMIT: u64 = 1024 * 1024;

/// What a sidecar says about its clip. Every field is `None` when absent or of the wrong
/// JSON type; strings are kept as written (model and resolution are compared against known
/// values, never parsed into closed enums).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sidecar {
    /// The Luma generation id (`id`), needed to extend or upscale this take.
    pub generation_id: Option<String>,
    /// The model (`model`, else `request.model`), e.g. `ray-flash-2`, `ray-2`, `ray-1-6`.
    pub model: Option<String>,
    /// Flash for `ray-flash-2`, Standard for `ray-2`, `None` for any other or no model.
    pub origin: Option<Origin>,
    /// The job state as written (`queued`, `dreaming`, `completed`, `failed`, or anything
    /// newer).
    pub state: Option<String>,
    /// Why a failed job failed (`failure_reason`).
    pub failure_reason: Option<String>,
    /// What the request was (`request.generation_type`): `video` or absent for a plain
    /// generation or extend, `upscale_video`, `modify_video`, `reframe_video`, …
    pub request_type: Option<String>,
    /// The prompt (`request.prompt`, else a top-level `prompt`).
    pub prompt: Option<String>,
    /// The aspect ratio, e.g. `16:9` (`request.aspect_ratio`, else top level).
    pub aspect_ratio: Option<String>,
    /// The resolution, e.g. `720p` (`request.resolution`, else top level).
    pub resolution: Option<String>,
    /// The duration, e.g. `5s` (`request.duration`, else top level).
    pub duration: Option<String>,
    /// The keyframes object as written (`request.keyframes`, else top level); an extend
    /// has `frame0 = {"type": "generation", "id": …}`.
    pub keyframes: Option<Value>,
    /// The camera concepts as written (`request.concepts`, else top level).
    pub concepts: Option<Value>,
    /// When Luma created the generation (`created_at`, RFC 3339 as written).
    pub created_at: Option<String>,
    /// The raw `request` object, kept whole so a render request can be rebuilt from it.
    pub request: Option<Value>,
    /// The whole generation object as read (its `request`, `assets`, `id`...), kept raw so
    /// a render request can be rebuilt from it later.
    pub generation: Value,
}

/// A sidecar that could not be used. Each message names the file so the user can open it.
#[derive(Debug, thiserror::Error)]
pub enum SidecarError {
    /// The file exists but could not be opened or read (permissions, a vanished file).
    #[error("could not read sidecar {}: {source}", path.display())]
    Read {
        /// The sidecar's path.
        path: PathBuf,
        /// The operating-system error.
        source: io::Error,
    },
    /// The file is bigger than [`SIDECAR_SIZE_LIMIT`]; it was not parsed.
    #[error(
        "sidecar {} is larger than {limit} bytes, so it is not a Luma generation JSON; \
         move it away or shrink it",
        path.display()
    )]
    TooBig {
        /// The sidecar's path.
        path: PathBuf,
        /// The limit it exceeded, in bytes.
        limit: u64,
    },
    /// The file is not valid JSON (often a truncated download).
    #[error(
        "sidecar {} is not valid JSON at line {line}, column {column}: {message}",
        path.display()
    )]
    Malformed {
        /// The sidecar's path.
        path: PathBuf,
        /// 1-based line of the first error.
        line: usize,
        /// 1-based column of the first error.
        column: usize,
        /// What the JSON parser found wrong.
        message: String,
    },
    /// The file is valid JSON but not an object, so it cannot be a generation.
    #[error(
        "sidecar {} holds a JSON {found}, not the object of a Luma generation",
        path.display()
    )]
    NotAnObject {
        /// The sidecar's path.
        path: PathBuf,
        /// What it holds instead: `array`, `string`, `number`, `boolean` or `null`.
        found: &'static str,
    },
}

/// The sidecar of `clip`, if one exists: `<file>.json` (`clip.mp4.json`) first, then
/// `<stem>.json` (`clip.json`). Only regular files (or symlinks to them) count.
pub fn sidecar_for(clip: &Path) -> Option<PathBuf> {
    let mut beside_whole_name = OsString::from(clip.as_os_str());
    beside_whole_name.push(".json");
    [
        PathBuf::from(beside_whole_name),
        clip.with_extension("json"),
    ]
    .into_iter()
    .find(|candidate| candidate != clip && candidate.is_file())
}

/// Reads and parses the sidecar at `path`. Leniency rules are those of [`Sidecar`]; a
/// UTF-8 byte-order mark is skipped.
pub fn read_sidecar(path: &Path) -> Result<Sidecar, SidecarError> {
    parse_sidecar(&read_capped(path)?, path)
}

/// Parses sidecar `bytes` read from `path` (named in errors), as [`read_sidecar`] does.
pub fn parse_sidecar(bytes: &[u8], path: &Path) -> Result<Sidecar, SidecarError> {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: Value = serde_json::from_slice(text).map_err(|e| SidecarError::Malformed {
        path: path.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    match value {
        Value::Object(generation) => Ok(sidecar_from_generation(&generation)),
        other => Err(SidecarError::NotAnObject {
            path: path.to_owned(),
            found: json_type_name(&other),
        }),
    }
}

fn read_capped(path: &Path) -> Result<Vec<u8>, SidecarError> {
    let read_error = |source| SidecarError::Read {
        path: path.to_owned(),
        source,
    };
    let too_big = || SidecarError::TooBig {
        path: path.to_owned(),
        limit: SIDECAR_SIZE_LIMIT,
    };
    let file = File::open(path).map_err(read_error)?;
    if file.metadata().map_err(read_error)?.len() > SIDECAR_SIZE_LIMIT {
        return Err(too_big());
    }
    // The length check above can race a file that is still growing; the capped read cannot.
    let mut bytes = Vec::new();
    file.take(SIDECAR_SIZE_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > SIDECAR_SIZE_LIMIT {
        return Err(too_big());
    }
    Ok(bytes)
}

fn sidecar_from_generation(generation: &Map<String, Value>) -> Sidecar {
    let request = generation.get("request").and_then(Value::as_object);
    // A request field, else the same field at top level (a saved request body).
    let from_request_or_top = |key: &str| {
        request
            .and_then(|r| text(r, key))
            .or_else(|| text(generation, key))
    };
    let raw_from_request_or_top = |key: &str| {
        request
            .and_then(|r| present(r, key))
            .or_else(|| present(generation, key))
    };
    let model = text(generation, "model").or_else(|| request.and_then(|r| text(r, "model")));
    Sidecar {
        generation_id: text(generation, "id"),
        origin: model.as_deref().and_then(origin_of_model),
        model,
        state: text(generation, "state"),
        failure_reason: text(generation, "failure_reason"),
        request_type: request.and_then(|r| text(r, "generation_type")),
        prompt: from_request_or_top("prompt"),
        aspect_ratio: from_request_or_top("aspect_ratio"),
        resolution: from_request_or_top("resolution"),
        duration: from_request_or_top("duration"),
        keyframes: raw_from_request_or_top("keyframes"),
        concepts: raw_from_request_or_top("concepts"),
        created_at: text(generation, "created_at"),
        request: request.map(|r| Value::Object(r.clone())),
        generation: Value::Object(generation.clone()),
    }
}

/// The origin a Luma model name means: `ray-flash-2` is Flash, `ray-2` is Standard, any
/// other model (`ray-1-6`, a future one) says nothing. Case and surrounding spaces are
/// ignored.
pub fn origin_of_model(model: &str) -> Option<Origin> {
    let model = model.trim();
    if model.eq_ignore_ascii_case("ray-flash-2") {
        Some(Origin::Flash)
    } else if model.eq_ignore_ascii_case("ray-2") {
        Some(Origin::Standard)
    } else {
        None
    }
}

/// A non-blank string field; any other JSON type counts as absent.
fn text(object: &Map<String, Value>, key: &str) -> Option<String> {
    object
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_owned)
}

/// A field of any JSON type except `null`.
fn present(object: &Map<String, Value>, key: &str) -> Option<Value> {
    object.get(key).filter(|v| !v.is_null()).cloned()
}

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
