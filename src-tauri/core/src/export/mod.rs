//! Premiere export: the shot list as FCP7 XML, CMX3600 EDL, OTIO or CSV.
//!
//! This module is pure: it takes a [`Timeline`] (the shots in order, each with the clip the
//! catalog chose for it) and renders bytes. Choosing which take is final or approved,
//! trims and notes is the catalog's job; this module never opens the database and never
//! reads media. The writers live in `fcp7`, `edl`, `otio` and `csv`; they all render the
//! same resolved sequence (`Plan`), so the four formats always agree clip by clip.
//!
//! # Which shots become what
//!
//! Shots are taken in shot-list order (`position`), optionally restricted to the codes in
//! [`ExportOptions::shots`]. For each shot:
//!
//! | shot has | `include` | `gap` | `skip` |
//! |---|---|---|---|
//! | a final take | clip | clip | clip |
//! | an approved take only (placeholder) | clip marked placeholder | gap of the clip's length | left out |
//! | nothing usable (`clip: None`) | left out | left out | left out |
//!
//! A shot with nothing usable has no length to give a gap, so it is always left out and
//! listed in [`ExportSummary::skipped`]. A placeholder is marked in every format: the clip
//! name ends with ` [placeholder]` (FCP7, OTIO), a `Mango` label (FCP7), a
//! `* TAKEBOARD PLACEHOLDER` comment (EDL, whose clip name must stay the file name for
//! relinking), `placeholder: true` in the OTIO metadata, and the `Kind` column (CSV).
//! An export with no clip at all is refused ([`ExportError::NothingToExport`]).
//!
//! # Rates
//!
//! The sequence rate is the rate of the **first exported clip in shot order**. A clip at
//! another rate keeps its own rate for its source in/out wherever the format can say so
//! (FCP7 `clipitem`/`file` rate, OTIO `source_range.start_time`, CSV source timecodes),
//! and occupies `round(source frames × sequence rate ÷ clip rate)` sequence frames (half
//! rounds up, never less than one frame). The EDL speaks one rate only, so there a clip's
//! source in is converted the same way and its source out is source in + record length.
//! Record times run back to back from the start timecode (`01:00:00:00` unless
//! [`ExportOptions::start`] says otherwise), read at the sequence rate.
//! Supported rates are whole rates and the NTSC family n×1000/1001.

mod csv;
mod edl;
mod fcp7;
mod otio;
mod project;
pub mod timecode;

pub use project::project_timeline;

use crate::domain::{text_enum, Origin, Rate, ShotState, TakeId};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The start timecode used when [`ExportOptions::start`] is not given.
pub const DEFAULT_START: &str = "01:00:00:00";

/// The shot list to export, in shot-list order.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Sequence name (the project name, usually); written as the sequence/EDL title.
    pub name: String,
    /// Every shot of the project; [`ExportOptions::shots`] narrows them.
    pub shots: Vec<ShotEntry>,
}

/// One shot and the clip the catalog chose for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShotEntry {
    /// Shot code, e.g. `SH010`.
    pub code: String,
    /// Human name of the shot.
    pub name: String,
    /// Position in the shot list; the export order.
    pub position: i64,
    /// The shot's derived state (sets the FCP7 label colour).
    pub state: ShotState,
    /// The final take, else the approved take (`placeholder: true`); `None` when the shot
    /// has neither.
    pub clip: Option<ClipEntry>,
}

/// The take that stands for a shot on the sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipEntry {
    /// Catalog id of the take.
    pub take_id: TakeId,
    /// Absolute path of the take's file.
    pub path: PathBuf,
    /// True for an approved Flash take standing in for a final that is not there yet.
    pub placeholder: bool,
    /// Which model made the take.
    pub origin: Origin,
    /// The file's exact frame rate.
    pub rate: Rate,
    /// Frames in the file (0 when unknown).
    pub media_frames: u64,
    /// First used frame, at the clip's rate.
    pub source_in: u64,
    /// First frame after the used range (exclusive), at the clip's rate.
    pub source_out: u64,
    /// Display width in pixels.
    pub width: u32,
    /// Display height in pixels.
    pub height: u32,
    /// Whether the file has an audio track (FCP7 declares audio only then).
    pub has_audio: bool,
    /// Generation prompt, when known.
    pub prompt: Option<String>,
    /// Luma generation id, when known.
    pub generation_id: Option<String>,
    /// Credits the take cost, when known.
    pub credits: Option<i64>,
    /// Notes anchored to a frame of the file (clip rate), in frame order.
    pub notes: Vec<(u64, String)>,
}

