//! Distinct copies of one clip: the same video with a `free` box of its own appended, so
//! each copy is new content (a new take) that still parses as ISO-BMFF. Shared by the
//! core and CLI test binaries.

use std::path::Path;

/// Copies a clip to `dest` with a unique `free` box (carrying `tag`) appended.
pub fn unique_copy(src: &Path, dest: &Path, tag: u64) {
    let mut bytes = std::fs::read(src).expect("read clip");
    bytes.extend_from_slice(&16u32.to_be_bytes());
    bytes.extend_from_slice(b"free");
    bytes.extend_from_slice(&tag.to_be_bytes());
    std::fs::write(dest, bytes).expect("write copy");
}
