//! The app's processes as `/proc` shows them: the process tree below the app (WebKit's web
//! and network processes), their CPU time and their memory (RSS, PSS). Linux only; used by
//! the memory test and the app benchmark.

use std::collections::HashMap;
use std::path::Path;

/// A process seen in `/proc`.
pub struct Proc {
    /// Process id.
    pub pid: u32,
    /// Parent process id.
    pub ppid: u32,
    /// Its name (`comm`, at most 15 bytes).
    pub name: String,
    /// utime + stime, in clock ticks.
    pub cpu_ticks: u64,
}

/// The process `pid`, if it still exists.
pub fn read_proc(pid: u32) -> Option<Proc> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    Some(Proc {
        pid,
        ppid: fields.get(1)?.parse().ok()?,
        name: stat[open + 1..close].to_owned(),
        cpu_ticks: fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?,
    })
}

/// Every process on the machine.
pub fn all_procs() -> Vec<Proc> {
    std::fs::read_dir("/proc")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .filter_map(read_proc)
                .collect()
        })
        .unwrap_or_default()
}

/// The app process: runs `binary` with `marker` (its library path) on its command line.
pub fn find_app(binary: &Path, marker: &str) -> Option<u32> {
    all_procs().into_iter().map(|p| p.pid).find(|pid| {
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        exe.as_deref() == Some(binary) && String::from_utf8_lossy(&cmdline).contains(marker)
    })
}

/// `root` and every process below it (WebKit's web and network processes and whatever
/// sandbox helpers sit between).
pub fn process_tree(root: u32) -> Vec<Proc> {
    let procs = all_procs();
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for p in &procs {
        children.entry(p.ppid).or_default().push(p.pid);
    }
    let mut wanted = vec![root];
    let mut i = 0;
    while i < wanted.len() {
        wanted.extend(children.get(&wanted[i]).into_iter().flatten());
        i += 1;
    }
    procs
        .into_iter()
        .filter(|p| wanted.contains(&p.pid))
        .collect()
}

/// A `kB` line (`VmRSS:`, `Pss:`, `MemTotal:`) of a `/proc` file, in kB.
pub fn proc_kb(file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// PSS of `pid` in kB (`/proc/PID/smaps_rollup`), if readable.
pub fn pss_kb(pid: u32) -> Option<u64> {
    proc_kb(&format!("/proc/{pid}/smaps_rollup"), "Pss:")
}
