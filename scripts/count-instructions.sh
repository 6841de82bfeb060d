#!/usr/bin/env bash
# Instructions the Rust client executes per small append, counted exactly by callgrind (no hardware
# counters needed, so the figure does not move with the machine's noise, unlike CPU time):
#   bash scripts/count-instructions.sh
# It runs the speed bench's short pass for the Rust client only (1 + 20 appends of 1 KiB to the
# emulator in a child process, which is not counted) and counts only inside the library's append.
# Left out: SHA-256's compression (valgrind cannot run the SHA extensions, so the sha2 crate falls
# back to its portable code there, many times slower than what runs on the machine) and the first
# append's HEAD request. What is left is the client's own work per append: signing but for the
# hash, the request, the answer, the CRC and the checks.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "count-instructions: valgrind is needed (apt install valgrind)" >&2; exit 1; }
bench=$(cargo bench --bench speed --no-run 2>&1 | sed -n 's/.*Executable benches\/speed.rs (\(.*\))/\1/p')
[ -x "$bench" ] || { echo "count-instructions: the speed bench was not built" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out/cg" \
  --toggle-collect='oss_append::stream::AppendStream::append*' "$bench" --only small --client rust >/dev/null 2>&1
appends=21
figure() { # the first count on a line that matches $1, in the annotation $2
  grep -m1 -e "$1" "$2" | awk '{ gsub(",", "", $1); print $1 }'
}
callgrind_annotate "$out/cg" >"$out/self" 2>/dev/null
callgrind_annotate --inclusive=yes "$out/cg" >"$out/inclusive" 2>/dev/null
total=$(figure 'PROGRAM TOTALS' "$out/self")
sha=$(figure 'sha256::soft::compress' "$out/self")
head=$(figure 'oss_append::client::Client::head' "$out/inclusive")
echo "instructions in the Rust client's small appends ($appends, 1 KiB each), counted by callgrind:"
echo "  all: $total; SHA-256 compression (portable under valgrind): ${sha:-0}; the first append's HEAD: ${head:-0}"
echo "  per append, outside SHA-256: $(((total - ${sha:-0} - ${head:-0}) / appends))"
