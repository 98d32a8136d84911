//! The studio catalog on a PostgreSQL server: connecting, its schema and migrations
//! (`schema_v*.sql`, a newer schema refused untouched), and the studio's roles
//! (`roles.sql`: who may review, approve, render, administer).

mod throwaway;

pub use throwaway::ThrowawayServer;

use crate::catalog::sql::{params, Sql, SqlExt};
use crate::domain::StudioRole;
use postgres::error::SqlState;
use postgres::{Client, Config, NoTls};
use std::str::FromStr;
use std::time::Duration;

/// The schema steps, in order: step `n` (1-based) brings a studio library from version
/// `n - 1` to `n`. [`PG_SCHEMA_VERSION`] is its length.
const PG_SCHEMA_STEPS: [&str; 1] = [include_str!("schema_v1.sql")];

/// The schema version this build writes (`takeboard_meta.schema_version`).
pub const PG_SCHEMA_VERSION: i64 = PG_SCHEMA_STEPS.len() as i64;

/// The group roles and their grants, applied after every migration.
const ROLES_SQL: &str = include_str!("roles.sql");

/// The transaction-scoped advisory lock two `init`s of one database take in turn, so the
/// second finds the work done.
const MIGRATION_LOCK: i64 = 0x7462_6d69_6772_6174; // "tbmigrat"

/// How long a writer waits for another session's lock on a project before giving up
/// (rather than hanging behind a client that stopped answering).
pub const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// How long connecting may take before the server counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything that can go wrong with a studio library.
#[derive(Debug, thiserror::Error)]
pub enum StudioError {
    /// The URL is not a PostgreSQL connection URL this build can use.
    #[error("{0}")]
    BadUrl(String),
    /// The server could not be reached or refused the login.
    #[error("cannot connect to the studio library {library}: {detail}")]
    Connect {
        /// The library, without its password.
        library: String,
        /// What the client or server said.
        detail: String,
    },
    /// The database was written by a newer Takeboard; it was left untouched.
    #[error("the studio library {library} was written by a newer version of Takeboard (schema {found}, this build knows {known}); it was not changed")]
    NewerSchema {
        /// The library, without its password.
        library: String,
        /// Its `takeboard_meta.schema_version`.
        found: i64,
        /// [`PG_SCHEMA_VERSION`].
        known: i64,
    },
    /// The server refused for lack of a privilege; the message names what is missing.
    #[error("{0}")]
    Forbidden(String),
    /// Any other failure the server reported.
    #[error("the studio library failed: {0}")]
    Server(String),
    /// Another session held the project's row lock for longer than [`LOCK_TIMEOUT`]: a
    /// writer that stopped answering. This transaction was rolled back.
    #[error("another editor's change to this project has not finished within {LOCK_TIMEOUT:?}; nothing was changed, try again")]
    Busy,
    /// The database has no studio schema, or an older one than this build reads.
    #[error("{library} is not a Takeboard studio library at schema {known} (it has {found}); an admin runs `takeboard-cli db init {library}` to create or update it")]
    NotInitialized {
        /// The URL, without password.
        library: String,
        /// The schema version found (0: none).
        found: i64,
        /// [`PG_SCHEMA_VERSION`].
        known: i64,
    },
    /// A throwaway server could not be created or started.
    #[error("cannot run a local PostgreSQL server: {0}")]
    LocalServer(String),
}

impl From<postgres::Error> for StudioError {
    fn from(e: postgres::Error) -> StudioError {
        match e.as_db_error() {
            Some(db) if db.code() == &SqlState::INSUFFICIENT_PRIVILEGE => {
                StudioError::Forbidden(db.message().to_owned())
            }
            Some(db) => StudioError::Server(db.message().to_owned()),
            None => StudioError::Server(e.to_string()),
        }
    }
}

/// A parsed studio library URL (`postgres://user@host:port/db`, or the key=value form).
/// `PGPASSWORD` supplies the password when the URL has none; the password is never
/// printed or stored.
pub struct StudioUrl {
    config: Config,
}

impl FromStr for StudioUrl {
    type Err = StudioError;

    fn from_str(url: &str) -> Result<StudioUrl, StudioError> {
        let mut config = Config::from_str(url)
            .map_err(|e| StudioError::BadUrl(format!("not a PostgreSQL URL ({e}): {url:?}")))?;
        if config.get_user().is_none() {
            return Err(StudioError::BadUrl(format!(
                "the studio library URL names no user (postgres://USER@host/db): {}",
                describe(&config)
            )));
        }
        if config.get_password().is_none() {
            if let Ok(password) = std::env::var("PGPASSWORD") {
                config.password(password);
            }
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("takeboard");
        }
        Ok(StudioUrl { config })
    }
}