text_enum!(
    /// What to do with a shot whose clip is an approved placeholder (see the module table).
    #[derive(Default)]
    #[cfg_attr(feature = "ts", ts(rename = "PlaceholderMode"))]
    Placeholders, "placeholder handling", {
        /// Export the approved take as a clip marked placeholder.
        #[default]
        Include => "include",
        /// Leave a gap of the placeholder's length, keeping the cut's timing.
        Gap => "gap",
        /// Leave the shot out; later shots move up.
        Skip => "skip",
    }
);

text_enum!(
    /// An export file format.
    #[derive(Default)]
    ExportFormat, "export format", {
        /// Final Cut Pro 7 XML (`xmeml` version 4), what Premiere imports with paths.
        #[default]
        Fcp7Xml => "fcp7xml",
        /// CMX3600 edit decision list, Premiere flavour.
        Edl => "edl",
        /// OpenTimelineIO JSON (Premiere 2025.6+).
        Otio => "otio",
        /// A spreadsheet shot list.
        Csv => "csv",
    }
);

impl ExportFormat {
    /// The usual file extension (without dot).
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Fcp7Xml => "xml",
            ExportFormat::Edl => "edl",
            ExportFormat::Otio => "otio",
            ExportFormat::Csv => "csv",
        }
    }
}

/// How to export.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportOptions {
    /// Output format.
    pub format: ExportFormat,
    /// What to do with placeholder shots.
    pub placeholders: Placeholders,
    /// Start timecode of the sequence, `HH:MM:SS:FF` or `HH:MM:SS;FF`, read at the
    /// sequence rate; `None` = [`DEFAULT_START`].
    pub start: Option<String>,
    /// Only these shot codes (still in shot-list order); `None` = every shot.
    pub shots: Option<Vec<String>>,
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// Clips on the sequence, placeholders included.
    pub clips: usize,
    /// Gaps left for placeholders (`--placeholders gap`).
    pub gaps: usize,
    /// Clips that are placeholders.
    pub placeholders: usize,
    /// Codes of selected shots that are not on the sequence (nothing usable, or a skipped
    /// placeholder).
    pub skipped: Vec<String>,
    /// Sequence rate.
    pub rate: Rate,
    /// Start timecode of the sequence.
    pub start: String,
    /// Sequence length in sequence frames.
    pub duration_frames: u64,
}

/// Why an export could not be made. Nothing is written when any of these is returned.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// No shots to look at: the project has none, or the selection is empty.
    #[error(
        "nothing to export: the shot list is empty (no shots in the project, or none selected)"
    )]
    EmptyShotList,
    /// Shots were selected but none of them yields a clip.
    #[error("nothing to export: none of the {shots} selected shots has a final take{hint}")]
    NothingToExport {
        /// How many shots were selected.
        shots: usize,
        /// What to try, depending on the placeholder handling.
        hint: &'static str,
    },
    /// A code in [`ExportOptions::shots`] is not in the shot list.
    #[error("shot '{0}' is not in this project's shot list")]
    UnknownShot(String),
    /// The start timecode cannot be read at the sequence rate.
    #[error("bad start timecode: {0}")]
    BadStartTimecode(#[from] timecode::TimecodeError),
    /// A clip's rate is neither whole nor n×1000/1001, so no editor timebase exists.
    #[error("shot {shot}: frame rate {rate} cannot be exported (only whole rates and n×1000/1001 rates have an editor timebase)")]
    UnsupportedRate {
        /// Shot code.
        shot: String,
        /// The clip's rate.
        rate: Rate,
    },
    /// A clip's trim is empty or runs past the end of its file.
    #[error("shot {shot}: take {take_id} has an unusable trim {source_in}..{source_out} (file has {media_frames} frames); fix the trim and export again")]
    InvalidTrim {
        /// Shot code.
        shot: String,
        /// Take id.
        take_id: TakeId,
        /// Trim in.
        source_in: u64,
        /// Trim out (exclusive).
        source_out: u64,
        /// Frames in the file.
        media_frames: u64,
    },
    /// A clip's path is relative or not valid UTF-8, so no file URL can be written.
    #[error("shot {shot}: take path {path} must be absolute UTF-8 to be linked by an editor")]
    BadPath {
        /// Shot code.
        shot: String,
        /// The path as given.
        path: PathBuf,
    },
    /// An EDL holds at most 999 events.
    #[error("an EDL holds at most 999 events; this sequence has {0} clips (export fewer shots or use fcp7xml/otio)")]
    TooManyEdlEvents(usize),
    /// Reading or writing the output failed.
    #[error("could not write {path}: {source}")]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The encoder failed (it writes to memory, so this points at a bug).
    #[error("could not encode the export: {0}")]
    Encode(#[source] std::io::Error),
}

/// One item of the resolved sequence.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PlanItem<'a> {
    /// The shot it stands for.
    pub shot: &'a ShotEntry,
    /// `Some` for a clip, `None` for a gap.
    pub clip: Option<&'a ClipEntry>,
    /// Record in, sequence frames from the sequence start.
    pub record_in: u64,
    /// Record length, sequence frames.
    pub record_len: u64,
}

