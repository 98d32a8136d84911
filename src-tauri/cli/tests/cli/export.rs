//! Issue 4 end to end: clips at five rates with hostile names are scanned, decided on and
//! exported through the CLI in every format; each export is read back by OpenTimelineIO
//! and compared clip by clip with what `takes --json` and `shots --json` say.

#[path = "../../../../tests/otio/readback.rs"]
mod otio_reader;

use crate::support::{clip, Env};
use otio_reader::readback;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// `--format` value and file extension of every export format.
const FORMATS: [(&str, &str); 4] = [
    ("fcp7xml", "xml"),
    ("edl", "edl"),
    ("otio", "otio"),
    ("csv", "csv"),
];

/// The odd shot name given to SH030 through `rename-shot`.
const SH030_NAME: &str = "Café “Plan” & <Ω> \"q\" 'x'";

/// A library with six shots decided through the CLI, in a folder whose path has spaces,
/// non-ASCII and `& < > " '`:
///
/// | shot | file (rate) | decision | stands for it |
/// |---|---|---|---|
/// | SH010 | Standard (24) + Flash (24) | approve both | the Standard take, final |
/// | SH020 | Flash (25) | approve | placeholder, whole clip |
/// | SH030 | Standard (30) | `final`, trim 5..20, renamed | final, trimmed |
/// | SH040 | Flash (23.976) | approve, trim 2..20 | placeholder, trimmed |
/// | SH050 | Standard (29.97) | approve, trim 3..27 | final, trimmed |
/// | SH060 | Flash (25) | none | nothing: skipped |
struct Cut {
    env: Env,
    /// Where the exports go (a path with spaces and non-ASCII too).
    out: PathBuf,
}

const SH010_STD: &str = "SH010_std café & \"rain\".mp4";
const SH010_FLASH: &str = "SH010_flash_t1.mp4";
const SH020_FLASH: &str = "SH020_flash_雨 'take' <2>.mp4";
const SH030_STD: &str = "SH030_standard über & <b>.mp4";
const SH040_FLASH: &str = "SH040_flash_t1 a&b \"x\".mp4";
const SH050_STD: &str = "SH050_std_Ω 'end' >.mp4";
const SH060_FLASH: &str = "SH060_flash_unseen.mp4";

impl Cut {
    fn new() -> Cut {
        let env = Env::new();
        let folder = env.dir.path().join("Rushes été & <co> 'n' \"q\"");
        std::fs::create_dir(&folder).unwrap();
        // Identical encodes would be one take (same content hash): audio tells same-rate
        // clips apart.
        clip(&folder, SH010_STD, "24", true);
        clip(&folder, SH010_FLASH, "24", false);
        clip(&folder, SH020_FLASH, "25", false);
        clip(&folder, SH030_STD, "30", false);
        clip(&folder, SH040_FLASH, "24000/1001", false);
        clip(&folder, SH050_STD, "30000/1001", false);
        clip(&folder, SH060_FLASH, "25", true);
        let summary = env.json(&["scan", folder.to_str().unwrap()]);
        assert_eq!(summary["added"], 7, "{summary}");

        let cut = Cut {
            out: env.dir.path().join("Exports é & co"),
            env,
        };
        std::fs::create_dir(&cut.out).unwrap();
        let approved = cut.env.json(&["approve", &cut.id(SH010_STD)]);
        assert_eq!(
            approved["became_final"], true,
            "a Standard take becomes final"
        );
        let approved = cut.env.json(&["approve", &cut.id(SH010_FLASH)]);
        assert!(
            approved["request"]["id"].is_i64(),
            "a Flash take gets a request"
        );
        cut.env.json(&["approve", &cut.id(SH020_FLASH)]);
        cut.env.json(&["final", &cut.id(SH030_STD)]);
        cut.env.json(&["trim", &cut.id(SH030_STD), "5", "20"]);
        cut.env.json(&["rename-shot", "SH030", SH030_NAME]);
        cut.env.json(&["approve", &cut.id(SH040_FLASH)]);
        cut.env.json(&["trim", &cut.id(SH040_FLASH), "2", "20"]);
        cut.env.json(&["approve", &cut.id(SH050_STD)]);
        cut.env.json(&["trim", &cut.id(SH050_STD), "3", "27"]);
        cut
    }

