//! Domain vocabulary shared by every module: ids, origins, statuses, states, rates.
//!
//! These are plain values. Persistence lives in `catalog`, behaviour in the modules that
//! own it; this file only says what the words mean and how they are spelled on disk and
//! in JSON (the spelling is the same in both places, lower case).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;
use std::str::FromStr;

/// A catalog row id with its own type, so a take id cannot be passed where a shot id is
/// expected. JSON (a serde newtype) and TypeScript see the plain number.
macro_rules! row_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub struct $name(pub i64);
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { self.0.fmt(f) }
        }
        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<Self, Self::Err> { s.parse().map($name) }
        }
    };
}

row_id!(
    /// Row id of a take in the catalog. Stable across renames and moves (identity is the
    /// content hash; this id is its handle).
    TakeId
);
row_id!(
    /// Row id of a shot.
    ShotId
);
row_id!(
    /// Row id of a project.
    ProjectId
);
row_id!(
    /// Row id of a render request.
    RequestId
);

/// An error parsing one of the enumerations below from its text form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid {what} (expected one of: {})", expected.trim_end().replace(' ', ", "))]
pub struct ParseEnumError {
    /// What was being parsed (e.g. "take status").
    pub what: &'static str,
    /// The text that did not parse.
    pub value: String,
    /// The accepted spellings, each followed by a space.
    pub expected: &'static str,
}

