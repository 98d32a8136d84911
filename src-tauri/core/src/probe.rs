//! Container facts from MP4/MOV boxes (duration, frames, exact fps, size, codec, audio) without decoding.
//!
//! A hand-written ISO-BMFF / QuickTime box reader. It owns the walk from the top-level boxes
//! down to `moov/trak/mdia/minf/stbl/{stsd,stts}` and nothing else: it seeks from box header to
//! box header, reads only the few small tables it needs, and never reads sample data (`mdat`),
//! so a multi-gigabyte file or one whose `moov` sits at the end costs a handful of small reads.
//!
//! Every size in the file is untrusted: boxes must fit inside their parent (at the top level,
//! inside the file), tables must fit inside their box, the number of boxes walked is capped and
//! no buffer is sized from a value read from the file. Nesting depth is bounded by construction:
//! only the fixed path above is descended, never arbitrary recursion, and every step moves
//! forward by at least one box header, so no layout can loop. Deciding what a probe result *means*
//! for a take (settled, still downloading, rejected) is the caller's business (ingest).

use crate::domain::{MediaInfo, Rate};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// Most boxes walked at the top level of a file (a fragmented stream has two per fragment).
const MAX_TOP_LEVEL_BOXES: usize = 100_000;
/// Most children walked inside one container box.
const MAX_CHILD_BOXES: usize = 10_000;
/// Largest `ftyp` box we consider sane (major brand, minor version and ~1,000 brands).
const MAX_FTYP_SIZE: u32 = 4096;
/// `stts` entries read per chunk (8 bytes each), so the buffer never depends on the file.
const STTS_CHUNK_ENTRIES: usize = 4096;
/// Rates a measured average snaps to when within [`SNAP_TOLERANCE`].
const COMMON_RATES: [(u32, u32); 9] = [
    (24000, 1001),
    (24, 1),
    (25, 1),
    (30000, 1001),
    (30, 1),
    (48, 1),
    (50, 1),
    (60000, 1001),
    (60, 1),
];
/// The longest take accepted, in seconds (24 hours): a movie header claiming more is
/// damaged or crafted, and its duration would poison every credit total.
pub const MAX_DURATION_S: f64 = 24.0 * 3600.0;
/// Relative distance (0.1 %) within which an average frame rate snaps to a common rate.
const SNAP_TOLERANCE: f64 = 0.001;

/// Why a file's container facts could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The operating system refused to open or read the file.
    #[error("could not read the file: {0}")]
    Io(#[source] io::Error),
    /// The file has no bytes at all (browsers create such placeholders before a download).
    #[error("the file is empty (0 bytes) — it may be a download that has not started writing yet")]
    Empty,
    /// The first box is not `ftyp`: this is not an MP4/MOV file. The text says what it
    /// looks like instead.
    #[error("not an MP4/MOV video: {0}")]
    NotIsoBmff(String),
    /// The file ends early: there is no `moov` box, or a box runs past the end of the file.
    /// Typical of a download cut short or still in progress; probing again later may work.
    #[error("{0} — the file looks truncated or still downloading")]
    Truncated(String),
    /// The movie has no video track with samples (an audio-only file, for example).
    #[error("the file has no video track (is it audio only?)")]
    NoVideoTrack,
    /// A valid layout this reader does not handle (fragmented MP4).
    #[error("unsupported MP4 layout: {0}")]
    Unsupported(String),
    /// The box structure is damaged: sizes that overrun their parent, tables larger than
    /// their box, impossible values.
    #[error("the file's MP4 structure is damaged: {0}")]
    Malformed(String),
}

impl From<io::Error> for ProbeError {
    /// A read that runs out of bytes means the file shrank while being probed.
    fn from(err: io::Error) -> Self {
        if err.kind() == io::ErrorKind::UnexpectedEof {
            ProbeError::Truncated("the file got shorter while it was being read".to_owned())
        } else {
            ProbeError::Io(err)
        }
    }
}

/// True when `head` (the first bytes of a file) starts with an `ftyp` box of a sane size.
/// QuickTime files (`ftyp qt  `) qualify. Needs at least 8 bytes.
pub fn looks_like_iso_bmff(head: &[u8]) -> bool {
    match head {
        [s0, s1, s2, s3, b'f', b't', b'y', b'p', ..] => {
            // Major brand and minor version make 8 bytes after the 8-byte header.
            (16..=MAX_FTYP_SIZE).contains(&u32::from_be_bytes([*s0, *s1, *s2, *s3]))
        }
        _ => false,
    }
}

