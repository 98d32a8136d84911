//! Container probing: real ffmpeg clips read by `probe` and checked against ffprobe, plus
//! damaged, truncated, fake and oversized files.

use crate::support::clips::{
    ffmpeg, ffprobe_facts, make_clip, top_level_box, top_level_boxes, ClipSpec, Codec,
};
use std::error::Error;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use takeboard_core::domain::{MediaInfo, Rate};
use takeboard_core::probe::{looks_like_iso_bmff, probe_file, probe_reader, ProbeError};

type TestResult = Result<(), Box<dyn Error>>;

/// Probes `path` and asserts every fact equals ffprobe's reading of the same file.
fn probe_and_compare_with_ffprobe(path: &Path) -> Result<MediaInfo, Box<dyn Error>> {
    let info = probe_file(path)?;
    let facts = ffprobe_facts(path);
    let video = facts.video.expect("clip has a video stream");
    let what = path.display();
    assert_eq!(info.codec, video.codec_name, "codec of {what}");
    assert_eq!(info.width, video.width, "width of {what}");
    assert_eq!(info.height, video.height, "height of {what}");
    assert_eq!(info.frames, video.nb_frames, "frame count of {what}");
    assert_eq!(
        info.fps,
        video.r_frame_rate.parse()?,
        "r_frame_rate of {what}"
    );
    assert_eq!(
        info.fps,
        video.avg_frame_rate.parse()?,
        "avg_frame_rate of {what}"
    );
    assert!(
        (info.duration_s - video.duration_s).abs() < 0.001,
        "duration of {what}: ours {} s, ffprobe {} s",
        info.duration_s,
        video.duration_s
    );
    assert_eq!(info.has_audio, facts.has_audio, "audio presence of {what}");
    Ok(info)
}

/// Makes H.264 and HEVC clips at `fps`, each with and without audio, and checks all four
/// against ffprobe and the expected exact rate.
fn check_all_codecs_and_audio_at(fps: &'static str, expected: Rate) -> TestResult {
    let dir = tempfile::tempdir()?;
    for codec in [Codec::H264, Codec::Hevc] {
        for audio in [false, true] {
            let spec = ClipSpec {
                fps,
                codec,
                audio,
                ..ClipSpec::default()
            };
            let name = format!("{codec:?}-audio-{audio}.mp4");
            let info = probe_and_compare_with_ffprobe(&make_clip(dir.path(), &name, &spec))?;
            assert_eq!(info.fps, expected, "{name} at {fps}");
            assert_eq!(info.has_audio, audio, "{name}");
            let codec_name = match codec {
                Codec::H264 => "h264",
                Codec::Hevc => "hevc",
            };
            assert_eq!(info.codec, codec_name, "{name}");
        }
    }
    Ok(())
}

#[test]
fn h264_and_hevc_clips_at_24_fps_match_ffprobe() -> TestResult {
    check_all_codecs_and_audio_at("24", Rate { num: 24, den: 1 })
}

#[test]
fn h264_and_hevc_clips_at_25_fps_match_ffprobe() -> TestResult {
    check_all_codecs_and_audio_at("25", Rate { num: 25, den: 1 })
}

#[test]
fn h264_and_hevc_clips_at_30_fps_match_ffprobe() -> TestResult {
    check_all_codecs_and_audio_at("30", Rate { num: 30, den: 1 })
}

#[test]
fn clips_at_23_976_report_24000_over_1001_fps() -> TestResult {
    check_all_codecs_and_audio_at(
        "24000/1001",
        Rate {
            num: 24000,
            den: 1001,
        },
    )
}

#[test]
fn clips_at_29_97_report_30000_over_1001_fps() -> TestResult {
    check_all_codecs_and_audio_at(
        "30000/1001",
        Rate {
            num: 30000,
            den: 1001,
        },
    )
}

#[test]
fn a_five_second_clip_reports_its_frames_and_duration() -> TestResult {
    let dir = tempfile::tempdir()?;
    let spec = ClipSpec {
        fps: "25",
        seconds: 5.0,
        width: 256,
        height: 144,
        ..ClipSpec::default()
    };
    let info = probe_and_compare_with_ffprobe(&make_clip(dir.path(), "five.mp4", &spec))?;
    assert_eq!(info.frames, 125);
    assert!((info.duration_s - 5.0).abs() < 1e-9, "{}", info.duration_s);
    assert_eq!((info.width, info.height), (256, 144));
    Ok(())
}

