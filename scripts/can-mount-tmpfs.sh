#!/usr/bin/env bash
# Exit 0 when this process may mount a tmpfs (root with CAP_SYS_ADMIN, as on CI), so the
# full-disk test can run; 1 otherwise (the harness then reports it as ignored).
set -u
dir=$(mktemp -d)
trap 'umount "$dir" 2>/dev/null; rmdir "$dir"' EXIT
mount -t tmpfs -o size=1m tmpfs "$dir" 2>/dev/null
