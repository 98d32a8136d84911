//! Shots: creation, codes, names, order.

/// A shot row.
#[derive(Debug, Clone)]
pub struct ShotRow {
    /// Row id.
    pub id: i64,
}
