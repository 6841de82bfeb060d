#!/usr/bin/env bash
# The speed and size benchmark of the speed issue, in one command:
#   1. the stripped release library (the shipped profile: opt-level "s", LTO, panic = "unwind"),
#      with default features (the C ABI) and as the mobile packages build it (no C ABI; x86_64
#      here stands for one mobile ABI), and the size each other choice would give: TLS on aws-lc-rs,
#      the C ABI kept, packed relocations, opt-level "z", panic = "abort", and (with the nightly
#      toolchain) Rust's standard library rebuilt without its backtrace printer; each with its size
#      in a zip (what an APK or IPA stores, what users download), and the shipped build for arm64;
#   2. benches/speed.rs: the raw keep-alive socket, the C ABI and the Rust appender against one
#      emulator, side by side, medians of 9, with the goals and their ratios; then the small appends
#      again with the clients and the emulator on one CPU, and once more with the raw client making
#      the library's extra system calls too (what is left between them is the library's own work).
# `cargo test --benches` (and so CI) runs a short pass of the second part that checks the clients.
# `bash scripts/bench.sh --size` prints the sizes alone.
set -euo pipefail
cd "$(dirname "$0")/.."
size_only=$([ "${1:-}" = "--size" ] && echo 1 || true)

echo "== library size (release profile, stripped; x86_64 stands for one mobile ABI)"
# Each row: the stripped library, and what an app's users download for it: the library compressed
# as an APK or IPA stores it (zip deflate, level 6, zip's default).
# label | cargo feature arguments | target directory | extra environment for cargo
size_of() {
  local label=$1 features=$2 dir=target/size/$3
  shift 3
  # shellcheck disable=SC2086 # the feature arguments are words
  env "$@" cargo build -q --release --lib --target-dir "$dir" $features
  print_size "$label" "$dir/release/liboss_append.so"
}
# label | std features | target directory | extra environment: the shipped mobile build with Rust's
# standard library rebuilt along with it (nightly's -Zbuild-std), so LTO reaches into std too.
size_with_std() {
  local label=$1 std_features=$2 dir=target/size/$3 host
  shift 3
  host=$(rustc -vV | sed -n 's/^host: //p')
  # shellcheck disable=SC2086 # the feature arguments are words
  env "$@" cargo +nightly build -q --release --lib --target-dir "$dir" --target "$host" \
    -Zbuild-std=std,panic_unwind -Zbuild-std-features="$std_features" $mobile
  print_size "$label" "$dir/$host/release/liboss_append.so"
}
print_size() {
  local label=$1 bytes zipped
  bytes=$(stat -c %s "$2")
  zipped=$(python3 -c '
import io, sys, zipfile
buffer = io.BytesIO()
with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
    archive.write(sys.argv[1], "lib/liboss_append.so")
with zipfile.ZipFile(buffer) as archive:
    print(archive.getinfo("lib/liboss_append.so").compress_size)
' "$2")
  printf '  %-72s %9d B  %.2f MiB   in a zip: %8d B  %.2f MiB\n' "$label" "$bytes" \
    "$(awk "BEGIN { print $bytes / 1048576 }")" "$zipped" "$(awk "BEGIN { print $zipped / 1048576 }")"
}
# What the Kotlin and Swift packages ship: the mobile feature without the C ABI.
mobile="--no-default-features --features mobile"
size_of "default (the C ABI and Rust)" "" default
size_of "mobile (the shipped choice: no C ABI)" "$mobile" mobile
size_of "mobile, TLS on aws-lc-rs instead of ring (the aws-lc-rs feature)" "$mobile --features aws-lc-rs" aws-lc-rs
size_of "mobile with the C ABI too (--features mobile)" "--features mobile" mobile-c
size_of "mobile, relative relocations packed (-z pack-relative-relocs)" "$mobile" relr \
  RUSTFLAGS="-C link-arg=-Wl,-z,pack-relative-relocs"
size_of "mobile, opt-level z" "$mobile" opt-z CARGO_PROFILE_RELEASE_OPT_LEVEL=z
size_of "mobile, panic = abort (Kotlin/Swift lose panics as errors)" "$mobile" abort CARGO_PROFILE_RELEASE_PANIC=abort

# arm64, what nearly every phone runs: Android's target links only with the NDK, which these
# machines lack, so the same code is built for aarch64-unknown-linux-gnu (the same instruction set
# and Rust target features; Android's libc differs only in the few symbols the library imports)
# with Debian's aarch64 cross linker.
arm64=aarch64-unknown-linux-gnu
if command -v aarch64-linux-gnu-gcc >/dev/null && { rustup target list --installed | grep -qx "$arm64" ||
  rustup target add "$arm64" >/dev/null 2>&1; }; then
  for row in "mobile:$mobile:mobile (the shipped choice), arm64" \
    "aws-lc-rs:$mobile --features aws-lc-rs:mobile, TLS on aws-lc-rs, arm64"; do
    IFS=: read -r dir features label <<<"$row"
    # shellcheck disable=SC2086 # the feature arguments are words
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
      cargo build -q --release --lib --target "$arm64" --target-dir "target/size/arm64-$dir" $features
    print_size "$label" "target/size/arm64-$dir/$arm64/release/liboss_append.so"
  done
else
  echo "  SKIPPED the arm64 rows: they need Debian's aarch64 cross linker and Rust's $arm64 target" \
    "(apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross; rustup target add $arm64)"
fi

# Rust's std, rebuilt: not how the packages are built (that needs the nightly toolchain), but what
# it would save. Cargo's own list of std features is panic-unwind and backtrace: this row leaves out
# backtrace, std's stack trace printer. A panic's message still reaches Kotlin and Swift; only the
# stack trace printed to stderr goes.
nightly_parts=$(rustup component list --toolchain nightly --installed 2>/dev/null || true)
if cargo +nightly --version >/dev/null 2>&1 && grep -q '^rust-src' <<<"$nightly_parts"; then
  size_with_std "mobile, std rebuilt (nightly -Zbuild-std) without its backtrace printer" panic-unwind std ||
    echo "  FAILED: the build with std rebuilt (above); the other figures go on"
else
  echo "  SKIPPED the row with std rebuilt: it needs the nightly toolchain and its rust-src component" \
    "(rustup toolchain install nightly --component rust-src)"
fi

if [ -n "$size_only" ]; then
  exit 0
fi
echo "== speed against the loopback limit"
cargo bench --bench speed
echo "== small appends again, the clients and the emulator on one CPU (no wake-ups across CPUs)"
cargo bench --bench speed -- --only small --same-cpu
echo "== the same, the raw client making the library's extra system calls too (probe, socket timeouts)"
cargo bench --bench speed -- --only small --same-cpu --raw-probes
