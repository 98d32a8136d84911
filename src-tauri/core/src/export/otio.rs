//! OpenTimelineIO JSON writer (`.otio`, read by Premiere 2025.6+ and every OTIO tool).
//!
//! Renders a resolved `Plan`; knows nothing of the catalog. Plain serde structs in the
//! OTIO 0.18 schema: `Timeline.1` → `Stack.1` → one video `Track.1` of `Clip.2` and
//! `Gap.1`, each clip with an `ExternalReference.1` (`file:///` + percent-encoded path)
//! under `DEFAULT_MEDIA`. Takeboard facts live under the `takeboard` metadata key (timeline
//! and clips); notes become `Marker.2`s at their frame. A clip's `source_range` starts at
//! its source in at the clip's own rate, and its duration is the record length at the
//! sequence rate, so record positions are exact sequence frames even for mixed rates.

use super::{clip_name, file_url, timecode, ClipEntry, ExportError, Plan, PlanItem};
use crate::domain::{Origin, Rate, ShotState, TakeId};
use serde::Serialize;

pub(crate) fn render(plan: &Plan<'_>) -> Result<Vec<u8>, ExportError> {
    let mut bytes = serde_json::to_vec_pretty(&timeline(plan))
        .map_err(|e| ExportError::Encode(std::io::Error::other(e)))?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[derive(Serialize)]
struct RationalTime {
    #[serde(rename = "OTIO_SCHEMA")]
    schema: &'static str,
    rate: f64,
    value: f64,
}

fn time(frames: u64, rate: Rate) -> RationalTime {
    RationalTime {
        schema: "RationalTime.1",
        rate: rate.as_f64(),
        value: frames as f64,
    }
}

#[derive(Serialize)]
struct TimeRange {
    #[serde(rename = "OTIO_SCHEMA")]
    schema: &'static str,
    duration: RationalTime,
    start_time: RationalTime,
}

fn range(start_time: RationalTime, duration: RationalTime) -> TimeRange {
    TimeRange {
        schema: "TimeRange.1",
        duration,
        start_time,
    }
}

#[derive(Serialize)]
struct Timeline<'a> {
    #[serde(rename = "OTIO_SCHEMA")]
    schema: &'static str,
    metadata: Namespaced<TimelineMetadata<'a>>,
    name: &'a str,
    global_start_time: RationalTime,
    tracks: Composition<'a>,
}

#[derive(Serialize)]
struct Namespaced<T> {
    takeboard: T,
}

#[derive(Serialize)]
struct TimelineMetadata<'a> {
    rate: String,
    start_timecode: String,
    placeholders: &'static str,
    skipped_shots: &'a [&'a str],
}

/// `Stack.1` and `Track.1` share their fields; `kind` only exists on tracks.
#[derive(Serialize)]
struct Composition<'a> {
    #[serde(rename = "OTIO_SCHEMA")]
    schema: &'static str,
    metadata: serde_json::Map<String, serde_json::Value>,
    name: &'a str,
    source_range: Option<TimeRange>,
    effects: [(); 0],
    markers: [(); 0],
    enabled: bool,
    children: Vec<Child<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Child<'a> {
    Track(Composition<'a>),
    Clip(Box<Clip<'a>>),
    Gap(Gap<'a>),
}

#[derive(Serialize)]
struct Clip<'a> {
    #[serde(rename = "OTIO_SCHEMA")]
    schema: &'static str,
    metadata: Namespaced<ClipMetadata<'a>>,
    name: String,
    source_range: TimeRange,
    effects: [(); 0],
    markers: Vec<Marker<'a>>,
    enabled: bool,
    media_references: MediaReferences,
    active_media_reference_key: &'static str,
}

#[derive(Serialize)]
struct ClipMetadata<'a> {
    shot_code: &'a str,
    shot_name: &'a str,
    position: i64,
    state: ShotState,
    take_id: TakeId,
    placeholder: bool,
    origin: Origin,
    generation_id: Option<&'a str>,
    prompt: Option<&'a str>,
    credits: Option<i64>,
    rate: String,
    source_in: u64,
    source_out: u64,
    source_in_timecode: String,
    source_out_timecode: String,
}

#[derive(Serialize)]
struct MediaReferences {
    #[serde(rename = "DEFAULT_MEDIA")]
    default_media: ExternalReference,
}

#[derive(Serialize)]
struct ExternalReference {
    #[serde(rename = "OTIO_SCHEMA")]
    schema: &'static str,
    metadata: serde_json::Map<String, serde_json::Value>,
    name: String,
    available_range: Option<TimeRange>,
    target_url: String,
}

