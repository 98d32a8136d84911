//! The MP4/MOV box reader on arbitrary bytes: never panics, never loops, never allocates by
//! what a box claims, and a duration it reports is finite and at most a day.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reader = std::io::Cursor::new(data);
    if let Ok(info) = takeboard_core::probe::probe_reader(&mut reader, data.len() as u64) {
        assert!(info.duration_s.is_finite() && info.duration_s >= 0.0);
        assert!(info.duration_s <= 24.0 * 3600.0, "{info:?}");
        assert!(info.fps.num > 0 && info.fps.den > 0, "{info:?}");
    }
});
