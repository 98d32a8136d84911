//! Premiere export: every format is read back by OpenTimelineIO (Python) and compared
//! clip by clip with what the shot list asked for.

use serde_json::Value;
use std::path::{Path, PathBuf};
use takeboard_core::domain::{Origin, Rate, ShotState, TakeId};
use takeboard_core::export::{
    render, timecode, write_export, ClipEntry, ExportError, ExportFormat, ExportOptions,
    Placeholders, ShotEntry, Timeline,
};

const ALL_FORMATS: [ExportFormat; 4] = [
    ExportFormat::Fcp7Xml,
    ExportFormat::Edl,
    ExportFormat::Otio,
    ExportFormat::Csv,
];

fn rate(text: &str) -> Rate {
    text.parse().unwrap()
}

#[path = "../../../../tests/otio/readback.rs"]
mod otio_reader;
use otio_reader::readback;

const PROMPT: &str = "A \"quiet\" street & <neon> 'rain' — 雨, 100% wet";

fn clip(path: PathBuf, at: Rate, media: u64, source: (u64, u64)) -> ClipEntry {
    ClipEntry {
        take_id: TakeId(0),
        path,
        placeholder: false,
        origin: Origin::Standard,
        rate: at,
        media_frames: media,
        source_in: source.0,
        source_out: source.1,
        width: 1280,
        height: 720,
        has_audio: false,
        prompt: None,
        generation_id: None,
        credits: None,
        notes: Vec::new(),
    }
}

fn shot(
    code: &str,
    name: &str,
    position: i64,
    state: ShotState,
    clip: Option<ClipEntry>,
) -> ShotEntry {
    ShotEntry {
        code: code.into(),
        name: name.into(),
        position,
        state,
        clip,
    }
}

/// Four shots (listed out of order): a final untrimmed take with audio, prompt and a
/// note; an approved Flash placeholder with a trim; a shot with nothing; a trimmed final.
/// Names carry Unicode and `& < > " '`; paths carry spaces, `#`, `%` and non-ASCII.
fn fixture(dir: &Path, at: Rate) -> Timeline {
    let media = dir.join("Clips dir é");
    let sh010 = ClipEntry {
        take_id: TakeId(11),
        has_audio: true,
        prompt: Some(PROMPT.into()),
        generation_id: Some("gen-0001-&<>".into()),
        credits: Some(320),
        notes: vec![(5, "Flare & <glitch> \"here\"".into())],
        ..clip(media.join("SH010 take#1 & 'x' 100%.mp4"), at, 48, (0, 48))
    };
    let sh020 = ClipEntry {
        take_id: TakeId(22),
        placeholder: true,
        origin: Origin::Flash,
        prompt: Some("dock at dawn".into()),
        generation_id: Some("gen-0002".into()),
        ..clip(media.join("日本 SH020 flash.mp4"), at, 120, (10, 34))
    };
    let sh040 = ClipEntry {
        take_id: TakeId(44),
        ..clip(media.join("SH040 final.mov"), at, 30, (3, 27))
    };
    Timeline {
        name: "Selects & <Ω> \"cut\" 'one'".into(),
        shots: vec![
            shot(
                "SH040",
                "Last, with comma",
                40,
                ShotState::Final,
                Some(sh040),
            ),
            shot(
                "SH010",
                "Café “Plan” & <Ω> \"quoted\" 'single'",
                10,
                ShotState::Final,
                Some(sh010),
            ),
            shot(
                "SH030",
                "日本語 nothing yet",
                30,
                ShotState::Exploring,
                None,
            ),
            shot(
                "SH020",
                "Dock 'B' & \"C\"",
                20,
                ShotState::Approved,
                Some(sh020),
            ),
        ],
    }
}

/// One expected clip: who it is and where it sits.
#[derive(Clone)]
struct Expected {
    code: &'static str,
    shot_name: &'static str,
    path: PathBuf,
    placeholder: bool,
    source_rate: Rate,
    source: (u64, u64),
    record: (u64, u64),
}

fn expected_name(format: ExportFormat, e: &Expected) -> String {
    match format {
        ExportFormat::Edl => e.path.file_name().unwrap().to_string_lossy().into_owned(),
        ExportFormat::Csv => e.shot_name.to_owned(),
        _ if e.placeholder => format!("{} {} [placeholder]", e.code, e.shot_name),
        _ => format!("{} {}", e.code, e.shot_name),
    }
}

