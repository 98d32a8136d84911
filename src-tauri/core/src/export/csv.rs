//! CSV shot list writer: one row per sequence item, for a spreadsheet.
//!
//! Renders a resolved `Plan`; knows nothing of the catalog. RFC 4180: comma separated,
//! CRLF line ends, a field is quoted when it holds `,` `"` CR or LF, and quotes inside are
//! doubled. The file starts with a UTF-8 BOM: Excel reads a CSV without one in the
//! system's legacy code page (mangling accents and CJK), while Numbers, LibreOffice,
//! Google Sheets and Python's `utf-8-sig` all accept the BOM. Free-text cells (names,
//! prompt, notes) that start with `=`, `+`, `-` or `@` get a leading `'` so a spreadsheet
//! shows them as text instead of running them as formulas.
//!
//! Columns: see [`HEADER`]. `Kind` is `clip`, `placeholder` or `gap`; source timecodes are
//! at the clip's own rate (`Frame rate`), record timecodes at the sequence rate; `Notes`
//! holds one `timecode text` line per note.

use super::{timecode, Plan, PlanItem};

/// The header row.
pub(crate) const HEADER: [&str; 20] = [
    "Shot",
    "Name",
    "Position",
    "State",
    "Kind",
    "Take",
    "File",
    "Origin",
    "Frame rate",
    "Source in",
    "Source out",
    "Duration (frames)",
    "Duration",
    "Record in",
    "Record out",
    "Prompt",
    "Generation",
    "Credits",
    "Notes",
    "Width x height",
];

const BOM: &str = "\u{feff}";

pub(crate) fn render(plan: &Plan<'_>) -> Vec<u8> {
    let mut text = String::from(BOM);
    push_row(&mut text, HEADER.iter().map(|h| (*h).to_owned()));
    for item in &plan.items {
        push_row(&mut text, row(plan, item));
    }
    text.into_bytes()
}

fn row(plan: &Plan<'_>, item: &PlanItem<'_>) -> Vec<String> {
    let shot = item.shot;
    let record_in = plan.start_frame + item.record_in;
    let record = [
        timecode::format(record_in, plan.rate),
        timecode::format(record_in + item.record_len, plan.rate),
    ];
    let mut cells = vec![
        as_text(&shot.code),
        as_text(&shot.name),
        shot.position.to_string(),
        shot.state.to_string(),
    ];
    match item.clip {
        None => {
            cells.extend(["gap".to_owned()]);
            cells.extend(std::iter::repeat_n(String::new(), 6));
            cells.push(item.record_len.to_string());
            cells.push(timecode::format(item.record_len, plan.rate));
            cells.extend(record);
            cells.extend(std::iter::repeat_n(String::new(), 5));
        }
        Some(clip) => {
            let tc = |frames| timecode::format(frames, clip.rate);
            let length = clip.source_out - clip.source_in;
            let notes: Vec<String> = clip
                .notes
                .iter()
                .map(|(frame, note)| format!("{} {note}", tc(*frame)))
                .collect();
            cells.extend([
                if clip.placeholder {
                    "placeholder"
                } else {
                    "clip"
                }
                .to_owned(),
                clip.take_id.to_string(),
                as_text(&clip.path.to_string_lossy()),
                clip.origin.to_string(),
                clip.rate.to_string(),
                tc(clip.source_in),
                tc(clip.source_out),
                length.to_string(),
                tc(length),
            ]);
            cells.extend(record);
            cells.extend([
                as_text(clip.prompt.as_deref().unwrap_or("")),
                as_text(clip.generation_id.as_deref().unwrap_or("")),
                clip.credits.map(|c| c.to_string()).unwrap_or_default(),
                as_text(&notes.join("\n")),
                format!("{}x{}", clip.width, clip.height),
            ]);
        }
    }
    cells
}

/// Text that a spreadsheet would take for a formula (a leading `=`, `+`, `-`, `@`, TAB or
/// CR, OWASP's list) gets a leading `'`. Every text cell goes through here.
fn as_text(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn push_row(out: &mut String, cells: impl IntoIterator<Item = String>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if cell.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_rfc_4180_needs_it() {
        let mut out = String::new();
        push_row(
            &mut out,
            ["plain", "a,b", "say \"hi\"", "two\nlines", "é & <x>"].map(String::from),
        );
        assert_eq!(
            out,
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",é & <x>\r\n"
        );
    }

    #[test]
    fn formula_looking_text_is_kept_as_text() {
        assert_eq!(as_text("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(as_text("-dolly in"), "'-dolly in");
        assert_eq!(as_text("a = b"), "a = b");
        assert_eq!(as_text("\tcalc"), "'\tcalc");
        assert_eq!(as_text("\r=1"), "'\r=1");
    }
}
