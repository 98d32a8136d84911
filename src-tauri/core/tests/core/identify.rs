//! identify: download-safe names, sidecars (fixtures in tests/fixtures/sidecars), file-name
//! conventions, grouping keys, and `identify` over real files in a temporary folder.

use serde_json::json;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use takeboard_core::domain::{GenerationFacts, Origin};
use takeboard_core::identify::{
    identify, is_candidate_video, is_ignored_name, normalize_prompt, parse_file_name, read_sidecar,
    shot_name_from_prompt, sidecar_for, Identity, NameInfo, NameParser, NamingConfig, NamingError,
    SidecarError,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sidecars")
        .join(name)
}

fn default_names() -> NameParser {
    NamingConfig::default()
        .compile()
        .expect("the default shot-code pattern compiles")
}

fn parse(name: &str) -> NameInfo {
    default_names().parse(name)
}

/// Writes a stand-in clip (identify never reads the video) and returns its path.
fn clip_in(dir: &Path, name: &str) -> PathBuf {
    let clip = dir.join(name);
    fs::write(&clip, b"not decoded by identify").expect("write clip");
    clip
}

/// Copies a fixture to `sidecar_name` in `dir`.
fn sidecar_in(dir: &Path, fixture_name: &str, sidecar_name: &str) -> PathBuf {
    let path = dir.join(sidecar_name);
    fs::copy(fixture(fixture_name), &path).expect("copy fixture");
    path
}

// ---------------------------------------------------------------- download-safe names

#[test]
fn browser_temporary_names_are_ignored_in_any_case() {
    for name in [
        "clip.mp4.crdownload",
        "Unconfirmed 123456.crdownload",
        "clip.mp4.CRDOWNLOAD",
        "clip.mp4.part",
        "Xb3kq9.mp4.part",
        "clip.Partial",
        "clip.mp4.download",
        "clip.mp4.tmp",
        "CLIP.TMP",
    ] {
        assert!(
            is_ignored_name(OsStr::new(name)),
            "{name} is still downloading"
        );
    }
}

#[test]
fn hidden_and_lock_file_names_are_ignored() {
    for name in [
        ".DS_Store",
        "._SH010_take3.mp4",
        ".~lock.SH010.mp4#",
        "~SH010.mp4",
        ".hidden.mp4",
        ".",
        "..",
        "",
    ] {
        assert!(
            is_ignored_name(OsStr::new(name)),
            "{name:?} must never be indexed"
        );
    }
}

#[test]
fn ordinary_names_that_merely_contain_temp_words_are_not_ignored() {
    for name in [
        "SH010_take3.mp4",
        "part.mp4",
        "clip.partial.mp4",
        "download.mov",
        "tmp.m4v",
        "a~b.mp4",
        "Unconfirmed.mp4",
    ] {
        assert!(
            !is_ignored_name(OsStr::new(name)),
            "{name} is a finished file"
        );
    }
}

#[test]
fn only_finished_mp4_mov_and_m4v_files_below_the_root_are_candidates() {
    let root = Path::new("/watch/Luma downloads");
    let yes = [
        "SH010_take3.mp4",
        "SH010_take3.MP4",
        "take.Mov",
        "take.m4v",
        "Shots/SH020/take.mp4",
        "a.b.c.mp4",
    ];
    for relative in yes {
        assert!(
            is_candidate_video(&root.join(relative), root),
            "{relative} should be indexed"
        );
    }
    let no = [
        "take.mkv",
        "take.mp4.json",
        "take",
        "mp4",
        "take.mp4.crdownload",
        "take.mp4.part",
        ".take.mp4",
        "take.mp4.download/take.mp4",
        "Shots.download/SH020/take.mp4",
        ".trash/take.mp4",
        "~scratch/take.mp4",
        "Shots/._take.mp4",
    ];
    for relative in no {
        assert!(
            !is_candidate_video(&root.join(relative), root),
            "{relative} must not be indexed"
        );
    }
}

#[test]
fn candidates_are_judged_only_below_the_root() {
    let hidden_root = Path::new("/home/ed/.luma");
    assert!(
        is_candidate_video(&hidden_root.join("SH010.mp4"), hidden_root),
        "the watched folder's own name is the user's choice"
    );
    let root = Path::new("/watch");
    assert!(!is_candidate_video(Path::new("/elsewhere/SH010.mp4"), root));
    assert!(!is_candidate_video(
        Path::new("/watch/../etc/SH010.mp4"),
        root
    ));
    assert!(
        !is_candidate_video(root, root),
        "the root is not a file in it"
    );
}