#[derive(Serialize)]
struct Marker<'a> {
    #[serde(rename = "OTIO_SCHEMA")]
    schema: &'static str,
    metadata: serde_json::Map<String, serde_json::Value>,
    name: &'static str,
    color: &'static str,
    marked_range: TimeRange,
    comment: &'a str,
}

#[derive(Serialize)]
struct Gap<'a> {
    #[serde(rename = "OTIO_SCHEMA")]
    schema: &'static str,
    metadata: Namespaced<GapMetadata<'a>>,
    name: &'a str,
    source_range: TimeRange,
    effects: [(); 0],
    markers: [(); 0],
    enabled: bool,
}

#[derive(Serialize)]
struct GapMetadata<'a> {
    shot_code: &'a str,
    placeholder_take_id: Option<TakeId>,
}

fn timeline<'a>(plan: &'a Plan<'a>) -> Timeline<'a> {
    let children = plan
        .items
        .iter()
        .map(|item| match item.clip {
            Some(clip) => Child::Clip(Box::new(clip_child(plan, item, clip))),
            None => Child::Gap(gap_child(plan, item)),
        })
        .collect();
    let track = Composition {
        schema: "Track.1",
        metadata: Default::default(),
        name: "V1",
        source_range: None,
        effects: [],
        markers: [],
        enabled: true,
        children,
        kind: Some("Video"),
    };
    Timeline {
        schema: "Timeline.1",
        metadata: Namespaced {
            takeboard: TimelineMetadata {
                rate: plan.rate.to_string(),
                start_timecode: timecode::format(plan.start_frame, plan.rate),
                placeholders: plan.placeholders.as_str(),
                skipped_shots: &plan.skipped,
            },
        },
        name: plan.name,
        global_start_time: time(plan.start_frame, plan.rate),
        tracks: Composition {
            schema: "Stack.1",
            metadata: Default::default(),
            name: "tracks",
            source_range: None,
            effects: [],
            markers: [],
            enabled: true,
            children: vec![Child::Track(track)],
            kind: None,
        },
    }
}

fn clip_child<'a>(plan: &Plan<'a>, item: &PlanItem<'a>, clip: &'a ClipEntry) -> Clip<'a> {
    let shot = item.shot;
    let available_range = (clip.media_frames > 0)
        .then(|| range(time(0, clip.rate), time(clip.media_frames, clip.rate)));
    Clip {
        schema: "Clip.2",
        metadata: Namespaced {
            takeboard: ClipMetadata {
                shot_code: &shot.code,
                shot_name: &shot.name,
                position: shot.position,
                state: shot.state,
                take_id: clip.take_id,
                placeholder: clip.placeholder,
                origin: clip.origin,
                generation_id: clip.generation_id.as_deref(),
                prompt: clip.prompt.as_deref(),
                credits: clip.credits,
                rate: clip.rate.to_string(),
                source_in: clip.source_in,
                source_out: clip.source_out,
                source_in_timecode: timecode::format(clip.source_in, clip.rate),
                source_out_timecode: timecode::format(clip.source_out, clip.rate),
            },
        },
        name: clip_name(shot, clip),
        source_range: range(
            time(clip.source_in, clip.rate),
            time(item.record_len, plan.rate),
        ),
        effects: [],
        markers: clip
            .notes
            .iter()
            .map(|(frame, text)| Marker {
                schema: "Marker.2",
                metadata: Default::default(),
                name: "Note",
                color: "GREEN",
                marked_range: range(time(*frame, clip.rate), time(0, clip.rate)),
                comment: text,
            })
            .collect(),
        enabled: true,
        media_references: MediaReferences {
            default_media: ExternalReference {
                schema: "ExternalReference.1",
                metadata: Default::default(),
                name: super::file_name(&clip.path),
                available_range,
                target_url: file_url(&clip.path, ""),
            },
        },
        active_media_reference_key: "DEFAULT_MEDIA",
    }
}

fn gap_child<'a>(plan: &Plan<'a>, item: &PlanItem<'a>) -> Gap<'a> {
    Gap {
        schema: "Gap.1",
        metadata: Namespaced {
            takeboard: GapMetadata {
                shot_code: &item.shot.code,
                placeholder_take_id: item.shot.clip.as_ref().map(|c| c.take_id),
            },
        },
        name: &item.shot.code,
        source_range: range(time(0, plan.rate), time(item.record_len, plan.rate)),
        effects: [],
        markers: [],
        enabled: true,
    }
}
