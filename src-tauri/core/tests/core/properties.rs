//! Properties of the parsers that face the outside: every timecode label reads back as its
//! frame at every rate, and every `Range` header resolves inside the file or not at all.

use proptest::prelude::*;
use takeboard_core::domain::Rate;
use takeboard_core::export::timecode;
use takeboard_core::media_server::{parse_range, RangeRequest};

const RATES: [Rate; 9] = [
    Rate { num: 24, den: 1 },
    Rate { num: 25, den: 1 },
    Rate { num: 30, den: 1 },
    Rate { num: 50, den: 1 },
    Rate { num: 60, den: 1 },
    Rate {
        num: 24000,
        den: 1001,
    },
    Rate {
        num: 30000,
        den: 1001,
    },
    Rate {
        num: 60000,
        den: 1001,
    },
    Rate { num: 48, den: 1 },
];

/// Frames in one day of labels at `rate` (drop frame skips 0.1 % of them).
fn frames_per_day(rate: Rate) -> u64 {
    let labels = u64::from(rate.timebase()) * 86_400;
    if timecode::is_drop_frame(rate) {
        labels - labels / 1000
    } else {
        labels
    }
}

proptest! {
    #[test]
    fn every_frame_of_a_day_reads_back_from_its_timecode(rate in 0..RATES.len(), at in 0.0..1.0f64) {
        let rate = RATES[rate];
        let frame = ((frames_per_day(rate) as f64) * at) as u64;
        let label = timecode::format(frame, rate);
        prop_assert_eq!(label.len(), 11, "{}", label);
        prop_assert_eq!(timecode::parse(&label, rate).ok(), Some(frame), "{} at {:?}", label, rate);
    }

    #[test]
    fn any_text_parses_to_an_error_or_a_frame_that_formats_back(text in "\\PC{0,16}", rate in 0..RATES.len()) {
        let rate = RATES[rate];
        if let Ok(frame) = timecode::parse(&text, rate) {
            let again = timecode::format(frame, rate);
            prop_assert_eq!(timecode::parse(&again, rate).ok(), Some(frame));
        }
    }

    #[test]
    fn a_closed_range_is_clamped_to_the_file_or_unsatisfiable(size in 0..u64::MAX / 2, first in 0..u64::MAX / 2, len in 0..u64::MAX / 4) {
        let last = first + len;
        let got = parse_range(&format!("bytes={first}-{last}"), size);
        let want = if first >= size {
            RangeRequest::Unsatisfiable
        } else {
            RangeRequest::Bytes(first, last.min(size - 1))
        };
        prop_assert_eq!(got, want);
    }

    #[test]
    fn open_and_suffix_ranges_select_the_bytes_they_name(size in 0..u64::MAX / 2, n in 0..u64::MAX / 2) {
        let open = parse_range(&format!("bytes={n}-"), size);
        let want = if n >= size { RangeRequest::Unsatisfiable } else { RangeRequest::Bytes(n, size - 1) };
        prop_assert_eq!(open, want);
        let suffix = parse_range(&format!("bytes=-{n}"), size);
        let want = if n == 0 || size == 0 {
            RangeRequest::Unsatisfiable
        } else {
            RangeRequest::Bytes(size - n.min(size), size - 1)
        };
        prop_assert_eq!(suffix, want);
    }

    #[test]
    fn any_range_header_resolves_inside_the_file(header in "\\PC{0,40}", size in 0..u64::MAX) {
        if let RangeRequest::Bytes(first, last) = parse_range(&header, size) {
            prop_assert!(first <= last && last < size, "{} → {}-{} of {}", header, first, last, size);
        }
    }

    #[test]
    fn byte_range_shaped_headers_resolve_inside_the_file(header in "bytes= ?[0-9]{0,21} ?- ?[0-9]{0,21}", size in 0..u64::MAX) {
        if let RangeRequest::Bytes(first, last) = parse_range(&header, size) {
            prop_assert!(first <= last && last < size, "{} → {}-{} of {}", header, first, last, size);
        }
    }
}