#[cfg(unix)]
#[test]
fn non_utf8_names_are_judged_without_panicking() {
    use std::os::unix::ffi::OsStrExt;
    let root = Path::new("/watch");
    let odd = OsStr::from_bytes(b"SH010_\xff\xfe_take3.mp4");
    assert!(!is_ignored_name(odd));
    assert!(is_candidate_video(&root.join(odd), root));
    assert!(is_ignored_name(OsStr::from_bytes(
        b"\xff\xfe.mp4.crdownload"
    )));
    assert!(is_ignored_name(OsStr::from_bytes(b".\xff.mp4")));
    assert!(!is_candidate_video(
        &root
            .join(OsStr::from_bytes(b"\xff.mp4.download"))
            .join("x.mp4"),
        root
    ));
    assert!(
        !is_candidate_video(&root.join(OsStr::from_bytes(b"clip.mp\xff")), root),
        "an extension that is not UTF-8 is not a video extension"
    );
}

// ---------------------------------------------------------------- sidecars: finding

#[test]
fn the_whole_name_sidecar_is_preferred_over_the_stem_sidecar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = clip_in(dir.path(), "SH010_take3.mp4");
    assert_eq!(sidecar_for(&clip), None, "no sidecar yet");

    let stem_sidecar = sidecar_in(dir.path(), "standard.json", "SH010_take3.json");
    assert_eq!(sidecar_for(&clip), Some(stem_sidecar));

    let whole_sidecar = sidecar_in(dir.path(), "flash.json", "SH010_take3.mp4.json");
    assert_eq!(sidecar_for(&clip), Some(whole_sidecar));
}

#[test]
fn a_folder_named_like_a_sidecar_is_not_a_sidecar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = clip_in(dir.path(), "SH010.mp4");
    fs::create_dir(dir.path().join("SH010.mp4.json")).expect("mkdir");
    assert_eq!(sidecar_for(&clip), None);
    let stem_sidecar = sidecar_in(dir.path(), "flash.json", "SH010.json");
    assert_eq!(
        sidecar_for(&clip),
        Some(stem_sidecar),
        "falls through to the stem"
    );
}

// ---------------------------------------------------------------- sidecars: reading

#[test]
fn a_flash_generation_gives_every_field() {
    let sidecar = read_sidecar(&fixture("flash.json")).expect("flash fixture parses");
    assert_eq!(
        sidecar.generation_id.as_deref(),
        Some("6d3c1e8a-2f4b-4c1e-9a7d-0b5e8f1a2c3d")
    );
    assert_eq!(sidecar.model.as_deref(), Some("ray-flash-2"));
    assert_eq!(sidecar.origin, Some(Origin::Flash));
    assert_eq!(sidecar.state.as_deref(), Some("completed"));
    assert_eq!(sidecar.failure_reason, None, "null counts as absent");
    assert_eq!(sidecar.request_type.as_deref(), Some("video"));
    assert_eq!(
        sidecar.prompt.as_deref(),
        Some("A fly fisherman casts at dawn, mist over the river")
    );
    assert_eq!(sidecar.aspect_ratio.as_deref(), Some("16:9"));
    assert_eq!(sidecar.resolution.as_deref(), Some("720p"));
    assert_eq!(sidecar.duration.as_deref(), Some("5s"));
    assert_eq!(sidecar.keyframes, None);
    assert_eq!(sidecar.concepts, Some(json!([{ "key": "dolly_zoom" }])));
    assert_eq!(
        sidecar.created_at.as_deref(),
        Some("2026-01-07T01:36:13.412Z")
    );
    let request = sidecar.request.expect("request kept");
    assert_eq!(
        request["loop"],
        json!(false),
        "the raw request is kept whole"
    );
    assert_eq!(request["model"], json!("ray-flash-2"));
}

#[test]
fn a_standard_generation_is_standard() {
    let sidecar = read_sidecar(&fixture("standard.json")).expect("parses");
    assert_eq!(sidecar.origin, Some(Origin::Standard));
    assert_eq!(sidecar.model.as_deref(), Some("ray-2"));
    assert_eq!(sidecar.aspect_ratio.as_deref(), Some("21:9"));
    assert_eq!(sidecar.resolution.as_deref(), Some("1080p"));
    assert_eq!(sidecar.duration.as_deref(), Some("9s"));
    assert_eq!(sidecar.request_type, None, "a plain generation may omit it");
}

#[test]
fn an_extend_keeps_its_generation_keyframe() {
    let sidecar = read_sidecar(&fixture("extend.json")).expect("parses");
    assert_eq!(sidecar.origin, Some(Origin::Flash));
    let keyframes = sidecar.keyframes.expect("keyframes");
    assert_eq!(keyframes["frame0"]["type"], json!("generation"));
    assert_eq!(
        keyframes["frame0"]["id"],
        json!("6d3c1e8a-2f4b-4c1e-9a7d-0b5e8f1a2c3d"),
        "the id of the take it extends"
    );
}

