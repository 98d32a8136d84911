//! Test helper shared by the core and CLI test binaries (included with `#[path]`): runs the
//! independent OpenTimelineIO reader `tests/otio/readback.py` on an export and returns its
//! JSON. The Python is `TAKEBOARD_PYTHON`, else `<repo>/.venv/bin/python`.

use serde_json::Value;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root (both crates live at `src-tauri/<crate>`).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python with opentimelineio and its FCP7/CMX3600 adapters.
fn python() -> PathBuf {
    let python = std::env::var_os("TAKEBOARD_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv/bin/python"));
    assert!(
        python.exists(),
        "no Python with OpenTimelineIO at {} (set TAKEBOARD_PYTHON or run `make test-deps`, \
         i.e. `python3 -m venv .venv && .venv/bin/pip install -r tests/otio/requirements.txt`)",
        python.display()
    );
    python
}

/// Runs the independent reader on an export; `sequence_rate` (`24`, `24000/1001`) is what
/// the EDL and CSV readers assume, since those formats do not carry one.
pub fn readback(file: &Path, sequence_rate: impl Display) -> Value {
    let output = Command::new(python())
        .arg(repo_root().join("tests/otio/readback.py"))
        .arg(file)
        .arg("--rate")
        .arg(sequence_rate.to_string())
        .env("PYTHONIOENCODING", "utf-8")
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "readback of {} failed:\n{}\n--- file ---\n{}",
        file.display(),
        String::from_utf8_lossy(&output.stderr),
        std::fs::read_to_string(file).unwrap_or_default()
    );
    serde_json::from_slice(&output.stdout).expect("readback prints JSON")
}
