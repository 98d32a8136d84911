//! Takes and the files that hold them.

/// A take row.
#[derive(Debug, Clone)]
pub struct TakeRow {
    /// Row id.
    pub id: i64,
}
/// What ingest records about a take.
#[derive(Debug, Clone)]
pub struct TakeRecord {}
/// A file row.
#[derive(Debug, Clone)]
pub struct FileRow {
    /// Row id.
    pub id: i64,
}
