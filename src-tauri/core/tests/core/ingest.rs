//! Ingest: download safety, scan/watch/reconcile, identity across renames, missing and
//! restored takes, grouping, and bad input.

use crate::support::clips::{make_clip, ClipSpec};
use crate::support::copies::unique_copy;
use crate::support::library::{fast_config, TestLibrary};
use std::io::Write;
use std::path::Path;
use std::time::Duration;
use takeboard_core::catalog::shots;
use takeboard_core::catalog::sql::{params, Sql, SqlExt};
use takeboard_core::domain::{Origin, Presence, TakeId, TakeStatus};
use takeboard_core::ingest::{self, IngestEvent};

const WAIT: Duration = Duration::from_secs(20);

/// A real clip made once per test in its own scratch dir (outside the watched folder).
fn source_clip(lib: &TestLibrary, name: &str) -> std::path::PathBuf {
    let scratch = lib.dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).unwrap();
    make_clip(
        &scratch,
        name,
        &ClipSpec {
            seconds: 2.0,
            ..ClipSpec::default()
        },
    )
}

/// Writes `bytes` to `path` in `chunks` bursts, asserting after each burst that no take
/// row exists yet (the file is still being written).
fn write_in_bursts(lib: &TestLibrary, path: &Path, bytes: &[u8], chunks: usize) {
    let mut f = std::fs::File::create(path).unwrap();
    for chunk in bytes.chunks(bytes.len().div_ceil(chunks)) {
        f.write_all(chunk).unwrap();
        f.flush().unwrap();
        // Pacing the simulated download (shorter than the settle window), not synchronization.
        std::thread::sleep(Duration::from_millis(60));
        assert!(
            lib.takes().is_empty(),
            "a take appeared while {} was still being written",
            path.display()
        );
    }
}

fn start_watch(lib: &TestLibrary) -> (ingest::WatchHandle, std::sync::mpsc::Receiver<IngestEvent>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = ingest::watch(
        lib.cat.clone(),
        lib.project_id,
        fast_config(),
        move |e| {
            let _ = tx.send(e.clone());
        },
        |e| panic!("watcher error: {e}"),
    )
    .expect("watch starts");
    (handle, rx)
}

#[test]
fn a_chrome_download_renamed_from_crdownload_becomes_exactly_one_take() {
    let lib = TestLibrary::new();
    let bytes = std::fs::read(source_clip(&lib, "src.mp4")).unwrap();
    let (watch, _events) = start_watch(&lib);
    let partial = lib.clips.join("SH010_flash_t1.mp4.crdownload");
    write_in_bursts(&lib, &partial, &bytes, 6);
    let final_path = lib.clips.join("SH010_flash_t1.mp4");
    std::fs::rename(&partial, &final_path).unwrap();
    let takes = lib.wait_for(WAIT, "the renamed download", |t| !t.is_empty());
    watch.stop();
    assert_eq!(takes.len(), 1, "exactly one take: {takes:?}");
    assert_eq!(takes[0].file.path, final_path);
    assert_eq!(takes[0].shot_code, "SH010");
    assert_eq!(takes[0].generation.origin, Origin::Flash);
    assert!(takes[0].file.error.is_none(), "{:?}", takes[0].file.error);
}

#[test]
fn a_firefox_download_with_placeholder_and_part_file_becomes_exactly_one_take() {
    let lib = TestLibrary::new();
    let bytes = std::fs::read(source_clip(&lib, "src.mp4")).unwrap();
    let (watch, _events) = start_watch(&lib);
    let final_path = lib.clips.join("SH020_ray-flash-2 dawn.mp4");
    std::fs::File::create(&final_path).unwrap(); // the zero-byte placeholder
    let part = lib.clips.join("Ab12xY.mp4.part");
    write_in_bursts(&lib, &part, &bytes, 5);
    assert!(
        lib.takes().is_empty(),
        "the placeholder must never be indexed"
    );
    std::fs::rename(&part, &final_path).unwrap();
    let takes = lib.wait_for(WAIT, "the finished download", |t| !t.is_empty());
    watch.stop();
    assert_eq!(takes.len(), 1, "{takes:?}");
    assert_eq!(takes[0].file.path, final_path);
    assert!(
        takes[0].file.media.is_some(),
        "probed: {:?}",
        takes[0].file.error
    );
}

