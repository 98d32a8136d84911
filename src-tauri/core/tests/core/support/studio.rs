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

    /// A project with one shot holding `n` Flash takes (5 s, 121 frames, no sidecar), written
    /// by the superuser; returns the project and the take ids.
    pub fn shot_of_flash_takes(&self, n: usize) -> (i64, Vec<i64>) {
        let mut admin = self.connect_as("postgres");
        let project: i64 = admin
            .query_one(
                "INSERT INTO projects (name, created_at) VALUES ('Show', 't') RETURNING id",
                &[],
            )
            .unwrap()
            .get(0);
        let shot: i64 = admin
            .query_one(
                "INSERT INTO shots (project_id, code, name, position, created_at)
                 VALUES ($1, 'SH010', 'SH010', 1, 't') RETURNING id",
                &[&project],
            )
            .unwrap()
            .get(0);
        let takes =
            (0..n)
                .map(|i| {
                    admin
                    .query_one(
                        "INSERT INTO takes (project_id, shot_id, content_hash, path, size, mtime_ns,
                            duration_s, frames, fps_num, fps_den, width, height, codec, has_audio,
                            origin, prompt, aspect_ratio, first_seen_at, updated_at)
                         VALUES ($1, $2, $3, $4, 1000, 0, 5.041667, 121, 24, 1, 1280, 720, 'h264', 0,
                            'flash', 'a fox at dawn', '16:9', 't', 't') RETURNING id",
                        &[&project, &shot, &format!("blake3:{i:02}"), &format!("/clips/{i}.mp4")],
                    )
                    .unwrap()
                    .get(0)
                })
                .collect();
        (project, takes)
    }
}