fn approx(value: &Value, what: &str) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {value}"))
}

/// Compares a readback with the expected clips. `source_slack` is the allowed difference
/// in source duration (a mixed-rate clip's duration is carried as its record length).
fn assert_clips(
    format: ExportFormat,
    back: &Value,
    sequence_rate: Rate,
    expected: &[Expected],
    source_slack: f64,
) {
    let clips = back["clips"].as_array().expect("clips");
    assert_eq!(
        clips.len(),
        expected.len(),
        "{format}: clip count in {back:#}"
    );
    for (i, (got, want)) in clips.iter().zip(expected).enumerate() {
        let at = format!("{format} clip {i} ({})", want.code);
        assert_eq!(got["name"], expected_name(format, want), "{at}: name");
        match format {
            ExportFormat::Edl => {}
            _ => assert_eq!(
                got["path"].as_str().map(PathBuf::from),
                Some(want.path.clone()),
                "{at}: decoded file path"
            ),
        }
        // The EDL speaks the sequence rate only; the others keep the clip's rate.
        let (source_rate, source) =
            if format == ExportFormat::Edl && want.source_rate != sequence_rate {
                let scale = sequence_rate.as_f64() / want.source_rate.as_f64();
                let start = (want.source.0 as f64 * scale).round() as u64;
                (
                    sequence_rate,
                    (start, start + (want.record.1 - want.record.0)),
                )
            } else {
                (want.source_rate, want.source)
            };
        let rate_back = approx(&got["source_rate"], "source_rate");
        assert!(
            (rate_back - source_rate.as_f64()).abs() < 1e-6,
            "{at}: source rate {rate_back}"
        );
        assert_eq!(
            approx(&got["source_start"], "source_start"),
            source.0 as f64,
            "{at}: source start"
        );
        let duration = approx(&got["source_duration"], "source_duration");
        assert!(
            (duration - (source.1 - source.0) as f64).abs() <= source_slack,
            "{at}: source duration {duration}, want {}",
            source.1 - source.0
        );
        assert_eq!(
            approx(&got["record_start"], "record_start"),
            want.record.0 as f64,
            "{at}: record start"
        );
        assert_eq!(
            approx(&got["record_duration"], "record_duration"),
            (want.record.1 - want.record.0) as f64,
            "{at}: record duration"
        );
        assert_eq!(
            got["placeholder"], want.placeholder,
            "{at}: placeholder mark"
        );
    }
}

/// The start frame of 01:00:00:00, counted by hand for each rate.
fn one_hour(at: Rate) -> u64 {
    match at.to_string().as_str() {
        "24" | "24000/1001" => 86_400,
        "25" => 90_000,
        "30" => 108_000,
        "30000/1001" => 107_892, // drop frame: 108000 - 108 skipped labels
        other => panic!("no hand count for {other}"),
    }
}

fn fixture_expectation(dir: &Path, at: Rate) -> Vec<Expected> {
    let media = dir.join("Clips dir é");
    let h = one_hour(at);
    vec![
        Expected {
            code: "SH010",
            shot_name: "Café “Plan” & <Ω> \"quoted\" 'single'",
            path: media.join("SH010 take#1 & 'x' 100%.mp4"),
            placeholder: false,
            source_rate: at,
            source: (0, 48),
            record: (h, h + 48),
        },
        Expected {
            code: "SH020",
            shot_name: "Dock 'B' & \"C\"",
            path: media.join("日本 SH020 flash.mp4"),
            placeholder: true,
            source_rate: at,
            source: (10, 34),
            record: (h + 48, h + 72),
        },
        Expected {
            code: "SH040",
            shot_name: "Last, with comma",
            path: media.join("SH040 final.mov"),
            placeholder: false,
            source_rate: at,
            source: (3, 27),
            record: (h + 72, h + 96),
        },
    ]
}

fn export(dir: &Path, timeline: &Timeline, opts: ExportOptions) -> PathBuf {
    let out = dir.join(format!(
        "Export é {}.{}",
        opts.placeholders,
        opts.format.extension()
    ));
    write_export(timeline, &opts, &out).unwrap_or_else(|e| panic!("{}: {e}", opts.format));
    out
}

