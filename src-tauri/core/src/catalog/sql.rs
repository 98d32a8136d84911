//! The statement layer under every catalog query: one connection type over SQLite or
//! PostgreSQL, values and rows that mean the same on both, and transactions.
//!
//! Catalog SQL is written once, in SQLite's numbered-parameter form (`?1`, `?2`…) and the
//! portable subset both engines share (`RETURNING`, `ON CONFLICT`, partial indexes, 0/1
//! integer flags, RFC 3339 text times). On PostgreSQL each `?N` outside a string literal
//! becomes `$N` and the statement is prepared once per connection; a parameter takes the
//! type the server infers for it, so an `i64` binds to an `integer` flag column as well as
//! to a `bigint` id.

use postgres::types::{FromSql, IsNull, Kind, ToSql, Type};
use std::cell::RefCell;
use std::collections::HashMap;

/// One value in a parameter or a result column: SQLite's storage classes, which are also
/// every PostgreSQL type the catalog uses (`bigint`/`integer`, `double precision`, `text`,
/// `bytea`; a `boolean` reads as 0/1).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A whole number.
    Integer(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

/// Everything that can go wrong running one statement.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// What SQLite said.
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// What PostgreSQL said.
    #[error("{}", postgres_text(.0))]
    Postgres(#[from] postgres::Error),
    /// A query expected to return a row returned none.
    #[error("the query returned no row")]
    NoRow,
    /// A column did not hold what the code reads from it.
    #[error("column {column}: {detail}")]
    Decode {
        /// The 0-based column.
        column: usize,
        /// What was there instead.
        detail: String,
    },
}

fn postgres_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => e.to_string(),
    }
}

impl DbError {
    /// The row broke a unique index (SQLite's constraint error, PostgreSQL's 23505).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlite(e) => {
                e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
            }
            DbError::Postgres(e) => e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
            _ => false,
        }
    }

    /// PostgreSQL gave up waiting for another session's lock (`lock_timeout`, 55P03).
    pub fn is_lock_timeout(&self) -> bool {
        matches!(self, DbError::Postgres(e)
            if e.code() == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE))
    }

    /// PostgreSQL refused the statement for lack of a privilege (42501, or a trigger's
    /// `insufficient_privilege` exception): the server's message names what is missing.
    pub fn forbidden(&self) -> Option<&str> {
        match self {
            DbError::Postgres(e) => e
                .as_db_error()
                .filter(|db| db.code() == &postgres::error::SqlState::INSUFFICIENT_PRIVILEGE)
                .map(|db| db.message()),
            _ => None,
        }
    }

    /// `detail` as a column decoding error.
    pub fn decode(column: usize, detail: impl std::fmt::Display) -> DbError {
        DbError::Decode {
            column,
            detail: detail.to_string(),
        }
    }
}

/// A Rust value bound as a statement parameter.
pub trait ToValue {
    /// The value to bind.
    fn to_value(&self) -> Value;
}

