//! `takeboard-cli db`: creating a studio library on a real PostgreSQL server and giving
//! people roles, from separate processes.

use crate::studio_support::StudioDb;
use serde_json::Value;
use std::process::{Command, Output};

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
