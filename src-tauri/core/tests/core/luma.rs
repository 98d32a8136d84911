//! The Luma client and the render outbox against a local stand-in of the API: the provider
//! failure matrix, the rate limits, crash recovery, and a render linked to its shot.

use crate::support::luma_standin::{asset_bytes, Fault, LumaStandIn, Route};
use serde_json::{json, Value};
use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use takeboard_core::catalog::requests::link_result;
use takeboard_core::catalog::sql::{params, Sql, SqlExt};
use takeboard_core::catalog::{Catalog, SharedCatalog};
use takeboard_core::domain::{ProjectId, RequestId, RequestState, ShotId, TakeId};
use takeboard_core::render::luma::{CreateEndpoint, LumaClient, LumaError, Timeouts};
use takeboard_core::render::outbox::{
    candidates, export_queued, lookup_unknown, poll, recover_interrupted, resolve_request, Clock,
    Hold, Limits, Outbox, OutboxError, Resolution, SubmitScope,
};

const KEY: &str = "luma-test-key";

/// A clock whose sleeps only move its own time forward, and are recorded.
struct TestClock {
    start: Instant,
    elapsed: Cell<Duration>,
    sleeps: RefCell<Vec<Duration>>,
}

impl TestClock {
    fn new() -> TestClock {
        TestClock {
            start: Instant::now(),
            elapsed: Cell::new(Duration::ZERO),
            sleeps: RefCell::new(Vec::new()),
        }
    }
    fn advance(&self, by: Duration) {
        self.elapsed.set(self.elapsed.get() + by);
    }
    fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.borrow().clone()
    }
}

impl Clock for TestClock {
    fn now(&self) -> Instant {
        self.start + self.elapsed.get()
    }
    fn sleep(&self, duration: Duration) {
        self.sleeps.borrow_mut().push(duration);
        self.advance(duration);
    }
}

/// A library with one project, one watched folder, shot SH010 (and an Unsorted shot).
struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
    watched: PathBuf,
    cat: Catalog,
    project: ProjectId,
    shot: ShotId,
    unsorted: ShotId,
    takes: Cell<i64>,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("library.db");
        let watched = dir.path().join("Downloads");
        std::fs::create_dir(&watched).unwrap();
        let cat = Catalog::open(&db).unwrap();
        let now = "2026-05-01T10:00:00Z";
        let conn = cat.conn();
        let project: i64 = conn
            .query_row(
                "INSERT INTO projects (name, created_at) VALUES ('Spot', ?1) RETURNING id",
                params![now],
                |r| r.get(0),
            )
            .unwrap();
        conn.execute(
            "INSERT INTO watched_folders (project_id, path, added_at) VALUES (?1, ?2, ?3)",
            params![project, watched.to_str().unwrap(), now],
        )
        .unwrap();
        let shot_sql = "INSERT INTO shots (project_id, code, name, position, created_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id";
        let shot: i64 = conn
            .query_row(
                shot_sql,
                params![project, "SH010", "Fox at dawn", 1, now],
                |r| r.get(0),
            )
            .unwrap();
        let unsorted: i64 = conn
            .query_row(
                shot_sql,
                params![project, "UNSORTED", "Unsorted", 2, now],
                |r| r.get(0),
            )
            .unwrap();
        Fixture {
            _dir: dir,
            db,
            watched,
            cat,
            project: ProjectId(project),
            shot: ShotId(shot),
            unsorted: ShotId(unsorted),
            takes: Cell::new(0),
        }
    }

    /// Inserts a take into `shot` with Luma generation id `generation_id`.
    fn take(&self, shot: ShotId, generation_id: &str) -> TakeId {
        self.takes.set(self.takes.get() + 1);
        let n = self.takes.get();
        self.cat
            .conn()
            .query_row(
                "INSERT INTO takes (project_id, shot_id, content_hash, path, size, mtime_ns, origin,
                                    generation_id, first_seen_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 1000, 0, 'flash', ?5, '2026-05-01T10:00:00Z', '2026-05-01T10:00:00Z')
                 RETURNING id",
                params![self.project, shot, format!("blake3:{n:064x}"), format!("/x/take{n}.mp4"), generation_id],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// Queues a render request of a fresh Flash take in SH010 with `body`; returns its id.
    fn queue(&self, mode: &str, body: &Value) -> RequestId {
        self.queue_raw(mode, &body.to_string())
    }

    fn queue_raw(&self, mode: &str, body_json: &str) -> RequestId {
        let take = self.take(self.shot, &format!("flash-gen-{}", self.takes.get() + 1));
        self.cat
            .conn()
            .query_row(
                "INSERT INTO render_requests (project_id, shot_id, source_take_id, mode, model, resolution,
                     duration_s, body_json, credits_estimate, idempotency_key, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'ray-2', '720p', 5, ?5, 160, ?6, ?7, ?7)
                 RETURNING id",
                params![
                    self.project, self.shot, take, mode, body_json,
                    format!("key-{take}"), format!("2026-05-01T10:{:02}:00Z", take.0 % 60)
                ],
                |r| r.get(0),
            )
            .unwrap()
    }

    fn request(&self, id: RequestId) -> Row {
        self.cat
            .conn()
            .query_row(
                "SELECT state, attempts, provider_generation_id, failure_reason, result_take_id,
                        submitted_at, finished_at
                 FROM render_requests WHERE id = ?1",
                params![id],
                |r| {
                    Ok(Row {
                        state: r.get(0)?,
                        attempts: r.get(1)?,
                        generation_id: r.get(2)?,
                        failure_reason: r.get(3)?,
                        result_take_id: r.get(4)?,
                        submitted_at: r.get(5)?,
                        finished_at: r.get(6)?,
                    })
                },
            )
            .unwrap()
    }

    /// The kinds of the events logged for a request, in order.
    fn events(&self, request: RequestId) -> Vec<String> {
        self.cat
            .conn()
            .query_map(
                "SELECT kind FROM events WHERE request_id = ?1 ORDER BY id",
                params![request],
                |r| r.get(0),
            )
            .unwrap()
    }
}

