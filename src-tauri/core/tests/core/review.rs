//! Review decisions against a real SQLite library: approval idempotency (one process and
//! concurrent connections), withdrawal rules, finals, trims, notes, shot state, request
//! bodies and credits.

use crate::support::studio::StudioDb;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::{Arc, Barrier};
use takeboard_core::catalog::projects::{load_settings, save_settings};
use takeboard_core::catalog::spend::credits;
use takeboard_core::catalog::sql::{params, Sql, SqlExt};
use takeboard_core::catalog::{now_text, Catalog};
use takeboard_core::domain::{
    ProjectId, RenderMode, RequestId, RequestState, Resolution, ShotId, ShotState, TakeId,
    TakeStatus,
};
use takeboard_core::review::{self, ApproveOptions, ReviewError};
use takeboard_core::settings::ProjectSettings;

type TestResult = Result<(), Box<dyn std::error::Error>>;

// --- Fixture: plain SQL rows, the same on both engines. ---

/// Where a test's library lives: a SQLite file of its own, or a fresh database on the
/// binary's throwaway PostgreSQL server.
#[derive(Debug, Clone, Copy)]
enum Engine {
    Sqlite,
    Postgres,
}

/// How to open the library again (another connection, as another process would).
#[derive(Clone)]
enum Place {
    File(PathBuf),
    Studio(String),
}

impl Place {
    fn open(&self) -> Catalog {
        match self {
            Place::File(path) => Catalog::open(path).expect("open library"),
            Place::Studio(url) => {
                Catalog::open_studio(&url.parse().expect("url")).expect("open studio library")
            }
        }
    }
}

struct Library {
    _dir: tempfile::TempDir,
    _studio: Option<StudioDb>,
    place: Place,
    cat: Catalog,
    project: ProjectId,
}

fn library(engine: Engine) -> Library {
    let dir = tempfile::tempdir().expect("temp dir");
    let (studio, place) = match engine {
        Engine::Sqlite => (None, Place::File(dir.path().join("library.db"))),
        Engine::Postgres => {
            let db = StudioDb::new();
            let url = db.url();
            (Some(db), Place::Studio(url))
        }
    };
    let cat = place.open();
    let project = cat
        .conn()
        .query_row(
            "INSERT INTO projects (name, created_at) VALUES ('test', ?1) RETURNING id",
            params![now_text()],
            |r| r.get(0),
        )
        .expect("insert project");
    Library {
        _dir: dir,
        _studio: studio,
        place,
        cat,
        project,
    }
}

/// A take row: only what review reads.
struct TakeSpec {
    origin: &'static str,
    file: &'static str,
    duration_s: f64,
    frames: i64,
    generation_id: Option<&'static str>,
    prompt: Option<&'static str>,
    resolution: Option<&'static str>,
    stored_json: Option<Value>,
}

fn flash(file: &'static str) -> TakeSpec {
    TakeSpec {
        origin: "flash",
        file,
        duration_s: 5.041667,
        frames: 121,
        generation_id: None,
        prompt: None,
        resolution: None,
        stored_json: None,
    }
}

/// The Flash generation object exactly as `GET /generations/{id}` returns it.
fn flash_generation() -> Value {
    json!({
        "id": "0b1c2d3e-flash",
        "generation_type": "video",
        "state": "completed",
        "model": "ray-flash-2",
        "assets": { "video": "https://storage.cdn-luma.com/dream-machine/a/b/flash.mp4" },
        "request": {
            "generation_type": "video",
            "model": "ray-flash-2",
            "prompt": "neon alley at night, rain",
            "aspect_ratio": "21:9",
            "resolution": "720p",
            "duration": "5s",
            "loop": false,
            "keyframes": { "frame0": { "type": "image", "url": "https://example.com/start.jpg" } },
            "concepts": [{ "key": "dolly_zoom" }]
        },
        "unknown_field": 1
    })
}

fn sidecar_flash(file: &'static str) -> TakeSpec {
    TakeSpec {
        generation_id: Some("0b1c2d3e-flash"),
        prompt: Some("neon alley at night, rain"),
        resolution: Some("720p"),
        stored_json: Some(flash_generation()),
        ..flash(file)
    }
}

impl Library {
    fn shot(&self, code: &str, position: i64) -> ShotId {
        self.cat
            .conn()
            .query_row(
                "INSERT INTO shots (project_id, code, name, position, created_at)
                 VALUES (?1, ?2, ?2, ?3, ?4) RETURNING id",
                params![self.project, code, position, now_text()],
                |r| r.get(0),
            )
            .expect("insert shot")
    }

