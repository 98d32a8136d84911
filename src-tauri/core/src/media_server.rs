//! The loopback media server: serves registered takes to the WebView over
//! `http://127.0.0.1:<port>` with Range support, on hyper.
//!
//! WebKitGTK hands `<video>` URLs to GStreamer, which cannot read Tauri's custom schemes, so
//! media comes from this server instead (tauri #3725, WebKit bug 146351). It owns the socket,
//! the per-launch token and the HTTP range logic; it knows nothing about the catalog: the
//! caller passes a resolver that maps a take id to the file it indexed (path and stamp).
//!
//! Any local process can reach the port, so the server is built to be flooded: hyper's
//! HTTP/1 on a small tokio runtime of its own (one task per connection, so six playing
//! takes and a seventh request never wait for each other, and the app's own async work can
//! never starve playback), a header-read timeout that also closes idle keep-alive
//! connections, a 16 KiB cap on a request's head and 64 headers, a cap on live connections,
//! no `Server` banner.
//!
//! Guards, in the order they are checked:
//! 1. `Host` must be exactly `127.0.0.1:<port>` (421 otherwise) — blocks DNS rebinding.
//! 2. The `t` query parameter must equal the launch token, compared in constant time (403).
//! 3. The path must be `/media/<decimal take id>` (404 otherwise) — no paths ever reach the
//!    file system from the URL, so there is nothing to traverse.
//! 4. The resolver must know the id, and the file at its path must be the one indexed: it
//!    is opened with `O_NOFOLLOW | O_NONBLOCK` (a symlink is refused, a FIFO cannot block)
//!    and its handle's inode, size and mtime must equal the recorded stamp (404 otherwise,
//!    and the caller is told the file is stale, so the watcher looks again).
//!
//! Bodies are streamed from the opened handle in chunks; a file that ends early (it shrank
//! during the response) aborts the connection rather than leaving a short body under a
//! full `Content-Length`. Every reply carries an `ETag` made from the stamp, and `If-Range`
//! is honoured.

use std::fs::File;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::Duration;

use hyper::body::{Body, Bytes, Frame};
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, ETAG};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, ReadBuf};
use tokio::sync::watch;

use crate::domain::TakeId;
use crate::hash::FileStamp;

/// The file a take is served from, as the catalog indexed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedFile {
    /// Where it was indexed.
    pub path: PathBuf,
    /// Its stamp when it was indexed: the bytes served must still be these.
    pub stamp: FileStamp,
}

/// Maps a take id to the file that holds it now, or `None` when the take is unknown or has
/// no file present. Called on a blocking thread for every request.
pub type TakeFileResolver = Arc<dyn Fn(TakeId) -> Option<ServedFile> + Send + Sync>;

/// Told when a take's file is no longer the one indexed (changed, replaced by a symlink or
/// a FIFO, gone): the caller asks the watcher to look at `path` again.
pub type StaleFileReport = Arc<dyn Fn(TakeId, &Path) + Send + Sync>;

/// Bytes of launch token (256 bits), sent as lower-case hex.
const TOKEN_BYTES: usize = 32;
/// Live connections at most; more are closed as soon as they are accepted. WebKit opens
/// two or three per playing `<video>`: this leaves room for a flood of idle ones too.
pub const MAX_CONNECTIONS: usize = 4096;
/// A request's head must arrive within this, and an idle keep-alive connection is closed
/// after it.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head read (hyper's read buffer; the minimum it allows is 8 KiB).
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The most header fields a request may carry.
const MAX_HEADERS: usize = 64;
/// Bytes read from the file per body chunk.
const CHUNK: usize = 256 * 1024;

/// What can go wrong starting the media server.
#[derive(Debug, thiserror::Error)]
pub enum MediaServerError {
    /// No loopback port could be bound (the network stack refused `127.0.0.1:0`).
    #[error("cannot start the media server on 127.0.0.1: {0}; video playback is unavailable")]
    Bind(String),
    /// The operating system's random number generator failed.
    #[error("cannot create the media server token (the system random source failed: {0})")]
    Token(String),
    /// The server's runtime or thread could not be started.
    #[error("cannot start the media server's threads: {0}")]
    Spawn(#[from] io::Error),
}

/// A running media server. Stops (connections closed, socket closed, thread joined) when
/// dropped.
pub struct MediaServer {
    port: u16,
    token: Arc<str>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl MediaServer {
    /// Binds `127.0.0.1` on a port the OS picks, draws a fresh token and starts serving.
    pub fn start(
        resolver: TakeFileResolver,
        on_stale: StaleFileReport,
    ) -> Result<MediaServer, MediaServerError> {
        let mut raw = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut raw).map_err(|e| MediaServerError::Token(e.to_string()))?;
        let token: Arc<str> = raw
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
            .into();

        let bind = |e: io::Error| MediaServerError::Bind(e.to_string());
        let listener = StdListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).map_err(bind)?;
        listener.set_nonblocking(true).map_err(bind)?;
        let port = listener.local_addr().map_err(bind)?.port();
        let guard = Arc::new(Guard {
            host: format!("127.0.0.1:{port}"),
            token: Arc::clone(&token),
            resolver,
            on_stale,
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(16)
            .thread_name("media-server")
            .enable_io()
            .enable_time()
            .build()?;
        let (stop, stopped) = watch::channel(false);
        let thread = std::thread::Builder::new()
            .name("media-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => accept_loop(listener, guard, stopped).await,
                        Err(e) => tracing::error!("media server cannot listen: {e}"),
                    }
                });
                // Connections still open are dropped with the runtime, here, off any async
                // context.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        tracing::debug!(port, "media server listening");
        Ok(MediaServer {
            port,
            token,
            stop,
            thread: Some(thread),
        })
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
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            // A panicked server thread has already logged; nothing more to do on shutdown.
            let _ = thread.join();
        }
    }
}