#[derive(Debug)]
struct Row {
    state: String,
    attempts: i64,
    generation_id: Option<String>,
    failure_reason: Option<String>,
    result_take_id: Option<TakeId>,
    submitted_at: Option<String>,
    finished_at: Option<String>,
}

fn regenerate_body() -> Value {
    json!({"model": "ray-2", "prompt": "a red fox at dawn", "aspect_ratio": "16:9",
           "resolution": "720p", "duration": "5s"})
}

/// A client of the stand-in with time limits generous enough for a loaded machine.
fn client(standin: &LumaStandIn) -> LumaClient {
    LumaClient::new(KEY)
        .with_base_url(&standin.base_url())
        .with_timeouts(Timeouts {
            connect: Duration::from_secs(5),
            request: Duration::from_secs(20),
        })
}

/// A client that gives up after 300 ms, for the timeout case.
fn impatient_client(standin: &LumaStandIn) -> LumaClient {
    client(standin).with_timeouts(Timeouts {
        connect: Duration::from_secs(5),
        request: Duration::from_millis(300),
    })
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_shared_library_stays_unlocked_while_luma_answers_a_create() {
    let fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let request = fx.queue("regenerate", &regenerate_body());
    let shared: SharedCatalog = Arc::new(Mutex::new(Catalog::open(&fx.db).unwrap()));
    let probe = Arc::clone(&shared);
    let free_during_create = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&free_during_create);
    standin.on_create(move |_| seen.lock().unwrap().push(probe.try_lock().is_ok()));

    let clock = TestClock::new();
    let mut outbox = Outbox::new(Limits::default(), &clock);
    let report = outbox
        .submit_queued(
            &mut Arc::clone(&shared),
            &client(&standin),
            &SubmitScope::project(fx.project),
        )
        .unwrap();
    assert_eq!(
        *free_during_create.lock().unwrap(),
        vec![true],
        "the library was locked while Luma was answering"
    );
    assert_eq!(report.outcomes[0].state, RequestState::Submitted);
    assert_eq!(fx.request(request).state, "submitted");
}

#[test]
fn an_approved_request_is_submitted_polled_downloaded_and_linked_to_its_shot() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    let request = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();
    let mut outbox = Outbox::new(Limits::default(), &clock);

    let report = outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    let paid = standin.paid_creates();
    assert_eq!(paid.len(), 1, "one approval, one paid create");
    assert_eq!(paid[0].path, "/generations/video");
    assert_eq!(
        paid[0].body,
        regenerate_body(),
        "the stored body is sent verbatim"
    );
    let generation = paid[0].generation_id.clone();
    assert_eq!(report.outcomes.len(), 1);
    assert_eq!(report.outcomes[0].state, RequestState::Submitted);
    assert_eq!(report.outcomes[0].detail, generation);
    let row = fx.request(request);
    assert_eq!((row.state.as_str(), row.attempts), ("submitted", 1));
    assert_eq!(row.generation_id.as_deref(), Some(generation.as_str()));
    assert!(row.submitted_at.is_some());

    let running = poll(&mut fx.cat, &client, fx.project).unwrap();
    assert_eq!(running.running, vec![request], "still dreaming at Luma");
    assert!(
        files_in(&fx.watched).is_empty(),
        "nothing downloaded before completion"
    );

    standin.complete(&generation);
    let done = poll(&mut fx.cat, &client, fx.project).unwrap();
    let name = format!("SH010_regenerate_ray-2_{}.mp4", &generation[..8]);
    let video = fx.watched.join(&name);
    assert_eq!(done.completed, vec![(request, video.clone())]);
    assert_eq!(
        files_in(&fx.watched),
        vec![name.clone(), format!("{name}.json")],
        "no .part left"
    );
    assert_eq!(std::fs::read(&video).unwrap(), asset_bytes(&generation));
    let sidecar: Value =
        serde_json::from_slice(&std::fs::read(fx.watched.join(format!("{name}.json"))).unwrap())
            .unwrap();
    assert_eq!(
        sidecar["id"],
        json!(generation),
        "the sidecar is the generation object"
    );
    assert_eq!(sidecar["request"]["prompt"], "a red fox at dawn");
    let row = fx.request(request);
    assert_eq!(row.state, "completed");
    assert!(row.finished_at.is_some());

    // The ingest finds the file, groups it as Unsorted, then links it by its sidecar id.
    let result_take = fx.take(fx.unsorted, &generation);
    let linked = fx
        .cat
        .write(|tx| link_result(tx, result_take, &generation))
        .unwrap();
    assert_eq!(linked, Some(request));
    let again = fx
        .cat
        .write(|tx| link_result(tx, result_take, &generation))
        .unwrap();
    assert_eq!(again, Some(request), "linking twice is harmless");
    assert_eq!(fx.request(request).result_take_id, Some(result_take));
    let shot: ShotId = fx
        .cat
        .conn()
        .query_row(
            "SELECT shot_id FROM takes WHERE id = ?1",
            params![result_take],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(shot, fx.shot, "the render joins its request's shot");
    assert_eq!(
        fx.events(request),
        [
            "render.submitting",
            "render.accepted",
            "render.completed",
            "render.linked"
        ]
    );
    let stranger = fx.take(fx.unsorted, "some-other-generation");
    let none = fx
        .cat
        .write(|tx| link_result(tx, stranger, "some-other-generation"))
        .unwrap();
    assert_eq!(none, None, "a take from no request is not linked");
    assert!(clock.sleeps().is_empty());
}

