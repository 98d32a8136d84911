//! The Luma Dream Machine HTTP client: create, get, list generations and download their
//! video assets.
//!
//! Owns the wire: URLs, the Bearer key, timeouts, and turning every HTTP status and
//! transport failure into a [`LumaError`] that says whether the request can have reached
//! Luma. It knows nothing about the catalog; deciding what an error means for a render
//! request (retry, fail, ask the user) is `render::outbox`'s job.
//!
//! A create always travels on a fresh connection (`Connection: close`, no pooling): a
//! pooled socket the server already closed would fail *after* the request was written and
//! turn an innocent send into an "outcome unknown".

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

/// Luma's production API root.
pub const DEFAULT_BASE_URL: &str = "https://api.lumalabs.ai/dream-machine/v1";

/// Environment variable holding the API key; it wins over a key saved in settings.
pub const API_KEY_ENV: &str = "LUMA_API_KEY";

/// Environment variable overriding [`DEFAULT_BASE_URL`] (a proxy, or a local stand-in).
pub const BASE_URL_ENV: &str = "LUMA_API_BASE_URL";

/// Longest error detail kept from a response body, in bytes.
const MAX_DETAIL: usize = 500;

/// Everything a Luma call can end in, classified by what it means for money.
#[derive(Debug, thiserror::Error)]
pub enum LumaError {
    /// 401/403: the API key is missing, wrong or revoked. Nothing was created.
    #[error("Luma refused the API key ({detail}); check the key in settings or LUMA_API_KEY")]
    Unauthorized {
        /// Luma's `detail` text.
        detail: String,
    },
    /// 400 and 422: the request itself is wrong (validation). Nothing was created; sending
    /// it again would be refused again. Other 4xx statuses prove nothing and are
    /// [`LumaError::BadResponse`].
    #[error("Luma rejected the request (HTTP {status}): {detail}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// Luma's `detail` text.
        detail: String,
    },
    /// 409: Luma reports a conflict with existing state (undocumented for v1).
    #[error("Luma reported a conflict (HTTP 409): {detail}")]
    Conflict {
        /// Luma's `detail` text.
        detail: String,
    },
    /// 429: too many requests. Nothing was created.
    #[error("Luma is rate limiting requests (HTTP 429): {detail}")]
    RateLimited {
        /// The `Retry-After` delay when Luma sent one in seconds.
        retry_after: Option<Duration>,
        /// Luma's `detail` text.
        detail: String,
    },
    /// 5xx: Luma failed to handle the request.
    #[error("Luma had a server error (HTTP {status}): {detail}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// Luma's `detail` text.
        detail: String,
    },
    /// The connection was open but no complete answer came in time. For a create, Luma
    /// may have accepted (and charged) it.
    #[error("Luma did not answer in time ({detail})")]
    Timeout {
        /// Which phase timed out.
        detail: String,
    },
    /// The connection failed. `sent == false`: it failed before any byte of the request
    /// left (refused, DNS, connect timeout, TLS), so Luma certainly did not see it.
    /// `sent == true`: it broke after the request was written, so the outcome is unknown.
    #[error("{}", if *sent {
        format!("the connection to Luma broke after the request was sent ({detail})")
    } else {
        format!("could not reach Luma ({detail}); nothing was sent")
    })]
    ConnectionLost {
        /// Whether the request may have reached Luma.
        sent: bool,
        /// The transport error.
        detail: String,
    },
    /// A video asset could not be fetched completely (refused by the CDN, an expired link,
    /// or the transfer stopped). Nothing is charged for fetching again.
    #[error("the video download failed ({detail})")]
    Download {
        /// What went wrong.
        detail: String,
    },
    /// Luma answered, but not with something usable (not JSON, no generation id, an
    /// unexpected status). For a create, the generation may exist.
    #[error("Luma sent an answer Takeboard cannot read (HTTP {status}): {detail}")]
    BadResponse {
        /// The HTTP status.
        status: u16,
        /// What was wrong.
        detail: String,
    },
    /// The request cannot be built (unsupported `generation_type`, an upscale without a
    /// source generation id, an id with characters Luma never uses). Nothing was sent.
    #[error("cannot send this request to Luma: {0}")]
    InvalidRequest(String),
    /// A local file could not be written while downloading.
    #[error("cannot write the downloaded video: {0}")]
    Io(#[from] std::io::Error),
}