/// The resolved sequence every writer renders.
#[derive(Debug, Clone)]
pub(crate) struct Plan<'a> {
    /// Sequence name.
    pub name: &'a str,
    /// Sequence rate.
    pub rate: Rate,
    /// Start of the sequence in frames at `rate` (the start timecode's frame count).
    pub start_frame: u64,
    /// Clips and gaps in record order.
    pub items: Vec<PlanItem<'a>>,
    /// Codes of selected shots left out.
    pub skipped: Vec<&'a str>,
    /// Placeholder handling that produced this plan.
    pub placeholders: Placeholders,
}

impl<'a> Plan<'a> {
    /// Sequence length in sequence frames.
    pub fn duration(&self) -> u64 {
        self.items.last().map_or(0, |i| i.record_in + i.record_len)
    }

    /// The clips only, with their record ranges.
    pub fn clips(&self) -> impl Iterator<Item = (&PlanItem<'a>, &'a ClipEntry)> + '_ {
        self.items
            .iter()
            .filter_map(|item| item.clip.map(|clip| (item, clip)))
    }
}

/// Resolves the shot list into the sequence all writers render (see the module doc).
pub(crate) fn plan<'a>(
    timeline: &'a Timeline,
    opts: &ExportOptions,
) -> Result<Plan<'a>, ExportError> {
    let mut shots: Vec<&ShotEntry> = timeline.shots.iter().collect();
    shots.sort_by_key(|s| s.position);
    if let Some(codes) = &opts.shots {
        if let Some(unknown) = codes.iter().find(|c| !shots.iter().any(|s| &s.code == *c)) {
            return Err(ExportError::UnknownShot(unknown.clone()));
        }
        shots.retain(|s| codes.contains(&s.code));
    }
    if shots.is_empty() {
        return Err(ExportError::EmptyShotList);
    }

    // Which shots take time on the sequence, and as what.
    let mut chosen: Vec<(&ShotEntry, &ClipEntry, bool)> = Vec::new(); // (shot, clip, is_gap)
    let mut skipped = Vec::new();
    for shot in &shots {
        match (&shot.clip, opts.placeholders) {
            (Some(clip), _) if !clip.placeholder => chosen.push((shot, clip, false)),
            (Some(clip), Placeholders::Include) => chosen.push((shot, clip, false)),
            (Some(clip), Placeholders::Gap) => chosen.push((shot, clip, true)),
            _ => skipped.push(shot.code.as_str()),
        }
    }
    let Some(&(_, first, _)) = chosen.iter().find(|(_, _, gap)| !gap) else {
        return Err(ExportError::NothingToExport {
            shots: shots.len(),
            hint: match opts.placeholders {
                Placeholders::Include => " or an approved take",
                _ => " (approved takes are exported only with placeholders \"include\")",
            },
        });
    };
    for (shot, clip, _) in &chosen {
        validate(shot, clip)?;
    }
    let rate = first.rate;
    let start = opts.start.as_deref().unwrap_or(DEFAULT_START);
    let start_frame = timecode::parse(start, rate)?;

    let mut items = Vec::with_capacity(chosen.len());
    let mut record_in = 0;
    for (shot, clip, is_gap) in chosen {
        let record_len = to_rate(clip.source_out - clip.source_in, clip.rate, rate).max(1);
        items.push(PlanItem {
            shot,
            clip: (!is_gap).then_some(clip),
            record_in,
            record_len,
        });
        record_in += record_len;
    }
    Ok(Plan {
        name: &timeline.name,
        rate,
        start_frame,
        items,
        skipped,
        placeholders: opts.placeholders,
    })
}