fn options(format: ExportFormat) -> ExportOptions {
    ExportOptions {
        format,
        ..ExportOptions::default()
    }
}

#[test]
fn every_format_reads_back_clip_by_clip_at_24_25_30_23_976_and_29_97() {
    for rate_text in ["24", "25", "30", "24000/1001", "30000/1001"] {
        let at = rate(rate_text);
        let dir = tempfile::tempdir().unwrap();
        let timeline = fixture(dir.path(), at);
        let expected = fixture_expectation(dir.path(), at);
        for format in ALL_FORMATS {
            let file = export(dir.path(), &timeline, options(format));
            let back = readback(&file, at);
            assert!(
                (approx(&back["rate"], "rate") - at.as_f64()).abs() < 1e-9,
                "{format} at {at}: sequence rate {}",
                back["rate"]
            );
            assert_eq!(
                approx(&back["start_frame"], "start"),
                one_hour(at) as f64,
                "{format} at {at}: starts at 01:00:00:00"
            );
            assert_clips(format, &back, at, &expected, 0.0);
        }
    }
}

#[test]
fn timecode_labels_match_the_reference_and_drop_frame_only_at_29_97() {
    let ntsc30 = rate("30000/1001");
    assert_eq!(timecode::format(1799, ntsc30), "00:00:59;29");
    assert_eq!(timecode::format(1800, ntsc30), "00:01:00;02");
    let dir = tempfile::tempdir().unwrap();
    for (rate_text, fcm, first_event) in [
        (
            "30000/1001",
            "FCM: DROP FRAME",
            "001  AX       V     C        00:00:00;00 00:00:01;18 01:00:00;00 01:00:01;18",
        ),
        (
            "24000/1001",
            "FCM: NON-DROP FRAME",
            "001  AX       V     C        00:00:00:00 00:00:02:00 01:00:00:00 01:00:02:00",
        ),
        (
            "25",
            "FCM: NON-DROP FRAME",
            "001  AX       V     C        00:00:00:00 00:00:01:23 01:00:00:00 01:00:01:23",
        ),
    ] {
        let timeline = fixture(dir.path(), rate(rate_text));
        let edl =
            String::from_utf8(render(&timeline, &options(ExportFormat::Edl)).unwrap()).unwrap();
        let lines: Vec<&str> = edl.split("\r\n").collect();
        assert_eq!(
            lines[0], "TITLE: Selects & <Ω> \"cut\" 'one'",
            "{rate_text}"
        );
        assert_eq!(lines[1], fcm, "{rate_text}");
        assert_eq!(lines[3], first_event, "{rate_text}");
        assert_eq!(lines[4], "* FROM CLIP NAME:  SH010 take#1 & 'x' 100%.mp4");
        assert!(edl.contains("\r\n002  AX "), "3-digit event numbers");
        assert!(edl.contains("* TAKEBOARD PLACEHOLDER"));
        assert!(!edl.contains("FROM CLIP:") && !edl.contains("FROM FILE:"));
        assert_eq!(
            edl.contains(';'),
            rate_text == "30000/1001",
            "{rate_text}: ';' only for drop frame"
        );
        assert!(
            edl.ends_with("\r\n") && !edl.replace("\r\n", "").contains('\n'),
            "CRLF lines"
        );
    }
}