/// Connection and request time limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Opening the connection (DNS, TCP, TLS).
    pub connect: Duration,
    /// A whole API call; for downloads, the longest wait for the next bytes.
    pub request: Duration,
}

impl Default for Timeouts {
    /// Luma's SDK defaults: 5 s to connect, 60 s per request.
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(60),
        }
    }
}

/// Where a create request goes, derived from the body's `generation_type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateEndpoint {
    /// `POST /generations/video` (text/image to video, extend, interpolate, regenerate).
    Video,
    /// `POST /generations/video/modify` (`generation_type: "modify_video"`).
    Modify,
    /// `POST /generations/{id}/upscale` (`generation_type: "upscale_video"`).
    Upscale {
        /// The generation being upscaled.
        generation_id: String,
    },
}

impl CreateEndpoint {
    /// The endpoint for `body`. `source_generation_id` is the Luma id of the take the
    /// request was made from; only an upscale needs it (the id is in the path, not the body).
    pub fn for_body(
        body: &Value,
        source_generation_id: Option<&str>,
    ) -> Result<CreateEndpoint, LumaError> {
        match body.get("generation_type").and_then(Value::as_str) {
            None | Some("video") => Ok(CreateEndpoint::Video),
            Some("modify_video") => Ok(CreateEndpoint::Modify),
            Some("upscale_video") => match source_generation_id {
                Some(id) => Ok(CreateEndpoint::Upscale {
                    generation_id: checked_id(id)?.to_owned(),
                }),
                None => Err(LumaError::InvalidRequest(
                    "an upscale needs the Luma generation id of its source take, and that take has none".to_owned(),
                )),
            },
            Some(other) => Err(LumaError::InvalidRequest(format!(
                "Takeboard does not send '{other}' requests"
            ))),
        }
    }

    /// The path below the base URL.
    fn path(&self) -> String {
        match self {
            CreateEndpoint::Video => "/generations/video".to_owned(),
            CreateEndpoint::Modify => "/generations/video/modify".to_owned(),
            CreateEndpoint::Upscale { generation_id } => {
                format!("/generations/{}/upscale", encode_segment(generation_id))
            }
        }
    }
}

/// A generation's state as Luma spells it; anything new is kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenerationState {
    /// Waiting to start.
    Queued,
    /// Being generated.
    Dreaming,
    /// Done; `assets.video` holds the result.
    Completed,
    /// Luma gave up; `failure_reason` says why (failed jobs are refunded).
    Failed,
    /// A state this build does not know.
    Other(String),
}

impl GenerationState {
    fn parse(text: &str) -> GenerationState {
        match text {
            "queued" => GenerationState::Queued,
            "dreaming" => GenerationState::Dreaming,
            "completed" => GenerationState::Completed,
            "failed" => GenerationState::Failed,
            other => GenerationState::Other(other.to_owned()),
        }
    }
}

/// A Luma generation object, read leniently: a field of the wrong type reads as absent,
/// unknown fields are kept in [`Generation::raw`] (luma-api.md §12).
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// The generation id (a UUID).
    pub id: Option<String>,
    /// Where the generation is.
    pub state: Option<GenerationState>,
    /// Why it failed, when it did.
    pub failure_reason: Option<String>,
    /// RFC 3339 creation time.
    pub created_at: Option<String>,
    /// `video` or `image`.
    pub generation_type: Option<String>,
    /// The model (`ray-2`, `ray-flash-2`…); falls back to `request.model`.
    pub model: Option<String>,
    /// `assets.video`: the finished clip's URL.
    pub video_url: Option<String>,
    /// The echoed request body, raw.
    pub request: Option<Value>,
    /// The whole object exactly as Luma sent it (what a sidecar stores).
    pub raw: Value,
}

impl Generation {
    /// Reads a generation object; never fails (missing or mistyped fields are `None`).
    pub fn from_json(raw: Value) -> Generation {
        let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        let request = raw.get("request").filter(|r| r.is_object()).cloned();
        Generation {
            id: text(&raw, "id"),
            state: text(&raw, "state").map(|s| GenerationState::parse(&s)),
            failure_reason: text(&raw, "failure_reason"),
            created_at: text(&raw, "created_at"),
            generation_type: text(&raw, "generation_type"),
            model: text(&raw, "model").or_else(|| request.as_ref().and_then(|r| text(r, "model"))),
            video_url: raw.get("assets").and_then(|a| text(a, "video")),
            request,
            raw,
        }
    }
}

