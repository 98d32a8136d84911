//! scan, watch, shots, takes and the hand edits; library-level errors.

use crate::copies::unique_copy;
use crate::support::{clip, rusqlite_setup, Env};
use serde_json::Value;
use std::process::{Command, Stdio};

#[test]
fn scan_prints_a_summary_and_takes_follow_the_json_contract() {
    let env = Env::new();
    clip(&env.clips, "SH010_flash_t1.mp4", "24", true);
    clip(&env.clips, "SH010_flash_t2.mp4", "24000/1001", false);
    clip(&env.clips, "SH020_std.mp4", "30", false);
    let clips = env.clips.to_str().unwrap();
    let summary = env.json(&["scan", clips]);
    assert_eq!(summary["added"], 3, "{summary}");
    assert_eq!(summary["errors"].as_array().unwrap().len(), 0);

    let takes = env.json(&["takes", "--json"]);
    let takes = takes.as_array().unwrap();
    assert_eq!(takes.len(), 3);
    let t = takes
        .iter()
        .find(|t| t["path"].as_str().unwrap().ends_with("SH010_flash_t2.mp4"))
        .unwrap();
    for key in [
        "id",
        "path",
        "shot",
        "origin",
        "status",
        "duration_s",
        "frames",
        "fps",
        "width",
        "height",
        "codec",
        "has_audio",
        "generation_id",
        "prompt",
        "present",
        "error",
    ] {
        assert!(t.get(key).is_some(), "takes --json has {key}: {t}");
    }
    assert_eq!(t["shot"], "SH010");
    assert_eq!(t["origin"], "flash");
    assert_eq!(t["status"], "unreviewed");
    assert_eq!(t["fps"], "24000/1001");
    assert_eq!(t["frames"], 24);
    assert_eq!(t["width"], 320);
    assert_eq!(t["codec"], "h264");
    assert_eq!(t["has_audio"], false);
    assert_eq!(t["present"], true);
    assert_eq!(t["error"], Value::Null);

    let sh010 = env.json(&["takes", "--json", "--shot", "SH010"]);
    assert_eq!(sh010.as_array().unwrap().len(), 2);

    let shots = env.json(&["shots", "--json"]);
    let shots = shots.as_array().unwrap();
    assert_eq!(shots.len(), 2);
    assert_eq!(shots[0]["code"], "SH010");
    assert_eq!(shots[0]["position"], 1);
    assert_eq!(shots[0]["state"], "exploring");
    assert_eq!(shots[0]["takes"].as_array().unwrap().len(), 2);
}

#[test]
fn move_rename_and_reorder_stick_across_rescans() {
    let env = Env::new();
    clip(&env.clips, "SH010_a.mp4", "24", false);
    clip(&env.clips, "SH020_b.mp4", "25", false);
    let clips = env.clips.to_str().unwrap();
    env.json(&["scan", clips]);
    let takes = env.json(&["takes", "--json", "--shot", "SH010"]);
    let id = takes[0]["id"].as_i64().unwrap().to_string();
    let moved = env.json(&["move", &id, "SH020"]);
    assert_eq!(moved["shot"], "SH020");
    let renamed = env.json(&["rename-shot", "SH020", "Hero & <villain>"]);
    assert_eq!(renamed["code"], "SH020", "prints the renamed shot");
    assert_eq!(renamed["name"], "Hero & <villain>");
    env.json(&["reorder", "SH020", "1"]);
    env.json(&["scan", clips]);
    let shots = env.json(&["shots", "--json"]);
    assert_eq!(shots[0]["code"], "SH020");
    assert_eq!(shots[0]["name"], "Hero & <villain>");
    assert_eq!(shots[0]["takes"].as_array().unwrap().len(), 2);
}

