//! Project settings: pricing table, render defaults, frame-rate fallback, budget and shot-code
//! pattern, stored as JSON in `projects.settings_json`.
//!
//! Owns the value, its defaults, validation and (de)serialisation. What each setting does is
//! up to its reader (`pricing`, `render::body`, ingest); `catalog::projects` stores it. A missing field reads as its default,
//! so older settings keep working as fields are added; malformed JSON is an error, never
//! silently replaced by defaults (that would lose the user's prices and budget).

use crate::domain::{Rate, RenderMode, Resolution};
use crate::pricing::PricingTable;
use serde::{Deserialize, Serialize};

/// Settings that cannot be stored as they are, and why (one sentence for the user).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidSettings(pub String);

/// A project's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProjectSettings {
    /// What Luma charges, as the project believes it.
    pub pricing: PricingTable,
    /// How an approved Flash take is promoted when the user does not say (default regenerate).
    pub default_mode: RenderMode,
    /// Resolution of a promoted render when the user does not say (default `720p`).
    pub default_resolution: Resolution,
    /// Frame rate assumed for a clip whose container does not say (default 24).
    pub fps_fallback: Rate,
    /// Credits the project may spend; approving past it warns, never refuses.
    pub budget: Option<i64>,
    /// A custom shot-code pattern for file names; `None` uses the built-in one.
    pub shot_code_pattern: Option<String>,
}

impl Default for ProjectSettings {
    fn default() -> Self {
        ProjectSettings {
            pricing: PricingTable::default(),
            default_mode: RenderMode::Regenerate,
            default_resolution: Resolution::R720p,
            fps_fallback: Rate { num: 24, den: 1 },
            budget: None,
            shot_code_pattern: None,
        }
    }
}

impl ProjectSettings {
    /// Checks what can be checked without context: no negative price or budget, a usable
    /// fps fallback (the resolution is one Luma renders at by its type).
    pub fn validate(&self) -> Result<(), InvalidSettings> {
        let p = &self.pricing;
        let rates = [
            ("Flash credits per second", p.flash_per_second),
            ("Standard credits per second", p.standard_per_second),
            ("4K upscale credits", p.upscale_4k),
            ("budget", self.budget.unwrap_or(0)),
        ];
        if let Some((what, value)) = rates.iter().find(|(_, v)| *v < 0) {
            return Err(InvalidSettings(format!(
                "the {what} cannot be negative (got {value})"
            )));
        }
        if !(p.usd_per_second.is_finite() && p.usd_per_second >= 0.0) {
            return Err(InvalidSettings(format!(
                "the API price per second must be a number ≥ 0 (got {})",
                p.usd_per_second
            )));
        }
        if Rate::new(self.fps_fallback.num, self.fps_fallback.den) != Some(self.fps_fallback) {
            return Err(InvalidSettings(format!(
                "the fallback frame rate {}/{} must be positive and in lowest terms",
                self.fps_fallback.num, self.fps_fallback.den
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_object_reads_as_the_defaults() {
        let s: ProjectSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(s, ProjectSettings::default());
        assert_eq!(s.pricing.flash_per_second, 11);
        assert_eq!(s.default_resolution, Resolution::R720p);
    }

    #[test]
    fn a_partial_pricing_table_keeps_the_other_defaults() {
        let s: ProjectSettings =
            serde_json::from_str(r#"{"pricing":{"standard_per_second":40},"budget":1000}"#)
                .unwrap();
        assert_eq!(s.pricing.standard_per_second, 40);
        assert_eq!(s.pricing.flash_per_second, 11);
        assert_eq!(s.budget, Some(1000));
    }

    #[test]
    fn negative_prices_and_unknown_resolutions_are_refused() {
        let mut s = ProjectSettings::default();
        s.pricing.flash_per_second = -1;
        assert!(s.validate().unwrap_err().to_string().contains("Flash"));
        let stored = serde_json::from_str::<ProjectSettings>(r#"{"default_resolution":"8k"}"#);
        assert!(stored.unwrap_err().to_string().contains("'8k'"));
    }
}
