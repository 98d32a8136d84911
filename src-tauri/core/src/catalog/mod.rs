//! The catalog: projects, watched folders, shots, takes, decisions, render requests and the
//! event log, in one SQLite file (one editor) or on a studio's PostgreSQL server.
//!
//! Owns opening (pragmas, integrity check, migrations, refusing newer databases) and the
//! write discipline: every transaction that may write goes through `Catalog::write`
//! (`BEGIN IMMEDIATE` on SQLite). Queries and mutations of each table group live in the
//! submodules, written once for both engines on the statement layer in `sql`.

pub mod decisions;
pub mod pg;
pub mod projects;
pub mod requests;
pub mod shots;
pub mod spend;
pub mod sql;
pub mod takes;

pub use projects::{Project, WatchedFolder};
pub use shots::ShotRow;
pub use takes::{FileRow, TakeRecord, TakeRow};

use crate::domain::{EventKind, ProjectId, RequestId, ShotId, TakeId};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use sql::{Conn, DbError, Sql, SqlExt, Tx};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// The schema steps, in order: step `n` (1-based) brings a library from version `n - 1`
/// to `n`. The only list of versions: [`SCHEMA_VERSION`] is its length.
const SCHEMA_STEPS: [&str; 5] = [
    include_str!("schema_v1.sql"),
    include_str!("schema_v2.sql"),
    include_str!("schema_v3.sql"),
    include_str!("schema_v4.sql"),
    include_str!("schema_v5.sql"),
];

/// The schema version this build writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = SCHEMA_STEPS.len() as i64;

/// How long a writer waits for another process's lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `step` again while SQLite answers busy without waiting, up to [`BUSY_TIMEOUT`].
/// Switching a new database to WAL while another process does the same, or opening a WAL
/// another process is recovering, is refused at once rather than through the busy handler.
fn while_busy<T>(mut step: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match step() {
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            done => return done,
        }
    }
}

/// Brings the schema to [`SCHEMA_VERSION`] in one `BEGIN IMMEDIATE` transaction: the
/// version is read under the write lock, so two processes opening a new library at once
/// both succeed (the second finds the work done) and a crash leaves the old version whole.
fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let done = usize::try_from(found).unwrap_or(0);
    for step in SCHEMA_STEPS.iter().skip(done) {
        tx.execute_batch(step)?;
    }
    if found < SCHEMA_VERSION {
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    }
    tx.commit()
}