    fn take(&self, shot: ShotId, spec: TakeSpec) -> TakeId {
        let now = now_text();
        self.cat
            .conn()
            .query_row(
                "INSERT INTO takes (project_id, shot_id, content_hash, path, size, mtime_ns,
                    duration_s, frames, fps_num, fps_den, width, height, codec, has_audio,
                    origin, generation_id, prompt, resolution, request_json,
                    first_seen_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 1000, 0, ?5, ?6, 24, 1, 1280, 720, 'h264', 0,
                    ?7, ?8, ?9, ?10, ?11, ?12, ?12) RETURNING id",
                params![
                    self.project,
                    shot,
                    format!("blake3:{}", spec.file),
                    format!("/footage/{}", spec.file),
                    spec.duration_s,
                    spec.frames,
                    spec.origin,
                    spec.generation_id,
                    spec.prompt,
                    spec.resolution,
                    spec.stored_json.map(|v| v.to_string()),
                    now
                ],
                |r| r.get(0),
            )
            .expect("insert take")
    }

    /// What the outbox does when it sends a request.
    fn mark_request(
        &self,
        request_id: RequestId,
        state: RequestState,
        result_take: Option<TakeId>,
    ) {
        self.cat
            .conn()
            .execute(
                "UPDATE render_requests SET state = ?2, result_take_id = ?3 WHERE id = ?1",
                params![request_id, state.as_str(), result_take],
            )
            .expect("update request");
    }

    fn count(&self, sql: &str) -> i64 {
        self.cat
            .conn()
            .query_row(sql, params![], |r| r.get(0))
            .expect("count")
    }

    fn event_kinds(&self) -> Vec<String> {
        self.cat
            .conn()
            .query_map(
                "SELECT kind FROM events WHERE kind <> 'project.settings_saved' ORDER BY id",
                params![],
                |r| r.get(0),
            )
            .expect("event kinds")
    }

    fn settings(&mut self, edit: impl FnOnce(&mut ProjectSettings)) {
        let project = self.project;
        let mut s = load_settings(self.cat.conn(), project).expect("load settings");
        edit(&mut s);
        self.cat
            .write(|tx| save_settings(tx, project, &s))
            .expect("save settings");
    }
}

// --- Approval: exactly one request. ---

fn approving_a_flash_take_twice_returns_the_same_render_request(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let take = lib.take(shot, sidecar_flash("a.mp4"));

    let first = review::approve(&mut lib.cat, take, ApproveOptions::default())?;
    let second = review::approve(&mut lib.cat, take, ApproveOptions::default())?;

    let (r1, r2) = (first.request.unwrap(), second.request.unwrap());
    assert!(!first.already_approved);
    assert!(second.already_approved, "the double click is a success");
    assert_eq!(r1.id, r2.id, "same request");
    assert_eq!(r1.idempotency_key, r2.idempotency_key, "same key");
    assert_eq!(r1.state, RequestState::Queued);
    assert_eq!(lib.count("SELECT count(*) FROM render_requests"), 1);
    assert_eq!(
        lib.event_kinds(),
        ["take.approved"],
        "the second click decided nothing"
    );
    assert_eq!(
        review::decision(lib.cat.conn(), take)?.status,
        TakeStatus::Approved
    );
    Ok(())
}

fn connections_approving_the_same_take_at_once_record_exactly_one_request(
    engine: Engine,
) -> TestResult {
    let lib = library(engine);
    let shot = lib.shot("SH010", 1);
    for round in 0..4 {
        let file: &'static str = ["a.mp4", "b.mp4", "c.mp4", "d.mp4"][round];
        let take = lib.take(shot, sidecar_flash(file));
        let contenders = 4;
        let barrier = Arc::new(Barrier::new(contenders));
        let handles: Vec<_> = (0..contenders)
            .map(|_| {
                let (place, barrier) = (lib.place.clone(), barrier.clone());
                std::thread::spawn(move || {
                    // Each thread is its own writer, as a second process would be.
                    let mut cat = place.open();
                    barrier.wait();
                    review::approve(&mut cat, take, ApproveOptions::default())
                        .map(|a| (a.request.unwrap(), a.already_approved))
                })
            })
            .collect();
        let results: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().expect("thread").expect("approve"))
            .collect();

        let ids: Vec<_> = results.iter().map(|(r, _)| r.id).collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "one request: {ids:?}");
        let keys: Vec<_> = results.iter().map(|(r, _)| &r.idempotency_key).collect();
        assert!(keys.iter().all(|k| *k == keys[0]), "one key: {keys:?}");
        assert_eq!(
            results.iter().filter(|(_, already)| !already).count(),
            1,
            "exactly one contender created it"
        );
        assert_eq!(
            lib.count(&format!(
                "SELECT count(*) FROM render_requests WHERE source_take_id = {take}"
            )),
            1
        );
    }
    assert_eq!(
        lib.count("SELECT count(*) FROM render_requests WHERE state = 'queued'"),
        1,
        "each new approval moved the mark and cancelled the previous queued request"
    );
    Ok(())
}