/// One page of `GET /generations`.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationPage {
    /// The generations on this page (order undocumented).
    pub generations: Vec<Generation>,
    /// Whether another page follows.
    pub has_more: bool,
}

/// A Luma API client. Cheap to share by reference; holds connection pools.
pub struct LumaClient {
    base_url: String,
    api_key: String,
    timeouts: Timeouts,
    /// Pooled agent for reads (get, list).
    reads: ureq::Agent,
    /// Unpooled agent for creates: every create on a fresh connection.
    creates: ureq::Agent,
    /// Agent for asset downloads: a per-read limit instead of a whole-call limit.
    downloads: ureq::Agent,
}

impl std::fmt::Debug for LumaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LumaClient")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .field("timeouts", &self.timeouts)
            .finish()
    }
}

impl LumaClient {
    /// A client for Luma's production API with the default [`Timeouts`].
    pub fn new(api_key: impl Into<String>) -> LumaClient {
        LumaClient::build(
            DEFAULT_BASE_URL.to_owned(),
            api_key.into(),
            Timeouts::default(),
        )
    }

    /// A client whose key comes from `LUMA_API_KEY`, else from `saved_key` (settings);
    /// `None` when neither holds a non-blank key. `LUMA_API_BASE_URL` overrides the base URL.
    pub fn from_env(saved_key: Option<&str>) -> Option<LumaClient> {
        let key = std::env::var(API_KEY_ENV)
            .ok()
            .filter(|k| !k.trim().is_empty())
            .or_else(|| {
                saved_key
                    .filter(|k| !k.trim().is_empty())
                    .map(str::to_owned)
            })?;
        let client = LumaClient::new(key.trim());
        Some(match std::env::var(BASE_URL_ENV) {
            Ok(url) if !url.trim().is_empty() => client.with_base_url(url.trim()),
            _ => client,
        })
    }

    /// The same client talking to another API root (e.g. a local stand-in).
    pub fn with_base_url(self, base_url: &str) -> LumaClient {
        LumaClient::build(
            base_url.trim_end_matches('/').to_owned(),
            self.api_key,
            self.timeouts,
        )
    }

    /// The same client with other time limits.
    pub fn with_timeouts(self, timeouts: Timeouts) -> LumaClient {
        LumaClient::build(self.base_url, self.api_key, timeouts)
    }

    fn build(base_url: String, api_key: String, timeouts: Timeouts) -> LumaClient {
        let config = || {
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_connect(Some(timeouts.connect))
        };
        LumaClient {
            reads: config()
                .timeout_global(Some(timeouts.request))
                .build()
                .into(),
            creates: config()
                .timeout_global(Some(timeouts.request))
                .max_idle_connections(0)
                .build()
                .into(),
            downloads: config()
                .timeout_per_read(Some(timeouts.request))
                .build()
                .into(),
            base_url,
            api_key,
            timeouts,
        }
    }

    /// The API root this client talks to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.api_key)
    }

    /// Creates a generation: one paid execution when it succeeds. The returned generation
    /// always has an id; a success answer without one is [`LumaError::BadResponse`].
    pub fn create(&self, endpoint: &CreateEndpoint, body: &Value) -> Result<Generation, LumaError> {
        let url = format!("{}{}", self.base_url, endpoint.path());
        let response = self
            .creates
            .post(&url)
            .header("Authorization", self.auth())
            .header("Connection", "close")
            .send_json(body)
            .map_err(transport_error)?;
        generation_with_id(read_json(response)?)
    }

    /// Fetches one generation (for polling).
    pub fn get(&self, generation_id: &str) -> Result<Generation, LumaError> {
        let url = format!(
            "{}/generations/{}",
            self.base_url,
            encode_segment(checked_id(generation_id)?)
        );
        let response = self
            .reads
            .get(&url)
            .header("Authorization", self.auth())
            .call()
            .map_err(transport_error)?;
        generation_with_id(read_json(response)?)
    }

    /// Lists generations, `limit` per page starting at `offset` (sort order undocumented).
    pub fn list(&self, limit: u32, offset: u32) -> Result<GenerationPage, LumaError> {
        let url = format!("{}/generations", self.base_url);
        let response = self
            .reads
            .get(&url)
            .header("Authorization", self.auth())
            .query("limit", limit.to_string())
            .query("offset", offset.to_string())
            .call()
            .map_err(transport_error)?;
        let page = read_json(response)?;
        let generations = page
            .get("generations")
            .and_then(Value::as_array)
            .ok_or_else(|| LumaError::BadResponse {
                status: 200,
                detail: "the list has no 'generations' array".to_owned(),
            })?
            .iter()
            .cloned()
            .map(Generation::from_json)
            .collect();
        Ok(GenerationPage {
            generations,
            has_more: page
                .get("has_more")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }

    /// Streams the asset at `url` into `dest` (created or truncated, synced to disk) and
    /// returns its size. Asset URLs are public CDN links: the API key is never sent there.
    pub fn download(&self, url: &str, dest: &Path) -> Result<u64, LumaError> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(LumaError::InvalidRequest(format!(
                "the video URL '{url}' is not an http(s) address"
            )));
        }
        let response = self.downloads.get(url).call().map_err(transport_error)?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(LumaError::Download {
                detail: format!("the server answered HTTP {status}"),
            });
        }
        let mut reader = response.into_body().into_reader();
        let mut file = std::fs::File::create(dest)?;
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(LumaError::Download {
                        detail: format!("stopped after {total} bytes: {e}"),
                    })
                }
            };
            file.write_all(&buf[..n])?;
            total += n as u64;
        }
        file.sync_all()?;
        Ok(total)
    }
}

