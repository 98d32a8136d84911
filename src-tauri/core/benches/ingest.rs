//! Ingest benchmark (filled in by the ingest work).
fn main() {}