fn approving_another_flash_take_moves_the_mark_and_cancels_the_first_request(
    engine: Engine,
) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let a = lib.take(shot, sidecar_flash("a.mp4"));
    let b = lib.take(shot, sidecar_flash("b.mp4"));

    let first = review::approve(&mut lib.cat, a, ApproveOptions::default())?;
    let second = review::approve(&mut lib.cat, b, ApproveOptions::default())?;

    let (ra, rb) = (first.request.unwrap(), second.request.unwrap());
    assert_ne!(ra.id, rb.id);
    assert_eq!(
        review::request(lib.cat.conn(), ra.id)?.state,
        RequestState::Cancelled
    );
    assert_eq!(
        review::decision(lib.cat.conn(), a)?.status,
        TakeStatus::Selected
    );
    assert_eq!(
        review::decision(lib.cat.conn(), b)?.status,
        TakeStatus::Approved
    );
    assert_eq!(
        lib.event_kinds(),
        [
            "take.approved",
            "render.cancelled",
            "take.unapproved",
            "take.approved"
        ]
    );
    let moved: String = lib.cat.conn().query_row(
        "SELECT detail_json FROM events WHERE kind = 'take.unapproved'",
        params![],
        |r| r.get(0),
    )?;
    let moved: Value = serde_json::from_str(&moved)?;
    assert_eq!(
        moved["to_take"],
        json!(b),
        "the log says where the mark went"
    );
    assert_eq!(moved["cancelled_request"], json!(ra.id));
    Ok(())
}

fn unapproving_cancels_the_queued_request(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let take = lib.take(shot, sidecar_flash("a.mp4"));
    let request = review::approve(&mut lib.cat, take, ApproveOptions::default())?
        .request
        .unwrap();

    let decision = review::unapprove(&mut lib.cat, take)?;

    assert_eq!(decision.status, TakeStatus::Selected);
    assert_eq!(
        review::request(lib.cat.conn(), request.id)?.state,
        RequestState::Cancelled
    );
    assert_eq!(
        lib.event_kinds(),
        ["take.approved", "render.cancelled", "take.unapproved"]
    );

    let again = review::approve(&mut lib.cat, take, ApproveOptions::default())?;
    let renewed = again.request.unwrap();
    assert_ne!(renewed.id, request.id, "a cancelled request is history");
    assert_ne!(renewed.idempotency_key, request.idempotency_key);
    Ok(())
}

fn unapproving_after_submission_is_refused_and_changes_nothing(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let take = lib.take(shot, sidecar_flash("a.mp4"));
    let request = review::approve(&mut lib.cat, take, ApproveOptions::default())?
        .request
        .unwrap();
    lib.mark_request(request.id, RequestState::Submitted, None);
    let events_before = lib.event_kinds();

    let err = review::unapprove(&mut lib.cat, take).unwrap_err();

    assert!(
        matches!(err, ReviewError::AlreadySubmitted { request_id } if request_id == request.id)
    );
    let message = err.to_string();
    assert!(
        message.contains(&format!("#{}", request.id)) && message.contains("cancel it in Luma"),
        "{message}"
    );
    assert_eq!(
        review::decision(lib.cat.conn(), take)?.status,
        TakeStatus::Approved
    );
    assert_eq!(
        review::request(lib.cat.conn(), request.id)?.state,
        RequestState::Submitted
    );
    assert_eq!(lib.event_kinds(), events_before, "nothing was logged");

    let err = review::set_status(&mut lib.cat, take, TakeStatus::Rejected).unwrap_err();
    assert!(matches!(err, ReviewError::AlreadySubmitted { .. }));
    let err = review::cancel_request(&mut lib.cat, request.id).unwrap_err();
    assert!(matches!(err, ReviewError::AlreadySubmitted { .. }));
    Ok(())
}

