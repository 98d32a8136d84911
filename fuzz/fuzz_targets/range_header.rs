//! The media server's Range parser on arbitrary headers and sizes: a range it accepts lies
//! inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use takeboard_core::media_server::{parse_range, RangeRequest};

fuzz_target!(|input: (&str, u64)| {
    let (header, size) = input;
    if let RangeRequest::Bytes(first, last) = parse_range(header, size) {
        assert!(first <= last && last < size, "{header:?} of {size}: {first}-{last}");
    }
});
