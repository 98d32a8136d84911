//! Luma request bodies that promote a take to a Standard render: regenerate, modify, upscale.
//!
//! Pure: from what is known about a take and the project's settings, builds the exact body
//! and endpoint of luma-api.md §4–§7 and §11, the credit estimate, and the list of what was
//! not known. No database, no network: `review` stores the draft as a render request, the
//! outbox in `render` sends `body` to `endpoint` unchanged.

use crate::domain::{Origin, RenderMode, RequestDraft, Resolution, TakeFacts};
use crate::pricing::whole_seconds;
use crate::settings::ProjectSettings;
use serde_json::{json, Map, Value};

/// The Standard model every promotion renders with.
pub const STANDARD_MODEL: &str = "ray-2";
/// The Flash model (what a Flash take's generation used).
pub const FLASH_MODEL: &str = "ray-flash-2";
/// Durations Luma generates, in seconds.
pub const DURATIONS_S: &[i64] = &[5, 9];
/// Aspect ratios Luma generates.
pub const ASPECT_RATIOS: &[&str] = &["1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21"];
/// The modify mode that stays closest to the approved motion.
pub const MODIFY_MODE: &str = "adhere_1";
/// Longest source Luma modifies, in seconds.
pub const MODIFY_MAX_S: i64 = 10;

/// A resolution that cannot be used for the requested render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Not a resolution Luma renders at.
    #[error("'{0}' is not a Luma resolution (use one of 540p, 720p, 1080p, 4k)")]
    UnknownResolution(String),
    /// An upscale goes to 1080p or 4k only.
    #[error("an upscale goes to 1080p or 4k, not {0}; choose one of those, or regenerate at {0}")]
    UpscaleResolution(String),
    /// A modify render keeps its source's resolution; it has no resolution parameter.
    #[error("a modify render keeps the Flash take's resolution ({source_resolution}); to get {requested}, regenerate or upscale instead")]
    ModifyResolution {
        /// The resolution asked for.
        requested: String,
        /// The resolution the modify render will have.
        source_resolution: String,
    },
    /// The estimate does not fit in a credit count (an absurd duration or price).
    #[error("the credit estimate of a {seconds} s render does not fit in a number; check the take's duration and the pricing table in Settings")]
    EstimateTooLarge {
        /// The seconds the request asks for.
        seconds: i64,
    },
}

impl TakeFacts {
    /// The Luma request object the take was generated from, if known.
    fn luma_request(&self) -> Option<&Map<String, Value>> {
        let stored = self.stored_json.as_ref()?.as_object()?;
        match stored.get("request") {
            Some(Value::Object(request)) => Some(request),
            _ => Some(stored),
        }
    }

    fn request_str(&self, key: &str) -> Option<&str> {
        self.luma_request()?
            .get(key)?
            .as_str()
            .filter(|s| !s.trim().is_empty())
    }

    /// The generation's video URL (`assets.video`), known when the whole generation was stored.
    fn video_url(&self) -> Option<&str> {
        self.stored_json
            .as_ref()?
            .get("assets")?
            .get("video")?
            .as_str()
    }

    /// The model that made the take, as Luma spells it.
    fn source_model(&self) -> &str {
        let stored = self.stored_json.as_ref().and_then(|v| v.get("model"));
        stored
            .and_then(Value::as_str)
            .or_else(|| self.request_str("model"))
            .unwrap_or(match self.generation.origin {
                Origin::Flash => FLASH_MODEL,
                Origin::Standard => STANDARD_MODEL,
                Origin::Unknown => "unknown",
            })
    }
}

/// Parses a Luma duration (`"5s"`, `"9s"`, also `"5"`) to whole seconds.
pub fn luma_duration_s(text: &str) -> Option<i64> {
    let t = text.trim();
    let digits = t.strip_suffix('s').unwrap_or(t).trim();
    digits.parse().ok().filter(|s: &i64| *s > 0)
}

/// Parses a resolution as a user or a sidecar spells it (`720p`, ` 4K `).
fn parse_resolution(text: &str) -> Option<Resolution> {
    text.trim().to_ascii_lowercase().parse().ok()
}