#[test]
fn a_modify_video_job_is_read_as_its_model_says() {
    let sidecar = read_sidecar(&fixture("modify_video.json")).expect("parses");
    assert_eq!(sidecar.request_type.as_deref(), Some("modify_video"));
    assert_eq!(sidecar.origin, Some(Origin::Standard));
    assert_eq!(
        sidecar.prompt.as_deref(),
        Some("A fly fisherman casts at dawn, mist over the river")
    );
    let request = sidecar.request.expect("request");
    assert_eq!(request["mode"], json!("adhere_1"));
    assert_eq!(
        request["media"]["url"],
        json!("https://storage.cdn-luma.com/dream-machine/6d3c1e8a/video.mp4")
    );
}

#[test]
fn an_upscale_without_a_model_has_no_origin_but_keeps_its_resolution() {
    let sidecar = read_sidecar(&fixture("upscale_video.json")).expect("parses");
    assert_eq!(sidecar.request_type.as_deref(), Some("upscale_video"));
    assert_eq!(sidecar.model, None);
    assert_eq!(sidecar.origin, None);
    assert_eq!(sidecar.resolution.as_deref(), Some("4k"));
    assert_eq!(sidecar.prompt, None);
}

#[test]
fn a_failed_job_reports_why() {
    let sidecar = read_sidecar(&fixture("failed.json")).expect("parses");
    assert_eq!(sidecar.state.as_deref(), Some("failed"));
    assert_eq!(
        sidecar.failure_reason.as_deref(),
        Some("Prompt was flagged by moderation")
    );
    assert_eq!(sidecar.origin, Some(Origin::Flash));
}

#[test]
fn unknown_fields_values_and_types_are_ignored_not_fatal() {
    let sidecar = read_sidecar(&fixture("unknown_fields.json")).expect("parses");
    assert_eq!(
        sidecar.state.as_deref(),
        Some("levitating"),
        "kept as written"
    );
    assert_eq!(
        sidecar.model.as_deref(),
        Some("ray-3-ultra"),
        "unknown model kept"
    );
    assert_eq!(
        sidecar.origin, None,
        "an unknown model says nothing about origin"
    );
    assert_eq!(
        sidecar.resolution.as_deref(),
        Some("8k"),
        "kept as a string"
    );
    assert_eq!(sidecar.aspect_ratio.as_deref(), Some("9:21"));
    assert_eq!(
        sidecar.duration, None,
        "a number where a string belongs is absent"
    );
    assert_eq!(
        sidecar.created_at, None,
        "a number where a string belongs is absent"
    );
    assert_eq!(
        sidecar.prompt.as_deref(),
        Some("Neon koi swim through a flooded arcade")
    );
    assert_eq!(
        sidecar.request.expect("request")["seed"],
        json!(42),
        "unknown request fields survive in the raw request"
    );
}

#[test]
fn the_model_falls_back_to_the_request_model() {
    let sidecar = read_sidecar(&fixture("model_in_request_only.json")).expect("parses");
    assert_eq!(sidecar.model.as_deref(), Some("ray-flash-2"));
    assert_eq!(sidecar.origin, Some(Origin::Flash));
}

#[test]
fn a_bare_request_body_saved_as_a_sidecar_is_read_from_the_top_level() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("SH010.mp4.json");
    let body = json!({ "model": "ray-2", "prompt": "Koi at dusk", "aspect_ratio": "16:9",
                       "keyframes": { "frame0": { "type": "image", "url": "https://x/y.jpg" } } });
    fs::write(&path, body.to_string()).expect("write");
    let sidecar = read_sidecar(&path).expect("parses");
    assert_eq!(sidecar.origin, Some(Origin::Standard));
    assert_eq!(sidecar.prompt.as_deref(), Some("Koi at dusk"));
    assert_eq!(sidecar.aspect_ratio.as_deref(), Some("16:9"));
    assert_eq!(
        sidecar.keyframes.expect("keyframes")["frame0"]["type"],
        json!("image")
    );
    assert_eq!(sidecar.request, None, "there is no request object to keep");
}

#[test]
fn a_byte_order_mark_before_the_json_is_tolerated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("clip.json");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(fs::read(fixture("flash.json")).expect("fixture"));
    fs::write(&path, bytes).expect("write");
    assert_eq!(
        read_sidecar(&path).expect("parses").origin,
        Some(Origin::Flash)
    );
}

#[test]
fn truncated_json_is_an_error_naming_the_file_and_the_position() {
    let path = fixture("truncated.json");
    let error = read_sidecar(&path).expect_err("truncated JSON must not parse");
    let SidecarError::Malformed { line, column, .. } = &error else {
        panic!("expected Malformed, got {error:?}");
    };
    assert_eq!((*line, *column), (10, 15), "where the file ends mid-string");
    let message = error.to_string();
    assert!(message.contains("truncated.json"), "{message}");
    assert!(message.contains("line 10, column 15"), "{message}");
}

