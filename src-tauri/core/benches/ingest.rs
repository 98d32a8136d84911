//! Ingest benchmark: cold index, unchanged rescan and watcher latency, each beside the
//! common script approach (one `ffprobe` per file) on the same folder. Prints a table.
//!
//! Sizes can be reduced for a quick look: `BENCH_CLIPS=200 BENCH_RESCAN=1000`.

/// The core tests' clip maker, shared rather than copied; the bench uses part of it.
#[allow(
    dead_code,
    reason = "shared with the core tests; the bench uses part of it"
)]
#[path = "../tests/core/support/clips.rs"]
mod clips;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use takeboard_core::catalog::{projects, Catalog, CatalogError};
use takeboard_core::domain::ProjectId;
use takeboard_core::ingest::{self, IngestConfig, SharedCatalog};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One second of 24 fps H.264 at 320x180, made by the tests' clip maker.
fn make_source(dir: &Path) -> PathBuf {
    clips::make_clip(dir, "source.mp4", &clips::ClipSpec::default())
}

/// `n` distinct clips (a unique trailing `free` box each) named like Flash takes.
fn fill(folder: &Path, source: &Path, n: usize) {
    let bytes = std::fs::read(source).expect("source clip");
    for i in 0..n {
        let mut b = bytes.clone();
        b.extend_from_slice(&16u32.to_be_bytes());
        b.extend_from_slice(b"free");
        b.extend_from_slice(&(i as u64).to_be_bytes());
        let name = format!("SH{:03}_flash_t{}.mp4", 10 + (i % 40) * 10, i);
        std::fs::write(folder.join(name), b).expect("write clip");
    }
}

fn library(dir: &Path, folder: &Path) -> (SharedCatalog, ProjectId) {
    let db = dir.join("library.db");
    let mut cat = Catalog::open(&db).expect("library");
    let id = cat
        .write(|tx| -> Result<ProjectId, CatalogError> {
            let p = projects::ensure_project(tx, "Bench")?;
            projects::add_folder(tx, p.id, folder, &db)?;
            Ok(p.id)
        })
        .expect("project");
    (Arc::new(Mutex::new(cat)), id)
}

