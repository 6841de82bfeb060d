#!/usr/bin/env bash
# The crates as crates.io would get them: `cargo publish --dry-run` for every publishable workspace
# crate (oss-append, oss-append-cli, oss-emulator; uniffi-bindgen has publish = false). Each one is
# packaged from its `include` list, then built from the packaged copy alone, with the library it
# depends on served from a local overlay of the other packaged crates (they are not on crates.io).
# Needs the crates.io index.
#
#   scripts/check-package.sh                  what CI runs (a clean checkout)
#   scripts/check-package.sh --allow-dirty    with uncommitted changes; any other cargo publish flag too
#
# One line per crate. Cargo's warnings that it leaves the tests, benches and examples out of a
# package are expected (they are not shipped) and only counted; any other warning is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

target_dir=target/publish-check
log=$(mktemp)
trap 'rm -f "$log"' EXIT

start=$SECONDS
status=0
cargo publish --dry-run --workspace --target-dir "$target_dir" "$@" >"$log" 2>&1 || status=$?
elapsed=$((SECONDS - start))

left_out='^warning: ignoring (test|benchmark|example|binary) `[^`]*` as `[^`]*` is not included in the published package$'
if [ "$status" -ne 0 ]; then
  grep -Ev "$left_out" "$log" | grep -v '^ *\(Compiling\|Downloaded\|Downloading\|Checking\) ' >&2 || true
  echo "check-package: cargo publish --dry-run failed after ${elapsed}s" >&2
  exit "$status"
fi

# Packaging NAME vX.Y.Z (...) is followed by Packaged N files, SIZE (SIZE compressed).
awk '
  /^ *Packaging / { name = $2; version = $3 }
  /^ *Packaged / { sub(/^ *Packaged /, ""); packaged[name] = version ": " $0; order[++n] = name }
  /^ *Verifying / { verified[$2] = 1 }
  END {
    for (i = 1; i <= n; i++) {
      c = order[i]
      printf "%-16s %s, %s\n", c, packaged[c], (c in verified) ? "built from the package" : "NOT VERIFIED"
    }
  }
' "$log"

others=$(grep -E '^warning: ' "$log" | grep -Ev "$left_out" | grep -v '^warning: aborting upload due to dry run$' || true)
if [ -n "$others" ]; then
  echo "warnings:"
  # Each warning with the lines cargo prints under it.
  awk -v left_out="$left_out" '
    /^warning: aborting upload due to dry run$/ { show = 0; next }
    /^warning: / { show = ($0 !~ left_out) }
    /^ *(Compiling|Packaging|Packaged|Verifying|Finished|Updating|Uploading|Unpacking|Downloaded|Downloading|Locking|Adding) / { show = 0 }
    show { print "  " $0 }
  ' "$log"
fi
echo "check-package: $(grep -cE "$left_out" "$log") test/bench/example targets left out of the packages (expected); ${elapsed}s"
