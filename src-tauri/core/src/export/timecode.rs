//! SMPTE timecode for the export writers: frame counts ↔ `HH:MM:SS:FF` labels.
//!
//! Owns the counting rules only; which rate a sequence uses is decided in `export`.
//! Drop-frame (`HH:MM:SS;FF`) is used for 29.97 and 59.94 and nowhere else: 23.976 and
//! every whole rate count non-drop. Drop frame skips the frame *labels* `;00` and `;01`
//! (`;00`–`;03` at 59.94) at the start of every minute not divisible by ten; no frame is
//! dropped. The formulas are the ones in `premiere-interchange.md` §4.

use crate::domain::Rate;

/// A timecode label that cannot be read at the given rate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimecodeError {
    /// Not four groups of digits separated by `:` or `;`.
    #[error("'{0}' is not a timecode; write it as HH:MM:SS:FF (or HH:MM:SS;FF for drop frame)")]
    Malformed(String),
    /// A field is out of its range (hours 0–23, minutes and seconds 0–59, frames below
    /// the timebase).
    #[error("'{text}' is out of range at {rate} fps: {field} must be below {limit}")]
    OutOfRange {
        /// The label as given.
        text: String,
        /// The rate it was read at.
        rate: Rate,
        /// Which field is out of range.
        field: &'static str,
        /// The first value that is not allowed.
        limit: u64,
    },
    /// A drop-frame label that is skipped by drop-frame counting (e.g. `00:01:00;00`).
    #[error("'{0}' does not exist in drop-frame counting (frames ;00 and ;01 are skipped at each minute not divisible by 10)")]
    DroppedLabel(String),
}

/// True for the rates written in drop-frame timecode: 29.97 (30000/1001) and 59.94
/// (60000/1001).
pub fn is_drop_frame(rate: Rate) -> bool {
    rate.den == 1001 && (rate.num == 30000 || rate.num == 60000)
}

/// Frame labels skipped per dropping minute: 2 at 29.97, 4 at 59.94.
fn dropped_per_minute(timebase: u64) -> u64 {
    timebase / 15
}

/// Formats a frame count as a timecode label at `rate`: `HH:MM:SS;FF` for drop-frame
/// rates, `HH:MM:SS:FF` otherwise. Hours are not wrapped at 24.
pub fn format(frames: u64, rate: Rate) -> String {
    let timebase = u64::from(rate.timebase().max(1));
    if !is_drop_frame(rate) {
        return format_counted(frames, timebase, ':');
    }
    let drop = dropped_per_minute(timebase);
    let per_ten_minutes = timebase * 600 - 9 * drop;
    let per_minute = timebase * 60 - drop;
    let tens = frames / per_ten_minutes;
    let rest = frames % per_ten_minutes;
    let mut label = frames + 9 * drop * tens;
    if rest >= drop {
        label += drop * ((rest - drop) / per_minute);
    }
    format_counted(label, timebase, ';')
}

fn format_counted(label: u64, timebase: u64, frame_separator: char) -> String {
    let ff = label % timebase;
    let total_seconds = label / timebase;
    format!(
        "{:02}:{:02}:{:02}{frame_separator}{:02}",
        total_seconds / 3600,
        (total_seconds / 60) % 60,
        total_seconds % 60,
        ff
    )
}