fn moving_the_approval_off_a_sent_request_is_refused_and_changes_nothing(
    engine: Engine,
) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let a = lib.take(shot, sidecar_flash("a.mp4"));
    let b = lib.take(shot, sidecar_flash("b.mp4"));
    let request = review::approve(&mut lib.cat, a, ApproveOptions::default())?
        .request
        .unwrap();
    lib.mark_request(request.id, RequestState::Unknown, None);

    let err = review::approve(&mut lib.cat, b, ApproveOptions::default()).unwrap_err();

    assert!(
        matches!(err, ReviewError::Uncertain { request_id } if request_id == request.id),
        "{err}"
    );
    assert_eq!(
        review::decision(lib.cat.conn(), b)?.status,
        TakeStatus::Unreviewed
    );
    assert_eq!(
        review::decision(lib.cat.conn(), a)?.status,
        TakeStatus::Approved
    );
    assert_eq!(lib.count("SELECT count(*) FROM render_requests"), 1);
    Ok(())
}

fn approving_a_standard_take_marks_it_final_and_moves_the_final_mark(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let one = lib.take(
        shot,
        TakeSpec {
            origin: "standard",
            ..flash("std1.mp4")
        },
    );
    let two = lib.take(
        shot,
        TakeSpec {
            origin: "standard",
            ..flash("std2.mp4")
        },
    );

    let first = review::approve(&mut lib.cat, one, ApproveOptions::default())?;
    assert!(first.became_final && first.request.is_none() && !first.already_approved);
    let again = review::approve(&mut lib.cat, one, ApproveOptions::default())?;
    assert!(again.already_approved);
    review::approve(&mut lib.cat, two, ApproveOptions::default())?;

    assert!(!review::decision(lib.cat.conn(), one)?.is_final);
    assert!(review::decision(lib.cat.conn(), two)?.is_final);
    assert_eq!(
        lib.count("SELECT count(*) FROM take_decisions WHERE is_final = 1"),
        1
    );
    assert_eq!(lib.count("SELECT count(*) FROM render_requests"), 0);
    assert_eq!(
        lib.event_kinds(),
        [
            "take.approved",
            "take.final_marked",
            "take.approved",
            "take.final_cleared",
            "take.final_marked"
        ]
    );

    let cleared = review::unapprove(&mut lib.cat, two)?;
    assert!(!cleared.is_final && cleared.status == TakeStatus::Selected);
    Ok(())
}

fn mark_final_moves_the_mark_and_clear_final_removes_it(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let a = lib.take(shot, flash("a.mp4"));
    let b = lib.take(shot, flash("b.mp4"));

    assert!(review::mark_final(&mut lib.cat, a)?.is_final);
    assert!(review::mark_final(&mut lib.cat, b)?.is_final);
    assert!(!review::decision(lib.cat.conn(), a)?.is_final);
    assert!(!review::clear_final(&mut lib.cat, b)?.is_final);
    assert_eq!(
        lib.event_kinds(),
        [
            "take.final_marked",
            "take.final_cleared",
            "take.final_marked",
            "take.final_cleared"
        ]
    );
    Ok(())
}

fn set_status_refuses_approved_and_rejecting_an_approved_take_cancels_its_request(
    engine: Engine,
) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let take = lib.take(shot, sidecar_flash("a.mp4"));

    let err = review::set_status(&mut lib.cat, take, TakeStatus::Approved).unwrap_err();
    assert!(matches!(err, ReviewError::UseApprove(t) if t == take));
    assert_eq!(lib.count("SELECT count(*) FROM events"), 0);

    let held = review::set_status(&mut lib.cat, take, TakeStatus::Hold)?;
    assert_eq!(held.status, TakeStatus::Hold);
    assert!(held.decided_by.is_some() && held.decided_at.is_some());

    let request = review::approve(&mut lib.cat, take, ApproveOptions::default())?
        .request
        .unwrap();
    let rejected = review::set_status(&mut lib.cat, take, TakeStatus::Rejected)?;
    assert_eq!(rejected.status, TakeStatus::Rejected);
    assert_eq!(
        review::request(lib.cat.conn(), request.id)?.state,
        RequestState::Cancelled
    );
    assert_eq!(
        lib.event_kinds(),
        [
            "take.status_changed",
            "take.approved",
            "render.cancelled",
            "take.unapproved"
        ]
    );
    Ok(())
}