#[test]
fn fcp7_xml_defines_each_file_once_declares_audio_only_when_present_and_marks_ntsc() {
    let dir = tempfile::tempdir().unwrap();
    let at = rate("24000/1001");
    let mut timeline = fixture(dir.path(), at);
    // SH050 reuses SH010's file: defined once, referenced by id afterwards.
    let reuse = ClipEntry {
        take_id: TakeId(55),
        source_in: 20,
        source_out: 30,
        ..timeline.shots[1].clip.clone().unwrap()
    };
    timeline
        .shots
        .push(shot("SH050", "Reuse", 50, ShotState::Final, Some(reuse)));
    let xml =
        String::from_utf8(render(&timeline, &options(ExportFormat::Fcp7Xml)).unwrap()).unwrap();

    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE xmeml>\n<xmeml version=\"4\">"
    ));
    assert_eq!(
        xml.matches("<pathurl>").count(),
        3,
        "three distinct files, each defined once"
    );
    assert_eq!(
        xml.matches("<file id=\"file-1\"/>").count(),
        3,
        "SH010's audio, the reuse's video and audio refer to file-1 by id"
    );
    assert!(xml.contains("<pathurl>file://localhost/".to_owned().as_str()));
    assert!(xml
        .contains("Clips%20dir%20%C3%A9/SH010%20take%231%20%26%20%27x%27%20100%25.mp4</pathurl>"));
    assert!(xml.contains("<timebase>24</timebase>\n") && xml.contains("<ntsc>TRUE</ntsc>"));
    assert!(
        !xml.contains("<ntsc>FALSE</ntsc>"),
        "every rate here is 23.976"
    );
    assert!(
        xml.contains("<displayformat>NDF</displayformat>"),
        "23.976 is non-drop"
    );
    assert!(
        xml.contains("&amp; &lt;Ω&gt; &quot;quoted&quot; &apos;single&apos;"),
        "names escaped"
    );
    // Only SH010's file has audio: one audio track, with SH010 and its reuse on it.
    assert_eq!(
        xml.matches("<audio/>").count(),
        1,
        "audio declared for the one file that has it"
    );
    assert_eq!(
        xml.matches("<mediatype>audio</mediatype>").count(),
        2 + 2 * 2
    );

    let file = dir.path().join("reuse.xml");
    std::fs::write(&file, &xml).unwrap();
    let back = readback(&file, at);
    assert_eq!(back["audio_tracks"], 1);
    let clips = back["clips"].as_array().unwrap();
    assert_eq!(clips.len(), 4);
    assert_eq!(
        clips[3]["path"], clips[0]["path"],
        "the reused file resolves to the same path"
    );
    assert_eq!(clips[3]["source_start"], 20.0);
    assert_eq!(clips[3]["record_start"], 86_400.0 + 96.0);
}

#[test]
fn fcp7_xml_without_audio_files_has_no_audio_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let mut timeline = fixture(dir.path(), rate("25"));
    for s in &mut timeline.shots {
        if let Some(c) = &mut s.clip {
            c.has_audio = false;
        }
    }
    let xml =
        String::from_utf8(render(&timeline, &options(ExportFormat::Fcp7Xml)).unwrap()).unwrap();
    assert!(!xml.contains("<audio"), "no phantom audio:\n{xml}");
}

#[test]
fn metadata_carries_prompt_generation_origin_take_and_label_in_each_format() {
    let dir = tempfile::tempdir().unwrap();
    let at = rate("24");
    let timeline = fixture(dir.path(), at);

    let back = readback(
        &export(dir.path(), &timeline, options(ExportFormat::Fcp7Xml)),
        at,
    );
    let sh010 = &back["clips"][0];
    let take_marker = &sh010["markers"][0];
    assert_eq!(take_marker["name"], "Takeboard take 11");
    assert_eq!(
        take_marker["comment"],
        format!("take: 11\norigin: standard\ngeneration: gen-0001-&<>\nprompt: {PROMPT}")
    );
    assert_eq!(sh010["markers"][1]["name"], "Note");
    assert_eq!(sh010["markers"][1]["comment"], "Flare & <glitch> \"here\"");
    assert_eq!(sh010["markers"][1]["frame"], 5.0);
    assert_eq!(sh010["metadata"]["fcp_xml"]["labels"]["label2"], "Forest");
    assert_eq!(
        sh010["metadata"]["fcp_xml"]["logginginfo"]["description"],
        PROMPT
    );
    let sh020 = &back["clips"][1];
    assert_eq!(
        sh020["metadata"]["fcp_xml"]["labels"]["label2"], "Mango",
        "placeholder label"
    );
    assert_eq!(sh020["markers"][0]["name"], "Takeboard PLACEHOLDER take 22");

    let back = readback(
        &export(dir.path(), &timeline, options(ExportFormat::Otio)),
        at,
    );
    let meta = &back["clips"][0]["metadata"]["takeboard"];
    assert_eq!(meta["prompt"], PROMPT);
    assert_eq!(meta["generation_id"], "gen-0001-&<>");
    assert_eq!(meta["origin"], "standard");
    assert_eq!(meta["take_id"], 11);
    assert_eq!(meta["shot_code"], "SH010");
    assert_eq!(meta["credits"], 320);
    assert_eq!(
        back["clips"][0]["markers"][0]["comment"],
        "Flare & <glitch> \"here\""
    );
    assert_eq!(back["clips"][1]["metadata"]["takeboard"]["origin"], "flash");

    let back = readback(
        &export(dir.path(), &timeline, options(ExportFormat::Edl)),
        at,
    );
    let comments = &back["clips"][0]["metadata"]["cmx_3600"]["comments"];
    assert_eq!(
        comments,
        &serde_json::json!([
            "TAKEBOARD SHOT: SH010 Café “Plan” & <Ω> \"quoted\" 'single'",
            "TAKEBOARD TAKE: 11 ORIGIN: standard GENERATION: gen-0001-&<>"
        ])
    );

    let back = readback(
        &export(dir.path(), &timeline, options(ExportFormat::Csv)),
        at,
    );
    let row = &back["clips"][0]["metadata"];
    assert_eq!(row["Prompt"], PROMPT);
    assert_eq!(row["Generation"], "gen-0001-&<>");
    assert_eq!(row["Origin"], "standard");
    assert_eq!(row["Take"], "11");
    assert_eq!(row["Credits"], "320");
    assert_eq!(row["Notes"], "00:00:00:05 Flare & <glitch> \"here\"");
    assert_eq!(back["clips"][2]["metadata"]["Name"], "Last, with comma");
}

