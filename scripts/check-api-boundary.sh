#!/usr/bin/env bash
# Invariant: the desktop shell (src-tauri/src) and the CLI (src-tauri/cli/src) reach the
# core only through its API boundary, `takeboard_core::api`, and the plain values of
# `takeboard_core::domain`. Fails listing each line that names any other core module.
set -euo pipefail
cd "$(dirname "$0")/.."
found=$(grep -rnE --include='*.rs' 'takeboard_core::' src-tauri/src src-tauri/cli/src \
  | grep -vE 'takeboard_core::(api|domain)\b' || true)
grouped=$(grep -rnE --include='*.rs' 'takeboard_core::\{' src-tauri/src src-tauri/cli/src || true)
if [ -n "$found$grouped" ]; then
  echo "the shell and the CLI may use only takeboard_core::{api, domain}:"
  printf '%s\n' "$found" "$grouped" | sed '/^$/d'
  exit 1
fi
echo "shell and CLI use only takeboard_core::{api, domain}: ok"