    /// The take whose file is `file`, as `takes --json` reports it.
    fn take(&self, file: &str) -> Value {
        let takes = self.env.json(&["takes", "--json"]);
        takes
            .as_array()
            .unwrap()
            .iter()
            .find(|t| Path::new(t["path"].as_str().unwrap()).file_name().unwrap() == file)
            .unwrap_or_else(|| panic!("no take for {file} in {takes:#}"))
            .clone()
    }

    fn id(&self, file: &str) -> String {
        self.take(file)["id"].to_string()
    }

    /// Exports with `args` after `export --format F --out FILE`; returns the file and the
    /// command's JSON summary.
    fn export(&self, format: (&str, &str), label: &str, args: &[&str]) -> (PathBuf, Value) {
        let file = self
            .out
            .join(format!("Selects {label} é & <x>.{}", format.1));
        let mut all = vec![
            "export",
            "--format",
            format.0,
            "--out",
            file.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        let summary = self.env.json(&all);
        (file, summary)
    }

    /// What one exported clip must read back as, from `takes --json` and `shots --json`:
    /// the take of `file` at record frames `record` (absolute, sequence rate).
    fn expect(&self, file: &str, record: (u64, u64)) -> Want {
        let take = self.take(file);
        let code = take["shot"].as_str().unwrap().to_owned();
        let shots = self.env.json(&["shots", "--json"]);
        let shot_name = shots
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["code"] == code.as_str())
            .unwrap()["name"]
            .as_str()
            .unwrap()
            .to_owned();
        let frames = take["frames"].as_u64().unwrap();
        let placeholder = take["final"] == false;
        assert!(
            take["final"] == true || take["status"] == "approved",
            "{file} is final or approved: {take}"
        );
        Want {
            path: take["path"].as_str().unwrap().to_owned(),
            shot_name,
            code,
            rate: rate(take["fps"].as_str().unwrap()),
            source: (
                take["trim_in"].as_u64().unwrap_or(0),
                take["trim_out"].as_u64().unwrap_or(frames),
            ),
            record,
            placeholder,
        }
    }
}

/// One clip as it must read back.
struct Want {
    code: String,
    shot_name: String,
    path: String,
    rate: f64,
    /// Source in/out (exclusive) at the clip's own rate.
    source: (u64, u64),
    /// Record in/out (exclusive), absolute frames at the sequence rate.
    record: (u64, u64),
    placeholder: bool,
}

/// A rate as `takes --json` spells it (`24`, `24000/1001`).
fn rate(text: &str) -> f64 {
    match text.split_once('/') {
        Some((n, d)) => n.parse::<f64>().unwrap() / d.parse::<f64>().unwrap(),
        None => text.parse().unwrap(),
    }
}

