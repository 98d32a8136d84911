//! Approval → exactly one render request, through the real binary: concurrent approvals,
//! SIGKILL at random moments, the provider failure matrix of `submit`, a returned render
//! linked end to end, and the credit arithmetic.

use crate::clips::{make_clips, ClipSpec};
use crate::luma_standin::{Fault, LumaStandIn, Route};
use crate::support::{Env, XorShift};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The API key the stand-in accepts.
const KEY: &str = "luma-cli-test-key";

/// Makes one tiny H.264 clip per name in `dir` (128x72, 24 fps, `seconds` long) with one
/// ffmpeg run, each with its own bytes.
fn clips(dir: &Path, names: &[String], seconds: u32) {
    let spec = ClipSpec {
        width: 128,
        height: 72,
        seconds: f64::from(seconds),
        ..ClipSpec::default()
    };
    make_clips(dir, names, &spec);
}

/// A Luma-looking generation id, distinct per `n`.
fn generation_id(n: usize) -> String {
    format!("f1a5{n:04x}-0000-4000-8000-000000000000")
}

/// Writes `<clip>.json` beside `clip`: a completed Ray2 Flash generation of `seconds`.
fn flash_sidecar(clip: &Path, id: &str, prompt: &str, seconds: u32) {
    let generation = json!({
        "id": id,
        "generation_type": "video",
        "state": "completed",
        "model": "ray-flash-2",
        "created_at": "2026-05-01T10:00:00Z",
        "request": {
            "generation_type": "video",
            "model": "ray-flash-2",
            "prompt": prompt,
            "aspect_ratio": "16:9",
            "resolution": "720p",
            "duration": format!("{seconds}s"),
        },
    });
    let mut sidecar = clip.as_os_str().to_owned();
    sidecar.push(".json");
    std::fs::write(sidecar, generation.to_string()).unwrap();
}

/// Makes Flash takes (clip + sidecar) named `names` in the env's clips folder and scans
/// it; returns the take id of each name.
fn scanned_flash_takes(env: &Env, names: &[String], seconds: u32) -> HashMap<String, i64> {
    clips(&env.clips, names, seconds);
    for (n, name) in names.iter().enumerate() {
        let prompt = format!("prompt of {name}");
        flash_sidecar(&env.clips.join(name), &generation_id(n), &prompt, seconds);
    }
    let summary = env.json(&["scan", env.clips.to_str().unwrap()]);
    assert_eq!(summary["added"], names.len(), "{summary}");
    take_ids(env)
}

/// Take id by file name, from `takes --json`.
fn take_ids(env: &Env) -> HashMap<String, i64> {
    env.json(&["takes", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let path = Path::new(t["path"].as_str().unwrap());
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, t["id"].as_i64().unwrap())
        })
        .collect()
}

/// The CLI with `--library` and a zero settle window, as `Env::cli` runs it, but not yet
/// started, and with no Luma key or URL inherited from the environment.
fn command(env: &Env, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_takeboard-cli"));
    cmd.arg("--library")
        .arg(&env.db)
        .args(args)
        .env("TAKEBOARD_SETTLE_MS", "0")
        .env_remove("LUMA_API_KEY")
        .env_remove("LUMA_API_BASE_URL");
    cmd
}

/// `submit` against the stand-in; returns its output, whatever the exit code.
fn submit(env: &Env, standin: &LumaStandIn) -> Output {
    submit_command(env, standin).output().expect("cli runs")
}

fn submit_command(env: &Env, standin: &LumaStandIn) -> Command {
    let mut cmd = command(env, &["submit"]);
    cmd.env("LUMA_API_KEY", KEY)
        .env("LUMA_API_BASE_URL", standin.base_url());
    cmd
}

