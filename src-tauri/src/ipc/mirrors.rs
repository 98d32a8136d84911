//! The enums of the IPC contract, each mirroring a core enum with exhaustive conversions,
//! so a new core variant fails to compile until the contract says how it is spelled.

use serde::{Deserialize, Serialize};
use takeboard_core::api;
use takeboard_core::domain;
use ts_rs::TS;

/// A shot's derived state (mirrors `takeboard_core::domain::ShotState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ShotState {
    /// No approved take yet.
    Exploring,
    /// A Flash take is approved; its render request is not yet sent.
    Approved,
    /// The render request was submitted.
    Rendering,
    /// The Standard render is back and awaits review.
    Rendered,
    /// A take is marked final.
    Final,
}

impl From<domain::ShotState> for ShotState {
    fn from(s: domain::ShotState) -> ShotState {
        match s {
            domain::ShotState::Exploring => ShotState::Exploring,
            domain::ShotState::Approved => ShotState::Approved,
            domain::ShotState::Rendering => ShotState::Rendering,
            domain::ShotState::Rendered => ShotState::Rendered,
            domain::ShotState::Final => ShotState::Final,
        }
    }
}

/// The editor's decision on a take (mirrors `takeboard_core::domain::TakeStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum TakeStatus {
    /// Not looked at yet.
    Unreviewed,
    /// On the shortlist.
    Selected,
    /// Kept aside.
    Hold,
    /// Not to be used.
    Rejected,
    /// The chosen take of its shot.
    Approved,
}

impl From<domain::TakeStatus> for TakeStatus {
    fn from(s: domain::TakeStatus) -> TakeStatus {
        match s {
            domain::TakeStatus::Unreviewed => TakeStatus::Unreviewed,
            domain::TakeStatus::Selected => TakeStatus::Selected,
            domain::TakeStatus::Hold => TakeStatus::Hold,
            domain::TakeStatus::Rejected => TakeStatus::Rejected,
            domain::TakeStatus::Approved => TakeStatus::Approved,
        }
    }
}

impl From<TakeStatus> for domain::TakeStatus {
    fn from(s: TakeStatus) -> domain::TakeStatus {
        match s {
            TakeStatus::Unreviewed => domain::TakeStatus::Unreviewed,
            TakeStatus::Selected => domain::TakeStatus::Selected,
            TakeStatus::Hold => domain::TakeStatus::Hold,
            TakeStatus::Rejected => domain::TakeStatus::Rejected,
            TakeStatus::Approved => domain::TakeStatus::Approved,
        }
    }
}

/// Which model produced a take (mirrors `takeboard_core::domain::Origin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Ray2 Flash.
    Flash,
    /// Ray2 Standard.
    Standard,
    /// Not known.
    Unknown,
}

impl From<domain::Origin> for Origin {
    fn from(o: domain::Origin) -> Origin {
        match o {
            domain::Origin::Flash => Origin::Flash,
            domain::Origin::Standard => Origin::Standard,
            domain::Origin::Unknown => Origin::Unknown,
        }
    }
}

/// How a Flash take is promoted (mirrors `takeboard_core::domain::RenderMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum RenderMode {
    /// Same prompt and keyframes with `ray-2`.
    Regenerate,
    /// `ray-2` video-to-video adhering to the Flash take.
    Modify,
    /// Upscale the same generation.
    Upscale,
}

impl From<domain::RenderMode> for RenderMode {
    fn from(m: domain::RenderMode) -> RenderMode {
        match m {
            domain::RenderMode::Regenerate => RenderMode::Regenerate,
            domain::RenderMode::Modify => RenderMode::Modify,
            domain::RenderMode::Upscale => RenderMode::Upscale,
        }
    }
}

impl From<RenderMode> for domain::RenderMode {
    fn from(m: RenderMode) -> domain::RenderMode {
        match m {
            RenderMode::Regenerate => domain::RenderMode::Regenerate,
            RenderMode::Modify => domain::RenderMode::Modify,
            RenderMode::Upscale => domain::RenderMode::Upscale,
        }
    }
}

/// Where a render request is (mirrors `takeboard_core::domain::RequestState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum RequestState {
    /// Recorded, not yet sent.
    Queued,
    /// Sent; accepted or in flight.
    Submitted,
    /// The provider finished it.
    Completed,
    /// The provider refused or failed it.
    Failed,
    /// Cancelled before it was sent.
    Cancelled,
    /// A send whose outcome is not known; the user links, resends or cancels it.
    Unknown,
    /// Written out as a body to run elsewhere; not sent from here unless re-queued.
    Exported,
}

impl From<domain::RequestState> for RequestState {
    fn from(s: domain::RequestState) -> RequestState {
        match s {
            domain::RequestState::Queued => RequestState::Queued,
            domain::RequestState::Submitted => RequestState::Submitted,
            domain::RequestState::Completed => RequestState::Completed,
            domain::RequestState::Failed => RequestState::Failed,
            domain::RequestState::Cancelled => RequestState::Cancelled,
            domain::RequestState::Unknown => RequestState::Unknown,
            domain::RequestState::Exported => RequestState::Exported,
        }
    }
}

/// What the user decides for an `unknown` or `exported` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ResolveAction {
    /// The provider has it: follow the given generation id.
    Link,
    /// It was never made: queue it to be sent again.
    Resend,
    /// Give it up.
    Cancel,
}

/// What a native dialog picks a path for (`pick_path`); the token it returns is good only
/// for that use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PickKind {
    /// A folder to watch (`open_folder`).
    Folder,
    /// A file for the queued request bodies (`export_requests`).
    Requests,
    /// A file for the timeline (`export_timeline`).
    Timeline,
}

/// Timeline formats Premiere imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Final Cut Pro 7 XML (xmeml), the default.
    Fcp7xml,
    /// CMX3600 EDL.
    Edl,
    /// OpenTimelineIO JSON.
    Otio,
    /// A CSV shot list.
    Csv,
}

impl From<ExportFormat> for api::ExportFormat {
    fn from(f: ExportFormat) -> api::ExportFormat {
        match f {
            ExportFormat::Fcp7xml => api::ExportFormat::Fcp7Xml,
            ExportFormat::Edl => api::ExportFormat::Edl,
            ExportFormat::Otio => api::ExportFormat::Otio,
            ExportFormat::Csv => api::ExportFormat::Csv,
        }
    }
}

/// What to put on the timeline for a shot without an approved or final take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum PlaceholderMode {
    /// A placeholder clip (its best take, marked).
    Include,
    /// A gap of the shot's length.
    Gap,
    /// Nothing.
    Skip,
}

impl From<PlaceholderMode> for api::Placeholders {
    fn from(p: PlaceholderMode) -> api::Placeholders {
        match p {
            PlaceholderMode::Include => api::Placeholders::Include,
            PlaceholderMode::Gap => api::Placeholders::Gap,
            PlaceholderMode::Skip => api::Placeholders::Skip,
        }
    }
}

impl From<ResolveAction> for api::ResolveAction {
    fn from(a: ResolveAction) -> api::ResolveAction {
        match a {
            ResolveAction::Link => api::ResolveAction::Link,
            ResolveAction::Resend => api::ResolveAction::Resend,
            ResolveAction::Cancel => api::ResolveAction::Cancel,
        }
    }
}