/// What every request is checked against.
struct Guard {
    /// The only acceptable `Host` header value.
    host: String,
    token: Arc<str>,
    resolver: TakeFileResolver,
    on_stale: StaleFileReport,
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    guard: Arc<Guard>,
    mut stopped: watch::Receiver<bool>,
) {
    let live = Arc::new(AtomicUsize::new(0));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS)
        .keep_alive(true);
    loop {
        let stream = tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of descriptors or a connection reset before accept: go on serving.
                Err(e) => {
                    tracing::trace!("media server accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        if live.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            drop(stream);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let slot = ConnectionSlot::take(&live);
        let guard = Arc::clone(&guard);
        let mut stopped = stopped.clone();
        let connection = http.serve_connection(
            TokioIo::new(stream),
            hyper::service::service_fn(move |request| {
                let guard = Arc::clone(&guard);
                async move { Ok::<_, std::convert::Infallible>(answer(request, &guard).await) }
            }),
        );
        tokio::spawn(async move {
            let _slot = slot;
            tokio::select! {
                done = connection => if let Err(e) = done {
                    // Clients go away mid-body constantly (seeking); floods time out.
                    tracing::trace!("media connection ended: {e}");
                },
                _ = stopped.changed() => {}
            }
        });
    }
}

/// One live connection counted; uncounted when the connection's task ends.
struct ConnectionSlot(Arc<AtomicUsize>);

impl ConnectionSlot {
    fn take(live: &Arc<AtomicUsize>) -> ConnectionSlot {
        live.fetch_add(1, Ordering::SeqCst);
        ConnectionSlot(Arc::clone(live))
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

type Reply = Response<FileBody>;

async fn answer(request: Request<hyper::body::Incoming>, guard: &Arc<Guard>) -> Reply {
    let head = request.method() == Method::HEAD;
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return status(StatusCode::METHOD_NOT_ALLOWED);
    }
    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok());
    if header("host") != Some(guard.host.as_str()) {
        return status(StatusCode::MISDIRECTED_REQUEST);
    }
    let token = request
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("t="))
        .unwrap_or("");
    if !constant_time_eq(token.as_bytes(), guard.token.as_bytes()) {
        return status(StatusCode::FORBIDDEN);
    }
    let Some(take_id) = parse_media_path(request.uri().path()) else {
        return status(StatusCode::NOT_FOUND);
    };
    let range = header("range").map(str::to_owned);
    let if_range = header("if-range").map(str::to_owned);
    let opened = {
        let guard = Arc::clone(guard);
        tokio::task::spawn_blocking(move || open_indexed(&guard, take_id)).await
    };
    let Ok(Some((file, served))) = opened else {
        return status(StatusCode::NOT_FOUND);
    };
    let size = served.stamp.size;
    let etag = etag(&served.stamp);
    // A Range that comes with an If-Range for other bytes asks for the whole new file.
    let range = range.filter(|_| if_range.as_deref().is_none_or(|tag| tag == etag));
    let (code, start, length) = match range.as_deref().map(|r| parse_range(r, size)) {
        None | Some(RangeRequest::Whole) => (StatusCode::OK, 0, size),
        Some(RangeRequest::Unsatisfiable) => {
            let mut reply = status(StatusCode::RANGE_NOT_SATISFIABLE);
            set(&mut reply, CONTENT_RANGE, &format!("bytes */{size}"));
            return reply;
        }
        Some(RangeRequest::Bytes(first, last)) => {
            (StatusCode::PARTIAL_CONTENT, first, last - first + 1)
        }
    };
    let body = if head {
        FileBody::empty()
    } else {
        match FileBody::of(file, start, length) {
            Ok(body) => body,
            Err(_) => return status(StatusCode::NOT_FOUND),
        }
    };
    let mut reply = Response::new(body);
    *reply.status_mut() = code;
    set(&mut reply, CONTENT_TYPE, content_type(&served.path));
    set(&mut reply, CONTENT_LENGTH, &length.to_string());
    set(&mut reply, ETAG, &etag);
    set(&mut reply, "accept-ranges", "bytes");
    set(&mut reply, "cache-control", "no-store");
    set(&mut reply, "x-content-type-options", "nosniff");
    if code == StatusCode::PARTIAL_CONTENT {
        let last = start + length - 1;
        set(
            &mut reply,
            CONTENT_RANGE,
            &format!("bytes {start}-{last}/{size}"),
        );
    }
    reply
}

