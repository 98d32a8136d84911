//! Process limits a test or bench needs raised.

/// Raises this process's open-files limit to at least `need` (up to its hard limit, with
/// `prlimit`); fails when the machine's hard limit is lower.
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