/// An enumeration spelled as lower-case text in the database, the CLI, JSON and (with
/// the `ts` feature) the generated TypeScript union, all from the one list of variants.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        $(#[$meta])*
        pub enum $name {
            $($(#[$vmeta])* #[cfg_attr(feature = "ts", ts(rename = $text))] $variant),+
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The spelling used in the database, the CLI and JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
        impl std::str::FromStr for $name {
            type Err = $crate::domain::ParseEnumError;
            fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::domain::ParseEnumError {
                        what: $what,
                        value: s.to_owned(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// Which model produced a take.
    #[derive(Default)]
    Origin, "origin", {
        /// Ray2 Flash (`ray-flash-2`): the cheap exploration variants.
        Flash => "flash",
        /// Ray2 Standard (`ray-2`): the paid final render.
        Standard => "standard",
        /// Not known (no sidecar, no model token in the name).
        #[default]
        Unknown => "unknown",
    }
);

text_enum!(
    /// The editor's decision on a take.
    TakeStatus, "take status", {
        /// Not looked at yet.
        Unreviewed => "unreviewed",
        /// On the shortlist.
        Selected => "selected",
        /// Kept aside, undecided.
        Hold => "hold",
        /// Not to be used.
        Rejected => "rejected",
        /// The chosen take of its shot (at most one approved Flash take per shot).
        Approved => "approved",
    }
);

text_enum!(
    /// What a person may do in a studio library on PostgreSQL: each is a group role the
    /// server checks (`takeboard_<role>`), granted with `takeboard-cli db grant USER ROLE`.
    StudioRole, "studio role", {
        /// Review: statuses other than approved, notes, trims, moves, scans.
        Editor => "editor",
        /// Approve and unapprove (spends money); includes editor.
        Approver => "approver",
        /// Runs the render outbox (sends, polls, resolves requests); includes editor.
        Render => "render",
        /// Settings and budget, and may grant the other roles; includes approver.
        Admin => "admin",
    }
);

impl StudioRole {
    /// The server's group role for this studio role.
    pub fn group_role(self) -> String {
        format!("takeboard_{}", self.as_str())
    }
}

text_enum!(
    /// Whether a take's file is on disk.
    Presence, "presence", {
        /// At least one file with the take's content is in a watched folder.
        Present => "present",
        /// No file with the take's content is there any more; decisions are kept.
        Missing => "missing",
    }
);

text_enum!(
    /// A resolution Luma renders a Ray2 request at (`Resolution::ALL`, smallest first).
    Resolution, "resolution", {
        /// 540p.
        R540p => "540p",
        /// 720p, the default.
        R720p => "720p",
        /// 1080p.
        R1080p => "1080p",
        /// 4K.
        R4k => "4k",
    }
);

impl Resolution {
    /// Whether an upscale can go to this resolution (1080p and 4K).
    pub fn is_upscale_target(self) -> bool {
        matches!(self, Resolution::R1080p | Resolution::R4k)
    }
}

text_enum!(
    /// What an event-log row records, spelled `<subject>.<what>` in the `events` table.
    EventKind, "event kind", {
        /// A project was created.
        ProjectCreated => "project.created",
        /// The project's settings were saved.
        SettingsSaved => "project.settings_saved",
        /// Ingest created a shot.
        ShotCreated => "shot.created",
        /// An automatic shot moved to a free code (a file name claimed its code).
        ShotRecoded => "shot.recoded",
        /// The user renamed a shot.
        ShotRenamed => "shot.renamed",
        /// The user moved a shot in the shot list.
        ShotReordered => "shot.reordered",
        /// A take was indexed.
        TakeAdded => "take.added",
        /// A take's last file disappeared.
        TakeMissing => "take.missing",
        /// A missing take's content came back.
        TakeRestored => "take.restored",
        /// The user moved a take to another shot.
        TakeMoved => "take.moved",
        /// A take was approved.
        TakeApproved => "take.approved",
        /// An approval was withdrawn.
        TakeUnapproved => "take.unapproved",
        /// A take's status changed (other than approval).
        StatusChanged => "take.status_changed",
        /// A take became its shot's final take.
        FinalMarked => "take.final_marked",
        /// A take stopped being final.
        FinalCleared => "take.final_cleared",
        /// A take's trim was set or cleared.
        TrimSet => "take.trim_set",
        /// A note was added to a take.
        NoteAdded => "take.note_added",
        /// A queued render request was cancelled.
        RenderCancelled => "render.cancelled",
        /// A render request was claimed for sending.
        RenderSubmitting => "render.submitting",
        /// Luma accepted a render request.
        RenderAccepted => "render.accepted",
        /// A render request failed.
        RenderFailed => "render.failed",
        /// A send's outcome is not known.
        RenderUnknown => "render.unknown",
        /// A render came back and was linked.
        RenderCompleted => "render.completed",
        /// The user linked a generation to a request.
        RenderLinked => "render.linked",
        /// A request was linked to its one exact match at Luma.
        RenderAutoLinked => "render.auto_linked",
        /// A request was exported as a body.
        RenderExported => "render.exported",
        /// A request was queued to be sent again.
        RenderRequeued => "render.requeued",
        /// The user resolved an uncertain request.
        RenderResolved => "render.resolved",
    }
);

text_enum!(
    /// A shot's state, derived from its takes and requests (never stored as truth).
    ShotState, "shot state", {
        /// No approved take yet.
        Exploring => "exploring",
        /// A Flash take is approved; its render request is not yet sent.
        Approved => "approved",
        /// The render request was submitted and has not come back.
        Rendering => "rendering",
        /// The Standard render is back and awaits review.
        Rendered => "rendered",
        /// A take is marked final.
        Final => "final",
    }
);

text_enum!(
    /// How a Flash take is promoted to a Standard render.
    RenderMode, "render mode", {
        /// Same prompt, keyframes, aspect ratio and duration with `ray-2`.
        Regenerate => "regenerate",
        /// `ray-2` video-to-video adhering to the Flash take.
        Modify => "modify",
        /// Upscale the same generation.
        Upscale => "upscale",
    }
);

text_enum!(
    /// Where a render request is in its life.
    RequestState, "request state", {
        /// Recorded, not yet sent.
        Queued => "queued",
        /// Committed as sent before the provider call; accepted or in flight.
        Submitted => "submitted",
        /// The provider finished it.
        Completed => "completed",
        /// The provider refused or failed it.
        Failed => "failed",
        /// The user cancelled it before it was sent.
        Cancelled => "cancelled",
        /// A send whose outcome is not known; never re-sent without the user.
        Unknown => "unknown",
        /// Written out as a request body to run elsewhere (`requests export`): never sent
        /// from here unless the user queues it again; its credits stay pending.
        Exported => "exported",
    }
);

impl RequestState {
    /// A live request blocks another for the same take (see the partial unique index
    /// `one_live_request_per_take`).
    pub fn is_live(self) -> bool {
        !matches!(self, RequestState::Failed | RequestState::Cancelled)
    }
}

/// A frame rate as an exact rational, e.g. 24/1 or 24000/1001.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Rate {
    /// Numerator (frames).
    pub num: u32,
    /// Denominator (seconds), never zero.
    pub den: u32,
}

impl Rate {
    /// A rate in lowest terms; `None` when either part is zero.
    pub fn new(num: u32, den: u32) -> Option<Rate> {
        if num == 0 || den == 0 {
            return None;
        }
        let g = gcd(num, den);
        Some(Rate {
            num: num / g,
            den: den / g,
        })
    }

    /// Frames per second as a float, for display and arithmetic that tolerates rounding.
    pub fn as_f64(self) -> f64 {
        f64::from(self.num) / f64::from(self.den)
    }

    /// The integer timebase editors count in (24 for 23.976, 30 for 29.97).
    pub fn timebase(self) -> u32 {
        (f64::from(self.num) / f64::from(self.den)).round() as u32
    }

    /// True for the NTSC family: n×1000/1001 (23.976, 29.97, 59.94).
    pub fn is_ntsc(self) -> bool {
        self.den == 1001
    }
}

impl fmt::Display for Rate {
    /// `"24"` for whole rates, `"24000/1001"` otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

impl FromStr for Rate {
    type Err = ParseEnumError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseEnumError {
            what: "frame rate",
            value: s.to_owned(),
            expected: "N or N/D",
        };
        let (n, d) = match s.split_once('/') {
            Some((n, d)) => (n.trim(), d.trim()),
            None => (s.trim(), "1"),
        };
        let num = n.parse().map_err(|_| bad())?;
        let den = d.parse().map_err(|_| bad())?;
        Rate::new(num, den).ok_or_else(bad)
    }
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Container facts read from a file's MP4/MOV boxes (no decoding).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaInfo {
    /// Duration of the video track in seconds.
    pub duration_s: f64,
    /// Number of video frames (samples of the video track).
    pub frames: u64,
    /// Exact frame rate.
    pub fps: Rate,
    /// Display width in pixels.
    pub width: u32,
    /// Display height in pixels.
    pub height: u32,
    /// Codec as a short name: `h264`, `hevc`, `av1`, `vp9`, `prores`, or the sample entry
    /// four-character code when unknown.
    pub codec: String,
    /// Whether the file has an audio track.
    pub has_audio: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_print_as_the_cli_contract_says() {
        assert_eq!(Rate::new(24, 1).unwrap().to_string(), "24");
        assert_eq!(Rate::new(24000, 1001).unwrap().to_string(), "24000/1001");
        assert_eq!(
            Rate::new(48, 2).unwrap().to_string(),
            "24",
            "reduced to lowest terms"
        );
        assert_eq!("30000/1001".parse::<Rate>().unwrap().timebase(), 30);
        assert!("0/1".parse::<Rate>().is_err());
    }

    #[test]
    fn enums_round_trip_through_text() {
        for s in TakeStatus::ALL {
            assert_eq!(s.as_str().parse::<TakeStatus>().unwrap(), *s);
        }
        let err = "approve".parse::<TakeStatus>().unwrap_err();
        assert!(err.to_string().contains("approved"), "{err}");
    }
}

impl RenderMode {
    /// Where a request of this mode is sent, relative to the API base URL. An upscale names
    /// the source generation; while that id is unknown the path keeps the `{id}` placeholder.
    pub fn endpoint(self, source_generation_id: Option<&str>) -> String {
        match self {
            RenderMode::Regenerate => "generations/video".to_owned(),
            RenderMode::Modify => "generations/video/modify".to_owned(),
            RenderMode::Upscale => format!(
                "generations/{}/upscale",
                source_generation_id.unwrap_or("{id}")
            ),
        }
    }
}

/// The editor's current decisions on one take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TakeDecision {
    /// The take.
    pub take_id: TakeId,
    /// Its shot.
    pub shot_id: ShotId,
    /// Its status (`unreviewed` until decided).
    pub status: TakeStatus,
    /// Whether it is its shot's final take.
    pub is_final: bool,
    /// First frame used, inclusive.
    pub trim_in: Option<u64>,
    /// End of the used range, exclusive.
    pub trim_out: Option<u64>,
    /// When last decided (RFC 3339), `None` if never.
    pub decided_at: Option<String>,
    /// Who last decided, `None` if never.
    pub decided_by: Option<String>,
}

/// A note anchored to a frame of a take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// Row id.
    pub id: i64,
    /// The take.
    pub take_id: TakeId,
    /// The frame it is about (0-based).
    pub frame: u64,
    /// The note.
    pub text: String,
    /// Who wrote it (OS user).
    pub author: String,
    /// When (RFC 3339).
    pub created_at: String,
}

/// How a take was generated, as its sidecar and file name tell it: what identification
/// finds, ingest records and the catalog reads back, one struct in all three.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GenerationFacts {
    /// Sidecar model, else a model word in the name, else [`Origin::Unknown`].
    pub origin: Origin,
    /// The Luma generation id (sidecar only; a UUID, anything else is refused).
    pub generation_id: Option<String>,
    /// The sidecar's prompt, else the Luma web-download slug (lower case, lossy: words
    /// only), else `None`.
    pub prompt: Option<String>,
    /// The aspect ratio, e.g. `16:9` (sidecar only).
    pub aspect_ratio: Option<String>,
    /// The resolution, e.g. `720p` (sidecar only).
    pub resolution: Option<String>,
    /// The sidecar's whole Luma generation object (its `request`, `assets`, `id`), compact
    /// JSON (sidecar only): what a render request is rebuilt from.
    pub request_json: Option<String>,
}

/// What one file holding a take is, as ingest read it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileFacts {
    /// `blake3:<hex>`, or `None` when the file could not be read.
    pub content_hash: Option<String>,
    /// Path of the file (for a take: its last known path).
    pub path: std::path::PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Container facts, when the file could be probed.
    pub media: Option<MediaInfo>,
    /// Why the sidecar beside it could not be used.
    pub sidecar_error: Option<String>,
    /// Why the file could not be read or probed.
    pub error: Option<String>,
}

