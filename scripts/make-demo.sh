#!/usr/bin/env bash
# Generates a demo folder of real clips with Luma-style sidecars:
# 3 shots x 4-6 Ray2 Flash variants (5 s, 24 fps, H.264) plus one Ray2 Standard render.
# Usage: scripts/make-demo.sh DIR   (DIR is created; existing clips are kept)
set -euo pipefail
dir=${1:?usage: make-demo.sh DIR}
mkdir -p "$dir"
command -v ffmpeg >/dev/null || { echo "make-demo: ffmpeg is not installed (make deps installs it)" >&2; exit 1; }

uuid() { python3 -c 'import uuid; print(uuid.uuid4())'; }

# clip NAME SOURCE HUE AUDIO MODEL PROMPT
clip() {
  local name=$1 src=$2 hue=$3 audio=$4 model=$5 prompt=$6
  local out="$dir/$name.mp4"
  [ -s "$out" ] && return 0
  local args=(-loglevel error -y -f lavfi -i "$src=size=640x360:rate=24")
  if [ "$audio" = yes ]; then args+=(-f lavfi -i "sine=frequency=$((300 + hue)):sample_rate=48000"); fi
  args+=(-t 5 -vf "hue=h=$hue,drawtext=text='$name':x=20:y=20:fontsize=24:fontcolor=white:box=1:boxcolor=black@0.5" \
         -c:v libx264 -preset veryfast -pix_fmt yuv420p -movflags +faststart)
  if [ "$audio" = yes ]; then args+=(-c:a aac -shortest); fi
  ffmpeg "${args[@]}" -f mp4 "$out.part" 2>/dev/null || ffmpeg "${args[@]/drawtext=*/null}" -f mp4 "$out.part"
  local id; id=$(uuid)
  cat > "$out.json" <<JSON
{
  "id": "$id",
  "generation_type": "video",
  "state": "completed",
  "failure_reason": null,
  "created_at": "2026-11-20T10:$(printf '%02d' $((RANDOM % 60))):00.000Z",
  "model": "$model",
  "assets": { "video": "https://storage.cdn-luma.com/dream-machine/$id/video.mp4" },
  "request": {
    "generation_type": "video",
    "model": "$model",
    "prompt": "$prompt",
    "aspect_ratio": "16:9",
    "resolution": "720p",
    "duration": "5s",
    "concepts": [{ "key": "push_in" }]
  }
}
JSON
  mv "$out.part" "$out"
}

p1="A lighthouse keeper climbs a spiral staircase at dusk, warm lamplight"
p2="Drone shot over a misty pine forest at sunrise"
p3="Close-up of rain drops on a neon-lit window at night"
sources=(testsrc2 smptebars rgbtestsrc testsrc2 smptebars yuvtestsrc)
for i in 1 2 3 4 5; do clip "SH010_flash_t$i" "${sources[$i]}" $((i * 40)) yes ray-flash-2 "$p1"; done
for i in 1 2 3 4; do clip "SH020_flash_t$i" "${sources[$((i + 1))]}" $((i * 60)) no ray-flash-2 "$p2"; done
for i in 1 2 3 4 5 6; do clip "SH030_flash_t$i" "${sources[$((i - 1))]}" $((i * 30)) yes ray-flash-2 "$p3"; done
clip "SH010_standard_r1" testsrc2 40 yes ray-2 "$p1"
echo "demo library clips in $dir"