#[test]
fn csv_starts_with_a_bom_ends_rows_with_crlf_and_keeps_formulas_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let mut timeline = fixture(dir.path(), rate("24"));
    timeline.shots[0].name = "=HYPERLINK(\"x\")".into();
    let bytes = render(&timeline, &options(ExportFormat::Csv)).unwrap();
    assert!(bytes.starts_with(b"\xef\xbb\xbfShot,Name,Position,State,Kind,Take,File,"));
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.contains("\r\nSH040,\"'=HYPERLINK(\"\"x\"\")\",40,final,clip,44,"),
        "{text}"
    );
    let row_ends = text.matches("\r\n").count();
    assert_eq!(row_ends, 4, "header + 3 rows");
}

#[test]
fn csv_text_cells_from_ids_prompts_notes_and_paths_are_inert_in_a_spreadsheet() {
    let dir = tempfile::tempdir().unwrap();
    let at = rate("24");
    let mut timeline = fixture(dir.path(), at);
    let sh010 = timeline.shots[1].clip.as_mut().unwrap();
    sh010.generation_id = Some("=HYPERLINK(\"https://evil.example\")".into());
    sh010.prompt = Some("\tcmd /c calc".into());
    sh010.notes = vec![(2, "@SUM(1+1)".into())];
    let back = readback(
        &export(dir.path(), &timeline, options(ExportFormat::Csv)),
        at,
    );
    let row = &back["clips"][0]["metadata"];
    assert_eq!(row["Generation"], "'=HYPERLINK(\"https://evil.example\")");
    assert_eq!(row["Prompt"], "'\tcmd /c calc");
    assert_eq!(
        row["Notes"], "00:00:00:02 @SUM(1+1)",
        "not at the cell's start"
    );
    let bytes = render(&timeline, &options(ExportFormat::Csv)).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    for line in text.lines().skip(1) {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '@', '\t', '\r']),
                "a live formula cell {cell:?} in {line}"
            );
        }
    }
}

#[test]
fn fcp7_xml_with_forbidden_characters_and_newlines_in_a_note_still_reads_back_with_the_note() {
    let dir = tempfile::tempdir().unwrap();
    let at = rate("24");
    let mut timeline = fixture(dir.path(), at);
    let sh010 = timeline.shots[1].clip.as_mut().unwrap();
    sh010.notes = vec![(
        5,
        "first line\nsecond \u{FFFE}line\u{FFFF}\u{1}</comment><x>".into(),
    )];
    let back = readback(
        &export(dir.path(), &timeline, options(ExportFormat::Fcp7Xml)),
        at,
    );
    let note = &back["clips"][0]["markers"][1];
    assert_eq!(note["comment"], "first line\nsecond line</comment><x>");
    assert_eq!(note["frame"], 5.0);
}

