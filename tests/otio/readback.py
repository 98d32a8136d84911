#!/usr/bin/env python3
"""Independent reader for Takeboard's Premiere exports (used by the Rust export tests).

    python3 tests/otio/readback.py FILE [--rate R]

Reads FILE with OpenTimelineIO (FCP7 XML via otio-fcp-adapter, CMX3600 EDL via
otio-cmx3600-adapter in strict mode, .otio natively) or, for .csv, with Python's csv
module, and prints one JSON document: the sequence rate and start, then per clip its
name, decoded absolute file path, source start/duration (frames at the clip's source
rate), record start/duration (absolute frames at the sequence rate, start timecode
included), placeholder flag as the format marks it, metadata and markers.

--rate is the sequence rate (N or N/D) for formats that do not carry one (EDL, CSV).
"""

import argparse
import csv
import json
import sys
import urllib.parse
from fractions import Fraction

import opentimelineio as otio
from opentimelineio import opentime


def parse_rate(text):
    return float(Fraction(text))


def url_to_path(url):
    if url is None:
        return None
    parsed = urllib.parse.urlparse(url)
    return urllib.parse.unquote(parsed.path)


def frames(time, rate):
    """A RationalTime as a (possibly fractional) frame count at `rate`, rounded to 1e-6."""
    return round(time.rescaled_to(rate).value, 6)


def json_safe(value):
    """OTIO metadata (AnyDictionary / AnyVector) as plain JSON values."""
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if hasattr(value, "items"):
        return {str(k): json_safe(v) for k, v in value.items()}
    if hasattr(value, "__iter__"):
        return [json_safe(v) for v in value]
    return str(value)


def read_timeline(path, fmt, rate):
    with open(path, "rb") as handle:
        text = handle.read().decode("utf-8")
    if fmt == "edl":
        # Strict: no ignore_timecode_mismatch, so overlaps and length mismatches raise.
        return otio.adapters.read_from_string(text, adapter_name="cmx_3600", rate=rate)
    if fmt == "fcp7xml":
        return otio.adapters.read_from_string(text, adapter_name="fcp_xml")
    return otio.adapters.read_from_string(text, adapter_name="otio_json")


def placeholder_flag(fmt, clip):
    if fmt == "edl":
        comments = clip.metadata.get("cmx_3600", {}).get("comments", [])
        return "TAKEBOARD PLACEHOLDER" in comments
    if fmt == "otio":
        return bool(clip.metadata.get("takeboard", {}).get("placeholder"))
    return clip.name.endswith(" [placeholder]")


def markers(fmt, clip):
    out = []
    for marker in clip.markers:
        comment = marker.comment
        if fmt == "fcp7xml":
            comment = marker.metadata.get("fcp_xml", {}).get("comment")
        out.append(
            {
                "name": marker.name,
                "comment": comment,
                "frame": round(marker.marked_range.start_time.value, 6),
            }
        )
    return out


def read_otio_family(path, fmt, rate_arg):
    timeline = read_timeline(path, fmt, rate_arg)
    if fmt == "edl":
        rate = rate_arg
    else:
        rate = timeline.global_start_time.rate
    start = frames(timeline.global_start_time, rate) if timeline.global_start_time else 0
    tracks = [t for t in timeline.tracks if t.kind == otio.schema.TrackKind.Video]
    if len(tracks) != 1:
        raise SystemExit(f"expected one video track, found {len(tracks)}")
    track = tracks[0]
    # The EDL reader starts a track at the first record in by giving it a negative
    # source start; undo that to get absolute record frames.
    offset = -frames(track.source_range.start_time, rate) if track.source_range else 0
    clips, gaps = [], []
    for item in track:
        in_parent = item.range_in_parent()
        record = {
            "record_start": round(start + offset + frames(in_parent.start_time, rate), 6),
            "record_duration": frames(in_parent.duration, rate),
        }
        if isinstance(item, otio.schema.Gap):
            gaps.append(record)
            continue
        source_rate = item.source_range.start_time.rate
        reference = item.media_reference
        clips.append(
            {
                "name": item.name,
                "path": url_to_path(getattr(reference, "target_url", None)),
                "source_rate": source_rate,
                "source_start": frames(item.source_range.start_time, source_rate),
                "source_duration": frames(item.source_range.duration, source_rate),
                **record,
                "placeholder": placeholder_flag(fmt, item),
                "metadata": json_safe(item.metadata),
                "markers": markers(fmt, item),
            }
        )
    return {
        "format": fmt,
        "name": timeline.name,
        "rate": rate,
        # An EDL carries no sequence start: its first record in stands for it.
        "start_frame": start + offset,
        "audio_tracks": len(timeline.audio_tracks()),
        "clips": clips,
        "gaps": gaps,
    }


def read_csv(path, rate):
    with open(path, "rb") as handle:
        raw = handle.read()
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines(keepends=True)))
    clips, gaps = [], []
    start = None
    for row in rows:
        record_in = opentime.from_timecode(row["Record in"], rate)
        record_out = opentime.from_timecode(row["Record out"], rate)
        if start is None:
            start = record_in.value
        record = {
            "record_start": round(record_in.value, 6),
            "record_duration": round((record_out - record_in).value, 6),
        }
        if row["Kind"] == "gap":
            gaps.append(record)
            continue
        source_rate = parse_rate(row["Frame rate"])
        source_in = opentime.from_timecode(row["Source in"], source_rate)
        source_out = opentime.from_timecode(row["Source out"], source_rate)
        clips.append(
            {
                "name": row["Name"],
                "path": row["File"],
                "source_rate": source_rate,
                "source_start": round(source_in.value, 6),
                "source_duration": round((source_out - source_in).value, 6),
                **record,
                "placeholder": row["Kind"] == "placeholder",
                "metadata": row,
                "markers": [],
            }
        )
    return {
        "format": "csv",
        "name": None,
        "rate": rate,
        "start_frame": start,
        "bom": raw.startswith(b"\xef\xbb\xbf"),
        "clips": clips,
        "gaps": gaps,
    }


FORMATS = {".xml": "fcp7xml", ".edl": "edl", ".otio": "otio", ".csv": "csv"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--rate", type=parse_rate, default=None)
    args = parser.parse_args()
    suffix = "." + args.file.rsplit(".", 1)[-1].lower()
    fmt = FORMATS.get(suffix)
    if fmt is None:
        raise SystemExit(f"unknown export suffix {suffix}")
    if fmt in ("edl", "csv") and args.rate is None:
        raise SystemExit(f"--rate is required for {fmt}")
    if fmt == "csv":
        result = read_csv(args.file, args.rate)
    else:
        result = read_otio_family(args.file, fmt, args.rate)
    json.dump(result, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
