//! Integration tests of takeboard-cli: the real binary on temp folders of real clips,
//! checking the JSON contract on stdout and the errors on stderr.

mod approvals;
mod bad_input;
mod catalog;
/// The core tests' clip maker, shared rather than copied; this binary uses part of it.
#[allow(
    dead_code,
    reason = "shared with the core tests; each binary uses part of it"
)]
#[path = "../../../core/tests/core/support/clips.rs"]
mod clips;
/// Distinct copies of a clip, shared with the core tests.
#[path = "../../../core/tests/core/support/copies.rs"]
mod copies;
mod export;
/// The Luma API stand-in of the core tests, shared rather than copied; this binary uses
/// only part of it.
#[allow(
    dead_code,
    reason = "shared with the core tests; each binary uses part of it"
)]
#[path = "../../../core/tests/core/support/luma_standin.rs"]
mod luma_standin;
mod studio;
/// The core tests' throwaway PostgreSQL server and per-test databases, shared.
#[allow(
    dead_code,
    reason = "shared with the core tests; each binary uses part of it"
)]
#[path = "../../../core/tests/core/support/studio.rs"]
mod studio_support;
mod support;
