//! End-to-end tests of the Takeboard app: one binary, one module per area.
//! Skipped (with a message) unless `TAKEBOARD_E2E=1`; see the crate docs.

mod export;
mod folder;
mod launch;
mod media;
mod review;
mod screenshots;
mod sync;
