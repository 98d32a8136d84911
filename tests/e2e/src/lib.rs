//! End-to-end harness: drives the real Takeboard binary through tauri-driver.
//!
//! Pieces: [`webdriver`] (a small W3C client), [`TauriDriver`] (starts `tauri-driver` on free
//! ports, waits for it, kills it and everything it launched on drop), [`App`] (the app on a
//! fresh library and a watched folder), [`wait_until`] (the only way tests wait: poll with a
//! deadline), [`ClipFolder`] (real H.264 clips made by ffmpeg, and the demo project).
//!
//! The suite needs a display, WebKitWebDriver, tauri-driver and a built app, so it runs only
//! when `TAKEBOARD_E2E=1` (`make test-e2e` sets it and runs under `xvfb-run -a`); otherwise each
//! test prints that it was skipped and passes, keeping `cargo test --workspace` hermetic.

pub mod pixels;
pub mod procs;
pub mod ui;
pub mod webdriver;

use std::fs::File;
use std::hash::{Hash as _, Hasher as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

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

/// The settle window of the app under test (`TAKEBOARD_SETTLE_MS`): short, so a clip dropped
/// into a watched folder shows up within a second instead of after the default two.
pub const SETTLE_MS: &str = "300";

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
        TauriDriver::start_with_env(log_dir, &[])
    }

    /// [`TauriDriver::start`] with extra environment variables, inherited by the app.
    pub fn start_with_env(log_dir: &Path, env: &[(&str, String)]) -> Result<TauriDriver, E2eError> {
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
                // Inherited by WebKitWebDriver and the app it launches.
                .env("TAKEBOARD_SETTLE_MS", SETTLE_MS)
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
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
        // SIGTERM the whole group (driver, WebKitWebDriver, app), reap the driver, then wait
        // for the rest of the group to go; whatever is still there after the deadline gets
        // SIGKILL, so no run leaves a driver or an app behind.
        let group = format!("-{}", self.child.id());
        signal_group("-TERM", &group);
        let _ = self.child.kill();
        let _ = self.child.wait();
        let gone = wait_until(
            "the driver's processes to exit",
            Duration::from_secs(5),
            || Ok((!signal_group("-0", &group)).then_some(())),
        );
        if gone.is_err() {
            signal_group("-KILL", &group);
        }
    }
}