/// Opens the take's indexed file, refusing (and reporting as stale) anything that is not
/// exactly it: a symlink, a FIFO or device, or a file whose stamp changed.
fn open_indexed(guard: &Guard, take_id: TakeId) -> Option<(File, ServedFile)> {
    let served = (guard.resolver)(take_id)?;
    let opened = open_no_follow(&served.path).and_then(|file| {
        let meta = file.metadata()?;
        let same = meta.is_file() && crate::hash::stamp(&meta) == served.stamp;
        Ok(same.then_some(file))
    });
    match opened {
        Ok(Some(file)) => Some((file, served)),
        _ => {
            (guard.on_stale)(take_id, &served.path);
            None
        }
    }
}

/// Opens `path` for reading without following a final symlink, and without blocking on a
/// FIFO (a regular file ignores `O_NONBLOCK`).
fn open_no_follow(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    options.open(path)
}

/// The entity tag of the bytes with this stamp.
fn etag(stamp: &FileStamp) -> String {
    format!(
        "\"{:x}-{:x}-{:x}\"",
        stamp.inode, stamp.size, stamp.mtime_ns
    )
}

fn status(code: StatusCode) -> Reply {
    let mut reply = Response::new(FileBody::empty());
    *reply.status_mut() = code;
    set(&mut reply, CONTENT_LENGTH, "0");
    reply
}

fn set<K: hyper::header::IntoHeaderName>(reply: &mut Reply, name: K, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        reply.headers_mut().insert(name, value);
    }
}

/// A response body: `length` bytes of a file from `start`, read in chunks. Ending early
/// is an error, so hyper closes the connection instead of finishing a short body.
pub struct FileBody {
    file: Option<tokio::fs::File>,
    remaining: u64,
    buf: Vec<u8>,
}

impl FileBody {
    fn empty() -> FileBody {
        FileBody {
            file: None,
            remaining: 0,
            buf: Vec::new(),
        }
    }

    fn of(mut file: File, start: u64, length: u64) -> io::Result<FileBody> {
        use std::io::Seek;
        file.seek(io::SeekFrom::Start(start))?;
        Ok(FileBody {
            file: Some(tokio::fs::File::from_std(file)),
            remaining: length,
            buf: vec![0; usize::try_from(length).unwrap_or(CHUNK).min(CHUNK)],
        })
    }
}

impl Body for FileBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        let Some(file) = this.file.as_mut().filter(|_| this.remaining > 0) else {
            return Poll::Ready(None);
        };
        let want = usize::try_from(this.remaining)
            .unwrap_or(usize::MAX)
            .min(this.buf.len());
        let mut read = ReadBuf::new(&mut this.buf[..want]);
        match Pin::new(file).poll_read(cx, &mut read) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Some(Err(e))),
            Poll::Ready(Ok(())) if read.filled().is_empty() => {
                Poll::Ready(Some(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file shrank while it was being served",
                ))))
            }
            Poll::Ready(Ok(())) => {
                let chunk = Bytes::copy_from_slice(read.filled());
                this.remaining -= chunk.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.remaining)
    }
}

/// `/media/<id>` with `id` plain ASCII digits (no sign, no dots, no escapes) → the id.
fn parse_media_path(path: &str) -> Option<TakeId> {
    let id = path.strip_prefix("/media/")?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
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
pub enum RangeRequest {
    /// Serve the whole file with 200: the header is malformed, not in bytes, or asks for
    /// several ranges (ignoring Range is always allowed, RFC 9110 §14.2).
    Whole,
    /// One satisfiable range, first and last byte inclusive.
    Bytes(u64, u64),
    /// A well-formed single range that selects no byte of the file.
    Unsatisfiable,
}

/// How the `Range` header `header` applies to a file of `size` bytes (public for the
/// fuzz and property tests).
pub fn parse_range(header: &str, size: u64) -> RangeRequest {
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
        assert_eq!(parse_media_path("/media/42"), Some(TakeId(42)));
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
