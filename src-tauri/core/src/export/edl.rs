//! CMX3600 EDL writer, Premiere flavour: one video track, reel `AX`, clips named by
//! `* FROM CLIP NAME:` comments.
//!
//! Renders a resolved `Plan`; knows nothing of the catalog. Follows
//! `premiere-interchange.md` §3: `TITLE:` and `FCM:` header, 3-digit events, cuts only,
//! exclusive outs, drop-frame timecode (`;`) only at 29.97/59.94. The clip name is the
//! file's name, because Premiere relinks EDL clips by file name and an EDL carries no path.
//! `* FROM CLIP:`/`* FROM FILE:` are never written (Premiere then names clips "UNKNOWN").
//! Gaps are holes in the record timecode. Takeboard facts ride in `* TAKEBOARD …`
//! comments after the clip name (shot, take, and `* TAKEBOARD PLACEHOLDER` for
//! placeholders); editors ignore comments they do not know. One rate for everything: a
//! clip at another rate gets its source in converted to sequence frames and its source
//! out = source in + record length. Lines end with CRLF; text is UTF-8 without BOM, with
//! line breaks in names folded to spaces.

use super::{file_name, timecode, to_rate, ExportError, Plan};

/// The most events a 3-digit event number can count.
const MAX_EVENTS: usize = 999;

pub(crate) fn render(plan: &Plan<'_>) -> Result<Vec<u8>, ExportError> {
    let clip_count = plan.clips().count();
    if clip_count > MAX_EVENTS {
        return Err(ExportError::TooManyEdlEvents(clip_count));
    }
    let rate = plan.rate;
    let tc = |frames: u64| timecode::format(frames, rate);
    let title = one_line(plan.name);
    let mut lines = vec![
        format!(
            "TITLE: {}",
            if title.is_empty() { "Untitled" } else { &title }
        ),
        if timecode::is_drop_frame(rate) {
            "FCM: DROP FRAME".to_owned()
        } else {
            "FCM: NON-DROP FRAME".to_owned()
        },
        String::new(),
    ];
    for (event, (item, clip)) in plan.clips().enumerate() {
        let source_in = to_rate(clip.source_in, clip.rate, rate);
        let record_in = plan.start_frame + item.record_in;
        lines.push(format!(
            "{:03}  {:<8} {:<5} C        {} {} {} {}",
            event + 1,
            "AX",
            "V",
            tc(source_in),
            tc(source_in + item.record_len),
            tc(record_in),
            tc(record_in + item.record_len),
        ));
        lines.push(format!(
            "* FROM CLIP NAME:  {}",
            one_line(&file_name(&clip.path))
        ));
        lines.push(format!(
            "* TAKEBOARD SHOT: {} {}",
            one_line(&item.shot.code),
            one_line(&item.shot.name)
        ));
        lines.push(format!(
            "* TAKEBOARD TAKE: {} ORIGIN: {}{}",
            clip.take_id,
            clip.origin,
            clip.generation_id
                .as_deref()
                .map(|g| format!(" GENERATION: {}", one_line(g)))
                .unwrap_or_default()
        ));
        if clip.placeholder {
            lines.push("* TAKEBOARD PLACEHOLDER".to_owned());
        }
    }
    let mut text = lines.join("\r\n");
    text.push_str("\r\n");
    Ok(text.into_bytes())
}

/// The text with control characters and line breaks (CR, LF, NEL, U+2028, U+2029) turned
/// into spaces, trimmed: a comment can never start a new EDL event line.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_owned()
}