#[test]
fn a_curl_download_written_in_bursts_under_its_final_name_becomes_one_take_when_done() {
    let lib = TestLibrary::new();
    let bytes = std::fs::read(source_clip(&lib, "src.mp4")).unwrap();
    let (watch, _events) = start_watch(&lib);
    let path = lib.clips.join("2026-01-07T01-36-13_fly_fishing.mp4");
    write_in_bursts(&lib, &path, &bytes, 8);
    let takes = lib.wait_for(WAIT, "the curl download", |t| !t.is_empty());
    // Let a few more watcher ticks pass: still one take, and its facts are complete.
    let again = lib.wait_for(WAIT, "a stable catalog", |t| {
        t.len() == 1 && t[0].file.media.is_some()
    });
    watch.stop();
    assert_eq!(takes.len(), 1);
    assert_eq!(again[0].id, takes[0].id);
    assert_eq!(again[0].generation.prompt.as_deref(), Some("fly fishing"));
}

#[test]
fn five_hundred_clips_dropped_at_once_match_the_folder_and_offline_changes_are_reconciled() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    let (watch, _events) = start_watch(&lib);
    let staging = lib.dir.path().join("staging");
    std::fs::create_dir(&staging).unwrap();
    for i in 0..500 {
        unique_copy(
            &src,
            &staging.join(format!("SH{:03}_flash_t{i}.mp4", 10 + (i % 5) * 10)),
            i,
        );
    }
    for entry in std::fs::read_dir(&staging).unwrap() {
        let p = entry.unwrap().path();
        std::fs::rename(&p, lib.clips.join(p.file_name().unwrap())).unwrap();
    }
    lib.wait_for(Duration::from_secs(120), "500 takes", |t| t.len() == 500);
    watch.stop();

    // While no watcher runs: delete 10, add 10, rename 5.
    let mut names: Vec<_> = std::fs::read_dir(&lib.clips)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for p in &names[..10] {
        std::fs::remove_file(p).unwrap();
    }
    for p in &names[10..15] {
        std::fs::rename(
            p,
            p.with_file_name(format!(
                "renamed_{}",
                p.file_name().unwrap().to_str().unwrap()
            )),
        )
        .unwrap();
    }
    for i in 1000..1010 {
        unique_copy(&src, &lib.clips.join(format!("SH060_flash_t{i}.mp4")), i);
    }
    let report = lib.scan();
    assert_eq!(report.added, 10, "{report:?}");
    assert_eq!(report.missing, 10);
    let present: Vec<_> = lib
        .takes()
        .into_iter()
        .filter(|t| t.presence == Presence::Present)
        .collect();
    assert_eq!(present.len(), 500, "catalog matches the folder");
    let mut on_disk: Vec<_> = std::fs::read_dir(&lib.clips)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    on_disk.sort();
    let mut in_catalog: Vec<_> = present.iter().map(|t| t.file.path.clone()).collect();
    in_catalog.sort();
    assert_eq!(in_catalog, on_disk);
}

#[test]
fn reading_the_clips_of_a_watched_folder_never_makes_the_watcher_rescan_it() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    for i in 0..20 {
        unique_copy(&src, &lib.clips.join(format!("SH010_flash_t{i}.mp4")), i);
    }
    let (watch, _events) = start_watch(&lib);
    lib.wait_for(Duration::from_secs(60), "20 takes", |t| t.len() == 20);
    let passes = watch.full_passes();
    assert_eq!(passes, 1, "one full pass at the start");

    // What a media player, a viewer and our own scans do: list the folder, read each clip.
    for _ in 0..5 {
        for entry in std::fs::read_dir(&lib.clips).unwrap() {
            std::fs::read(entry.unwrap().path()).unwrap();
        }
    }
    // Events are handled in order: once this clip is in, every read before it was seen.
    unique_copy(&src, &lib.clips.join("SH010_flash_t99.mp4"), 99);
    lib.wait_for(Duration::from_secs(60), "the 21st take", |t| t.len() == 21);
    assert_eq!(watch.full_passes(), passes, "reads asked for full rescans");
    watch.stop();
}