#[test]
fn a_29_97_clip_with_a_millisecond_timescale_snaps_to_30000_over_1001() -> TestResult {
    // At timescale 1000 frames last 33 or 34 ticks: no single delta, the average is snapped.
    let dir = tempfile::tempdir()?;
    let spec = ClipSpec {
        fps: "30000/1001",
        seconds: 2.0,
        ..ClipSpec::default()
    };
    let clip = make_clip(dir.path(), "clip.mp4", &spec);
    let remuxed = dir.path().join("ms.mp4");
    ffmpeg(&[
        "-i",
        clip.to_str().expect("UTF-8 temp path"),
        "-c",
        "copy",
        "-video_track_timescale",
        "1000",
        remuxed.to_str().expect("UTF-8 temp path"),
    ]);
    let info = probe_and_compare_with_ffprobe(&remuxed)?;
    assert_eq!(
        info.fps,
        Rate {
            num: 30000,
            den: 1001
        }
    );
    assert_eq!(info.frames, 60);
    Ok(())
}

#[test]
fn a_header_claiming_an_hour_for_two_seconds_of_frames_is_refused_not_believed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let spec = ClipSpec {
        fps: "24",
        seconds: 2.0,
        ..ClipSpec::default()
    };
    let clip = make_clip(dir.path(), "two.mp4", &spec);
    let mut bytes = fs::read(&clip)?;
    // Every mdhd (video and audio): version 0, so its duration sits 20 bytes after the
    // fourcc; the timescale 4 bytes before it.
    let mut patched = 0;
    let mut at = 0;
    while let Some(found) = bytes[at..].windows(4).position(|w| w == b"mdhd") {
        let fourcc = at + found;
        assert_eq!(bytes[fourcc + 4], 0, "a version 0 mdhd");
        let timescale = u32::from_be_bytes(bytes[fourcc + 16..fourcc + 20].try_into()?);
        bytes[fourcc + 20..fourcc + 24].copy_from_slice(&(timescale * 3600).to_be_bytes());
        patched += 1;
        at = fourcc + 4;
    }
    assert!(patched >= 1);
    let crafted = dir.path().join("claims-an-hour.mp4");
    fs::write(&crafted, &bytes)?;
    let err = probe_file(&crafted).expect_err("a header contradicting its frames is refused");
    assert!(matches!(err, ProbeError::Malformed(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("3600.000 s") && text.contains("2.000 s"),
        "names both durations: {text}"
    );
    Ok(())
}

#[test]
fn an_h264_clip_with_b_frames_and_an_edit_list_matches_ffprobe() -> TestResult {
    let dir = tempfile::tempdir()?;
    let clip = dir.path().join("bframes.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x180:rate=24:duration=1",
        "-c:v",
        "libx264",
        "-preset",
        "medium",
        "-bf",
        "2",
        "-pix_fmt",
        "yuv420p",
        clip.to_str().expect("UTF-8 temp path"),
    ]);
    let b_frames = &ffprobe_facts(&clip).raw["streams"][0]["has_b_frames"];
    assert!(b_frames.as_i64().unwrap_or(0) > 0, "B-frames: {b_frames}");
    let info = probe_and_compare_with_ffprobe(&clip)?;
    assert_eq!((info.fps, info.frames), (Rate { num: 24, den: 1 }, 24));
    Ok(())
}

#[test]
fn moov_at_the_end_and_at_the_front_probe_the_same() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut spec = ClipSpec {
        fps: "30000/1001",
        audio: true,
        ..ClipSpec::default()
    };
    let at_end = make_clip(dir.path(), "end.mp4", &spec);
    spec.faststart = true;
    let at_front = make_clip(dir.path(), "front.mp4", &spec);

    let order = |path: &Path| -> Vec<String> {
        top_level_boxes(path)
            .into_iter()
            .map(|b| b.fourcc)
            .filter(|f| f == "moov" || f == "mdat")
            .collect()
    };
    assert_eq!(order(&at_end), ["mdat", "moov"], "no faststart: moov last");
    assert_eq!(order(&at_front), ["moov", "mdat"], "faststart: moov first");
    assert_eq!(
        probe_and_compare_with_ffprobe(&at_end)?,
        probe_and_compare_with_ffprobe(&at_front)?
    );
    Ok(())
}