/// Sends `signal` to the process group `group` (`-<pgid>`); true when some process got it.
fn signal_group(signal: &str, group: &str) -> bool {
    Command::new("kill")
        .args([signal, "--", group])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// How long the UI gets to show something after the action that causes it.
pub const UI_TIMEOUT: Duration = Duration::from_secs(20);

/// The app launched through tauri-driver on a fresh library in a temp folder, watching one
/// folder (`--library L --folder F`). Dropping it closes the app and stops the driver.
pub struct App {
    // Field order is drop order: the session (closing the app) before the driver.
    session: webdriver::Session,
    driver: TauriDriver,
    library: PathBuf,
    work: tempfile::TempDir,
}

impl App {
    /// Starts a driver and launches the app on a new library watching `folder`.
    pub fn launch(folder: &Path) -> Result<App, E2eError> {
        App::launch_with_env(folder, &[])
    }

    /// [`App::launch`] with extra environment variables for the app (a provider's URL and
    /// key, for instance).
    pub fn launch_with_env(folder: &Path, env: &[(&str, String)]) -> Result<App, E2eError> {
        let work = tempfile::tempdir()?;
        let library = work.path().join("library.db");
        // The app keeps a saved API key in the user's config dir: this app's is its own.
        let config = work.path().join("config");
        let mut env = env.to_vec();
        env.push(("XDG_CONFIG_HOME", config.display().to_string()));
        // WebDriver cannot drive GTK's file chooser: the app's dialogs answer from a file.
        env.push((
            "TAKEBOARD_DIALOG_ANSWER_FILE",
            work.path().join(DIALOG_ANSWER).display().to_string(),
        ));
        let driver = TauriDriver::start_with_env(work.path(), &env)?;
        let session = driver.launch(
            &app_binary()?,
            &[
                "--library".into(),
                library.display().to_string(),
                "--folder".into(),
                folder.display().to_string(),
            ],
        )?;
        Ok(App {
            session,
            driver,
            library,
            work,
        })
    }

    /// The WebDriver session on the app's window.
    pub fn session(&self) -> &webdriver::Session {
        &self.session
    }

    /// The library database the app writes.
    pub fn library(&self) -> &Path {
        &self.library
    }

    /// Makes the app's next native dialogs pick `path` (see the app's `picks` module).
    pub fn answer_dialogs_with(&self, path: &Path) -> Result<(), E2eError> {
        std::fs::write(
            self.work.path().join(DIALOG_ANSWER),
            path.display().to_string(),
        )?;
        Ok(())
    }

    /// Picks `path` through IPC as the UI does (the dialog answered by the file), and
    /// returns the one-use token `kind`'s command takes.
    pub fn pick(&self, path: &Path, kind: &str) -> Result<String, E2eError> {
        self.answer_dialogs_with(path)?;
        let picked = self.session.invoke_ok(
            "pick_path",
            serde_json::json!({ "kind": kind, "format": null }),
        )?;
        picked["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| E2eError::Protocol(format!("pick_path answered {picked}")))
    }

    /// A scratch folder that lives as long as the app (export destinations).
    pub fn work_dir(&self) -> &Path {
        self.work.path()
    }

    /// Adds tauri-driver's log to an error, for failures that happen before the UI shows.
    pub fn with_log(&self, error: E2eError) -> E2eError {
        E2eError::Setup(format!(
            "{error}\n--- tauri-driver log ---\n{}",
            self.driver.log()
        ))
    }

    /// Ends the session (the app closes) and stops the driver.
    pub fn close(self) -> Result<(), E2eError> {
        let App { session, .. } = self;
        session.delete()
    }
}

/// The file in an app's work dir whose content answers its native dialogs.
const DIALOG_ANSWER: &str = "dialog-answer";

/// A temp folder of real H.264 clips made by ffmpeg. Every clip is written the way a browser
/// downloads: to `<name>.part`, renamed to its name once complete.
pub struct ClipFolder {
    /// Held only to be removed on drop.
    _root: tempfile::TempDir,
    /// The clips' folder: the temp folder itself, or a named folder in it (the project is
    /// named after its first folder).
    path: PathBuf,
}

/// What a generated clip's frames show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picture {
    /// ffmpeg's moving `testsrc2` pattern.
    TestPattern,
    /// Each frame paints its own number in binary: [`pixels::FRAME_BITS`] vertical
    /// stripes, most significant first, white for 1 and black for 0 (see [`pixels`]).
    FrameNumber,
}

/// One clip to generate: a picture with a tone.
#[derive(Debug, Clone, Copy)]
pub struct ClipSpec<'a> {
    /// File name inside the folder (its shot code decides the shot).
    pub name: &'a str,
    /// Frame rate as ffmpeg reads it: `24`, `24000/1001`, `30000/1001`.
    pub rate: &'a str,
    /// Length in seconds.
    pub seconds: u32,
    /// Picture size in pixels (width, height).
    pub size: (u32, u32),
    /// Encode with x264's `ultrafast` preset (large files, quick to make) for long clips.
    pub ultrafast: bool,
    /// What the frames show.
    pub picture: Picture,
}

impl<'a> ClipSpec<'a> {
    /// A small test clip: 320×180, `veryfast`.
    pub fn small(name: &'a str, rate: &'a str, seconds: u32) -> ClipSpec<'a> {
        ClipSpec {
            name,
            rate,
            seconds,
            size: (320, 180),
            ultrafast: false,
            picture: Picture::TestPattern,
        }
    }

    /// A small clip whose frames paint their own number, for reading frames off the screen.
    pub fn numbered(name: &'a str, rate: &'a str, seconds: u32) -> ClipSpec<'a> {
        ClipSpec {
            picture: Picture::FrameNumber,
            ..ClipSpec::small(name, rate, seconds)
        }
    }
}

impl ClipFolder {
    /// An empty folder.
    pub fn empty() -> Result<ClipFolder, E2eError> {
        let root = tempfile::tempdir()?;
        let path = root.path().to_owned();
        Ok(ClipFolder { _root: root, path })
    }

    /// One 1-second 24 fps clip per name.
    pub fn generate(names: &[&str]) -> Result<ClipFolder, E2eError> {
        let folder = ClipFolder::empty()?;
        for name in names {
            folder.add(ClipSpec::small(name, "24", 1))?;
        }
        Ok(folder)
    }

