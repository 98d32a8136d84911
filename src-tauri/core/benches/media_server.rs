//! Media server benchmark: how long a normal request takes, and how much the process
//! grows, while 2,000 idle connections are open and one client streams a 100 MB header
//! line. Prints a table beside the goals (a reply within 1 s, under 96 MiB of growth).
//! The behaviour itself (the reply is whole, the flood is cut off) is tested in
//! `tests/core/media_server.rs`.

/// The core tests' load helpers, shared rather than copied.
#[path = "../tests/core/support/load.rs"]
mod load;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use takeboard_core::domain::TakeId;
use takeboard_core::hash::stamp_path;
use takeboard_core::media_server::{MediaServer, ServedFile};

const IDLE: usize = 2000;
const SAMPLES: usize = 20;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .expect("read /proc/self/status")
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS")
}

/// One whole GET of `/media/1`; returns the time to the last body byte.
fn timed_get(server: &MediaServer, expected_len: usize) -> Duration {
    let start = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
    let request = format!(
        "GET {}?t={} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
        MediaServer::url_path(TakeId(1)),
        server.token(),
        server.port()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("read");
    let took = start.elapsed();
    assert!(reply.starts_with(b"HTTP/1.1 200"), "a normal reply");
    assert!(reply.len() > expected_len, "the whole body");
    took
}

fn main() {
    load::ensure_open_files(IDLE as u64 + 1000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path: PathBuf = dir.path().join("a.mp4");
    let content: Vec<u8> = (0..1_000_000).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &content).expect("write the take");
    let served = ServedFile {
        stamp: stamp_path(&path).expect("stat"),
        path,
    };
    let server = MediaServer::start(
        Arc::new(move |id| (id == TakeId(1)).then(|| served.clone())),
        Arc::new(|_, _| {}),
    )
    .expect("media server starts");

    let quiet: Vec<Duration> = (0..SAMPLES)
        .map(|_| timed_get(&server, content.len()))
        .collect();
    let before = rss_kib();
    let idle = load::idle_connections(server.port(), IDLE);
    let flooded = load::flood_header_line(server.port());
    let loaded: Vec<Duration> = (0..SAMPLES)
        .map(|_| timed_get(&server, content.len()))
        .collect();
    let grown = rss_kib().saturating_sub(before);
    drop(idle);

    let worst = |d: &[Duration]| d.iter().max().copied().unwrap_or_default();
    let median = |d: &[Duration]| {
        let mut d = d.to_vec();
        d.sort();
        d[d.len() / 2]
    };
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    let rows = [
        [
            "GET 1 MB, quiet server".to_owned(),
            format!("median {:?}, worst {:?}", median(&quiet), worst(&quiet)),
            "-".to_owned(),
        ],
        [
            format!("GET 1 MB, {IDLE} idle + 100 MB header flood"),
            format!("median {:?}, worst {:?}", median(&loaded), worst(&loaded)),
            format!(
                "worst < 1 s: {}",
                verdict(worst(&loaded) < Duration::from_secs(1))
            ),
        ],
        [
            "process growth under that load".to_owned(),
            format!("{} KiB (flood cut after {} MiB)", grown, flooded >> 20),
            format!("< 96 MiB: {}", verdict(grown < 96 * 1024)),
        ],
    ];
    println!("| benchmark | result | goal |");
    println!("|---|---|---|");
    for [what, result, goal] in rows {
        println!("| {what} | {result} | {goal} |");
    }
}
