//! End-to-end harness: drives the real Takeboard binary through tauri-driver.
//!
//! Pieces: [`webdriver`] (a small W3C client), [`TauriDriver`] (starts `tauri-driver` on free
//! ports, waits for it, kills it and everything it launched on drop), [`wait_until`] (the only
//! way tests wait: poll with a deadline), [`ClipFolder`] (real H.264 clips made by ffmpeg).
//!
//! The suite needs a display, WebKitWebDriver, tauri-driver and a built app, so it runs only
//! when `TAKEBOARD_E2E=1` (`make test-e2e` sets it and runs under `xvfb-run -a`); otherwise each
//! test prints that it was skipped and passes, keeping `cargo test --workspace` hermetic.

pub mod webdriver;

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Everything that can fail in an end-to-end test.
#[derive(Debug, thiserror::Error)]
pub enum E2eError {
    /// The HTTP exchange with the driver failed.
    #[error("WebDriver HTTP: {0}")]
    Http(String),
    /// The driver answered with a WebDriver error.
    #[error("{call}: {error}: {message}")]
    WebDriver {
        /// Method and URL.
        call: String,
        /// The W3C error code, e.g. `no such element`.
        error: String,
        /// The driver's message.
        message: String,
    },
    /// The driver's reply did not have the expected shape.
    #[error("unexpected WebDriver reply: {0}")]
    Protocol(String),
    /// Something did not happen before its deadline.
    #[error("timed out after {after:?} waiting for {what}{last}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// The deadline.
        after: Duration,
        /// The last error seen while polling, if any.
        last: String,
    },
    /// A tool the suite needs is missing or failed (tauri-driver, ffmpeg, the app binary).
    #[error("{0}")]
    Setup(String),
    /// A file could not be written or read.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Whether the suite should run. When it should not, prints why (once per test) so a
/// skipped run is never mistaken for a passing one.
pub fn e2e_enabled(test: &str) -> bool {
    let enabled = std::env::var("TAKEBOARD_E2E").is_ok_and(|v| v == "1");
    if !enabled {
        eprintln!(
            "skipped {test}: set TAKEBOARD_E2E=1 (or run `make test-e2e`) to drive the real app"
        );
    }
    enabled
}