#[test]
fn a_take_the_user_placed_by_hand_is_linked_but_not_moved() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    let request = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();
    Outbox::new(Limits::default(), &clock)
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    let generation = standin.paid_creates()[0].generation_id.clone();
    let take = fx.take(fx.unsorted, &generation);
    fx.cat
        .conn()
        .execute(
            "UPDATE takes SET shot_set_by_user = 1 WHERE id = ?1",
            params![take],
        )
        .unwrap();

    let linked = fx
        .cat
        .write(|tx| link_result(tx, take, &generation))
        .unwrap();
    assert_eq!(linked, Some(request));
    let row = fx.request(request);
    assert_eq!(
        (row.state.as_str(), row.result_take_id),
        ("completed", Some(take))
    );
    let shot: ShotId = fx
        .cat
        .conn()
        .query_row(
            "SELECT shot_id FROM takes WHERE id = ?1",
            params![take],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(shot, fx.unsorted, "what the user did by hand wins");
}

#[test]
fn submitted_is_committed_before_luma_sees_the_create() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let request = fx.queue("regenerate", &regenerate_body());
    let seen = Arc::new(Mutex::new(Vec::new()));
    {
        let (db, seen) = (fx.db.clone(), seen.clone());
        standin.on_create(move |_body| {
            let other = rusqlite::Connection::open(&db).unwrap();
            let state: (String, i64) = other
                .query_row(
                    "SELECT state, attempts FROM render_requests WHERE id = ?1",
                    rusqlite::params![request.0],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            seen.lock().unwrap().push(state);
        });
    }
    let clock = TestClock::new();
    Outbox::new(Limits::default(), &clock)
        .submit_queued(
            &mut fx.cat,
            &client(&standin),
            &SubmitScope::project(fx.project),
        )
        .unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![("submitted".to_owned(), 1)],
        "another connection sees 'submitted' while Luma handles the create"
    );
}

#[test]
fn a_422_fails_the_request_without_retrying() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    standin.push_fault(Route::Create, Fault::status(422, "prompt is too long"));
    let request = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();
    let mut outbox = Outbox::new(Limits::default(), &clock);

    let report = outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(report.outcomes[0].state, RequestState::Failed);
    let row = fx.request(request);
    assert_eq!((row.state.as_str(), row.attempts), ("failed", 1));
    let reason = row.failure_reason.unwrap();
    assert!(
        reason.contains("HTTP 422") && reason.contains("prompt is too long"),
        "{reason}"
    );
    assert_eq!(standin.create_attempts(), 1, "a rejection is not retried");
    assert!(standin.paid_creates().is_empty());
    assert!(clock.sleeps().is_empty());
    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(
        standin.create_attempts(),
        1,
        "a failed request is not picked up again"
    );
    assert_eq!(fx.events(request), ["render.submitting", "render.failed"]);
}

#[test]
fn two_429s_are_retried_with_backoff_and_luma_sees_one_create() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    standin.push_fault(
        Route::Create,
        Fault::Status {
            code: 429,
            detail: "Too many requests".to_owned(),
            retry_after: Some(2),
        },
    );
    standin.push_fault(Route::Create, Fault::status(429, "Too many requests"));
    let request = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();

    let report = Outbox::new(Limits::default(), &clock)
        .submit_queued(
            &mut fx.cat,
            &client(&standin),
            &SubmitScope::project(fx.project),
        )
        .unwrap();
    assert_eq!(report.outcomes[0].state, RequestState::Submitted);
    assert_eq!(standin.create_attempts(), 3);
    assert_eq!(
        standin.paid_creates().len(),
        1,
        "exactly one paid execution"
    );
    assert_eq!(
        clock.sleeps(),
        [Duration::from_secs(2), Duration::from_secs(1)],
        "Retry-After is honoured, then the backoff doubles from 0.5 s"
    );
    let row = fx.request(request);
    assert_eq!((row.state.as_str(), row.attempts), ("submitted", 3));
    assert_eq!(row.failure_reason, None);
    assert_eq!(
        fx.events(request),
        [
            "render.submitting",
            "render.requeued",
            "render.submitting",
            "render.requeued",
            "render.submitting",
            "render.accepted"
        ]
    );
}

#[test]
fn luma_answering_429_every_time_leaves_the_request_queued_and_uncharged() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    for _ in 0..3 {
        standin.push_fault(Route::Create, Fault::status(429, "Too many requests"));
    }
    let first = fx.queue("regenerate", &regenerate_body());
    let second = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();

    let report = Outbox::new(Limits::default(), &clock)
        .submit_queued(
            &mut fx.cat,
            &client(&standin),
            &SubmitScope::project(fx.project),
        )
        .unwrap();
    assert!(report.outcomes.is_empty());
    assert_eq!(
        report.left_queued, 2,
        "the pass stops; the next request is not tried"
    );
    assert!(
        matches!(report.hold, Some(Hold::ProviderBusy { ref reason }) if reason.contains("429"))
    );
    assert_eq!(
        clock.sleeps(),
        [Duration::from_millis(500), Duration::from_secs(1)]
    );
    let row = fx.request(first);
    assert_eq!((row.state.as_str(), row.attempts), ("queued", 3));
    assert!(
        row.failure_reason.unwrap().contains("429"),
        "the queue can show why it waits"
    );
    assert_eq!(fx.request(second).attempts, 0);
    assert!(standin.paid_creates().is_empty());
}