fn an_unknown_or_missing_take_cannot_be_approved_and_nothing_is_recorded(
    engine: Engine,
) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let take = lib.take(shot, flash("a.mp4"));
    lib.cat.conn().execute(
        "UPDATE takes SET presence = 'missing' WHERE id = ?1",
        params![take],
    )?;

    let err = review::approve(&mut lib.cat, take, ApproveOptions::default()).unwrap_err();
    assert!(matches!(err, ReviewError::NotApprovable { .. }));
    assert!(err.to_string().contains("missing"), "{err}");
    let err = review::approve(&mut lib.cat, TakeId(9999), ApproveOptions::default()).unwrap_err();
    assert!(matches!(err, ReviewError::TakeNotFound(TakeId(9999))));
    assert_eq!(lib.count("SELECT count(*) FROM render_requests"), 0);
    assert_eq!(lib.count("SELECT count(*) FROM take_decisions"), 0);
    assert_eq!(lib.count("SELECT count(*) FROM events"), 0);
    Ok(())
}

fn a_bad_resolution_is_refused_before_anything_is_recorded(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let take = lib.take(shot, sidecar_flash("a.mp4"));
    let options = ApproveOptions {
        mode: Some(RenderMode::Upscale),
        resolution: Some("720p".into()),
    };

    let err = review::approve(&mut lib.cat, take, options).unwrap_err();

    assert!(err.to_string().contains("1080p or 4k"), "{err}");
    assert_eq!(
        review::decision(lib.cat.conn(), take)?.status,
        TakeStatus::Unreviewed
    );
    assert_eq!(lib.count("SELECT count(*) FROM render_requests"), 0);
    Ok(())
}

// --- Cancel. ---

fn cancelling_works_only_while_queued(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let take = lib.take(shot, sidecar_flash("a.mp4"));
    let request = review::approve(&mut lib.cat, take, ApproveOptions::default())?
        .request
        .unwrap();

    let cancelled = review::cancel_request(&mut lib.cat, request.id)?;
    assert_eq!(cancelled.state, RequestState::Cancelled);
    assert!(cancelled.finished_at.is_some());
    assert_eq!(
        review::cancel_request(&mut lib.cat, request.id)?.state,
        RequestState::Cancelled,
        "cancelling twice is harmless"
    );
    assert_eq!(
        review::decision(lib.cat.conn(), take)?.status,
        TakeStatus::Approved,
        "the take stays approved"
    );
    assert_eq!(
        review::shot_state(lib.cat.conn(), shot)?,
        ShotState::Approved
    );

    let renewed = review::approve(
        &mut lib.cat,
        take,
        ApproveOptions {
            mode: Some(RenderMode::Modify),
            resolution: None,
        },
    )?
    .request
    .unwrap();
    assert_ne!(renewed.id, request.id, "edited settings, new request");
    assert_eq!(renewed.draft.mode, RenderMode::Modify);

    lib.mark_request(renewed.id, RequestState::Completed, None);
    let err = review::cancel_request(&mut lib.cat, renewed.id).unwrap_err();
    assert!(matches!(
        err,
        ReviewError::NotCancellable {
            state: RequestState::Completed,
            ..
        }
    ));
    assert!(matches!(
        review::cancel_request(&mut lib.cat, RequestId(4242)).unwrap_err(),
        ReviewError::RequestNotFound(RequestId(4242))
    ));
    Ok(())
}

// --- Trims and notes. ---

fn trims_are_frames_within_the_take_with_in_before_out(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let take = lib.take(shot, flash("a.mp4")); // 121 frames

    let set = review::set_trim(&mut lib.cat, take, Some(12), Some(121))?;
    assert_eq!((set.trim_in, set.trim_out), (Some(12), Some(121)));

    for (i, o, says) in [
        (Some(50), Some(50), "before the out point"),
        (Some(60), Some(20), "before the out point"),
        (None, Some(122), "past the end of the take (121 frames)"),
        (Some(121), None, "past the take's last frame (120)"),
        (None, Some(0), "exclusive"),
    ] {
        let err = review::set_trim(&mut lib.cat, take, i, o).unwrap_err();
        assert!(matches!(err, ReviewError::InvalidTrim(_)));
        assert!(err.to_string().contains(says), "{err}");
    }
    let kept = review::decision(lib.cat.conn(), take)?;
    assert_eq!(
        (kept.trim_in, kept.trim_out),
        (Some(12), Some(121)),
        "refused trims change nothing"
    );

    let cleared = review::set_trim(&mut lib.cat, take, None, None)?;
    assert_eq!((cleared.trim_in, cleared.trim_out), (None, None));
    assert_eq!(lib.event_kinds(), ["take.trim_set", "take.trim_set"]);
    Ok(())
}

