//! SPEC "Bad input and faults", met where a user meets them — through the CLI: each bad
//! input gets its clear message, and everything already recorded (takes, decisions, shots,
//! render requests) is still there afterwards.
//!
//! Covered elsewhere, not repeated here: a library from a newer version and a locked
//! library (`catalog.rs`), a huge *video* (a sparse > 4 GiB file with a real `moov` is
//! probed without reading its `mdat`: core `probe.rs`), approving twice (`approvals.rs`).

use crate::support::{clip, Env};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// A library with decisions worth losing: an approved Flash take with its render request,
/// and a Standard take approved (so final) and trimmed.
fn recorded() -> Env {
    let env = Env::new();
    clip(&env.clips, "SH010_flash_t1.mp4", "24", false);
    clip(&env.clips, "SH020_std.mp4", "25", false);
    let summary = env.json(&["scan", env.clips.to_str().unwrap()]);
    assert_eq!(summary["added"], 2, "{summary}");
    let flash = id_of(&env, "SH010_flash_t1.mp4");
    let approval = env.json(&["approve", &flash]);
    assert!(approval["request"]["id"].is_i64(), "{approval}");
    let standard = id_of(&env, "SH020_std.mp4");
    env.json(&["approve", &standard]);
    env.json(&["trim", &standard, "2", "20"]);
    env
}

/// What the CLI reports as recorded.
struct Snapshot {
    takes: Vec<Value>,
    shots: Vec<Value>,
    requests: Value,
}

fn snapshot(env: &Env) -> Snapshot {
    let list = |v: Value| v.as_array().unwrap().clone();
    Snapshot {
        takes: list(env.json(&["takes", "--json"])),
        shots: list(env.json(&["shots", "--json"])),
        requests: env.json(&["requests", "--json"]),
    }
}

/// Every take and shot of `before` is in `after` unchanged (bad files may add takes and
/// shots of their own), and the render requests are exactly the same.
fn assert_nothing_lost(before: &Snapshot, after: &Snapshot) {
    for take in &before.takes {
        let same = after.takes.iter().find(|t| t["id"] == take["id"]);
        assert_eq!(same, Some(take), "take {} is kept as it was", take["id"]);
    }
    for shot in &before.shots {
        let same = after
            .shots
            .iter()
            .find(|s| s["code"] == shot["code"])
            .unwrap_or_else(|| panic!("shot {} is kept", shot["code"]));
        for key in ["name", "position", "state"] {
            assert_eq!(same[key], shot[key], "shot {}: {key}", shot["code"]);
        }
        for id in shot["takes"].as_array().unwrap() {
            assert!(
                same["takes"].as_array().unwrap().contains(id),
                "shot {} keeps take {id}",
                shot["code"]
            );
        }
    }
    assert_eq!(
        after.requests, before.requests,
        "render requests are unchanged"
    );
}

/// The take whose file is named `file`.
fn take_named(env: &Env, file: &str) -> Value {
    let takes = env.json(&["takes", "--json"]);
    takes
        .as_array()
        .unwrap()
        .iter()
        .find(|t| Path::new(t["path"].as_str().unwrap()).file_name().unwrap() == file)
        .unwrap_or_else(|| panic!("no take for {file:?} in {takes:#}"))
        .clone()
}

fn id_of(env: &Env, file: &str) -> String {
    take_named(env, file)["id"].to_string()
}

/// The reasons `scan` gave in `list` (`errors` or `skipped`) for the file named `file`.
fn reason(summary: &Value, list: &str, file: &str) -> String {
    summary[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["path"].as_str().unwrap().ends_with(file))
        .unwrap_or_else(|| panic!("{file} in scan's {list}: {summary:#}"))["reason"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Runs `cmd` to completion, failing the test (and killing it) after `limit`.
fn output_within(mut cmd: Command, limit: Duration) -> Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cli runs");
    let pid = child.id().to_string();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(child.wait_with_output()));
    match finished.recv_timeout(limit) {
        Ok(out) => out.expect("cli output"),
        Err(_) => {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            panic!("{cmd:?} did not finish within {limit:?}");
        }
    }
}