/// A Rust value read out of a result column.
pub trait FromValue: Sized {
    /// Reads `value`, which came from column `column`.
    fn from_value(value: &Value, column: usize) -> Result<Self, DbError>;
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl ToValue for i64 {
    fn to_value(&self) -> Value {
        Value::Integer(*self)
    }
}

impl ToValue for i32 {
    fn to_value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
}

impl ToValue for u32 {
    fn to_value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
}

/// Sizes, frame numbers and nanosecond times: stored as signed 64-bit, which holds every
/// value a file system reports (a larger one saturates rather than wrapping negative).
impl ToValue for u64 {
    fn to_value(&self) -> Value {
        Value::Integer(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value, column: usize) -> Result<Self, DbError> {
        match value {
            Value::Null => Ok(None),
            v => T::from_value(v, column).map(Some),
        }
    }
}

impl FromValue for i64 {
    fn from_value(value: &Value, column: usize) -> Result<Self, DbError> {
        match value {
            Value::Integer(i) => Ok(*i),
            other => Err(DbError::decode(
                column,
                format!("{other:?} is not an integer"),
            )),
        }
    }
}

impl FromValue for u64 {
    fn from_value(value: &Value, column: usize) -> Result<Self, DbError> {
        u64::try_from(i64::from_value(value, column)?).map_err(|e| DbError::decode(column, e))
    }
}

impl FromValue for u32 {
    fn from_value(value: &Value, column: usize) -> Result<Self, DbError> {
        u32::try_from(i64::from_value(value, column)?).map_err(|e| DbError::decode(column, e))
    }
}

impl FromValue for bool {
    fn from_value(value: &Value, column: usize) -> Result<Self, DbError> {
        Ok(i64::from_value(value, column)? != 0)
    }
}

impl FromValue for f64 {
    fn from_value(value: &Value, column: usize) -> Result<Self, DbError> {
        match value {
            Value::Real(f) => Ok(*f),
            // SQLite keeps a whole REAL as an integer when it can.
            Value::Integer(i) => Ok(*i as f64),
            other => Err(DbError::decode(
                column,
                format!("{other:?} is not a number"),
            )),
        }
    }
}

impl FromValue for String {
    fn from_value(value: &Value, column: usize) -> Result<Self, DbError> {
        match value {
            Value::Text(t) => Ok(t.clone()),
            other => Err(DbError::decode(column, format!("{other:?} is not text"))),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: &Value, column: usize) -> Result<Self, DbError> {
        match value {
            Value::Blob(b) => Ok(b.clone()),
            other => Err(DbError::decode(column, format!("{other:?} is not bytes"))),
        }
    }
}

/// Row ids are stored as 64-bit integers.
macro_rules! sql_row_id {
    ($($name:ident),+) => {$(
        impl ToValue for crate::domain::$name {
            fn to_value(&self) -> Value {
                Value::Integer(self.0)
            }
        }
        impl FromValue for crate::domain::$name {
            fn from_value(value: &Value, column: usize) -> Result<Self, DbError> {
                i64::from_value(value, column).map(crate::domain::$name)
            }
        }
    )+};
}

sql_row_id!(TakeId, ShotId, ProjectId, RequestId);

/// One result row, read by 0-based column.
#[derive(Debug)]
pub struct Row {
    values: Vec<Value>,
}

impl Row {
    /// Column `idx` as `T`.
    pub fn get<T: FromValue>(&self, idx: usize) -> Result<T, DbError> {
        let value = self
            .values
            .get(idx)
            .ok_or_else(|| DbError::decode(idx, "no such column"))?;
        T::from_value(value, idx)
    }

    /// A text column parsed with `FromStr` (the domain enums' spelling).
    pub fn parse<T>(&self, idx: usize) -> Result<T, DbError>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        let text: String = self.get(idx)?;
        text.parse().map_err(|e| DbError::decode(idx, e))
    }

    /// A nullable JSON text column.
    pub fn json(&self, idx: usize) -> Result<Option<serde_json::Value>, DbError> {
        let text: Option<String> = self.get(idx)?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| DbError::decode(idx, e)))
            .transpose()
    }
}

/// Statement parameters: `params![a, b]` is `&[&a, &b]` as `&[&dyn ToValue]`.
#[macro_export]
macro_rules! sql_params {
    () => { &[] as &[&dyn $crate::catalog::sql::ToValue] };
    ($($value:expr),+ $(,)?) => { &[$(&$value as &dyn $crate::catalog::sql::ToValue),+] as &[&dyn $crate::catalog::sql::ToValue] };
}
pub use sql_params as params;

/// Where statements run: a connection, or a transaction on one. The catalog's read
/// functions take `&dyn Sql`, so they serve a write transaction and a plain read alike.
pub trait Sql {
    /// Runs a statement that returns no rows; the number of rows it changed.
    fn execute(&self, sql: &str, params: &[&dyn ToValue]) -> Result<usize, DbError>;

    /// Runs a query; every row it returns.
    fn rows(&self, sql: &str, params: &[&dyn ToValue]) -> Result<Vec<Row>, DbError>;

    /// Which engine this is.
    fn engine(&self) -> Engine;
}

/// Reading rows with a function per row, on any [`Sql`] (a `&dyn Sql` included).
pub trait SqlExt: Sql {
    /// Every row, each read by `f`.
    fn query_map<T>(
        &self,
        sql: &str,
        params: &[&dyn ToValue],
        f: impl FnMut(&Row) -> Result<T, DbError>,
    ) -> Result<Vec<T>, DbError> {
        self.rows(sql, params)?.iter().map(f).collect()
    }