#[test]
fn edl_comments_stay_one_line_whatever_line_breaks_a_name_carries() {
    let dir = tempfile::tempdir().unwrap();
    let at = rate("24");
    let mut timeline = fixture(dir.path(), at);
    timeline.shots[1].name = "one\u{2028}two\u{2029}three\r\n004  AX V C 00:00:00:00".into();
    let path = export(dir.path(), &timeline, options(ExportFormat::Edl));
    let back = readback(&path, at);
    assert_eq!(
        back["clips"].as_array().unwrap().len(),
        3,
        "no injected event"
    );
    let comments = &back["clips"][0]["metadata"]["cmx_3600"]["comments"];
    assert_eq!(
        comments[0],
        "TAKEBOARD SHOT: SH010 one two three  004  AX V C 00:00:00:00"
    );
}

#[test]
fn placeholders_can_become_gaps_of_their_length_or_be_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let at = rate("25");
    let timeline = fixture(dir.path(), at);
    let all = fixture_expectation(dir.path(), at);
    let h = one_hour(at);
    for format in ALL_FORMATS {
        // Gap: SH040 keeps its place after a 24-frame hole where the placeholder was.
        let opts = ExportOptions {
            format,
            placeholders: Placeholders::Gap,
            ..Default::default()
        };
        let out = dir.path().join(format!("gap.{}", format.extension()));
        let summary = write_export(&timeline, &opts, &out).unwrap();
        assert_eq!(
            (summary.clips, summary.gaps, summary.placeholders),
            (2, 1, 0)
        );
        assert_eq!(summary.skipped, vec!["SH030".to_owned()]);
        let back = readback(&out, at);
        assert_clips(format, &back, at, &[all[0].clone(), all[2].clone()], 0.0);
        if format != ExportFormat::Edl {
            assert_eq!(back["gaps"][0]["record_start"], (h + 48) as f64, "{format}");
            assert_eq!(back["gaps"][0]["record_duration"], 24.0, "{format}");
        }

        // Skip: SH040 moves up.
        let opts = ExportOptions {
            format,
            placeholders: Placeholders::Skip,
            ..Default::default()
        };
        let out = dir.path().join(format!("skip.{}", format.extension()));
        let summary = write_export(&timeline, &opts, &out).unwrap();
        assert_eq!((summary.clips, summary.gaps), (2, 0));
        assert_eq!(
            summary.skipped,
            vec!["SH020".to_owned(), "SH030".to_owned()]
        );
        assert_eq!(summary.duration_frames, 72);
        let moved_up = Expected {
            record: (h + 48, h + 72),
            ..all[2].clone()
        };
        assert_clips(
            format,
            &readback(&out, at),
            at,
            &[all[0].clone(), moved_up],
            0.0,
        );
    }
}

#[test]
fn mixed_rates_follow_the_first_clip_and_convert_record_lengths_to_nearest_frame() {
    let dir = tempfile::tempdir().unwrap();
    let (r24, r25, r2997) = (rate("24"), rate("25"), rate("30000/1001"));
    let a = dir.path().join("a 24.mp4");
    let b = dir.path().join("b 25.mp4");
    let c = dir.path().join("c 29.97.mp4");
    let timeline = Timeline {
        name: "mixed".into(),
        shots: vec![
            shot(
                "A",
                "24",
                1,
                ShotState::Final,
                Some(clip(a.clone(), r24, 48, (0, 48))),
            ),
            shot(
                "B",
                "25",
                2,
                ShotState::Final,
                Some(clip(b.clone(), r25, 100, (25, 75))),
            ),
            shot(
                "C",
                "29.97",
                3,
                ShotState::Final,
                Some(clip(c.clone(), r2997, 200, (30, 130))),
            ),
        ],
    };
    let h = 86_400;
    let expected = [
        Expected {
            code: "A",
            shot_name: "24",
            path: a,
            placeholder: false,
            source_rate: r24,
            source: (0, 48),
            record: (h, h + 48),
        },
        // 50 frames at 25 = 2 s = 48 frames at 24.
        Expected {
            code: "B",
            shot_name: "25",
            path: b,
            placeholder: false,
            source_rate: r25,
            source: (25, 75),
            record: (h + 48, h + 96),
        },
        // 100 frames at 29.97 = 80.08 frames at 24 → 80.
        Expected {
            code: "C",
            shot_name: "29.97",
            path: c,
            placeholder: false,
            source_rate: r2997,
            source: (30, 130),
            record: (h + 96, h + 176),
        },
    ];
    for format in ALL_FORMATS {
        let file = export(dir.path(), &timeline, options(format));
        let back = readback(&file, r24);
        assert!(
            (approx(&back["rate"], "rate") - 24.0).abs() < 1e-9,
            "{format}: sequence rate is the first clip's"
        );
        assert_clips(format, &back, r24, &expected, 1.0);
    }
    let summary = write_export(
        &timeline,
        &options(ExportFormat::Otio),
        &dir.path().join("m.otio"),
    )
    .unwrap();
    assert_eq!((summary.rate, summary.duration_frames), (r24, 176));
    // The EDL converts C's source in: 30 frames at 29.97 → 24.02 → 24 at 24 fps.
    let edl = String::from_utf8(render(&timeline, &options(ExportFormat::Edl)).unwrap()).unwrap();
    assert!(
        edl.contains(
            "003  AX       V     C        00:00:01:00 00:00:04:08 01:00:04:00 01:00:07:08"
        ),
        "{edl}"
    );
}

