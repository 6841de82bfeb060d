#!/usr/bin/env bash
# The speed and size benchmark of the speed issue, in one command:
#   1. the stripped release library (the shipped profile: opt-level "s", LTO, panic = "unwind"),
#      without and with the mobile feature (x86_64 here stands for one mobile ABI);
#   2. benches/speed.rs: the raw keep-alive socket, the C ABI and the Rust appender against one
#      emulator, side by side, medians of 7, with the goals and their ratios.
# `cargo test --benches` (and so CI) runs a short pass of the second part that checks the clients.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== library size (release profile, stripped)"
for features in "" "mobile"; do
  cargo build -q --release --lib --target-dir target/size ${features:+--features "$features"}
  bytes=$(stat -c %s target/size/release/liboss_append.so)
  printf '  liboss_append.so %-10s %10d bytes (%.2f MiB)\n' "${features:-default}" "$bytes" "$(awk "BEGIN { print $bytes / 1048576 }")"
done

echo "== speed against the loopback limit"
cargo bench --bench speed