#[test]
fn a_renamed_or_moved_file_keeps_its_take_and_decisions_and_a_deleted_one_comes_back() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    let original = lib.clips.join("SH010_flash_t1.mp4");
    std::fs::copy(&src, &original).unwrap();
    lib.scan();
    let take = lib.take_at(&original).expect("indexed");
    {
        let mut cat = lib.cat.lock().unwrap();
        takeboard_core::review::set_status(&mut cat, take.id, TakeStatus::Hold).unwrap();
    }

    let renamed = lib.clips.join("kept for later.mp4");
    std::fs::rename(&original, &renamed).unwrap();
    let report = lib.scan();
    assert_eq!((report.added, report.missing), (0, 0), "{report:?}");
    let after_rename = lib.take_at(&renamed).expect("same take at the new path");
    assert_eq!(after_rename.id, take.id);
    assert_eq!(after_rename.status, TakeStatus::Hold);
    assert_eq!(after_rename.shot_code, "SH010", "a rename does not regroup");

    std::fs::remove_file(&renamed).unwrap();
    let report = lib.scan();
    assert_eq!(report.missing, 1);
    let missing = lib.takes().into_iter().find(|t| t.id == take.id).unwrap();
    assert_eq!(missing.presence, Presence::Missing);
    assert_eq!(
        missing.status,
        TakeStatus::Hold,
        "decisions are kept while missing"
    );

    let copied_back = lib.clips.join("restored copy.mp4");
    std::fs::copy(&src, &copied_back).unwrap();
    let report = lib.scan();
    assert_eq!(report.restored, 1, "{report:?}");
    let restored = lib.take_at(&copied_back).expect("restored");
    assert_eq!(restored.id, take.id);
    assert_eq!(restored.presence, Presence::Present);
    assert_eq!(restored.status, TakeStatus::Hold);
}

#[test]
fn the_same_bytes_under_two_names_are_one_take() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    std::fs::copy(&src, lib.clips.join("x.mp4")).unwrap();
    std::fs::copy(&src, lib.clips.join("x (1).mp4")).unwrap();
    let report = lib.scan();
    assert_eq!(report.added, 1);
    assert_eq!(lib.takes().len(), 1);
    std::fs::remove_file(lib.clips.join("x.mp4")).unwrap();
    lib.scan();
    let t = &lib.takes()[0];
    assert_eq!(
        t.presence,
        Presence::Present,
        "still held by the other copy"
    );
    assert_eq!(t.file.path, lib.clips.join("x (1).mp4"));
}

#[test]
fn bad_files_are_recorded_with_a_clear_error_and_nothing_else_is_lost() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    std::fs::copy(&src, lib.clips.join("SH010_good.mp4")).unwrap();
    std::fs::write(
        lib.clips.join("SH010_page.mp4"),
        b"<!doctype html><html><body>not a video</body></html>",
    )
    .unwrap();
    let bytes = std::fs::read(&src).unwrap();
    std::fs::write(lib.clips.join("SH010_cut.mp4"), &bytes[..bytes.len() / 3]).unwrap();
    // Backdate the truncated file past the churn limit, so it is not taken for a download.
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(lib.clips.join("SH010_cut.mp4"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    std::fs::write(lib.clips.join("SH010_empty.mp4"), b"").unwrap();
    std::os::unix::fs::symlink(&src, lib.clips.join("SH010_link.mp4")).unwrap();
    std::fs::write(
        lib.clips.join("SH010_good.mp4.json"),
        b"{ \"id\": \"abc\", \"model\": ",
    )
    .unwrap();

    let report = lib.scan();
    let takes = lib.takes();
    let by_name = |n: &str| {
        takes
            .iter()
            .find(|t| t.file.path.file_name().unwrap() == n)
            .cloned()
    };

    let good = by_name("SH010_good.mp4").expect("the good clip is indexed");
    assert!(good.file.error.is_none());
    assert!(good.file.media.is_some());
    let sidecar_error = good
        .file
        .sidecar_error
        .expect("a malformed sidecar is reported on the take");
    assert!(
        sidecar_error.contains("SH010_good.mp4.json"),
        "{sidecar_error}"
    );

    let page = by_name("SH010_page.mp4").expect("a non-video is recorded");
    assert!(
        page.file
            .error
            .as_deref()
            .unwrap_or("")
            .to_lowercase()
            .contains("not"),
        "{:?}",
        page.file.error
    );
    let cut = by_name("SH010_cut.mp4").expect("a truncated clip is recorded");
    assert!(cut.file.error.is_some());
    assert!(
        by_name("SH010_empty.mp4").is_none(),
        "zero-byte files are not indexed"
    );
    assert!(
        by_name("SH010_link.mp4").is_none(),
        "symlinks are not followed"
    );
    assert!(
        report
            .skipped
            .iter()
            .any(|n| n.reason.contains("symbolic link")),
        "{report:?}"
    );
    assert_eq!(report.errors.len(), 2, "{:?}", report.errors);
}

#[test]
fn hostile_and_unicode_file_names_are_indexed_verbatim() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    let names = [
        "café – été 🎬.mp4",
        "<img src=x onerror=alert(1)>.mp4",
        "a & b \"quoted\" 'single'.mov",
        "  spaced   name  .mp4",
    ];
    for (i, n) in names.iter().enumerate() {
        unique_copy(&src, &lib.clips.join(n), i as u64);
    }
    let report = lib.scan();
    assert_eq!(report.added, names.len(), "{report:?}");
    for n in names {
        assert!(
            lib.take_at(&lib.clips.join(n)).is_some(),
            "{n} indexed under its exact name"
        );
    }
}