fn number(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

/// Record ranges laid back to back from `start`, one per length.
fn back_to_back(start: u64, lengths: &[u64]) -> Vec<(u64, u64)> {
    let mut at = start;
    lengths
        .iter()
        .map(|len| {
            at += len;
            (at - len, at)
        })
        .collect()
}

/// Compares a readback with the expected clips and gaps, clip by clip.
fn assert_reads_back(
    format: &str,
    back: &Value,
    sequence_rate: f64,
    want: &[Want],
    gaps: &[(u64, u64)],
) {
    let got = back["clips"].as_array().expect("clips");
    assert_eq!(got.len(), want.len(), "{format}: clips in {back:#}");
    for (got, want) in got.iter().zip(want) {
        let at = format!("{format} {}", want.code);
        let file_name = Path::new(&want.path).file_name().unwrap().to_str().unwrap();
        let shot_label = if want.shot_name == want.code {
            want.code.clone()
        } else {
            format!("{} {}", want.code, want.shot_name)
        };
        let name = match format {
            // An EDL's clip name is the file name, what Premiere relinks by.
            "edl" => file_name.to_owned(),
            "csv" => want.shot_name.clone(),
            _ if want.placeholder => format!("{shot_label} [placeholder]"),
            _ => shot_label,
        };
        assert_eq!(got["name"], name.as_str(), "{at}: name");
        if format != "edl" {
            assert_eq!(got["path"], want.path.as_str(), "{at}: decoded file path");
        }
        assert_eq!(
            got["placeholder"], want.placeholder,
            "{at}: placeholder mark"
        );
        assert_eq!(
            number(&got["record_start"], "record_start"),
            want.record.0 as f64,
            "{at}: record start"
        );
        let record_len = (want.record.1 - want.record.0) as f64;
        assert_eq!(
            number(&got["record_duration"], "record_duration"),
            record_len,
            "{at}: record duration"
        );

        // The source range: at the clip's own rate, except in the EDL, which speaks the
        // sequence rate only and so converts the in point and uses the record length.
        let scale = sequence_rate / want.rate;
        let source_rate = number(&got["source_rate"], "source_rate");
        let source_start = number(&got["source_start"], "source_start");
        let source_len = number(&got["source_duration"], "source_duration");
        let trim_len = (want.source.1 - want.source.0) as f64;
        if format == "edl" {
            assert!((source_rate - sequence_rate).abs() < 1e-9, "{at}: EDL rate");
            assert!(
                (source_start - want.source.0 as f64 * scale).abs() <= 0.5,
                "{at}: source in {source_start}, want {} converted",
                want.source.0
            );
            assert_eq!(source_len, record_len, "{at}: EDL source length");
        } else {
            assert!((source_rate - want.rate).abs() < 1e-9, "{at}: source rate");
            assert_eq!(source_start, want.source.0 as f64, "{at}: source in");
            // FCP7 and OTIO carry a mixed-rate clip's length as its record length, which
            // is the trim rounded to whole sequence frames.
            let slack = if format == "csv" { 0.0 } else { 0.5 / scale };
            assert!(
                (source_len - trim_len).abs() <= slack + 1e-6,
                "{at}: source length {source_len}, want {trim_len}"
            );
        }
    }
    let got_gaps: Vec<(f64, f64)> = back["gaps"]
        .as_array()
        .expect("gaps")
        .iter()
        .map(|g| {
            let start = number(&g["record_start"], "gap start");
            (start, start + number(&g["record_duration"], "gap length"))
        })
        .collect();
    let want_gaps: Vec<(f64, f64)> = gaps.iter().map(|&(a, b)| (a as f64, b as f64)).collect();
    assert_eq!(got_gaps, want_gaps, "{format}: gaps");
}

/// 01:00:00:00 at 24 fps.
const HOUR_AT_24: u64 = 86_400;

/// Record lengths at 24 fps, counted by hand: SH010 24@24 → 24; SH020 25@25 → 24;
/// SH030 15@30 → 12; SH040 18@23.976 → 18.018 → 18; SH050 24@29.97 → 19.22 → 19.
const LENGTHS_AT_24: [u64; 5] = [24, 24, 12, 18, 19];

#[test]
fn decisions_made_on_the_command_line_export_clip_by_clip_in_every_format() {
    let cut = Cut::new();
    let r = back_to_back(HOUR_AT_24, &LENGTHS_AT_24);
    let want = [
        cut.expect(SH010_STD, r[0]),
        cut.expect(SH020_FLASH, r[1]),
        cut.expect(SH030_STD, r[2]),
        cut.expect(SH040_FLASH, r[3]),
        cut.expect(SH050_STD, r[4]),
    ];
    let placeholders: Vec<bool> = want.iter().map(|w| w.placeholder).collect();
    assert_eq!(placeholders, [false, true, false, true, false]);
    assert_eq!(want[2].shot_name, SH030_NAME);
    assert_eq!(want[2].source, (5, 20), "SH030's trim");
    assert_eq!(want[1].source, (0, 25), "SH020's whole clip");
    for format in FORMATS {
        let (file, summary) = cut.export(format, "all", &[]);
        assert_eq!(summary["clips"], 5, "{summary}");
        assert_eq!(summary["placeholders"], 2, "{summary}");
        assert_eq!(summary["skipped"], serde_json::json!(["SH060"]));
        assert_eq!(summary["start"], "01:00:00:00");
        assert_eq!(
            summary["duration_frames"],
            LENGTHS_AT_24.iter().sum::<u64>()
        );
        let back = readback(&file, "24");
        assert!(
            (number(&back["rate"], "rate") - 24.0).abs() < 1e-9,
            "{back}"
        );
        assert_eq!(number(&back["start_frame"], "start"), HOUR_AT_24 as f64);
        assert_reads_back(format.0, &back, 24.0, &want, &[]);
    }
}

#[test]
fn placeholders_can_become_gaps_or_be_left_out() {
    let cut = Cut::new();
    let r = back_to_back(HOUR_AT_24, &LENGTHS_AT_24);
    let finals = [
        cut.expect(SH010_STD, r[0]),
        cut.expect(SH030_STD, r[2]),
        cut.expect(SH050_STD, r[4]),
    ];
    // Skipped placeholders let later shots move up.
    let moved_up = back_to_back(HOUR_AT_24, &[24, 12, 19]);
    let skipped = [
        cut.expect(SH010_STD, moved_up[0]),
        cut.expect(SH030_STD, moved_up[1]),
        cut.expect(SH050_STD, moved_up[2]),
    ];
    for format in FORMATS {
        let (file, summary) = cut.export(format, "gap", &["--placeholders", "gap"]);
        assert_eq!(
            (summary["clips"].as_u64(), summary["gaps"].as_u64()),
            (Some(3), Some(2))
        );
        assert_eq!(summary["placeholders"], 0);
        assert_reads_back(
            format.0,
            &readback(&file, "24"),
            24.0,
            &finals,
            &[r[1], r[3]],
        );

        let (file, summary) = cut.export(format, "skip", &["--placeholders", "skip"]);
        assert_eq!(
            (summary["clips"].as_u64(), summary["gaps"].as_u64()),
            (Some(3), Some(0))
        );
        assert_eq!(
            summary["skipped"],
            serde_json::json!(["SH020", "SH040", "SH060"])
        );
        assert_reads_back(format.0, &readback(&file, "24"), 24.0, &skipped, &[]);
    }
}

#[test]
fn a_shot_subset_keeps_shot_list_order_and_starts_at_the_given_timecode() {
    let cut = Cut::new();
    // SH030 comes first, so the sequence runs at 30 fps: 00:59:50:00 is 3590 s × 30.
    // Record lengths at 30, by hand: SH030 15@30 → 15; SH050 24@29.97 → 24.024 → 24.
    let start = 3590 * 30;
    let r = back_to_back(start, &[15, 24]);
    let want = [cut.expect(SH030_STD, r[0]), cut.expect(SH050_STD, r[1])];
    for format in FORMATS {
        let (file, summary) = cut.export(
            format,
            "subset",
            &["--shots", "SH050,SH030", "--start", "00:59:50:00"],
        );
        assert_eq!(summary["clips"], 2, "{summary}");
        assert_eq!(summary["skipped"], serde_json::json!([]));
        assert_eq!(summary["start"], "00:59:50:00");
        let back = readback(&file, "30");
        assert_eq!(number(&back["start_frame"], "start"), start as f64);
        assert_reads_back(format.0, &back, 30.0, &want, &[]);
    }
}

#[test]
fn an_export_with_nothing_approved_is_refused_and_writes_no_file() {
    let env = Env::new();
    clip(&env.clips, "SH010_flash_t1.mp4", "24", false);
    clip(&env.clips, "SH020_flash_t1.mp4", "25", false);
    env.json(&["scan", env.clips.to_str().unwrap()]);
    let out = env.dir.path().join("exports");
    std::fs::create_dir(&out).unwrap();
    for format in FORMATS {
        let file = out.join(format!("selects.{}", format.1));
        let err = env.fail(&[
            "export",
            "--format",
            format.0,
            "--out",
            file.to_str().unwrap(),
        ]);
        assert!(
            err.contains("nothing to export") && err.contains("final take or an approved take"),
            "{format:?}: {err}"
        );
    }
    let err = env.fail(&[
        "export",
        "--out",
        out.join("selects.xml").to_str().unwrap(),
        "--shots",
        "SH999",
    ]);
    assert!(
        err.contains("'SH999' is not in this project's shot list"),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert!(
        left.is_empty(),
        "no file, not even a temporary one: {left:?}"
    );
}
