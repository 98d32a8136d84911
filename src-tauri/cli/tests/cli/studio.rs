//! `takeboard-cli` on a studio library on a real PostgreSQL server, from separate
//! processes: creating it and giving people roles (`db`), and editors deciding at once.

use crate::luma_standin::{Fault, LumaStandIn, Route};
use crate::studio_support::StudioDb;
use crate::support::XorShift;
use serde_json::Value;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_takeboard-cli"))
        .args(args)
        .env_remove("TAKEBOARD_LIBRARY")
        .output()
        .expect("cli runs")
}

fn json(args: &[&str]) -> Value {
    let out = cli(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn failure(args: &[&str]) -> String {
    let out = cli(args);
    assert_eq!(out.status.code(), Some(1), "{args:?} fails with exit 1");
    assert!(out.stdout.is_empty(), "nothing on stdout");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn db_init_from_three_processes_at_once_migrates_once_and_each_succeeds() {
    let db = StudioDb::empty();
    let url = db.url();
    let children: Vec<_> = (0..3)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_takeboard-cli"))
                .args(["db", "init", &url])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut found: Vec<i64> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let report: Value = serde_json::from_slice(&out.stdout).unwrap();
            report["found"].as_i64().unwrap()
        })
        .collect();
    found.sort_unstable();
    let version = takeboard_core::catalog::pg::PG_SCHEMA_VERSION;
    assert_eq!(found, [0, version, version], "exactly one process migrated");
}

#[test]
fn db_grant_gives_a_person_a_role_and_an_editor_cannot_hand_out_roles() {
    let db = StudioDb::new();
    let granted = json(&["--library", &db.url(), "db", "grant", "ed", "editor"]);
    assert_eq!(granted["user"], "ed");
    assert_eq!(granted["role"], "editor");
    assert_eq!(granted["created"], true);
    let again = json(&["--library", &db.url(), "db", "grant", "ed", "approver"]);
    assert_eq!(again["created"], false);
    let err = failure(&["--library", &db.url_as("ed"), "db", "grant", "eve", "admin"]);
    assert!(err.contains("permission denied"), "{err}");
}

#[test]
fn db_init_of_a_newer_studio_library_is_refused_with_a_clear_error() {
    let db = StudioDb::new();
    db.connect_as("postgres")
        .batch_execute("UPDATE takeboard_meta SET schema_version = 42")
        .unwrap();
    let err = failure(&["db", "init", &db.url()]);
    assert!(
        err.contains("newer version of Takeboard (schema 42"),
        "{err}"
    );
    let version: i64 = db
        .connect_as("postgres")
        .query_one("SELECT schema_version FROM takeboard_meta", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, 42, "left untouched");
}

#[test]
fn db_commands_refuse_a_missing_or_malformed_studio_url_clearly() {
    let err = failure(&["db", "grant", "ed", "editor"]);
    assert!(
        err.contains("needs the studio library: --library postgres://"),
        "{err}"
    );
    let err = failure(&["db", "init", "postgres://db.studio/show"]);
    assert!(err.contains("names no user"), "{err}");
    let err = failure(&["db", "init", "postgres://ann@127.0.0.1:1/show"]);
    assert!(
        err.contains("cannot connect to the studio library postgres://ann@127.0.0.1:1/show"),
        "{err}"
    );
    let out = cli(&["--library", "postgres://a@h/d", "db", "grant", "ed", "boss"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown role is a usage error"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("editor, approver, render, admin"), "{err}");
}

#[test]
fn three_processes_approving_different_takes_of_one_shot_leave_one_approval_and_one_live_request() {
    let db = StudioDb::new();
    let (project, takes) = db.shot_of_flash_takes(3);
    let url = db.url();
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let mut admin = db.connect_as("postgres");
    for round in 0..50 {
        let children: Vec<_> = takes
            .iter()
            .map(|take| {
                // Jitter: the three start within a few milliseconds of each other, in
                // varying order, so each round interleaves differently.
                std::thread::sleep(Duration::from_micros(rng.below(4000)));
                Command::new(env!("CARGO_BIN_EXE_takeboard-cli"))
                    .args(["--library", &url, "approve", &take.to_string()])
                    .env_remove("TAKEBOARD_LIBRARY")
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let approved: Vec<i64> = admin
            .query(
                "SELECT take_id FROM take_decisions WHERE status = 'approved'",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let live: Vec<i64> = admin
            .query(
                "SELECT source_take_id FROM render_requests
                 WHERE state NOT IN ('failed', 'cancelled')",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(
            approved.len(),
            1,
            "round {round}: one approved take: {approved:?}"
        );
        assert_eq!(
            live, approved,
            "round {round}: one live request, for the approved take"
        );
    }
    let seqs: Vec<i64> = admin
        .query(
            "SELECT seq FROM events WHERE project_id = $1 ORDER BY seq",
            &[&project],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(seqs.len() > 50, "every round logged: {}", seqs.len());
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "the event numbers are gapless"
    );
    let last: i64 = admin
        .query_one("SELECT event_seq FROM projects WHERE id = $1", &[&project])
        .unwrap()
        .get(0);
    assert_eq!(last, seqs.len() as i64);
}

#[test]
fn an_editor_approving_from_the_cli_is_told_the_role_it_needs_and_nothing_is_recorded() {
    // Roles belong to the whole server: a name no other test gives another role.
    let db = StudioDb::new();
    let (_, takes) = db.shot_of_flash_takes(1);
    json(&["--library", &db.url(), "db", "grant", "cutter", "editor"]);
    let err = failure(&[
        "--library",
        &db.url_as("cutter"),
        "approve",
        &takes[0].to_string(),
    ]);
    assert!(err.contains("approver"), "{err}");
    let selected = json(&[
        "--library",
        &db.url_as("cutter"),
        "mark",
        &takes[0].to_string(),
        "selected",
    ]);
    assert_eq!(selected["status"], "selected", "{selected}");
    let requests: i64 = db
        .connect_as("postgres")
        .query_one("SELECT count(*) FROM render_requests", &[])
        .unwrap()
        .get(0);
    assert_eq!(requests, 0);
}

const KEY: &str = "luma-studio-test-key";

/// `submit` on the studio library against the stand-in.
fn submit(url: &str, standin: &LumaStandIn) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_takeboard-cli"));
    cmd.args(["--library", url, "submit"])
        .env_remove("TAKEBOARD_LIBRARY")
        .env("LUMA_API_KEY", KEY)
        .env("LUMA_API_BASE_URL", standin.base_url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Polls `condition` every 20 ms until it holds, failing after 10 s.
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_outbox_holder_killed_after_its_claim_is_taken_over_and_luma_sees_exactly_one_create() {
    let db = StudioDb::new();
    let (_, takes) = db.shot_of_flash_takes(1);
    let url = db.url();
    let approval = json(&["--library", &url, "approve", &takes[0].to_string()]);
    assert_eq!(approval["request"]["state"], "queued", "{approval}");
    let standin = LumaStandIn::start(KEY);
    // Luma makes the generation at once but answers only much later: the sender is
    // inside its create call, its claim committed, when it dies.
    standin.push_fault(Route::Create, Fault::Delay(Duration::from_secs(20)));
    let mut holder = submit(&url, &standin).spawn().unwrap();
    wait_until("the create reached Luma", || {
        standin.paid_creates().len() == 1
    });

    let refused = submit(&url, &standin).output().unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("is sending this studio's renders"), "{err}");

    holder.kill().unwrap();
    holder.wait().unwrap();
    let mut admin = db.connect_as("postgres");
    wait_until("the server released the dead holder's lease", || {
        let held: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'",
                &[],
            )
            .unwrap()
            .get(0);
        held == 0
    });
    let survivor = submit(&url, &standin).output().unwrap();
    assert!(
        survivor.status.success(),
        "{}",
        String::from_utf8_lossy(&survivor.stderr)
    );
    // The survivor found the cut-off send uncertain and, Luma holding exactly one
    // generation that matches it, followed that generation instead of sending again.
    let (state, generation): (String, Option<String>) = {
        let row = admin
            .query_one(
                "SELECT state, provider_generation_id FROM render_requests",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    let paid = standin.paid_creates();
    assert_eq!(paid.len(), 1, "Luma saw exactly one create");
    assert_eq!(state, "submitted");
    assert_eq!(generation.as_deref(), Some(paid[0].generation_id.as_str()));
    let kinds: Vec<String> = admin
        .query(
            "SELECT kind FROM events WHERE request_id IS NOT NULL ORDER BY seq",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(
        kinds.iter().any(|k| k == "render.unknown"),
        "the takeover recorded the uncertain send: {kinds:?}"
    );
    assert_eq!(standin.create_attempts(), 1, "nothing was sent again");
}

#[test]
fn a_client_killed_inside_a_write_transaction_commits_nothing_and_the_next_writer_proceeds() {
    let db = StudioDb::new();
    let (project, takes) = db.shot_of_flash_takes(1);
    // A client that locked the project and logged an event, then died before COMMIT:
    // psql holding the transaction open, waiting for more input, killed with SIGKILL.
    let mut victim = Command::new(crate::studio_support::server().psql())
        .args([db.url().as_str(), "-q", "-v", "ON_ERROR_STOP=1"])
        .env("PGAPPNAME", "victim")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let stdin = victim.stdin.as_mut().unwrap();
        writeln!(
            stdin,
            "BEGIN; SELECT lock_project({project});
             INSERT INTO events (project_id, at, actor, kind) VALUES ({project}, 't', 'x', 'take.approved');"
        )
        .unwrap();
        stdin.flush().unwrap();
    }
    let mut admin = db.connect_as("postgres");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let waiting: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE application_name = 'victim' AND state = 'idle in transaction'",
                &[],
            )
            .unwrap()
            .get(0);
        if waiting == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "psql never held the transaction"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    victim.kill().unwrap();
    victim.wait().unwrap();

    let approval = json(&["--library", &db.url(), "approve", &takes[0].to_string()]);
    assert_eq!(approval["request"]["state"], "queued", "{approval}");
    let seqs: Vec<(i64, String)> = admin
        .query(
            "SELECT seq, kind FROM events WHERE project_id = $1 ORDER BY seq",
            &[&project],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert!(!seqs.is_empty());
    assert_eq!(
        seqs.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "the dead client's event took no number: {seqs:?}"
    );
    let dead: i64 = admin
        .query_one(
            "SELECT count(*) FROM events WHERE kind = 'take.approved' AND take_id IS NULL",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(dead, 0, "nothing the killed client wrote was committed");
}
