//! Takeboard's core: everything the product does, with no knowledge of any UI toolkit.
//!
//! The desktop shell (`src-tauri`) and the command-line program (`takeboard-cli`) are thin
//! clients of this crate. See `ARCHITECTURE.md` for the code map and invariants.

pub mod api;
pub mod atomic_file;
pub mod catalog;
pub mod domain;
pub mod export;
pub mod hash;
pub mod identify;
pub mod ingest;
pub mod media_server;
pub mod pricing;
pub mod probe;
pub mod render;
pub mod review;
pub mod settings;
