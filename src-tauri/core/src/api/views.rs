//! What API calls return (views: core values gathered for one screen or one command's
//! output) and the structured inputs some of them take. Clients only reshape these.

use std::path::PathBuf;

use crate::catalog::{ShotRow, TakeRow};
use crate::domain::{
    text_enum, Note, ParseEnumError, Presence, RenderMode, RenderRequest, RequestId, ShotId,
    ShotState, TakeId, TakeStatus,
};
use crate::export::ExportSummary;
use crate::pricing::{PricingTable, ShotCredits};
use crate::render::outbox::{Hold, PassReport, Resolution};
use crate::settings::ProjectSettings;

use super::ApiError;

/// The library and, when one is open, the project the window shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryInfo {
    /// The library database file.
    pub library_path: PathBuf,
    /// The project's name, `None` until a folder is opened.
    pub project_name: Option<String>,
    /// The project's watched folders.
    pub folders: Vec<PathBuf>,
}

/// One take: the catalog's record with its notes and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct TakeView {
    /// The take as the catalog holds it.
    pub take: TakeRow,
    /// Its notes, by frame.
    pub notes: Vec<Note>,
    /// What it cost at the project's prices, when its duration and origin are known.
    pub credits: Option<i64>,
    /// Where the media server serves it (`/media/<id>`).
    pub media_path: String,
}

impl TakeView {
    /// The file name of its current (or last known) file.
    pub fn file_name(&self) -> String {
        self.take
            .file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// One shot of the shot list with what its row in the list shows.
#[derive(Debug, Clone, PartialEq)]
pub struct ShotView {
    /// The shot as the catalog holds it.
    pub shot: ShotRow,
    /// Its derived state.
    pub state: ShotState,
    /// Its takes' ids.
    pub take_ids: Vec<TakeId>,
    /// How many of its takes have no file on disk.
    pub missing_count: usize,
    /// Its approved take.
    pub approved_take_id: Option<TakeId>,
    /// Its final take.
    pub final_take_id: Option<TakeId>,
    /// Credits spent on it and pending for it.
    pub credits: ShotCredits,
}

impl ShotView {
    /// `shot` with its takes picked out of `takes` (which may hold other shots' takes).
    pub(crate) fn new(
        shot: ShotRow,
        takes: &[TakeRow],
        state: ShotState,
        credits: Option<&ShotCredits>,
    ) -> ShotView {
        let own: Vec<&TakeRow> = takes.iter().filter(|t| t.shot_id == shot.id).collect();
        ShotView {
            state,
            take_ids: own.iter().map(|t| t.id).collect(),
            missing_count: own
                .iter()
                .filter(|t| t.presence == Presence::Missing)
                .count(),
            approved_take_id: own
                .iter()
                .find(|t| t.status == TakeStatus::Approved)
                .map(|t| t.id),
            final_take_id: own.iter().find(|t| t.is_final).map(|t| t.id),
            credits: credits.cloned().unwrap_or(ShotCredits {
                shot_id: shot.id,
                spent: 0,
                pending: 0,
            }),
            shot,
        }
    }
}

/// What approving a take did.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalView {
    /// The approved take, after the approval.
    pub take: TakeView,
    /// The approval as the review rules recorded it (its request, budget warning…).
    pub approval: crate::review::Approval,
}

/// A note just added, and its take with every note.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteAdded {
    /// The new note.
    pub note: Note,
    /// Its take, after the note.
    pub take: TakeView,
}

/// What a submit pass did: the project's requests afterwards and what happened to the
/// ones the user confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitSummary {
    /// Every request of the project, after the pass.
    pub requests: Vec<RenderRequest>,
    /// Confirmed requests the provider accepted.
    pub sent: usize,
    /// Confirmed requests whose send is uncertain (now `unknown`).
    pub uncertain: usize,
    /// Confirmed requests the provider refused.
    pub failed: usize,
    /// Confirmed requests still queued (limits, a busy provider).
    pub left_queued: usize,
    /// Requests found at the provider and linked automatically, with the generation id.
    pub auto_linked: Vec<(RequestId, String)>,
    /// Interrupted sends of dead processes, now `unknown`.
    pub recovered: Vec<RequestId>,
    /// Why the pass stopped early, in the user's words.
    pub hold: Option<String>,
}

impl SubmitSummary {
    pub(crate) fn new(report: &PassReport, requests: Vec<RenderRequest>) -> SubmitSummary {
        use crate::domain::RequestState;
        let count = |state: RequestState| {
            report
                .submit
                .outcomes
                .iter()
                .filter(|o| o.state == state)
                .count()
        };
        SubmitSummary {
            requests,
            sent: count(RequestState::Submitted),
            uncertain: count(RequestState::Unknown),
            failed: count(RequestState::Failed),
            left_queued: report.submit.left_queued,
            auto_linked: report.lookup.linked.clone(),
            recovered: report.recovered.clone(),
            hold: report.submit.hold.as_ref().map(hold_text),
        }
    }
}

fn hold_text(hold: &Hold) -> String {
    match hold {
        Hold::RateWindow { free_in } => format!(
            "the provider's per-minute limit is reached; submit again in {} s",
            free_in.as_secs().max(1)
        ),
        Hold::InFlight { in_flight } => format!(
            "{in_flight} renders are in flight, the provider's limit; submit again when some finish"
        ),
        Hold::ProviderBusy { reason } => {
            format!("the provider is busy ({reason}); nothing was charged")
        }
    }
}