#[test]
fn json_that_is_not_an_object_is_an_error_saying_what_it_is() {
    let error = read_sidecar(&fixture("not_an_object.json")).expect_err("an array");
    assert!(
        matches!(error, SidecarError::NotAnObject { found: "array", .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("not_an_object.json"), "{error}");
}

#[test]
fn an_empty_or_binary_file_is_malformed_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty.json");
    fs::write(&empty, b"").expect("write");
    assert!(matches!(
        read_sidecar(&empty),
        Err(SidecarError::Malformed { line: 1, .. })
    ));
    let binary = dir.path().join("binary.json");
    fs::write(&binary, b"{\"id\": \"\xff\xfe\"}").expect("write");
    assert!(matches!(
        read_sidecar(&binary),
        Err(SidecarError::Malformed { .. })
    ));
}

#[test]
fn a_sidecar_over_one_mebibyte_is_refused_unparsed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.json");
    let padding = " ".repeat(1024 * 1024);
    fs::write(&path, format!("{{\"id\": \"x\"}}{padding}")).expect("write");
    let error = read_sidecar(&path).expect_err("too big");
    assert!(
        matches!(
            error,
            SidecarError::TooBig {
                limit: 1_048_576,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("huge.json"), "{error}");
}

#[test]
fn a_missing_sidecar_is_a_read_error_naming_it() {
    let error = read_sidecar(&fixture("does_not_exist.json")).expect_err("missing");
    assert!(matches!(error, SidecarError::Read { .. }), "{error:?}");
    assert!(error.to_string().contains("does_not_exist.json"), "{error}");
}

// ---------------------------------------------------------------- names: shot codes

#[test]
fn a_leading_shot_code_is_read_and_upper_cased() {
    for (name, code) in [
        ("SH010_flash_take3.mp4", "SH010"),
        ("sc01-forest.mov", "SC01"),
        ("SH010A_take2.mp4", "SH010A"),
        ("sh0100 night.mp4", "SH0100"),
        ("SH010.mp4", "SH010"),
        ("SH010.v2.mp4", "SH010"),
        ("Shot12_x.mp4", "SHOT12"),
    ] {
        assert_eq!(parse(name).shot_code.as_deref(), Some(code), "{name}");
    }
}

#[test]
fn things_that_only_look_like_shot_codes_are_not() {
    for name in [
        "SH1_forest.mp4",
        "SH12345_forest.mp4",
        "SH010AB_forest.mp4",
        "_SH010_forest.mp4",
        "forest_SH010.mp4",
        "2026-01-07T01-36-13_fly_fishing.mp4",
        "010SH_forest.mp4",
        "take03_flash.mp4",
        "v02_forest.mp4",
        "t03.mp4",
    ] {
        assert_eq!(parse(name).shot_code, None, "{name}");
    }
}

#[test]
fn a_take_word_in_the_shot_code_position_is_a_take_number() {
    let info = parse("take03_flash.mp4");
    assert_eq!(info.take_number, Some(3));
    assert_eq!(info.origin, Some(Origin::Flash));
}

#[test]
fn a_custom_pattern_picks_its_first_capture_group() {
    let config = NamingConfig {
        shot_code_pattern: r"^(?i)ep\d+_(sh\d{3})(?:_|$)".to_owned(),
    };
    let info = parse_file_name("EP01_sh020_take2.mp4", &config).expect("valid pattern");
    assert_eq!(info.shot_code.as_deref(), Some("SH020"));
    assert_eq!(
        info.take_number,
        Some(2),
        "the words after the whole match are read"
    );
}

#[test]
fn a_custom_pattern_without_groups_uses_the_whole_match_minus_separators() {
    let config = NamingConfig {
        shot_code_pattern: r"^(?i)scene\d+_".to_owned(),
    };
    let info = parse_file_name("scene7_flash.mp4", &config).expect("valid pattern");
    assert_eq!(info.shot_code.as_deref(), Some("SCENE7"));
    assert_eq!(info.origin, Some(Origin::Flash));
}

#[test]
fn a_custom_pattern_matching_later_in_the_name_is_not_a_leading_code() {
    let config = NamingConfig {
        shot_code_pattern: r"SH\d{3}".to_owned(),
    };
    let info = parse_file_name("forest_SH010.mp4", &config).expect("valid pattern");
    assert_eq!(info.shot_code, None);
}

#[test]
fn an_invalid_pattern_is_one_clear_error_not_a_panic() {
    let config = NamingConfig {
        shot_code_pattern: "^(SH[0-9".to_owned(),
    };
    let error = config.compile().expect_err("unbalanced pattern");
    let NamingError::InvalidShotCodePattern { pattern, .. } = &error;
    assert_eq!(pattern, "^(SH[0-9");
    assert!(error.to_string().contains("^(SH[0-9"), "{error}");
    assert_eq!(parse_file_name("SH010.mp4", &config), Err(error));
}

#[test]
fn the_naming_config_persists_as_json_and_defaults_when_absent() {
    let config: NamingConfig = serde_json::from_str("{}").expect("empty object");
    assert_eq!(config, NamingConfig::default());
    let custom = NamingConfig {
        shot_code_pattern: r"^(X\d\d)".to_owned(),
    };
    let text = serde_json::to_string(&custom).expect("serialize");
    assert_eq!(
        serde_json::from_str::<NamingConfig>(&text).expect("deserialize"),
        custom
    );
}

// ---------------------------------------------------------------- names: origin and take

#[test]
fn model_words_give_the_origin_as_whole_words_only() {
    for (name, origin) in [
        ("SH010_flash_take3.mp4", Some(Origin::Flash)),
        ("SH010_FLASH.mp4", Some(Origin::Flash)),
        ("SH010_ray-flash-2_03.mp4", Some(Origin::Flash)),
        ("SH010 Ray Flash 2.mp4", Some(Origin::Flash)),
        ("SH010_standard.mp4", Some(Origin::Standard)),
        ("SH010-std-v2.mp4", Some(Origin::Standard)),
        ("SH010_ray-2.mp4", Some(Origin::Standard)),
        ("forest.ray-2.mov", Some(Origin::Standard)),
        ("SH010_flashlight.mp4", None),
        ("SH010_stdout.mp4", None),
        ("SH010_ray-3.mp4", None),
        ("SH010_flash_vs_standard.mp4", None),
        ("SH010.mp4", None),
    ] {
        assert_eq!(parse(name).origin, origin, "{name}");
    }
}

#[test]
fn take_numbers_come_from_take_words_or_a_trailing_number() {
    for (name, take) in [
        ("SH010_take3.mp4", Some(3)),
        ("SH010_Take_3.mp4", Some(3)),
        ("SH010 take 12 flash.mp4", Some(12)),
        ("SH010_tk7.mp4", Some(7)),
        ("SH010_t03.mp4", Some(3)),
        ("SH010_v2.mp4", Some(2)),
        ("SH010_V2_take3.mp4", Some(2)),
        ("SH010_flash_03.mp4", Some(3)),
        ("SH010_03.mp4", Some(3)),
        ("sc01-02.mp4", Some(2)),
        ("forest_03.mp4", Some(3)),
        ("SH010_ray-flash-2_04.mp4", Some(4)),
        ("SH010_ray-1-6_05.mp4", Some(5)),
        ("SH010_a_ray_of_light_2.mp4", Some(2)),
    ] {
        assert_eq!(parse(name).take_number, take, "{name}");
    }
}

#[test]
fn digits_that_belong_to_something_else_are_not_take_numbers() {
    for name in [
        "SH010.mp4",
        "SH010_ray-2.mp4",
        "SH010_ray-flash-2.mp4",
        "SH010_ray-1-6.mp4",
        "SH010_ray-3.mp4",
        "SH010_2026.mp4",
        "SH010_take99999.mp4",
        "SH010_03_forest.mp4",
        "03.mp4",
        "SH010_v2x.mp4",
        "2026-01-07T01-36-13_shot_2.mp4",
    ] {
        assert_eq!(parse(name).take_number, None, "{name}");
    }
}

#[test]
fn a_browser_duplicate_counter_is_not_a_take_number() {
    let info = parse("SH010_flash (1).mp4");
    assert_eq!(info.take_number, None);
    assert_eq!(info.origin, Some(Origin::Flash));
    assert_eq!(parse("SH010_take2(3).mp4").take_number, Some(2));
}

// ---------------------------------------------------------------- names: Luma web downloads

#[test]
fn a_luma_web_download_gives_its_prompt_slug_and_time() {
    let info = parse("2026-01-07T01-36-13_fly_fishing.mp4");
    assert_eq!(
        info,
        NameInfo {
            prompt_slug: Some("fly fishing".to_owned()),
            luma_created: Some("2026-01-07T01:36:13".to_owned()),
            ..NameInfo::default()
        }
    );
}

#[test]
fn watermark_last_frame_and_duplicate_suffixes_are_not_part_of_the_slug() {
    for name in [
        "2026-01-07T01-36-13_fly_fishing_watermarked.mp4",
        "2026-01-07T01-36-13_fly_fishing_last_frame.jpg",
        "2026-01-07T01-36-13_fly_fishing (1).mp4",
        "2026-01-07T01-36-13_fly_fishing_WATERMARKED (2).mp4",
    ] {
        assert_eq!(
            parse(name).prompt_slug.as_deref(),
            Some("fly fishing"),
            "{name}"
        );
    }
}

#[test]
fn words_in_a_luma_slug_are_prompt_text_not_model_or_take_words() {
    let info = parse("2026-01-07T01-36-13_flash_photography_of_ray_2_take3.mp4");
    assert_eq!(info.origin, None);
    assert_eq!(info.take_number, None);
    assert_eq!(info.shot_code, None);
    assert_eq!(
        info.prompt_slug.as_deref(),
        Some("flash photography of ray 2 take3")
    );
}

#[test]
fn a_luma_time_stamp_without_a_slug_still_gives_the_time() {
    let info = parse("2026-01-07T01-36-13.mp4");
    assert_eq!(info.prompt_slug, None);
    assert_eq!(info.luma_created.as_deref(), Some("2026-01-07T01:36:13"));
}

#[test]
fn an_impossible_date_is_not_a_luma_time_stamp() {
    let info = parse("2026-13-45T01-36-13_fly.mp4");
    assert_eq!(info.luma_created, None);
    assert_eq!(info.prompt_slug, None);
    assert_eq!(info.shot_code, None);
    assert_eq!(parse("2026-01-07T01-36-13fly.mp4").luma_created, None);
}

// ---------------------------------------------------------------- hostile names

#[test]
fn hostile_names_are_read_as_plain_text() {
    let info = parse("<img src=x onerror=alert(1)>.mp4");
    assert_eq!(
        info,
        NameInfo::default(),
        "nothing to read, nothing invented"
    );

    let info = parse("SH010_&<>\"'_take3.mp4");
    assert_eq!(info.shot_code.as_deref(), Some("SH010"));
    assert_eq!(info.take_number, Some(3));

    let info = parse("2026-01-07T01-36-13_<b>bold<_b>_&amp;.mp4");
    assert_eq!(
        info.prompt_slug.as_deref(),
        Some("<b>bold< b> &amp;"),
        "kept verbatim: escaping is the UI's job"
    );
}

#[test]
fn unicode_and_emoji_names_are_read_around() {
    let info = parse("SH010_🎬🔥_flash_take2.mp4");
    assert_eq!(info.shot_code.as_deref(), Some("SH010"));
    assert_eq!(info.origin, Some(Origin::Flash));
    assert_eq!(info.take_number, Some(2));

    let nfc = parse("SH020_caf\u{e9}_v3.mov");
    let nfd = parse("SH020_cafe\u{301}_v3.mov");
    assert_eq!(nfc, nfd, "shot code and take read the same in NFC and NFD");
    assert_eq!(nfc.shot_code.as_deref(), Some("SH020"));
    assert_eq!(nfc.take_number, Some(3));

    let info = parse("SH030 ночь 東京 flash.mp4");
    assert_eq!(info.shot_code.as_deref(), Some("SH030"));
    assert_eq!(info.origin, Some(Origin::Flash));
}

#[test]
fn very_long_names_are_read_without_trouble() {
    let long = format!("SH010_{}_take7.mp4", "a".repeat(10_000));
    let info = parse(&long);
    assert_eq!(info.shot_code.as_deref(), Some("SH010"));
    assert_eq!(info.take_number, Some(7));

    let digits = format!("{}.mp4", "9".repeat(5_000));
    assert_eq!(parse(&digits), NameInfo::default());

    let slug = format!("2026-01-07T01-36-13_{}.mp4", "fly_".repeat(2_000));
    assert_eq!(
        parse(&slug).prompt_slug.map(|s| s.split(' ').count()),
        Some(2_000)
    );
}

// ---------------------------------------------------------------- grouping keys

#[test]
fn normalized_prompts_ignore_case_punctuation_and_spacing() {
    for (prompt, key) in [
        ("Fly fishing!  At DAWN…", "fly fishing at dawn"),
        ("  --  ", ""),
        ("Shot 2: the return", "shot 2 the return"),
        ("ÉTÉ à Paris", "été à paris"),
        ("🎬 cats\t\n🐱 jump", "cats jump"),
        ("猫が走る。雨", "猫が走る 雨"),
        ("A \"quoted\" <b>&amp;</b>", "a quoted b amp b"),
        ("ΟΔΟΣ ΣΤΟ ΒΟΥΝΟ", "οδος στο βουνο"),
    ] {
        assert_eq!(normalize_prompt(prompt), key, "{prompt:?}");
    }
}

#[test]
fn normalizing_twice_changes_nothing() {
    for prompt in sample_prompts(300) {
        let once = normalize_prompt(&prompt);
        assert_eq!(normalize_prompt(&once), once, "{prompt:?}");
    }
}

#[test]
fn nfc_and_nfd_prompts_share_a_key() {
    assert_eq!(normalize_prompt("Caf\u{e9} noir"), "caf\u{e9} noir");
    assert_eq!(normalize_prompt("Cafe\u{301} noir"), "caf\u{e9} noir");
}

/// The slug Luma's web app is believed to make of a prompt (reference/luma-api.md §13,
/// unverified): NFC, lower case, every run of non-alphanumerics one underscore, no underscore
/// at either end.
fn luma_style_slug(prompt: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut slug = String::new();
    for c in prompt.nfc().collect::<String>().to_lowercase().chars() {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('_') {
            slug.push('_');
        }
    }
    slug.trim_matches('_').to_owned()
}

/// Deterministic pseudo-random prompts over an alphabet of hostile characters.
fn sample_prompts(count: usize) -> Vec<String> {
    let alphabet: Vec<char> = concat!(
        "abcXYZ0129 ,.!?-'\"()/:;&<>_\t\n",
        "éÉàßçñøÅΣσΟΔİıЖж猫雨🎬🔥\u{301}\u{307}"
    )
    .chars()
    .collect();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            let len = (next() % 40) as usize;
            (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect()
        })
        .collect()
}

#[test]
fn a_prompt_and_the_slug_luma_makes_of_it_normalize_alike() {
    let names = default_names();
    for prompt in sample_prompts(500).into_iter().chain([
        "Fly fishing at dawn, mist over the river".to_owned(),
        "İstanbul by night — ΟΔΟΣ".to_owned(),
        "Neon koi (4K!) in a flooded arcade...".to_owned(),
    ]) {
        let file_name = format!("2026-01-07T01-36-13_{}.mp4", luma_style_slug(&prompt));
        let slug = names.parse(&file_name).prompt_slug.unwrap_or_default();
        assert_eq!(
            normalize_prompt(&slug),
            normalize_prompt(&prompt),
            "prompt {prompt:?} → file {file_name:?}"
        );
    }
}

#[test]
fn shot_names_are_the_first_words_capitalised_without_trailing_punctuation() {
    for (prompt, name) in [
        (
            "a red fox runs through snow, slowly",
            "A red fox runs through",
        ),
        ("Fly fishing at dawn.", "Fly fishing at dawn"),
        ("a fox, a hound, a hare, a chase", "A fox, a hound, a"),
        ("\"quoted prompt\"", "Quoted prompt"),
        ("élan   vital\n\tnow", "Élan vital now"),
        ("🎬 cats", "Cats"),
        ("", ""),
        ("!!! ...", ""),
    ] {
        assert_eq!(shot_name_from_prompt(prompt), name, "{prompt:?}");
    }
    let unspaced = "猫".repeat(100);
    assert_eq!(
        shot_name_from_prompt(&unspaced).chars().count(),
        48,
        "a script without spaces is capped"
    );
}

// ---------------------------------------------------------------- identify

#[test]
fn a_clip_with_a_flash_sidecar_takes_every_sidecar_field_and_the_name_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = clip_in(dir.path(), "SH010_take3.mp4");
    let sidecar = sidecar_in(dir.path(), "flash.json", "SH010_take3.mp4.json");

    let identity = identify(&clip, &default_names());
    let request_json = identity
        .generation
        .request_json
        .clone()
        .expect("request json");
    let generation: serde_json::Value = serde_json::from_str(&request_json).expect("valid json");
    assert_eq!(
        generation["model"],
        json!("ray-flash-2"),
        "the whole generation is kept"
    );
    let request = &generation["request"];
    assert_eq!(
        request["prompt"],
        json!("A fly fisherman casts at dawn, mist over the river")
    );
    assert_eq!(request["concepts"], json!([{ "key": "dolly_zoom" }]));
    assert_eq!(
        identity,
        Identity {
            generation: GenerationFacts {
                origin: Origin::Flash,
                generation_id: Some("6d3c1e8a-2f4b-4c1e-9a7d-0b5e8f1a2c3d".to_owned()),
                prompt: Some("A fly fisherman casts at dawn, mist over the river".to_owned()),
                aspect_ratio: Some("16:9".to_owned()),
                resolution: Some("720p".to_owned()),
                request_json: Some(request_json),
            },
            duration: Some("5s".to_owned()),
            created_at: Some("2026-01-07T01:36:13.412Z".to_owned()),
            shot_code: Some("SH010".to_owned()),
            prompt_key: Some("a fly fisherman casts at dawn mist over the river".to_owned()),
            take_number: Some(3),
            sidecar_path: Some(sidecar),
            sidecar_error: None,
        }
    );
}