fn validate(shot: &ShotEntry, clip: &ClipEntry) -> Result<(), ExportError> {
    if editor_timebase(clip.rate).is_none() {
        return Err(ExportError::UnsupportedRate {
            shot: shot.code.clone(),
            rate: clip.rate,
        });
    }
    let past_end = clip.media_frames > 0 && clip.source_out > clip.media_frames;
    if clip.source_in >= clip.source_out || past_end {
        return Err(ExportError::InvalidTrim {
            shot: shot.code.clone(),
            take_id: clip.take_id,
            source_in: clip.source_in,
            source_out: clip.source_out,
            media_frames: clip.media_frames,
        });
    }
    if !clip.path.is_absolute() || clip.path.to_str().is_none() {
        return Err(ExportError::BadPath {
            shot: shot.code.clone(),
            path: clip.path.clone(),
        });
    }
    Ok(())
}

/// `(timebase, ntsc)` as FCP7 writes a rate: 24/1 → (24, false), 24000/1001 → (24, true).
/// `None` for rates with no editor timebase (e.g. 12.5).
pub(crate) fn editor_timebase(rate: Rate) -> Option<(u32, bool)> {
    match rate.den {
        1 => Some((rate.num, false)),
        1001 if rate.num.is_multiple_of(1000) => Some((rate.num / 1000, true)),
        _ => None,
    }
}

/// Converts a frame count from one rate to another, rounding to nearest (half up).
pub(crate) fn to_rate(frames: u64, from: Rate, to: Rate) -> u64 {
    if from == to {
        return frames;
    }
    let numerator = u128::from(frames) * u128::from(to.num) * u128::from(from.den);
    let denominator = u128::from(to.den) * u128::from(from.num);
    ((2 * numerator + denominator) / (2 * denominator)) as u64
}

/// Bytes left as they are in a file URL path: `A-Z a-z 0-9 - . _ ~ / :`.
const URL_PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/')
    .remove(b':');

/// A percent-encoded `file://` URL for an absolute path, with `host` between the slashes
/// (`localhost` for FCP7, empty for OTIO). Windows paths become `/C:/…`.
pub(crate) fn file_url(path: &Path, host: &str) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let rooted = if text.starts_with('/') {
        text
    } else {
        format!("/{text}")
    };
    format!("file://{host}{}", utf8_percent_encode(&rooted, URL_PATH))
}

