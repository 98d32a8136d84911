//! Real video clips for tests, made by ffmpeg in the caller's temp dir, and ffprobe's reading
//! of them. Nothing is cached between runs: every clip is generated where the test asks.
//!
//! Clips are tiny (320x180 by default, `-preset ultrafast`) so a test can make several in
//! well under a second each. A failing ffmpeg or ffprobe panics with its stderr.

use serde_json::Value;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Video codec of a generated clip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// H.264 via libx264 (sample entry `avc1`).
    H264,
    /// HEVC via libx265, tagged `hvc1` as Apple and Premiere expect.
    Hevc,
}

/// What clip to make. Start from `ClipSpec::default()` and override what matters:
/// `ClipSpec { fps: "24000/1001", audio: true, ..ClipSpec::default() }`.
#[derive(Debug, Clone)]
pub struct ClipSpec {
    /// Frame rate as ffmpeg takes it: `"24"`, `"24000/1001"`, ...
    pub fps: &'static str,
    /// Length in seconds.
    pub seconds: f64,
    /// Width in pixels (even).
    pub width: u32,
    /// Height in pixels (even).
    pub height: u32,
    /// Video codec.
    pub codec: Codec,
    /// Whether to add an AAC sine-tone track.
    pub audio: bool,
    /// `-movflags +faststart`: `moov` before `mdat`. Without it `moov` is at the end.
    pub faststart: bool,
}

impl Default for ClipSpec {
    /// One second of 24 fps H.264 at 320x180, no audio, `moov` at the end.
    fn default() -> Self {
        ClipSpec {
            fps: "24",
            seconds: 1.0,
            width: 320,
            height: 180,
            codec: Codec::H264,
            audio: false,
            faststart: false,
        }
    }
}

/// Makes `dir/name` with ffmpeg as `spec` says and returns its path. The extension of `name`
/// picks the container (`.mp4`, `.mov`).
pub fn make_clip(dir: &Path, name: &str, spec: &ClipSpec) -> PathBuf {
    let out = dir.join(name);
    let video = spec.video_source();
    let audio = format!(
        "sine=frequency=440:sample_rate=48000:duration={}",
        spec.seconds
    );
    let mut args: Vec<&str> = vec!["-f", "lavfi", "-i", &video];
    if spec.audio {
        args.extend(["-f", "lavfi", "-i", &audio, "-c:a", "aac"]);
    }
    args.extend(spec.encoding());
    let out_text = out.to_str().expect("temp paths are UTF-8");
    args.push(out_text);
    ffmpeg(&args);
    out
}

/// Makes one clip per name in `dir` in a single ffmpeg run (video only, as `spec` says).
/// Each file carries its own name as metadata, so each has its own bytes and becomes its
/// own take.
#[allow(dead_code, reason = "the CLI tests, which share this file, use it")]
pub fn make_clips(dir: &Path, names: &[String], spec: &ClipSpec) -> Vec<PathBuf> {
    let video = spec.video_source();
    let outs: Vec<(String, String)> = names
        .iter()
        .map(|name| {
            let path = dir.join(name);
            let text = path.to_str().expect("temp paths are UTF-8").to_owned();
            (format!("comment={name}"), text)
        })
        .collect();
    let mut args: Vec<&str> = vec!["-f", "lavfi", "-i", &video];
    for (comment, out) in &outs {
        args.extend(["-map", "0", "-metadata", comment]);
        args.extend(spec.encoding());
        args.push(out);
    }
    ffmpeg(&args);
    names.iter().map(|name| dir.join(name)).collect()
}

impl ClipSpec {
    /// The lavfi source of the picture: ffmpeg's moving `testsrc2` pattern.
    fn video_source(&self) -> String {
        format!(
            "testsrc2=size={}x{}:rate={}:duration={}",
            self.width, self.height, self.fps, self.seconds
        )
    }

    /// The video encoding arguments of one output.
    fn encoding(&self) -> Vec<&'static str> {
        let mut args = match self.codec {
            Codec::H264 => vec!["-c:v", "libx264", "-preset", "ultrafast"],
            Codec::Hevc => vec![
                "-c:v",
                "libx265",
                "-preset",
                "ultrafast",
                "-x265-params",
                "log-level=error",
                "-tag:v",
                "hvc1",
            ],
        };
        args.extend(["-pix_fmt", "yuv420p"]);
        if self.faststart {
            args.extend(["-movflags", "+faststart"]);
        }
        args
    }
}

