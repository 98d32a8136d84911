//! A local stand-in for the Luma Dream Machine API: the subset Takeboard uses, with
//! scriptable faults, counting every paid execution.
//!
//! Speaks `POST /generations/video`, `/generations/video/modify`, `/generations/{id}/upscale`,
//! `GET /generations/{id}`, `GET /generations` below `/dream-machine/v1`, and serves each
//! generation's video at `/cdn/{id}.mp4` (no auth, like Luma's CDN). Every API route checks
//! the Bearer key. Faults are queued per route and used once each, in order.
//!
//! A create counts as **paid** when the stand-in executed it: answered normally, or with a
//! [`Fault::Delay`], [`Fault::CutAfterRead`] or [`Fault::StatusAfterWork`] (Luma made the
//! generation, the client never heard of it). A create answered with a [`Fault::Status`] was refused and is not paid.
//!
//! tiny_http closes a connection only when the client asked for it (`Connection: close`),
//! which the Luma client does for every create; so [`Fault::CutAfterRead`] cuts creates.

use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The API root below the server address.
const API_ROOT: &str = "/dream-machine/v1";

/// A route of the stand-in, for scripting faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// Any create (video, modify, upscale).
    Create,
    /// `GET /generations/{id}`.
    Get,
    /// `GET /generations`.
    List,
    /// The video asset download.
    Asset,
}

/// One scripted misbehaviour.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status and `{"detail": …}` (and `Retry-After` when given).
    Status {
        /// HTTP status.
        code: u16,
        /// The `detail` text.
        detail: String,
        /// `Retry-After` in seconds.
        retry_after: Option<u64>,
    },
    /// Do the work, but answer only after this delay (past the client's timeout).
    Delay(Duration),
    /// Read the request, do the work, and close the connection without answering.
    CutAfterRead,
    /// Do the work, then answer with this status (a gateway failing after Luma made the
    /// generation): paid, though the client hears an error.
    StatusAfterWork(u16),
}

impl Fault {
    /// A status fault without `Retry-After`.
    pub fn status(code: u16, detail: &str) -> Fault {
        Fault::Status {
            code,
            detail: detail.to_owned(),
            retry_after: None,
        }
    }
}

/// A create the stand-in executed (a paid execution).
#[derive(Debug, Clone)]
pub struct PaidCreate {
    /// The path it was sent to, below the API root.
    pub path: String,
    /// The body received.
    pub body: Value,
    /// The generation it made.
    pub generation_id: String,
}

type CreateHook = Box<dyn Fn(&Value) + Send>;

#[derive(Default)]
struct State {
    faults: HashMap<Route, VecDeque<Fault>>,
    create_attempts: usize,
    paid: Vec<PaidCreate>,
    generations: Vec<Value>,
    on_create: Option<CreateHook>,
    /// Videos set with [`LumaStandIn::serve_video`], by generation id.
    videos: HashMap<String, Vec<u8>>,
}

/// Stopping flag that wakes delayed handlers at once.
type Stop = Arc<(Mutex<bool>, Condvar)>;