#[test]
fn start_timecode_moves_every_record_time_and_reads_drop_frame_labels() {
    let dir = tempfile::tempdir().unwrap();
    let at = rate("30000/1001");
    let timeline = fixture(dir.path(), at);
    // 00:59:59;28 at 29.97 DF is frame 107890, two frames before 01:00:00;00.
    let start = 107_890;
    let expected: Vec<Expected> = fixture_expectation(dir.path(), at)
        .into_iter()
        .map(|e| Expected {
            record: (e.record.0 - 2, e.record.1 - 2),
            ..e
        })
        .collect();
    for format in ALL_FORMATS {
        let opts = ExportOptions {
            format,
            start: Some("00:59:59;28".into()),
            ..Default::default()
        };
        let back = readback(&export(dir.path(), &timeline, opts), at);
        assert_eq!(
            approx(&back["start_frame"], "start"),
            start as f64,
            "{format}"
        );
        assert_clips(format, &back, at, &expected, 0.0);
    }
}

#[test]
fn an_empty_selection_is_a_clear_error_and_creates_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nothing.xml");
    let empty = Timeline {
        name: "empty".into(),
        shots: Vec::new(),
    };
    let err = write_export(&empty, &options(ExportFormat::Fcp7Xml), &out).unwrap_err();
    assert!(matches!(err, ExportError::EmptyShotList), "{err:?}");
    assert!(err.to_string().starts_with("nothing to export:"), "{err}");

    let timeline = fixture(dir.path(), rate("24"));
    let none_selected = ExportOptions {
        shots: Some(Vec::new()),
        ..Default::default()
    };
    assert!(matches!(
        write_export(&timeline, &none_selected, &out),
        Err(ExportError::EmptyShotList)
    ));

    // Only the placeholder and the empty shot, placeholders skipped: nothing usable.
    let only_unfinished = ExportOptions {
        shots: Some(vec!["SH030".into(), "SH020".into()]),
        placeholders: Placeholders::Skip,
        ..Default::default()
    };
    let err = write_export(&timeline, &only_unfinished, &out).unwrap_err();
    assert!(
        matches!(err, ExportError::NothingToExport { shots: 2, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("placeholders \"include\""),
        "{err}"
    );
    // A gap alone is not an edit either.
    let gaps_only = ExportOptions {
        placeholders: Placeholders::Gap,
        ..only_unfinished
    };
    assert!(matches!(
        write_export(&timeline, &gaps_only, &out),
        Err(ExportError::NothingToExport { .. })
    ));

    let unknown = ExportOptions {
        shots: Some(vec!["SH999".into()]),
        ..Default::default()
    };
    let err = write_export(&timeline, &unknown, &out).unwrap_err();
    assert_eq!(
        err.to_string(),
        "shot 'SH999' is not in this project's shot list"
    );

    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(names.is_empty(), "no file, not even a temp file: {names:?}");
}

#[test]
fn a_failed_export_leaves_the_previous_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("selects.edl");
    std::fs::write(&out, "previous export").unwrap();
    let timeline = fixture(dir.path(), rate("24"));
    let bad_start = ExportOptions {
        format: ExportFormat::Edl,
        start: Some("25:00:00:00".into()),
        ..Default::default()
    };
    let err = write_export(&timeline, &bad_start, &out).unwrap_err();
    assert!(matches!(err, ExportError::BadStartTimecode(_)), "{err:?}");
    assert!(err.to_string().contains("hours must be below 24"), "{err}");
    let dropped = ExportOptions {
        start: Some("00:01:00;00".into()),
        ..bad_start.clone()
    };
    let ntsc = fixture(dir.path(), rate("30000/1001"));
    assert!(matches!(
        write_export(&ntsc, &dropped, &out),
        Err(ExportError::BadStartTimecode(_))
    ));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "previous export");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left"
    );

    // A good export replaces it whole.
    write_export(&timeline, &options(ExportFormat::Edl), &out).unwrap();
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .starts_with("TITLE: "));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp file left"
    );
}