#[test]
fn a_quicktime_mov_probes_like_ffprobe() -> TestResult {
    let dir = tempfile::tempdir()?;
    let spec = ClipSpec {
        fps: "24000/1001",
        audio: true,
        ..ClipSpec::default()
    };
    let mov = make_clip(dir.path(), "take.mov", &spec);
    let head = fs::read(&mov)?;
    assert_eq!(&head[4..12], b"ftypqt  ", "ffmpeg writes a QuickTime ftyp");
    assert!(looks_like_iso_bmff(&head[..16]));
    let format = ffprobe_facts(&mov).raw["format"]["format_name"].clone();
    assert!(format.as_str().unwrap_or("").contains("mov"), "{format}");
    let info = probe_and_compare_with_ffprobe(&mov)?;
    assert_eq!(
        info.fps,
        Rate {
            num: 24000,
            den: 1001
        }
    );
    Ok(())
}

/// Writes the first `len` bytes of `source` to `dir/name`.
fn cut_copy(source: &Path, dir: &Path, name: &str, len: u64) -> io::Result<std::path::PathBuf> {
    let bytes = fs::read(source)?;
    let target = dir.join(name);
    fs::write(&target, &bytes[..usize::try_from(len).expect("small clip")])?;
    Ok(target)
}

/// Probes `path`, expects a Truncated error, and checks the file was left as it was.
fn expect_truncated(path: &Path) -> Result<String, Box<dyn Error>> {
    let before = fs::read(path)?;
    let err = probe_file(path).expect_err("a cut file must not probe");
    assert!(matches!(err, ProbeError::Truncated(_)), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("the file looks truncated or still downloading"),
        "{message}"
    );
    assert_eq!(fs::read(path)?, before, "probing never modifies the file");
    Ok(message)
}

#[test]
fn a_download_cut_mid_mdat_is_reported_as_truncated() -> TestResult {
    let dir = tempfile::tempdir()?;
    let clip = make_clip(dir.path(), "whole.mp4", &ClipSpec::default());
    let mdat = top_level_box(&clip, "mdat");
    let cut = cut_copy(&clip, dir.path(), "cut.mp4", mdat.offset + mdat.size / 2)?;
    let message = expect_truncated(&cut)?;
    assert!(
        message.contains("'mdat'"),
        "names the box cut short: {message}"
    );
    Ok(())
}

#[test]
fn a_download_cut_right_before_moov_says_there_is_no_movie_header() -> TestResult {
    let dir = tempfile::tempdir()?;
    let clip = make_clip(dir.path(), "whole.mp4", &ClipSpec::default());
    let moov = top_level_box(&clip, "moov");
    let cut = cut_copy(&clip, dir.path(), "cut.mp4", moov.offset)?;
    let message = expect_truncated(&cut)?;
    assert_eq!(
        message,
        "no movie header (moov) — the file looks truncated or still downloading"
    );
    Ok(())
}

#[test]
fn a_faststart_clip_cut_mid_mdat_is_truncated_even_though_moov_is_whole() -> TestResult {
    let dir = tempfile::tempdir()?;
    let spec = ClipSpec {
        faststart: true,
        ..ClipSpec::default()
    };
    let clip = make_clip(dir.path(), "whole.mp4", &spec);
    let mdat = top_level_box(&clip, "mdat");
    let cut = cut_copy(&clip, dir.path(), "cut.mp4", mdat.offset + mdat.size - 1)?;
    expect_truncated(&cut)?;
    Ok(())
}

#[test]
fn a_download_cut_mid_moov_is_truncated() -> TestResult {
    let dir = tempfile::tempdir()?;
    let clip = make_clip(dir.path(), "whole.mp4", &ClipSpec::default());
    let moov = top_level_box(&clip, "moov");
    let cut = cut_copy(&clip, dir.path(), "cut.mp4", moov.offset + moov.size / 2)?;
    expect_truncated(&cut)?;
    Ok(())
}