#[test]
fn takes_group_by_shot_code_then_prompt_then_unsorted() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    unique_copy(&src, &lib.clips.join("sc01-flash-take1.mp4"), 1);
    unique_copy(&src, &lib.clips.join("SC01_std.mp4"), 2);
    unique_copy(
        &src,
        &lib.clips.join("2026-01-07T01-36-13_fly_fishing.mp4"),
        3,
    );
    unique_copy(
        &src,
        &lib.clips
            .join("2026-01-07T02-00-00_fly_fishing_watermarked.mp4"),
        4,
    );
    unique_copy(&src, &lib.clips.join("random clip.mp4"), 5);
    lib.scan();
    let takes = lib.takes();
    let shot_of = |n: &str| {
        takes
            .iter()
            .find(|t| t.file.path.file_name().unwrap() == n)
            .map(|t| t.shot_code.clone())
            .unwrap()
    };
    assert_eq!(shot_of("sc01-flash-take1.mp4"), "SC01");
    assert_eq!(shot_of("SC01_std.mp4"), "SC01");
    let prompt_shot = shot_of("2026-01-07T01-36-13_fly_fishing.mp4");
    assert_eq!(
        prompt_shot,
        shot_of("2026-01-07T02-00-00_fly_fishing_watermarked.mp4")
    );
    assert!(prompt_shot.starts_with("SH"), "{prompt_shot}");
    assert_eq!(shot_of("random clip.mp4"), "UNSORTED");
    let cat = lib.cat.lock().unwrap();
    let shot =
        takeboard_core::catalog::shots::shot_by_code(cat.conn(), lib.project_id, &prompt_shot)
            .unwrap()
            .unwrap();
    assert!(
        shot.name.to_lowercase().starts_with("fly fishing"),
        "{}",
        shot.name
    );
}

#[test]
fn hand_moves_renames_and_reorders_survive_every_rescan() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    unique_copy(&src, &lib.clips.join("SH010_flash_t1.mp4"), 1);
    unique_copy(&src, &lib.clips.join("SH020_flash_t1.mp4"), 2);
    lib.scan();
    let moved = lib.take_at(&lib.clips.join("SH010_flash_t1.mp4")).unwrap();
    {
        let mut cat = lib.cat.lock().unwrap();
        let hero = cat.move_take(moved.id, "SH020").unwrap().shot_id;
        cat.rename_shot(hero, "Hero close-up").unwrap();
        cat.reorder_shot(hero, 1).unwrap();
    }
    // A rename of the file and a full rescan (twice) must not undo any of it.
    std::fs::rename(
        lib.clips.join("SH010_flash_t1.mp4"),
        lib.clips.join("SH010_flash_t1b.mp4"),
    )
    .unwrap();
    lib.scan();
    lib.scan();
    let t = lib.takes().into_iter().find(|t| t.id == moved.id).unwrap();
    assert_eq!(t.shot_code, "SH020");
    let cat = lib.cat.lock().unwrap();
    let shots = takeboard_core::catalog::shots::shots(cat.conn(), lib.project_id).unwrap();
    assert_eq!(shots[0].code, "SH020");
    assert_eq!(shots[0].name, "Hero close-up");
    assert_eq!(shots[0].position, 1);
}