/// Builds the request that promotes `take` in `mode`. `resolution` is what the user chose;
/// `None` uses the project default (for an upscale: the default if it is 1080p or 4k, else
/// 4k; for a modify: the source's resolution).
pub fn build_request(
    take: &TakeFacts,
    mode: RenderMode,
    resolution: Option<&str>,
    settings: &ProjectSettings,
) -> Result<RequestDraft, BodyError> {
    let requested = resolution
        .map(|r| {
            parse_resolution(r).ok_or_else(|| BodyError::UnknownResolution(r.trim().to_owned()))
        })
        .transpose()?;
    let mut missing = Vec::new();
    let aspect_ratio = aspect_ratio(take, &mut missing);
    let default = settings.default_resolution;
    let draft = match mode {
        RenderMode::Regenerate => {
            regenerate(take, requested.unwrap_or(default), aspect_ratio, missing)
        }
        RenderMode::Modify => {
            let source = take
                .generation
                .resolution
                .clone()
                .or_else(|| take.request_str("resolution").map(str::to_owned));
            let resolution = match (requested, source.as_deref().map(parse_resolution)) {
                (Some(r), Some(Some(s))) if r != s => {
                    return Err(BodyError::ModifyResolution {
                        requested: r.to_string(),
                        source_resolution: s.to_string(),
                    })
                }
                (_, Some(Some(s))) => s,
                (Some(r), _) => r,
                (None, known) => {
                    missing.push(match known {
                        Some(None) => format!(
                            "resolution: the Flash take's resolution '{}' is not one Luma renders at; recorded as the project default {default}",
                            source.as_deref().unwrap_or_default()
                        ),
                        _ => format!(
                            "resolution: the Flash take's resolution is unknown; recorded as the project default {default}"
                        ),
                    });
                    default
                }
            };
            modify(take, resolution, aspect_ratio, missing)
        }
        RenderMode::Upscale => {
            let resolution = match requested {
                Some(r) if r.is_upscale_target() => r,
                Some(r) => return Err(BodyError::UpscaleResolution(r.to_string())),
                None if default.is_upscale_target() => default,
                None => Resolution::R4k,
            };
            upscale(take, resolution, aspect_ratio, missing)
        }
    };
    let credits_estimate = settings
        .pricing
        .request_credits(mode, draft.resolution, draft.duration_s)
        .ok_or(BodyError::EstimateTooLarge {
            seconds: draft.duration_s,
        })?;
    Ok(RequestDraft {
        credits_estimate,
        ..draft
    })
}

fn regenerate(
    take: &TakeFacts,
    resolution: Resolution,
    aspect_ratio: String,
    mut missing: Vec<String>,
) -> RequestDraft {
    let prompt = prompt(take, &mut missing);
    let duration_s = luma_duration(take, &mut missing);
    let request = take.luma_request();
    if request.is_none() {
        missing.push(
            "keyframes and camera concepts: unknown without a Luma sidecar; none were sent"
                .to_owned(),
        );
    }
    let non_empty = |key: &str| {
        request
            .and_then(|r| r.get(key))
            .filter(|v| match v {
                Value::Object(m) => !m.is_empty(),
                Value::Array(a) => !a.is_empty(),
                _ => false,
            })
            .cloned()
    };
    let keyframes = non_empty("keyframes");
    let concepts = non_empty("concepts");
    let looping = request.and_then(|r| r.get("loop")).and_then(Value::as_bool);

    let mut body = json!({
        "generation_type": "video",
        "model": STANDARD_MODEL,
        "prompt": prompt,
        "aspect_ratio": aspect_ratio,
        "resolution": resolution,
        "duration": format!("{duration_s}s"),
    });
    let fields = body.as_object_mut().expect("a JSON object literal");
    if let Some(looping) = looping {
        fields.insert("loop".into(), Value::Bool(looping));
    }
    if let Some(k) = &keyframes {
        fields.insert("keyframes".into(), k.clone());
    }
    if let Some(c) = &concepts {
        fields.insert("concepts".into(), c.clone());
    }
    RequestDraft {
        mode: RenderMode::Regenerate,
        model: STANDARD_MODEL.to_owned(),
        resolution,
        duration_s,
        aspect_ratio: Some(aspect_ratio),
        prompt: Some(prompt),
        keyframes,
        concepts,
        body,
        endpoint: RenderMode::Regenerate.endpoint(None),
        credits_estimate: 0,
        missing,
    }
}