#[test]
fn an_unreachable_luma_is_retried_and_nothing_is_marked_uncertain() {
    let mut fx = Fixture::new();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = LumaClient::new(KEY).with_base_url(&format!("http://127.0.0.1:{port}/v1"));
    let direct = client
        .create(&CreateEndpoint::Video, &regenerate_body())
        .unwrap_err();
    assert!(
        matches!(direct, LumaError::ConnectionLost { sent: false, .. }),
        "{direct:?}"
    );

    let request = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();
    let report = Outbox::new(Limits::default(), &clock)
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert!(matches!(report.hold, Some(Hold::ProviderBusy { .. })));
    let row = fx.request(request);
    assert_eq!((row.state.as_str(), row.attempts), ("queued", 3));
    assert!(row.failure_reason.unwrap().contains("nothing was sent"));
}

#[test]
fn a_timeout_leaves_the_request_unknown_and_it_is_never_resent() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    standin.push_fault(Route::Create, Fault::Delay(Duration::from_secs(30)));
    let request = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();
    let mut outbox = Outbox::new(Limits::default(), &clock);

    let report = outbox
        .submit_queued(
            &mut fx.cat,
            &impatient_client(&standin),
            &SubmitScope::project(fx.project),
        )
        .unwrap();
    assert_eq!(report.outcomes[0].state, RequestState::Unknown);
    let row = fx.request(request);
    assert_eq!((row.state.as_str(), row.attempts), ("unknown", 1));
    assert_eq!(row.generation_id, None);
    let reason = row.failure_reason.unwrap();
    assert!(
        reason.contains(
            "may have been charged; link the generation Luma made, send it again, or cancel it"
        ),
        "{reason}"
    );
    assert_eq!(
        standin.paid_creates().len(),
        1,
        "Luma did make the generation"
    );

    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert!(recover_interrupted(&mut fx.cat).unwrap().is_empty());
    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(
        standin.create_attempts(),
        1,
        "an uncertain send is never re-sent by itself"
    );
    assert!(clock.sleeps().is_empty());

    // Another generation at Luma with a different prompt is not a candidate.
    let other = fx.queue(
        "regenerate",
        &json!({"model": "ray-2", "prompt": "a grey wolf"}),
    );
    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(fx.request(other).state, "submitted");
    // The user looks at Luma's candidates, finds it, and it is followed like any other.
    let generation = standin.paid_creates()[0].generation_id.clone();
    let found = candidates(&mut fx.cat, &client, request).unwrap();
    let ids: Vec<&str> = found.iter().map(|g| g.generation_id.as_str()).collect();
    assert_eq!(
        ids,
        [generation.as_str()],
        "only the generation with the same request matches"
    );
    let state =
        resolve_request(&mut fx.cat, request, Resolution::Link(generation.clone())).unwrap();
    assert_eq!(state, RequestState::Submitted);
    standin.complete(&generation);
    let done = poll(&mut fx.cat, &client, fx.project).unwrap();
    assert_eq!(done.completed.len(), 1);
    assert_eq!(
        standin.paid_creates().len(),
        2,
        "the uncertain one and the wolf"
    );
    assert_eq!(
        fx.events(request),
        [
            "render.submitting",
            "render.unknown",
            "render.resolved",
            "render.completed"
        ]
    );
}

#[test]
fn a_connection_cut_after_the_request_was_read_leaves_it_unknown() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    standin.push_fault(Route::Create, Fault::CutAfterRead);
    let direct = client
        .create(&CreateEndpoint::Video, &regenerate_body())
        .unwrap_err();
    assert!(
        matches!(direct, LumaError::ConnectionLost { sent: true, .. }),
        "{direct:?}"
    );

    standin.push_fault(Route::Create, Fault::CutAfterRead);
    let request = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();
    let mut outbox = Outbox::new(Limits::default(), &clock);
    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    let row = fx.request(request);
    assert_eq!((row.state.as_str(), row.attempts), ("unknown", 1));
    assert!(row
        .failure_reason
        .unwrap()
        .contains("after the request was sent"));
    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(
        standin.create_attempts(),
        2,
        "one direct call, one send; no re-send"
    );
}

#[test]
fn a_409_leaves_the_request_unknown_until_the_user_says_resend() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    standin.push_fault(
        Route::Create,
        Fault::status(409, "generation already in progress"),
    );
    let request = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();
    let mut outbox = Outbox::new(Limits::default(), &clock);

    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    let row = fx.request(request);
    assert_eq!(
        row.state, "unknown",
        "a conflict may mean the work already exists"
    );
    assert!(row.failure_reason.unwrap().contains("409"));
    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(standin.create_attempts(), 1);

    assert_eq!(
        resolve_request(&mut fx.cat, request, Resolution::Resend).unwrap(),
        RequestState::Queued
    );
    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    let row = fx.request(request);
    assert_eq!((row.state.as_str(), row.attempts), ("submitted", 2));
    assert_eq!(standin.paid_creates().len(), 1);
}

#[test]
fn an_unknown_request_can_be_cancelled_and_only_unknown_or_exported_ones_can_be_resolved() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    standin.push_fault(Route::Create, Fault::CutAfterRead);
    let uncertain = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();
    Outbox::new(Limits::default(), &clock)
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    let queued = fx.queue("regenerate", &regenerate_body());
    assert_eq!(fx.request(uncertain).state, "unknown");
    let before = fx.request(queued);

    let err = resolve_request(&mut fx.cat, queued, Resolution::Cancel).unwrap_err();
    assert!(matches!(err, OutboxError::NotResolvable { .. }), "{err}");
    let err = resolve_request(&mut fx.cat, RequestId(999), Resolution::Resend).unwrap_err();
    assert!(
        matches!(err, OutboxError::NotFound(RequestId(999))),
        "{err}"
    );
    let err = resolve_request(
        &mut fx.cat,
        uncertain,
        Resolution::Link("../credits".into()),
    )
    .unwrap_err();
    assert!(matches!(err, OutboxError::InvalidGenerationId(_)), "{err}");
    assert_eq!(
        fx.request(queued).state,
        before.state,
        "a refused resolution changes nothing"
    );
    assert_eq!(fx.request(uncertain).state, "unknown");
    fx.cat
        .conn()
        .execute(
            "UPDATE render_requests SET state = 'submitted', provider_generation_id = 'taken-gen'
             WHERE id = ?1",
            params![queued],
        )
        .unwrap();
    let err =
        resolve_request(&mut fx.cat, uncertain, Resolution::Link("taken-gen".into())).unwrap_err();
    assert!(
        matches!(err, OutboxError::GenerationInUse { request_id, .. } if request_id == queued),
        "{err}"
    );

    assert_eq!(
        resolve_request(&mut fx.cat, uncertain, Resolution::Cancel).unwrap(),
        RequestState::Cancelled
    );
    let row = fx.request(uncertain);
    assert_eq!(row.state, "cancelled");
    assert!(row.failure_reason.unwrap().contains("cancelled by"));
    assert_eq!(standin.create_attempts(), 1);
}