text_enum!(
    /// What the user decides for an `unknown` or `exported` request.
    ResolveAction, "resolve action", {
        /// The provider has it: follow the given generation id.
        Link => "link",
        /// It was never made: queue it to be sent again.
        Resend => "resend",
        /// Give it up.
        Cancel => "cancel",
    }
);

impl ResolveAction {
    /// The outbox's resolution; `link` needs the generation id.
    pub(crate) fn resolution(self, generation_id: Option<&str>) -> Result<Resolution, ApiError> {
        match (self, generation_id) {
            (ResolveAction::Link, Some(id)) => Ok(Resolution::Link(id.trim().to_owned())),
            (ResolveAction::Link, None) => Err(ApiError::Invalid(
                "linking needs the generation id from the provider's page".into(),
            )),
            (ResolveAction::Resend, _) => Ok(Resolution::Resend),
            (ResolveAction::Cancel, _) => Ok(Resolution::Cancel),
        }
    }
}

/// A project's settings as the settings dialog shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsView {
    /// The settings.
    pub settings: ProjectSettings,
    /// Whether a Luma API key is saved (the key itself never leaves the core).
    pub api_key_set: bool,
}

/// The settings dialog's edits, as typed: numbers are checked here (whole credits, none
/// negative), fields the dialog does not show are kept.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsEdit {
    /// Ray2 Flash credits per second.
    pub flash_per_second: f64,
    /// Ray2 Standard credits per second.
    pub standard_per_second: f64,
    /// Credits of a 4K upscale.
    pub upscale_4k: f64,
    /// US dollars per credit-second, for display.
    pub usd_per_second: f64,
    /// Render mode preselected when approving.
    pub default_mode: RenderMode,
    /// Resolution preselected when approving.
    pub default_resolution: String,
    /// Frame rate assumed when a file has none, `"24"` or `"24000/1001"`.
    pub fps_fallback: String,
    /// Credit budget, if any.
    pub budget: Option<f64>,
}

impl SettingsEdit {
    /// `current` with these edits applied.
    pub(crate) fn apply_to(&self, current: ProjectSettings) -> Result<ProjectSettings, ApiError> {
        let credits = |what: &str, v: f64| -> Result<i64, ApiError> {
            if v.is_finite() && v.fract() == 0.0 && v >= 0.0 && v <= i64::MAX as f64 {
                Ok(v as i64)
            } else {
                Err(ApiError::Invalid(format!(
                    "{what} must be a whole number of credits, 0 or more (got {v})"
                )))
            }
        };
        let fps_fallback = self
            .fps_fallback
            .parse()
            .map_err(|e: ParseEnumError| ApiError::Invalid(e.to_string()))?;
        let default_resolution = self.default_resolution.trim().parse().map_err(|_| {
            ApiError::Invalid(format!(
                "the default resolution '{}' is not one Luma renders at (use one of {})",
                self.default_resolution,
                crate::domain::Resolution::ALL
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        Ok(ProjectSettings {
            pricing: PricingTable {
                flash_per_second: credits("Flash credits per second", self.flash_per_second)?,
                standard_per_second: credits(
                    "Standard credits per second",
                    self.standard_per_second,
                )?,
                upscale_4k: credits("the 4K upscale price", self.upscale_4k)?,
                usd_per_second: self.usd_per_second,
            },
            default_mode: self.default_mode,
            default_resolution,
            fps_fallback,
            budget: self.budget.map(|b| credits("the budget", b)).transpose()?,
            ..current
        })
    }
}

/// Which shots a timeline export holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ShotSelection {
    /// Every shot of the project.
    #[default]
    All,
    /// These shots (by id), in shot-list order.
    Ids(Vec<ShotId>),
    /// These shots (by the codes a user typed), in shot-list order.
    Codes(Vec<String>),
}

/// Where a file the user asked for was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Written<T> {
    /// The file.
    pub path: PathBuf,
    /// What it holds.
    pub content: T,
    /// The watched folder it was written into, if it was (Takeboard ignores it there, but
    /// the user should know it sits among the takes).
    pub watched_folder: Option<PathBuf>,
}

/// A written timeline.
pub type TimelineExport = Written<ExportSummary>;

/// Written request bodies: how many.
pub type RequestsExport = Written<usize>;

#[cfg(test)]
mod tests {
    use super::*;

    fn edit() -> SettingsEdit {
        SettingsEdit {
            flash_per_second: 11.0,
            standard_per_second: 32.0,
            upscale_4k: 20.0,
            usd_per_second: 0.0,
            default_mode: RenderMode::Regenerate,
            default_resolution: "1080p".into(),
            fps_fallback: "24".into(),
            budget: None,
        }
    }

    #[test]
    fn a_settings_edit_with_a_resolution_luma_does_not_render_is_refused_by_name() {
        let ok = edit().apply_to(ProjectSettings::default()).unwrap();
        assert_eq!(ok.default_resolution, crate::domain::Resolution::R1080p);
        let bad = SettingsEdit {
            default_resolution: "8k".into(),
            ..edit()
        };
        let err = bad.apply_to(ProjectSettings::default()).unwrap_err();
        assert!(
            err.to_string()
                .contains("'8k' is not one Luma renders at (use one of 540p, 720p, 1080p, 4k)"),
            "{err}"
        );
    }
}