fn modify(
    take: &TakeFacts,
    resolution: Resolution,
    aspect_ratio: String,
    mut missing: Vec<String>,
) -> RequestDraft {
    let prompt = prompt(take, &mut missing);
    let duration_s = source_seconds(take, &mut missing);
    if duration_s > MODIFY_MAX_S {
        missing.push(format!(
            "length: the take is {duration_s} s; Luma modifies clips up to {MODIFY_MAX_S} s"
        ));
    }
    let mut body = json!({
        "generation_type": "modify_video",
        "model": STANDARD_MODEL,
        "mode": MODIFY_MODE,
        "prompt": prompt,
    });
    match take.video_url() {
        Some(url) => {
            body["media"] = json!({ "url": url });
        }
        None => missing.push(
            "media.url: the Flash take's video URL (the generation's assets.video) is unknown; \
             this request cannot be sent until it is known"
                .to_owned(),
        ),
    }
    RequestDraft {
        mode: RenderMode::Modify,
        model: STANDARD_MODEL.to_owned(),
        resolution,
        duration_s,
        aspect_ratio: Some(aspect_ratio),
        prompt: Some(prompt),
        keyframes: None,
        concepts: None,
        body,
        endpoint: RenderMode::Modify.endpoint(None),
        credits_estimate: 0,
        missing,
    }
}

fn upscale(
    take: &TakeFacts,
    resolution: Resolution,
    aspect_ratio: String,
    mut missing: Vec<String>,
) -> RequestDraft {
    let duration_s = source_seconds(take, &mut missing);
    if take.generation.generation_id.is_none() {
        missing.push(
            "generation id: the Flash take's Luma generation id is unknown; \
             this upscale cannot be sent until it is known"
                .to_owned(),
        );
    }
    RequestDraft {
        mode: RenderMode::Upscale,
        model: take.source_model().to_owned(),
        body: json!({ "generation_type": "upscale_video", "resolution": resolution }),
        resolution,
        duration_s,
        aspect_ratio: Some(aspect_ratio),
        prompt: take
            .request_str("prompt")
            .or(take.generation.prompt.as_deref())
            .map(str::to_owned),
        keyframes: None,
        concepts: None,
        endpoint: RenderMode::Upscale.endpoint(take.generation.generation_id.as_deref()),
        credits_estimate: 0,
        missing,
    }
}

/// The Flash request's prompt; else the prompt ingest recorded (from the file name when
/// there is no sidecar); else the file name itself.
fn prompt(take: &TakeFacts, missing: &mut Vec<String>) -> String {
    if let Some(p) = take.request_str("prompt") {
        return p.to_owned();
    }
    let p = take
        .generation
        .prompt
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| prompt_from_file_name(&take.file_name));
    missing.push(format!(
        "prompt: no Luma sidecar; \"{p}\" was taken from the file name"
    ));
    p
}

/// A last-resort prompt: the file name without extension, separators as spaces.
fn prompt_from_file_name(file_name: &str) -> String {
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem);
    stem.split(['_', '-', ' '])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The Flash request's aspect ratio; else the recorded one; else the frame's shape when it
/// is one of Luma's ratios; else 16:9 (Luma's default).
fn aspect_ratio(take: &TakeFacts, missing: &mut Vec<String>) -> String {
    if let Some(a) = take
        .request_str("aspect_ratio")
        .or(take.generation.aspect_ratio.as_deref())
    {
        return a.to_owned();
    }
    let from_frame = take.width.zip(take.height).and_then(|(w, h)| {
        ASPECT_RATIOS.iter().find(|ratio| {
            let (a, b) = ratio.split_once(':').expect("ratios are a:b");
            let (a, b): (u64, u64) = (a.parse().unwrap_or(0), b.parse().unwrap_or(0));
            u64::from(w) * b == u64::from(h) * a
        })
    });
    match from_frame {
        Some(ratio) => {
            missing.push(format!(
                "aspect ratio: no Luma sidecar; {ratio} was read from the frame size"
            ));
            (*ratio).to_owned()
        }
        None => {
            missing.push(
                "aspect ratio: unknown (no sidecar, frame size not a Luma ratio); 16:9 assumed"
                    .to_owned(),
            );
            "16:9".to_owned()
        }
    }
}

/// Seconds of the source: the file's duration rounded to whole seconds, else the Flash
/// request's duration, else 5.
fn source_seconds(take: &TakeFacts, missing: &mut Vec<String>) -> i64 {
    if let Some(s) = take.duration_s.map(whole_seconds).filter(|s| *s > 0) {
        return s;
    }
    if let Some(s) = take.request_str("duration").and_then(luma_duration_s) {
        return s;
    }
    missing.push("duration: unknown; 5 s assumed".to_owned());
    5
}