#[test]
fn the_sidecar_origin_wins_over_the_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = clip_in(dir.path(), "SH010_flash.mp4");
    sidecar_in(dir.path(), "standard.json", "SH010_flash.json");
    assert_eq!(
        identify(&clip, &default_names()).generation.origin,
        Origin::Standard
    );
}

#[test]
fn the_name_fills_what_the_sidecar_leaves_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = clip_in(dir.path(), "SH040_standard_v2.mp4");
    sidecar_in(
        dir.path(),
        "upscale_video.json",
        "SH040_standard_v2.mp4.json",
    );
    let identity = identify(&clip, &default_names());
    assert_eq!(
        identity.generation.origin,
        Origin::Standard,
        "the upscale names no model"
    );
    assert_eq!(identity.generation.resolution.as_deref(), Some("4k"));
    assert_eq!(identity.take_number, Some(2));
    assert_eq!(identity.prompt_key, None);
}

#[test]
fn a_clip_without_sidecar_is_identified_by_its_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = clip_in(dir.path(), "SH020_std_v2.mov");
    let identity = identify(&clip, &default_names());
    assert_eq!(identity.generation.origin, Origin::Standard);
    assert_eq!(identity.shot_code.as_deref(), Some("SH020"));
    assert_eq!(identity.take_number, Some(2));
    assert_eq!(identity.generation.generation_id, None);
    assert_eq!(identity.generation.request_json, None);
    assert_eq!(identity.sidecar_path, None);
    assert_eq!(identity.sidecar_error, None);
}

