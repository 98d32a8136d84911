//! Playback through the loopback media server: a `<video>` built from the IPC contract's
//! URL parts loads, reports the clip's real duration and size, and seeks; and the compare
//! grid's players let their decoders go when they leave the grid.

use serde_json::Value;
use takeboard_e2e::procs::{find_app, process_tree, pss_kb};
use takeboard_e2e::webdriver::key;
use takeboard_e2e::{
    app_binary, e2e_enabled, ui, wait_until, App, ClipFolder, ClipSpec, E2eError, Picture,
    UI_TIMEOUT,
};

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

/// PSS of the app and every process below it (WebKit's web and network processes), MiB.
fn app_tree_pss_mib(app_pid: u32) -> u64 {
    process_tree(app_pid)
        .iter()
        .filter_map(|p| pss_kb(p.pid))
        .sum::<u64>()
        / 1024
}

#[test]
fn stepping_through_shots_lets_the_decoders_of_the_shots_left_behind_go() -> Result<(), E2eError> {
    if !e2e_enabled("stepping_through_shots_lets_the_decoders_of_the_shots_left_behind_go") {
        return Ok(());
    }
    let codes = ["SH010", "SH020", "SH030", "SH040", "SH050", "SH060"];
    let clips = ClipFolder::empty()?;
    for code in codes {
        for t in 1..=4 {
            clips.add(ClipSpec {
                name: &format!("{code}_flash_t{t}.mp4"),
                rate: "24",
                seconds: 1,
                size: (1280, 720),
                ultrafast: true,
                picture: Picture::TestPattern,
            })?;
        }
    }
    let app = App::launch(clips.path())?;
    let session = app.session();
    ui::open_shot(session, codes[0], 4)?;
    let library = app.library().display().to_string();
    let pid = wait_until("the app process", UI_TIMEOUT, || {
        Ok(find_app(&app_binary()?, &library))
    })?;
    let before = app_tree_pss_mib(pid);

    // Down through every shot and back up, twice: 20 shots opened, 80 players made.
    let mut at = 0usize;
    for _ in 0..2 {
        for (step, count) in [(key::DOWN, codes.len() - 1), (key::UP, codes.len() - 1)] {
            for _ in 0..count {
                session.press(&[step])?;
                at = if step == key::DOWN { at + 1 } else { at - 1 };
                let code = codes[at];
                ui::wait_for_grid(
                    session,
                    &format!("{code} on decoded frames"),
                    UI_TIMEOUT,
                    |g| g.shot == code && g.players.len() == 4 && g.settled(),
                )?;
            }
        }
    }
    let after = app_tree_pss_mib(pid);
    // Each 720p decoder holds ~35 MiB here: keeping the 76 left behind would add gigabytes.
    assert!(
        after.saturating_sub(before) < 250,
        "memory grew from {before} MiB to {after} MiB while stepping through shots"
    );
    app.close()
}
