//! The studio library on a real PostgreSQL server: its schema and migrations, and what the
//! server itself enforces whoever writes (roles, the append-only log, server-set actors,
//! gapless event numbers, notifications).

use crate::support::studio::StudioDb;
use postgres::fallible_iterator::FallibleIterator;
use postgres::Client;
use std::collections::BTreeSet;
use std::time::Duration;
use takeboard_core::api::{ApiError, ErrorKind};
use takeboard_core::catalog::pg::{self, StudioError, PG_SCHEMA_VERSION};
use takeboard_core::catalog::sql::{params, Sql, SqlExt};
use takeboard_core::catalog::{Catalog, CatalogError};
use takeboard_core::domain::{StudioRole, TakeId};
use takeboard_core::review::{self, ApproveOptions};

/// A project with one shot and one Flash take, written by the superuser; their ids.
fn seed(db: &StudioDb) -> (i64, i64) {
    let (project, takes) = db.shot_of_flash_takes(1);
    (project, takes[0])
}

fn grant(db: &StudioDb, user: &str, role: StudioRole) {
    pg::grant(&db.studio_url(), user, role).expect("grant");
}

fn decide(client: &mut Client, take: i64, status: &str) -> Result<u64, StudioError> {
    client
        .execute(
            "INSERT INTO take_decisions (take_id, status, decided_at, decided_by)
             VALUES ($1, $2, 't', 'mallory')
             ON CONFLICT (take_id) DO UPDATE SET status = excluded.status",
            &[&take, &status],
        )
        .map_err(StudioError::from)
}

fn log_event(client: &mut Client, project: i64, kind: &str) -> Result<u64, postgres::Error> {
    client.execute(
        "INSERT INTO events (project_id, seq, at, actor, kind) VALUES ($1, 99, 'forged', 'mallory', $2)",
        &[&project, &kind],
    )
}