#[test]
fn a_missing_folder_is_a_clear_error_with_exit_code_one() {
    let env = Env::new();
    let err = env.fail(&["scan", env.dir.path().join("nope").to_str().unwrap()]);
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn an_unknown_shot_and_an_empty_library_are_clear_errors() {
    let env = Env::new();
    let err = env.fail(&["shots", "--json"]);
    assert!(err.contains("no project yet"), "{err}");
    clip(&env.clips, "SH010_a.mp4", "24", false);
    env.json(&["scan", env.clips.to_str().unwrap()]);
    let err = env.fail(&["takes", "--json", "--shot", "SH999"]);
    assert!(err.contains("no shot SH999"), "{err}");
}

#[test]
fn a_library_from_a_newer_version_is_refused_and_left_untouched() {
    let env = Env::new();
    clip(&env.clips, "SH010_a.mp4", "24", false);
    env.json(&["scan", env.clips.to_str().unwrap()]);
    {
        let conn = rusqlite_setup(&env.db);
        conn.execute_batch("PRAGMA user_version = 99;").unwrap();
        drop(conn);
    }
    let before = std::fs::read(&env.db).unwrap();
    let err = env.fail(&["shots", "--json"]);
    assert!(err.contains("newer version of Takeboard"), "{err}");
    assert_eq!(
        std::fs::read(&env.db).unwrap(),
        before,
        "the file is not modified"
    );
}

#[test]
fn a_damaged_library_is_refused_with_a_clear_message_and_left_byte_identical() {
    let env = Env::new();
    for t in 1..=30 {
        clip(
            &env.clips,
            &format!("SH{:03}_t{t}.mp4", t * 10),
            "24",
            false,
        );
    }
    env.json(&["scan", env.clips.to_str().unwrap()]);
    {
        // Back to a rollback journal: opening it would switch to WAL and write the header.
        let conn = rusqlite_setup(&env.db);
        conn.execute_batch("PRAGMA journal_mode = DELETE;").unwrap();
    }
    let mut bytes = std::fs::read(&env.db).unwrap();
    let page = 4096;
    assert!(bytes.len() > 8 * page, "a library of several pages");
    // Garbage over the middle of the file, the header (page 1) intact.
    for b in &mut bytes[3 * page + 8..6 * page] {
        *b = 0xA5;
    }
    std::fs::write(&env.db, &bytes).unwrap();
    let err = env.fail(&["shots", "--json"]);
    assert!(err.contains("damaged or not a Takeboard library"), "{err}");
    assert_eq!(
        std::fs::read(&env.db).unwrap(),
        bytes,
        "the damaged library is not modified"
    );
    assert!(
        !env.db.with_extension("db-wal").exists(),
        "no WAL file created"
    );
    assert!(err.contains("copy-aside"), "says how to keep a copy: {err}");

    let copied = env.json(&["copy-aside"]);
    let copy = std::path::PathBuf::from(copied["copy"].as_str().expect("the copy's path"));
    assert_ne!(copy, env.db);
    assert_eq!(std::fs::read(&copy).unwrap(), bytes, "a byte-for-byte copy");
    assert_eq!(
        std::fs::read(&env.db).unwrap(),
        bytes,
        "the library is still untouched"
    );
}

#[test]
fn a_folder_that_holds_the_library_named_through_a_symlink_is_refused() {
    let env = Env::new();
    // The library is named through a link to its folder; that folder is then watched.
    let lib_dir = env.dir.path().join("lib");
    std::fs::create_dir_all(&lib_dir).unwrap();
    let link = env.dir.path().join("lib-link");
    std::os::unix::fs::symlink(&lib_dir, &link).unwrap();
    let out = env
        .command_on(
            &link.join("library.db"),
            &["scan", lib_dir.to_str().unwrap()],
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "refused");
    assert!(
        err.contains("keep the library outside watched folders"),
        "{err}"
    );
}

#[test]
fn two_processes_creating_one_new_library_at_once_both_succeed() {
    let env = Env::new();
    for round in 0..20 {
        let db = env.dir.path().join(format!("new-{round}.db"));
        let start = |_| {
            env.command_on(&db, &["scan", env.clips.to_str().unwrap()])
                .stderr(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let children: Vec<_> = (0..2).map(start).collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn a_library_locked_by_another_process_gives_a_clear_error_after_the_busy_timeout() {
    let env = Env::new();
    clip(&env.clips, "SH010_a.mp4", "24", false);
    env.json(&["scan", env.clips.to_str().unwrap()]);
    let conn = rusqlite_setup(&env.db);
    conn.execute_batch("BEGIN IMMEDIATE;").unwrap();
    let start = std::time::Instant::now();
    let err = env.fail(&["rename-shot", "SH010", "Locked out"]);
    assert!(err.contains("locked by another process"), "{err}");
    assert!(
        start.elapsed() >= std::time::Duration::from_secs(4),
        "waited for the busy timeout"
    );
    conn.execute_batch("ROLLBACK;").unwrap();
    let shots = env.json(&["shots", "--json"]);
    assert_eq!(shots[0]["name"], "SH010", "nothing changed");
}

#[test]
fn watch_prints_one_json_line_per_take_event_and_stops_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let env = Env::new();
    let scratch = env.dir.path().join("scratch");
    std::fs::create_dir(&scratch).unwrap();
    let src = clip(&scratch, "src.mp4", "24", false);
    let mut child = Command::new(env!("CARGO_BIN_EXE_takeboard-cli"))
        .arg("--library")
        .arg(&env.db)
        .args(["watch", env.clips.to_str().unwrap()])
        .env("TAKEBOARD_SETTLE_MS", "100")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let dest = env.clips.join("SH030_flash_t1.mp4");
    std::fs::copy(&src, env.clips.join("SH030_flash_t1.mp4.part")).unwrap();
    std::fs::rename(env.clips.join("SH030_flash_t1.mp4.part"), &dest).unwrap();
    let added: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(added["event"], "added");
    assert_eq!(added["shot"], "SH030");
    std::fs::remove_file(&dest).unwrap();
    let missing: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(missing["event"], "missing");
    assert_eq!(missing["take"], added["take"]);
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "watch exits cleanly on SIGTERM: {exit:?}");
}

#[test]
fn a_reader_that_stops_early_ends_the_cli_quietly_and_successfully() {
    let env = Env::new();
    let first = clip(&env.clips, "SH010_flash_t0.mp4", "24", false);
    for i in 1..600u64 {
        unique_copy(&first, &env.clips.join(format!("SH010_flash_t{i}.mp4")), i);
    }
    env.json(&["scan", env.clips.to_str().unwrap()]);
    let full = env.cli(&["takes", "--json"]);
    assert!(
        full.stdout.len() > 128 * 1024,
        "the listing ({} bytes) must outgrow a pipe's buffer for this test to mean anything",
        full.stdout.len()
    );

    // `takeboard-cli takes --json | head -c 0`: the reader closes before reading.
    let mut child = env
        .command(&["takes", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "exit {:?}", out.status);
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "nothing on stderr"
    );
}
