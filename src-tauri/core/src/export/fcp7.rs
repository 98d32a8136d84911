//! FCP7 XML (`xmeml` version 4) writer: the format Premiere imports with linked media.
//!
//! Renders a resolved `Plan`; knows nothing of the catalog. Follows
//! `premiere-interchange.md` §2: one `<sequence>` under `<xmeml>`, `<rate>` repeated at
//! sequence, clipitem and file level, an explicit `<timecode>` display format, each file
//! fully defined once (`file-N`) and referenced by id afterwards, `<audio>` only for files
//! with audio, `pathurl` = `file://localhost/` + percent-encoded absolute path.
//!
//! A clip keeps its own rate in its `clipitem` and `file` (`in`/`out` are source frames
//! at that rate, plus exact `pproTicksIn/Out`), while `start`/`end` are sequence frames.
//! Each clipitem carries a `Takeboard …` marker whose comment holds take id, origin,
//! generation id and prompt, one `Note` marker per note, `logginginfo` (scene = shot code,
//! shottake = take id, description = prompt) and a label: `Forest` for a final take,
//! `Mango` for a placeholder.

use super::{
    clip_name, editor_timebase, file_name, file_url, timecode, ExportError, Plan, PlanItem,
};
use super::{ClipEntry, ShotEntry};
use crate::domain::Rate;
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;
use std::collections::HashMap;
use std::io;
use std::path::Path;

type Xml = Writer<Vec<u8>>;

/// Premiere's time unit: 254,016,000,000 ticks per second.
const PPRO_TICKS_PER_SECOND: u128 = 254_016_000_000;

/// Label of a clip that is the shot's final take.
const LABEL_FINAL: &str = "Forest";
/// Label of a placeholder (approved Flash take standing in for the final).
const LABEL_PLACEHOLDER: &str = "Mango";

pub(crate) fn render(plan: &Plan<'_>) -> Result<Vec<u8>, ExportError> {
    write(plan).map_err(ExportError::Encode)
}

/// Where each distinct file is defined: path → 1-based id number, in first-use order.
fn file_numbers<'a>(plan: &Plan<'a>) -> HashMap<&'a Path, usize> {
    let mut numbers = HashMap::new();
    for (_, clip) in plan.clips() {
        let next = numbers.len() + 1;
        numbers.entry(clip.path.as_path()).or_insert(next);
    }
    numbers
}

/// One clip placed on a track, with the ids it is written under.
struct Placed<'p, 'a> {
    item: &'p PlanItem<'a>,
    clip: &'a ClipEntry,
    /// 1-based position among the clipitems of the video track.
    video_index: usize,
    /// 1-based position among the clipitems of the audio track, when the file has audio.
    audio_index: Option<usize>,
    file_number: usize,
}

fn write(plan: &Plan<'_>) -> io::Result<Vec<u8>> {
    let numbers = file_numbers(plan);
    let mut audio_count = 0;
    let placed: Vec<Placed<'_, '_>> = plan
        .clips()
        .enumerate()
        .map(|(i, (item, clip))| {
            let audio_index = clip.has_audio.then(|| {
                audio_count += 1;
                audio_count
            });
            Placed {
                item,
                clip,
                video_index: i + 1,
                audio_index,
                file_number: numbers[clip.path.as_path()],
            }
        })
        .collect();
    let video_count = placed.len();

    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.write_event(Event::DocType(BytesText::from_escaped("xmeml")))?;
    w.create_element("xmeml")
        .with_attribute(("version", "4"))
        .write_inner_content(|w| {
            w.create_element("sequence")
                .with_attribute(("id", "sequence-1"))
                .write_inner_content(|w| {
                    leaf(w, "name", plan.name)?;
                    leaf(w, "duration", plan.duration())?;
                    rate(w, plan.rate)?;
                    sequence_timecode(w, plan)?;
                    w.create_element("media").write_inner_content(|w| {
                        let mut defined = vec![false; numbers.len() + 1];
                        video(w, plan, &placed, &mut defined)?;
                        if audio_count > 0 {
                            audio(w, &placed, video_count, &mut defined)?;
                        }
                        Ok(())
                    })?;
                    Ok(())
                })?;
            Ok(())
        })?;
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    Ok(bytes)
}

/// Whether XML 1.0 can carry `c` (its `Char` production, minus the C1 controls it
/// discourages): TAB, LF, CR and everything from U+0020 but U+FFFE and U+FFFF.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (!c.is_control() && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
}

