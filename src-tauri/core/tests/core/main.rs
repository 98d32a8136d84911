//! Integration tests of takeboard-core: one binary, one module per area.

mod export;
mod hash;
mod identify;
mod ingest;
mod luma;
mod probe;
mod review;
mod support;