/// The file name of a clip's path (what Premiere relinks by).
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The name a clip carries on the sequence: `"<code> <name>"` (just the code when the shot
/// has no name of its own: empty, or its code, as for shots made from file names), plus
/// ` [placeholder]`.
pub(crate) fn clip_name(shot: &ShotEntry, clip: &ClipEntry) -> String {
    let name = shot.name.trim();
    let mut name = if name.is_empty() || name == shot.code {
        shot.code.clone()
    } else {
        format!("{} {}", shot.code, shot.name)
    };
    if clip.placeholder {
        name.push_str(" [placeholder]");
    }
    name
}

/// Renders the export in memory. Fails before anything is produced when the selection
/// yields no clip, the start timecode is bad, or a clip cannot be described.
pub fn render(timeline: &Timeline, opts: &ExportOptions) -> Result<Vec<u8>, ExportError> {
    let plan = plan(timeline, opts)?;
    render_plan(&plan, opts.format)
}

fn render_plan(plan: &Plan<'_>, format: ExportFormat) -> Result<Vec<u8>, ExportError> {
    match format {
        ExportFormat::Fcp7Xml => fcp7::render(plan),
        ExportFormat::Edl => edl::render(plan),
        ExportFormat::Otio => otio::render(plan),
        ExportFormat::Csv => Ok(csv::render(plan)),
    }
}

/// Renders the export and writes it to `out` atomically: a temporary file in the same
/// folder is written, flushed to disk and renamed over `out`, so `out` is either the old
/// file or the complete new one, never half a file. Nothing is created when rendering
/// fails.
pub fn write_export(
    timeline: &Timeline,
    opts: &ExportOptions,
    out: &Path,
) -> Result<ExportSummary, ExportError> {
    let plan = plan(timeline, opts)?;
    let bytes = render_plan(&plan, opts.format)?;
    crate::atomic_file::write_atomically(out, &bytes).map_err(|e| ExportError::Io {
        path: e.path,
        source: e.source,
    })?;
    let clips = plan.clips().count();
    Ok(ExportSummary {
        clips,
        gaps: plan.items.len() - clips,
        placeholders: plan.clips().filter(|(_, c)| c.placeholder).count(),
        skipped: plan.skipped.iter().map(|c| (*c).to_owned()).collect(),
        rate: plan.rate,
        start: timecode::format(plan.start_frame, plan.rate),
        duration_frames: plan.duration(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(text: &str) -> Rate {
        text.parse().unwrap()
    }

    #[test]
    fn frame_counts_convert_between_rates_rounding_to_nearest() {
        assert_eq!(to_rate(50, rate("25"), rate("24")), 48);
        assert_eq!(to_rate(25, rate("25"), rate("24")), 24);
        assert_eq!(to_rate(13, rate("25"), rate("24")), 12, "12.48 → 12");
        assert_eq!(to_rate(1, rate("48"), rate("24")), 1, "0.5 rounds up");
        assert_eq!(to_rate(120, rate("24000/1001"), rate("24")), 120);
        assert_eq!(
            to_rate(1000, rate("30000/1001"), rate("30")),
            1001,
            "1000 frames at 29.97 last exactly as long as 1001 frames at 30"
        );
    }

    #[test]
    fn editor_timebases_cover_whole_and_ntsc_rates_only() {
        assert_eq!(editor_timebase(rate("24000/1001")), Some((24, true)));
        assert_eq!(editor_timebase(rate("30000/1001")), Some((30, true)));
        assert_eq!(editor_timebase(rate("25")), Some((25, false)));
        assert_eq!(editor_timebase(rate("25/2")), None);
        assert_eq!(editor_timebase(rate("2997/100")), None);
    }

    #[test]
    fn file_urls_percent_encode_everything_but_the_safe_set() {
        assert_eq!(
            file_url(Path::new("/Clips/SH010 take#3 100%.mp4"), "localhost"),
            "file://localhost/Clips/SH010%20take%233%20100%25.mp4"
        );
        assert_eq!(
            file_url(Path::new("/home/é/a&b'c.mp4"), ""),
            "file:///home/%C3%A9/a%26b%27c.mp4"
        );
        assert_eq!(
            file_url(Path::new(r"C:\Clips\a b.mp4"), "localhost"),
            "file://localhost/C:/Clips/a%20b.mp4"
        );
    }

    #[test]
    fn a_clip_is_named_after_its_shot_without_repeating_the_code() {
        let entry = |name: &str| ShotEntry {
            code: "SH010".into(),
            name: name.into(),
            position: 1,
            state: ShotState::Final,
            clip: None,
        };
        let clip = ClipEntry {
            take_id: TakeId(1),
            path: PathBuf::from("/c/a.mp4"),
            placeholder: false,
            origin: Origin::Standard,
            rate: rate("24"),
            media_frames: 24,
            source_in: 0,
            source_out: 24,
            width: 320,
            height: 180,
            has_audio: false,
            prompt: None,
            generation_id: None,
            credits: None,
            notes: Vec::new(),
        };
        assert_eq!(
            clip_name(&entry("Dock & <pier>"), &clip),
            "SH010 Dock & <pier>"
        );
        assert_eq!(clip_name(&entry("SH010"), &clip), "SH010");
        assert_eq!(clip_name(&entry(" "), &clip), "SH010");
        let placeholder = ClipEntry {
            placeholder: true,
            ..clip
        };
        assert_eq!(
            clip_name(&entry("SH010"), &placeholder),
            "SH010 [placeholder]"
        );
    }

    #[test]
    fn options_parse_from_their_cli_spelling() {
        assert_eq!("fcp7xml".parse(), Ok(ExportFormat::Fcp7Xml));
        assert_eq!("csv".parse(), Ok(ExportFormat::Csv));
        assert_eq!("gap".parse(), Ok(Placeholders::Gap));
        let err = "xml".parse::<ExportFormat>().unwrap_err();
        assert!(err.to_string().contains("fcp7xml, edl, otio, csv"), "{err}");
        assert!("none".parse::<Placeholders>().is_err());
    }
}