#[test]
fn a_clip_nothing_says_anything_about_is_unknown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = clip_in(dir.path(), "clip.mp4");
    let identity = identify(&clip, &default_names());
    assert_eq!(identity.generation.origin, Origin::Unknown);
    assert_eq!(
        (
            identity.shot_code,
            identity.generation.prompt,
            identity.prompt_key,
            identity.take_number
        ),
        (None, None, None, None)
    );
}

#[test]
fn a_malformed_sidecar_is_reported_and_the_name_still_identifies_the_clip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = clip_in(dir.path(), "SH030_ray-flash-2_take4.mp4");
    let sidecar = sidecar_in(
        dir.path(),
        "truncated.json",
        "SH030_ray-flash-2_take4.mp4.json",
    );
    let before = fs::read(&sidecar).expect("read");

    let identity = identify(&clip, &default_names());
    let error = identity.sidecar_error.expect("the bad sidecar is reported");
    assert!(
        error.contains("SH030_ray-flash-2_take4.mp4.json"),
        "{error}"
    );
    assert!(error.contains("line 10, column 15"), "{error}");
    assert_eq!(identity.sidecar_path, Some(sidecar.clone()));
    assert_eq!(identity.generation.origin, Origin::Flash, "from the name");
    assert_eq!(identity.shot_code.as_deref(), Some("SH030"));
    assert_eq!(identity.take_number, Some(4));
    assert_eq!(identity.generation.generation_id, None);
    assert_eq!(
        fs::read(&sidecar).expect("read"),
        before,
        "the sidecar is untouched"
    );
}