    /// The first row read by `f`, or `None` when there is none.
    fn query_opt<T>(
        &self,
        sql: &str,
        params: &[&dyn ToValue],
        f: impl FnOnce(&Row) -> Result<T, DbError>,
    ) -> Result<Option<T>, DbError> {
        self.rows(sql, params)?.first().map(f).transpose()
    }

    /// The first row read by `f`; [`DbError::NoRow`] when there is none.
    fn query_row<T>(
        &self,
        sql: &str,
        params: &[&dyn ToValue],
        f: impl FnOnce(&Row) -> Result<T, DbError>,
    ) -> Result<T, DbError> {
        self.query_opt(sql, params, f)?.ok_or(DbError::NoRow)
    }
}

impl<S: Sql + ?Sized> SqlExt for S {}

/// The two engines a library lives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// One file on this machine (one editor).
    Sqlite,
    /// A studio server shared by several editors.
    Postgres,
}

/// One open connection.
pub enum Conn {
    /// A SQLite file.
    Sqlite(rusqlite::Connection),
    /// A PostgreSQL session, with the statements it has prepared (keyed by their catalog
    /// text). A `RefCell`: the client needs `&mut` for every statement, and a connection is
    /// used by one thread at a time (the catalog sits behind a mutex when shared).
    Postgres(Box<RefCell<PgSession>>),
}

/// A PostgreSQL client and its prepared statements.
pub struct PgSession {
    client: postgres::Client,
    prepared: HashMap<String, postgres::Statement>,
}

impl PgSession {
    /// Wraps an open client.
    pub fn new(client: postgres::Client) -> PgSession {
        PgSession {
            client,
            prepared: HashMap::new(),
        }
    }

    /// The client itself, for what the statement layer does not cover (LISTEN, advisory
    /// locks held across transactions).
    pub fn client(&mut self) -> &mut postgres::Client {
        &mut self.client
    }

    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, DbError> {
        if let Some(stmt) = self.prepared.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.client.prepare(&dollar_params(sql))?;
        self.prepared.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }

    fn execute(&mut self, sql: &str, params: &[&dyn ToValue]) -> Result<usize, DbError> {
        let stmt = self.statement(sql)?;
        let values = bound(params);
        let n = self.client.execute(&stmt, &pg_refs(&values))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn rows(&mut self, sql: &str, params: &[&dyn ToValue]) -> Result<Vec<Row>, DbError> {
        let stmt = self.statement(sql)?;
        let values = bound(params);
        let rows = self.client.query(&stmt, &pg_refs(&values))?;
        rows.iter().map(pg_row).collect()
    }
}

fn bound(params: &[&dyn ToValue]) -> Vec<Value> {
    params.iter().map(|p| p.to_value()).collect()
}

fn pg_refs(values: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

impl Sql for Conn {
    fn execute(&self, sql: &str, params: &[&dyn ToValue]) -> Result<usize, DbError> {
        match self {
            Conn::Sqlite(conn) => {
                let values = bound(params);
                let mut stmt = conn.prepare_cached(sql)?;
                Ok(stmt.execute(rusqlite::params_from_iter(values.iter()))?)
            }
            Conn::Postgres(session) => session.borrow_mut().execute(sql, params),
        }
    }

    fn rows(&self, sql: &str, params: &[&dyn ToValue]) -> Result<Vec<Row>, DbError> {
        match self {
            Conn::Sqlite(conn) => {
                let values = bound(params);
                let mut stmt = conn.prepare_cached(sql)?;
                let width = stmt.column_count();
                let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
                let mut out = Vec::new();
                while let Some(row) = rows.next()? {
                    let values = (0..width)
                        .map(|i| Ok(sqlite_value(row.get_ref(i)?)))
                        .collect::<Result<_, rusqlite::Error>>()?;
                    out.push(Row { values });
                }
                Ok(out)
            }
            Conn::Postgres(session) => session.borrow_mut().rows(sql, params),
        }
    }

    fn engine(&self) -> Engine {
        match self {
            Conn::Sqlite(_) => Engine::Sqlite,
            Conn::Postgres(_) => Engine::Postgres,
        }
    }
}

impl Conn {
    /// Runs several statements without parameters (schema steps, pragmas).
    pub fn batch(&self, sql: &str) -> Result<(), DbError> {
        match self {
            Conn::Sqlite(conn) => Ok(conn.execute_batch(sql)?),
            Conn::Postgres(session) => Ok(session.borrow_mut().client.batch_execute(sql)?),
        }
    }

    /// Starts a write transaction: `BEGIN IMMEDIATE` on SQLite (the file's write lock
    /// first), `BEGIN` on PostgreSQL (whose writers lock rows: see `Catalog::write`).
    /// It rolls back when dropped without [`Tx::commit`].
    pub fn begin(&self) -> Result<Tx<'_>, DbError> {
        self.batch(match self {
            Conn::Sqlite(_) => "BEGIN IMMEDIATE",
            Conn::Postgres(_) => "BEGIN",
        })?;
        Ok(Tx {
            conn: self,
            open: true,
        })
    }

    /// The SQLite connection underneath, for what only SQLite has (pragmas, the file).
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match self {
            Conn::Sqlite(conn) => Some(conn),
            Conn::Postgres(_) => None,
        }
    }
}

