//! Shared fixtures for the core integration tests: real media files made with ffmpeg and
//! independent readings of them, real libraries on disk, and the Luma API stand-in.

pub mod clips;
pub mod copies;
pub mod library;
pub mod load;
#[allow(
    dead_code,
    reason = "shared with the CLI tests; each binary uses part of it"
)]
pub mod luma_standin;
pub mod studio;
