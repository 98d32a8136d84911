#!/usr/bin/env bash
# Seeds the cargo-fuzz corpora (fuzz/corpus/<target>/, not committed) with the inputs the
# tests use: real ffmpeg clips, the sidecar fixtures, file names, Range headers, timecodes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus="$root/fuzz/corpus"
mkdir -p "$corpus"/{mp4_boxes,sidecar,file_name,range_header,timecode}

mp4="$corpus/mp4_boxes"
if [ ! -e "$mp4/h264.mp4" ]; then
  ffmpeg -v error -y -f lavfi -i testsrc2=size=64x36:rate=24:duration=0.5 \
    -f lavfi -i sine=duration=0.5 -c:v libx264 -preset ultrafast -c:a aac -shortest "$mp4/h264.mp4"
  ffmpeg -v error -y -f lavfi -i testsrc2=size=64x36:rate=30000/1001:duration=0.5 \
    -c:v libx264 -preset ultrafast -movflags +faststart "$mp4/faststart.mp4"
  ffmpeg -v error -y -f lavfi -i testsrc2=size=64x36:rate=25:duration=0.5 \
    -c:v libx264 -preset ultrafast "$mp4/quicktime.mov"
  head -c 2000 "$mp4/faststart.mp4" > "$mp4/truncated.mp4"
fi
cp "$root"/src-tauri/core/tests/fixtures/sidecars/*.json "$corpus/sidecar/"

i=0
while IFS= read -r line; do
  i=$((i + 1)); printf '%s' "$line" > "$corpus/file_name/$i"
done <<'NAMES'
SH010_flash_t1.mp4
sc01-flash-take1.mp4
SH020_ray-flash-2 dawn.mp4
2026-01-07T01-36-13_fly_fishing.mp4
2026-01-07T02-00-00_fly_fishing_watermarked.mp4
SH010_harbor_flash_t1 (1).mp4
Ab12xY.mp4.part
.~lock.SH010.mp4#
SH030_standard_take12.MOV
NAMES

i=0
while IFS= read -r line; do
  i=$((i + 1)); printf '%s' "$line" > "$corpus/range_header/$i"
done <<'RANGES'
bytes=0-99
bytes=900-
bytes=-100
bytes=0-1,5-9
bytes=18446744073709551615-
RANGES

i=0
while IFS= read -r line; do
  i=$((i + 1)); printf '%s' "$line" > "$corpus/timecode/$i"
done <<'TIMECODES'
01:00:00:00
01:00:00;02
00:09:59;29
23:59:59:23
00:01:00;00
TIMECODES