#[test]
fn a_web_page_saved_as_mp4_is_not_iso_bmff() -> TestResult {
    let dir = tempfile::tempdir()?;
    let page = dir.path().join("take.mp4");
    fs::write(
        &page,
        "<!DOCTYPE html>\n<html><body>403 Forbidden — link expired</body></html>\n",
    )?;
    let err = probe_file(&page).expect_err("HTML is not a video");
    assert!(matches!(err, ProbeError::NotIsoBmff(_)), "{err:?}");
    assert!(err.to_string().contains("web page"), "{err}");
    Ok(())
}

#[test]
fn a_text_file_named_mp4_is_not_iso_bmff() -> TestResult {
    let dir = tempfile::tempdir()?;
    let text = dir.path().join("notes.mp4");
    fs::write(&text, "shot 12: use take 3, trim the head\n")?;
    let err = probe_file(&text).expect_err("text is not a video");
    assert!(matches!(err, ProbeError::NotIsoBmff(_)), "{err:?}");
    assert!(err.to_string().contains("text file"), "{err}");
    Ok(())
}

#[test]
fn a_zero_byte_file_is_reported_empty() -> TestResult {
    let dir = tempfile::tempdir()?;
    let empty = dir.path().join("placeholder.mp4");
    File::create(&empty)?;
    let err = probe_file(&empty).expect_err("nothing to probe");
    assert!(matches!(err, ProbeError::Empty), "{err:?}");
    assert!(err.to_string().contains("0 bytes"), "{err}");
    Ok(())
}

#[test]
fn a_missing_file_is_an_io_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let err = probe_file(&dir.path().join("gone.mp4")).expect_err("no file");
    assert!(
        matches!(&err, ProbeError::Io(e) if e.kind() == io::ErrorKind::NotFound),
        "{err:?}"
    );
    Ok(())
}

#[test]
fn an_audio_only_mp4_has_no_video_track() -> TestResult {
    let dir = tempfile::tempdir()?;
    let m4a = dir.path().join("voice.mp4");
    let out = m4a.to_str().expect("UTF-8 temp path");
    ffmpeg(&["-f", "lavfi", "-i", "sine=duration=0.5", "-c:a", "aac", out]);
    let err = probe_file(&m4a).expect_err("no video");
    assert!(matches!(err, ProbeError::NoVideoTrack), "{err:?}");
    Ok(())
}

#[test]
fn a_fragmented_mp4_is_refused_as_unsupported_with_a_remux_hint() -> TestResult {
    let dir = tempfile::tempdir()?;
    let clip = make_clip(dir.path(), "plain.mp4", &ClipSpec::default());
    let fragmented = dir.path().join("fragmented.mp4");
    ffmpeg(&[
        "-i",
        clip.to_str().expect("UTF-8 temp path"),
        "-c",
        "copy",
        "-movflags",
        "frag_keyframe+empty_moov",
        fragmented.to_str().expect("UTF-8 temp path"),
    ]);
    assert!(top_level_boxes(&fragmented)
        .iter()
        .any(|b| b.fourcc == "moof"));
    let err = probe_file(&fragmented).expect_err("fragmented is unsupported");
    assert!(matches!(err, ProbeError::Unsupported(_)), "{err:?}");
    assert!(err.to_string().contains("-c copy"), "{err}");
    Ok(())
}

