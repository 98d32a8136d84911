//! Test support: a library + clips folder in a temp dir, and the real CLI binary.

use crate::clips::{make_clip, ClipSpec};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temp dir with a library path and a `clips/` folder.
pub struct Env {
    /// The temp dir.
    pub dir: tempfile::TempDir,
    /// The library database (not created until the first command).
    pub db: PathBuf,
    /// The clips folder.
    pub clips: PathBuf,
}

/// Makes a 1 s 320x180 H.264 clip with ffmpeg (the core tests' clip maker).
pub fn clip(dir: &Path, name: &str, fps: &'static str, audio: bool) -> PathBuf {
    let spec = ClipSpec {
        fps,
        audio,
        ..ClipSpec::default()
    };
    make_clip(dir, name, &spec)
}

impl Env {
    /// A fresh environment.
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("lib").join("library.db");
        let clips = dir.path().join("clips");
        std::fs::create_dir(&clips).unwrap();
        Env { dir, db, clips }
    }

    /// The CLI command with `--library` and a zero settle window, not yet run.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_on(&self.db, args)
    }

    /// [`Env::command`] on the library at `db`.
    pub fn command_on(&self, db: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_takeboard-cli"));
        cmd.arg("--library")
            .arg(db)
            .args(args)
            .env("TAKEBOARD_SETTLE_MS", "0")
            // A saved API key lives in the user's config dir: never the real one here.
            .env("XDG_CONFIG_HOME", self.dir.path().join("config"));
        cmd
    }

    /// Runs the CLI with `--library` and a zero settle window.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("cli runs")
    }

    /// Runs the CLI, asserting success, and parses stdout.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("stdout is JSON")
    }

    /// Runs the CLI, asserting exit code 1 and nothing on stdout; returns stderr.
    pub fn fail(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?} should fail with exit 1"
        );
        assert!(out.stdout.is_empty(), "nothing on stdout on failure");
        String::from_utf8(out.stderr).unwrap()
    }
}

/// A second connection to the library, from the test process.
pub fn rusqlite_setup(db: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(db).expect("a second connection to the library")
}

/// xorshift64: a seeded, reproducible stream of random numbers.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