/// The duration to ask Luma for: the Flash request's, else the file's rounded to whole
/// seconds; then the nearest duration Luma offers (5 s or 9 s).
fn luma_duration(take: &TakeFacts, missing: &mut Vec<String>) -> i64 {
    let seconds = match take.request_str("duration").and_then(luma_duration_s) {
        Some(s) => s,
        None => {
            let s = source_seconds(take, missing);
            if take.duration_s.is_some() {
                missing.push(format!(
                    "duration: no Luma sidecar; {s} s read from the file"
                ));
            }
            s
        }
    };
    let nearest = *DURATIONS_S
        .iter()
        .min_by_key(|d| (**d - seconds).abs())
        .expect("DURATIONS_S is not empty");
    if nearest != seconds {
        missing.push(format!(
            "duration: Luma generates 5 s or 9 s; {seconds} s requested as {nearest} s"
        ));
    }
    nearest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{GenerationFacts, TakeId};

    fn bare_take() -> TakeFacts {
        TakeFacts {
            take_id: TakeId(1),
            file_name: "SH010_neon_alley_flash.mp4".into(),
            generation: GenerationFacts {
                origin: Origin::Flash,
                ..GenerationFacts::default()
            },
            duration_s: Some(5.041667),
            width: Some(1280),
            height: Some(720),
            stored_json: None,
        }
    }

    #[test]
    fn luma_durations_parse_with_or_without_the_unit() {
        assert_eq!(luma_duration_s("5s"), Some(5));
        assert_eq!(luma_duration_s(" 9 "), Some(9));
        assert_eq!(luma_duration_s("0s"), None);
        assert_eq!(luma_duration_s("five"), None);
    }

    #[test]
    fn upscale_endpoints_name_the_source_generation() {
        assert_eq!(
            RenderMode::Upscale.endpoint(Some("abc")),
            "generations/abc/upscale"
        );
        assert_eq!(
            RenderMode::Upscale.endpoint(None),
            "generations/{id}/upscale"
        );
        assert_eq!(
            RenderMode::Modify.endpoint(None),
            "generations/video/modify"
        );
    }

    #[test]
    fn seven_seconds_is_requested_as_the_nearest_luma_duration() {
        let take = TakeFacts {
            duration_s: Some(7.2),
            ..bare_take()
        };
        let d = build_request(
            &take,
            RenderMode::Regenerate,
            None,
            &ProjectSettings::default(),
        )
        .unwrap();
        assert_eq!(d.duration_s, 5, "7 is as near 5 as 9; the cheaper wins");
        assert!(d.missing.iter().any(|m| m.contains("7 s requested as 5 s")));
    }

    #[test]
    fn a_bare_file_name_gives_the_prompt_and_the_frame_gives_the_ratio() {
        let d = build_request(
            &bare_take(),
            RenderMode::Regenerate,
            None,
            &ProjectSettings::default(),
        )
        .unwrap();
        assert_eq!(d.prompt.as_deref(), Some("SH010 neon alley flash"));
        assert_eq!(d.aspect_ratio.as_deref(), Some("16:9"));
        assert!(d.missing.iter().any(|m| m.contains("frame size")));
    }

    #[test]
    fn resolutions_are_checked_per_mode() {
        let s = ProjectSettings::default();
        let take = bare_take();
        assert_eq!(
            build_request(&take, RenderMode::Regenerate, Some("8k"), &s).unwrap_err(),
            BodyError::UnknownResolution("8k".into())
        );
        assert_eq!(
            build_request(&take, RenderMode::Upscale, Some("720p"), &s).unwrap_err(),
            BodyError::UpscaleResolution("720p".into())
        );
        let upscale = build_request(&take, RenderMode::Upscale, None, &s).unwrap();
        assert_eq!(
            upscale.resolution,
            Resolution::R4k,
            "the 720p default cannot be upscaled to"
        );
        let mut take = take;
        take.generation.resolution = Some("720p".into());
        assert!(matches!(
            build_request(&take, RenderMode::Modify, Some("1080p"), &s),
            Err(BodyError::ModifyResolution { .. })
        ));
        let modify = build_request(&take, RenderMode::Modify, Some("720P"), &s).unwrap();
        assert_eq!(modify.resolution, Resolution::R720p);
    }

    #[test]
    fn a_modify_of_a_take_whose_sidecar_names_an_odd_resolution_records_the_default_and_says_so() {
        let s = ProjectSettings::default();
        let mut take = bare_take();
        take.generation.resolution = Some("banana".into());
        let modify = build_request(&take, RenderMode::Modify, None, &s).unwrap();
        assert_eq!(modify.resolution, Resolution::R720p);
        assert!(
            modify
                .missing
                .iter()
                .any(|m| m.contains("'banana' is not one Luma renders at")),
            "{:?}",
            modify.missing
        );
        assert!(
            modify.body.get("resolution").is_none(),
            "a modify sends no resolution"
        );
    }
}