/// Everything that can go wrong in the catalog.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The database was written by a newer Takeboard; it is left untouched.
    #[error(
        "the library {path} was written by a newer version of Takeboard (schema {found}, this build knows {known}); it was not changed"
    )]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// Its `user_version`.
        found: i64,
        /// [`SCHEMA_VERSION`].
        known: i64,
    },
    /// Another process held the database lock for longer than [`BUSY_TIMEOUT`].
    #[error("the library {0} is locked by another process (waited {BUSY_TIMEOUT:?}); close the other Takeboard window or command and try again")]
    Locked(PathBuf),
    /// The file is not a SQLite database or is damaged.
    #[error("the library {path} is damaged or not a Takeboard library: {detail}; it was not changed (`takeboard-cli --library {path} copy-aside` copies it, byte for byte, before any repair)")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// The library could not be created or opened (permissions, missing folder).
    #[error("cannot open the library {path}: {detail}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The disk under the library refused a read or write: full, disconnected or failing.
    /// SQLite rolled back the change being made, so what was saved before is intact.
    #[error("the library {path} could not be read or written ({detail}); is its disk full? Free some space and try again (everything saved before is intact)")]
    Disk {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// A named thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A request that the catalog refuses (bad argument, invariant would break).
    #[error("{0}")]
    Invalid(String),
    /// The studio server refused or failed.
    #[error(transparent)]
    Studio(#[from] pg::StudioError),
    /// Any other database failure.
    #[error("database error: {0}")]
    Db(DbError),
}

impl From<rusqlite::Error> for CatalogError {
    fn from(e: rusqlite::Error) -> CatalogError {
        CatalogError::Db(DbError::Sqlite(e))
    }
}

/// A statement the studio server refused for a missing role is the person's to fix (ask
/// an admin), said as such; any other failure stays a database error.
impl From<DbError> for CatalogError {
    fn from(e: DbError) -> CatalogError {
        if e.is_lock_timeout() {
            return CatalogError::Studio(pg::StudioError::Busy);
        }
        match e.forbidden() {
            Some(message) => CatalogError::Studio(pg::StudioError::Forbidden(pg::refusal(message))),
            None => CatalogError::Db(e),
        }
    }
}

impl CatalogError {
    /// `e`, said about the library at `path`: SQLite's codes as [`CatalogError::from_sqlite`]
    /// reads them, a lost server connection as that, everything else as `From<DbError>`.
    fn from_db(path: &Path, e: DbError) -> CatalogError {
        match e {
            DbError::Sqlite(e) => CatalogError::from_sqlite(path, e),
            DbError::Postgres(ref pe) if pe.is_closed() || pe.as_db_error().is_none() => {
                CatalogError::Studio(pg::StudioError::Connect {
                    library: path.display().to_string(),
                    detail: e.to_string(),
                })
            }
            other => CatalogError::from(other),
        }
    }

    fn from_sqlite(path: &Path, e: rusqlite::Error) -> CatalogError {
        use rusqlite::ErrorCode as C;
        match e.sqlite_error_code() {
            Some(C::DatabaseBusy | C::DatabaseLocked) => CatalogError::Locked(path.to_owned()),
            Some(C::NotADatabase | C::DatabaseCorrupt) => CatalogError::Corrupt {
                path: path.to_owned(),
                detail: e.to_string(),
            },
            Some(C::DiskFull | C::SystemIoFailure) => CatalogError::Disk {
                path: path.to_owned(),
                detail: e.to_string(),
            },
            Some(C::CannotOpen | C::ReadOnly | C::PermissionDenied) => CatalogError::Open {
                path: path.to_owned(),
                detail: e.to_string(),
            },
            _ => CatalogError::Db(DbError::Sqlite(e)),
        }
    }
}

/// An open library. Owns one connection.
pub struct Catalog {
    conn: Conn,
    /// The database file, or the studio URL without its password.
    path: PathBuf,
}

impl Catalog {
    /// Opens (creating if needed) the library at `path` and brings its schema up to date.
    ///
    /// A database whose `user_version` is newer than [`SCHEMA_VERSION`] is refused with
    /// [`CatalogError::NewerSchema`] and not modified in any way.
    pub fn open(path: &Path) -> Result<Catalog, CatalogError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| CatalogError::Open {
                path: path.to_owned(),
                detail: e.to_string(),
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let sql = |e| CatalogError::from_sqlite(path, e);
        let mut conn = Connection::open_with_flags(path, flags).map_err(sql)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;

        // Look before touching: a newer schema must be left exactly as it is, so no pragma
        // that writes (journal_mode) runs before this check.
        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql)?;
        if found > SCHEMA_VERSION {
            return Err(CatalogError::NewerSchema {
                path: path.to_owned(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        // A damaged library is refused before anything writes to it (the switch to WAL
        // rewrites its header), so it stays byte for byte what it was.
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(sql)?;
        if check != "ok" {
            return Err(CatalogError::Corrupt {
                path: path.to_owned(),
                detail: check,
            });
        }
        let mode: String =
            while_busy(|| conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)))
                .map_err(sql)?;
        if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
            return Err(CatalogError::Open {
                path: path.to_owned(),
                detail: format!("could not switch to WAL (journal mode stays {mode})"),
            });
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(sql)?;
        while_busy(|| migrate(&mut conn)).map_err(sql)?;
        Ok(Catalog {
            conn: Conn::Sqlite(conn),
            path: path.to_owned(),
        })
    }

    /// Opens the studio library at `url`, which `takeboard-cli db init` created. A schema
    /// newer than this build's is refused, as on SQLite; this build never migrates a
    /// studio library by itself (that is `db init`, run by an admin).
    pub fn open_studio(url: &pg::StudioUrl) -> Result<Catalog, CatalogError> {
        let conn = pg::open(url)?;
        Ok(Catalog {
            conn,
            path: PathBuf::from(url.to_string()),
        })
    }

    /// Copies the library at `path` (and its `-wal`/`-shm` files, when present) aside to
    /// `<name>.copy-<UTC time>` beside it, byte for byte, without opening it as a
    /// database: what a user does with a library that [`Catalog::open`] refused as damaged
    /// before trying to repair it elsewhere. Returns the copy of the main file.
    pub fn copy_aside(path: &Path) -> Result<PathBuf, CatalogError> {
        let io = |detail: std::io::Error| CatalogError::Open {
            path: path.to_owned(),
            detail: detail.to_string(),
        };
        if !path.is_file() {
            return Err(CatalogError::NotFound(format!(
                "no library file at {}",
                path.display()
            )));
        }
        let stamp = now_text().replace([':', '.'], "-");
        let copy_of = |from: &Path| {
            let mut name = from.as_os_str().to_owned();
            name.push(format!(".copy-{stamp}"));
            PathBuf::from(name)
        };
        let main = copy_of(path);
        std::fs::copy(path, &main).map_err(io)?;
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            let side = PathBuf::from(side);
            if side.is_file() {
                std::fs::copy(&side, copy_of(&side)).map_err(io)?;
            }
        }
        Ok(main)
    }

    /// The database file, or the studio URL without its password.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Read access. Reads never upgrade to writes: anything that may write goes through
    /// [`Catalog::write`].
    pub fn conn(&self) -> &Conn {
        &self.conn
    }

    /// Every `(table, column)` of the schema: what the studio schema must also have, so
    /// that one copy of each query serves both.
    pub fn columns(&self) -> Result<std::collections::BTreeSet<(String, String)>, CatalogError> {
        let rows = self.conn.query_map(
            match self.conn.engine() {
                sql::Engine::Sqlite => {
                    "SELECT m.name, c.name FROM sqlite_schema AS m, pragma_table_info(m.name) AS c
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
                }
                sql::Engine::Postgres => {
                    "SELECT table_name::text, column_name::text FROM information_schema.columns
                     WHERE table_schema = current_schema()"
                }
            },
            sql::params![],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(rows.into_iter().collect())
    }

    /// Runs `f` in one write transaction, committing when it returns `Ok`: `BEGIN IMMEDIATE`
    /// on SQLite, so the reads `f` makes before writing see what no one else can change
    /// until it commits.
    pub fn write<T, E>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<CatalogError>,
    {
        let failed = |e| E::from(CatalogError::from_db(&self.path, e));
        let tx = self.conn.begin().map_err(failed)?;
        let value = f(&tx)?;
        tx.commit().map_err(failed)?;
        Ok(value)
    }
}

/// One catalog shared by the threads of a process (the app's commands, the watcher, the
/// media server).
pub type SharedCatalog = Arc<Mutex<Catalog>>;

/// Locks a shared catalog. A panic while holding the lock cannot leave a transaction half
/// done (it rolls back on drop), so the catalog behind a poisoned lock is still consistent.
pub fn lock_shared(cat: &SharedCatalog) -> MutexGuard<'_, Catalog> {
    cat.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The catalog for work that talks to the network between database steps (the render
/// outbox): each step runs in [`CatalogAccess::with`]. A `Catalog` is simply used; a
/// [`SharedCatalog`] is locked for that step only, so the watcher, the media server and
/// the UI never wait for Luma.
pub trait CatalogAccess {
    /// Runs one database step.
    fn with<T>(&mut self, step: impl FnOnce(&mut Catalog) -> T) -> T;
}

impl CatalogAccess for Catalog {
    fn with<T>(&mut self, step: impl FnOnce(&mut Catalog) -> T) -> T {
        step(self)
    }
}

impl CatalogAccess for SharedCatalog {
    fn with<T>(&mut self, step: impl FnOnce(&mut Catalog) -> T) -> T {
        step(&mut lock_shared(self))
    }
}

/// The default library location: the OS app-data folder (never a watched folder).
pub fn default_library_path() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("takeboard").join("library.db")
}

/// Now, as RFC 3339 UTC text (the format of every timestamp column).
pub fn now_text() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Who is acting: the OS user name, recorded on every decision.
pub fn current_actor() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Appends one row to the event log. `detail` is any JSON value.
pub fn log_event(
    tx: &Tx<'_>,
    project_id: ProjectId,
    kind: EventKind,
    take_id: Option<TakeId>,
    shot_id: Option<ShotId>,
    request_id: Option<RequestId>,
    detail: &serde_json::Value,
) -> Result<(), CatalogError> {
    tx.execute(
        "INSERT INTO events (project_id, at, actor, kind, take_id, shot_id, request_id, detail_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        sql::params![
            project_id,
            now_text(),
            current_actor(),
            kind.as_str(),
            take_id,
            shot_id,
            request_id,
            detail.to_string()
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The first column of every row `sql` returns, as text.
    fn first_column(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn every_schema_step_applies_in_order_to_an_empty_database() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
        super::migrate(&mut conn).expect("the steps apply");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, super::SCHEMA_VERSION);
        super::migrate(&mut conn).expect("a second run finds the work done");
        let fk = first_column(&conn, "PRAGMA foreign_key_check");
        assert!(fk.is_empty(), "{fk:?}");
    }

    /// A version-3 library with kinds in the old spellings, migrated: every row reads in
    /// the one spelling, and the log is append-only again afterwards.
    #[test]
    fn the_fourth_step_respells_old_event_kinds_and_keeps_the_log_append_only() {
        use crate::domain::EventKind;
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        for step in &super::SCHEMA_STEPS[..3] {
            tx.execute_batch(step).unwrap();
        }
        tx.execute_batch(
            "PRAGMA user_version = 3;
             INSERT INTO projects (id, name, created_at) VALUES (1, 'p', 't');
             INSERT INTO events (project_id, at, actor, kind) VALUES
               (1, 't', 'a', 'take-added'), (1, 't', 'a', 'take_approved'),
               (1, 't', 'a', 'request_cancelled'), (1, 't', 'a', 'render.linked');",
        )
        .unwrap();
        tx.commit().unwrap();
        super::migrate(&mut conn).unwrap();
        let kinds = first_column(&conn, "SELECT kind FROM events ORDER BY id");
        assert_eq!(
            kinds,
            [
                "take.added",
                "take.approved",
                "render.cancelled",
                "render.linked"
            ]
        );
        for kind in &kinds {
            kind.parse::<EventKind>()
                .expect("every stored kind is an EventKind");
        }
        let update = conn.execute("UPDATE events SET kind = 'x'", []);
        assert!(update.is_err(), "the update guard is back");
    }

    /// A version-4 library whose modify requests recorded their source's resolution as a
    /// sidecar spelled it: every row reads as a `Resolution` afterwards, the odd one says
    /// what it was, and the bodies are untouched.
    #[test]
    fn the_fifth_step_makes_every_request_resolution_one_luma_renders_at() {
        use crate::domain::Resolution;
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        for step in &super::SCHEMA_STEPS[..4] {
            tx.execute_batch(step).unwrap();
        }
        tx.execute_batch("PRAGMA user_version = 4;").unwrap();
        tx.commit().unwrap();
        // The rows stand alone: no project, shot or take behind them.
        conn.execute_batch("PRAGMA foreign_keys = OFF;").unwrap();
        let insert = |id: i64, resolution: &str| {
            conn.execute(
                "INSERT INTO render_requests (id, project_id, shot_id, source_take_id, mode,
                    model, resolution, duration_s, body_json, credits_estimate, state,
                    idempotency_key, created_at, updated_at)
                 VALUES (?1, 1, 1, ?1, 'modify', 'ray-2', ?2, 5, '{\"a\":1}', 160,
                    'completed', ?1, 't', 't')",
                rusqlite::params![id, resolution],
            )
        };
        insert(1, "720P").unwrap();
        insert(2, " 1080p").unwrap();
        insert(3, "banana").unwrap();
        super::migrate(&mut conn).unwrap();
        let resolutions = first_column(&conn, "SELECT resolution FROM render_requests ORDER BY id");
        assert_eq!(resolutions, ["720p", "1080p", "720p"]);
        for r in &resolutions {
            r.parse::<Resolution>()
                .expect("every stored resolution parses");
        }
        let missing = first_column(
            &conn,
            "SELECT missing_json FROM render_requests ORDER BY id",
        );
        assert_eq!(missing[0], "[]");
        assert!(
            missing[2].contains("'banana' is not one Luma renders at"),
            "{}",
            missing[2]
        );
        let bodies = first_column(&conn, "SELECT body_json FROM render_requests ORDER BY id");
        assert_eq!(bodies, [r#"{"a":1}"#; 3], "what was sent is untouched");
    }
}
