//! The loopback media server: serves registered takes to the WebView over
//! `http://127.0.0.1:<port>` with Range support.
//!
//! WebKitGTK hands `<video>` URLs to GStreamer, which cannot read Tauri's custom schemes, so
//! media comes from this server instead (tauri #3725, WebKit bug 146351). It owns the socket,
//! the per-launch token and the HTTP range logic; it knows nothing about the catalog: the
//! caller passes a resolver that maps a take id to the file to serve right now (and is the
//! one to check that the file is still the registered one).
//!
//! Guards, in the order they are checked:
//! 1. `Host` must be exactly `127.0.0.1:<port>` (421 otherwise) — blocks DNS rebinding.
//! 2. The `t` query parameter must equal the launch token, compared in constant time (403).
//! 3. The path must be `/media/<decimal take id>` (404 otherwise) — no paths ever reach the
//!    file system from the URL, so there is nothing to traverse.
//! 4. The resolver must know the id and the file must be a readable regular file (404).
//!
//! Bodies are streamed from disk by the worker threads; a file is never read whole.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use tiny_http::{Header, Method, Request, Response, Server, StatusCode};

use crate::domain::TakeId;

/// Maps a take id to the path of a file that holds it now, or `None` when the take is
/// unknown or has no file present. Called on a server worker thread for every request.
pub type TakePathResolver = Arc<dyn Fn(TakeId) -> Option<PathBuf> + Send + Sync>;

/// How many requests are served at once. WebKit opens two or three connections per
/// playing `<video>`; a side-by-side comparison plays two or three takes.
const WORKERS: usize = 6;

/// Bytes of launch token (256 bits), sent as lower-case hex.
const TOKEN_BYTES: usize = 32;

/// What can go wrong starting the media server.
#[derive(Debug, thiserror::Error)]
pub enum MediaServerError {
    /// No loopback port could be bound (the network stack refused `127.0.0.1:0`).
    #[error("cannot start the media server on 127.0.0.1: {0}; video playback is unavailable")]
    Bind(String),
    /// The operating system's random number generator failed.
    #[error("cannot create the media server token (the system random source failed: {0})")]
    Token(String),
    /// A worker thread could not be spawned.
    #[error("cannot start the media server's worker threads: {0}")]
    Spawn(#[from] io::Error),
}

/// A running media server. Stops (workers joined, socket closed) when dropped.
pub struct MediaServer {
    server: Arc<Server>,
    port: u16,
    token: Arc<str>,
    stopping: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

impl MediaServer {
    /// Binds `127.0.0.1` on a port the OS picks, draws a fresh token and starts the workers.
    pub fn start(resolver: TakePathResolver) -> Result<MediaServer, MediaServerError> {
        let mut raw = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut raw).map_err(|e| MediaServerError::Token(e.to_string()))?;
        let token: Arc<str> = raw
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
            .into();

        let server =
            Server::http("127.0.0.1:0").map_err(|e| MediaServerError::Bind(e.to_string()))?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .ok_or_else(|| MediaServerError::Bind("not bound to an IP address".to_owned()))?;
        let server = Arc::new(server);
        let stopping = Arc::new(AtomicBool::new(false));
        let guard = Arc::new(Guard {
            host: format!("127.0.0.1:{port}"),
            token: Arc::clone(&token),
            resolver,
        });

        let mut media = MediaServer {
            server,
            port,
            token,
            stopping,
            workers: Vec::with_capacity(WORKERS),
        };
        for n in 0..WORKERS {
            let server = Arc::clone(&media.server);
            let stopping = Arc::clone(&media.stopping);
            let guard = Arc::clone(&guard);
            let worker = std::thread::Builder::new()
                .name(format!("media-server-{n}"))
                .spawn(move || serve(&server, &stopping, &guard))?;
            media.workers.push(worker);
        }
        tracing::debug!(port, "media server listening");
        Ok(media)
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port the OS picked.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// This launch's token: 64 lower-case hex digits, the `t` query parameter of every URL.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The path part of a take's URL, `/media/<id>` (the UI appends `?t=<token>`).
    pub fn url_path(take_id: TakeId) -> String {
        format!("/media/{take_id}")
    }
}

impl Drop for MediaServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Each unblock wakes exactly one worker waiting in `recv`.
        for _ in &self.workers {
            self.server.unblock();
        }
        for worker in self.workers.drain(..) {
            // A panicked worker has already logged; nothing more to do on shutdown.
            let _ = worker.join();
        }
    }
}