#[test]
fn a_sidecar_sets_origin_prompt_and_generation_id() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    std::fs::copy(&src, lib.clips.join("download.mp4")).unwrap();
    std::fs::write(
        lib.clips.join("download.mp4.json"),
        r#"{"id":"0b1c2d3e-aaaa-bbbb-cccc-1234567890ab","model":"ray-2","state":"completed",
            "request":{"model":"ray-2","prompt":"A red kite over cliffs","aspect_ratio":"16:9",
            "resolution":"720p","duration":"5s"},"unknown_field":{"x":1}}"#,
    )
    .unwrap();
    lib.scan();
    let t = &lib.takes()[0];
    assert_eq!(t.generation.origin, Origin::Standard);
    assert_eq!(
        t.generation.generation_id.as_deref(),
        Some("0b1c2d3e-aaaa-bbbb-cccc-1234567890ab")
    );
    assert_eq!(
        t.generation.prompt.as_deref(),
        Some("A red kite over cliffs")
    );
    assert!(t.file.sidecar_error.is_none());
}

#[test]
fn an_ingested_flash_take_promotes_to_modify_with_its_luma_video_url() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    std::fs::copy(&src, lib.clips.join("SH010_flash_t1.mp4")).unwrap();
    std::fs::write(
        lib.clips.join("SH010_flash_t1.mp4.json"),
        r#"{"id":"9f0e0000-0000-4000-8000-000000000001","model":"ray-flash-2","state":"completed",
            "assets":{"video":"https://cdn.example/flash.mp4"},
            "request":{"model":"ray-flash-2","prompt":"Gulls over a harbour","aspect_ratio":"16:9",
            "resolution":"720p","duration":"5s"}}"#,
    )
    .unwrap();
    lib.scan();
    let take = lib.takes().remove(0);
    let mut cat = lib.cat.lock().unwrap();
    let approval = takeboard_core::review::approve(
        &mut cat,
        take.id,
        takeboard_core::review::ApproveOptions {
            mode: Some(takeboard_core::domain::RenderMode::Modify),
            resolution: None,
        },
    )
    .unwrap();
    let request = approval.request.expect("a Flash approval makes a request");
    assert_eq!(
        request.draft.body["media"]["url"],
        "https://cdn.example/flash.mp4"
    );
    assert_eq!(request.draft.body["model"], "ray-2");
    assert_eq!(request.draft.body["prompt"], "Gulls over a harbour");
    assert!(
        request.draft.missing.is_empty(),
        "{:?}",
        request.draft.missing
    );
}

#[test]
fn a_watched_folder_deleted_and_recreated_is_watched_again_and_its_takes_are_kept() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    unique_copy(&src, &lib.clips.join("SH010_flash_t1.mp4"), 1);
    let (errors_tx, errors) = std::sync::mpsc::channel();
    let (events_tx, events) = std::sync::mpsc::channel();
    let watch = ingest::watch(
        lib.cat.clone(),
        lib.project_id,
        fast_config(),
        move |e| {
            let _ = events_tx.send(e.clone());
        },
        move |e| {
            let _ = errors_tx.send(e.to_string());
        },
    )
    .unwrap();
    lib.wait_for(WAIT, "the first take", |t| t.len() == 1);

    std::fs::remove_dir_all(&lib.clips).unwrap();
    let missing = errors
        .recv_timeout(WAIT)
        .expect("the missing folder is reported");
    assert!(missing.contains("does not exist"), "{missing}");
    std::fs::create_dir(&lib.clips).unwrap();
    unique_copy(&src, &lib.clips.join("SH020_flash_t1.mp4"), 2);
    let takes = lib.wait_for(WAIT, "a take in the recreated folder", |t| {
        t.iter().any(|t| t.shot_code == "SH020")
    });
    watch.stop();
    let first = takes.iter().find(|t| t.shot_code == "SH010").expect("kept");
    assert_eq!(
        first.presence,
        Presence::Missing,
        "its file went with the folder"
    );
    assert!(
        events
            .try_iter()
            .any(|e| matches!(e, IngestEvent::Added { ref shot, .. } if shot == "SH020")),
        "the new take was reported live"
    );
}

const FLY_FISHING: &str = "2026-01-07T01-36-13_fly-fishing-at-dawn.mp4";
const HARBOR: [&str; 2] = ["SH010_harbor_flash_t1.mp4", "SH010_harbor_flash_t2.mp4"];