/// What is known about the take being promoted (one `takes` row, reshaped).
#[derive(Debug, Clone, PartialEq)]
pub struct TakeFacts {
    /// The take.
    pub take_id: TakeId,
    /// Its file name (last known path's final component).
    pub file_name: String,
    /// How it was generated, as ingest recorded it.
    pub generation: GenerationFacts,
    /// Measured duration of the file, seconds.
    pub duration_s: Option<f64>,
    /// Display width, pixels.
    pub width: Option<u32>,
    /// Display height, pixels.
    pub height: Option<u32>,
    /// `takes.request_json`: the Luma `request` object from the sidecar, or the whole
    /// generation object (then its `request` and `assets.video` are used).
    pub stored_json: Option<Value>,
}

/// A render request ready to be stored: the exact body, where it goes, its estimate, and
/// what had to be assumed. A stored request ([`RenderRequest`]) is a draft plus its
/// identity and life.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequestDraft {
    /// How the take is promoted.
    pub mode: RenderMode,
    /// The model of the result (`ray-2`; for an upscale, the source's model).
    pub model: String,
    /// Resolution of the result.
    pub resolution: Resolution,
    /// Requested seconds (what the estimate is priced on).
    pub duration_s: i64,
    /// Aspect ratio sent (regenerate) or known (modify, upscale).
    pub aspect_ratio: Option<String>,
    /// Prompt sent, if any.
    pub prompt: Option<String>,
    /// Keyframes sent (regenerate), verbatim from the Flash request.
    pub keyframes: Option<Value>,
    /// Camera concepts sent (regenerate), verbatim from the Flash request.
    pub concepts: Option<Value>,
    /// The JSON body, exactly as sent.
    pub body: Value,
    /// Path relative to the API base URL (see [`RenderMode::endpoint`]).
    pub endpoint: String,
    /// Credit estimate from the project's pricing table.
    pub credits_estimate: i64,
    /// What was not known or had to be assumed, one sentence each.
    pub missing: Vec<String>,
}