/// A running stand-in; stops (and joins its threads) on drop.
pub struct LumaStandIn {
    server: Arc<tiny_http::Server>,
    state: Arc<Mutex<State>>,
    stop: Stop,
    origin: String,
    accept: Option<JoinHandle<()>>,
    handlers: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl LumaStandIn {
    /// Starts on 127.0.0.1 (a free port), accepting `api_key`.
    pub fn start(api_key: &str) -> LumaStandIn {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind stand-in"));
        let addr = server.server_addr().to_ip().expect("an IP address");
        let origin = format!("http://{addr}");
        let state = Arc::new(Mutex::new(State::default()));
        let stop: Stop = Arc::new((Mutex::new(false), Condvar::new()));
        let handlers = Arc::new(Mutex::new(Vec::new()));
        let accept = {
            let (server, state, stop, handlers) = (
                server.clone(),
                state.clone(),
                stop.clone(),
                handlers.clone(),
            );
            let expected_auth = format!("Bearer {api_key}");
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    let (state, stop, auth) = (state.clone(), stop.clone(), expected_auth.clone());
                    let handle = std::thread::spawn(move || {
                        handle(request, &state, &stop, &auth);
                    });
                    handlers.lock().unwrap().push(handle);
                }
            })
        };
        LumaStandIn {
            server,
            state,
            stop,
            origin,
            accept: Some(accept),
            handlers,
        }
    }

    /// The API base URL to give the client.
    pub fn base_url(&self) -> String {
        format!("{}{API_ROOT}", self.origin)
    }

    /// Queues a fault for the next request on `route`.
    pub fn push_fault(&self, route: Route, fault: Fault) {
        let mut state = self.state.lock().unwrap();
        state.faults.entry(route).or_default().push_back(fault);
    }

    /// Runs `hook` with the body of every create, before it is executed or refused.
    pub fn on_create(&self, hook: impl Fn(&Value) + Send + 'static) {
        self.state.lock().unwrap().on_create = Some(Box::new(hook));
    }

    /// The creates executed so far (the paid executions), in arrival order.
    pub fn paid_creates(&self) -> Vec<PaidCreate> {
        self.state.lock().unwrap().paid.clone()
    }

    /// Every create request received, refused or not.
    pub fn create_attempts(&self) -> usize {
        self.state.lock().unwrap().create_attempts
    }

    /// Finishes a generation: `completed` with its video URL.
    pub fn complete(&self, generation_id: &str) {
        let url = format!("{}/cdn/{generation_id}.mp4", self.origin);
        self.update(generation_id, |g| {
            g["state"] = json!("completed");
            g["assets"] = json!({"video": url, "image": null});
        });
    }

    /// Serves `bytes` as the generation's video instead of [`asset_bytes`] (a real clip,
    /// for tests that index the downloaded render).
    pub fn serve_video(&self, generation_id: &str, bytes: Vec<u8>) {
        let mut state = self.state.lock().unwrap();
        state.videos.insert(generation_id.to_owned(), bytes);
    }

    /// Fails a generation with `reason`.
    pub fn fail(&self, generation_id: &str, reason: &str) {
        self.update(generation_id, |g| {
            g["state"] = json!("failed");
            g["failure_reason"] = json!(reason);
        });
    }

    fn update(&self, generation_id: &str, change: impl FnOnce(&mut Value)) {
        let mut state = self.state.lock().unwrap();
        let generation = state
            .generations
            .iter_mut()
            .find(|g| g["id"] == generation_id)
            .unwrap_or_else(|| panic!("the stand-in has no generation {generation_id}"));
        change(generation);
    }
}

/// The bytes served as a generation's video: an ISO-BMFF `ftyp` box, then the id.
pub fn asset_bytes(generation_id: &str) -> Vec<u8> {
    let mut bytes = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    bytes.extend(generation_id.as_bytes().iter().cycle().take(4096));
    bytes
}

impl Drop for LumaStandIn {
    fn drop(&mut self) {
        {
            let (stopped, wake) = &*self.stop;
            *stopped.lock().unwrap() = true;
            wake.notify_all();
        }
        self.server.unblock();
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        for handler in self.handlers.lock().unwrap().drain(..) {
            let _ = handler.join();
        }
    }
}

fn json_response(code: u16, body: &Value) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    tiny_http::Response::from_string(body.to_string())
        .with_status_code(code)
        .with_header(
            tiny_http::Header::from_bytes("Content-Type", "application/json").expect("header"),
        )
}

