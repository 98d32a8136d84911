//! A real PostgreSQL server for the studio tests: one throwaway cluster per test binary
//! (started on first use, stopped by its guard when the binary exits), a `template`
//! database migrated once, and a fresh database per test cloned from it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use takeboard_core::catalog::pg::{self, StudioUrl, ThrowawayServer};

static SERVER: OnceLock<ThrowawayServer> = OnceLock::new();
const TEMPLATE: &str = "takeboard_template";

/// This binary's server, with the migrated template database.
pub fn server() -> &'static ThrowawayServer {
    SERVER.get_or_init(|| {
        let server = ThrowawayServer::start().unwrap_or_else(|e| {
            panic!("the studio tests need PostgreSQL (`make test` installs it): {e}")
        });
        server.create_database(TEMPLATE, None).expect("template");
        let url: StudioUrl = server.url(TEMPLATE).parse().expect("url");
        pg::init(&url).expect("init the template");
        server
    })
}

/// A studio library of its own for one test: its name and its superuser URL.
pub struct StudioDb {
    /// The database name.
    pub name: String,
}

impl StudioDb {
    /// A fresh database with the current schema and roles.
    pub fn new() -> StudioDb {
        Self::create(Some(TEMPLATE))
    }

    /// A fresh database with nothing in it (for `init` itself).
    pub fn empty() -> StudioDb {
        Self::create(None)
    }

    fn create(template: Option<&str>) -> StudioDb {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        server().create_database(&name, template).expect("database");
        StudioDb { name }
    }

    /// Its URL as the superuser.
    pub fn url(&self) -> String {
        server().url(&self.name)
    }

    /// Its URL as `role`.
    pub fn url_as(&self, role: &str) -> String {
        server().url_as(role, &self.name)
    }

    /// Its parsed URL as the superuser.
    pub fn studio_url(&self) -> StudioUrl {
        self.url().parse().expect("url")
    }

    /// A connection as `role`.
    pub fn connect_as(&self, role: &str) -> postgres::Client {
        postgres::Client::connect(&self.url_as(role), postgres::NoTls).expect("connect")
    }
}
