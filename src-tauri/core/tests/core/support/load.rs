//! Hostile load on the local media server, shared by its tests and its bench: many idle
//! connections, one endless header line, and the open-files limit they need.

use std::io::Write;
use std::net::TcpStream;

/// Raises this process's open-files limit to at least `need` (up to its hard limit, with
/// `prlimit`, so without unsafe code); fails when the machine's hard limit is lower.
pub fn ensure_open_files(need: u64) {
    let limits = std::fs::read_to_string("/proc/self/limits").expect("read limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("open-files limit");
    let numbers: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let (soft, hard) = (numbers[0], numbers[1]);
    if soft >= need {
        return;
    }
    assert!(
        hard >= need,
        "this machine allows {hard} open files; the test needs {need}"
    );
    let status = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={hard}:{hard}"))
        .status()
        .expect("run prlimit");
    assert!(status.success(), "raise the open-files limit");
}

/// `n` connections to `port` that never send a byte.
pub fn idle_connections(port: u16, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).expect("connect"))
        .collect()
}

/// Streams a header line of up to 100 MB to `port`, never ending it; returns how many
/// bytes the server took before it stopped reading.
pub fn flood_header_line(port: u16) -> usize {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let _ = stream.write_all(b"GET /media/1 HTTP/1.1\r\nX-Flood: ");
    let chunk = vec![b'a'; 1 << 20];
    let mut sent = 0usize;
    for _ in 0..100 {
        match stream.write_all(&chunk) {
            Ok(()) => sent += chunk.len(),
            Err(_) => break,
        }
    }
    sent
}