fn handle(mut request: tiny_http::Request, state: &Mutex<State>, stop: &Stop, auth: &str) {
    let mut body = String::new();
    let _ = request.as_reader().read_to_string(&mut body);
    let method = request.method().as_str().to_owned();
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));

    if let Some(id) = path
        .strip_prefix("/cdn/")
        .and_then(|p| p.strip_suffix(".mp4"))
    {
        let fault = next_fault(state, Route::Asset);
        let video = {
            let state = state.lock().unwrap();
            let known = state.generations.iter().any(|g| g["id"] == id);
            known.then(|| {
                state
                    .videos
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| asset_bytes(id))
            })
        };
        let response = if let Some(bytes) = video {
            tiny_http::Response::from_data(bytes)
        } else {
            json_response(404, &json!({"detail": "no such asset"}))
        };
        return answer(request, fault, stop, response);
    }

    let Some(api_path) = path.strip_prefix(API_ROOT) else {
        let _ = request.respond(json_response(404, &json!({"detail": "Not Found"})));
        return;
    };
    let authorized = request
        .headers()
        .iter()
        .any(|h| h.field.equiv("Authorization") && h.value.as_str() == auth);
    if !authorized {
        let _ = request.respond(json_response(401, &json!({"detail": "Invalid API key"})));
        return;
    }

    let segments: Vec<&str> = api_path.trim_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["generations", "video"])
        | ("POST", ["generations", "video", "modify"])
        | ("POST", ["generations", _, "upscale"]) => create(request, state, stop, api_path, &body),
        ("GET", ["generations", id]) => {
            let fault = next_fault(state, Route::Get);
            let found = state
                .lock()
                .unwrap()
                .generations
                .iter()
                .find(|g| g["id"] == *id)
                .cloned();
            let response = match found {
                Some(g) => json_response(200, &g),
                None => json_response(404, &json!({"detail": "Generation not found"})),
            };
            answer(request, fault, stop, response);
        }
        ("GET", ["generations"]) => {
            let fault = next_fault(state, Route::List);
            let param = |name: &str, default: usize| {
                query
                    .split('&')
                    .filter_map(|kv| kv.split_once('='))
                    .find(|(k, _)| *k == name)
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(default)
            };
            let (limit, offset) = (param("limit", 100), param("offset", 0));
            let all = state.lock().unwrap().generations.clone();
            let page: Vec<Value> = all.iter().skip(offset).take(limit).cloned().collect();
            let body = json!({
                "generations": page, "count": page.len(),
                "has_more": offset + page.len() < all.len(), "limit": limit, "offset": offset,
            });
            answer(request, fault, stop, json_response(200, &body));
        }
        _ => {
            let _ = request.respond(json_response(404, &json!({"detail": "Not Found"})));
        }
    }
}

fn next_fault(state: &Mutex<State>, route: Route) -> Option<Fault> {
    state
        .lock()
        .unwrap()
        .faults
        .get_mut(&route)
        .and_then(VecDeque::pop_front)
}

fn create(
    request: tiny_http::Request,
    state: &Mutex<State>,
    stop: &Stop,
    api_path: &str,
    body: &str,
) {
    let body: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let fault = {
        let mut state = state.lock().unwrap();
        state.create_attempts += 1;
        if let Some(hook) = &state.on_create {
            hook(&body);
        }
        state
            .faults
            .get_mut(&Route::Create)
            .and_then(VecDeque::pop_front)
    };
    if let Some(Fault::Status { .. }) = fault {
        // Refused: nothing is created; `answer` writes the scripted status.
        return answer(request, fault, stop, tiny_http::Response::empty(500));
    }
    if !body.is_object() {
        let detail = json!({"detail": [{"msg": "body must be a JSON object"}]});
        return answer(request, None, stop, json_response(422, &detail));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let generation = json!({
        "id": id,
        "generation_type": "video",
        "state": "queued",
        "failure_reason": null,
        "created_at": takeboard_core::catalog::now_text(),
        "assets": null,
        "model": body.get("model").cloned().unwrap_or(json!("ray-2")),
        "request": body,
    });
    {
        let mut state = state.lock().unwrap();
        state.generations.push(generation.clone());
        state.paid.push(PaidCreate {
            path: api_path.to_owned(),
            body: body.clone(),
            generation_id: id,
        });
    }
    answer(request, fault, stop, json_response(201, &generation));
}

/// Sends `response`, or misbehaves as `fault` says.
fn answer<R: std::io::Read>(
    request: tiny_http::Request,
    fault: Option<Fault>,
    stop: &Stop,
    response: tiny_http::Response<R>,
) {
    match fault {
        None => {
            let _ = request.respond(response);
        }
        Some(Fault::Status {
            code,
            detail,
            retry_after,
        }) => {
            let mut response = json_response(code, &json!({"detail": detail}));
            if let Some(seconds) = retry_after {
                let header = tiny_http::Header::from_bytes("Retry-After", seconds.to_string())
                    .expect("header");
                response = response.with_header(header);
            }
            let _ = request.respond(response);
        }
        Some(Fault::Delay(delay)) => {
            let (stopped, wake) = &**stop;
            let guard = stopped.lock().unwrap();
            let (guard, _) = wake
                .wait_timeout_while(guard, delay, |stopped| !*stopped)
                .unwrap();
            drop(guard);
            let _ = request.respond(response);
        }
        Some(Fault::CutAfterRead) => drop(request.into_writer()),
        Some(Fault::StatusAfterWork(code)) => {
            let _ = request.respond(json_response(code, &json!({"detail": "Bad Gateway"})));
        }
    }
}