/// `inner` run by the program and arguments `wrapper` (which must exec its last arguments).
fn under(wrapper: &[&str], inner: &Command) -> Command {
    let mut cmd = Command::new(wrapper[0]);
    cmd.args(&wrapper[1..])
        .arg(inner.get_program())
        .args(inner.get_args())
        .envs(inner.get_envs().filter_map(|(k, v)| Some((k, v?))));
    cmd
}

/// Sets a file's mtime `age` into the past.
fn backdate(path: &Path, age: Duration) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - age)
        .unwrap();
}

fn scratch(env: &Env) -> PathBuf {
    let dir = env.dir.path().join("scratch");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_truncated_or_damaged_mp4_is_recorded_with_its_error_and_cannot_be_approved() {
    let env = recorded();
    let before = snapshot(&env);
    // ffmpeg writes the movie header last, so the first half of a clip has none.
    let bytes = std::fs::read(clip(&scratch(&env), "src.mp4", "30", false)).unwrap();
    let cut = env.clips.join("SH030_cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    // Old enough not to be taken for a download still on its way.
    backdate(&cut, Duration::from_secs(300));
    let mut damaged = bytes.clone();
    let stsz = damaged.windows(4).position(|w| w == b"stsz").unwrap();
    damaged[stsz - 4..stsz].copy_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
    std::fs::write(env.clips.join("SH040_damaged.mp4"), &damaged).unwrap();

    let summary = env.json(&["scan", env.clips.to_str().unwrap()]);
    assert_eq!(
        summary["added"], 2,
        "both are recorded, with their errors: {summary}"
    );
    let why = reason(&summary, "errors", "SH030_cut.mp4");
    assert!(
        why.contains("the file looks truncated or still downloading"),
        "{why}"
    );
    let why = reason(&summary, "errors", "SH040_damaged.mp4");
    assert!(
        why.contains("MP4 structure is damaged") && why.contains("'stsz'"),
        "{why}"
    );

    let take = take_named(&env, "SH030_cut.mp4");
    assert!(
        take["error"].as_str().unwrap().contains("truncated"),
        "on the take: {take}"
    );
    assert_eq!(take["present"], true);
    assert_eq!(take["frames"], Value::Null);
    let err = env.fail(&["approve", &take["id"].to_string()]);
    assert!(
        err.contains("cannot be approved: its file could not be read (the 'mdat' box"),
        "{err}"
    );
    assert_nothing_lost(&before, &snapshot(&env));
}

#[test]
fn a_file_that_is_not_a_video_is_recorded_as_what_it_looks_like() {
    let env = recorded();
    let before = snapshot(&env);
    let html = "<!DOCTYPE html><html><body><h1>403 Forbidden</h1></body></html>";
    std::fs::write(env.clips.join("SH050_flash.mp4"), html).unwrap();
    std::fs::write(env.clips.join("notes.mov"), "SH010 is the one\nSH020 too\n").unwrap();
    std::fs::write(
        env.clips.join("SH060.m4v"),
        [0u8, 1, 2, 3, 0xfe, 0xff, 7, 8, 9, 10],
    )
    .unwrap();

    let summary = env.json(&["scan", env.clips.to_str().unwrap()]);
    for (file, looks) in [
        (
            "SH050_flash.mp4",
            "it looks like a web page (HTML/XML) — perhaps an error page was saved instead of the video",
        ),
        ("notes.mov", "it looks like a text file"),
        ("SH060.m4v", "it does not start with an 'ftyp' box"),
    ] {
        let why = reason(&summary, "errors", file);
        assert_eq!(why, format!("not an MP4/MOV video: {looks}"));
        let take = take_named(&env, file);
        assert_eq!(take["error"], why.as_str(), "the same message on the take");
    }
    let err = env.fail(&["approve", &id_of(&env, "SH050_flash.mp4")]);
    assert!(
        err.contains("its file could not be read (not an MP4/MOV video"),
        "{err}"
    );
    assert_nothing_lost(&before, &snapshot(&env));
}

#[test]
fn a_huge_sparse_file_that_is_not_a_video_is_refused_from_its_first_bytes() {
    let env = recorded();
    let before = snapshot(&env);
    let huge = env.clips.join("SH070_huge.mp4");
    let file = std::fs::File::create(&huge).unwrap();
    std::io::Write::write_all(&mut &file, b"\x00\x00\x00\x08free-not-a-movie").unwrap();
    // 16 GiB of holes: reading it all (to hash it) would take far longer than the limit.
    file.set_len(16 << 30).unwrap();
    drop(file);

    let out = output_within(
        env.command(&["scan", env.clips.to_str().unwrap()]),
        Duration::from_secs(20),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let why = reason(&summary, "errors", "SH070_huge.mp4");
    assert_eq!(
        why,
        "not an MP4/MOV video: it does not start with an 'ftyp' box"
    );
    assert_eq!(take_named(&env, "SH070_huge.mp4")["error"], why.as_str());
    assert_nothing_lost(&before, &snapshot(&env));
}

#[test]
fn odd_file_names_are_kept_verbatim_and_a_name_that_is_not_utf8_is_skipped_with_a_reason() {
    use std::os::unix::ffi::OsStrExt;
    let env = recorded();
    let before = snapshot(&env);
    let names = [
        (
            "SH080 <img src=x onerror=alert(1)> & \"q\" 'a'.mp4",
            "30",
            false,
        ),
        ("SH090 ☃ 雨 Ω \u{202e}kcab.mp4", "24", true),
        ("SH100 tab\there\nnew line.mp4", "25", true),
        ("<script>alert('x')<\\script>.mp4", "30", true),
    ];
    for (name, fps, audio) in names {
        clip(&env.clips, name, fps, audio);
    }
    let not_utf8 = env
        .clips
        .join(std::ffi::OsStr::from_bytes(b"SH110_\xff\xfe.mp4"));
    std::fs::copy(env.clips.join(names[0].0), &not_utf8).unwrap();

    let summary = env.json(&["scan", env.clips.to_str().unwrap()]);
    assert_eq!(summary["added"], 4, "{summary}");
    assert_eq!(summary["errors"], serde_json::json!([]));
    let why = reason(&summary, "skipped", "SH110_\u{fffd}\u{fffd}.mp4");
    assert_eq!(
        why,
        "the file name is not valid UTF-8; rename it to index it"
    );
    for (name, _, _) in names {
        let take = take_named(&env, name);
        assert_eq!(
            take["path"],
            env.clips.join(name).to_str().unwrap(),
            "verbatim"
        );
        assert_eq!(take["error"], Value::Null);
    }
    assert_eq!(take_named(&env, names[0].0)["shot"], "SH080");
    assert_eq!(take_named(&env, names[3].0)["shot"], "UNSORTED");
    assert_nothing_lost(&before, &snapshot(&env));
    let approval = env.json(&["approve", &id_of(&env, names[1].0)]);
    assert!(
        approval["request"]["id"].is_i64(),
        "usable like any take: {approval}"
    );
}

#[test]
fn a_symlink_is_reported_as_skipped_and_not_followed() {
    let env = recorded();
    let before = snapshot(&env);
    let outside = clip(&scratch(&env), "outside.mp4", "30", false);
    std::os::unix::fs::symlink(&outside, env.clips.join("SH120_link.mp4")).unwrap();
    std::os::unix::fs::symlink(
        env.clips.join("SH010_flash_t1.mp4"),
        env.clips.join("SH010_again.mp4"),
    )
    .unwrap();

    let summary = env.json(&["scan", env.clips.to_str().unwrap()]);
    assert_eq!(summary["added"], 0, "{summary}");
    for link in ["SH120_link.mp4", "SH010_again.mp4"] {
        let why = reason(&summary, "skipped", link);
        assert!(why.starts_with("symbolic link: not followed"), "{why}");
    }
    let after = snapshot(&env);
    assert_eq!(after.takes.len(), before.takes.len(), "no take for a link");
    assert_nothing_lost(&before, &after);
}

/// Whether this process runs as root (who reads any file regardless of its mode).
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").unwrap().uid() == 0
}

#[test]
fn an_unreadable_file_is_recorded_with_the_os_error_and_indexed_once_readable() {
    use std::os::unix::fs::PermissionsExt;
    let env = recorded();
    let before = snapshot(&env);
    let locked = clip(&env.clips, "SH130_locked.mp4", "30", false);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();

    let scan = env.command(&["scan", env.clips.to_str().unwrap()]);
    let out = if running_as_root() {
        // Root reads a mode-000 file anyway; without the capabilities that let it
        // (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) root is held to the mode like any owner.
        under(
            &[
                "setpriv",
                "--bounding-set=-dac_override,-dac_read_search",
                "--",
            ],
            &scan,
        )
        .output()
        .expect("setpriv (util-linux) runs")
    } else {
        env.command(&["scan", env.clips.to_str().unwrap()])
            .output()
            .unwrap()
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let why = reason(&summary, "errors", "SH130_locked.mp4");
    assert!(
        why.starts_with("could not read ") && why.ends_with("Permission denied (os error 13)"),
        "{why}"
    );
    let take = take_named(&env, "SH130_locked.mp4");
    assert_eq!(take["error"], why.as_str(), "on the take");
    let err = env.fail(&["approve", &take["id"].to_string()]);
    assert!(err.contains("Permission denied"), "{err}");
    assert_nothing_lost(&before, &snapshot(&env));

    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
    env.json(&["scan", env.clips.to_str().unwrap()]);
    let take = take_named(&env, "SH130_locked.mp4");
    assert_eq!(
        (take["error"].clone(), take["frames"].clone()),
        (Value::Null, 30.into()),
        "{take}"
    );
    assert_nothing_lost(&before, &snapshot(&env));
}

#[test]
fn a_named_pipe_with_a_video_name_is_reported_without_blocking_the_scan() {
    let env = recorded();
    let before = snapshot(&env);
    let status = Command::new("mkfifo")
        .arg(env.clips.join("SH140_pipe.mp4"))
        .status()
        .unwrap();
    assert!(status.success());
    let out = output_within(
        env.command(&["scan", env.clips.to_str().unwrap()]),
        Duration::from_secs(20),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let why = reason(&summary, "skipped", "SH140_pipe.mp4");
    assert_eq!(
        why,
        "not a regular file (a named pipe, socket or device): not read"
    );
    assert_nothing_lost(&before, &snapshot(&env));
}

#[test]
fn malformed_sidecars_are_reported_on_the_take_which_is_still_indexed() {
    let env = recorded();
    let before = snapshot(&env);
    let huge = format!("{}{{}}", " ".repeat(2 << 20));
    let cases = [
        // (clip, sidecar, content, rate, audio, what the take says)
        (
            "SH150_flash.mp4",
            "SH150_flash.json",
            "{\"id\": \"gen-1\", \"model\": ",
            "30",
            false,
            "is not valid JSON at line 1",
        ),
        (
            "SH160_flash.mp4",
            "SH160_flash.mp4.json",
            "[\"not\", \"an\", \"object\"]",
            "24",
            true,
            "array",
        ),
        (
            "SH170_std.mp4",
            "SH170_std.json",
            huge.as_str(),
            "25",
            true,
            "is larger than 1048576 bytes",
        ),
    ];
    for (file, sidecar, content, fps, audio, _) in cases {
        clip(&env.clips, file, fps, audio);
        std::fs::write(env.clips.join(sidecar), content).unwrap();
    }
    // Wrong JSON types are ignored, as unknown fields are (the format is Luma's): no error.
    clip(&env.clips, "SH180_flash.mp4", "30", true);
    std::fs::write(
        env.clips.join("SH180_flash.json"),
        "{\"id\": 42, \"model\": [\"ray-2\"]}",
    )
    .unwrap();

    let summary = env.json(&["scan", env.clips.to_str().unwrap()]);
    assert_eq!(summary["added"], 4, "{summary}");
    assert_eq!(
        summary["errors"],
        serde_json::json!([]),
        "a sidecar never fails the clip"
    );
    for (file, sidecar, _, _, _, says) in cases {
        let take = take_named(&env, file);
        let error = take["sidecar_error"]
            .as_str()
            .unwrap_or_else(|| panic!("{file}: {take}"));
        assert!(
            error.contains(env.clips.join(sidecar).to_str().unwrap()),
            "names the sidecar: {error}"
        );
        assert!(error.contains(says), "{file}: {error}");
        assert_eq!(take["error"], Value::Null, "the clip itself is fine");
        assert!(take["frames"].as_u64().unwrap() > 0);
    }
    assert_eq!(
        take_named(&env, "SH160_flash.mp4")["origin"],
        "flash",
        "from the file name"
    );
    assert_eq!(
        take_named(&env, "SH170_std.mp4")["origin"],
        "standard",
        "from the file name"
    );
    let lenient = take_named(&env, "SH180_flash.mp4");
    assert_eq!(lenient["sidecar_error"], Value::Null);
    assert_eq!(lenient["origin"], "flash");
    assert_eq!(lenient["generation_id"], Value::Null);
    assert_nothing_lost(&before, &snapshot(&env));
}

/// A small tmpfs mounted over a folder for the life of the value.
struct SmallDisk(PathBuf);

impl SmallDisk {
    /// Mounts a `size` tmpfs on `dir`; `None` when this process may not mount.
    fn mount(dir: &Path, size: &str) -> Option<SmallDisk> {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .ok()?;
        out.status.success().then(|| SmallDisk(dir.to_owned()))
    }

    /// Writes zeros until the disk refuses more; returns the filler file.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let filler = self.0.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 4096];
        let err = loop {
            if let Err(e) = file.write_all(&block) {
                break e;
            }
        };
        assert_eq!(err.raw_os_error(), Some(28), "ENOSPC: {err}");
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Needs to mount a tmpfs (CAP_SYS_ADMIN), so the harness skips it by default; `make
/// test-rust` runs it with `--ignored` where `scripts/can-mount-tmpfs.sh` says this machine
/// can (the export side of a full disk is tested everywhere with RLIMIT_FSIZE).
#[test]
#[ignore = "mounts a tmpfs: make test-rust runs it where the machine allows"]
fn a_full_library_disk_gives_a_clear_error_and_loses_nothing() {
    let env = Env::new();
    // The library's folder is a 2 MiB disk of its own.
    let disk = SmallDisk::mount(env.db.parent().unwrap(), "2m")
        .expect("this test was asked to run, so it must be able to mount a tmpfs");
    clip(&env.clips, "SH010_flash_t1.mp4", "24", false);
    clip(&env.clips, "SH020_std.mp4", "25", false);
    env.json(&["scan", env.clips.to_str().unwrap()]);
    env.json(&["approve", &id_of(&env, "SH010_flash_t1.mp4")]);
    let before = snapshot(&env);

    let filler = disk.fill();
    clip(&env.clips, "SH030_flash.mp4", "30", false);
    let export = disk.0.join("selects.xml");
    for args in [
        vec!["scan", env.clips.to_str().unwrap()],
        vec!["approve", "2"],
        vec!["export", "--out", export.to_str().unwrap()],
    ] {
        let err = env.fail(&args);
        assert!(
            err.contains("is its disk full? Free some space and try again"),
            "{args:?}: {err}"
        );
        assert!(
            err.contains(env.db.to_str().unwrap()),
            "names the library: {err}"
        );
    }
    assert!(!export.exists(), "no export written");

    std::fs::remove_file(filler).unwrap();
    let after = snapshot(&env);
    assert_eq!(
        after.takes, before.takes,
        "takes and decisions as they were"
    );
    assert_nothing_lost(&before, &after);
    let summary = env.json(&["scan", env.clips.to_str().unwrap()]);
    assert_eq!(
        summary["added"], 1,
        "with space again, the new clip is indexed"
    );
}

#[test]
fn an_export_that_cannot_be_written_in_full_fails_clearly_and_leaves_no_file() {
    let env = recorded();
    // A long shot name makes the export (80 kB) larger than the size limit below (64 KiB),
    // which the library's 32 KiB shared-memory file must fit under.
    env.json(&["rename-shot", "SH010", &"Ω".repeat(40_000)]);
    let before = snapshot(&env);
    let out_dir = env.dir.path().join("exports");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("selects.xml");
    // A file-size limit makes the write fail as a full disk would (EFBIG rather than
    // ENOSPC); SIGXFSZ is ignored (the disposition survives exec) so the write returns
    // the error instead of killing the process.
    let export = env.command(&["export", "--out", out.to_str().unwrap()]);
    let limited = under(
        &[
            "sh",
            "-c",
            "trap '' XFSZ; exec prlimit --fsize=65536 -- \"$@\"",
            "sh",
        ],
        &export,
    )
    .output()
    .expect("sh and prlimit run");
    assert_eq!(limited.status.code(), Some(1), "{limited:?}");
    let err = String::from_utf8_lossy(&limited.stderr);
    assert!(
        err.contains(&format!(
            "could not write {}: File too large",
            out.display()
        )),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(&out_dir).unwrap().collect();
    assert!(
        left.is_empty(),
        "no file, not even half of one or a temporary: {left:?}"
    );
    assert_nothing_lost(&before, &snapshot(&env));
    env.json(&["export", "--out", out.to_str().unwrap()]);
    assert!(out.exists(), "without the limit the export is written");
}

#[test]
fn a_missing_watched_folder_is_refused_by_watch_and_passed_over_by_other_scans() {
    let env = recorded();
    let before = snapshot(&env);
    let nope = env.dir.path().join("nope");
    let out = output_within(
        env.command(&["watch", nope.to_str().unwrap()]),
        Duration::from_secs(20),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "the watched folder {} does not exist",
            nope.display()
        )),
        "{err}"
    );

    // The clips folder goes away (an unplugged drive); another folder is scanned.
    let unplugged = env.dir.path().join("unplugged");
    std::fs::rename(&env.clips, &unplugged).unwrap();
    let other = env.dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    clip(&other, "SH030_flash_t1.mp4", "30", false);
    let summary = env.json(&["scan", other.to_str().unwrap()]);
    assert_eq!(summary["added"], 1, "{summary}");
    assert_eq!(
        summary["missing"], 0,
        "the unplugged folder's takes are not missing: {summary}"
    );
    let why = reason(&summary, "skipped", "clips");
    assert!(
        why.contains("does not exist") && why.contains("kept as they were"),
        "{why}"
    );
    assert_nothing_lost(&before, &snapshot(&env));

    // `watch` keeps running and warns about it.
    let mut child = env
        .command(&["watch", other.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (line, heard) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for l in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = line.send(l);
        }
    });
    let warning = heard
        .recv_timeout(Duration::from_secs(20))
        .expect("a warning");
    assert!(
        warning.starts_with("takeboard-cli: warning: the watched folder")
            && warning.contains("does not exist"),
        "{warning}"
    );
    assert_eq!(child.try_wait().unwrap(), None, "watch keeps running");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(child.wait().unwrap().success());

    std::fs::rename(&unplugged, &env.clips).unwrap();
    let summary = env.json(&["scan", env.clips.to_str().unwrap()]);
    assert_eq!(summary["unchanged"], 3, "{summary}");
    assert_nothing_lost(&before, &snapshot(&env));
}