/// The shot code of the take at `name`, and that shot's name.
fn shot_of(lib: &TestLibrary, name: &str) -> (String, String) {
    let take = lib
        .take_at(&lib.clips.join(name))
        .unwrap_or_else(|| panic!("{name} is indexed"));
    let cat = lib.cat.lock().unwrap();
    let shot = takeboard_core::catalog::shots::shot(cat.conn(), take.shot_id).unwrap();
    (shot.code, shot.name)
}

/// The harbor takes are alone in SH010 and the fly-fishing group has another code.
fn assert_harbor_and_fly_fishing_are_two_shots(lib: &TestLibrary) {
    for name in HARBOR {
        assert_eq!(shot_of(lib, name).0, "SH010", "{name}");
    }
    let (fly_code, fly_name) = shot_of(lib, FLY_FISHING);
    assert_ne!(fly_code, "SH010", "the prompt group took the file's code");
    assert!(fly_code.starts_with("SH"), "{fly_code}");
    assert!(
        fly_name.to_lowercase().starts_with("fly-fishing"),
        "{fly_name}"
    );
    let in_sh010 = lib
        .takes()
        .iter()
        .filter(|t| t.shot_code == "SH010")
        .count();
    assert_eq!(in_sh010, HARBOR.len(), "only the harbor takes are in SH010");
}

fn recode_events(lib: &TestLibrary) -> Vec<serde_json::Value> {
    let cat = lib.cat.lock().unwrap();
    cat.conn()
        .query_map(
            "SELECT detail_json FROM events WHERE kind = 'shot.recoded' ORDER BY id",
            params![],
            |r| r.json(0),
        )
        .unwrap()
        .into_iter()
        .map(|d| d.expect("a detail"))
        .collect()
}

#[test]
fn a_prompt_group_never_takes_a_code_that_a_file_name_in_the_same_scan_uses() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    unique_copy(&src, &lib.clips.join(FLY_FISHING), 1);
    for (i, name) in HARBOR.iter().enumerate() {
        unique_copy(&src, &lib.clips.join(name), 2 + i as u64);
    }
    lib.scan();
    assert_harbor_and_fly_fishing_are_two_shots(&lib);
    assert!(
        recode_events(&lib).is_empty(),
        "reserved up front, nothing moved"
    );
}

#[test]
fn a_prompt_group_in_one_folder_never_takes_a_code_that_a_file_in_another_folder_uses() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    // The prompt folder sorts (and is scanned) first.
    let downloads = std::fs::canonicalize(lib.dir.path())
        .unwrap()
        .join("a-downloads");
    std::fs::create_dir(&downloads).unwrap();
    {
        let mut cat = lib.cat.lock().unwrap();
        let db = cat.path().to_owned();
        cat.write(|tx| {
            takeboard_core::catalog::projects::add_folder(tx, lib.project_id, &downloads, &db)
        })
        .unwrap();
    }
    unique_copy(&src, &downloads.join(FLY_FISHING), 1);
    unique_copy(&src, &lib.clips.join(HARBOR[0]), 2);
    lib.scan();
    let fly = lib
        .takes()
        .into_iter()
        .find(|t| t.file.path.starts_with(&downloads))
        .unwrap();
    assert_ne!(fly.shot_code, "SH010");
    assert_eq!(shot_of(&lib, HARBOR[0]).0, "SH010");
    assert!(recode_events(&lib).is_empty());
}

#[test]
fn a_file_code_arriving_after_its_prompt_group_took_it_wins_and_the_group_moves() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    unique_copy(&src, &lib.clips.join(FLY_FISHING), 1);
    lib.scan();
    let (before, _) = shot_of(&lib, FLY_FISHING);
    assert_eq!(before, "SH010", "the first automatic code");
    let fly_shot = lib.take_at(&lib.clips.join(FLY_FISHING)).unwrap().shot_id;
    for (i, name) in HARBOR.iter().enumerate() {
        unique_copy(&src, &lib.clips.join(name), 2 + i as u64);
    }
    lib.scan();
    assert_harbor_and_fly_fishing_are_two_shots(&lib);
    let fly_take = lib.take_at(&lib.clips.join(FLY_FISHING)).unwrap();
    assert_eq!(fly_take.shot_id, fly_shot, "the same shot, with a new code");
    let events = recode_events(&lib);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["from"], "SH010");
    assert_eq!(events[0]["to"], serde_json::json!(fly_take.shot_code));
}

