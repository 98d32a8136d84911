//! Timecode parsing on arbitrary text at every rate: a label it accepts formats back to a
//! label that reads as the same frame.
#![no_main]

use libfuzzer_sys::fuzz_target;
use takeboard_core::domain::Rate;
use takeboard_core::export::timecode;

const RATES: [(u32, u32); 6] = [(24, 1), (25, 1), (30, 1), (24000, 1001), (30000, 1001), (60000, 1001)];

fuzz_target!(|text: &str| {
    for (num, den) in RATES {
        let rate = Rate { num, den };
        if let Ok(frame) = timecode::parse(text, rate) {
            let label = timecode::format(frame, rate);
            assert_eq!(timecode::parse(&label, rate).ok(), Some(frame), "{text:?} → {label}");
        }
    }
});