fn notes_are_anchored_to_frames_of_the_take(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let take = lib.take(shot, flash("a.mp4"));

    review::add_note(&mut lib.cat, take, 96, "hand melts here")?;
    let first = review::add_note(&mut lib.cat, take, 3, "  <b>flicker</b> & pop  ")?;
    assert_eq!(
        first.text, "<b>flicker</b> & pop",
        "stored verbatim, trimmed"
    );

    let err = review::add_note(&mut lib.cat, take, 121, "past the end").unwrap_err();
    assert!(err.to_string().contains("last frame (120)"), "{err}");
    let err = review::add_note(&mut lib.cat, take, 0, "   ").unwrap_err();
    assert!(matches!(err, ReviewError::InvalidNote(_)));

    let notes = review::notes(lib.cat.conn(), take)?;
    let frames: Vec<_> = notes.iter().map(|n| (n.frame, n.text.as_str())).collect();
    assert_eq!(
        frames,
        [(3, "<b>flicker</b> & pop"), (96, "hand melts here")]
    );
    assert_eq!(lib.event_kinds(), ["take.note_added", "take.note_added"]);
    Ok(())
}

// --- Shot state. ---

fn a_shot_goes_from_exploring_to_final(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let other = lib.shot("SH020", 2);
    let flash_take = lib.take(shot, sidecar_flash("a.mp4"));
    let state = |lib: &Library| review::shot_state(lib.cat.conn(), shot).unwrap();

    assert_eq!(state(&lib), ShotState::Exploring);
    review::set_status(&mut lib.cat, flash_take, TakeStatus::Selected)?;
    assert_eq!(state(&lib), ShotState::Exploring);

    let request = review::approve(&mut lib.cat, flash_take, ApproveOptions::default())?
        .request
        .unwrap();
    assert_eq!(state(&lib), ShotState::Approved);

    lib.mark_request(request.id, RequestState::Submitted, None);
    assert_eq!(state(&lib), ShotState::Rendering);
    lib.mark_request(request.id, RequestState::Completed, None);
    assert_eq!(
        state(&lib),
        ShotState::Rendering,
        "completed, but the render has not landed in the folder yet"
    );

    let standard = lib.take(
        shot,
        TakeSpec {
            origin: "standard",
            ..flash("std.mp4")
        },
    );
    lib.mark_request(request.id, RequestState::Completed, Some(standard));
    assert_eq!(state(&lib), ShotState::Rendered);

    review::approve(&mut lib.cat, standard, ApproveOptions::default())?;
    assert_eq!(state(&lib), ShotState::Final);

    assert_eq!(
        review::shot_states(lib.cat.conn(), lib.project)?,
        [(shot, ShotState::Final), (other, ShotState::Exploring)]
    );
    assert!(matches!(
        review::shot_state(lib.cat.conn(), ShotId(777)).unwrap_err(),
        ReviewError::ShotNotFound(ShotId(777))
    ));
    Ok(())
}

// --- Request bodies. ---

fn regenerate_copies_the_flash_request_with_ray_2(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let take = lib.take(shot, sidecar_flash("a.mp4"));

    let request = review::approve(&mut lib.cat, take, ApproveOptions::default())?
        .request
        .unwrap();

    assert_eq!(
        request.draft.body,
        json!({
            "generation_type": "video",
            "model": "ray-2",
            "prompt": "neon alley at night, rain",
            "aspect_ratio": "21:9",
            "resolution": "720p",
            "duration": "5s",
            "loop": false,
            "keyframes": { "frame0": { "type": "image", "url": "https://example.com/start.jpg" } },
            "concepts": [{ "key": "dolly_zoom" }]
        })
    );
    assert_eq!(request.draft.endpoint, "generations/video");
    assert_eq!(request.draft.mode, RenderMode::Regenerate);
    assert_eq!(request.draft.model, "ray-2");
    assert_eq!(request.draft.duration_s, 5);
    assert_eq!(request.draft.credits_estimate, 160);
    assert!(
        request.draft.missing.is_empty(),
        "{:?}",
        request.draft.missing
    );
    assert_eq!(request.shot_code, "SH010");
    Ok(())
}