/// `submit`, asserting success; returns the requests it printed.
fn submit_ok(env: &Env, standin: &LumaStandIn) -> Vec<Value> {
    let out = submit(env, standin);
    assert!(
        out.status.success(),
        "submit failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    printed.as_array().unwrap().clone()
}

/// `requests --json` as a list.
fn requests(env: &Env) -> Vec<Value> {
    env.json(&["requests", "--json"])
        .as_array()
        .unwrap()
        .clone()
}

/// Polls `condition` every 5 ms until it holds or `within` passes.
fn wait_until(within: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

// --- 1. Two processes approving the same take at once. ---

#[test]
fn two_processes_approving_the_same_take_at_once_get_one_request_with_the_same_id() {
    let env = Env::new();
    let names: Vec<String> = (1..=20)
        .map(|n| format!("SH{:03}_flash_v1.mp4", n * 10))
        .collect();
    let ids = scanned_flash_takes(&env, &names, 1);

    let mut seen_requests = Vec::new();
    for name in &names {
        let take = ids[name].to_string();
        // Both start before either is waited for; they race for the write lock.
        let first = command(&env, &["approve", &take])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let second = command(&env, &["approve", &take])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let approvals: Vec<Value> = [first, second]
            .into_iter()
            .map(|child| {
                let out = child.wait_with_output().unwrap();
                assert!(
                    out.status.success(),
                    "approve {take}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                serde_json::from_slice(&out.stdout).unwrap()
            })
            .collect();
        let request_ids: Vec<&Value> = approvals.iter().map(|a| &a["request"]["id"]).collect();
        assert!(request_ids[0].is_i64(), "{}", approvals[0]);
        assert_eq!(
            request_ids[0], request_ids[1],
            "both processes print the same request for take {take}"
        );
        let keys: Vec<&Value> = approvals
            .iter()
            .map(|a| &a["request"]["idempotency_key"])
            .collect();
        assert_eq!(keys[0], keys[1], "and the same idempotency key");
        let created = approvals
            .iter()
            .filter(|a| a["already_approved"] == false)
            .count();
        assert_eq!(created, 1, "exactly one of the two made the approval");
        seen_requests.push(request_ids[0].as_i64().unwrap());
    }

    let listed = requests(&env);
    assert_eq!(listed.len(), names.len(), "one request per take, no more");
    for name in &names {
        let of_take: Vec<&Value> = listed
            .iter()
            .filter(|r| r["take_id"] == ids[name])
            .collect();
        assert_eq!(of_take.len(), 1, "{name}");
        assert_eq!(of_take[0]["state"], "queued");
    }
    let mut listed_ids: Vec<i64> = listed.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    listed_ids.sort_unstable();
    seen_requests.sort_unstable();
    assert_eq!(listed_ids, seen_requests);

    let db = rusqlite::Connection::open(&env.db).unwrap();
    let approval_events: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM events WHERE kind = 'take.approved'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(approval_events, 20, "one approval event per take");
}

// --- 2. SIGKILL at random moments, one library accumulating state. ---

/// Rows of two columns, the first an id, for readable assertion messages.
fn pairs(db: &rusqlite::Connection, sql: &str) -> Vec<(i64, String)> {
    db.prepare(sql)
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Every invariant the catalog must keep after any crash; panics naming the run.
///
/// Request states, from the schema: `failed` and `cancelled` are dead (outside the unique
/// index `one_live_request_per_take`); `queued`, `submitted` and `unknown` are pending and
/// need an approved source take; `completed` is live for the index but is history, so it
/// may outlive an un-approval.
fn assert_catalog_invariants(db: &rusqlite::Connection, run: usize) {
    let integrity: Vec<String> = db
        .prepare("PRAGMA integrity_check")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(integrity, ["ok"], "run {run}: integrity_check");
    let fk_violations = db
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |_| Ok(()))
        .unwrap()
        .count();
    assert_eq!(fk_violations, 0, "run {run}: foreign_key_check");

    let orphans = pairs(
        db,
        "SELECT r.id, r.state || ' request of a take that is ' || COALESCE(d.status, 'unreviewed')
         FROM render_requests r LEFT JOIN take_decisions d ON d.take_id = r.source_take_id
         WHERE r.state IN ('queued', 'submitted', 'unknown')
           AND COALESCE(d.status, 'unreviewed') <> 'approved'",
    );
    assert_eq!(
        orphans,
        [],
        "run {run}: a pending request without its approval"
    );
    let doubles = pairs(
        db,
        "SELECT source_take_id, COUNT(*) || ' live requests' FROM render_requests
         WHERE state NOT IN ('failed', 'cancelled') GROUP BY source_take_id HAVING COUNT(*) > 1",
    );
    assert_eq!(doubles, [], "run {run}: two live requests for one take");
    let unrequested = pairs(
        db,
        "SELECT t.id, (SELECT COUNT(*) FROM render_requests r
                       WHERE r.source_take_id = t.id AND r.state NOT IN ('failed', 'cancelled'))
                      || ' live requests'
         FROM takes t JOIN take_decisions d ON d.take_id = t.id
         WHERE d.status = 'approved' AND t.origin = 'flash'
           AND (SELECT COUNT(*) FROM render_requests r
                WHERE r.source_take_id = t.id AND r.state NOT IN ('failed', 'cancelled')) <> 1",
    );
    assert_eq!(
        unrequested,
        [],
        "run {run}: an approved Flash take without exactly one live request"
    );
    let two_approved = pairs(
        db,
        "SELECT t.shot_id, COUNT(*) || ' approved Flash takes' FROM takes t
         JOIN take_decisions d ON d.take_id = t.id
         WHERE d.status = 'approved' AND t.origin <> 'standard'
         GROUP BY t.shot_id HAVING COUNT(*) > 1",
    );
    assert_eq!(two_approved, [], "run {run}");
    let two_finals = pairs(
        db,
        "SELECT t.shot_id, COUNT(*) || ' final takes' FROM takes t
         JOIN take_decisions d ON d.take_id = t.id
         WHERE d.is_final = 1 GROUP BY t.shot_id HAVING COUNT(*) > 1",
    );
    assert_eq!(two_finals, [], "run {run}");
    // All or nothing: a request row exists exactly when the approval that created it was
    // logged, and a cancellation exactly when its event was.
    let unlogged = pairs(
        db,
        "SELECT r.id, r.state FROM render_requests r
         WHERE (SELECT COUNT(*) FROM events e
                WHERE e.kind = 'take.approved' AND e.request_id = r.id
                  AND json_extract(e.detail_json, '$.request_created') = 1) <> 1
            OR (r.state = 'cancelled') <> ((SELECT COUNT(*) FROM events e
                WHERE e.kind = 'render.cancelled' AND e.request_id = r.id) = 1)",
    );
    assert_eq!(unlogged, [], "run {run}: a request and its events disagree");
}

/// The library the kill loops work on: five shots of two Flash takes each (approval moves
/// between them) and a Standard take in SH010 (approving it marks it final, no request).
/// Returns the take ids as arguments, in id order.
fn kill_loop_library(env: &Env) -> Vec<String> {
    let flash: Vec<String> = (1..=5)
        .flat_map(|s| (1..=2).map(move |v| format!("SH{:03}_flash_v{v}.mp4", s * 10)))
        .collect();
    scanned_flash_takes(env, &flash, 1);
    clips(&env.clips, &["SH010_std.mp4".to_owned()], 1);
    env.json(&["scan", env.clips.to_str().unwrap()]);
    let mut ids: Vec<i64> = take_ids(env).into_values().collect();
    assert_eq!(ids.len(), 11);
    ids.sort_unstable();
    ids.iter().map(i64::to_string).collect()
}

/// How long one decision takes end to end on this machine, plus a quarter (1–30 ms): kill
/// moments drawn below it land mostly while the process works.
fn decision_kill_window_us(env: &Env, take: &str) -> u64 {
    let lifetime = (0..3)
        .flat_map(|_| ["approve", "unapprove"])
        .map(|action| {
            let started = Instant::now();
            let out = command(env, &[action, take]).output().unwrap();
            assert!(out.status.success());
            started.elapsed()
        })
        .max()
        .unwrap();
    (lifetime.as_micros() as u64 * 5 / 4).clamp(1_000, 30_000)
}

/// A random decision on a random take, as CLI arguments.
fn random_decision(rng: &mut XorShift, takes: &[String]) -> Vec<String> {
    let take = takes[rng.below(takes.len() as u64) as usize].clone();
    match rng.below(10) {
        0..=4 => vec!["approve".into(), take],
        5..=6 => vec!["unapprove".into(), take],
        _ => {
            let status = ["selected", "hold", "rejected", "unreviewed"][rng.below(4) as usize];
            vec!["mark".into(), take, status.into()]
        }
    }
}

/// Starts `cmd` and SIGKILLs it after a random delay below `window_us`; true when the
/// kill landed before the process ended.
fn run_and_kill(mut cmd: Command, rng: &mut XorShift, window_us: u64) -> bool {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The kill moment, drawn at random: this sleep is the fault, not a synchronization.
    std::thread::sleep(Duration::from_micros(rng.below(window_us)));
    child.kill().unwrap();
    let status = child.wait().unwrap();
    match status.signal() {
        Some(9) => true,
        None => false,
        other => panic!("{cmd:?} ended with signal {other:?}"),
    }
}

#[test]
fn sigkill_at_random_moments_never_breaks_the_one_request_per_approval_rule() {
    let env = Env::new();
    let takes = kill_loop_library(&env);
    let window_us = decision_kill_window_us(&env, &takes[0]);
    let db = rusqlite::Connection::open(&env.db).unwrap();
    let mut rng = XorShift(0x5EED_7A6E_B0A2_D001);
    let (mut killed, mut finished) = (0, 0);
    for run in 0..500 {
        let args = random_decision(&mut rng, &takes);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        if run_and_kill(command(&env, &args), &mut rng, window_us) {
            killed += 1;
        } else {
            finished += 1;
        }
        assert_catalog_invariants(&db, run);
        // Without a submit a request is only ever queued or cancelled.
        let sent = pairs(
            &db,
            "SELECT id, state FROM render_requests WHERE state NOT IN ('queued', 'cancelled')",
        );
        assert_eq!(sent, [], "run {run}");
    }
    assert!(
        killed >= 100 && finished >= 50,
        "the kills land both mid-run and after the end ({killed} killed, {finished} finished)"
    );

    // The accumulated library still opens and answers through the CLI.
    let listed = requests(&env);
    assert!(
        listed.iter().any(|r| r["state"] == "cancelled"),
        "the loop went through approvals and withdrawals: {listed:?}"
    );
}

/// Starts both commands at once and SIGKILLs each after its own random delay below its
/// window; returns for each whether the kill landed before it ended.
fn run_pair_and_kill(commands: [(Command, u64); 2], rng: &mut XorShift) -> [bool; 2] {
    let mut children: Vec<(std::process::Child, Duration)> = commands
        .into_iter()
        .map(|(mut cmd, window_us)| {
            let child = cmd
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            (child, Duration::from_micros(rng.below(window_us)))
        })
        .collect();
    let started = Instant::now();
    children.sort_by_key(|(_, at)| *at);
    let mut killed = Vec::new();
    for (child, at) in &mut children {
        // The kill moments, drawn at random: these sleeps are the fault, not a synchronization.
        std::thread::sleep(at.saturating_sub(started.elapsed()));
        child.kill().unwrap();
    }
    for (child, _) in &mut children {
        let status = child.wait().unwrap();
        killed.push(match status.signal() {
            Some(9) => true,
            None => false,
            other => panic!("ended with signal {other:?}"),
        });
    }
    [killed[0], killed[1]]
}

#[test]
fn sigkill_of_two_processes_working_one_library_never_pays_twice_or_loses_a_render() {
    let env = Env::new();
    let takes = kill_loop_library(&env);
    let window_us = decision_kill_window_us(&env, &takes[0]);
    let standin = LumaStandIn::start(KEY);
    let db = rusqlite::Connection::open(&env.db).unwrap();
    let mut rng = XorShift(0xC0FF_EE00_5EED_0002);
    let mut completed_at_luma = std::collections::HashSet::new();
    let mut killed_submits = 0;
    let mut submit_window_us = 30_000;
    for run in 0..1000 {
        // Luma finishes whatever it was given, so requests complete and shots move on.
        for paid in standin.paid_creates() {
            if completed_at_luma.insert(paid.generation_id.clone()) {
                standin.complete(&paid.generation_id);
            }
        }
        // Two processes at once, each a submit (which also polls) or a random decision.
        let mut pair = Vec::new();
        let mut submits = [false; 2];
        for submit in &mut submits {
            *submit = rng.below(2) == 0;
            pair.push(if *submit {
                (submit_command(&env, &standin), submit_window_us)
            } else {
                let args = random_decision(&mut rng, &takes);
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                (command(&env, &args), window_us)
            });
        }
        let pair: [(Command, u64); 2] = pair.try_into().unwrap_or_else(|_| unreachable!());
        let killed = run_pair_and_kill(pair, &mut rng);
        // Adapt the submit kill window to this machine's speed, so about half the submits
        // die mid-way whether the machine is idle or loaded.
        for (submit, killed) in submits.iter().zip(killed) {
            if !submit {
                continue;
            }
            if killed {
                killed_submits += 1;
                submit_window_us = (submit_window_us * 5 / 4).min(30_000);
            } else {
                submit_window_us = (submit_window_us * 3 / 4).max(500);
            }
        }
        assert_catalog_invariants(&db, run);
        // A send is claimed (attempts + 1, committed) before the call, and nothing puts a
        // claimed request back in the queue here, so one claim is one send at most: no
        // request is ever sent again after the stand-in executed it.
        let resent = pairs(
            &db,
            "SELECT id, attempts || ' attempts' FROM render_requests WHERE attempts > 1",
        );
        assert_eq!(resent, [], "run {run}: a request was sent twice");
        let claimed: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM render_requests WHERE attempts = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let paid = standin.paid_creates();
        assert!(
            paid.len() <= usize::try_from(claimed).unwrap(),
            "run {run}: {} paid executions for {claimed} claimed requests",
            paid.len()
        );
        let held: std::collections::HashSet<String> = pairs(
            &db,
            "SELECT id, provider_generation_id FROM render_requests
             WHERE provider_generation_id IS NOT NULL",
        )
        .into_iter()
        .map(|(_, generation)| generation)
        .collect();
        let paid_ids: std::collections::HashSet<&str> =
            paid.iter().map(|p| p.generation_id.as_str()).collect();
        let strangers: Vec<&String> = held
            .iter()
            .filter(|g| !paid_ids.contains(g.as_str()))
            .collect();
        assert_eq!(
            strangers,
            Vec::<&String>::new(),
            "run {run}: a generation Luma never made"
        );
        // A paid create nobody holds yet belongs to a send whose answer was lost: its
        // request waits for the user (unknown) or for recovery (submitted, no id).
        let unheld = paid
            .iter()
            .filter(|p| !held.contains(&p.generation_id))
            .count();
        let waiting: i64 = db
            .query_row(
                "SELECT COUNT(*) FROM render_requests
                 WHERE state = 'unknown' OR (state = 'submitted' AND provider_generation_id IS NULL)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(
            unheld <= usize::try_from(waiting).unwrap(),
            "run {run}: {unheld} paid creates without a request holding them, {waiting} requests waiting"
        );
    }
    assert!(killed_submits >= 30, "{killed_submits} submits killed");

    // A clean submit recovers every interrupted send as unknown and re-sends none of them:
    // it sends only what was queued.
    let queued: Vec<i64> = pairs(
        &db,
        "SELECT id, state FROM render_requests WHERE state = 'queued'",
    )
    .into_iter()
    .map(|(id, _)| id)
    .collect();
    let unknown_before = pairs(
        &db,
        "SELECT id, state FROM render_requests WHERE state = 'unknown'",
    );
    let creates_before = standin.create_attempts();
    let listed = submit_ok(&env, &standin);
    let interrupted = pairs(
        &db,
        "SELECT id, state FROM render_requests
         WHERE state = 'submitted' AND provider_generation_id IS NULL",
    );
    assert_eq!(interrupted, [], "no send is left half-recorded");
    assert!(
        standin.create_attempts() - creates_before <= queued.len(),
        "only the {} queued requests may be sent",
        queued.len()
    );
    let paid_ids: std::collections::HashSet<String> = standin
        .paid_creates()
        .into_iter()
        .map(|p| p.generation_id)
        .collect();
    let now_holding: HashMap<i64, Option<String>> = db
        .prepare("SELECT id, provider_generation_id FROM render_requests")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (id, _) in &unknown_before {
        let still_unknown = pairs(
            &db,
            &format!("SELECT id, state FROM render_requests WHERE id = {id} AND state = 'unknown'"),
        );
        let linked = now_holding[id]
            .as_ref()
            .is_some_and(|g| paid_ids.contains(g));
        assert!(
            !still_unknown.is_empty() || linked,
            "request {id}: an unknown request stays unknown unless linked to what Luma made"
        );
    }
    let held: std::collections::HashSet<&String> = now_holding.values().flatten().collect();
    let lost: Vec<&String> = paid_ids.iter().filter(|g| !held.contains(g)).collect();
    assert_eq!(
        lost,
        Vec::<&String>::new(),
        "every paid render is held by its request after a clean submit"
    );
    assert!(
        listed.iter().any(|r| r["state"] == "completed"),
        "the loop got requests all the way through: {listed:?}"
    );
}

// --- 3. The provider failure matrix through `submit`. ---

/// One provider behaviour and what `submit` must leave behind.
struct Case {
    /// What Luma does.
    name: &'static str,
    /// Faults for the creates of the first `submit`.
    faults: Vec<Fault>,
    /// State after the first `submit`.
    state: &'static str,
    /// Creates received after the first `submit`.
    creates: usize,
    /// Paid executions after the first `submit`.
    paid: usize,
    /// The start of the reason shown on the request (`None`: no reason, it was accepted).
    reason: Option<&'static str>,
    /// State after a second `submit` without faults.
    state_after_resubmit: &'static str,
    /// Creates received after the second `submit`.
    creates_after_resubmit: usize,
}

#[test]
fn submit_leaves_each_provider_failure_in_its_state_and_never_resends_an_unknown_one() {
    let status = |code, retry_after| Fault::Status {
        code,
        detail: format!("scripted {code}"),
        retry_after,
    };
    let cases = [
        Case {
            name: "422: the request is refused",
            faults: vec![status(422, None)],
            state: "failed",
            creates: 1,
            paid: 0,
            reason: Some("Luma rejected the request (HTTP 422): scripted 422"),
            state_after_resubmit: "failed",
            creates_after_resubmit: 1,
        },
        Case {
            name: "409: a conflict may be an equivalent generation",
            faults: vec![status(409, None)],
            state: "unknown",
            creates: 1,
            paid: 0,
            reason: Some("Luma reported a conflict (HTTP 409): scripted 409"),
            state_after_resubmit: "unknown",
            creates_after_resubmit: 1,
        },
        Case {
            name: "504: the gateway gave up, Luma may have it",
            faults: vec![status(504, None)],
            state: "unknown",
            creates: 1,
            paid: 0,
            reason: Some("Luma had a server error (HTTP 504): scripted 504"),
            state_after_resubmit: "unknown",
            creates_after_resubmit: 1,
        },
        Case {
            name: "connection cut after the request was read",
            faults: vec![Fault::CutAfterRead],
            state: "unknown",
            creates: 1,
            paid: 1,
            reason: Some("the connection to Luma broke after the request was sent"),
            // The next submit finds the one generation with this exact request and links it.
            state_after_resubmit: "submitted",
            creates_after_resubmit: 1,
        },
        Case {
            name: "500: no proof that Luma made nothing",
            faults: vec![status(500, None)],
            state: "unknown",
            creates: 1,
            paid: 0,
            reason: Some("Luma had a server error (HTTP 500): scripted 500"),
            state_after_resubmit: "unknown",
            creates_after_resubmit: 1,
        },
        Case {
            name: "502 after Luma made the generation",
            faults: vec![Fault::StatusAfterWork(502)],
            state: "unknown",
            creates: 1,
            paid: 1,
            reason: Some("Luma had a server error (HTTP 502)"),
            state_after_resubmit: "submitted",
            creates_after_resubmit: 1,
        },
        Case {
            name: "429 once, then accepted",
            faults: vec![status(429, None)],
            state: "submitted",
            creates: 2,
            paid: 1,
            reason: None,
            state_after_resubmit: "submitted",
            creates_after_resubmit: 2,
        },
        Case {
            name: "429 asking to wait longer than the backoff allows",
            faults: vec![status(429, Some(30))],
            state: "queued",
            creates: 1,
            paid: 0,
            reason: Some("Luma is rate limiting requests (HTTP 429): scripted 429"),
            state_after_resubmit: "submitted",
            creates_after_resubmit: 2,
        },
        Case {
            name: "429 on every attempt",
            faults: vec![status(429, None), status(429, None), status(429, None)],
            state: "queued",
            creates: 3,
            paid: 0,
            reason: Some("Luma is rate limiting requests (HTTP 429): scripted 429"),
            state_after_resubmit: "submitted",
            creates_after_resubmit: 4,
        },
    ];

    let source = tempfile::tempdir().unwrap();
    let name = "SH010_flash_v1.mp4".to_owned();
    clips(source.path(), std::slice::from_ref(&name), 1);
    flash_sidecar(
        &source.path().join(&name),
        &generation_id(1),
        "a red fox at dawn",
        1,
    );

    for case in cases {
        let env = Env::new();
        for file in [name.clone(), format!("{name}.json")] {
            std::fs::copy(source.path().join(&file), env.clips.join(&file)).unwrap();
        }
        env.json(&["scan", env.clips.to_str().unwrap()]);
        let take = take_ids(&env)[&name].to_string();
        env.json(&["approve", &take]);
        let standin = LumaStandIn::start(KEY);
        for fault in case.faults {
            standin.push_fault(Route::Create, fault);
        }

        let printed = submit_ok(&env, &standin);
        let listed = requests(&env);
        assert_eq!(printed, listed, "{}: submit prints the requests", case.name);
        assert_eq!(listed.len(), 1, "{}", case.name);
        let request = &listed[0];
        assert_eq!(request["state"], case.state, "{}: {request}", case.name);
        assert_eq!(
            standin.create_attempts(),
            case.creates,
            "{}: creates",
            case.name
        );
        let paid = standin.paid_creates();
        assert_eq!(paid.len(), case.paid, "{}: paid executions", case.name);
        let reason = request["failure_reason"].as_str();
        match case.reason {
            Some(expected) => assert!(
                reason.is_some_and(|r| r.starts_with(expected)),
                "{}: the reason is shown: {reason:?}",
                case.name
            ),
            None => assert_eq!(reason, None, "{}", case.name),
        }
        if case.state == "unknown" {
            assert!(
                reason.is_some_and(|r| r.ends_with("send it again, or cancel it in the render queue")),
                "{}: the user is told what to do: {reason:?}",
                case.name
            );
        }
        let expected_generation = match case.state {
            "submitted" => json!(paid[0].generation_id),
            _ => Value::Null,
        };
        assert_eq!(
            request["generation_id"], expected_generation,
            "{}",
            case.name
        );

        let again = submit_ok(&env, &standin);
        assert_eq!(again.len(), 1);
        assert_eq!(
            again[0]["state"], case.state_after_resubmit,
            "{}: after a second submit",
            case.name
        );
        assert_eq!(
            standin.create_attempts(),
            case.creates_after_resubmit,
            "{}: creates after a second submit",
            case.name
        );
        let sent_again = usize::from(case.state == "queued");
        assert_eq!(
            standin.paid_creates().len(),
            case.paid + sent_again,
            "{}: only a request Luma certainly never processed is sent again",
            case.name
        );
        assert!(standin.paid_creates().len() <= 1, "{}", case.name);
    }
}

#[test]
fn a_submit_killed_while_luma_holds_the_create_is_recovered_and_linked_never_resent() {
    let env = Env::new();
    let name = "SH010_flash_v1.mp4".to_owned();
    let ids = scanned_flash_takes(&env, std::slice::from_ref(&name), 1);
    env.json(&["approve", &ids[&name].to_string()]);
    let standin = LumaStandIn::start(KEY);
    // Luma executes the create but answers only much later: the client's wait is cut
    // short by the crash instead of a timeout.
    standin.push_fault(Route::Create, Fault::Delay(Duration::from_secs(60)));

    let mut sending = submit_command(&env, &standin)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(20), "the create to reach Luma", || {
        standin.create_attempts() == 1
    });
    sending.kill().unwrap();
    sending.wait().unwrap();
    let row = &requests(&env)[0];
    assert_eq!(
        row["state"], "submitted",
        "committed as sent before the call"
    );
    assert_eq!(row["generation_id"], Value::Null);

    let out = submit(&env, &standin);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("was being sent when Takeboard stopped")
            && stderr.contains("unknown")
            && stderr.contains("found at Luma"),
        "{stderr}"
    );
    let paid = standin.paid_creates();
    assert_eq!(paid.len(), 1);
    for _ in 0..2 {
        let row = &requests(&env)[0];
        assert_eq!(
            (row["state"].as_str(), row["generation_id"].as_str()),
            (Some("submitted"), Some(paid[0].generation_id.as_str())),
            "the one exact match at Luma is linked, not sent again"
        );
        assert_eq!(
            standin.create_attempts(),
            1,
            "an interrupted request is never re-sent"
        );
        submit_ok(&env, &standin);
    }
}

// --- 4. A returned render, end to end. ---

#[test]
fn a_returned_render_is_linked_to_its_request_and_shot_then_marked_final() {
    let env = Env::new();
    let names = [
        "SH010_flash_v1.mp4".to_owned(),
        "SH010_flash_v2.mp4".to_owned(),
    ];
    let ids = scanned_flash_takes(&env, &names, 1);
    let flash = ids[&names[1]];
    let approval = env.json(&["approve", &flash.to_string()]);
    let request_id = approval["request"]["id"].as_i64().unwrap();
    assert_eq!(env.json(&["shots", "--json"])[0]["state"], "approved");

    let standin = LumaStandIn::start(KEY);
    let sent = submit_ok(&env, &standin);
    assert_eq!(sent[0]["state"], "submitted");
    let paid = standin.paid_creates();
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0].path, "/generations/video");
    assert_eq!(paid[0].body["model"], "ray-2");
    assert_eq!(paid[0].body["prompt"], "prompt of SH010_flash_v2.mp4");
    let generation = paid[0].generation_id.clone();
    assert_eq!(sent[0]["generation_id"], json!(generation));
    assert_eq!(env.json(&["shots", "--json"])[0]["state"], "rendering");

    // Still dreaming: a second pass polls, downloads nothing, sends nothing.
    let polled = submit_ok(&env, &standin);
    assert_eq!(polled[0]["state"], "submitted");
    assert_eq!(standin.create_attempts(), 1);

    // Luma finishes; its video is a real clip (made outside the watched folder).
    let elsewhere = tempfile::tempdir().unwrap();
    clips(elsewhere.path(), &["render.mp4".to_owned()], 1);
    let rendered = std::fs::read(elsewhere.path().join("render.mp4")).unwrap();
    standin.serve_video(&generation, rendered.clone());
    standin.complete(&generation);
    let done = submit_ok(&env, &standin);
    assert_eq!(done[0]["state"], "completed");
    assert_eq!(done[0]["result_take_id"], Value::Null, "not indexed yet");
    let file = format!("SH010_regenerate_ray-2_{}.mp4", &generation[..8]);
    let video = env.clips.join(&file);
    assert_eq!(std::fs::read(&video).unwrap(), rendered);
    let sidecar: Value =
        serde_json::from_slice(&std::fs::read(env.clips.join(format!("{file}.json"))).unwrap())
            .unwrap();
    assert_eq!(sidecar["id"], json!(generation));

    let summary = env.json(&["scan", env.clips.to_str().unwrap()]);
    assert_eq!(summary["added"], 1, "{summary}");
    let render = take_ids(&env)[&file];
    let listed = requests(&env);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], request_id);
    assert_eq!(listed[0]["state"], "completed");
    assert_eq!(listed[0]["result_take_id"], render);
    let takes = env.json(&["takes", "--json", "--shot", "SH010"]);
    let taken = takes
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == render)
        .expect("the render is in SH010");
    assert_eq!(taken["origin"], "standard");
    assert_eq!(taken["generation_id"], json!(generation));
    assert_eq!(taken["error"], Value::Null, "the render is a readable clip");
    assert_eq!(taken["frames"], 24);
    assert_eq!(env.json(&["shots", "--json"])[0]["state"], "rendered");

    let marked = env.json(&["final", &render.to_string()]);
    assert_eq!(marked["final"], true);
    let shots = env.json(&["shots", "--json"]);
    assert_eq!(shots[0]["code"], "SH010");
    assert_eq!(shots[0]["state"], "final");
    let cleared = env.json(&["final", "--clear", &render.to_string()]);
    assert_eq!(cleared["final"], false);
    assert_eq!(
        env.json(&["shots", "--json"])[0]["state"],
        "rendered",
        "clearing the final mark gives the shot back its rendered state"
    );
    assert_eq!(
        standin.paid_creates().len(),
        1,
        "one approval, one paid render"
    );
}