/// Reads the container facts of the file at `path`.
pub fn probe_file(path: &Path) -> Result<MediaInfo, ProbeError> {
    let mut file = File::open(path).map_err(ProbeError::Io)?;
    let len = file.metadata().map_err(ProbeError::Io)?.len();
    probe_reader(&mut file, len)
}

/// Reads the container facts from `r`, a stream of `len` bytes. Only seeks and small reads
/// are made; sample data is never read.
pub fn probe_reader<R: Read + Seek>(r: &mut R, len: u64) -> Result<MediaInfo, ProbeError> {
    if len == 0 {
        return Err(ProbeError::Empty);
    }
    let mut head = [0u8; 64];
    let head_len = usize::try_from(len.min(64)).unwrap_or(64);
    read_at(r, 0, &mut head[..head_len])?;
    if !looks_like_iso_bmff(&head[..head_len]) {
        return Err(ProbeError::NotIsoBmff(describe_non_mp4(&head[..head_len])));
    }

    let file = BoxHeader {
        fourcc: *b"file",
        start: 0,
        body: 0,
        end: len,
    };
    let top = children(r, &file, Level::Top)?;
    if top.iter().any(|b| &b.fourcc == b"moof") {
        return Err(fragmented());
    }
    let moov = top
        .iter()
        .find(|b| &b.fourcc == b"moov")
        .ok_or_else(|| ProbeError::Truncated("no movie header (moov)".to_owned()))?;
    let movie = children(r, moov, Level::Child)?;
    if movie.iter().any(|b| &b.fourcc == b"mvex") {
        return Err(fragmented());
    }

    let mut video = None;
    let mut has_audio = false;
    for trak in movie.iter().filter(|b| &b.fourcc == b"trak") {
        match read_track(r, trak)? {
            Track::Audio => has_audio = true,
            Track::Video(v) if video.is_none() && v.frames > 0 => video = Some(v),
            Track::Video(_) | Track::Other => {}
        }
    }
    let video = video.ok_or(ProbeError::NoVideoTrack)?;
    video.into_media_info(has_audio)
}

fn fragmented() -> ProbeError {
    ProbeError::Unsupported(
        "fragmented MP4 (a streaming layout) — remux it to a regular MP4, \
         e.g. `ffmpeg -i in.mp4 -c copy out.mp4`"
            .to_owned(),
    )
}

/// A short description of what a non-MP4 file looks like, for the error message.
fn describe_non_mp4(head: &[u8]) -> String {
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if trimmed.starts_with('<') {
        "it looks like a web page (HTML/XML) — perhaps an error page was saved instead of the video"
            .to_owned()
    } else if !trimmed.is_empty()
        && head
            .iter()
            .all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        "it looks like a text file".to_owned()
    } else if head.len() >= 8 && &head[4..8] == b"ftyp" {
        "its 'ftyp' box has an impossible size".to_owned()
    } else {
        "it does not start with an 'ftyp' box".to_owned()
    }
}

/// Where a box lies in the file: `start` of its header, `body` of its payload, `end` one past
/// its last byte.
#[derive(Debug, Clone, Copy)]
struct BoxHeader {
    fourcc: [u8; 4],
    start: u64,
    body: u64,
    end: u64,
}

impl BoxHeader {
    fn body_len(&self) -> u64 {
        self.end - self.body
    }

    fn name(&self) -> String {
        fourcc_text(self.fourcc)
    }
}

/// Whether a box list is the file itself (overruns mean truncation) or a box's children
/// (overruns mean damage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Top,
    Child,
}

/// The boxes directly inside `parent`, in file order, found by seeking from header to header.
fn children<R: Read + Seek>(
    r: &mut R,
    parent: &BoxHeader,
    level: Level,
) -> Result<Vec<BoxHeader>, ProbeError> {
    let max = match level {
        Level::Top => MAX_TOP_LEVEL_BOXES,
        Level::Child => MAX_CHILD_BOXES,
    };
    let mut found = Vec::new();
    let mut at = parent.body;
    while at < parent.end {
        let remaining = parent.end - at;
        if remaining < 8 {
            match level {
                Level::Top => {
                    return Err(ProbeError::Truncated(format!(
                        "the file ends inside a box header at byte {}",
                        parent.end
                    )))
                }
                // QuickTime allows a 4-byte zero terminator after the last child.
                Level::Child => break,
            }
        }
        if found.len() == max {
            return Err(ProbeError::Malformed(format!(
                "more than {max} boxes inside '{}'",
                parent.name()
            )));
        }
        let header = read_box_header(r, at, parent, level)?;
        at = header.end;
        found.push(header);
    }
    Ok(found)
}