/// What every worker checks a request against.
struct Guard {
    /// The only acceptable `Host` header value.
    host: String,
    token: Arc<str>,
    resolver: TakePathResolver,
}

fn serve(server: &Server, stopping: &AtomicBool, guard: &Guard) {
    while !stopping.load(Ordering::SeqCst) {
        let request = match server.recv() {
            Ok(request) => request,
            // `unblock` (shutdown) or a failed accept: re-check the flag.
            Err(_) => continue,
        };
        let reply = answer(&request, guard);
        let result = match reply {
            Reply::Status(code) => request.respond(plain(code, Vec::new())),
            Reply::Unsatisfiable { size } => request.respond(plain(
                416,
                vec![header("Content-Range", &format!("bytes */{size}"))],
            )),
            Reply::Body {
                file,
                content_type,
                size,
                range,
            } => respond_with_file(request, file, content_type, size, range),
        };
        if let Err(e) = result {
            // The client went away mid-body (seeking does this constantly): not an error.
            tracing::trace!("media response not completed: {e}");
        }
    }
}

/// The decision for one request, before any bytes are written.
enum Reply {
    /// A bodiless status reply.
    Status(u16),
    /// 416: the range lies outside a file of `size` bytes.
    Unsatisfiable { size: u64 },
    /// The file, whole (`range` = `None`) or one inclusive byte range.
    Body {
        file: File,
        content_type: &'static str,
        size: u64,
        range: Option<(u64, u64)>,
    },
}

fn answer(request: &Request, guard: &Guard) -> Reply {
    if !matches!(request.method(), Method::Get | Method::Head) {
        return Reply::Status(405);
    }
    let host = header_value(request, "Host");
    if host != Some(guard.host.as_str()) {
        return Reply::Status(421);
    }
    let (path, query) = request.url().split_once('?').unwrap_or((request.url(), ""));
    let token = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("t="))
        .unwrap_or("");
    if !constant_time_eq(token.as_bytes(), guard.token.as_bytes()) {
        return Reply::Status(403);
    }
    let Some(take_id) = parse_media_path(path) else {
        return Reply::Status(404);
    };
    let Some(file_path) = (guard.resolver)(take_id) else {
        return Reply::Status(404);
    };
    let Some((file, size)) = open_regular_file(&file_path) else {
        return Reply::Status(404);
    };
    let content_type = content_type(&file_path);
    match header_value(request, "Range").map(|r| parse_range(r, size)) {
        None | Some(RangeRequest::Whole) => Reply::Body {
            file,
            content_type,
            size,
            range: None,
        },
        Some(RangeRequest::Unsatisfiable) => Reply::Unsatisfiable { size },
        Some(RangeRequest::Bytes(first, last)) => Reply::Body {
            file,
            content_type,
            size,
            range: Some((first, last)),
        },
    }
}

fn respond_with_file(
    request: Request,
    mut file: File,
    content_type: &'static str,
    size: u64,
    range: Option<(u64, u64)>,
) -> io::Result<()> {
    let mut headers = vec![
        header("Content-Type", content_type),
        header("Accept-Ranges", "bytes"),
        header("Cache-Control", "no-store"),
        header("X-Content-Type-Options", "nosniff"),
    ];
    let (status, start, length) = match range {
        None => (200, 0, size),
        Some((first, last)) => {
            headers.push(header(
                "Content-Range",
                &format!("bytes {first}-{last}/{size}"),
            ));
            (206, first, last - first + 1)
        }
    };
    file.seek(SeekFrom::Start(start))?;
    // tiny_http copies from the reader in fixed-size chunks; `take` stops at the range end.
    let body = file.take(length);
    let response = Response::new(
        StatusCode(status),
        headers,
        body,
        Some(usize::try_from(length).unwrap_or(usize::MAX)),
        None,
    )
    // Always send Content-Length (WebKit needs it to seek), never chunked encoding.
    .with_chunked_threshold(usize::MAX);
    request.respond(response)
}