// --- 5. Credits. ---

#[test]
fn a_five_second_flash_take_costs_55_credits_and_its_standard_request_160() {
    let env = Env::new();
    let name = "SH010_flash_v1.mp4".to_owned();
    let ids = scanned_flash_takes(&env, std::slice::from_ref(&name), 5);
    let take = &env.json(&["takes", "--json"])[0];
    assert_eq!(take["frames"], 120);
    assert_eq!(take["origin"], "flash");

    let before = env.json(&["credits", "--json"]);
    assert_eq!(
        (&before["spent"], &before["pending"]),
        (&json!(55), &json!(0))
    );

    let approval = env.json(&["approve", &ids[&name].to_string()]);
    assert_eq!(approval["request"]["credits_estimate"], 160);
    assert_eq!(approval["request"]["model"], "ray-2");
    assert_eq!(approval["request"]["duration_s"], 5);
    let listed = requests(&env);
    assert_eq!(listed[0]["credits_estimate"], 160);

    let after = env.json(&["credits", "--json"]);
    assert_eq!(after["spent"], 55);
    assert_eq!(after["pending"], 160);
    assert_eq!(after["per_shot"][0]["spent"], 55);
    assert_eq!(after["per_shot"][0]["pending"], 160);
    assert!((after["pending_usd"].as_f64().unwrap() - 0.40).abs() < 1e-9);
}

