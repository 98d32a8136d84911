//! Shared test fixtures: stand-ins for outside services and media.

pub mod luma_standin;
