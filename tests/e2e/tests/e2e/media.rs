//! Playback through the loopback media server: a `<video>` built from the IPC contract's
//! URL parts loads, reports the clip's real duration and size, and seeks.

use serde_json::Value;
use takeboard_e2e::{e2e_enabled, wait_until, App, ClipFolder, E2eError, UI_TIMEOUT};

/// Builds `${mediaBaseUrl}${mediaPath}?t=${mediaToken}` for the first take of the first
/// shot, plays it in a fresh `<video>`, seeks to 0.5 s and reports what the element saw.
const PLAY_AND_SEEK: &str = r#"
const done = arguments[arguments.length - 1];
const invoke = (cmd, args) => window.__TAURI_INTERNALS__.invoke(cmd, args || {});
(async () => {
  const info = await invoke("app_info");
  const shots = await invoke("list_shots");
  const takes = await invoke("list_takes", { shotId: shots[0].id });
  const url = `${info.mediaBaseUrl}${takes[0].mediaPath}?t=${info.mediaToken}`;
  const video = document.createElement("video");
  video.muted = true;
  video.preload = "auto";
  const once = (name) => new Promise((resolve, reject) => {
    video.addEventListener(name, resolve, { once: true });
    video.addEventListener("error", () => reject(new Error(`media error ${video.error && video.error.code}`)), { once: true });
  });
  const loaded = once("loadedmetadata");
  video.src = url;
  document.body.appendChild(video);
  await loaded;
  const seeked = once("seeked");
  video.currentTime = 0.5;
  await seeked;
  done({ ok: { url, duration: video.duration, width: video.videoWidth, height: video.videoHeight, time: video.currentTime } });
})().catch((e) => done({ err: String(e && e.message || e) }));
"#;

#[test]
fn a_take_plays_and_seeks_from_the_loopback_media_server() -> Result<(), E2eError> {
    if !e2e_enabled("a_take_plays_and_seeks_from_the_loopback_media_server") {
        return Ok(());
    }
    let clips = ClipFolder::generate(&["SH010_flash_t1.mp4"])?;
    let app = App::launch(clips.path())?;
    let session = app.session();

    let seen: Value = wait_until("the take to play and seek", UI_TIMEOUT, || {
        let reply = session.execute_async(PLAY_AND_SEEK, &[])?;
        match (reply.get("ok"), reply.get("err")) {
            (Some(ok), _) => Ok(Some(ok.clone())),
            (None, Some(err)) => Err(E2eError::Protocol(err.to_string())),
            (None, None) => Ok(None),
        }
    })?;

    let url = seen["url"].as_str().unwrap_or_default();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "served from loopback: {seen}"
    );
    assert!(
        url.contains("/media/") && url.contains("?t="),
        "contract URL shape: {seen}"
    );
    let duration = seen["duration"].as_f64().unwrap_or_default();
    assert!(
        (duration - 1.0).abs() < 0.1,
        "the 1 s clip's duration: {seen}"
    );
    assert_eq!(seen["width"], Value::from(320), "{seen}");
    assert_eq!(seen["height"], Value::from(180), "{seen}");
    let time = seen["time"].as_f64().unwrap_or_default();
    assert!((time - 0.5).abs() < 0.05, "seeked to 0.5 s: {seen}");
    app.close()
}