impl std::fmt::Display for StudioUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&describe(&self.config))
    }
}

impl StudioUrl {
    /// Opens one connection.
    pub fn connect(&self) -> Result<Client, StudioError> {
        if self.config.get_ssl_mode() == postgres::config::SslMode::Require {
            return Err(StudioError::BadUrl(format!(
                "{self}: sslmode=require is not supported by this build yet; use a server on the studio network without TLS, or an SSH tunnel"
            )));
        }
        self.config
            .connect(NoTls)
            .map_err(|e| StudioError::Connect {
                library: self.to_string(),
                detail: e.to_string(),
            })
    }
}

/// `user@host:port/db`: a library named without its password.
fn describe(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{}:{port}/{}",
        config.get_user().unwrap_or(""),
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

/// The schema version of the database `client` is connected to (0: no studio schema).
fn schema_version(client: &mut impl postgres::GenericClient) -> Result<i64, postgres::Error> {
    let exists = client
        .query_one("SELECT to_regclass('takeboard_meta') IS NOT NULL", &[])?
        .get::<_, bool>(0);
    if !exists {
        return Ok(0);
    }
    Ok(client
        .query_opt("SELECT schema_version FROM takeboard_meta", &[])?
        .map_or(0, |row| row.get(0)))
}

/// A studio schema newer than this build's is refused, whoever opens or migrates it.
fn refuse_newer(url: &StudioUrl, found: i64) -> Result<(), StudioError> {
    if found > PG_SCHEMA_VERSION {
        return Err(StudioError::NewerSchema {
            library: url.to_string(),
            found,
            known: PG_SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// This machine as the studio knows it: `TAKEBOARD_MACHINE_ID` when set (two test
/// processes playing two laptops), else the OS machine id, else the host name; and the
/// name people see (`TAKEBOARD_MACHINE_NAME`, else the host name).
pub fn this_machine() -> (String, String) {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "this machine".to_owned());
    let id = std::env::var("TAKEBOARD_MACHINE_ID")
        .ok()
        .filter(|id| !id.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/machine-id")
                .ok()
                .map(|id| id.trim().to_owned())
                .filter(|id| !id.is_empty())
        })
        .unwrap_or_else(|| host.clone());
    let name = std::env::var("TAKEBOARD_MACHINE_NAME")
        .ok()
        .filter(|n| !n.is_empty())
        .unwrap_or(host);
    (id, name)
}

/// Connects to a studio library for use: its schema must be the one this build reads,
/// and the session is this machine's (watched folders and files it adds are its own).
pub(crate) fn open(url: &StudioUrl) -> Result<crate::catalog::sql::Conn, StudioError> {
    let mut client = url.connect()?;
    let found = schema_version(&mut client)?;
    refuse_newer(url, found)?;
    if found < PG_SCHEMA_VERSION {
        return Err(StudioError::NotInitialized {
            library: url.to_string(),
            found,
            known: PG_SCHEMA_VERSION,
        });
    }
    client.batch_execute(&format!(
        "SET lock_timeout = '{}ms'",
        LOCK_TIMEOUT.as_millis()
    ))?;
    let (machine, name) = this_machine();
    client.execute(
        "SELECT set_config('takeboard.machine_id', $1, false),
                set_config('application_name', $2, false)",
        &[&machine, &format!("takeboard on {name}")],
    )?;
    client.execute(
        "INSERT INTO machines (id, name, last_seen) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, last_seen = excluded.last_seen",
        &[&machine, &name, &crate::catalog::now_text()],
    )?;
    Ok(crate::catalog::sql::Conn::Postgres(Box::new(
        std::cell::RefCell::new(crate::catalog::sql::PgSession::new(client)),
    )))
}

/// The session-level advisory lock whose holder runs the studio's outbox ("tbox", 1):
/// held by one session at a time, released by the server when that session ends (the
/// machine quit, crashed or lost the network), so another machine takes over.
const OUTBOX_LEASE: (i32, i32) = (0x7462_6f78, 1);

/// Takes the outbox lease on this session if it is free (or already this session's).
pub fn take_outbox_lease(conn: &dyn Sql) -> Result<bool, crate::catalog::CatalogError> {
    Ok(conn.query_row(
        "SELECT pg_try_advisory_lock(?1, ?2)",
        params![OUTBOX_LEASE.0, OUTBOX_LEASE.1],
        |r| r.get(0),
    )?)
}

/// Who holds the outbox lease: the person's role and their app's machine.
pub fn outbox_lease_holder(conn: &dyn Sql) -> Result<Option<String>, crate::catalog::CatalogError> {
    Ok(conn.query_opt(
        "SELECT a.usename, a.application_name FROM pg_locks AS l
         JOIN pg_stat_activity AS a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
           AND CAST(l.classid AS bigint) = ?1 AND CAST(l.objid AS bigint) = ?2",
        params![OUTBOX_LEASE.0, OUTBOX_LEASE.1],
        |r| {
            let who = r
                .get::<Option<String>>(0)?
                .unwrap_or_else(|| "someone".into());
            Ok(match r.get::<Option<String>>(1)? {
                Some(app) if !app.is_empty() => format!("{who}, {app}"),
                _ => who,
            })
        },
    )?)
}

/// What `init` found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct InitReport {
    /// The schema version before.
    pub found: i64,
    /// The schema version now ([`PG_SCHEMA_VERSION`]).
    pub version: i64,
}

/// Creates or updates the studio schema and the group roles, in one transaction under an
/// advisory lock (two `init`s at once: the second finds the work done). A newer schema is
/// refused untouched. Run by the server's superuser or the database owner with CREATEROLE.
pub fn init(url: &StudioUrl) -> Result<InitReport, StudioError> {
    let mut client = url.connect()?;
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS takeboard_meta (schema_version bigint NOT NULL)")?;
    let found = schema_version(&mut tx)?;
    refuse_newer(url, found)?;
    for step in PG_SCHEMA_STEPS
        .iter()
        .skip(usize::try_from(found).unwrap_or(0))
    {
        tx.batch_execute(step)?;
    }
    tx.execute("DELETE FROM takeboard_meta", &[])?;
    tx.execute(
        "INSERT INTO takeboard_meta (schema_version) VALUES ($1)",
        &[&PG_SCHEMA_VERSION],
    )?;
    tx.batch_execute(ROLES_SQL)?;
    tx.commit()?;
    Ok(InitReport {
        found,
        version: PG_SCHEMA_VERSION,
    })
}

/// What `grant` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GrantReport {
    /// The person's login role.
    pub user: String,
    /// The studio role they now have.
    pub role: StudioRole,
    /// Whether the login role was created (it has no password yet:
    /// `ALTER ROLE … PASSWORD` on the server, or trust/peer authentication).
    pub created: bool,
}

/// Gives `user` a studio role, creating their login role when the server has none.
pub fn grant(url: &StudioUrl, user: &str, role: StudioRole) -> Result<GrantReport, StudioError> {
    if user.is_empty() || user.len() > 63 {
        return Err(StudioError::BadUrl(format!(
            "a login role name is 1 to 63 bytes: {user:?}"
        )));
    }
    let mut client = url.connect()?;
    let mut tx = client.transaction()?;
    let exists = tx
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&user])?
        .is_some();
    let person = quote_ident(user);
    if !exists {
        tx.batch_execute(&format!("CREATE ROLE {person} LOGIN"))?;
    }
    tx.batch_execute(&format!(
        "GRANT {} TO {person}",
        quote_ident(&role.group_role())
    ))?;
    tx.commit()?;
    Ok(GrantReport {
        user: user.to_owned(),
        role,
        created: !exists,
    })
}

