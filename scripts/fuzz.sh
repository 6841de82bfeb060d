#!/usr/bin/env bash
# Runs the fuzz targets (fuzz/, cargo-fuzz layout, libFuzzer with AddressSanitizer) for SECONDS each.
#
#   bash scripts/fuzz.sh                 every target, 30 s each
#   bash scripts/fuzz.sh 600             every target, 10 minutes each
#   bash scripts/fuzz.sh 60 signing c_api
#
# Installs the nightly toolchain when missing. Builds the targets as cargo-fuzz does (the same
# sanitizer and coverage flags, `--cfg fuzzing`) without needing cargo-fuzz itself; `cargo fuzz run
# TARGET` works too where cargo-fuzz is installed. The corpus of each target lives in
# target/fuzz-corpus/TARGET, seeded by `cargo run --example fuzz_seeds` (the tests' requests and
# responses, the official SDKs' signing cases, a spool's journal) and by fuzz/seeds/TARGET. A crash
# is saved under target/fuzz-artifacts/TARGET and fails the run; it becomes a regression test.
# Prints per target: runs, executions per second, corpus size; then a summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

seconds=${1:-30}
shift || true
all=(service_error signing validators crc64 journal spool_recovery c_api emulator_requests sts_answer http_answer)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=("${all[@]}")
fi

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "== installing the nightly toolchain (for -Zsanitizer)"
  rustup toolchain install nightly --profile minimal >/dev/null
fi
host=$(rustc -vV | sed -n 's/^host: //p')

echo "== building the fuzz targets (nightly, AddressSanitizer, coverage)"
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Zsanitizer=address -Cdebug-assertions \
-Coverflow-checks -Cforce-frame-pointers"
export ASAN_OPTIONS=detect_leaks=0
(cd fuzz && cargo +nightly build -q --release --target "$host" --bins)
unset RUSTFLAGS
bin_dir="$root/fuzz/target/$host/release"

corpus_root="$root/target/fuzz-corpus"
if [ ! -d "$corpus_root/signing" ]; then
  echo "== seeding the corpus"
  cargo run -q --example fuzz_seeds -- "$corpus_root"
fi

failed=0
summary=()
for target in "${targets[@]}"; do
  corpus="$corpus_root/$target"
  artifacts="$root/target/fuzz-artifacts/$target/"
  mkdir -p "$corpus" "$artifacts"
  seeds=()
  [ -d "fuzz/seeds/$target" ] && seeds=("fuzz/seeds/$target")
  log="$root/target/fuzz-$target.log"
  echo "== $target: $seconds s"
  status=0
  "$bin_dir/$target" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -timeout=20 \
    -artifact_prefix="$artifacts" "$corpus" "${seeds[@]}" >"$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  per_second=$(sed -n 's/.*exec\/s: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
  units=$(find "$corpus" -type f | wc -l)
  if [ "$status" -ne 0 ]; then
    failed=$((failed + 1))
    grep -E "panicked|ERROR|SUMMARY|Test unit written" "$log" | head -n 20 || tail -n 30 "$log"
    summary+=("$target: FAILED (exit $status, ${runs:-?} runs); see $log")
  else
    summary+=("$target: ${runs:-?} runs, ${per_second:-?} exec/s, $units corpus units, 0 crashes")
  fi
done
echo "== fuzz summary ($seconds s per target)"
printf '  %s\n' "${summary[@]}"
[ "$failed" -eq 0 ]