#[test]
fn a_prompt_group_arriving_after_a_file_code_takes_the_next_free_code() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    for (i, name) in HARBOR.iter().enumerate() {
        unique_copy(&src, &lib.clips.join(name), 2 + i as u64);
    }
    lib.scan();
    unique_copy(&src, &lib.clips.join(FLY_FISHING), 1);
    lib.scan();
    assert_harbor_and_fly_fishing_are_two_shots(&lib);
    assert_eq!(shot_of(&lib, FLY_FISHING).0, "SH020");
}

#[test]
fn a_file_code_the_watcher_sees_after_its_prompt_group_took_it_moves_the_group() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    let (watch, _events) = start_watch(&lib);
    unique_copy(&src, &lib.clips.join(FLY_FISHING), 1);
    lib.wait_for(WAIT, "the fly-fishing take", |t| t.len() == 1);
    assert_eq!(shot_of(&lib, FLY_FISHING).0, "SH010");
    for (i, name) in HARBOR.iter().enumerate() {
        unique_copy(&src, &lib.clips.join(name), 2 + i as u64);
    }
    lib.wait_for(WAIT, "the harbor takes", |t| t.len() == 3);
    watch.stop();
    assert_harbor_and_fly_fishing_are_two_shots(&lib);
    assert_eq!(recode_events(&lib).len(), 1);
}

#[test]
fn a_prompt_group_the_watcher_sees_after_a_file_code_never_joins_it() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    let (watch, _events) = start_watch(&lib);
    for (i, name) in HARBOR.iter().enumerate() {
        unique_copy(&src, &lib.clips.join(name), 2 + i as u64);
    }
    lib.wait_for(WAIT, "the harbor takes", |t| t.len() == 2);
    unique_copy(&src, &lib.clips.join(FLY_FISHING), 1);
    lib.wait_for(WAIT, "the fly-fishing take", |t| t.len() == 3);
    watch.stop();
    assert_harbor_and_fly_fishing_are_two_shots(&lib);
    assert!(recode_events(&lib).is_empty());
}

#[test]
fn a_renamed_prompt_group_keeps_its_code_and_a_file_with_that_code_is_not_merged_into_it() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    unique_copy(&src, &lib.clips.join(FLY_FISHING), 1);
    lib.scan();
    {
        let mut cat = lib.cat.lock().unwrap();
        let dawn = shots::shot_by_code(cat.conn(), lib.project_id, "SH010")
            .unwrap()
            .unwrap()
            .id;
        cat.rename_shot(dawn, "Dawn on the river").unwrap();
    }
    unique_copy(&src, &lib.clips.join(HARBOR[0]), 2);
    lib.scan();
    assert_eq!(
        shot_of(&lib, FLY_FISHING),
        ("SH010".to_owned(), "Dawn on the river".to_owned()),
        "the shot the user named is never touched"
    );
    assert_eq!(shot_of(&lib, HARBOR[0]).0, "UNSORTED", "not merged into it");
    assert!(recode_events(&lib).is_empty());
    let cat = lib.cat.lock().unwrap();
    let detail: String = cat
        .conn()
        .query_row(
            "SELECT detail_json FROM events WHERE kind = 'take.added' AND detail_json LIKE '%code_held_by%'",
            params![],
            |r| r.get(0),
        )
        .expect("the take's event says why it is unsorted");
    let detail: serde_json::Value = serde_json::from_str(&detail).unwrap();
    assert_eq!(detail["code_held_by"]["code"], "SH010");
    assert_eq!(detail["code_held_by"]["name"], "Dawn on the river");
}

/// Writes bytes that are not a video as `name`, finished an hour ago.
fn add_unreadable_clip(lib: &TestLibrary, name: &str) -> std::path::PathBuf {
    let path = lib.clips.join(name);
    std::fs::write(&path, b"this was never a video").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    path
}