/// A generation at Luma that may be an uncertain send's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// Luma's generation id.
    pub generation_id: String,
    /// When Luma says it was created (RFC 3339), if it says.
    pub created_at: Option<String>,
    /// Its state at Luma (`queued`, `dreaming`, `completed`, `failed`…).
    pub state: Option<String>,
    /// True when Luma echoes every field of the request's body unchanged and it was
    /// created within minutes of the send.
    pub exact: bool,
}

/// The process that claimed a request for a send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sender {
    /// Its process id.
    pub pid: i64,
    /// Its machine.
    pub host: String,
}

/// A render request as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenderRequest {
    /// Row id.
    pub id: RequestId,
    /// Its project.
    pub project_id: ProjectId,
    /// Its shot.
    pub shot_id: ShotId,
    /// The shot's code (`SH010`).
    pub shot_code: String,
    /// The approved take it promotes.
    pub take_id: TakeId,
    /// That take's Luma generation id, if known (an upscale is sent to it).
    pub source_generation_id: Option<String>,
    /// What is sent and what it costs (flattened: the JSON has the draft's fields inline).
    #[serde(flatten)]
    pub draft: RequestDraft,
    /// Where it is in its life.
    pub state: RequestState,
    /// Luma's id for the render, once accepted.
    pub provider_generation_id: Option<String>,
    /// The Standard take it produced, once landed.
    pub result_take_id: Option<TakeId>,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// Locally generated key; the same approval always returns the same key.
    pub idempotency_key: String,
    /// Send attempts.
    pub attempts: i64,
    /// Timestamps (RFC 3339).
    pub created_at: String,
    /// When it was sent.
    pub submitted_at: Option<String>,
    /// When it completed, failed or was cancelled.
    pub finished_at: Option<String>,
    /// Last change.
    pub updated_at: String,
    /// For an `unknown` request: the generations Luma listed that may be its result, as
    /// last looked up by a submit pass (empty until then).
    pub candidates: Vec<Candidate>,
    /// When it was exported as a body to run elsewhere.
    pub exported_at: Option<String>,
    /// The process sending it right now (`submitted`, not yet answered).
    pub sender: Option<Sender>,
}