fn modify_points_ray_2_at_the_flash_video_in_adhere_mode(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let with_url = lib.take(shot, sidecar_flash("a.mp4"));
    let request_only = lib.take(
        shot,
        TakeSpec {
            stored_json: Some(flash_generation()["request"].clone()),
            ..sidecar_flash("b.mp4")
        },
    );
    let modify = || ApproveOptions {
        mode: Some(RenderMode::Modify),
        resolution: None,
    };

    let request = review::approve(&mut lib.cat, with_url, modify())?
        .request
        .unwrap();
    assert_eq!(
        request.draft.body,
        json!({
            "generation_type": "modify_video",
            "model": "ray-2",
            "mode": "adhere_1",
            "media": { "url": "https://storage.cdn-luma.com/dream-machine/a/b/flash.mp4" },
            "prompt": "neon alley at night, rain"
        })
    );
    assert_eq!(request.draft.endpoint, "generations/video/modify");
    assert_eq!(request.draft.resolution, Resolution::R720p);
    assert_eq!(request.draft.credits_estimate, 160);
    assert!(
        request.draft.missing.is_empty(),
        "{:?}",
        request.draft.missing
    );

    let without_url = review::approve(&mut lib.cat, request_only, modify())?
        .request
        .unwrap();
    assert!(without_url.draft.body.get("media").is_none());
    assert!(
        without_url
            .draft
            .missing
            .iter()
            .any(|m| m.starts_with("media.url")),
        "{:?}",
        without_url.draft.missing
    );
    Ok(())
}

fn upscale_is_sent_to_the_flash_generation(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let take = lib.take(shot, sidecar_flash("a.mp4"));
    let options = ApproveOptions {
        mode: Some(RenderMode::Upscale),
        resolution: Some("4K".into()),
    };

    let request = review::approve(&mut lib.cat, take, options)?
        .request
        .unwrap();

    assert_eq!(
        request.draft.body,
        json!({ "generation_type": "upscale_video", "resolution": "4k" })
    );
    assert_eq!(request.draft.endpoint, "generations/0b1c2d3e-flash/upscale");
    assert_eq!(request.draft.model, "ray-flash-2", "same take, same model");
    assert_eq!(request.draft.credits_estimate, 20);
    Ok(())
}

fn a_take_without_a_sidecar_promotes_from_what_is_known(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    let shot = lib.shot("SH010", 1);
    let take = lib.take(
        shot,
        TakeSpec {
            origin: "unknown",
            duration_s: 9.2,
            frames: 221,
            prompt: Some("fly fishing"),
            ..flash("2026-01-07T01-36-13_fly_fishing.mp4")
        },
    );
    lib.settings(|s| s.default_resolution = Resolution::R1080p);

    let request = review::approve(&mut lib.cat, take, ApproveOptions::default())?
        .request
        .unwrap();

    assert_eq!(
        request.draft.body,
        json!({
            "generation_type": "video",
            "model": "ray-2",
            "prompt": "fly fishing",
            "aspect_ratio": "16:9",
            "resolution": "1080p",
            "duration": "9s"
        })
    );
    assert_eq!(request.draft.credits_estimate, 9 * 32);
    let missing = request.draft.missing.join("\n");
    for says in [
        "prompt: no Luma sidecar",
        "16:9 was read from the frame size",
        "9 s read from the file",
        "keyframes and camera concepts",
    ] {
        assert!(missing.contains(says), "{says:?} not in:\n{missing}");
    }
    Ok(())
}

// --- Credits and budget. ---

fn a_five_second_flash_take_costs_55_and_its_standard_request_160(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    let sh010 = lib.shot("SH010", 1);
    let sh020 = lib.shot("SH020", 2);
    let take = lib.take(sh010, sidecar_flash("a.mp4"));
    lib.take(sh010, flash("b.mp4"));
    lib.take(
        sh020,
        TakeSpec {
            origin: "unknown",
            ..flash("mystery.mp4")
        },
    );

    let before = credits(lib.cat.conn(), lib.project)?;
    assert_eq!(
        (before.spent, before.pending),
        (110, 0),
        "two Flash takes of 5 s"
    );

    review::approve(&mut lib.cat, take, ApproveOptions::default())?;
    let report = credits(lib.cat.conn(), lib.project)?;

    assert_eq!(report.spent, 110);
    assert_eq!(report.pending, 160);
    assert!((report.pending_usd - 0.40).abs() < 1e-9);
    assert_eq!(report.budget, None);
    assert!(!report.over_budget);
    let per_shot: Vec<_> = report
        .per_shot
        .iter()
        .map(|s| (s.shot_id, s.spent, s.pending))
        .collect();
    assert_eq!(
        per_shot,
        [(sh010, 110, 160), (sh020, 0, 0)],
        "a take of unknown model is not priced"
    );
    Ok(())
}

