//! The loopback media server over real sockets and real files: ranges, guards, shutdown,
//! hostile files (symlinks, FIFOs, changed and shrinking files) and floods of connections.

use crate::support::load;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use takeboard_core::domain::TakeId;
use takeboard_core::hash::stamp_path;
use takeboard_core::media_server::{
    MediaServer, ServedFile, StaleFileReport, TakeFileResolver, HEADER_READ_TIMEOUT,
};

/// A parsed HTTP/1.1 response.
struct Reply {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// Sends one raw request (so tests control every header, Host included) and reads the
/// whole reply; the connection is closed by the client's `Connection: close`.
fn raw_request(
    server: &MediaServer,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let mut stream =
        TcpStream::connect(("127.0.0.1", server.port())).expect("connect to the media server");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set timeout");
    let mut text = format!("{method} {target} HTTP/1.1\r\nConnection: close\r\n");
    let has_host = headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host"));
    if !has_host {
        text.push_str(&format!("Host: 127.0.0.1:{}\r\n", server.port()));
    }
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).expect("send request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read reply");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("reply has a header block");
    let head = String::from_utf8(raw[..split].to_vec()).expect("ASCII headers");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// A keep-alive connection that has asked for take `take_id` whole; the reply is left for
/// the caller to read (or not).
fn start_streaming(server: &MediaServer, take_id: TakeId) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set timeout");
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
        media_target(server, take_id),
        server.port()
    );
    stream.write_all(request.as_bytes()).expect("send request");
    stream
}

fn get(server: &MediaServer, target: &str, headers: &[(&str, &str)]) -> Reply {
    raw_request(server, "GET", target, headers)
}

fn media_target(server: &MediaServer, take_id: TakeId) -> String {
    format!("{}?t={}", MediaServer::url_path(take_id), server.token())
}

/// Bytes whose value depends on their offset, so a wrong range shows as wrong content.
fn patterned_bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// A temp folder with one file per take id, indexed as the catalog would (path and stamp);
/// the resolver reads a shared map, so a test can register, unregister or change files
/// while the server runs. Stale-file reports are collected.
struct Library {
    dir: tempfile::TempDir,
    files: Arc<Mutex<HashMap<TakeId, ServedFile>>>,
    stale: Arc<Mutex<Vec<(TakeId, PathBuf)>>>,
}

impl Library {
    fn new() -> Library {
        Library {
            dir: tempfile::tempdir().expect("temp dir"),
            files: Arc::default(),
            stale: Arc::default(),
        }
    }

    /// Writes `bytes` as `name` and indexes it as take `take_id`.
    fn add(&self, take_id: TakeId, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write take file");
        self.index(take_id, &path);
        path
    }

    /// Indexes whatever is at `path` now as take `take_id`.
    fn index(&self, take_id: TakeId, path: &Path) {
        let stamp = stamp_path(path).expect("stat the take file");
        let served = ServedFile {
            path: path.to_owned(),
            stamp,
        };
        self.files.lock().unwrap().insert(take_id, served);
    }

    fn resolver(&self) -> TakeFileResolver {
        let files = Arc::clone(&self.files);
        Arc::new(move |id| files.lock().unwrap().get(&id).cloned())
    }

    fn stale_report(&self) -> StaleFileReport {
        let stale = Arc::clone(&self.stale);
        Arc::new(move |id, path| stale.lock().unwrap().push((id, path.to_owned())))
    }