/// Characters left as-is in a path segment; everything else is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_');

fn encode_segment(id: &str) -> String {
    utf8_percent_encode(id, SEGMENT).to_string()
}

/// Whether `id` can be a Luma generation id (UUID-like: 1–64 of `[A-Za-z0-9_-]`). Ids may
/// come from sidecar files, so anything else is refused before it reaches a URL.
pub fn is_generation_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn checked_id(id: &str) -> Result<&str, LumaError> {
    if is_generation_id(id) {
        Ok(id)
    } else {
        Err(LumaError::InvalidRequest(format!(
            "'{id}' is not a Luma generation id"
        )))
    }
}

fn generation_with_id(raw: Value) -> Result<Generation, LumaError> {
    let generation = Generation::from_json(raw);
    if generation.id.is_none() {
        return Err(LumaError::BadResponse {
            status: 200,
            detail: "the generation has no id".to_owned(),
        });
    }
    Ok(generation)
}

/// Reads a response: a 2xx JSON body, or the error its status means.
fn read_json(response: ureq::http::Response<ureq::Body>) -> Result<Value, LumaError> {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = response
        .into_body()
        .read_to_string()
        .map_err(|e| match transport_error(e) {
            // The status line arrived, so the request certainly reached Luma.
            LumaError::ConnectionLost { detail, .. } => {
                LumaError::ConnectionLost { sent: true, detail }
            }
            other => other,
        })?;
    if !(200..300).contains(&status) {
        return Err(status_error(status, retry_after, body));
    }
    serde_json::from_str(&body).map_err(|e| LumaError::BadResponse {
        status,
        detail: format!("not JSON ({e})"),
    })
}

/// The `detail` of an error body (`{"detail": "…"}` or FastAPI's list), else the text.
fn detail_of(body: &str) -> String {
    let detail = match serde_json::from_str::<Value>(body) {
        Ok(v) => match v.get("detail") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => body.trim().to_owned(),
        },
        Err(_) => body.trim().to_owned(),
    };
    if detail.is_empty() {
        return "no detail given".to_owned();
    }
    let mut end = detail.len().min(MAX_DETAIL);
    while !detail.is_char_boundary(end) {
        end -= 1;
    }
    detail[..end].to_owned()
}

fn status_error(status: u16, retry_after: Option<Duration>, body: String) -> LumaError {
    let detail = detail_of(&body);
    match status {
        401 | 403 => LumaError::Unauthorized { detail },
        409 => LumaError::Conflict { detail },
        429 => LumaError::RateLimited {
            retry_after,
            detail,
        },
        400 | 422 => LumaError::Rejected { status, detail },
        500..=599 => LumaError::Server { status, detail },
        _ => LumaError::BadResponse {
            status,
            detail: format!("unexpected status: {detail}"),
        },
    }
}

