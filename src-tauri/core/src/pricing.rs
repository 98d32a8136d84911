//! Credit arithmetic: the pricing table (project data) and estimates per take, request, shot and project.
//!
//! The table is data kept in the project settings (`settings::ProjectSettings::pricing`),
//! never a constant in code: Luma's prices move. This module only multiplies, with checked
//! arithmetic (a total that does not fit is an error, never a wrapped number), over what
//! the catalog recorded (`catalog::spend`); which seconds and which mode a request has is
//! decided by `render::body`.

use crate::domain::{Origin, RenderMode, Resolution, ShotId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What Luma charges, as the project believes it. Credits are whole numbers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PricingTable {
    /// Ray2 Flash, credits per second of video (default 11).
    pub flash_per_second: i64,
    /// Ray2 Standard, credits per second of video (default 32).
    pub standard_per_second: i64,
    /// A 4K upscale, credits per clip (default 20). The only upscale price known, so a
    /// 1080p upscale is estimated at it too (an upper bound).
    pub upscale_4k: i64,
    /// The API's money price, US dollars per second of Standard video (default about 0.08).
    pub usd_per_second: f64,
}

impl Default for PricingTable {
    fn default() -> Self {
        PricingTable {
            flash_per_second: 11,
            standard_per_second: 32,
            upscale_4k: 20,
            usd_per_second: 0.08,
        }
    }
}

impl PricingTable {
    /// What a take of `seconds` cost to generate: Flash and Standard at their rates; `None`
    /// for a take whose model is unknown, or whose cost does not fit in a credit count.
    pub fn take_credits(&self, origin: Origin, seconds: i64) -> Option<i64> {
        match origin {
            Origin::Flash => self.flash_per_second.checked_mul(seconds),
            Origin::Standard => self.standard_per_second.checked_mul(seconds),
            Origin::Unknown => None,
        }
    }

    /// The estimate of a render request: Standard rate × requested seconds, plus the 4K
    /// upscale price when it renders at `4k`; an upscale request costs the upscale price.
    /// `None` when the estimate does not fit in a credit count.
    pub fn request_credits(
        &self,
        mode: RenderMode,
        resolution: Resolution,
        seconds: i64,
    ) -> Option<i64> {
        match mode {
            RenderMode::Upscale => Some(self.upscale_4k),
            RenderMode::Regenerate | RenderMode::Modify => {
                let upscale = if resolution == Resolution::R4k {
                    self.upscale_4k
                } else {
                    0
                };
                self.standard_per_second
                    .checked_mul(seconds)
                    .and_then(|c| c.checked_add(upscale))
            }
        }
    }

    /// The API's money price of `seconds` of Standard video, in US dollars (approximate).
    pub fn usd(&self, seconds: i64) -> f64 {
        self.usd_per_second * seconds as f64
    }
}

/// Seconds as Luma bills them: a clip's measured duration rounded to whole seconds
/// (a 5.041667 s clip of 121 frames at 24 fps is a 5 s generation). Never negative.
pub fn whole_seconds(duration_s: f64) -> i64 {
    if duration_s.is_finite() && duration_s > 0.0 {
        // `as` saturates: a duration past i64 (never probed) stays a huge, checked number.
        duration_s.round() as i64
    } else {
        0
    }
}

/// Credits of one shot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShotCredits {
    /// The shot.
    pub shot_id: ShotId,
    /// Credits spent on its takes (Flash and Standard; takes of unknown model not counted).
    pub spent: i64,
    /// Estimates of its render requests not yet completed (queued, submitted, unknown).
    pub pending: i64,
}

/// Credits of a project: totals, budget and the per-shot breakdown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreditsReport {
    /// Credits spent on the project's takes.
    pub spent: i64,
    /// Estimates of render requests not yet completed.
    pub pending: i64,
    /// The same pending requests at the API's money price, US dollars (upscales not
    /// included: their money price is not in the table).
    pub pending_usd: f64,
    /// The project's budget in credits, if one is set.
    pub budget: Option<i64>,
    /// True when spent + pending is past the budget.
    pub over_budget: bool,
    /// Every shot of the project in shot-list order, zeros included.
    pub per_shot: Vec<ShotCredits>,
}

/// What a project has spent and has pending, as recorded: the input of [`credits_report`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpendRecord {
    /// Every shot of the project, in shot-list order.
    pub shots: Vec<ShotId>,
    /// Each take with a measured duration: its shot, its model, its seconds.
    pub takes: Vec<(ShotId, Origin, f64)>,
    /// Each render request not yet completed (queued, submitted, unknown, exported).
    pub pending: Vec<PendingRequest>,
}