#[test]
fn no_more_than_20_creates_go_out_per_minute() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    let requests: Vec<RequestId> = (0..25)
        .map(|_| fx.queue("regenerate", &regenerate_body()))
        .collect();
    let clock = TestClock::new();
    let limits = Limits {
        max_in_flight: 100,
        ..Limits::default()
    };
    let mut outbox = Outbox::new(limits, &clock);

    let report = outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(report.outcomes.len(), 20);
    assert_eq!(report.left_queued, 5);
    assert_eq!(
        report.hold,
        Some(Hold::RateWindow {
            free_in: Duration::from_secs(60)
        })
    );
    assert_eq!(standin.create_attempts(), 20);
    let sent: Vec<RequestId> = report.outcomes.iter().map(|o| o.request_id).collect();
    assert_eq!(sent, requests[..20], "oldest first");
    assert_eq!(fx.request(requests[20]).state, "queued");

    clock.advance(Duration::from_secs(59));
    let report = outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert!(report.outcomes.is_empty(), "still inside the minute");
    assert_eq!(
        report.hold,
        Some(Hold::RateWindow {
            free_in: Duration::from_secs(1)
        })
    );
    clock.advance(Duration::from_secs(1));
    let report = outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(report.outcomes.len(), 5);
    assert_eq!(standin.paid_creates().len(), 25);
}

#[test]
fn no_more_than_10_requests_are_in_flight() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    let requests: Vec<RequestId> = (0..12)
        .map(|_| fx.queue("regenerate", &regenerate_body()))
        .collect();
    let clock = TestClock::new();
    let mut outbox = Outbox::new(Limits::default(), &clock);

    let report = outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(report.outcomes.len(), 10);
    assert_eq!(
        (report.left_queued, report.hold),
        (2, Some(Hold::InFlight { in_flight: 10 }))
    );

    let first = standin.paid_creates()[0].generation_id.clone();
    standin.complete(&first);
    let polled = poll(&mut fx.cat, &client, fx.project).unwrap();
    assert_eq!(polled.completed.len(), 1);
    assert_eq!(polled.running.len(), 9);
    let report = outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(report.outcomes.len(), 1, "one finished, one more may go");
    assert_eq!(report.outcomes[0].request_id, requests[10]);
    assert_eq!(fx.request(requests[11]).state, "queued");
}

#[test]
fn a_request_left_submitted_by_a_crash_is_recovered_as_unknown() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    let interrupted = fx.queue("regenerate", &regenerate_body());
    let accepted = fx.queue("regenerate", &regenerate_body());
    fx.cat
        .conn()
        .execute(
            "UPDATE render_requests SET state = 'submitted', attempts = 1 WHERE id = ?1",
            params![interrupted],
        )
        .unwrap();
    fx.cat
        .conn()
        .execute(
            "UPDATE render_requests SET state = 'submitted', attempts = 1,
                    provider_generation_id = 'accepted-gen' WHERE id = ?1",
            params![accepted],
        )
        .unwrap();

    assert_eq!(recover_interrupted(&mut fx.cat).unwrap(), vec![interrupted]);
    let row = fx.request(interrupted);
    assert_eq!(row.state, "unknown");
    assert!(row
        .failure_reason
        .unwrap()
        .contains("Takeboard stopped while sending"));
    assert_eq!(
        fx.request(accepted).state,
        "submitted",
        "an accepted request is only polled"
    );
    assert_eq!(fx.events(interrupted), ["render.unknown"]);
    let clock = TestClock::new();
    Outbox::new(Limits::default(), &clock)
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(standin.create_attempts(), 0);
}

#[test]
fn modify_and_upscale_requests_go_to_their_endpoints() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let modify = json!({"generation_type": "modify_video", "model": "ray-2", "mode": "adhere_1",
                        "media": {"url": "https://cdn.example/flash.mp4"}});
    let upscale = json!({"generation_type": "upscale_video", "resolution": "4k"});
    fx.queue("modify", &modify);
    let upscaled = fx.queue("upscale", &upscale);
    let clock = TestClock::new();
    Outbox::new(Limits::default(), &clock)
        .submit_queued(
            &mut fx.cat,
            &client(&standin),
            &SubmitScope::project(fx.project),
        )
        .unwrap();
    let source_generation: String = fx
        .cat
        .conn()
        .query_row(
            "SELECT t.generation_id FROM render_requests r JOIN takes t ON t.id = r.source_take_id
             WHERE r.id = ?1",
            params![upscaled],
            |r| r.get(0),
        )
        .unwrap();
    let paths: Vec<String> = standin.paid_creates().into_iter().map(|c| c.path).collect();
    assert_eq!(
        paths,
        [
            "/generations/video/modify".to_owned(),
            format!("/generations/{source_generation}/upscale")
        ]
    );
}