/// A reader that counts the bytes actually read through it.
struct CountingReader<R> {
    inner: R,
    bytes_read: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes_read += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for CountingReader<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[test]
fn a_sparse_file_over_4_gib_with_a_64_bit_mdat_probes_without_reading_mdat() -> TestResult {
    let dir = tempfile::tempdir()?;
    let spec = ClipSpec {
        fps: "24000/1001",
        audio: true,
        faststart: true,
        ..ClipSpec::default()
    };
    let small = make_clip(dir.path(), "small.mp4", &spec);
    let small_info = probe_file(&small)?;
    let bytes = fs::read(&small)?;
    let ftyp = top_level_box(&small, "ftyp");
    let moov = top_level_box(&small, "moov");
    let range = |b: &crate::support::clips::TopBox| {
        let start = usize::try_from(b.offset).expect("small clip");
        start..start + usize::try_from(b.size).expect("small clip")
    };

    // ftyp, then an mdat of 4.5 GiB with a 64-bit size (holes, not data), then the moov.
    let big = dir.path().join("big.mp4");
    let mut file = File::create(&big)?;
    file.write_all(&bytes[range(&ftyp)])?;
    let payload: u64 = 9 << 29;
    file.write_all(&1u32.to_be_bytes())?;
    file.write_all(b"mdat")?;
    file.write_all(&(16 + payload).to_be_bytes())?;
    let mdat_end = ftyp.size + 16 + payload;
    file.set_len(mdat_end)?;
    file.seek(SeekFrom::Start(mdat_end))?;
    file.write_all(&bytes[range(&moov)])?;
    drop(file);

    let len = fs::metadata(&big)?.len();
    assert!(len > 4 << 30, "the file is over 4 GiB: {len}");
    let boxes = top_level_boxes(&big);
    assert_eq!(boxes[1].fourcc, "mdat");
    assert_eq!(boxes[1].size, 16 + payload);

    let mut reader = CountingReader {
        inner: File::open(&big)?,
        bytes_read: 0,
    };
    let info = probe_reader(&mut reader, len)?;
    assert_eq!(info, small_info, "the same moov gives the same facts");
    assert!(
        reader.bytes_read < 64 * 1024,
        "read {} bytes: mdat must not be read",
        reader.bytes_read
    );
    assert_eq!(probe_file(&big)?, small_info);
    Ok(())
}

/// Offset of the first occurrence of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{:?} not found", String::from_utf8_lossy(needle)))
}

/// A faststart video-only clip with `patch` applied to its bytes, probed.
fn probe_patched(patch: impl FnOnce(&mut Vec<u8>)) -> Result<ProbeError, Box<dyn Error>> {
    let dir = tempfile::tempdir()?;
    let spec = ClipSpec {
        faststart: true,
        ..ClipSpec::default()
    };
    let clip = make_clip(dir.path(), "clip.mp4", &spec);
    let mut bytes = fs::read(&clip)?;
    patch(&mut bytes);
    let damaged = dir.path().join("damaged.mp4");
    fs::write(&damaged, &bytes)?;
    Ok(probe_file(&damaged).expect_err("a damaged file must not probe"))
}

#[test]
fn an_stts_claiming_four_billion_entries_is_malformed_without_allocating() -> TestResult {
    let err = probe_patched(|bytes| {
        // stts: size, "stts", version/flags, entry_count.
        let at = find(bytes, b"stts") + 8;
        bytes[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
    })?;
    assert!(matches!(err, ProbeError::Malformed(_)), "{err:?}");
    assert!(err.to_string().contains("stts"), "{err}");
    Ok(())
}

#[test]
fn a_track_box_overrunning_its_parent_is_malformed() -> TestResult {
    let err = probe_patched(|bytes| {
        let at = find(bytes, b"mdia") - 4;
        bytes[at..at + 4].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
    })?;
    assert!(matches!(err, ProbeError::Malformed(_)), "{err:?}");
    assert!(err.to_string().contains("'mdia'"), "{err}");
    Ok(())
}

#[test]
fn a_box_declaring_a_size_below_its_header_is_malformed_not_an_endless_loop() -> TestResult {
    let err = probe_patched(|bytes| {
        let tkhd = find(bytes, b"tkhd") - 4;
        bytes[tkhd..tkhd + 4].copy_from_slice(&3u32.to_be_bytes());
    })?;
    assert!(matches!(err, ProbeError::Malformed(_)), "{err:?}");
    assert!(
        err.to_string().contains("less than its own header"),
        "{err}"
    );
    Ok(())
}

#[test]
fn a_movie_header_claiming_centuries_is_malformed_so_no_credit_total_sees_it() -> TestResult {
    let err = probe_patched(|bytes| {
        // mdhd (version 0): "mdhd", version/flags, creation, modification, timescale, duration.
        let at = find(bytes, b"mdhd");
        bytes[at + 16..at + 20].copy_from_slice(&1u32.to_be_bytes());
        bytes[at + 20..at + 24].copy_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
    })?;
    assert!(matches!(err, ProbeError::Malformed(_)), "{err:?}");
    assert!(err.to_string().contains("at most 24 hours"), "{err}");
    Ok(())
}