/// Reads a timecode label as a frame count at `rate`.
///
/// Either separator is accepted at any rate (`01:00:00:00` and `01:00:00;00` are the same
/// label); the counting follows the rate: drop frame at 29.97/59.94, non-drop otherwise.
/// So `01:00:00:00` at 29.97 is frame 107892, the frame whose drop-frame label is
/// `01:00:00;00`.
pub fn parse(text: &str, rate: Rate) -> Result<u64, TimecodeError> {
    let malformed = || TimecodeError::Malformed(text.to_owned());
    let fields: Vec<&str> = text.trim().split([':', ';']).collect();
    let [hh, mm, ss, ff] = fields.as_slice() else {
        return Err(malformed());
    };
    let number = |field: &str| -> Result<u64, TimecodeError> {
        if field.is_empty() || field.len() > 2 || !field.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        field.parse().map_err(|_| malformed())
    };
    let (hh, mm, ss, ff) = (number(hh)?, number(mm)?, number(ss)?, number(ff)?);
    let timebase = u64::from(rate.timebase().max(1));
    let out_of_range = |field, limit| TimecodeError::OutOfRange {
        text: text.to_owned(),
        rate,
        field,
        limit,
    };
    for (value, field, limit) in [
        (hh, "hours", 24),
        (mm, "minutes", 60),
        (ss, "seconds", 60),
        (ff, "frames", timebase),
    ] {
        if value >= limit {
            return Err(out_of_range(field, limit));
        }
    }
    let label = ((hh * 60 + mm) * 60 + ss) * timebase + ff;
    if !is_drop_frame(rate) {
        return Ok(label);
    }
    let drop = dropped_per_minute(timebase);
    if ss == 0 && ff < drop && mm % 10 != 0 {
        return Err(TimecodeError::DroppedLabel(text.to_owned()));
    }
    let total_minutes = hh * 60 + mm;
    Ok(label - drop * (total_minutes - total_minutes / 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(text: &str) -> Rate {
        text.parse().unwrap()
    }

    #[test]
    fn drop_frame_matches_the_reference_check_values() {
        let r = rate("30000/1001");
        assert_eq!(format(1799, r), "00:00:59;29");
        assert_eq!(format(1800, r), "00:01:00;02");
        assert_eq!(parse("00:00:59;29", r), Ok(1799));
        assert_eq!(parse("00:01:00;02", r), Ok(1800));
    }

    #[test]
    fn drop_frame_keeps_labels_zero_and_one_at_every_tenth_minute() {
        let r = rate("30000/1001");
        assert_eq!(
            format(17982, r),
            "00:10:00;00",
            "ten minutes = 17982 frames"
        );
        assert_eq!(format(17981, r), "00:09:59;29");
        assert_eq!(format(107892, r), "01:00:00;00", "one hour = 107892 frames");
        assert_eq!(parse("01:00:00;00", r), Ok(107892));
        assert_eq!(parse("00:10:00;01", r), Ok(17983));
    }

    #[test]
    fn drop_frame_round_trips_every_frame_of_the_first_hour() {
        for r in [rate("30000/1001"), rate("60000/1001")] {
            let hour = if r.num == 30000 { 107892 } else { 215784 };
            for frame in 0..=hour {
                let label = format(frame, r);
                assert_eq!(parse(&label, r), Ok(frame), "{label} at {r}");
            }
        }
    }

    #[test]
    fn fifty_nine_point_nine_four_drops_four_labels_per_minute() {
        let r = rate("60000/1001");
        assert_eq!(format(3599, r), "00:00:59;59");
        assert_eq!(format(3600, r), "00:01:00;04");
        assert_eq!(format(35964, r), "00:10:00;00");
        assert_eq!(
            parse("00:01:00;03", r),
            Err(TimecodeError::DroppedLabel("00:01:00;03".into()))
        );
    }

    #[test]
    fn non_drop_rates_count_whole_frames_per_second() {
        assert_eq!(format(86400, rate("24")), "01:00:00:00");
        assert_eq!(format(90000, rate("25")), "01:00:00:00");
        assert_eq!(format(108000, rate("30")), "01:00:00:00");
        assert_eq!(
            format(86400, rate("24000/1001")),
            "01:00:00:00",
            "23.976 counts non-drop at timebase 24"
        );
        assert_eq!(format(47, rate("24")), "00:00:01:23");
        assert_eq!(parse("00:00:01:23", rate("24")), Ok(47));
        assert_eq!(parse("10:59:59:24", rate("25")), Ok(39_599 * 25 + 24));
        assert_eq!(
            format(100 * 3600 * 24, rate("24")),
            "100:00:00:00",
            "no wrap at 24 h"
        );
    }

    #[test]
    fn either_separator_is_read_with_the_rates_own_counting() {
        assert_eq!(parse("01:00:00;00", rate("24")), Ok(86400));
        assert_eq!(parse("01:00:00:00", rate("30000/1001")), Ok(107892));
        assert_eq!(parse(" 1:0:0:0 ", rate("25")), Ok(90000));
    }

    #[test]
    fn bad_labels_are_refused_with_the_reason() {
        let r24 = rate("24");
        for text in [
            "",
            "01:00:00",
            "01:00:00:00:00",
            "aa:00:00:00",
            "01:00:00:-1",
            "001:00:00:00",
        ] {
            assert_eq!(
                parse(text, r24),
                Err(TimecodeError::Malformed(text.into())),
                "{text}"
            );
        }
        let err = parse("00:00:00:24", r24).unwrap_err();
        assert!(
            matches!(
                err,
                TimecodeError::OutOfRange {
                    field: "frames",
                    limit: 24,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("frames must be below 24"), "{err}");
        assert!(matches!(
            parse("24:00:00:00", r24),
            Err(TimecodeError::OutOfRange { field: "hours", .. })
        ));
        assert!(matches!(
            parse("00:60:00:00", r24),
            Err(TimecodeError::OutOfRange {
                field: "minutes",
                ..
            })
        ));
        assert_eq!(
            parse("00:01:00;01", rate("30000/1001")),
            Err(TimecodeError::DroppedLabel("00:01:00;01".into()))
        );
        assert_eq!(
            parse("00:01:00:01", rate("30")),
            Ok(1801),
            "30 fps has no dropped labels"
        );
    }

    #[test]
    fn only_29_97_and_59_94_are_drop_frame() {
        assert!(is_drop_frame(rate("30000/1001")));
        assert!(is_drop_frame(rate("60000/1001")));
        for text in ["24000/1001", "24", "25", "30", "60", "48000/1001"] {
            assert!(!is_drop_frame(rate(text)), "{text}");
        }
    }
}