/// An open write transaction. Everything run through it commits together or not at all.
pub struct Tx<'c> {
    conn: &'c Conn,
    open: bool,
}

impl Tx<'_> {
    /// Runs `step` so that its failure undoes only itself: the transaction goes on (a
    /// failed statement on PostgreSQL otherwise aborts the whole transaction, so a
    /// constraint error could not be answered with another statement).
    pub fn attempt<T>(&self, step: impl FnOnce() -> Result<T, DbError>) -> Result<T, DbError> {
        self.conn.batch("SAVEPOINT attempt")?;
        match step() {
            Ok(value) => {
                self.conn.batch("RELEASE SAVEPOINT attempt")?;
                Ok(value)
            }
            Err(e) => {
                self.conn
                    .batch("ROLLBACK TO SAVEPOINT attempt; RELEASE SAVEPOINT attempt")?;
                Err(e)
            }
        }
    }

    /// Commits.
    pub fn commit(mut self) -> Result<(), DbError> {
        self.open = false;
        if let Err(e) = self.conn.batch("COMMIT") {
            // A failed COMMIT on SQLite can leave the transaction open; on PostgreSQL it has
            // already ended. Either way nothing of it stays.
            let _ = self.conn.batch("ROLLBACK");
            return Err(e);
        }
        Ok(())
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.batch("ROLLBACK");
        }
    }
}

impl Sql for Tx<'_> {
    fn execute(&self, sql: &str, params: &[&dyn ToValue]) -> Result<usize, DbError> {
        self.conn.execute(sql, params)
    }

    fn rows(&self, sql: &str, params: &[&dyn ToValue]) -> Result<Vec<Row>, DbError> {
        self.conn.rows(sql, params)
    }

    fn engine(&self) -> Engine {
        self.conn.engine()
    }
}

/// A statement written with named parameters (`:name`), numbered for either engine:
/// each `:name` becomes `?N`, `N` its place in the value list. (Every `:` starts a name:
/// such a statement has no `:` in a literal and no `::` cast.)
pub struct Named {
    sql: String,
    values: Vec<Value>,
}

impl Named {
    /// Numbers `sql`'s names by `values`; a name with no value is refused.
    pub fn new(sql: &str, values: Vec<(&'static str, Value)>) -> Result<Named, DbError> {
        let mut out = String::with_capacity(sql.len());
        let mut rest = sql;
        while let Some(at) = rest.find(':') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let name = &rest[at..at + 1 + len];
            let place = values
                .iter()
                .position(|(n, _)| *n == name)
                .ok_or_else(|| DbError::decode(0, format!("no value for parameter {name}")))?;
            out.push_str(&format!("?{}", place + 1));
            rest = &after[len..];
        }
        out.push_str(rest);
        Ok(Named {
            sql: out,
            values: values.into_iter().map(|(_, v)| v).collect(),
        })
    }

    /// The numbered statement.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// Its values, in parameter order.
    pub fn params(&self) -> Vec<&dyn ToValue> {
        self.values.iter().map(|v| v as &dyn ToValue).collect()
    }
}

/// `?N` → `$N` outside string literals, quoted identifiers and comments.
fn dollar_params(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            '?' if chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
            _ => out.push(c),
        }
    }
    out
}