/// Polls `probe` every 100 ms until it returns `Ok(Some(value))` or `timeout` passes.
/// Errors from `probe` are retried (the page may still be loading) and reported on timeout.
pub fn wait_until<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl FnMut() -> Result<Option<T>, E2eError>,
) -> Result<T, E2eError> {
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    loop {
        match probe() {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(e) => last = format!(" (last error: {e})"),
        }
        if Instant::now() >= deadline {
            return Err(E2eError::Timeout {
                what: what.to_owned(),
                after: timeout,
                last,
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The workspace root (this crate lives in `tests/e2e`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The app binary under test: `TAKEBOARD_APP`, else `target/debug/takeboard`.
pub fn app_binary() -> Result<PathBuf, E2eError> {
    let path = std::env::var_os("TAKEBOARD_APP")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/debug/takeboard"));
    let path = path.canonicalize().map_err(|e| {
        E2eError::Setup(format!(
            "app binary {} not found ({e}); build it with `make app`",
            path.display()
        ))
    })?;
    Ok(path)
}

fn free_port() -> Result<u16, E2eError> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running `tauri-driver` in its own process group. Dropping it kills the group: the
/// driver, WebKitWebDriver and any app they launched.
pub struct TauriDriver {
    child: Child,
    url: String,
    log: PathBuf,
}

impl TauriDriver {
    /// Starts `tauri-driver` (from `TAURI_DRIVER`, else `~/.cargo/bin`, else `PATH`) on two
    /// free ports and waits until `GET /status` says it is ready. Its output goes to
    /// `log_dir/tauri-driver.log`.
    pub fn start(log_dir: &Path) -> Result<TauriDriver, E2eError> {
        let binary = std::env::var_os("TAURI_DRIVER")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(|h| PathBuf::from(h).join(".cargo/bin/tauri-driver"))
                    .filter(|p| p.is_file())
            })
            .unwrap_or_else(|| PathBuf::from("tauri-driver"));
        let port = free_port()?;
        let native_port = free_port()?;
        let log = log_dir.join("tauri-driver.log");
        let out = File::create(&log)?;
        let err = out.try_clone()?;
        let child = {
            use std::os::unix::process::CommandExt as _;
            Command::new(&binary)
                .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .process_group(0)
                .spawn()
                .map_err(|e| {
                    E2eError::Setup(format!(
                        "cannot start {} ({e}); install it with `cargo install tauri-driver --locked --version 2.1.0`",
                        binary.display()
                    ))
                })?
        };
        let driver = TauriDriver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        };
        // tauri-driver does not wait for WebKitWebDriver (tauri #3576): poll /status.
        wait_until(
            "tauri-driver to report ready",
            Duration::from_secs(20),
            || Ok(webdriver::driver_ready(&driver.url).then_some(())),
        )?;
        Ok(driver)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Launches the app with `args` in a new session.
    pub fn launch(&self, app: &Path, args: &[String]) -> Result<webdriver::Session, E2eError> {
        webdriver::Session::new(&self.url, app, args)
    }

    /// The driver's output so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        // SIGTERM the whole group (driver, WebKitWebDriver, app), then make sure the driver
        // itself is gone and reaped.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-TERM", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A temp folder of real H.264 clips generated with ffmpeg.
pub struct ClipFolder {
    dir: tempfile::TempDir,
}

/// The picture size, length and encoder speed of generated clips (always 24 fps H.264 with
/// an AAC tone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClipSpec {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Length in whole seconds.
    pub seconds: u32,
    /// Encode with x264's `ultrafast` preset (large, quick to make) instead of the default.
    pub ultrafast: bool,
}

impl ClipSpec {
    /// What the tests use: 1 second at 320×180.
    pub const SMALL: ClipSpec = ClipSpec {
        width: 320,
        height: 180,
        seconds: 1,
        ultrafast: false,
    };
}

impl ClipFolder {
    /// Creates one 1-second 320×180 24 fps clip (with a test pattern and a tone) per name.
    pub fn generate(names: &[&str]) -> Result<ClipFolder, E2eError> {
        ClipFolder::generate_with(names, ClipSpec::SMALL)
    }

    /// Creates one 24 fps clip per name, shaped by `spec`; each name gets its own hue.
    pub fn generate_with(names: &[&str], spec: ClipSpec) -> Result<ClipFolder, E2eError> {
        let dir = tempfile::tempdir()?;
        let ClipSpec {
            width,
            height,
            seconds,
            ultrafast,
        } = spec;
        let preset: &[&str] = if ultrafast {
            &["-preset", "ultrafast"]
        } else {
            &[]
        };
        for (n, name) in names.iter().enumerate() {
            let path = dir.path().join(name);
            let pattern = format!(
                "testsrc2=size={width}x{height}:rate=24:duration={seconds},hue=h={}",
                n * 50
            );
            let tone = format!("sine=frequency=440:duration={seconds}");
            let status = Command::new("ffmpeg")
                .args(["-v", "error", "-y", "-f", "lavfi", "-i", &pattern])
                .args(["-f", "lavfi", "-i", &tone])
                .args(["-c:v", "libx264"])
                .args(preset)
                .args(["-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"])
                .args(["-movflags", "+faststart"])
                .arg(&path)
                .status()
                .map_err(|e| E2eError::Setup(format!("cannot run ffmpeg: {e}")))?;
            if !status.success() {
                return Err(E2eError::Setup(format!(
                    "ffmpeg failed making {name}: {status}"
                )));
            }
        }
        Ok(ClipFolder { dir })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}