#[test]
fn a_request_that_cannot_be_built_fails_without_being_sent() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let corrupt = fx.queue_raw("regenerate", "{\"model\": \"ray-2\", ");
    let upscale_without_source = fx.queue("upscale", &json!({"generation_type": "upscale_video"}));
    fx.cat
        .conn()
        .execute(
            "UPDATE takes SET generation_id = NULL
             WHERE id = (SELECT source_take_id FROM render_requests WHERE id = ?1)",
            params![upscale_without_source],
        )
        .unwrap();
    let fine = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();
    let report = Outbox::new(Limits::default(), &clock)
        .submit_queued(
            &mut fx.cat,
            &client(&standin),
            &SubmitScope::project(fx.project),
        )
        .unwrap();

    let corrupt_row = fx.request(corrupt);
    assert_eq!(
        (corrupt_row.state.as_str(), corrupt_row.attempts),
        ("failed", 0)
    );
    assert!(corrupt_row
        .failure_reason
        .unwrap()
        .contains("not valid JSON"));
    let upscale_row = fx.request(upscale_without_source);
    assert_eq!(upscale_row.state, "failed");
    assert!(upscale_row
        .failure_reason
        .unwrap()
        .contains("generation id"));
    assert_eq!(
        fx.request(fine).state,
        "submitted",
        "one bad request does not stop the rest"
    );
    assert_eq!(report.outcomes.len(), 3);
    assert_eq!(standin.create_attempts(), 1);
}

#[test]
fn a_wrong_key_stops_the_pass_and_keeps_the_request_queued() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let request = fx.queue("regenerate", &regenerate_body());
    let wrong = LumaClient::new("not-the-key").with_base_url(&standin.base_url());
    let clock = TestClock::new();
    let err = Outbox::new(Limits::default(), &clock)
        .submit_queued(&mut fx.cat, &wrong, &SubmitScope::project(fx.project))
        .unwrap_err();
    assert!(matches!(err, OutboxError::Unauthorized(_)), "{err}");
    assert!(err.to_string().contains("LUMA_API_KEY"), "{err}");
    let row = fx.request(request);
    assert_eq!((row.state.as_str(), row.attempts), ("queued", 1));
    assert!(standin.paid_creates().is_empty());
}

#[test]
fn luma_failing_a_generation_fails_the_request_with_its_reason() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    let request = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();
    Outbox::new(Limits::default(), &clock)
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    standin.fail(
        &standin.paid_creates()[0].generation_id,
        "400: prompt not allowed",
    );

    let report = poll(&mut fx.cat, &client, fx.project).unwrap();
    assert_eq!(
        report.failed,
        vec![(request, "400: prompt not allowed".to_owned())]
    );
    let row = fx.request(request);
    assert_eq!(row.state, "failed");
    assert_eq!(
        row.failure_reason.as_deref(),
        Some("400: prompt not allowed")
    );
    assert!(files_in(&fx.watched).is_empty());
}

#[test]
fn a_broken_download_or_missing_folder_is_retried_on_the_next_poll() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    let request = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();
    Outbox::new(Limits::default(), &clock)
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    let generation = standin.paid_creates()[0].generation_id.clone();
    standin.complete(&generation);

    standin.push_fault(Route::Asset, Fault::status(503, "CDN hiccup"));
    let report = poll(&mut fx.cat, &client, fx.project).unwrap();
    assert_eq!(report.problems.len(), 1);
    assert!(
        report.problems[0].message.contains("503"),
        "{:?}",
        report.problems
    );
    assert_eq!(fx.request(request).state, "submitted");
    assert!(
        files_in(&fx.watched).is_empty(),
        "no partial file is left behind"
    );

    let folder_path: String = fx
        .cat
        .conn()
        .query_row("SELECT path FROM watched_folders", params![], |r| r.get(0))
        .unwrap();
    fx.cat
        .conn()
        .execute("DELETE FROM watched_folders", params![])
        .unwrap();
    let report = poll(&mut fx.cat, &client, fx.project).unwrap();
    assert!(
        report.problems[0].message.contains("no watched folder"),
        "{:?}",
        report.problems
    );
    assert_eq!(fx.request(request).state, "submitted");

    fx.cat
        .conn()
        .execute(
            "INSERT INTO watched_folders (project_id, path, added_at) VALUES (?1, ?2, 'now')",
            params![fx.project, folder_path],
        )
        .unwrap();
    let report = poll(&mut fx.cat, &client, fx.project).unwrap();
    assert_eq!(report.completed.len(), 1);
    assert_eq!(fx.request(request).state, "completed");
}

// --- Money safety: scope, ownership, uncertain sends, export. ---

/// A second project in the fixture's library with one shot; queues `n` requests in it.
fn second_project_requests(fx: &Fixture, n: usize) -> (ProjectId, Vec<RequestId>) {
    let conn = fx.cat.conn();
    let now = "2026-05-01T10:00:00Z";
    let id = |r: &takeboard_core::catalog::sql::Row| r.get::<i64>(0);
    let project = conn
        .query_row(
            "INSERT INTO projects (name, created_at) VALUES ('Other', ?1) RETURNING id",
            params![now],
            id,
        )
        .unwrap();
    let shot = conn
        .query_row(
            "INSERT INTO shots (project_id, code, name, position, created_at) VALUES (?1, 'SH900', 'Other shot', 1, ?2) RETURNING id",
            params![project, now],
            id,
        )
        .unwrap();
    let ids = (0..n)
        .map(|i| {
            let take = conn
                .query_row(
                    "INSERT INTO takes (project_id, shot_id, content_hash, path, size, mtime_ns, origin,
                                        first_seen_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, 1000, 0, 'flash', ?5, ?5) RETURNING id",
                    params![project, shot, format!("blake3:other{i}"), format!("/y/{i}.mp4"), now],
                    id,
                )
                .unwrap();
            RequestId(conn
                .query_row(
                    "INSERT INTO render_requests (project_id, shot_id, source_take_id, mode, model, resolution,
                         duration_s, body_json, credits_estimate, idempotency_key, created_at, updated_at)
                     VALUES (?1, ?2, ?3, 'regenerate', 'ray-2', '720p', 5, ?4, 160, ?5, ?6, ?6) RETURNING id",
                    params![project, shot, take, regenerate_body().to_string(), format!("other-{i}"), now],
                    id,
                )
                .unwrap())
        })
        .collect();
    (ProjectId(project), ids)
}

