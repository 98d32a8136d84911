//! Integration tests of takeboard-core: one binary, one module per area.

mod export;
mod hash;
mod identify;
mod ingest;
mod key;
mod luma;
mod media_server;
mod probe;
mod properties;
mod review;
mod studio;
mod support;