fn plain(status: u16, headers: Vec<Header>) -> Response<io::Empty> {
    Response::new(StatusCode(status), headers, io::empty(), Some(0), None)
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes())
        .unwrap_or_else(|()| unreachable!("header {name} is built from ASCII text"))
}

fn header_value<'r>(request: &'r Request, name: &'static str) -> Option<&'r str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str())
}

/// `/media/<id>` with `id` plain ASCII digits (no sign, no dots, no escapes) → the id.
fn parse_media_path(path: &str) -> Option<TakeId> {
    let id = path.strip_prefix("/media/")?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

fn open_regular_file(path: &Path) -> Option<(File, u64)> {
    let file = File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    meta.is_file().then_some((file, meta.len()))
}

fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("mp4" | "m4v") => "video/mp4",
        Some("mov" | "qt") => "video/quicktime",
        Some("webm") => "video/webm",
        _ => "application/octet-stream",
    }
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How a `Range` header applies to a file of known size.
#[derive(Debug, PartialEq, Eq)]
enum RangeRequest {
    /// Serve the whole file with 200: the header is malformed, not in bytes, or asks for
    /// several ranges (ignoring Range is always allowed, RFC 9110 §14.2).
    Whole,
    /// One satisfiable range, first and last byte inclusive.
    Bytes(u64, u64),
    /// A well-formed single range that selects no byte of the file.
    Unsatisfiable,
}

fn parse_range(header: &str, size: u64) -> RangeRequest {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Whole;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // `bytes=-N`: the last N bytes.
        (true, _, Some(suffix)) => {
            if suffix == 0 || size == 0 {
                RangeRequest::Unsatisfiable
            } else {
                RangeRequest::Bytes(size.saturating_sub(suffix), size - 1)
            }
        }
        // `bytes=N-`: from N to the end.
        (false, Some(first), None) if last.trim().is_empty() => {
            if first >= size {
                RangeRequest::Unsatisfiable
            } else {
                RangeRequest::Bytes(first, size - 1)
            }
        }
        // `bytes=N-M`.
        (false, Some(first), Some(last)) if first <= last => {
            if first >= size {
                RangeRequest::Unsatisfiable
            } else {
                RangeRequest::Bytes(first, last.min(size - 1))
            }
        }
        _ => RangeRequest::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_headers_resolve_against_a_thousand_byte_file() {
        let cases = [
            ("bytes=0-99", RangeRequest::Bytes(0, 99)),
            ("bytes=900-", RangeRequest::Bytes(900, 999)),
            ("bytes=-100", RangeRequest::Bytes(900, 999)),
            ("bytes=-5000", RangeRequest::Bytes(0, 999)),
            ("bytes=990-5000", RangeRequest::Bytes(990, 999)),
            ("bytes=1000-", RangeRequest::Unsatisfiable),
            ("bytes=1000-1100", RangeRequest::Unsatisfiable),
            ("bytes=-0", RangeRequest::Unsatisfiable),
            ("bytes=0-1,5-9", RangeRequest::Whole),
            ("bytes=9-5", RangeRequest::Whole),
            ("bytes=abc", RangeRequest::Whole),
            ("bytes=+1-2", RangeRequest::Whole),
            ("items=0-9", RangeRequest::Whole),
        ];
        for (header, expected) in cases {
            assert_eq!(parse_range(header, 1000), expected, "{header}");
        }
    }

    #[test]
    fn every_range_of_an_empty_file_is_unsatisfiable() {
        assert_eq!(parse_range("bytes=0-", 0), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range("bytes=-1", 0), RangeRequest::Unsatisfiable);
    }

    #[test]
    fn only_plain_decimal_ids_name_media() {
        assert_eq!(parse_media_path("/media/42"), Some(42));
        for path in [
            "/media/",
            "/media/-1",
            "/media/+1",
            "/media/1.mp4",
            "/media/%31",
            "/media/../etc/passwd",
            "/media/1/../2",
            "/media//1",
            "/MEDIA/1",
            "/media/99999999999999999999",
        ] {
            assert_eq!(parse_media_path(path), None, "{path}");
        }
    }

    #[test]
    fn tokens_match_only_when_every_byte_matches() {
        assert!(constant_time_eq(b"abcd", b"abcd"));
        assert!(!constant_time_eq(b"abcd", b"abce"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"abcd"));
    }
}