    fn serve(&self) -> MediaServer {
        MediaServer::start(self.resolver(), self.stale_report()).expect("media server starts")
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn stale(&self) -> Vec<(TakeId, PathBuf)> {
        self.stale.lock().unwrap().clone()
    }
}

#[test]
fn a_registered_take_is_served_whole_with_its_length_and_type() {
    let library = Library::new();
    let content = patterned_bytes(100_000);
    library.add(TakeId(7), "SH010_flash_t1.mp4", &content);
    let server = library.serve();

    let reply = get(&server, &media_target(&server, TakeId(7)), &[]);

    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-length"), Some("100000"));
    assert_eq!(reply.header("content-type"), Some("video/mp4"));
    assert_eq!(reply.header("accept-ranges"), Some("bytes"));
    assert_eq!(
        reply.header("transfer-encoding"),
        None,
        "never chunked: WebKit needs a length to seek"
    );
    assert!(reply.body == content, "the body is the file, byte for byte");
}

#[test]
fn base_url_is_loopback_with_the_bound_port_and_the_token_is_256_bits_of_hex() {
    let library = Library::new();
    let server = library.serve();
    assert_eq!(
        server.base_url(),
        format!("http://127.0.0.1:{}", server.port())
    );
    assert_eq!(server.token().len(), 64);
    assert!(server
        .token()
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    let other = library.serve();
    assert_ne!(
        server.token(),
        other.token(),
        "every launch draws a new token"
    );
}

#[test]
fn a_quicktime_take_is_labelled_video_quicktime() {
    let library = Library::new();
    library.add(TakeId(3), "SH020_standard.MOV", &patterned_bytes(10));
    let server = library.serve();
    let reply = raw_request(&server, "HEAD", &media_target(&server, TakeId(3)), &[]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("video/quicktime"));
}

#[test]
fn head_reports_the_length_without_sending_the_body() {
    let library = Library::new();
    library.add(TakeId(1), "a.mp4", &patterned_bytes(5000));
    let server = library.serve();
    let reply = raw_request(&server, "HEAD", &media_target(&server, TakeId(1)), &[]);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-length"), Some("5000"));
    assert!(
        reply.body.is_empty(),
        "HEAD has no body, got {} bytes",
        reply.body.len()
    );
}

#[test]
fn a_closed_range_gets_206_with_exactly_those_bytes() {
    let library = Library::new();
    let content = patterned_bytes(100_000);
    library.add(TakeId(1), "a.mp4", &content);
    let server = library.serve();

    let reply = get(
        &server,
        &media_target(&server, TakeId(1)),
        &[("Range", "bytes=1000-1999")],
    );

    assert_eq!(reply.status, 206);
    assert_eq!(
        reply.header("content-range"),
        Some("bytes 1000-1999/100000")
    );
    assert_eq!(reply.header("content-length"), Some("1000"));
    assert!(
        reply.body == content[1000..2000],
        "range body matches the file slice"
    );
}

#[test]
fn an_open_ended_range_runs_to_the_end_of_the_file() {
    let library = Library::new();
    let content = patterned_bytes(100_000);
    library.add(TakeId(1), "a.mp4", &content);
    let server = library.serve();

    let reply = get(
        &server,
        &media_target(&server, TakeId(1)),
        &[("Range", "bytes=99000-")],
    );

    assert_eq!(reply.status, 206);
    assert_eq!(
        reply.header("content-range"),
        Some("bytes 99000-99999/100000")
    );
    assert!(reply.body == content[99_000..]);
}

#[test]
fn a_suffix_range_returns_the_last_n_bytes() {
    let library = Library::new();
    let content = patterned_bytes(100_000);
    library.add(TakeId(1), "a.mp4", &content);
    let server = library.serve();

    let reply = get(
        &server,
        &media_target(&server, TakeId(1)),
        &[("Range", "bytes=-500")],
    );

    assert_eq!(reply.status, 206);
    assert_eq!(
        reply.header("content-range"),
        Some("bytes 99500-99999/100000")
    );
    assert!(reply.body == content[99_500..]);
}

#[test]
fn a_range_past_the_end_is_416_with_the_file_size() {
    let library = Library::new();
    library.add(TakeId(1), "a.mp4", &patterned_bytes(100_000));
    let server = library.serve();

    let reply = get(
        &server,
        &media_target(&server, TakeId(1)),
        &[("Range", "bytes=100000-")],
    );

    assert_eq!(reply.status, 416);
    assert_eq!(reply.header("content-range"), Some("bytes */100000"));
    assert!(reply.body.is_empty());
}

#[test]
fn a_multi_range_request_gets_the_whole_file_with_200() {
    let library = Library::new();
    let content = patterned_bytes(4096);
    library.add(TakeId(1), "a.mp4", &content);
    let server = library.serve();

    let reply = get(
        &server,
        &media_target(&server, TakeId(1)),
        &[("Range", "bytes=0-9,100-109")],
    );

    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-range"), None);
    assert!(reply.body == content);
}

#[test]
fn a_large_file_is_streamed_whole_and_in_ranges() {
    let library = Library::new();
    let content = patterned_bytes(24 * 1024 * 1024 + 17);
    library.add(TakeId(1), "big.mp4", &content);
    let server = library.serve();

    let whole = get(&server, &media_target(&server, TakeId(1)), &[]);
    assert_eq!(whole.status, 200);
    assert_eq!(whole.body.len(), content.len());
    assert!(whole.body == content);

    let tail = get(
        &server,
        &media_target(&server, TakeId(1)),
        &[("Range", "bytes=20000000-")],
    );
    assert_eq!(tail.status, 206);
    assert!(tail.body == content[20_000_000..]);
}

#[test]
fn a_wrong_or_missing_token_is_refused_with_403() {
    let library = Library::new();
    library.add(TakeId(1), "a.mp4", &patterned_bytes(10));
    let server = library.serve();
    let almost = {
        let mut t = server.token().to_owned();
        let last = if t.ends_with('0') { "1" } else { "0" };
        t.replace_range(63.., last);
        t
    };

    for target in [
        "/media/1".to_owned(),
        "/media/1?t=".to_owned(),
        format!("/media/1?t={almost}"),
        format!("/media/1?t={}", &server.token()[..32]),
        format!("/media/1?t={}00", server.token()),
        format!("/media/1?token={}", server.token()),
    ] {
        let reply = get(&server, &target, &[]);
        assert_eq!(reply.status, 403, "{target}");
        assert!(reply.body.is_empty(), "{target}: nothing of the file leaks");
    }
}

#[test]
fn an_unknown_take_id_is_404() {
    let library = Library::new();
    library.add(TakeId(1), "a.mp4", &patterned_bytes(10));
    let server = library.serve();
    assert_eq!(
        get(&server, &media_target(&server, TakeId(2)), &[]).status,
        404
    );
}

#[test]
fn a_request_for_another_host_is_refused_with_421() {
    let library = Library::new();
    library.add(TakeId(1), "a.mp4", &patterned_bytes(10));
    let server = library.serve();
    let target = media_target(&server, TakeId(1));
    let rebinding = format!("evil.example:{}", server.port());
    let other_port = format!("127.0.0.1:{}", server.port().wrapping_add(1));
    let localhost = format!("localhost:{}", server.port());

    for host in [
        "127.0.0.1",
        rebinding.as_str(),
        other_port.as_str(),
        localhost.as_str(),
    ] {
        let reply = get(&server, &target, &[("Host", host)]);
        assert_eq!(reply.status, 421, "Host: {host}");
        assert!(reply.body.is_empty());
    }
}

#[test]
fn a_take_whose_file_disappeared_is_404_and_served_again_when_it_returns() {
    let library = Library::new();
    let content = patterned_bytes(10);
    let path = library.add(TakeId(1), "a.mp4", &content);
    let server = library.serve();
    assert_eq!(
        get(&server, &media_target(&server, TakeId(1)), &[]).status,
        200
    );

    std::fs::remove_file(&path).expect("delete the take file");
    assert_eq!(
        get(&server, &media_target(&server, TakeId(1)), &[]).status,
        404
    );

    // The watcher indexes it again when it comes back.
    library.add(TakeId(1), "a.mp4", &content);
    assert_eq!(
        get(&server, &media_target(&server, TakeId(1)), &[]).status,
        200
    );
}

#[test]
fn a_take_resolving_to_a_directory_is_404() {
    let library = Library::new();
    library.index(TakeId(1), library.root());
    let server = library.serve();
    assert_eq!(
        get(&server, &media_target(&server, TakeId(1)), &[]).status,
        404
    );
}

#[test]
fn path_traversal_attempts_are_404_even_with_the_token() {
    let library = Library::new();
    library.add(TakeId(1), "a.mp4", &patterned_bytes(10));
    std::fs::write(library.root().join("secret.txt"), b"secret").expect("write secret");
    let server = library.serve();
    let token = server.token().to_owned();

    for path in [
        "/media/../secret.txt",
        "/media/..%2fsecret.txt",
        "/media/1/../../secret.txt",
        "/media/%2e%2e/secret.txt",
        "/media/1%00",
        "/media/-1",
        "/media/1.mp4",
        "/media/",
        "/secret.txt",
        "/../../etc/passwd",
        "/media//etc/passwd",
    ] {
        let reply = get(&server, &format!("{path}?t={token}"), &[]);
        assert_eq!(reply.status, 404, "{path}");
        assert!(!reply.body.windows(6).any(|w| w == b"secret"), "{path}");
    }
}

#[test]
fn methods_other_than_get_and_head_are_405() {
    let library = Library::new();
    library.add(TakeId(1), "a.mp4", &patterned_bytes(10));
    let server = library.serve();
    let reply = raw_request(
        &server,
        "POST",
        &media_target(&server, TakeId(1)),
        &[("Content-Length", "0")],
    );
    assert_eq!(reply.status, 405);
}

#[test]
fn dropping_the_server_closes_its_port() {
    let library = Library::new();
    let server = library.serve();
    let port = server.port();
    drop(server);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_err() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "port {port} still accepts connections 5 s after drop"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn two_thousand_idle_connections_and_a_100_mb_header_line_leave_a_normal_request_its_200() {
    load::ensure_open_files(5000);
    let library = Library::new();
    let content = patterned_bytes(1000);
    library.add(TakeId(1), "a.mp4", &content);
    let server = library.serve();

    let idle = load::idle_connections(server.port(), 2000);
    // One client streams a header line of 100 MB (never ending it).
    let sent = load::flood_header_line(server.port());
    assert!(
        sent < 100 << 20,
        "the server stopped reading the flood ({sent} bytes sent)"
    );

    // How fast, and at what memory cost, is `make bench` (benches/media_server.rs).
    let reply = get(&server, &media_target(&server, TakeId(1)), &[]);
    assert_eq!(reply.status, 200);
    assert!(reply.body == content);
    drop(idle);
}

#[test]
fn an_idle_connection_is_closed_after_the_header_read_timeout() {
    let library = Library::new();
    let server = library.serve();
    let mut idle = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    idle.set_read_timeout(Some(HEADER_READ_TIMEOUT + Duration::from_secs(10)))
        .unwrap();
    let start = std::time::Instant::now();
    let mut buf = [0u8; 1024];
    let read = idle.read(&mut buf);
    let after = start.elapsed();
    assert!(
        matches!(read, Ok(0))
            || read
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "closed by the server, not a client timeout: {read:?} after {after:?}"
    );
    assert!(
        after >= HEADER_READ_TIMEOUT - Duration::from_secs(1)
            && after < HEADER_READ_TIMEOUT + Duration::from_secs(5),
        "closed after {after:?}"
    );
}

#[test]
fn six_players_streaming_at_once_leave_a_seventh_request_its_reply() {
    let library = Library::new();
    let content = patterned_bytes(64 * 1024 * 1024);
    library.add(TakeId(1), "big.mp4", &content);
    library.add(TakeId(2), "small.mp4", &patterned_bytes(1000));
    let server = library.serve();
    // Six players each start a whole-file stream and read only its first bytes: their
    // responses are in flight, blocked on full socket buffers.
    let players: Vec<TcpStream> = (0..6)
        .map(|_| {
            let mut s = start_streaming(&server, TakeId(1));
            let mut first = [0u8; 4096];
            s.read_exact(&mut first).unwrap();
            assert!(first.starts_with(b"HTTP/1.1 200"));
            s
        })
        .collect();
    let start = std::time::Instant::now();
    let reply = get(&server, &media_target(&server, TakeId(2)), &[]);
    assert_eq!(reply.status, 200);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    drop(players);
}

#[test]
fn a_symlink_swapped_in_for_a_registered_file_is_404_and_reported_stale() {
    let library = Library::new();
    let path = library.add(TakeId(1), "a.mp4", &patterned_bytes(100));
    std::fs::write(library.root().join("secret.txt"), b"secret bytes").unwrap();
    let server = library.serve();
    let link = library.root().join(".swap");
    std::os::unix::fs::symlink(library.root().join("secret.txt"), &link).unwrap();
    std::fs::rename(&link, &path).unwrap();
    let reply = get(&server, &media_target(&server, TakeId(1)), &[]);
    assert_eq!(reply.status, 404);
    assert!(!reply.body.windows(6).any(|w| w == b"secret"));
    assert_eq!(library.stale(), [(TakeId(1), path)]);
}

#[test]
fn a_fifo_in_place_of_a_registered_file_is_404_within_a_second() {
    let library = Library::new();
    let path = library.add(TakeId(1), "a.mp4", &patterned_bytes(100));
    let server = library.serve();
    std::fs::remove_file(&path).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    let start = std::time::Instant::now();
    let reply = get(&server, &media_target(&server, TakeId(1)), &[]);
    assert_eq!(reply.status, 404);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(library.stale(), [(TakeId(1), path)]);
}

#[test]
fn a_file_changed_since_it_was_indexed_is_404_and_reported_stale() {
    let library = Library::new();
    let path = library.add(TakeId(1), "a.mp4", &patterned_bytes(100));
    let server = library.serve();
    std::fs::write(&path, b"other bytes, other length").unwrap();
    assert_eq!(
        get(&server, &media_target(&server, TakeId(1)), &[]).status,
        404
    );
    assert_eq!(library.stale(), [(TakeId(1), path)]);
}

#[test]
fn a_file_that_shrinks_during_a_response_closes_the_connection_short_of_its_length() {
    let library = Library::new();
    let content = patterned_bytes(64 * 1024 * 1024);
    let path = library.add(TakeId(1), "big.mp4", &content);
    let server = library.serve();
    let mut stream = start_streaming(&server, TakeId(1));
    let mut first = vec![0u8; 64 * 1024];
    stream.read_exact(&mut first).unwrap();
    // Truncated in place (same inode) while the body is being sent.
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(1024 * 1024)
        .unwrap();
    let mut rest = Vec::new();
    let ended = stream.read_to_end(&mut rest);
    let received = first.len() + rest.len();
    assert!(
        ended.is_ok()
            || ended
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "the connection ends (not a timeout): {ended:?}"
    );
    assert!(
        received < content.len(),
        "a short body must not pass for the whole file ({received} bytes)"
    );
}

#[test]
fn replies_carry_an_etag_and_if_range_serves_the_range_only_for_the_same_bytes() {
    let library = Library::new();
    let content = patterned_bytes(10_000);
    library.add(TakeId(1), "a.mp4", &content);
    let server = library.serve();
    let whole = get(&server, &media_target(&server, TakeId(1)), &[]);
    let etag = whole.header("etag").expect("an ETag").to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    assert_eq!(whole.header("server"), None, "no Server banner");

    let same = get(
        &server,
        &media_target(&server, TakeId(1)),
        &[("Range", "bytes=0-9"), ("If-Range", &etag)],
    );
    assert_eq!(same.status, 206);
    assert!(same.body == content[..10]);
    let other = get(
        &server,
        &media_target(&server, TakeId(1)),
        &[("Range", "bytes=0-9"), ("If-Range", "\"something-else\"")],
    );
    assert_eq!(other.status, 200, "other bytes: the whole file");
    assert_eq!(other.body.len(), content.len());
}
