//! End-to-end tests of the Takeboard app: one binary, one module per area.
//! Skipped (with a message) unless `TAKEBOARD_E2E=1`; see the crate docs.

mod export;
mod folder;
mod launch;
/// The Luma API stand-in of the core tests, shared rather than copied.
#[allow(
    dead_code,
    reason = "shared with the core tests; this binary uses part of it"
)]
#[path = "../../../../src-tauri/core/tests/core/support/luma_standin.rs"]
mod luma_standin;
mod media;
mod money;
mod review;
mod screenshots;
mod sync;