/// Writes `<name>text</name>`, escaped, with characters XML 1.0 cannot carry removed.
fn leaf(w: &mut Xml, name: &str, text: impl ToString) -> io::Result<()> {
    let text: String = text.to_string().chars().filter(|&c| xml_char(c)).collect();
    w.create_element(name)
        .write_text_content(BytesText::new(&text))?;
    Ok(())
}

fn rate(w: &mut Xml, rate: Rate) -> io::Result<()> {
    // The plan only holds rates with an editor timebase (checked when it was made).
    let (timebase, ntsc) = editor_timebase(rate).unwrap_or((rate.timebase(), rate.is_ntsc()));
    w.create_element("rate").write_inner_content(|w| {
        leaf(w, "timebase", timebase)?;
        leaf(w, "ntsc", if ntsc { "TRUE" } else { "FALSE" })
    })?;
    Ok(())
}

fn sequence_timecode(w: &mut Xml, plan: &Plan<'_>) -> io::Result<()> {
    w.create_element("timecode").write_inner_content(|w| {
        rate(w, plan.rate)?;
        leaf(w, "string", timecode::format(plan.start_frame, plan.rate))?;
        leaf(w, "frame", plan.start_frame)?;
        let display = if timecode::is_drop_frame(plan.rate) {
            "DF"
        } else {
            "NDF"
        };
        leaf(w, "displayformat", display)
    })?;
    Ok(())
}

fn video_characteristics(w: &mut Xml, at: Rate, width: u32, height: u32) -> io::Result<()> {
    w.create_element("samplecharacteristics")
        .write_inner_content(|w| {
            rate(w, at)?;
            leaf(w, "width", width)?;
            leaf(w, "height", height)?;
            leaf(w, "pixelaspectratio", "square")
        })?;
    Ok(())
}

fn video(
    w: &mut Xml,
    plan: &Plan<'_>,
    placed: &[Placed<'_, '_>],
    defined: &mut [bool],
) -> io::Result<()> {
    w.create_element("video").write_inner_content(|w| {
        if let Some(first) = placed.first() {
            w.create_element("format").write_inner_content(|w| {
                video_characteristics(w, plan.rate, first.clip.width, first.clip.height)
            })?;
        }
        w.create_element("track").write_inner_content(|w| {
            for p in placed {
                clipitem(w, p, placed.len(), Track::Video, defined)?;
            }
            leaf(w, "enabled", "TRUE")?;
            leaf(w, "locked", "FALSE")
        })?;
        Ok(())
    })?;
    Ok(())
}