/// Seconds per file for `ffprobe` on a sample of the folder.
fn ffprobe_per_file(folder: &Path, sample: usize) -> f64 {
    let files: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .take(sample)
        .collect();
    let start = Instant::now();
    for f in &files {
        let out = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-print_format",
                "json",
                "-show_format",
                "-show_streams",
            ])
            .arg(f)
            .output()
            .expect("ffprobe runs");
        assert!(out.status.success());
    }
    start.elapsed().as_secs_f64() / files.len() as f64
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn main() {
    let clips = env_usize("BENCH_CLIPS", 2000);
    let rescan_n = env_usize("BENCH_RESCAN", 10_000);
    let samples = env_usize("BENCH_LATENCY_SAMPLES", 40);
    let probe_sample = env_usize("BENCH_FFPROBE_SAMPLE", 200);
    let tmp = tempfile::tempdir().expect("temp dir");
    let source = make_source(tmp.path());
    let no_settle = IngestConfig {
        settle: Duration::ZERO,
        ..IngestConfig::default()
    };
    let mut rows: Vec<[String; 4]> = Vec::new();

    // 1. Cold index.
    let cold_dir = tmp.path().join("cold");
    let cold = cold_dir.join("clips");
    std::fs::create_dir_all(&cold).unwrap();
    fill(&cold, &source, clips);
    let (cat, project) = library(&cold_dir, &std::fs::canonicalize(&cold).unwrap());
    let start = Instant::now();
    let report =
        ingest::reconcile_project(&cat, project, &no_settle, Duration::ZERO).expect("index");
    let ours = start.elapsed().as_secs_f64();
    assert_eq!(report.added, clips, "every clip indexed");
    let ffprobe = ffprobe_per_file(&cold, probe_sample) * clips as f64;
    rows.push([
        format!("cold index, {clips} clips"),
        format!("{ours:.2} s ({:.0} takes/s)", clips as f64 / ours),
        format!("{ffprobe:.2} s (sampled {probe_sample})"),
        format!("{:.1}x faster (goal >= 20x)", ffprobe / ours),
    ]);

    // 2. Unchanged rescan.
    let re_dir = tmp.path().join("rescan");
    let re = re_dir.join("clips");
    std::fs::create_dir_all(&re).unwrap();
    fill(&re, &source, rescan_n);
    let (cat, project) = library(&re_dir, &std::fs::canonicalize(&re).unwrap());
    ingest::reconcile_project(&cat, project, &no_settle, Duration::ZERO).expect("first index");
    let start = Instant::now();
    let report =
        ingest::reconcile_project(&cat, project, &no_settle, Duration::ZERO).expect("rescan");
    let ours = start.elapsed().as_secs_f64();
    assert_eq!(report.unchanged, rescan_n);
    let ffprobe = ffprobe_per_file(&re, probe_sample.min(100)) * rescan_n as f64;
    rows.push([
        format!("unchanged rescan, {rescan_n} takes"),
        format!("{ours:.3} s (goal < 1 s)"),
        format!("{ffprobe:.1} s (extrapolated)"),
        format!("{:.0}x faster", ffprobe / ours),
    ]);

    // 3. Watcher latency: final rename → committed row (event after commit).
    let settle = Duration::from_millis(500);
    let w_dir = tmp.path().join("watch");
    let w = w_dir.join("clips");
    std::fs::create_dir_all(&w).unwrap();
    let w = std::fs::canonicalize(&w).unwrap();
    let (cat, project) = library(&w_dir, &w);
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = ingest::watch(
        cat,
        project,
        IngestConfig {
            settle,
            ..IngestConfig::default()
        },
        move |_| {
            let _ = tx.send(Instant::now());
        },
        |e| eprintln!("watch error: {e}"),
    )
    .expect("watch");
    let staging = w_dir.join("staging");
    std::fs::create_dir_all(&staging).unwrap();
    let mut latencies = Vec::new();
    let mut ffprobe_latencies = Vec::new();
    for i in 0..samples {
        fill(&staging, &source, 1);
        let staged = std::fs::read_dir(&staging)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let mut bytes = std::fs::read(&staged).unwrap();
        bytes.extend_from_slice(&16u32.to_be_bytes());
        bytes.extend_from_slice(b"free");
        bytes.extend_from_slice(&(1_000_000 + i as u64).to_be_bytes());
        let part = w.join(format!("SH999_flash_t{i}.mp4.crdownload"));
        std::fs::write(&part, &bytes).unwrap();
        std::fs::remove_file(&staged).unwrap();
        let target = w.join(format!("SH999_flash_t{i}.mp4"));
        let t0 = Instant::now();
        std::fs::rename(&part, &target).unwrap();
        let t1 = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("row committed");
        latencies.push(t1 - t0);
        let p0 = Instant::now();
        let out = Command::new("ffprobe")
            .args(["-v", "error", "-show_streams"])
            .arg(&target)
            .output()
            .unwrap();
        assert!(out.status.success());
        ffprobe_latencies.push(p0.elapsed());
    }
    handle.stop();
    latencies.sort();
    ffprobe_latencies.sort();
    let p50 = percentile(&latencies, 0.5);
    let p99 = percentile(&latencies, 0.99);
    rows.push([
        format!("watcher latency, {samples} renames"),
        format!(
            "p50 {:.0} ms, p99 {:.0} ms (settle {} ms + {:.0} ms)",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            settle.as_millis(),
            p99.saturating_sub(settle).as_secs_f64() * 1e3
        ),
        format!(
            "settle + ffprobe p50 {:.0} ms",
            (settle + percentile(&ffprobe_latencies, 0.5)).as_secs_f64() * 1e3
        ),
        format!(
            "goal p99 <= settle + 100 ms: {}",
            if p99 <= settle + Duration::from_millis(100) {
                "met"
            } else {
                "NOT met"
            }
        ),
    ]);

    let head = ["benchmark", "takeboard", "ffprobe per file", "ratio / goal"];
    let widths: Vec<usize> = (0..4)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].len())
                .chain([head[c].len()])
                .max()
                .unwrap()
        })
        .collect();
    let line = |cells: [&str; 4]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    line(head);
    println!(
        "|{}|",
        widths
            .iter()
            .map(|w| "-".repeat(w + 2))
            .collect::<Vec<_>>()
            .join("|")
    );
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3]]);
    }
}