/// Classifies a transport failure by whether the request can have left this machine.
fn transport_error(e: ureq::Error) -> LumaError {
    use std::io::ErrorKind as K;
    let detail = e.to_string();
    match e {
        ureq::Error::Timeout(ureq::Timeout::Resolve | ureq::Timeout::Connect)
        | ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::BadUri(_)
        | ureq::Error::Tls(_)
        | ureq::Error::Rustls(_)
        | ureq::Error::TlsRequired => LumaError::ConnectionLost {
            sent: false,
            detail,
        },
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                K::ConnectionRefused
                    | K::AddrNotAvailable
                    | K::NetworkUnreachable
                    | K::HostUnreachable
            ) =>
        {
            LumaError::ConnectionLost {
                sent: false,
                detail,
            }
        }
        ureq::Error::Timeout(_) => LumaError::Timeout { detail },
        _ => LumaError::ConnectionLost { sent: true, detail },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn endpoints_follow_the_generation_type() {
        let video = json!({"model": "ray-2", "prompt": "a fox"});
        assert_eq!(
            CreateEndpoint::for_body(&video, None).unwrap().path(),
            "/generations/video"
        );
        let modify = json!({"generation_type": "modify_video", "mode": "adhere_1"});
        assert_eq!(
            CreateEndpoint::for_body(&modify, None).unwrap().path(),
            "/generations/video/modify"
        );
        let upscale = json!({"generation_type": "upscale_video", "resolution": "4k"});
        assert_eq!(
            CreateEndpoint::for_body(&upscale, Some("0b66-aa"))
                .unwrap()
                .path(),
            "/generations/0b66-aa/upscale"
        );
    }

    #[test]
    fn an_upscale_without_a_source_id_or_with_a_hostile_id_is_refused() {
        let upscale = json!({"generation_type": "upscale_video"});
        let missing = CreateEndpoint::for_body(&upscale, None).unwrap_err();
        assert!(missing.to_string().contains("generation id"), "{missing}");
        let hostile = CreateEndpoint::for_body(&upscale, Some("../credits")).unwrap_err();
        assert!(
            hostile.to_string().contains("not a Luma generation id"),
            "{hostile}"
        );
        let audio = CreateEndpoint::for_body(&json!({"generation_type": "add_audio"}), None);
        assert!(matches!(audio, Err(LumaError::InvalidRequest(_))));
    }

    #[test]
    fn generations_are_read_leniently() {
        let g = Generation::from_json(json!({
            "id": "abc", "state": "dreaming_harder", "assets": {"video": 42},
            "request": {"model": "ray-flash-2"}, "version": "v1.6"
        }));
        assert_eq!(g.id.as_deref(), Some("abc"));
        assert_eq!(
            g.state,
            Some(GenerationState::Other("dreaming_harder".to_owned()))
        );
        assert_eq!(g.video_url, None, "a mistyped field reads as absent");
        assert_eq!(
            g.model.as_deref(),
            Some("ray-flash-2"),
            "model falls back to the request"
        );
        assert_eq!(g.raw["version"], "v1.6", "unknown fields are kept");
        assert_eq!(Generation::from_json(json!([1, 2])).id, None);
    }

    #[test]
    fn error_details_are_read_from_luma_and_fastapi_bodies() {
        assert_eq!(detail_of(r#"{"detail":"bad prompt"}"#), "bad prompt");
        assert_eq!(
            detail_of(r#"{"detail":[{"msg":"field required"}]}"#),
            r#"[{"msg":"field required"}]"#
        );
        assert_eq!(detail_of("<html>oops</html>"), "<html>oops</html>");
        assert_eq!(detail_of(""), "no detail given");
        assert_eq!(detail_of(&"é".repeat(400)).len(), MAX_DETAIL);
    }

    #[test]
    fn statuses_map_to_what_they_mean_for_money() {
        assert!(matches!(
            status_error(401, None, String::new()),
            LumaError::Unauthorized { .. }
        ));
        assert!(matches!(
            status_error(422, None, String::new()),
            LumaError::Rejected { status: 422, .. }
        ));
        assert!(matches!(
            status_error(409, None, String::new()),
            LumaError::Conflict { .. }
        ));
        assert!(matches!(
            status_error(429, Some(Duration::from_secs(3)), String::new()),
            LumaError::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(3)
        ));
        assert!(matches!(
            status_error(503, None, String::new()),
            LumaError::Server { status: 503, .. }
        ));
    }

    #[test]
    fn the_api_key_never_appears_in_debug_output() {
        let client = LumaClient::new("sk-secret-123");
        assert!(!format!("{client:?}").contains("sk-secret-123"));
    }
}