/// The audio track; written after the video track, so every file is already defined.
fn audio(
    w: &mut Xml,
    placed: &[Placed<'_, '_>],
    video_count: usize,
    defined: &mut [bool],
) -> io::Result<()> {
    w.create_element("audio").write_inner_content(|w| {
        w.create_element("track").write_inner_content(|w| {
            for p in placed.iter().filter(|p| p.audio_index.is_some()) {
                clipitem(w, p, video_count, Track::Audio, defined)?;
            }
            leaf(w, "enabled", "TRUE")?;
            leaf(w, "locked", "FALSE")
        })?;
        Ok(())
    })?;
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Track {
    Video,
    Audio,
}

fn clipitem_id(p: &Placed<'_, '_>, track: Track, video_count: usize) -> String {
    match (track, p.audio_index) {
        (Track::Audio, Some(a)) => format!("clipitem-{}", video_count + a),
        _ => format!("clipitem-{}", p.video_index),
    }
}

fn ticks(frames: u64, rate: Rate) -> u128 {
    u128::from(frames) * PPRO_TICKS_PER_SECOND * u128::from(rate.den) / u128::from(rate.num)
}

fn clipitem(
    w: &mut Xml,
    p: &Placed<'_, '_>,
    video_count: usize,
    track: Track,
    defined: &mut [bool],
) -> io::Result<()> {
    let clip = p.clip;
    let shot: &ShotEntry = p.item.shot;
    w.create_element("clipitem")
        .with_attribute(("id", clipitem_id(p, track, video_count).as_str()))
        .write_inner_content(|w| {
            leaf(w, "masterclipid", format!("masterclip-{}", p.file_number))?;
            leaf(w, "name", clip_name(shot, clip))?;
            leaf(w, "enabled", "TRUE")?;
            if clip.media_frames > 0 {
                leaf(w, "duration", clip.media_frames)?;
            }
            rate(w, clip.rate)?;
            leaf(w, "start", p.item.record_in)?;
            leaf(w, "end", p.item.record_in + p.item.record_len)?;
            leaf(w, "in", clip.source_in)?;
            leaf(w, "out", clip.source_out)?;
            leaf(w, "pproTicksIn", ticks(clip.source_in, clip.rate))?;
            leaf(w, "pproTicksOut", ticks(clip.source_out, clip.rate))?;
            file(w, clip, p.file_number, defined)?;
            if track == Track::Audio {
                w.create_element("sourcetrack").write_inner_content(|w| {
                    leaf(w, "mediatype", "audio")?;
                    leaf(w, "trackindex", 1)
                })?;
            }
            if let Some(audio_index) = p.audio_index {
                link(
                    w,
                    &format!("clipitem-{}", p.video_index),
                    "video",
                    p.video_index,
                )?;
                link(
                    w,
                    &format!("clipitem-{}", video_count + audio_index),
                    "audio",
                    audio_index,
                )?;
            }
            w.create_element("logginginfo").write_inner_content(|w| {
                leaf(w, "description", clip.prompt.as_deref().unwrap_or(""))?;
                leaf(w, "scene", &shot.code)?;
                leaf(w, "shottake", clip.take_id)
            })?;
            w.create_element("labels").write_inner_content(|w| {
                let label = if clip.placeholder {
                    LABEL_PLACEHOLDER
                } else {
                    LABEL_FINAL
                };
                leaf(w, "label2", label)
            })?;
            marker(
                w,
                &take_marker_name(clip),
                &take_comment(clip),
                clip.source_in,
            )?;
            for (frame, text) in &clip.notes {
                marker(w, "Note", text, *frame)?;
            }
            Ok(())
        })?;
    Ok(())
}

fn file(w: &mut Xml, clip: &ClipEntry, number: usize, defined: &mut [bool]) -> io::Result<()> {
    let id = format!("file-{number}");
    let element = w.create_element("file").with_attribute(("id", id.as_str()));
    if defined[number] {
        element.write_empty()?;
        return Ok(());
    }
    defined[number] = true;
    element.write_inner_content(|w| {
        leaf(w, "name", file_name(&clip.path))?;
        leaf(w, "pathurl", file_url(&clip.path, "localhost"))?;
        rate(w, clip.rate)?;
        if clip.media_frames > 0 {
            leaf(w, "duration", clip.media_frames)?;
        }
        w.create_element("media").write_inner_content(|w| {
            w.create_element("video").write_inner_content(|w| {
                video_characteristics(w, clip.rate, clip.width, clip.height)
            })?;
            if clip.has_audio {
                w.create_element("audio").write_empty()?;
            }
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(())
}

fn link(w: &mut Xml, clipitem: &str, mediatype: &str, index: usize) -> io::Result<()> {
    w.create_element("link").write_inner_content(|w| {
        leaf(w, "linkclipref", clipitem)?;
        leaf(w, "mediatype", mediatype)?;
        leaf(w, "trackindex", 1)?;
        leaf(w, "clipindex", index)
    })?;
    Ok(())
}

fn marker(w: &mut Xml, name: &str, comment: &str, frame: u64) -> io::Result<()> {
    w.create_element("marker").write_inner_content(|w| {
        leaf(w, "name", name)?;
        leaf(w, "comment", comment)?;
        leaf(w, "in", frame)?;
        leaf(w, "out", -1)
    })?;
    Ok(())
}

fn take_marker_name(clip: &ClipEntry) -> String {
    if clip.placeholder {
        format!("Takeboard PLACEHOLDER take {}", clip.take_id)
    } else {
        format!("Takeboard take {}", clip.take_id)
    }
}

/// The clip's provenance as `key: value` lines (shared by the marker comment).
fn take_comment(clip: &ClipEntry) -> String {
    let mut lines = vec![
        format!("take: {}", clip.take_id),
        format!("origin: {}", clip.origin),
    ];
    if clip.placeholder {
        lines.push("placeholder: approved Flash take, final render not in yet".to_owned());
    }
    if let Some(id) = &clip.generation_id {
        lines.push(format!("generation: {id}"));
    }
    if let Some(prompt) = &clip.prompt {
        lines.push(format!("prompt: {prompt}"));
    }
    lines.join("\n")
}