#[test]
fn a_luma_web_download_and_a_sidecar_prompt_share_a_prompt_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let download = clip_in(
        dir.path(),
        "2026-01-07T01-36-13_a_fly_fisherman_casts_at_dawn_mist_over_the_river_watermarked.mp4",
    );
    let with_sidecar = clip_in(dir.path(), "render.mp4");
    sidecar_in(dir.path(), "flash.json", "render.mp4.json");
    let names = default_names();

    let from_download = identify(&download, &names);
    assert_eq!(
        from_download.generation.prompt.as_deref(),
        Some("a fly fisherman casts at dawn mist over the river"),
        "the slug is the best prompt the name offers"
    );
    assert_eq!(
        from_download.created_at.as_deref(),
        Some("2026-01-07T01:36:13")
    );
    assert_eq!(from_download.generation.origin, Origin::Unknown);
    assert_eq!(
        from_download.prompt_key,
        identify(&with_sidecar, &names).prompt_key
    );
}

#[cfg(unix)]
#[test]
fn a_clip_with_a_non_utf8_name_and_its_sidecar_are_identified() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let clip = dir.path().join(OsStr::from_bytes(b"SH050_\xff_take2.mp4"));
    fs::write(&clip, b"x").expect("write clip");
    let sidecar = dir
        .path()
        .join(OsStr::from_bytes(b"SH050_\xff_take2.mp4.json"));
    fs::copy(fixture("standard.json"), &sidecar).expect("copy");

    let identity = identify(&clip, &default_names());
    assert_eq!(identity.sidecar_path, Some(sidecar));
    assert_eq!(identity.generation.origin, Origin::Standard);
    assert_eq!(identity.shot_code.as_deref(), Some("SH050"));
    assert_eq!(identity.take_number, Some(2));
}

#[test]
fn a_sidecar_id_that_is_not_a_luma_id_is_reported_and_never_used() {
    let dir = tempfile::tempdir().unwrap();
    let clip = clip_in(dir.path(), "SH010_flash_t1.mp4");
    let mut generation: serde_json::Value =
        serde_json::from_slice(&fs::read(fixture("flash.json")).unwrap()).unwrap();
    generation["id"] = json!("=HYPERLINK(\"https://evil.example\",\"click\")");
    generation["request"]["prompt"] = json!("\tcmd /c calc");
    fs::write(
        dir.path().join("SH010_flash_t1.mp4.json"),
        generation.to_string(),
    )
    .unwrap();
    let id = identify(&clip, &default_names());
    assert_eq!(id.generation.generation_id, None, "the bad id is not used");
    let error = id.sidecar_error.expect("the take says why");
    assert!(error.contains("not a Luma id"), "{error}");
    assert!(error.contains("HYPERLINK"), "names what it found: {error}");
    assert_eq!(
        id.generation.origin,
        Origin::Flash,
        "the rest of the sidecar is still read"
    );
    assert_eq!(id.generation.prompt.as_deref(), Some("\tcmd /c calc"));
}
