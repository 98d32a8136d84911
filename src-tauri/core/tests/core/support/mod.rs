//! Shared fixtures for the core integration tests: real media files made with ffmpeg and
//! independent readings of them, real libraries on disk, and the Luma API stand-in.

pub mod clips;
pub mod library;
pub mod luma_standin;