/// Reads the header of the box starting at `at` inside `parent` and checks that it fits.
fn read_box_header<R: Read + Seek>(
    r: &mut R,
    at: u64,
    parent: &BoxHeader,
    level: Level,
) -> Result<BoxHeader, ProbeError> {
    let mut raw = [0u8; 8];
    read_at(r, at, &mut raw)?;
    let fourcc = [raw[4], raw[5], raw[6], raw[7]];
    let size32 = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
    let (size, header_len) = match size32 {
        0 => (parent.end - at, 8),
        1 => {
            if parent.end - at < 16 {
                return Err(overrun(level, fourcc, at + 16, parent));
            }
            let mut large = [0u8; 8];
            read_at(r, at + 8, &mut large)?;
            (u64::from_be_bytes(large), 16)
        }
        n => (u64::from(n), 8),
    };
    if size < header_len {
        return Err(ProbeError::Malformed(format!(
            "the '{}' box at byte {at} declares {size} bytes, less than its own header",
            fourcc_text(fourcc)
        )));
    }
    let end = at
        .checked_add(size)
        .ok_or_else(|| overrun(level, fourcc, u64::MAX, parent))?;
    if end > parent.end {
        return Err(overrun(level, fourcc, end, parent));
    }
    Ok(BoxHeader {
        fourcc,
        start: at,
        body: at + header_len,
        end,
    })
}

fn overrun(level: Level, fourcc: [u8; 4], end: u64, parent: &BoxHeader) -> ProbeError {
    let name = fourcc_text(fourcc);
    match level {
        Level::Top => ProbeError::Truncated(format!(
            "the '{name}' box runs to byte {end} but the file ends at byte {}",
            parent.end
        )),
        Level::Child => ProbeError::Malformed(format!(
            "the '{name}' box runs past the end of its parent '{}' (byte {end} > {})",
            parent.name(),
            parent.end
        )),
    }
}

fn read_at<R: Read + Seek>(r: &mut R, at: u64, buf: &mut [u8]) -> io::Result<()> {
    r.seek(SeekFrom::Start(at))?;
    r.read_exact(buf)
}

/// Reads the first `buf.len()` bytes of a box's payload; a shorter payload is damage.
fn read_body<R: Read + Seek>(r: &mut R, b: &BoxHeader, buf: &mut [u8]) -> Result<(), ProbeError> {
    if b.body_len() < buf.len() as u64 {
        return Err(ProbeError::Malformed(format!(
            "the '{}' box at byte {} is {} bytes, too short for its fields",
            b.name(),
            b.start,
            b.body_len()
        )));
    }
    Ok(read_at(r, b.body, buf)?)
}

/// The boxes directly inside one box, listed once and looked up by type.
struct Contents {
    parent: BoxHeader,
    boxes: Vec<BoxHeader>,
}

impl Contents {
    fn of<R: Read + Seek>(r: &mut R, parent: &BoxHeader) -> Result<Contents, ProbeError> {
        Ok(Contents {
            parent: *parent,
            boxes: children(r, parent, Level::Child)?,
        })
    }

    /// The first box named `fourcc`, or a Malformed error naming what is missing.
    fn require(&self, fourcc: &[u8; 4]) -> Result<BoxHeader, ProbeError> {
        self.boxes
            .iter()
            .find(|b| &b.fourcc == fourcc)
            .copied()
            .ok_or_else(|| {
                ProbeError::Malformed(format!(
                    "the '{}' box at byte {} has no '{}' box",
                    self.parent.name(),
                    self.parent.start,
                    fourcc_text(*fourcc)
                ))
            })
    }
}

/// The four-character code as text, with unprintable bytes shown as `?`.
fn fourcc_text(fourcc: [u8; 4]) -> String {
    fourcc
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '?'
            }
        })
        .collect()
}