#[test]
fn a_submit_sends_only_its_project_and_only_what_the_user_confirmed() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    let mine = fx.queue("regenerate", &regenerate_body());
    let (other, theirs) = second_project_requests(&fx, 3);
    let clock = TestClock::new();
    let mut outbox = Outbox::new(Limits::default(), &clock);

    let report = outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(report.outcomes.len(), 1);
    assert_eq!(standin.paid_creates().len(), 1, "one confirmed, one create");
    assert_eq!(fx.request(mine).state, "submitted");
    for id in &theirs {
        assert_eq!(
            fx.request(*id).state,
            "queued",
            "another project is untouched"
        );
    }

    // The dialog of the other project showed one request (and a stranger's id slipped in).
    outbox
        .submit_queued(
            &mut fx.cat,
            &client,
            &SubmitScope::only(other, vec![theirs[1], mine]),
        )
        .unwrap();
    assert_eq!(standin.paid_creates().len(), 2);
    assert_eq!(fx.request(theirs[1]).state, "submitted");
    assert_eq!(fx.request(theirs[0]).state, "queued");
    assert_eq!(fx.request(theirs[2]).state, "queued");
    assert_eq!(
        fx.request(mine).attempts,
        1,
        "a request of another project is never sent"
    );
}

#[test]
fn a_502_after_luma_made_the_generation_is_unknown_and_never_sent_again() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    standin.push_fault(Route::Create, Fault::StatusAfterWork(502));
    let request = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();
    let mut outbox = Outbox::new(Limits::default(), &clock);

    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(
        standin.create_attempts(),
        1,
        "one create across two submits"
    );
    assert_eq!(standin.paid_creates().len(), 1);
    let row = fx.request(request);
    assert_eq!((row.state.as_str(), row.attempts), ("unknown", 1));
    assert!(row.failure_reason.unwrap().contains("HTTP 502"));
    assert!(clock.sleeps().is_empty(), "a 5xx is not retried");
}

#[test]
fn an_uncertain_send_with_one_exact_match_is_linked_automatically_then_polled_and_downloaded() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    standin.push_fault(Route::Create, Fault::CutAfterRead);
    let request = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();
    let mut outbox = Outbox::new(Limits::default(), &clock);
    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(fx.request(request).state, "unknown");
    let generation = standin.paid_creates()[0].generation_id.clone();

    let pass = outbox
        .run_pass(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(pass.lookup.linked, [(request, generation.clone())]);
    let row = fx.request(request);
    assert_eq!(row.state, "submitted");
    assert_eq!(row.generation_id.as_deref(), Some(generation.as_str()));
    assert!(fx
        .events(request)
        .contains(&"render.auto_linked".to_owned()));

    standin.complete(&generation);
    let done = poll(&mut fx.cat, &client, fx.project).unwrap();
    assert_eq!(done.completed.len(), 1);
    assert_eq!(fx.request(request).state, "completed");
    assert_eq!(standin.create_attempts(), 1, "linking costs nothing");
}

#[test]
fn two_uncertain_twins_are_not_linked_by_themselves_and_the_user_links_each() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    standin.push_fault(Route::Create, Fault::StatusAfterWork(500));
    standin.push_fault(Route::Create, Fault::StatusAfterWork(503));
    let first = fx.queue("regenerate", &regenerate_body());
    let second = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();
    let mut outbox = Outbox::new(Limits::default(), &clock);
    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();

    let lookup = lookup_unknown(&mut fx.cat, &client, fx.project).unwrap();
    assert_eq!(lookup.checked, [first, second]);
    assert!(
        lookup.linked.is_empty(),
        "two identical bodies: a match could be either's"
    );
    let stored: String = fx
        .cat
        .conn()
        .query_row(
            "SELECT candidates_json FROM render_requests WHERE id = ?1",
            params![first],
            |r| r.get(0),
        )
        .unwrap();
    let stored: Vec<Value> = serde_json::from_str(&stored).unwrap();
    assert_eq!(stored.len(), 2, "both generations are offered: {stored:?}");
    assert!(stored.iter().all(|c| c["exact"] == true));

    let paid = standin.paid_creates();
    resolve_request(
        &mut fx.cat,
        first,
        Resolution::Link(paid[0].generation_id.clone()),
    )
    .unwrap();
    let err = resolve_request(
        &mut fx.cat,
        second,
        Resolution::Link(paid[0].generation_id.clone()),
    )
    .unwrap_err();
    assert!(matches!(err, OutboxError::GenerationInUse { request_id, .. } if request_id == first));
    resolve_request(
        &mut fx.cat,
        second,
        Resolution::Link(paid[1].generation_id.clone()),
    )
    .unwrap();
    assert_eq!(fx.request(second).state, "submitted");
    assert_eq!(standin.create_attempts(), 2);
}

