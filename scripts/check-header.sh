#!/usr/bin/env bash
# Regenerates include/oss_append.h from src/ffi with cbindgen (through build.rs) and fails if the
# checked-in header differs: commit the regenerated header with the change that caused it.
#   scripts/check-header.sh        check (CI)
#   scripts/check-header.sh --fix  regenerate only, for committing
set -euo pipefail
cd "$(dirname "$0")/.."

# The variable makes build.rs run again even when nothing else changed, and fail on any error.
OSS_APPEND_REGENERATE_HEADER=1 cargo build -q -p oss-append --lib
if [ "${1:-}" = "--fix" ]; then
  echo "include/oss_append.h regenerated"
  exit 0
fi
if ! git diff --exit-code -- include/oss_append.h; then
  echo "include/oss_append.h is out of date with src/ffi: run scripts/check-header.sh --fix and commit it" >&2
  exit 1
fi
if [ -n "$(git ls-files --others --exclude-standard -- include/oss_append.h)" ]; then
  echo "include/oss_append.h is not committed" >&2
  exit 1
fi
echo "include/oss_append.h is up to date"
