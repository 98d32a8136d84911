//! The Luma sidecar parser on arbitrary bytes: an error or a sidecar, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.mp4.json");
    let _ = takeboard_core::identify::parse_sidecar(data, path);
});