/// The server's refusal of a statement, said with what to do: its own triggers already
/// name the role; a table the person's role may not change gets the role that may.
pub(crate) fn refusal(message: &str) -> String {
    if message.contains("role") {
        return message.to_owned();
    }
    let needs = [
        (
            "render_requests",
            "approver (approving, cancelling) or render (sending)",
        ),
        ("projects", "admin (project settings and budget)"),
    ]
    .iter()
    .find(|(table, _)| message.ends_with(&format!("table {table}")))
    .map_or("a studio role this person lacks", |(_, role)| role);
    format!(
        "{message}: that needs the {needs} role; ask an admin (takeboard-cli db grant USER ROLE)"
    )
}

/// `name` as a PostgreSQL identifier: double-quoted, inner quotes doubled.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_library_is_named_without_its_password() {
        let url: StudioUrl = "postgres://ann:s3cret@db.studio:6543/show".parse().unwrap();
        assert_eq!(url.to_string(), "postgres://ann@db.studio:6543/show");
    }

    #[test]
    fn a_url_without_a_user_is_refused_clearly() {
        let err = "postgres://db.studio/show"
            .parse::<StudioUrl>()
            .err()
            .unwrap();
        assert!(err.to_string().contains("names no user"), "{err}");
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident(r#"a"b"#), r#""a""b""#);
    }
}