fn be_u16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be_u64(b: &[u8]) -> u64 {
    u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

/// What one `trak` is, as far as the probe cares.
enum Track {
    Video(VideoTrack),
    Audio,
    Other,
}

/// The facts of a video track.
struct VideoTrack {
    timescale: u32,
    /// `mdhd` duration in `timescale` units.
    media_duration: u64,
    sample_entry: [u8; 4],
    width: u16,
    height: u16,
    frames: u64,
    /// Sum of all `stts` deltas, in `timescale` units.
    stts_duration: u64,
    /// The delta shared by every sample, when there is only one.
    single_delta: Option<u32>,
}

fn read_track<R: Read + Seek>(r: &mut R, trak: &BoxHeader) -> Result<Track, ProbeError> {
    let mdia = Contents::of(r, trak)?.require(b"mdia")?;
    let mdia = Contents::of(r, &mdia)?;

    // hdlr: version/flags (4), pre_defined (4), handler_type (4).
    let mut hdlr = [0u8; 12];
    read_body(r, &mdia.require(b"hdlr")?, &mut hdlr)?;
    match &hdlr[8..12] {
        b"soun" => return Ok(Track::Audio),
        b"vide" => {}
        _ => return Ok(Track::Other),
    }

    let (timescale, media_duration) = read_mdhd(r, &mdia.require(b"mdhd")?)?;
    let minf = Contents::of(r, &mdia.require(b"minf")?)?;
    let stbl = Contents::of(r, &minf.require(b"stbl")?)?;
    let (sample_entry, width, height) = read_stsd(r, &stbl.require(b"stsd")?)?;
    let times = read_stts(r, &stbl.require(b"stts")?)?;
    Ok(Track::Video(VideoTrack {
        timescale,
        media_duration,
        sample_entry,
        width,
        height,
        frames: times.frames,
        stts_duration: times.duration,
        single_delta: times.single_delta,
    }))
}

/// `(timescale, duration)` from a version 0 or 1 `mdhd`.
fn read_mdhd<R: Read + Seek>(r: &mut R, mdhd: &BoxHeader) -> Result<(u32, u64), ProbeError> {
    let mut version = [0u8; 1];
    read_body(r, mdhd, &mut version)?;
    let (timescale, duration) = match version[0] {
        // version/flags (4), creation (4), modification (4), timescale (4), duration (4)
        0 => {
            let mut b = [0u8; 20];
            read_body(r, mdhd, &mut b)?;
            let duration = be_u32(&b[16..20]);
            let duration = if duration == u32::MAX {
                u64::MAX
            } else {
                u64::from(duration)
            };
            (be_u32(&b[12..16]), duration)
        }
        // version/flags (4), creation (8), modification (8), timescale (4), duration (8)
        1 => {
            let mut b = [0u8; 32];
            read_body(r, mdhd, &mut b)?;
            (be_u32(&b[20..24]), be_u64(&b[24..32]))
        }
        v => {
            return Err(ProbeError::Malformed(format!(
                "unknown media header ('mdhd') version {v}"
            )))
        }
    };
    if timescale == 0 {
        return Err(ProbeError::Malformed(
            "the video track's timescale is 0".to_owned(),
        ));
    }
    Ok((timescale, duration))
}

/// `(fourcc, width, height)` of the first (visual) sample entry in `stsd`.
fn read_stsd<R: Read + Seek>(
    r: &mut R,
    stsd: &BoxHeader,
) -> Result<([u8; 4], u16, u16), ProbeError> {
    // stsd: version/flags (4), entry_count (4), then sample entries.
    // Visual sample entry: size (4), format (4), reserved (6), data_reference_index (2),
    // pre_defined (2), reserved (2), pre_defined (12), width (2), height (2), ...
    let mut b = [0u8; 8 + 36];
    read_body(r, stsd, &mut b)?;
    if be_u32(&b[4..8]) == 0 {
        return Err(ProbeError::Malformed(
            "the video track has no sample description".to_owned(),
        ));
    }
    let entry = &b[8..];
    let entry_size = u64::from(be_u32(&entry[0..4]));
    if entry_size < 36 || entry_size > stsd.body_len() - 8 {
        return Err(ProbeError::Malformed(format!(
            "the video sample description declares {entry_size} bytes, which does not fit"
        )));
    }
    Ok((
        [entry[4], entry[5], entry[6], entry[7]],
        be_u16(&entry[32..34]),
        be_u16(&entry[34..36]),
    ))
}

/// The totals of a time-to-sample table.
struct SampleTimes {
    frames: u64,
    duration: u64,
    single_delta: Option<u32>,
}

fn read_stts<R: Read + Seek>(r: &mut R, stts: &BoxHeader) -> Result<SampleTimes, ProbeError> {
    let mut head = [0u8; 8];
    read_body(r, stts, &mut head)?;
    let entries = u64::from(be_u32(&head[4..8]));
    let room = (stts.body_len() - 8) / 8;
    if entries > room {
        return Err(ProbeError::Malformed(format!(
            "the time-to-sample table ('stts') declares {entries} entries but has room for {room}"
        )));
    }

    let too_big = || ProbeError::Malformed("the video track's sample counts overflow".to_owned());
    let mut frames = 0u64;
    let mut duration = 0u64;
    let mut first_delta = None;
    let mut single = true;
    let mut buf = vec![0u8; STTS_CHUNK_ENTRIES * 8];
    let mut done = 0u64;
    r.seek(SeekFrom::Start(stts.body + 8))?;
    while done < entries {
        let chunk = (entries - done).min(STTS_CHUNK_ENTRIES as u64) as usize;
        let bytes = &mut buf[..chunk * 8];
        r.read_exact(bytes)?;
        for entry in bytes.chunks_exact(8) {
            let count = be_u32(&entry[0..4]);
            let delta = be_u32(&entry[4..8]);
            if count == 0 {
                continue;
            }
            frames = frames.checked_add(u64::from(count)).ok_or_else(too_big)?;
            duration = u64::from(count)
                .checked_mul(u64::from(delta))
                .and_then(|d| d.checked_add(duration))
                .ok_or_else(too_big)?;
            match first_delta {
                None => first_delta = Some(delta),
                Some(d) if d != delta => single = false,
                Some(_) => {}
            }
        }
        done += chunk as u64;
    }
    Ok(SampleTimes {
        frames,
        duration,
        single_delta: first_delta.filter(|_| single),
    })
}

impl VideoTrack {
    fn into_media_info(self, has_audio: bool) -> Result<MediaInfo, ProbeError> {
        // The sample table is what plays. A header (`mdhd`) that says "unknown" (0, all
        // ones) defers to it; one that contradicts it by more than a frame is damaged or
        // crafted (to poison credit totals), and the file is refused rather than believed.
        let duration = self.stts_duration;
        let header = Some(self.media_duration).filter(|&d| !matches!(d, 0 | u64::MAX));
        let seconds = |d: u64| d as f64 / f64::from(self.timescale.max(1));
        let claimed_s = seconds(header.unwrap_or(duration).max(duration));
        if !(claimed_s.is_finite() && claimed_s <= MAX_DURATION_S) {
            return Err(ProbeError::Malformed(format!(
                "the video track claims to last {:.0} hours; a take may last at most {} hours",
                claimed_s / 3600.0,
                MAX_DURATION_S / 3600.0
            )));
        }
        let one_frame = duration / self.frames.max(1) + 1;
        if let Some(header) = header.filter(|h| h.abs_diff(duration) > one_frame) {
            return Err(ProbeError::Malformed(format!(
                "the video track's header says it lasts {:.3} s but its frames last {:.3} s",
                seconds(header),
                seconds(duration)
            )));
        }
        let duration_s = seconds(duration);
        Ok(MediaInfo {
            duration_s,
            frames: self.frames,
            fps: frame_rate(
                self.timescale,
                self.frames,
                self.stts_duration,
                self.single_delta,
            )?,
            width: u32::from(self.width),
            height: u32::from(self.height),
            codec: codec_name(self.sample_entry),
            has_audio,
        })
    }
}

/// The exact frame rate: `timescale / delta` when every frame lasts the same, otherwise the
/// average snapped to a common rate within 0.1 %, otherwise the average as a rational.
fn frame_rate(
    timescale: u32,
    frames: u64,
    duration: u64,
    single_delta: Option<u32>,
) -> Result<Rate, ProbeError> {
    let zero = || ProbeError::Malformed("the video track's frames have zero duration".to_owned());
    if let Some(delta) = single_delta {
        return Rate::new(timescale, delta).ok_or_else(zero);
    }
    if duration == 0 {
        return Err(zero());
    }
    let average = frames as f64 * f64::from(timescale) / duration as f64;
    if let Some(rate) = COMMON_RATES.iter().find_map(|&(num, den)| {
        let common = f64::from(num) / f64::from(den);
        ((average - common).abs() <= common * SNAP_TOLERANCE).then_some(Rate { num, den })
    }) {
        return Ok(rate);
    }
    let num = u128::from(frames) * u128::from(timescale);
    let den = u128::from(duration);
    let g = gcd(num, den);
    match (u32::try_from(num / g), u32::try_from(den / g)) {
        (Ok(num), Ok(den)) => Rate::new(num, den).ok_or_else(zero),
        // Too fine to be exact in 32 bits: keep three decimals.
        _ => Rate::new((average * 1000.0).round() as u32, 1000).ok_or_else(zero),
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Short codec name from the sample entry four-character code.
fn codec_name(fourcc: [u8; 4]) -> String {
    match &fourcc {
        b"avc1" | b"avc3" => "h264",
        b"hvc1" | b"hev1" => "hevc",
        b"av01" => "av1",
        b"vp09" => "vp9",
        b"ap4h" | b"ap4x" | b"apch" | b"apcn" | b"apcs" | b"apco" => "prores",
        b"mp4v" => "mpeg4",
        _ => return fourcc_text(fourcc),
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(size: u32, brand: &[u8; 4]) -> Vec<u8> {
        let mut b = size.to_be_bytes().to_vec();
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(brand);
        b.extend_from_slice(&[0, 0, 2, 0]);
        b
    }

    #[test]
    fn an_mp4_and_a_quicktime_ftyp_both_look_like_iso_bmff() {
        assert!(looks_like_iso_bmff(&ftyp(32, b"isom")));
        assert!(looks_like_iso_bmff(&ftyp(20, b"qt  ")));
    }

    #[test]
    fn html_short_input_and_absurd_ftyp_sizes_do_not_look_like_iso_bmff() {
        assert!(!looks_like_iso_bmff(b"<!DOCTYPE html><html>"));
        assert!(!looks_like_iso_bmff(b"\0\0\0\x20fty"), "too short to tell");
        assert!(
            !looks_like_iso_bmff(&ftyp(0, b"isom")),
            "size 0 = to end of file"
        );
        assert!(!looks_like_iso_bmff(&ftyp(1, b"isom")), "64-bit ftyp");
        assert!(
            !looks_like_iso_bmff(&ftyp(8, b"isom")),
            "no room for a brand"
        );
        assert!(!looks_like_iso_bmff(&ftyp(1 << 20, b"isom")));
    }

    #[test]
    fn a_single_frame_delta_gives_the_exact_rate_in_lowest_terms() {
        let rate = frame_rate(90000, 30, 90090, Some(3003)).unwrap();
        assert_eq!(rate, Rate::new(30000, 1001).unwrap());
        assert_eq!(
            frame_rate(12288, 24, 12288, Some(512)).unwrap(),
            Rate::new(24, 1).unwrap()
        );
    }

    #[test]
    fn an_uneven_average_near_29_97_snaps_to_30000_over_1001() {
        // 30 frames over 1.0012 s at timescale 10000: 29.964 fps, 0.02 % from 29.97.
        let rate = frame_rate(10000, 30, 10012, None).unwrap();
        assert_eq!(rate, Rate::new(30000, 1001).unwrap());
    }

    #[test]
    fn an_uneven_average_far_from_common_rates_stays_an_exact_rational() {
        // 40 frames over 3 s: 13.333... fps.
        let rate = frame_rate(1000, 40, 3000, None).unwrap();
        assert_eq!(rate, Rate::new(40, 3).unwrap());
    }

    #[test]
    fn zero_durations_are_malformed_not_a_panic() {
        assert!(matches!(
            frame_rate(1000, 10, 0, None),
            Err(ProbeError::Malformed(_))
        ));
        assert!(matches!(
            frame_rate(1000, 10, 0, Some(0)),
            Err(ProbeError::Malformed(_))
        ));
    }

    #[test]
    fn codec_names_are_short_and_unknown_codes_pass_through() {
        assert_eq!(codec_name(*b"avc1"), "h264");
        assert_eq!(codec_name(*b"hev1"), "hevc");
        assert_eq!(codec_name(*b"apcn"), "prores");
        assert_eq!(codec_name(*b"encv"), "encv");
        assert_eq!(codec_name([b'x', 0, b'y', 0xff]), "x?y?");
    }

    #[test]
    fn a_box_smaller_than_its_header_is_malformed() {
        let mut file = ftyp(16, b"isom");
        file.extend_from_slice(&4u32.to_be_bytes());
        file.extend_from_slice(b"moov");
        let len = file.len() as u64;
        let err = probe_reader(&mut io::Cursor::new(file), len).unwrap_err();
        assert!(matches!(err, ProbeError::Malformed(_)), "{err}");
    }
}