// --- 6. Money safety across projects and processes. ---

/// Flash clips + sidecars named `names` in a new folder `dir`, scanned into `project`;
/// returns the take id of each name.
fn project_takes(
    env: &Env,
    project: &str,
    names: &[&str],
    first_id: usize,
) -> HashMap<String, i64> {
    let dir = env.dir.path().join(project);
    std::fs::create_dir_all(&dir).unwrap();
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    clips(&dir, &names, 1);
    for (n, name) in names.iter().enumerate() {
        flash_sidecar(
            &dir.join(name),
            &generation_id(first_id + n),
            &format!("{project} {name}"),
            1,
        );
    }
    env.json(&["--project", project, "scan", dir.to_str().unwrap()]);
    env.json(&["--project", project, "takes", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let path = Path::new(t["path"].as_str().unwrap());
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                t["id"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn project_requests(env: &Env, project: &str) -> Vec<Value> {
    env.json(&["--project", project, "requests", "--json"])
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn submitting_one_project_sends_only_its_requests() {
    let env = Env::new();
    let a = project_takes(&env, "A", &["SH010_a.mp4"], 0);
    let b = project_takes(
        &env,
        "B",
        &["SH010_b.mp4", "SH020_b.mp4", "SH030_b.mp4"],
        10,
    );
    env.json(&["approve", &a["SH010_a.mp4"].to_string()]);
    for id in b.values() {
        env.json(&["approve", &id.to_string()]);
    }
    let standin = LumaStandIn::start(KEY);

    let mut submit = submit_command(&env, &standin);
    submit.args(["--project", "A"]);
    let out = submit.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        standin.create_attempts(),
        1,
        "the user confirmed one request"
    );
    assert_eq!(project_requests(&env, "A")[0]["state"], "submitted");
    let states: Vec<Value> = project_requests(&env, "B")
        .iter()
        .map(|r| r["state"].clone())
        .collect();
    assert_eq!(
        states,
        ["queued", "queued", "queued"],
        "project B is untouched"
    );

    let only = project_requests(&env, "B")[1]["id"].to_string();
    let mut submit = submit_command(&env, &standin);
    submit.args(["--project", "B", "--only", &only]);
    assert!(submit.output().unwrap().status.success());
    assert_eq!(standin.create_attempts(), 2, "--only sends just that one");
}

#[test]
fn two_clis_submitting_at_once_while_luma_holds_the_create_send_it_once() {
    let env = Env::new();
    let name = "SH010_flash_v1.mp4".to_owned();
    let ids = scanned_flash_takes(&env, std::slice::from_ref(&name), 1);
    env.json(&["approve", &ids[&name].to_string()]);
    let standin = LumaStandIn::start(KEY);
    standin.push_fault(Route::Create, Fault::Delay(Duration::from_secs(2)));

    let first = submit_command(&env, &standin)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(
        Duration::from_secs(20),
        "the first create to reach Luma",
        || standin.create_attempts() == 1,
    );
    // The second starts while the first waits for Luma: it must neither send the request
    // again nor take the first one's send for an interrupted one.
    let second = submit(&env, &standin);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let row = &requests(&env)[0];
    assert_eq!(
        row["state"], "submitted",
        "still the first one's send: {row}"
    );
    assert!(
        row["sender"]["pid"].is_number(),
        "the queue says who is sending: {row}"
    );
    let first = first.wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );

    assert_eq!(standin.create_attempts(), 1, "one create for two submits");
    let paid = standin.paid_creates();
    let row = &requests(&env)[0];
    assert_eq!(row["state"], "submitted");
    assert_eq!(
        row["generation_id"],
        json!(paid[0].generation_id),
        "the answer landed"
    );
}

#[test]
fn exported_requests_are_not_submitted_and_are_resolved_through_the_cli() {
    let env = Env::new();
    let names = [
        "SH010_flash_v1.mp4".to_owned(),
        "SH020_flash_v1.mp4".to_owned(),
    ];
    let ids = scanned_flash_takes(&env, &names, 1);
    for name in &names {
        env.json(&["approve", &ids[name].to_string()]);
    }
    let standin = LumaStandIn::start(KEY);
    let out = env.dir.path().join("bodies.json");
    let exported = env.json(&["requests", "export", "--out", out.to_str().unwrap()]);
    assert_eq!(exported["count"], 2);
    let bodies: Vec<Value> = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(bodies.len(), 2);
    assert!(requests(&env).iter().all(|r| r["state"] == "exported"));

    submit_ok(&env, &standin);
    assert_eq!(
        standin.create_attempts(),
        0,
        "export then submit: no create"
    );

    let [first, second] = [
        requests(&env)[0]["id"].to_string(),
        requests(&env)[1]["id"].to_string(),
    ];
    let linked = env.json(&[
        "requests",
        "resolve",
        &first,
        "--link",
        "f1a50000-aaaa-4000-8000-000000000001",
    ]);
    assert_eq!(linked[0]["state"], "submitted");
    let requeued = env.json(&["requests", "resolve", &second, "--resend"]);
    assert_eq!(requeued[0]["state"], "queued");
    submit_ok(&env, &standin);
    assert_eq!(
        standin.create_attempts(),
        1,
        "only the re-queued request is sent"
    );

    let refused = env.fail(&["requests", "resolve", &second, "--cancel"]);
    assert!(
        refused.contains("only a request whose send is uncertain"),
        "{refused}"
    );
}