#[test]
fn a_missing_output_folder_is_an_io_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("no such folder/selects.xml");
    let err = write_export(
        &fixture(dir.path(), rate("24")),
        &options(ExportFormat::Fcp7Xml),
        &out,
    )
    .unwrap_err();
    assert!(matches!(err, ExportError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("selects.xml"), "{err}");
}

#[test]
fn unusable_clips_are_refused_with_the_shot_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut timeline = fixture(dir.path(), rate("24"));
    let sh040 = timeline.shots[0].clip.as_mut().unwrap();
    sh040.source_out = 31; // the file has 30 frames
    let err = render(&timeline, &options(ExportFormat::Otio)).unwrap_err();
    assert!(
        matches!(
            err,
            ExportError::InvalidTrim {
                take_id: TakeId(44),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("shot SH040: take 44"), "{err}");

    let sh040 = timeline.shots[0].clip.as_mut().unwrap();
    sh040.source_out = 27;
    sh040.rate = rate("25/2");
    let err = render(&timeline, &options(ExportFormat::Otio)).unwrap_err();
    assert!(
        matches!(err, ExportError::UnsupportedRate { .. }),
        "{err:?}"
    );

    let sh040 = timeline.shots[0].clip.as_mut().unwrap();
    sh040.rate = rate("24");
    sh040.path = PathBuf::from("relative/take.mp4");
    let err = render(&timeline, &options(ExportFormat::Otio)).unwrap_err();
    assert!(matches!(err, ExportError::BadPath { .. }), "{err:?}");
}

#[test]
fn an_edl_refuses_more_than_999_events_while_fcp7_takes_them() {
    let dir = tempfile::tempdir().unwrap();
    let shots = (0..1000)
        .map(|i| {
            let take = ClipEntry {
                take_id: TakeId(i),
                ..clip(
                    dir.path().join(format!("t{i}.mp4")),
                    rate("24"),
                    10,
                    (0, 10),
                )
            };
            shot(&format!("S{i:04}"), "", i, ShotState::Final, Some(take))
        })
        .collect();
    let timeline = Timeline {
        name: "long".into(),
        shots,
    };
    let err = render(&timeline, &options(ExportFormat::Edl)).unwrap_err();
    assert!(
        matches!(err, ExportError::TooManyEdlEvents(1000)),
        "{err:?}"
    );
    assert!(render(&timeline, &options(ExportFormat::Fcp7Xml)).is_ok());
}

#[test]
fn a_symlink_at_the_destination_is_replaced_and_its_target_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let at = rate("24");
    let timeline = fixture(dir.path(), at);
    let target = dir.path().join("someone-elses.txt");
    std::fs::write(&target, "not ours").unwrap();
    let out = dir.path().join("cut.xml");
    std::os::unix::fs::symlink(&target, &out).unwrap();
    write_export(&timeline, &options(ExportFormat::Fcp7Xml), &out).unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "not ours");
    let meta = std::fs::symlink_metadata(&out).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the link was replaced by the export"
    );
    assert!(std::fs::read_to_string(&out).unwrap().contains("<xmeml"));
}