/// A render request not yet completed, as priced.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingRequest {
    /// Its shot.
    pub shot_id: ShotId,
    /// How it promotes its take (`None` when the stored mode is not one this build knows).
    pub mode: Option<RenderMode>,
    /// Requested seconds.
    pub duration_s: i64,
    /// Its credit estimate.
    pub credits_estimate: i64,
}

/// A credit total that does not fit in a number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the credit total does not fit in a number ({0} + {1}); check the pricing table in Settings"
)]
pub struct CreditOverflow(i64, i64);

/// The credits report of a project: `record` priced with `table`, against `budget`.
pub fn credits_report(
    table: &PricingTable,
    budget: Option<i64>,
    record: &SpendRecord,
) -> Result<CreditsReport, CreditOverflow> {
    let mut per_shot: BTreeMap<ShotId, ShotCredits> = record
        .shots
        .iter()
        .map(|&shot_id| {
            let zero = ShotCredits {
                shot_id,
                spent: 0,
                pending: 0,
            };
            (shot_id, zero)
        })
        .collect();
    for &(shot_id, origin, duration_s) in &record.takes {
        if let (Some(cost), Some(shot)) = (
            table.take_credits(origin, whole_seconds(duration_s)),
            per_shot.get_mut(&shot_id),
        ) {
            shot.spent = add(shot.spent, cost)?;
        }
    }
    let mut pending_usd = 0.0;
    for request in &record.pending {
        if request.mode != Some(RenderMode::Upscale) {
            pending_usd += table.usd(request.duration_s);
        }
        if let Some(shot) = per_shot.get_mut(&request.shot_id) {
            shot.pending = add(shot.pending, request.credits_estimate)?;
        }
    }

    let per_shot: Vec<ShotCredits> = record
        .shots
        .iter()
        .filter_map(|id| per_shot.remove(id))
        .collect();
    let spent = per_shot.iter().try_fold(0, |sum, s| add(sum, s.spent))?;
    let pending = per_shot.iter().try_fold(0, |sum, s| add(sum, s.pending))?;
    Ok(CreditsReport {
        spent,
        pending,
        pending_usd,
        budget,
        over_budget: budget.is_some_and(|b| add(spent, pending).map_or(true, |t| t > b)),
        per_shot,
    })
}

/// Adds credit counts, refusing a total that does not fit instead of wrapping it.
fn add(a: i64, b: i64) -> Result<i64, CreditOverflow> {
    a.checked_add(b).ok_or(CreditOverflow(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_five_second_flash_take_costs_55_and_its_standard_render_160() {
        let t = PricingTable::default();
        assert_eq!(
            t.take_credits(Origin::Flash, whole_seconds(5.041667)),
            Some(55)
        );
        assert_eq!(
            t.request_credits(RenderMode::Regenerate, Resolution::R720p, 5),
            Some(160)
        );
        assert_eq!(
            t.request_credits(RenderMode::Modify, Resolution::R720p, 5),
            Some(160)
        );
    }

    #[test]
    fn four_k_adds_the_upscale_price_per_clip() {
        let t = PricingTable::default();
        assert_eq!(
            t.request_credits(RenderMode::Regenerate, Resolution::R4k, 5),
            Some(180)
        );
        assert_eq!(
            t.request_credits(RenderMode::Upscale, Resolution::R4k, 5),
            Some(20)
        );
        assert_eq!(
            t.take_credits(Origin::Flash, 5).unwrap() + t.upscale_4k,
            75,
            "luma-api.md §10: 5 s Flash + 4K upscale = 75"
        );
    }

    #[test]
    fn unknown_models_and_odd_durations_are_not_guessed() {
        let t = PricingTable::default();
        assert_eq!(t.take_credits(Origin::Unknown, 5), None);
        assert_eq!(whole_seconds(f64::NAN), 0);
        assert_eq!(whole_seconds(-3.0), 0);
        assert_eq!(whole_seconds(8.6), 9);
        assert!((t.usd(5) - 0.40).abs() < 1e-9, "ray-2 5 s ≈ $0.40");
    }

    #[test]
    fn absurd_durations_and_prices_give_no_number_instead_of_a_wrapped_one() {
        let t = PricingTable::default();
        let forever = whole_seconds(1e30);
        assert_eq!(forever, i64::MAX, "a float past i64 saturates");
        assert_eq!(t.take_credits(Origin::Flash, forever), None);
        assert_eq!(
            t.request_credits(RenderMode::Regenerate, Resolution::R4k, forever),
            None
        );
        let greedy = PricingTable {
            upscale_4k: i64::MAX,
            ..t
        };
        assert_eq!(
            greedy.request_credits(RenderMode::Regenerate, Resolution::R4k, 5),
            None
        );
        assert!(add(i64::MAX, 1).is_err());
    }
}
