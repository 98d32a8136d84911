#!/usr/bin/env bash
# Invariant: only src-tauri/core/src/catalog/ holds SQL. Anything else that wants the
# database calls a catalog function. Fails listing each line that breaks the rule:
# a rusqlite call that runs a statement, or a string that starts with an SQL verb.
set -euo pipefail
cd "$(dirname "$0")/.."
calls='\.(execute|execute_batch|prepare|prepare_cached|query_row|query_map|pragma_update|pragma_query_value)\('
verbs='"[[:space:]]*(SELECT|INSERT|UPDATE|DELETE|PRAGMA|CREATE|ALTER|DROP|WITH|BEGIN)[[:space:]]'
found=$(grep -rnE --include='*.rs' "$calls|$verbs" src-tauri/core/src src-tauri/src src-tauri/cli/src \
  | grep -v '^src-tauri/core/src/catalog/' || true)
if [ -n "$found" ]; then
  echo "SQL outside src-tauri/core/src/catalog/ (move it into a catalog function):"
  echo "$found"
  exit 1
fi
echo "SQL only in catalog/: ok"