fn a_request_past_the_budget_is_recorded_with_a_warning(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    let sh010 = lib.shot("SH010", 1);
    let sh020 = lib.shot("SH020", 2);
    let a = lib.take(sh010, sidecar_flash("a.mp4"));
    let c = lib.take(sh020, sidecar_flash("c.mp4"));
    lib.settings(|s| s.budget = Some(400));

    let within = review::approve(&mut lib.cat, a, ApproveOptions::default())?;
    assert_eq!(within.budget_warning, None, "110 spent + 160 pending = 270");

    let past = review::approve(&mut lib.cat, c, ApproveOptions::default())?;
    let request = past.request.unwrap();
    let warning = past.budget_warning.expect("110 + 320 = 430 > 400");
    assert_eq!(
        warning,
        format!(
            "render request #{} (160 credits) brings the project to 430 credits (110 spent + 320 pending), past its budget of 400 credits",
            request.id
        )
    );
    assert_eq!(
        request.state,
        RequestState::Queued,
        "a warning, not a refusal"
    );
    let report = credits(lib.cat.conn(), lib.project)?;
    assert_eq!(report.budget, Some(400));
    assert!(report.over_budget);

    let again = review::approve(&mut lib.cat, c, ApproveOptions::default())?;
    assert_eq!(
        again.budget_warning, None,
        "warned once, when the request was made"
    );
    Ok(())
}

// --- Settings. ---

fn settings_round_trip_and_unreadable_settings_are_a_clear_error(engine: Engine) -> TestResult {
    let mut lib = library(engine);
    assert_eq!(
        load_settings(lib.cat.conn(), lib.project)?,
        ProjectSettings::default()
    );
    lib.settings(|s| {
        s.pricing.standard_per_second = 40;
        s.default_mode = RenderMode::Modify;
        s.budget = Some(5000);
    });
    let stored = load_settings(lib.cat.conn(), lib.project)?;
    assert_eq!(stored.pricing.standard_per_second, 40);
    assert_eq!(stored.default_mode, RenderMode::Modify);
    assert_eq!(stored.budget, Some(5000));

    let project = lib.project;
    let mut bad = stored.clone();
    bad.pricing.flash_per_second = -11;
    let err = lib
        .cat
        .write(|tx| save_settings(tx, project, &bad))
        .unwrap_err();
    assert!(
        err.to_string().contains("cannot be negative (got -11)"),
        "{err}"
    );
    assert_eq!(
        load_settings(lib.cat.conn(), project)?,
        stored,
        "a refused save keeps the old settings"
    );

    lib.cat.conn().execute(
        "UPDATE projects SET settings_json = '{\"budget\": \"lots\"' WHERE id = ?1",
        params![project],
    )?;
    let err = load_settings(lib.cat.conn(), project).unwrap_err();
    assert!(
        err.to_string().contains("settings of project") && err.to_string().contains("reset"),
        "{err}"
    );
    assert!(
        load_settings(lib.cat.conn(), ProjectId(999)).is_err(),
        "unknown project"
    );
    Ok(())
}

/// Every test above, once on each engine: `review::sqlite::…` and `review::postgres::…`.
/// (A test left out of this list is dead code, which the lint refuses.)
macro_rules! on_both_engines {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() -> super::TestResult {
                super::$name(super::Engine::Sqlite)
            })+
        }
        mod postgres {
            $(#[test]
            fn $name() -> super::TestResult {
                super::$name(super::Engine::Postgres)
            })+
        }
    };
}

on_both_engines!(
    approving_a_flash_take_twice_returns_the_same_render_request,
    connections_approving_the_same_take_at_once_record_exactly_one_request,
    approving_another_flash_take_moves_the_mark_and_cancels_the_first_request,
    unapproving_cancels_the_queued_request,
    unapproving_after_submission_is_refused_and_changes_nothing,
    moving_the_approval_off_a_sent_request_is_refused_and_changes_nothing,
    approving_a_standard_take_marks_it_final_and_moves_the_final_mark,
    mark_final_moves_the_mark_and_clear_final_removes_it,
    set_status_refuses_approved_and_rejecting_an_approved_take_cancels_its_request,
    an_unknown_or_missing_take_cannot_be_approved_and_nothing_is_recorded,
    a_bad_resolution_is_refused_before_anything_is_recorded,
    cancelling_works_only_while_queued,
    trims_are_frames_within_the_take_with_in_before_out,
    notes_are_anchored_to_frames_of_the_take,
    a_shot_goes_from_exploring_to_final,
    regenerate_copies_the_flash_request_with_ray_2,
    modify_points_ray_2_at_the_flash_video_in_adhere_mode,
    upscale_is_sent_to_the_flash_generation,
    a_take_without_a_sidecar_promotes_from_what_is_known,
    a_five_second_flash_take_costs_55_and_its_standard_request_160,
    a_request_past_the_budget_is_recorded_with_a_warning,
    settings_round_trip_and_unreadable_settings_are_a_clear_error,
);