fn event_rows(db: &StudioDb, project: i64) -> Vec<(i64, String, String)> {
    let mut admin = Client::connect(&db.url(), postgres::NoTls).unwrap();
    admin
        .query(
            "SELECT seq, actor, kind FROM events WHERE project_id = $1 ORDER BY seq",
            &[&project],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

#[test]
fn init_creates_the_schema_once_and_a_second_init_finds_the_work_done() {
    let db = StudioDb::empty();
    let first = pg::init(&db.studio_url()).expect("init");
    assert_eq!((first.found, first.version), (0, PG_SCHEMA_VERSION));
    let second = pg::init(&db.studio_url()).expect("init again");
    assert_eq!(second.found, PG_SCHEMA_VERSION);
    let mut admin = Client::connect(&db.url(), postgres::NoTls).unwrap();
    let rows = admin
        .query("SELECT schema_version FROM takeboard_meta", &[])
        .unwrap();
    assert_eq!(rows.len(), 1, "one version row");
    assert_eq!(rows[0].get::<_, i64>(0), PG_SCHEMA_VERSION);
}

#[test]
fn a_studio_library_with_a_newer_schema_is_refused_and_left_untouched() {
    let db = StudioDb::new();
    let (project, _) = seed(&db);
    let mut admin = Client::connect(&db.url(), postgres::NoTls).unwrap();
    admin
        .batch_execute("UPDATE takeboard_meta SET schema_version = 99")
        .unwrap();
    let err = pg::init(&db.studio_url()).expect_err("refused");
    assert!(
        matches!(err, StudioError::NewerSchema { found: 99, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("it was not changed"), "{err}");
    let version: i64 = admin
        .query_one("SELECT schema_version FROM takeboard_meta", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, 99);
    let name: String = admin
        .query_one("SELECT name FROM projects WHERE id = $1", &[&project])
        .unwrap()
        .get(0);
    assert_eq!(name, "Show");
}

#[test]
fn every_column_of_the_embedded_library_exists_in_the_studio_schema() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(&dir.path().join("library.db")).unwrap();
    let embedded = cat.columns().unwrap();
    let db = StudioDb::new();
    let mut admin = Client::connect(&db.url(), postgres::NoTls).unwrap();
    let studio: BTreeSet<(String, String)> = admin
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns
             WHERE table_schema = 'public'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert!(embedded.len() > 100, "{}", embedded.len());
    let missing: Vec<_> = embedded.difference(&studio).collect();
    assert!(missing.is_empty(), "not in the studio schema: {missing:?}");
}

#[test]
fn an_editor_cannot_approve_even_through_raw_sql_and_is_told_the_role_it_needs() {
    let db = StudioDb::new();
    let (_, take) = seed(&db);
    grant(&db, "ed", StudioRole::Editor);
    let mut ed = db.connect_as("ed");
    let err = decide(&mut ed, take, "approved").expect_err("refused");
    assert!(matches!(err, StudioError::Forbidden(_)), "{err:?}");
    assert!(err.to_string().contains("approver role"), "{err}");
    assert_eq!(
        decide(&mut ed, take, "selected").expect("an editor selects"),
        1
    );
    let err = decide(&mut ed, take, "approved").expect_err("still refused on update");
    assert!(err.to_string().contains("approver"), "{err}");
    let err = ed
        .execute(
            "INSERT INTO render_requests (project_id, shot_id, source_take_id, mode, model,
                resolution, duration_s, body_json, credits_estimate, idempotency_key,
                created_at, updated_at)
             SELECT project_id, shot_id, id, 'regenerate', 'ray-2', '720p', 5, '{}', 160, 'k', 't', 't'
             FROM takes WHERE id = $1",
            &[&take],
        )
        .map_err(StudioError::from)
        .expect_err("an editor cannot create a paid request");
    assert!(matches!(err, StudioError::Forbidden(_)), "{err:?}");
}

#[test]
fn an_approver_approves_and_the_server_signs_the_decision() {
    let db = StudioDb::new();
    let (_, take) = seed(&db);
    grant(&db, "dora", StudioRole::Approver);
    let mut dora = db.connect_as("dora");
    assert_eq!(decide(&mut dora, take, "approved").expect("approved"), 1);
    let by: String = dora
        .query_one(
            "SELECT decided_by FROM take_decisions WHERE take_id = $1",
            &[&take],
        )
        .unwrap()
        .get(0);
    assert_eq!(by, "dora", "not the forged 'mallory'");
}

#[test]
fn nobody_can_rewrite_or_erase_the_event_log() {
    let db = StudioDb::new();
    let (project, _) = seed(&db);
    grant(&db, "ed", StudioRole::Editor);
    grant(&db, "ada", StudioRole::Admin);
    let mut ed = db.connect_as("ed");
    ed.batch_execute(&format!("SELECT lock_project({project})"))
        .unwrap();
    log_event(&mut ed, project, "take.noted").expect("an editor appends");
    for role in ["ed", "ada", "postgres"] {
        let mut client = db.connect_as(role);
        for sql in [
            "UPDATE events SET kind = 'x'",
            "DELETE FROM events",
            "TRUNCATE events",
        ] {
            let err = client
                .batch_execute(sql)
                .map_err(StudioError::from)
                .expect_err(sql);
            assert!(
                matches!(err, StudioError::Forbidden(_)),
                "{role}: {sql}: {err:?}"
            );
        }
    }
    assert_eq!(event_rows(&db, project).len(), 1);
}

#[test]
fn an_events_number_time_and_actor_come_from_the_server_whatever_the_client_sent() {
    let db = StudioDb::new();
    let (project, _) = seed(&db);
    grant(&db, "ed", StudioRole::Editor);
    let mut ed = db.connect_as("ed");
    log_event(&mut ed, project, "take.noted").unwrap();
    log_event(&mut ed, project, "take.moved").unwrap();
    assert_eq!(
        event_rows(&db, project),
        [
            (1, "ed".to_owned(), "take.noted".to_owned()),
            (2, "ed".to_owned(), "take.moved".to_owned())
        ]
    );
    let at: String = ed
        .query_one("SELECT at FROM events WHERE seq = 1", &[])
        .unwrap()
        .get(0);
    assert!(
        at.ends_with('Z') && at.len() == 27,
        "server time, RFC 3339: {at}"
    );
}

#[test]
fn concurrent_writers_get_gapless_event_numbers_in_commit_order() {
    let db = StudioDb::new();
    let (project, _) = seed(&db);
    grant(&db, "ed", StudioRole::Editor);
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let url = db.url_as("ed");
            std::thread::spawn(move || {
                let mut client = Client::connect(&url, postgres::NoTls).unwrap();
                for i in 0..25 {
                    let mut tx = client.transaction().unwrap();
                    let before: i64 = tx
                        .query_one("SELECT lock_project($1)", &[&project])
                        .unwrap()
                        .get(0);
                    tx.execute(
                        "INSERT INTO events (project_id, seq, at, actor, kind, detail_json)
                         VALUES ($1, 0, '', '', 'take.noted', $2)",
                        &[&project, &format!("{{\"writer\":{w},\"i\":{i}}}")],
                    )
                    .unwrap();
                    let seq: i64 = tx
                        .query_one(
                            "SELECT max(seq) FROM events WHERE project_id = $1",
                            &[&project],
                        )
                        .unwrap()
                        .get(0);
                    assert_eq!(seq, before + 1, "the next number under the lock");
                    tx.commit().unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let seqs: Vec<i64> = event_rows(&db, project).iter().map(|e| e.0).collect();
    assert_eq!(seqs, (1..=100).collect::<Vec<_>>());
}

#[test]
fn a_committed_event_notifies_listeners_with_its_project() {
    let db = StudioDb::new();
    let (project, _) = seed(&db);
    let mut listener = db.connect_as("postgres");
    listener.batch_execute("LISTEN takeboard").unwrap();
    let mut writer = db.connect_as("postgres");
    let mut tx = writer.transaction().unwrap();
    tx.execute(
        "INSERT INTO events (project_id, seq, at, actor, kind) VALUES ($1, 0, '', '', 'take.noted')",
        &[&project],
    )
    .unwrap();
    tx.execute(
        "INSERT INTO events (project_id, seq, at, actor, kind) VALUES ($1, 0, '', '', 'take.moved')",
        &[&project],
    )
    .unwrap();
    assert_eq!(
        listener.notifications().iter().count().unwrap(),
        0,
        "nothing before the commit"
    );
    tx.commit().unwrap();
    let mut notes = listener.notifications();
    let mut got = notes.timeout_iter(Duration::from_secs(2));
    let first = got.next().unwrap().expect("a notification");
    assert!(
        got.next().unwrap().is_none(),
        "one notification per transaction"
    );
    assert_eq!(
        (first.channel(), first.payload()),
        ("takeboard", project.to_string().as_str())
    );
}

#[test]
fn granting_a_role_creates_the_login_once_and_is_refused_to_an_editor() {
    let db = StudioDb::new();
    let url = db.studio_url();
    let first = pg::grant(&url, "new person", StudioRole::Editor).unwrap();
    assert!(first.created);
    let again = pg::grant(&url, "new person", StudioRole::Approver).unwrap();
    assert!(!again.created);
    let mut admin = Client::connect(&db.url(), postgres::NoTls).unwrap();
    let roles: Vec<String> = admin
        .query(
            "SELECT g.rolname::text FROM pg_auth_members m
             JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
             WHERE u.rolname = 'new person' ORDER BY 1",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(roles, ["takeboard_approver", "takeboard_editor"]);
    let as_editor = db.url_as("new%20person").parse().unwrap();
    let err = pg::grant(&as_editor, "someone", StudioRole::Admin).expect_err("refused");
    assert!(
        matches!(err, StudioError::Forbidden(_)),
        "an editor cannot hand out roles: {err:?}"
    );
}

#[test]
fn opening_a_studio_library_refuses_an_uninitialized_or_newer_schema_and_says_what_to_do() {
    let empty = StudioDb::empty();
    let err = Catalog::open_studio(&empty.studio_url())
        .err()
        .expect("an empty database is refused");
    assert!(
        matches!(
            err,
            CatalogError::Studio(StudioError::NotInitialized { found: 0, .. })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("takeboard-cli db init"), "{err}");

    let db = StudioDb::new();
    let mut admin = Client::connect(&db.url(), postgres::NoTls).unwrap();
    admin
        .batch_execute("UPDATE takeboard_meta SET schema_version = 99")
        .unwrap();
    let err = Catalog::open_studio(&db.studio_url())
        .err()
        .expect("a newer schema is refused");
    assert!(
        matches!(
            err,
            CatalogError::Studio(StudioError::NewerSchema { found: 99, .. })
        ),
        "{err:?}"
    );
}

#[test]
fn an_editor_approving_through_the_catalog_is_refused_with_the_role_named_and_nothing_recorded() {
    let db = StudioDb::new();
    let (_, take) = seed(&db);
    grant(&db, "ed", StudioRole::Editor);
    let mut cat = Catalog::open_studio(&db.url_as("ed").parse().unwrap()).expect("open as ed");
    let err = review::approve(&mut cat, TakeId(take), ApproveOptions::default())
        .expect_err("an editor cannot approve");
    let api = ApiError::from(err);
    assert_eq!(api.kind(), ErrorKind::Forbidden, "{api}");
    assert!(api.to_string().contains("approver"), "{api}");
    let mut admin = Client::connect(&db.url(), postgres::NoTls).unwrap();
    let counts: (i64, i64) = {
        let row = admin
            .query_one(
                "SELECT (SELECT count(*) FROM render_requests),
                        (SELECT count(*) FROM take_decisions WHERE status = 'approved')",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(counts, (0, 0), "nothing of the refused approval was kept");
}

#[test]
fn a_failed_step_inside_a_studio_transaction_undoes_only_itself() {
    let db = StudioDb::new();
    let mut cat = Catalog::open_studio(&db.studio_url()).unwrap();
    let insert = "INSERT INTO projects (name, created_at) VALUES (?1, 't')";
    cat.write(|tx| -> Result<(), CatalogError> {
        tx.execute(insert, params!["one"])?;
        let again = tx.attempt(|| tx.execute(insert, params!["one"]));
        assert!(again.expect_err("a duplicate name").is_unique_violation());
        tx.execute(insert, params!["two"])?;
        Ok(())
    })
    .expect("the transaction still commits");
    let names = cat
        .conn()
        .query_map("SELECT name FROM projects ORDER BY id", params![], |r| {
            r.get::<String>(0)
        })
        .unwrap();
    assert_eq!(names, ["one", "two"]);
}

#[test]
fn a_writer_behind_a_session_that_holds_the_project_too_long_gives_up_clearly_and_changes_nothing()
{
    let db = StudioDb::new();
    let (project, take) = seed(&db);
    let mut holder = Client::connect(&db.url(), postgres::NoTls).unwrap();
    let mut stuck = holder.transaction().unwrap();
    stuck
        .execute("SELECT lock_project($1)", &[&project])
        .unwrap();
    let mut cat = Catalog::open_studio(&db.studio_url()).unwrap();
    let started = std::time::Instant::now();
    let err = review::approve(&mut cat, TakeId(take), ApproveOptions::default())
        .expect_err("the project stays locked");
    assert!(
        started.elapsed() >= pg::LOCK_TIMEOUT,
        "{:?}",
        started.elapsed()
    );
    let api = ApiError::from(err);
    assert_eq!(api.kind(), ErrorKind::Locked, "{api}");
    assert!(api.to_string().contains("try again"), "{api}");
    stuck.rollback().unwrap();
    let requests: i64 = holder
        .query_one("SELECT count(*) FROM render_requests", &[])
        .unwrap()
        .get(0);
    assert_eq!(requests, 0);
    review::approve(&mut cat, TakeId(take), ApproveOptions::default())
        .expect("once the lock is gone, the same catalog approves");
}