    /// A copy of the demo project (`scripts/make-demo.sh`: SH010 with 5 Flash takes and a
    /// Standard render, SH020 with 4, SH030 with 6; 5 s, 24 fps, 720p Luma sidecars). The
    /// demo is generated once into `target/e2e-demo/` and copied per test, with the
    /// copies' mtimes an hour old like long-finished downloads. The folder is named `Demo`,
    /// and so is the project.
    pub fn demo() -> Result<ClipFolder, E2eError> {
        let cache = demo_cache()?;
        let root = tempfile::tempdir()?;
        let path = root.path().join("Demo");
        std::fs::create_dir(&path)?;
        let folder = ClipFolder { _root: root, path };
        let finished = SystemTime::now() - Duration::from_secs(3600);
        for entry in std::fs::read_dir(&cache)? {
            let entry = entry?;
            let dest = folder.path().join(entry.file_name());
            std::fs::copy(entry.path(), &dest)?;
            File::options()
                .write(true)
                .open(&dest)?
                .set_modified(finished)?;
        }
        Ok(folder)
    }

    /// Generates `spec` into `<name>.part`, then renames it to `<name>`; returns its path.
    /// The clip's title tag is its name, so no two clips share content (a take is its hash).
    pub fn add(&self, spec: ClipSpec<'_>) -> Result<PathBuf, E2eError> {
        let path = self.path().join(spec.name);
        let part = self.path().join(format!("{}.part", spec.name));
        let (width, height) = spec.size;
        let pattern = match spec.picture {
            Picture::TestPattern => format!(
                "testsrc2=size={width}x{height}:rate={}:duration={}",
                spec.rate, spec.seconds
            ),
            Picture::FrameNumber => format!(
                "color=c=black:size={width}x{height}:rate={}:duration={},{}",
                spec.rate,
                spec.seconds,
                pixels::frame_number_filter()
            ),
        };
        let preset = if spec.ultrafast {
            "ultrafast"
        } else {
            "veryfast"
        };
        let tone = format!("sine=frequency=440:duration={}", spec.seconds);
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i", &pattern])
            .args(["-f", "lavfi", "-i", &tone])
            .args(["-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p"])
            .args(["-c:a", "aac", "-shortest", "-movflags", "+faststart"])
            .args(["-metadata", &format!("title={}", spec.name)])
            .args(["-f", "mp4"])
            .arg(&part)
            .stdin(Stdio::null())
            .status()
            .map_err(|e| E2eError::Setup(format!("cannot run ffmpeg: {e}")))?;
        if !status.success() {
            return Err(E2eError::Setup(format!(
                "ffmpeg failed making {}: {status}",
                spec.name
            )));
        }
        std::fs::rename(&part, &path)?;
        Ok(path)
    }

    /// Writes `bytes` as `name` with an mtime an hour old: a download that finished long
    /// ago, so ingest judges it at once instead of waiting for more bytes.
    pub fn add_finished_file(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, E2eError> {
        let path = self.path().join(name);
        std::fs::write(&path, bytes)?;
        File::options()
            .write(true)
            .open(&path)?
            .set_modified(SystemTime::now() - Duration::from_secs(3600))?;
        Ok(path)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The demo clips, generated by `scripts/make-demo.sh` on first use into
/// `target/e2e-demo/<hash of the script>` (a changed script gets a fresh folder).
fn demo_cache() -> Result<PathBuf, E2eError> {
    let script = workspace_root().join("scripts/make-demo.sh");
    let mut hasher = std::hash::DefaultHasher::new();
    std::fs::read(&script)?.hash(&mut hasher);
    let dir = workspace_root().join(format!("target/e2e-demo/{:016x}", hasher.finish()));
    if dir.is_dir() {
        return Ok(dir);
    }
    let partial = dir.with_extension(format!("partial-{}", std::process::id()));
    let status = Command::new(&script)
        .arg(&partial)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .map_err(|e| E2eError::Setup(format!("cannot run {}: {e}", script.display())))?;
    if !status.success() {
        return Err(E2eError::Setup(format!(
            "{} failed: {status}",
            script.display()
        )));
    }
    // Another run may have finished first; its copy is as good as ours.
    if std::fs::rename(&partial, &dir).is_err() && dir.is_dir() {
        std::fs::remove_dir_all(&partial)?;
    }
    Ok(dir)
}