/// Runs `ffmpeg -hide_banner -nostdin -loglevel error -y <args>`; panics with its stderr if
/// it fails.
pub fn ffmpeg(args: &[&str]) {
    let output = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("ffmpeg is installed and runs");
    assert!(
        output.status.success(),
        "ffmpeg {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// ffprobe's reading of a file.
#[derive(Debug, Clone)]
pub struct FfprobeFacts {
    /// The first video stream, if any.
    pub video: Option<VideoFacts>,
    /// Whether any stream is audio.
    pub has_audio: bool,
    /// The whole `-show_streams -show_format` JSON, for facts not lifted out here.
    pub raw: Value,
}

/// ffprobe's facts about a video stream.
#[derive(Debug, Clone)]
pub struct VideoFacts {
    /// `codec_name`, e.g. `h264`, `hevc`.
    pub codec_name: String,
    /// Coded width.
    pub width: u32,
    /// Coded height.
    pub height: u32,
    /// `r_frame_rate`, e.g. `"24000/1001"`.
    pub r_frame_rate: String,
    /// `avg_frame_rate`.
    pub avg_frame_rate: String,
    /// `nb_frames` from the container's sample table.
    pub nb_frames: u64,
    /// The stream's `duration` in seconds.
    pub duration_s: f64,
}

/// Runs `ffprobe -v error -print_format json -show_streams -show_format` on `path`.
pub fn ffprobe_facts(path: &Path) -> FfprobeFacts {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_streams",
            "-show_format",
        ])
        .arg(path)
        .output()
        .expect("ffprobe is installed and runs");
    assert!(
        output.status.success(),
        "ffprobe {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let raw: Value = serde_json::from_slice(&output.stdout).expect("ffprobe prints JSON");
    let streams = raw["streams"].as_array().cloned().unwrap_or_default();
    let of_type = |t: &str| streams.iter().find(|s| s["codec_type"] == t).cloned();
    let text = |s: &Value, key: &str| {
        s[key]
            .as_str()
            .unwrap_or_else(|| panic!("ffprobe stream has no text field {key}: {s}"))
            .to_owned()
    };
    let video = of_type("video").map(|s| VideoFacts {
        codec_name: text(&s, "codec_name"),
        width: s["width"].as_u64().expect("video width") as u32,
        height: s["height"].as_u64().expect("video height") as u32,
        r_frame_rate: text(&s, "r_frame_rate"),
        avg_frame_rate: text(&s, "avg_frame_rate"),
        nb_frames: text(&s, "nb_frames")
            .parse()
            .expect("nb_frames is a number"),
        duration_s: text(&s, "duration").parse().expect("duration is a number"),
    });
    FfprobeFacts {
        video,
        has_audio: of_type("audio").is_some(),
        raw,
    }
}

/// One top-level box of a file, as listed by [`top_level_boxes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopBox {
    /// Four-character type, e.g. `"moov"`.
    pub fourcc: String,
    /// Offset of the box header in the file.
    pub offset: u64,
    /// Whole box size including its header.
    pub size: u64,
}

/// The top-level boxes of a well-formed MP4, in file order: an independent minimal reader
/// used to check layouts (is `moov` before `mdat`?) and to cut or splice files.
pub fn top_level_boxes(path: &Path) -> Vec<TopBox> {
    let mut file = File::open(path).expect("open clip");
    let len = file.metadata().expect("stat clip").len();
    let mut boxes = Vec::new();
    let mut offset = 0;
    while offset + 8 <= len {
        let mut header = [0u8; 16];
        file.seek(SeekFrom::Start(offset)).expect("seek");
        file.read_exact(&mut header[..8]).expect("box header");
        let size = match u32::from_be_bytes(header[..4].try_into().unwrap()) {
            0 => len - offset,
            1 => {
                file.read_exact(&mut header[8..]).expect("largesize");
                u64::from_be_bytes(header[8..].try_into().unwrap())
            }
            n => u64::from(n),
        };
        boxes.push(TopBox {
            fourcc: String::from_utf8_lossy(&header[4..8]).into_owned(),
            offset,
            size,
        });
        offset += size;
    }
    boxes
}

/// The top-level box named `fourcc`; panics if the file has none.
pub fn top_level_box(path: &Path, fourcc: &str) -> TopBox {
    top_level_boxes(path)
        .into_iter()
        .find(|b| b.fourcc == fourcc)
        .unwrap_or_else(|| panic!("{} has no top-level '{fourcc}' box", path.display()))
}