#[test]
fn a_changed_file_whose_take_is_a_render_result_is_indexed_anew_and_the_scan_goes_on() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    unique_copy(&src, &lib.clips.join("SH020_flash_t1.mp4"), 1);
    let broken = add_unreadable_clip(&lib, "SH010_std.mp4");
    lib.scan();
    let result = lib.take_at(&broken).expect("the damaged file is a take");
    assert!(result.file.error.is_some());
    let source = lib.take_at(&lib.clips.join("SH020_flash_t1.mp4")).unwrap();
    let request = {
        let mut cat = lib.cat.lock().unwrap();
        let approval =
            takeboard_core::review::approve(&mut cat, source.id, Default::default()).unwrap();
        let request = approval.request.unwrap().id;
        // The render that came back is the damaged file (a download that broke).
        cat.conn()
            .execute(
                "UPDATE render_requests SET result_take_id = ?1 WHERE id = ?2",
                params![result.id, request],
            )
            .unwrap();
        request
    };
    unique_copy(&src, &broken, 2);
    unique_copy(&src, &lib.clips.join("SH030_flash_t1.mp4"), 3);
    let report = ingest::reconcile_project(
        &lib.cat,
        lib.project_id,
        &fast_config(),
        Duration::from_secs(10),
    )
    .expect("the reconcile is Ok");
    assert!(report.errors.is_empty(), "{report:?}");
    assert!(
        lib.take_at(&lib.clips.join("SH030_flash_t1.mp4")).is_some(),
        "later files are indexed"
    );
    let now = lib
        .takes()
        .into_iter()
        .find(|t| t.file.path == broken && t.presence == Presence::Present)
        .expect("the new content is indexed");
    assert_ne!(now.id, result.id);
    assert!(now.file.error.is_none(), "{:?}", now.file.error);
    let kept = lib.takes().into_iter().find(|t| t.id == result.id);
    assert_eq!(
        kept.map(|t| t.presence),
        Some(Presence::Missing),
        "the request's result is kept"
    );
    let cat = lib.cat.lock().unwrap();
    let linked: TakeId = cat
        .conn()
        .query_row(
            "SELECT result_take_id FROM render_requests WHERE id = ?1",
            params![request],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(linked, result.id);
}

#[test]
fn a_note_on_a_damaged_take_survives_when_its_file_is_replaced() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    let broken = add_unreadable_clip(&lib, "SH010_flash_t1.mp4");
    lib.scan();
    let damaged = lib.take_at(&broken).unwrap();
    {
        let mut cat = lib.cat.lock().unwrap();
        takeboard_core::review::add_note(&mut cat, damaged.id, 0, "ask Luma for this one again")
            .unwrap();
    }
    unique_copy(&src, &broken, 1);
    lib.scan();
    let cat = lib.cat.lock().unwrap();
    let notes: Vec<String> = cat
        .conn()
        .query_map(
            "SELECT text FROM take_notes WHERE take_id = ?1",
            params![damaged.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(notes, ["ask Luma for this one again"]);
}

#[test]
fn a_symlink_put_over_a_known_file_marks_its_take_missing_with_the_reason() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    let clip = lib.clips.join("SH010_flash_t1.mp4");
    unique_copy(&src, &clip, 1);
    lib.scan();
    let take = lib.take_at(&clip).unwrap();
    std::fs::remove_file(&clip).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", &clip).unwrap();
    let report = lib.scan();
    assert!(
        report
            .skipped
            .iter()
            .any(|n| n.path == clip && n.reason.contains("symbolic link")),
        "{report:?}"
    );
    let now = lib.takes().into_iter().find(|t| t.id == take.id).unwrap();
    assert_eq!(
        now.presence,
        Presence::Missing,
        "not present through a link"
    );
    let cat = lib.cat.lock().unwrap();
    let why: String = cat
        .conn()
        .query_row(
            "SELECT json_extract(detail_json, '$.why') FROM events WHERE kind = 'take.missing' AND take_id = ?1",
            params![take.id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(why.contains("symbolic link"), "{why}");
}

#[test]
fn a_fifo_put_over_a_known_file_marks_its_take_missing_without_blocking_the_watcher() {
    let lib = TestLibrary::new();
    let src = source_clip(&lib, "src.mp4");
    let clip = lib.clips.join("SH010_flash_t1.mp4");
    unique_copy(&src, &clip, 1);
    let (watch, _events) = start_watch(&lib);
    lib.wait_for(WAIT, "the take", |t| t.len() == 1);
    let fifo = lib.clips.join(".swap");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::rename(&fifo, &clip).unwrap();
    unique_copy(&src, &lib.clips.join("SH020_flash_t1.mp4"), 2);
    let takes = lib.wait_for(WAIT, "the FIFO judged and the next file indexed", |t| {
        t.len() == 2
            && t.iter()
                .any(|t| t.file.path == clip && t.presence == Presence::Missing)
    });
    watch.stop();
    assert!(takes
        .iter()
        .any(|t| t.shot_code == "SH020" && t.presence == Presence::Present));
}