fn sqlite_value(value: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef as V;
    match value {
        V::Null => Value::Null,
        V::Integer(i) => Value::Integer(i),
        V::Real(f) => Value::Real(f),
        V::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        V::Blob(b) => Value::Blob(b.to_vec()),
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(t) => ValueRef::Text(t.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn pg_row(row: &postgres::Row) -> Result<Row, DbError> {
    let values = row
        .columns()
        .iter()
        .enumerate()
        .map(|(i, col)| pg_value(row, i, col.type_()))
        .collect::<Result<_, _>>()?;
    Ok(Row { values })
}

fn pg_value(row: &postgres::Row, i: usize, ty: &Type) -> Result<Value, DbError> {
    fn get<'a, T: FromSql<'a>>(row: &'a postgres::Row, i: usize) -> Result<Option<T>, DbError> {
        Ok(row.try_get::<_, Option<T>>(i)?)
    }
    let value = match *ty {
        Type::INT8 => get::<i64>(row, i)?.map(Value::Integer),
        Type::INT4 => get::<i32>(row, i)?.map(|v| Value::Integer(v.into())),
        Type::INT2 => get::<i16>(row, i)?.map(|v| Value::Integer(v.into())),
        Type::BOOL => get::<bool>(row, i)?.map(|v| Value::Integer(v.into())),
        Type::FLOAT8 => get::<f64>(row, i)?.map(Value::Real),
        Type::FLOAT4 => get::<f32>(row, i)?.map(|v| Value::Real(v.into())),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
            get::<String>(row, i)?.map(Value::Text)
        }
        Type::BYTEA => get::<Vec<u8>>(row, i)?.map(Value::Blob),
        ref other => {
            return Err(DbError::decode(
                i,
                format!(
                    "PostgreSQL type {other} is not one the catalog reads (cast it in the query)"
                ),
            ))
        }
    };
    Ok(value.unwrap_or(Value::Null))
}

/// A parameter takes the type PostgreSQL inferred for its place in the statement.
impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let mismatch = || -> Box<dyn std::error::Error + Sync + Send> {
            format!("cannot bind {self:?} to a {ty} parameter").into()
        };
        match (self, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Integer(i), &Type::INT8) => i.to_sql(ty, out),
            (Value::Integer(i), &Type::INT4) => i32::try_from(*i)?.to_sql(ty, out),
            (Value::Integer(i), &Type::INT2) => i16::try_from(*i)?.to_sql(ty, out),
            (Value::Integer(i), &Type::BOOL) => (*i != 0).to_sql(ty, out),
            (Value::Integer(i), &Type::FLOAT8) => (*i as f64).to_sql(ty, out),
            (Value::Integer(i), t) if is_text(t) => i.to_string().to_sql(ty, out),
            (Value::Real(f), &Type::FLOAT8) => f.to_sql(ty, out),
            (Value::Real(f), &Type::FLOAT4) => (*f as f32).to_sql(ty, out),
            (Value::Text(s), t) if is_text(t) => s.to_sql(ty, out),
            (Value::Blob(b), &Type::BYTEA) => b.to_sql(ty, out),
            _ => Err(mismatch()),
        }
    }

    fn accepts(ty: &Type) -> bool {
        !matches!(ty.kind(), Kind::Array(_) | Kind::Composite(_))
    }

    postgres::types::to_sql_checked!();
}

fn is_text(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
    )
}

#[cfg(test)]
mod tests {
    use super::{dollar_params, Named, ToValue};

    #[test]
    fn named_parameters_are_numbered_by_their_value_list() {
        let named = Named::new(
            "UPDATE t SET a = :a, b = COALESCE(:b, b) WHERE id = :id AND a <> :a",
            vec![
                (":id", 7.to_value()),
                (":a", "x".to_value()),
                (":b", 2.to_value()),
            ],
        )
        .unwrap();
        assert_eq!(
            named.sql(),
            "UPDATE t SET a = ?2, b = COALESCE(?3, b) WHERE id = ?1 AND a <> ?2"
        );
        assert!(Named::new("SELECT :missing", vec![]).is_err());
    }

    #[test]
    fn numbered_parameters_become_dollar_parameters_outside_literals() {
        assert_eq!(
            dollar_params(
                "SELECT '?1', \"a?2\", x FROM t WHERE a = ?1 AND b = ?12 -- ?3\n AND c = ?"
            ),
            "SELECT '?1', \"a?2\", x FROM t WHERE a = $1 AND b = $12 -- ?3\n AND c = ?"
        );
    }
}
