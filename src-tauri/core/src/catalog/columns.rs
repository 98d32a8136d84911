//! Reading typed values out of SQLite columns: text enums, frame counts, JSON.

use rusqlite::Row;
use serde_json::Value;
use std::str::FromStr;

/// A text column parsed with `FromStr` (the domain enums' spelling).
pub(crate) fn parse_col<T>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: String = row.get(idx)?;
    text.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// A nullable frame number (never negative).
pub(crate) fn frame_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<u64>> {
    let v: Option<i64> = row.get(idx)?;
    v.map(|v| {
        u64::try_from(v).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Integer, e.into())
        })
    })
    .transpose()
}

/// A nullable JSON text column.
pub(crate) fn json_col(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Value>> {
    let text: Option<String> = row.get(idx)?;
    text.map(|t| {
        serde_json::from_str(&t).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, e.into())
        })
    })
    .transpose()
}
