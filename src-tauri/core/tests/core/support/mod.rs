//! Shared fixtures for the core integration tests: real media files made with ffmpeg, and
//! independent readings of them (ffprobe, a minimal box lister) to compare our code against.

pub mod clips;
pub mod library;