#[test]
fn resolving_an_uncertain_send_by_resend_sends_exactly_one_more_create() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    standin.push_fault(Route::Create, Fault::status(502, "Bad Gateway"));
    let request = fx.queue("regenerate", &regenerate_body());
    let clock = TestClock::new();
    let mut outbox = Outbox::new(Limits::default(), &clock);
    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(fx.request(request).state, "unknown");
    assert!(standin.paid_creates().is_empty(), "this 502 made nothing");

    assert_eq!(
        resolve_request(&mut fx.cat, request, Resolution::Resend).unwrap(),
        RequestState::Queued
    );
    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(
        standin.create_attempts(),
        2,
        "the first send and the one resend"
    );
    assert_eq!(standin.paid_creates().len(), 1);
    assert_eq!(fx.request(request).state, "submitted");
}

#[test]
fn exported_requests_are_never_submitted_until_the_user_queues_them_again() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    let first = fx.queue("regenerate", &regenerate_body());
    let second = fx.queue(
        "regenerate",
        &json!({"model": "ray-2", "prompt": "a grey wolf"}),
    );
    let dest = fx.db.with_file_name("bodies.json");

    let exported = export_queued(&mut fx.cat, fx.project, &dest).unwrap();
    assert_eq!(exported, [first, second]);
    let written: Vec<Value> = serde_json::from_slice(&std::fs::read(&dest).unwrap()).unwrap();
    assert_eq!(written[1]["prompt"], "a grey wolf");
    assert_eq!(fx.request(first).state, "exported");
    let credits = takeboard_core::catalog::spend::credits(fx.cat.conn(), fx.project).unwrap();
    assert_eq!(
        credits.pending, 320,
        "exported requests are still pending credits"
    );

    let clock = TestClock::new();
    let mut outbox = Outbox::new(Limits::default(), &clock);
    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(
        standin.create_attempts(),
        0,
        "export then submit: no create"
    );
    let again = export_queued(&mut fx.cat, fx.project, &dest).unwrap();
    assert!(
        again.is_empty(),
        "an exported request is not exported twice"
    );

    resolve_request(&mut fx.cat, first, Resolution::Resend).unwrap();
    resolve_request(
        &mut fx.cat,
        second,
        Resolution::Link("gen-run-elsewhere".into()),
    )
    .unwrap();
    outbox
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    assert_eq!(standin.create_attempts(), 1, "only the re-queued one");
    let row = fx.request(second);
    assert_eq!(row.state, "submitted");
    assert_eq!(row.generation_id.as_deref(), Some("gen-run-elsewhere"));
}

#[test]
fn a_failed_export_leaves_the_requests_queued() {
    let mut fx = Fixture::new();
    let request = fx.queue("regenerate", &regenerate_body());
    let dest = fx.db.with_file_name("no-such-folder").join("bodies.json");
    let err = export_queued(&mut fx.cat, fx.project, &dest).unwrap_err();
    assert!(matches!(err, OutboxError::Io { .. }), "{err}");
    assert_eq!(fx.request(request).state, "queued", "nothing half exported");
}

#[test]
fn recovery_leaves_a_live_senders_claim_alone_and_takes_over_once_it_is_gone() {
    use takeboard_core::render::outbox::owner::SendOwner;
    let mut fx = Fixture::new();
    let request = fx.queue("regenerate", &regenerate_body());
    let other_sender = SendOwner::acquire(&fx.db).unwrap();
    fx.cat
        .conn()
        .execute(
            "UPDATE render_requests SET state = 'submitted', attempts = 1,
                    owner_token = ?2, owner_pid = ?3, owner_host = ?4 WHERE id = ?1",
            params![
                request,
                other_sender.token(),
                other_sender.pid(),
                other_sender.host()
            ],
        )
        .unwrap();

    assert_eq!(
        recover_interrupted(&mut fx.cat).unwrap(),
        Vec::<RequestId>::new()
    );
    assert_eq!(
        fx.request(request).state,
        "submitted",
        "mid-send, not interrupted"
    );
    drop(other_sender);
    assert_eq!(recover_interrupted(&mut fx.cat).unwrap(), vec![request]);
    assert_eq!(fx.request(request).state, "unknown");
}

#[test]
fn luma_s_answer_is_kept_even_after_another_process_gave_the_send_up() {
    let mut fx = Fixture::new();
    let standin = LumaStandIn::start(KEY);
    let client = client(&standin);
    let request = fx.queue("regenerate", &regenerate_body());
    let db = fx.db.clone();
    // While Luma works on the create, a (wrongly) recovering process turns the row unknown.
    standin.on_create(move |_| {
        let other = rusqlite::Connection::open(&db).unwrap();
        other.busy_timeout(Duration::from_secs(5)).unwrap();
        other
            .execute(
                "UPDATE render_requests SET state = 'unknown' WHERE id = ?1",
                rusqlite::params![request.0],
            )
            .unwrap();
    });
    let clock = TestClock::new();
    Outbox::new(Limits::default(), &clock)
        .submit_queued(&mut fx.cat, &client, &SubmitScope::project(fx.project))
        .unwrap();
    let row = fx.request(request);
    assert_eq!(row.state, "submitted");
    assert_eq!(
        row.generation_id.as_deref(),
        Some(standin.paid_creates()[0].generation_id.as_str()),
        "the paid render is followed"
    );
}

#[test]
fn a_take_with_an_absurd_duration_leaves_the_credit_totals_whole() {
    let fx = Fixture::new();
    let take = fx.take(fx.shot, "huge-gen");
    fx.cat
        .conn()
        .execute(
            "UPDATE takes SET duration_s = 1e300 WHERE id = ?1",
            params![take],
        )
        .unwrap();
    let normal = fx.take(fx.shot, "normal-gen");
    fx.cat
        .conn()
        .execute(
            "UPDATE takes SET duration_s = 5.0 WHERE id = ?1",
            params![normal],
        )
        .unwrap();
    let credits = takeboard_core::catalog::spend::credits(fx.cat.conn(), fx.project).unwrap();
    assert_eq!(
        credits.spent, 55,
        "the unpriceable take is left out, not wrapped"
    );
}
